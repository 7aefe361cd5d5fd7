// pages/methodology.js — #/methodology: where the numbers come from and how they are
// computed: sources (USDA PSD, CFTC COT), release schedule, units, marketing-year
// conventions, the coverage break (found in this snapshot's /api/world, format.js
// coverageOf), the formulas (both stocks-to-use measures, the COT index) and citation text
// with a link to PSD Online. The snapshot's release date comes from /health (api.health(),
// the one request the page makes for it).
import { api } from '../api.js';
import { coverageOf, esc, fmtDate, fmtMY, myStatus, STU } from '../format.js';

// Links a reader follows (navigation, never fetched by the page), written out as anchors:
// web/build.mjs lets <a href="https://..."> through its external-URL check and nothing else.
const PSD_ONLINE = 'https://apps.fas.usda.gov/psdonline/app/index.html#/app/advQuery';
const PSD_ONLINE_LINK = '<a href="https://apps.fas.usda.gov/psdonline/app/index.html#/app/advQuery" rel="external noopener" target="_blank">';
const PSD_DOWNLOADS_LINK = '<a href="https://apps.fas.usda.gov/psdonline/app/index.html#/app/downloads" rel="external noopener" target="_blank">';
const FAS_COFFEE_LINK = '<a href="https://www.fas.usda.gov/data/coffee-world-markets-and-trade" rel="external noopener" target="_blank">';
const CFTC_COT_LINK = '<a href="https://www.cftc.gov/MarketReports/CommitmentsofTraders/index.htm" rel="external noopener" target="_blank">';

const ext = (anchor, text) => `${anchor}${esc(text)}</a>`;

export async function render(ctx) {
  const [world, health] = await Promise.all([api.world(), api.health().catch(() => null)]);
  if (ctx.stale()) return;
  ctx.setTitle('Methodology');
  const cov = coverageOf(world.rows);
  const rows = world.rows.filter((r) => r.production !== null);
  const rel = (health && health.status === 'ok' && health.release_date) || (rows.length ? rows[rows.length - 1].release_date : null);
  const latest = rows.length ? rows[rows.length - 1].market_year : null;
  const before = cov.fullFrom !== null ? rows.find((r) => r.market_year === cov.fullFrom - 1) : null;
  const after = cov.fullFrom !== null ? rows.find((r) => r.market_year === cov.fullFrom) : null;
  const brk = cov.fullFrom !== null ? fmtMY(cov.fullFrom) : null;
  const statusRows = rows.slice(-3).map((r) => `<li>${fmtMY(r.market_year)}: USDA ${esc(myStatus(r.market_year, r.release_date) || 'status unknown')}</li>`).join('');
  const today = new Date().toISOString().slice(0, 10);
  ctx.main.innerHTML = `
    <h1>Methodology</h1>
    <p class="lede">Where every number on this dashboard comes from, and how the derived ones are computed.</p>
    <div class="prose" id="methodology">
    <section aria-labelledby="m-sources"><h2 id="m-sources">Sources</h2>
      <ul>
        <li><strong>USDA PSD</strong> — the U.S. Department of Agriculture’s Foreign Agricultural Service, Production, Supply and
          Distribution database, commodity “Coffee, Green”: one balance sheet per country and market year (production by type,
          stocks, trade, consumption). This snapshot holds the release of <strong id="m-release">${esc(fmtDate(rel))}</strong>.
          ${ext(PSD_ONLINE_LINK, 'PSD Online')} · ${ext(PSD_DOWNLOADS_LINK, 'PSD downloads')}.</li>
        <li><strong>CFTC COT</strong> — the U.S. Commodity Futures Trading Commission’s Commitments of Traders, disaggregated,
          futures only, for ICE Coffee C: weekly positions by trader category. ${ext(CFTC_COT_LINK, 'CFTC Commitments of Traders')}.</li>
      </ul>
      <p>PSD has no “World” row: world figures here are sums over the countries PSD reports each market year.</p>
    </section>
    <section aria-labelledby="m-schedule"><h2 id="m-schedule">Release schedule</h2>
      <p>USDA revises its coffee balance sheets twice a year, with the FAS report “Coffee: World Markets and Trade”
        (${ext(FAS_COFFEE_LINK, 'FAS coffee reports')}): in June, which adds the forecast of the coming market year, and in December,
        which updates it; the PSD database may change between reports. Every release landed is kept, so the
        <a href="#/revisions">Revisions</a> page shows how each figure moved. A key’s earliest value there is the
        <em>first stored value</em>: the first this system stored, not necessarily USDA’s first estimate.
        CFTC publishes Commitments of Traders every Friday for positions as of the Tuesday.</p>
    </section>
    <section aria-labelledby="m-units"><h2 id="m-units">Units</h2>
      <p>PSD publishes coffee in thousands of 60-kg bags of green coffee equivalent (“1000 bags”); the units switch shows metric
        tons instead, 1000 bags = 60 t. COT positions are in futures contracts of 37,500 lb (about 17 t).</p>
    </section>
    <section aria-labelledby="m-years"><h2 id="m-years">Marketing years</h2>
      <p>PSD numbers a coffee market year by the calendar year it ends in: PSD’s Market_Year 2023 is the market year
        <strong>2022/23</strong>, and this dashboard writes every market year that way — on axes, in tooltips, tables and files.
        The API keeps PSD’s integer (<code>market_year: 2023</code>). Each country reports on its local marketing year
        (Brazil: July–June; Colombia, Vietnam and most others: October–September); world sums add them as USDA does.</p>
      <p id="m-status"><strong>Forecast or estimate.</strong> A market year is marked a <em>USDA forecast</em> when it had not
        ended by the release date, taking the coffee year as October–September (market year N/N+1 ends on 30 September of
        N+1); otherwise it is an <em>estimate</em>. In this snapshot’s release:</p>
      <ul id="m-status-list">${statusRows}</ul>
    </section>
    <section aria-labelledby="m-coverage"><h2 id="m-coverage">Coverage breaks</h2>
      ${brk ? `<p id="m-break">The world series break at <strong>${brk}</strong>: PSD reports
        ${before ? before.reporting_countries : '—'} countries for ${before ? fmtMY(before.market_year) : 'the year before'} and
        ${after ? after.reporting_countries : '—'} from ${brk}, when USDA’s series for importing countries (the European Union,
        the United States, Japan and others) begin. Before it, world imports, consumption and ending stocks cover producing
        countries only, so they are not comparable with later years and their “world” shares are not world shares. Charts of
        those series mark the break with a dashed line; rankings before ${brk} hide the importer and consumer lists. The break
        is found in the data (the first market year from which every year has at least 90% of the most countries ever
        reporting), not set by hand.</p>` : '<p id="m-break">No coverage break in this snapshot’s world series.</p>'}
      <p>The first market years that only a handful of countries report${cov.firstWorld !== null && rows[0] && rows[0].market_year < cov.firstWorld ? ` (${fmtMY(rows[0].market_year)}: ${rows[0].reporting_countries} countries)` : ''}
        are not a world total and are not offered as one: world figures start in ${cov.firstWorld !== null ? fmtMY(cov.firstWorld) : '—'}.</p>
    </section>
    <section aria-labelledby="m-formulas"><h2 id="m-formulas">Formulas</h2>
      <ul id="m-formula-list">
        <li><strong>${esc(STU.cons.label)}</strong> = ${esc(STU.cons.formula)} × 100.</li>
        <li><strong>${esc(STU.use.label)}</strong> = ${esc(STU.use.formula)} × 100 (the API’s <code>stocks_to_use_pct</code>).</li>
        <li>Total supply = beginning stocks + production + imports; total distribution = exports + domestic consumption + ending stocks.</li>
        <li>Production = Arabica + Robusta + Other.</li>
        <li><strong>COT index</strong> = 100 × (net − min) ÷ (max − min), net = long − short, over the last N weekly reports
          (N = 26 or 52); undefined when fewer than N reports fall in those N × 7 days or max = min. 80 or more is read as
          extreme long, 20 or less as extreme short.</li>
      </ul>
    </section>
    <section aria-labelledby="m-cite"><h2 id="m-cite">Citation</h2>
      <blockquote id="m-citation">U.S. Department of Agriculture, Foreign Agricultural Service. Production, Supply and
        Distribution (PSD) Online, “Coffee, Green”, release of ${esc(fmtDate(rel))}${latest ? ` (market years to ${fmtMY(latest)})` : ''}.
        ${esc(PSD_ONLINE.replace(/#.*$/, ''))} (accessed ${esc(fmtDate(today))}).</blockquote>
      <p>${ext(PSD_ONLINE_LINK, 'Open PSD Online')}</p>
    </section>
    </div>`;
}
