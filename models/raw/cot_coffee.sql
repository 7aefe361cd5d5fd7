/* raw.cot_coffee — the Coffee C rows of every landed CFTC COT file, exactly as published (all text).
 *
 * Reads the landing contract of docs/ARCHITECTURE.md §1 for source `cot`: data files
 * $LANDING_DIR/cot/{YYYY}/{MM}/{etag-or-sha256}.csv.gzip, each CFTC's `f_year.txt`
 * ("Disaggregated, Futures Only", 191 columns, CRLF, every market CFTC reports) gzipped as
 * published, each described by its .meta.json. One row per Coffee C row (CFTC contract
 * market code 083731) of each landed file, tagged with its landing: source_file (relative to
 * LANDING_DIR), release_date, etag, landed_at and source_year (the meta's "source_year", the
 * {YYYY} of CFTC's URL). Then the CFTC fields the project's models read — 67 of the 191:
 * the identifying ones, the `_All` positions, changes, percentages and trader counts, and
 * Contract_Units — under CFTC's names (double underscores and `Report_Date_as_YYYY-MM-DD`
 * included), VARCHAR with their padding: parsing is staging's job, and this table is the
 * published text. As raw.psd_coffee keeps only the coffee rows, this keeps only the fields
 * in use: the `_Old`/`_Other` crop-year splits and the concentration ratios, stored on every
 * weekly run for nobody, cost ~0.4 s of the weekly run in DuckDB's checkpoint (bench/cot,
 * bench/RESULTS.md). The landed file keeps all 191 (and the header check below still covers
 * every name); a model needing another field adds it here, and this table rebuilds from
 * landing/ (~0.4 s for six years).
 *
 * As raw.psd_coffee (read its header for the why of each choice): meta files through
 * read_blob, a data file without meta gets release_date = first day of its folder, etag = its
 * stem, landed_at = its modification time; the CSV dialect is given, never sniffed (the 191
 * names and their order are the contract); header = false so each file's header line arrives
 * as a row and must equal the 191 names in order, or the run fails naming the file (a renamed
 * or moved column is never read into the wrong field); only the data files landed in the
 * interval are read (@LANDED_FILES('cot')); incremental on landed_at with allow_partials.
 *
 * The read_csv glob takes any source folder in place of cot/ (every source's YYYY/MM files):
 * read_csv fails on a glob that matches nothing, and a landing without any COT file yet (PSD
 * only) must give zero rows, not a failed run. The constant `filename IN @LANDED_FILES('cot')`
 * list prunes the scan to this interval's COT files before any file is opened, so other
 * sources' files are never parsed (with the interval's list empty, `IN (NULL)`, nothing is
 * read at all).
 *
 * Why lines first, fields second: a year file is ~14,000 rows of every market CFTC reports,
 * and splitting all 191 fields of every row cost 0.9 s of a 1.8 s weekly run (bench/cot,
 * bench/RESULTS.md) to keep ~50 rows. So each line is read whole (one VARCHAR column, a
 * delimiter CFTC never writes, quoting off), the lines that cannot be Coffee C rows or the
 * header are dropped by a text test, and only the survivors are split, by an RFC 4180
 * field pattern. A split is trusted only if its fields joined by commas give the line back
 * and there are 191 of them; a Coffee C line that fails this fails the run naming the file
 * (read_csv would have refused it too). Each field is then what read_csv gives a VARCHAR
 * column: quotes removed, "" inside a quoted field one quote, an empty field NULL, padding
 * kept. What changes from a full CSV parse: a line break inside a quoted field is not
 * supported (CFTC writes none; extract's validator accepts them, so such a Coffee C row fails
 * here, loudly), and a malformed row of another market is not read at all, so it cannot fail
 * the run (extract validated every landed file whole).
 * The header line (CFTC quotes its names; whose fourth field is the text
 * 'CFTC_Contract_Market_Code') passes the text test; a header whose fourth name is not that
 * text leaves the file without a header row, which fails the check the same way. */
MODEL (
  name raw.cot_coffee,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column landed_at
  ),
  start '2000-01-01',
  cron '@daily',
  allow_partials true,
  grain (source_file, "Report_Date_as_YYYY-MM-DD"),
  audits (
    not_null(columns := (source_file, release_date, etag, landed_at, "Report_Date_as_YYYY-MM-DD", CFTC_Contract_Market_Code))
  ),
  description 'The Coffee C (083731) rows of every landed CFTC Disaggregated Futures-Only file as published (all 191 columns text), tagged with the landing file.'
);

WITH data_files AS (
  -- read_blob returns no rows rather than failing on no match; no content is read here
  SELECT filename AS data_path, last_modified AS file_mtime
  FROM read_blob([@VAR('landing_dir') || '/cot/[0-9][0-9][0-9][0-9]/[0-9][0-9]/*.csv.gzip'])
),
meta AS (
  SELECT
    regexp_replace(filename, '\.meta\.json$', '.csv.gzip') AS data_path,
    decode(content) AS doc
  FROM read_blob([@VAR('landing_dir') || '/cot/[0-9][0-9][0-9][0-9]/[0-9][0-9]/*.meta.json'])
),
landings AS (
  SELECT
    f.data_path,
    regexp_extract(f.data_path, '(cot/[0-9]{4}/[0-9]{2}/[^/]+)$', 1) AS source_file,
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
    source_file,
    coalesce(TRY_CAST(json_extract_string(doc, '$.release_date') AS DATE), folder_date) AS release_date,
    coalesce(json_extract_string(doc, '$.etag'), file_etag) AS etag,
    coalesce(
      TRY_CAST(json_extract_string(doc, '$.landed_at') AS TIMESTAMP),
      timezone('UTC', file_mtime)
    ) AS landed_at,
    TRY_CAST(json_extract_string(doc, '$.source_year') AS INTEGER) AS source_year
  FROM landings
),
in_interval AS (
  SELECT * FROM tagged WHERE landed_at BETWEEN @start_ts AND @end_ts
),
lines AS (
  -- each line of this interval's COT files as one text value (see the header): the
  -- delimiter is a byte CFTC never writes and quoting is off, so no field is split here
  SELECT filename AS data_path, line
  FROM read_csv(
    @VAR('landing_dir') || '/*/[0-9][0-9][0-9][0-9]/[0-9][0-9]/*.csv.gzip',
    compression = 'gzip',
    header = false,
    auto_detect = false,
    delim = chr(1),
    quote = '',
    escape = '',
    columns = {'line': 'VARCHAR'},
    filename = true
  )
  -- the constant list of this interval's COT files (see the header): DuckDB prunes the
  -- multi-file scan with it; in_interval below stays the exact filter
  WHERE filename IN @LANDED_FILES('cot')
    -- a superset of the Coffee C rows and the header line, tested on the text before any
    -- field is split: the code 083731 is in every Coffee C row, quoted or not
    AND (contains(line, '083731') OR contains(line, 'CFTC_Contract_Market_Code'))
),
split AS (
  -- RFC 4180 fields: each one follows a comma (one is put before the line), so no match
  -- is empty and an empty first field is kept; a field is either quoted ("" inside is one
  -- quote) or runs to the next comma
  SELECT
    data_path,
    line,
    regexp_extract_all(',' || line, ',("(?:[^"]|"")*"|[^,]*)', 1) AS raw_fields
  FROM lines
),
data_rows AS (
  SELECT
    data_path,
    -- the fields put back together give the line back only if every quote was where
    -- RFC 4180 allows it (a stray quote drops text from the split: refused below)
    len(raw_fields) = 191 AND array_to_string(raw_fields, ',') = line AS well_formed,
    len(raw_fields) AS n_fields,
    -- as read_csv reads a VARCHAR column: quotes removed, an empty field is NULL, the
    -- padding kept
    list_transform(
      raw_fields,
      x -> nullif(CASE WHEN starts_with(x, '"') THEN replace(x[2:-2], '""', '"') ELSE x END, '')
    ) AS f
  FROM split
),
file_headers AS (
  -- one row per file: how many header lines it has and whether each is exactly CFTC's 191
  -- names in order (a data row never has the text 'CFTC_Contract_Market_Code' as its code)
  SELECT
    data_path,
    count(*) AS n_headers,
    bool_and(well_formed AND array_to_string(f, ',') = (
      'Market_and_Exchange_Names,As_of_Date_In_Form_YYMMDD,Report_Date_as_YYYY-MM-DD,CFTC_Contract_Market_Code,CFTC_Market_Code,'
      || 'CFTC_Region_Code,CFTC_Commodity_Code,Open_Interest_All,Prod_Merc_Positions_Long_All,Prod_Merc_Positions_Short_All,'
      || 'Swap_Positions_Long_All,Swap__Positions_Short_All,Swap__Positions_Spread_All,M_Money_Positions_Long_All,M_Money_Positions_Short_All,'
      || 'M_Money_Positions_Spread_All,Other_Rept_Positions_Long_All,Other_Rept_Positions_Short_All,Other_Rept_Positions_Spread_All,Tot_Rept_Positions_Long_All,'
      || 'Tot_Rept_Positions_Short_All,NonRept_Positions_Long_All,NonRept_Positions_Short_All,Open_Interest_Old,Prod_Merc_Positions_Long_Old,'
      || 'Prod_Merc_Positions_Short_Old,Swap_Positions_Long_Old,Swap__Positions_Short_Old,Swap__Positions_Spread_Old,M_Money_Positions_Long_Old,'
      || 'M_Money_Positions_Short_Old,M_Money_Positions_Spread_Old,Other_Rept_Positions_Long_Old,Other_Rept_Positions_Short_Old,Other_Rept_Positions_Spread_Old,'
      || 'Tot_Rept_Positions_Long_Old,Tot_Rept_Positions_Short_Old,NonRept_Positions_Long_Old,NonRept_Positions_Short_Old,Open_Interest_Other,'
      || 'Prod_Merc_Positions_Long_Other,Prod_Merc_Positions_Short_Other,Swap_Positions_Long_Other,Swap__Positions_Short_Other,Swap__Positions_Spread_Other,'
      || 'M_Money_Positions_Long_Other,M_Money_Positions_Short_Other,M_Money_Positions_Spread_Other,Other_Rept_Positions_Long_Other,Other_Rept_Positions_Short_Other,'
      || 'Other_Rept_Positions_Spread_Other,Tot_Rept_Positions_Long_Other,Tot_Rept_Positions_Short_Other,NonRept_Positions_Long_Other,NonRept_Positions_Short_Other,'
      || 'Change_in_Open_Interest_All,Change_in_Prod_Merc_Long_All,Change_in_Prod_Merc_Short_All,Change_in_Swap_Long_All,Change_in_Swap_Short_All,'
      || 'Change_in_Swap_Spread_All,Change_in_M_Money_Long_All,Change_in_M_Money_Short_All,Change_in_M_Money_Spread_All,Change_in_Other_Rept_Long_All,'
      || 'Change_in_Other_Rept_Short_All,Change_in_Other_Rept_Spread_All,Change_in_Tot_Rept_Long_All,Change_in_Tot_Rept_Short_All,Change_in_NonRept_Long_All,'
      || 'Change_in_NonRept_Short_All,Pct_of_Open_Interest_All,Pct_of_OI_Prod_Merc_Long_All,Pct_of_OI_Prod_Merc_Short_All,Pct_of_OI_Swap_Long_All,'
      || 'Pct_of_OI_Swap_Short_All,Pct_of_OI_Swap_Spread_All,Pct_of_OI_M_Money_Long_All,Pct_of_OI_M_Money_Short_All,Pct_of_OI_M_Money_Spread_All,'
      || 'Pct_of_OI_Other_Rept_Long_All,Pct_of_OI_Other_Rept_Short_All,Pct_of_OI_Other_Rept_Spread_All,Pct_of_OI_Tot_Rept_Long_All,Pct_of_OI_Tot_Rept_Short_All,'
      || 'Pct_of_OI_NonRept_Long_All,Pct_of_OI_NonRept_Short_All,Pct_of_Open_Interest_Old,Pct_of_OI_Prod_Merc_Long_Old,Pct_of_OI_Prod_Merc_Short_Old,'
      || 'Pct_of_OI_Swap_Long_Old,Pct_of_OI_Swap_Short_Old,Pct_of_OI_Swap_Spread_Old,Pct_of_OI_M_Money_Long_Old,Pct_of_OI_M_Money_Short_Old,'
      || 'Pct_of_OI_M_Money_Spread_Old,Pct_of_OI_Other_Rept_Long_Old,Pct_of_OI_Other_Rept_Short_Old,Pct_of_OI_Other_Rept_Spread_Old,Pct_of_OI_Tot_Rept_Long_Old,'
      || 'Pct_of_OI_Tot_Rept_Short_Old,Pct_of_OI_NonRept_Long_Old,Pct_of_OI_NonRept_Short_Old,Pct_of_Open_Interest_Other,Pct_of_OI_Prod_Merc_Long_Other,'
      || 'Pct_of_OI_Prod_Merc_Short_Other,Pct_of_OI_Swap_Long_Other,Pct_of_OI_Swap_Short_Other,Pct_of_OI_Swap_Spread_Other,Pct_of_OI_M_Money_Long_Other,'
      || 'Pct_of_OI_M_Money_Short_Other,Pct_of_OI_M_Money_Spread_Other,Pct_of_OI_Other_Rept_Long_Other,Pct_of_OI_Other_Rept_Short_Other,Pct_of_OI_Other_Rept_Spread_Other,'
      || 'Pct_of_OI_Tot_Rept_Long_Other,Pct_of_OI_Tot_Rept_Short_Other,Pct_of_OI_NonRept_Long_Other,Pct_of_OI_NonRept_Short_Other,Traders_Tot_All,'
      || 'Traders_Prod_Merc_Long_All,Traders_Prod_Merc_Short_All,Traders_Swap_Long_All,Traders_Swap_Short_All,Traders_Swap_Spread_All,'
      || 'Traders_M_Money_Long_All,Traders_M_Money_Short_All,Traders_M_Money_Spread_All,Traders_Other_Rept_Long_All,Traders_Other_Rept_Short_All,'
      || 'Traders_Other_Rept_Spread_All,Traders_Tot_Rept_Long_All,Traders_Tot_Rept_Short_All,Traders_Tot_Old,Traders_Prod_Merc_Long_Old,'
      || 'Traders_Prod_Merc_Short_Old,Traders_Swap_Long_Old,Traders_Swap_Short_Old,Traders_Swap_Spread_Old,Traders_M_Money_Long_Old,'
      || 'Traders_M_Money_Short_Old,Traders_M_Money_Spread_Old,Traders_Other_Rept_Long_Old,Traders_Other_Rept_Short_Old,Traders_Other_Rept_Spread_Old,'
      || 'Traders_Tot_Rept_Long_Old,Traders_Tot_Rept_Short_Old,Traders_Tot_Other,Traders_Prod_Merc_Long_Other,Traders_Prod_Merc_Short_Other,'
      || 'Traders_Swap_Long_Other,Traders_Swap_Short_Other,Traders_Swap_Spread_Other,Traders_M_Money_Long_Other,Traders_M_Money_Short_Other,'
      || 'Traders_M_Money_Spread_Other,Traders_Other_Rept_Long_Other,Traders_Other_Rept_Short_Other,Traders_Other_Rept_Spread_Other,Traders_Tot_Rept_Long_Other,'
      || 'Traders_Tot_Rept_Short_Other,Conc_Gross_LE_4_TDR_Long_All,Conc_Gross_LE_4_TDR_Short_All,Conc_Gross_LE_8_TDR_Long_All,Conc_Gross_LE_8_TDR_Short_All,'
      || 'Conc_Net_LE_4_TDR_Long_All,Conc_Net_LE_4_TDR_Short_All,Conc_Net_LE_8_TDR_Long_All,Conc_Net_LE_8_TDR_Short_All,Conc_Gross_LE_4_TDR_Long_Old,'
      || 'Conc_Gross_LE_4_TDR_Short_Old,Conc_Gross_LE_8_TDR_Long_Old,Conc_Gross_LE_8_TDR_Short_Old,Conc_Net_LE_4_TDR_Long_Old,Conc_Net_LE_4_TDR_Short_Old,'
      || 'Conc_Net_LE_8_TDR_Long_Old,Conc_Net_LE_8_TDR_Short_Old,Conc_Gross_LE_4_TDR_Long_Other,Conc_Gross_LE_4_TDR_Short_Other,Conc_Gross_LE_8_TDR_Long_Other,'
      || 'Conc_Gross_LE_8_TDR_Short_Other,Conc_Net_LE_4_TDR_Long_Other,Conc_Net_LE_4_TDR_Short_Other,Conc_Net_LE_8_TDR_Long_Other,Conc_Net_LE_8_TDR_Short_Other,'
      || 'Contract_Units,CFTC_Contract_Market_Code_Quotes,CFTC_Market_Code_Quotes,CFTC_Commodity_Code_Quotes,CFTC_SubGroup_Code,'
      || 'FutOnly_or_Combined'
    )) AS header_exact
  FROM data_rows
  WHERE f[4] = 'CFTC_Contract_Market_Code'
  GROUP BY data_path
),
checked AS (
  SELECT t.*, coalesce(h.n_headers = 1 AND h.header_exact, false) AS header_ok
  FROM in_interval AS t
  LEFT JOIN file_headers AS h ON h.data_path = t.data_path
)
SELECT
  t.source_file,
  t.release_date,
  t.etag,
  t.landed_at,
  t.source_year,
  d.f[1] AS Market_and_Exchange_Names,
  d.f[2] AS As_of_Date_In_Form_YYMMDD,
  d.f[3] AS "Report_Date_as_YYYY-MM-DD",
  d.f[4] AS CFTC_Contract_Market_Code,
  d.f[5] AS CFTC_Market_Code,
  d.f[6] AS CFTC_Region_Code,
  d.f[7] AS CFTC_Commodity_Code,
  d.f[8] AS Open_Interest_All,
  d.f[9] AS Prod_Merc_Positions_Long_All,
  d.f[10] AS Prod_Merc_Positions_Short_All,
  d.f[11] AS Swap_Positions_Long_All,
  d.f[12] AS Swap__Positions_Short_All,
  d.f[13] AS Swap__Positions_Spread_All,
  d.f[14] AS M_Money_Positions_Long_All,
  d.f[15] AS M_Money_Positions_Short_All,
  d.f[16] AS M_Money_Positions_Spread_All,
  d.f[17] AS Other_Rept_Positions_Long_All,
  d.f[18] AS Other_Rept_Positions_Short_All,
  d.f[19] AS Other_Rept_Positions_Spread_All,
  d.f[20] AS Tot_Rept_Positions_Long_All,
  d.f[21] AS Tot_Rept_Positions_Short_All,
  d.f[22] AS NonRept_Positions_Long_All,
  d.f[23] AS NonRept_Positions_Short_All,
  d.f[56] AS Change_in_Open_Interest_All,
  d.f[57] AS Change_in_Prod_Merc_Long_All,
  d.f[58] AS Change_in_Prod_Merc_Short_All,
  d.f[59] AS Change_in_Swap_Long_All,
  d.f[60] AS Change_in_Swap_Short_All,
  d.f[61] AS Change_in_Swap_Spread_All,
  d.f[62] AS Change_in_M_Money_Long_All,
  d.f[63] AS Change_in_M_Money_Short_All,
  d.f[64] AS Change_in_M_Money_Spread_All,
  d.f[65] AS Change_in_Other_Rept_Long_All,
  d.f[66] AS Change_in_Other_Rept_Short_All,
  d.f[67] AS Change_in_Other_Rept_Spread_All,
  d.f[68] AS Change_in_Tot_Rept_Long_All,
  d.f[69] AS Change_in_Tot_Rept_Short_All,
  d.f[70] AS Change_in_NonRept_Long_All,
  d.f[71] AS Change_in_NonRept_Short_All,
  d.f[73] AS Pct_of_OI_Prod_Merc_Long_All,
  d.f[74] AS Pct_of_OI_Prod_Merc_Short_All,
  d.f[75] AS Pct_of_OI_Swap_Long_All,
  d.f[76] AS Pct_of_OI_Swap_Short_All,
  d.f[77] AS Pct_of_OI_Swap_Spread_All,
  d.f[78] AS Pct_of_OI_M_Money_Long_All,
  d.f[79] AS Pct_of_OI_M_Money_Short_All,
  d.f[80] AS Pct_of_OI_M_Money_Spread_All,
  d.f[81] AS Pct_of_OI_Other_Rept_Long_All,
  d.f[82] AS Pct_of_OI_Other_Rept_Short_All,
  d.f[83] AS Pct_of_OI_Other_Rept_Spread_All,
  d.f[86] AS Pct_of_OI_NonRept_Long_All,
  d.f[87] AS Pct_of_OI_NonRept_Short_All,
  d.f[120] AS Traders_Tot_All,
  d.f[121] AS Traders_Prod_Merc_Long_All,
  d.f[122] AS Traders_Prod_Merc_Short_All,
  d.f[123] AS Traders_Swap_Long_All,
  d.f[124] AS Traders_Swap_Short_All,
  d.f[125] AS Traders_Swap_Spread_All,
  d.f[126] AS Traders_M_Money_Long_All,
  d.f[127] AS Traders_M_Money_Short_All,
  d.f[128] AS Traders_M_Money_Spread_All,
  d.f[129] AS Traders_Other_Rept_Long_All,
  d.f[130] AS Traders_Other_Rept_Short_All,
  d.f[131] AS Traders_Other_Rept_Spread_All,
  d.f[132] AS Traders_Tot_Rept_Long_All,
  d.f[133] AS Traders_Tot_Rept_Short_All,
  d.f[186] AS Contract_Units
FROM data_rows AS d
JOIN checked AS t ON t.data_path = d.data_path
WHERE d.f[4] = '083731'
  AND (d.well_formed OR error(
    'landing file ' || t.source_file || ': a Coffee C line has ' || d.n_fields ||
    ' fields or a misplaced quote, not CFTC''s 191 comma-separated fields; move the file out ' ||
    'of the landing folder or fix it, then run again'))
  AND (t.header_ok OR error(
    'landing file ' || t.source_file ||
    ': the CSV header is not the 191 columns of CFTC''s Disaggregated Futures-Only file in ' ||
    'order (Market_and_Exchange_Names,As_of_Date_In_Form_YYMMDD,Report_Date_as_YYYY-MM-DD,' ||
    'CFTC_Contract_Market_Code,...,CFTC_SubGroup_Code,FutOnly_or_Combined); move the file out ' ||
    'of the landing folder or fix it, then run again'))
