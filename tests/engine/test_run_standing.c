/* The standings packer: chunks that concatenate to a ListStandingsResponse
 * equal to the Run's standings; the inline cap of engine_run_build. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "th.h"

#define NORM(x) CLUSTERS__V1__NORMALIZATION__NORMALIZATION_##x

static const th_cluster_t six[] = {
	{ .id = "a", .region = "R1", .industry = "X" },
	{ .id = "b", .region = "R1", .industry = "Y" },
	{ .id = "c", .region = "R2" }, { .id = "d", .region = "R2" },
	{ .id = "e" }, { .id = "f" },
};

typedef struct fx {
	Clusters__V1__Competition *def;
	engine_cohort_t *c;
	th_scores_t s;
	engine_result_t *res;
} fx_t;

/* Two rounds with a quota, a missing score and sensitivity: every part
 * of a standing has something in it. */
static void setup(fx_t *f, int32_t top_n)
{
	memset(f, 0, sizeof(*f));
	f->def = th_comp("c");
	Clusters__V1__Round *r = th_round(f->def, "prelim");
	th_crit(r, "x", 2, NORM(MIN_MAX));
	th_crit(r, "y", 1, NORM(NONE));
	th_sel(r)->top_n = top_n;
	th_sel(r)->max_per_region = 1;
	r = th_round(f->def, "final");
	th_crit(r, "z", 1, NORM(RANK));
	th_sel(r)->top_n = 1;
	f->c = th_cohort(f->def, six, 6);
	f->s.crit[0] = "x";
	f->s.spec[0] = "a=6;b=5;c=4;d=3;e=2;f=-|gone";
	f->s.crit[1] = "y";
	f->s.spec[1] = "a=1;b=1;c=1;d=1;e=1;f=1";
	f->s.crit[2] = "z";
	f->s.spec[2] = "a=1;b=2;c=3;d=4;e=5";
	engine_opts_t o = { .scorer = th_scorer, .scorer_arg = &f->s,
	                    .samples = 8, .jitter_pct = 20, .seed = 5 };
	char err[256];
	assert_int_equal(engine_evaluate(f->def, f->c, &o, &f->res, err,
	                                 sizeof(err)), CD_OK);
}

static void done(fx_t *f)
{
	engine_result_destroy(f->res);
	th_cohort_free(f->c);
	th_comp_free(f->def);
}

static void same_standing(const Clusters__V1__Standing *x,
                          const Clusters__V1__Standing *y)
{
	size_t nx = clusters__v1__standing__get_packed_size(x);
	size_t ny = clusters__v1__standing__get_packed_size(y);
	assert_int_equal(nx, ny);
	uint8_t *bx = malloc(nx + 1), *by = malloc(ny + 1);
	assert_non_null(bx);
	assert_non_null(by);
	clusters__v1__standing__pack(x, bx);
	clusters__v1__standing__pack(y, by);
	assert_memory_equal(bx, by, nx);
	free(bx);
	free(by);
}

static void check_pack(fx_t *f, const engine_run_opts_t *o)
{
	Clusters__V1__Run *run;
	char err[128];
	assert_int_equal(engine_run_build(f->res, o, &run, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(run->n_standings, 6);
	/* Three chunks, one of them empty, into one buffer. */
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	size_t cut[] = { 0, 2, 2, 6 };
	for (int i = 0; i < 3; i++)
		assert_int_equal(engine_standings_pack(f->res, o, cut[i],
		                                       cut[i + 1], &buf, &len,
		                                       &cap, err, sizeof(err)),
		                 CD_OK);
	Clusters__V1__ListStandingsResponse *l =
		clusters__v1__list_standings_response__unpack(NULL, len, buf);
	assert_non_null(l);
	assert_int_equal(l->n_standings, 6);
	for (size_t i = 0; i < 6; i++)
		same_standing(l->standings[i], run->standings[i]);
	clusters__v1__list_standings_response__free_unpacked(l, NULL);
	free(buf);
	engine_run_free(run);
}

static void t_pack_equals_build(void **st)
{
	(void)st;
	fx_t f;
	setup(&f, 0);
	check_pack(&f, NULL);
	engine_run_opts_t o = { .without_scores = 1 };
	check_pack(&f, &o);
	done(&f);
}

static void t_pack_errors(void **st)
{
	(void)st;
	fx_t f;
	setup(&f, 0);
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	char err[128];
	assert_int_equal(engine_standings_pack(f.res, NULL, 3, 2, &buf, &len,
	                                       &cap, err, sizeof(err)),
	                 CD_EINVAL);
	assert_string_equal(err, "standings: range [3, 2) of 6 standings, or "
	                    "the buffer, is not valid");
	assert_int_equal(engine_standings_pack(f.res, NULL, 0, 7, &buf, &len,
	                                       &cap, err, sizeof(err)),
	                 CD_EINVAL);
	len = 1;   /* more used than held */
	assert_int_equal(engine_standings_pack(f.res, NULL, 0, 1, &buf, &len,
	                                       &cap, err, sizeof(err)),
	                 CD_EINVAL);
	assert_int_equal(engine_standings_pack(f.res, NULL, 0, 1, NULL, &len,
	                                       &cap, err, sizeof(err)),
	                 CD_EINVAL);
	assert_null(buf);
	done(&f);
}

/* One round selecting all six: inline the first 2, then selected ones
 * up to 2 more, never all of them. */
static void t_inline_cap(void **st)
{
	(void)st;
	Clusters__V1__Competition *def = th_comp("c");
	th_crit(th_round(def, "only"), "x", 1, NORM(NONE));
	engine_cohort_t *c = th_cohort(def, six, 6);
	th_scores_t s = { .crit = { "x" },
	                  .spec = { "a=6;b=5;c=4;d=3;e=2;f=1" } };
	engine_result_t *res = th_eval(def, c, &s, CD_OK);
	engine_run_opts_t o = { .max_standings = 2 };
	Clusters__V1__Run *run;
	char err[128];
	assert_int_equal(engine_run_build(res, &o, &run, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(run->n_standings, 4);
	assert_string_equal(run->standings[3]->cluster_id, "d");
	assert_int_equal(run->standings_total, 6);
	assert_int_equal(run->n_warnings, 1);
	assert_string_equal(run->warnings[0], "standings: 4 of 6 inline (the "
	                    "first 2 and 2 selected clusters after them); "
	                    "ListStandings pages through all 6");
	engine_run_free(run);
	engine_result_destroy(res);
	th_cohort_free(c);
	th_comp_free(def);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_pack_equals_build),
		cmocka_unit_test(t_pack_errors),
		cmocka_unit_test(t_inline_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
