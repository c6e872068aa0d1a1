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

int store_audit_write(store_wctx_t *w, const store_op_t *op,
                      const char *coll, const char *id,
                      const char *etag_before, const char *etag_after,
                      const ProtobufCMessage *old,
                      const ProtobufCMessage *rec, const char *detail)
{
	store_audit_t ev = CLUSTERS__V1__AUDIT_EVENT__INIT;
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	char res[STORE_ID_MAX + 32];
	uint8_t key[KEY_LEN];
	store_paths_t paths;
	MDB_val k = {KEY_LEN, key}, v;
	int rc;

	if ((rc = next_key(w, key)))
		return rc;
	if (coll)
		snprintf(res, sizeof(res), "%s/%s", coll, id);
	else
		snprintf(res, sizeof(res), "%s", id);
	ts.seconds = (int64_t)(w->audit_ns / 1000000000u);
	ts.nanos = (int32_t)(w->audit_ns % 1000000000u);
	ev.time = &ts;
	ev.sequence = w->audit_seq;
	ev.principal = (char *)(op->principal ? op->principal : "");
	ev.method = (char *)(op->method ? op->method
	                                : default_method(op->kind));
	ev.resource = res;
	ev.etag_before = (char *)(etag_before ? etag_before : "");
	ev.etag_after = (char *)(etag_after ? etag_after : "");
	ev.detail = (char *)(detail ? detail : "");
	if (old && rec) {
		store_audit_diff(old, rec, &paths);
		ev.changed_paths = (char **)paths.v;
		ev.n_changed_paths = paths.n;
	} else if (op->kind == STORE_AUDIT_NOTE) {
		ev.changed_paths = (char **)op->paths;
		ev.n_changed_paths = op->n_paths;
	}
	v.mv_size = clusters__v1__audit_event__get_packed_size(&ev);
	if ((rc = mdb_cursor_put(w->acur, &k, &v, MDB_APPEND | MDB_RESERVE)))
		return rc;
	clusters__v1__audit_event__pack(&ev, v.mv_data);
	return 0;
}

/* ---------------------------------------------------------------- listing */

static const char *const collections[] = {"clusters", "competitions", "runs",
                                          "plugins", NULL};

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
		if (!collections[i] || (slash && !strcmp(collections[i],
		                                         "plugins")))
			return cd_fail(err, errlen, CD_EINVAL,
			               "resource: \"%.64s\" is not \"clusters/ID\", "
			               "\"competitions/ID\", \"runs/ID\", or one of "
			               "the collections clusters, competitions, "
			               "runs, plugins", f->resource);
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
