/* staging.psd_coffee — raw.psd_coffee typed and named, still one row per release and CSV row.
 *
 * Codes stay VARCHAR (leading zeros: '0711100', '029'); years and month become INTEGER,
 * value DOUBLE (1000 60-kg bags). `attribute` is the snake_case of PSD's attribute
 * description (lowercase, runs of other characters -> '_', trimmed), which yields exactly
 * the 19 names of docs/ARCHITECTURE.md §3; the accepted_values audit stops the run if PSD
 * ever publishes an attribute outside that list. Only Coffee, Green (commodity 0711100)
 * is kept, so a landed file holding other commodities (PSD's all-commodities file)
 * cannot mix into the coffee balance: raw already keeps only those rows, and the filter
 * stays so this model's contract does not rest on raw's. Incremental on landed_at like raw. */
MODEL (
  name staging.psd_coffee,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column landed_at
  ),
  start '2000-01-01',
  cron '@daily',
  allow_partials true,
  grain (release_file, country_code, market_year, attribute),
  audits (
    not_null(columns := (release_file, release_date, etag, landed_at, country_code, country_name, market_year, attribute, value)),
    unique_combination_of_columns(columns := (release_file, country_code, market_year, attribute)),
    accepted_values(column := attribute, is_in := ('beginning_stocks', 'production', 'arabica_production', 'robusta_production', 'other_production', 'imports', 'bean_imports', 'roast_ground_imports', 'soluble_imports', 'total_supply', 'exports', 'bean_exports', 'roast_ground_exports', 'soluble_exports', 'domestic_consumption', 'rst_ground_dom_consum', 'soluble_dom_cons', 'ending_stocks', 'total_distribution')),
    accepted_range(column := value, min_v := 0)
  ),
  description 'PSD coffee rows of every landed release, typed, with snake_case attribute names.'
);

SELECT
  release_file,
  release_date,
  etag,
  landed_at,
  commodity_code,
  commodity_description,
  country_code,
  trim(country_name) AS country_name,
  CAST(market_year AS INTEGER) AS market_year,
  CAST(calendar_year AS INTEGER) AS calendar_year,
  CAST(month AS INTEGER) AS month,
  attribute_id,
  trim(regexp_replace(lower(attribute_description), '[^a-z0-9]+', '_', 'g'), '_') AS attribute,
  attribute_description,
  unit_id,
  unit_description,
  CAST(value AS DOUBLE) AS value
FROM raw.psd_coffee
-- commodity 0711100 is Coffee, Green
WHERE landed_at BETWEEN @start_ts AND @end_ts
  AND commodity_code = '0711100'
