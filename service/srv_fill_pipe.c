/* srv_fill_pipe.c — the plugin cohort filled on a helper thread from
 * batches of records the scanning thread has parsed (see srv_fill_pipe.h).
 */
#include "srv_fill_pipe.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "srv_fill_rec.h"

/* A batch: copies of records back to back in bytes (which never move while
 * the batch holds a record, so the readings' spans stay valid) and their
 * readings. */
typedef struct batch {
	uint8_t *bytes;
	size_t len, cap;
	cd_rec_t rec[SRV_FILL_PIPE_RECS];
	size_t n;        /* committed records */
	int full;        /* handed to the helper */
} batch_t;

struct srv_fill_pipe {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	int started, finished;
	batch_t b[SRV_FILL_PIPE_BATCHES];
	size_t w;        /* the batch the scanning thread fills */
	size_t pending;  /* bytes of the record parsed, not yet committed */
	int done;        /* no more batches will come */
	/* The helper's side. */
	plugin_cohort_t *pc;
	const Clusters__V1__Competition *def;
	srv_fill_buf_t buf;
	size_t n, nind, hint;
	int rc;          /* the helper's first failure; it then stops */
	char err[256];
};

static void *helper(void *arg)
{
	srv_fill_pipe_t *p = arg;
	size_t r = 0;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (!p->b[r].full && !p->done)
			pthread_cond_wait(&p->cv, &p->mu);
		int have = p->b[r].full, failed = p->rc != CD_OK;
		pthread_mutex_unlock(&p->mu);
		if (!have)
			return NULL;
		batch_t *b = &p->b[r];
		int rc = CD_OK;
		for (size_t i = 0; !failed && i < b->n && !rc; i++) {
			rc = srv_fill_plugin_rec(p->pc, &b->rec[i], p->def,
			                         &p->buf, p->err, sizeof(p->err));
			if (!rc) {
				p->n++;
				p->nind += b->rec[i].nindicators;
				srv_fill_presize(p->pc, p->n, p->nind, p->hint);
			}
		}
		pthread_mutex_lock(&p->mu);
		if (rc)
			p->rc = rc;
		b->full = 0;
		b->n = 0;
		b->len = 0;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		r = (r + 1) % SRV_FILL_PIPE_BATCHES;
	}
}

int srv_fill_pipe_start(srv_fill_pipe_t **out, plugin_cohort_t *pc,
                        const Clusters__V1__Competition *def, size_t hint,
                        char *err, size_t errlen)
{
	*out = NULL;
	srv_fill_pipe_t *p = calloc(1, sizeof(*p));
	if (!p)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	p->pc = pc;
	p->def = def;
	p->hint = hint;
	for (size_t i = 0; i < SRV_FILL_PIPE_BATCHES; i++) {
		p->b[i].cap = SRV_FILL_PIPE_BYTES;
		if (!(p->b[i].bytes = malloc(p->b[i].cap))) {
			srv_fill_pipe_destroy(p);
			return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
		}
	}
	if (pthread_mutex_init(&p->mu, NULL)) {
		srv_fill_pipe_destroy(p);
		return cd_fail(err, errlen, CD_ENOMEM, "no mutex");
	}
	if (pthread_cond_init(&p->cv, NULL)) {
		pthread_mutex_destroy(&p->mu);
		srv_fill_pipe_destroy(p);
		return cd_fail(err, errlen, CD_ENOMEM, "no condition variable");
	}
	p->started = 1;   /* the mutex and condition exist */
	if (pthread_create(&p->thread, NULL, helper, p)) {
		p->finished = 1;
		srv_fill_pipe_destroy(p);
		return cd_fail(err, errlen, CD_ENOMEM, "no thread for reading");
	}
	*out = p;
	return CD_OK;
}

/* Hands batch w to the helper and waits until the next one is free.
 * Returns the helper's code. */
static int hand_over(srv_fill_pipe_t *p)
{
	pthread_mutex_lock(&p->mu);
	if (p->b[p->w].n) {
		p->b[p->w].full = 1;
		pthread_cond_broadcast(&p->cv);
		p->w = (p->w + 1) % SRV_FILL_PIPE_BATCHES;
	}
	while (p->b[p->w].full && p->rc == CD_OK)
		pthread_cond_wait(&p->cv, &p->mu);
	int rc = p->rc;
	pthread_mutex_unlock(&p->mu);
	return rc;
}

int srv_fill_pipe_add(srv_fill_pipe_t *p, const uint8_t *val, size_t len,
                      const cd_rec_t **rec, char *err, size_t errlen)
{
	batch_t *b = &p->b[p->w];
	if (b->n == SRV_FILL_PIPE_RECS || (b->n && b->len + len > b->cap)) {
		if (hand_over(p))
			return cd_fail(err, errlen, p->rc, "%s", p->err);
		b = &p->b[p->w];
	}
	if (len > b->cap) {
		/* Only an empty batch regrows: no reading points into it. */
		uint8_t *nb = realloc(b->bytes, len);
		if (!nb)
			return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
		b->bytes = nb;
		b->cap = len;
	}
	uint8_t *copy = b->bytes + b->len;
	if (len)
		memcpy(copy, val, len);
	int rc = cd_rec_parse(&b->rec[b->n], copy, len);
	if (rc)
		return rc == CD_ECORRUPT ? rc
		       : cd_fail(err, errlen, rc, "out of memory");
	p->pending = len;
	*rec = &b->rec[b->n];
	return CD_OK;
}

void srv_fill_pipe_commit(srv_fill_pipe_t *p)
{
	batch_t *b = &p->b[p->w];
	b->len += p->pending;
	b->n++;
	p->pending = 0;
}

int srv_fill_pipe_finish(srv_fill_pipe_t *p, char *err, size_t errlen)
{
	if (!p->finished) {
		(void)hand_over(p);
		pthread_mutex_lock(&p->mu);
		p->done = 1;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		pthread_join(p->thread, NULL);
		p->finished = 1;
	}
	if (p->rc)
		return cd_fail(err, errlen, p->rc, "%s", p->err);
	return CD_OK;
}

void srv_fill_pipe_destroy(srv_fill_pipe_t *p)
{
	if (!p)
		return;
	if (p->started) {
		char err[8];
		(void)srv_fill_pipe_finish(p, err, sizeof(err));
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
	}
	for (size_t i = 0; i < SRV_FILL_PIPE_BATCHES; i++) {
		free(p->b[i].bytes);
		for (size_t k = 0; k < SRV_FILL_PIPE_RECS; k++)
			cd_rec_free(&p->b[i].rec[k]);
	}
	srv_fill_buf_free(&p->buf);
	free(p);
}
