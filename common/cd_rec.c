/* cd_rec.c — the packed clusters.v1.Cluster reader (see cd_rec.h). */
#include "cd_rec.h"

#include <stdlib.h>
#include <string.h>

#include "cd_error.h"

/* Field numbers of clusters.v1.Cluster and its nested messages. */
enum {
	F_ID = 1, F_NAME = 2, F_ECONOMY = 3, F_REGION = 4, F_CITIES = 5,
	F_INDUSTRY = 6, F_INDICATORS = 7, F_ASSESSMENTS = 8, F_LABELS = 9,
	F_ETAG = 10,
	F_IND_NAME = 1, F_IND_YEAR = 2, F_IND_VALUE = 3, F_IND_UNIT = 4,
	F_AS_JUDGE = 1, F_AS_CRITERION = 2, F_AS_SCORE = 3, F_AS_COMMENT = 4,
	F_AS_ROUND = 5, F_AS_RECUSED = 6,
	F_MAP_KEY = 1, F_MAP_VALUE = 2,
};
enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

typedef struct rd {
	const uint8_t *p, *end;
} rd_t;

static const cd_span_t EMPTY = { "", 0 };

static int varint(rd_t *r, uint64_t *v)
{
	if (r->p < r->end && !(*r->p & 0x80)) {   /* the common case */
		*v = *r->p++;
		return 0;
	}
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
	if (varint(r, &t) || (t >> 3) == 0 || (t >> 3) > 0x1FFFFFFF)
		return -1;
	*num = (uint32_t)(t >> 3);
	*wt = (uint32_t)(t & 7);
	return 0;
}

static int len_field(rd_t *r, uint32_t wt, rd_t *sub)
{
	uint64_t len;
	if (wt != WT_LEN || varint(r, &len) ||
	    len > (uint64_t)(r->end - r->p))
		return -1;
	sub->p = r->p;
	sub->end = r->p + len;
	r->p += len;
	return 0;
}

static int string(rd_t *r, uint32_t wt, cd_span_t *out)
{
	rd_t sub;
	if (len_field(r, wt, &sub))
		return -1;
	out->s = (const char *)sub.p;
	out->len = (size_t)(sub.end - sub.p);
	return 0;
}

static int double_le(rd_t *r, uint32_t wt, double *out)
{
	if (wt != WT_I64 || r->end - r->p < 8)
		return -1;
	uint64_t bits = 0;
	for (int i = 7; i >= 0; i--)
		bits = bits << 8 | r->p[i];
	memcpy(out, &bits, sizeof(*out));
	r->p += 8;
	return 0;
}

static int int_field(rd_t *r, uint32_t wt, uint64_t *out)
{
	return wt == WT_VARINT ? varint(r, out) : -1;
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
		return len_field(r, wt, &sub);
	case WT_I32:
		if (r->end - r->p < 4)
			return -1;
		r->p += 4;
		return 0;
	default:
		return -1;   /* groups are not part of proto3 */
	}
}

/* Room for one more item of an array; -2 when memory runs out. */
static int more(void **arr, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 8;
	if (ncap > SIZE_MAX / elem)
		return -2;
	void *p = realloc(*arr, ncap * elem);
	if (!p)
		return -2;
	*arr = p;
	*cap = ncap;
	return 0;
}

static int indicator(rd_t *r, cd_rec_indicator_t *x)
{
	uint32_t num, wt;
	uint64_t v = 0;
	*x = (cd_rec_indicator_t){ .name = EMPTY, .unit = EMPTY };
	while (r->p < r->end) {
		int rc;
		if (tag(r, &num, &wt))
			return -1;
		switch (num) {
		case F_IND_NAME: rc = string(r, wt, &x->name); break;
		case F_IND_UNIT: rc = string(r, wt, &x->unit); break;
		case F_IND_VALUE: rc = double_le(r, wt, &x->value); break;
		case F_IND_YEAR:
			rc = int_field(r, wt, &v);
			x->year = (int32_t)(uint32_t)v;
			break;
		default: rc = skip(r, wt);
		}
		if (rc)
			return -1;
	}
	return 0;
}

static int assessment(rd_t *r, cd_rec_assessment_t *a)
{
	uint32_t num, wt;
	uint64_t v = 0;
	*a = (cd_rec_assessment_t){ .judge = EMPTY, .criterion = EMPTY,
	                               .comment = EMPTY, .round = EMPTY };
	while (r->p < r->end) {
		int rc;
		if (tag(r, &num, &wt))
			return -1;
		switch (num) {
		case F_AS_JUDGE: rc = string(r, wt, &a->judge); break;
		case F_AS_CRITERION: rc = string(r, wt, &a->criterion); break;
		case F_AS_COMMENT: rc = string(r, wt, &a->comment); break;
		case F_AS_ROUND: rc = string(r, wt, &a->round); break;
		case F_AS_SCORE: rc = double_le(r, wt, &a->score); break;
		case F_AS_RECUSED:
			rc = int_field(r, wt, &v);
			a->recused = v != 0;
			break;
		default: rc = skip(r, wt);
		}
		if (rc)
			return -1;
	}
	return 0;
}

static int label(rd_t *r, cd_rec_label_t *l)
{
	uint32_t num, wt;
	*l = (cd_rec_label_t){ .key = EMPTY, .value = EMPTY };
	while (r->p < r->end) {
		int rc;
		if (tag(r, &num, &wt))
			return -1;
		switch (num) {
		case F_MAP_KEY: rc = string(r, wt, &l->key); break;
		case F_MAP_VALUE: rc = string(r, wt, &l->value); break;
		default: rc = skip(r, wt);
		}
		if (rc)
			return -1;
	}
	return 0;
}

static int parse(cd_rec_t *c, rd_t *r)
{
	uint32_t num, wt;
	rd_t sub;
	while (r->p < r->end) {
		int rc;
		if (tag(r, &num, &wt))
			return -1;
		switch (num) {
		case F_ID: rc = string(r, wt, &c->id); break;
		case F_NAME: rc = string(r, wt, &c->name); break;
		case F_ECONOMY: rc = string(r, wt, &c->economy); break;
		case F_REGION: rc = string(r, wt, &c->region); break;
		case F_INDUSTRY: rc = string(r, wt, &c->industry); break;
		case F_ETAG: rc = string(r, wt, &c->etag); break;
		case F_CITIES:
			rc = more((void **)&c->cities, &c->capcities, c->ncities,
			          sizeof(*c->cities));
			if (!rc && !(rc = string(r, wt, &c->cities[c->ncities])))
				c->ncities++;
			break;
		case F_INDICATORS:
			rc = more((void **)&c->indicators, &c->capindicators,
			          c->nindicators, sizeof(*c->indicators));
			if (!rc && !(rc = len_field(r, wt, &sub)) &&
			    !(rc = indicator(&sub,
			                     &c->indicators[c->nindicators])))
				c->nindicators++;
			break;
		case F_ASSESSMENTS:
			rc = more((void **)&c->assessments, &c->capassessments,
			          c->nassessments, sizeof(*c->assessments));
			if (!rc && !(rc = len_field(r, wt, &sub)) &&
			    !(rc = assessment(&sub,
			                      &c->assessments[c->nassessments])))
				c->nassessments++;
			break;
		case F_LABELS:
			rc = more((void **)&c->labels, &c->caplabels, c->nlabels,
			          sizeof(*c->labels));
			if (!rc && !(rc = len_field(r, wt, &sub)) &&
			    !(rc = label(&sub, &c->labels[c->nlabels])))
				c->nlabels++;
			break;
		default:
			rc = skip(r, wt);
		}
		if (rc)
			return rc;
	}
	return 0;
}

int cd_rec_parse(cd_rec_t *r, const uint8_t *buf, size_t len)
{
	r->id = r->name = r->economy = r->region = r->industry = r->etag =
		EMPTY;
	r->ncities = r->nindicators = r->nassessments = r->nlabels = 0;
	rd_t rd = { buf, buf + len };
#if defined(__GNUC__)
	/* The reader's loads depend on each other (a field's length says
	 * where the next one starts): ask for every line of the record at
	 * once instead of meeting each cache miss in turn. */
	for (size_t off = 64; off < len; off += 64)
		__builtin_prefetch(buf + off);
#endif
	int rc = parse(r, &rd);
	return rc == 0 ? CD_OK : rc == -2 ? CD_ENOMEM : CD_ECORRUPT;
}

void cd_rec_free(cd_rec_t *r)
{
	free(r->cities);
	free(r->indicators);
	free(r->assessments);
	free(r->labels);
	memset(r, 0, sizeof(*r));
}
