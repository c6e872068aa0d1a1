/* ListStandings page by page into a bump arena: a page of 1,000 standings
 * with their rounds, scores and decisions is some 15,000 allocations with
 * protobuf-c's default allocator; here each is a pointer bump in a block
 * the pager keeps from page to page, and "free" does nothing. */
#include "cc_client.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cc_call_internal.h"

#define ARENA_FIRST (1u << 20)

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
	char *token;           /* the next page's, or NULL before the first */
	int done;
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

cc_standings_pager_t *cc_standings_pager_open(
	cc_client_t *c, const cc_opts_t *o,
	const Clusters__V1__ListStandingsRequest *req)
{
	cc_standings_pager_t *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
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
	ProtobufCMessage *m = NULL;
	*page = NULL;
	p->page = NULL;
	arena_reset(p);
	if (p->done)
		return cc_st_set(st, CC_OK, "%s", "");
	p->req.page_token = p->token ? p->token : "";
	int rc = cc_call_unary_alloc(
		p->c, p->has_o ? &p->o : NULL,
		"/clusters.v1.CompetitionService/ListStandings",
		&p->req.base, &clusters__v1__list_standings_response__descriptor,
		&p->alloc, &m, st);
	if (rc != CC_OK) {
		p->done = 1;
		return rc;
	}
	p->page = (Clusters__V1__ListStandingsResponse *)m;
	free(p->token);
	p->token = NULL;
	if (!p->page->next_page_token || !*p->page->next_page_token)
		p->done = 1;
	else if (!(p->token = strdup(p->page->next_page_token))) {
		p->done = 1;
		p->page = NULL;
		return cc_st_set(st, CC_RESOURCE_EXHAUSTED, "out of memory");
	}
	*page = p->page;
	return CC_OK;
}

void cc_standings_pager_close(cc_standings_pager_t *p)
{
	if (!p)
		return;
	block_t *b = p->blocks;
	while (b) {
		block_t *n = b->next;
		free(b);
		b = n;
	}
	free(p->token);
	free(p);
}
