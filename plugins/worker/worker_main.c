/*
 * clusterd-plugin-host — the process that runs scoring plugins for clusterd
 * (docs/plugin-isolation.md). clusterd starts it with fork+exec, an empty
 * environment and one end of a socketpair as descriptor 3:
 *
 *   clusterd-plugin-host --probe [--memory BYTES] FILE
 *       loads FILE in the sandbox, checks its descriptor and runs its load
 *       hook and init probe, reports the descriptor (or the refusal) and
 *       exits: the server lists only what a probe accepted, and never
 *       dlopens a refused file itself;
 *   clusterd-plugin-host --serve [--memory BYTES] FILE...
 *       loads FILEs in order (the generation's plugins), says hello, and
 *       answers score requests until told to leave or the socket closes.
 *
 * Files are opened before the worker drops root and enters the sandbox,
 * and loaded through /proc/self/fd, so the unprivileged worker needs no
 * access to the directory. A plugin runs exactly as it would in-process:
 * the same host table, params and cohort views (plugin_instance.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cd_error.h"
#include "plugin_cohort.h"
#include "plugin_instance.h"
#include "plugin_internal.h"
#include "plugin_wire_internal.h"
#include "worker_sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
/* A crash must end the worker the way it would end a plain build (the
 * server names the signal), not in a report that the sandbox stops half
 * way; leak checks at exit would need ptrace. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "handle_segv=0:handle_sigbus=0:handle_abort=0:handle_sigfpe=0:"
	       "handle_sigill=0:detect_leaks=0:allocator_may_return_null=1";
}
#endif

#define SOCK PW_WORKER_FD
/* Requests are params and, for small cohorts, members: a few MB at most. */
#define MAX_REQUEST (64u << 20)
#define LOGS_PER_CALL 100
#define REASON_MAX PW_REASON_MAX
#define REASON_BYTES PW_REASON_BYTES
/* How long an idle worker keeps the last cohort for the next round. */
#define IDLE_DROP_MS 500

typedef struct worker {
	plugin_generation_t gen;
	plugin_cohort_t *cohort;   /* the last cohort scored, kept mapped */
	uint64_t token;
	unsigned logs;             /* log frames sent in this call */
} worker_t;

static worker_t W;

static void send_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	if (W.logs > LOGS_PER_CALL)
		return;
	pw_buf_t b = {0};
	pw_buf_u32(&b, (uint32_t)level);
	if (++W.logs > LOGS_PER_CALL)
		pw_buf_str(&b, "further log messages of this call were dropped");
	else
		pw_buf_str(&b, msg);
	if (!b.oom)
		pw_send(SOCK, PW_W_LOG, b.p, b.len, NULL, 0);
	pw_buf_free(&b);
}

static void send_str(uint32_t type, const char *s)
{
	pw_buf_t b = {0};
	pw_buf_str(&b, s);
	if (!b.oom)
		pw_send(SOCK, type, b.p, b.len, NULL, 0);
	pw_buf_free(&b);
}

static __attribute__((noreturn)) void die(const char *msg)
{
	send_str(PW_W_REFUSED, msg);
	_exit(3);
}

/* ------------------------------------------------------------ scoring */

/* The request's cohort: the one kept from the last request, or fd's
 * segment, or the bytes that came with the request. */
static int take_cohort(uint64_t token, int fd, const void *bytes,
                       size_t len, char *err, size_t errlen)
{
	if (W.cohort && token == W.token)
		return CD_OK;
	plugin_cohort_destroy(W.cohort);
	W.cohort = NULL;
	int rc = bytes ? plugin_cohort_attach_bytes(&W.cohort, bytes, len, err,
	                                            errlen)
	               : plugin_cohort_attach(&W.cohort, fd, err, errlen);
	if (!rc)
		W.token = token;
	return rc;
}

/* One item of a request: a plugin and its params. */
typedef struct item {
	uint32_t plugin;
	uint32_t nkv;
	plugin_kv_t *kv;
} item_t;

static void free_items(item_t *it, uint32_t k)
{
	for (uint32_t j = 0; it && j < k; j++) {
		for (uint32_t i = 0; it[j].kv && i < it[j].nkv; i++) {
			free((char *)it[j].kv[i].key);
			free((char *)it[j].kv[i].value);
		}
		free(it[j].kv);
	}
	free(it);
}

static int read_items(pw_rd_t *r, item_t **out, uint32_t *k)
{
	*k = pw_rd_u32(r);
	if (r->bad || *k > 4096)
		return CD_EINVAL;
	item_t *it = calloc(*k ? *k : 1, sizeof(*it));
	if (!it)
		return CD_ENOMEM;
	*out = it;
	for (uint32_t j = 0; j < *k && !r->bad; j++) {
		it[j].plugin = pw_rd_u32(r);
		uint32_t nkv = pw_rd_u32(r);
		if (r->bad || nkv > 4096 || it[j].plugin >= W.gen.n)
			return CD_EINVAL;
		if (!(it[j].kv = calloc(nkv ? nkv : 1, sizeof(*it[j].kv))))
			return CD_ENOMEM;
		for (; it[j].nkv < nkv && !r->bad; it[j].nkv++) {
			it[j].kv[it[j].nkv].key = pw_rd_str(r, 1u << 20);
			it[j].kv[it[j].nkv].value = pw_rd_str(r, 1u << 20);
		}
	}
	return r->bad || r->pos != r->len ? CD_EINVAL : CD_OK;
}

/* Scores one item into res (n doubles); the W_RESULT payload in out. */
static int score_item(const item_t *it, uint32_t j,
                      const plugin_cohort_t *co, uint32_t n, double *res,
                      int inline_scores, pw_buf_t *out)
{
	char err[1024] = "";
	int rc = CD_OK;
	pw_buf_reserve(out, 1024 + (size_t)n * (inline_scores ? 16 : 8));
	const char **reasons = calloc(n ? n : 1, sizeof(*reasons));
	if (!reasons)
		rc = cd_fail(err, sizeof(err), CD_ENOMEM, "out of memory");
	plugin_instance_t *inst = NULL;
	if (!rc)
		rc = plugin_instance_open(&inst, &W.gen,
		                          W.gen.p[it->plugin].info.name, it->kv,
		                          it->nkv, err, sizeof(err));
	if (!rc)
		rc = plugin_instance_score(inst, co, res, reasons, err,
		                           sizeof(err));
	pw_buf_u32(out, j);
	pw_buf_u32(out, (uint32_t)rc);
	pw_buf_str(out, rc ? err : "");
	if (!rc) {
		pw_buf_u32(out, n);
		if (inline_scores)
			pw_buf_bytes(out, res, (size_t)n * sizeof(double));
		/* Reasons up to REASON_BYTES in all (the server reads no
		 * more); the rest are left out. A wild pointer faults here, in
		 * the worker. */
		uint32_t nr = 0;
		size_t bytes = 0;
		for (uint32_t i = 0; i < n; i++) {
			if (!reasons[i])
				continue;
			size_t len = strnlen(reasons[i], REASON_MAX);
			if (bytes + len > REASON_BYTES)
				break;
			bytes += len;
			nr++;
		}
		pw_buf_u32(out, nr);
		for (uint32_t i = 0, k = 0; k < nr; i++) {
			if (!reasons[i])
				continue;
			size_t len = strnlen(reasons[i], REASON_MAX);
			pw_buf_u32(out, i);
			pw_buf_u32(out, (uint32_t)len);
			pw_buf_bytes(out, reasons[i], len);
			k++;
		}
		/* The run notes, only when there are some: the answer of a
		 * plugin that makes none is as it was before SDK 2.1. */
		size_t nn;
		const plugin_note_t *notes = plugin_instance_notes(inst, &nn);
		pw_buf_notes(out, notes, nn);
	}
	/* fini after the reasons are copied: they may live in the state. */
	plugin_instance_close(inst);
	free(reasons);
	return rc;
}

/* Sends a failure of the whole request as the answer to its item 0. */
static void send_failure(int rc, const char *msg)
{
	pw_buf_t b = {0};
	pw_buf_u32(&b, 0);
	pw_buf_u32(&b, (uint32_t)rc);
	pw_buf_str(&b, msg);
	if (!b.oom)
		pw_send(SOCK, PW_W_RESULT, b.p, b.len, NULL, 0);
	pw_buf_free(&b);
}

/* Scores the items of one request in order, answering each as it ends,
 * and stops at the first failure. 0, or -1 when the socket failed. */
static int score(pw_rd_t *r, const int *fds, size_t nfds)
{
	char err[1024] = "";
	uint64_t token = pw_rd_u64(r);
	uint32_t flags = pw_rd_u32(r);
	uint32_t n = pw_rd_u32(r);
	/* The members come right after three fixed fields (16 bytes into a
	 * malloc'd payload), so they are aligned for uint32_t. */
	const uint32_t *members = NULL;
	if (flags & 1)
		members = pw_rd_bytes(r, (size_t)n * sizeof(uint32_t));
	const void *cbytes = NULL;
	size_t clen = 0;
	if (flags & 4) {
		clen = (size_t)pw_rd_u64(r);
		cbytes = pw_rd_bytes(r, clen);
	}
	item_t *items = NULL;
	uint32_t k = 0;
	size_t want = !(flags & 4) + !!(flags & 2);
	int rc = r->bad ? CD_EINVAL : read_items(r, &items, &k);
	if (rc || nfds != want || !k) {
		free_items(items, k);
		send_failure(rc == CD_ENOMEM ? rc : CD_EINVAL,
		             "the plugin worker got a bad score request");
		return 0;
	}
	plugin_cohort_t *view = NULL;
	const plugin_cohort_t *co = NULL;
	rc = take_cohort(token, (flags & 4) ? -1 : fds[0], cbytes, clen, err,
	                 sizeof(err));
	if (!rc && members) {
		rc = plugin_cohort_view(&view, W.cohort, members, n, err,
		                        sizeof(err));
		co = view;
	} else if (!rc) {
		co = W.cohort;
		if (plugin_cohort_size(co) != n)
			rc = cd_fail(err, sizeof(err), CD_EINVAL, "bad score "
			             "request (size)");
	}
	size_t one = (size_t)n * sizeof(double);
	double *res = NULL;
	void *map = MAP_FAILED;
	size_t maplen = one * k;
	if (!rc && (flags & 2)) {
		struct stat st;
		int ofd = fds[want - 1];
		if (fstat(ofd, &st) != 0 || (size_t)st.st_size < maplen ||
		    (maplen && (map = mmap(NULL, maplen, PROT_READ | PROT_WRITE,
		                           MAP_SHARED, ofd, 0)) == MAP_FAILED))
			rc = cd_fail(err, sizeof(err), CD_EIO, "cannot map the "
			             "output segment: %s", strerror(errno));
	} else if (!rc && !(res = malloc(one ? one : 1))) {
		rc = cd_fail(err, sizeof(err), CD_ENOMEM, "out of memory");
	}
	int sock_ok = 1;
	if (rc)
		send_failure(rc, err);
	for (uint32_t j = 0; !rc && j < k && sock_ok; j++) {
		pw_buf_t out = {0};
		W.logs = 0;
		double *dst = map != MAP_FAILED ? (double *)map + (size_t)j * n
		                                : res;
		rc = score_item(&items[j], j, co, n, dst, !(flags & 2), &out);
		sock_ok = !out.oom &&
		          !pw_send(SOCK, PW_W_RESULT, out.p, out.len, NULL, 0);
		pw_buf_free(&out);
	}
	if (map != MAP_FAILED)
		munmap(map, maplen);
	free(res);
	plugin_cohort_destroy(view);
	free_items(items, k);
	return sock_ok ? 0 : -1;
}

static __attribute__((noreturn)) void serve(void)
{
	for (;;) {
		uint32_t type;
		uint8_t *p;
		size_t len, nfds;
		int fds[PW_MAX_FDS], eof;
		/* A cohort kept for the next round is let go once the worker
		 * is idle: it must not hold a finished run's pages while the
		 * server builds the next one. Idle means no first byte of a
		 * request within IDLE_DROP_MS; a request once begun is read to
		 * its end however long the server takes to send it. (The wait
		 * used to be pw_recv's deadline, which also ran out in the
		 * middle of a frame when a loaded server was slow to send the
		 * rest: the stream was then out of step, the next read failed
		 * and the worker left while scoring, "exited with status 0".) */
		if (W.cohort) {
			struct pollfd pf = { .fd = SOCK, .events = POLLIN };
			if (poll(&pf, 1, IDLE_DROP_MS) == 0) {
				plugin_cohort_destroy(W.cohort);
				W.cohort = NULL;
				continue;
			}
		}
		int rc = pw_recv(SOCK, 0, -1, MAX_REQUEST, &type, &p, &len, fds,
		                 &nfds, &eof);
		if (rc || type == PW_S_EXIT)
			_exit(0);
		int ok = 0;
		if (type == PW_S_SCORE) {
			pw_rd_t r = { .p = p, .len = len };
			ok = score(&r, fds, nfds) == 0;
		}
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		free(p);
		if (!ok)
			_exit(0);
	}
}

/* -------------------------------------------------------------- start */

/* Ends the worker when the server goes away, even while a plugin spins:
 * a server killed with SIGKILL must not leave workers burning CPU. The
 * thread only waits for the peer's end of the socket to close; it reads
 * nothing, so the main thread's frames are untouched. */
static void *watchdog(void *arg)
{
	(void)arg;
	for (;;) {
		struct pollfd p = { .fd = SOCK, .events = POLLRDHUP };
		if (poll(&p, 1, -1) > 0 &&
		    (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)))
			_exit(0);
	}
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: clusterd-plugin-host --probe|--serve "
	        "[--memory BYTES] FILE...\n(started by clusterd; see "
	        "docs/plugin-isolation.md)\n");
	_exit(2);
}

int main(int argc, char **argv)
{
	/* Buffers of small cohorts and scores come and go with each request:
	 * from the heap, never unmapped (an unmap costs a TLB shootdown
	 * across CPUs, the largest single cost of a small request). */
	mallopt(M_MMAP_THRESHOLD, 8 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	/* Whatever the server had open stays there, however high its
	 * descriptor limit (clusterd raises it to the hard limit). */
	if (close_range(SOCK + 1, ~0u, 0) != 0) {
		struct rlimit nofile;
		rlim_t top = getrlimit(RLIMIT_NOFILE, &nofile) == 0 &&
		             nofile.rlim_cur != RLIM_INFINITY
		             ? nofile.rlim_cur : 65536;
		for (rlim_t fd = SOCK + 1; fd < top; fd++)
			close((int)fd);
	}
	int probe = 0, i = 1;
	uint64_t mem = 0;
	if (argc < 3)
		usage();
	if (!strcmp(argv[i], "--probe"))
		probe = 1;
	else if (strcmp(argv[i], "--serve"))
		usage();
	for (i++; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--memory") && i + 1 < argc)
			mem = strtoull(argv[++i], NULL, 10);
		else
			usage();
	}
	int nfiles = argc - i;
	if (nfiles < 1 || (probe && nfiles != 1))
		usage();
	char **paths = argv + i;
	int *fds = calloc((size_t)nfiles, sizeof(*fds));
	char err[1024], reason[512];
	if (!fds)
		die("out of memory");
	for (int k = 0; k < nfiles; k++)
		if (plugin_open_file(paths[k], &fds[k], reason, sizeof(reason))) {
			if (probe) {
				send_str(PW_W_REFUSED, reason);
				_exit(0);
			}
			snprintf(err, sizeof(err), "%s: %s", paths[k], reason);
			die(err);
		}
	pthread_t wd;
	if (pthread_create(&wd, NULL, watchdog, NULL) != 0)
		die("cannot start the watchdog thread");
	pthread_detach(wd);
	if (sandbox_limits(mem, err, sizeof(err)) ||
	    sandbox_drop_user(err, sizeof(err)))
		die(err);
	/* Dropping root made /proc/self root's; loading through
	 * /proc/self/fd needs it back until the plugins are in. */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	if (sandbox_stage1(SOCK, err, sizeof(err)))
		die(err);
	W.gen.log = send_log;
	atomic_init(&W.gen.refs, 1);
	for (int k = 0; k < nfiles; k++) {
		char dl[64];
		snprintf(dl, sizeof(dl), "/proc/self/fd/%d", fds[k]);
		W.logs = 0;
		if (plugin_load_fd(&W.gen, fds[k], paths[k], dl, reason,
		                   sizeof(reason)) == CD_OK)
			continue;
		if (probe) {
			send_str(PW_W_REFUSED, reason);
			_exit(0);
		}
		snprintf(err, sizeof(err), "%s: %s", paths[k], reason);
		die(err);
	}
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	pw_buf_t b = {0};
	if (probe) {
		plugin_info_encode(&b, &W.gen.p[0].info);
		if (b.oom)
			die("out of memory");
		pw_send(SOCK, PW_W_DESC, b.p, b.len, NULL, 0);
		_exit(0);
	}
	if (sandbox_stage2(err, sizeof(err)))
		die(err);
	pw_buf_u32(&b, (uint32_t)W.gen.n);
	for (size_t k = 0; k < W.gen.n; k++)
		pw_buf_str(&b, W.gen.p[k].info.name);
	if (b.oom || pw_send(SOCK, PW_W_HELLO, b.p, b.len, NULL, 0))
		_exit(4);
	pw_buf_free(&b);
	serve();
}
