/* cpc_weights.c — objective weights and the `weights` param (see
 * cpc_weights.h for the definitions and the degenerate cases). */
#include "cpc_weights.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpc_values.h"

#define K CPC_WEIGHTS_MAX

/* The matrix as the caller lays it out: x[i * rs + j * cs]. */
typedef struct mat {
	const double *x;
	size_t n, k, rs, cs;
} mat_t;

#define AT(a, i, j) ((a)->x[(i) * (a)->rs + (j) * (a)->cs])

static const char *const names[] = { NULL, "equal", "entropy", "critic",
                                     "stddev" };

const char *cpc_weights_name(cpc_wmethod_t m)
{
	return m > CPC_WEIGHTS_GIVEN && m <= CPC_WEIGHTS_STDDEV ? names[m]
	                                                         : NULL;
}

/* 1 when the row has every value; reads up to the first that is not
 * finite, so a caller may leave the rest of an incomplete row unset. */
static int complete(const mat_t *a, size_t i)
{
	for (size_t j = 0; j < a->k; j++)
		if (!isfinite(AT(a, i, j)))
			return 0;
	return 1;
}

/* The column ranges of the complete rows, and how many there are. */
typedef struct cols {
	size_t m;
	double lo[K], hi[K];
	int varies[K];
	size_t nvaries;
} cols_t;

static void ranges(const mat_t *a, cols_t *c)
{
	size_t k = a->k;
	c->m = 0;
	for (size_t j = 0; j < k; j++) {
		c->lo[j] = INFINITY;
		c->hi[j] = -INFINITY;
	}
	for (size_t i = 0; i < a->n; i++) {
		if (!complete(a, i))
			continue;
		c->m++;
		for (size_t j = 0; j < k; j++) {
			c->lo[j] = fmin(c->lo[j], AT(a, i, j));
			c->hi[j] = fmax(c->hi[j], AT(a, i, j));
		}
	}
	c->nvaries = 0;
	for (size_t j = 0; j < k; j++) {
		c->varies[j] = c->m >= 2 && c->hi[j] > c->lo[j];
		c->nvaries += (size_t)c->varies[j];
	}
}

/* Min-max normalised, the worst value 0 and the best 1; halves first so
 * that a range wider than DBL_MAX cannot overflow. Varying columns only. */
static double unit(const cols_t *c, size_t j, double v, int cost)
{
	double span = c->hi[j] / 2 - c->lo[j] / 2;
	double r = (v / 2 - c->lo[j] / 2) / span;
	return cost ? 1 - r : r;
}

/* d_j = 1 − e_j over the raw values (pymcdm's entropy_weights). */
static int entropy(const mat_t *a, const cols_t *c, double *d,
                   cpc_weights_info_t *info)
{
	size_t n = a->n, k = a->k;
	double s[K] = { 0 }, hsum[K] = { 0 };
	for (size_t i = 0; i < n; i++) {
		if (!complete(a, i))
			continue;
		for (size_t j = 0; j < k; j++) {
			double v = AT(a, i, j);
			if (v < 0) {
				info->row = i;
				info->col = j;
				return CP_EDATA;
			}
			/* Scaled by the column's maximum: the sum stays
			 * within m whatever the values. */
			if (c->varies[j])
				s[j] += v / c->hi[j];
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (!complete(a, i))
			continue;
		for (size_t j = 0; j < k; j++) {
			double v = AT(a, i, j);
			if (!c->varies[j] || v == 0)
				continue;   /* 0 ln 0 = 0 */
			double p = v / c->hi[j] / s[j];
			hsum[j] -= p * log(p);
		}
	}
	for (size_t j = 0; j < k; j++) {
		/* No spread: p = 1/m everywhere (or nothing to weigh):
		 * e = 1. */
		double e = c->varies[j] ? hsum[j] / log((double)c->m) : 1;
		d[j] = e < 1 ? 1 - e : 0;
	}
	return CP_OK;
}

/* σ_j of r (sample), and with corr CRITIC's Σ_l (1 − ρ_jl) over the
 * varying columns; d_j = σ_j, or σ_j times that sum. */
static void spread(const mat_t *a, const int *cost, const cols_t *c,
                   int corr, double *d)
{
	size_t n = a->n, k = a->k;
	double mean[K] = { 0 }, r[K];
	for (size_t i = 0; i < n; i++) {
		if (!complete(a, i))
			continue;
		for (size_t j = 0; j < k; j++)
			if (c->varies[j])
				mean[j] += unit(c, j, AT(a, i, j), cost && cost[j]);
	}
	for (size_t j = 0; j < k; j++)
		mean[j] /= (double)c->m;
	/* Centred cross products (j <= l); the diagonal is the sum of
	 * squares, which is all stddev needs (kept in cross[0..k)). */
	double cross[K * K];
	memset(cross, 0, sizeof(double) * (corr ? (size_t)K * K : K));
	for (size_t i = 0; i < n; i++) {
		if (!complete(a, i))
			continue;
		for (size_t j = 0; j < k; j++)
			r[j] = c->varies[j]
			       ? unit(c, j, AT(a, i, j), cost && cost[j]) - mean[j]
			       : 0;
		for (size_t j = 0; j < k; j++) {
			if (!corr) {
				cross[j] += r[j] * r[j];
				continue;
			}
			for (size_t l = j; l < k; l++)
				cross[j * K + l] += r[j] * r[l];
		}
	}
	double ss[K];
	for (size_t j = 0; j < k; j++)
		ss[j] = corr ? cross[j * K + j] : cross[j];
	for (size_t j = 0; j < k; j++) {
		if (!c->varies[j] || !(ss[j] > 0)) {
			d[j] = 0;
			continue;
		}
		double sd = sqrt(ss[j] / (double)(c->m - 1));
		if (!corr) {
			d[j] = sd;
			continue;
		}
		double conflict = 0;
		for (size_t l = 0; l < k; l++) {
			if (l == j || !c->varies[l] || !(ss[l] > 0))
				continue;
			double cv = j < l ? cross[j * K + l] : cross[l * K + j];
			double rho = cv / sqrt(ss[j] * ss[l]);
			conflict += 1 - fmax(-1, fmin(1, rho));
		}
		d[j] = sd * conflict;
	}
}

static int compute(cpc_wmethod_t m, const mat_t *a, const int *cost,
                   double *w, cpc_weights_info_t *info)
{
	size_t k = a->k;
	cpc_weights_info_t dummy;
	if (!info)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	if (!cpc_weights_name(m) || k < 1 || k > K)
		return CP_EPARAM;
	cols_t c;
	ranges(a, &c);
	info->rows = c.m;
	double d[K];
	int rc = CP_OK;
	switch (m) {
	case CPC_WEIGHTS_EQUAL:
		for (size_t j = 0; j < k; j++)
			w[j] = 1.0 / (double)k;
		return CP_OK;
	case CPC_WEIGHTS_ENTROPY:
		rc = entropy(a, &c, d, info);
		break;
	case CPC_WEIGHTS_CRITIC:
		spread(a, cost, &c, 1, d);
		break;
	default:
		spread(a, cost, &c, 0, d);
		break;
	}
	if (rc)
		return rc;
	double sum = 0;
	for (size_t j = 0; j < k; j++)
		sum += d[j];
	if (sum > 0) {
		for (size_t j = 0; j < k; j++)
			w[j] = d[j] / sum;
		return CP_OK;
	}
	/* The method has nothing to tell the columns apart by. */
	info->fallback = c.nvaries ? CPC_WEIGHTS_SHARED
	                           : CPC_WEIGHTS_NONE_VARIES;
	for (size_t j = 0; j < k; j++)
		w[j] = !c.nvaries ? 1.0 / (double)k
		       : c.varies[j] ? 1.0 / (double)c.nvaries : 0;
	return CP_OK;
}

int cpc_weights_compute(cpc_wmethod_t m, const double *x, size_t n,
                        size_t k, const int *cost, double *w,
                        cpc_weights_info_t *info)
{
	mat_t a = { x, n, k, k, 1 };
	return compute(m, &a, cost, w, info);
}

/* 1 and *v when s is one whole finite number. */
static int number(const char *s, double *v)
{
	char *end;
	errno = 0;
	*v = strtod(s, &end);
	return end != s && !*end && errno != ERANGE && isfinite(*v);
}

int cpc_weights_list(const cp_host_t *h, const cp_params_t *p,
                     const char *name, size_t max, const char **items,
                     double *w, size_t *k, cpc_wmethod_t *method,
                     char *err, size_t errlen)
{
	int rc = CP_OK;
	if (method)
		*method = CPC_WEIGHTS_GIVEN;
	*k = cp_param_list_len(h, p, name);
	if (*k < 1 || *k > max)
		return cp_fail(err, errlen, CP_EPARAM, "param '%s' needs 1..%zu "
		               "items", name, max);
	for (size_t j = 0; !rc && j < *k; j++) {
		items[j] = cp_param_list_at(h, p, name, j);
		w[j] = 1;
		for (size_t i = 0; i < j; i++)
			if (strcmp(items[i], items[j]) == 0)
				rc = cp_fail(err, errlen, CP_EPARAM, "param '%s' "
				             "repeats '%s'", name, items[j]);
	}
	const char *one = cp_param_list_len(h, p, "weights") == 1
	                  ? cp_param_list_at(h, p, "weights", 0) : NULL;
	double v;
	if (!rc && method && one && !number(one, &v)) {
		cpc_wmethod_t m = CPC_WEIGHTS_EQUAL;
		while (m <= CPC_WEIGHTS_STDDEV && strcmp(one, names[m]))
			m++;
		if (m > CPC_WEIGHTS_STDDEV)
			return cp_fail(err, errlen, CP_EPARAM,
			               "param 'weights': '%s' is neither a number "
			               "nor one of equal, entropy, critic, stddev",
			               one);
		*method = m;
		for (size_t j = 0; j < *k; j++)
			w[j] = 1.0 / (double)*k;
		return CP_OK;
	}
	if (!rc && cp_param_get(h, p, "weights"))
		rc = cpc_number_list(h, p, "weights", w, *k, err, errlen);
	double sum = 0;
	for (size_t j = 0; !rc && j < *k; j++) {
		if (w[j] < 0)
			rc = cp_fail(err, errlen, CP_EPARAM, "param 'weights': "
			             "weight %g of '%s' is negative", w[j],
			             items[j]);
		sum += w[j];
	}
	if (!rc && !(sum > 0))
		rc = cp_fail(err, errlen, CP_EPARAM, "param 'weights' sum to 0");
	for (size_t j = 0; !rc && j < *k; j++)
		w[j] /= sum;
	return rc;
}

/* Appends to buf (len bytes, *pos used) only when the whole text fits
 * within limit bytes: a note is never cut inside a name. 1 when it did. */
static int add(char *buf, size_t limit, size_t *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int add(char *buf, size_t limit, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *pos, limit - *pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= limit - *pos) {
		buf[*pos] = '\0';
		return 0;
	}
	*pos += (size_t)n;
	return 1;
}

/* Room kept after the items for the "... (+n more)" mark and the
 * fallback's explanation. */
#define TAIL 160

int cpc_weights_resolve(const cp_host_t *h, const cp_cohort_t *cohort,
                        cpc_wmethod_t m, const double *x, size_t n,
                        size_t k, const int *cost,
                        const char *const *items, double *w, char *err,
                        size_t errlen)
{
	return cpc_weights_resolve_at(h, cohort, m, x, n, k, k, 1, NULL, cost,
	                              items, w, err, errlen);
}

int cpc_weights_resolve_at(const cp_host_t *h, const cp_cohort_t *cohort,
                           cpc_wmethod_t m, const double *x, size_t n,
                           size_t k, size_t rs, size_t cs,
                           const uint32_t *map, const int *cost,
                           const char *const *items, double *w, char *err,
                           size_t errlen)
{
	if (m == CPC_WEIGHTS_GIVEN)
		return CP_OK;
	cpc_weights_info_t info;
	mat_t a = { x, n, k, rs, cs };
	int rc = compute(m, &a, cost, w, &info);
	if (rc == CP_EDATA) {
		size_t ci = map ? map[info.row] : info.row;
		const char *id = cp_cluster_id(h, cp_cohort_at(h, cohort, ci));
		return cp_fail(err, errlen, CP_EDATA, "weights=%s needs values "
		               ">= 0: '%s' is %g for cluster '%s' (critic and "
		               "stddev take any values)", cpc_weights_name(m),
		               items[info.col], AT(&a, info.row, info.col),
		               id ? id : "?");
	}
	if (rc)
		return cp_fail(err, errlen, rc, "weights=%s over %zu items: "
		               "cannot be computed", cpc_weights_name(m), k);
	/* A server before SDK 2.1 cannot keep notes: the weights still
	 * apply, unrecorded. */
	if (!CP_HOST_HAS(h, run_note) || !h->run_note)
		return CP_OK;
	char text[CP_NOTE_MAX];
	size_t pos = 0, body = sizeof(text) - TAIL, j = 0;
	add(text, body, &pos, "%s:", cpc_weights_name(m));
	for (; j < k; j++)
		if (!add(text, body, &pos, "%s %s %.4f", j ? "," : "",
		         items[j], w[j]))
			break;
	if (j < k)
		add(text, sizeof(text), &pos, " ... (+%zu more)", k - j);
	if (info.fallback == CPC_WEIGHTS_SHARED)
		add(text, sizeof(text), &pos, " (%s gives every one 0: those "
		    "that vary share equally)", cpc_weights_name(m));
	else if (info.fallback == CPC_WEIGHTS_NONE_VARIES)
		add(text, sizeof(text), &pos, " (none varies over the %zu "
		    "cluster%s with them all: equal)", info.rows,
		    info.rows == 1 ? "" : "s");
	rc = cp_run_note(h, "weights", "%s", text);
	if (rc)
		return cp_fail(err, errlen, rc, "cannot record the weights in "
		               "the run: %s", cp_code_name(rc));
	return CP_OK;
}
