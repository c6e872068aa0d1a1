/* Every validation rule: the right code, and a message naming the field. */
#include "fixture.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static char err[256];

#define EXPECT(call, code, field)                                          \
	do {                                                               \
		err[0] = 0;                                                \
		int rc_ = (call);                                          \
		if (rc_ != (code))                                         \
			fail_msg("%s: got %s (%s), want %s", #call,        \
			         cd_err_name(rc_), err, cd_err_name(code)); \
		if ((code) != CD_OK && !strstr(err, (field)))              \
			fail_msg("message \"%s\" does not name \"%s\"", err, \
			         (field));                                 \
	} while (0)

static fx_cluster_t f;

static void base(void)
{
	fx_cluster_init(&f, "tokyo-yokohama", "JP", "Kanto", "Tokyo", "S&T");
	fx_add_indicator(&f, "pct_applications", 2022, 127418);
}

static void test_valid(void **s)
{
	(void)s;
	base();
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)), CD_OK, "");
	fx_add_label(&f, "maturity", "leading");
	fx_add_assessment(&f, "judge-1", "governance", 7.5);
	fx_add_city(&f, "Yokohama");
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)), CD_OK, "");
}

static void test_id(void **s)
{
	(void)s;
	const char *bad[] = {"", "Tokyo", "-tokyo", ".x", "tok yo", "tok/yo",
	                     "tökyo"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		base();
		snprintf(f.id, sizeof(f.id), "%s", bad[i]);
		EXPECT(store_validate_cluster(&f.c, err, sizeof(err)), CD_EV_ID,
		       "cluster.id");
	}
	base();
	memset(f.id, 'a', 129);
	f.id[129] = 0;
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)), CD_EV_ID,
	       "at most 128");
	f.id[128] = 0; /* exactly 128 is fine */
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)), CD_OK, "");
	EXPECT(store_validate_id("a.b_c-9", "id", err, sizeof(err)), CD_OK, "");
	EXPECT(store_validate_id(NULL, "id", err, sizeof(err)), CD_EV_ID, "id");
}

static void test_name(void **s)
{
	(void)s;
	base();
	f.name[0] = 0;
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)), CD_EV_NAME,
	       "name");
	base();
	f.c.name = NULL;
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)), CD_EV_NAME,
	       "name");
	char longname[300];
	memset(longname, 'x', 299);
	longname[299] = 0;
	base();
	f.c.name = longname;
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)), CD_EV_LENGTH,
	       "name");
}

static void test_economy(void **s)
{
	(void)s;
	const char *good[] = {"JP", "CN/HK", "XK", "US/CA/MX"};
	const char *bad[] = {"", "XX", "jp", "J", "JPN", "CN/", "/CN", "CN//HK",
	                     "CN/CN", "CN-HK",
	                     "AD/AE/AF/AG/AI/AL/AM/AO/AQ"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		EXPECT(store_validate_economy(good[i], "economy", err,
		                              sizeof(err)),
		       CD_OK, "");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		base();
		snprintf(f.economy, sizeof(f.economy), "%s", bad[i]);
		EXPECT(store_validate_cluster(&f.c, err, sizeof(err)),
		       CD_EV_ECONOMY, "economy");
	}
}

static void test_indicators(void **s)
{
	(void)s;
	base();
	f.ind[0].name = "PCT";
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)),
	       CD_EV_INDICATOR_NAME, "indicators[0].name");
	base();
	f.ind[0].name = "";
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)),
	       CD_EV_INDICATOR_NAME, "indicators[0].name");
	base();
	fx_add_indicator(&f, "population", 1799, 1);
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)), CD_EV_YEAR,
	       "indicators[1].year");
	base();
	fx_add_indicator(&f, "population", 2201, 1);
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)), CD_EV_YEAR,
	       "indicators[1].year");
	base();
	fx_add_indicator(&f, "population", 2020, NAN);
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)), CD_EV_NONFINITE,
	       "indicators[1].value");
	base();
	f.ind[0].value = -INFINITY;
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)), CD_EV_NONFINITE,
	       "indicators[0].value");
	base();
	fx_add_indicator(&f, "pct_applications", 2022, 5);
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)),
	       CD_EV_DUPLICATE, "indicators[1]");
	base();
	f.ind[0].unit = "a unit name much longer than thirty-two bytes";
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)), CD_EV_LENGTH,
	       "indicators[0].unit");
}

static void test_indicator_counts(void **s)
{
	(void)s;
	size_t n = STORE_MAX_INDICATORS + 1;
	Clusters__V1__Indicator *ind = calloc(n, sizeof(*ind));
	Clusters__V1__Indicator **p = calloc(n, sizeof(*p));
	for (size_t i = 0; i < n; i++) {
		clusters__v1__indicator__init(&ind[i]);
		ind[i].name = "employment";
		ind[i].year = 1800 + (int)(i % 400);
		ind[i].value = (double)i;
		p[i] = &ind[i];
	}
	base();
	f.c.indicators = p;
	f.c.n_indicators = n;
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)), CD_EV_COUNT,
	       "indicators");
	/* Within the limit, but with a duplicate far apart (hash path). */
	f.c.n_indicators = 1000;
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)),
	       CD_EV_DUPLICATE, "indicators[400]");
	f.c.n_indicators = 400;
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)), CD_OK, "");
	free(ind);
	free(p);
}

static void test_cities_region_industry(void **s)
{
	(void)s;
	base();
	fx_add_city(&f, "Tokyo");
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)),
	       CD_EV_DUPLICATE, "cities[1]");
	base();
	fx_add_city(&f, "");
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)), CD_EV_EMPTY,
	       "cities[1]");
	base();
	char *many[STORE_MAX_CITIES + 1];
	char bufs[STORE_MAX_CITIES + 1][16];
	for (int i = 0; i <= STORE_MAX_CITIES; i++) {
		snprintf(bufs[i], sizeof(bufs[i]), "c%d", i);
		many[i] = bufs[i];
	}
	f.c.cities = many;
	f.c.n_cities = STORE_MAX_CITIES + 1;
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)), CD_EV_COUNT,
	       "cities");
	char longs[200];
	memset(longs, 'r', 199);
	longs[199] = 0;
	base();
	f.c.region = longs;
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)), CD_EV_LENGTH,
	       "region");
	base();
	f.c.industry = longs;
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)), CD_EV_LENGTH,
	       "industry");
}

static void test_encoding(void **s)
{
	(void)s;
	const char *bad[] = {"bad\xff", "ctl\x01x", "over\xc0\xaflong",
	                     "surrogate\xed\xa0\x80", "cut\xe6\x97"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		base();
		f.c.name = (char *)bad[i];
		EXPECT(store_validate_cluster(&f.c, err, sizeof(err)),
		       CD_EV_ENCODING, "name");
	}
	base();
	f.c.name = "深圳市新一代信息通信集群";
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)), CD_OK, "");
}

static void test_assessments(void **s)
{
	(void)s;
	base();
	fx_add_assessment(&f, "", "governance", 5);
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)), CD_EV_EMPTY,
	       "assessments[0].judge");
	base();
	fx_add_assessment(&f, "j1", "Governance", 5);
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)), CD_EV_CRITERION,
	       "assessments[0].criterion");
	base();
	fx_add_assessment(&f, "j1", "governance", NAN);
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)), CD_EV_NONFINITE,
	       "assessments[0].score");
	base();
	fx_add_assessment(&f, "j1", "governance", 1);
	char *c = malloc(STORE_COMMENT_MAX + 2);
	memset(c, 'c', STORE_COMMENT_MAX + 1);
	c[STORE_COMMENT_MAX + 1] = 0;
	f.as[0].comment = c;
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)), CD_EV_LENGTH,
	       "assessments[0].comment");
	/* Comments may span lines; other text may not. */
	f.as[0].comment = "line one\nline two";
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)), CD_OK, "");
	free(c);
	base();
	size_t n = STORE_MAX_ASSESSMENTS + 1;
	Clusters__V1__Assessment a = CLUSTERS__V1__ASSESSMENT__INIT;
	a.judge = "j";
	a.criterion = "x";
	Clusters__V1__Assessment **ap = calloc(n, sizeof(*ap));
	for (size_t i = 0; i < n; i++)
		ap[i] = &a;
	f.c.assessments = ap;
	f.c.n_assessments = n;
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)), CD_EV_COUNT,
	       "assessments");
	free(ap);
}

static void test_labels(void **s)
{
	(void)s;
	base();
	fx_add_label(&f, "Maturity", "x");
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)), CD_EV_LABEL_KEY,
	       "labels");
	base();
	fx_add_label(&f, "maturity", "x");
	fx_add_label(&f, "maturity", "y");
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)),
	       CD_EV_DUPLICATE, "maturity");
	base();
	char v[300];
	memset(v, 'v', 299);
	v[299] = 0;
	fx_add_label(&f, "maturity", v);
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)), CD_EV_LENGTH,
	       "labels[\"maturity\"]");
	base();
	Clusters__V1__Cluster__LabelsEntry e =
	        CLUSTERS__V1__CLUSTER__LABELS_ENTRY__INIT;
	e.key = "k";
	e.value = "v";
	Clusters__V1__Cluster__LabelsEntry *ep[STORE_MAX_LABELS + 1];
	for (int i = 0; i <= STORE_MAX_LABELS; i++)
		ep[i] = &e;
	f.c.labels = ep;
	f.c.n_labels = STORE_MAX_LABELS + 1;
	EXPECT(store_validate_cluster(&f.c, err, sizeof(err)), CD_EV_COUNT,
	       "labels");
}

static void test_competition(void **s)
{
	(void)s;
	Clusters__V1__Competition c = CLUSTERS__V1__COMPETITION__INIT;
	Clusters__V1__Round r = CLUSTERS__V1__ROUND__INIT;
	Clusters__V1__Round *rp[17];
	Clusters__V1__Criterion cr = CLUSTERS__V1__CRITERION__INIT;
	Clusters__V1__Criterion *crp[1] = {&cr};

	c.id = "gii-2023";
	c.title = "GII";
	/* What a definition means (rounds, their number, weights) is the
	 * engine's to judge (tests/engine/test_def.c); the store checks
	 * only what it keeps: ids and text. */
	EXPECT(store_validate_competition(&c, err, sizeof(err)), CD_OK, "");
	for (int i = 0; i < 17; i++)
		rp[i] = &r;
	c.rounds = rp;
	c.n_rounds = 1;
	r.criteria = crp;
	r.n_criteria = 1;
	cr.id = "st";
	cr.plugin = "st_output";
	cr.weight = 1;
	EXPECT(store_validate_competition(&c, err, sizeof(err)), CD_OK, "");
	c.n_rounds = 17;
	EXPECT(store_validate_competition(&c, err, sizeof(err)), CD_OK, "");
	c.n_rounds = 1;
	cr.weight = NAN;
	EXPECT(store_validate_competition(&c, err, sizeof(err)), CD_OK, "");
	cr.weight = 1;
	r.name = "bad\x01name";
	EXPECT(store_validate_competition(&c, err, sizeof(err)),
	       CD_EV_ENCODING, "rounds[0].name");
	r.name = "";
	c.id = "GII";
	EXPECT(store_validate_competition(&c, err, sizeof(err)), CD_EV_ID,
	       "competition.id");
	c.id = "gii";
	c.title = "";
	EXPECT(store_validate_competition(&c, err, sizeof(err)), CD_EV_EMPTY,
	       "title");
	c.title = "GII";
	c.baseline_run_id = "Bad Id";
	EXPECT(store_validate_competition(&c, err, sizeof(err)), CD_EV_ID,
	       "baseline_run_id");
	EXPECT(store_validate_competition(NULL, err, sizeof(err)), CD_EINVAL,
	       "competition");
}

static void test_error_names(void **s)
{
	(void)s;
	assert_string_equal(cd_err_name(CD_ENOTFOUND), "CD_ENOTFOUND");
	assert_string_equal(cd_err_name(-1), "CD_EUNKNOWN");
	assert_string_equal(cd_err_name(CD__COUNT), "CD_EUNKNOWN");
	for (int i = 0; i < CD__COUNT; i++)
		assert_string_not_equal(cd_err_name(i), "CD_EUNKNOWN");
	assert_true(cd_err_is_invalid(CD_EV_ID));
	assert_true(cd_err_is_invalid(CD_EV_ENCODING));
	assert_false(cd_err_is_invalid(CD_ENOTFOUND));
	assert_int_equal(cd_fail(NULL, 0, CD_EIO, "x"), CD_EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_id),
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_economy),
		cmocka_unit_test(test_indicators),
		cmocka_unit_test(test_indicator_counts),
		cmocka_unit_test(test_cities_region_industry),
		cmocka_unit_test(test_encoding),
		cmocka_unit_test(test_assessments),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_competition),
		cmocka_unit_test(test_error_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
