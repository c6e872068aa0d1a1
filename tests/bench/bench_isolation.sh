#!/usr/bin/env bash
# bench_isolation.sh — what running plugins out of process costs, measured
# in one run against the in-process path as the baseline: the same build of
# clusterd on the same data directory, started alternately with
# `--plugin-isolation process` and `--plugin-isolation none`.
#   1. RunCompetition over LARGE clusters (the benchmark competition of
#      bench_competition.sh: one round, 5 criteria with the `indicator`
#      plugin, MIN_MAX, weighted sum, top 100): per round each mode's server
#      is started, makes three runs and is stopped; the second is timed
#      (wall time, and the CPU time of clusterd and its workers from
#      /proc/PID/stat); the order of the modes alternates between rounds.
#      Both modes must give the same top 100.
#   2. Peak memory: the first run after each start and the third (the
#      steady state: a run after a run) go under bench_tree_mem.py, which
#      samples clusterd and every descendant (the clusterd-plugin-host
#      workers) every SAMPLE_MS: the sum of their VmHWM, the peak of their
#      summed Pss (shared pages split between the processes that map them)
#      and of their summed RSS (shared pages counted in each).
#   3. Evaluate latency, one call in flight (bench_isolation eval): an
#      inline definition of two rounds of 5 criteria each (indicator,
#      topsis, growth, st_output, specialization; the first selects the top
#      50) over a registry of EVAL_CLUSTERS clusters, EVAL_WARM untimed then
#      EVAL_N timed calls; GetCluster latency on the same server as a
#      reference; CPU time of clusterd and its workers per Evaluate.
# Instruction counts are not reported: this machine's perf has no
# `instructions` event (a VM without a PMU).
#
# Usage: tests/bench/bench_isolation.sh BUILD_DIR
# Environment: LARGE (1000000), ROUNDS (5), EVAL_CLUSTERS (100),
# EVAL_ROUNDS (5), EVAL_WARM (200), EVAL_N (2000), THREADS (cores),
# SAMPLE_MS (50).
set -euo pipefail
BUILD=${1:?usage: bench_isolation.sh BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
LARGE=${LARGE:-1000000}
ROUNDS=${ROUNDS:-5}
EVAL_CLUSTERS=${EVAL_CLUSTERS:-100}
EVAL_ROUNDS=${EVAL_ROUNDS:-5}
EVAL_WARM=${EVAL_WARM:-200}
EVAL_N=${EVAL_N:-2000}
THREADS=${THREADS:-$(nproc)}
SAMPLE_MS=${SAMPLE_MS:-50}
PY=/usr/bin/python3
CLUSTERD="$BUILD/service/clusterd"
CTL="$BUILD/client/clusterctl"
COMP="$BUILD/tests/bench/bench_competition"
ISO="$BUILD/tests/bench/bench_isolation"
HOST="$BUILD/service/clusterd-plugin-host"
PLUGINS="$BUILD/plugins/lib"
for b in "$CLUSTERD" "$CTL" "$COMP" "$ISO" "$HOST"; do
  [ -x "$b" ] || { echo "bench_isolation: $b is not built" >&2; exit 1; }
done
for p in indicator topsis growth st_output specialization; do
  [ -e "$PLUGINS/$p.so" ] || { echo "bench_isolation: no $p plugin in $PLUGINS" >&2; exit 1; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/clusterd-bench-iso.XXXXXX")
PID="" SAMPLER=""
cleanup() {
  if [ -n "$SAMPLER" ]; then kill "$SAMPLER" 2>/dev/null || true; fi
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

ADDR=""
start_server() { # MODE DATA_DIR
  rm -f "$TMP/port"
  "$CLUSTERD" --listen 127.0.0.1:0 --port-file "$TMP/port" --data-dir "$2" \
    --plugin-dir "$PLUGINS" --plugin-isolation "$1" --threads "$THREADS" \
    --log-level warn 2>>"$TMP/clusterd.log" &
  PID=$!
  for _ in $(seq 400); do
    [ -s "$TMP/port" ] && { ADDR="127.0.0.1:$(tr -d '\n' <"$TMP/port")"; return 0; }
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "bench_isolation: clusterd did not start:" >&2
  cat "$TMP/clusterd.log" >&2
  exit 1
}
stop_server() {
  kill -TERM "$PID"
  local rc=0
  wait "$PID" || rc=$?
  PID=""
  [ "$rc" = 0 ] || { echo "bench_isolation: clusterd exited with $rc:" >&2; tail -20 "$TMP/clusterd.log" >&2; exit 1; }
}
# tree_pids PID: PID and its descendants.
tree_pids() {
  local p=$1 k
  echo "$p"
  for k in $(cat /proc/"$p"/task/*/children 2>/dev/null); do tree_pids "$k"; done
}
# tree_cpu_ms PID: utime + stime of PID and its descendants, in ms.
tree_cpu_ms() {
  local tck; tck=$(getconf CLK_TCK)
  tree_pids "$1" | while read -r p; do
    # The fields after the command name (which may hold spaces).
    sed 's/^.*) //' /proc/"$p"/stat 2>/dev/null | awk '{print $12 + $13}'
  done | awk -v t="$tck" '{s += $1} END {printf "%.0f\n", s * 1000 / t}'
}
median() { sort -g | awk '{v[NR]=$1} END{ if (NR%2) printf "%.4f\n", v[(NR+1)/2]; else printf "%.4f\n", (v[NR/2]+v[NR/2+1])/2 }'; }
minmax() { sort -g | awk 'NR==1{a=$1} {b=$1} END{printf "%s-%s\n", a, b}'; }
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
yes_if() { awk "BEGIN { exit !($*) }" && echo met || echo "NOT met"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
kv() { tr ' ' '\n' <"$1" | awk -F= -v k="$2" '$1 == k {print $2}'; }

# The RunCompetition definition of bench_competition.sh.
"$PY" - "$TMP/competition.json" <<'PY'
import json, sys
crit = []
for i, (n, w) in enumerate([("revenue_cny", 30), ("rd_investment_cny", 25),
                            ("employment", 20), ("firms", 15),
                            ("innovation_centres", 10)]):
    crit.append({"id": "c%d_%s" % (i + 1, n), "plugin": "indicator",
                 "weight": float(w), "normalization": "NORMALIZATION_MIN_MAX",
                 "params": {"indicator": n, "year": "2021"}})
json.dump({"id": "bench", "title": "benchmark: 5 criteria, min-max, weighted sum, top 100",
           "rounds": [{"name": "ranking", "criteria": crit,
                       "selection": {"topN": 100}}]},
          open(sys.argv[1], "w"))
PY
# The Evaluate definition: two rounds of five criteria over the synthetic
# indicators (revenue_cny, rd_investment_cny, employment, firms,
# innovation_centres; 2020 and 2021).
cat >"$TMP/evaluate.json" <<'JSON'
{
  "id": "bench-eval",
  "title": "benchmark: 2 rounds x 5 criteria",
  "rounds": [
    {
      "name": "preliminary",
      "criteria": [
        {"id": "scale", "plugin": "indicator", "weight": 30, "normalization": "NORMALIZATION_MIN_MAX",
         "params": {"indicator": "revenue_cny", "year": "2021"}},
        {"id": "innovation", "plugin": "topsis", "weight": 25, "normalization": "NORMALIZATION_MIN_MAX",
         "params": {"indicators": "rd_investment_cny,innovation_centres", "weights": "0.6,0.4", "year": "2021"}},
        {"id": "growth", "plugin": "growth", "weight": 20, "normalization": "NORMALIZATION_RANK",
         "params": {"indicator": "revenue_cny", "from": "2020", "to": "2021", "mode": "percent"}},
        {"id": "output", "plugin": "st_output", "weight": 15, "normalization": "NORMALIZATION_SHARE",
         "params": {"indicator_a": "firms", "indicator_b": "innovation_centres", "year": "2021"}},
        {"id": "specialised", "plugin": "specialization", "weight": 10, "normalization": "NORMALIZATION_Z_SCORE",
         "params": {"employment": "innovation_centres", "total_employment": "employment",
                    "reference_share": "0.001", "mode": "lq", "year": "2021"}}
      ],
      "missing": "MISSING_POLICY_SCORE_ZERO",
      "selection": {"topN": 50}
    },
    {
      "name": "final",
      "criteria": [
        {"id": "firms", "plugin": "indicator", "weight": 30, "normalization": "NORMALIZATION_MIN_MAX",
         "params": {"indicator": "firms", "year": "2021"}},
        {"id": "jobs", "plugin": "indicator", "weight": 25, "normalization": "NORMALIZATION_Z_SCORE",
         "params": {"indicator": "employment", "from": "2020", "to": "2021"}},
        {"id": "rd_growth", "plugin": "growth", "weight": 20, "normalization": "NORMALIZATION_RANK",
         "params": {"indicator": "rd_investment_cny", "from": "2020", "to": "2021", "mode": "cagr"}},
        {"id": "balance", "plugin": "topsis", "weight": 15, "normalization": "NORMALIZATION_MIN_MAX",
         "params": {"indicators": "revenue_cny,employment,firms", "weights": "0.5,0.3,0.2",
                    "directions": "benefit,cost,benefit", "year": "2021"}},
        {"id": "st", "plugin": "st_output", "weight": 10, "normalization": "NORMALIZATION_SHARE",
         "params": {"indicator_a": "rd_investment_cny", "indicator_b": "revenue_cny", "from": "2020", "to": "2021"}}
      ],
      "missing": "MISSING_POLICY_SCORE_ZERO",
      "selection": {"topN": 10}
    }
  ]
}
JSON

echo "== clusterd plugin isolation benchmark"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "command: ${BENCH_COMMAND:-$0 $*}"
echo "commit: $(git -C "$HERE" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$HERE" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
echo "machine: $(nproc) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo), kernel $(uname -r)"
echo "settings: LARGE=$LARGE ROUNDS=$ROUNDS EVAL_CLUSTERS=$EVAL_CLUSTERS EVAL_ROUNDS=$EVAL_ROUNDS EVAL_WARM=$EVAL_WARM EVAL_N=$EVAL_N THREADS=$THREADS SAMPLE_MS=$SAMPLE_MS"
echo "load average at the start: $(loadavg)"

DL="$TMP/large" DS="$TMP/small"
echo
echo "== loading $LARGE clusters (and $EVAL_CLUSTERS into a second registry)"
start_server none "$DL"
timeout 1800 "$COMP" load "$ADDR" 0 "$LARGE" | sed 's/^/  /'
"$CTL" --server "$ADDR" competition create "$TMP/competition.json" >/dev/null
stop_server
start_server none "$DS"
timeout 600 "$COMP" load "$ADDR" 0 "$EVAL_CLUSTERS" | sed 's/^/  /'
stop_server
echo "  data directory: $(du -sm "$DL" | cut -f1) MB"

echo
echo "== RunCompetition over $LARGE clusters: per round and mode, start; run 1 (first after start) with memory sampled every $SAMPLE_MS ms; run 2 timed, no sampler; run 3 with memory sampled again (steady state); stop"
: >"$TMP/run.process"; : >"$TMP/run.none"; : >"$TMP/cpu.process"; : >"$TMP/cpu.none"
# memrun MODE TAG: one run of the competition under the memory sampler;
# appends its figures to $TMP/<key>.<tag>.<mode>; prints a summary.
memrun() {
  "$PY" "$HERE/bench_tree_mem.py" "$PID" "$TMP/mem" "$SAMPLE_MS" &
  SAMPLER=$!
  local t
  t=$(timeout 900 "$COMP" run "$ADDR" bench "$TMP/top.$1" | awk '{print $2}')
  kill -TERM "$SAMPLER"; wait "$SAMPLER" || true; SAMPLER=""
  local k
  for k in hwm_sum hwm_root hwm_others pss_peak rss_peak anon_peak shmem_peak file_peak; do
    kv "$TMP/mem" "$k" >>"$TMP/$k.$2.$1"
  done
  m() { echo $(( $(kv "$TMP/mem" "$1") / 1024 )); }
  echo "$2 run $t s: VmHWM server $(m hwm_root) MB + workers $(m hwm_others) MB ($(kv "$TMP/mem" procs) seen) = $(m hwm_sum) MB;" \
       "peak summed Pss $(m pss_peak) MB, RSS $(m rss_peak) MB (anon $(m anon_peak), shmem $(m shmem_peak), file $(m file_peak));" \
       "$(kv "$TMP/mem" samples) samples, sampler CPU $(kv "$TMP/mem" cpu_ms) ms"
}
for r in $(seq "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then order="process none"; else order="none process"; fi
  for mode in $order; do
    la=$(loadavg)
    start_server "$mode" "$DL"
    m1=$(memrun "$mode" first)
    c0=$(tree_cpu_ms "$PID")
    t=$(timeout 900 "$COMP" run "$ADDR" bench "$TMP/top.$mode" | awk '{print $2}')
    c1=$(tree_cpu_ms "$PID")
    m3=$(memrun "$mode" steady)
    stop_server
    echo "$t" >>"$TMP/run.$mode"
    echo "$((c1 - c0))" >>"$TMP/cpu.$mode"
    echo "  round $r $mode (load $la): timed run $t s, CPU of clusterd+workers $((c1 - c0)) ms"
    echo "    $m1"
    echo "    $m3"
  done
  cmp -s "$TMP/top.process" "$TMP/top.none" ||
    { echo "bench_isolation: the two modes' top 100 differ" >&2; exit 1; }
done
echo "  top 100: the same ids, places and scores in both modes"

echo
echo "== Evaluate over $EVAL_CLUSTERS clusters (2 rounds x 5 criteria, top 50 then top 10), one call in flight: $EVAL_WARM untimed, then $EVAL_N timed; then GetCluster, the same"
for mode in process none; do : >"$TMP/e50.$mode"; : >"$TMP/e90.$mode"; : >"$TMP/e99.$mode"; : >"$TMP/g50.$mode"; : >"$TMP/ecpu.$mode"; done
for r in $(seq "$EVAL_ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then order="process none"; else order="none process"; fi
  for mode in $order; do
    la=$(loadavg)
    start_server "$mode" "$DS"
    # The warm-up calls start the workers; CPU is counted over the timed ones.
    "$ISO" eval "$ADDR" "$TMP/evaluate.json" "$EVAL_WARM" 1 "$TMP/etop.$mode" >/dev/null
    c0=$(tree_cpu_ms "$PID")
    e=$("$ISO" eval "$ADDR" "$TMP/evaluate.json" 0 "$EVAL_N" "$TMP/etop.$mode")
    c1=$(tree_cpu_ms "$PID")
    g=$("$ISO" get "$ADDR" bc-0000000 "$EVAL_WARM" "$EVAL_N")
    nw=$(( $(tree_pids "$PID" | wc -l) - 1 ))
    stop_server
    echo "$e" | sed 's/.* p50 \([0-9]*\) us.*/\1/' >>"$TMP/e50.$mode"
    echo "$e" | sed 's/.* p90 \([0-9]*\) us.*/\1/' >>"$TMP/e90.$mode"
    echo "$e" | sed 's/.* p99 \([0-9]*\) us.*/\1/' >>"$TMP/e99.$mode"
    echo "$g" | sed 's/.* p50 \([0-9]*\) us.*/\1/' >>"$TMP/g50.$mode"
    cpu=$(awk -v a="$c0" -v b="$c1" -v n="$EVAL_N" 'BEGIN {printf "%.0f", (b - a) * 1000 / n}')
    echo "$cpu" >>"$TMP/ecpu.$mode"
    echo "  round $r $mode (load $la; $nw worker processes): $e; CPU of clusterd+workers $cpu us per Evaluate"
    echo "  round $r $mode: $g"
  done
  cmp -s "$TMP/etop.process" "$TMP/etop.none" ||
    { echo "bench_isolation: the two modes' Evaluate results differ" >&2; exit 1; }
done
echo "  Evaluate: the same ranked ids and scores in both modes"

echo
echo "== summary (medians; min-max in brackets)"
rp=$(median <"$TMP/run.process") rn=$(median <"$TMP/run.none")
echo "RunCompetition $LARGE x 5 criteria: process $rp s [$(minmax <"$TMP/run.process")], none $rn s [$(minmax <"$TMP/run.none")], ratio $(ratio "$rp" "$rn") (target <= 1.25: $(yes_if "$rp / $rn <= 1.25"))"
cp=$(median <"$TMP/cpu.process" | awk '{printf "%.0f", $1}') cn=$(median <"$TMP/cpu.none" | awk '{printf "%.0f", $1}')
echo "  CPU time of clusterd+workers per run: process $cp ms [$(minmax <"$TMP/cpu.process")], none $cn ms [$(minmax <"$TMP/cpu.none")], ratio $(ratio "$cp" "$cn")"
mb() { awk '{printf "%.0f\n", $1 / 1024}' "$1" | median | awk '{printf "%.0f", $1}'; }
mbr() { awk '{printf "%.0f\n", $1 / 1024}' "$1" | minmax; }
for tag in first steady; do
  for mode in process none; do
    echo "memory, $tag run, $mode: sum of VmHWM $(mb "$TMP/hwm_sum.$tag.$mode") MB [$(mbr "$TMP/hwm_sum.$tag.$mode")] (server $(mb "$TMP/hwm_root.$tag.$mode"), workers $(mb "$TMP/hwm_others.$tag.$mode"));" \
         "peak summed Pss $(mb "$TMP/pss_peak.$tag.$mode") MB [$(mbr "$TMP/pss_peak.$tag.$mode")]; peak summed RSS $(mb "$TMP/rss_peak.$tag.$mode") MB; peak shmem $(mb "$TMP/shmem_peak.$tag.$mode") MB"
  done
done
h=$(mb "$TMP/hwm_sum.steady.process") p=$(mb "$TMP/pss_peak.steady.process") p1=$(mb "$TMP/pss_peak.first.process") hn=$(mb "$TMP/hwm_root.steady.none")
echo "peak memory, process: sum of VmHWM $h MB (target <= 512 MB: $(yes_if "$h <= 512")); peak summed Pss $p MB after a previous run, $p1 MB on the first run after start (target <= 512 MB: $(yes_if "$p <= 512") / $(yes_if "$p1 <= 512")); in-process VmHWM $hn MB ($(yes_if "$hn <= 512"))"
for m in e50 e90 e99 g50 ecpu; do
  eval "${m}p=\$(median <\"\$TMP/$m.process\" | awk '{printf \"%.0f\", \$1}')"
  eval "${m}n=\$(median <\"\$TMP/$m.none\" | awk '{printf \"%.0f\", \$1}')"
done
echo "Evaluate $EVAL_CLUSTERS x 5 x 2 rounds, us: p50 process $e50p [$(minmax <"$TMP/e50.process")] none $e50n [$(minmax <"$TMP/e50.none")] ratio $(ratio "$e50p" "$e50n") (target <= 1.25: $(yes_if "$e50p / $e50n <= 1.25"))"
echo "  p90 process $e90p [$(minmax <"$TMP/e90.process")] none $e90n [$(minmax <"$TMP/e90.none")] ratio $(ratio "$e90p" "$e90n"); p99 process $e99p [$(minmax <"$TMP/e99.process")] none $e99n [$(minmax <"$TMP/e99.none")] ratio $(ratio "$e99p" "$e99n")"
echo "  CPU of clusterd+workers per Evaluate: process $ecpup us, none $ecpun us"
echo "GetCluster p50 us (reference, same servers): process $g50p [$(minmax <"$TMP/g50.process")], none $g50n [$(minmax <"$TMP/g50.none")]"
echo "load average at the end: $(loadavg)"
