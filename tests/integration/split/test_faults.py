"""Faults, short (issue 6), all while `materia serve` is under load (faults.py):
5 SIGKILLs of the pipeline at random points of transform and export, disk full during
export, corrupt files renamed over serving.duckdb, bad files placed in landing. No failed
request, serving always valid, the next run recovers with no manual step. The long kill
series is bench/faults/run.sh.
"""
from faults import Rig, corrupt_swap, disk_full, kill_trials, landing_faults
from harness import Scratch, main


def test_faults_under_load():
    s = Scratch("faults")
    rig = Rig(s)
    try:
        killed, t_tr, t_ex = kill_trials(rig, trials=5)
        print(f"kills: {killed} (unkilled transform {t_tr:.1f}s, export {t_ex:.1f}s)")
        rc, msg = disk_full(rig)
        print(f"disk full: exit {rc}: {msg}")
        for n in corrupt_swap(rig):
            print("corrupt", n)
        for n in landing_faults(rig):
            print("landing", n)
    finally:
        problems = rig.finish()
    print(f"requests under faults: {rig.load.count()}")
    assert not problems, "\n".join(problems[:40])
    assert rig.load.count() > 0
    s.cleanup()


if __name__ == "__main__":
    main([test_faults_under_load])
