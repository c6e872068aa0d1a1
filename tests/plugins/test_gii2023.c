/* The WIPO GII 2023 sample (deploy/examples): st_output with the world
 * totals the published table implies (1,262,000 PCT applications,
 * 7,500,000 publications) reproduces the published ranks 1-17, ties in
 * the published one-decimal totals included (they are ordered by the
 * unrounded value), and each score is within rounding of the published
 * total share. */
#include <csv.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pt_util.h"

#define ROWS 17

typedef struct row {
	int rank;
	char name[128];
	double pct, pubs, total;
} row_t;

typedef struct reader {
	row_t rows[ROWS];
	size_t nrows, field;
	int header_seen;
	row_t cur;
} reader_t;

static void on_field(void *s, size_t len, void *data)
{
	reader_t *r = data;
	char buf[128];
	snprintf(buf, sizeof(buf), "%.*s", (int)len, (const char *)s);
	switch (r->field++) {
	case 0: r->cur.rank = atoi(buf); break;
	case 1: snprintf(r->cur.name, sizeof(r->cur.name), "%s", buf); break;
	case 3: r->cur.pct = strtod(buf, NULL); break;
	case 4: r->cur.pubs = strtod(buf, NULL); break;
	case 7: r->cur.total = strtod(buf, NULL); break;
	default: break;
	}
}

static void on_row(int c, void *data)
{
	(void)c;
	reader_t *r = data;
	r->field = 0;
	if (!r->header_seen) {
		r->header_seen = 1;
		return;
	}
	assert_true(r->nrows < ROWS);
	r->rows[r->nrows++] = r->cur;
}

static void load(reader_t *r)
{
	FILE *f = fopen(PT_EXAMPLES_DIR "/gii2023_st_clusters_top17.csv", "r");
	assert_non_null(f);
	struct csv_parser p;
	assert_int_equal(csv_init(&p, CSV_APPEND_NULL), 0);
	char line[1024];
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue; /* the file's notes */
		size_t n = strlen(line);
		assert_int_equal(csv_parse(&p, line, n, on_field, on_row, r), n);
	}
	csv_fini(&p, on_field, on_row, r);
	csv_free(&p);
	fclose(f);
	assert_int_equal(r->nrows, ROWS);
}

static double *scores;

static int by_score_desc(const void *a, const void *b)
{
	double x = scores[*(const int *)a], y = scores[*(const int *)b];
	return (x < y) - (x > y);
}

static void test_published_order(void **st)
{
	(void)st;
	reader_t r = { 0 };
	load(&r);
	plugin_cohort_t *c = pt_cohort();
	char id[16];
	for (size_t i = 0; i < ROWS; i++) {
		snprintf(id, sizeof(id), "gii-%02d", r.rows[i].rank);
		char err[256];
		assert_int_equal(plugin_cohort_add_cluster(c, id, r.rows[i].name,
		                                           NULL, NULL, NULL, err,
		                                           sizeof(err)), 0);
		/* The table's counts are 2018-2022 sums: one value per cluster. */
		pt_ind(c, "pct_applications", 2022, r.rows[i].pct);
		pt_ind(c, "scientific_publications", 2022, r.rows[i].pubs);
	}
	pt_seal(c);
	pt_env_t env;
	pt_env_open(&env, PT_BUILTIN_DIR);
	double out[ROWS];
	const char *p[] = { "total_a=1262000", "total_b=7500000", NULL };
	if (pt_score(&env, "st_output", p, c, out, NULL))
		fail_msg("%s", env.err);
	int order[ROWS];
	for (int i = 0; i < ROWS; i++)
		order[i] = i;
	scores = out;
	qsort(order, ROWS, sizeof(order[0]), by_score_desc);
	for (int k = 0; k < ROWS; k++) {
		const row_t *row = &r.rows[order[k]];
		if (row->rank != k + 1)
			fail_msg("position %d: got published rank %d (%s, %.3f)",
			         k + 1, row->rank, row->name, out[order[k]]);
		/* The published shares are rounded separately before summing,
		 * so the sum may differ by up to 0.1 point. */
		if (fabs(out[order[k]] - row->total) > 0.1)
			fail_msg("%s: %.3f vs published %.1f", row->name,
			         out[order[k]], row->total);
	}
	/* Tokyo-Yokohama: 100*127418/1262000 + 100*115020/7500000
	 *               = 10.0965 + 1.5336 = 11.6301 */
	pt_assert_near(out[0], 100 * 127418.0 / 1262000 +
	                                100 * 115020.0 / 7500000, PT_EPS);
	pt_assert_near(out[0], 11.6301, 1e-4);

	/* With the listed rows' own sums instead of world totals the order
	 * differs from the published one (the file's notes say so). */
	const char *own[] = { NULL };
	assert_int_equal(pt_score(&env, "st_output", own, c, out, NULL), 0);
	qsort(order, ROWS, sizeof(order[0]), by_score_desc);
	int same = 1;
	for (int k = 0; k < ROWS; k++)
		same &= r.rows[order[k]].rank == k + 1;
	assert_false(same);
	pt_env_close(&env);
	plugin_cohort_destroy(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_published_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
