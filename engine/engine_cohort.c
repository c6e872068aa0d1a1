/* engine_cohort.c — the engine's columns over a sealed plugin cohort (see
 * engine_cohort.h). */
#include "engine_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"

int engine_grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	return cd_grow(arr, cap, need, elem);
}

static int want_label(engine_cohort_t *c, const char *key)
{
	if (engine_cohort_label_col(c, key))
		return CD_OK;
	engine_label_col_t *l = realloc(c->lcol, (c->nlcol + 1) * sizeof(*l));
	if (!l)
		return CD_ENOMEM;
	c->lcol = l;
	l += c->nlcol;
	memset(l, 0, sizeof(*l));
	if (!(l->key = strdup(key)))
		return CD_ENOMEM;
	c->nlcol++;
	return CD_OK;
}

static int want_indicator(engine_cohort_t *c, const char *name, int32_t year)
{
	if (engine_cohort_ind_col(c, name, year))
		return CD_OK;
	engine_ind_col_t *k = realloc(c->icol, (c->nicol + 1) * sizeof(*k));
	if (!k)
		return CD_ENOMEM;
	c->icol = k;
	k += c->nicol;
	memset(k, 0, sizeof(*k));
	if (!(k->name = strdup(name)))
		return CD_ENOMEM;
	k->year = year;
	c->nicol++;
	return CD_OK;
}

static int want_columns(engine_cohort_t *c, const Clusters__V1__Competition *d)
{
	int rc = CD_OK;
	for (size_t r = 0; d && r < d->n_rounds && !rc; r++) {
		const Clusters__V1__Round *rd = d->rounds[r];
		for (size_t f = 0; rd && f < rd->n_eligibility && !rc; f++) {
			const Clusters__V1__Filter *fl = rd->eligibility[f];
			if (!fl || !fl->key)
				continue;
			if (fl->field == CLUSTERS__V1__FILTER_FIELD__FILTER_FIELD_LABEL)
				rc = want_label(c, fl->key);
			else if (fl->field == CLUSTERS__V1__FILTER_FIELD__FILTER_FIELD_INDICATOR)
				rc = want_indicator(c, fl->key, fl->year);
		}
	}
	return rc;
}

/* The parts of economy sid e ('/'-separated, empty parts skipped) appended
 * to part[], interned in c->parts. */
static int split_economy(engine_cohort_t *c, uint32_t e)
{
	const char *p = engine_cohort_str(c, e), *end = p + strlen(p);
	while (p < end) {
		const char *q = memchr(p, '/', (size_t)(end - p));
		if (!q)
			q = end;
		if (q > p) {
			uint32_t part;
			int rc = engine_dict_intern(&c->parts, p, (size_t)(q - p),
			                            &part);
			if (!rc)
				rc = engine_grow((void **)&c->part, &c->part_cap,
				                 c->npart + 1, sizeof(uint32_t));
			if (rc)
				return rc;
			c->part[c->npart++] = part;
		}
		p = q + 1;
	}
	return c->npart > UINT32_MAX ? CD_ELIMIT : CD_OK;
}

/* The group columns, the cities' offsets and the economies' parts. */
static int derive_groups(engine_cohort_t *c)
{
	size_t n = c->n;
	if (!(c->economy = malloc((n ? n : 1) * sizeof(uint32_t))) ||
	    !(c->region = malloc((n ? n : 1) * sizeof(uint32_t))) ||
	    !(c->industry = malloc((n ? n : 1) * sizeof(uint32_t))) ||
	    !(c->city_off = malloc((n + 1) * sizeof(uint32_t))) ||
	    !(c->part_off = calloc((size_t)c->nstrs + 1, sizeof(uint32_t))))
		return CD_ENOMEM;
	uint8_t *is_economy = calloc(c->nstrs, 1);
	if (!is_economy)
		return CD_ENOMEM;
	c->city_off[0] = 0;
	for (size_t i = 0; i < n; i++) {
		plugin_cohort_sids_t s;
		plugin_cohort_cluster_sids(c->pc, i, &s);
		c->economy[i] = s.economy;
		c->region[i] = s.region;
		c->industry[i] = s.industry;
		is_economy[s.economy] = 1;
		size_t first, count;
		c->city = plugin_cohort_city_sids(c->pc, i, &first, &count);
		c->city_off[i + 1] = (uint32_t)(first + count);
	}
	/* Sid by sid, so part_off is one array over every sid: a sid that is
	 * no economy (and "") has no parts. */
	int rc = CD_OK;
	for (uint32_t e = 0; e < c->nstrs && !rc; e++) {
		if (e != PLUGIN_COHORT_SID_EMPTY && is_economy[e])
			rc = split_economy(c, e);
		c->part_off[e + 1] = (uint32_t)c->npart;
	}
	free(is_economy);
	return rc;
}

static int derive_columns(engine_cohort_t *c)
{
	for (size_t k = 0; k < c->nlcol; k++) {
		engine_label_col_t *l = &c->lcol[k];
		if (!(l->val = malloc((c->n ? c->n : 1) * sizeof(uint32_t))))
			return CD_ENOMEM;
		uint32_t key = plugin_cohort_sid(c->pc, l->key, strlen(l->key));
		for (size_t i = 0; i < c->n; i++)
			l->val[i] = key == PLUGIN_COHORT_NOSID ? ENGINE_SID_NONE
			            : plugin_cohort_label_sid(c->pc, i, key);
	}
	for (size_t k = 0; k < c->nicol; k++) {
		engine_ind_col_t *x = &c->icol[k];
		if (!(x->val = malloc((c->n ? c->n : 1) * sizeof(double))))
			return CD_ENOMEM;
		for (size_t i = 0; i < c->n; i++) {
			double v;
			int have = x->year == 0
			    ? plugin_cohort_indicator_latest(c->pc, i, x->name, &v)
			    : plugin_cohort_indicator(c->pc, i, x->name, x->year,
			                              &v);
			x->val[i] = have ? v : NAN;
		}
	}
	return CD_OK;
}

int engine_cohort_create_from(engine_cohort_t **out,
                              const plugin_cohort_t *pc,
                              const Clusters__V1__Competition *def,
                              char *err, size_t errlen)
{
	*out = NULL;
	size_t nstrs = plugin_cohort_nstrs(pc);
	if (!nstrs)
		return cd_fail(err, errlen, CD_EPRECONDITION, "cohort: the "
		               "plugin cohort must be sealed and whole");
	if (nstrs > UINT32_MAX - 1 ||
	    plugin_cohort_sid(pc, "", 0) != PLUGIN_COHORT_SID_EMPTY)
		return cd_fail(err, errlen, CD_ELIMIT, "cohort: unexpected "
		               "string ids");
	engine_cohort_t *c = calloc(1, sizeof(*c));
	if (!c)
		return cd_fail(err, errlen, CD_ENOMEM, "cohort: out of memory");
	c->pc = pc;
	c->n = plugin_cohort_size(pc);
	c->nstrs = (uint32_t)nstrs;
	c->ids_sorted = 1;
	for (size_t i = 1; i < c->n && c->ids_sorted; i++)
		if (strcmp(plugin_cohort_id(pc, i - 1), plugin_cohort_id(pc, i))
		    >= 0)
			c->ids_sorted = 0;
	int rc = engine_dict_init(&c->parts);
	if (!rc)
		rc = want_columns(c, def);
	if (!rc)
		rc = derive_groups(c);
	if (!rc)
		rc = derive_columns(c);
	if (rc) {
		engine_cohort_destroy(c);
		return cd_fail(err, errlen, rc, "cohort: %s", rc == CD_ELIMIT
		               ? "too many economy parts" : "out of memory");
	}
	*out = c;
	return CD_OK;
}

void engine_cohort_destroy(engine_cohort_t *c)
{
	if (!c)
		return;
	free(c->economy);
	free(c->region);
	free(c->industry);
	free(c->city_off);
	engine_dict_fini(&c->parts);
	free(c->part_off);
	free(c->part);
	for (size_t i = 0; i < c->nlcol; i++) {
		free(c->lcol[i].key);
		free(c->lcol[i].val);
	}
	free(c->lcol);
	for (size_t i = 0; i < c->nicol; i++) {
		free(c->icol[i].name);
		free(c->icol[i].val);
	}
	free(c->icol);
	free(c);
}

const plugin_cohort_t *engine_cohort_plugin(const engine_cohort_t *c)
{
	return c->pc;
}

const engine_label_col_t *engine_cohort_label_col(const engine_cohort_t *c,
                                                  const char *key)
{
	for (size_t i = 0; i < c->nlcol; i++)
		if (strcmp(c->lcol[i].key, key) == 0)
			return &c->lcol[i];
	return NULL;
}

const engine_ind_col_t *engine_cohort_ind_col(const engine_cohort_t *c,
                                              const char *name, int32_t year)
{
	for (size_t i = 0; i < c->nicol; i++)
		if (c->icol[i].year == year && strcmp(c->icol[i].name, name) == 0)
			return &c->icol[i];
	return NULL;
}

size_t engine_cohort_size(const engine_cohort_t *c)
{
	return c->n;
}

const char *engine_cohort_id(const engine_cohort_t *c, size_t i)
{
	return plugin_cohort_id(c->pc, i);
}

const char *engine_cohort_name(const engine_cohort_t *c, size_t i)
{
	return plugin_cohort_name(c->pc, i);
}

const char *engine_cohort_economy(const engine_cohort_t *c, size_t i)
{
	return engine_cohort_str(c, c->economy[i]);
}

const char *engine_cohort_region(const engine_cohort_t *c, size_t i)
{
	return engine_cohort_str(c, c->region[i]);
}

const char *engine_cohort_industry(const engine_cohort_t *c, size_t i)
{
	return engine_cohort_str(c, c->industry[i]);
}

size_t engine_cohort_city_count(const engine_cohort_t *c, size_t i)
{
	return c->city_off[i + 1] - c->city_off[i];
}

const char *engine_cohort_city(const engine_cohort_t *c, size_t i, size_t j)
{
	return engine_cohort_str(c, c->city[c->city_off[i] + j]);
}

size_t engine_cohort_bytes(const engine_cohort_t *c)
{
	size_t b = sizeof(*c) + c->n * 3 * sizeof(uint32_t) +
	           (c->n + 1) * sizeof(uint32_t) +
	           ((size_t)c->nstrs + 1 + c->part_cap) * sizeof(uint32_t) +
	           engine_dict_bytes(&c->parts);
	b += c->nlcol * c->n * sizeof(uint32_t);
	b += c->nicol * c->n * sizeof(double);
	return b;
}
