#include "srv_eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "clusterplugin.h"
#include "plugin_cohort.h"
#include "plugin_instance.h"
#include "srv_fill.h"

/* -------------------------------------------------------------- checks */

typedef struct chk {
	const plugin_generation_t *gen;
	const char *field;      /* "plugin" or "params" once the check failed */
	char msg[256];
} chk_t;

static plugin_kv_t *kv_of(const char *const *keys, const char *const *values,
                          size_t n)
{
	plugin_kv_t *kv = calloc(n ? n : 1, sizeof(*kv));
	for (size_t i = 0; kv && i < n; i++) {
		kv[i].key = keys[i];
		kv[i].value = values[i];
	}
	return kv;
}

static int check_criterion(void *arg, const char *plugin,
                           const char *const *keys, const char *const *values,
                           size_t n, char *err, size_t errlen)
{
	chk_t *k = arg;
	if (!k->gen || !plugin_generation_find(k->gen, plugin)) {
		k->field = "plugin";
		snprintf(k->msg, sizeof(k->msg), "no plugin named '%s' is "
		         "loaded", plugin);
		return cd_fail(err, errlen, CD_EV_DEFINITION, "%s", k->msg);
	}
	plugin_kv_t *kv = kv_of(keys, values, n);
	if (!kv)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	int rc = plugin_params_validate(k->gen, plugin, kv, n, k->msg,
	                                sizeof(k->msg));
	free(kv);
	if (rc == CD_OK)
		return CD_OK;
	if (rc != CD_ENOMEM) {
		k->field = "params";
		rc = CD_EV_DEFINITION;
	}
	return cd_fail(err, errlen, rc, "%s", k->msg);
}

int srv_eval_check(const Clusters__V1__Competition *def,
                   const plugin_generation_t *gen, int structural,
                   char *err, size_t errlen)
{
	if (structural) {
		int rc = store_validate_competition(def, err, errlen);
		if (rc != CD_OK)
			return rc;
	}
	chk_t k = {.gen = gen, .field = NULL};
	int rc = engine_def_validate(def, check_criterion, &k, err, errlen);
	if (rc != CD_OK && k.field) {
		/* "rounds[0].criteria[1]: msg" -> "...criteria[1].plugin: msg" */
		const char *colon = strstr(err, ": ");
		int at = colon ? (int)(colon - err) : 0;
		char buf[512];
		snprintf(buf, sizeof(buf), "%.*s.%s: %s", at, err, k.field,
		         k.msg);
		snprintf(err, errlen, "%s", buf);
	}
	return rc;
}

int srv_eval_check_sensitivity(const Clusters__V1__SensitivityOptions *s,
                               const char *field, char *err, size_t errlen)
{
	if (!s)
		return CD_OK;
	if (s->samples < 0 || s->samples > ENGINE_MAX_SAMPLES)
		return cd_fail(err, errlen, CD_EV_DEFINITION, "%s.samples: %d "
		               "is outside 0..%d", field, (int)s->samples,
		               ENGINE_MAX_SAMPLES);
	if (!isfinite(s->weight_jitter_pct) || s->weight_jitter_pct < 0 ||
	    s->weight_jitter_pct > 100)
		return cd_fail(err, errlen, CD_EV_DEFINITION, "%s."
		               "weight_jitter_pct: must be in 0..100", field);
	return CD_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ------------------------------------------------------------- scoring */

typedef struct scorer {
	plugin_generation_t *gen;
	const plugin_cohort_t *pc;
	const char **reasons;
	size_t nreasons;
} scorer_t;

static int run_code(int rc)
{
	/* A stored definition that no longer fits the loaded plugins is a
	 * state problem, not a bad request. */
	if (rc == CD_ENOTFOUND || cd_err_is_invalid(rc))
		return CD_EPRECONDITION;
	return rc == CD_ENOMEM ? rc : CD_EPLUGIN;
}

static int score_fn(void *arg, engine_score_req_t *req, char *err,
                    size_t errlen)
{
	scorer_t *s = arg;
	const Clusters__V1__Criterion *def = req->def;
	if (!s->gen)
		return cd_fail(err, errlen, CD_EPRECONDITION, "no plugins are "
		               "loaded (no plugin directory)");
	if (req->n > s->nreasons) {
		const char **nr = realloc(s->reasons, req->n * sizeof(*nr));
		if (!nr)
			return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
		s->reasons = nr;
		s->nreasons = req->n;
	}
	plugin_kv_t *kv = calloc(def->n_params ? def->n_params : 1,
	                         sizeof(*kv));
	if (!kv)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	for (size_t i = 0; i < def->n_params; i++) {
		kv[i].key = def->params[i]->key;
		kv[i].value = def->params[i]->value;
	}
	plugin_cohort_t *view = NULL;
	const plugin_cohort_t *co = s->pc;
	int rc = CD_OK;
	/* Members are ascending: n == size means every cluster. */
	if (req->n != plugin_cohort_size(s->pc)) {
		rc = plugin_cohort_view(&view, s->pc, req->members, req->n, err,
		                        errlen);
		co = view;
	}
	plugin_instance_t *inst = NULL;
	if (!rc) {
		rc = plugin_instance_open(&inst, s->gen, def->plugin, kv,
		                          def->n_params, err, errlen);
		if (rc)
			rc = run_code(rc);
	}
	if (!rc) {
		rc = plugin_instance_score(inst, co, req->raw, s->reasons, err,
		                           errlen);
		if (rc)
			rc = run_code(rc);
	}
	for (size_t i = 0; !rc && i < req->n; i++)
		if (s->reasons[i])
			rc = engine_notes_set(req->notes, i, s->reasons[i]);
	plugin_instance_close(inst);
	plugin_cohort_destroy(view);
	free(kv);
	return rc;
}

/* ---------------------------------------------------------------- runs */

static Clusters__V1__PluginKind kind_of(int kind)
{
	return kind == CP_QUANTITATIVE ? CLUSTERS__V1__PLUGIN_KIND__PLUGIN_KIND_QUANTITATIVE
	     : kind == CP_QUALITATIVE ? CLUSTERS__V1__PLUGIN_KIND__PLUGIN_KIND_QUALITATIVE
	     : CLUSTERS__V1__PLUGIN_KIND__PLUGIN_KIND_UNSPECIFIED;
}

/* The distinct plugins def uses, sorted by name. */
static int plugins_used(const Clusters__V1__Competition *def,
                        const plugin_generation_t *gen,
                        engine_plugin_use_t **out, size_t *n)
{
	size_t cap = 0, k = 0;
	for (size_t r = 0; r < def->n_rounds; r++)
		cap += def->rounds[r]->n_criteria;
	const char **names = calloc(cap ? cap : 1, sizeof(*names));
	engine_plugin_use_t *u = calloc(cap ? cap : 1, sizeof(*u));
	if (!names || !u) {
		free(names);
		free(u);
		return CD_ENOMEM;
	}
	for (size_t r = 0; r < def->n_rounds; r++)
		for (size_t c = 0; c < def->rounds[r]->n_criteria; c++)
			names[k++] = def->rounds[r]->criteria[c]->plugin;
	qsort(names, k, sizeof(*names), cmp_str);
	*n = 0;
	for (size_t i = 0; i < k; i++) {
		if (i && !strcmp(names[i], names[i - 1]))
			continue;
		const plugin_info_t *in =
			gen ? plugin_generation_find(gen, names[i]) : NULL;
		u[*n].name = names[i];
		u[*n].version = in && in->version ? in->version : "";
		u[*n].kind = kind_of(in ? in->kind : 0);
		(*n)++;
	}
	free(names);
	*out = u;
	return CD_OK;
}

/* Builds the Run, keeping fewer standings (then no per-criterion scores)
 * until it fits SRV_EVAL_MAX_RUN_BYTES. */
static int build_run(const engine_result_t *res, engine_run_opts_t *o,
                     Clusters__V1__Run **out, char *err, size_t errlen)
{
	for (;;) {
		int rc = engine_run_build(res, o, out, err, errlen);
		if (rc)
			return rc;
		size_t len = protobuf_c_message_get_packed_size(&(*out)->base);
		if (len <= SRV_EVAL_MAX_RUN_BYTES)
			return CD_OK;
		engine_run_free(*out);
		*out = NULL;
		if (!o->max_standings || o->max_standings > 100)
			o->max_standings = o->max_standings
				? o->max_standings / 2 : SRV_EVAL_MAX_STANDINGS;
		else if (!o->without_scores)
			o->without_scores = 1;
		else
			return cd_fail(err, errlen, CD_ELIMIT, "the run would "
			               "take %zu bytes, more than %u, even with "
			               "only the selected clusters' standings; "
			               "select fewer clusters (selection.top_n)",
			               len, SRV_EVAL_MAX_RUN_BYTES);
	}
}

int srv_eval_run(const srv_eval_req_t *r, Clusters__V1__Run **out, char *err,
                 size_t errlen)
{
	*out = NULL;
	engine_cohort_t *ec = NULL;
	plugin_cohort_t *pc = NULL;
	engine_result_t *res = NULL;
	engine_plugin_use_t *uses = NULL;
	size_t nuses = 0;
	scorer_t sc = {.gen = r->gen};

	int rc = srv_fill_cohorts(r, &ec, &pc, err, errlen);
	if (!rc) {
		const Clusters__V1__SensitivityOptions *s = r->sensitivity;
		engine_opts_t o = {
			.scorer = score_fn,
			.scorer_arg = &sc,
			.progress = r->progress,
			.progress_arg = r->progress_arg,
			.samples = s && s->samples > 0 ? (uint32_t)s->samples : 0,
			.jitter_pct = s ? s->weight_jitter_pct : 0,
			.seed = s ? s->seed : 0,
			.baseline = r->baseline,
		};
		sc.pc = pc;
		rc = engine_evaluate(r->def, ec, &o, &res, err, errlen);
	}
	/* The plugins' view of the data is not needed for the Run. */
	plugin_cohort_destroy(pc);
	free(sc.reasons);
	if (!rc && plugins_used(r->def, r->gen, &uses, &nuses))
		rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	if (!rc) {
		size_t n = engine_cohort_size(ec);
		engine_run_opts_t ro = {
			.run_id = r->run_id,
			.data_version = store_snap_version(r->snap),
			.create_seconds = r->create_seconds,
			.create_nanos = r->create_nanos,
			.plugins = uses,
			.nplugins = nuses,
			.max_standings = n > SRV_EVAL_MAX_STANDINGS
				? SRV_EVAL_MAX_STANDINGS : 0,
		};
		rc = build_run(res, &ro, out, err, errlen);
	}
	free(uses);
	engine_result_destroy(res);
	engine_cohort_destroy(ec);
	return rc;
}
