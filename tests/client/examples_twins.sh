#!/bin/sh
# Every published table X.csv in deploy/examples has an import-ready twin
# X.clusters.csv, and the twin is what demo_report.py makes of the table
# today. Usage: examples_twins.sh PYTHON EXAMPLES_DIR
set -eu
PY=$1
EX=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
for f in "$EX"/*.csv; do
  case $f in
    *.clusters.csv) ;;
    *) if [ ! -f "${f%.csv}.clusters.csv" ]; then
         echo "$f: no import-ready ${f%.csv}.clusters.csv" >&2
         exit 1
       fi ;;
  esac
done
check() {
  "$PY" -B "$EX/demo_report.py" "$1" "$EX/$2.csv" "$TMP/$2.clusters.csv"
  if ! cmp "$TMP/$2.clusters.csv" "$EX/$2.clusters.csv"; then
    echo "$EX/$2.clusters.csv differs from: demo_report.py $1 $2.csv" >&2
    exit 1
  fi
}
check gii-csv gii2023_st_clusters_top17
check miit-csv miit2021_advanced_manufacturing_clusters
echo "examples_twins: ok"
