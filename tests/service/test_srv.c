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

#include "cd_error.h"
#include "log.h"
#include "srv.h"

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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
