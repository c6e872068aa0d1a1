/*
 * mcda — what the mcda plugin's files share: the parsed params (state),
 * the decision matrix of one score() call, and the methods, one file
 * each (mcda_vikor.c, mcda_copras.c, mcda_wpm.c, mcda_spotis.c,
 * mcda_mabac.c, mcda_edas.c). mcda.c reads params and data and calls the
 * method chosen by the `method` param.
 *
 * Every method scores the rows of the matrix (the clusters that have every
 * indicator) so that higher is better, and leaves no NaN or infinity:
 * degenerate data either has a documented score or is refused with
 * CP_EDATA and a message naming the cluster and the indicator.
 *
 * Thread-safety: no globals; the state is read-only after init and the
 * matrix belongs to one score() call.
 */
#ifndef MCDA_H
#define MCDA_H

#include <stddef.h>

#include "clusterplugin.h"
#include "cpc_values.h"
#include "cpc_weights.h"

#define MCDA_MAX_CRITERIA 64

typedef enum mcda_method {
	MCDA_VIKOR = 0,
	MCDA_COPRAS,
	MCDA_WPM,
	MCDA_SPOTIS,
	MCDA_MABAC,
	MCDA_EDAS,
	MCDA_NMETHODS
} mcda_method_t;

typedef struct mcda_state {
	mcda_method_t method;
	size_t k;                           /* criteria */
	const char *ind[MCDA_MAX_CRITERIA];  /* indicator names */
	double w[MCDA_MAX_CRITERIA];        /* >= 0, sum 1 */
	cpc_wmethod_t wmethod;              /* CPC_WEIGHTS_GIVEN: w as given;
	                                       else w is derived per score */
	int cost[MCDA_MAX_CRITERIA];        /* 1: lower is better */
	double v;                           /* VIKOR's strategy weight */
	int bounded;                        /* SPOTIS: lo/hi given */
	double lo[MCDA_MAX_CRITERIA], hi[MCDA_MAX_CRITERIA];
	cpc_when_t when;
} mcda_state_t;

/* The decision matrix: m rows (clusters) of k values, row-major. */
typedef struct mcda_matrix {
	size_t m, k;
	const double *x;
	const char *const *id;  /* each row's cluster id, for messages */
	double *tmp;            /* 2m doubles the method may use */
} mcda_matrix_t;

#define MCDA_X(mx, i, j) ((mx)->x[(i) * (mx)->k + (j)])

/* A method: score[i] for every row i (higher = better) and optionally
 * note[i], the row's reason (NULL-filled; cp_score_string memory). m is at
 * least 1. CP_EDATA with a message when the data cannot be scored. */
typedef int (*mcda_fn)(const cp_host_t *h, const mcda_state_t *s,
                       const mcda_matrix_t *x, double *score,
                       const char **note, char *err, size_t errlen);

int mcda_vikor(const cp_host_t *h, const mcda_state_t *s,
               const mcda_matrix_t *x, double *score, const char **note,
               char *err, size_t errlen);
int mcda_copras(const cp_host_t *h, const mcda_state_t *s,
                const mcda_matrix_t *x, double *score, const char **note,
                char *err, size_t errlen);
int mcda_wpm(const cp_host_t *h, const mcda_state_t *s,
             const mcda_matrix_t *x, double *score, const char **note,
             char *err, size_t errlen);
int mcda_spotis(const cp_host_t *h, const mcda_state_t *s,
                const mcda_matrix_t *x, double *score, const char **note,
                char *err, size_t errlen);
int mcda_mabac(const cp_host_t *h, const mcda_state_t *s,
               const mcda_matrix_t *x, double *score, const char **note,
               char *err, size_t errlen);
int mcda_edas(const cp_host_t *h, const mcda_state_t *s,
              const mcda_matrix_t *x, double *score, const char **note,
              char *err, size_t errlen);

/* Least and greatest value of column j. */
void mcda_col_range(const mcda_matrix_t *x, size_t j, double *lo,
                    double *hi);

/* Which columns mcda_need_min checks. */
typedef enum mcda_cols {
	MCDA_COLS_ALL = 0,
	MCDA_COLS_BENEFIT,
	MCDA_COLS_COST
} mcda_cols_t;

/* Fails with CP_EDATA, naming the cluster and the indicator, when a value
 * in the columns `cols` is not > bound (strict 1) or not >= bound (strict
 * 0); `what` ends the message, saying what the method needs. */
int mcda_need_min(const mcda_state_t *s, const mcda_matrix_t *x,
                  mcda_cols_t cols, double bound, int strict,
                  const char *what, char *err, size_t errlen);

#endif
