/* raw.psd_coffee — every landed PSD coffee release, exactly as published (all text).
 *
 * Reads the landing contract of docs/ARCHITECTURE.md §1: data files
 * $LANDING_DIR/psd/{YYYY}/{MM}/{etag}.csv.gzip, each described by {etag}.meta.json.
 * One row per CSV row, tagged with its release (release_file relative to the landing
 * dir, release_date, etag, landed_at). Meta files are read with read_blob, which (unlike
 * read_json) accepts a glob matching nothing; a data file without meta (placed by hand)
 * gets release_date = first day of its {YYYY}/{MM} folder, etag = its file stem and
 * landed_at = the file's modification time, so it is loaded by the next run instead of
 * falling into an interval already processed. The CSV dialect is given, not sniffed: sniffing
 * the first file and applying it to all makes a release with other line endings (CRLF
 * vs LF) read as zero rows, and per-file sniffing (union_by_name) is ~3x slower. The 12
 * columns are the contract's (ARCHITECTURE §1); every field stays text. The files are
 * read with header = false so each file's header line arrives as a row: it must be exactly
 * the 12 PSD column names in order, or the run fails naming the file (a header changed
 * by hand or by the publisher is never loaded positionally into the wrong columns).
 * Raw keeps the coffee rows (commodity 0711100, Coffee, Green) of every landed file: PSD's
 * all-commodities file (2M rows) may land here too, and storing its 1.9M other rows only for
 * staging to drop them doubled the full run's biggest cost (compressing 16 text columns;
 * bench/RESULTS.md, scale). The landed file itself keeps every byte, so a model for another
 * commodity rebuilds from landing/. The filter is applied in the scan (a row is dropped
 * right after it is parsed), and every header line still passes it.
 * Only the data files landed in the interval are read (@LANDED_FILES, see src/transform/macros.c).
 * Incremental on landed_at (SQLMesh semantics: @end_ts is inclusive, hence BETWEEN): each
 * run loads only the releases landed in the intervals being processed, so a landing is
 * loaded once; allow_partials lets a run load what landed earlier today instead of
 * waiting for the day to end (a partial day is re-processed, i.e. replaced, later). */
MODEL (
  name raw.psd_coffee,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column landed_at
  ),
  start '2000-01-01',
  cron '@daily',
  allow_partials true,
  grain (release_file, commodity_code, country_code, market_year, attribute_id),
  audits (
    not_null(columns := (release_file, release_date, etag, landed_at, country_code, market_year, attribute_id))
  ),
  description 'The coffee rows of every landed USDA PSD release as published (all columns text), one row per CSV row, tagged with its release.'
);

WITH data_files AS (
  -- read_blob (unlike read_csv/read_json) returns no rows rather than failing on no
  -- match; only name and mtime are selected, so no file content is read here
  SELECT filename AS data_path, last_modified AS file_mtime
  FROM read_blob([@VAR('landing_dir') || '/psd/[0-9][0-9][0-9][0-9]/[0-9][0-9]/*.csv.gzip'])
),
meta AS (
  SELECT
    regexp_replace(filename, '\.meta\.json$', '.csv.gzip') AS data_path,
    decode(content) AS doc
  FROM read_blob([@VAR('landing_dir') || '/psd/[0-9][0-9][0-9][0-9]/[0-9][0-9]/*.meta.json'])
),
releases AS (
  SELECT
    f.data_path,
    regexp_extract(f.data_path, '(psd/[0-9]{4}/[0-9]{2}/[^/]+)$', 1) AS release_file,
    make_date(
      CAST(regexp_extract(f.data_path, '/([0-9]{4})/[0-9]{2}/[^/]+$', 1) AS INTEGER),
      CAST(regexp_extract(f.data_path, '/[0-9]{4}/([0-9]{2})/[^/]+$', 1) AS INTEGER),
      1
    ) AS folder_date,
    regexp_extract(f.data_path, '/([^/]+)\.csv\.gzip$', 1) AS file_etag,
    f.file_mtime,
    m.doc
  FROM data_files AS f
  LEFT JOIN meta AS m ON m.data_path = f.data_path
),
tagged AS (
  SELECT
    data_path,
    release_file,
    coalesce(TRY_CAST(json_extract_string(doc, '$.release_date') AS DATE), folder_date) AS release_date,
    coalesce(json_extract_string(doc, '$.etag'), file_etag) AS etag,
    coalesce(
      TRY_CAST(json_extract_string(doc, '$.landed_at') AS TIMESTAMP),
      timezone('UTC', file_mtime)
    ) AS landed_at
  FROM releases
),
in_interval AS (
  SELECT * FROM tagged WHERE landed_at BETWEEN @start_ts AND @end_ts
),
data_rows AS (
  SELECT
    filename AS data_path,
    Commodity_Code AS commodity_code,
    Commodity_Description AS commodity_description,
    Country_Code AS country_code,
    Country_Name AS country_name,
    Market_Year AS market_year,
    Calendar_Year AS calendar_year,
    Month AS month,
    Attribute_ID AS attribute_id,
    Attribute_Description AS attribute_description,
    Unit_ID AS unit_id,
    Unit_Description AS unit_description,
    Value AS value
  FROM read_csv(
    -- every source's folder, not psd/ only: read_csv fails on a glob that matches nothing,
    -- and a landing with no PSD file yet (EXTRACT_SOURCES=cot) must give zero rows, not a
    -- failed run; the constant file list below prunes the other sources' files before
    -- any is opened (as in raw.cot_coffee)
    @VAR('landing_dir') || '/*/[0-9][0-9][0-9][0-9]/[0-9][0-9]/*.csv.gzip',
    compression = 'gzip',
    header = false,
    auto_detect = false,
    delim = ',',
    quote = '"',
    escape = '"',
    columns = {
      'Commodity_Code': 'VARCHAR', 'Commodity_Description': 'VARCHAR',
      'Country_Code': 'VARCHAR', 'Country_Name': 'VARCHAR',
      'Market_Year': 'VARCHAR', 'Calendar_Year': 'VARCHAR', 'Month': 'VARCHAR',
      'Attribute_ID': 'VARCHAR', 'Attribute_Description': 'VARCHAR',
      'Unit_ID': 'VARCHAR', 'Unit_Description': 'VARCHAR', 'Value': 'VARCHAR'
    },
    filename = true
  )
  -- the LANDED_FILES macro (engine extension) renders the constant list of data files landed in
  -- the interval; DuckDB prunes the multi-file scan with it, so an incremental run reads
  -- only the new files (a join on the meta files prunes nothing). in_interval below stays
  -- the exact filter; a file of in_interval missing from the list would have no header
  -- row and stop the run in header_guard, never be dropped silently.
  WHERE filename IN @LANDED_FILES('psd')
    AND Commodity_Code IN ('0711100', 'Commodity_Code')
),
header_rows AS (
  -- with header = false each file's header line is a row; a data row never has the
  -- text 'Commodity_Code' in its first field (codes are digits)
  SELECT * FROM data_rows WHERE commodity_code = 'Commodity_Code'
),
file_headers AS (
  -- one row per file: how many header lines it has and whether they are exactly right
  SELECT
    data_path,
    count(*) AS n_headers,
    bool_and(
      (commodity_description, country_code, country_name, market_year, calendar_year,
       month, attribute_id, attribute_description, unit_id, unit_description, value)
      IS NOT DISTINCT FROM
      ('Commodity_Description', 'Country_Code', 'Country_Name', 'Market_Year',
       'Calendar_Year', 'Month', 'Attribute_ID', 'Attribute_Description', 'Unit_ID',
       'Unit_Description', 'Value')) AS header_exact
  FROM header_rows
  GROUP BY data_path
),
checked AS (
  -- the (small) per-file side of the join below carries the verdict, so checking costs
  -- no buffering of the data rows
  SELECT t.*, coalesce(h.n_headers = 1 AND h.header_exact, false) AS header_ok
  FROM in_interval AS t
  LEFT JOIN file_headers AS h ON h.data_path = t.data_path
)
SELECT
  t.release_file,
  t.release_date,
  t.etag,
  t.landed_at,
  d.commodity_code,
  d.commodity_description,
  d.country_code,
  d.country_name,
  d.market_year,
  d.calendar_year,
  d.month,
  d.attribute_id,
  d.attribute_description,
  d.unit_id,
  d.unit_description,
  d.value
FROM data_rows AS d
JOIN checked AS t ON t.data_path = d.data_path
WHERE d.commodity_code <> 'Commodity_Code'
  AND (t.header_ok OR error(
    'landing file ' || t.release_file ||
    ': the CSV header is not the 12 PSD columns in order (Commodity_Code,' ||
    'Commodity_Description,Country_Code,Country_Name,Market_Year,Calendar_Year,Month,' ||
    'Attribute_ID,Attribute_Description,Unit_ID,Unit_Description,Value); move the file ' ||
    'out of the landing folder or fix it, then run again'))
