#!/usr/bin/env bash
# Installs the Debian packages clusterd needs to build, test and run,
# only those that are missing. Idempotent; works as root or through sudo.
set -euo pipefail

# Each package is used by the build, the tests or the benchmarks; none is
# listed "for later".
PACKAGES=(
  # build
  build-essential cmake pkg-config
  libgrpc-dev libprotobuf-c-dev protobuf-c-compiler
  protobuf-compiler libprotobuf-dev grpc-proto
  liblmdb-dev libjansson-dev libcsv-dev
  # the plugin worker's system-call filter
  libseccomp-dev
  # the metrics' HTTP listener (--metrics-listen, service/srv_metrics_http.c)
  libmicrohttpd-dev
  # TLS: the server checks its certificate and key with libssl/libcrypto;
  # the tests and the TLS benchmark make certificates with openssl
  libssl-dev openssl
  # tests: cmocka, the Python interop client, valgrind
  libcmocka-dev python3 python3-grpcio python3-protobuf valgrind
  # tests: libFuzzer targets (tests/fuzz) build with clang
  clang libclang-rt-14-dev
  # tests: promtool checks the metrics exposition and the alert rules, and
  # a real Prometheus scrapes clusterd (tests/service/metrics_test.py)
  prometheus
  # benchmarks: h2load, and pandas as the comparison
  nghttp2-client python3-pandas
  # benchmarks: curl scrapes the metrics while bench_metrics.sh measures
  curl
  # benchmarks: GNU time gives bench_report.sh clusterctl's peak memory
  time
  # npm tools pinned in deploy/tools (buf, for the proto lint test; the
  # gRPC reflection client of the reflection test; the
  # Kubernetes schema validator of the deploy_k8s test)
  nodejs npm
  # packaging tests (tests/deploy): systemd-analyze verifies the unit
  # (/bin/kill, its ExecReload, is procps'); the container test builds
  # and runs the image with podman: crun is its runtime, runc the one
  # used where crun refuses the cgroup layout (cgroup v1 with controllers
  # on the v2 hierarchy too), CNI plugins and iptables give containers a
  # network, debootstrap makes the Debian base image when no registry can
  # be reached
  systemd procps
  podman crun runc containernetworking-plugins iptables debootstrap
  # tests: the HTML run report in a real browser (tests/client/
  # report_browser.mjs through puppeteer-core, report_chromium.py through
  # the command line): Debian's chromium, pdfinfo to count the printed
  # pages, and DejaVu Sans, the font the report's CSS names first, so that
  # screenshots do not depend on what else is installed
  chromium poppler-utils fonts-dejavu-core
)

# Node from another source (a newer nodejs with its own npm) serves too.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  PACKAGES=("${PACKAGES[@]/nodejs}")
  PACKAGES=("${PACKAGES[@]/npm}")
fi

missing=()
for p in "${PACKAGES[@]}"; do
  [ -n "$p" ] || continue
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

# The npm tools, exactly as locked in deploy/tools/package-lock.json.
# Installed again whenever the lock file changed since the last install
# (a stamp of its SHA-256 in node_modules), so a tool added to the lock is
# installed on a machine that has the older ones; and when one is missing.
npm_tools() {
  local tools stamp want
  tools="$(cd "$(dirname "$0")" && pwd)/tools"
  stamp="$tools/node_modules/.clusterd-lock.sha256"
  want="$(sha256sum "$tools/package-lock.json" | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] ||
     [ ! -x "$tools/node_modules/.bin/buf" ] ||
     [ ! -d "$tools/node_modules/grpc-js-reflection-client" ] ||
     [ ! -d "$tools/node_modules/@grpc/grpc-js" ] ||
     [ ! -d "$tools/node_modules/kubernetes-models" ] ||
     [ ! -d "$tools/node_modules/puppeteer-core" ]; then
    echo "install-deps: npm ci in deploy/tools"
    # puppeteer-core downloads no browser; the variable makes sure of it
    # (the tests drive Debian's chromium, and no browser host is reached)
    (cd "$tools" && PUPPETEER_SKIP_DOWNLOAD=1 \
       npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" > "$stamp"
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all Debian packages present"
  npm_tools
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
npm_tools
