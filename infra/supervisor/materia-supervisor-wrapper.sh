#!/usr/bin/env bash
# materia-supervisor-wrapper.sh — ExecStart of materia-supervisor.service.
#
# Updates the checkout (fast-forward only), re-runs scripts/bootstrap (idempotent: DuckDB,
# the dashboard) and rebuilds the Release binary, then execs
# `materia supervise` so systemd signals reach the supervisor itself. A failed update or
# build is logged and the binary already built is used: a bad push or a network outage
# never stops the daily pipeline. MATERIA_CHECKOUT overrides the checkout (tests).
set -uo pipefail

checkout=${MATERIA_CHECKOUT:-/opt/materia}
bin="$checkout/build/release/materia"
say() { printf 'wrapper: %s\n' "$*"; }

cd "$checkout" || { say "ERROR checkout $checkout is missing"; exit 1; }
if [ "${MATERIA_WRAPPER_NO_UPDATE:-0}" != 1 ]; then
  if git -C "$checkout" pull --ff-only --quiet; then
    say "checkout updated to $(git -C "$checkout" rev-parse --short HEAD)"
  else
    say "WARN git pull failed; keeping $(git -C "$checkout" rev-parse --short HEAD 2>/dev/null || echo '?')"
  fi
  # scripts/bootstrap: packages and DuckDB as pinned by this commit, and the dashboard
  if "$checkout/scripts/bootstrap" >/dev/null &&
     cmake -S "$checkout" -B "$checkout/build/release" -DCMAKE_BUILD_TYPE=Release >/dev/null &&
     cmake --build "$checkout/build/release" -j2 >/dev/null; then
    say "build ok"
  else
    say "WARN build failed; running the previous binary"
  fi
fi
[ -x "$bin" ] || { say "ERROR no binary at $bin"; exit 1; }
exec "$bin" supervise "$@"
