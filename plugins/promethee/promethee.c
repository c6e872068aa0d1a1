/*
 * promethee — PROMETHEE II net flow over several indicators (Brans &
 * Vincke 1985; flows as in Brans & Mareschal, "PROMETHEE methods", 2005).
 * For the m clusters that have every indicator, criterion j compares two
 * clusters by d_j(a,b) = x_aj - x_bj (x_bj - x_aj for a cost criterion)
 * through a preference function P_j (usual, ushape, vshape, level,
 * linear or gaussian, with thresholds q, p or s); then
 *   pi(a,b)  = sum_j w_j P_j(d_j(a,b))          (weights scaled to sum 1;
 *   or equal/entropy/critic/stddev, derived at each score from the
 *   complete clusters' raw values, cpc_weights.h, and recorded in the run
 *   as the note "weights")
 *   phi+(a)  = 1/(m-1) sum_b pi(a,b),  phi-(a) = 1/(m-1) sum_b pi(b,a)
 *   score(a) = phi(a) = phi+(a) - phi-(a)      in [-1, 1], summing to 0.
 * The flows are averaged over the m - 1 others as in Brans & Mareschal
 * (2005); Brans, Vincke & Mareschal (1986) print their example's flows as
 * sums, m - 1 times these. One complete cluster has no other to compare
 * with and scores 0.
 *
 * The flows are computed per criterion without the m x m matrix
 * (pm_flow.h): exact and O(m log m) for every function but gaussian, which
 * is O(m^2) and refused over PM_GAUSSIAN_MAX clusters.
 *
 * Thread-safety: no globals; the state is read-only after init.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clusterplugin.h"
#include "cpc_values.h"
#include "cpc_weights.h"
#include "pm_flow.h"

#define MAX_CRITERIA 64

static const cp_param_spec_t params[] = {
	CPC_CRITERIA_SPECS,
	{ .name = "preference", .type = CP_PARAM_LIST,
	  .description = "usual, ushape, vshape, level, linear or gaussian "
	                 "per indicator; default all usual" },
	{ .name = "q", .type = CP_PARAM_LIST,
	  .description = "indifference threshold per indicator (ushape, "
	                 "level, linear); '-' where unused" },
	{ .name = "p", .type = CP_PARAM_LIST,
	  .description = "preference threshold per indicator (vshape, level, "
	                 "linear); '-' where unused" },
	{ .name = "s", .type = CP_PARAM_LIST,
	  .description = "gaussian parameter per indicator; '-' where unused" },
	CPC_WHEN_SPECS,
	{ .name = NULL },
};

/* The functions by name, in pm_pref_t order, and the thresholds each
 * one takes. */
enum { NEED_Q = 1, NEED_P = 2, NEED_S = 4 };
static const struct {
	const char *name;
	unsigned need;
} prefs[] = {
	[PM_USUAL] = { "usual", 0 },
	[PM_USHAPE] = { "ushape", NEED_Q },
	[PM_VSHAPE] = { "vshape", NEED_P },
	[PM_LEVEL] = { "level", NEED_Q | NEED_P },
	[PM_LINEAR] = { "linear", NEED_Q | NEED_P },
	[PM_GAUSSIAN] = { "gaussian", NEED_S },
};
#define NPREFS (sizeof(prefs) / sizeof(prefs[0]))

typedef struct pm_state {
	size_t k;
	const char *ind[MAX_CRITERIA];
	double w[MAX_CRITERIA];
	cpc_wmethod_t wmethod;  /* CPC_WEIGHTS_GIVEN: w as given */
	int cost[MAX_CRITERIA];
	pm_crit_t crit[MAX_CRITERIA];
	int gaussian;  /* some criterion is gaussian */
	cpc_when_t when;
} pm_state_t;

/* Reads threshold list `name` (absent: none given) into t[] with given[]
 * set where the item is a number; "-" is an item left unset. */
static int thresholds(const cp_host_t *h, const cp_params_t *p,
                      const char *name, const pm_state_t *s, double *t,
                      int *given, char *err, size_t errlen)
{
	memset(given, 0, s->k * sizeof(*given));
	if (!cp_param_get(h, p, name))
		return CP_OK;
	size_t n = cp_param_list_len(h, p, name);
	if (n != s->k)
		return cp_fail(err, errlen, CP_EPARAM, "param '%s' has %zu "
		               "items, expected %zu (one per indicator, '-' "
		               "where unused)", name, n, s->k);
	for (size_t j = 0; j < n; j++) {
		const char *item = cp_param_list_at(h, p, name, j);
		if (strcmp(item, "-") == 0)
			continue;
		char *end;
		errno = 0;
		t[j] = strtod(item, &end);
		if (end == item || *end || errno == ERANGE || !isfinite(t[j]))
			return cp_fail(err, errlen, CP_EPARAM, "param '%s': "
			               "item '%s' of '%s' is neither a finite "
			               "number nor '-'", name, item, s->ind[j]);
		given[j] = 1;
	}
	return CP_OK;
}

/* Checks that criterion j has the thresholds its function needs, valid,
 * and no other (a q given to vshape is a mistake, not a no-op). */
static int check_crit(pm_state_t *s, size_t j, const int *given,
                      const double *t, char *err, size_t errlen)
{
	static const char *const names[3] = { "q", "p", "s" };
	static const char *const what[3] = { "an indifference threshold",
	                                     "a preference threshold",
	                                     "a gaussian parameter" };
	pm_crit_t *c = &s->crit[j];
	const char *fn = prefs[c->pref].name;
	for (int i = 0; i < 3; i++) {
		int need = (prefs[c->pref].need >> i) & 1;
		if (need && !given[i * MAX_CRITERIA + j])
			return cp_fail(err, errlen, CP_EPARAM, "indicator '%s': "
			               "%s needs %s: give its item in param '%s'",
			               s->ind[j], fn, what[i], names[i]);
		if (!need && given[i * MAX_CRITERIA + j])
			return cp_fail(err, errlen, CP_EPARAM, "indicator '%s': "
			               "%s takes no %s; give '-' for it in param "
			               "'%s'", s->ind[j], fn, names[i], names[i]);
	}
	c->q = given[j] ? t[j] : 0;
	c->p = given[MAX_CRITERIA + j] ? t[MAX_CRITERIA + j] : 0;
	c->s = given[2 * MAX_CRITERIA + j] ? t[2 * MAX_CRITERIA + j] : 0;
	if (c->q < 0)
		return cp_fail(err, errlen, CP_EPARAM, "indicator '%s': q = %g "
		               "is negative", s->ind[j], c->q);
	if (c->pref == PM_VSHAPE && !(c->p > 0))
		return cp_fail(err, errlen, CP_EPARAM, "indicator '%s': "
		               "vshape needs p > 0 (p = %g)", s->ind[j], c->p);
	if ((prefs[c->pref].need & NEED_Q) && (prefs[c->pref].need & NEED_P) &&
	    !(c->p > c->q))
		return cp_fail(err, errlen, CP_EPARAM, "indicator '%s': %s "
		               "needs p > q (p = %g, q = %g)", s->ind[j], fn,
		               c->p, c->q);
	if (c->pref == PM_GAUSSIAN && !(c->s > 0))
		return cp_fail(err, errlen, CP_EPARAM, "indicator '%s': "
		               "gaussian needs s > 0 (s = %g)", s->ind[j], c->s);
	return CP_OK;
}

static int parse(const cp_host_t *h, const cp_params_t *p, pm_state_t *s,
                 char *err, size_t errlen)
{
	int rc = cpc_when_parse(h, p, &s->when, err, errlen);
	if (!rc)
		rc = cpc_weights_list(h, p, "indicators", MAX_CRITERIA, s->ind,
		                      s->w, &s->k, &s->wmethod, err, errlen);
	if (!rc)
		rc = cpc_directions(h, p, "directions", s->k, s->cost, err,
		                    errlen);
	if (!rc && cp_param_get(h, p, "preference")) {
		size_t np = cp_param_list_len(h, p, "preference");
		if (np != s->k)
			rc = cp_fail(err, errlen, CP_EPARAM, "param 'preference' "
			             "has %zu items, expected %zu", np, s->k);
		for (size_t j = 0; !rc && j < s->k; j++) {
			const char *f = cp_param_list_at(h, p, "preference", j);
			size_t i = 0;
			while (i < NPREFS && strcmp(f, prefs[i].name) != 0)
				i++;
			if (i == NPREFS)
				rc = cp_fail(err, errlen, CP_EPARAM, "param "
				             "'preference': '%s' of '%s' is none of "
				             "usual, ushape, vshape, level, linear, "
				             "gaussian", f, s->ind[j]);
			else
				s->crit[j].pref = (pm_pref_t)i;
		}
	}
	/* q, p and s side by side: t[i * MAX_CRITERIA + j]. */
	double t[3 * MAX_CRITERIA];
	int given[3 * MAX_CRITERIA];
	if (!rc)
		rc = thresholds(h, p, "q", s, t, given, err, errlen);
	if (!rc)
		rc = thresholds(h, p, "p", s, t + MAX_CRITERIA,
		                given + MAX_CRITERIA, err, errlen);
	if (!rc)
		rc = thresholds(h, p, "s", s, t + 2 * MAX_CRITERIA,
		                given + 2 * MAX_CRITERIA, err, errlen);
	for (size_t j = 0; !rc && j < s->k; j++) {
		rc = check_crit(s, j, given, t, err, errlen);
		s->gaussian |= s->crit[j].pref == PM_GAUSSIAN;
	}
	return rc;
}

static int pm_init(const cp_host_t *h, const cp_params_t *p, void **state,
                   char *err, size_t errlen)
{
	pm_state_t *s = cp_alloc(h, sizeof(*s));
	if (!s)
		return cp_fail(err, errlen, CP_ENOMEM, "out of memory");
	memset(s, 0, sizeof(*s));
	int rc = parse(h, p, s, err, errlen);
	if (rc) {
		cp_free(h, s);
		return rc;
	}
	*state = s;
	return CP_OK;
}

static void pm_fini(const cp_host_t *h, void *state)
{
	cp_free(h, state);
}

/* Reads the values into columns x[j * n + i] and the indexes of the
 * complete clusters into ids; a cluster lacking one gets its reason.
 * Returns how many are complete. */
static size_t read_values(const cp_host_t *h, const pm_state_t *s,
                          const cp_cohort_t *cohort, size_t n, double *x,
                          uint32_t *ids, const char **reasons)
{
	char when[32];
	cpc_when_text(&s->when, when, sizeof(when));
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		cp_cluster_t c = cp_cohort_at(h, cohort, i);
		size_t j = 0;
		for (; j < s->k; j++) {
			double *v = &x[j * n + i];
			if (!cpc_value(h, c, s->ind[j], &s->when, v)) {
				reasons[i] = cp_score_string(h, "no '%s' in %s",
				                             s->ind[j], when);
				break;
			}
			/* A window's mean of huge values can overflow. */
			if (!isfinite(*v)) {
				reasons[i] = cp_score_string(h, "'%s' in %s is "
				                             "not finite", s->ind[j],
				                             when);
				break;
			}
		}
		if (j == s->k)
			ids[m++] = (uint32_t)i;
	}
	return m;
}

static int pm_score(const cp_host_t *h, void *state,
                    const cp_cohort_t *cohort, double *out,
                    const char **reasons, size_t n, char *err,
                    size_t errlen)
{
	const pm_state_t *s = state;
	size_t k = s->k;
	/* n < 2^32 (the cohort's indexes) and k <= 64: no overflow, and a
	 * cluster's index fits the uint32_t the sort carries. */
	double *x = cp_alloc(h, n * k * sizeof(*x));
	uint32_t *ids = cp_alloc(h, n * sizeof(*ids));
	void *scratch = NULL;
	int rc = CP_OK;
	if (!x || !ids) {
		rc = cp_fail(err, errlen, CP_ENOMEM, "out of memory");
		goto out;
	}
	size_t m = read_values(h, s, cohort, n, x, ids, reasons);
	for (size_t j = 0; s->gaussian && j < k; j++)
		if (s->crit[j].pref == PM_GAUSSIAN && m > PM_GAUSSIAN_MAX) {
			rc = cp_fail(err, errlen, CP_EDATA, "indicator '%s': the "
			             "gaussian preference compares every pair of "
			             "clusters and is limited to %d of them (%zu "
			             "here); use vshape or linear, which have an "
			             "exact fast form", s->ind[j], PM_GAUSSIAN_MAX,
			             m);
			goto out;
		}
	if (!(scratch = cp_alloc(h, pm_scratch_size(m)))) {
		rc = cp_fail(err, errlen, CP_ENOMEM, "out of memory");
		goto out;
	}
	/* Columns are compacted to the complete clusters, in place (ids
	 * ascend), and negated for cost: d = v_a - v_b is then a's
	 * advantage either way, and negation is exact. Derived weights need
	 * every column's raw values first; numbers let each column be
	 * compacted as it is used. */
	double w[MAX_CRITERIA];
	memcpy(w, s->w, k * sizeof(*w));
	int raw = s->wmethod != CPC_WEIGHTS_GIVEN;
	if (raw) {
		for (size_t j = 0; j < k; j++) {
			double *v = x + j * n;
			for (size_t i = 0; i < m; i++)
				v[i] = v[ids[i]];
		}
		rc = cpc_weights_resolve_at(h, cohort, s->wmethod, x, m, k, 1, n,
		                            ids, s->cost, s->ind, w, err,
		                            errlen);
		if (rc)
			goto out;
	}
	/* The flows add up in out[] itself: no copy, and out[] keeps NaN
	 * where a cluster has no score. */
	for (size_t i = 0; i < m; i++)
		out[ids[i]] = 0;
	for (size_t j = 0; j < k; j++) {
		double *v = x + j * n;
		if (raw) {
			if (s->cost[j])
				for (size_t i = 0; i < m; i++)
					v[i] = -v[i];
		} else {
			for (size_t i = 0; i < m; i++)
				v[i] = s->cost[j] ? -v[ids[i]] : v[ids[i]];
		}
		pm_flow_add(&s->crit[j], v, ids, m, w[j], out, scratch);
	}
out:
	cp_free(h, scratch);
	cp_free(h, ids);
	cp_free(h, x);
	return rc;
}

static const cp_plugin_t desc = {
	CP_PLUGIN_INIT,
	.name = "promethee",
	.version = CLUSTERD_VERSION,
	.kind = CP_QUANTITATIVE,
	.description = "PROMETHEE II net flow over several weighted "
	               "benefit/cost indicators, a preference function each",
	.params = params,
	.init = pm_init,
	.score = pm_score,
	.fini = pm_fini,
};

CP_PLUGIN_DEFINE(desc)
