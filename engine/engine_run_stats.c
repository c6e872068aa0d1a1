/* Run.rounds: per round the funnel (candidates, eligible, ranked,
 * selected), the decisions counted by code, what each criterion's
 * normalisation saw and its plugin noted, and the scores at the selection
 * line, which is what an explanation needs from a stored run. */
#include "engine_run_internal.h"

#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "engine_coherence.h"
#include "engine_internal.h"

#define NCODES (CLUSTERS__V1__DECISION_CODE__DECISION_CODE_EXCLUDED_EARLIER + 1)

static int plugin_notes(engine_arena_t *a, const engine_crit_notes_t *nt,
                        Clusters__V1__CriterionStats *x)
{
	if (!nt->n)
		return CD_OK;
	Clusters__V1__CriterionStats__PluginNotesEntry **pp =
		engine_arena_alloc(a, nt->n * sizeof(*pp));
	Clusters__V1__CriterionStats__PluginNotesEntry *v =
		engine_arena_alloc(a, nt->n * sizeof(*v));
	if (!pp || !v)
		return CD_ENOMEM;
	for (size_t i = 0; i < nt->n; i++) {
		clusters__v1__criterion_stats__plugin_notes_entry__init(&v[i]);
		v[i].key = engine_arena_dup(a, nt->v[i].key);
		v[i].value = engine_arena_dup(a, nt->v[i].value);
		if (!v[i].key || !v[i].value)
			return CD_ENOMEM;
		pp[i] = &v[i];
	}
	x->plugin_notes = pp;
	x->n_plugin_notes = nt->n;
	return CD_OK;
}

static int criteria(engine_arena_t *a, const engine_round_res_t *rr,
                    Clusters__V1__RoundStats *x)
{
	size_t nc = rr->ncrit;
	Clusters__V1__CriterionStats **pp = engine_arena_alloc(a, nc * sizeof(*pp));
	Clusters__V1__CriterionStats *v = engine_arena_alloc(a, nc * sizeof(*v));
	if (!pp || !v)
		return CD_ENOMEM;
	for (size_t k = 0; k < nc; k++) {
		const Clusters__V1__Criterion *cr = rr->def->criteria[k];
		const engine_crit_stats_t *st = &rr->cstats[k];
		clusters__v1__criterion_stats__init(&v[k]);
		v[k].criterion = engine_arena_dup(a, cr->id);
		v[k].plugin = engine_arena_dup(a, cr->plugin);
		if (!v[k].criterion || !v[k].plugin)
			return CD_ENOMEM;
		v[k].weight = cr->weight;
		/* With pillars, the effective share of the total. */
		v[k].weight_share = rr->npil ? rr->ceff[k] : rr->wn[k];
		if (rr->npil && !(v[k].pillar = engine_arena_dup(a, cr->pillar)))
			return CD_ENOMEM;
		v[k].normalization = cr->normalization;
		v[k].scored = (int32_t)st->m;
		v[k].min = st->min;
		v[k].max = st->max;
		v[k].mean = st->mean;
		v[k].sd = st->sd;
		v[k].sum = st->sum;
		v[k].goalpost_lower = cr->goalpost_lower;
		v[k].goalpost_upper = cr->goalpost_upper;
		/* DISTANCE_TO_TARGET: the values mapped to 0 and 100, so an
		 * explanation can invert it from the run alone. */
		if (cr->normalization ==
		    CLUSTERS__V1__NORMALIZATION__NORMALIZATION_DISTANCE_TO_TARGET) {
			v[k].goalpost_lower = st->min;
			v[k].goalpost_upper = cr->target;
		}
		if (rr->cnotes && plugin_notes(a, &rr->cnotes[k], &v[k]))
			return CD_ENOMEM;
		pp[k] = &v[k];
	}
	x->criteria = pp;
	x->n_criteria = nc;
	return CD_OK;
}

static int pillars(engine_arena_t *a, const engine_round_res_t *rr,
                   Clusters__V1__RoundStats *x)
{
	size_t np = rr->npil;
	if (!np)
		return CD_OK;
	Clusters__V1__PillarStats **pp = engine_arena_alloc(a, np * sizeof(*pp));
	Clusters__V1__PillarStats *v = engine_arena_alloc(a, np * sizeof(*v));
	if (!pp || !v)
		return CD_ENOMEM;
	for (size_t j = 0; j < np; j++) {
		const Clusters__V1__Pillar *pl = rr->def->pillars[j];
		const engine_crit_stats_t *st = &rr->pstats[j];
		clusters__v1__pillar_stats__init(&v[j]);
		v[j].pillar = engine_arena_dup(a, pl->id);
		v[j].name = engine_arena_dup(a, pl->name);
		v[j].parent = engine_arena_dup(a, pl->parent);
		if (!v[j].pillar || !v[j].name || !v[j].parent)
			return CD_ENOMEM;
		v[j].weight = pl->weight;
		v[j].weight_share = rr->peff[j];
		v[j].aggregation = pl->aggregation;
		v[j].normalization = pl->normalization;
		v[j].scored = (int32_t)st->m;
		v[j].min = st->min;
		v[j].max = st->max;
		v[j].mean = st->mean;
		v[j].sd = st->sd;
		pp[j] = &v[j];
	}
	x->pillars = pp;
	x->n_pillars = np;
	return CD_OK;
}

static int decisions(engine_arena_t *a, const engine_result_t *res, size_t r,
                     Clusters__V1__RoundStats *x)
{
	const engine_round_res_t *rr = &res->rounds[r];
	size_t cnt[NCODES] = { 0 }, nd = 0;
	for (size_t p = 0; p < rr->n; p++) {
		engine_decision_t d;
		engine_result_decide(res, r, p, &d);
		cnt[d.code]++;
	}
	cnt[CLUSTERS__V1__DECISION_CODE__DECISION_CODE_EXCLUDED_EARLIER] =
		res->n - rr->n;
	for (size_t c = 0; c < NCODES; c++)
		nd += cnt[c] != 0;
	if (!nd)
		return CD_OK;
	Clusters__V1__DecisionCount **pp = engine_arena_alloc(a, nd * sizeof(*pp));
	Clusters__V1__DecisionCount *v = engine_arena_alloc(a, nd * sizeof(*v));
	if (!pp || !v)
		return CD_ENOMEM;
	for (size_t c = 0; c < NCODES; c++) {
		if (!cnt[c])
			continue;
		clusters__v1__decision_count__init(v);
		v->code = (Clusters__V1__DecisionCode)c;
		v->count = (int32_t)cnt[c];
		pp[x->n_decisions++] = v++;
	}
	x->decisions = pp;
	return CD_OK;
}

/* The round's coherence over its ranked clusters, each criterion's group
 * being the round (pillars would pass their columns too: see
 * engine_coherence.h). Positions ascend, so the columns are read in
 * memory order. */
/* The round's coherence: its criteria and, in a round with pillars, its
 * pillars after them, each in the group of its parent pillar (or of the
 * round). */
static int coherence(engine_arena_t *a, const engine_round_res_t *rr,
                     engine_sorter_t *s, Clusters__V1__RoundStats *x)
{
	size_t nc = rr->ncrit, ni = nc + rr->npil, nR = 0;
	Clusters__V1__RoundCoherence *co = engine_arena_alloc(a, sizeof(*co));
	const double **cols = malloc((ni ? ni : 1) * sizeof(*cols));
	const char **ids = malloc((ni ? ni : 1) * sizeof(*ids));
	int *kind = malloc((ni ? ni : 1) * sizeof(*kind));
	int *group = malloc((ni ? ni : 1) * sizeof(*group));
	uint32_t *R = malloc((rr->nranked ? rr->nranked : 1) * sizeof(*R));
	int rc = CD_ENOMEM;
	if (!co || !cols || !ids || !kind || !group || !R)
		goto done;
	for (size_t k = 0; k < nc; k++) {
		cols[k] = rr->norm + k * rr->n;
		ids[k] = rr->def->criteria[k]->id;
		kind[k] = CLUSTERS__V1__COHERENCE_ITEM_KIND__COHERENCE_ITEM_KIND_CRITERION;
		group[k] = rr->npil && rr->cpar[k] >= 0 ? (int)nc + rr->cpar[k]
		                                        : ENGINE_COH_ROUND;
	}
	for (size_t j = 0; j < rr->npil; j++) {
		cols[nc + j] = rr->pscore + j * rr->n;
		ids[nc + j] = rr->def->pillars[j]->id;
		kind[nc + j] = CLUSTERS__V1__COHERENCE_ITEM_KIND__COHERENCE_ITEM_KIND_PILLAR;
		group[nc + j] = rr->ppar[j] >= 0 ? (int)nc + rr->ppar[j]
		                                 : ENGINE_COH_ROUND;
	}
	for (size_t p = 0; p < rr->n && nR < rr->nranked; p++)
		if (rr->rank[p])
			R[nR++] = (uint32_t)p;
	char err[256];
	rc = engine_coherence(a, cols, ids, kind, group, ni, rr->score, R, nR,
	                      s, co, err, sizeof(err));
	if (!rc)
		x->coherence = co;
done:
	free(cols);
	free(ids);
	free(kind);
	free(group);
	free(R);
	return rc;
}

static void *arena_pc_alloc(void *data, size_t size)
{
	return engine_arena_alloc(data, size);
}

static void arena_pc_free(void *data, void *p)
{
	(void)data;
	(void)p;                /* the arena frees everything at once */
}

/* A coherence computed by an earlier build, copied into a: packed and
 * unpacked with the arena as protobuf-c's allocator. */
static int copy_coherence(engine_arena_t *a,
                          const Clusters__V1__RoundCoherence *src,
                          Clusters__V1__RoundStats *x)
{
	size_t len = clusters__v1__round_coherence__get_packed_size(src);
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		return CD_ENOMEM;
	clusters__v1__round_coherence__pack(src, buf);
	ProtobufCAllocator al = { arena_pc_alloc, arena_pc_free, a };
	x->coherence = clusters__v1__round_coherence__unpack(&al, len, buf);
	free(buf);
	return x->coherence ? CD_OK : CD_ENOMEM;
}

static int round_stats(engine_arena_t *a, const engine_result_t *res, size_t r,
                       const Clusters__V1__Run *from, engine_sorter_t *s,
                       Clusters__V1__RoundStats *x)
{
	const engine_round_res_t *rr = &res->rounds[r];
	clusters__v1__round_stats__init(x);
	if (!(x->round = engine_arena_dup(a, rr->name)))
		return CD_ENOMEM;
	x->candidates = (int32_t)rr->n;
	x->eligible = (int32_t)rr->neligible;
	x->ranked = (int32_t)rr->nranked;
	x->selected = (int32_t)rr->nselected;
	x->aggregation = rr->def->aggregation;
	/* The selection line: the lowest-ranked selected, the best not. */
	for (size_t i = rr->nranked; i-- > 0;) {
		uint32_t p = rr->order[i];
		if (!rr->selected[p])
			continue;
		x->last_selected_cluster_id = engine_arena_dup(
			a, engine_cohort_id(res->cohort, rr->member[p]));
		x->last_selected_score = rr->score[p];
		break;
	}
	if (rr->nunsel_head) {
		uint32_t p = rr->unsel_head[0];
		x->best_unselected_cluster_id = engine_arena_dup(
			a, engine_cohort_id(res->cohort, rr->member[p]));
		x->best_unselected_score = rr->score[p];
	}
	if (!x->last_selected_cluster_id || !x->best_unselected_cluster_id)
		return CD_ENOMEM;
	int rc = criteria(a, rr, x);
	if (!rc)
		rc = pillars(a, rr, x);
	if (!rc)
		rc = decisions(a, res, r, x);
	if (rc)
		return rc;
	if (from && r < from->n_rounds && from->rounds[r]->coherence)
		return copy_coherence(a, from->rounds[r]->coherence, x);
	return coherence(a, rr, s, x);
}

int engine_run_round_stats(engine_arena_t *a, const engine_result_t *res,
                           const Clusters__V1__Run *from,
                           Clusters__V1__Run *run)
{
	size_t nr = res->nrounds;
	if (!nr)
		return CD_OK;
	Clusters__V1__RoundStats **pp = engine_arena_alloc(a, nr * sizeof(*pp));
	Clusters__V1__RoundStats *v = engine_arena_alloc(a, nr * sizeof(*v));
	if (!pp || !v)
		return CD_ENOMEM;
	engine_sorter_t s = { 0 };
	for (size_t r = 0; r < nr; r++) {
		int rc = round_stats(a, res, r, from, &s, &v[r]);
		if (rc) {
			engine_sorter_fini(&s);
			return rc;
		}
		pp[r] = &v[r];
	}
	engine_sorter_fini(&s);
	run->rounds = pp;
	run->n_rounds = nr;
	return CD_OK;
}
