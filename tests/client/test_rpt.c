/* Units of the report renderer (client/report): escaping, cutting,
 * number formats, scales, chart markup, and out of memory. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cd_error.h"
#include "rpt_internal.h"

static void test_escape(void **state)
{
	(void)state;
	rpt_out_t o = {0};
	rpt_esc(&o, "a<b>&\"c\" 'd'");
	rpt_esc(&o, NULL);
	assert_false(o.failed);
	assert_string_equal(o.buf, "a&lt;b&gt;&amp;&quot;c&quot; &#39;d&#39;");
	free(o.buf);
}

static void test_cut(void **state)
{
	(void)state;
	rpt_out_t o = {0};
	rpt_esc_cut(&o, "short", 10);
	rpt_put(&o, "|");
	rpt_esc_cut(&o, "abcdefghij", 10);   /* exactly fits */
	rpt_put(&o, "|");
	rpt_esc_cut(&o, "abcdefghijk", 10);  /* one over: 9 + ellipsis */
	rpt_put(&o, "|");
	/* Five three-byte characters cut to four: never inside one. */
	rpt_esc_cut(&o, "\xe6\xb7\xb1\xe5\x9c\xb3\xe9\xa6\x99\xe6\xb8\xaf\xe5\xb9\xbf", 4);
	rpt_put(&o, "|");
	rpt_esc_cut(&o, "<<<<<", 3);  /* cut, then escaped */
	assert_string_equal(o.buf, "short|abcdefghij|abcdefghi\xe2\x80\xa6|"
	                    "\xe6\xb7\xb1\xe5\x9c\xb3\xe9\xa6\x99\xe2\x80\xa6|"
	                    "&lt;&lt;\xe2\x80\xa6");
	free(o.buf);
}

static void test_numbers(void **state)
{
	(void)state;
	char b[48];
	struct { double v; const char *want; } cases[] = {
		{0, "0"}, {-0.0, "0"}, {12.345, "12.35"}, {0.000123, "0.000123"},
		{9999, "9999"}, {10000, "10,000"}, {243300, "243,300"},
		{-54321.4, "-54,321"}, {999999.4, "999,999"},
		{2.433e6, "2.433 M"}, {4.807e11, "480.7 bn"}, {-3e12, "-3 tn"},
		{2e15, "2e+15"}, {NAN, "\xe2\x80\x93"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rpt_numfmt(b, sizeof(b), cases[i].v);
		assert_string_equal(b, cases[i].want);
	}
	rpt_out_t o = {0};
	rpt_coord(&o, 12.0);
	rpt_put(&o, " ");
	rpt_coord(&o, 12.25);
	rpt_put(&o, " ");
	rpt_coord(&o, -0.01);
	rpt_put(&o, " ");
	rpt_coord(&o, INFINITY);
	rpt_put(&o, " ");
	rpt_pct(&o, 0.125);
	assert_string_equal(o.buf, "12 12.2 0 0 12%");
	free(o.buf);
}

static void test_nice(void **state)
{
	(void)state;
	double lo = 0, hi = 87.3, step;
	rpt_nice(&lo, &hi, &step);
	assert_true(lo == 0 && hi == 100 && step == 20);
	lo = -13;
	hi = 42;
	rpt_nice(&lo, &hi, &step);
	assert_true(lo == -20 && hi == 60 && step == 20);
	/* One value: a range that keeps 0 in view. */
	lo = hi = 5;
	rpt_nice(&lo, &hi, &step);
	assert_true(lo <= 0 && hi >= 5 && step > 0);
	lo = hi = 0;
	rpt_nice(&lo, &hi, &step);
	assert_true(hi > lo && step > 0);
	lo = NAN;
	hi = 1;
	rpt_nice(&lo, &hi, &step);
	assert_true(hi > lo && step > 0);
	rpt_scale_t s = {0, 100, 200, 700};
	assert_true(rpt_at(&s, 50) == 450);
	rpt_scale_t flat = {3, 3, 10, 20};
	assert_true(rpt_at(&flat, 7) == 10);
}

static void test_chart(void **state)
{
	(void)state;
	rpt_out_t o = {0};
	char id[16];
	rpt_chart_open(&o, "ranking", 900, 400.5, "Top <10>", "A & B", id);
	rpt_pattern_def(&o, id, 9);
	rpt_chart_close(&o, "cap");
	assert_string_equal(id, "c1");
	assert_non_null(strstr(o.buf, "<figure class=\"chart\" "
	                       "data-chart=\"ranking\"><svg role=\"img\" "
	                       "aria-labelledby=\"c1-t c1-d\" viewBox=\"0 0 "
	                       "900 400.5\""));
	assert_non_null(strstr(o.buf, "<title id=\"c1-t\">Top &lt;10&gt;"
	                       "</title><desc id=\"c1-d\">A &amp; B</desc>"));
	/* Series 9 takes colour 1 and its pattern (marks only, drawn over
	 * the colour), with its own id; series 0 and 8 are plain colour. */
	assert_non_null(strstr(o.buf, "<pattern id=\"c1-p9\""));
	assert_non_null(strstr(o.buf, "stroke=\"#fff\""));
	assert_string_equal(rpt_colour(9), "#E69F00");
	assert_false(rpt_pattern_marked(0));
	assert_false(rpt_pattern_marked(8));
	assert_true(rpt_pattern_marked(9));
	size_t before = o.len;
	rpt_pattern_def(&o, id, 8);
	assert_int_equal(o.len, before);
	assert_non_null(strstr(o.buf, "<figcaption><b>Top &lt;10&gt;.</b> "
	                       "cap</figcaption></figure>"));
	rpt_chart_open(&o, "funnel", 10, 10, "t", "d", id);
	assert_string_equal(id, "c2");
	free(o.buf);
}

static void test_failed_is_sticky(void **state)
{
	(void)state;
	rpt_out_t o = {0};
	o.failed = 1;
	rpt_put(&o, "x");
	rpt_printf(&o, "%d", 1);
	rpt_esc(&o, "<");
	assert_null(o.buf);
	/* A long printf goes through the second pass. */
	rpt_out_t p = {0};
	char big[1000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	rpt_printf(&p, "[%s]", big);
	assert_int_equal(p.len, 1001);
	assert_int_equal(p.buf[1000], ']');
	free(p.buf);
}

/* A minimal run: every section renders, and sections without data
 * (no sensitivity, no baseline, nothing selected) are left out or say
 * so instead of drawing empty charts. */
static void test_render_empty_run(void **state)
{
	(void)state;
	Clusters__V1__Run run = CLUSTERS__V1__RUN__INIT;
	Clusters__V1__RoundStats rs = CLUSTERS__V1__ROUND_STATS__INIT;
	Clusters__V1__RoundStats *rsp = &rs;
	run.id = "r1";
	run.competition_id = "c<1>";
	run.n_rounds = 1;
	run.rounds = &rsp;
	rs.round = "only";
	rpt_round_t rr = {&rs, NULL, 0, 0, 0};
	rpt_data_t d = {.run = &run, .rounds = &rr, .nrounds = 1, .top_n = 10,
	                .generated = "now"};
	char *html;
	size_t len;
	assert_int_equal(rpt_render(&d, &html, &len), CD_OK);
	assert_int_equal(strlen(html), len);
	assert_non_null(strstr(html, "<section id=\"funnel\">"));
	assert_non_null(strstr(html, "No cluster was ranked in this round."));
	assert_non_null(strstr(html, "No cluster was selected."));
	assert_non_null(strstr(html, "c&lt;1&gt;"));
	assert_null(strstr(html, "id=\"uncertainty\""));
	assert_null(strstr(html, "id=\"change\""));
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "http"));
	free(html);
	/* Clusters only: the header and nothing else. */
	d.mode = RPT_CLUSTERS;
	assert_int_equal(rpt_render(&d, &html, &len), CD_OK);
	assert_non_null(strstr(html, "id=\"header\""));
	assert_null(strstr(html, "id=\"funnel\""));
	free(html);
}

/* A ranking of two clusters and two criteria under aggregation agg: the
 * arithmetic mean splits each bar into one part per criterion; the
 * harmonic mean, the median and Copeland draw it whole, and the legend
 * and caption say so. */
static char *render_ranking(int agg)
{
	Clusters__V1__Run run = CLUSTERS__V1__RUN__INIT;
	Clusters__V1__RoundStats rs = CLUSTERS__V1__ROUND_STATS__INIT;
	Clusters__V1__RoundStats *rsp = &rs;
	Clusters__V1__CriterionStats c1 = CLUSTERS__V1__CRITERION_STATS__INIT,
	                             c2 = CLUSTERS__V1__CRITERION_STATS__INIT;
	Clusters__V1__CriterionStats *cs[2] = { &c1, &c2 };
	c1.criterion = "k1";
	c1.plugin = "indicator";
	c1.weight = c2.weight = 1;
	c1.weight_share = c2.weight_share = 0.5;
	c2.criterion = "k2";
	c2.plugin = "indicator";
	run.id = "r1";
	run.competition_id = "c";
	run.n_rounds = 1;
	run.rounds = &rsp;
	rs.round = "only";
	rs.aggregation = agg;
	rs.n_criteria = 2;
	rs.criteria = cs;
	Clusters__V1__Standing st[2];
	Clusters__V1__RoundStanding rst[2], *rstp[2];
	Clusters__V1__CriterionScore sc[2][2], *scp[2][2];
	Clusters__V1__Standing *top[2];
	const char *ids[2] = { "a", "b" };
	for (int i = 0; i < 2; i++) {
		clusters__v1__standing__init(&st[i]);
		clusters__v1__round_standing__init(&rst[i]);
		st[i].cluster_id = (char *)ids[i];
		st[i].name = (char *)ids[i];
		st[i].rank = rst[i].rank = i + 1;
		st[i].score = rst[i].score = 40 - 10 * i;
		rst[i].round = "only";
		rst[i].selected = i == 0;
		for (int k = 0; k < 2; k++) {
			clusters__v1__criterion_score__init(&sc[i][k]);
			sc[i][k].criterion = (char *)(k ? "k2" : "k1");
			sc[i][k].normalized = 40 - 10 * i;
			sc[i][k].weighted = (40 - 10 * i) / 2.0;
			scp[i][k] = &sc[i][k];
		}
		rst[i].n_scores = 2;
		rst[i].scores = scp[i];
		rstp[i] = &rst[i];
		st[i].n_rounds = 1;
		st[i].rounds = &rstp[i];
		top[i] = &st[i];
	}
	rpt_round_t rr = {&rs, top, 2, 2, 0};
	rpt_data_t d = {.run = &run, .rounds = &rr, .nrounds = 1, .top_n = 10,
	                .generated = "now"};
	char *html;
	size_t len;
	assert_int_equal(rpt_render(&d, &html, &len), CD_OK);
	return html;
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

static void test_whole_bars(void **state)
{
	(void)state;
	char *html = render_ranking(
		CLUSTERS__V1__AGGREGATION__AGGREGATION_WEIGHTED_ARITHMETIC);
	assert_int_equal(count(html, "data-criterion=\"k1\" fill"), 2);
	assert_int_equal(count(html, "class=\"legend-item\""), 2);
	assert_null(strstr(html, "Whole bars"));
	free(html);
	static const struct {
		int agg;
		const char *axis, *cap;
	} whole[] = {
		{ CLUSTERS__V1__AGGREGATION__AGGREGATION_WEIGHTED_HARMONIC,
		  "score (weighted harmonic mean)", "Whole bars: a harmonic mean" },
		{ CLUSTERS__V1__AGGREGATION__AGGREGATION_MEDIAN,
		  "score (weighted median)", "Whole bars: a weighted median" },
		{ CLUSTERS__V1__AGGREGATION__AGGREGATION_COPELAND,
		  "score (Copeland: clusters outranked minus clusters "
		  "outranking)", "Whole bars: a Copeland score" },
	};
	for (size_t i = 0; i < sizeof(whole) / sizeof(whole[0]); i++) {
		html = render_ranking(whole[i].agg);
		/* One part per bar, the total; one legend item saying so. */
		assert_int_equal(count(html, "data-criterion=\"k1\" fill"), 0);
		assert_int_equal(count(html, "data-criterion=\"(total)\" fill"), 2);
		assert_int_equal(count(html, "class=\"legend-item\""), 1);
		assert_non_null(strstr(html, "this aggregation does not split "
		                             "into the criteria&#39;s parts"));
		assert_non_null(strstr(html, whole[i].axis));
		assert_non_null(strstr(html, whole[i].cap));
		free(html);
	}
}

/* The coherence section: a matrix with Pearson (Spearman) per cell, "–"
 * where a statistic is undefined, the flags and notes escaped; nothing
 * for a run stored without coherence. */
static void test_render_coherence(void **state)
{
	(void)state;
	Clusters__V1__Run run = CLUSTERS__V1__RUN__INIT;
	Clusters__V1__RoundStats rs = CLUSTERS__V1__ROUND_STATS__INIT;
	Clusters__V1__RoundStats *rsp = &rs;
	run.id = "r1";
	run.competition_id = "c";
	run.n_rounds = 1;
	run.rounds = &rsp;
	rs.round = "only";
	rpt_round_t rr = {&rs, NULL, 0, 0, 0};
	rpt_data_t d = {.run = &run, .rounds = &rr, .nrounds = 1, .top_n = 10,
	                .generated = "now"};
	char *html;
	size_t len;
	assert_int_equal(rpt_render(&d, &html, &len), CD_OK);
	assert_null(strstr(html, "id=\"coherence\""));
	free(html);

	Clusters__V1__RoundCoherence co = CLUSTERS__V1__ROUND_COHERENCE__INIT;
	Clusters__V1__CoherenceItem a = CLUSTERS__V1__COHERENCE_ITEM__INIT,
	                            b = CLUSTERS__V1__COHERENCE_ITEM__INIT;
	Clusters__V1__CoherenceItem *items[] = { &a, &b };
	Clusters__V1__CoherencePair p = CLUSTERS__V1__COHERENCE_PAIR__INIT;
	Clusters__V1__CoherencePair *pairs[] = { &p };
	Clusters__V1__CoherenceGroup g = CLUSTERS__V1__COHERENCE_GROUP__INIT;
	Clusters__V1__CoherenceGroup *groups[] = { &g };
	Clusters__V1__CoherenceFlag f = CLUSTERS__V1__COHERENCE_FLAG__INIT;
	Clusters__V1__CoherenceFlag *flags[] = { &f };
	char *notes[] = { "criterion \"<b>\" has the same score" };
	a.id = "x<1>";
	a.pearson_total = 0.25;
	a.spearman_total = NAN;
	a.pearson_group = 0.25;
	a.spearman_group = NAN;
	b.id = "<b>";
	b.pearson_total = b.spearman_total = NAN;
	b.pearson_group = b.spearman_group = NAN;
	p.item_a = "x<1>";
	p.item_b = "<b>";
	p.pearson = p.spearman = NAN;
	g.items = 2;
	g.cronbach_alpha = 0.8126;
	f.code = CLUSTERS__V1__COHERENCE_FLAG_CODE__COHERENCE_FLAG_CODE_WEAK;
	f.text = "criterion \"x<1>\" correlates weakly";
	co.observations = 12;
	co.n_items = 2;
	co.items = items;
	co.n_pairs = 1;
	co.pairs = pairs;
	co.n_groups = 1;
	co.groups = groups;
	co.n_flags = 1;
	co.flags = flags;
	co.n_notes = 1;
	co.notes = notes;
	co.weak_threshold = 0.3;
	co.redundant_threshold = 0.9;
	rs.coherence = &co;
	assert_int_equal(rpt_render(&d, &html, &len), CD_OK);
	assert_non_null(strstr(html, "<section id=\"coherence\"><h2>"));
	assert_non_null(strstr(html, "weakly (r at most 0.3), and two "
	                       "criteria of a group that correlate above 0.9"));
	assert_non_null(strstr(html, "Over the 12 ranked clusters' normalised "
	                       "scores. Cronbach's alpha of the round: "
	                       "<b>0.813</b> (2 items)."));
	assert_non_null(strstr(html, "<tr><th class=\"l\" scope=\"row\">x&lt;1&gt;"
	                       "</th><td>1</td><td>\xe2\x80\x93 (\xe2\x80\x93)"
	                       "</td><td>0.250 (\xe2\x80\x93)</td></tr>"));
	assert_non_null(strstr(html, "<th scope=\"col\">&lt;b&gt;</th>"));
	assert_non_null(strstr(html, "<ul class=\"flags\"><li>criterion "
	                       "&quot;x&lt;1&gt;&quot; correlates weakly</li>"));
	assert_non_null(strstr(html, "<p class=\"muted note\">criterion "
	                       "&quot;&lt;b&gt;&quot; has the same score</p>"));
	assert_null(strstr(html, "<th scope=\"col\">its group</th>"));
	free(html);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_nice),
		cmocka_unit_test(test_chart),
		cmocka_unit_test(test_failed_is_sticky),
		cmocka_unit_test(test_render_empty_run),
		cmocka_unit_test(test_render_coherence),
		cmocka_unit_test(test_whole_bars),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
