/* Runs as jobs: registry, queue, workers, ticker, watchers (srv_jobs.h). */
#include "srv_jobs.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "cd_error.h"
#include "log.h"
#include "rpc_call.h"
#include "rpc_run.h"
#include "rpc_status.h"
#include "srv_eval.h"
#include "srv_metrics.h"

#define ST(x) CLUSTERS__V1__RUN_STATE__RUN_STATE_##x
#define TICK_MS (RPC_RUN_PROGRESS_MS / 4)

enum { STOP_NONE = 0, STOP_USER, STOP_SHUTDOWN, STOP_TIMEOUT };

typedef struct job job_t;

typedef enum wkind { W_WATCH, W_RUN, W_CANCEL } wkind;

typedef struct watcher {
	int refs;                 /* the job's list, and each pump under way */
	srv_jobs_t *J;
	rpc_call_t *call;         /* one call reference */
	job_t *job;               /* one job reference */
	wkind kind;
	int sending;              /* a progress send is outstanding */
	int sent_any;
	int ending;               /* answered or being answered */
	uint64_t seq_sent;
	int64_t last_ms;
	struct watcher *next;
} watcher_t;

struct job {
	int refs;                 /* registry, worker, watchers, starter */
	char id[STORE_ID_MAX + 1];
	char comp[STORE_ID_MAX + 1];
	char etag[STORE_ID_MAX + 1];
	char principal[256];
	char stop_by[256];
	Clusters__V1__SensitivityOptions sens;
	int has_sens;
	unsigned limit_ms;
	int state;                /* QUEUED, RUNNING; ended below */
	int ended;                /* stored in its final state */
	int stop;                 /* STOP_* */
	int efd;                  /* eventfd: readable once stop is set */
	Google__Protobuf__Timestamp create, start;
	int64_t start_ms;         /* monotonic; 0 while queued */
	/* Progress. */
	char stage[32];
	char round[STORE_ID_MAX + 1];
	uint64_t done, total, seq;
	double fraction;
	int nrounds, round_idx, samples;
	char **round_ids;         /* nrounds, owned */
	watcher_t *watchers;
	job_t *qnext;             /* queue link */
	job_t *lnext;             /* registry link */
};

struct srv_jobs {
	srv_jobs_opts_t o;
	pthread_mutex_t mu;
	pthread_cond_t cv;        /* queue grew, or stopping */
	pthread_cond_t idle;      /* a job ended, a watcher went */
	job_t *qhead, *qtail;
	unsigned queued, reserved;
	job_t *live;              /* every job not yet ended */
	int nwatchers;
	int stop, drained;
	unsigned long seq;
	pthread_t *workers;
	unsigned nworkers;
	pthread_t ticker;
	int ticker_on;
};

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void now_ts(Google__Protobuf__Timestamp *ts)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	google__protobuf__timestamp__init(ts);
	ts->seconds = t.tv_sec;
	ts->nanos = (int32_t)t.tv_nsec;
}

static void dur_ms(Google__Protobuf__Duration *d, int64_t ms)
{
	google__protobuf__duration__init(d);
	d->seconds = ms / 1000;
	d->nanos = (int32_t)(ms % 1000) * 1000000;
}

/* ------------------------------------------------------------ references */

/* With J->mu held. */
static void job_unref_locked(job_t *j)
{
	if (--j->refs > 0)
		return;
	if (j->efd >= 0)
		close(j->efd);
	for (int i = 0; i < j->nrounds; i++)
		free(j->round_ids[i]);
	free(j->round_ids);
	free(j);
}

static void watcher_unref_locked(srv_jobs_t *J, watcher_t *w, rpc_call_t **c)
{
	*c = NULL;
	if (--w->refs > 0)
		return;
	*c = w->call; /* the caller drops it outside the lock */
	job_unref_locked(w->job);
	free(w);
	J->nwatchers--;
	pthread_cond_broadcast(&J->idle);
}

static void watcher_unref(srv_jobs_t *J, watcher_t *w)
{
	rpc_call_t *c;
	pthread_mutex_lock(&J->mu);
	watcher_unref_locked(J, w, &c);
	pthread_mutex_unlock(&J->mu);
	if (c)
		rpc_call_unref(c);
}

static job_t *find_live(srv_jobs_t *J, const char *id)
{
	for (job_t *j = J->live; j; j = j->lnext)
		if (!strcmp(j->id, id))
			return j;
	return NULL;
}

static void unlink_live(srv_jobs_t *J, job_t *j)
{
	for (job_t **p = &J->live; *p; p = &(*p)->lnext)
		if (*p == j) {
			*p = j->lnext;
			j->lnext = NULL;
			return;
		}
}

static void unqueue(srv_jobs_t *J, job_t *j)
{
	job_t *prev = NULL;
	for (job_t *q = J->qhead; q; prev = q, q = q->qnext) {
		if (q != j)
			continue;
		if (prev)
			prev->qnext = q->qnext;
		else
			J->qhead = q->qnext;
		if (J->qtail == q)
			J->qtail = prev;
		q->qnext = NULL;
		J->queued--;
		return;
	}
}

/* Sets a stop reason (the first one wins) and wakes a plugin call. */
static void job_stop_locked(job_t *j, int why, const char *by)
{
	if (j->stop)
		return;
	j->stop = why;
	snprintf(j->stop_by, sizeof(j->stop_by), "%s", by ? by : "");
	if (j->efd >= 0) {
		uint64_t one = 1;
		ssize_t n = write(j->efd, &one, sizeof(one));
		(void)n;
	}
}

/* --------------------------------------------------------------- commits */

typedef struct sync_commit {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done;
} sync_commit_t;

static void sync_done(srv_commit_job_t *job, int txn_rc)
{
	sync_commit_t *s = job->arg;
	(void)txn_rc;
	pthread_mutex_lock(&s->mu);
	s->done = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* Applies op through the group committer and waits; op->rc and op->err
 * say how it went. Not on a completion-queue thread. */
static int commit_sync(srv_jobs_t *J, store_op_t *op)
{
	sync_commit_t s = {.done = 0};
	pthread_mutex_init(&s.mu, NULL);
	pthread_cond_init(&s.cv, NULL);
	srv_commit_job_t job = {.ops = op, .n = 1, .done = sync_done,
	                        .arg = &s};
	if (srv_commit_submit(J->o.commit, &job) != CD_OK) {
		op->rc = cd_fail(op->err, sizeof(op->err), CD_EUNAVAIL,
		                 "server is shutting down");
	} else {
		pthread_mutex_lock(&s.mu);
		while (!s.done)
			pthread_cond_wait(&s.cv, &s.mu);
		pthread_mutex_unlock(&s.mu);
	}
	pthread_mutex_destroy(&s.mu);
	pthread_cond_destroy(&s.cv);
	return op->rc;
}

/* The run as the job knows it (no results): head fields into r, which
 * borrows from j (and from d, the time limit). */
static void job_head(const job_t *j, Clusters__V1__Run *r,
                     Google__Protobuf__Duration *d, int with_start)
{
	clusters__v1__run__init(r);
	r->id = (char *)j->id;
	r->competition_id = (char *)j->comp;
	r->competition_etag = (char *)j->etag;
	r->create_time = (Google__Protobuf__Timestamp *)&j->create;
	if (with_start)
		r->start_time = (Google__Protobuf__Timestamp *)&j->start;
	r->sensitivity = j->has_sens
		? (Clusters__V1__SensitivityOptions *)&j->sens : NULL;
	r->principal = (char *)j->principal;
	dur_ms(d, j->limit_ms);
	r->time_limit = d;
	r->state = j->state;
}

/* ------------------------------------------------------------- watchers */

static void pump(watcher_t *w);

static void on_sent(rpc_call_t *c, int ok)
{
	watcher_t *w = rpc_call_ctx(c);
	(void)ok; /* a failed send shows as a cancelled call */
	pthread_mutex_lock(&w->J->mu);
	w->sending = 0;
	pthread_mutex_unlock(&w->J->mu);
	pump(w);
}

/* The final answer of a watcher whose run has ended: reads the stored run
 * (the truth) and answers as the watcher's kind wants. */
static void answer_final(watcher_t *w)
{
	rpc_call_t *c = w->call;
	char err[512] = "";
	store_run_t *run = NULL;
	int rc = store_run_get(w->J->o.store, w->job->id, 1, &run, err,
	                       sizeof(err));
	if (rc) {
		rpc_call_fail(c, rc, err);
	} else if (w->kind == W_CANCEL) {
		rpc_call_reply(c, &run->base);
	} else if (w->kind == W_RUN && run->state != ST(SUCCEEDED) &&
	           run->state != ST(UNSPECIFIED)) {
		int code = run->error ? run->error->code : 13;
		rpc_call_fail(c, rpc_status_to_cd(code), run->error &&
		              run->error->message ? run->error->message
		                                  : "the run failed");
	} else {
		Clusters__V1__RunEvent ev = CLUSTERS__V1__RUN_EVENT__INIT;
		ev.event_case = CLUSTERS__V1__RUN_EVENT__EVENT_RUN;
		ev.run = run;
		rpc_call_reply(c, &ev.base);
	}
	store_run_free(run);
}

/* Fills p from j (J->mu held); strings in buf. */
static void progress_of(const job_t *j, Clusters__V1__Progress *p,
                        srv_jobs_progress_buf_t *buf)
{
	clusters__v1__progress__init(p);
	snprintf(buf->stage, sizeof(buf->stage), "%s",
	         j->state == ST(QUEUED) ? "queued" : j->stage);
	snprintf(buf->round, sizeof(buf->round), "%s", j->round);
	p->stage = buf->stage;
	p->round = buf->round;
	p->done = (int64_t)j->done;
	p->total = (int64_t)j->total;
	p->fraction = j->fraction;
	int64_t el = j->start_ms ? now_ms() - j->start_ms : 0;
	dur_ms(&buf->elapsed, el);
	p->elapsed = &buf->elapsed;
	/* An estimate once a twentieth of the run is done: the rest at the
	 * pace so far. */
	if (j->start_ms && j->fraction >= 0.05 && j->fraction < 1) {
		dur_ms(&buf->left, (int64_t)((double)el * (1 - j->fraction) /
		                             j->fraction));
		p->time_left = &buf->left;
	}
}

/* Removes w from its job's list (J->mu held). */
static void detach_locked(watcher_t *w)
{
	for (watcher_t **p = &w->job->watchers; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			w->next = NULL;
			return;
		}
}

/* Sends what w is owed: the final answer once its run ended (or its
 * client went away) and no send is outstanding; else the latest progress
 * when it is new and due (the first at once). From the ticker, a worker,
 * on_sent and the handlers; holds a reference to w while it works. */
static void pump(watcher_t *w)
{
	srv_jobs_t *J = w->J;
	Clusters__V1__Progress p;
	srv_jobs_progress_buf_t buf;
	int send = 0, final = 0;
	pthread_mutex_lock(&J->mu);
	if (w->ending || w->sending) {
		pthread_mutex_unlock(&J->mu);
		return;
	}
	job_t *j = w->job;
	int gone = rpc_call_cancelled(w->call);
	if (j->ended || gone) {
		w->ending = 1;
		final = 1;
		detach_locked(w);
	} else if (w->kind != W_CANCEL &&
	           (!w->sent_any ||
	            (now_ms() - w->last_ms >= RPC_RUN_PROGRESS_MS &&
	             (w->seq_sent != j->seq || j->state == ST(RUNNING))))) {
		progress_of(j, &p, &buf);
		w->sending = 1;
		w->sent_any = 1;
		w->seq_sent = j->seq;
		w->last_ms = now_ms();
		send = 1;
	}
	if (send || final)
		w->refs++;
	pthread_mutex_unlock(&J->mu);
	if (final) {
		if (gone)
			rpc_call_fail(w->call, CD_ECANCELLED, "the watcher went "
			              "away; the run goes on");
		else
			answer_final(w);
		watcher_unref(J, w); /* the job's list */
	} else if (send) {
		Clusters__V1__RunEvent ev = CLUSTERS__V1__RUN_EVENT__INIT;
		ev.event_case = CLUSTERS__V1__RUN_EVENT__EVENT_PROGRESS;
		ev.progress = &p;
		if (rpc_call_send_msg(w->call, &ev.base, on_sent) != CD_OK) {
			pthread_mutex_lock(&J->mu);
			w->sending = 0;
			pthread_mutex_unlock(&J->mu);
		}
	}
	if (send || final)
		watcher_unref(J, w);
}

static void watcher_free_ctx(void *p)
{
	(void)p; /* the watcher is freed by its references */
}

/* A watcher of j for c (J->mu held; j live). */
static watcher_t *watcher_add_locked(srv_jobs_t *J, job_t *j, rpc_call_t *c,
                                     wkind kind)
{
	watcher_t *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->J = J;
	w->call = c;
	rpc_call_ref(c);
	rpc_call_set_ctx(c, w, watcher_free_ctx);
	w->job = j;
	j->refs++;
	w->kind = kind;
	w->refs = 1;
	w->next = j->watchers;
	j->watchers = w;
	J->nwatchers++;
	return w;
}

/* Pumps every watcher of j (or of every live job when j is NULL). */
static void pump_all(srv_jobs_t *J, job_t *only)
{
	watcher_t *list[64];
	for (;;) {
		size_t n = 0;
		int more = 0;
		pthread_mutex_lock(&J->mu);
		for (job_t *j = only ? only : J->live; j;
		     j = only ? NULL : j->lnext)
			for (watcher_t *w = j->watchers; w; w = w->next) {
				if (w->ending || w->sending)
					continue;
				if (n == 64) {
					more = 1;
					break;
				}
				w->refs++;
				list[n++] = w;
			}
		pthread_mutex_unlock(&J->mu);
		for (size_t i = 0; i < n; i++) {
			pump(list[i]);
			watcher_unref(J, list[i]);
		}
		if (!more)
			return;
	}
}

/* ---------------------------------------------------------------- ending */

/* The run is stored in its final state: it leaves the registry and its
 * watchers get their answers. */
static void job_end(srv_jobs_t *J, job_t *j)
{
	pthread_mutex_lock(&J->mu);
	j->ended = 1;
	unlink_live(J, j);
	j->refs++;
	pthread_mutex_unlock(&J->mu);
	/* Watchers with a send outstanding answer from on_sent. */
	pump_all(J, j);
	pthread_mutex_lock(&J->mu);
	j->refs--;                  /* the registry's (ours keeps j) */
	job_unref_locked(j);        /* ours */
	pthread_cond_broadcast(&J->idle);
	pthread_mutex_unlock(&J->mu);
}

/* Stores j's final state: code (a gRPC status code) and message for
 * FAILED and CANCELLED, or run (the results) for SUCCEEDED. */
static int store_final(srv_jobs_t *J, job_t *j, Clusters__V1__Run *run,
                       int64_t written, int state, int code, const char *msg,
                       const char *principal, const char *method)
{
	Clusters__V1__Run head;
	Google__Protobuf__Duration d;
	Google__Protobuf__Timestamp end;
	Google__Rpc__Status status = GOOGLE__RPC__STATUS__INIT;
	now_ts(&end);
	if (!run) {
		job_head(j, &head, &d, j->start_ms != 0);
		run = &head;
	} else {
		/* The evaluation's run, with what the job knows. */
		run->competition_etag = j->etag;
		run->principal = j->principal;
		dur_ms(&d, j->limit_ms);
		run->time_limit = &d;
		run->start_time = &j->start;
		run->create_time = &j->create;
	}
	run->state = state;
	run->end_time = &end;
	run->progress = NULL;
	if (state != ST(SUCCEEDED)) {
		status.code = code;
		status.message = (char *)msg;
		run->error = &status;
	}
	store_op_t op;
	memset(&op, 0, sizeof(op));
	op.kind = STORE_RUN_UPDATE;
	op.run = run;
	op.principal = principal;
	op.method = method;
	/* How many standings the batches before wrote (write_standings). */
	op.standings_written = written;
	int rc = commit_sync(J, &op);
	if (rc)
		log_msg(rc == CD_EPRECONDITION ? LOG_INFO : LOG_ERROR,
		        "run %s: storing its end (%s) failed: %s", j->id,
		        store_run_state_name(state), op.err);
	else
		srv_metrics_run_finished(J->o.metrics, state, j->start_ms
		                         ? now_ms() - j->start_ms : -1);
	return rc;
}

/* ---------------------------------------------------------------- worker */

/* Where the run stands as a fraction of the whole: reading 5 %, the
 * rounds (each: eligibility 10 %, scoring 60 %, normalising 10 %,
 * ranking 20 % of its share) 90 % or, with sensitivity, 60 % and the
 * samples 30 %, results 5 %. */
static double fraction_of(job_t *j, const char *stage, uint64_t done,
                          uint64_t total)
{
	double in = total ? (double)done / (double)total : 0;
	double rounds = j->samples ? 0.6 : 0.9;
	int n = j->nrounds > 0 ? j->nrounds : 1;
	int r = j->round_idx > 0 ? j->round_idx - 1 : 0;
	if (!strcmp(stage, "reading"))
		return 0.05 * in;
	if (!strcmp(stage, "sensitivity"))
		return 0.05 + rounds + 0.3 * in;
	if (!strcmp(stage, "results") || !strcmp(stage, "storing"))
		return 0.95 + 0.05 * in;
	double lo = 0, w = 0.1;
	if (!strcmp(stage, "scoring"))
		lo = 0.1, w = 0.6;
	else if (!strcmp(stage, "normalising"))
		lo = 0.7, w = 0.1;
	else if (!strcmp(stage, "ranking"))
		lo = 0.8, w = 0.2;
	return 0.05 + rounds * ((double)r + lo + w * in) / n;
}

typedef struct prog_ctx {
	srv_jobs_t *J;
	job_t *j;
} prog_ctx_t;

/* The engine's progress callback (the worker's thread): records where the
 * run is and says stop when it was told to. */
static int on_progress(void *arg, const char *stage, uint64_t done,
                       uint64_t total)
{
	prog_ctx_t *pc = arg;
	srv_jobs_t *J = pc->J;
	job_t *j = pc->j;
	pthread_mutex_lock(&J->mu);
	if (!strcmp(stage, "eligibility") && strcmp(j->stage, "eligibility")) {
		j->round_idx++;
		if (j->round_idx <= j->nrounds)
			snprintf(j->round, sizeof(j->round), "%s",
			         j->round_ids[j->round_idx - 1]);
	}
	if (!strcmp(stage, "sensitivity") || !strcmp(stage, "results"))
		j->round[0] = '\0';
	snprintf(j->stage, sizeof(j->stage), "%s", stage);
	j->done = done;
	j->total = total;
	double f = fraction_of(j, stage, done, total);
	if (f > j->fraction)
		j->fraction = f > 1 ? 1 : f;
	j->seq++;
	int stop = j->stop;
	pthread_mutex_unlock(&J->mu);
	if (stop == STOP_TIMEOUT)
		return CD_EDEADLINE;
	return stop ? CD_ECANCELLED : CD_OK;
}

/* "1h", "90 s", "1.500 s": a limit in words. */
static void limit_words(unsigned ms, char *buf, size_t len)
{
	if (ms % 3600000 == 0)
		snprintf(buf, len, "%uh", ms / 3600000);
	else if (ms % 60000 == 0)
		snprintf(buf, len, "%um", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%us", ms / 1000);
	else
		snprintf(buf, len, "%u.%03us", ms / 1000, ms % 1000);
}

/* Every standing of a finished evaluation, in STORE_RUN_STANDINGS batches
 * while the run is still RUNNING (each batch one transaction of bounded
 * size; the run's end, stored next, makes them its own). A cancel or time
 * limit between batches stops it: the run's end then removes them. */
static int write_standings(srv_jobs_t *J, job_t *j, srv_eval_kept_t *kept,
                           int64_t *written, char *err, size_t errlen)
{
	prog_ctx_t pc = {J, j};
	size_t n = srv_eval_kept_count(kept), done = 0;
	*written = 0;
	for (size_t chunk = 0; done < n || chunk == 0;
	     chunk += SRV_EVAL_BATCH_CHUNKS) {
		int rc = on_progress(&pc, "storing", done, n);
		if (rc)
			return cd_fail(err, errlen, rc, "stopped while storing "
			               "its standings");
		store_op_t op;
		memset(&op, 0, sizeof(op));
		op.kind = STORE_RUN_STANDINGS;
		op.id = j->id;
		op.standings = srv_eval_kept_batch(kept, chunk,
		                                   SRV_EVAL_BATCH_CHUNKS);
		op.chunk_first = (uint32_t)chunk;
		op.principal = j->principal;
		size_t batch = op.standings->total;
		if ((rc = commit_sync(J, &op)))
			return cd_fail(err, errlen, rc, "storing its standings: "
			               "%s", op.err);
		done += batch;
		if (!batch)
			break;
	}
	*written = (int64_t)done;
	return CD_OK;
}

/* Evaluates j over one snapshot and one plugin generation. *kept (every
 * standing) reads the definition *comp: the caller frees both, kept
 * first. */
static int evaluate(srv_jobs_t *J, job_t *j, Clusters__V1__Run **run,
                    srv_eval_kept_t **kept, store_competition_t **compp,
                    char *err, size_t errlen)
{
	store_snap_t *snap = NULL;
	store_competition_t *comp = NULL;
	store_run_t *base = NULL;
	int rc = store_snap_open(J->o.store, &snap);
	if (rc)
		return cd_fail(err, errlen, rc, "cannot open a snapshot of the "
		               "store");
	rc = store_snap_competition_get(snap, j->comp, &comp, err, errlen);
	if (rc == CD_ENOTFOUND)
		cd_fail(err, errlen, rc, "competition '%s' not found (deleted "
		        "after the run was started)", j->comp);
	if (!rc) {
		pthread_mutex_lock(&J->mu);
		snprintf(j->etag, sizeof(j->etag), "%s",
		         comp->etag ? comp->etag : "");
		j->nrounds = 0;
		j->round_ids = calloc(comp->n_rounds ? comp->n_rounds : 1,
		                      sizeof(char *));
		for (size_t i = 0; j->round_ids && i < comp->n_rounds; i++)
			if ((j->round_ids[i] = strdup(comp->rounds[i]->name)))
				j->nrounds = (int)i + 1;
		pthread_mutex_unlock(&J->mu);
		if (comp->baseline_run_id[0]) {
			rc = store_snap_run_get(snap, comp->baseline_run_id, 1,
			                        &base, err, errlen);
			if (rc == CD_ENOTFOUND)
				rc = cd_fail(err, errlen, CD_EPRECONDITION,
				             "baseline_run_id: run '%s' not found",
				             comp->baseline_run_id);
		}
	}
	plugin_generation_t *gen = J->o.plugins
		? plugin_registry_acquire(J->o.plugins) : NULL;
	if (!rc) {
		prog_ctx_t pc = {J, j};
		srv_eval_req_t r = {
			.def = comp,
			.snap = snap,
			.gen = gen,
			.sensitivity = j->has_sens ? &j->sens : NULL,
			.baseline = base,
			.progress = on_progress,
			.progress_arg = &pc,
			.run_id = j->id,
			.plugin_timeout_ms = srv_eval_timeout_ms(comp,
				J->o.plugin_timeout_ms, J->o.plugin_timeout_max_ms),
			.create_seconds = j->create.seconds,
			.create_nanos = j->create.nanos,
			.cancel_fd = j->efd,
		};
		rc = srv_eval_run_keep(&r, run, kept, err, errlen);
	}
	plugin_generation_release(gen);
	store_run_free(base);
	*compp = comp;
	/* The store cannot grow its map under an open snapshot: closed
	 * before the result is written. */
	store_snap_close(snap);
	return rc;
}

static void run_job(srv_jobs_t *J, job_t *j)
{
	char err[1024] = "";
	/* QUEUED -> RUNNING. */
	Clusters__V1__Run head;
	Google__Protobuf__Duration d;
	pthread_mutex_lock(&J->mu);
	now_ts(&j->start);
	j->start_ms = now_ms();
	j->state = ST(RUNNING);
	snprintf(j->stage, sizeof(j->stage), "starting");
	j->seq++;
	job_head(j, &head, &d, 1);
	pthread_mutex_unlock(&J->mu);
	store_op_t op;
	memset(&op, 0, sizeof(op));
	op.kind = STORE_RUN_UPDATE;
	op.run = &head;
	op.principal = j->principal;
	op.method = "RunStarted";
	if (commit_sync(J, &op) != CD_OK) {
		/* Cancelled while its queue slot was being handed over, or the
		 * store refused: nothing more to do for it. */
		log_msg(LOG_WARN, "run %s: not started: %s", j->id, op.err);
		if (op.rc != CD_EPRECONDITION)
			store_final(J, j, NULL, 0, ST(FAILED),
			            rpc_status_from_cd(op.rc), op.err, j->principal,
			            "RunFinished");
		job_end(J, j);
		return;
	}
	Clusters__V1__Run *run = NULL;
	srv_eval_kept_t *kept = NULL;
	store_competition_t *comp = NULL;
	int rc = evaluate(J, j, &run, &kept, &comp, err, sizeof(err));
	int64_t written = 0;
	if (!rc && kept)
		rc = write_standings(J, j, kept, &written, err, sizeof(err));
	pthread_mutex_lock(&J->mu);
	int stop = j->stop;
	char by[256];
	snprintf(by, sizeof(by), "%s", j->stop_by);
	pthread_mutex_unlock(&J->mu);
	if (!rc && !stop) {
		store_final(J, j, run, written, ST(SUCCEEDED), 0, NULL,
		            j->principal, "RunFinished");
	} else if (stop == STOP_USER) {
		char msg[512];
		snprintf(msg, sizeof(msg), "cancelled by %s", by);
		store_final(J, j, NULL, 0, ST(CANCELLED), 1, msg, by,
		            "CancelRun");
	} else if (stop == STOP_SHUTDOWN) {
		store_final(J, j, NULL, 0, ST(CANCELLED), 1, "server stopping",
		            j->principal, "RunFinished");
	} else if (stop == STOP_TIMEOUT) {
		char lim[32], max[32], msg[512];
		limit_words(j->limit_ms, lim, sizeof(lim));
		limit_words(J->o.timeout_max_ms, max, sizeof(max));
		snprintf(msg, sizeof(msg), "the run went over its time limit "
		         "of %s and was stopped; start it with a longer "
		         "time_limit (this server allows up to %s: "
		         "--run-timeout-max)", lim, max);
		store_final(J, j, NULL, 0, ST(FAILED), 4, msg, j->principal,
		            "RunFinished");
	} else {
		store_final(J, j, NULL, 0, ST(FAILED),
		            rpc_status_from_cd(rc), err,
		            j->principal, "RunFinished");
	}
	engine_run_free(run);
	srv_eval_kept_destroy(kept);
	store_competition_free(comp);
	job_end(J, j);
}

static void *worker_main(void *arg)
{
	srv_jobs_t *J = arg;
	for (;;) {
		pthread_mutex_lock(&J->mu);
		while (!J->qhead && !J->stop)
			pthread_cond_wait(&J->cv, &J->mu);
		job_t *j = J->qhead;
		if (!j) {
			pthread_mutex_unlock(&J->mu);
			return NULL;
		}
		J->qhead = j->qnext;
		if (!J->qhead)
			J->qtail = NULL;
		j->qnext = NULL;
		J->queued--;
		pthread_mutex_unlock(&J->mu);
		run_job(J, j);
	}
}

/* Time limits, and progress for the watchers, every TICK_MS. */
static void *ticker_main(void *arg)
{
	srv_jobs_t *J = arg;
	for (;;) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += TICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&J->mu);
		if (J->drained && !J->live && !J->nwatchers) {
			pthread_mutex_unlock(&J->mu);
			return NULL;
		}
		pthread_cond_timedwait(&J->idle, &J->mu, &ts);
		int64_t now = now_ms();
		for (job_t *j = J->live; j; j = j->lnext)
			if (j->state == ST(RUNNING) && j->start_ms &&
			    now - j->start_ms >= (int64_t)j->limit_ms)
				job_stop_locked(j, STOP_TIMEOUT, "");
		pthread_mutex_unlock(&J->mu);
		pump_all(J, NULL);
	}
}

/* ----------------------------------------------------------------- start */

typedef struct start_ctx {
	srv_jobs_t *J;
	job_t *j;
	rpc_call_t *call;
	srv_jobs_follow follow;
	Clusters__V1__Run head;
	Google__Protobuf__Duration d;
	store_op_t op;
	srv_commit_job_t cj;
} start_ctx_t;

/* The QUEUED head is durable (or refused): queue the run, answer. On the
 * committer's thread. */
static void start_done(srv_commit_job_t *cj, int txn_rc)
{
	start_ctx_t *s = cj->arg;
	srv_jobs_t *J = s->J;
	job_t *j = s->j;
	rpc_call_t *c = s->call;
	(void)txn_rc;
	pthread_mutex_lock(&J->mu);
	J->reserved--;
	int ok = s->op.rc == CD_OK;
	watcher_t *w = NULL;
	if (ok) {
		j->refs++; /* the registry's */
		j->lnext = J->live;
		J->live = j;
		if (J->stop) {
			job_stop_locked(j, STOP_SHUTDOWN, "");
		} else {
			if (J->qtail)
				J->qtail->qnext = j;
			else
				J->qhead = j;
			J->qtail = j;
			J->queued++;
			pthread_cond_signal(&J->cv);
		}
		if (s->follow != SRV_JOBS_REPLY_HEAD)
			w = watcher_add_locked(J, j, c, s->follow == SRV_JOBS_RUN
			                       ? W_RUN : W_WATCH);
	}
	int stopped = ok && J->stop;
	pthread_mutex_unlock(&J->mu);
	if (!ok)
		rpc_call_fail(c, s->op.rc, s->op.err);
	else if (s->follow == SRV_JOBS_REPLY_HEAD)
		rpc_call_reply(c, &s->head.base);
	else if (!w)
		rpc_call_fail(c, CD_ENOMEM, "out of memory");
	if (stopped) {
		/* Stopping began while the head was written. */
		store_final(J, j, NULL, 0, ST(CANCELLED), 1, "server stopping",
		            j->principal, "RunFinished");
		job_end(J, j);
	} else if (w) {
		pump(w);
	}
	pthread_mutex_lock(&J->mu);
	job_unref_locked(j); /* the starter's */
	pthread_cond_broadcast(&J->idle);
	pthread_mutex_unlock(&J->mu);
	rpc_call_unref(c);
	free(s);
}

/* "<competition>-<yyyymmdd>t<hhmmss>-<n>" (UTC), n unique in this server. */
static void run_id(srv_jobs_t *J, char *buf, size_t len, const char *comp,
                   time_t t)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	pthread_mutex_lock(&J->mu);
	unsigned long seq = ++J->seq;
	pthread_mutex_unlock(&J->mu);
	char when[32];
	if (!strftime(when, sizeof(when), "%Y%m%dt%H%M%S", &tm))
		when[0] = '\0';
	snprintf(buf, len, "%.100s-%.15s-%lu", comp, when, seq);
}

void srv_jobs_start(srv_jobs_t *J, rpc_call_t *c, const char *competition_id,
                    const Clusters__V1__SensitivityOptions *sens,
                    const Google__Protobuf__Duration *time_limit,
                    srv_jobs_follow follow)
{
	char err[512] = "";
	int rc = store_validate_id(competition_id, "competition_id", err,
	                           sizeof(err));
	if (!rc)
		rc = srv_eval_check_sensitivity(sens, "sensitivity", err,
		                                sizeof(err));
	unsigned limit = J->o.timeout_ms;
	if (!rc && time_limit) {
		if (time_limit->seconds < 0 || time_limit->nanos < 0 ||
		    time_limit->nanos > 999999999 ||
		    (time_limit->seconds == 0 && time_limit->nanos == 0))
			rc = cd_fail(err, sizeof(err), CD_EINVAL, "time_limit: "
			             "must be positive");
		else if (time_limit->seconds >
		         (int64_t)(J->o.timeout_max_ms / 1000) ||
		         (uint64_t)time_limit->seconds * 1000 +
		         (uint64_t)(time_limit->nanos / 1000000) >
		         J->o.timeout_max_ms) {
			char max[32];
			limit_words(J->o.timeout_max_ms, max, sizeof(max));
			rc = cd_fail(err, sizeof(err), CD_EINVAL, "time_limit: "
			             "%lld s is more than this server allows (%s, "
			             "--run-timeout-max)",
			             (long long)time_limit->seconds, max);
		} else {
			limit = (unsigned)(time_limit->seconds * 1000 +
			                   time_limit->nanos / 1000000);
			if (!limit)
				limit = 1;
		}
	}
	store_competition_t *comp = NULL;
	if (!rc) {
		rc = store_competition_get(J->o.store, competition_id, &comp,
		                           err, sizeof(err));
		if (rc == CD_ENOTFOUND)
			cd_fail(err, sizeof(err), rc, "competition '%s' not found",
			        competition_id);
	}
	if (rc) {
		rpc_call_fail(c, rc, err);
		return;
	}
	/* A place in the queue, taken before anything is written. */
	pthread_mutex_lock(&J->mu);
	int full = J->queued + J->reserved >= J->o.queue_max;
	int stop = J->stop;
	if (!full && !stop)
		J->reserved++;
	pthread_mutex_unlock(&J->mu);
	if (stop || full) {
		store_competition_free(comp);
		if (stop)
			rpc_call_fail(c, CD_EUNAVAIL, "server is shutting down");
		else {
			snprintf(err, sizeof(err), "run queue is full (%u runs "
			         "waiting); try again later", J->o.queue_max);
			rpc_call_fail(c, CD_ELIMIT, err);
		}
		return;
	}
	job_t *j = calloc(1, sizeof(*j));
	start_ctx_t *s = calloc(1, sizeof(*s));
	if (j)
		j->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!j || !s || j->efd < 0) {
		if (j && j->efd >= 0)
			close(j->efd);
		free(j);
		free(s);
		store_competition_free(comp);
		pthread_mutex_lock(&J->mu);
		J->reserved--;
		pthread_mutex_unlock(&J->mu);
		rpc_call_fail(c, CD_ENOMEM, "cannot start a run: out of memory "
		              "or descriptors");
		return;
	}
	j->refs = 1; /* the starter's, until start_done */
	now_ts(&j->create);
	run_id(J, j->id, sizeof(j->id), competition_id, j->create.seconds);
	snprintf(j->comp, sizeof(j->comp), "%s", competition_id);
	snprintf(j->etag, sizeof(j->etag), "%s", comp->etag ? comp->etag : "");
	snprintf(j->principal, sizeof(j->principal), "%s",
	         rpc_call_principal(c));
	store_competition_free(comp);
	if (sens) {
		j->sens = *sens;
		j->has_sens = 1;
		j->samples = sens->samples;
	}
	j->limit_ms = limit;
	j->state = ST(QUEUED);
	snprintf(j->stage, sizeof(j->stage), "queued");
	s->J = J;
	s->j = j;
	s->call = c;
	s->follow = follow;
	job_head(j, &s->head, &s->d, 0);
	s->op.kind = STORE_RUN_PUT;
	s->op.run = &s->head;
	s->op.principal = j->principal;
	s->op.method = follow == SRV_JOBS_RUN ? "RunCompetition" : "StartRun";
	s->cj = (srv_commit_job_t){.ops = &s->op, .n = 1, .done = start_done,
	                           .arg = s};
	rpc_call_ref(c);
	if (srv_commit_submit(J->o.commit, &s->cj) != CD_OK) {
		pthread_mutex_lock(&J->mu);
		J->reserved--;
		job_unref_locked(j);
		pthread_mutex_unlock(&J->mu);
		rpc_call_fail(c, CD_EUNAVAIL, "server is shutting down");
		rpc_call_unref(c);
		free(s);
	}
}

/* ----------------------------------------------------------- watch, cancel */

/* The stored run's state, for calls about a run that is not live. */
static int stored_state(srv_jobs_t *J, const char *id, int *state, char *err,
                        size_t errlen)
{
	store_run_t *r = NULL;
	int rc = store_validate_id(id, "id", err, errlen);
	if (!rc)
		rc = store_run_get(J->o.store, id, 0, &r, err, errlen);
	if (!rc)
		*state = r->state;
	store_run_free(r);
	return rc;
}

void srv_jobs_watch(srv_jobs_t *J, rpc_call_t *c, const char *id)
{
	char err[512] = "";
	pthread_mutex_lock(&J->mu);
	job_t *j = find_live(J, id);
	watcher_t *w = j ? watcher_add_locked(J, j, c, W_WATCH) : NULL;
	pthread_mutex_unlock(&J->mu);
	if (w) {
		pump(w);
		return;
	}
	if (j) {
		rpc_call_fail(c, CD_ENOMEM, "out of memory");
		return;
	}
	int state;
	int rc = stored_state(J, id, &state, err, sizeof(err));
	if (rc) {
		rpc_call_fail(c, rc, err);
		return;
	}
	/* Finished, or stored QUEUED a moment before it is registered, or
	 * left unfinished by a server that stopped: the stored run. */
	store_run_t *run = NULL;
	rc = store_run_get(J->o.store, id, 1, &run, err, sizeof(err));
	if (rc) {
		rpc_call_fail(c, rc, err);
		return;
	}
	Clusters__V1__RunEvent ev = CLUSTERS__V1__RUN_EVENT__INIT;
	ev.event_case = CLUSTERS__V1__RUN_EVENT__EVENT_RUN;
	ev.run = run;
	rpc_call_reply(c, &ev.base);
	store_run_free(run);
}

void srv_jobs_cancel(srv_jobs_t *J, rpc_call_t *c, const char *id)
{
	char err[512] = "";
	const char *who = rpc_call_principal(c);
	pthread_mutex_lock(&J->mu);
	job_t *j = find_live(J, id);
	int queued = j && j->state == ST(QUEUED) && !j->stop;
	watcher_t *w = NULL;
	if (j && queued) {
		unqueue(J, j);
		job_stop_locked(j, STOP_USER, who);
		j->refs++;
	} else if (j) {
		job_stop_locked(j, STOP_USER, who);
		w = watcher_add_locked(J, j, c, W_CANCEL);
	}
	pthread_mutex_unlock(&J->mu);
	if (j && queued) {
		char msg[512];
		snprintf(msg, sizeof(msg), "cancelled by %s", who);
		int rc = store_final(J, j, NULL, 0, ST(CANCELLED), 1, msg, who,
		                     "CancelRun");
		job_end(J, j);
		pthread_mutex_lock(&J->mu);
		job_unref_locked(j);
		pthread_mutex_unlock(&J->mu);
		store_run_t *run = NULL;
		if (!rc)
			rc = store_run_get(J->o.store, id, 1, &run, err,
			                   sizeof(err));
		else
			snprintf(err, sizeof(err), "cancelling run \"%s\" "
			         "failed", id);
		if (rc)
			rpc_call_fail(c, rc, err);
		else
			rpc_call_reply(c, &run->base);
		store_run_free(run);
		return;
	}
	if (j) {
		if (w)
			pump(w);
		else
			rpc_call_fail(c, CD_ENOMEM, "out of memory");
		return;
	}
	int state;
	int rc = stored_state(J, id, &state, err, sizeof(err));
	if (rc) {
		rpc_call_fail(c, rc, err);
		return;
	}
	if (store_run_state_terminal(state)) {
		snprintf(err, sizeof(err), "run \"%s\" has already ended (%s): "
		         "only a QUEUED or RUNNING run can be cancelled", id,
		         store_run_state_name(state));
		rpc_call_fail(c, CD_EPRECONDITION, err);
		return;
	}
	/* Stored unfinished but not live here: its head is still on the way
	 * to the queue, or a crashed server left it (the start-up sweep
	 * handles those). Cancel it in the store; a worker that takes it
	 * later finds it ended. */
	store_run_t *run = NULL;
	rc = store_run_get(J->o.store, id, 1, &run, err, sizeof(err));
	if (!rc) {
		Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;
		Google__Protobuf__Timestamp end;
		char msg[512];
		snprintf(msg, sizeof(msg), "cancelled by %s", who);
		now_ts(&end);
		st.code = 1;
		st.message = msg;
		Google__Rpc__Status *oe = run->error;
		Google__Protobuf__Timestamp *oend = run->end_time;
		run->error = &st;
		run->end_time = &end;
		int ostate = run->state;
		run->state = ST(CANCELLED);
		store_op_t op;
		memset(&op, 0, sizeof(op));
		op.kind = STORE_RUN_UPDATE;
		op.run = run;
		op.principal = who;
		op.method = "CancelRun";
		rc = commit_sync(J, &op);
		if (!rc)
			rpc_call_reply(c, &run->base);
		else
			rpc_call_fail(c, rc, op.err);
		run->error = oe;
		run->end_time = oend;
		run->state = ostate;
	} else {
		rpc_call_fail(c, rc, err);
	}
	store_run_free(run);
}

int srv_jobs_progress(srv_jobs_t *J, const char *id, Clusters__V1__Progress *p,
                      srv_jobs_progress_buf_t *buf)
{
	pthread_mutex_lock(&J->mu);
	job_t *j = find_live(J, id);
	if (j)
		progress_of(j, p, buf);
	pthread_mutex_unlock(&J->mu);
	return j != NULL;
}

/* ------------------------------------------------------------- lifecycle */

int srv_jobs_create(srv_jobs_t **out, const srv_jobs_opts_t *o, char *err,
                    size_t errlen)
{
	*out = NULL;
	srv_jobs_t *J = calloc(1, sizeof(*J));
	if (!J)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	J->o = *o;
	if (!J->o.workers)
		J->o.workers = 1;
	if (!J->o.queue_max)
		J->o.queue_max = 1;
	pthread_mutex_init(&J->mu, NULL);
	pthread_cond_init(&J->cv, NULL);
	pthread_cond_init(&J->idle, NULL);
	J->workers = calloc(J->o.workers, sizeof(pthread_t));
	if (!J->workers) {
		srv_jobs_destroy(J);
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	}
	for (unsigned i = 0; i < J->o.workers; i++) {
		if (pthread_create(&J->workers[i], NULL, worker_main, J)) {
			srv_jobs_destroy(J);
			return cd_fail(err, errlen, CD_ENOMEM, "cannot start a "
			               "run worker thread");
		}
		J->nworkers++;
	}
	if (pthread_create(&J->ticker, NULL, ticker_main, J)) {
		srv_jobs_destroy(J);
		return cd_fail(err, errlen, CD_ENOMEM, "cannot start the run "
		               "ticker thread");
	}
	J->ticker_on = 1;
	*out = J;
	return CD_OK;
}

void srv_jobs_shutdown(srv_jobs_t *J)
{
	if (!J)
		return;
	pthread_mutex_lock(&J->mu);
	if (J->stop) {
		pthread_mutex_unlock(&J->mu);
		return;
	}
	J->stop = 1;
	/* Queued runs leave the queue now; running ones are told to stop. */
	job_t *queued = J->qhead;
	J->qhead = J->qtail = NULL;
	J->queued = 0;
	for (job_t *j = queued; j; j = j->qnext)
		j->refs++;
	for (job_t *j = J->live; j; j = j->lnext)
		job_stop_locked(j, STOP_SHUTDOWN, "");
	pthread_cond_broadcast(&J->cv);
	pthread_mutex_unlock(&J->mu);
	size_t n = 0;
	while (queued) {
		job_t *j = queued;
		queued = j->qnext;
		j->qnext = NULL;
		store_final(J, j, NULL, 0, ST(CANCELLED), 1, "server stopping",
		            j->principal, "RunFinished");
		job_end(J, j);
		pthread_mutex_lock(&J->mu);
		job_unref_locked(j);
		pthread_mutex_unlock(&J->mu);
		n++;
	}
	if (n)
		log_msg(LOG_INFO, "runs: %zu queued runs cancelled (server "
		        "stopping)", n);
}

void srv_jobs_drain(srv_jobs_t *J)
{
	if (!J)
		return;
	srv_jobs_shutdown(J);
	pthread_mutex_lock(&J->mu);
	int already = J->drained;
	pthread_mutex_unlock(&J->mu);
	if (already)
		return;
	for (unsigned i = 0; i < J->nworkers; i++)
		pthread_join(J->workers[i], NULL);
	J->nworkers = 0;
	/* Heads still being written end in start_done; then every watcher
	 * is answered (the ticker pumps them) before the ticker ends. */
	pthread_mutex_lock(&J->mu);
	while (J->reserved)
		pthread_cond_wait(&J->idle, &J->mu);
	J->drained = 1;
	pthread_cond_broadcast(&J->idle);
	pthread_mutex_unlock(&J->mu);
	if (J->ticker_on) {
		pthread_join(J->ticker, NULL);
		J->ticker_on = 0;
	}
}

void srv_jobs_destroy(srv_jobs_t *J)
{
	if (!J)
		return;
	if (J->nworkers || J->ticker_on) {
		srv_jobs_drain(J);
	}
	free(J->workers);
	pthread_cond_destroy(&J->cv);
	pthread_cond_destroy(&J->idle);
	pthread_mutex_destroy(&J->mu);
	free(J);
}

void srv_jobs_counts(srv_jobs_t *J, unsigned *queued, unsigned *running,
                     unsigned *queue_max)
{
	unsigned n = 0;
	pthread_mutex_lock(&J->mu);
	for (job_t *j = J->live; j; j = j->lnext)
		if (j->state == ST(RUNNING) && !j->ended)
			n++;
	*queued = J->queued;
	*running = n;
	*queue_max = J->o.queue_max;
	pthread_mutex_unlock(&J->mu);
}
