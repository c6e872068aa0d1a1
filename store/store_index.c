/*
 * store_index.c — secondary index entries of a write batch. Entries are
 * collected while the batch's operations run and written at the end in key
 * order through one cursor: LMDB then finds each next key on the leaf page
 * it is already on, which makes index writes a fraction of the cost of
 * random-order puts.
 *
 * Key layout: field byte, value, 0x00, primary id. Within one key the
 * operations keep their order (a delete of an old entry, then the put of
 * the new one), so the final state is the one the operations imply.
 */
#include "store_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 256;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * elem);
	if (!q)
		return ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

static int add(store_idxbuf_t *b, char field, const char *val, size_t vlen,
               const char *id, size_t idlen, int del)
{
	size_t len = 2 + vlen + idlen;
	if (!vlen)
		return 0;
	if (len > STORE_KEY_MAX)
		return 0; /* validation keeps real records far below this */
	if (grow((void **)&b->arena, &b->arena_cap, b->arena_used + len, 1) ||
	    grow((void **)&b->ents, &b->ents_cap, b->n + 1, sizeof(*b->ents)))
		return ENOMEM;
	char *k = b->arena + b->arena_used;
	k[0] = field;
	memcpy(k + 1, val, vlen);
	k[1 + vlen] = 0;
	memcpy(k + 2 + vlen, id, idlen);
	b->ents[b->n].off = b->arena_used;
	b->ents[b->n].len = (uint32_t)len;
	b->ents[b->n].del = (uint8_t)del;
	b->ents[b->n].seq = (uint32_t)b->n;
	b->n++;
	b->arena_used += len;
	return 0;
}

int store_idx_add(store_idxbuf_t *b, const store_cluster_t *c, int del)
{
	const char *e = c->economy ? c->economy : "";
	size_t idlen = strlen(c->id);
	int rc = 0;

	/* Each part of a cross-border economy, and the whole code. */
	if (strchr(e, '/'))
		for (const char *p = e; *p && !rc;) {
			size_t l = strcspn(p, "/");
			rc = add(b, STORE_IDX_ECONOMY, p, l, c->id, idlen, del);
			p += l + (p[l] == '/');
		}
	if (!rc)
		rc = add(b, STORE_IDX_ECONOMY, e, strlen(e), c->id, idlen, del);
	if (!rc && c->region)
		rc = add(b, STORE_IDX_REGION, c->region, strlen(c->region),
		         c->id, idlen, del);
	for (size_t i = 0; i < c->n_cities && !rc; i++)
		rc = add(b, STORE_IDX_CITY, c->cities[i], strlen(c->cities[i]),
		         c->id, idlen, del);
	if (!rc && c->industry)
		rc = add(b, STORE_IDX_INDUSTRY, c->industry, strlen(c->industry),
		         c->id, idlen, del);
	return rc;
}

/* Sorting all entries of a big batch by whole key costs more than the
 * puts it speeds up. Entries share few distinct (field, value) prefixes, and
 * within one prefix they usually arrive in id order already. So: group by
 * prefix with a hash table, sort the few groups, and sort inside a group
 * only when its ids are out of order. */

static const char *sort_arena;  /* qsort has no context argument in C11;
                                 * store_apply is serialised by wlock */
static const struct store_idx_ent *sort_ents;

static size_t prefix_len(const struct store_idx_ent *e)
{
	const char *k = sort_arena + e->off;
	return (size_t)((const char *)memchr(k + 1, 0, e->len - 1) - k) + 1;
}

static int cmp_prefix(const void *a, const void *b)
{
	const struct store_idx_ent *x = &sort_ents[*(const uint32_t *)a];
	const struct store_idx_ent *y = &sort_ents[*(const uint32_t *)b];
	size_t lx = prefix_len(x), ly = prefix_len(y);
	int c = memcmp(sort_arena + x->off, sort_arena + y->off,
	               lx < ly ? lx : ly);
	return c ? c : (lx > ly) - (lx < ly);
}

/* LMDB's order for keys of one prefix (memcmp, shorter first), then
 * operation order. */
static int cmp_key(const void *a, const void *b)
{
	const struct store_idx_ent *x = &sort_ents[*(const uint32_t *)a];
	const struct store_idx_ent *y = &sort_ents[*(const uint32_t *)b];
	size_t l = x->len < y->len ? x->len : y->len;
	int c = memcmp(sort_arena + x->off, sort_arena + y->off, l);
	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static uint32_t hash_prefix(const char *k, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)k[i]) * 16777619u;
	return h;
}

/* Fills order[] with entry indices in key order. */
static int order_entries(store_idxbuf_t *b, uint32_t *order)
{
	size_t n = b->n, cap = 16;
	while (cap < 2 * n)
		cap <<= 1;
	uint32_t *slot = calloc(cap, sizeof(uint32_t));   /* group + 1 */
	uint32_t *grp = malloc(n * sizeof(uint32_t));     /* entry -> group */
	uint32_t *first = malloc(n * sizeof(uint32_t));   /* group -> entry */
	uint32_t *count = calloc(n, sizeof(uint32_t));
	uint32_t *gorder = malloc(n * sizeof(uint32_t));
	uint32_t *start = malloc(n * sizeof(uint32_t));
	size_t ng = 0;
	int rc = 0;

	if (!slot || !grp || !first || !count || !gorder || !start) {
		rc = ENOMEM;
		goto out;
	}
	sort_arena = b->arena;
	sort_ents = b->ents;
	for (size_t i = 0; i < n; i++) {
		const char *k = b->arena + b->ents[i].off;
		size_t pl = prefix_len(&b->ents[i]);
		uint32_t h = hash_prefix(k, pl);
		for (size_t s = h & (cap - 1);; s = (s + 1) & (cap - 1)) {
			if (!slot[s]) {
				first[ng] = (uint32_t)i;
				slot[s] = (uint32_t)++ng;
				grp[i] = (uint32_t)ng - 1;
				break;
			}
			const struct store_idx_ent *f = &b->ents[first[slot[s] - 1]];
			if (prefix_len(f) == pl &&
			    !memcmp(b->arena + f->off, k, pl)) {
				grp[i] = slot[s] - 1;
				break;
			}
		}
		count[grp[i]]++;
	}
	/* Order the groups by prefix (entry indices stand for them). */
	memcpy(gorder, first, ng * sizeof(uint32_t));
	qsort(gorder, ng, sizeof(uint32_t), cmp_prefix);
	size_t pos = 0;
	for (size_t g = 0; g < ng; g++) {
		uint32_t id = grp[gorder[g]];
		start[id] = (uint32_t)pos;
		pos += count[id];
	}
	/* Stable scatter keeps operation order inside each group. */
	for (size_t i = 0; i < n; i++)
		order[start[grp[i]]++] = (uint32_t)i;
	/* start[] now points at each group's end. */
	for (size_t g = 0; g < ng; g++) {
		uint32_t id = grp[gorder[g]];
		uint32_t *o = order + start[id] - count[id];
		for (size_t i = 1; i < count[id]; i++)
			if (cmp_key(&o[i - 1], &o[i]) > 0) {
				qsort(o, count[id], sizeof(uint32_t), cmp_key);
				break;
			}
	}
out:
	sort_arena = NULL;
	sort_ents = NULL;
	free(slot);
	free(grp);
	free(first);
	free(count);
	free(gorder);
	free(start);
	return rc;
}

int store_idx_flush(store_wctx_t *w)
{
	store_idxbuf_t *b = &w->idx;
	MDB_cursor *cur;
	MDB_val k, v;
	uint32_t *order;
	int rc;

	if (!b->n)
		return 0;
	if (!(order = malloc(b->n * sizeof(uint32_t))))
		return ENOMEM;
	if ((rc = order_entries(b, order)) ||
	    (rc = mdb_cursor_open(w->txn, w->st->cluster_idx, &cur))) {
		free(order);
		return rc;
	}
	for (size_t i = 0; i < b->n && !rc; i++) {
		const struct store_idx_ent *e = &b->ents[order[i]];
		k.mv_data = b->arena + e->off;
		k.mv_size = e->len;
		if (e->del) {
			rc = mdb_cursor_get(cur, &k, &v, MDB_SET);
			if (rc == 0)
				rc = mdb_cursor_del(cur, 0);
			else if (rc == MDB_NOTFOUND)
				rc = 0;
		} else {
			v.mv_size = 0;
			v.mv_data = "";
			rc = mdb_cursor_put(cur, &k, &v, 0);
		}
	}
	mdb_cursor_close(cur);
	free(order);
	return rc;
}

void store_idx_reset(store_idxbuf_t *b)
{
	b->n = 0;
	b->arena_used = 0;
}

void store_idx_free(store_idxbuf_t *b)
{
	free(b->arena);
	free(b->ents);
	memset(b, 0, sizeof(*b));
}
