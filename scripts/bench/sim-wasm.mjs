#!/usr/bin/env node
// sim-wasm.mjs: the simulator's speed in WebAssembly (headless Chromium) and natively, on the
// same run, and proof that it is the same run: both trace hashes must be equal.
//
//   node scripts/bench/sim-wasm.mjs [--servers 5] [--seed 1] [--millis 60000] [--runs 3]
//                                   [--json]
//
// It builds nothing: it serves a release build made with the bench hook,
//   ./x build --features bench-hook --dist target/dist-bench
// (the served visualiser leaves the hook out), and calls the page's hook `window.wasmBindings.simBench(servers, seed, millis)` (src/bench_hook.rs), which runs
// the same write load as `zooscope sim --bench` and returns the same report; and it runs the
// native release binary (`cargo build --release`) with the same arguments.
//
// Environment: ZOOSCOPE_DIST (default target/dist-bench/), ZOOSCOPE_CHROMIUM (default /usr/bin/chromium),
// ZOOSCOPE_RELEASE_BIN (default target/release/zooscope).
//
// Prints each run's report and the best of the runs for each (the machine is shared: the
// fastest run is the one least disturbed), against the goals of 1,000,000 messages/s
// natively and 300,000 in wasm. Exit status: 0 when the hashes agree, 1 when they differ,
// 2 when a measurement could not be made. (Missing a speed goal is reported, not an error.)
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic, launchBrowser } from '../../tests/browser/harness.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const NATIVE = process.env.ZOOSCOPE_RELEASE_BIN ?? join(ROOT, 'target', 'release', 'zooscope');
const GOALS = { native: 1_000_000, wasm: 300_000 };

// ---- command line ----

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log('usage: node scripts/bench/sim-wasm.mjs [--servers 5] [--seed 1] [--millis 60000] [--runs 3] [--json]');
  process.exit(0);
}
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const value = Number(args[i + 1]);
  if (!Number.isSafeInteger(value) || value < 0) {
    console.error(`${name} needs a whole number, not ${args[i + 1]}`);
    process.exit(2);
  }
  return value;
};
const SERVERS = option('--servers', 5);
const SEED = option('--seed', 1);
const MILLIS = option('--millis', 60_000);
const RUNS = Math.max(1, option('--runs', 3));
const JSON_OUT = args.includes('--json');
const log = (...parts) => {
  if (!JSON_OUT) console.log(...parts);
};

// ---- the report both builds print ----

/** Reads `zooscope sim --bench`'s two lines: messages/s, seconds and the trace hash. */
function parse(report, where) {
  const speed = report.match(/ in ([0-9.]+) s: ([0-9]+) messages\/s/);
  const hash = report.match(/^trace hash ([0-9a-f]{16})$/m);
  if (!speed || !hash) {
    throw new Error(`${where}: not a bench report:\n${report}`);
  }
  return { seconds: Number(speed[1]), messagesPerSecond: Number(speed[2]), hash: hash[1], report };
}

function best(runs) {
  return runs.reduce((a, b) => (b.messagesPerSecond > a.messagesPerSecond ? b : a));
}

// ---- the two measurements ----

function measureNative() {
  if (!existsSync(NATIVE)) {
    throw new Error(`${NATIVE} not found: build it first (cargo build --release)`);
  }
  const argv = ['sim', '--bench', '--servers', `${SERVERS}`, '--seed', `${SEED}`, '--millis', `${MILLIS}`];
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    runs.push(parse(execFileSync(NATIVE, argv, { encoding: 'utf8' }), 'native'));
    log(`native run ${i + 1}: ${runs.at(-1).report.split('\n')[0]}`);
  }
  return runs;
}

async function measureWasm() {
  const site = await serveStatic(process.env.ZOOSCOPE_DIST ?? join(ROOT, 'target', 'dist-bench'));
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(`${site.url}/`);
    await page.waitForFunction(() => typeof window.wasmBindings?.simBench === 'function', null, {
      timeout: 30_000,
    });
    const runs = [];
    for (let i = 0; i < RUNS; i++) {
      const report = await page.evaluate(
        ([servers, seed, millis]) => window.wasmBindings.simBench(servers, BigInt(seed), BigInt(millis)),
        [SERVERS, SEED, MILLIS],
      );
      runs.push(parse(report, 'wasm'));
      log(`wasm run ${i + 1}:   ${report.split('\n')[0]}`);
    }
    return runs;
  } finally {
    await browser.close();
    await site.close();
  }
}

// ---- main ----

let native;
let wasm;
try {
  log(`zooscope sim --bench --servers ${SERVERS} --seed ${SEED} --millis ${MILLIS}, ${RUNS} runs each`);
  native = measureNative();
  wasm = await measureWasm();
} catch (error) {
  console.error(`could not measure: ${error.message}`);
  process.exit(2);
}

const hashes = new Set([...native, ...wasm].map((run) => run.hash));
const same = hashes.size === 1;
const summary = {
  servers: SERVERS,
  seed: SEED,
  millis: MILLIS,
  runs: RUNS,
  native: {
    messagesPerSecond: native.map((run) => run.messagesPerSecond),
    best: best(native).messagesPerSecond,
    goal: GOALS.native,
    hash: native[0].hash,
  },
  wasm: {
    messagesPerSecond: wasm.map((run) => run.messagesPerSecond),
    best: best(wasm).messagesPerSecond,
    goal: GOALS.wasm,
    hash: wasm[0].hash,
  },
  sameTraceHash: same,
};

if (JSON_OUT) {
  console.log(JSON.stringify(summary, null, 2));
} else {
  const line = (name, figures) =>
    `${name.padEnd(7)} best ${String(figures.best).padStart(9)} messages/s (goal ${figures.goal}: ` +
    `${figures.best >= figures.goal ? 'met' : 'NOT met'}), trace hash ${figures.hash}`;
  log('');
  log(line('native', summary.native));
  log(line('wasm', summary.wasm));
  log(same ? 'trace hashes equal: the same run in both' : `TRACE HASHES DIFFER: ${[...hashes].join(' ')}`);
}
process.exit(same ? 0 : 1);
