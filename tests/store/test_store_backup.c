/* Online backups as a stream (store_backup_open/read/close), the counts
 * that go with them, and read-only stores: the bytes open as a store with
 * exactly the counts and data version the stream announced, also while a
 * writer commits all the time; a stream closed early ends its thread and
 * its descriptors and lets the map grow; a read-only store serves reads,
 * refuses writes and never changes its file. */
#include "fixture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char err[512];

static void put(store_t *st, const char *id, int indicators)
{
	fx_cluster_t f;
	fx_cluster_init(&f, id, "NL", "Noord-Brabant", "Eindhoven", "ICT");
	for (int i = 0; i < indicators && i < 16; i++)
		fx_add_indicator(&f, "employment", 1900 + i, i);
	fx_add_label(&f, "tier", "gold");
	char e[256];
	assert_int_equal(store_cluster_create(st, &f.c, NULL, e, sizeof(e)),
	                 CD_OK);
}

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	int n = 0;
	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* The whole stream into dir/data.mdb (dir created); the bytes. */
static uint64_t drain(store_backup_stream_t *b, const char *dir)
{
	char path[700];
	static uint8_t buf[300000];  /* not a multiple of the pipe's size */
	size_t n;
	uint64_t total = 0;
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	for (;;) {
		int rc = store_backup_read(b, buf, sizeof(buf), &n, err,
		                           sizeof(err));
		assert_int_equal(rc, CD_OK);
		if (n == 0)
			break;
		assert_int_equal(write(fd, buf, n), (ssize_t)n);
		total += n;
	}
	close(fd);
	assert_int_equal(store_backup_bytes(b), total);
	/* After the end, the end again. */
	assert_int_equal(store_backup_read(b, buf, sizeof(buf), &n, err,
	                                   sizeof(err)), CD_OK);
	assert_int_equal(n, 0);
	return total;
}

static void assert_counts_equal(const store_counts_t *a,
                                const store_counts_t *b)
{
	assert_int_equal(a->data_version, b->data_version);
	for (size_t i = 0; i < STORE_TABLES; i++) {
		assert_string_equal(a->table[i], b->table[i]);
		if (a->records[i] != b->records[i])
			fail_msg("table %s: %llu != %llu", a->table[i],
			         (unsigned long long)a->records[i],
			         (unsigned long long)b->records[i]);
	}
}

/* Opens dir read-only, counts walking every record, closes. */
static void counts_of(const char *dir, store_counts_t *c)
{
	store_opts_t o = {.read_only = 1};
	store_t *st;
	assert_int_equal(store_open(&st, dir, &o, err, sizeof(err)), CD_OK);
	assert_int_equal(store_counts(st, 1, c, err, sizeof(err)), CD_OK);
	store_close(st);
}

static void test_counts(void **state)
{
	(void)state;
	char *dir = fx_tmpdir();
	store_t *st = fx_open(dir, 1 << 20);
	store_counts_t a, b;
	assert_int_equal(store_counts(st, 0, &a, err, sizeof(err)), CD_OK);
	assert_int_equal(a.data_version, 0);
	assert_string_equal(a.table[0], "clusters");
	assert_string_equal(a.table[STORE_TABLES - 1], "audit");
	for (int i = 0; i < 50; i++) {
		char id[16];
		snprintf(id, sizeof(id), "c%03d", i);
		put(st, id, 2);
	}
	assert_int_equal(store_counts(st, 0, &a, err, sizeof(err)), CD_OK);
	assert_int_equal(store_counts(st, 1, &b, err, sizeof(err)), CD_OK);
	assert_counts_equal(&a, &b);
	assert_int_equal(a.records[0], 50);      /* clusters */
	assert_int_equal(a.records[8], 50);      /* audit */
	assert_int_equal(a.data_version, 50);
	assert_true(b.txnid >= a.txnid);
	store_close(st);
	fx_rmdir(dir);
}

static void test_stream_roundtrip(void **state)
{
	(void)state;
	char *dir = fx_tmpdir(), *out = fx_tmpdir();
	char copy[600];
	store_t *st = fx_open(dir, 1 << 20);
	for (int i = 0; i < 2000; i++) {
		char id[16];
		snprintf(id, sizeof(id), "c%05d", i);
		put(st, id, 16);
	}
	/* Deleted records leave free pages the compacting copy omits. */
	for (int i = 0; i < 2000; i += 3) {
		char id[16];
		snprintf(id, sizeof(id), "c%05d", i);
		assert_int_equal(store_cluster_delete(st, id, NULL, err,
		                                      sizeof(err)), CD_OK);
	}
	store_backup_stream_t *b;
	store_counts_t hc, rc;
	int64_t t0 = (int64_t)time(NULL) * 1000000000, ns = 0;
	assert_int_equal(store_backup_open(st, &b, &hc, &ns, err, sizeof(err)),
	                 CD_OK);
	assert_true(ns >= t0);
	snprintf(copy, sizeof(copy), "%s/copy", out);
	uint64_t bytes = drain(b, copy);
	store_backup_close(b);
	assert_true(bytes > 2 * 4096);
	assert_int_equal(hc.records[0], 2000 - 667);
	counts_of(copy, &rc);
	assert_counts_equal(&hc, &rc);

	/* A store that opens read-write too, with the same records. */
	store_t *c = fx_open(copy, 1 << 20);
	store_cluster_t *got;
	assert_int_equal(store_cluster_get(c, "c00001", &got, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(got->n_indicators, 16);
	store_cluster_free(got);
	assert_int_equal(store_cluster_get(c, "c00000", &got, err, sizeof(err)),
	                 CD_ENOTFOUND);
	store_close(c);
	store_close(st);
	fx_rmdir(dir);
	fx_rmdir(out);
}

static void test_stream_empty_store(void **state)
{
	(void)state;
	char *dir = fx_tmpdir(), *out = fx_tmpdir();
	char copy[600];
	store_t *st = fx_open(dir, 1 << 20);
	store_backup_stream_t *b;
	store_counts_t hc, rc;
	int64_t ns;
	assert_int_equal(store_backup_open(st, &b, &hc, &ns, err, sizeof(err)),
	                 CD_OK);
	snprintf(copy, sizeof(copy), "%s/copy", out);
	assert_true(drain(b, copy) >= 2 * 4096);
	store_backup_close(b);
	counts_of(copy, &rc);
	assert_counts_equal(&hc, &rc);
	assert_int_equal(rc.records[0], 0);
	store_close(st);
	fx_rmdir(dir);
	fx_rmdir(out);
}

typedef struct writer {
	store_t *st;
	atomic_int stop;
	int n;
} writer_t;

static void *write_loop(void *arg)
{
	writer_t *w = arg;
	char id[32], e[256];
	while (!atomic_load(&w->stop)) {
		fx_cluster_t f;
		snprintf(id, sizeof(id), "w%06d", w->n);
		fx_cluster_init(&f, id, "SE", "Skane", "Lund", "ICT");
		fx_add_indicator(&f, "employment", 2020, w->n);
		/* Each transaction changes two tables and the trail. */
		assert_int_equal(store_cluster_create(w->st, &f.c, NULL, e,
		                                      sizeof(e)), CD_OK);
		if (w->n % 2) {
			snprintf(id, sizeof(id), "w%06d", w->n - 1);
			assert_int_equal(store_cluster_delete(w->st, id, NULL,
			                                      e, sizeof(e)),
			                 CD_OK);
		}
		w->n++;
	}
	return NULL;
}

/* The counts announced are those of the copy, with a writer committing
 * as fast as it can all along. */
static void test_stream_consistent_under_writes(void **state)
{
	(void)state;
	char *dir = fx_tmpdir(), *out = fx_tmpdir();
	store_opts_t o = {.nosync = 1, .map_size = 64u << 20};
	store_t *st;
	assert_int_equal(store_open(&st, dir, &o, err, sizeof(err)), CD_OK);
	for (int i = 0; i < 3000; i++) {
		char id[16];
		snprintf(id, sizeof(id), "c%05d", i);
		put(st, id, 16);
	}
	writer_t w = {.st = st};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, write_loop, &w), 0);
	uint64_t last = 0;
	for (int k = 0; k < 8; k++) {
		char copy[600];
		store_backup_stream_t *b;
		store_counts_t hc, rc;
		int64_t ns;
		/* Let some writes through between backups. */
		struct timespec d = {0, 20 * 1000 * 1000};
		nanosleep(&d, NULL);
		assert_int_equal(store_backup_open(st, &b, &hc, &ns, err,
		                                   sizeof(err)), CD_OK);
		snprintf(copy, sizeof(copy), "%s/copy%d", out, k);
		drain(b, copy);
		store_backup_close(b);
		counts_of(copy, &rc);
		assert_counts_equal(&hc, &rc);
		assert_true(hc.data_version >= last);
		last = hc.data_version;
	}
	atomic_store(&w.stop, 1);
	pthread_join(t, NULL);
	assert_true(w.n > 0);
	store_close(st);
	fx_rmdir(dir);
	fx_rmdir(out);
}

/* Closed after the first read: the copy stops, its thread and both ends
 * of the pipe are gone, and the map can grow again (the copy held the
 * map's shared lock). */
static void test_stream_cancel(void **state)
{
	(void)state;
	char *dir = fx_tmpdir();
	store_opts_t o = {.nosync = 1, .map_size = 1u << 20};
	store_t *st;
	assert_int_equal(store_open(&st, dir, &o, err, sizeof(err)), CD_OK);
	for (int i = 0; i < 4000; i++) {
		char id[16];
		snprintf(id, sizeof(id), "c%05d", i);
		put(st, id, 16);
	}
	int fds = count_dir("/proc/self/fd"), tasks = count_dir("/proc/self/task");
	for (int k = 0; k < 5; k++) {
		store_backup_stream_t *b;
		store_counts_t hc;
		int64_t ns;
		static uint8_t buf[4096];
		size_t n;
		assert_int_equal(store_backup_open(st, &b, &hc, &ns, err,
		                                   sizeof(err)), CD_OK);
		assert_int_equal(store_backup_read(b, buf, sizeof(buf), &n, err,
		                                   sizeof(err)), CD_OK);
		assert_int_equal(n, sizeof(buf));
		store_backup_close(b);
	}
	assert_int_equal(count_dir("/proc/self/fd"), fds);
	assert_int_equal(count_dir("/proc/self/task"), tasks);
	/* Grow the map: this waits for every holder of the map lock. */
	store_stats_t s0, s1;
	assert_int_equal(store_stats(st, &s0), CD_OK);
	for (int i = 0; i < 6000; i++) {
		char id[16];
		snprintf(id, sizeof(id), "g%05d", i);
		put(st, id, 16);
	}
	assert_int_equal(store_stats(st, &s1), CD_OK);
	assert_true(s1.grow_count > s0.grow_count);
	store_close(st);
	fx_rmdir(dir);
}

static int file_bytes(const char *path, uint8_t **out, size_t *len)
{
	struct stat sb;
	int fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &sb) != 0)
		return -1;
	*len = (size_t)sb.st_size;
	*out = malloc(*len ? *len : 1);
	assert_int_equal(read(fd, *out, *len), (ssize_t)*len);
	close(fd);
	return 0;
}

static void test_read_only(void **state)
{
	(void)state;
	char *dir = fx_tmpdir(), *empty = fx_tmpdir();
	char path[600];
	store_opts_t o = {.read_only = 1};
	store_t *st = fx_open(dir, 1 << 20);
	for (int i = 0; i < 100; i++) {
		char id[16];
		snprintf(id, sizeof(id), "c%03d", i);
		put(st, id, 4);
	}
	store_close(st);
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	uint8_t *before = NULL, *after = NULL;
	size_t lb = 0, la = 0;
	assert_int_equal(file_bytes(path, &before, &lb), 0);

	/* No store to serve: refused, naming the directory. */
	st = (store_t *)1;
	assert_int_equal(store_open(&st, empty, &o, err, sizeof(err)),
	                 CD_EPRECONDITION);
	assert_null(st);
	assert_non_null(strstr(err, empty));
	assert_non_null(strstr(err, "restore"));

	assert_int_equal(store_open(&st, dir, &o, err, sizeof(err)), CD_OK);
	assert_true(store_read_only(st));
	store_cluster_t *c;
	assert_int_equal(store_cluster_get(st, "c007", &c, err, sizeof(err)),
	                 CD_OK);
	store_cluster_free(c);
	store_snap_t *snap;
	assert_int_equal(store_snap_open(st, &snap), CD_OK);
	assert_int_equal(store_snap_cluster_count(snap), 100);
	assert_int_equal(store_snap_version(snap), 100);
	store_snap_close(snap);

	fx_cluster_t f;
	fx_cluster_init(&f, "new", "NL", NULL, NULL, NULL);
	assert_int_equal(store_cluster_create(st, &f.c, NULL, err, sizeof(err)),
	                 CD_EPRECONDITION);
	assert_non_null(strstr(err, "read-only"));
	assert_int_equal(store_cluster_delete(st, "c001", NULL, err,
	                                      sizeof(err)), CD_EPRECONDITION);
	size_t swept = 9;
	assert_int_equal(store_run_fail_unfinished(st, "t", &swept, err,
	                                           sizeof(err)),
	                 CD_EPRECONDITION);

	/* A read-only store can be backed up too. */
	store_backup_stream_t *b;
	store_counts_t hc, rc;
	int64_t ns;
	char copy[700];
	assert_int_equal(store_backup_open(st, &b, &hc, &ns, err, sizeof(err)),
	                 CD_OK);
	snprintf(copy, sizeof(copy), "%s/copy", empty);
	drain(b, copy);
	store_backup_close(b);
	counts_of(copy, &rc);
	assert_counts_equal(&hc, &rc);
	assert_int_equal(rc.records[0], 100);
	store_close(st);

	assert_int_equal(file_bytes(path, &after, &la), 0);
	assert_int_equal(la, lb);
	assert_memory_equal(before, after, lb);
	free(before);
	free(after);
	fx_rmdir(dir);
	fx_rmdir(empty);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_stream_roundtrip),
		cmocka_unit_test(test_stream_empty_store),
		cmocka_unit_test(test_stream_consistent_under_writes),
		cmocka_unit_test(test_stream_cancel),
		cmocka_unit_test(test_read_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
