/* export_stub.c — placeholder until issue 4's export lands; replaced by the real code. */
#include <stdio.h>
#include <string.h>

#include "serving/export.h"

int serving_export(const struct config *cfg, duckdb_connection lake, struct export_outcome *out,
                   char *err, size_t errlen)
{
    (void)cfg;
    (void)lake;
    memset(out, 0, sizeof *out);
    snprintf(err, errlen, "export-serving is not built yet");
    return -1;
}
