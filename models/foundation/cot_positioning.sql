/* foundation.cot_positioning — Coffee C positioning per report date, with net positions and
 * week-on-week changes, from staging.cot_coffee (one row per report date, latest publication).
 *
 * For each trader category c (prod_merc, swap, managed_money, other_rept, nonrept):
 *   c_net        = c_long − c_short (spreads are both long and short: they cancel)
 *   c_net_change = c_net − the previous report's c_net, when the previous report (by
 *                  report_date) is 7 days ± 3 earlier — i.e. report_date − previous date
 *                  in [4, 10] days; otherwise NULL (the first report, or a gap such as
 *                  the missing 2022 file: no change is made up across it)
 *   open_interest_change: the same rule on open_interest.
 * ±3 days because a holiday moves a report off its Tuesday (2018-12-24 and 2018-12-31 are
 * Mondays) and the following one back; a skipped week (14 days) is a gap.
 * CFTC's own Change_in_* columns are kept (cftc_change_*): the audit cot_weekly_changes
 * holds ours equal to them wherever ours is not NULL, and cot_identities holds reported +
 * non-reportable = open interest (long and short) and the category sums on every row.
 *
 * Computed on the whole history, not incremental: a change needs the previous report, and a
 * new or corrected week changes the next one's change too. A VIEW, not a table: the history
 * is ~52 rows a year, computing it costs a few milliseconds, while storing 65 columns again
 * on every daily run cost ~0.1 s of DuckDB's checkpoint (bench/cot; the same for the two
 * serving COT models built on it). Its audits run on the view each run; the export copies
 * the serving views into serving.duckdb as tables. staging.cot_coffee is where the
 * incremental work happens. */
MODEL (
  name foundation.cot_positioning,
  kind VIEW,
  cron '@daily',
  grain (report_date),
  audits (
    not_null(columns := (report_date, open_interest, source_file, landed_at)),
    unique_values(columns := (report_date)),
    cot_identities,
    cot_weekly_changes
  ),
  description 'CFTC COT Coffee C positions per report date (all crop years): long/short/spread/net per trader category, week-on-week changes, percent of open interest, trader counts.'
);

WITH s AS (
  SELECT
    *,
    report_date - lag(report_date) OVER by_date BETWEEN 4 AND 10 AS consecutive,
    lag(open_interest) OVER by_date AS previous_open_interest,
    lag(prod_merc_long - prod_merc_short) OVER by_date AS previous_prod_merc_net,
    lag(swap_long - swap_short) OVER by_date AS previous_swap_net,
    lag(managed_money_long - managed_money_short) OVER by_date AS previous_managed_money_net,
    lag(other_rept_long - other_rept_short) OVER by_date AS previous_other_rept_net,
    lag(nonrept_long - nonrept_short) OVER by_date AS previous_nonrept_net
  FROM staging.cot_coffee
  WINDOW by_date AS (ORDER BY report_date)
)
SELECT
  report_date,
  open_interest,
  CASE WHEN consecutive THEN open_interest - previous_open_interest END AS open_interest_change,
  prod_merc_long,
  prod_merc_short,
  CAST(NULL AS BIGINT) AS prod_merc_spread,
  prod_merc_long - prod_merc_short AS prod_merc_net,
  CASE WHEN consecutive THEN prod_merc_long - prod_merc_short - previous_prod_merc_net END AS prod_merc_net_change,
  prod_merc_long_pct_oi,
  prod_merc_short_pct_oi,
  prod_merc_traders_long,
  prod_merc_traders_short,
  swap_long,
  swap_short,
  swap_spread,
  swap_long - swap_short AS swap_net,
  CASE WHEN consecutive THEN swap_long - swap_short - previous_swap_net END AS swap_net_change,
  swap_long_pct_oi,
  swap_short_pct_oi,
  swap_traders_long,
  swap_traders_short,
  managed_money_long,
  managed_money_short,
  managed_money_spread,
  managed_money_long - managed_money_short AS managed_money_net,
  CASE WHEN consecutive THEN managed_money_long - managed_money_short - previous_managed_money_net END AS managed_money_net_change,
  managed_money_long_pct_oi,
  managed_money_short_pct_oi,
  managed_money_traders_long,
  managed_money_traders_short,
  other_rept_long,
  other_rept_short,
  other_rept_spread,
  other_rept_long - other_rept_short AS other_rept_net,
  CASE WHEN consecutive THEN other_rept_long - other_rept_short - previous_other_rept_net END AS other_rept_net_change,
  other_rept_long_pct_oi,
  other_rept_short_pct_oi,
  other_rept_traders_long,
  other_rept_traders_short,
  nonrept_long,
  nonrept_short,
  CAST(NULL AS BIGINT) AS nonrept_spread,
  nonrept_long - nonrept_short AS nonrept_net,
  CASE WHEN consecutive THEN nonrept_long - nonrept_short - previous_nonrept_net END AS nonrept_net_change,
  nonrept_long_pct_oi,
  nonrept_short_pct_oi,
  CAST(NULL AS INTEGER) AS nonrept_traders_long,
  CAST(NULL AS INTEGER) AS nonrept_traders_short,
  traders_total,
  tot_rept_long,
  tot_rept_short,
  cftc_change_open_interest,
  cftc_change_prod_merc_long,
  cftc_change_prod_merc_short,
  cftc_change_swap_long,
  cftc_change_swap_short,
  cftc_change_managed_money_long,
  cftc_change_managed_money_short,
  cftc_change_other_rept_long,
  cftc_change_other_rept_short,
  cftc_change_nonrept_long,
  cftc_change_nonrept_short,
  source_file,
  release_date,
  landed_at
FROM s
ORDER BY report_date
