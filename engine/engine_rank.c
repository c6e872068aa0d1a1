/* Aggregation of normalised scores and the ranking order. */
#include "engine_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"

/* Weighted arithmetic mean of one cluster's normalised values. The mean
 * of finite values lies between their minimum and maximum, so it is kept
 * there: the rounded weights may sum to a hair over 1, which would push a
 * mean of DBL_MAX values past DBL_MAX. Values beyond 2^1000 or all below
 * 2^-960 are summed scaled by 2^-e (e the exponent of the largest), so
 * the sum neither overflows nor loses the bits of subnormal products. */
static double arith(const double *norm, size_t n, size_t ncrit,
                    const double *wn, uint32_t p)
{
	double lo = INFINITY, hi = -INFINITY, s = 0;
	for (size_t k = 0; k < ncrit; k++) {
		if (wn[k] == 0)
			continue;
		double v = norm[k * n + p];
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
		s += wn[k] * v;
	}
	double big = fmax(fabs(lo), fabs(hi));
	if (big > 0x1p1000 || (big > 0 && big < 0x1p-960)) {
		int e;
		(void)frexp(big, &e);
		s = 0;
		for (size_t k = 0; k < ncrit; k++)
			if (wn[k] != 0)
				s += wn[k] * ldexp(norm[k * n + p], -e);
		s = ldexp(s, e);
	}
	return s < lo ? lo : s > hi ? hi : s;
}

/* Weighted geometric mean exp(Σ w ln v), 0 when a value is not positive;
 * kept between the smallest and largest value as a mean must be
 * (exp(ln DBL_MAX) rounds past DBL_MAX). */
static double geom(const double *norm, size_t n, size_t ncrit,
                   const double *wn, uint32_t p)
{
	double lo = INFINITY, hi = -INFINITY, s = 0;
	for (size_t k = 0; k < ncrit; k++) {
		if (wn[k] == 0)
			continue;
		double v = norm[k * n + p];
		if (!(v > 0))
			return isnan(v) ? NAN : 0.0;
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
		s += wn[k] * log(v);
	}
	s = exp(s);
	return s < lo ? lo : s > hi ? hi : s;
}

void engine_aggregate(const engine_round_res_t *rr, const double *wn,
                      const uint32_t *R, size_t nR, double *score)
{
	int geo = rr->def->aggregation ==
	          CLUSTERS__V1__AGGREGATION__AGGREGATION_WEIGHTED_GEOMETRIC;
	/* Cluster by cluster: the criteria are ncrit sequential streams when
	 * R ascends. */
	for (size_t i = 0; i < nR; i++)
		score[R[i]] = geo ? geom(rr->norm, rr->n, rr->ncrit, wn, R[i])
		                  : arith(rr->norm, rr->n, rr->ncrit, wn, R[i]);
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
