/* Aggregation of normalised scores and the ranking order. */
#include "engine_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"

void engine_aggregate(const engine_round_res_t *rr, const double *wn,
                      const uint32_t *R, size_t nR, double *score)
{
	int geo = rr->def->aggregation ==
	          CLUSTERS__V1__AGGREGATION__AGGREGATION_WEIGHTED_GEOMETRIC;
	size_t n = rr->n;
	for (size_t i = 0; i < nR; i++)
		score[R[i]] = 0.0;
	if (!geo) {
		/* Column by column: sequential reads of each criterion. */
		for (size_t k = 0; k < rr->ncrit; k++) {
			const double *v = rr->norm + k * n;
			double w = wn[k];
			if (w == 0)
				continue;
			for (size_t i = 0; i < nR; i++)
				score[R[i]] += w * v[R[i]];
		}
		return;
	}
	/* Geometric: exp(sum w ln v); a non-positive factor makes it 0. */
	for (size_t k = 0; k < rr->ncrit; k++) {
		const double *v = rr->norm + k * n;
		double w = wn[k];
		if (w == 0)
			continue;
		for (size_t i = 0; i < nR; i++) {
			uint32_t p = R[i];
			if (score[p] == -INFINITY)
				continue;
			score[p] = v[p] > 0 ? score[p] + w * log(v[p]) : -INFINITY;
		}
	}
	for (size_t i = 0; i < nR; i++)
		score[R[i]] = exp(score[R[i]]);
}

int engine_base_order(const engine_round_res_t *rr, const engine_cohort_t *c,
                      uint32_t *R, size_t nR, engine_sorter_t *s)
{
	int rc = CD_OK;
	/* Positions ascend with cohort index, which is id order when the
	 * cohort was filled in id order. */
	if (!c->ids_sorted)
		rc = engine_sort_ids(R, nR, c, rr->member);
	const Clusters__V1__Round *rd = rr->def;
	for (size_t t = rd->n_tie_break; t-- > 0 && !rc;) {
		size_t k = 0;
		while (k < rr->ncrit && strcmp(rd->criteria[k]->id, rd->tie_break[t]))
			k++;
		if (k < rr->ncrit)
			rc = engine_sort_desc(s, R, nR, rr->norm + k * rr->n);
	}
	return rc;
}

void engine_assign_ranks(const uint32_t *order, size_t n, const double *score,
                         int shared, uint32_t *rank)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t p = order[i];
		if (shared && i > 0 && score[p] == score[order[i - 1]])
			rank[p] = rank[order[i - 1]];
		else
			rank[p] = (uint32_t)(i + 1);
	}
}
