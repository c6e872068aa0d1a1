/* Run message builder. Every part of the message comes from one arena, so
 * a run with a hundred thousand standings costs a handful of mallocs. The
 * standings themselves are engine_run_standing.c's. */
#include "engine_run_internal.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "engine_internal.h"

typedef struct run_msg {
	Clusters__V1__Run run;          /* first: the public pointer */
	engine_arena_t arena;
} run_msg_t;

#define BLOCK_MIN (256u << 10)

void *engine_arena_alloc(engine_arena_t *a, size_t size)
{
	size = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	engine_block_t *b = a->blocks;
	if (!b || b->cap - b->used < size) {
		size_t cap = size > BLOCK_MIN ? size : BLOCK_MIN;
		if (!(b = malloc(sizeof(*b) + cap)))
			return NULL;
		b->next = a->blocks;
		b->used = 0;
		b->cap = cap;
		a->blocks = b;
	}
	void *p = (char *)b->data + b->used;
	b->used += size;
	return p;
}

char *engine_arena_dup(engine_arena_t *a, const char *s)
{
	if (!s || !*s)
		return (char *)protobuf_c_empty_string;
	size_t n = strlen(s) + 1;
	char *d = engine_arena_alloc(a, n);
	if (d)
		memcpy(d, s, n);
	return d;
}

char *engine_arena_ref(engine_arena_t *a, const char *s)
{
	if (a->borrow && s && *s)
		return (char *)s;
	return engine_arena_dup(a, s);
}

void engine_arena_reset(engine_arena_t *a)
{
	engine_block_t *b = a->blocks;
	if (!b)
		return;
	engine_arena_t rest = { b->next };
	engine_arena_fini(&rest);
	b->next = NULL;
	b->used = 0;
}

void engine_arena_fini(engine_arena_t *a)
{
	for (engine_block_t *b = a->blocks, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	a->blocks = NULL;
}

static void *alloc(run_msg_t *m, size_t size)
{
	return engine_arena_alloc(&m->arena, size);
}

static char *dup(run_msg_t *m, const char *s)
{
	return engine_arena_dup(&m->arena, s);
}

static Clusters__V1__GroupCount **group_list(run_msg_t *m,
                                             const engine_group_t *v,
                                             size_t n, size_t *out_n)
{
	*out_n = n;
	if (!n)
		return NULL;
	Clusters__V1__GroupCount **pp = alloc(m, n * sizeof(*pp));
	Clusters__V1__GroupCount *g = alloc(m, n * sizeof(*g));
	if (!pp || !g)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		clusters__v1__group_count__init(&g[i]);
		if (!(g[i].key = dup(m, v[i].key)))
			return NULL;
		g[i].count = (int32_t)v[i].count;
		pp[i] = &g[i];
	}
	return pp;
}

static int summary(run_msg_t *m, const engine_summary_t *s,
                   Clusters__V1__Summary *out)
{
	clusters__v1__summary__init(out);
	out->selected = (int32_t)s->selected;
	out->group_min = (int32_t)s->group_min;
	out->distinct_economies = (int32_t)s->economy.n;
	out->distinct_regions = (int32_t)s->region.n;
	out->distinct_cities = (int32_t)s->city.n;
	out->distinct_industries = (int32_t)s->industry.n;
	const engine_groups_t *g[4] = { &s->economy, &s->region, &s->city,
	                                &s->industry };
	Clusters__V1__GroupCount ***by[4] = { &out->by_economy, &out->by_region,
	                                      &out->by_city, &out->by_industry };
	size_t *nby[4] = { &out->n_by_economy, &out->n_by_region,
	                   &out->n_by_city, &out->n_by_industry };
	Clusters__V1__GroupCount ***al[4] = { &out->economies_at_least,
	                                      &out->regions_at_least,
	                                      &out->cities_at_least,
	                                      &out->industries_at_least };
	size_t *nal[4] = { &out->n_economies_at_least,
	                   &out->n_regions_at_least, &out->n_cities_at_least,
	                   &out->n_industries_at_least };
	for (int i = 0; i < 4; i++) {
		*by[i] = group_list(m, g[i]->v, g[i]->n, nby[i]);
		if (g[i]->n && !*by[i])
			return CD_ENOMEM;
		/* Groups at least k are the head of the sorted list. */
		*al[i] = *by[i];
		*nal[i] = g[i]->n_at_least;
	}
	return CD_OK;
}

/* The result's warnings, then what the options left out. */
static int warnings(run_msg_t *m, const engine_result_t *res,
                    const engine_run_opts_t *o, size_t keep, size_t extra)
{
	Clusters__V1__Run *run = &m->run;
	size_t n = res->nwarnings + (keep < res->n) + (o->without_scores != 0);
	if (!n)
		return CD_OK;
	if (!(run->warnings = alloc(m, n * sizeof(char *))))
		return CD_ENOMEM;
	for (size_t i = 0; i < res->nwarnings; i++)
		if (!(run->warnings[run->n_warnings++] = dup(m, res->warnings[i])))
			return CD_ENOMEM;
	char buf[256];
	if (keep < res->n) {
		snprintf(buf, sizeof(buf), "standings: %zu of %zu inline (the "
		         "first %zu and %zu selected clusters after them); "
		         "ListStandings pages through all %zu", keep, res->n,
		         keep - extra, extra, res->n);
		if (!(run->warnings[run->n_warnings++] = dup(m, buf)))
			return CD_ENOMEM;
	}
	if (o->without_scores &&
	    !(run->warnings[run->n_warnings++] = dup(m, "standings: without "
	                                             "per-criterion scores, to "
	                                             "keep the run small")))
		return CD_ENOMEM;
	return CD_OK;
}

static int build(run_msg_t *m, const engine_result_t *res,
                 const engine_run_opts_t *o)
{
	Clusters__V1__Run *run = &m->run;
	const Clusters__V1__Competition *def = res->def;
	clusters__v1__run__init(run);
	run->id = dup(m, o->run_id);
	run->competition_id = dup(m, def->id);
	run->baseline_run_id = dup(m, def->baseline_run_id);
	run->data_version = o->data_version;
	run->candidates = (int32_t)res->n;
	if (!run->id || !run->competition_id || !run->baseline_run_id)
		return CD_ENOMEM;
	if (o->create_seconds || o->create_nanos) {
		Google__Protobuf__Timestamp *t = alloc(m, sizeof(*t));
		if (!t)
			return CD_ENOMEM;
		google__protobuf__timestamp__init(t);
		t->seconds = o->create_seconds;
		t->nanos = o->create_nanos;
		run->create_time = t;
	}
	if (o->nplugins) {
		Clusters__V1__PluginUse **pp = alloc(m, o->nplugins * sizeof(*pp));
		Clusters__V1__PluginUse *pu = alloc(m, o->nplugins * sizeof(*pu));
		if (!pp || !pu)
			return CD_ENOMEM;
		for (size_t i = 0; i < o->nplugins; i++) {
			clusters__v1__plugin_use__init(&pu[i]);
			pu[i].name = dup(m, o->plugins[i].name);
			pu[i].version = dup(m, o->plugins[i].version);
			pu[i].kind = o->plugins[i].kind;
			if (!pu[i].name || !pu[i].version)
				return CD_ENOMEM;
			pp[i] = &pu[i];
		}
		run->plugins = pp;
		run->n_plugins = o->nplugins;
	}
	if (res->samples) {
		Clusters__V1__SensitivityOptions *so = alloc(m, sizeof(*so));
		if (!so)
			return CD_ENOMEM;
		clusters__v1__sensitivity_options__init(so);
		so->samples = (int32_t)res->samples;
		so->weight_jitter_pct = res->jitter_pct;
		so->seed = res->seed;
		run->sensitivity = so;
	}
	Clusters__V1__Summary *sum = alloc(m, sizeof(*sum));
	if (!sum || summary(m, &res->summary, sum))
		return CD_ENOMEM;
	run->summary = sum;
	if (res->nnew) {
		if (!(run->new_entrants = alloc(m, res->nnew * sizeof(char *))))
			return CD_ENOMEM;
		for (size_t i = 0; i < res->nnew; i++)
			if (!(run->new_entrants[i] = dup(m, engine_cohort_id(
			          res->cohort, res->new_entrants[i]))))
				return CD_ENOMEM;
		run->n_new_entrants = res->nnew;
	}
	run->standings_total = (int64_t)res->n;
	if (engine_run_round_stats(&m->arena, res, o->coherence_from, run))
		return CD_ENOMEM;
	/* The first N, then selected clusters up to N more: a run that
	 * selects a million clusters stays bounded. */
	size_t N = o->max_standings, keep = N && N < res->n ? N : res->n;
	size_t extra = 0;
	for (size_t i = keep; N && i < res->n && extra < N; i++)
		extra += res->standings[i].selected;
	keep += extra;
	if (warnings(m, res, o, keep, extra))
		return CD_ENOMEM;
	if (!keep)
		return CD_OK;
	Clusters__V1__Standing **pp = alloc(m, keep * sizeof(*pp));
	Clusters__V1__Standing *s = alloc(m, keep * sizeof(*s));
	if (!pp || !s)
		return CD_ENOMEM;
	size_t w = 0;
	for (size_t i = 0; i < res->n && w < keep; i++) {
		if (N && i >= N && !res->standings[i].selected)
			continue;
		int rc = engine_run_standing(&m->arena, res, &res->standings[i],
		                             o, &s[w]);
		if (rc)
			return rc;
		pp[w] = &s[w];
		w++;
	}
	run->standings = pp;
	run->n_standings = w;
	return CD_OK;
}

int engine_run_build(const engine_result_t *res, const engine_run_opts_t *o,
                     Clusters__V1__Run **out, char *err, size_t errlen)
{
	static const engine_run_opts_t none = { 0 };
	*out = NULL;
	run_msg_t *m = calloc(1, sizeof(*m));
	if (!m)
		return cd_fail(err, errlen, CD_ENOMEM, "run: out of memory");
	int rc = build(m, res, o ? o : &none);
	if (rc) {
		engine_run_free(&m->run);
		return cd_fail(err, errlen, rc, "run: out of memory");
	}
	*out = &m->run;
	return CD_OK;
}

void engine_run_free(Clusters__V1__Run *run)
{
	if (!run)
		return;
	run_msg_t *m = (run_msg_t *)run;
	engine_arena_fini(&m->arena);
	free(m);
}
