/*
 * panel — expert panel scores. For each cluster and judge, the judge's
 * total is the weighted mean of the judge's scores of the chosen criteria
 * (weights scaled to sum 1; a judge who scored a criterion twice counts
 * the mean). Recused assessments are never counted, and a judge counts for
 * a cluster only with a score for every criterion. The cluster's score
 * aggregates its judges' totals by mean, median or trimmed mean; fewer
 * than min_judges judges gives NaN with that reason.
 *
 * With normalize_judges, each judge's totals become z-scores over all the
 * clusters that judge scored (population standard deviation; a judge with
 * no spread gives 0), the z-scores are aggregated per cluster the same
 * way, and the result is rescaled linearly onto the range of the raw
 * per-cluster scores (all equal: the mean of the raw scores). This removes
 * lenient and severe judges' offsets while keeping the score's scale.
 *
 * Thread-safety: no globals; the state is read-only after init.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "clusterplugin.h"
#include "cpc_stats.h"
#include "cpc_values.h"

#define MAX_CRITERIA 64

enum { AGG_MEAN, AGG_MEDIAN, AGG_TRIMMED };

static const char *const aggregates[] = { "mean", "median", "trimmed_mean",
                                          NULL };

static const cp_param_spec_t params[] = {
	{ .name = "criteria", .type = CP_PARAM_LIST, .required = 1,
	  .description = "assessment criteria to combine, comma-separated",
	  .names = CP_NAMES_CRITERION },
	{ .name = "weights", .type = CP_PARAM_LIST,
	  .description = "one weight >= 0 per criterion; default equal" },
	{ .name = "aggregate", .type = CP_PARAM_ENUM, .default_value = "mean",
	  .choices = aggregates,
	  .description = "how judges' totals combine: mean, median or "
	                 "trimmed_mean" },
	{ .name = "trim", .type = CP_PARAM_NUMBER, .default_value = "0.1",
	  .description = "trimmed_mean: share dropped at each end, "
	                 "0 <= trim < 0.5" },
	{ .name = "min_judges", .type = CP_PARAM_INTEGER, .default_value = "1",
	  .description = "fewer judges than this gives no score" },
	{ .name = "normalize_judges", .type = CP_PARAM_BOOLEAN,
	  .default_value = "false",
	  .description = "z-score each judge before aggregating" },
	{ .name = "round", .type = CP_PARAM_INTEGER,
	  .description = "only assessments of this round; default all" },
	{ .name = NULL },
};

typedef struct pn_state {
	size_t k;
	const char *crit[MAX_CRITERIA];
	double w[MAX_CRITERIA];
	int agg, normalize, has_round;
	double trim;
	long long round;
	size_t min_judges;
} pn_state_t;

static int pn_init(const cp_host_t *h, const cp_params_t *p, void **state,
                   char *err, size_t errlen)
{
	pn_state_t *s = cp_alloc(h, sizeof(*s));
	if (!s)
		return cp_fail(err, errlen, CP_ENOMEM, "out of memory");
	memset(s, 0, sizeof(*s));
	int rc = CP_OK;
	long long mj;
	const char *agg = cp_param_get(h, p, "aggregate");
	s->agg = strcmp(agg, "median") == 0         ? AGG_MEDIAN
	         : strcmp(agg, "trimmed_mean") == 0 ? AGG_TRIMMED
	                                            : AGG_MEAN;
	cp_param_number(h, p, "trim", &s->trim);
	cp_param_int(h, p, "min_judges", &mj);
	cp_param_bool(h, p, "normalize_judges", &s->normalize);
	s->has_round = cp_param_int(h, p, "round", &s->round) == 1;
	rc = cpc_weighted_list(h, p, "criteria", MAX_CRITERIA, s->crit, s->w,
	                       &s->k, err, errlen);
	if (!rc && !(s->trim >= 0 && s->trim < 0.5))
		rc = cp_fail(err, errlen, CP_EPARAM, "param 'trim' must be in "
		             "[0, 0.5)");
	if (!rc && (mj < 1 || mj > 100000))
		rc = cp_fail(err, errlen, CP_EPARAM, "param 'min_judges' must be "
		             "in 1..100000");
	if (rc) {
		cp_free(h, s);
		return rc;
	}
	s->min_judges = (size_t)mj;
	*state = s;
	return CP_OK;
}

static void pn_fini(const cp_host_t *h, void *state)
{
	cp_free(h, state);
}

/* Judge names -> dense ids, so judge statistics can span the cohort. The
 * names are the cohort's, valid for the whole score() call. */
typedef struct judges {
	const char **name;
	uint32_t *slot;  /* id + 1; 0 = empty */
	size_t n, cap, nslots;
} judges_t;

static uint32_t hash(const char *s)
{
	uint32_t x = 2166136261u;
	for (; *s; s++)
		x = (x ^ (unsigned char)*s) * 16777619u;
	return x;
}

/* Finds or adds; SIZE_MAX when out of memory. */
static size_t judge_id(judges_t *t, const char *name)
{
	size_t i = hash(name) & (t->nslots - 1);
	for (; t->slot[i]; i = (i + 1) & (t->nslots - 1))
		if (strcmp(t->name[t->slot[i] - 1], name) == 0)
			return t->slot[i] - 1;
	if (t->n == t->cap)
		return SIZE_MAX;  /* cap = every assessment: cannot happen */
	t->name[t->n] = name;
	t->slot[i] = (uint32_t)++t->n;
	return t->n - 1;
}

static double aggregate(const pn_state_t *s, double *v, size_t n)
{
	switch (s->agg) {
	case AGG_MEDIAN:
		return cpc_median(v, n);
	case AGG_TRIMMED:
		return cpc_trimmed_mean(v, n, s->trim);
	default:
		return cpc_mean(v, n);
	}
}

/* One judge's total for one cluster. */
typedef struct total {
	size_t judge;
	double t;
} total_t;

typedef struct work {
	judges_t j;
	total_t *tot;       /* per cluster, in cluster order */
	size_t *tot0;       /* cluster i's totals start at tot0[i] */
	size_t ntot;
	double *sum, *buf;  /* per-cluster scratch: judge x criterion sums */
	size_t *cnt, *local;
	double *raw;
} work_t;

/* Adds cluster i's complete judges to w->tot. */
static int cluster_totals(const cp_host_t *h, const pn_state_t *s,
                          cp_cluster_t c, work_t *w)
{
	size_t na = cp_assessment_count(h, c), nloc = 0, k = s->k;
	for (size_t a = 0; a < na; a++) {
		cp_assessment_t as;
		if (!cp_assessment_at(h, c, a, &as) || as.recused ||
		    (s->has_round && as.round != s->round))
			continue;
		size_t j = 0;
		while (j < k && strcmp(s->crit[j], as.criterion) != 0)
			j++;
		if (j == k)
			continue;
		size_t id = judge_id(&w->j, as.judge);
		if (id == SIZE_MAX)
			return CP_ENOMEM;
		size_t l = 0;
		while (l < nloc && w->local[l] != id)
			l++;
		if (l == nloc) {
			w->local[nloc++] = id;
			memset(w->sum + l * k, 0, k * sizeof(*w->sum));
			memset(w->cnt + l * k, 0, k * sizeof(*w->cnt));
		}
		w->sum[l * k + j] += as.score;
		w->cnt[l * k + j]++;
	}
	for (size_t l = 0; l < nloc; l++) {
		double t = 0;
		size_t j = 0;
		for (; j < k && w->cnt[l * k + j]; j++)
			t += s->w[j] * w->sum[l * k + j] / (double)w->cnt[l * k + j];
		if (j == k)
			w->tot[w->ntot++] = (total_t){ w->local[l], t };
	}
	return CP_OK;
}

static void work_free(const cp_host_t *h, work_t *w)
{
	cp_free(h, w->j.name);
	cp_free(h, w->j.slot);
	cp_free(h, w->tot);
	cp_free(h, w->tot0);
	cp_free(h, w->sum);
	cp_free(h, w->cnt);
	cp_free(h, w->local);
	cp_free(h, w->buf);
	cp_free(h, w->raw);
}

static int work_alloc(const cp_host_t *h, const pn_state_t *s,
                      const cp_cohort_t *cohort, size_t n, work_t *w)
{
	size_t total = 0, most = 1;
	for (size_t i = 0; i < n; i++) {
		size_t na = cp_assessment_count(h, cp_cohort_at(h, cohort, i));
		total += na;
		most = na > most ? na : most;
	}
	w->j.cap = total ? total : 1;
	w->j.nslots = 16;
	while (w->j.nslots < 2 * w->j.cap)
		w->j.nslots *= 2;
	w->j.name = cp_alloc(h, w->j.cap * sizeof(*w->j.name));
	w->j.slot = cp_alloc(h, w->j.nslots * sizeof(*w->j.slot));
	w->tot = cp_alloc(h, w->j.cap * sizeof(*w->tot));
	w->tot0 = cp_alloc(h, (n + 1) * sizeof(*w->tot0));
	w->sum = cp_alloc(h, most * s->k * sizeof(*w->sum));
	w->cnt = cp_alloc(h, most * s->k * sizeof(*w->cnt));
	w->local = cp_alloc(h, most * sizeof(*w->local));
	w->buf = cp_alloc(h, w->j.cap * sizeof(*w->buf));
	w->raw = cp_alloc(h, n * sizeof(*w->raw));
	if (!w->j.name || !w->j.slot || !w->tot || !w->tot0 || !w->sum ||
	    !w->cnt || !w->local || !w->buf || !w->raw)
		return CP_ENOMEM;
	memset(w->j.slot, 0, w->j.nslots * sizeof(*w->j.slot));
	return CP_OK;
}

/* z-scores the totals per judge, aggregates them per cluster and maps the
 * result onto the range of the raw scores in out[]. */
static int normalise(const cp_host_t *h, const pn_state_t *s, size_t n,
                     double *out, work_t *w)
{
	size_t nj = w->j.n;
	double *mean = cp_alloc(h, 2 * (nj ? nj : 1) * sizeof(*mean));
	size_t *cnt = cp_alloc(h, (nj ? nj : 1) * sizeof(*cnt));
	if (!mean || !cnt) {
		cp_free(h, mean);
		cp_free(h, cnt);
		return CP_ENOMEM;
	}
	double *sd = mean + nj;
	memset(mean, 0, 2 * nj * sizeof(*mean));
	memset(cnt, 0, nj * sizeof(*cnt));
	for (size_t e = 0; e < w->ntot; e++) {
		mean[w->tot[e].judge] += w->tot[e].t;
		cnt[w->tot[e].judge]++;
	}
	for (size_t j = 0; j < nj; j++)
		mean[j] /= (double)cnt[j];
	for (size_t e = 0; e < w->ntot; e++) {
		double d = w->tot[e].t - mean[w->tot[e].judge];
		sd[w->tot[e].judge] += d * d;
	}
	for (size_t j = 0; j < nj; j++)
		sd[j] = sqrt(sd[j] / (double)cnt[j]);
	double zlo = INFINITY, zhi = -INFINITY, mlo = INFINITY, mhi = -INFINITY;
	double msum = 0;
	size_t mn = 0;
	for (size_t i = 0; i < n; i++) {
		if (isnan(out[i]))
			continue;
		size_t m = 0;
		for (size_t e = w->tot0[i]; e < w->tot0[i + 1]; e++) {
			const total_t *t = &w->tot[e];
			w->buf[m++] = sd[t->judge] > 0
			                  ? (t->t - mean[t->judge]) / sd[t->judge]
			                  : 0;
		}
		w->raw[i] = aggregate(s, w->buf, m);
		zlo = fmin(zlo, w->raw[i]);
		zhi = fmax(zhi, w->raw[i]);
		mlo = fmin(mlo, out[i]);
		mhi = fmax(mhi, out[i]);
		msum += out[i];
		mn++;
	}
	for (size_t i = 0; i < n; i++) {
		if (isnan(out[i]))
			continue;
		out[i] = zhi > zlo
		             ? mlo + (w->raw[i] - zlo) / (zhi - zlo) * (mhi - mlo)
		             : msum / (double)mn;
	}
	cp_free(h, mean);
	cp_free(h, cnt);
	return CP_OK;
}

static int pn_score(const cp_host_t *h, void *state,
                    const cp_cohort_t *cohort, double *out,
                    const char **reasons, size_t n, char *err,
                    size_t errlen)
{
	const pn_state_t *s = state;
	work_t w = { 0 };
	int rc = work_alloc(h, s, cohort, n, &w);
	for (size_t i = 0; !rc && i < n; i++) {
		w.tot0[i] = w.ntot;
		rc = cluster_totals(h, s, cp_cohort_at(h, cohort, i), &w);
	}
	if (!rc)
		w.tot0[n] = w.ntot;
	for (size_t i = 0; !rc && i < n; i++) {
		size_t m = 0;
		for (size_t e = w.tot0[i]; e < w.tot0[i + 1]; e++)
			w.buf[m++] = w.tot[e].t;
		if (m < s->min_judges) {
			reasons[i] = cp_score_string(
				h, "%zu judge%s scored every criterion; at least %zu "
				"required", m, m == 1 ? "" : "s", s->min_judges);
			continue;
		}
		out[i] = aggregate(s, w.buf, m);
	}
	if (!rc && s->normalize)
		rc = normalise(h, s, n, out, &w);
	work_free(h, &w);
	if (rc)
		return cp_fail(err, errlen, CP_ENOMEM, "out of memory");
	return CP_OK;
}

static const cp_plugin_t desc = {
	CP_PLUGIN_INIT,
	.name = "panel",
	.version = CLUSTERD_VERSION,
	.kind = CP_QUALITATIVE,
	.description = "Expert assessments: weighted criteria per judge, "
	               "aggregated over judges (mean, median, trimmed mean), "
	               "recusal, optional per-judge normalisation",
	.params = params,
	.init = pn_init,
	.score = pn_score,
	.fini = pn_fini,
};

CP_PLUGIN_DEFINE(desc)
