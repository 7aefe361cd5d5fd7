#!/usr/bin/env bash
# bootstrap_supervisor.sh — idempotent set-up of a Materia server (Debian 12), as root.
#
#   infra/bootstrap_supervisor.sh [--repo URL] [--branch NAME] [--role pipeline|replica]
#                                 [--env FILE] [--rclone-conf FILE]
#
# Steps, each skipped when already done (safe to run again after any change):
#   1. the `materia` system user and group
#   2. /data/materia/{landing,app,backup,} owned by materia; /etc/materia for the rclone config
#   3. the checkout in /opt/materia (clone, or fast-forward pull); an existing checkout on
#      another branch, or (--repo/MATERIA_REPO_URL given) from another origin, is refused
#   4. node/npm from Debian if missing, packages + DuckDB (scripts/bootstrap), the Release build
#   5. /opt/materia/.env from --env FILE, else .env.example, and (pipeline) /etc/materia/rclone.conf
#      from --rclone-conf FILE, else its example: never over an existing file (a seed given
#      while the file exists with other content is refused by name); each file
#      (and each unit in 6) is written to DST.tmp.PID and renamed into place, never in part
#   6. the systemd units, their paths rewritten to the locations below (a unit is
#      rewritten only when it differs), daemon-reload when one changed, enable --now:
#      pipeline (default): supervisor, web, backup + timer;
#      replica: materia-replica (`materia serve --follow $SERVING_PUBLISH_URL`) only
# The repository is --repo, else MATERIA_REPO_URL, else the project's GitHub URL; the branch
# --branch, else MATERIA_BRANCH, else main; the role --role, else MATERIA_ROLE; the seeds
# --env/--rclone-conf, else MATERIA_ENV_FILE/MATERIA_RCLONE_FILE (cloud-init: infra/pulumi).
# MATERIA_ROOT, MATERIA_DATA, MATERIA_ETC and MATERIA_SYSTEMD_DIR override the locations
# (/opt/materia, /data/materia, /etc/materia, /etc/systemd/system); MATERIA_NO_SYSTEMCTL=1
# skips systemctl (a dry run in a container); MATERIA_SKIP_BUILD=1 skips step 4 (tests:
# tests/integration/infra/test_bootstrap_supervisor.py, which does not exercise the build).
set -euo pipefail
# Commands run as the service user through runuser(1) (util-linux, always present), not
# sudo, which a fresh Debian 12 server does not have.

repo=${MATERIA_REPO_URL:-https://github.com/materia-coffee/materia.git}
repo_given=0; [ -z "${MATERIA_REPO_URL:-}" ] || repo_given=1
branch=${MATERIA_BRANCH:-main}
role=${MATERIA_ROLE:-pipeline}
env_seed=${MATERIA_ENV_FILE:-}
rclone_seed=${MATERIA_RCLONE_FILE:-}
while [ $# -gt 0 ]; do
  case "$1" in
    --repo|--branch|--role|--env|--rclone-conf)
      [ $# -ge 2 ] || { echo "bootstrap_supervisor: $1 needs a value" >&2; exit 2; } ;;
  esac
  case "$1" in
    --repo) repo=$2; repo_given=1; shift 2 ;;
    --branch) branch=$2; shift 2 ;;
    --role) role=$2; shift 2 ;;
    --env) env_seed=$2; shift 2 ;;
    --rclone-conf) rclone_seed=$2; shift 2 ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "bootstrap_supervisor: unknown option '$1'" >&2; exit 2 ;;
  esac
done

root=${MATERIA_ROOT:-/opt/materia}
data=${MATERIA_DATA:-/data/materia}
etc=${MATERIA_ETC:-/etc/materia}
unitdir=${MATERIA_SYSTEMD_DIR:-/etc/systemd/system}
say() { printf 'bootstrap_supervisor: %s\n' "$*"; }
die() { printf 'bootstrap_supervisor: %s\n' "$*" >&2; exit 1; }
# put_file SRC DST INSTALL-OPTION...: DST appears whole or not at all. install(1) writes
# DST.tmp.PID (owner/mode from the options), then rename(2) puts it in place: a crash
# mid-copy leaves at most that temporary, never a truncated DST a later run would keep.
pending_tmp=
trap 'rm -f ${pending_tmp:+"$pending_tmp"} ${rendered:+"$rendered"}' EXIT
put_file() {
  local src=$1 dst=$2
  shift 2
  pending_tmp="$dst.tmp.$$"
  install "$@" "$src" "$pending_tmp"
  mv -f "$pending_tmp" "$dst"
  pending_tmp=
}
case "$role" in
  pipeline) units=(supervisor/materia-supervisor.service web/materia-web.service
                   backup/materia-backup.service backup/materia-backup.timer)
            start=(materia-supervisor.service materia-web.service materia-backup.timer) ;;
  replica)  units=(web/materia-replica.service)
            start=(materia-replica.service) ;;
  *) die "--role (or MATERIA_ROLE) is '$role': pipeline or replica" ;;
esac
[ -z "$repo" ] && die "the repository URL is empty (--repo or MATERIA_REPO_URL)"
[ -z "$env_seed" ] || [ -f "$env_seed" ] || die "--env (or MATERIA_ENV_FILE) $env_seed: no such file"
[ -z "$rclone_seed" ] || [ -f "$rclone_seed" ] || die "--rclone-conf (or MATERIA_RCLONE_FILE) $rclone_seed: no such file"
[ -z "$rclone_seed" ] || [ "$role" = pipeline ] || die "--rclone-conf: a $role runs no backup (role pipeline only)"
for d in "$root" "$data" "$etc" "$unitdir"; do
  # written into the units with sed: plain absolute paths only
  [[ "$d" =~ ^/[A-Za-z0-9/._-]*$ ]] || die "locations must be absolute paths of [A-Za-z0-9/._-]: '$d'"
done
[ "$(id -u)" -eq 0 ] || die "run as root"

# What was asked and cannot take effect on what is already here is refused by name, before
# anything changes: a seed never overwrites an existing file (identical content is fine), and
# an existing checkout is never silently on another branch or repository than the one asked.
if [ -n "$env_seed" ] && [ -f "$root/.env" ] && ! cmp -s "$env_seed" "$root/.env"; then
  die "--env (or MATERIA_ENV_FILE) $env_seed: $root/.env exists and differs; not overwritten (remove it to re-seed)"
fi
if [ -n "$rclone_seed" ] && [ -f "$etc/rclone.conf" ] && ! cmp -s "$rclone_seed" "$etc/rclone.conf"; then
  die "--rclone-conf (or MATERIA_RCLONE_FILE) $rclone_seed: $etc/rclone.conf exists and differs; not overwritten (remove it to re-seed)"
fi
if [ -d "$root/.git" ]; then
  # read-only, as root: safe.directory because the checkout belongs to materia
  have_branch=$(git -c safe.directory="$root" -C "$root" rev-parse --abbrev-ref HEAD) ||
    die "$root: an existing checkout whose branch git cannot read"
  [ "$have_branch" = "$branch" ] ||
    die "--branch (or MATERIA_BRANCH, default main) $branch: $root is a checkout of '$have_branch'; not switched (check out $branch there, or ask for $have_branch)"
  if [ "$repo_given" = 1 ]; then
    have_repo=$(git -c safe.directory="$root" -C "$root" remote get-url origin 2>/dev/null) || have_repo=
    [ "$have_repo" = "$repo" ] ||
      die "--repo (or MATERIA_REPO_URL) $repo: $root is a checkout of '${have_repo:-no origin}'; not replaced (remove it to clone again)"
  fi
fi

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
install -d -o root -g materia -m 0750 "$etc"
say "folders ready: $data, $data/landing, $data/app, $data/backup, $etc"

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
if [ "${MATERIA_SKIP_BUILD:-0}" = 1 ]; then
  say "build skipped (MATERIA_SKIP_BUILD=1): no packages, no $root/build/release/materia"
else
  # scripts/bootstrap assumes node/npm (DuckDB comes through `npm pack`, the dashboard is
  # built with node), which a Debian 12 server image lacks: Debian's own packages
  command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; }
  "$root/scripts/bootstrap"
  runuser -u materia -- cmake -S "$root" -B "$root/build/release" -DCMAKE_BUILD_TYPE=Release >/dev/null
  runuser -u materia -- cmake --build "$root/build/release" -j2 >/dev/null
  say "built $root/build/release/materia"
fi

# 5. .env
if [ ! -f "$root/.env" ]; then
  if [ -n "$env_seed" ]; then
    put_file "$env_seed" "$root/.env" -o materia -g materia -m 0640
    say "wrote $root/.env from $env_seed"
  else
    put_file "$root/.env.example" "$root/.env" -o materia -g materia -m 0640
    say "wrote $root/.env from .env.example (edit it, then restart the units)"
  fi
fi
if [ "$role" = pipeline ] && [ ! -f "$etc/rclone.conf" ]; then
  if [ -n "$rclone_seed" ]; then
    put_file "$rclone_seed" "$etc/rclone.conf" -o materia -g materia -m 0600
    say "wrote $etc/rclone.conf from $rclone_seed"
  else
    put_file "$root/infra/backup/rclone.conf.example" "$etc/rclone.conf" -o materia -g materia -m 0600
    say "wrote $etc/rclone.conf from the example: fill in the R2 credentials"
  fi
fi

if [ "$role" = replica ] && ! grep -Eq '^SERVING_PUBLISH_URL=.+' "$root/.env"; then
  die "role replica: $root/.env sets no SERVING_PUBLISH_URL (the bucket the replica follows)"
fi

# 6. units: the files in infra/ name the default locations; each is installed with the
# locations of this run, so MATERIA_ROOT=/srv/materia gives units that run /srv/materia's binary.
# Two steps: every default becomes a placeholder first, then each placeholder its location.
# Substituting location by location would rewrite an earlier location that contains a later
# default (nested roots: MATERIA_ROOT=/data/materia/app with MATERIA_DATA=/data/materia/state
# turned the root into /data/materia/state/app); a location cannot contain '@' (checked
# above), so no placeholder can come from one.
changed=0
rendered=$(mktemp)
for u in "${units[@]}"; do
  dst="$unitdir/$(basename "$u")"
  sed -e "s#/opt/materia#@MATERIA_ROOT@#g" -e "s#/data/materia#@MATERIA_DATA@#g" \
    -e "s#/etc/materia#@MATERIA_ETC@#g" \
    -e "s#@MATERIA_ROOT@#$root#g" -e "s#@MATERIA_DATA@#$data#g" -e "s#@MATERIA_ETC@#$etc#g" \
    "$root/infra/$u" > "$rendered"
  if ! cmp -s "$rendered" "$dst"; then
    put_file "$rendered" "$dst" -m 0644
    changed=1
    say "installed $dst"
  fi
done
if [ "${MATERIA_NO_SYSTEMCTL:-0}" = 1 ]; then
  say "units installed in $unitdir (systemctl skipped)"
  exit 0
fi
[ "$changed" -eq 0 ] || systemctl daemon-reload
systemctl enable --now "${start[@]}"
say "enabled ($role): ${start[*]}"
