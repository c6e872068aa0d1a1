/* Fills a cohort from packed clusters.v1.Cluster records read with
 * cd_rec (the wire format, no allocation per record: unpacking a whole
 * message would allocate every indicator and assessment only to free them):
 * the fields the engine needs are copied out, the rest ignored. */
#include "engine_internal.h"

#include <math.h>
#include <string.h>

#include "cd_error.h"

typedef cd_span_t span_t;

static int span_eq(span_t a, const char *s)
{
	return strlen(s) == a.len && memcmp(a.s, s, a.len) == 0;
}

/* One Indicator: fills the indicator columns it matches. */
static void indicator(engine_cohort_t *c, const cd_rec_indicator_t *x)
{
	size_t i = c->n;
	for (size_t k = 0; k < c->nicol; k++) {
		engine_ind_col_t *col = &c->icol[k];
		if (!span_eq(x->name, col->name))
			continue;
		if (col->year == 0 ? x->year >= c->icol_year[k]
		                   : x->year == col->year) {
			col->val[i] = x->value;
			c->icol_year[k] = x->year;
		}
	}
}

/* One labels map entry: fills the label column of its key, if wanted. */
static int label(engine_cohort_t *c, const cd_rec_label_t *l)
{
	for (size_t k = 0; k < c->nlcol; k++) {
		if (!span_eq(l->key, c->lcol[k].key))
			continue;
		uint32_t sid;
		int rc = engine_dict_intern_hinted(&c->label_values, l->value.s,
		                                   l->value.len, &c->lcol[k].hint,
		                                   &sid);
		if (rc)
			return rc;
		c->lcol[k].val[c->n] = sid;
	}
	return 0;
}

/* Interns an economy and, the first time it is seen, its '/' parts. */
static int economy(engine_cohort_t *c, span_t e, uint32_t *sid)
{
	uint32_t before = engine_dict_size(&c->economies);
	int rc = engine_dict_intern_hinted(&c->economies, e.s, e.len,
	                                   &c->hint_economy, sid);
	if (rc || engine_dict_size(&c->economies) == before)
		return rc;
	const char *p = e.s, *end = e.s + e.len;
	while (p < end) {
		const char *q = memchr(p, '/', (size_t)(end - p));
		if (!q)
			q = end;
		if (q > p) {
			uint32_t part;
			if ((rc = engine_dict_intern(&c->parts, p, (size_t)(q - p),
			                             &part)) ||
			    (rc = engine_grow((void **)&c->part, &c->part_cap,
			                      c->npart + 1, sizeof(uint32_t))))
				return rc;
			c->part[c->npart++] = part;
		}
		p = q + 1;
	}
	rc = engine_grow((void **)&c->part_off, &c->part_off_cap, *sid + 2,
	                 sizeof(uint32_t));
	if (!rc)
		c->part_off[*sid + 1] = (uint32_t)c->npart;
	return rc;
}

static int text(engine_cohort_t *c, span_t s, uint32_t *off)
{
	if (c->text_len + s.len + 1 > UINT32_MAX)
		return CD_ELIMIT;
	int rc = engine_grow((void **)&c->text, &c->text_cap,
	                     c->text_len + s.len + 1, 1);
	if (rc)
		return rc;
	memcpy(c->text + c->text_len, s.s, s.len);
	c->text[c->text_len + s.len] = '\0';
	*off = (uint32_t)c->text_len;
	c->text_len += s.len + 1;
	return CD_OK;
}

static int add(engine_cohort_t *c, const cd_rec_t *r)
{
	size_t i = c->n;
	int rc;

	if (r->id.len == 0)
		return -2;
	for (size_t k = 0; k < c->nlcol; k++)
		c->lcol[k].val[i] = ENGINE_SID_NONE;
	for (size_t k = 0; k < c->nicol; k++) {
		c->icol[k].val[i] = NAN;
		c->icol_year[k] = INT32_MIN;
	}
	if (c->ncity + r->ncities > UINT32_MAX)
		return CD_ELIMIT;
	if ((rc = engine_grow((void **)&c->city, &c->city_cap,
	                      c->ncity + r->ncities, sizeof(uint32_t))))
		return rc;
	for (size_t k = 0; k < r->ncities; k++) {
		uint32_t sid;
		uint32_t *hint = &c->hint_city[k < ENGINE_CITY_HINTS
		                               ? k : ENGINE_CITY_HINTS - 1];
		if ((rc = engine_dict_intern_hinted(&c->cities, r->cities[k].s,
		                                    r->cities[k].len, hint,
		                                    &sid)))
			return rc;
		c->city[c->ncity++] = sid;
	}
	for (size_t k = 0; c->nicol && k < r->nindicators; k++)
		indicator(c, &r->indicators[k]);
	for (size_t k = 0; c->nlcol && k < r->nlabels; k++)
		if ((rc = label(c, &r->labels[k])))
			return rc;
	if ((rc = economy(c, r->economy, &c->economy[i])) ||
	    (rc = engine_dict_intern_hinted(&c->regions, r->region.s,
	                                    r->region.len, &c->hint_region,
	                                    &c->region[i])) ||
	    (rc = engine_dict_intern_hinted(&c->industries, r->industry.s,
	                                    r->industry.len, &c->hint_industry,
	                                    &c->industry[i])) ||
	    (rc = text(c, r->id, &c->id_off[i])) ||
	    (rc = text(c, r->name, &c->name_off[i])))
		return rc;
	c->city_off[i + 1] = (uint32_t)c->ncity;
	return CD_OK;
}

int engine_cohort_add_rec(engine_cohort_t *c, const cd_rec_t *r,
                          char *err, size_t errlen)
{
	if (c->n == UINT32_MAX - 1)
		return cd_fail(err, errlen, CD_ELIMIT, "cohort: too many clusters");
	int rc = engine_cohort_reserve(c, c->n + 1);
	if (rc)
		return cd_fail(err, errlen, rc, "cohort: out of memory");
	size_t text_len = c->text_len, ncity = c->ncity;
	rc = add(c, r);
	if (rc) {
		/* Forget what the bad record appended. */
		c->text_len = text_len;
		c->ncity = ncity;
		if (rc == -2)
			return cd_fail(err, errlen, CD_ECORRUPT,
			               "cluster #%zu: record without an id", c->n);
		return cd_fail(err, errlen, rc, "cohort: %s", cd_err_name(rc));
	}
	if (c->n > 0 && c->ids_sorted &&
	    strcmp(engine_cohort_id(c, c->n - 1), engine_cohort_id(c, c->n)) >= 0)
		c->ids_sorted = 0;
	c->n++;
	return CD_OK;
}

int engine_cohort_add_packed(engine_cohort_t *c, const uint8_t *buf,
                             size_t len, char *err, size_t errlen)
{
	int rc = cd_rec_parse(&c->rec, buf, len);
	if (rc == CD_ECORRUPT)
		return cd_fail(err, errlen, CD_ECORRUPT,
		               "cluster #%zu: not a valid clusters.v1.Cluster",
		               c->n);
	if (rc)
		return cd_fail(err, errlen, rc, "cohort: out of memory");
	return engine_cohort_add_rec(c, &c->rec, err, errlen);
}

int engine_cohort_scan_fn(void *arg, const char *id, size_t id_len,
                          const uint8_t *val, size_t val_len)
{
	engine_cohort_fill_t *f = arg;
	(void)id;
	(void)id_len;
	int rc = engine_cohort_add_packed(f->cohort, val, val_len, f->err,
	                                  sizeof(f->err));
	if (rc)
		return rc;
	size_t n = engine_cohort_size(f->cohort);
	if (f->progress && n % ENGINE_PROGRESS_EVERY == 0 &&
	    (rc = engine_progress_tick(f->progress, n)))
		cd_fail(f->err, sizeof(f->err), rc, "cancelled while reading");
	return rc;
}
