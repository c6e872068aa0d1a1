/*
 * cpc_weights — the `weights` param of the built-in multi-indicator
 * plugins: a list of numbers, or one of the words equal, entropy, critic
 * and stddev, which derive the weights from the round's cohort when it is
 * scored; and the run note that records the weights a method gave.
 *
 * A method weighs the k columns of an n×k matrix: one row per cluster
 * that has every one of the plugin's k items (indicators), x_ij the value
 * of item j for cluster i. With r_ij the min-max normalised value,
 * (x_ij − min_j)/(max_j − min_j), or (max_j − x_ij)/(max_j − min_j) for a
 * cost item, and σ_j the standard deviation of column j of r:
 *
 *   equal     w_j = 1/k.
 *   entropy   Shannon entropy weights, as pymcdm's entropy_weights: the
 *             normalisation is the sum normalisation of the raw values,
 *             p_ij = x_ij / Σ_i x_ij (no min-max first; direction does
 *             not enter), e_j = −Σ_i p_ij ln p_ij / ln n with 0 ln 0 = 0,
 *             w_j = (1 − e_j) / Σ_l (1 − e_l). Values must be >= 0
 *             (pymcdm wants > 0; a 0 adds nothing to the sum).
 *   critic    CRITIC (Diakoulaki, Mavrotas & Papayannakis 1995, Comput.
 *             Oper. Res. 22(7) 763–770): C_j = σ_j Σ_l (1 − ρ_jl), ρ the
 *             Pearson correlation of columns j and l of r (a cost item's
 *             column flipped, so its correlations change sign), w_j =
 *             C_j / Σ C.
 *   stddev    w_j = σ_j / Σ σ: CRITIC without the correlations. On r, not
 *             on the raw values (pymcdm's standard_deviation_weights takes
 *             σ of x, which depends on each item's unit).
 *
 * σ is the sample standard deviation (n − 1); any constant factor cancels
 * in w. Degenerate data, the same for every method:
 *   - A column with no spread over the n rows (all values equal, all zero
 *     included, or n < 2) carries no information: w_j = 0 (e_j = 1,
 *     σ_j = 0), and CRITIC leaves it out of the other columns' sums (its
 *     correlation is undefined).
 *   - When that leaves every w_j at 0 — no column varies (n < 2 included),
 *     or CRITIC with one varying column or varying columns all perfectly
 *     correlated — the varying columns share the weight equally, or all
 *     k columns when none varies (cpc_weights_info_t.fallback says so).
 *   - entropy over a negative value: CP_EDATA (info.row, info.col say
 *     where).
 * Sums cannot overflow: entropy scales each column by its maximum first,
 * and r is computed as (x/2 − min/2)/(max/2 − min/2).
 *
 * Thread-safety: pure functions on caller memory and the host's read-only
 * views; cpc_weights_resolve records a run note through the host, which
 * may be called from any thread.
 */
#ifndef CPC_WEIGHTS_H
#define CPC_WEIGHTS_H

#include <stddef.h>
#include <stdint.h>

#include "clusterplugin.h"

/* The most items a method weighs (the built-in plugins' own limit). */
#define CPC_WEIGHTS_MAX 64

typedef enum cpc_wmethod {
	CPC_WEIGHTS_GIVEN = 0,    /* numbers in the param, or none: equal */
	CPC_WEIGHTS_EQUAL = 1,
	CPC_WEIGHTS_ENTROPY = 2,
	CPC_WEIGHTS_CRITIC = 3,
	CPC_WEIGHTS_STDDEV = 4
} cpc_wmethod_t;

/* How cpc_weights_compute arrived at the weights. */
typedef enum cpc_wfallback {
	CPC_WEIGHTS_COMPUTED = 0,     /* by the method */
	CPC_WEIGHTS_SHARED = 1,       /* the method gave every column 0: the
	                                 varying ones share equally */
	CPC_WEIGHTS_NONE_VARIES = 2   /* no column varies: all share equally */
} cpc_wfallback_t;

typedef struct cpc_weights_info {
	size_t rows;          /* complete rows the method weighed */
	cpc_wfallback_t fallback;
	size_t row, col;      /* CP_EDATA: the value at fault in x */
} cpc_weights_info_t;

/* "equal", "entropy", "critic", "stddev"; NULL for CPC_WEIGHTS_GIVEN. */
const char *cpc_weights_name(cpc_wmethod_t m);

/* w[0..k) by method m over the n×k row-major matrix x; a row is left out
 * at its first value that is not finite (NaN: a cluster without every
 * item; only the values up to it are read). cost[j] non-zero for a
 * cost item (NULL: all benefit). info may be NULL. CP_OK (the weights sum
 * to 1); CP_EPARAM for CPC_WEIGHTS_GIVEN, an unknown method, k = 0 or
 * k > CPC_WEIGHTS_MAX; CP_EDATA as said above (w[] unspecified). */
int cpc_weights_compute(cpc_wmethod_t m, const double *x, size_t n,
                        size_t k, const int *cost, double *w,
                        cpc_weights_info_t *info);

/* Reads list param `name` (1..max distinct items) into items[0..*k) and
 * the optional list param `weights`: one non-negative number per item
 * (not all 0; default 1 each), normalised to sum to 1, with *method
 * CPC_WEIGHTS_GIVEN; or, when method is not NULL, one of the words equal,
 * entropy, critic, stddev, with *method saying which and w[] 1/k each
 * until cpc_weights_resolve. CP_EPARAM naming the param. With method NULL
 * this is cpc_weighted_list (numbers only). */
int cpc_weights_list(const cp_host_t *h, const cp_params_t *p,
                     const char *name, size_t max, const char **items,
                     double *w, size_t *k, cpc_wmethod_t *method,
                     char *err, size_t errlen);

/* At score time, with x the cohort's n×k matrix (row i cluster i; rows
 * left out as cpc_weights_compute does) and items[] the item names: for
 * a method, computes w[] (cpc_weights_compute) and records the run note
 * "weights": "entropy: x 0.6123, y 0.3877" (4 decimals, items in order,
 * whole names up to CP_NOTE_MAX then how many more; the fallback, if any,
 * said after them). CPC_WEIGHTS_GIVEN leaves w[] and notes nothing.
 * CP_EDATA naming the item and the cluster; CP_EPARAM when k is out of
 * range; the note's failure (CP_ENOMEM, ...) fails the call, except on a
 * server older than SDK 2.1 (no run_note): the weights are used,
 * unrecorded. */
int cpc_weights_resolve(const cp_host_t *h, const cp_cohort_t *cohort,
                        cpc_wmethod_t m, const double *x, size_t n,
                        size_t k, const int *cost,
                        const char *const *items, double *w, char *err,
                        size_t errlen);

/* cpc_weights_resolve over a matrix laid out as x[i * rs + j * cs] (rs
 * k, cs 1: row-major as above; rs 1, cs the column length: by columns)
 * whose row i is the cohort's cluster map[i] (map NULL: cluster i), so
 * that a plugin can pass the matrix of its complete clusters as it keeps
 * it. The same weights, note and errors. */
int cpc_weights_resolve_at(const cp_host_t *h, const cp_cohort_t *cohort,
                           cpc_wmethod_t m, const double *x, size_t n,
                           size_t k, size_t rs, size_t cs,
                           const uint32_t *map, const int *cost,
                           const char *const *items, double *w, char *err,
                           size_t errlen);

#endif
