#!/usr/bin/env bash
# Builds the benchmarks in a Release tree and runs them. Figures go to
# stdout; docs/PERFORMANCE.md records them with this command.
# Usage: ./deploy/bench.sh [store|service|tls|coherence|competition|isolation|backup|metrics|standings|report|plugins] [extra args...]
#   store   [clusters] [gets] [rounds]   tests/bench/bench_store.c
#   service                              tests/bench/bench_service.sh (GetCluster
#           under h2load against an echo server, ImportClusters, concurrent
#           CreateCluster and a restart check; settings via its environment)
#   tls                                  tests/bench/bench_tls.sh (GetCluster
#           under h2load over TLS with a bearer token against plaintext
#           without one, alternating rounds; settings via its environment)
#   competition                          tests/bench/bench_competition.sh
#           (RunCompetition over 100,000 and 1,000,000 clusters against a raw
#           LMDB scan, peak memory, and pandas over a CSV export; settings
#           via its environment)
#   isolation                            tests/bench/bench_isolation.sh
#           (the same clusterd started alternately with --plugin-isolation
#           process and none: RunCompetition over 1,000,000 clusters, peak
#           memory of clusterd and its plugin workers, Evaluate and
#           GetCluster latency at one call in flight; settings via its
#           environment)
#   backup                               tests/bench/bench_backup.sh (N clusters,
#           default 1,000,000: clusterctl admin backup and clusterd --restore
#           timed, MB/s and s per GB; writes with and without a backup
#           running; a read-only replica's start; settings via its
#           environment)
#   standings [N] [rounds] [page_size]  tests/bench/bench_standings.c (every
#           standing of an N-cluster run, default 1,000,000, through
#           ListStandings and the C client against an in-process LMDB scan
#           and decode of the same chunks; the data directory is made once
#           under build/bench and kept)
#   report                               tests/bench/bench_report.sh
#           (clusterctl run report --top 100 of a 1,000,000-cluster run,
#           default, and of a 100-cluster one: wall and CPU time, file size,
#           against reading the same top 100 with clusterctl run standings;
#           instructions under callgrind; settings via its environment)
#   coherence [N] [K] [rounds]           tests/bench/bench_coherence.c (the
#           coherence of one round, engine_coherence, on N synthetic
#           clusters x K criteria, default 1,000,000 x 5, median of 5)
#   plugins [N] [rounds] [only]          tests/bench/bench_plugins.c (every
#           mcda method and promethee's usual, linear, vshape and mixed
#           against topsis in process on N synthetic clusters x 5
#           indicators, default 1,000,000, medians of 5 rounds, the load
#           average before each, the ratio to topsis and the 3x target;
#           `only` keeps the configurations whose name contains it);
#           "plugins gaussian N" times the O(N^2) gaussian preference on N
#           clusters
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD="$ROOT/build/bench"
./deploy/install-deps.sh
# Warnings are not errors here: a warning that only an optimising build
# raises must not keep the benchmarks from building (the test builds keep
# -Werror).
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCLUSTERD_TESTS=OFF \
      -DCLUSTERD_BENCH=ON >/dev/null
which="${1:-store}"
shift || true
case "$which" in
  store)
    cmake --build "$BUILD" -j "$(nproc)" --target bench_store
    "$BUILD/tests/bench/bench_store" "$@" ;;
  service)
    cmake --build "$BUILD" -j "$(nproc)" --target clusterd bench_echo_server \
          bench_import bench_create
    # clusterctl is built for completeness; the service benchmarks drive
    # clusterd with the C client and do not need it.
    cmake --build "$BUILD" -j "$(nproc)" --target clusterctl ||
      echo "bench.sh: clusterctl did not build; the benchmarks go on without it" >&2
    "$ROOT/tests/bench/bench_service.sh" "$BUILD" "$@" ;;
  tls)
    cmake --build "$BUILD" -j "$(nproc)" --target clusterd bench_create
    "$ROOT/tests/bench/bench_tls.sh" "$BUILD" "$@" ;;
  coherence)
    cmake --build "$BUILD" -j "$(nproc)" --target bench_coherence
    "$BUILD/tests/bench/bench_coherence" "$@" ;;
  competition)
    cmake --build "$BUILD" -j "$(nproc)" --target clusterd clusterctl \
          clusterd_plugins bench_scan bench_competition
    "$ROOT/tests/bench/bench_competition.sh" "$BUILD" "$@" ;;
  isolation)
    cmake --build "$BUILD" -j "$(nproc)" --target clusterd clusterd-plugin-host \
          clusterctl clusterd_plugins bench_competition bench_isolation
    BENCH_COMMAND="./deploy/bench.sh isolation $*" \
      "$ROOT/tests/bench/bench_isolation.sh" "$BUILD" "$@" ;;
  backup)
    cmake --build "$BUILD" -j "$(nproc)" --target clusterd clusterctl \
          bench_competition bench_create
    echo "date: $(date -u +%FT%TZ) commit: $(git rev-parse --short HEAD)" \
         "command: ./deploy/bench.sh backup $*"
    "$ROOT/tests/bench/bench_backup.sh" "$BUILD" "$@" ;;
  metrics)
    cmake --build "$BUILD" -j "$(nproc)" --target clusterd bench_create
    echo "date: $(date -u +%FT%TZ) commit: $(git rev-parse --short HEAD)" \
         "command: ./deploy/bench.sh metrics $*"
    "$ROOT/tests/bench/bench_metrics.sh" "$BUILD" "$@" ;;
  standings)
    cmake --build "$BUILD" -j "$(nproc)" --target clusterd bench_standings
    n="${1:-1000000}"
    data="$BUILD/standings-$n"
    [ -d "$data" ] || "$BUILD/tests/bench/bench_standings" load "$data" "$n"
    echo "date: $(date -u +%FT%TZ) commit: $(git rev-parse --short HEAD)" \
         "command: ./deploy/bench.sh standings $*"
    "$BUILD/tests/bench/bench_standings" run "$BUILD/service/clusterd" \
      "$data" "$n" "${2:-5}" "${3:-10000}" ;;
  report)
    cmake --build "$BUILD" -j "$(nproc)" --target clusterd clusterctl \
          clusterd_plugins bench_competition
    echo "date: $(date -u +%FT%TZ) commit: $(git rev-parse --short HEAD)" \
         "command: ./deploy/bench.sh report $*"
    "$ROOT/tests/bench/bench_report.sh" "$BUILD" "$@" ;;
  plugins)
    cmake --build "$BUILD" -j "$(nproc)" --target clusterd_plugins bench_plugins
    echo "date: $(date -u +%FT%TZ) commit: $(git rev-parse --short HEAD)" \
         "command: ./deploy/bench.sh plugins $*"
    "$BUILD/tests/bench/bench_plugins" "$@" ;;
  *)
    echo "bench.sh: unknown benchmark \"$which\" (known: store, service, tls, competition, isolation, backup, metrics, standings, report, plugins)" >&2
    exit 2 ;;
esac
