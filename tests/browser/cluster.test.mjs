// The first vertical slice in a real browser: the wasm core runs, servers appear as cards,
// time advances on command, faults show, and the trace matches the native build's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { serveStatic, launchBrowser, openPage, screenshot, NATIVE_BIN } from './harness.mjs';

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

const card = (page, id) => page.getByTestId(`server-card-${id}`);
const node = (page, id) => page.getByTestId(`server-${id}`);

async function advanceSeconds(page, seconds) {
  for (let i = 0; i < seconds; i += 1) {
    await page.getByTestId('advance').click();
  }
}

async function clockMillis(page) {
  return Number(await page.getByTestId('clock').getAttribute('data-millis'));
}

test('the wasm app mounts and shows one card per server', async () => {
  const { page, errors, close } = await openPage(browser, `${site.url}/?seed=7`);
  await card(page, 3).waitFor();
  assert.equal(await page.locator('g[data-testid^="server-"]').count(), 3);
  for (const id of [1, 2, 3]) {
    await assert.doesNotReject(card(page, id).getByRole('heading', { name: `Server ${id}` }).waitFor());
  }
  for (const id of [1, 2, 3]) {
    assert.equal(await card(page, id).getAttribute('data-state'), 'booting', 'nothing has happened yet');
  }
  await screenshot(page, 'first-load');
  assert.deepEqual(errors, []);
  await close();
});

test('advancing time elects a leader: the highest myid, all zxids being equal', async () => {
  const { page, errors, close } = await openPage(browser, `${site.url}/?seed=7`);
  await card(page, 1).waitFor();
  assert.equal(await clockMillis(page), 0);
  await advanceSeconds(page, 5);
  assert.equal(await clockMillis(page), 5000);
  assert.equal(await card(page, 3).getAttribute('data-role'), 'LEADING');
  for (const id of [1, 2]) {
    assert.equal(await card(page, id).getAttribute('data-role'), 'FOLLOWING');
  }
  for (const id of [1, 2, 3]) {
    assert.equal(await node(page, id).getAttribute('data-epoch'), '1');
  }
  await screenshot(page, 'leader-elected-after-5s');
  assert.deepEqual(errors, []);
  await close();
});

test('the browser and the native build give the same trace for the same seed', async (t) => {
  if (!existsSync(NATIVE_BIN)) {
    t.skip(`native binary ${NATIVE_BIN} not built`);
    return;
  }
  const native = execFileSync(NATIVE_BIN, ['sim', '--seed', '7', '--millis', '5000', '--quiet'], {
    encoding: 'utf8',
  });
  const nativeHash = native.match(/^trace hash ([0-9a-f]{16})$/m)?.[1];
  assert.ok(nativeHash, `no trace hash in native output:\n${native}`);

  const { page, close } = await openPage(browser, `${site.url}/?seed=7`);
  await card(page, 1).waitFor();
  await advanceSeconds(page, 5);
  assert.equal(await page.getByTestId('trace-hash').textContent(), nativeHash);
  await close();
});

test('crashing the leader elects another with a higher epoch, and a restart rejoins as follower', async () => {
  const { page, errors, close } = await openPage(browser, `${site.url}/?seed=7`);
  await card(page, 1).waitFor();
  await advanceSeconds(page, 5);
  await page.getByTestId('crash-3').click();
  assert.equal(await card(page, 3).getAttribute('data-state'), 'down');
  assert.equal(await card(page, 3).getAttribute('data-role'), 'DOWN');
  await advanceSeconds(page, 5);
  assert.equal(await card(page, 2).getAttribute('data-role'), 'LEADING', 'same zxid, so the higher myid leads');
  assert.equal(await card(page, 1).getAttribute('data-role'), 'FOLLOWING');
  assert.equal(await node(page, 2).getAttribute('data-epoch'), '2');
  await assert.doesNotReject(
    page.getByTestId('timeline').getByText('established as leader of epoch 2').first().waitFor(),
  );
  await screenshot(page, 'leader-3-crashed');

  await page.getByTestId('restart-3').click();
  await advanceSeconds(page, 5);
  assert.equal(await card(page, 3).getAttribute('data-state'), 'up');
  assert.equal(await card(page, 3).getAttribute('data-role'), 'FOLLOWING');
  assert.equal(await node(page, 3).getAttribute('data-epoch'), '2');
  assert.deepEqual(errors, []);
  await close();
});

test('step carries out exactly one scheduled event: the first server boots and votes for itself', async () => {
  const { page, close } = await openPage(browser, `${site.url}/?seed=7`);
  await card(page, 1).waitFor();
  const events = page.getByTestId('timeline').locator('li');
  assert.equal(await events.count(), 0);
  await page.getByTestId('step').click();
  const texts = await events.allTextContents();
  assert.ok(texts.length >= 1, 'the boot leaves a trace');
  const servers = await events.evaluateAll((items) => items.map((li) => li.dataset.server));
  assert.ok(servers.every((s) => s === '1'), servers.join(','));
  assert.ok(texts.some((t) => /booted/.test(t)), texts.join('\n'));
  assert.equal(await card(page, 1).getAttribute('data-role'), 'LOOKING');
  assert.equal(await card(page, 2).getAttribute('data-state'), 'booting');
  await close();
});

test('play runs virtual time forward until paused', async () => {
  const { page, close } = await openPage(browser, `${site.url}/?seed=7`);
  await card(page, 1).waitFor();
  await page.getByTestId('speed').selectOption('7');
  await page.getByTestId('play').click();
  await page.waitForFunction(
    () => Number(document.querySelector('[data-testid="clock"]').dataset.millis) >= 10000,
  );
  await page.getByTestId('pause').click();
  const paused = await clockMillis(page);
  await page.waitForTimeout(400);
  assert.equal(await clockMillis(page), paused, 'the clock stands still while paused');
  await close();
});

test('bad address parameters are reported and the defaults used', async () => {
  const { page, errors, close } = await openPage(browser, `${site.url}/?servers=99&seed=oops`);
  await card(page, 1).waitFor();
  const problems = await page.getByTestId('problem').allTextContents();
  assert.equal(problems.length, 2, problems.join('\n'));
  assert.match(problems[0], /seed="oops" is not a whole number/);
  assert.match(problems[1], /99 servers requested; at most 15/);
  assert.equal(await page.locator('g[data-testid^="server-"]').count(), 3);
  await screenshot(page, 'bad-parameters');
  assert.deepEqual(errors, []);
  await close();
});

test('a five-server ensemble is drawn from the address', async () => {
  const { page, close } = await openPage(browser, `${site.url}/?servers=5&seed=2`);
  await card(page, 5).waitFor();
  assert.equal(await page.locator('g[data-testid^="server-"]').count(), 5);
  await close();
});
