/* Paging through 10,000 clusters returns each exactly once, with and
 * without filters, also while records are added and removed between pages;
 * tokens are opaque and bound to their query. */
#include "fixture.h"

#include <stdio.h>
#include <string.h>

#define N 10000

static char err[256];
static char *dir;
static store_t *st;

static const char *economy_of(int i)
{
	return i % 3 == 0 ? "JP" : (i % 3 == 1 ? "CN/HK" : "US");
}

static int setup(void **state)
{
	(void)state;
	dir = fx_tmpdir();
	st = fx_open(dir, 0);
	store_op_t *ops = calloc(N, sizeof(*ops));
	fx_cluster_t *fs = calloc(N, sizeof(*fs));
	/* Insert in a scrambled order: the listing order must not depend
	 * on it. */
	for (int k = 0; k < N; k++) {
		int i = (int)(((long)k * 7919) % N);
		char id[32];
		snprintf(id, sizeof(id), "c%05d", i);
		fx_cluster_init(&fs[k], id, economy_of(i), NULL,
		                i % 2 ? "Odd City" : "Even City", NULL);
		ops[k].kind = STORE_CLUSTER_UPSERT;
		ops[k].cluster = &fs[k].c;
	}
	assert_int_equal(store_apply(st, ops, N), CD_OK);
	for (int k = 0; k < N; k++)
		assert_int_equal(ops[k].rc, CD_OK);
	free(ops);
	free(fs);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	store_close(st);
	fx_rmdir(dir);
	return 0;
}

/* Pages through the listing; seen[i] counts how often c<i> came back. */
static size_t page_all(const store_filter_t *flt, size_t page_size,
                       int *seen, int mutate)
{
	char *token = strdup("");
	size_t pages = 0, total = 0;
	char prev[32] = "";
	for (;;) {
		store_cluster_page_t pg;
		int rc = store_cluster_list(st, flt, page_size, token, &pg, err,
		                            sizeof(err));
		if (rc != CD_OK)
			fail_msg("page %zu: %s", pages, err);
		free(token);
		for (size_t i = 0; i < pg.n; i++) {
			int idx = atoi(pg.items[i]->id + 1);
			assert_true(strcmp(prev, pg.items[i]->id) < 0);
			snprintf(prev, sizeof(prev), "%s", pg.items[i]->id);
			assert_true(store_filter_match(flt, pg.items[i]));
			if (pg.items[i]->id[0] == 'c' && idx >= 0 && idx < N)
				seen[idx]++;
		}
		total += pg.n;
		pages++;
		if (pg.n > page_size)
			fail_msg("page larger than asked");
		token = strdup(pg.next_token);
		store_cluster_page_free(&pg);
		if (mutate && pages == 3) {
			/* Remove a record already returned and add one far
			 * ahead: neither may disturb what remains. */
			assert_int_equal(store_cluster_delete(st, "c00000", NULL,
			                                      err, sizeof(err)),
			                 CD_OK);
			fx_cluster_t f;
			fx_cluster_init(&f, "zz-new", "JP", NULL, "Odd City",
			                NULL);
			assert_int_equal(store_cluster_create(st, &f.c, NULL, err,
			                                      sizeof(err)),
			                 CD_OK);
		}
		if (!*token)
			break;
	}
	free(token);
	return total;
}

static void test_all(void **state)
{
	(void)state;
	int *seen = calloc(N, sizeof(int));
	assert_int_equal(page_all(NULL, 97, seen, 0), N);
	for (int i = 0; i < N; i++)
		assert_int_equal(seen[i], 1);
	free(seen);
}

static void test_filtered(void **state)
{
	(void)state;
	int *seen = calloc(N, sizeof(int));
	store_filter_t flt = {.economy = "HK"};
	size_t n = page_all(&flt, 50, seen, 0);
	size_t want = 0;
	for (int i = 0; i < N; i++) {
		int should = i % 3 == 1;
		want += should;
		assert_int_equal(seen[i], should);
	}
	assert_int_equal(n, want);

	/* Two filters, one through the index, one on the record. */
	memset(seen, 0, N * sizeof(int));
	flt = (store_filter_t){.economy = "JP", .city = "Odd City"};
	n = page_all(&flt, 333, seen, 0);
	want = 0;
	for (int i = 0; i < N; i++) {
		int should = i % 3 == 0 && i % 2 == 1;
		want += should;
		assert_int_equal(seen[i], should);
	}
	assert_int_equal(n, want);
	free(seen);
}

static void test_mutation_between_pages(void **state)
{
	(void)state;
	int *seen = calloc(N, sizeof(int));
	size_t n = page_all(NULL, 1000, seen, 1);
	/* c00000 was on page 1 and later deleted; zz-new was added ahead of
	 * the cursor and is returned (idx out of range). */
	assert_int_equal(n, N + 1);
	for (int i = 0; i < N; i++)
		assert_int_equal(seen[i], 1);
	free(seen);
}

static void test_page_sizes(void **state)
{
	(void)state;
	store_cluster_page_t pg;
	assert_int_equal(store_cluster_list(st, NULL, 0, NULL, &pg, err,
	                                    sizeof(err)),
	                 CD_OK);
	assert_int_equal(pg.n, STORE_PAGE_DEFAULT);
	store_cluster_page_free(&pg);
	assert_int_equal(store_cluster_list(st, NULL, 50000, NULL, &pg, err,
	                                    sizeof(err)),
	                 CD_OK);
	assert_int_equal(pg.n, STORE_PAGE_MAX);
	assert_string_not_equal(pg.next_token, "");
	store_cluster_page_free(&pg);
}

static void test_bad_tokens(void **state)
{
	(void)state;
	store_cluster_page_t pg;
	store_filter_t jp = {.economy = "JP"}, us = {.economy = "US"};

	assert_int_equal(store_cluster_list(st, &jp, 10, NULL, &pg, err,
	                                    sizeof(err)),
	                 CD_OK);
	char *tok = strdup(pg.next_token);
	store_cluster_page_free(&pg);
	/* The same token with other filters is refused. */
	assert_int_equal(store_cluster_list(st, &us, 10, tok, &pg, err,
	                                    sizeof(err)),
	                 CD_EPAGETOKEN);
	assert_non_null(strstr(err, "page_token"));
	assert_int_equal(store_cluster_list(st, &jp, 10, tok, &pg, err,
	                                    sizeof(err)),
	                 CD_OK);
	store_cluster_page_free(&pg);
	/* Tampered, garbage, wrong-kind tokens. */
	tok[2] = tok[2] == 'A' ? 'B' : 'A';
	assert_int_equal(store_cluster_list(st, &jp, 10, tok, &pg, err,
	                                    sizeof(err)),
	                 CD_EPAGETOKEN);
	free(tok);
	const char *garbage[] = {"!!!!", "A", "AAAA", "not a token"};
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(store_cluster_list(st, NULL, 10, garbage[i], &pg,
		                                    err, sizeof(err)),
		                 CD_EPAGETOKEN);
	store_competition_page_t cp;
	assert_int_equal(store_competition_list(st, 1, NULL, &cp, err,
	                                        sizeof(err)),
	                 CD_OK);
	store_competition_page_free(&cp);
	/* A cluster token is no competition token. */
	assert_int_equal(store_cluster_list(st, NULL, 1, NULL, &pg, err,
	                                    sizeof(err)),
	                 CD_OK);
	assert_int_equal(store_competition_list(st, 1, pg.next_token, &cp, err,
	                                        sizeof(err)),
	                 CD_EPAGETOKEN);
	store_cluster_page_free(&pg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all),
		cmocka_unit_test(test_filtered),
		cmocka_unit_test(test_page_sizes),
		cmocka_unit_test(test_bad_tokens),
		cmocka_unit_test(test_mutation_between_pages),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
