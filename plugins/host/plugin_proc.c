/* plugin_proc.c — starting, probing, pooling and calling plugin workers
 * (see plugin_proc_internal.h; the worker is plugins/worker/). */
#define _GNU_SOURCE
#include "plugin_proc_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cd_error.h"
#include "plugin_cohort_internal.h"
#include "plugin_internal.h"
#include "plugin_wire_internal.h"

/* Scores of larger cohorts come back through a shared segment. */
#define INLINE_SCORES 8192
#define REASON_MAX PW_REASON_MAX
#define MSG_MAX 4096
#define LOGS_PER_CALL 200
/* Idle workers kept per generation. */
#define MAX_IDLE 16
/* How long a worker that closed its socket gets to exit before it is
 * killed. */
#define REAP_MS 2000

typedef struct worker {
	pid_t pid;
	int sock;
	struct worker *next;
} worker_t;

struct plugin_pool {
	plugin_proc_cfg_t own;  /* a copy: a generation may outlive its
	                           registry */
	const plugin_proc_cfg_t *cfg;   /* &own */
	char **argv;            /* host --serve --memory N files... NULL */
	size_t nargv;
	pthread_mutex_t lock;
	worker_t *idle;
	size_t nidle;
};

/* ------------------------------------------------------------ processes */

static int spawn(const plugin_proc_cfg_t *cfg, char *const *argv,
                 worker_t **out, char *err, size_t errlen)
{
	*out = NULL;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return cd_fail(err, errlen, errno == EMFILE || errno == ENFILE
		               ? CD_ELIMIT : CD_EIO, "cannot start a plugin "
		               "worker: socketpair: %s", strerror(errno));
	/* dup2 onto itself would keep close-on-exec. */
	if (sv[1] == PW_WORKER_FD) {
		int fd = fcntl(sv[1], F_DUPFD_CLOEXEC, PW_WORKER_FD + 1);
		close(sv[1]);
		sv[1] = fd;
	}
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, sv[1], PW_WORKER_FD);
	/* The server's threads block signals it handles itself; a worker
	 * starts with none blocked and every handler at its default. */
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
	                                      POSIX_SPAWN_SETSIGDEF);
	char *envp[] = { NULL };
	pid_t pid;
	int rc = sv[1] < 0 ? errno
	                   : posix_spawn(&pid, cfg->host_path, &fa, &at, argv,
	                                 envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (sv[1] >= 0)
		close(sv[1]);
	if (rc) {
		close(sv[0]);
		return cd_fail(err, errlen, CD_EIO, "cannot start the plugin "
		               "worker %s: %s", cfg->host_path, strerror(rc));
	}
	worker_t *w = calloc(1, sizeof(*w));
	if (!w) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(sv[0]);
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	}
	w->pid = pid;
	w->sock = sv[0];
	*out = w;
	return CD_OK;
}

/* Kills (when still running) and reaps; the exit status. */
static int finish(worker_t *w, int force)
{
	int st = 0;
	if (!w)
		return 0;
	close(w->sock);
	if (!force) {
		/* It closed its end: give it a moment to exit by itself. */
		int64_t until = pw_now_ms() + REAP_MS;
		while (waitpid(w->pid, &st, WNOHANG) == 0) {
			if (pw_now_ms() >= until) {
				force = 1;
				break;
			}
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
		}
		if (!force) {
			free(w);
			return st;
		}
	}
	kill(w->pid, SIGKILL);
	while (waitpid(w->pid, &st, 0) < 0 && errno == EINTR)
		;
	free(w);
	return st;
}

/* What ended a worker, for a message: "crashed (SIGSEGV)". */
static void describe(int st, long fault, char *buf, size_t len)
{
	if (fault >= 0) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE,
		                                              (int)fault);
		snprintf(buf, len, "was stopped by the sandbox: forbidden "
		         "system call %s (%ld)", name ? name : "?", fault);
		free(name);
	} else if (WIFSIGNALED(st)) {
		const char *sig = sigabbrev_np(WTERMSIG(st));
		snprintf(buf, len, "crashed (SIG%s%s)", sig ? sig : "?",
		         WTERMSIG(st) == SIGKILL ? ", killed: out of memory?"
		                                 : "");
	} else if (WIFEXITED(st)) {
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
	} else {
		snprintf(buf, len, "ended");
	}
}

static void forward_log(const plugin_proc_cfg_t *cfg, const uint8_t *p,
                        size_t len)
{
	pw_rd_t r = { .p = p, .len = len };
	uint32_t level = pw_rd_u32(&r);
	char *msg = pw_rd_str(&r, MSG_MAX);
	if (msg && level <= CP_LOG_DEBUG)
		plugin_host_logf(cfg->log, cfg->log_ctx, (int)level, "%s", msg);
	free(msg);
}

/* Reads frames until one that is not a log line. A fault report is
 * remembered in *fault and reading goes on to the end of the stream. */
static int next_frame(const plugin_proc_cfg_t *cfg, worker_t *w,
                      int64_t deadline, int cancel_fd, size_t max,
                      uint32_t *type, uint8_t **p, size_t *len, long *fault,
                      int *eof)
{
	unsigned logs = 0;
	for (;;) {
		int rc = pw_recv_cancel(w->sock, deadline, cfg->stop_fd,
		                        cancel_fd, max, type, p, len, NULL, NULL,
		                        eof);
		if (rc)
			return rc;
		if (*type == PW_W_LOG) {
			if (++logs <= LOGS_PER_CALL)
				forward_log(cfg, *p, *len);
		} else if (*type == PW_W_FAULT) {
			pw_rd_t r = { .p = *p, .len = *len };
			*fault = (long)pw_rd_u32(&r);
		} else {
			return CD_OK;
		}
		free(*p);
		*p = NULL;
	}
}

/* What a worker's end says of the plugin (plugin_call_outcome_t): the
 * sandbox or a resource limit stopped it, or it crashed. */
static int end_outcome(int st, long fault)
{
	if (fault >= 0)
		return PLUGIN_CALL_LIMIT;
	if (WIFSIGNALED(st) && (WTERMSIG(st) == SIGKILL ||
	                        WTERMSIG(st) == SIGXCPU ||
	                        WTERMSIG(st) == SIGXFSZ))
		return PLUGIN_CALL_LIMIT;
	return PLUGIN_CALL_CRASH;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The failure of a call that ended on rc (not a result), worded for the
 * run's status; kills or reaps the worker. *outcome (may be NULL) gets
 * what it says of the plugin. */
static int call_failed(worker_t *w, int rc, int eof, long fault,
                       unsigned timeout_ms, const char *who,
                       const char *phase, int *outcome, char *err,
                       size_t errlen)
{
	char how[256];
	int dummy;
	if (!outcome)
		outcome = &dummy;
	*outcome = rc == CD_EDEADLINE ? PLUGIN_CALL_TIMEOUT
	         : rc == CD_EUNAVAIL || rc == CD_ECANCELLED
	           ? PLUGIN_CALL_CANCELLED
	         : rc == CD_ENOMEM ? PLUGIN_CALL_ERROR
	         : rc == CD_ELIMIT ? PLUGIN_CALL_LIMIT : PLUGIN_CALL_CRASH;
	switch (rc) {
	case CD_EDEADLINE:
		finish(w, 1);
		return cd_fail(err, errlen, CD_EDEADLINE, "%s timed out after "
		               "%u.%03u s %s; its worker was stopped", who,
		               timeout_ms / 1000, timeout_ms % 1000, phase);
	case CD_EUNAVAIL:
		finish(w, 1);
		return cd_fail(err, errlen, CD_EUNAVAIL, "%s was stopped %s: "
		               "the server is shutting down", who, phase);
	case CD_ECANCELLED:
		finish(w, 1);
		return cd_fail(err, errlen, CD_ECANCELLED, "%s was stopped %s: "
		               "its run was cancelled", who, phase);
	case CD_ENOMEM:
		finish(w, 1);
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory reading "
		               "what %s answered", who);
	case CD_ELIMIT:
		finish(w, 1);
		return cd_fail(err, errlen, CD_EPLUGIN, "%s broke the worker "
		               "protocol %s (a frame beyond the size limit); its "
		               "worker was stopped", who, phase);
	default: {
		(void)eof;
		int st = finish(w, 0);
		*outcome = end_outcome(st, fault);
		describe(st, fault, how, sizeof(how));
		return cd_fail(err, errlen, CD_EPLUGIN, "%s %s %s", who, how,
		               phase);
	}
	}
}

/* ---------------------------------------------------------------- probe */

int plugin_proc_probe(const plugin_proc_cfg_t *cfg, const char *path,
                      plugin_info_t *info, char *reason, size_t rlen)
{
	memset(info, 0, sizeof(*info));
	char mem[32];
	snprintf(mem, sizeof(mem), "%llu",
	         (unsigned long long)cfg->memory_bytes);
	char *argv[] = { cfg->host_path, "--probe", "--memory", mem,
	                 (char *)path, NULL };
	worker_t *w;
	int rc = spawn(cfg, argv, &w, reason, rlen);
	if (rc)
		return rc;
	int64_t deadline = pw_now_ms() + cfg->probe_ms;
	uint32_t type;
	uint8_t *p = NULL;
	size_t len;
	long fault = -1;
	int eof;
	rc = next_frame(cfg, w, deadline, -1, 1u << 20, &type, &p, &len, &fault,
	                &eof);
	if (rc) {
		rc = call_failed(w, rc, eof, fault, cfg->probe_ms, "the plugin",
		                 "while loading", NULL, reason, rlen);
		return rc == CD_EUNAVAIL || rc == CD_ENOMEM ? rc : CD_EPLUGIN;
	}
	pw_rd_t r = { .p = p, .len = len };
	if (type == PW_W_DESC) {
		rc = plugin_info_decode(&r, info, reason, rlen);
		if (!rc && !(info->path = strdup(path)))
			rc = cd_fail(reason, rlen, CD_ENOMEM, "out of memory");
		if (rc)
			plugin_info_free(info);
	} else if (type == PW_W_REFUSED) {
		char *why = pw_rd_str(&r, MSG_MAX);
		rc = cd_fail(reason, rlen, CD_EPLUGIN, "%s",
		             why ? why : "refused (no reason given)");
		free(why);
	} else {
		rc = cd_fail(reason, rlen, CD_EPLUGIN, "the plugin worker sent "
		             "an unexpected frame (type %u) while loading",
		             (unsigned)type);
	}
	free(p);
	finish(w, 1);
	return rc;
}

/* ----------------------------------------------------------------- pool */

int plugin_pool_create(plugin_pool_t **out, const plugin_proc_cfg_t *cfg,
                       char *const *files, size_t n)
{
	*out = NULL;
	plugin_pool_t *p = calloc(1, sizeof(*p));
	char **argv = calloc(n + 6, sizeof(*argv));
	if (!p || !argv) {
		free(p);
		free(argv);
		return CD_ENOMEM;
	}
	char mem[32];
	snprintf(mem, sizeof(mem), "%llu",
	         (unsigned long long)cfg->memory_bytes);
	argv[0] = strdup(cfg->host_path);
	argv[1] = strdup("--serve");
	argv[2] = strdup("--memory");
	argv[3] = strdup(mem);
	int bad = !argv[0] || !argv[1] || !argv[2] || !argv[3];
	for (size_t i = 0; i < n; i++)
		bad |= !(argv[4 + i] = strdup(files[i]));
	p->nargv = n + 4;
	p->own = *cfg;
	p->own.host_path = argv[0];
	p->own.stop_fd = cfg->stop_fd >= 0
		? fcntl(cfg->stop_fd, F_DUPFD_CLOEXEC, 0) : -1;
	bad |= cfg->stop_fd >= 0 && p->own.stop_fd < 0;
	p->cfg = &p->own;
	p->argv = argv;
	pthread_mutex_init(&p->lock, NULL);
	if (bad) {
		plugin_pool_destroy(p);
		return CD_ENOMEM;
	}
	*out = p;
	return CD_OK;
}

void plugin_pool_destroy(plugin_pool_t *pool)
{
	if (!pool)
		return;
	while (pool->idle) {
		worker_t *w = pool->idle;
		pool->idle = w->next;
		finish(w, 1);
	}
	/* Entries may be NULL after a failed strdup; the count is known. */
	for (size_t i = 0; pool->argv && i < pool->nargv; i++)
		free(pool->argv[i]);
	free(pool->argv);
	if (pool->own.stop_fd >= 0)
		close(pool->own.stop_fd);
	pthread_mutex_destroy(&pool->lock);
	free(pool);
}

static int bad_argv(const plugin_pool_t *pool)
{
	for (size_t i = 0; i < pool->nargv; i++)
		if (!pool->argv[i])
			return 1;
	return 0;
}

/* A started worker that said hello with the pool's plugins. */
static int start(plugin_pool_t *pool, worker_t **out, char *err,
                 size_t errlen)
{
	const plugin_proc_cfg_t *cfg = pool->cfg;
	worker_t *w;
	if (bad_argv(pool))
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	int rc = spawn(cfg, pool->argv, &w, err, errlen);
	if (rc)
		return rc;
	uint32_t type;
	uint8_t *p = NULL;
	size_t len;
	long fault = -1;
	int eof;
	rc = next_frame(cfg, w, pw_now_ms() + cfg->probe_ms, -1, 1u << 20, &type,
	                &p, &len, &fault, &eof);
	if (rc)
		return call_failed(w, rc, eof, fault, cfg->probe_ms, "a plugin "
		                   "worker", "while starting", NULL, err,
		                   errlen);
	pw_rd_t r = { .p = p, .len = len };
	if (type == PW_W_HELLO) {
		rc = pw_rd_u32(&r) == pool->nargv - 4 && !r.bad ? CD_OK
		                                               : CD_EPLUGIN;
		if (rc)
			cd_fail(err, errlen, rc, "a plugin worker loaded another "
			        "set of plugins than probed; reload the plugins");
	} else {
		char *why = type == PW_W_REFUSED ? pw_rd_str(&r, MSG_MAX) : NULL;
		rc = cd_fail(err, errlen, CD_EPLUGIN, "a plugin worker could not "
		             "start: %s", why ? why : "unexpected frame");
		free(why);
	}
	free(p);
	if (rc) {
		finish(w, 1);
		return rc;
	}
	*out = w;
	return CD_OK;
}

static int acquire(plugin_pool_t *pool, worker_t **out, char *err,
                   size_t errlen)
{
	pthread_mutex_lock(&pool->lock);
	worker_t *w = pool->idle;
	if (w) {
		pool->idle = w->next;
		pool->nidle--;
	}
	pthread_mutex_unlock(&pool->lock);
	if (w) {
		*out = w;
		return CD_OK;
	}
	return start(pool, out, err, errlen);
}

static void release(plugin_pool_t *pool, worker_t *w)
{
	pthread_mutex_lock(&pool->lock);
	if (pool->nidle < MAX_IDLE) {
		w->next = pool->idle;
		pool->idle = w;
		pool->nidle++;
		w = NULL;
	}
	pthread_mutex_unlock(&pool->lock);
	if (w)
		pw_send(w->sock, PW_S_EXIT, NULL, 0, NULL, 0);
	finish(w, 1);
}

/* --------------------------------------------------------------- scoring */

static int out_segment(size_t n, int *fd, char *err, size_t errlen)
{
	*fd = memfd_create("clusterd-scores", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (*fd < 0)
		return cd_fail(err, errlen, CD_EIO, "scores segment: %s",
		               strerror(errno));
	/* Fixed size: a worker cannot shrink it under the server's read. */
	if (ftruncate(*fd, (off_t)(n * sizeof(double))) != 0 ||
	    fcntl(*fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	                                 F_SEAL_SEAL) != 0) {
		int e = errno;
		close(*fd);
		*fd = -1;
		return cd_fail(err, errlen, e == ENOMEM || e == ENOSPC
		               ? CD_ENOMEM : CD_EIO, "scores segment: %s",
		               strerror(e));
	}
	return CD_OK;
}

static int send_request(worker_t *w, const plugin_proc_call_t *c,
                        uint32_t flags, int out_fd)
{
	pw_buf_t b = {0};
	size_t clen = 0;
	const void *cbytes = plugin_cohort_bytes(c->cohort, &clen);
	if (cbytes)
		flags |= 4;
	/* One allocation for the request, cohort included. */
	pw_buf_reserve(&b, 4096 + clen + c->n * sizeof(uint32_t));
	/* Tells cohorts apart for the worker's cache of the last one. */
	pw_buf_u64(&b, plugin_cohort_serial(c->cohort));
	pw_buf_u32(&b, flags);
	pw_buf_u32(&b, (uint32_t)c->n);
	if (flags & 1)
		pw_buf_bytes(&b, c->members, c->n * sizeof(uint32_t));
	if (flags & 4) {
		/* A small cohort rides in the request. */
		pw_buf_u64(&b, clen);
		pw_buf_bytes(&b, cbytes, clen);
	}
	pw_buf_u32(&b, (uint32_t)c->k);
	for (size_t j = 0; j < c->k; j++) {
		const plugin_proc_item_t *it = &c->items[j];
		pw_buf_u32(&b, (uint32_t)it->plugin);
		pw_buf_u32(&b, (uint32_t)it->nkv);
		for (size_t i = 0; i < it->nkv; i++) {
			pw_buf_str(&b, it->kv[i].key);
			pw_buf_str(&b, it->kv[i].value);
		}
	}
	int fds[2], nfds = 0;
	if (!(flags & 4))
		fds[nfds++] = plugin_cohort_fd(c->cohort);
	if (out_fd >= 0)
		fds[nfds++] = out_fd;
	int rc = b.oom ? CD_ENOMEM
	               : pw_send(w->sock, PW_S_SCORE, b.p, b.len, fds,
	                         (size_t)nfds);
	pw_buf_free(&b);
	return rc;
}

/* Reads the W_RESULT of item j into its arrays; CD_EPLUGIN and *garbage
 * for anything malformed. */
static int take_result(const plugin_proc_call_t *c, size_t j,
                       const uint8_t *p, size_t len, const double *outs,
                       const char *who, int *garbage, int *reported,
                       char *err, size_t errlen)
{
	const plugin_proc_item_t *it = &c->items[j];
	*garbage = 0;
	*reported = 0;
	pw_rd_t r = { .p = p, .len = len };
	uint32_t idx = pw_rd_u32(&r);
	uint32_t rc = pw_rd_u32(&r);
	char *msg = pw_rd_str(&r, MSG_MAX);
	if (r.bad || !msg || idx != j) {
		free(msg);
		goto garbage;
	}
	if (rc) {
		/* The worker's own plugin_instance said what failed. */
		int ok = rc <= CD_EINTERNAL;
		if (ok)
			cd_fail(err, errlen, (int)rc, "%s", msg);
		free(msg);
		if (!ok)
			goto garbage;
		*reported = 1;
		return (int)rc;
	}
	free(msg);
	if (pw_rd_u32(&r) != c->n)
		goto garbage;
	size_t bytes = c->n * sizeof(double);
	if (!outs) {
		const void *v = pw_rd_bytes(&r, bytes);
		if (!v)
			goto garbage;
		memcpy(it->out, v, bytes);
	} else if (bytes) {
		memcpy(it->out, outs + j * c->n, bytes);
	}
	uint32_t nr = pw_rd_u32(&r);
	if (r.bad || nr > c->n)
		goto garbage;
	for (size_t i = 0; it->reasons && i < c->n; i++)
		it->reasons[i] = NULL;
	long last = -1;
	char text[REASON_MAX + 1];
	for (uint32_t k = 0; k < nr; k++) {
		uint32_t i = pw_rd_u32(&r), l = pw_rd_u32(&r);
		const void *s = l <= REASON_MAX ? pw_rd_bytes(&r, l) : NULL;
		if (!s || i >= c->n || (long)i <= last)
			goto garbage;
		last = i;
		memcpy(text, s, l);
		text[l] = '\0';
		if (it->reasons &&
		    !(it->reasons[i] = it->save(it->save_arg, text)))
			return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	}
	/* The run notes, checked as the service checks them: a worker that
	 * passes what run_note would refuse is lying. */
	int nrc = pw_rd_notes(&r, it->note, it->save_arg);
	if (nrc == CD_ENOMEM)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	if (nrc || r.pos != r.len)
		goto garbage;
	return CD_OK;
garbage:
	*garbage = 1;
	return cd_fail(err, errlen, CD_EPLUGIN, "%s broke the worker protocol "
	               "(a malformed result); its worker was stopped", who);
}

int plugin_pool_score(plugin_pool_t *pool, const plugin_proc_call_t *c,
                      size_t *done, char *err, size_t errlen)
{
	*done = 0;
	char who[160];
	if (!c->k)
		return CD_OK;
	plugin_proc_result_t *res = c->results;
	for (size_t j = 0; res && j < c->k; j++)
		res[j] = (plugin_proc_result_t){0, PLUGIN_CALL_OK, 0};
	snprintf(who, sizeof(who), "plugin '%s' %s", c->items[0].info->name,
	         c->items[0].info->version);
	size_t clen;
	if (plugin_cohort_fd(c->cohort) < 0 &&
	    !plugin_cohort_bytes(c->cohort, &clen))
		return cd_fail(err, errlen, CD_EPRECONDITION, "%s: the cohort is "
		               "not a sealed segment", who);
	int out_fd = -1, rc = CD_OK;
	uint32_t flags = c->members ? 1 : 0;
	if (c->n > INLINE_SCORES) {
		if ((rc = out_segment(c->n * c->k, &out_fd, err, errlen)))
			return rc;
		flags |= 2;
	}
	worker_t *w = NULL;
	/* A pooled worker may have died while idle (the OOM killer, say):
	 * that is no fault of this call, so take a fresh one once. */
	for (int attempt = 0; attempt < 2; attempt++) {
		if ((rc = acquire(pool, &w, err, errlen)))
			break;
		if (!(rc = send_request(w, c, flags, out_fd)))
			break;
		finish(w, 1);
		w = NULL;
		if (rc == CD_ENOMEM)
			break;
		rc = cd_fail(err, errlen, CD_EPLUGIN, "%s: its worker went away "
		             "before the call", who);
	}
	if (!w) {
		if (out_fd >= 0)
			close(out_fd);
		if (res)
			res[0] = (plugin_proc_result_t){1,
				rc == CD_EUNAVAIL ? PLUGIN_CALL_CANCELLED
				: rc == CD_EPLUGIN ? PLUGIN_CALL_CRASH
				: PLUGIN_CALL_ERROR, 0};
		return rc;
	}
	const double *outs = NULL;
	size_t outs_len = c->n * c->k * sizeof(double);
	/* The largest answer a worker may send: scores inline, an index and
	 * a length per reason, PW_REASON_BYTES of reason text, and the run
	 * notes. */
	size_t text = c->n * REASON_MAX;
	size_t max = 64 + c->n * (sizeof(double) + 8) + MSG_MAX +
	             (text < PW_REASON_BYTES ? text : PW_REASON_BYTES) +
	             4 + CP_NOTES_MAX * (8 + PW_NOTE_KEY_MAX + CP_NOTE_MAX);
	int64_t from = pw_now_ms();
	double t0 = now_s();
	for (size_t j = 0; j < c->k && !rc; j++) {
		const plugin_proc_item_t *it = &c->items[j];
		snprintf(who, sizeof(who), "plugin '%s' %s", it->info->name,
		         it->info->version);
		int64_t deadline = it->timeout_ms ? from + it->timeout_ms : 0;
		uint32_t type;
		uint8_t *p = NULL;
		size_t len;
		long fault = -1;
		int eof;
		rc = next_frame(pool->cfg, w, deadline, it->cancel_fd, max,
		                &type, &p, &len,
		                &fault, &eof);
		if (rc) {
			int outcome;
			rc = call_failed(w, rc, eof, fault, it->timeout_ms, who,
			                 "while scoring", &outcome, err, errlen);
			if (res)
				res[j] = (plugin_proc_result_t){1, outcome,
				                                now_s() - t0};
			w = NULL;
			break;
		}
		from = pw_now_ms();
		if (res) {
			double t = now_s();
			res[j] = (plugin_proc_result_t){1, PLUGIN_CALL_OK, t - t0};
			t0 = t;
		}
		int garbage = 0, reported = 0;
		if (type != PW_W_RESULT) {
			garbage = 1;
			rc = cd_fail(err, errlen, CD_EPLUGIN, "%s broke the worker "
			             "protocol (an unexpected frame); its worker was "
			             "stopped", who);
		} else {
			if (out_fd >= 0 && !outs && outs_len) {
				void *m = mmap(NULL, outs_len, PROT_READ, MAP_SHARED,
				               out_fd, 0);
				if (m == MAP_FAILED)
					rc = cd_fail(err, errlen, CD_EIO, "scores segment: "
					             "%s", strerror(errno));
				else
					outs = m;
			}
			if (!rc)
				rc = take_result(c, j, p, len, outs, who, &garbage,
				                 &reported, err, errlen);
		}
		free(p);
		if (rc && res)
			res[j].outcome = garbage ? PLUGIN_CALL_CRASH
			                         : PLUGIN_CALL_ERROR;
		/* Only a failure the worker reported leaves it between
		 * requests; after any other, frames of later items may still
		 * come, so the worker goes. */
		if (garbage || (rc && !reported)) {
			finish(w, 1);
			w = NULL;
		} else if (!rc) {
			(*done)++;
		}
	}
	/* A well-formed failure leaves a healthy worker: the worker stops
	 * at the item that failed and waits for the next request. */
	if (w)
		release(pool, w);
	if (outs)
		munmap((void *)outs, outs_len);
	if (out_fd >= 0)
		close(out_fd);
	return rc;
}
