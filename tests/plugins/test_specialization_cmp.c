/* specialization's strong and strong10 against the US Cluster Mapping
 * pipeline's own rule (clustermapping/cmp data/processing/
 * cluster_calcs_reducer.js and cluster_calcs_mapper.js), ported in
 * cmp_strong.mjs, on random cohorts drawn to tie: a few values repeat,
 * employment is often 0, sometimes with a total of 0, and sizes run
 * 1..16 so both parities and the p = 0.9 roundings come up. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "pt_util.h"

#define COHORTS 400

static pt_env_t env;
static uint64_t rng = 0x9e3779b97f4a7c15u;

/* xorshift64: the same cohorts on every libc. */
static uint32_t draw(uint32_t below)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % below);
}

static const char *const industries[] = { "i0", "i1", "i2" };
static const char *const shares = "reference_shares=i0:0.01,i1:0.05,"
                                  "i2:0.2";
static const double share[] = { 0.01, 0.05, 0.2 };

typedef struct row {
	int industry;
	double emp, total, est;
} row_t;

static double draw_emp(void)
{
	static const double common[] = { 5, 10, 20, 50, 100 };
	uint32_t k = draw(10);
	if (k < 2)
		return 0;
	if (k < 6)
		return common[draw(5)];
	if (k < 8)
		return 1 + draw(2000);
	return (1 + draw(2000)) / 3.0;  /* a window's mean */
}

static void draw_row(row_t *r, int nind)
{
	static const double totals[] = { 100, 200, 500, 1000 };
	r->industry = (int)draw((uint32_t)nind);
	r->emp = draw_emp();
	if (r->emp == 0 && draw(3) == 0)
		r->total = 0;
	else if (draw(2))
		r->total = totals[draw(4)];
	else
		r->total = r->emp + draw(5000);
	if (r->total < r->emp)
		r->total = r->emp;
	r->est = draw(6);
}

static void score(const char *mode, const plugin_cohort_t *c, double *out)
{
	const char *p[] = { shares, mode, NULL };
	if (pt_score(&env, "specialization", p, c, out, NULL))
		fail_msg("%s", env.err);
}

static void test_against_cmp(void **st)
{
	(void)st;
	char dir[512], path[600], cmd[2048];
	pt_mkdtemp(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/cohorts.txt", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (int k = 0; k < COHORTS; k++) {
		int n = 1 + (int)draw(16), nind = 1 + (int)draw(3);
		row_t rows[16];
		double strong[16], strong10[16];
		char id[16];
		plugin_cohort_t *c = pt_cohort();
		for (int i = 0; i < n; i++) {
			draw_row(&rows[i], nind);
			snprintf(id, sizeof(id), "k%d", i);
			pt_cluster_full(c, id, "US", "r", industries[rows[i].industry]);
			pt_ind(c, "employment", 2022, rows[i].emp);
			pt_ind(c, "total_employment", 2022, rows[i].total);
			pt_ind(c, "establishments", 2022, rows[i].est);
		}
		pt_seal(c);
		score("mode=strong", c, strong);
		score("mode=strong10", c, strong10);
		fprintf(f, "cohort %d\n", k);
		for (int i = 0; i < n; i++)
			fprintf(f, "c %s %.17g %.17g %.17g %.17g %g %g\n",
			        industries[rows[i].industry], rows[i].emp,
			        rows[i].total, rows[i].est, share[rows[i].industry],
			        strong[i], strong10[i]);
		plugin_cohort_destroy(c);
	}
	fprintf(f, "end %d\n", COHORTS);
	assert_int_equal(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "'%s' '%s' '%s'", PT_NODE, PT_CMP_SCRIPT,
	         path);
	int rc = system(cmd);
	remove(path);
	pt_rmdir(dir);
	if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0)
		fail_msg("%s failed (status %d; node comes from "
		         "install-deps.sh)", cmd, rc);
}

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_against_cmp),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
