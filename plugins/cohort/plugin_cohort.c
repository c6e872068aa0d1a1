/* plugin_cohort.c — creating, sealing and viewing a plugin cohort, and the
 * host accessors plugins read it through (see plugin_cohort.h; building is
 * in plugin_cohort_add.c). */
#include "plugin_cohort.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "plugin_cohort_internal.h"


int plugin_cohort_create(plugin_cohort_t **out, size_t expect_clusters,
                         size_t expect_indicators, char *err, size_t errlen)
{
	*out = NULL;
	plugin_cohort_t *c = calloc(1, sizeof(*c));
	if (!c)
		return cd_fail(err, errlen, CD_ENOMEM, "cohort: out of memory");
	c->seg_fd = -1;
	memset(c->hint_field, 0xFF, sizeof(c->hint_field));
	memset(c->hint_city, 0xFF, sizeof(c->hint_city));
	memset(c->hint_ind, 0xFF, sizeof(c->hint_ind));
	memset(c->hint_label, 0xFF, sizeof(c->hint_label));
	memset(c->hint_as, 0xFF, sizeof(c->hint_as));
	cd_intern_init(&c->strs, UINT32_MAX - 1);
	/* Below 0xFFFF so that the key of "the next name" still fits. */
	cd_intern_init(&c->inames, 0xFFFF);
	int rc = cd_intern_add(&c->strs, &c->arena, "", &c->empty);
	if (!rc && expect_clusters)
		rc = cd_grow((void **)&c->cl, &c->capcl, expect_clusters,
		                 sizeof(*c->cl));
	if (!rc && expect_indicators)
		rc = cd_grow((void **)&c->ikey, &c->capkey,
		                 expect_indicators, sizeof(*c->ikey));
	if (!rc && expect_indicators)
		rc = cd_grow((void **)&c->ival, &c->capval,
		                 expect_indicators, sizeof(*c->ival));
	if (rc) {
		plugin_cohort_destroy(c);
		return cd_fail(err, errlen, rc, "cohort: out of memory");
	}
	*out = c;
	return CD_OK;
}

/* Grows *p to exactly need elements when it holds fewer. */
static int reserve_exact(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return CD_OK;
	if (need > SIZE_MAX / elem)
		return CD_ENOMEM;
	void *np = realloc(*p, need * elem);
	if (!np)
		return CD_ENOMEM;
	*p = np;
	*cap = need;
	return CD_OK;
}

int plugin_cohort_reserve(plugin_cohort_t *c, size_t clusters,
                          size_t indicators, char *err, size_t errlen)
{
	if (c->sealed || c->parent)
		return cd_fail(err, errlen, CD_EPRECONDITION,
		               "cohort: already sealed");
	int rc = reserve_exact((void **)&c->cl, &c->capcl, clusters,
	                       sizeof(*c->cl));
	if (!rc)
		rc = reserve_exact((void **)&c->ikey, &c->capkey, indicators,
		                   sizeof(*c->ikey));
	if (!rc)
		rc = reserve_exact((void **)&c->ival, &c->capval, indicators,
		                   sizeof(*c->ival));
	if (rc)
		return cd_fail(err, errlen, rc, "cohort: out of memory");
	return CD_OK;
}

void plugin_cohort_destroy(plugin_cohort_t *c)
{
	if (!c)
		return;
	if (c->seg) {
		/* The arrays are the segment's; only the view map is ours. */
		pc_seg_release(c);
		free(c->map);
		free(c);
		return;
	}
	cd_intern_free(&c->strs);
	cd_intern_free(&c->inames);
	cd_arena_free(&c->arena);
	free(c->cl);
	free(c->city);
	free(c->ikey);
	free(c->ival);
	free(c->as);
	free(c->lab);
	free(c->map);
	free(c);
}

int plugin_cohort_view(plugin_cohort_t **out, const plugin_cohort_t *parent,
                       const uint32_t *idx, size_t n, char *err,
                       size_t errlen)
{
	*out = NULL;
	if (!parent->sealed || parent->parent)
		return cd_fail(err, errlen, CD_EPRECONDITION, "cohort view: "
		               "the parent must be a sealed, whole cohort");
	for (size_t i = 0; i < n; i++)
		if (idx[i] >= parent->ncl)
			return cd_fail(err, errlen, CD_EINVAL, "cohort view: "
			               "index %u out of range", (unsigned)idx[i]);
	plugin_cohort_t *c = calloc(1, sizeof(*c));
	uint32_t *map = malloc((n ? n : 1) * sizeof(*map));
	if (!c || !map) {
		free(c);
		free(map);
		return cd_fail(err, errlen, CD_ENOMEM, "cohort: out of memory");
	}
	if (n)
		memcpy(map, idx, n * sizeof(*map));
	c->seg_fd = -1;
	c->parent = parent;
	c->map = map;
	c->ncl = n;
	c->sealed = 1;
	*out = c;
	return CD_OK;
}

static int seal_as(plugin_cohort_t *c, int file, char *err, size_t errlen)
{
	if (c->sealed)
		return cd_fail(err, errlen, CD_EPRECONDITION,
		               "cohort: already sealed");
	/* The segment takes each array's length only and the arrays are
	 * freed: no trimming first. */
	int rc = pc_seg_pack(c, file, err, errlen);
	if (rc)
		return rc;
	c->sealed = 1;
	return CD_OK;
}

int plugin_cohort_seal(plugin_cohort_t *c, char *err, size_t errlen)
{
	return seal_as(c, 0, err, errlen);
}

int plugin_cohort_seal_file(plugin_cohort_t *c, char *err, size_t errlen)
{
	return seal_as(c, 1, err, errlen);
}

int plugin_cohort_sealed(const plugin_cohort_t *c)
{
	return c->sealed;
}

size_t plugin_cohort_size(const plugin_cohort_t *c)
{
	return c->ncl;
}

const char *plugin_cohort_id(const plugin_cohort_t *c, size_t i)
{
	if (i >= c->ncl)
		return NULL;
	if (c->parent)
		return plugin_cohort_id(c->parent, c->map[i]);
	return cd_arena_str(&c->arena, c->cl[i].id);
}

int plugin_cohort_names(const plugin_cohort_t *c, int kind,
                        const char ***out, size_t *n, char *err,
                        size_t errlen)
{
	*out = NULL;
	*n = 0;
	if (c->parent)
		return cd_fail(err, errlen, CD_EINVAL, "cohort names: a view has "
		               "none of its own; ask its whole cohort");
	if (kind != CP_NAMES_INDICATOR && kind != CP_NAMES_LABEL &&
	    kind != CP_NAMES_CRITERION)
		return cd_fail(err, errlen, CD_EINVAL, "cohort names: unknown "
		               "kind %d", kind);
	/* Indicator names have a table of their own; label keys and
	 * criteria share theirs with every other string, so mark the ids
	 * in use. */
	const cd_intern_t *t = kind == CP_NAMES_INDICATOR ? &c->inames
	                                                      : &c->strs;
	uint8_t *seen = NULL;
	size_t cnt = t->n;
	if (kind != CP_NAMES_INDICATOR) {
		if (!(seen = calloc(t->n ? t->n : 1, 1)))
			return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
		cnt = 0;
		size_t m = kind == CP_NAMES_LABEL ? c->nlab : c->nas;
		for (size_t i = 0; i < m; i++) {
			uint32_t id = kind == CP_NAMES_LABEL ? c->lab[i].key
			                                     : c->as[i].criterion;
			cnt += !seen[id];
			seen[id] = 1;
		}
	}
	const char **v = malloc((cnt ? cnt : 1) * sizeof(*v));
	if (!v) {
		free(seen);
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	}
	for (size_t id = 0; id < t->n; id++)
		if (!seen || seen[id])
			v[(*n)++] = cd_intern_str(t, &c->arena, (uint32_t)id);
	free(seen);
	*out = v;
	return CD_OK;
}

size_t plugin_cohort_memory(const plugin_cohort_t *c)
{
	if (c->parent)
		return sizeof(*c) + c->ncl * sizeof(*c->map);
	return sizeof(*c) + c->arena.cap + cd_intern_memory(&c->strs) +
	       cd_intern_memory(&c->inames) +
	       c->capcl * sizeof(*c->cl) + c->capcity * sizeof(*c->city) +
	       c->capkey * sizeof(*c->ikey) + c->capval * sizeof(*c->ival) +
	       c->capas * sizeof(*c->as) + c->caplab * sizeof(*c->lab);
}

/* ---- Views (the cp_host_t accessors). ---- */

/* A cluster of a view as the cluster of its whole cohort. */
static cp_cluster_t resolve(cp_cluster_t v)
{
	const plugin_cohort_t *c = v.cohort;
	if (c && c->parent && v.index < c->ncl) {
		v.index = c->map[v.index];
		v.cohort = c->parent;
	}
	return v;
}

/* [*lo, *hi) of cluster i's items in an array of n, given its start. */
#define RANGE(c, i, field, n)                                             \
	(((i) + 1 < (c)->ncl) ? (size_t)(c)->cl[(i) + 1].field : (n))

static size_t v_cohort_size(const cp_cohort_t *c)
{
	return c ? c->ncl : 0;
}

static const char *v_field(cp_cluster_t v, int field)
{
	v = resolve(v);
	const plugin_cohort_t *c = v.cohort;
	if (!c || v.index >= c->ncl)
		return NULL;
	const pc_cluster_t *k = &c->cl[v.index];
	switch (field) {
	case CP_FIELD_ID:
		return cd_arena_str(&c->arena, k->id);
	case CP_FIELD_NAME:
		return cd_arena_str(&c->arena, k->name);
	case CP_FIELD_ECONOMY:
		return cd_intern_str(&c->strs, &c->arena, k->economy);
	case CP_FIELD_REGION:
		return cd_intern_str(&c->strs, &c->arena, k->region);
	case CP_FIELD_INDUSTRY:
		return cd_intern_str(&c->strs, &c->arena, k->industry);
	default:
		return NULL;
	}
}

static size_t v_city_count(cp_cluster_t v)
{
	v = resolve(v);
	const plugin_cohort_t *c = v.cohort;
	if (!c || v.index >= c->ncl)
		return 0;
	return RANGE(c, v.index, city0, c->ncity) - c->cl[v.index].city0;
}

static const char *v_city_at(cp_cluster_t v, size_t i)
{
	v = resolve(v);
	if (i >= v_city_count(v))
		return NULL;
	const plugin_cohort_t *c = v.cohort;
	return cd_intern_str(&c->strs, &c->arena,
	                         c->city[c->cl[v.index].city0 + i]);
}

/* First index in [lo, hi) whose key is >= key. */
static size_t lower_bound(const uint32_t *keys, size_t lo, size_t hi,
                          uint32_t key)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (keys[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The index range of cluster v's series `name`; 0 when it has none. */
static int series(cp_cluster_t v, const char *name, size_t *lo, size_t *hi)
{
	v = resolve(v);
	const plugin_cohort_t *c = v.cohort;
	if (!c || !name || v.index >= c->ncl)
		return 0;
	/* Plugins ask for the same series of cluster after cluster: the name
	 * this thread found last is checked before hashing. */
	static _Thread_local uint32_t guess = CD_NOID;
	uint32_t nid = cd_intern_find_guess(&c->inames, &c->arena, name,
	                                        guess);
	if (nid == CD_NOID)
		return 0;
	guess = nid;
	size_t b = c->cl[v.index].ind0, e = RANGE(c, v.index, ind0, c->nind);
	*lo = lower_bound(c->ikey, b, e, IND_KEY(nid, 0));
	*hi = lower_bound(c->ikey, *lo, e, IND_KEY(nid + 1, 0));
	return *lo < *hi;
}

static int v_indicator(cp_cluster_t v, const char *name, int year,
                       double *value)
{
	v = resolve(v);
	size_t lo, hi;
	if (year < 0 || year > 0xFFFF || !series(v, name, &lo, &hi))
		return 0;
	const plugin_cohort_t *c = v.cohort;
	uint32_t key = IND_KEY(IND_NAME(c->ikey[lo]), year);
	size_t i = lower_bound(c->ikey, lo, hi, key);
	if (i == hi || c->ikey[i] != key)
		return 0;
	if (value)
		*value = c->ival[i];
	return 1;
}

static int v_indicator_latest(cp_cluster_t v, const char *name, int *year,
                              double *value)
{
	v = resolve(v);
	size_t lo, hi;
	if (!series(v, name, &lo, &hi))
		return 0;
	const plugin_cohort_t *c = v.cohort;
	if (year)
		*year = IND_YEAR(c->ikey[hi - 1]);
	if (value)
		*value = c->ival[hi - 1];
	return 1;
}

static size_t v_indicator_years(cp_cluster_t v, const char *name, int *years,
                                size_t max)
{
	v = resolve(v);
	size_t lo, hi;
	if (!series(v, name, &lo, &hi))
		return 0;
	const plugin_cohort_t *c = v.cohort;
	for (size_t i = lo; i < hi && i - lo < max; i++)
		years[i - lo] = IND_YEAR(c->ikey[i]);
	return hi - lo;
}

static size_t v_assessment_count(cp_cluster_t v)
{
	v = resolve(v);
	const plugin_cohort_t *c = v.cohort;
	if (!c || v.index >= c->ncl)
		return 0;
	return RANGE(c, v.index, asm0, c->nas) - c->cl[v.index].asm0;
}

static int v_assessment_at(cp_cluster_t v, size_t i, cp_assessment_t *out,
                           size_t out_size)
{
	v = resolve(v);
	if (!out || i >= v_assessment_count(v))
		return 0;
	const plugin_cohort_t *c = v.cohort;
	const pc_assessment_t *a = &c->as[c->cl[v.index].asm0 + i];
	cp_assessment_t full = {
		.judge = cd_intern_str(&c->strs, &c->arena, a->judge),
		.criterion = cd_intern_str(&c->strs, &c->arena, a->criterion),
		.score = a->score,
		.round = a->round,
		.recused = a->recused,
	};
	/* A plugin built for an older minor passes a smaller struct; one built
	 * for a newer minor reads the fields this host does not know as 0. */
	if (out_size <= sizeof(full)) {
		memcpy(out, &full, out_size);
	} else {
		memcpy(out, &full, sizeof(full));
		memset((char *)out + sizeof(full), 0, out_size - sizeof(full));
	}
	return 1;
}

static const char *v_label(cp_cluster_t v, const char *key)
{
	v = resolve(v);
	const plugin_cohort_t *c = v.cohort;
	if (!c || !key || v.index >= c->ncl)
		return NULL;
	uint32_t kid = cd_intern_find(&c->strs, &c->arena, key);
	if (kid == CD_NOID)
		return NULL;
	size_t e = RANGE(c, v.index, lab0, c->nlab);
	for (size_t i = c->cl[v.index].lab0; i < e; i++)
		if (c->lab[i].key == kid)
			return cd_intern_str(&c->strs, &c->arena,
			                         c->lab[i].value);
	return NULL;
}

void plugin_cohort_bind_host(cp_host_t *h)
{
	h->cohort_size = v_cohort_size;
	h->cluster_field = v_field;
	h->cluster_city_count = v_city_count;
	h->cluster_city_at = v_city_at;
	h->indicator = v_indicator;
	h->indicator_latest = v_indicator_latest;
	h->indicator_years = v_indicator_years;
	h->assessment_count = v_assessment_count;
	h->assessment_at = v_assessment_at;
	h->label = v_label;
}

/* ---- Reading by string id (see plugin_cohort.h). ---- */

size_t plugin_cohort_nstrs(const plugin_cohort_t *c)
{
	return c->sealed && !c->parent ? c->strs.n : 0;
}

const char *plugin_cohort_str(const plugin_cohort_t *c, uint32_t sid)
{
	return cd_intern_str(&c->strs, &c->arena, sid);
}

uint32_t plugin_cohort_sid(const plugin_cohort_t *c, const char *s,
                           size_t len)
{
	return cd_intern_find_n(&c->strs, &c->arena, s, len);
}

const char *plugin_cohort_name(const plugin_cohort_t *c, size_t i)
{
	return cd_arena_str(&c->arena, c->cl[i].name);
}

void plugin_cohort_cluster_sids(const plugin_cohort_t *c, size_t i,
                                plugin_cohort_sids_t *out)
{
	const pc_cluster_t *k = &c->cl[i];
	out->economy = k->economy;
	out->region = k->region;
	out->industry = k->industry;
}

const uint32_t *plugin_cohort_city_sids(const plugin_cohort_t *c, size_t i,
                                        size_t *first, size_t *count)
{
	*first = c->cl[i].city0;
	*count = RANGE(c, i, city0, c->ncity) - *first;
	return c->city;
}

uint32_t plugin_cohort_label_sid(const plugin_cohort_t *c, size_t i,
                                 uint32_t key)
{
	size_t e = RANGE(c, i, lab0, c->nlab);
	for (size_t k = c->cl[i].lab0; k < e; k++)
		if (c->lab[k].key == key)
			return c->lab[k].value;
	return PLUGIN_COHORT_NOSID;
}

int plugin_cohort_indicator(const plugin_cohort_t *c, size_t i,
                            const char *name, int year, double *value)
{
	return v_indicator((cp_cluster_t){ c, i }, name, year, value);
}

int plugin_cohort_indicator_latest(const plugin_cohort_t *c, size_t i,
                                   const char *name, double *value)
{
	return v_indicator_latest((cp_cluster_t){ c, i }, name, NULL, value);
}
