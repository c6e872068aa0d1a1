/*
 * st_output — the science-and-technology cluster score of the WIPO Global
 * Innovation Index: a cluster's share of all patent applications plus its
 * share of all scientific publications, in percentage points,
 *   score = 100 * a / SUM(A) + 100 * b / SUM(B),
 * with a and b summed over a window of years. SUM(A) and SUM(B) are the
 * cohort's sums unless reference (world) totals are given, as the
 * published ranking uses. Intensity mode scores (a + b) per `per`
 * inhabitants instead.
 *
 * Thread-safety: no globals; the state is read-only after init.
 */
#include <math.h>
#include <string.h>

#include "clusterplugin.h"
#include "cpc_values.h"

static const char *const modes[] = { "output", "intensity", NULL };
static const char *const missing_modes[] = { "skip", "zero", NULL };

static const cp_param_spec_t params[] = {
	{ .name = "indicator_a", .type = CP_PARAM_STRING,
	  .default_value = "pct_applications",
	  .description = "first output indicator (patent applications)",
	  .names = CP_NAMES_INDICATOR },
	{ .name = "indicator_b", .type = CP_PARAM_STRING,
	  .default_value = "scientific_publications",
	  .description = "second output indicator (publications)",
	  .names = CP_NAMES_INDICATOR },
	CPC_WHEN_SPECS,
	{ .name = "total_a", .type = CP_PARAM_NUMBER,
	  .description = "reference total of indicator_a (e.g. the world's); "
	                 "default: the cohort's sum" },
	{ .name = "total_b", .type = CP_PARAM_NUMBER,
	  .description = "reference total of indicator_b; default: the "
	                 "cohort's sum" },
	{ .name = "mode", .type = CP_PARAM_ENUM, .default_value = "output",
	  .choices = modes,
	  .description = "output: sum of shares; intensity: (a+b) per "
	                 "'per' inhabitants" },
	{ .name = "population", .type = CP_PARAM_STRING,
	  .default_value = "population",
	  .description = "population indicator (intensity mode)",
	  .names = CP_NAMES_INDICATOR },
	{ .name = "per", .type = CP_PARAM_NUMBER, .default_value = "1000",
	  .description = "intensity per this many inhabitants" },
	{ .name = "missing", .type = CP_PARAM_ENUM, .default_value = "skip",
	  .choices = missing_modes,
	  .description = "a cluster lacking one indicator: skip (no score) or "
	                 "count it as zero" },
	{ .name = NULL },
};

typedef struct st_state {
	const char *a, *b, *pop;
	cpc_when_t when;
	double total_a, total_b, per;  /* totals: 0 = cohort sums */
	int intensity, zero_missing;
} st_state_t;

static int positive_param(const cp_host_t *h, const cp_params_t *p,
                          const char *name, double *out, char *err,
                          size_t errlen)
{
	*out = 0;
	if (cp_param_number(h, p, name, out) != 1)
		return CP_OK;
	if (!(*out > 0))
		return cp_fail(err, errlen, CP_EPARAM, "param '%s' must be > 0",
		               name);
	return CP_OK;
}

static int st_init(const cp_host_t *h, const cp_params_t *p, void **state,
                   char *err, size_t errlen)
{
	st_state_t s = { 0 };
	int rc = cpc_when_parse(h, p, &s.when, err, errlen);
	if (rc)
		return rc;
	s.a = cp_param_get(h, p, "indicator_a");
	s.b = cp_param_get(h, p, "indicator_b");
	s.pop = cp_param_get(h, p, "population");
	if (!*s.a || !*s.b || !*s.pop)
		return cp_fail(err, errlen, CP_EPARAM, "param '%s' is empty",
		               !*s.a ? "indicator_a"
		               : !*s.b ? "indicator_b" : "population");
	if (strcmp(s.a, s.b) == 0)
		return cp_fail(err, errlen, CP_EPARAM, "param 'indicator_b' "
		               "repeats indicator_a '%s'", s.a);
	if ((rc = positive_param(h, p, "total_a", &s.total_a, err, errlen)) ||
	    (rc = positive_param(h, p, "total_b", &s.total_b, err, errlen)) ||
	    (rc = positive_param(h, p, "per", &s.per, err, errlen)))
		return rc;
	s.intensity = strcmp(cp_param_get(h, p, "mode"), "intensity") == 0;
	s.zero_missing = strcmp(cp_param_get(h, p, "missing"), "zero") == 0;
	st_state_t *st = cp_alloc(h, sizeof(*st));
	if (!st)
		return cp_fail(err, errlen, CP_ENOMEM, "out of memory");
	*st = s;
	*state = st;
	return CP_OK;
}

static void st_fini(const cp_host_t *h, void *state)
{
	cp_free(h, state);
}

/* The population for the window: the latest year not after its end. */
static int population(const cp_host_t *h, cp_cluster_t c, const char *name,
                      const cpc_when_t *w, double *pop)
{
	int years[256];
	size_t n = cp_indicator_years(h, c, name, years, 256);
	if (n > 256)
		n = 256;
	int limit = w->mode == CPC_YEAR     ? w->year
	            : w->mode == CPC_WINDOW ? w->to
	                                    : 65535;
	for (size_t i = n; i-- > 0;)
		if (years[i] <= limit)
			return cp_indicator(h, c, name, years[i], pop);
	return 0;
}

static int st_score(const cp_host_t *h, void *state,
                    const cp_cohort_t *cohort, double *out,
                    const char **reasons, size_t n, char *err,
                    size_t errlen)
{
	const st_state_t *s = state;
	double *va = cp_alloc(h, 2 * n * sizeof(*va));
	if (!va)
		return cp_fail(err, errlen, CP_ENOMEM, "out of memory");
	double *vb = va + n;
	char when[32];
	cpc_when_text(&s->when, when, sizeof(when));
	double sum_a = 0, sum_b = 0;
	for (size_t i = 0; i < n; i++) {
		cp_cluster_t c = cp_cohort_at(h, cohort, i);
		size_t ka = cpc_sum(h, c, s->a, &s->when, &va[i]);
		size_t kb = cpc_sum(h, c, s->b, &s->when, &vb[i]);
		if ((!ka && !kb) || ((!ka || !kb) && !s->zero_missing)) {
			reasons[i] = cp_score_string(h, "no '%s' in %s",
			                             !ka ? s->a : s->b, when);
			va[i] = vb[i] = NAN;
			continue;
		}
		if (!ka || !kb)
			reasons[i] = cp_score_string(h, "no '%s' in %s: counted "
			                             "as 0", !ka ? s->a : s->b, when);
		sum_a += va[i];
		sum_b += vb[i];
	}
	int rc = CP_OK;
	if (s->total_a && s->total_a < sum_a)
		rc = cp_fail(err, errlen, CP_EPARAM, "param 'total_a' (%g) is "
		             "smaller than the cohort's sum of '%s' (%g)",
		             s->total_a, s->a, sum_a);
	else if (s->total_b && s->total_b < sum_b)
		rc = cp_fail(err, errlen, CP_EPARAM, "param 'total_b' (%g) is "
		             "smaller than the cohort's sum of '%s' (%g)",
		             s->total_b, s->b, sum_b);
	double ta = s->total_a ? s->total_a : sum_a;
	double tb = s->total_b ? s->total_b : sum_b;
	for (size_t i = 0; !rc && i < n; i++) {
		if (isnan(va[i]))
			continue;
		if (s->intensity) {
			double pop;
			cp_cluster_t c = cp_cohort_at(h, cohort, i);
			if (!population(h, c, s->pop, &s->when, &pop))
				reasons[i] = cp_score_string(h, "no '%s'", s->pop);
			else if (!(pop > 0))
				reasons[i] = cp_score_string(h, "'%s' is %g", s->pop,
				                             pop);
			else
				out[i] = (va[i] + vb[i]) / pop * s->per;
			continue;
		}
		/* A zero total means every cluster has zero: all shares are 0. */
		out[i] = (ta > 0 ? 100 * va[i] / ta : 0) +
		         (tb > 0 ? 100 * vb[i] / tb : 0);
	}
	cp_free(h, va);
	return rc;
}

static const cp_plugin_t desc = {
	CP_PLUGIN_INIT,
	.name = "st_output",
	.version = CLUSTERD_VERSION,
	.kind = CP_QUANTITATIVE,
	.description = "GII science-and-technology output: "
	               "100*a/SUM(A) + 100*b/SUM(B), or intensity per capita",
	.params = params,
	.init = st_init,
	.score = st_score,
	.fini = st_fini,
};

CP_PLUGIN_DEFINE(desc)
