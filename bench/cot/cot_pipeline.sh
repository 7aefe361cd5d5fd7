#!/usr/bin/env bash
# bench/cot/cot_pipeline.sh — the CFTC COT source end to end (issue 14: "extract + transform of
# all six files from an empty lakehouse, and the incremental run after one new weekly file";
# targets <= 10 s full, <= 1 s incremental).
#
# Each round, in a fresh directory, with the bundled files (sample/cftc-cot/by-year/, file://):
#   full         `materia extract cot` (COT_YEARS=2017-2021,2023: the six files) then
#                `materia run` on an empty lakehouse — wall time of the two together
#   incremental  the weekly case. One folder of year files is the URL throughout
#                (file://$D/cur/fut_disagg_txt_{YYYY}.zip, links to the bundled files), as
#                CFTC's URLs are. Set up, untimed: the 2023 file is the one CFTC published a
#                week earlier (2023-10-10, every market's rows removed); both sources are
#                extracted; every landing's landed_at is moved eight days back and the run
#                is made a week back (--execution-time: the landings' day is complete by
#                then, so models without allow_partials take it too), because in production
#                the older years were landed in earlier weeks, not minutes before. Timed:
#                the 2023 link is switched to the real file — CFTC's weekly rewrite of the
#                current year's file (a new mtime, new content) — then `materia extract cot`
#                and `materia run`.
#   sameday      as incremental without moving anything back: every file was landed today,
#                so the day's raw interval is re-read whole (the worst case, for comparison)
#   http         as incremental, with the year files served over HTTP by nginx (Debian's
#                nginx-light, which sends ETag and Last-Modified and answers If-None-Match
#                with 304), as CFTC's site does: the five unchanged years are 304s, the
#                rewritten 2023 file a 200 — extract's conditional GETs, timed
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

# the week-earlier 2023 file
PREV=$OUT/prev; mkdir -p "$PREV"
python3 - "$ROOT/sample/cftc-cot/fut_disagg_txt_2023_ytd_2023-10-10.zip" "$PREV/fut_disagg_txt_2023.zip" <<'PY2'
import sys, zipfile
src, dst = sys.argv[1:]
with zipfile.ZipFile(src) as z:
    info = z.infolist()[0]
    lines = z.read(info).split(b"\r\n")
kept = [l for l in lines if b",2023-10-10," not in l]
assert len(kept) < len(lines), "no 2023-10-10 rows to drop"
with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr(info, b"\r\n".join(kept))
PY2

# age_landing DIR DAYS: every meta's landed_at moved DAYS back (the setup's "earlier weeks")
age_landing() {
    python3 - "$1" "$2" <<'PY2'
import datetime, glob, json, os, sys
root, days = sys.argv[1], int(sys.argv[2])
n = 0
for p in glob.glob(os.path.join(root, "*", "*", "*", "*.meta.json")):
    m = json.load(open(p))
    t = datetime.datetime.strptime(m["landed_at"][:19], "%Y-%m-%dT%H:%M:%S")
    m["landed_at"] = (t - datetime.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    json.dump(m, open(p, "w"), indent=2)
    n += 1
assert n >= 7, f"only {n} meta files under {root}"
PY2
}

now_ms() { date +%s%3N; }

# nginx over $OUT for the http case (each round's URL folder is $OUT/http-N/cur)
NGX=$OUT/nginx; mkdir -p "$NGX"
NGX_PORT=${NGX_PORT:-18131}
cat > "$NGX/nginx.conf" <<NGINX
worker_processes 1;
pid $NGX/nginx.pid;
error_log $NGX/error.log;
events { worker_connections 64; }
http {
  access_log $NGX/access.log;
  server { listen 127.0.0.1:$NGX_PORT; root $OUT; }
}
NGINX
nginx -c "$NGX/nginx.conf" -p "$NGX" -g 'daemon on;' ||
    { echo "cot_pipeline: nginx did not start (port $NGX_PORT busy? see $NGX/error.log)" >&2; exit 1; }
trap 'kill "$(cat "$NGX/nginx.pid" 2>/dev/null)" 2>/dev/null || true' EXIT
# cot_share DIR: seconds of the COT models in the newest run of DIR's lakehouse
cot_share() {
    "$MATERIA" sql --json "$1/lake.duckdb" "SELECT round(sum(seconds), 3) AS s FROM _materia.run_models
        WHERE run_id = (SELECT run_id FROM _materia.runs WHERE kind = 'transform' ORDER BY started_at DESC LIMIT 1)
          AND model LIKE '%cot%'" |
        python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["s"])'
}

for r in $(seq 1 "$ROUNDS"); do
    for what in full incremental sameday http; do
        D=$OUT/$what-$r; mkdir -p "$D/cur"
        export LANDING_DIR=$D/landing DUCKDB_PATH=$D/lake.duckdb SERVING_DUCKDB_PATH=$D/serving.duckdb
        for y in 2017 2018 2019 2020 2021 2023; do
            ln -sfn "$(readlink -f "$ROOT/sample/cftc-cot/by-year/fut_disagg_txt_$y.zip")" "$D/cur/fut_disagg_txt_$y.zip"
        done
        export COT_SOURCE_URL="file://$D/cur/fut_disagg_txt_{YYYY}.zip" COT_YEARS=2017-2021,2023
        [ $what = http ] && export COT_SOURCE_URL="http://127.0.0.1:$NGX_PORT/$what-$r/cur/fut_disagg_txt_{YYYY}.zip"
        "$MATERIA" extract psd >/dev/null
        if [ $what != full ]; then
            ln -sfn "$PREV/fut_disagg_txt_2023.zip" "$D/cur/fut_disagg_txt_2023.zip"
            "$MATERIA" extract cot >/dev/null
            if [ $what = incremental ] || [ $what = http ]; then
                age_landing "$D/landing" 8
                "$MATERIA" run --execution-time "$(date -u -d '7 days ago' '+%Y-%m-%d %H:%M:%S')" >/dev/null
            else
                "$MATERIA" run >/dev/null
            fi
            ln -sfn "$(readlink -f "$ROOT/sample/cftc-cot/by-year/fut_disagg_txt_2023.zip")" "$D/cur/fut_disagg_txt_2023.zip"
        fi
        load=$(bench_load)
        logn=$(wc -l < "$NGX/access.log" 2>/dev/null || echo 0)
        t0=$(now_ms)
        # a failed step is no figure: the round stops the script, naming the step and its log
        /usr/bin/time -f "%U %S" -o "$D/extract.cpu" "$MATERIA" extract cot >"$D/extract.txt" 2>&1 ||
            { echo "cot_pipeline: $what round $r: extract cot failed (see $D/extract.txt)" >&2; exit 1; }
        t1=$(now_ms)
        /usr/bin/time -f "%U %S" -o "$D/run.cpu" "$MATERIA" run >"$D/run.txt" 2>&1 ||
            { echo "cot_pipeline: $what round $r: run failed (see $D/run.txt)" >&2; exit 1; }
        t2=$(now_ms)
        # CPU seconds (user + system) of the two: what the machine's load does not inflate
        cpu=$(cat "$D/extract.cpu" "$D/run.cpu" | awk '{s += $1 + $2} END {printf "%.2f", s}')
        http=""
        if [ $what = http ]; then
            timed=$(tail -n +$((logn + 1)) "$NGX/access.log")
            n304=$(grep -c '" 304 ' <<<"$timed" || true) n200=$(grep -c '" 200 ' <<<"$timed" || true)
            # the case is the weekly one only if the five old years were 304s and 2023 a 200
            [ "$n304" = 5 ] && [ "$n200" = 1 ] ||
                { echo "cot_pipeline: http round $r: $n304 x 304 and $n200 x 200, not 5 and 1 (see $NGX/access.log)" >&2; exit 1; }
            http=" (timed extract: $n304 x 304, $n200 x 200)"
        fi
        echo "$what round $r: extract cot $((t1 - t0)) ms + run $((t2 - t1)) ms = $((t2 - t0)) ms$http" \
             "(CPU $cpu s; COT models $(cot_share "$D") s of the run; load $load)"
    done
done | tee "$OUT/results.txt"
