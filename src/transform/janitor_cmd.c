/* janitor_cmd.c — placeholder until its issue lands; replaced by the stage's real code. */
#include <stdio.h>

#include "commands.h"
#include "util/common.h"

int cmd_janitor(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "materia: '%s' is not built yet\n", argv[0]);
    return MT_EXIT_FAIL;
}
