/* The coherence of a round (engine_coherence.c): Pearson, Spearman and
 * Cronbach's alpha against hand computations and a published example;
 * ties, a constant column, fewer than 3 clusters, groups (the way pillars
 * plug in), the range of doubles, and a whole run with a cluster missing
 * one score. */
#include <float.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "engine_coherence.h"
#include "th.h"

#define NORM(x) CLUSTERS__V1__NORMALIZATION__NORMALIZATION_##x
#define CRIT CLUSTERS__V1__COHERENCE_ITEM_KIND__COHERENCE_ITEM_KIND_CRITERION
#define PILLAR CLUSTERS__V1__COHERENCE_ITEM_KIND__COHERENCE_ITEM_KIND_PILLAR
#define FLAG(x) CLUSTERS__V1__COHERENCE_FLAG_CODE__COHERENCE_FLAG_CODE_##x
#define EPS 1e-12

typedef struct co {
	engine_arena_t a;
	engine_sorter_t s;
	Clusters__V1__RoundCoherence out;
	char err[256];
} co_t;

/* Runs engine_coherence over rows 0..n of the columns (all criteria of
 * the round unless group/kind are given). */
static int run(co_t *c, const double *const *cols, const char *const *ids,
               const int *kind, const int *group, size_t ncol,
               const double *total, size_t n)
{
	memset(c, 0, sizeof(*c));
	int k[16], g[16];
	uint32_t R[64];
	for (size_t j = 0; j < ncol; j++) {
		k[j] = kind ? kind[j] : CRIT;
		g[j] = group ? group[j] : ENGINE_COH_ROUND;
	}
	for (size_t i = 0; i < n; i++)
		R[i] = (uint32_t)i;
	return engine_coherence(&c->a, cols, ids, k, g, ncol, total, R, n,
	                        &c->s, &c->out, c->err, sizeof(c->err));
}

static void fini(co_t *c)
{
	engine_arena_fini(&c->a);
	engine_sorter_fini(&c->s);
}

static const Clusters__V1__CoherencePair *pair(const co_t *c, const char *a,
                                               const char *b)
{
	for (size_t i = 0; i < c->out.n_pairs; i++)
		if (!strcmp(c->out.pairs[i]->item_a, a) &&
		    !strcmp(c->out.pairs[i]->item_b, b))
			return c->out.pairs[i];
	fail_msg("no pair %s %s", a, b);
	return NULL;
}

static const Clusters__V1__CoherenceFlag *find_flag(const co_t *c, int code,
                                                    const char *item)
{
	for (size_t i = 0; i < c->out.n_flags; i++)
		if ((int)c->out.flags[i]->code == code &&
		    !strcmp(c->out.flags[i]->item, item))
			return c->out.flags[i];
	return NULL;
}

static int has_note(const co_t *c, const char *part)
{
	for (size_t i = 0; i < c->out.n_notes; i++)
		if (strstr(c->out.notes[i], part))
			return 1;
	return 0;
}

/* Four clusters, four criteria, by hand (deviations from the means):
 *   a = 1 2 3 4     (-1.5 -0.5 0.5 1.5)   Saa = 5
 *   b = 2 4 5 9     (-3 -1 0 4)           Sbb = 26, Sab = 11
 *   c = 5 - a                             r(a, c) = -1
 *   d = 1 -1 -1 1   (same)                Sdd = 4, Sad = 0
 *   total t = (a + b + c) / 3 = (b + 5) / 3, so r(x, t) = r(x, b):
 *   r(a, b) = 11 / sqrt(5 * 26) = 0.96476...; r(b, t) = 1;
 *   r(d, t) = (2/3) / sqrt(4 * 26/9) = 1 / sqrt(26) = 0.19612...
 * Spearman: a, b, t rise together: rho(a, b) = 1, rho(a, c) = -1; d's
 * average ranks (1.5 3.5 3.5 1.5) against a's (4 3 2 1): 0.
 * Alpha of a, b, c, d (sample covariances: the 1/3 cancels): Σ var =
 * 5 + 26 + 5 + 4 = 40; sum = 8 8 9 15, mean 10, Σ dev² = 34;
 * alpha = 4/3 (1 - 40/34) = -4/17. */
static void t_hand(void **state)
{
	(void)state;
	const double a[] = { 1, 2, 3, 4 }, b[] = { 2, 4, 5, 9 },
	             c[] = { 4, 3, 2, 1 }, d[] = { 1, -1, -1, 1 };
	double t[4];
	for (int i = 0; i < 4; i++)
		t[i] = (a[i] + b[i] + c[i]) / 3;
	const double *cols[] = { a, b, c, d };
	const char *ids[] = { "a", "b", "c", "d" };
	co_t x;
	assert_int_equal(run(&x, cols, ids, NULL, NULL, 4, t, 4), CD_OK);
	assert_int_equal(x.out.observations, 4);
	assert_int_equal(x.out.n_items, 4);
	assert_int_equal(x.out.n_pairs, 6);
	assert_true(fabs(pair(&x, "a", "b")->pearson - 11 / sqrt(130)) < EPS);
	assert_true(fabs(pair(&x, "a", "c")->pearson + 1) < EPS);
	assert_true(fabs(pair(&x, "b", "c")->pearson + 11 / sqrt(130)) < EPS);
	assert_true(fabs(pair(&x, "a", "d")->pearson) < EPS);
	assert_true(fabs(pair(&x, "a", "b")->spearman - 1) < EPS);
	assert_true(fabs(pair(&x, "a", "c")->spearman + 1) < EPS);
	assert_true(fabs(pair(&x, "a", "d")->spearman) < EPS);
	const Clusters__V1__CoherenceItem *it = x.out.items[1];
	assert_string_equal(it->id, "b");
	assert_string_equal(it->group, "");
	assert_true(fabs(it->pearson_total - 1) < EPS);
	assert_true(fabs(it->pearson_group - 1) < EPS);
	assert_true(fabs(it->spearman_total - 1) < EPS);
	assert_true(fabs(x.out.items[3]->pearson_total - 1 / sqrt(26)) < EPS);
	assert_true(fabs(x.out.items[3]->spearman_total) < EPS);
	assert_int_equal(x.out.n_groups, 1);
	assert_string_equal(x.out.groups[0]->group, "");
	assert_int_equal(x.out.groups[0]->items, 4);
	assert_true(fabs(x.out.groups[0]->cronbach_alpha + 4.0 / 17) < EPS);
	/* Flags: c negative, d weak, a and b redundant; nothing else. */
	assert_int_equal(x.out.n_flags, 3);
	const Clusters__V1__CoherenceFlag *f = find_flag(&x, FLAG(NEGATIVE), "c");
	assert_non_null(f);
	assert_string_equal(f->text, "criterion \"c\" correlates negatively "
	                    "with the round's total (Pearson -0.965)");
	f = find_flag(&x, FLAG(WEAK), "d");
	assert_non_null(f);
	assert_string_equal(f->text, "criterion \"d\" correlates weakly with "
	                    "the round's total (Pearson 0.196, at most 0.3)");
	f = find_flag(&x, FLAG(REDUNDANT), "a");
	assert_non_null(f);
	assert_string_equal(f->other, "b");
	assert_true(fabs(f->value - 11 / sqrt(130)) < EPS);
	assert_string_equal(f->text, "criteria \"a\" and \"b\" are very highly "
	                    "correlated (Pearson 0.965, above 0.9): one may "
	                    "count what the other does");
	assert_int_equal(x.out.n_notes, 0);
	assert_true(x.out.weak_threshold == 0.3);
	assert_true(x.out.redundant_threshold == 0.9);
	fini(&x);
}

/* Ties: average ranks. x = 1 2 2 3 5 ranks 1 2.5 2.5 4 5; y = 2 1 4 4 6
 * ranks 2 1 3.5 3.5 5; deviations from 3: (-2 -.5 -.5 1 2) and
 * (-1 -2 .5 .5 2): Σ = 7.25, each Σ² = 9.5, rho = 7.25 / 9.5
 * (pandas' DataFrame.corr(method="spearman") gives 0.7631578947368421). */
static void t_ties(void **state)
{
	(void)state;
	const double x[] = { 1, 2, 2, 3, 5 }, y[] = { 2, 1, 4, 4, 6 };
	const double t[] = { 1, 2, 3, 4, 5 };
	const double *cols[] = { x, y };
	const char *ids[] = { "x", "y" };
	co_t c;
	assert_int_equal(run(&c, cols, ids, NULL, NULL, 2, t, 5), CD_OK);
	assert_true(fabs(c.out.pairs[0]->spearman - 7.25 / 9.5) < EPS);
	/* Pearson of the values: x dev (-1.6 -.6 -.6 .4 2.4), y (-1.4 -2.4
	 * .6 .6 2.6): Σxy = 2.24 + 1.44 - .36 + .24 + 6.24 = 9.8, Σx² = 9.2,
	 * Σy² = 15.2. */
	assert_true(fabs(c.out.pairs[0]->pearson - 9.8 / sqrt(9.2 * 15.2)) <
	            EPS);
	fini(&c);
}

/* A column with one value: its correlations are NaN with a note; alpha
 * is still defined (its variance adds 0): a = 1 2 3, b = 3 1 2, k = 7:
 * Σ var = 2 + 2 + 0, sum = 11 10 12, Σ dev² = 2: alpha = 3/2 (1 - 4/2). */
static void t_constant(void **state)
{
	(void)state;
	const double a[] = { 1, 2, 3 }, b[] = { 3, 1, 2 }, k[] = { 7, 7, 7 };
	const double t[] = { 1, 2, 3 };
	const double *cols[] = { a, b, k };
	const char *ids[] = { "a", "b", "k" };
	co_t c;
	assert_int_equal(run(&c, cols, ids, NULL, NULL, 3, t, 3), CD_OK);
	assert_true(isnan(pair(&c, "a", "k")->pearson));
	assert_true(isnan(pair(&c, "a", "k")->spearman));
	assert_true(isnan(c.out.items[2]->pearson_total));
	assert_true(isnan(c.out.items[2]->spearman_group));
	assert_true(fabs(pair(&c, "a", "b")->pearson + 0.5) < EPS);
	assert_true(fabs(pair(&c, "a", "b")->spearman + 0.5) < EPS);
	assert_true(has_note(&c, "criterion \"k\" has the same score for "
	                     "every ranked cluster: its correlations are "
	                     "not defined"));
	assert_true(fabs(c.out.groups[0]->cronbach_alpha + 1.5) < EPS);
	assert_null(find_flag(&c, FLAG(WEAK), "k"));
	assert_null(find_flag(&c, FLAG(NEGATIVE), "k"));
	fini(&c);

	/* A constant total: every item's correlation with it is undefined;
	 * all items constant: alpha too. */
	const double t7[] = { 7, 7, 7 };
	const double *cols2[] = { k, k };
	const char *ids2[] = { "k1", "k2" };
	assert_int_equal(run(&c, cols2, ids2, NULL, NULL, 2, t7, 3), CD_OK);
	assert_true(isnan(c.out.items[0]->pearson_total));
	assert_true(has_note(&c, "the total score is the same for every "
	                     "ranked cluster"));
	assert_true(isnan(c.out.groups[0]->cronbach_alpha));
	assert_true(has_note(&c, "Cronbach's alpha of the round is not "
	                     "defined: the sum of its items is the same"));
	fini(&c);
}

/* Fewer than 3 clusters: nothing is defined, one note, no flags; 0
 * clusters too. */
static void t_few(void **state)
{
	(void)state;
	const double a[] = { 1, 2 }, b[] = { 2, 1 }, t[] = { 1, 2 };
	const double *cols[] = { a, b };
	const char *ids[] = { "a", "b" };
	for (size_t n = 0; n < 3; n++) {
		co_t c;
		assert_int_equal(run(&c, cols, ids, NULL, NULL, 2, t, n), CD_OK);
		assert_int_equal(c.out.observations, (int)n);
		assert_int_equal(c.out.n_items, 2);
		assert_int_equal(c.out.n_pairs, 1);
		assert_true(isnan(c.out.pairs[0]->pearson));
		assert_true(isnan(c.out.pairs[0]->spearman));
		assert_true(isnan(c.out.items[0]->pearson_total));
		assert_true(isnan(c.out.items[1]->spearman_group));
		assert_true(isnan(c.out.groups[0]->cronbach_alpha));
		assert_int_equal(c.out.n_flags, 0);
		assert_int_equal(c.out.n_notes, 1);
		char want[128];
		snprintf(want, sizeof(want), "fewer than 3 ranked clusters "
		         "(%zu): correlations and Cronbach's alpha are not "
		         "defined", n);
		assert_string_equal(c.out.notes[0], want);
		fini(&c);
	}
	/* One criterion: alpha needs two items. */
	const double x[] = { 1, 2, 4 };
	const double *one[] = { x };
	co_t c;
	assert_int_equal(run(&c, one, ids, NULL, NULL, 1, x, 3), CD_OK);
	assert_int_equal(c.out.n_pairs, 0);
	assert_true(fabs(c.out.items[0]->pearson_total - 1) < EPS);
	assert_true(isnan(c.out.groups[0]->cronbach_alpha));
	assert_true(has_note(&c, "Cronbach's alpha of the round is not "
	                     "defined: it has one item, and alpha needs two"));
	fini(&c);
}

/* Published example: Statology, "How to Calculate Cronbach's Alpha in
 * Python" (https://www.statology.org/cronbachs-alpha-in-python/): ten
 * customers rate three questions 1..3,
 *   Q1 = 1 2 2 3 2 2 3 3 2 3, Q2 = 1 1 1 2 3 3 2 3 3 3,
 *   Q3 = 1 1 2 1 2 3 3 3 2 3;
 * pingouin.cronbach_alpha(data=df) gives (0.7734375, [0.336, 0.939]). */
static void t_published(void **state)
{
	(void)state;
	const double q1[] = { 1, 2, 2, 3, 2, 2, 3, 3, 2, 3 };
	const double q2[] = { 1, 1, 1, 2, 3, 3, 2, 3, 3, 3 };
	const double q3[] = { 1, 1, 2, 1, 2, 3, 3, 3, 2, 3 };
	double t[10];
	for (int i = 0; i < 10; i++)
		t[i] = q1[i] + q2[i] + q3[i];
	const double *cols[] = { q1, q2, q3 };
	const char *ids[] = { "Q1", "Q2", "Q3" };
	co_t c;
	assert_int_equal(run(&c, cols, ids, NULL, NULL, 3, t, 10), CD_OK);
	assert_true(fabs(c.out.groups[0]->cronbach_alpha - 0.7734375) < EPS);
	assert_int_equal(c.out.groups[0]->items, 3);
	fini(&c);
}

/* Groups, as pillars plug in: a and b in pillar P (column 2), e in the
 * round; P and e in the round. a's group is P, alpha per group. */
static void t_groups(void **state)
{
	(void)state;
	const double a[] = { 1, 2, 3, 4 }, b[] = { 2, 4, 5, 9 },
	             e[] = { 4, 1, 3, 2 };
	double P[4], t[4];
	for (int i = 0; i < 4; i++) {
		P[i] = (a[i] + b[i]) / 2;
		t[i] = (P[i] + e[i]) / 2;
	}
	const double *cols[] = { a, b, P, e };
	const char *ids[] = { "a", "b", "P", "e" };
	const int kind[] = { CRIT, CRIT, PILLAR, CRIT };
	const int group[] = { 2, 2, ENGINE_COH_ROUND, ENGINE_COH_ROUND };
	co_t c;
	assert_int_equal(run(&c, cols, ids, kind, group, 4, t, 4), CD_OK);
	assert_string_equal(c.out.items[0]->group, "P");
	/* P = (a + b)/2: dev (-2.25 -.75 .25 2.75); Σ a·P = (5 + 11)/2 = 8,
	 * ΣP² = (5 + 26 + 22)/4 = 13.25. */
	assert_true(fabs(c.out.items[0]->pearson_group - 8 / sqrt(5 * 13.25)) <
	            EPS);
	assert_true(c.out.items[0]->pearson_group !=
	            c.out.items[0]->pearson_total);
	/* Pairs among criteria (a-b, a-e, b-e), none with the pillar. */
	assert_int_equal(c.out.n_pairs, 3);
	/* Groups: the round (P and e), then P (a and b): alpha of a, b =
	 * 2 (1 - 31/53). */
	assert_int_equal(c.out.n_groups, 2);
	assert_string_equal(c.out.groups[0]->group, "");
	assert_int_equal(c.out.groups[0]->items, 2);
	assert_string_equal(c.out.groups[1]->group, "P");
	assert_int_equal(c.out.groups[1]->items, 2);
	assert_true(fabs(c.out.groups[1]->cronbach_alpha -
	                 2 * (1 - 31.0 / 53)) < EPS);
	/* a and b redundant within P; a-e are not in one group. */
	const Clusters__V1__CoherenceFlag *f = find_flag(&c, FLAG(REDUNDANT), "a");
	assert_non_null(f);
	assert_string_equal(f->group, "P");
	fini(&c);

	/* A group that is not the round nor a pillar item. */
	const int bad1[] = { 7, 2, ENGINE_COH_ROUND, ENGINE_COH_ROUND };
	assert_int_equal(run(&c, cols, ids, kind, bad1, 4, t, 4), CD_EINVAL);
	assert_string_equal(c.err, "coherence: item 0: group 7 is neither the "
	                    "round nor a pillar item");
	fini(&c);
	const int bad2[] = { 1, 2, ENGINE_COH_ROUND, ENGINE_COH_ROUND };
	assert_int_equal(run(&c, cols, ids, kind, bad2, 4, t, 4), CD_EINVAL);
	assert_non_null(strstr(c.err, "item 0: group 1"));
	fini(&c);
	/* Pillars whose groups form a cycle. */
	const int kind2[] = { CRIT, PILLAR, PILLAR, CRIT };
	const int bad3[] = { 1, 2, 1, ENGINE_COH_ROUND };
	assert_int_equal(run(&c, cols, ids, kind2, bad3, 4, t, 4), CD_EINVAL);
	assert_string_equal(c.err, "coherence: item 0: its groups form a "
	                    "cycle");
	fini(&c);
}

/* Nested pillars: a and b in sub-pillar S (column 3), S and e in pillar
 * P (column 4), P alone in the round. a's group is S, S's is P. */
static void t_nested(void **state)
{
	(void)state;
	const double a[] = { 1, 2, 3, 4, 5 }, b[] = { 2, 4, 5, 9, 7 },
	             e[] = { 4, 1, 3, 2, 6 };
	double S[5], P[5];
	for (int i = 0; i < 5; i++) {
		S[i] = (a[i] + b[i]) / 2;
		P[i] = (S[i] + e[i]) / 2;
	}
	const double *cols[] = { a, b, e, S, P };
	const char *ids[] = { "a", "b", "e", "S", "P" };
	const int kind[] = { CRIT, CRIT, CRIT, PILLAR, PILLAR };
	const int group[] = { 3, 3, 4, 4, ENGINE_COH_ROUND };
	co_t c;
	assert_int_equal(run(&c, cols, ids, kind, group, 5, P, 5), CD_OK);
	assert_string_equal(c.out.items[3]->group, "P");
	/* S against P: S = (3 4 4.5 6.5 6)/2... by hand: S = 1.5 3 4 6.5 6,
	 * P = 2.75 2 3.5 4.25 6; dS = -2.7 -1.2 -.2 2.3 1.8 (mean 4.2),
	 * dP = -.95 -1.7 -.2 .55 2.3 (mean 3.7): Σ dS dP = 2.565 + 2.04 +
	 * .04 + 1.265 + 4.14 = 10.05, Σ dS² = 7.29 + 1.44 + .04 + 5.29 +
	 * 3.24 = 17.3, Σ dP² = .9025 + 2.89 + .04 + .3025 + 5.29 = 9.425. */
	assert_true(fabs(c.out.items[3]->pearson_group -
	                 10.05 / sqrt(17.3 * 9.425)) < EPS);
	/* P is the total here: its correlation with its group is 1. */
	assert_true(fabs(c.out.items[4]->pearson_group - 1) < EPS);
	/* Groups: the round (P alone: alpha undefined), S (a, b), P (e,
	 * S). */
	assert_int_equal(c.out.n_groups, 3);
	assert_int_equal(c.out.groups[0]->items, 1);
	assert_true(isnan(c.out.groups[0]->cronbach_alpha));
	fini(&c);
}

/* The range of doubles: a column times 1e300 (or at DBL_MAX's scale) and
 * one of subnormals give the same correlations; alpha mixes scales. */
static void t_range(void **state)
{
	(void)state;
	const double a[] = { 1, 2, 3, 4 }, b[] = { 2, 4, 5, 9 };
	double A[4], B[4], T[4];
	for (int i = 0; i < 4; i++) {
		A[i] = a[i] * 1e300;
		B[i] = b[i] * 4.9e-324 * 1e3;   /* subnormal */
		T[i] = b[i] * (DBL_MAX / 10);
	}
	const double *cols[] = { A, B };
	const char *ids[] = { "A", "B" };
	co_t c;
	assert_int_equal(run(&c, cols, ids, NULL, NULL, 2, T, 4), CD_OK);
	assert_true(fabs(c.out.pairs[0]->pearson - 11 / sqrt(130)) < 1e-9);
	assert_true(fabs(c.out.items[1]->pearson_total - 1) < 1e-9);
	assert_true(fabs(c.out.items[0]->pearson_total - 11 / sqrt(130)) <
	            1e-9);
	/* Alpha of columns 1e300 apart: the small one's variance vanishes
	 * next to the other's: alpha = 2 (1 - 1) = 0 to rounding. */
	assert_true(fabs(c.out.groups[0]->cronbach_alpha) < 1e-12);
	assert_int_equal(c.out.n_notes, 0);
	fini(&c);

	/* A value that is not finite (which the engine never passes): that
	 * column's statistics are NaN, with a note. */
	const double inf[] = { 1, INFINITY, 3, 4 };
	const double *cols2[] = { a, inf };
	assert_int_equal(run(&c, cols2, ids, NULL, NULL, 2, inf, 4), CD_OK);
	assert_true(isnan(c.out.pairs[0]->pearson));
	assert_true(isnan(c.out.items[0]->pearson_total));
	assert_true(isnan(c.out.groups[0]->cronbach_alpha));
	assert_true(has_note(&c, "criterion \"B\" has a score that is not a "
	                     "finite number"));
	assert_true(has_note(&c, "a total score is not a finite number"));
	fini(&c);
}

/* A whole run: the coherence in RoundStats is over the ranked clusters'
 * normalised scores. Cluster c lacks k2: excluded (MISSING_POLICY_EXCLUDE)
 * it is not counted; with MISSING_POLICY_SCORE_ZERO its k2 counts as 0.
 *   exclude: k1 = 1 2 4, k2 = 2 4 9: Sxy = 11, Sxx = 14/3, Syy = 26;
 *   zero:    k1 = 1 2 3 4, k2 = 2 4 0 9: Sxy = 8.5, Sxx = 5,
 *            Syy = 44.75. */
static void t_run(void **state)
{
	(void)state;
	static const th_cluster_t four[] = {
		{ .id = "a" }, { .id = "b" }, { .id = "c" }, { .id = "d" },
	};
	for (int zero = 0; zero < 2; zero++) {
		Clusters__V1__Competition *def = th_comp("co");
		Clusters__V1__Round *r = th_round(def, "only");
		th_crit(r, "k1", 1, NORM(NONE));
		th_crit(r, "k2", 1, NORM(NONE));
		if (zero)
			r->missing = CLUSTERS__V1__MISSING_POLICY__MISSING_POLICY_SCORE_ZERO;
		engine_cohort_t *c = th_cohort(def, four, 4);
		th_scores_t s = { .crit = { "k1", "k2" },
		                  .spec = { "a=1;b=2;c=3;d=4",
		                            "a=2;b=4;c=-;d=9" } };
		engine_result_t *res = th_eval(def, c, &s, CD_OK);
		Clusters__V1__Run *run = NULL;
		char err[256];
		assert_int_equal(engine_run_build(res, NULL, &run, err,
		                                  sizeof(err)), CD_OK);
		const Clusters__V1__RoundCoherence *co = run->rounds[0]->coherence;
		assert_non_null(co);
		assert_int_equal(co->observations, zero ? 4 : 3);
		double want = zero ? 8.5 / sqrt(5 * 44.75)
		                   : 11 / sqrt(14.0 / 3 * 26);
		assert_true(fabs(co->pairs[0]->pearson - want) < EPS);
		assert_true(fabs(co->pairs[0]->spearman - (zero ? 0.4 : 1)) < EPS);
		assert_int_equal(co->n_groups, 1);
		assert_false(isnan(co->groups[0]->cronbach_alpha));
		/* Built again from the first Run (as the service does with
		 * fewer standings): the same coherence, copied, and still
		 * there once the first Run is freed. */
		engine_run_opts_t o = { .max_standings = 1,
		                        .coherence_from = run };
		Clusters__V1__Run *again = NULL;
		assert_int_equal(engine_run_build(res, &o, &again, err,
		                                  sizeof(err)), CD_OK);
		size_t len = clusters__v1__round_coherence__get_packed_size(co);
		uint8_t *b1 = malloc(len), *b2 = malloc(len);
		assert_non_null(b1);
		assert_non_null(b2);
		clusters__v1__round_coherence__pack(co, b1);
		engine_run_free(run);
		const Clusters__V1__RoundCoherence *co2 =
			again->rounds[0]->coherence;
		assert_ptr_not_equal(co2, NULL);
		assert_int_equal(clusters__v1__round_coherence__get_packed_size(co2),
		                 len);
		clusters__v1__round_coherence__pack(co2, b2);
		assert_memory_equal(b1, b2, len);
		assert_true(fabs(co2->pairs[0]->pearson - want) < EPS);
		assert_string_equal(co2->items[1]->id, "k2");
		free(b1);
		free(b2);
		engine_run_free(again);
		engine_result_destroy(res);
		th_cohort_free(c);
		th_comp_free(def);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_hand),
		cmocka_unit_test(t_ties),
		cmocka_unit_test(t_constant),
		cmocka_unit_test(t_few),
		cmocka_unit_test(t_published),
		cmocka_unit_test(t_groups),
		cmocka_unit_test(t_nested),
		cmocka_unit_test(t_range),
		cmocka_unit_test(t_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
