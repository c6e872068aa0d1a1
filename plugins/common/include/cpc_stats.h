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

/* 1 when v fails the JRC/GII test that cpc_winsorise applies (|skew| >=
 * skew_min and kurt >= kurt_min), with *skew and *kurt set; 0 when it
 * passes or the moments are undefined (n < 4, no spread). */
int cpc_outlier_fails(const double *v, size_t n, double skew_min,
                      double kurt_min, double *skew, double *kurt);

/* COINr's log transforms (bluefoxr/COINr, R/treat.R), in place, for v
 * with spread (max > min); a = 0.01 (max - min):
 *   plus 0 (log_CT, the default f2 of COINr's Treat and qTreat):
 *     log(x - min + a), whatever the direction of the skew;
 *   plus 1 (log_CT_plus): the same when the skew is > 0, otherwise
 *     -log(max + a - x), which reduces a negative skew.
 * Both are increasing in x and defined for any values (non-positive
 * ones included: the shift makes every argument >= a > 0). Returns the
 * branch taken: 1 log(x - min + a), -1 -log(max + a - x), 0 nothing
 * done (n < 1 or no spread). *shift_out, *a_out (may be NULL): the min
 * (the max for -1) and the a used. plus with n < 4 (no skew to decide
 * by here; the indicator plugin treats no fewer values) takes -1. */
int cpc_log_ct(double *v, size_t n, int plus, double *shift_out,
               double *a_out);

#endif
