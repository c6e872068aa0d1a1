/* Decisions: why a candidate was or was not selected, derived when asked
 * from what the round keeps (exclusion codes, ranks, the selection and the
 * facts engine_select recorded), so a run pays nothing for them until it
 * is written out. Precedence for a ranked, unselected cluster: below
 * min_score, then a quota that refused it when its turn came with room
 * under top_n, else outside top_n. */
#include "engine_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define DC(x) CLUSTERS__V1__DECISION_CODE__DECISION_CODE_##x
#define QK(x) CLUSTERS__V1__QUOTA_KIND__QUOTA_KIND_##x

void engine_result_decide(const engine_result_t *res, size_t r, size_t pos,
                          engine_decision_t *d)
{
	const engine_round_res_t *rr = &res->rounds[r];
	const engine_cohort_t *c = res->cohort;
	const Clusters__V1__Selection *sel = rr->def->selection;
	uint32_t excl = rr->excl[pos];
	uint32_t info = rr->selinfo ? rr->selinfo[pos] : ENGINE_SEL_NONE;
	memset(d, 0, sizeof(*d));
	d->score = rr->score[pos];
	if (excl) {
		d->index = ENGINE_EXCL_INDEX(excl);
		switch (ENGINE_EXCL_KIND(excl)) {
		case ENGINE_EXCL_FILTER:
			d->code = DC(NOT_ELIGIBLE);
			break;
		case ENGINE_EXCL_MISSING:
			d->code = DC(MISSING_SCORE);
			break;
		case ENGINE_EXCL_NONFINITE:
			d->index = SIZE_MAX;
			/* fall through */
		default:
			d->code = DC(NOT_FINITE);
		}
		return;
	}
	if (rr->selected[pos]) {
		if (ENGINE_SEL_KIND(info) != ENGINE_SEL_LEADER) {
			d->code = DC(SELECTED_BY_SCORE);
			return;
		}
		d->code = DC(SELECTED_AS_INDUSTRY_LEADER);
		d->industry = engine_cohort_industry(c, rr->member[pos]);
		/* Those ranked above it and not selected are the head of the
		 * round's unselected, in rank order. */
		d->passed_total = ENGINE_SEL_VALUE(info);
		d->npassed = d->passed_total < rr->nunsel_head
		             ? d->passed_total : rr->nunsel_head;
		for (size_t i = 0; i < d->npassed; i++)
			d->passed[i] = rr->rank[rr->unsel_head[i]];
		return;
	}
	if (sel && sel->min_score && !(rr->score[pos] >= sel->min_score->value)) {
		d->code = DC(BELOW_MIN_SCORE);
		d->min_score = sel->min_score->value;
		return;
	}
	uint32_t g = ENGINE_SEL_VALUE(info);
	switch (ENGINE_SEL_KIND(info)) {
	case ENGINE_SEL_ECONOMY:
		d->quota = QK(ECONOMY);
		d->group = engine_dict_str(&c->parts, g);
		d->limit = (uint32_t)sel->max_per_economy;
		break;
	case ENGINE_SEL_REGION:
		d->quota = QK(REGION);
		d->group = engine_cohort_str(c, g);
		d->limit = (uint32_t)sel->max_per_region;
		break;
	case ENGINE_SEL_CITY:
		d->quota = QK(CITY);
		d->group = engine_cohort_str(c, g);
		d->limit = (uint32_t)sel->max_per_city;
		break;
	default:
		d->code = DC(OUTSIDE_TOP_N);
		d->top_n = sel ? sel->top_n : 0;
		return;
	}
	d->code = DC(PASSED_OVER_BY_QUOTA);
	d->group_count = d->limit;
}

typedef struct out {
	char *buf;
	size_t len, used;
} out_t;

__attribute__((format(printf, 2, 3)))
static void put(out_t *o, const char *fmt, ...)
{
	if (o->used + 1 >= o->len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (k > 0)
		o->used += (size_t)k < o->len - o->used ? (size_t)k
		                                        : o->len - o->used - 1;
}

static const char *quota_name(Clusters__V1__QuotaKind q, const char **what)
{
	switch (q) {
	case QK(ECONOMY):
		*what = "economy";
		return "max_per_economy";
	case QK(REGION):
		*what = "region";
		return "max_per_region";
	default:
		*what = "city";
		return "max_per_city";
	}
}

const char *engine_result_decision_text(const engine_result_t *res, size_t r,
                                        size_t pos,
                                        const engine_decision_t *d,
                                        char *buf, size_t len)
{
	out_t o = { buf, len, 0 };
	if (len)
		buf[0] = '\0';
	const engine_round_res_t *rr = &res->rounds[r];
	const char *what;
	switch (d->code) {
	case DC(SELECTED_BY_SCORE):
		put(&o, "selected by score (rank %u)", rr->rank[pos]);
		break;
	case DC(SELECTED_AS_INDUSTRY_LEADER):
		put(&o, "selected as the leader of industry \"%s\"", d->industry);
		for (size_t i = 0; i < d->npassed; i++)
			put(&o, "%s%u", i ? ", " : ", ahead of ranks ", d->passed[i]);
		if (d->passed_total > d->npassed)
			put(&o, " and %zu more", d->passed_total - d->npassed);
		break;
	case DC(PASSED_OVER_BY_QUOTA): {
		const char *q = quota_name(d->quota, &what);
		put(&o, "passed over: %s %u reached, %s \"%s\" already has %u "
		    "selected", q, d->limit, what, d->group, d->group_count);
		break;
	}
	case DC(BELOW_MIN_SCORE):
		put(&o, "below min_score %g (score %g)", d->min_score, d->score);
		break;
	case DC(OUTSIDE_TOP_N):
		put(&o, "outside top_n %d", (int)d->top_n);
		break;
	default:
		/* The exclusions keep the words they always had. */
		return engine_result_reason(res, r, pos, buf, len);
	}
	return buf;
}

long engine_result_pos(const engine_result_t *res, size_t r, uint32_t ci)
{
	const engine_round_res_t *rr = &res->rounds[r];
	size_t lo = 0, hi = rr->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (rr->member[mid] < ci)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < rr->n && rr->member[lo] == ci ? (long)lo : -1;
}

void engine_result_shares(const engine_result_t *res, size_t r, uint32_t ci,
                          double *reached, double *selected)
{
	const engine_round_res_t *rr = &res->rounds[r];
	*reached = *selected = 0;
	if (!res->samples || !rr->su)
		return;
	size_t lo = 0, hi = rr->nsu;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (rr->su[mid] < ci)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < rr->nsu && rr->su[lo] == ci) {
		*reached = (double)rr->su_reach[lo] / res->samples;
		*selected = (double)rr->su_sel[lo] / res->samples;
	}
}
