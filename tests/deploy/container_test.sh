#!/usr/bin/env bash
# The container image, built and run with podman (deploy/container):
#   0. the Dockerfile read as text (stages, COPY sources, the runtime
#      stage's settings): this part runs wherever the test does;
#   1. build.sh builds the image and the demo image (the base made with
#      debootstrap when no registry answers; layers and the compiler's
#      cache reused between builds);
#   2. the image refuses to start without its secrets (secure defaults);
#   3. the demo runs in a container, plugins in their sandboxed workers;
#   4. the server as documented: TLS and tokens from a mounted secrets
#      directory, a named data volume, read-only root, no capabilities, no
#      new privileges: its HEALTHCHECK passes (podman healthcheck run);
#      it runs as uid 10001 without capabilities, its plugin worker under
#      a second seccomp filter; a competition runs over TLS with a token,
#      from inside and through the published port; the data files are
#      0600 and the directories 0700; SIGHUP rereads the tokens file; it
#      stops with status 0 on SIGTERM and starts again on its data;
#   5. the Kubernetes way of handing it secrets (clusterd-secrets copy,
#      then watch): group-readable files copied to 0600, a changed secret
#      copied again and reloaded;
#   6. the systemd unit for real: systemd as PID 1 in a container, the
#      unit of deploy/systemd with all its sandboxing; clusterd serves, a
#      competition runs (plugin workers under the unit's system-call
#      filter), reload, stop, data 0700/0600.
# Skipped (exit 77) when podman is missing, when not root (rootful podman,
# files for uid 10001), when no container can run here or no base image
# can be had (build.sh says why), or with CLUSTERD_CONTAINER_TEST=0.
# Usage: container_test.sh SOURCE_DIR [BUILD_DIR]   (BUILD_DIR: the host's
#        clusterctl for the call through the published port)
set -euo pipefail
SRC=$(cd "${1:?usage: container_test.sh SOURCE_DIR [BUILD_DIR]}" && pwd)
BUILD=${2:-}
SKIP=77
# grep -q on all of stdin: read to the end first, so that under pipefail the
# writer never dies of SIGPIPE when grep has matched early.
contains() { local all; all=$(cat); grep -Eq -- "$1" <<<"$all"; }
skip() { echo "container_test: SKIPPED: $*"; exit $SKIP; }
fail() { echo "container_test: FAILED: $*" >&2; exit 1; }

# ------------------------------------------- 0. the Dockerfile, statically
# (also where no container can run): stages, COPY sources present in the
# build context, the runtime stage's user, volume, port, health check and
# entrypoint, the scripts it installs parse.
DF=$SRC/deploy/container/Dockerfile
# Continued lines joined.
joined=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$DF")
stages=" "
while read -r kw a b c _; do
	case $kw in
	FROM) [ "$b" = AS ] || fail "Dockerfile: FROM $a without a stage name"
	      stages+="$c " ;;
	COPY) if [[ $a == --from=* ]]; then
	          [[ $stages == *" ${a#--from=} "* ]] || fail "Dockerfile: COPY $a: no such stage before it"
	      else
	          [ -e "$SRC/$a" ] || fail "Dockerfile: COPY $a: not in the source tree"
	          top=${a%%/*}
	          grep -qx "$top" "$SRC/.dockerignore" && fail "Dockerfile: COPY $a: excluded by .dockerignore"
	      fi ;;
	esac
done < <(grep -E '^(FROM|COPY) ' <<<"$joined")
for want in "^USER 10001:10001$" "^VOLUME \[\"/var/lib/clusterd\"\]$" "^EXPOSE 50051 9090$" \
            "^HEALTHCHECK .*clusterd-healthcheck" "^ENTRYPOINT \[\"/usr/sbin/clusterd\"\]$"; do
	sed -n '/ AS runtime$/,/ AS demo$/p' <<<"$joined" | contains "$want" ||
		fail "Dockerfile: the runtime stage lacks /$want/"
done
sh -n "$SRC/deploy/container/healthcheck.sh" && sh -n "$SRC/deploy/container/secrets.sh" &&
	bash -n "$SRC/deploy/container/build.sh" || fail "a container script does not parse"
echo "container_test: 0. the Dockerfile: stages${stages% }, COPY sources, runtime stage checked"

[ "${CLUSTERD_CONTAINER_TEST:-1}" != 0 ] || skip "CLUSTERD_CONTAINER_TEST=0"
command -v podman >/dev/null 2>&1 || skip "podman is not installed"
[ "$(id -u)" = 0 ] || skip "needs root (rootful podman, files owned by uid 10001)"
export CLUSTERD_CONTAINER_ENGINE=podman
# One at a time on a machine: clones share podman's images and their tags.
exec 8>/var/tmp/clusterd-container-test.lock
flock 8

IMAGE=localhost/clusterd:test
DEMO_IMAGE=localhost/clusterd-demo:test
SD_IMAGE=localhost/clusterd-systemd:test
N=clusterd-test-$$
T=$(mktemp -d)
now() { date +%s; }
T0=$(now)
lap() { echo "container_test: $1 ($(( $(now) - LAP )) s)"; LAP=$(now); }
LAP=$T0

. "$SRC/deploy/container/engine.sh"
CTR=podman
cleanup() {
	for c in "$N" "$N-k8s" "$N-systemd"; do
		ctr rm -f -t 0 "$c" >/dev/null 2>&1 || true
	done
	ctr volume rm -f "$N-data" >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap cleanup EXIT
# podman without systemd logs that it cannot schedule health checks (we
# run them ourselves); keep its stderr for failures only.
q() { ctr "$@" 2>"$T/err" || { cat "$T/err" >&2; return 1; }; }

# ------------------------------------------------------------ 1. build
rc=0
CLUSTERD_IMAGE=$IMAGE CLUSTERD_DEMO_IMAGE=$DEMO_IMAGE \
	"$SRC/deploy/container/build.sh" --demo >"$T/build.log" 2>&1 || rc=$?
grep -E '^(build.sh|container engine):' "$T/build.log" || true
case $rc in
0) ;;
3|4) skip "$(tail -n 1 "$T/build.log")" ;;
*) tail -n 40 "$T/build.log" >&2; fail "the image did not build" ;;
esac
BASE=$(sed -n 's/^build.sh: base image \([^ ]*\)$/\1/p' "$T/build.log" | tail -n 1)
ctr_setup "$BASE" || skip "$CTR_WHY"
lap "1. images built"
run() { ctr run ${CTR_RUN[@]+"${CTR_RUN[@]}"} "$@"; }

# ------------------------------------------- 2. refuses without secrets
rc=0
run --rm "$IMAGE" >"$T/nosecrets" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q 'clusterd: --tls-cert: cannot open /run/secrets/clusterd/tls.crt' "$T/nosecrets" ||
	{ cat "$T/nosecrets"; fail "without secrets the image should refuse to start (status 2), got $rc"; }
lap "2. without its secrets the image refuses to start (status 2)"

# ---------------------------------------------------------------- 3. demo
run --rm "$DEMO_IMAGE" >"$T/demo" 2>&1 || { cat "$T/demo"; fail "the demo failed in its container"; }
for want in "all 17 computed ranks match the published GII 2023 ranks" \
            "selected as the leader of industry" \
            "^report of run national-2021-demo-.*/var/lib/clusterd/reports/national-2021.html" \
            "^demo: done"; do
	grep -Eq "$want" "$T/demo" || { cat "$T/demo"; fail "the demo did not show /$want/"; }
done
lap "3. the demo ran in a container ($(wc -l <"$T/demo") lines)"

# ------------------------------------------------------------- 4. server
S=$T/secrets
mkdir -m 0700 "$S"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/ca.key" -out "$S/ca.crt" -days 2 -subj "/CN=test CA" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$S/tls.key" -out "$T/tls.csr" -subj "/CN=localhost" \
	-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
openssl x509 -req -in "$T/tls.csr" -CA "$S/ca.crt" -CAkey "$T/ca.key" \
	-CAcreateserial -days 2 -copy_extensions copy -out "$S/tls.crt" 2>/dev/null
openssl rand -hex 32 | tr -d '\n' >"$S/ops.token"
openssl rand -hex 32 | tr -d '\n' >"$S/ops2.token"
hash() { sha256sum <"$1" | cut -c1-64; }
echo "$(hash "$S/ops.token") ops editor" >"$S/tokens"
chown -R 10001:10001 "$S"
chmod 0600 "$S"/*
ctr volume create "$N-data" >/dev/null
HARDENED=(--read-only --read-only-tmpfs=false --cap-drop ALL
          --security-opt no-new-privileges)
run -d --name "$N" "${HARDENED[@]}" -p 127.0.0.1::50051 \
	-v "$S:/run/secrets/clusterd:ro" -v "$N-data:/var/lib/clusterd" \
	-v "$SRC/deploy/examples:/examples:ro" "$IMAGE" >/dev/null 2>"$T/err" ||
	{ cat "$T/err" >&2; fail "the server container did not start"; }

wait_healthy() { # NAME
	local status=""
	for _ in $(seq 1 60); do
		status=$(ctr healthcheck run "$1" 2>/dev/null) && return 0
		[ "$(ctr inspect -f '{{.State.Running}}' "$1")" = true ] || break
		sleep 0.5
	done
	ctr logs "$1" >&2 2>&1 || true
	fail "$1 never became healthy (${status:-not running})"
}
wait_healthy "$N"
[ "$(ctr inspect -f '{{.State.Health.Status}}' "$N")" = healthy ] ||
	fail "podman does not record $N as healthy"
lap "4. the server container's HEALTHCHECK passes (TLS, tokens, read-only root, no capabilities)"

# Who the server is: uid and gid 10001, no capabilities, no new privileges,
# the runtime's seccomp filter.
pid=$(ctr inspect -f '{{.State.Pid}}' "$N")
status() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }
[ "$(status "$pid" Uid)" = "10001	10001	10001	10001" ] &&
[ "$(status "$pid" Gid)" = "10001	10001	10001	10001" ] ||
	fail "clusterd runs as uid '$(status "$pid" Uid)' gid '$(status "$pid" Gid)'"
[ "$(status "$pid" CapEff)" = 0000000000000000 ] &&
[ "$(status "$pid" CapBnd)" = 0000000000000000 ] ||
	fail "clusterd has capabilities: $(status "$pid" CapEff) / $(status "$pid" CapBnd)"
[ "$(status "$pid" NoNewPrivs)" = 1 ] && [ "$(status "$pid" Seccomp)" = 2 ] ||
	fail "clusterd lacks no_new_privs or the seccomp filter"

# A competition over TLS with a token, from inside the container.
cx() { # clusterctl in the container as ops
	ctr exec -e CLUSTERCTL_TLS_CA=/run/secrets/clusterd/ca.crt \
		-e CLUSTERCTL_TOKEN_FILE="/run/secrets/clusterd/${TOKEN:-ops}.token" \
		"$N" clusterctl "$@"
}
cx cluster import /examples/gii2023_st_clusters_top17.clusters.csv >/dev/null
cx competition create /examples/gii2023_competition.json >/dev/null
cx --json competition run gii-2023 >"$T/run.json" 2>>"$T/ctl.err" ||
	{ cat "$T/run.json"; ctr logs "$N" 2>&1 | tail -n 20; fail "the competition failed in the container"; }
grep -q '"state": "RUN_STATE_SUCCEEDED"' "$T/run.json" || { cat "$T/run.json"; fail "the run did not succeed"; }
# Its plugin worker: under the runtime's filter and its own.
workers=0
for c in $(pgrep -P "$pid" || true); do
	[ "$(cat "/proc/$c/comm" 2>/dev/null)" = clusterd-plugin ] || continue
	workers=$((workers + 1))
	[ "$(status "$c" Uid)" = "10001	10001	10001	10001" ] &&
	[ "$(status "$c" NoNewPrivs)" = 1 ] &&
	[ "$(status "$c" Seccomp_filters)" -ge 2 ] ||
		fail "plugin worker $c: uid $(status "$c" Uid), $(status "$c" Seccomp_filters) seccomp filters"
done
echo "container_test: uid/gid 10001, no capabilities, no_new_privs, seccomp; $workers idle plugin worker(s), each under 2+ stacked filters"
# From the host, through the published port, when a clusterctl is at hand.
port=$(ctr port "$N" 50051/tcp | sed 's/.*://')
if [ -n "$BUILD" ] && [ -x "$BUILD/client/clusterctl" ]; then
	n=$("$BUILD/client/clusterctl" --server "127.0.0.1:$port" --tls-ca "$S/ca.crt" \
		--tls-server-name localhost --token-file "$S/ops.token" cluster list | tail -n +2 | wc -l)
	[ "$n" = 17 ] || fail "through the published port: $n clusters, not 17"
	echo "container_test: through 127.0.0.1:$port with TLS and a token: 17 clusters"
fi

# The data volume: directories 0700, files 0600, all uid 10001.
ctr exec "$N" find /var/lib/clusterd -printf '%m %U %y %p\n' >"$T/perms"
awk '($3 == "d" && $1 != "700") || ($3 == "f" && $1 != "600") || $2 != 10001' \
	"$T/perms" >"$T/badperms"
[ -s "$T/badperms" ] && { cat "$T/perms"; fail "data files not 0600/0700 uid 10001"; }
grep -q ' f /var/lib/clusterd/data.mdb$' "$T/perms" || { cat "$T/perms"; fail "no data.mdb in the volume"; }
echo "container_test: the data volume: $(grep -c ' f ' "$T/perms") files 0600, $(grep -c ' d ' "$T/perms") directories 0700, uid 10001"

# SIGHUP rereads the tokens file: ops2 is refused, added, then accepted.
TOKEN=ops2 cx cluster list >/dev/null 2>"$T/err" &&
	fail "an unknown token was accepted"
grep -q UNAUTHENTICATED "$T/err" || { cat "$T/err"; fail "an unknown token: not UNAUTHENTICATED"; }
{ cat "$S/tokens"; echo "$(hash "$S/ops2.token") ops2 reader"; } >"$S/.tokens.new"
chown 10001:10001 "$S/.tokens.new"
chmod 0600 "$S/.tokens.new"
mv "$S/.tokens.new" "$S/tokens"
q kill --signal HUP "$N" >/dev/null
for _ in $(seq 1 40); do
	ctr logs "$N" 2>&1 | contains 'authentication: 2 principals' && break
	sleep 0.25
done
TOKEN=ops2 cx cluster list >/dev/null || fail "after SIGHUP the new token is still refused"
echo "container_test: SIGHUP reloaded the tokens file"

# SIGTERM: a clean stop; then the same volume serves the same data.
q stop -t 30 "$N" >/dev/null
[ "$(ctr inspect -f '{{.State.ExitCode}}' "$N")" = 0 ] ||
	{ ctr logs "$N" 2>&1 | tail -n 20; fail "clusterd did not stop with status 0"; }
q start "$N" >/dev/null
wait_healthy "$N"
n=$(cx cluster list | tail -n +2 | wc -l)
[ "$n" = 17 ] || fail "after a restart: $n clusters, not 17"
q rm -f -t 30 "$N" >/dev/null
lap "4. the server: run as 10001, competition, 0600 data, SIGHUP, clean stop and restart"

# ------------------------------------------- 5. Kubernetes-style secrets
# A Secret volume as the kubelet lays it out with fsGroup: files root's,
# group 10001, mode 0440, behind ..data symlinks.
K=$T/k8s-secret
lay_secret() { # TS: a new timestamped directory, then ..data swapped to it
	mkdir -p "$K/..$1"
	cp "$S/tls.crt" "$S/tls.key" "$S/ca.crt" "$S/tokens" "$K/..$1/"
	chown -R 0:10001 "$K/..$1"
	chmod 0440 "$K/..$1"/*
	chmod 0750 "$K/..$1"
	ln -sfn "..$1" "$K/..data_tmp"
	mv -T "$K/..data_tmp" "$K/..data"
	for f in tls.crt tls.key ca.crt tokens; do
		[ -L "$K/$f" ] || ln -s "..data/$f" "$K/$f"
	done
}
{ echo "$(hash "$S/ops.token") ops editor"; } >"$S/tokens"
mkdir -m 0750 "$K"
chown 0:10001 "$K"
lay_secret 1
run -d --name "$N-k8s" "${HARDENED[@]}" \
	--tmpfs /run/secrets/clusterd:rw,mode=0700,size=1m,U \
	-v "$K:/etc/clusterd/secret:ro" --entrypoint /bin/sh "$IMAGE" -c \
	'clusterd-secrets copy /etc/clusterd/secret /run/secrets/clusterd &&
	 exec clusterd --auth-tokens=/run/secrets/clusterd/tokens \
	   --tls-cert=/run/secrets/clusterd/tls.crt --tls-key=/run/secrets/clusterd/tls.key' \
	>/dev/null 2>"$T/err" || { cat "$T/err" >&2; fail "the k8s-style container did not start"; }
wait_healthy "$N-k8s"
ctr exec "$N-k8s" stat -c '%a %u %n' /run/secrets/clusterd/tokens /run/secrets/clusterd/tls.key >"$T/k8sperms"
[ "$(awk '$1 == "600" && $2 == 10001' "$T/k8sperms" | wc -l)" = 2 ] ||
	{ cat "$T/k8sperms"; fail "clusterd-secrets copy: not 0600 uid 10001"; }
ctr exec -d "$N-k8s" clusterd-secrets watch /etc/clusterd/secret /run/secrets/clusterd 1 >/dev/null
{ cat "$S/tokens"; echo "$(hash "$S/ops2.token") ops2 reader"; } >"$T/tokens2"
cp "$T/tokens2" "$S/tokens"
lay_secret 2
for _ in $(seq 1 40); do
	ctr logs "$N-k8s" 2>&1 | contains 'authentication: 2 principals' && break
	sleep 0.25
done
ctr logs "$N-k8s" 2>&1 | contains 'authentication: 2 principals' ||
	{ ctr logs "$N-k8s" 2>&1 | tail -n 10; fail "clusterd-secrets watch: the new tokens file was not reloaded"; }
q rm -f -t 10 "$N-k8s" >/dev/null
lap "5. Kubernetes-style secrets: 0440 files copied to 0600, an update copied and reloaded"

# -------------------------------------------------- 6. the systemd unit
mkdir "$T/sd"
cp "$SRC/tests/deploy/systemd/Containerfile" "$SRC/deploy/systemd/clusterd.service" \
	"$SRC/deploy/systemd/clusterd.sysusers" "$SRC/deploy/systemd/clusterd.default" "$T/sd/"
nice -n 10 podman ${CTR_GLOBAL[@]+"${CTR_GLOBAL[@]}"} build ${CTR_RUN[@]+"${CTR_RUN[@]}"} \
	--format docker --build-arg "IMAGE=$IMAGE" -t "$SD_IMAGE" "$T/sd" >"$T/sdbuild.log" 2>&1 ||
	{ tail -n 30 "$T/sdbuild.log" >&2; fail "the systemd test image did not build"; }
# systemd sets up the unit's namespaces (ProtectSystem=, PrivateTmp=...):
# that needs CAP_SYS_ADMIN in the container, which systemd itself holds,
# never clusterd (CapabilityBoundingSet= is empty).
run -d --name "$N-systemd" --systemd=always --cap-add SYS_ADMIN \
	-v "$SRC/deploy/examples:/examples:ro" "$SD_IMAGE" >/dev/null 2>"$T/err" ||
	{ cat "$T/err" >&2; fail "the systemd container did not start"; }
sx() { ctr exec "$N-systemd" "$@"; }
state=""
for _ in $(seq 1 60); do
	state=$(sx systemctl is-active clusterd 2>/dev/null || true)
	[ "$state" = active ] && sx clusterctl health >/dev/null 2>&1 && break
	sleep 0.5
done
sx clusterctl health >/dev/null 2>&1 ||
	{ sx journalctl -u clusterd --no-pager 2>&1 | tail -n 30; fail "clusterd.service did not serve ($state)"; }
out=$(sx systemd-analyze verify /usr/lib/systemd/system/clusterd.service 2>&1) && [ -z "$out" ] ||
	{ echo "$out"; fail "systemd-analyze verify: the unit in place has problems"; }
score=$(sx systemd-analyze security clusterd.service 2>&1 |
	sed -n 's/.*Overall exposure level for clusterd.service: \([0-9.]*\).*/\1/p')
mpid=$(sx systemctl show -p MainPID --value clusterd)
sx sh -c "grep -E '^(Uid|CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/$mpid/status" >"$T/sdstatus"
grep -q '^Uid:[[:space:]]*10001[[:space:]]' "$T/sdstatus" && grep -q '^CapEff:[[:space:]]*0*$' "$T/sdstatus" &&
grep -q '^NoNewPrivs:[[:space:]]*1' "$T/sdstatus" && grep -q '^Seccomp:[[:space:]]*2' "$T/sdstatus" ||
	{ cat "$T/sdstatus"; fail "clusterd.service: not uid clusterd, capabilities or no filter"; }
# The sandbox is real: a mount namespace of its own
# (ProtectSystem=strict: / read-only), a private /tmp (PrivateTmp=).
sx sh -c "[ \"\$(readlink /proc/$mpid/ns/mnt)\" != \"\$(readlink /proc/1/ns/mnt)\" ] &&
	awk '\$5 == \"/\" && \$6 ~ /(^|,)ro(,|\$)/ {f = 1} END {exit !f}' /proc/$mpid/mountinfo &&
	awk '\$5 == \"/tmp\" {f = 1} END {exit !f}' /proc/$mpid/mountinfo" ||
	fail "clusterd.service runs without its mount namespace (ProtectSystem=, PrivateTmp=)"
sx clusterctl cluster import /examples/gii2023_st_clusters_top17.clusters.csv >/dev/null
sx clusterctl competition create /examples/gii2023_competition.json >/dev/null
sx clusterctl --json competition run gii-2023 >"$T/sdrun.json" 2>&1 ||
	{ cat "$T/sdrun.json"; sx journalctl -u clusterd --no-pager | tail -n 30; fail "a competition failed under the unit's sandbox"; }
grep -q '"state": "RUN_STATE_SUCCEEDED"' "$T/sdrun.json" || { cat "$T/sdrun.json"; fail "the run under systemd did not succeed"; }
sx systemctl reload clusterd
for _ in $(seq 1 20); do
	sx journalctl -u clusterd --no-pager 2>/dev/null | contains 'received SIGHUP' && break
	sleep 0.25
done
sx journalctl -u clusterd --no-pager | contains 'received SIGHUP' || fail "systemctl reload did not reach clusterd"
sx systemctl stop clusterd
[ "$(sx systemctl show -p Result --value clusterd)" = success ] &&
[ "$(sx systemctl show -p ExecMainStatus --value clusterd)" = 0 ] ||
	{ sx journalctl -u clusterd --no-pager | tail -n 20; fail "clusterd.service did not stop cleanly"; }
sx sh -c 'find /var/lib/clusterd/ -printf "%m %u %y %p\n"' >"$T/sdperms"
awk '($3 == "d" && $1 != "700") || ($3 == "f" && $1 != "600") || $2 != "clusterd"' \
	"$T/sdperms" >"$T/sdbad"
[ -s "$T/sdbad" ] && { cat "$T/sdperms"; fail "the unit's data: not 0700/0600 clusterd"; }
q rm -f -t 5 "$N-systemd" >/dev/null
# Earlier builds of the systemd image (untagged since) go.
ctr image prune -f --filter label=org.clusterd.stage=systemd-test >/dev/null 2>&1 || true
lap "6. clusterd.service under systemd: served, ran a competition, reloaded, stopped (exposure $score)"

echo "container_test: ok in $(( $(now) - T0 )) s"
