// The visualiser's promises in a real browser: an elected leader with its vote boxes, the
// console writing through a session to every server's tree, the lock scenario handing the
// lock over, rewinding, shareable addresses, and the Chinese interface.
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
const node = (page, id) => page.getByTestId(`server-${id}`);

async function advanceSeconds(page, seconds) {
  for (let i = 0; i < seconds; i += 1) {
    await page.getByTestId('advance').click();
  }
}

async function runConsole(page, line) {
  await page.getByTestId('console-input').fill(line);
  await page.getByTestId('console-run').click();
}

async function roles(page) {
  return page.locator('g[data-testid^="server-"]').evaluateAll((nodes) => nodes.map((n) => n.dataset.role));
}

test('playing elects a leader, and every vote box shows the vote that won', async () => {
  const { page, errors, close } = await openPage(browser, `${site.url}/?seed=7`, WIDE);
  await node(page, 1).waitFor();
  await page.getByTestId('speed').selectOption('4');
  await page.getByTestId('play').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="server-3"]')?.dataset.role === 'LEADING', null, {
    timeout: 20000,
  });
  await page.getByTestId('pause').click();
  for (const id of [1, 2, 3]) {
    assert.equal(await page.getByTestId(`vote-box-${id}`).getAttribute('data-votes-for'), '3');
  }
  await assert.doesNotReject(page.getByTestId('vote-box-1').getByText("server 3's vote wins").waitFor());
  await screenshot(page, 'visualiser-leader-elected');
  assert.deepEqual(errors, []);
  await close();
});

test('the console creates a znode through a session and every server’s tree shows it', async () => {
  const { page, errors, close } = await openPage(browser, `${site.url}/?seed=7`, WIDE);
  await node(page, 1).waitFor();
  await advanceSeconds(page, 5);
  await page.getByTestId('add-client').click();
  await advanceSeconds(page, 1);
  assert.equal(await page.getByTestId('client-alice').getAttribute('data-state'), 'CONNECTED');
  await runConsole(page, 'create /zoo "hello zookeeper"');
  await advanceSeconds(page, 1);
  await runConsole(page, 'get /zoo');
  await advanceSeconds(page, 1);
  const console = page.getByTestId('console');
  await assert.doesNotReject(console.getByText('Created /zoo').waitFor());
  await assert.doesNotReject(console.getByText('hello zookeeper', { exact: true }).waitFor());
  for (const id of ['1', '2', '3']) {
    await page.getByTestId('tree-server').selectOption(id);
    const entry = page.getByTestId('znode-tree').locator('.znode[data-path="/zoo"]');
    await assert.doesNotReject(entry.waitFor(), `server ${id} has /zoo`);
    assert.doesNotMatch((await entry.getAttribute('class')) ?? '', /missing|extra|differs/);
  }
  await page.getByTestId('znode-tree').locator('.znode[data-path="/zoo"] .znode-name').click();
  assert.equal(await page.getByTestId('znode-data').textContent(), 'hello zookeeper');
  const zab = page.getByTestId('zab-flow');
  assert.equal(await zab.locator('tr[data-status="committed"]').count() >= 2, true, 'session and create committed');
  await screenshot(page, 'visualiser-console-and-trees');
  assert.deepEqual(errors, []);
  await close();
});

test('the fair-lock scenario narrates, asks, and hands the lock down the queue when alice dies', async () => {
  const { page, errors, close } = await openPage(browser, `${site.url}/?scenario=fair-lock`, WIDE);
  await page.getByTestId('narration').waitFor();
  await page.getByTestId('speed').selectOption('7');
  const next = page.getByTestId('scenario-next');
  const question = page.getByTestId('question');
  for (let i = 0; i < 10 && !(await question.isVisible()); i += 1) {
    await next.click({ timeout: 20000 });
    await page.waitForFunction(
      () => !document.querySelector('[data-testid="scenario-next"]')?.disabled || document.querySelector('[data-testid="question"]'),
      null,
      { timeout: 20000 },
    );
  }
  await question.waitFor();
  const lock = page.getByTestId('lock-queue').locator('.lock[data-path="/locks"]');
  assert.equal(await lock.getAttribute('data-holder'), 'alice');
  assert.equal(await lock.locator('.lock-entry').count(), 3);
  assert.match(await lock.locator('.lock-entry[data-client="carol"]').textContent(), /lock-0000000001/);
  await screenshot(page, 'visualiser-lock-before-handover');

  await page.getByTestId('choice-bob').click();
  await page.getByTestId('answer').waitFor({ timeout: 20000 });
  // Alice's session expires; bob takes the lock and (as the scenario has him do) releases
  // it at once; carol, who watched only bob's node, holds it.
  await page.waitForFunction(
    () => document.querySelector('[data-testid="lock-queue"] .lock[data-path="/locks"]')?.dataset.holder === 'carol',
    null,
    { timeout: 30000 },
  );
  assert.equal(await lock.locator('.lock-entry').count(), 1);
  assert.match(await page.getByTestId('answer').textContent(), /Right\./);
  await screenshot(page, 'visualiser-lock-handed-over');
  assert.deepEqual(errors, []);
  await close();
});

test('dragging the timeline back shows the earlier state, and acting there branches', async () => {
  const { page, errors, close } = await openPage(browser, `${site.url}/?seed=7`, WIDE);
  await node(page, 1).waitFor();
  await advanceSeconds(page, 5);
  await page.getByTestId('crash-3').click();
  await advanceSeconds(page, 5);
  assert.deepEqual(await roles(page), ['FOLLOWING', 'LEADING', 'DOWN']);
  const later = await page.getByTestId('trace-hash').textContent();

  await page.getByTestId('scrubber').evaluate((input) => {
    input.value = '4000';
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
  assert.equal(await page.getByTestId('clock').getAttribute('data-millis'), '4000');
  assert.deepEqual(await roles(page), ['FOLLOWING', 'FOLLOWING', 'LEADING']);
  assert.equal(await node(page, 3).getAttribute('data-epoch'), '1');
  await page.getByTestId('rewound').waitFor();
  await screenshot(page, 'visualiser-rewound');

  // Playing on repeats the same future...
  await page.getByTestId('scrubber').evaluate((input) => {
    input.value = '10000';
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
  assert.equal(await page.getByTestId('trace-hash').textContent(), later);
  // ...and acting while rewound starts a new one.
  await page.getByTestId('scrubber').evaluate((input) => {
    input.value = '4000';
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await page.getByTestId('crash-1').click();
  await advanceSeconds(page, 6);
  assert.deepEqual(await roles(page), ['DOWN', 'FOLLOWING', 'LEADING']);
  assert.equal(await page.getByTestId('rewound').count(), 0);
  assert.deepEqual(errors, []);
  await close();
});

test('the address is a shareable link to the very same state', async () => {
  const { page, errors, close } = await openPage(browser, `${site.url}/?seed=11&servers=5`, WIDE);
  await node(page, 5).waitFor();
  await advanceSeconds(page, 4);
  await page.getByTestId('add-client').click();
  await advanceSeconds(page, 1);
  await runConsole(page, 'create -e /member "x"');
  await advanceSeconds(page, 1);
  await page.getByTestId('crash-2').click();
  await advanceSeconds(page, 3);
  for (let i = 0; i < 7; i += 1) await page.getByTestId('step').click();
  const url = page.url();
  assert.match(url, /act=/);
  const hash = await page.getByTestId('trace-hash').textContent();
  const clock = await page.getByTestId('clock').getAttribute('data-millis');
  const before = await roles(page);
  await close();

  const shared = await openPage(browser, url, WIDE);
  await node(shared.page, 5).waitFor();
  assert.equal(await shared.page.getByTestId('trace-hash').textContent(), hash);
  assert.equal(await shared.page.getByTestId('clock').getAttribute('data-millis'), clock);
  assert.deepEqual(await roles(shared.page), before);
  await assert.doesNotReject(shared.page.getByTestId('console').getByText('Created /member').waitFor());
  await screenshot(shared.page, 'visualiser-shared-link');
  assert.deepEqual([...errors, ...shared.errors], []);
  await shared.close();
});

test('the whole interface switches to Chinese, narration included', async () => {
  const { page, errors, close } = await openPage(browser, `${site.url}/?scenario=leader-crash`, WIDE);
  await page.getByTestId('narration').waitFor();
  await page.getByTestId('lang-zh').click();
  assert.equal(await page.locator('html').getAttribute('lang'), 'zh');
  await assert.doesNotReject(page.getByRole('heading', { name: '领导者崩溃' }).waitFor());
  await assert.doesNotReject(page.getByText('FastLeaderElection 投票箱').waitFor());
  await page.getByTestId('speed').selectOption('7');
  await page.getByTestId('scenario-next').click();
  await page.getByTestId('scenario-next').click({ timeout: 20000 });
  await assert.doesNotReject(page.getByTestId('narration').locator('.say').getByText('链路变慢').waitFor({ timeout: 20000 }));
  assert.match(page.url(), /lang=zh/);
  await screenshot(page, 'visualiser-chinese');
  assert.deepEqual(errors, []);
  await close();
});

async function centre(locator) {
  const box = await locator.boundingBox();
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

async function drag(page, from, to) {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(to.x, to.y, { steps: 8 });
  await page.mouse.up();
}

test('an observer joins while running, dragging cuts, heals and isolates, and a timeline event takes you back', async () => {
  const { page, errors, close } = await openPage(browser, `${site.url}/?seed=7`, WIDE);
  await node(page, 1).waitFor();
  await advanceSeconds(page, 5);
  assert.equal(await node(page, 3).getAttribute('data-role'), 'LEADING');

  await page.getByTestId('add-observer').click();
  await advanceSeconds(page, 3);
  assert.equal(await node(page, 4).getAttribute('data-role'), 'OBSERVING');
  assert.equal(await node(page, 3).getAttribute('data-role'), 'LEADING', 'no election for an observer');
  await page.getByTestId('server-card-4').waitFor();
  assert.match(page.url(), /add%3Aobserver|add:observer/);

  // Drag from server 1 to server 2: their link is cut both ways; the same drag heals it.
  await drag(page, await centre(node(page, 1)), await centre(node(page, 2)));
  assert.equal(await page.getByTestId('link-1-2').getAttribute('data-cut'), 'both');
  await drag(page, await centre(node(page, 1)), await centre(node(page, 2)));
  assert.equal(await page.getByTestId('link-1-2').getAttribute('data-cut'), 'none');

  // Drag the leader into empty space: it is cut off, and the others elect server 2.
  const drawing = await page.locator('.cluster-svg').boundingBox();
  const leader = await centre(node(page, 3));
  await page.mouse.move(leader.x, leader.y);
  await page.mouse.down();
  await page.mouse.move(drawing.x + drawing.width / 2, drawing.y + drawing.height / 2, { steps: 8 });
  await assert.doesNotReject(page.getByTestId('drag-line').getByText('isolate server 3').waitFor());
  // (Not a full-page screenshot: resizing the page would end the drag.)
  await page.screenshot({ path: 'target/screenshots/visualiser-drag-isolate.png' });
  await page.mouse.up();
  for (const other of [1, 2, 4]) {
    assert.equal(await page.getByTestId(`link-${Math.min(3, other)}-${Math.max(3, other)}`).getAttribute('data-cut'), 'both');
  }
  await advanceSeconds(page, 12);
  assert.equal(await node(page, 2).getAttribute('data-role'), 'LEADING');

  // Server 4's oldest event in the timeline (the bottom one) takes the run back to it:
  // before server 3 was isolated.
  await page.getByTestId('filter-server').selectOption('4');
  const oldest = page.getByTestId('timeline').locator('li').last();
  const at = await oldest.getAttribute('data-at');
  await oldest.click();
  assert.equal(await page.getByTestId('clock').getAttribute('data-millis'), at);
  await page.getByTestId('rewound').waitFor();
  assert.equal(await page.getByTestId('link-1-3').getAttribute('data-cut'), 'none');
  assert.equal(await node(page, 3).getAttribute('data-role'), 'LEADING');

  // The picture export gives a PNG at twice the drawing's size.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-png').click()]);
  assert.match(download.suggestedFilename(), /\.png$/);
  const { readFile } = await import('node:fs/promises');
  const png = await readFile(await download.path());
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [2000, 1240]);
  assert.deepEqual(errors, []);
  await close();
});
