/* Explanations: the gap and the raw value each criterion alone would
 * need, for every normalisation and both aggregations, by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "th.h"

#define NORM(x) CLUSTERS__V1__NORMALIZATION__NORMALIZATION_##x

static const th_cluster_t four[] = {
	{ .id = "a" }, { .id = "b" }, { .id = "c" }, { .id = "d" },
};

typedef struct fx {
	Clusters__V1__Competition *def;
	Clusters__V1__Round *r;
	engine_cohort_t *c;
	th_scores_t s;
	Clusters__V1__Run *run;
	Clusters__V1__Explanation *x;
} fx_t;

/* k1 (normalisation n, weight w1) and k2 (NONE, weight w2), top_n 2. */
static void setup(fx_t *f, Clusters__V1__Normalization n, double w1,
                  double w2, const char *k1, const char *k2)
{
	memset(f, 0, sizeof(*f));
	f->def = th_comp("c");
	f->r = th_round(f->def, "r");
	Clusters__V1__Criterion *c1 = th_crit(f->r, "k1", w1, n);
	c1->goalpost_lower = 0;
	c1->goalpost_upper = 10;
	th_crit(f->r, "k2", w2, NORM(NONE));
	th_sel(f->r)->top_n = 2;
	f->s.crit[0] = "k1";
	f->s.spec[0] = k1;
	f->s.crit[1] = "k2";
	f->s.spec[1] = k2;
}

static void run(fx_t *f)
{
	f->c = th_cohort(f->def, four, 4);
	engine_result_t *res = th_eval(f->def, f->c, &f->s, CD_OK);
	char err[128];
	assert_int_equal(engine_run_build(res, NULL, &f->run, err, sizeof(err)),
	                 CD_OK);
	engine_result_destroy(res);
}

static const Clusters__V1__Standing *standing(fx_t *f, const char *id)
{
	for (size_t i = 0; i < f->run->n_standings; i++)
		if (!strcmp(f->run->standings[i]->cluster_id, id))
			return f->run->standings[i];
	fail_msg("no standing %s", id);
	return NULL;
}

static const Clusters__V1__Explanation *explain(fx_t *f, const char *id)
{
	char err[256];
	engine_explain_free(f->x);
	f->x = NULL;
	if (engine_explain(f->run, standing(f, id), NULL, &f->x, err,
	                   sizeof(err)))
		fail_msg("explain %s: %s", id, err);
	return f->x;
}

/* The raw value criterion k would need, or NAN when absent. */
static double need(const Clusters__V1__Explanation *x, size_t k)
{
	const Clusters__V1__CriterionExplanation *c = x->criteria[k];
	return c->raw_to_close_gap ? c->raw_to_close_gap->value : NAN;
}

static void done(fx_t *f)
{
	engine_explain_free(f->x);
	engine_run_free(f->run);
	th_cohort_free(f->c);
	th_comp_free(f->def);
}

static const char *K1 = "a=8;b=6;c=4;d=2";
static const char *K2 = "a=10;b=10;c=10;d=10";

/* NONE, weights 1:1. S = (k1 + k2)/2: a 9, b 8, c 7, d 6. c: gap 1,
 * dv = 1 / 0.5 = 2: k1 4 + 2 = 6, k2 10 + 2 = 12. The selected b's
 * target is c: gap -1, k1 6 - 2 = 4. */
static void t_none(void **st)
{
	(void)st;
	fx_t f;
	setup(&f, NORM(NONE), 1, 1, K1, K2);
	run(&f);
	const Clusters__V1__Explanation *x = explain(&f, "c");
	assert_string_equal(x->round, "r");
	assert_string_equal(x->target_cluster_id, "b");
	TH_NEAR(x->target_score, 8, 1e-12);
	TH_NEAR(x->gap, 1, 1e-12);
	TH_NEAR(need(x, 0), 6, 1e-12);
	TH_NEAR(need(x, 1), 12, 1e-12);
	/* share: 0.5 * 4 / 7 */
	TH_NEAR(x->criteria[0]->share, 2.0 / 7, 1e-12);
	TH_NEAR(x->criteria[0]->weight_share, 0.5, 0);
	assert_non_null(strstr(x->text, "Target: b, the last selected "
	                                "cluster, at 8; gap 1."));
	assert_non_null(strstr(x->assumption, "held fixed"));
	assert_non_null(strstr(x->assumption, "quotas"));
	x = explain(&f, "b");
	assert_string_equal(x->target_cluster_id, "c");
	TH_NEAR(x->gap, -1, 1e-12);
	TH_NEAR(need(x, 0), 4, 1e-12);
	done(&f);
}

/* MIN_MAX, weights 3:1 (0.75, 0.25): min 2, max 8, v = 100 (x - 2) / 6:
 * a 100, b 66.67, c 33.33, d 0; S = 0.75 v + 2.5. c: gap 0.75 * 33.33 =
 * 25, dv 33.33, raw 4 + 33.33 * 6 / 100 = 6; k2: dv 100, raw 110. d (v
 * 0): gap 50, v' 66.67, raw 2 + 66.67 * 0.06 = 6. */
static void t_min_max(void **st)
{
	(void)st;
	fx_t f;
	setup(&f, NORM(MIN_MAX), 3, 1, K1, K2);
	run(&f);
	const Clusters__V1__Explanation *x = explain(&f, "c");
	TH_NEAR(x->gap, 25, 1e-9);
	TH_NEAR(need(x, 0), 6, 1e-9);
	TH_NEAR(need(x, 1), 110, 1e-9);
	x = explain(&f, "d");
	TH_NEAR(x->gap, 50, 1e-9);
	TH_NEAR(need(x, 0), 6, 1e-9);
	done(&f);
}

/* MIN_MAX beyond 100: k2 (a 100, b 100, c 0, d 0), weights 1:1. S: a
 * 100, b 83.33, c 16.67, d 0. c: gap 66.67, v' = 33.33 + 133.33 > 100:
 * absent with a note; k2 needs 0 + 133.33. */
static void t_min_max_impossible(void **st)
{
	(void)st;
	fx_t f;
	setup(&f, NORM(MIN_MAX), 1, 1, K1, "a=100;b=100;c=0;d=0");
	run(&f);
	const Clusters__V1__Explanation *x = explain(&f, "c");
	TH_NEAR(x->gap, 200.0 / 3, 1e-9);
	assert_null(x->criteria[0]->raw_to_close_gap);
	assert_non_null(strstr(x->criteria[0]->note, "outside 0..100"));
	TH_NEAR(need(x, 1), 400.0 / 3, 1e-9);
	done(&f);
}

/* Z_SCORE: mean 5, population sd sqrt(5); z(b) - z(c) = 2 / sqrt 5, gap
 * 0.75 * 2 / sqrt 5; k1: dv = 2 / sqrt 5, raw 4 + dv sqrt 5 = 6; k2: dv =
 * gap / 0.25 = 6 / sqrt 5, raw 10 + 2.6832815729997477. */
static void t_z_score(void **st)
{
	(void)st;
	fx_t f;
	setup(&f, NORM(Z_SCORE), 3, 1, K1, K2);
	run(&f);
	const Clusters__V1__Explanation *x = explain(&f, "c");
	TH_NEAR(x->gap, 1.5 / sqrt(5), 1e-12);
	TH_NEAR(need(x, 0), 6, 1e-12);
	TH_NEAR(need(x, 1), 10 + 6 / sqrt(5), 1e-12);
	done(&f);
}

/* Z_SCORE with sd 0: no value of k1 alone moves anybody. */
static void t_z_score_flat(void **st)
{
	(void)st;
	fx_t f;
	setup(&f, NORM(Z_SCORE), 1, 1, "a=5;b=5;c=5;d=5", "a=4;b=3;c=2;d=1");
	run(&f);
	const Clusters__V1__Explanation *x = explain(&f, "c");
	assert_null(x->criteria[0]->raw_to_close_gap);
	assert_non_null(strstr(x->criteria[0]->note, "standard deviation is 0"));
	TH_NEAR(need(x, 1), 3, 1e-12);   /* gap 0.5, dv 1 */
	done(&f);
}

/* SHARE: sum 20, v = 5x: a 40, b 30, c 20, d 10; gap 0.75 * 10 = 7.5; k1
 * dv 10, raw 4 + 10 * 20 / 100 = 6; k2 dv 30, raw 40. */
static void t_share(void **st)
{
	(void)st;
	fx_t f;
	setup(&f, NORM(SHARE), 3, 1, K1, K2);
	run(&f);
	const Clusters__V1__Explanation *x = explain(&f, "c");
	TH_NEAR(x->gap, 7.5, 1e-12);
	TH_NEAR(need(x, 0), 6, 1e-12);
	TH_NEAR(need(x, 1), 40, 1e-12);
	done(&f);
}

/* GOALPOSTS 0..10: v = 10x: b 60, c 40; gap 15; k1 dv 20, raw 4 + 20 *
 * 10 / 100 = 6. */
static void t_goalposts(void **st)
{
	(void)st;
	fx_t f;
	setup(&f, NORM(GOALPOSTS), 3, 1, K1, K2);
	run(&f);
	const Clusters__V1__Explanation *x = explain(&f, "c");
	TH_NEAR(x->gap, 15, 1e-12);
	TH_NEAR(need(x, 0), 6, 1e-12);
	TH_NEAR(need(x, 1), 70, 1e-12);
	done(&f);
}

/* RANK: absent, with the normalised score needed: 33.33 + 33.33. */
static void t_rank(void **st)
{
	(void)st;
	fx_t f;
	setup(&f, NORM(RANK), 3, 1, K1, K2);
	run(&f);
	const Clusters__V1__Explanation *x = explain(&f, "c");
	TH_NEAR(x->gap, 25, 1e-9);
	assert_null(x->criteria[0]->raw_to_close_gap);
	assert_non_null(strstr(x->criteria[0]->note,
	                       "a normalised score of 66.6667 is needed"));
	done(&f);
}

/* Geometric mean, NONE, 1:1: S = sqrt(k1 k2): a (16, 16) 16, b (9, 16)
 * 12, c (4, 9) 6, d 1. c: T / S = 2, k1' = 4 * 2^2 = 16, k2' = 9 * 4 =
 * 36 (sqrt(16 * 9) = sqrt(4 * 36) = 12). A zero weight: absent. */
static void t_geometric(void **st)
{
	(void)st;
	fx_t f;
	setup(&f, NORM(NONE), 1, 1, "a=16;b=9;c=4;d=1", "a=16;b=16;c=9;d=1");
	f.r->aggregation =
		CLUSTERS__V1__AGGREGATION__AGGREGATION_WEIGHTED_GEOMETRIC;
	th_crit(f.r, "k3", 0, NORM(NONE));
	f.s.crit[2] = "k3";
	f.s.spec[2] = "a=1;b=1;c=1;d=1";
	run(&f);
	const Clusters__V1__Explanation *x = explain(&f, "c");
	TH_NEAR(x->target_score, 12, 1e-12);
	TH_NEAR(x->gap, 6, 1e-12);
	TH_NEAR(need(x, 0), 16, 1e-12);
	TH_NEAR(need(x, 1), 36, 1e-12);
	/* share of ln S: 0.5 ln 4 / ln 6 */
	TH_NEAR(x->criteria[0]->share, 0.5 * log(4) / log(6), 1e-12);
	assert_null(x->criteria[2]->raw_to_close_gap);
	assert_string_equal(x->criteria[2]->note, "weight 0: this criterion "
	                    "does not count");
	done(&f);
}

static void t_errors(void **st)
{
	(void)st;
	fx_t f;
	setup(&f, NORM(NONE), 1, 1, K1, K2);
	th_sel(f.r)->top_n = 0;
	Clusters__V1__Round *r2 = th_round(f.def, "final");
	th_crit(r2, "k1", 1, NORM(NONE));
	th_sel(r2)->top_n = 1;
	/* A filter keeps d out of the first round. */
	th_filter(f.r, CLUSTERS__V1__FILTER_FIELD__FILTER_FIELD_INDUSTRY, NULL,
	          0, CLUSTERS__V1__COMPARISON__COMPARISON_NOT_IN, "zz", 0);
	run(&f);
	Clusters__V1__Explanation *x = NULL;
	char err[256];
	const Clusters__V1__Standing *c = standing(&f, "c");
	assert_int_equal(engine_explain(f.run, c, "nope", &x, err, sizeof(err)),
	                 CD_EINVAL);
	assert_string_equal(err, "round \"nope\": the run has no such round "
	                    "(rounds: \"r\", \"final\")");
	assert_null(x);
	/* c was selected in r (no top_n) and lost the final: fine. The
	 * final's last selected is a. */
	assert_int_equal(engine_explain(f.run, c, "final", &x, err, sizeof(err)),
	                 CD_OK);
	assert_string_equal(x->target_cluster_id, "a");
	engine_explain_free(x);
	/* Without per-round entries (a run stored before them). */
	Clusters__V1__Standing old = *c;
	old.n_rounds = 0;
	assert_int_equal(engine_explain(f.run, &old, "", &x, err, sizeof(err)),
	                 CD_ENOTFOUND);
	assert_int_equal(engine_explain(NULL, c, "", &x, err, sizeof(err)),
	                 CD_EINVAL);
	assert_int_equal(engine_explain(f.run, c, "", NULL, err, sizeof(err)),
	                 CD_EINVAL);
	engine_explain_free(NULL);
	done(&f);
}

/* A cluster that stopped earlier is not a candidate of the final. */
static void t_not_a_candidate(void **st)
{
	(void)st;
	fx_t f;
	setup(&f, NORM(NONE), 1, 1, K1, K2);
	Clusters__V1__Round *r2 = th_round(f.def, "final");
	th_crit(r2, "k1", 1, NORM(NONE));
	run(&f);
	Clusters__V1__Explanation *x = NULL;
	char err[256];
	assert_int_equal(engine_explain(f.run, standing(&f, "d"), "final", &x,
	                                err, sizeof(err)), CD_ENOTFOUND);
	assert_string_equal(err, "cluster \"d\" was not a candidate of round "
	                    "\"final\": it stopped in round \"r\"");
	/* Its own last round works, and says there is no gap for an
	 * unranked cluster elsewhere. */
	assert_int_equal(engine_explain(f.run, standing(&f, "d"), NULL, &x,
	                                err, sizeof(err)), CD_OK);
	assert_string_equal(x->round, "r");
	TH_NEAR(x->gap, 2, 1e-12);   /* b 8, d 6 */
	engine_explain_free(x);
	done(&f);
}

/* DISTANCE_TO_TARGET, target 10: min 2, v = 100 (x - 2) / 8: a 75, b 50,
 * c 25, d 0; weights 3:1 with k2 10: S = 0.75 v + 2.5: b 40, c 21.25.
 * c: gap 18.75, dv 25, k1 4 + 25 * 8 / 100 = 6; k2 10 + 75 = 85. The
 * run's goalposts are the min and the target. */
static void t_dist2targ(void **st)
{
	(void)st;
	fx_t f;
	setup(&f, NORM(DISTANCE_TO_TARGET), 3, 1, K1, K2);
	f.r->criteria[0]->target = 10;
	run(&f);
	TH_NEAR(f.run->rounds[0]->criteria[0]->goalpost_lower, 2, 0);
	TH_NEAR(f.run->rounds[0]->criteria[0]->goalpost_upper, 10, 0);
	const Clusters__V1__Explanation *x = explain(&f, "c");
	TH_NEAR(x->gap, 18.75, 1e-12);
	TH_NEAR(need(x, 0), 6, 1e-12);
	TH_NEAR(need(x, 1), 85, 1e-12);
	done(&f);
	/* Every value past the target 1: all 100, absent. */
	setup(&f, NORM(DISTANCE_TO_TARGET), 3, 1, K1, "a=4;b=3;c=2;d=1");
	f.r->criteria[0]->target = 1;
	run(&f);
	x = explain(&f, "c");
	assert_null(x->criteria[0]->raw_to_close_gap);
	assert_string_equal(x->criteria[0]->note, "every scored value was at "
	                    "or past the target 1: every cluster gets 100, "
	                    "whatever its value");
	TH_NEAR(need(x, 1), 3, 1e-12);
	done(&f);
	/* DISTANCE_TO_MAX inverts as MIN_MAX: min 2, max 8, v = 100 (x - 2)
	 * / 6: b 66.67, c 33.33; gap 0.75 * 33.33 = 25, k1 4 + 2 = 6. */
	setup(&f, NORM(DISTANCE_TO_MAX), 3, 1, K1, K2);
	run(&f);
	x = explain(&f, "c");
	TH_NEAR(need(x, 0), 6, 1e-12);
	done(&f);
	/* PERCENTILE_RANK: absent, as RANK. */
	setup(&f, NORM(PERCENTILE_RANK), 3, 1, K1, K2);
	run(&f);
	x = explain(&f, "c");
	assert_null(x->criteria[0]->raw_to_close_gap);
	assert_non_null(strstr(x->criteria[0]->note, "PERCENTILE_RANK depends "
	                       "on the other clusters' values: a normalised "
	                       "score of 66.6667 is needed"));
	done(&f);
}

/* Harmonic mean, NONE, 1:1, k2 10: S = 1 / (0.5 / k1 + 0.05): b (6)
 * 7.5, c (4) 40/7, d (2) 10/3. c: 1/T = 2/15; k1' = 0.5 / (2/15 - 0.175
 * + 0.125) = 6, k2' = 0.5 / (2/15 - 0.175 + 0.05) = 60. share of 1/S:
 * (0.5 / 4) * 40/7 = 5/7. d's k2 alone cannot reach 7.5: 2/15 - 0.3 +
 * 0.05 < 0. */
static void t_harmonic(void **st)
{
	(void)st;
	fx_t f;
	setup(&f, NORM(NONE), 1, 1, K1, K2);
	f.r->aggregation =
		CLUSTERS__V1__AGGREGATION__AGGREGATION_WEIGHTED_HARMONIC;
	run(&f);
	const Clusters__V1__Explanation *x = explain(&f, "c");
	TH_NEAR(x->target_score, 7.5, 1e-12);
	TH_NEAR(need(x, 0), 6, 1e-9);
	TH_NEAR(need(x, 1), 60, 1e-9);
	TH_NEAR(x->criteria[0]->share, 5.0 / 7, 1e-12);
	TH_NEAR(x->criteria[0]->weighted, 0.125, 1e-12);
	assert_non_null(strstr(x->text, "(71% of 1 / score)"));
	x = explain(&f, "d");
	TH_NEAR(need(x, 0), 6, 1e-9);
	assert_null(x->criteria[1]->raw_to_close_gap);
	assert_string_equal(x->criteria[1]->note, "the other criteria alone "
	                    "hold the harmonic mean below the target: no "
	                    "value of this one reaches it");
	done(&f);
}

/* Median and Copeland: no share, no raw value, and why. */
static void t_not_parts(void **st)
{
	(void)st;
	fx_t f;
	setup(&f, NORM(NONE), 1, 1, K1, "a=1;b=2;c=3;d=4");
	f.r->aggregation = CLUSTERS__V1__AGGREGATION__AGGREGATION_MEDIAN;
	run(&f);
	const Clusters__V1__Explanation *x = explain(&f, "c");
	TH_NEAR(x->criteria[0]->share, 0, 0);
	assert_null(x->criteria[0]->raw_to_close_gap);
	assert_null(x->criteria[1]->raw_to_close_gap);
	assert_non_null(strstr(x->criteria[0]->note, "the weighted median is "
	                       "set by the middle values"));
	done(&f);
	setup(&f, NORM(NONE), 1, 1, K1, "a=1;b=2;c=3;d=4");
	f.r->aggregation = CLUSTERS__V1__AGGREGATION__AGGREGATION_COPELAND;
	run(&f);
	x = explain(&f, "c");
	TH_NEAR(x->criteria[1]->share, 0, 0);
	assert_null(x->criteria[1]->raw_to_close_gap);
	assert_non_null(strstr(x->criteria[1]->note, "the Copeland score "
	                       "counts pairwise contests"));
	done(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_none),
		cmocka_unit_test(t_min_max),
		cmocka_unit_test(t_min_max_impossible),
		cmocka_unit_test(t_z_score),
		cmocka_unit_test(t_z_score_flat),
		cmocka_unit_test(t_share),
		cmocka_unit_test(t_goalposts),
		cmocka_unit_test(t_rank),
		cmocka_unit_test(t_geometric),
		cmocka_unit_test(t_dist2targ),
		cmocka_unit_test(t_harmonic),
		cmocka_unit_test(t_not_parts),
		cmocka_unit_test(t_errors),
		cmocka_unit_test(t_not_a_candidate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
