/* Normalisation and aggregation, computed by hand. Clusters a, b, c, d. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "th.h"

#define NORM(x) CLUSTERS__V1__NORMALIZATION__NORMALIZATION_##x
#define E 1e-9

static const th_cluster_t four[] = {
	{ .id = "a" }, { .id = "b" }, { .id = "c" }, { .id = "d" },
};

typedef struct fx {
	Clusters__V1__Competition *def;
	Clusters__V1__Round *r;
	engine_cohort_t *c;
	engine_result_t *res;
	th_scores_t s;
} fx_t;

/* One round, one criterion k with normalisation n, scores spec. */
static void run1(fx_t *f, Clusters__V1__Normalization n, const char *spec,
                 size_t nclusters)
{
	memset(f, 0, sizeof(*f));
	f->def = th_comp("c");
	f->r = th_round(f->def, "r");
	Clusters__V1__Criterion *k = th_crit(f->r, "k", 1, n);
	k->goalpost_lower = 15;
	k->goalpost_upper = 35;
	f->c = th_cohort(f->def, four, nclusters);
	f->s.crit[0] = "k";
	f->s.spec[0] = spec;
	f->res = th_eval(f->def, f->c, &f->s, CD_OK);
}

static void done(fx_t *f)
{
	engine_result_destroy(f->res);
	th_cohort_free(f->c);
	th_comp_free(f->def);
}

static void t_none(void **st)
{
	(void)st;
	fx_t f;
	run1(&f, NORM(NONE), "a=10;b=-20;c=30;d=40", 4);
	TH_NEAR(th_norm(f.res, "b", 0), -20, 0);
	TH_NEAR(th_score(f.res, "b"), -20, 0);
	done(&f);
	/* Unspecified is NONE. */
	run1(&f, NORM(UNSPECIFIED), "a=10;b=-20;c=30;d=40", 4);
	TH_NEAR(th_norm(f.res, "c", 0), 30, 0);
	done(&f);
}

static void t_min_max(void **st)
{
	(void)st;
	fx_t f;
	/* min 10, max 40: 100 (x - 10) / 30 */
	run1(&f, NORM(MIN_MAX), "a=10;b=20;c=30;d=40", 4);
	TH_NEAR(th_norm(f.res, "a", 0), 0, E);
	TH_NEAR(th_norm(f.res, "b", 0), 100.0 / 3, E);
	TH_NEAR(th_norm(f.res, "c", 0), 200.0 / 3, E);
	TH_NEAR(th_norm(f.res, "d", 0), 100, E);
	done(&f);
	/* All equal: 100 each (the criterion cannot tell them apart). */
	run1(&f, NORM(MIN_MAX), "a=7;b=7;c=7;d=7", 4);
	TH_NEAR(th_norm(f.res, "a", 0), 100, 0);
	TH_NEAR(th_norm(f.res, "d", 0), 100, 0);
	done(&f);
	/* A single cluster: 100. */
	run1(&f, NORM(MIN_MAX), "a=-3", 1);
	TH_NEAR(th_norm(f.res, "a", 0), 100, 0);
	done(&f);
}

static void t_z_score(void **st)
{
	(void)st;
	fx_t f;
	/* mean 25; population sd sqrt((225 + 25 + 25 + 225) / 4) = sqrt(125) */
	run1(&f, NORM(Z_SCORE), "a=10;b=20;c=30;d=40", 4);
	TH_NEAR(th_norm(f.res, "a", 0), -15 / sqrt(125), E);
	TH_NEAR(th_norm(f.res, "b", 0), -5 / sqrt(125), E);
	TH_NEAR(th_norm(f.res, "d", 0), 15 / sqrt(125), E);
	done(&f);
	run1(&f, NORM(Z_SCORE), "a=5;b=5", 2);
	TH_NEAR(th_norm(f.res, "a", 0), 0, 0);
	done(&f);
	run1(&f, NORM(Z_SCORE), "a=5", 1);
	TH_NEAR(th_norm(f.res, "a", 0), 0, 0);
	done(&f);
}

static void t_rank(void **st)
{
	(void)st;
	fx_t f;
	/* m = 4; competition ranks d 1, b 2, c 2, a 4; 100 (m - r) / (m - 1) */
	run1(&f, NORM(RANK), "a=10;b=20;c=20;d=40", 4);
	TH_NEAR(th_norm(f.res, "d", 0), 100, E);
	TH_NEAR(th_norm(f.res, "b", 0), 200.0 / 3, E);
	TH_NEAR(th_norm(f.res, "c", 0), 200.0 / 3, E);
	TH_NEAR(th_norm(f.res, "a", 0), 0, E);
	done(&f);
	run1(&f, NORM(RANK), "a=1;b=1;c=1", 3);     /* all rank 1 */
	TH_NEAR(th_norm(f.res, "b", 0), 100, 0);
	done(&f);
	run1(&f, NORM(RANK), "a=1", 1);
	TH_NEAR(th_norm(f.res, "a", 0), 100, 0);
	done(&f);
	/* Enough values for the radix path (more than 32). */
	th_cluster_t many[40];
	char ids[40][8], spec[40 * 16] = "";
	for (int i = 0; i < 40; i++) {
		snprintf(ids[i], sizeof(ids[i]), "m%02d", i);
		many[i] = (th_cluster_t){ .id = ids[i] };
		char part[16];
		/* values 0, -1, ..., -39 except m10 ties m11 at -11 */
		snprintf(part, sizeof(part), "%s%s=%d", i ? ";" : "", ids[i],
		         i == 10 ? -11 : -i);
		strcat(spec, part);
	}
	memset(&f, 0, sizeof(f));
	f.def = th_comp("c");
	th_crit(th_round(f.def, "r"), "k", 1, NORM(RANK));
	f.c = th_cohort(f.def, many, 40);
	f.s.crit[0] = "k";
	f.s.spec[0] = spec;
	f.res = th_eval(f.def, f.c, &f.s, CD_OK);
	TH_NEAR(th_norm(f.res, "m00", 0), 100, E);
	/* m10 and m11 share rank 11: 100 (40 - 11) / 39 */
	TH_NEAR(th_norm(f.res, "m10", 0), 100.0 * 29 / 39, E);
	TH_NEAR(th_norm(f.res, "m11", 0), 100.0 * 29 / 39, E);
	TH_NEAR(th_norm(f.res, "m12", 0), 100.0 * 27 / 39, E);
	TH_NEAR(th_norm(f.res, "m39", 0), 0, E);
	done(&f);
}

static void t_share(void **st)
{
	(void)st;
	fx_t f;
	/* sum 100: 100 x / 100 */
	run1(&f, NORM(SHARE), "a=10;b=20;c=30;d=40", 4);
	TH_NEAR(th_norm(f.res, "c", 0), 30, E);
	done(&f);
	/* sum 0: 0 each */
	run1(&f, NORM(SHARE), "a=-5;b=5", 2);
	TH_NEAR(th_norm(f.res, "a", 0), 0, 0);
	TH_NEAR(th_norm(f.res, "b", 0), 0, 0);
	done(&f);
}

static void t_goalposts(void **st)
{
	(void)st;
	fx_t f;
	/* lower 15, upper 35: 100 (x - 15) / 20, clamped */
	run1(&f, NORM(GOALPOSTS), "a=10;b=20;c=30;d=40", 4);
	TH_NEAR(th_norm(f.res, "a", 0), 0, E);
	TH_NEAR(th_norm(f.res, "b", 0), 25, E);
	TH_NEAR(th_norm(f.res, "c", 0), 75, E);
	TH_NEAR(th_norm(f.res, "d", 0), 100, E);
	done(&f);
}

/* Two criteria, weights 3 and 1, no normalisation. */
static engine_result_t *two(fx_t *f, Clusters__V1__Aggregation agg,
                            const char *k1, const char *k2)
{
	memset(f, 0, sizeof(*f));
	f->def = th_comp("c");
	f->r = th_round(f->def, "r");
	f->r->aggregation = agg;
	th_crit(f->r, "k1", 3, NORM(NONE));
	th_crit(f->r, "k2", 1, NORM(NONE));
	f->c = th_cohort(f->def, four, 4);
	f->s.crit[0] = "k1";
	f->s.spec[0] = k1;
	f->s.crit[1] = "k2";
	f->s.spec[1] = k2;
	return f->res = th_eval(f->def, f->c, &f->s, CD_OK);
}

static void t_arithmetic(void **st)
{
	(void)st;
	fx_t f;
	engine_result_t *r = two(&f, CLUSTERS__V1__AGGREGATION__AGGREGATION_UNSPECIFIED,
	                         "a=10;b=20;c=0;d=4", "a=50;b=10;c=0;d=-4");
	/* a: 0.75 * 10 + 0.25 * 50 = 20; b: 15 + 2.5 = 17.5; d: 3 - 1 = 2 */
	TH_NEAR(th_score(r, "a"), 20, E);
	TH_NEAR(th_score(r, "b"), 17.5, E);
	TH_NEAR(th_score(r, "c"), 0, E);
	TH_NEAR(th_score(r, "d"), 2, E);
	const engine_standing_t *sa = engine_result_find(r, "a");
	TH_NEAR(engine_result_weighted(r, 0, 0, sa->pos), 7.5, E);
	TH_NEAR(engine_result_weighted(r, 0, 1, sa->pos), 12.5, E);
	assert_string_equal(th_order(r), "a b d c");
	done(&f);
}

static void t_geometric(void **st)
{
	(void)st;
	fx_t f;
	engine_result_t *r = two(&f, CLUSTERS__V1__AGGREGATION__AGGREGATION_WEIGHTED_GEOMETRIC,
	                         "a=16;b=1;c=0;d=-1", "a=1;b=16;c=5;d=4");
	/* a: 16^0.75 * 1^0.25 = 8; b: 1 * 16^0.25 = 2; c, d: a factor <= 0
	 * makes the product 0. */
	TH_NEAR(th_score(r, "a"), 8, E);
	TH_NEAR(th_score(r, "b"), 2, E);
	TH_NEAR(th_score(r, "c"), 0, 0);
	TH_NEAR(th_score(r, "d"), 0, 0);
	const engine_standing_t *sa = engine_result_find(r, "a");
	const engine_standing_t *sd = engine_result_find(r, "d");
	TH_NEAR(engine_result_weighted(r, 0, 0, sa->pos), 8, E);
	TH_NEAR(engine_result_weighted(r, 0, 1, sa->pos), 1, E);
	TH_NEAR(engine_result_weighted(r, 0, 0, sd->pos), 0, 0);
	/* Ties at 0 fall back to id order. */
	assert_string_equal(th_order(r), "a b c d");
	done(&f);
}

/* A zero weight leaves a criterion out of the score but not the report;
 * in a geometric mean its factor is 1. */
static void t_zero_weight(void **st)
{
	(void)st;
	fx_t f;
	memset(&f, 0, sizeof(f));
	f.def = th_comp("c");
	Clusters__V1__Round *r = th_round(f.def, "r");
	r->aggregation = CLUSTERS__V1__AGGREGATION__AGGREGATION_WEIGHTED_GEOMETRIC;
	th_crit(r, "k1", 2, NORM(NONE));
	th_crit(r, "k2", 0, NORM(NONE));
	f.c = th_cohort(f.def, four, 2);
	f.s.crit[0] = "k1";
	f.s.spec[0] = "a=9;b=4";
	f.s.crit[1] = "k2";
	f.s.spec[1] = "a=-1;b=0";
	f.res = th_eval(f.def, f.c, &f.s, CD_OK);
	TH_NEAR(th_score(f.res, "a"), 9, E);
	TH_NEAR(th_score(f.res, "b"), 4, E);
	const engine_standing_t *sa = engine_result_find(f.res, "a");
	TH_NEAR(engine_result_weighted(f.res, 0, 1, sa->pos), 1, 0);
	done(&f);
}

/* min -1.7e308, max 1.7e308: max - min overflows, yet the scaled
 * normalisation ranks both (it once gave a NaN total to a and ranked b
 * first). */
static void t_nonfinite_total(void **st)
{
	(void)st;
	fx_t f;
	run1(&f, NORM(MIN_MAX), "a=1.7e308;b=-1.7e308", 2);
	assert_int_equal(th_rank(f.res, "a"), 1);
	assert_string_equal(th_reason(f.res, "a"), "");
	TH_NEAR(th_score(f.res, "a"), 100, 0);
	assert_int_equal(th_rank(f.res, "b"), 2);
	TH_NEAR(th_score(f.res, "b"), 0, 0);
	done(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_none),
		cmocka_unit_test(t_min_max),
		cmocka_unit_test(t_z_score),
		cmocka_unit_test(t_rank),
		cmocka_unit_test(t_share),
		cmocka_unit_test(t_goalposts),
		cmocka_unit_test(t_arithmetic),
		cmocka_unit_test(t_geometric),
		cmocka_unit_test(t_zero_weight),
		cmocka_unit_test(t_nonfinite_total),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
