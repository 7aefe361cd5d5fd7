/* serving.releases — one row per landed release (ARCHITECTURE §3).
 *
 * file is the data file's path relative to LANDING_DIR (psd/YYYY/MM/<etag>.csv.gzip);
 * rows is the number of data rows loaded from it. */
MODEL (
  name serving.releases,
  kind FULL,
  cron '@daily',
  grain (release_date, etag),
  audits (
    not_null(columns := (release_date, etag, file, rows, landed_at)),
    unique_combination_of_columns(columns := (release_date, etag)),
    unique_values(columns := (file))
  ),
  description 'Every landed PSD coffee release: date, etag, landing file, row count, landing time (serving contract).'
);

SELECT
  release_date,
  etag,
  release_file AS file,
  count(*) AS rows,
  landed_at
FROM staging.psd_coffee
GROUP BY release_date, etag, release_file, landed_at
ORDER BY release_date, landed_at
