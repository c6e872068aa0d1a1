/* plugin_proc: probing files and scoring in pooled workers, against the
 * real clusterd-plugin-host. A probe reports what an in-process load
 * finds, or why the file was refused, the worker crashed or hung; pooled
 * workers score as the server would in-process, and a worker that
 * crashes, hangs or is stopped fails its call only.
 *
 * The broken plugins (bk_*) are only ever loaded by workers here: bk_fork
 * is a fork bomb. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cd_error.h"
#include "plugin_cohort_internal.h"
#include "plugin_internal.h"
#include "plugin_proc_internal.h"
#include "plugin_wire_internal.h"
#include "pt_util.h"

#define FX(name) PT_FIXTURE_DIR "/" name ".so"
#define BK(name) PT_BROKEN_DIR "/" name ".so"

/* Loaded in-process (NONE) as the reference, and in workers (PROCESS). */
static const char *const good_files[][2] = {
	{ FX("fx_good"), "fx_good.so" },
	{ PT_BUILTIN_DIR "/indicator.so", "indicator.so" },
	{ PT_BUILTIN_DIR "/topsis.so", "topsis.so" },
	{ PT_BUILTIN_DIR "/promethee.so", "promethee.so" },
};
/* Workers only. */
static const char *const broken_files[][2] = {
	{ BK("bk_segv"), "bk_segv.so" },
	{ BK("bk_abort"), "bk_abort.so" },
	{ BK("bk_loop"), "bk_loop.so" },
};

static char good_dir[512], proc_dir[512], probe_dir[512];
static char sleeper[1024];

typedef struct logbuf {
	pthread_mutex_t lock;
	char text[65536];
	size_t len;
} logbuf_t;

static logbuf_t proc_log = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void capture(void *ctx, int level, const char *msg)
{
	logbuf_t *l = ctx;
	pthread_mutex_lock(&l->lock);
	int n = snprintf(l->text + l->len, sizeof(l->text) - l->len, "[%d] %s\n",
	                 level, msg);
	if (n > 0 && l->len + (size_t)n < sizeof(l->text))
		l->len += (size_t)n;
	pthread_mutex_unlock(&l->lock);
}

static plugin_registry_t *none_reg, *proc_reg;

/* What the registries' observer (plugin_registry_opts.observe) was told
 * last, and how many times since the last look. */
typedef struct seen {
	pthread_mutex_t lock;
	char plugin[64];
	int outcome;
	double seconds;
	int calls;
} seen_t;

static seen_t seen = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void observe(void *ctx, const char *plugin, int outcome,
                    double seconds)
{
	seen_t *s = ctx;
	pthread_mutex_lock(&s->lock);
	snprintf(s->plugin, sizeof(s->plugin), "%s", plugin);
	s->outcome = outcome;
	s->seconds = seconds;
	s->calls++;
	pthread_mutex_unlock(&s->lock);
}

/* The last call observed was plugin's, with outcome; returns its time
 * and forgets it. outcome -1: no call was observed. */
static double expect_seen(const char *plugin, int outcome)
{
	pthread_mutex_lock(&seen.lock);
	int calls = seen.calls;
	double secs = seen.seconds;
	if (outcome < 0 ? calls != 0
	                : calls != 1 || strcmp(seen.plugin, plugin) ||
	                  seen.outcome != outcome)
		fail_msg("observed %d calls, the last %s outcome %d; want %s "
		         "outcome %d", calls, seen.plugin, seen.outcome,
		         plugin ? plugin : "none", outcome);
	seen.calls = 0;
	pthread_mutex_unlock(&seen.lock);
	assert_true(secs >= 0 && secs < 60);
	return secs;
}

static plugin_registry_t *open_reg(const char *dir, int isolation,
                                   const char *host, unsigned probe_ms)
{
	plugin_registry_opts_t o = {
		.dir = dir, .log = capture, .log_ctx = &proc_log,
		.isolation = isolation, .host_path = host, .probe_ms = probe_ms,
		.observe = observe, .observe_ctx = &seen,
	};
	plugin_registry_t *reg = NULL;
	char err[512];
	int rc = plugin_registry_create(&reg, &o, err, sizeof(err));
	if (rc)
		fail_msg("registry on %s: %s", dir, err);
	return reg;
}

static int setup(void **st)
{
	(void)st;
	pt_mkdtemp(good_dir, sizeof(good_dir));
	pt_mkdtemp(proc_dir, sizeof(proc_dir));
	pt_mkdtemp(probe_dir, sizeof(probe_dir));
	for (size_t i = 0; i < sizeof(good_files) / sizeof(*good_files); i++) {
		pt_copy(good_files[i][0], good_dir, good_files[i][1], 0644);
		pt_copy(good_files[i][0], proc_dir, good_files[i][1], 0644);
	}
	for (size_t i = 0; i < sizeof(broken_files) / sizeof(*broken_files);
	     i++)
		pt_copy(broken_files[i][0], proc_dir, broken_files[i][1], 0644);
	pt_copy(FX("fx_good"), probe_dir, "fx_good.so", 0644);
	pt_copy(FX("fx_noentry"), probe_dir, "fx_noentry.so", 0644);
	pt_copy(FX("fx_failload"), probe_dir, "fx_failload.so", 0644);
	pt_copy(BK("bk_loadcrash"), probe_dir, "bk_loadcrash.so", 0644);
	char path[1024];
	snprintf(path, sizeof(path), "%s/text.so", probe_dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("this is not a shared object\n", f);
	fclose(f);
	/* A "worker" that never answers. */
	snprintf(sleeper, sizeof(sleeper), "%s/sleeper.sh", probe_dir);
	f = fopen(sleeper, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\nexec /bin/sleep 30\n", f);
	fclose(f);
	assert_int_equal(chmod(sleeper, 0755), 0);

	none_reg = open_reg(good_dir, PLUGIN_ISOLATION_NONE, NULL, 0);
	proc_reg = open_reg(proc_dir, PLUGIN_ISOLATION_PROCESS, PT_PLUGIN_HOST,
	                    30000);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	plugin_registry_destroy(none_reg);
	plugin_registry_destroy(proc_reg);
	pt_rmdir(good_dir);
	pt_rmdir(proc_dir);
	pt_rmdir(probe_dir);
	return 0;
}

/* How a crash of a plugin reads. In a sanitizer build the worker's
 * sanitizer still catches the signal and its report ends the worker (an
 * exit status, or the sandbox stopping the report), so there the signal
 * is not always named. */
static int crash_named(const char *msg, const char *sig)
{
	if (strstr(msg, sig))
		return 1;
#ifdef PT_SANITIZE
	return strstr(msg, "exited with status") || strstr(msg, "sandbox");
#else
	return 0;
#endif
}

/* No child process of the test is left, running or unreaped. */
static void no_children(void)
{
	errno = 0;
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/* ---------------------------------------------------------------- probe */

static plugin_proc_cfg_t probe_cfg(const char *host, unsigned ms, int stop)
{
	return (plugin_proc_cfg_t){ .host_path = (char *)host, .probe_ms = ms,
	                            .stop_fd = stop, .log = capture,
	                            .log_ctx = &proc_log };
}

static int probe(const plugin_proc_cfg_t *cfg, const char *file,
                 plugin_info_t *info, char *reason, size_t rlen)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", probe_dir, file);
	reason[0] = '\0';
	return plugin_proc_probe(cfg, path, info, reason, rlen);
}

static void expect_probe_refused(const char *file, const char *why)
{
	plugin_proc_cfg_t cfg = probe_cfg(PT_PLUGIN_HOST, 30000, -1);
	plugin_info_t info;
	char reason[1024];
	int rc = probe(&cfg, file, &info, reason, sizeof(reason));
	int named = strcmp(why, "SIGSEGV") ? strstr(reason, why) != NULL
	                                   : crash_named(reason, why);
	if (rc != CD_EPLUGIN || !named)
		fail_msg("%s: rc %s, reason '%s', expected '%s'", file,
		         cd_err_name(rc), reason, why);
	assert_null(info.name);
	no_children();
}

static void test_probe_good(void **st)
{
	(void)st;
	plugin_proc_cfg_t cfg = probe_cfg(PT_PLUGIN_HOST, 30000, -1);
	plugin_info_t info;
	char reason[1024];
	assert_int_equal(probe(&cfg, "fx_good.so", &info, reason,
	                       sizeof(reason)), CD_OK);
	char path[1024];
	snprintf(path, sizeof(path), "%s/fx_good.so", probe_dir);
	assert_string_equal(info.path, path);
	plugin_generation_t *g = plugin_registry_acquire(none_reg);
	const plugin_info_t *ref = plugin_generation_find(g, "fx_good");
	assert_non_null(ref);
	pt_same_info(&info, ref);
	plugin_generation_release(g);
	plugin_info_free(&info);
	no_children();
}

static void test_probe_refusals(void **st)
{
	(void)st;
	expect_probe_refused("fx_noentry.so", "entry");
	expect_probe_refused("fx_failload.so", "missing data file");
	expect_probe_refused("text.so", "");
	expect_probe_refused("bk_loadcrash.so", "SIGSEGV");
	expect_probe_refused("no_such_file.so", "");
	/* A reason for the text file, whatever dlopen calls it. */
	plugin_proc_cfg_t cfg = probe_cfg(PT_PLUGIN_HOST, 30000, -1);
	plugin_info_t info;
	char reason[1024];
	assert_int_equal(probe(&cfg, "text.so", &info, reason, sizeof(reason)),
	                 CD_EPLUGIN);
	assert_true(strlen(reason) > 0);
}

static void test_probe_no_host(void **st)
{
	(void)st;
	const char *host = "/nonexistent/dir/clusterd-plugin-host";
	plugin_proc_cfg_t cfg = probe_cfg(host, 30000, -1);
	plugin_info_t info;
	char reason[1024];
	assert_int_equal(probe(&cfg, "fx_good.so", &info, reason,
	                       sizeof(reason)), CD_EIO);
	assert_non_null(strstr(reason, host));
	assert_null(info.name);
	no_children();
	/* Not executable. */
	char path[1024];
	snprintf(path, sizeof(path), "%s/text.so", probe_dir);
	cfg = probe_cfg(path, 30000, -1);
	assert_int_equal(probe(&cfg, "fx_good.so", &info, reason,
	                       sizeof(reason)), CD_EIO);
	assert_non_null(strstr(reason, path));
	no_children();
}

/* A worker that never answers: the probe times out and the process is
 * killed and reaped. */
static void test_probe_timeout(void **st)
{
	(void)st;
	plugin_proc_cfg_t cfg = probe_cfg(sleeper, 300, -1);
	plugin_info_t info;
	char reason[1024];
	int64_t t0 = pw_now_ms();
	int rc = probe(&cfg, "fx_good.so", &info, reason, sizeof(reason));
	int64_t took = pw_now_ms() - t0;
	assert_int_equal(rc, CD_EPLUGIN);
	assert_non_null(strstr(reason, "timed out"));
	assert_true(took >= 290 && took < 10000);
	no_children();
}

typedef struct poke {
	int fd;
	unsigned ms;
	plugin_registry_t *reg;
} poke_t;

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

static void *poke(void *arg)
{
	poke_t *p = arg;
	sleep_ms(p->ms);
	if (p->reg)
		plugin_registry_stop(p->reg);
	else if (eventfd_write(p->fd, 1) != 0)
		abort();
	return NULL;
}

/* Stopping ends a waiting probe at once (well before its time limit),
 * and every later one. */
static void test_probe_stopped(void **st)
{
	(void)st;
	int stop = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(stop >= 0);
	plugin_proc_cfg_t cfg = probe_cfg(sleeper, 60000, stop);
	plugin_info_t info;
	char reason[1024];
	poke_t pk = { .fd = stop, .ms = 200 };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, poke, &pk), 0);
	int64_t t0 = pw_now_ms();
	int rc = probe(&cfg, "fx_good.so", &info, reason, sizeof(reason));
	int64_t took = pw_now_ms() - t0;
	pthread_join(t, NULL);
	assert_int_equal(rc, CD_EUNAVAIL);
	assert_true(took < 10000);
	no_children();
	/* Stopped stays stopped, even with a real worker. */
	cfg = probe_cfg(PT_PLUGIN_HOST, 60000, stop);
	assert_int_equal(probe(&cfg, "fx_good.so", &info, reason,
	                       sizeof(reason)), CD_EUNAVAIL);
	no_children();
	close(stop);
}

/* A reload whose probes are stopped lists the file as refused for the
 * shutdown. */
static void test_registry_stop_during_reload(void **st)
{
	(void)st;
	char dir[512];
	pt_mkdtemp(dir, sizeof(dir));
	plugin_registry_t *reg = open_reg(dir, PLUGIN_ISOLATION_PROCESS,
	                                  sleeper, 60000);
	pt_copy(FX("fx_good"), dir, "fx_good.so", 0644);
	poke_t pk = { .reg = reg, .ms = 200 };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, poke, &pk), 0);
	char err[256];
	int64_t t0 = pw_now_ms();
	assert_int_equal(plugin_registry_reload(reg, err, sizeof(err)), CD_OK);
	assert_true(pw_now_ms() - t0 < 10000);
	pthread_join(t, NULL);
	plugin_generation_t *g = plugin_registry_acquire(reg);
	assert_int_equal(plugin_generation_count(g), 0);
	assert_int_equal(plugin_generation_refused_count(g), 1);
	assert_non_null(strstr(plugin_generation_refused(g, 0)->reason,
	                       "shutting down"));
	plugin_generation_release(g);
	plugin_registry_destroy(reg);
	no_children();
	pt_rmdir(dir);
}

/* ----------------------------------------------------------------- pool */

/* Cluster i has x = i + 1, except every seventh, which has none (and so
 * a reason from fx_good); y for topsis. */
static plugin_cohort_t *make_cohort_as(unsigned n, int file);

/* Sealed the ordinary way: a small cohort stays in the heap and crosses
 * to the worker inside the request. */
static plugin_cohort_t *make_cohort(unsigned n)
{
	return make_cohort_as(n, 0);
}

/* file: sealed into a memfd the worker maps, whatever the size. */
static plugin_cohort_t *make_cohort_as(unsigned n, int file)
{
	plugin_cohort_t *c = pt_cohort();
	for (unsigned i = 0; i < n; i++) {
		char id[32];
		snprintf(id, sizeof(id), "c%u", i);
		pt_cluster(c, id);
		if (i % 7 != 3)
			pt_ind(c, "x", 2020, i + 1.0);
		pt_ind(c, "y", 2020, (double)((i * 37) % 101));
	}
	if (file) {
		char err[256];
		assert_int_equal(plugin_cohort_seal_file(c, err, sizeof(err)),
		                 CD_OK);
		assert_true(plugin_cohort_fd(c) >= 0);
	} else {
		pt_seal(c);
	}
	return c;
}

typedef struct result {
	int rc;
	char err[1024];
	double *out;
	const char **reasons;  /* copies, free() them */
	size_t n;
	plugin_note_t notes[CP_NOTES_MAX];  /* copies */
	size_t nnotes;
} result_t;

/* Copies inst's run notes into r. */
static void take_notes(result_t *r, const plugin_instance_t *inst)
{
	const plugin_note_t *v = plugin_instance_notes(inst, &r->nnotes);
	for (size_t i = 0; i < r->nnotes; i++) {
		r->notes[i].key = strdup(v[i].key);
		r->notes[i].value = strdup(v[i].value);
		assert_true(r->notes[i].key && r->notes[i].value);
	}
}

static void result_free(result_t *r)
{
	for (size_t i = 0; i < r->nnotes; i++) {
		free((char *)r->notes[i].key);
		free((char *)r->notes[i].value);
	}
	for (size_t i = 0; r->reasons && i < r->n; i++)
		free((char *)r->reasons[i]);
	free(r->reasons);
	free(r->out);
	memset(r, 0, sizeof(*r));
}

/* Opens plugin with "k=v" params on reg and scores c. */
static result_t score(plugin_registry_t *reg, const char *plugin,
                      const char *const *params, const plugin_cohort_t *c,
                      unsigned timeout_ms)
{
	result_t r = { .n = plugin_cohort_size(c) };
	r.out = calloc(r.n ? r.n : 1, sizeof(*r.out));
	const char **reasons = calloc(r.n ? r.n : 1, sizeof(*reasons));
	r.reasons = calloc(r.n ? r.n : 1, sizeof(*r.reasons));
	assert_true(r.out && reasons && r.reasons);
	plugin_kv_t kv[8];
	char buf[8][128];
	size_t n = 0;
	for (; params && params[n]; n++) {
		snprintf(buf[n], sizeof(buf[n]), "%s", params[n]);
		char *eq = strchr(buf[n], '=');
		*eq = '\0';
		kv[n] = (plugin_kv_t){ buf[n], eq + 1 };
	}
	plugin_generation_t *g = plugin_registry_acquire(reg);
	plugin_instance_t *inst = NULL;
	r.rc = plugin_instance_open(&inst, g, plugin, kv, n, r.err,
	                            sizeof(r.err));
	plugin_generation_release(g);
	if (r.rc) {
		free(reasons);
		return r;
	}
	plugin_instance_set_timeout(inst, timeout_ms);
	r.rc = plugin_instance_score(inst, c, r.out, reasons, r.err,
	                             sizeof(r.err));
	for (size_t i = 0; !r.rc && i < r.n; i++)
		r.reasons[i] = reasons[i] ? strdup(reasons[i]) : NULL;
	free(reasons);
	take_notes(&r, inst);
	plugin_instance_close(inst);
	return r;
}

static void same_double(double a, double b, size_t i)
{
	if (isnan(a) && isnan(b))
		return;
	if (a != b)
		fail_msg("score %zu: %.17g != %.17g", i, a, b);
}

/* The same scores, reasons and run notes, x[i] against
 * y[map ? map[i] : i]. */
static void same_results(const result_t *x, const result_t *y,
                         const uint32_t *map)
{
	if (x->rc || y->rc)
		fail_msg("%s: %s / %s: %s", cd_err_name(x->rc), x->err,
		         cd_err_name(y->rc), y->err);
	assert_int_equal(x->nnotes, y->nnotes);
	for (size_t i = 0; i < x->nnotes; i++) {
		assert_string_equal(x->notes[i].key, y->notes[i].key);
		assert_string_equal(x->notes[i].value, y->notes[i].value);
	}
	for (size_t i = 0; i < x->n; i++) {
		size_t j = map ? map[i] : i;
		same_double(x->out[i], y->out[j], i);
		if (x->reasons[i] || y->reasons[j])
			assert_string_equal(x->reasons[i], y->reasons[j]);
	}
}

static void test_pool_same_as_in_process(void **st)
{
	(void)st;
	plugin_cohort_t *c = make_cohort(40);
	static const char *const fx[] = { "factor=2.5", "indicator=x", NULL };
	static const char *const fx_inf[] = { "mode=inf", NULL };
	static const char *const fx_note[] = { "mode=note", NULL };
	static const char *const ind[] = { "indicator=x", NULL };
	static const char *const top[] = { "indicators=x,y", NULL };
	static const char *const pro[] = { "indicators=x,y",
	                                   "preference=linear,gaussian",
	                                   "q=1,-", "p=5,-", "s=-,20", NULL };
	static const char *const top_critic[] = { "indicators=x,y",
	                                          "weights=critic", NULL };
	struct {
		const char *plugin;
		const char *const *params;
	} cases[] = {
		{ "fx_good", fx }, { "fx_good", fx_inf },
		{ "fx_good", fx_note }, { "indicator", ind },
		{ "topsis", top }, { "topsis", top_critic },
		{ "promethee", pro },
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(*cases); k++) {
		result_t a = score(none_reg, cases[k].plugin, cases[k].params, c, 0);
		result_t b = score(proc_reg, cases[k].plugin, cases[k].params, c,
		                   10000);
		if (a.rc || b.rc)
			fail_msg("%s: %s / %s", cases[k].plugin, a.err, b.err);
		same_results(&b, &a, NULL);
		result_free(&a);
		result_free(&b);
	}
	/* The reasons came back through the worker: fx_good's own, and the
	 * host's for an infinity. */
	result_t b = score(proc_reg, "fx_good", fx, c, 10000);
	assert_int_equal(b.rc, CD_OK);
	assert_true(isnan(b.out[3]));
	assert_string_equal(b.reasons[3], "no 'x'");
	assert_true(b.out[4] == 2.5 * 5);
	assert_null(b.reasons[4]);
	result_free(&b);
	b = score(proc_reg, "fx_good", fx_inf, c, 10000);
	assert_int_equal(b.rc, CD_OK);
	assert_true(isnan(b.out[39]));
	assert_non_null(strstr(b.reasons[39], "+Inf is not a finite number"));
	result_free(&b);
	/* The run notes came back through the worker, cut as the host cuts
	 * them (fx_notes); a plugin that makes none has none. */
	b = score(proc_reg, "fx_good", fx_note, c, 10000);
	assert_int_equal(b.rc, CD_OK);
	assert_int_equal(b.nnotes, 2);
	assert_string_equal(b.notes[0].key, "scored");
	assert_string_equal(b.notes[0].value, "40 clusters");
	assert_string_equal(b.notes[1].key, "text");
	assert_int_equal(strlen(b.notes[1].value), CP_NOTE_MAX - 2);
	result_free(&b);
	b = score(proc_reg, "fx_good", fx, c, 10000);
	assert_int_equal(b.nnotes, 0);
	result_free(&b);
	b = score(proc_reg, "topsis", top_critic, c, 10000);
	assert_int_equal(b.nnotes, 1);
	assert_string_equal(b.notes[0].key, "weights");
	assert_true(strncmp(b.notes[0].value, "critic: x 0.", 12) == 0);
	result_free(&b);
	plugin_cohort_destroy(c);
}

/* Criteria of one request keep their own notes; a failed criterion keeps
 * none, nor do those after it. */
static void test_pool_notes_batch(void **st)
{
	(void)st;
	plugin_cohort_t *c = make_cohort(10);
	plugin_generation_t *g = plugin_registry_acquire(proc_reg);
	static const char *const modes[] = { "note", "ok", "note", "notefail",
	                                     "note" };
	enum { K = 5 };
	plugin_instance_t *inst[K];
	double out[K][10], *outs[K];
	char err[512];
	for (size_t j = 0; j < K; j++) {
		plugin_kv_t kv = { "mode", modes[j] };
		assert_int_equal(plugin_instance_open(&inst[j], g, "fx_good",
		                                      &kv, 1, err, sizeof(err)),
		                 CD_OK);
		plugin_instance_set_timeout(inst[j], 10000);
		outs[j] = out[j];
	}
	size_t done = 0;
	assert_int_equal(plugin_instance_score_many(inst, 3, c, outs, NULL,
	                                            &done, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(done, 3);
	size_t n[K];
	for (size_t j = 0; j < 3; j++)
		plugin_instance_notes(inst[j], &n[j]);
	assert_int_equal(n[0], 2);
	assert_int_equal(n[1], 0);
	assert_int_equal(n[2], 2);
	assert_string_equal(plugin_instance_notes(inst[2], &n[2])[0].value,
	                    "10 clusters");
	/* Again, with the failure in the middle: the first keeps its notes
	 * of this call, the failed one and the one never run none. */
	assert_int_equal(plugin_instance_score_many(inst + 2, 3, c, outs + 2,
	                                            NULL, &done, err,
	                                            sizeof(err)), CD_EPLUGIN);
	assert_int_equal(done, 1);
	assert_non_null(strstr(err, "failed after noting"));
	plugin_instance_notes(inst[2], &n[2]);
	plugin_instance_notes(inst[3], &n[3]);
	plugin_instance_notes(inst[4], &n[4]);
	assert_int_equal(n[2], 2);
	assert_int_equal(n[3], 0);
	assert_int_equal(n[4], 0);
	for (size_t j = 0; j < K; j++)
		plugin_instance_close(inst[j]);
	plugin_generation_release(g);
	plugin_cohort_destroy(c);
}

/* A plugin's own failure is its call's; the worker stays usable. */
static void test_pool_plugin_failure(void **st)
{
	(void)st;
	plugin_cohort_t *c = make_cohort(5);
	static const char *const fail[] = { "mode=fail", NULL };
	seen.calls = 0;
	result_t r = score(proc_reg, "fx_good", fail, c, 10000);
	assert_int_equal(r.rc, CD_EPLUGIN);
	assert_non_null(strstr(r.err, "deliberate failure"));
	result_free(&r);
	expect_seen("fx_good", PLUGIN_CALL_ERROR);
	/* A bad param never reaches a worker: no call to observe. */
	static const char *const badp[] = { "factor=lots", NULL };
	r = score(proc_reg, "fx_good", badp, c, 10000);
	assert_int_equal(r.rc, CD_EV_DEFINITION);
	assert_non_null(strstr(r.err, "factor"));
	result_free(&r);
	expect_seen(NULL, -1);
	r = score(proc_reg, "fx_good", NULL, c, 10000);
	assert_int_equal(r.rc, CD_OK);
	result_free(&r);
	expect_seen("fx_good", PLUGIN_CALL_OK);
	/* In the server: the same outcomes. */
	r = score(none_reg, "fx_good", fail, c, 10000);
	assert_int_equal(r.rc, CD_EPLUGIN);
	result_free(&r);
	expect_seen("fx_good", PLUGIN_CALL_ERROR);
	r = score(none_reg, "fx_good", NULL, c, 10000);
	assert_int_equal(r.rc, CD_OK);
	result_free(&r);
	expect_seen("fx_good", PLUGIN_CALL_OK);
	plugin_cohort_destroy(c);
}

static void expect_crash(const char *plugin, const char *sig)
{
	plugin_cohort_t *c = make_cohort(5);
	seen.calls = 0;
	result_t r = score(proc_reg, plugin, NULL, c, 10000);
	if (r.rc != CD_EPLUGIN || !strstr(r.err, plugin) ||
	    !crash_named(r.err, sig))
		fail_msg("%s: %s: %s", plugin, cd_err_name(r.rc), r.err);
	result_free(&r);
	expect_seen(plugin, PLUGIN_CALL_CRASH);
	/* The next call on the registry gets a sound worker. */
	r = score(proc_reg, "fx_good", NULL, c, 10000);
	assert_int_equal(r.rc, CD_OK);
	assert_true(r.out[1] == 2);
	result_free(&r);
	plugin_cohort_destroy(c);
}

static void test_pool_crashes(void **st)
{
	(void)st;
	expect_crash("bk_segv", "SIGSEGV");
	expect_crash("bk_abort", "SIGABRT");
	/* Twice in a row: each crash costs its own worker only. */
	expect_crash("bk_segv", "SIGSEGV");
}

static void test_pool_timeout(void **st)
{
	(void)st;
	plugin_cohort_t *c = make_cohort(5);
	seen.calls = 0;
	int64_t t0 = pw_now_ms();
	result_t r = score(proc_reg, "bk_loop", NULL, c, 300);
	int64_t took = pw_now_ms() - t0;
	assert_int_equal(r.rc, CD_EDEADLINE);
	assert_non_null(strstr(r.err, "bk_loop"));
	assert_non_null(strstr(r.err, "timed out after 0.300 s"));
	assert_true(took >= 290 && took < 15000);
	result_free(&r);
	assert_true(expect_seen("bk_loop", PLUGIN_CALL_TIMEOUT) >= 0.29);
	r = score(proc_reg, "fx_good", NULL, c, 10000);
	assert_int_equal(r.rc, CD_OK);
	result_free(&r);
	plugin_cohort_destroy(c);
}

/* While a worker spins (bk_loop), looks at what it holds open. */
typedef struct fd_watch {
	int high;       /* a descriptor of the test without close-on-exec */
	int children;   /* workers seen */
	int leaked;     /* of them holding `high` */
} fd_watch_t;

static void *watch_fds(void *arg)
{
	fd_watch_t *w = arg;
	struct timespec ts = { 0, 150 * 1000000L };
	nanosleep(&ts, NULL);
	char path[512], buf[4096], dir[64];
	/* Workers are children of whichever thread spawned them. */
	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)getpid());
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/children", dir, e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		for (char *p = strtok(buf, " \n"); p; p = strtok(NULL, " \n")) {
			char fdp[128];
			snprintf(fdp, sizeof(fdp), "/proc/%s/fd/%d", p, w->high);
			w->children++;
			struct stat sb;
			if (lstat(fdp, &sb) == 0)
				w->leaked++;
		}
	}
	if (d)
		closedir(d);
	return NULL;
}

/* A worker starts with the socket and stdio only, whatever the server
 * holds open and however high (clusterd raises its descriptor limit). */
static void test_worker_inherits_no_descriptors(void **st)
{
	(void)st;
	int fd = open("/dev/null", O_RDONLY);   /* no O_CLOEXEC on purpose */
	assert_true(fd >= 0);
	fd_watch_t w = { .high = 1500 };
	struct rlimit lim;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &lim), 0);
	if (lim.rlim_cur <= (rlim_t)w.high) {
		lim.rlim_cur = lim.rlim_max > 2048 ? 2048 : lim.rlim_max;
		setrlimit(RLIMIT_NOFILE, &lim);
	}
	if (dup2(fd, w.high) != w.high) {
		close(fd);
		skip();
	}
	close(fd);
	/* A registry of its own: its workers start after the descriptor. */
	plugin_registry_t *reg = open_reg(proc_dir, PLUGIN_ISOLATION_PROCESS,
	                                  PT_PLUGIN_HOST, 30000);
	plugin_cohort_t *c = make_cohort(5);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, watch_fds, &w), 0);
	result_t r = score(reg, "bk_loop", NULL, c, 600);
	pthread_join(t, NULL);
	plugin_registry_destroy(reg);
	assert_int_equal(r.rc, CD_EDEADLINE);
	assert_true(w.children >= 1);
	assert_int_equal(w.leaked, 0);
	result_free(&r);
	close(w.high);
	plugin_cohort_destroy(c);
}

/* A view is scored as its whole cohort and the members: each member gets
 * its own score. */
static void test_pool_view(void **st)
{
	(void)st;
	plugin_cohort_t *c = make_cohort(30);
	uint32_t idx[] = { 29, 3, 0, 17, 17, 10 };
	size_t n = sizeof(idx) / sizeof(*idx);
	plugin_cohort_t *v = NULL;
	char err[256];
	assert_int_equal(plugin_cohort_view(&v, c, idx, n, err, sizeof(err)),
	                 CD_OK);
	static const char *const fx[] = { "factor=3", NULL };
	result_t whole = score(none_reg, "fx_good", fx, c, 0);
	result_t part = score(proc_reg, "fx_good", fx, v, 10000);
	assert_int_equal(part.n, n);
	same_results(&part, &whole, idx);
	assert_true(part.out[0] == 3 * 30);
	assert_string_equal(part.reasons[1], "no 'x'");
	result_free(&whole);
	result_free(&part);
	/* topsis depends on who else is scored: the view's scores are those
	 * of the members alone, as in-process. */
	static const char *const top[] = { "indicators=x,y", NULL };
	result_t a = score(none_reg, "topsis", top, v, 0);
	result_t b = score(proc_reg, "topsis", top, v, 10000);
	same_results(&b, &a, NULL);
	result_free(&a);
	result_free(&b);

	/* The pool itself takes only whole sealed cohorts. */
	plugin_generation_t *g = plugin_registry_acquire(proc_reg);
	double out[6];
	plugin_proc_item_t item = {
		.plugin = 0, .info = plugin_generation_info(g, 0), .out = out,
		.cancel_fd = -1,
	};
	plugin_proc_call_t call = {
		.cohort = v, .n = n, .items = &item, .k = 1,
	};
	size_t done = 7;
	assert_int_equal(plugin_pool_score(g->pool, &call, &done, err,
	                                   sizeof(err)), CD_EPRECONDITION);
	assert_int_equal(done, 0);
	plugin_generation_release(g);
	plugin_cohort_destroy(v);
	plugin_cohort_destroy(c);
}

/* A criterion's reasons come back cut to 1024 bytes each and 64 MiB in
 * all: past that they are left out, and the scores are all there. */
static void test_pool_reason_budget(void **st)
{
	(void)st;
	const unsigned n = 70000;
	plugin_cohort_t *c = make_cohort_as(n, 1);
	static const char *const fx[] = { "mode=long", NULL };
	result_t r = score(proc_reg, "fx_good", fx, c, 60000);
	assert_int_equal(r.rc, CD_OK);
	size_t kept = (64u << 20) / 1024;
	assert_non_null(r.reasons[0]);
	assert_int_equal(strlen(r.reasons[0]), 1024);
	assert_non_null(r.reasons[kept - 1]);
	assert_null(r.reasons[kept]);
	assert_null(r.reasons[n - 1]);
	assert_true(r.out[n - 1] == n);   /* factor 1, x = i + 1 */
	result_free(&r);
	plugin_cohort_destroy(c);
}

/* Beyond 8192 clusters the scores come back through a shared segment;
 * the cohort is a memfd the worker maps (beyond 1 MiB it would be one
 * anyway). */
static void test_pool_large(void **st)
{
	(void)st;
	plugin_cohort_t *c = make_cohort_as(9000, 1);
	static const char *const fx[] = { "factor=0.5", NULL };
	result_t a = score(none_reg, "fx_good", fx, c, 0);
	result_t b = score(proc_reg, "fx_good", fx, c, 30000);
	same_results(&b, &a, NULL);
	assert_true(b.out[8999] == 0.5 * 9000);
	assert_string_equal(b.reasons[8991], "no 'x'");   /* 8991 % 7 == 3 */
	result_free(&a);
	result_free(&b);
	/* A view of it, large too. */
	uint32_t *idx = malloc(8500 * sizeof(*idx));
	assert_non_null(idx);
	for (uint32_t i = 0; i < 8500; i++)
		idx[i] = 8999 - i;
	plugin_cohort_t *v = NULL;
	char err[256];
	assert_int_equal(plugin_cohort_view(&v, c, idx, 8500, err, sizeof(err)),
	                 CD_OK);
	a = score(none_reg, "fx_good", fx, v, 0);
	b = score(proc_reg, "fx_good", fx, v, 30000);
	same_results(&b, &a, NULL);
	result_free(&a);
	result_free(&b);
	plugin_cohort_destroy(v);
	free(idx);
	plugin_cohort_destroy(c);
}

typedef struct score_arg {
	plugin_registry_t *reg;
	const plugin_cohort_t *c;
	result_t r;
} score_arg_t;

/* Stopping the registry ends a call that is waiting on a hung worker at
 * once, and refuses later ones. Last: the registry stays stopped. */
static void test_pool_stopped(void **st)
{
	(void)st;
	plugin_cohort_t *c = make_cohort(5);
	poke_t pk = { .reg = proc_reg, .ms = 300 };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, poke, &pk), 0);
	seen.calls = 0;
	int64_t t0 = pw_now_ms();
	result_t r = score(proc_reg, "bk_loop", NULL, c, 0);   /* no limit */
	int64_t took = pw_now_ms() - t0;
	pthread_join(t, NULL);
	assert_int_equal(r.rc, CD_EUNAVAIL);
	assert_non_null(strstr(r.err, "shutting down"));
	assert_true(took < 15000);
	result_free(&r);
	expect_seen("bk_loop", PLUGIN_CALL_CANCELLED);
	t0 = pw_now_ms();
	r = score(proc_reg, "fx_good", NULL, c, 10000);
	assert_int_equal(r.rc, CD_EUNAVAIL);
	assert_true(pw_now_ms() - t0 < 5000);
	result_free(&r);
	plugin_cohort_destroy(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_good),
		cmocka_unit_test(test_probe_refusals),
		cmocka_unit_test(test_probe_no_host),
		cmocka_unit_test(test_probe_timeout),
		cmocka_unit_test(test_probe_stopped),
		cmocka_unit_test(test_registry_stop_during_reload),
		cmocka_unit_test(test_pool_same_as_in_process),
		cmocka_unit_test(test_pool_notes_batch),
		cmocka_unit_test(test_pool_plugin_failure),
		cmocka_unit_test(test_pool_crashes),
		cmocka_unit_test(test_pool_timeout),
		cmocka_unit_test(test_pool_view),
		cmocka_unit_test(test_pool_large),
		cmocka_unit_test(test_pool_reason_budget),
		cmocka_unit_test(test_worker_inherits_no_descriptors),
		cmocka_unit_test(test_pool_stopped),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
