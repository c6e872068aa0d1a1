/*
 * mcda_spotis — SPOTIS, stable preference ordering towards the ideal
 * solution (Dezert, Tchamova, Han & Tacnet, "The SPOTIS rank reversal free
 * method for multi-criteria decision-making support", FUSION 2020), which
 * this follows, as pymcdm (methods/spotis.py) does:
 *
 *   [lo_j, hi_j] the bounds of criterion j (param `bounds`, else the
 *          least and greatest values of the clusters scored);
 *   S*_j = hi_j for a benefit criterion, lo_j for a cost one (the ideal
 *          solution point: cost criteria need nothing more);
 *   d_ij = |x_ij - S*_j| / (hi_j - lo_j)     normalised distance, in [0,1];
 *   d_i  = sum_j w_j d_ij, in [0, 1] (the paper's score, lower is better);
 *   score_i = 1 - d_i, in [0, 1]: higher is better.
 *
 * The method is free of rank reversal only with fixed bounds: the default
 * taken from the cohort moves with the cohort, as any min-max
 * normalisation does. A value outside given bounds is refused (CP_EDATA),
 * as in the paper and pymcdm, since the bounds are then wrong. Bounds from
 * the cohort without spread (all clusters alike on that criterion) give
 * d = 0, so a cluster alone scores 1.
 *
 * Thread-safety: pure function of its arguments.
 */
#include "mcda.h"

#include <math.h>

int mcda_spotis(const cp_host_t *h, const mcda_state_t *s,
                const mcda_matrix_t *x, double *score, const char **note,
                char *err, size_t errlen)
{
	size_t m = x->m, k = x->k;
	double lo[MCDA_MAX_CRITERIA], hi[MCDA_MAX_CRITERIA];
	for (size_t j = 0; j < k; j++) {
		if (!s->bounded) {
			mcda_col_range(x, j, &lo[j], &hi[j]);
			continue;
		}
		lo[j] = s->lo[j];
		hi[j] = s->hi[j];
		for (size_t i = 0; i < m; i++) {
			double v = MCDA_X(x, i, j);
			if (v < lo[j] || v > hi[j])
				return cp_fail(err, errlen, CP_EDATA, "cluster '%s': "
				               "'%s' is %g, outside its bounds %g:%g",
				               x->id[i], s->ind[j], v, lo[j], hi[j]);
		}
	}
	for (size_t i = 0; i < m; i++) {
		double d = 0;
		for (size_t j = 0; j < k; j++) {
			double span = hi[j] - lo[j];
			double ideal = s->cost[j] ? lo[j] : hi[j];
			if (span > 0)
				d += s->w[j] * fabs(MCDA_X(x, i, j) - ideal) / span;
		}
		score[i] = 1 - d;
	}
	(void)h;
	(void)note;
	return CP_OK;
}
