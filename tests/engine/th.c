#include "th.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cd_rec.h"
#include "clusters/v1/clusters.pb-c.h"

static char *sdup(const char *s)
{
	char *d = strdup(s ? s : "");
	assert_non_null(d);
	return d;
}

static void *grow(void *p, size_t n, size_t elem)
{
	p = realloc(p, n * elem);
	assert_non_null(p);
	return p;
}

uint8_t *th_pack(const th_cluster_t *t, size_t *len)
{
	Clusters__V1__Cluster c = CLUSTERS__V1__CLUSTER__INIT;
	c.id = (char *)t->id;
	c.name = (char *)(t->id ? t->id : "");
	c.economy = (char *)(t->economy ? t->economy : "");
	c.region = (char *)(t->region ? t->region : "");
	c.industry = (char *)(t->industry ? t->industry : "");
	char *cities = sdup(t->cities), *labels = sdup(t->labels),
	     *inds = sdup(t->indicators);
	char *cv[16];
	Clusters__V1__Cluster__LabelsEntry le[16], *lp[16];
	Clusters__V1__Indicator iv[16], *ip[16];
	char *save;
	for (char *s = strtok_r(cities, ",", &save); s;
	     s = strtok_r(NULL, ",", &save))
		cv[c.n_cities++] = s;
	c.cities = cv;
	for (char *s = strtok_r(labels, ";", &save); s;
	     s = strtok_r(NULL, ";", &save)) {
		Clusters__V1__Cluster__LabelsEntry *e = &le[c.n_labels];
		clusters__v1__cluster__labels_entry__init(e);
		char *eq = strchr(s, '=');
		*eq = '\0';
		e->key = s;
		e->value = eq + 1;
		lp[c.n_labels++] = e;
	}
	c.labels = lp;
	for (char *s = strtok_r(inds, ";", &save); s;
	     s = strtok_r(NULL, ";", &save)) {
		Clusters__V1__Indicator *e = &iv[c.n_indicators];
		clusters__v1__indicator__init(e);
		char *colon = strchr(s, ':'), *eq = strchr(s, '=');
		*colon = *eq = '\0';
		e->name = s;
		e->year = atoi(colon + 1);
		e->value = strtod(eq + 1, NULL);
		ip[c.n_indicators++] = e;
	}
	c.indicators = ip;
	*len = clusters__v1__cluster__get_packed_size(&c);
	uint8_t *buf = malloc(*len ? *len : 1);
	assert_non_null(buf);
	clusters__v1__cluster__pack(&c, buf);
	free(cities);
	free(labels);
	free(inds);
	return buf;
}

static plugin_cohort_str_t str(cd_span_t s)
{
	return (plugin_cohort_str_t){ s.s, s.len };
}

int th_add_packed(plugin_cohort_t *pc, const uint8_t *buf, size_t len,
                  char *err, size_t errlen)
{
	cd_rec_t r = { 0 };
	size_t n = plugin_cohort_size(pc);
	int rc = cd_rec_parse(&r, buf, len);
	if (rc == CD_ECORRUPT)
		rc = cd_fail(err, errlen, rc, "cluster #%zu: not a valid "
		             "clusters.v1.Cluster", n);
	else if (!rc && r.id.len == 0)
		rc = cd_fail(err, errlen, CD_ECORRUPT, "cluster #%zu: record "
		             "without an id", n);
	plugin_cohort_fields_t f = { str(r.id), str(r.name), str(r.economy),
	                             str(r.region), str(r.industry) };
	if (!rc)
		rc = plugin_cohort_add_cluster_n(pc, &f, err, errlen);
	for (size_t i = 0; !rc && i < r.ncities; i++)
		rc = plugin_cohort_add_city_n(pc, str(r.cities[i]), err, errlen);
	for (size_t i = 0; !rc && i < r.nindicators; i++)
		rc = plugin_cohort_add_indicator_n(pc, str(r.indicators[i].name),
		                                   r.indicators[i].year,
		                                   r.indicators[i].value, err,
		                                   errlen);
	for (size_t i = 0; !rc && i < r.nassessments; i++)
		rc = plugin_cohort_add_assessment_n(
		    pc, str(r.assessments[i].judge),
		    str(r.assessments[i].criterion), r.assessments[i].score, 0,
		    r.assessments[i].recused, err, errlen);
	for (size_t i = 0; !rc && i < r.nlabels; i++)
		rc = plugin_cohort_add_label_n(pc, str(r.labels[i].key),
		                               str(r.labels[i].value), err,
		                               errlen);
	cd_rec_free(&r);
	return rc;
}

engine_cohort_t *th_cohort_seal(plugin_cohort_t *pc,
                                const Clusters__V1__Competition *def)
{
	engine_cohort_t *c;
	char err[256];
	if (plugin_cohort_seal(pc, err, sizeof(err)) ||
	    engine_cohort_create_from(&c, pc, def, err, sizeof(err)))
		fail_msg("cohort: %s", err);
	return c;
}

engine_cohort_t *th_cohort(const Clusters__V1__Competition *def,
                           const th_cluster_t *v, size_t n)
{
	plugin_cohort_t *pc;
	char err[256];
	assert_int_equal(plugin_cohort_create(&pc, n, 0, err, sizeof(err)),
	                 CD_OK);
	for (size_t i = 0; i < n; i++) {
		size_t len;
		uint8_t *b = th_pack(&v[i], &len);
		int rc = th_add_packed(pc, b, len, err, sizeof(err));
		free(b);
		if (rc)
			fail_msg("add %s: %s", v[i].id, err);
	}
	return th_cohort_seal(pc, def);
}

void th_cohort_free(engine_cohort_t *c)
{
	if (!c)
		return;
	/* The plugin cohort is this helper's: th_cohort_seal made it the
	 * engine cohort's for the test's sake. */
	plugin_cohort_t *pc = (plugin_cohort_t *)engine_cohort_plugin(c);
	engine_cohort_destroy(c);
	plugin_cohort_destroy(pc);
}

Clusters__V1__Competition *th_comp(const char *id)
{
	Clusters__V1__Competition *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	clusters__v1__competition__init(c);
	c->id = sdup(id);
	return c;
}

Clusters__V1__Round *th_round(Clusters__V1__Competition *c, const char *name)
{
	Clusters__V1__Round *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	clusters__v1__round__init(r);
	r->name = sdup(name);
	c->rounds = grow(c->rounds, c->n_rounds + 1, sizeof(*c->rounds));
	c->rounds[c->n_rounds++] = r;
	return r;
}

Clusters__V1__Criterion *th_crit(Clusters__V1__Round *r, const char *id,
                                 double weight, Clusters__V1__Normalization n)
{
	Clusters__V1__Criterion *k = calloc(1, sizeof(*k));
	assert_non_null(k);
	clusters__v1__criterion__init(k);
	k->id = sdup(id);
	k->plugin = sdup("fixed");
	k->weight = weight;
	k->normalization = n;
	r->criteria = grow(r->criteria, r->n_criteria + 1, sizeof(*r->criteria));
	r->criteria[r->n_criteria++] = k;
	return k;
}

Clusters__V1__Pillar *th_pillar(Clusters__V1__Round *r, const char *id,
                                double weight, const char *parent,
                                Clusters__V1__Aggregation agg)
{
	Clusters__V1__Pillar *p = calloc(1, sizeof(*p));
	assert_non_null(p);
	clusters__v1__pillar__init(p);
	p->id = sdup(id);
	p->name = sdup(id);
	p->weight = weight;
	if (parent)
		p->parent = sdup(parent);
	p->aggregation = agg;
	r->pillars = grow(r->pillars, r->n_pillars + 1, sizeof(*r->pillars));
	r->pillars[r->n_pillars++] = p;
	return p;
}

void th_in(Clusters__V1__Criterion *c, const char *pillar)
{
	if (c->pillar != protobuf_c_empty_string)
		free(c->pillar);
	c->pillar = sdup(pillar);
}

void th_param(Clusters__V1__Criterion *c, const char *k, const char *v)
{
	Clusters__V1__Criterion__ParamsEntry *e = calloc(1, sizeof(*e));
	assert_non_null(e);
	clusters__v1__criterion__params_entry__init(e);
	e->key = sdup(k);
	e->value = sdup(v);
	c->params = grow(c->params, c->n_params + 1, sizeof(*c->params));
	c->params[c->n_params++] = e;
}

Clusters__V1__Filter *th_filter(Clusters__V1__Round *r,
                                Clusters__V1__FilterField field,
                                const char *key, int32_t year,
                                Clusters__V1__Comparison op,
                                const char *any_of, double threshold)
{
	Clusters__V1__Filter *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	clusters__v1__filter__init(f);
	f->field = field;
	f->key = sdup(key);
	f->year = year;
	f->op = op;
	f->threshold = threshold;
	if (any_of) {
		char *s = sdup(any_of), *save;
		for (char *t = strtok_r(s, ",", &save); t;
		     t = strtok_r(NULL, ",", &save)) {
			f->any_of = grow(f->any_of, f->n_any_of + 1, sizeof(char *));
			f->any_of[f->n_any_of++] = sdup(t);
		}
		free(s);
	}
	r->eligibility = grow(r->eligibility, r->n_eligibility + 1,
	                      sizeof(*r->eligibility));
	r->eligibility[r->n_eligibility++] = f;
	return f;
}

Clusters__V1__Selection *th_sel(Clusters__V1__Round *r)
{
	if (!r->selection) {
		r->selection = calloc(1, sizeof(*r->selection));
		assert_non_null(r->selection);
		clusters__v1__selection__init(r->selection);
	}
	return r->selection;
}

void th_min_score(Clusters__V1__Selection *s, double v)
{
	s->min_score = calloc(1, sizeof(*s->min_score));
	assert_non_null(s->min_score);
	google__protobuf__double_value__init(s->min_score);
	s->min_score->value = v;
}

void th_tie(Clusters__V1__Round *r, const char *crit)
{
	r->tie_break = grow(r->tie_break, r->n_tie_break + 1, sizeof(char *));
	r->tie_break[r->n_tie_break++] = sdup(crit);
}

void th_comp_free(Clusters__V1__Competition *c)
{
	if (c)
		protobuf_c_message_free_unpacked(&c->base, NULL);
}

/* Finds "id=..." in spec; returns the value text or NULL. */
static const char *lookup(const char *spec, const char *id, char *out,
                          size_t len)
{
	size_t idl = strlen(id);
	const char *p = spec;
	while (p && *p) {
		const char *end = strchr(p, ';');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n > idl && strncmp(p, id, idl) == 0 && p[idl] == '=') {
			snprintf(out, len, "%.*s", (int)(n - idl - 1), p + idl + 1);
			return out;
		}
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

int th_scorer(void *arg, engine_score_req_t *req, char *err, size_t errlen)
{
	th_scores_t *s = arg;
	s->calls++;
	s->last_n = req->n;
	if (s->fail && strcmp(s->fail, req->def->id) == 0)
		return cd_fail(err, errlen, CD_EPLUGIN, "division by zero");
	const char *spec = NULL;
	for (size_t k = 0; k < 16 && s->crit[k]; k++)
		if (strcmp(s->crit[k], req->def->id) == 0)
			spec = s->spec[k];
	for (size_t i = 0; i < req->n; i++) {
		char v[128];
		const char *id = engine_cohort_id(req->cohort, req->members[i]);
		if (!lookup(spec, id, v, sizeof(v)))
			continue;
		char *bar = strchr(v, '|');
		if (bar) {
			*bar = '\0';
			assert_int_equal(engine_notes_set(req->notes, i, bar + 1),
			                 CD_OK);
		}
		req->raw[i] = strcmp(v, "-") == 0 ? NAN : strtod(v, NULL);
	}
	return CD_OK;
}

engine_result_t *th_eval(const Clusters__V1__Competition *def,
                         const engine_cohort_t *c, th_scores_t *s,
                         int expect_rc)
{
	engine_opts_t o = { .scorer = th_scorer, .scorer_arg = s };
	engine_result_t *res = NULL;
	char err[512] = "";
	int rc = engine_evaluate(def, c, &o, &res, err, sizeof(err));
	if (rc != expect_rc)
		fail_msg("evaluate: %s (%s), expected %s", cd_err_name(rc), err,
		         cd_err_name(expect_rc));
	return res;
}

static const engine_standing_t *find(const engine_result_t *r,
                                     const char *id)
{
	const engine_standing_t *st = engine_result_find(r, id);
	if (!st)
		fail_msg("no standing for %s", id);
	return st;
}

uint32_t th_rank(const engine_result_t *r, const char *id)
{
	return find(r, id)->rank;
}

double th_score(const engine_result_t *r, const char *id)
{
	const engine_standing_t *st = find(r, id);
	return r->rounds[st->round].score[st->pos];
}

int th_selected(const engine_result_t *r, const char *id)
{
	return find(r, id)->selected;
}

const char *th_reason(const engine_result_t *r, const char *id)
{
	static char buf[512];
	const engine_standing_t *st = find(r, id);
	return engine_result_reason(r, st->round, st->pos, buf, sizeof(buf));
}

double th_norm(const engine_result_t *r, const char *id, size_t k)
{
	const engine_standing_t *st = find(r, id);
	const engine_round_res_t *rr = &r->rounds[st->round];
	return rr->norm[k * rr->n + st->pos];
}

const char *th_order(const engine_result_t *r)
{
	static char buf[1024];
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < r->n && used < sizeof(buf); i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s",
		                         i ? " " : "",
		                         engine_cohort_id(r->cohort,
		                                          r->standings[i].cluster));
	return buf;
}

void th_near(double a, double b, double eps, const char *file, int line)
{
	if (fabs(a - b) <= eps || (isnan(a) && isnan(b)))
		return;
	fail_msg("%s:%d: %.17g != %.17g (eps %g)", file, line, a, b, eps);
}
