"""infra/: the systemd units pass `systemd-analyze verify` (with no warnings at all), carry
the settings the server needs, the timer fires every 6 hours, the wrapper execs the
supervisor, and .env.example documents every setting of `materia config`."""
import datetime
import os
import re
import shlex
import shutil
import subprocess
import tempfile

from harness import BIN, SRC, Scratch, main

UNITS = ["supervisor/materia-supervisor.service", "web/materia-web.service",
         "backup/materia-backup.service", "backup/materia-backup.timer"]


# rclone flags the backup unit may use: those taking a value, and switches. An unknown flag
# fails the parse, so a new one is added here instead of shifting what is read as the source.
RCLONE_VALUE_FLAGS = {"--exclude", "--include", "--filter", "--config", "--transfers", "--checkers",
                      "--bwlimit", "--log-level", "--log-file", "--max-age", "--min-age"}
RCLONE_SWITCHES = {"--checksum", "--immutable", "--dry-run", "--verbose", "-v", "--no-traverse",
                   "--fast-list", "--size-only", "--ignore-existing"}


def rclone_command(execstart):
    """An rclone ExecStart= line by key: program, subcommand, flags {name: value or True},
    source and dest (the two positional arguments, wherever the flags are)."""
    words = shlex.split(execstart)
    out = {"program": words[0], "subcommand": words[1], "flags": {}}
    positional = []
    it = iter(words[2:])
    for w in it:
        if w.startswith("-"):
            name, eq, value = w.partition("=")
            if eq:
                out["flags"][name] = value
            elif name in RCLONE_VALUE_FLAGS:
                out["flags"][name] = next(it)
            else:
                assert name in RCLONE_SWITCHES, f"unknown rclone flag {name} in {execstart!r}"
                out["flags"][name] = True
        else:
            positional.append(w)
    assert len(positional) == 2, f"want source and dest in {execstart!r}"
    out["source"], out["dest"] = positional
    return out


def read(rel):
    with open(os.path.join(SRC, "infra", rel)) as f:
        return f.read()


def substituted_units(dest):
    """Copies of the units whose ExecStart paths point at this build, so verify can check
    that they exist and are executable (the server paths do not exist here)."""
    for u in UNITS:
        text = read(u)
        text = text.replace("/opt/materia/build/release/materia", BIN)
        text = text.replace("/opt/materia/infra/", os.path.join(SRC, "infra") + "/")
        with open(os.path.join(dest, os.path.basename(u)), "w") as f:
            f.write(text)
        # every ExecStart now names an existing file
        for line in text.splitlines():
            if line.startswith("ExecStart="):
                exe = line.split("=", 1)[1].split()[0]
                assert os.access(exe, os.X_OK), f"{u}: {exe} is not executable"
    return [os.path.join(dest, os.path.basename(u)) for u in UNITS]


def verify(paths):
    p = subprocess.run(["systemd-analyze", "verify", "--man=no", *paths], capture_output=True, text=True,
                       cwd=os.path.dirname(paths[0]))
    return p.returncode, (p.stdout + p.stderr).strip()


def test_units_verify_cleanly():
    assert shutil.which("systemd-analyze"), "systemd-analyze missing (scripts/bootstrap --test installs systemd)"
    d = tempfile.mkdtemp()
    paths = substituted_units(d)
    rc, out = verify(paths)
    assert rc == 0 and out == "", f"systemd-analyze verify: exit {rc}\n{out}"
    # the check is real: a bad key, a bad value and a missing binary are all reported
    with open(paths[0]) as f:
        good = f.read()
    for bad in (good.replace("[Service]\n", "[Service]\nBogusKey=1\n"),
                good.replace("Type=simple", "Type=bogus"),
                good.replace("ExecStart=" + SRC, "ExecStart=/nonexistent" + SRC)):
        with open(paths[0], "w") as f:
            f.write(bad)
        rc, out = verify([paths[0]])
        assert rc != 0 or out != "", "verify did not notice a broken unit"
    shutil.rmtree(d)


def unit_settings(text):
    out = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            out.setdefault(k, []).append(v)
    return out


def test_units_carry_the_server_settings():
    sup = unit_settings(read("supervisor/materia-supervisor.service"))
    env = dict(e.split("=", 1) for e in sup["Environment"])
    assert env["SERVING_DUCKDB_PATH"] == "/data/materia/serving.duckdb"
    assert env["DUCKDB_PATH"].startswith("/data/materia/") and env["LANDING_DIR"] == "/data/materia/landing"
    # systemd lets EnvironmentFile= override Environment=: a .env loaded that way could move
    # the data paths; materia reads .env itself (WorkingDirectory), where the environment wins
    assert "EnvironmentFile" not in sup and sup["WorkingDirectory"] == ["/opt/materia"]
    assert sup["KillSignal"] == ["SIGTERM"] and sup["User"] == ["materia"]
    assert sup["ExecStart"] == ["/opt/materia/infra/supervisor/materia-supervisor-wrapper.sh"]
    web = unit_settings(read("web/materia-web.service"))
    assert web["ExecStart"] == ["/opt/materia/build/release/materia serve"]
    assert "SERVING_DUCKDB_PATH=/data/materia/serving.duckdb" in web["Environment"]
    assert "EnvironmentFile" not in web and web["WorkingDirectory"] == ["/opt/materia"]
    bak = unit_settings(read("backup/materia-backup.service"))
    # the backup copies exactly the folder the supervisor lands into, whatever .env says
    cmd = rclone_command(bak["ExecStart"][0])
    assert bak["Type"] == ["oneshot"] and cmd["source"] == env["LANDING_DIR"], bak["ExecStart"]
    assert cmd["program"] == "/usr/bin/rclone" and cmd["subcommand"] == "copy", cmd
    assert cmd["dest"] == "${MATERIA_BACKUP_REMOTE}", cmd
    # copy never deletes; hidden files (extract's temporaries) never reach the bucket
    assert cmd["flags"].get("--exclude") == ".*" and cmd["flags"].get("--immutable") is True, cmd
    # the account database: serve writes it in a folder of its own (the only one it may
    # write); the backup takes an online copy of exactly that file, then copies the copy
    web_env = dict(e.split("=", 1) for e in web["Environment"])
    app_db = web_env["APP_DB_PATH"]
    assert app_db.startswith("/data/materia/app/") and web["ReadWritePaths"] == ["/data/materia/app"], web
    words = shlex.split(bak["ExecStart"][1])
    assert words[:4] == ["/opt/materia/build/release/materia", "appdb", "backup", "--db"], words
    assert words[4] == app_db and os.path.dirname(words[5]) == "/data/materia/backup", words
    app = rclone_command(bak["ExecStart"][2])
    assert app["subcommand"] == "copy" and app["source"] == "/data/materia/backup", app
    assert app["dest"] == "${MATERIA_BACKUP_APP_REMOTE}" and app["flags"].get("--exclude") == ".*", app
    assert bak["ReadWritePaths"] == ["/data/materia/backup"], bak
    timer = unit_settings(read("backup/materia-backup.timer"))
    assert timer["Unit"] == ["materia-backup.service"]


def test_rclone_command_is_read_by_key_not_position():
    # the same command with its flags moved: the source and dest stay what they are
    for line in ("/usr/bin/rclone copy --checksum --immutable /data/l ${R} --exclude .*",
                 "/usr/bin/rclone copy --exclude .* --checksum /data/l --immutable ${R}",
                 "/usr/bin/rclone copy --exclude=.* /data/l ${R} --checksum --immutable"):
        cmd = rclone_command(line)
        assert (cmd["source"], cmd["dest"], cmd["flags"]["--exclude"]) == ("/data/l", "${R}", ".*"), (line, cmd)
    try:
        rclone_command("/usr/bin/rclone copy --new-flag x /data/l ${R}")
    except AssertionError as e:
        assert "unknown rclone flag --new-flag" in str(e)
    else:
        raise AssertionError("an unknown flag must fail the parse")


def test_backup_timer_fires_every_6_hours():
    spec = unit_settings(read("backup/materia-backup.timer"))["OnCalendar"][0]
    p = subprocess.run(["systemd-analyze", "calendar", "--iterations=5", spec], capture_output=True, text=True,
                       env=dict(os.environ, TZ="UTC", LC_ALL="C"))
    assert p.returncode == 0, p.stderr
    stamps = re.findall(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", p.stdout)
    times = [datetime.datetime.strptime(s, "%Y-%m-%d %H:%M:%S") for s in stamps]
    assert len(times) == 5, p.stdout
    gaps = {(b - a).total_seconds() for a, b in zip(times, times[1:])}
    assert gaps == {6 * 3600}, (gaps, p.stdout)


def test_wrapper_execs_supervise():
    s = Scratch("infra")
    checkout = os.path.join(s.dir, "checkout")
    os.makedirs(os.path.join(checkout, "build", "release"))
    os.symlink(BIN, os.path.join(checkout, "build", "release", "materia"))
    env = dict(s.env, MATERIA_CHECKOUT=checkout, MATERIA_WRAPPER_NO_UPDATE="1")
    p = subprocess.run([os.path.join(SRC, "infra", "supervisor", "materia-supervisor-wrapper.sh"), "--help"],
                       env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and "usage: materia supervise" in p.stdout, p
    env["MATERIA_CHECKOUT"] = os.path.join(s.dir, "nowhere")
    p = subprocess.run([os.path.join(SRC, "infra", "supervisor", "materia-supervisor-wrapper.sh")],
                       env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 1 and "is missing" in p.stdout, p
    s.cleanup()


def test_bootstrap_needs_no_sudo():
    """A fresh Debian 12 server has no sudo; the set-up script switches user with runuser."""
    with open(os.path.join(SRC, "infra", "bootstrap_supervisor.sh")) as f:
        code = [l.split("#", 1)[0] for l in f]
    assert not [l for l in code if re.search(r"\bsudo\b", l)], "bootstrap_supervisor.sh calls sudo"
    assert any("runuser -u materia --" in l for l in code)


def test_scripts_parse_and_have_help():
    for script in ("infra/bootstrap_supervisor.sh", "infra/supervisor/materia-supervisor-wrapper.sh"):
        p = subprocess.run(["bash", "-n", os.path.join(SRC, script)], capture_output=True, text=True)
        assert p.returncode == 0, (script, p.stderr)
    p = subprocess.run([os.path.join(SRC, "infra", "bootstrap_supervisor.sh"), "--help"], capture_output=True,
                       text=True)
    assert p.returncode == 0 and "idempotent" in p.stdout, p


def test_env_example_documents_every_setting():
    s = Scratch("infra")
    p = s.run("config", check=0)
    # the settings (KEY=value); the project's config.yaml lines after them (gateway=...,
    # variables.x=...) are not .env settings
    keys = [l.split("=", 1)[0] for l in p.stdout.splitlines() if "=" in l and not l.startswith("#")]
    keys = [k for k in keys if re.fullmatch(r"[A-Z][A-Z0-9_]+", k)]
    assert len(keys) >= 15, p.stdout
    with open(os.path.join(SRC, ".env.example")) as f:
        example = f.read()
    documented = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", example, re.M))
    missing = [k for k in keys if k not in documented]
    assert not missing, f".env.example lacks {missing}"
    # the documented defaults are the real ones (paths from the build tree excepted)
    values = dict(re.findall(r"^#?([A-Z][A-Z0-9_]+)=(.*)$", example, re.M))
    for line in p.stdout.splitlines():
        if "\t(default)" not in line:
            continue
        k, v = line.split("\t", 1)[0].split("=", 1)
        if SRC not in v:
            assert values[k] == v, f".env.example says {k}={values[k]}, default is {v}"
    s.cleanup()


if __name__ == "__main__":
    main([test_units_verify_cleanly, test_units_carry_the_server_settings, test_rclone_command_is_read_by_key_not_position,
          test_backup_timer_fires_every_6_hours,
          test_wrapper_execs_supervise, test_bootstrap_needs_no_sudo, test_scripts_parse_and_have_help,
          test_env_example_documents_every_setting])
