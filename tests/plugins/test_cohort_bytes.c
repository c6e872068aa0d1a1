/* plugin_cohort built from strings given by their bytes (the _n calls):
 * it reads back exactly like one built from C strings, strings end at an
 * embedded NUL as C would see them, and the per-position hints never
 * mistake one string for another (prefixes, lengths, neighbours that
 * differ). Also the intern table's byte-string and guessed lookups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cd_error.h"
#include "plugin_cohort.h"
#include "cd_intern.h"
#include "plugin_internal.h"
#include "pt_util.h"

static cp_host_t host;
static plugin_host_ctx_t ctx;

static int setup(void **st)
{
	(void)st;
	plugin_host_setup(&host, &ctx);
	return 0;
}

/* Copies s into a buffer followed by garbage, so that a reader that relied
 * on a NUL after len bytes would misread it. */
static plugin_cohort_str_t span(const char *s)
{
	size_t n = strlen(s);
	char *p = malloc(n + 8);
	assert_non_null(p);
	memcpy(p, s, n);
	memcpy(p + n, "GARBAGE!", 8);
	return (plugin_cohort_str_t){ p, n };
}

static void unspan(plugin_cohort_str_t s)
{
	free((void *)s.s);
}

#define NCL 60

/* Strings chosen so that neighbours share prefixes and differ in length:
 * a hint that compared only a prefix would pick the wrong one. */
static const char *const names[] = { "rev", "revenue", "revenue_cny", "r",
                                     "revenue_cn" };
static const char *const cities[] = { "Foshan", "Fo", "Foshan City",
                                      "Shenzhen", "Shenzhe" };
static const char *const econ[] = { "CN", "CN/HK", "C", "", "CN/H" };

static const char *pick(const char *const *a, size_t i, size_t k)
{
	return a[(i * 7 + k * 3) % 5];
}

static void fill_cstr(plugin_cohort_t *c)
{
	char err[256], id[32];
	for (size_t i = 0; i < NCL; i++) {
		snprintf(id, sizeof(id), "c%zu", i);
		assert_int_equal(plugin_cohort_add_cluster(c, id, i % 3 ? id : "",
		                 pick(econ, i, 0), pick(cities, i, 1),
		                 pick(names, i, 2), err, sizeof(err)), CD_OK);
		for (size_t k = 0; k < i % 4; k++)
			assert_int_equal(plugin_cohort_add_city(c,
			                 pick(cities, i, k), err, sizeof(err)),
			                 CD_OK);
		for (size_t k = 0; k < 5; k++)
			assert_int_equal(plugin_cohort_add_indicator(c,
			                 pick(names, i, k), 2000 + (int)k,
			                 (double)(i * 10 + k), err, sizeof(err)),
			                 CD_OK);
		assert_int_equal(plugin_cohort_add_assessment(c,
		                 pick(cities, i, 3), pick(names, i, 4), 1.5,
		                 (int)i % 3, (int)i % 2, err, sizeof(err)), CD_OK);
		assert_int_equal(plugin_cohort_add_label(c, pick(names, i, 0),
		                 pick(econ, i, 2), err, sizeof(err)), CD_OK);
	}
	assert_int_equal(plugin_cohort_seal(c, err, sizeof(err)), CD_OK);
}

static void fill_bytes(plugin_cohort_t *c)
{
	char err[256], id[32];
	for (size_t i = 0; i < NCL; i++) {
		snprintf(id, sizeof(id), "c%zu", i);
		plugin_cohort_fields_t f = { span(id), span(i % 3 ? id : ""),
		                             span(pick(econ, i, 0)),
		                             span(pick(cities, i, 1)),
		                             span(pick(names, i, 2)) };
		assert_int_equal(plugin_cohort_add_cluster_n(c, &f, err,
		                 sizeof(err)), CD_OK);
		unspan(f.id);
		unspan(f.name);
		unspan(f.economy);
		unspan(f.region);
		unspan(f.industry);
		for (size_t k = 0; k < i % 4; k++) {
			plugin_cohort_str_t s = span(pick(cities, i, k));
			assert_int_equal(plugin_cohort_add_city_n(c, s, err,
			                 sizeof(err)), CD_OK);
			unspan(s);
		}
		for (size_t k = 0; k < 5; k++) {
			plugin_cohort_str_t s = span(pick(names, i, k));
			assert_int_equal(plugin_cohort_add_indicator_n(c, s,
			                 2000 + (int)k, (double)(i * 10 + k), err,
			                 sizeof(err)), CD_OK);
			unspan(s);
		}
		plugin_cohort_str_t j = span(pick(cities, i, 3)),
		                    k = span(pick(names, i, 4));
		assert_int_equal(plugin_cohort_add_assessment_n(c, j, k, 1.5,
		                 (int)i % 3, (int)i % 2, err, sizeof(err)), CD_OK);
		unspan(j);
		unspan(k);
		plugin_cohort_str_t lk = span(pick(names, i, 0)),
		                    lv = span(pick(econ, i, 2));
		assert_int_equal(plugin_cohort_add_label_n(c, lk, lv, err,
		                 sizeof(err)), CD_OK);
		unspan(lk);
		unspan(lv);
	}
	assert_int_equal(plugin_cohort_seal(c, err, sizeof(err)), CD_OK);
}

static void assert_same(const char *a, const char *b)
{
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a, b);
}

static void test_bytes_read_back_as_cstrings(void **st)
{
	(void)st;
	plugin_cohort_t *a = pt_cohort(), *b = pt_cohort();
	fill_cstr(a);
	fill_bytes(b);
	assert_int_equal(plugin_cohort_size(a), NCL);
	assert_int_equal(plugin_cohort_size(b), NCL);
	for (size_t i = 0; i < NCL; i++) {
		cp_cluster_t x = cp_cohort_at(&host, a, i),
		             y = cp_cohort_at(&host, b, i);
		assert_same(cp_cluster_id(&host, x), cp_cluster_id(&host, y));
		assert_same(cp_cluster_name(&host, x),
		            cp_cluster_name(&host, y));
		assert_same(cp_cluster_economy(&host, x),
		            cp_cluster_economy(&host, y));
		assert_same(cp_cluster_region(&host, x),
		            cp_cluster_region(&host, y));
		assert_same(cp_cluster_industry(&host, x),
		            cp_cluster_industry(&host, y));
		/* The expected strings, not only the same ones. */
		assert_string_equal(cp_cluster_economy(&host, y),
		                    pick(econ, i, 0));
		assert_string_equal(cp_cluster_region(&host, y),
		                    pick(cities, i, 1));
		size_t nc = cp_cluster_city_count(&host, x);
		assert_int_equal(nc, i % 4);
		assert_int_equal(cp_cluster_city_count(&host, y), nc);
		for (size_t k = 0; k < nc; k++)
			assert_string_equal(cp_cluster_city(&host, y, k),
			                    pick(cities, i, k));
		for (size_t k = 0; k < 5; k++) {
			const char *nm = names[k];
			int yx = 0, yy = 0;
			double vx = -1, vy = -2;
			int hx = cp_indicator_latest(&host, x, nm, &yx, &vx),
			    hy = cp_indicator_latest(&host, y, nm, &yy, &vy);
			assert_int_equal(hx, hy);
			if (hx) {
				assert_int_equal(yx, yy);
				assert_true(vx == vy);
			}
			assert_same(cp_label(&host, y, pick(names, i, 0)),
			            pick(econ, i, 2));
		}
		cp_assessment_t ax, ay;
		assert_int_equal(cp_assessment_at(&host, x, 0, &ax), 1);
		assert_int_equal(cp_assessment_at(&host, y, 0, &ay), 1);
		assert_string_equal(ay.judge, pick(cities, i, 3));
		assert_string_equal(ay.criterion, pick(names, i, 4));
		assert_same(ax.judge, ay.judge);
		assert_same(ax.criterion, ay.criterion);
		assert_int_equal(ax.round, ay.round);
		assert_int_equal(ax.recused, ay.recused);
	}
	plugin_cohort_destroy(a);
	plugin_cohort_destroy(b);
}

/* A string holding a NUL ends there, as the C-string calls see it. */
static void test_embedded_nul(void **st)
{
	(void)st;
	plugin_cohort_t *c = pt_cohort();
	char err[256];
	plugin_cohort_fields_t f = {
		{ "x1\0tail", 7 }, { "Name\0more", 9 }, { "CN\0/HK", 6 },
		{ NULL, 0 }, { "\0ICT", 4 } };
	assert_int_equal(plugin_cohort_add_cluster_n(c, &f, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(plugin_cohort_add_indicator_n(c,
	                 (plugin_cohort_str_t){ "rev\0a", 5 }, 2020, 1, err,
	                 sizeof(err)), CD_OK);
	/* "rev\0b" is "rev" again: the same (name, year) twice. */
	assert_int_equal(plugin_cohort_add_indicator_n(c,
	                 (plugin_cohort_str_t){ "rev\0b", 5 }, 2020, 2, err,
	                 sizeof(err)), CD_EV_DUPLICATE);
	assert_non_null(strstr(err, "indicator 'rev' 2020"));
	assert_int_equal(plugin_cohort_add_indicator_n(c,
	                 (plugin_cohort_str_t){ "\0rev", 4 }, 2020, 2, err,
	                 sizeof(err)), CD_EV_INDICATOR_NAME);
	assert_int_equal(plugin_cohort_add_city_n(c,
	                 (plugin_cohort_str_t){ "\0", 1 }, err, sizeof(err)),
	                 CD_EV_EMPTY);
	assert_int_equal(plugin_cohort_add_label_n(c,
	                 (plugin_cohort_str_t){ "k\0", 2 },
	                 (plugin_cohort_str_t){ "v\0w", 3 }, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(plugin_cohort_add_label_n(c,
	                 (plugin_cohort_str_t){ "k", 1 },
	                 (plugin_cohort_str_t){ "z", 1 }, err, sizeof(err)),
	                 CD_EV_DUPLICATE);
	plugin_cohort_fields_t g = { { "\0y", 2 }, { 0 }, { 0 }, { 0 }, { 0 } };
	assert_int_equal(plugin_cohort_add_cluster_n(c, &g, err, sizeof(err)),
	                 CD_EV_ID);
	assert_int_equal(plugin_cohort_seal(c, err, sizeof(err)), CD_OK);
	cp_cluster_t x = cp_cohort_at(&host, c, 0);
	assert_string_equal(cp_cluster_id(&host, x), "x1");
	assert_string_equal(cp_cluster_name(&host, x), "Name");
	assert_string_equal(cp_cluster_economy(&host, x), "CN");
	assert_string_equal(cp_cluster_region(&host, x), "");
	assert_string_equal(cp_cluster_industry(&host, x), "");
	assert_string_equal(cp_label(&host, x, "k"), "v");
	double v = 0;
	assert_int_equal(cp_indicator(&host, x, "rev", 2020, &v), 1);
	assert_true(v == 1);
	plugin_cohort_destroy(c);
}

static void test_intern_bytes_and_hints(void **st)
{
	(void)st;
	cd_arena_t a = { 0 };
	cd_intern_t t;
	cd_intern_init(&t, 1000);
	uint32_t abc, ab, hint = CD_NOID, id;
	assert_int_equal(cd_intern_add_n(&t, &a, "abcdefghijk", 11, &hint,
	                                     &abc), CD_OK);
	assert_int_equal(hint, abc);
	/* A prefix of the hint's string is another string. */
	assert_int_equal(cd_intern_add_fast(&t, &a, "abcdefghij", 10,
	                                        &hint, &ab), CD_OK);
	assert_int_not_equal(ab, abc);
	assert_int_equal(hint, ab);
	/* A longer string that starts with the hint's string, too. */
	assert_int_equal(cd_intern_add_fast(&t, &a, "abcdefghijk", 11,
	                                        &hint, &id), CD_OK);
	assert_int_equal(id, abc);
	/* A hint out of range or wrong is only a hint. */
	hint = 999;
	assert_int_equal(cd_intern_add_fast(&t, &a, "abcdefghij", 10,
	                                        &hint, &id), CD_OK);
	assert_int_equal(id, ab);
	assert_int_equal(cd_intern_add_n(&t, &a, "abcdefghij", 10, NULL,
	                                     &id), CD_OK);
	assert_int_equal(id, ab);
	assert_int_equal(cd_intern_find(&t, &a, "abcdefghijk"), abc);
	assert_int_equal(cd_intern_find_guess(&t, &a, "abcdefghijk", ab),
	                 abc);
	assert_int_equal(cd_intern_find_guess(&t, &a, "abcdefghijk", 77),
	                 abc);
	assert_int_equal(cd_intern_find_guess(&t, &a, "abcdefghij", ab),
	                 ab);
	assert_int_equal(cd_intern_find_guess(&t, &a, "nope", ab),
	                 CD_NOID);
	/* Many strings: the table regrows and every id still resolves. */
	char s[32];
	uint32_t ids[300];
	for (int i = 0; i < 300; i++) {
		int n = snprintf(s, sizeof(s), "s%d-%s", i, i % 2 ? "x" : "");
		assert_int_equal(cd_intern_add_n(&t, &a, s, (size_t)n, NULL,
		                                     &ids[i]), CD_OK);
	}
	for (int i = 0; i < 300; i++) {
		snprintf(s, sizeof(s), "s%d-%s", i, i % 2 ? "x" : "");
		assert_int_equal(cd_intern_find(&t, &a, s), ids[i]);
		assert_string_equal(cd_intern_str(&t, &a, ids[i]), s);
	}
	assert_int_equal(cd_intern_find(&t, &a, "abcdefghij"), ab);
	cd_intern_free(&t);
	cd_arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes_read_back_as_cstrings),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_intern_bytes_and_hints),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
