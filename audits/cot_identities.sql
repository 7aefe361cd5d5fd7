/* cot_identities — the accounting identities of CFTC's Disaggregated report, on every row
 * (exact: positions are whole contracts). Returns the rows breaking one:
 *   tot_rept_long  + nonrept_long  = open_interest     (reportable + non-reportable)
 *   tot_rept_short + nonrept_short = open_interest
 *   tot_rept_long  = prod_merc_long  + swap_long  + managed_money_long  + other_rept_long
 *                    + swap_spread + managed_money_spread + other_rept_spread
 *   tot_rept_short = the same with the shorts (a spread is one long and one short)
 * A NULL term flags the row too: these figures are never suppressed.
 * Applies to foundation.cot_positioning (its columns). */
AUDIT (
  name cot_identities
);

SELECT *
FROM @this_model
WHERE (tot_rept_long + nonrept_long = open_interest) IS NOT TRUE
   OR (tot_rept_short + nonrept_short = open_interest) IS NOT TRUE
   OR (tot_rept_long = prod_merc_long + swap_long + managed_money_long + other_rept_long
       + swap_spread + managed_money_spread + other_rept_spread) IS NOT TRUE
   OR (tot_rept_short = prod_merc_short + swap_short + managed_money_short + other_rept_short
       + swap_spread + managed_money_spread + other_rept_spread) IS NOT TRUE
