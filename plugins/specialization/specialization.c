/*
 * specialization — how concentrated a cluster's industry is, as a location
 * quotient against a reference share:
 *   LQ = (employment / total_employment) / reference share of the industry
 * In `strong` mode it scores 1 or 0 by the US Cluster Mapping rule: LQ at
 * or above the cohort's 75th percentile and at least 1, employment and
 * establishments above their 25th percentiles (percentiles by linear
 * interpolation, over the clusters that have all three values).
 *
 * Thread-safety: no globals; the state is read-only after init.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clusterplugin.h"
#include "cpc_stats.h"
#include "cpc_values.h"

static const char *const modes[] = { "lq", "strong", NULL };

static const cp_param_spec_t params[] = {
	{ .name = "employment", .type = CP_PARAM_STRING,
	  .default_value = "employment",
	  .description = "the cluster's employment in its industry",
	  .names = CP_NAMES_INDICATOR },
	{ .name = "total_employment", .type = CP_PARAM_STRING,
	  .default_value = "total_employment",
	  .description = "total employment of the cluster's area",
	  .names = CP_NAMES_INDICATOR },
	{ .name = "reference_share", .type = CP_PARAM_NUMBER,
	  .description = "the industry's share of employment in the "
	                 "reference economy, 0 < share <= 1" },
	{ .name = "reference_shares", .type = CP_PARAM_LIST,
	  .description = "per-industry shares, industry:share items; "
	                 "override reference_share" },
	CPC_WHEN_SPECS,
	{ .name = "mode", .type = CP_PARAM_ENUM, .default_value = "lq",
	  .choices = modes,
	  .description = "lq: the location quotient; strong: 1/0 by the US "
	                 "Cluster Mapping rule" },
	{ .name = "establishments", .type = CP_PARAM_STRING,
	  .default_value = "establishments",
	  .description = "establishment count indicator (strong mode)",
	  .names = CP_NAMES_INDICATOR },
	{ .name = NULL },
};

typedef struct sp_share {
	const char *industry;  /* points into the params */
	size_t len;
	double share;
} sp_share_t;

typedef struct sp_state {
	const char *emp, *total, *est;
	cpc_when_t when;
	double share;  /* 0 = none */
	sp_share_t *shares;
	size_t nshares;
	int strong;
} sp_state_t;

static int check_share(double v)
{
	return v > 0 && v <= 1;
}

static int parse_shares(const cp_host_t *h, const cp_params_t *p,
                        sp_state_t *s, char *err, size_t errlen)
{
	size_t n = cp_param_list_len(h, p, "reference_shares");
	if (!n)
		return CP_OK;
	s->shares = cp_alloc(h, n * sizeof(*s->shares));
	if (!s->shares)
		return cp_fail(err, errlen, CP_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *item = cp_param_list_at(h, p, "reference_shares", i);
		const char *colon = strrchr(item, ':');
		char *end;
		errno = 0;
		double v = colon ? strtod(colon + 1, &end) : 0;
		if (!colon || colon == item || end == colon + 1 || *end ||
		    errno || !check_share(v))
			return cp_fail(err, errlen, CP_EPARAM, "param "
			               "'reference_shares': item '%s' is not "
			               "industry:share with 0 < share <= 1", item);
		s->shares[i] = (sp_share_t){ item, (size_t)(colon - item), v };
		s->nshares++;
	}
	return CP_OK;
}

static void sp_fini(const cp_host_t *h, void *state)
{
	sp_state_t *s = state;
	cp_free(h, s->shares);
	cp_free(h, s);
}

static int sp_init(const cp_host_t *h, const cp_params_t *p, void **state,
                   char *err, size_t errlen)
{
	sp_state_t *s = cp_alloc(h, sizeof(*s));
	if (!s)
		return cp_fail(err, errlen, CP_ENOMEM, "out of memory");
	memset(s, 0, sizeof(*s));
	int rc = cpc_when_parse(h, p, &s->when, err, errlen);
	s->emp = cp_param_get(h, p, "employment");
	s->total = cp_param_get(h, p, "total_employment");
	s->est = cp_param_get(h, p, "establishments");
	s->strong = strcmp(cp_param_get(h, p, "mode"), "strong") == 0;
	if (!rc && cp_param_number(h, p, "reference_share", &s->share) == 1 &&
	    !check_share(s->share))
		rc = cp_fail(err, errlen, CP_EPARAM, "param 'reference_share' "
		             "must be in (0, 1]");
	if (!rc)
		rc = parse_shares(h, p, s, err, errlen);
	if (!rc && !s->share && !s->nshares)
		rc = cp_fail(err, errlen, CP_EPARAM, "param 'reference_share' "
		             "or 'reference_shares' is required");
	if (!rc && (!*s->emp || !*s->total || !*s->est))
		rc = cp_fail(err, errlen, CP_EPARAM, "param '%s' is empty",
		             !*s->emp ? "employment"
		             : !*s->total ? "total_employment" : "establishments");
	if (rc) {
		sp_fini(h, s);
		return rc;
	}
	*state = s;
	return CP_OK;
}

static double share_of(const sp_state_t *s, const char *industry)
{
	for (size_t i = 0; i < s->nshares; i++)
		if (strlen(industry) == s->shares[i].len &&
		    strncmp(industry, s->shares[i].industry, s->shares[i].len) == 0)
			return s->shares[i].share;
	return s->share;
}

/* LQ of one cluster, or NaN with a reason. */
static double lq_of(const cp_host_t *h, const sp_state_t *s, cp_cluster_t c,
                    const char *when, const char **reason)
{
	double emp, total;
	const char *industry = cp_cluster_industry(h, c);
	double ref = share_of(s, industry);
	if (!(ref > 0)) {
		*reason = cp_score_string(h, "no reference share for industry "
		                          "'%s'", industry);
		return NAN;
	}
	if (!cpc_value(h, c, s->emp, &s->when, &emp)) {
		*reason = cp_score_string(h, "no '%s' in %s", s->emp, when);
		return NAN;
	}
	if (!cpc_value(h, c, s->total, &s->when, &total)) {
		*reason = cp_score_string(h, "no '%s' in %s", s->total, when);
		return NAN;
	}
	if (!(total > 0) || emp < 0) {
		*reason = cp_score_string(h, "'%s' %g of '%s' %g is no share",
		                          s->emp, emp, s->total, total);
		return NAN;
	}
	return emp / total / ref;
}

static int sp_score(const cp_host_t *h, void *state,
                    const cp_cohort_t *cohort, double *out,
                    const char **reasons, size_t n, char *err,
                    size_t errlen)
{
	const sp_state_t *s = state;
	char when[32];
	cpc_when_text(&s->when, when, sizeof(when));
	if (!s->strong) {
		for (size_t i = 0; i < n; i++)
			out[i] = lq_of(h, s, cp_cohort_at(h, cohort, i), when,
			               &reasons[i]);
		return CP_OK;
	}
	/* lq, emp, est per cluster, then sorted copies for the percentiles. */
	double *v = cp_alloc(h, 6 * n * sizeof(*v));
	if (!v)
		return cp_fail(err, errlen, CP_ENOMEM, "out of memory");
	double *lq = v, *emp = v + n, *est = v + 2 * n;
	double *slq = v + 3 * n, *semp = v + 4 * n, *sest = v + 5 * n;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		cp_cluster_t c = cp_cohort_at(h, cohort, i);
		lq[i] = lq_of(h, s, c, when, &reasons[i]);
		if (isnan(lq[i]))
			continue;
		cpc_value(h, c, s->emp, &s->when, &emp[i]);
		if (!cpc_value(h, c, s->est, &s->when, &est[i])) {
			reasons[i] = cp_score_string(h, "no '%s' in %s", s->est,
			                             when);
			lq[i] = NAN;
			continue;
		}
		slq[m] = lq[i];
		semp[m] = emp[i];
		sest[m++] = est[i];
	}
	qsort(slq, m, sizeof(*slq), cpc_cmp_double);
	qsort(semp, m, sizeof(*semp), cpc_cmp_double);
	qsort(sest, m, sizeof(*sest), cpc_cmp_double);
	double p75 = cpc_quantile_sorted(slq, m, 0.75);
	double p25e = cpc_quantile_sorted(semp, m, 0.25);
	double p25s = cpc_quantile_sorted(sest, m, 0.25);
	for (size_t i = 0; i < n; i++) {
		if (isnan(lq[i]))
			continue;
		int strong = 0;
		if (lq[i] < p75 || lq[i] < 1)
			reasons[i] = cp_score_string(h, "LQ %.3g below max(1, 75th "
			                             "percentile %.3g)", lq[i], p75);
		else if (!(emp[i] > p25e))
			reasons[i] = cp_score_string(h, "'%s' %g not above the 25th "
			                             "percentile %g", s->emp, emp[i],
			                             p25e);
		else if (!(est[i] > p25s))
			reasons[i] = cp_score_string(h, "'%s' %g not above the 25th "
			                             "percentile %g", s->est, est[i],
			                             p25s);
		else
			strong = 1;
		out[i] = strong;
	}
	cp_free(h, v);
	return CP_OK;
}

static const cp_plugin_t desc = {
	CP_PLUGIN_INIT,
	.name = "specialization",
	.version = CLUSTERD_VERSION,
	.kind = CP_QUANTITATIVE,
	.description = "Location quotient of a cluster's industry employment, "
	               "or 1/0 by the US Cluster Mapping strong-cluster rule",
	.params = params,
	.init = sp_init,
	.score = sp_score,
	.fini = sp_fini,
};

CP_PLUGIN_DEFINE(desc)
