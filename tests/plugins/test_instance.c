/* plugin_instance: a plugin that returns garbage fails its run, with the
 * plugin and the reason named, and the host carries on. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "cd_error.h"
#include "pt_util.h"

static char dir[512];
static plugin_cohort_t *cohort;

static int setup(void **st)
{
	(void)st;
	pt_mkdtemp(dir, sizeof(dir));
	pt_copy(PT_FIXTURE_DIR "/fx_garbage.so", dir, "garbage.so", 0644);
	pt_copy(PT_FIXTURE_DIR "/fx_good.so", dir, "good.so", 0644);
	cohort = pt_cohort();
	pt_cluster(cohort, "first");
	pt_ind(cohort, "x", 2020, 1);
	pt_cluster(cohort, "second");
	pt_seal(cohort);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	plugin_cohort_destroy(cohort);
	pt_rmdir(dir);
	return 0;
}

static void expect_fail(pt_env_t *env, const char *mode, const char *words)
{
	char param[64];
	snprintf(param, sizeof(param), "mode=%s", mode);
	const char *params[] = { param, NULL };
	double out[2];
	assert_int_equal(pt_score(env, "fx_garbage", params, cohort, out, NULL),
	                 CD_EPLUGIN);
	assert_non_null(strstr(env->err, "plugin 'fx_garbage'"));
	if (!strstr(env->err, words))
		fail_msg("'%s' lacks '%s'", env->err, words);
}

static void test_garbage(void **st)
{
	(void)st;
	pt_env_t env;
	pt_env_open(&env, dir);
	/* An infinity is no score, with the reason ahead of the plugin's. */
	static const char *const inf[][2] = {
		{ "mode=inf", "+Inf is not a finite number; no 'x'" },
		{ "mode=ninf", "-Inf is not a finite number; no 'x'" },
	};
	for (size_t i = 0; i < 2; i++) {
		const char *params[] = { inf[i][0], NULL };
		double out[2];
		const char *reasons[2];
		assert_int_equal(pt_score(&env, "fx_garbage", params, cohort, out,
		                          reasons), CD_OK);
		assert_true(out[0] == 1);
		assert_null(reasons[0]);
		assert_true(isnan(out[1]));
		assert_string_equal(reasons[1], inf[i][1]);
	}
	expect_fail(&env, "fail", "failed: deliberate failure (CP_EFAIL, code 4)");
	expect_fail(&env, "data", "cannot score this data (CP_EDATA, code 2)");
	/* The same plugin, well used, and another plugin still work. */
	double out[2];
	const char *reasons[2];
	assert_int_equal(pt_score(&env, "fx_garbage", NULL, cohort, out,
	                          reasons), CD_OK);
	assert_true(out[0] == 1);
	assert_null(reasons[0]);
	assert_true(isnan(out[1]));
	assert_string_equal(reasons[1], "no 'x'");
	assert_int_equal(pt_score(&env, "fx_good", NULL, cohort, out, NULL),
	                 CD_OK);
	assert_true(out[0] == 1);
	/* Its log line carries the plugin's name. */
	assert_non_null(strstr(env.log, "plugin 'fx_good': scored 2 clusters"));
	pt_env_close(&env);
}

/* The host keeps CP_LOG_MAX - 1 bytes of a plugin's log message, less when
 * that would split a UTF-8 character. */
static void test_log_limit(void **st)
{
	(void)st;
	pt_env_t env;
	pt_env_open(&env, dir);
	const char *params[] = { "mode=log", NULL };
	double out[2];
	assert_int_equal(pt_score(&env, "fx_good", params, cohort, out, NULL),
	                 CD_OK);
	char want[CP_LOG_MAX + 64];
	size_t k = (size_t)snprintf(want, sizeof(want), "] plugin 'fx_good': ");
	memset(want + k, 'y', CP_LOG_MAX - 1);
	strcpy(want + k + CP_LOG_MAX - 1, "\n");
	if (!strstr(env.log, want))
		fail_msg("no line of %d bytes of 'y' in the log", CP_LOG_MAX - 1);
	/* "xx" then two-byte characters: byte CP_LOG_MAX - 1 would be the
	 * second half of one, so that one goes too. */
	k = (size_t)snprintf(want, sizeof(want), "] plugin 'fx_good': xx");
	for (size_t i = 0; i < (CP_LOG_MAX - 4) / 2; i++, k += 2)
		memcpy(want + k, "\xC3\xA9", 2);
	strcpy(want + k, "\n");
	if (!strstr(env.log, want))
		fail_msg("no line of 'xx' and %d two-byte characters in the log",
		         (CP_LOG_MAX - 4) / 2);
	pt_env_close(&env);
}

static void test_open_errors(void **st)
{
	(void)st;
	pt_env_t env;
	pt_env_open(&env, dir);
	double out[2];
	assert_int_equal(pt_score(&env, "nope", NULL, cohort, out, NULL),
	                 CD_ENOTFOUND);
	assert_non_null(strstr(env.err, "no plugin named 'nope'"));
	const char *bad_type[] = { "factor=abc", NULL };
	assert_int_equal(pt_score(&env, "fx_good", bad_type, cohort, out, NULL),
	                 CD_EV_DEFINITION);
	assert_non_null(strstr(env.err, "plugin 'fx_good': param 'factor'"));
	const char *unknown[] = { "colour=red", NULL };
	assert_int_equal(pt_score(&env, "fx_good", unknown, cohort, out, NULL),
	                 CD_EV_DEFINITION);
	assert_non_null(strstr(env.err, "unknown param 'colour'"));
	/* The plugin's own init check maps to a definition error too. */
	const char *zero[] = { "factor=0", NULL };
	assert_int_equal(pt_score(&env, "fx_good", zero, cohort, out, NULL),
	                 CD_EV_DEFINITION);
	assert_non_null(strstr(env.err, "plugin 'fx_good': init: param "
	                                "'factor' is 0"));

	plugin_generation_t *g = plugin_registry_acquire(env.reg);
	char err[256];
	plugin_kv_t kv = { "mode", "sideways" };
	assert_int_equal(plugin_params_validate(g, "fx_good", &kv, 1, err,
	                                        sizeof(err)), CD_EV_DEFINITION);
	assert_non_null(strstr(err, "param 'mode'"));
	kv.value = "inf";
	assert_int_equal(plugin_params_validate(g, "fx_good", &kv, 1, err,
	                                        sizeof(err)), CD_OK);
	assert_int_equal(plugin_params_validate(g, "nope", &kv, 1, err,
	                                        sizeof(err)), CD_ENOTFOUND);

	/* Scoring needs a sealed cohort; an empty one scores nothing. */
	plugin_instance_t *inst;
	assert_int_equal(plugin_instance_open(&inst, g, "fx_good", NULL, 0, err,
	                                      sizeof(err)), CD_OK);
	plugin_cohort_t *open_c = pt_cohort();
	assert_int_equal(plugin_instance_score(inst, open_c, out, NULL, err,
	                                       sizeof(err)), CD_EPRECONDITION);
	pt_seal(open_c);
	assert_int_equal(plugin_instance_score(inst, open_c, out, NULL, err,
	                                       sizeof(err)), CD_OK);
	plugin_cohort_destroy(open_c);
	plugin_instance_close(inst);
	plugin_instance_close(NULL);
	plugin_generation_release(g);
	pt_env_close(&env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_log_limit),
		cmocka_unit_test(test_open_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
