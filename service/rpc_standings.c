#include "rpc_standings.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "rpc_call.h"
#include "srv_env.h"

/* The reply: the page's bytes (ListStandingsResponse field 1 entries, as
 * stored), then field 2 (next_page_token), built in one pooled block
 * that is sent as it is. */
typedef struct reply {
	uint8_t *buf;
	size_t len;
} reply_t;

static uint8_t *reply_alloc(void *arg, size_t len, const char *next_token)
{
	reply_t *r = arg;
	size_t tl = strlen(next_token), n = len;
	if (len > SIZE_MAX - 16 - tl ||
	    !(r->buf = rpc_call_buf_alloc(len + (tl ? 1 + 10 + tl : 0))))
		return NULL;
	if (tl) {
		r->buf[n++] = 0x12;
		for (size_t v = tl; ; v >>= 7) {
			r->buf[n++] = (uint8_t)(v < 0x80 ? v : (v & 0x7f) | 0x80);
			if (v < 0x80)
				break;
		}
		memcpy(r->buf + n, next_token, tl);
		n += tl;
	}
	/* The store writes the page's len bytes in front of it. */
	r->len = n;
	return r->buf;
}

void rpc_standings_list(rpc_call_t *c)
{
	char err[256] = "";
	srv_env_t *env = rpc_call_env(c);
	Clusters__V1__ListStandingsRequest *req =
		(Clusters__V1__ListStandingsRequest *)rpc_call_decode(
			c, &clusters__v1__list_standings_request__descriptor);
	if (!req)
		return;
	store_standings_filter_t f = {
		.round = req->round,
		.selected = req->selected ? req->selected->value != 0 : -1,
		.economy = req->economy,
		.region = req->region,
		.industry = req->industry,
		.min_rank = req->min_rank,
		.max_rank = req->max_rank,
		.cluster_ids = (const char *const *)req->cluster_ids,
		.n_cluster_ids = req->n_cluster_ids,
	};
	int rc = rpc_call_page_size(req->page_size, err, sizeof(err));
	if (rc == CD_OK)
		rc = store_standings_filter_check(&f, err, sizeof(err));
	if (rpc_call_refuse(c, rc, err, &req->base))
		return;
	store_standings_page_t pg;
	reply_t r = {NULL, 0};
	rc = store_standings_list_to(env->store, req->run_id, &f,
	                             (size_t)req->page_size, req->page_token,
	                             reply_alloc, &r, &pg, err, sizeof(err));
	store_standings_page_free(&pg);
	if (rc != CD_OK) {
		rpc_call_buf_free(r.buf);
		rpc_call_refuse(c, rc, err, &req->base);
		return;
	}
	rpc_call_reply_buf(c, r.buf, r.len);
	protobuf_c_message_free_unpacked(&req->base, NULL);
}
