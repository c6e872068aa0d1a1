/*
 * growth — change of an indicator between two years, or between two
 * windows of `window` years ending at `from` and `to` (each window's value
 * is the mean of the years present in it):
 *   percent: 100 * (end / base - 1)
 *   cagr:    100 * ((end / base)^(1 / (to - from)) - 1)
 * A base <= 0 (or a negative end for cagr) has no meaningful growth: NaN
 * with the reason.
 *
 * Thread-safety: no globals; the state is read-only after init.
 */
#include <math.h>
#include <string.h>

#include "clusterplugin.h"
#include "cpc_values.h"

static const char *const modes[] = { "percent", "cagr", NULL };

static const cp_param_spec_t params[] = {
	{ .name = "indicator", .type = CP_PARAM_STRING, .required = 1,
	  .description = "indicator name", .names = CP_NAMES_INDICATOR },
	{ .name = "from", .type = CP_PARAM_INTEGER, .required = 1,
	  .description = "base year (end of the base window)" },
	{ .name = "to", .type = CP_PARAM_INTEGER, .required = 1,
	  .description = "final year (end of the final window)" },
	{ .name = "window", .type = CP_PARAM_INTEGER, .default_value = "1",
	  .description = "years per window; 1 compares single years" },
	{ .name = "mode", .type = CP_PARAM_ENUM, .default_value = "percent",
	  .choices = modes,
	  .description = "percent change or compound annual growth rate (%)" },
	{ .name = NULL },
};

typedef struct gr_state {
	const char *indicator;
	cpc_when_t base, end;  /* windows */
	int cagr;
} gr_state_t;

static int gr_init(const cp_host_t *h, const cp_params_t *p, void **state,
                   char *err, size_t errlen)
{
	gr_state_t s = { 0 };
	long long from, to, window;
	s.indicator = cp_param_get(h, p, "indicator");
	cp_param_int(h, p, "from", &from);
	cp_param_int(h, p, "to", &to);
	cp_param_int(h, p, "window", &window);
	if (!s.indicator || !*s.indicator)
		return cp_fail(err, errlen, CP_EPARAM,
		               "param 'indicator' is empty");
	if (from < 0 || from > 65535)
		return cp_fail(err, errlen, CP_EPARAM,
		               "param 'from': year %lld outside 0..65535", from);
	if (to <= from || to > 65535)
		return cp_fail(err, errlen, CP_EPARAM,
		               "param 'to' (%lld) must be after 'from' (%lld) "
		               "and at most 65535", to, from);
	if (window < 1 || window > from + 1)
		return cp_fail(err, errlen, CP_EPARAM,
		               "param 'window' must be in 1..%lld", from + 1);
	s.base = (cpc_when_t){ .mode = CPC_WINDOW,
	                       .from = (int)(from - window + 1),
	                       .to = (int)from };
	s.end = (cpc_when_t){ .mode = CPC_WINDOW,
	                      .from = (int)(to - window + 1), .to = (int)to };
	s.cagr = strcmp(cp_param_get(h, p, "mode"), "cagr") == 0;
	gr_state_t *st = cp_alloc(h, sizeof(*st));
	if (!st)
		return cp_fail(err, errlen, CP_ENOMEM, "out of memory");
	*st = s;
	*state = st;
	return CP_OK;
}

static void gr_fini(const cp_host_t *h, void *state)
{
	cp_free(h, state);
}

static int gr_score(const cp_host_t *h, void *state,
                    const cp_cohort_t *cohort, double *out,
                    const char **reasons, size_t n, char *err,
                    size_t errlen)
{
	const gr_state_t *s = state;
	char wb[32], we[32];
	cpc_when_text(&s->base, wb, sizeof(wb));
	cpc_when_text(&s->end, we, sizeof(we));
	(void)err;
	(void)errlen;
	for (size_t i = 0; i < n; i++) {
		cp_cluster_t c = cp_cohort_at(h, cohort, i);
		double base, end;
		if (!cpc_value(h, c, s->indicator, &s->base, &base)) {
			reasons[i] = cp_score_string(h, "no '%s' in %s",
			                             s->indicator, wb);
			continue;
		}
		if (!cpc_value(h, c, s->indicator, &s->end, &end)) {
			reasons[i] = cp_score_string(h, "no '%s' in %s",
			                             s->indicator, we);
			continue;
		}
		if (!(base > 0)) {
			reasons[i] = cp_score_string(h, "base value of '%s' is %g; "
			                             "growth needs a positive base",
			                             s->indicator, base);
			continue;
		}
		if (!s->cagr) {
			out[i] = 100 * (end / base - 1);
			continue;
		}
		if (end < 0) {
			reasons[i] = cp_score_string(h, "final value of '%s' is %g; "
			                             "no growth rate", s->indicator,
			                             end);
			continue;
		}
		out[i] = 100 * (pow(end / base, 1.0 / (s->end.to - s->base.to)) -
		                1);
	}
	return CP_OK;
}

static const cp_plugin_t desc = {
	CP_PLUGIN_INIT,
	.name = "growth",
	.version = CLUSTERD_VERSION,
	.kind = CP_QUANTITATIVE,
	.description = "Change of an indicator between two years or windows: "
	               "percent or compound annual growth rate",
	.params = params,
	.init = gr_init,
	.score = gr_score,
	.fini = gr_fini,
};

CP_PLUGIN_DEFINE(desc)
