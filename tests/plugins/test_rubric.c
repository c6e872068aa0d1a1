/* rubric: label levels to points; an unknown level fails the run. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "cd_error.h"
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

static const char *const table[] = {
	"label=maturity", "points=leading:100, advanced:70,developing:40.5",
	NULL };

static void test_levels(void **st)
{
	(void)st;
	plugin_cohort_t *c = pt_cohort();
	pt_cluster(c, "a");
	pt_label(c, "maturity", "leading");
	pt_cluster(c, "b");
	pt_label(c, "maturity", "developing");
	pt_label(c, "size", "large");
	pt_cluster(c, "c");
	pt_label(c, "size", "small");
	pt_seal(c);
	double out[3];
	const char *r[3];
	assert_int_equal(pt_score(&env, "rubric", table, c, out, r), CD_OK);
	assert_true(out[0] == 100);
	assert_true(out[1] == 40.5);
	assert_true(isnan(out[2]));
	assert_string_equal(r[2], "no label 'maturity'");
	plugin_cohort_destroy(c);

	/* One cluster; all equal. */
	c = pt_cohort();
	pt_cluster(c, "x");
	pt_label(c, "maturity", "advanced");
	pt_cluster(c, "y");
	pt_label(c, "maturity", "advanced");
	pt_seal(c);
	assert_int_equal(pt_score(&env, "rubric", table, c, out, r), CD_OK);
	assert_true(out[0] == 70 && out[1] == 70);
	plugin_cohort_destroy(c);
}

static void test_unknown_level(void **st)
{
	(void)st;
	plugin_cohort_t *c = pt_cohort();
	pt_cluster(c, "ok");
	pt_label(c, "maturity", "leading");
	pt_cluster(c, "typo");
	pt_label(c, "maturity", "Leading"); /* levels match exactly */
	pt_seal(c);
	double out[2];
	assert_int_equal(pt_score(&env, "rubric", table, c, out, NULL),
	                 CD_EPLUGIN);
	assert_non_null(strstr(env.err, "plugin 'rubric'"));
	assert_non_null(strstr(env.err, "cluster 'typo': maturity='Leading' "
	                                "is not a level of param 'points'"));
	plugin_cohort_destroy(c);
}

static void expect_param_error(const char *const *params, const char *word)
{
	plugin_cohort_t *c = pt_cohort();
	pt_seal(c);
	double out[1];
	assert_int_equal(pt_score(&env, "rubric", params, c, out, NULL),
	                 CD_EV_DEFINITION);
	if (!strstr(env.err, word))
		fail_msg("'%s' lacks '%s'", env.err, word);
	plugin_cohort_destroy(c);
}

static void test_bad_params(void **st)
{
	(void)st;
	const char *a[] = { "points=a:1", NULL };
	expect_param_error(a, "missing required param 'label'");
	const char *b[] = { "label=m", NULL };
	expect_param_error(b, "missing required param 'points'");
	const char *c[] = { "label=m", "points=a", NULL };
	expect_param_error(c, "param 'points': item 'a' is not level:points");
	const char *d[] = { "label=m", "points=a:lots", NULL };
	expect_param_error(d, "param 'points': item 'a:lots'");
	const char *e[] = { "label=m", "points=:5", NULL };
	expect_param_error(e, "param 'points': item ':5'");
	const char *f[] = { "label=m", "points=a:1,a:2", NULL };
	expect_param_error(f, "param 'points': level 'a' given twice");
	const char *g[] = { "label=", "points=a:1", NULL };
	expect_param_error(g, "param 'label' is empty");
	const char *h[] = { "label=m", "points=", NULL };
	expect_param_error(h, "param 'points' needs");
	const char *i[] = { "label=m", "points=a:inf", NULL };
	expect_param_error(i, "param 'points': item 'a:inf'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_unknown_level),
		cmocka_unit_test(test_bad_params),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
