/* Summary of the clusters the final round selected: counts per group,
 * largest first, the distinct groups, and those holding at least k. */
#include "engine_internal.h"

#include <stdlib.h>
#include <string.h>

#include "cd_error.h"

static int by_count(const void *a, const void *b)
{
	const engine_group_t *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* Turns counts over n sids into sorted groups; sid 0 ("") skipped. name
 * is the string of a sid: of the parts dictionary (parts given) or of the
 * plugin cohort. */
static int groups(const engine_cohort_t *c, const engine_dict_t *parts,
                  size_t nd, const uint32_t *cnt, uint32_t min,
                  engine_groups_t *g)
{
	size_t n = 0;
	for (size_t s = 1; s < nd; s++)
		n += cnt[s] > 0;
	g->v = calloc(n ? n : 1, sizeof(*g->v));
	if (!g->v)
		return CD_ENOMEM;
	for (size_t s = 1; s < nd; s++)
		if (cnt[s])
			g->v[g->n++] = (engine_group_t){
				parts ? engine_dict_str(parts, (uint32_t)s)
				      : engine_cohort_str(c, (uint32_t)s),
				cnt[s] };
	qsort(g->v, g->n, sizeof(*g->v), by_count);
	while (g->n_at_least < g->n && g->v[g->n_at_least].count >= min)
		g->n_at_least++;
	return CD_OK;
}

int engine_summary_build(engine_result_t *res, char *err, size_t errlen)
{
	const engine_cohort_t *c = res->cohort;
	engine_summary_t *s = &res->summary;
	s->group_min = res->def->summary_group_min > 0
	                   ? (uint32_t)res->def->summary_group_min : 3;
	size_t np = engine_dict_size(&c->parts), nr = c->nstrs, nc = c->nstrs,
	       ni = c->nstrs;
	uint32_t *cp = calloc(np, sizeof(uint32_t)),
	         *cr = calloc(nr, sizeof(uint32_t)),
	         *cc = calloc(nc, sizeof(uint32_t)),
	         *ci = calloc(ni, sizeof(uint32_t));
	int rc = cp && cr && cc && ci ? CD_OK : CD_ENOMEM;
	for (size_t i = 0; i < res->n && !rc; i++) {
		const engine_standing_t *st = &res->standings[i];
		if (!st->selected)
			continue;
		uint32_t k = st->cluster, e = c->economy[k];
		s->selected++;
		for (uint32_t j = c->part_off[e]; j < c->part_off[e + 1]; j++)
			cp[c->part[j]]++;
		cr[c->region[k]]++;
		for (uint32_t j = c->city_off[k]; j < c->city_off[k + 1]; j++)
			cc[c->city[j]]++;
		ci[c->industry[k]]++;
	}
	if (!rc)
		rc = groups(c, &c->parts, np, cp, s->group_min, &s->economy);
	if (!rc)
		rc = groups(c, NULL, nr, cr, s->group_min, &s->region);
	if (!rc)
		rc = groups(c, NULL, nc, cc, s->group_min, &s->city);
	if (!rc)
		rc = groups(c, NULL, ni, ci, s->group_min, &s->industry);
	free(cp);
	free(cr);
	free(cc);
	free(ci);
	return rc ? cd_fail(err, errlen, rc, "summary: out of memory") : CD_OK;
}
