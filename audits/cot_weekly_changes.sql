/* cot_weekly_changes — week-on-week changes where weeks are consecutive, NULL elsewhere.
 * Recomputes each row's previous report (by report_date) independently of the model and
 * returns the rows where:
 *   - the previous report is 7 days ± 3 earlier (4..10 days) and open_interest_change is
 *     not open_interest − previous open_interest, or differs from CFTC's own
 *     Change_in_Open_Interest_All (cftc_change_open_interest), or a category's
 *     c_net_change is not c_net − previous c_net or differs from CFTC's
 *     Change_in_c_Long_All − Change_in_c_Short_All;
 *   - there is no such previous report and a change is not NULL.
 * Applies to foundation.cot_positioning (its columns). */
AUDIT (
  name cot_weekly_changes
);

WITH p AS (
  SELECT
    *,
    report_date - lag(report_date) OVER w BETWEEN 4 AND 10 AS is_consecutive,
    lag(open_interest) OVER w AS prev_oi,
    lag(prod_merc_net) OVER w AS prev_pm,
    lag(swap_net) OVER w AS prev_sw,
    lag(managed_money_net) OVER w AS prev_mm,
    lag(other_rept_net) OVER w AS prev_or,
    lag(nonrept_net) OVER w AS prev_nr
  FROM @this_model
  WINDOW w AS (ORDER BY report_date)
)
SELECT *
FROM p
WHERE CASE
  WHEN is_consecutive THEN (
    open_interest_change = open_interest - prev_oi
    AND open_interest_change = cftc_change_open_interest
    AND prod_merc_net_change = prod_merc_net - prev_pm
    AND prod_merc_net_change = cftc_change_prod_merc_long - cftc_change_prod_merc_short
    AND swap_net_change = swap_net - prev_sw
    AND swap_net_change = cftc_change_swap_long - cftc_change_swap_short
    AND managed_money_net_change = managed_money_net - prev_mm
    AND managed_money_net_change = cftc_change_managed_money_long - cftc_change_managed_money_short
    AND other_rept_net_change = other_rept_net - prev_or
    AND other_rept_net_change = cftc_change_other_rept_long - cftc_change_other_rept_short
    AND nonrept_net_change = nonrept_net - prev_nr
    AND nonrept_net_change = cftc_change_nonrept_long - cftc_change_nonrept_short
  ) IS NOT TRUE
  ELSE open_interest_change IS NOT NULL OR prod_merc_net_change IS NOT NULL
    OR swap_net_change IS NOT NULL OR managed_money_net_change IS NOT NULL
    OR other_rept_net_change IS NOT NULL OR nonrept_net_change IS NOT NULL
END
