/* A cohort of 1,000,000 clusters with 10 indicators each stays well under
 * 300 MB, by the cohort's own account of what it allocated (a count of
 * bytes, not a timing). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "cd_error.h"
#include "plugin_cohort.h"
#include "plugin_internal.h"

static void test_million(void **st)
{
	(void)st;
	static const char *const names[10] = {
		"pct_applications", "scientific_publications", "population",
		"revenue_cny", "rd_investment_cny", "employment", "firms",
		"exports_cny", "patents", "innovation_centres" };
	static const char *const economies[] = { "CN", "US", "DE", "JP", "KR" };
	plugin_cohort_t *c;
	char err[256];
	assert_int_equal(plugin_cohort_create(&c, 1000000, 10000000, err,
	                                      sizeof(err)), CD_OK);
	char id[64], city[32];
	for (int i = 0; i < 1000000; i++) {
		snprintf(id, sizeof(id), "cluster-%07d", i);
		snprintf(city, sizeof(city), "city-%d", i % 5000);
		if (plugin_cohort_add_cluster(c, id, NULL, economies[i % 5],
		                              "region", "industry", err,
		                              sizeof(err)) ||
		    plugin_cohort_add_city(c, city, err, sizeof(err)))
			fail_msg("%s", err);
		for (int k = 0; k < 10; k++)
			if (plugin_cohort_add_indicator(c, names[k], 2022,
			                                i * 10.0 + k, err,
			                                sizeof(err)))
				fail_msg("%s", err);
	}
	assert_int_equal(plugin_cohort_seal(c, err, sizeof(err)), CD_OK);
	size_t mb = plugin_cohort_memory(c) >> 20;
	printf("cohort of 1e6 clusters x 10 indicators: %zu MiB\n", mb);
	assert_true(mb < 200);

	/* And it reads back. */
	plugin_host_ctx_t ctx = { 0 };
	cp_host_t h;
	plugin_host_setup(&h, &ctx);
	double v;
	cp_cluster_t last = cp_cohort_at(&h, c, 999999);
	assert_string_equal(cp_cluster_id(&h, last), "cluster-0999999");
	assert_int_equal(cp_indicator(&h, last, "firms", 2022, &v), 1);
	assert_true(v == 9999990.0 + 6);
	plugin_cohort_destroy(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_million),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
