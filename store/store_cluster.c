/*
 * store_cluster.c — cluster records and their secondary indexes: writes
 * inside a batch transaction, point reads, and paged listing.
 */
#include "store_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static MDB_val key_of(const char *id)
{
	MDB_val k = {strlen(id), (void *)id};
	return k;
}

/* Decodes the stored record under id; *out NULL when absent. Returns an
 * LMDB error, or -1 for a record that does not decode. */
static int read_raw(MDB_txn *txn, MDB_dbi dbi, const char *id,
                    store_cluster_t **out)
{
	MDB_val k = key_of(id), v;
	int rc = mdb_get(txn, dbi, &k, &v);
	*out = NULL;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return rc;
	*out = clusters__v1__cluster__unpack(NULL, v.mv_size, v.mv_data);
	return *out ? 0 : -1;
}

/* Reserves room for the record; past the last id, by appending. */
static int put_record(store_wctx_t *w, MDB_val *k, MDB_val *v)
{
	int rc = mdb_cursor_put(w->ccur, k, v,
	                        MDB_RESERVE | (w->append ? MDB_APPEND : 0));
	if (rc == 0 && w->append) {
		memcpy(w->last, k->mv_data, k->mv_size);
		w->last_len = k->mv_size;
	}
	return rc;
}

/* Writes rec (already validated) under its id with a fresh etag and
 * update time; create_time taken from old, or now for a new record. */
static int write_record(store_wctx_t *w, store_op_t *op,
                        const store_cluster_t *in, const store_cluster_t *old)
{
	store_cluster_t rec = *in;
	Google__Protobuf__Timestamp ct = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	Google__Protobuf__Timestamp ut = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	char etag[17];
	MDB_val k = key_of(in->id), v;
	int rc;

	ut.seconds = w->now_sec;
	ut.nanos = w->now_nsec;
	if (old && old->create_time)
		ct = *old->create_time;
	else
		ct = ut;
	rec.create_time = &ct;
	rec.update_time = &ut;
	store_next_etag(w, etag);
	rec.etag = etag;

	if (in == op->cluster && op->packed && op->packed_len) {
		/* Reuse the client's bytes: encoding costs more than the
		 * rest of a write put together. */
		size_t need = op->packed_len + STORE_WIRE_EXTRA;
		if (need > w->scratch_cap) {
			uint8_t *p = realloc(w->scratch, need * 2);
			if (!p)
				return ENOMEM;
			w->scratch = p;
			w->scratch_cap = need * 2;
		}
		v.mv_size = store_wire_build(op->packed, op->packed_len,
		                             w->scratch, etag, &ct, &ut);
	} else {
		v.mv_size = 0;
	}
	if (v.mv_size) {
		if ((rc = put_record(w, &k, &v)))
			return rc;
		memcpy(v.mv_data, w->scratch, v.mv_size);
	} else {
		v.mv_size = clusters__v1__cluster__get_packed_size(&rec);
		/* Pack straight into the page LMDB reserved. */
		if ((rc = put_record(w, &k, &v)))
			return rc;
		clusters__v1__cluster__pack(&rec, v.mv_data);
	}
	if (old && (rc = store_idx_add(&w->idx, old, 1)))
		return rc;
	if ((rc = store_idx_add(&w->idx, &rec, 0)))
		return rc;
	if (op->want_result) {
		op->cluster_out = clusters__v1__cluster__unpack(NULL, v.mv_size,
		                                                v.mv_data);
		if (!op->cluster_out)
			return ENOMEM;
	}
	if (op->want_packed) {
		/* v still points at the reserved page: copy out of it. */
		op->packed_out = malloc(v.mv_size ? v.mv_size : 1);
		if (!op->packed_out)
			return ENOMEM;
		memcpy(op->packed_out, v.mv_data, v.mv_size);
		op->packed_out_len = v.mv_size;
	}
	op->created = old == NULL;
	w->data_changed = 1;
	/* The event goes in the same transaction: never a write without it. */
	return store_audit_write(w, op, "clusters", in->id,
	                         old ? old->etag : NULL, etag,
	                         old ? &old->base : NULL,
	                         old ? &rec.base : NULL, NULL);
}

static int etag_ok(store_op_t *op, const store_cluster_t *old)
{
	if (!op->etag || !*op->etag)
		return 1;
	return old->etag && !strcmp(old->etag, op->etag);
}

int store_mask_is_star(const char *const *mask, size_t mask_len)
{
	return mask_len == 1 && !strcmp(mask[0], "*");
}

int store_mask_refuse(const char *path, size_t i,
                      const char *const *readonly, char *err, size_t errlen)
{
	if (!strcmp(path, "*"))
		return cd_fail(err, errlen, CD_EV_FIELDMASK,
		               "update_mask.paths[%zu]: \"*\" must be the only "
		               "path", i);
	for (size_t k = 0; readonly[k]; k++)
		if (!strcmp(path, readonly[k]))
			return cd_fail(err, errlen, CD_EV_FIELDMASK,
			               "update_mask.paths[%zu]: \"%.64s\" cannot "
			               "be changed", i, path);
	return cd_fail(err, errlen, CD_EV_FIELDMASK,
	               "update_mask.paths[%zu]: unknown field \"%.64s\"", i,
	               path);
}

static int set(const char *s);

/* Applies the update mask (AIP-134): the fields it names come from the
 * patch, the rest from the stored record; no mask names the fields the
 * patch sets (non-empty strings and lists); "*" takes every writable field
 * from the patch. */
static int merge(store_op_t *op, const store_cluster_t *old,
                 store_cluster_t *out)
{
	static const char *const readonly[] = {"id", "etag", "create_time",
	                                       "update_time", NULL};
	const store_cluster_t *p = op->cluster;
	*out = *old;
	if (store_mask_is_star(op->mask, op->mask_len)) {
		*out = *p;
		return CD_OK;
	}
	if (op->mask_len == 0) {
		if (set(p->name))
			out->name = p->name;
		if (set(p->economy))
			out->economy = p->economy;
		if (set(p->region))
			out->region = p->region;
		if (set(p->industry))
			out->industry = p->industry;
		if (p->n_cities) {
			out->n_cities = p->n_cities;
			out->cities = p->cities;
		}
		if (p->n_indicators) {
			out->n_indicators = p->n_indicators;
			out->indicators = p->indicators;
		}
		if (p->n_assessments) {
			out->n_assessments = p->n_assessments;
			out->assessments = p->assessments;
		}
		if (p->n_labels) {
			out->n_labels = p->n_labels;
			out->labels = p->labels;
		}
		return CD_OK;
	}
	for (size_t i = 0; i < op->mask_len; i++) {
		const char *f = op->mask[i];
		if (!strcmp(f, "name"))
			out->name = p->name;
		else if (!strcmp(f, "economy"))
			out->economy = p->economy;
		else if (!strcmp(f, "region"))
			out->region = p->region;
		else if (!strcmp(f, "industry"))
			out->industry = p->industry;
		else if (!strcmp(f, "cities")) {
			out->n_cities = p->n_cities;
			out->cities = p->cities;
		} else if (!strcmp(f, "indicators")) {
			out->n_indicators = p->n_indicators;
			out->indicators = p->indicators;
		} else if (!strcmp(f, "assessments")) {
			out->n_assessments = p->n_assessments;
			out->assessments = p->assessments;
		} else if (!strcmp(f, "labels")) {
			out->n_labels = p->n_labels;
			out->labels = p->labels;
		} else
			return store_mask_refuse(f, i, readonly, op->err,
			                         sizeof(op->err));
	}
	return CD_OK;
}

static int corrupt(store_op_t *op, const char *id)
{
	op->rc = cd_fail(op->err, sizeof(op->err), CD_ECORRUPT,
	                 "stored cluster \"%s\" does not decode", id);
	return 0;
}

/* Looks id up through the batch's cursor, which then stays on the leaf
 * where the write goes: a batch in id order descends the tree once per
 * page, not twice per record. */
static int cursor_read(store_wctx_t *w, const char *id, store_cluster_t **old)
{
	MDB_val k = key_of(id), v;
	int rc;
	*old = NULL;
	w->append = 0;
	if (!w->ccur &&
	    (rc = mdb_cursor_open(w->txn, w->st->clusters, &w->ccur)))
		return rc;
	if (!w->last_known) {
		MDB_val lk, lv;
		rc = mdb_cursor_get(w->ccur, &lk, &lv, MDB_LAST);
		if (rc && rc != MDB_NOTFOUND)
			return rc;
		w->last_len = rc ? 0 : lk.mv_size;
		if (w->last_len > STORE_ID_MAX)
			w->last_len = STORE_ID_MAX;
		if (!rc)
			memcpy(w->last, lk.mv_data, w->last_len);
		w->last_known = 1;
	}
	/* LMDB's key order: bytes, then length. */
	size_t l = k.mv_size < w->last_len ? k.mv_size : w->last_len;
	int c = memcmp(id, w->last, l);
	if (c > 0 || (c == 0 && k.mv_size > w->last_len)) {
		w->append = 1;
		return 0;
	}
	rc = mdb_cursor_get(w->ccur, &k, &v, MDB_SET_KEY);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return rc;
	*old = clusters__v1__cluster__unpack(NULL, v.mv_size, v.mv_data);
	return *old ? 0 : -1;
}

int store_cluster_op(store_wctx_t *w, store_op_t *op)
{
	const char *id = op->kind == STORE_CLUSTER_DELETE ? op->id
	                                                  : op->cluster->id;
	store_cluster_t *old = NULL, merged;
	int rc = cursor_read(w, id, &old);

	if (rc == -1)
		return corrupt(op, id);
	if (rc)
		return rc;
	if (old && !etag_ok(op, old)) {
		op->rc = cd_fail(op->err, sizeof(op->err), CD_ECONFLICT,
		                 "cluster \"%s\": etag \"%s\" is stale (now \"%s\")",
		                 id, op->etag, old->etag ? old->etag : "");
		goto out;
	}
	switch (op->kind) {
	case STORE_CLUSTER_CREATE:
		if (old) {
			op->rc = cd_fail(op->err, sizeof(op->err), CD_EEXISTS,
			                 "cluster \"%s\" already exists", id);
			break;
		}
		rc = write_record(w, op, op->cluster, NULL);
		break;
	case STORE_CLUSTER_UPSERT:
		rc = write_record(w, op, op->cluster, old);
		break;
	case STORE_CLUSTER_UPDATE:
		if (!old && !op->allow_missing) {
			op->rc = cd_fail(op->err, sizeof(op->err), CD_ENOTFOUND,
			                 "cluster \"%s\" not found", id);
			break;
		}
		if (!old) {
			op->rc = store_validate_cluster(op->cluster, op->err,
			                                sizeof(op->err));
			if (op->rc == CD_OK)
				rc = write_record(w, op, op->cluster, NULL);
			break;
		}
		if ((op->rc = merge(op, old, &merged)) != CD_OK)
			break;
		op->rc = store_validate_cluster(&merged, op->err,
		                                sizeof(op->err));
		if (op->rc == CD_OK)
			rc = write_record(w, op, &merged, old);
		break;
	case STORE_CLUSTER_DELETE: {
		if (!old) {
			op->rc = cd_fail(op->err, sizeof(op->err), CD_ENOTFOUND,
			                 "cluster \"%s\" not found", id);
			break;
		}
		/* The cursor still stands on the record cursor_read found. */
		if ((rc = mdb_cursor_del(w->ccur, 0)) == 0)
			rc = store_idx_add(&w->idx, old, 1);
		if (rc == 0)
			rc = store_audit_write(w, op, "clusters", id, old->etag,
			                       NULL, NULL, NULL, NULL);
		w->data_changed = 1;
		break;
	}
	default:
		break;
	}
out:
	store_cluster_free(old);
	return rc;
}

/* ------------------------------------------------------------------ reads */

int store_cluster_read(store_t *st, MDB_txn *txn, const char *id,
                       store_cluster_t **out, char *err, size_t errlen)
{
	int rc;
	*out = NULL;
	if ((rc = store_validate_id(id, "id", err, errlen)) != CD_OK)
		return rc;
	rc = read_raw(txn, st->clusters, id, out);
	if (rc == -1)
		return cd_fail(err, errlen, CD_ECORRUPT,
		               "stored cluster \"%s\" does not decode", id);
	if (rc)
		return store_mdb_err(rc, "get", err, errlen);
	if (!*out)
		return cd_fail(err, errlen, CD_ENOTFOUND,
		               "cluster \"%s\" not found", id);
	return CD_OK;
}

int store_cluster_get(store_t *st, const char *id, store_cluster_t **out,
                      char *err, size_t errlen)
{
	MDB_txn *txn;
	int rc = store_rtxn_begin(st, &txn);
	*out = NULL;
	if (rc)
		return store_mdb_err(rc, "read", err, errlen);
	rc = store_cluster_read(st, txn, id, out, err, errlen);
	store_rtxn_end(st, txn);
	return rc;
}

int store_cluster_get_packed(store_t *st, const char *id, uint8_t **buf,
                             size_t *len, char *err, size_t errlen)
{
	MDB_txn *txn;
	MDB_val k, v;
	int rc;

	*buf = NULL;
	*len = 0;
	if ((rc = store_validate_id(id, "id", err, errlen)) != CD_OK)
		return rc;
	if ((rc = store_rtxn_begin(st, &txn)))
		return store_mdb_err(rc, "read", err, errlen);
	k = key_of(id);
	rc = mdb_get(txn, st->clusters, &k, &v);
	if (rc == 0) {
		*buf = malloc(v.mv_size ? v.mv_size : 1);
		if (*buf) {
			memcpy(*buf, v.mv_data, v.mv_size);
			*len = v.mv_size;
		}
	}
	store_rtxn_end(st, txn);
	if (rc == MDB_NOTFOUND)
		return cd_fail(err, errlen, CD_ENOTFOUND,
		               "cluster \"%s\" not found", id);
	if (rc)
		return store_mdb_err(rc, "get", err, errlen);
	if (!*buf)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	return CD_OK;
}

/* ---------------------------------------------------------------- filters */

static int set(const char *s)
{
	return s && *s;
}

int store_filter_empty(const store_filter_t *f)
{
	return !f || (!set(f->economy) && !set(f->region) && !set(f->city) &&
	              !set(f->industry));
}

static int economy_match(const char *want, const char *have)
{
	size_t wl = strlen(want);
	if (!have)
		return 0;
	if (!strcmp(want, have))
		return 1;
	for (const char *p = have; *p;) {
		size_t l = strcspn(p, "/");
		if (l == wl && !memcmp(p, want, l))
			return 1;
		p += l + (p[l] == '/');
	}
	return 0;
}

int store_filter_match(const store_filter_t *f, const store_cluster_t *c)
{
	if (store_filter_empty(f))
		return 1;
	if (set(f->economy) && !economy_match(f->economy, c->economy))
		return 0;
	if (set(f->region) && (!c->region || strcmp(f->region, c->region)))
		return 0;
	if (set(f->industry) &&
	    (!c->industry || strcmp(f->industry, c->industry)))
		return 0;
	if (set(f->city)) {
		size_t i;
		for (i = 0; i < c->n_cities; i++)
			if (!strcmp(c->cities[i], f->city))
				break;
		if (i == c->n_cities)
			return 0;
	}
	return 1;
}

/* ------------------------------------------------------------------ scans */

/* The index to drive a filtered scan: the most selective field given. */
static int pick_index(const store_filter_t *f, char *field, const char **val)
{
	if (store_filter_empty(f))
		return 0;
	if (set(f->city)) {
		*field = STORE_IDX_CITY;
		*val = f->city;
	} else if (set(f->region)) {
		*field = STORE_IDX_REGION;
		*val = f->region;
	} else if (set(f->industry)) {
		*field = STORE_IDX_INDUSTRY;
		*val = f->industry;
	} else {
		*field = STORE_IDX_ECONOMY;
		*val = f->economy;
	}
	return 1;
}

static int scan_plain(store_t *st, MDB_txn *txn, const char *after,
                      store_scan_fn fn, void *arg)
{
	MDB_cursor *cur;
	MDB_val k, v;
	MDB_cursor_op opx = MDB_FIRST;
	int rc = mdb_cursor_open(txn, st->clusters, &cur);
	if (rc)
		return store_mdb_err(rc, "cursor", NULL, 0);
	if (after && *after) {
		k = key_of(after);
		opx = MDB_SET_RANGE;
	}
	rc = mdb_cursor_get(cur, &k, &v, opx);
	/* Pages resume strictly after the last id returned. */
	if (rc == 0 && opx == MDB_SET_RANGE && k.mv_size == strlen(after) &&
	    !memcmp(k.mv_data, after, k.mv_size))
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	store_span_t span = {0};
	for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		int r = fn(arg, k.mv_data, k.mv_size, v.mv_data, v.mv_size);
		if (r) {
			mdb_cursor_close(cur);
			return r;
		}
		store_span_add(st, &span, &v);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? CD_OK : store_mdb_err(rc, "scan", NULL, 0);
}

typedef struct filt_arg {
	const store_filter_t *f;
	store_scan_fn fn;
	void *arg;
} filt_arg_t;

static int scan_filtered(store_t *st, MDB_txn *txn, const store_filter_t *f,
                         const char *after, store_scan_fn fn, void *arg)
{
	char field = 0, start[STORE_KEY_MAX];
	const char *val = "";
	size_t plen, alen = after ? strlen(after) : 0;
	MDB_cursor *cur;
	MDB_val k, v, pk, pv;
	int rc;

	store_span_t span = {0};
	pick_index(f, &field, &val);
	plen = 2 + strlen(val);
	if (plen + alen > STORE_KEY_MAX)
		return CD_OK; /* no stored value is that long */
	start[0] = field;
	memcpy(start + 1, val, plen - 2);
	start[plen - 1] = 0;
	memcpy(start + plen, after ? after : "", alen);
	if ((rc = mdb_cursor_open(txn, st->cluster_idx, &cur)))
		return store_mdb_err(rc, "cursor", NULL, 0);
	k.mv_data = start;
	k.mv_size = plen + alen;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < plen || memcmp(k.mv_data, start, plen))
			break;
		pk.mv_data = (char *)k.mv_data + plen;
		pk.mv_size = k.mv_size - plen;
		if (alen && pk.mv_size == alen && !memcmp(pk.mv_data, after, alen))
			continue;
		if ((rc = mdb_get(txn, st->clusters, &pk, &pv))) {
			if (rc == MDB_NOTFOUND)
				continue; /* cannot happen: same-txn indexes */
			break;
		}
		/* Other filters need the decoded record. */
		store_cluster_t *c =
		        clusters__v1__cluster__unpack(NULL, pv.mv_size, pv.mv_data);
		int ok = c && store_filter_match(f, c);
		store_cluster_free(c);
		if (!ok)
			continue;
		int r = fn(arg, pk.mv_data, pk.mv_size, pv.mv_data, pv.mv_size);
		if (!r)
			store_span_add(st, &span, &pv);
		if (r) {
			mdb_cursor_close(cur);
			return r;
		}
	}
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? CD_OK
	                                     : store_mdb_err(rc, "scan", NULL, 0);
}

int store_scan_txn(store_t *st, MDB_txn *txn, const store_filter_t *f,
                   const char *after_id, store_scan_fn fn, void *arg)
{
	if (store_filter_empty(f))
		return scan_plain(st, txn, after_id, fn, arg);
	return scan_filtered(st, txn, f, after_id, fn, arg);
}

/* ---------------------------------------------------------------- listing */

typedef struct page_arg {
	store_cluster_page_t *page;
	size_t want;
	int more;      /* one match beyond the page was seen */
	int rc;
} page_arg_t;

#define PAGE_STOP 0x7fff0001

static int page_add(void *arg, const char *id, size_t id_len,
                    const uint8_t *val, size_t val_len)
{
	page_arg_t *pa = arg;
	(void)id;
	(void)id_len;
	if (pa->page->n == pa->want) {
		pa->more = 1;
		return PAGE_STOP;
	}
	store_cluster_t *c = clusters__v1__cluster__unpack(NULL, val_len, val);
	if (!c) {
		pa->rc = CD_ECORRUPT;
		return PAGE_STOP;
	}
	pa->page->items[pa->page->n++] = c;
	return 0;
}

static uint32_t filter_hash(const store_filter_t *f)
{
	const char *parts[4] = {
		f && f->economy ? f->economy : "", f && f->region ? f->region : "",
		f && f->city ? f->city : "", f && f->industry ? f->industry : ""};
	return store_token_hash(parts, 4);
}

int store_cluster_list(store_t *st, const store_filter_t *f,
                       size_t page_size, const char *page_token,
                       store_cluster_page_t *out, char *err, size_t errlen)
{
	char after[STORE_ID_MAX + 1] = "";
	uint32_t qh = filter_hash(f);
	page_arg_t pa = {.page = out};
	MDB_txn *txn;
	int rc;

	memset(out, 0, sizeof(*out));
	if (page_size == 0)
		page_size = STORE_PAGE_DEFAULT;
	if (page_size > STORE_PAGE_MAX)
		page_size = STORE_PAGE_MAX;
	if (page_token && *page_token &&
	    (rc = store_token_decode(page_token, 'c', qh, after, sizeof(after),
	                             err, errlen)) != CD_OK)
		return rc;
	out->items = calloc(page_size, sizeof(*out->items));
	if (!out->items)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	pa.want = page_size;
	if ((rc = store_rtxn_begin(st, &txn))) {
		store_cluster_page_free(out);
		return store_mdb_err(rc, "read", err, errlen);
	}
	rc = store_scan_txn(st, txn, f, after, page_add, &pa);
	store_rtxn_end(st, txn);
	if (rc == PAGE_STOP)
		rc = pa.rc;
	if (rc == CD_OK && pa.more)
		rc = store_token_encode('c', qh, out->items[out->n - 1]->id,
		                        &out->next_token);
	else if (rc == CD_OK)
		rc = (out->next_token = strdup("")) ? CD_OK : CD_ENOMEM;
	if (rc != CD_OK) {
		store_cluster_page_free(out);
		return cd_fail(err, errlen, rc, "listing clusters: %s",
		               cd_err_name(rc));
	}
	return CD_OK;
}

void store_cluster_page_free(store_cluster_page_t *page)
{
	if (!page)
		return;
	for (size_t i = 0; i < page->n; i++)
		store_cluster_free(page->items[i]);
	free(page->items);
	free(page->next_token);
	memset(page, 0, sizeof(*page));
}
