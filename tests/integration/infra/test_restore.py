"""Restore drill: back up landing/ with rclone (a local remote, the backup unit's own
command line), delete landing/, the lakehouse and serving, restore with rclone, run
`pipeline run all`: the serving tables are identical (same row counts and checksums)."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "serving"))

from harness import SAMPLE_ZIP, SRC, Scratch, main  # noqa: E402
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
    main([test_restore_drill])
