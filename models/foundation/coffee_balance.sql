/* foundation.coffee_balance — the PSD balance sheet, one row per (country_code, market_year),
 * pivoted from the newest landed release that has that key.
 *
 * "Newest" orders releases by release_date, then landed_at, then release_file, so a
 * re-landing of the same publication date with corrected data wins. The pivot keeps all
 * 19 PSD attributes as DOUBLE columns (1000 60-kg bags; NULL if the release lacks one).
 *
 * Incremental by key: a run looks only at the keys present in the releases landed in the
 * intervals it processes (staging rows with landed_at in [@start_ts, @end_ts]) and, for
 * those keys, at the releases that can be newest for them: the ones with release_date on or
 * after the oldest new release's date (the new releases themselves, plus any later-dated
 * ones landed before — a back-filled old release must not overwrite a newer one). The engine
 * upserts the keys whose row changed. A key absent from a new release is not touched, so it
 * keeps the row of the newest release that has it — exactly what the full recompute gave.
 * The first run (one interval from `start`) sees every release. */
MODEL (
  name foundation.coffee_balance,
  kind INCREMENTAL_BY_UNIQUE_KEY (
    unique_key (country_code, market_year)
  ),
  start '2000-01-01',
  cron '@daily',
  allow_partials true,
  grain (country_code, market_year),
  audits (
    not_null(columns := (country_code, country_name, market_year, release_date)),
    unique_combination_of_columns(columns := (country_code, market_year)),
    non_negative_quantities,
    psd_identities
  ),
  description 'PSD coffee balance per country and market year from the newest release having it; all 19 attributes as columns.'
);

WITH new_rows AS (
  SELECT country_code, market_year, release_date
  FROM staging.psd_coffee
  WHERE landed_at BETWEEN @start_ts AND @end_ts
),
new_keys AS (
  SELECT DISTINCT country_code, market_year FROM new_rows
),
candidates AS (
  -- every row of the releases that may be newest for a new key
  SELECT s.*
  FROM staging.psd_coffee AS s
  SEMI JOIN new_keys AS k ON k.country_code = s.country_code AND k.market_year = s.market_year
  WHERE s.release_date >= (SELECT min(release_date) FROM new_rows)
),
per_release AS (
  -- pivot first (one row per key and release, ~4k per release), then pick the newest
  SELECT
    country_code,
    market_year,
    release_file,
    any_value(release_date) AS release_date,
    any_value(etag) AS etag,
    any_value(landed_at) AS landed_at,
    any_value(country_name) AS country_name,
    max(value) FILTER (WHERE attribute = 'production') AS production,
    max(value) FILTER (WHERE attribute = 'arabica_production') AS arabica_production,
    max(value) FILTER (WHERE attribute = 'robusta_production') AS robusta_production,
    max(value) FILTER (WHERE attribute = 'other_production') AS other_production,
    max(value) FILTER (WHERE attribute = 'beginning_stocks') AS beginning_stocks,
    max(value) FILTER (WHERE attribute = 'imports') AS imports,
    max(value) FILTER (WHERE attribute = 'bean_imports') AS bean_imports,
    max(value) FILTER (WHERE attribute = 'roast_ground_imports') AS roast_ground_imports,
    max(value) FILTER (WHERE attribute = 'soluble_imports') AS soluble_imports,
    max(value) FILTER (WHERE attribute = 'exports') AS exports,
    max(value) FILTER (WHERE attribute = 'bean_exports') AS bean_exports,
    max(value) FILTER (WHERE attribute = 'roast_ground_exports') AS roast_ground_exports,
    max(value) FILTER (WHERE attribute = 'soluble_exports') AS soluble_exports,
    max(value) FILTER (WHERE attribute = 'domestic_consumption') AS domestic_consumption,
    max(value) FILTER (WHERE attribute = 'rst_ground_dom_consum') AS rst_ground_dom_consum,
    max(value) FILTER (WHERE attribute = 'soluble_dom_cons') AS soluble_dom_cons,
    max(value) FILTER (WHERE attribute = 'ending_stocks') AS ending_stocks,
    max(value) FILTER (WHERE attribute = 'total_supply') AS total_supply,
    max(value) FILTER (WHERE attribute = 'total_distribution') AS total_distribution
  FROM candidates
  GROUP BY country_code, market_year, release_file
)
SELECT
  country_code,
  country_name,
  market_year,
  production,
  arabica_production,
  robusta_production,
  other_production,
  beginning_stocks,
  imports,
  bean_imports,
  roast_ground_imports,
  soluble_imports,
  exports,
  bean_exports,
  roast_ground_exports,
  soluble_exports,
  domestic_consumption,
  rst_ground_dom_consum,
  soluble_dom_cons,
  ending_stocks,
  total_supply,
  total_distribution,
  release_date,
  etag,
  release_file,
  landed_at
FROM per_release
QUALIFY row_number() OVER (
  PARTITION BY country_code, market_year
  ORDER BY release_date DESC, landed_at DESC, release_file DESC
) = 1
ORDER BY country_code, market_year
