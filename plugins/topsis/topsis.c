/*
 * topsis — multi-criteria closeness to the ideal (TOPSIS) over several
 * indicators. For the clusters that have every indicator:
 *   r_ij = (x_ij - min_j) / (max_j - min_j)    (minmax, the default), or
 *   r_ij = x_ij / sqrt(sum_i x_ij^2)          (vector)
 *   v_ij = w_j r_ij                            (weights scaled to sum 1)
 *   (weights as numbers, or equal/entropy/critic/stddev: derived at each
 *   score from the same clusters' raw values, cpc_weights.h, and recorded
 *   in the run as the note "weights")
 *   ideal A+_j = max_i v_ij for benefit criteria, min_i for cost; A- the
 *   opposite; d+_i, d-_i Euclidean distances to them;
 *   score_i = d-_i / (d+_i + d-_i)  in [0, 1].
 * A criterion with no spread (max = min, or all zero) gives r = 0; when no
 * criterion has spread every cluster is both ideal and anti-ideal and
 * scores 0.5.
 *
 * Thread-safety: no globals; the state is read-only after init.
 */
#include <math.h>
#include <string.h>

#include "clusterplugin.h"
#include "cpc_values.h"
#include "cpc_weights.h"

#define MAX_CRITERIA 64

static const char *const norms[] = { "minmax", "vector", NULL };

static const cp_param_spec_t params[] = {
	{ .name = "indicators", .type = CP_PARAM_LIST, .required = 1,
	  .description = "indicator names, comma-separated",
	  .names = CP_NAMES_INDICATOR },
	{ .name = "weights", .type = CP_PARAM_LIST,
	  .description = "one weight >= 0 per indicator, or equal, entropy, "
	                 "critic or stddev (derived from the cohort's values "
	                 "and recorded in the run); default equal" },
	{ .name = "directions", .type = CP_PARAM_LIST,
	  .description = "benefit or cost per indicator; default all benefit" },
	{ .name = "normalization", .type = CP_PARAM_ENUM,
	  .default_value = "minmax", .choices = norms,
	  .description = "minmax or vector normalisation" },
	CPC_WHEN_SPECS,
	{ .name = NULL },
};

typedef struct tp_state {
	size_t k;
	const char *ind[MAX_CRITERIA];
	double w[MAX_CRITERIA];
	cpc_wmethod_t method;   /* CPC_WEIGHTS_GIVEN: w as given */
	int cost[MAX_CRITERIA];
	int vector;
	cpc_when_t when;
} tp_state_t;

static int tp_init(const cp_host_t *h, const cp_params_t *p, void **state,
                   char *err, size_t errlen)
{
	tp_state_t *s = cp_alloc(h, sizeof(*s));
	if (!s)
		return cp_fail(err, errlen, CP_ENOMEM, "out of memory");
	memset(s, 0, sizeof(*s));
	int rc = cpc_when_parse(h, p, &s->when, err, errlen);
	s->vector = strcmp(cp_param_get(h, p, "normalization"), "vector") == 0;
	if (!rc)
		rc = cpc_weights_list(h, p, "indicators", MAX_CRITERIA, s->ind,
		                      s->w, &s->k, &s->method, err, errlen);
	if (!rc)
		rc = cpc_directions(h, p, "directions", s->k, s->cost, err,
		                    errlen);
	if (rc) {
		cp_free(h, s);
		return rc;
	}
	*state = s;
	return CP_OK;
}

static void tp_fini(const cp_host_t *h, void *state)
{
	cp_free(h, state);
}

static int tp_score(const cp_host_t *h, void *state,
                    const cp_cohort_t *cohort, double *out,
                    const char **reasons, size_t n, char *err,
                    size_t errlen)
{
	const tp_state_t *s = state;
	size_t k = s->k;
	double *x = cp_alloc(h, n * k * sizeof(*x));
	if (!x)
		return cp_fail(err, errlen, CP_ENOMEM, "out of memory");
	char when[32];
	cpc_when_text(&s->when, when, sizeof(when));
	double lo[MAX_CRITERIA], hi[MAX_CRITERIA], ss[MAX_CRITERIA];
	for (size_t j = 0; j < k; j++) {
		lo[j] = INFINITY;
		hi[j] = -INFINITY;
		ss[j] = 0;
	}
	/* Pass 1: raw values of complete clusters, column ranges. */
	for (size_t i = 0; i < n; i++) {
		cp_cluster_t c = cp_cohort_at(h, cohort, i);
		double *row = x + i * k;
		for (size_t j = 0; j < k; j++)
			if (!cpc_value(h, c, s->ind[j], &s->when, &row[j])) {
				reasons[i] = cp_score_string(h, "no '%s' in %s",
				                             s->ind[j], when);
				row[0] = NAN;
				break;
			}
		if (isnan(row[0]))
			continue;
		for (size_t j = 0; j < k; j++) {
			lo[j] = fmin(lo[j], row[j]);
			hi[j] = fmax(hi[j], row[j]);
			ss[j] += row[j] * row[j];
		}
	}
	/* The weights: as given, or derived from the raw values of the same
	 * clusters (the state stays read-only). */
	double w[MAX_CRITERIA];
	memcpy(w, s->w, k * sizeof(*w));
	int rc = cpc_weights_resolve(h, cohort, s->method, x, n, k, s->cost,
	                             s->ind, w, err, errlen);
	if (rc) {
		cp_free(h, x);
		return rc;
	}
	/* Pass 2: weighted normalised values, ideal and anti-ideal. */
	double best[MAX_CRITERIA], worst[MAX_CRITERIA];
	for (size_t j = 0; j < k; j++) {
		best[j] = -INFINITY;
		worst[j] = INFINITY;
	}
	for (size_t i = 0; i < n; i++) {
		double *row = x + i * k;
		if (isnan(row[0]))
			continue;
		for (size_t j = 0; j < k; j++) {
			double r;
			if (s->vector)
				r = ss[j] > 0 ? row[j] / sqrt(ss[j]) : 0;
			else
				r = hi[j] > lo[j] ? (row[j] - lo[j]) / (hi[j] - lo[j])
				                  : 0;
			row[j] = w[j] * r;
			best[j] = fmax(best[j], row[j]);
			worst[j] = fmin(worst[j], row[j]);
		}
	}
	for (size_t j = 0; j < k; j++)
		if (s->cost[j]) {
			double t = best[j];
			best[j] = worst[j];
			worst[j] = t;
		}
	for (size_t i = 0; i < n; i++) {
		const double *row = x + i * k;
		if (isnan(row[0]))
			continue;
		double dp = 0, dm = 0;
		for (size_t j = 0; j < k; j++) {
			dp += (row[j] - best[j]) * (row[j] - best[j]);
			dm += (row[j] - worst[j]) * (row[j] - worst[j]);
		}
		dp = sqrt(dp);
		dm = sqrt(dm);
		out[i] = dp + dm > 0 ? dm / (dp + dm) : 0.5;
	}
	cp_free(h, x);
	return CP_OK;
}

static const cp_plugin_t desc = {
	CP_PLUGIN_INIT,
	.name = "topsis",
	.version = CLUSTERD_VERSION,
	.kind = CP_QUANTITATIVE,
	.description = "TOPSIS closeness to the ideal over several weighted "
	               "benefit/cost indicators",
	.params = params,
	.init = tp_init,
	.score = tp_score,
	.fini = tp_fini,
};

CP_PLUGIN_DEFINE(desc)
