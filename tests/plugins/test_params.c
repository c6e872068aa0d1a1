/* plugin_params: validation against specs (each message names the param),
 * defaults, and the typed getters plugins read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "cd_error.h"
#include "plugin_internal.h"
#include "plugin_params.h"

static char *choices[] = { "a", "b" };
static plugin_param_info_t specs[] = {
	{ .name = "s", .type = CP_PARAM_STRING, .default_value = "dflt" },
	{ .name = "num", .type = CP_PARAM_NUMBER },
	{ .name = "int", .type = CP_PARAM_INTEGER, .default_value = "7" },
	{ .name = "flag", .type = CP_PARAM_BOOLEAN },
	{ .name = "pick", .type = CP_PARAM_ENUM, .choices = choices,
	  .nchoices = 2 },
	{ .name = "items", .type = CP_PARAM_LIST },
	{ .name = "need", .type = CP_PARAM_STRING, .required = 1 },
};
#define NSPECS (sizeof(specs) / sizeof(specs[0]))

static cp_host_t host;
static plugin_host_ctx_t ctx;

static int setup(void **st)
{
	(void)st;
	plugin_host_setup(&host, &ctx);
	return 0;
}

/* Builds from one extra key=value besides need=1; returns the code. */
static int build1(const char *key, const char *value, char *err,
                  size_t errlen)
{
	plugin_kv_t kv[2] = { { "need", "1" }, { key, value } };
	plugin_params_t *p = NULL;
	int rc = plugin_params_build(&p, specs, NSPECS, kv, 2, "plugin 'x': ",
	                             err, errlen);
	plugin_params_destroy(p);
	return rc;
}

static void expect_bad(const char *key, const char *value, const char *word)
{
	char err[256] = "";
	assert_int_equal(build1(key, value, err, sizeof(err)), CD_EV_DEFINITION);
	assert_non_null(strstr(err, "plugin 'x': "));
	assert_non_null(strstr(err, word));
}

static void test_rejections(void **st)
{
	(void)st;
	expect_bad("nope", "1", "unknown param 'nope'");
	expect_bad("num", "abc", "param 'num'");
	expect_bad("num", "", "param 'num'");
	expect_bad("num", "1e999", "param 'num'");
	expect_bad("num", "nan", "param 'num'");
	expect_bad("num", "3x", "param 'num'");
	expect_bad("int", "1.5", "param 'int'");
	expect_bad("int", "99999999999999999999", "param 'int'");
	expect_bad("flag", "maybe", "param 'flag'");
	expect_bad("pick", "c", "param 'pick'");
	expect_bad("items", "a,,b", "param 'items'");
	expect_bad("need", "again", "param 'need' given twice");

	char err[256] = "";
	plugin_params_t *p = NULL;
	assert_int_equal(plugin_params_build(&p, specs, NSPECS, NULL, 0, "",
	                                     err, sizeof(err)),
	                 CD_EV_DEFINITION);
	assert_null(p);
	assert_non_null(strstr(err, "missing required param 'need'"));
	plugin_kv_t nokey = { NULL, "1" };
	assert_int_equal(plugin_params_build(&p, specs, NSPECS, &nokey, 1, "",
	                                     err, sizeof(err)),
	                 CD_EV_DEFINITION);
	plugin_param_info_t badtype = { .name = "t", .type = 42 };
	assert_int_equal(plugin_param_check(&badtype, "x", NULL, err,
	                                    sizeof(err)), CD_EV_DEFINITION);
	assert_null(plugin_param_type_name(42));
	assert_string_equal(plugin_param_type_name(CP_PARAM_LIST), "list");
}

static void test_values(void **st)
{
	(void)st;
	plugin_kv_t kv[] = {
		{ "need", "yes" }, { "num", " 2.5" }, { "flag", "ON" },
		{ "pick", "b" }, { "items", " x , y ,z" },
	};
	plugin_params_t *p;
	char err[256];
	assert_int_equal(plugin_params_build(&p, specs, NSPECS, kv, 5, "", err,
	                                     sizeof(err)), CD_OK);
	double d;
	long long ll;
	int b;
	/* Defaults are filled in. */
	assert_string_equal(cp_param_get(&host, p, "s"), "dflt");
	assert_int_equal(cp_param_int(&host, p, "int", &ll), 1);
	assert_int_equal(ll, 7);
	/* An integer reads as a number too. */
	assert_int_equal(cp_param_number(&host, p, "int", &d), 1);
	assert_true(d == 7);
	assert_int_equal(cp_param_number(&host, p, "num", &d), 1);
	assert_true(d == 2.5);
	assert_int_equal(cp_param_bool(&host, p, "flag", &b), 1);
	assert_int_equal(b, 1);
	/* A string param that happens to read as a boolean. */
	assert_int_equal(cp_param_bool(&host, p, "need", &b), 1);
	assert_int_equal(b, 1);
	assert_string_equal(cp_param_get(&host, p, "pick"), "b");
	assert_int_equal(cp_param_list_len(&host, p, "items"), 3);
	assert_string_equal(cp_param_list_at(&host, p, "items", 0), "x");
	assert_string_equal(cp_param_list_at(&host, p, "items", 1), "y");
	assert_string_equal(cp_param_list_at(&host, p, "items", 2), "z");
	assert_null(cp_param_list_at(&host, p, "items", 3));
	/* Wrong-type reads say so; absent ones say absent. */
	assert_int_equal(cp_param_number(&host, p, "pick", &d), -1);
	assert_int_equal(cp_param_int(&host, p, "num", &ll), -1);
	assert_int_equal(cp_param_bool(&host, p, "num", &b), -1);
	assert_int_equal(cp_param_list_len(&host, p, "num"), 0);
	assert_null(cp_param_list_at(&host, p, "num", 0));
	assert_null(cp_param_get(&host, p, "absent"));
	assert_int_equal(cp_param_number(&host, p, "absent", &d), 0);
	assert_int_equal(cp_param_int(&host, p, "absent", &ll), 0);
	assert_int_equal(cp_param_bool(&host, p, "absent", &b), 0);
	/* Optional params without a default stay absent. */
	plugin_params_destroy(p);

	plugin_kv_t only = { "need", "x" };
	assert_int_equal(plugin_params_build(&p, specs, NSPECS, &only, 1, "",
	                                     err, sizeof(err)), CD_OK);
	assert_null(cp_param_get(&host, p, "num"));
	assert_int_equal(cp_param_bool(&host, p, "flag", &b), 0);
	plugin_params_destroy(p);

	/* An empty list value is a list of nothing. */
	plugin_kv_t empty[] = { { "need", "x" }, { "items", "  " } };
	assert_int_equal(plugin_params_build(&p, specs, NSPECS, empty, 2, "",
	                                     err, sizeof(err)), CD_OK);
	assert_int_equal(cp_param_list_len(&host, p, "items"), 0);
	plugin_params_destroy(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_values),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
