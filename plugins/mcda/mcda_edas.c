/*
 * mcda_edas — EDAS, evaluation based on distance from the average solution
 * (Keshavarz Ghorabaee, Zavadskas, Olfat & Turskis, "Multi-criteria
 * inventory classification using a new method of evaluation based on
 * distance from average solution (EDAS)", Informatica 26(3), 2015), which
 * this follows, as pymcdm (methods/edas.py) and scikit-criteria
 * (skcriteria/agg/edas.py) do:
 *
 *   AV_j  = mean_i x_ij   the average solution;
 *   PDA_ij = max(0, x_ij - AV_j) / AV_j,  NDA_ij = max(0, AV_j - x_ij) / AV_j
 *          for benefit criteria; a cost criterion swaps the two (being
 *          below the average is its positive distance);
 *   SP_i  = sum_j w_j PDA_ij,  SN_i = sum_j w_j NDA_ij;
 *   NSP_i = SP_i / max SP,  NSN_i = 1 - SN_i / max SN;
 *   score_i = AS_i = (NSP_i + NSN_i) / 2, in [0, 1]: higher is better.
 *
 * Degenerate data: a criterion without spread has PDA = NDA = 0 (whatever
 * its average, 0 included). Otherwise the distances are relative to AV_j,
 * so a criterion with spread and an average <= 0 is refused (CP_EDATA).
 * When max SP is 0, NSP = 0 for every cluster; when max SN is 0, NSN = 1.
 * Both are 0 when no criterion of positive weight has spread: every
 * cluster then scores 0.5, a cluster alone included.
 *
 * Thread-safety: pure function of its arguments.
 */
#include "mcda.h"

#include <math.h>

int mcda_edas(const cp_host_t *h, const mcda_state_t *s,
              const mcda_matrix_t *x, double *score, const char **note,
              char *err, size_t errlen)
{
	size_t m = x->m, k = x->k;
	double *sp = x->tmp, *sn = x->tmp + m;
	for (size_t i = 0; i < m; i++)
		sp[i] = sn[i] = 0;
	for (size_t j = 0; j < k; j++) {
		double lo, hi, av = 0;
		mcda_col_range(x, j, &lo, &hi);
		if (!(hi > lo))
			continue;
		for (size_t i = 0; i < m; i++)
			av += MCDA_X(x, i, j);
		av /= (double)m;
		if (!(av > 0))
			return cp_fail(err, errlen, CP_EDATA, "'%s' has average %g; "
			               "EDAS measures distances relative to the "
			               "average, which must be > 0", s->ind[j], av);
		for (size_t i = 0; i < m; i++) {
			double d = (MCDA_X(x, i, j) - av) / av;
			if (s->cost[j])
				d = -d;
			sp[i] += s->w[j] * fmax(0, d);
			sn[i] += s->w[j] * fmax(0, -d);
		}
	}
	double spmax = 0, snmax = 0;
	for (size_t i = 0; i < m; i++) {
		spmax = fmax(spmax, sp[i]);
		snmax = fmax(snmax, sn[i]);
	}
	for (size_t i = 0; i < m; i++)
		score[i] = ((spmax > 0 ? sp[i] / spmax : 0) +
		            (snmax > 0 ? 1 - sn[i] / snmax : 1)) / 2;
	(void)h;
	(void)note;
	return CP_OK;
}
