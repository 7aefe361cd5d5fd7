/* non_negative_quantities — no balance-sheet quantity may be negative.
 * Applies to any model with the serving.coffee_balance quantity columns. */
AUDIT (
  name non_negative_quantities
);

SELECT *
FROM @this_model
WHERE production < 0
   OR arabica_production < 0
   OR robusta_production < 0
   OR other_production < 0
   OR beginning_stocks < 0
   OR imports < 0
   OR bean_imports < 0
   OR exports < 0
   OR bean_exports < 0
   OR domestic_consumption < 0
   OR ending_stocks < 0
   OR total_supply < 0
   OR total_distribution < 0
