/* plugin_registry: every refusal is logged with the file and the reason,
 * the good plugins keep working, and a reload never unloads a plugin that
 * an open instance still uses. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cd_error.h"
#include "pt_util.h"

#define FX(name) PT_FIXTURE_DIR "/" name ".so"

static char dir[512];

static int setup(void **st)
{
	(void)st;
	pt_mkdtemp(dir, sizeof(dir));
	pt_copy(FX("fx_good"), dir, "good.so", 0644);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	pt_rmdir(dir);
	return 0;
}

/* The good plugin still loads and scores next to the bad file. */
static void expect_good_works(pt_env_t *env)
{
	plugin_cohort_t *c = pt_cohort();
	pt_cluster(c, "a");
	pt_ind(c, "x", 2020, 4);
	pt_seal(c);
	double out[1];
	const char *factor[] = { "factor=2", NULL };
	assert_int_equal(pt_score(env, "fx_good", factor, c, out, NULL), CD_OK);
	assert_true(out[0] == 8); /* 2 * 4 */
	plugin_cohort_destroy(c);
}

/* Puts `file` into the directory as `as`, loads, and checks that exactly
 * it was refused with `why` in both the listing and the log. */
static void expect_refused(const char *file, const char *as, unsigned mode,
                           const char *why)
{
	pt_copy(file, dir, as, mode);
	pt_env_t env;
	pt_env_open(&env, dir);
	plugin_generation_t *g = plugin_registry_acquire(env.reg);
	assert_int_equal(plugin_generation_count(g), 1);
	assert_string_equal(plugin_generation_info(g, 0)->name, "fx_good");
	assert_int_equal(plugin_generation_refused_count(g), 1);
	const plugin_refusal_t *r = plugin_generation_refused(g, 0);
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, as);
	assert_string_equal(r->path, path);
	if (!strstr(r->reason, why))
		fail_msg("reason '%s' lacks '%s'", r->reason, why);
	char line[1200];
	snprintf(line, sizeof(line), "refused %s: ", path);
	assert_non_null(strstr(env.log, line));
	assert_non_null(strstr(env.log, why));
	assert_null(plugin_generation_refused(g, 1));
	plugin_generation_release(g);
	expect_good_works(&env);
	pt_env_close(&env);
	char p[1024];
	snprintf(p, sizeof(p), "%s/%s", dir, as);
	unlink(p);
}

/* A plugin built for another major is refused with what it was built
 * for and the remedy; an ABI 1 plugin (cp_plugin_entry_v1 only) above
 * all, since every plugin written before 2.0 is one. */
static void test_wrong_abi_major(void **st)
{
	(void)st;
	expect_refused(FX("fx_abi1"), "abi1.so", 0644,
	               "built for plugin ABI 1 (cp_plugin_entry_v1); this "
	               "server supports ABI 2 only: rebuild it against "
	               "clusterplugin.h ABI 2");
	expect_refused(FX("fx_abi3"), "abi3.so", 0644,
	               "built for plugin ABI 3 (cp_plugin_entry_v3); this "
	               "server supports ABI 2 only: rebuild it against "
	               "clusterplugin.h ABI 2 or use a newer server");
	/* Its minor is the header's: only the major is wrong. */
	char why[96];
	snprintf(why, sizeof(why), "descriptor says plugin ABI 3.%d; this "
	         "server supports 2.x", CP_ABI_MINOR);
	expect_refused(FX("fx_desc_major3"), "major3.so", 0644, why);
}

static void test_no_entry(void **st)
{
	(void)st;
	expect_refused(FX("fx_noentry"), "noentry.so", 0644,
	               "no entry function cp_plugin_entry_v2");
}

static void test_bad_descriptor(void **st)
{
	(void)st;
	expect_refused(FX("fx_badsize"), "badsize.so", 0644,
	               "struct_size 16 is smaller than ABI 2.0's");
	/* A spec that ends before `names`, as in ABI 1.0. */
	char why[128];
	snprintf(why, sizeof(why), "param_spec_size %zu is smaller than ABI "
	         "2.0's %zu", offsetof(cp_param_spec_t, names),
	         offsetof(cp_param_spec_t, names) + sizeof(uint32_t));
	expect_refused(FX("fx_badspecsize"), "badspecsize.so", 0644, why);
	expect_refused(FX("fx_noname"), "noname.so", 0644,
	               "missing or invalid plugin name");
	expect_refused(FX("fx_noscore"), "noscore.so", 0644, "no score hook");
	expect_refused(FX("fx_baddefault"), "baddefault.so", 0644,
	               "bad default: param 'n': 'ten' is not an integer");
}

static void test_failing_init_and_load(void **st)
{
	(void)st;
	expect_refused(FX("fx_failinit"), "failinit.so", 0644,
	               "init failed with default params (CP_EFAIL, code 4): "
	               "cannot "
	               "reach the licence server");
	expect_refused(FX("fx_failload"), "failload.so", 0644,
	               "load hook failed (CP_EFAIL, code 4): missing data "
	               "file");
}

static void test_duplicate_name(void **st)
{
	(void)st;
	/* Files load in name order: good.so first, so the later one loses. */
	expect_refused(FX("fx_dup"), "zz_dup.so", 0644,
	               "duplicate plugin name 'fx_good'");
}

static void test_not_elf(void **st)
{
	(void)st;
	char p[1024];
	snprintf(p, sizeof(p), "%s/text.so", dir);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs("this is not a shared object\n", f);
	fclose(f);
	char src[1100];
	snprintf(src, sizeof(src), "%s.orig", p);
	rename(p, src);
	expect_refused(src, "text.so", 0644, "not a shared object (no ELF");
	unlink(src);
	/* An ELF file that is not a shared object: a test executable. */
	snprintf(src, sizeof(src), "/proc/self/exe");
	char self[1024];
	ssize_t n = readlink(src, self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	/* PIE executables are ET_DYN too; accept either refusal reason. */
	pt_copy(self, dir, "exe.so", 0644);
	pt_env_t env;
	pt_env_open(&env, dir);
	plugin_generation_t *g = plugin_registry_acquire(env.reg);
	assert_int_equal(plugin_generation_count(g), 1);
	assert_int_equal(plugin_generation_refused_count(g), 1);
	plugin_generation_release(g);
	pt_env_close(&env);
	snprintf(p, sizeof(p), "%s/exe.so", dir);
	unlink(p);
}

static void test_world_writable(void **st)
{
	(void)st;
	expect_refused(FX("fx_other"), "other.so", 0666,
	               "world-writable (mode 0666)");
	/* Group-writable too: anyone in the group could replace the code. */
	expect_refused(FX("fx_other"), "other.so", 0664,
	               "writable by its group (mode 0664)");
}

/* --plugin-dir-insecure accepts a group-writable file (and another
 * owner, and a writable directory), never a world-writable one. */
static void test_insecure_override(void **st)
{
	(void)st;
	char p[1024];
	snprintf(p, sizeof(p), "%s/other.so", dir);
	pt_copy(FX("fx_other"), dir, "other.so", 0664);
	chmod(p, 0664);   /* whatever the umask did */
	pt_env_t env;
	pt_env_open_insecure(&env, dir);
	plugin_generation_t *g = plugin_registry_acquire(env.reg);
	assert_non_null(plugin_generation_find(g, "fx_other"));
	assert_int_equal(plugin_generation_refused_count(g), 0);
	assert_non_null(strstr(env.log, "--plugin-dir-insecure"));
	plugin_generation_release(g);
	pt_env_close(&env);

	assert_int_equal(chmod(p, 0666), 0);
	pt_env_open_insecure(&env, dir);
	g = plugin_registry_acquire(env.reg);
	assert_null(plugin_generation_find(g, "fx_other"));
	assert_int_equal(plugin_generation_refused_count(g), 1);
	assert_non_null(strstr(plugin_generation_refused(g, 0)->reason,
	                       "world-writable"));
	plugin_generation_release(g);
	pt_env_close(&env);
	unlink(p);
}

static void test_symlink_and_other_files(void **st)
{
	(void)st;
	char p[1024], q[1024];
	snprintf(p, sizeof(p), "%s/link.so", dir);
	assert_int_equal(symlink(FX("fx_other"), p), 0);
	/* Files not named *.so are not even looked at. */
	pt_copy(FX("fx_other"), dir, "other.so.disabled", 0644);
	snprintf(q, sizeof(q), "%s/sub.so", dir);
	assert_int_equal(mkdir(q, 0700), 0);
	pt_env_t env;
	pt_env_open(&env, dir);
	plugin_generation_t *g = plugin_registry_acquire(env.reg);
	assert_int_equal(plugin_generation_count(g), 1);
	assert_int_equal(plugin_generation_refused_count(g), 2);
	assert_non_null(strstr(plugin_generation_refused(g, 0)->reason,
	                       "symbolic link"));
	assert_non_null(strstr(plugin_generation_refused(g, 1)->reason,
	                       "not a regular file"));
	plugin_generation_release(g);
	pt_env_close(&env);
	unlink(p);
	rmdir(q);
	snprintf(p, sizeof(p), "%s/other.so.disabled", dir);
	unlink(p);
}

static void test_listing(void **st)
{
	(void)st;
	pt_copy(FX("fx_other"), dir, "a_other.so", 0644);
	pt_env_t env;
	pt_env_open(&env, dir);
	plugin_generation_t *g = plugin_registry_acquire(env.reg);
	assert_int_equal(plugin_generation_number(g), 1);
	assert_int_equal(plugin_generation_count(g), 2);
	/* Sorted by plugin name, not file name. */
	const plugin_info_t *i0 = plugin_generation_info(g, 0);
	assert_string_equal(i0->name, "fx_good");
	assert_string_equal(plugin_generation_info(g, 1)->name, "fx_other");
	assert_null(plugin_generation_info(g, 2));
	assert_string_equal(i0->version, "9.9");
	assert_string_equal(i0->kind_name, "quantitative");
	assert_int_equal(i0->kind, CP_QUANTITATIVE);
	assert_int_equal(i0->abi_major, CP_ABI_MAJOR);
	assert_int_equal(i0->abi_minor, CP_ABI_MINOR);
	assert_int_equal(i0->nparams, 4);
	/* What a param names: an indicator; nothing for a kind this server
	 * does not know or on a number param. */
	assert_int_equal(i0->params[0].names, CP_NAMES_INDICATOR);
	assert_string_equal(i0->params[1].name, "factor_source");
	assert_int_equal(i0->params[1].names, CP_NAMES_NOTHING);
	assert_string_equal(i0->params[2].name, "factor");
	assert_int_equal(i0->params[2].names, CP_NAMES_NOTHING);
	assert_string_equal(i0->params[2].type_name, "number");
	assert_string_equal(i0->params[2].default_value, "1");
	assert_string_equal(i0->params[3].type_name, "enum");
	assert_int_equal(i0->params[3].nchoices, 9);
	assert_string_equal(i0->params[3].choices[1], "inf");
	assert_null(plugin_generation_find(g, "nope"));
	assert_non_null(strstr(env.log, "loaded"));
	plugin_generation_release(g);
	pt_env_close(&env);
	char p[1024];
	snprintf(p, sizeof(p), "%s/a_other.so", dir);
	unlink(p);
}

/* A plugin built for a later minor than the server's (a larger descriptor
 * and larger param specs) loads, its specs read with its own stride and
 * its extra fields ignored, and scores. */
static void test_newer_minor_plugin(void **st)
{
	(void)st;
	pt_copy(FX("fx_later"), dir, "later.so", 0644);
	pt_env_t env;
	pt_env_open(&env, dir);
	plugin_generation_t *g = plugin_registry_acquire(env.reg);
	assert_int_equal(plugin_generation_refused_count(g), 0);
	const plugin_info_t *in = plugin_generation_find(g, "fx_later");
	assert_non_null(in);
	assert_int_equal(in->abi_major, 2);
	assert_int_equal(in->abi_minor, CP_ABI_MINOR + 1);
	assert_int_equal(in->nparams, 4);
	assert_string_equal(in->params[0].name, "indicator");
	assert_int_equal(in->params[0].names, CP_NAMES_INDICATOR);
	assert_string_equal(in->params[1].name, "factor_source");
	assert_int_equal(in->params[1].names, CP_NAMES_NOTHING);
	assert_string_equal(in->params[2].default_value, "1");
	assert_string_equal(in->params[3].name, "mode");
	assert_int_equal(in->params[3].nchoices, 9);
	plugin_generation_release(g);
	plugin_cohort_t *c = pt_cohort();
	pt_cluster(c, "a");
	pt_ind(c, "x", 2020, 4);
	pt_seal(c);
	double out[1];
	const char *factor[] = { "factor=3", NULL };
	assert_int_equal(pt_score(&env, "fx_later", factor, c, out, NULL),
	                 CD_OK);
	assert_true(out[0] == 12);
	plugin_cohort_destroy(c);
	pt_env_close(&env);
	char p[1024];
	snprintf(p, sizeof(p), "%s/later.so", dir);
	unlink(p);
}

/* The built-in plugins say which params name indicators, label keys and
 * assessment criteria, so the server can check them against the data. */
static void test_builtin_names(void **st)
{
	(void)st;
	static const struct {
		const char *plugin, *param;
		int names;
	} want[] = {
		{ "indicator", "indicator", CP_NAMES_INDICATOR },
		{ "indicator", "direction", CP_NAMES_NOTHING },
		{ "growth", "indicator", CP_NAMES_INDICATOR },
		{ "st_output", "indicator_a", CP_NAMES_INDICATOR },
		{ "st_output", "indicator_b", CP_NAMES_INDICATOR },
		{ "st_output", "population", CP_NAMES_INDICATOR },
		{ "specialization", "employment", CP_NAMES_INDICATOR },
		{ "specialization", "total_employment", CP_NAMES_INDICATOR },
		{ "specialization", "establishments", CP_NAMES_INDICATOR },
		{ "specialization", "reference_shares", CP_NAMES_NOTHING },
		{ "topsis", "indicators", CP_NAMES_INDICATOR },
		{ "topsis", "weights", CP_NAMES_NOTHING },
		{ "promethee", "indicators", CP_NAMES_INDICATOR },
		{ "promethee", "preference", CP_NAMES_NOTHING },
		{ "promethee", "q", CP_NAMES_NOTHING },
		{ "mcda", "indicators", CP_NAMES_INDICATOR },
		{ "mcda", "method", CP_NAMES_NOTHING },
		{ "mcda", "bounds", CP_NAMES_NOTHING },
		{ "panel", "criteria", CP_NAMES_CRITERION },
		{ "rubric", "label", CP_NAMES_LABEL },
		{ "rubric", "points", CP_NAMES_NOTHING },
	};
	pt_env_t env;
	pt_env_open(&env, PT_BUILTIN_DIR);
	plugin_generation_t *g = plugin_registry_acquire(env.reg);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const plugin_info_t *in = plugin_generation_find(g, want[i].plugin);
		assert_non_null(in);
		const plugin_param_info_t *p = NULL;
		for (size_t j = 0; j < in->nparams && !p; j++)
			if (!strcmp(in->params[j].name, want[i].param))
				p = &in->params[j];
		if (!p)
			fail_msg("%s has no param %s", want[i].plugin, want[i].param);
		if (p->names != want[i].names)
			fail_msg("%s.%s names %d, want %d", want[i].plugin,
			         want[i].param, p->names, want[i].names);
	}
	plugin_generation_release(g);
	pt_env_close(&env);
}

static void test_missing_dir(void **st)
{
	(void)st;
	plugin_registry_t *reg;
	char err[256];
	plugin_registry_opts_t o = { .dir = "/nonexistent/plugins" };
	assert_int_equal(plugin_registry_create(&reg, &o, err, sizeof(err)),
	                 CD_EIO);
	assert_non_null(strstr(err, "/nonexistent/plugins"));
	o.dir = "";
	assert_int_equal(plugin_registry_create(&reg, &o, err, sizeof(err)),
	                 CD_EINVAL);
	assert_int_equal(plugin_registry_create(&reg, NULL, err, sizeof(err)),
	                 CD_EINVAL);
	plugin_registry_destroy(NULL);
	plugin_generation_release(NULL);
}

/* An instance opened before a reload keeps scoring with the old code even
 * after its file is gone and a new generation is published; the new
 * generation no longer offers the plugin. */
static void test_reload_under_use(void **st)
{
	(void)st;
	char tmp[512];
	pt_mkdtemp(tmp, sizeof(tmp));
	pt_copy(FX("fx_other"), tmp, "other.so", 0644);
	pt_env_t env;
	pt_env_open(&env, tmp);
	plugin_generation_t *g1 = plugin_registry_acquire(env.reg);
	plugin_instance_t *inst;
	char err[256];
	assert_int_equal(plugin_instance_open(&inst, g1, "fx_other", NULL, 0,
	                                      err, sizeof(err)), CD_OK);
	plugin_generation_release(g1); /* the instance holds its own ref */

	/* The directory disappears: the reload fails and the generation in
	 * use stays current. */
	pt_rmdir(tmp);
	assert_int_equal(plugin_registry_reload(env.reg, err, sizeof(err)),
	                 CD_EIO);
	plugin_generation_t *g = plugin_registry_acquire(env.reg);
	assert_int_equal(plugin_generation_number(g), 1);
	assert_non_null(plugin_generation_find(g, "fx_other"));
	plugin_generation_release(g);
	pt_env_close(&env);

	/* Now a real reload: same directory, file removed. */
	pt_mkdtemp(tmp, sizeof(tmp));
	pt_copy(FX("fx_good"), tmp, "good.so", 0644);
	pt_env_open(&env, tmp);
	g1 = plugin_registry_acquire(env.reg);
	plugin_instance_t *inst2;
	assert_int_equal(plugin_instance_open(&inst2, g1, "fx_good", NULL, 0,
	                                      err, sizeof(err)), CD_OK);
	plugin_generation_release(g1);
	char p[1024];
	snprintf(p, sizeof(p), "%s/good.so", tmp);
	unlink(p);
	assert_int_equal(plugin_registry_reload(env.reg, err, sizeof(err)),
	                 CD_OK);
	g = plugin_registry_acquire(env.reg);
	assert_int_equal(plugin_generation_number(g), 2);
	assert_int_equal(plugin_generation_count(g), 0);
	plugin_instance_t *none;
	assert_int_equal(plugin_instance_open(&none, g, "fx_good", NULL, 0, err,
	                                      sizeof(err)), CD_ENOTFOUND);
	plugin_generation_release(g);

	plugin_cohort_t *c = pt_cohort();
	pt_cluster(c, "a");
	pt_ind(c, "x", 2020, 3);
	pt_seal(c);
	double out[1];
	assert_int_equal(plugin_instance_score(inst, c, out, NULL, err,
	                                       sizeof(err)), CD_OK);
	assert_true(out[0] == 3);
	assert_int_equal(plugin_instance_score(inst2, c, out, NULL, err,
	                                       sizeof(err)), CD_OK);
	assert_true(out[0] == 3);
	/* Destroying the registry does not unload what instances hold. */
	pt_env_close(&env);
	assert_int_equal(plugin_instance_score(inst2, c, out, NULL, err,
	                                       sizeof(err)), CD_OK);
	assert_string_equal(plugin_instance_info(inst2)->name, "fx_good");
	assert_null(strstr(env.log, "unloaded"));
	/* The last user gone, the unload hook runs with a working host. */
	plugin_instance_close(inst);
	assert_non_null(strstr(env.log, "plugin 'fx_other': unloaded"));
	plugin_instance_close(inst2);
	assert_non_null(strstr(env.log, "plugin 'fx_good': unloaded"));
	plugin_cohort_destroy(c);
	pt_rmdir(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrong_abi_major),
		cmocka_unit_test(test_no_entry),
		cmocka_unit_test(test_bad_descriptor),
		cmocka_unit_test(test_failing_init_and_load),
		cmocka_unit_test(test_duplicate_name),
		cmocka_unit_test(test_not_elf),
		cmocka_unit_test(test_world_writable),
		cmocka_unit_test(test_insecure_override),
		cmocka_unit_test(test_symlink_and_other_files),
		cmocka_unit_test(test_listing),
		cmocka_unit_test(test_newer_minor_plugin),
		cmocka_unit_test(test_builtin_names),
		cmocka_unit_test(test_missing_dir),
		cmocka_unit_test(test_reload_under_use),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
