/* Standings as messages: one Standing per cluster with a RoundStanding per
 * round of the competition, built in an arena; and the packer that writes
 * them as ListStandingsResponse.standings fields for paged storage,
 * reusing one arena block for every standing so a million standings cost
 * a handful of mallocs. engine_run_build uses the same builder, so both
 * give the same bytes. */
#include "engine_run_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "engine_internal.h"

#define DC(x) CLUSTERS__V1__DECISION_CODE__DECISION_CODE_##x

static int scores(engine_arena_t *m, const engine_result_t *res, size_t r,
                  size_t pos, Clusters__V1__RoundStanding *s)
{
	const engine_round_res_t *rr = &res->rounds[r];
	size_t nc = rr->ncrit;
	Clusters__V1__CriterionScore **pp = engine_arena_alloc(m, nc * sizeof(*pp));
	Clusters__V1__CriterionScore *cs = engine_arena_alloc(m, nc * sizeof(*cs));
	if (!pp || !cs)
		return CD_ENOMEM;
	char note[512];
	for (size_t k = 0; k < nc; k++) {
		clusters__v1__criterion_score__init(&cs[k]);
		cs[k].criterion = engine_arena_ref(m, rr->def->criteria[k]->id);
		cs[k].raw = rr->raw[k * rr->n + pos];
		cs[k].normalized = rr->norm[k * rr->n + pos];
		cs[k].weighted = engine_result_weighted(res, r, k, pos);
		cs[k].note = engine_arena_dup(m, engine_result_note(res, r, k, pos,
		                                                    note,
		                                                    sizeof(note)));
		if (!cs[k].criterion || !cs[k].note)
			return CD_ENOMEM;
		pp[k] = &cs[k];
	}
	s->n_scores = nc;
	s->scores = pp;
	return CD_OK;
}

/* The cluster's score and rank in each pillar of the round. */
static int pillars(engine_arena_t *m, const engine_round_res_t *rr,
                   size_t pos, Clusters__V1__RoundStanding *s)
{
	size_t np = rr->npil;
	Clusters__V1__PillarScore **pp = engine_arena_alloc(m, np * sizeof(*pp));
	Clusters__V1__PillarScore *v = engine_arena_alloc(m, np * sizeof(*v));
	if (!pp || !v)
		return CD_ENOMEM;
	for (size_t j = 0; j < np; j++) {
		clusters__v1__pillar_score__init(&v[j]);
		if (!(v[j].pillar = engine_arena_ref(m, rr->def->pillars[j]->id)))
			return CD_ENOMEM;
		v[j].score = rr->pscore[j * rr->n + pos];
		v[j].rank = (int32_t)rr->prank[j * rr->n + pos];
		pp[j] = &v[j];
	}
	s->pillars = pp;
	s->n_pillars = np;
	return CD_OK;
}

/* The facts of a decision, as the message has them. */
static int decision_facts(engine_arena_t *m, const engine_result_t *res,
                          size_t r, size_t pos, const engine_decision_t *d,
                          Clusters__V1__Decision *x)
{
	const engine_round_res_t *rr = &res->rounds[r];
	char buf[512];
	switch (d->code) {
	case DC(SELECTED_AS_INDUSTRY_LEADER):
		x->industry = engine_arena_ref(m, d->industry);
		x->passed_over_count = (int32_t)d->passed_total;
		if (d->npassed) {
			x->passed_over_ranks = engine_arena_alloc(m, d->npassed *
			                                          sizeof(int32_t));
			if (!x->passed_over_ranks)
				return CD_ENOMEM;
			for (size_t i = 0; i < d->npassed; i++)
				x->passed_over_ranks[i] = (int32_t)d->passed[i];
			x->n_passed_over_ranks = d->npassed;
		}
		return x->industry ? CD_OK : CD_ENOMEM;
	case DC(PASSED_OVER_BY_QUOTA):
		x->quota = d->quota;
		x->group = engine_arena_ref(m, d->group);
		x->group_count = (int32_t)d->group_count;
		x->quota_limit = (int32_t)d->limit;
		return x->group ? CD_OK : CD_ENOMEM;
	case DC(BELOW_MIN_SCORE):
		x->min_score = d->min_score;
		return CD_OK;
	case DC(OUTSIDE_TOP_N):
		x->top_n = d->top_n;
		return CD_OK;
	case DC(NOT_ELIGIBLE): {
		const Clusters__V1__Filter *f = rr->def->eligibility[d->index];
		x->filter_index = (int32_t)d->index;
		x->filter_field = f->field;
		x->filter_key = engine_arena_ref(m, f->key);
		x->value = engine_arena_dup(m, engine_filter_value(
			res->cohort, f, rr->member[pos], buf, sizeof(buf)));
		return x->filter_key && x->value ? CD_OK : CD_ENOMEM;
	}
	case DC(MISSING_SCORE):
	case DC(NOT_FINITE): {
		if (d->index == SIZE_MAX)
			return CD_OK;
		const Clusters__V1__Criterion *cr = rr->def->criteria[d->index];
		x->criterion = engine_arena_ref(m, cr->id);
		x->plugin = engine_arena_ref(m, cr->plugin);
		uint32_t sid = engine_notes_get(&rr->notes[d->index],
		                                (uint32_t)pos);
		if (sid != ENGINE_SID_NONE)
			x->note = engine_arena_ref(m, engine_dict_str(&res->note_text,
			                                             sid));
		return x->criterion && x->plugin && x->note ? CD_OK : CD_ENOMEM;
	}
	default:
		return CD_OK;
	}
}

static Clusters__V1__Decision *decision(engine_arena_t *m,
                                        const engine_result_t *res,
                                        size_t r, size_t pos)
{
	Clusters__V1__Decision *x = engine_arena_alloc(m, sizeof(*x));
	if (!x)
		return NULL;
	clusters__v1__decision__init(x);
	engine_decision_t d;
	char text[768];
	engine_result_decide(res, r, pos, &d);
	x->code = d.code;
	x->text = engine_arena_dup(m, engine_result_decision_text(
		res, r, pos, &d, text, sizeof(text)));
	if (!x->text || decision_facts(m, res, r, pos, &d, x))
		return NULL;
	return x;
}

static Clusters__V1__SensitivityStats *sens(engine_arena_t *m,
                                            const engine_result_t *res,
                                            size_t r, long pos, uint32_t ci)
{
	const engine_round_res_t *rr = &res->rounds[r];
	Clusters__V1__SensitivityStats *x = engine_arena_alloc(m, sizeof(*x));
	if (!x)
		return NULL;
	clusters__v1__sensitivity_stats__init(x);
	if (pos >= 0 && rr->p5) {
		x->rank_p5 = (int32_t)rr->p5[pos];
		x->rank_p50 = (int32_t)rr->p50[pos];
		x->rank_p95 = (int32_t)rr->p95[pos];
	}
	engine_result_shares(res, r, ci, &x->reached_share, &x->selected_share);
	return x;
}

static int round_standing(engine_arena_t *m, const engine_result_t *res,
                          const engine_standing_t *st, size_t r,
                          const engine_run_opts_t *o,
                          Clusters__V1__RoundStanding *s)
{
	const engine_round_res_t *rr = &res->rounds[r];
	clusters__v1__round_standing__init(s);
	if (!(s->round = engine_arena_ref(m, rr->name)))
		return CD_ENOMEM;
	long pos = r == st->round ? (long)st->pos
	           : r < st->round ? engine_result_pos(res, r, st->cluster) : -1;
	if (res->samples && !(s->sensitivity = sens(m, res, r, pos, st->cluster)))
		return CD_ENOMEM;
	if (pos < 0) {
		/* A later round it did not reach. */
		Clusters__V1__Decision *x = engine_arena_alloc(m, sizeof(*x));
		if (!x)
			return CD_ENOMEM;
		clusters__v1__decision__init(x);
		const char *was = res->rounds[st->round].name;
		char text[128];
		snprintf(text, sizeof(text), "not a candidate: not selected in "
		         "round \"%s\"", was);
		x->code = DC(EXCLUDED_EARLIER);
		x->earlier_round = engine_arena_ref(m, was);
		x->text = engine_arena_dup(m, text);
		s->decision = x;
		return x->earlier_round && x->text ? CD_OK : CD_ENOMEM;
	}
	s->rank = (int32_t)rr->rank[pos];
	s->score = rr->rank[pos] ? rr->score[pos] : 0.0;
	s->selected = rr->selected[pos];
	if (!(s->decision = decision(m, res, r, (size_t)pos)))
		return CD_ENOMEM;
	if (o->without_scores)
		return CD_OK;
	if (rr->npil && rr->rank[pos] && pillars(m, rr, (size_t)pos, s))
		return CD_ENOMEM;
	return scores(m, res, r, (size_t)pos, s);
}

int engine_run_standing(engine_arena_t *m, const engine_result_t *res,
                        const engine_standing_t *st,
                        const engine_run_opts_t *o,
                        Clusters__V1__Standing *s)
{
	const engine_cohort_t *c = res->cohort;
	const engine_round_res_t *rr = &res->rounds[st->round];
	uint32_t ci = st->cluster;
	char why[512];
	clusters__v1__standing__init(s);
	s->cluster_id = engine_arena_ref(m, engine_cohort_id(c, ci));
	s->name = engine_arena_ref(m, engine_cohort_name(c, ci));
	s->economy = engine_arena_ref(m, engine_cohort_economy(c, ci));
	s->region = engine_arena_ref(m, engine_cohort_region(c, ci));
	s->industry = engine_arena_ref(m, engine_cohort_industry(c, ci));
	s->round = engine_arena_ref(m, rr->name);
	s->excluded_reason = engine_arena_dup(m, engine_result_reason(
		res, st->round, st->pos, why, sizeof(why)));
	if (!s->cluster_id || !s->name || !s->economy || !s->region ||
	    !s->industry || !s->round || !s->excluded_reason)
		return CD_ENOMEM;
	s->rank = (int32_t)st->rank;
	s->score = st->rank ? rr->score[st->pos] : 0.0;
	s->selected = st->selected;
	if (st->has_change) {
		Google__Protobuf__Int32Value *v = engine_arena_alloc(m, sizeof(*v));
		if (!v)
			return CD_ENOMEM;
		google__protobuf__int32_value__init(v);
		v->value = st->rank_change;
		s->rank_change = v;
	}
	if (res->samples) {
		/* The rank band of the last round reached; the share of samples
		 * it won (selected by the final round). */
		Clusters__V1__SensitivityStats *x = sens(m, res, st->round,
		                                         (long)st->pos, ci);
		double reached;
		if (!x)
			return CD_ENOMEM;
		engine_result_shares(res, res->nrounds - 1, ci, &reached,
		                     &x->selected_share);
		x->reached_share = 0;
		s->sensitivity = x;
	}
	size_t nr = res->nrounds;
	Clusters__V1__RoundStanding **pp = engine_arena_alloc(m, nr * sizeof(*pp));
	Clusters__V1__RoundStanding *v = engine_arena_alloc(m, nr * sizeof(*v));
	if (!pp || !v)
		return CD_ENOMEM;
	for (size_t r = 0; r < nr; r++) {
		int rc = round_standing(m, res, st, r, o, &v[r]);
		if (rc)
			return rc;
		pp[r] = &v[r];
	}
	s->rounds = pp;
	s->n_rounds = nr;
	return CD_OK;
}

static size_t varint(uint8_t *p, size_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

int engine_standings_pack(const engine_result_t *res,
                          const engine_run_opts_t *o, size_t from, size_t to,
                          uint8_t **buf, size_t *len, size_t *cap, char *err,
                          size_t errlen)
{
	static const engine_run_opts_t none = { 0 };
	if (!res || !buf || !len || !cap || from > to || to > res->n ||
	    *len > *cap || (*cap && !*buf))
		return cd_fail(err, errlen, CD_EINVAL, "standings: range "
		               "[%zu, %zu) of %zu standings, or the buffer, is "
		               "not valid", from, to, res ? res->n : 0);
	engine_arena_t a = { 0 };
	int rc = CD_OK;
	a.borrow = 1;
	for (size_t i = from; i < to && !rc; i++) {
		Clusters__V1__Standing s;
		engine_arena_reset(&a);
		if ((rc = engine_run_standing(&a, res, &res->standings[i],
		                              o ? o : &none, &s)))
			break;
		size_t n = clusters__v1__standing__get_packed_size(&s);
		size_t need = *len + 1 + 10 + n;
		if (need > *cap) {
			size_t nc = *cap ? *cap : 4096;
			while (nc < need)
				nc *= 2;
			uint8_t *b = realloc(*buf, nc);
			if (!b) {
				rc = CD_ENOMEM;
				break;
			}
			*buf = b;
			*cap = nc;
		}
		uint8_t *p = *buf + *len;
		p[0] = 0x0a;   /* field 1, length-delimited */
		size_t h = 1 + varint(p + 1, n);
		clusters__v1__standing__pack(&s, p + h);
		*len += h + n;
	}
	engine_arena_fini(&a);
	return rc ? cd_fail(err, errlen, rc, "standings: out of memory") : CD_OK;
}
