#!/usr/bin/env bash
# bench/transform/macro_render.sh — the macro expander on 1,000 macro-heavy models (issue 12:
# "render of 1,000 macro-heavy models (@EACH, @DEF, @IF, @STAR) in <= 1 s").
#
# gen_macro_models.py writes a SQLMesh project (config.yaml, external_models.yaml with
# columns, N models each using @DEF values/lists/lambdas, @EACH, @IF, @WHERE, @VAR and
# @STAR over an external table). The project is the current folder (config.yaml discovery,
# no MATERIA_* environment), as `cd project && materia plan` in SQLMesh.
#   plan        `materia plan`: loads the project, renders all N models (the DAG comes from
#               DuckDB's parse of every render) and plans them (no lakehouse yet: all new);
#               it renders each model a second time for its fingerprint
#   dag         `materia dag`: the same load and render of all N plus DuckDB's parse, on an
#               in-memory database — the single command closest to "render all N"
#   shared_*    the same on a variant whose per-model @IF condition is shared (5 distinct
#               constants over the project instead of 1,000; see gen_macro_models.py)
#   plain_*     the same on the "plain twin": every model's query replaced by its rendered
#               SQL (no macros left, same DAG): dag - plain_dag is what expansion costs
#               (the three projects' plan and dag are timed in rotation by rounds.py)
#   render_query `materia render --query`: model 500's query on its own (--schema, --vars)
#   render_model `materia render s0.m0500`: one model of the project (timed when it works)
#   version     `materia --version`: the process floor (start + loading libduckdb)
# Usage: bench/transform/macro_render.sh [RUNS] [N_MODELS]   (results under $OUT)
source "$(dirname "$0")/../lib.sh"
RUNS=${1:-10}
N=${2:-1000}
OUT=${OUT:-/tmp/materia-bench/macro}
rm -rf "$OUT"; mkdir -p "$OUT"
bench_build
P=$OUT/project
python3 "$ROOT/bench/transform/gen_macro_models.py" "$P" "$N"
unset MATERIA_PROJECT_DIR DUCKDB_PATH LANDING_DIR SERVING_DUCKDB_PATH
export MATERIA_LOG_LEVEL=warn
cd "$P"

# --- sanity: every model renders, nothing of the macro language is left ---------------
"$MATERIA" dag >"$OUT/dag.txt"
[ "$(wc -l <"$OUT/dag.txt")" -eq "$N" ] || { echo "dag lists $(wc -l <"$OUT/dag.txt") models, not $N" >&2; exit 1; }
K=$((N > 500 ? 500 : N - 1)); ONE=s$((K % 10)).m$(printf %04d $K)
VARS='{"env": "prod", "weights": [2, 3, 5]}'
RQ=(render --query - --schema "$(cat schema_all.json)" --vars "$VARS" --model-kind FULL)
"$MATERIA" render --query query_one.sql --schema "$(cat schema_one.json)" --vars "$VARS" \
    --model-kind FULL >"$OUT/render_query.sql"
if grep -n '@' "$OUT/render_query.sql"; then echo "macros left in a render" >&2; exit 1; fi
echo "model $ONE's query renders to $(wc -c <"$OUT/render_query.sql") bytes from $(wc -c <query_one.sql):"
cat "$OUT/render_query.sql"
# `materia render MODEL` in the project: at 8e1fb35 it renders without the project's inputs
# (render_cmd.c builds its render_ctx by hand, not with project_render_ctx), so @STAR over
# an external model and @VAR of config.yaml variables fail there; timed only when it works
RENDER_MODEL_OK=1
"$MATERIA" render "$ONE" >"$OUT/render_one.sql" 2>"$OUT/render_one.err" || {
    RENDER_MODEL_OK=0; echo "materia render $ONE FAILS (not timed): $(cat "$OUT/render_one.err")"; }

# --- the plain twin: the same project, each query replaced by its render --------------
# (render --query with every external table's columns and the project's variables: the
# models use no time variable and no @this_model, so this is the render plan and dag use)
Q=$OUT/plain
mkdir -p "$Q/models"
cp config.yaml external_models.yaml "$Q/"
for f in models/*.sql; do
    { sed -n '1,/^);$/p' "$f"; echo; sed '1,/^);$/d' "$f" | "$MATERIA" "${RQ[@]}"; } >"$Q/$f"
done
if grep -l '@' "$Q"/models/*.sql | head -3 | grep .; then echo "macros left in the plain twin" >&2; exit 1; fi
(cd "$Q" && "$MATERIA" dag >"$OUT/plain_dag.txt")
cmp -s "$OUT/dag.txt" "$OUT/plain_dag.txt" || { echo "the plain twin's DAG differs" >&2; exit 1; }
echo "plain twin: $N models, same DAG ($(cat "$Q"/models/*.sql | wc -c) bytes vs $(cat models/*.sql | wc -c) with macros)"

# --- the shared-@IF variant: one @IF condition per model becomes one of 5 per project ----
S=$OUT/shared
python3 "$ROOT/bench/transform/gen_macro_models.py" "$S" "$N" --shared-if
(cd "$S" && "$MATERIA" dag >"$OUT/shared_dag.txt")
cmp -s "$OUT/dag.txt" "$OUT/shared_dag.txt" || { echo "the shared variant's DAG differs" >&2; exit 1; }

# --- timings -----------------------------------------------------------------------------
bench_hf plan -N --runs "$RUNS" --warmup 2 -n plan "$MATERIA plan"
bench_hf dag -N --runs "$RUNS" --warmup 2 -n dag "$MATERIA dag"
bench_hf render_query -N --runs "$RUNS" --warmup 2 -n render_query \
    "$MATERIA render --query query_one.sql --schema '$(cat schema_one.json)' --vars '$VARS' --model-kind FULL"
if [ "$RENDER_MODEL_OK" = 1 ]; then
    bench_hf render_model -N --runs "$RUNS" --warmup 2 -n render_model "$MATERIA render $ONE"
fi
bench_hf version -N --runs "$RUNS" --warmup 2 -n version "$MATERIA --version"
echo "plan peak RSS: $(bench_rss "$MATERIA" plan)"
echo "dag peak RSS: $(bench_rss "$MATERIA" dag)"
# the three projects side by side, in rotation (rounds.py): hyperfine's batches drift apart
# on this shared machine by more than the differences measured here
export OUT
python3 "$ROOT/bench/transform/rounds.py" "$RUNS" "plan=$MATERIA plan" "shared_plan=$MATERIA -p $S plan" \
    "plain_plan=$MATERIA -p $Q plan" | tee "$OUT/rounds_plan.txt"
python3 "$ROOT/bench/transform/rounds.py" "$RUNS" "dag=$MATERIA dag" "shared_dag=$MATERIA -p $S dag" \
    "plain_dag=$MATERIA -p $Q dag" | tee "$OUT/rounds_dag.txt"
python3 - "$OUT" "$N" <<'PY'
import json, statistics, sys
out, n = sys.argv[1], int(sys.argv[2])
for k in ("plan", "dag"):
    med = json.load(open(f"{out}/{k}.json"))["results"][0]["median"]
    print(f"{k} (hyperfine): median {med*1000:.0f} ms for {n} macro-heavy models; bar <= 1 s -> {'MET' if med <= 1 else 'MISSED'}")
for k in ("plan", "dag"):
    r = json.load(open(f"{out}/rounds-{k}-shared_{k}-plain_{k}.json"))
    for v in (k, f"shared_{k}"):
        w, c = statistics.median(r["wall"][v]), statistics.median(r["cpu"][v])
        d = statistics.median([a - b for a, b in zip(r["cpu"][v], r["cpu"][f"plain_{k}"])])
        print(f"{v} (rounds): wall median {w*1000:.0f} ms, CPU median {c*1000:.0f} ms -> {'MET' if w <= 1 else 'MISSED'}; "
              f"macros cost {d*1000:+.0f} ms CPU over the plain twin ({d/n*1e6:+.0f} us per model)")
PY
# where plan's time goes (load, dag = render + DuckDB's parse, state, fingerprints = a second render)
for p in "$P" "$S" "$Q"; do
    echo "$p:"
    for _ in 1 2 3; do MATERIA_LOG_LEVEL=debug "$MATERIA" -p "$p" plan 2>&1 >/dev/null | grep 'DEBUG.*plan:' || true; done
done
