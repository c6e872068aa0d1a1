/*
 * mcda_mabac — MABAC, multi-attributive border approximation area
 * comparison (Pamučar & Ćirović, "The selection of transport and handling
 * resources in logistics centers using Multi-Attributive Border
 * Approximation area Comparison (MABAC)", Expert Systems with
 * Applications 42(6), 2015), which this follows, as pymcdm
 * (methods/mabac.py) and scikit-criteria (skcriteria/agg/mabac.py) do:
 *
 *   n_ij = (x_ij - min_j) / (max_j - min_j)   benefit criteria,
 *   n_ij = (x_ij - max_j) / (min_j - max_j)   cost criteria
 *          (min-max normalisation, reversed for cost: 1 = best);
 *   v_ij = w_j (n_ij + 1);
 *   g_j  = (prod_i v_ij)^(1/m)   the border approximation area, the
 *          geometric mean of the column;
 *   q_ij = v_ij - g_j;   score_i = S_i = sum_j q_ij: higher is better
 *          (positive: above the border area on balance, negative: below).
 *
 * g_j is computed as exp(mean of ln v_ij), since the product of a large
 * cohort's v (each at most 2 w_j) would underflow. A criterion without
 * spread, or of weight 0, has q = 0 (pymcdm's min-max normalisation gives
 * n = 1 then, with the same q = 0); so a cluster alone scores 0.
 *
 * Thread-safety: pure function of its arguments.
 */
#include "mcda.h"

#include <math.h>

int mcda_mabac(const cp_host_t *h, const mcda_state_t *s,
               const mcda_matrix_t *x, double *score, const char **note,
               char *err, size_t errlen)
{
	size_t m = x->m, k = x->k;
	for (size_t i = 0; i < m; i++)
		score[i] = 0;
	for (size_t j = 0; j < k; j++) {
		double lo, hi;
		mcda_col_range(x, j, &lo, &hi);
		if (!(hi > lo) || !(s->w[j] > 0))
			continue;
		/* First pass: ln g; second: the q of each row. v_ij >= w_j > 0,
		 * so the logarithm is finite. */
		double lng = 0;
		for (int pass = 0; pass < 2; pass++)
			for (size_t i = 0; i < m; i++) {
				double v = MCDA_X(x, i, j);
				double n = s->cost[j] ? (hi - v) / (hi - lo)
				                      : (v - lo) / (hi - lo);
				double vij = s->w[j] * (n + 1);
				if (pass == 0)
					lng += log(vij) / (double)m;
				else
					score[i] += vij - exp(lng);
			}
	}
	(void)h;
	(void)note;
	(void)err;
	(void)errlen;
	return CP_OK;
}
