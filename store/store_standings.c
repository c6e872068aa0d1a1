/*
 * store_standings.c — every standing of a run, in chunks.
 *
 * Table `standings`: key run id, 0x00, big-endian uint32 chunk number;
 * value a chunk of consecutive standings in standings order, each encoded
 * as field 1 of ListStandingsResponse (0x0a, varint length, packed
 * Standing). Chunks laid end to end parse as a ListStandingsResponse, so
 * an unfiltered page is chunk bytes copied, never decoded; a filtered page
 * reads the few fields its filters need straight from the wire and copies
 * the matching standings' bytes.
 *
 * A run stored before this table has no chunks: its standings are the
 * ones inline in its `runs` record (field 5 of Run), read the same way
 * as one chunk numbered 0.
 *
 * Page tokens are the store's (store_token.c), kind 's', bound to the run
 * id and the filters; the position is the chunk number and the index of
 * the next standing in it, in hex ("c.i").
 *
 * The cluster_ids filter is a sorted, de-duplicated copy of the ids made
 * once per call and searched (bsearch) for each standing's cluster_id.
 * Its tokens also count the ids found before the position ("c.i.f"): a
 * run has one standing per cluster, so the page that finds the last of
 * them is the last page, whichever page found the others. A forged count
 * only cuts the forger's own answer short.
 */
#include "store_internal.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_KEY_MAX (STORE_ID_MAX + 1 + 4)
#define DECISION_EXCLUDED_EARLIER 9 /* CLUSTERS__V1__DECISION_CODE__... */

/* ------------------------------------------------------------------ wire */

/* Reads a varint at *p (< end) into *v; 0 when truncated or too long. */
static int rd_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t r = 0;
	for (unsigned s = 0; s < 64 && *p < end; s += 7) {
		uint8_t b = *(*p)++;
		r |= (uint64_t)(b & 0x7f) << s;
		if (!(b & 0x80)) {
			*v = r;
			return 1;
		}
	}
	return 0;
}

/* One field: its number, wire type, and for LEN fields the bytes
 * (data/len), for varints the value. Advances *p; 0 when malformed. */
typedef struct wfield {
	uint32_t num;
	unsigned type;
	uint64_t v;
	const uint8_t *data;
	size_t len;
} wfield_t;

static int rd_field(const uint8_t **p, const uint8_t *end, wfield_t *f)
{
	uint64_t key, n;
	f->v = 0;
	f->data = NULL;
	f->len = 0;
	if (!rd_varint(p, end, &key) || (key >> 3) == 0 || (key >> 3) > 0x1fffffff)
		return 0;
	f->num = (uint32_t)(key >> 3);
	f->type = key & 7;
	switch (f->type) {
	case 0:
		return rd_varint(p, end, &f->v);
	case 1:
		if (end - *p < 8)
			return 0;
		*p += 8;
		return 1;
	case 5:
		if (end - *p < 4)
			return 0;
		*p += 4;
		return 1;
	case 2:
		if (!rd_varint(p, end, &n) || n > (uint64_t)(end - *p))
			return 0;
		f->data = *p;
		f->len = (size_t)n;
		*p += n;
		return 1;
	default:
		return 0;
	}
}

/* The next standing of a chunk (entries tagged tag: 0x0a in chunks, 0x2a
 * — Run field 5 — inline; other fields are skipped when skip_other).
 * *hdr the entry's first byte, *elen the whole entry, *s and *slen the packed
 * Standing. Returns 1, 0 at the end, -1 when malformed. */
static int next_entry(const uint8_t **p, const uint8_t *end, uint8_t tag,
                      int skip_other, const uint8_t **hdr, size_t *elen,
                      const uint8_t **s, size_t *slen)
{
	while (*p < end) {
		const uint8_t *start = *p;
		wfield_t f;
		if (**p != tag) {
			if (!skip_other || !rd_field(p, end, &f))
				return -1;
			continue;
		}
		(*p)++;
		uint64_t n;
		if (!rd_varint(p, end, &n) || n > (uint64_t)(end - *p))
			return -1;
		*hdr = start;
		*s = *p;
		*slen = (size_t)n;
		*p += n;
		*elen = (size_t)(*p - start);
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ keys */

static size_t chunk_key(uint8_t *buf, const char *run_id, uint32_t chunk)
{
	size_t l = strlen(run_id);
	memcpy(buf, run_id, l);
	buf[l] = 0;
	buf[l + 1] = (uint8_t)(chunk >> 24);
	buf[l + 2] = (uint8_t)(chunk >> 16);
	buf[l + 3] = (uint8_t)(chunk >> 8);
	buf[l + 4] = (uint8_t)chunk;
	return l + 5;
}

/* The chunk number of k when it is a key of run (prefix plen bytes). */
static int key_chunk(const MDB_val *k, const uint8_t *prefix, size_t plen,
                     uint32_t *chunk)
{
	const uint8_t *b = k->mv_data;
	if (k->mv_size != plen + 4 || memcmp(b, prefix, plen))
		return 0;
	*chunk = (uint32_t)b[plen] << 24 | (uint32_t)b[plen + 1] << 16 |
	         (uint32_t)b[plen + 2] << 8 | b[plen + 3];
	return 1;
}

/* ---------------------------------------------------------------- writes */

int store_standings_delete(store_wctx_t *w, const char *run_id)
{
	uint8_t key[CHUNK_KEY_MAX];
	size_t plen = chunk_key(key, run_id, 0) - 4;
	MDB_cursor *cur;
	MDB_val k = {plen + 4, key}, v;
	uint32_t c;
	int rc = mdb_cursor_open(w->txn, w->st->standings, &cur);
	if (rc)
		return rc;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && key_chunk(&k, key, plen, &c)) {
		if ((rc = mdb_cursor_del(cur, 0)))
			break;
		/* After a delete, NEXT gives the key that followed. */
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Counts the entries of a chunk: 0x0a-tagged, well-formed, nothing
 * else. (size_t)-1 when malformed. */
static size_t chunk_count(const uint8_t *p, size_t len)
{
	const uint8_t *end = p + len, *h, *s;
	size_t n = 0, el, sl;
	int r;
	while ((r = next_entry(&p, end, 0x0a, 0, &h, &el, &s, &sl)) == 1)
		n++;
	return r < 0 ? (size_t)-1 : n;
}

static int write_chunks(store_wctx_t *w, store_op_t *op, const char *run_id,
                        uint32_t chunk, const store_standings_src_t *src,
                        int64_t *total)
{
	uint8_t key[CHUNK_KEY_MAX];
	char err[sizeof(op->err)] = "";
	uint64_t got = 0;
	int rc;

	if ((rc = src->rewind(src->arg)) != CD_OK) {
		op->rc = cd_fail(op->err, sizeof(op->err), rc,
		                 "standings: the source cannot start over");
		return 0;
	}
	for (;;) {
		const uint8_t *data = NULL;
		size_t len = 0, count = 0;
		err[0] = 0;
		if ((rc = src->next(src->arg, &data, &len, &count, err,
		                    sizeof(err))) != CD_OK) {
			op->rc = cd_fail(op->err, sizeof(op->err), rc,
			                 "standings: %s",
			                 err[0] ? err : "the source failed");
			return 0;
		}
		if (len == 0)
			break;
		if (len > STORE_STANDINGS_CHUNK_BYTES || count == 0 ||
		    chunk_count(data, len) != count) {
			op->rc = cd_fail(op->err, sizeof(op->err), CD_EINTERNAL,
			                 "standings: chunk %" PRIu32 " (%zu bytes) "
			                 "does not hold the %zu standings it "
			                 "claims", chunk, len, count);
			return 0;
		}
		if (chunk == UINT32_MAX) {
			op->rc = cd_fail(op->err, sizeof(op->err), CD_ELIMIT,
			                 "standings: too many chunks");
			return 0;
		}
		MDB_val k = {chunk_key(key, run_id, chunk), key};
		MDB_val v = {len, (void *)data};
		/* Keys only grow, within a prefix no other run shares. */
		if ((rc = mdb_put(w->txn, w->st->standings, &k, &v, 0)))
			return rc;
		chunk++;
		got += count;
	}
	if (got != src->total) {
		op->rc = cd_fail(op->err, sizeof(op->err), CD_EINTERNAL,
		                 "standings: the source gave %" PRIu64
		                 " standings, announced %zu", got, src->total);
		return 0;
	}
	*total = (int64_t)got;
	return 0;
}

int store_standings_write(store_wctx_t *w, store_op_t *op, const char *run_id,
                          const store_standings_src_t *src, int64_t *total)
{
	int rc;
	*total = 0;
	if (!src->next || !src->rewind) {
		op->rc = cd_fail(op->err, sizeof(op->err), CD_EINVAL,
		                 "standings: the source has no next or rewind");
		return 0;
	}
	/* Leftovers under this id would be read as this run's. */
	if ((rc = store_standings_delete(w, run_id)))
		return rc;
	rc = write_chunks(w, op, run_id, 0, src, total);
	if (rc == 0 && op->rc != CD_OK)
		rc = store_standings_delete(w, run_id);
	return rc;
}

int store_standings_append(store_wctx_t *w, store_op_t *op,
                           const char *run_id, uint32_t chunk_first,
                           const store_standings_src_t *src, int64_t *total)
{
	int rc;
	*total = 0;
	if (!src->next || !src->rewind) {
		op->rc = cd_fail(op->err, sizeof(op->err), CD_EINVAL,
		                 "standings: the source has no next or rewind");
		return 0;
	}
	/* The first batch: leftovers under this id would be read as this
	 * run's. A failed batch leaves nothing of itself (the transaction
	 * is the batch's op's; others' ops in it go on). */
	if (chunk_first == 0 && (rc = store_standings_delete(w, run_id)))
		return rc;
	rc = write_chunks(w, op, run_id, chunk_first, src, total);
	if (rc == 0 && op->rc != CD_OK)
		rc = store_standings_delete(w, run_id);
	return rc;
}

/* ---------------------------------------------------------------- filters */

static size_t slen0(const char *s)
{
	return s ? strlen(s) : 0;
}

int store_standings_filter_check(const store_standings_filter_t *f,
                                 char *err, size_t errlen)
{
	if (!f)
		return CD_OK;
	const struct {
		const char *name, *v;
	} text[] = {{"round", f->round}, {"economy", f->economy},
	            {"region", f->region}, {"industry", f->industry}};
	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++)
		if (slen0(text[i].v) > STORE_TEXT_MAX)
			return cd_fail(err, errlen, CD_EINVAL,
			               "%s: longer than %d bytes", text[i].name,
			               STORE_TEXT_MAX);
	if (f->min_rank < 0)
		return cd_fail(err, errlen, CD_EINVAL,
		               "min_rank: %" PRId32 " is negative", f->min_rank);
	if (f->max_rank < 0)
		return cd_fail(err, errlen, CD_EINVAL,
		               "max_rank: %" PRId32 " is negative", f->max_rank);
	if (f->max_rank && f->min_rank > f->max_rank)
		return cd_fail(err, errlen, CD_EINVAL,
		               "min_rank: %" PRId32 " is greater than max_rank %"
		               PRId32, f->min_rank, f->max_rank);
	if (f->selected < -1 || f->selected > 1)
		return cd_fail(err, errlen, CD_EINVAL,
		               "selected: %d is not -1, 0 or 1", f->selected);
	if (f->n_cluster_ids > STORE_STANDINGS_IDS_MAX)
		return cd_fail(err, errlen, CD_EINVAL,
		               "cluster_ids: %zu ids, at most %d",
		               f->n_cluster_ids, STORE_STANDINGS_IDS_MAX);
	if (f->n_cluster_ids && !f->cluster_ids)
		return cd_fail(err, errlen, CD_EINVAL,
		               "cluster_ids: %zu ids without an array",
		               f->n_cluster_ids);
	for (size_t i = 0; i < f->n_cluster_ids; i++) {
		char name[40];
		int rc;
		snprintf(name, sizeof(name), "cluster_ids[%zu]", i);
		if ((rc = store_validate_id(f->cluster_ids[i], name, err,
		                            errlen)) != CD_OK)
			return rc;
	}
	return CD_OK;
}

static int text_set(const char *s)
{
	return s && *s;
}

static int filter_empty(const store_standings_filter_t *f)
{
	return !f || (!text_set(f->round) && f->selected < 0 &&
	              !text_set(f->economy) && !text_set(f->region) &&
	              !text_set(f->industry) && !f->min_rank && !f->max_rank &&
	              !f->n_cluster_ids);
}

/* The cluster_ids filter as a set: sorted, each id once (the request may
 * repeat them), and which of them this page has met. */
typedef struct idset {
	const char **ids;
	size_t n;
	uint8_t *found;
} idset_t;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The ids of f (checked); an empty set when there are none. */
static int idset_build(idset_t *s, const store_standings_filter_t *f)
{
	size_t n = f ? f->n_cluster_ids : 0;
	memset(s, 0, sizeof(*s));
	if (!n)
		return 0;
	s->ids = malloc(n * sizeof(*s->ids));
	s->found = calloc(n, 1);
	if (!s->ids || !s->found) {
		free(s->ids);
		free(s->found);
		memset(s, 0, sizeof(*s));
		return ENOMEM;
	}
	memcpy(s->ids, f->cluster_ids, n * sizeof(*s->ids));
	qsort(s->ids, n, sizeof(*s->ids), cmp_str);
	for (size_t i = 0; i < n; i++)
		if (!s->n || strcmp(s->ids[s->n - 1], s->ids[i]))
			s->ids[s->n++] = s->ids[i];
	return 0;
}

static void idset_free(idset_t *s)
{
	free(s->ids);
	free(s->found);
	memset(s, 0, sizeof(*s));
}

typedef struct span {
	const uint8_t *d;
	size_t n;
} span_t;

/* A span against an id, in strcmp's order (ids hold no NUL). */
static int cmp_span(const void *key, const void *el)
{
	const span_t *k = key;
	const char *id = *(const char *const *)el;
	size_t il = strlen(id), m = k->n < il ? k->n : il;
	int c = memcmp(k->d, id, m);
	return c ? c : (k->n > il) - (k->n < il);
}

/* The index of the cluster id d/n in s; -1 when it is not there. */
static long idset_find(const idset_t *s, const uint8_t *d, size_t n)
{
	span_t k = {d, n};
	const char **at;
	if (!d || !n)
		return -1;
	at = bsearch(&k, s->ids, s->n, sizeof(*s->ids), cmp_span);
	return at ? (long)(at - s->ids) : -1;
}

static int span_eq(const uint8_t *d, size_t n, const char *s)
{
	return strlen(s) == n && !memcmp(d, s, n);
}

/* economy equals want, or one of its '/'-separated parts does. */
static int economy_match(const uint8_t *d, size_t n, const char *want)
{
	if (span_eq(d, n, want))
		return 1;
	size_t wl = strlen(want), i = 0;
	while (i <= n) {
		size_t j = i;
		while (j < n && d[j] != '/')
			j++;
		if (j - i == wl && !memcmp(d + i, want, wl))
			return 1;
		i = j + 1;
	}
	return 0;
}

/* The rounds of the run, in order, for standings without `rounds`. */
typedef struct round_order {
	char **names;
	size_t n;
} round_order_t;

static void round_order_free(round_order_t *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->names[i]);
	free(o->names);
	memset(o, 0, sizeof(*o));
}

/* Position of the round named d/n; -1 when unknown. */
static long round_pos(const round_order_t *o, const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < o->n; i++)
		if (span_eq(d, n, o->names[i]))
			return (long)i;
	return -1;
}

typedef struct fctx {
	const store_standings_filter_t *f;
	const round_order_t *order;
	long want_pos;   /* position of f->round in order; -1 unknown */
	const idset_t *ids;  /* the cluster_ids filter; NULL = any cluster */
} fctx_t;

/* The RoundStanding in d/n for round `want`: *found, *selected, *code. */
static int round_entry(const uint8_t *d, size_t n, const char *want,
                       int *found, int *selected, uint64_t *code)
{
	const uint8_t *p = d, *end = d + n;
	int is = 0, sel = 0;
	uint64_t c = 0;
	wfield_t f;
	while (p < end) {
		if (!rd_field(&p, end, &f))
			return -1;
		if (f.num == 1 && f.type == 2)
			is = span_eq(f.data, f.len, want);
		else if (f.num == 4 && f.type == 0)
			sel = f.v != 0;
		else if (f.num == 6 && f.type == 2) {
			const uint8_t *q = f.data, *qe = f.data + f.len;
			wfield_t g;
			while (q < qe) {
				if (!rd_field(&q, qe, &g))
					return -1;
				if (g.num == 1 && g.type == 0)
					c = g.v;
			}
		}
	}
	if (is) {
		*found = 1;
		*selected = sel;
		*code = c;
	}
	return 0;
}

/* 1 when the packed Standing s/n passes every filter, 0 when not, -1 when
 * it does not parse, 2 when neither it nor any standing after it can
 * pass. With the cluster_ids filter, *id_at is the index of its cluster
 * id in x->ids. */
static int standing_match(const fctx_t *x, const uint8_t *s, size_t n,
                          long *id_at)
{
	const store_standings_filter_t *f = x->f;
	const uint8_t *p = s, *end = s + n;
	const uint8_t *id = NULL, *round = NULL, *econ = NULL, *region = NULL;
	const uint8_t *ind = NULL;
	size_t id_l = 0, round_l = 0, econ_l = 0, region_l = 0, ind_l = 0;
	int64_t rank = 0;
	int selected = 0, has_rounds = 0, r_found = 0, r_sel = 0;
	uint64_t r_code = 0;
	wfield_t w;

	while (p < end) {
		if (!rd_field(&p, end, &w))
			return -1;
		switch (w.num) {
		/* The last one counts, as a decoder would take it. */
		case 1: if (w.type == 2) { id = w.data; id_l = w.len; } break;
		case 2: if (w.type == 0) rank = (int32_t)w.v; break;
		case 4: if (w.type == 0) selected = w.v != 0; break;
		case 8: if (w.type == 2) { round = w.data; round_l = w.len; } break;
		case 11: if (w.type == 2) { econ = w.data; econ_l = w.len; } break;
		case 12: if (w.type == 2) { region = w.data; region_l = w.len; } break;
		case 13: if (w.type == 2) { ind = w.data; ind_l = w.len; } break;
		case 14:
			if (w.type != 2)
				break;
			has_rounds = 1;
			if (text_set(f->round) &&
			    round_entry(w.data, w.len, f->round, &r_found, &r_sel,
			                &r_code) < 0)
				return -1;
			break;
		default: break;
		}
	}
	/* Standings are stored by rank, the unranked (rank 0) last: with
	 * both bounds set, the first one past max_rank ends the scan. So
	 * the top N of a run of millions is one short page, not a scan of
	 * every standing. */
	if (f->min_rank > 0 && f->max_rank && (rank > f->max_rank || rank <= 0))
		return 2;
	if (x->ids && (*id_at = idset_find(x->ids, id, id_l)) < 0)
		return 0;
	if (text_set(f->economy) && !economy_match(econ, econ_l, f->economy))
		return 0;
	if (text_set(f->region) && !span_eq(region, region_l, f->region))
		return 0;
	if (text_set(f->industry) && !span_eq(ind, ind_l, f->industry))
		return 0;
	if (f->min_rank && rank < f->min_rank)
		return 0;
	if (f->max_rank && rank > f->max_rank)
		return 0;
	if (!text_set(f->round))
		return f->selected < 0 || selected == f->selected;
	int candidate;
	if (has_rounds) {
		candidate = r_found && r_code != DECISION_EXCLUDED_EARLIER;
		selected = r_found && r_sel;
	} else {
		/* The last round it reached: this one, or a later one. */
		long pos = round_pos(x->order, round, round_l);
		int same = span_eq(round, round_l, f->round);
		int later = !same && pos >= 0 && x->want_pos >= 0 &&
		            pos > x->want_pos;
		candidate = same || later;
		selected = later || (same && selected);
	}
	if (!candidate)
		return 0;
	return f->selected < 0 || selected == f->selected;
}

/* Round names from the run's RoundStats, else from its competition. */
static int load_order(store_t *st, MDB_txn *txn, const MDB_val *head,
                      round_order_t *o)
{
	store_run_t *r = clusters__v1__run__unpack(NULL, head->mv_size,
	                                           head->mv_data);
	store_competition_t *c = NULL;
	int rc = 0;
	if (!r)
		return -1;
	size_t n = r->n_rounds;
	if (!n) {
		MDB_val k = {strlen(r->competition_id), r->competition_id}, v;
		if (k.mv_size && mdb_get(txn, st->competitions, &k, &v) == 0)
			c = clusters__v1__competition__unpack(NULL, v.mv_size,
			                                      v.mv_data);
		n = c ? c->n_rounds : 0;
	}
	if (n && !(o->names = calloc(n, sizeof(*o->names))))
		rc = ENOMEM;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const char *nm = r->n_rounds ? r->rounds[i]->round
		                             : c->rounds[i]->name;
		if (!(o->names[i] = strdup(nm ? nm : "")))
			rc = ENOMEM;
		else
			o->n++;
	}
	clusters__v1__run__free_unpacked(r, NULL);
	if (c)
		clusters__v1__competition__free_unpacked(c, NULL);
	return rc;
}

/* ---------------------------------------------------------------- listing */

static size_t clamp_page(size_t n)
{
	if (n == 0)
		return STORE_STANDINGS_PAGE_DEFAULT;
	return n > STORE_STANDINGS_PAGE_MAX ? STORE_STANDINGS_PAGE_MAX : n;
}

/* The hash page tokens are bound to: the run and every filter, the
 * cluster ids as the set (sorted, each once) so that their order and
 * repeats do not matter. Without ids it is what it was before them, so
 * that tokens given out then still work. */
static int query_hash(const char *run_id, const store_standings_filter_t *f,
                      const idset_t *ids, uint32_t *out)
{
	char sel[8], mn[16], mx[16];
	snprintf(sel, sizeof(sel), "%d", f ? f->selected : -1);
	snprintf(mn, sizeof(mn), "%" PRId32, f ? f->min_rank : 0);
	snprintf(mx, sizeof(mx), "%" PRId32, f ? f->max_rank : 0);
	const char *parts[] = {
		run_id,
		f && f->round ? f->round : "",
		sel,
		f && f->economy ? f->economy : "",
		f && f->region ? f->region : "",
		f && f->industry ? f->industry : "",
		mn,
		mx,
	};
	size_t np = sizeof(parts) / sizeof(parts[0]);
	if (!ids->n) {
		*out = store_token_hash(parts, np);
		return 0;
	}
	const char **all = malloc((np + ids->n) * sizeof(*all));
	if (!all)
		return ENOMEM;
	memcpy(all, parts, sizeof(parts));
	memcpy(all + np, ids->ids, ids->n * sizeof(*all));
	*out = store_token_hash(all, np + ids->n);
	free(all);
	return 0;
}

/* A piece of the page: bytes of the map (valid while the read
 * transaction is), copied once the page is known. retag: the first byte
 * is Run field 5's tag (0x2a), to be written as field 1's (0x0a); both
 * are one byte, so the entry keeps its length. */
typedef struct piece {
	const uint8_t *p;
	size_t len;
	int retag;
} piece_t;

typedef struct pager {
	store_standings_page_t *out;
	piece_t *pieces;
	size_t npieces, cap;
	size_t want;         /* page size */
	size_t examined;
	const fctx_t *fx;    /* NULL = no filter */
	idset_t *ids;        /* fx's cluster ids; NULL = none */
	uint64_t found;      /* of them, found here and by earlier pages */
	int inline_fmt;      /* entries are Run field 5 (0x2a) */
	int full;            /* stopped at (chunk, idx) */
	int done;            /* every id found, or past max_rank: the last page */
	uint32_t stop_chunk;
	uint64_t stop_idx;
} pager_t;

/* Notes an entry for the page: consecutive entries of a chunk make one
 * piece, so an unfiltered page is a few pieces (one per chunk). */
static int page_append(pager_t *pg, const uint8_t *hdr, size_t elen)
{
	store_standings_page_t *o = pg->out;
	piece_t *last = pg->npieces ? &pg->pieces[pg->npieces - 1] : NULL;
	if (!pg->inline_fmt && last && !last->retag &&
	    last->p + last->len == hdr) {
		last->len += elen;
	} else {
		if (pg->npieces == pg->cap) {
			size_t nc = pg->cap ? pg->cap * 2 : 64;
			piece_t *np = realloc(pg->pieces, nc * sizeof(*np));
			if (!np)
				return ENOMEM;
			pg->pieces = np;
			pg->cap = nc;
		}
		pg->pieces[pg->npieces++] =
			(piece_t){hdr, elen, pg->inline_fmt};
	}
	o->len += elen;
	o->n++;
	return 0;
}

/* Copies the pieces to dst (o->len bytes). */
static void page_copy(const pager_t *pg, uint8_t *dst)
{
	for (size_t i = 0; i < pg->npieces; i++) {
		const piece_t *pc = &pg->pieces[i];
		memcpy(dst, pc->p, pc->len);
		if (pc->retag)
			dst[0] = 0x0a;
		dst += pc->len;
	}
}

/* Takes the entries of one chunk from index `from`. Returns 0, -1 for a
 * malformed chunk or an index past its end, or an errno. Sets pg->full
 * and the position when the page is done before the chunk is. */
static int page_chunk(pager_t *pg, uint32_t chunk, const uint8_t *d, size_t n,
                      uint64_t from)
{
	const uint8_t *p = d, *end = d + n, *h, *s;
	uint8_t tag = pg->inline_fmt ? 0x2a : 0x0a;
	size_t el, sl;
	uint64_t idx = 0;
	int r;
	while ((r = next_entry(&p, end, tag, pg->inline_fmt, &h, &el, &s,
	                       &sl)) == 1) {
		if (idx++ < from)
			continue;
		if (pg->out->n == pg->want || pg->examined == STORE_STANDINGS_SCAN_MAX ||
		    (pg->out->n && pg->out->len + el > STORE_STANDINGS_PAGE_BYTES)) {
			pg->full = 1;
			pg->stop_chunk = chunk;
			pg->stop_idx = idx - 1;
			return 0;
		}
		pg->examined++;
		long at = -1;
		if (pg->fx) {
			int m = standing_match(pg->fx, s, sl, &at);
			if (m < 0)
				return -1;
			if (m == 2) {
				pg->done = 1;
				return 0;
			}
			if (!m)
				continue;
		}
		if ((r = page_append(pg, h, el)))
			return r;
		/* A run has one standing per cluster: once every id asked
		 * for is found, nothing after it can match. */
		if (pg->ids && !pg->ids->found[at]) {
			pg->ids->found[at] = 1;
			if (++pg->found == pg->ids->n) {
				pg->done = 1;
				return 0;
			}
		}
	}
	if (r < 0 || idx < from || (from && idx == from))
		return -1;
	return 0;
}

/* "c.i", or with the ids filter "c.i.f" (*found: f), in lower-case hex
 * without leading zeros, as encoded. */
static int parse_pos(const char *s, int with_found, uint32_t *chunk,
                     uint64_t *idx, uint64_t *found)
{
	char back[80];
	unsigned long long v[3] = {0, 0, 0};
	size_t n = with_found ? 3 : 2;
	const char *p = s;
	char *e;
	for (size_t k = 0; k < n; k++) {
		/* No sign, no space: strtoull would take them. */
		if (!isxdigit((unsigned char)*p))
			return 0;
		v[k] = strtoull(p, &e, 16);
		if (*e != (k + 1 < n ? '.' : '\0'))
			return 0;
		p = e + 1;
	}
	if (with_found)
		snprintf(back, sizeof(back), "%llx.%llx.%llx", v[0], v[1], v[2]);
	else
		snprintf(back, sizeof(back), "%llx.%llx", v[0], v[1]);
	if (strcmp(back, s) || v[0] > UINT32_MAX)
		return 0;
	*chunk = (uint32_t)v[0];
	*idx = v[1];
	*found = v[2];
	return 1;
}

static uint8_t *page_malloc(void *arg, size_t len, const char *next_token)
{
	(void)next_token;
	return *(uint8_t **)arg = malloc(len ? len : 1);
}

int store_standings_list(store_t *st, const char *run_id,
                         const store_standings_filter_t *f, size_t page_size,
                         const char *page_token,
                         store_standings_page_t *out, char *err,
                         size_t errlen)
{
	uint8_t *data = NULL;
	int rc = store_standings_list_to(st, run_id, f, page_size, page_token,
	                                 page_malloc, &data, out, err, errlen);
	if (rc == CD_OK)
		out->data = data;
	else
		free(data);
	return rc;
}

int store_standings_list_to(store_t *st, const char *run_id,
                            const store_standings_filter_t *f,
                            size_t page_size, const char *page_token,
                            store_page_alloc_fn alloc, void *alloc_arg,
                            store_standings_page_t *out, char *err,
                            size_t errlen)
{
	char last[64] = "";
	uint8_t key[CHUNK_KEY_MAX];
	uint32_t chunk = 0, qh;
	uint64_t idx = 0;
	round_order_t order = {0};
	idset_t ids;
	fctx_t fx = {f, &order, -1, NULL};
	pager_t pg = {0};
	MDB_txn *txn;
	MDB_cursor *cur = NULL;
	MDB_val k, v, head;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = store_validate_id(run_id, "run_id", err, errlen)) != CD_OK ||
	    (rc = store_standings_filter_check(f, err, errlen)) != CD_OK)
		return rc;
	if (idset_build(&ids, f) || query_hash(run_id, f, &ids, &qh)) {
		idset_free(&ids);
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	}
	if (page_token && *page_token) {
		if ((rc = store_token_decode(page_token, 's', qh, last,
		                             sizeof(last), err, errlen)) != CD_OK) {
			idset_free(&ids);
			return rc;
		}
		/* All found gives no token: a count of all is forged. */
		if (!parse_pos(last, ids.n > 0, &chunk, &idx, &pg.found) ||
		    (ids.n && pg.found >= ids.n)) {
			idset_free(&ids);
			return cd_fail(err, errlen, CD_EPAGETOKEN,
			               "page_token: not a token this server "
			               "issued");
		}
	}
	pg.out = out;
	pg.want = clamp_page(page_size);
	pg.fx = filter_empty(f) ? NULL : &fx;
	if (ids.n) {
		fx.ids = &ids;
		pg.ids = &ids;
	}

	if ((rc = store_rtxn_begin(st, &txn))) {
		idset_free(&ids);
		return store_mdb_err(rc, "read", err, errlen);
	}
	k.mv_size = strlen(run_id);
	k.mv_data = (void *)run_id;
	if ((rc = mdb_get(txn, st->run_heads, &k, &head))) {
		store_rtxn_end(st, txn);
		idset_free(&ids);
		if (rc == MDB_NOTFOUND)
			return cd_fail(err, errlen, CD_ENOTFOUND,
			               "run \"%s\" not found", run_id);
		return store_mdb_err(rc, "read", err, errlen);
	}
	/* A live run's standings are written in batches before it ends:
	 * part of them is no answer. */
	store_run_t *h = clusters__v1__run__unpack(NULL, head.mv_size,
	                                           head.mv_data);
	int state = h ? h->state : 0;
	store_run_free(h);
	if (state && !store_run_state_terminal(state)) {
		store_rtxn_end(st, txn);
		idset_free(&ids);
		return cd_fail(err, errlen, CD_EPRECONDITION, "run \"%s\" is "
		               "%s: its standings are stored when it ends "
		               "(WatchRun)", run_id,
		               store_run_state_name(state));
	}
	if (pg.fx && text_set(f->round)) {
		if ((rc = load_order(st, txn, &head, &order)))
			goto done;
		fx.want_pos = round_pos(&order, (const uint8_t *)f->round,
		                        strlen(f->round));
	}

	size_t plen = chunk_key(key, run_id, chunk) - 4;
	k.mv_size = plen + 4;
	k.mv_data = key;
	if ((rc = mdb_cursor_open(txn, st->standings, &cur)))
		goto done;
	uint32_t c;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	if (rc && rc != MDB_NOTFOUND)
		goto done;
	int have = rc == 0 && key_chunk(&k, key, plen, &c);
	if (!have || c != chunk) {
		/* No chunk at the position: a run without chunks is read
		 * from its record; otherwise the token lies. */
		uint8_t k0[CHUNK_KEY_MAX];
		MDB_val first = {chunk_key(k0, run_id, 0), k0};
		int any = mdb_cursor_get(cur, &first, &v, MDB_SET_RANGE) == 0 &&
		          key_chunk(&first, key, plen, &c);
		if (any || chunk != 0) {
			rc = -2;
			goto done;
		}
		MDB_val rk = {strlen(run_id), (void *)run_id}, rv;
		if ((rc = mdb_get(txn, st->runs, &rk, &rv)))
			goto done;
		pg.inline_fmt = 1;
		rc = page_chunk(&pg, 0, rv.mv_data, rv.mv_size, idx);
		if (rc == -1 && idx)
			rc = -2;
		goto done;
	}
	for (;;) {
		rc = page_chunk(&pg, c, v.mv_data, v.mv_size, idx);
		if (rc == -1 && idx && c == chunk)
			rc = -2; /* the token's index is past the chunk */
		if (rc || pg.full || pg.done)
			break;
		idx = 0;
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
		if (rc || !key_chunk(&k, key, plen, &c)) {
			rc = rc == MDB_NOTFOUND ? 0 : rc;
			break;
		}
	}
done:
	if (cur)
		mdb_cursor_close(cur);
	round_order_free(&order);
	idset_free(&ids);
	if (rc == 0) {
		if (pg.full) {
			if (pg.ids)
				snprintf(last, sizeof(last), "%" PRIx32 ".%"
				         PRIx64 ".%" PRIx64, pg.stop_chunk,
				         pg.stop_idx, pg.found);
			else
				snprintf(last, sizeof(last), "%" PRIx32 ".%"
				         PRIx64, pg.stop_chunk, pg.stop_idx);
			rc = store_token_encode('s', qh, last, &out->next_token);
		} else {
			rc = (out->next_token = strdup("")) ? CD_OK : CD_ENOMEM;
		}
		/* The pieces point into the map: copy them before the
		 * transaction ends. */
		uint8_t *dst = rc == CD_OK
			? alloc(alloc_arg, out->len, out->next_token)
			: NULL;
		if (dst)
			page_copy(&pg, dst);
		store_rtxn_end(st, txn);
		free(pg.pieces);
		if (dst)
			return CD_OK;
		store_standings_page_free(out);
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	}
	store_rtxn_end(st, txn);
	free(pg.pieces);
	store_standings_page_free(out);
	if (rc == -2)
		return cd_fail(err, errlen, CD_EPAGETOKEN,
		               "page_token: not a token this server issued");
	if (rc == -1)
		return cd_fail(err, errlen, CD_ECORRUPT,
		               "standings of run \"%s\" do not decode", run_id);
	if (rc == ENOMEM)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	return store_mdb_err(rc, "listing standings", err, errlen);
}

void store_standings_page_free(store_standings_page_t *page)
{
	if (!page)
		return;
	free(page->data);
	free(page->next_token);
	memset(page, 0, sizeof(*page));
}

/* ------------------------------------------------------------------- find */

/* The cluster_id of a packed Standing (the last field 1, as a decoder
 * would take it). */
static int standing_id(const uint8_t *s, size_t n, const uint8_t **id,
                       size_t *idl)
{
	const uint8_t *p = s, *end = s + n;
	wfield_t f;
	*id = NULL;
	*idl = 0;
	while (p < end) {
		if (!rd_field(&p, end, &f))
			return -1;
		if (f.num == 1 && f.type == 2) {
			*id = f.data;
			*idl = f.len;
		}
	}
	return 0;
}

/* Looks for id in the chunk d/n; *found the standing's bytes. */
static int find_in(const uint8_t *d, size_t n, uint8_t tag, int skip,
                   const char *id, size_t idl, const uint8_t **fs,
                   size_t *fl)
{
	const uint8_t *p = d, *end = d + n, *h, *s, *sid;
	size_t el, sl, sidl;
	int r;
	while ((r = next_entry(&p, end, tag, skip, &h, &el, &s, &sl)) == 1) {
		/* Fast look at the usual layout: 0x0a, one-byte length, id. */
		if (sl >= 2 + idl && s[0] == 0x0a && s[1] < 0x80) {
			if (s[1] != idl || memcmp(s + 2, id, idl))
				continue;
		} else {
			if (standing_id(s, sl, &sid, &sidl) < 0)
				return -1;
			if (sidl != idl || memcmp(sid, id, idl))
				continue;
		}
		*fs = s;
		*fl = sl;
		return 1;
	}
	return r;
}

int store_standing_find(store_t *st, const char *run_id,
                        const char *cluster_id, Clusters__V1__Standing **out,
                        char *err, size_t errlen)
{
	uint8_t key[CHUNK_KEY_MAX];
	size_t idl, plen, sl = 0;
	const uint8_t *s = NULL;
	MDB_txn *txn;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	uint32_t c;
	int rc, r = 0, chunks = 0;

	*out = NULL;
	if ((rc = store_validate_id(run_id, "run_id", err, errlen)) != CD_OK ||
	    (rc = store_validate_id(cluster_id, "cluster_id", err,
	                            errlen)) != CD_OK)
		return rc;
	idl = strlen(cluster_id);
	if ((rc = store_rtxn_begin(st, &txn)))
		return store_mdb_err(rc, "read", err, errlen);
	k.mv_size = strlen(run_id);
	k.mv_data = (void *)run_id;
	if ((rc = mdb_get(txn, st->run_heads, &k, &v))) {
		store_rtxn_end(st, txn);
		if (rc == MDB_NOTFOUND)
			return cd_fail(err, errlen, CD_ENOTFOUND,
			               "run \"%s\" not found", run_id);
		return store_mdb_err(rc, "read", err, errlen);
	}
	plen = chunk_key(key, run_id, 0) - 4;
	k.mv_size = plen + 4;
	k.mv_data = key;
	if ((rc = mdb_cursor_open(txn, st->standings, &cur)))
		goto done;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	     rc == 0 && key_chunk(&k, key, plen, &c);
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		chunks++;
		if ((r = find_in(v.mv_data, v.mv_size, 0x0a, 0, cluster_id, idl,
		                 &s, &sl)) != 0)
			break;
	}
	if (rc == MDB_NOTFOUND || (rc == 0 && r == 0))
		rc = 0;
	if (rc == 0 && r == 0 && !chunks) {
		MDB_val rk = {strlen(run_id), (void *)run_id};
		if ((rc = mdb_get(txn, st->runs, &rk, &v)) == 0)
			r = find_in(v.mv_data, v.mv_size, 0x2a, 1, cluster_id,
			            idl, &s, &sl);
	}
	if (rc == 0 && r == 1 &&
	    !(*out = clusters__v1__standing__unpack(NULL, sl, s)))
		r = -1;
done:
	if (cur)
		mdb_cursor_close(cur);
	store_rtxn_end(st, txn);
	if (rc)
		return store_mdb_err(rc, "reading standings", err, errlen);
	if (r < 0)
		return cd_fail(err, errlen, CD_ECORRUPT,
		               "standings of run \"%s\" do not decode", run_id);
	if (r == 0)
		return cd_fail(err, errlen, CD_ENOTFOUND,
		               "run \"%s\" has no standing of cluster \"%s\"",
		               run_id, cluster_id);
	return CD_OK;
}
