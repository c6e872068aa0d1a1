#include "engine_def.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"

#define NORM(x) CLUSTERS__V1__NORMALIZATION__NORMALIZATION_##x
#define FF(x) CLUSTERS__V1__FILTER_FIELD__FILTER_FIELD_##x
#define CMP(x) CLUSTERS__V1__COMPARISON__COMPARISON_##x

static int empty(const char *s)
{
	return !s || !*s;
}

/* "unknown value 9; accepted: A, B, C" from the enum's descriptor, so
 * the message names what would have been right (skip_unspecified leaves
 * out value 0 where it is not accepted). */
static const char *enum_refusal(const ProtobufCEnumDescriptor *d, int v,
                                int skip_unspecified, char *buf, size_t len)
{
	size_t o = (size_t)snprintf(buf, len, "unknown value %d; accepted:", v);
	for (unsigned i = 0; i < d->n_values && o < len; i++) {
		if (skip_unspecified && d->values[i].value == 0)
			continue;
		o += (size_t)snprintf(buf + o, len - o, "%s %s",
		                      o > 0 && buf[o - 1] != ':' ? "," : "",
		                      d->values[i].name);
	}
	return buf;
}

static int check_filter(const Clusters__V1__Filter *f, size_t r, size_t i,
                        char *err, size_t errlen)
{
	char at[64], names[512];
	snprintf(at, sizeof(at), "rounds[%zu].eligibility[%zu]", r, i);
	if (!f)
		return cd_fail(err, errlen, CD_EV_DEFINITION, "%s: missing", at);
	if (f->field < FF(ECONOMY) || f->field > FF(INDICATOR))
		return cd_fail(err, errlen, CD_EV_DEFINITION,
		               "%s.field: %s", at,
		               enum_refusal(&clusters__v1__filter_field__descriptor,
		                            (int)f->field, 1, names, sizeof(names)));
	if (f->op < CMP(UNSPECIFIED) || f->op > CMP(PRESENT))
		return cd_fail(err, errlen, CD_EV_DEFINITION,
		               "%s.op: %s", at,
		               enum_refusal(&clusters__v1__comparison__descriptor,
		                            (int)f->op, 0, names, sizeof(names)));
	int keyed = f->field == FF(LABEL) || f->field == FF(INDICATOR);
	if (keyed && empty(f->key))
		return cd_fail(err, errlen, CD_EV_EMPTY,
		               "%s.key: a %s filter needs a key", at,
		               f->field == FF(LABEL) ? "label" : "indicator");
	if (!keyed && !empty(f->key))
		return cd_fail(err, errlen, CD_EV_DEFINITION,
		               "%s.key: only label and indicator filters take a key",
		               at);
	if (f->field == FF(INDICATOR)) {
		if (f->op == CMP(IN) || f->op == CMP(NOT_IN))
			return cd_fail(err, errlen, CD_EV_DEFINITION,
			               "%s.op: indicators compare with COMPARISON_GE, "
			               "_GT, _LE, _LT, _EQ, _NE or _PRESENT", at);
		if (f->year != 0 && (f->year < 1800 || f->year > 2200))
			return cd_fail(err, errlen, CD_EV_YEAR,
			               "%s.year: %d is outside 1800..2200 (0 = latest)",
			               at, (int)f->year);
		if (!isfinite(f->threshold))
			return cd_fail(err, errlen, CD_EV_NONFINITE,
			               "%s.threshold: must be finite", at);
		if (f->n_any_of)
			return cd_fail(err, errlen, CD_EV_DEFINITION,
			               "%s.any_of: indicator filters use threshold",
			               at);
		return CD_OK;
	}
	if (f->op != CMP(UNSPECIFIED) && f->op != CMP(IN) &&
	    f->op != CMP(NOT_IN) && f->op != CMP(PRESENT))
		return cd_fail(err, errlen, CD_EV_DEFINITION,
		               "%s.op: text fields compare with COMPARISON_IN, "
		               "COMPARISON_NOT_IN or COMPARISON_PRESENT", at);
	if (f->year != 0)
		return cd_fail(err, errlen, CD_EV_DEFINITION,
		               "%s.year: only indicator filters take a year", at);
	if (f->op == CMP(PRESENT)) {
		if (f->n_any_of)
			return cd_fail(err, errlen, CD_EV_DEFINITION,
			               "%s.any_of: COMPARISON_PRESENT takes no values",
			               at);
		return CD_OK;
	}
	if (f->n_any_of == 0)
		return cd_fail(err, errlen, CD_EV_EMPTY,
		               "%s.any_of: at least one value is required", at);
	for (size_t k = 0; k < f->n_any_of; k++)
		if (empty(f->any_of[k]))
			return cd_fail(err, errlen, CD_EV_EMPTY,
			               "%s.any_of[%zu]: must not be empty", at, k);
	return CD_OK;
}

static int check_params(const Clusters__V1__Criterion *c, const char *at,
                        engine_check_criterion_fn check, void *arg,
                        char *err, size_t errlen)
{
	char msg[256] = "";
	const char *field = NULL;
	int rc = check(arg, c, &field, msg, sizeof(msg));
	if (rc == CD_OK)
		return CD_OK;
	if (!msg[0])
		snprintf(msg, sizeof(msg), "refused by the plugin registry");
	return field ? cd_fail(err, errlen, rc, "%s.%s: %s", at, field, msg)
	             : cd_fail(err, errlen, rc, "%s: %s", at, msg);
}

/* What a criterion and a pillar both define: a weight, a normalisation
 * with its goalposts and target (at names the field's owner). */
static int check_scaling(const char *at, double weight, int norm,
                         double lower, double upper, double target,
                         char *err, size_t errlen)
{
	char names[512];
	if (!isfinite(weight))
		return cd_fail(err, errlen, CD_EV_NONFINITE,
		               "%s.weight: must be finite", at);
	if (weight < 0)
		return cd_fail(err, errlen, CD_EV_DEFINITION,
		               "%s.weight: must be >= 0", at);
	if (norm < NORM(UNSPECIFIED) || norm > NORM(PERCENTILE_RANK))
		return cd_fail(err, errlen, CD_EV_DEFINITION,
		               "%s.normalization: %s", at,
		               enum_refusal(&clusters__v1__normalization__descriptor,
		                            norm, 0, names, sizeof(names)));
	if (!isfinite(lower) || !isfinite(upper))
		return cd_fail(err, errlen, CD_EV_NONFINITE,
		               "%s.goalpost_%s: must be finite", at,
		               isfinite(lower) ? "upper" : "lower");
	/* Any finite target is meaningful: values at or past it score 100,
	 * so a target at or below every value gives 100 to all (no
	 * division by zero is left for the data to reach). */
	if (!isfinite(target))
		return cd_fail(err, errlen, CD_EV_NONFINITE,
		               "%s.target: must be finite", at);
	if (norm == NORM(GOALPOSTS) && !(lower < upper))
		return cd_fail(err, errlen, CD_EV_DEFINITION,
		               "%s.goalpost_lower: must be below goalpost_upper "
		               "(%g >= %g)", at, lower, upper);
	return CD_OK;
}

/* A round's or a pillar's aggregation. */
static int check_aggregation(const char *at, int agg, char *err,
                             size_t errlen)
{
	char names[512];
	if (agg < CLUSTERS__V1__AGGREGATION__AGGREGATION_UNSPECIFIED ||
	    agg > CLUSTERS__V1__AGGREGATION__AGGREGATION_COPELAND)
		return cd_fail(err, errlen, CD_EV_DEFINITION,
		               "%s.aggregation: %s", at,
		               enum_refusal(&clusters__v1__aggregation__descriptor,
		                            agg, 0, names, sizeof(names)));
	return CD_OK;
}

static int check_criterion(const Clusters__V1__Criterion *c, size_t r,
                           size_t i, engine_check_criterion_fn check,
                           void *arg, char *err, size_t errlen)
{
	char at[64];
	snprintf(at, sizeof(at), "rounds[%zu].criteria[%zu]", r, i);
	if (!c)
		return cd_fail(err, errlen, CD_EV_DEFINITION, "%s: missing", at);
	if (empty(c->id))
		return cd_fail(err, errlen, CD_EV_EMPTY, "%s.id: must not be empty",
		               at);
	if (empty(c->plugin))
		return cd_fail(err, errlen, CD_EV_EMPTY,
		               "%s.plugin: must not be empty", at);
	int rc = check_scaling(at, c->weight, (int)c->normalization,
	                       c->goalpost_lower, c->goalpost_upper, c->target,
	                       err, errlen);
	if (rc)
		return rc;
	if (c->n_params > ENGINE_MAX_PARAMS)
		return cd_fail(err, errlen, CD_EV_COUNT,
		               "%s.params: at most %d params", at,
		               ENGINE_MAX_PARAMS);
	for (size_t k = 0; k < c->n_params; k++) {
		const Clusters__V1__Criterion__ParamsEntry *e = c->params[k];
		if (!e || empty(e->key))
			return cd_fail(err, errlen, CD_EV_EMPTY,
			               "%s.params: a key is empty", at);
		for (size_t j = 0; j < k; j++)
			if (c->params[j] && strcmp(c->params[j]->key, e->key) == 0)
				return cd_fail(err, errlen, CD_EV_DUPLICATE,
				               "%s.params: duplicate key \"%s\"", at,
				               e->key);
	}
	return check ? check_params(c, at, check, arg, err, errlen) : CD_OK;
}

static int check_selection(const Clusters__V1__Selection *s, size_t r,
                           char *err, size_t errlen)
{
	if (!s)
		return CD_OK;
	struct { const char *name; int32_t v; } q[] = {
		{ "top_n", s->top_n },
		{ "max_per_economy", s->max_per_economy },
		{ "max_per_region", s->max_per_region },
		{ "max_per_city", s->max_per_city },
	};
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
		if (q[i].v < 0)
			return cd_fail(err, errlen, CD_EV_DEFINITION,
			               "rounds[%zu].selection.%s: must be >= 0 "
			               "(0 = no limit)", r, q[i].name);
	if (s->min_score && !isfinite(s->min_score->value))
		return cd_fail(err, errlen, CD_EV_NONFINITE,
		               "rounds[%zu].selection.min_score: must be finite", r);
	return CD_OK;
}

static int find_pillar(const Clusters__V1__Round *rd, const char *id)
{
	for (size_t j = 0; j < rd->n_pillars; j++)
		if (rd->pillars[j] && !strcmp(rd->pillars[j]->id, id))
			return (int)j;
	return -1;
}

static int check_pillar(const Clusters__V1__Round *rd, size_t r, size_t j,
                        char *err, size_t errlen)
{
	const Clusters__V1__Pillar *p = rd->pillars[j];
	char at[64];
	snprintf(at, sizeof(at), "rounds[%zu].pillars[%zu]", r, j);
	if (!p)
		return cd_fail(err, errlen, CD_EV_DEFINITION, "%s: missing", at);
	if (empty(p->id))
		return cd_fail(err, errlen, CD_EV_EMPTY, "%s.id: must not be empty",
		               at);
	for (size_t i = 0; i < j; i++)
		if (!strcmp(rd->pillars[i]->id, p->id))
			return cd_fail(err, errlen, CD_EV_DUPLICATE,
			               "%s.id: duplicate \"%s\"", at, p->id);
	for (size_t k = 0; k < rd->n_criteria; k++)
		if (!strcmp(rd->criteria[k]->id, p->id))
			return cd_fail(err, errlen, CD_EV_DUPLICATE,
			               "%s.id: \"%s\" is also the id of "
			               "criteria[%zu]", at, p->id, k);
	int rc = check_scaling(at, p->weight, (int)p->normalization,
	                       p->goalpost_lower, p->goalpost_upper, p->target,
	                       err, errlen);
	if (rc)
		return rc;
	if ((rc = check_aggregation(at, (int)p->aggregation, err, errlen)))
		return rc;
	return CD_OK;
}

/* The pillar tree: ids, parents (no cycle, at most
 * ENGINE_MAX_PILLAR_DEPTH levels), every criterion's pillar, a member in
 * every pillar, and a positive weight sum among each set of siblings. */
static int check_pillars(const Clusters__V1__Round *rd, size_t r, char *err,
                         size_t errlen)
{
	size_t np = rd->n_pillars;
	int rc;
	if (np > ENGINE_MAX_PILLARS)
		return cd_fail(err, errlen, CD_EV_COUNT,
		               "rounds[%zu].pillars: at most %d pillars", r,
		               ENGINE_MAX_PILLARS);
	for (size_t j = 0; j < np; j++)
		if ((rc = check_pillar(rd, r, j, err, errlen)))
			return rc;
	int par[ENGINE_MAX_PILLARS];
	for (size_t j = 0; j < np; j++) {
		const char *pa = rd->pillars[j]->parent;
		par[j] = empty(pa) ? -1 : find_pillar(rd, pa);
		if (!empty(pa) && par[j] < 0)
			return cd_fail(err, errlen, CD_EV_DEFINITION,
			               "rounds[%zu].pillars[%zu].parent: unknown "
			               "pillar \"%s\"", r, j, pa);
	}
	/* Cycles first, so a pillar that only leads into one is not
	 * reported as nested too deep. */
	for (size_t j = 0; j < np; j++) {
		size_t steps = 0;
		for (int q = par[j]; q >= 0 && steps <= np; q = par[q], steps++)
			if ((size_t)q == j)
				return cd_fail(err, errlen, CD_EV_DEFINITION,
				               "rounds[%zu].pillars[%zu].parent: "
				               "\"%s\" is its own ancestor (a cycle)",
				               r, j, rd->pillars[j]->id);
	}
	for (size_t j = 0; j < np; j++) {
		size_t depth = 1;
		for (int q = par[j]; q >= 0; q = par[q])
			depth++;
		if (depth > ENGINE_MAX_PILLAR_DEPTH)
			return cd_fail(err, errlen, CD_EV_COUNT,
			               "rounds[%zu].pillars[%zu].parent: nested %zu "
			               "levels deep; at most %d", r, j, depth,
			               ENGINE_MAX_PILLAR_DEPTH);
	}
	/* Weight sums: sum[j] of pillar j's members, sum[np] the top's. */
	double sum[ENGINE_MAX_PILLARS + 1] = { 0 };
	size_t cnt[ENGINE_MAX_PILLARS + 1] = { 0 };
	for (size_t k = 0; k < rd->n_criteria; k++) {
		const char *pl = rd->criteria[k]->pillar;
		int q = empty(pl) ? (int)np : find_pillar(rd, pl);
		if (q < 0)
			return cd_fail(err, errlen, CD_EV_DEFINITION,
			               "rounds[%zu].criteria[%zu].pillar: unknown "
			               "pillar \"%s\"%s", r, k, pl,
			               np ? "" : " (the round has no pillars)");
		sum[q] += rd->criteria[k]->weight;
		cnt[q]++;
	}
	for (size_t j = 0; j < np; j++) {
		size_t q = par[j] < 0 ? np : (size_t)par[j];
		sum[q] += rd->pillars[j]->weight;
		cnt[q]++;
	}
	for (size_t j = 0; j < np; j++) {
		if (!cnt[j])
			return cd_fail(err, errlen, CD_EV_EMPTY,
			               "rounds[%zu].pillars[%zu]: no criterion or "
			               "pillar belongs to \"%s\"", r, j,
			               rd->pillars[j]->id);
		if (!(sum[j] > 0) || !isfinite(sum[j]))
			return cd_fail(err, errlen, CD_EV_DEFINITION,
			               "rounds[%zu].pillars[%zu]: the weights of "
			               "\"%s\"'s members must not all be zero and "
			               "must sum to a finite number", r, j,
			               rd->pillars[j]->id);
	}
	if (np && (!cnt[np] || !(sum[np] > 0) || !isfinite(sum[np])))
		return cd_fail(err, errlen, CD_EV_DEFINITION,
		               "rounds[%zu].pillars: the weights of the top level "
		               "(criteria without pillar, pillars without parent) "
		               "must not all be zero and must sum to a finite "
		               "number", r);
	return CD_OK;
}

static int check_round(const Clusters__V1__Round *rd, size_t r,
                       engine_check_criterion_fn check, void *arg,
                       char *err, size_t errlen)
{
	char names[512];
	int rc;
	if (!rd)
		return cd_fail(err, errlen, CD_EV_DEFINITION, "rounds[%zu]: missing",
		               r);
	if (rd->n_eligibility > ENGINE_MAX_FILTERS)
		return cd_fail(err, errlen, CD_EV_COUNT,
		               "rounds[%zu].eligibility: at most %d filters", r,
		               ENGINE_MAX_FILTERS);
	for (size_t i = 0; i < rd->n_eligibility; i++)
		if ((rc = check_filter(rd->eligibility[i], r, i, err, errlen)))
			return rc;
	if (rd->n_criteria == 0)
		return cd_fail(err, errlen, CD_EV_DEFINITION,
		               "rounds[%zu].criteria: at least one criterion is "
		               "required", r);
	if (rd->n_criteria > ENGINE_MAX_CRITERIA)
		return cd_fail(err, errlen, CD_EV_COUNT,
		               "rounds[%zu].criteria: at most %d criteria", r,
		               ENGINE_MAX_CRITERIA);
	double wsum = 0;
	for (size_t i = 0; i < rd->n_criteria; i++) {
		if ((rc = check_criterion(rd->criteria[i], r, i, check, arg, err,
		                          errlen)))
			return rc;
		for (size_t j = 0; j < i; j++)
			if (strcmp(rd->criteria[j]->id, rd->criteria[i]->id) == 0)
				return cd_fail(err, errlen, CD_EV_DUPLICATE,
				               "rounds[%zu].criteria[%zu].id: duplicate "
				               "\"%s\"", r, i, rd->criteria[i]->id);
		wsum += rd->criteria[i]->weight;
	}
	if (!(wsum > 0) || !isfinite(wsum))
		return cd_fail(err, errlen, CD_EV_DEFINITION,
		               "rounds[%zu].criteria: the weights must not all be "
		               "zero and must sum to a finite number", r);
	char at[32];
	snprintf(at, sizeof(at), "rounds[%zu]", r);
	int arc = check_aggregation(at, (int)rd->aggregation, err, errlen);
	if (arc)
		return arc;
	if (rd->missing < CLUSTERS__V1__MISSING_POLICY__MISSING_POLICY_UNSPECIFIED ||
	    rd->missing > CLUSTERS__V1__MISSING_POLICY__MISSING_POLICY_SCORE_ZERO)
		return cd_fail(err, errlen, CD_EV_DEFINITION,
		               "rounds[%zu].missing: %s", r,
		               enum_refusal(&clusters__v1__missing_policy__descriptor,
		                            (int)rd->missing, 0, names,
		                            sizeof(names)));
	if ((rc = check_pillars(rd, r, err, errlen)))
		return rc;
	for (size_t i = 0; i < rd->n_tie_break; i++) {
		const char *t = rd->tie_break[i];
		size_t k = 0;
		while (k < rd->n_criteria && strcmp(rd->criteria[k]->id, t ? t : ""))
			k++;
		/* A pillar's score moves with the weights that sensitivity
		 * samples vary, while the tie-break order is fixed. */
		if (k == rd->n_criteria && t && find_pillar(rd, t) >= 0)
			return cd_fail(err, errlen, CD_EV_DEFINITION,
			               "rounds[%zu].tie_break[%zu]: \"%s\" is a "
			               "pillar; tie_break names criteria only", r, i,
			               t);
		if (k == rd->n_criteria)
			return cd_fail(err, errlen, CD_EV_DEFINITION,
			               "rounds[%zu].tie_break[%zu]: unknown criterion "
			               "\"%s\"", r, i, t ? t : "");
		for (size_t j = 0; j < i; j++)
			if (strcmp(rd->tie_break[j], t) == 0)
				return cd_fail(err, errlen, CD_EV_DUPLICATE,
				               "rounds[%zu].tie_break[%zu]: \"%s\" is "
				               "listed twice", r, i, t);
	}
	return check_selection(rd->selection, r, err, errlen);
}

int engine_def_validate(const Clusters__V1__Competition *def,
                        engine_check_criterion_fn check, void *arg,
                        char *err, size_t errlen)
{
	if (!def)
		return cd_fail(err, errlen, CD_EV_DEFINITION,
		               "competition: missing");
	if (def->n_rounds == 0)
		return cd_fail(err, errlen, CD_EV_DEFINITION,
		               "rounds: at least one round is required");
	if (def->n_rounds > ENGINE_MAX_ROUNDS)
		return cd_fail(err, errlen, CD_EV_COUNT,
		               "rounds: at most %d rounds", ENGINE_MAX_ROUNDS);
	if (def->summary_group_min < 0)
		return cd_fail(err, errlen, CD_EV_DEFINITION,
		               "summary_group_min: must be >= 0 (0 = 3)");
	for (size_t r = 0; r < def->n_rounds; r++) {
		int rc = check_round(def->rounds[r], r, check, arg, err, errlen);
		if (rc)
			return rc;
		const char *name = def->rounds[r]->name;
		for (size_t j = 0; j < r && !empty(name); j++)
			if (strcmp(def->rounds[j]->name, name) == 0)
				return cd_fail(err, errlen, CD_EV_DUPLICATE,
				               "rounds[%zu].name: duplicate \"%s\"", r,
				               name);
	}
	return CD_OK;
}

const char *engine_def_round_name(const Clusters__V1__Round *r, size_t i,
                                  char *buf, size_t len)
{
	if (r && !empty(r->name))
		return r->name;
	snprintf(buf, len, "round %zu", i + 1);
	return buf;
}
