#!/usr/bin/env bash
# The demo behind `./deploy/run.sh --demo`: starts clusterd on a fresh LMDB
# data directory (var/demo), and through clusterctl
#   1. loads the real WIPO GII 2023 sample, shows the registry, the scoring
#      plugins and health;
#   2. runs the GII method on the sample as a competition and prints the
#      computed ranks next to the published ones (it fails if one differs);
#   3. runs a two-round, national-style competition (quantitative
#      preliminary, expert final with provincial quotas and industry
#      leaders) over the 25 real 2021 national advanced manufacturing
#      clusters plus 45 illustrative candidates, with indicator values and
#      expert scores that are SYNTHETIC (generated with a fixed seed by
#      deploy/examples/gen_national_candidates.py), and prints the rounds,
#      the result and its summary;
# then stops the server. Idempotent; exit status 0 on success.
# Usage: deploy/demo.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD="${1:?usage: demo.sh BUILD_DIR}"
BUILD=$(cd "$BUILD" && pwd)
CTL="$BUILD/client/clusterctl"
EX="$ROOT/deploy/examples"
PY=/usr/bin/python3
DATA="$ROOT/var/demo"
WORK=$(mktemp -d)
SERVER_PID=""

cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

rm -rf "$DATA"
mkdir -p "$ROOT/var"
"$BUILD/service/clusterd" --listen 127.0.0.1:0 --port-file "$WORK/port" \
  --data-dir "$DATA" --plugin-dir "$BUILD/plugins/lib" 2>"$WORK/clusterd.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do
  [ -s "$WORK/port" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
if [ ! -s "$WORK/port" ]; then
  echo "demo: clusterd did not start:" >&2
  cat "$WORK/clusterd.log" >&2
  exit 1
fi
SERVER="127.0.0.1:$(cat "$WORK/port")"
ctl() { "$CTL" --server "$SERVER" "$@"; }
echo "== clusterd serving on $SERVER, data in $DATA"

# ------------------------------------------------------------ the registry
echo "== importing the WIPO GII 2023 sample (ranks 1-17, real published data)"
ctl cluster import "$EX/gii2023_st_clusters_top17.clusters.csv"
echo
echo "== the registry"
ctl cluster list
echo
echo "== clusters of economy CN (secondary index; CN/HK counts as CN)"
ctl cluster list --economy CN
echo
echo "== scoring plugins"
ctl plugin list
echo
echo "== health"
ctl health

echo
echo "== the GII method as a competition ($EX/gii2023_competition.json)"
ctl competition create "$EX/gii2023_competition.json"
ctl competition run gii-2023 --json >"$WORK/gii-run.json"
GII_RUN=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' \
  "$WORK/gii-run.json")
echo
echo "== run $GII_RUN as clusterctl shows it (clusterctl run get $GII_RUN)"
ctl run get "$GII_RUN"
echo
echo "== computed against published ranks"
"$PY" "$EX/demo_report.py" gii "$WORK/gii-run.json" \
  "$EX/gii2023_st_clusters_top17.csv"

# ------------------------------------------ the national-style competition
cat <<'TXT'

########################################################################
#  National-style competition on SYNTHETIC data                        #
#  Cluster identities: the 25 real 2021 national advanced              #
#  manufacturing clusters + 45 illustrative candidates (not the real   #
#  entrants). Every indicator value and every expert score below is    #
#  SYNTHETIC, generated with a fixed seed; none is a real figure.      #
########################################################################
TXT
echo
echo "== generating the SYNTHETIC candidate data"
"$PY" "$EX/gen_national_candidates.py" "$WORK/national.jsonl"
echo "sha256 $(sha256sum "$WORK/national.jsonl" | cut -d' ' -f1) (the same on every run)"
ctl cluster import "$WORK/national.jsonl"
echo
echo "== one candidate: SYNTHETIC indicators for 2019-2021 and SYNTHETIC expert"
echo "   assessments (the judge from the cluster's own province is recused)"
ctl cluster get miit21-wuxi-iot
echo
echo "== the competition ($EX/national2021_competition.json)"
ctl competition create "$EX/national2021_competition.json" >/dev/null
ctl competition get national-2021-demo
# The preliminary round alone, as its own competition, to show every
# candidate's round-1 standing (the full run keeps each cluster's last round).
"$PY" "$EX/demo_report.py" prelim-def "$EX/national2021_competition.json" \
  "$WORK/prelim.json"
ctl competition create "$WORK/prelim.json" >/dev/null
ctl competition run national-2021-demo-prelim --json >"$WORK/prelim-run.json"
# The full run, with a weight-sensitivity analysis: 200 samples, every
# weight perturbed by up to +/-20 %, seed 7.
ctl competition run national-2021-demo --samples 200 --jitter 20 --seed 7 \
  --json >"$WORK/national-run.json"
echo
"$PY" "$EX/demo_report.py" national "$WORK/prelim-run.json" \
  "$WORK/national-run.json" "$WORK/national.jsonl" \
  "$EX/national2021_competition.json" \
  "$EX/miit2021_advanced_manufacturing_clusters.csv"
echo
echo "== stored runs (clusterctl run list)"
ctl run list
echo
echo "== stopping clusterd"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
SERVER_PID=""
echo "demo: done"
