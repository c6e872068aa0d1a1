/*
 * pm_flow — the PROMETHEE flows of one criterion, without the pairwise
 * matrix: for every value x_a of a cohort, the sums over all b of
 * P(x_a - x_b) and P(x_b - x_a) (P the criterion's preference function),
 * turned into w (S+ - S-) / (m - 1) and added to the value's net flow.
 *
 * Usual, U-shape, level, V-shape and linear have an exact sorted form:
 * after one sort, the b with d = x_a - x_b above a threshold are a prefix
 * of the sorted values and those with x_b - x_a above it a suffix, and the
 * boundaries only move forward as x_a grows, so one sweep finds them all
 * (a radix sort, at most six O(m) passes, then O(m)). Counts are exact: the
 * boundaries are found with the very test d > t on the very d the pairwise
 * definition uses. The linear band of V-shape and linear needs the sum of
 * the values between two boundaries: a running sum of the values that
 * enter and leave the band, in long double and centred on the median, so
 * that its size is that of the spread, not of the values.
 *
 * Gaussian has no such form (1 - exp(-d^2 / 2s^2) does not split into a
 * part of a and a part of b), so it sums every pair, O(m^2): callers keep
 * m <= PM_GAUSSIAN_MAX.
 *
 * Thread-safety: pure functions on caller memory.
 */
#ifndef PM_FLOW_H
#define PM_FLOW_H

#include <stddef.h>
#include <stdint.h>

typedef enum pm_pref {
	PM_USUAL = 0,     /* P = 1 if d > 0 */
	PM_USHAPE = 1,    /* P = 1 if d > q */
	PM_VSHAPE = 2,    /* P = d/p up to p, then 1 */
	PM_LEVEL = 3,     /* P = 1/2 if q < d <= p, 1 if d > p */
	PM_LINEAR = 4,    /* P = (d - q)/(p - q) if q < d <= p, 1 if d > p */
	PM_GAUSSIAN = 5   /* P = 1 - exp(-d^2 / 2s^2) if d > 0 */
} pm_pref_t;

/* One criterion's preference function. Thresholds a function does not use
 * are 0. The caller has checked q >= 0, p > q where p is used and s > 0
 * for gaussian. */
typedef struct pm_crit {
	pm_pref_t pref;
	double q, p, s;
} pm_crit_t;

/* The largest cohort the gaussian preference is computed for. Every pair
 * costs an exp(), about 4.5 ns: 50,000 values (1.25 10^9 pairs) took
 * 5.8 s of CPU on the project's 2-core machine, under 10 s, and 12 s of
 * wall time with the machine shared at a load average of 15, within the
 * server's default 30 s per criterion (docs/PERFORMANCE.md, "Scoring
 * plugins"). */
#define PM_GAUSSIAN_MAX 50000

/* Bytes of scratch memory pm_flow_add needs for m values. */
size_t pm_scratch_size(size_t m);

/* Adds w (phi+(a) - phi-(a)) of the criterion to net[id[a]] for each of
 * the m values v[a] (finite; already negated for a cost criterion, so that
 * d = v[a] - v[b] is a's advantage), with both flows divided by m - 1
 * (nothing is added when m < 2). scratch holds pm_scratch_size(m) bytes,
 * aligned as malloc aligns. Equal values get equal flows. */
void pm_flow_add(const pm_crit_t *c, const double *v, const uint32_t *id,
                 size_t m, double w, double *net, void *scratch);

#endif
