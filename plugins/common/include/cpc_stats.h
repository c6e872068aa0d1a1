/*
 * cpc_stats — numeric helpers shared by the built-in plugins: order
 * statistics, moments, the JRC/GII outlier rule. Linked statically into
 * each plugin and hidden, so plugins stay self-contained.
 *
 * Thread-safety: pure functions on caller memory.
 */
#ifndef CPC_STATS_H
#define CPC_STATS_H

#include <stddef.h>

/* qsort comparator for doubles, ascending (no NaN expected). */
int cpc_cmp_double(const void *a, const void *b);

double cpc_mean(const double *v, size_t n);

/* Percentile p in [0,1] of an ascending array, by linear interpolation
 * between closest ranks: h = (n-1)p, x[floor h] + (h - floor h) *
 * (x[floor h + 1] - x[floor h]). NaN when n is 0. */
double cpc_quantile_sorted(const double *sorted, size_t n, double p);

/* These sort v in place. */
double cpc_median(double *v, size_t n);
/* Drops floor(trim * n) values at each end (0 <= trim < 0.5). */
double cpc_trimmed_mean(double *v, size_t n, double trim);

/* Sample skewness and excess kurtosis with the small-sample adjustment
 * (the definitions spreadsheets call SKEW and KURT):
 *   skew = n/((n-1)(n-2)) * sum(((x-m)/s)^3)
 *   kurt = n(n+1)/((n-1)(n-2)(n-3)) * sum(((x-m)/s)^4)
 *          - 3(n-1)^2/((n-2)(n-3))
 * with s the sample standard deviation. -1 when n < 4 or s == 0. */
int cpc_skew_kurt(const double *v, size_t n, double *skew, double *kurt);

/* The JRC/GII outlier rule: while |skew| >= skew_min and kurt >= kurt_min,
 * winsorise one more value on the side of the skew (the w most extreme
 * values take the value of the next one), at most max_values times.
 * Changes v in place; returns how many values were winsorised, or -1 when
 * out of memory. */
int cpc_winsorise(double *v, size_t n, double skew_min, double kurt_min,
                  size_t max_values);

#endif
