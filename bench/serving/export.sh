#!/usr/bin/env bash
# bench/serving/export.sh — `materia export-serving`: time, serving.duckdb size, and the
# time from the rename of the new snapshot to its first answer from a new read-only open
# (bench/serving/rename_to_read.c, built here against libduckdb, watching with inotify).
#
#   real   the sample release (landed by `materia extract psd`, transformed by `materia run`)
#   scale  the 2M-row + 24 releases input: the lakehouse bench/transform/scale.sh leaves in
#          /tmp/materia-bench/scale/lake.full.duckdb (run scale.sh first; skipped if absent)
# Usage: bench/serving/export.sh [RUNS]
source "$(dirname "$0")/../lib.sh"
RUNS=${1:-5}
OUT=${OUT:-/tmp/materia-bench/export}
SCALE_LAKE=${SCALE_LAKE:-/tmp/materia-bench/scale/lake.full.duckdb}
rm -rf "$OUT"; mkdir -p "$OUT"
bench_build
cc -O2 -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -I"$DUCKDB_PREFIX/include" "$ROOT/bench/serving/rename_to_read.c" \
    -o "$OUT/rename_to_read" -L"$DUCKDB_PREFIX/lib" -lduckdb -Wl,-rpath,"$DUCKDB_PREFIX/lib"

one() { # NAME LAKEHOUSE
    local name=$1
    export DUCKDB_PATH=$2 SERVING_DUCKDB_PATH=$OUT/$1/serving.duckdb MATERIA_LOG_LEVEL=warn
    mkdir -p "$OUT/$name"
    bench_hf "export_$name" --runs "$RUNS" --warmup 1 -n "export $name" "$MATERIA export-serving"
    echo "export $name peak RSS: $(bench_rss "$MATERIA" export-serving)"
    echo "serving.duckdb ($name): $(stat -c %s "$SERVING_DUCKDB_PATH") bytes ($(du -h "$SERVING_DUCKDB_PATH" | cut -f1)); lakehouse $(du -h "$DUCKDB_PATH" | cut -f1)"
    "$MATERIA" sql "$SERVING_DUCKDB_PATH" "SELECT table_name, row_count FROM _snapshot ORDER BY table_name" | tr '\n' ' '
    echo
    "$OUT/rename_to_read" "$SERVING_DUCKDB_PATH" "$RUNS" >"$OUT/$name.r2r" 2>"$OUT/$name.r2r.err" &
    local pid=$!
    until grep -q ready "$OUT/$name.r2r.err" 2>/dev/null; do sleep 0.05; done
    for _ in $(seq "$RUNS"); do "$MATERIA" export-serving >/dev/null; done
    wait $pid
    python3 - "$OUT/$name.r2r" "$name" "$(bench_load)" <<'PY'
import re, statistics, sys
v = [float(re.search(r"rename_to_read_ms=([0-9.]+)", l).group(1)) for l in open(sys.argv[1])]
o = [float(re.search(r"open_ms=([0-9.]+)", l).group(1)) for l in open(sys.argv[1])]
print(f"rename -> first answer ({sys.argv[2]}): median {statistics.median(v):.1f} ms (min {min(v):.1f}, max {max(v):.1f}; "
      f"open alone median {statistics.median(o):.1f} ms; n={len(v)}; load {sys.argv[3]})")
PY
}

# the real release
export MATERIA_PROJECT_DIR=$ROOT LANDING_DIR=$OUT/landing MATERIA_LOG_LEVEL=warn \
    PSD_SOURCE_URL=file://$ROOT/sample/usda-psd/psd_coffee_csv.zip DUCKDB_PATH=$OUT/lake.duckdb
"$MATERIA" extract psd >/dev/null
"$MATERIA" run >/dev/null
one real "$OUT/lake.duckdb"
if [ -f "$SCALE_LAKE" ]; then
    cp "$SCALE_LAKE" "$OUT/lake.scale.duckdb"
    one scale "$OUT/lake.scale.duckdb"
else
    echo "scale: $SCALE_LAKE missing (run bench/transform/scale.sh first)"
fi
