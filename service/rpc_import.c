/* While one batch commits the next one fills, so decoding and fsync
 * overlap. The reply goes out only after every batch it counts committed;
 * a stream cut off midway keeps the batches already committed and drops
 * the one being filled, so no record is ever half-written. */
#include "rpc_import.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "cd_wire.h"
#include "rpc_call.h"
#include "rpc_registry.h"
#include "rpc_status.h"
#include "rpc_write.h"
#include "srv_env.h"

#define IMP_MAX_ERRORS 1000

typedef struct imp imp_t;

typedef struct imp_batch {
	srv_commit_job_t job;
	imp_t *imp;
	size_t n;
	store_op_t ops[RPC_IMPORT_BATCH];
	Clusters__V1__Cluster *recs[RPC_IMPORT_BATCH];
	uint8_t *wire[RPC_IMPORT_BATCH];  /* the record as received */
	int64_t index[RPC_IMPORT_BATCH];  /* position in the stream */
} imp_batch_t;

struct imp {
	pthread_mutex_t mu;   /* cq thread vs committer thread */
	rpc_call_t *call;
	imp_batch_t *fill;
	int inflight;         /* a batch is committing */
	int paused;           /* fill is full: receive after the commit */
	int eos;              /* the client half-closed */
	int broken;           /* the stream failed or was cancelled */
	int finished;
	int64_t index, created, updated, rejected;
	Clusters__V1__ImportError *errors[IMP_MAX_ERRORS];
	size_t n_errors;
};

static void batch_free(imp_batch_t *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++) {
		clusters__v1__cluster__free_unpacked(b->recs[i], NULL);
		free(b->wire[i]);
	}
	free(b);
}

static void imp_free(void *p)
{
	imp_t *m = p;
	batch_free(m->fill);
	for (size_t i = 0; i < m->n_errors; i++) {
		free(m->errors[i]->id);
		free(m->errors[i]->field);
		free(m->errors[i]->message);
		free(m->errors[i]);
	}
	pthread_mutex_destroy(&m->mu);
	free(m);
}

static char *clean_dup(const char *s, size_t cap)
{
	char *out = malloc(cap);
	if (out)
		rpc_status_clean(s, out, cap);
	return out;
}

/* Counts a rejected record; describes the first IMP_MAX_ERRORS. */
static void reject(imp_t *m, int64_t index, const char *id, const char *msg)
{
	m->rejected++;
	if (m->n_errors == IMP_MAX_ERRORS)
		return;
	char field[128];
	rpc_registry_field(msg, field, sizeof(field));
	Clusters__V1__ImportError *e = malloc(sizeof(*e));
	if (!e)
		return;
	clusters__v1__import_error__init(e);
	e->index = index;
	e->id = clean_dup(id, STORE_ID_MAX + 1);
	e->field = clean_dup(field, sizeof(field));
	e->message = clean_dup(msg, 300);
	if (!e->id || !e->field || !e->message) {
		free(e->id);
		free(e->field);
		free(e->message);
		free(e);
		return;
	}
	m->errors[m->n_errors++] = e;
}

/* Called with mu held. */
static void finish_ok(imp_t *m)
{
	Clusters__V1__ImportClustersResponse r =
		CLUSTERS__V1__IMPORT_CLUSTERS_RESPONSE__INIT;
	r.created = m->created;
	r.updated = m->updated;
	r.rejected = m->rejected;
	r.n_errors = m->n_errors;
	r.errors = m->errors;
	m->finished = 1;
	rpc_call_reply(m->call, &r.base);
}

/* Called with mu held. */
static void finish_fail(imp_t *m, int code, const char *why)
{
	char msg[512];
	snprintf(msg, sizeof(msg), "%s; %lld records stored before it "
	         "(%lld created, %lld updated)", why,
	         (long long)(m->created + m->updated), (long long)m->created,
	         (long long)m->updated);
	m->finished = 1;
	rpc_call_fail(m->call, code, msg);
}

static void on_msg(rpc_call_t *c, rpc_recv_result res, const uint8_t *buf,
                   size_t len);
static void on_commit(srv_commit_job_t *job, int txn_rc);

static imp_batch_t *batch_new(imp_t *m)
{
	imp_batch_t *b = malloc(sizeof(*b));
	if (b) {
		b->imp = m;
		b->n = 0;
	}
	return b;
}

/* Hands the fill batch to the committer and starts a new one. Called with
 * mu held; 0 on success, else the call has been failed. */
static int submit(imp_t *m)
{
	imp_batch_t *b = m->fill;
	imp_batch_t *nb = batch_new(m);
	if (!nb) {
		finish_fail(m, CD_ENOMEM, "out of memory");
		return -1;
	}
	b->job.ops = b->ops;
	b->job.n = b->n;
	b->job.done = on_commit;
	b->job.arg = b;
	m->fill = nb;
	m->inflight = 1;
	rpc_call_ref(m->call);
	srv_env_t *env = rpc_call_env(m->call);
	if (srv_commit_submit(env->commit, &b->job) != CD_OK) {
		m->inflight = 0;
		batch_free(b);
		finish_fail(m, CD_EUNAVAIL, "server is shutting down");
		rpc_call_unref(m->call);
		return -1;
	}
	return 0;
}

static void receive(imp_t *m)
{
	if (rpc_call_recv(m->call, on_msg) != CD_OK)
		finish_fail(m, CD_EINTERNAL, "cannot receive");
}

/* The stream ended or a commit returned: decide what comes next. Called
 * with mu held, with no receive outstanding. */
static void advance(imp_t *m)
{
	if (m->finished || m->inflight)
		return;
	if (m->broken) {
		finish_fail(m, CD_ECANCELLED, "import stream cut off");
	} else if (m->paused) {
		m->paused = 0;
		if (submit(m) == 0)
			receive(m);
	} else if (m->eos) {
		if (m->fill->n)
			submit(m);
		else
			finish_ok(m);
	}
}

static void add(imp_t *m, const uint8_t *buf, size_t len)
{
	int64_t index = m->index++;
	char err[512];
	int wrc = cd_wire_check(&clusters__v1__cluster__descriptor, buf, len,
	                        NULL, 0, err, sizeof(err));
	if (wrc != CD_OK && wrc != CD_EINVAL) {
		reject(m, index, "", err);
		return;
	}
	Clusters__V1__Cluster *rec = wrc == CD_OK
		? clusters__v1__cluster__unpack(NULL, len, buf) : NULL;
	if (!rec) {
		char msg[768];
		snprintf(msg, sizeof(msg), "record is not a valid "
		         "clusters.v1.Cluster message%s%s",
		         wrc == CD_OK ? "" : ": ", wrc == CD_OK ? "" : err);
		reject(m, index, "", msg);
		return;
	}
	int rc = store_validate_cluster(rec, err, sizeof(err));
	if (rc != CD_OK) {
		reject(m, index, rec->id, err);
		clusters__v1__cluster__free_unpacked(rec, NULL);
		return;
	}
	imp_batch_t *b = m->fill;
	store_op_t *op = &b->ops[b->n];
	memset(op, 0, sizeof(*op));
	op->kind = STORE_CLUSTER_UPSERT;
	op->cluster = rec;
	op->validated = 1;
	rpc_write_audit(m->call, op);  /* one event per record */
	/* The store keeps these bytes as they are rather than encoding the
	 * record again; without a copy it simply encodes. */
	b->wire[b->n] = len ? malloc(len) : NULL;
	if (b->wire[b->n]) {
		memcpy(b->wire[b->n], buf, len);
		op->packed = b->wire[b->n];
		op->packed_len = len;
	}
	b->recs[b->n] = rec;
	b->index[b->n] = index;
	b->n++;
}

static void on_msg(rpc_call_t *c, rpc_recv_result res, const uint8_t *buf,
                   size_t len)
{
	imp_t *m = rpc_call_ctx(c);

	pthread_mutex_lock(&m->mu);
	if (m->finished) {
		pthread_mutex_unlock(&m->mu);
		return;
	}
	if (res == RPC_RECV_MSG) {
		add(m, buf, len);
		if (m->fill->n < RPC_IMPORT_BATCH)
			receive(m);
		else if (m->inflight)
			m->paused = 1; /* back-pressure: one batch in flight */
		else if (submit(m) == 0)
			receive(m);
	} else {
		if (res == RPC_RECV_END)
			m->eos = 1;
		else
			m->broken = 1;
		advance(m);
	}
	pthread_mutex_unlock(&m->mu);
}

static void on_commit(srv_commit_job_t *job, int txn_rc)
{
	imp_batch_t *b = job->arg;
	imp_t *m = b->imp;
	rpc_call_t *c = m->call;

	pthread_mutex_lock(&m->mu);
	m->inflight = 0;
	if (txn_rc != CD_OK) {
		char why[320];
		snprintf(why, sizeof(why), "commit of records %lld..%lld "
		         "failed: %.200s", (long long)b->index[0],
		         (long long)b->index[b->n - 1], b->ops[0].err);
		if (!m->finished)
			finish_fail(m, txn_rc, why);
	} else {
		for (size_t i = 0; i < b->n; i++) {
			store_op_t *op = &b->ops[i];
			if (op->rc != CD_OK)
				reject(m, b->index[i], b->recs[i]->id, op->err);
			else if (op->created)
				m->created++;
			else
				m->updated++;
		}
		advance(m);
	}
	batch_free(b);
	pthread_mutex_unlock(&m->mu);
	rpc_call_unref(c);
}

void rpc_import_clusters(rpc_call_t *c)
{
	imp_t *m = calloc(1, sizeof(*m));
	if (m && !(m->fill = batch_new(m))) {
		free(m);
		m = NULL;
	}
	if (!m) {
		rpc_call_fail(c, CD_ENOMEM, "out of memory");
		return;
	}
	pthread_mutex_init(&m->mu, NULL);
	m->call = c;
	rpc_call_set_ctx(c, m, imp_free);
	pthread_mutex_lock(&m->mu);
	receive(m);
	pthread_mutex_unlock(&m->mu);
}
