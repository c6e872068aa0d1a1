#define _GNU_SOURCE /* pthread_setname_np */
#include "rpc_backup.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "cd_error.h"
#include "clusters/v1/admin.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "log.h"
#include "rpc_call.h"
#include "rpc_write.h"
#include "srv_commit.h"
#include "srv_env.h"

#ifndef CLUSTERD_VERSION
#define CLUSTERD_VERSION "0.0.0"
#endif

/* The backup format of BackupHeader.format (the file's is cd_backup's). */
#define BACKUP_FORMAT 1
/* Room before a chunk's data for its tag and length (a varint of at most
 * three bytes for up to 2^21 - 1 bytes). */
#define CHUNK_PREFIX 4

struct rpc_backups {
	pthread_mutex_t mu;
	pthread_cond_t cv;     /* running went down */
	unsigned running, max;
	unsigned stall_ms;
	int stop;
};

typedef struct bk_job {
	rpc_call_t *call;
	srv_env_t *env;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int sent, sent_ok;     /* the last send's completion */
	int stalled;           /* cancelled: the client took nothing */
	int audit_done;        /* the audit event's commit returned */
	srv_commit_job_t cjob;
	store_op_t op;
	char detail[512];
} bk_job_t;

int rpc_backups_create(rpc_backups_t **out, unsigned max, unsigned stall_ms,
                       char *err, size_t errlen)
{
	*out = NULL;
	rpc_backups_t *b = calloc(1, sizeof(*b));
	if (!b)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	if (pthread_mutex_init(&b->mu, NULL) != 0) {
		free(b);
		return cd_fail(err, errlen, CD_EINTERNAL, "cannot create a "
		               "mutex");
	}
	if (pthread_cond_init(&b->cv, NULL) != 0) {
		pthread_mutex_destroy(&b->mu);
		free(b);
		return cd_fail(err, errlen, CD_EINTERNAL, "cannot create a "
		               "condition variable");
	}
	b->max = max ? max : 1;
	b->stall_ms = stall_ms ? stall_ms : RPC_BACKUP_STALL_MS;
	*out = b;
	return CD_OK;
}

void rpc_backups_drain(rpc_backups_t *b)
{
	if (!b)
		return;
	pthread_mutex_lock(&b->mu);
	b->stop = 1;
	while (b->running)
		pthread_cond_wait(&b->cv, &b->mu);
	pthread_mutex_unlock(&b->mu);
}

void rpc_backups_destroy(rpc_backups_t *b)
{
	if (!b)
		return;
	rpc_backups_drain(b);
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
	free(b);
}

static void backups_end(rpc_backups_t *b)
{
	pthread_mutex_lock(&b->mu);
	b->running--;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
}

/* ----------------------------------------------------------------- sends */

static void on_sent(rpc_call_t *c, int ok)
{
	bk_job_t *j = rpc_call_ctx(c);
	pthread_mutex_lock(&j->mu);
	j->sent = 1;
	j->sent_ok = ok && !rpc_call_cancelled(c);
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
}

/* Sends msg (taken) and waits until it left: one message in flight.
 * 0 when the call is gone (cancelled, deadline, connection), or when the
 * client took nothing for stall_ms (j->stalled; the call is cancelled). */
static int send_wait(bk_job_t *j, uint8_t *msg, size_t len)
{
	unsigned stall_ms = j->env->backups->stall_ms;
	struct timespec dl;
	pthread_mutex_lock(&j->mu);
	j->sent = 0;
	pthread_mutex_unlock(&j->mu);
	if (rpc_call_send(j->call, msg, len, on_sent) != CD_OK)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += stall_ms / 1000;
	dl.tv_nsec += (long)(stall_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&j->mu);
	while (!j->sent && !j->stalled)
		if (pthread_cond_timedwait(&j->cv, &j->mu, &dl) == ETIMEDOUT &&
		    !j->sent)
			j->stalled = 1;
	if (!j->sent) {
		/* The send fails once the call is cancelled. */
		pthread_mutex_unlock(&j->mu);
		char msg2[200];
		snprintf(msg2, sizeof(msg2), "backup stopped: the client took "
		         "nothing for %u ms", stall_ms);
		rpc_call_cancel(j->call, CD_EDEADLINE, msg2);
		pthread_mutex_lock(&j->mu);
		while (!j->sent)
			pthread_cond_wait(&j->cv, &j->mu);
	}
	int ok = j->sent_ok && !j->stalled;
	pthread_mutex_unlock(&j->mu);
	return ok;
}

static uint8_t *pack(const ProtobufCMessage *m, size_t *len)
{
	*len = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(*len ? *len : 1);
	if (buf)
		protobuf_c_message_pack(m, buf);
	return buf;
}

/* ----------------------------------------------------------------- audit */

static void audit_done(srv_commit_job_t *cj, int txn_rc)
{
	bk_job_t *j = cj->arg;
	(void)txn_rc; /* also in op.rc */
	pthread_mutex_lock(&j->mu);
	j->audit_done = 1;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
}

/* The backup's event: submitted once the snapshot is taken, waited for
 * before the trailer. Waiting for the commit right away could deadlock: a
 * write that must grow the map waits for the copy's map lock, and the
 * copy waits for us to read its pipe. On a read-only replica the store
 * takes no writes: the event goes to the log only. */
static int audit_submit(bk_job_t *j, const store_counts_t *sc)
{
	snprintf(j->detail, sizeof(j->detail), "data version %llu; format %d; "
	         "clusters %llu, competitions %llu, runs %llu, audit events "
	         "%llu", (unsigned long long)sc->data_version, BACKUP_FORMAT,
	         (unsigned long long)sc->records[0],
	         (unsigned long long)sc->records[2],
	         (unsigned long long)sc->records[3],
	         (unsigned long long)sc->records[8]);
	if (j->env->read_only) {
		log_msg(LOG_INFO, "audit: Backup of store by %s: %s (read-only "
		        "replica: logged, not stored)",
		        rpc_call_principal(j->call), j->detail);
		j->audit_done = 1;
		return CD_OK;
	}
	j->op.kind = STORE_AUDIT_NOTE;
	j->op.id = "store";
	j->op.detail = j->detail;
	rpc_write_audit(j->call, &j->op);
	j->cjob.ops = &j->op;
	j->cjob.n = 1;
	j->cjob.done = audit_done;
	j->cjob.arg = j;
	if (srv_commit_submit(j->env->commit, &j->cjob) != CD_OK) {
		j->audit_done = 1;
		j->op.rc = CD_EUNAVAIL;
		snprintf(j->op.err, sizeof(j->op.err), "server is shutting "
		         "down");
	}
	return CD_OK;
}

static int audit_wait(bk_job_t *j)
{
	pthread_mutex_lock(&j->mu);
	while (!j->audit_done)
		pthread_cond_wait(&j->cv, &j->mu);
	pthread_mutex_unlock(&j->mu);
	return j->op.rc;
}

/* ---------------------------------------------------------------- backup */

static double since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static int send_header(bk_job_t *j, const store_counts_t *sc, int64_t ns)
{
	Clusters__V1__BackupHeader h = CLUSTERS__V1__BACKUP_HEADER__INIT;
	Clusters__V1__BackupTableCount t[STORE_TABLES];
	Clusters__V1__BackupTableCount *tp[STORE_TABLES];
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	Clusters__V1__BackupChunk ch = CLUSTERS__V1__BACKUP_CHUNK__INIT;
	for (size_t i = 0; i < STORE_TABLES; i++) {
		clusters__v1__backup_table_count__init(&t[i]);
		t[i].table = (char *)sc->table[i];
		t[i].records = sc->records[i];
		tp[i] = &t[i];
	}
	ts.seconds = ns / 1000000000;
	ts.nanos = (int32_t)(ns % 1000000000);
	h.format = BACKUP_FORMAT;
	h.server_version = CLUSTERD_VERSION;
	h.data_version = sc->data_version;
	h.time = &ts;
	h.n_tables = STORE_TABLES;
	h.tables = tp;
	ch.part_case = CLUSTERS__V1__BACKUP_CHUNK__PART_HEADER;
	ch.header = &h;
	size_t len;
	uint8_t *buf = pack(&ch.base, &len);
	return buf ? send_wait(j, buf, len) : 0;
}

/* Puts the chunk's tag and length in front of n bytes read at buf +
 * CHUNK_PREFIX: the BackupChunk is then at buf (the bytes moved down when
 * the length took fewer than three bytes); returns its length. */
static size_t frame_chunk(uint8_t *buf, size_t n)
{
	uint8_t v[4];
	size_t vl = 0, x = n;
	do {
		v[vl] = (uint8_t)(x & 0x7f);
		x >>= 7;
		if (x)
			v[vl] |= 0x80;
		vl++;
	} while (x);
	size_t start = CHUNK_PREFIX - 1 - vl;
	buf[start] = 0x12;   /* field 2 (data), length-delimited */
	memcpy(buf + start + 1, v, vl);
	if (start)
		memmove(buf, buf + start, 1 + vl + n);
	return 1 + vl + n;
}

/* Why a send failed, into err. */
static int stopped(bk_job_t *j, uint64_t bytes, char *err, size_t errlen)
{
	if (j->stalled)
		return cd_fail(err, errlen, CD_EDEADLINE, "backup stopped after "
		               "%llu bytes: the client took nothing for %u ms",
		               (unsigned long long)bytes,
		               j->env->backups->stall_ms);
	return cd_fail(err, errlen, CD_ECANCELLED, "backup stopped after %llu "
	               "bytes: call cancelled or deadline passed",
	               (unsigned long long)bytes);
}

static void *bk_main(void *arg)
{
	bk_job_t *j = arg;
	rpc_call_t *c = j->call;
	rpc_backups_t *reg = j->env->backups;
	store_backup_stream_t *bs = NULL;
	store_counts_t sc;
	int64_t ns = 0;
	char err[512] = "", sha[65] = "";
	uint8_t *buf = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	struct timespec t0;
	/* Named, so that tests and operators can tell a backup's threads
	 * (this one, the copier and LMDB's, which inherit the name below)
	 * from gRPC's own. */
	pthread_setname_np(pthread_self(), "cd-backup");
	uint64_t bytes = 0;
	int rc = CD_OK;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		rc = cd_fail(err, sizeof(err), CD_EINTERNAL, "SHA-256 failed");
		goto out;
	}
	rc = store_backup_open(j->env->store, &bs, &sc, &ns, err, sizeof(err));
	if (rc != CD_OK)
		goto out;
	/* Writes waited for part of this (the copy's first buffer). */
	double pinned = since(&t0);
	audit_submit(j, &sc);
	if (!send_header(j, &sc, ns)) {
		rc = stopped(j, 0, err, sizeof(err));
		goto out;
	}
	for (;;) {
		size_t n;
		if (!(buf = malloc(CHUNK_PREFIX + RPC_BACKUP_CHUNK))) {
			rc = cd_fail(err, sizeof(err), CD_ENOMEM, "out of memory");
			goto out;
		}
		rc = store_backup_read(bs, buf + CHUNK_PREFIX, RPC_BACKUP_CHUNK,
		                       &n, err, sizeof(err));
		if (rc != CD_OK)
			goto out;
		if (n == 0)
			break;
		EVP_DigestUpdate(md, buf + CHUNK_PREFIX, n);
		bytes += n;
		size_t len = frame_chunk(buf, n);
		uint8_t *msg = buf;
		buf = NULL;
		if (!send_wait(j, msg, len)) {
			rc = stopped(j, bytes, err, sizeof(err));
			goto out;
		}
	}
	/* The copy is whole: let writers grow the map again. */
	store_backup_close(bs);
	bs = NULL;
	uint8_t d[32];
	unsigned dl = 0;
	if (!EVP_DigestFinal_ex(md, d, &dl) || dl != 32) {
		rc = cd_fail(err, sizeof(err), CD_EINTERNAL, "SHA-256 failed");
		goto out;
	}
	for (int i = 0; i < 32; i++)
		snprintf(sha + 2 * i, 3, "%02x", d[i]);
	rc = audit_wait(j);
	if (rc != CD_OK) {
		char inner[300];
		snprintf(inner, sizeof(inner), "%s", j->op.err);
		cd_fail(err, sizeof(err), rc, "backup refused: its audit event "
		        "could not be recorded: %s", inner);
		goto out;
	}
	Clusters__V1__BackupTrailer tr = CLUSTERS__V1__BACKUP_TRAILER__INIT;
	Clusters__V1__BackupChunk ch = CLUSTERS__V1__BACKUP_CHUNK__INIT;
	tr.bytes = bytes;
	tr.sha256 = sha;
	ch.part_case = CLUSTERS__V1__BACKUP_CHUNK__PART_TRAILER;
	ch.trailer = &tr;
	size_t len;
	uint8_t *msg = pack(&ch.base, &len);
	if (!msg) {
		rc = cd_fail(err, sizeof(err), CD_ENOMEM, "out of memory");
		goto out;
	}
	/* The trailer and the status in one batch. */
	rpc_call_end(c, CD_OK, NULL, 1, msg, len);
	double secs = since(&t0);
	log_msg(LOG_INFO, "backup: data version %llu for %s: %llu bytes, "
	        "sha256 %s, in %.2f s (%.1f MB/s; snapshot taken in %.1f ms)",
	        (unsigned long long)sc.data_version, rpc_call_principal(c),
	        (unsigned long long)bytes, sha, secs,
	        secs > 0 ? (double)bytes / 1e6 / secs : 0.0, pinned * 1e3);
out:
	store_backup_close(bs);
	free(buf);
	EVP_MD_CTX_free(md);
	if (rc != CD_OK) {
		log_msg(rc == CD_ECANCELLED ? LOG_INFO : LOG_WARN, "backup for "
		        "%s %s: %s", rpc_call_principal(c), rc == CD_ECANCELLED
		        ? "cancelled" : "failed", err);
		rpc_call_fail(c, rc, err);
	}
	/* An event submitted must be done with before j goes. */
	if (j->op.kind == STORE_AUDIT_NOTE)
		audit_wait(j);
	rpc_call_unref(c);
	backups_end(reg);
	return NULL;
}

static void job_free(void *p)
{
	bk_job_t *j = p;
	pthread_cond_destroy(&j->cv);
	pthread_mutex_destroy(&j->mu);
	free(j);
}

void rpc_backup(rpc_call_t *c)
{
	srv_env_t *env = rpc_call_env(c);
	ProtobufCMessage *req = rpc_call_decode(
		c, &clusters__v1__backup_request__descriptor);
	if (!req)
		return;
	protobuf_c_message_free_unpacked(req, NULL);
	rpc_backups_t *reg = env->backups;
	pthread_mutex_lock(&reg->mu);
	int busy = reg->running >= reg->max, stop = reg->stop;
	if (!busy && !stop)
		reg->running++;
	unsigned max = reg->max;
	pthread_mutex_unlock(&reg->mu);
	if (stop) {
		rpc_call_fail(c, CD_EUNAVAIL, "server is shutting down");
		return;
	}
	if (busy) {
		char msg[200];
		snprintf(msg, sizeof(msg), "too many backups: %u running, the "
		         "most this server takes at once (--max-backups); try "
		         "again when one has finished", max);
		rpc_call_fail(c, CD_ELIMIT, msg);
		return;
	}
	bk_job_t *j = calloc(1, sizeof(*j));
	if (!j) {
		backups_end(reg);
		rpc_call_fail(c, CD_ENOMEM, "out of memory");
		return;
	}
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, &ca);
	pthread_condattr_destroy(&ca);
	j->call = c;
	j->env = env;
	/* Freed with the call, after the thread's last reference. */
	rpc_call_set_ctx(c, j, job_free);
	rpc_call_ref(c);
	pthread_attr_t at;
	pthread_t t;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	int e = pthread_create(&t, &at, bk_main, j);
	pthread_attr_destroy(&at);
	if (e) {
		backups_end(reg);
		rpc_call_fail(c, CD_ENOMEM, "cannot start a backup thread");
		rpc_call_unref(c);
	}
}
