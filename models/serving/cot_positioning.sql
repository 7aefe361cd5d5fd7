/* serving.cot_positioning — CFTC Commitments of Traders for Coffee C, one row per report
 * date (serving contract, docs/ARCHITECTURE.md §3; built and audited by
 * foundation.cot_positioning, which also keeps CFTC's own change columns).
 *
 * `_All` figures (all crop years), positions in contracts of 37,500 lb. For each category c
 * in prod_merc, swap, managed_money, other_rept, nonrept: c_long, c_short, c_spread (NULL
 * for prod_merc and nonrept, which have none), c_net = long − short, c_net_change and
 * open_interest_change vs the previous report when it is 7 days ± 3 earlier (else NULL),
 * c_long_pct_oi / c_short_pct_oi in percent (0–100, as CFTC publishes them), trader counts
 * (NULL where CFTC prints `.`, and for nonrept). source_file is the landing file the row
 * came from (relative to LANDING_DIR), landed_at when it landed. A VIEW (read the header of
 * foundation.cot_positioning for why); the export stores it as a table in serving.duckdb. */
MODEL (
  name serving.cot_positioning,
  kind VIEW,
  cron '@daily',
  grain (report_date),
  audits (
    not_null(columns := (report_date, open_interest, source_file, landed_at)),
    unique_values(columns := (report_date))
  ),
  description 'CFTC COT Coffee C positioning per report date: open interest, long/short/spread/net, changes, percent of open interest and trader counts per category (serving contract).'
);

SELECT
  report_date,
  open_interest,
  open_interest_change,
  prod_merc_long, prod_merc_short, prod_merc_spread, prod_merc_net, prod_merc_net_change,
  prod_merc_long_pct_oi, prod_merc_short_pct_oi, prod_merc_traders_long, prod_merc_traders_short,
  swap_long, swap_short, swap_spread, swap_net, swap_net_change,
  swap_long_pct_oi, swap_short_pct_oi, swap_traders_long, swap_traders_short,
  managed_money_long, managed_money_short, managed_money_spread, managed_money_net, managed_money_net_change,
  managed_money_long_pct_oi, managed_money_short_pct_oi, managed_money_traders_long, managed_money_traders_short,
  other_rept_long, other_rept_short, other_rept_spread, other_rept_net, other_rept_net_change,
  other_rept_long_pct_oi, other_rept_short_pct_oi, other_rept_traders_long, other_rept_traders_short,
  nonrept_long, nonrept_short, nonrept_spread, nonrept_net, nonrept_net_change,
  nonrept_long_pct_oi, nonrept_short_pct_oi, nonrept_traders_long, nonrept_traders_short,
  traders_total,
  source_file,
  landed_at
FROM foundation.cot_positioning
ORDER BY report_date
