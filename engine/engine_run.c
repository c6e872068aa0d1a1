/* Run message builder. Every part of the message comes from one arena, so
 * a run with a hundred thousand standings costs a handful of mallocs. */
#include "engine_run.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "engine_internal.h"

typedef struct block {
	struct block *next;
	size_t used, cap;
	max_align_t data[];
} block_t;

typedef struct run_msg {
	Clusters__V1__Run run;          /* first: the public pointer */
	block_t *blocks;
} run_msg_t;

#define BLOCK_MIN (256u << 10)

static void *alloc(run_msg_t *m, size_t size)
{
	size = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	block_t *b = m->blocks;
	if (!b || b->cap - b->used < size) {
		size_t cap = size > BLOCK_MIN ? size : BLOCK_MIN;
		if (!(b = malloc(sizeof(*b) + cap)))
			return NULL;
		b->next = m->blocks;
		b->used = 0;
		b->cap = cap;
		m->blocks = b;
	}
	void *p = (char *)b->data + b->used;
	b->used += size;
	return p;
}

static char *dup(run_msg_t *m, const char *s)
{
	if (!s || !*s)
		return (char *)protobuf_c_empty_string;
	size_t n = strlen(s) + 1;
	char *d = alloc(m, n);
	if (d)
		memcpy(d, s, n);
	return d;
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

static int scores(run_msg_t *m, const engine_result_t *res,
                  const engine_standing_t *st, Clusters__V1__Standing *s)
{
	const engine_round_res_t *rr = &res->rounds[st->round];
	size_t nc = rr->ncrit;
	Clusters__V1__CriterionScore **pp = alloc(m, nc * sizeof(*pp));
	Clusters__V1__CriterionScore *cs = alloc(m, nc * sizeof(*cs));
	if (!pp || !cs)
		return CD_ENOMEM;
	char note[512];
	for (size_t k = 0; k < nc; k++) {
		clusters__v1__criterion_score__init(&cs[k]);
		cs[k].criterion = dup(m, rr->def->criteria[k]->id);
		cs[k].raw = rr->raw[k * rr->n + st->pos];
		cs[k].normalized = rr->norm[k * rr->n + st->pos];
		cs[k].weighted = engine_result_weighted(res, st->round, k, st->pos);
		cs[k].note = dup(m, engine_result_note(res, st->round, k, st->pos,
		                                       note, sizeof(note)));
		if (!cs[k].criterion || !cs[k].note)
			return CD_ENOMEM;
		pp[k] = &cs[k];
	}
	s->n_scores = nc;
	s->scores = pp;
	return CD_OK;
}

static int standing(run_msg_t *m, const engine_result_t *res,
                    const engine_standing_t *st, const engine_run_opts_t *o,
                    Clusters__V1__Standing *s)
{
	const engine_cohort_t *c = res->cohort;
	const engine_round_res_t *rr = &res->rounds[st->round];
	char why[512];
	clusters__v1__standing__init(s);
	s->cluster_id = dup(m, engine_cohort_id(c, st->cluster));
	s->name = dup(m, engine_cohort_name(c, st->cluster));
	s->economy = dup(m, engine_cohort_economy(c, st->cluster));
	s->round = dup(m, rr->name);
	s->excluded_reason = dup(m, engine_result_reason(res, st->round, st->pos,
	                                                 why, sizeof(why)));
	if (!s->cluster_id || !s->name || !s->economy || !s->round ||
	    !s->excluded_reason)
		return CD_ENOMEM;
	s->rank = (int32_t)st->rank;
	s->score = st->rank ? rr->score[st->pos] : 0.0;
	s->selected = st->selected;
	if (st->has_change) {
		Google__Protobuf__Int32Value *v = alloc(m, sizeof(*v));
		if (!v)
			return CD_ENOMEM;
		google__protobuf__int32_value__init(v);
		v->value = st->rank_change;
		s->rank_change = v;
	}
	if (rr->p5 && st->rank) {
		Clusters__V1__SensitivityStats *x = alloc(m, sizeof(*x));
		if (!x)
			return CD_ENOMEM;
		clusters__v1__sensitivity_stats__init(x);
		x->rank_p5 = (int32_t)rr->p5[st->pos];
		x->rank_p50 = (int32_t)rr->p50[st->pos];
		x->rank_p95 = (int32_t)rr->p95[st->pos];
		x->selected_share = rr->sel_share[st->pos];
		s->sensitivity = x;
	}
	return o->without_scores ? CD_OK : scores(m, res, st, s);
}

/* The result's warnings, then what the options left out. */
static int warnings(run_msg_t *m, const engine_result_t *res,
                    const engine_run_opts_t *o, size_t keep)
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
	char buf[160];
	if (keep < res->n) {
		snprintf(buf, sizeof(buf), "standings: %zu of %zu kept (the first "
		         "%zu and every selected cluster)", keep, res->n,
		         o->max_standings);
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
	size_t keep = 0;
	for (size_t i = 0; i < res->n; i++)
		keep += !o->max_standings || i < o->max_standings ||
		        res->standings[i].selected;
	if (warnings(m, res, o, keep))
		return CD_ENOMEM;
	if (!keep)
		return CD_OK;
	Clusters__V1__Standing **pp = alloc(m, keep * sizeof(*pp));
	Clusters__V1__Standing *s = alloc(m, keep * sizeof(*s));
	if (!pp || !s)
		return CD_ENOMEM;
	size_t w = 0;
	for (size_t i = 0; i < res->n; i++) {
		if (o->max_standings && i >= o->max_standings &&
		    !res->standings[i].selected)
			continue;
		int rc = standing(m, res, &res->standings[i], o, &s[w]);
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
	for (block_t *b = m->blocks, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	free(m);
}
