/* srv_metrics: the exposition format (values, escaping, histogram
 * buckets), the registry (calls, codes, in flight, commits, runs,
 * plugins), the series read at scrape time (store, runs, process), and
 * the HTTP listener (paths, methods, failures, connection limit, idle
 * timeout, descriptors). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cd_error.h"
#include "srv_commit.h"
#include "srv_jobs.h"
#include "srv_metrics.h"
#include "srv_metrics_http.h"
#include "store.h"

/* ---------------------------------------------------------------- helpers */

static char *render_str(srv_metrics_t *m)
{
	srv_metrics_buf_t b = {0};
	assert_int_equal(srv_metrics_render(m, &b), CD_OK);
	srv_metrics_buf_printf(&b, "%s", "");
	char *s = strndup(b.p, b.len);
	srv_metrics_buf_free(&b);
	return s;
}

static void assert_has(const char *text, const char *line)
{
	if (!strstr(text, line))
		fail_msg("missing: %s\nin:\n%s", line, text);
}

static void assert_lacks(const char *text, const char *line)
{
	if (strstr(text, line))
		fail_msg("unexpected: %s", line);
}

static const rpc_method_t table[] = {
	{"/a.v1.Svc/Get", "a.v1.Svc", RPC_UNARY, NULL, 0, RPC_ROLE_READER, 0,
	 0},
	{"/a.v1.Svc/Import", "a.v1.Svc", RPC_CLIENT_STREAM, NULL, 0,
	 RPC_ROLE_EDITOR, 0, 1},
	{"nopath", "", RPC_UNARY, NULL, 0, RPC_ROLE_READER, 0, 0},
};

/* ---------------------------------------------------------------- format */

static void test_fmt_value(void **state)
{
	(void)state;
	static const struct {
		double v;
		const char *s;
	} cases[] = {
		{0, "0"}, {1, "1"}, {-3, "-3"}, {0.5, "0.5"}, {0.1, "0.1"},
		{0.0001, "0.0001"}, {2.5, "2.5"}, {1e-9, "1e-09"},
		{123456789012.0, "123456789012"},
		{9007199254740992.0, "9007199254740992"},
		{1e300, "1e+300"}, {1.0 / 3, "0.3333333333333333"},
	};
	char out[64];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		srv_metrics_fmt_value(cases[i].v, out, sizeof(out));
		assert_string_equal(out, cases[i].s);
		assert_true(strtod(out, NULL) == cases[i].v);
	}
	srv_metrics_fmt_value(NAN, out, sizeof(out));
	assert_string_equal(out, "NaN");
	srv_metrics_fmt_value(INFINITY, out, sizeof(out));
	assert_string_equal(out, "+Inf");
	srv_metrics_fmt_value(-INFINITY, out, sizeof(out));
	assert_string_equal(out, "-Inf");
}

static void test_escaping(void **state)
{
	(void)state;
	srv_metrics_buf_t b = {0};
	srv_metrics_fam_t f = {"x_total", "counter",
		"Help with \\ backslash,\nnewline and \"quotes\"", 0};
	srv_metrics_label_t l[2] = {{"a", "back\\slash \"quoted\"\nline"},
	                            {"b", NULL}};
	srv_metrics_sample(&b, &f, "", l, 2, 7);
	srv_metrics_sample(&b, &f, "", NULL, 0, 8);
	srv_metrics_buf_printf(&b, "%s", "");
	assert_string_equal(b.p,
		"# HELP x_total Help with \\\\ backslash,\\nnewline and "
		"\"quotes\"\n"
		"# TYPE x_total counter\n"
		"x_total{a=\"back\\\\slash \\\"quoted\\\"\\nline\",b=\"\"} 7\n"
		"x_total 8\n");
	srv_metrics_buf_free(&b);

	/* A family without samples writes nothing. */
	srv_metrics_fam_t g = {"y", "gauge", "y", 0};
	(void)g;
	assert_null(b.p);
	assert_int_equal(b.len, 0);
}

static void test_hist_buckets(void **state)
{
	(void)state;
	static const srv_metrics_layout_t lay = {3, {1, 2, 4}, 1};
	srv_metrics_hist_t h;
	memset(&h, 0, sizeof(h));
	h.lay = &lay;
	/* On a bound: that bucket (le is "less or equal"); above the last:
	 * +Inf only. */
	uint64_t obs[] = {0, 1, 2, 3, 4, 5, 100};
	for (size_t i = 0; i < sizeof(obs) / sizeof(obs[0]); i++)
		srv_metrics_hist_observe(&h, obs[i]);
	srv_metrics_buf_t b = {0};
	srv_metrics_fam_t f = {"batch", "histogram", "h", 0};
	srv_metrics_label_t l = {"m", "x"};
	srv_metrics_hist_write(&b, &f, &l, 1, &h);
	srv_metrics_buf_printf(&b, "%s", "");
	assert_string_equal(b.p,
		"# HELP batch h\n# TYPE batch histogram\n"
		"batch_bucket{m=\"x\",le=\"1\"} 2\n"
		"batch_bucket{m=\"x\",le=\"2\"} 3\n"
		"batch_bucket{m=\"x\",le=\"4\"} 5\n"
		"batch_bucket{m=\"x\",le=\"+Inf\"} 7\n"
		"batch_sum{m=\"x\"} 115\n"
		"batch_count{m=\"x\"} 7\n");
	srv_metrics_buf_free(&b);

	/* Seconds from nanoseconds: the bounds and the sum scaled. */
	static const srv_metrics_layout_t ns = {2, {500000, 1000000000}, 1e9};
	memset(&h, 0, sizeof(h));
	h.lay = &ns;
	srv_metrics_hist_observe(&h, 500000);
	srv_metrics_hist_observe(&h, 500001);
	srv_metrics_hist_observe(&h, 1000000001);
	srv_metrics_fam_t d = {"d_seconds", "histogram", "d", 0};
	srv_metrics_hist_write(&b, &d, NULL, 0, &h);
	srv_metrics_buf_printf(&b, "%s", "");
	assert_has(b.p, "d_seconds_bucket{le=\"0.0005\"} 1\n");
	assert_has(b.p, "d_seconds_bucket{le=\"1\"} 2\n");
	assert_has(b.p, "d_seconds_bucket{le=\"+Inf\"} 3\n");
	assert_has(b.p, "d_seconds_sum 1.001000002\n");
	assert_has(b.p, "d_seconds_count 3\n");
	srv_metrics_buf_free(&b);
}

static void test_buf(void **state)
{
	(void)state;
	srv_metrics_buf_t b = {0};
	/* Past the first block, and on exactly its end. */
	char big[5000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	srv_metrics_buf_printf(&b, "%s", big);
	srv_metrics_buf_printf(&b, "%.*s", 4095 - 999, big);
	assert_int_equal(b.len, 4999 + 3096);
	assert_false(b.failed);
	srv_metrics_buf_free(&b);
	b = (srv_metrics_buf_t){0};
	srv_metrics_buf_printf(&b, "%.*s", 4095, big);
	assert_int_equal(b.len, 4095);
	srv_metrics_buf_printf(&b, "y");
	assert_int_equal(b.len, 4096);
	assert_true(b.cap > 4096);
	/* Once failed, nothing more is written. */
	b.failed = 1;
	srv_metrics_buf_printf(&b, "z");
	assert_int_equal(b.len, 4096);
	srv_metrics_buf_free(&b);
}

/* -------------------------------------------------------------- registry */

static void test_null_is_off(void **state)
{
	(void)state;
	srv_metrics_call_start(NULL, 0);
	srv_metrics_call_end(NULL, 0, 0, 1);
	srv_metrics_call_gone(NULL, 0);
	srv_metrics_msg_received(NULL, 0);
	srv_metrics_msg_sent(NULL, 0);
	srv_metrics_commit(NULL, 1, 1, 1);
	srv_metrics_run_finished(NULL, 3, 1);
	srv_metrics_plugin_call(NULL, "p", 0, 1);
	srv_metrics_destroy(NULL);
}

static void test_calls(void **state)
{
	(void)state;
	srv_metrics_t *m;
	char err[128];
	assert_int_equal(srv_metrics_create(&m, table, 3, err, sizeof(err)),
	                 CD_OK);
	char *s = render_str(m);
	/* Nothing happened: in flight is 0 for every method of the table,
	 * no request series yet, the version label. */
	assert_has(s, "clusterd_build_info{version=\"unknown\"} 1\n");
	assert_has(s, "clusterd_grpc_requests_in_flight{service=\"a.v1.Svc\","
	              "method=\"Get\"} 0\n");
	assert_has(s, "clusterd_grpc_requests_in_flight{service=\"unknown\","
	              "method=\"nopath\"} 0\n");
	assert_lacks(s, "clusterd_grpc_requests_total");
	assert_lacks(s, "method=\"unknown\"");
	assert_has(s, "clusterd_commits_total{result=\"ok\"} 0\n");
	assert_has(s, "clusterd_runs_finished_total{state=\"SUCCEEDED\"} 0\n");
	assert_lacks(s, "clusterd_plugin_calls_total");
	assert_lacks(s, "clusterd_store_");
	free(s);

	srv_metrics_call_start(m, 0);
	srv_metrics_msg_received(m, 0);
	srv_metrics_call_start(m, 0);
	srv_metrics_call_start(m, 1);
	srv_metrics_call_start(m, (size_t)-1);   /* not in the table */
	s = render_str(m);
	assert_has(s, "clusterd_grpc_requests_in_flight{service=\"a.v1.Svc\","
	              "method=\"Get\"} 2\n");
	assert_has(s, "clusterd_grpc_requests_in_flight{service=\"unknown\","
	              "method=\"unknown\"} 1\n");
	free(s);
	srv_metrics_call_end(m, 0, 0, 200000);          /* 0.2 ms, OK */
	srv_metrics_msg_sent(m, 0);
	srv_metrics_call_end(m, 0, 5, 3000000000ull);   /* 3 s, NOT_FOUND */
	srv_metrics_call_end(m, 1, 99, 1);              /* no such code */
	srv_metrics_call_end(m, (size_t)-1, 12, 1000);  /* UNIMPLEMENTED */
	srv_metrics_call_start(m, 2);
	srv_metrics_call_gone(m, 2);
	s = render_str(m);
	assert_has(s, "# TYPE clusterd_grpc_requests_total counter\n");
	assert_has(s, "clusterd_grpc_requests_total{service=\"a.v1.Svc\","
	              "method=\"Get\",code=\"OK\"} 1\n");
	assert_has(s, "clusterd_grpc_requests_total{service=\"a.v1.Svc\","
	              "method=\"Get\",code=\"NOT_FOUND\"} 1\n");
	assert_has(s, "clusterd_grpc_requests_total{service=\"a.v1.Svc\","
	              "method=\"Import\",code=\"UNKNOWN\"} 1\n");
	assert_has(s, "clusterd_grpc_requests_total{service=\"unknown\","
	              "method=\"unknown\",code=\"UNIMPLEMENTED\"} 1\n");
	assert_lacks(s, "method=\"nopath\",code");
	assert_has(s, "clusterd_grpc_request_duration_seconds_bucket{service="
	              "\"a.v1.Svc\",method=\"Get\",le=\"0.00025\"} 1\n");
	assert_has(s, "clusterd_grpc_request_duration_seconds_bucket{service="
	              "\"a.v1.Svc\",method=\"Get\",le=\"2.5\"} 1\n");
	assert_has(s, "clusterd_grpc_request_duration_seconds_bucket{service="
	              "\"a.v1.Svc\",method=\"Get\",le=\"5\"} 2\n");
	assert_has(s, "clusterd_grpc_request_duration_seconds_sum{service="
	              "\"a.v1.Svc\",method=\"Get\"} 3.0002\n");
	assert_has(s, "clusterd_grpc_request_duration_seconds_count{service="
	              "\"a.v1.Svc\",method=\"Get\"} 2\n");
	/* The method gone without a status: not in flight, not counted. */
	assert_has(s, "clusterd_grpc_requests_in_flight{service=\"unknown\","
	              "method=\"nopath\"} 0\n");
	assert_has(s, "clusterd_grpc_requests_in_flight{service=\"a.v1.Svc\","
	              "method=\"Get\"} 0\n");
	assert_has(s, "clusterd_grpc_messages_received_total{service="
	              "\"a.v1.Svc\",method=\"Get\"} 1\n");
	assert_has(s, "clusterd_grpc_messages_sent_total{service="
	              "\"a.v1.Svc\",method=\"Get\"} 1\n");
	free(s);
	srv_metrics_destroy(m);
}

static void test_work(void **state)
{
	(void)state;
	srv_metrics_t *m;
	char err[128];
	assert_int_equal(srv_metrics_create(&m, table, 3, err, sizeof(err)),
	                 CD_OK);
	srv_metrics_commit(m, 1, 400000, 1);
	srv_metrics_commit(m, 4096, 2000000, 1);
	srv_metrics_commit(m, 4097, 1, 0);
	srv_metrics_run_finished(m, 3, 1500);   /* SUCCEEDED, 1.5 s */
	srv_metrics_run_finished(m, 5, -1);     /* CANCELLED while queued */
	srv_metrics_run_finished(m, 4, 0);
	srv_metrics_run_finished(m, 99, 5);     /* not a state: ignored */
	srv_metrics_run_finished(m, -1, 5);
	char *s = render_str(m);
	assert_has(s, "clusterd_commits_total{result=\"ok\"} 2\n");
	assert_has(s, "clusterd_commits_total{result=\"error\"} 1\n");
	assert_has(s, "clusterd_commit_batch_size_bucket{le=\"1\"} 1\n");
	assert_has(s, "clusterd_commit_batch_size_bucket{le=\"2048\"} 1\n");
	assert_has(s, "clusterd_commit_batch_size_bucket{le=\"4096\"} 2\n");
	assert_has(s, "clusterd_commit_batch_size_bucket{le=\"+Inf\"} 3\n");
	assert_has(s, "clusterd_commit_batch_size_sum 8194\n");
	assert_has(s, "clusterd_commit_duration_seconds_bucket{le=\"0.0005\"}"
	              " 2\n");
	assert_has(s, "clusterd_commit_duration_seconds_bucket{le=\"0.002\"}"
	              " 3\n");
	assert_has(s, "clusterd_runs_finished_total{state=\"SUCCEEDED\"} 1\n");
	assert_has(s, "clusterd_runs_finished_total{state=\"FAILED\"} 1\n");
	assert_has(s, "clusterd_runs_finished_total{state=\"CANCELLED\"} 1\n");
	assert_lacks(s, "state=\"QUEUED\"");
	assert_has(s, "clusterd_run_duration_seconds_bucket{le=\"0.1\"} 1\n");
	assert_has(s, "clusterd_run_duration_seconds_bucket{le=\"1\"} 1\n");
	assert_has(s, "clusterd_run_duration_seconds_bucket{le=\"5\"} 2\n");
	assert_has(s, "clusterd_run_duration_seconds_count 2\n");
	assert_has(s, "clusterd_run_duration_seconds_sum 1.5\n");
	free(s);
	srv_metrics_destroy(m);
}

static void test_plugins(void **state)
{
	(void)state;
	srv_metrics_t *m;
	char err[128];
	assert_int_equal(srv_metrics_create(&m, table, 3, err, sizeof(err)),
	                 CD_OK);
	srv_metrics_plugin_call(m, "gii", SRV_METRICS_PLUGIN_OK, 0.002);
	srv_metrics_plugin_call(m, "gii", SRV_METRICS_PLUGIN_CRASH, 0.1);
	srv_metrics_plugin_call(m, "gii", SRV_METRICS_PLUGIN_TIMEOUT, 2);
	srv_metrics_plugin_call(m, "gii", SRV_METRICS_PLUGIN_CANCELLED, NAN);
	srv_metrics_plugin_call(m, "other", SRV_METRICS_PLUGIN_LIMIT, -1);
	srv_metrics_plugin_call(m, "other", SRV_METRICS_PLUGIN_ERROR, 0);
	srv_metrics_plugin_call(m, "bad", 99, 1);    /* not an outcome */
	srv_metrics_plugin_call(m, NULL, 0, 1);
	char *s = render_str(m);
	assert_has(s, "clusterd_plugin_calls_total{plugin=\"gii\"} 4\n");
	assert_has(s, "clusterd_plugin_calls_total{plugin=\"other\"} 2\n");
	assert_lacks(s, "plugin=\"bad\"");
	assert_has(s, "clusterd_plugin_failures_total{plugin=\"gii\","
	              "kind=\"crash\"} 1\n");
	assert_has(s, "clusterd_plugin_failures_total{plugin=\"gii\","
	              "kind=\"timeout\"} 1\n");
	assert_has(s, "clusterd_plugin_failures_total{plugin=\"gii\","
	              "kind=\"error\"} 0\n");
	assert_has(s, "clusterd_plugin_failures_total{plugin=\"other\","
	              "kind=\"limit\"} 1\n");
	assert_has(s, "clusterd_plugin_failures_total{plugin=\"other\","
	              "kind=\"error\"} 1\n");
	assert_lacks(s, "kind=\"cancelled\"");
	assert_lacks(s, "kind=\"ok\"");
	assert_has(s, "clusterd_plugin_call_duration_seconds_bucket{plugin="
	              "\"gii\",le=\"0.005\"} 2\n");   /* NaN counts as 0 */
	assert_has(s, "clusterd_plugin_call_duration_seconds_sum{plugin="
	              "\"gii\"} 2.102\n");
	assert_has(s, "clusterd_plugin_call_duration_seconds_sum{plugin="
	              "\"other\"} 0\n");
	free(s);
	/* Names past SRV_METRICS_PLUGINS_MAX share the last slot. */
	for (int i = 0; i < SRV_METRICS_PLUGINS_MAX + 10; i++) {
		char name[32];
		snprintf(name, sizeof(name), "p%03d", i);
		srv_metrics_plugin_call(m, name, SRV_METRICS_PLUGIN_OK, 0);
	}
	s = render_str(m);
	assert_has(s, "clusterd_plugin_calls_total{plugin=\"p000\"} 1\n");
	/* gii, other, p000..p060: 63 slots, then "_other" for the rest. */
	assert_has(s, "clusterd_plugin_calls_total{plugin=\"p060\"} 1\n");
	assert_lacks(s, "plugin=\"p061\"");
	assert_has(s, "clusterd_plugin_calls_total{plugin=\"_other\"} 13\n");
	free(s);
	srv_metrics_destroy(m);
}

/* ------------------------------------------------------ scrape-time series */

static void test_sources(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_srv_metrics.XXXXXX", err[512];
	assert_non_null(mkdtemp(dir));
	store_t *st;
	assert_int_equal(store_open(&st, dir, NULL, err, sizeof(err)), CD_OK);
	srv_commit_t *cm;
	assert_int_equal(srv_commit_create(&cm, st, 0, err, sizeof(err)),
	                 CD_OK);
	srv_jobs_t *J;
	srv_jobs_opts_t jo = {.workers = 1, .queue_max = 7,
	                      .timeout_ms = 1000, .timeout_max_ms = 1000,
	                      .store = st, .commit = cm};
	assert_int_equal(srv_jobs_create(&J, &jo, err, sizeof(err)), CD_OK);
	srv_metrics_t *m;
	assert_int_equal(srv_metrics_create(&m, table, 3, err, sizeof(err)),
	                 CD_OK);
	srv_commit_set_metrics(cm, m);
	store_cluster_t c = CLUSTERS__V1__CLUSTER__INIT;
	c.id = "paris";
	c.name = "Paris";
	c.economy = "FR";
	assert_int_equal(store_cluster_create(st, &c, NULL, err, sizeof(err)),
	                 CD_OK);
	srv_metrics_src_t src = {.store = st, .jobs = J, .version = "9.9"};
	srv_metrics_set_sources(m, &src);
	char *s = render_str(m);
	assert_has(s, "clusterd_build_info{version=\"9.9\"} 1\n");
	assert_has(s, "clusterd_store_records{table=\"clusters\"} 1\n");
	assert_has(s, "clusterd_store_records{table=\"competitions\"} 0\n");
	assert_has(s, "clusterd_store_records{table=\"audit\"} 1\n");
	assert_has(s, "clusterd_store_records{table=\"standings\"} 0\n");
	assert_has(s, "clusterd_store_data_version 1\n");
	assert_has(s, "clusterd_store_readers_max 512\n");
	/* The scrape's own read transaction at least. */
	assert_lacks(s, "clusterd_store_readers 0\n");
	assert_lacks(s, "clusterd_store_readers_active 0\n");
	assert_lacks(s, "clusterd_store_file_size_bytes 0\n");
	assert_has(s, "clusterd_store_map_size_bytes 67108864\n");
	assert_has(s, "clusterd_store_disk_full 0\n");
	assert_has(s, "clusterd_runs_queued 0\n");
	assert_has(s, "clusterd_runs_running 0\n");
	assert_has(s, "clusterd_runs_queue_max 7\n");
	assert_has(s, "# TYPE process_cpu_seconds_total counter\n");
	assert_has(s, "process_start_time_seconds ");
	assert_has(s, "process_resident_memory_bytes ");
	assert_has(s, "process_virtual_memory_bytes ");
	assert_has(s, "process_open_fds ");
	assert_has(s, "process_max_fds ");
	/* No listener given: no connection series. */
	assert_lacks(s, "clusterd_connections_");
	free(s);

	srv_jobs_destroy(J);
	srv_commit_destroy(cm);
	/* A failing source is left out, the rest still renders. */
	srv_metrics_src_t none = {0};
	srv_metrics_set_sources(m, &none);
	s = render_str(m);
	assert_lacks(s, "clusterd_store_");
	assert_lacks(s, "clusterd_runs_queued");
	assert_has(s, "process_open_fds ");
	free(s);
	srv_metrics_destroy(m);
	store_close(st);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_render_failure(void **state)
{
	(void)state;
	srv_metrics_t *m;
	char err[128];
	assert_int_equal(srv_metrics_create(&m, table, 3, err, sizeof(err)),
	                 CD_OK);
	srv_metrics_buf_t b = {0};
	b.failed = 1;
	assert_int_equal(srv_metrics_render(m, &b), CD_ENOMEM);
	srv_metrics_buf_free(&b);
	srv_metrics_destroy(m);
}

/* ------------------------------------------------------------------- HTTP */

/* Atomics: the listener's thread renders while the test reads (their
 * order through the sockets is invisible to ThreadSanitizer). */
typedef struct fake {
	atomic_int calls;
	atomic_int fail;
} fake_t;

static int fake_render(void *arg, srv_metrics_buf_t *b)
{
	fake_t *f = arg;
	int n = atomic_fetch_add(&f->calls, 1) + 1;
	if (atomic_load(&f->fail))
		return CD_ENOMEM;
	srv_metrics_buf_printf(b, "# TYPE x gauge\nx %d\n", n);
	return CD_OK;
}

static int dial(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct timeval tv = {5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Sends req on a new connection and reads the answer to its end. */
static char *http(int port, const char *req)
{
	int fd = dial(port);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	ssize_t n;
	while ((n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	return buf;
}

static void test_http(void **state)
{
	(void)state;
	fake_t f = {0};
	srv_metrics_http_t *h;
	char err[256];
	srv_metrics_http_opts_t o = {.listen = "127.0.0.1:0",
	                             .render = fake_render, .arg = &f};
	assert_int_equal(srv_metrics_http_start(&h, &o, err, sizeof(err)),
	                 CD_OK);
	int port = srv_metrics_http_port(h);
	assert_true(port > 0);

	char *r = http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n"
	                     "Connection: close\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.1 200 OK\r\n", 17));
	assert_has(r, "Content-Type: text/plain; version=0.0.4; "
	              "charset=utf-8\r\n");
	assert_has(r, "\r\n\r\n# TYPE x gauge\nx 1\n");
	free(r);
	/* HEAD: the headers alone. */
	r = http(port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\n"
	               "Connection: close\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.1 200 OK\r\n", 17));
	assert_lacks(r, "x 2");
	free(r);
	r = http(port, "GET /metricsx HTTP/1.1\r\nHost: x\r\n"
	               "Connection: close\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.1 404 Not Found\r\n", 24));
	free(r);
	r = http(port, "GET / HTTP/1.0\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.0 404", 12) ||
	            !strncmp(r, "HTTP/1.1 404", 12));
	free(r);
	r = http(port, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: "
	               "3\r\nConnection: close\r\n\r\nabc");
	assert_true(!strncmp(r, "HTTP/1.1 405 Method Not Allowed\r\n", 33));
	assert_has(r, "Allow: GET, HEAD\r\n");
	free(r);
	r = http(port, "DELETE /metrics HTTP/1.1\r\nHost: x\r\n"
	               "Connection: close\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.1 405", 12));
	free(r);
	/* Not HTTP at all, and headers over the limit: an error, the
	 * connection closed, the listener fine. */
	r = http(port, "\x01\x02garbage\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.1 400", 12) || !*r);
	free(r);
	size_t big = 64 << 10;
	char *req = malloc(big + 128);
	int n = snprintf(req, 128, "GET /metrics HTTP/1.1\r\nX-Big: ");
	memset(req + n, 'a', big);
	strcpy(req + n + big, "\r\n\r\n");
	r = http(port, req);
	free(req);
	assert_true(!strncmp(r, "HTTP/1.1 431", 12));
	free(r);
	/* A failing render: 500. */
	atomic_store(&f.fail, 1);
	r = http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n"
	               "Connection: close\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.1 500", 12));
	free(r);
	atomic_store(&f.fail, 0);
	r = http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n"
	               "Connection: close\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.1 200", 12));
	free(r);
	srv_metrics_http_stop(h);
	/* Stopped: the port is closed. */
	assert_int_equal(dial(port), -1);
	srv_metrics_http_stop(NULL);
}

static void test_http_refusals(void **state)
{
	(void)state;
	fake_t f = {0};
	srv_metrics_http_t *h, *h2;
	char err[256];
	srv_metrics_http_opts_t o = {.listen = "127.0.0.1:0",
	                             .render = fake_render, .arg = &f};
	assert_int_equal(srv_metrics_http_start(&h, &o, err, sizeof(err)),
	                 CD_OK);
	/* The port taken. */
	char addr[64], want[128];
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", srv_metrics_http_port(h));
	o.listen = addr;
	assert_int_equal(srv_metrics_http_start(&h2, &o, err, sizeof(err)),
	                 CD_EIO);
	assert_null(h2);
	snprintf(want, sizeof(want), "metrics: cannot listen on %s: Address "
	         "already in use", addr);
	assert_string_equal(err, want);
	srv_metrics_http_stop(h);
	o.listen = "nocolon";
	assert_int_equal(srv_metrics_http_start(&h2, &o, err, sizeof(err)),
	                 CD_EINVAL);
	assert_string_equal(err, "metrics: 'nocolon' is not host:port");
	o.listen = "no-such-host.invalid:0";
	assert_int_equal(srv_metrics_http_start(&h2, &o, err, sizeof(err)),
	                 CD_EIO);
	assert_true(!strncmp(err, "metrics: cannot resolve "
	                          "no-such-host.invalid:0: ", 47));
	/* An address not this host's. */
	o.listen = "192.0.2.1:0";
	assert_int_equal(srv_metrics_http_start(&h2, &o, err, sizeof(err)),
	                 CD_EIO);
	assert_string_equal(err, "metrics: cannot listen on 192.0.2.1:0: "
	                    "Cannot assign requested address");
	/* IPv6 loopback, where the host has it. */
	o.listen = "[::1]:0";
	if (srv_metrics_http_start(&h2, &o, err, sizeof(err)) == CD_OK) {
		assert_true(srv_metrics_http_port(h2) > 0);
		srv_metrics_http_stop(h2);
	}
}

/* Descriptors the test inherited (whoever started it may leave some
 * open without FD_CLOEXEC): not ours to judge. */
static unsigned char inherited[4096];

static void note_inherited(void)
{
	DIR *d = opendir("/proc/self/fd");
	for (struct dirent *e; d && (e = readdir(d));) {
		int fd = atoi(e->d_name);
		if (e->d_name[0] != '.' && fd >= 0 && fd < 4096)
			inherited[fd] = 1;
	}
	if (d)
		closedir(d);
}

/* Every descriptor opened since the test started has FD_CLOEXEC. */
static void assert_all_cloexec(void)
{
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		int fd = atoi(e->d_name);
		if (fd <= 2 || fd == dirfd(d) || (fd < 4096 && inherited[fd]))
			continue;
		int fl = fcntl(fd, F_GETFD);
		if (fl >= 0 && !(fl & FD_CLOEXEC)) {
			char link[64], target[256] = "";
			snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
			ssize_t n = readlink(link, target, sizeof(target) - 1);
			target[n > 0 ? n : 0] = '\0';
			fail_msg("descriptor %d (%s) lacks FD_CLOEXEC", fd,
			         target);
		}
	}
	closedir(d);
}

static void test_http_limits(void **state)
{
	(void)state;
	fake_t f = {0};
	srv_metrics_http_t *h;
	char err[256];
	srv_metrics_http_opts_t o = {.listen = "127.0.0.1:0",
	                             .render = fake_render, .arg = &f,
	                             .max_connections = 2, .timeout_s = 1};
	assert_all_cloexec();
	assert_int_equal(srv_metrics_http_start(&h, &o, err, sizeof(err)),
	                 CD_OK);
	int port = srv_metrics_http_port(h);
	/* Two idle connections hold every place. */
	int a = dial(port), b = dial(port);
	assert_true(a >= 0 && b >= 0);
	usleep(200000);
	assert_all_cloexec();
	/* A third waits (in the backlog) while they are held... */
	int c = dial(port);
	assert_true(c >= 0);
	const char *req = "GET /metrics HTTP/1.1\r\nHost: x\r\n"
	                  "Connection: close\r\n\r\n";
	assert_int_equal(write(c, req, strlen(req)), (ssize_t)strlen(req));
	struct timeval tv = {0, 300000};
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char buf[512];
	ssize_t n = read(c, buf, sizeof(buf));
	assert_true(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
	assert_int_equal(atomic_load(&f.calls), 0);
	/* ...and is answered once they go. */
	close(a);
	close(b);
	tv.tv_sec = 5;
	tv.tv_usec = 0;
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = read(c, buf, sizeof(buf) - 1);
	assert_true(n > 12);
	assert_true(!strncmp(buf, "HTTP/1.1 200", 12));
	close(c);
	/* An idle connection is closed after timeout_s (1 s). */
	a = dial(port);
	assert_true(a >= 0);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = read(a, buf, sizeof(buf));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(n, 0);
	double waited = (double)(t1.tv_sec - t0.tv_sec) +
	                (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(waited > 0.5 && waited < 4.5);
	close(a);
	char *r = http(port, req);
	assert_true(!strncmp(r, "HTTP/1.1 200", 12));
	free(r);
	srv_metrics_http_stop(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fmt_value),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_hist_buckets),
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_null_is_off),
		cmocka_unit_test(test_calls),
		cmocka_unit_test(test_work),
		cmocka_unit_test(test_plugins),
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_render_failure),
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_http_refusals),
		cmocka_unit_test(test_http_limits),
	};
	note_inherited();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
