/* srv_fill: the plugin cohort filled from packed records (cd_rec, one
 * reading per record) reads back exactly like one filled from records
 * decoded by protobuf-c, through every view accessor, for records with
 * every kind of field; and the engine cohort over that plugin cohort
 * (engine_cohort_create_from) reads back every record's fields. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cd_error.h"
#include "clusters/v1/clusters.pb-c.h"
#include "engine.h"
#include "plugin_cohort.h"
#include "srv_fill.h"
#include "srv_fill_rec.h"
#include "cd_rec.h"

#define NREC 5

/* ------------------------------------------------------------- records */

static Clusters__V1__Indicator *ind(const char *name, int year, double v,
                                    const char *unit)
{
	Clusters__V1__Indicator *x = calloc(1, sizeof(*x));
	clusters__v1__indicator__init(x);
	x->name = (char *)name;
	x->year = year;
	x->value = v;
	x->unit = (char *)unit;
	return x;
}

static Clusters__V1__Assessment *as(const char *judge, const char *crit,
                                    double score, const char *round,
                                    int recused)
{
	Clusters__V1__Assessment *a = calloc(1, sizeof(*a));
	clusters__v1__assessment__init(a);
	a->judge = (char *)judge;
	a->criterion = (char *)crit;
	a->score = score;
	a->round = (char *)round;
	a->recused = recused;
	a->comment = "a comment";
	return a;
}

static Clusters__V1__Cluster__LabelsEntry *lab(const char *k, const char *v)
{
	Clusters__V1__Cluster__LabelsEntry *l = calloc(1, sizeof(*l));
	clusters__v1__cluster__labels_entry__init(l);
	l->key = (char *)k;
	l->value = (char *)v;
	return l;
}

/* Record i: 0 has every kind of field, 1 other values in another order,
 * 2 only an id, 3 many cities and years out of order, 4 labels only. */
static Clusters__V1__Cluster *make(int i)
{
	static char *cities0[] = {"Shenzhen", "Hong Kong"};
	static char *cities3[] = {"A", "B", "C", "D", "Shenzhen"};
	static Google__Protobuf__Timestamp ts = {PROTOBUF_C_MESSAGE_INIT(
		&google__protobuf__timestamp__descriptor), 1700000000, 5};
	Clusters__V1__Cluster *c = calloc(1, sizeof(*c));
	clusters__v1__cluster__init(c);
	static const char *ids[NREC] = {"sz-hk", "munich", "bare", "many",
	                                "labelled"};
	c->id = (char *)ids[i];
	if (i == 0) {
		c->name = "Shenzhen-Hong Kong-Guangzhou";
		c->economy = "CN/HK";
		c->region = "Guangdong";
		c->industry = "ICT";
		c->n_cities = 2;
		c->cities = cities0;
		c->n_indicators = 4;
		c->indicators = calloc(4, sizeof(*c->indicators));
		c->indicators[0] = ind("pct_applications", 2022, 26000.5, "");
		c->indicators[1] = ind("pct_applications", 2021, 25000, "count");
		c->indicators[2] = ind("scientific_publications", 2022, 1e5,
		                       NULL);
		c->indicators[3] = ind("revenue_cny", 2020, -3.25, "CNY");
		c->n_assessments = 4;
		c->assessments = calloc(4, sizeof(*c->assessments));
		c->assessments[0] = as("judge-a", "impact", 8.5, "2", 0);
		c->assessments[1] = as("judge-b", "impact", 7, "final", 0);
		c->assessments[2] = as("judge-c", "strategy", 3, "elsewhere", 1);
		c->assessments[3] = as("judge-a", "strategy", 0, "", 0);
		c->n_labels = 2;
		c->labels = calloc(2, sizeof(*c->labels));
		c->labels[0] = lab("tier", "gold");
		c->labels[1] = lab("note", "");
		c->etag = "00000000000000a1";
		c->create_time = &ts;
		c->update_time = &ts;
	} else if (i == 1) {
		c->name = "Munich";
		c->economy = "DE";
		c->region = "Bavaria";
		c->industry = "Automotive";
		c->n_cities = 1;
		c->cities = cities3 + 4;
		c->n_indicators = 2;
		c->indicators = calloc(2, sizeof(*c->indicators));
		c->indicators[0] = ind("revenue_cny", 2020, 7, NULL);
		c->indicators[1] = ind("pct_applications", 2019, 1, NULL);
		c->n_assessments = 1;
		c->assessments = calloc(1, sizeof(*c->assessments));
		c->assessments[0] = as("judge-b", "impact", 9, "prelim", 0);
		c->n_labels = 1;
		c->labels = calloc(1, sizeof(*c->labels));
		c->labels[0] = lab("tier", "silver");
	} else if (i == 3) {
		c->name = "Many";
		c->economy = "US";
		c->n_cities = 5;
		c->cities = cities3;
		c->n_indicators = 3;
		c->indicators = calloc(3, sizeof(*c->indicators));
		c->indicators[0] = ind("firms", 2022, 3, NULL);
		c->indicators[1] = ind("firms", 1999, 1, NULL);
		c->indicators[2] = ind("firms", 2010, 2, NULL);
	} else if (i == 4) {
		c->n_labels = 1;
		c->labels = calloc(1, sizeof(*c->labels));
		c->labels[0] = lab("source", "survey");
	}
	return c;
}

static void unmake(Clusters__V1__Cluster *c)
{
	for (size_t k = 0; k < c->n_indicators; k++)
		free(c->indicators[k]);
	for (size_t k = 0; k < c->n_assessments; k++)
		free(c->assessments[k]);
	for (size_t k = 0; k < c->n_labels; k++)
		free(c->labels[k]);
	free(c->indicators);
	free(c->assessments);
	free(c->labels);
	free(c);
}

static uint8_t *pack(const Clusters__V1__Cluster *c, size_t *len)
{
	*len = clusters__v1__cluster__get_packed_size(c);
	uint8_t *b = malloc(*len ? *len : 1);
	clusters__v1__cluster__pack(c, b);
	return b;
}

/* A competition with rounds "prelim" and "final". */
static Clusters__V1__Competition *def_make(void)
{
	static Clusters__V1__Round r1, r2;
	static Clusters__V1__Round *rs[2] = {&r1, &r2};
	static Clusters__V1__Competition d;
	clusters__v1__round__init(&r1);
	clusters__v1__round__init(&r2);
	clusters__v1__competition__init(&d);
	r1.name = "prelim";
	r2.name = "final";
	d.n_rounds = 2;
	d.rounds = rs;
	return &d;
}

/* --------------------------------------------- the reference: protobuf-c */

static int ref_round(const Clusters__V1__Competition *def, const char *s)
{
	if (!s || !*s)
		return 0;
	char *end;
	long v = strtol(s, &end, 10);
	if (!*end && v >= 0 && v <= 65535)
		return (int)v;
	for (size_t i = 0; i < def->n_rounds; i++)
		if (!strcmp(def->rounds[i]->name, s))
			return (int)i + 1;
	return 0;
}

/* What the service did before srv_fill: unpack, then add every field. */
static int ref_add(plugin_cohort_t *pc, const uint8_t *b, size_t len,
                   const Clusters__V1__Competition *def)
{
	char e[256];
	Clusters__V1__Cluster *c = clusters__v1__cluster__unpack(NULL, len, b);
	assert_non_null(c);
	int rc = plugin_cohort_add_cluster(pc, c->id, c->name, c->economy,
	                                   c->region, c->industry, e,
	                                   sizeof(e));
	for (size_t i = 0; !rc && i < c->n_cities; i++)
		rc = plugin_cohort_add_city(pc, c->cities[i], e, sizeof(e));
	for (size_t i = 0; !rc && i < c->n_indicators; i++)
		rc = plugin_cohort_add_indicator(pc, c->indicators[i]->name,
		                                 c->indicators[i]->year,
		                                 c->indicators[i]->value, e,
		                                 sizeof(e));
	for (size_t i = 0; !rc && i < c->n_assessments; i++) {
		const Clusters__V1__Assessment *a = c->assessments[i];
		rc = plugin_cohort_add_assessment(pc, a->judge, a->criterion,
		                                  a->score,
		                                  ref_round(def, a->round),
		                                  a->recused, e, sizeof(e));
	}
	for (size_t i = 0; !rc && i < c->n_labels; i++)
		rc = plugin_cohort_add_label(pc, c->labels[i]->key,
		                             c->labels[i]->value, e, sizeof(e));
	clusters__v1__cluster__free_unpacked(c, NULL);
	return rc;
}

/* ------------------------------------------------------------ compare */

static const char *const names[] = {"pct_applications",
	"scientific_publications", "revenue_cny", "firms", "nope", ""};
static const char *const keys[] = {"tier", "note", "source", "nope", ""};

static void same_str(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void compare(const cp_host_t *h, const plugin_cohort_t *a,
                    const plugin_cohort_t *b)
{
	assert_int_equal(cp_cohort_size(h, a), cp_cohort_size(h, b));
	for (size_t i = 0; i < cp_cohort_size(h, a); i++) {
		cp_cluster_t x = cp_cohort_at(h, a, i), y = cp_cohort_at(h, b, i);
		same_str(cp_cluster_id(h, x), cp_cluster_id(h, y));
		same_str(cp_cluster_name(h, x), cp_cluster_name(h, y));
		same_str(cp_cluster_economy(h, x), cp_cluster_economy(h, y));
		same_str(cp_cluster_region(h, x), cp_cluster_region(h, y));
		same_str(cp_cluster_industry(h, x), cp_cluster_industry(h, y));
		size_t nc = cp_cluster_city_count(h, x);
		assert_int_equal(nc, cp_cluster_city_count(h, y));
		for (size_t k = 0; k <= nc; k++)
			same_str(cp_cluster_city(h, x, k), cp_cluster_city(h, y, k));
		for (size_t n = 0; n < sizeof(names) / sizeof(*names); n++) {
			int yx[8], yy[8], lx = 0, ly = 0;
			double vx = 0, vy = 0;
			size_t cx = cp_indicator_years(h, x, names[n], yx, 8);
			assert_int_equal(cx, cp_indicator_years(h, y, names[n], yy,
			                                         8));
			for (size_t k = 0; k < cx; k++) {
				assert_int_equal(yx[k], yy[k]);
				assert_int_equal(cp_indicator(h, x, names[n], yx[k],
				                              &vx), 1);
				assert_int_equal(cp_indicator(h, y, names[n], yy[k],
				                              &vy), 1);
				assert_true(vx == vy);
			}
			assert_int_equal(cp_indicator(h, x, names[n], 2000, NULL),
			                 cp_indicator(h, y, names[n], 2000, NULL));
			int hx = cp_indicator_latest(h, x, names[n], &lx, &vx);
			assert_int_equal(hx, cp_indicator_latest(h, y, names[n],
			                                         &ly, &vy));
			if (hx) {
				assert_int_equal(lx, ly);
				assert_true(vx == vy);
			}
		}
		size_t na = cp_assessment_count(h, x);
		assert_int_equal(na, cp_assessment_count(h, y));
		for (size_t k = 0; k <= na; k++) {
			cp_assessment_t p, q;
			memset(&p, 0, sizeof(p));
			memset(&q, 0, sizeof(q));
			int hx = cp_assessment_at(h, x, k, &p);
			assert_int_equal(hx, cp_assessment_at(h, y, k, &q));
			if (!hx)
				continue;
			same_str(p.judge, q.judge);
			same_str(p.criterion, q.criterion);
			assert_true(p.score == q.score);
			assert_int_equal(p.round, q.round);
			assert_int_equal(p.recused, q.recused);
		}
		for (size_t k = 0; k < sizeof(keys) / sizeof(*keys); k++)
			same_str(cp_label(h, x, keys[k]), cp_label(h, y, keys[k]));
	}
}

static void test_same_as_protobuf_c(void **st)
{
	(void)st;
	char err[256];
	const Clusters__V1__Competition *def = def_make();
	plugin_cohort_t *a, *b;
	assert_int_equal(plugin_cohort_create(&a, 0, 0, err, sizeof(err)), 0);
	assert_int_equal(plugin_cohort_create(&b, 0, 0, err, sizeof(err)), 0);
	cd_rec_t rec = {0};
	srv_fill_buf_t buf = {0};
	/* Twice over, so the second pass meets every reuse of memory. */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < NREC; i++) {
			Clusters__V1__Cluster *c = make(i);
			size_t len;
			uint8_t *p = pack(c, &len);
			assert_int_equal(cd_rec_parse(&rec, p, len), CD_OK);
			if (srv_fill_plugin_rec(a, &rec, def, &buf, err,
			                        sizeof(err)))
				fail_msg("%s", err);
			assert_int_equal(ref_add(b, p, len, def), CD_OK);
			free(p);
			unmake(c);
		}
	assert_int_equal(plugin_cohort_seal(a, err, sizeof(err)), CD_OK);
	assert_int_equal(plugin_cohort_seal(b, err, sizeof(err)), CD_OK);
	cp_host_t h;
	memset(&h, 0, sizeof(h));
	plugin_cohort_bind_host(&h);
	compare(&h, a, b);

	/* And the values are the ones written, not merely equal. */
	cp_cluster_t x = cp_cohort_at(&h, a, 0);
	assert_string_equal(cp_cluster_economy(&h, x), "CN/HK");
	assert_string_equal(cp_cluster_city(&h, x, 1), "Hong Kong");
	double v;
	int y;
	assert_int_equal(cp_indicator_latest(&h, x, "pct_applications", &y,
	                                     &v), 1);
	assert_int_equal(y, 2022);
	assert_true(v == 26000.5);
	assert_int_equal(cp_indicator(&h, x, "revenue_cny", 2020, &v), 1);
	assert_true(v == -3.25);
	cp_assessment_t as1;
	assert_int_equal(cp_assessment_at(&h, x, 1, &as1), 1);
	assert_string_equal(as1.judge, "judge-b");
	assert_int_equal(as1.round, 2);             /* "final" */
	assert_int_equal(cp_assessment_at(&h, x, 2, &as1), 1);
	assert_int_equal(as1.round, 0);             /* unknown name */
	assert_int_equal(as1.recused, 1);
	assert_string_equal(cp_label(&h, x, "note"), "");
	assert_null(cp_label(&h, cp_cohort_at(&h, a, 2), "tier"));
	assert_string_equal(cp_cluster_name(&h, cp_cohort_at(&h, a, 2)), "");
	int years[4];
	assert_int_equal(cp_indicator_years(&h, cp_cohort_at(&h, a, 3),
	                                    "firms", years, 4), 3);
	assert_int_equal(years[0], 1999);
	assert_int_equal(years[2], 2022);

	cd_rec_free(&rec);
	srv_fill_buf_free(&buf);
	plugin_cohort_destroy(a);
	plugin_cohort_destroy(b);
}

/* The engine cohort over the plugin cohort of those readings reads back
 * what protobuf-c decodes from the same bytes. */
static void test_engine_same(void **st)
{
	(void)st;
	char err[256];
	plugin_cohort_t *pc;
	engine_cohort_t *a;
	srv_fill_buf_t buf = {0};
	assert_int_equal(plugin_cohort_create(&pc, 0, 0, err, sizeof(err)),
	                 0);
	Clusters__V1__Cluster *want[NREC];
	cd_rec_t rec = {0};
	for (int i = 0; i < NREC; i++) {
		want[i] = make(i);
		size_t len;
		uint8_t *p = pack(want[i], &len);
		assert_int_equal(cd_rec_parse(&rec, p, len), CD_OK);
		assert_int_equal(srv_fill_plugin_rec(pc, &rec, NULL, &buf, err,
		                                     sizeof(err)), CD_OK);
		free(p);
	}
	assert_int_equal(plugin_cohort_seal(pc, err, sizeof(err)), CD_OK);
	assert_int_equal(engine_cohort_create_from(&a, pc, NULL, err,
	                                           sizeof(err)), CD_OK);
	assert_int_equal(engine_cohort_size(a), NREC);
	for (size_t i = 0; i < NREC; i++) {
		const Clusters__V1__Cluster *w = want[i];
		same_str(engine_cohort_id(a, i), w->id);
		same_str(engine_cohort_name(a, i), w->name);
		same_str(engine_cohort_economy(a, i), w->economy);
		same_str(engine_cohort_region(a, i), w->region);
		same_str(engine_cohort_industry(a, i), w->industry);
		assert_int_equal(engine_cohort_city_count(a, i), w->n_cities);
		for (size_t k = 0; k < engine_cohort_city_count(a, i); k++)
			assert_string_equal(engine_cohort_city(a, i, k),
			                    w->cities[k]);
		assert_ptr_equal(engine_cohort_id(a, i),
		                 plugin_cohort_id(pc, i));  /* no copy */
	}
	assert_int_equal(engine_cohort_city_count(a, 3), 5);
	for (int i = 0; i < NREC; i++)
		unmake(want[i]);
	cd_rec_free(&rec);
	srv_fill_buf_free(&buf);
	engine_cohort_destroy(a);
	plugin_cohort_destroy(pc);
}

/* A record the plugin cohort refuses fails with the cohort's code. */
static void test_refused(void **st)
{
	(void)st;
	char err[256];
	plugin_cohort_t *pc;
	assert_int_equal(plugin_cohort_create(&pc, 0, 0, err, sizeof(err)),
	                 0);
	Clusters__V1__Cluster *c = make(0);
	c->indicators[1]->year = 2022;   /* (name, year) twice */
	size_t len;
	uint8_t *p = pack(c, &len);
	cd_rec_t rec = {0};
	srv_fill_buf_t buf = {0};
	assert_int_equal(cd_rec_parse(&rec, p, len), CD_OK);
	assert_int_equal(srv_fill_plugin_rec(pc, &rec, def_make(), &buf, err,
	                                     sizeof(err)), CD_EV_DUPLICATE);
	assert_non_null(strstr(err, "pct_applications"));
	free(p);
	unmake(c);
	cd_rec_free(&rec);
	srv_fill_buf_free(&buf);
	plugin_cohort_destroy(pc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_protobuf_c),
		cmocka_unit_test(test_engine_same),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
