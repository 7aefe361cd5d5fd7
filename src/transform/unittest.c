/* unittest.c — SQLMesh's YAML unit tests (`sqlmesh test`), run by `materia test`: discovery,
 * each test's render and checks, the summary (unittest_rows.c builds the fixtures,
 * unittest_compare.c compares the rows; unittest_int.h).
 *
 * The format and its semantics are SQLMesh's (sqlmesh/core/test/definition.py, ModelTest and
 * SqlModelTest; discovery as sqlmesh/core/loader.py `_load_model_tests`: tests/ ** / test*.yaml
 * and test*.yml; docs/concepts/tests.md). A test file maps test names to bodies:
 *
 *   model    the model under test (a SQL model: SQLMesh refuses a seed "an unsupported model
 *            type for testing", and so do we — sushi's Python models are seeds here)
 *   inputs   table -> rows (a list, or {rows, columns}) or {query, columns}; rows may come
 *            from CSV (format csv: the text under rows, or path) or a YAML file (path;
 *            relative to the project folder), as _normalize_rows reads them. Every table the
 *            model reads must be given when any input is ("Incomplete test, missing input
 *            model"); a model that reads its own rows gets an empty one.
 *   outputs  query and/or ctes (name -> rows), each a list of rows, or {rows | query,
 *            partial}; outputs.partial applies to all. partial compares only the columns the
 *            expected rows name.
 *   vars     variables for the render, over config.yaml's `variables`; start, end and
 *            execution_time set the render's times (defaults 1970-01-01, end inclusive as
 *            make_inclusive does: a date end covers its whole day); execution_time also
 *            freezes CURRENT_DATE/CURRENT_TIMESTAMP/CURRENT_TIME/now()/today() in the query.
 *
 * How a test runs (each in a fresh in-memory DuckDB): every input becomes a table under its
 * own name — the lakehouse catalog is an attached in-memory database of the same name, so
 * the model's query runs exactly as rendered for a run (macro_render + names_qualify), where
 * SQLMesh instead maps the names to fixture views in a random schema; the effect is the
 * same. Column types, as setUp does: the model's or external model's columns when all are
 * known (columns.c), overridden by the test's `columns`, the rest inferred from the first
 * row's YAML values as sqlglot's annotate_types would type them (int -> INT/BIGINT, float ->
 * DOUBLE, bool -> BOOLEAN, date -> DATE, date-time -> TIMESTAMP, else VARCHAR; a null with no
 * known type is SQLMesh's "Failed to infer the data type" error). Missing columns are NULL.
 *
 * Comparison (assert_equal): expected values are cast to the actual column types; rows are
 * sorted on every column unless the query (or the CTE) has a top-level ORDER BY; floats and
 * decimals are equal within pandas' default tolerance (|a - b| <= 1e-8 + 1e-5 * |b|); NULL
 * equals NULL. A CTE is checked as SqlModelTest.test_ctes does: `SELECT * FROM cte` under all
 * of the query's CTEs (built from DuckDB's own parse tree with json_serialize_sql). On a
 * mismatch the report says which rows are missing and unexpected (different row counts) or,
 * cell by cell, expected vs actual.
 *
 * Discovery skips a folder under tests/ that is a project of its own (holds a config.yaml):
 * SQLMesh would read every test*.yaml below tests/, but this source tree keeps SQLMesh
 * projects, with their tests, under tests/fixtures/.
 *
 * Every key outside this is refused by name (`file:line: <key> is not supported by materia:
 * <why>`), never ignored. */
#include <ctype.h>
#include <dirent.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "transform/kinds.h"
#include "transform/unittest.h"
#include "transform/unittest_int.h"
#include "util/db.h"
#include "util/fsutil.h"

/* ---- the model's query ---- */

/* execution_time freezes the current time (definition.py: time_machine and the CURRENT_*
 * transforms): CURRENT_DATE, CURRENT_TIMESTAMP, CURRENT_TIME, now(), today(),
 * get_current_timestamp() and transaction_timestamp() become casts of it; literals,
 * quoted identifiers and comments are left alone. */
static char *freeze_now(const char *sql, const char *ts)
{
    static const struct {
        const char *word, *type;
        bool call;
    } subs[] = {{"current_date", "DATE", false},        {"current_timestamp", "TIMESTAMP", false},
                {"current_time", "TIME", false},        {"now", "TIMESTAMP", true},
                {"today", "DATE", true},                {"get_current_timestamp", "TIMESTAMP", true},
                {"transaction_timestamp", "TIMESTAMP", true}};
    strbuf out;
    sb_init(&out);
    const char *s = sql;
    while (*s) {
        if (*s == '\'' || *s == '"') {
            char q = *s;
            const char *e = s + 1;
            while (*e && !(*e == q && e[1] != q)) e += (*e == q) ? 2 : 1;
            if (*e) e++;
            sb_append_len(&out, s, (size_t)(e - s));
            s = e;
            continue;
        }
        if (s[0] == '-' && s[1] == '-') {
            const char *e = strchr(s, '\n');
            if (!e) e = s + strlen(s);
            sb_append_len(&out, s, (size_t)(e - s));
            s = e;
            continue;
        }
        if (s[0] == '/' && s[1] == '*') {
            const char *e = strstr(s + 2, "*/");
            e = e ? e + 2 : s + strlen(s);
            sb_append_len(&out, s, (size_t)(e - s));
            s = e;
            continue;
        }
        if (isalpha((unsigned char)*s) || *s == '_') {
            const char *e = s;
            while (isalnum((unsigned char)*e) || *e == '_') e++;
            bool prev_dot = s > sql && s[-1] == '.';
            size_t n = (size_t)(e - s);
            bool done = false;
            for (size_t k = 0; k < sizeof subs / sizeof subs[0] && !done && !prev_dot; k++) {
                if (strlen(subs[k].word) != n || strncasecmp(s, subs[k].word, n)) continue;
                const char *after = e;
                while (isspace((unsigned char)*after)) after++;
                if (subs[k].call) {
                    if (*after != '(') continue;
                    const char *close = after + 1;
                    while (isspace((unsigned char)*close)) close++;
                    if (*close != ')') continue;
                    e = close + 1;
                } else if (*after == '(') { /* current_date() */
                    const char *close = after + 1;
                    while (isspace((unsigned char)*close)) close++;
                    if (*close == ')') e = close + 1;
                }
                sb_appendf(&out, "CAST('%s' AS %s)", ts, subs[k].type);
                done = true;
            }
            if (!done) sb_append_len(&out, s, (size_t)(e - s));
            s = e;
            continue;
        }
        sb_append_char(&out, *s++);
    }
    return sb_detach(&out);
}

static bool is_time_key(const char *k)
{
    return !strncmp(k, "start_", 6) || !strncmp(k, "end_", 4) || !strncmp(k, "execution_", 10) ||
           !strncmp(k, "latest", 6);
}

/* SQLMesh's to_datetime of a test's time value; *is_date when it names a day (make_inclusive). */
static int test_time(struct ut *u, const struct ynode *v, int line, int64_t *us, bool *is_date)
{
    const char *s = ynode_text(v);
    *is_date = false;
    if (!s) return ut_fail_at(u, line, "a time must be a date, a timestamp or epoch milliseconds%s", "");
    if (ut_all_digits(s, strlen(s)) && strlen(s) > 8) {
        *us = strtoll(s, NULL, 10) * 1000;
        return 0;
    }
    if (time_parse(s, us) < 0) return ut_fail_at(u, line, "'%s' is not a date or timestamp materia can read", s);
    *is_date = strlen(s) == 10;
    return 0;
}

/* SELECT * FROM cte under all of the query's CTEs, from DuckDB's parse tree. */
static int cte_query(struct ut *u, const char *sql, const char *cte, strbuf *out)
{
    strbuf q, star;
    sb_init(&q);
    sb_init(&star);
    sb_append(&star, "SELECT * FROM ");
    db_quote_ident(&star, cte);
    sb_append(&q, "SELECT json_deserialize_sql(replace(json_serialize_sql(");
    db_quote_literal(&q, star.buf);
    sb_append(&q, ")::VARCHAR, '\"cte_map\":{\"map\":[]}', '\"cte_map\":' || (json_serialize_sql(");
    db_quote_literal(&q, sql);
    sb_append(&q, ")->'$.statements[0].node.cte_map')::VARCHAR)::JSON)");
    char *s = NULL;
    int rc = db_query_str(u->con, q.buf, &s, u->err);
    if (rc == 0) sb_append(out, s ? s : "");
    free(s);
    sb_free(&q);
    sb_free(&star);
    return rc;
}

/* The parse tree facts test_ctes/runTest use: the top-level ORDER BY, and each CTE's. */
struct shape {
    bool ordered;
    struct strlist ctes;
    bool *cte_ordered;
};

static bool has_order(const struct json *node)
{
    const struct json *mods = json_get(node, "modifiers");
    for (size_t k = 0; mods && mods->t == JSON_ARR && k < mods->n; k++)
        if (!strcmp(json_str(&mods->items[k], "type"), "ORDER_MODIFIER")) return true;
    return false;
}

static int query_shape(struct ut *u, const char *sql, struct shape *sh)
{
    strbuf q;
    sb_init(&q);
    sb_append(&q, "SELECT json_serialize_sql(");
    db_quote_literal(&q, sql);
    sb_append(&q, ")");
    char *s = NULL;
    int rc = db_query_str(u->con, q.buf, &s, u->err);
    sb_free(&q);
    if (rc < 0) return -1;
    struct json j;
    rc = json_parse(s ? s : "{}", &j, u->err);
    free(s);
    if (rc < 0) return -1;
    const struct json *st = json_get(&j, "statements");
    const struct json *node = st && st->t == JSON_ARR && st->n ? json_get(&st->items[0], "node") : NULL;
    if (!node) {
        const char *m = json_str(&j, "error_message");
        rc = mt_errf(u->err, "%s: the model's query does not parse: %s", u->name, m);
    } else {
        sh->ordered = has_order(node);
        const struct json *map = json_get(json_get(node, "cte_map"), "map");
        size_t n = map && map->t == JSON_ARR ? map->n : 0;
        sh->cte_ordered = xcalloc(n + 1, sizeof(bool));
        for (size_t k = 0; k < n; k++) {
            strlist_push(&sh->ctes, json_str(&map->items[k], "key"));
            const struct json *v = json_get(&map->items[k], "value");
            sh->cte_ordered[k] = has_order(json_get(json_get(v, "query"), "node"));
        }
    }
    json_free(&j);
    return rc;
}

/* vars: the project's variables with the test's over them (lower-case names). The result's
 * first n_own items are owned (converted from YAML); the rest point into the project's. */
static void merge_vars(const struct json *proj, const struct ynode *vars, struct json *out, size_t *n_own)
{
    memset(out, 0, sizeof *out);
    out->t = JSON_OBJ;
    size_t cap = (proj ? proj->n : 0) + (vars ? vars->n : 0) + 1;
    out->keys = xcalloc(cap, sizeof(char *));
    out->items = xcalloc(cap, sizeof(struct json));
    for (size_t k = 0; vars && k < vars->n; k++) {
        char *key = ut_lower_dup(vars->keys[k]);
        if (!strcmp(key, "start") || !strcmp(key, "end") || !strcmp(key, "execution_time")) {
            free(key);
            continue;
        }
        out->keys[out->n] = key;
        ynode_json(&vars->items[k], &out->items[out->n]);
        out->n++;
    }
    *n_own = out->n;
    for (size_t k = 0; proj && proj->t == JSON_OBJ && k < proj->n; k++) {
        bool over = false;
        for (size_t j = 0; j < *n_own && !over; j++) over = !strcmp(out->keys[j], proj->keys[k]);
        if (over) continue;
        out->keys[out->n] = xstrdup(proj->keys[k]);
        out->items[out->n] = proj->items[k]; /* borrowed */
        out->n++;
    }
}

static void merged_vars_free(struct json *v, size_t n_own)
{
    for (size_t k = 0; k < v->n; k++) {
        free(v->keys[k]);
        if (k < n_own) json_free(&v->items[k]);
    }
    free(v->keys);
    free(v->items);
}

/* One test: 0 passed, 1 failed (report in u->msg), -1 error (u->err). */
static int run_test(struct ut *u, const struct ynode *body, int line)
{
    if (body->t != YNODE_MAP) return ut_fail_at(u, line, "test '%s' must be a map (model, inputs, outputs)", u->name);
    static const char *const ok[] = {"model", "inputs", "outputs", "vars", "description", NULL};
    static const struct refused_key known[] = {
        {"schema", "materia builds the fixtures under the tables' own names in a private in-memory DuckDB; there "
                   "is no fixture schema to name"},
        {"gateway", "materia runs every unit test on an in-memory DuckDB, not on a gateway's test connection"},
        {NULL, NULL}};
    if (ut_check_keys(u, body, ok, known, "") < 0) return -1;
    int l, ml = line;
    const struct ynode *mn = ynode_get(body, "model", &ml);
    if (!mn || !ynode_text(mn) || !*ynode_text(mn)) return ut_fail_at(u, line, "Missing required 'model' field%s", "");
    char *canon = project_canon_name(u->p, ynode_text(mn));
    long i = project_find(u->p, canon);
    if (i < 0) {
        int r = ut_fail_at(u, ml, "Model '%s' was not found", canon);
        free(canon);
        return r;
    }
    free(canon);
    const struct model *m = &u->p->models[i];
    if (m->kind == KIND_SEED)
        return ut_fail_at(u, ml, "Model '%s' is an unsupported model type for testing (a SEED: SQLMesh tests SQL and "
                              "Python models only)", m->name);
    int il = line;
    const struct ynode *inputs = ynode_get(body, "inputs", &il), *outputs = ynode_get(body, "outputs", &l),
                       *vars = ynode_get(body, "vars", &l);
    if (!outputs || outputs->t != YNODE_MAP || !outputs->n) return ut_fail_at(u, line, "Incomplete test, missing outputs%s", "");
    static const char *const ook[] = {"query", "ctes", "partial", NULL};
    if (ut_check_keys(u, outputs, ook, NULL, "outputs: ") < 0) return -1;
    const struct ynode *oq = ynode_get(outputs, "query", &l), *oc = ynode_get(outputs, "ctes", &l);
    bool partial = false;
    if (ut_partial(u, ynode_get(outputs, "partial", &l), "outputs: ", &partial) < 0) return -1;
    if (!oq && !oc) return ut_fail_at(u, outputs->line, "Incomplete test, outputs must contain 'query' or 'ctes'%s", "");
    if (oc && oc->t != YNODE_MAP) return ut_fail_at(u, oc->line, "'ctes' must map CTE names to rows%s", "");
    if (inputs && !ynode_is_null(inputs) && inputs->t != YNODE_MAP)
        return ut_fail_at(u, inputs->line, "'inputs' must map table names to rows%s", "");
    if (vars && !ynode_is_null(vars) && vars->t != YNODE_MAP) return ut_fail_at(u, vars->line, "'vars' must be a map%s", "");
    if (vars && vars->t != YNODE_MAP) vars = NULL;
    if (inputs && inputs->t != YNODE_MAP) inputs = NULL;

    /* times */
    int64_t s_us = 0, e_us = 86400 * US_PER_SEC, x_us = 0;
    bool have_exec = false;
    for (size_t k = 0; vars && k < vars->n; k++) {
        char *key = ut_lower_dup(vars->keys[k]);
        bool is_date;
        int rc = 0;
        if (!strcmp(key, "start")) rc = test_time(u, &vars->items[k], vars->key_lines[k], &s_us, &is_date);
        else if (!strcmp(key, "end")) {
            rc = test_time(u, &vars->items[k], vars->key_lines[k], &e_us, &is_date);
            if (rc == 0 && is_date) e_us += 86400 * US_PER_SEC; /* make_inclusive: the whole day */
        } else if (!strcmp(key, "execution_time")) {
            rc = test_time(u, &vars->items[k], vars->key_lines[k], &x_us, &is_date);
            have_exec = true;
        } else if (is_time_key(key)) {
            strbuf w;
            sb_init(&w);
            sb_appendf(&w, "vars: %s", vars->keys[k]);
            rc = ut_refuse(u, vars->key_lines[k], w.buf, "set the time with start, end and execution_time; the "
                                                      "derived time variables follow from them");
            sb_free(&w);
        }
        free(key);
        if (rc < 0) return -1;
    }

    /* inputs: every table the model reads, when any is given; its own rows empty */
    const struct project *p = u->p;
    struct strlist given = {0};
    for (size_t k = 0; inputs && k < inputs->n; k++) {
        char *c = project_canon_name(p, inputs->keys[k]);
        strlist_push(&given, c);
        free(c);
    }
    int rc = 0;
    if (inputs && inputs->n)
        for (size_t k = 0; p->parent_names && k < p->parent_names[i].n && rc == 0; k++) {
            const char *dep = p->parent_names[i].v[k];
            if (!strcasecmp(dep, m->name)) continue;
            if (!strlist_has(&given, dep)) rc = ut_fail_at(u, il, "Incomplete test, missing input model '%s'", dep);
        }
    for (size_t k = 0; inputs && k < inputs->n && rc == 0; k++)
    {
        struct ynode loaded;
        memset(&loaded, 0, sizeof loaded);
        rc = ut_make_input(u, inputs->keys[k], inputs->key_lines[k], &inputs->items[k], &loaded);
        ynode_free(&loaded);
    }
    strbuf self;
    sb_init(&self);
    ut_quote_name(m->name, &self);
    if (rc == 0 && p->self_ref && p->self_ref[i] && !strlist_has(&given, m->name)) {
        struct strlist n = {0}, t = {0};
        bool all;
        ut_known_columns(u, m->name, &n, &t, &all);
        rc = ut_ensure_schema(u, m->name);
        if (rc == 0) rc = ut_table_from_rows(u, self.buf, &n, &t, NULL, line);
        strlist_free(&n);
        strlist_free(&t);
    }
    strlist_free(&given);

    /* render as a run does, with the test's variables and times */
    struct json mv;
    size_t n_own;
    merge_vars(p->vars, vars, &mv, &n_own);
    struct render_ctx ctx;
    project_render_ctx(p, (size_t)i, u->cfg, &ctx);
    ctx.vars = &mv;
    ctx.this_model = self.buf;
    ctx.start_us = s_us;
    ctx.end_us = e_us;
    ctx.exec_us = x_us;
    strbuf raw, sql;
    sb_init(&raw);
    sb_init(&sql);
    if (rc == 0) rc = macro_render(m->query, m->file, m->query_line, &ctx, &raw, u->err);
    if (rc == 0) rc = names_qualify(p, (size_t)i, u->con, raw.buf, self.buf, &sql, u->err);
    if (rc == 0 && embedded_reader(p, (size_t)i)) { /* EMBEDDED parents inlined (kind_embedded.c) */
        strbuf named = sql;
        sb_init(&sql);
        rc = embedded_expand(p, (size_t)i, &ctx, named.buf, &sql, u->err);
        sb_free(&named);
    }
    merged_vars_free(&mv, n_own);
    char *run_sql = NULL;
    if (rc == 0) {
        /* one statement, without its trailing semicolons */
        size_t n = sql.len;
        while (n && (isspace((unsigned char)sql.buf[n - 1]) || sql.buf[n - 1] == ';')) n--;
        char *trim = xstrndup(sql.buf, n);
        if (have_exec) {
            char ts[40];
            time_fmt_ts(x_us, ts);
            run_sql = freeze_now(trim, ts);
            free(trim);
        } else run_sql = trim;
    }
    struct shape sh = {0};
    if (rc == 0) rc = query_shape(u, run_sql, &sh);
    int failed = 0;
    for (size_t k = 0; rc == 0 && oc && k < oc->n; k++) {
        long ci = ut_col_index(&sh.ctes, oc->keys[k]);
        if (ci < 0) {
            rc = ut_fail_at(u, oc->key_lines[k], "No CTE named %s found in model", oc->keys[k]);
            break;
        }
        strbuf cq, label;
        sb_init(&cq);
        sb_init(&label);
        sb_appendf(&label, "CTE %s", oc->keys[k]);
        rc = cte_query(u, run_sql, sh.ctes.v[ci], &cq);
        if (rc == 0) rc = ut_check_output(u, label.buf, cq.buf, !sh.cte_ordered[ci], &oc->items[k], partial);
        if (rc == 1) failed = 1, rc = 0;
        sb_free(&cq);
        sb_free(&label);
    }
    if (rc == 0 && oq) {
        rc = ut_check_output(u, "query", run_sql, !sh.ordered, oq, partial);
        if (rc == 1) failed = 1, rc = 0;
    }
    strlist_free(&sh.ctes);
    free(sh.cte_ordered);
    free(run_sql);
    sb_free(&raw);
    sb_free(&sql);
    sb_free(&self);
    return rc < 0 ? -1 : failed;
}

/* ---- discovery and the run ---- */

/* tests/ ** / test*.yaml|yml, sorted. A folder below tests/ that holds a config.yaml,
 * config.yml or config.py is another project (this source tree keeps SQLMesh projects as
 * fixtures under tests/fixtures/): its tests are its own, not this project's. */
static bool is_project_dir(const char *dir)
{
    static const char *const names[] = {"config.yaml", "config.yml", "config.py"};
    for (size_t k = 0; k < 3; k++) {
        char *f = fs_join(dir, names[k]);
        bool there = fs_exists(f);
        free(f);
        if (there) return true;
    }
    return false;
}

static void collect_tests(const char *dir, const char *rel, int depth, struct strlist *out)
{
    DIR *d = depth < 32 ? opendir(dir) : NULL; /* a symlink loop ends here */
    if (!d) return;
    struct dirent *e;
    struct strlist names = {0};
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        strlist_push(&names, e->d_name);
    }
    closedir(d);
    strlist_sort(&names);
    for (size_t k = 0; k < names.n; k++) {
        char *path = fs_join(dir, names.v[k]), *r = fs_join(rel, names.v[k]);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) { /* symlinked folders are not followed */
            if (!is_project_dir(path)) collect_tests(path, r, depth + 1, out);
        }
        else if (!strncmp(names.v[k], "test", 4)) {
            size_t n = strlen(names.v[k]);
            if ((n > 5 && !strcmp(names.v[k] + n - 5, ".yaml")) || (n > 4 && !strcmp(names.v[k] + n - 4, ".yml")))
                strlist_push(out, r);
        }
        free(path);
        free(r);
    }
    strlist_free(&names);
}

static bool selected(const char *fq, char **pat, int npat)
{
    if (!npat) return true;
    for (int k = 0; k < npat; k++) {
        if (strchr(pat[k], '*') ? fnmatch(pat[k], fq, 0) == 0 : strstr(fq, pat[k]) != NULL) return true;
    }
    return false;
}

int unittest_run_all(const struct config *cfg, char **patterns, int npat, FILE *out, struct ut_summary *sum,
                     struct mt_err *err)
{
    memset(sum, 0, sizeof *sum);
    struct db pd;
    if (db_open(&pd, ":memory:", false, 1, err) < 0) return -1;
    struct project p;
    memset(&p, 0, sizeof p);
    int rc = project_load(cfg, &p, err);
    if (rc == 0) rc = dag_build(&p, cfg, pd.con, err);
    struct strlist files = {0};
    if (rc == 0) {
        char *tdir = fs_join(p.dir, "tests");
        collect_tests(tdir, "tests", 0, &files);
        free(tdir);
    }
    strbuf report;
    sb_init(&report);
    for (size_t f = 0; rc == 0 && f < files.n; f++) {
        char *path = fs_join(p.dir, files.v[f]);
        struct ynode root;
        rc = yaml_load_file(path, &root, err);
        free(path);
        if (rc < 0) break;
        if (root.t != YNODE_MAP) {
            rc = mt_errf(err, "%s:%d: a test file maps test names to tests", files.v[f], root.line);
            ynode_free(&root);
            break;
        }
        for (size_t t = 0; t < root.n; t++) {
            char *fq = xasprintf("%s::%s", files.v[f], root.keys[t]);
            if (!selected(fq, patterns, npat)) {
                free(fq);
                continue;
            }
            struct mt_err terr = MT_ERR_INIT;
            strbuf msg;
            sb_init(&msg);
            struct db d;
            int r = db_open(&d, ":memory:", false, 1, &terr);
            struct ut u = {.p = &p, .cfg = cfg, .file = files.v[f], .name = root.keys[t], .con = d.con, .msg = &msg,
                           .err = &terr};
            if (r == 0 && p.catalog && strcmp(p.catalog, "memory")) {
                /* the lakehouse's catalog name, so names written with it resolve */
                strbuf q;
                sb_init(&q);
                sb_append(&q, "ATTACH ':memory:' AS ");
                db_quote_ident(&q, p.catalog);
                sb_append(&q, "; USE ");
                db_quote_ident(&q, p.catalog);
                r = db_exec(d.con, q.buf, &terr);
                sb_free(&q);
            }
            if (r == 0) r = run_test(&u, &root.items[t], root.key_lines[t]);
            db_close(&d);
            if (r == 0) {
                sum->passed++;
                fprintf(out, "%s ... ok\n", fq);
            } else {
                sum->failed++;
                fprintf(out, "%s ... FAIL\n", fq);
                sb_appendf(&report, "FAIL: %s (%s)\n", root.keys[t], files.v[f]);
                if (r < 0) sb_appendf(&report, "  %s\n", terr.msg);
                else sb_append(&report, msg.buf ? msg.buf : "");
            }
            sb_free(&msg);
            free(fq);
        }
        ynode_free(&root);
    }
    if (rc == 0) {
        if (report.len) fprintf(out, "\n%s", report.buf);
        fprintf(out, "\nRan %d test%s: %d passed, %d failed\n", sum->passed + sum->failed,
                sum->passed + sum->failed == 1 ? "" : "s", sum->passed, sum->failed);
    }
    sb_free(&report);
    strlist_free(&files);
    project_free(&p);
    db_close(&pd);
    return rc;
}
