#include "srv_commit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cd_error.h"
#include "log.h"
#include "srv_metrics.h"

#define SRV_COMMIT_MAX_OPS 4096

struct srv_commit {
	store_t *st;
	size_t max_ops;
	pthread_t writer;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	srv_commit_job_t *head, *tail;
	int stopping;
	srv_commit_stats_t stats;
	store_op_t *scratch;  /* contiguous ops of a multi-job batch */
	size_t scratch_cap;
	srv_metrics_t *metrics;  /* under mu */
};

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Takes a batch off the queue: at least one job, then more while they fit
 * in max_ops. Called with mu held. */
static srv_commit_job_t *take(srv_commit_t *cm, size_t *nops)
{
	srv_commit_job_t *first = cm->head, *last = first;
	size_t n = first->n;
	while (last->next && n + last->next->n <= cm->max_ops) {
		last = last->next;
		n += last->n;
	}
	cm->head = last->next;
	if (!cm->head)
		cm->tail = NULL;
	last->next = NULL;
	*nops = n;
	return first;
}

static int apply(srv_commit_t *cm, srv_commit_job_t *batch, size_t nops)
{
	if (!batch->next)
		return store_apply(cm->st, batch->ops, batch->n);

	/* store_apply wants one array; copying a few hundred bytes per op is
	 * cheap next to the fsync it saves. */
	if (nops > cm->scratch_cap) {
		store_op_t *p = realloc(cm->scratch, nops * sizeof(*p));
		if (!p)
			return CD_ENOMEM;
		cm->scratch = p;
		cm->scratch_cap = nops;
	}
	size_t k = 0;
	for (srv_commit_job_t *j = batch; j; j = j->next) {
		memcpy(cm->scratch + k, j->ops, j->n * sizeof(store_op_t));
		k += j->n;
	}
	int rc = store_apply(cm->st, cm->scratch, nops);
	k = 0;
	for (srv_commit_job_t *j = batch; j; j = j->next) {
		memcpy(j->ops, cm->scratch + k, j->n * sizeof(store_op_t));
		k += j->n;
	}
	return rc;
}

static void fail_ops(srv_commit_job_t *batch, int rc)
{
	for (srv_commit_job_t *j = batch; j; j = j->next)
		for (size_t i = 0; i < j->n; i++) {
			j->ops[i].rc = rc;
			cd_fail(j->ops[i].err, sizeof(j->ops[i].err), rc,
			        "out of memory grouping writes");
		}
}

static void *writer(void *arg)
{
	srv_commit_t *cm = arg;

	pthread_mutex_lock(&cm->mu);
	for (;;) {
		while (!cm->head && !cm->stopping)
			pthread_cond_wait(&cm->cv, &cm->mu);
		if (!cm->head)
			break; /* stopping and drained */
		size_t nops;
		srv_commit_job_t *batch = take(cm, &nops);
		size_t njobs = 0;
		for (srv_commit_job_t *j = batch; j; j = j->next)
			njobs++;
		srv_metrics_t *metrics = cm->metrics;
		pthread_mutex_unlock(&cm->mu);

		uint64_t t0 = metrics ? now_ns() : 0;
		int rc = apply(cm, batch, nops);
		if (metrics)
			srv_metrics_commit(metrics, nops, now_ns() - t0,
			                   rc == CD_OK);
		if (rc == CD_ENOMEM && batch->next)
			fail_ops(batch, rc);
		if (rc != CD_OK)
			log_msg(LOG_ERROR, "commit of %zu writes failed: %s",
			        nops, cd_err_name(rc));
		while (batch) {
			/* done may free the job, link included. */
			srv_commit_job_t *next = batch->next;
			batch->done(batch, rc);
			batch = next;
		}

		pthread_mutex_lock(&cm->mu);
		cm->stats.commits++;
		cm->stats.jobs += njobs;
		cm->stats.ops += nops;
	}
	pthread_mutex_unlock(&cm->mu);
	return NULL;
}

int srv_commit_create(srv_commit_t **out, store_t *st, size_t max_ops,
                      char *err, size_t errlen)
{
	*out = NULL;
	srv_commit_t *cm = calloc(1, sizeof(*cm));
	if (!cm)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	cm->st = st;
	cm->max_ops = max_ops ? max_ops : SRV_COMMIT_MAX_OPS;
	pthread_mutex_init(&cm->mu, NULL);
	pthread_cond_init(&cm->cv, NULL);
	if (pthread_create(&cm->writer, NULL, writer, cm)) {
		pthread_cond_destroy(&cm->cv);
		pthread_mutex_destroy(&cm->mu);
		free(cm);
		return cd_fail(err, errlen, CD_EINTERNAL, "cannot start the "
		               "writer thread");
	}
	*out = cm;
	return CD_OK;
}

void srv_commit_destroy(srv_commit_t *cm)
{
	if (!cm)
		return;
	pthread_mutex_lock(&cm->mu);
	cm->stopping = 1;
	pthread_cond_signal(&cm->cv);
	pthread_mutex_unlock(&cm->mu);
	pthread_join(cm->writer, NULL);
	pthread_cond_destroy(&cm->cv);
	pthread_mutex_destroy(&cm->mu);
	free(cm->scratch);
	free(cm);
}

int srv_commit_submit(srv_commit_t *cm, srv_commit_job_t *job)
{
	job->next = NULL;
	pthread_mutex_lock(&cm->mu);
	if (cm->stopping) {
		pthread_mutex_unlock(&cm->mu);
		return CD_EUNAVAIL;
	}
	if (cm->tail)
		cm->tail->next = job;
	else
		cm->head = job;
	cm->tail = job;
	pthread_cond_signal(&cm->cv);
	pthread_mutex_unlock(&cm->mu);
	return CD_OK;
}

void srv_commit_stats(srv_commit_t *cm, srv_commit_stats_t *out)
{
	pthread_mutex_lock(&cm->mu);
	*out = cm->stats;
	pthread_mutex_unlock(&cm->mu);
}

void srv_commit_set_metrics(srv_commit_t *cm, struct srv_metrics *m)
{
	pthread_mutex_lock(&cm->mu);
	cm->metrics = m;
	pthread_mutex_unlock(&cm->mu);
}
