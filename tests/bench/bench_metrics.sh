#!/usr/bin/env bash
# bench_metrics.sh — what the metrics cost a served call: GetCluster under
# h2load against two clusterd of the same build, one without metrics and
# one with --metrics-listen scraped every second (as Prometheus would),
# rounds alternating which goes first; throughput at many calls in flight
# and p50 at one. Loopback only; everything started is stopped on exit.
#
# Usage: tests/bench/bench_metrics.sh BUILD_DIR
# Environment: ROUNDS (5), H2_N (200000), H2_LAT_N (20000), THREADS (cores)
set -euo pipefail
BUILD=$(cd "${1:?usage: bench_metrics.sh BUILD_DIR}" && pwd)
ROUNDS=${ROUNDS:-5}
H2_N=${H2_N:-200000}
H2_LAT_N=${H2_LAT_N:-20000}
THREADS=${THREADS:-$(nproc)}
CLUSTERD="$BUILD/service/clusterd"
CREATE="$BUILD/tests/bench/bench_create"
for b in "$CLUSTERD" "$CREATE"; do
  [ -x "$b" ] || { echo "bench_metrics: $b is not built" >&2; exit 1; }
done
command -v h2load >/dev/null || { echo "bench_metrics: h2load missing (nghttp2-client)" >&2; exit 1; }
command -v curl >/dev/null || { echo "bench_metrics: curl missing" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/clusterd-bench.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

# start_clusterd NAME [FLAGS...]: sets PORT once the port file is written.
start_clusterd() {
  local name=$1; shift
  local pf="$TMP/$name.port"
  "$CLUSTERD" --listen 127.0.0.1:0 --port-file "$pf" --data-dir "$TMP/$name" \
    --threads "$THREADS" --log-level warn "$@" 2>"$TMP/$name.log" &
  PIDS+=($!)
  for _ in $(seq 200); do
    [ -s "$pf" ] && { PORT=$(tr -d '\n' <"$pf"); return 0; }
    sleep 0.05
  done
  echo "bench_metrics: $name did not start:" >&2; cat "$TMP/$name.log" >&2; exit 1
}
median() { sort -g | awk '{v[NR]=$1} END{ if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2 }'; }
range() { sort -g | awk 'NR==1{lo=$1} {hi=$1} END{print lo "-" hi}'; }

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); server threads $THREADS"
start_clusterd off; OFF=$PORT
start_clusterd on --metrics-listen 127.0.0.1:0 --metrics-port-file "$TMP/on.mport"; ON=$PORT
MPORT=$(tr -d '\n' <"$TMP/on.mport")
for p in "$OFF" "$ON"; do timeout 30 "$CREATE" "127.0.0.1:$p" one bench-get-1 >/dev/null; done
# A scraper, as Prometheus at a 1 s interval.
( while curl -sf -o /dev/null "http://127.0.0.1:$MPORT/metrics"; do sleep 1; done ) &
PIDS+=($!)

python3 - "$TMP/get.req" <<'PY'
import struct, sys
ident = b"bench-get-1"
msg = b"\x0a" + bytes([len(ident)]) + ident
open(sys.argv[1], "wb").write(b"\x00" + struct.pack(">I", len(msg)) + msg)
PY
H2_HDR=(-H 'content-type: application/grpc' -H 'te: trailers' -d "$TMP/get.req")
URL_PATH=/clusters.v1.ClusterRegistry/GetCluster
echo "h2load throughput: h2load -n $H2_N -c 8 -m 16 -t 2 (gRPC headers, GetCluster); latency: -n $H2_LAT_N -c 1 -m 1 -t 1"
rate() {
  local out
  out=$(timeout 300 h2load -n "$H2_N" -c 8 -m 16 -t 2 "${H2_HDR[@]}" "http://127.0.0.1:$1$URL_PATH")
  echo "$out" | grep -q "succeeded, 0 failed, 0 errored" || { echo "$out" >&2; exit 1; }
  echo "$out" | awk '/^finished in/ {gsub(",","",$4); print $4}'
}
p50() {
  local log="$TMP/lat.log" out
  out=$(timeout 300 h2load -n "$H2_LAT_N" -c 1 -m 1 -t 1 "${H2_HDR[@]}" --log-file="$log" "http://127.0.0.1:$1$URL_PATH")
  echo "$out" | grep -q "succeeded, 0 failed, 0 errored" || { echo "$out" >&2; exit 1; }
  awk -F'\t' '{print $3}' "$log" | sort -n | awk '{v[NR]=$1} END{print v[int(NR*0.50)]}'
}
: >"$TMP/thr.off"; : >"$TMP/thr.on"; : >"$TMP/p50.off"; : >"$TMP/p50.on"
for r in $(seq "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then order="off on"; else order="on off"; fi
  for w in $order; do
    port=$OFF; [ "$w" = on ] && port=$ON
    rate "$port" >>"$TMP/thr.$w"
    p50 "$port" >>"$TMP/p50.$w"
  done
  echo "round $r: off $(tail -1 "$TMP/thr.off") req/s p50 $(tail -1 "$TMP/p50.off") us; on $(tail -1 "$TMP/thr.on") req/s p50 $(tail -1 "$TMP/p50.on") us"
done
calls=$(curl -sf "http://127.0.0.1:$MPORT/metrics" | awk '/^clusterd_grpc_requests_total\{.*method="GetCluster".*code="OK"/ {print $2}')
T_OFF=$(median <"$TMP/thr.off"); T_ON=$(median <"$TMP/thr.on")
L_OFF=$(median <"$TMP/p50.off"); L_ON=$(median <"$TMP/p50.on")
echo
echo "| GetCluster (median of $ROUNDS, range) | metrics off | metrics on, scraped every 1 s | on / off |"
echo "|---|---:|---:|---:|"
echo "| req/s, h2load -c 8 -m 16 -t 2 | $T_OFF ($(range <"$TMP/thr.off")) | $T_ON ($(range <"$TMP/thr.on")) | $(awk -v a="$T_ON" -v b="$T_OFF" 'BEGIN{printf "%.3f", a/b}') |"
echo "| p50 us, one in flight | $L_OFF ($(range <"$TMP/p50.off")) | $L_ON ($(range <"$TMP/p50.on")) | $(awk -v a="$L_ON" -v b="$L_OFF" 'BEGIN{printf "%.3f", a/b}') |"
echo "GetCluster calls counted OK by the metrics server: $calls (h2load sent $(( (H2_N + H2_LAT_N) * ROUNDS )))"
