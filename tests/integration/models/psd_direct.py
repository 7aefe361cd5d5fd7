"""psd_direct.py — runs the PSD model SQL straight through DuckDB, without the engine.

A tiny stand-in for `materia run`, used by test_psd_models_direct.py to check the model
SQL itself: it strips each file's MODEL header, substitutes the macros (@VAR('landing_dir'), @LANDED_FILES('psd') as every data file,
@start_ts/@end_ts over all time, @this_model), builds every model as a plain table in
dependency order (listed below, not parsed) in one DuckDB file through `materia sql
--write`, and evaluates the audits named in each header (built-ins translated here,
custom ones from audits/*.sql). Not a test file itself (no test_ prefix).
"""
import glob
import os
import re

from harness import SRC

ORDER = [
    "raw/psd_coffee", "staging/psd_coffee", "seeds/fas_country_iso",
    "foundation/coffee_balance", "foundation/psd_revisions",
    "serving/countries", "serving/coffee_balance", "serving/world_balance",
    "serving/psd_revisions", "serving/releases",
]


def _strip_comments(text):
    """Drops the /* ... */ and -- comments before the first MODEL/AUDIT keyword only
    (the query itself may hold '/*' inside string literals; DuckDB parses it)."""
    m = re.search(r"^\s*(MODEL|AUDIT)\b", re.sub(r"/\*.*?\*/|--[^\n]*", lambda x: " " * len(x.group(0)), text, flags=re.S), re.M)
    return text[m.start(1):] if m else text


def _split_block(text, keyword):
    """Returns (header body inside KEYWORD ( ... ), rest after the closing ';')."""
    m = re.search(r"\b" + keyword + r"\s*\(", text)
    assert m, f"no {keyword} block"
    i, depth, q = m.end(), 1, False
    while depth:
        c = text[i]
        if c == "'":
            q = not q
        elif not q and c == "(":
            depth += 1
        elif not q and c == ")":
            depth -= 1
        i += 1
    body = text[m.end():i - 1]
    rest = text[i:].lstrip()
    assert rest.startswith(";"), f"{keyword} block not followed by ';'"
    return body, rest[1:].strip()


def _top_level_items(s):
    out, depth, q, cur = [], 0, False, ""
    for c in s:
        if c == "'":
            q = not q
        if not q and c == "(":
            depth += 1
        if not q and c == ")":
            depth -= 1
        if c == "," and depth == 0 and not q:
            out.append(cur.strip())
            cur = ""
        else:
            cur += c
    if cur.strip():
        out.append(cur.strip())
    return out


def load_model(rel):
    path = os.path.join(SRC, "models", rel + ".sql")
    with open(path) as f:
        header, query = _split_block(_strip_comments(f.read()), "MODEL")
    props = {}
    for item in _top_level_items(header):
        key, _, val = item.partition(" ")
        props[key] = val.strip()
    audits = []
    if "audits" in props:
        audits = _top_level_items(props["audits"].strip()[1:-1])
    return dict(rel=rel, name=props["name"], kind=props["kind"], query=query, audits=audits,
                path=path)


def render(sql, landing, this=None, start="1970-01-01 00:00:00", end="2100-01-01 00:00:00"):
    sql = sql.replace("@VAR('landing_dir')", "'" + landing.replace("'", "''") + "'")
    files = sorted(glob.glob(landing + "/psd/[0-9][0-9][0-9][0-9]/[0-9][0-9]/*.csv.gzip"))
    sql = sql.replace("@LANDED_FILES('psd')", "(" + (", ".join("'" + f.replace("'", "''") + "'" for f in files) or "NULL") + ")")
    sql = sql.replace("@start_ts", f"'{start}'").replace("@end_ts", f"'{end}'")
    if this:
        sql = sql.replace("@this_model", this)
    assert "@" not in re.sub(r"'[^']*'", "", sql), "unrendered macro in: " + sql[:200]
    return sql


def audit_sql(audit, table):
    """SQL returning the offending rows of one audit call on table."""
    m = re.match(r"(\w+)\s*(?:\((.*)\))?$", audit, re.S)
    name, args = m.group(1), {}
    for a in _top_level_items(m.group(2) or ""):
        k, _, v = a.partition(":=")
        args[k.strip()] = v.strip()
    cols = [c.strip() for c in args.get("columns", "()").strip()[1:-1].split(",") if c.strip()]
    if name == "not_null":
        return f"SELECT * FROM {table} WHERE " + " OR ".join(f"{c} IS NULL" for c in cols)
    if name in ("unique_combination_of_columns", "unique_values"):
        return f"SELECT {', '.join(cols)}, count(*) FROM {table} GROUP BY ALL HAVING count(*) > 1"
    if name == "accepted_range":
        return f"SELECT * FROM {table} WHERE {args['column']} < {args['min_v']}"
    if name == "accepted_values":
        return f"SELECT * FROM {table} WHERE {args['column']} NOT IN {args['is_in']}"
    with open(os.path.join(SRC, "audits", name + ".sql")) as f:
        _, q = _split_block(_strip_comments(f.read()), "AUDIT")
    return q.replace("@this_model", table)


def build(scratch, db, landing):
    """Builds every model into db; returns {model name: row count}. Raises on audit failure."""
    counts = {}
    for rel in ORDER:
        m = load_model(rel)
        schema = m["name"].split(".")[0]
        if m["kind"].startswith("SEED"):
            rel_path = re.search(r"path\s+'([^']+)'", m["kind"]).group(1)
            csv = os.path.normpath(os.path.join(os.path.dirname(m["path"]), rel_path))
            q = f"SELECT * FROM read_csv('{csv}', header=true)"
        else:
            q = render(m["query"], landing, this=m["name"])
        what = "VIEW" if m["kind"] == "VIEW" else "TABLE"
        checks = [f"SELECT '#rows' AS audit, count(*) AS n FROM {m['name']}"]
        checks += [f"SELECT '{a.replace(chr(39), chr(39) * 2)}', count(*) FROM ({audit_sql(a, m['name'])})"
                   for a in m["audits"]]
        rows = scratch.sql(db, f"CREATE SCHEMA IF NOT EXISTS {schema}; "
                               f"CREATE OR REPLACE {what} {m['name']} AS {q}\n; "
                               + " UNION ALL ".join(checks), write=True)
        for r in rows:
            if r["audit"] == "#rows":
                counts[m["name"]] = r["n"]
            else:
                assert r["n"] == 0, f"audit {r['audit']} failed on {m['name']}: {r['n']} rows"
    return counts
