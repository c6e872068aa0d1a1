/* Pillars: two-level trees computed by hand, a geometric pillar inside an
 * arithmetic round, a pillar's own normalisation, missing scores under
 * both policies, ties and shared ranks, every validation refusal,
 * sensitivity with jittered pillar weights, the run's pillar fields and
 * explanations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "th.h"

#define NORM(x) CLUSTERS__V1__NORMALIZATION__NORMALIZATION_##x
#define AGG(x) CLUSTERS__V1__AGGREGATION__AGGREGATION_##x
#define E 1e-9

static const th_cluster_t abc[] = { { .id = "a" }, { .id = "b" }, { .id = "c" } };

typedef struct fx {
	Clusters__V1__Competition *def;
	Clusters__V1__Round *r;
	engine_cohort_t *c;
	engine_result_t *res;
	th_scores_t s;
	Clusters__V1__Run *run;
} fx_t;

static void done(fx_t *f)
{
	engine_run_free(f->run);
	engine_result_destroy(f->res);
	th_cohort_free(f->c);
	th_comp_free(f->def);
}

static Clusters__V1__Criterion *crit(fx_t *f, const char *id, double w,
                                     const char *pillar, const char *spec)
{
	Clusters__V1__Criterion *k = th_crit(f->r, id, w, NORM(NONE));
	if (pillar)
		th_in(k, pillar);
	size_t i = f->r->n_criteria - 1;
	f->s.crit[i] = id;
	f->s.spec[i] = spec;
	return k;
}

static size_t pidx(const engine_round_res_t *rr, const char *id)
{
	for (size_t j = 0; j < rr->npil; j++)
		if (!strcmp(rr->def->pillars[j]->id, id))
			return j;
	fail_msg("no pillar %s", id);
	return 0;
}

/* The score and rank of cluster id in pillar p of round 0. */
static double pscore(const fx_t *f, const char *p, const char *id)
{
	const engine_round_res_t *rr = &f->res->rounds[0];
	const engine_standing_t *st = engine_result_find(f->res, id);
	assert_non_null(st);
	return rr->pscore[pidx(rr, p) * rr->n + st->pos];
}

static uint32_t prank(const fx_t *f, const char *p, const char *id)
{
	const engine_round_res_t *rr = &f->res->rounds[0];
	const engine_standing_t *st = engine_result_find(f->res, id);
	assert_non_null(st);
	return rr->prank[pidx(rr, p) * rr->n + st->pos];
}

/* c1 (1), c2 (3) in A; c3 (1), c4 (1) in B; A (2) and B (1) in P; P (3)
 * and c5 (1) at the top. Everything arithmetic, NORMALIZATION_NONE.
 *
 *         c1   c2   c3   c4   c5
 *   a     40   80   60   20   50
 *   b    100   40   10   30   90
 *   c      0   60   50   50   10
 *
 * A = .25 c1 + .75 c2:   a 10 + 60 = 70,  b 25 + 30 = 55,  c 0 + 45 = 45
 * B = .5 c3 + .5 c4:     a 40,            b 20,            c 50
 * P = 2/3 A + 1/3 B:     a 60,            b 130/3,         c 140/3
 * total = .75 P + .25 c5: a 45 + 12.5 = 57.5, b 32.5 + 22.5 = 55,
 *                         c 35 + 2.5 = 37.5
 * Effective shares: P .75, A .5, B .25; c1 .125, c2 .375, c3 .125,
 * c4 .125, c5 .25. */
static void two_level(fx_t *f)
{
	memset(f, 0, sizeof(*f));
	f->def = th_comp("c");
	f->r = th_round(f->def, "r");
	th_pillar(f->r, "A", 2, "P", AGG(UNSPECIFIED));
	th_pillar(f->r, "B", 1, "P", AGG(WEIGHTED_ARITHMETIC));
	th_pillar(f->r, "P", 3, NULL, AGG(UNSPECIFIED));
	crit(f, "c1", 1, "A", "a=40;b=100;c=0");
	crit(f, "c2", 3, "A", "a=80;b=40;c=60");
	crit(f, "c3", 1, "B", "a=60;b=10;c=50");
	crit(f, "c4", 1, "B", "a=20;b=30;c=50");
	crit(f, "c5", 1, NULL, "a=50;b=90;c=10");
	th_sel(f->r)->top_n = 1;
	f->c = th_cohort(f->def, abc, 3);
	f->res = th_eval(f->def, f->c, &f->s, CD_OK);
}

static void t_two_level(void **st)
{
	(void)st;
	fx_t f;
	two_level(&f);
	TH_NEAR(pscore(&f, "A", "a"), 70, E);
	TH_NEAR(pscore(&f, "A", "b"), 55, E);
	TH_NEAR(pscore(&f, "A", "c"), 45, E);
	TH_NEAR(pscore(&f, "B", "a"), 40, E);
	TH_NEAR(pscore(&f, "B", "b"), 20, E);
	TH_NEAR(pscore(&f, "B", "c"), 50, E);
	TH_NEAR(pscore(&f, "P", "a"), 60, E);
	TH_NEAR(pscore(&f, "P", "b"), 130.0 / 3, E);
	TH_NEAR(pscore(&f, "P", "c"), 140.0 / 3, E);
	TH_NEAR(th_score(f.res, "a"), 57.5, E);
	TH_NEAR(th_score(f.res, "b"), 55, E);
	TH_NEAR(th_score(f.res, "c"), 37.5, E);
	assert_string_equal(th_order(f.res), "a b c");
	assert_int_equal(prank(&f, "A", "a"), 1);
	assert_int_equal(prank(&f, "A", "c"), 3);
	assert_int_equal(prank(&f, "B", "c"), 1);
	assert_int_equal(prank(&f, "B", "b"), 3);
	assert_int_equal(prank(&f, "P", "c"), 2);
	assert_int_equal(prank(&f, "P", "b"), 3);
	const engine_round_res_t *rr = &f.res->rounds[0];
	/* Sibling shares, and effective shares. */
	TH_NEAR(rr->wn[0], 0.25, E);
	TH_NEAR(rr->wn[4], 0.25, E);
	TH_NEAR(rr->ceff[1], 0.375, E);
	TH_NEAR(rr->ceff[2], 0.125, E);
	TH_NEAR(rr->peff[pidx(rr, "P")], 0.75, E);
	TH_NEAR(rr->peff[pidx(rr, "A")], 0.5, E);
	/* A criterion's weighted score is its part of its pillar. */
	const engine_standing_t *sa = engine_result_find(f.res, "a");
	TH_NEAR(engine_result_weighted(f.res, 0, 0, sa->pos), 10, E);

	/* The run: standings' pillars, stats, criteria's pillar and share. */
	char err[256];
	assert_int_equal(engine_run_build(f.res, NULL, &f.run, err, sizeof(err)),
	                 CD_OK);
	const Clusters__V1__RoundStats *rs = f.run->rounds[0];
	assert_int_equal(rs->n_pillars, 3);
	assert_string_equal(rs->pillars[0]->pillar, "A");
	assert_string_equal(rs->pillars[0]->parent, "P");
	TH_NEAR(rs->pillars[0]->weight_share, 0.5, E);
	TH_NEAR(rs->pillars[1]->weight_share, 0.25, E);
	assert_int_equal(rs->pillars[2]->scored, 3);
	TH_NEAR(rs->pillars[2]->min, 130.0 / 3, E);
	TH_NEAR(rs->pillars[2]->max, 60, E);
	TH_NEAR(rs->pillars[2]->mean, 150.0 / 3, E);
	/* sd of 60, 43.33, 46.67 about 50: sqrt((100 + 44.44 + 11.11) / 3) */
	TH_NEAR(rs->pillars[2]->sd, sqrt((100 + 400.0 / 9 + 100.0 / 9) / 3), E);
	assert_string_equal(rs->criteria[0]->pillar, "A");
	assert_string_equal(rs->criteria[4]->pillar, "");
	TH_NEAR(rs->criteria[0]->weight_share, 0.125, E);
	const Clusters__V1__Standing *s0 = f.run->standings[0];
	assert_string_equal(s0->cluster_id, "a");
	assert_int_equal(s0->rounds[0]->n_pillars, 3);
	assert_string_equal(s0->rounds[0]->pillars[2]->pillar, "P");
	TH_NEAR(s0->rounds[0]->pillars[2]->score, 60, E);
	assert_int_equal(s0->rounds[0]->pillars[2]->rank, 1);
	assert_int_equal(s0->rounds[0]->pillars[1]->rank, 2);

	/* Explanation of a (selected; target b at 55, gap -2.5). */
	Clusters__V1__Explanation *x = NULL;
	assert_int_equal(engine_explain(f.run, s0, NULL, &x, err, sizeof(err)),
	                 CD_OK);
	TH_NEAR(x->gap, -2.5, E);
	assert_int_equal(x->n_pillars, 3);
	assert_non_null(x->pillars[2]->contribution);
	TH_NEAR(x->pillars[2]->contribution->value, 45, E);    /* .75 * 60 */
	TH_NEAR(x->pillars[0]->contribution->value, 35, E);    /* .5 * 70 */
	TH_NEAR(x->pillars[1]->contribution->value, 10, E);    /* .25 * 40 */
	assert_int_equal(x->pillars[1]->rank, 2);
	/* c1: share .125 * 40 / 57.5; alone it may fall to 40 - 2.5 / .125 */
	TH_NEAR(x->criteria[0]->share, 5 / 57.5, E);
	assert_non_null(x->criteria[0]->raw_to_close_gap);
	TH_NEAR(x->criteria[0]->raw_to_close_gap->value, 20, E);
	/* c5 at the top: .25 * 50 / 57.5; 50 - 2.5 / .25 = 40 */
	TH_NEAR(x->criteria[4]->share, 12.5 / 57.5, E);
	TH_NEAR(x->criteria[4]->raw_to_close_gap->value, 40, E);
	assert_non_null(strstr(x->text, "pillar P"));
	engine_explain_free(x);
	done(&f);
}

/* G = geometric mean of c1, c2 (weights 1, 1); total = (G + c3) / 2.
 *   a: c1 4, c2 16 -> G 8;   c3 2 -> 5
 *   b: c1 1, c2 100 -> G 10; c3 1 -> 5.5
 *   c: c1 0, c2 50 -> G 0 (a factor <= 0); c3 9 -> 4.5 */
static void t_geometric_inside(void **st)
{
	(void)st;
	fx_t f;
	memset(&f, 0, sizeof(f));
	f.def = th_comp("c");
	f.r = th_round(f.def, "r");
	th_pillar(f.r, "G", 1, NULL, AGG(WEIGHTED_GEOMETRIC));
	crit(&f, "c1", 1, "G", "a=4;b=1;c=0");
	crit(&f, "c2", 1, "G", "a=16;b=100;c=50");
	crit(&f, "c3", 1, NULL, "a=2;b=1;c=9");
	th_sel(f.r)->top_n = 1;
	f.c = th_cohort(f.def, abc, 3);
	f.res = th_eval(f.def, f.c, &f.s, CD_OK);
	TH_NEAR(pscore(&f, "G", "a"), 8, E);
	TH_NEAR(pscore(&f, "G", "b"), 10, E);
	TH_NEAR(pscore(&f, "G", "c"), 0, E);
	TH_NEAR(th_score(f.res, "a"), 5, E);
	TH_NEAR(th_score(f.res, "b"), 5.5, E);
	TH_NEAR(th_score(f.res, "c"), 4.5, E);
	assert_string_equal(th_order(f.res), "b a c");
	/* c1's weighted score under its geometric pillar: 4^.5 */
	const engine_standing_t *sa = engine_result_find(f.res, "a");
	TH_NEAR(engine_result_weighted(f.res, 0, 0, sa->pos), 2, E);
	/* The explanation cannot solve for c1 alone, nor split G out. */
	char err[256];
	assert_int_equal(engine_run_build(f.res, NULL, &f.run, err, sizeof(err)),
	                 CD_OK);
	const Clusters__V1__Standing *s1 = f.run->standings[1];
	assert_string_equal(s1->cluster_id, "a");
	Clusters__V1__Explanation *x = NULL;
	assert_int_equal(engine_explain(f.run, s1, NULL, &x, err, sizeof(err)),
	                 CD_OK);
	TH_NEAR(x->gap, 0.5, E);
	assert_null(x->pillars[0]->contribution);
	assert_non_null(strstr(x->pillars[0]->note, "\"G\""));
	assert_null(x->criteria[0]->raw_to_close_gap);
	assert_non_null(strstr(x->criteria[0]->note, "in pillar \"G\""));
	/* c3 is at the top of an arithmetic round: 2 + .5 / .5 = 3 */
	TH_NEAR(x->criteria[2]->raw_to_close_gap->value, 3, E);
	engine_explain_free(x);
	done(&f);
}

/* N = MIN_MAX of (c1 + c2) / 2 over the round; total = (N + c3) / 2.
 *   a: c1 10, c2 30 -> 20 -> N 0;    c3 100 -> 50
 *   b: c1 40, c2 60 -> 50 -> N 100;  c3 0   -> 50
 *   c: c1 30, c2 40 -> 35 -> N 50;   c3 60  -> 55
 * a and b tie at 50: the id puts a first (ranks 2, 3), or with
 * shared_ranks both rank 2. N ranks b 1, c 2, a 3. */
static void norm_setup(fx_t *f, int shared)
{
	memset(f, 0, sizeof(*f));
	f->def = th_comp("c");
	f->r = th_round(f->def, "r");
	f->r->shared_ranks = shared;
	th_pillar(f->r, "N", 1, NULL, AGG(UNSPECIFIED))->normalization =
		NORM(MIN_MAX);
	crit(f, "c1", 1, "N", "a=10;b=40;c=30");
	crit(f, "c2", 1, "N", "a=30;b=60;c=40");
	crit(f, "c3", 1, NULL, "a=100;b=0;c=60");
	f->c = th_cohort(f->def, abc, 3);
	f->res = th_eval(f->def, f->c, &f->s, CD_OK);
}

static void t_pillar_normalisation_ties(void **st)
{
	(void)st;
	fx_t f;
	norm_setup(&f, 0);
	TH_NEAR(pscore(&f, "N", "a"), 0, E);
	TH_NEAR(pscore(&f, "N", "b"), 100, E);
	TH_NEAR(pscore(&f, "N", "c"), 50, E);
	TH_NEAR(th_score(f.res, "a"), 50, E);
	TH_NEAR(th_score(f.res, "b"), 50, E);
	TH_NEAR(th_score(f.res, "c"), 55, E);
	assert_string_equal(th_order(f.res), "c a b");
	assert_int_equal(th_rank(f.res, "a"), 2);
	assert_int_equal(th_rank(f.res, "b"), 3);
	assert_int_equal(prank(&f, "N", "b"), 1);
	assert_int_equal(prank(&f, "N", "c"), 2);
	assert_int_equal(prank(&f, "N", "a"), 3);
	done(&f);

	norm_setup(&f, 1);
	assert_int_equal(th_rank(f.res, "a"), 2);
	assert_int_equal(th_rank(f.res, "b"), 2);
	done(&f);
}

/* Pillar ties: P = c1 alone; a and b both 50. Without shared ranks the
 * round's order breaks the tie (a ranks 1 overall on c2); with them both
 * rank 1 in P. */
static void t_pillar_ties(void **st)
{
	(void)st;
	for (int shared = 0; shared <= 1; shared++) {
		fx_t f;
		memset(&f, 0, sizeof(f));
		f.def = th_comp("c");
		f.r = th_round(f.def, "r");
		f.r->shared_ranks = shared;
		th_pillar(f.r, "P", 1, NULL, AGG(UNSPECIFIED));
		crit(&f, "c1", 1, "P", "a=50;b=50;c=10");
		crit(&f, "c2", 1, NULL, "a=10;b=20;c=30");
		f.c = th_cohort(f.def, abc, 3);
		f.res = th_eval(f.def, f.c, &f.s, CD_OK);
		/* totals a 30, b 35, c 20 */
		assert_string_equal(th_order(f.res), "b a c");
		assert_int_equal(prank(&f, "P", "b"), 1);
		assert_int_equal(prank(&f, "P", "a"), shared ? 1 : 2);
		assert_int_equal(prank(&f, "P", "c"), 3);
		done(&f);
	}
}

/* A = (c1 + c2) / 2; total = (A + c3) / 2; b has no c2.
 *   a: A 15, c3 30 -> 22.5;  b: SCORE_ZERO: A (40 + 0) / 2 = 20, c3 10
 *   -> 15; EXCLUDE: b excluded, naming c2;  c: 0. */
static void t_missing(void **st)
{
	(void)st;
	for (int zero = 0; zero <= 1; zero++) {
		fx_t f;
		memset(&f, 0, sizeof(f));
		f.def = th_comp("c");
		f.r = th_round(f.def, "r");
		if (zero)
			f.r->missing = CLUSTERS__V1__MISSING_POLICY__MISSING_POLICY_SCORE_ZERO;
		th_pillar(f.r, "A", 1, NULL, AGG(UNSPECIFIED));
		crit(&f, "c1", 1, "A", "a=10;b=40;c=0");
		crit(&f, "c2", 1, "A", "a=20;b=-|none here;c=0");
		crit(&f, "c3", 1, NULL, "a=30;b=10;c=0");
		f.c = th_cohort(f.def, abc, 3);
		f.res = th_eval(f.def, f.c, &f.s, CD_OK);
		TH_NEAR(th_score(f.res, "a"), 22.5, E);
		TH_NEAR(pscore(&f, "A", "a"), 15, E);
		if (zero) {
			TH_NEAR(pscore(&f, "A", "b"), 20, E);
			TH_NEAR(th_score(f.res, "b"), 15, E);
			assert_string_equal(th_order(f.res), "a b c");
			assert_int_equal(prank(&f, "A", "b"), 1);
		} else {
			assert_int_equal(th_rank(f.res, "b"), 0);
			assert_non_null(strstr(th_reason(f.res, "b"),
			                       "criterion \"c2\""));
			assert_string_equal(th_order(f.res), "a c b");
			assert_int_equal(prank(&f, "A", "a"), 1);
		}
		done(&f);
	}
}

/* ------------------------------------------------------- validation */

/* A valid base: c1 in S1, c2 in S2, S1 and S2 in P, c3 at the top. */
/* The COINr methods inside a pillar: M is the (weighted) median of c1..c3
 * with equal weights, normalised by DISTANCE_TO_TARGET with target 40;
 * M (1) and c4 (1) at the top, arithmetic.
 *
 *         c1  c2  c3 | median | M: min 20, 100 (x - 20)/(40 - 20), cap 100
 *   a     10  20  60 |   20   |   0
 *   b     40  80  50 |   50   | 100 (past the target)
 *   c     70  30   0 |   30   |  50
 *
 * total = .5 M + .5 c4 (c4: a 90, b 10, c 40): a 45, b 55, c 45; ranks
 * b 1, a 2, c 3 (the tie of a and c broken by id); M's ranks b 1, c 2,
 * a 3. A harmonic pillar over a 0 fails the run, naming the round. */
static void t_coin_methods(void **st)
{
	(void)st;
	fx_t f;
	memset(&f, 0, sizeof(f));
	f.def = th_comp("c");
	f.r = th_round(f.def, "r");
	Clusters__V1__Pillar *m = th_pillar(f.r, "M", 1, NULL, AGG(MEDIAN));
	m->normalization = NORM(DISTANCE_TO_TARGET);
	m->target = 40;
	crit(&f, "c1", 1, "M", "a=10;b=40;c=70");
	crit(&f, "c2", 1, "M", "a=20;b=80;c=30");
	crit(&f, "c3", 1, "M", "a=60;b=50;c=0");
	crit(&f, "c4", 1, NULL, "a=90;b=10;c=40");
	f.c = th_cohort(f.def, abc, 3);
	f.res = th_eval(f.def, f.c, &f.s, CD_OK);
	TH_NEAR(pscore(&f, "M", "a"), 0, E);
	TH_NEAR(pscore(&f, "M", "b"), 100, E);
	TH_NEAR(pscore(&f, "M", "c"), 50, E);
	assert_int_equal(prank(&f, "M", "b"), 1);
	assert_int_equal(prank(&f, "M", "c"), 2);
	assert_int_equal(prank(&f, "M", "a"), 3);
	TH_NEAR(engine_result_find(f.res, "a")->rank, 2, 0);
	TH_NEAR(engine_result_find(f.res, "b")->rank, 1, 0);
	TH_NEAR(engine_result_find(f.res, "c")->rank, 3, 0);
	engine_result_destroy(f.res);
	/* c3 of c is 0: a harmonic M cannot divide by it. */
	m->aggregation = AGG(WEIGHTED_HARMONIC);
	m->normalization = NORM(NONE);
	engine_opts_t o = { .scorer = th_scorer, .scorer_arg = &f.s };
	char err[512] = "";
	f.res = NULL;
	assert_int_equal(engine_evaluate(f.def, f.c, &o, &f.res, err,
	                                 sizeof(err)), CD_EPRECONDITION);
	assert_string_equal(err, "round \"r\", pillar \"M\": "
	                    "AGGREGATION_WEIGHTED_HARMONIC divides by every "
	                    "member's value, and cluster \"c\" has 0 for "
	                    "\"c3\"; use normalisations that give no 0 "
	                    "(docs/engine.md)");
	done(&f);
}

static Clusters__V1__Competition *vdef(void)
{
	Clusters__V1__Competition *d = th_comp("c");
	Clusters__V1__Round *r = th_round(d, "r");
	th_pillar(r, "S1", 1, "P", AGG(UNSPECIFIED));
	th_pillar(r, "S2", 1, "P", AGG(UNSPECIFIED));
	th_pillar(r, "P", 1, NULL, AGG(UNSPECIFIED));
	th_in(th_crit(r, "c1", 1, NORM(NONE)), "S1");
	th_in(th_crit(r, "c2", 1, NORM(NONE)), "S2");
	th_crit(r, "c3", 1, NORM(NONE));
	return d;
}

static void refuse(Clusters__V1__Competition *d, int code, const char *msg)
{
	char err[512] = "";
	int rc = engine_def_validate(d, NULL, NULL, err, sizeof(err));
	if (rc != code || !strstr(err, msg))
		fail_msg("expected %s \"%s\", got %s \"%s\"", cd_err_name(code),
		         msg, cd_err_name(rc), err);
	th_comp_free(d);
}

static void set_str(char **f, const char *v)
{
	if (*f != protobuf_c_empty_string)
		free(*f);
	*f = strdup(v);
}

static void t_validation(void **st)
{
	(void)st;
	char err[512];
	Clusters__V1__Competition *d = vdef();
	assert_int_equal(engine_def_validate(d, NULL, NULL, err, sizeof(err)),
	                 CD_OK);
	th_comp_free(d);

	d = vdef();
	set_str(&d->rounds[0]->pillars[1]->id, "");
	refuse(d, CD_EV_EMPTY, "rounds[0].pillars[1].id: must not be empty");

	d = vdef();
	set_str(&d->rounds[0]->pillars[1]->id, "S1");
	refuse(d, CD_EV_DUPLICATE, "rounds[0].pillars[1].id: duplicate \"S1\"");

	d = vdef();
	set_str(&d->rounds[0]->pillars[2]->id, "c3");
	refuse(d, CD_EV_DUPLICATE, "rounds[0].pillars[2].id: \"c3\" is also "
	       "the id of criteria[2]");

	d = vdef();
	set_str(&d->rounds[0]->pillars[0]->parent, "Q");
	refuse(d, CD_EV_DEFINITION, "rounds[0].pillars[0].parent: unknown "
	       "pillar \"Q\"");

	d = vdef();
	set_str(&d->rounds[0]->pillars[2]->parent, "S1");
	refuse(d, CD_EV_DEFINITION, "rounds[0].pillars[0].parent: \"S1\" is its "
	       "own ancestor (a cycle)");

	d = vdef();
	set_str(&d->rounds[0]->pillars[2]->parent, "P");
	refuse(d, CD_EV_DEFINITION, "(a cycle)");

	/* Nine levels: c1 in L8 in L7 ... in L0 in P. */
	d = vdef();
	{
		Clusters__V1__Round *r = d->rounds[0];
		char id[8], par[8];
		for (int i = 0; i < 8; i++) {
			snprintf(id, sizeof(id), "L%d", i);
			snprintf(par, sizeof(par), i ? "L%d" : "P", i - 1);
			th_pillar(r, id, 1, par, AGG(UNSPECIFIED));
		}
		set_str(&r->criteria[0]->pillar, "L7");
		/* S1 is now empty; give it c1's place back with a new one. */
		th_in(th_crit(r, "c4", 1, NORM(NONE)), "S1");
	}
	refuse(d, CD_EV_COUNT, "rounds[0].pillars[10].parent: nested 9 levels "
	       "deep; at most 8");

	/* Eight levels pass. */
	d = vdef();
	{
		Clusters__V1__Round *r = d->rounds[0];
		char id[8], par[8];
		for (int i = 0; i < 7; i++) {
			snprintf(id, sizeof(id), "L%d", i);
			snprintf(par, sizeof(par), i ? "L%d" : "P", i - 1);
			th_pillar(r, id, 1, par, AGG(UNSPECIFIED));
		}
		set_str(&r->criteria[0]->pillar, "L6");
		th_in(th_crit(r, "c4", 1, NORM(NONE)), "S1");
	}
	assert_int_equal(engine_def_validate(d, NULL, NULL, err, sizeof(err)),
	                 CD_OK);
	th_comp_free(d);

	d = vdef();
	for (int i = 0; i < 254; i++) {          /* 3 + 254 = 257 */
		char id[8];
		snprintf(id, sizeof(id), "x%d", i);
		th_pillar(d->rounds[0], id, 1, "P", AGG(UNSPECIFIED));
	}
	refuse(d, CD_EV_COUNT, "rounds[0].pillars: at most 256 pillars");

	d = vdef();
	d->rounds[0]->pillars[0]->weight = NAN;
	refuse(d, CD_EV_NONFINITE, "rounds[0].pillars[0].weight: must be finite");

	d = vdef();
	d->rounds[0]->pillars[0]->weight = -1;
	refuse(d, CD_EV_DEFINITION, "rounds[0].pillars[0].weight: must be >= 0");

	d = vdef();
	d->rounds[0]->pillars[0]->weight = 0;
	d->rounds[0]->pillars[1]->weight = 0;
	refuse(d, CD_EV_DEFINITION, "rounds[0].pillars[2]: the weights of "
	       "\"P\"'s members must not all be zero");

	d = vdef();
	d->rounds[0]->criteria[0]->weight = 0;
	refuse(d, CD_EV_DEFINITION, "rounds[0].pillars[0]: the weights of "
	       "\"S1\"'s members must not all be zero");

	d = vdef();
	d->rounds[0]->pillars[2]->weight = 0;
	d->rounds[0]->criteria[2]->weight = 0;
	refuse(d, CD_EV_DEFINITION, "rounds[0].pillars: the weights of the top "
	       "level");

	d = vdef();
	d->rounds[0]->pillars[1]->normalization = 42;
	refuse(d, CD_EV_DEFINITION, "rounds[0].pillars[1].normalization: "
	       "unknown value 42");

	d = vdef();
	d->rounds[0]->pillars[1]->aggregation = 42;
	refuse(d, CD_EV_DEFINITION, "rounds[0].pillars[1].aggregation: "
	       "unknown value 42");

	d = vdef();
	d->rounds[0]->pillars[1]->normalization = NORM(GOALPOSTS);
	d->rounds[0]->pillars[1]->goalpost_lower = 5;
	d->rounds[0]->pillars[1]->goalpost_upper = 5;
	refuse(d, CD_EV_DEFINITION, "rounds[0].pillars[1].goalpost_lower: must "
	       "be below goalpost_upper");

	d = vdef();
	d->rounds[0]->pillars[1]->goalpost_upper = INFINITY;
	refuse(d, CD_EV_NONFINITE, "rounds[0].pillars[1].goalpost_upper: must "
	       "be finite");

	d = vdef();
	d->rounds[0]->pillars[1]->target = NAN;
	refuse(d, CD_EV_NONFINITE, "rounds[0].pillars[1].target: must be "
	       "finite");

	d = vdef();
	set_str(&d->rounds[0]->criteria[1]->pillar, "S3");
	refuse(d, CD_EV_DEFINITION, "rounds[0].criteria[1].pillar: unknown "
	       "pillar \"S3\"");

	d = th_comp("c");
	th_in(th_crit(th_round(d, "r"), "c1", 1, NORM(NONE)), "S");
	refuse(d, CD_EV_DEFINITION, "rounds[0].criteria[0].pillar: unknown "
	       "pillar \"S\" (the round has no pillars)");

	d = vdef();
	set_str(&d->rounds[0]->criteria[1]->pillar, "S1");
	refuse(d, CD_EV_EMPTY, "rounds[0].pillars[1]: no criterion or pillar "
	       "belongs to \"S2\"");

	d = vdef();
	th_tie(d->rounds[0], "S1");
	refuse(d, CD_EV_DEFINITION, "rounds[0].tie_break[0]: \"S1\" is a "
	       "pillar; tie_break names criteria only");
}

/* ------------------------------------------------------ sensitivity */

/* Each criterion alone in its pillar (its share is always 1), so only
 * pillar weights can move the ranks: A (c1) and B (c2) weigh 1 each;
 * a = (60 + 40) / 2 = 50, b = (40 + 59) / 2 = 49.5, top 1. With 50%
 * jitter b wins whenever w_B / w_A > 20 / 19; without jitter never. */
static engine_result_t *sens_eval(fx_t *f, double jitter, uint64_t seed)
{
	memset(f, 0, sizeof(*f));
	f->def = th_comp("c");
	f->r = th_round(f->def, "r");
	th_pillar(f->r, "A", 1, NULL, AGG(UNSPECIFIED));
	th_pillar(f->r, "B", 1, NULL, AGG(UNSPECIFIED));
	crit(f, "c1", 1, "A", "a=60;b=40");
	crit(f, "c2", 1, "B", "a=40;b=59");
	th_sel(f->r)->top_n = 1;
	f->c = th_cohort(f->def, abc, 2);
	engine_opts_t o = { .scorer = th_scorer, .scorer_arg = &f->s,
	                    .samples = 200, .jitter_pct = jitter,
	                    .seed = seed };
	char err[256];
	assert_int_equal(engine_evaluate(f->def, f->c, &o, &f->res, err,
	                                 sizeof(err)), CD_OK);
	return f->res;
}

static void t_sensitivity(void **st)
{
	(void)st;
	fx_t f, g;
	sens_eval(&f, 50, 7);
	sens_eval(&g, 50, 7);
	const engine_round_res_t *r1 = &f.res->rounds[0], *r2 = &g.res->rounds[0];
	const engine_standing_t *a = engine_result_find(f.res, "a");
	double share = r1->sel_share[a->pos];
	/* b wins in some samples and a in others */
	assert_true(share > 0.2 && share < 0.9);
	assert_int_equal(r1->p95[a->pos], 2);
	/* the same seed gives the same samples */
	for (size_t p = 0; p < r1->n; p++) {
		assert_true(r1->sel_share[p] == r2->sel_share[p]);
		assert_int_equal(r1->p5[p], r2->p5[p]);
		assert_int_equal(r1->p50[p], r2->p50[p]);
		assert_int_equal(r1->p95[p], r2->p95[p]);
	}
	done(&g);
	/* Another seed, other samples (the share differs). */
	sens_eval(&g, 50, 8);
	assert_true(g.res->rounds[0].sel_share[a->pos] != share);
	done(&g);
	done(&f);
	/* No jitter: every sample is the base run. */
	sens_eval(&f, 0, 7);
	a = engine_result_find(f.res, "a");
	assert_true(f.res->rounds[0].sel_share[a->pos] == 1.0);
	assert_int_equal(f.res->rounds[0].p95[a->pos], 1);
	done(&f);
}

/* Two rounds, the samples' round-1 selections differing from the base
 * run's: round 2 is scored again over the union and its tree, with a
 * normalised pillar, aggregated per sample over other candidates.
 * Round 1 as sens_eval (a wins the base run, b some samples); round 2:
 * N = MIN_MAX of c3 alone, total = (N + c4) / 2, top 1. */
static void t_sensitivity_chained(void **st)
{
	(void)st;
	fx_t f;
	memset(&f, 0, sizeof(f));
	f.def = th_comp("c");
	f.r = th_round(f.def, "r1");
	th_pillar(f.r, "A", 1, NULL, AGG(UNSPECIFIED));
	th_pillar(f.r, "B", 1, NULL, AGG(UNSPECIFIED));
	crit(&f, "c1", 1, "A", "a=60;b=40;c=0");
	crit(&f, "c2", 1, "B", "a=40;b=59;c=0");
	th_sel(f.r)->top_n = 2;
	Clusters__V1__Round *r2 = th_round(f.def, "r2");
	th_pillar(r2, "N", 1, NULL, AGG(UNSPECIFIED))->normalization =
		NORM(MIN_MAX);
	th_in(th_crit(r2, "c3", 1, NORM(NONE)), "N");
	th_crit(r2, "c4", 1, NORM(NONE));
	th_sel(r2)->top_n = 1;
	f.s.crit[2] = "c3";
	f.s.spec[2] = "a=10;b=20;c=30";
	f.s.crit[3] = "c4";
	f.s.spec[3] = "a=50;b=50;c=50";
	/* Round 1: a (60 + 40) / 2 = 50, b (40 + 59) / 2 = 49.5, c (41 +
	 * 58) / 2 = 49.5; the base selects a and b (b's id before c's).
	 * Jittered pillar weights put c ahead of b in some samples, so c
	 * reaches round 2 there and the union {a, b, c} is scored again. */
	f.s.spec[0] = "a=60;b=40;c=41";
	f.s.spec[1] = "a=40;b=59;c=58";
	f.c = th_cohort(f.def, abc, 3);
	engine_opts_t o = { .scorer = th_scorer, .scorer_arg = &f.s,
	                    .samples = 100, .jitter_pct = 40, .seed = 3 };
	char err[256];
	assert_int_equal(engine_evaluate(f.def, f.c, &o, &f.res, err,
	                                 sizeof(err)), CD_OK);
	const engine_round_res_t *b2 = &f.res->rounds[1];
	assert_int_equal(b2->n, 2);
	assert_true(b2->nsu == 3);        /* c reached round 2 in a sample */
	/* Base round 2: N a 0, b 100; totals a 25, b 75. */
	long pa = engine_result_pos(f.res, 1, 0), pb = engine_result_pos(f.res, 1, 1);
	TH_NEAR(b2->pscore[pa], 0, E);
	TH_NEAR(b2->pscore[pb], 100, E);
	TH_NEAR(th_score(f.res, "b"), 75, E);
	/* Every sample's round 2 selects one cluster: the shares of
	 * samples each won add up to 1. */
	double won = 0, reached, sel;
	for (uint32_t ci = 0; ci < 3; ci++) {
		engine_result_shares(f.res, 1, ci, &reached, &sel);
		won += sel;
	}
	assert_true(won > 0.99 && won < 1.01);
	done(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_two_level),
		cmocka_unit_test(t_geometric_inside),
		cmocka_unit_test(t_pillar_normalisation_ties),
		cmocka_unit_test(t_pillar_ties),
		cmocka_unit_test(t_missing),
		cmocka_unit_test(t_coin_methods),
		cmocka_unit_test(t_validation),
		cmocka_unit_test(t_sensitivity),
		cmocka_unit_test(t_sensitivity_chained),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
