# bench/lib.sh — shared helpers for the benchmark scripts (sourced, not run).
#
# bench_build     builds the Release binary into build/release (once) and sets $MATERIA
# bench_load      prints the 1-minute load average (recorded beside every figure)
# bench_hf NAME ARGS...   runs hyperfine with ARGS, exports JSON to $OUT/NAME.json and prints
#                 "NAME: mean ± sd s (min .. max), user+sys s, load L" for RESULTS.md
# bench_rss CMD...        runs CMD under /usr/bin/time -v, prints peak RSS in MiB
# bench_split_env NAME    the environment of the tests/integration/split drivers (soak,
#                 faults): MATERIA_BIN (given, else the Release build), scratch dirs under
#                 build/NAME-tmp, PYTHONPATH
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${DUCKDB_PREFIX:=$ROOT/third_party/duckdb}"
export DUCKDB_PREFIX

bench_build() {
    if [ -z "${MATERIA_SKIP_BUILD:-}" ]; then
        cmake -S "$ROOT" -B "$ROOT/build/release" -DCMAKE_BUILD_TYPE=Release >/dev/null
        cmake --build "$ROOT/build/release" -j2 --target materia >/dev/null
    fi
    MATERIA="$ROOT/build/release/materia"
    export MATERIA
}

bench_load() { cut -d' ' -f1 /proc/loadavg; }

bench_hf() {
    local name=$1; shift
    local load; load=$(bench_load)
    hyperfine --style none --export-json "$OUT/$name.json" "$@" >"$OUT/$name.txt" 2>&1 ||
        { cat "$OUT/$name.txt"; return 1; }
    python3 - "$OUT/$name.json" "$name" "$load" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for r in d["results"]:
    print(f"{sys.argv[2]}: {r['command'][:60]!r}: mean {r['mean']*1000:.1f} ms ± {r['stddev']*1000:.1f} "
          f"(median {r['median']*1000:.1f}, min {r['min']*1000:.1f}, max {r['max']*1000:.1f}; "
          f"user {r['user']*1000:.1f} + sys {r['system']*1000:.1f} ms; n={len(r['times'])}; load {sys.argv[3]})")
PY
}

bench_rss() {
    local f; f=$(mktemp)
    /usr/bin/time -v "$@" >/dev/null 2>"$f" || { cat "$f"; rm -f "$f"; return 1; }
    awk '/Maximum resident/ {printf "%.1f MiB\n", $6/1024}' "$f"
    awk '/Elapsed/ {print "  wall " $8}' "$f"
    rm -f "$f"
}

bench_split_env() {
    if [ -n "${MATERIA_BIN:-}" ]; then MATERIA=$MATERIA_BIN; else bench_build; fi
    export MATERIA_BIN=$MATERIA MATERIA_SOURCE_DIR="$ROOT" MATERIA_TEST_TMP="${MATERIA_TEST_TMP:-$ROOT/build/$1-tmp}"
    export PYTHONPATH="$ROOT/tests/integration:$ROOT/tests/integration/split"
}
