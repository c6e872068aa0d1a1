/* ListStandings page by page into a bump arena: a page of 1,000 standings
 * with their rounds, scores and decisions is some 15,000 allocations with
 * protobuf-c's default allocator; here each is a pointer bump in a block
 * the pager keeps from page to page, and "free" does nothing.
 *
 * Pipelined: a fetch thread makes the calls. As soon as a page's bytes
 * are in, it reads the next_page_token (field 2) from them and asks for
 * the following page, while the caller's thread decodes the one it has:
 * the server prepares page k+1 while the client decodes page k. The
 * fetch thread keeps at most FETCH_AHEAD pages of bytes (in buffers kept
 * from page to page) that the caller has not taken yet. */
#include "cc_client.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cc_call_internal.h"

#define ARENA_FIRST (1u << 20)
#define FETCH_AHEAD 2
#define METHOD "/clusters.v1.CompetitionService/ListStandings"

/* One page's bytes as received, or the failure of its call. */
typedef struct slot {
	uint8_t *buf;
	size_t cap, len;
	int rc;                /* CC_OK, or the call's status */
	cc_status_t st;
	int last;              /* no page follows (or rc failed) */
} slot_t;

typedef struct block {
	struct block *next;
	size_t cap, used;
	max_align_t data[];
} block_t;

struct cc_standings_pager {
	cc_client_t *c;
	cc_opts_t o;
	int has_o;
	Clusters__V1__ListStandingsRequest req;
	char *token;           /* fetch thread: the next page's, or NULL */
	int done;              /* caller: the last page was returned */
	/* Ring of slots: the fetch thread fills slot (head + count) %
	 * FETCH_AHEAD, the caller takes slot head. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	slot_t slots[FETCH_AHEAD];
	unsigned head, count;
	int started, stop, fetch_done;
	pthread_t thread;
	cc_inflight_t fl;
	block_t *blocks;       /* newest first */
	ProtobufCAllocator alloc;
	Clusters__V1__ListStandingsResponse *page;
};

static void *arena_alloc(void *ud, size_t n)
{
	cc_standings_pager_t *p = ud;
	block_t *b = p->blocks;
	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (!b || b->cap - b->used < n) {
		size_t cap = b ? b->cap * 2 : ARENA_FIRST;
		while (cap < n)
			cap *= 2;
		block_t *nb = malloc(sizeof(*nb) + cap);
		if (!nb)
			return NULL;
		nb->cap = cap;
		nb->used = 0;
		nb->next = b;
		p->blocks = b = nb;
	}
	void *r = (char *)b->data + b->used;
	b->used += n;
	return r;
}

static void arena_free(void *ud, void *ptr)
{
	(void)ud;
	(void)ptr;
}

/* Empties the arena, keeping one block as big as all of them were. */
static void arena_reset(cc_standings_pager_t *p)
{
	block_t *b = p->blocks;
	if (!b)
		return;
	if (!b->next) {
		b->used = 0;
		return;
	}
	size_t total = 0;
	while (b) {
		block_t *n = b->next;
		total += b->cap;
		free(b);
		b = n;
	}
	p->blocks = NULL;
	if ((b = malloc(sizeof(*b) + total))) {
		b->cap = total;
		b->used = 0;
		b->next = NULL;
		p->blocks = b;
	}
}

/* The last field 2 (next_page_token) at the top level of a packed
 * ListStandingsResponse, without decoding its standings: *tok and *tl
 * (NULL/0 when absent). -1 when the bytes do not parse. */
static int rd_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t r = 0;
	for (unsigned sh = 0; sh < 64 && *p < end; sh += 7) {
		uint8_t b = *(*p)++;
		r |= (uint64_t)(b & 0x7f) << sh;
		if (!(b & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -1;
}

static int find_token(const uint8_t *b, size_t n, const uint8_t **tok,
                      size_t *tl)
{
	const uint8_t *p = b, *end = b + n;
	uint64_t key, v;
	*tok = NULL;
	*tl = 0;
	while (p < end) {
		if (rd_varint(&p, end, &key))
			return -1;
		switch (key & 7) {
		case 0:
			if (rd_varint(&p, end, &v))
				return -1;
			break;
		case 1:
			if (end - p < 8)
				return -1;
			p += 8;
			break;
		case 5:
			if (end - p < 4)
				return -1;
			p += 4;
			break;
		case 2:
			if (rd_varint(&p, end, &v) || v > (uint64_t)(end - p))
				return -1;
			if (key >> 3 == 2) {
				*tok = p;
				*tl = (size_t)v;
			}
			p += v;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

/* Fetch thread: a call per page, FETCH_AHEAD pages ahead of the caller
 * at most, until the last page, a failure, or close. */
static void *fetch_main(void *arg)
{
	cc_standings_pager_t *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (!p->stop && p->count == FETCH_AHEAD)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		slot_t *sl = &p->slots[(p->head + p->count) % FETCH_AHEAD];
		pthread_mutex_unlock(&p->mu);

		grpc_byte_buffer *bb = NULL;
		p->req.page_token = p->token ? p->token : "";
		sl->len = 0;
		sl->last = 0;
		sl->rc = cc_call_unary_raw(p->c, p->has_o ? &p->o : NULL,
		                           METHOD, &p->req.base, &p->fl, &bb,
		                           &sl->st);
		if (sl->rc == CC_OK) {
			if (cc_bb_copy(bb, &sl->buf, &sl->cap, &sl->len))
				sl->rc = cc_st_set(&sl->st, CC_RESOURCE_EXHAUSTED,
				                   "out of memory");
			grpc_byte_buffer_destroy(bb);
		}
		const uint8_t *tok = NULL;
		size_t tl = 0;
		if (sl->rc == CC_OK && find_token(sl->buf, sl->len, &tok, &tl))
			sl->rc = cc_st_set(&sl->st, CC_INTERNAL,
			                   "%s: response is not a valid %s", METHOD,
			                   clusters__v1__list_standings_response__descriptor.name);
		free(p->token);
		p->token = NULL;
		/* Not strndup: the token ends the buffer, with no NUL after
		 * it to find (strict string checks read for one). */
		if (sl->rc == CC_OK && tl) {
			if (!(p->token = malloc(tl + 1)))
				sl->rc = cc_st_set(&sl->st,
				                   CC_RESOURCE_EXHAUSTED,
				                   "out of memory");
			else {
				memcpy(p->token, tok, tl);
				p->token[tl] = '\0';
			}
		}
		/* A token with a NUL in it is cut there, as protobuf-c would. */
		sl->last = sl->rc != CC_OK || !p->token || !*p->token;

		pthread_mutex_lock(&p->mu);
		p->count++;
		if (sl->last)
			p->fetch_done = 1;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		if (sl->last)
			break;
	}
	return NULL;
}

cc_standings_pager_t *cc_standings_pager_open(
	cc_client_t *c, const cc_opts_t *o,
	const Clusters__V1__ListStandingsRequest *req)
{
	cc_standings_pager_t *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	if (pthread_mutex_init(&p->mu, NULL)) {
		free(p);
		return NULL;
	}
	if (pthread_cond_init(&p->cv, NULL)) {
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;
	}
	if (pthread_mutex_init(&p->fl.mu, NULL)) {
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;
	}
	p->c = c;
	if (o) {
		p->o = *o;
		p->has_o = 1;
	}
	p->req = *req;
	p->alloc.alloc = arena_alloc;
	p->alloc.free = arena_free;
	p->alloc.allocator_data = p;
	return p;
}

int cc_standings_pager_next(cc_standings_pager_t *p,
                            const Clusters__V1__ListStandingsResponse **page,
                            cc_status_t *st)
{
	*page = NULL;
	p->page = NULL;
	arena_reset(p);
	if (p->done)
		return cc_st_set(st, CC_OK, "%s", "");
	if (!p->started) {
		if (pthread_create(&p->thread, NULL, fetch_main, p)) {
			p->done = 1;
			return cc_st_set(st, CC_RESOURCE_EXHAUSTED,
			                 "cannot start the fetch thread");
		}
		p->started = 1;
	}
	pthread_mutex_lock(&p->mu);
	while (p->count == 0)
		pthread_cond_wait(&p->cv, &p->mu);
	slot_t *sl = &p->slots[p->head];
	pthread_mutex_unlock(&p->mu);

	int rc = sl->rc;
	if (st)
		*st = sl->st;
	if (rc == CC_OK) {
		p->page = (Clusters__V1__ListStandingsResponse *)
			protobuf_c_message_unpack(
				&clusters__v1__list_standings_response__descriptor,
				&p->alloc, sl->len, sl->buf);
		if (!p->page)
			rc = cc_st_set(st, CC_INTERNAL,
			               "%s: response is not a valid %s", METHOD,
			               clusters__v1__list_standings_response__descriptor.name);
	}
	if (sl->last || rc != CC_OK)
		p->done = 1;
	/* The page is decoded into the arena: its bytes can go. */
	pthread_mutex_lock(&p->mu);
	p->head = (p->head + 1) % FETCH_AHEAD;
	p->count--;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	if (rc != CC_OK)
		return rc;
	*page = p->page;
	return CC_OK;
}

void cc_standings_pager_close(cc_standings_pager_t *p)
{
	if (!p)
		return;
	if (p->started) {
		pthread_mutex_lock(&p->mu);
		p->stop = 1;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		cc_inflight_cancel(&p->fl);
		pthread_join(p->thread, NULL);
	}
	block_t *b = p->blocks;
	while (b) {
		block_t *n = b->next;
		free(b);
		b = n;
	}
	for (int i = 0; i < FETCH_AHEAD; i++)
		free(p->slots[i].buf);
	pthread_mutex_destroy(&p->fl.mu);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p->token);
	free(p);
}
