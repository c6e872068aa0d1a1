#!/usr/bin/env bash
# Installs what is missing, builds with ASan + UBSan and runs every test.
# A full run (no arguments) also runs the valgrind tests in a plain build,
# every test again under ThreadSanitizer, and each libFuzzer target for a
# bounded time (CLUSTERD_FUZZ_SECONDS, default 20).
# Usage: ./deploy/test.sh [ctest arguments...]   e.g. -R store
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD="${CLUSTERD_TEST_BUILD:-$ROOT/build/asan}"

./deploy/install-deps.sh

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DCLUSTERD_SANITIZE=ON \
      -DCLUSTERD_TESTS=ON -DCLUSTERD_BENCH=ON >/dev/null
cmake --build "$BUILD" -j "$(nproc)"

# Valgrind cannot run sanitized binaries: a plain build runs the valgrind
# tests first (clusterd under memcheck, the quick store tests). Skipped when
# ctest arguments narrow the run.
if [ $# -eq 0 ]; then
  PLAIN="${CLUSTERD_PLAIN_BUILD:-$ROOT/build/plain}"
  cmake -S "$ROOT" -B "$PLAIN" -DCMAKE_BUILD_TYPE=Debug -DCLUSTERD_SANITIZE=OFF \
        -DCLUSTERD_TESTS=ON -DCLUSTERD_BENCH=OFF >/dev/null
  cmake --build "$PLAIN" -j "$(nproc)"
  (cd "$PLAIN" && ctest -V --output-on-failure -j "$(nproc)" --timeout 900 \
        -R valgrind)
fi

# ThreadSanitizer in a third build, for a full run only. Every test but
# proto_python (pure Python, none of our C): the cmocka tests, and the
# Python-driven ones, which matter most here since they drive the real,
# multi-threaded clusterd (completion-queue workers, the commit writer,
# run workers). No benchmarks: they are not tests. Nor deploy_k8s and
# deploy_container, which do not use this build (manifests; an image built
# from the sources), nor the report's browser checks on their fixture and
# on the demo's reports (a browser reading HTML files, none of our C): the
# sanitized run below has them. tests/tsan.supp says
# why gRPC's own interceptor calls are ignored. service_srv_commit then
# runs 20 times in a row: its writer-thread timing once made it flaky.
if [ $# -eq 0 ]; then
  TSAN="${CLUSTERD_TSAN_BUILD:-$ROOT/build/tsan}"
  time (
    cmake -S "$ROOT" -B "$TSAN" -DCMAKE_BUILD_TYPE=Debug \
          -DCLUSTERD_SANITIZE=thread -DCLUSTERD_TESTS=ON \
          -DCLUSTERD_BENCH=OFF >/dev/null
    cmake --build "$TSAN" -j "$(nproc)"
    cd "$TSAN"
    export TSAN_OPTIONS="suppressions=$ROOT/tests/tsan.supp:halt_on_error=1:second_deadlock_stack=1"
    ctest -V --output-on-failure -j "$(nproc)" --timeout 600 \
          -E '^(proto_(python|buf_lint)|deploy_(k8s|container)|client_report_(browser|chromium)_(fixture|negative)|client_report_demo)$'
    ctest --output-on-failure --timeout 600 --repeat until-fail:20 \
          -R '^service_srv_commit$'
  )
fi

# libFuzzer targets (tests/fuzz), built with clang in a fourth tree and run
# for a bounded time each from their seed corpora; full runs only.
if [ $# -eq 0 ]; then
  FUZZ="${CLUSTERD_FUZZ_BUILD:-$ROOT/build/fuzz}"
  CC=clang cmake -S "$ROOT" -B "$FUZZ" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCLUSTERD_FUZZ=ON -DCLUSTERD_TESTS=OFF -DCLUSTERD_BENCH=OFF >/dev/null
  cmake --build "$FUZZ" -j "$(nproc)" --target fuzz_rec_diff \
        fuzz_json_input fuzz_csv_input fuzz_page_token fuzz_refl_answer
  "$ROOT/tests/fuzz/run_fuzz.sh" "$FUZZ" "${CLUSTERD_FUZZ_SECONDS:-20}"
fi

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# Every test, sanitized. -V: each test's own closing lines (cmocka's PASSED
# counts) show what ran.
cd "$BUILD"
ctest -V --output-on-failure -j "$(nproc)" --timeout 600 "$@"
