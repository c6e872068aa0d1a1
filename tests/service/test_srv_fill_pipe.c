/* srv_fill with the plugin cohort on a helper thread (srv_fill_pipe): over
 * a store of several thousand varied records (many batches, records of
 * every shape), both cohorts equal those of a one-thread fill; a record the
 * plugin cohort refuses fails the fill with the same code and message,
 * also when a later record does not decode (the earlier failure wins);
 * a subset reads the same, and one with an unknown id fails as before. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cd_error.h"
#include "clusters/v1/clusters.pb-c.h"
#include "engine.h"
#include "plugin_cohort.h"
#include "plugin_internal.h"
#include "srv_eval.h"
#include "srv_fill.h"
#include "store.h"

#define N 5000

static cp_host_t host;
static plugin_host_ctx_t hctx;

static const char *const inames[] = { "revenue", "firms", "rev", "staff",
                                      "patents", "exports" };
static const char *const econ[] = { "CN", "CN/HK", "DE", "", "US" };

/* Writes N records; dup_at gets an indicator twice (the plugin cohort
 * refuses it), bad_at bytes that do not decode (past the store's check of
 * the top level). Negative: none. */
static store_t *make_store(char *dir, int dup_at, int bad_at)
{
	assert_non_null(mkdtemp(dir));
	store_t *st;
	char err[256];
	store_opts_t so = { .nosync = 1, .map_size = (size_t)256 << 20 };
	assert_int_equal(store_open(&st, dir, &so, err, sizeof(err)), CD_OK);
	for (int i = 0; i < N; i++) {
		Clusters__V1__Cluster c;
		Clusters__V1__Indicator ind[7], *indp[7];
		Clusters__V1__Assessment as[3], *asp[3];
		Clusters__V1__Cluster__LabelsEntry lab, *labp = &lab;
		char id[16], name[32], region[16], city[4][16], *cities[4];
		clusters__v1__cluster__init(&c);
		snprintf(id, sizeof(id), "c%05d", i);
		snprintf(name, sizeof(name), "Cluster %d", i);
		snprintf(region, sizeof(region), "R%d", i % 13 ? i % 13 : 130);
		c.id = id;
		c.name = i % 9 ? name : "";
		c.economy = (char *)econ[i % 5];
		c.region = region;
		c.industry = i % 4 ? "ICT" : "Equipment";
		c.n_cities = (size_t)(i % 4);
		for (int k = 0; k < 4; k++) {
			snprintf(city[k], sizeof(city[k]), "%s%d",
			         k % 2 ? "Fo" : "Foshan", (i + k) % 17);
			cities[k] = city[k];
		}
		c.cities = cities;
		c.n_indicators = (size_t)(i % 6) + 1;
		for (size_t k = 0; k < c.n_indicators; k++) {
			clusters__v1__indicator__init(&ind[k]);
			ind[k].name = (char *)inames[(k + (size_t)i) % 6];
			ind[k].year = 2022 - (int)((k * 7 + (size_t)i) % 5);
			ind[k].value = i * 0.5 + (double)k;
			indp[k] = &ind[k];
		}
		if (i == dup_at) {
			ind[c.n_indicators] = ind[0];
			indp[c.n_indicators] = &ind[c.n_indicators];
			c.n_indicators++;
		}
		c.indicators = indp;
		if (i % 7 == 0) {
			for (int k = 0; k < 3; k++) {
				clusters__v1__assessment__init(&as[k]);
				as[k].judge = k ? "j2" : "j1";
				as[k].criterion = "impact";
				as[k].score = (double)(i % 10);
				as[k].round = k == 2 ? "final" : "1";
				as[k].recused = k == 1;
				asp[k] = &as[k];
			}
			c.n_assessments = 3;
			c.assessments = asp;
		}
		if (i % 3 == 0) {
			clusters__v1__cluster__labels_entry__init(&lab);
			lab.key = "tier";
			lab.value = i % 2 ? "gold" : "silver";
			c.n_labels = 1;
			c.labels = &labp;
		}
		uint8_t buf[2048];
		size_t len = clusters__v1__cluster__pack(&c, buf);
		if (i == bad_at) {
			/* An indicator whose name has the wrong wire type. */
			const uint8_t bad[] = { 0x3a, 0x02, 0x08, 0x01 };
			memcpy(buf + len, bad, sizeof(bad));
			len += sizeof(bad);
		}
		store_op_t op = { .kind = STORE_CLUSTER_UPSERT, .cluster = &c,
		                  .packed = buf, .packed_len = len,
		                  .validated = 1 };
		assert_int_equal(store_apply(st, &op, 1), CD_OK);
		assert_int_equal(op.rc, CD_OK);
	}
	return st;
}

static int rm_one(const char *p, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void drop_store(store_t *st, const char *dir)
{
	store_close(st);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* One round "final" with a label and an indicator filter, so the engine
 * cohort has those columns too. */
static Clusters__V1__Competition *def_make(void)
{
	static Clusters__V1__Round r, *rp = &r;
	static Clusters__V1__Filter f1, f2, *fp[2] = { &f1, &f2 };
	static Clusters__V1__Competition d;
	clusters__v1__round__init(&r);
	clusters__v1__filter__init(&f1);
	clusters__v1__filter__init(&f2);
	clusters__v1__competition__init(&d);
	f1.field = CLUSTERS__V1__FILTER_FIELD__FILTER_FIELD_LABEL;
	f1.key = "tier";
	f2.field = CLUSTERS__V1__FILTER_FIELD__FILTER_FIELD_INDICATOR;
	f2.key = "revenue";
	r.name = "final";
	r.n_eligibility = 2;
	r.eligibility = fp;
	d.n_rounds = 1;
	d.rounds = &rp;
	return &d;
}

typedef struct filled {
	engine_cohort_t *ec;
	plugin_cohort_t *pc;
	int rc;
	char err[256];
} filled_t;

static filled_t fill(store_t *st, int threads, char *const *ids, size_t nids,
                     engine_progress_fn progress)
{
	filled_t f = { 0 };
	store_snap_t *snap;
	assert_int_equal(store_snap_open(st, &snap), CD_OK);
	srv_eval_req_t r = { .def = def_make(), .snap = snap,
	                     .cluster_ids = ids, .ncluster_ids = nids,
	                     .progress = progress, .fill_threads = threads };
	f.rc = srv_fill_cohorts(&r, &f.ec, &f.pc, f.err, sizeof(f.err));
	store_snap_close(snap);
	return f;
}

static void unfill(filled_t *f)
{
	engine_cohort_destroy(f->ec);
	plugin_cohort_destroy(f->pc);
}

static void same_str(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void compare(const filled_t *a, const filled_t *b)
{
	const cp_host_t *h = &host;
	size_t n = engine_cohort_size(a->ec);
	assert_int_equal(n, engine_cohort_size(b->ec));
	assert_int_equal(n, cp_cohort_size(h, a->pc));
	assert_int_equal(n, cp_cohort_size(h, b->pc));
	for (size_t i = 0; i < n; i++) {
		same_str(engine_cohort_id(a->ec, i), engine_cohort_id(b->ec, i));
		same_str(engine_cohort_region(a->ec, i),
		         engine_cohort_region(b->ec, i));
		assert_int_equal(engine_cohort_city_count(a->ec, i),
		                 engine_cohort_city_count(b->ec, i));
		cp_cluster_t x = cp_cohort_at(h, a->pc, i),
		             y = cp_cohort_at(h, b->pc, i);
		same_str(cp_cluster_id(h, x), cp_cluster_id(h, y));
		same_str(cp_cluster_id(h, y), engine_cohort_id(b->ec, i));
		same_str(cp_cluster_name(h, x), cp_cluster_name(h, y));
		same_str(cp_cluster_economy(h, x), cp_cluster_economy(h, y));
		same_str(cp_cluster_region(h, x), cp_cluster_region(h, y));
		same_str(cp_cluster_industry(h, x), cp_cluster_industry(h, y));
		size_t nc = cp_cluster_city_count(h, x);
		assert_int_equal(nc, cp_cluster_city_count(h, y));
		for (size_t k = 0; k < nc; k++)
			same_str(cp_cluster_city(h, x, k), cp_cluster_city(h, y, k));
		for (size_t k = 0; k < 6; k++) {
			int yx[8], yy[8];
			size_t cx = cp_indicator_years(h, x, inames[k], yx, 8);
			assert_int_equal(cx, cp_indicator_years(h, y, inames[k],
			                                         yy, 8));
			for (size_t j = 0; j < cx && j < 8; j++) {
				double vx = 0, vy = 1;
				assert_int_equal(yx[j], yy[j]);
				assert_int_equal(cp_indicator(h, x, inames[k], yx[j],
				                              &vx), 1);
				assert_int_equal(cp_indicator(h, y, inames[k], yy[j],
				                              &vy), 1);
				assert_true(vx == vy);
			}
		}
		size_t na = cp_assessment_count(h, x);
		assert_int_equal(na, cp_assessment_count(h, y));
		for (size_t k = 0; k < na; k++) {
			cp_assessment_t p, q;
			assert_int_equal(cp_assessment_at(h, x, k, &p), 1);
			assert_int_equal(cp_assessment_at(h, y, k, &q), 1);
			same_str(p.judge, q.judge);
			same_str(p.criterion, q.criterion);
			assert_int_equal(p.round, q.round);
			assert_int_equal(p.recused, q.recused);
			assert_true(p.score == q.score);
		}
		same_str(cp_label(h, x, "tier"), cp_label(h, y, "tier"));
	}
}

static void test_same_cohorts(void **st)
{
	(void)st;
	char dir[] = "/tmp/test_srv_fill_pipe.XXXXXX";
	store_t *s = make_store(dir, -1, -1);
	filled_t one = fill(s, 1, NULL, 0, NULL),
	         two = fill(s, 2, NULL, 0, NULL),
	         dflt = fill(s, 0, NULL, 0, NULL);
	assert_int_equal(one.rc, CD_OK);
	assert_int_equal(two.rc, CD_OK);
	assert_int_equal(dflt.rc, CD_OK);
	assert_int_equal(engine_cohort_size(one.ec), N);
	compare(&one, &two);
	compare(&one, &dflt);
	/* The round named "final" is round 1 in both. */
	cp_assessment_t a;
	assert_int_equal(cp_assessment_at(&host, cp_cohort_at(&host, two.pc, 7),
	                                  2, &a), 1);
	assert_int_equal(a.round, 1);
	unfill(&one);
	unfill(&two);
	unfill(&dflt);

	/* A subset, and one with an id the store lacks. */
	char *ids[] = { "c04999", "c00000", "c02500" };
	one = fill(s, 1, ids, 3, NULL);
	two = fill(s, 2, ids, 3, NULL);
	assert_int_equal(two.rc, CD_OK);
	assert_int_equal(engine_cohort_size(two.ec), 3);
	compare(&one, &two);
	unfill(&one);
	unfill(&two);
	char *missing[] = { "c00001", "zz" };
	two = fill(s, 2, missing, 2, NULL);
	assert_int_equal(two.rc, CD_ENOTFOUND);
	assert_non_null(strstr(two.err, "'zz' not found"));
	unfill(&two);
	drop_store(s, dir);
}

static void test_refused_record(void **st)
{
	(void)st;
	char dir[] = "/tmp/test_srv_fill_pipe.XXXXXX";
	/* Refused by the plugin cohort at 1700 (the helper), undecodable at
	 * 1750 (the scanning thread, later, in the same batch, so it fails
	 * before the helper has seen 1700): the first one is reported. */
	store_t *s = make_store(dir, 1700, 1750);
	filled_t one = fill(s, 1, NULL, 0, NULL),
	         two = fill(s, 2, NULL, 0, NULL);
	assert_int_equal(one.rc, CD_EV_DUPLICATE);
	assert_int_equal(two.rc, CD_EV_DUPLICATE);
	assert_string_equal(one.err, two.err);
	assert_non_null(strstr(two.err, "c01700"));
	unfill(&one);
	unfill(&two);
	drop_store(s, dir);

	/* Only the undecodable record. */
	char dir2[] = "/tmp/test_srv_fill_pipe.XXXXXX";
	s = make_store(dir2, -1, 4100);
	one = fill(s, 1, NULL, 0, NULL);
	two = fill(s, 2, NULL, 0, NULL);
	assert_int_equal(one.rc, CD_ECORRUPT);
	assert_int_equal(two.rc, CD_ECORRUPT);
	assert_string_equal(one.err, two.err);
	assert_non_null(strstr(two.err, "c04100"));
	unfill(&one);
	unfill(&two);
	drop_store(s, dir2);
}

static int setup(void **st)
{
	(void)st;
	plugin_host_setup(&host, &hctx);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_cohorts),
		cmocka_unit_test(test_refused_record),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
