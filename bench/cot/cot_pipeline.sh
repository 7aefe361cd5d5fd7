#!/usr/bin/env bash
# bench/cot/cot_pipeline.sh — the CFTC COT source end to end (issue 14: "extract + transform of
# all six files from an empty lakehouse, and the incremental run after one new weekly file";
# targets <= 10 s full, <= 1 s incremental).
#
# Each round, in a fresh directory, with the bundled files (sample/cftc-cot/by-year/, file://):
#   full         `materia extract cot` (COT_YEARS=2017-2021,2023: the six files) then
#                `materia run` on an empty lakehouse — wall time of the two together
#   incremental  a lakehouse built from the five older files and the 2023 year-to-date file
#                without its last week (2023-10-10, every market's rows removed: the file as
#                CFTC published it a week earlier), then the real 2023 file arrives — CFTC's
#                weekly rewrite of the current year's file: `materia extract cot` then
#                `materia run`
# The PSD source is landed first (not timed) so the project's PSD models have their input and
# both runs build the whole project, as the pipeline does; the COT models' own share comes
# from _materia.run_models (seconds per model of that run).
# Usage: bench/cot/cot_pipeline.sh [ROUNDS]   (results under $OUT)
source "$(dirname "$0")/../lib.sh"
ROUNDS=${1:-5}
OUT=${OUT:-/tmp/materia-bench/cot}
rm -rf "$OUT"; mkdir -p "$OUT"
bench_build
URL="file://$ROOT/sample/cftc-cot/by-year/fut_disagg_txt_{YYYY}.zip"
unset MATERIA_PROJECT_DIR
export MATERIA_PROJECT_DIR=$ROOT MATERIA_LOG_LEVEL=warn COT_SOURCE_URL=$URL
export PSD_SOURCE_URL="file://$ROOT/sample/usda-psd/psd_coffee_csv.zip"

# the week-earlier 2023 file, and a folder addressing it as the 2023 file beside the others
PREV=$OUT/prev; mkdir -p "$PREV"
python3 - "$ROOT/sample/cftc-cot/fut_disagg_txt_2023_ytd_2023-10-10.zip" "$PREV/fut_disagg_txt_2023.zip" <<'PY'
import sys, zipfile
src, dst = sys.argv[1:]
with zipfile.ZipFile(src) as z:
    info = z.infolist()[0]
    lines = z.read(info).split(b"\r\n")
kept = [l for l in lines if b",2023-10-10," not in l]
assert len(kept) < len(lines), "no 2023-10-10 rows to drop"
with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr(info, b"\r\n".join(kept))
PY
for y in 2017 2018 2019 2020 2021; do
    ln -sf "$(readlink -f "$ROOT/sample/cftc-cot/by-year/fut_disagg_txt_$y.zip")" "$PREV/fut_disagg_txt_$y.zip"
done

now_ms() { date +%s%3N; }
# cot_share DIR: seconds of the COT models in the newest run of DIR's lakehouse
cot_share() {
    "$MATERIA" sql --json "$1/lake.duckdb" "SELECT round(sum(seconds), 3) AS s FROM _materia.run_models
        WHERE run_id = (SELECT run_id FROM _materia.runs WHERE kind = 'transform' ORDER BY started_at DESC LIMIT 1)
          AND model LIKE '%cot%'" |
        python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["s"])'
}

for r in $(seq 1 "$ROUNDS"); do
    for what in full incremental; do
        D=$OUT/$what-$r; mkdir -p "$D"
        export LANDING_DIR=$D/landing DUCKDB_PATH=$D/lake.duckdb SERVING_DUCKDB_PATH=$D/serving.duckdb
        "$MATERIA" extract psd >/dev/null
        if [ $what = incremental ]; then
            COT_SOURCE_URL="file://$PREV/fut_disagg_txt_{YYYY}.zip" COT_YEARS=2017-2021,2023 \
                "$MATERIA" extract cot >/dev/null
            "$MATERIA" run >/dev/null
        fi
        load=$(bench_load)
        t0=$(now_ms)
        COT_YEARS=2017-2021,2023 "$MATERIA" extract cot >"$D/extract.txt"
        t1=$(now_ms)
        "$MATERIA" run >"$D/run.txt"
        t2=$(now_ms)
        echo "$what round $r: extract cot $((t1 - t0)) ms + run $((t2 - t1)) ms = $((t2 - t0)) ms" \
             "(COT models $(cot_share "$D") s of the run; load $load)"
    done
done | tee "$OUT/results.txt"
