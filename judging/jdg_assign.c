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
	size_t *jadj_off;          /* per judge: its eligible edges */
	uint32_t *jadj;            /* (in cluster-key order) */
	uint32_t *ca;              /* per cluster: its k used edges */
	size_t *load, *got;        /* judge loads, clusters' judges so far */
	unsigned char *skip;       /* 1: too few eligible; 2: can get no more */
	unsigned char *frozen;     /* judge no cluster short of judges reaches */
	uint32_t *cmark, *jmark, stamp;
	uint32_t *cpar_j, *cpar_e, *jpar_e, *jpar_c, *queue;
	size_t *jcur;              /* per judge: edges before it go to full clusters */
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
	              s->load, s->got, s->cmark, s->jmark, s->cpar_j,
	              s->cpar_e, s->jpar_e, s->queue, s->jadj_off, s->jadj, s->ca,
	              s->skip, s->frozen, s->jpar_c, s->jcur };
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
	    !ALLOC(s->cmark, nc) || !ALLOC(s->skip, nc) ||
	    !ALLOC(s->jmark, nj) || !ALLOC(s->cpar_j, nc) ||
	    !ALLOC(s->cpar_e, nc) || !ALLOC(s->jpar_e, nj) ||
	    !ALLOC(s->jpar_c, nj) || !ALLOC(s->frozen, nj) ||
	    !ALLOC(s->queue, nc > nj ? nc : nj) || !ALLOC(s->ca, nc * s->k) ||
	    !ALLOC(s->jadj_off, nj + 1) || !ALLOC(s->jadj, ne) ||
	    !ALLOC(s->jcur, nj))
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	/* Each judge's edges, clusters in key order. */
	for (size_t x = 0; x < ne; x++)
		s->jadj_off[s->adj[x] + 1]++;
	for (size_t j = 0; j < nj; j++)
		s->jadj_off[j + 1] += s->jadj_off[j];
	size_t *fillp = zalloc(nj, sizeof *fillp);
	if (!fillp)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	for (size_t x = 0; x < nc; x++) {
		size_t c = s->cperm[x];
		for (size_t e2 = s->adj_off[c]; e2 < s->adj_off[c + 1]; e2++) {
			size_t j = s->adj[e2];
			s->jadj[s->jadj_off[j] + fillp[j]++] = (uint32_t)e2;
		}
	}
	free(fillp);
	for (size_t j = 0; j < nj; j++)
		s->jcur[j] = s->jadj_off[j];
	for (size_t x = 0; x < ne; x++)
		s->ja_off[s->adj[x] + 1]++;
	for (size_t j = 0; j < nj; j++) {
		size_t d = s->ja_off[j + 1];
		s->ja_off[j + 1] = s->ja_off[j] + (d < s->cap ? d : s->cap);
	}
	if (!ALLOC(s->ja_cl, s->ja_off[nj]) || !ALLOC(s->ja_e, s->ja_off[nj]))
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	return CD_OK;
}

static void new_stamp(solver_t *s)
{
	if (++s->stamp == 0) { /* wrapped: forget old marks */
		memset(s->cmark, 0, s->nc * sizeof *s->cmark);
		memset(s->jmark, 0, s->nj * sizeof *s->jmark);
		s->stamp = 1;
	}
}

static size_t uf_find(size_t *uf, size_t x)
{
	while (uf[x] != x)
		x = uf[x] = uf[uf[x]];
	return x;
}

static void uf_union(size_t *uf, size_t a, size_t b)
{
	a = uf_find(uf, a);
	b = uf_find(uf, b);
	if (a != b)
		uf[a > b ? a : b] = a < b ? a : b; /* the first stays root */
}

/* Labels lab what cluster c0 reaches in the residual graph (cluster ->
 * judge over an unused eligible edge, judge -> cluster over a used one),
 * stopping at what an earlier search labelled and joining the two labels:
 * every vertex is visited once over all searches, and a class of labels
 * covers exactly what its clusters reach together. */
static void reach(solver_t *s, size_t c0, size_t lab, size_t *clab,
                  size_t *jlab, size_t *uf)
{
	size_t head = 0, tail = 0;
	clab[c0] = lab;
	s->queue[tail++] = (uint32_t)c0;
	while (head < tail) {
		size_t c = s->queue[head++];
		for (size_t e = s->adj_off[c]; e < s->adj_off[c + 1]; e++) {
			size_t j = s->adj[e];
			if (s->used[e])
				continue;
			if (jlab[j] != SIZE_MAX) {
				uf_union(uf, lab, jlab[j]);
				continue;
			}
			jlab[j] = lab;
			for (size_t a = s->ja_off[j]; a < s->ja_off[j] + s->ja_cnt[j];
			     a++) {
				size_t c2 = s->ja_cl[a];
				if (clab[c2] != SIZE_MAX) {
					uf_union(uf, lab, clab[c2]);
					continue;
				}
				clab[c2] = lab;
				s->queue[tail++] = (uint32_t)c2;
			}
		}
	}
}

/* The same graph searched backwards from judge l (not yet marked in this
 * stamp): l <- cluster c that may take l; c <- judge j that c holds (j
 * moves on); j <- cluster that may take j; ... until a cluster short of
 * judges. Returns it, or SIZE_MAX; marks stay for the next source. */
static size_t rsearch(solver_t *s, size_t l)
{
	size_t head = 0, tail = 0;
	/* Most units go straight to a cluster short of judges: l's cursor
	 * passes clusters that are full (they stay full) or that l judges
	 * (it may leave one later: the search below still finds it). */
	while (s->jcur[l] < s->jadj_off[l + 1]) {
		size_t e = s->jadj[s->jcur[l]], c = s->ecl[e];
		s->work++;
		if (!s->used[e] && !s->skip[c] && s->got[c] < s->k) {
			s->cpar_j[c] = (uint32_t)l;
			s->cpar_e[c] = (uint32_t)e;
			s->cmark[c] = s->stamp;
			return c;
		}
		s->jcur[l]++;
	}
	s->jmark[l] = s->stamp;
	s->queue[tail++] = (uint32_t)l;
	while (head < tail) {
		size_t j = s->queue[head++];
		for (size_t x = s->jadj_off[j]; x < s->jadj_off[j + 1]; x++) {
			size_t e = s->jadj[x], c = s->ecl[e];
			s->work++;
			if (s->used[e] || s->cmark[c] == s->stamp || s->skip[c] == 1)
				continue;
			s->cmark[c] = s->stamp;
			s->cpar_j[c] = (uint32_t)j;
			s->cpar_e[c] = (uint32_t)e;
			if (!s->skip[c] && s->got[c] < s->k)
				return c;
			for (size_t i = 0; i < s->got[c]; i++) {
				size_t e2 = s->ca[c * s->k + i], j2 = s->adj[e2];
				s->work++;
				if (s->jmark[j2] == s->stamp)
					continue;
				s->jmark[j2] = s->stamp;
				s->jpar_c[j2] = (uint32_t)c;
				s->jpar_e[j2] = (uint32_t)e2;
				s->queue[tail++] = (uint32_t)j2;
			}
		}
	}
	return SIZE_MAX;
}

static void ja_replace(solver_t *s, size_t j, size_t e_old, size_t c,
                       size_t e)
{
	for (size_t a = s->ja_off[j]; a < s->ja_off[j] + s->ja_cnt[j]; a++)
		if (s->ja_e[a] == e_old) {
			s->ja_cl[a] = (uint32_t)c;
			s->ja_e[a] = (uint32_t)e;
			return;
		}
}

static void ca_replace(solver_t *s, size_t c, size_t e_old, size_t e)
{
	for (size_t i = 0; i < s->got[c]; i++)
		if (s->ca[c * s->k + i] == e_old) {
			s->ca[c * s->k + i] = (uint32_t)e;
			return;
		}
}

/* Flips the path rsearch() found from cluster c0 back to judge l: c0 takes
 * judge j (moving off cluster c'), c' takes the next judge, ..., the last
 * cluster takes l, whose load grows by one. */
static void augment(solver_t *s, size_t c0, size_t l)
{
	size_t c = c0, e = s->cpar_e[c0];
	s->ca[c0 * s->k + s->got[c0]++] = (uint32_t)e;
	for (;;) {
		size_t j = s->cpar_j[c];
		s->used[e] = 1;
		if (j == l) {
			s->ja_cl[s->ja_off[l] + s->ja_cnt[l]] = (uint32_t)c;
			s->ja_e[s->ja_off[l] + s->ja_cnt[l]++] = (uint32_t)e;
			s->load[l]++;
			return;
		}
		size_t cn = s->jpar_c[j], en = s->jpar_e[j]; /* j leaves cn */
		s->used[en] = 0;
		ja_replace(s, j, en, c, e);
		e = s->cpar_e[cn];
		ca_replace(s, cn, en, e);
		c = cn;
	}
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

/* S (in[c] set): what some clusters short of judges reach in the final
 * residual graph, with the judges S may use. The source side of a minimum
 * cut: S needs k|S| places, its judges give sum min(cap, clusters of S
 * they may judge) = k|S| - shortage, every judge reached being full. */
static int capacity(solver_t *s, const unsigned char *inS,
                    jdg_assign_result_t *r)
{
	const jdg_assign_input_t *in = s->p.in;
	size_t ns = 0, nn = 0;
	for (size_t c = 0; c < s->nc; c++)
		ns += inS[c];
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
		if (!inS[c])
			continue;
		cl[ns++] = c;
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
	if (!r) {
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
			s.skip[c] = 1;
			if (too_few(&s, c, r)) {
				rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
				goto done;
			}
		}
	}
	/* Successive shortest paths: each unit goes to a judge of the least
	 * load any cluster short of judges can reach (marginal cost 2 load + 1
	 * of sum(load^2)), first such judge in key order. A level nothing
	 * reaches stays unreachable (the vertices that reach it stay closed),
	 * so its judges are frozen. */
	size_t need = 0;
	for (size_t c = 0; c < s.nc; c++)
		need += s.skip[c] ? 0 : s.k;
	while (need) {
		size_t lo = SIZE_MAX, c = SIZE_MAX, l = SIZE_MAX;
		for (size_t j = 0; j < s.nj; j++)
			if (!s.frozen[j] && s.load[j] < s.cap && s.load[j] < lo)
				lo = s.load[j];
		if (lo == SIZE_MAX)
			break;
		new_stamp(&s);
		for (size_t x = 0; x < s.nj && c == SIZE_MAX; x++) {
			size_t j = s.jperm[x];
			s.work += 2;
			if (s.frozen[j] || s.load[j] != lo || s.jmark[j] == s.stamp)
				continue;
			l = j;
			c = rsearch(&s, j);
		}
		if (s.work > JDG_ASSIGN_MAX_WORK) {
			rc = cd_fail(err, errlen, CD_ELIMIT, "assignment needs more "
			             "than %llu steps", JDG_ASSIGN_MAX_WORK);
			goto done;
		}
		if (c == SIZE_MAX) {
			for (size_t j = 0; j < s.nj; j++)
				if (s.jmark[j] == s.stamp)
					s.frozen[j] = 1;
			continue;
		}
		augment(&s, c, l);
		need--;
	}
	if (need) {
		/* The flow is maximum: what short clusters reach is a cut; one
		 * problem per class of short clusters whose reaches meet. */
		size_t *clab = malloc(s.nc * sizeof *clab);
		size_t *jlab = malloc(s.nj * sizeof *jlab);
		size_t *uf = malloc(s.nc * sizeof *uf);
		unsigned char *inS = malloc(s.nc);
		if (!clab || !jlab || !uf || !inS) {
			free(clab);
			free(jlab);
			free(uf);
			free(inS);
			rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
			goto done;
		}
		for (size_t c = 0; c < s.nc; c++)
			clab[c] = SIZE_MAX;
		for (size_t j = 0; j < s.nj; j++)
			jlab[j] = SIZE_MAX;
		/* Labels are positions in id order, so classes come in the
		 * order of their first cluster. */
		for (size_t x = 0; x < s.nc; x++) {
			size_t c = s.p.c_by_id[x];
			uf[x] = x;
			if (s.skip[c] || s.got[c] >= s.k)
				continue;
			if (clab[c] != SIZE_MAX)
				uf_union(uf, x, clab[c]);
			else
				reach(&s, c, x, clab, jlab, uf);
		}
		for (size_t x = 0; x < s.nc && !rc; x++) {
			size_t c = s.p.c_by_id[x];
			if (s.skip[c] || s.got[c] >= s.k || uf_find(uf, x) != x)
				continue;
			for (size_t y = 0; y < s.nc; y++)
				inS[y] = clab[y] != SIZE_MAX && uf_find(uf, clab[y]) == x;
			if (capacity(&s, inS, r))
				rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
		}
		free(clab);
		free(jlab);
		free(uf);
		free(inS);
		if (rc)
			goto done;
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
