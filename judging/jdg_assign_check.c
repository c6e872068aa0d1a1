/*
 * jdg_assign_check — every way a hand-edited assignment breaks the rules
 * jdg_assign_run keeps, in words.
 */
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "jdg_assign_internal.h"

static int add(jdg_assign_report_t *r, jdg_assign_violation_kind kind,
               size_t c, size_t j, size_t pair, jdg_sb_t *b)
{
	jdg_assign_violation_t *v = realloc(r->v, (r->n + 1) * sizeof *v);
	if (!v) {
		free(b->s);
		return CD_ENOMEM;
	}
	r->v = v;
	v[r->n].kind = kind;
	v[r->n].cluster = c;
	v[r->n].judge = j;
	v[r->n].pair = pair;
	v[r->n].text = jdg_sb_take(b);
	r->n++;
	return v[r->n - 1].text ? CD_OK : CD_ENOMEM;
}

/* Pairs with a rule broken, one violation per reason. */
static int pair_rules(const jdg_prep_t *p, jdg_assign_report_t *r, size_t i,
                      size_t c, size_t j)
{
	static const struct {
		unsigned bit;
		jdg_assign_violation_kind kind;
	} k[] = {
		{ JDG_R_SAME_REGION, JDG_AV_SAME_REGION },
		{ JDG_R_SHARED_AFFIL, JDG_AV_SHARED_AFFIL },
		{ JDG_R_DECL_CLUSTER, JDG_AV_DECLARED_CLUSTER },
		{ JDG_R_DECL_ORG, JDG_AV_DECLARED_ORG },
	};
	unsigned why = jdg_prep_reasons(p, c, j);
	for (size_t x = 0; x < sizeof k / sizeof *k; x++) {
		if (!(why & k[x].bit))
			continue;
		jdg_sb_t b = { 0 };
		jdg_sb_printf(&b, "pair %zu: judge '%s' may not judge cluster "
		              "'%s': ", i, p->in->judges[j].id,
		              p->in->clusters[c].id);
		jdg_sb_reasons(&b, p, c, j, k[x].bit);
		if (add(r, k[x].kind, c, j, i, &b))
			return CD_ENOMEM;
	}
	return CD_OK;
}

static int cmp_pair(const void *a, const void *b)
{
	const size_t *x = a, *y = b;
	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	if (x[1] != y[1])
		return x[1] < y[1] ? -1 : 1;
	return x[2] < y[2] ? -1 : x[2] > y[2];
}

int jdg_assign_check(const jdg_assign_input_t *in,
                     const jdg_assign_pair_t *pairs, size_t n_pairs,
                     jdg_assign_report_t **out, char *err, size_t errlen)
{
	if (!out)
		return cd_fail(err, errlen, CD_EINVAL, "out is NULL");
	*out = NULL;
	if (n_pairs > JDG_ASSIGN_MAX_ENTRIES)
		return cd_fail(err, errlen, CD_EV_COUNT, "%zu pairs, more than %d",
		               n_pairs, JDG_ASSIGN_MAX_ENTRIES);
	if (n_pairs && !pairs)
		return cd_fail(err, errlen, CD_EINVAL, "pairs is NULL");
	for (size_t i = 0; i < n_pairs; i++)
		if (!pairs[i].cluster_id || !*pairs[i].cluster_id ||
		    !pairs[i].judge_id || !*pairs[i].judge_id)
			return cd_fail(err, errlen, CD_EV_EMPTY, "pair %zu: empty "
			               "cluster or judge id", i);
	jdg_prep_t p;
	int rc = jdg_prep_init(&p, in, err, errlen);
	if (rc)
		return rc;
	jdg_assign_report_t *r = calloc(1, sizeof *r);
	size_t *cnt = calloc(p.nc ? p.nc : 1, sizeof *cnt);
	size_t *load = calloc(p.nj ? p.nj : 1, sizeof *load);
	size_t *tri = malloc((n_pairs ? n_pairs : 1) * 3 * sizeof *tri);
	unsigned char *dup = calloc(n_pairs ? n_pairs : 1, 1);
	if (!r || !cnt || !load || !tri || !dup)
		goto oom;
	/* Duplicates first: sort (cluster, judge, pair) triples. */
	size_t nt = 0;
	for (size_t i = 0; i < n_pairs; i++) {
		size_t c = jdg_prep_cluster(&p, pairs[i].cluster_id);
		size_t j = jdg_prep_judge(&p, pairs[i].judge_id);
		if (c == SIZE_MAX || j == SIZE_MAX)
			continue;
		tri[3 * nt] = c;
		tri[3 * nt + 1] = j;
		tri[3 * nt++ + 2] = i;
	}
	qsort(tri, nt, 3 * sizeof *tri, cmp_pair);
	for (size_t t = 1; t < nt; t++)
		if (tri[3 * t] == tri[3 * t - 3] && tri[3 * t + 1] == tri[3 * t - 2])
			dup[tri[3 * t + 2]] = 1;
	for (size_t i = 0; i < n_pairs; i++) {
		size_t c = jdg_prep_cluster(&p, pairs[i].cluster_id);
		size_t j = jdg_prep_judge(&p, pairs[i].judge_id);
		jdg_sb_t b = { 0 };
		if (c == SIZE_MAX) {
			jdg_sb_printf(&b, "pair %zu: no cluster '%.*s'", i,
			              JDG_ASSIGN_MAX_ID_LEN, pairs[i].cluster_id);
			if (add(r, JDG_AV_UNKNOWN_CLUSTER, c, j, i, &b))
				goto oom;
		}
		if (j == SIZE_MAX) {
			jdg_sb_printf(&b, "pair %zu: no judge '%.*s'", i,
			              JDG_ASSIGN_MAX_ID_LEN, pairs[i].judge_id);
			if (add(r, JDG_AV_UNKNOWN_JUDGE, c, j, i, &b))
				goto oom;
		}
		if (c == SIZE_MAX || j == SIZE_MAX)
			continue;
		if (dup[i]) {
			jdg_sb_printf(&b, "pair %zu: judge '%s' is assigned to cluster "
			              "'%s' more than once", i, p.in->judges[j].id,
			              p.in->clusters[c].id);
			if (add(r, JDG_AV_DUPLICATE, c, j, i, &b))
				goto oom;
			continue; /* counted once */
		}
		cnt[c]++;
		load[j]++;
		if (pair_rules(&p, r, i, c, j))
			goto oom;
	}
	for (size_t c = 0; c < p.nc; c++) {
		if (cnt[c] == in->k)
			continue;
		jdg_sb_t b = { 0 };
		jdg_sb_printf(&b, "cluster '%s' has %zu judge%s, not k = %zu",
		              in->clusters[c].id, cnt[c], cnt[c] == 1 ? "" : "s",
		              in->k);
		if (add(r, cnt[c] < in->k ? JDG_AV_TOO_FEW : JDG_AV_TOO_MANY, c,
		        SIZE_MAX, SIZE_MAX, &b))
			goto oom;
	}
	for (size_t j = 0; j < p.nj; j++) {
		if (load[j] <= in->max_load)
			continue;
		jdg_sb_t b = { 0 };
		jdg_sb_printf(&b, "judge '%s' has %zu clusters, more than max_load "
		              "%zu", in->judges[j].id, load[j], in->max_load);
		if (add(r, JDG_AV_OVERLOAD, SIZE_MAX, j, SIZE_MAX, &b))
			goto oom;
	}
	free(cnt);
	free(load);
	free(tri);
	free(dup);
	jdg_prep_free(&p);
	*out = r;
	return CD_OK;
oom:
	free(cnt);
	free(load);
	free(tri);
	free(dup);
	jdg_prep_free(&p);
	jdg_assign_report_destroy(r);
	return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
}

void jdg_assign_report_destroy(jdg_assign_report_t *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].text);
	free(r->v);
	free(r);
}
