/* psd_csv.h — validation of a USDA PSD CSV release (docs/ARCHITECTURE.md §1).
 *
 * A valid release is RFC-4180 CSV (CRLF or LF line ends, fields optionally double-quoted,
 * "" an escaped quote inside a quoted field, quoted fields may hold commas and newlines),
 * whose first record is exactly the 12 PSD column names and whose every following record
 * has 12 fields with an integer Market_Year and a numeric Value. Codes (Commodity_Code,
 * Country_Code, Attribute_ID, Unit_ID, Month) are text: leading zeros are data, so they
 * are never parsed as numbers here. A UTF-8 byte-order mark before the header is allowed.
 *
 * The validator is a pure function over a byte buffer (no allocation, no I/O, no global
 * state), so a fuzzer can call it directly. */
#ifndef MATERIA_EXTRACT_PSD_CSV_H
#define MATERIA_EXTRACT_PSD_CSV_H

#include <stddef.h>
#include "util/err.h"
#include <stdint.h>

#define PSD_CSV_COLUMNS 12

/* The header, in order. */
extern const char *const psd_csv_columns[PSD_CSV_COLUMNS];

/* Validates data[0..len). On success returns 0 and stores the number of data rows (header
 * excluded) in *rows (rows may be NULL). On failure returns -1 and writes one line into
 * err: "line N: <problem>" (N is the 1-based physical line where the bad record starts),
 * or a file-level problem ("empty file", "no data rows"). */
int psd_csv_validate(const char *data, size_t len, int64_t *rows, struct mt_err *err);

#endif
