/* Weight sensitivity, with samples that chain the rounds: each sample
 * jitters the weights of every round, re-selects round 1, and its
 * selection is its round 2 candidates, and so on. Rounds run one after
 * another over all samples, so each round knows every cluster that reached
 * it in some sample before it is scored.
 *
 * A sample whose candidates are the base run's reuses the base normalised
 * columns and only re-weights, re-aggregates, re-ranks (one radix sort of
 * the base tie-break order) and re-selects: round 1 always, every round
 * without jitter. Other samples normalise again over their own ranked
 * candidates. Raw scores: the base run's when every cluster that reached
 * the round in some sample was a base candidate; otherwise the scorer is
 * called once more per criterion over that union (its eligible clusters),
 * and every sample of the round reads those. */
#include "engine_internal.h"

#include <math.h>
#include <stdio.h>
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

static long bisect(const uint32_t *v, size_t n, uint32_t x)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo] == x ? (long)lo : -1;
}

/* Each sample's candidates of a round: cohort indexes, ascending. */
typedef struct lists {
	uint32_t *v;
	size_t *off;            /* samples + 1 */
	size_t n, cap;
} lists_t;

static void lists_fini(lists_t *l)
{
	free(l->v);
	free(l->off);
	memset(l, 0, sizeof(*l));
}

typedef struct sens {
	engine_round_res_t *w;  /* the round the samples read: base or union */
	engine_round_res_t u;   /* the union, when it is not the base */
	double *wn, *score, *snorm;
	double *pwn, *pcol;     /* pillars: shares, scores [j * n + pos] */
	uint32_t *base, *R, *rank, *slot, *ranks, *nranks, *reach, *selc, *pick;
	uint8_t *sel;
	uint32_t full;          /* samples with the base candidates */
	unsigned long long pairs;   /* Copeland: Σ m² over the samples */
	engine_sorter_t s;
	engine_selector_t selector;
} sens_t;

static void union_fini(engine_round_res_t *u)
{
	free(u->member);
	free(u->raw);
	free(u->excl);
	for (size_t k = 0; u->notes && k < u->ncrit; k++)
		free(u->notes[k].v);
	free(u->notes);
	memset(u, 0, sizeof(*u));
}

static void sens_fini(sens_t *x)
{
	union_fini(&x->u);
	free(x->wn);
	free(x->pwn);
	free(x->pcol);
	free(x->score);
	free(x->snorm);
	free(x->base);
	free(x->R);
	free(x->rank);
	free(x->slot);
	free(x->ranks);
	free(x->nranks);
	free(x->reach);
	free(x->selc);
	free(x->pick);
	free(x->sel);
	engine_sorter_fini(&x->s);
	engine_selector_fini(&x->selector);
}

/* The round over U (ascending, nU) as the base run would have it:
 * eligibility, raw scores, missing scores excluded. */
static int union_round(engine_result_t *res, size_t r, const engine_opts_t *o,
                       uint32_t *U, size_t nU, engine_round_res_t *u,
                       char *err, size_t errlen)
{
	const engine_round_res_t *rr = &res->rounds[r];
	size_t nc = rr->ncrit, m = nU ? nU : 1;
	*u = (engine_round_res_t){ .def = rr->def, .n = nU, .ncrit = nc,
	                           .member = U, .wn = rr->wn,
	                           /* the tree is rr's, not the union's own */
	                           .npil = rr->npil, .cpar = rr->cpar,
	                           .ppar = rr->ppar, .porder = rr->porder,
	                           .pwn = rr->pwn };
	memcpy(u->name, rr->name, sizeof(u->name));
	u->raw = malloc(nc * m * sizeof(double));
	u->excl = calloc(m, sizeof(uint32_t));
	u->notes = calloc(nc, sizeof(*u->notes));
	uint32_t *E = malloc(m * sizeof(uint32_t));
	if (!u->raw || !u->excl || !u->notes || !E) {
		free(E);
		return cd_fail(err, errlen, CD_ENOMEM, "sensitivity: out of memory");
	}
	for (size_t i = 0; i < nc * nU; i++)
		u->raw[i] = NAN;
	for (size_t k = 0; k < nc; k++)
		u->notes[k].text = &res->note_text;
	/* Cheap, and its ticks would count clusters, not samples. */
	engine_progress_t quiet;
	engine_progress_init(&quiet, NULL, NULL);
	int rc = engine_filter_round(u, res->cohort, &quiet, err, errlen);
	size_t nE = 0;
	for (size_t p = 0; p < nU && !rc; p++)
		if (!u->excl[p])
			E[nE++] = (uint32_t)p;
	if (!rc)
		rc = engine_score_round(res, u, r, E, nE, o, NULL, err, errlen);
	if (!rc)
		(void)engine_apply_missing(u, E, nE, E);
	free(E);
	return rc;
}

/* Every cluster some sample brought to round r; the union round when one
 * of them was not a base candidate. */
static int pick_round(engine_result_t *res, size_t r, const engine_opts_t *o,
                      const lists_t *prev, uint8_t *mark, sens_t *x,
                      char *err, size_t errlen)
{
	engine_round_res_t *rr = &res->rounds[r];
	x->w = rr;
	if (r == 0)
		return CD_OK;
	size_t nU = 0, outside = 0;
	for (size_t i = 0; i < prev->n; i++)
		if (!mark[prev->v[i]]) {
			mark[prev->v[i]] = 1;
			nU++;
		}
	uint32_t *U = malloc((nU ? nU : 1) * sizeof(*U));
	if (!U)
		return cd_fail(err, errlen, CD_ENOMEM, "sensitivity: out of memory");
	for (size_t i = 0, j = 0; i < res->n && j < nU; i++)
		if (mark[i]) {
			mark[i] = 0;
			U[j++] = (uint32_t)i;
			outside += bisect(rr->member, rr->n, (uint32_t)i) < 0;
		}
	if (!outside) {
		free(U);
		return CD_OK;
	}
	x->w = &x->u;
	int rc = union_round(res, r, o, U, nU, &x->u, err, errlen);
	if (rc && !x->u.member)
		free(U);
	return rc;
}

static int sens_alloc(engine_result_t *res, size_t r, sens_t *x,
                      size_t track)
{
	const engine_round_res_t *rr = &res->rounds[r], *w = x->w;
	size_t m = w->n ? w->n : 1, S = res->samples;
	x->wn = malloc(rr->ncrit * sizeof(double));
	x->score = malloc(m * sizeof(double));
	if (rr->npil &&
	    (!(x->pwn = malloc(rr->npil * sizeof(double))) ||
	     !(x->pcol = malloc(rr->npil * m * sizeof(double)))))
		return CD_ENOMEM;
	x->base = malloc(m * sizeof(uint32_t));
	x->R = malloc(m * sizeof(uint32_t));
	x->pick = malloc(m * sizeof(uint32_t));
	x->rank = calloc(m, sizeof(uint32_t));
	x->slot = malloc(m * sizeof(uint32_t));
	x->ranks = malloc((track ? track : 1) * S * sizeof(uint32_t));
	x->nranks = calloc(track ? track : 1, sizeof(uint32_t));
	x->reach = calloc(m, sizeof(uint32_t));
	x->selc = calloc(m, sizeof(uint32_t));
	x->sel = calloc(m, 1);
	if (!x->wn || !x->score || !x->base || !x->R || !x->pick || !x->rank ||
	    !x->slot || !x->ranks || !x->nranks || !x->reach || !x->selc ||
	    !x->sel || engine_selector_init(&x->selector, res->cohort))
		return CD_ENOMEM;
	return CD_OK;
}

/* AGGREGATION_COPELAND costs m² per sample: the samples of a round may
 * compare at most ENGINE_COPELAND_SENS_PAIRS pairs in all (per Copeland
 * aggregation: the round's, and each pillar's that uses it). */
static int copeland_budget(sens_t *x, size_t m, char *err, size_t errlen)
{
	const engine_round_res_t *w = x->w;
	unsigned long long uses =
		w->def->aggregation == CLUSTERS__V1__AGGREGATION__AGGREGATION_COPELAND;
	for (size_t j = 0; j < w->npil; j++)
		uses += w->def->pillars[j]->aggregation ==
		        CLUSTERS__V1__AGGREGATION__AGGREGATION_COPELAND;
	if (!uses)
		return CD_OK;
	x->pairs += uses * (unsigned long long)m * m;
	if (x->pairs <= ENGINE_COPELAND_SENS_PAIRS)
		return CD_OK;
	return cd_fail(err, errlen, CD_ELIMIT, "sensitivity: round \"%s\" "
	               "(AGGREGATION_COPELAND) would compare more than %llu "
	               "pairs of candidates over its samples (samples × m², "
	               "m = %zu ranked); use fewer samples", w->name,
	               (unsigned long long)ENGINE_COPELAND_SENS_PAIRS, m);
}

/* The totals of R over the normalised columns of v (a round with
 * pillars re-aggregates its tree with the sample's pillar weights). */
static int totals(sens_t *x, const engine_round_res_t *v,
                  const engine_cohort_t *c, const uint32_t *R, size_t nR,
                  char *err, size_t errlen)
{
	int rc = copeland_budget(x, nR, err, errlen);
	if (rc)
		return rc;
	if (!v->npil)
		return engine_aggregate(v, c, x->wn, R, nR, x->score, err, errlen);
	return engine_tree_aggregate(v, c, v->norm, x->wn, x->pwn, R, nR, x->pcol,
	                             x->score, &x->s, err, errlen);
}

/* One sample of a round over its candidates (positions of x->w in R[0..nR),
 * ascending; fast: the base candidates). Leaves the order in x->R and the
 * number ranked in *ranked. */
static int sample(engine_result_t *res, sens_t *x, int fast, size_t nR,
                  size_t *ranked, char *err, size_t errlen)
{
	engine_round_res_t *w = x->w;
	const engine_cohort_t *c = res->cohort;
	int rc;
	if (fast) {
		nR = w->nranked;
		if ((rc = totals(x, w, c, x->base, nR, err, errlen)))
			return rc;
		if (!w->npil) {
			memcpy(x->R, x->base, nR * sizeof(uint32_t));
		} else {
			/* A pillar normalised again may give a total that is
			 * not a number. */
			size_t keep = 0;
			for (size_t i = 0; i < nR; i++)
				if (isfinite(x->score[x->base[i]]))
					x->R[keep++] = x->base[i];
			nR = keep;
		}
	} else {
		size_t m = w->n ? w->n : 1, keep = 0;
		int zero = w->def->missing ==
		           CLUSTERS__V1__MISSING_POLICY__MISSING_POLICY_SCORE_ZERO;
		if (!x->snorm && !(x->snorm = malloc(w->ncrit * m * sizeof(double))))
			return CD_ENOMEM;
		for (size_t k = 0; k < w->ncrit; k++)
			if ((rc = engine_normalize(w->def->criteria[k],
			                           w->raw + k * w->n,
			                           x->snorm + k * w->n, x->R, nR,
			                           zero, &x->s, NULL)))
				return cd_fail(err, errlen, rc, "sensitivity: out "
				               "of memory");
		engine_round_res_t view = *w;
		view.norm = x->snorm;
		for (size_t i = 0; i < nR; i++) {
			size_t k = 0;
			while (k < w->ncrit && isfinite(x->snorm[k * w->n + x->R[i]]))
				k++;
			if (k == w->ncrit)
				x->R[keep++] = x->R[i];
		}
		if ((rc = totals(x, &view, c, x->R, keep, err, errlen)))
			return rc;
		nR = 0;
		for (size_t i = 0; i < keep; i++)
			if (isfinite(x->score[x->R[i]]))
				x->R[nR++] = x->R[i];
		if ((rc = engine_base_order(&view, c, x->R, nR, &x->s)))
			return cd_fail(err, errlen, rc, "sensitivity: out of "
			               "memory");
	}
	if ((rc = engine_sort_desc(&x->s, x->R, nR, x->score)))
		return cd_fail(err, errlen, rc, "sensitivity: out of memory");
	engine_assign_ranks(x->R, nR, x->score, w->def->shared_ranks, x->rank);
	engine_select(&x->selector, w->def->selection, c, w->member, x->R, nR,
	              x->score, x->sel, NULL);
	*ranked = nR;
	return CD_OK;
}

/* Rank percentiles, shares and the union of round r, from the counts. */
static int finish(engine_result_t *res, size_t r, sens_t *x, size_t track)
{
	engine_round_res_t *rr = &res->rounds[r], *w = x->w;
	size_t m = rr->n ? rr->n : 1, S = res->samples, nsu = 0;
	rr->p5 = calloc(m, sizeof(uint32_t));
	rr->p50 = calloc(m, sizeof(uint32_t));
	rr->p95 = calloc(m, sizeof(uint32_t));
	rr->sel_share = calloc(m, sizeof(double));
	for (size_t p = 0; p < w->n; p++)
		nsu += x->reach[p] + x->full > 0;
	rr->su = malloc((nsu ? nsu : 1) * sizeof(uint32_t));
	rr->su_reach = malloc((nsu ? nsu : 1) * sizeof(uint32_t));
	rr->su_sel = malloc((nsu ? nsu : 1) * sizeof(uint32_t));
	if (!rr->p5 || !rr->p50 || !rr->p95 || !rr->sel_share || !rr->su ||
	    !rr->su_reach || !rr->su_sel)
		return CD_ENOMEM;
	for (size_t p = 0; p < w->n; p++) {
		if (x->reach[p] + x->full == 0)
			continue;
		rr->su[rr->nsu] = w->member[p];
		rr->su_reach[rr->nsu] = x->reach[p] + x->full;
		rr->su_sel[rr->nsu++] = x->selc[p];
	}
	for (size_t q = 0; q < rr->n; q++) {
		long p = w == rr ? (long)q : bisect(w->member, w->n, rr->member[q]);
		if (p >= 0)
			rr->sel_share[q] = (double)x->selc[p] / (double)S;
	}
	for (size_t i = 0; i < track; i++) {
		uint32_t q = rr->order[i], cnt = x->nranks[i];
		if (!cnt)
			continue;
		uint32_t *v = x->ranks + i * S;
		qsort(v, cnt, sizeof(*v), cmp_u32);
		rr->p5[q] = percentile(v, cnt, 5);
		rr->p50[q] = percentile(v, cnt, 50);
		rr->p95[q] = percentile(v, cnt, 95);
	}
	return CD_OK;
}

static int sens_round(engine_result_t *res, size_t r, const engine_opts_t *o,
                      const lists_t *prev, lists_t *next, uint8_t *mark,
                      engine_progress_t *p, char *err, size_t errlen)
{
	engine_round_res_t *rr = &res->rounds[r];
	size_t S = res->samples, nc = rr->ncrit;
	size_t track = rr->nranked < ENGINE_SENS_BUDGET / S
	               ? rr->nranked : ENGINE_SENS_BUDGET / S;
	sens_t x = { 0 };
	/* Copeland: refuse before any work when the base run's ranking
	 * alone, S times, is over the budget. */
	if (rr->def->aggregation == CLUSTERS__V1__AGGREGATION__AGGREGATION_COPELAND &&
	    (double)S * (double)rr->nranked * (double)rr->nranked >
	    (double)ENGINE_COPELAND_SENS_PAIRS) {
		x.w = rr;
		x.pairs = ENGINE_COPELAND_SENS_PAIRS;
		return copeland_budget(&x, rr->nranked, err, errlen);
	}
	int rc = pick_round(res, r, o, prev, mark, &x, err, errlen);
	if (rc) {
		sens_fini(&x);
		return rc;
	}
	engine_round_res_t *w = x.w;
	if (sens_alloc(res, r, &x, track))
		goto nomem;
	/* The clusters ranked best in the base run keep percentile slots. */
	for (size_t i = 0; i < w->n; i++)
		x.slot[i] = UINT32_MAX;
	for (size_t i = 0; i < track; i++) {
		uint32_t q = rr->order[i];
		long pw = w == rr ? (long)q : bisect(w->member, w->n, rr->member[q]);
		if (pw >= 0)
			x.slot[pw] = (uint32_t)i;
	}
	memcpy(x.base, rr->order, rr->nranked * sizeof(uint32_t));
	if (engine_base_order(rr, res->cohort, x.base, rr->nranked, &x.s))
		goto nomem;
	/* One stream per round, so adding a round leaves the others alone. */
	engine_rng_t g;
	engine_rng_seed(&g, o->seed ^ (0x9e3779b97f4a7c15ull * (r + 1)));
	double a = o->jitter_pct / 100.0;
	if (next) {
		next->n = 0;
		next->off[0] = 0;
	}
	for (size_t sm = 0; sm < S; sm++) {
		double sum = 0;
		for (size_t k = 0; k < nc; k++) {
			double wk = rr->def->criteria[k]->weight;
			x.wn[k] = wk * (1.0 - a + 2.0 * a * engine_rng_unit(&g));
			sum += x.wn[k];
		}
		if (!rr->npil) {
			for (size_t k = 0; k < nc; k++)
				x.wn[k] = sum > 0 ? x.wn[k] / sum : rr->wn[k];
		} else {
			/* Pillar weights jitter too, drawn after the
			 * criteria's; shares are among siblings. */
			for (size_t j = 0; j < rr->npil; j++)
				x.pwn[j] = rr->def->pillars[j]->weight *
				           (1.0 - a + 2.0 * a * engine_rng_unit(&g));
			engine_tree_weights(rr, x.wn, x.pwn, x.wn, x.pwn);
		}
		/* This sample's candidates, as positions of w. */
		size_t nC = prev ? prev->off[sm + 1] - prev->off[sm] : rr->n;
		int fast = w == rr && nC == rr->n;
		size_t nR = 0, ranked = 0;
		if (fast) {
			x.full++;
		} else {
			const uint32_t *C = prev->v + prev->off[sm];
			for (size_t i = 0; i < nC; i++) {
				uint32_t q = (uint32_t)bisect(w->member, w->n, C[i]);
				uint32_t kind = ENGINE_EXCL_KIND(w->excl[q]);
				x.reach[q]++;
				if (kind != ENGINE_EXCL_FILTER && kind != ENGINE_EXCL_MISSING)
					x.R[nR++] = q;
			}
		}
		/* Out of memory, or the aggregation's own message. */
		if ((rc = sample(res, &x, fast, nR, &ranked, err, errlen))) {
			if (rc == CD_ENOMEM)
				goto nomem;
			goto out;
		}
		size_t npick = 0;
		for (size_t i = 0; i < ranked; i++) {
			uint32_t q = x.R[i];
			x.selc[q] += x.sel[q];
			if (x.sel[q])
				x.pick[npick++] = q;
			if (x.slot[q] != UINT32_MAX)
				x.ranks[(size_t)x.slot[q] * S + x.nranks[x.slot[q]]++] =
					x.rank[q];
		}
		if (next) {
			if (next->n + npick > ENGINE_SENS_BUDGET) {
				rc = cd_fail(err, errlen, CD_ELIMIT, "sensitivity: the "
				             "samples select more than %u clusters in "
				             "round \"%s\" in all, too many to carry "
				             "to the next round; use fewer samples",
				             ENGINE_SENS_BUDGET, rr->name);
				goto out;
			}
			if (engine_grow((void **)&next->v, &next->cap,
			                next->n + npick, sizeof(uint32_t)))
				goto nomem;
			qsort(x.pick, npick, sizeof(uint32_t), cmp_u32);
			for (size_t i = 0; i < npick; i++)
				next->v[next->n++] = w->member[x.pick[i]];
			next->off[sm + 1] = next->n;
		}
		if ((rc = engine_progress_tick(p, r * S + sm + 1))) {
			cd_fail(err, errlen, rc, "cancelled during sensitivity");
			goto out;
		}
	}
	if (finish(res, r, &x, track))
		goto nomem;
	goto out;
nomem:
	rc = cd_fail(err, errlen, CD_ENOMEM, "sensitivity: out of memory");
out:
	sens_fini(&x);
	return rc;
}

int engine_sens_run(engine_result_t *res, const engine_opts_t *o,
                    engine_progress_t *p, char *err, size_t errlen)
{
	size_t S = o->samples;
	lists_t a = { 0 }, b = { 0 };
	uint8_t *mark = NULL;
	int rc = engine_progress_stage(p, "sensitivity",
	                               (uint64_t)S * res->nrounds);
	if (rc)
		return cd_fail(err, errlen, rc, "cancelled");
	if (res->nrounds > 1 &&
	    (!(a.off = malloc((S + 1) * sizeof(size_t))) ||
	     !(b.off = malloc((S + 1) * sizeof(size_t))) ||
	     !(mark = calloc(res->n ? res->n : 1, 1)))) {
		rc = cd_fail(err, errlen, CD_ENOMEM, "sensitivity: out of memory");
		goto out;
	}
	lists_t *prev = NULL, *next = &a;
	for (size_t r = 0; r < res->nrounds && !rc; r++) {
		int last = r + 1 == res->nrounds;
		rc = sens_round(res, r, o, prev, last ? NULL : next, mark, p, err,
		                errlen);
		prev = next;
		next = next == &a ? &b : &a;
	}
out:
	lists_fini(&a);
	lists_fini(&b);
	free(mark);
	return rc;
}
