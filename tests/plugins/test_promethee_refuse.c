/* promethee: every refusal (params, each with its message naming the
 * param or the indicator; the gaussian preference over its limit) and
 * every out-of-memory path. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cd_error.h"
#include "plugin_internal.h"
#include "pm_flow.h"
#include "pt_util.h"

static pt_env_t env;

static int setup(void **st)
{
	(void)st;
	pt_env_open(&env, PT_BUILTIN_DIR);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	pt_env_close(&env);
	return 0;
}

static void expect_param_error(const char *const *params, const char *word)
{
	plugin_cohort_t *c = pt_cohort();
	pt_seal(c);
	double out[1];
	assert_int_equal(pt_score(&env, "promethee", params, c, out, NULL),
	                 CD_EV_DEFINITION);
	if (!strstr(env.err, word))
		fail_msg("'%s' lacks '%s'", env.err, word);
	plugin_cohort_destroy(c);
}

static void test_bad_params(void **st)
{
	(void)st;
	static const struct {
		const char *p[6];
		const char *word;
	} bad[] = {
		{ { NULL }, "missing required param 'indicators'" },
		{ { "indicators=x,x" }, "param 'indicators' repeats 'x'" },
		{ { "indicators=x,y", "weights=1" },
		  "param 'weights' has 1 items, expected 2" },
		{ { "indicators=x,y", "weights=0,0" }, "param 'weights' sum to 0" },
		{ { "indicators=x,y", "weights=entropi" },
		  "param 'weights': 'entropi' is neither a number nor one of "
		  "equal, entropy, critic, stddev" },
		{ { "indicators=x", "weights=CRITIC" },
		  "param 'weights': 'CRITIC' is neither a number nor one of "
		  "equal, entropy, critic, stddev" },
		{ { "indicators=x,y", "directions=cost" },
		  "param 'directions' has 1 items, expected 2" },
		{ { "indicators=x,y", "directions=benefit,up" },
		  "param 'directions': 'up' is neither benefit nor cost" },
		{ { "indicators=x,y", "year=2020", "from=2019", "to=2021" },
		  "param 'year' cannot be combined" },
		{ { "indicators=x,y", "preference=usual" },
		  "param 'preference' has 1 items, expected 2" },
		{ { "indicators=x,y", "preference=usual,vee" },
		  "param 'preference': 'vee' of 'y' is none of usual, ushape, "
		  "vshape, level, linear, gaussian" },
		{ { "indicators=x,y", "preference=usual,ushape" },
		  "indicator 'y': ushape needs an indifference threshold: give "
		  "its item in param 'q'" },
		{ { "indicators=x,y", "preference=usual,level", "q=-,1" },
		  "indicator 'y': level needs a preference threshold: give its "
		  "item in param 'p'" },
		{ { "indicators=x", "preference=linear", "p=3" },
		  "indicator 'x': linear needs an indifference threshold" },
		{ { "indicators=x", "preference=vshape", "q=-" },
		  "indicator 'x': vshape needs a preference threshold" },
		{ { "indicators=x", "preference=gaussian" },
		  "indicator 'x': gaussian needs a gaussian parameter: give its "
		  "item in param 's'" },
		{ { "indicators=x", "q=1" },
		  "indicator 'x': usual takes no q; give '-' for it in param "
		  "'q'" },
		{ { "indicators=x", "preference=vshape", "q=0", "p=1" },
		  "indicator 'x': vshape takes no q" },
		{ { "indicators=x", "preference=ushape", "q=1", "p=2" },
		  "indicator 'x': ushape takes no p" },
		{ { "indicators=x", "preference=linear", "q=1", "p=2", "s=1" },
		  "indicator 'x': linear takes no s" },
		{ { "indicators=x", "preference=ushape", "q=-1" },
		  "indicator 'x': q = -1 is negative" },
		{ { "indicators=x", "preference=level", "q=2", "p=2" },
		  "indicator 'x': level needs p > q (p = 2, q = 2)" },
		{ { "indicators=x", "preference=linear", "q=3", "p=1" },
		  "indicator 'x': linear needs p > q (p = 1, q = 3)" },
		{ { "indicators=x", "preference=vshape", "p=0" },
		  "indicator 'x': vshape needs p > 0 (p = 0)" },
		{ { "indicators=x", "preference=gaussian", "s=-2" },
		  "indicator 'x': gaussian needs s > 0 (s = -2)" },
		{ { "indicators=x,y", "q=1" },
		  "param 'q' has 1 items, expected 2 (one per indicator, '-' "
		  "where unused)" },
		{ { "indicators=x,y", "preference=ushape,usual", "q=two,-" },
		  "param 'q': item 'two' of 'x' is neither a finite number nor "
		  "'-'" },
		{ { "indicators=x", "preference=vshape", "p=1e999" },
		  "param 'p': item '1e999' of 'x'" },
		{ { "indicators=x", "preference=gaussian", "s=1x" },
		  "param 's': item '1x' of 'x'" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_param_error(bad[i].p, bad[i].word);
}

static void test_gaussian_limit(void **st)
{
	(void)st;
	/* One complete cluster over the limit (k0 lacks z and does not
	 * count): refused before any pair is summed, naming the indicator,
	 * the limit and what to use instead. The other functions have no
	 * limit. */
	size_t n = PM_GAUSSIAN_MAX + 2;
	plugin_cohort_t *c = pt_cohort();
	char id[32];
	for (size_t i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "k%zu", i);
		pt_cluster(c, id);
		pt_ind(c, "x", 2022, (double)(i % 1000));
		if (i)
			pt_ind(c, "z", 2022, 1);
	}
	pt_seal(c);
	double *out = test_malloc(n * sizeof(*out));
	const char *p[] = { "indicators=x,z", "preference=gaussian,usual",
	                    "s=10,-", NULL };
	assert_int_equal(pt_score(&env, "promethee", p, c, out, NULL),
	                 CD_EPLUGIN);
	char want[256];
	snprintf(want, sizeof(want), "indicator 'x': the gaussian preference "
	         "compares every pair of clusters and is limited to %d of "
	         "them (%zu here); use vshape or linear", PM_GAUSSIAN_MAX,
	         n - 1);
	if (!strstr(env.err, want))
		fail_msg("'%s' lacks '%s'", env.err, want);
	assert_non_null(strstr(env.err, "CP_EDATA"));
	const char *v[] = { "indicators=x,z", "preference=vshape,usual",
	                    "p=10,-", NULL };
	if (pt_score(&env, "promethee", v, c, out, NULL))
		fail_msg("%s", env.err);
	assert_true(isnan(out[0]));
	assert_false(isnan(out[1]));
	plugin_cohort_destroy(c);
	test_free(out);
}

/* An allocator that fails once `left` allocations have succeeded. */
static long alloc_left;
static void *(*real_alloc)(const cp_host_t *, size_t);

static void *failing_alloc(const cp_host_t *h, size_t size)
{
	if (alloc_left-- <= 0)
		return NULL;
	return real_alloc(h, size);
}

static void test_out_of_memory(void **st)
{
	(void)st;
	/* The plugin called directly with a host whose allocator fails at
	 * the first, second, ... allocation, until a run needs no more:
	 * each failure is CP_ENOMEM, frees what was allocated (the
	 * sanitizers check) and leaves no score. */
	plugin_generation_t *g = plugin_registry_acquire(env.reg);
	const plugin_loaded_t *pl = NULL;
	for (size_t i = 0; i < g->n; i++)
		if (!strcmp(g->p[i].info.name, "promethee"))
			pl = &g->p[i];
	assert_non_null(pl);
	plugin_kv_t kv[] = { { "indicators", "a,b" },
	                     { "preference", "linear,gaussian" },
	                     { "q", "1,-" }, { "p", "3,-" }, { "s", "-,2" } };
	char err[512];
	plugin_params_t *params;
	assert_int_equal(plugin_params_build(&params, pl->info.params,
	                                     pl->info.nparams, kv, 5, "", err,
	                                     sizeof(err)),
	                 CD_OK);
	plugin_cohort_t *c = pt_cohort();
	for (int i = 0; i < 5; i++) {
		char id[8];
		snprintf(id, sizeof(id), "k%d", i);
		pt_cluster(c, id);
		pt_ind(c, "a", 2022, i);
		pt_ind(c, "b", 2022, 5 - i);
	}
	pt_seal(c);
	plugin_host_ctx_t ctx = { .plugin_name = "promethee" };
	cp_host_t h;
	plugin_host_setup(&h, &ctx);
	real_alloc = h.alloc;
	h.alloc = failing_alloc;
	double out[5];
	const char *reasons[5];
	long fails = 0;
	for (long at = 0;; at++) {
		void *state = NULL;
		for (int i = 0; i < 5; i++)
			out[i] = NAN;
		alloc_left = at;
		int rc = pl->desc->init(&h, params, &state, err, sizeof(err));
		if (rc == CP_OK) {
			rc = pl->desc->score(&h, state, c, out, reasons, 5, err,
			                     sizeof(err));
			pl->desc->fini(&h, state);
		}
		plugin_host_scratch_reset(&ctx);
		if (rc == CP_OK)
			break;
		assert_int_equal(rc, CP_ENOMEM);
		assert_string_equal(err, "out of memory");
		assert_true(isnan(out[0]));
		fails++;
	}
	/* init's state; score's values, indexes and scratch. */
	assert_int_equal(fails, 4);
	assert_false(isnan(out[0]));
	plugin_cohort_destroy(c);
	plugin_params_destroy(params);
	plugin_generation_release(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_gaussian_limit),
		cmocka_unit_test(test_out_of_memory),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
