/* A damaged data.mdb — cut short at several sizes, filled with garbage, its
 * metas pointing past its end — is refused by store_open with CD_ECORRUPT
 * and a message naming the file, and left as it was. Before the check,
 * LMDB mapped such a file and the process died of SIGBUS, which would end
 * this test program too. */
#include "fixture.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char err[512];
static unsigned char *orig;
static size_t orig_len, psize;

/* A real data file of a few hundred pages. */
static int make_original(void **state)
{
	(void)state;
	char *dir = fx_tmpdir();
	store_t *st = fx_open(dir, 4 << 20);
	static fx_cluster_t fs[200];
	store_op_t ops[200];
	for (int i = 0; i < 200; i++) {
		char id[32];
		snprintf(id, sizeof(id), "c%04d", i);
		fx_cluster_init(&fs[i], id, "JP", "Kanto", "Tokyo", "Optics");
		for (int y = 0; y < 12; y++)
			fx_add_indicator(&fs[i], "employment", 2000 + y, i);
		ops[i] = (store_op_t){.kind = STORE_CLUSTER_UPSERT,
		                      .cluster = &fs[i].c};
	}
	assert_int_equal(store_apply(st, ops, 200), CD_OK);
	store_close(st);

	char path[600];
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	struct stat sb;
	assert_int_equal(fstat(fd, &sb), 0);
	orig_len = (size_t)sb.st_size;
	orig = malloc(orig_len);
	assert_int_equal(pread(fd, orig, orig_len, 0), (ssize_t)orig_len);
	close(fd);
	psize = (size_t)sysconf(_SC_PAGESIZE); /* what LMDB used */
	assert_true(orig_len >= 16 * psize);
	fx_rmdir(dir);
	return 0;
}

static int free_original(void **state)
{
	(void)state;
	free(orig);
	return 0;
}

/* Writes bytes as data.mdb of a fresh directory and opens it: refused,
 * naming the file, the file untouched. */
static void expect_refused(const unsigned char *bytes, size_t len,
                           const char *why)
{
	char *dir = fx_tmpdir();
	char path[600];
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bytes, len), (ssize_t)len);
	close(fd);

	store_t *st = (store_t *)1;
	int rc = store_open(&st, dir, NULL, err, sizeof(err));
	if (rc != CD_ECORRUPT)
		fail_msg("%s (%zu bytes): store_open gave %s: %s", why, len,
		         cd_err_name(rc), err);
	assert_null(st);
	if (!strstr(err, path))
		fail_msg("%s: message does not name %s: %s", why, path, err);
	if (!strstr(err, why))
		fail_msg("expected '%s' in: %s", why, err);

	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal((size_t)sb.st_size, len);
	fx_rmdir(dir);
}

static void test_truncated(void **state)
{
	(void)state;
	const size_t sizes[] = {
		1, 100, psize - 1, psize, psize + 100, 2 * psize - 1,
		2 * psize, 3 * psize, orig_len / 2, orig_len - psize,
		orig_len - 1,
	};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		expect_refused(orig, sizes[i], "truncated");
}

static void test_garbage(void **state)
{
	(void)state;
	unsigned char *g = malloc(orig_len);
	uint32_t x = 2463534242u;
	for (size_t i = 0; i < orig_len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		g[i] = (unsigned char)x;
	}
	expect_refused(g, orig_len, "not an LMDB data file");
	/* Only the second meta damaged. */
	memcpy(g, orig, orig_len);
	memset(g + psize, 0xA5, 64);
	expect_refused(g, orig_len, "not an LMDB data file");
	/* Zeros, as a file preallocated and never written. */
	memset(g, 0, orig_len);
	expect_refused(g, orig_len, "not an LMDB data file");
	free(g);
}

/* The file is long enough, but the newest meta says it is not: its last
 * page (or a root) lies beyond the end. */
static void test_meta_past_end(void **state)
{
	(void)state;
	unsigned char *g = malloc(orig_len);
	for (int which = 0; which < 2; which++) {
		memcpy(g, orig, orig_len);
		unsigned char *m = g + (size_t)which * psize + 16;
		uint64_t txnid = 1u << 30, last = orig_len / psize + 10;
		memcpy(m + 128, &txnid, 8);   /* make it the newest */
		memcpy(m + 120, &last, 8);
		expect_refused(g, orig_len, "truncated");

		memcpy(g, orig, orig_len);
		uint64_t root = orig_len / psize + 5;
		memcpy(m + 128, &txnid, 8);
		memcpy(m + 112, &root, 8);
		expect_refused(g, orig_len, "root page past its last page");
	}
	free(g);
}

/* The intact file still opens, as does an empty one (LMDB's new file). */
static void test_intact_opens(void **state)
{
	(void)state;
	char *dir = fx_tmpdir();
	char path[600];
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, orig, orig_len), (ssize_t)orig_len);
	close(fd);
	store_t *st = fx_open(dir, 1 << 20);
	store_stats_t s;
	assert_int_equal(store_stats(st, &s), CD_OK);
	assert_int_equal(s.clusters, 200);
	store_close(st);
	fx_rmdir(dir);

	dir = fx_tmpdir();
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	st = fx_open(dir, 1 << 20);
	assert_int_equal(store_stats(st, &s), CD_OK);
	assert_int_equal(s.clusters, 0);
	store_close(st);
	fx_rmdir(dir);
}

/* A data.mdb that cannot be read (a directory in its place) fails the
 * open naming it, without LMDB trying. */
static void test_unreadable(void **state)
{
	(void)state;
	char *dir = fx_tmpdir();
	char path[600];
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	store_t *st = (store_t *)1;
	assert_int_equal(store_open(&st, dir, NULL, err, sizeof(err)),
	                 CD_ECORRUPT);
	assert_null(st);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not a regular file"));
	fx_rmdir(dir);

	/* One that cannot even be opened (a symlink loop). */
	dir = fx_tmpdir();
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	assert_int_equal(symlink(path, path), 0);
	assert_int_equal(store_open(&st, dir, NULL, err, sizeof(err)), CD_EIO);
	assert_null(st);
	assert_non_null(strstr(err, path));
	fx_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_meta_past_end),
		cmocka_unit_test(test_intact_opens),
		cmocka_unit_test(test_unreadable),
	};
	return cmocka_run_group_tests(tests, make_original, free_original);
}
