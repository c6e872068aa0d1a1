/*
 * jdg_irr — Kendall's W, ICC(2,1)/ICC(2,k) and per-judge quality over a
 * targets x judges matrix with missing cells. docs/judging.md, "Judge
 * quality and rater reliability", is the specification.
 */
#include "jdg_irr.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"

/* Neumaier's compensated sum: the sums of squares below add up to 10^7
 * terms of mixed size. */
typedef struct ksum {
	double s, c;
} ksum_t;

static void ks_add(ksum_t *k, double x)
{
	double t = k->s + x;
	if (fabs(k->s) >= fabs(x))
		k->c += (k->s - t) + x;
	else
		k->c += (x - t) + k->s;
	k->s = t;
}

static double ks_get(const ksum_t *k)
{
	return k->s + k->c;
}

typedef struct pair {
	double v;
	size_t i;
} pair_t;

static int pair_cmp(const void *pa, const void *pb)
{
	const pair_t *a = pa, *b = pb;
	if (a->v < b->v)
		return -1;
	if (a->v > b->v)
		return 1;
	/* Ties by position: a total order, so the result does not depend on
	 * qsort's algorithm. */
	return (a->i > b->i) - (a->i < b->i);
}

/* Average ranks (1-based) of v[0..m) into r; returns sum of t^3 - t over
 * the tie groups (t = group size). */
static double rank_avg(const double *v, size_t m, pair_t *p, double *r)
{
	double ties = 0.0;
	for (size_t q = 0; q < m; q++) {
		p[q].v = v[q];
		p[q].i = q;
	}
	qsort(p, m, sizeof *p, pair_cmp);
	for (size_t a = 0; a < m;) {
		size_t b = a;
		while (b + 1 < m && p[b + 1].v == p[a].v)
			b++;
		/* Ranks a+1..b+1 share their mean. */
		double avg = ((double)a + (double)b + 2.0) / 2.0;
		double t = (double)(b - a + 1);
		ties += t * t * t - t;
		for (size_t q = a; q <= b; q++)
			r[p[q].i] = avg;
		a = b + 1;
	}
	return ties;
}

static int constant(const double *v, size_t m)
{
	for (size_t q = 1; q < m; q++)
		if (v[q] != v[0])
			return 0;
	return 1;
}

static double mean(const double *v, size_t m)
{
	ksum_t s = {0, 0};
	for (size_t q = 0; q < m; q++)
		ks_add(&s, v[q]);
	return ks_get(&s) / (double)m;
}

/* Pearson's r of two non-constant vectors (m >= 2), two-pass. */
static double pearson(const double *a, const double *b, size_t m)
{
	double ma = mean(a, m), mb = mean(b, m);
	ksum_t sab = {0, 0}, saa = {0, 0}, sbb = {0, 0};
	for (size_t q = 0; q < m; q++) {
		double da = a[q] - ma, db = b[q] - mb;
		ks_add(&sab, da * db);
		ks_add(&saa, da * da);
		ks_add(&sbb, db * db);
	}
	double den = sqrt(ks_get(&saa)) * sqrt(ks_get(&sbb));
	if (!(den > 0.0))
		return NAN; /* underflow: the caller says so */
	double r = ks_get(&sab) / den;
	return r > 1.0 ? 1.0 : r < -1.0 ? -1.0 : r;
}

#define SF_TERMS 100000

double jdg_irr_chi2_sf(double x, double df)
{
	if (isnan(x) || !(df > 0.0) || isinf(df))
		return NAN;
	if (x <= 0.0)
		return 1.0;
	if (isinf(x))
		return 0.0;
	double a = df / 2.0, y = x / 2.0;
	int sign;
	/* log(y^a e^-y / Gamma(a)); lgamma_r, not lgamma: no global sign. */
	double lf = a * log(y) - y - lgamma_r(a, &sign);
	if (y < a + 1.0) {
		/* P(a, y) = f * sum_n y^n / (a (a+1) ... (a+n)); Q = 1 - P is
		 * at least about 0.3 here, so the subtraction keeps its
		 * digits. */
		double term = 1.0 / a, sum = term;
		for (int i = 1; i < SF_TERMS; i++) {
			term *= y / (a + i);
			sum += term;
			if (term < sum * 1e-17) {
				double q = 1.0 - sum * exp(lf);
				return q < 0.0 ? 0.0 : q;
			}
		}
		return NAN;
	}
	/* Q(a, y) = f / (y + 1 - a - 1 (1 - a) / (y + 3 - a - ...)),
	 * evaluated by the modified Lentz method. */
	const double tiny = 1e-300;
	double b = y + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;
	for (int i = 1; i < SF_TERMS; i++) {
		double an = -(double)i * ((double)i - a);
		b += 2.0;
		d = an * d + b;
		if (fabs(d) < tiny)
			d = tiny;
		c = b + an / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1.0 / d;
		double del = d * c;
		h *= del;
		if (fabs(del - 1.0) < 1e-16)
			return exp(lf) * h;
	}
	return NAN;
}

/* Scratch for one matrix, n entries each. */
typedef struct work {
	ksum_t *rowsum;
	size_t *rowcnt;
	size_t *comp;    /* the complete targets */
	size_t *active;  /* the active judges (k entries) */
	double *rsum, *v, *r, *a, *b, *ra, *rb;
	pair_t *p;
} work_t;

static void work_free(work_t *w)
{
	free(w->rowsum);
	free(w->rowcnt);
	free(w->comp);
	free(w->active);
	free(w->rsum);
	free(w->v);
	free(w->r);
	free(w->a);
	free(w->b);
	free(w->ra);
	free(w->rb);
	free(w->p);
}

static int work_alloc(work_t *w, size_t n, size_t k)
{
	memset(w, 0, sizeof *w);
	w->rowsum = calloc(n, sizeof *w->rowsum);
	w->rowcnt = calloc(n, sizeof *w->rowcnt);
	w->comp = calloc(n, sizeof *w->comp);
	w->active = calloc(k, sizeof *w->active);
	w->rsum = calloc(n, sizeof(double));
	w->v = calloc(n, sizeof(double));
	w->r = calloc(n, sizeof(double));
	w->a = calloc(n, sizeof(double));
	w->b = calloc(n, sizeof(double));
	w->ra = calloc(n, sizeof(double));
	w->rb = calloc(n, sizeof(double));
	w->p = calloc(n, sizeof *w->p);
	if (!w->rowsum || !w->rowcnt || !w->comp || !w->active || !w->rsum ||
	    !w->v || !w->r || !w->a || !w->b || !w->ra || !w->rb || !w->p) {
		work_free(w);
		return CD_ENOMEM;
	}
	return CD_OK;
}

/* Kendall's W over the complete block: nc targets w->comp, m judges
 * w->active. */
static void kendall(jdg_irr_stats_t *st, const double *x, size_t k,
                    size_t nc, size_t m, work_t *w)
{
	st->w = st->w_uncorrected = st->chi2 = st->df = st->p = NAN;
	if (m < 2) {
		st->w_reason = "fewer than 2 judges rated any target";
		return;
	}
	if (nc < 2) {
		st->w_reason = "fewer than 2 targets rated by every judge";
		return;
	}
	double dn = (double)nc, dm = (double)m;
	double cube = dn * dn * dn - dn;
	/* The corrected denominator is m * sum_j (N^3 - N - T_j): a judge who
	 * tied every target has T_j computed by the same operations as
	 * N^3 - N, so contributes exactly 0, whatever the rounding of t^3. */
	ksum_t den = {0, 0};
	memset(w->rsum, 0, nc * sizeof(double));
	for (size_t q = 0; q < m; q++) {
		size_t j = w->active[q];
		for (size_t t = 0; t < nc; t++)
			w->v[t] = x[w->comp[t] * k + j];
		ks_add(&den, cube - rank_avg(w->v, nc, w->p, w->r));
		/* Rank sums are multiples of 1/2 below 2^52: exact. */
		for (size_t t = 0; t < nc; t++)
			w->rsum[t] += w->r[t];
	}
	double centre = dm * (dn + 1.0) / 2.0;
	ksum_t s = {0, 0};
	for (size_t t = 0; t < nc; t++) {
		double d = w->rsum[t] - centre;
		ks_add(&s, d * d);
	}
	double S = ks_get(&s);
	double full = dm * dm * cube;
	double corr = dm * ks_get(&den);
	st->df = dn - 1.0;
	st->w_uncorrected = 12.0 * S / full;
	if (!(corr > 0.0)) {
		st->w_reason = "every judge gave all the targets the same score";
		return;
	}
	st->w = 12.0 * S / corr;
	st->chi2 = dm * (dn - 1.0) * st->w;
	st->p = jdg_irr_chi2_sf(st->chi2, st->df);
	if (isnan(st->p))
		st->p_reason = "the chi-square tail did not converge";
}

/* ANOVA and ICCs over the same block. */
static void anova(jdg_irr_stats_t *st, const double *x, size_t k,
                  size_t nc, size_t m, work_t *w)
{
	st->msr = st->msc = st->mse = st->icc21 = st->icc2k = NAN;
	if (m < 2 || nc < 2) {
		st->anova_reason = st->icc21_reason = st->icc2k_reason =
			m < 2 ? "fewer than 2 judges rated any target"
			      : "fewer than 2 targets rated by every judge";
		return;
	}
	double dn = (double)nc, dm = (double)m;
	/* Row means into w->a; column means as each column is read. */
	ksum_t g = {0, 0};
	int same = 1;
	double first = x[w->comp[0] * k + w->active[0]];
	for (size_t t = 0; t < nc; t++) {
		ksum_t rs = {0, 0};
		for (size_t q = 0; q < m; q++) {
			double v = x[w->comp[t] * k + w->active[q]];
			ks_add(&rs, v);
			same &= v == first;
		}
		w->a[t] = ks_get(&rs) / dm;
		ks_add(&g, ks_get(&rs));
	}
	double gm = ks_get(&g) / (dn * dm);
	ksum_t ssr = {0, 0}, ssc = {0, 0}, sse = {0, 0};
	for (size_t t = 0; t < nc; t++) {
		double d = w->a[t] - gm;
		ks_add(&ssr, d * d);
	}
	for (size_t q = 0; q < m; q++) {
		ksum_t cs = {0, 0};
		for (size_t t = 0; t < nc; t++)
			ks_add(&cs, x[w->comp[t] * k + w->active[q]]);
		double cm = ks_get(&cs) / dn;
		double d = cm - gm;
		ks_add(&ssc, d * d);
		/* Residuals of this column: x - row mean - col mean + gm. */
		for (size_t t = 0; t < nc; t++) {
			double e = x[w->comp[t] * k + w->active[q]] - w->a[t] -
			           cm + gm;
			ks_add(&sse, e * e);
		}
	}
	st->msr = dm * ks_get(&ssr) / (dn - 1.0);
	st->msc = dn * ks_get(&ssc) / (dm - 1.0);
	st->mse = ks_get(&sse) / ((dn - 1.0) * (dm - 1.0));
	if (same) {
		/* Rounding would leave tiny mean squares; the ICCs are 0/0. */
		st->msr = st->msc = st->mse = 0.0;
		st->icc21_reason = st->icc2k_reason =
			"every score in the complete block is the same";
		return;
	}
	double msr = st->msr, msc = st->msc, mse = st->mse;
	double d1 = msr + (dm - 1.0) * mse + dm * (msc - mse) / dn;
	double s1 = msr + (dm - 1.0) * mse + dm * (msc + mse) / dn;
	if (!(d1 > 1e-12 * s1))
		st->icc21_reason = "ICC(2,1) denominator is not positive";
	else
		st->icc21 = (msr - mse) / d1;
	double d2 = msr + (msc - mse) / dn;
	double s2 = msr + (msc + mse) / dn;
	if (!(d2 > 1e-12 * s2))
		st->icc2k_reason = "ICC(2,k) denominator is not positive";
	else
		st->icc2k = (msr - mse) / d2;
}

static void judge(jdg_irr_judge_t *jd, const double *x, size_t n, size_t k,
                  size_t j, work_t *w)
{
	jd->leniency = jd->spread = jd->pearson = jd->spearman = NAN;
	size_t nr = 0, nc = 0;
	for (size_t i = 0; i < n; i++) {
		double v = x[i * k + j];
		if (isnan(v))
			continue;
		w->v[nr++] = v;
		if (w->rowcnt[i] < 2)
			continue;
		/* Others' mean: the row's compensated sum less this score. */
		w->a[nc] = v;
		w->b[nc] = ((w->rowsum[i].s - v) + w->rowsum[i].c) /
		           (double)(w->rowcnt[i] - 1);
		nc++;
	}
	jd->n_rated = nr;
	jd->n_compared = nc;
	if (nr < 2) {
		jd->spread_reason = "fewer than 2 targets rated";
	} else if (constant(w->v, nr)) {
		jd->spread = 0.0; /* exactly, whatever the mean's rounding */
	} else {
		double mu = mean(w->v, nr);
		ksum_t ss = {0, 0};
		for (size_t q = 0; q < nr; q++)
			ks_add(&ss, (w->v[q] - mu) * (w->v[q] - mu));
		jd->spread = sqrt(ks_get(&ss) / (double)(nr - 1));
	}
	if (nc == 0) {
		jd->leniency_reason = "no target rated by this judge and another";
	} else {
		ksum_t d = {0, 0};
		for (size_t q = 0; q < nc; q++)
			ks_add(&d, w->a[q] - w->b[q]);
		jd->leniency = ks_get(&d) / (double)nc;
	}
	const char *why = NULL;
	if (nc < 3)
		why = "fewer than 3 targets rated by this judge and another";
	else if (constant(w->a, nc))
		why = "the judge's scores do not vary";
	else if (constant(w->b, nc))
		why = "the other judges' mean does not vary";
	if (why) {
		jd->pearson_reason = jd->spearman_reason = why;
		return;
	}
	jd->pearson = pearson(w->a, w->b, nc);
	/* Scores of order 1e-160 vary, yet their squares underflow to 0. */
	if (isnan(jd->pearson))
		jd->pearson_reason = "the scores' variance underflows";
	rank_avg(w->a, nc, w->p, w->ra);
	rank_avg(w->b, nc, w->p, w->rb);
	jd->spearman = pearson(w->ra, w->rb, nc);
	if (jd->pearson < 0.0)
		jd->flags |= JDG_IRR_FLAG_NEGATIVE;
	else if (jd->pearson < JDG_IRR_WEAK)
		jd->flags |= JDG_IRR_FLAG_WEAK;
}

static int stats(jdg_irr_stats_t *st, const double *x, size_t n, size_t k,
                 work_t *w)
{
	st->judges = calloc(k, sizeof *st->judges);
	if (!st->judges)
		return CD_ENOMEM;
	size_t m = 0;
	for (size_t j = 0; j < k; j++) {
		int any = 0;
		for (size_t i = 0; i < n && !any; i++)
			any = !isnan(x[i * k + j]);
		if (any)
			w->active[m++] = j;
	}
	size_t nc = 0, cells = 0;
	for (size_t i = 0; i < n; i++) {
		ksum_t s = {0, 0};
		size_t c = 0;
		for (size_t j = 0; j < k; j++) {
			double v = x[i * k + j];
			if (!isnan(v)) {
				ks_add(&s, v);
				c++;
			}
		}
		w->rowsum[i] = s;
		w->rowcnt[i] = c;
		cells += c;
		if (m > 0 && c == m)
			w->comp[nc++] = i;
	}
	st->n_cells = cells;
	st->n_active = m;
	st->n_complete = nc;
	kendall(st, x, k, nc, m, w);
	anova(st, x, k, nc, m, w);
	for (size_t j = 0; j < k; j++)
		judge(&st->judges[j], x, n, k, j, w);
	return CD_OK;
}

static void stats_free(jdg_irr_stats_t *st)
{
	free(st->judges);
}

void jdg_irr_destroy(jdg_irr_result_t *r)
{
	if (!r)
		return;
	if (r->criteria)
		for (size_t c = 0; c < r->n_criteria; c++)
			stats_free(&r->criteria[c]);
	free(r->criteria);
	stats_free(&r->overall);
	free(r);
}

static int validate(const double *const *scores, size_t nc, size_t n,
                    size_t k, char *err, size_t errlen)
{
	if (!scores)
		return cd_fail(err, errlen, CD_EINVAL, "no score matrices");
	if (nc == 0 || n == 0 || k == 0)
		return cd_fail(err, errlen, CD_EINVAL,
		               "empty input: %zu criteria, %zu targets, "
		               "%zu judges", nc, n, k);
	if (nc > JDG_IRR_MAX_CRITERIA)
		return cd_fail(err, errlen, CD_ELIMIT,
		               "%zu criteria (at most %u)", nc,
		               JDG_IRR_MAX_CRITERIA);
	if (n > JDG_IRR_MAX_TARGETS)
		return cd_fail(err, errlen, CD_ELIMIT,
		               "%zu targets (at most %u)", n,
		               JDG_IRR_MAX_TARGETS);
	if (k > JDG_IRR_MAX_RATERS)
		return cd_fail(err, errlen, CD_ELIMIT,
		               "%zu judges (at most %u)", k,
		               JDG_IRR_MAX_RATERS);
	/* n and k are bounded above, so n * k cannot overflow. */
	if (n * k > JDG_IRR_MAX_CELLS)
		return cd_fail(err, errlen, CD_ELIMIT,
		               "%zu targets x %zu judges = %zu cells "
		               "(at most %u)", n, k, n * k, JDG_IRR_MAX_CELLS);
	for (size_t c = 0; c < nc; c++) {
		if (!scores[c])
			return cd_fail(err, errlen, CD_EINVAL,
			               "criterion %zu: no matrix", c);
		for (size_t q = 0; q < n * k; q++) {
			double v = scores[c][q];
			if (isnan(v))
				continue;
			if (isinf(v))
				return cd_fail(err, errlen, CD_EV_NONFINITE,
				               "criterion %zu, target %zu, judge "
				               "%zu: infinite score", c, q / k,
				               q % k);
			if (fabs(v) > JDG_IRR_MAX_ABS)
				return cd_fail(err, errlen, CD_EINVAL,
				               "criterion %zu, target %zu, judge "
				               "%zu: |score| above %g", c, q / k,
				               q % k, JDG_IRR_MAX_ABS);
		}
	}
	return CD_OK;
}

int jdg_irr_create(jdg_irr_result_t **out, const double *const *scores,
                   size_t n_criteria, size_t n, size_t k, char *err,
                   size_t errlen)
{
	if (!out)
		return cd_fail(err, errlen, CD_EINVAL, "no result pointer");
	*out = NULL;
	int rc = validate(scores, n_criteria, n, k, err, errlen);
	if (rc != CD_OK)
		return rc;
	jdg_irr_result_t *r = calloc(1, sizeof *r);
	work_t w;
	double *ov = NULL;
	if (!r)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	r->n_targets = n;
	r->n_raters = k;
	r->n_criteria = n_criteria;
	r->criteria = calloc(n_criteria, sizeof *r->criteria);
	if (!r->criteria || work_alloc(&w, n, k) != CD_OK) {
		jdg_irr_destroy(r);
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	}
	for (size_t c = 0; c < n_criteria && rc == CD_OK; c++)
		rc = stats(&r->criteria[c], scores[c], n, k, &w);
	const double *om = scores[0];
	if (rc == CD_OK && n_criteria > 1) {
		ov = malloc(n * k * sizeof *ov);
		if (!ov) {
			rc = CD_ENOMEM;
		} else {
			for (size_t q = 0; q < n * k; q++) {
				ksum_t s = {0, 0};
				size_t c = 0;
				for (; c < n_criteria; c++) {
					if (isnan(scores[c][q]))
						break;
					ks_add(&s, scores[c][q]);
				}
				ov[q] = c < n_criteria
				            ? NAN
				            : ks_get(&s) / (double)n_criteria;
			}
			om = ov;
		}
	}
	if (rc == CD_OK)
		rc = stats(&r->overall, om, n, k, &w);
	free(ov);
	work_free(&w);
	if (rc != CD_OK) {
		jdg_irr_destroy(r);
		return cd_fail(err, errlen, rc, "out of memory");
	}
	*out = r;
	return CD_OK;
}
