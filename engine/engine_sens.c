/* Weight sensitivity: the normalised columns stay as they are; each sample
 * only re-weights, re-aggregates, re-ranks and re-selects, so a sample
 * costs one pass over the scores and one radix sort. The round's cohort is
 * held fixed: later rounds are not re-run with other finalists. */
#include "engine_internal.h"

#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "engine_rng_internal.h"

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n). */
static uint32_t percentile(const uint32_t *v, size_t n, unsigned pct)
{
	size_t k = (pct * n + 99) / 100;
	return v[k ? k - 1 : 0];
}

typedef struct sens {
	double *w, *wn, *score;
	uint32_t *base, *order, *rank, *slot, *ranks, *sel_cnt;
	uint8_t *sel;
	engine_sorter_t s;
	engine_selector_t selector;
} sens_t;

static void sens_fini(sens_t *x)
{
	free(x->w);
	free(x->wn);
	free(x->score);
	free(x->base);
	free(x->order);
	free(x->rank);
	free(x->slot);
	free(x->ranks);
	free(x->sel_cnt);
	free(x->sel);
	engine_sorter_fini(&x->s);
	engine_selector_fini(&x->selector);
}

int engine_sens_round(engine_result_t *res, size_t r, uint32_t samples,
                      double jitter_pct, uint64_t seed, engine_progress_t *p,
                      char *err, size_t errlen)
{
	engine_round_res_t *rr = &res->rounds[r];
	size_t n = rr->n, nR = rr->nranked, nc = rr->ncrit, m = n ? n : 1;
	size_t track = nR < ENGINE_SENS_BUDGET / samples
	               ? nR : ENGINE_SENS_BUDGET / samples;
	sens_t x = { 0 };
	int rc = CD_OK;
	x.w = malloc(nc * sizeof(double));
	x.wn = malloc(nc * sizeof(double));
	x.score = malloc(m * sizeof(double));
	x.base = malloc(m * sizeof(uint32_t));
	x.order = malloc(m * sizeof(uint32_t));
	x.rank = calloc(m, sizeof(uint32_t));
	x.slot = malloc(m * sizeof(uint32_t));
	x.ranks = malloc((track ? track : 1) * samples * sizeof(uint32_t));
	x.sel_cnt = calloc(m, sizeof(uint32_t));
	x.sel = calloc(m, 1);
	rr->p5 = calloc(m, sizeof(uint32_t));
	rr->p50 = calloc(m, sizeof(uint32_t));
	rr->p95 = calloc(m, sizeof(uint32_t));
	rr->sel_share = calloc(m, sizeof(double));
	if (!x.w || !x.wn || !x.score || !x.base || !x.order || !x.rank ||
	    !x.slot || !x.ranks || !x.sel_cnt || !x.sel || !rr->p5 || !rr->p50 ||
	    !rr->p95 || !rr->sel_share ||
	    engine_selector_init(&x.selector, res->cohort)) {
		rc = cd_fail(err, errlen, CD_ENOMEM, "sensitivity: out of memory");
		goto out;
	}
	/* The clusters ranked best in the base run keep percentile slots. */
	for (size_t i = 0; i < n; i++)
		x.slot[i] = UINT32_MAX;
	for (size_t i = 0; i < track; i++)
		x.slot[rr->order[i]] = (uint32_t)i;
	memcpy(x.base, rr->order, nR * sizeof(uint32_t));
	if ((rc = engine_base_order(rr, res->cohort, x.base, nR, &x.s))) {
		cd_fail(err, errlen, rc, "sensitivity: out of memory");
		goto out;
	}
	for (size_t k = 0; k < nc; k++)
		x.w[k] = rr->def->criteria[k]->weight;
	/* One stream per round, so adding a round leaves the others alone. */
	engine_rng_t g;
	engine_rng_seed(&g, seed ^ (0x9e3779b97f4a7c15ull * (r + 1)));
	double a = jitter_pct / 100.0;
	if ((rc = engine_progress_stage(p, "sensitivity", samples))) {
		cd_fail(err, errlen, rc, "cancelled");
		goto out;
	}
	for (uint32_t sm = 0; sm < samples; sm++) {
		double sum = 0;
		for (size_t k = 0; k < nc; k++) {
			x.wn[k] = x.w[k] * (1.0 - a + 2.0 * a * engine_rng_unit(&g));
			sum += x.wn[k];
		}
		for (size_t k = 0; k < nc; k++)
			x.wn[k] = sum > 0 ? x.wn[k] / sum : rr->wn[k];
		engine_aggregate(rr, x.wn, x.base, nR, x.score);
		memcpy(x.order, x.base, nR * sizeof(uint32_t));
		if ((rc = engine_sort_desc(&x.s, x.order, nR, x.score))) {
			cd_fail(err, errlen, rc, "sensitivity: out of memory");
			goto out;
		}
		engine_assign_ranks(x.order, nR, x.score, rr->def->shared_ranks,
		                    x.rank);
		engine_select(&x.selector, rr->def->selection, res->cohort,
		              rr->member, x.order, nR, x.score, x.sel);
		for (size_t i = 0; i < nR; i++) {
			uint32_t q = x.order[i];
			x.sel_cnt[q] += x.sel[q];
			if (x.slot[q] != UINT32_MAX)
				x.ranks[(size_t)x.slot[q] * samples + sm] = x.rank[q];
		}
		if ((rc = engine_progress_tick(p, sm + 1))) {
			cd_fail(err, errlen, rc, "cancelled during sensitivity");
			goto out;
		}
	}
	for (size_t i = 0; i < nR; i++) {
		uint32_t q = rr->order[i];
		rr->sel_share[q] = (double)x.sel_cnt[q] / samples;
		if (x.slot[q] == UINT32_MAX)
			continue;
		uint32_t *v = x.ranks + (size_t)x.slot[q] * samples;
		qsort(v, samples, sizeof(*v), cmp_u32);
		rr->p5[q] = percentile(v, samples, 5);
		rr->p50[q] = percentile(v, samples, 50);
		rr->p95[q] = percentile(v, samples, 95);
	}
out:
	sens_fini(&x);
	return rc;
}
