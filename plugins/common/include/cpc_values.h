/*
 * cpc_values — reading indicator values and common params in the built-in
 * plugins: which year(s) to read (`year`, or `from`/`to`, or the latest),
 * window sums and means, lists of numbers.
 *
 * Thread-safety: pure functions over the host's read-only views.
 */
#ifndef CPC_VALUES_H
#define CPC_VALUES_H

#include <stddef.h>

#include "clusterplugin.h"

typedef enum cpc_when_mode {
	CPC_LATEST = 0,  /* the most recent year the cluster has */
	CPC_YEAR = 1,    /* exactly `year` */
	CPC_WINDOW = 2   /* the years from..to the cluster has */
} cpc_when_mode_t;

typedef struct cpc_when {
	cpc_when_mode_t mode;
	int year, from, to;
} cpc_when_t;

/* Param specs for year/from/to, to paste into a plugin's spec list. */
/* The param specs every multi-indicator plugin (topsis, mcda, promethee)
 * takes: `indicators`, `weights` (numbers or a method: cpc_weights.h),
 * `directions`. */
#define CPC_CRITERIA_SPECS                                                \
	{ .name = "indicators", .type = CP_PARAM_LIST, .required = 1,       \
	  .description = "indicator names, comma-separated",                \
	  .names = CP_NAMES_INDICATOR },                                    \
	{ .name = "weights", .type = CP_PARAM_LIST,                         \
	  .description = "one weight >= 0 per indicator, or equal, "        \
	                 "entropy, critic or stddev (derived from the "     \
	                 "cohort's values and recorded in the run); "       \
	                 "default equal" },                                 \
	{ .name = "directions", .type = CP_PARAM_LIST,                      \
	  .description = "benefit or cost per indicator; default all "      \
	                 "benefit" }

#define CPC_WHEN_SPECS                                                    \
	{ .name = "year", .type = CP_PARAM_INTEGER,                         \
	  .description = "read this year only" },                           \
	{ .name = "from", .type = CP_PARAM_INTEGER,                         \
	  .description = "first year of a window (with 'to')" },            \
	{ .name = "to", .type = CP_PARAM_INTEGER,                           \
	  .description = "last year of a window (with 'from')" }

/* Reads year/from/to: `year` alone, or `from` and `to` together
 * (from <= to), or neither (latest). CP_EPARAM naming the param. */
int cpc_when_parse(const cp_host_t *h, const cp_params_t *p, cpc_when_t *w,
                   char *err, size_t errlen);

/* "2021", "2018-2022" or "the latest year", for reasons. */
const char *cpc_when_text(const cpc_when_t *w, char *buf, size_t len);

/* Sum and count of the cluster's values of `name` in the window (or the
 * single year / latest year). Returns the count (0 = no value). */
size_t cpc_sum(const cp_host_t *h, cp_cluster_t c, const char *name,
               const cpc_when_t *w, double *sum);

/* The value: that year, the latest, or the mean over the window. 1 when
 * there is one. */
int cpc_value(const cp_host_t *h, cp_cluster_t c, const char *name,
              const cpc_when_t *w, double *v);

/* Parses list param `name` as n finite numbers (n must match the list's
 * length). CP_EPARAM naming the param. */
int cpc_number_list(const cp_host_t *h, const cp_params_t *p,
                    const char *name, double *out, size_t n, char *err,
                    size_t errlen);

/* Reads list param `name` (1..max distinct items) into items[0..*k) and
 * the optional list param `weights` (one non-negative number per item,
 * default 1 each, not all 0) into w[], normalised to sum to 1. CP_EPARAM
 * naming the param. cpc_weights_list (cpc_weights.h) also takes the
 * methods (weights=entropy, ...). */
int cpc_weighted_list(const cp_host_t *h, const cp_params_t *p,
                      const char *name, size_t max, const char **items,
                      double *w, size_t *k, char *err, size_t errlen);

/* Reads the optional list param `name` (n items of benefit|cost) into
 * cost[] (1 for cost); absent, every criterion is a benefit. CP_EPARAM
 * naming the param. */
int cpc_directions(const cp_host_t *h, const cp_params_t *p,
                   const char *name, size_t n, int *cost, char *err,
                   size_t errlen);

#endif
