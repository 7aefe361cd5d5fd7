// bench/web/pages.mjs — issue 16's page figures: bytes transferred for a first and a
// repeat visit of each dashboard page, and the time to a drawn page under Chromium's
// "Fast 3G" emulation, for one or more (binary, web/dist) pairs served the same
// serving.duckdb (the real pipeline on the bundled samples, made once).
//
//   node bench/web/pages.mjs --label before --bin OLD/materia --web OLD/web/dist \
//                            --label after  --bin NEW/materia --web NEW/web/dist [--runs 3]
//
// Bytes: CDP Network.loadingFinished's encodedDataLength summed over every request of the
// visit (headers + body as they crossed the wire; 0 for what came from the browser cache).
// First visit: a fresh browser profile (empty cache). Repeat visit: a new tab in the same
// profile, after the first visit. Both CPU-independent: printed as exact byte counts.
// Time to a drawn page: navigation start → `main[data-ready="<route>"]` (the app sets it
// when the view has rendered with its data), with Network.emulateNetworkConditions set to
// DevTools' Fast 3G preset (562.5 ms latency, 1.44 Mbit/s down, 675 kbit/s up: Chromium's
// own numbers), cache empty (first) and warm (repeat); the median of --runs. Timings depend
// on the machine far less than on the emulated network, but the 1-minute load is printed
// with each figure anyway.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Scratch, launch, makeServing } from '../../tests/browser/lib.mjs';

const PAGES = [
  ['overview', '#/', 'home'],
  ['rankings', '#/rankings', 'rankings'],
  ['country', '#/country/BR', 'country'],
  ['revisions', '#/revisions', 'revisions'],
  ['positioning', '#/positioning', 'positioning'],
];
const FAST3G = { offline: false, latency: 562.5, downloadThroughput: (1.6 * 1000 * 1000 / 8) * 0.9, uploadThroughput: (750 * 1000 / 8) * 0.9 };

function args() {
  const a = process.argv.slice(2);
  const targets = [];
  let runs = 3, pages = null;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--label') targets.push({ label: a[++i] });
    else if (a[i] === '--bin') targets.at(-1).bin = path.resolve(a[++i]);
    else if (a[i] === '--web') targets.at(-1).web = path.resolve(a[++i]);
    else if (a[i] === '--runs') runs = Number(a[++i]);
    else if (a[i] === '--pages') pages = a[++i].split(',');
    else throw new Error(`unknown argument ${a[i]}`);
  }
  if (!targets.length || targets.some((t) => !t.bin || !t.web)) throw new Error('each --label needs --bin and --web');
  return { targets, runs, pages: pages ? PAGES.filter((p) => pages.includes(p[0])) : PAGES };
}

function serve(bin, web, scratch) {
  const env = { ...scratch.env, MATERIA_HTTP_ADDR: '127.0.0.1:0', MATERIA_WEB_DIR: web };
  for (const k of Object.keys(env)) if (/^(ASAN|LSAN|UBSAN)_/.test(k)) delete env[k];
  const proc = spawn(bin, ['serve'], { cwd: scratch.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let seen = '';
  return new Promise((resolve, reject) => {
    const on = (b) => {
      seen += b.toString();
      const m = seen.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) resolve({ url: `${m[1]}/`, stop: () => new Promise((r) => { proc.once('exit', r); proc.kill('SIGTERM'); }) });
    };
    proc.stdout.on('data', on);
    proc.stderr.on('data', on);
    proc.once('exit', (c) => reject(new Error(`serve exited ${c}:\n${seen}`)));
  });
}

// One visit in page: {bytes, requests, ms}
async function visit(ctx, page, url, ready, throttle) {
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
  if (throttle) await cdp.send('Network.emulateNetworkConditions', FAST3G);
  let bytes = 0, requests = 0;
  cdp.on('Network.loadingFinished', (e) => {
    bytes += e.encodedDataLength;
    if (e.encodedDataLength > 0) requests++;
  });
  const t0 = Date.now();
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForSelector(`main[data-ready="${ready}"]`, { timeout: 120_000 });
  const ms = Date.now() - t0;
  // let late requests (e.g. the freshness footer) finish before counting
  await page.waitForLoadState('networkidle').catch(() => {});
  await cdp.detach();
  return { bytes, requests, ms };
}

const load = () => os.loadavg()[0].toFixed(2);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(t, scratch, pages, runs) {
  const server = await serve(t.bin, t.web, scratch);
  const out = [];
  try {
    for (const [name, hash, ready] of pages) {
      const url = `${server.url}${hash}`;
      // bytes: unthrottled, one fresh profile
      let ctx = await launch(scratch);
      let p1 = ctx.pages()[0] || await ctx.newPage();
      const first = await visit(ctx, p1, url, ready, false);
      const p2 = await ctx.newPage();
      const repeat = await visit(ctx, p2, url, ready, false);
      await ctx.close();
      // time under Fast 3G: a fresh profile per run, first then repeat visit
      const tf = [], tr = [], loads = [];
      for (let i = 0; i < runs; i++) {
        loads.push(load());
        ctx = await launch(scratch);
        p1 = ctx.pages()[0] || await ctx.newPage();
        tf.push((await visit(ctx, p1, url, ready, true)).ms);
        tr.push((await visit(ctx, await ctx.newPage(), url, ready, true)).ms);
        await ctx.close();
      }
      out.push({ name, first, repeat, fast3g_first_ms: median(tf), fast3g_repeat_ms: median(tr), runs_first: tf, runs_repeat: tr, load: loads.join('/') });
      console.error(`${t.label} ${name}: first ${first.bytes} B (${first.requests} req), repeat ${repeat.bytes} B; Fast 3G ${median(tf)} / ${median(tr)} ms [load ${loads.join('/')}]`);
    }
  } finally {
    await server.stop();
  }
  return out;
}

const { targets, runs, pages } = args();
const scratch = new Scratch('bench-pages');
try {
  makeServing(scratch);
  const results = {};
  for (const t of targets) results[t.label] = await measure(t, scratch, pages, runs);
  console.log(`| page | ${targets.map((t) => `${t.label}: first visit B | ${t.label}: repeat B | ${t.label}: Fast 3G first ms | ${t.label}: Fast 3G repeat ms`).join(' | ')} |`);
  console.log(`|---|${targets.map(() => '---:|---:|---:|---:').join('|')}|`);
  for (let i = 0; i < pages.length; i++) {
    console.log(`| ${pages[i][0]} | ${targets.map((t) => { const r = results[t.label][i]; return `${r.first.bytes} | ${r.repeat.bytes} | ${r.fast3g_first_ms} | ${r.fast3g_repeat_ms}`; }).join(' | ')} |`);
  }
  console.log(`\nloads (1-min average at each Fast 3G run): ${targets.map((t) => `${t.label}: ${results[t.label].map((r) => `${r.name} ${r.load}`).join(', ')}`).join('; ')}`);
  fs.writeFileSync(path.join(scratch.dir, '..', 'bench-pages.json'), JSON.stringify(results, null, 2));
} finally {
  scratch.cleanup();
}
