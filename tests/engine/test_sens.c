/* Weight sensitivity and progress/cancellation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "engine_rng_internal.h"
#include "th.h"

#define NORM(x) CLUSTERS__V1__NORMALIZATION__NORMALIZATION_##x

/* Eight clusters trading k1 against k2, so weights move the ranks. */
static const th_cluster_t eight[] = {
	{ .id = "a" }, { .id = "b" }, { .id = "c" }, { .id = "d" },
	{ .id = "e" }, { .id = "f" }, { .id = "g" }, { .id = "h" },
};

typedef struct fx {
	Clusters__V1__Competition *def;
	engine_cohort_t *c;
	th_scores_t s;
} fx_t;

static void setup(fx_t *f)
{
	memset(f, 0, sizeof(*f));
	f->def = th_comp("c");
	Clusters__V1__Round *r = th_round(f->def, "r");
	th_crit(r, "k1", 1, NORM(MIN_MAX));
	th_crit(r, "k2", 1, NORM(MIN_MAX));
	th_sel(r)->top_n = 4;
	f->c = th_cohort(f->def, eight, 8);
	f->s.crit[0] = "k1";
	f->s.spec[0] = "a=80;b=70;c=60;d=50;e=40;f=30;g=20;h=10";
	f->s.crit[1] = "k2";
	f->s.spec[1] = "a=15;b=28;c=41;d=52;e=60;f=66;g=70;h=10";
}

static engine_result_t *eval(fx_t *f, uint32_t samples, double jitter,
                             uint64_t seed)
{
	engine_opts_t o = { .scorer = th_scorer, .scorer_arg = &f->s,
	                    .samples = samples, .jitter_pct = jitter,
	                    .seed = seed };
	engine_result_t *res;
	char err[256];
	assert_int_equal(engine_evaluate(f->def, f->c, &o, &res, err,
	                                 sizeof(err)), CD_OK);
	return res;
}

static void done(fx_t *f)
{
	th_cohort_free(f->c);
	th_comp_free(f->def);
}

static void t_reproducible(void **st)
{
	(void)st;
	fx_t f;
	setup(&f);
	engine_result_t *x = eval(&f, 200, 50, 42), *y = eval(&f, 200, 50, 42);
	engine_result_t *z = eval(&f, 200, 50, 7);
	const engine_round_res_t *rx = &x->rounds[0], *ry = &y->rounds[0],
	                         *rz = &z->rounds[0];
	size_t n = rx->n, differs = 0;
	assert_memory_equal(rx->p5, ry->p5, n * sizeof(uint32_t));
	assert_memory_equal(rx->p50, ry->p50, n * sizeof(uint32_t));
	assert_memory_equal(rx->p95, ry->p95, n * sizeof(uint32_t));
	assert_memory_equal(rx->sel_share, ry->sel_share, n * sizeof(double));
	for (size_t p = 0; p < n; p++) {
		/* The percentiles bracket the base rank. */
		assert_true(rx->p5[p] <= rx->rank[p]);
		assert_true(rx->rank[p] <= rx->p95[p]);
		assert_true(rx->p5[p] <= rx->p50[p] && rx->p50[p] <= rx->p95[p]);
		assert_true(rx->sel_share[p] >= 0 && rx->sel_share[p] <= 1);
		differs += rx->sel_share[p] != rz->sel_share[p];
	}
	/* Another seed draws other weights. */
	assert_true(differs > 0);
	/* With +-50 %, the middle of the field moves: some cluster's p5 and
	 * p95 differ, and some selection is uncertain. */
	size_t moving = 0, unsure = 0;
	for (size_t p = 0; p < n; p++) {
		moving += rx->p5[p] != rx->p95[p];
		unsure += rx->sel_share[p] > 0 && rx->sel_share[p] < 1;
	}
	assert_true(moving > 0);
	assert_true(unsure > 0);
	/* Sensitivity leaves the base result alone. */
	engine_result_t *b = eval(&f, 0, 0, 0);
	assert_memory_equal(b->rounds[0].rank, rx->rank, n * sizeof(uint32_t));
	assert_null(b->rounds[0].p5);
	engine_result_destroy(b);
	engine_result_destroy(x);
	engine_result_destroy(y);
	engine_result_destroy(z);
	done(&f);
}

/* No jitter: every sample is the base run. */
static void t_no_jitter(void **st)
{
	(void)st;
	fx_t f;
	setup(&f);
	engine_result_t *x = eval(&f, 20, 0, 1);
	const engine_round_res_t *r = &x->rounds[0];
	for (size_t p = 0; p < r->n; p++) {
		assert_int_equal(r->p5[p], r->rank[p]);
		assert_int_equal(r->p50[p], r->rank[p]);
		assert_int_equal(r->p95[p], r->rank[p]);
		TH_NEAR(r->sel_share[p], r->selected[p] ? 1.0 : 0.0, 0);
	}
	/* And the Run message carries it. */
	Clusters__V1__Run *run;
	char err[64];
	assert_int_equal(engine_run_build(x, NULL, &run, err, sizeof(err)),
	                 CD_OK);
	assert_non_null(run->sensitivity);
	assert_int_equal(run->sensitivity->samples, 20);
	assert_int_equal(run->sensitivity->seed, 1);
	assert_non_null(run->standings[0]->sensitivity);
	assert_int_equal(run->standings[0]->sensitivity->rank_p50, 1);
	TH_NEAR(run->standings[0]->sensitivity->selected_share, 1, 0);
	engine_run_free(run);
	engine_result_destroy(x);
	done(&f);
}

/* The generator itself: same seed, same stream; values in [0, 1). */
static void t_rng(void **st)
{
	(void)st;
	engine_rng_t a, b;
	engine_rng_seed(&a, 99);
	engine_rng_seed(&b, 99);
	double lo = 1, hi = 0;
	for (int i = 0; i < 10000; i++) {
		double u = engine_rng_unit(&a);
		assert_true(u == engine_rng_unit(&b));
		assert_true(u >= 0 && u < 1);
		lo = u < lo ? u : lo;
		hi = u > hi ? u : hi;
	}
	assert_true(lo < 0.01 && hi > 0.99);
	engine_rng_seed(&b, 100);
	assert_true(engine_rng_next(&a) != engine_rng_next(&b));
}

typedef struct watch {
	char stages[512];
	const char *cancel_stage;
	uint64_t cancel_done;
	int code;
	int calls;
} watch_t;

static int watch(void *arg, const char *stage, uint64_t done, uint64_t total)
{
	watch_t *w = arg;
	w->calls++;
	assert_true(done <= total);
	if (done == 0) {
		strcat(w->stages, stage);
		strcat(w->stages, " ");
	}
	if (w->cancel_stage && strcmp(stage, w->cancel_stage) == 0 &&
	    done >= w->cancel_done)
		return w->code;
	return 0;
}

static int evaluate_watched(fx_t *f, watch_t *w, uint32_t samples,
                            char *err, size_t errlen)
{
	engine_opts_t o = { .scorer = th_scorer, .scorer_arg = &f->s,
	                    .progress = watch, .progress_arg = w,
	                    .progress_ms = -1, .samples = samples,
	                    .jitter_pct = 10 };
	engine_result_t *res = NULL;
	int rc = engine_evaluate(f->def, f->c, &o, &res, err, errlen);
	if (rc)
		assert_null(res);
	engine_result_destroy(res);
	return rc;
}

static void t_progress_stages(void **st)
{
	(void)st;
	fx_t f;
	setup(&f);
	watch_t w = { 0 };
	char err[128];
	assert_int_equal(evaluate_watched(&f, &w, 3, err, sizeof(err)), CD_OK);
	assert_string_equal(w.stages, "eligibility scoring normalising ranking "
	                              "sensitivity results ");
	done(&f);
}

static void t_cancel(void **st)
{
	(void)st;
	fx_t f;
	setup(&f);
	char err[128];
	/* Before scoring starts: no plugin is called. */
	watch_t w = { .cancel_stage = "scoring", .code = 1 };
	assert_int_equal(evaluate_watched(&f, &w, 0, err, sizeof(err)),
	                 CD_ECANCELLED);
	assert_int_equal(f.s.calls, 0);
	assert_string_equal(err, "cancelled while scoring");
	/* After the first criterion: the second is not scored. */
	w = (watch_t){ .cancel_stage = "scoring", .cancel_done = 1, .code = 1 };
	assert_int_equal(evaluate_watched(&f, &w, 0, err, sizeof(err)),
	                 CD_ECANCELLED);
	assert_int_equal(f.s.calls, 1);
	/* A deadline is reported as such. */
	w = (watch_t){ .cancel_stage = "eligibility", .code = CD_EDEADLINE };
	assert_int_equal(evaluate_watched(&f, &w, 0, err, sizeof(err)),
	                 CD_EDEADLINE);
	/* In the middle of the sensitivity samples. */
	w = (watch_t){ .cancel_stage = "sensitivity", .cancel_done = 5,
	               .code = -1 };
	assert_int_equal(evaluate_watched(&f, &w, 100, err, sizeof(err)),
	                 CD_ECANCELLED);
	assert_string_equal(err, "cancelled during sensitivity");
	/* At every other stage. */
	const char *stages[] = { "normalising", "ranking", "results" };
	for (int i = 0; i < 3; i++) {
		w = (watch_t){ .cancel_stage = stages[i], .code = 1 };
		assert_int_equal(evaluate_watched(&f, &w, 0, err, sizeof(err)),
		                 CD_ECANCELLED);
	}
	done(&f);
}

/* Eligibility checks the clock every ENGINE_PROGRESS_EVERY clusters. */
static void t_cancel_mid_stage(void **st)
{
	(void)st;
	size_t n = 3 * ENGINE_PROGRESS_EVERY;
	th_cluster_t *v = calloc(n, sizeof(*v));
	char (*ids)[8] = calloc(n, 8);
	assert_non_null(v);
	assert_non_null(ids);
	for (size_t i = 0; i < n; i++) {
		snprintf(ids[i], 8, "c%05zu", i);
		v[i].id = ids[i];
	}
	fx_t f;
	memset(&f, 0, sizeof(f));
	f.def = th_comp("c");
	Clusters__V1__Round *r = th_round(f.def, "r");
	th_crit(r, "k", 1, NORM(NONE));
	th_filter(r, CLUSTERS__V1__FILTER_FIELD__FILTER_FIELD_REGION, NULL, 0,
	          CLUSTERS__V1__COMPARISON__COMPARISON_NOT_IN, "zz", 0);
	f.c = th_cohort(f.def, v, n);
	watch_t w = { .cancel_stage = "eligibility",
	              .cancel_done = ENGINE_PROGRESS_EVERY, .code = 1 };
	char err[128];
	assert_int_equal(evaluate_watched(&f, &w, 0, err, sizeof(err)),
	                 CD_ECANCELLED);
	assert_string_equal(err, "cancelled during eligibility");
	/* Reports at 0 (stage start), 0 (first check), 4096: then stopped. */
	assert_int_equal(w.calls, 3);
	assert_int_equal(f.s.calls, 0);
	done(&f);
	free(v);
	free(ids);
}

/* Two rounds: the prelim takes one of a (k1 only) and b (k2 only) by
 * the jittered weights; the final takes its one candidate. */
typedef struct chain {
	Clusters__V1__Competition *def;
	engine_cohort_t *c;
	th_scores_t s;
} chain_t;

static engine_result_t *chain_eval(chain_t *f, uint32_t samples,
                                   double jitter, uint64_t seed)
{
	static const th_cluster_t v[] = { { .id = "a" }, { .id = "b" },
	                                  { .id = "c" } };
	memset(f, 0, sizeof(*f));
	f->def = th_comp("c");
	Clusters__V1__Round *r = th_round(f->def, "prelim");
	th_crit(r, "k1", 1, NORM(NONE));
	th_crit(r, "k2", 1, NORM(NONE));
	th_sel(r)->top_n = 1;
	r = th_round(f->def, "final");
	th_crit(r, "k3", 1, NORM(MIN_MAX));
	th_sel(r)->top_n = 1;
	f->c = th_cohort(f->def, v, 3);
	f->s.crit[0] = "k1";
	f->s.spec[0] = "a=10;b=0;c=0";
	f->s.crit[1] = "k2";
	f->s.spec[1] = "a=0;b=10;c=0";
	f->s.crit[2] = "k3";
	f->s.spec[2] = "a=1;b=2;c=3";
	engine_opts_t o = { .scorer = th_scorer, .scorer_arg = &f->s,
	                    .samples = samples, .jitter_pct = jitter,
	                    .seed = seed };
	engine_result_t *res;
	char err[256];
	assert_int_equal(engine_evaluate(f->def, f->c, &o, &res, err,
	                                 sizeof(err)), CD_OK);
	return res;
}

static void chain_done(chain_t *f, engine_result_t *res)
{
	engine_result_destroy(res);
	th_cohort_free(f->c);
	th_comp_free(f->def);
}

static uint32_t cid(const engine_result_t *res, const char *id)
{
	return engine_result_find(res, id)->cluster;
}

/* No jitter: every sample is the base run, shares are 0 or 1, and the
 * scorer is not called again. Base: a and b tie at 5, a wins by id. */
static void t_chain_no_jitter(void **st)
{
	(void)st;
	chain_t f;
	engine_result_t *res = chain_eval(&f, 10, 0, 3);
	assert_int_equal(f.s.calls, 3);
	double reach, sel;
	engine_result_shares(res, 1, cid(res, "a"), &reach, &sel);
	TH_NEAR(reach, 1, 0);
	TH_NEAR(sel, 1, 0);
	engine_result_shares(res, 1, cid(res, "b"), &reach, &sel);
	TH_NEAR(reach, 0, 0);
	TH_NEAR(sel, 0, 0);
	engine_result_shares(res, 0, cid(res, "b"), &reach, &sel);
	TH_NEAR(reach, 1, 0);
	TH_NEAR(sel, 0, 0);
	Clusters__V1__Run *run;
	char err[64];
	assert_int_equal(engine_run_build(res, NULL, &run, err, sizeof(err)),
	                 CD_OK);
	const Clusters__V1__Standing *s = run->standings[0];
	assert_string_equal(s->cluster_id, "a");
	TH_NEAR(s->sensitivity->selected_share, 1, 0);
	TH_NEAR(s->rounds[1]->sensitivity->reached_share, 1, 0);
	assert_int_equal(s->rounds[1]->sensitivity->rank_p50, 1);
	engine_run_free(run);
	chain_done(&f, res);
}

/* With jitter, a reaches the final in the samples whose k1 factor beats
 * k2's (u1 > u2 in the prelim's stream; a tie goes to a by id), b in the
 * others: the test draws the same numbers. b, not a base finalist, makes
 * the final scored once more over {a, b}. */
static void t_chain_split(void **st)
{
	(void)st;
	chain_t f;
	uint32_t S = 400;
	uint64_t seed = 11;
	engine_result_t *res = chain_eval(&f, S, 50, seed);
	engine_rng_t g;
	engine_rng_seed(&g, seed ^ 0x9e3779b97f4a7c15ull);
	uint32_t a_wins = 0;
	for (uint32_t i = 0; i < S; i++) {
		double u1 = engine_rng_unit(&g), u2 = engine_rng_unit(&g);
		a_wins += u1 >= u2;
	}
	assert_true(a_wins > S / 4 && a_wins < 3 * S / 4);
	/* Three base criteria, and k3 again over the union of 2. */
	assert_int_equal(f.s.calls, 4);
	assert_int_equal(f.s.last_n, 2);
	double reach, sel;
	engine_result_shares(res, 0, cid(res, "a"), &reach, &sel);
	TH_NEAR(reach, 1, 0);
	TH_NEAR(sel, (double)a_wins / S, 1e-12);
	engine_result_shares(res, 1, cid(res, "a"), &reach, &sel);
	TH_NEAR(reach, (double)a_wins / S, 1e-12);
	TH_NEAR(sel, (double)a_wins / S, 1e-12);
	engine_result_shares(res, 1, cid(res, "b"), &reach, &sel);
	TH_NEAR(reach, (double)(S - a_wins) / S, 1e-12);
	TH_NEAR(sel, (double)(S - a_wins) / S, 1e-12);
	engine_result_shares(res, 1, cid(res, "c"), &reach, &sel);
	TH_NEAR(reach, 0, 0);
	/* In the Run: b stopped in the prelim yet won some samples. */
	Clusters__V1__Run *run;
	char err[64];
	assert_int_equal(engine_run_build(res, NULL, &run, err, sizeof(err)),
	                 CD_OK);
	const Clusters__V1__Standing *b = run->standings[1];
	assert_string_equal(b->cluster_id, "b");
	TH_NEAR(b->sensitivity->selected_share, (double)(S - a_wins) / S,
	        1e-12);
	TH_NEAR(b->rounds[1]->sensitivity->reached_share,
	        (double)(S - a_wins) / S, 1e-12);
	assert_int_equal(b->rounds[1]->decision->code,
	                 CLUSTERS__V1__DECISION_CODE__DECISION_CODE_EXCLUDED_EARLIER);
	/* a ranked 1st in every final it reached. */
	const Clusters__V1__Standing *a = run->standings[0];
	assert_int_equal(a->rounds[1]->sensitivity->rank_p5, 1);
	assert_int_equal(a->rounds[1]->sensitivity->rank_p95, 1);
	engine_run_free(run);
	chain_done(&f, res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_reproducible),
		cmocka_unit_test(t_no_jitter),
		cmocka_unit_test(t_rng),
		cmocka_unit_test(t_progress_stages),
		cmocka_unit_test(t_cancel),
		cmocka_unit_test(t_cancel_mid_stage),
		cmocka_unit_test(t_chain_no_jitter),
		cmocka_unit_test(t_chain_split),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
