/*
 * ratio — an example clusterd scoring plugin, built outside the clusterd
 * source tree against the installed SDK only (see Makefile).
 *
 * Scores numerator / denominator, each the cluster's latest value of an
 * indicator, e.g. R&D intensity = rd_investment_cny / revenue_cny.
 * Clusters lacking either value, or with a zero denominator, get no score
 * and a reason.
 *
 * Thread-safety: no globals; the state is read-only after init.
 */
#include <math.h>
#include <string.h>

#include <clusterplugin.h>

static const cp_param_spec_t params[] = {
	{ .name = "numerator", .type = CP_PARAM_STRING,
	  .default_value = "rd_investment_cny",
	  .description = "indicator on top" },
	{ .name = "denominator", .type = CP_PARAM_STRING,
	  .default_value = "revenue_cny",
	  .description = "indicator below" },
	{ .name = "scale", .type = CP_PARAM_NUMBER, .default_value = "100",
	  .description = "multiplier, e.g. 100 for percent" },
	{ .name = NULL },
};

typedef struct ratio_state {
	const char *num, *den;
	double scale;
} ratio_state_t;

static int ratio_init(const cp_host_t *h, const cp_params_t *p, void **state,
                      char *err, size_t errlen)
{
	ratio_state_t *s = cp_alloc(h, sizeof(*s));
	if (!s)
		return cp_fail(err, errlen, CP_ENOMEM, "out of memory");
	s->num = cp_param_get(h, p, "numerator");
	s->den = cp_param_get(h, p, "denominator");
	cp_param_number(h, p, "scale", &s->scale);
	if (strcmp(s->num, s->den) == 0) {
		cp_free(h, s);
		return cp_fail(err, errlen, CP_EPARAM, "param 'denominator' "
		               "equals 'numerator'");
	}
	*state = s;
	return CP_OK;
}

static void ratio_fini(const cp_host_t *h, void *state)
{
	cp_free(h, state);
}

static int ratio_score(const cp_host_t *h, void *state,
                       const cp_cohort_t *cohort, double *out,
                       const char **reasons, size_t n, char *err,
                       size_t errlen)
{
	const ratio_state_t *s = state;
	(void)err;
	(void)errlen;
	for (size_t i = 0; i < n; i++) {
		cp_cluster_t c = cp_cohort_at(h, cohort, i);
		double a, b;
		if (!cp_indicator_latest(h, c, s->num, NULL, &a) ||
		    !cp_indicator_latest(h, c, s->den, NULL, &b))
			reasons[i] = cp_score_string(h, "needs '%s' and '%s'",
			                             s->num, s->den);
		else if (b == 0)
			reasons[i] = cp_score_string(h, "'%s' is 0", s->den);
		else
			out[i] = s->scale * a / b;
	}
	return CP_OK;
}

static const cp_plugin_t desc = {
	CP_PLUGIN_INIT,
	.name = "ratio",
	.version = "1.0.0",
	.kind = CP_QUANTITATIVE,
	.description = "numerator / denominator of two indicators (example)",
	.params = params,
	.init = ratio_init,
	.score = ratio_score,
	.fini = ratio_fini,
};

CP_PLUGIN_DEFINE(desc)
