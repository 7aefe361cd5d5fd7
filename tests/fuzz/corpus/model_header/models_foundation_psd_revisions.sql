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

WITH landings AS (
  SELECT DISTINCT release_date, landed_at, release_file FROM staging.psd_coffee
),
release_of_date AS (
  -- the landing standing for each release date: the latest landed
  SELECT release_file
  FROM landings
  QUALIFY row_number() OVER (PARTITION BY release_date ORDER BY landed_at DESC, release_file DESC) = 1
)
SELECT
  s.country_code,
  s.country_name,
  s.market_year,
  s.attribute,
  s.release_date,
  s.value,
  lag(s.value) OVER key_history AS previous_value,
  s.value - lag(s.value) OVER key_history AS change
FROM staging.psd_coffee AS s
SEMI JOIN release_of_date AS r ON r.release_file = s.release_file
WINDOW key_history AS (PARTITION BY s.country_code, s.market_year, s.attribute ORDER BY s.release_date)
