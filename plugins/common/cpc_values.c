#include "cpc_values.h"

#include <string.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "cpc_weights.h"

/* Years the cohort stores fit in 16 bits (plugin_cohort). */
#define YEAR_MAX 65535

static int year_param(const cp_host_t *h, const cp_params_t *p,
                      const char *name, int *out, int *set, char *err,
                      size_t errlen)
{
	long long v;
	int rc = cp_param_int(h, p, name, &v);
	*set = rc == 1;
	if (rc < 0)
		return cp_fail(err, errlen, CP_EPARAM, "param '%s' is not an "
		               "integer", name);
	if (rc == 1 && (v < 0 || v > YEAR_MAX))
		return cp_fail(err, errlen, CP_EPARAM, "param '%s': year %lld "
		               "outside 0..%d", name, v, YEAR_MAX);
	if (rc == 1)
		*out = (int)v;
	return CP_OK;
}

int cpc_when_parse(const cp_host_t *h, const cp_params_t *p, cpc_when_t *w,
                   char *err, size_t errlen)
{
	int has_year, has_from, has_to, rc;
	w->mode = CPC_LATEST;
	w->year = w->from = w->to = 0;
	if ((rc = year_param(h, p, "year", &w->year, &has_year, err, errlen)) ||
	    (rc = year_param(h, p, "from", &w->from, &has_from, err, errlen)) ||
	    (rc = year_param(h, p, "to", &w->to, &has_to, err, errlen)))
		return rc;
	if (has_year && (has_from || has_to))
		return cp_fail(err, errlen, CP_EPARAM, "param 'year' cannot be "
		               "combined with 'from'/'to'");
	if (has_from != has_to)
		return cp_fail(err, errlen, CP_EPARAM, "param '%s' is required "
		               "with '%s'", has_from ? "to" : "from",
		               has_from ? "from" : "to");
	if (has_from && w->from > w->to)
		return cp_fail(err, errlen, CP_EPARAM, "param 'to' (%d) is before "
		               "'from' (%d)", w->to, w->from);
	if (has_year)
		w->mode = CPC_YEAR;
	else if (has_from)
		w->mode = CPC_WINDOW;
	return CP_OK;
}

const char *cpc_when_text(const cpc_when_t *w, char *buf, size_t len)
{
	if (w->mode == CPC_YEAR)
		snprintf(buf, len, "%d", w->year);
	else if (w->mode == CPC_WINDOW && w->from == w->to)
		snprintf(buf, len, "%d", w->from);
	else if (w->mode == CPC_WINDOW)
		snprintf(buf, len, "%d-%d", w->from, w->to);
	else
		snprintf(buf, len, "any year");
	return buf;
}

size_t cpc_sum(const cp_host_t *h, cp_cluster_t c, const char *name,
               const cpc_when_t *w, double *sum)
{
	double v;
	*sum = 0;
	if (w->mode == CPC_LATEST) {
		if (!cp_indicator_latest(h, c, name, NULL, &v))
			return 0;
		*sum = v;
		return 1;
	}
	if (w->mode == CPC_YEAR) {
		if (!cp_indicator(h, c, name, w->year, &v))
			return 0;
		*sum = v;
		return 1;
	}
	size_t n = 0;
	for (int y = w->from; y <= w->to; y++)
		if (cp_indicator(h, c, name, y, &v)) {
			*sum += v;
			n++;
		}
	return n;
}

int cpc_value(const cp_host_t *h, cp_cluster_t c, const char *name,
              const cpc_when_t *w, double *v)
{
	double sum;
	size_t n = cpc_sum(h, c, name, w, &sum);
	if (!n)
		return 0;
	*v = sum / (double)n;
	return 1;
}

int cpc_number_list(const cp_host_t *h, const cp_params_t *p,
                    const char *name, double *out, size_t n, char *err,
                    size_t errlen)
{
	size_t len = cp_param_list_len(h, p, name);
	if (len != n)
		return cp_fail(err, errlen, CP_EPARAM, "param '%s' has %zu "
		               "items, expected %zu", name, len, n);
	for (size_t i = 0; i < n; i++) {
		const char *s = cp_param_list_at(h, p, name, i);
		char *end;
		errno = 0;
		double v = strtod(s, &end);
		if (end == s || *end || errno == ERANGE || !isfinite(v))
			return cp_fail(err, errlen, CP_EPARAM, "param '%s': item "
			               "'%s' is not a finite number", name, s);
		out[i] = v;
	}
	return CP_OK;
}

int cpc_weighted_list(const cp_host_t *h, const cp_params_t *p,
                      const char *name, size_t max, const char **items,
                      double *w, size_t *k, char *err, size_t errlen)
{
	/* Numbers only: a plugin that takes methods calls cpc_weights_list
	 * itself. */
	return cpc_weights_list(h, p, name, max, items, w, k, NULL, err,
	                        errlen);
}

int cpc_directions(const cp_host_t *h, const cp_params_t *p,
                   const char *name, size_t n, int *cost, char *err,
                   size_t errlen)
{
	for (size_t j = 0; j < n; j++)
		cost[j] = 0;
	if (!cp_param_get(h, p, name))
		return CP_OK;
	size_t len = cp_param_list_len(h, p, name);
	if (len != n)
		return cp_fail(err, errlen, CP_EPARAM, "param '%s' has %zu "
		               "items, expected %zu", name, len, n);
	for (size_t j = 0; j < n; j++) {
		const char *d = cp_param_list_at(h, p, name, j);
		if (strcmp(d, "cost") == 0)
			cost[j] = 1;
		else if (strcmp(d, "benefit") != 0)
			return cp_fail(err, errlen, CP_EPARAM, "param '%s': '%s' "
			               "is neither benefit nor cost", name, d);
	}
	return CP_OK;
}
