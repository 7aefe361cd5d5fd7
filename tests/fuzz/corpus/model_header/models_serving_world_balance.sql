/* serving.world_balance — world totals per market year (ARCHITECTURE §3).
 *
 * PSD has no "World" row: world figures are sums over the countries of
 * serving.coffee_balance. reporting_countries = countries with a row that market year;
 * release_date = the newest release contributing. stocks_to_use_pct on the sums. */
MODEL (
  name serving.world_balance,
  kind FULL,
  cron '@daily',
  grain (market_year),
  audits (
    not_null(columns := (market_year, reporting_countries, release_date)),
    unique_values(columns := (market_year)),
    non_negative_quantities
  ),
  description 'World PSD coffee balance per market year: sums over countries (serving contract).'
);

SELECT
  market_year,
  sum(production) AS production,
  sum(arabica_production) AS arabica_production,
  sum(robusta_production) AS robusta_production,
  sum(other_production) AS other_production,
  sum(beginning_stocks) AS beginning_stocks,
  sum(imports) AS imports,
  sum(bean_imports) AS bean_imports,
  sum(exports) AS exports,
  sum(bean_exports) AS bean_exports,
  sum(domestic_consumption) AS domestic_consumption,
  sum(ending_stocks) AS ending_stocks,
  sum(total_supply) AS total_supply,
  sum(total_distribution) AS total_distribution,
  CASE
    WHEN coalesce(sum(domestic_consumption) + sum(exports), 0) = 0 THEN NULL
    ELSE sum(ending_stocks) / (sum(domestic_consumption) + sum(exports)) * 100
  END AS stocks_to_use_pct,
  count(DISTINCT country_code) AS reporting_countries,
  max(release_date) AS release_date
FROM serving.coffee_balance
GROUP BY market_year
ORDER BY market_year
