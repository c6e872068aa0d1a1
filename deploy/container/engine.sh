# Sourced by build.sh and tests/deploy/container_test.sh: finds a container
# engine and the options this machine needs to run containers with it.
#
#   ctr_setup          sets CTR (podman or docker), CTR_GLOBAL (options
#                      before the command) and CTR_RUN (options of run,
#                      create and build); returns 1 with CTR_WHY set when
#                      no container can run here
#   ctr ARGS...        runs "$CTR $CTR_GLOBAL ARGS..."
#
# CLUSTERD_CONTAINER_ENGINE=podman|docker picks the engine (default: podman
# if installed, else docker).
#
# Podman as root on some machines needs two settings its defaults lack,
# found by trying a container of the base image:
#   - crun refuses hybrid cgroups (cgroup v1 with controllers also on the
#     v2 hierarchy: "cgroups in hybrid mode not supported"); runc runs them;
#   - podman gives containers rlimits above what a process without
#     CAP_SYS_RESOURCE may set (RLIMIT_NOFILE 1048576: "setrlimit
#     RLIMIT_NOFILE: Operation not permitted"); explicit --ulimit values at
#     or below this shell's hard limits are accepted.

CTR=""
CTR_GLOBAL=()
CTR_RUN=()
CTR_WHY=""

ctr() {
	"$CTR" ${CTR_GLOBAL[@]+"${CTR_GLOBAL[@]}"} "$@"
}

# ctr_setup IMAGE: IMAGE is any image present locally (the base).
ctr_setup() {
	local image=$1 engine=${CLUSTERD_CONTAINER_ENGINE:-}
	if [ -z "$engine" ]; then
		if command -v podman >/dev/null 2>&1; then engine=podman
		elif command -v docker >/dev/null 2>&1; then engine=docker
		else CTR_WHY="neither podman nor docker is installed"; return 1
		fi
	fi
	CTR=$engine
	CTR_GLOBAL=()
	CTR_RUN=()
	[ "$engine" = podman ] || return 0
	local nofile nproc out rt ul
	nofile=$(ulimit -Hn)
	[ "$nofile" = unlimited ] && nofile=1048576
	[ "$nofile" -gt 1048576 ] && nofile=1048576
	# Threads count as processes, per user across the machine: enough
	# for clusterd, its plugin workers and a compiler, at any hard limit.
	nproc=4096
	local -a ulimits=(--ulimit "nofile=$nofile:$nofile"
	                  --ulimit "nproc=$nproc:$nproc")
	local -a runtimes=("")
	command -v runc >/dev/null 2>&1 && runtimes+=(runc)
	CTR_WHY=""
	for rt in "${runtimes[@]}"; do
		for ul in 0 1; do
			CTR_GLOBAL=()
			[ -n "$rt" ] && CTR_GLOBAL=(--runtime "$rt")
			CTR_RUN=()
			[ "$ul" = 1 ] && CTR_RUN=("${ulimits[@]}")
			if out=$(ctr run --rm ${CTR_RUN[@]+"${CTR_RUN[@]}"} \
			         --entrypoint /bin/true "$image" 2>&1); then
				[ -n "$CTR_WHY" ] &&
					echo "container engine: podman${rt:+ --runtime $rt}${CTR_RUN[*]:+ ${CTR_RUN[*]}} (the defaults failed: $CTR_WHY)" >&2
				return 0
			fi
			[ -n "$CTR_WHY" ] ||
				CTR_WHY=$(printf '%s' "$out" | grep -v '^time=' | tail -n 1)
		done
	done
	CTR_GLOBAL=()
	CTR_RUN=()
	return 1
}
