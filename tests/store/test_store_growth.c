/* A 1 MiB initial map grows to hold 200,000 clusters with no error reaching
 * the caller; growth survives reopen; a write larger than the ceiling is
 * refused cleanly and leaves the store usable. */
#include "fixture.h"

#include <stdio.h>
#include <string.h>

#define N 200000
#define BATCH 5000

static char err[256];

static void test_grow_200k(void **state)
{
	(void)state;
	char *dir = fx_tmpdir();
	store_t *st = fx_open(dir, 1 << 20);
	store_op_t *ops = calloc(BATCH, sizeof(*ops));
	fx_cluster_t *fs = calloc(BATCH, sizeof(*fs));
	store_stats_t s;

	for (int base = 0; base < N; base += BATCH) {
		for (int k = 0; k < BATCH; k++) {
			char id[32];
			snprintf(id, sizeof(id), "cluster-%06d", base + k);
			fx_cluster_init(&fs[k], id, "DE", "Bavaria", "Munich",
			                "Automotive");
			fx_add_indicator(&fs[k], "employment", 2022, base + k);
			fx_add_indicator(&fs[k], "revenue_cny", 2022, 1e9);
			ops[k] = (store_op_t){.kind = STORE_CLUSTER_UPSERT,
			                      .cluster = &fs[k].c};
		}
		int rc = store_apply(st, ops, BATCH);
		if (rc != CD_OK)
			fail_msg("batch at %d: %s", base, ops[0].err);
		for (int k = 0; k < BATCH; k++)
			assert_int_equal(ops[k].rc, CD_OK);
	}
	assert_int_equal(store_stats(st, &s), CD_OK);
	assert_int_equal(s.clusters, N);
	assert_true(s.grow_count > 0);
	assert_true(s.map_size > (1 << 20));
	assert_true(s.map_used <= s.map_size);
	size_t grown = s.map_size;

	store_cluster_t *c;
	assert_int_equal(store_cluster_get(st, "cluster-123456", &c, err,
	                                   sizeof(err)),
	                 CD_OK);
	assert_true(c->indicators[0]->value == 123456);
	store_cluster_free(c);

	/* Reopen with the small initial size: the grown map is kept. */
	store_close(st);
	st = fx_open(dir, 1 << 20);
	assert_int_equal(store_stats(st, &s), CD_OK);
	assert_int_equal(s.clusters, N);
	assert_true(s.map_size >= grown);
	store_filter_t flt = {.city = "Munich"};
	store_cluster_page_t pg;
	assert_int_equal(store_cluster_list(st, &flt, 10, NULL, &pg, err,
	                                    sizeof(err)),
	                 CD_OK);
	assert_int_equal(pg.n, 10);
	store_cluster_page_free(&pg);
	store_close(st);
	free(ops);
	free(fs);
	fx_rmdir(dir);
}

static void test_ceiling(void **state)
{
	(void)state;
	char *dir = fx_tmpdir();
	store_opts_t o = {.map_size = 1 << 20, .map_size_max = 2 << 20};
	store_t *st = NULL;
	assert_int_equal(store_open(&st, dir, &o, err, sizeof(err)), CD_OK);

	/* A run of 100,000 standings packs to several MiB: over the
	 * ceiling. */
	size_t n = 100000;
	Clusters__V1__Standing *sd = calloc(n, sizeof(*sd));
	Clusters__V1__Standing **sp = calloc(n, sizeof(*sp));
	for (size_t i = 0; i < n; i++) {
		clusters__v1__standing__init(&sd[i]);
		sd[i].cluster_id = "some-cluster-id-of-moderate-length";
		sd[i].rank = (int32_t)i + 1;
		sd[i].score = 1.0 / (double)(i + 1);
		sp[i] = &sd[i];
	}
	Clusters__V1__Run run = CLUSTERS__V1__RUN__INIT;
	run.id = "big-run";
	run.competition_id = "comp";
	run.standings = sp;
	run.n_standings = n;
	assert_int_equal(store_run_put(st, &run, err, sizeof(err)), CD_ELIMIT);
	assert_non_null(strstr(err, "map size limit of 2.0 MiB"));
	assert_non_null(strstr(err, dir));

	/* Still usable. */
	fx_cluster_t f;
	fx_cluster_init(&f, "small", "FR", NULL, NULL, NULL);
	assert_int_equal(store_cluster_create(st, &f.c, NULL, err, sizeof(err)),
	                 CD_OK);
	store_run_t *r;
	assert_int_equal(store_run_get(st, "big-run", 0, &r, err, sizeof(err)),
	                 CD_ENOTFOUND);
	store_close(st);
	free(sd);
	free(sp);
	fx_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grow_200k),
		cmocka_unit_test(test_ceiling),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
