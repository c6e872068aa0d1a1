/* Explanations, written when asked for: storing a formatted reason for
 * each of a million excluded clusters would cost more than the cohort. */
#include "engine_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FF(x) CLUSTERS__V1__FILTER_FIELD__FILTER_FIELD_##x
#define CMP(x) CLUSTERS__V1__COMPARISON__COMPARISON_##x

typedef struct out {
	char *buf;
	size_t len, used;
} out_t;

__attribute__((format(printf, 2, 3)))
static void put(out_t *o, const char *fmt, ...)
{
	if (o->used >= o->len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (k > 0)
		o->used += (size_t)k < o->len - o->used ? (size_t)k
		                                        : o->len - o->used - 1;
}

static void list(out_t *o, char *const *v, size_t n)
{
	put(o, "[");
	for (size_t i = 0; i < n; i++)
		put(o, "%s\"%s\"", i ? ", " : "", v[i]);
	put(o, "]");
}

static const char *op_text(Clusters__V1__Comparison op)
{
	switch (op) {
	case CMP(GT): return ">";
	case CMP(LE): return "<=";
	case CMP(LT): return "<";
	case CMP(EQ): return "==";
	case CMP(NE): return "!=";
	default: return ">=";
	}
}

static void filter_reason(out_t *o, const engine_cohort_t *c,
                          const Clusters__V1__Filter *f, size_t k, uint32_t i)
{
	int not_in = f->op == CMP(NOT_IN), present = f->op == CMP(PRESENT);
	const char *verb = not_in ? "is in excluded" : "not in";
	put(o, "eligibility[%zu]: ", k);
	switch (f->field) {
	case FF(ECONOMY):
	case FF(REGION):
	case FF(INDUSTRY): {
		const char *what = f->field == FF(ECONOMY) ? "economy"
		                   : f->field == FF(REGION) ? "region" : "industry";
		const char *v = f->field == FF(ECONOMY) ? engine_cohort_economy(c, i)
		                : f->field == FF(REGION) ? engine_cohort_region(c, i)
		                                       : engine_cohort_industry(c, i);
		if (present) {
			put(o, "no %s", what);
			return;
		}
		put(o, "%s \"%s\" %s ", what, v, verb);
		break;
	}
	case FF(CITY): {
		size_t nc = engine_cohort_city_count(c, i);
		if (present || nc == 0) {
			put(o, "no cities");
			if (present)
				return;
			put(o, " %s ", verb);
			break;
		}
		put(o, "cities [");
		for (size_t j = 0; j < nc; j++)
			put(o, "%s\"%s\"", j ? ", " : "", engine_cohort_city(c, i, j));
		put(o, "] %s ", not_in ? "include one of excluded" : "not in");
		break;
	}
	case FF(LABEL): {
		const engine_label_col_t *l = engine_cohort_label_col(c, f->key);
		uint32_t v = l ? l->val[i] : ENGINE_SID_NONE;
		if (v == ENGINE_SID_NONE) {
			put(o, "label \"%s\" absent", f->key);
			return;
		}
		put(o, "label \"%s\" = \"%s\" %s ", f->key,
		    engine_cohort_str(c, v), verb);
		break;
	}
	default: {
		const engine_ind_col_t *col = engine_cohort_ind_col(c, f->key,
		                                                    f->year);
		double x = col ? col->val[i] : NAN;
		if (f->year)
			put(o, "indicator %s (%d)", f->key, (int)f->year);
		else
			put(o, "indicator %s (latest)", f->key);
		if (isnan(x))
			put(o, " absent");
		else
			put(o, " = %.17g is not %s %.17g", x, op_text(f->op),
			    f->threshold);
		return;
	}
	}
	list(o, f->any_of, f->n_any_of);
}

const char *engine_fmt_double(char *buf, size_t len, double x)
{
	/* The shortest of %.15g .. %.17g that reads back as x. */
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, x);
		if (strtod(buf, NULL) == x || isnan(x))
			break;
	}
	return buf;
}

const char *engine_result_reason(const engine_result_t *res, size_t r,
                                 size_t pos, char *buf, size_t len)
{
	out_t o = { buf, len, 0 };
	if (len)
		buf[0] = '\0';
	const engine_round_res_t *rr = &res->rounds[r];
	uint32_t code = rr->excl[pos], k = ENGINE_EXCL_INDEX(code);
	switch (ENGINE_EXCL_KIND(code)) {
	case ENGINE_EXCL_FILTER:
		filter_reason(&o, res->cohort, rr->def->eligibility[k], k,
		              rr->member[pos]);
		break;
	case ENGINE_EXCL_MISSING: {
		const Clusters__V1__Criterion *cr = rr->def->criteria[k];
		uint32_t sid = engine_notes_get(&rr->notes[k], (uint32_t)pos);
		put(&o, "criterion \"%s\" (plugin \"%s\"): no score", cr->id,
		    cr->plugin);
		if (sid != ENGINE_SID_NONE)
			put(&o, ": %s", engine_dict_str(&res->note_text, sid));
		break;
	}
	case ENGINE_EXCL_NORM: {
		const Clusters__V1__Criterion *cr = rr->def->criteria[k];
		const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(
			&clusters__v1__normalization__descriptor, cr->normalization);
		char num[32];
		put(&o, "criterion \"%s\" (plugin \"%s\"): %s of %s is not a "
		    "finite number", cr->id, cr->plugin,
		    ev ? ev->name : "normalization",
		    engine_fmt_double(num, sizeof(num), rr->raw[k * rr->n + pos]));
		break;
	}
	case ENGINE_EXCL_NONFINITE:
		put(&o, "the total score is not a finite number");
		break;
	default:
		break;
	}
	return buf;
}

const char *engine_result_note(const engine_result_t *res, size_t r,
                               size_t k, size_t pos, char *buf, size_t len)
{
	out_t o = { buf, len, 0 };
	if (len)
		buf[0] = '\0';
	const engine_round_res_t *rr = &res->rounds[r];
	uint32_t sid = engine_notes_get(&rr->notes[k], (uint32_t)pos);
	const char *text = sid == ENGINE_SID_NONE
	                   ? NULL : engine_dict_str(&res->note_text, sid);
	int missing = isnan(rr->raw[k * rr->n + pos]);
	int zero = rr->def->missing == CLUSTERS__V1__MISSING_POLICY__MISSING_POLICY_SCORE_ZERO;
	if (missing && zero && !isnan(rr->norm[k * rr->n + pos]))
		put(&o, text ? "no score (%s); counted as 0"
		             : "no score%s; counted as 0", text ? text : "");
	else if (missing)
		put(&o, text ? "no score: %s" : "no score%s", text ? text : "");
	else if (text)
		put(&o, "%s", text);
	return buf;
}

double engine_result_weighted(const engine_result_t *res, size_t r, size_t k,
                              size_t pos)
{
	const engine_round_res_t *rr = &res->rounds[r];
	double v = rr->norm[k * rr->n + pos], w = rr->wn[k];
	if (isnan(v))
		return NAN;
	switch (engine_crit_parent_agg(rr, k)) {
	case CLUSTERS__V1__AGGREGATION__AGGREGATION_WEIGHTED_GEOMETRIC:
		/* The factors multiply to the score. */
		return w == 0 ? 1.0 : v > 0 ? pow(v, w) : 0.0;
	case CLUSTERS__V1__AGGREGATION__AGGREGATION_WEIGHTED_HARMONIC:
		/* The terms of 1 / score = Σ w / v. */
		return w == 0 ? 0.0 : w / v;
	case CLUSTERS__V1__AGGREGATION__AGGREGATION_MEDIAN:
	case CLUSTERS__V1__AGGREGATION__AGGREGATION_COPELAND:
		/* Not sums of parts: the value the method compares. */
		return v;
	default:
		return w * v;
	}
}

const char *engine_filter_value(const engine_cohort_t *c,
                                const Clusters__V1__Filter *f, uint32_t i,
                                char *buf, size_t len)
{
	out_t o = { buf, len, 0 };
	if (len)
		buf[0] = '\0';
	switch (f->field) {
	case FF(ECONOMY):
		put(&o, "%s", engine_cohort_economy(c, i));
		break;
	case FF(REGION):
		put(&o, "%s", engine_cohort_region(c, i));
		break;
	case FF(INDUSTRY):
		put(&o, "%s", engine_cohort_industry(c, i));
		break;
	case FF(CITY):
		for (size_t j = 0; j < engine_cohort_city_count(c, i); j++)
			put(&o, "%s%s", j ? ", " : "", engine_cohort_city(c, i, j));
		break;
	case FF(LABEL): {
		const engine_label_col_t *l = engine_cohort_label_col(c, f->key);
		uint32_t v = l ? l->val[i] : ENGINE_SID_NONE;
		if (v != ENGINE_SID_NONE)
			put(&o, "%s", engine_cohort_str(c, v));
		break;
	}
	default: {
		const engine_ind_col_t *col = engine_cohort_ind_col(c, f->key,
		                                                    f->year);
		double x = col ? col->val[i] : NAN;
		if (!isnan(x))
			engine_fmt_double(buf, len, x);
		break;
	}
	}
	return buf;
}
