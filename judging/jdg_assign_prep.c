/*
 * jdg_assign_prep — validation and interning of an assignment's input, and
 * the eligibility rules (jdg_assign_internal.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "cd_utf8.h"
#include "jdg_assign_internal.h"

/* Text: strict UTF-8 without control characters, within max bytes. */
static int check_str(const char *s, size_t max, int may_be_empty,
                     const char *what, char *err, size_t errlen)
{
	if (!s || !*s) {
		if (may_be_empty)
			return CD_OK;
		return cd_fail(err, errlen, CD_EV_EMPTY, "%s is empty", what);
	}
	size_t n = strnlen(s, max + 1);
	if (n > max)
		return cd_fail(err, errlen, CD_EV_LENGTH,
		               "%s is longer than %zu bytes", what, max);
	for (size_t i = 0; i < n;) {
		const unsigned char *u = (const unsigned char *)s + i;
		size_t l = cd_utf8_len(u, n - i);
		if (l == 0 || (l == 1 && (*u < 0x20 || *u == 0x7f)))
			return cd_fail(err, errlen, CD_EV_ENCODING,
			               "%s is not UTF-8 text (byte %zu)", what, i);
		i += l;
	}
	return CD_OK;
}

static int check_list(const char *const *v, size_t n, size_t max_n,
                      size_t max_len, const char *what, char *err,
                      size_t errlen)
{
	char w[160];
	if (n > max_n)
		return cd_fail(err, errlen, CD_EV_COUNT, "%s: %zu names, more "
		               "than %zu", what, n, max_n);
	if (n && !v)
		return cd_fail(err, errlen, CD_EINVAL, "%s: list is NULL", what);
	for (size_t i = 0; i < n; i++) {
		snprintf(w, sizeof w, "%s: name %zu", what, i);
		int rc = check_str(v[i], max_len, 0, w, err, errlen);
		if (rc)
			return rc;
	}
	return CD_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Sorts indices by id with a tiny merge sort (no global state). */
static void sort_idx(size_t *v, size_t *tmp, size_t n,
                     const char *(*id)(const void *, size_t), const void *base)
{
	if (n < 2)
		return;
	size_t h = n / 2;
	sort_idx(v, tmp, h, id, base);
	sort_idx(v + h, tmp, n - h, id, base);
	size_t i = 0, j = h, o = 0;
	while (i < h && j < n)
		tmp[o++] = strcmp(id(base, v[j]), id(base, v[i])) < 0 ? v[j++]
		                                                      : v[i++];
	while (i < h)
		tmp[o++] = v[i++];
	while (j < n)
		tmp[o++] = v[j++];
	memcpy(v, tmp, n * sizeof *v);
}

static const char *cl_id(const void *b, size_t i)
{
	return ((const jdg_assign_cluster_t *)b)[i].id;
}

static const char *jd_id(const void *b, size_t i)
{
	return ((const jdg_assign_judge_t *)b)[i].id;
}

static uint32_t org_id(const jdg_prep_t *p, const char *s)
{
	const char **f = bsearch(&s, p->orgs, p->n_orgs, sizeof *p->orgs,
	                         cmp_str);
	return (uint32_t)(f - p->orgs); /* every name was gathered */
}

/* Interns lists[i] (n[i] names) into a CSR of sorted ids; a name twice in
 * one list is refused. */
static int intern_lists(jdg_prep_t *p, size_t count,
                        const char *const *(*list)(const void *, size_t, size_t *),
                        const void *base, size_t **off, uint32_t **ids,
                        const char *what, char *err, size_t errlen)
{
	size_t total = 0, m;
	for (size_t i = 0; i < count; i++) {
		list(base, i, &m);
		total += m;
	}
	*off = malloc((count + 1) * sizeof **off);
	*ids = malloc((total ? total : 1) * sizeof **ids);
	if (!*off || !*ids)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	size_t o = 0;
	for (size_t i = 0; i < count; i++) {
		const char *const *v = list(base, i, &m);
		(*off)[i] = o;
		for (size_t x = 0; x < m; x++)
			(*ids)[o + x] = org_id(p, v[x]);
		qsort(*ids + o, m, sizeof **ids, cmp_u32);
		for (size_t x = 1; x < m; x++)
			if ((*ids)[o + x] == (*ids)[o + x - 1])
				return cd_fail(err, errlen, CD_EV_DUPLICATE,
				               "%s %zu: '%s' listed twice", what, i,
				               p->orgs[(*ids)[o + x]]);
		o += m;
	}
	(*off)[count] = o;
	return CD_OK;
}

static const char *const *l_corg(const void *b, size_t i, size_t *n)
{
	const jdg_assign_cluster_t *c = (const jdg_assign_cluster_t *)b + i;
	*n = c->n_orgs;
	return c->orgs;
}

static const char *const *l_jaff(const void *b, size_t i, size_t *n)
{
	const jdg_assign_judge_t *j = (const jdg_assign_judge_t *)b + i;
	*n = j->n_affils;
	return j->affils;
}

static const char *const *l_jdorg(const void *b, size_t i, size_t *n)
{
	const jdg_assign_judge_t *j = (const jdg_assign_judge_t *)b + i;
	*n = j->n_conflict_orgs;
	return j->conflict_orgs;
}

static int validate(const jdg_assign_input_t *in, char *err, size_t errlen)
{
	char w[96];
	int rc;
	if (in->n_clusters > JDG_ASSIGN_MAX_CLUSTERS)
		return cd_fail(err, errlen, CD_ELIMIT, "%zu clusters, more than "
		               "%d", in->n_clusters, JDG_ASSIGN_MAX_CLUSTERS);
	if (in->n_judges > JDG_ASSIGN_MAX_JUDGES)
		return cd_fail(err, errlen, CD_ELIMIT, "%zu judges, more than %d",
		               in->n_judges, JDG_ASSIGN_MAX_JUDGES);
	if (in->n_clusters * in->n_judges > JDG_ASSIGN_MAX_PAIRS)
		return cd_fail(err, errlen, CD_ELIMIT, "%zu clusters x %zu judges "
		               "is more than %d pairs", in->n_clusters,
		               in->n_judges, JDG_ASSIGN_MAX_PAIRS);
	if ((in->n_clusters && !in->clusters) || (in->n_judges && !in->judges))
		return cd_fail(err, errlen, CD_EINVAL, "clusters or judges NULL");
	if (in->k == 0 || in->k > JDG_ASSIGN_MAX_K)
		return cd_fail(err, errlen, CD_EINVAL, "k = %zu: want 1..%d "
		               "judges per cluster", in->k, JDG_ASSIGN_MAX_K);
	if (in->k > in->n_judges)
		return cd_fail(err, errlen, CD_EINVAL, "k = %zu but only %zu "
		               "judges", in->k, in->n_judges);
	if (in->max_load < 1)
		return cd_fail(err, errlen, CD_EINVAL, "max_load = 0: want >= 1");
	if (in->rules & ~JDG_RULE_ALL)
		return cd_fail(err, errlen, CD_EINVAL, "unknown rule bits 0x%x",
		               in->rules & ~JDG_RULE_ALL);
	for (size_t i = 0; i < in->n_clusters; i++) {
		const jdg_assign_cluster_t *c = &in->clusters[i];
		snprintf(w, sizeof w, "cluster %zu: id", i);
		if ((rc = check_str(c->id, JDG_ASSIGN_MAX_ID_LEN, 0, w, err, errlen)))
			return rc;
		snprintf(w, sizeof w, "cluster '%s': region", c->id);
		if ((rc = check_str(c->region, JDG_ASSIGN_MAX_ID_LEN, 1, w, err,
		                    errlen)))
			return rc;
		snprintf(w, sizeof w, "cluster '%s': organisations", c->id);
		if ((rc = check_list(c->orgs, c->n_orgs, JDG_ASSIGN_MAX_ORGS,
		                     JDG_ASSIGN_MAX_ORG_LEN, w, err, errlen)))
			return rc;
	}
	for (size_t i = 0; i < in->n_judges; i++) {
		const jdg_assign_judge_t *j = &in->judges[i];
		snprintf(w, sizeof w, "judge %zu: id", i);
		if ((rc = check_str(j->id, JDG_ASSIGN_MAX_ID_LEN, 0, w, err, errlen)))
			return rc;
		snprintf(w, sizeof w, "judge '%s': region", j->id);
		if ((rc = check_str(j->region, JDG_ASSIGN_MAX_ID_LEN, 1, w, err,
		                    errlen)))
			return rc;
		snprintf(w, sizeof w, "judge '%s': affiliations", j->id);
		if ((rc = check_list(j->affils, j->n_affils, JDG_ASSIGN_MAX_ORGS,
		                     JDG_ASSIGN_MAX_ORG_LEN, w, err, errlen)))
			return rc;
		snprintf(w, sizeof w, "judge '%s': declared organisations", j->id);
		if ((rc = check_list(j->conflict_orgs, j->n_conflict_orgs,
		                     JDG_ASSIGN_MAX_ORGS, JDG_ASSIGN_MAX_ORG_LEN, w,
		                     err, errlen)))
			return rc;
		snprintf(w, sizeof w, "judge '%s': declared clusters", j->id);
		if ((rc = check_list(j->conflict_clusters, j->n_conflict_clusters,
		                     JDG_ASSIGN_MAX_CONFLICTS, JDG_ASSIGN_MAX_ID_LEN,
		                     w, err, errlen)))
			return rc;
	}
	return CD_OK;
}

int jdg_prep_init(jdg_prep_t *p, const jdg_assign_input_t *in, char *err,
                  size_t errlen)
{
	memset(p, 0, sizeof *p);
	if (!in)
		return cd_fail(err, errlen, CD_EINVAL, "input is NULL");
	int rc = validate(in, err, errlen);
	if (rc)
		return rc;
	p->in = in;
	p->nc = in->n_clusters;
	p->nj = in->n_judges;
	size_t big = p->nc > p->nj ? p->nc : p->nj;
	size_t *tmp = malloc((big ? big : 1) * sizeof *tmp);
	p->c_by_id = malloc((p->nc ? p->nc : 1) * sizeof *p->c_by_id);
	p->j_by_id = malloc((p->nj ? p->nj : 1) * sizeof *p->j_by_id);
	size_t n_all = 0;
	for (size_t i = 0; i < p->nc; i++)
		n_all += in->clusters[i].n_orgs;
	for (size_t i = 0; i < p->nj; i++)
		n_all += in->judges[i].n_affils + in->judges[i].n_conflict_orgs;
	p->orgs = malloc((n_all ? n_all : 1) * sizeof *p->orgs);
	if (!tmp || !p->c_by_id || !p->j_by_id || !p->orgs) {
		rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < p->nc; i++)
		p->c_by_id[i] = i;
	sort_idx(p->c_by_id, tmp, p->nc, cl_id, in->clusters);
	for (size_t i = 1; i < p->nc; i++)
		if (!strcmp(cl_id(in->clusters, p->c_by_id[i]),
		            cl_id(in->clusters, p->c_by_id[i - 1]))) {
			rc = cd_fail(err, errlen, CD_EV_DUPLICATE, "cluster id '%s' "
			             "twice", in->clusters[p->c_by_id[i]].id);
			goto fail;
		}
	for (size_t i = 0; i < p->nj; i++)
		p->j_by_id[i] = i;
	sort_idx(p->j_by_id, tmp, p->nj, jd_id, in->judges);
	for (size_t i = 1; i < p->nj; i++)
		if (!strcmp(jd_id(in->judges, p->j_by_id[i]),
		            jd_id(in->judges, p->j_by_id[i - 1]))) {
			rc = cd_fail(err, errlen, CD_EV_DUPLICATE, "judge id '%s' "
			             "twice", in->judges[p->j_by_id[i]].id);
			goto fail;
		}
	/* Organisation names: one sorted table, so lists compare as ids. */
	size_t o = 0;
	for (size_t i = 0; i < p->nc; i++)
		for (size_t x = 0; x < in->clusters[i].n_orgs; x++)
			p->orgs[o++] = in->clusters[i].orgs[x];
	for (size_t i = 0; i < p->nj; i++) {
		for (size_t x = 0; x < in->judges[i].n_affils; x++)
			p->orgs[o++] = in->judges[i].affils[x];
		for (size_t x = 0; x < in->judges[i].n_conflict_orgs; x++)
			p->orgs[o++] = in->judges[i].conflict_orgs[x];
	}
	qsort(p->orgs, o, sizeof *p->orgs, cmp_str);
	p->n_orgs = 0;
	for (size_t i = 0; i < o; i++)
		if (!p->n_orgs || strcmp(p->orgs[i], p->orgs[p->n_orgs - 1]))
			p->orgs[p->n_orgs++] = p->orgs[i];
	if ((rc = intern_lists(p, p->nc, l_corg, in->clusters, &p->c_org_off,
	                       &p->c_org, "cluster", err, errlen)) ||
	    (rc = intern_lists(p, p->nj, l_jaff, in->judges, &p->j_aff_off,
	                       &p->j_aff, "judge (affiliations)", err, errlen)) ||
	    (rc = intern_lists(p, p->nj, l_jdorg, in->judges, &p->j_dorg_off,
	                       &p->j_dorg, "judge (declared organisations)", err,
	                       errlen)))
		goto fail;
	/* Declared clusters: ids outside this input are ignored. */
	size_t total = 0;
	for (size_t i = 0; i < p->nj; i++)
		total += in->judges[i].n_conflict_clusters;
	p->j_dcl_off = malloc((p->nj + 1) * sizeof *p->j_dcl_off);
	p->j_dcl = malloc((total ? total : 1) * sizeof *p->j_dcl);
	const char **names = malloc(JDG_ASSIGN_MAX_CONFLICTS * sizeof *names);
	if (!p->j_dcl_off || !p->j_dcl || !names) {
		free(names);
		rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
		goto fail;
	}
	o = 0;
	for (size_t i = 0; i < p->nj; i++) {
		const jdg_assign_judge_t *j = &in->judges[i];
		size_t m = j->n_conflict_clusters;
		if (m)
			memcpy(names, j->conflict_clusters, m * sizeof *names);
		qsort(names, m, sizeof *names, cmp_str);
		for (size_t x = 1; x < m; x++)
			if (!strcmp(names[x], names[x - 1])) {
				rc = cd_fail(err, errlen, CD_EV_DUPLICATE, "judge '%s': "
				             "declared cluster '%s' twice", j->id,
				             names[x]);
				free(names);
				goto fail;
			}
		p->j_dcl_off[i] = o;
		for (size_t x = 0; x < m; x++) {
			size_t c = jdg_prep_cluster(p, names[x]);
			if (c != SIZE_MAX)
				p->j_dcl[o++] = (uint32_t)c;
		}
		qsort(p->j_dcl + p->j_dcl_off[i], o - p->j_dcl_off[i],
		      sizeof *p->j_dcl, cmp_u32);
	}
	p->j_dcl_off[p->nj] = o;
	free(names);
	free(tmp);
	return CD_OK;
fail:
	free(tmp);
	jdg_prep_free(p);
	return rc;
}

void jdg_prep_free(jdg_prep_t *p)
{
	free(p->orgs);
	free(p->c_by_id);
	free(p->j_by_id);
	free(p->c_org_off);
	free(p->c_org);
	free(p->j_aff_off);
	free(p->j_aff);
	free(p->j_dorg_off);
	free(p->j_dorg);
	free(p->j_dcl_off);
	free(p->j_dcl);
	memset(p, 0, sizeof *p);
}

/* First common id of two sorted lists, or UINT32_MAX. */
static uint32_t common(const uint32_t *a, size_t na, const uint32_t *b,
                       size_t nb)
{
	size_t i = 0, j = 0;
	while (i < na && j < nb) {
		if (a[i] == b[j])
			return a[i];
		if (a[i] < b[j])
			i++;
		else
			j++;
	}
	return UINT32_MAX;
}

#define LIST(p, name, i) (p)->name + (p)->name##_off[i], \
	(p)->name##_off[(i) + 1] - (p)->name##_off[i]

static int same_region(const jdg_prep_t *p, size_t c, size_t j)
{
	const char *a = p->in->clusters[c].region, *b = p->in->judges[j].region;
	return a && b && *a && !strcmp(a, b);
}

unsigned jdg_prep_reasons(const jdg_prep_t *p, size_t c, size_t j)
{
	unsigned r = 0;
	const uint32_t *d = p->j_dcl + p->j_dcl_off[j];
	size_t nd = p->j_dcl_off[j + 1] - p->j_dcl_off[j];
	uint32_t c32 = (uint32_t)c;
	if (nd && bsearch(&c32, d, nd, sizeof *d, cmp_u32))
		r |= JDG_R_DECL_CLUSTER;
	if (common(LIST(p, c_org, c), LIST(p, j_dorg, j)) != UINT32_MAX)
		r |= JDG_R_DECL_ORG;
	if ((p->in->rules & JDG_RULE_SAME_REGION) && same_region(p, c, j))
		r |= JDG_R_SAME_REGION;
	if ((p->in->rules & JDG_RULE_SHARED_AFFIL) &&
	    common(LIST(p, c_org, c), LIST(p, j_aff, j)) != UINT32_MAX)
		r |= JDG_R_SHARED_AFFIL;
	return r;
}

static size_t find(const size_t *by_id, size_t n, const char *id,
                   const char *(*get)(const void *, size_t), const void *base)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(get(base, by_id[mid]), id);
		if (c == 0)
			return by_id[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return SIZE_MAX;
}

size_t jdg_prep_cluster(const jdg_prep_t *p, const char *id)
{
	return find(p->c_by_id, p->nc, id, cl_id, p->in->clusters);
}

size_t jdg_prep_judge(const jdg_prep_t *p, const char *id)
{
	return find(p->j_by_id, p->nj, id, jd_id, p->in->judges);
}

void jdg_sb_printf(jdg_sb_t *b, const char *fmt, ...)
{
	if (b->oom)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		size_t room = b->cap - b->len;
		int n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap * 2 + (size_t)n + 64;
		char *s = realloc(b->s, cap);
		if (!s) {
			b->oom = 1;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
}

void jdg_sb_reasons(jdg_sb_t *b, const jdg_prep_t *p, size_t c, size_t j,
                    unsigned r)
{
	const char *sep = "";
	if (r & JDG_R_SAME_REGION) {
		jdg_sb_printf(b, "same region '%s'", p->in->judges[j].region);
		sep = ", ";
	}
	if (r & JDG_R_SHARED_AFFIL) {
		uint32_t o = common(LIST(p, c_org, c), LIST(p, j_aff, j));
		jdg_sb_printf(b, "%sshares affiliation '%s'", sep, p->orgs[o]);
		sep = ", ";
	}
	if (r & JDG_R_DECL_CLUSTER) {
		jdg_sb_printf(b, "%sdeclared conflict with cluster '%s'", sep,
		              p->in->clusters[c].id);
		sep = ", ";
	}
	if (r & JDG_R_DECL_ORG) {
		uint32_t o = common(LIST(p, c_org, c), LIST(p, j_dorg, j));
		jdg_sb_printf(b, "%sdeclared conflict with organisation '%s'", sep,
		              p->orgs[o]);
	}
}

char *jdg_sb_take(jdg_sb_t *b)
{
	if (b->oom || !b->s) {
		int oom = b->oom;
		free(b->s);
		memset(b, 0, sizeof *b);
		return oom ? NULL : strdup("");
	}
	char *s = b->s;
	memset(b, 0, sizeof *b);
	return s;
}
