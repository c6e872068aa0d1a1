/* plugin_cohort: building, the views plugins read, and every refusal. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cd_error.h"
#include "plugin_cohort.h"
#include "plugin_internal.h"
#include "pt_util.h"

static cp_host_t host;
static plugin_host_ctx_t ctx;

static int setup(void **st)
{
	(void)st;
	plugin_host_setup(&host, &ctx);
	return 0;
}

static void test_views(void **st)
{
	(void)st;
	plugin_cohort_t *c = pt_cohort();
	char err[256];
	assert_int_equal(plugin_cohort_add_cluster(c, "sz", "Shenzhen ICT",
	                                           "CN", "Guangdong",
	                                           "electronics", err,
	                                           sizeof(err)), CD_OK);
	assert_int_equal(plugin_cohort_add_city(c, "Shenzhen", err,
	                                        sizeof(err)), CD_OK);
	assert_int_equal(plugin_cohort_add_city(c, "Dongguan", err,
	                                        sizeof(err)), CD_OK);
	/* Added out of year order: the views must still see them sorted. */
	pt_ind(c, "revenue", 2022, 30);
	pt_ind(c, "revenue", 2020, 10);
	pt_ind(c, "employment", 2021, 500);
	pt_ind(c, "revenue", 2021, 20);
	pt_asm(c, "j1", "governance", 8, 1, 0);
	pt_asm(c, "j2", "governance", 6, 2, 1);
	pt_label(c, "maturity", "leading");
	pt_cluster(c, "bare");
	pt_seal(c);

	assert_int_equal(cp_cohort_size(&host, c), 2);
	assert_int_equal(plugin_cohort_size(c), 2);
	assert_string_equal(plugin_cohort_id(c, 1), "bare");
	assert_null(plugin_cohort_id(c, 2));
	cp_cluster_t a = cp_cohort_at(&host, c, 0), b = cp_cohort_at(&host, c, 1);
	assert_string_equal(cp_cluster_id(&host, a), "sz");
	assert_string_equal(cp_cluster_name(&host, a), "Shenzhen ICT");
	assert_string_equal(cp_cluster_economy(&host, a), "CN");
	assert_string_equal(cp_cluster_region(&host, a), "Guangdong");
	assert_string_equal(cp_cluster_industry(&host, a), "electronics");
	assert_int_equal(cp_cluster_city_count(&host, a), 2);
	assert_string_equal(cp_cluster_city(&host, a, 1), "Dongguan");
	assert_null(cp_cluster_city(&host, a, 2));
	/* Absent strings read back as "". */
	assert_string_equal(cp_cluster_name(&host, b), "");
	assert_string_equal(cp_cluster_economy(&host, b), "");
	assert_int_equal(cp_cluster_city_count(&host, b), 0);
	assert_null(host.cluster_field(a, 99));

	double v;
	int y;
	assert_int_equal(cp_indicator(&host, a, "revenue", 2021, &v), 1);
	assert_true(v == 20);
	assert_int_equal(cp_indicator(&host, a, "revenue", 2019, &v), 0);
	assert_int_equal(cp_indicator(&host, a, "nothing", 2021, &v), 0);
	assert_int_equal(cp_indicator(&host, a, "revenue", -1, &v), 0);
	assert_int_equal(cp_indicator(&host, b, "revenue", 2021, &v), 0);
	assert_int_equal(cp_indicator_latest(&host, a, "revenue", &y, &v), 1);
	assert_int_equal(y, 2022);
	assert_true(v == 30);
	assert_int_equal(cp_indicator_latest(&host, a, "employment", &y, &v), 1);
	assert_int_equal(y, 2021);
	assert_int_equal(cp_indicator_latest(&host, b, "revenue", &y, &v), 0);
	int years[2];
	/* Returns the full count even when the buffer is smaller. */
	assert_int_equal(cp_indicator_years(&host, a, "revenue", years, 2), 3);
	assert_int_equal(years[0], 2020);
	assert_int_equal(years[1], 2021);

	assert_int_equal(cp_assessment_count(&host, a), 2);
	assert_int_equal(cp_assessment_count(&host, b), 0);
	cp_assessment_t as;
	assert_int_equal(cp_assessment_at(&host, a, 1, &as), 1);
	assert_string_equal(as.judge, "j2");
	assert_string_equal(as.criterion, "governance");
	assert_true(as.score == 6);
	assert_int_equal(as.round, 2);
	assert_int_equal(as.recused, 1);
	assert_int_equal(cp_assessment_at(&host, a, 2, &as), 0);
	/* An older plugin's smaller struct is filled only as far as it goes. */
	struct { const char *judge; const char *criterion; } small = { 0 };
	assert_int_equal(host.assessment_at(a, 0, (cp_assessment_t *)&small,
	                                    sizeof(small)), 1);
	assert_string_equal(small.judge, "j1");

	assert_string_equal(cp_label(&host, a, "maturity"), "leading");
	assert_null(cp_label(&host, a, "size"));
	assert_null(cp_label(&host, b, "maturity"));
	assert_true(plugin_cohort_memory(c) > 0);
	plugin_cohort_destroy(c);
}

static void test_refusals(void **st)
{
	(void)st;
	plugin_cohort_t *c = pt_cohort();
	char err[256];
	/* Nothing may be added before a cluster. */
	assert_int_equal(plugin_cohort_add_indicator(c, "x", 2020, 1, err,
	                                             sizeof(err)),
	                 CD_EPRECONDITION);
	assert_int_equal(plugin_cohort_add_city(c, "x", err, sizeof(err)),
	                 CD_EPRECONDITION);
	assert_int_equal(plugin_cohort_add_assessment(c, "j", "c", 1, 0, 0, err,
	                                              sizeof(err)),
	                 CD_EPRECONDITION);
	assert_int_equal(plugin_cohort_add_label(c, "k", "v", err, sizeof(err)),
	                 CD_EPRECONDITION);
	assert_int_equal(plugin_cohort_add_cluster(c, "", NULL, NULL, NULL, NULL,
	                                           err, sizeof(err)), CD_EV_ID);
	assert_int_equal(plugin_cohort_add_cluster(c, NULL, NULL, NULL, NULL,
	                                           NULL, err, sizeof(err)),
	                 CD_EV_ID);
	pt_cluster(c, "a");
	assert_int_equal(plugin_cohort_add_city(c, "", err, sizeof(err)),
	                 CD_EV_EMPTY);
	assert_int_equal(plugin_cohort_add_indicator(c, "", 2020, 1, err,
	                                             sizeof(err)),
	                 CD_EV_INDICATOR_NAME);
	assert_int_equal(plugin_cohort_add_indicator(c, "x", -1, 1, err,
	                                             sizeof(err)), CD_EV_YEAR);
	assert_int_equal(plugin_cohort_add_indicator(c, "x", 65536, 1, err,
	                                             sizeof(err)), CD_EV_YEAR);
	assert_int_equal(plugin_cohort_add_indicator(c, "x", 2020, NAN, err,
	                                             sizeof(err)),
	                 CD_EV_NONFINITE);
	assert_int_equal(plugin_cohort_add_indicator(c, "x", 2020, INFINITY, err,
	                                             sizeof(err)),
	                 CD_EV_NONFINITE);
	pt_ind(c, "x", 2020, 1);
	assert_int_equal(plugin_cohort_add_indicator(c, "x", 2020, 2, err,
	                                             sizeof(err)),
	                 CD_EV_DUPLICATE);
	assert_non_null(strstr(err, "'a'"));
	assert_int_equal(plugin_cohort_add_assessment(c, "", "c", 1, 0, 0, err,
	                                              sizeof(err)), CD_EV_EMPTY);
	assert_int_equal(plugin_cohort_add_assessment(c, "j", "", 1, 0, 0, err,
	                                              sizeof(err)), CD_EV_EMPTY);
	assert_int_equal(plugin_cohort_add_assessment(c, "j", "c", NAN, 0, 0,
	                                              err, sizeof(err)),
	                 CD_EV_NONFINITE);
	assert_int_equal(plugin_cohort_add_label(c, "", "v", err, sizeof(err)),
	                 CD_EV_LABEL_KEY);
	pt_label(c, "k", "v");
	assert_int_equal(plugin_cohort_add_label(c, "k", "w", err, sizeof(err)),
	                 CD_EV_DUPLICATE);
	/* The same key on another cluster is fine. */
	pt_cluster(c, "b");
	pt_label(c, "k", "w");
	pt_ind(c, "x", 2020, 5);
	pt_seal(c);
	assert_int_equal(plugin_cohort_add_cluster(c, "c", NULL, NULL, NULL,
	                                           NULL, err, sizeof(err)),
	                 CD_EPRECONDITION);
	assert_int_equal(plugin_cohort_seal(c, err, sizeof(err)),
	                 CD_EPRECONDITION);
	/* The failed adds left nothing behind. */
	double v;
	assert_int_equal(cp_indicator(&host, cp_cohort_at(&host, c, 0), "x",
	                              2020, &v), 1);
	assert_true(v == 1);
	assert_int_equal(cp_indicator(&host, cp_cohort_at(&host, c, 1), "x",
	                              2020, &v), 1);
	assert_true(v == 5);
	plugin_cohort_destroy(c);
	plugin_cohort_destroy(NULL);
}

static void test_empty_and_many_names(void **st)
{
	(void)st;
	plugin_cohort_t *c = pt_cohort();
	pt_seal(c);
	assert_int_equal(cp_cohort_size(&host, c), 0);
	assert_null(cp_cluster_id(&host, cp_cohort_at(&host, c, 0)));
	plugin_cohort_destroy(c);

	/* Enough distinct names to regrow the intern table several times. */
	c = pt_cohort();
	pt_cluster(c, "a");
	char name[32];
	for (int i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "ind%d", i);
		pt_ind(c, name, 2000 + i % 7, i);
	}
	pt_seal(c);
	double v;
	assert_int_equal(cp_indicator(&host, cp_cohort_at(&host, c, 0),
	                              "ind2999", 2000 + 2999 % 7, &v), 1);
	assert_true(v == 2999);
	plugin_cohort_destroy(c);
}

/* Joins names[0..n) sorted, for comparing sets. */
static const char *joined(const char **names, size_t n)
{
	static char buf[256];
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0;
		     j--) {
			const char *t = names[j];
			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && used < sizeof(buf); i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s",
		                         i ? "," : "", names[i]);
	return buf;
}

/* The distinct names of each kind some cluster has: label values, judges
 * and economies share the string table but are not label keys or
 * criteria. */
static void test_names(void **st)
{
	(void)st;
	plugin_cohort_t *c = pt_cohort();
	pt_cluster_full(c, "a", "CN", "tier", "gdp");
	pt_ind(c, "patents", 2020, 1);
	pt_ind(c, "patents", 2021, 2);
	pt_label(c, "tier", "governance");
	pt_asm(c, "j1", "governance", 7, 1, 0);
	pt_cluster(c, "b");
	pt_ind(c, "gdp", 2020, 5);
	pt_label(c, "maturity", "high");
	pt_label(c, "tier", "one");
	pt_asm(c, "j2", "internationalisation", 3, 1, 1);
	pt_asm(c, "j1", "governance", 6, 2, 0);
	pt_cluster(c, "c");
	pt_seal(c);
	const char **v;
	size_t n;
	char err[128];
	assert_int_equal(plugin_cohort_names(c, CP_NAMES_INDICATOR, &v, &n, err,
	                                     sizeof(err)), CD_OK);
	assert_string_equal(joined(v, n), "gdp,patents");
	free(v);
	assert_int_equal(plugin_cohort_names(c, CP_NAMES_LABEL, &v, &n, err,
	                                     sizeof(err)), CD_OK);
	assert_string_equal(joined(v, n), "maturity,tier");
	free(v);
	assert_int_equal(plugin_cohort_names(c, CP_NAMES_CRITERION, &v, &n, err,
	                                     sizeof(err)), CD_OK);
	assert_string_equal(joined(v, n), "governance,internationalisation");
	free(v);
	/* Not for a view, nor a kind that names nothing. */
	uint32_t idx[] = { 1 };
	plugin_cohort_t *view;
	assert_int_equal(plugin_cohort_view(&view, c, idx, 1, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(plugin_cohort_names(view, CP_NAMES_LABEL, &v, &n, err,
	                                     sizeof(err)), CD_EINVAL);
	assert_null(v);
	assert_non_null(strstr(err, "view"));
	plugin_cohort_destroy(view);
	assert_int_equal(plugin_cohort_names(c, CP_NAMES_NOTHING, &v, &n, err,
	                                     sizeof(err)), CD_EINVAL);
	assert_non_null(strstr(err, "unknown kind 0"));
	plugin_cohort_destroy(c);
	/* An empty cohort has none. */
	c = pt_cohort();
	pt_seal(c);
	assert_int_equal(plugin_cohort_names(c, CP_NAMES_CRITERION, &v, &n, err,
	                                     sizeof(err)), CD_OK);
	assert_int_equal(n, 0);
	free(v);
	plugin_cohort_destroy(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_views),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_empty_and_many_names),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
