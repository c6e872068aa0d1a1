/*
 * specialization — how concentrated a cluster's industry is, as a location
 * quotient against a reference share:
 *   LQ = (employment / total_employment) / reference share of the industry
 *
 * `strong` and `strong10` score 1 or 0 as the US Cluster Mapping project
 * sets strong_b and strong10_b (clustermapping/cmp at f1b2b67,
 * data/processing/cluster_calcs_reducer.js, "reducer" below, and
 * cluster_calcs_mapper.js, "mapper"):
 *  - The percentiles are taken per industry: the reducer groups by
 *    region type, cluster code and year (reducer:19-27), and a cohort here
 *    may mix industries.
 *  - Only clusters with employment > 0 enter them; each of employment,
 *    establishments and LQ is sorted on its own (reducer:35-37). The
 *    project gives every region a record with employment 0 (cmp
 *    create_placeholders.js:33,36), so the zeros stay out.
 *  - Quantiles are d3 v3's (the pipeline pins d3 ^3.5.17 in
 *    data/processing/package.json; d3 src/arrays/quantile.js): R-7, in
 *    d3's order of operations (see d3_quantile). The 25th of employment
 *    and of establishments, the 75th of LQ for strong, the 90th for
 *    strong10 (reducer:38-41).
 *  - strong:   LQ >= P75(LQ) && emp > P25(emp) && est > P25(est) && LQ >= 1
 *    strong10: the same with P90(LQ) (reducer:53-60). Ties at the LQ
 *    percentile pass; ties at the 25th percentiles fail.
 *  - Every cluster of the group is flagged, the zeros too: 0 is never
 *    above a percentile of positive numbers, so they score 0; with a
 *    total of 0 as well their LQ is 0, as the mapper's safeSet makes a
 *    non-finite LQ (mapper:36-42,70). With no cluster above 0 the
 *    percentiles are NaN in d3 and nobody is strong.
 * A value the cluster lacks, or a share that cannot be one (emp < 0, or
 * emp > 0 with total <= 0, which the pipeline never produces), gives no
 * score with the reason and leaves the cluster out, as in lq mode.
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

static const char *const modes[] = { "lq", "strong", "strong10", NULL };

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
	  .description = "lq: the location quotient; strong, strong10: 1/0 "
	                 "by the US Cluster Mapping rule, LQ in the top "
	                 "quarter or the top decile of its industry" },
	{ .name = "establishments", .type = CP_PARAM_STRING,
	  .default_value = "establishments",
	  .description = "establishment count indicator (strong modes)",
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
	double top;  /* the LQ percentile of the strong modes; 0 = lq mode */
} sp_state_t;

/* A cluster's place in the cohort, sorted by industry for the groups. */
typedef struct sp_row {
	const char *industry;
	size_t i;
} sp_row_t;

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
	const char *mode = cp_param_get(h, p, "mode");
	s->top = strcmp(mode, "strong") == 0 ? 0.75
	         : strcmp(mode, "strong10") == 0 ? 0.90 : 0;
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

/* LQ of one cluster, or NaN with a reason; *emp gets the employment. */
static double lq_of(const cp_host_t *h, const sp_state_t *s, cp_cluster_t c,
                    const char *when, double *emp, const char **reason)
{
	double total;
	const char *industry = cp_cluster_industry(h, c);
	double ref = share_of(s, industry);
	if (!(ref > 0)) {
		*reason = cp_score_string(h, "no reference share for industry "
		                          "'%s'", industry);
		return NAN;
	}
	if (!cpc_value(h, c, s->emp, &s->when, emp)) {
		*reason = cp_score_string(h, "no '%s' in %s", s->emp, when);
		return NAN;
	}
	if (!cpc_value(h, c, s->total, &s->when, &total)) {
		*reason = cp_score_string(h, "no '%s' in %s", s->total, when);
		return NAN;
	}
	/* The pipeline's region without traded employment: 0/0, which its
	 * safeSet turns into LQ 0 (mapper:36-42,70); still no LQ in lq mode. */
	if (s->top && *emp == 0 && total == 0)
		return 0;
	if (!(total > 0) || *emp < 0) {
		*reason = cp_score_string(h, "'%s' %g of '%s' %g is no share",
		                          s->emp, *emp, s->total, total);
		return NAN;
	}
	return *emp / total / ref;
}

/* d3 v3's quantile in its own order of operations: H = (n-1)p + 1 rounds,
 * so H - floor(H) is not always (n-1)p - floor((n-1)p) (at p = 0.9 for
 * n = 2, 3, 5, 9, ...), and a threshold must be the same double for the
 * flags to agree. NaN for n = 0, as d3 reads values[-1] then. */
static double d3_quantile(const double *x, size_t n, double p)
{
	if (!n)
		return NAN;
	double H = (double)(n - 1) * p + 1, h = floor(H), e = H - h;
	/* k < n for n > 1 as p < 1; n = 1 gives k = 1, e = 0, no x[k]. */
	size_t k = (size_t)h;
	double v = x[k - 1];
	return e != 0 ? v + e * (x[k] - v) : v;
}

static int cmp_row(const void *a, const void *b)
{
	const sp_row_t *x = a, *y = b;
	int c = strcmp(x->industry, y->industry);
	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* Flags one industry's clusters (rows[0..g)); tmp has room for 3g. */
static void strong_group(const cp_host_t *h, const sp_state_t *s,
                         const sp_row_t *rows, size_t g, const double *lq,
                         const double *emp, const double *est, double *tmp,
                         double *out, const char **reasons)
{
	double *slq = tmp, *semp = tmp + g, *sest = tmp + 2 * g;
	size_t m = 0;
	for (size_t j = 0; j < g; j++) {
		size_t i = rows[j].i;
		if (isnan(lq[i]) || !(emp[i] > 0))
			continue;
		slq[m] = lq[i];
		semp[m] = emp[i];
		sest[m++] = est[i];
	}
	qsort(slq, m, sizeof(*slq), cpc_cmp_double);
	qsort(semp, m, sizeof(*semp), cpc_cmp_double);
	qsort(sest, m, sizeof(*sest), cpc_cmp_double);
	double plq = d3_quantile(slq, m, s->top);
	double pemp = d3_quantile(semp, m, 0.25);
	double pest = d3_quantile(sest, m, 0.25);
	const char *nth = s->top == 0.75 ? "75th" : "90th";
	for (size_t j = 0; j < g; j++) {
		size_t i = rows[j].i;
		if (isnan(lq[i]))
			continue;
		int strong = 0;
		if (!m)
			reasons[i] = cp_score_string(h, "no cluster of industry '%s' "
			                             "has '%s' above 0",
			                             rows[j].industry, s->emp);
		else if (!(lq[i] >= plq && lq[i] >= 1))
			reasons[i] = cp_score_string(h, "LQ %.3g below max(1, %s "
			                             "percentile %.3g)", lq[i], nth,
			                             plq);
		else if (!(emp[i] > pemp))
			reasons[i] = cp_score_string(h, "'%s' %g not above the 25th "
			                             "percentile %g", s->emp, emp[i],
			                             pemp);
		else if (!(est[i] > pest))
			reasons[i] = cp_score_string(h, "'%s' %g not above the 25th "
			                             "percentile %g", s->est, est[i],
			                             pest);
		else
			strong = 1;
		out[i] = strong;
	}
}

static int sp_score(const cp_host_t *h, void *state,
                    const cp_cohort_t *cohort, double *out,
                    const char **reasons, size_t n, char *err,
                    size_t errlen)
{
	const sp_state_t *s = state;
	char when[32];
	cpc_when_text(&s->when, when, sizeof(when));
	if (!s->top) {
		double emp;
		for (size_t i = 0; i < n; i++)
			out[i] = lq_of(h, s, cp_cohort_at(h, cohort, i), when, &emp,
			               &reasons[i]);
		return CP_OK;
	}
	/* lq, emp, est per cluster, room for one group's sorted copies, then
	 * the rows (8-byte aligned after the doubles). */
	double *v = cp_alloc(h, n * (6 * sizeof(*v) + sizeof(sp_row_t)));
	if (!v)
		return cp_fail(err, errlen, CP_ENOMEM, "out of memory");
	double *lq = v, *emp = v + n, *est = v + 2 * n;
	sp_row_t *rows = (sp_row_t *)(v + 6 * n);
	for (size_t i = 0; i < n; i++) {
		cp_cluster_t c = cp_cohort_at(h, cohort, i);
		rows[i] = (sp_row_t){ cp_cluster_industry(h, c), i };
		lq[i] = lq_of(h, s, c, when, &emp[i], &reasons[i]);
		if (!isnan(lq[i]) && !cpc_value(h, c, s->est, &s->when, &est[i])) {
			reasons[i] = cp_score_string(h, "no '%s' in %s", s->est,
			                             when);
			lq[i] = NAN;
		}
	}
	qsort(rows, n, sizeof(*rows), cmp_row);
	for (size_t j = 0, k; j < n; j = k) {
		for (k = j + 1; k < n; k++)
			if (strcmp(rows[k].industry, rows[j].industry))
				break;
		strong_group(h, s, rows + j, k - j, lq, emp, est, v + 3 * n, out,
		             reasons);
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
