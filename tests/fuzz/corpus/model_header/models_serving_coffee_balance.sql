/* serving.coffee_balance — the balance sheet the dashboard and API read (ARCHITECTURE §3).
 *
 * One row per (country_code, market_year) from the newest release; quantities in 1000
 * 60-kg bags as PSD publishes them. stocks_to_use_pct = ending_stocks /
 * (domestic_consumption + exports) * 100, NULL when that denominator is 0 (or NULL). */
MODEL (
  name serving.coffee_balance,
  kind FULL,
  cron '@daily',
  grain (country_code, market_year),
  audits (
    not_null(columns := (country_code, country_name, market_year, release_date)),
    unique_combination_of_columns(columns := (country_code, market_year)),
    non_negative_quantities,
    psd_identities
  ),
  description 'PSD coffee balance per country and market year, newest release (serving contract).'
);

SELECT
  b.country_code,
  b.country_name,
  c.iso3,
  c.region,
  b.market_year,
  b.production,
  b.arabica_production,
  b.robusta_production,
  b.other_production,
  b.beginning_stocks,
  b.imports,
  b.bean_imports,
  b.exports,
  b.bean_exports,
  b.domestic_consumption,
  b.ending_stocks,
  b.total_supply,
  b.total_distribution,
  CASE
    WHEN coalesce(b.domestic_consumption + b.exports, 0) = 0 THEN NULL
    ELSE b.ending_stocks / (b.domestic_consumption + b.exports) * 100
  END AS stocks_to_use_pct,
  b.release_date
FROM foundation.coffee_balance AS b
LEFT JOIN serving.countries AS c ON c.country_code = b.country_code
ORDER BY b.country_code, b.market_year
