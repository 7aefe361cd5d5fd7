"""The build compiles every C file with -Wstrict-prototypes and -Wmissing-prototypes, and they
bite: a snippet with an unprototyped declaration and a non-static function without a
declaration fails to compile with the flags of a real source file (under -Werror). Reads the
build's compile_commands.json (CMAKE_EXPORT_COMPILE_COMMANDS), found beside
$MATERIA_TEST_TMP."""
import json
import os
import shlex
import subprocess

from harness import TMP_ROOT, Scratch, main

FLAGS = ("-Wstrict-prototypes", "-Wmissing-prototypes")


def commands():
    path = os.path.join(os.path.dirname(os.path.abspath(TMP_ROOT)), "compile_commands.json")
    with open(path) as f:
        return json.load(f)


def test_every_c_file_gets_the_prototype_warnings():
    entries = [e for e in commands() if e["file"].endswith(".c")]
    assert any("/src/util/strbuf.c" in e["file"] for e in entries), "no compile commands for src/"
    for e in entries:
        args = shlex.split(e["command"]) if "command" in e else e["arguments"]
        for flag in FLAGS:
            assert flag in args, f"{e['file']}: {flag} missing from {args}"


def test_the_warnings_fail_a_bad_file():
    s = Scratch("warnings")
    e = next(e for e in commands() if e["file"].endswith("/src/util/strbuf.c"))
    args = shlex.split(e["command"]) if "command" in e else list(e["arguments"])
    bad = os.path.join(s.dir, "bad.c")
    with open(bad, "w") as f:
        f.write("int unprototyped();\nint no_declaration(void) { return unprototyped(); }\n")
    out, skip = [], False
    for a in args:  # the same compiler and flags, on bad.c, with -Werror, output discarded
        if skip:
            skip = False
        elif a == "-o":
            skip = True
        elif a != e["file"] and a != "-c":
            out.append(a)
    p = subprocess.run(out + ["-Werror", "-c", bad, "-o", os.devnull], capture_output=True, text=True,
                       cwd=e["directory"])
    assert p.returncode != 0, "a file breaking both rules compiled"
    assert "strict-prototypes" in p.stderr and "missing-prototypes" in p.stderr, p.stderr
    s.cleanup()


if __name__ == "__main__":
    main([test_every_c_file_gets_the_prototype_warnings, test_the_warnings_fail_a_bad_file])
