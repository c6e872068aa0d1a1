/* A reader's snapshot does not change while writers commit; scans resume
 * after a given id; backup produces a directory that opens and holds the
 * same records. */
#include "fixture.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static char err[256];

static void put(store_t *st, const char *id, double v)
{
	fx_cluster_t f;
	fx_cluster_init(&f, id, "SE", "Stockholm", "Stockholm", "ICT");
	fx_add_indicator(&f, "employment", 2022, v);
	store_op_t op = {.kind = STORE_CLUSTER_UPSERT, .cluster = &f.c};
	assert_int_equal(store_apply(st, &op, 1), CD_OK);
	assert_int_equal(op.rc, CD_OK);
}

typedef struct sum {
	size_t n;
	double total;
	char last[64];
} sum_t;

static int add(void *arg, const char *id, size_t id_len, const uint8_t *val,
               size_t val_len)
{
	sum_t *s = arg;
	store_cluster_t *c = clusters__v1__cluster__unpack(NULL, val_len, val);
	assert_non_null(c);
	s->n++;
	s->total += c->indicators[0]->value;
	snprintf(s->last, sizeof(s->last), "%.*s", (int)id_len, id);
	store_cluster_free(c);
	return 0;
}

typedef struct writer {
	store_t *st;
} writer_t;

static void *write_more(void *arg)
{
	writer_t *w = arg;
	char id[32];
	for (int i = 0; i < 50; i++) {
		snprintf(id, sizeof(id), "w%03d", i);
		put(w->st, id, 1000);
	}
	put(w->st, "a000", 5000); /* overwrite one the snapshot saw */
	assert_int_equal(store_cluster_delete(w->st, "a001", NULL, err,
	                                      sizeof(err)),
	                 CD_OK);
	return NULL;
}

static void test_snapshot_isolation(void **state)
{
	(void)state;
	char *dir = fx_tmpdir();
	store_t *st = fx_open(dir, 0);
	store_snap_t *snap, *snap2;
	sum_t before = {0}, after = {0}, fresh = {0};
	char id[32];

	for (int i = 0; i < 100; i++) {
		snprintf(id, sizeof(id), "a%03d", i);
		put(st, id, i);
	}
	assert_int_equal(store_snap_open(st, &snap), CD_OK);
	uint64_t v = store_snap_version(snap);
	assert_int_equal(store_snap_scan(snap, NULL, NULL, add, &before), 0);
	assert_int_equal(before.n, 100);
	assert_int_equal(store_snap_cluster_count(snap), 100);

	/* Writers commit from another thread meanwhile. */
	pthread_t t;
	writer_t w = {st};
	pthread_create(&t, NULL, write_more, &w);
	pthread_join(t, NULL);

	assert_int_equal(store_snap_scan(snap, NULL, NULL, add, &after), 0);
	assert_int_equal(after.n, before.n);
	assert_true(after.total == before.total);
	assert_int_equal(store_snap_version(snap), v);
	store_cluster_t *c;
	assert_int_equal(store_snap_cluster_get(snap, "a001", &c, err,
	                                        sizeof(err)),
	                 CD_OK);
	store_cluster_free(c);

	/* Runs and competitions are not cluster data: the version stays. */
	store_snap_t *mid;
	Clusters__V1__Run arun = CLUSTERS__V1__RUN__INIT;
	arun.id = "r1";
	arun.competition_id = "c1";
	assert_int_equal(store_snap_open(st, &mid), CD_OK);
	uint64_t vmid = store_snap_version(mid);
	store_snap_close(mid);
	assert_int_equal(store_run_put(st, &arun, err, sizeof(err)), CD_OK);
	assert_int_equal(store_snap_open(st, &mid), CD_OK);
	assert_int_equal(store_snap_version(mid), vmid);
	store_snap_close(mid);
	/* A failed cluster write changes nothing either. */
	assert_int_equal(store_cluster_delete(st, "nope", NULL, err, sizeof(err)),
	                 CD_ENOTFOUND);
	assert_int_equal(store_snap_open(st, &mid), CD_OK);
	assert_int_equal(store_snap_version(mid), vmid);
	store_snap_close(mid);

	/* A new snapshot sees the writes and a later version. */
	assert_int_equal(store_snap_open(st, &snap2), CD_OK);
	assert_true(store_snap_version(snap2) > v);
	assert_int_equal(store_snap_scan(snap2, NULL, NULL, add, &fresh), 0);
	assert_int_equal(fresh.n, 149);
	assert_int_equal(store_snap_cluster_get(snap2, "a001", &c, err,
	                                        sizeof(err)),
	                 CD_ENOTFOUND);

	/* Resume after an id; filters; early stop returns the cb's value. */
	sum_t tail = {0};
	assert_int_equal(store_snap_scan(snap, NULL, "a095", add, &tail), 0);
	assert_int_equal(tail.n, 4);
	assert_string_equal(tail.last, "a099");
	store_filter_t none = {.city = "Paris"};
	sum_t empty = {0};
	assert_int_equal(store_snap_scan(snap, &none, NULL, add, &empty), 0);
	assert_int_equal(empty.n, 0);
	store_filter_t sthlm = {.city = "Stockholm"};
	sum_t filt = {0};
	assert_int_equal(store_snap_scan(snap, &sthlm, "a050", add, &filt), 0);
	assert_int_equal(filt.n, 49);

	store_competition_t *comp;
	store_run_t *run;
	assert_int_equal(store_snap_competition_get(snap, "nope", &comp, err,
	                                            sizeof(err)),
	                 CD_ENOTFOUND);
	assert_int_equal(store_snap_run_get(snap, "nope", 0, &run, err,
	                                    sizeof(err)),
	                 CD_ENOTFOUND);
	store_snap_close(snap2);
	store_snap_close(snap);
	store_snap_close(NULL);
	store_close(st);
	fx_rmdir(dir);
}

static int stop_at_3(void *arg, const char *id, size_t id_len,
                     const uint8_t *val, size_t val_len)
{
	int *n = arg;
	(void)id;
	(void)id_len;
	(void)val;
	(void)val_len;
	return ++*n == 3 ? 777 : 0;
}

static void test_scan_stop(void **state)
{
	(void)state;
	char *dir = fx_tmpdir();
	store_t *st = fx_open(dir, 0);
	store_snap_t *snap;
	put(st, "a", 1);
	put(st, "b", 2);
	put(st, "c", 3);
	put(st, "d", 4);
	assert_int_equal(store_snap_open(st, &snap), CD_OK);
	int n = 0;
	assert_int_equal(store_snap_scan(snap, NULL, NULL, stop_at_3, &n), 777);
	assert_int_equal(n, 3);
	store_snap_close(snap);
	store_close(st);
	fx_rmdir(dir);
}

static void test_backup(void **state)
{
	(void)state;
	char *dir = fx_tmpdir(), *bdir = fx_tmpdir();
	char sub[600], file[700];
	store_t *st = fx_open(dir, 0);
	struct stat sb;
	char id[32];

	for (int i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "b%04d", i);
		put(st, id, i);
	}
	for (int i = 0; i < 1000; i += 2) {
		snprintf(id, sizeof(id), "b%04d", i);
		assert_int_equal(store_cluster_delete(st, id, NULL, err,
		                                      sizeof(err)),
		                 CD_OK);
	}
	snprintf(sub, sizeof(sub), "%s/backup-1", bdir);
	assert_int_equal(store_backup(st, sub, err, sizeof(err)), CD_OK);
	snprintf(file, sizeof(file), "%s/data.mdb", sub);
	assert_int_equal(stat(file, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(stat(sub, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	/* Never overwrites an existing backup. */
	assert_int_equal(store_backup(st, sub, err, sizeof(err)), CD_EEXISTS);
	assert_int_equal(store_backup(st, "", err, sizeof(err)), CD_EINVAL);
	assert_int_equal(store_backup(st, "/proc/nope/x", err, sizeof(err)),
	                 CD_EIO);

	store_t *b = fx_open(sub, 0);
	store_snap_t *s1, *s2;
	sum_t a1 = {0}, a2 = {0};
	assert_int_equal(store_snap_open(st, &s1), CD_OK);
	assert_int_equal(store_snap_open(b, &s2), CD_OK);
	assert_int_equal(store_snap_scan(s1, NULL, NULL, add, &a1), 0);
	assert_int_equal(store_snap_scan(s2, NULL, NULL, add, &a2), 0);
	assert_int_equal(a1.n, 500);
	assert_int_equal(a2.n, 500);
	assert_true(a1.total == a2.total);
	store_filter_t flt = {.economy = "SE"};
	sum_t f2 = {0};
	assert_int_equal(store_snap_scan(s2, &flt, NULL, add, &f2), 0);
	assert_int_equal(f2.n, 500);
	store_snap_close(s1);
	store_snap_close(s2);
	store_close(b);
	store_close(st);
	fx_rmdir(dir);
	fx_rmdir(bdir);
}

/* Scans drop the pages they passed from the resident set as they go;
 * what a scan reads afterwards, and any later read, is unchanged. */
static void test_scan_sheds_pages(void **state)
{
	(void)state;
	char *dir = fx_tmpdir();
	store_opts_t o = {.scan_shed_bytes = 4096};
	store_t *st = NULL;
	char id[32];
	assert_int_equal(store_open(&st, dir, &o, err, sizeof(err)), CD_OK);
	for (int i = 0; i < 2000; i++) {
		snprintf(id, sizeof(id), "s%05d", i);
		put(st, id, i);
	}
	store_snap_t *snap;
	sum_t a = {0}, b = {0}, c = {0};
	assert_int_equal(store_snap_open(st, &snap), CD_OK);
	assert_int_equal(store_snap_scan(snap, NULL, NULL, add, &a), 0);
	assert_int_equal(store_snap_scan(snap, NULL, NULL, add, &b), 0);
	store_filter_t flt = {.city = "Stockholm"};
	assert_int_equal(store_snap_scan(snap, &flt, NULL, add, &c), 0);
	assert_int_equal(a.n, 2000);
	assert_true(a.total == 1999.0 * 2000 / 2);
	assert_true(b.total == a.total);
	assert_true(c.total == a.total);
	store_cluster_t *one;
	assert_int_equal(store_snap_cluster_get(snap, "s01234", &one, err,
	                                        sizeof(err)),
	                 CD_OK);
	assert_true(one->indicators[0]->value == 1234);
	store_cluster_free(one);
	store_snap_close(snap);
	store_close(st);
	fx_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot_isolation),
		cmocka_unit_test(test_scan_stop),
		cmocka_unit_test(test_backup),
		cmocka_unit_test(test_scan_sheds_pages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
