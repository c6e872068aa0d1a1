#include "cpc_stats.h"

#include <math.h>
#include <stdlib.h>

int cpc_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double cpc_mean(const double *v, size_t n)
{
	if (!n)
		return NAN;
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += v[i];
	return s / (double)n;
}

double cpc_quantile_sorted(const double *x, size_t n, double p)
{
	if (!n)
		return NAN;
	double h = (double)(n - 1) * p;
	size_t lo = (size_t)floor(h);
	if (lo >= n - 1)
		return x[n - 1];
	return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

double cpc_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cpc_cmp_double);
	return cpc_quantile_sorted(v, n, 0.5);
}

double cpc_trimmed_mean(double *v, size_t n, double trim)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cpc_cmp_double);
	size_t k = (size_t)floor(trim * (double)n);
	if (2 * k >= n)
		k = (n - 1) / 2;
	return cpc_mean(v + k, n - 2 * k);
}

int cpc_skew_kurt(const double *v, size_t n, double *skew, double *kurt)
{
	if (n < 4)
		return -1;
	double m = cpc_mean(v, n), ss = 0;
	for (size_t i = 0; i < n; i++)
		ss += (v[i] - m) * (v[i] - m);
	double s = sqrt(ss / (double)(n - 1));
	if (!(s > 0))
		return -1;
	double s3 = 0, s4 = 0;
	for (size_t i = 0; i < n; i++) {
		double z = (v[i] - m) / s;
		s3 += z * z * z;
		s4 += z * z * z * z;
	}
	double dn = (double)n;
	*skew = dn / ((dn - 1) * (dn - 2)) * s3;
	*kurt = dn * (dn + 1) / ((dn - 1) * (dn - 2) * (dn - 3)) * s4 -
	        3 * (dn - 1) * (dn - 1) / ((dn - 2) * (dn - 3));
	return 0;
}

typedef struct vi {
	double v;
	size_t i;
} vi_t;

static int cmp_vi(const void *a, const void *b)
{
	const vi_t *x = a, *y = b;
	if (x->v != y->v)
		return (x->v > y->v) - (x->v < y->v);
	return (x->i > y->i) - (x->i < y->i);
}

int cpc_winsorise(double *v, size_t n, double skew_min, double kurt_min,
                  size_t max_values)
{
	if (n < 4)
		return 0;
	/* Sorted (value, index) pairs: position k is the k-th smallest of the
	 * original values, and where it lives in v. */
	vi_t *ord = malloc(n * sizeof(*ord));
	if (!ord)
		return -1;
	for (size_t i = 0; i < n; i++) {
		ord[i].v = v[i];
		ord[i].i = i;
	}
	qsort(ord, n, sizeof(*ord), cmp_vi);
	size_t w = 0;
	double skew, kurt;
	while (w < max_values && w + 1 < n &&
	       cpc_skew_kurt(v, n, &skew, &kurt) == 0 &&
	       fabs(skew) >= skew_min && kurt >= kurt_min) {
		w++;
		if (skew > 0) {
			double cap = ord[n - 1 - w].v;
			for (size_t j = 0; j < w; j++)
				v[ord[n - 1 - j].i] = cap;
		} else {
			double low = ord[w].v;
			for (size_t j = 0; j < w; j++)
				v[ord[j].i] = low;
		}
	}
	free(ord);
	return (int)w;
}

int cpc_outlier_fails(const double *v, size_t n, double skew_min,
                      double kurt_min, double *skew, double *kurt)
{
	if (cpc_skew_kurt(v, n, skew, kurt) != 0)
		return 0;
	return fabs(*skew) >= skew_min && *kurt >= kurt_min;
}

int cpc_log_ct(double *v, size_t n, int plus, double *shift_out,
               double *a_out)
{
	if (n < 1)
		return 0;
	double lo = v[0], hi = v[0];
	for (size_t i = 1; i < n; i++) {
		lo = fmin(lo, v[i]);
		hi = fmax(hi, v[i]);
	}
	if (!(hi > lo))
		return 0;
	double a = 0.01 * (hi - lo);
	/* log_CT_plus decides on COINr's skew (type 2, as cpc_skew_kurt's),
	 * with 0 going to the negative branch ("skew > 0"). */
	double sk = 0, ku;
	int neg = plus && (n < 4 || cpc_skew_kurt(v, n, &sk, &ku) != 0 ||
	                   !(sk > 0));
	for (size_t i = 0; i < n; i++)
		v[i] = neg ? -log(hi + a - v[i]) : log(v[i] - lo + a);
	if (shift_out)
		*shift_out = neg ? hi : lo;
	if (a_out)
		*a_out = a;
	return neg ? -1 : 1;
}
