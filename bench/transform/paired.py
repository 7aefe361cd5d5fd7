"""bench/transform/paired.py PAIRS SQL_FILE — engine vs direct SQL, run alternately.

hyperfine runs all of one command, then all of the other, so a drift of the machine (disk
cache, the VM's neighbours) lands on one side; here each pair runs `materia run` on a deleted
lakehouse, then the direct SQL on a deleted file, back to back, and the figure is the median
of the per-pair differences. The first pair is a warm-up. Environment: as overhead.sh sets it
(MATERIA, DUCKDB_PATH, ...)."""
import os
import statistics
import subprocess
import sys
import time

pairs, sql = int(sys.argv[1]), open(sys.argv[2]).read()
bin_, lake = os.environ["MATERIA"], os.environ["DUCKDB_PATH"]
direct = os.path.join(os.path.dirname(lake), "paired-direct.duckdb")


def fresh(path):
    for p in (path, path + ".wal"):
        if os.path.exists(p):
            os.remove(p)


def timed(cmd):
    c0, t0 = os.times(), time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    t1, c1 = time.perf_counter(), os.times()
    return t1 - t0, (c1.children_user - c0.children_user) + (c1.children_system - c0.children_system)


eng, dir_, ecpu, dcpu = [], [], [], []
for i in range(pairs + 1):
    fresh(lake)
    e = timed([bin_, "run"])
    fresh(direct)
    d = timed([bin_, "sql", "--write", direct, sql])
    if i:
        eng.append(e[0]); ecpu.append(e[1]); dir_.append(d[0]); dcpu.append(d[1])
fresh(direct)
diff = [e - d for e, d in zip(eng, dir_)]
med_d = statistics.median(dir_)
target = med_d * 0.1 + 0.05
ov = statistics.median(diff)
print(f"paired (n={pairs}): engine median {statistics.median(eng)*1e3:.1f} ms, direct median {med_d*1e3:.1f} ms; "
      f"overhead = median of pair differences {ov*1e3:.0f} ms (mean {statistics.mean(diff)*1e3:.0f}); "
      f"target <= 10% + 50 ms = {target*1e3:.0f} ms -> {'OK' if ov <= target else 'MISSED'}; "
      f"CPU {statistics.mean(ecpu)*1e3:.0f} vs {statistics.mean(dcpu)*1e3:.0f} ms")
