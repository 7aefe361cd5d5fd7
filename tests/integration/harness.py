"""harness.py — shared helpers for integration tests (python3 stdlib only).

Each test file is one CTest test: it runs the real `materia` binary ($MATERIA_BIN) in a
fresh scratch directory under $MATERIA_TEST_TMP, with a clean environment pointing
LANDING_DIR / DUCKDB_PATH / SERVING_DUCKDB_PATH into that directory. EXTRACT_SOURCES is
psd there (the pipeline never reaches for cftc.gov from a test); a test of the COT source
sets EXTRACT_SOURCES and COT_SOURCE_URL itself (COT_SAMPLE_URL: the bundled files).
"""
import os
import signal
import shutil
import subprocess
import sys
import tempfile
import traceback

BIN = os.environ.get("MATERIA_BIN", "materia")
SRC = os.environ.get("MATERIA_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
SAMPLE_ZIP = os.path.join(SRC, "sample", "usda-psd", "psd_coffee_csv.zip")
COT_SAMPLE_DIR = os.path.join(SRC, "sample", "cftc-cot")
# the six bundled COT files as CFTC names them, one per year (sample/cftc-cot/by-year links)
COT_SAMPLE_URL = "file://" + os.path.join(COT_SAMPLE_DIR, "by-year", "fut_disagg_txt_{YYYY}.zip")
COT_SAMPLE_YEARS = "2017-2021,2023"

TMP_ROOT = os.environ.get("MATERIA_TEST_TMP", tempfile.gettempdir())


class Scratch:
    """A scratch directory with its own data folders and environment."""

    def __init__(self, name):
        os.makedirs(TMP_ROOT, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix=name + "-", dir=TMP_ROOT)
        self.landing = os.path.join(self.dir, "landing")
        self.lakehouse = os.path.join(self.dir, "lakehouse.duckdb")
        self.serving = os.path.join(self.dir, "serving.duckdb")
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("LANDING_DIR", "DUCKDB_PATH", "SERVING_DUCKDB_PATH", "PSD_SOURCE_URL",
                                 "COT_SOURCE_URL", "COT_YEARS", "EXTRACT_SOURCES")}
        self.env.update(LANDING_DIR=self.landing, DUCKDB_PATH=self.lakehouse,
                        SERVING_DUCKDB_PATH=self.serving, MATERIA_PROJECT_DIR=SRC, EXTRACT_SOURCES="psd")
        # every test's requests come from 127.0.0.1: the anonymous /api rate limit (issue 15)
        # is lifted to its maximum except in the tests of the limit itself, which set it
        self.env.setdefault("API_RATE_ANON_PER_MIN", "100000000")

    def run(self, *args, env=None, check=None, timeout=600, input=None):
        """Runs materia with args in the scratch dir; returns CompletedProcess (text)."""
        e = dict(self.env)
        if env:
            e.update(env)
        p = subprocess.run([BIN, *args], cwd=self.dir, env=e, capture_output=True, text=True,
                           timeout=timeout, input=input)
        if check is not None and p.returncode != check:
            raise AssertionError(f"materia {' '.join(args)}: exit {p.returncode}, want {check}\n"
                                 f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
        return p

    def sql(self, db, query, write=False):
        """Runs SQL on a DuckDB file through `materia sql --json`; returns a list of dicts."""
        import json
        args = ["sql", "--json"] + (["--write"] if write else []) + [db, query]
        p = self.run(*args, check=0)
        return [json.loads(l) for l in p.stdout.splitlines() if l.strip()]

    def file_format(self, path):
        """(block size, storage version tag) of the DuckDB file at path, read from a fresh
        in-memory instance with DuckDB's defaults, so the file's own format shows."""
        r = self.sql(":memory:", f"ATTACH '{path}' AS f (READ_ONLY); "
                                 "SELECT (SELECT block_size FROM pragma_database_size() WHERE database_name = 'f') "
                                 "AS bs, (SELECT tags['storage_version'] FROM duckdb_databases() "
                                 "WHERE database_name = 'f') AS sv")
        return r[0]["bs"], r[0]["sv"]

    def tree(self, sub="landing"):
        """Every file under sub as {relative path: (size, mtime_ns)}."""
        root = os.path.join(self.dir, sub)
        out = {}
        for d, _, files in os.walk(root):
            for f in files:
                p = os.path.join(d, f)
                st = os.stat(p)
                out[os.path.relpath(p, root)] = (st.st_size, st.st_mtime_ns)
        return out

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class Serve:
    """`materia serve` on an ephemeral 127.0.0.1 port (--addr 127.0.0.1:0), started in the
    scratch dir with its environment plus env; stderr goes to <scratch>/<name>.log. The
    port is read from the "listening on" line the server prints to stdout."""

    def __init__(self, scratch, env=None, name="serve", start_timeout=60):
        import re
        import select
        self.scratch = scratch
        self.log_path = os.path.join(scratch.dir, f"{name}.log")
        e = dict(scratch.env)
        e.setdefault("MATERIA_WEB_DIR", os.path.join(scratch.dir, "webdist"))
        e.update(env or {})
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([BIN, "serve", "--addr", "127.0.0.1:0"], cwd=scratch.dir, env=e,
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        r, _, _ = select.select([self.proc.stdout], [], [], start_timeout)
        line = self.proc.stdout.readline() if r else ""
        m = re.match(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if not m:
            self.proc.kill()
            raise AssertionError(f"serve did not start: {line!r}\n{self.logtext()}")
        self.port = int(m.group(1))
        self.pid = self.proc.pid

    def logtext(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def fd_targets(self):
        """What each open fd of the server points at (readlink of /proc/pid/fd/*)."""
        d = f"/proc/{self.pid}/fd"
        out = []
        for fd in os.listdir(d):
            try:
                out.append(os.readlink(os.path.join(d, fd)))
            except OSError:
                pass  # closed meanwhile
        return out

    def terminate(self, timeout):
        """SIGTERM and wait; returns (exit status, whether it had to be killed after timeout s)."""
        killed = False
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                killed = True
        self.proc.stdout.close()
        self.log.flush()
        return self.proc.returncode, killed



def first_word_by_model(stdout):
    """{model: first word} of the indented per-model lines that `materia run` (the action)
    and `materia plan` (the reason) print: "  <word> <model> ..."."""
    out = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and line.startswith("  "):
            out[parts[1]] = parts[0]
    return out


def main(tests):
    """Runs each test function; prints PASS/FAIL lines; exits non-zero on any failure."""
    failed = 0
    for t in tests:
        try:
            t()
            print(f"PASS {t.__name__}", flush=True)
        except Exception:  # noqa: BLE001 - report every failure, keep going
            failed += 1
            print(f"FAIL {t.__name__}", flush=True)
            traceback.print_exc()
    print(f"{len(tests) - failed}/{len(tests)} passed")
    sys.exit(1 if failed else 0)
