"""infra/bootstrap_supervisor.sh end to end, in a throwaway root: the checkout, folders and
modes, .env written once and never overwritten, the units installed with this run's paths,
systemctl's calls, a second run changing nothing, an upstream change pulled and installed,
the replica role, the repository URL from MATERIA_REPO_URL (--repo still winning), and
locations nested in one another rendered into the units in one pass.

Where it runs: systemd-nspawn is not installed on the test machines and a chroot needs a
whole Debian tree, so the script runs on this machine with MATERIA_ROOT, MATERIA_DATA,
MATERIA_ETC and MATERIA_SYSTEMD_DIR in a temporary folder, and every command that would
change the machine itself is a PATH shim that records its call: systemctl, useradd,
groupadd, runuser (runs the command as the current user), install (drops -o/-g, then runs
the real install, so the modes are real), apt-get (fails); getent and id answer for the
fake `materia` user from the shims' own state, and `id -u` answers 0 so the root check
passes without root. The repository is a local git repository made from this source tree's
infra/, scripts/bootstrap and .env.example (the files under test, committed or not).
MATERIA_SKIP_BUILD=1: step 4 (scripts/bootstrap, the Release build) is NOT exercised here;
it is the same two commands as `make release`, which `make run` runs on every checkout."""
import json
import os
import re
import shutil
import subprocess
import tempfile

from harness import SRC, TMP_ROOT, main

SCRIPT = os.path.join(SRC, "infra", "bootstrap_supervisor.sh")
PIPELINE_UNITS = ["materia-supervisor.service", "materia-web.service", "materia-backup.service",
                  "materia-backup.timer"]

# Each shim appends one JSON line ([name, arg...]) to $SHIM_LOG. $SHIM_STATE holds the fake
# user database.
SHIM_HEAD = """#!/bin/bash
python3 -c 'import json,sys; open(sys.argv[1],"a").write(json.dumps(sys.argv[2:])+"\\n")' "$SHIM_LOG" "$(basename "$0")" "$@"
"""
SHIMS = {
    "systemctl": "exit 0\n",
    "apt-get": "echo 'apt-get shim: the script must not install packages here' >&2; exit 1\n",
    "groupadd": 'echo "${@: -1}" >> "$SHIM_STATE/group"\n',
    "useradd": 'echo "${@: -1}" >> "$SHIM_STATE/passwd"\n',
    "getent": ('if [ "$1" = group ]; then grep -qx "$2" "$SHIM_STATE/group" 2>/dev/null && echo "$2:x:998:"'
               ' && exit 0; exit 2; fi\nexec /usr/bin/getent "$@"\n'),
    "id": ('if [ "$#" = 1 ] && [ "$1" = -u ]; then echo 0; exit 0; fi\n'
           'if [ "$#" = 2 ] && [ "$1" = -u ]; then grep -qx "$2" "$SHIM_STATE/passwd" 2>/dev/null && echo 999'
           ' && exit 0; exit 1; fi\nexec /usr/bin/id "$@"\n'),
    "runuser": ('[ "$1" = -u ] && [ "$3" = -- ] || { echo "runuser shim: want -u USER --" >&2; exit 2; }\n'
                'shift 3\nexec "$@"\n'),
    # SHIM_FAIL_INSTALL=NAME: a copy to a path containing NAME writes half the file, then fails
    "install": ('if [ -n "${SHIM_FAIL_INSTALL:-}" ] && [[ "${@: -1}" == *"$SHIM_FAIL_INSTALL"* ]]; then\n'
                '  echo "PARTIAL=" > "${@: -1}"; exit 1; fi\n'
                'args=()\nwhile [ $# -gt 0 ]; do case "$1" in -o|-g) shift 2 ;; *) args+=("$1"); shift ;; esac; done\n'
                'exec /usr/bin/install "${args[@]}"\n'),
}


class Root:
    """A throwaway server: its locations, shims and the origin repository."""

    def __init__(self, name, root="srv/checkout", data="srv/lake", etc="srv/conf"):
        os.makedirs(TMP_ROOT, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix=name + "-", dir=TMP_ROOT)
        # names unlike the defaults, so a default left in a unit cannot pass for this run's path
        self.root = os.path.join(self.dir, root)
        self.data = os.path.join(self.dir, data)
        self.etc = os.path.join(self.dir, etc)
        self.units = os.path.join(self.dir, "systemd")
        os.makedirs(self.units)
        self.bin = os.path.join(self.dir, "shims")
        self.state = os.path.join(self.dir, "state")
        self.log = os.path.join(self.dir, "calls.jsonl")
        os.makedirs(self.bin)
        os.makedirs(self.state)
        for name, body in SHIMS.items():
            p = os.path.join(self.bin, name)
            with open(p, "w") as f:
                f.write(SHIM_HEAD + body)
            os.chmod(p, 0o755)
        self.origin = os.path.join(self.dir, "origin.git")
        self.make_origin()

    def git(self, *args, cwd=None):
        p = subprocess.run(["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *args],
                           cwd=cwd or self.origin, capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, (args, p.stderr)
        return p.stdout

    def make_origin(self):
        os.makedirs(os.path.join(self.origin, "scripts"))
        shutil.copytree(os.path.join(SRC, "infra"), os.path.join(self.origin, "infra"),
                        ignore=shutil.ignore_patterns("node_modules", "build"))
        shutil.copy2(os.path.join(SRC, "scripts", "bootstrap"), os.path.join(self.origin, "scripts"))
        shutil.copy2(os.path.join(SRC, ".env.example"), self.origin)
        self.git("init", "-q", "-b", "main")
        self.git("add", "-A")
        self.git("commit", "-q", "-m", "origin")

    def env(self, **extra):
        e = {k: v for k, v in os.environ.items() if not k.startswith("MATERIA_")}
        e.update(PATH=self.bin + ":" + os.environ["PATH"], SHIM_LOG=self.log, SHIM_STATE=self.state,
                 MATERIA_ROOT=self.root, MATERIA_DATA=self.data, MATERIA_ETC=self.etc,
                 MATERIA_SYSTEMD_DIR=self.units, MATERIA_SKIP_BUILD="1", TMPDIR=self.state)
        e.update(extra)
        return e

    def run(self, *args, want=0, **env):
        """Runs the script; returns (CompletedProcess, the shim calls of this run)."""
        before = len(self.calls())
        p = subprocess.run(["bash", SCRIPT, *args], env=self.env(**env), capture_output=True, text=True,
                           timeout=120)
        assert p.returncode == want, f"exit {p.returncode}, want {want}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
        return p, self.calls()[before:]

    def calls(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [json.loads(l) for l in f]

    def snapshot(self):
        """Every file and folder under the throwaway root: {path: (mode, mtime_ns, inode)}."""
        out = {}
        for top in (self.root, self.data, self.etc, self.units):
            for d, dirs, files in os.walk(top):
                if ".git" in dirs:
                    dirs.remove(".git")
                for n in [d] + [os.path.join(d, f) for f in files]:
                    st = os.stat(n)
                    out[n] = (st.st_mode, st.st_mtime_ns, st.st_ino)
        return out

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def mode(path):
    return os.stat(path).st_mode & 0o7777


def unit_lines(path, key):
    with open(path) as f:
        return [l.split("=", 1)[1].strip() for l in f if l.startswith(key + "=")]


def test_pipeline_server_first_run_then_idempotent():
    r = Root("bootstrap")
    p, calls = r.run(MATERIA_REPO_URL=r.origin)
    names = [c[0] for c in calls]
    assert ["groupadd", "--system", "materia"] in calls, calls
    assert any(c[0] == "useradd" and c[-1] == "materia" and "--home-dir" in c and r.root in c for c in calls), calls
    assert "apt-get" not in names

    # the checkout: cloned as the service user from MATERIA_REPO_URL, branch main
    clones = [c for c in calls if c[:5] == ["runuser", "-u", "materia", "--", "git"] and "clone" in c]
    assert len(clones) == 1 and clones[0][-2:] == [r.origin, r.root] and "main" in clones[0], clones
    assert r.git("rev-parse", "HEAD", cwd=r.root) == r.git("rev-parse", "HEAD")
    assert "build skipped (MATERIA_SKIP_BUILD=1)" in p.stdout, p.stdout

    # folders, modes, and the owners asked of install(1)
    assert {d: mode(d) for d in (r.data, r.data + "/landing", r.data + "/app", r.data + "/backup", r.etc)} == {
        r.data: 0o755, r.data + "/landing": 0o755, r.data + "/app": 0o700, r.data + "/backup": 0o700,
        r.etc: 0o750}
    # files are installed as DST.tmp.PID, then renamed into place: keyed by DST
    owned = {re.sub(r"\.tmp\.[0-9]+$", "", a): c[c.index("-o") + 1] + ":" + c[c.index("-g") + 1]
             for c in calls if c[0] == "install" and "-o" in c for a in c if a.startswith(r.dir)}
    # no file is written in place: each one goes through a temporary in its own folder
    written = [c[-1] for c in calls if c[0] == "install" and "-d" not in c]
    assert written and all(re.fullmatch(r".*\.tmp\.[0-9]+", w) for w in written), written
    assert sorted(re.sub(r"\.tmp\.[0-9]+$", "", w) for w in written) == sorted(
        [r.root + "/.env", r.etc + "/rclone.conf"] + [os.path.join(r.units, u) for u in PIPELINE_UNITS]), written
    assert owned[r.data + "/app"] == owned[r.data + "/backup"] == "materia:materia", owned
    assert owned[r.etc] == "root:materia" and owned[r.root + "/.env"] == "materia:materia", owned
    # nothing outside the throwaway root was asked for
    paths = [a for c in calls if c[0] == "install" for a in c[1:] if a.startswith("/")]
    assert paths and all(a.startswith(r.dir) for a in paths), paths

    # .env and rclone.conf from the examples
    with open(os.path.join(SRC, ".env.example")) as f, open(r.root + "/.env") as g:
        assert f.read() == g.read()
    assert mode(r.root + "/.env") == 0o640 and mode(r.etc + "/rclone.conf") == 0o600

    # units: installed with this run's paths, none of the defaults left
    assert sorted(os.listdir(r.units)) == sorted(PIPELINE_UNITS)
    assert not [f for d in (r.root, r.etc) for f in os.listdir(d) if ".tmp." in f], "a temporary left behind"
    for u in PIPELINE_UNITS:
        with open(os.path.join(r.units, u)) as f:
            text = f.read()
        assert mode(os.path.join(r.units, u)) == 0o644
        for default in ("/opt/materia", "/data/materia", "/etc/materia"):
            assert default not in text, (u, default)
    web = os.path.join(r.units, "materia-web.service")
    assert unit_lines(web, "ExecStart") == [r.root + "/build/release/materia serve"]
    assert unit_lines(web, "WorkingDirectory") == [r.root]
    assert r.data + "/serving.duckdb" in " ".join(unit_lines(web, "Environment"))
    sup = os.path.join(r.units, "materia-supervisor.service")
    assert unit_lines(sup, "ExecStart") == [r.root + "/infra/supervisor/materia-supervisor-wrapper.sh"]
    assert unit_lines(os.path.join(r.units, "materia-backup.service"), "Environment")[0] == \
        "RCLONE_CONFIG=" + r.etc + "/rclone.conf"

    # systemctl: daemon-reload once, then enable --now of each unit
    assert [c for c in calls if c[0] == "systemctl"] == [
        ["systemctl", "daemon-reload"],
        ["systemctl", "enable", "--now", "materia-supervisor.service", "materia-web.service",
         "materia-backup.timer"]]

    # the operator edits .env; a second run keeps it and changes nothing else
    with open(r.root + "/.env", "a") as f:
        f.write("PUBLIC_BASE_URL=https://coffee.example.com\n")
    before = r.snapshot()
    p, calls = r.run(MATERIA_REPO_URL=r.origin)
    assert r.snapshot() == before, "the second run changed files"
    with open(r.root + "/.env") as f:
        assert f.read().endswith("PUBLIC_BASE_URL=https://coffee.example.com\n")
    assert not [c for c in calls if c[0] in ("groupadd", "useradd")], calls
    assert not [c for c in calls if "clone" in c], calls
    assert [c for c in calls if c[:5] == ["runuser", "-u", "materia", "--", "git"]] == [
        ["runuser", "-u", "materia", "--", "git", "-C", r.root, "pull", "--ff-only", "--quiet"]]
    assert [c for c in calls if c[0] == "systemctl"] == [
        ["systemctl", "enable", "--now", "materia-supervisor.service", "materia-web.service",
         "materia-backup.timer"]], "no daemon-reload when no unit changed"
    assert "installed" not in p.stdout.replace("units installed", ""), p.stdout

    # an upstream change to one unit: pulled, only that unit rewritten, daemon-reload again
    with open(os.path.join(r.origin, "infra", "web", "materia-web.service"), "a") as f:
        f.write("# changed upstream\n")
    r.git("commit", "-q", "-am", "web unit changed")
    sup_stat = os.stat(sup).st_mtime_ns
    p, calls = r.run(MATERIA_REPO_URL=r.origin)
    with open(web) as f:
        assert f.read().endswith("# changed upstream\n")
    assert os.stat(sup).st_mtime_ns == sup_stat
    assert ["systemctl", "daemon-reload"] in calls
    r.cleanup()


def test_repo_option_wins_over_environment():
    r = Root("bootstrap-repo")
    missing = os.path.join(r.dir, "no-such-repo")
    # cloud-init's way (infra/pulumi): the seeds of .env and rclone.conf by environment
    env_seed, rclone_seed = os.path.join(r.dir, "seed.env"), os.path.join(r.dir, "seed-rclone.conf")
    with open(env_seed, "w") as f:
        f.write("SERVING_PUBLISH_URL=s3://materia-serving/serving/\n")
    with open(rclone_seed, "w") as f:
        f.write("[r2]\ntype = s3\n")
    p, calls = r.run("--repo", r.origin, MATERIA_REPO_URL=missing, MATERIA_ENV_FILE=env_seed,
                     MATERIA_RCLONE_FILE=rclone_seed)
    clones = [c for c in calls if "clone" in c]
    assert len(clones) == 1 and clones[0][-2] == r.origin, clones
    with open(r.root + "/.env") as f, open(r.etc + "/rclone.conf") as g:
        assert (f.read(), g.read()) == ("SERVING_PUBLISH_URL=s3://materia-serving/serving/\n", "[r2]\ntype = s3\n")
    assert mode(r.root + "/.env") == 0o640 and mode(r.etc + "/rclone.conf") == 0o600
    # and the environment alone is used: a missing repository fails the clone, no unit installed
    r2 = Root("bootstrap-env")
    p, calls = r2.run(want=128, MATERIA_REPO_URL=missing)
    assert [c for c in calls if "clone" in c][0][-2] == missing
    assert os.listdir(r2.units) == [] and not [c for c in calls if c[0] == "systemctl"]
    r.cleanup()
    r2.cleanup()


def test_replica_role():
    r = Root("bootstrap-replica")
    seed = os.path.join(r.dir, "cloud-init.env")
    with open(seed, "w") as f:
        f.write("EXTRACT_SOURCES=psd\n")
    # no bucket to follow: refused by name before any unit is installed or started
    p, calls = r.run("--role", "replica", "--env", seed, want=1, MATERIA_REPO_URL=r.origin)
    assert "SERVING_PUBLISH_URL" in p.stderr, p.stderr
    assert os.listdir(r.units) == [] and not [c for c in calls if c[0] == "systemctl"]
    # .env was written from the seed and is never overwritten: the operator fixes it there
    with open(r.root + "/.env", "a") as f:
        f.write("SERVING_PUBLISH_URL=s3://materia-serving/serving/\n")
    # the seed again, now that .env differs from it: refused by name, .env untouched
    p, calls = r.run("--role", "replica", "--env", seed, want=1, MATERIA_REPO_URL=r.origin)
    assert f"--env (or MATERIA_ENV_FILE) {seed}: {r.root}/.env exists and differs; not overwritten" in p.stderr, p.stderr
    assert os.listdir(r.units) == [] and not [c for c in calls if c[0] == "systemctl"]
    p, calls = r.run("--role", "replica", MATERIA_REPO_URL=r.origin)
    with open(r.root + "/.env") as f:
        assert f.read() == "EXTRACT_SOURCES=psd\nSERVING_PUBLISH_URL=s3://materia-serving/serving/\n"
    assert os.listdir(r.units) == ["materia-replica.service"]
    assert not os.path.exists(r.etc + "/rclone.conf"), "a replica has no backup"
    unit = os.path.join(r.units, "materia-replica.service")
    assert unit_lines(unit, "EnvironmentFile") == [r.root + "/.env"]
    (cmd,) = unit_lines(unit, "ExecStart")
    assert cmd.endswith(r.root + "/build/release/materia serve --follow ${SERVING_PUBLISH_URL}"), cmd
    assert "SERVING_DUCKDB_PATH=" + r.data + "/serving.duckdb" in cmd.split(), cmd
    assert [c for c in calls if c[0] == "systemctl"] == [
        ["systemctl", "daemon-reload"], ["systemctl", "enable", "--now", "materia-replica.service"]]
    # the unit as shipped passes systemd-analyze verify (scripts/bootstrap --test installs systemd)
    v = subprocess.run(["systemd-analyze", "verify", os.path.join(SRC, "infra", "web", "materia-replica.service")],
                       capture_output=True, text=True, timeout=60)
    assert v.returncode == 0 and v.stderr.strip() == "", v.stderr
    r.cleanup()


def test_failed_copy_leaves_no_partial_file():
    r = Root("bootstrap-partial")
    r.run(want=1, MATERIA_REPO_URL=r.origin, SHIM_FAIL_INSTALL="/.env")
    assert not os.path.exists(r.root + "/.env"), "a half-written .env was left for later runs to keep"
    assert not [f for f in os.listdir(r.root) if ".tmp." in f], os.listdir(r.root)
    r.run(want=1, MATERIA_REPO_URL=r.origin, SHIM_FAIL_INSTALL="materia-web.service")
    assert "materia-web.service" not in os.listdir(r.units) and not [
        f for f in os.listdir(r.units) if ".tmp." in f], os.listdir(r.units)
    # the next run, nothing failing, writes them whole
    r.run(MATERIA_REPO_URL=r.origin)
    with open(os.path.join(SRC, ".env.example")) as f, open(r.root + "/.env") as g:
        assert f.read() == g.read()
    assert sorted(os.listdir(r.units)) == sorted(PIPELINE_UNITS)
    r.cleanup()


def test_settings_that_cannot_take_effect_are_refused():
    """A seed given over an existing, different file, and a checkout on another branch or from
    another repository than asked, are refused by name; nothing is changed by the refused run."""
    r = Root("bootstrap-refuse")
    env_seed, rclone_seed = os.path.join(r.dir, "seed.env"), os.path.join(r.dir, "seed-rclone.conf")
    with open(env_seed, "w") as f:
        f.write("EXTRACT_SOURCES=psd\n")
    with open(rclone_seed, "w") as f:
        f.write("[r2]\ntype = s3\n")
    r.run("--env", env_seed, "--rclone-conf", rclone_seed, MATERIA_REPO_URL=r.origin)
    # the same seeds again: identical content, accepted
    r.run("--env", env_seed, "--rclone-conf", rclone_seed, MATERIA_REPO_URL=r.origin)
    r.run(MATERIA_REPO_URL=r.origin, MATERIA_ENV_FILE=env_seed, MATERIA_RCLONE_FILE=rclone_seed)

    other_env, other_rclone = os.path.join(r.dir, "other.env"), os.path.join(r.dir, "other-rclone.conf")
    with open(other_env, "w") as f:
        f.write("EXTRACT_SOURCES=cot\n")
    with open(other_rclone, "w") as f:
        f.write("[r2]\ntype = s3\nprovider = Cloudflare\n")
    before = r.snapshot()
    p, calls = r.run("--env", other_env, want=1, MATERIA_REPO_URL=r.origin)
    assert p.stderr == (f"bootstrap_supervisor: --env (or MATERIA_ENV_FILE) {other_env}: {r.root}/.env exists and "
                        "differs; not overwritten (remove it to re-seed)\n"), p.stderr
    assert not [c for c in calls if c[0] in ("install", "systemctl") or "pull" in c], calls
    p, _ = r.run(want=1, MATERIA_REPO_URL=r.origin, MATERIA_ENV_FILE=other_env)
    assert f"{r.root}/.env exists and differs; not overwritten (remove it to re-seed)" in p.stderr, p.stderr
    p, _ = r.run("--rclone-conf", other_rclone, want=1, MATERIA_REPO_URL=r.origin)
    assert (f"--rclone-conf (or MATERIA_RCLONE_FILE) {other_rclone}: {r.etc}/rclone.conf exists and differs; "
            "not overwritten (remove it to re-seed)") in p.stderr, p.stderr
    p, _ = r.run(want=1, MATERIA_REPO_URL=r.origin, MATERIA_RCLONE_FILE=other_rclone)
    assert f"{r.etc}/rclone.conf exists and differs" in p.stderr, p.stderr
    assert r.snapshot() == before, "a refused run changed files"
    with open(r.root + "/.env") as f, open(r.etc + "/rclone.conf") as g:
        assert (f.read(), g.read()) == ("EXTRACT_SOURCES=psd\n", "[r2]\ntype = s3\n")

    # another branch than the checkout's: refused, not pulled
    r.git("branch", "release")
    p, calls = r.run("--branch", "release", want=1, MATERIA_REPO_URL=r.origin)
    assert ("--branch (or MATERIA_BRANCH, default main) release: " + r.root + " is a checkout of 'main'") in p.stderr, \
        p.stderr
    assert not [c for c in calls if "pull" in c or c[0] == "systemctl"], calls
    p, _ = r.run(want=1, MATERIA_REPO_URL=r.origin, MATERIA_BRANCH="release")
    assert "release: " + r.root + " is a checkout of 'main'" in p.stderr, p.stderr
    # the checkout moved to another branch by hand, the default (main) asked: refused too
    r.git("checkout", "-q", "-b", "hotfix", cwd=r.root)
    p, _ = r.run(want=1, MATERIA_REPO_URL=r.origin)
    assert "--branch (or MATERIA_BRANCH, default main) main: " + r.root + " is a checkout of 'hotfix'" in p.stderr, \
        p.stderr
    r.run("--branch", "hotfix", MATERIA_REPO_URL=r.origin)
    r.git("checkout", "-q", "main", cwd=r.root)

    # another repository than the checkout's origin, given explicitly: refused, not pulled
    fork = os.path.join(r.dir, "fork.git")
    p, calls = r.run("--repo", fork, want=1)
    assert f"--repo (or MATERIA_REPO_URL) {fork}: {r.root} is a checkout of '{r.origin}'; not replaced" in p.stderr, \
        p.stderr
    assert not [c for c in calls if "pull" in c or c[0] == "systemctl"], calls
    p, _ = r.run(want=1, MATERIA_REPO_URL=fork)
    assert f"{r.root} is a checkout of '{r.origin}'" in p.stderr, p.stderr
    # no repository asked: the default URL is not compared, the checkout is pulled
    p, calls = r.run()
    assert ["runuser", "-u", "materia", "--", "git", "-C", r.root, "pull", "--ff-only", "--quiet"] in calls, calls
    r.cleanup()


def test_bad_arguments_refused():
    r = Root("bootstrap-bad")
    p, _ = r.run("--repo", want=2)
    assert "--repo needs a value" in p.stderr, p.stderr
    p, _ = r.run("--role", "web", want=1, MATERIA_REPO_URL=r.origin)
    assert "'web': pipeline or replica" in p.stderr, p.stderr
    p, _ = r.run("--env", "/nonexistent/seed.env", want=1, MATERIA_REPO_URL=r.origin)
    assert "/nonexistent/seed.env: no such file" in p.stderr, p.stderr
    p, _ = r.run("--role", "replica", "--rclone-conf", SCRIPT, want=1, MATERIA_REPO_URL=r.origin)
    assert "a replica runs no backup" in p.stderr, p.stderr
    p, calls = r.run(want=1, MATERIA_REPO_URL=r.origin, MATERIA_ROOT="relative/materia")
    assert "absolute paths" in p.stderr and calls == [], (p.stderr, calls)
    r.cleanup()


def test_nested_locations():
    """Locations inside one another whose paths contain the defaults the units are written
    with (the checkout and the config under the data folder, all under a /data/materia):
    each unit is the shipped one with every default replaced once by its location, as one
    pass would — a location is never rewritten by a later substitution."""
    r = Root("bootstrap-nested", root="data/materia/state/checkout", data="data/materia/state",
             etc="data/materia/state/etc/materia")
    r.run(MATERIA_REPO_URL=r.origin)
    where = {"/opt/materia": r.root, "/data/materia": r.data, "/etc/materia": r.etc}
    for rel in ("supervisor/materia-supervisor.service", "web/materia-web.service", "backup/materia-backup.service",
                "backup/materia-backup.timer"):
        with open(os.path.join(SRC, "infra", rel)) as f:
            want = re.sub("|".join(map(re.escape, where)), lambda m: where[m.group(0)], f.read())
        with open(os.path.join(r.units, os.path.basename(rel))) as f:
            assert f.read() == want, rel
    web = os.path.join(r.units, "materia-web.service")
    assert unit_lines(web, "ExecStart") == [r.root + "/build/release/materia serve"]
    assert unit_lines(web, "WorkingDirectory") == [r.root]
    assert unit_lines(os.path.join(r.units, "materia-backup.service"), "Environment")[0] == \
        "RCLONE_CONFIG=" + r.etc + "/rclone.conf"
    r.cleanup()


if __name__ == "__main__":
    main([test_pipeline_server_first_run_then_idempotent, test_repo_option_wins_over_environment,
          test_replica_role, test_failed_copy_leaves_no_partial_file,
          test_settings_that_cannot_take_effect_are_refused, test_bad_arguments_refused, test_nested_locations])
