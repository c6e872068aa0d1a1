#include "rpc_standings.h"

#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "rpc_call.h"
#include "srv_env.h"

/* Appends field 2 (next_page_token) to the page's bytes; the result is a
 * packed ListStandingsResponse, taken by the reply. NULL when out of
 * memory. */
static uint8_t *finish_page(store_standings_page_t *pg, size_t *len)
{
	size_t tl = strlen(pg->next_token), n = pg->len;
	uint8_t *b = realloc(pg->data, n + (tl ? 1 + 10 + tl : 0) + 1);
	if (!b)
		return NULL;
	pg->data = NULL;
	if (tl) {
		b[n++] = 0x12;
		for (size_t v = tl; ; v >>= 7) {
			b[n++] = (uint8_t)(v < 0x80 ? v : (v & 0x7f) | 0x80);
			if (v < 0x80)
				break;
		}
		memcpy(b + n, pg->next_token, tl);
		n += tl;
	}
	*len = n;
	return b;
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
	};
	int rc = rpc_call_page_size(req->page_size, err, sizeof(err));
	if (rc == CD_OK)
		rc = store_standings_filter_check(&f, err, sizeof(err));
	if (rpc_call_refuse(c, rc, err, &req->base))
		return;
	store_standings_page_t pg;
	rc = store_standings_list(env->store, req->run_id, &f,
	                          (size_t)req->page_size, req->page_token, &pg,
	                          err, sizeof(err));
	if (rpc_call_refuse(c, rc, err, &req->base))
		return;
	size_t len = 0;
	uint8_t *resp = finish_page(&pg, &len);
	store_standings_page_free(&pg);
	if (!resp)
		rpc_call_fail(c, CD_ENOMEM, "out of memory");
	else
		rpc_call_reply_packed(c, resp, len);
	protobuf_c_message_free_unpacked(&req->base, NULL);
}
