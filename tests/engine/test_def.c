/* Definition validation: one test per rule, each checking the code and
 * that the message names the offending field. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "th.h"

#define NORM(x) CLUSTERS__V1__NORMALIZATION__NORMALIZATION_##x
#define FF(x) CLUSTERS__V1__FILTER_FIELD__FILTER_FIELD_##x
#define CMP(x) CLUSTERS__V1__COMPARISON__COMPARISON_##x

/* A valid two-round definition each test then breaks in one place. */
static Clusters__V1__Competition *valid(void)
{
	Clusters__V1__Competition *c = th_comp("c1");
	Clusters__V1__Round *r = th_round(c, "prelim");
	th_crit(r, "rev", 2, NORM(MIN_MAX));
	th_crit(r, "rd", 1, NORM(GOALPOSTS))->goalpost_upper = 10;
	th_filter(r, FF(REGION), NULL, 0, CMP(IN), "A,B", 0);
	th_filter(r, FF(INDICATOR), "revenue", 2020, CMP(GE), NULL, 5);
	th_tie(r, "rd");
	th_sel(r)->top_n = 10;
	Clusters__V1__Round *f = th_round(c, "final");
	th_crit(f, "experts", 1, NORM(NONE));
	return c;
}

static void expect(Clusters__V1__Competition *c, int code, const char *msg)
{
	char err[512] = "";
	int rc = engine_def_validate(c, NULL, NULL, err, sizeof(err));
	if (rc != code || strcmp(err, msg) != 0)
		fail_msg("got %s \"%s\", want %s \"%s\"", cd_err_name(rc), err,
		         cd_err_name(code), msg);
	th_comp_free(c);
}

static void t_valid(void **st)
{
	(void)st;
	expect(valid(), CD_OK, "");
}

static void t_rounds(void **st)
{
	(void)st;
	expect(th_comp("x"), CD_EV_DEFINITION,
	       "rounds: at least one round is required");
	Clusters__V1__Competition *c = valid();
	free(c->rounds[1]->name);
	c->rounds[1]->name = strdup("prelim");
	expect(c, CD_EV_DUPLICATE, "rounds[1].name: duplicate \"prelim\"");
	c = valid();
	c->summary_group_min = -1;
	expect(c, CD_EV_DEFINITION, "summary_group_min: must be >= 0 (0 = 3)");
}

static void t_criteria(void **st)
{
	(void)st;
	Clusters__V1__Competition *c = th_comp("x");
	th_round(c, "only");
	expect(c, CD_EV_DEFINITION,
	       "rounds[0].criteria: at least one criterion is required");

	c = valid();
	free(c->rounds[0]->criteria[1]->id);
	c->rounds[0]->criteria[1]->id = strdup("");
	expect(c, CD_EV_EMPTY, "rounds[0].criteria[1].id: must not be empty");

	c = valid();
	free(c->rounds[0]->criteria[1]->id);
	c->rounds[0]->criteria[1]->id = strdup("rev");
	expect(c, CD_EV_DUPLICATE,
	       "rounds[0].criteria[1].id: duplicate \"rev\"");

	c = valid();
	free(c->rounds[1]->criteria[0]->plugin);
	c->rounds[1]->criteria[0]->plugin = strdup("");
	expect(c, CD_EV_EMPTY,
	       "rounds[1].criteria[0].plugin: must not be empty");

	c = valid();
	th_param(c->rounds[0]->criteria[0], "year", "2020");
	th_param(c->rounds[0]->criteria[0], "year", "2021");
	expect(c, CD_EV_DUPLICATE,
	       "rounds[0].criteria[0].params: duplicate key \"year\"");
}

static void t_weights(void **st)
{
	(void)st;
	Clusters__V1__Competition *c = valid();
	c->rounds[1]->criteria[0]->weight = -1;
	expect(c, CD_EV_DEFINITION, "rounds[1].criteria[0].weight: must be >= 0");
	c = valid();
	c->rounds[0]->criteria[0]->weight = 0;
	c->rounds[0]->criteria[1]->weight = 0;
	expect(c, CD_EV_DEFINITION,
	       "rounds[0].criteria: the weights must not all be zero and must "
	       "sum to a finite number");
	c = valid();
	c->rounds[0]->criteria[1]->weight = NAN;
	expect(c, CD_EV_NONFINITE, "rounds[0].criteria[1].weight: must be finite");
	c = valid();
	c->rounds[0]->criteria[0]->weight = 1e308;
	c->rounds[0]->criteria[1]->weight = 1e308;
	expect(c, CD_EV_DEFINITION,
	       "rounds[0].criteria: the weights must not all be zero and must "
	       "sum to a finite number");
}

static void t_normalization(void **st)
{
	(void)st;
	Clusters__V1__Competition *c = valid();
	c->rounds[0]->criteria[0]->normalization = 42;
	expect(c, CD_EV_DEFINITION,
	       "rounds[0].criteria[0].normalization: unknown value 42; "
	       "accepted: NORMALIZATION_UNSPECIFIED, NORMALIZATION_NONE, "
	       "NORMALIZATION_MIN_MAX, NORMALIZATION_Z_SCORE, "
	       "NORMALIZATION_RANK, NORMALIZATION_SHARE, "
	       "NORMALIZATION_GOALPOSTS, NORMALIZATION_DISTANCE_TO_MAX, "
	       "NORMALIZATION_DISTANCE_TO_TARGET, "
	       "NORMALIZATION_PERCENTILE_RANK");
	c = valid();
	c->rounds[0]->criteria[0]->normalization = 10;
	expect(c, CD_EV_DEFINITION,
	       "rounds[0].criteria[0].normalization: unknown value 10; "
	       "accepted: NORMALIZATION_UNSPECIFIED, NORMALIZATION_NONE, "
	       "NORMALIZATION_MIN_MAX, NORMALIZATION_Z_SCORE, "
	       "NORMALIZATION_RANK, NORMALIZATION_SHARE, "
	       "NORMALIZATION_GOALPOSTS, NORMALIZATION_DISTANCE_TO_MAX, "
	       "NORMALIZATION_DISTANCE_TO_TARGET, "
	       "NORMALIZATION_PERCENTILE_RANK");
	/* The new methods are accepted; any finite target is (one at or
	 * below every value gives 100 to all: nothing left to divide by
	 * zero), a target that is not finite is not, whatever the
	 * normalisation (as the goalposts). */
	for (int m = NORM(DISTANCE_TO_MAX); m <= NORM(PERCENTILE_RANK); m++) {
		c = valid();
		c->rounds[0]->criteria[1]->normalization = m;
		c->rounds[0]->criteria[1]->target = -1e308;
		expect(c, CD_OK, "");
	}
	c = valid();
	c->rounds[1]->criteria[0]->normalization = NORM(DISTANCE_TO_TARGET);
	c->rounds[1]->criteria[0]->target = NAN;
	expect(c, CD_EV_NONFINITE,
	       "rounds[1].criteria[0].target: must be finite");
	c = valid();
	c->rounds[0]->criteria[0]->target = -INFINITY;
	expect(c, CD_EV_NONFINITE,
	       "rounds[0].criteria[0].target: must be finite");
	c = valid();
	c->rounds[0]->criteria[1]->goalpost_lower = 10;
	expect(c, CD_EV_DEFINITION,
	       "rounds[0].criteria[1].goalpost_lower: must be below "
	       "goalpost_upper (10 >= 10)");
	c = valid();
	c->rounds[0]->criteria[1]->goalpost_upper = INFINITY;
	expect(c, CD_EV_NONFINITE,
	       "rounds[0].criteria[1].goalpost_upper: must be finite");
	/* Goalposts are only checked for order when GOALPOSTS is chosen. */
	c = valid();
	c->rounds[0]->criteria[0]->goalpost_lower = 5;
	expect(c, CD_OK, "");
}

static void t_round_enums(void **st)
{
	(void)st;
	Clusters__V1__Competition *c = valid();
	c->rounds[0]->aggregation = 7;
	expect(c, CD_EV_DEFINITION, "rounds[0].aggregation: unknown value 7; "
	       "accepted: AGGREGATION_UNSPECIFIED, "
	       "AGGREGATION_WEIGHTED_ARITHMETIC, "
	       "AGGREGATION_WEIGHTED_GEOMETRIC, AGGREGATION_WEIGHTED_HARMONIC, "
	       "AGGREGATION_MEDIAN, AGGREGATION_COPELAND");
	c = valid();
	c->rounds[0]->aggregation = 6;
	expect(c, CD_EV_DEFINITION, "rounds[0].aggregation: unknown value 6; "
	       "accepted: AGGREGATION_UNSPECIFIED, "
	       "AGGREGATION_WEIGHTED_ARITHMETIC, "
	       "AGGREGATION_WEIGHTED_GEOMETRIC, AGGREGATION_WEIGHTED_HARMONIC, "
	       "AGGREGATION_MEDIAN, AGGREGATION_COPELAND");
	for (int a = 3; a <= 5; a++) {
		c = valid();
		c->rounds[1]->aggregation = a;
		expect(c, CD_OK, "");
	}
	c = valid();
	c->rounds[1]->missing = 3;
	expect(c, CD_EV_DEFINITION, "rounds[1].missing: unknown value 3; "
	       "accepted: MISSING_POLICY_UNSPECIFIED, MISSING_POLICY_EXCLUDE, "
	       "MISSING_POLICY_SCORE_ZERO");
}

static void t_tie_break(void **st)
{
	(void)st;
	Clusters__V1__Competition *c = valid();
	th_tie(c->rounds[0], "nope");
	expect(c, CD_EV_DEFINITION,
	       "rounds[0].tie_break[1]: unknown criterion \"nope\"");
	c = valid();
	th_tie(c->rounds[0], "rd");
	expect(c, CD_EV_DUPLICATE,
	       "rounds[0].tie_break[1]: \"rd\" is listed twice");
}

static void t_selection(void **st)
{
	(void)st;
	const char *names[] = { "top_n", "max_per_economy", "max_per_region",
	                        "max_per_city" };
	for (int i = 0; i < 4; i++) {
		Clusters__V1__Competition *c = valid();
		Clusters__V1__Selection *s = th_sel(c->rounds[1]);
		int32_t *f[] = { &s->top_n, &s->max_per_economy, &s->max_per_region,
		                 &s->max_per_city };
		*f[i] = -2;
		char msg[128];
		snprintf(msg, sizeof(msg),
		         "rounds[1].selection.%s: must be >= 0 (0 = no limit)",
		         names[i]);
		expect(c, CD_EV_DEFINITION, msg);
	}
	Clusters__V1__Competition *c = valid();
	th_min_score(th_sel(c->rounds[0]), NAN);
	expect(c, CD_EV_NONFINITE,
	       "rounds[0].selection.min_score: must be finite");
}

static void t_filters(void **st)
{
	(void)st;
	Clusters__V1__Competition *c = valid();
	c->rounds[0]->eligibility[0]->field = 0;
	expect(c, CD_EV_DEFINITION,
	       "rounds[0].eligibility[0].field: unknown value 0; accepted: "
	       "FILTER_FIELD_ECONOMY, FILTER_FIELD_REGION, FILTER_FIELD_CITY, "
	       "FILTER_FIELD_INDUSTRY, FILTER_FIELD_LABEL, "
	       "FILTER_FIELD_INDICATOR");
	c = valid();
	c->rounds[0]->eligibility[0]->op = 99;
	expect(c, CD_EV_DEFINITION,
	       "rounds[0].eligibility[0].op: unknown value 99; accepted: "
	       "COMPARISON_UNSPECIFIED, COMPARISON_IN, COMPARISON_NOT_IN, "
	       "COMPARISON_GE, COMPARISON_GT, COMPARISON_LE, COMPARISON_LT, "
	       "COMPARISON_EQ, COMPARISON_NE, COMPARISON_PRESENT");
	c = valid();
	th_filter(c->rounds[0], FF(LABEL), "", 0, CMP(PRESENT), NULL, 0);
	expect(c, CD_EV_EMPTY,
	       "rounds[0].eligibility[2].key: a label filter needs a key");
	c = valid();
	th_filter(c->rounds[0], FF(INDICATOR), NULL, 0, CMP(GE), NULL, 0);
	expect(c, CD_EV_EMPTY,
	       "rounds[0].eligibility[2].key: a indicator filter needs a key");
	c = valid();
	th_filter(c->rounds[0], FF(CITY), "x", 0, CMP(IN), "a", 0);
	expect(c, CD_EV_DEFINITION,
	       "rounds[0].eligibility[2].key: only label and indicator filters "
	       "take a key");
	c = valid();
	th_filter(c->rounds[0], FF(REGION), NULL, 0, CMP(IN), NULL, 0);
	expect(c, CD_EV_EMPTY,
	       "rounds[0].eligibility[2].any_of: at least one value is required");
	c = valid();
	th_filter(c->rounds[0], FF(REGION), NULL, 0, CMP(IN), "a", 0);
	free(c->rounds[0]->eligibility[2]->any_of[0]);
	c->rounds[0]->eligibility[2]->any_of[0] = strdup("");
	expect(c, CD_EV_EMPTY,
	       "rounds[0].eligibility[2].any_of[0]: must not be empty");
	c = valid();
	th_filter(c->rounds[0], FF(REGION), NULL, 0, CMP(GE), NULL, 0);
	expect(c, CD_EV_DEFINITION,
	       "rounds[0].eligibility[2].op: text fields compare with "
	       "COMPARISON_IN, COMPARISON_NOT_IN or COMPARISON_PRESENT");
	c = valid();
	th_filter(c->rounds[0], FF(INDUSTRY), NULL, 0, CMP(PRESENT), "a", 0);
	expect(c, CD_EV_DEFINITION,
	       "rounds[0].eligibility[2].any_of: COMPARISON_PRESENT takes no "
	       "values");
	c = valid();
	th_filter(c->rounds[0], FF(REGION), NULL, 2020, CMP(IN), "a", 0);
	expect(c, CD_EV_DEFINITION,
	       "rounds[0].eligibility[2].year: only indicator filters take a "
	       "year");
}

static void t_indicator_filters(void **st)
{
	(void)st;
	Clusters__V1__Competition *c = valid();
	c->rounds[0]->eligibility[1]->op = CMP(IN);
	expect(c, CD_EV_DEFINITION,
	       "rounds[0].eligibility[1].op: indicators compare with "
	       "COMPARISON_GE, _GT, _LE, _LT, _EQ, _NE or _PRESENT");
	c = valid();
	c->rounds[0]->eligibility[1]->year = 1700;
	expect(c, CD_EV_YEAR,
	       "rounds[0].eligibility[1].year: 1700 is outside 1800..2200 "
	       "(0 = latest)");
	c = valid();
	c->rounds[0]->eligibility[1]->threshold = -INFINITY;
	expect(c, CD_EV_NONFINITE,
	       "rounds[0].eligibility[1].threshold: must be finite");
	c = valid();
	th_filter(c->rounds[0], FF(INDICATOR), "x", 0, CMP(LT), "a", 0);
	expect(c, CD_EV_DEFINITION,
	       "rounds[0].eligibility[2].any_of: indicator filters use "
	       "threshold");
}

static void t_counts(void **st)
{
	(void)st;
	Clusters__V1__Competition *c = valid();
	for (int i = 0; i < ENGINE_MAX_ROUNDS; i++) {
		char name[16];
		snprintf(name, sizeof(name), "r%d", i);
		th_crit(th_round(c, name), "k", 1, NORM(NONE));
	}
	expect(c, CD_EV_COUNT, "rounds: at most 16 rounds");
	c = valid();
	for (int i = 0; i < ENGINE_MAX_CRITERIA; i++) {
		char id[16];
		snprintf(id, sizeof(id), "k%d", i);
		th_crit(c->rounds[1], id, 1, NORM(NONE));
	}
	expect(c, CD_EV_COUNT, "rounds[1].criteria: at most 64 criteria");
	c = valid();
	for (int i = 0; i <= ENGINE_MAX_FILTERS; i++)
		th_filter(c->rounds[1], FF(REGION), NULL, 0, CMP(IN), "a", 0);
	expect(c, CD_EV_COUNT, "rounds[1].eligibility: at most 64 filters");
	c = valid();
	for (int i = 0; i <= ENGINE_MAX_PARAMS; i++) {
		char k[16];
		snprintf(k, sizeof(k), "p%d", i);
		th_param(c->rounds[0]->criteria[0], k, "1");
	}
	expect(c, CD_EV_COUNT, "rounds[0].criteria[0].params: at most 64 "
	       "params");
}

/* The plugin registry's check: knows "fixed" and its one param "year". */
static int check(void *arg, const Clusters__V1__Criterion *c,
                 const char **field, char *err, size_t errlen)
{
	int *calls = arg;
	(*calls)++;
	if (strcmp(c->plugin, "fixed") != 0) {
		*field = "plugin";
		return cd_fail(err, errlen, CD_EV_DEFINITION,
		               "unknown plugin \"%s\"", c->plugin);
	}
	for (size_t i = 0; i < c->n_params; i++) {
		const char *k = c->params[i]->key, *v = c->params[i]->value;
		if (strcmp(k, "year") != 0 || atoi(v) < 1800) {
			*field = "params";
			return cd_fail(err, errlen, CD_EV_DEFINITION,
			               "bad param %s=%s", k, v);
		}
	}
	return CD_OK;
}

static void t_plugin_check(void **st)
{
	(void)st;
	char err[256];
	int calls = 0;
	Clusters__V1__Competition *c = valid();
	th_param(c->rounds[0]->criteria[0], "year", "2020");
	assert_int_equal(engine_def_validate(c, check, &calls, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(calls, 3);
	th_comp_free(c);

	c = valid();
	free(c->rounds[1]->criteria[0]->plugin);
	c->rounds[1]->criteria[0]->plugin = strdup("nosuch");
	assert_int_equal(engine_def_validate(c, check, &calls, err, sizeof(err)),
	                 CD_EV_DEFINITION);
	assert_string_equal(err, "rounds[1].criteria[0].plugin: unknown "
	                         "plugin \"nosuch\"");
	th_comp_free(c);

	c = valid();
	th_param(c->rounds[0]->criteria[1], "year", "12");
	assert_int_equal(engine_def_validate(c, check, &calls, err, sizeof(err)),
	                 CD_EV_DEFINITION);
	assert_string_equal(err, "rounds[0].criteria[1].params: bad param "
	                         "year=12");
	th_comp_free(c);
}

static void t_round_name(void **st)
{
	(void)st;
	char buf[32];
	Clusters__V1__Round r = CLUSTERS__V1__ROUND__INIT;
	assert_string_equal(engine_def_round_name(&r, 1, buf, sizeof(buf)),
	                    "round 2");
	r.name = "final";
	assert_string_equal(engine_def_round_name(&r, 1, buf, sizeof(buf)),
	                    "final");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_valid),
		cmocka_unit_test(t_rounds),
		cmocka_unit_test(t_criteria),
		cmocka_unit_test(t_weights),
		cmocka_unit_test(t_normalization),
		cmocka_unit_test(t_round_enums),
		cmocka_unit_test(t_tie_break),
		cmocka_unit_test(t_selection),
		cmocka_unit_test(t_filters),
		cmocka_unit_test(t_indicator_filters),
		cmocka_unit_test(t_counts),
		cmocka_unit_test(t_plugin_check),
		cmocka_unit_test(t_round_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
