// The shipped scenarios are not compiled into the wasm: the page fetches scenarios/NAME.scenario
// when one is picked or named in the address. Picking one loads it; a scenario address
// (`?scenario=NAME&sstep=K...`) waits for the file and lands on the very same moment.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveStatic, launchBrowser, openPage, screenshot } from './harness.mjs';

let site;
let browser;

before(async () => {
  site = await serveStatic();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await site?.close();
});

const WIDE = { width: 1600, height: 1000 };

test('picking a shipped scenario fetches its file and starts it', async () => {
  const { page, errors, close } = await openPage(browser, `${site.url}/?seed=7`, WIDE);
  await page.getByTestId('server-1').waitFor();
  const select = page.getByTestId('scenario-select');
  // The picker's titles are compiled in, in both languages.
  assert.equal(await select.locator('option[value="startup-3"]').textContent(), 'Startup election with three servers');
  const fetched = page.waitForResponse((r) => r.url().endsWith('/scenarios/startup-3.scenario'));
  await select.selectOption('startup-3');
  assert.equal((await fetched).status(), 200);
  await page.getByRole('heading', { name: 'Startup election with three servers' }).waitFor();
  await page.getByTestId('scenario-next').waitFor();
  assert.match(page.url(), /scenario=startup-3/);
  await page.getByTestId('lang-zh').click();
  assert.equal(await select.locator('option[value="startup-3"]').textContent(), '三台服务器同时启动时的选举');
  assert.deepEqual(errors, []);
  await close();
});

test('a scenario address waits for the file and restores the same moment', async () => {
  const { page, errors, close } = await openPage(browser, `${site.url}/?scenario=leader-crash`, WIDE);
  await page.getByTestId('narration').waitFor();
  await page.getByTestId('speed').selectOption('7');
  const next = page.getByTestId('scenario-next');
  for (let i = 0; i < 3; i += 1) {
    await next.click({ timeout: 20000 });
    await page.waitForFunction(
      () => !document.querySelector('[data-testid="scenario-next"]')?.disabled || document.querySelector('[data-testid="question"]'),
      null,
      { timeout: 20000 },
    );
  }
  if (await page.getByTestId('pause').count()) await page.getByTestId('pause').click();
  const url = page.url();
  assert.match(url, /scenario=leader-crash/);
  assert.match(url, /sstep=[1-9]/);
  const hash = await page.getByTestId('trace-hash').textContent();
  const clock = await page.getByTestId('clock').getAttribute('data-millis');
  const steps = await page.getByTestId('narration').getAttribute('data-steps');
  await close();

  const shared = await openPage(browser, url, WIDE);
  await shared.page.getByTestId('narration').waitFor();
  assert.equal(await shared.page.getByTestId('problem').count(), 0);
  assert.equal(await shared.page.getByTestId('trace-hash').textContent(), hash);
  assert.equal(await shared.page.getByTestId('clock').getAttribute('data-millis'), clock);
  assert.equal(await shared.page.getByTestId('narration').getAttribute('data-steps'), steps);
  await screenshot(shared.page, 'scenario-address-restored');
  assert.deepEqual([...errors, ...shared.errors], []);
  await shared.close();
});

test('an address naming no shipped scenario says so and opens free play', async () => {
  const { page, errors, close } = await openPage(browser, `${site.url}/?scenario=../index.html&seed=3`, WIDE);
  await page.getByTestId('server-1').waitFor();
  assert.match(await page.getByTestId('problem').textContent(), /no scenario named/);
  assert.deepEqual(errors, []);
  await close();
});
