/* srv_fill.c — one scan of a snapshot into the engine and plugin cohorts
 * (see srv_fill.h). */
#include "srv_fill.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "srv_fill_pipe.h"

/* After this many clusters the plugin cohort's arrays are sized for the
 * whole snapshot from the indicators seen per cluster so far. */
#define SRV_FILL_SAMPLE 1024
/* From this many clusters on, the plugin cohort is filled on a second
 * thread (srv_fill_pipe) unless the request says otherwise. */
#define SRV_FILL_PIPE_MIN 8192

void srv_fill_buf_free(srv_fill_buf_t *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Makes room for need more bytes; later copies do not move the buffer. */
static int buf_room(srv_fill_buf_t *b, size_t need)
{
	b->len = 0;
	if (need <= b->cap)
		return CD_OK;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p)
		return CD_ENOMEM;
	b->p = p;
	b->cap = cap;
	return CD_OK;
}

/* A NUL-terminated copy of s in the room made by buf_room. */
static const char *cstr(srv_fill_buf_t *b, store_span_t s)
{
	char *out = b->p + b->len;
	memcpy(out, s.s, s.len);
	out[s.len] = '\0';
	b->len += s.len + 1;
	return out;
}

/* Assessment rounds are text: a number ("2"), or a round's name of the
 * competition (its position from 1); anything else is round 0. */
static int round_of(const Clusters__V1__Competition *def, const char *s)
{
	if (!s || !*s)
		return 0;
	char *end;
	long v = strtol(s, &end, 10);
	if (!*end && v >= 0 && v <= 65535)
		return (int)v;
	for (size_t i = 0; def && i < def->n_rounds; i++)
		if (def->rounds[i]->name && !strcmp(def->rounds[i]->name, s))
			return (int)i + 1;
	return 0;
}

static plugin_cohort_str_t str(store_span_t s)
{
	return (plugin_cohort_str_t){ s.s, s.len };
}

static int add_assessment(plugin_cohort_t *pc,
                          const store_rec_assessment_t *a,
                          const Clusters__V1__Competition *def,
                          srv_fill_buf_t *b, char *err, size_t errlen)
{
	if (buf_room(b, a->round.len + 1))
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	const char *round = cstr(b, a->round);
	return plugin_cohort_add_assessment_n(pc, str(a->judge),
	                                      str(a->criterion), a->score,
	                                      round_of(def, round),
	                                      a->recused, err, errlen);
}

int srv_fill_plugin_rec(plugin_cohort_t *pc, const store_rec_t *r,
                        const Clusters__V1__Competition *def,
                        srv_fill_buf_t *b, char *err, size_t errlen)
{
	plugin_cohort_fields_t f = { str(r->id), str(r->name),
	                             str(r->economy), str(r->region),
	                             str(r->industry) };
	int rc = plugin_cohort_add_cluster_n(pc, &f, err, errlen);
	for (size_t i = 0; !rc && i < r->ncities; i++)
		rc = plugin_cohort_add_city_n(pc, str(r->cities[i]), err,
		                              errlen);
	for (size_t i = 0; !rc && i < r->nindicators; i++) {
		const store_rec_indicator_t *x = &r->indicators[i];
		rc = plugin_cohort_add_indicator_n(pc, str(x->name), x->year,
		                                   x->value, err, errlen);
	}
	for (size_t i = 0; !rc && i < r->nassessments; i++)
		rc = add_assessment(pc, &r->assessments[i], def, b, err,
		                    errlen);
	for (size_t i = 0; !rc && i < r->nlabels; i++) {
		const store_rec_label_t *l = &r->labels[i];
		rc = plugin_cohort_add_label_n(pc, str(l->key), str(l->value),
		                               err, errlen);
	}
	return rc;
}

/* ------------------------------------------------------------ the scan */

typedef struct fill {
	engine_cohort_t *ec;
	plugin_cohort_t *pc;
	engine_progress_t *progress;
	const Clusters__V1__Competition *def;
	store_rec_t rec;
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

void srv_fill_presize(plugin_cohort_t *pc, size_t n, size_t nind,
                      size_t hint)
{
	if (n != SRV_FILL_SAMPLE || hint <= 2 * SRV_FILL_SAMPLE)
		return;
	double per = (double)nind / (double)n;
	size_t want = (size_t)(per * (double)hint);
	want += want / 16;
	char err[64];
	(void)plugin_cohort_reserve(pc, hint, want, err, sizeof(err));
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
	const store_rec_t *rec = &f->rec;
	int rc = f->pipe ? srv_fill_pipe_add(f->pipe, val, val_len, &rec,
	                                     f->err, sizeof(f->err))
	                 : store_rec_parse(&f->rec, val, val_len);
	if (rc == CD_ECORRUPT)
		return cd_fail(f->err, sizeof(f->err), CD_ECORRUPT, "cluster "
		               "'%.*s': stored record does not decode",
		               (int)id_len, id);
	if (rc)
		return f->pipe ? rc : cd_fail(f->err, sizeof(f->err), rc,
		                              "out of memory");
	rc = engine_cohort_add_rec(f->ec, rec, f->err, sizeof(f->err));
	if (!rc && f->pipe)
		srv_fill_pipe_commit(f->pipe);
	else if (!rc)
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
		rc = engine_cohort_create(ec, r->def, hint, err, errlen);
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
		f.ec = *ec;
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
		rc = engine_progress_done(&tick);
	store_rec_free(&f.rec);
	srv_fill_buf_free(&f.buf);
	free(f.ids);
	free(f.found);
	return rc;
}
