/* serving.psd_revisions — PSD estimates across releases (ARCHITECTURE §3).
 *
 * One row per (country_code, market_year, attribute, release_date): value, the value in
 * the previous release having that key (previous_value) and change = value -
 * previous_value (NULL for a key's first release). Built by foundation.psd_revisions. */
MODEL (
  name serving.psd_revisions,
  kind FULL,
  cron '@daily',
  grain (country_code, market_year, attribute, release_date),
  audits (
    not_null(columns := (country_code, country_name, market_year, attribute, release_date, value)),
    unique_combination_of_columns(columns := (country_code, market_year, attribute, release_date))
  ),
  description 'How each PSD coffee estimate moved between releases (serving contract).'
);

SELECT
  country_code,
  country_name,
  market_year,
  attribute,
  release_date,
  value,
  previous_value,
  change
FROM foundation.psd_revisions
ORDER BY country_code, market_year, attribute, release_date
