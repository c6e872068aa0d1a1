/* The statistical coherence of a round (engine_coherence.h): Pearson's r
 * and Spearman's rho between items and with their groups, Cronbach's
 * alpha per group, and the flags of a composite indicator's audit.
 *
 * Range: as in engine_norm.c, each column is computed on x·2^-e, e the
 * binary exponent of its largest magnitude, so deviations and their
 * products neither overflow nor lose bits to underflow; correlations are
 * ratios that do not change under that scaling, and Cronbach's alpha
 * brings a group's covariances to one common scale before adding them.
 * Means are compensated (Neumaier) sums; the co-moments are summed in
 * blocks of BLOCK rows, each block in plain doubles and the blocks
 * compensated, so the error does not grow with the number of rows. */
#include "engine_coherence.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"

#define KIND(x) CLUSTERS__V1__COHERENCE_ITEM_KIND__COHERENCE_ITEM_KIND_##x
#define FLAG(x) CLUSTERS__V1__COHERENCE_FLAG_CODE__COHERENCE_FLAG_CODE_##x
#define BLOCK 4096

typedef struct col {
	const double *x;
	int e;                  /* values scaled by 2^-e */
	double f;               /* 2^-e, or 0 when not a normal double */
	double mean;            /* of the scaled values */
	int constant;           /* one value over R */
	int nonfinite;          /* a value that is not finite */
} col_t;

static inline double scaled(const col_t *c, double x)
{
	return c->f != 0 ? x * c->f : ldexp(x, -c->e);
}

/* Scale, mean and degeneracy of one column over R. */
static void col_scan(col_t *c, const uint32_t *R, size_t nR)
{
	double lo = INFINITY, hi = -INFINITY;
	for (size_t i = 0; i < nR; i++) {
		double x = c->x[R[i]];
		if (!isfinite(x)) {
			c->nonfinite = 1;
			return;
		}
		lo = x < lo ? x : lo;
		hi = x > hi ? x : hi;
	}
	c->constant = !(lo < hi);       /* decided on the values */
	double big = fmax(fabs(lo), fabs(hi));
	c->e = 0;
	if (big > 0)
		(void)frexp(big, &c->e);
	c->f = c->e > -1000 && c->e < 1000 ? ldexp(1.0, -c->e) : 0.0;
	engine_ksum_t k = { 0, 0 };
	for (size_t i = 0; i < nR; i++)
		engine_ksum_add(&k, scaled(c, c->x[R[i]]));
	c->mean = nR ? engine_ksum_get(&k) / (double)nR : 0;
}

/* Co-moments Σ d_j d_l (l >= j) of the scaled, centred columns into
 * mom[j * m + l]. */
static int comoments(const col_t *c, size_t m, const uint32_t *R, size_t nR,
                     double *mom)
{
	double *blk = calloc(m * m + m, sizeof(*blk));
	engine_ksum_t *tot = calloc(m * m, sizeof(*tot));
	if (!blk || !tot) {
		free(blk);
		free(tot);
		return CD_ENOMEM;
	}
	double *d = blk + m * m;
	for (size_t i = 0; i < nR; i++) {
		uint32_t p = R[i];
		for (size_t j = 0; j < m; j++)
			d[j] = c[j].nonfinite ? 0 : scaled(&c[j], c[j].x[p]) -
			                                c[j].mean;
		for (size_t j = 0; j < m; j++) {
			double dj = d[j], *b = blk + j * m;
			for (size_t l = j; l < m; l++)
				b[l] += dj * d[l];
		}
		if ((i + 1) % BLOCK == 0 || i + 1 == nR)
			for (size_t j = 0; j < m; j++)
				for (size_t l = j; l < m; l++) {
					engine_ksum_add(&tot[j * m + l],
					                blk[j * m + l]);
					blk[j * m + l] = 0;
				}
	}
	for (size_t j = 0; j < m * m; j++)
		mom[j] = engine_ksum_get(&tot[j]);
	free(blk);
	free(tot);
	return CD_OK;
}

/* Twice the average rank (1 = largest) of each row of column c, rk[i] for
 * row i of R: ties share the mean of the ranks they span, and twice it,
 * first + last, is an integer. idx holds 0..nR-1; ties are read off the
 * sorted keys (equal keys are equal doubles), not from the column. */
static int ranks(const col_t *c, const uint32_t *R, size_t nR,
                 engine_sorter_t *s, double *buf, const uint32_t *idx,
                 uint32_t *rk)
{
	for (size_t i = 0; i < nR; i++)
		buf[i] = c->x[R[i]];
	const engine_pair_t *a;
	int rc = engine_sort_desc_pairs(s, idx, nR, buf, &a);
	if (rc)
		return rc;
	for (size_t i = 0; i < nR;) {
		size_t k = i;
		while (k + 1 < nR && a[k + 1].key == a[i].key)
			k++;
		for (size_t t = i; t <= k; t++)
			rk[a[t].idx] = (uint32_t)(i + k + 2);
		i = k + 1;
	}
	return CD_OK;
}

/* Co-moments of the centred doubled ranks (2 rank - (nR + 1), integers):
 * each block summed exactly in 64-bit integers. */
static int rank_comoments(const uint32_t *rk, size_t m, size_t nR,
                          double *mom)
{
	int64_t *blk = calloc(m * m + m, sizeof(*blk));
	engine_ksum_t *tot = calloc(m * m, sizeof(*tot));
	if (!blk || !tot) {
		free(blk);
		free(tot);
		return CD_ENOMEM;
	}
	int64_t *d = blk + m * m, mid = (int64_t)nR + 1;
	for (size_t i = 0; i < nR; i++) {
		for (size_t j = 0; j < m; j++)
			d[j] = (int64_t)rk[j * nR + i] - mid;
		for (size_t j = 0; j < m; j++) {
			int64_t dj = d[j], *b = blk + j * m;
			for (size_t l = j; l < m; l++)
				b[l] += dj * d[l];
		}
		if ((i + 1) % BLOCK == 0 || i + 1 == nR)
			for (size_t j = 0; j < m; j++)
				for (size_t l = j; l < m; l++) {
					engine_ksum_add(&tot[j * m + l],
					         (double)blk[j * m + l]);
					blk[j * m + l] = 0;
				}
	}
	for (size_t j = 0; j < m * m; j++)
		mom[j] = engine_ksum_get(&tot[j]);
	free(blk);
	free(tot);
	return CD_OK;
}

/* r of columns j and l from co-moments; NaN when either does not vary. */
static double corr(const double *mom, const col_t *c, size_t m, size_t j,
                   size_t l)
{
	if (c[j].constant || c[l].constant || c[j].nonfinite ||
	    c[l].nonfinite)
		return NAN;
	size_t a = j < l ? j : l, b = j < l ? l : j;
	double vj = mom[j * m + j], vl = mom[l * m + l];
	if (!(vj > 0 && vl > 0))
		return NAN;
	double r = mom[a * m + b] / (sqrt(vj) * sqrt(vl));
	return r > 1 ? 1 : r < -1 ? -1 : r;
}

typedef struct ctx {
	engine_arena_t *a;
	Clusters__V1__RoundCoherence *out;
	size_t cap_notes, cap_flags;
	const char *const *ids;
	const int *kind;
} ctx_t;

static const char *kind_word(int kind)
{
	return kind == KIND(PILLAR) ? "pillar" : "criterion";
}

static int push(engine_arena_t *a, void ***v, size_t *n, size_t *cap,
                void *x)
{
	if (*n == *cap) {
		size_t nc = *cap ? 2 * *cap : 8;
		void **nv = engine_arena_alloc(a, nc * sizeof(*nv));
		if (!nv)
			return CD_ENOMEM;
		if (*n)
			memcpy(nv, *v, *n * sizeof(*nv));
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = x;
	return CD_OK;
}

static int note(ctx_t *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int note(ctx_t *x, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	char *s = engine_arena_dup(x->a, buf);
	if (!s)
		return CD_ENOMEM;
	return push(x->a, (void ***)&x->out->notes, &x->out->n_notes,
	            &x->cap_notes, s);
}

/* "the round's total" or pillar "p", for flag and note texts. */
static void group_words(const ctx_t *x, int g, char *buf, size_t len)
{
	if (g == ENGINE_COH_ROUND)
		snprintf(buf, len, "the round's total");
	else
		snprintf(buf, len, "%s \"%s\"", kind_word(x->kind[g]),
		         x->ids[g]);
}

static int flag(ctx_t *x, int code, size_t j, long other, int g, double r)
{
	Clusters__V1__CoherenceFlag *f = engine_arena_alloc(x->a, sizeof(*f));
	if (!f)
		return CD_ENOMEM;
	clusters__v1__coherence_flag__init(f);
	f->code = (Clusters__V1__CoherenceFlagCode)code;
	f->item = engine_arena_dup(x->a, x->ids[j]);
	f->other = engine_arena_dup(x->a, other >= 0 ? x->ids[other] : "");
	f->group = engine_arena_dup(x->a, g >= 0 ? x->ids[g] : "");
	f->value = r;
	char gw[200], buf[600];
	group_words(x, g, gw, sizeof(gw));
	if (code == FLAG(NEGATIVE))
		snprintf(buf, sizeof(buf),
		         "%s \"%s\" correlates negatively with %s (Pearson %.3f)",
		         kind_word(x->kind[j]), x->ids[j], gw, r);
	else if (code == FLAG(WEAK))
		snprintf(buf, sizeof(buf),
		         "%s \"%s\" correlates weakly with %s (Pearson %.3f, "
		         "at most %g)", kind_word(x->kind[j]), x->ids[j], gw, r,
		         ENGINE_COH_WEAK);
	else
		snprintf(buf, sizeof(buf),
		         "%s \"%s\" and \"%s\" are very highly correlated "
		         "(Pearson %.3f, above %g): one may count what the other "
		         "does", x->kind[j] == KIND(PILLAR) ? "pillars" : "criteria",
		         x->ids[j], x->ids[other], r, ENGINE_COH_REDUNDANT);
	f->text = engine_arena_dup(x->a, buf);
	if (!f->item || !f->other || !f->group || !f->text)
		return CD_ENOMEM;
	return push(x->a, (void ***)&x->out->flags, &x->out->n_flags,
	            &x->cap_flags, f);
}

/* Cronbach's alpha of the items of group g: k/(k-1) (1 - Σ var / var of
 * the sum), the covariances brought to the scale 2^-E, E the group's
 * largest exponent (the (n - 1) of sample covariances cancels). */
static double alpha(const double *mom, const col_t *c, size_t m,
                    const int *group, size_t ncol, int g, size_t k)
{
	int E = INT32_MIN;
	for (size_t j = 0; j < ncol; j++)
		if (group[j] == g && c[j].e > E)
			E = c[j].e;
	engine_ksum_t sum = { 0, 0 }, diag = { 0, 0 };
	for (size_t j = 0; j < ncol; j++) {
		if (group[j] != g)
			continue;
		for (size_t l = j; l < ncol; l++) {
			if (group[l] != g)
				continue;
			double v = ldexp(mom[j * m + l], c[j].e + c[l].e - 2 * E);
			engine_ksum_add(&sum, l == j ? v : 2 * v);
			if (l == j)
				engine_ksum_add(&diag, v);
		}
	}
	double S = engine_ksum_get(&sum), D = engine_ksum_get(&diag);
	if (!(S > 0))
		return NAN;
	return (double)k / (double)(k - 1) * (1 - D / S);
}

/* Every group is the round or a pillar item, and following groups from
 * any item reaches the round: pillars nest to any depth, without a
 * cycle. */
static int check_groups(const int *kind, const int *group, size_t ncol,
                        char *err, size_t errlen)
{
	for (size_t j = 0; j < ncol; j++) {
		int g = group[j];
		if (g == ENGINE_COH_ROUND)
			continue;
		if (g < 0 || (size_t)g >= ncol || (size_t)g == j ||
		    kind[g] != CLUSTERS__V1__COHERENCE_ITEM_KIND__COHERENCE_ITEM_KIND_PILLAR) {
			snprintf(err, errlen, "coherence: item %zu: group %d is "
			         "neither the round nor a pillar item", j, g);
			return CD_EINVAL;
		}
		size_t steps = 0;
		while (g != ENGINE_COH_ROUND && steps++ <= ncol)
			g = g >= 0 && (size_t)g < ncol ? group[g] : ENGINE_COH_ROUND;
		if (g != ENGINE_COH_ROUND) {
			snprintf(err, errlen, "coherence: item %zu: its groups "
			         "form a cycle", j);
			return CD_EINVAL;
		}
	}
	return CD_OK;
}

/* Item j against the total and its group; its flags. */
static int items(ctx_t *x, const double *pm, const double *sm,
                 const col_t *c, size_t m, const int *group, size_t ncol)
{
	Clusters__V1__RoundCoherence *out = x->out;
	out->items = engine_arena_alloc(x->a, ncol * sizeof(*out->items));
	Clusters__V1__CoherenceItem *v =
		engine_arena_alloc(x->a, ncol * sizeof(*v));
	if (ncol && (!out->items || !v))
		return CD_ENOMEM;
	size_t T = m - 1;
	for (size_t j = 0; j < ncol; j++) {
		int g = group[j];
		size_t gi = g == ENGINE_COH_ROUND ? T : (size_t)g;
		clusters__v1__coherence_item__init(&v[j]);
		v[j].id = engine_arena_dup(x->a, x->ids[j]);
		v[j].group = engine_arena_dup(x->a, g >= 0 ? x->ids[g] : "");
		if (!v[j].id || !v[j].group)
			return CD_ENOMEM;
		v[j].kind = (Clusters__V1__CoherenceItemKind)x->kind[j];
		v[j].pearson_total = pm ? corr(pm, c, m, j, T) : NAN;
		v[j].spearman_total = sm ? corr(sm, c, m, j, T) : NAN;
		v[j].pearson_group = pm ? corr(pm, c, m, j, gi) : NAN;
		v[j].spearman_group = sm ? corr(sm, c, m, j, gi) : NAN;
		out->items[j] = &v[j];
		double r = v[j].pearson_group;
		int rc = CD_OK;
		if (r < 0)
			rc = flag(x, FLAG(NEGATIVE), j, -1, g, r);
		else if (r <= ENGINE_COH_WEAK)
			rc = flag(x, FLAG(WEAK), j, -1, g, r);
		if (rc)
			return rc;
	}
	out->n_items = ncol;
	return CD_OK;
}

/* Every two items of one kind; a redundant pair is one of one group. */
static int pairs(ctx_t *x, const double *pm, const double *sm,
                 const col_t *c, size_t m, const int *group, size_t ncol)
{
	Clusters__V1__RoundCoherence *out = x->out;
	size_t np = 0;
	for (size_t j = 0; j < ncol; j++)
		for (size_t l = j + 1; l < ncol; l++)
			np += x->kind[j] == x->kind[l];
	if (!np)
		return CD_OK;
	out->pairs = engine_arena_alloc(x->a, np * sizeof(*out->pairs));
	Clusters__V1__CoherencePair *v =
		engine_arena_alloc(x->a, np * sizeof(*v));
	if (!out->pairs || !v)
		return CD_ENOMEM;
	for (size_t j = 0; j < ncol; j++)
		for (size_t l = j + 1; l < ncol; l++) {
			if (x->kind[j] != x->kind[l])
				continue;
			clusters__v1__coherence_pair__init(v);
			v->item_a = engine_arena_dup(x->a, x->ids[j]);
			v->item_b = engine_arena_dup(x->a, x->ids[l]);
			if (!v->item_a || !v->item_b)
				return CD_ENOMEM;
			v->pearson = pm ? corr(pm, c, m, j, l) : NAN;
			v->spearman = sm ? corr(sm, c, m, j, l) : NAN;
			out->pairs[out->n_pairs++] = v;
			if (group[j] == group[l] &&
			    v->pearson > ENGINE_COH_REDUNDANT &&
			    flag(x, FLAG(REDUNDANT), j, (long)l, group[j],
			         v->pearson))
				return CD_ENOMEM;
			v++;
		}
	return CD_OK;
}

/* Cronbach's alpha of each group: the round's first, then the others in
 * the order of their columns. */
static int groups(ctx_t *x, const double *pm, const col_t *c, size_t m,
                  const int *group, size_t ncol)
{
	Clusters__V1__RoundCoherence *out = x->out;
	out->groups = engine_arena_alloc(x->a, (ncol + 1) * sizeof(*out->groups));
	Clusters__V1__CoherenceGroup *v =
		engine_arena_alloc(x->a, (ncol + 1) * sizeof(*v));
	if (!out->groups || !v)
		return CD_ENOMEM;
	for (long g = ENGINE_COH_ROUND; g < (long)ncol; g++) {
		size_t k = 0, bad = 0;
		for (size_t j = 0; j < ncol; j++)
			if (group[j] == g) {
				k++;
				bad += c[j].nonfinite;
			}
		if (!k)
			continue;
		clusters__v1__coherence_group__init(v);
		v->group = engine_arena_dup(x->a, g >= 0 ? x->ids[g] : "");
		if (!v->group)
			return CD_ENOMEM;
		v->items = (int32_t)k;
		v->cronbach_alpha = NAN;
		char gw[200];
		if (g == ENGINE_COH_ROUND)
			snprintf(gw, sizeof(gw), "the round");
		else
			group_words(x, (int)g, gw, sizeof(gw));
		int rc = CD_OK;
		if (k < 2)
			rc = note(x, "Cronbach's alpha of %s is not defined: it "
			          "has one item, and alpha needs two", gw);
		else if (pm && !bad) {
			v->cronbach_alpha = alpha(pm, c, m, group, ncol, (int)g, k);
			if (isnan(v->cronbach_alpha))
				rc = note(x, "Cronbach's alpha of %s is not defined: "
				          "the sum of its items is the same for every "
				          "ranked cluster", gw);
		}
		if (rc)
			return rc;
		out->groups[out->n_groups++] = v++;
	}
	return CD_OK;
}

static int degenerate_notes(ctx_t *x, const col_t *c, size_t ncol)
{
	for (size_t j = 0; j <= ncol; j++) {
		int rc = CD_OK;
		const char *what = j < ncol ? kind_word(x->kind[j]) : NULL;
		if (c[j].nonfinite)
			rc = j < ncol
			     ? note(x, "%s \"%s\" has a score that is not a finite "
			            "number: its correlations and alpha are not "
			            "defined", what, x->ids[j])
			     : note(x, "a total score is not a finite number: "
			            "correlations with the total are not defined");
		else if (c[j].constant)
			rc = j < ncol
			     ? note(x, "%s \"%s\" has the same score for every "
			            "ranked cluster: its correlations are not "
			            "defined", what, x->ids[j])
			     : note(x, "the total score is the same for every "
			            "ranked cluster: correlations with it are not "
			            "defined");
		if (rc)
			return rc;
	}
	return CD_OK;
}

int engine_coherence(engine_arena_t *a, const double *const *cols,
                     const char *const *ids, const int *kind,
                     const int *group, size_t ncol, const double *total,
                     const uint32_t *R, size_t nR, engine_sorter_t *s,
                     Clusters__V1__RoundCoherence *out, char *err,
                     size_t errlen)
{
	clusters__v1__round_coherence__init(out);
	int rc = check_groups(kind, group, ncol, err, errlen);
	if (rc)
		return rc;
	out->observations = (int32_t)nR;
	out->weak_threshold = ENGINE_COH_WEAK;
	out->redundant_threshold = ENGINE_COH_REDUNDANT;
	ctx_t x = { .a = a, .out = out, .ids = ids, .kind = kind };
	size_t m = ncol + 1;            /* the items, then the total */
	col_t *c = calloc(m, sizeof(*c));
	double *pm = NULL, *sm = NULL, *buf = NULL;
	uint32_t *idx = NULL, *rk = NULL;
	if (!c)
		return CD_ENOMEM;
	for (size_t j = 0; j < m; j++)
		c[j].x = j < ncol ? cols[j] : total;
	if (nR < 3) {
		rc = note(&x, "fewer than 3 ranked clusters (%zu): correlations "
		          "and Cronbach's alpha are not defined", nR);
		goto fill;
	}
	pm = malloc(2 * m * m * sizeof(*pm));
	buf = malloc(nR * sizeof(*buf));
	idx = malloc(nR * sizeof(*idx));
	rk = calloc(m * nR, sizeof(*rk));
	if (!pm || !buf || !idx || !rk) {
		rc = CD_ENOMEM;
		goto done;
	}
	sm = pm + m * m;
	for (size_t i = 0; i < nR; i++)
		idx[i] = (uint32_t)i;
	for (size_t j = 0; j < m; j++)
		col_scan(&c[j], R, nR);
	if ((rc = degenerate_notes(&x, c, ncol)) ||
	    (rc = comoments(c, m, R, nR, pm)))
		goto done;
	for (size_t j = 0; j < m && !rc; j++)
		if (!c[j].nonfinite && !c[j].constant)
			rc = ranks(&c[j], R, nR, s, buf, idx, rk + j * nR);
		else
			for (size_t i = 0; i < nR; i++)   /* centred: 0 */
				rk[j * nR + i] = (uint32_t)(nR + 1);
	if (rc || (rc = rank_comoments(rk, m, nR, sm)))
		goto done;
fill:
	if (!rc)
		rc = items(&x, pm, sm, c, m, group, ncol);
	if (!rc)
		rc = pairs(&x, pm, sm, c, m, group, ncol);
	if (!rc)
		rc = groups(&x, pm, c, m, group, ncol);
done:
	free(c);
	free(pm);
	free(buf);
	free(idx);
	free(rk);
	return rc;
}
