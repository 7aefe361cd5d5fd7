// server.mjs — the Node.js comparison peer for bench/web: GET /api/balance/{cc} and
// GET /api/world with the same JSON shape as `materia serve` (ARCHITECTURE §5), written
// the way a team would: node:http + @duckdb/node-api, one read-only instance, a small pool
// of connections with prepared statements, JSON from the row objects. No cache.
// Usage: node server.mjs SERVING_DUCKDB_PATH PORT
import http from 'node:http';
import { DuckDBInstance } from '@duckdb/node-api';

const [path, port] = [process.argv[2], Number(process.argv[3] || 18082)];
const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY', threads: '1' });
const BALANCE = `SELECT country_code, country_name, iso3, region, market_year, production,
  arabica_production, robusta_production, other_production, beginning_stocks, imports, bean_imports,
  exports, bean_exports, domestic_consumption, ending_stocks, total_supply, total_distribution,
  stocks_to_use_pct, CAST(release_date AS VARCHAR) AS release_date
  FROM coffee_balance WHERE country_code = $1 ORDER BY market_year`;
const COUNTRY = 'SELECT country_code, country_name, iso3, region FROM countries WHERE country_code = $1';
const WORLD = `SELECT market_year, production, arabica_production, robusta_production, other_production,
  beginning_stocks, imports, bean_imports, exports, bean_exports, domestic_consumption, ending_stocks,
  total_supply, total_distribution, stocks_to_use_pct, reporting_countries,
  CAST(release_date AS VARCHAR) AS release_date FROM world_balance ORDER BY market_year`;

const pool = [];
for (let i = 0; i < 4; i++) {
  const con = await instance.connect();
  pool.push({ con, balance: await con.prepare(BALANCE), country: await con.prepare(COUNTRY),
              world: await con.prepare(WORLD) });
}
const waiters = [];
const take = () => pool.length ? Promise.resolve(pool.pop()) : new Promise((r) => waiters.push(r));
const give = (c) => (waiters.length ? waiters.shift()(c) : pool.push(c));

async function rows(stmt, cc) {
  if (cc !== undefined) stmt.bindVarchar(1, cc);
  const reader = await stmt.runAndReadAll();
  return reader.getRowObjectsJson();
}

http.createServer(async (req, res) => {
  const m = /^\/api\/balance\/([A-Z0-9]{2})$/.exec(req.url);
  if (!m && req.url !== '/api/world') {
    res.writeHead(404, { 'Content-Type': 'application/json' });
    return res.end('{"error":"not found"}');
  }
  const c = await take();
  try {
    let body;
    if (m) {
      const country = await rows(c.country, m[1]);
      if (!country.length) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        return res.end('{"error":"no such country","parameter":"country_code"}');
      }
      body = JSON.stringify({ country: country[0], rows: await rows(c.balance, m[1]) });
    } else {
      body = JSON.stringify({ rows: await rows(c.world) });
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(body + '\n');
  } catch (e) {
    res.writeHead(500, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error: String(e) }));
  } finally {
    give(c);
  }
}).listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}`));
