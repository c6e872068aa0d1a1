/* An evaluation can take seconds, so it runs on a thread of its own: the
 * handler decodes and checks the request on the completion-queue thread,
 * then hands the call (with a reference) to a new detached thread, which
 * opens one snapshot, acquires one plugin generation and calls srv_eval.
 * Progress events go out from that thread at most one at a time: a new one
 * is sent only when the previous send completed (on_sent, on the call's
 * completion-queue thread) and RPC_RUN_PROGRESS_MS have passed. Before the
 * last message the thread waits for the outstanding send, then stores the
 * run through the group committer (after closing its snapshot, since the
 * store cannot grow its map under one) and ends the call with the Run as
 * the last RunEvent. */
#include "rpc_run.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cd_error.h"
#include "rpc_call.h"
#include "rpc_write.h"
#include "srv_env.h"
#include "srv_eval.h"
#include "srv_jobs.h"

/* Evaluations running at once; more are refused (RESOURCE_EXHAUSTED). */
#define RUN_MAX_RUNNING 16

struct rpc_runs {
	pthread_mutex_t mu;
	pthread_cond_t cv;        /* running went down */
	int running;              /* evaluation threads started, not ended */
	int stop;                 /* draining: cancel running, refuse new */
	unsigned long seq;        /* last run id number handed out */
};

typedef struct run_job {
	rpc_call_t *call;
	srv_env_t *env;
	int stream;                        /* RunCompetition (else Evaluate) */
	Clusters__V1__RunCompetitionRequest *rreq;
	Clusters__V1__EvaluateRequest *ereq;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int sending;                       /* a progress send is outstanding */
	int sent_any;
	struct timespec last;
	int committed, commit_rc;
	char commit_err[256];
	/* RunCompetition: the etag of the definition evaluated, which the
	 * stored run names (Run.competition_etag). */
	char comp_etag[STORE_ID_MAX + 1];
} run_job_t;

static void job_free(void *p)
{
	run_job_t *j = p;
	if (j->rreq)
		clusters__v1__run_competition_request__free_unpacked(j->rreq,
		                                                      NULL);
	if (j->ereq)
		clusters__v1__evaluate_request__free_unpacked(j->ereq, NULL);
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->cv);
	free(j);
}

/* ------------------------------------------------------------ progress */

static void on_sent(rpc_call_t *c, int ok)
{
	run_job_t *j = rpc_call_ctx(c);
	(void)ok; /* a failed send shows up as a cancelled call */
	pthread_mutex_lock(&j->mu);
	j->sending = 0;
	pthread_cond_broadcast(&j->cv);
	pthread_mutex_unlock(&j->mu);
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static int progress(void *arg, const char *stage, uint64_t done,
                    uint64_t total)
{
	run_job_t *j = arg;
	rpc_runs_t *r = j->env->runs;
	pthread_mutex_lock(&r->mu);
	int stop = r->stop;
	pthread_mutex_unlock(&r->mu);
	if (stop || rpc_call_cancelled(j->call))
		return CD_ECANCELLED;
	if (!j->stream)
		return CD_OK;
	pthread_mutex_lock(&j->mu);
	int send = !j->sending &&
	           (!j->sent_any || ms_since(&j->last) >= RPC_RUN_PROGRESS_MS);
	if (send)
		j->sending = 1;
	pthread_mutex_unlock(&j->mu);
	if (!send)
		return CD_OK;
	Clusters__V1__Progress p = CLUSTERS__V1__PROGRESS__INIT;
	p.stage = (char *)stage;
	p.done = (int64_t)done;
	p.total = (int64_t)total;
	Clusters__V1__RunEvent ev = CLUSTERS__V1__RUN_EVENT__INIT;
	ev.event_case = CLUSTERS__V1__RUN_EVENT__EVENT_PROGRESS;
	ev.progress = &p;
	j->sent_any = 1;
	clock_gettime(CLOCK_MONOTONIC, &j->last);
	if (rpc_call_send_msg(j->call, &ev.base, on_sent) != CD_OK) {
		pthread_mutex_lock(&j->mu);
		j->sending = 0;
		pthread_mutex_unlock(&j->mu);
		return CD_ECANCELLED;
	}
	return CD_OK;
}

static void wait_send(run_job_t *j)
{
	pthread_mutex_lock(&j->mu);
	while (j->sending)
		pthread_cond_wait(&j->cv, &j->mu);
	pthread_mutex_unlock(&j->mu);
}

/* --------------------------------------------------------------- store */

static void commit_done(srv_commit_job_t *job, int txn_rc)
{
	run_job_t *j = job->arg;
	(void)txn_rc;
	pthread_mutex_lock(&j->mu);
	j->commit_rc = job->ops[0].rc;
	snprintf(j->commit_err, sizeof(j->commit_err), "%s", job->ops[0].err);
	j->committed = 1;
	pthread_cond_broadcast(&j->cv);
	pthread_mutex_unlock(&j->mu);
}

static int put_run(run_job_t *j, const Clusters__V1__Run *run, char *err,
                   size_t errlen)
{
	store_op_t op;
	memset(&op, 0, sizeof(op));
	op.kind = STORE_RUN_PUT;
	op.run = run;
	rpc_write_audit(j->call, &op);
	srv_commit_job_t job = {.ops = &op, .n = 1, .done = commit_done,
	                        .arg = j};
	j->committed = 0;
	if (srv_commit_submit(j->env->commit, &job) != CD_OK)
		return cd_fail(err, errlen, CD_EUNAVAIL, "server is shutting "
		               "down");
	pthread_mutex_lock(&j->mu);
	while (!j->committed)
		pthread_cond_wait(&j->cv, &j->mu);
	pthread_mutex_unlock(&j->mu);
	if (j->commit_rc)
		/* A run the store refuses is the server's fault. */
		return cd_fail(err, errlen, cd_err_is_invalid(j->commit_rc)
		               ? CD_EINTERNAL : j->commit_rc,
		               "storing the run: %s", j->commit_err);
	return CD_OK;
}

/* "<competition>-<yyyymmdd>t<hhmmss>-<n>" (UTC; ids are lower case), n
 * unique in this server. */
static void run_id(rpc_runs_t *r, char *buf, size_t len, const char *comp,
                   time_t t)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	pthread_mutex_lock(&r->mu);
	unsigned long seq = ++r->seq;
	pthread_mutex_unlock(&r->mu);
	char when[32];
	if (!strftime(when, sizeof(when), "%Y%m%dt%H%M%S", &tm))
		when[0] = '\0';
	snprintf(buf, len, "%.100s-%.15s-%lu", comp, when, seq);
}

/* -------------------------------------------------------------- worker */

/* One evaluation thread fewer; wakes rpc_runs_drain. */
static void runs_end(rpc_runs_t *r)
{
	pthread_mutex_lock(&r->mu);
	r->running--;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static int evaluate(run_job_t *j, store_snap_t *snap, char *err,
                    size_t errlen, Clusters__V1__Run **run, char *id,
                    size_t idlen)
{
	srv_env_t *env = j->env;
	store_competition_t *comp = NULL;
	store_run_t *base = NULL;
	const Clusters__V1__Competition *def;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int rc = CD_OK;
	if (j->stream) {
		const char *cid = j->rreq->competition_id;
		rc = store_snap_competition_get(snap, cid, &comp, err, errlen);
		if (rc == CD_ENOTFOUND)
			cd_fail(err, errlen, rc, "competition '%s' not found",
			        cid);
		if (rc)
			return rc;
		def = comp;
		snprintf(j->comp_etag, sizeof(j->comp_etag), "%s",
		         comp->etag ? comp->etag : "");
		run_id(env->runs, id, idlen, def->id, now.tv_sec);
	} else {
		def = j->ereq->competition;
		id[0] = '\0';
	}
	if (def->baseline_run_id[0]) {
		rc = store_snap_run_get(snap, def->baseline_run_id, 1, &base,
		                        err, errlen);
		if (rc == CD_ENOTFOUND)
			rc = cd_fail(err, errlen, CD_EPRECONDITION,
			             "baseline_run_id: run '%s' not found",
			             def->baseline_run_id);
	}
	plugin_generation_t *gen =
		env->plugins ? plugin_registry_acquire(env->plugins) : NULL;
	if (!rc) {
		srv_eval_req_t r = {
			.def = def,
			.snap = snap,
			.gen = gen,
			.cluster_ids = j->stream ? NULL : j->ereq->cluster_ids,
			.ncluster_ids = j->stream ? 0 : j->ereq->n_cluster_ids,
			.sensitivity = j->stream ? j->rreq->sensitivity
			                         : j->ereq->sensitivity,
			.baseline = base,
			.progress = progress,
			.progress_arg = j,
			.run_id = id,
			.plugin_timeout_ms = srv_eval_timeout_ms(def,
				env->plugin_timeout_ms, env->plugin_timeout_max_ms),
			.create_seconds = (int64_t)now.tv_sec,
			.create_nanos = (int32_t)now.tv_nsec,
		};
		rc = srv_eval_run(&r, run, err, errlen);
		/* The run's arena does not own it: j does, past the reply. */
		if (!rc && j->stream)
			(*run)->competition_etag = j->comp_etag;
	}
	plugin_generation_release(gen);
	store_run_free(base);
	store_competition_free(comp);
	return rc;
}

static void *worker(void *arg)
{
	run_job_t *j = arg;
	rpc_call_t *c = j->call;
	rpc_runs_t *r = j->env->runs; /* j goes with the last reference */
	char err[1024] = "", id[STORE_ID_MAX + 1];
	Clusters__V1__Run *run = NULL;
	store_snap_t *snap = NULL;
	int rc = store_snap_open(j->env->store, &snap);
	if (rc)
		cd_fail(err, sizeof(err), rc, "cannot open a snapshot of the "
		        "store");
	else
		rc = evaluate(j, snap, err, sizeof(err), &run, id, sizeof(id));
	store_snap_close(snap);
	wait_send(j);
	if (!rc && j->stream) {
		/* A run id taken by a run of another process (same second,
		 * same counter) gets the next number. */
		for (int tries = 0; tries < 8; tries++) {
			rc = put_run(j, run, err, sizeof(err));
			if (rc != CD_EEXISTS)
				break;
			run_id(r, id, sizeof(id), run->competition_id,
			       time(NULL));
			run->id = id;
		}
	}
	if (!rc) {
		ProtobufCMessage *m = &run->base;
		Clusters__V1__RunEvent ev = CLUSTERS__V1__RUN_EVENT__INIT;
		if (j->stream) {
			ev.event_case = CLUSTERS__V1__RUN_EVENT__EVENT_RUN;
			ev.run = run;
			m = &ev.base;
		}
		rpc_call_reply(c, m);
	} else {
		rpc_call_fail(c, rc, err);
	}
	engine_run_free(run);
	rpc_call_unref(c);
	runs_end(r);
	return NULL;
}

/* Takes j (its request is freed with the call); starts the worker. */
static void start(rpc_call_t *c, run_job_t *j)
{
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	j->call = c;
	j->env = rpc_call_env(c);
	rpc_call_set_ctx(c, j, job_free);
	rpc_runs_t *r = j->env->runs;
	pthread_mutex_lock(&r->mu);
	int busy = r->running >= RUN_MAX_RUNNING, stop = r->stop;
	if (!busy && !stop)
		r->running++;
	pthread_mutex_unlock(&r->mu);
	if (busy || stop) {
		rpc_call_fail(c, stop ? CD_EUNAVAIL : CD_ELIMIT, stop
		              ? "server is shutting down"
		              : "too many evaluations running; try again later");
		return;
	}
	rpc_call_ref(c);
	pthread_attr_t at;
	pthread_t t;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	int e = pthread_create(&t, &at, worker, j);
	pthread_attr_destroy(&at);
	if (e) {
		runs_end(r);
		rpc_call_fail(c, CD_ENOMEM, "cannot start an evaluation thread");
		rpc_call_unref(c);
	}
}

/* ---------------------------------------------------------------- runs */

int rpc_runs_create(rpc_runs_t **out, char *err, size_t errlen)
{
	*out = NULL;
	rpc_runs_t *r = calloc(1, sizeof(*r));
	if (!r)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	if (pthread_mutex_init(&r->mu, NULL) != 0) {
		free(r);
		return cd_fail(err, errlen, CD_EINTERNAL, "cannot create a "
		               "mutex");
	}
	if (pthread_cond_init(&r->cv, NULL) != 0) {
		pthread_mutex_destroy(&r->mu);
		free(r);
		return cd_fail(err, errlen, CD_EINTERNAL, "cannot create a "
		               "condition variable");
	}
	*out = r;
	return CD_OK;
}

void rpc_runs_drain(rpc_runs_t *r)
{
	if (!r)
		return;
	/* stop stays set: this server's evaluations are over for good. */
	pthread_mutex_lock(&r->mu);
	r->stop = 1;
	while (r->running)
		pthread_cond_wait(&r->cv, &r->mu);
	pthread_mutex_unlock(&r->mu);
}

void rpc_runs_destroy(rpc_runs_t *r)
{
	if (!r)
		return;
	rpc_runs_drain(r);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

/* ------------------------------------------------------------ handlers */

void rpc_run_competition(rpc_call_t *c)
{
	srv_env_t *env = rpc_call_env(c);
	Clusters__V1__RunCompetitionRequest *req =
		(Clusters__V1__RunCompetitionRequest *)rpc_call_decode(
			c, &clusters__v1__run_competition_request__descriptor);
	if (!req)
		return;
	srv_jobs_start(env->jobs, c, req->competition_id, req->sensitivity,
	               req->time_limit, SRV_JOBS_RUN);
	clusters__v1__run_competition_request__free_unpacked(req, NULL);
}

void rpc_run_start(rpc_call_t *c)
{
	srv_env_t *env = rpc_call_env(c);
	Clusters__V1__StartRunRequest *req =
		(Clusters__V1__StartRunRequest *)rpc_call_decode(
			c, &clusters__v1__start_run_request__descriptor);
	if (!req)
		return;
	srv_jobs_start(env->jobs, c, req->competition_id, req->sensitivity,
	               req->time_limit, SRV_JOBS_REPLY_HEAD);
	clusters__v1__start_run_request__free_unpacked(req, NULL);
}

void rpc_run_watch(rpc_call_t *c)
{
	srv_env_t *env = rpc_call_env(c);
	char err[256] = "";
	Clusters__V1__WatchRunRequest *req =
		(Clusters__V1__WatchRunRequest *)rpc_call_decode(
			c, &clusters__v1__watch_run_request__descriptor);
	if (!req)
		return;
	int rc = store_validate_id(req->id, "id", err, sizeof(err));
	if (rc)
		rpc_call_fail(c, rc, err);
	else
		srv_jobs_watch(env->jobs, c, req->id);
	clusters__v1__watch_run_request__free_unpacked(req, NULL);
}

void rpc_run_cancel(rpc_call_t *c)
{
	srv_env_t *env = rpc_call_env(c);
	char err[256] = "";
	Clusters__V1__CancelRunRequest *req =
		(Clusters__V1__CancelRunRequest *)rpc_call_decode(
			c, &clusters__v1__cancel_run_request__descriptor);
	if (!req)
		return;
	int rc = store_validate_id(req->id, "id", err, sizeof(err));
	if (rc)
		rpc_call_fail(c, rc, err);
	else
		srv_jobs_cancel(env->jobs, c, req->id);
	clusters__v1__cancel_run_request__free_unpacked(req, NULL);
}

void rpc_run_evaluate(rpc_call_t *c)
{
	srv_env_t *env = rpc_call_env(c);
	char err[512] = "";
	Clusters__V1__EvaluateRequest *req =
		(Clusters__V1__EvaluateRequest *)rpc_call_decode(
			c, &clusters__v1__evaluate_request__descriptor);
	if (!req)
		return;
	int rc = CD_OK;
	if (!req->competition) {
		rc = cd_fail(err, sizeof(err), CD_EINVAL,
		             "competition: required");
	} else {
		plugin_generation_t *gen =
			env->plugins ? plugin_registry_acquire(env->plugins)
			             : NULL;
		rc = srv_eval_check(req->competition, gen, 0,
		                    env->plugin_timeout_max_ms, err,
		                    sizeof(err));
		plugin_generation_release(gen);
		if (rc) {
			char inner[512];
			snprintf(inner, sizeof(inner), "%s", err);
			cd_fail(err, sizeof(err), rc, "competition.%s", inner);
		}
	}
	if (!rc)
		rc = srv_eval_check_sensitivity(req->sensitivity, "sensitivity",
		                                err, sizeof(err));
	run_job_t *j = rc ? NULL : calloc(1, sizeof(*j));
	if (!j) {
		if (!rc)
			rc = cd_fail(err, sizeof(err), CD_ENOMEM,
			             "out of memory");
		rpc_call_fail(c, rc, err);
		clusters__v1__evaluate_request__free_unpacked(req, NULL);
		return;
	}
	j->ereq = req;
	start(c, j);
}

void rpc_run_get(rpc_call_t *c)
{
	srv_env_t *env = rpc_call_env(c);
	char err[256] = "";
	Clusters__V1__GetRunRequest *req =
		(Clusters__V1__GetRunRequest *)rpc_call_decode(
			c, &clusters__v1__get_run_request__descriptor);
	if (!req)
		return;
	store_run_t *run = NULL;
	int rc = store_validate_id(req->id, "id", err, sizeof(err));
	if (!rc)
		rc = store_run_get(env->store, req->id,
		                   req->view != CLUSTERS__V1__RUN_VIEW__RUN_VIEW_BASIC,
		                   &run, err, sizeof(err));
	Clusters__V1__Progress p;
	srv_jobs_progress_buf_t pb;
	if (!rc && !store_run_state_terminal(run->state) &&
	    srv_jobs_progress(env->jobs, run->id, &p, &pb)) {
		/* A live run: where it is now (kept in memory only). */
		Clusters__V1__Progress *old = run->progress;
		run->progress = &p;
		rpc_call_reply(c, &run->base);
		run->progress = old;
	} else if (rc) {
		rpc_call_fail(c, rc, err);
	} else {
		rpc_call_reply(c, &run->base);
	}
	store_run_free(run);
	clusters__v1__get_run_request__free_unpacked(req, NULL);
}

void rpc_run_delete(rpc_call_t *c)
{
	Clusters__V1__DeleteRunRequest *req =
		(Clusters__V1__DeleteRunRequest *)rpc_call_decode(
			c, &clusters__v1__delete_run_request__descriptor);
	if (req)
		rpc_write_delete(c, &req->base, STORE_RUN_DELETE, req->id, NULL);
}

void rpc_run_list(rpc_call_t *c)
{
	srv_env_t *env = rpc_call_env(c);
	char err[256] = "";
	Clusters__V1__ListRunsRequest *req =
		(Clusters__V1__ListRunsRequest *)rpc_call_decode(
			c, &clusters__v1__list_runs_request__descriptor);
	if (!req)
		return;
	int rc = rpc_call_page_size(req->page_size, err, sizeof(err));
	store_run_page_t page;
	memset(&page, 0, sizeof(page));
	if (!rc)
		rc = store_run_list_state(env->store, req->competition_id,
		                    (int)req->state,
		                    (size_t)req->page_size, req->page_token,
		                    req->view == CLUSTERS__V1__RUN_VIEW__RUN_VIEW_FULL,
		                    &page, err, sizeof(err));
	if (rc) {
		rpc_call_fail(c, rc, err);
	} else {
		Clusters__V1__ListRunsResponse r =
			CLUSTERS__V1__LIST_RUNS_RESPONSE__INIT;
		r.n_runs = page.n;
		r.runs = page.items;
		r.next_page_token = page.next_token;
		rpc_call_reply(c, &r.base);
	}
	store_run_page_free(&page);
	clusters__v1__list_runs_request__free_unpacked(req, NULL);
}
