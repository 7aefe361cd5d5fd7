#!/usr/bin/env bash
# bench/transform/overhead.sh — engine overhead of `materia run` on the real coffee release.
#
# 1. Lands the sample release with `materia extract psd` (PSD_SOURCE_URL=file://…).
# 2. "engine": `materia run` from scratch (lakehouse file deleted before each run).
# 3. "direct": the same model SQL, rendered by `materia render` in `materia dag` order and
#    wrapped as CREATE TABLE / CREATE VIEW (seed: read_csv of the seed file), run through
#    `materia sql --write` on a fresh file in one process — DuckDB alone, no engine.
#    The engine additionally runs the models' audits and records state; that is counted
#    as overhead (it is what the engine adds).
#    The same two, alternately (bench/transform/paired.py): the median of the per-pair
#    differences, which a drift of the machine during the hyperfine batches cannot bias.
# 4. "noop": `materia run` when everything is up to date: the first (warm-up) run checks
#    the lakehouse and leaves the no-op stamp, the measured ones answer from it;
#    "noop_full_check": `materia run --full-check`, the no-op that opens the lakehouse,
#    plans against its state and records a nothing_to_do run.
# Usage: bench/transform/overhead.sh [RUNS]   (results under $OUT, default /tmp/materia-bench/overhead)
source "$(dirname "$0")/../lib.sh"
RUNS=${1:-10}
OUT=${OUT:-/tmp/materia-bench/overhead}
rm -rf "$OUT"; mkdir -p "$OUT"
bench_build
export MATERIA_PROJECT_DIR=$ROOT LANDING_DIR=$OUT/landing DUCKDB_PATH=$OUT/lake.duckdb \
    SERVING_DUCKDB_PATH=$OUT/serving.duckdb MATERIA_LOG_LEVEL=warn \
    PSD_SOURCE_URL=file://$ROOT/sample/usda-psd/psd_coffee_csv.zip
"$MATERIA" extract psd >/dev/null

# --- the direct script -------------------------------------------------------------
END=$(date -u -d tomorrow +%Y-%m-%d)
: >"$OUT/direct.sql"
"$MATERIA" dag | while read -r name kind _; do
    kind=${kind#(}; kind=${kind%)}
    schema=${name%%.*}
    echo "CREATE SCHEMA IF NOT EXISTS $schema;" >>"$OUT/direct.sql"
    case $kind in
    VIEW) { echo "CREATE VIEW $name AS"; "$MATERIA" render "$name"; echo ";"; } >>"$OUT/direct.sql" ;;
    SEED)
        f=$(grep -o "path '[^']*'" "$(grep -rl "name $name," "$ROOT/models")" | cut -d"'" -f2)
        d=$(dirname "$(grep -rl "name $name," "$ROOT/models")")
        echo "CREATE TABLE $name AS SELECT * FROM read_csv('$d/$f', header = true);" >>"$OUT/direct.sql" ;;
    *) { echo "CREATE TABLE $name AS"; "$MATERIA" render --start 2000-01-01 --end "$END" "$name"; echo ";"; } \
        >>"$OUT/direct.sql" ;;
    esac
done
SQL=$(cat "$OUT/direct.sql")
# sanity: both produce the same serving tables
"$MATERIA" run >/dev/null
rm -f "$OUT/direct.duckdb"*
"$MATERIA" sql --write "$OUT/direct.duckdb" "$SQL" >/dev/null
for t in serving.coffee_balance serving.world_balance serving.psd_revisions serving.countries; do
    a=$("$MATERIA" sql "$DUCKDB_PATH" "SELECT count(*), sum(hash(x)) FROM (SELECT * FROM $t) x" | tail -1)
    b=$("$MATERIA" sql "$OUT/direct.duckdb" "SELECT count(*), sum(hash(x)) FROM (SELECT * FROM $t) x" | tail -1)
    [ "$a" = "$b" ] || { echo "mismatch on $t: engine $a, direct $b" >&2; exit 1; }
done
echo "direct SQL ($(wc -l <"$OUT/direct.sql") lines) builds the same serving tables as materia run"

# --- timings -------------------------------------------------------------------------
bench_hf full --runs "$RUNS" --warmup 1 \
    --prepare "rm -f $DUCKDB_PATH $DUCKDB_PATH.wal" -n engine "$MATERIA run" \
    --prepare "rm -f $OUT/direct.duckdb $OUT/direct.duckdb.wal" -n direct "$MATERIA sql --write $OUT/direct.duckdb \"\$(cat $OUT/direct.sql)\""
python3 - "$OUT/full.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
e, d = r["engine"], r["direct"]
for k, lab in (("median", "wall median"), ("mean", "wall mean")):
    ov = e[k] - d[k]
    print(f"overhead ({lab}): {ov*1000:.0f} ms = {ov/d[k]*100:.1f}% of direct; "
          f"target <= 10% + 50 ms = {(d[k]*0.1+0.05)*1000:.0f} ms -> {'OK' if ov <= d[k]*0.1+0.05 else 'MISSED'}")
cpu = lambda x: x["user"] + x["system"]
ov = cpu(e) - cpu(d)
print(f"overhead (cpu user+sys mean): {ov*1000:.0f} ms = {ov/cpu(d)*100:.1f}% of direct {cpu(d)*1000:.0f} ms")
PY
python3 "$ROOT/bench/transform/paired.py" "$RUNS" "$OUT/direct.sql"
echo "engine peak RSS: $(rm -f $DUCKDB_PATH*; bench_rss "$MATERIA" run)"
echo "direct peak RSS: $(rm -f $OUT/direct.duckdb*; bench_rss "$MATERIA" sql --write "$OUT/direct.duckdb" "$SQL")"
bench_hf noop -N --runs $((RUNS * 3)) --warmup 3 -n noop "$MATERIA run"
bench_hf noop_full_check -N --runs $((RUNS * 3)) --warmup 3 -n noop_full_check "$MATERIA run --full-check"
# what every no-op run pays before the engine does anything: process start + loading
# libduckdb (--version), and that plus opening/closing the lakehouse read-write
"$MATERIA" sql --write "$DUCKDB_PATH" "CHECKPOINT" >/dev/null
bench_hf noop_floor -N --runs $((RUNS * 3)) --warmup 3 -n version "$MATERIA --version" \
    -n open_lakehouse "$MATERIA sql --write $DUCKDB_PATH 'SELECT 1'"
MATERIA_LOG_LEVEL=debug "$MATERIA" run --full-check 2>&1 | grep DEBUG
"$MATERIA" sql "$DUCKDB_PATH" "SELECT model, action, round(seconds, 3) AS s, rows FROM _materia.run_models
  WHERE run_id = (SELECT max(run_id) FROM _materia.runs WHERE status = 'ok') ORDER BY seconds DESC"
