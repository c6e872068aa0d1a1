#include "plugin_instance.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cd_error.h"
#include "plugin_cohort_internal.h"
#include "plugin_internal.h"
#include "plugin_proc_internal.h"

struct plugin_instance {
	plugin_generation_t *gen;
	const plugin_loaded_t *pl;
	/* Process isolation: the params to send and the per-call limit;
	 * init, score and fini run in a worker at each score. */
	plugin_kv_t *kv;
	size_t nkv;
	unsigned timeout_ms;
	int cancel_fd;         /* -1: none */
	plugin_params_t *params;
	void *state;
	cp_host_t host;
	plugin_host_ctx_t ctx;
	const char **reasons;  /* used when the caller passes none */
	size_t nreasons;
};

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The registry's observer, if any, of one call of inst. */
static void observe(const plugin_instance_t *inst, int outcome,
                    double seconds)
{
	const plugin_generation_t *g = inst->gen;
	if (g->observe)
		g->observe(g->observe_ctx, inst->pl->info.name, outcome,
		           seconds);
}

static const plugin_loaded_t *find(const plugin_generation_t *gen,
                                   const char *name)
{
	for (size_t i = 0; name && i < gen->n; i++)
		if (strcmp(gen->p[i].info.name, name) == 0)
			return &gen->p[i];
	return NULL;
}

int plugin_params_validate(const plugin_generation_t *gen, const char *name,
                           const plugin_kv_t *kv, size_t n, char *err,
                           size_t errlen)
{
	const plugin_loaded_t *pl = find(gen, name);
	if (!pl)
		return cd_fail(err, errlen, CD_ENOTFOUND, "no plugin named '%s'",
		               name ? name : "");
	char prefix[96];
	snprintf(prefix, sizeof(prefix), "plugin '%s': ", pl->info.name);
	plugin_params_t *p;
	int rc = plugin_params_build(&p, pl->info.params, pl->info.nparams, kv,
	                             n, prefix, err, errlen);
	plugin_params_destroy(p);
	return rc;
}

static int copy_kv(plugin_instance_t *inst, const plugin_kv_t *kv, size_t n)
{
	if (!(inst->kv = calloc(n ? n : 1, sizeof(*inst->kv))))
		return CD_ENOMEM;
	for (; inst->nkv < n; inst->nkv++) {
		plugin_kv_t *d = &inst->kv[inst->nkv];
		d->key = strdup(kv[inst->nkv].key ? kv[inst->nkv].key : "");
		d->value = strdup(kv[inst->nkv].value ? kv[inst->nkv].value : "");
		if (!d->key || !d->value) {
			inst->nkv++;
			return CD_ENOMEM;
		}
	}
	return CD_OK;
}

void plugin_instance_set_timeout(plugin_instance_t *inst, unsigned ms)
{
	inst->timeout_ms = ms;
}

void plugin_instance_set_cancel_fd(plugin_instance_t *inst, int fd)
{
	inst->cancel_fd = fd;
}

int plugin_instance_open(plugin_instance_t **out, plugin_generation_t *gen,
                         const char *name, const plugin_kv_t *kv, size_t n,
                         char *err, size_t errlen)
{
	*out = NULL;
	const plugin_loaded_t *pl = find(gen, name);
	if (!pl)
		return cd_fail(err, errlen, CD_ENOTFOUND, "no plugin named '%s'",
		               name ? name : "");
	plugin_instance_t *inst = calloc(1, sizeof(*inst));
	if (!inst)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	inst->cancel_fd = -1;
	char prefix[96];
	snprintf(prefix, sizeof(prefix), "plugin '%s': ", pl->info.name);
	int rc = plugin_params_build(&inst->params, pl->info.params,
	                             pl->info.nparams, kv, n, prefix, err,
	                             errlen);
	if (rc) {
		free(inst);
		return rc;
	}
	inst->gen = plugin_generation_ref(gen);
	inst->pl = pl;
	inst->ctx.log = gen->log;
	inst->ctx.log_ctx = gen->log_ctx;
	inst->ctx.plugin_name = pl->info.name;
	plugin_host_setup(&inst->host, &inst->ctx);
	if (gen->pool) {
		rc = copy_kv(inst, kv, n);
		if (rc) {
			plugin_instance_close(inst);
			return cd_fail(err, errlen, rc, "out of memory");
		}
	} else if (pl->desc->init) {
		char msg[512] = "";
		int prc = pl->desc->init(&inst->host, inst->params, &inst->state,
		                         msg, sizeof(msg) - 1);
		msg[sizeof(msg) - 1] = '\0';
		if (prc != CP_OK) {
			rc = prc == CP_EPARAM   ? CD_EV_DEFINITION
			     : prc == CP_ENOMEM ? CD_ENOMEM
			                        : CD_EPLUGIN;
			cd_fail(err, errlen, rc, "plugin '%s': init: %s (%s)",
			        pl->info.name, msg[0] ? msg : "no message",
			        cp_code_name(prc));
			inst->state = NULL;
			plugin_instance_close(inst);
			return rc;
		}
	}
	*out = inst;
	return CD_OK;
}

void plugin_instance_close(plugin_instance_t *inst)
{
	if (!inst)
		return;
	if (inst->state && inst->pl->desc->fini)
		inst->pl->desc->fini(&inst->host, inst->state);
	for (size_t i = 0; i < inst->nkv; i++) {
		free((char *)inst->kv[i].key);
		free((char *)inst->kv[i].value);
	}
	free(inst->kv);
	plugin_host_scratch_reset(&inst->ctx);
	plugin_host_notes_reset(&inst->ctx);
	plugin_params_destroy(inst->params);
	free(inst->reasons);
	plugin_generation_release(inst->gen);
	free(inst);
}

const plugin_info_t *plugin_instance_info(const plugin_instance_t *inst)
{
	return &inst->pl->info;
}

const plugin_note_t *plugin_instance_notes(const plugin_instance_t *inst,
                                           size_t *n)
{
	*n = inst->ctx.nnotes;
	return *n ? inst->ctx.notes : NULL;
}

static int reason_array(plugin_instance_t *inst, size_t n)
{
	if (n <= inst->nreasons)
		return CD_OK;
	const char **r = realloc(inst->reasons, n * sizeof(*r));
	if (!r)
		return CD_ENOMEM;
	inst->reasons = r;
	inst->nreasons = n;
	return CD_OK;
}

static const char *save_reason(void *arg, const char *s)
{
	plugin_instance_t *inst = arg;
	return inst->host.score_string(&inst->host, s);
}

static int save_note(void *arg, const char *key, const char *value)
{
	plugin_instance_t *inst = arg;
	return plugin_host_note(&inst->ctx, key, value);
}

int plugin_instance_score(plugin_instance_t *inst,
                          const plugin_cohort_t *cohort, double *out,
                          const char **reasons, char *err, size_t errlen)
{
	const char *pname = inst->pl->info.name;
	if (!plugin_cohort_sealed(cohort))
		return cd_fail(err, errlen, CD_EPRECONDITION,
		               "plugin '%s': cohort is not sealed", pname);
	size_t n = plugin_cohort_size(cohort);
	plugin_host_scratch_reset(&inst->ctx);
	plugin_host_notes_reset(&inst->ctx);
	if (!n)
		return CD_OK;
	if (!reasons) {
		if (reason_array(inst, n))
			return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
		reasons = inst->reasons;
	}
	for (size_t i = 0; i < n; i++) {
		out[i] = NAN;
		reasons[i] = NULL;
	}
	if (inst->gen->pool) {
		size_t done;
		double *const outs[1] = { out };
		const char **const rs[1] = { reasons };
		return plugin_instance_score_many(&inst, 1, cohort, outs, rs,
		                                  &done, err, errlen);
	}
	char msg[512] = "";
	double t0 = inst->gen->observe ? now_s() : 0;
	inst->ctx.scoring = 1;
	int prc = inst->pl->desc->score(&inst->host, inst->state, cohort, out,
	                                reasons, n, msg, sizeof(msg) - 1);
	inst->ctx.scoring = 0;
	msg[sizeof(msg) - 1] = '\0';
	/* A failed call's notes describe nothing the run keeps. */
	if (prc != CP_OK)
		plugin_host_notes_reset(&inst->ctx);
	if (inst->gen->observe)
		observe(inst, prc == CP_OK ? PLUGIN_CALL_OK : PLUGIN_CALL_ERROR,
		        now_s() - t0);
	if (prc != CP_OK)
		return cd_fail(err, errlen, CD_EPLUGIN, "plugin '%s' failed: %s "
		               "(%s, code %d)", pname, msg[0] ? msg : "no message",
		               cp_code_name(prc), prc);
	/* NaN is "no score"; an infinity (an overflow in the plugin's
	 * arithmetic on extreme values, say) is no score either, with the
	 * reason, ahead of the plugin's own. */
	for (size_t i = 0; i < n; i++) {
		if (!isinf(out[i]))
			continue;
		char why[512];
		snprintf(why, sizeof(why), "%s is not a finite number%s%s",
		         out[i] > 0 ? "+Inf" : "-Inf", reasons[i] ? "; " : "",
		         reasons[i] ? reasons[i] : "");
		out[i] = NAN;
		if (!(reasons[i] = inst->host.score_string(&inst->host, why))) {
			plugin_host_notes_reset(&inst->ctx);
			return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
		}
	}
	return CD_OK;
}

int plugin_instance_score_many(plugin_instance_t *const *inst, size_t k,
                               const plugin_cohort_t *cohort,
                               double *const *out,
                               const char **const *reasons, size_t *done,
                               char *err, size_t errlen)
{
	*done = 0;
	plugin_pool_t *pool = k ? inst[0]->gen->pool : NULL;
	for (size_t j = 1; pool && j < k; j++)
		if (inst[j]->gen->pool != pool)
			pool = NULL;
	if (!pool) {
		/* In the server (or across generations): one by one. */
		for (; *done < k; (*done)++) {
			int rc = plugin_instance_score(inst[*done], cohort,
			                               out[*done], reasons
			                               ? reasons[*done] : NULL,
			                               err, errlen);
			/* As in a worker: the criteria after a failure are
			 * not scored, so they have no notes of this call. */
			for (size_t j = *done + 1; rc && j < k; j++)
				plugin_host_notes_reset(&inst[j]->ctx);
			if (rc)
				return rc;
		}
		return CD_OK;
	}
	if (!plugin_cohort_sealed(cohort))
		return cd_fail(err, errlen, CD_EPRECONDITION, "plugin '%s': "
		               "cohort is not sealed", inst[0]->pl->info.name);
	size_t n = plugin_cohort_size(cohort);
	plugin_proc_item_t *items = calloc(k, sizeof(*items));
	plugin_proc_result_t *res = calloc(k, sizeof(*res));
	if (!items || !res) {
		free(items);
		free(res);
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	}
	int rc = CD_OK;
	for (size_t j = 0; j < k && !rc; j++) {
		plugin_instance_t *in = inst[j];
		const char **r = reasons ? reasons[j] : NULL;
		plugin_host_scratch_reset(&in->ctx);
		plugin_host_notes_reset(&in->ctx);
		if (!r && n) {
			if (reason_array(in, n)) {
				rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
				break;
			}
			r = in->reasons;
		}
		for (size_t i = 0; i < n; i++) {
			out[j][i] = NAN;
			r[i] = NULL;
		}
		items[j] = (plugin_proc_item_t){
			.plugin = (size_t)(in->pl - in->gen->p),
			.info = &in->pl->info,
			.kv = in->kv,
			.nkv = in->nkv,
			.timeout_ms = in->timeout_ms,
			.cancel_fd = in->cancel_fd,
			.out = out[j],
			.reasons = r,
			.save = save_reason,
			.note = save_note,
			.save_arg = in,
		};
	}
	if (!rc && n) {
		/* A view goes as its whole cohort and the members. */
		plugin_proc_call_t call = {
			.cohort = cohort->parent ? cohort->parent : cohort,
			.members = cohort->parent ? cohort->map : NULL,
			.n = n,
			.items = items,
			.k = k,
			.results = res,
		};
		rc = plugin_pool_score(pool, &call, done, err, errlen);
		for (size_t j = 0; j < k; j++)
			if (res[j].ran)
				observe(inst[j], res[j].outcome, res[j].seconds);
		/* The item that failed may have noted something before its
		 * answer went wrong. */
		for (size_t j = *done; j < k; j++)
			plugin_host_notes_reset(&inst[j]->ctx);
	} else if (!rc) {
		*done = k;
	}
	free(items);
	free(res);
	return rc;
}
