/*
 * test_assign — jdg_assign_run and jdg_assign_check on hand-built inputs:
 * each rule alone and together, the exact words of infeasibility (too few
 * eligible judges; a capacity cut worked out by hand), balance, determinism
 * and independence of input order, every input error, and every violation
 * kind of the checker.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cd_error.h"
#include "jdg_assign.h"

#define N(a) (sizeof(a) / sizeof *(a))

static char err[512];

static jdg_assign_input_t input(const jdg_assign_cluster_t *c, size_t nc,
                                const jdg_assign_judge_t *j, size_t nj,
                                size_t k, size_t max_load, unsigned rules)
{
	jdg_assign_input_t in = { c, nc, j, nj, k, max_load, rules, 1 };
	return in;
}

static jdg_assign_result_t *run_ok(const jdg_assign_input_t *in)
{
	jdg_assign_result_t *r = NULL;
	int rc = jdg_assign_run(in, &r, err, sizeof err);
	assert_int_equal(rc, CD_OK);
	assert_non_null(r);
	return r;
}

/* "c:j1,j2" of cluster c in the result. */
static void expect_judges(const jdg_assign_input_t *in,
                          const jdg_assign_result_t *r, size_t c,
                          const char *want)
{
	char got[256] = "";
	for (size_t i = 0; i < r->k; i++) {
		if (i)
			strcat(got, ",");
		strcat(got, in->judges[r->judges[c * r->k + i]].id);
	}
	assert_string_equal(got, want);
}

/* The checker finds nothing wrong with what the solver produced. */
static void expect_valid(const jdg_assign_input_t *in,
                         const jdg_assign_result_t *r)
{
	size_t n = in->n_clusters * in->k;
	jdg_assign_pair_t *p = calloc(n ? n : 1, sizeof *p);
	assert_non_null(p);
	for (size_t c = 0; c < in->n_clusters; c++)
		for (size_t i = 0; i < in->k; i++) {
			p[c * in->k + i].cluster_id = in->clusters[c].id;
			p[c * in->k + i].judge_id =
				in->judges[r->judges[c * in->k + i]].id;
		}
	jdg_assign_report_t *rep = NULL;
	assert_int_equal(jdg_assign_check(in, p, n, &rep, err, sizeof err), CD_OK);
	assert_int_equal(rep->n, 0);
	jdg_assign_report_destroy(rep);
	free(p);
}

static const char *jiangsu = "Jiangsu", *zhejiang = "Zhejiang";

static void test_same_region(void **st)
{
	(void)st;
	jdg_assign_cluster_t c[] = { { "A", "Jiangsu", NULL, 0 },
	                             { "B", "Zhejiang", NULL, 0 } };
	jdg_assign_judge_t j[] = { { "j1", "Jiangsu" }, { "j2", "Zhejiang" },
	                           { "j3", "Anhui" } };
	(void)jiangsu;
	(void)zhejiang;
	jdg_assign_input_t in = input(c, 2, j, 3, 2, 2, JDG_RULE_SAME_REGION);
	jdg_assign_result_t *r = run_ok(&in);
	/* A may have j2, j3 only; B j1, j3 only: the one assignment. */
	assert_true(r->feasible);
	expect_judges(&in, r, 0, "j2,j3");
	expect_judges(&in, r, 1, "j1,j3");
	assert_int_equal(r->loads[0], 1);
	assert_int_equal(r->loads[1], 1);
	assert_int_equal(r->loads[2], 2);
	assert_int_equal(r->load_max, 2);
	assert_int_equal(r->load_min, 1);
	expect_valid(&in, r);
	jdg_assign_result_destroy(r);
	/* Rule off: 4 places on 3 judges, loads 2,1,1 in some order. */
	in.rules = 0;
	r = run_ok(&in);
	assert_true(r->feasible);
	assert_int_equal(r->load_max, 2);
	assert_int_equal(r->load_min, 1);
	jdg_assign_result_destroy(r);
	/* An empty region matches nothing, even another empty one. */
	jdg_assign_cluster_t c2[] = { { "A", "", NULL, 0 } };
	jdg_assign_judge_t j2[] = { { "j1", "" }, { "j2", NULL } };
	in = input(c2, 1, j2, 2, 2, 1, JDG_RULE_ALL);
	r = run_ok(&in);
	assert_true(r->feasible);
	expect_judges(&in, r, 0, "j1,j2");
	jdg_assign_result_destroy(r);
}

static void test_shared_affil(void **st)
{
	(void)st;
	const char *orgs[] = { "Tsinghua", "Huawei" };
	const char *ta[] = { "Tsinghua" }, *pa[] = { "PKU" };
	jdg_assign_cluster_t c[] = { { "A", "Jiangsu", orgs, 2 } };
	jdg_assign_judge_t j[] = { { "a", "Jiangsu", ta, 1 },
	                           { "b", "Jiangsu", pa, 1 },
	                           { "c", "Jiangsu" } };
	jdg_assign_input_t in = input(c, 1, j, 3, 2, 1, JDG_RULE_SHARED_AFFIL);
	jdg_assign_result_t *r = run_ok(&in);
	assert_true(r->feasible); /* region ignored: rule off */
	expect_judges(&in, r, 0, "b,c");
	expect_valid(&in, r);
	jdg_assign_result_destroy(r);
}

static void test_declared(void **st)
{
	(void)st;
	const char *orgs[] = { "Huawei" }, *dc[] = { "A", "elsewhere" },
		   *dorg[] = { "Huawei" };
	jdg_assign_cluster_t c[] = { { "A", NULL, orgs, 1 } };
	jdg_assign_judge_t j[] = {
		{ "a", NULL, NULL, 0, dc, 2 },
		{ "b", NULL, NULL, 0, NULL, 0, dorg, 1 },
		{ "c" }, { "d" } };
	/* Declared conflicts hold with every rule off. */
	jdg_assign_input_t in = input(c, 1, j, 4, 2, 1, 0);
	jdg_assign_result_t *r = run_ok(&in);
	assert_true(r->feasible);
	expect_judges(&in, r, 0, "c,d");
	jdg_assign_result_destroy(r);
}

static void test_too_few_words(void **st)
{
	(void)st;
	const char *orgs[] = { "Tsinghua" }, *aff[] = { "Tsinghua" },
		   *dc[] = { "x" };
	jdg_assign_cluster_t c[] = { { "x", "Jiangsu", orgs, 1 },
	                             { "y", "Anhui", NULL, 0 } };
	jdg_assign_judge_t j[] = {
		{ "a", "Jiangsu" },
		{ "b", "Hubei", aff, 1 },
		{ "c", "Hubei", NULL, 0, dc, 1 },
		{ "d", "Hubei" } };
	jdg_assign_input_t in = input(c, 2, j, 4, 2, 2, JDG_RULE_ALL);
	jdg_assign_result_t *r = run_ok(&in);
	assert_false(r->feasible);
	assert_int_equal(r->n_problems, 1);
	assert_int_equal(r->problems[0].kind, JDG_ASSIGN_TOO_FEW_ELIGIBLE);
	assert_string_equal(r->problems[0].text,
		"cluster 'x' has only 1 eligible judge (k = 2): 'a' same region "
		"'Jiangsu', 'b' shares affiliation 'Tsinghua', 'c' declared "
		"conflict with cluster 'x'");
	assert_int_equal(r->problems[0].n_clusters, 1);
	assert_int_equal(r->problems[0].clusters[0], 0);
	assert_int_equal(r->problems[0].n_judges, 1); /* the eligible: d */
	assert_int_equal(r->problems[0].judges[0], 3);
	assert_int_equal(r->problems[0].demand, 2);
	assert_int_equal(r->problems[0].supply, 1);
	assert_null(r->judges);
	jdg_assign_result_destroy(r);
	/* Two reasons for one judge, and none eligible. */
	const char *dorg[] = { "Tsinghua" };
	jdg_assign_judge_t j2[] = { { "a", "Jiangsu", aff, 1, NULL, 0, dorg, 1 } };
	in = input(c, 1, j2, 1, 1, 1, JDG_RULE_ALL);
	r = run_ok(&in);
	assert_false(r->feasible);
	assert_string_equal(r->problems[0].text,
		"cluster 'x' has only 0 eligible judges (k = 1): 'a' same region "
		"'Jiangsu', shares affiliation 'Tsinghua', declared conflict with "
		"organisation 'Tsinghua'");
	jdg_assign_result_destroy(r);
}

/* x and y may use a and b only (c, d share their region); with max_load 1
 * a and b give 2 of the 4 places x and y need, whatever z takes. */
static void test_capacity_cut(void **st)
{
	(void)st;
	jdg_assign_cluster_t c[] = { { "x", "R" }, { "y", "R" }, { "z", "Q" } };
	jdg_assign_judge_t j[] = { { "a", "P" }, { "b", "P" }, { "c", "R" },
	                           { "d", "R" }, { "e", "R" } };
	jdg_assign_input_t in = input(c, 3, j, 5, 2, 1, JDG_RULE_ALL);
	for (uint64_t seed = 0; seed < 8; seed++) {
		in.seed = seed;
		jdg_assign_result_t *r = run_ok(&in);
		assert_false(r->feasible);
		assert_int_equal(r->n_problems, 1);
		jdg_assign_problem_t *p = &r->problems[0];
		assert_int_equal(p->kind, JDG_ASSIGN_CAPACITY);
		assert_string_equal(p->text,
			"clusters 'x', 'y' need 4 judge places (k = 2) but their 2 "
			"eligible judges can give at most 2 under max_load 1: 'a' 1 "
			"(full), 'b' 1 (full)");
		assert_int_equal(p->n_clusters, 2);
		assert_int_equal(p->demand, 4);
		assert_int_equal(p->supply, 2);
		jdg_assign_result_destroy(r);
	}
	/* Two bottlenecks that share nothing: two problems, in the order of
	 * their first cluster's id. */
	jdg_assign_cluster_t c3[] = { { "x", "R" }, { "y", "R" }, { "u", "S" },
	                              { "v", "S" } };
	jdg_assign_judge_t j3[] = { { "a", "S" }, { "b", "S" }, { "c", "R" },
	                            { "d", "R" } };
	in = input(c3, 4, j3, 4, 2, 1, JDG_RULE_ALL);
	jdg_assign_result_t *r3 = run_ok(&in);
	assert_false(r3->feasible);
	assert_int_equal(r3->n_problems, 2);
	assert_string_equal(r3->problems[0].text,
		"clusters 'u', 'v' need 4 judge places (k = 2) but their 2 "
		"eligible judges can give at most 2 under max_load 1: 'c' 1 "
		"(full), 'd' 1 (full)");
	assert_string_equal(r3->problems[1].text,
		"clusters 'x', 'y' need 4 judge places (k = 2) but their 2 "
		"eligible judges can give at most 2 under max_load 1: 'a' 1 "
		"(full), 'b' 1 (full)");
	jdg_assign_result_destroy(r3);
	/* w, x, y share a and b (max_load 2) and each has one judge of its
	 * own: 9 places, 2 + 2 + 1 + 1 + 1 = 7. */
	const char *nx[] = { "y", "w" }, *ny[] = { "x", "w" }, *nw[] = { "x", "y" };
	jdg_assign_cluster_t c2[] = { { "x" }, { "y" }, { "w" } };
	jdg_assign_judge_t j2[] = { { "a" }, { "b" },
	                            { "c", NULL, NULL, 0, nx, 2 },
	                            { "g", NULL, NULL, 0, ny, 2 },
	                            { "h", NULL, NULL, 0, nw, 2 } };
	in = input(c2, 3, j2, 5, 3, 2, JDG_RULE_ALL);
	jdg_assign_result_t *r = run_ok(&in);
	assert_false(r->feasible);
	assert_int_equal(r->n_problems, 1);
	assert_string_equal(r->problems[0].text,
		"clusters 'w', 'x', 'y' need 9 judge places (k = 3) but their 5 "
		"eligible judges can give at most 7 under max_load 2: 'a' 2 (full), "
		"'b' 2 (full), 'c' 1 (eligible for 1 of them), 'g' 1 (eligible for "
		"1 of them), 'h' 1 (eligible for 1 of them)");
	assert_int_equal(r->problems[0].n_judges, 5);
	jdg_assign_result_destroy(r);
	/* max_load 3 is enough: a and b take all three, c, g, h one each. */
	in.max_load = 3;
	r = run_ok(&in);
	assert_true(r->feasible);
	assert_int_equal(r->loads[0], 3);
	assert_int_equal(r->loads[1], 3);
	assert_int_equal(r->load_min, 1);
	expect_valid(&in, r);
	jdg_assign_result_destroy(r);
}

/* Too few eligible judges and a capacity cut in one input: each named. */
static void test_both_problems(void **st)
{
	(void)st;
	jdg_assign_cluster_t c[] = { { "x", "R" }, { "y", "R" }, { "v", "P" } };
	jdg_assign_judge_t j[] = { { "a", "P" }, { "b", "P" }, { "c", "R" } };
	jdg_assign_input_t in = input(c, 3, j, 3, 2, 1, JDG_RULE_ALL);
	jdg_assign_result_t *r = run_ok(&in);
	assert_false(r->feasible);
	assert_int_equal(r->n_problems, 2);
	assert_string_equal(r->problems[0].text,
		"cluster 'v' has only 1 eligible judge (k = 2): 'a' same region "
		"'P', 'b' same region 'P'");
	assert_string_equal(r->problems[1].text,
		"clusters 'x', 'y' need 4 judge places (k = 2) but their 2 "
		"eligible judges can give at most 2 under max_load 1: 'a' 1 "
		"(full), 'b' 1 (full)");
	jdg_assign_result_destroy(r);
}

/* c1 may have a or b, c2 only a: whichever c1 takes first, c2's search
 * moves c1 to b, so both judges carry one (a greedy pass could not). */
static void test_balance_path(void **st)
{
	(void)st;
	const char *na[] = { "c2" };
	jdg_assign_cluster_t c[] = { { "c1" }, { "c2" } };
	jdg_assign_judge_t j[] = { { "a" }, { "b", NULL, NULL, 0, na, 1 } };
	jdg_assign_input_t in = input(c, 2, j, 2, 1, 2, 0);
	for (uint64_t seed = 0; seed < 16; seed++) {
		in.seed = seed;
		jdg_assign_result_t *r = run_ok(&in);
		expect_judges(&in, r, 0, "b");
		expect_judges(&in, r, 1, "a");
		assert_int_equal(r->load_max, 1);
		jdg_assign_result_destroy(r);
	}
}

/* 7 clusters, k 2 on 4 judges, all eligible: 14 places, loads 4,4,3,3. */
static void test_balance_even(void **st)
{
	(void)st;
	jdg_assign_cluster_t c[7];
	char ids[7][4];
	for (int i = 0; i < 7; i++) {
		snprintf(ids[i], sizeof ids[i], "c%d", i);
		c[i] = (jdg_assign_cluster_t){ ids[i] };
	}
	jdg_assign_judge_t j[] = { { "a" }, { "b" }, { "c" }, { "d" } };
	jdg_assign_input_t in = input(c, 7, j, 4, 2, 100, JDG_RULE_ALL);
	jdg_assign_result_t *r = run_ok(&in);
	assert_int_equal(r->load_max, 4);
	assert_int_equal(r->load_min, 3);
	size_t sum = 0;
	for (int i = 0; i < 4; i++)
		sum += r->loads[i];
	assert_int_equal(sum, 14);
	expect_valid(&in, r);
	jdg_assign_result_destroy(r);
	/* No clusters: nothing to do, every load 0. */
	in.n_clusters = 0;
	r = run_ok(&in);
	assert_true(r->feasible);
	assert_int_equal(r->load_max, 0);
	jdg_assign_result_destroy(r);
}

static void fill(jdg_assign_cluster_t *c, char ids[][24], size_t nc,
                 jdg_assign_judge_t *j, char jids[][24], size_t nj,
                 const char *const *orgs)
{
	static const char *reg[] = { "R0", "R1", "R2" };
	for (size_t i = 0; i < nc; i++) {
		snprintf(ids[i], 24, "c%zu", i);
		c[i] = (jdg_assign_cluster_t){ ids[i], reg[i % 3], orgs + i % 4, 1 };
	}
	for (size_t i = 0; i < nj; i++) {
		snprintf(jids[i], 24, "j%zu", i);
		j[i] = (jdg_assign_judge_t){ jids[i], reg[(i + 1) % 3],
		                             orgs + (i + 2) % 4, 1 };
	}
}

static void test_determinism(void **st)
{
	(void)st;
	static const char *orgs[] = { "o0", "o1", "o2", "o3", "o0" };
	enum { NC = 30, NJ = 12 };
	jdg_assign_cluster_t c[NC], rc[NC];
	jdg_assign_judge_t j[NJ], rj[NJ];
	char ids[NC][24], jids[NJ][24];
	fill(c, ids, NC, j, jids, NJ, orgs);
	for (size_t i = 0; i < NC; i++)
		rc[i] = c[NC - 1 - i];
	for (size_t i = 0; i < NJ; i++)
		rj[i] = j[(i * 5) % NJ]; /* 5 is prime to 12 */
	jdg_assign_input_t in = input(c, NC, j, NJ, 3, 20, JDG_RULE_ALL);
	jdg_assign_input_t pin = input(rc, NC, rj, NJ, 3, 20, JDG_RULE_ALL);
	int differ = 0;
	for (uint64_t seed = 1; seed <= 10; seed++) {
		in.seed = pin.seed = seed;
		jdg_assign_result_t *a = run_ok(&in), *b = run_ok(&in),
		                    *p = run_ok(&pin), *o;
		assert_true(a->feasible);
		expect_valid(&in, a);
		assert_memory_equal(a->judges, b->judges,
		                    NC * 3 * sizeof *a->judges);
		/* Permuted input: same judges by id for each cluster id. */
		for (size_t x = 0; x < NC; x++)
			for (size_t i = 0; i < 3; i++)
				assert_string_equal(j[a->judges[x * 3 + i]].id,
				    rj[p->judges[(NC - 1 - x) * 3 + i]].id);
		in.seed = seed + 100;
		o = run_ok(&in);
		differ |= memcmp(a->judges, o->judges, NC * 3 * sizeof *a->judges);
		/* 90 places on 12 judges: 8 or 7 each, whatever the seed. */
		assert_int_equal(a->load_max, 8);
		assert_int_equal(a->load_min, 7);
		jdg_assign_result_destroy(a);
		jdg_assign_result_destroy(b);
		jdg_assign_result_destroy(p);
		jdg_assign_result_destroy(o);
	}
	assert_true(differ);
}

static int run_rc(const jdg_assign_input_t *in)
{
	jdg_assign_result_t *r = (void *)1;
	int rc = jdg_assign_run(in, &r, err, sizeof err);
	assert_null(r);
	return rc;
}

static void test_errors(void **st)
{
	(void)st;
	jdg_assign_cluster_t c[] = { { "x" }, { "y" } };
	jdg_assign_judge_t j[] = { { "a" }, { "b" } };
	jdg_assign_input_t in = input(c, 2, j, 2, 1, 1, 0);
	jdg_assign_result_t *r;
	assert_int_equal(jdg_assign_run(NULL, &r, err, sizeof err), CD_EINVAL);
	assert_int_equal(jdg_assign_run(&in, NULL, err, sizeof err), CD_EINVAL);
	in.k = 0;
	assert_int_equal(run_rc(&in), CD_EINVAL);
	in.k = 21;
	assert_int_equal(run_rc(&in), CD_EINVAL);
	in.k = 3;
	assert_int_equal(run_rc(&in), CD_EINVAL);
	assert_string_equal(err, "k = 3 but only 2 judges");
	in.k = 1;
	in.max_load = 0;
	assert_int_equal(run_rc(&in), CD_EINVAL);
	in.max_load = 1;
	in.rules = 0x4;
	assert_int_equal(run_rc(&in), CD_EINVAL);
	in.rules = 0;
	in.n_clusters = JDG_ASSIGN_MAX_CLUSTERS + 1;
	assert_int_equal(run_rc(&in), CD_ELIMIT);
	in.n_clusters = 2;
	in.n_judges = JDG_ASSIGN_MAX_JUDGES + 1;
	assert_int_equal(run_rc(&in), CD_ELIMIT);
	in.n_clusters = JDG_ASSIGN_MAX_CLUSTERS;
	in.n_judges = JDG_ASSIGN_MAX_PAIRS / JDG_ASSIGN_MAX_CLUSTERS + 1;
	assert_int_equal(run_rc(&in), CD_ELIMIT);
	assert_string_equal(err, "10000 clusters x 401 judges is more than "
	                    "4000000 pairs");
	in.n_clusters = 2;
	in.n_judges = 2;
	in.clusters = NULL;
	assert_int_equal(run_rc(&in), CD_EINVAL);
	in.clusters = c;
	in.judges = NULL;
	assert_int_equal(run_rc(&in), CD_EINVAL);
	in.judges = j;
	assert_int_equal(jdg_assign_run(&in, &r, NULL, 0), CD_OK);
	jdg_assign_result_destroy(r);
	jdg_assign_result_destroy(NULL);

	/* Strings. */
	char longid[JDG_ASSIGN_MAX_ID_LEN + 2];
	memset(longid, 'i', sizeof longid - 1);
	longid[sizeof longid - 1] = 0;
	char longorg[JDG_ASSIGN_MAX_ORG_LEN + 2];
	memset(longorg, 'o', sizeof longorg - 1);
	longorg[sizeof longorg - 1] = 0;
	const char *bad_utf8 = "x\xc3\x28", *ctl = "x\ty";
	c[0].id = NULL;
	assert_int_equal(run_rc(&in), CD_EV_EMPTY);
	c[0].id = "";
	assert_int_equal(run_rc(&in), CD_EV_EMPTY);
	assert_string_equal(err, "cluster 0: id is empty");
	c[0].id = longid;
	assert_int_equal(run_rc(&in), CD_EV_LENGTH);
	longid[JDG_ASSIGN_MAX_ID_LEN] = 0; /* exactly the limit: accepted */
	assert_int_equal(jdg_assign_run(&in, &r, err, sizeof err), CD_OK);
	jdg_assign_result_destroy(r);
	c[0].id = bad_utf8;
	assert_int_equal(run_rc(&in), CD_EV_ENCODING);
	c[0].id = ctl;
	assert_int_equal(run_rc(&in), CD_EV_ENCODING);
	c[0].id = "x";
	c[0].region = bad_utf8;
	assert_int_equal(run_rc(&in), CD_EV_ENCODING);
	c[0].region = NULL;
	j[1].id = "";
	assert_int_equal(run_rc(&in), CD_EV_EMPTY);
	j[1].region = longid;
	j[1].id = "b";
	longid[JDG_ASSIGN_MAX_ID_LEN] = 'i';
	assert_int_equal(run_rc(&in), CD_EV_LENGTH);
	j[1].region = NULL;
	/* Duplicates. */
	c[1].id = "x";
	assert_int_equal(run_rc(&in), CD_EV_DUPLICATE);
	assert_string_equal(err, "cluster id 'x' twice");
	c[1].id = "y";
	j[1].id = "a";
	assert_int_equal(run_rc(&in), CD_EV_DUPLICATE);
	assert_string_equal(err, "judge id 'a' twice");
	j[1].id = "b";
	const char *twice[] = { "o", "p", "o" };
	c[0].orgs = twice;
	c[0].n_orgs = 3;
	assert_int_equal(run_rc(&in), CD_EV_DUPLICATE);
	assert_string_equal(err, "cluster 0: 'o' listed twice");
	c[0].n_orgs = 2;
	j[0].affils = twice;
	j[0].n_affils = 3;
	assert_int_equal(run_rc(&in), CD_EV_DUPLICATE);
	j[0].n_affils = 0;
	j[0].conflict_orgs = twice;
	j[0].n_conflict_orgs = 3;
	assert_int_equal(run_rc(&in), CD_EV_DUPLICATE);
	j[0].n_conflict_orgs = 0;
	const char *dcl[] = { "q", "y", "q" };
	j[0].conflict_clusters = dcl;
	j[0].n_conflict_clusters = 3;
	assert_int_equal(run_rc(&in), CD_EV_DUPLICATE);
	assert_string_equal(err, "judge 'a': declared cluster 'q' twice");
	j[0].n_conflict_clusters = 2; /* 'q' unknown: ignored */
	assert_int_equal(jdg_assign_run(&in, &r, err, sizeof err), CD_OK);
	assert_true(r->feasible);
	expect_judges(&in, r, 1, "b");
	jdg_assign_result_destroy(r);
	j[0].n_conflict_clusters = 0;
	/* Lists: count, NULL, empty and long names. */
	const char *many[JDG_ASSIGN_MAX_ORGS + 1];
	char names[JDG_ASSIGN_MAX_ORGS + 1][8];
	for (int i = 0; i <= JDG_ASSIGN_MAX_ORGS; i++) {
		snprintf(names[i], sizeof names[i], "o%d", i);
		many[i] = names[i];
	}
	c[0].orgs = many;
	c[0].n_orgs = JDG_ASSIGN_MAX_ORGS + 1;
	assert_int_equal(run_rc(&in), CD_EV_COUNT);
	c[0].n_orgs = JDG_ASSIGN_MAX_ORGS;
	assert_int_equal(jdg_assign_run(&in, &r, err, sizeof err), CD_OK);
	jdg_assign_result_destroy(r);
	c[0].orgs = NULL;
	assert_int_equal(run_rc(&in), CD_EINVAL);
	const char *empty[] = { "" }, *lo[] = { longorg };
	c[0].orgs = empty;
	c[0].n_orgs = 1;
	assert_int_equal(run_rc(&in), CD_EV_EMPTY);
	c[0].orgs = lo;
	assert_int_equal(run_rc(&in), CD_EV_LENGTH);
	c[0].n_orgs = 0;
	const char *dmany[JDG_ASSIGN_MAX_CONFLICTS + 1];
	for (int i = 0; i <= JDG_ASSIGN_MAX_CONFLICTS; i++)
		dmany[i] = "z";
	j[0].conflict_clusters = dmany;
	j[0].n_conflict_clusters = JDG_ASSIGN_MAX_CONFLICTS + 1;
	assert_int_equal(run_rc(&in), CD_EV_COUNT);
	j[0].n_conflict_clusters = 0;
}

static jdg_assign_report_t *check_ok(const jdg_assign_input_t *in,
                                     const jdg_assign_pair_t *p, size_t n)
{
	jdg_assign_report_t *rep = NULL;
	assert_int_equal(jdg_assign_check(in, p, n, &rep, err, sizeof err),
	                 CD_OK);
	assert_non_null(rep);
	return rep;
}

static void test_check(void **st)
{
	(void)st;
	const char *ox[] = { "Tsinghua", "Huawei" }, *aff[] = { "Tsinghua" },
		   *dorg[] = { "Huawei" }, *dcl[] = { "y" };
	jdg_assign_cluster_t c[] = { { "x", "Jiangsu", ox, 2 },
	                             { "y", "Anhui" }, { "z", "Hubei" } };
	jdg_assign_judge_t j[] = {
		{ "a", "Jiangsu", aff, 1, dcl, 1, dorg, 1 },
		{ "b", "Henan" }, { "c", "Henan" } };
	jdg_assign_input_t in = input(c, 3, j, 3, 1, 1, JDG_RULE_ALL);
	/* Valid. */
	jdg_assign_pair_t ok[] = { { "x", "b" }, { "y", "c" }, { "z", "a" } };
	jdg_assign_report_t *rep = check_ok(&in, ok, 3);
	assert_int_equal(rep->n, 0);
	jdg_assign_report_destroy(rep);
	/* Every kind at once. */
	jdg_assign_pair_t bad[] = {
		{ "x", "a" },        /* 0: region, affiliation, declared org */
		{ "y", "a" },        /* 1: declared cluster; a overloaded */
		{ "q", "b" },        /* 2: unknown cluster */
		{ "z", "nobody" },   /* 3: unknown judge */
		{ "z", "c" },        /* 4 */
		{ "z", "c" },        /* 5: duplicate */
		{ "z", "b" },        /* 6: z has 2 judges */
	};
	rep = check_ok(&in, bad, N(bad));
	static const struct {
		jdg_assign_violation_kind k;
		const char *text;
	} want[] = {
		{ JDG_AV_SAME_REGION, "pair 0: judge 'a' may not judge cluster "
		  "'x': same region 'Jiangsu'" },
		{ JDG_AV_SHARED_AFFIL, "pair 0: judge 'a' may not judge cluster "
		  "'x': shares affiliation 'Tsinghua'" },
		{ JDG_AV_DECLARED_ORG, "pair 0: judge 'a' may not judge cluster "
		  "'x': declared conflict with organisation 'Huawei'" },
		{ JDG_AV_DECLARED_CLUSTER, "pair 1: judge 'a' may not judge "
		  "cluster 'y': declared conflict with cluster 'y'" },
		{ JDG_AV_UNKNOWN_CLUSTER, "pair 2: no cluster 'q'" },
		{ JDG_AV_UNKNOWN_JUDGE, "pair 3: no judge 'nobody'" },
		{ JDG_AV_DUPLICATE, "pair 5: judge 'c' is assigned to cluster "
		  "'z' more than once" },
		{ JDG_AV_TOO_MANY, "cluster 'z' has 2 judges, not k = 1" },
		{ JDG_AV_OVERLOAD, "judge 'a' has 2 clusters, more than "
		  "max_load 1" },
	};
	assert_int_equal(rep->n, N(want));
	for (size_t i = 0; i < N(want); i++) {
		assert_int_equal(rep->v[i].kind, want[i].k);
		assert_string_equal(rep->v[i].text, want[i].text);
	}
	assert_int_equal(rep->v[0].pair, 0);
	assert_int_equal(rep->v[0].cluster, 0);
	assert_int_equal(rep->v[0].judge, 0);
	assert_int_equal(rep->v[4].cluster, SIZE_MAX);
	assert_int_equal(rep->v[7].judge, SIZE_MAX);
	jdg_assign_report_destroy(rep);
	/* Rules off: only the declared conflicts remain; nothing assigned. */
	in.rules = 0;
	rep = check_ok(&in, bad, 1);
	assert_int_equal(rep->n, 3);
	assert_int_equal(rep->v[0].kind, JDG_AV_DECLARED_ORG);
	assert_int_equal(rep->v[1].kind, JDG_AV_TOO_FEW);
	assert_string_equal(rep->v[2].text, "cluster 'z' has 0 judges, not "
	                    "k = 1");
	jdg_assign_report_destroy(rep);
	/* Errors. */
	assert_int_equal(jdg_assign_check(&in, ok, 3, NULL, err, sizeof err),
	                 CD_EINVAL);
	assert_int_equal(jdg_assign_check(&in, NULL, 3, &rep, err, sizeof err),
	                 CD_EINVAL);
	assert_null(rep);
	assert_int_equal(jdg_assign_check(&in, ok, JDG_ASSIGN_MAX_ENTRIES + 1,
	                                  &rep, err, sizeof err), CD_EV_COUNT);
	jdg_assign_pair_t e1[] = { { "", "a" } }, e2[] = { { "x", NULL } };
	assert_int_equal(jdg_assign_check(&in, e1, 1, &rep, err, sizeof err),
	                 CD_EV_EMPTY);
	assert_int_equal(jdg_assign_check(&in, e2, 1, &rep, err, sizeof err),
	                 CD_EV_EMPTY);
	in.k = 0;
	assert_int_equal(jdg_assign_check(&in, ok, 3, &rep, err, sizeof err),
	                 CD_EINVAL);
	assert_int_equal(jdg_assign_check(NULL, ok, 3, &rep, err, sizeof err),
	                 CD_EINVAL);
	assert_null(rep);
	jdg_assign_report_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_region),
		cmocka_unit_test(test_shared_affil),
		cmocka_unit_test(test_declared),
		cmocka_unit_test(test_too_few_words),
		cmocka_unit_test(test_capacity_cut),
		cmocka_unit_test(test_both_problems),
		cmocka_unit_test(test_balance_path),
		cmocka_unit_test(test_balance_even),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
