#!/usr/bin/env bash
# bench_backup.sh — figures for the capacity model of backups and replicas
# (docs/PERFORMANCE.md, "Backup, restore and replica lag"):
#   1. N synthetic clusters (bench_competition load, through ImportClusters)
#      into a clusterd on a temporary data directory;
#   2. ROUNDS backups through `clusterctl admin backup` (the whole path:
#      the server's compacting copy, gRPC, the client's checks, the file
#      written and synced), timed: seconds, MB/s of LMDB data, seconds per
#      GB;
#   3. ROUNDS restores of that file with `clusterd --restore` into a new
#      directory (both checksums, the data written and synced, every table
#      counted record by record), timed;
#   4. WRITERS clients creating clusters for WSECS seconds (bench_create
#      load), alone and then with a backup taken meanwhile: the writes'
#      rate with and without a backup, and the backup's time under writes;
#   5. the start of a read-only replica on the restored directory until its
#      health says SERVING: with 2 and 3, the parts of a replica's lag.
# The page cache is warm (the data was just written): these are the
# figures of a store that fits in memory; a cold one reads the disk first.
# Everything started here is stopped, and the directory removed, on exit.
#
# Usage: tests/bench/bench_backup.sh BUILD_DIR
# Environment: N (1000000), ROUNDS (3), WRITERS (8), WSECS (10), THREADS
# (cores).
set -euo pipefail
BUILD=${1:?usage: bench_backup.sh BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
N=${N:-1000000}
ROUNDS=${ROUNDS:-3}
WRITERS=${WRITERS:-8}
WSECS=${WSECS:-10}
THREADS=${THREADS:-$(nproc)}
CLUSTERD="$BUILD/service/clusterd"
CTL="$BUILD/client/clusterctl"
COMP="$BUILD/tests/bench/bench_competition"
CREATE="$BUILD/tests/bench/bench_create"
for b in "$CLUSTERD" "$CTL" "$COMP" "$CREATE"; do
  [ -x "$b" ] || { echo "bench_backup: $b is not built" >&2; exit 1; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/clusterd-bench-backup.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { sort -g | awk '{v[NR]=$1} END{ if (NR%2) printf "%.3f\n", v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2 }'; }
range() { sort -g | awk 'NR==1{a=$1} {b=$1} END{printf "%.3f-%.3f\n", a, b}'; }

# start NAME ARGS...: a clusterd on a kernel-picked port; sets ADDR, PID.
start() {
  local name=$1; shift
  rm -f "$TMP/$name.port"
  "$CLUSTERD" --listen 127.0.0.1:0 --port-file "$TMP/$name.port" \
    --plugin-dir "" --threads "$THREADS" --log-level info "$@" \
    2>>"$TMP/$name.log" &
  PID=$!
  PIDS+=("$PID")
  for _ in $(seq 1200); do
    [ -s "$TMP/$name.port" ] && { ADDR="127.0.0.1:$(tr -d '\n' <"$TMP/$name.port")"; return 0; }
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.01
  done
  echo "bench_backup: clusterd $name did not start:" >&2
  cat "$TMP/$name.log" >&2
  exit 1
}
stop() {
  kill -TERM "$1"
  wait "$1" || { echo "bench_backup: clusterd exited with $?" >&2; exit 1; }
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); server threads $THREADS"
start primary --data-dir "$TMP/data"
PRIMARY=$ADDR
PRIMARY_PID=$PID
t0=$(now)
timeout 1800 "$COMP" load "$PRIMARY" 0 "$N" | sed 's/^/  /'
t1=$(now)
echo "loaded $N clusters in $(secs "$t0" "$t1") s; data.mdb $(du -m "$TMP/data/data.mdb" | cut -f1) MB on disk"

echo "== backup (clusterctl admin backup), $ROUNDS rounds"
: >"$TMP/backup.s"
for r in $(seq "$ROUNDS"); do
  rm -f "$TMP/b.cdbak"
  t0=$(now)
  out=$("$CTL" --server "$PRIMARY" admin backup "$TMP/b.cdbak")
  t1=$(now)
  s=$(secs "$t0" "$t1")
  echo "$s" >>"$TMP/backup.s"
  bytes=$(sed -n 's/^  data: *\([0-9]*\) bytes.*/\1/p' <<<"$out")
  echo "  round $r: $s s, $bytes bytes ($(awk -v b="$bytes" -v s="$s" 'BEGIN{printf "%.0f", b/1e6/s}') MB/s)"
done
bs=$(median <"$TMP/backup.s")
echo "backup: median $bs s ($(range <"$TMP/backup.s")) for $bytes bytes of LMDB data:" \
     "$(awk -v b="$bytes" -v s="$bs" 'BEGIN{printf "%.0f MB/s, %.2f s per GB", b/1e6/s, s/(b/1e9)}')"
echo "  file $(stat -c %s "$TMP/b.cdbak") bytes; $(sed -n 's/^  records: *//p' <<<"$out")"
# The server's own account: the copy's time, and how long taking the
# snapshot took (writes wait for part of it: the copy's first 1 MiB).
grep -o 'in [0-9.]* s ([0-9.]* MB/s; snapshot taken in [0-9.]* ms)' \
  "$TMP/primary.log" | sed 's/^/  server: /' || true

echo "== restore (clusterd --restore), $ROUNDS rounds"
: >"$TMP/restore.s"
for r in $(seq "$ROUNDS"); do
  rm -rf "$TMP/restored"
  t0=$(now)
  "$CLUSTERD" --restore "$TMP/b.cdbak" --data-dir "$TMP/restored" >/dev/null
  t1=$(now)
  s=$(secs "$t0" "$t1")
  echo "$s" >>"$TMP/restore.s"
  echo "  round $r: $s s"
done
rs=$(median <"$TMP/restore.s")
echo "restore: median $rs s ($(range <"$TMP/restore.s")):" \
     "$(awk -v b="$bytes" -v s="$rs" 'BEGIN{printf "%.0f MB/s, %.2f s per GB", b/1e6/s, s/(b/1e9)}')"

echo "== writes alone, then with a backup running ($WRITERS clients, ${WSECS}s each)"
# bench_create ADDR load SECONDS THREADS ACKFILE: concurrent CreateCluster
# for SECONDS; prints its rate.
"$CREATE" "$PRIMARY" load "$WSECS" "$WRITERS" "$TMP/acks-alone" alone | sed 's/^/  alone: /'
"$CREATE" "$PRIMARY" load "$WSECS" "$WRITERS" "$TMP/acks-backup" during >"$TMP/create.out" 2>&1 &
CPID=$!
PIDS+=("$CPID")
sleep 0.5
rm -f "$TMP/w.cdbak"
t0=$(now)
out=$("$CTL" --server "$PRIMARY" admin backup "$TMP/w.cdbak")
t1=$(now)
wait "$CPID"
sed 's/^/  with a backup: /' "$TMP/create.out"
ws=$(secs "$t0" "$t1")
wbytes=$(sed -n 's/^  data: *\([0-9]*\) bytes.*/\1/p' <<<"$out")
grep -o 'in [0-9.]* s ([0-9.]* MB/s; snapshot taken in [0-9.]* ms)' \
  "$TMP/primary.log" | tail -1 | sed 's/^/  server, under writes: /' || true
echo "  the backup under writes: $ws s for $wbytes bytes" \
     "($(awk -v b="$wbytes" -v s="$ws" 'BEGIN{printf "%.0f", b/1e6/s}') MB/s)," \
     "data version $(sed -n 's/^  data version: //p' <<<"$out")"
rm -f "$TMP/w.cdbak"

echo "== replica start on the restored directory until SERVING"
: >"$TMP/start.s"
for r in $(seq "$ROUNDS"); do
  t0=$(now)
  start replica --data-dir "$TMP/restored" --read-only --primary "$PRIMARY"
  for _ in $(seq 6000); do
    "$CTL" --server "$ADDR" --timeout 1 health >/dev/null 2>&1 && break
    sleep 0.01
  done
  t1=$(now)
  s=$(secs "$t0" "$t1")
  echo "$s" >>"$TMP/start.s"
  echo "  round $r: $s s"
  stop "$PID"
done
ss=$(median <"$TMP/start.s")
echo "replica start: median $ss s"
echo "replica lag, one sync (backup + restore + restart), not counting the" \
     "interval between syncs: $(awk -v a="$bs" -v b="$rs" -v c="$ss" 'BEGIN{printf "%.2f s", a+b+c}')"
stop "$PRIMARY_PID"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
