/* Pillars: a round's criteria grouped into pillars, and pillars into
 * pillars, evaluated bottom-up. Each pillar's score is its aggregation
 * (engine_aggregate_cols, any method the engine has) of its members'
 * values with their weights normalised among siblings, then optionally
 * normalised over the round's ranked candidates (engine_normalize with a
 * criterion-shaped definition); the total is the round's aggregation of
 * the top-level members. A round without pillars never comes here. */
#include "engine_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "engine_def.h"

#define NORM(x) CLUSTERS__V1__NORMALIZATION__NORMALIZATION_##x

static int32_t pillar_index(const Clusters__V1__Round *rd, const char *id)
{
	if (!id || !*id)
		return -1;
	for (size_t j = 0; j < rd->n_pillars; j++)
		if (!strcmp(rd->pillars[j]->id, id))
			return (int32_t)j;
	return -1;
}

static int normalises(const Clusters__V1__Pillar *pl)
{
	return pl->normalization != NORM(UNSPECIFIED) &&
	       pl->normalization != NORM(NONE);
}

int engine_crit_parent_agg(const engine_round_res_t *rr, size_t k)
{
	if (rr->npil && rr->cpar[k] >= 0)
		return (int)rr->def->pillars[rr->cpar[k]]->aggregation;
	return (int)rr->def->aggregation;
}

void engine_tree_weights(const engine_round_res_t *rr, const double *cw,
                         const double *pw, double *cwn, double *pwn)
{
	size_t np = rr->npil;
	/* sum[j] for pillar j's members, sum[np] for the top level. */
	double sum[ENGINE_MAX_PILLARS + 1];
	for (size_t j = 0; j <= np; j++)
		sum[j] = 0;
	for (size_t k = 0; k < rr->ncrit; k++)
		sum[rr->cpar[k] < 0 ? np : (size_t)rr->cpar[k]] += cw[k];
	for (size_t j = 0; j < np; j++)
		sum[rr->ppar[j] < 0 ? np : (size_t)rr->ppar[j]] += pw[j];
	/* Validation makes every definition's sum positive; a jittered
	 * weight never turns a positive sum to 0 (factors > 0 below 100%),
	 * and at 100% a sum of 0 keeps the definition's share. */
	for (size_t k = 0; k < rr->ncrit; k++) {
		double s = sum[rr->cpar[k] < 0 ? np : (size_t)rr->cpar[k]];
		cwn[k] = s > 0 ? cw[k] / s : rr->wn[k];
	}
	for (size_t j = 0; j < np; j++) {
		double s = sum[rr->ppar[j] < 0 ? np : (size_t)rr->ppar[j]];
		pwn[j] = s > 0 ? pw[j] / s : rr->pwn[j];
	}
}

void engine_tree_fini(engine_round_res_t *rr)
{
	free(rr->cpar);
	free(rr->ppar);
	free(rr->porder);
	free(rr->pwn);
	free(rr->ceff);
	free(rr->peff);
	free(rr->pscore);
	free(rr->prank);
	free(rr->pstats);
	rr->cpar = rr->ppar = NULL;
	rr->porder = rr->prank = NULL;
	rr->pwn = rr->ceff = rr->peff = rr->pscore = NULL;
	rr->pstats = NULL;
	rr->npil = 0;
}

int engine_tree_init(engine_round_res_t *rr)
{
	const Clusters__V1__Round *rd = rr->def;
	size_t np = rd->n_pillars, nc = rr->ncrit, n = rr->n ? rr->n : 1;
	if (!np)
		return CD_OK;
	rr->npil = np;
	rr->cpar = malloc(nc * sizeof(*rr->cpar));
	rr->ppar = malloc(np * sizeof(*rr->ppar));
	rr->porder = malloc(np * sizeof(*rr->porder));
	rr->pwn = malloc(np * sizeof(*rr->pwn));
	rr->ceff = malloc(nc * sizeof(*rr->ceff));
	rr->peff = malloc(np * sizeof(*rr->peff));
	rr->pscore = malloc(np * n * sizeof(*rr->pscore));
	rr->prank = calloc(np * n, sizeof(*rr->prank));
	rr->pstats = calloc(np, sizeof(*rr->pstats));
	double *cw = malloc(nc * sizeof(*cw)), *pw = malloc(np * sizeof(*pw));
	uint32_t *depth = malloc(np * sizeof(*depth));
	int rc = CD_ENOMEM;
	if (!rr->cpar || !rr->ppar || !rr->porder || !rr->pwn || !rr->ceff ||
	    !rr->peff || !rr->pscore || !rr->prank || !rr->pstats || !cw ||
	    !pw || !depth)
		goto out;
	for (size_t i = 0; i < np * rr->n; i++)
		rr->pscore[i] = NAN;
	for (size_t k = 0; k < nc; k++) {
		rr->cpar[k] = pillar_index(rd, rd->criteria[k]->pillar);
		cw[k] = rd->criteria[k]->weight;
	}
	uint32_t maxd = 0;
	for (size_t j = 0; j < np; j++) {
		rr->ppar[j] = pillar_index(rd, rd->pillars[j]->parent);
		pw[j] = rd->pillars[j]->weight;
	}
	/* Depth by walking up (validation bounds it and rules out cycles). */
	for (size_t j = 0; j < np; j++) {
		uint32_t d = 1;
		for (int32_t q = rr->ppar[j]; q >= 0; q = rr->ppar[q])
			d++;
		depth[j] = d;
		maxd = d > maxd ? d : maxd;
	}
	/* Deepest first: every child comes before its parent. */
	size_t o = 0;
	for (uint32_t d = maxd; d >= 1; d--)
		for (size_t j = 0; j < np; j++)
			if (depth[j] == d)
				rr->porder[o++] = (uint32_t)j;
	/* rr->wn and rr->pwn are what engine_tree_weights falls back on. */
	for (size_t j = 0; j < np; j++)
		rr->pwn[j] = 0;
	engine_tree_weights(rr, cw, pw, rr->wn, rr->pwn);
	/* Effective shares, parents first (reverse of porder). */
	for (size_t i = np; i-- > 0;) {
		uint32_t j = rr->porder[i];
		rr->peff[j] = rr->pwn[j] * (rr->ppar[j] < 0 ? 1.0
		                                           : rr->peff[rr->ppar[j]]);
	}
	for (size_t k = 0; k < nc; k++)
		rr->ceff[k] = rr->wn[k] * (rr->cpar[k] < 0 ? 1.0
		                                           : rr->peff[rr->cpar[k]]);
	rc = CD_OK;
out:
	free(cw);
	free(pw);
	free(depth);
	return rc;
}

/* The members of group g (a pillar, or npil for the top level): their
 * columns and weights. Returns how many. */
static size_t members(const engine_round_res_t *rr, size_t g,
                      const double *norm, const double *cwn,
                      const double *pwn, const double *pcol,
                      const double **cols, double *w, const char **ids)
{
	size_t m = 0, np = rr->npil;
	int32_t want = g == np ? -1 : (int32_t)g;
	for (size_t k = 0; k < rr->ncrit; k++)
		if (rr->cpar[k] == want) {
			cols[m] = norm + k * rr->n;
			ids[m] = rr->def->criteria[k]->id;
			w[m++] = cwn[k];
		}
	for (size_t j = 0; j < np; j++)
		if (rr->ppar[j] == want) {
			cols[m] = pcol + j * rr->n;
			ids[m] = rr->def->pillars[j]->id;
			w[m++] = pwn[j];
		}
	return m;
}

/* engine_aggregate_cols over group g's m members, its message placed in
 * the round and pillar, and a harmonic mean's 0 named by cluster and
 * member (as engine_aggregate names them for a round without pillars). */
static int aggregate(const engine_round_res_t *rr, const engine_cohort_t *c,
                     size_t g, int agg, const double *const *cols,
                     const double *w, const char *const *ids, size_t m,
                     const uint32_t *R, size_t nR, double *out, char *err,
                     size_t errlen)
{
	char msg[512] = "", where[160];
	int rc = engine_aggregate_cols(agg, cols, w, m, R, nR, out, msg,
	                               sizeof(msg));
	if (!rc)
		return CD_OK;
	if (g < rr->npil)
		snprintf(where, sizeof(where), "round \"%s\", pillar \"%s\"",
		         rr->name, rr->def->pillars[g]->id);
	else
		snprintf(where, sizeof(where), "round \"%s\" (its top level)",
		         rr->name);
	if (rc == CD_EPRECONDITION)
		for (size_t i = 0; i < nR; i++)
			for (size_t k = 0; k < m; k++)
				if (w[k] != 0 && cols[k][R[i]] == 0)
					return cd_fail(err, errlen, rc, "%s: "
					    "AGGREGATION_WEIGHTED_HARMONIC divides "
					    "by every member's value, and cluster "
					    "\"%s\" has 0 for \"%s\"; use "
					    "normalisations that give no 0 "
					    "(docs/engine.md)", where,
					    engine_cohort_id(c, rr->member[R[i]]),
					    ids[k]);
	return cd_fail(err, errlen, rc, "%s: %s", where, msg);
}

int engine_tree_aggregate(const engine_round_res_t *rr,
                          const engine_cohort_t *c, const double *norm,
                          const double *cwn, const double *pwn,
                          const uint32_t *R, size_t nR, double *pcol,
                          double *score, engine_sorter_t *s, char *err,
                          size_t errlen)
{
	const Clusters__V1__Round *rd = rr->def;
	const double *cols[ENGINE_MAX_CRITERIA + ENGINE_MAX_PILLARS];
	double w[ENGINE_MAX_CRITERIA + ENGINE_MAX_PILLARS];
	const char *ids[ENGINE_MAX_CRITERIA + ENGINE_MAX_PILLARS];
	double *tmp = NULL;
	int rc = CD_OK;
	for (size_t i = 0; i < rr->npil && !rc; i++) {
		uint32_t j = rr->porder[i];
		const Clusters__V1__Pillar *pl = rd->pillars[j];
		double *out = pcol + (size_t)j * rr->n;
		size_t m = members(rr, j, norm, cwn, pwn, pcol, cols, w, ids);
		if (!normalises(pl)) {
			rc = aggregate(rr, c, j, (int)pl->aggregation, cols, w, ids,
			               m, R, nR, out, err, errlen);
			continue;
		}
		if (!tmp && !(tmp = malloc((rr->n ? rr->n : 1) * sizeof(*tmp))))
			return cd_fail(err, errlen, CD_ENOMEM, "pillars: out of "
			               "memory");
		rc = aggregate(rr, c, j, (int)pl->aggregation, cols, w, ids, m,
		               R, nR, tmp, err, errlen);
		if (rc)
			break;
		/* The pillar's score as a criterion's raw score. */
		Clusters__V1__Criterion as = CLUSTERS__V1__CRITERION__INIT;
		as.id = pl->id;
		as.normalization = pl->normalization;
		as.goalpost_lower = pl->goalpost_lower;
		as.goalpost_upper = pl->goalpost_upper;
		as.target = pl->target;
		for (size_t q = 0; q < nR; q++)
			if (!isfinite(tmp[R[q]]))
				tmp[R[q]] = NAN;
		if ((rc = engine_normalize(&as, tmp, out, R, nR, 0, s, NULL)))
			rc = cd_fail(err, errlen, rc, "pillars: out of memory");
	}
	free(tmp);
	if (rc)
		return rc;
	size_t m = members(rr, rr->npil, norm, cwn, pwn, pcol, cols, w, ids);
	if ((rc = aggregate(rr, c, rr->npil, (int)rd->aggregation, cols, w, ids,
	                    m, R, nR, score, err, errlen)))
		return rc;
	/* A pillar score that is not finite (a SHARE of a total that nearly
	 * cancels) must not vanish in a geometric mean's 0: the total is
	 * not a number either, which excludes the cluster. */
	for (size_t i = 0; i < nR; i++)
		for (size_t j = 0; j < rr->npil; j++)
			if (!isfinite(pcol[j * rr->n + R[i]])) {
				score[R[i]] = NAN;
				break;
			}
	return CD_OK;
}

int engine_tree_rank(engine_round_res_t *rr, engine_sorter_t *s)
{
	size_t nR = rr->nranked;
	uint32_t *v = malloc((nR ? nR : 1) * sizeof(*v));
	if (!v)
		return CD_ENOMEM;
	int rc = CD_OK;
	for (size_t j = 0; j < rr->npil && !rc; j++) {
		const double *col = rr->pscore + j * rr->n;
		/* The round's order breaks a pillar's ties (stable sort). */
		memcpy(v, rr->order, nR * sizeof(*v));
		if ((rc = engine_sort_desc(s, v, nR, col)))
			break;
		engine_assign_ranks(v, nR, col, rr->def->shared_ranks,
		                    rr->prank + j * rr->n);
		engine_crit_stats_t *st = &rr->pstats[j];
		*st = (engine_crit_stats_t){ .m = nR };
		if (!nR)
			continue;
		double sum = 0, ss = 0;
		st->min = col[v[nR - 1]];
		st->max = col[v[0]];
		for (size_t i = 0; i < nR; i++)
			sum += col[v[i]];
		st->mean = sum / (double)nR;
		for (size_t i = 0; i < nR; i++) {
			double d = col[v[i]] - st->mean;
			ss += d * d;
		}
		st->sd = sqrt(ss / (double)nR);
		st->sum = sum;
	}
	free(v);
	return rc;
}
