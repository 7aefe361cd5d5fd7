#!/usr/bin/env bash
# bench/transform/many_models.sh — the engine on a generated 1,000-model project
# (gen_many_models.py: chains and fan-outs of tiny models, so the engine dominates).
#   first run   `materia run` from scratch (one run: building 1,000 tables)
#   plan        `materia plan` on the built project (everything unchanged)
#   noop        `materia run` with nothing to do (answered from the no-op stamp the
#               first warm-up run leaves)
#   noop_full_check  `materia run --full-check`: the no-op that opens the lakehouse and plans
# Usage: bench/transform/many_models.sh [RUNS] [N_MODELS]
source "$(dirname "$0")/../lib.sh"
RUNS=${1:-10}
N=${2:-1000}
OUT=${OUT:-/tmp/materia-bench/many}
rm -rf "$OUT"; mkdir -p "$OUT"
bench_build
python3 "$ROOT/bench/transform/gen_many_models.py" "$OUT/project" "$N"
export MATERIA_PROJECT_DIR=$OUT/project LANDING_DIR=$OUT/landing DUCKDB_PATH=$OUT/lake.duckdb MATERIA_LOG_LEVEL=warn
# not from the repository: since issue 12 a current folder holding a config.yaml is a
# project, and materia refuses to choose between it and MATERIA_PROJECT_DIR
cd "$OUT"
echo "first run (load $(bench_load)): $(bench_rss "$MATERIA" run)"
"$MATERIA" sql "$DUCKDB_PATH" "SELECT count(*) AS models, round(sum(seconds), 2) AS model_seconds
  FROM _materia.run_models m JOIN _materia.runs r USING (run_id) WHERE r.status = 'ok'"
bench_hf plan -N --runs "$RUNS" --warmup 2 -n plan "$MATERIA plan"
bench_hf noop -N --runs "$RUNS" --warmup 2 -n noop "$MATERIA run"
bench_hf noop_full_check -N --runs "$RUNS" --warmup 2 -n noop_full_check "$MATERIA run --full-check"
echo "noop --full-check peak RSS: $(bench_rss "$MATERIA" run --full-check)"
MATERIA_LOG_LEVEL=debug "$MATERIA" run --full-check 2>&1 | grep DEBUG
