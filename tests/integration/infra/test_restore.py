"""Restore drill: back up landing/ with rclone (a local remote, the backup unit's own
command line), delete landing/, the lakehouse and serving, restore with rclone, run
`pipeline run all`: the serving tables are identical (same row counts and checksums).
The account database's drill: the backup unit's `materia appdb backup` and rclone lines,
the live file deleted, restored from the bucket: every account row is back."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "serving"))

from harness import BIN, SAMPLE_ZIP, SRC, Scratch, main  # noqa: E402
import json  # noqa: E402
import glob  # noqa: E402

from serving_fixture import read_snapshot  # noqa: E402


def backup_command(landing, remote):
    """ExecStart of materia-backup.service with its variables filled in."""
    with open(os.path.join(SRC, "infra", "backup", "materia-backup.service")) as f:
        line = next(l for l in f if l.startswith("ExecStart="))
    cmd = line.split("=", 1)[1].strip().replace("/data/materia/landing", landing).replace("${MATERIA_BACKUP_REMOTE}", remote)
    return cmd.split()


def rclone(conf, *args, cmd=None):
    p = subprocess.run(cmd or ["rclone", *args], env=dict(os.environ, RCLONE_CONFIG=conf),
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, f"{cmd or args}: {p.stderr}"


def backup_commands():
    """The backup unit's ExecStart= lines, split into words."""
    with open(os.path.join(SRC, "infra", "backup", "materia-backup.service")) as f:
        return [l.split("=", 1)[1].strip().split() for l in f if l.startswith("ExecStart=")]


def test_restore_drill_app_db():
    import sqlite3
    s = Scratch("restore-app")
    app_dir = os.path.join(s.dir, "app")
    app_db = os.path.join(app_dir, "app.sqlite")
    s.env["APP_DB_PATH"] = app_db
    s.run("users", "list", check=0)            # creates and migrates it, as serve does
    con = sqlite3.connect(app_db)
    con.execute("INSERT INTO users (email, created_at, plan) VALUES ('ana@example.com', 1700000000, 'pro')")
    con.execute("INSERT INTO preferences (user_id, units, theme) VALUES (1, 'tonnes', 'dark')")
    con.commit()
    # a writer holds a transaction while the backup runs: the copy is still consistent
    con.execute("BEGIN IMMEDIATE")
    con.execute("INSERT INTO users (email, created_at) VALUES ('uncommitted@example.com', 1)")

    conf = os.path.join(s.dir, "rclone.conf")
    with open(conf, "w") as f:
        f.write("[drill]\ntype = local\n")
    remote = "drill:" + os.path.join(s.dir, "bucket", "app")
    backup_dir = os.path.join(s.dir, "backup")
    _, appdb_cmd, rclone_cmd = backup_commands()
    appdb_cmd = [BIN if w == "/opt/materia/build/release/materia" else
                 w.replace("/data/materia/app/app.sqlite", app_db).replace("/data/materia/backup", backup_dir)
                 for w in appdb_cmd]
    p = subprocess.run(appdb_cmd, cwd=s.dir, env=s.env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    rclone(conf, cmd=[w.replace("/data/materia/backup", backup_dir).replace("${MATERIA_BACKUP_APP_REMOTE}", remote)
                      for w in rclone_cmd])
    con.rollback()
    con.close()
    copy = os.path.join(backup_dir, "app.sqlite")
    assert os.stat(copy).st_mode & 0o077 == 0, oct(os.stat(copy).st_mode)   # personal data

    shutil.rmtree(app_dir)
    shutil.rmtree(backup_dir)
    rclone(conf, "copy", remote, app_dir)
    os.chmod(app_db, 0o600)   # the restore steps of materia-backup.service
    p = s.run("users", "list", "--json", check=0)
    rows = [json.loads(l) for l in p.stdout.splitlines()]
    assert [(r["email"], r["plan"]) for r in rows] == [("ana@example.com", "pro")], rows
    con = sqlite3.connect(app_db)
    assert con.execute("SELECT units, theme FROM preferences").fetchall() == [("tonnes", "dark")]
    con.close()
    s.cleanup()


def test_restore_drill():
    assert shutil.which("rclone"), "rclone missing (scripts/bootstrap --test installs it)"
    s = Scratch("restore")
    s.env["PSD_SOURCE_URL"] = "file://" + SAMPLE_ZIP
    s.run("pipeline", "run", "all", check=0)
    _, before, _ = read_snapshot(s)
    landing_before = s.tree("landing")
    assert landing_before, "nothing landed"

    conf = os.path.join(s.dir, "rclone.conf")
    with open(conf, "w") as f:
        f.write("[drill]\ntype = local\n")
    remote = "drill:" + os.path.join(s.dir, "bucket", "landing")
    rclone(conf, cmd=backup_command(s.landing, remote))

    shutil.rmtree(s.landing)
    for f in os.listdir(s.dir):
        if f.startswith(("lakehouse.duckdb", "serving")):
            os.unlink(os.path.join(s.dir, f))
    s.run("pipeline", "run", "export_serving", check=1)   # really gone

    rclone(conf, "copy", remote, s.landing)
    assert {k: v[0] for k, v in s.tree("landing").items()} == {k: v[0] for k, v in landing_before.items()}
    p = s.run("pipeline", "run", "all", check=0)
    assert "step extract: nothing to do" in p.stdout, p.stdout   # the restored release is recognised
    _, after, actual = read_snapshot(s)
    assert after == actual == before, (before, after)
    s.cleanup()


if __name__ == "__main__":
    # the models are part of the checkout: a missing one is a failure, never a skip
    assert glob.glob(os.path.join(SRC, "models", "serving", "*.sql")), "no models/serving/*.sql"
    main([test_restore_drill_app_db, test_restore_drill])
