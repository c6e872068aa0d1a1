/*
 * store_competition.c — competitions and runs: writes inside a batch
 * transaction, reads and paged listing. A run is stored twice: whole, and
 * as a head without standings so that listing runs stays cheap however
 * large a run is.
 */
#include "store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static MDB_val key_of(const char *id)
{
	MDB_val k = {strlen(id), (void *)id};
	return k;
}

static int exists(MDB_txn *txn, MDB_dbi dbi, const char *id, MDB_val *v)
{
	MDB_val k = key_of(id), tmp;
	return mdb_get(txn, dbi, &k, v ? v : &tmp);
}

static int set(const char *s)
{
	return s && *s;
}

int store_competition_merge(const store_competition_t *old,
                            const store_competition_t *patch,
                            const char *const *mask, size_t mask_len,
                            store_competition_t *out, char *err,
                            size_t errlen)
{
	static const char *const readonly[] = {"id", "etag", "create_time",
	                                       "update_time", NULL};
	const store_competition_t *p = patch;
	*out = *old;
	if (store_mask_is_star(mask, mask_len)) {
		*out = *p;
		out->id = old->id;
		out->etag = old->etag;
		out->create_time = old->create_time;
		out->update_time = old->update_time;
		return CD_OK;
	}
	if (mask_len == 0) {
		if (set(p->title))
			out->title = p->title;
		if (set(p->edition))
			out->edition = p->edition;
		if (set(p->description))
			out->description = p->description;
		if (p->n_rounds) {
			out->n_rounds = p->n_rounds;
			out->rounds = p->rounds;
		}
		if (set(p->baseline_run_id))
			out->baseline_run_id = p->baseline_run_id;
		if (p->summary_group_min)
			out->summary_group_min = p->summary_group_min;
		if (p->plugin_timeout)
			out->plugin_timeout = p->plugin_timeout;
		return CD_OK;
	}
	for (size_t i = 0; i < mask_len; i++) {
		const char *f = mask[i];
		if (!strcmp(f, "title"))
			out->title = p->title;
		else if (!strcmp(f, "edition"))
			out->edition = p->edition;
		else if (!strcmp(f, "description"))
			out->description = p->description;
		else if (!strcmp(f, "rounds")) {
			out->n_rounds = p->n_rounds;
			out->rounds = p->rounds;
		} else if (!strcmp(f, "baseline_run_id"))
			out->baseline_run_id = p->baseline_run_id;
		else if (!strcmp(f, "summary_group_min"))
			out->summary_group_min = p->summary_group_min;
		else if (!strcmp(f, "plugin_timeout"))
			out->plugin_timeout = p->plugin_timeout;
		else
			return store_mask_refuse(f, i, readonly, err, errlen);
	}
	return CD_OK;
}

static int stale(store_op_t *op, const store_competition_t *old)
{
	if (!op->etag || !*op->etag || (old->etag && !strcmp(old->etag,
	                                                     op->etag)))
		return 0;
	op->rc = cd_fail(op->err, sizeof(op->err), CD_ECONFLICT,
	                 "competition \"%s\": etag \"%s\" is stale (now "
	                 "\"%s\")", old->id, op->etag,
	                 old->etag ? old->etag : "");
	return 1;
}

/* The stored competition id into *old (NULL with op->rc set when absent
 * or undecodable); returns an LMDB error. */
static int read_old(store_wctx_t *w, store_op_t *op, const char *id,
                    store_competition_t **old)
{
	MDB_val v;
	int rc = exists(w->txn, w->st->competitions, id, &v);
	*old = NULL;
	if (rc == MDB_NOTFOUND) {
		op->rc = cd_fail(op->err, sizeof(op->err), CD_ENOTFOUND,
		                 "competition \"%s\" not found", id);
		return 0;
	}
	if (rc)
		return rc;
	*old = clusters__v1__competition__unpack(NULL, v.mv_size, v.mv_data);
	if (!*old)
		op->rc = cd_fail(op->err, sizeof(op->err), CD_ECORRUPT,
		                 "stored competition \"%s\" does not decode", id);
	return 0;
}

/* Writes rec under its id with a fresh etag; create_time from old, or now
 * for a new record; update_time now. */
static int write_comp(store_wctx_t *w, store_op_t *op,
                      const store_competition_t *in,
                      const store_competition_t *old)
{
	store_competition_t rec = *in;
	Google__Protobuf__Timestamp ct = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	Google__Protobuf__Timestamp ut = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	char etag[17];
	MDB_val k = key_of(rec.id), v;
	int rc;

	ut.seconds = w->now_sec;
	ut.nanos = w->now_nsec;
	ct = old && old->create_time ? *old->create_time : ut;
	rec.create_time = &ct;
	rec.update_time = &ut;
	store_next_etag(w, etag);
	rec.etag = etag;
	v.mv_size = clusters__v1__competition__get_packed_size(&rec);
	if ((rc = mdb_put(w->txn, w->st->competitions, &k, &v, MDB_RESERVE)))
		return rc;
	clusters__v1__competition__pack(&rec, v.mv_data);
	if (op->want_result) {
		op->competition_out = clusters__v1__competition__unpack(
		        NULL, v.mv_size, v.mv_data);
		if (!op->competition_out)
			return ENOMEM;
	}
	op->created = old == NULL;
	return store_audit_write(w, op, "competitions", rec.id,
	                         old ? old->etag : NULL, etag,
	                         old ? &old->base : NULL,
	                         old ? &rec.base : NULL, NULL);
}

int store_competition_op(store_wctx_t *w, store_op_t *op)
{
	store_competition_t *old = NULL, merged;
	int rc;

	if (op->kind == STORE_COMPETITION_DELETE ||
	    op->kind == STORE_COMPETITION_UPDATE) {
		const char *id = op->kind == STORE_COMPETITION_DELETE
		                 ? op->id : op->competition->id;
		if ((rc = read_old(w, op, id, &old)) || !old)
			return rc;
		if (stale(op, old))
			goto out;
		if (op->kind == STORE_COMPETITION_DELETE) {
			MDB_val k = key_of(id);
			rc = mdb_del(w->txn, w->st->competitions, &k, NULL);
			if (rc == 0)
				rc = store_audit_write(w, op, "competitions", id,
				                       old->etag, NULL, NULL,
				                       NULL, NULL);
			goto out;
		}
		op->rc = store_competition_merge(old, op->competition, op->mask,
		                                 op->mask_len, &merged, op->err,
		                                 sizeof(op->err));
		if (op->rc == CD_OK)
			op->rc = store_validate_competition(&merged, op->err,
			                                    sizeof(op->err));
		if (op->rc == CD_OK)
			rc = write_comp(w, op, &merged, old);
		goto out;
	}

	rc = exists(w->txn, w->st->competitions, op->competition->id, NULL);
	if (rc == 0) {
		op->rc = cd_fail(op->err, sizeof(op->err), CD_EEXISTS,
		                 "competition \"%s\" already exists",
		                 op->competition->id);
		return 0;
	}
	if (rc != MDB_NOTFOUND)
		return rc;
	rc = write_comp(w, op, op->competition, NULL);
out:
	store_competition_free(old);
	return rc;
}

/* run_idx key: competition id, 0, run id. */
static size_t run_idx_key(char *buf, const char *comp, const char *run)
{
	size_t cl = strlen(comp), rl = strlen(run);
	memcpy(buf, comp, cl);
	buf[cl] = 0;
	memcpy(buf + cl + 1, run, rl);
	return cl + 1 + rl;
}

static int put_packed_run(store_wctx_t *w, MDB_dbi dbi, const store_run_t *r)
{
	MDB_val k = key_of(r->id), v;
	int rc;
	v.mv_size = clusters__v1__run__get_packed_size(r);
	if ((rc = mdb_put(w->txn, dbi, &k, &v, MDB_RESERVE)))
		return rc;
	clusters__v1__run__pack(r, v.mv_data);
	return 0;
}

int store_run_state_terminal(int state)
{
	return state != CLUSTERS__V1__RUN_STATE__RUN_STATE_QUEUED &&
	       state != CLUSTERS__V1__RUN_STATE__RUN_STATE_RUNNING;
}

const char *store_run_state_name(int state)
{
	switch (state) {
	case CLUSTERS__V1__RUN_STATE__RUN_STATE_QUEUED: return "QUEUED";
	case CLUSTERS__V1__RUN_STATE__RUN_STATE_RUNNING: return "RUNNING";
	case CLUSTERS__V1__RUN_STATE__RUN_STATE_FAILED: return "FAILED";
	case CLUSTERS__V1__RUN_STATE__RUN_STATE_CANCELLED: return "CANCELLED";
	default: return "SUCCEEDED";
	}
}

/* The stored head of run id, decoded (free with store_run_free), or NULL
 * with op->rc set (CD_ENOTFOUND, CD_ECORRUPT). Returns an LMDB code. */
static int head_of(store_wctx_t *w, store_op_t *op, const char *id,
                   store_run_t **out)
{
	MDB_val v;
	*out = NULL;
	int rc = exists(w->txn, w->st->run_heads, id, &v);
	if (rc == MDB_NOTFOUND) {
		op->rc = cd_fail(op->err, sizeof(op->err), CD_ENOTFOUND,
		                 "run \"%s\" not found", id);
		return 0;
	}
	if (rc)
		return rc;
	if (!(*out = clusters__v1__run__unpack(NULL, v.mv_size, v.mv_data)))
		op->rc = cd_fail(op->err, sizeof(op->err), CD_ECORRUPT,
		                 "stored run \"%s\" does not decode", id);
	return 0;
}

/* STORE_RUN_UPDATE: a run job's state transition. The stored head says
 * whether the run may still change; the new run replaces both copies. */
static int run_update(store_wctx_t *w, store_op_t *op)
{
	const store_run_t *r = op->run;
	store_run_t *old;
	int rc = head_of(w, op, r->id, &old);
	if (rc || !old)
		return rc;
	int from = old->state;
	int same_comp = !strcmp(old->competition_id, r->competition_id);
	store_run_free(old);
	if (store_run_state_terminal(from)) {
		op->rc = cd_fail(op->err, sizeof(op->err), CD_EPRECONDITION,
		                 "run \"%s\" has already ended (%s)", r->id,
		                 store_run_state_name(from));
		return 0;
	}
	if (!same_comp) {
		op->rc = cd_fail(op->err, sizeof(op->err), CD_EINVAL,
		                 "run.competition_id: differs from the stored "
		                 "run's");
		return 0;
	}
	/* A run that finished with its results: every standing, in pages,
	 * in this same transaction. */
	store_run_t whole = *r;
	if (r->state != CLUSTERS__V1__RUN_STATE__RUN_STATE_SUCCEEDED) {
		/* Batches written before it failed or was cancelled. */
		if ((rc = store_standings_delete(w, r->id)))
			return rc;
		whole.standings_total = (int64_t)r->n_standings;
	} else if (!op->standings)
		whole.standings_total = op->standings_written
			? op->standings_written : (int64_t)r->n_standings;
	else if ((rc = store_standings_write(w, op, r->id, op->standings,
	                                     &whole.standings_total)) ||
	         op->rc != CD_OK)
		return rc;
	r = &whole;
	store_run_t head = *r;
	head.n_standings = 0;
	head.standings = NULL;
	if ((rc = put_packed_run(w, w->st->runs, r)) ||
	    (rc = put_packed_run(w, w->st->run_heads, &head)))
		return rc;
	char detail[2 * STORE_ID_MAX + 64];
	snprintf(detail, sizeof(detail), "competition %s; %s -> %s",
	         r->competition_id, store_run_state_name(from),
	         store_run_state_name(r->state));
	if (r->error && r->error->message && *r->error->message) {
		size_t l = strlen(detail);
		snprintf(detail + l, sizeof(detail) - l, ": %.*s",
		         (int)(sizeof(detail) - l > 8 ? sizeof(detail) - l - 4
		                                      : 0),
		         r->error->message);
	}
	return store_audit_write(w, op, "runs", r->id, NULL, NULL, NULL, NULL,
	                         detail);
}

/* STORE_RUN_STANDINGS: one batch of an unfinished run's standings. */
static int run_standings(store_wctx_t *w, store_op_t *op)
{
	store_run_t *head;
	int rc = head_of(w, op, op->id, &head);
	if (rc || !head)
		return rc;
	int state = head->state;
	store_run_free(head);
	if (store_run_state_terminal(state)) {
		op->rc = cd_fail(op->err, sizeof(op->err), CD_EPRECONDITION,
		                 "run \"%s\" has already ended (%s)", op->id,
		                 store_run_state_name(state));
		return 0;
	}
	int64_t n;
	return store_standings_append(w, op, op->id, op->chunk_first,
	                              op->standings, &n);
}

int store_run_op(store_wctx_t *w, store_op_t *op)
{
	char ik[2 * STORE_ID_MAX + 2];
	MDB_val k, v;
	int rc;

	if (op->kind == STORE_RUN_STANDINGS)
		return run_standings(w, op);

	if (op->kind == STORE_RUN_DELETE) {
		store_run_t *head;
		if ((rc = head_of(w, op, op->id, &head)) || !head)
			return rc;
		if (!store_run_state_terminal(head->state)) {
			op->rc = cd_fail(op->err, sizeof(op->err),
			                 CD_EPRECONDITION, "run \"%s\" is %s: "
			                 "cancel it first (CancelRun)", op->id,
			                 store_run_state_name(head->state));
			store_run_free(head);
			return 0;
		}
		char detail[STORE_ID_MAX + 16];
		snprintf(detail, sizeof(detail), "competition %s",
		         head->competition_id);
		k.mv_data = ik;
		k.mv_size = run_idx_key(ik, head->competition_id, op->id);
		store_run_free(head);
		if ((rc = mdb_del(w->txn, w->st->run_idx, &k, NULL)) &&
		    rc != MDB_NOTFOUND)
			return rc;
		k = key_of(op->id);
		if ((rc = mdb_del(w->txn, w->st->run_heads, &k, NULL)) ||
		    (rc = mdb_del(w->txn, w->st->runs, &k, NULL)))
			return rc;
		if ((rc = store_standings_delete(w, op->id)))
			return rc;
		return store_audit_write(w, op, "runs", op->id, NULL, NULL,
		                         NULL, NULL, detail);
	}

	if (op->kind == STORE_RUN_UPDATE)
		return run_update(w, op);

	const store_run_t *r = op->run;
	rc = exists(w->txn, w->st->runs, r->id, NULL);
	if (rc == 0) {
		op->rc = cd_fail(op->err, sizeof(op->err), CD_EEXISTS,
		                 "run \"%s\" already exists", r->id);
		return 0;
	}
	if (rc != MDB_NOTFOUND)
		return rc;
	store_run_t whole = *r;
	whole.standings_total = (int64_t)r->n_standings;
	if (op->standings &&
	    ((rc = store_standings_write(w, op, r->id, op->standings,
	                                 &whole.standings_total)) ||
	     op->rc != CD_OK))
		return rc;
	r = &whole;
	store_run_t head = *r;
	head.n_standings = 0;
	head.standings = NULL;
	if ((rc = put_packed_run(w, w->st->runs, r)) ||
	    (rc = put_packed_run(w, w->st->run_heads, &head)))
		return rc;
	k.mv_data = ik;
	k.mv_size = run_idx_key(ik, r->competition_id, r->id);
	v.mv_size = 0;
	v.mv_data = "";
	if ((rc = mdb_put(w->txn, w->st->run_idx, &k, &v, 0)))
		return rc;
	op->created = 1;
	char detail[STORE_ID_MAX + 16];
	snprintf(detail, sizeof(detail), "competition %s", r->competition_id);
	return store_audit_write(w, op, "runs", r->id, NULL, NULL, NULL, NULL,
	                         detail);
}

/* ------------------------------------------------------------------ reads */

int store_competition_read(store_t *st, MDB_txn *txn, const char *id,
                           store_competition_t **out, char *err, size_t errlen)
{
	MDB_val v;
	int rc;
	*out = NULL;
	if ((rc = store_validate_id(id, "id", err, errlen)) != CD_OK)
		return rc;
	rc = exists(txn, st->competitions, id, &v);
	if (rc == MDB_NOTFOUND)
		return cd_fail(err, errlen, CD_ENOTFOUND,
		               "competition \"%s\" not found", id);
	if (rc)
		return store_mdb_err(rc, "get", err, errlen);
	*out = clusters__v1__competition__unpack(NULL, v.mv_size, v.mv_data);
	if (!*out)
		return cd_fail(err, errlen, CD_ECORRUPT,
		               "stored competition \"%s\" does not decode", id);
	return CD_OK;
}

int store_run_read(store_t *st, MDB_txn *txn, const char *id,
                   int with_standings, store_run_t **out, char *err,
                   size_t errlen)
{
	MDB_val v;
	int rc;
	*out = NULL;
	if ((rc = store_validate_id(id, "id", err, errlen)) != CD_OK)
		return rc;
	rc = exists(txn, with_standings ? st->runs : st->run_heads, id, &v);
	if (rc == MDB_NOTFOUND)
		return cd_fail(err, errlen, CD_ENOTFOUND, "run \"%s\" not found",
		               id);
	if (rc)
		return store_mdb_err(rc, "get", err, errlen);
	*out = clusters__v1__run__unpack(NULL, v.mv_size, v.mv_data);
	if (!*out)
		return cd_fail(err, errlen, CD_ECORRUPT,
		               "stored run \"%s\" does not decode", id);
	return CD_OK;
}

int store_competition_get(store_t *st, const char *id,
                          store_competition_t **out, char *err, size_t errlen)
{
	MDB_txn *txn;
	int rc = store_rtxn_begin(st, &txn);
	*out = NULL;
	if (rc)
		return store_mdb_err(rc, "read", err, errlen);
	rc = store_competition_read(st, txn, id, out, err, errlen);
	store_rtxn_end(st, txn);
	return rc;
}

int store_run_get(store_t *st, const char *id, int with_standings,
                  store_run_t **out, char *err, size_t errlen)
{
	MDB_txn *txn;
	int rc = store_rtxn_begin(st, &txn);
	*out = NULL;
	if (rc)
		return store_mdb_err(rc, "read", err, errlen);
	rc = store_run_read(st, txn, id, with_standings, out, err, errlen);
	store_rtxn_end(st, txn);
	return rc;
}

/* ---------------------------------------------------------------- listing */

/* Walks dbi from just after `after` (keys prefixed by prefix/plen), calling
 * take(value) until it has `want` items; *more says whether another key
 * followed. take returns non-zero on a record that does not decode. */
typedef int (*take_fn)(void *arg, MDB_txn *txn, const MDB_val *k,
                       const MDB_val *v);
/* take's answer for a record a filter leaves out (not counted). */
#define TAKE_SKIP 1

static int walk(MDB_txn *txn, MDB_dbi dbi, const char *prefix, size_t plen,
                const char *after, size_t want, take_fn take, void *arg,
                size_t *taken, int *more)
{
	char start[STORE_KEY_MAX];
	size_t alen = strlen(after);
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	*more = 0;
	*taken = 0;
	if (plen + alen > sizeof(start))
		return 0;
	memcpy(start, prefix, plen);
	memcpy(start + plen, after, alen);
	k.mv_data = start;
	k.mv_size = plen + alen;
	if ((rc = mdb_cursor_open(txn, dbi, &cur)))
		return rc;
	rc = mdb_cursor_get(cur, &k, &v, plen + alen ? MDB_SET_RANGE : MDB_FIRST);
	if (rc == 0 && alen && k.mv_size == plen + alen &&
	    !memcmp(k.mv_data, start, plen + alen))
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen))
			break;
		if (*taken == want) {
			*more = 1;
			break;
		}
		if ((rc = take(arg, txn, &k, &v)) == TAKE_SKIP) {
			rc = 0;
			continue;
		}
		if (rc)
			break;
		(*taken)++;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static size_t clamp_page(size_t n)
{
	if (n == 0)
		return STORE_PAGE_DEFAULT;
	return n > STORE_PAGE_MAX ? STORE_PAGE_MAX : n;
}

typedef struct comp_take {
	store_competition_page_t *page;
} comp_take_t;

static int take_comp(void *arg, MDB_txn *txn, const MDB_val *k,
                     const MDB_val *v)
{
	comp_take_t *ct = arg;
	(void)txn;
	(void)k;
	store_competition_t *c =
	        clusters__v1__competition__unpack(NULL, v->mv_size, v->mv_data);
	if (!c)
		return -1;
	ct->page->items[ct->page->n++] = c;
	return 0;
}

int store_competition_list(store_t *st, size_t page_size,
                           const char *page_token,
                           store_competition_page_t *out, char *err,
                           size_t errlen)
{
	char after[STORE_ID_MAX + 1] = "";
	const char *parts[1] = {""};
	uint32_t qh = store_token_hash(parts, 1);
	comp_take_t ct = {out};
	MDB_txn *txn;
	size_t taken;
	int more, rc;

	memset(out, 0, sizeof(*out));
	page_size = clamp_page(page_size);
	if (page_token && *page_token &&
	    (rc = store_token_decode(page_token, 'p', qh, after, sizeof(after),
	                             err, errlen)) != CD_OK)
		return rc;
	if (!(out->items = calloc(page_size, sizeof(*out->items))))
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	if ((rc = store_rtxn_begin(st, &txn))) {
		store_competition_page_free(out);
		return store_mdb_err(rc, "read", err, errlen);
	}
	rc = walk(txn, st->competitions, "", 0, after, page_size, take_comp,
	          &ct, &taken, &more);
	store_rtxn_end(st, txn);
	if (rc == 0 && more)
		rc = store_token_encode('p', qh, out->items[out->n - 1]->id,
		                        &out->next_token);
	else if (rc == 0)
		rc = (out->next_token = strdup("")) ? 0 : CD_ENOMEM;
	if (rc) {
		store_competition_page_free(out);
		return cd_fail(err, errlen, rc == -1 ? CD_ECORRUPT : CD_EIO,
		               "listing competitions failed");
	}
	return CD_OK;
}

void store_competition_page_free(store_competition_page_t *page)
{
	if (!page)
		return;
	for (size_t i = 0; i < page->n; i++)
		store_competition_free(page->items[i]);
	free(page->items);
	free(page->next_token);
	memset(page, 0, sizeof(*page));
}

typedef struct run_take {
	store_t *st;
	store_run_page_t *page;
	int with_standings;
	size_t plen;   /* bytes of run_idx key before the run id; 0 = heads */
	int state;     /* only runs in this state; 0 = all */
} run_take_t;


/* The state a filter sees: runs from before runs were jobs succeeded. */
static int state_of(int s)
{
	return s == CLUSTERS__V1__RUN_STATE__RUN_STATE_UNSPECIFIED
	       ? CLUSTERS__V1__RUN_STATE__RUN_STATE_SUCCEEDED : s;
}

static int take_run(void *arg, MDB_txn *txn, const MDB_val *k,
                    const MDB_val *v)
{
	run_take_t *rt = arg;
	MDB_val rk = *k, rv = *v;
	int rc;
	if (rt->plen) {
		rk.mv_data = (char *)k->mv_data + rt->plen;
		rk.mv_size = k->mv_size - rt->plen;
	}
	if (rt->state) {
		/* The head says the state; cheap whatever the run's size. */
		MDB_val hv = rv;
		if (rt->plen &&
		    (rc = mdb_get(txn, rt->st->run_heads, &rk, &hv)))
			return rc;
		store_run_t *h = clusters__v1__run__unpack(NULL, hv.mv_size,
		                                           hv.mv_data);
		if (!h)
			return -1;
		int st = state_of(h->state);
		store_run_free(h);
		if (st != rt->state)
			return TAKE_SKIP;
	}
	if (rt->plen || rt->with_standings) {
		rc = mdb_get(txn, rt->with_standings ? rt->st->runs
		                                     : rt->st->run_heads,
		             &rk, &rv);
		if (rc)
			return rc;
	}
	store_run_t *r = clusters__v1__run__unpack(NULL, rv.mv_size, rv.mv_data);
	if (!r)
		return -1;
	rt->page->items[rt->page->n++] = r;
	return 0;
}

int store_run_list(store_t *st, const char *competition_id, size_t page_size,
                   const char *page_token, int with_standings,
                   store_run_page_t *out, char *err, size_t errlen)
{
	return store_run_list_state(st, competition_id, 0, page_size,
	                            page_token, with_standings, out, err,
	                            errlen);
}

int store_run_list_state(store_t *st, const char *competition_id, int state,
                         size_t page_size, const char *page_token,
                         int with_standings, store_run_page_t *out,
                         char *err, size_t errlen)
{
	char after[STORE_ID_MAX + 1] = "", prefix[STORE_ID_MAX + 2];
	const char *comp = competition_id ? competition_id : "";
	char sbuf[16];
	snprintf(sbuf, sizeof(sbuf), "%d", state);
	/* Tokens of unfiltered lists stay what they were. */
	const char *parts[2] = {comp, sbuf};
	uint32_t qh = store_token_hash(parts, state ? 2 : 1);
	run_take_t rt = {st, out, with_standings, 0, state};
	MDB_txn *txn;
	size_t taken, plen = 0;
	int more, rc;

	memset(out, 0, sizeof(*out));
	page_size = clamp_page(page_size);
	if (state < 0 || state > CLUSTERS__V1__RUN_STATE__RUN_STATE_CANCELLED)
		return cd_fail(err, errlen, CD_EINVAL, "state: %d is not a run "
		               "state", state);
	if (*comp && (rc = store_validate_id(comp, "competition_id", err,
	                                     errlen)) != CD_OK)
		return rc;
	if (page_token && *page_token &&
	    (rc = store_token_decode(page_token, 'r', qh, after, sizeof(after),
	                             err, errlen)) != CD_OK)
		return rc;
	if (*comp) {
		plen = strlen(comp) + 1;
		memcpy(prefix, comp, plen); /* includes the 0 separator */
		rt.plen = plen;
	}
	if (!(out->items = calloc(page_size, sizeof(*out->items))))
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	if ((rc = store_rtxn_begin(st, &txn))) {
		store_run_page_free(out);
		return store_mdb_err(rc, "read", err, errlen);
	}
	rc = walk(txn, plen ? st->run_idx : st->run_heads, prefix, plen, after,
	          page_size, take_run, &rt, &taken, &more);
	store_rtxn_end(st, txn);
	if (rc == 0 && more)
		rc = store_token_encode('r', qh, out->items[out->n - 1]->id,
		                        &out->next_token);
	else if (rc == 0)
		rc = (out->next_token = strdup("")) ? 0 : CD_ENOMEM;
	if (rc) {
		store_run_page_free(out);
		return cd_fail(err, errlen, rc == -1 ? CD_ECORRUPT : CD_EIO,
		               "listing runs failed");
	}
	return CD_OK;
}

void store_run_page_free(store_run_page_t *page)
{
	if (!page)
		return;
	for (size_t i = 0; i < page->n; i++)
		store_run_free(page->items[i]);
	free(page->items);
	free(page->next_token);
	memset(page, 0, sizeof(*page));
}

/* ------------------------------------------------------ start-up sweep */

int store_run_fail_unfinished(store_t *st, const char *principal,
                              size_t *count, char *err, size_t errlen)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	store_run_t **runs = NULL;
	size_t n = 0, cap = 0;
	int rc;

	*count = 0;
	if (st->read_only)
		return cd_fail(err, errlen, CD_EPRECONDITION, "the store of data "
		               "directory %s is open read-only: unfinished runs "
		               "stay as they are", st->dir);
	if ((rc = store_rtxn_begin(st, &txn)))
		return store_mdb_err(rc, "read", err, errlen);
	if ((rc = mdb_cursor_open(txn, st->run_heads, &cur))) {
		store_rtxn_end(st, txn);
		return store_mdb_err(rc, "read", err, errlen);
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		store_run_t *h = clusters__v1__run__unpack(NULL, v.mv_size,
		                                           v.mv_data);
		if (!h)
			continue; /* GetRun reports it as DATA_LOSS */
		int unfinished = !store_run_state_terminal(h->state);
		store_run_t *whole = NULL;
		if (unfinished) {
			char e[256];
			/* The whole run: an unfinished one has no standings,
			 * but it is the copy GetRun reads. */
			if (store_run_read(st, txn, h->id, 1, &whole, e,
			                   sizeof(e)) != CD_OK)
				whole = NULL;
		}
		store_run_free(h);
		if (!whole)
			continue;
		if (n == cap) {
			size_t nc = cap ? 2 * cap : 16;
			store_run_t **nr = realloc(runs, nc * sizeof(*nr));
			if (!nr) {
				store_run_free(whole);
				rc = ENOMEM;
				break;
			}
			runs = nr;
			cap = nc;
		}
		runs[n++] = whole;
	}
	mdb_cursor_close(cur);
	store_rtxn_end(st, txn);
	if (rc == ENOMEM)
		rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	else if (rc != MDB_NOTFOUND)
		rc = store_mdb_err(rc, "read", err, errlen);
	else
		rc = CD_OK;

	store_op_t *ops = rc || !n ? NULL : calloc(n, sizeof(*ops));
	Google__Rpc__Status status = GOOGLE__RPC__STATUS__INIT;
	status.code = 14; /* UNAVAILABLE */
	status.message = "server restarted before the run finished";
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	Google__Protobuf__Timestamp end = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	end.seconds = now.tv_sec;
	end.nanos = (int32_t)now.tv_nsec;
	if (!rc && n && !ops)
		rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	if (!rc && n) {
		for (size_t i = 0; i < n; i++) {
			/* Fields the unpacked run owns are only borrowed
			 * over; restored before it is freed. */
			runs[i]->state = CLUSTERS__V1__RUN_STATE__RUN_STATE_FAILED;
			ops[i].kind = STORE_RUN_UPDATE;
			ops[i].run = runs[i];
			ops[i].principal = principal;
			ops[i].method = "RunFinished";
		}
		/* The runs' own error, end_time and progress are set
		 * aside (the unpacked runs own them) and put back before
		 * the runs are freed. */
		struct kept {
			Google__Rpc__Status *error;
			Google__Protobuf__Timestamp *end;
			Clusters__V1__Progress *progress;
		} *kept = calloc(n, sizeof(*kept));
		if (!kept) {
			rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
		} else {
			for (size_t i = 0; i < n; i++) {
				kept[i].error = runs[i]->error;
				kept[i].end = runs[i]->end_time;
				kept[i].progress = runs[i]->progress;
				runs[i]->error = &status;
				runs[i]->end_time = &end;
				runs[i]->progress = NULL;
			}
			rc = store_apply(st, ops, n);
			if (rc)
				cd_fail(err, errlen, rc, "marking unfinished "
				        "runs failed: %s", ops[0].err);
			for (size_t i = 0; i < n; i++) {
				if (!rc && ops[i].rc == CD_OK)
					(*count)++;
				runs[i]->error = kept[i].error;
				runs[i]->end_time = kept[i].end;
				runs[i]->progress = kept[i].progress;
			}
			free(kept);
		}
	}
	for (size_t i = 0; i < n; i++)
		store_run_free(runs[i]);
	free(runs);
	free(ops);
	return rc;
}
