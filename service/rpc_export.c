#include "rpc_export.h"

#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "rpc_call.h"
#include "rpc_judge.h"
#include "rpc_registry.h"
#include "srv_env.h"

#define EXP_FULL 0x7fff  /* scan callback: chunk full (not an error) */

typedef struct exp {
	Clusters__V1__ExportClustersRequest *req;
	store_filter_t f;
	store_snap_t *snap;
	uint8_t *bufs[RPC_EXPORT_CHUNK];
	size_t lens[RPC_EXPORT_CHUNK];
	size_t n, pos;
	char last_id[STORE_ID_MAX + 1];
	int eof;
	int scan_rc;
} exp_t;

static void exp_close_snap(exp_t *e)
{
	store_snap_close(e->snap);
	e->snap = NULL;
}

static void exp_free(void *p)
{
	exp_t *e = p;
	exp_close_snap(e);
	for (size_t i = e->pos; i < e->n; i++)
		free(e->bufs[i]);
	if (e->req)
		clusters__v1__export_clusters_request__free_unpacked(e->req,
		                                                      NULL);
	free(e);
}

static int collect(void *arg, const char *id, size_t id_len,
                   const uint8_t *val, size_t val_len)
{
	exp_t *e = arg;
	uint8_t *b = malloc(val_len ? val_len : 1);
	if (!b || id_len > STORE_ID_MAX) {
		free(b);
		return b ? CD_ECORRUPT : CD_ENOMEM;
	}
	memcpy(b, val, val_len);
	e->bufs[e->n] = b;
	e->lens[e->n] = val_len;
	e->n++;
	memcpy(e->last_id, id, id_len);
	e->last_id[id_len] = '\0';
	return e->n == RPC_EXPORT_CHUNK ? EXP_FULL : 0;
}

static int refill(exp_t *e)
{
	e->n = e->pos = 0;
	int rc = store_snap_scan(e->snap, &e->f, e->last_id, collect, e);
	if (rc == EXP_FULL)
		return CD_OK;
	if (rc == CD_OK)
		e->eof = 1;
	return rc;
}

static void on_sent(rpc_call_t *c, int ok);

/* Sends the next cluster or ends the stream. */
static void next(rpc_call_t *c, exp_t *e)
{
	if (e->pos == e->n && !e->eof) {
		int rc = refill(e);
		if (rc != CD_OK) {
			exp_close_snap(e);
			rpc_call_fail(c, rc, "reading the snapshot failed");
			return;
		}
	}
	if (e->pos == e->n) {
		/* Let writers grow the map again as soon as possible. */
		exp_close_snap(e);
		rpc_call_end(c, CD_OK, NULL, 0, NULL, 0);
		return;
	}
	uint8_t *b = e->bufs[e->pos];
	size_t len = e->lens[e->pos];
	e->pos++;
	if (rpc_judge_view_packed(c, &b, &len) != CD_OK) {
		free(b);
		exp_close_snap(e);
		rpc_call_fail(c, CD_ECORRUPT, "a stored cluster did not decode");
		return;
	}
	if (rpc_call_send(c, b, len, on_sent) != CD_OK) {
		exp_close_snap(e);
		rpc_call_fail(c, CD_EINTERNAL, "send failed");
	}
}

static void on_sent(rpc_call_t *c, int ok)
{
	exp_t *e = rpc_call_ctx(c);
	if (!ok || rpc_call_cancelled(c)) {
		/* Client gone or deadline passed: stop reading. */
		exp_close_snap(e);
		rpc_call_fail(c, CD_ECANCELLED, "export stopped: call "
		              "cancelled or deadline passed");
		return;
	}
	next(c, e);
}

void rpc_export_clusters(rpc_call_t *c)
{
	srv_env_t *env = rpc_call_env(c);
	Clusters__V1__ExportClustersRequest *req =
		(Clusters__V1__ExportClustersRequest *)rpc_call_decode(
			c, &clusters__v1__export_clusters_request__descriptor);
	if (!req)
		return;
	char err[256] = "";
	int frc = rpc_registry_economy_filter(
		req->filters ? req->filters->economy : NULL, "filters.economy",
		err, sizeof(err));
	if (rpc_call_refuse(c, frc, err, &req->base))
		return;
	exp_t *e = calloc(1, sizeof(*e));
	if (!e) {
		clusters__v1__export_clusters_request__free_unpacked(req, NULL);
		rpc_call_fail(c, CD_ENOMEM, "out of memory");
		return;
	}
	e->req = req;
	if (req->filters) {
		e->f.economy = req->filters->economy;
		e->f.region = req->filters->region;
		e->f.city = req->filters->city;
		e->f.industry = req->filters->industry;
	}
	rpc_call_set_ctx(c, e, exp_free);
	int rc = store_snap_open(env->store, &e->snap);
	if (rc != CD_OK) {
		rpc_call_fail(c, rc, "cannot open a snapshot of the store");
		return;
	}
	next(c, e);
}
