#!/usr/bin/env bash
# bench/transform/scale.sh — transform at scale: 24 monthly coffee releases + one 2M-row
# PSD-shaped all-commodities release (gen_scale.py), then one more release.
#
#   full         `materia run` from scratch (lakehouse deleted before each run)
#   incremental  `materia run` after gen_scale.py --one-more, starting each time from a copy
#                of the lakehouse as the full run left it
# Peak RSS of each from /usr/bin/time -v. The input is generated once into $OUT/landing
# (about 35 s) and reused; delete $OUT to regenerate.
# Usage: bench/transform/scale.sh [FULL_RUNS [INCR_RUNS]]
source "$(dirname "$0")/../lib.sh"
FULL_RUNS=${1:-2}
INCR_RUNS=${2:-3}
OUT=${OUT:-/tmp/materia-bench/scale}
mkdir -p "$OUT"
bench_build
export MATERIA_PROJECT_DIR=$ROOT LANDING_DIR=$OUT/landing DUCKDB_PATH=$OUT/lake.duckdb MATERIA_LOG_LEVEL=warn
rm -rf "$OUT/landing/psd/2023/02" # a previous --one-more
if [ ! -f "$OUT/landing/.complete" ]; then
    rm -rf "$OUT/landing"
    python3 "$ROOT/bench/transform/gen_scale.py" "$OUT/landing" "$ROOT/sample/usda-psd/psd_coffee_csv.zip" >/dev/null
    touch "$OUT/landing/.complete"
fi
echo "input: $(find "$OUT/landing" -name '*.csv.gzip' | wc -l) releases, $(du -sh "$OUT/landing" | cut -f1) gzipped"

bench_hf full --runs "$FULL_RUNS" --prepare "rm -f $DUCKDB_PATH $DUCKDB_PATH.wal" -n full "$MATERIA run"
rm -f "$DUCKDB_PATH" "$DUCKDB_PATH.wal"
echo "full peak RSS: $(bench_rss "$MATERIA" run)"
"$MATERIA" sql "$DUCKDB_PATH" "SELECT model, action, round(seconds, 2) AS s, rows FROM _materia.run_models
  WHERE run_id = (SELECT max(run_id) FROM _materia.runs WHERE status = 'ok') ORDER BY seconds DESC"
echo "lakehouse: $(du -h "$DUCKDB_PATH" | cut -f1)"
cp "$DUCKDB_PATH" "$OUT/lake.full.duckdb"

python3 "$ROOT/bench/transform/gen_scale.py" "$OUT/landing" "$ROOT/sample/usda-psd/psd_coffee_csv.zip" --one-more >/dev/null
bench_hf incremental --runs "$INCR_RUNS" --prepare "cp $OUT/lake.full.duckdb $DUCKDB_PATH" -n incremental "$MATERIA run"
cp "$OUT/lake.full.duckdb" "$DUCKDB_PATH"
echo "incremental peak RSS: $(MATERIA_LOG_LEVEL=debug bench_rss "$MATERIA" run)"
cp "$OUT/lake.full.duckdb" "$DUCKDB_PATH"
MATERIA_LOG_LEVEL=debug "$MATERIA" run 2>&1 | grep -E 'build|run ' || true
"$MATERIA" sql "$DUCKDB_PATH" "SELECT status FROM _materia.runs ORDER BY started_at DESC LIMIT 1"
rm -rf "$OUT/landing/psd/2023/02"
