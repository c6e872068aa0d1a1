/*
 * mcda_vikor — VIKOR, the compromise ranking of Opricovic & Tzeng,
 * "Compromise solution by MCDM methods: A comparative analysis of VIKOR
 * and TOPSIS", EJOR 156 (2004), whose definition this follows, with the
 * acceptance conditions as stated there and in Opricovic & Tzeng,
 * "Extended VIKOR method in comparison with outranking methods", EJOR 178
 * (2007).
 *
 *   f*_j = best value of criterion j over the clusters scored (the
 *          greatest for a benefit criterion, the least for a cost one),
 *   f-_j = worst value;
 *   d_ij = w_j (f*_j - x_ij) / (f*_j - f-_j)   linear normalisation: 0 at
 *          the best value, w_j at the worst, whichever the direction (cost
 *          criteria need nothing more: their best is their least value);
 *   S_i  = sum_j d_ij   (group utility),   R_i = max_j d_ij   (regret);
 *   Q_i  = v (S_i - S*)/(S- - S*) + (1 - v)(R_i - R*)/(R- - R*)
 *          with S* = min S, S- = max S, R* = min R, R- = max R;
 *   score_i = 1 - Q_i, in [0, 1]: higher is better.
 *
 * Degenerate data: a criterion without spread (f* = f-) gives d = 0, as
 * scikit-criteria does (pymcdm refuses such data); S or R without spread
 * gives that term 0. So a cluster alone, or clusters all alike, score 1.
 *
 * The compromise (cluster reasons). a1, a2 are the first and second by Q,
 * m the number of clusters scored, DQ = 1/(m - 1):
 *   C1 acceptable advantage: Q(a2) - Q(a1) >= DQ (to within 1e-12, so
 *      that the equality case does not hinge on rounding);
 *   C2 acceptable stability: a1 is also the best by S or by R.
 * Both hold: a1 is the compromise solution. Only C2 fails: a1 and a2 are.
 * C1 fails: every cluster with Q - Q(a1) < DQ is. Ties are treated alike
 * whatever the cohort order: every cluster with the least Q counts as a1
 * (so C1 fails when there are two, and C2 must hold for each), and every
 * cluster with the next Q as a2. Clusters outside the set get no reason.
 *
 * Thread-safety: pure function of its arguments.
 */
#include "mcda.h"

#include <math.h>

#define DQ_SLACK 1e-12

/* (v - lo) / (hi - lo), 0 without spread. */
static double unit(double v, double lo, double hi)
{
	return hi > lo ? (v - lo) / (hi - lo) : 0;
}

/* Whether a cluster with Q = q is in the compromise set. */
static int in_set(double q, double q1, double q2, double dq, int advantage,
                  int stable)
{
	if (!advantage)
		return q - q1 < dq - DQ_SLACK;
	return q == q1 || (!stable && q == q2);
}

/* Notes the compromise solution or set (see above); q is Q. */
static void compromise(const cp_host_t *h, const mcda_matrix_t *x,
                       const double *S, const double *R, const double *q,
                       const char **note)
{
	size_t m = x->m;
	if (m == 1) {
		note[0] = cp_score_string(h, "VIKOR compromise: the only cluster "
		                          "scored");
		return;
	}
	double q1 = INFINITY, q2 = INFINITY, smin = INFINITY, rmin = INFINITY;
	size_t n1 = 0;
	for (size_t i = 0; i < m; i++) {
		smin = fmin(smin, S[i]);
		rmin = fmin(rmin, R[i]);
		q1 = fmin(q1, q[i]);
	}
	for (size_t i = 0; i < m; i++)
		if (q[i] == q1)
			n1++;
		else
			q2 = fmin(q2, q[i]);
	if (n1 > 1)
		q2 = q1;
	double dq = 1.0 / (double)(m - 1);
	int advantage = q2 - q1 >= dq - DQ_SLACK, stable = 1;
	for (size_t i = 0; i < m; i++)
		if (q[i] == q1 && S[i] != smin && R[i] != rmin)
			stable = 0;
	size_t set = 0;
	for (size_t i = 0; i < m; i++)
		set += in_set(q[i], q1, q2, dq, advantage, stable);
	const char *text;
	if (advantage && stable)
		text = cp_score_string(h, "VIKOR compromise: acceptable advantage "
		                       "and stability hold");
	else if (advantage)
		text = cp_score_string(h, "VIKOR compromise set of %zu: acceptable "
		                       "advantage holds, acceptable stability "
		                       "fails (the best by Q is best by neither S "
		                       "nor R)", set);
	else
		text = cp_score_string(h, "VIKOR compromise set of %zu: acceptable "
		                       "advantage fails (Q(a2) - Q(a1) = %.4f < "
		                       "1/(m-1) = %.4f), acceptable stability %s",
		                       set, q2 - q1, dq, stable ? "holds" : "fails");
	for (size_t i = 0; i < m; i++)
		if (in_set(q[i], q1, q2, dq, advantage, stable))
			note[i] = text;
}

int mcda_vikor(const cp_host_t *h, const mcda_state_t *s,
               const mcda_matrix_t *x, double *score, const char **note,
               char *err, size_t errlen)
{
	size_t m = x->m, k = x->k;
	double *S = x->tmp, *R = x->tmp + m;
	double lo[MCDA_MAX_CRITERIA], hi[MCDA_MAX_CRITERIA];
	for (size_t j = 0; j < k; j++)
		mcda_col_range(x, j, &lo[j], &hi[j]);
	double smin = INFINITY, smax = -INFINITY, rmin = INFINITY,
	       rmax = -INFINITY;
	for (size_t i = 0; i < m; i++) {
		S[i] = R[i] = 0;
		for (size_t j = 0; j < k; j++) {
			double v = MCDA_X(x, i, j), span = hi[j] - lo[j];
			/* (f* - x) / (f* - f-): hi - x for benefit, x - lo for cost,
			 * over hi - lo either way. */
			double d = span > 0 ? s->w[j] * (s->cost[j] ? v - lo[j]
			                                             : hi[j] - v) / span
			                    : 0;
			S[i] += d;
			R[i] = fmax(R[i], d);
		}
		smin = fmin(smin, S[i]);
		smax = fmax(smax, S[i]);
		rmin = fmin(rmin, R[i]);
		rmax = fmax(rmax, R[i]);
	}
	for (size_t i = 0; i < m; i++)
		score[i] = s->v * unit(S[i], smin, smax) +
		           (1 - s->v) * unit(R[i], rmin, rmax);
	compromise(h, x, S, R, score, note);
	for (size_t i = 0; i < m; i++)
		score[i] = 1 - score[i];
	(void)err;
	(void)errlen;
	return CP_OK;
}
