"""Fuzz smoke (issue 6): builds the libFuzzer targets of tests/fuzz with clang (in
<build dir>/fuzz, via bench/fuzz/build.sh), replays every saved regression input, then
fuzzes each target briefly from its seed corpus. Any crash, sanitizer report or broken
contract fails the test. The long runs are bench/fuzz/run.sh.
"""
import glob
import os
import re
import shutil
import subprocess
import tempfile

from harness import SRC, TMP_ROOT, main

SECONDS = int(os.environ.get("MATERIA_FUZZ_SMOKE_SECONDS", "20"))
BUILD = os.path.join(os.path.dirname(os.path.abspath(TMP_ROOT)), "fuzz")
FUZZ_SRC = os.path.join(SRC, "tests", "fuzz")


def duckdb_prefix():
    """DUCKDB_PREFIX of the build this test belongs to (the fuzz build re-runs the root
    CMakeLists, which wants DuckDB even though no fuzz target links it)."""
    if os.environ.get("DUCKDB_PREFIX"):
        return os.environ["DUCKDB_PREFIX"]
    cache = os.path.join(os.path.dirname(BUILD), "CMakeCache.txt")
    if os.path.exists(cache):
        with open(cache) as f:
            for line in f:
                if line.startswith("DUCKDB_PREFIX:"):
                    return line.split("=", 1)[1].strip()
    return os.path.join(SRC, "third_party", "duckdb")


def expected_targets():
    """Targets declared in tests/fuzz/CMakeLists.txt whose sources are all in the tree."""
    out = []
    with open(os.path.join(FUZZ_SRC, "CMakeLists.txt")) as f:
        for line in f:
            m = re.match(r"materia_fuzz_target\((\w+)((?:\s+\S+)*)\)", line.strip())
            if m and all(os.path.exists(os.path.join(SRC, s)) for s in m.group(2).split()):
                out.append("fuzz_" + m.group(1))
    return out


def build():
    env = dict(os.environ, DUCKDB_PREFIX=duckdb_prefix())
    p = subprocess.run([os.path.join(SRC, "bench", "fuzz", "build.sh"), BUILD], env=env,
                       capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, f"fuzz build failed:\n{p.stdout}\n{p.stderr}"
    return os.path.join(BUILD, "tests", "fuzz")


def files_in(d):
    return sorted(os.path.join(d, f) for f in os.listdir(d)) if os.path.isdir(d) else []


def test_build_replay_and_fuzz():
    bindir = build()
    want = expected_targets()
    assert "fuzz_psd_csv" in want, want
    for t in want:
        assert os.access(os.path.join(bindir, t), os.X_OK), f"{t} not built"
    # every saved crash input must now pass (no fuzzing: libFuzzer just runs the files)
    for t in want:
        regs = files_in(os.path.join(FUZZ_SRC, "regressions", t[len("fuzz_"):]))
        if regs:
            p = subprocess.run([os.path.join(bindir, t), *regs], capture_output=True,
                               text=True, timeout=300)
            assert p.returncode == 0, f"{t} regression input fails again:\n{p.stderr[-4000:]}"
    # brief fuzzing, all targets at once
    work = tempfile.mkdtemp(prefix="fuzz-smoke-", dir=TMP_ROOT)
    procs = {}
    for t in want:
        name = t[len("fuzz_"):]
        corpus = os.path.join(work, name, "corpus")
        arts = os.path.join(work, name, "artifacts") + "/"
        os.makedirs(corpus)
        os.makedirs(arts)
        for f in files_in(os.path.join(FUZZ_SRC, "corpus", name)):
            shutil.copy(f, corpus)
        if name in ("model_header", "macro_lex"):  # the project's real models are seeds
            audits = glob.glob(os.path.join(SRC, "audits", "*.sql")) if name == "model_header" else []
            for f in glob.glob(os.path.join(SRC, "models", "*", "*.sql")) + audits:
                shutil.copy(f, os.path.join(corpus, os.path.basename(os.path.dirname(f)) + "_" + os.path.basename(f)))
        args = [os.path.join(bindir, t), f"-max_total_time={SECONDS}", "-timeout=10",
                "-rss_limit_mb=2048", f"-artifact_prefix={arts}", corpus]
        d = os.path.join(FUZZ_SRC, name + ".dict")
        if os.path.exists(d):
            args.insert(1, f"-dict={d}")
        procs[t] = (subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True), arts)
    failures = []
    for t, (p, arts) in procs.items():
        _, err = p.communicate(timeout=SECONDS + 300)
        if p.returncode != 0 or os.listdir(arts):
            failures.append(f"{t}: exit {p.returncode}, artifacts {os.listdir(arts)}\n{err[-4000:]}")
        else:
            assert "Done" in err, f"{t} did not finish its run:\n{err[-2000:]}"
    assert not failures, "\n".join(failures)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main([test_build_replay_and_fuzz])
