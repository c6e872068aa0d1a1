/* Selection rules and quotas, by hand. One criterion, scores as listed;
 * ranking a b c d e f h g i. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "th.h"

#define NORM(x) CLUSTERS__V1__NORMALIZATION__NORMALIZATION_##x

static const th_cluster_t pool[] = {
	{ .id = "a", .economy = "CN", .region = "GD", .cities = "Shenzhen",
	  .industry = "elec" },
	{ .id = "b", .economy = "CN/HK", .region = "GD",
	  .cities = "Shenzhen,Hong Kong", .industry = "elec" },
	{ .id = "c", .economy = "HK", .region = "HK", .cities = "Hong Kong",
	  .industry = "fin" },
	{ .id = "d", .economy = "CN", .region = "JS", .cities = "Suzhou",
	  .industry = "bio" },
	{ .id = "e", .economy = "US", .region = "CA", .cities = "San Jose",
	  .industry = "elec" },
	{ .id = "f", .economy = "CN", .region = "JS", .cities = "Suzhou,Wuxi",
	  .industry = "bio" },
	{ .id = "g", .economy = "HK", .region = "HK", .cities = "Hong Kong",
	  .industry = "fin" },
	{ .id = "h", .economy = "CN", .region = "GD", .cities = "Shenzhen",
	  .industry = "auto" },
	{ .id = "i", .economy = "DE", .region = "BY", .cities = "Munich",
	  .industry = "auto" },
};

static const char *scores =
	"a=100;b=90;c=80;d=70;e=60;f=50;g=40;h=45;i=35";

typedef struct rule {
	int32_t top_n, econ, region, city;
	int leaders, has_min;
	double min;
} rule_t;

/* The ids selected under r, in id order. */
static const char *selected(rule_t r)
{
	static char out[64];
	Clusters__V1__Competition *def = th_comp("c");
	Clusters__V1__Round *rd = th_round(def, "r");
	th_crit(rd, "k", 1, NORM(NONE));
	Clusters__V1__Selection *s = th_sel(rd);
	s->top_n = r.top_n;
	s->max_per_economy = r.econ;
	s->max_per_region = r.region;
	s->max_per_city = r.city;
	s->industry_leaders = r.leaders;
	if (r.has_min)
		th_min_score(s, r.min);
	engine_cohort_t *c = th_cohort(def, pool, 9);
	th_scores_t sc = { .crit = { "k" }, .spec = { scores } };
	engine_result_t *res = th_eval(def, c, &sc, CD_OK);
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < 9; i++)
		if (th_selected(res, pool[i].id))
			used += (size_t)snprintf(out + used, sizeof(out) - used,
			                         "%s%s", used ? " " : "", pool[i].id);
	assert_int_equal(res->rounds[0].nselected, res->summary.selected);
	engine_result_destroy(res);
	th_cohort_free(c);
	th_comp_free(def);
	return out;
}

static void t_no_rules(void **st)
{
	(void)st;
	assert_string_equal(selected((rule_t){ 0 }), "a b c d e f g h i");
}

static void t_top_n(void **st)
{
	(void)st;
	assert_string_equal(selected((rule_t){ .top_n = 3 }), "a b c");
	assert_string_equal(selected((rule_t){ .top_n = 20 }),
	                    "a b c d e f g h i");
}

static void t_min_score(void **st)
{
	(void)st;
	/* d has 70 < 75 */
	assert_string_equal(selected((rule_t){ .has_min = 1, .min = 75 }),
	                    "a b c");
	assert_string_equal(selected((rule_t){ .has_min = 1, .min = 75,
	                                       .top_n = 2 }), "a b");
	/* The floor is inclusive. */
	assert_string_equal(selected((rule_t){ .has_min = 1, .min = 80 }),
	                    "a b c");
}

static void t_max_per_economy(void **st)
{
	(void)st;
	/* 2: a CN1; b CN2 + HK1 (counts in both parts); c HK2; d, f, h CN
	 * full; e US1; g HK full (it would fit if b had not counted for HK);
	 * i DE1. */
	assert_string_equal(selected((rule_t){ .econ = 2 }), "a b c e i");
	/* 1: b is refused because CN is full, even though HK is not. */
	assert_string_equal(selected((rule_t){ .econ = 1 }), "a c e i");
}

static void t_max_per_region(void **st)
{
	(void)st;
	/* a GD, c HK, d JS, e CA, i BY; b, h (GD), f (JS), g (HK) refused */
	assert_string_equal(selected((rule_t){ .region = 1 }), "a c d e i");
}

static void t_max_per_city(void **st)
{
	(void)st;
	/* 2: a Shenzhen1; b Shenzhen2 + Hong Kong1; c Hong Kong2; d Suzhou1;
	 * e; f Suzhou2 + Wuxi1; h Shenzhen full; g Hong Kong full (b counted
	 * there too); i. */
	assert_string_equal(selected((rule_t){ .city = 2 }), "a b c d e f i");
	/* 1: b refused for Shenzhen; f for Suzhou. */
	assert_string_equal(selected((rule_t){ .city = 1 }), "a c d e i");
}

static void t_industry_leaders(void **st)
{
	(void)st;
	/* Leaders first in rank order: a (elec), c (fin), d (bio); top 3 is
	 * then full, so b (90) is left out. */
	assert_string_equal(selected((rule_t){ .leaders = 1, .top_n = 3 }),
	                    "a c d");
	/* Without leaders: by score. */
	assert_string_equal(selected((rule_t){ .top_n = 3 }), "a b c");
	/* Top 4: the four industries' leaders a, c, d, h (auto, 45), ahead of
	 * b (90). Top 5: then b by score. */
	assert_string_equal(selected((rule_t){ .leaders = 1, .top_n = 4 }),
	                    "a c d h");
	assert_string_equal(selected((rule_t){ .leaders = 1, .top_n = 5 }),
	                    "a b c d h");
	/* Leaders obey quotas: h (auto) cannot have Shenzhen, so i leads
	 * auto. Without leaders e (60) would take the fourth place. */
	assert_string_equal(selected((rule_t){ .leaders = 1, .top_n = 4,
	                                       .city = 1 }), "a c d i");
	assert_string_equal(selected((rule_t){ .top_n = 4, .city = 1 }),
	                    "a c d e");
	/* max 1 per economy: bio has no leader (d and f are CN, taken by a);
	 * i leads auto; then e by score. */
	assert_string_equal(selected((rule_t){ .leaders = 1, .econ = 1 }),
	                    "a c e i");
	/* And the score floor: d would lead bio but has 70 < 75. */
	assert_string_equal(selected((rule_t){ .leaders = 1, .has_min = 1,
	                                       .min = 75 }), "a b c");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_no_rules),
		cmocka_unit_test(t_top_n),
		cmocka_unit_test(t_min_score),
		cmocka_unit_test(t_max_per_economy),
		cmocka_unit_test(t_max_per_region),
		cmocka_unit_test(t_max_per_city),
		cmocka_unit_test(t_industry_leaders),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
