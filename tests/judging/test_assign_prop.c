/*
 * test_assign_prop — jdg_assign_run over seeded random judge pools and
 * rules. On tiny instances a brute force over every choice of k eligible
 * judges per cluster gives feasibility, the least possible largest load,
 * the greatest possible smallest load and the least sum of squared loads;
 * the solver must agree on all four, and when it says "infeasible" each
 * problem's numbers must hold when recounted here (a Hall violation: the
 * named clusters' demand k|S| exceeds sum over judges of min(max_load,
 * clusters of S the judge may judge)). On larger instances: every
 * assignment keeps k, max_load and every rule (recomputed here from the
 * strings, not with the library's code), the same seed gives the same
 * assignment, and reversing the order of the clusters, the judges and
 * every list inside them gives the same one by id.
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

#define MAXC 200
#define MAXJ 60
#define MAXL 3

static const char *REG[] = { "R0", "R1", "R2", "" };
static const char *ORG[] = { "O0", "O1", "O2", "O3", "O4" };

typedef struct inst {
	jdg_assign_cluster_t c[MAXC];
	jdg_assign_judge_t j[MAXJ];
	char cid[MAXC][24], jid[MAXJ][24];
	const char *corg[MAXC][MAXL], *jaff[MAXJ][MAXL], *jdorg[MAXJ][MAXL];
	const char *jdcl[MAXJ][MAXL];
	jdg_assign_input_t in;
} inst_t;

static uint64_t rs;

static uint64_t rnd(uint64_t n)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs % n;
}

/* Up to MAXL distinct names of ORG. */
static size_t pick(const char **out, int p)
{
	size_t n = 0;
	for (size_t i = 0; i < 5 && n < MAXL; i++)
		if ((int)rnd(100) < p)
			out[n++] = ORG[i];
	return n;
}

static void make(inst_t *t, size_t nc, size_t nj, int p)
{
	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < nc; i++) {
		snprintf(t->cid[i], sizeof t->cid[i], "c%zu", i);
		t->c[i].id = t->cid[i];
		t->c[i].region = REG[rnd(4)];
		t->c[i].orgs = t->corg[i];
		t->c[i].n_orgs = pick(t->corg[i], p);
	}
	for (size_t i = 0; i < nj; i++) {
		snprintf(t->jid[i], sizeof t->jid[i], "j%zu", i);
		jdg_assign_judge_t *j = &t->j[i];
		j->id = t->jid[i];
		j->region = rnd(5) ? REG[rnd(4)] : NULL;
		j->affils = t->jaff[i];
		j->n_affils = pick(t->jaff[i], p);
		j->conflict_orgs = t->jdorg[i];
		j->n_conflict_orgs = pick(t->jdorg[i], p / 3);
		j->conflict_clusters = t->jdcl[i];
		for (size_t x = 0; x < nc && j->n_conflict_clusters < MAXL; x++)
			if (rnd(100) < (uint64_t)p / 4)
				t->jdcl[i][j->n_conflict_clusters++] = t->cid[x];
	}
	t->in.clusters = t->c;
	t->in.n_clusters = nc;
	t->in.judges = t->j;
	t->in.n_judges = nj;
	t->in.rules = (unsigned)rnd(4);
}

static int has(const char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return 1;
	return 0;
}

/* The rules, from the strings. */
static int eligible(const jdg_assign_input_t *in, size_t c, size_t j)
{
	const jdg_assign_cluster_t *cl = &in->clusters[c];
	const jdg_assign_judge_t *jd = &in->judges[j];
	if (has(jd->conflict_clusters, jd->n_conflict_clusters, cl->id))
		return 0;
	for (size_t o = 0; o < cl->n_orgs; o++) {
		if (has(jd->conflict_orgs, jd->n_conflict_orgs, cl->orgs[o]))
			return 0;
		if ((in->rules & JDG_RULE_SHARED_AFFIL) &&
		    has(jd->affils, jd->n_affils, cl->orgs[o]))
			return 0;
	}
	if ((in->rules & JDG_RULE_SAME_REGION) && cl->region && jd->region &&
	    *cl->region && !strcmp(cl->region, jd->region))
		return 0;
	return 1;
}

static void expect_valid(const jdg_assign_input_t *in,
                         const jdg_assign_result_t *r)
{
	size_t load[MAXJ] = { 0 };
	for (size_t c = 0; c < in->n_clusters; c++)
		for (size_t i = 0; i < in->k; i++) {
			size_t j = r->judges[c * in->k + i];
			assert_true(j < in->n_judges);
			assert_true(eligible(in, c, j));
			for (size_t x = 0; x < i; x++) /* distinct, id order */
				assert_true(strcmp(in->judges[r->judges[c * in->k + x]].id,
				                   in->judges[j].id) < 0);
			load[j]++;
		}
	for (size_t j = 0; j < in->n_judges; j++) {
		assert_int_equal(load[j], r->loads[j]);
		assert_true(load[j] <= in->max_load);
		assert_true(load[j] <= r->load_max && load[j] >= r->load_min);
	}
}

/* Brute force: every k-subset of eligible judges for each cluster. */
typedef struct brute {
	const jdg_assign_input_t *in;
	size_t load[MAXJ];
	int found;
	size_t best_max, best_min, best_sq;
} brute_t;

static void rec(brute_t *b, size_t c, size_t i, size_t from)
{
	const jdg_assign_input_t *in = b->in;
	if (c == in->n_clusters) {
		size_t mx = 0, mn = SIZE_MAX, sq = 0;
		for (size_t j = 0; j < in->n_judges; j++) {
			mx = b->load[j] > mx ? b->load[j] : mx;
			mn = b->load[j] < mn ? b->load[j] : mn;
			sq += b->load[j] * b->load[j];
		}
		if (!b->found || mx < b->best_max)
			b->best_max = mx;
		if (!b->found || mn > b->best_min)
			b->best_min = mn;
		if (!b->found || sq < b->best_sq)
			b->best_sq = sq;
		b->found = 1;
		return;
	}
	if (i == in->k) {
		rec(b, c + 1, 0, 0);
		return;
	}
	for (size_t j = from; j < in->n_judges; j++) {
		if (b->load[j] >= in->max_load || !eligible(in, c, j))
			continue;
		b->load[j]++;
		rec(b, c, i + 1, j + 1);
		b->load[j]--;
	}
}

static void expect_problems_hold(const jdg_assign_input_t *in,
                                 const jdg_assign_result_t *r)
{
	assert_true(r->n_problems > 0);
	for (size_t x = 0; x < r->n_problems; x++) {
		const jdg_assign_problem_t *p = &r->problems[x];
		size_t supply = 0;
		assert_int_equal(p->demand, in->k * p->n_clusters);
		for (size_t j = 0; j < in->n_judges; j++) {
			size_t deg = 0;
			for (size_t i = 0; i < p->n_clusters; i++)
				deg += eligible(in, p->clusters[i], j);
			if (p->kind == JDG_ASSIGN_TOO_FEW_ELIGIBLE)
				supply += deg; /* one cluster */
			else
				supply += deg < in->max_load ? deg : in->max_load;
		}
		assert_int_equal(supply, p->supply);
		assert_true(p->supply < p->demand);
		assert_non_null(p->text);
	}
}

static void test_tiny_vs_brute(void **st)
{
	(void)st;
	static inst_t t;
	size_t n_feasible = 0, n_infeasible = 0, n_capacity = 0;
	rs = 0x9e3779b97f4a7c15ULL;
	for (int it = 0; it < 600; it++) {
		size_t nc = 1 + rnd(4), nj = 1 + rnd(5);
		make(&t, nc, nj, (int)rnd(60));
		t.in.k = 1 + rnd(nj < 3 ? nj : 3);
		t.in.max_load = 1 + rnd(3);
		t.in.seed = rnd(1000);
		brute_t b = { &t.in };
		rec(&b, 0, 0, 0);
		jdg_assign_result_t *r = NULL;
		assert_int_equal(jdg_assign_run(&t.in, &r, NULL, 0), CD_OK);
		if (!b.found) {
			if (r->feasible)
				fail_msg("instance %d: brute force finds none", it);
			expect_problems_hold(&t.in, r);
			for (size_t x = 0; x < r->n_problems; x++)
				n_capacity += r->problems[x].kind == JDG_ASSIGN_CAPACITY;
			n_infeasible++;
		} else {
			if (!r->feasible)
				fail_msg("instance %d: solver says infeasible: %s", it,
				         r->problems[0].text);
			expect_valid(&t.in, r);
			size_t sq = 0;
			for (size_t j = 0; j < nj; j++)
				sq += r->loads[j] * r->loads[j];
			assert_int_equal(r->load_max, b.best_max);
			assert_int_equal(r->load_min, b.best_min);
			assert_int_equal(sq, b.best_sq);
			n_feasible++;
		}
		jdg_assign_result_destroy(r);
	}
	/* The generator covers all three outcomes. */
	assert_true(n_feasible > 100);
	assert_true(n_infeasible > 100);
	assert_true(n_capacity > 20);
}

static void reverse(const char **v, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		const char *x = v[i];
		v[i] = v[n - 1 - i];
		v[n - 1 - i] = x;
	}
}

static void test_larger(void **st)
{
	(void)st;
	static inst_t t, rt;
	rs = 12345;
	size_t n_feasible = 0;
	for (int it = 0; it < 200; it++) {
		size_t nc = 1 + rnd(MAXC), nj = 1 + rnd(MAXJ);
		make(&t, nc, nj, (int)rnd(40));
		t.in.k = 1 + rnd(nj < 5 ? nj : 5);
		t.in.max_load = 1 + rnd(2 * nc * t.in.k / nj + 2);
		t.in.seed = rnd(1u << 30);
		jdg_assign_result_t *r = NULL, *r2 = NULL, *pr = NULL;
		assert_int_equal(jdg_assign_run(&t.in, &r, NULL, 0), CD_OK);
		assert_int_equal(jdg_assign_run(&t.in, &r2, NULL, 0), CD_OK);
		assert_int_equal(r->feasible, r2->feasible);
		/* Reversed order of clusters and judges. */
		/* ... and of every list inside them. */
		rt = t;
		for (size_t i = 0; i < nc; i++) {
			rt.c[i] = t.c[nc - 1 - i];
			reverse(rt.corg[nc - 1 - i], rt.c[i].n_orgs);
			rt.c[i].orgs = rt.corg[nc - 1 - i];
		}
		for (size_t i = 0; i < nj; i++) {
			size_t o = nj - 1 - i;
			rt.j[i] = t.j[o];
			reverse(rt.jaff[o], rt.j[i].n_affils);
			reverse(rt.jdorg[o], rt.j[i].n_conflict_orgs);
			reverse(rt.jdcl[o], rt.j[i].n_conflict_clusters);
			rt.j[i].affils = rt.jaff[o];
			rt.j[i].conflict_orgs = rt.jdorg[o];
			rt.j[i].conflict_clusters = rt.jdcl[o];
		}
		rt.in.clusters = rt.c;
		rt.in.judges = rt.j;
		assert_int_equal(jdg_assign_run(&rt.in, &pr, NULL, 0), CD_OK);
		assert_int_equal(r->feasible, pr->feasible);
		if (r->feasible) {
			n_feasible++;
			expect_valid(&t.in, r);
			assert_memory_equal(r->judges, r2->judges,
			                    nc * t.in.k * sizeof *r->judges);
			for (size_t c = 0; c < nc; c++)
				for (size_t i = 0; i < t.in.k; i++)
					assert_int_equal(r->judges[c * t.in.k + i],
					    nj - 1 - pr->judges[(nc - 1 - c) * t.in.k + i]);
		} else {
			expect_problems_hold(&t.in, r);
			assert_int_equal(r->n_problems, pr->n_problems);
			for (size_t x = 0; x < r->n_problems; x++)
				assert_string_equal(r->problems[x].text,
				                    pr->problems[x].text);
		}
		jdg_assign_result_destroy(r);
		jdg_assign_result_destroy(r2);
		jdg_assign_result_destroy(pr);
	}
	assert_true(n_feasible > 50);
}

/* No rules and no conflicts: every judge eligible everywhere, so the
 * decreasingly minimal loads are floor/ceil of nk/J (when max_load
 * allows), for any seed. */
static void test_even_without_rules(void **st)
{
	(void)st;
	static inst_t t;
	rs = 777;
	for (int it = 0; it < 100; it++) {
		size_t nc = 1 + rnd(MAXC), nj = 1 + rnd(MAXJ);
		make(&t, nc, nj, 0);
		t.in.rules = 0;
		t.in.k = 1 + rnd(nj < 5 ? nj : 5);
		size_t lo = nc * t.in.k / nj, hi = lo + (nc * t.in.k % nj != 0);
		t.in.max_load = hi + rnd(3);
		t.in.seed = (uint64_t)it;
		jdg_assign_result_t *r = NULL;
		assert_int_equal(jdg_assign_run(&t.in, &r, NULL, 0), CD_OK);
		assert_true(r->feasible);
		expect_valid(&t.in, r);
		assert_int_equal(r->load_max, hi);
		assert_int_equal(r->load_min, lo);
		jdg_assign_result_destroy(r);
		if (hi > 1) { /* one below: the total does not fit */
			t.in.max_load = hi - 1;
			assert_int_equal(jdg_assign_run(&t.in, &r, NULL, 0), CD_OK);
			assert_false(r->feasible);
			expect_problems_hold(&t.in, r);
			jdg_assign_result_destroy(r);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tiny_vs_brute),
		cmocka_unit_test(test_larger),
		cmocka_unit_test(test_even_without_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
