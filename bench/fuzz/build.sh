#!/bin/sh
# bench/fuzz/build.sh — builds the libFuzzer targets (tests/fuzz) with clang in build/fuzz
# (or $1). Only the fuzz targets are built: each compiles the few sources it exercises.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$here/build/fuzz}
: "${DUCKDB_PREFIX:=$here/third_party/duckdb}"
export DUCKDB_PREFIX
CC=clang cmake -S "$here" -B "$out" -DMATERIA_FUZZ=ON -DBUILD_TESTING=OFF \
  -DCMAKE_BUILD_TYPE=Debug >/dev/null
help=$(cmake --build "$out" --target help)
targets=$(sed -n 's/^materia_fuzz_target(\([a-z_]*\).*/fuzz_\1/p' "$here/tests/fuzz/CMakeLists.txt")
built=""
for t in $targets; do
  if printf "%s\n" "$help" | grep -q "^\.\.\. $t\$"; then
    cmake --build "$out" --target "$t" -j2 >/dev/null
    built="$built $t"
  fi
done
echo "built:$built in $out/tests/fuzz"
