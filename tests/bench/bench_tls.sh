#!/usr/bin/env bash
# bench_tls.sh — the cost of transport security: GetCluster under h2load
# against two clusterd processes of the same build over copies of the same
# data directory, one plaintext (clusterd's own listener) called without a
# token, one with TLS (gRPC's listener; h2load speaks TLS 1.3 with ALPN h2)
# called with "authorization: Bearer TOKEN" and checking it against a
# tokens file (--auth-tokens). Rounds alternate which server
# goes first, so both see the same machine load; medians, spread and the
# ratio TLS / plaintext are printed, with the load average before the run.
# Certificates (EC P-256, like tls_pki.py's) are made with openssl here.
# Servers listen on free ports picked by the kernel, everything started
# here is stopped on exit.
#
# Usage: tests/bench/bench_tls.sh BUILD_DIR
# Environment: ROUNDS (11), H2_N (100000), THREADS (cores). Many short
# rounds: on a shared machine a load spike then spoils one pair, not the
# figure.
set -euo pipefail
BUILD=${1:?usage: bench_tls.sh BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
ROUNDS=${ROUNDS:-11}
H2_N=${H2_N:-100000}
THREADS=${THREADS:-$(nproc)}
CLUSTERD="$BUILD/service/clusterd"
CREATE="$BUILD/tests/bench/bench_create"
for b in "$CLUSTERD" "$CREATE"; do
  [ -x "$b" ] || { echo "bench_tls: $b is not built" >&2; exit 1; }
done
for t in h2load openssl; do
  command -v $t >/dev/null || { echo "bench_tls: $t missing" >&2; exit 1; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/clusterd-bench-tls.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

PORT=
start() { # NAME CMD... : starts clusterd, waits for its port file
  local name=$1 pf="$TMP/$1.port"; shift
  rm -f "$pf"
  "$@" --listen 127.0.0.1:0 --port-file "$pf" --threads "$THREADS" \
    --log-level warn --plugin-dir "" 2>"$TMP/$name.log" &
  PIDS+=($!)
  LASTPID=$!
  for _ in $(seq 200); do
    [ -s "$pf" ] && { PORT=$(tr -d '\n' <"$pf"); return 0; }
    kill -0 "$LASTPID" 2>/dev/null || break
    sleep 0.05
  done
  echo "bench_tls: $name did not start:" >&2
  cat "$TMP/$name.log" >&2
  exit 1
}
stop() { kill -TERM "$1"; wait "$1" || true; }
median() { sort -g | awk '{v[NR]=$1} END{ if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2 }'; }
spread() { sort -g | awk 'NR==1{lo=$1} {hi=$1} END{printf "%s..%s", lo, hi}'; }

# ------------------------------------------------------------ certificates
(
  cd "$TMP"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout ca.key -out ca.pem -days 2 -subj "/CN=bench CA" 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout server.key -out server.csr -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
    -CAcreateserial -out server.pem -days 2 -copy_extensions copy 2>/dev/null
  chmod 600 ca.key server.key
)

# -------------------------------------------------------------------- data
start load "$CLUSTERD" --data-dir "$TMP/plain-data"
timeout 30 "$CREATE" "127.0.0.1:$PORT" one bench-get-1 >/dev/null
stop "$LASTPID"; PIDS=()
cp -a "$TMP/plain-data" "$TMP/tls-data"

# The TLS server checks the token against a tokens file (SHA-256 and a
# constant-time comparison per call), as a deployment would.
TOKEN=$(openssl rand -hex 32)
printf '%s bench reader\n' "$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)" >"$TMP/tokens"
chmod 600 "$TMP/tokens"

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); server threads $THREADS"
start plain "$CLUSTERD" --data-dir "$TMP/plain-data"; PLAIN_PORT=$PORT; PLAIN_PID=$LASTPID
start tls "$CLUSTERD" --data-dir "$TMP/tls-data" \
  --tls-cert "$TMP/server.pem" --tls-key "$TMP/server.key" \
  --auth-tokens "$TMP/tokens"; TLS_PORT=$PORT; TLS_PID=$LASTPID
# CPU time a server used (user + system, clock ticks): with the client on
# the same cores, throughput counts the client's TLS work too; the
# server's CPU per call is its own cost alone.
TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# The pre-framed gRPC request: flag 0, 4-byte big-endian length, then
# GetClusterRequest{id = "bench-get-1"} (field 1, length-delimited).
python3 - "$TMP/get.req" <<'PY'
import struct, sys
ident = b"bench-get-1"
msg = b"\x0a" + bytes([len(ident)]) + ident
open(sys.argv[1], "wb").write(b"\x00" + struct.pack(">I", len(msg)) + msg)
PY
PATH_GET=/clusters.v1.ClusterRegistry/GetCluster
HDR=(-H 'content-type: application/grpc' -H 'te: trailers' -d "$TMP/get.req")
ARGS=(-n "$H2_N" -c 8 -m 16 -t 2)
echo "plaintext: h2load ${ARGS[*]} -H 'content-type: application/grpc' -H 'te: trailers' -d get.req http://127.0.0.1:PORT$PATH_GET"
echo "TLS:       h2load ${ARGS[*]} (same) -H 'authorization: Bearer <64 hex digits>' https://127.0.0.1:PORT$PATH_GET"

h2_rate() { # URL [extra h2load args] -> req/s; fails unless all succeeded
  local url=$1 out; shift
  out=$(timeout 300 h2load "${ARGS[@]}" "${HDR[@]}" "$@" "$url")
  echo "$out" | grep -q "succeeded, 0 failed, 0 errored" || {
    echo "bench_tls: h2load reported failures:" >&2; echo "$out" >&2; exit 1; }
  # A TLS run must have negotiated TLS and h2.
  case $url in https:*)
    echo "$out" | grep -q "^TLS Protocol: TLSv1.3" || {
      echo "bench_tls: h2load did not speak TLS 1.3:" >&2; echo "$out" >&2; exit 1; }
    echo "$out" | grep -q "^Application protocol: h2" || {
      echo "bench_tls: h2load did not negotiate h2:" >&2; echo "$out" >&2; exit 1; } ;;
  esac
  echo "$out" | awk '/^finished in/ {gsub(",","",$4); print $4}'
}
: >"$TMP/thr.plain"; : >"$TMP/thr.tls"; : >"$TMP/ratio"
: >"$TMP/cpu.plain"; : >"$TMP/cpu.tls"
for r in $(seq "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then order="plain tls"; else order="tls plain"; fi
  for who in $order; do
    if [ "$who" = plain ]; then pid=$PLAIN_PID; else pid=$TLS_PID; fi
    c0=$(cpu_ticks "$pid")
    if [ "$who" = plain ]; then
      t=$(h2_rate "http://127.0.0.1:$PLAIN_PORT$PATH_GET")
    else
      t=$(h2_rate "https://127.0.0.1:$TLS_PORT$PATH_GET" \
                  -H "authorization: Bearer $TOKEN")
    fi
    c1=$(cpu_ticks "$pid")
    us=$(awk -v d=$((c1 - c0)) -v hz="$TCK" -v n="$H2_N" 'BEGIN{printf "%.2f", d / hz * 1e6 / n}')
    echo "$t" >>"$TMP/thr.$who"; echo "$us" >>"$TMP/cpu.$who"
    echo "round $r $who: $t req/s, server CPU $us us/call"
  done
  awk -v a="$(tail -1 "$TMP/thr.tls")" -v b="$(tail -1 "$TMP/thr.plain")" \
    'BEGIN{printf "%.3f\n", a/b}' >>"$TMP/ratio"
done
P=$(median <"$TMP/thr.plain"); T=$(median <"$TMP/thr.tls")
echo
CP=$(median <"$TMP/cpu.plain"); CT=$(median <"$TMP/cpu.tls")
echo "| GetCluster, h2load -c 8 -m 16 -t 2, $H2_N calls, $ROUNDS rounds | median req/s | spread | server CPU us/call (median) |"
echo "|---|---:|---:|---:|"
echo "| plaintext, no token | $P | $(spread <"$TMP/thr.plain") | $CP |"
echo "| TLS 1.3 (ALPN h2), bearer token | $T | $(spread <"$TMP/thr.tls") | $CT |"
echo
# The median of the rounds' ratios resists a load spike that hits one
# server's turn better than the ratio of the medians does.
echo "TLS / plaintext: ratio of medians $(awk -v a="$T" -v b="$P" 'BEGIN{printf "%.2f", a/b}'); median of per-round ratios $(median <"$TMP/ratio"); per round $(tr '\n' ' ' <"$TMP/ratio")(target >= 0.8)"
echo "server CPU per call, TLS / plaintext: $(awk -v a="$CT" -v b="$CP" 'BEGIN{printf "%.2f", a/b}')"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
