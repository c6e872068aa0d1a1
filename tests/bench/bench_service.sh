#!/usr/bin/env bash
# bench_service.sh — the service benchmarks in one run, on loopback only:
#   1. GetCluster under h2load against clusterd and against a bare gRPC core
#      echo server (bench_echo_server), same load settings, interleaved
#      rounds: throughput at many calls in flight, p50/p99 at one;
#   2. ImportClusters throughput (bench_import);
#   3. concurrent CreateCluster against one durable commit per call
#      (bench_create), then a restart of clusterd on the same data directory
#      and a check that every acknowledged record is there.
# Servers listen on free ports picked by the kernel, data lives in a
# temporary directory, everything started here is stopped on exit.
#
# Usage: tests/bench/bench_service.sh BUILD_DIR
# Environment: ROUNDS (3), H2_N (200000), H2_LAT_N (20000), IMPORT_N (200000),
#              CREATE_SECS (3), CREATE_THREADS (64), THREADS (cores).
set -euo pipefail
BUILD=${1:?usage: bench_service.sh BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
ROUNDS=${ROUNDS:-3}
H2_N=${H2_N:-200000}
H2_LAT_N=${H2_LAT_N:-20000}
IMPORT_N=${IMPORT_N:-200000}
CREATE_SECS=${CREATE_SECS:-3}
CREATE_THREADS=${CREATE_THREADS:-64}
THREADS=${THREADS:-$(nproc)}
CLUSTERD="$BUILD/service/clusterd"
ECHO="$BUILD/tests/bench/bench_echo_server"
IMPORT="$BUILD/tests/bench/bench_import"
CREATE="$BUILD/tests/bench/bench_create"
for b in "$CLUSTERD" "$ECHO" "$IMPORT" "$CREATE"; do
  [ -x "$b" ] || { echo "bench_service: $b is not built" >&2; exit 1; }
done
command -v h2load >/dev/null || { echo "bench_service: h2load missing (nghttp2-client)" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/clusterd-bench.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

# start NAME PORTFILE CMD... : starts a server, waits for its port file.
PORT=
start() {
  local name=$1 pf=$2; shift 2
  rm -f "$pf"
  "$@" 2>"$TMP/$name.log" &
  PIDS+=($!)
  LASTPID=$!
  for _ in $(seq 200); do
    [ -s "$pf" ] && { PORT=$(tr -d '\n' <"$pf"); return 0; }
    kill -0 "$LASTPID" 2>/dev/null || break
    sleep 0.05
  done
  echo "bench_service: $name did not start:" >&2
  cat "$TMP/$name.log" >&2
  exit 1
}
# stop PID: SIGTERM, then wait for a clean exit.
stop() {
  kill -TERM "$1"
  local rc=0
  wait "$1" || rc=$?
  local keep=()
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
  return $rc
}
start_clusterd() { # NAME DATADIR
  start "$1" "$TMP/$1.port" "$CLUSTERD" --listen 127.0.0.1:0 \
    --port-file "$TMP/$1.port" --data-dir "$2" --threads "$THREADS" \
    --log-level warn
}
median() { sort -g | awk '{v[NR]=$1} END{ if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2 }'; }

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); server threads $THREADS"

# ---------------------------------------------------------------- GetCluster
start_clusterd get "$TMP/get-data"; GET_PORT=$PORT; GET_PID=$LASTPID
start echo "$TMP/echo.port" "$ECHO" --listen 127.0.0.1:0 --threads "$THREADS" \
  --port-file "$TMP/echo.port"; ECHO_PORT=$PORT
REPLY_BYTES=$(timeout 30 "$CREATE" "127.0.0.1:$GET_PORT" one bench-get-1 | awk '/^size/ {print $2}')
# A second baseline answers with as many bytes as GetCluster does.
start echosz "$TMP/echosz.port" "$ECHO" --listen 127.0.0.1:0 --threads "$THREADS" \
  --port-file "$TMP/echosz.port" --reply-bytes "$REPLY_BYTES"; ECHOSZ_PORT=$PORT
# The pre-framed gRPC request: flag 0, 4-byte big-endian length, then
# GetClusterRequest{id = "bench-get-1"} (field 1, length-delimited).
python3 - "$TMP/get.req" <<'PY'
import struct, sys
ident = b"bench-get-1"
msg = b"\x0a" + bytes([len(ident)]) + ident
open(sys.argv[1], "wb").write(b"\x00" + struct.pack(">I", len(msg)) + msg)
PY
PATH_GET=/clusters.v1.ClusterRegistry/GetCluster
H2_HDR=(-H 'content-type: application/grpc' -H 'te: trailers' -d "$TMP/get.req")
THR_ARGS=(-n "$H2_N" -c 8 -m 16 -t 2)
LAT_ARGS=(-n "$H2_LAT_N" -c 1 -m 1 -t 1)
echo "h2load throughput: h2load ${THR_ARGS[*]} -H 'content-type: application/grpc' -H 'te: trailers' -d get.req http://127.0.0.1:PORT$PATH_GET"
echo "h2load latency:    h2load ${LAT_ARGS[*]} (same headers and body) --log-file"

h2_rate() { # PORT -> req/s; fails unless every request succeeded
  local out
  out=$(timeout 300 h2load "${THR_ARGS[@]}" "${H2_HDR[@]}" "http://127.0.0.1:$1$PATH_GET")
  echo "$out" | grep -q "succeeded, 0 failed, 0 errored" || {
    echo "bench_service: h2load reported failures:" >&2; echo "$out" >&2; exit 1; }
  echo "$out" | awk '/^finished in/ {gsub(",","",$4); print $4}'
}
h2_lat() { # PORT -> "p50_us p99_us" from h2load's per-request log
  local log="$TMP/h2lat.log" out
  out=$(timeout 300 h2load "${LAT_ARGS[@]}" "${H2_HDR[@]}" --log-file="$log" "http://127.0.0.1:$1$PATH_GET")
  echo "$out" | grep -q "succeeded, 0 failed, 0 errored" || {
    echo "bench_service: h2load reported failures:" >&2; echo "$out" >&2; exit 1; }
  awk -F'\t' '{print $3}' "$log" | sort -n | awk '{v[NR]=$1} END{print v[int(NR*0.50)], v[int(NR*0.99)]}'
}
for w in echo echosz cd; do : >"$TMP/thr.$w"; : >"$TMP/p50.$w"; : >"$TMP/p99.$w"; done
for r in $(seq "$ROUNDS"); do
  # alternate which server goes first, so all see the same machine load
  if [ $((r % 2)) = 1 ]; then order="echo echosz cd"; else order="cd echosz echo"; fi
  for who in $order; do
    case $who in
      echo) port=$ECHO_PORT ;;
      echosz) port=$ECHOSZ_PORT ;;
      cd) port=$GET_PORT ;;
    esac
    t=$(h2_rate "$port"); echo "$t" >>"$TMP/thr.$who"
    read -r p50 p99 < <(h2_lat "$port")
    echo "$p50" >>"$TMP/p50.$who"; echo "$p99" >>"$TMP/p99.$who"
    echo "get round $r $who: $t req/s; one in flight p50 ${p50} us p99 ${p99} us"
  done
done
THR_ECHO=$(median <"$TMP/thr.echo"); THR_CD=$(median <"$TMP/thr.cd")
THR_ECHOSZ=$(median <"$TMP/thr.echosz")
P50_ECHO=$(median <"$TMP/p50.echo"); P50_CD=$(median <"$TMP/p50.cd")
P99_ECHO=$(median <"$TMP/p99.echo"); P99_CD=$(median <"$TMP/p99.cd")
stop "$GET_PID"
stop "${PIDS[-1]}"
stop "${PIDS[-1]}"

# ------------------------------------------------------------------- Import
start_clusterd import "$TMP/import-data"; IMP_PID=$LASTPID
timeout 600 "$IMPORT" "127.0.0.1:$PORT" "$IMPORT_N" "$ROUNDS" | tee "$TMP/import.out"
IMP_RATE=$(awk '/^import median/ {print $3}' "$TMP/import.out")
stop "$IMP_PID"

# ------------------------------------------------------------------- Create
start_clusterd create "$TMP/create-data"; CR_PID=$LASTPID
timeout 300 "$CREATE" "127.0.0.1:$PORT" run "$CREATE_SECS" "$ROUNDS" \
  "$CREATE_THREADS" "$TMP/acked" | tee "$TMP/create.out"
stop "$CR_PID"
start_clusterd create2 "$TMP/create-data"; CR_PID=$LASTPID
VERIFY_RC=0
timeout 300 "$CREATE" "127.0.0.1:$PORT" verify "$TMP/acked" | tee "$TMP/verify.out" || VERIFY_RC=$?
stop "$CR_PID"
read -r SEQ CON < <(awk '/^create median/ {for (i=1;i<=NF;i++) { if ($i=="call)") s=$(i+1); if ($i=="flight") c=$(i+1) } print s, c}' "$TMP/create.out")

# ------------------------------------------------------------------- Table
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
echo
echo "| benchmark (median of $ROUNDS) | baseline | clusterd | ratio | target |"
echo "|---|---:|---:|---:|---:|"
echo "| GetCluster req/s, h2load -c 8 -m 16 -t 2, vs a server sending the same $REPLY_BYTES-byte reply | echo $THR_ECHOSZ | $THR_CD | $(ratio "$THR_CD" "$THR_ECHOSZ") | >= 0.85 |"
echo "| GetCluster req/s, same load, vs echo of the 17-byte request | echo $THR_ECHO | $THR_CD | $(ratio "$THR_CD" "$THR_ECHO") | - |"
echo "| GetCluster p50 us, one in flight | echo $P50_ECHO | $P50_CD | $(ratio "$P50_CD" "$P50_ECHO") | - |"
echo "| GetCluster p99 us, one in flight | echo $P99_ECHO | $P99_CD | $(ratio "$P99_CD" "$P99_ECHO") | - |"
echo "| ImportClusters clusters/s (10 indicators) | - | $IMP_RATE | $(ratio "$IMP_RATE" 100000) of 100,000 | >= 1.00 |"
echo "| CreateCluster /s, $CREATE_THREADS in flight vs sequential | $SEQ | $CON | $(ratio "$CON" "$SEQ") | >= 10 |"
echo "| acknowledged creates present after restart | - | $(grep -o 'PASS\|FAIL' "$TMP/verify.out" || echo FAIL) | - | all |"
exit "$VERIFY_RC"
