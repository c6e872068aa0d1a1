/* srv in-process: start on an ephemeral port, port file, stop by request,
 * and the start-up errors. */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <dirent.h>

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include "cd_error.h"
#include "log.h"
#include "srv.h"
#include "store.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	log_setup(LOG_ERROR, LOG_TEXT, 2);
	strcpy(dir, "/tmp/test_srv.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void base_cfg(cfg_t *c)
{
	cfg_defaults(c);
	strcpy(c->listen, "127.0.0.1:0");
	snprintf(c->data_dir, sizeof(c->data_dir), "%s/a/b/data", dir);
	snprintf(c->port_file, sizeof(c->port_file), "%s/port", dir);
	c->threads = 2;
	c->grace_ms = 100;
	c->log_level = LOG_ERROR;
}

static void test_start_stop(void **state)
{
	(void)state;
	cfg_t c;
	srv_t *s;
	char err[256] = "";
	base_cfg(&c);
	assert_int_equal(srv_create(&s, &c, err, sizeof(err)), CD_OK);
	int port = srv_port(s);
	assert_true(port > 0);
	char want[64];
	snprintf(want, sizeof(want), "127.0.0.1:%d", port);
	assert_string_equal(srv_address(s), want);
	assert_non_null(srv_env(s)->store);

	FILE *f = fopen(c.port_file, "r");
	assert_non_null(f);
	int got = 0;
	assert_int_equal(fscanf(f, "%d", &got), 1);
	fclose(f);
	assert_int_equal(got, port);

	struct stat st;
	assert_int_equal(stat(c.port_file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	char parent[128];
	snprintf(parent, sizeof(parent), "%s/a", dir);
	assert_int_equal(stat(parent, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	srv_stop(s);
	assert_int_equal(srv_wait(s, -1), 0);
	srv_shutdown(s);
	srv_shutdown(s); /* idempotent */
	srv_destroy(s);
}

static void test_port_in_use(void **state)
{
	(void)state;
	cfg_t c;
	srv_t *a, *b;
	char err[256] = "";
	base_cfg(&c);
	c.port_file[0] = '\0';
	assert_int_equal(srv_create(&a, &c, err, sizeof(err)), CD_OK);
	snprintf(c.listen, sizeof(c.listen), "%s", srv_address(a));
	snprintf(c.data_dir, sizeof(c.data_dir), "%s/other", dir);
	assert_int_equal(srv_create(&b, &c, err, sizeof(err)), CD_EIO);
	assert_null(b);
	assert_non_null(strstr(err, "cannot listen"));
	srv_destroy(a);
}

static void test_bad_data_dir(void **state)
{
	(void)state;
	cfg_t c;
	srv_t *s;
	char err[256] = "";
	base_cfg(&c);
	/* A regular file where a directory must go. */
	char file[128];
	snprintf(file, sizeof(file), "%s/file", dir);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(c.data_dir, sizeof(c.data_dir), "%s/sub", file);
	assert_int_not_equal(srv_create(&s, &c, err, sizeof(err)), CD_OK);
	assert_null(s);
	assert_non_null(strstr(err, "file"));
}

static void test_bad_port_file(void **state)
{
	(void)state;
	cfg_t c;
	srv_t *s;
	char err[256] = "";
	base_cfg(&c);
	snprintf(c.port_file, sizeof(c.port_file), "%s/no/such/dir/port", dir);
	assert_int_equal(srv_create(&s, &c, err, sizeof(err)), CD_EIO);
	assert_null(s);
	assert_non_null(strstr(err, "port"));
}

/* A symlink planted at PATH.tmp (the temporary name the port file used to
 * be written under) must not be followed: the file it points to keeps its
 * contents, and the port file is a regular file of our own. */
static void test_port_file_symlink(void **state)
{
	(void)state;
	cfg_t c;
	srv_t *s;
	char err[256] = "";
	char victim[128], link[CFG_PATH_MAX + 8];
	base_cfg(&c);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	FILE *f = fopen(victim, "w");
	assert_non_null(f);
	fputs("keep\n", f);
	fclose(f);
	snprintf(link, sizeof(link), "%s.tmp", c.port_file);
	assert_int_equal(symlink(victim, link), 0);

	assert_int_equal(srv_create(&s, &c, err, sizeof(err)), CD_OK);
	char buf[16] = "";
	f = fopen(victim, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "keep\n");

	struct stat st;
	assert_int_equal(lstat(c.port_file, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	f = fopen(c.port_file, "r");
	assert_non_null(f);
	int got = 0;
	assert_int_equal(fscanf(f, "%d", &got), 1);
	fclose(f);
	assert_int_equal(got, srv_port(s));
	/* The planted link is left alone, still pointing where it did. */
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	srv_destroy(s);
}

/* The rename fails (a directory sits at PATH): start-up fails naming the
 * port file, and no temporary file is left behind. */
static void test_port_file_rename_fails(void **state)
{
	(void)state;
	cfg_t c;
	srv_t *s;
	char err[256] = "";
	char sub[128];
	base_cfg(&c);
	snprintf(sub, sizeof(sub), "%s/pf", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(c.port_file, sizeof(c.port_file), "%s/port", sub);
	assert_int_equal(mkdir(c.port_file, 0700), 0);
	assert_int_equal(srv_create(&s, &c, err, sizeof(err)), CD_EIO);
	assert_null(s);
	assert_non_null(strstr(err, c.port_file));
	DIR *d = opendir(sub);
	assert_non_null(d);
	int entries = 0;
	for (struct dirent *e; (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			entries++;
	closedir(d);
	assert_int_equal(entries, 1); /* "port", the directory */
}

static void *wait_thread(void *arg)
{
	srv_wait(arg, -1);
	return NULL;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* --insecure on an address others can reach: warned at start and then
 * every insecure_warn_ms while the server waits. */
static void test_insecure_warns_periodically(void **state)
{
	(void)state;
	char logp[128], err[256] = "";
	snprintf(logp, sizeof(logp), "%s/log", dir);
	int fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	log_setup(LOG_WARN, LOG_TEXT, fd);
	cfg_t c;
	srv_t *s;
	base_cfg(&c);
	strcpy(c.listen, "0.0.0.0:0");
	c.insecure = 1;
	c.insecure_warn_ms = 40;
	assert_int_equal(srv_create(&s, &c, err, sizeof(err)), CD_OK);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, wait_thread, s), 0);
	usleep(400 * 1000);
	srv_stop(s);
	pthread_join(t, NULL);
	srv_destroy(s);
	log_setup(LOG_ERROR, LOG_TEXT, 2);
	close(fd);

	char buf[16384] = "";
	FILE *f = fopen(logp, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* One at start, then about ten in 400 ms; at least three. */
	int w = count(buf, "insecure: serving on 0.0.0.0:");
	if (w < 3)
		fail_msg("%d warnings in: %s", w, buf);
	assert_non_null(strstr(buf, "anyone who reaches the port may call "
	                        "every method"));

	/* On loopback nothing is exposed: no warning at all. */
	fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	log_setup(LOG_WARN, LOG_TEXT, fd);
	base_cfg(&c);
	c.insecure = 1;
	c.insecure_warn_ms = 40;
	assert_int_equal(srv_create(&s, &c, err, sizeof(err)), CD_OK);
	assert_int_equal(pthread_create(&t, NULL, wait_thread, s), 0);
	usleep(200 * 1000);
	srv_stop(s);
	pthread_join(t, NULL);
	srv_destroy(s);
	log_setup(LOG_ERROR, LOG_TEXT, 2);
	close(fd);
	f = fopen(logp, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_null(strstr(buf, "insecure:"));
}

/* A run "NAME" of mb MiB of standings (chunks of ten 100 KB standings)
 * written through the server's own store: cheap bulk for a backup. */
typedef struct big_src {
	unsigned chunks, i;
	uint8_t *chunk;
	size_t len;
} big_src_t;

static int big_next(void *arg, const uint8_t **data, size_t *len,
                    size_t *count, char *err, size_t errlen)
{
	big_src_t *g = arg;
	(void)err;
	(void)errlen;
	*len = *count = 0;
	if (g->i++ < g->chunks) {
		*data = g->chunk;
		*len = g->len;
		*count = 10;
	}
	return CD_OK;
}

static int big_rewind(void *arg)
{
	((big_src_t *)arg)->i = 0;
	return CD_OK;
}

static void fill_big(store_t *st, const char *name, unsigned mb)
{
	static char text[100000];
	uint8_t *one = malloc(sizeof(text) + 64);
	Clusters__V1__Standing sd = CLUSTERS__V1__STANDING__INIT;
	memset(text, 'n', sizeof(text) - 1);
	sd.cluster_id = "x";
	sd.name = text;
	size_t sl = clusters__v1__standing__pack(&sd, one);
	big_src_t g = {.chunks = mb, .chunk = malloc(10 * (sl + 8))};
	for (int k = 0; k < 10; k++) {
		g.chunk[g.len++] = 0x0a;
		for (size_t v = sl;; v >>= 7) {
			g.chunk[g.len++] = (uint8_t)(v < 0x80 ? v
			                                      : (v & 0x7f) | 0x80);
			if (v < 0x80)
				break;
		}
		memcpy(g.chunk + g.len, one, sl);
		g.len += sl;
	}
	store_standings_src_t src = {10 * (size_t)mb, big_next, big_rewind,
	                             &g};
	Clusters__V1__Run r = CLUSTERS__V1__RUN__INIT;
	r.id = (char *)name;
	r.competition_id = "bulk";
	r.state = CLUSTERS__V1__RUN_STATE__RUN_STATE_SUCCEEDED;
	store_op_t op;
	memset(&op, 0, sizeof(op));
	op.kind = STORE_RUN_PUT;
	op.run = &r;
	op.standings = &src;
	assert_int_equal(store_apply(st, &op, 1), CD_OK);
	assert_int_equal(op.rc, CD_OK);
	free(g.chunk);
	free(one);
}

static grpc_event next_event(grpc_completion_queue *cq, int ms)
{
	return grpc_completion_queue_next(
		cq, gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
		                 gpr_time_from_millis(ms, GPR_TIMESPAN)), NULL);
}

/* A Backup whose client takes the header and then nothing more: once
 * the stall limit passes the server cancels it (DEADLINE_EXCEEDED naming
 * the stall) and lets the snapshot go; the server then stops at once. */
static void test_backup_stalled_client(void **state)
{
	(void)state;
	cfg_t c;
	srv_t *s;
	char err[256] = "";
	base_cfg(&c);
	c.backup_stall_ms = 500;
	assert_int_equal(srv_create(&s, &c, err, sizeof(err)), CD_OK);
	/* 40 MiB: more than the transport and the pipe buffer. */
	fill_big(srv_env(s)->store, "big", 40);

	char target[64];
	snprintf(target, sizeof(target), "127.0.0.1:%d", srv_port(s));
	grpc_channel_credentials *cr = grpc_insecure_credentials_create();
	grpc_channel *ch = grpc_channel_create(target, cr, NULL);
	grpc_channel_credentials_release(cr);
	grpc_completion_queue *cq = grpc_completion_queue_create_for_next(NULL);
	grpc_slice method = grpc_slice_from_static_string(
		"/clusters.v1.AdminService/Backup");
	grpc_call *call = grpc_channel_create_call(
		ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq, method, NULL,
		gpr_time_add(gpr_now(GPR_CLOCK_REALTIME),
		             gpr_time_from_seconds(60, GPR_TIMESPAN)), NULL);
	grpc_slice empty = grpc_empty_slice();
	grpc_byte_buffer *req = grpc_raw_byte_buffer_create(&empty, 1);
	grpc_metadata_array md, trailing;
	grpc_metadata_array_init(&md);
	grpc_metadata_array_init(&trailing);
	grpc_byte_buffer *first = NULL;
	grpc_op ops[4];
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = req;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[3].data.recv_initial_metadata.recv_initial_metadata = &md;
	assert_int_equal(grpc_call_start_batch(call, ops, 4, (void *)1, NULL),
	                 GRPC_CALL_OK);
	grpc_event ev = next_event(cq, 30000);
	assert_int_equal(ev.type, GRPC_OP_COMPLETE);
	assert_true(ev.success);
	/* The header, and then nothing is read. */
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_RECV_MESSAGE;
	ops[0].data.recv_message.recv_message = &first;
	assert_int_equal(grpc_call_start_batch(call, ops, 1, (void *)2, NULL),
	                 GRPC_CALL_OK);
	ev = next_event(cq, 30000);
	assert_int_equal(ev.type, GRPC_OP_COMPLETE);
	assert_non_null(first);
	/* Longer than the stall limit; then what the transport holds (a
	 * client's status comes after its messages), which ends early. */
	usleep(2000 * 1000);
	size_t got = 0, n = 0;
	for (;;) {
		grpc_byte_buffer *m = NULL;
		memset(ops, 0, sizeof(ops));
		ops[0].op = GRPC_OP_RECV_MESSAGE;
		ops[0].data.recv_message.recv_message = &m;
		assert_int_equal(grpc_call_start_batch(call, ops, 1, (void *)4,
		                                       NULL), GRPC_CALL_OK);
		ev = next_event(cq, 30000);
		assert_int_equal(ev.type, GRPC_OP_COMPLETE);
		if (!m)
			break;
		got += grpc_byte_buffer_length(m);
		n++;
		grpc_byte_buffer_destroy(m);
	}
	store_stats_t full;
	assert_int_equal(store_stats(srv_env(s)->store, &full), CD_OK);
	if (got >= full.map_used / 2)
		fail_msg("%zu bytes in %zu messages: the backup was not cut "
		         "short (%zu bytes used)", got, n, full.map_used);
	grpc_status_code st = GRPC_STATUS_OK;
	grpc_slice details;
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[0].data.recv_status_on_client.trailing_metadata = &trailing;
	ops[0].data.recv_status_on_client.status = &st;
	ops[0].data.recv_status_on_client.status_details = &details;
	assert_int_equal(grpc_call_start_batch(call, ops, 1, (void *)3, NULL),
	                 GRPC_CALL_OK);
	ev = next_event(cq, 30000);
	assert_int_equal(ev.type, GRPC_OP_COMPLETE);
	assert_int_equal(st, GRPC_STATUS_DEADLINE_EXCEEDED);
	char *d = grpc_slice_to_c_string(details);
	if (!strstr(d, "backup stopped: the client took nothing for 500 ms"))
		fail_msg("status details: %s", d);
	gpr_free(d);
	grpc_slice_unref(details);

	/* The snapshot was let go: writes that grow the map go through. */
	store_stats_t s0, s1;
	assert_int_equal(store_stats(srv_env(s)->store, &s0), CD_OK);
	s1 = s0;
	for (int k = 0; k < 40 && s1.grow_count == s0.grow_count; k++) {
		char name[16];
		snprintf(name, sizeof(name), "more%d", k);
		fill_big(srv_env(s)->store, name, 8);
		assert_int_equal(store_stats(srv_env(s)->store, &s1), CD_OK);
	}
	assert_true(s1.grow_count > s0.grow_count);

	grpc_byte_buffer_destroy(first);
	grpc_byte_buffer_destroy(req);
	grpc_metadata_array_destroy(&md);
	grpc_metadata_array_destroy(&trailing);
	grpc_call_unref(call);
	grpc_channel_destroy(ch);
	grpc_completion_queue_shutdown(cq);
	while (grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME),
	                                  NULL).type != GRPC_QUEUE_SHUTDOWN)
		;
	grpc_completion_queue_destroy(cq);
	srv_shutdown(s);
	srv_destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_insecure_warns_periodically,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_in_use, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_bad_data_dir, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_bad_port_file, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_port_file_symlink, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_port_file_rename_fails,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_stalled_client,
		                                setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
