#!/usr/bin/env python3
"""bench/transform/rounds.py ROUNDS NAME=COMMAND ... — commands run in rotation, not in batches.

hyperfine runs all of one command, then all of the next, so a drift of this shared machine
(other jobs starting or stopping) lands on one command; here each round runs every command
once, the order rotating by one each round, after one warm-up round. Per command: the median
wall time, the median CPU time (user + sys of the child: what contention for the 2 cores does
not inflate), min and max; against the first command, the median of the per-round
differences. COMMAND is split like a shell word list (shlex), with no shell in between.
Prints one line per command, and writes the raw times as JSON to $OUT/rounds-<names>.json."""
import json
import os
import shlex
import statistics
import subprocess
import sys
import time

rounds = int(sys.argv[1])
cmds = [a.split("=", 1) for a in sys.argv[2:]]


def load():
    return open("/proc/loadavg").read().split()[0]


def timed(argv):
    c0, t0 = os.times(), time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    t1, c1 = time.perf_counter(), os.times()
    return t1 - t0, (c1.children_user - c0.children_user) + (c1.children_system - c0.children_system)


wall = {n: [] for n, _ in cmds}
cpu = {n: [] for n, _ in cmds}
loads = [load()]
for r in range(rounds + 1):
    k = r % len(cmds)
    for n, c in cmds[k:] + cmds[:k]:
        w, u = timed(shlex.split(c))
        if r:
            wall[n].append(w)
            cpu[n].append(u)
    loads.append(load())
ref = cmds[0][0]
lo = f"load {min(loads)}-{max(loads)}"
for n, c in cmds:
    line = (f"{n}: wall median {statistics.median(wall[n])*1e3:.0f} ms (min {min(wall[n])*1e3:.0f}, "
            f"max {max(wall[n])*1e3:.0f}), CPU median {statistics.median(cpu[n])*1e3:.0f} ms; n={rounds}; {lo}")
    if n != ref:
        dw = statistics.median([a - b for a, b in zip(wall[n], wall[ref])])
        dc = statistics.median([a - b for a, b in zip(cpu[n], cpu[ref])])
        line += f"; vs {ref}: median of round differences {dw*1e3:+.0f} ms wall, {dc*1e3:+.0f} ms CPU"
    print(line)
out = os.environ.get("OUT")
if out:
    with open(os.path.join(out, "rounds-" + "-".join(n for n, _ in cmds) + ".json"), "w") as f:
        json.dump({"commands": dict(cmds), "wall": wall, "cpu": cpu, "loads": loads}, f)
