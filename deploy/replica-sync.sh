#!/usr/bin/env bash
# Feeds a read-only replica from backups of its primary
# (docs/operations.md, "Read-only replicas"). Run it on the replica's
# host from a timer (systemd, cron, a Kubernetes CronJob) or a loop:
#
#   1. clusterctl admin backup: a backup of the primary into
#      DATA_ROOT/backups/backup-TIME.cdbak;
#   2. clusterd --restore: the backup into a new directory
#      DATA_ROOT/snap-TIME (checked: checksums, every table counted);
#   3. DATA_ROOT/current, the replica's --data-dir, is pointed at the new
#      directory (a symlink replaced with rename(2): never missing, never
#      half made);
#   4. $REPLICA_RESTART restarts the replica, which opens what current
#      points at (unset: the script only prepares the switch; restart the
#      replica yourself);
#   5. older snapshots and backups are removed, keeping $KEEP besides the
#      current one (for a rollback: point current back and restart).
#
# Any failure stops the script before the switch: the replica keeps
# serving what it served. Runs never overlap (a lock in DATA_ROOT).
# It prints what each step took: the parts of the replica's lag.
#
# Usage: deploy/replica-sync.sh PRIMARY_ADDR DATA_ROOT
# Environment:
#   CLUSTERCTL, CLUSTERD   the binaries (default: from PATH)
#   CLUSTERCTL_TOKEN_FILE, CLUSTERCTL_TLS_CA, ...  clusterctl's own
#                          (docs/clusterctl.md): an admin's token
#   REPLICA_RESTART        command that restarts the replica, e.g.
#                          "systemctl restart clusterd-replica"
#   REPLICA_ADDR           the replica's address: after the restart, wait
#                          (up to 60 s) until its health is SERVING
#   KEEP                   older snapshots and backups kept (default 1)
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 PRIMARY_ADDR DATA_ROOT" >&2
  exit 2
fi
PRIMARY=$1
ROOT=$2
CLUSTERCTL=${CLUSTERCTL:-clusterctl}
CLUSTERD=${CLUSTERD:-clusterd}
KEEP=${KEEP:-1}
case $KEEP in ''|*[!0-9]*) echo "replica-sync: KEEP=$KEEP is not a number" >&2; exit 2;; esac

umask 077
mkdir -p "$ROOT/backups"
exec 9>"$ROOT/.replica-sync.lock"
if ! flock -n 9; then
  echo "replica-sync: another sync of $ROOT is running" >&2
  exit 1
fi

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
say() { echo "replica-sync: $*"; }

stamp=$(date -u +%Y%m%dT%H%M%S.%NZ)
backup="$ROOT/backups/backup-$stamp.cdbak"
snap="snap-$stamp"

t0=$(now)
out=$("$CLUSTERCTL" --server "$PRIMARY" admin backup "$backup")
t1=$(now)
version=$(sed -n 's/^  data version: //p' <<<"$out")
taken=$(sed -n 's/^  taken: *//p' <<<"$out")
bytes=$(sed -n 's/^  data: *\([0-9]*\) bytes.*/\1/p' <<<"$out")
say "backup of $PRIMARY: data version $version, $bytes bytes, taken $taken, in $(secs "$t0" "$t1") s"

"$CLUSTERD" --restore "$backup" --data-dir "$ROOT/$snap" >/dev/null
t2=$(now)
say "restore into $ROOT/$snap (checked): $(secs "$t1" "$t2") s"

ln -sfn "$snap" "$ROOT/current.new"
mv -Tf "$ROOT/current.new" "$ROOT/current"
t3=$(now)
say "switch: $ROOT/current -> $snap"

if [ -n "${REPLICA_RESTART:-}" ]; then
  sh -c "$REPLICA_RESTART"
  if [ -n "${REPLICA_ADDR:-}" ]; then
    for _ in $(seq 600); do
      if "$CLUSTERCTL" --server "$REPLICA_ADDR" --timeout 1 health >/dev/null 2>&1; then
        break
      fi
      sleep 0.1
    done
  fi
  t4=$(now)
  say "restart: $(secs "$t3" "$t4") s"
  say "lag: data version $version serves $(secs "$t0" "$t4") s after the backup began (plus the time since the last run)"
else
  say "REPLICA_RESTART not set: restart the replica to serve data version $version"
fi

# Older snapshots and backups, newest first; the current one stays, and
# KEEP more.
prune() {
  local pattern=$1 keep=$2 n=0 f
  for f in $(ls -1d $pattern 2>/dev/null | sort -r); do
    if [ "$(basename "$f")" = "$snap" ] ||
       [ "$(basename "$f")" = "$(basename "$backup")" ]; then
      continue
    fi
    n=$((n + 1))
    if [ "$n" -gt "$keep" ]; then
      rm -rf -- "$f"
      say "removed $f"
    fi
  done
}
# Without a restart here the replica still serves the previous snapshot:
# keep it.
if [ -z "${REPLICA_RESTART:-}" ] && [ "$KEEP" -lt 1 ]; then
  KEEP=1
fi
cd "$ROOT"
prune "snap-*" "$KEEP"
prune "backups/backup-*.cdbak" "$KEEP"
