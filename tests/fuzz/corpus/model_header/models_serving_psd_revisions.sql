/* serving.psd_revisions — PSD estimates across releases (ARCHITECTURE §3).
 *
 * One row per (country_code, market_year, attribute, release_date): value, the value in
 * the previous release having that key (previous_value) and change = value -
 * previous_value (NULL for a key's first release). Built (and audited: grain, not-null
 * keys) by foundation.psd_revisions; this is a VIEW so the largest table of the project
 * is not written twice — the export copies it into serving.duckdb in this order. */
MODEL (
  name serving.psd_revisions,
  kind VIEW,
  cron '@daily',
  grain (country_code, market_year, attribute, release_date),
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
ORDER BY country_code, attribute, market_year, release_date
