#!/usr/bin/env bash
# Builds the clusterd container image (deploy/container/Dockerfile) and,
# with --demo, the demo image, with podman (or docker). Idempotent: layers
# are cached by the engine, the compiler's cache across builds.
#
# The base is debian:bookworm-slim. When the registry cannot be reached it
# is made once with debootstrap from the Debian mirror apt uses here and
# imported as localhost/debian:bookworm-slim, which later builds (from any
# clone on this machine) reuse.
#
# Usage: deploy/container/build.sh [--demo] [--base-only]
#   CLUSTERD_IMAGE        the image's name (default localhost/clusterd:latest)
#   CLUSTERD_DEMO_IMAGE   the demo's (default localhost/clusterd-demo:latest)
#   CLUSTERD_BASE_IMAGE   another base image (skips the search below)
#   CLUSTERD_CONTAINER_ENGINE=podman|docker
# Prints the seconds each step took. Exit status 3: no container can run
# on this machine (the engine's error is printed); 4: no base image can be
# had; anything else non-zero: the build failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
. "$ROOT/deploy/container/engine.sh"

DEMO=0
BASE_ONLY=0
for a in "$@"; do
	case $a in
	--demo) DEMO=1 ;;
	--base-only) BASE_ONLY=1 ;;
	*) echo "usage: $0 [--demo] [--base-only]" >&2; exit 2 ;;
	esac
done
IMAGE=${CLUSTERD_IMAGE:-localhost/clusterd:latest}
DEMO_IMAGE=${CLUSTERD_DEMO_IMAGE:-localhost/clusterd-demo:latest}
LOCAL_BASE=localhost/debian:bookworm-slim
ENGINE=${CLUSTERD_CONTAINER_ENGINE:-$(command -v podman >/dev/null 2>&1 && echo podman || echo docker)}
now() { date +%s; }

# The Debian mirror of this machine's apt sources (deb822 or one-line).
host_mirror() {
	local m=""
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		m=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' \
		    /etc/apt/sources.list.d/debian.sources)
	fi
	if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
		m=$(awk '$1 == "deb" && $3 ~ /^bookworm$/ {print $2; exit}' \
		    /etc/apt/sources.list)
	fi
	echo "${m:-http://deb.debian.org/debian}"
}

# debootstrap minbase, trimmed the way Debian's slim images are, imported
# as $LOCAL_BASE. Run under the lock.
make_base() {
	local root mirror t0
	t0=$(now)
	command -v debootstrap >/dev/null ||
		{ echo "build.sh: debootstrap is not installed (deploy/install-deps.sh)" >&2; return 1; }
	mirror=$(host_mirror)
	root=$(mktemp -d /var/tmp/clusterd-base.XXXXXX)
	echo "build.sh: making $LOCAL_BASE with debootstrap from $mirror"
	if ! nice -n 10 debootstrap --variant=minbase bookworm "$root" "$mirror" \
	     >"$root.log" 2>&1; then
		tail -n 20 "$root.log" >&2
		rm -rf "$root" "$root.log"
		return 1
	fi
	rm -f "$root.log"
	# The same suites as the official image: bookworm, -updates, -security.
	rm -f "$root/etc/apt/sources.list"
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
	else
		cat >"$root/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	fi
	# Slim: no documentation, manual pages or translations in later
	# installs either; no package lists or downloaded packages kept.
	cat >"$root/etc/dpkg/dpkg.cfg.d/slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
CFG
	cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Acquire::Languages "none";
CFG
	find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
	rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* \
	       "$root"/usr/share/locale/* "$root"/var/lib/apt/lists/* \
	       "$root"/var/cache/apt/archives/*.deb "$root"/var/log/*.log
	if ! tar -C "$root" -c . | ctr import \
	     --change 'CMD ["bash"]' - "$LOCAL_BASE" >/dev/null; then
		rm -rf "$root"
		return 1
	fi
	rm -rf "$root"
	echo "build.sh: base image $LOCAL_BASE made in $(( $(now) - t0 )) s"
}

# The base: the one asked for, else an official one present or pulled,
# else the local one, made if missing (under a lock: several clones on one
# machine share the engine's storage).
pick_base() {
	if [ -n "${CLUSTERD_BASE_IMAGE:-}" ]; then
		BASE=$CLUSTERD_BASE_IMAGE
		return
	fi
	CTR=$ENGINE
	if ctr image inspect docker.io/library/debian:bookworm-slim >/dev/null 2>&1; then
		BASE=docker.io/library/debian:bookworm-slim
		return
	fi
	if ctr image inspect "$LOCAL_BASE" >/dev/null 2>&1; then
		BASE=$LOCAL_BASE
		return
	fi
	if timeout 120 "$ENGINE" pull -q docker.io/library/debian:bookworm-slim \
	   >/dev/null 2>&1; then
		BASE=docker.io/library/debian:bookworm-slim
		return
	fi
	echo "build.sh: debian:bookworm-slim cannot be pulled; using $LOCAL_BASE"
	exec 9>/var/tmp/clusterd-base-image.lock
	flock 9
	if ! ctr image inspect "$LOCAL_BASE" >/dev/null 2>&1 && ! make_base; then
		echo "build.sh: the base image cannot be made" >&2
		exit 4
	fi
	flock -u 9
	BASE=$LOCAL_BASE
}

t0=$(now)
pick_base
echo "build.sh: base image $BASE"
if ! ctr_setup "$BASE"; then
	echo "build.sh: no container runs here: $CTR_WHY" >&2
	exit 3
fi
[ "$BASE_ONLY" = 1 ] && exit 0

build() { # TARGET NAME
	local t=$(now) target=$1 name=$2
	local -a opts=(-f deploy/container/Dockerfile --build-arg "BASE=$BASE"
	               --target "$target" -t "$name")
	# HEALTHCHECK exists in the docker image format only.
	[ "$CTR" = podman ] && opts+=(--format docker --layers)
	nice -n 10 "$CTR" ${CTR_GLOBAL[@]+"${CTR_GLOBAL[@]}"} build \
		${CTR_RUN[@]+"${CTR_RUN[@]}"} "${opts[@]}" "$ROOT"
	echo "build.sh: $name ($target) built in $(( $(now) - t )) s"
}
build image "$IMAGE"
[ "$DEMO" = 1 ] && build demo "$DEMO_IMAGE"
# Each change of the sources leaves a build stage behind (the compiler and
# the build tree, some 500 MB). The newest stays, tagged, as the cache of
# the next build; the untagged older ones go (their layers that later
# builds reuse have children and stay).
if [ "$CTR" = podman ]; then
	build build localhost/clusterd-build:cache >/dev/null
	ctr image prune -f --filter label=org.clusterd.stage=build >/dev/null || true
fi
echo "build.sh: done in $(( $(now) - t0 )) s"
