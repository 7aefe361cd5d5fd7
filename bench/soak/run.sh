#!/bin/sh
# bench/soak/run.sh [SWAPS] [SECONDS] [CONNS] — the long soak (issue 6): `materia serve`
# (Release build) under steady loopback load while the pipeline swaps serving.duckdb
# between two landed data sets, at least SWAPS times (default 200) and SECONDS (default
# 600). Checks and figures: tests/integration/split/soak.py. Prints one JSON line of
# figures plus the per-swap samples; exits 1 on any problem.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
: "${DUCKDB_PREFIX:=$here/third_party/duckdb}"
export DUCKDB_PREFIX
if [ -z "${MATERIA_BIN:-}" ]; then
  cmake -S "$here" -B "$here/build/release" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
  cmake --build "$here/build/release" -j2 --target materia >/dev/null
  MATERIA_BIN=$here/build/release/materia
fi
export MATERIA_BIN MATERIA_SOURCE_DIR="$here" MATERIA_TEST_TMP="${MATERIA_TEST_TMP:-$here/build/soak-tmp}"
export PYTHONPATH="$here/tests/integration:$here/tests/integration/split"
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
