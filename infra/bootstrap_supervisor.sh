#!/usr/bin/env bash
# bootstrap_supervisor.sh — idempotent set-up of a Materia server (Debian 12), as root.
#
#   infra/bootstrap_supervisor.sh [--repo URL] [--branch NAME]
#
# Steps, each skipped when already done (safe to run again after any change):
#   1. the `materia` system user and group
#   2. /data/materia/{landing,app,backup,} owned by materia; /etc/materia for the rclone config
#   3. the checkout in /opt/materia (clone, or fast-forward pull)
#   4. packages + DuckDB (scripts/bootstrap) and the Release build
#   5. /opt/materia/.env from .env.example (never overwrites an existing .env)
#   6. the systemd units (supervisor, web, backup + timer), daemon-reload, enable, start
# MATERIA_ROOT, MATERIA_DATA and MATERIA_SYSTEMD_DIR override the three locations, and
# MATERIA_NO_SYSTEMCTL=1 skips systemctl (for a dry run in a container).
set -euo pipefail
# Commands run as the service user through runuser(1) (util-linux, always present), not
# sudo, which a fresh Debian 12 server does not have.

repo=https://github.com/materia-coffee/materia.git
branch=main
while [ $# -gt 0 ]; do
  case "$1" in
    --repo) repo=$2; shift 2 ;;
    --branch) branch=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "bootstrap_supervisor: unknown option '$1'" >&2; exit 2 ;;
  esac
done

root=${MATERIA_ROOT:-/opt/materia}
data=${MATERIA_DATA:-/data/materia}
unitdir=${MATERIA_SYSTEMD_DIR:-/etc/systemd/system}
say() { printf 'bootstrap_supervisor: %s\n' "$*"; }
[ "$(id -u)" -eq 0 ] || { echo "bootstrap_supervisor: run as root" >&2; exit 1; }

# 1. user
if ! getent group materia >/dev/null; then groupadd --system materia; say "group materia created"; fi
if ! id -u materia >/dev/null 2>&1; then
  useradd --system --gid materia --home-dir "$root" --no-create-home --shell /usr/sbin/nologin materia
  say "user materia created"
fi

# 2. folders
install -d -o materia -g materia -m 0755 "$data" "$data/landing"
# the account database and its backups hold personal data: the owner only
install -d -o materia -g materia -m 0700 "$data/app" "$data/backup"
install -d -o root -g materia -m 0750 /etc/materia
say "folders ready: $data, $data/landing, $data/app, $data/backup, /etc/materia"

# 3. checkout
command -v git >/dev/null || { apt-get update -qq && apt-get install -y -qq git >/dev/null; }
if [ -d "$root/.git" ]; then
  runuser -u materia -- git -C "$root" pull --ff-only --quiet || say "WARN git pull failed; keeping the current checkout"
else
  install -d -o materia -g materia "$root"
  runuser -u materia -- git clone --quiet --branch "$branch" "$repo" "$root"
  say "cloned $repo ($branch) into $root"
fi

# 4. packages, DuckDB, build (scripts/bootstrap is itself idempotent)
"$root/scripts/bootstrap"
runuser -u materia -- cmake -S "$root" -B "$root/build/release" -DCMAKE_BUILD_TYPE=Release >/dev/null
runuser -u materia -- cmake --build "$root/build/release" -j2 >/dev/null
say "built $root/build/release/materia"

# 5. .env
if [ ! -f "$root/.env" ]; then
  install -o materia -g materia -m 0640 "$root/.env.example" "$root/.env"
  say "wrote $root/.env from .env.example (edit it, then restart the units)"
fi
if [ ! -f /etc/materia/rclone.conf ]; then
  install -o materia -g materia -m 0600 "$root/infra/backup/rclone.conf.example" /etc/materia/rclone.conf
  say "wrote /etc/materia/rclone.conf from the example: fill in the R2 credentials"
fi

# 6. units
changed=0
for u in supervisor/materia-supervisor.service web/materia-web.service \
         backup/materia-backup.service backup/materia-backup.timer; do
  dst="$unitdir/$(basename "$u")"
  if ! cmp -s "$root/infra/$u" "$dst"; then install -m 0644 "$root/infra/$u" "$dst"; changed=1; fi
done
if [ "${MATERIA_NO_SYSTEMCTL:-0}" = 1 ]; then
  say "units installed in $unitdir (systemctl skipped)"
  exit 0
fi
[ "$changed" -eq 0 ] || systemctl daemon-reload
systemctl enable --now materia-supervisor.service materia-web.service materia-backup.timer
say "enabled: materia-supervisor, materia-web, materia-backup.timer"
