/* raw.cot_coffee — the Coffee C rows of every landed CFTC COT file, exactly as published (all text).
 *
 * Reads the landing contract of docs/ARCHITECTURE.md §1 for source `cot`: data files
 * $LANDING_DIR/cot/{YYYY}/{MM}/{etag-or-sha256}.csv.gzip, each CFTC's `f_year.txt`
 * ("Disaggregated, Futures Only", 191 columns, CRLF, every market CFTC reports) gzipped as
 * published, each described by its .meta.json. One row per Coffee C row (CFTC contract
 * market code 083731) of each landed file, tagged with its landing: source_file (relative to
 * LANDING_DIR), release_date, etag, landed_at and source_year (the meta's "source_year", the
 * {YYYY} of CFTC's URL). The 191 CFTC columns keep CFTC's names (double underscores and
 * `Report_Date_as_YYYY-MM-DD` included) and stay VARCHAR with their padding: parsing is
 * staging's job, and this table is the published text.
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
 * only) must give zero rows, not a failed run. The constant `filename IN @LANDED_FILES('cot')` list prunes the
 * scan to this interval's COT files before any file is opened, so other sources' files are
 * never parsed (with the interval's list empty, `IN (NULL)`, nothing is read at all).
 * The Coffee C filter sits in the scan like raw.psd_coffee's commodity filter: the other ~14,000
 * rows a year of a 17 MB file are dropped as they are parsed, and the header line (whose
 * fourth field is the text 'CFTC_Contract_Market_Code') passes it. A header whose fourth name
 * is not that text leaves the file without a header row, which fails the check the same way. */
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
data_rows AS (
  SELECT filename AS data_path, * EXCLUDE (filename)
  FROM read_csv(
    @VAR('landing_dir') || '/*/[0-9][0-9][0-9][0-9]/[0-9][0-9]/*.csv.gzip',
    compression = 'gzip',
    header = false,
    auto_detect = false,
    delim = ',',
    quote = '"',
    escape = '"',
    columns = {
      'Market_and_Exchange_Names': 'VARCHAR', 'As_of_Date_In_Form_YYMMDD': 'VARCHAR', 'Report_Date_as_YYYY-MM-DD': 'VARCHAR',
      'CFTC_Contract_Market_Code': 'VARCHAR', 'CFTC_Market_Code': 'VARCHAR', 'CFTC_Region_Code': 'VARCHAR',
      'CFTC_Commodity_Code': 'VARCHAR', 'Open_Interest_All': 'VARCHAR', 'Prod_Merc_Positions_Long_All': 'VARCHAR',
      'Prod_Merc_Positions_Short_All': 'VARCHAR', 'Swap_Positions_Long_All': 'VARCHAR', 'Swap__Positions_Short_All': 'VARCHAR',
      'Swap__Positions_Spread_All': 'VARCHAR', 'M_Money_Positions_Long_All': 'VARCHAR', 'M_Money_Positions_Short_All': 'VARCHAR',
      'M_Money_Positions_Spread_All': 'VARCHAR', 'Other_Rept_Positions_Long_All': 'VARCHAR', 'Other_Rept_Positions_Short_All': 'VARCHAR',
      'Other_Rept_Positions_Spread_All': 'VARCHAR', 'Tot_Rept_Positions_Long_All': 'VARCHAR', 'Tot_Rept_Positions_Short_All': 'VARCHAR',
      'NonRept_Positions_Long_All': 'VARCHAR', 'NonRept_Positions_Short_All': 'VARCHAR', 'Open_Interest_Old': 'VARCHAR',
      'Prod_Merc_Positions_Long_Old': 'VARCHAR', 'Prod_Merc_Positions_Short_Old': 'VARCHAR', 'Swap_Positions_Long_Old': 'VARCHAR',
      'Swap__Positions_Short_Old': 'VARCHAR', 'Swap__Positions_Spread_Old': 'VARCHAR', 'M_Money_Positions_Long_Old': 'VARCHAR',
      'M_Money_Positions_Short_Old': 'VARCHAR', 'M_Money_Positions_Spread_Old': 'VARCHAR', 'Other_Rept_Positions_Long_Old': 'VARCHAR',
      'Other_Rept_Positions_Short_Old': 'VARCHAR', 'Other_Rept_Positions_Spread_Old': 'VARCHAR', 'Tot_Rept_Positions_Long_Old': 'VARCHAR',
      'Tot_Rept_Positions_Short_Old': 'VARCHAR', 'NonRept_Positions_Long_Old': 'VARCHAR', 'NonRept_Positions_Short_Old': 'VARCHAR',
      'Open_Interest_Other': 'VARCHAR', 'Prod_Merc_Positions_Long_Other': 'VARCHAR', 'Prod_Merc_Positions_Short_Other': 'VARCHAR',
      'Swap_Positions_Long_Other': 'VARCHAR', 'Swap__Positions_Short_Other': 'VARCHAR', 'Swap__Positions_Spread_Other': 'VARCHAR',
      'M_Money_Positions_Long_Other': 'VARCHAR', 'M_Money_Positions_Short_Other': 'VARCHAR', 'M_Money_Positions_Spread_Other': 'VARCHAR',
      'Other_Rept_Positions_Long_Other': 'VARCHAR', 'Other_Rept_Positions_Short_Other': 'VARCHAR', 'Other_Rept_Positions_Spread_Other': 'VARCHAR',
      'Tot_Rept_Positions_Long_Other': 'VARCHAR', 'Tot_Rept_Positions_Short_Other': 'VARCHAR', 'NonRept_Positions_Long_Other': 'VARCHAR',
      'NonRept_Positions_Short_Other': 'VARCHAR', 'Change_in_Open_Interest_All': 'VARCHAR', 'Change_in_Prod_Merc_Long_All': 'VARCHAR',
      'Change_in_Prod_Merc_Short_All': 'VARCHAR', 'Change_in_Swap_Long_All': 'VARCHAR', 'Change_in_Swap_Short_All': 'VARCHAR',
      'Change_in_Swap_Spread_All': 'VARCHAR', 'Change_in_M_Money_Long_All': 'VARCHAR', 'Change_in_M_Money_Short_All': 'VARCHAR',
      'Change_in_M_Money_Spread_All': 'VARCHAR', 'Change_in_Other_Rept_Long_All': 'VARCHAR', 'Change_in_Other_Rept_Short_All': 'VARCHAR',
      'Change_in_Other_Rept_Spread_All': 'VARCHAR', 'Change_in_Tot_Rept_Long_All': 'VARCHAR', 'Change_in_Tot_Rept_Short_All': 'VARCHAR',
      'Change_in_NonRept_Long_All': 'VARCHAR', 'Change_in_NonRept_Short_All': 'VARCHAR', 'Pct_of_Open_Interest_All': 'VARCHAR',
      'Pct_of_OI_Prod_Merc_Long_All': 'VARCHAR', 'Pct_of_OI_Prod_Merc_Short_All': 'VARCHAR', 'Pct_of_OI_Swap_Long_All': 'VARCHAR',
      'Pct_of_OI_Swap_Short_All': 'VARCHAR', 'Pct_of_OI_Swap_Spread_All': 'VARCHAR', 'Pct_of_OI_M_Money_Long_All': 'VARCHAR',
      'Pct_of_OI_M_Money_Short_All': 'VARCHAR', 'Pct_of_OI_M_Money_Spread_All': 'VARCHAR', 'Pct_of_OI_Other_Rept_Long_All': 'VARCHAR',
      'Pct_of_OI_Other_Rept_Short_All': 'VARCHAR', 'Pct_of_OI_Other_Rept_Spread_All': 'VARCHAR', 'Pct_of_OI_Tot_Rept_Long_All': 'VARCHAR',
      'Pct_of_OI_Tot_Rept_Short_All': 'VARCHAR', 'Pct_of_OI_NonRept_Long_All': 'VARCHAR', 'Pct_of_OI_NonRept_Short_All': 'VARCHAR',
      'Pct_of_Open_Interest_Old': 'VARCHAR', 'Pct_of_OI_Prod_Merc_Long_Old': 'VARCHAR', 'Pct_of_OI_Prod_Merc_Short_Old': 'VARCHAR',
      'Pct_of_OI_Swap_Long_Old': 'VARCHAR', 'Pct_of_OI_Swap_Short_Old': 'VARCHAR', 'Pct_of_OI_Swap_Spread_Old': 'VARCHAR',
      'Pct_of_OI_M_Money_Long_Old': 'VARCHAR', 'Pct_of_OI_M_Money_Short_Old': 'VARCHAR', 'Pct_of_OI_M_Money_Spread_Old': 'VARCHAR',
      'Pct_of_OI_Other_Rept_Long_Old': 'VARCHAR', 'Pct_of_OI_Other_Rept_Short_Old': 'VARCHAR', 'Pct_of_OI_Other_Rept_Spread_Old': 'VARCHAR',
      'Pct_of_OI_Tot_Rept_Long_Old': 'VARCHAR', 'Pct_of_OI_Tot_Rept_Short_Old': 'VARCHAR', 'Pct_of_OI_NonRept_Long_Old': 'VARCHAR',
      'Pct_of_OI_NonRept_Short_Old': 'VARCHAR', 'Pct_of_Open_Interest_Other': 'VARCHAR', 'Pct_of_OI_Prod_Merc_Long_Other': 'VARCHAR',
      'Pct_of_OI_Prod_Merc_Short_Other': 'VARCHAR', 'Pct_of_OI_Swap_Long_Other': 'VARCHAR', 'Pct_of_OI_Swap_Short_Other': 'VARCHAR',
      'Pct_of_OI_Swap_Spread_Other': 'VARCHAR', 'Pct_of_OI_M_Money_Long_Other': 'VARCHAR', 'Pct_of_OI_M_Money_Short_Other': 'VARCHAR',
      'Pct_of_OI_M_Money_Spread_Other': 'VARCHAR', 'Pct_of_OI_Other_Rept_Long_Other': 'VARCHAR', 'Pct_of_OI_Other_Rept_Short_Other': 'VARCHAR',
      'Pct_of_OI_Other_Rept_Spread_Other': 'VARCHAR', 'Pct_of_OI_Tot_Rept_Long_Other': 'VARCHAR', 'Pct_of_OI_Tot_Rept_Short_Other': 'VARCHAR',
      'Pct_of_OI_NonRept_Long_Other': 'VARCHAR', 'Pct_of_OI_NonRept_Short_Other': 'VARCHAR', 'Traders_Tot_All': 'VARCHAR',
      'Traders_Prod_Merc_Long_All': 'VARCHAR', 'Traders_Prod_Merc_Short_All': 'VARCHAR', 'Traders_Swap_Long_All': 'VARCHAR',
      'Traders_Swap_Short_All': 'VARCHAR', 'Traders_Swap_Spread_All': 'VARCHAR', 'Traders_M_Money_Long_All': 'VARCHAR',
      'Traders_M_Money_Short_All': 'VARCHAR', 'Traders_M_Money_Spread_All': 'VARCHAR', 'Traders_Other_Rept_Long_All': 'VARCHAR',
      'Traders_Other_Rept_Short_All': 'VARCHAR', 'Traders_Other_Rept_Spread_All': 'VARCHAR', 'Traders_Tot_Rept_Long_All': 'VARCHAR',
      'Traders_Tot_Rept_Short_All': 'VARCHAR', 'Traders_Tot_Old': 'VARCHAR', 'Traders_Prod_Merc_Long_Old': 'VARCHAR',
      'Traders_Prod_Merc_Short_Old': 'VARCHAR', 'Traders_Swap_Long_Old': 'VARCHAR', 'Traders_Swap_Short_Old': 'VARCHAR',
      'Traders_Swap_Spread_Old': 'VARCHAR', 'Traders_M_Money_Long_Old': 'VARCHAR', 'Traders_M_Money_Short_Old': 'VARCHAR',
      'Traders_M_Money_Spread_Old': 'VARCHAR', 'Traders_Other_Rept_Long_Old': 'VARCHAR', 'Traders_Other_Rept_Short_Old': 'VARCHAR',
      'Traders_Other_Rept_Spread_Old': 'VARCHAR', 'Traders_Tot_Rept_Long_Old': 'VARCHAR', 'Traders_Tot_Rept_Short_Old': 'VARCHAR',
      'Traders_Tot_Other': 'VARCHAR', 'Traders_Prod_Merc_Long_Other': 'VARCHAR', 'Traders_Prod_Merc_Short_Other': 'VARCHAR',
      'Traders_Swap_Long_Other': 'VARCHAR', 'Traders_Swap_Short_Other': 'VARCHAR', 'Traders_Swap_Spread_Other': 'VARCHAR',
      'Traders_M_Money_Long_Other': 'VARCHAR', 'Traders_M_Money_Short_Other': 'VARCHAR', 'Traders_M_Money_Spread_Other': 'VARCHAR',
      'Traders_Other_Rept_Long_Other': 'VARCHAR', 'Traders_Other_Rept_Short_Other': 'VARCHAR', 'Traders_Other_Rept_Spread_Other': 'VARCHAR',
      'Traders_Tot_Rept_Long_Other': 'VARCHAR', 'Traders_Tot_Rept_Short_Other': 'VARCHAR', 'Conc_Gross_LE_4_TDR_Long_All': 'VARCHAR',
      'Conc_Gross_LE_4_TDR_Short_All': 'VARCHAR', 'Conc_Gross_LE_8_TDR_Long_All': 'VARCHAR', 'Conc_Gross_LE_8_TDR_Short_All': 'VARCHAR',
      'Conc_Net_LE_4_TDR_Long_All': 'VARCHAR', 'Conc_Net_LE_4_TDR_Short_All': 'VARCHAR', 'Conc_Net_LE_8_TDR_Long_All': 'VARCHAR',
      'Conc_Net_LE_8_TDR_Short_All': 'VARCHAR', 'Conc_Gross_LE_4_TDR_Long_Old': 'VARCHAR', 'Conc_Gross_LE_4_TDR_Short_Old': 'VARCHAR',
      'Conc_Gross_LE_8_TDR_Long_Old': 'VARCHAR', 'Conc_Gross_LE_8_TDR_Short_Old': 'VARCHAR', 'Conc_Net_LE_4_TDR_Long_Old': 'VARCHAR',
      'Conc_Net_LE_4_TDR_Short_Old': 'VARCHAR', 'Conc_Net_LE_8_TDR_Long_Old': 'VARCHAR', 'Conc_Net_LE_8_TDR_Short_Old': 'VARCHAR',
      'Conc_Gross_LE_4_TDR_Long_Other': 'VARCHAR', 'Conc_Gross_LE_4_TDR_Short_Other': 'VARCHAR', 'Conc_Gross_LE_8_TDR_Long_Other': 'VARCHAR',
      'Conc_Gross_LE_8_TDR_Short_Other': 'VARCHAR', 'Conc_Net_LE_4_TDR_Long_Other': 'VARCHAR', 'Conc_Net_LE_4_TDR_Short_Other': 'VARCHAR',
      'Conc_Net_LE_8_TDR_Long_Other': 'VARCHAR', 'Conc_Net_LE_8_TDR_Short_Other': 'VARCHAR', 'Contract_Units': 'VARCHAR',
      'CFTC_Contract_Market_Code_Quotes': 'VARCHAR', 'CFTC_Market_Code_Quotes': 'VARCHAR', 'CFTC_Commodity_Code_Quotes': 'VARCHAR',
      'CFTC_SubGroup_Code': 'VARCHAR', 'FutOnly_or_Combined': 'VARCHAR'
    },
    filename = true
  )
  -- the constant list of this interval's COT files (see the header): DuckDB prunes the
  -- multi-file scan with it; in_interval below stays the exact filter
  WHERE filename IN @LANDED_FILES('cot')
    AND CFTC_Contract_Market_Code IN ('083731', 'CFTC_Contract_Market_Code')
),
file_headers AS (
  -- one row per file: how many header lines it has and whether each is exactly CFTC's 191
  -- names in order (a data row never has the text 'CFTC_Contract_Market_Code' as its code)
  SELECT
    data_path,
    count(*) AS n_headers,
    bool_and(concat_ws(',', *COLUMNS(* EXCLUDE (data_path))) = (
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
  WHERE CFTC_Contract_Market_Code = 'CFTC_Contract_Market_Code'
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
  d.* EXCLUDE (data_path)
FROM data_rows AS d
JOIN checked AS t ON t.data_path = d.data_path
WHERE d.CFTC_Contract_Market_Code = '083731'
  AND (t.header_ok OR error(
    'landing file ' || t.source_file ||
    ': the CSV header is not the 191 columns of CFTC''s Disaggregated Futures-Only file in ' ||
    'order (Market_and_Exchange_Names,As_of_Date_In_Form_YYMMDD,Report_Date_as_YYYY-MM-DD,' ||
    'CFTC_Contract_Market_Code,...,CFTC_SubGroup_Code,FutOnly_or_Combined); move the file out ' ||
    'of the landing folder or fix it, then run again'))
