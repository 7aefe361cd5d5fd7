/* staging.cot_coffee — CFTC's Coffee C rows parsed and typed, one row per report date.
 *
 * CFTC's quirks, handled here once (/work/shared/data/cftc-cot/README.md, "The format"):
 * - numbers are left-padded with spaces ("  194266"): trimmed, then cast — strictly, so any
 *   other text stops the run instead of becoming NULL;
 * - `.` marks a suppressed value (some trader counts): NULL;
 * - codes carry trailing spaces (CFTC_Commodity_Code "083 "): trimmed; the contract market
 *   code stays text ('083731', leading zero kept);
 * - CRLF line ends: read_csv's line splitting takes the \r (raw's last field is "FutOnly");
 * - the double-underscore names (Swap__Positions_Short_All) are mapped to plain snake_case;
 * - report dates are Tuesdays except when a holiday moves them (2018-12-31 is a Monday):
 *   report_date is CFTC's Report_Date_as_YYYY-MM-DD as published, never snapped to a
 *   weekday; the week-on-week rules downstream allow 7 days ± 3 for that reason.
 * Only the `_All` figures (all crop years) are typed: positions, CFTC's own week-on-week
 * changes (Change_in_*), percent of open interest (Pct_of_OI_*, 0-100 as published) and
 * trader counts. raw.cot_coffee keeps the `_Old`/`_Other` columns and the concentration
 * ratios as published.
 *
 * One row per report date: a date present in several landed files (the current year's file
 * is re-published weekly, and after corrections) takes the row of the latest publication:
 * newest release_date (the publication date from the landing's meta), then latest
 * landed_at, then source_file. Incremental by key: a run looks at the report dates of the
 * files landed in its intervals and, for those dates only, at every landed row (raw is a
 * few hundred rows a year), so a back-filled older publication never overwrites a newer one.
 * The first run (one interval from `start`) sees every landing. */
MODEL (
  name staging.cot_coffee,
  kind INCREMENTAL_BY_UNIQUE_KEY (
    unique_key (report_date)
  ),
  start '2000-01-01',
  cron '@daily',
  allow_partials true,
  grain (report_date),
  audits (
    not_null(columns := (report_date, contract_market_code, open_interest, source_file, release_date, landed_at)),
    unique_values(columns := (report_date)),
    accepted_values(column := contract_market_code, is_in := ('083731'))
  ),
  description 'CFTC Disaggregated Futures-Only Coffee C (083731) figures, all crop years, typed; one row per report date from its latest publication.'
);

@DEF(pos, x -> CAST(nullif(trim(x), '.') AS BIGINT));
@DEF(cnt, x -> CAST(nullif(trim(x), '.') AS INTEGER));
@DEF(pct, x -> CAST(nullif(trim(x), '.') AS DOUBLE));

WITH new_dates AS (
  SELECT DISTINCT CAST(trim("Report_Date_as_YYYY-MM-DD") AS DATE) AS report_date
  FROM raw.cot_coffee
  WHERE landed_at BETWEEN @start_ts AND @end_ts
),
latest AS (
  -- every landed row of those dates; the latest publication of each
  SELECT r.*, CAST(trim(r."Report_Date_as_YYYY-MM-DD") AS DATE) AS report_date
  FROM raw.cot_coffee AS r
  WHERE CAST(trim(r."Report_Date_as_YYYY-MM-DD") AS DATE) IN (SELECT report_date FROM new_dates)
  QUALIFY row_number() OVER (
    PARTITION BY CAST(trim(r."Report_Date_as_YYYY-MM-DD") AS DATE)
    ORDER BY r.release_date DESC, r.landed_at DESC, r.source_file DESC
  ) = 1
)
SELECT
  report_date,
  strptime(trim(As_of_Date_In_Form_YYMMDD), '%y%m%d')::DATE AS as_of_date,
  trim(Market_and_Exchange_Names) AS market_name,
  trim(CFTC_Contract_Market_Code) AS contract_market_code,
  trim(CFTC_Market_Code) AS market_code,
  trim(CFTC_Region_Code) AS region_code,
  trim(CFTC_Commodity_Code) AS commodity_code,
  trim(Contract_Units) AS contract_units,
  @pos(Open_Interest_All) AS open_interest,
  @pos(Prod_Merc_Positions_Long_All) AS prod_merc_long,
  @pos(Prod_Merc_Positions_Short_All) AS prod_merc_short,
  @pos(Swap_Positions_Long_All) AS swap_long,
  @pos(Swap__Positions_Short_All) AS swap_short,
  @pos(Swap__Positions_Spread_All) AS swap_spread,
  @pos(M_Money_Positions_Long_All) AS managed_money_long,
  @pos(M_Money_Positions_Short_All) AS managed_money_short,
  @pos(M_Money_Positions_Spread_All) AS managed_money_spread,
  @pos(Other_Rept_Positions_Long_All) AS other_rept_long,
  @pos(Other_Rept_Positions_Short_All) AS other_rept_short,
  @pos(Other_Rept_Positions_Spread_All) AS other_rept_spread,
  @pos(Tot_Rept_Positions_Long_All) AS tot_rept_long,
  @pos(Tot_Rept_Positions_Short_All) AS tot_rept_short,
  @pos(NonRept_Positions_Long_All) AS nonrept_long,
  @pos(NonRept_Positions_Short_All) AS nonrept_short,
  @pos(Change_in_Open_Interest_All) AS cftc_change_open_interest,
  @pos(Change_in_Prod_Merc_Long_All) AS cftc_change_prod_merc_long,
  @pos(Change_in_Prod_Merc_Short_All) AS cftc_change_prod_merc_short,
  @pos(Change_in_Swap_Long_All) AS cftc_change_swap_long,
  @pos(Change_in_Swap_Short_All) AS cftc_change_swap_short,
  @pos(Change_in_Swap_Spread_All) AS cftc_change_swap_spread,
  @pos(Change_in_M_Money_Long_All) AS cftc_change_managed_money_long,
  @pos(Change_in_M_Money_Short_All) AS cftc_change_managed_money_short,
  @pos(Change_in_M_Money_Spread_All) AS cftc_change_managed_money_spread,
  @pos(Change_in_Other_Rept_Long_All) AS cftc_change_other_rept_long,
  @pos(Change_in_Other_Rept_Short_All) AS cftc_change_other_rept_short,
  @pos(Change_in_Other_Rept_Spread_All) AS cftc_change_other_rept_spread,
  @pos(Change_in_Tot_Rept_Long_All) AS cftc_change_tot_rept_long,
  @pos(Change_in_Tot_Rept_Short_All) AS cftc_change_tot_rept_short,
  @pos(Change_in_NonRept_Long_All) AS cftc_change_nonrept_long,
  @pos(Change_in_NonRept_Short_All) AS cftc_change_nonrept_short,
  @pct(Pct_of_OI_Prod_Merc_Long_All) AS prod_merc_long_pct_oi,
  @pct(Pct_of_OI_Prod_Merc_Short_All) AS prod_merc_short_pct_oi,
  @pct(Pct_of_OI_Swap_Long_All) AS swap_long_pct_oi,
  @pct(Pct_of_OI_Swap_Short_All) AS swap_short_pct_oi,
  @pct(Pct_of_OI_Swap_Spread_All) AS swap_spread_pct_oi,
  @pct(Pct_of_OI_M_Money_Long_All) AS managed_money_long_pct_oi,
  @pct(Pct_of_OI_M_Money_Short_All) AS managed_money_short_pct_oi,
  @pct(Pct_of_OI_M_Money_Spread_All) AS managed_money_spread_pct_oi,
  @pct(Pct_of_OI_Other_Rept_Long_All) AS other_rept_long_pct_oi,
  @pct(Pct_of_OI_Other_Rept_Short_All) AS other_rept_short_pct_oi,
  @pct(Pct_of_OI_Other_Rept_Spread_All) AS other_rept_spread_pct_oi,
  @pct(Pct_of_OI_NonRept_Long_All) AS nonrept_long_pct_oi,
  @pct(Pct_of_OI_NonRept_Short_All) AS nonrept_short_pct_oi,
  @cnt(Traders_Tot_All) AS traders_total,
  @cnt(Traders_Prod_Merc_Long_All) AS prod_merc_traders_long,
  @cnt(Traders_Prod_Merc_Short_All) AS prod_merc_traders_short,
  @cnt(Traders_Swap_Long_All) AS swap_traders_long,
  @cnt(Traders_Swap_Short_All) AS swap_traders_short,
  @cnt(Traders_Swap_Spread_All) AS swap_traders_spread,
  @cnt(Traders_M_Money_Long_All) AS managed_money_traders_long,
  @cnt(Traders_M_Money_Short_All) AS managed_money_traders_short,
  @cnt(Traders_M_Money_Spread_All) AS managed_money_traders_spread,
  @cnt(Traders_Other_Rept_Long_All) AS other_rept_traders_long,
  @cnt(Traders_Other_Rept_Short_All) AS other_rept_traders_short,
  @cnt(Traders_Other_Rept_Spread_All) AS other_rept_traders_spread,
  @cnt(Traders_Tot_Rept_Long_All) AS tot_rept_traders_long,
  @cnt(Traders_Tot_Rept_Short_All) AS tot_rept_traders_short,
  source_file,
  release_date,
  etag,
  landed_at,
  source_year
FROM latest
ORDER BY report_date
