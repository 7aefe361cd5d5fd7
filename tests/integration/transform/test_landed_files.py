"""@LANDED_FILES('dataset') (a Materia extension to SQLMesh's macros): renders the constant
list of landing data files whose landed_at (meta file, else mtime) falls in the interval,
`(NULL)` when none, so `filename IN @LANDED_FILES(...)` lets read_csv skip other files and an
interval with no landing yields zero rows without an error."""
import gzip
import json
import os

from tproject import new_scratch, q

MODEL = {
    "models/raw/files.sql":
        "MODEL (\n  name raw.files,\n  kind INCREMENTAL_BY_TIME_RANGE (time_column landed_at),\n"
        "  start '2024-01-01'\n);\n"
        "SELECT filename AS file, CAST('2024-01-01' AS TIMESTAMP) AS landed_at, count(*) AS n\n"
        "FROM read_csv(@VAR('landing_dir') || '/psd/[0-9][0-9][0-9][0-9]/[0-9][0-9]/*.csv.gzip',\n"
        "  compression = 'gzip', filename = true, header = true, columns = {'a': 'INTEGER'})\n"
        "WHERE filename IN @LANDED_FILES('psd')\nGROUP BY ALL\n",
}


def land(s, rel, text):
    p = os.path.join(s.landing, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with gzip.open(p, "wt") as f:
        f.write(text)


def meta(s, rel, landed_at):
    with open(os.path.join(s.landing, rel.replace(".csv.gzip", ".meta.json")), "w") as f:
        json.dump({"landed_at": landed_at}, f)


def test_landed_files_lists_only_the_interval():
    s = new_scratch("transform-landed", MODEL)
    land(s, "psd/2024/01/a.csv.gzip", "a\n1\n")
    meta(s, "psd/2024/01/a.csv.gzip", "2024-01-02T08:00:00Z")
    land(s, "psd/2024/01/b.csv.gzip", "a\n2\n")
    meta(s, "psd/2024/01/b.csv.gzip", "2024-01-05T08:00:00Z")
    land(s, "psd/2024/02/c.csv.gzip", "a\n3\n")  # no meta: its mtime (now) is its landed_at
    a, b, c = (os.path.join(s.landing, "psd", r) for r in ("2024/01/a.csv.gzip", "2024/01/b.csv.gzip", "2024/02/c.csv.gzip"))
    lit = lambda p: "'" + p + "'"  # noqa: E731
    r = s.run("render", "--start", "2024-01-02", "--end", "2024-01-03", "raw.files", check=0).stdout
    assert f"IN ({lit(a)})" in r, r
    r = s.run("render", "--start", "2024-01-01", "--end", "2024-01-31", "raw.files", check=0).stdout
    assert f"IN ({lit(a)}, {lit(b)})" in r, r
    r = s.run("render", "--start", "2024-01-03", "--end", "2024-01-04", "raw.files", check=0).stdout
    assert "IN (NULL)" in r, r
    r = s.run("render", "--start", "2000-01-01", "--end", "2100-01-01", "raw.files", check=0).stdout
    assert f"IN ({lit(a)}, {lit(b)}, {lit(c)})" in r, r
    # an interval holding no landing: zero rows, no error
    s.run("run", "--execution-time", "2024-01-04 12:00", check=0)
    assert q(s, "SELECT file, n FROM raw.files ORDER BY file") == [{"file": a, "n": 1}]
    s.cleanup()


def test_landed_files_bad_argument_names_the_model():
    s = new_scratch("transform-landed-bad", {"models/raw/files.sql": MODEL["models/raw/files.sql"].replace(
        "@LANDED_FILES('psd')", "@LANDED_FILES('psd/*')")})
    p = s.run("render", "raw.files", check=1)
    assert "files.sql" in p.stderr and "@LANDED_FILES('dataset')" in p.stderr, p.stderr
    s.cleanup()


if __name__ == "__main__":
    from harness import main
    main([test_landed_files_lists_only_the_interval, test_landed_files_bad_argument_names_the_model])
