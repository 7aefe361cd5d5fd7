/* transform_stub.c — placeholder until issue 3's engine lands; replaced by the real code. */
#include <stdio.h>
#include <string.h>

#include "transform/transform.h"

int transform_run(const struct config *cfg, duckdb_connection lake, struct transform_outcome *out,
                  char *err, size_t errlen)
{
    (void)cfg;
    (void)lake;
    memset(out, 0, sizeof *out);
    snprintf(err, errlen, "transform is not built yet");
    return -1;
}
