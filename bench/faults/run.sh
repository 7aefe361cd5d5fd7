#!/usr/bin/env bash
# bench/faults/run.sh [TRIALS] — the long fault series (issue 6): SIGKILL the pipeline at
# random points of transform and export TRIALS times (default 50, alternating) while
# `materia serve` (Release build) is under load; then disk full, corrupt files renamed
# over serving.duckdb, bad landing files. Checks: tests/integration/split/faults.py.
source "$(dirname "$0")/../lib.sh"
bench_split_env faults
exec python3 - "${1:-50}" <<'PY'
import sys, time
from harness import Scratch
from faults import Rig, corrupt_swap, disk_full, kill_trials, landing_faults
trials = int(sys.argv[1])
s = Scratch("faults-bench")
t0 = time.monotonic()
rig = Rig(s, conns=4)
try:
    killed, t_tr, t_ex = kill_trials(rig, trials=trials, seed=int(time.time()),
                                     log=lambda m: print(m, flush=True))
    print(f"kills: {killed} of {trials} trials (unkilled transform {t_tr:.1f}s, export {t_ex:.1f}s)")
    rc, msg = disk_full(rig)
    print(f"disk full: exit {rc}: {msg}")
    for n in corrupt_swap(rig):
        print("corrupt", n[:300])
    for n in landing_faults(rig):
        print("landing", n[:300])
finally:
    problems = rig.finish()
n = rig.load.count()
print(f"requests under faults: {n}, failed: {len(rig.load.errors)}, seconds: {time.monotonic() - t0:.0f}")
for p in problems[:50]:
    print("PROBLEM", p)
print(f"problems: {len(problems)}")
if not problems:
    s.cleanup()
sys.exit(1 if problems else 0)
PY
