/* serving.cot_index — the COT index of Coffee C: Managed Money's and Producer/Merchant's
 * net position normalised to 0–100 over trailing 26- and 52-report windows (serving
 * contract, docs/ARCHITECTURE.md §3). One row per report date of cot_positioning.
 *
 * For a report date d, a category's net (long − short) and N in (26, 52):
 *   W    = the N most recent reports up to and including d (by report_date)
 *   index_N(d) = 100 * (net(d) − min_W(net)) / (max_W(net) − min_W(net))
 * and index_N(d) is NULL when
 *   - W does not lie within the N*7 days ending at d, i.e. fewer than N reports have
 *     report_date in (d − 7N days, d] (the oldest of the N is on or before d − 7N days,
 *     or there are fewer than N reports at all): a gap such as the missing 2022 file or
 *     a single skipped week gives NULLs until N reports fit again, never an index over a
 *     stretched window (N weekly reports span 7(N−1) days; a report moved by a holiday
 *     stays inside);
 *   - max_W(net) = min_W(net) (no range to normalise over).
 * So 0 = the most short (least long) the category was over the window, 100 = the most
 * long; the window includes d itself. Computed on the whole history: a few hundred rows, and a
 * new or corrected week moves the next 51 reports' windows. A VIEW (foundation.cot_positioning's
 * header says why); the export stores it as a table in serving.duckdb. */
MODEL (
  name serving.cot_index,
  kind VIEW,
  cron '@daily',
  grain (report_date),
  audits (
    not_null(columns := (report_date, managed_money_net, prod_merc_net)),
    unique_values(columns := (report_date)),
    accepted_range(column := managed_money_index_26w, min_v := 0, max_v := 100),
    accepted_range(column := managed_money_index_52w, min_v := 0, max_v := 100),
    accepted_range(column := prod_merc_index_26w, min_v := 0, max_v := 100),
    accepted_range(column := prod_merc_index_52w, min_v := 0, max_v := 100)
  ),
  description 'COT index of Coffee C: managed money and producer/merchant net positions scaled to 0-100 over the trailing 26 and 52 weekly reports (serving contract).'
);

-- (net, its window's min and max, the window's report count and oldest date, N) -> index
@DEF(cot_index, (net, lo, hi, n_reports, oldest, n) ->
  CASE
    WHEN n_reports = n AND report_date - oldest < 7 * n AND hi > lo
    THEN 100.0 * (net - lo) / (hi - lo)
  END);

WITH w AS (
  SELECT
    report_date,
    managed_money_net,
    prod_merc_net,
    count(*) OVER w26 AS n_26,
    min(report_date) OVER w26 AS oldest_26,
    min(managed_money_net) OVER w26 AS mm_min_26,
    max(managed_money_net) OVER w26 AS mm_max_26,
    min(prod_merc_net) OVER w26 AS pm_min_26,
    max(prod_merc_net) OVER w26 AS pm_max_26,
    count(*) OVER w52 AS n_52,
    min(report_date) OVER w52 AS oldest_52,
    min(managed_money_net) OVER w52 AS mm_min_52,
    max(managed_money_net) OVER w52 AS mm_max_52,
    min(prod_merc_net) OVER w52 AS pm_min_52,
    max(prod_merc_net) OVER w52 AS pm_max_52
  FROM foundation.cot_positioning
  WINDOW
    w26 AS (ORDER BY report_date ROWS BETWEEN 25 PRECEDING AND CURRENT ROW),
    w52 AS (ORDER BY report_date ROWS BETWEEN 51 PRECEDING AND CURRENT ROW)
)
SELECT
  report_date,
  managed_money_net,
  CAST(@cot_index(managed_money_net, mm_min_26, mm_max_26, n_26, oldest_26, 26) AS DOUBLE) AS managed_money_index_26w,
  CAST(@cot_index(managed_money_net, mm_min_52, mm_max_52, n_52, oldest_52, 52) AS DOUBLE) AS managed_money_index_52w,
  prod_merc_net,
  CAST(@cot_index(prod_merc_net, pm_min_26, pm_max_26, n_26, oldest_26, 26) AS DOUBLE) AS prod_merc_index_26w,
  CAST(@cot_index(prod_merc_net, pm_min_52, pm_max_52, n_52, oldest_52, 52) AS DOUBLE) AS prod_merc_index_52w
FROM w
ORDER BY report_date
