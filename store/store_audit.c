/*
 * store_audit.c — the audit trail: one AuditEvent per successful write,
 * appended inside the write's own transaction, so the trail and the data
 * commit or vanish together; and its paged, filtered listing.
 *
 * Key: big-endian commit time in ns, then a big-endian sequence number
 * that grows by one per event. Keys therefore sort by time and are unique;
 * every event is appended after the last one (MDB_APPEND, no search).
 */
#include "store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_LEN 16
#define PRINCIPAL_MAX 256

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static const char *default_method(store_op_kind k)
{
	switch (k) {
	case STORE_CLUSTER_CREATE: return "CreateCluster";
	case STORE_CLUSTER_UPDATE: return "UpdateCluster";
	case STORE_CLUSTER_UPSERT: return "ImportClusters";
	case STORE_CLUSTER_DELETE: return "DeleteCluster";
	case STORE_COMPETITION_CREATE: return "CreateCompetition";
	case STORE_COMPETITION_UPDATE: return "UpdateCompetition";
	case STORE_COMPETITION_DELETE: return "DeleteCompetition";
	case STORE_RUN_PUT: return "RunCompetition";
	case STORE_RUN_DELETE: return "DeleteRun";
	case STORE_RUN_UPDATE: return "RunFinished";
	default: return "";
	}
}

/* The next key: after the last one in the trail even if the clock went
 * back, so appending always keeps the order. */
static int next_key(store_wctx_t *w, uint8_t key[KEY_LEN])
{
	int rc;
	if (!w->acur &&
	    (rc = mdb_cursor_open(w->txn, w->st->audit, &w->acur)))
		return rc;
	if (!w->audit_known) {
		MDB_val k, v;
		rc = mdb_cursor_get(w->acur, &k, &v, MDB_LAST);
		if (rc && rc != MDB_NOTFOUND)
			return rc;
		w->audit_ns = w->audit_seq = 0;
		if (rc == 0 && k.mv_size == KEY_LEN) {
			w->audit_ns = get_be64(k.mv_data);
			w->audit_seq = get_be64((uint8_t *)k.mv_data + 8);
		}
		w->audit_known = 1;
	}
	uint64_t now = (uint64_t)w->now_sec * 1000000000u +
	               (uint64_t)w->now_nsec;
	if (now > w->audit_ns)
		w->audit_ns = now;
	w->audit_seq++;
	put_be64(key, w->audit_ns);
	put_be64(key + 8, w->audit_seq);
	return 0;
}

/* The event's fields, encoded by hand: protobuf-c's generic packer (size,
 * then pack, both by reflection) and formatting the resource cost more
 * than the rest of the append put together. Field numbers are those of
 * clusters.v1.AuditEvent; empty strings and zero numbers are left out, as
 * proto3 encoders do, so protobuf-c reads back exactly these values. */
typedef struct ev_fields {
	uint64_t ns, seq;
	const char *str[7];  /* principal, method, coll, id, before, after,
	                      * detail; NULL = "" */
	const char *const *paths;
	size_t n_paths;
} ev_fields_t;

enum { F_PRINCIPAL, F_METHOD, F_COLL, F_ID, F_BEFORE, F_AFTER, F_DETAIL };

static size_t varint_len(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static uint8_t *put_varint(uint8_t *o, uint64_t v)
{
	while (v >= 0x80) {
		*o++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*o++ = (uint8_t)v;
	return o;
}

static size_t slen(const char *s)
{
	return s ? strlen(s) : 0;
}

/* A length-delimited field: tag, length, bytes (one tag byte: fields
 * 1..15). */
static size_t ld_len(size_t l)
{
	return 1 + varint_len(l) + l;
}

static uint8_t *put_ld(uint8_t *o, unsigned field, const void *p, size_t l)
{
	*o++ = (uint8_t)(field << 3 | 2);
	o = put_varint(o, l);
	memcpy(o, p, l);
	return o + l;
}

/* The resource: "coll/id", or id alone without a collection. */
static size_t resource_len(const ev_fields_t *f)
{
	size_t c = slen(f->str[F_COLL]);
	return (c ? c + 1 : 0) + slen(f->str[F_ID]);
}

static size_t time_len(uint64_t ns)
{
	uint64_t sec = ns / 1000000000u, nano = ns % 1000000000u;
	return (sec ? 1 + varint_len(sec) : 0) + (nano ? 1 + varint_len(nano)
	                                               : 0);
}

static size_t ev_size(const ev_fields_t *f)
{
	static const unsigned plain[] = {F_PRINCIPAL, F_METHOD, F_BEFORE,
	                                 F_AFTER, F_DETAIL};
	size_t n = ld_len(time_len(f->ns));
	size_t r = resource_len(f);
	if (f->seq)
		n += 1 + varint_len(f->seq);
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		size_t l = slen(f->str[plain[i]]);
		if (l)
			n += ld_len(l);
	}
	if (r)
		n += ld_len(r);
	for (size_t i = 0; i < f->n_paths; i++)
		n += ld_len(slen(f->paths[i]));
	return n;
}

static uint8_t *put_str(uint8_t *o, unsigned field, const char *s)
{
	size_t l = slen(s);
	return l ? put_ld(o, field, s, l) : o;
}

static void ev_encode(const ev_fields_t *f, uint8_t *o)
{
	uint64_t sec = f->ns / 1000000000u, nano = f->ns % 1000000000u;
	*o++ = 1 << 3 | 2;                      /* time */
	o = put_varint(o, time_len(f->ns));
	if (sec) {
		*o++ = 1 << 3;
		o = put_varint(o, sec);
	}
	if (nano) {
		*o++ = 2 << 3;
		o = put_varint(o, nano);
	}
	if (f->seq) {                           /* sequence */
		*o++ = 2 << 3;
		o = put_varint(o, f->seq);
	}
	o = put_str(o, 3, f->str[F_PRINCIPAL]);
	o = put_str(o, 4, f->str[F_METHOD]);
	size_t r = resource_len(f), c = slen(f->str[F_COLL]);
	if (r) {                                /* resource */
		*o++ = 5 << 3 | 2;
		o = put_varint(o, r);
		if (c) {
			memcpy(o, f->str[F_COLL], c);
			o += c;
			*o++ = '/';
		}
		memcpy(o, f->str[F_ID] ? f->str[F_ID] : "", r - (c ? c + 1 : 0));
		o += r - (c ? c + 1 : 0);
	}
	o = put_str(o, 6, f->str[F_BEFORE]);
	o = put_str(o, 7, f->str[F_AFTER]);
	for (size_t i = 0; i < f->n_paths; i++) /* changed_paths */
		o = put_ld(o, 8, f->paths[i] ? f->paths[i] : "",
		           slen(f->paths[i]));
	put_str(o, 9, f->str[F_DETAIL]);
}

int store_audit_write(store_wctx_t *w, const store_op_t *op,
                      const char *coll, const char *id,
                      const char *etag_before, const char *etag_after,
                      const ProtobufCMessage *old,
                      const ProtobufCMessage *rec, const char *detail)
{
	uint8_t key[KEY_LEN];
	store_paths_t *paths = NULL;
	MDB_val k = {KEY_LEN, key}, v;
	int rc;

	if ((rc = next_key(w, key)))
		return rc;
	ev_fields_t f = {
		.ns = w->audit_ns, .seq = w->audit_seq,
		.str = {op->principal,
		        op->method ? op->method : default_method(op->kind),
		        coll, id, etag_before, etag_after, detail},
	};
	if (old && rec) {
		/* Updates only: creates, the bulk of imports, skip this. */
		if (!(paths = malloc(sizeof(*paths))))
			return ENOMEM;
		store_audit_diff(old, rec, paths);
		f.paths = paths->v;
		f.n_paths = paths->n;
	} else if (op->kind == STORE_AUDIT_NOTE) {
		f.paths = op->paths;
		f.n_paths = op->n_paths;
	}
	v.mv_size = ev_size(&f);
	rc = mdb_cursor_put(w->acur, &k, &v, MDB_APPEND | MDB_RESERVE);
	if (rc == 0)
		ev_encode(&f, v.mv_data);
	free(paths);
	return rc;
}

/* ---------------------------------------------------------------- listing */

static const char *const collections[] = {"clusters", "competitions", "runs",
                                          "plugins", "store", NULL};

static int set(const char *s)
{
	return s && *s;
}

int store_audit_filter_check(const store_audit_filter_t *f, char *err,
                             size_t errlen)
{
	if (set(f->resource)) {
		const char *slash = strchr(f->resource, '/');
		size_t cl = slash ? (size_t)(slash - f->resource)
		                  : strlen(f->resource);
		size_t i;
		for (i = 0; collections[i]; i++)
			if (strlen(collections[i]) == cl &&
			    !memcmp(collections[i], f->resource, cl))
				break;
		/* plugins and store are resources of their own, without
		 * ids. */
		if (!collections[i] || (slash && i >= 3))
			return cd_fail(err, errlen, CD_EINVAL,
			               "resource: \"%.64s\" is not \"clusters/ID\", "
			               "\"competitions/ID\", \"runs/ID\", or one of "
			               "the collections clusters, competitions, "
			               "runs, plugins, store", f->resource);
		if (slash) {
			int rc = store_validate_id(slash + 1, "resource", err,
			                           errlen);
			if (rc != CD_OK)
				return rc;
		}
	}
	if (set(f->principal)) {
		size_t l = strlen(f->principal);
		if (l > PRINCIPAL_MAX)
			return cd_fail(err, errlen, CD_EV_LENGTH,
			               "principal: %zu bytes is longer than %d", l,
			               PRINCIPAL_MAX);
		for (size_t i = 0; i < l; i++)
			if ((unsigned char)f->principal[i] < 0x20 ||
			    f->principal[i] == 0x7f)
				return cd_fail(err, errlen, CD_EV_ENCODING,
				               "principal: holds a control "
				               "character");
	}
	if (f->start_ns < 0)
		return cd_fail(err, errlen, CD_EINVAL,
		               "start_time: before 1970-01-01");
	if (f->end_ns < 0)
		return cd_fail(err, errlen, CD_EINVAL,
		               "end_time: before 1970-01-01");
	if (f->end_ns && f->end_ns < f->start_ns)
		return cd_fail(err, errlen, CD_EINVAL,
		               "end_time: is before start_time");
	return CD_OK;
}

static int match(const store_audit_filter_t *f, const store_audit_t *ev)
{
	if (set(f->principal) && strcmp(f->principal, ev->principal))
		return 0;
	if (set(f->resource)) {
		size_t l = strlen(f->resource);
		if (strchr(f->resource, '/'))
			return !strcmp(f->resource, ev->resource);
		/* A collection: "clusters" matches "clusters/..." and a
		 * resource named by the collection alone ("plugins"). */
		return !strncmp(f->resource, ev->resource, l) &&
		       (ev->resource[l] == '/' || ev->resource[l] == 0);
	}
	return 1;
}

static void hex_key(const uint8_t *k, char out[2 * KEY_LEN + 1])
{
	static const char hx[] = "0123456789abcdef";
	for (int i = 0; i < KEY_LEN; i++) {
		out[2 * i] = hx[k[i] >> 4];
		out[2 * i + 1] = hx[k[i] & 15];
	}
	out[2 * KEY_LEN] = 0;
}

static int unhex_key(const char *s, uint8_t k[KEY_LEN])
{
	if (strlen(s) != 2 * KEY_LEN)
		return -1;
	for (int i = 0; i < 2 * KEY_LEN; i++) {
		int c = s[i], d = c >= '0' && c <= '9' ? c - '0'
		                 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return -1;
		k[i / 2] = (uint8_t)(i % 2 ? k[i / 2] | d : d << 4);
	}
	return 0;
}

static uint32_t query_hash(const store_audit_filter_t *f)
{
	char s[24], e[24];
	snprintf(s, sizeof(s), "%lld", (long long)f->start_ns);
	snprintf(e, sizeof(e), "%lld", (long long)f->end_ns);
	const char *parts[4] = {set(f->resource) ? f->resource : "",
	                        set(f->principal) ? f->principal : "", s, e};
	return store_token_hash(parts, 4);
}

typedef struct scan {
	const store_audit_filter_t *f;
	store_audit_page_t *page;
	size_t want;
	uint8_t last[KEY_LEN];   /* where the next page starts after */
	int more;
} scan_t;

/* Walks the trail from start (strictly after it when after is set).
 * sc->last ends on the last key dealt with (returned or passed over), so
 * the next page starts right after it, also when the scan bound cut this
 * one short. */
static int walk(MDB_txn *txn, MDB_dbi dbi, const uint8_t *start, int after,
                scan_t *sc)
{
	const store_audit_filter_t *f = sc->f;
	MDB_cursor *cur;
	MDB_val k = {KEY_LEN, (void *)start}, v;
	size_t examined = 0;
	int rc;

	if ((rc = mdb_cursor_open(txn, dbi, &cur)))
		return rc;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	if (rc == 0 && after && k.mv_size == KEY_LEN &&
	    !memcmp(k.mv_data, start, KEY_LEN))
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != KEY_LEN) {
			rc = -1;
			break;
		}
		if (f->end_ns && get_be64(k.mv_data) >= (uint64_t)f->end_ns)
			break;
		if (++examined > STORE_AUDIT_SCAN_MAX) {
			sc->more = 1;
			break;
		}
		store_audit_t *ev =
		        clusters__v1__audit_event__unpack(NULL, v.mv_size,
		                                          v.mv_data);
		if (!ev) {
			rc = -1;
			break;
		}
		int m = match(f, ev);
		if (m && sc->page->n == sc->want) {
			/* One more match: the page ends before it. */
			clusters__v1__audit_event__free_unpacked(ev, NULL);
			sc->more = 1;
			break;
		}
		if (m)
			sc->page->items[sc->page->n++] = ev;
		else
			clusters__v1__audit_event__free_unpacked(ev, NULL);
		/* Done with everything up to here. */
		memcpy(sc->last, k.mv_data, KEY_LEN);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int store_audit_list(store_t *st, const store_audit_filter_t *f,
                     size_t page_size, const char *page_token,
                     store_audit_page_t *out, char *err, size_t errlen)
{
	static const store_audit_filter_t none;
	char after[2 * KEY_LEN + 1] = "";
	uint8_t start[KEY_LEN] = {0};
	scan_t sc = {.page = out};
	MDB_txn *txn;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!f)
		f = &none;
	sc.f = f;
	if ((rc = store_audit_filter_check(f, err, errlen)) != CD_OK)
		return rc;
	uint32_t qh = query_hash(f);
	if (page_size == 0)
		page_size = STORE_PAGE_DEFAULT;
	if (page_size > STORE_PAGE_MAX)
		page_size = STORE_PAGE_MAX;
	sc.want = page_size;
	if (page_token && *page_token) {
		if ((rc = store_token_decode(page_token, 'a', qh, after,
		                             sizeof(after), err, errlen)) != CD_OK)
			return rc;
		if (unhex_key(after, start))
			return cd_fail(err, errlen, CD_EPAGETOKEN, "page_token: "
			               "not a token this server issued");
	} else {
		put_be64(start, (uint64_t)f->start_ns);
	}
	if (!(out->items = calloc(page_size, sizeof(*out->items))))
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	if ((rc = store_rtxn_begin(st, &txn))) {
		store_audit_page_free(out);
		return store_mdb_err(rc, "read", err, errlen);
	}
	rc = walk(txn, st->audit, start, after[0] != 0, &sc);
	store_rtxn_end(st, txn);
	if (rc == 0 && sc.more) {
		char hx[2 * KEY_LEN + 1];
		hex_key(sc.last, hx);
		rc = store_token_encode('a', qh, hx, &out->next_token);
	} else if (rc == 0) {
		rc = (out->next_token = strdup("")) ? 0 : CD_ENOMEM;
	}
	if (rc) {
		store_audit_page_free(out);
		if (rc == -1)
			return cd_fail(err, errlen, CD_ECORRUPT, "listing audit "
			               "events: a stored event does not decode");
		return rc == CD_ENOMEM
		       ? cd_fail(err, errlen, CD_ENOMEM, "out of memory")
		       : store_mdb_err(rc, "listing audit events", err, errlen);
	}
	return CD_OK;
}

void store_audit_page_free(store_audit_page_t *page)
{
	if (!page)
		return;
	for (size_t i = 0; i < page->n; i++)
		clusters__v1__audit_event__free_unpacked(page->items[i], NULL);
	free(page->items);
	free(page->next_token);
	memset(page, 0, sizeof(*page));
}
