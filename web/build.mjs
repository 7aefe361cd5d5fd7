// build.mjs — builds web/dist/, the folder `materia serve` serves (MATERIA_WEB_DIR).
// No bundler: our ES modules from src/ are copied as they are, and the vendor libraries
// installed from npm (web/package.json, pinned; `npm ci` by scripts/bootstrap) are copied
// with their licences, so the browser fetches nothing from outside.
// The build fails when a vendor file is missing or when our own files name an external
// URL (src=, href=, url(), import, fetch of http(s)://...). Run: `cd web && npm run build`.
//
// Content-hashed names (issue 16), so that every asset can be cached for a year
// (`materia serve` sends `Cache-Control: immutable` for everything under assets/):
//   dist/index.html                   the only page; revalidated on every visit (no-cache +
//                                     ETag): it names the hashed files below
//   dist/assets/<h>/...               all our own files (app.js, pages/*.js, styles.css, ...)
//                                     in ONE directory named by a hash over all of them
//   dist/assets/vendor/<name>.<h>.<ext>  each vendor file named by its own content hash
//   dist/manifest.json                logical name -> hashed path (+ the npm package@version
//                                     of each vendor file)
//   dist/vendor/*.LICENSE.txt         the vendor licences (unhashed: not loaded by the page)
// Why one hashed directory for our modules rather than a hash per file: our modules import
// each other with relative specifiers ('./format.js', '../api.js'), static and dynamic.
// Keeping the tree as it is under one hashed directory keeps every such import working
// without parsing or rewriting JavaScript (no bundler, no import map, nothing the CSP would
// have to allow). The price: a change to any one of our files renames all of them (about
// 25 kB compressed) — vendor files, the bulk of the bytes, keep their names across builds.
// References to vendor files ("vendor/<name>", e.g. the map's fetch of the world atlas and
// index.html's <script src>) are rewritten to their hashed paths in our html/js/css; a
// "vendor/..." reference to a file the build does not provide fails the build.
// index.html also gets a <link rel="modulepreload"> for every module app.js imports
// statically (directly or not), so a slow network fetches the whole module graph at once
// instead of one import level per round trip.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.join(here, 'src');
const dist = path.join(here, 'dist');
const nm = path.join(here, 'node_modules');

// [package, file inside the package, logical name (vendor/<name>)]
const VENDOR = [
  ['chart.js', 'dist/chart.umd.min.js', 'chart.umd.min.js'],
  ['d3-array', 'dist/d3-array.min.js', 'd3-array.min.js'],
  ['d3-geo', 'dist/d3-geo.min.js', 'd3-geo.min.js'],
  ['topojson-client', 'dist/topojson-client.min.js', 'topojson-client.min.js'],
  ['world-atlas', 'countries-110m.json', 'countries-110m.json'],
];
const LICENCES = ['LICENSE', 'LICENSE.md', 'LICENSE.txt'];
// An external reference our own files might make; the SVG namespace is a name, not a fetch.
// A link a reader follows (<a href="https://...">, e.g. the methodology page's sources) is
// navigation, not a fetch: only the href="https://..." attribute of an <a> tag is taken out
// before the check (ANCHOR, ANCHOR_HREF), so every other external reference — including one
// in another attribute of the same <a> (style="background:url(https://...)") and src=,
// <link href=, url(), import, fetch — still fails the build.
const EXTERNAL = /(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?\/\/|url\(\s*["']?\s*(?:https?:)?\/\/|(?:import|from|fetch\()\s*["'`]\s*(?:https?:)?\/\/|@import/i;
const ANCHOR = /<a\s[^>]*>/gi;
const ANCHOR_HREF = /(\shref\s*=\s*)(?:"https?:\/\/[^"]*"|'https?:\/\/[^']*')/gi;
const TEXT = /\.(html|css|js|mjs|svg)$/;

function fail(msg) {
  console.error(`web/build: ${msg}`);
  process.exit(1);
}

const hash = (buf, n) => crypto.createHash('sha256').update(buf).digest('hex').slice(0, n);

// Every file under dir, as paths relative to it ('/'-separated), sorted.
function listTree(dir, rel = '') {
  const out = [];
  for (const ent of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${ent.name}` : ent.name;
    if (ent.isDirectory()) out.push(...listTree(dir, r));
    else out.push(r);
  }
  return out.sort();
}

// The modules a module imports statically (relative specifiers only), as paths under src/.
function staticImports(rel, files) {
  const text = files.get(rel).toString('utf8');
  const out = [];
  const re = /(?:^|[;\n])\s*(?:import|export)\s+(?:[^'"`;]*?\sfrom\s*)?["'](\.{1,2}\/[^"']+)["']/g;
  for (let m; (m = re.exec(text));) {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(rel), m[1]));
    if (!files.has(target)) fail(`${rel} imports ${m[1]}, which is not in src/`);
    out.push(target);
  }
  return out;
}

if (!fs.existsSync(nm)) fail(`${nm} is missing: run scripts/bootstrap (or npm ci in web/) first`);

// 1. Vendor files: hashed names.
const vendorPath = new Map(); // logical name -> dist-relative hashed path
const manifest = { assets: {}, vendor: {} };
const vendorFiles = [];
for (const [pkg, file, out] of VENDOR) {
  const pdir = path.join(nm, pkg);
  const from = path.join(pdir, file);
  if (!fs.existsSync(from)) fail(`${pkg}/${file} is missing: run npm ci in web/`);
  const body = fs.readFileSync(from);
  const ext = path.extname(out);
  const hashed = `assets/vendor/${out.slice(0, -ext.length)}.${hash(body, 12)}${ext}`;
  vendorPath.set(out, hashed);
  const version = JSON.parse(fs.readFileSync(path.join(pdir, 'package.json'), 'utf8')).version;
  manifest.vendor[`vendor/${out}`] = { path: hashed, package: `${pkg}@${version}` };
  const lic = LICENCES.map((l) => path.join(pdir, l)).find((l) => fs.existsSync(l));
  vendorFiles.push({ body, hashed, pkg, lic });
}

// 2. Our files, with vendor references rewritten and external ones refused.
const files = new Map(); // src-relative path -> Buffer
for (const rel of listTree(src)) {
  let body = fs.readFileSync(path.join(src, rel));
  if (TEXT.test(rel)) {
    let text = body.toString('utf8');
    const m = text.replace(ANCHOR, (tag) => tag.replace(ANCHOR_HREF, '$1""')).match(EXTERNAL);
    if (m) fail(`${rel} refers to an external URL (${m[0]}): serve it locally instead`);
    text = text.replace(/(["'`(])vendor\/([A-Za-z0-9._-]+)/g, (all, q, name) => {
      if (!vendorPath.has(name)) fail(`${rel} refers to vendor/${name}, which the build does not provide (VENDOR in build.mjs)`);
      return `${q}${vendorPath.get(name)}`;
    });
    body = Buffer.from(text, 'utf8');
  }
  files.set(rel, body);
}
if (!files.has('index.html') || !files.has('app.js')) fail('src/index.html and src/app.js are required');

// 3. One directory for our files (index.html excepted), named by a hash over all of them.
const h = crypto.createHash('sha256');
for (const [rel, body] of files) if (rel !== 'index.html') h.update(`${rel}\0${body.length}\0`).update(body);
const ourDir = `assets/${h.digest('hex').slice(0, 12)}`;
for (const rel of files.keys()) if (rel !== 'index.html') manifest.assets[rel] = `${ourDir}/${rel}`;

// 4. index.html: our files by their hashed paths, modulepreload for app.js's static graph.
let html = files.get('index.html').toString('utf8');
html = html.replace(/\b(src|href)="([^"#:?]+)"/g, (all, attr, ref) => {
  const rel = path.posix.normalize(ref.replace(/^\.\//, ''));
  return files.has(rel) && rel !== 'index.html' ? `${attr}="${ourDir}/${rel}"` : all;
});
const graph = [];
const seen = new Set(['app.js']);
for (const queue = ['app.js']; queue.length;) {
  for (const dep of staticImports(queue.shift(), files)) {
    if (!seen.has(dep)) { seen.add(dep); graph.push(dep); queue.push(dep); }
  }
}
const preload = graph.map((m) => `  <link rel="modulepreload" href="${ourDir}/${m}">\n`).join('');
const appTag = `<script type="module" src="${ourDir}/app.js"></script>`;
if (!html.includes(appTag)) fail('index.html must load app.js with <script type="module" src="app.js">');
html = html.replace(appTag, `${preload.trimStart()}  ${appTag}`);
files.set('index.html', Buffer.from(html, 'utf8'));

// 5. Write dist/ atomically: everything goes into a temporary directory (removed on any
// error), then the old dist/ is moved aside, the new one renamed into place, and the old
// one removed — at no point is there no complete dist/ (the old or the new).
const tmp = `${dist}.tmp-${process.pid}`;
const old = `${dist}.old-${process.pid}`;
fs.rmSync(tmp, { recursive: true, force: true });
let written = false;
try {
  const write = (rel, body) => {
    fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
    fs.writeFileSync(path.join(tmp, rel), body);
  };
  for (const [rel, body] of files) write(rel === 'index.html' ? rel : `${ourDir}/${rel}`, body);
  for (const v of vendorFiles) {
    write(v.hashed, v.body);
    if (v.lic) write(`vendor/${v.pkg}.LICENSE.txt`, fs.readFileSync(v.lic));
  }
  write('manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
  const hadDist = fs.existsSync(dist);
  if (hadDist) fs.renameSync(dist, old);
  try {
    fs.renameSync(tmp, dist);
  } catch (e) {
    if (hadDist) fs.renameSync(old, dist); // put the old dist/ back
    throw e;
  }
  written = true;
} finally {
  if (!written) fs.rmSync(tmp, { recursive: true, force: true });
}
fs.rmSync(old, { recursive: true, force: true });
console.log(`web/build: ${files.size} app files (${ourDir}) + ${VENDOR.length} vendor files -> ${path.relative(process.cwd(), dist) || '.'}`);
