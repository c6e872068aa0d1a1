/*
 * mcda_copras — COPRAS, complex proportional assessment (Zavadskas &
 * Kaklauskas 1996; as set out in Zavadskas, Kaklauskas, Peldschus &
 * Turskis, "Multi-attribute assessment of road design solutions by using
 * the COPRAS method", Baltic J. Road Bridge Eng. 2(4), 2007).
 *
 *   d_ij  = w_j x_ij / sum_i x_ij        sum normalisation, weighted;
 *   S+_i  = sum of d_ij over the benefit criteria,
 *   S-_i  = sum of d_ij over the cost criteria;
 *   Q_i   = S+_i + (min S- . sum_i S-_i) / (S-_i . sum_i (min S- / S-_i))
 *         = S+_i + sum_i S-_i / (S-_i . sum_i 1/S-_i)
 *   score_i = N_i = Q_i / max Q, in (0, 1] (the paper's utility degree,
 *         published as a percentage): higher is better.
 * Cost criteria enter through S-, whose term is inversely proportional to
 * S-_i: a cluster with half the costs of another gets twice its term.
 *
 * Where sources differ: pymcdm (methods/copras.py) evaluates the second
 * term elementwise, where it reduces to S-_i, so higher costs score higher
 * there and its tests' values differ from the paper's formula. This file
 * follows the paper, as scikit-criteria (skcriteria/agg/copras.py) does.
 *
 * Data: proportions need benefit values >= 0 and cost values > 0 (S-_i is
 * a divisor); others are refused (CP_EDATA). A benefit criterion that is
 * 0 for every cluster contributes 0. With no cost weight (no cost
 * criterion, or all weighted 0) Q = S+, which pymcdm and scikit-criteria
 * refuse; when every Q is then 0, every cluster scores 1.
 *
 * Thread-safety: pure function of its arguments.
 */
#include "mcda.h"

#include <math.h>

int mcda_copras(const cp_host_t *h, const mcda_state_t *s,
                const mcda_matrix_t *x, double *score, const char **note,
                char *err, size_t errlen)
{
	size_t m = x->m, k = x->k;
	double wcost = 0;
	for (size_t j = 0; j < k; j++)
		wcost += s->cost[j] ? s->w[j] : 0;
	int rc = mcda_need_min(s, x, MCDA_COLS_BENEFIT, 0, 0, "COPRAS needs "
	                       "benefit values >= 0", err, errlen);
	if (!rc)
		rc = mcda_need_min(s, x, MCDA_COLS_COST, 0, 1, "COPRAS needs cost "
		                   "values > 0", err, errlen);
	if (rc)
		return rc;
	double sum[MCDA_MAX_CRITERIA];
	for (size_t j = 0; j < k; j++) {
		sum[j] = 0;
		for (size_t i = 0; i < m; i++)
			sum[j] += MCDA_X(x, i, j);
	}
	double *sm = x->tmp, smtotal = 0, inv = 0, qmax = 0;
	for (size_t i = 0; i < m; i++) {
		score[i] = sm[i] = 0;
		for (size_t j = 0; j < k; j++) {
			double d = sum[j] > 0 ? s->w[j] * MCDA_X(x, i, j) / sum[j] : 0;
			if (s->cost[j])
				sm[i] += d;
			else
				score[i] += d;
		}
		smtotal += sm[i];
		/* Every cost value is > 0, so S-_i > 0 once some cost
		 * criterion has weight. */
		inv += wcost > 0 ? 1 / sm[i] : 0;
	}
	for (size_t i = 0; i < m; i++) {
		if (wcost > 0)
			score[i] += smtotal / (sm[i] * inv);
		qmax = fmax(qmax, score[i]);
	}
	for (size_t i = 0; i < m; i++)
		score[i] = qmax > 0 ? score[i] / qmax : 1;
	(void)h;
	(void)note;
	return CP_OK;
}
