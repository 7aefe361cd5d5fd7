/* foundation.psd_revisions — how each PSD estimate moved across landed releases.
 *
 * One row per (country_code, market_year, attribute, release_date) over every landed
 * release. If two landings share a release_date, the later-landed one stands for that
 * date. previous_value is the value in the previous release (by release_date) that had
 * the same key, change = value - previous_value; both NULL for a key's first release. */
MODEL (
  name foundation.psd_revisions,
  kind FULL,
  cron '@daily',
  grain (country_code, market_year, attribute, release_date),
  audits (
    not_null(columns := (country_code, market_year, attribute, release_date, value)),
    unique_combination_of_columns(columns := (country_code, market_year, attribute, release_date))
  ),
  description 'Every PSD coffee value per release date with the previous release''s value and the change.'
);

WITH per_release AS (
  SELECT
    country_code,
    market_year,
    attribute,
    release_date,
    arg_max(country_name, (landed_at, release_file)) AS country_name,
    arg_max(value, (landed_at, release_file)) AS value
  FROM staging.psd_coffee
  GROUP BY country_code, market_year, attribute, release_date
)
SELECT
  country_code,
  country_name,
  market_year,
  attribute,
  release_date,
  value,
  lag(value) OVER key_history AS previous_value,
  value - lag(value) OVER key_history AS change
FROM per_release
WINDOW key_history AS (PARTITION BY country_code, market_year, attribute ORDER BY release_date)
