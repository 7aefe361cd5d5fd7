/* extract_stub.c — placeholder until issue 2's extract lands; replaced by the real code. */
#include <stdio.h>
#include <string.h>

#include "extract/extract.h"

int extract_psd(const struct config *cfg, struct extract_outcome *out, char *err, size_t errlen)
{
    (void)cfg;
    memset(out, 0, sizeof *out);
    snprintf(err, errlen, "extract is not built yet");
    return -1;
}

void extract_outcome_free(struct extract_outcome *out) { (void)out; }
