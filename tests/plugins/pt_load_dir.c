/* Loads a plugin directory through the registry the way the server does
 * and scores a small cohort with the example `ratio` plugin. Run by
 * test_sdk_install.sh on a plugin built against the installed SDK.
 * Usage: pt_load_dir <plugin dir> ratio | builtins */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cd_error.h"
#include "plugin_cohort.h"
#include "plugin_instance.h"
#include "plugin_registry.h"

#define CHECK(cond)                                                       \
	do {                                                                  \
		if (!(cond)) {                                                    \
			fprintf(stderr, "pt_load_dir: %s:%d: %s\n", __FILE__,         \
			        __LINE__, #cond);                                     \
			return 1;                                                     \
		}                                                                 \
	} while (0)

static int score_ratio(plugin_generation_t *g)
{
	char err[512];
	plugin_cohort_t *c;
	CHECK(plugin_cohort_create(&c, 0, 0, err, sizeof(err)) == CD_OK);
	CHECK(plugin_cohort_add_cluster(c, "a", NULL, NULL, NULL, NULL, err,
	                                sizeof(err)) == CD_OK);
	CHECK(plugin_cohort_add_indicator(c, "rd", 2022, 3, err,
	                                  sizeof(err)) == CD_OK);
	CHECK(plugin_cohort_add_indicator(c, "rev", 2022, 60, err,
	                                  sizeof(err)) == CD_OK);
	CHECK(plugin_cohort_add_cluster(c, "b", NULL, NULL, NULL, NULL, err,
	                                sizeof(err)) == CD_OK);
	CHECK(plugin_cohort_add_indicator(c, "rd", 2022, 3, err,
	                                  sizeof(err)) == CD_OK);
	CHECK(plugin_cohort_seal(c, err, sizeof(err)) == CD_OK);
	plugin_kv_t kv[] = { { "numerator", "rd" }, { "denominator", "rev" } };
	plugin_instance_t *inst;
	if (plugin_instance_open(&inst, g, "ratio", kv, 2, err, sizeof(err))) {
		fprintf(stderr, "pt_load_dir: %s\n", err);
		return 1;
	}
	double out[2];
	const char *reasons[2];
	CHECK(plugin_instance_score(inst, c, out, reasons, err, sizeof(err)) ==
	      CD_OK);
	CHECK(fabs(out[0] - 5) < 1e-12); /* 100 * 3 / 60 */
	CHECK(isnan(out[1]));
	CHECK(reasons[1] && strcmp(reasons[1], "needs 'rd' and 'rev'") == 0);
	printf("ratio: a = %g, b = NaN (%s)\n", out[0], reasons[1]);
	plugin_instance_close(inst);
	plugin_cohort_destroy(c);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: pt_load_dir <dir> ratio|builtins\n");
		return 2;
	}
	char err[512];
	plugin_registry_opts_t o = { .dir = argv[1] };
	plugin_registry_t *reg;
	if (plugin_registry_create(&reg, &o, err, sizeof(err))) {
		fprintf(stderr, "pt_load_dir: %s\n", err);
		return 1;
	}
	plugin_generation_t *g = plugin_registry_acquire(reg);
	CHECK(plugin_generation_refused_count(g) == 0);
	int rc = 0;
	if (strcmp(argv[2], "ratio") == 0) {
		const plugin_info_t *info = plugin_generation_find(g, "ratio");
		CHECK(info != NULL);
		CHECK(strcmp(info->version, "1.0.0") == 0);
		CHECK(info->nparams == 3);
		rc = score_ratio(g);
	} else {
		static const char *const names[] = { "growth", "indicator", "mcda",
		                                     "panel", "promethee", "rubric",
		                                     "specialization", "st_output",
		                                     "topsis" };
		CHECK(plugin_generation_count(g) == 9);
		for (size_t i = 0; i < 9; i++)
			CHECK(strcmp(plugin_generation_info(g, i)->name, names[i]) ==
			      0);
	}
	plugin_generation_release(g);
	plugin_registry_destroy(reg);
	return rc;
}
