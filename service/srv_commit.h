/*
 * srv_commit — group commit. One writer thread takes every write job queued
 * while the previous transaction was committing and applies them all in one
 * store_apply, so N concurrent writers pay for one fsync instead of N. A
 * lone writer finds the writer idle and is committed at once: no timer ever
 * holds a write back.
 *
 * A job's done callback runs on the writer thread after the transaction
 * holding it returned, so a call answered from it is answered only after
 * its data is durable. Callbacks should be quick (encode and send).
 *
 * Thread-safety: srv_commit_submit from any thread, including from a done
 * callback. create/destroy from one controlling thread.
 */
#ifndef SRV_COMMIT_H
#define SRV_COMMIT_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

typedef struct srv_commit srv_commit_t;
typedef struct srv_commit_job srv_commit_job_t;

/* txn_rc: store_apply's result for the transaction; each op's rc says
 * whether that op took effect. */
typedef void (*srv_commit_done_fn)(srv_commit_job_t *job, int txn_rc);

struct srv_commit_job {
	store_op_t *ops;          /* borrowed until done runs */
	size_t n;
	srv_commit_done_fn done;
	void *arg;
	srv_commit_job_t *next;   /* queue link: the committer's */
};

typedef struct srv_commit_stats {
	uint64_t commits;  /* store_apply calls */
	uint64_t jobs;
	uint64_t ops;
} srv_commit_stats_t;

/* max_ops caps one transaction (a single larger job still goes alone);
 * 0 = 4096. */
int srv_commit_create(srv_commit_t **out, store_t *st, size_t max_ops,
                      char *err, size_t errlen);

/* Commits whatever is queued, runs its callbacks, stops the writer.
 * Submissions after this began are refused. NULL is a no-op. */
void srv_commit_destroy(srv_commit_t *cm);

/* Queues job. CD_EUNAVAIL once destroy began (done is then not called). */
int srv_commit_submit(srv_commit_t *cm, srv_commit_job_t *job);

void srv_commit_stats(srv_commit_t *cm, srv_commit_stats_t *out);

/* Every transaction from now on is told to m (srv_metrics_commit): its
 * operations, its time, whether it committed. NULL = none. Call before
 * submitting. */
struct srv_metrics;
void srv_commit_set_metrics(srv_commit_t *cm, struct srv_metrics *m);

#endif
