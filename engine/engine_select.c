/* Selection: walks the ranking and takes each candidate the rules allow.
 * Quotas count every part of a cross-border economy and every city of a
 * multi-city cluster, so a cluster is taken only if all of them have room.
 * When asked (info), it records why: the leaders, and for a cluster whose
 * turn came with room under top_n, the quota group that was full. */
#include "engine_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"

int engine_selector_init(engine_selector_t *s, const engine_cohort_t *c)
{
	memset(s, 0, sizeof(*s));
	s->nparts = engine_dict_size(&c->parts);
	/* Regions, cities and industries by the plugin cohort's sids. */
	s->nregions = s->ncities = s->nindustries = c->nstrs;
	s->part_cnt = calloc(s->nparts, sizeof(uint32_t));
	s->region_cnt = calloc(s->nregions, sizeof(uint32_t));
	s->city_cnt = calloc(s->ncities, sizeof(uint32_t));
	s->led = calloc(s->nindustries, 1);
	if (!s->part_cnt || !s->region_cnt || !s->city_cnt || !s->led) {
		engine_selector_fini(s);
		return CD_ENOMEM;
	}
	return CD_OK;
}

void engine_selector_fini(engine_selector_t *s)
{
	free(s->part_cnt);
	free(s->region_cnt);
	free(s->city_cnt);
	free(s->led);
	memset(s, 0, sizeof(*s));
}

typedef struct rules {
	uint32_t econ, region, city;    /* quotas, 0 = none */
	int has_min;
	double min;
} rules_t;

/* ENGINE_SEL_NONE when cluster i fits every quota, else the first full
 * group (economy parts, then region, then cities): the fact a decision
 * reports, known only now. */
static uint32_t refusal(const engine_selector_t *s, const rules_t *r,
                        const engine_cohort_t *c, uint32_t i)
{
	if (r->econ) {
		uint32_t e = c->economy[i];
		for (uint32_t k = c->part_off[e]; k < c->part_off[e + 1]; k++)
			if (s->part_cnt[c->part[k]] >= r->econ)
				return ENGINE_SEL_ECONOMY | c->part[k];
	}
	if (r->region && c->region[i] != 0 &&
	    s->region_cnt[c->region[i]] >= r->region)
		return ENGINE_SEL_REGION | c->region[i];
	if (r->city)
		for (uint32_t k = c->city_off[i]; k < c->city_off[i + 1]; k++)
			if (s->city_cnt[c->city[k]] >= r->city)
				return ENGINE_SEL_CITY | c->city[k];
	return ENGINE_SEL_NONE;
}

static void take(engine_selector_t *s, const engine_cohort_t *c, uint32_t i)
{
	uint32_t e = c->economy[i];
	for (uint32_t k = c->part_off[e]; k < c->part_off[e + 1]; k++)
		s->part_cnt[c->part[k]]++;
	if (c->region[i] != 0)
		s->region_cnt[c->region[i]]++;
	for (uint32_t k = c->city_off[i]; k < c->city_off[i + 1]; k++)
		s->city_cnt[c->city[k]]++;
}

size_t engine_select(engine_selector_t *s, const Clusters__V1__Selection *sel,
                     const engine_cohort_t *c, const uint32_t *member,
                     const uint32_t *order, size_t n, const double *score,
                     uint8_t *selected, uint32_t *info)
{
	rules_t r = { 0 };
	size_t limit = n, taken = 0;
	if (sel) {
		if (sel->top_n > 0 && (size_t)sel->top_n < limit)
			limit = (size_t)sel->top_n;
		r.econ = (uint32_t)(sel->max_per_economy > 0 ? sel->max_per_economy : 0);
		r.region = (uint32_t)(sel->max_per_region > 0 ? sel->max_per_region : 0);
		r.city = (uint32_t)(sel->max_per_city > 0 ? sel->max_per_city : 0);
		if (sel->min_score) {
			r.has_min = 1;
			r.min = sel->min_score->value;
		}
	}
	memset(s->part_cnt, 0, s->nparts * sizeof(uint32_t));
	memset(s->region_cnt, 0, s->nregions * sizeof(uint32_t));
	memset(s->city_cnt, 0, s->ncities * sizeof(uint32_t));
	memset(s->led, 0, s->nindustries);
	for (size_t i = 0; i < n; i++)
		selected[order[i]] = 0;
	if (info)
		for (size_t i = 0; i < n; i++)
			info[order[i]] = ENGINE_SEL_NONE;
	int quotas = r.econ || r.region || r.city;
	/* The ranking is by score, so the floor cuts it at one point. */
	if (r.has_min)
		for (size_t i = 0; i < n; i++)
			if (!(score[order[i]] >= r.min)) {
				n = i;
				break;
			}

	if (sel && sel->industry_leaders) {
		for (size_t i = 0; i < n && taken < limit; i++) {
			uint32_t p = order[i], ci = member[p];
			uint32_t ind = c->industry[ci];
			if (ind == 0 || s->led[ind] ||
			    (quotas && refusal(s, &r, c, ci)))
				continue;
			s->led[ind] = 1;
			selected[p] = 1;
			if (info)
				info[p] = ENGINE_SEL_LEADER;
			take(s, c, ci);
			taken++;
		}
	}
	for (size_t i = 0; i < n && taken < limit; i++) {
		uint32_t p = order[i], ci = member[p];
		if (selected[p])
			continue;
		uint32_t why = quotas ? refusal(s, &r, c, ci) : ENGINE_SEL_NONE;
		if (why) {
			/* Its turn came with room under top_n. */
			if (info)
				info[p] = why;
			continue;
		}
		selected[p] = 1;
		take(s, c, ci);
		taken++;
	}
	if (info && sel && sel->industry_leaders) {
		/* A leader was taken ahead of every unselected cluster ranked
		 * above it; count them now that the selection is final. */
		uint32_t unsel = 0;
		for (size_t i = 0; i < n; i++) {
			uint32_t p = order[i];
			if (!selected[p])
				unsel++;
			else if (info[p] == ENGINE_SEL_LEADER)
				info[p] |= unsel < ENGINE_SEL_VALUE(~0u)
				           ? unsel : ENGINE_SEL_VALUE(~0u);
		}
	}
	return taken;
}
