/* Rank uncertainty (the run's weight-sensitivity samples) and rank change
 * against a baseline run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpt_internal.h"

/* ----------------------------------------------------------- uncertainty */

void rpt_sec_uncertainty(rpt_out_t *o, const rpt_data_t *d)
{
	const Clusters__V1__SensitivityOptions *so = d->run->sensitivity;
	size_t n = 0;
	double hi = 1;
	for (size_t i = 0; i < d->ntop; i++) {
		const Clusters__V1__SensitivityStats *s = d->top[i]->sensitivity;
		if (!s || d->top[i]->rank <= 0)
			continue;
		n++;
		hi = s->rank_p95 > hi ? s->rank_p95 : hi;
		hi = d->top[i]->rank > hi ? d->top[i]->rank : hi;
	}
	if (!so || so->samples <= 0 || !n)
		return;
	double lo = 0, step;
	rpt_nice(&lo, &hi, &step);
	const double W = 900, LW = 250, SW = 170, RH = 20, TOP = 8;
	double rows = TOP + (double)n * RH, H = rows + 44;
	rpt_scale_t sc = {lo, hi, LW, W - SW - 30};
	rpt_scale_t share = {0, 1, W - SW, W - 50};
	char id[16], title[300], desc[600];
	snprintf(title, sizeof(title), "Rank uncertainty of the top %zu over "
	         "%d samples", n, so->samples);
	snprintf(desc, sizeof(desc), "Per cluster, its rank in the run (a dot), "
	         "the 5th to 95th percentile of its rank over samples with "
	         "every weight within \xc2\xb1%g%% (a band, the median marked), "
	         "and on the right the share of samples in which it was "
	         "selected. The table after the chart holds the numbers.",
	         so->weight_jitter_pct);
	rpt_printf(o, "<section id=\"uncertainty\"><h2>How sure the ranks "
	           "are</h2><p class=\"lead\">%d samples, every weight drawn "
	           "within \xc2\xb1%g%% of its value (seed %llu).</p>"
	           "<div class=\"pair\">", so->samples, so->weight_jitter_pct,
	           (unsigned long long)so->seed);
	rpt_chart_open(o, "uncertainty", W, H, title, desc, id);
	rpt_axis_x(o, &sc, step, TOP - 4, rows + 2, "rank (1 = best)");
	rpt_text(o, (share.r0 + share.r1) / 2, rows + 30, "middle",
	         "axis-label", "selected in");
	size_t row = 0;
	for (size_t i = 0; i < d->ntop; i++) {
		const Clusters__V1__Standing *s = d->top[i];
		const Clusters__V1__SensitivityStats *ss = s->sensitivity;
		if (!ss || s->rank <= 0)
			continue;
		double y = TOP + (double)row++ * RH, cy = y + 7;
		rpt_put(o, "<g class=\"row\" data-cluster=\"");
		rpt_esc(o, s->cluster_id);
		rpt_printf(o, "\" data-rank=\"%d\">", s->rank);
		rpt_row_label(o, y + 11, s->rank, rpt_name(s), 0, LW);
		rpt_line(o, rpt_at(&sc, ss->rank_p5), cy,
		         rpt_at(&sc, ss->rank_p95) +
		         (ss->rank_p95 == ss->rank_p5 ? 1 : 0), cy,
		         "class=\"band\"");
		rpt_line(o, rpt_at(&sc, ss->rank_p50), cy - 6,
		         rpt_at(&sc, ss->rank_p50), cy + 6,
		         "class=\"median\" stroke=\"#1a1a1a\" stroke-width=\"2\"");
		rpt_circle(o, rpt_at(&sc, s->rank), cy, 4, "class=\"base\" "
		           "fill=\"#fff\" stroke=\"#D55E00\" stroke-width=\"2\"");
		rpt_rect(o, share.r0, y + 1,
		         rpt_at(&share, ss->selected_share) - share.r0, 12,
		         "class=\"share\" fill=\"#009E73\"");
		char pct[16];
		snprintf(pct, sizeof(pct), "%.0f%%", ss->selected_share * 100);
		rpt_text(o, W - 4, y + 11, "end", "small", pct);
		rpt_put(o, "</g>\n");
	}
	rpt_chart_close(o, "Dot: the rank in the run; band: the 5th to 95th "
	                "percentile over the samples; bar: the median. On the "
	                "right, the share of samples in which the cluster "
	                "was selected.");
	rpt_put(o, "<table class=\"data\"><caption>Rank over the samples"
	        "</caption><tr><th>rank</th><th class=\"l\">cluster</th>"
	        "<th>p5</th><th>median</th><th>p95</th><th>selected in</th>"
	        "</tr>\n");
	for (size_t i = 0; i < d->ntop; i++) {
		const Clusters__V1__Standing *s = d->top[i];
		const Clusters__V1__SensitivityStats *ss = s->sensitivity;
		if (!ss || s->rank <= 0)
			continue;
		rpt_printf(o, "<tr><td>%d</td><td class=\"l\">", s->rank);
		rpt_esc(o, rpt_name(s));
		rpt_printf(o, "</td><td>%d</td><td>%d</td><td>%d</td><td>",
		           ss->rank_p5, ss->rank_p50, ss->rank_p95);
		rpt_pct(o, ss->selected_share);
		rpt_put(o, "</td></tr>\n");
	}
	rpt_put(o, "</table></div></section>\n");
}

/* ---------------------------------------------------------------- change */

/* 0: ranked in both, 1: a new entrant, 2: no longer ranked. */
static int move_kind(const rpt_move_t *m)
{
	return !m->rank ? 2 : !m->base_rank ? 1 : 0;
}

/* The biggest climbers first, then the fallers, then the new entrants
 * by rank, then those no longer ranked by their old rank. */
static int by_change(const void *a, const void *b)
{
	const rpt_move_t *x = *(const rpt_move_t *const *)a;
	const rpt_move_t *y = *(const rpt_move_t *const *)b;
	int kx = move_kind(x), ky = move_kind(y);
	if (kx != ky)
		return kx - ky;
	if (kx == 2)
		return x->base_rank - y->base_rank;
	int32_t dx = kx ? 0 : x->base_rank - x->rank;
	int32_t dy = ky ? 0 : y->base_rank - y->rank;
	if (dx != dy)
		return dx > dy ? -1 : 1;
	return x->rank - y->rank;
}

static const char *move_name(const rpt_move_t *m)
{
	return m->name && *m->name ? m->name : m->id;
}

static void change_text(char *b, size_t n, const rpt_move_t *m)
{
	if (!m->base_rank)
		snprintf(b, n, "new");
	else if (!m->rank)
		snprintf(b, n, "not ranked now");
	else if (m->base_rank == m->rank)
		snprintf(b, n, "0");
	else if (m->base_rank > m->rank)
		snprintf(b, n, "+%d", m->base_rank - m->rank);
	else
		snprintf(b, n, "\xe2\x88\x92%d", m->rank - m->base_rank);
}

static void arrow_row(rpt_out_t *o, const char *id, const rpt_scale_t *sc,
                      const rpt_move_t *m, double y, double lw)
{
	char ch[32];
	change_text(ch, sizeof(ch), m);
	int up = m->base_rank > m->rank;
	rpt_put(o, "<g class=\"move ");
	rpt_put(o, !m->base_rank ? "new" : up ? "up" : "down");
	rpt_put(o, "\" data-cluster=\"");
	rpt_esc(o, m->id);
	rpt_printf(o, "\" data-rank=\"%d\" data-base-rank=\"%d\">", m->rank,
	           m->base_rank);
	/* "Zhengzhou +15": the change after the name, right-aligned. */
	rpt_text(o, lw - 6, y + 11, "end", "sel", ch);
	rpt_row_label(o, y + 11, m->rank, move_name(m), 0, lw - 60);
	double cy = y + 7, x1 = rpt_at(sc, m->rank);
	if (m->base_rank) {
		double x0 = rpt_at(sc, m->base_rank);
		rpt_circle(o, x0, cy, 3, "fill=\"#555\"");
		char a[96];
		snprintf(a, sizeof(a), "stroke=\"%s\" stroke-width=\"2\" "
		         "marker-end=\"url(#%s-%s)\"", up ? "#0072B2" : "#D55E00",
		         id, up ? "up" : "down");
		rpt_line(o, x0, cy, x1 + (up ? 5 : -5), cy, a);
	} else {
		rpt_rect(o, x1 - 4.5, cy - 4.5, 9, 9, "fill=\"#009E73\"");
	}
	rpt_put(o, "</g>\n");
}

void rpt_sec_change(rpt_out_t *o, const rpt_data_t *d)
{
	if (!d->baseline_id)
		return;
	const rpt_move_t **m = calloc(d->nmoves + 1, sizeof(*m));
	if (!m) {
		o->failed = 1;
		return;
	}
	size_t nm = 0, nnew = 0, nout = 0;
	for (size_t i = 0; i < d->nmoves; i++) {
		const rpt_move_t *x = &d->moves[i];
		if (!x->rank)
			nout++;
		else if (!x->base_rank)
			nnew++;
		m[nm++] = x;
	}
	qsort(m, nm, sizeof(*m), by_change);
	/* The chart: the 10 biggest climbers, the 10 biggest fallers and up
	 * to 10 new entrants, each once. */
	const rpt_move_t *rows[30];
	size_t nr = 0, k = 0;
	for (size_t i = 0; i < nm && k < 10; i++)
		if (m[i]->rank && m[i]->base_rank > m[i]->rank) {
			rows[nr++] = m[i];
			k++;
		}
	k = 0;
	for (size_t i = nm; i-- > 0 && k < 10;)
		if (m[i]->rank && m[i]->base_rank && m[i]->base_rank < m[i]->rank) {
			rows[nr++] = m[i];
			k++;
		}
	k = 0;
	for (size_t i = 0; i < nm && k < 10; i++)
		if (m[i]->rank && !m[i]->base_rank) {
			rows[nr++] = m[i];
			k++;
		}
	rpt_printf(o, "<section id=\"change\"><h2>Against the baseline</h2>"
	           "<p class=\"lead\">Ranks in this run against run ");
	rpt_esc(o, d->baseline_id);
	rpt_printf(o, ", over the clusters in the top %d of either: %zu new "
	           "in the top, %zu no longer ranked.", d->top_n, nnew, nout);
	if (nr && rows[0]->base_rank > rows[0]->rank) {
		char ch[32];
		change_text(ch, sizeof(ch), rows[0]);
		rpt_put(o, " The biggest climber: ");
		rpt_esc(o, move_name(rows[0]));
		rpt_printf(o, " %s.", ch);
	}
	rpt_put(o, "</p>");
	double hi = 1, lo = 0, step;
	for (size_t i = 0; i < nr; i++) {
		hi = rows[i]->rank > hi ? rows[i]->rank : hi;
		hi = rows[i]->base_rank > hi ? rows[i]->base_rank : hi;
	}
	rpt_nice(&lo, &hi, &step);
	if (nr) {
		const double W = 900, LW = 250, RH = 20, TOP = 8;
		double rows_h = TOP + (double)nr * RH;
		rpt_scale_t sc = {lo, hi, LW, W - 20};
		char id[16], desc[400];
		snprintf(desc, sizeof(desc), "One row per cluster: an arrow from "
		         "its rank in the baseline to its rank now (pointing "
		         "left: it climbed), labelled with the change; new "
		         "entrants are squares. The table after the chart holds "
		         "every cluster of either top %d.", d->top_n);
		rpt_put(o, "<div class=\"pair\">");
		rpt_chart_open(o, "change", W, rows_h + 44,
		               "Biggest climbers and fallers, and new entrants",
		               desc, id);
		rpt_printf(o, "<defs><marker id=\"%s-up\" viewBox=\"0 0 10 10\" "
		           "refX=\"5\" refY=\"5\" markerWidth=\"5\" "
		           "markerHeight=\"5\" orient=\"auto\"><path d=\"M0,0 L10,5 "
		           "L0,10 z\" fill=\"#0072B2\"/></marker><marker "
		           "id=\"%s-down\" viewBox=\"0 0 10 10\" refX=\"5\" "
		           "refY=\"5\" markerWidth=\"5\" markerHeight=\"5\" "
		           "orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" "
		           "fill=\"#D55E00\"/></marker></defs>", id, id);
		rpt_axis_x(o, &sc, step, TOP - 4, rows_h + 2, "rank (1 = best)");
		for (size_t i = 0; i < nr; i++)
			arrow_row(o, id, &sc, rows[i], TOP + (double)i * RH, LW);
		rpt_chart_close(o, "Climbers point left (blue), fallers right "
		                "(vermillion); the change is in the label.");
	} else {
		rpt_put(o, "<div class=\"pair\"><p>No cluster of the top "
		        "changed rank.</p>");
	}
	rpt_put(o, "<table class=\"data\"><caption>Rank change</caption><tr>"
	        "<th class=\"l\">cluster</th><th>baseline</th><th>now</th>"
	        "<th>change</th></tr>\n");
	for (size_t i = 0; i < nm; i++) {
		char ch[32];
		change_text(ch, sizeof(ch), m[i]);
		rpt_put(o, "<tr><td class=\"l\">");
		rpt_esc(o, move_name(m[i]));
		rpt_put(o, "</td><td>");
		if (m[i]->base_rank)
			rpt_printf(o, "%d", m[i]->base_rank);
		rpt_put(o, "</td><td>");
		if (m[i]->rank)
			rpt_printf(o, "%d", m[i]->rank);
		rpt_put(o, "</td><td>");
		rpt_esc(o, ch);
		rpt_put(o, "</td></tr>\n");
	}
	rpt_put(o, "</table></div></section>\n");
	free(m);
}
