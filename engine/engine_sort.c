/* Sorting for ranks: LSD radix sort on (key, index) pairs, which is stable,
 * so ties keep the order of the input (the tie-break order). Doubles map to
 * unsigned keys that order the same way. */
#include "engine_internal.h"

#include <stdlib.h>
#include <string.h>

#include "cd_error.h"

#define DIGIT_BITS 11
#define DIGITS 6                        /* 6 * 11 >= 64 */
#define BUCKETS (1u << DIGIT_BITS)

static uint64_t key_of(double x)
{
	uint64_t u;
	if (x == 0)
		x = 0;                          /* -0 sorts as +0 */
	memcpy(&u, &x, sizeof(u));
	u = (u >> 63) ? ~u : u | (1ull << 63);
	return ~u;                          /* descending */
}

void engine_sorter_fini(engine_sorter_t *s)
{
	free(s->a);
	free(s->b);
	memset(s, 0, sizeof(*s));
}

static int reserve(engine_sorter_t *s, size_t n)
{
	if (n <= s->cap)
		return CD_OK;
	engine_pair_t *a = realloc(s->a, n * sizeof(*a));
	if (!a)
		return CD_ENOMEM;
	s->a = a;
	engine_pair_t *b = realloc(s->b, n * sizeof(*b));
	if (!b)
		return CD_ENOMEM;
	s->b = b;
	s->cap = n;
	return CD_OK;
}

static void insertion(engine_pair_t *a, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		engine_pair_t x = a[i];
		size_t j = i;
		while (j > 0 && a[j - 1].key > x.key) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = x;
	}
}

/* Sorts the (key, index) pairs of idx[0..n) into *out (s's scratch). */
static int sort_pairs(engine_sorter_t *s, const uint32_t *idx, size_t n,
                      const double *key, const engine_pair_t **out)
{
	int rc = reserve(s, n ? n : 1);
	if (rc)
		return rc;
	engine_pair_t *a = s->a, *b = s->b;
	for (size_t i = 0; i < n; i++) {
		a[i].key = key_of(key[idx[i]]);
		a[i].idx = idx[i];
	}
	if (n <= 32) {
		insertion(a, n);
	} else {
		uint32_t (*hist)[BUCKETS] = calloc(DIGITS, sizeof(*hist));
		if (!hist)
			return CD_ENOMEM;
		for (size_t i = 0; i < n; i++)
			for (unsigned d = 0; d < DIGITS; d++)
				hist[d][(a[i].key >> (d * DIGIT_BITS)) & (BUCKETS - 1)]++;
		for (unsigned d = 0; d < DIGITS; d++) {
			uint32_t *h = hist[d];
			unsigned shift = d * DIGIT_BITS;
			/* A digit every key shares moves nothing. */
			if (h[(a[0].key >> shift) & (BUCKETS - 1)] == n)
				continue;
			uint32_t sum = 0;
			for (unsigned k = 0; k < BUCKETS; k++) {
				uint32_t c = h[k];
				h[k] = sum;
				sum += c;
			}
			for (size_t i = 0; i < n; i++)
				b[h[(a[i].key >> shift) & (BUCKETS - 1)]++] = a[i];
			engine_pair_t *t = a;
			a = b;
			b = t;
		}
		free(hist);
	}
	*out = a;
	return CD_OK;
}

int engine_sort_desc(engine_sorter_t *s, uint32_t *idx, size_t n,
                     const double *key)
{
	if (n < 2)
		return CD_OK;
	const engine_pair_t *a;
	int rc = sort_pairs(s, idx, n, key, &a);
	for (size_t i = 0; i < n && !rc; i++)
		idx[i] = a[i].idx;
	return rc;
}

int engine_sort_desc_pairs(engine_sorter_t *s, const uint32_t *idx,
                           size_t n, const double *key,
                           const engine_pair_t **sorted)
{
	return sort_pairs(s, idx, n, key, sorted);
}

/* Merge sort by id: only for cohorts not added in id order. */
static void merge_ids(uint32_t *v, uint32_t *tmp, size_t n,
                      const engine_cohort_t *c, const uint32_t *member)
{
	if (n < 2)
		return;
	size_t h = n / 2;
	merge_ids(v, tmp, h, c, member);
	merge_ids(v + h, tmp, n - h, c, member);
	size_t i = 0, j = h, k = 0;
	while (i < h && j < n) {
		const char *x = engine_cohort_id(c, member[v[i]]);
		const char *y = engine_cohort_id(c, member[v[j]]);
		tmp[k++] = strcmp(y, x) < 0 ? v[j++] : v[i++];
	}
	while (i < h)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
}

int engine_sort_ids(uint32_t *pos, size_t n, const engine_cohort_t *c,
                    const uint32_t *member)
{
	if (n < 2)
		return CD_OK;
	uint32_t *tmp = malloc(n * sizeof(*tmp));
	if (!tmp)
		return CD_ENOMEM;
	merge_ids(pos, tmp, n, c, member);
	free(tmp);
	return CD_OK;
}
