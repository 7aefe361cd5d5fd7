/* project.c — loads a project folder: models/ ** / *.sql, audits/ *.sql, external_models.yaml.
 *
 * Model files are read in sorted path order, so every later step (fingerprints, the DAG,
 * output) is deterministic. external_models.yaml follows SQLMesh's file: a YAML list whose
 * items carry `name: schema.table` (other keys are ignored); a plain `external_models`
 * file with one name per line also works. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "transform/engine.h"
#include "util/err.h"
#include "util/fsutil.h"

/* Appends every *.sql file under dir (recursively when recurse) to files. */
static void collect_sql(const char *dir, bool recurse, struct strlist *files)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *path = fs_join(dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0) {
            size_t n = strlen(e->d_name);
            if (S_ISDIR(st.st_mode) && recurse) collect_sql(path, true, files);
            else if (S_ISREG(st.st_mode) && n > 4 && !strcmp(e->d_name + n - 4, ".sql")) strlist_push(files, path);
        }
        free(path);
    }
    closedir(d);
}

static void load_externals(const char *dir, struct strlist *ext)
{
    static const char *names[] = {"external_models.yaml", "external_models.yml", "external_models"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        char *path = fs_join(dir, names[k]);
        char *data = NULL;
        struct mt_err err = MT_ERR_INIT;
        size_t len;
        bool yaml = k < 2;
        if (fs_read_all(path, &data, &len, &err) == 0) {
            char *save = NULL;
            for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *s = line;
                while (*s == ' ' || *s == '\t' || *s == '-') s++;
                if (*s == '#' || !*s) continue;
                if (yaml) {
                    if (strncmp(s, "name:", 5) != 0) continue;
                    s += 5;
                    while (*s == ' ') s++;
                }
                char *e = s + strlen(s);
                while (e > s && (e[-1] == ' ' || e[-1] == '\r' || e[-1] == '\t')) *--e = 0;
                if (e > s && (*s == '"' || *s == '\'') && e[-1] == *s) { e[-1] = 0; s++; }
                for (char *q = s; *q; q++) *q = (char)(*q >= 'A' && *q <= 'Z' ? *q + 32 : *q);
                if (*s) strlist_push(ext, s);
            }
            free(data);
        }
        free(path);
    }
}

int project_load(const char *dir, struct project *p, struct mt_err *err)
{
    memset(p, 0, sizeof *p);
    p->dir = xstrdup(dir);
    struct strlist files = {0};
    char *mdir = fs_join(dir, "models");
    collect_sql(mdir, true, &files);
    free(mdir);
    strlist_sort(&files);
    p->models = xcalloc(files.n ? files.n : 1, sizeof *p->models);
    int rc = 0;
    for (size_t i = 0; i < files.n && rc == 0; i++) {
        char *data;
        size_t len;
        if (fs_read_all(files.v[i], &data, &len, err) < 0) { rc = -1; break; }
        struct model m;
        rc = model_parse(data, len, files.v[i], &m, err);
        free(data);
        if (rc < 0) break;
        long dup = project_find(p, m.name);
        if (dup >= 0) {
            mt_errf(err, "%s:%d: duplicate model name '%s' (already defined in %s:%d)", m.file, m.line, m.name,
                     p->models[dup].file, p->models[dup].line);
            model_free(&m);
            rc = -1;
            break;
        }
        p->models[p->n++] = m;
    }
    strlist_free(&files);
    if (rc == 0) {
        char *adir = fs_join(dir, "audits");
        collect_sql(adir, false, &files);
        free(adir);
        strlist_sort(&files);
        for (size_t i = 0; i < files.n && rc == 0; i++) {
            char *data;
            size_t len;
            if (fs_read_all(files.v[i], &data, &len, err) < 0) { rc = -1; break; }
            rc = audit_file_parse(data, len, files.v[i], &p->audits, &p->n_audits, err);
            free(data);
        }
        strlist_free(&files);
        load_externals(dir, &p->externals);
    }
    if (rc < 0) project_free(p);
    return rc;
}

void project_free(struct project *p)
{
    for (size_t i = 0; i < p->n; i++) {
        model_free(&p->models[i]);
        if (p->parent_names) strlist_free(&p->parent_names[i]);
        if (p->parents) free(p->parents[i]);
        if (p->globs) free(p->globs[i]);
    }
    free(p->models);
    for (size_t i = 0; i < p->n_audits; i++) audit_def_free(&p->audits[i]);
    free(p->audits);
    strlist_free(&p->externals);
    free(p->parent_names);
    free(p->parents);
    free(p->n_parents);
    free(p->order);
    free(p->globs);
    free(p->dir);
    memset(p, 0, sizeof *p);
}

long project_find(const struct project *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->models[i].name && !strcasecmp(p->models[i].name, name)) return (long)i;
    return -1;
}
