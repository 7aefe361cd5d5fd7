/* macro.h — the SQLMesh macro expander's internals (macro_lex.c, macro_eval.c,
 * macro_const.c, macro_builtins.c). Nothing outside those files and macros.c includes it.
 *
 * How the expander works (docs/ARCHITECTURE.md §2.1):
 *   1. macro_lex.c turns the query into SQL tokens (words, quoted identifiers, strings,
 *      numbers, operators, brackets), each keeping the white space before it, and then
 *      into a tree of nodes: plain tokens, bracket groups, macro variables (@name), macro
 *      calls (@name(arg, ...)), string templates (@'...') and identifiers with @{x}
 *      pieces. Commas stay tokens; a call's arguments are split at its top-level commas
 *      when it is evaluated, and a lambda (`x -> body`, `(x, y) -> body`) is recognised
 *      there.
 *   2. macro_eval.c evaluates the tree bottom-up as SQLMesh's MacroEvaluator does
 *      (sqlglot's replace_tree: arguments before the call, lambda bodies only when
 *      applied), producing a new tree; a call may yield nothing, one expression or a
 *      list, and a list splices into the surrounding comma-separated items.
 *   3. macro_const.c evaluates constant expressions (@IF's condition, @EVAL, @FILTER's
 *      predicate) with DuckDB (`SELECT <expr>`), standing in for SQLMesh's Python.
 *   4. macro_builtins.c holds SQLMesh's built-in macros; macros.c binds the predefined
 *      variables and prints the tree back to SQL; DuckDB's parser then checks it (dag.c).
 *
 * Memory: every node, token text and value of one render lives in the render's arena
 * (struct marena) and is released at once by marena_free. Nodes are never freed singly. */
#ifndef MATERIA_TRANSFORM_MACRO_H
#define MATERIA_TRANSFORM_MACRO_H

#include <stdbool.h>
#include <stddef.h>

#include "transform/engine.h"
#include "util/err.h"
#include "util/strbuf.h"

/* ---- arena ---- */
struct marena_block;
struct marena {
    struct marena_block *head;
};
void *ma_alloc(struct marena *a, size_t n);               /* zeroed */
char *ma_strndup(struct marena *a, const char *s, size_t n);
char *ma_lower(struct marena *a, const char *s, size_t n);  /* ma_strndup, lower-cased */
char *ma_printf(struct marena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void marena_free(struct marena *a);

/* ---- tokens ---- */
enum mtk {
    MT_WORD,    /* identifier or keyword; may hold @{x} / @x template pieces (tmpl) */
    MT_QID,     /* "quoted identifier" (text with the quotes) */
    MT_STR,     /* 'string' (text with the quotes) */
    MT_NUM,
    MT_OP,      /* operators and other punctuation: + - * / = <> -> :: := . etc. */
    MT_LP, MT_RP, MT_LB, MT_RB, MT_COMMA, MT_SEMI
};
struct mtok {
    enum mtk t;
    const char *s;      /* text (not NUL-terminated: n bytes) */
    size_t n;
    int line;
    bool sp;            /* white space (or a comment) came before it */
    bool nl;            /* ... and it held a line break */
    const char *pre;    /* that white space as written (comments included), or NULL */
    size_t pren;
    bool tmpl;          /* MT_WORD with @ inside: a template identifier (col_@{x}) */
};

/* ---- nodes ---- */
enum mnode_kind { N_TOK, N_GROUP, N_VAR, N_CALL, N_STRT, N_LAMBDA };
struct mnode {
    enum mnode_kind k;
    struct mtok tok;        /* N_TOK: the token; N_GROUP: the opening bracket; N_VAR/N_CALL:
                               the name (sp/line from the '@'); N_STRT: the string literal */
    struct mtok close;      /* N_GROUP: the closing bracket */
    struct mseq *inner;     /* N_GROUP/N_CALL: what is between the brackets, commas included;
                               N_LAMBDA: the body */
    const char **params;    /* N_LAMBDA: parameter names, lower-case */
    size_t n_params;
};
struct mseq {
    struct mnode *v;
    size_t n, cap;
};
/* Gives dst the white space that came before src (a value taking a macro's place). */
void mtok_space_from(struct mtok *dst, const struct mtok *src);
/* Sets dst's leading white space to one space (sp) or none. */
void mtok_space(struct mtok *dst, bool sp);
void mseq_push(struct marena *a, struct mseq *s, const struct mnode *n);
void mseq_append(struct marena *a, struct mseq *dst, const struct mseq *src);

/* Parses SQL text into one sequence per statement (split at top-level ';'). Line numbers
 * start at line0. Errors: unbalanced brackets, Jinja, a bad macro form — "file:line: ...". */
int macro_parse(struct marena *a, const char *sql, const char *file, int line0, struct mseq **stmts,
                size_t *n_stmts, struct mt_err *err);
/* Lexes a fragment (a value, a macro's generated SQL) into one sequence (';' not allowed). */
int macro_parse_fragment(struct marena *a, const char *sql, int line, struct mseq *out, struct mt_err *err);
/* Prints a sequence back to SQL. */
void mseq_print(const struct mseq *s, strbuf *out);
char *mseq_text(struct marena *a, const struct mseq *s);

/* ---- evaluation ---- */
struct mbinding {       /* a name bound to a value: @DEF values, predefined variables, lambda args */
    const char *name;   /* lower-case */
    struct mseq val;
    const struct mnode *lambda; /* @DEF(name, lambda): a macro, not a value */
    bool low;           /* a blueprint variable: found after the predefined names */
    struct mbinding *next;
};

/* The result of a macro call: nothing, one expression, or a list (spliced into the
 * surrounding comma list). */
struct mresult {
    enum { MR_NONE, MR_ONE, MR_LIST } k;
    struct mseq one;
    struct mseq *list;
    size_t n;
};

struct mctx {
    struct marena *a;
    const struct render_ctx *rc;
    const char *file;
    int line;                   /* line of the node being evaluated (for errors) */
    struct mbinding *locals;    /* innermost first */
    struct mt_err *err;
    int depth;                  /* recursion guard */
};

/* Sets "file:line: message" (the node being evaluated) in c->err; returns -1. */
int merr(struct mctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s quoted with q (' for a literal, " for an identifier), q doubled inside. */
char *mquote(struct mctx *c, const char *s, char q); /* db_quote_ident / db_quote_literal into the arena */

/* Evaluates seq into out. */
int meval_seq(struct mctx *c, const struct mseq *in, struct mseq *out);
/* Evaluates one macro-call argument into a list of values (a list-valued call yields many). */
int meval_arg(struct mctx *c, const struct mseq *in, struct mseq **vals, size_t *n);
/* Applies a lambda to args (each a value). */
int mlambda_apply(struct mctx *c, const struct mnode *lam, const struct mseq *args, size_t n, struct mseq *out);
/* ---- macro_const.c ---- */
/* DuckDB evaluates a constant expression: *kind is 'b' (bool), 'i', 'f', 's', 'l' (list or
 * dict; *text its length), 'n' (NULL) or 'x' (names a column); *text the value (for 's'
 * unquoted). Cached per process. */
int meval_const(struct mctx *c, const struct mseq *expr, char *kind, const char **text);
bool meval_truthy(char kind, const char *text);
/* Python's repr() of a float (positional, shortest round trip, ".0" when whole). */
void mfloat_repr(double d, char *buf, size_t n);
/* SQL text of a Python-like value from meval_const (exp.convert). */
const char *mconst_sql(struct mctx *c, char kind, const char *text);
/* Looks a name up in the local bindings (NULL when unbound). */
const struct mbinding *mctx_lookup(struct mctx *c, const char *lname);
/* macros.c: binds and returns predefined variable lname (@start_ds, @this_model, ...) on
 * first use; NULL when lname is not one. */
const struct mbinding *macro_predefined_bind(struct mctx *c, const char *lname);
void mctx_bind(struct mctx *c, const char *lname, const struct mseq *val, const struct mnode *lambda);
/* @{x} / @x substitution in template text (SQLMesh's MacroStrTemplate.safe_substitute). */
char *mtemplate(struct mctx *c, const char *text, size_t n);
/* Converts a JSON variable value to SQL (exp.convert; lists as ARRAY when as_array else tuple). */
char *mjson_sql(struct marena *a, const struct json *j, bool as_array);
/* Variable value for @VAR / @name: project variables, then our configuration. NULL if unset. */
const struct json *mvar_json(const struct mctx *c, const char *lname);

/* Simple value views */
bool mseq_is_string(const struct mseq *s, const char **val, size_t *n); /* one 'string' token */
bool mseq_is_word(const struct mseq *s, const char **w, size_t *n);     /* one plain word */
/* Splits a sequence at its top-level commas (an empty sequence gives no items). */
void mseq_split(struct marena *a, const struct mseq *s, struct mseq **items, size_t *n);
/* When s is one [array] or one parenthesised (tuple, with commas), its items; else false. */
bool mseq_list_items(struct marena *a, const struct mseq *s, struct mseq **items, size_t *n);
/* Joins values with ", " into one sequence. */
void mseq_join(struct marena *a, const struct mseq *vals, size_t n, struct mseq *out);
/* A value's "name" (sqlglot's .name): a string's text, a column's name, a number's text. */
char *mseq_name(struct marena *a, const struct mseq *s);

/* ---- builtins (macro_builtins.c) ---- */
/* Calls the built-in macro NAME (upper-case) with evaluated positional and keyword args.
 * Returns 1 when handled, 0 when NAME is not a built-in, -1 on error. */
struct margs {
    struct mseq *pos;       /* positional values */
    size_t n_pos;
    const struct mnode **lam; /* lam[i] non-NULL when positional arg i is a lambda */
    const char **kw_names;  /* keyword args (name := value), lower-case */
    struct mseq *kw;
    size_t n_kw;
};
int mbuiltin_call(struct mctx *c, const char *name, const struct margs *args, struct mresult *res);
bool mbuiltin_is_clause(const char *name);
bool mbuiltin_exists(const char *name);   /* a built-in function or clause macro */

/* ---- macros.c ---- */
/* @LANDED_FILES('dataset'): appends the parenthesised IN list (see macros.c). */
int macro_landed_files(const struct render_ctx *rc, const char *dataset, strbuf *out, struct mt_err *err);

#endif
