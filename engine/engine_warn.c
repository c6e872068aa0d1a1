/* Warnings about a run as a whole: a round that selected nobody is a run
 * that "succeeded" with an empty result, which a caller should not have to
 * discover by reading every standing. */
#include "engine_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "engine_def.h"

int engine_warn(engine_result_t *res, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	char **w = realloc(res->warnings,
	                   (res->nwarnings + 1) * sizeof(*w));
	if (!w)
		return CD_ENOMEM;
	res->warnings = w;
	if (!(w[res->nwarnings] = strdup(buf)))
		return CD_ENOMEM;
	res->nwarnings++;
	return CD_OK;
}

/* The exclusion code most candidates of rr share (the first such, in
 * order of first appearance), and how many share it. */
static uint32_t most_common(const engine_round_res_t *rr, size_t *count)
{
	enum { KINDS = 5, IDX = ENGINE_MAX_FILTERS > ENGINE_MAX_CRITERIA
	                        ? ENGINE_MAX_FILTERS : ENGINE_MAX_CRITERIA };
	uint32_t cnt[KINDS][IDX] = { { 0 } };
	uint32_t best = 0;
	size_t best_n = 0;
	for (size_t p = 0; p < rr->n; p++) {
		uint32_t c = rr->excl[p];
		uint32_t kind = ENGINE_EXCL_KIND(c) >> 24, k = ENGINE_EXCL_INDEX(c);
		if (!c || kind >= KINDS || k >= IDX)
			continue;
		if (++cnt[kind][k] > best_n) {
			best_n = cnt[kind][k];
			best = c;
		}
	}
	*count = best_n;
	return best;
}

static void describe(const engine_round_res_t *rr, uint32_t code, char *buf,
                     size_t len)
{
	uint32_t k = ENGINE_EXCL_INDEX(code);
	switch (ENGINE_EXCL_KIND(code)) {
	case ENGINE_EXCL_FILTER:
		snprintf(buf, len, "eligibility[%u]", (unsigned)k);
		break;
	case ENGINE_EXCL_MISSING:
		snprintf(buf, len, "no score for criterion \"%s\"",
		         rr->def->criteria[k]->id);
		break;
	case ENGINE_EXCL_NORM:
		snprintf(buf, len, "criterion \"%s\": a normalised score that is "
		         "not a finite number", rr->def->criteria[k]->id);
		break;
	default:
		snprintf(buf, len, "a total score that is not a finite number");
	}
}

int engine_warnings_build(engine_result_t *res, char *err, size_t errlen)
{
	int rc = CD_OK;
	for (size_t r = 0; r < res->nrounds && !rc; r++) {
		const engine_round_res_t *rr = &res->rounds[r];
		if (rr->nselected)
			continue;
		if (!rr->n) {
			/* A later round without candidates: the round before
			 * has said why. */
			if (r == 0)
				rc = engine_warn(res, "round \"%s\": no candidates "
				                 "(the cohort is empty)", rr->name);
			continue;
		}
		if (!rr->nranked) {
			char why[160];
			size_t cnt;
			describe(rr, most_common(rr, &cnt), why, sizeof(why));
			rc = engine_warn(res, "round \"%s\" selected no cluster: "
			                 "all %zu candidates were excluded (%zu of "
			                 "them for %s)", rr->name, rr->n, cnt, why);
			continue;
		}
		const Clusters__V1__Selection *sel = rr->def->selection;
		char floor[96] = "", b[32], m[32];
		if (sel && sel->min_score)
			snprintf(floor, sizeof(floor), ", and the best score, %s, "
			         "is below selection.min_score %s",
			         engine_fmt_double(b, sizeof(b),
			                           rr->score[rr->order[0]]),
			         engine_fmt_double(m, sizeof(m),
			                           sel->min_score->value));
		rc = engine_warn(res, "round \"%s\" selected no cluster: %zu of "
		                 "%zu candidates were ranked%s", rr->name,
		                 rr->nranked, rr->n, floor);
	}
	return rc ? cd_fail(err, errlen, rc, "warnings: out of memory") : CD_OK;
}
