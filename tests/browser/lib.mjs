// lib.mjs — shared set-up for the browser tests (each *.test.mjs is one CTest test run
// with `node`). It gives a test a scratch directory, a real serving.duckdb, a running
// `materia serve` on 127.0.0.1 (port chosen by the kernel, read back from the server's
// "listening on http://127.0.0.1:PORT" log line) serving MATERIA_WEB_DIR=<repo>/web/dist,
// and Debian's Chromium driven by playwright-core with a fresh user-data-dir and every
// outside-network feature off. watchPage() records console errors, page errors, failed
// requests and any request that leaves 127.0.0.1, so a test can assert there were none.
//
// serving.duckdb comes from the real pipeline: `materia pipeline run all` on the bundled
// samples (sample/usda-psd/, sample/cftc-cot/), with the repo's SQL models.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SRC = process.env.MATERIA_SOURCE_DIR || path.resolve(here, '..', '..');
export const BIN = process.env.MATERIA_BIN || path.join(SRC, 'build', 'asan', 'materia');
export const WEB_DIR = path.join(SRC, 'web', 'dist');
export const SAMPLE_ZIP = path.join(SRC, 'sample', 'usda-psd', 'psd_coffee_csv.zip');
export const SHOTS = path.join(here, 'screenshots');
const TMP_ROOT = process.env.MATERIA_TEST_TMP || os.tmpdir();

export class Scratch {
  constructor(name) {
    fs.mkdirSync(TMP_ROOT, { recursive: true });
    this.dir = fs.mkdtempSync(path.join(TMP_ROOT, `browser-${name}-`));
    this.serving = path.join(this.dir, 'serving.duckdb');
    this.env = { ...process.env };
    for (const k of ['LANDING_DIR', 'DUCKDB_PATH', 'SERVING_DUCKDB_PATH', 'PSD_SOURCE_URL', 'MATERIA_HTTP_ADDR', 'MATERIA_WEB_DIR',
      'EXTRACT_SOURCES', 'COT_SOURCE_URL', 'COT_YEARS']) delete this.env[k];
    Object.assign(this.env, {
      LANDING_DIR: path.join(this.dir, 'landing'),
      DUCKDB_PATH: path.join(this.dir, 'lakehouse.duckdb'),
      SERVING_DUCKDB_PATH: this.serving,
      MATERIA_PROJECT_DIR: SRC,
      // every run reads CFTC's bundled files (sample/cftc-cot), never the network
      EXTRACT_SOURCES: 'psd,cot',
      COT_SOURCE_URL: `file://${path.join(SRC, 'sample', 'cftc-cot', 'by-year')}/fut_disagg_txt_{YYYY}.zip`,
      COT_YEARS: '2017-2021,2023',
    });
    // a browser test's page loads all come from 127.0.0.1: the anonymous /api rate limit
    // (issue 15) is lifted to its maximum, as in tests/integration/harness.py
    if (!this.env.API_RATE_ANON_PER_MIN) this.env.API_RATE_ANON_PER_MIN = '100000000';
  }

  /** Run materia synchronously; throws with its output unless it exits 0. */
  run(args, env = {}) {
    const p = spawnSync(BIN, args, { cwd: this.dir, env: { ...this.env, ...env }, encoding: 'utf8', timeout: 600_000, maxBuffer: 64 << 20 });
    if (p.status !== 0) throw new Error(`materia ${args.join(' ')}: exit ${p.status}\nstdout:\n${p.stdout}\nstderr:\n${p.stderr}`);
    return p.stdout;
  }

  sql(db, query) {
    return this.run(['sql', '--json', db, query]).split('\n').filter(Boolean).map((l) => JSON.parse(l));
  }

  cleanup() { fs.rmSync(this.dir, { recursive: true, force: true }); }
}

/** Produce scratch.serving with the real pipeline on the bundled sample zip. */
export function makeServing(scratch) {
  // both sources from the bundled files (sample/usda-psd; sample/cftc-cot: Scratch's env)
  scratch.run(['pipeline', 'run', 'all'], { PSD_SOURCE_URL: `file://${SAMPLE_ZIP}` });
  if (!fs.existsSync(scratch.serving)) throw new Error(`pipeline run all made no ${scratch.serving}`);
}

/** Start `materia serve` on a kernel-chosen loopback port; resolves {url, proc, stop()}. */
export function startServe(scratch, { webDir = WEB_DIR } = {}) {
  if (!fs.existsSync(path.join(webDir, 'index.html'))) throw new Error(`${webDir}/index.html missing: run (cd web && npm run build) first`);
  const env = { ...scratch.env, MATERIA_HTTP_ADDR: '127.0.0.1:0', MATERIA_WEB_DIR: webDir };
  const proc = spawn(BIN, ['serve'], { cwd: scratch.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logPath = path.join(scratch.dir, 'serve.log');
  const log = fs.createWriteStream(logPath);
  let seen = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`materia serve did not report its address in 60 s:\n${seen}`)); }, 60_000);
    const onData = (buf) => {
      log.write(buf);
      if (seen === null) return;
      seen += buf.toString();
      const m = seen.match(/listening on (http:\/\/127\.0\.0\.1:(\d+))/);
      if (m) {
        seen = null;
        clearTimeout(timer);
        const exited = new Promise((r) => proc.once('exit', (code, sig) => r({ code, sig })));
        resolve({
          url: `${m[1]}/`, proc, logPath,
          async stop() {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
            const k = setTimeout(() => proc.kill('SIGKILL'), 20_000);
            const r = await exited;
            clearTimeout(k);
            log.end();
            return r;
          },
        });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', (code) => { if (seen !== null) { clearTimeout(timer); reject(new Error(`materia serve exited (${code}) before listening:\n${seen}`)); } });
  });
}

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A fresh Chromium profile in the scratch dir; returns the persistent context. */
export async function launch(scratch, { viewport = { width: 1280, height: 900 }, ...opts } = {}) {
  const udd = fs.mkdtempSync(path.join(scratch.dir, 'chromium-'));
  return chromium.launchPersistentContext(udd, {
    executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, viewport,
    acceptDownloads: true, ...opts,
  });
}

/** Record everything that must not happen on a page; problems() lists it. */
export function watchPage(page) {
  const found = [];
  page.on('console', (m) => { if (m.type() === 'error') found.push(`console error: ${m.text()} (${m.location().url})`); });
  page.on('pageerror', (e) => found.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // a navigation away can cancel a request the page no longer needs; that is no error
    if (/ERR_ABORTED/.test(r.failure()?.errorText || '')) return;
    found.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (!['http:', 'data:', 'blob:'].includes(u.protocol) || (u.protocol === 'http:' && u.hostname !== '127.0.0.1')) {
      found.push(`request left loopback: ${r.url()}`);
    }
  });
  page.on('response', (r) => { if (r.status() >= 400) found.push(`HTTP ${r.status()} for ${r.url()}`); });
  return { problems: () => [...found], clear: () => { found.length = 0; } };
}

/** Go to a view (hash route) and wait until the app has rendered it. */
export async function openView(page, base, hash, ready) {
  await page.goto(`${base}${hash}`);
  await page.waitForSelector(`main[data-ready="${ready}"]`, { timeout: 30_000 });
}

/** After a state change in the current view, wait for the re-render. */
export async function waitReady(page, ready) {
  await page.waitForSelector(`main[data-ready="${ready}"]`, { timeout: 30_000 });
}

/** Data of every Chart.js chart in the page: [{label, type, datasets:[{label, n, data}]}]. */
export function chartData(page) {
  return page.evaluate(() => [...document.querySelectorAll('main canvas')].map((c) => {
    const ch = window.Chart.getChart(c);
    return {
      id: c.parentElement.id, label: c.getAttribute('aria-label'),
      width: c.clientWidth, height: c.clientHeight,
      datasets: ch ? ch.data.datasets.map((d) => ({ label: d.label, data: d.data, n: d.data.filter((v) => v !== null && v !== undefined && !Number.isNaN(v)).length })) : [],
    };
  }));
}

export async function shot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `${name}.png`);
  await page.waitForSelector('#freshness[data-state]', { timeout: 30_000 });
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Reports in scratch.serving's cot_positioning, or -1 when it lacks cot_positioning or
 *  cot_index. */
export function cotReports(scratch) {
  const [{ n }] = scratch.sql(scratch.serving, "SELECT count(*) AS n FROM duckdb_tables() WHERE table_name IN ('cot_positioning', 'cot_index')");
  if (Number(n) !== 2) return -1;
  return Number(scratch.sql(scratch.serving, 'SELECT count(*) AS n FROM cot_positioning')[0].n);
}

/**
 * The usual test body: scratch + serving.duckdb + server + browser, then fn({base, page,
 * watch, scratch, ctx}); always tears down; asserts no page problems at the end.
 * webDir(scratch), when given, returns the folder to serve instead of web/dist (a test that
 * changes the served files works on its own copy).
 */
export async function withDashboard(name, fn, { viewport, webDir } = {}) {
  const scratch = new Scratch(name);
  let server = null, ctx = null, ok = false;
  try {
    makeServing(scratch);
    // the real pipeline's COT tables, not a fixture: 261 weekly reports in the six files
    const n = cotReports(scratch);
    if (n !== 261) throw new Error(`serving.duckdb has ${n} COT reports after pipeline run all, expected 261`);
    server = await startServe(scratch, webDir ? { webDir: webDir(scratch) } : {});
    ctx = await launch(scratch, { viewport });
    const page = ctx.pages()[0] || await ctx.newPage();
    const watch = watchPage(page);
    await fn({ base: server.url, page, watch, scratch, ctx });
    ok = true;
  } finally {
    if (ctx) await ctx.close().catch(() => {});
    if (server) {
      const r = await server.stop();
      if (ok && r.code !== 0) throw new Error(`materia serve exited with ${r.code ?? r.sig} on SIGTERM (log: ${server.logPath})`);
    }
    if (ok && !process.env.MATERIA_KEEP_SCRATCH) scratch.cleanup();
    else console.log(`# scratch kept: ${scratch.dir}`);
  }
}

/** Basic accessibility faults in the current view: unlabelled controls, nameless buttons
 *  and links, canvases or SVGs without a name, duplicate ids, missing lang/title/h1. */
export function a11yProblems(page) {
  return page.evaluate(() => {
    const out = [];
    const name = (el) => (el.getAttribute('aria-label') || el.textContent || el.getAttribute('title') || '').trim();
    const label = (el) => (el.getAttribute('aria-label') || [...(el.labels || [])].map((l) => l.textContent).join(' ')).trim();
    for (const el of document.querySelectorAll('select, input, textarea')) if (!label(el)) out.push(`unlabelled ${el.tagName.toLowerCase()}#${el.id}`);
    for (const el of document.querySelectorAll('button, a[href]')) if (!name(el)) out.push(`nameless ${el.tagName.toLowerCase()} ${el.outerHTML.slice(0, 80)}`);
    for (const el of document.querySelectorAll('main canvas')) if (!el.getAttribute('aria-label')) out.push(`canvas without aria-label in #${el.parentElement.id}`);
    for (const el of document.querySelectorAll('main svg[role]')) if (!el.getAttribute('aria-label')) out.push('svg without aria-label');
    const ids = [...document.querySelectorAll('[id]')].map((e) => e.id);
    for (const id of new Set(ids.filter((x, i) => ids.indexOf(x) !== i))) out.push(`duplicate id ${id}`);
    if (!document.documentElement.lang) out.push('no lang on <html>');
    if (!document.title) out.push('no <title>');
    if (document.querySelectorAll('main h1').length !== 1) out.push(`${document.querySelectorAll('main h1').length} h1 in main`);
    return out;
  });
}
