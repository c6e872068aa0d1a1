/*
 * pm_ref — PROMETHEE II the straightforward way, for the promethee tests:
 * each preference function as the literature writes it, pi(a,b) over
 * every pair and the flows as sums of pi divided by m - 1. O(m^2 k); the
 * plugin's sorted form is checked against it.
 *
 * Thread-safety: pure functions on caller memory.
 */
#ifndef PM_REF_H
#define PM_REF_H

#include <stddef.h>

typedef struct pm_ref_crit {
	const char *pref;  /* usual, ushape, vshape, level, linear, gaussian */
	double q, p, s;
	int cost;
	double w;          /* any scale: pm_ref divides by the sum */
} pm_ref_crit_t;

/* P(d) of the named function. */
double pm_ref_pref(const pm_ref_crit_t *c, double d);

/* pi(a,b) = sum_j w_j P_j(d_j(a,b)) / sum_j w_j; x is m rows of k values
 * (k <= 64). */
double pm_ref_pi(const pm_ref_crit_t *c, size_t k, const double *x,
                 size_t a, size_t b);

/* phi+ and phi- of row a alone, O(m k). */
void pm_ref_flow_of(const pm_ref_crit_t *c, size_t k, const double *x,
                    size_t m, size_t a, double *plus, double *minus);

/* phi+ and phi- of each of the m rows. */
void pm_ref_flows(const pm_ref_crit_t *c, size_t k, const double *x,
                  size_t m, double *plus, double *minus);

#endif
