"""tests/fuzz/CMakeLists.txt: a fuzz target whose source moved fails the configure, naming
the file, instead of being skipped without a word (a skipped target fuzzes nothing while
bench/fuzz reports it clean). Configures tests/fuzz alone in a scratch project whose src/
holds copies of the real sources (configure only: seconds, nothing built). Needs clang, as
the fuzz build does; without it there is nothing to configure and the test passes with a note."""
import os
import shutil
import subprocess

from harness import SRC, Scratch, main

WRAPPER = """cmake_minimum_required(VERSION 3.25)
project(fuzzcheck C)
find_package(PkgConfig REQUIRED)
add_subdirectory(tests/fuzz)
"""


def fuzz_sources():
    """Every src/... path the fuzz CMakeLists names."""
    with open(os.path.join(SRC, "tests", "fuzz", "CMakeLists.txt")) as f:
        return sorted({w for line in f if line.startswith("materia_fuzz_target(")
                       for w in line.strip().rstrip(")").split()[1:]})


def scratch_project(s, missing=None):
    root = os.path.join(s.dir, "proj-" + (os.path.basename(missing) if missing else "all"))
    shutil.copytree(os.path.join(SRC, "tests", "fuzz"), os.path.join(root, "tests", "fuzz"))
    for rel in fuzz_sources():
        if rel != missing:
            os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
            shutil.copy(os.path.join(SRC, rel), os.path.join(root, rel))
    with open(os.path.join(root, "CMakeLists.txt"), "w") as f:
        f.write(WRAPPER)
    return root


def configure(root):
    return subprocess.run(["cmake", "-S", root, "-B", os.path.join(root, "build")], capture_output=True,
                          text=True, env=dict(os.environ, CC="clang"), timeout=300)


def test_moved_fuzz_source_fails_the_configure():
    if not shutil.which("clang"):
        print("note: no clang, the fuzz targets cannot be configured here")
        return
    s = Scratch("fuzzcfg")
    srcs = fuzz_sources()
    assert "src/extract/psd_csv.c" in srcs and "src/transform/header.c" in srcs, srcs
    assert "src/transform/macro_lex.c" in srcs, srcs
    p = configure(scratch_project(s))
    assert p.returncode == 0, p.stdout + p.stderr
    p = configure(scratch_project(s, missing="src/extract/psd_csv.c"))
    assert p.returncode != 0, "a fuzz target whose source is missing must fail the configure:\n" + p.stdout
    assert "src/extract/psd_csv.c" in p.stderr and "fuzz_psd_csv" in p.stderr, p.stderr
    s.cleanup()


if __name__ == "__main__":
    main([test_moved_fuzz_source_fails_the_configure])
