/*
 * jdg_assign — judges to clusters: a b-matching over the eligible pairs
 * built by successive shortest augmenting paths with the convex cost
 * sum(load^2), so the loads come out decreasingly minimal; an exhausted
 * search gives the minimum cut that explains an infeasible input
 * (docs/judging.md, "Assignment").
 */
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "jdg_assign_internal.h"

#define LIST_SHOWN 20 /* judges or clusters named in one problem line */

typedef struct solver {
	jdg_prep_t p;
	size_t nc, nj, k, cap;
	uint64_t *jkey, *ckey;     /* seeded keys */
	size_t *jperm, *cperm;     /* judges / clusters in key order */
	size_t *adj_off;           /* per cluster: eligible edges, key order */
	uint32_t *adj, *ecl;       /* edge -> judge, edge -> cluster */
	unsigned char *used;
	size_t *ja_off, *ja_cnt;   /* per judge: assigned (cluster, edge) */
	uint32_t *ja_cl, *ja_e;
	size_t *load, *got, *lcnt, lo; /* loads, per-cluster count, histogram */
	uint32_t *cmark, *jmark, stamp;
	uint32_t *cpar_j, *cpar_e, *jpar_e, *queue;
	unsigned long long work;
} solver_t;

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t key_of(uint64_t seed, uint64_t salt, const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return mix(mix(seed ^ salt) ^ h);
}

/* Key order, ties (hash collisions) by id: a function of the ids only. */
static void key_sort(size_t *v, size_t *tmp, size_t n, const uint64_t *key,
                     const char *(*id)(const solver_t *, size_t),
                     const solver_t *s)
{
	if (n < 2)
		return;
	size_t h = n / 2, i = 0, j = h, o = 0;
	key_sort(v, tmp, h, key, id, s);
	key_sort(v + h, tmp, n - h, key, id, s);
	while (i < h && j < n) {
		size_t a = v[i], b = v[j];
		int bfirst = key[b] < key[a] ||
		             (key[b] == key[a] && strcmp(id(s, b), id(s, a)) < 0);
		tmp[o++] = bfirst ? v[j++] : v[i++];
	}
	while (i < h)
		tmp[o++] = v[i++];
	while (j < n)
		tmp[o++] = v[j++];
	memcpy(v, tmp, n * sizeof *v);
}

static const char *sj_id(const solver_t *s, size_t j)
{
	return s->p.in->judges[j].id;
}

static const char *sc_id(const solver_t *s, size_t c)
{
	return s->p.in->clusters[c].id;
}

static void solver_free(solver_t *s)
{
	void *v[] = { s->jkey, s->ckey, s->jperm, s->cperm, s->adj_off, s->adj,
	              s->ecl, s->used, s->ja_off, s->ja_cnt, s->ja_cl, s->ja_e,
	              s->load, s->got, s->lcnt, s->cmark, s->jmark, s->cpar_j,
	              s->cpar_e, s->jpar_e, s->queue };
	for (size_t i = 0; i < sizeof v / sizeof *v; i++)
		free(v[i]);
	jdg_prep_free(&s->p);
}

/* calloc that never asks for 0 bytes (an empty input is valid). */
static void *zalloc(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

#define ALLOC(x, n) ((x) = zalloc((n), sizeof *(x)))

/* Keys, orders and the eligible edges (each cluster's in judge-key order). */
static int build(solver_t *s, char *err, size_t errlen)
{
	const jdg_assign_input_t *in = s->p.in;
	size_t nc = s->nc, nj = s->nj, big = nc > nj ? nc : nj;
	size_t *tmp;
	if (!ALLOC(s->jkey, nj) || !ALLOC(s->ckey, nc) || !ALLOC(s->jperm, nj) ||
	    !ALLOC(s->cperm, nc) || !ALLOC(s->adj_off, nc + 1) ||
	    !ALLOC(tmp, big))
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	for (size_t j = 0; j < nj; j++) {
		s->jkey[j] = key_of(in->seed, 0x6a75646765ULL, in->judges[j].id);
		s->jperm[j] = j;
	}
	for (size_t c = 0; c < nc; c++) {
		s->ckey[c] = key_of(in->seed, 0x636c757374ULL, in->clusters[c].id);
		s->cperm[c] = c;
	}
	key_sort(s->jperm, tmp, nj, s->jkey, sj_id, s);
	key_sort(s->cperm, tmp, nc, s->ckey, sc_id, s);
	free(tmp);
	size_t ne = 0;
	for (size_t c = 0; c < nc; c++)
		for (size_t j = 0; j < nj; j++)
			ne += jdg_prep_reasons(&s->p, c, j) == 0;
	if (!ALLOC(s->adj, ne) || !ALLOC(s->ecl, ne) || !ALLOC(s->used, ne))
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	size_t e = 0;
	for (size_t c = 0; c < nc; c++) {
		s->adj_off[c] = e;
		for (size_t r = 0; r < nj; r++)
			if (jdg_prep_reasons(&s->p, c, s->jperm[r]) == 0) {
				s->adj[e] = (uint32_t)s->jperm[r];
				s->ecl[e++] = (uint32_t)c;
			}
	}
	s->adj_off[nc] = e;
	/* A judge holds at most min(cap, its eligible clusters). */
	if (!ALLOC(s->ja_off, nj + 1) || !ALLOC(s->ja_cnt, nj) ||
	    !ALLOC(s->load, nj) || !ALLOC(s->got, nc) ||
	    !ALLOC(s->lcnt, s->cap + 1) || !ALLOC(s->cmark, nc) ||
	    !ALLOC(s->jmark, nj) || !ALLOC(s->cpar_j, nc) ||
	    !ALLOC(s->cpar_e, nc) || !ALLOC(s->jpar_e, nj) ||
	    !ALLOC(s->queue, nc))
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	for (size_t x = 0; x < ne; x++)
		s->ja_off[s->adj[x] + 1]++;
	for (size_t j = 0; j < nj; j++) {
		size_t d = s->ja_off[j + 1];
		s->ja_off[j + 1] = s->ja_off[j] + (d < s->cap ? d : s->cap);
	}
	if (!ALLOC(s->ja_cl, s->ja_off[nj]) || !ALLOC(s->ja_e, s->ja_off[nj]))
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	s->lcnt[0] = nj;
	return CD_OK;
}

/* Breadth-first search of the residual graph from cluster c0: cluster ->
 * judge over an unused eligible edge, judge -> cluster over a used one.
 * Returns the first reached judge of least load below cap, or SIZE_MAX;
 * stops early at a judge of the least load any judge below cap has. */
static size_t search(solver_t *s, size_t c0, int full)
{
	size_t head = 0, tail = 0, best = SIZE_MAX, bl = SIZE_MAX;
	if (++s->stamp == 0) { /* wrapped: forget old marks */
		memset(s->cmark, 0, s->nc * sizeof *s->cmark);
		memset(s->jmark, 0, s->nj * sizeof *s->jmark);
		s->stamp = 1;
	}
	s->cmark[c0] = s->stamp;
	s->queue[tail++] = (uint32_t)c0;
	while (head < tail) {
		size_t c = s->queue[head++];
		for (size_t e = s->adj_off[c]; e < s->adj_off[c + 1]; e++) {
			s->work++;
			size_t j = s->adj[e];
			if (s->used[e] || s->jmark[j] == s->stamp)
				continue;
			s->jmark[j] = s->stamp;
			s->jpar_e[j] = (uint32_t)e;
			if (s->load[j] < s->cap && s->load[j] < bl) {
				best = j;
				bl = s->load[j];
				if (bl == s->lo && !full)
					return best;
			}
			for (size_t a = s->ja_off[j]; a < s->ja_off[j] + s->ja_cnt[j];
			     a++) {
				size_t c2 = s->ja_cl[a];
				s->work++;
				if (s->cmark[c2] == s->stamp)
					continue;
				s->cmark[c2] = s->stamp;
				s->cpar_j[c2] = (uint32_t)j;
				s->cpar_e[c2] = s->ja_e[a];
				s->queue[tail++] = (uint32_t)c2;
			}
		}
	}
	return best;
}

/* Flips the path found by search() from c0 to judge j. */
static void augment(solver_t *s, size_t c0, size_t j)
{
	size_t e = s->jpar_e[j], c = s->ecl[e];
	s->used[e] = 1;
	s->ja_cl[s->ja_off[j] + s->ja_cnt[j]] = (uint32_t)c;
	s->ja_e[s->ja_off[j] + s->ja_cnt[j]++] = (uint32_t)e;
	s->lcnt[s->load[j]]--;
	s->lcnt[++s->load[j]]++;
	while (s->lo < s->cap && s->lcnt[s->lo] == 0)
		s->lo++;
	while (c != c0) {
		/* c gives its edge to judge jp up and takes the one before. */
		size_t jp = s->cpar_j[c], ep = s->cpar_e[c];
		size_t en = s->jpar_e[jp], cn = s->ecl[en];
		s->used[ep] = 0;
		s->used[en] = 1;
		for (size_t a = s->ja_off[jp]; a < s->ja_off[jp] + s->ja_cnt[jp]; a++)
			if (s->ja_e[a] == ep) {
				s->ja_cl[a] = (uint32_t)cn;
				s->ja_e[a] = (uint32_t)en;
				break;
			}
		c = cn;
	}
	s->got[c0]++;
}

/* Problem helpers. */
static int push_problem(jdg_assign_result_t *r, jdg_assign_problem_kind kind,
                        jdg_sb_t *b, size_t *cl, size_t ncl, size_t *jd,
                        size_t njd, size_t demand, size_t supply)
{
	jdg_assign_problem_t *v = realloc(r->problems,
	                                  (r->n_problems + 1) * sizeof *v);
	if (!v) {
		free(b->s);
		free(cl);
		free(jd);
		return CD_ENOMEM;
	}
	r->problems = v;
	jdg_assign_problem_t *pr = &v[r->n_problems];
	memset(pr, 0, sizeof *pr);
	pr->kind = kind;
	pr->clusters = cl;
	pr->n_clusters = ncl;
	pr->judges = jd;
	pr->n_judges = njd;
	pr->demand = demand;
	pr->supply = supply;
	r->n_problems++;
	pr->text = jdg_sb_take(b);
	return pr->text ? CD_OK : CD_ENOMEM;
}

/* A cluster with fewer than k eligible judges: every excluded judge, in id
 * order, with its reasons. */
static int too_few(solver_t *s, size_t c, jdg_assign_result_t *r)
{
	const jdg_assign_input_t *in = s->p.in;
	size_t ne = s->adj_off[c + 1] - s->adj_off[c], shown = 0;
	jdg_sb_t b = { 0 };
	size_t *jd = malloc((ne ? ne : 1) * sizeof *jd);
	size_t *cl = malloc(sizeof *cl);
	if (!jd || !cl) {
		free(jd);
		free(cl);
		return CD_ENOMEM;
	}
	cl[0] = c;
	size_t nj = 0;
	for (size_t x = 0; x < s->nj; x++) {
		size_t j = s->p.j_by_id[x];
		if (jdg_prep_reasons(&s->p, c, j) == 0)
			jd[nj++] = j;
	}
	jdg_sb_printf(&b, "cluster '%s' has only %zu eligible judge%s (k = %zu)",
	              in->clusters[c].id, ne, ne == 1 ? "" : "s", s->k);
	for (size_t x = 0; x < s->nj; x++) {
		size_t j = s->p.j_by_id[x];
		unsigned why = jdg_prep_reasons(&s->p, c, j);
		if (!why)
			continue;
		if (shown == LIST_SHOWN) {
			jdg_sb_printf(&b, ", and %zu more excluded",
			              s->nj - ne - shown);
			break;
		}
		jdg_sb_printf(&b, "%s'%s' ", shown++ ? ", " : ": ",
		              in->judges[j].id);
		jdg_sb_reasons(&b, &s->p, c, j, why);
	}
	return push_problem(r, JDG_ASSIGN_TOO_FEW_ELIGIBLE, &b, cl, 1, jd, nj,
	                    s->k, ne);
}

/* The clusters reachable from deficient cluster d in the final residual
 * graph (S) and the judges they can use: a minimum cut, so S needs k|S|
 * places and its eligible judges give sum min(cap, eligible clusters of
 * S) = k|S| - shortage. */
static int capacity(solver_t *s, size_t d, unsigned char *covered,
                    jdg_assign_result_t *r)
{
	const jdg_assign_input_t *in = s->p.in;
	(void)search(s, d, 1);
	size_t ns = 0, nn = 0;
	for (size_t c = 0; c < s->nc; c++)
		ns += s->cmark[c] == s->stamp;
	size_t *cl = malloc(ns * sizeof *cl);
	size_t *deg = calloc(s->nj ? s->nj : 1, sizeof *deg);
	size_t *jd = malloc((s->nj ? s->nj : 1) * sizeof *jd);
	if (!cl || !deg || !jd) {
		free(cl);
		free(deg);
		free(jd);
		return CD_ENOMEM;
	}
	ns = 0;
	for (size_t x = 0; x < s->nc; x++) {
		size_t c = s->p.c_by_id[x];
		if (s->cmark[c] != s->stamp)
			continue;
		cl[ns++] = c;
		covered[c] = 1;
		for (size_t e = s->adj_off[c]; e < s->adj_off[c + 1]; e++)
			deg[s->adj[e]]++;
	}
	size_t supply = 0;
	for (size_t x = 0; x < s->nj; x++) {
		size_t j = s->p.j_by_id[x];
		if (deg[j]) {
			jd[nn++] = j;
			supply += deg[j] < s->cap ? deg[j] : s->cap;
		}
	}
	jdg_sb_t b = { 0 };
	jdg_sb_printf(&b, "cluster%s ", ns == 1 ? "" : "s");
	for (size_t x = 0; x < ns && x < LIST_SHOWN; x++)
		jdg_sb_printf(&b, "%s'%s'", x ? ", " : "", in->clusters[cl[x]].id);
	if (ns > LIST_SHOWN)
		jdg_sb_printf(&b, " and %zu more", ns - LIST_SHOWN);
	jdg_sb_printf(&b, " need %zu judge places (k = %zu) but %s %zu eligible "
	              "judge%s can give at most %zu under max_load %zu: ",
	              s->k * ns, s->k, ns == 1 ? "its" : "their", nn,
	              nn == 1 ? "" : "s", supply, s->cap);
	for (size_t x = 0; x < nn && x < LIST_SHOWN; x++) {
		size_t j = jd[x];
		if (deg[j] >= s->cap)
			jdg_sb_printf(&b, "%s'%s' %zu (full)", x ? ", " : "",
			              in->judges[j].id, s->cap);
		else
			jdg_sb_printf(&b, "%s'%s' %zu (eligible for %zu of them)",
			              x ? ", " : "", in->judges[j].id, deg[j], deg[j]);
	}
	if (nn > LIST_SHOWN)
		jdg_sb_printf(&b, " and %zu more", nn - LIST_SHOWN);
	free(deg);
	return push_problem(r, JDG_ASSIGN_CAPACITY, &b, cl, ns, jd, nn,
	                    s->k * ns, supply);
}

/* Insertion sort by judge id: k <= JDG_ASSIGN_MAX_K, and qsort has no
 * context argument. */
static void sort_by_jid(size_t *v, size_t n, const jdg_assign_judge_t *jd)
{
	for (size_t i = 1; i < n; i++) {
		size_t x = v[i], m = i;
		while (m > 0 && strcmp(jd[v[m - 1]].id, jd[x].id) > 0) {
			v[m] = v[m - 1];
			m--;
		}
		v[m] = x;
	}
}

int jdg_assign_run(const jdg_assign_input_t *in, jdg_assign_result_t **out,
                   char *err, size_t errlen)
{
	if (!out)
		return cd_fail(err, errlen, CD_EINVAL, "out is NULL");
	*out = NULL;
	solver_t s;
	memset(&s, 0, sizeof s);
	int rc = jdg_prep_init(&s.p, in, err, errlen);
	if (rc)
		return rc;
	s.nc = in->n_clusters;
	s.nj = in->n_judges;
	s.k = in->k;
	s.cap = in->max_load < s.nc ? in->max_load : (s.nc ? s.nc : 1);
	jdg_assign_result_t *r = calloc(1, sizeof *r);
	unsigned char *skip = calloc(s.nc ? s.nc : 1, 1);
	if (!r || !skip) {
		rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
		goto done;
	}
	r->n_clusters = s.nc;
	r->n_judges = s.nj;
	r->k = s.k;
	if ((rc = build(&s, err, errlen)))
		goto done;
	/* Clusters short of eligible judges can never be served: named on
	 * their own, and left out so the rest is diagnosed without them. */
	for (size_t x = 0; x < s.nc; x++) {
		size_t c = s.p.c_by_id[x];
		if (s.adj_off[c + 1] - s.adj_off[c] < s.k) {
			skip[c] = 1;
			if (too_few(&s, c, r)) {
				rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
				goto done;
			}
		}
	}
	/* One place per cluster per round, clusters in key order. Once a
	 * cluster finds no path it never will (the vertices it reaches stay
	 * closed), so it is skipped from then on. */
	size_t n_short = 0;
	for (size_t round = 0; round < s.k; round++)
		for (size_t x = 0; x < s.nc; x++) {
			size_t c = s.cperm[x];
			if (skip[c])
				continue;
			size_t j = search(&s, c, 0);
			if (s.work > JDG_ASSIGN_MAX_WORK) {
				rc = cd_fail(err, errlen, CD_ELIMIT, "assignment needs "
				             "more than %llu steps", JDG_ASSIGN_MAX_WORK);
				goto done;
			}
			if (j == SIZE_MAX) {
				skip[c] = 2;
				n_short++;
				continue;
			}
			augment(&s, c, j);
		}
	if (n_short) {
		unsigned char *covered = calloc(s.nc, 1);
		if (!covered) {
			rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
			goto done;
		}
		for (size_t x = 0; x < s.nc; x++) {
			size_t c = s.p.c_by_id[x];
			if (skip[c] == 2 && !covered[c] && capacity(&s, c, covered, r)) {
				free(covered);
				rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
				goto done;
			}
		}
		free(covered);
	}
	if (r->n_problems)
		goto done;
	r->feasible = 1;
	if (!ALLOC(r->judges, s.nc * s.k) || !ALLOC(r->loads, s.nj)) {
		rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
		goto done;
	}
	memset(s.got, 0, s.nc * sizeof *s.got);
	for (size_t j = 0; j < s.nj; j++) {
		r->loads[j] = s.load[j];
		for (size_t a = s.ja_off[j]; a < s.ja_off[j] + s.ja_cnt[j]; a++) {
			size_t c = s.ja_cl[a];
			r->judges[c * s.k + s.got[c]++] = j;
		}
	}
	for (size_t c = 0; c < s.nc; c++)
		sort_by_jid(r->judges + c * s.k, s.k, in->judges);
	r->load_min = SIZE_MAX;
	for (size_t j = 0; j < s.nj; j++) {
		if (r->loads[j] > r->load_max)
			r->load_max = r->loads[j];
		if (r->loads[j] < r->load_min)
			r->load_min = r->loads[j];
	}
done:
	free(skip);
	solver_free(&s);
	if (rc) {
		jdg_assign_result_destroy(r);
		return rc;
	}
	*out = r;
	return CD_OK;
}

void jdg_assign_result_destroy(jdg_assign_result_t *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_problems; i++) {
		free(r->problems[i].text);
		free(r->problems[i].clusters);
		free(r->problems[i].judges);
	}
	free(r->problems);
	free(r->judges);
	free(r->loads);
	free(r);
}
