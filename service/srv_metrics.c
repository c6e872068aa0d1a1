/* srv_metrics.c — the registry of clusterd's metrics and the exposition
 * format (srv_metrics.h). */
#include "srv_metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "cd_status.h"

#define MS 1000000ull          /* nanoseconds */
#define SEC 1000000000ull

/* Calls: a cache lookup answers in well under a millisecond; streams and
 * evaluations may take minutes. */
static const srv_metrics_layout_t lay_grpc = {
	19, {MS / 10, MS / 4, MS / 2, MS, 5 * MS / 2, 5 * MS, 10 * MS,
	     25 * MS, 50 * MS, 100 * MS, 250 * MS, 500 * MS, SEC,
	     5 * SEC / 2, 5 * SEC, 10 * SEC, 30 * SEC, 60 * SEC, 300 * SEC},
	1e9};
/* One fsync is about half a millisecond here; a batch of standings
 * chunks a good part of a second. */
static const srv_metrics_layout_t lay_commit = {
	15, {MS / 4, MS / 2, MS, 2 * MS, 5 * MS, 10 * MS, 25 * MS, 50 * MS,
	     100 * MS, 250 * MS, 500 * MS, SEC, 5 * SEC / 2, 5 * SEC,
	     10 * SEC},
	1e9};
/* Operations per transaction: 1 when idle, up to 4096. */
static const srv_metrics_layout_t lay_batch = {
	13, {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096}, 1};
/* Runs: a second for a small competition, hours for a large one with
 * sensitivity samples. */
static const srv_metrics_layout_t lay_run = {
	14, {SEC / 10, SEC / 2, SEC, 5 * SEC, 10 * SEC, 30 * SEC, 60 * SEC,
	     300 * SEC, 600 * SEC, 1800 * SEC, 3600 * SEC, 7200 * SEC,
	     21600 * SEC, 86400 * SEC},
	1e9};
/* Plugin calls: milliseconds in the server, a worker's start more. */
static const srv_metrics_layout_t lay_plugin = {
	13, {MS, 5 * MS, 10 * MS, 25 * MS, 50 * MS, 100 * MS, 250 * MS,
	     500 * MS, SEC, 5 * SEC, 10 * SEC, 60 * SEC, 300 * SEC},
	1e9};

typedef struct method_m {
	char service[128], method[96];
	atomic_uint_least64_t codes[SRV_METRICS_CODES];
	atomic_int_least64_t in_flight;
	atomic_uint_least64_t received, sent;
	srv_metrics_hist_t dur;
} method_m_t;

typedef struct plugin_m {
	char name[128];
	atomic_uint_least64_t outcome[SRV_METRICS_PLUGIN_OUTCOMES];
	srv_metrics_hist_t dur;
} plugin_m_t;

struct srv_metrics {
	size_t nmethods;            /* + 1: the "unknown" slot at the end */
	method_m_t *methods;
	atomic_uint_least64_t commits_ok, commits_failed;
	srv_metrics_hist_t commit_ops, commit_dur;
	atomic_uint_least64_t runs_finished[SRV_METRICS_STATES];
	srv_metrics_hist_t run_dur;
	pthread_mutex_t plugins_mu; /* adding a plugin's slot */
	atomic_size_t nplugins;     /* slots published */
	plugin_m_t plugins[SRV_METRICS_PLUGINS_MAX];
	srv_metrics_src_t src;
};

/* ------------------------------------------------------------ primitives */

void srv_metrics_hist_observe(srv_metrics_hist_t *h, uint64_t v)
{
	size_t i = 0;
	while (i < h->lay->n && v > h->lay->bound[i])
		i++;
	atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum, v, memory_order_relaxed);
}

static void hist_init(srv_metrics_hist_t *h, const srv_metrics_layout_t *lay)
{
	h->lay = lay;
	for (size_t i = 0; i <= SRV_METRICS_BUCKETS_MAX; i++)
		atomic_init(&h->bucket[i], 0);
	atomic_init(&h->sum, 0);
}

static uint64_t hist_count(const srv_metrics_hist_t *h)
{
	uint64_t n = 0;
	for (size_t i = 0; i <= h->lay->n; i++)
		n += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
	return n;
}

static void buf_vprintf(srv_metrics_buf_t *b, const char *fmt, va_list ap)
{
	if (b->failed)
		return;
	for (;;) {
		va_list cp;
		va_copy(cp, ap);
		size_t room = b->cap - b->len;
		int n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, cp);
		va_end(cp);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap : 4096;
		while (cap - b->len <= (size_t)n)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->failed = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

void srv_metrics_buf_printf(srv_metrics_buf_t *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void srv_metrics_buf_free(srv_metrics_buf_t *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Escapes for a label value (backslash, double quote, line feed) or, with
 * help set, for HELP text (backslash, line feed). */
static void put_escaped(srv_metrics_buf_t *b, const char *s, int help)
{
	const char *run = s;
	for (; *s; s++) {
		const char *esc = *s == '\\' ? "\\\\" : *s == '\n' ? "\\n"
		                : *s == '"' && !help ? "\\\"" : NULL;
		if (!esc)
			continue;
		srv_metrics_buf_printf(b, "%.*s%s", (int)(s - run), run, esc);
		run = s + 1;
	}
	srv_metrics_buf_printf(b, "%s", run);
}

void srv_metrics_fmt_value(double v, char *out, size_t cap)
{
	if (isnan(v)) {
		snprintf(out, cap, "NaN");
	} else if (isinf(v)) {
		snprintf(out, cap, "%s", v > 0 ? "+Inf" : "-Inf");
	} else if (v == floor(v) && fabs(v) < 9007199254740992.0) {
		snprintf(out, cap, "%.0f", v);
	} else {
		/* The shortest of %.15g .. %.17g that reads back as v. */
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(out, cap, "%.*g", prec, v);
			if (strtod(out, NULL) == v)
				break;
		}
	}
}

static void fam_start(srv_metrics_buf_t *b, srv_metrics_fam_t *f)
{
	if (f->started)
		return;
	f->started = 1;
	srv_metrics_buf_printf(b, "# HELP %s ", f->name);
	put_escaped(b, f->help, 1);
	srv_metrics_buf_printf(b, "\n# TYPE %s %s\n", f->name, f->type);
}

static void sample_le(srv_metrics_buf_t *b, srv_metrics_fam_t *f,
                      const char *suffix, const srv_metrics_label_t *l,
                      size_t nl, const char *le, double v)
{
	char val[40];
	fam_start(b, f);
	srv_metrics_buf_printf(b, "%s%s", f->name, suffix);
	if (nl || le) {
		srv_metrics_buf_printf(b, "{");
		for (size_t i = 0; i < nl; i++) {
			srv_metrics_buf_printf(b, "%s%s=\"", i ? "," : "",
			                       l[i].name);
			put_escaped(b, l[i].value ? l[i].value : "", 0);
			srv_metrics_buf_printf(b, "\"");
		}
		if (le)
			srv_metrics_buf_printf(b, "%sle=\"%s\"", nl ? "," : "", le);
		srv_metrics_buf_printf(b, "}");
	}
	srv_metrics_fmt_value(v, val, sizeof(val));
	srv_metrics_buf_printf(b, " %s\n", val);
}

void srv_metrics_sample(srv_metrics_buf_t *b, srv_metrics_fam_t *f,
                        const char *suffix, const srv_metrics_label_t *l,
                        size_t nl, double v)
{
	sample_le(b, f, suffix, l, nl, NULL, v);
}

void srv_metrics_hist_write(srv_metrics_buf_t *b, srv_metrics_fam_t *f,
                            const srv_metrics_label_t *l, size_t nl,
                            const srv_metrics_hist_t *h)
{
	const srv_metrics_layout_t *lay = h->lay;
	uint64_t cum = 0;
	char le[40];
	/* Read once: _count is the +Inf bucket, whatever lands meanwhile. */
	for (size_t i = 0; i <= lay->n; i++) {
		cum += atomic_load_explicit(&h->bucket[i],
		                            memory_order_relaxed);
		if (i < lay->n)
			srv_metrics_fmt_value((double)lay->bound[i] / lay->scale,
			                      le, sizeof(le));
		else
			snprintf(le, sizeof(le), "+Inf");
		sample_le(b, f, "_bucket", l, nl, le, (double)cum);
	}
	sample_le(b, f, "_sum", l, nl, NULL,
	          (double)atomic_load_explicit(&h->sum, memory_order_relaxed) /
	          lay->scale);
	sample_le(b, f, "_count", l, nl, NULL, (double)cum);
}

/* --------------------------------------------------------- clusterd's set */

int srv_metrics_create(srv_metrics_t **out, const rpc_method_t *methods,
                       size_t nmethods, char *err, size_t errlen)
{
	*out = NULL;
	srv_metrics_t *m = calloc(1, sizeof(*m));
	if (!m || !(m->methods = calloc(nmethods + 1, sizeof(*m->methods)))) {
		free(m);
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	}
	m->nmethods = nmethods;
	for (size_t i = 0; i <= nmethods; i++) {
		method_m_t *mm = &m->methods[i];
		/* "/clusters.v1.ClusterRegistry/GetCluster" */
		const char *path = i < nmethods ? methods[i].path : "";
		const char *slash = path[0] == '/' ? strchr(path + 1, '/') : NULL;
		if (slash) {
			snprintf(mm->service, sizeof(mm->service), "%.*s",
			         (int)(slash - path - 1), path + 1);
			snprintf(mm->method, sizeof(mm->method), "%s", slash + 1);
		} else {
			snprintf(mm->service, sizeof(mm->service), "unknown");
			snprintf(mm->method, sizeof(mm->method), "%s",
			         i < nmethods ? path : "unknown");
		}
		for (size_t c = 0; c < SRV_METRICS_CODES; c++)
			atomic_init(&mm->codes[c], 0);
		atomic_init(&mm->in_flight, 0);
		atomic_init(&mm->received, 0);
		atomic_init(&mm->sent, 0);
		hist_init(&mm->dur, &lay_grpc);
	}
	atomic_init(&m->commits_ok, 0);
	atomic_init(&m->commits_failed, 0);
	hist_init(&m->commit_ops, &lay_batch);
	hist_init(&m->commit_dur, &lay_commit);
	for (size_t i = 0; i < SRV_METRICS_STATES; i++)
		atomic_init(&m->runs_finished[i], 0);
	hist_init(&m->run_dur, &lay_run);
	pthread_mutex_init(&m->plugins_mu, NULL);
	atomic_init(&m->nplugins, 0);
	*out = m;
	return CD_OK;
}

void srv_metrics_destroy(srv_metrics_t *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->plugins_mu);
	free(m->methods);
	free(m);
}

void srv_metrics_set_sources(srv_metrics_t *m, const srv_metrics_src_t *src)
{
	m->src = *src;
}

static method_m_t *method_of(srv_metrics_t *m, size_t midx)
{
	return &m->methods[midx < m->nmethods ? midx : m->nmethods];
}

void srv_metrics_call_start(srv_metrics_t *m, size_t midx)
{
	if (!m)
		return;
	atomic_fetch_add_explicit(&method_of(m, midx)->in_flight, 1,
	                          memory_order_relaxed);
}

void srv_metrics_call_end(srv_metrics_t *m, size_t midx, int code,
                          uint64_t ns)
{
	if (!m)
		return;
	method_m_t *mm = method_of(m, midx);
	if (code < 0 || code >= SRV_METRICS_CODES)
		code = 2; /* UNKNOWN */
	atomic_fetch_add_explicit(&mm->codes[code], 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&mm->in_flight, 1, memory_order_relaxed);
	srv_metrics_hist_observe(&mm->dur, ns);
}

void srv_metrics_call_gone(srv_metrics_t *m, size_t midx)
{
	if (!m)
		return;
	atomic_fetch_sub_explicit(&method_of(m, midx)->in_flight, 1,
	                          memory_order_relaxed);
}

void srv_metrics_msg_received(srv_metrics_t *m, size_t midx)
{
	if (m)
		atomic_fetch_add_explicit(&method_of(m, midx)->received, 1,
		                          memory_order_relaxed);
}

void srv_metrics_msg_sent(srv_metrics_t *m, size_t midx)
{
	if (m)
		atomic_fetch_add_explicit(&method_of(m, midx)->sent, 1,
		                          memory_order_relaxed);
}

void srv_metrics_commit(srv_metrics_t *m, size_t ops, uint64_t ns, int ok)
{
	if (!m)
		return;
	atomic_fetch_add_explicit(ok ? &m->commits_ok : &m->commits_failed, 1,
	                          memory_order_relaxed);
	srv_metrics_hist_observe(&m->commit_ops, ops);
	srv_metrics_hist_observe(&m->commit_dur, ns);
}

void srv_metrics_run_finished(srv_metrics_t *m, int state, int64_t ran_ms)
{
	if (!m || state < 0 || state >= SRV_METRICS_STATES)
		return;
	atomic_fetch_add_explicit(&m->runs_finished[state], 1,
	                          memory_order_relaxed);
	if (ran_ms >= 0)
		srv_metrics_hist_observe(&m->run_dur, (uint64_t)ran_ms * MS);
}

/* The slot of plugin name, added when new. Slots are published in order
 * (nplugins, release) after their name is written, so readers that load
 * nplugins (acquire) see whole names without the lock. */
static plugin_m_t *plugin_slot(srv_metrics_t *m, const char *name)
{
	size_t n = atomic_load_explicit(&m->nplugins, memory_order_acquire);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(m->plugins[i].name, name))
			return &m->plugins[i];
	pthread_mutex_lock(&m->plugins_mu);
	n = atomic_load_explicit(&m->nplugins, memory_order_relaxed);
	plugin_m_t *p = NULL;
	for (size_t i = 0; i < n && !p; i++)
		if (!strcmp(m->plugins[i].name, name))
			p = &m->plugins[i];
	if (!p) {
		/* The last slot takes every name past the others. */
		if (n == SRV_METRICS_PLUGINS_MAX)
			p = &m->plugins[n - 1];
		else
			p = &m->plugins[n];
		if (n < SRV_METRICS_PLUGINS_MAX) {
			snprintf(p->name, sizeof(p->name), "%s",
			         n == SRV_METRICS_PLUGINS_MAX - 1 ? "_other"
			                                          : name);
			for (size_t k = 0; k < SRV_METRICS_PLUGIN_OUTCOMES; k++)
				atomic_init(&p->outcome[k], 0);
			hist_init(&p->dur, &lay_plugin);
			atomic_store_explicit(&m->nplugins, n + 1,
			                      memory_order_release);
		}
	}
	pthread_mutex_unlock(&m->plugins_mu);
	return p;
}

void srv_metrics_plugin_call(srv_metrics_t *m, const char *name, int outcome,
                             double seconds)
{
	if (!m || !name || outcome < 0 ||
	    outcome >= SRV_METRICS_PLUGIN_OUTCOMES)
		return;
	plugin_m_t *p = plugin_slot(m, name);
	atomic_fetch_add_explicit(&p->outcome[outcome], 1,
	                          memory_order_relaxed);
	if (!(seconds >= 0))
		seconds = 0;
	srv_metrics_hist_observe(&p->dur, (uint64_t)(seconds * 1e9));
}

/* -------------------------------------------------------------- rendering */

static uint64_t ld(const atomic_uint_least64_t *a)
{
	return atomic_load_explicit(a, memory_order_relaxed);
}

static void render_grpc(srv_metrics_t *m, srv_metrics_buf_t *b)
{
	srv_metrics_fam_t req = {"clusterd_grpc_requests_total", "counter",
		"gRPC calls finished, by method and status code", 0};
	srv_metrics_fam_t dur = {"clusterd_grpc_request_duration_seconds",
		"histogram", "Time from a call's arrival to its status being "
		"sent, by method", 0};
	srv_metrics_fam_t fly = {"clusterd_grpc_requests_in_flight", "gauge",
		"gRPC calls arrived and not yet finished, by method", 0};
	srv_metrics_fam_t rcv = {"clusterd_grpc_messages_received_total",
		"counter", "Request messages received, by method", 0};
	srv_metrics_fam_t snt = {"clusterd_grpc_messages_sent_total",
		"counter", "Response messages sent, by method", 0};
	for (size_t i = 0; i <= m->nmethods; i++) {
		method_m_t *mm = &m->methods[i];
		srv_metrics_label_t l[3] = {{"service", mm->service},
		                            {"method", mm->method},
		                            {"code", NULL}};
		for (int c = 0; c < SRV_METRICS_CODES; c++) {
			uint64_t v = ld(&mm->codes[c]);
			if (!v)
				continue;
			l[2].value = cd_status_name(c);
			srv_metrics_sample(b, &req, "", l, 3, (double)v);
		}
	}
	for (size_t i = 0; i <= m->nmethods; i++) {
		method_m_t *mm = &m->methods[i];
		srv_metrics_label_t l[2] = {{"service", mm->service},
		                            {"method", mm->method}};
		if (hist_count(&mm->dur))
			srv_metrics_hist_write(b, &dur, l, 2, &mm->dur);
	}
	for (size_t i = 0; i <= m->nmethods; i++) {
		method_m_t *mm = &m->methods[i];
		srv_metrics_label_t l[2] = {{"service", mm->service},
		                            {"method", mm->method}};
		int64_t v = atomic_load_explicit(&mm->in_flight,
		                                 memory_order_relaxed);
		/* Every method of the table, so that a query finds 0. */
		if (i < m->nmethods || v)
			srv_metrics_sample(b, &fly, "", l, 2, (double)v);
	}
	for (size_t i = 0; i <= m->nmethods; i++) {
		method_m_t *mm = &m->methods[i];
		srv_metrics_label_t l[2] = {{"service", mm->service},
		                            {"method", mm->method}};
		if (ld(&mm->received))
			srv_metrics_sample(b, &rcv, "", l, 2,
			                   (double)ld(&mm->received));
	}
	for (size_t i = 0; i <= m->nmethods; i++) {
		method_m_t *mm = &m->methods[i];
		srv_metrics_label_t l[2] = {{"service", mm->service},
		                            {"method", mm->method}};
		if (ld(&mm->sent))
			srv_metrics_sample(b, &snt, "", l, 2,
			                   (double)ld(&mm->sent));
	}
}

static const char *state_name(int s)
{
	static const char *const names[SRV_METRICS_STATES] = {
		"UNSPECIFIED", "QUEUED", "RUNNING", "SUCCEEDED", "FAILED",
		"CANCELLED", "STATE_6", "STATE_7"};
	return names[s];
}

static void render_work(srv_metrics_t *m, srv_metrics_buf_t *b)
{
	srv_metrics_fam_t commits = {"clusterd_commits_total", "counter",
		"Group-commit transactions, by result (ok: committed; error: "
		"the store refused the transaction)", 0};
	srv_metrics_fam_t ops = {"clusterd_commit_batch_size", "histogram",
		"Write operations per group-commit transaction", 0};
	srv_metrics_fam_t cdur = {"clusterd_commit_duration_seconds",
		"histogram", "Time to apply and sync one group-commit "
		"transaction", 0};
	srv_metrics_label_t ok = {"result", "ok"}, bad = {"result", "error"};
	srv_metrics_sample(b, &commits, "", &ok, 1, (double)ld(&m->commits_ok));
	srv_metrics_sample(b, &commits, "", &bad, 1,
	                   (double)ld(&m->commits_failed));
	srv_metrics_hist_write(b, &ops, NULL, 0, &m->commit_ops);
	srv_metrics_hist_write(b, &cdur, NULL, 0, &m->commit_dur);

	srv_metrics_fam_t fin = {"clusterd_runs_finished_total", "counter",
		"Runs stored in their final state, by state", 0};
	srv_metrics_fam_t rdur = {"clusterd_run_duration_seconds",
		"histogram", "Time runs spent running (start to stored end), "
		"whatever their final state", 0};
	/* The three final states always; others should never appear. */
	for (int s = 0; s < SRV_METRICS_STATES; s++) {
		uint64_t v = ld(&m->runs_finished[s]);
		int final = s == 3 || s == 4 || s == 5;
		if (!v && !final)
			continue;
		srv_metrics_label_t l = {"state", state_name(s)};
		srv_metrics_sample(b, &fin, "", &l, 1, (double)v);
	}
	srv_metrics_hist_write(b, &rdur, NULL, 0, &m->run_dur);

	static const char *const kinds[SRV_METRICS_PLUGIN_OUTCOMES] = {
		"ok", "error", "crash", "timeout", "limit", "cancelled"};
	srv_metrics_fam_t calls = {"clusterd_plugin_calls_total", "counter",
		"Scoring calls of a plugin (one criterion over a round's "
		"candidates), whatever their outcome", 0};
	srv_metrics_fam_t fails = {"clusterd_plugin_failures_total",
		"counter", "Failed scoring calls, by plugin and kind (error: "
		"the plugin reported one; crash: its worker died or broke the "
		"protocol; timeout; limit: stopped by the sandbox or a "
		"resource limit)", 0};
	srv_metrics_fam_t pdur = {"clusterd_plugin_call_duration_seconds",
		"histogram", "Time of one scoring call, by plugin", 0};
	size_t np = atomic_load_explicit(&m->nplugins, memory_order_acquire);
	for (size_t i = 0; i < np; i++) {
		plugin_m_t *p = &m->plugins[i];
		uint64_t all = 0;
		for (int k = 0; k < SRV_METRICS_PLUGIN_OUTCOMES; k++)
			all += ld(&p->outcome[k]);
		srv_metrics_label_t l = {"plugin", p->name};
		srv_metrics_sample(b, &calls, "", &l, 1, (double)all);
	}
	for (size_t i = 0; i < np; i++) {
		plugin_m_t *p = &m->plugins[i];
		for (int k = SRV_METRICS_PLUGIN_ERROR;
		     k <= SRV_METRICS_PLUGIN_LIMIT; k++) {
			srv_metrics_label_t l[2] = {{"plugin", p->name},
			                            {"kind", kinds[k]}};
			srv_metrics_sample(b, &fails, "", l, 2,
			                   (double)ld(&p->outcome[k]));
		}
	}
	for (size_t i = 0; i < np; i++) {
		srv_metrics_label_t l = {"plugin", m->plugins[i].name};
		srv_metrics_hist_write(b, &pdur, &l, 1, &m->plugins[i].dur);
	}
}

int srv_metrics_render(srv_metrics_t *m, srv_metrics_buf_t *b)
{
	srv_metrics_fam_t info = {"clusterd_build_info", "gauge",
		"Always 1; the version of the running clusterd as a label", 0};
	srv_metrics_label_t v = {"version", m->src.version ? m->src.version
	                                                     : "unknown"};
	srv_metrics_sample(b, &info, "", &v, 1, 1);
	render_grpc(m, b);
	srv_metrics_collect_listen(b, m->src.rpc);
	render_work(m, b);
	srv_metrics_collect_store(b, m->src.store);
	srv_metrics_collect_jobs(b, m->src.jobs);
	srv_metrics_collect_plugins(b, m->src.plugins);
	srv_metrics_collect_process(b);
	return b->failed ? CD_ENOMEM : CD_OK;
}
