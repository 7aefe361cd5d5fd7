#!/usr/bin/env bash
# bench/soak/run.sh [SWAPS] [SECONDS] [CONNS] — the long soak (issue 6): `materia serve`
# (Release build) under steady loopback load while the pipeline swaps serving.duckdb
# between two landed data sets, at least SWAPS times (default 200) and SECONDS (default
# 600). Checks and figures: tests/integration/split/soak.py. Prints one JSON line of
# figures plus the per-swap samples; exits 1 on any problem.
source "$(dirname "$0")/../lib.sh"
bench_split_env soak
exec python3 - "${1:-200}" "${2:-600}" "${3:-8}" <<'PY'
import json, sys
from harness import Scratch
from soak import soak
swaps, secs, conns = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
s = Scratch("soak-bench")
fig, problems, samples = soak(s, swaps=swaps, min_seconds=secs, conns=conns,
                              log=lambda m: print(m, flush=True))
print(json.dumps(fig, sort_keys=True))
step = max(1, len(samples) // 20)
for (i, fds, rss, n, total) in samples[::step] + samples[-1:]:
    print(f"after swap {i}: open files {fds}, all fds {total}, rss {rss} kB, requests {n}")
for p in problems[:50]:
    print("PROBLEM", p)
print(f"problems: {len(problems)}")
if not problems:
    s.cleanup()
sys.exit(1 if problems else 0)
PY
