"""Repository hygiene: no Python bytecode is tracked, and .gitignore keeps it out.

Python writes __pycache__/*.pyc beside every imported test helper (the suite sets
PYTHONDONTWRITEBYTECODE, a manual run may not); tracked bytecode shows up as noise in every
diff and can shadow an edited helper. Needs the source tree to be a git checkout; a source
tarball has nothing to check and passes with a note."""
import os
import subprocess

from harness import SRC, main


def git(*args):
    return subprocess.run(["git", "-C", SRC, *args], capture_output=True, text=True)


def in_git_checkout():
    return os.path.exists(os.path.join(SRC, ".git")) and git("rev-parse").returncode == 0


def test_no_bytecode_is_tracked():
    if not in_git_checkout():
        print("note: not a git checkout, nothing to check")
        return
    p = git("ls-files")
    assert p.returncode == 0, p.stderr
    bad = [f for f in p.stdout.splitlines() if "__pycache__/" in f or f.endswith(".pyc")]
    assert not bad, f"tracked bytecode: {bad}"


def test_gitignore_ignores_bytecode():
    if not in_git_checkout():
        print("note: not a git checkout, nothing to check")
        return
    for path in ("tests/integration/__pycache__/harness.cpython-311.pyc",
                 "tests/integration/new_stage/__pycache__/x.cpython-312.pyc", "scripts/tool.pyc"):
        # --no-index: ask the ignore rules only, whether or not the path is tracked
        p = git("check-ignore", "-q", "--no-index", path)
        assert p.returncode == 0, f"{path} is not ignored by .gitignore"


if __name__ == "__main__":
    main([test_no_bytecode_is_tracked, test_gitignore_ignores_bytecode])
