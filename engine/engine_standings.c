/* Standings: one per cluster, from the last round it reached. Clusters
 * that reached a later round stand above those that stopped earlier,
 * whether that later round ranked them or excluded them, so the overall
 * rank is the rank within the group that stopped at round r plus the
 * number of clusters that reached round r + 1 (its candidates). A round
 * that excludes finalists leaves their places empty: nobody who stopped
 * earlier moves up into them. */
#include "engine_internal.h"

#include <stdlib.h>
#include <string.h>

#include "cd_error.h"

static int rank_change(engine_result_t *res, const Clusters__V1__Run *base)
{
	engine_dict_t ids;
	int32_t *rank = NULL;
	int rc = engine_dict_init(&ids);
	if (rc)
		return rc;
	if (base->n_standings &&
	    !(rank = malloc((base->n_standings + 1) * sizeof(*rank))))
		rc = CD_ENOMEM;
	for (size_t i = 0; i < base->n_standings && !rc; i++) {
		const Clusters__V1__Standing *s = base->standings[i];
		uint32_t sid;
		if (!s || !s->cluster_id || s->rank <= 0)
			continue;
		if (!(rc = engine_dict_intern(&ids, s->cluster_id,
		                              strlen(s->cluster_id), &sid)))
			rank[sid] = s->rank;
	}
	if (!rc && !(res->new_entrants = malloc((res->n ? res->n : 1) *
	                                        sizeof(uint32_t))))
		rc = CD_ENOMEM;
	for (size_t i = 0; i < res->n && !rc; i++) {
		engine_standing_t *st = &res->standings[i];
		if (!st->rank)
			continue;
		const char *id = engine_cohort_id(res->cohort, st->cluster);
		uint32_t sid = engine_dict_find(&ids, id, strlen(id));
		if (sid == ENGINE_SID_NONE || sid == 0) {
			st->is_new = 1;
			res->new_entrants[res->nnew++] = st->cluster;
		} else {
			st->has_change = 1;
			st->rank_change = rank[sid] - (int32_t)st->rank;
		}
	}
	free(rank);
	engine_dict_fini(&ids);
	return rc;
}

int engine_standings_build(engine_result_t *res,
                           const Clusters__V1__Run *baseline, char *err,
                           size_t errlen)
{
	size_t n = res->n, w = 0;
	uint32_t *last = malloc((n ? n : 1) * sizeof(*last));
	res->standings = calloc(n ? n : 1, sizeof(*res->standings));
	if (!last || !res->standings) {
		free(last);
		return cd_fail(err, errlen, CD_ENOMEM, "standings: out of memory");
	}
	for (size_t r = 0; r < res->nrounds; r++)
		for (size_t p = 0; p < res->rounds[r].n; p++)
			last[res->rounds[r].member[p]] = (uint32_t)r;

	for (size_t r = res->nrounds; r-- > 0;) {
		const engine_round_res_t *rr = &res->rounds[r];
		uint32_t offset = r + 1 < res->nrounds
		                  ? (uint32_t)res->rounds[r + 1].n : 0;
		uint32_t cnt = 0, prev_rank = 0;
		double prev = 0;
		for (size_t i = 0; i < rr->nranked; i++) {
			uint32_t p = rr->order[i], ci = rr->member[p];
			if (last[ci] != r)
				continue;
			uint32_t rank = offset + cnt + 1;
			if (rr->def->shared_ranks && cnt && rr->score[p] == prev)
				rank = prev_rank;
			res->standings[w++] = (engine_standing_t){
				.cluster = ci, .round = (uint32_t)r, .pos = p,
				.rank = rank, .selected = rr->selected[p],
			};
			prev = rr->score[p];
			prev_rank = rank;
			cnt++;
		}
	}
	for (size_t r = res->nrounds; r-- > 0;) {
		const engine_round_res_t *rr = &res->rounds[r];
		for (size_t p = 0; p < rr->n; p++)
			if (rr->excl[p] && last[rr->member[p]] == r)
				res->standings[w++] = (engine_standing_t){
					.cluster = rr->member[p], .round = (uint32_t)r,
					.pos = (uint32_t)p,
				};
	}
	free(last);
	if (w != n)
		return cd_fail(err, errlen, CD_EINTERNAL,
		               "standings: %zu of %zu clusters placed", w, n);
	if (!baseline)
		return CD_OK;
	res->has_baseline = 1;
	int rc = rank_change(res, baseline);
	return rc ? cd_fail(err, errlen, rc, "rank change: out of memory")
	          : CD_OK;
}

const engine_standing_t *engine_result_find(const engine_result_t *res,
                                            const char *id)
{
	for (size_t i = 0; i < res->n; i++)
		if (strcmp(engine_cohort_id(res->cohort, res->standings[i].cluster),
		           id) == 0)
			return &res->standings[i];
	return NULL;
}
