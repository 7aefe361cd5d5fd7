/* psd_identities — PSD's balance identities, within 0.5 (1000 60-kg bags):
 *   production         = arabica_production + robusta_production + other_production
 *   total_supply       = beginning_stocks + production + imports
 *   total_distribution = exports + domestic_consumption + ending_stocks
 * Returns the rows breaking one (a NULL term never flags a row). */
AUDIT (
  name psd_identities
);

SELECT *
FROM @this_model
WHERE abs(production - (arabica_production + robusta_production + other_production)) > 0.5
   OR abs(total_supply - (beginning_stocks + production + imports)) > 0.5
   OR abs(total_distribution - (exports + domestic_consumption + ending_stocks)) > 0.5
