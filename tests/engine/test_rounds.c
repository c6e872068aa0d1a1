/* Two chained rounds, standings across rounds, rank change against a
 * baseline, the summary, and the Run message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "th.h"

#define NORM(x) CLUSTERS__V1__NORMALIZATION__NORMALIZATION_##x

static const th_cluster_t six[] = {
	{ .id = "p1", .economy = "CN", .region = "JS", .cities = "Suzhou",
	  .industry = "bio" },
	{ .id = "p2", .economy = "CN/HK", .region = "GD",
	  .cities = "Shenzhen,Hong Kong", .industry = "elec" },
	{ .id = "p3", .economy = "CN", .region = "GD", .cities = "Guangzhou",
	  .industry = "elec" },
	{ .id = "p4", .economy = "US", .region = "CA", .cities = "San Jose" },
	{ .id = "p5", .economy = "DE", .region = "BY", .cities = "Munich" },
	{ .id = "p6", .economy = "JP", .region = "Kanto", .cities = "Tokyo" },
};

typedef struct fx {
	Clusters__V1__Competition *def;
	engine_cohort_t *c;
	engine_result_t *res;
	th_scores_t s;
	Clusters__V1__Run base;
	Clusters__V1__Standing bs[5], *bp[5];
} fx_t;

/* prelim: q, top 3 -> p1 p2 p3 (p6 has no score: excluded).
 * final: x (expert marks), top 2 -> p2 (3), p3 (2); p1 (1) stops.
 * final_spec replaces the final's marks when not NULL. */
static void run_spec(fx_t *f, int with_baseline, int32_t group_min,
                     const char *final_spec);

static void run(fx_t *f, int with_baseline, int32_t group_min)
{
	run_spec(f, with_baseline, group_min, NULL);
}

static void run_spec(fx_t *f, int with_baseline, int32_t group_min,
                     const char *final_spec)
{
	memset(f, 0, sizeof(*f));
	f->def = th_comp("comp");
	f->def->summary_group_min = group_min;
	Clusters__V1__Round *r1 = th_round(f->def, "prelim");
	th_crit(r1, "q", 1, NORM(NONE));
	th_sel(r1)->top_n = 3;
	Clusters__V1__Round *r2 = th_round(f->def, "final");
	th_crit(r2, "x", 1, NORM(NONE));
	th_sel(r2)->top_n = 2;
	f->c = th_cohort(f->def, six, 6);
	f->s.crit[0] = "q";
	f->s.spec[0] = "p1=60;p2=50;p3=40;p4=30;p5=20;p6=-|no data";
	f->s.crit[1] = "x";
	f->s.spec[1] = final_spec ? final_spec
	                          : "p1=1;p2=3;p3=2;p4=9;p5=9;p6=9";

	/* Last edition: p1 1st, p4 2nd, p9 3rd, p2 4th, p5 excluded. */
	const char *ids[] = { "p1", "p4", "p9", "p2", "p5" };
	int32_t ranks[] = { 1, 2, 3, 4, 0 };
	clusters__v1__run__init(&f->base);
	for (int i = 0; i < 5; i++) {
		clusters__v1__standing__init(&f->bs[i]);
		f->bs[i].cluster_id = (char *)ids[i];
		f->bs[i].rank = ranks[i];
		f->bp[i] = &f->bs[i];
	}
	f->base.standings = f->bp;
	f->base.n_standings = 5;

	engine_opts_t o = { .scorer = th_scorer, .scorer_arg = &f->s,
	                    .baseline = with_baseline ? &f->base : NULL };
	char err[256];
	assert_int_equal(engine_evaluate(f->def, f->c, &o, &f->res, err,
	                                 sizeof(err)), CD_OK);
}

static void done(fx_t *f)
{
	engine_result_destroy(f->res);
	th_cohort_free(f->c);
	th_comp_free(f->def);
}

static void t_chained_rounds(void **st)
{
	(void)st;
	fx_t f;
	run(&f, 0, 0);
	/* The final saw only the three that the preliminary selected. */
	assert_int_equal(f.s.last_n, 3);
	assert_int_equal(f.res->rounds[1].n, 3);
	assert_string_equal(th_order(f.res), "p2 p3 p1 p4 p5 p6");
	/* Finalists rank above those who stopped in the preliminary. */
	assert_int_equal(th_rank(f.res, "p2"), 1);
	assert_int_equal(th_rank(f.res, "p3"), 2);
	assert_int_equal(th_rank(f.res, "p1"), 3);
	assert_int_equal(th_rank(f.res, "p4"), 4);
	assert_int_equal(th_rank(f.res, "p5"), 5);
	assert_int_equal(th_rank(f.res, "p6"), 0);
	assert_true(th_selected(f.res, "p2"));
	assert_true(th_selected(f.res, "p3"));
	assert_false(th_selected(f.res, "p1"));
	assert_false(th_selected(f.res, "p4"));
	/* The round each reached, and the round rank kept per round. */
	const engine_standing_t *s1 = engine_result_find(f.res, "p1");
	const engine_standing_t *s4 = engine_result_find(f.res, "p4");
	assert_string_equal(f.res->rounds[s1->round].name, "final");
	assert_string_equal(f.res->rounds[s4->round].name, "prelim");
	assert_int_equal(f.res->rounds[1].rank[s1->pos], 3);
	assert_int_equal(f.res->rounds[0].rank[s4->pos], 4);
	TH_NEAR(th_score(f.res, "p1"), 1, 0);       /* its final score */
	assert_string_equal(th_reason(f.res, "p6"),
	                    "criterion \"q\" (plugin \"fixed\"): no score: "
	                    "no data");
	assert_int_equal(f.res->nnew, 0);
	assert_false(f.res->has_baseline);
	assert_int_equal(f.res->nwarnings, 0);
	done(&f);
}

/* Every finalist excluded (no final score): nobody stands first. The
 * three finalists reached a later round, so the two who stopped in the
 * preliminary rank 4 and 5, not 1 and 2. */
static void t_all_finalists_excluded(void **st)
{
	(void)st;
	fx_t f;
	run_spec(&f, 0, 0, "p4=9;p5=9;p6=9");
	assert_int_equal(f.res->rounds[1].nranked, 0);
	assert_string_equal(th_order(f.res), "p4 p5 p1 p2 p3 p6");
	assert_int_equal(th_rank(f.res, "p4"), 4);
	assert_int_equal(th_rank(f.res, "p5"), 5);
	assert_int_equal(th_rank(f.res, "p1"), 0);
	assert_int_equal(th_rank(f.res, "p2"), 0);
	assert_int_equal(th_rank(f.res, "p3"), 0);
	assert_int_equal(th_rank(f.res, "p6"), 0);
	for (size_t i = 0; i < 6; i++)
		assert_false(f.res->standings[i].selected);
	assert_string_equal(th_reason(f.res, "p1"),
	                    "criterion \"x\" (plugin \"fixed\"): no score");
	/* The run says that the final selected nobody, and why. */
	assert_int_equal(f.res->nwarnings, 1);
	assert_string_equal(f.res->warnings[0], "round \"final\" selected no "
	                    "cluster: all 3 candidates were excluded (3 of them "
	                    "for no score for criterion \"x\")");
	Clusters__V1__Run *r;
	char err[128];
	assert_int_equal(engine_run_build(f.res, NULL, &r, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(r->n_warnings, 1);
	assert_string_equal(r->warnings[0], f.res->warnings[0]);
	engine_run_free(r);
	done(&f);
	/* One finalist excluded: p2 1, p1 2, p3 stands above the preliminary
	 * but unranked, so p4 is 4th (1 + the three who reached the final). */
	run_spec(&f, 0, 0, "p1=1;p2=3");
	assert_string_equal(th_order(f.res), "p2 p1 p4 p5 p3 p6");
	assert_int_equal(th_rank(f.res, "p2"), 1);
	assert_int_equal(th_rank(f.res, "p1"), 2);
	assert_int_equal(th_rank(f.res, "p3"), 0);
	assert_int_equal(th_rank(f.res, "p4"), 4);
	assert_int_equal(th_rank(f.res, "p5"), 5);
	assert_int_equal(f.res->nwarnings, 0);
	done(&f);
}

/* A round that selects nobody is a warning of the run: below min_score;
 * excluded, most often by a filter; an empty cohort. */
static void t_warnings(void **st)
{
	(void)st;
	fx_t f;
	/* Nobody reaches 100 in the preliminary: the final has no candidates
	 * and says nothing more. */
	memset(&f, 0, sizeof(f));
	f.def = th_comp("comp");
	Clusters__V1__Round *r1 = th_round(f.def, "prelim");
	th_crit(r1, "q", 1, NORM(NONE));
	th_min_score(th_sel(r1), 100);
	Clusters__V1__Round *r2 = th_round(f.def, "final");
	th_crit(r2, "x", 1, NORM(NONE));
	f.c = th_cohort(f.def, six, 6);
	f.s.crit[0] = "q";
	f.s.spec[0] = "p1=60;p2=50;p3=40;p4=30;p5=20;p6=-";
	f.res = th_eval(f.def, f.c, &f.s, CD_OK);
	assert_int_equal(f.res->rounds[1].n, 0);
	assert_int_equal(f.res->nwarnings, 1);
	assert_string_equal(f.res->warnings[0], "round \"prelim\" selected no "
	                    "cluster: 5 of 6 candidates were ranked, and the "
	                    "best score, 60, is below selection.min_score 100");
	done(&f);
	/* Region JS admits p1 alone, which lacks the score. Every candidate
	 * is excluded, five by eligibility[0], the most. */
	memset(&f, 0, sizeof(f));
	f.def = th_comp("comp");
	r1 = th_round(f.def, "");
	th_filter(r1, CLUSTERS__V1__FILTER_FIELD__FILTER_FIELD_REGION, "", 0,
	          CLUSTERS__V1__COMPARISON__COMPARISON_IN, "JS", 0);
	th_crit(r1, "q", 1, NORM(NONE));
	f.c = th_cohort(f.def, six, 6);
	f.s.crit[0] = "q";
	f.s.spec[0] = "p4=1;p5=1;p6=1";
	f.res = th_eval(f.def, f.c, &f.s, CD_OK);
	assert_int_equal(f.res->nwarnings, 1);
	assert_string_equal(f.res->warnings[0], "round \"round 1\" selected "
	                    "no cluster: all 6 candidates were excluded (5 of "
	                    "them for eligibility[0])");
	done(&f);
	/* No clusters at all. */
	memset(&f, 0, sizeof(f));
	f.def = th_comp("comp");
	r1 = th_round(f.def, "only");
	th_crit(r1, "q", 1, NORM(NONE));
	f.c = th_cohort(f.def, six, 0);
	f.res = th_eval(f.def, f.c, &f.s, CD_OK);
	assert_int_equal(f.res->nwarnings, 1);
	assert_string_equal(f.res->warnings[0], "round \"only\": no "
	                    "candidates (the cohort is empty)");
	done(&f);
}

static void t_rank_change(void **st)
{
	(void)st;
	fx_t f;
	run(&f, 1, 0);
	const engine_standing_t *s;
	/* baseline rank - rank */
	s = engine_result_find(f.res, "p2");
	assert_true(s->has_change);
	assert_int_equal(s->rank_change, 4 - 1);
	s = engine_result_find(f.res, "p1");
	assert_int_equal(s->rank_change, 1 - 3);
	s = engine_result_find(f.res, "p4");
	assert_int_equal(s->rank_change, 2 - 4);
	/* p3 is new; p5 was not ranked last time: new too. p6 is not
	 * ranked now: neither a change nor new. */
	s = engine_result_find(f.res, "p3");
	assert_false(s->has_change);
	assert_true(s->is_new);
	s = engine_result_find(f.res, "p6");
	assert_false(s->has_change);
	assert_false(s->is_new);
	assert_int_equal(f.res->nnew, 2);
	assert_string_equal(engine_cohort_id(f.c, f.res->new_entrants[0]), "p3");
	assert_string_equal(engine_cohort_id(f.c, f.res->new_entrants[1]), "p5");
	done(&f);
}

static void t_summary(void **st)
{
	(void)st;
	fx_t f;
	run(&f, 0, 0);
	const engine_summary_t *s = &f.res->summary;
	/* Selected: p2 (CN/HK, GD, Shenzhen + Hong Kong, elec), p3 (CN, GD,
	 * Guangzhou, elec). */
	assert_int_equal(s->selected, 2);
	assert_int_equal(s->group_min, 3);
	assert_int_equal(s->economy.n, 2);
	assert_string_equal(s->economy.v[0].key, "CN");
	assert_int_equal(s->economy.v[0].count, 2);
	assert_string_equal(s->economy.v[1].key, "HK");
	assert_int_equal(s->economy.v[1].count, 1);
	assert_int_equal(s->region.n, 1);
	assert_int_equal(s->region.v[0].count, 2);
	/* Cities: one each, by name. */
	assert_int_equal(s->city.n, 3);
	assert_string_equal(s->city.v[0].key, "Guangzhou");
	assert_string_equal(s->city.v[1].key, "Hong Kong");
	assert_string_equal(s->city.v[2].key, "Shenzhen");
	assert_int_equal(s->industry.n, 1);
	assert_string_equal(s->industry.v[0].key, "elec");
	assert_int_equal(s->economy.n_at_least, 0);   /* none has 3 */
	done(&f);

	run(&f, 0, 2);
	s = &f.res->summary;
	assert_int_equal(s->group_min, 2);
	assert_int_equal(s->economy.n_at_least, 1);   /* CN */
	assert_int_equal(s->region.n_at_least, 1);    /* GD */
	assert_int_equal(s->city.n_at_least, 0);
	assert_int_equal(s->industry.n_at_least, 1);  /* elec */
	done(&f);
}

static void t_run_message(void **st)
{
	(void)st;
	fx_t f;
	run(&f, 1, 2);
	engine_plugin_use_t pu[] = {
		{ "fixed", "1.2.0", CLUSTERS__V1__PLUGIN_KIND__PLUGIN_KIND_QUANTITATIVE },
	};
	engine_run_opts_t o = { .run_id = "run-1", .data_version = 77,
	                        .create_seconds = 1700000000, .plugins = pu,
	                        .nplugins = 1 };
	Clusters__V1__Run *run;
	char err[128];
	assert_int_equal(engine_run_build(f.res, &o, &run, err, sizeof(err)),
	                 CD_OK);
	/* The message stands on its own: pack it after the result is gone. */
	done(&f);
	size_t len = clusters__v1__run__get_packed_size(run);
	uint8_t *buf = malloc(len);
	assert_non_null(buf);
	clusters__v1__run__pack(run, buf);
	engine_run_free(run);
	Clusters__V1__Run *r = clusters__v1__run__unpack(NULL, len, buf);
	free(buf);
	assert_non_null(r);
	assert_string_equal(r->id, "run-1");
	assert_string_equal(r->competition_id, "comp");
	assert_int_equal(r->data_version, 77);
	assert_int_equal(r->create_time->seconds, 1700000000);
	assert_int_equal(r->candidates, 6);
	assert_int_equal(r->n_plugins, 1);
	assert_string_equal(r->plugins[0]->version, "1.2.0");
	assert_null(r->sensitivity);
	assert_int_equal(r->n_standings, 6);
	Clusters__V1__Standing *s = r->standings[0];
	assert_string_equal(s->cluster_id, "p2");
	assert_string_equal(s->name, "p2");
	assert_string_equal(s->economy, "CN/HK");
	assert_int_equal(s->rank, 1);
	assert_true(s->selected);
	assert_string_equal(s->round, "final");
	assert_non_null(s->rank_change);
	assert_int_equal(s->rank_change->value, 3);
	/* Criterion scores are per round now; the old field stays empty. */
	assert_int_equal(s->n_scores, 0);
	assert_int_equal(s->n_rounds, 2);
	Clusters__V1__RoundStanding *last = s->rounds[1];
	assert_int_equal(last->n_scores, 1);
	assert_string_equal(last->scores[0]->criterion, "x");
	TH_NEAR(last->scores[0]->raw, 3, 0);
	TH_NEAR(last->scores[0]->weighted, 3, 0);
	TH_NEAR(s->score, 3, 0);
	assert_string_equal(s->excluded_reason, "");
	s = r->standings[1];
	assert_string_equal(s->cluster_id, "p3");
	assert_null(s->rank_change);                  /* new entrant */
	s = r->standings[5];
	assert_string_equal(s->cluster_id, "p6");
	assert_int_equal(s->rank, 0);
	assert_string_equal(s->round, "prelim");
	assert_string_equal(s->excluded_reason,
	                    "criterion \"q\" (plugin \"fixed\"): no score: "
	                    "no data");
	assert_int_equal(s->n_rounds, 2);
	assert_true(isnan(s->rounds[0]->scores[0]->raw));
	assert_string_equal(s->rounds[0]->scores[0]->note, "no score: no data");
	assert_int_equal(r->n_new_entrants, 2);
	assert_string_equal(r->new_entrants[1], "p5");
	Clusters__V1__Summary *m = r->summary;
	assert_int_equal(m->selected, 2);
	assert_int_equal(m->n_by_economy, 2);
	assert_string_equal(m->by_economy[0]->key, "CN");
	assert_int_equal(m->by_economy[0]->count, 2);
	assert_int_equal(m->distinct_cities, 3);
	assert_int_equal(m->group_min, 2);
	assert_int_equal(m->n_economies_at_least, 1);
	assert_int_equal(m->n_cities_at_least, 0);
	clusters__v1__run__free_unpacked(r, NULL);
}

static void t_run_limits(void **st)
{
	(void)st;
	fx_t f;
	run(&f, 0, 0);
	Clusters__V1__Run *run;
	char err[128];
	/* One standing asked for; the other selected cluster is kept too. */
	engine_run_opts_t o = { .max_standings = 1, .without_scores = 1 };
	assert_int_equal(engine_run_build(f.res, &o, &run, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(run->n_standings, 2);
	assert_string_equal(run->standings[1]->cluster_id, "p3");
	assert_int_equal(run->standings[0]->rounds[0]->n_scores, 0);
	assert_string_equal(run->id, "");
	assert_null(run->create_time);
	/* What was left out is said in the run. */
	assert_int_equal(run->n_warnings, 2);
	assert_string_equal(run->warnings[0], "standings: 2 of 6 inline (the "
	                    "first 1 and 1 selected clusters after them); "
	                    "ListStandings pages through all 6");
	assert_string_equal(run->warnings[1], "standings: without "
	                    "per-criterion scores, to keep the run small");
	engine_run_free(run);
	o.without_scores = 0;
	o.max_standings = 6;
	assert_int_equal(engine_run_build(f.res, &o, &run, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(run->n_warnings, 0);
	engine_run_free(run);
	assert_int_equal(engine_run_build(f.res, NULL, &run, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(run->n_standings, 6);
	assert_int_equal(run->n_warnings, 0);
	engine_run_free(run);
	engine_run_free(NULL);
	done(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_chained_rounds),
		cmocka_unit_test(t_all_finalists_excluded),
		cmocka_unit_test(t_warnings),
		cmocka_unit_test(t_rank_change),
		cmocka_unit_test(t_summary),
		cmocka_unit_test(t_run_message),
		cmocka_unit_test(t_run_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
