/* srv_fill.c — one scan of a snapshot into the plugin cohort, and the
 * engine's columns over it (see srv_fill.h). */
#include "srv_fill.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "srv_fill_pipe.h"
#include "srv_fill_rec.h"

/* From this many clusters on, the plugin cohort is filled on a second
 * thread (srv_fill_pipe) unless the request says otherwise. */
#define SRV_FILL_PIPE_MIN 8192

/* ------------------------------------------------------------ the scan */

typedef struct fill {
	plugin_cohort_t *pc;
	engine_progress_t *progress;
	const Clusters__V1__Competition *def;
	cd_rec_t rec;
	srv_fill_buf_t buf;
	srv_fill_pipe_t *pipe;  /* the plugin cohort on a helper, or NULL */
	size_t n, nind, hint;
	const char **ids;       /* sorted subset, or NULL */
	uint8_t *found;
	size_t nids;
	char err[256];
} fill_t;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int fill_fn(void *arg, const char *id, size_t id_len,
                   const uint8_t *val, size_t val_len)
{
	fill_t *f = arg;
	if (f->nids) {
		char key[STORE_ID_MAX + 1];
		if (id_len > STORE_ID_MAX)
			return 0;
		memcpy(key, id, id_len);
		key[id_len] = '\0';
		const char *k = key;
		const char **hit = bsearch(&k, f->ids, f->nids, sizeof(*f->ids),
		                           cmp_str);
		if (!hit)
			return 0;
		f->found[hit - f->ids] = 1;
	}
	const cd_rec_t *rec = &f->rec;
	int rc = f->pipe ? srv_fill_pipe_add(f->pipe, val, val_len, &rec,
	                                     f->err, sizeof(f->err))
	                 : cd_rec_parse(&f->rec, val, val_len);
	if (rc == CD_ECORRUPT)
		return cd_fail(f->err, sizeof(f->err), CD_ECORRUPT, "cluster "
		               "'%.*s': stored record does not decode",
		               (int)id_len, id);
	if (rc)
		return f->pipe ? rc : cd_fail(f->err, sizeof(f->err), rc,
		                              "out of memory");
	/* Checked here, before the plugin cohort (whose message would be
	 * "empty cluster id"): a stored record always has one. */
	if (rec->id.len == 0)
		return cd_fail(f->err, sizeof(f->err), CD_ECORRUPT, "cluster "
		               "#%zu: record without an id", f->n);
	if (f->pipe)
		srv_fill_pipe_commit(f->pipe);
	else
		rc = srv_fill_plugin_rec(f->pc, rec, f->def, &f->buf, f->err,
		                         sizeof(f->err));
	if (rc)
		return rc;
	f->n++;
	if (!f->pipe) {
		f->nind += rec->nindicators;
		srv_fill_presize(f->pc, f->n, f->nind, f->hint);
	}
	if (f->progress && f->n % ENGINE_PROGRESS_EVERY == 0 &&
	    (rc = engine_progress_tick(f->progress, f->n)))
		cd_fail(f->err, sizeof(f->err), rc, "cancelled while reading");
	return rc;
}

/* Sorts the subset and checks for duplicates. */
static int subset_prepare(fill_t *f, const srv_eval_req_t *r, char *err,
                          size_t errlen)
{
	f->nids = r->ncluster_ids;
	if (!f->nids)
		return CD_OK;
	f->ids = malloc(f->nids * sizeof(*f->ids));
	f->found = calloc(f->nids, 1);
	if (!f->ids || !f->found)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	for (size_t i = 0; i < f->nids; i++) {
		int rc = store_validate_id(r->cluster_ids[i], "cluster_ids",
		                           err, errlen);
		if (rc != CD_OK)
			return cd_fail(err, errlen, rc, "cluster_ids[%zu]: '%s' "
			               "is not a valid cluster id", i,
			               r->cluster_ids[i]);
		f->ids[i] = r->cluster_ids[i];
	}
	qsort(f->ids, f->nids, sizeof(*f->ids), cmp_str);
	for (size_t i = 1; i < f->nids; i++)
		if (!strcmp(f->ids[i - 1], f->ids[i]))
			return cd_fail(err, errlen, CD_EV_DUPLICATE,
			               "cluster_ids: duplicate '%s'", f->ids[i]);
	return CD_OK;
}

static int subset_missing(const fill_t *f, const srv_eval_req_t *r,
                          char *err, size_t errlen)
{
	for (size_t i = 0; i < r->ncluster_ids; i++) {
		const char *k = r->cluster_ids[i];
		const char **hit = bsearch(&k, f->ids, f->nids, sizeof(*f->ids),
		                           cmp_str);
		if (hit && !f->found[hit - f->ids])
			return cd_fail(err, errlen, CD_ENOTFOUND, "cluster_ids"
			               "[%zu]: cluster '%s' not found", i, k);
	}
	return CD_OK;
}

int srv_fill_cohorts(const srv_eval_req_t *r, engine_cohort_t **ec,
                     plugin_cohort_t **pc, char *err, size_t errlen)
{
	fill_t f;
	memset(&f, 0, sizeof(f));
	f.def = r->def;
	uint64_t count = store_snap_cluster_count(r->snap);
	size_t hint = r->ncluster_ids ? r->ncluster_ids : (size_t)count;
	engine_progress_t tick;
	engine_progress_init(&tick, r->progress, r->progress_arg);
	int rc = subset_prepare(&f, r, err, errlen);
	if (!rc)
		rc = plugin_cohort_create(pc, hint, 0, err, errlen);
	if (!rc)
		rc = engine_progress_stage(&tick, "reading", hint);
	int threads = r->fill_threads ? r->fill_threads
	              : hint >= SRV_FILL_PIPE_MIN ? 2 : 1;
	char perr[64];
	if (!rc && threads > 1 &&
	    srv_fill_pipe_start(&f.pipe, *pc, r->def, hint, perr,
	                        sizeof(perr)))
		f.pipe = NULL;   /* no helper: one thread does both */
	if (!rc) {
		f.pc = *pc;
		f.progress = &tick;
		f.hint = hint;
		rc = store_snap_scan(r->snap, NULL, NULL, fill_fn, &f);
		/* The helper's failure is on an earlier record: it wins. */
		int prc = f.pipe ? srv_fill_pipe_finish(f.pipe, f.err,
		                                        sizeof(f.err)) : CD_OK;
		if (prc)
			rc = prc;
		if (rc)
			cd_fail(err, errlen, rc, "%s", f.err[0] ? f.err
			        : "reading the snapshot failed");
	}
	srv_fill_pipe_destroy(f.pipe);
	if (!rc)
		rc = subset_missing(&f, r, err, errlen);
	if (!rc)
		rc = plugin_cohort_seal(*pc, err, errlen);
	if (!rc)
		rc = engine_cohort_create_from(ec, *pc, r->def, err, errlen);
	if (!rc)
		rc = engine_progress_done(&tick);
	cd_rec_free(&f.rec);
	srv_fill_buf_free(&f.buf);
	free(f.ids);
	free(f.found);
	return rc;
}
