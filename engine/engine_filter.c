/* Eligibility filters: each filter becomes a lookup table over the sids of
 * the plugin cohort (or of the economy parts), so testing a million clusters is an array read per cluster. */
#include "engine_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"

#define FF(x) CLUSTERS__V1__FILTER_FIELD__FILTER_FIELD_##x
#define CMP(x) CLUSTERS__V1__COMPARISON__COMPARISON_##x

typedef struct prepared {
	const Clusters__V1__Filter *f;
	uint8_t *in;          /* over the field's dictionary */
	uint8_t *in_part;     /* economy: over the parts dictionary */
	const engine_label_col_t *lcol;
	const engine_ind_col_t *icol;
} prepared_t;

/* A table over the plugin cohort's sids: 1 for the strings of any_of. */
static int table(const engine_cohort_t *c, const Clusters__V1__Filter *f,
                 uint8_t **out)
{
	*out = calloc((size_t)c->nstrs + 1, 1);
	if (!*out)
		return CD_ENOMEM;
	for (size_t k = 0; k < f->n_any_of; k++) {
		uint32_t sid = plugin_cohort_sid(c->pc, f->any_of[k],
		                                 strlen(f->any_of[k]));
		if (sid != PLUGIN_COHORT_NOSID)
			(*out)[sid] = 1;
	}
	return CD_OK;
}

/* The same over the economy parts' dictionary. */
static int table_parts(const engine_dict_t *d, const Clusters__V1__Filter *f,
                       uint8_t **out)
{
	*out = calloc(engine_dict_size(d) + 1, 1);
	if (!*out)
		return CD_ENOMEM;
	for (size_t k = 0; k < f->n_any_of; k++) {
		uint32_t sid = engine_dict_find(d, f->any_of[k],
		                                strlen(f->any_of[k]));
		if (sid != ENGINE_SID_NONE)
			(*out)[sid] = 1;
	}
	return CD_OK;
}

static int prepare(prepared_t *p, const Clusters__V1__Filter *f,
                   const engine_cohort_t *c, size_t i, char *err,
                   size_t errlen)
{
	memset(p, 0, sizeof(*p));
	p->f = f;
	int rc = CD_OK;
	switch (f->field) {
	case FF(ECONOMY):
		if (!(rc = table(c, f, &p->in)))
			rc = table_parts(&c->parts, f, &p->in_part);
		break;
	case FF(REGION):
	case FF(CITY):
	case FF(INDUSTRY): rc = table(c, f, &p->in); break;
	case FF(LABEL):
		if (!(p->lcol = engine_cohort_label_col(c, f->key)))
			return cd_fail(err, errlen, CD_EINTERNAL,
			               "eligibility[%zu]: the cohort has no column "
			               "for label \"%s\"", i, f->key);
		rc = table(c, f, &p->in);
		break;
	case FF(INDICATOR):
		if (!(p->icol = engine_cohort_ind_col(c, f->key, f->year)))
			return cd_fail(err, errlen, CD_EINTERNAL,
			               "eligibility[%zu]: the cohort has no column "
			               "for indicator %s", i, f->key);
		break;
	default:
		return cd_fail(err, errlen, CD_EV_DEFINITION,
		               "eligibility[%zu].field: unknown value %d", i,
		               (int)f->field);
	}
	if (rc)
		return cd_fail(err, errlen, rc, "eligibility: out of memory");
	return CD_OK;
}

static int compare(Clusters__V1__Comparison op, double x, double t)
{
	switch (op) {
	case CMP(GT): return x > t;
	case CMP(LE): return x <= t;
	case CMP(LT): return x < t;
	case CMP(EQ): return x == t;
	case CMP(NE): return x != t;
	case CMP(PRESENT): return 1;
	default: return x >= t;        /* GE, and the default for numbers */
	}
}

/* Whether cluster i passes filter p. */
static int pass(const prepared_t *p, const engine_cohort_t *c, uint32_t i)
{
	const Clusters__V1__Filter *f = p->f;
	int present, match = 0;
	switch (f->field) {
	case FF(ECONOMY): {
		uint32_t e = c->economy[i];
		present = e != 0;
		match = p->in[e];
		for (uint32_t k = c->part_off[e]; !match && k < c->part_off[e + 1];
		     k++)
			match = p->in_part[c->part[k]];
		break;
	}
	case FF(REGION):
		present = c->region[i] != 0;
		match = p->in[c->region[i]];
		break;
	case FF(INDUSTRY):
		present = c->industry[i] != 0;
		match = p->in[c->industry[i]];
		break;
	case FF(CITY):
		present = c->city_off[i + 1] > c->city_off[i];
		for (uint32_t k = c->city_off[i]; !match && k < c->city_off[i + 1];
		     k++)
			match = p->in[c->city[k]];
		break;
	case FF(LABEL): {
		uint32_t v = p->lcol->val[i];
		present = v != ENGINE_SID_NONE;
		match = present && p->in[v];
		break;
	}
	default: {
		double x = p->icol->val[i];
		return !isnan(x) && compare(f->op, x, f->threshold);
	}
	}
	if (f->op == CMP(PRESENT))
		return present;
	return f->op == CMP(NOT_IN) ? !match : match;
}

int engine_filter_round(engine_round_res_t *rr, const engine_cohort_t *c,
                        engine_progress_t *prog, char *err, size_t errlen)
{
	const Clusters__V1__Round *rd = rr->def;
	size_t nf = rd->n_eligibility;
	memset(rr->excl, 0, rr->n * sizeof(*rr->excl));
	if (nf == 0)
		return CD_OK;
	prepared_t *p = calloc(nf, sizeof(*p));
	if (!p)
		return cd_fail(err, errlen, CD_ENOMEM, "eligibility: out of memory");
	int rc = CD_OK;
	size_t prepared = 0;
	for (; prepared < nf && !rc; prepared++)
		rc = prepare(&p[prepared], rd->eligibility[prepared], c, prepared,
		             err, errlen);
	for (size_t pos = 0; pos < rr->n && !rc; pos++) {
		uint32_t i = rr->member[pos];
		for (size_t k = 0; k < nf; k++) {
			if (!pass(&p[k], c, i)) {
				rr->excl[pos] = ENGINE_EXCL_FILTER | (uint32_t)k;
				break;
			}
		}
		if (pos % ENGINE_PROGRESS_EVERY == 0 &&
		    (rc = engine_progress_tick(prog, pos)))
			cd_fail(err, errlen, rc, "cancelled during eligibility");
	}
	for (size_t k = 0; k < prepared; k++) {
		free(p[k].in);
		free(p[k].in_part);
	}
	free(p);
	return rc;
}
