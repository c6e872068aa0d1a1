#include "engine_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"

int engine_grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return CD_OK;
	size_t n = *cap ? *cap : 16;
	while (n < need)
		n *= 2;
	void *p = realloc(*arr, n * elem);
	if (!p)
		return CD_ENOMEM;
	*arr = p;
	*cap = n;
	return CD_OK;
}

int engine_cohort_reserve(engine_cohort_t *c, size_t need)
{
	if (need <= c->cap)
		return CD_OK;
	size_t cap = c->cap ? c->cap : 16;
	while (cap < need)
		cap *= 2;
	uint32_t **cols[] = { &c->id_off, &c->name_off, &c->economy,
	                      &c->region, &c->industry };
	for (size_t i = 0; i < 5; i++) {
		uint32_t *p = realloc(*cols[i], cap * sizeof(uint32_t));
		if (!p)
			return CD_ENOMEM;
		*cols[i] = p;
	}
	uint32_t *co = realloc(c->city_off, (cap + 1) * sizeof(uint32_t));
	if (!co)
		return CD_ENOMEM;
	c->city_off = co;
	for (size_t i = 0; i < c->nlcol; i++) {
		uint32_t *p = realloc(c->lcol[i].val, cap * sizeof(uint32_t));
		if (!p)
			return CD_ENOMEM;
		c->lcol[i].val = p;
	}
	for (size_t i = 0; i < c->nicol; i++) {
		double *p = realloc(c->icol[i].val, cap * sizeof(double));
		if (!p)
			return CD_ENOMEM;
		c->icol[i].val = p;
	}
	c->cap = cap;
	return CD_OK;
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

int engine_cohort_create(engine_cohort_t **out,
                         const Clusters__V1__Competition *def,
                         size_t size_hint, char *err, size_t errlen)
{
	*out = NULL;
	engine_cohort_t *c = calloc(1, sizeof(*c));
	if (!c)
		return cd_fail(err, errlen, CD_ENOMEM, "cohort: out of memory");
	int rc = CD_OK;
	engine_dict_t *dicts[] = { &c->economies, &c->parts, &c->regions,
	                           &c->cities, &c->industries,
	                           &c->label_values };
	for (size_t i = 0; i < sizeof(dicts) / sizeof(dicts[0]) && !rc; i++)
		rc = engine_dict_init(dicts[i]);
	/* Economy sid 0 is "": no parts. */
	if (!rc)
		rc = engine_grow((void **)&c->part_off, &c->part_off_cap, 2,
		                 sizeof(uint32_t));
	if (!rc) {
		c->part_off[0] = c->part_off[1] = 0;
		rc = want_columns(c, def);
	}
	if (!rc && c->nicol &&
	    !(c->icol_year = calloc(c->nicol, sizeof(*c->icol_year))))
		rc = CD_ENOMEM;
	c->ids_sorted = 1;
	if (!rc)
		rc = engine_cohort_reserve(c, size_hint ? size_hint : 16);
	/* ~48 bytes of id and name per cluster. */
	if (!rc && size_hint)
		rc = engine_grow((void **)&c->text, &c->text_cap,
		                 size_hint * 48, 1);
	if (!rc)
		c->city_off[0] = 0;
	if (rc) {
		engine_cohort_destroy(c);
		return cd_fail(err, errlen, rc, "cohort: out of memory");
	}
	*out = c;
	return CD_OK;
}

void engine_cohort_destroy(engine_cohort_t *c)
{
	if (!c)
		return;
	free(c->text);
	free(c->id_off);
	free(c->name_off);
	free(c->economy);
	free(c->region);
	free(c->industry);
	free(c->city_off);
	free(c->city);
	engine_dict_fini(&c->economies);
	engine_dict_fini(&c->parts);
	engine_dict_fini(&c->regions);
	engine_dict_fini(&c->cities);
	engine_dict_fini(&c->industries);
	engine_dict_fini(&c->label_values);
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
	free(c->icol_year);
	cd_rec_free(&c->rec);
	free(c);
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
	return c->text + c->id_off[i];
}

const char *engine_cohort_name(const engine_cohort_t *c, size_t i)
{
	return c->text + c->name_off[i];
}

const char *engine_cohort_economy(const engine_cohort_t *c, size_t i)
{
	return engine_dict_str(&c->economies, c->economy[i]);
}

const char *engine_cohort_region(const engine_cohort_t *c, size_t i)
{
	return engine_dict_str(&c->regions, c->region[i]);
}

const char *engine_cohort_industry(const engine_cohort_t *c, size_t i)
{
	return engine_dict_str(&c->industries, c->industry[i]);
}

size_t engine_cohort_city_count(const engine_cohort_t *c, size_t i)
{
	return c->city_off[i + 1] - c->city_off[i];
}

const char *engine_cohort_city(const engine_cohort_t *c, size_t i, size_t j)
{
	return engine_dict_str(&c->cities, c->city[c->city_off[i] + j]);
}

size_t engine_cohort_bytes(const engine_cohort_t *c)
{
	size_t b = sizeof(*c) + c->text_cap + c->cap * 5 * sizeof(uint32_t) +
	           (c->cap + 1) * sizeof(uint32_t) +
	           c->city_cap * sizeof(uint32_t) +
	           (c->part_cap + c->part_off_cap) * sizeof(uint32_t);
	b += c->nlcol * c->cap * sizeof(uint32_t);
	b += c->nicol * c->cap * sizeof(double);
	const engine_dict_t *d[] = { &c->economies, &c->parts, &c->regions,
	                             &c->cities, &c->industries,
	                             &c->label_values };
	for (size_t i = 0; i < 6; i++)
		b += engine_dict_bytes(d[i]);
	return b;
}
