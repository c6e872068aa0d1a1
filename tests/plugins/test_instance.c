/* plugin_instance: a plugin that returns garbage fails its run, with the
 * plugin and the reason named, and the host carries on; run notes (SDK
 * 2.1) are kept per score call, checked by the host, and a plugin built
 * for 2.0 runs as before. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "cd_error.h"
#include "plugin_internal.h"
#include "pt_util.h"

static char dir[512];
static plugin_cohort_t *cohort;

static int setup(void **st)
{
	(void)st;
	pt_mkdtemp(dir, sizeof(dir));
	pt_copy(PT_FIXTURE_DIR "/fx_garbage.so", dir, "garbage.so", 0644);
	pt_copy(PT_FIXTURE_DIR "/fx_good.so", dir, "good.so", 0644);
	pt_copy(PT_FIXTURE_DIR "/fx_abi20.so", dir, "abi20.so", 0644);
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

/* fx_good's notes (fx_notes): "scored" recorded twice, the last value
 * kept, and "text" cut at CP_NOTE_MAX - 1 bytes less the half character:
 * "xx" and 510 two-byte characters. */
static void expect_fx_notes(const plugin_instance_t *inst)
{
	size_t n;
	const plugin_note_t *v = plugin_instance_notes(inst, &n);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].key, "scored");
	assert_string_equal(v[0].value, "2 clusters");
	assert_string_equal(v[1].key, "text");
	char want[CP_NOTE_MAX] = "xx";
	for (size_t i = 0; i < 510; i++)
		memcpy(want + 2 + 2 * i, "\xC3\xA9", 2);
	want[2 + 2 * 510] = '\0';
	assert_int_equal(strlen(v[1].value), CP_NOTE_MAX - 2);
	assert_string_equal(v[1].value, want);
}

static void test_run_notes(void **st)
{
	(void)st;
	pt_env_t env;
	pt_env_open(&env, dir);
	plugin_generation_t *g = plugin_registry_acquire(env.reg);
	char err[256];
	double out[2];
	/* The fixture's init checks that run_note fails there. */
	plugin_kv_t kv = { "mode", "note" };
	plugin_instance_t *inst;
	assert_int_equal(plugin_instance_open(&inst, g, "fx_good", &kv, 1, err,
	                                      sizeof(err)), CD_OK);
	size_t n = 1;
	assert_null(plugin_instance_notes(inst, &n));
	assert_int_equal(n, 0);
	assert_int_equal(plugin_instance_score(inst, cohort, out, NULL, err,
	                                       sizeof(err)), CD_OK);
	expect_fx_notes(inst);
	/* Each score starts afresh: the same two notes, not four. */
	assert_int_equal(plugin_instance_score(inst, cohort, out, NULL, err,
	                                       sizeof(err)), CD_OK);
	expect_fx_notes(inst);
	plugin_instance_close(inst);

	/* A call that fails keeps no notes, nor those of the call before. */
	kv.value = "notefail";
	assert_int_equal(plugin_instance_open(&inst, g, "fx_good", &kv, 1, err,
	                                      sizeof(err)), CD_OK);
	assert_int_equal(plugin_instance_score(inst, cohort, out, NULL, err,
	                                       sizeof(err)), CD_EPLUGIN);
	assert_non_null(strstr(err, "failed after noting"));
	assert_null(plugin_instance_notes(inst, &n));
	assert_int_equal(n, 0);
	plugin_instance_close(inst);

	/* A plugin that notes nothing has nothing. */
	assert_int_equal(plugin_instance_open(&inst, g, "fx_good", NULL, 0, err,
	                                      sizeof(err)), CD_OK);
	assert_int_equal(plugin_instance_score(inst, cohort, out, NULL, err,
	                                       sizeof(err)), CD_OK);
	assert_null(plugin_instance_notes(inst, &n));
	assert_int_equal(n, 0);
	plugin_instance_close(inst);
	plugin_generation_release(g);
	pt_env_close(&env);
}

/* The run_note service itself, every refusal. */
static void test_run_note_service(void **st)
{
	(void)st;
	plugin_host_ctx_t ctx = { .plugin_name = "t" };
	cp_host_t h;
	plugin_host_setup(&h, &ctx);
	assert_int_equal(h.abi_minor, CP_ABI_MINOR);
	assert_true(CP_HOST_HAS(&h, run_note));
	/* Appended where 2.0's table ended: a 2.0 plugin reads the same
	 * offsets as before. */
	assert_int_equal(offsetof(cp_host_t, run_note),
	                 offsetof(cp_host_t, label) + sizeof(h.label));
	/* Outside score(). */
	assert_int_equal(cp_run_note(&h, "k", "v"), CP_EFAIL);
	ctx.scoring = 1;
	char key[80];
	memset(key, 'k', 64);
	key[64] = '\0';
	assert_int_equal(h.run_note(&h, key, "64-byte key"), CP_OK);
	key[64] = 'k';
	key[65] = '\0';
	assert_int_equal(h.run_note(&h, key, "65-byte key"), CP_EPARAM);
	static const char *const bad_keys[] = { "", "Upper", ".dot", "-dash",
	                                        "sp ace", "k\xC3\xA9" };
	for (size_t i = 0; i < sizeof(bad_keys) / sizeof(*bad_keys); i++)
		assert_int_equal(h.run_note(&h, bad_keys[i], "v"), CP_EPARAM);
	assert_int_equal(h.run_note(&h, NULL, "v"), CP_EPARAM);
	assert_int_equal(h.run_note(&h, "k", NULL), CP_EPARAM);
	/* A control character, a truncated sequence, an overlong form, a
	 * surrogate: not text for a run. */
	static const char *const bad_values[] = { "a\tb", "line\n", "\x7F",
	                                          "\xC3", "\xC0\xAF",
	                                          "\xED\xA0\x80" };
	for (size_t i = 0; i < sizeof(bad_values) / sizeof(*bad_values); i++)
		assert_int_equal(h.run_note(&h, "k", bad_values[i]), CP_EPARAM);
	assert_int_equal(ctx.nnotes, 1);
	/* What lies past the kept CP_NOTE_MAX - 1 bytes is not looked at. */
	char value[CP_NOTE_MAX + 8];
	memset(value, 'a', CP_NOTE_MAX - 1);
	strcpy(value + CP_NOTE_MAX - 1, "\xFF\x01");
	assert_int_equal(h.run_note(&h, "long", value), CP_OK);
	assert_int_equal(strlen(ctx.notes[1].value), CP_NOTE_MAX - 1);
	assert_int_equal(h.run_note(&h, "empty", ""), CP_OK);
	/* CP_NOTES_MAX keys, then no new one; an old one still changes. */
	for (size_t i = ctx.nnotes; i < CP_NOTES_MAX; i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		assert_int_equal(cp_run_note(&h, key, "%zu", i), CP_OK);
	}
	assert_int_equal(cp_run_note(&h, "one_more", "x"), CP_EFAIL);
	assert_int_equal(cp_run_note(&h, "empty", "now %d", 1), CP_OK);
	assert_int_equal(ctx.nnotes, CP_NOTES_MAX);
	assert_string_equal(ctx.notes[2].key, "empty");
	assert_string_equal(ctx.notes[2].value, "now 1");
	plugin_host_notes_reset(&ctx);
	assert_int_equal(ctx.nnotes, 0);
	/* A 2.0 server's table ends before run_note: the helper says so
	 * and calls nothing. */
	h.struct_size = offsetof(cp_host_t, run_note);
	assert_false(CP_HOST_HAS(&h, run_note));
	assert_int_equal(cp_run_note(&h, "k", "v"), CP_EFAIL);
	assert_int_equal(ctx.nnotes, 0);
}

/* A plugin built for ABI 2.0 loads and scores as before; it notes
 * nothing. */
static void test_abi20_plugin(void **st)
{
	(void)st;
	pt_env_t env;
	pt_env_open(&env, dir);
	plugin_generation_t *g = plugin_registry_acquire(env.reg);
	const plugin_info_t *in = plugin_generation_find(g, "fx_abi20");
	assert_non_null(in);
	assert_int_equal(in->abi_major, 2);
	assert_int_equal(in->abi_minor, 0);
	plugin_generation_release(g);
	double out[2];
	const char *factor[] = { "factor=3", NULL };
	assert_int_equal(pt_score(&env, "fx_abi20", factor, cohort, out, NULL),
	                 CD_OK);
	assert_true(out[0] == 3);
	assert_true(isnan(out[1]));
	size_t n;
	assert_null(plugin_instance_notes(env.inst, &n));
	assert_int_equal(n, 0);
	pt_env_close(&env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_log_limit),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_run_notes),
		cmocka_unit_test(test_run_note_service),
		cmocka_unit_test(test_abi20_plugin),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
