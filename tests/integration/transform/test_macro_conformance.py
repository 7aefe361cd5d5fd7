"""test_macro_conformance.py — SQLMesh macro conformance: renders every case in macro_cases/
with `materia render` and compares the result with SQLMesh's render (issue 12).

Each case is one JSON file (format: macro_cases/README.md). For a case with "expected" the
render must exit 0 and print SQL equal to the expectation "whitespace, case and quoting
aside": both sides go through DuckDB's parser (json_serialize_sql, one batched `materia sql`
call for all cases), query_location keys dropped and the JSON lower-cased; where DuckDB
cannot parse a side, the texts are compared lower-cased with double quotes dropped and
whitespace runs collapsed. For a case with "error" the render must exit non-zero with one of
the given substrings (case-insensitive) on stderr.

Prints one line per failing case and then `N passed, N failed`; exits 1 if any failed.
`-k SUBSTRING` runs only the cases whose file name contains SUBSTRING.
python3 stdlib only; MATERIA_BIN, MATERIA_SOURCE_DIR and MATERIA_TEST_TMP as in harness.py.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

BIN = os.environ.get("MATERIA_BIN", "materia")
BIN = os.path.abspath(BIN) if os.sep in BIN else BIN  # the renders run in a scratch directory
SRC = os.environ.get("MATERIA_SOURCE_DIR",
                     os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..")))
CASES_DIR = os.path.join(SRC, "tests", "integration", "transform", "macro_cases")
TMP_ROOT = os.environ.get("MATERIA_TEST_TMP", tempfile.gettempdir())
RENDER_TIMEOUT_S = 60


def load_cases(substring):
    """[(file name, case dict)] of macro_cases/*.json in name order, those containing substring."""
    names = sorted(n for n in os.listdir(CASES_DIR) if n.endswith(".json") and substring in n)
    out = []
    for name in names:
        with open(os.path.join(CASES_DIR, name)) as f:
            out.append((name, json.load(f)))
    return out


def render_args(case, query_path):
    """The `materia render` argument list for one case."""
    args = ["render", "--query", query_path]
    if "vars" in case:
        args += ["--vars", json.dumps(case["vars"])]
    if "schema" in case:
        args += ["--schema", json.dumps(case["schema"])]
    for key, flag in (("start", "--start"), ("end", "--end"), ("execution_time", "--execution-time"),
                      ("this_model", "--this-model"), ("gateway", "--gateway"),
                      ("model_kind_name", "--model-kind")):
        if key in case:
            args += [flag, case[key]]
    return args


def run_render(case, workdir, index):
    """Runs the render of one case; returns CompletedProcess-like (returncode, stdout, stderr)."""
    query_path = os.path.join(workdir, f"case_{index:03d}.sql")
    with open(query_path, "w") as f:
        f.write(case["sql"])
    try:
        p = subprocess.run([BIN, *render_args(case, query_path)], cwd=workdir, capture_output=True,
                           text=True, timeout=RENDER_TIMEOUT_S)
        return p.returncode, p.stdout, p.stderr
    except (OSError, subprocess.TimeoutExpired) as e:
        return -1, "", f"{type(e).__name__}: {e}"


def text_key(sql):
    """Fallback comparison key: lower case, no double quotes, whitespace runs collapsed,
    no trailing semicolon."""
    s = re.sub(r"\s+", " ", sql.lower().replace('"', "")).strip()
    return s.rstrip("; ").strip()


def strip_locations(node, aliases):
    """The parse tree without its "query_location" keys (they differ with whitespace), and
    with each function name replaced by the DuckDB function it is an alias of (POW and
    POWER are one function in DuckDB; sqlglot prints the second)."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "query_location":
                continue
            if k == "function_name" and isinstance(v, str):
                v = aliases.get(v.lower(), v.lower())
            out[k] = strip_locations(v, aliases)
        return out
    if isinstance(node, list):
        return [strip_locations(v, aliases) for v in node]
    return node


def function_aliases(workdir):
    """{function name: canonical name} from DuckDB's catalog (duckdb_functions().alias_of)."""
    q = ("SELECT DISTINCT lower(function_name) AS f, lower(alias_of) AS a FROM duckdb_functions() "
         "WHERE alias_of IS NOT NULL")
    p = subprocess.run([BIN, "sql", "--json", ":memory:", q], cwd=workdir, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise SystemExit(f"cannot read DuckDB's function aliases: {p.stderr.strip()[:200]}")
    rows = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    return {r["f"]: r["a"] for r in rows}


def parse_trees(texts, workdir):
    """{text: canonical parse-tree string or None when DuckDB cannot parse it}, for all
    texts in one `materia sql` call over a VALUES list."""
    uniq = sorted(set(texts))
    out = {t: None for t in uniq}
    if not uniq:
        return out
    rows = ", ".join(f"({i}, '{t.replace(chr(39), chr(39) * 2)}')" for i, t in enumerate(uniq))
    query = f"SELECT i, json_serialize_sql(s) AS j FROM (VALUES {rows}) AS v(i, s) ORDER BY i"
    p = subprocess.run([BIN, "sql", "--json", ":memory:", query], cwd=workdir,
                       capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        print(f"note: canonicalizing through DuckDB failed ({p.stderr.strip()[:200]}); "
              "comparing texts only", flush=True)
        return out
    aliases = function_aliases(workdir)
    for line in p.stdout.splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        tree = json.loads(row["j"])
        if not tree.get("error"):
            out[uniq[row["i"]]] = json.dumps(strip_locations(tree, aliases), sort_keys=True).lower()
    return out


def same_sql(expected, actual, trees):
    """Whether two SQL texts match whitespace, case and quoting aside."""
    a, b = trees.get(expected), trees.get(actual)
    if a is not None and b is not None:
        return a == b
    return text_key(expected) == text_key(actual)


def error_alternatives(case):
    """The accepted error substrings of an error case (a string or a list in the file)."""
    e = case["error"]
    return [e] if isinstance(e, str) else list(e)


def verdict(case, result, trees):
    """None when the case passes, else a one-line reason."""
    code, stdout, stderr = result
    first_err = " ".join(stderr.strip().splitlines()[:3])[:300]
    if "error" in case:
        alts = error_alternatives(case)
        if code == 0:
            return f"want error containing {alts}, got exit 0: {text_key(stdout)[:300]}"
        if not any(a.lower() in stderr.lower() for a in alts):
            return f"want error containing {alts}, got exit {code}: {first_err}"
        return None
    if code != 0:
        return f"exit {code}: {first_err} | expected: {text_key(case['expected'])[:300]}"
    if not same_sql(case["expected"], stdout.strip(), trees):
        return f"expected: {text_key(case['expected'])[:300]} | actual: {text_key(stdout)[:300]}"
    return None


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-k", default="", help="run only cases whose file name contains this")
    opts = ap.parse_args(argv)
    cases = load_cases(opts.k)
    os.makedirs(TMP_ROOT, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="macro-conformance-", dir=TMP_ROOT)
    try:
        results = [run_render(case, workdir, i) for i, (_, case) in enumerate(cases)]
        texts = []
        for (_, case), (code, stdout, _) in zip(cases, results):
            if "expected" in case and code == 0:
                texts += [case["expected"], stdout.strip()]
        trees = parse_trees(texts, workdir)
        failed = 0
        for (name, case), result in zip(cases, results):
            why = verdict(case, result, trees)
            if why is not None:
                failed += 1
                print(f"FAIL {name}: {why}", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"{len(cases) - failed} passed, {failed} failed")
    return 1 if failed or not cases else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
