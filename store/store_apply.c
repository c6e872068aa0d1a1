/*
 * store_apply.c — the batched write path: one write transaction for a batch
 * of operations, dispatched to the cluster and competition ops, with map
 * growth and replay on MDB_MAP_FULL; and the one-operation conveniences.
 */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cd_wire.h"

/* Grow ahead of need once a commit leaves the map this full (percent), so
 * most batches never hit MDB_MAP_FULL and replay. */
#define GROW_AHEAD_PCT 80

/* Grows the map to at least `want` bytes. Caller holds wlock and no
 * transaction of its own. */
static int grow_map(store_t *st, size_t want)
{
	size_t size = st->map_size;
	while (size < want)
		size *= 2;
	if (size > st->map_max)
		size = st->map_max;
	if (size <= st->map_size)
		return CD_ELIMIT;
	pthread_rwlock_wrlock(&st->maplock);
	int rc = mdb_env_set_mapsize(st->env, size);
	pthread_rwlock_unlock(&st->maplock);
	if (rc)
		return CD_EIO;
	st->map_size = size;
	st->grow_count++;
	return CD_OK;
}

static void reset_outputs(store_op_t *op)
{
	store_cluster_free(op->cluster_out);
	store_competition_free(op->competition_out);
	free(op->packed_out);
	op->cluster_out = NULL;
	op->competition_out = NULL;
	op->packed_out = NULL;
	op->packed_out_len = 0;
	op->rc = CD_OK;
	op->created = 0;
	op->err[0] = 0;
}

static int run_ops(store_wctx_t *w, store_op_t *ops, size_t n,
                   const unsigned char *skip)
{
	MDB_val k = {3, "seq"}, v;
	uint64_t seq0;
	int rc = mdb_get(w->txn, w->st->meta, &k, &v);

	if (rc == 0 && v.mv_size == sizeof(uint64_t))
		memcpy(&w->seq, v.mv_data, sizeof(uint64_t));
	else if (rc && rc != MDB_NOTFOUND)
		return rc;
	rc = 0;
	seq0 = w->seq;
	w->data_changed = 0;
	for (size_t i = 0; i < n; i++) {
		if (skip[i])
			continue;
		switch (ops[i].kind) {
		case STORE_CLUSTER_CREATE:
		case STORE_CLUSTER_UPDATE:
		case STORE_CLUSTER_UPSERT:
		case STORE_CLUSTER_DELETE:
			rc = store_cluster_op(w, &ops[i]);
			break;
		case STORE_COMPETITION_CREATE:
		case STORE_COMPETITION_UPDATE:
		case STORE_COMPETITION_DELETE:
			rc = store_competition_op(w, &ops[i]);
			break;
		case STORE_RUN_PUT:
		case STORE_RUN_UPDATE:
		case STORE_RUN_DELETE:
		case STORE_RUN_STANDINGS:
			rc = store_run_op(w, &ops[i]);
			break;
		case STORE_AUDIT_NOTE:
			rc = store_audit_write(w, &ops[i], NULL, ops[i].id, NULL,
			                       NULL, NULL, NULL, ops[i].detail);
			break;
		default:
			ops[i].rc = cd_fail(ops[i].err, sizeof(ops[i].err),
			                    CD_EINVAL, "unknown operation %d",
			                    (int)ops[i].kind);
			rc = 0;
		}
		if (rc)
			return rc;
	}
	if ((rc = store_idx_flush(w)))
		return rc;
	if (w->data_changed) {
		MDB_val dk = {4, "dver"}, dv;
		uint64_t ver = store_data_version(w->st, w->txn) + 1;
		dv.mv_size = sizeof(ver);
		dv.mv_data = &ver;
		if ((rc = mdb_put(w->txn, w->st->meta, &dk, &dv, 0)))
			return rc;
	}
	if (w->seq != seq0) {
		v.mv_size = sizeof(uint64_t);
		v.mv_data = &w->seq;
		rc = mdb_put(w->txn, w->st->meta, &k, &v, 0);
	}
	return rc;
}

/* Checks that need no transaction, done once (not on every replay). */
static void prevalidate(store_op_t *op)
{
	const char *what = NULL;
	switch (op->kind) {
	case STORE_CLUSTER_CREATE:
	case STORE_CLUSTER_UPSERT:
		if (!op->cluster)
			what = "cluster";
		else if (!op->validated)
			op->rc = store_validate_cluster(op->cluster, op->err,
			                                sizeof(op->err));
		/* The client's bytes are what gets stored: they must hold
		 * nothing the decoded message did not show (a NUL cutting a
		 * string short, a field this schema does not know). */
		if (op->rc == CD_OK && !op->validated && op->packed &&
		    op->packed_len) {
			op->rc = cd_wire_check(&clusters__v1__cluster__descriptor,
			                       op->packed, op->packed_len, NULL, 0,
			                       op->err, sizeof(op->err));
			/* Bytes that are no message at all are not used: the
			 * store encodes the record itself (store_wire.c). */
			if (op->rc == CD_EINVAL) {
				op->rc = CD_OK;
				op->err[0] = '\0';
			}
		}
		break;
	case STORE_CLUSTER_UPDATE:
		if (!op->cluster)
			what = "cluster";
		else
			op->rc = store_validate_id(op->cluster->id, "cluster.id",
			                           op->err, sizeof(op->err));
		break;
	case STORE_COMPETITION_CREATE:
		if (!op->competition)
			what = "competition";
		else
			op->rc = store_validate_competition(op->competition,
			                                    op->err,
			                                    sizeof(op->err));
		break;
	case STORE_COMPETITION_UPDATE:
		/* The merged record is checked in the transaction. */
		if (!op->competition)
			what = "competition";
		else
			op->rc = store_validate_id(op->competition->id,
			                           "competition.id", op->err,
			                           sizeof(op->err));
		break;
	case STORE_RUN_PUT:
	case STORE_RUN_UPDATE:
		if (!op->run)
			what = "run";
		else if ((op->rc = store_validate_id(op->run->id, "run.id",
		                                     op->err,
		                                     sizeof(op->err))) == CD_OK)
			op->rc = store_validate_id(op->run->competition_id,
			                           "run.competition_id", op->err,
			                           sizeof(op->err));
		break;
	case STORE_CLUSTER_DELETE:
	case STORE_COMPETITION_DELETE:
	case STORE_RUN_DELETE:
		op->rc = store_validate_id(op->id, "id", op->err,
		                           sizeof(op->err));
		break;
	case STORE_RUN_STANDINGS:
		if (!op->standings)
			what = "standings";
		else
			op->rc = store_validate_id(op->id, "id", op->err,
			                           sizeof(op->err));
		break;
	case STORE_AUDIT_NOTE:
		/* The resource; longer names would not fit the event. */
		if (!op->id || !*op->id || strlen(op->id) > STORE_ID_MAX)
			what = "id";
		break;
	}
	if (what)
		op->rc = cd_fail(op->err, sizeof(op->err), CD_EINVAL,
		                 "%s: missing", what);
}

int store_apply(store_t *st, store_op_t *ops, size_t n)
{
	struct timespec ts;
	store_wctx_t w = {.st = st};
	unsigned char *skip;
	int rc, resized = 0;
	char msg[256] = "";

	if (n == 0)
		return CD_OK;
	if (st->read_only) {
		for (size_t i = 0; i < n; i++) {
			ops[i].cluster_out = NULL;
			ops[i].competition_out = NULL;
			ops[i].packed_out = NULL;
			reset_outputs(&ops[i]);
			ops[i].rc = cd_fail(ops[i].err, sizeof(ops[i].err),
			                    CD_EPRECONDITION, "the store of data "
			                    "directory %s is open read-only",
			                    st->dir);
		}
		return CD_EPRECONDITION;
	}
	skip = calloc(n, 1);
	if (!skip)
		return CD_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		ops[i].cluster_out = NULL;
		ops[i].competition_out = NULL;
		ops[i].packed_out = NULL;
		reset_outputs(&ops[i]);
		prevalidate(&ops[i]);
		skip[i] = ops[i].rc != CD_OK;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	w.now_sec = ts.tv_sec;
	w.now_nsec = (int32_t)ts.tv_nsec;

	pthread_mutex_lock(&st->wlock);
	for (;;) {
		store_idx_reset(&w.idx);
		w.ccur = NULL;
		w.acur = NULL; /* LMDB closes both with their transaction */
		w.audit_known = 0;
		w.last_known = 0;
		rc = mdb_txn_begin(st->env, NULL, 0, &w.txn);
		if (rc == 0) {
			rc = run_ops(&w, ops, n, skip);
			if (rc == 0)
				rc = mdb_txn_commit(w.txn);
			else
				mdb_txn_abort(w.txn);
		}
		/* Another process (a tool such as mdb_copy or mdb_load)
		 * grew the map past ours: adopt its size and begin again. */
		if (rc == MDB_MAP_RESIZED && resized++ < 3 &&
		    store_map_adopt_locked(st) == 0)
			continue;
		if (rc != MDB_MAP_FULL)
			break;
		/* Nothing of this batch was written: forget its results,
		 * grow and replay it. */
		for (size_t i = 0; i < n; i++)
			if (!skip[i])
				reset_outputs(&ops[i]);
		if (grow_map(st, st->map_size * 2) != CD_OK)
			break;
	}
	if (rc == 0) {
		MDB_envinfo info;
		MDB_stat ms;
		if (mdb_env_info(st->env, &info) == 0 &&
		    mdb_env_stat(st->env, &ms) == 0 &&
		    (info.me_last_pgno + 1) * (size_t)ms.ms_psize * 100 >
		            st->map_size * GROW_AHEAD_PCT)
			grow_map(st, st->map_size * 2);
		store_write_ok(st);
	} else {
		rc = store_write_failed(st, rc, msg, sizeof(msg));
	}
	pthread_mutex_unlock(&st->wlock);
	free(skip);
	store_idx_free(&w.idx);
	free(w.scratch);

	if (rc == 0)
		return CD_OK;
	for (size_t i = 0; i < n; i++) {
		reset_outputs(&ops[i]);
		ops[i].rc = rc;
		snprintf(ops[i].err, sizeof(ops[i].err), "%s", msg);
	}
	return rc;
}

/* One-operation conveniences. */
static int apply_one(store_t *st, store_op_t *op, char *err, size_t errlen)
{
	int rc = store_apply(st, op, 1);
	if (rc == CD_OK)
		rc = op->rc;
	if (rc != CD_OK)
		cd_fail(err, errlen, rc, "%s", op->err);
	return rc;
}

int store_cluster_create(store_t *st, const store_cluster_t *c,
                         store_cluster_t **out, char *err, size_t errlen)
{
	store_op_t op = {.kind = STORE_CLUSTER_CREATE, .cluster = c,
	                 .want_result = out != NULL};
	int rc = apply_one(st, &op, err, errlen);
	if (out)
		*out = op.cluster_out;
	return rc;
}

int store_cluster_update(store_t *st, const store_cluster_t *c,
                         const char *const *mask, size_t mask_len,
                         const char *etag, store_cluster_t **out,
                         char *err, size_t errlen)
{
	store_op_t op = {.kind = STORE_CLUSTER_UPDATE, .cluster = c,
	                 .mask = mask, .mask_len = mask_len, .etag = etag,
	                 .want_result = out != NULL};
	int rc = apply_one(st, &op, err, errlen);
	if (out)
		*out = op.cluster_out;
	return rc;
}

int store_cluster_delete(store_t *st, const char *id, const char *etag,
                         char *err, size_t errlen)
{
	store_op_t op = {.kind = STORE_CLUSTER_DELETE, .id = id, .etag = etag};
	return apply_one(st, &op, err, errlen);
}

int store_competition_create(store_t *st, const store_competition_t *c,
                             store_competition_t **out, char *err,
                             size_t errlen)
{
	store_op_t op = {.kind = STORE_COMPETITION_CREATE, .competition = c,
	                 .want_result = out != NULL};
	int rc = apply_one(st, &op, err, errlen);
	if (out)
		*out = op.competition_out;
	return rc;
}

int store_competition_update(store_t *st, const store_competition_t *c,
                             const char *const *mask, size_t mask_len,
                             const char *etag, store_competition_t **out,
                             char *err, size_t errlen)
{
	store_op_t op = {.kind = STORE_COMPETITION_UPDATE, .competition = c,
	                 .mask = mask, .mask_len = mask_len, .etag = etag,
	                 .want_result = out != NULL};
	int rc = apply_one(st, &op, err, errlen);
	if (out)
		*out = op.competition_out;
	return rc;
}

int store_competition_delete(store_t *st, const char *id, const char *etag,
                             char *err, size_t errlen)
{
	store_op_t op = {.kind = STORE_COMPETITION_DELETE, .id = id,
	                 .etag = etag};
	return apply_one(st, &op, err, errlen);
}

int store_run_put(store_t *st, const store_run_t *run, char *err,
                  size_t errlen)
{
	store_op_t op = {.kind = STORE_RUN_PUT, .run = run};
	return apply_one(st, &op, err, errlen);
}

int store_run_delete(store_t *st, const char *id, char *err, size_t errlen)
{
	store_op_t op = {.kind = STORE_RUN_DELETE, .id = id};
	return apply_one(st, &op, err, errlen);
}

int store_run_update(store_t *st, const store_run_t *run,
                     const char *principal, const char *method, char *err,
                     size_t errlen)
{
	store_op_t op = {.kind = STORE_RUN_UPDATE, .run = run,
	                 .principal = principal, .method = method};
	return apply_one(st, &op, err, errlen);
}
