// build.mjs — builds web/dist/, the folder `materia serve` serves (MATERIA_WEB_DIR).
// No bundler: our ES modules from src/ are copied as they are, and the vendor libraries
// installed from npm (web/package.json, pinned; `npm ci` by scripts/bootstrap) are copied
// into dist/vendor/ with their licences, so the browser fetches nothing from outside.
// The build fails when a vendor file is missing or when our own files name an external
// URL (src=, href=, url(), import, fetch of http(s)://...). Run: `cd web && npm run build`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.join(here, 'src');
const dist = path.join(here, 'dist');
const nm = path.join(here, 'node_modules');

// [package, file inside the package, name in dist/vendor]
const VENDOR = [
  ['chart.js', 'dist/chart.umd.min.js', 'chart.umd.min.js'],
  ['d3-array', 'dist/d3-array.min.js', 'd3-array.min.js'],
  ['d3-geo', 'dist/d3-geo.min.js', 'd3-geo.min.js'],
  ['topojson-client', 'dist/topojson-client.min.js', 'topojson-client.min.js'],
  ['world-atlas', 'countries-110m.json', 'countries-110m.json'],
];
const LICENCES = ['LICENSE', 'LICENSE.md', 'LICENSE.txt'];
// An external reference our own files might make; the SVG namespace is a name, not a fetch.
const EXTERNAL = /(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?\/\/|url\(\s*["']?\s*(?:https?:)?\/\/|(?:import|from|fetch\()\s*["'`]\s*(?:https?:)?\/\/|@import/i;

function fail(msg) {
  console.error(`web/build: ${msg}`);
  process.exit(1);
}

function copyTree(from, to, list) {
  fs.mkdirSync(to, { recursive: true });
  for (const ent of fs.readdirSync(from, { withFileTypes: true })) {
    const a = path.join(from, ent.name), b = path.join(to, ent.name);
    if (ent.isDirectory()) copyTree(a, b, list);
    else { fs.copyFileSync(a, b); list.push(b); }
  }
}

if (!fs.existsSync(nm)) fail(`${nm} is missing: run scripts/bootstrap (or npm ci in web/) first`);
const tmp = `${dist}.tmp-${process.pid}`;
fs.rmSync(tmp, { recursive: true, force: true });
const ours = [];
copyTree(src, tmp, ours);
for (const f of ours) {
  if (!/\.(html|css|js|mjs|svg)$/.test(f)) continue;
  const text = fs.readFileSync(f, 'utf8');
  const m = text.match(EXTERNAL);
  if (m) fail(`${path.relative(tmp, f)} refers to an external URL (${m[0]}): serve it locally instead`);
}
const vdir = path.join(tmp, 'vendor');
fs.mkdirSync(vdir, { recursive: true });
const manifest = {};
for (const [pkg, file, out] of VENDOR) {
  const pdir = path.join(nm, pkg);
  const from = path.join(pdir, file);
  if (!fs.existsSync(from)) fail(`${pkg}/${file} is missing: run npm ci in web/`);
  fs.copyFileSync(from, path.join(vdir, out));
  const version = JSON.parse(fs.readFileSync(path.join(pdir, 'package.json'), 'utf8')).version;
  manifest[out] = `${pkg}@${version}`;
  const lic = LICENCES.map((l) => path.join(pdir, l)).find((l) => fs.existsSync(l));
  if (lic) fs.copyFileSync(lic, path.join(vdir, `${pkg}.LICENSE.txt`));
}
fs.writeFileSync(path.join(vdir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
fs.rmSync(dist, { recursive: true, force: true });
fs.renameSync(tmp, dist);
console.log(`web/build: ${ours.length} app files + ${VENDOR.length} vendor files -> ${path.relative(process.cwd(), dist) || '.'}`);
