/*
 * indicator — scores one indicator: a given year, the latest year, or the
 * mean over a window of years. Missing values are left out or imputed with
 * the cohort mean or median; outliers are optionally treated by the
 * JRC/GII rule (cpc_winsorise), with COINr's fallback when winsorising up
 * to the limit leaves skew and kurtosis beyond the thresholds
 * (fallback=log|log_plus: the winsorising is undone and the original
 * values are log-transformed instead, cpc_log_ct, as COINr's Treat with
 * f2 = log_CT or log_CT_plus; recorded as the run note "outliers"). With
 * direction=lower the score is the negated value, so a higher score is
 * always better.
 *
 * Thread-safety: no globals; the state is read-only after init.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "clusterplugin.h"
#include "cpc_stats.h"
#include "cpc_values.h"

enum { MISS_SKIP, MISS_MEAN, MISS_MEDIAN };

static const char *const directions[] = { "higher", "lower", NULL };
static const char *const missing_modes[] = { "skip", "mean", "median", NULL };
enum { FB_NONE, FB_LOG, FB_LOG_PLUS };
static const char *const fallbacks[] = { "none", "log", "log_plus", NULL };

static const cp_param_spec_t params[] = {
	{ .name = "indicator", .type = CP_PARAM_STRING, .required = 1,
	  .description = "indicator name, e.g. rd_investment_cny",
	  .names = CP_NAMES_INDICATOR },
	CPC_WHEN_SPECS,
	{ .name = "direction", .type = CP_PARAM_ENUM, .default_value = "higher",
	  .choices = directions,
	  .description = "higher or lower values are better" },
	{ .name = "missing", .type = CP_PARAM_ENUM, .default_value = "skip",
	  .choices = missing_modes,
	  .description = "skip (no score), or impute the cohort mean/median" },
	{ .name = "winsorise", .type = CP_PARAM_BOOLEAN,
	  .default_value = "false",
	  .description = "treat outliers by the JRC/GII rule" },
	{ .name = "skew_threshold", .type = CP_PARAM_NUMBER,
	  .default_value = "2.25",
	  .description = "winsorise while |skewness| >= this ..." },
	{ .name = "kurtosis_threshold", .type = CP_PARAM_NUMBER,
	  .default_value = "3.5",
	  .description = "... and (excess) kurtosis >= this" },
	{ .name = "max_winsorised", .type = CP_PARAM_INTEGER,
	  .default_value = "5",
	  .description = "at most this many values are winsorised" },
	{ .name = "fallback", .type = CP_PARAM_ENUM, .default_value = "none",
	  .choices = fallbacks,
	  .description = "when winsorising up to max_winsorised leaves the "
	                 "thresholds exceeded: none (keep it), log or "
	                 "log_plus (undo it and log-transform, as COINr's "
	                 "log_CT or log_CT_plus)" },
	{ .name = NULL },
};

typedef struct ind_state {
	const char *indicator;  /* points into the params, which outlive us */
	cpc_when_t when;
	int lower, missing, winsorise, fallback;
	double skew, kurt;
	size_t max_w;
} ind_state_t;

static int ind_init(const cp_host_t *h, const cp_params_t *p, void **state,
                    char *err, size_t errlen)
{
	ind_state_t s = { 0 };
	int rc = cpc_when_parse(h, p, &s.when, err, errlen);
	if (rc)
		return rc;
	s.indicator = cp_param_get(h, p, "indicator");
	if (!s.indicator || !*s.indicator)
		return cp_fail(err, errlen, CP_EPARAM,
		               "param 'indicator' is empty");
	s.lower = strcmp(cp_param_get(h, p, "direction"), "lower") == 0;
	const char *m = cp_param_get(h, p, "missing");
	s.missing = strcmp(m, "mean") == 0     ? MISS_MEAN
	            : strcmp(m, "median") == 0 ? MISS_MEDIAN
	                                       : MISS_SKIP;
	const char *fb = cp_param_get(h, p, "fallback");
	s.fallback = strcmp(fb, "log") == 0        ? FB_LOG
	             : strcmp(fb, "log_plus") == 0 ? FB_LOG_PLUS
	                                           : FB_NONE;
	long long maxw;
	cp_param_bool(h, p, "winsorise", &s.winsorise);
	cp_param_number(h, p, "skew_threshold", &s.skew);
	cp_param_number(h, p, "kurtosis_threshold", &s.kurt);
	cp_param_int(h, p, "max_winsorised", &maxw);
	if (s.skew < 0)
		return cp_fail(err, errlen, CP_EPARAM,
		               "param 'skew_threshold' must be >= 0");
	if (maxw < 0 || maxw > 1000)
		return cp_fail(err, errlen, CP_EPARAM,
		               "param 'max_winsorised' must be in 0..1000");
	s.max_w = (size_t)maxw;
	if (s.fallback != FB_NONE && !s.winsorise)
		return cp_fail(err, errlen, CP_EPARAM, "param 'fallback' applies "
		               "when winsorising: give winsorise=true with it");
	ind_state_t *st = cp_alloc(h, sizeof(*st));
	if (!st)
		return cp_fail(err, errlen, CP_ENOMEM, "out of memory");
	*st = s;
	*state = st;
	return CP_OK;
}

static void ind_fini(const cp_host_t *h, void *state)
{
	cp_free(h, state);
}

/* Outlier treatment of the m present values have[] (in cluster order;
 * v[] per cluster, NaN = none): winsorising, and COINr's fallback. Sets
 * v[] to the treated values and the reasons of the clusters it changes. */
static int treat(const cp_host_t *h, const ind_state_t *s, double *v,
                 double *have, size_t m, size_t n, const char **reasons,
                 char *err, size_t errlen)
{
	int w = cpc_winsorise(have, m, s->skew, s->kurt, s->max_w);
	if (w < 0)
		return cp_fail(err, errlen, CP_ENOMEM, "out of memory");
	double sk, ku;
	if (s->fallback == FB_NONE ||
	    !cpc_outlier_fails(have, m, s->skew, s->kurt, &sk, &ku)) {
		for (size_t i = 0, k = 0; i < n; i++) {
			if (isnan(v[i]))
				continue;
			if (have[k] != v[i])
				reasons[i] = cp_score_string(
					h, "outlier: '%s' %g winsorised to %g",
					s->indicator, v[i], have[k]);
			v[i] = have[k++];
		}
		return CP_OK;
	}
	/* Winsorising w values left skew and kurtosis beyond the
	 * thresholds: as COINr's Treat (combine_treat = FALSE), the
	 * original values are log-transformed instead. */
	for (size_t i = 0, k = 0; i < n; i++)
		if (!isnan(v[i]))
			have[k++] = v[i];
	double shift, a;
	int branch = cpc_log_ct(have, m, s->fallback == FB_LOG_PLUS, &shift,
	                        &a);
	char form[64];
	if (branch > 0)
		snprintf(form, sizeof(form), "log(x - %g + %g)", shift, a);
	else
		snprintf(form, sizeof(form), "-log(%g + %g - x)", shift, a);
	for (size_t i = 0, k = 0; i < n; i++) {
		if (isnan(v[i]))
			continue;
		reasons[i] = cp_score_string(h, "outlier treatment: '%s' %g "
		                             "log-transformed to %g, %s",
		                             s->indicator, v[i], have[k], form);
		v[i] = have[k++];
	}
	double sk2 = NAN, ku2 = NAN;
	cpc_skew_kurt(have, m, &sk2, &ku2);
	int rc = cp_run_note(h, "outliers", "'%s': winsorising %d value%s "
	                     "left skew %.4g, kurtosis %.4g (thresholds %g, "
	                     "%g): the %zu values log-transformed instead, "
	                     "%s (COINr %s); after: skew %.4g, kurtosis %.4g",
	                     s->indicator, w, w == 1 ? "" : "s", sk, ku,
	                     s->skew, s->kurt, m, form,
	                     s->fallback == FB_LOG ? "log_CT" : "log_CT_plus",
	                     sk2, ku2);
	/* A server before SDK 2.1 keeps no notes: the reasons say it. */
	if (rc && CP_HOST_HAS(h, run_note) && h->run_note)
		return cp_fail(err, errlen, rc, "cannot record the outlier "
		               "treatment in the run: %s", cp_code_name(rc));
	return CP_OK;
}

static int ind_score(const cp_host_t *h, void *state,
                     const cp_cohort_t *cohort, double *out,
                     const char **reasons, size_t n, char *err,
                     size_t errlen)
{
	const ind_state_t *s = state;
	double *v = cp_alloc(h, n * sizeof(*v));     /* per cluster, NaN = none */
	double *have = cp_alloc(h, n * sizeof(*have)); /* the present values */
	if (!v || !have) {
		cp_free(h, v);
		cp_free(h, have);
		return cp_fail(err, errlen, CP_ENOMEM, "out of memory");
	}
	char when[32];
	cpc_when_text(&s->when, when, sizeof(when));
	size_t nhave = 0;
	for (size_t i = 0; i < n; i++) {
		cp_cluster_t c = cp_cohort_at(h, cohort, i);
		if (cpc_value(h, c, s->indicator, &s->when, &v[i]))
			have[nhave++] = v[i];
		else
			v[i] = NAN;
	}
	/* Imputation comes before outlier treatment, as in the JRC method:
	 * the imputed values are part of the distribution that is treated. */
	if (s->missing != MISS_SKIP && nhave && nhave < n) {
		double fill = s->missing == MISS_MEAN ? cpc_mean(have, nhave)
		                                      : cpc_median(have, nhave);
		for (size_t i = 0; i < n; i++)
			if (isnan(v[i])) {
				v[i] = fill;
				reasons[i] = cp_score_string(
					h, "no '%s' in %s: imputed the cohort %s %g",
					s->indicator, when,
					s->missing == MISS_MEAN ? "mean" : "median", fill);
			}
	}
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (!isnan(v[i]))
			have[m++] = v[i];
	if (s->winsorise && m >= 4) {
		int rc = treat(h, s, v, have, m, n, reasons, err, errlen);
		if (rc) {
			cp_free(h, v);
			cp_free(h, have);
			return rc;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (isnan(v[i])) {
			reasons[i] = cp_score_string(h, "no '%s' in %s",
			                             s->indicator, when);
			continue;
		}
		out[i] = s->lower ? -v[i] : v[i];
	}
	cp_free(h, v);
	cp_free(h, have);
	return CP_OK;
}

static const cp_plugin_t desc = {
	CP_PLUGIN_INIT,
	.name = "indicator",
	.version = CLUSTERD_VERSION,
	.kind = CP_QUANTITATIVE,
	.description = "One indicator (a year, the latest year or a window "
	               "mean), with imputation and JRC/GII outlier treatment",
	.params = params,
	.init = ind_init,
	.score = ind_score,
	.fini = ind_fini,
};

CP_PLUGIN_DEFINE(desc)
