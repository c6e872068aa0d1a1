/*
 * mcda — six multi-criteria decision methods over several indicators:
 * VIKOR, COPRAS, WPM, SPOTIS, MABAC and EDAS (param `method`). Each
 * method's file states its formula, normalisation, cost handling and the
 * source it follows; docs/plugins.md says the same for users.
 *
 * This file: the params (`indicators`, `weights`, `directions` and the
 * when params as in topsis, weights=entropy|critic|stddev|equal derived
 * from each round's matrix and recorded as the run note "weights"; `v` for VIKOR, `bounds` for SPOTIS), reading
 * the decision matrix of the clusters that have every indicator (the
 * others get no score and a reason naming the indicator, and are left
 * out of every method's statistics), and the check that no method hands
 * back a non-finite score.
 *
 * Thread-safety: no globals; the state is read-only after init.
 */
#include "mcda.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const method_names[] = {
	"vikor", "copras", "wpm", "spotis", "mabac", "edas", NULL
};

static const mcda_fn method_fns[MCDA_NMETHODS] = {
	mcda_vikor, mcda_copras, mcda_wpm, mcda_spotis, mcda_mabac, mcda_edas
};

static const cp_param_spec_t params[] = {
	{ .name = "method", .type = CP_PARAM_ENUM, .required = 1,
	  .choices = method_names,
	  .description = "vikor, copras, wpm, spotis, mabac or edas" },
	CPC_CRITERIA_SPECS,
	/* No spec defaults for the method params: init must see whether
	 * they were given, to refuse them with another method. */
	{ .name = "v", .type = CP_PARAM_NUMBER,
	  .description = "vikor only: weight of group utility S against "
	                 "individual regret R, 0..1; default 0.5" },
	{ .name = "bounds", .type = CP_PARAM_LIST,
	  .description = "spotis only: min:max per indicator; default the "
	                 "cohort's least and greatest values" },
	CPC_WHEN_SPECS,
	{ .name = NULL },
};

/* Params that belong to one method. */
static const struct {
	const char *name;
	mcda_method_t method;
} method_params[] = {
	{ "v", MCDA_VIKOR },
	{ "bounds", MCDA_SPOTIS },
};

void mcda_col_range(const mcda_matrix_t *x, size_t j, double *lo,
                    double *hi)
{
	*lo = *hi = MCDA_X(x, 0, j);
	for (size_t i = 1; i < x->m; i++) {
		*lo = fmin(*lo, MCDA_X(x, i, j));
		*hi = fmax(*hi, MCDA_X(x, i, j));
	}
}

int mcda_need_min(const mcda_state_t *s, const mcda_matrix_t *x,
                  mcda_cols_t cols, double bound, int strict,
                  const char *what, char *err, size_t errlen)
{
	for (size_t i = 0; i < x->m; i++)
		for (size_t j = 0; j < x->k; j++) {
			double v = MCDA_X(x, i, j);
			int check = cols == MCDA_COLS_ALL ||
			            (cols == MCDA_COLS_COST) == (s->cost[j] != 0);
			if (check && (strict ? !(v > bound) : !(v >= bound)))
				return cp_fail(err, errlen, CP_EDATA, "cluster '%s': "
				               "'%s' is %g; %s", x->id[i], s->ind[j], v,
				               what);
		}
	return CP_OK;
}

/* One item "min:max" of `bounds`: two finite numbers, min < max. */
static int bound_item(const char *item, double *lo, double *hi, char *err,
                      size_t errlen)
{
	char *end;
	errno = 0;
	*lo = strtod(item, &end);
	int ok = end != item && *end == ':' && errno != ERANGE;
	if (ok) {
		const char *b = end + 1;
		*hi = strtod(b, &end);
		ok = end != b && !*end && errno != ERANGE;
	}
	if (!ok || !isfinite(*lo) || !isfinite(*hi))
		return cp_fail(err, errlen, CP_EPARAM, "param 'bounds': item "
		               "'%s' is not min:max (two finite numbers)", item);
	if (!(*lo < *hi))
		return cp_fail(err, errlen, CP_EPARAM, "param 'bounds': item "
		               "'%s' has min >= max", item);
	return CP_OK;
}

static int parse_method_params(const cp_host_t *h, const cp_params_t *p,
                               mcda_state_t *s, char *err, size_t errlen)
{
	const char *mname = method_names[s->method];
	for (size_t i = 0; i < sizeof(method_params) / sizeof(*method_params);
	     i++)
		if (method_params[i].method != s->method &&
		    cp_param_get(h, p, method_params[i].name))
			return cp_fail(err, errlen, CP_EPARAM, "param '%s' applies "
			               "to method %s only, not to %s",
			               method_params[i].name,
			               method_names[method_params[i].method], mname);
	s->v = 0.5;
	if (s->method == MCDA_VIKOR) {
		int rc = cp_param_number(h, p, "v", &s->v);
		if (rc < 0 || !(s->v >= 0 && s->v <= 1))
			return cp_fail(err, errlen, CP_EPARAM, "param 'v' must be a "
			               "number in 0..1, not '%s'",
			               cp_param_get(h, p, "v"));
	}
	if (s->method != MCDA_SPOTIS || !cp_param_get(h, p, "bounds"))
		return CP_OK;
	size_t n = cp_param_list_len(h, p, "bounds");
	if (n != s->k)
		return cp_fail(err, errlen, CP_EPARAM, "param 'bounds' has %zu "
		               "items, expected %zu", n, s->k);
	for (size_t j = 0; j < s->k; j++) {
		int rc = bound_item(cp_param_list_at(h, p, "bounds", j), &s->lo[j],
		                    &s->hi[j], err, errlen);
		if (rc)
			return rc;
	}
	s->bounded = 1;
	return CP_OK;
}

static int mc_init(const cp_host_t *h, const cp_params_t *p, void **state,
                   char *err, size_t errlen)
{
	mcda_state_t *s = cp_alloc(h, sizeof(*s));
	if (!s)
		return cp_fail(err, errlen, CP_ENOMEM, "out of memory");
	memset(s, 0, sizeof(*s));
	/* The server has checked it is one of the choices. */
	const char *m = cp_param_get(h, p, "method");
	size_t mi = 0;
	while (method_names[mi + 1] && strcmp(method_names[mi], m) != 0)
		mi++;
	s->method = (mcda_method_t)mi;
	/* Weights as numbers, or a method that derives them from each
	 * round's matrix in mc_score (cpc_weights.h). */
	int rc = cpc_weights_list(h, p, "indicators", MCDA_MAX_CRITERIA,
	                          s->ind, s->w, &s->k, &s->wmethod, err,
	                          errlen);
	if (!rc)
		rc = cpc_directions(h, p, "directions", s->k, s->cost, err,
		                    errlen);
	if (!rc)
		rc = cpc_when_parse(h, p, &s->when, err, errlen);
	if (!rc)
		rc = parse_method_params(h, p, s, err, errlen);
	if (rc) {
		cp_free(h, s);
		return rc;
	}
	*state = s;
	return CP_OK;
}

static void mc_fini(const cp_host_t *h, void *state)
{
	cp_free(h, state);
}

/* The per-call memory, in one block: the matrix (n*k), scores (n),
 * scratch (2n), ids and notes (n each), then the row -> cluster map (n;
 * the cohort's indexes fit 32 bits). */
typedef struct mc_work {
	mcda_matrix_t mx;
	double *x, *score;
	uint32_t *row;
	const char **id, **note;
} mc_work_t;

static void *work_alloc(const cp_host_t *h, mc_work_t *w, size_t n,
                        size_t k)
{
	size_t per = (k + 3) * sizeof(double) + sizeof(uint32_t) +
	             2 * sizeof(const char *);
	if (n > SIZE_MAX / per)
		return NULL;
	char *b = cp_alloc(h, n * per);
	if (!b)
		return NULL;
	w->x = (double *)b;
	w->score = w->x + n * k;
	w->mx.tmp = w->score + n;
	w->id = (const char **)(w->mx.tmp + 2 * n);
	w->note = w->id + n;
	w->row = (uint32_t *)(w->note + n);
	return b;
}

static int mc_score(const cp_host_t *h, void *state,
                    const cp_cohort_t *cohort, double *out,
                    const char **reasons, size_t n, char *err,
                    size_t errlen)
{
	const mcda_state_t *s = state;
	size_t k = s->k, m = 0;
	mc_work_t w;
	void *block = work_alloc(h, &w, n, k);
	if (!block)
		return cp_fail(err, errlen, CP_ENOMEM, "out of memory");
	char when[32];
	cpc_when_text(&s->when, when, sizeof(when));
	for (size_t i = 0; i < n; i++) {
		cp_cluster_t c = cp_cohort_at(h, cohort, i);
		double *row = w.x + m * k;
		size_t j = 0;
		while (j < k && cpc_value(h, c, s->ind[j], &s->when, &row[j]))
			j++;
		if (j < k) {
			reasons[i] = cp_score_string(h, "no '%s' in %s", s->ind[j],
			                             when);
			continue;
		}
		w.row[m] = (uint32_t)i;
		w.id[m] = cp_cluster_id(h, c);
		w.note[m] = NULL;
		m++;
	}
	/* Derived weights go into a copy: the state stays read-only. */
	const mcda_state_t *sw = s;
	mcda_state_t *copy = NULL;
	int rc = CP_OK;
	if (s->wmethod != CPC_WEIGHTS_GIVEN) {
		if (!(copy = cp_alloc(h, sizeof(*copy)))) {
			cp_free(h, block);
			return cp_fail(err, errlen, CP_ENOMEM, "out of memory");
		}
		*copy = *s;
		rc = cpc_weights_resolve_at(h, cohort, s->wmethod, w.x, m, k, k,
		                            1, w.row, s->cost, s->ind, copy->w,
		                            err, errlen);
		sw = copy;
	}
	if (m && !rc) {
		w.mx.m = m;
		w.mx.k = k;
		w.mx.x = w.x;
		w.mx.id = w.id;
		rc = method_fns[s->method](h, sw, &w.mx, w.score, w.note, err,
		                           errlen);
	}
	/* The methods guard their divisions; values near the limits of a
	 * double can still overflow, and must not pass as scores. */
	for (size_t r = 0; !rc && r < m; r++)
		if (!isfinite(w.score[r]))
			rc = cp_fail(err, errlen, CP_EDATA, "method %s: cluster '%s' "
			             "has no finite score (values too large or too "
			             "small to compute with)", method_names[s->method],
			             w.id[r]);
	for (size_t r = 0; !rc && r < m; r++) {
		out[w.row[r]] = w.score[r];
		if (w.note[r])
			reasons[w.row[r]] = w.note[r];
	}
	cp_free(h, copy);
	cp_free(h, block);
	return rc;
}

static const cp_plugin_t desc = {
	CP_PLUGIN_INIT,
	.name = "mcda",
	.version = CLUSTERD_VERSION,
	.kind = CP_QUANTITATIVE,
	.description = "Multi-criteria decision methods (VIKOR, COPRAS, WPM, "
	               "SPOTIS, MABAC, EDAS) over several weighted "
	               "benefit/cost indicators",
	.params = params,
	.init = mc_init,
	.score = mc_score,
	.fini = mc_fini,
};

CP_PLUGIN_DEFINE(desc)
