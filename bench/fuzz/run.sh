#!/bin/sh
# bench/fuzz/run.sh [SECONDS] — builds the libFuzzer targets (bench/fuzz/build.sh) and runs
# every one for SECONDS (default 600), all at once, one process each. Each target starts
# from its seeds (tests/fuzz/corpus/<t>) plus its saved regressions, in a scratch corpus
# under build/fuzz/work/<t>; crashes land in build/fuzz/work/<t>/artifacts/. Prints one
# line per target: runs, executions, coverage, corpus size, crashes.
# Copy a crash into tests/fuzz/regressions/<t>/ once it is fixed (the CTest replays them).
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-600}
out=${FUZZ_BUILD_DIR:-$here/build/fuzz}
"$here/bench/fuzz/build.sh" "$out"
pids=""
for bin in "$out"/tests/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  t=$(basename "$bin" | sed 's/^fuzz_//')
  w="$out/work/$t"
  rm -rf "$w"; mkdir -p "$w/corpus" "$w/artifacts"
  cp "$here/tests/fuzz/corpus/$t/"* "$w/corpus/" 2>/dev/null || true
  cp "$here/tests/fuzz/regressions/$t/"* "$w/corpus/" 2>/dev/null || true
  if [ "$t" = model_header ]; then  # the project's real models and audits are the seeds
    for f in "$here"/models/*/*.sql "$here"/audits/*.sql; do
      cp "$f" "$w/corpus/$(basename "$(dirname "$f")")_$(basename "$f")"
    done
  fi
  if [ "$t" = macro_lex ]; then  # ... and the real models' queries for the macro lexer
    for f in "$here"/models/*/*.sql; do
      cp "$f" "$w/corpus/$(basename "$(dirname "$f")")_$(basename "$f")"
    done
  fi
  dict=""
  [ -f "$here/tests/fuzz/$t.dict" ] && dict="-dict=$here/tests/fuzz/$t.dict"
  # -fork style keep-going is not used: the first crash stops a target and is reported.
  "$bin" $dict -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$w/artifacts/" "$w/corpus" >"$w/log" 2>&1 &
  pids="$pids $!"
done
rc=0
for p in $pids; do wait "$p" || rc=1; done
echo "target            seconds  execs        exec/s  cov    corpus  crashes"
for w in "$out"/work/*/; do
  t=$(basename "$w")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$w/log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$w/log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$w/log" | tail -1 | sed 's/cov: //')
  ncorp=$(ls "$w/corpus" | wc -l)
  ncrash=$(ls "$w/artifacts" | wc -l)
  printf '%-17s %-8s %-12s %-6s %-6s %-7s %s\n' "$t" "$secs" "${execs:-?}" "${rate:-?}" \
    "${cov:-?}" "$ncorp" "$ncrash"
  [ "$ncrash" -eq 0 ] || { echo "  crash: $(ls "$w/artifacts")"; grep -m3 'ERROR\|contract broken' "$w/log" | sed 's/^/  /'; }
done
exit $rc
