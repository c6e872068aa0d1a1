/* Decisions: every code, its facts and its words, by hand; what a round's
 * statistics keep of its criteria, plugin notes included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "th.h"

#define NORM(x) CLUSTERS__V1__NORMALIZATION__NORMALIZATION_##x
#define DC(x) CLUSTERS__V1__DECISION_CODE__DECISION_CODE_##x
#define QK(x) CLUSTERS__V1__QUOTA_KIND__QUOTA_KIND_##x

typedef struct fx {
	Clusters__V1__Competition *def;
	engine_cohort_t *c;
	th_scores_t s;
	engine_result_t *res;
	engine_decision_t d;
	char text[512];
} fx_t;

static void done(fx_t *f)
{
	engine_result_destroy(f->res);
	th_cohort_free(f->c);
	th_comp_free(f->def);
}

/* The decision of cluster id in round r, and its words in f->text. */
static const engine_decision_t *decide(fx_t *f, size_t r, const char *id)
{
	const engine_round_res_t *rr = &f->res->rounds[r];
	for (size_t p = 0; p < rr->n; p++)
		if (!strcmp(engine_cohort_id(f->c, rr->member[p]), id)) {
			engine_result_decide(f->res, r, p, &f->d);
			engine_result_decision_text(f->res, r, p, &f->d, f->text,
			                            sizeof(f->text));
			return &f->d;
		}
	fail_msg("%s is not a candidate of round %zu", id, r);
	return NULL;
}

/* One criterion (NONE), scores as given: ranks follow the list. */
static void one_round(fx_t *f, const th_cluster_t *v, size_t n,
                      const char *spec)
{
	f->c = th_cohort(f->def, v, n);
	f->s.crit[0] = "x";
	f->s.spec[0] = spec;
	f->res = th_eval(f->def, f->c, &f->s, CD_OK);
}

/* max_per_region 2, top_n 5: d (rank 4) comes when two of J are in and
 * three places are left; f still gets one; g is outside. */
static void t_quota_region(void **st)
{
	(void)st;
	static const th_cluster_t v[] = {
		{ .id = "a", .region = "J" }, { .id = "b", .region = "J" },
		{ .id = "c", .region = "Z" }, { .id = "d", .region = "J" },
		{ .id = "e", .region = "Z" }, { .id = "f", .region = "Y" },
		{ .id = "g", .region = "Y" },
	};
	fx_t f = { .def = th_comp("c") };
	Clusters__V1__Round *r = th_round(f.def, "r");
	th_crit(r, "x", 1, NORM(NONE));
	th_sel(r)->top_n = 5;
	th_sel(r)->max_per_region = 2;
	one_round(&f, v, 7, "a=90;b=80;c=70;d=60;e=50;f=40;g=30");
	const engine_decision_t *d = decide(&f, 0, "d");
	assert_int_equal(d->code, DC(PASSED_OVER_BY_QUOTA));
	assert_int_equal(d->quota, QK(REGION));
	assert_string_equal(d->group, "J");
	assert_int_equal(d->group_count, 2);
	assert_int_equal(d->limit, 2);
	assert_string_equal(f.text, "passed over: max_per_region 2 reached, "
	                    "region \"J\" already has 2 selected");
	assert_int_equal(decide(&f, 0, "f")->code, DC(SELECTED_BY_SCORE));
	assert_string_equal(f.text, "selected by score (rank 6)");
	d = decide(&f, 0, "g");
	assert_int_equal(d->code, DC(OUTSIDE_TOP_N));
	assert_int_equal(d->top_n, 5);
	assert_string_equal(f.text, "outside top_n 5");
	done(&f);
}

/* max_per_economy 1 counts CN/HK in CN and HK; max_per_city 1. */
static void t_quota_economy_city(void **st)
{
	(void)st;
	static const th_cluster_t v[] = {
		{ .id = "a", .economy = "CN/HK", .cities = "sz" },
		{ .id = "b", .economy = "HK", .cities = "hk" },
		{ .id = "c", .economy = "DE", .cities = "sz" },
		{ .id = "d", .economy = "FR", .cities = "pa" },
	};
	fx_t f = { .def = th_comp("c") };
	Clusters__V1__Round *r = th_round(f.def, "r");
	th_crit(r, "x", 1, NORM(NONE));
	th_sel(r)->max_per_economy = 1;
	th_sel(r)->max_per_city = 1;
	one_round(&f, v, 4, "a=4;b=3;c=2;d=1");
	const engine_decision_t *d = decide(&f, 0, "b");
	assert_int_equal(d->code, DC(PASSED_OVER_BY_QUOTA));
	assert_int_equal(d->quota, QK(ECONOMY));
	assert_string_equal(d->group, "HK");
	assert_string_equal(f.text, "passed over: max_per_economy 1 reached, "
	                    "economy \"HK\" already has 1 selected");
	d = decide(&f, 0, "c");
	assert_int_equal(d->quota, QK(CITY));
	assert_string_equal(d->group, "sz");
	assert_string_equal(f.text, "passed over: max_per_city 1 reached, "
	                    "city \"sz\" already has 1 selected");
	assert_int_equal(decide(&f, 0, "d")->code, DC(SELECTED_BY_SCORE));
	done(&f);
}

/* top_n 3 with industry_leaders: a leads X, d leads Y, e leads Z and
 * fill the three places; b and c (ranks 2, 3) are passed over. */
static void t_industry_leader(void **st)
{
	(void)st;
	static const th_cluster_t v[] = {
		{ .id = "a", .industry = "X" }, { .id = "b", .industry = "X" },
		{ .id = "c", .industry = "X" }, { .id = "d", .industry = "Y" },
		{ .id = "e", .industry = "Z" }, { .id = "f", .industry = "X" },
	};
	fx_t f = { .def = th_comp("c") };
	Clusters__V1__Round *r = th_round(f.def, "r");
	th_crit(r, "x", 1, NORM(NONE));
	th_sel(r)->top_n = 3;
	th_sel(r)->industry_leaders = 1;
	one_round(&f, v, 6, "a=90;b=80;c=70;d=60;e=50;f=40");
	const engine_decision_t *d = decide(&f, 0, "d");
	assert_int_equal(d->code, DC(SELECTED_AS_INDUSTRY_LEADER));
	assert_string_equal(d->industry, "Y");
	assert_int_equal(d->passed_total, 2);
	assert_int_equal(d->npassed, 2);
	assert_int_equal(d->passed[0], 2);
	assert_int_equal(d->passed[1], 3);
	assert_string_equal(f.text, "selected as the leader of industry "
	                    "\"Y\", ahead of ranks 2, 3");
	decide(&f, 0, "a");
	assert_string_equal(f.text, "selected as the leader of industry "
	                    "\"X\"");
	assert_int_equal(decide(&f, 0, "e")->passed_total, 2);
	assert_int_equal(decide(&f, 0, "b")->code, DC(OUTSIDE_TOP_N));
	done(&f);
}

/* Below min_score comes before outside top_n. */
static void t_min_score(void **st)
{
	(void)st;
	static const th_cluster_t v[] = {
		{ .id = "a" }, { .id = "b" }, { .id = "c" },
	};
	fx_t f = { .def = th_comp("c") };
	Clusters__V1__Round *r = th_round(f.def, "r");
	th_crit(r, "x", 1, NORM(NONE));
	th_sel(r)->top_n = 1;
	th_min_score(th_sel(r), 60);
	one_round(&f, v, 3, "a=90;b=70;c=55.5");
	const engine_decision_t *d = decide(&f, 0, "c");
	assert_int_equal(d->code, DC(BELOW_MIN_SCORE));
	TH_NEAR(d->min_score, 60, 0);
	assert_string_equal(f.text, "below min_score 60 (score 55.5)");
	assert_int_equal(decide(&f, 0, "b")->code, DC(OUTSIDE_TOP_N));
	done(&f);
}

/* Each exclusion keeps engine_result_reason's words. */
static void t_exclusions(void **st)
{
	(void)st;
	static const th_cluster_t v[] = {
		{ .id = "a", .region = "A" }, { .id = "b", .region = "B" },
		{ .id = "c", .region = "A" }, { .id = "d", .region = "A" },
		{ .id = "e", .region = "A" },
	};
	fx_t f = { .def = th_comp("c") };
	Clusters__V1__Round *r = th_round(f.def, "r");
	th_crit(r, "x", 1, NORM(SHARE));
	th_filter(r, CLUSTERS__V1__FILTER_FIELD__FILTER_FIELD_REGION, NULL, 0,
	          CLUSTERS__V1__COMPARISON__COMPARISON_IN, "A", 0);
	/* The total 1 of 1e308 - 1e308 + 1 makes two shares infinite. */
	one_round(&f, v, 5, "a=1e308;b=5;c=-1e308;d=1;e=-|no data");
	const engine_decision_t *d = decide(&f, 0, "b");
	assert_int_equal(d->code, DC(NOT_ELIGIBLE));
	assert_int_equal(d->index, 0);
	assert_string_equal(f.text, "eligibility[0]: region \"B\" not in "
	                    "[\"A\"]");
	d = decide(&f, 0, "e");
	assert_int_equal(d->code, DC(MISSING_SCORE));
	assert_int_equal(d->index, 0);
	assert_string_equal(f.text, "criterion \"x\" (plugin \"fixed\"): no "
	                    "score: no data");
	d = decide(&f, 0, "a");
	assert_int_equal(d->code, DC(NOT_FINITE));
	assert_int_equal(d->index, 0);
	assert_string_equal(f.text, "criterion \"x\" (plugin \"fixed\"): "
	                    "NORMALIZATION_SHARE of 1e+308 is not a finite "
	                    "number");
	assert_int_equal(decide(&f, 0, "d")->code, DC(SELECTED_BY_SCORE));
	/* And in the Run: the facts of each. */
	Clusters__V1__Run *run;
	char err[128];
	assert_int_equal(engine_run_build(f.res, NULL, &run, err, sizeof(err)),
	                 CD_OK);
	int seen = 0;
	for (size_t i = 0; i < run->n_standings; i++) {
		const Clusters__V1__Standing *s = run->standings[i];
		const Clusters__V1__Decision *x = s->rounds[0]->decision;
		assert_string_equal(s->region, s->cluster_id[0] == 'b' ? "B" : "A");
		if (!strcmp(s->cluster_id, "b")) {
			assert_int_equal(x->filter_field,
			                 CLUSTERS__V1__FILTER_FIELD__FILTER_FIELD_REGION);
			assert_string_equal(x->value, "B");
			assert_string_equal(x->text, s->excluded_reason);
			seen++;
		} else if (!strcmp(s->cluster_id, "e")) {
			assert_string_equal(x->criterion, "x");
			assert_string_equal(x->plugin, "fixed");
			assert_string_equal(x->note, "no data");
			seen++;
		}
	}
	assert_int_equal(seen, 2);
	/* RoundStats counts them. */
	const Clusters__V1__RoundStats *rs = run->rounds[0];
	assert_int_equal(rs->candidates, 5);
	assert_int_equal(rs->eligible, 4);
	assert_int_equal(rs->ranked, 1);
	assert_int_equal(rs->selected, 1);
	assert_int_equal(rs->n_decisions, 4);
	assert_int_equal(rs->decisions[0]->code, DC(SELECTED_BY_SCORE));
	assert_int_equal(rs->decisions[3]->code, DC(NOT_FINITE));
	assert_int_equal(rs->decisions[3]->count, 2);
	engine_run_free(run);
	done(&f);
}

/* Two rounds: c stops in the prelim; the final lists it as excluded
 * earlier, without scores, and RoundStats counts it. */
static void t_excluded_earlier(void **st)
{
	(void)st;
	static const th_cluster_t v[] = {
		{ .id = "a" }, { .id = "b" }, { .id = "c" },
	};
	fx_t f = { .def = th_comp("c") };
	Clusters__V1__Round *r = th_round(f.def, "prelim");
	th_crit(r, "x", 1, NORM(NONE));
	th_sel(r)->top_n = 2;
	r = th_round(f.def, "final");
	th_crit(r, "y", 1, NORM(MIN_MAX));
	th_sel(r)->top_n = 1;
	f.c = th_cohort(f.def, v, 3);
	f.s.crit[0] = "x";
	f.s.spec[0] = "a=3;b=2;c=1";
	f.s.crit[1] = "y";
	f.s.spec[1] = "a=1;b=2;c=3";
	f.res = th_eval(f.def, f.c, &f.s, CD_OK);
	Clusters__V1__Run *run;
	char err[128];
	assert_int_equal(engine_run_build(f.res, NULL, &run, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(run->standings_total, 3);
	const Clusters__V1__Standing *s = run->standings[2];
	assert_string_equal(s->cluster_id, "c");
	assert_int_equal(s->n_rounds, 2);
	assert_int_equal(s->rounds[0]->decision->code, DC(OUTSIDE_TOP_N));
	assert_int_equal(s->rounds[0]->rank, 3);
	const Clusters__V1__RoundStanding *fin = s->rounds[1];
	assert_string_equal(fin->round, "final");
	assert_int_equal(fin->decision->code, DC(EXCLUDED_EARLIER));
	assert_string_equal(fin->decision->earlier_round, "prelim");
	assert_string_equal(fin->decision->text, "not a candidate: not "
	                    "selected in round \"prelim\"");
	assert_int_equal(fin->n_scores, 0);
	assert_int_equal(fin->rank, 0);
	/* b won the final: its prelim entry has the prelim's scores. */
	s = run->standings[0];
	assert_string_equal(s->cluster_id, "b");
	assert_true(s->rounds[0]->selected && s->rounds[1]->selected);
	assert_string_equal(s->rounds[0]->scores[0]->criterion, "x");
	assert_string_equal(s->rounds[1]->scores[0]->criterion, "y");
	const Clusters__V1__RoundStats *rs = run->rounds[1];
	assert_string_equal(rs->round, "final");
	assert_int_equal(rs->candidates, 2);
	assert_int_equal(rs->n_decisions, 3);
	assert_int_equal(rs->decisions[2]->code, DC(EXCLUDED_EARLIER));
	assert_int_equal(rs->decisions[2]->count, 1);
	assert_string_equal(rs->last_selected_cluster_id, "b");
	TH_NEAR(rs->last_selected_score, 100, 0);
	assert_string_equal(rs->best_unselected_cluster_id, "a");
	TH_NEAR(rs->best_unselected_score, 0, 0);
	/* The MIN_MAX statistics over a and b. */
	const Clusters__V1__CriterionStats *cs = rs->criteria[0];
	assert_int_equal(cs->scored, 2);
	TH_NEAR(cs->min, 1, 0);
	TH_NEAR(cs->max, 2, 0);
	TH_NEAR(cs->mean, 1.5, 0);
	TH_NEAR(cs->sd, 0.5, 0);
	TH_NEAR(cs->sum, 3, 0);
	TH_NEAR(cs->weight_share, 1, 0);
	engine_run_free(run);
	done(&f);
}

/* A scorer that notes, for each criterion of a round, how many
 * candidates it saw ("n", given twice: the second stays) and its id. */
typedef struct noting {
	th_scores_t s;
	int base_calls, sens_calls;
} noting_t;

static int noting_scorer(void *arg, engine_score_req_t *req, char *err,
                         size_t errlen)
{
	noting_t *x = arg;
	if (!req->crit_notes) {
		/* Sensitivity's own candidates: nothing is kept. */
		x->sens_calls++;
		assert_int_equal(engine_crit_note(NULL, "n", "x"), CD_OK);
		return th_scorer(&x->s, req, err, errlen);
	}
	x->base_calls++;
	char n[32];
	snprintf(n, sizeof(n), "%zu candidates", req->n);
	assert_int_equal(engine_crit_note(req->crit_notes, "n", "first"),
	                 CD_OK);
	assert_int_equal(engine_crit_note(req->crit_notes, "criterion",
	                                  req->def->id), CD_OK);
	assert_int_equal(engine_crit_note(req->crit_notes, "n", n), CD_OK);
	assert_int_equal(engine_crit_note(req->crit_notes, NULL, "v"),
	                 CD_EINVAL);
	assert_int_equal(engine_crit_note(req->crit_notes, "k", NULL),
	                 CD_EINVAL);
	return th_scorer(&x->s, req, err, errlen);
}

static void t_plugin_notes(void **st)
{
	(void)st;
	static const th_cluster_t six[] = {
		{ .id = "a", .region = "R1" }, { .id = "b", .region = "R1" },
		{ .id = "c", .region = "R2" }, { .id = "d", .region = "R2" },
		{ .id = "e" }, { .id = "f" },
	};
	Clusters__V1__Competition *def = th_comp("c");
	Clusters__V1__Round *r = th_round(def, "prelim");
	th_crit(r, "x", 1, NORM(MIN_MAX));
	th_crit(r, "y", 1, NORM(MIN_MAX));
	th_sel(r)->top_n = 3;
	r = th_round(def, "final");
	th_crit(r, "z", 1, NORM(RANK));
	th_sel(r)->top_n = 1;
	engine_cohort_t *c = th_cohort(def, six, 6);
	noting_t x = { .s = {
		.crit = { "x", "y", "z" },
		.spec = { "a=1;b=1;c=1;d=0;e=0;f=0",
		          "a=0;b=0;c=0.5;d=1;e=0;f=0",
		          "a=1;b=2;c=3;d=4;e=5;f=6" },
	} };
	/* c .75, then a, b and d at .5: the id puts a and b in the final.
	 * In a sample that weighs y above x, d goes instead: the final is
	 * scored again for it, and those requests keep nothing. */
	engine_opts_t o = { .scorer = noting_scorer, .scorer_arg = &x,
	                    .samples = 50, .jitter_pct = 40, .seed = 3 };
	engine_result_t *res;
	char err[256];
	assert_int_equal(engine_evaluate(def, c, &o, &res, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(x.base_calls, 3);
	assert_true(x.sens_calls > 0);
	Clusters__V1__Run *run;
	assert_int_equal(engine_run_build(res, NULL, &run, err, sizeof(err)),
	                 CD_OK);
	static const char *const want[][2] = { { "6 candidates", "x" },
	                                       { "6 candidates", "y" },
	                                       { "3 candidates", "z" } };
	for (size_t k = 0; k < 3; k++) {
		const Clusters__V1__CriterionStats *cs =
			run->rounds[k / 2]->criteria[k % 2];
		assert_int_equal(cs->n_plugin_notes, 2);
		assert_string_equal(cs->plugin_notes[0]->key, "n");
		assert_string_equal(cs->plugin_notes[0]->value, want[k][0]);
		assert_string_equal(cs->plugin_notes[1]->key, "criterion");
		assert_string_equal(cs->plugin_notes[1]->value, want[k][1]);
	}
	engine_run_free(run);
	engine_result_destroy(res);
	/* A scorer that notes nothing leaves the field empty. */
	res = th_eval(def, c, &x.s, CD_OK);
	assert_int_equal(engine_run_build(res, NULL, &run, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(run->rounds[0]->criteria[0]->n_plugin_notes, 0);
	assert_null(run->rounds[0]->criteria[0]->plugin_notes);
	engine_run_free(run);
	engine_result_destroy(res);
	th_cohort_free(c);
	th_comp_free(def);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_quota_region),
		cmocka_unit_test(t_quota_economy_city),
		cmocka_unit_test(t_industry_leader),
		cmocka_unit_test(t_min_score),
		cmocka_unit_test(t_exclusions),
		cmocka_unit_test(t_excluded_earlier),
		cmocka_unit_test(t_plugin_notes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
