/* foundation.psd_revisions — how each PSD estimate moved across landed releases.
 *
 * One row per (country_code, market_year, attribute, release_date) over every landed
 * release. If two landings share a release_date, the later-landed one stands for that
 * date. previous_value is the value in the previous release (by release_date) that had
 * the same key, change = value - previous_value; both NULL for a key's first release.
 *
 * Incremental by key (country_code, market_year, attribute, release_date): a run recomputes
 * only the keys present in the releases landed in its intervals (staging rows with
 * landed_at in [@start_ts, @end_ts]), and for them only the release dates from the oldest
 * new release's date on — the new releases plus any later-dated ones landed before, whose
 * previous_value a back-filled older release changes. previous_value of the first of those
 * comes from the key's latest earlier release (`before`, an aggregate, not a window over the
 * whole history). The engine upserts the rows that changed and audits only those keys.
 * The first run (one interval from `start`) sees every release, i.e. is the full compute.
 * Known difference from a full recompute: if a release date is re-landed without a key the
 * earlier landing had, that key's row for the date stays (an upsert never deletes), and the
 * key's later releases keep previous_value/change measured against it; a new version of the
 * model (any change to this file) rebuilds it whole. */
MODEL (
  name foundation.psd_revisions,
  kind INCREMENTAL_BY_UNIQUE_KEY (
    unique_key (country_code, market_year, attribute, release_date)
  ),
  start '2000-01-01',
  cron '@daily',
  allow_partials true,
  grain (country_code, market_year, attribute, release_date),
  audits (
    not_null(columns := (country_code, market_year, attribute, release_date, value)),
    unique_combination_of_columns(columns := (country_code, market_year, attribute, release_date))
  ),
  description 'Every PSD coffee value per release date with the previous release''s value and the change.'
);

WITH new_rows AS (
  SELECT country_code, market_year, attribute, release_date
  FROM staging.psd_coffee
  WHERE landed_at BETWEEN @start_ts AND @end_ts
),
new_keys AS (
  SELECT DISTINCT country_code, market_year, attribute FROM new_rows
),
landings AS (
  SELECT DISTINCT release_date, landed_at, release_file FROM staging.psd_coffee
),
release_of_date AS (
  -- the landing standing for each release date (the latest landed), and whether its date is
  -- on or after the oldest new release's date. The bound is applied here, to the few
  -- landings, and the staging scans below take it as `release_file IN (...)`: a scalar-
  -- subquery filter beside a join, or a SEMI JOIN on the file, cost 1.5-2x as much on the
  -- scale benchmark's refresh (bench/RESULTS.md).
  SELECT
    release_file,
    release_date >= (SELECT min(release_date) FROM new_rows) AS recompute
  FROM landings
  QUALIFY row_number() OVER (PARTITION BY release_date ORDER BY landed_at DESC, release_file DESC) = 1
),
recomputed AS (
  -- the rows of the new keys from the oldest new release date on
  SELECT s.country_code, s.country_name, s.market_year, s.attribute, s.release_date, s.value
  FROM staging.psd_coffee AS s
  SEMI JOIN new_keys AS k
    ON k.country_code = s.country_code AND k.market_year = s.market_year AND k.attribute = s.attribute
  WHERE s.release_file IN (SELECT release_file FROM release_of_date WHERE recompute)
),
before AS (
  -- every key's value in its latest release before the oldest new release date (an
  -- aggregate, cheaper than a semi join on the new keys first; the LEFT JOIN below picks them)
  SELECT s.country_code, s.market_year, s.attribute, arg_max(s.value, s.release_date) AS value
  FROM staging.psd_coffee AS s
  WHERE s.release_file IN (SELECT release_file FROM release_of_date WHERE NOT recompute)
  GROUP BY s.country_code, s.market_year, s.attribute
),
with_previous AS (
  SELECT
    c.*,
    CASE
      WHEN row_number() OVER key_history = 1 THEN b.value
      ELSE lag(c.value) OVER key_history
    END AS previous_value
  FROM recomputed AS c
  LEFT JOIN before AS b
    ON b.country_code = c.country_code AND b.market_year = c.market_year AND b.attribute = c.attribute
  WINDOW key_history AS (PARTITION BY c.country_code, c.market_year, c.attribute ORDER BY c.release_date)
)
SELECT
  country_code,
  country_name,
  market_year,
  attribute,
  release_date,
  value,
  previous_value,
  value - previous_value AS change
FROM with_previous
