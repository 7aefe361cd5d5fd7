/* serving.countries — every FAS country in the landed data with its ISO codes and region.
 *
 * Names come from the newest release mentioning the country; ISO codes and region from
 * seeds.fas_country_iso (a code missing from the seed still appears, with NULLs).
 * iso_numeric is 3-digit text with leading zeros (world-atlas TopoJSON ids). */
MODEL (
  name serving.countries,
  kind FULL,
  cron '@daily',
  grain (country_code),
  audits (
    not_null(columns := (country_code, country_name)),
    unique_values(columns := (country_code))
  ),
  description 'FAS countries in the PSD coffee data with ISO 3166-1 codes and region (serving contract, docs/ARCHITECTURE.md §3).'
);

WITH names AS (
  -- a country's name in the newest release that has it: foundation.coffee_balance holds,
  -- per (country, market year), the newest release having that key, so the newest over a
  -- country's market years is the newest release having the country (4k rows to read,
  -- not every staging row of every release)
  SELECT
    country_code,
    arg_max(country_name, (release_date, landed_at, release_file)) AS country_name
  FROM foundation.coffee_balance
  GROUP BY country_code
)
SELECT
  n.country_code,
  n.country_name,
  CAST(s.iso2 AS VARCHAR) AS iso2,
  CAST(s.iso3 AS VARCHAR) AS iso3,
  lpad(CAST(s.iso_numeric AS VARCHAR), 3, '0') AS iso_numeric,
  CAST(s.region AS VARCHAR) AS region
FROM names AS n
LEFT JOIN seeds.fas_country_iso AS s
  ON CAST(s.country_code AS VARCHAR) = n.country_code
ORDER BY n.country_code
