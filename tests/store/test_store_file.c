/* A damaged data.mdb — cut short at several sizes, filled with garbage, its
 * metas pointing past its end — is refused by store_open with CD_ECORRUPT
 * and a message naming the file, and left as it was. Before the check,
 * LMDB mapped such a file and the process died of SIGBUS, which would end
 * this test program too. */
#define _GNU_SOURCE /* memmem */
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
	/* Intact metas over garbage pages: the roots LMDB reads at open
	 * are checked (before, LMDB aborted or crashed on some). */
	for (int seed = 0; seed < 8; seed++) {
		memcpy(g, orig, 2 * psize);
		for (size_t i = 2 * psize; i < orig_len; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			g[i] = (unsigned char)x;
		}
		expect_refused(g, orig_len, "is not a tree page");
	}
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

/* The main database's page (from the newest meta) and, in it, the record
 * of the database named `name`. */
static size_t main_root(const unsigned char *f)
{
	uint64_t t0, t1, root;
	memcpy(&t0, f + 16 + 128, 8);
	memcpy(&t1, f + psize + 16 + 128, 8);
	memcpy(&root, f + (t1 > t0 ? psize : 0) + 16 + 112, 8);
	return (size_t)root;
}

static unsigned char *record_of(unsigned char *f, const char *name)
{
	unsigned char *page = f + main_root(f) * psize;
	unsigned char *key = memmem(page, psize, name, strlen(name));
	assert_non_null(key);
	return key - 8; /* the node: lo, hi, flags, ksize, then the key */
}

/* Damage in the main database's page or in a named database's record:
 * found before LMDB follows it. */
static void test_named_roots(void **state)
{
	(void)state;
	unsigned char *g = malloc(orig_len);
	uint64_t v;

	/* The root of 'clusters' past the end of the file. */
	memcpy(g, orig, orig_len);
	unsigned char *rec = record_of(g, "clusters");
	v = orig_len / psize + 100;
	memcpy(rec + 8 + 8 + 40, &v, 8);
	expect_refused(g, orig_len, "'clusters' has its root page past");

	/* ... on a page that is not a tree page (a meta page). */
	memcpy(g, orig, orig_len);
	rec = record_of(g, "clusters");
	v = 1;
	memcpy(rec + 8 + 8 + 40, &v, 8);
	expect_refused(g, orig_len, "root of database 'clusters', is not a "
	                            "tree page");

	/* A record of the wrong size. */
	memcpy(g, orig, orig_len);
	rec = record_of(g, "clusters");
	rec[0] = 47;
	expect_refused(g, orig_len, "record of database 'clusters' is "
	                            "damaged");

	/* A node pointer of the main page outside its nodes. */
	memcpy(g, orig, orig_len);
	memset(g + main_root(g) * psize + 16, 0, 2);
	expect_refused(g, orig_len, "root of the main database, is not a "
	                            "tree page");

	/* A key running off the page. */
	memcpy(g, orig, orig_len);
	rec = record_of(g, "clusters");
	rec[6] = 0xff;
	rec[7] = 0xff;
	expect_refused(g, orig_len, "root of the main database, is not a "
	                            "tree page");
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
		cmocka_unit_test(test_named_roots),
		cmocka_unit_test(test_intact_opens),
		cmocka_unit_test(test_unreadable),
	};
	return cmocka_run_group_tests(tests, make_original, free_original);
}
