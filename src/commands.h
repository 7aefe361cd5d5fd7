/* commands.h — every `materia` subcommand, one function each (git's builtin.h idea).
 *
 * Signature: argv[0] is the command name, argv[1..] its arguments; the return value is
 * the process exit code (util/common.h). The effective configuration is g_config
 * (util/config.h), loaded before the command runs. Each stage folder implements its own
 * commands; main.c only dispatches. */
#ifndef MATERIA_COMMANDS_H
#define MATERIA_COMMANDS_H

int cmd_config(int argc, char **argv);          /* util/config_cmd.c */
int cmd_sql(int argc, char **argv);             /* util/sql_cmd.c */
int cmd_extract(int argc, char **argv);         /* extract/extract_cmd.c */
int cmd_landing(int argc, char **argv);         /* extract/landing_cmd.c */
int cmd_plan(int argc, char **argv);            /* transform/ */
int cmd_run(int argc, char **argv);             /* transform/ (also `transform`) */
int cmd_dag(int argc, char **argv);             /* transform/ */
int cmd_render(int argc, char **argv);          /* transform/ */
int cmd_info(int argc, char **argv);            /* transform/info_cmd.c */
int cmd_janitor(int argc, char **argv);         /* transform/ */
int cmd_invalidate(int argc, char **argv);      /* transform/env.c */
int cmd_table_diff(int argc, char **argv);      /* transform/table_diff_cmd.c */
int cmd_test(int argc, char **argv);            /* transform/test_cmd.c */
int cmd_export_serving(int argc, char **argv);  /* serving/ */
int cmd_serving(int argc, char **argv);         /* serving/ (status, rollback) */
int cmd_pipeline(int argc, char **argv);        /* pipeline/ */
int cmd_supervise(int argc, char **argv);       /* pipeline/ */
int cmd_serve(int argc, char **argv);           /* web/ */
int cmd_users(int argc, char **argv);           /* accounts/users_cmd.c */
int cmd_appdb(int argc, char **argv);           /* accounts/users_cmd.c */

#endif
