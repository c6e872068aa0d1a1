/* Ranking ties, missing-score policies, eligibility filters and their
 * reasons, scorer failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "th.h"

#define NORM(x) CLUSTERS__V1__NORMALIZATION__NORMALIZATION_##x
#define FF(x) CLUSTERS__V1__FILTER_FIELD__FILTER_FIELD_##x
#define CMP(x) CLUSTERS__V1__COMPARISON__COMPARISON_##x
#define E 1e-9

typedef struct fx {
	Clusters__V1__Competition *def;
	Clusters__V1__Round *r;
	engine_cohort_t *c;
	engine_result_t *res;
	th_scores_t s;
} fx_t;

static void setup2(fx_t *f)
{
	memset(f, 0, sizeof(*f));
	f->def = th_comp("c");
	f->r = th_round(f->def, "r");
	th_crit(f->r, "k1", 1, NORM(NONE));
	th_crit(f->r, "k2", 1, NORM(NONE));
	f->s.crit[0] = "k1";
	f->s.crit[1] = "k2";
}

static void done(fx_t *f)
{
	engine_result_destroy(f->res);
	th_cohort_free(f->c);
	th_comp_free(f->def);
}

static const th_cluster_t abcd[] = {
	{ .id = "a" }, { .id = "b" }, { .id = "c" }, { .id = "d" },
};

/* a (10, 20) and b (20, 10) both score 15; c (5, 5) scores 5. */
static void t_tie_by_id(void **st)
{
	(void)st;
	fx_t f;
	setup2(&f);
	f.s.spec[0] = "a=10;b=20;c=5";
	f.s.spec[1] = "a=20;b=10;c=5";
	f.c = th_cohort(f.def, abcd, 3);
	f.res = th_eval(f.def, f.c, &f.s, CD_OK);
	assert_string_equal(th_order(f.res), "a b c");
	assert_int_equal(th_rank(f.res, "a"), 1);
	assert_int_equal(th_rank(f.res, "b"), 2);
	assert_int_equal(th_rank(f.res, "c"), 3);
	done(&f);
}

static void t_tie_break_order(void **st)
{
	(void)st;
	fx_t f;
	setup2(&f);
	th_tie(f.r, "k1");                  /* b has the higher k1 */
	f.s.spec[0] = "a=10;b=20;c=5";
	f.s.spec[1] = "a=20;b=10;c=5";
	f.c = th_cohort(f.def, abcd, 3);
	f.res = th_eval(f.def, f.c, &f.s, CD_OK);
	assert_string_equal(th_order(f.res), "b a c");
	done(&f);

	/* Tie-breaks apply in the order given: k2, then k1. All four score
	 * 15: a (10, 20), b (20, 10), c (10, 20), d (15, 15). By k2: a and c
	 * (20), d (15), b (10); a and c tie on k1 too, so the id decides. */
	setup2(&f);
	th_tie(f.r, "k2");
	th_tie(f.r, "k1");
	f.s.spec[0] = "a=10;b=20;c=10;d=15";
	f.s.spec[1] = "a=20;b=10;c=20;d=15";
	f.c = th_cohort(f.def, abcd, 4);
	f.res = th_eval(f.def, f.c, &f.s, CD_OK);
	assert_string_equal(th_order(f.res), "a c d b");
	done(&f);
}

static void t_shared_ranks(void **st)
{
	(void)st;
	fx_t f;
	setup2(&f);
	f.r->shared_ranks = 1;
	f.r->criteria[1]->weight = 0;
	/* scores a 30, b 20, c 20, d 10: competition ranks 1, 2, 2, 4 */
	f.s.spec[0] = "a=30;b=20;c=20;d=10";
	f.s.spec[1] = "a=0;b=0;c=0;d=0";
	f.c = th_cohort(f.def, abcd, 4);
	f.res = th_eval(f.def, f.c, &f.s, CD_OK);
	assert_string_equal(th_order(f.res), "a b c d");
	assert_int_equal(th_rank(f.res, "a"), 1);
	assert_int_equal(th_rank(f.res, "b"), 2);
	assert_int_equal(th_rank(f.res, "c"), 2);
	assert_int_equal(th_rank(f.res, "d"), 4);
	assert_int_equal(f.res->rounds[0].rank[2], 2);   /* round rank too */
	done(&f);
}

/* Clusters added out of id order still rank ties by id. */
static void t_unsorted_cohort(void **st)
{
	(void)st;
	fx_t f;
	setup2(&f);
	th_cluster_t v[] = { { .id = "c" }, { .id = "a" }, { .id = "b" } };
	f.s.spec[0] = "a=1;b=1;c=1";
	f.s.spec[1] = "a=1;b=1;c=1";
	f.c = th_cohort(f.def, v, 3);
	f.res = th_eval(f.def, f.c, &f.s, CD_OK);
	assert_string_equal(th_order(f.res), "a b c");
	done(&f);
}

static void t_missing_exclude(void **st)
{
	(void)st;
	fx_t f;
	setup2(&f);
	f.r->criteria[0]->normalization = NORM(MIN_MAX);
	/* b lacks k2, with the plugin's reason; c's k1 is infinite. */
	f.s.spec[0] = "a=10;b=40;c=inf;d=20";
	f.s.spec[1] = "a=1;b=-|no patents data;c=1;d=1";
	f.c = th_cohort(f.def, abcd, 4);
	f.res = th_eval(f.def, f.c, &f.s, CD_OK);
	assert_int_equal(th_rank(f.res, "b"), 0);
	assert_string_equal(th_reason(f.res, "b"),
	                    "criterion \"k2\" (plugin \"fixed\"): no score: "
	                    "no patents data");
	assert_string_equal(th_reason(f.res, "c"),
	                    "criterion \"k1\" (plugin \"fixed\"): no score: "
	                    "+Inf is not a finite number");
	/* min-max over a and d only (b's 40 is not counted): a 0, d 100.
	 * Scores: a (0 + 1) / 2 = 0.5, d (100 + 1) / 2 = 50.5. */
	TH_NEAR(th_norm(f.res, "a", 0), 0, E);
	TH_NEAR(th_score(f.res, "d"), 50.5, E);
	assert_string_equal(th_order(f.res), "d a b c");
	char note[128];
	const engine_standing_t *sb = engine_result_find(f.res, "b");
	engine_result_note(f.res, 0, 1, sb->pos, note, sizeof(note));
	assert_string_equal(note, "no score: no patents data");
	assert_false(sb->selected);
	done(&f);
}

static void t_missing_zero(void **st)
{
	(void)st;
	fx_t f;
	setup2(&f);
	f.r->missing = CLUSTERS__V1__MISSING_POLICY__MISSING_POLICY_SCORE_ZERO;
	f.r->criteria[0]->normalization = NORM(MIN_MAX);
	f.s.spec[0] = "a=10;b=40;c=-;d=20|estimated";
	f.s.spec[1] = "a=1;b=-|no patents data;c=1;d=1";
	f.c = th_cohort(f.def, abcd, 4);
	f.res = th_eval(f.def, f.c, &f.s, CD_OK);
	/* k1 min-max over a, b, d (10..40): a 0, b 100, d 33.33; c counts 0.
	 * k2: b counts 0. Scores: a 0.5, b 50, c 0.5, d 17.1667. */
	TH_NEAR(th_score(f.res, "b"), 50, E);
	TH_NEAR(th_score(f.res, "d"), (100.0 / 3 + 1) / 2, E);
	TH_NEAR(th_score(f.res, "c"), 0.5, E);
	assert_string_equal(th_order(f.res), "b d a c");
	assert_string_equal(th_reason(f.res, "b"), "");
	char note[128];
	const engine_standing_t *sb = engine_result_find(f.res, "b");
	const engine_standing_t *sc = engine_result_find(f.res, "c");
	const engine_standing_t *sd = engine_result_find(f.res, "d");
	assert_string_equal(engine_result_note(f.res, 0, 1, sb->pos, note,
	                                       sizeof(note)),
	                    "no score (no patents data); counted as 0");
	assert_string_equal(engine_result_note(f.res, 0, 0, sc->pos, note,
	                                       sizeof(note)),
	                    "no score; counted as 0");
	assert_string_equal(engine_result_note(f.res, 0, 0, sd->pos, note,
	                                       sizeof(note)), "estimated");
	assert_string_equal(engine_result_note(f.res, 0, 1, sd->pos, note,
	                                       sizeof(note)), "");
	done(&f);
}

static const th_cluster_t world[] = {
	{ .id = "sz-hk", .economy = "CN/HK", .region = "Guangdong",
	  .cities = "Shenzhen,Hong Kong", .industry = "electronics",
	  .labels = "tier=gold", .indicators = "rev:2020=50;rev:2022=5" },
	{ .id = "tokyo", .economy = "JP", .region = "Kanto", .cities = "Tokyo",
	  .industry = "autos", .labels = "tier=silver",
	  .indicators = "rev:2020=100" },
	{ .id = "bare", .economy = "", .region = "" },
};

static const char *filter_reason(Clusters__V1__FilterField field,
                                 const char *key, int32_t year,
                                 Clusters__V1__Comparison op,
                                 const char *any_of, double t,
                                 const char *id, size_t *eligible)
{
	static char out[512];
	fx_t f;
	setup2(&f);
	th_filter(f.r, field, key, year, op, any_of, t);
	f.s.spec[0] = "sz-hk=1;tokyo=2;bare=3";
	f.s.spec[1] = "sz-hk=1;tokyo=2;bare=3";
	f.c = th_cohort(f.def, world, 3);
	f.res = th_eval(f.def, f.c, &f.s, CD_OK);
	snprintf(out, sizeof(out), "%s", th_reason(f.res, id));
	*eligible = f.s.last_n;
	done(&f);
	return out;
}

static void t_filters(void **st)
{
	(void)st;
	size_t n;
	/* Economy IN matches any part of a cross-border economy. */
	assert_string_equal(filter_reason(FF(ECONOMY), NULL, 0, CMP(IN), "HK",
	                                  0, "sz-hk", &n), "");
	assert_int_equal(n, 1);            /* the scorer saw sz-hk only */
	assert_string_equal(filter_reason(FF(ECONOMY), NULL, 0, CMP(IN), "HK",
	                                  0, "tokyo", &n),
	                    "eligibility[0]: economy \"JP\" not in [\"HK\"]");
	/* ... or the whole string. */
	assert_string_equal(filter_reason(FF(ECONOMY), NULL, 0, CMP(IN),
	                                  "CN/HK,US", 0, "sz-hk", &n), "");
	assert_string_equal(filter_reason(FF(ECONOMY), NULL, 0, CMP(NOT_IN),
	                                  "CN", 0, "sz-hk", &n),
	                    "eligibility[0]: economy \"CN/HK\" is in excluded "
	                    "[\"CN\"]");
	assert_int_equal(n, 2);
	assert_string_equal(filter_reason(FF(ECONOMY), NULL, 0, CMP(PRESENT),
	                                  NULL, 0, "bare", &n),
	                    "eligibility[0]: no economy");
	/* Region: unspecified op means IN. */
	assert_string_equal(filter_reason(FF(REGION), NULL, 0,
	                                  CMP(UNSPECIFIED),
	                                  "Guangdong,Jiangsu", 0, "tokyo", &n),
	                    "eligibility[0]: region \"Kanto\" not in "
	                    "[\"Guangdong\", \"Jiangsu\"]");
	assert_string_equal(filter_reason(FF(REGION), NULL, 0, CMP(PRESENT),
	                                  NULL, 0, "bare", &n),
	                    "eligibility[0]: no region");
	/* City: any of a cluster's cities. */
	assert_string_equal(filter_reason(FF(CITY), NULL, 0, CMP(IN),
	                                  "Hong Kong", 0, "sz-hk", &n), "");
	assert_string_equal(filter_reason(FF(CITY), NULL, 0, CMP(NOT_IN),
	                                  "Hong Kong", 0, "sz-hk", &n),
	                    "eligibility[0]: cities [\"Shenzhen\", \"Hong Kong\"]"
	                    " include one of excluded [\"Hong Kong\"]");
	assert_string_equal(filter_reason(FF(CITY), NULL, 0, CMP(IN), "Tokyo",
	                                  0, "bare", &n),
	                    "eligibility[0]: no cities not in [\"Tokyo\"]");
	assert_string_equal(filter_reason(FF(CITY), NULL, 0, CMP(PRESENT), NULL,
	                                  0, "bare", &n),
	                    "eligibility[0]: no cities");
	assert_string_equal(filter_reason(FF(INDUSTRY), NULL, 0, CMP(NOT_IN),
	                                  "autos", 0, "tokyo", &n),
	                    "eligibility[0]: industry \"autos\" is in excluded "
	                    "[\"autos\"]");
	assert_int_equal(n, 2);            /* bare has no industry: passes */
	/* Labels. */
	assert_string_equal(filter_reason(FF(LABEL), "tier", 0, CMP(IN), "gold",
	                                  0, "tokyo", &n),
	                    "eligibility[0]: label \"tier\" = \"silver\" not in "
	                    "[\"gold\"]");
	assert_string_equal(filter_reason(FF(LABEL), "tier", 0, CMP(IN), "gold",
	                                  0, "bare", &n),
	                    "eligibility[0]: label \"tier\" absent");
	assert_string_equal(filter_reason(FF(LABEL), "tier", 0, CMP(NOT_IN),
	                                  "gold", 0, "bare", &n), "");
	assert_string_equal(filter_reason(FF(LABEL), "tier", 0, CMP(PRESENT),
	                                  NULL, 0, "bare", &n),
	                    "eligibility[0]: label \"tier\" absent");
	/* Indicators: a year, or the latest. */
	assert_string_equal(filter_reason(FF(INDICATOR), "rev", 2020, CMP(GE),
	                                  NULL, 60, "sz-hk", &n),
	                    "eligibility[0]: indicator rev (2020) = 50 is not "
	                    ">= 60");
	assert_int_equal(n, 1);
	assert_string_equal(filter_reason(FF(INDICATOR), "rev", 0, CMP(GT),
	                                  NULL, 10, "sz-hk", &n),
	                    "eligibility[0]: indicator rev (latest) = 5 is not "
	                    "> 10");
	assert_string_equal(filter_reason(FF(INDICATOR), "rev", 2022, CMP(LT),
	                                  NULL, 6, "sz-hk", &n), "");
	assert_string_equal(filter_reason(FF(INDICATOR), "rev", 0, CMP(LE),
	                                  NULL, 99, "tokyo", &n),
	                    "eligibility[0]: indicator rev (latest) = 100 is not "
	                    "<= 99");
	assert_string_equal(filter_reason(FF(INDICATOR), "rev", 0, CMP(EQ),
	                                  NULL, 99, "tokyo", &n),
	                    "eligibility[0]: indicator rev (latest) = 100 is not "
	                    "== 99");
	assert_string_equal(filter_reason(FF(INDICATOR), "rev", 0, CMP(NE),
	                                  NULL, 100, "tokyo", &n),
	                    "eligibility[0]: indicator rev (latest) = 100 is not "
	                    "!= 100");
	assert_string_equal(filter_reason(FF(INDICATOR), "rev", 0, CMP(NE),
	                                  NULL, 1, "bare", &n),
	                    "eligibility[0]: indicator rev (latest) absent");
	assert_string_equal(filter_reason(FF(INDICATOR), "rev", 2022,
	                                  CMP(PRESENT), NULL, 0, "tokyo", &n),
	                    "eligibility[0]: indicator rev (2022) absent");
	assert_int_equal(n, 1);
}

/* The first failing filter is the one reported. */
static void t_first_filter(void **st)
{
	(void)st;
	fx_t f;
	setup2(&f);
	th_filter(f.r, FF(REGION), NULL, 0, CMP(PRESENT), NULL, 0);
	th_filter(f.r, FF(INDUSTRY), NULL, 0, CMP(IN), "autos", 0);
	f.s.spec[0] = f.s.spec[1] = "sz-hk=1;tokyo=2;bare=3";
	f.c = th_cohort(f.def, world, 3);
	f.res = th_eval(f.def, f.c, &f.s, CD_OK);
	assert_string_equal(th_reason(f.res, "bare"), "eligibility[0]: no region");
	assert_string_equal(th_reason(f.res, "sz-hk"),
	                    "eligibility[1]: industry \"electronics\" not in "
	                    "[\"autos\"]");
	assert_string_equal(th_order(f.res), "tokyo sz-hk bare");
	done(&f);
}

static void t_scorer_fails(void **st)
{
	(void)st;
	fx_t f;
	setup2(&f);
	f.s.fail = "k2";
	f.c = th_cohort(f.def, abcd, 2);
	engine_opts_t o = { .scorer = th_scorer, .scorer_arg = &f.s };
	char err[256];
	assert_int_equal(engine_evaluate(f.def, f.c, &o, &f.res, err,
	                                 sizeof(err)), CD_EPLUGIN);
	assert_null(f.res);
	assert_string_equal(err, "rounds[0].criteria[1] \"k2\" (plugin "
	                         "\"fixed\"): division by zero");
	done(&f);
}

static void t_bad_calls(void **st)
{
	(void)st;
	fx_t f;
	setup2(&f);
	f.c = th_cohort(f.def, abcd, 2);
	char err[256];
	engine_opts_t o = { .scorer = NULL };
	assert_int_equal(engine_evaluate(f.def, f.c, &o, &f.res, err,
	                                 sizeof(err)), CD_EINVAL);
	o.scorer = th_scorer;
	o.scorer_arg = &f.s;
	o.samples = ENGINE_MAX_SAMPLES + 1;
	assert_int_equal(engine_evaluate(f.def, f.c, &o, &f.res, err,
	                                 sizeof(err)), CD_ELIMIT);
	o.samples = 10;
	o.jitter_pct = 101;
	assert_int_equal(engine_evaluate(f.def, f.c, &o, &f.res, err,
	                                 sizeof(err)), CD_EINVAL);
	assert_string_equal(err, "sensitivity.weight_jitter_pct: must be within "
	                         "0..100");
	o.jitter_pct = NAN;
	assert_int_equal(engine_evaluate(f.def, f.c, &o, &f.res, err,
	                                 sizeof(err)), CD_EINVAL);
	/* An invalid definition is refused before anything runs. */
	o.samples = 0;
	f.r->criteria[0]->weight = -1;
	assert_int_equal(engine_evaluate(f.def, f.c, &o, &f.res, err,
	                                 sizeof(err)), CD_EV_DEFINITION);
	assert_int_equal(f.s.calls, 0);
	/* A scorer's note for a candidate index out of range is refused. */
	assert_int_equal(engine_notes_set(NULL, 0, "x"), CD_EINVAL);
	done(&f);
}

/* Empty cohort: nothing ranked, nothing selected, no failure. */
static void t_empty(void **st)
{
	(void)st;
	fx_t f;
	setup2(&f);
	f.c = th_cohort(f.def, abcd, 0);
	f.res = th_eval(f.def, f.c, &f.s, CD_OK);
	assert_int_equal(f.res->n, 0);
	assert_int_equal(f.res->summary.selected, 0);
	done(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_tie_by_id),
		cmocka_unit_test(t_tie_break_order),
		cmocka_unit_test(t_shared_ranks),
		cmocka_unit_test(t_unsorted_cohort),
		cmocka_unit_test(t_missing_exclude),
		cmocka_unit_test(t_missing_zero),
		cmocka_unit_test(t_filters),
		cmocka_unit_test(t_first_filter),
		cmocka_unit_test(t_scorer_fails),
		cmocka_unit_test(t_bad_calls),
		cmocka_unit_test(t_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
