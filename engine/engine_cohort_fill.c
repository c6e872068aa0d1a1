/* Fills a cohort straight from the protobuf wire format of
 * clusters.v1.Cluster: the fields the engine needs are copied out and the
 * rest skipped, with no allocation per record (unpacking a whole message
 * would allocate every indicator and assessment only to free them). */
#include "engine_impl.h"

#include <math.h>
#include <string.h>

#include "cd_error.h"

/* Field numbers of clusters.v1.Cluster and its nested messages. */
enum {
	F_ID = 1, F_NAME = 2, F_ECONOMY = 3, F_REGION = 4, F_CITIES = 5,
	F_INDUSTRY = 6, F_INDICATORS = 7, F_LABELS = 9,
	F_IND_NAME = 1, F_IND_YEAR = 2, F_IND_VALUE = 3,
	F_MAP_KEY = 1, F_MAP_VALUE = 2,
};
enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

typedef struct rd {
	const uint8_t *p, *end;
} rd_t;

typedef struct span {
	const char *s;
	size_t len;
} span_t;

static int varint(rd_t *r, uint64_t *v)
{
	uint64_t x = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (r->p >= r->end)
			return -1;
		uint8_t b = *r->p++;
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

static int tag(rd_t *r, uint32_t *num, uint32_t *wt)
{
	uint64_t t;
	if (varint(r, &t) || (t >> 3) == 0 || (t >> 3) > UINT32_MAX)
		return -1;
	*num = (uint32_t)(t >> 3);
	*wt = (uint32_t)(t & 7);
	return 0;
}

static int len_field(rd_t *r, rd_t *sub)
{
	uint64_t len;
	if (varint(r, &len) || len > (uint64_t)(r->end - r->p))
		return -1;
	sub->p = r->p;
	sub->end = r->p + len;
	r->p += len;
	return 0;
}

static int skip(rd_t *r, uint32_t wt)
{
	uint64_t v;
	rd_t sub;
	switch (wt) {
	case WT_VARINT:
		return varint(r, &v);
	case WT_I64:
		if (r->end - r->p < 8)
			return -1;
		r->p += 8;
		return 0;
	case WT_LEN:
		return len_field(r, &sub);
	case WT_I32:
		if (r->end - r->p < 4)
			return -1;
		r->p += 4;
		return 0;
	default:
		return -1;   /* groups are not part of proto3 */
	}
}

static int string(rd_t *r, uint32_t wt, span_t *out)
{
	rd_t sub;
	if (wt != WT_LEN || len_field(r, &sub))
		return -1;
	out->s = (const char *)sub.p;
	out->len = (size_t)(sub.end - sub.p);
	return 0;
}

static int span_eq(span_t a, const char *s)
{
	return strlen(s) == a.len && memcmp(a.s, s, a.len) == 0;
}

/* One Indicator: fills the indicator columns it matches. */
static int indicator(engine_cohort_t *c, rd_t *r)
{
	span_t name = { "", 0 };
	uint64_t year = 0;
	double value = 0;
	uint32_t num, wt;
	while (r->p < r->end) {
		if (tag(r, &num, &wt))
			return -1;
		if (num == F_IND_NAME) {
			if (string(r, wt, &name))
				return -1;
		} else if (num == F_IND_YEAR && wt == WT_VARINT) {
			if (varint(r, &year))
				return -1;
		} else if (num == F_IND_VALUE && wt == WT_I64) {
			if (r->end - r->p < 8)
				return -1;
			uint64_t bits = 0;
			for (int i = 7; i >= 0; i--)
				bits = bits << 8 | r->p[i];
			memcpy(&value, &bits, sizeof(value));
			r->p += 8;
		} else if (skip(r, wt)) {
			return -1;
		}
	}
	int32_t y = (int32_t)(uint32_t)year;
	size_t i = c->n;
	for (size_t k = 0; k < c->nicol; k++) {
		engine_ind_col_t *col = &c->icol[k];
		if (!span_eq(name, col->name))
			continue;
		if (col->year == 0 ? y >= c->icol_year[k] : y == col->year) {
			col->val[i] = value;
			c->icol_year[k] = y;
		}
	}
	return 0;
}

/* One labels map entry: fills the label column of its key, if wanted. */
static int label(engine_cohort_t *c, rd_t *r)
{
	span_t key = { "", 0 }, val = { "", 0 };
	uint32_t num, wt;
	while (r->p < r->end) {
		if (tag(r, &num, &wt))
			return -1;
		if (num == F_MAP_KEY) {
			if (string(r, wt, &key))
				return -1;
		} else if (num == F_MAP_VALUE) {
			if (string(r, wt, &val))
				return -1;
		} else if (skip(r, wt)) {
			return -1;
		}
	}
	for (size_t k = 0; k < c->nlcol; k++) {
		if (!span_eq(key, c->lcol[k].key))
			continue;
		uint32_t sid;
		int rc = engine_dict_intern(&c->label_values, val.s, val.len,
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
	int rc = engine_dict_intern(&c->economies, e.s, e.len, sid);
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

static int parse(engine_cohort_t *c, rd_t *r)
{
	span_t id = { "", 0 }, name = { "", 0 }, econ = { "", 0 },
	       region = { "", 0 }, industry = { "", 0 };
	size_t i = c->n;
	uint32_t num, wt;
	int rc;
	rd_t sub;

	for (size_t k = 0; k < c->nlcol; k++)
		c->lcol[k].val[i] = ENGINE_SID_NONE;
	for (size_t k = 0; k < c->nicol; k++) {
		c->icol[k].val[i] = NAN;
		c->icol_year[k] = INT32_MIN;
	}
	while (r->p < r->end) {
		if (tag(r, &num, &wt))
			return -1;
		switch (num) {
		case F_ID: rc = string(r, wt, &id); break;
		case F_NAME: rc = string(r, wt, &name); break;
		case F_ECONOMY: rc = string(r, wt, &econ); break;
		case F_REGION: rc = string(r, wt, &region); break;
		case F_INDUSTRY: rc = string(r, wt, &industry); break;
		case F_CITIES: {
			span_t city;
			uint32_t sid;
			if (string(r, wt, &city))
				return -1;
			if ((rc = engine_dict_intern(&c->cities, city.s, city.len,
			                             &sid)) ||
			    (rc = engine_grow((void **)&c->city, &c->city_cap,
			                      c->ncity + 1, sizeof(uint32_t))))
				return rc;
			c->city[c->ncity++] = sid;
			break;
		}
		case F_INDICATORS:
			if (wt != WT_LEN || len_field(r, &sub))
				return -1;
			rc = c->nicol ? indicator(c, &sub) : 0;
			break;
		case F_LABELS:
			if (wt != WT_LEN || len_field(r, &sub))
				return -1;
			rc = c->nlcol ? label(c, &sub) : 0;
			break;
		default:
			rc = skip(r, wt);
		}
		if (rc)
			return rc;
	}
	if (id.len == 0)
		return -2;
	if (c->ncity > UINT32_MAX)
		return CD_ELIMIT;
	if ((rc = economy(c, econ, &c->economy[i])) ||
	    (rc = engine_dict_intern(&c->regions, region.s, region.len,
	                             &c->region[i])) ||
	    (rc = engine_dict_intern(&c->industries, industry.s, industry.len,
	                             &c->industry[i])) ||
	    (rc = text(c, id, &c->id_off[i])) ||
	    (rc = text(c, name, &c->name_off[i])))
		return rc;
	c->city_off[i + 1] = (uint32_t)c->ncity;
	return CD_OK;
}

int engine_cohort_add_packed(engine_cohort_t *c, const uint8_t *buf,
                             size_t len, char *err, size_t errlen)
{
	if (c->n == UINT32_MAX - 1)
		return cd_fail(err, errlen, CD_ELIMIT, "cohort: too many clusters");
	int rc = engine_cohort_reserve(c, c->n + 1);
	if (rc)
		return cd_fail(err, errlen, rc, "cohort: out of memory");
	size_t text_len = c->text_len, ncity = c->ncity;
	rd_t r = { buf, buf + len };
	rc = parse(c, &r);
	if (rc) {
		/* Forget what the bad record appended. */
		c->text_len = text_len;
		c->ncity = ncity;
		if (rc == -1)
			return cd_fail(err, errlen, CD_ECORRUPT,
			               "cluster #%zu: not a valid clusters.v1.Cluster",
			               c->n);
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
