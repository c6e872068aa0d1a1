/* plugin_cohort_add.c — building a plugin cohort: the add_* calls (see
 * plugin_cohort.h). Every call takes its strings by their bytes; the
 * C-string calls measure them and pass them on. Cluster ids and names are
 * unique per cluster, so they are copied to the arena without interning;
 * the strings that repeat are interned, trying first the id the previous
 * cluster had at the same position. */
#include "plugin_cohort_internal.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "cd_error.h"

typedef plugin_cohort_str_t str_t;

/* The string as C sees it: up to its first NUL. */
static inline str_t trim(str_t s)
{
	if (!s.s || !s.len)
		return (str_t){ "", 0 };
	const char *nul = memchr(s.s, '\0', s.len);
	if (nul)
		s.len = (size_t)(nul - s.s);
	return s;
}

static inline str_t cstr(const char *s)
{
	return s ? (str_t){ s, strlen(s) } : (str_t){ "", 0 };
}

static int add_fail(char *err, size_t errlen, int rc, const char *what)
{
	if (rc == CD_ELIMIT)
		return cd_fail(err, errlen, rc, "cohort: too many %s", what);
	return cd_fail(err, errlen, rc, "cohort: out of memory adding %s",
	               what);
}

/* Room for one more element: the common case without a call. */
static inline int room(void **p, size_t *cap, size_t n, size_t elem)
{
	return n < *cap ? CD_OK : cd_grow(p, cap, n + 1, elem);
}

/* Interns s into t, trying *hint first. */
static inline int intern(plugin_cohort_t *c, cd_intern_t *t, str_t s,
                         uint32_t *hint, uint32_t *id)
{
	return cd_intern_add_fast(t, &c->arena, s.s, s.len, hint, id);
}

/* A string's length as a printf precision. */
#define PREC(s) ((s).len > 4096 ? 4096 : (int)(s).len)

/* Interns s ("" = the empty string), trying *hint first. */
static int intern_opt(plugin_cohort_t *c, str_t s, uint32_t *hint,
                      uint32_t *id)
{
	if (!s.len) {
		*id = c->empty;
		return CD_OK;
	}
	return intern(c, &c->strs, s, hint, id);
}

/* The hint slot of the item at position pos of the current cluster. */
#define HINT(arr, pos) (&(arr)[(pos) < PC_HINTS ? (pos) : PC_HINTS - 1])

static int check_open(const plugin_cohort_t *c, int need_cluster, char *err,
                      size_t errlen)
{
	if (c->sealed)
		return cd_fail(err, errlen, CD_EPRECONDITION,
		               "cohort: already sealed");
	if (need_cluster && !c->ncl)
		return cd_fail(err, errlen, CD_EPRECONDITION,
		               "cohort: add a cluster first");
	return CD_OK;
}

int plugin_cohort_add_cluster_n(plugin_cohort_t *c,
                                const plugin_cohort_fields_t *f, char *err,
                                size_t errlen)
{
	int rc = check_open(c, 0, err, errlen);
	if (rc)
		return rc;
	str_t id = trim(f->id), name = trim(f->name);
	if (!id.len)
		return cd_fail(err, errlen, CD_EV_ID,
		               "cohort: empty cluster id");
	if (c->ncl >= UINT32_MAX)
		return add_fail(err, errlen, CD_ELIMIT, "clusters");
	rc = room((void **)&c->cl, &c->capcl, c->ncl, sizeof(*c->cl));
	if (rc)
		return add_fail(err, errlen, rc, "clusters");
	pc_cluster_t k = {
		.city0 = (uint32_t)c->ncity, .ind0 = (uint32_t)c->nind,
		.asm0 = (uint32_t)c->nas, .lab0 = (uint32_t)c->nlab,
	};
	rc = cd_arena_add_n(&c->arena, id.s, id.len, &k.id);
	if (!rc) {
		if (name.len)
			rc = cd_arena_add_n(&c->arena, name.s, name.len,
			                        &k.name);
		else
			k.name = c->strs.off[c->empty];
	}
	if (!rc)
		rc = intern_opt(c, trim(f->economy), &c->hint_field[0],
		                &k.economy);
	if (!rc)
		rc = intern_opt(c, trim(f->region), &c->hint_field[1],
		                &k.region);
	if (!rc)
		rc = intern_opt(c, trim(f->industry), &c->hint_field[2],
		                &k.industry);
	if (rc)
		return add_fail(err, errlen, rc, "cluster strings");
	c->cl[c->ncl++] = k;
	return CD_OK;
}

int plugin_cohort_add_cluster(plugin_cohort_t *c, const char *id,
                              const char *name, const char *economy,
                              const char *region, const char *industry,
                              char *err, size_t errlen)
{
	plugin_cohort_fields_t f = { cstr(id), cstr(name), cstr(economy),
	                             cstr(region), cstr(industry) };
	return plugin_cohort_add_cluster_n(c, &f, err, errlen);
}

static const char *last_id(const plugin_cohort_t *c)
{
	return cd_arena_str(&c->arena, c->cl[c->ncl - 1].id);
}

int plugin_cohort_add_city_n(plugin_cohort_t *c, str_t city, char *err,
                             size_t errlen)
{
	int rc = check_open(c, 1, err, errlen);
	if (rc)
		return rc;
	city = trim(city);
	if (!city.len)
		return cd_fail(err, errlen, CD_EV_EMPTY,
		               "cohort: cluster '%s': empty city", last_id(c));
	if (c->ncity >= UINT32_MAX)
		return add_fail(err, errlen, CD_ELIMIT, "cities");
	rc = room((void **)&c->city, &c->capcity, c->ncity, sizeof(*c->city));
	uint32_t id = 0;
	if (!rc)
		rc = intern(c, &c->strs, city,
		        HINT(c->hint_city, c->ncity - c->cl[c->ncl - 1].city0),
		        &id);
	if (rc)
		return add_fail(err, errlen, rc, "cities");
	c->city[c->ncity++] = id;
	return CD_OK;
}

int plugin_cohort_add_city(plugin_cohort_t *c, const char *city, char *err,
                           size_t errlen)
{
	return plugin_cohort_add_city_n(c, cstr(city), err, errlen);
}

int plugin_cohort_add_indicator_n(plugin_cohort_t *c, str_t name, int year,
                                  double value, char *err, size_t errlen)
{
	int rc = check_open(c, 1, err, errlen);
	if (rc)
		return rc;
	name = trim(name);
	int nl = PREC(name);
	if (!name.len)
		return cd_fail(err, errlen, CD_EV_INDICATOR_NAME,
		               "cohort: cluster '%s': empty indicator name",
		               last_id(c));
	if (year < 0 || year > 0xFFFF)
		return cd_fail(err, errlen, CD_EV_YEAR,
		               "cohort: cluster '%s': indicator '%.*s': year "
		               "%d outside 0..65535", last_id(c), nl, name.s,
		               year);
	if (!isfinite(value))
		return cd_fail(err, errlen, CD_EV_NONFINITE,
		               "cohort: cluster '%s': indicator '%.*s' %d is "
		               "not finite", last_id(c), nl, name.s, year);
	if (c->nind >= UINT32_MAX)
		return add_fail(err, errlen, CD_ELIMIT, "indicators");
	uint32_t nid = 0;
	rc = intern(c, &c->inames, name,
	        HINT(c->hint_ind, c->nind - c->cl[c->ncl - 1].ind0), &nid);
	if (rc)
		return add_fail(err, errlen, rc, "indicator names");
	rc = room((void **)&c->ikey, &c->capkey, c->nind, sizeof(*c->ikey));
	if (!rc)
		rc = room((void **)&c->ival, &c->capval, c->nind,
		          sizeof(*c->ival));
	if (rc)
		return add_fail(err, errlen, rc, "indicators");
	/* Insert in key order: clusters hold few indicators, and keeping them
	 * sorted now makes every later lookup a binary search. */
	uint32_t key = IND_KEY(nid, year);
	size_t lo = c->cl[c->ncl - 1].ind0, i = c->nind;
	while (i > lo && c->ikey[i - 1] > key)
		i--;
	if (i > lo && c->ikey[i - 1] == key)
		return cd_fail(err, errlen, CD_EV_DUPLICATE,
		               "cohort: cluster '%s': indicator '%.*s' %d "
		               "given twice", last_id(c), nl, name.s, year);
	if (i < c->nind) {
		memmove(c->ikey + i + 1, c->ikey + i,
		        (c->nind - i) * sizeof(*c->ikey));
		memmove(c->ival + i + 1, c->ival + i,
		        (c->nind - i) * sizeof(*c->ival));
	}
	c->ikey[i] = key;
	c->ival[i] = value;
	c->nind++;
	return CD_OK;
}

int plugin_cohort_add_indicator(plugin_cohort_t *c, const char *name,
                                int year, double value, char *err,
                                size_t errlen)
{
	return plugin_cohort_add_indicator_n(c, cstr(name), year, value, err,
	                                     errlen);
}

int plugin_cohort_add_assessment_n(plugin_cohort_t *c, str_t judge,
                                   str_t criterion, double score, int round,
                                   int recused, char *err, size_t errlen)
{
	int rc = check_open(c, 1, err, errlen);
	if (rc)
		return rc;
	judge = trim(judge);
	criterion = trim(criterion);
	if (!judge.len || !criterion.len)
		return cd_fail(err, errlen, CD_EV_EMPTY,
		               "cohort: cluster '%s': assessment without judge "
		               "or criterion", last_id(c));
	if (!isfinite(score))
		return cd_fail(err, errlen, CD_EV_NONFINITE,
		               "cohort: cluster '%s': assessment of '%.*s' by "
		               "'%.*s' is not finite", last_id(c),
		               PREC(criterion), criterion.s, PREC(judge),
		               judge.s);
	if (c->nas >= UINT32_MAX)
		return add_fail(err, errlen, CD_ELIMIT, "assessments");
	pc_assessment_t a = { .round = round, .recused = recused != 0,
	                      .score = score };
	uint32_t *hint = *HINT(c->hint_as, c->nas - c->cl[c->ncl - 1].asm0);
	rc = room((void **)&c->as, &c->capas, c->nas, sizeof(*c->as));
	if (!rc)
		rc = intern(c, &c->strs, judge, &hint[0], &a.judge);
	if (!rc)
		rc = intern(c, &c->strs, criterion, &hint[1], &a.criterion);
	if (rc)
		return add_fail(err, errlen, rc, "assessments");
	c->as[c->nas++] = a;
	return CD_OK;
}

int plugin_cohort_add_assessment(plugin_cohort_t *c, const char *judge,
                                 const char *criterion, double score,
                                 int round, int recused, char *err,
                                 size_t errlen)
{
	return plugin_cohort_add_assessment_n(c, cstr(judge), cstr(criterion),
	                                      score, round, recused, err,
	                                      errlen);
}

int plugin_cohort_add_label_n(plugin_cohort_t *c, str_t key, str_t value,
                              char *err, size_t errlen)
{
	int rc = check_open(c, 1, err, errlen);
	if (rc)
		return rc;
	key = trim(key);
	if (!key.len)
		return cd_fail(err, errlen, CD_EV_LABEL_KEY,
		               "cohort: cluster '%s': empty label key",
		               last_id(c));
	if (c->nlab >= UINT32_MAX)
		return add_fail(err, errlen, CD_ELIMIT, "labels");
	pc_label_t l;
	uint32_t *hint =
		*HINT(c->hint_label, c->nlab - c->cl[c->ncl - 1].lab0);
	rc = intern(c, &c->strs, key, &hint[0], &l.key);
	if (!rc)
		rc = intern_opt(c, trim(value), &hint[1], &l.value);
	if (!rc)
		rc = room((void **)&c->lab, &c->caplab, c->nlab,
		          sizeof(*c->lab));
	if (rc)
		return add_fail(err, errlen, rc, "labels");
	for (size_t i = c->cl[c->ncl - 1].lab0; i < c->nlab; i++)
		if (c->lab[i].key == l.key)
			return cd_fail(err, errlen, CD_EV_DUPLICATE,
			               "cohort: cluster '%s': label '%.*s' "
			               "given twice", last_id(c), PREC(key),
			               key.s);
	c->lab[c->nlab++] = l;
	return CD_OK;
}

int plugin_cohort_add_label(plugin_cohort_t *c, const char *key,
                            const char *value, char *err, size_t errlen)
{
	return plugin_cohort_add_label_n(c, cstr(key), cstr(value), err,
	                                 errlen);
}
