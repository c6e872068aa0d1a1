/* srv in-process: start on an ephemeral port, port file, stop by request,
 * and the start-up errors. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
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
