/* The engine's cohort over a sealed plugin cohort filled from packed
 * clusters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "clusters/v1/clusters.pb-c.h"
#include "engine_internal.h"
#include "th.h"

#define NORM(x) CLUSTERS__V1__NORMALIZATION__NORMALIZATION_##x
#define FF(x) CLUSTERS__V1__FILTER_FIELD__FILTER_FIELD_##x
#define CMP(x) CLUSTERS__V1__COMPARISON__COMPARISON_##x

static Clusters__V1__Competition *def_with_columns(void)
{
	Clusters__V1__Competition *c = th_comp("c");
	Clusters__V1__Round *r = th_round(c, "r");
	th_crit(r, "k", 1, NORM(NONE));
	th_filter(r, FF(LABEL), "tier", 0, CMP(IN), "gold", 0);
	th_filter(r, FF(INDICATOR), "revenue", 2020, CMP(GE), NULL, 1);
	th_filter(r, FF(INDICATOR), "revenue", 0, CMP(GE), NULL, 1);
	/* Asked twice: one column. */
	th_filter(th_round(c, "r2"), FF(LABEL), "tier", 0, CMP(PRESENT), NULL, 0);
	th_crit(c->rounds[1], "k", 1, NORM(NONE));
	return c;
}

static void t_fields(void **st)
{
	(void)st;
	Clusters__V1__Competition *def = def_with_columns();
	th_cluster_t v[] = {
		{ .id = "a", .economy = "CN/HK", .region = "Guangdong",
		  .cities = "Shenzhen,Hong Kong", .industry = "electronics",
		  .labels = "tier=gold;other=x",
		  .indicators = "revenue:2019=5;revenue:2021=7;revenue:2020=6;"
		                "staff:2020=9" },
		{ .id = "b", .economy = "JP", .cities = "Tokyo" },
	};
	engine_cohort_t *c = th_cohort(def, v, 2);
	assert_int_equal(engine_cohort_size(c), 2);
	assert_string_equal(engine_cohort_id(c, 0), "a");
	assert_string_equal(engine_cohort_name(c, 1), "b");
	assert_string_equal(engine_cohort_economy(c, 0), "CN/HK");
	assert_string_equal(engine_cohort_region(c, 0), "Guangdong");
	assert_string_equal(engine_cohort_region(c, 1), "");
	assert_string_equal(engine_cohort_industry(c, 0), "electronics");
	assert_int_equal(engine_cohort_city_count(c, 0), 2);
	assert_string_equal(engine_cohort_city(c, 0, 1), "Hong Kong");
	assert_int_equal(engine_cohort_city_count(c, 1), 1);
	assert_true(c->ids_sorted);
	assert_true(engine_cohort_bytes(c) > 0);

	/* Economy parts, split once per distinct economy. */
	uint32_t e = c->economy[0];
	assert_int_equal(c->part_off[e + 1] - c->part_off[e], 2);
	assert_string_equal(engine_dict_str(&c->parts, c->part[c->part_off[e]]),
	                    "CN");
	assert_string_equal(
	    engine_dict_str(&c->parts, c->part[c->part_off[e] + 1]), "HK");

	/* Only the columns the filters read. */
	assert_int_equal(c->nlcol, 1);
	assert_int_equal(c->nicol, 2);
	const engine_label_col_t *l = engine_cohort_label_col(c, "tier");
	assert_string_equal(engine_cohort_str(c, l->val[0]), "gold");
	assert_int_equal(l->val[1], ENGINE_SID_NONE);
	assert_null(engine_cohort_label_col(c, "other"));
	const engine_ind_col_t *y = engine_cohort_ind_col(c, "revenue", 2020);
	const engine_ind_col_t *latest = engine_cohort_ind_col(c, "revenue", 0);
	TH_NEAR(y->val[0], 6, 0);
	TH_NEAR(latest->val[0], 7, 0);   /* 2021 is the latest */
	assert_true(isnan(y->val[1]));
	assert_null(engine_cohort_ind_col(c, "staff", 2020));
	th_cohort_free(c);
	th_comp_free(def);
}

/* Fields the engine does not read (assessments, etag, times, unknown
 * numbers) are skipped, whatever their wire type. */
static void t_skips_other_fields(void **st)
{
	(void)st;
	Clusters__V1__Cluster m = CLUSTERS__V1__CLUSTER__INIT;
	Clusters__V1__Assessment as = CLUSTERS__V1__ASSESSMENT__INIT, *ap = &as;
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	m.id = "x";
	m.name = "X";
	m.economy = "DE";
	as.judge = "j";
	as.criterion = "k";
	as.score = 4.5;
	as.recused = 1;
	m.assessments = &ap;
	m.n_assessments = 1;
	m.etag = "e1";
	ts.seconds = 1234567;
	m.create_time = &ts;
	size_t len = clusters__v1__cluster__get_packed_size(&m);
	uint8_t buf[256];
	assert_true(len + 16 < sizeof(buf));
	clusters__v1__cluster__pack(&m, buf);
	/* Unknown field 50 as varint, 51 as fixed32, 52 as fixed64. */
	uint8_t extra[] = { 0x90, 0x03, 0x96, 0x01, 0x9d, 0x03, 1, 2, 3, 4,
	                    0xa1, 0x03, 1, 2, 3, 4, 5, 6, 7, 8 };
	memcpy(buf + len, extra, sizeof(extra));
	plugin_cohort_t *pc;
	char err[256];
	assert_int_equal(plugin_cohort_create(&pc, 0, 0, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(th_add_packed(pc, buf, len + sizeof(extra), err,
	                               sizeof(err)), CD_OK);
	engine_cohort_t *c = th_cohort_seal(pc, NULL);
	assert_string_equal(engine_cohort_id(c, 0), "x");
	assert_string_equal(engine_cohort_name(c, 0), "X");
	assert_string_equal(engine_cohort_economy(c, 0), "DE");
	th_cohort_free(c);
}

/* Records that do not parse, or have no id, are refused before anything
 * of them reaches the cohort. */
static void t_corrupt(void **st)
{
	(void)st;
	plugin_cohort_t *pc;
	char err[256];
	assert_int_equal(plugin_cohort_create(&pc, 0, 0, err, sizeof(err)),
	                 CD_OK);
	th_cluster_t ok = { .id = "a", .cities = "x,y" };
	size_t len;
	uint8_t *b = th_pack(&ok, &len);
	/* Every truncation that cuts a field short is refused. */
	size_t refused = 0;
	for (size_t cut = 1; cut < len; cut++) {
		int rc = th_add_packed(pc, b, cut, err, sizeof(err));
		if (rc) {
			assert_int_equal(rc, CD_ECORRUPT);
			refused++;
		}
	}
	assert_true(refused > 0);
	free(b);
	size_t before = plugin_cohort_size(pc);
	uint8_t group[] = { 0x0b, 0x0c };           /* field 1 as a group */
	assert_int_equal(th_add_packed(pc, group, 2, err, sizeof(err)),
	                 CD_ECORRUPT);
	char want[64];
	snprintf(want, sizeof(want),
	         "cluster #%zu: not a valid clusters.v1.Cluster", before);
	assert_string_equal(err, want);
	uint8_t longlen[] = { 0x0a, 0x7f, 'a' };     /* length beyond the end */
	assert_int_equal(th_add_packed(pc, longlen, 3, err, sizeof(err)),
	                 CD_ECORRUPT);
	uint8_t varint[] = { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	                     0xff, 0xff, 0xff, 0xff };   /* varint too long */
	assert_int_equal(th_add_packed(pc, varint, sizeof(varint), err,
	                               sizeof(err)), CD_ECORRUPT);
	uint8_t zero_tag[] = { 0x00, 0x01 };
	assert_int_equal(th_add_packed(pc, zero_tag, 2, err, sizeof(err)),
	                 CD_ECORRUPT);
	/* A city, then a truncated name: nothing of it is added. */
	uint8_t half[] = { 0x2a, 0x01, 'z', 0x12, 0x05, 'a' };
	assert_int_equal(th_add_packed(pc, half, sizeof(half), err,
	                               sizeof(err)), CD_ECORRUPT);
	th_cluster_t noid = { .id = "", .region = "r" };
	b = th_pack(&noid, &len);
	assert_int_equal(th_add_packed(pc, b, len, err, sizeof(err)),
	                 CD_ECORRUPT);
	snprintf(want, sizeof(want), "cluster #%zu: record without an id",
	         before);
	assert_string_equal(err, want);
	free(b);
	assert_int_equal(plugin_cohort_size(pc), before);
	engine_cohort_t *c = th_cohort_seal(pc, NULL);
	assert_int_equal(engine_cohort_size(c), before);
	size_t ncity = 0;
	for (size_t i = 0; i < before; i++)
		ncity += engine_cohort_city_count(c, i);
	assert_int_equal(c->city_off[before], ncity);
	th_cohort_free(c);
}

static void t_unsorted(void **st)
{
	(void)st;
	th_cluster_t v[] = { { .id = "b" }, { .id = "a" } };
	engine_cohort_t *c = th_cohort(NULL, v, 2);
	assert_false(c->ids_sorted);
	th_cohort_free(c);
}

static void t_dict(void **st)
{
	(void)st;
	engine_dict_t d;
	uint32_t a, b, a2;
	assert_int_equal(engine_dict_init(&d), CD_OK);
	assert_int_equal(engine_dict_find(&d, "", 0), 0);
	assert_int_equal(engine_dict_find(&d, "x", 1), ENGINE_SID_NONE);
	assert_int_equal(engine_dict_intern(&d, "alpha", 5, &a), CD_OK);
	assert_int_equal(engine_dict_intern(&d, "alphabet", 5, &a2), CD_OK);
	assert_int_equal(a, a2);                 /* only len bytes count */
	assert_int_equal(engine_dict_intern(&d, "alp", 3, &b), CD_OK);
	assert_int_not_equal(a, b);
	for (int i = 0; i < 1000; i++) {
		char s[16];
		uint32_t sid;
		snprintf(s, sizeof(s), "s%d", i);
		assert_int_equal(engine_dict_intern(&d, s, strlen(s), &sid), CD_OK);
		assert_int_equal(sid, (uint32_t)i + 3);
	}
	assert_string_equal(engine_dict_str(&d, a), "alpha");
	assert_int_equal(engine_dict_find(&d, "s999", 4), 1002);
	/* A hint is tried first and is only a hint: a prefix, a longer
	 * string, an unknown sid or ENGINE_SID_NONE still intern right. */
	uint32_t hint = a, sid;
	assert_int_equal(engine_dict_intern_hinted(&d, "alp", 3, &hint, &sid),
	                 CD_OK);
	assert_int_equal(sid, b);
	assert_int_equal(hint, b);
	assert_int_equal(engine_dict_intern_hinted(&d, "alpha", 5, &hint, &sid),
	                 CD_OK);
	assert_int_equal(sid, a);
	assert_int_equal(engine_dict_intern_hinted(&d, "alpha", 5, &hint, &sid),
	                 CD_OK);
	assert_int_equal(sid, a);
	hint = 5000;
	assert_int_equal(engine_dict_intern_hinted(&d, "s7", 2, &hint, &sid),
	                 CD_OK);
	assert_int_equal(sid, 10);
	hint = ENGINE_SID_NONE;
	assert_int_equal(engine_dict_intern_hinted(&d, "new", 3, &hint, &sid),
	                 CD_OK);
	assert_int_equal(sid, 1003);
	assert_int_equal(hint, 1003);
	assert_int_equal(engine_dict_size(&d), 1004);
	engine_dict_fini(&d);
}

/* Neighbours whose strings share prefixes or differ: the filler's
 * per-place hints never take one string for another. */
static void t_neighbours(void **st)
{
	(void)st;
	Clusters__V1__Competition *def = def_with_columns();
	th_cluster_t v[] = {
		{ .id = "a", .economy = "CN/HK", .region = "Guang",
		  .cities = "Foshan,Shenzhen", .labels = "tier=gold" },
		{ .id = "b", .economy = "CN", .region = "Guangdong",
		  .cities = "Fo,Shenzhen", .labels = "tier=go" },
		{ .id = "c", .economy = "CN/HK", .region = "",
		  .cities = "Foshan,Shen,Shenzhen", .labels = "tier=gold" },
		{ .id = "d", .economy = "CN/H", .region = "Guang",
		  .cities = "Foshan", .labels = "tier=golden" },
	};
	engine_cohort_t *c = th_cohort(def, v, 4);
	const char *reg[] = { "Guang", "Guangdong", "", "Guang" };
	const char *eco[] = { "CN/HK", "CN", "CN/HK", "CN/H" };
	const char *tier[] = { "gold", "go", "gold", "golden" };
	const engine_label_col_t *l = engine_cohort_label_col(c, "tier");
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(engine_cohort_region(c, i), reg[i]);
		assert_string_equal(engine_cohort_economy(c, i), eco[i]);
		assert_string_equal(engine_cohort_str(c, l->val[i]), tier[i]);
	}
	assert_string_equal(engine_cohort_city(c, 1, 0), "Fo");
	assert_string_equal(engine_cohort_city(c, 2, 1), "Shen");
	assert_string_equal(engine_cohort_city(c, 2, 2), "Shenzhen");
	assert_string_equal(engine_cohort_city(c, 3, 0), "Foshan");
	assert_int_equal(c->city[c->city_off[0]], c->city[c->city_off[3]]);
	assert_int_equal(c->economy[0], c->economy[2]);
	/* Three distinct economies: CN/HK, CN, CN/H; parts "", CN, HK, H. */
	assert_int_not_equal(c->economy[0], c->economy[1]);
	assert_int_not_equal(c->economy[0], c->economy[3]);
	assert_int_not_equal(c->economy[1], c->economy[3]);
	assert_int_equal(engine_dict_size(&c->parts), 4);
	th_cohort_free(c);
	th_comp_free(def);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_fields),
		cmocka_unit_test(t_skips_other_fields),
		cmocka_unit_test(t_corrupt),
		cmocka_unit_test(t_unsorted),
		cmocka_unit_test(t_dict),
		cmocka_unit_test(t_neighbours),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
