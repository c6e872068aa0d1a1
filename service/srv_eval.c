#include "srv_eval.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "clusterplugin.h"
#include "plugin_cohort.h"
#include "plugin_instance.h"
#include "srv_fill.h"
#include "srv_score.h"

/* -------------------------------------------------------------- checks */

plugin_kv_t *srv_eval_params(const Clusters__V1__Criterion *c)
{
	plugin_kv_t *kv = calloc(c->n_params ? c->n_params : 1, sizeof(*kv));
	for (size_t i = 0; kv && i < c->n_params; i++) {
		kv[i].key = c->params[i]->key;
		kv[i].value = c->params[i]->value;
	}
	return kv;
}

static int check_criterion(void *arg, const Clusters__V1__Criterion *c,
                           const char **field, char *err, size_t errlen)
{
	const plugin_generation_t *gen = arg;
	if (!gen || !plugin_generation_find(gen, c->plugin)) {
		*field = "plugin";
		return cd_fail(err, errlen, CD_EV_DEFINITION, "no plugin named "
		               "'%s' is loaded", c->plugin);
	}
	plugin_kv_t *kv = srv_eval_params(c);
	if (!kv)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	int rc = plugin_params_validate(gen, c->plugin, kv, c->n_params, err,
	                                errlen);
	free(kv);
	if (rc == CD_OK || rc == CD_ENOMEM)
		return rc;
	*field = "params";
	return CD_EV_DEFINITION;
}

/* Milliseconds of a Duration, or -1 when it is not a valid one. */
static long long duration_ms(const Google__Protobuf__Duration *d)
{
	if (d->seconds < 0 || d->nanos < 0 || d->nanos > 999999999 ||
	    d->seconds > 86400LL * 365)
		return -1;
	return (long long)d->seconds * 1000 + d->nanos / 1000000;
}

unsigned srv_eval_timeout_ms(const Clusters__V1__Competition *def,
                             unsigned default_ms, unsigned max_ms)
{
	long long ms = def && def->plugin_timeout
	               ? duration_ms(def->plugin_timeout) : -1;
	if (ms <= 0)
		ms = default_ms;
	return max_ms && ms > max_ms ? max_ms : (unsigned)ms;
}

int srv_eval_check(const Clusters__V1__Competition *def,
                   const plugin_generation_t *gen, int structural,
                   unsigned timeout_max_ms, char *err, size_t errlen)
{
	if (def->plugin_timeout) {
		long long ms = duration_ms(def->plugin_timeout);
		if (ms <= 0)
			return cd_fail(err, errlen, CD_EV_DEFINITION,
			               "plugin_timeout: must be a positive duration "
			               "of at least 1 ms");
		if (timeout_max_ms && ms > timeout_max_ms)
			return cd_fail(err, errlen, CD_EV_DEFINITION,
			               "plugin_timeout: %lld ms is more than this "
			               "server allows (%u ms, --plugin-timeout-max)",
			               ms, timeout_max_ms);
	}
	if (structural) {
		int rc = store_validate_competition(def, err, errlen);
		if (rc != CD_OK)
			return rc;
	}
	return engine_def_validate(def, check_criterion, (void *)gen, err,
	                           errlen);
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

/* ------------------------------------------------- names in the data */

/* Longest name the suggestion compares (longer ones get none). */
#define NAME_CMP_MAX 128

/* Edit distance with adjacent transpositions (optimal string alignment):
 * "patentz" -> "patents" is 1, "pateng" -> "patent" 1, "ptaents" 1. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > NAME_CMP_MAX || lb > NAME_CMP_MAX)
		return SIZE_MAX;
	size_t d[3][NAME_CMP_MAX + 1];   /* rows i - 2, i - 1, i */
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t *cur = d[i % 3], *prev = d[(i + 2) % 3],
		       *pp = d[(i + 1) % 3];
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t v = prev[j - 1] + cost;
			if (prev[j] + 1 < v)
				v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			cur[j] = v;
		}
	}
	return la ? d[la % 3][lb] : lb;
}

/* The names of one kind the cohort has, sorted; loaded when first asked. */
typedef struct names {
	const char **v;
	size_t n;
	int loaded;
} names_t;

static const char *const kind_text[] = {
	[CP_NAMES_INDICATOR] = "an indicator",
	[CP_NAMES_LABEL] = "a label",
	[CP_NAMES_CRITERION] = "an assessment criterion",
};

/* The closest name within a few edits (1 + a quarter of the length, at
 * most 3), the first in sorted order on a tie; NULL when none is. */
static const char *closest(const names_t *nm, const char *s)
{
	size_t lim = 1 + strlen(s) / 4, best = SIZE_MAX;
	if (lim > 3)
		lim = 3;
	const char *hit = NULL;
	for (size_t i = 0; i < nm->n; i++) {
		size_t d = edit_distance(s, nm->v[i]);
		if (d <= lim && d < best) {
			best = d;
			hit = nm->v[i];
		}
	}
	return hit;
}

typedef struct name_chk {
	const plugin_cohort_t *pc;
	names_t kinds[CP_NAMES_CRITERION + 1];
	size_t r, k;
	const Clusters__V1__Criterion *cr;
	const char *param;
} name_chk_t;

static int check_one(name_chk_t *c, int kind, const char *name,
                     const char *list, size_t item, char *err,
                     size_t errlen)
{
	names_t *nm = &c->kinds[kind];
	if (!*name)
		return CD_OK;   /* the plugin's own check says what is wrong */
	if (!nm->loaded) {
		int rc = plugin_cohort_names(c->pc, kind, &nm->v, &nm->n, err,
		                             errlen);
		if (rc)
			return rc;
		qsort(nm->v, nm->n, sizeof(*nm->v), cmp_str);
		nm->loaded = 1;
	}
	if (bsearch(&name, nm->v, nm->n, sizeof(*nm->v), cmp_str))
		return CD_OK;
	char where[128] = "", hint[160] = "";
	if (list)
		snprintf(where, sizeof(where), " (item %zu of \"%.80s\")",
		         item + 1, list);
	const char *near = closest(nm, name);
	if (near)
		snprintf(hint, sizeof(hint), "; did you mean \"%.120s\"?", near);
	return cd_fail(err, errlen, CD_EPRECONDITION, "rounds[%zu].criteria"
	               "[%zu] \"%s\" (plugin \"%s\"): param '%s': no cluster "
	               "of the cohort has %s \"%.120s\"%s%s", c->r, c->k,
	               c->cr->id, c->cr->plugin, c->param, kind_text[kind],
	               name, where, hint);
}

/* Each item of a list value, blanks trimmed as plugin params do. */
static int check_list(name_chk_t *c, int kind, const char *value, char *err,
                      size_t errlen)
{
	char *copy = strdup(value);
	if (!copy)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	int rc = CD_OK;
	char *p = copy;
	for (size_t idx = 0; !rc; idx++) {
		char *e = strchr(p, ',');
		if (e)
			*e = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		size_t len = strlen(p);
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			p[--len] = '\0';
		rc = check_one(c, kind, p, value, idx, err, errlen);
		if (!e)
			break;
		p = e + 1;
	}
	free(copy);
	return rc;
}

/* Every criterion param that names an indicator, label or assessment
 * criterion (its spec's `names`) must name one that some cluster of the
 * cohort has: a typo would otherwise give nobody a score and the run
 * would "succeed" selecting nobody. Defaults are not checked. */
static int check_names(const Clusters__V1__Competition *def,
                       const plugin_generation_t *gen,
                       const plugin_cohort_t *pc, char *err, size_t errlen)
{
	name_chk_t c = {.pc = pc};
	int rc = CD_OK;
	for (size_t r = 0; gen && r < def->n_rounds && !rc; r++) {
		const Clusters__V1__Round *rd = def->rounds[r];
		for (size_t k = 0; k < rd->n_criteria && !rc; k++) {
			const Clusters__V1__Criterion *cr = rd->criteria[k];
			const plugin_info_t *in = plugin_generation_find(gen,
			                                                 cr->plugin);
			for (size_t i = 0; in && i < cr->n_params && !rc; i++) {
				const plugin_param_info_t *sp = NULL;
				for (size_t j = 0; j < in->nparams && !sp; j++)
					if (!strcmp(in->params[j].name,
					            cr->params[i]->key))
						sp = &in->params[j];
				if (!sp || !sp->names)
					continue;
				c.r = r;
				c.k = k;
				c.cr = cr;
				c.param = sp->name;
				rc = sp->type == CP_PARAM_LIST
				     ? check_list(&c, sp->names, cr->params[i]->value,
				                  err, errlen)
				     : check_one(&c, sp->names, cr->params[i]->value,
				                 NULL, 0, err, errlen);
			}
		}
	}
	for (size_t i = 0; i <= CP_NAMES_CRITERION; i++)
		free(c.kinds[i].v);
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
 * until it fits SRV_EVAL_MAX_RUN_BYTES. A build again copies the
 * rounds' coherence from the one before rather than computing it. */
static int build_run(const engine_result_t *res, engine_run_opts_t *o,
                     Clusters__V1__Run **out, char *err, size_t errlen)
{
	Clusters__V1__Run *prev = NULL;
	for (;;) {
		o->coherence_from = prev;
		int rc = engine_run_build(res, o, out, err, errlen);
		o->coherence_from = NULL;
		engine_run_free(prev);
		prev = NULL;
		if (rc)
			return rc;
		size_t len = protobuf_c_message_get_packed_size(&(*out)->base);
		if (len <= SRV_EVAL_MAX_RUN_BYTES)
			return CD_OK;
		prev = *out;
		*out = NULL;
		if (!o->max_standings || o->max_standings > 100)
			o->max_standings = o->max_standings
				? o->max_standings / 2 : SRV_EVAL_MAX_STANDINGS;
		else if (!o->without_scores)
			o->without_scores = 1;
		else {
			engine_run_free(prev);
			return cd_fail(err, errlen, CD_ELIMIT, "the run would "
			               "take %zu bytes, more than %u, even with "
			               "only the selected clusters' standings; "
			               "select fewer clusters (selection.top_n)",
			               len, SRV_EVAL_MAX_RUN_BYTES);
		}
	}
}

struct srv_eval_kept {
	engine_result_t *res;
	engine_cohort_t *ec;
	plugin_cohort_t *pc;
	engine_run_opts_t ro;          /* without plugins: packing ignores them */
	store_standings_src_t src;
	size_t next;                   /* the next standing to pack */
	size_t from, to;               /* the standings the source gives */
	uint8_t *buf;                  /* the chunk handed out last */
	size_t len, cap;
};

static int kept_next(void *arg, const uint8_t **data, size_t *len,
                     size_t *count, char *err, size_t errlen)
{
	srv_eval_kept_t *k = arg;
	size_t n = k->to, from = k->next;
	size_t to = n - from > SRV_EVAL_CHUNK ? from + SRV_EVAL_CHUNK : n;
	*data = NULL;
	*len = *count = 0;
	if (from >= n)
		return CD_OK;
	k->len = 0;
	int rc = engine_standings_pack(k->res, &k->ro, from, to, &k->buf,
	                               &k->len, &k->cap, err, errlen);
	if (rc)
		return rc;
	k->next = to;
	*data = k->buf;
	*len = k->len;
	*count = to - from;
	return CD_OK;
}

static int kept_rewind(void *arg)
{
	srv_eval_kept_t *k = arg;
	k->next = k->from;
	return CD_OK;
}

size_t srv_eval_kept_count(const srv_eval_kept_t *k)
{
	return k->res->n;
}

const store_standings_src_t *srv_eval_kept_batch(srv_eval_kept_t *k,
                                                 size_t first, size_t n)
{
	size_t all = k->res->n;
	size_t from = first <= all / SRV_EVAL_CHUNK ? first * SRV_EVAL_CHUNK
	                                            : all;
	if (from > all)
		from = all;
	size_t left = (all - from + SRV_EVAL_CHUNK - 1) / SRV_EVAL_CHUNK;
	size_t to = n >= left ? all : from + n * SRV_EVAL_CHUNK;
	k->from = k->next = from;
	k->to = to;
	k->src.total = to - from;
	return &k->src;
}

const store_standings_src_t *srv_eval_kept_standings(srv_eval_kept_t *k)
{
	k->from = k->next = 0;
	k->to = k->res->n;
	k->src.total = k->res->n;
	return &k->src;
}

void srv_eval_kept_destroy(srv_eval_kept_t *k)
{
	if (!k)
		return;
	engine_result_destroy(k->res);
	/* The engine cohort reads the plugin cohort's clusters: it goes
	 * first. */
	engine_cohort_destroy(k->ec);
	plugin_cohort_destroy(k->pc);
	free(k->buf);
	free(k);
}

int srv_eval_run(const srv_eval_req_t *r, Clusters__V1__Run **out, char *err,
                 size_t errlen)
{
	return srv_eval_run_keep(r, out, NULL, err, errlen);
}

int srv_eval_run_keep(const srv_eval_req_t *r, Clusters__V1__Run **out,
                      srv_eval_kept_t **kept, char *err, size_t errlen)
{
	*out = NULL;
	if (kept)
		*kept = NULL;
	engine_cohort_t *ec = NULL;
	plugin_cohort_t *pc = NULL;
	engine_result_t *res = NULL;
	engine_plugin_use_t *uses = NULL;
	size_t nuses = 0;
	srv_scorer_t sc = {.def = r->def, .gen = r->gen,
	                   .timeout_ms = r->plugin_timeout_ms,
	                   .cancel_fd = r->cancel_fd > 0 ? r->cancel_fd : -1};

	int rc = srv_fill_cohorts(r, &ec, &pc, err, errlen);
	if (!rc) {
		const Clusters__V1__SensitivityOptions *s = r->sensitivity;
		engine_opts_t o = {
			.scorer = srv_score_fn,
			.scorer_arg = &sc,
			.progress = r->progress,
			.progress_arg = r->progress_arg,
			.samples = s && s->samples > 0 ? (uint32_t)s->samples : 0,
			.jitter_pct = s ? s->weight_jitter_pct : 0,
			.seed = s ? s->seed : 0,
			.baseline = r->baseline,
		};
		sc.pc = pc;
		rc = check_names(r->def, r->gen, pc, err, errlen);
		if (!rc)
			rc = engine_evaluate(r->def, ec, &o, &res, err, errlen);
	}
	srv_score_fini(&sc);
	if (!rc && plugins_used(r->def, r->gen, &uses, &nuses))
		rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	engine_run_opts_t ro;
	memset(&ro, 0, sizeof(ro));
	if (!rc) {
		size_t n = engine_cohort_size(ec);
		ro.run_id = r->run_id;
		ro.data_version = store_snap_version(r->snap);
		ro.create_seconds = r->create_seconds;
		ro.create_nanos = r->create_nanos;
		ro.plugins = uses;
		ro.nplugins = nuses;
		ro.max_standings = n > SRV_EVAL_MAX_STANDINGS
			? SRV_EVAL_MAX_STANDINGS : 0;
		engine_run_opts_t bo = ro;
		rc = build_run(res, &bo, out, err, errlen);
	}
	free(uses);
	srv_eval_kept_t *k = NULL;
	if (!rc && kept && !(k = calloc(1, sizeof(*k))))
		rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	if (rc || !k) {
		if (rc) {
			engine_run_free(*out);
			*out = NULL;
		}
		engine_result_destroy(res);
		engine_cohort_destroy(ec);
		plugin_cohort_destroy(pc);
		return rc;
	}
	k->res = res;
	k->ec = ec;
	k->pc = pc;
	k->ro = ro;
	k->ro.plugins = NULL;
	k->ro.nplugins = 0;
	k->ro.max_standings = 0;
	k->src.total = res->n;
	k->to = res->n;
	k->src.next = kept_next;
	k->src.rewind = kept_rewind;
	k->src.arg = k;
	*kept = k;
	return CD_OK;
}
