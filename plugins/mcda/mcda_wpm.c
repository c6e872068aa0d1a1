/*
 * mcda_wpm — WPM, the weighted product model (Bridgman 1922; Miller &
 * Starr 1969; Triantaphyllou, "Multi-Criteria Decision Making Methods: A
 * Comparative Study", 2000, ch. 2). The score follows pymcdm's WPM
 * (methods/wpm.py with its default sum normalisation):
 *
 *   r_ij = x_ij / sum_i x_ij                  benefit criteria,
 *   r_ij = (1/x_ij) / sum_i (1/x_ij)          cost criteria;
 *   score_i = P_i = prod_j r_ij^w_j, in (0, 1]: higher is better.
 *
 * The ranking is Triantaphyllou's ratio test: P_K / P_L = prod_j
 * (x_Kj / x_Lj)^w_j for benefit criteria (the column sums cancel), with
 * x_Lj / x_Kj for cost ones. Weights sum to 1 here; pymcdm takes them as
 * given, so with weights summing to c its P is this P to the power c.
 * A cluster alone scores 1; m clusters all alike score 1/m each.
 *
 * Data: a product of ratios needs every value > 0 (a 0 would zero the
 * product whatever the other criteria say); others are refused
 * (CP_EDATA, naming the cluster and the indicator).
 *
 * Thread-safety: pure function of its arguments.
 */
#include "mcda.h"

#include <math.h>

int mcda_wpm(const cp_host_t *h, const mcda_state_t *s,
             const mcda_matrix_t *x, double *score, const char **note,
             char *err, size_t errlen)
{
	size_t m = x->m, k = x->k;
	int rc = mcda_need_min(s, x, MCDA_COLS_ALL, 0, 1, "WPM needs values > 0",
	                       err, errlen);
	if (rc)
		return rc;
	double sum[MCDA_MAX_CRITERIA];
	for (size_t j = 0; j < k; j++) {
		sum[j] = 0;
		for (size_t i = 0; i < m; i++)
			sum[j] += s->cost[j] ? 1 / MCDA_X(x, i, j) : MCDA_X(x, i, j);
	}
	for (size_t i = 0; i < m; i++) {
		score[i] = 1;
		for (size_t j = 0; j < k; j++) {
			double v = MCDA_X(x, i, j);
			score[i] *= pow((s->cost[j] ? 1 / v : v) / sum[j], s->w[j]);
		}
	}
	(void)h;
	(void)note;
	return CP_OK;
}
