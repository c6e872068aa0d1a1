/* srv_score.c — the scorer the service gives the engine (srv_score.h). */
#include "srv_score.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "plugin_instance.h"
#include "srv_eval.h"

/* The criteria of one round, scored ahead of the engine's asking. */
struct srv_score_round {
	size_t round, first, k, n;   /* criteria first..first+k-1 */
	size_t handed;           /* criteria given to the engine so far */
	size_t done;             /* criteria scored */
	int rc;                  /* the failure of criterion `done` */
	char err[512];
	plugin_cohort_t *view;   /* the candidates, when not everyone */
	plugin_instance_t **inst;
	double **raw;            /* k arrays of n */
	const char ***reasons;   /* k arrays of n, in the instances' memory */
};

static int run_code(int rc)
{
	/* A stored definition that no longer fits the loaded plugins is a
	 * state problem, not a bad request. */
	if (rc == CD_ENOTFOUND || cd_err_is_invalid(rc))
		return CD_EPRECONDITION;
	/* A time limit and a shutdown say so in their codes. */
	if (rc == CD_ENOMEM || rc == CD_EDEADLINE || rc == CD_EUNAVAIL ||
	    rc == CD_ECANCELLED)
		return rc;
	return CD_EPLUGIN;
}

static void round_free(srv_score_round_t *b)
{
	if (!b)
		return;
	for (size_t j = 0; j < b->k; j++) {
		plugin_instance_close(b->inst ? b->inst[j] : NULL);
		if (b->raw)
			free(b->raw[j]);
		if (b->reasons)
			free(b->reasons[j]);
	}
	free(b->inst);
	free(b->raw);
	free(b->reasons);
	plugin_cohort_destroy(b->view);
	free(b);
}

void srv_score_fini(srv_scorer_t *s)
{
	round_free(s->round);
	s->round = NULL;
}

/* Scores criteria first..first+k-1 of req's round over req's members. */
static int round_score(srv_scorer_t *s, const engine_score_req_t *req,
                       size_t first, size_t k, srv_score_round_t **out)
{
	const Clusters__V1__Round *rd = s->def->rounds[req->round];
	srv_score_round_t *b = calloc(1, sizeof(*b));
	if (!b)
		return CD_ENOMEM;
	b->round = req->round;
	b->first = first;
	b->k = k;
	b->n = req->n;
	*out = b;
	b->inst = calloc(k, sizeof(*b->inst));
	b->raw = calloc(k, sizeof(*b->raw));
	b->reasons = calloc(k, sizeof(*b->reasons));
	if (!b->inst || !b->raw || !b->reasons) {
		b->k = 0;
		return CD_ENOMEM;
	}
	for (size_t j = 0; j < k; j++)
		if (!(b->raw[j] = malloc((b->n ? b->n : 1) * sizeof(double))) ||
		    !(b->reasons[j] = calloc(b->n ? b->n : 1, sizeof(char *))))
			return CD_ENOMEM;
	/* Members are ascending: n == size means every cluster. */
	if (b->n != plugin_cohort_size(s->pc)) {
		int rc = plugin_cohort_view(&b->view, s->pc, req->members, b->n,
		                            b->err, sizeof(b->err));
		if (rc)
			return rc;
	}
	/* Open what opens; a criterion that does not is where the batch
	 * stops, and its error is what the engine gets for it. */
	size_t open = 0;
	for (; open < k; open++) {
		const Clusters__V1__Criterion *cr = rd->criteria[first + open];
		plugin_kv_t *kv = srv_eval_params(cr);
		if (!kv)
			return CD_ENOMEM;
		int rc = plugin_instance_open(&b->inst[open], s->gen, cr->plugin,
		                              kv, cr->n_params, b->err,
		                              sizeof(b->err));
		free(kv);
		if (rc) {
			b->rc = run_code(rc);
			break;
		}
		plugin_instance_set_timeout(b->inst[open], s->timeout_ms);
		plugin_instance_set_cancel_fd(b->inst[open], s->cancel_fd);
	}
	size_t done = 0;
	char err[512];
	int rc = plugin_instance_score_many(b->inst, open,
	                                    b->view ? b->view : s->pc,
	                                    b->raw, b->reasons, &done, err,
	                                    sizeof(err));
	b->done = done;
	if (rc) {
		b->rc = run_code(rc);
		memcpy(b->err, err, sizeof(err));
	}
	return CD_OK;
}

int srv_score_fn(void *arg, engine_score_req_t *req, char *err,
                 size_t errlen)
{
	srv_scorer_t *s = arg;
	if (!s->gen)
		return cd_fail(err, errlen, CD_EPRECONDITION, "no plugins are "
		               "loaded (no plugin directory)");
	const Clusters__V1__Round *rd = s->def->rounds[req->round];
	srv_score_round_t *b = s->round;
	/* The engine asks for a round's criteria once each, in order; any
	 * other request (a new round) starts a new batch. */
	if (!b || b->round != req->round || b->handed >= b->k ||
	    req->criterion != b->first + b->handed || req->n != b->n) {
		round_free(b);
		s->round = NULL;
		/* The rest of the round at once when it is small; else this
		 * criterion alone. */
		size_t k = req->n <= SRV_SCORE_BATCH_MAX
		           ? rd->n_criteria - req->criterion : 1;
		int rc = round_score(s, req, req->criterion, k, &s->round);
		b = s->round;
		if (rc) {
			cd_fail(err, errlen, rc, "%s", rc == CD_ENOMEM
			        ? "out of memory" : b && b->err[0] ? b->err
			                                          : cd_err_name(rc));
			round_free(b);
			s->round = NULL;
			return rc;
		}
	}
	size_t j = b->handed++;
	if (j >= b->done) {
		/* The criterion that failed (the engine stops there). */
		int rc = b->rc ? b->rc : CD_EINTERNAL;
		return cd_fail(err, errlen, rc, "%s", b->err[0] ? b->err
		                                                : cd_err_name(rc));
	}
	memcpy(req->raw, b->raw[j], b->n * sizeof(double));
	for (size_t i = 0; i < b->n; i++)
		if (b->reasons[j][i]) {
			int rc = engine_notes_set(req->notes, i, b->reasons[j][i]);
			if (rc)
				return cd_fail(err, errlen, rc, "out of memory");
		}
	/* The plugin's run notes: the host checked them, the run keeps
	 * them. */
	size_t nn;
	const plugin_note_t *pn = plugin_instance_notes(b->inst[j], &nn);
	for (size_t i = 0; i < nn; i++) {
		int rc = engine_crit_note(req->crit_notes, pn[i].key,
		                          pn[i].value);
		if (rc)
			return cd_fail(err, errlen, rc, "out of memory");
	}
	return CD_OK;
}
