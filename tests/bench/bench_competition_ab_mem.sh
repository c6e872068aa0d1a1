#!/usr/bin/env bash
# bench_competition_ab_mem.sh — RunCompetition A/B between two builds in
# one session with the peak memory of each
# clusterd: both loaded with the same N synthetic clusters, restarted so
# their peaks cover the runs only, one warm-up run each, then ROUNDS runs
# alternating (bench_competition_ab.sh plus memory). Usage:
# bench_competition_ab_mem.sh BUILD_BEFORE BUILD_AFTER [N] [ROUNDS]
set -euo pipefail
A=$1 B=$2 N=${3:-100000} ROUNDS=${4:-5}
TMP=$(mktemp -d /tmp/clusterd-abm-XXXXXX)
declare -A PID ADDR SAMP
trap 'for p in "${PID[@]}" "${SAMP[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$TMP"' EXIT
start() { # BUILD NAME
  local d="$TMP/$2"; mkdir -p "$d"; rm -f "$d/port"
  "$1/service/clusterd" --listen 127.0.0.1:0 --port-file "$d/port" \
    --data-dir "$d/data" --plugin-dir "$1/plugins/lib" --threads 2 \
    --log-level warn >/dev/null 2>>"$d/log" &
  PID[$2]=$!
  for _ in $(seq 200); do [ -s "$d/port" ] && break; sleep 0.05; done
  ADDR[$2]="127.0.0.1:$(cat "$d/port")"
}
stop() { kill -TERM "${PID[$1]}"; wait "${PID[$1]}" || true; }
sampler() { # NAME: peak RssAnon, RssShmem, RssAnon+RssShmem (kB) until TERM
  /usr/bin/python3 - "${PID[$1]}" "$TMP/$1/peak" <<'PY' &
import signal, sys, time
pid, out = sys.argv[1], sys.argv[2]
pk = [0, 0, 0]
stop = False
def h(*a):
    global stop; stop = True
signal.signal(signal.SIGTERM, h)
while not stop:
    try:
        f = dict(l.split(':', 1) for l in open('/proc/%s/status' % pid))
        a = int(f['RssAnon'].split()[0]); s = int(f['RssShmem'].split()[0])
        pk = [max(pk[0], a), max(pk[1], s), max(pk[2], a + s)]
    except Exception:
        break
    time.sleep(0.01)
open(out, 'w').write('%d %d %d\n' % tuple(pk))
PY
  SAMP[$1]=$!
}
competition() {
  /usr/bin/python3 - "$1" <<'PY'
import json, sys
crit = []
for i, (n, w) in enumerate([("revenue_cny", 30), ("rd_investment_cny", 25),
                            ("employment", 20), ("firms", 15),
                            ("innovation_centres", 10)]):
    crit.append({"id": "c%d_%s" % (i + 1, n), "plugin": "indicator",
                 "weight": float(w), "normalization": "NORMALIZATION_MIN_MAX",
                 "params": {"indicator": n, "year": "2021"}})
json.dump({"id": "bench", "title": "benchmark", "rounds": [
    {"name": "ranking", "criteria": crit, "selection": {"topN": 100}}]},
    open(sys.argv[1], "w"))
PY
}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); N=$N ROUNDS=$ROUNDS"
for x in a b; do
  bld=$A; [ $x = b ] && bld=$B
  start "$bld" $x
  "$bld/tests/bench/bench_competition" load "${ADDR[$x]}" 0 "$N" >/dev/null
  competition "$TMP/$x/c.json"
  "$bld/client/clusterctl" --server "${ADDR[$x]}" competition create "$TMP/$x/c.json" >/dev/null
  stop $x; start "$bld" $x; sampler $x
  w=$("$bld/tests/bench/bench_competition" run "${ADDR[$x]}" bench "$TMP/$x/top" | awk '{print $2}')
  echo "$x warm-up: $w s"
done
ra=() rb=()
for r in $(seq "$ROUNDS"); do
  ra+=("$("$A/tests/bench/bench_competition" run "${ADDR[a]}" bench "$TMP/a/top" | awk '{print $2}')")
  rb+=("$("$B/tests/bench/bench_competition" run "${ADDR[b]}" bench "$TMP/b/top" | awk '{print $2}')")
  echo "round $r: before ${ra[-1]} s, after ${rb[-1]} s"
done
cmp -s "$TMP/a/top" "$TMP/b/top" && same="identical top 100 files" || same="TOP 100 FILES DIFFER"
for x in a b; do
  hwm=$(awk '/VmHWM/ {print $2}' /proc/${PID[$x]}/status)
  kill -TERM "${SAMP[$x]}"; wait "${SAMP[$x]}" 2>/dev/null || true
  echo "$x: VmHWM $hwm kB; peak RssAnon/RssShmem/sum kB: $(cat "$TMP/$x/peak")"
done
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mn() { printf '%s\n' "$@" | sort -g | head -1; }
mx() { printf '%s\n' "$@" | sort -g | tail -1; }
ma=$(med "${ra[@]}") mb=$(med "${rb[@]}")
echo "median: before $ma s (min $(mn "${ra[@]}"), max $(mx "${ra[@]}")), after $mb s (min $(mn "${rb[@]}"), max $(mx "${rb[@]}")), ratio $(awk -v a="$ma" -v b="$mb" 'BEGIN {printf "%.2f", b/a}'); $same"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
