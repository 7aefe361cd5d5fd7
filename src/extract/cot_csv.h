/* cot_csv.h — validation of a CFTC Commitments of Traders annual file (f_year.txt of
 * "Disaggregated, Futures Only"; docs/ARCHITECTURE.md §1).
 *
 * A valid file is CSV (CRLF as CFTC publishes it, LF accepted; fields optionally
 * double-quoted — market names and contract units hold commas), whose first record is
 * exactly the 191 names of cot_csv_columns, whose every following record has 191 fields,
 * and which holds at least one Coffee C row (CFTC_Contract_Market_Code "083731", trailing
 * spaces ignored; the code is text, its leading zero is data). The values themselves are
 * not checked here (space-padded numbers, '.' for suppressed ones): transform types them.
 *
 * Pure function over a byte buffer (no allocation, no I/O), like psd_csv_validate. */
#ifndef MATERIA_EXTRACT_COT_CSV_H
#define MATERIA_EXTRACT_COT_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define COT_CSV_COLUMNS 191
#define COT_COFFEE_C_CODE "083731"

/* The header, in order (cot_columns.c, taken from the real file). */
extern const char *const cot_csv_columns[COT_CSV_COLUMNS];

/* Validates data[0..len). On success returns 0 and stores the number of data rows (all
 * markets, header excluded) in *rows and the Coffee C rows in *coffee_rows (either may be
 * NULL). On failure returns -1 with one line in err: "header column N is "X", expected
 * "Y"", "header has N columns, expected 191", "line N: ...", "no Coffee C (083731) rows". */
int cot_csv_validate_counts(const char *data, size_t len, int64_t *rows, int64_t *coffee_rows,
                            struct mt_err *err);
/* The same with the signature every source's validator has (source.h). */
int cot_csv_validate(const char *data, size_t len, int64_t *rows, struct mt_err *err);

#endif
