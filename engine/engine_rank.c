/* Aggregation of normalised scores and the ranking order. */
#include "engine_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "engine_def.h"

#define AGG(x) CLUSTERS__V1__AGGREGATION__AGGREGATION_##x

/* Weighted arithmetic mean of one cluster's normalised values, for the
 * totals the fast path may have got wrong (see engine_aggregate_cols):
 * summed scaled by 2^-e, e the exponent of the largest value, so partial
 * sums neither overflow nor lose the bits of subnormal products, and kept
 * between the smallest and largest value, where a mean lies (the rounded
 * weights may sum to a hair over 1, which pushes a mean of DBL_MAX values
 * past DBL_MAX). */
static double arith(const double *const *cols, size_t ncrit,
                    const double *wn, uint32_t p)
{
	double lo = INFINITY, hi = -INFINITY;
	for (size_t k = 0; k < ncrit; k++) {
		double v = cols[k][p];
		if (wn[k] == 0)
			continue;
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	int e = 0;
	double big = fmax(fabs(lo), fabs(hi)), s = 0;
	if (big > 0 && isfinite(big))
		(void)frexp(big, &e);
	for (size_t k = 0; k < ncrit; k++)
		if (wn[k] != 0)
			s += wn[k] * ldexp(cols[k][p], -e);
	s = ldexp(s, e);
	return s < lo ? lo : s > hi ? hi : s;
}

/* Weighted geometric mean exp(Σ w ln v) of one cluster, kept between its
 * smallest and largest value as a mean must be (exp(ln DBL_MAX) rounds
 * to 1.79769313486227e308 or past DBL_MAX; exp(ln 2^-1074) may round to
 * 0). */
static double geom(const double *const *cols, size_t ncrit,
                   const double *wn, uint32_t p)
{
	double lo = INFINITY, hi = -INFINITY, s = 0;
	for (size_t k = 0; k < ncrit; k++) {
		if (wn[k] == 0)
			continue;
		double v = cols[k][p];
		if (!(v > 0))
			return 0.0;
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
		s += wn[k] * log(v);
	}
	s = exp(s);
	return s < lo ? lo : s > hi ? hi : s;
}

/* The plain total is off only at the ends of the range: an overflow,
 * subnormal terms, an exp that rounds past the values or to 0. */
static inline int extreme(double s, double tiny)
{
	double a = fabs(s);
	return !(a <= 0x1p1000) || a < tiny;
}

/* The weighted arithmetic and geometric means. */
static void means(int geo, const double *const *cols, const double *wn,
                  size_t ncrit, const uint32_t *R, size_t nR, double *score)
{
	size_t last = ncrit;
	for (size_t k = 0; k < ncrit; k++)
		if (wn[k] != 0)
			last = k;
	for (size_t i = 0; i < nR; i++)
		score[R[i]] = 0.0;
	/* Column by column: sequential reads of each criterion, and
	 * independent updates (R is in rank order in sensitivity samples,
	 * where a cluster-by-cluster loop is twice as slow). The last
	 * column finishes each total and hands the extreme ones to
	 * arith/geom, which compute that cluster alone, scaled and within
	 * its values. */
	for (size_t k = 0; k < ncrit; k++) {
		const double *v = cols[k];
		double w = wn[k];
		if (w == 0)
			continue;
		if (!geo) {
			if (k < last) {
				for (size_t i = 0; i < nR; i++)
					score[R[i]] += w * v[R[i]];
				continue;
			}
			for (size_t i = 0; i < nR; i++) {
				uint32_t p = R[i];
				double s = score[p] + w * v[p];
				score[p] = extreme(s, 0x1p-960)
				           ? arith(cols, ncrit, wn, p) : s;
			}
			continue;
		}
		/* Geometric: exp(sum w ln v); a non-positive factor makes it
		 * 0. */
		if (k < last) {
			for (size_t i = 0; i < nR; i++) {
				uint32_t p = R[i];
				if (score[p] == -INFINITY)
					continue;
				score[p] = v[p] > 0 ? score[p] + w * log(v[p])
				                    : -INFINITY;
			}
			continue;
		}
		for (size_t i = 0; i < nR; i++) {
			uint32_t p = R[i];
			double s = score[p];
			if (s == -INFINITY || !(v[p] > 0)) {
				score[p] = 0.0;
				continue;
			}
			s = exp(s + w * log(v[p]));
			score[p] = extreme(s, 0x1p-1000)
			           ? geom(cols, ncrit, wn, p) : s;
		}
	}
}

int engine_aggregate_cols(int agg, const double *const *cols, const double *w,
                          size_t ncol, const uint32_t *R, size_t nR,
                          double *score, char *err, size_t errlen)
{
	switch (agg) {
	case AGG(UNSPECIFIED):
	case AGG(WEIGHTED_ARITHMETIC):
	case AGG(WEIGHTED_GEOMETRIC):
		means(agg == AGG(WEIGHTED_GEOMETRIC), cols, w, ncol, R, nR, score);
		return CD_OK;
	case AGG(WEIGHTED_HARMONIC):
		return engine_agg_harmonic(cols, w, ncol, R, nR, score, err,
		                           errlen);
	case AGG(MEDIAN):
		return engine_agg_median(cols, w, ncol, R, nR, score, err, errlen);
	case AGG(COPELAND):
		return engine_agg_copeland(cols, w, ncol, R, nR, score, err,
		                           errlen);
	default:
		return cd_fail(err, errlen, CD_EINVAL, "aggregation: unknown "
		               "value %d", agg);
	}
}

int engine_aggregate(const engine_round_res_t *rr, const engine_cohort_t *c,
                     const double *wn, const uint32_t *R, size_t nR,
                     double *score, char *err, size_t errlen)
{
	const double *cols[ENGINE_MAX_CRITERIA];
	size_t nc = rr->ncrit < ENGINE_MAX_CRITERIA ? rr->ncrit
	                                            : ENGINE_MAX_CRITERIA;
	for (size_t k = 0; k < nc; k++)
		cols[k] = rr->norm + k * rr->n;
	char msg[512] = "";
	int rc = engine_aggregate_cols(rr->def->aggregation, cols, wn, nc, R, nR,
	                               score, msg, sizeof(msg));
	if (!rc)
		return CD_OK;
	if (rc != CD_EPRECONDITION)
		return cd_fail(err, errlen, rc, "round \"%s\": %s", rr->name, msg);
	/* A harmonic mean's 0: name the first such cluster and criterion. */
	for (size_t i = 0; i < nR; i++)
		for (size_t k = 0; k < nc; k++)
			if (wn[k] != 0 && cols[k][R[i]] == 0)
				return cd_fail(err, errlen, rc, "round \"%s\": "
				    "AGGREGATION_WEIGHTED_HARMONIC divides by "
				    "every normalised score, and cluster \"%s\" "
				    "has 0 for criterion \"%s\" (COINr's a_hmean "
				    "refuses zeros too); use a normalisation that "
				    "gives no 0 (MIN_MAX, DISTANCE_TO_MAX, RANK and "
				    "PERCENTILE_RANK give 0 to the lowest value, "
				    "MISSING_POLICY_SCORE_ZERO to a missing score), "
				    "e.g. GOALPOSTS with the lower goalpost below "
				    "every value", rr->name,
				    engine_cohort_id(c, rr->member[R[i]]),
				    rr->def->criteria[k]->id);
	return cd_fail(err, errlen, rc, "round \"%s\": %s", rr->name, msg);
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
