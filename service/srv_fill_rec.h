/*
 * srv_fill_rec — what both ways of filling the plugin cohort share (the
 * one-thread fill in srv_fill.c and the helper thread of srv_fill_pipe.c):
 * adding one parsed record, a reusable string buffer, and presizing.
 * A file of its own so srv_fill and srv_fill_pipe each depend on it and
 * not on each other.
 *
 * Thread-safety: reentrant; a buffer and a cohort belong to one thread at
 * a time.
 */
#ifndef SRV_FILL_REC_H
#define SRV_FILL_REC_H

#include <stddef.h>

#include "cd_rec.h"
#include "clusters/v1/competitions.pb-c.h"
#include "plugin_cohort.h"

/* After this many clusters the plugin cohort's arrays are sized for the
 * whole snapshot from the indicators seen per cluster so far. */
#define SRV_FILL_SAMPLE 1024

/* A NUL-terminated copy of an assessment's round, reused across
 * records. */
typedef struct srv_fill_buf {
	char *p;
	size_t len, cap;
} srv_fill_buf_t;

void srv_fill_buf_free(srv_fill_buf_t *b);

/* Adds the cluster rec to the plugin cohort pc. def names the rounds an
 * assessment's round may refer to: a number ("2"), or a round's name of def
 * (its position from 1); anything else is round 0. Codes: those of the
 * plugin_cohort_add_* calls (CD_EV_* for data the cohort refuses,
 * CD_ENOMEM, CD_ELIMIT). */
int srv_fill_plugin_rec(plugin_cohort_t *pc, const cd_rec_t *rec,
                        const Clusters__V1__Competition *def,
                        srv_fill_buf_t *buf, char *err, size_t errlen);

/* Once n == SRV_FILL_SAMPLE clusters are in the plugin cohort pc (nind indicators),
 * sizes its arrays for hint clusters (1/16 spare), so they are not regrown
 * (and over-allocated by doubling) a dozen times. Best effort. */
void srv_fill_presize(plugin_cohort_t *pc, size_t n, size_t nind,
                      size_t hint);

#endif
