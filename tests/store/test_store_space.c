/* Writes that fail for want of room are RESOURCE_EXHAUSTED material
 * (CD_ELIMIT) with "disk full" and the data directory in the message, are
 * counted and logged once, leave the store readable, and stop failing when
 * there is room again.
 *
 * Two ways to run out of room without touching the machine's disks:
 * - RLIMIT_FSIZE on this process (with SIGXFSZ ignored, writes past the
 *   limit fail with EFBIG, or come up short, which LMDB reports as EIO).
 *   Works for any user, so it always runs.
 * - a 2 MiB tmpfs mounted in a mount namespace of this process's own
 *   (unshare), for a real ENOSPC. Needs CAP_SYS_ADMIN; skipped without
 *   it. The namespace ends with the process, so a failed test leaves no
 *   mount behind. */
#define _GNU_SOURCE
#include "fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static char err[512];

typedef struct logged {
	int errors, infos;
	char last_error[512], last_info[512];
} logged_t;

static void on_log(void *ctx, int level, const char *msg)
{
	logged_t *l = ctx;
	if (level == STORE_LOG_ERROR) {
		l->errors++;
		snprintf(l->last_error, sizeof(l->last_error), "%s", msg);
	} else if (level == STORE_LOG_INFO) {
		l->infos++;
		snprintf(l->last_info, sizeof(l->last_info), "%s", msg);
	}
}

static store_t *open_logged(const char *dir, logged_t *l)
{
	store_opts_t o = {.map_size = 8 << 20, .log = on_log, .log_ctx = l};
	store_t *st = NULL;
	if (store_open(&st, dir, &o, err, sizeof(err)) != CD_OK)
		fail_msg("store_open(%s): %s", dir, err);
	return st;
}

/* One batch of 20 clusters of 100 indicators each (~60 KiB). */
static int write_batch(store_t *st, int batch, char *msg, size_t msglen)
{
	static fx_cluster_t fs[20];
	store_op_t ops[20];
	for (int i = 0; i < 20; i++) {
		char id[32];
		snprintf(id, sizeof(id), "b%04d-%02d", batch, i);
		fx_cluster_init(&fs[i], id, "DE", "Bavaria", "Munich", "Optics");
		for (int k = 0; k < 16; k++)
			fx_add_indicator(&fs[i], "employment", 2000 + k, k);
		/* Room for more: the fixture's arena holds 16 indicators, so
		 * the name carries the weight. */
		snprintf(fs[i].name, sizeof(fs[i].name), "%063d", batch);
		ops[i] = (store_op_t){.kind = STORE_CLUSTER_CREATE,
		                      .cluster = &fs[i].c};
	}
	int rc = store_apply(st, ops, 20);
	snprintf(msg, msglen, "%s", ops[0].err);
	for (int i = 0; rc == CD_OK && i < 20; i++)
		assert_int_equal(ops[i].rc, CD_OK);
	return rc;
}

/* Writes batches from `first` until one fails; returns the failing batch
 * or fails the test when none does within `max`. */
static int fill(store_t *st, int first, int max, int *rc, char *msg,
                size_t msglen)
{
	for (int b = first; b < first + max; b++)
		if ((*rc = write_batch(st, b, msg, msglen)) != CD_OK)
			return b;
	fail_msg("no write failed in %d batches", max);
	return -1;
}

static void expect_ok_batches(store_t *st, int first, int last)
{
	store_cluster_t *c;
	for (int b = first; b < last; b++) {
		char id[32];
		snprintf(id, sizeof(id), "b%04d-%02d", b, 19);
		if (store_cluster_get(st, id, &c, err, sizeof(err)) != CD_OK)
			fail_msg("%s lost: %s", id, err);
		store_cluster_free(c);
	}
}

static void test_file_size_limit(void **state)
{
	(void)state;
	char *dir = fx_tmpdir();
	logged_t l = {0};
	store_t *st = open_logged(dir, &l);
	char msg[512];
	store_stats_t s;
	struct rlimit saved, lim;
	struct stat sb;
	char path[600];

	assert_int_equal(write_batch(st, 0, msg, sizeof(msg)), CD_OK);
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	assert_int_equal(stat(path, &sb), 0);

	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
	lim = saved;
	lim.rlim_cur = (rlim_t)sb.st_size + (256 << 10);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);

	int rc, failed = fill(st, 1, 200, &rc, msg, sizeof(msg));
	/* A second failure: counted, not logged again. */
	assert_int_equal(write_batch(st, failed, msg, sizeof(msg)), CD_ELIMIT);
	assert_int_equal(store_stats(st, &s), CD_OK);

	/* A backup hits the same limit, and says so about its own
	 * directory. */
	char *bdir = fx_tmpdir();
	char copy[600];
	snprintf(copy, sizeof(copy), "%s/copy", bdir);
	lim.rlim_cur = 64 << 10;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	int brc = store_backup(st, copy, err, sizeof(err));
	char berr[512];
	snprintf(berr, sizeof(berr), "%s", err);

	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	signal(SIGXFSZ, SIG_DFL);

	assert_int_equal(rc, CD_ELIMIT);
	assert_non_null(strstr(msg, "disk full"));
	assert_non_null(strstr(msg, dir));
	assert_int_equal(s.disk_full, 1);
	assert_int_equal(s.space_failures, 2);
	assert_int_equal(l.errors, 1);
	assert_non_null(strstr(l.last_error, "disk full"));
	assert_non_null(strstr(l.last_error, dir));
	assert_int_equal(brc, CD_ELIMIT);
	assert_non_null(strstr(berr, "disk full"));
	assert_non_null(strstr(berr, copy));
	fx_rmdir(bdir);

	/* Everything committed before is there; the refused batch is not. */
	expect_ok_batches(st, 0, failed);
	store_cluster_t *c;
	char id[32];
	snprintf(id, sizeof(id), "b%04d-%02d", failed, 0);
	assert_int_equal(store_cluster_get(st, id, &c, err, sizeof(err)),
	                 CD_ENOTFOUND);

	/* Room again: the same batch goes in, and the store says so. */
	assert_int_equal(write_batch(st, failed, msg, sizeof(msg)), CD_OK);
	assert_int_equal(store_stats(st, &s), CD_OK);
	assert_int_equal(s.disk_full, 0);
	assert_int_equal(s.space_failures, 2);
	assert_int_equal(l.infos, 1);
	assert_non_null(strstr(l.last_info, "succeed again"));
	expect_ok_batches(st, 0, failed + 1);
	store_close(st);

	/* And the file opens again afterwards. */
	st = open_logged(dir, &l);
	expect_ok_batches(st, 0, failed + 1);
	store_close(st);
	fx_rmdir(dir);
}

/* A real full disk: a 2 MiB tmpfs. Both ways LMDB fails on it are seen
 * here: ENOSPC from a write that found no room at all, and EIO from one
 * that came up short. */
static void test_tmpfs_full(void **state)
{
	(void)state;
	char *base = fx_tmpdir();
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("tmpfs", base, "tmpfs", 0, "size=2m,mode=0700") != 0) {
		fx_rmdir(base);
		skip(); /* no CAP_SYS_ADMIN here */
	}
	char dir[600], ballast[600], msg[512];
	snprintf(dir, sizeof(dir), "%s/data", base);
	snprintf(ballast, sizeof(ballast), "%s/ballast", base);
	/* Room to give back later. */
	int fd = open(ballast, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	static char chunk[256 << 10];
	memset(chunk, 'x', sizeof(chunk));
	assert_int_equal(write(fd, chunk, sizeof(chunk)), (ssize_t)sizeof(chunk));
	close(fd);

	/* A store whose lock file is there but whose data file is not. */
	char other[600], other2[600], path[700];
	snprintf(other, sizeof(other), "%s/other", base);
	snprintf(other2, sizeof(other2), "%s/other2", base);
	store_t *o = fx_open(other2, 1 << 20);
	store_close(o);
	snprintf(path, sizeof(path), "%s/data.mdb", other2);
	assert_int_equal(unlink(path), 0);

	logged_t l = {0};
	store_t *st = open_logged(dir, &l);
	int rc, failed = fill(st, 0, 200, &rc, msg, sizeof(msg));
	assert_int_equal(rc, CD_ELIMIT);
	assert_non_null(strstr(msg, "disk full"));
	assert_non_null(strstr(msg, dir));
	assert_int_equal(l.errors, 1);

	/* A new store on the full disk fails to start with the same
	 * words, whether its lock file (other) or its data file (other2)
	 * finds no room. */
	for (int i = 0;; i++) {
		/* Take what the failed batch left. */
		char pad[600];
		snprintf(pad, sizeof(pad), "%s/pad%d", base, i);
		fd = open(pad, O_WRONLY | O_CREAT | O_EXCL, 0600);
		assert_true(fd >= 0);
		ssize_t w = write(fd, chunk, 4096);
		close(fd);
		if (w <= 0 || i > 600)
			break;
	}
	const char *news[] = {other, other2};
	for (int i = 0; i < 2; i++) {
		o = (store_t *)1;
		rc = store_open(&o, news[i], NULL, err, sizeof(err));
		if (rc != CD_ELIMIT || !strstr(err, "disk full") ||
		    !strstr(err, news[i]))
			fail_msg("%s: %s: %s", news[i], cd_err_name(rc), err);
		assert_null(o);
	}

	assert_int_equal(unlink(ballast), 0);
	for (int i = 0; i <= 601; i++) {
		char pad[600];
		snprintf(pad, sizeof(pad), "%s/pad%d", base, i);
		unlink(pad);
	}
	assert_int_equal(write_batch(st, failed, msg, sizeof(msg)), CD_OK);
	assert_int_equal(l.infos, 1);
	expect_ok_batches(st, 0, failed + 1);
	store_close(st);
	umount2(base, MNT_DETACH);
	fx_rmdir(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_size_limit),
		cmocka_unit_test(test_tmpfs_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
