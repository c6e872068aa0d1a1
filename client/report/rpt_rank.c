/* The funnel of each round, and each round's ranking as bars split into
 * the criteria's weighted contributions. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpt_internal.h"

#define GEOMETRIC CLUSTERS__V1__AGGREGATION__AGGREGATION_WEIGHTED_GEOMETRIC
#define HARMONIC CLUSTERS__V1__AGGREGATION__AGGREGATION_WEIGHTED_HARMONIC
#define MEDIAN CLUSTERS__V1__AGGREGATION__AGGREGATION_MEDIAN
#define COPELAND CLUSTERS__V1__AGGREGATION__AGGREGATION_COPELAND

/* The harmonic mean, the median and Copeland are not sums of the
 * criteria's parts: their bars are drawn whole. */
static int whole_bars(const Clusters__V1__RoundStats *rs)
{
	return rs->aggregation == HARMONIC || rs->aggregation == MEDIAN ||
	       rs->aggregation == COPELAND;
}

static const char *score_axis(const Clusters__V1__RoundStats *rs)
{
	switch (rs->aggregation) {
	case GEOMETRIC: return "score (weighted geometric mean)";
	case HARMONIC: return "score (weighted harmonic mean)";
	case MEDIAN: return "score (weighted median)";
	case COPELAND: return "score (Copeland: clusters outranked minus "
	                      "clusters outranking)";
	default: return "score";
	}
}

/* ---------------------------------------------------------------- funnel */

static void funnel(rpt_out_t *o, const Clusters__V1__RoundStats *rs,
                   size_t ri)
{
	const char *names[4] = {"candidates", "eligible", "scored", "selected"};
	int32_t v[4] = {rs->candidates, rs->eligible, rs->ranked, rs->selected};
	const double W = 760, LW = 120, RH = 30, H = 4 * RH + 16;
	char id[16], title[300], desc[400];
	snprintf(title, sizeof(title), "Round %zu, %s: the funnel", ri + 1,
	         rs->round);
	snprintf(desc, sizeof(desc), "%d candidates, %d eligible, %d scored, "
	         "%d selected.", v[0], v[1], v[2], v[3]);
	rpt_put(o, "<div class=\"pair\">");
	rpt_chart_open(o, "funnel", W, H, title, desc, id);
	double max = v[0] > 0 ? v[0] : 1;
	for (int i = 0; i < 4; i++) {
		double w = (W - LW - 80) * (v[i] > 0 ? v[i] : 0) / max;
		double y = 8 + i * RH;
		rpt_put(o, "<g class=\"stage\" data-round=\"");
		rpt_esc(o, rs->round);
		rpt_printf(o, "\" data-stage=\"%s\" data-count=\"%d\">",
		           names[i], v[i]);
		rpt_text(o, LW - 8, y + 18, "end", NULL, names[i]);
		char fill[32];
		snprintf(fill, sizeof(fill), "fill=\"%s\"", rpt_colour(i == 3 ? 5 : 0));
		rpt_rect(o, LW + (W - LW - 80 - w) / 2, y + 2,
		         w < 1 && v[i] > 0 ? 1 : w, RH - 6, fill);
		char n[16];
		snprintf(n, sizeof(n), "%d", v[i]);
		rpt_text(o, W - 70, y + 18, "start", "sel", n);
		rpt_put(o, "</g>");
	}
	rpt_chart_close(o, "Each bar is as wide as its count; candidates "
	                "are the clusters the round started from.");
	rpt_put(o, "<table class=\"data\"><caption>Decisions of round ");
	rpt_esc(o, rs->round);
	rpt_put(o, "</caption><tr><th class=\"l\">decision</th><th>clusters"
	        "</th></tr>");
	for (size_t i = 0; i < rs->n_decisions; i++) {
		rpt_put(o, "<tr><td class=\"l\">");
		rpt_esc(o, rpt_code_words(rs->decisions[i]->code));
		rpt_printf(o, "</td><td>%d</td></tr>", rs->decisions[i]->count);
	}
	rpt_put(o, "</table></div>\n");
}

void rpt_sec_funnel(rpt_out_t *o, const rpt_data_t *d)
{
	rpt_put(o, "<section id=\"funnel\"><h2>From candidates to the "
	        "selection</h2><p class=\"lead\">Per round: how many clusters "
	        "it started from, were eligible, got every score and were "
	        "selected, and the decisions counted.</p>");
	for (size_t i = 0; i < d->nrounds; i++)
		funnel(o, d->rounds[i].stats, i);
	rpt_put(o, "</section>\n");
}

/* --------------------------------------------------------------- ranking */

/* What a bar is split into: the round's criteria or, in a round with
 * pillars, its top-level members (criteria without pillar, pillars
 * without parent), each with its share of the total. */
typedef struct member {
	const char *id;
	const Clusters__V1__CriterionStats *crit;  /* else a pillar */
	const Clusters__V1__PillarStats *pil;
	double share;
} member_t;

static size_t members(const Clusters__V1__RoundStats *rs, member_t *m)
{
	size_t n = 0;
	for (size_t k = 0; k < rs->n_criteria; k++) {
		const Clusters__V1__CriterionStats *c = rs->criteria[k];
		if (rs->n_pillars && c->pillar[0])
			continue;
		m[n++] = (member_t){ c->criterion, c, NULL, c->weight_share };
	}
	for (size_t k = 0; k < rs->n_pillars; k++) {
		const Clusters__V1__PillarStats *p = rs->pillars[k];
		if (!p->parent[0])
			m[n++] = (member_t){ p->pillar, NULL, p, p->weight_share };
	}
	return n;
}

/* The member's criterion score or pillar score of st (NULL/NaN when
 * it has none); weighted: the weighted score as the round's
 * aggregation combines it (w v, or v^w for the geometric mean). */
static double member_value(const Clusters__V1__RoundStats *rs,
                           const member_t *mb,
                           const Clusters__V1__RoundStanding *st,
                           int weighted)
{
	if (mb->crit) {
		for (size_t j = 0; j < st->n_scores; j++)
			if (!strcmp(st->scores[j]->criterion, mb->id))
				return weighted ? st->scores[j]->weighted
				                : st->scores[j]->normalized;
		return NAN;
	}
	for (size_t j = 0; j < st->n_pillars; j++)
		if (!strcmp(st->pillars[j]->pillar, mb->id)) {
			double v = st->pillars[j]->score;
			if (!weighted)
				return v;
			if (rs->aggregation != GEOMETRIC)
				return mb->share * v;
			return mb->share == 0 ? 1.0 : v > 0 ? pow(v, mb->share) : 0.0;
		}
	return NAN;
}

/* The segment values of one bar, one per member: the weighted scores
 * (arithmetic: they add up to the total); for the geometric mean, the
 * total split by each member's share of its log (w ln v / ln S), which
 * adds up too. 0 when not known. Returns 0 when the bar cannot be split
 * (it is drawn whole). */
static int segments(const Clusters__V1__RoundStats *rs, const member_t *m,
                    size_t n, const Clusters__V1__RoundStanding *st,
                    double *seg)
{
	int geo = rs->aggregation == GEOMETRIC;
	double S = st->score;
	if (whole_bars(rs) || (geo && (!(S > 0) || log(S) == 0)))
		return 0;
	for (size_t k = 0; k < n; k++) {
		double v = 0, x = member_value(rs, &m[k], st, !geo);
		if (!geo)
			v = isnan(x) ? 0 : x;
		else if (x > 0)
			v = S * m[k].share * log(x) / log(S);
		seg[k] = isfinite(v) ? v : 0;
	}
	return 1;
}

static void legend(rpt_out_t *o, const Clusters__V1__RoundStats *rs,
                   const member_t *m, size_t n, const char *id, double x, double y, double w)
{
	double col = w / 2;
	rpt_put(o, "<g class=\"legend\">");
	if (whole_bars(rs)) {
		char a[96];
		snprintf(a, sizeof(a), "fill=\"%s\" stroke=\"#1a1a1a\" "
		         "stroke-width=\".5\"", rpt_colour(0));
		rpt_put(o, "<g class=\"legend-item\" data-criterion=\"(total)\">");
		rpt_rect(o, x, y, 14, 14, a);
		rpt_text(o, x + 20, y + 11, "start", NULL, "the whole score: "
		         "this aggregation does not split into the criteria's "
		         "parts");
		rpt_put(o, "</g></g>\n");
		return;
	}
	for (size_t k = 0; k < n; k++) {
		double lx = x + (double)(k % 2) * col, ly = y + (double)(k / 2) * 20;
		char t[400];
		if (m[k].crit)
			snprintf(t, sizeof(t), "%s \xe2\x80\x94 plugin %s, weight "
			         "%g (%.0f%%)", m[k].id, m[k].crit->plugin,
			         m[k].crit->weight, m[k].share * 100);
		else
			snprintf(t, sizeof(t), "%s \xe2\x80\x94 pillar, weight %g "
			         "(%.0f%%)", m[k].pil->name[0] ? m[k].pil->name
			                                      : m[k].id,
			         m[k].pil->weight, m[k].share * 100);
		rpt_printf(o, "<g class=\"legend-item\" data-criterion=\"");
		rpt_esc(o, m[k].id);
		rpt_put(o, "\">");
		char a[96];
		snprintf(a, sizeof(a), "fill=\"%s\" stroke=\"#1a1a1a\" "
		         "stroke-width=\".5\"", rpt_colour(k));
		rpt_rect(o, lx, ly, 14, 14, a);
		if (rpt_pattern_marked(k)) {
			snprintf(a, sizeof(a), "fill=\"url(#%s-p%zu)\"", id, k);
			rpt_rect(o, lx, ly, 14, 14, a);
		}
		rpt_text(o, lx + 20, ly + 11, "start", NULL, t);
		rpt_put(o, "</g>");
	}
	rpt_put(o, "</g>\n");
}

/* The round's pillar tree as nested lists: name, weight, share of the
 * total, aggregation and normalisation. */
static void pillar_tree(rpt_out_t *o, const Clusters__V1__RoundStats *rs,
                        const char *parent, int depth)
{
	if (depth > 8)
		return;
	int open = 0;
	for (size_t k = 0; k < rs->n_pillars; k++) {
		const Clusters__V1__PillarStats *p = rs->pillars[k];
		if (strcmp(p->parent, parent))
			continue;
		if (!open++)
			rpt_put(o, depth == 1 ? "<ul class=\"pillar-tree\">"
			                      : "<ul>");
		rpt_put(o, "<li data-pillar=\"");
		rpt_esc(o, p->pillar);
		rpt_put(o, "\"><b>");
		rpt_esc(o, p->name[0] ? p->name : p->pillar);
		rpt_printf(o, "</b> \xe2\x80\x94 weight %g, %.1f%% of the "
		           "total, %s", p->weight, 100 * p->weight_share,
		           p->aggregation == GEOMETRIC ? "geometric mean"
		                                       : "arithmetic mean");
		if (p->normalization > CLUSTERS__V1__NORMALIZATION__NORMALIZATION_NONE)
			rpt_put(o, ", normalised over the round");
		rpt_put(o, "; criteria:");
		int any = 0;
		for (size_t c = 0; c < rs->n_criteria; c++)
			if (!strcmp(rs->criteria[c]->pillar, p->pillar)) {
				rpt_put(o, any++ ? ", " : " ");
				rpt_esc(o, rs->criteria[c]->criterion);
			}
		if (!any)
			rpt_put(o, " none");
		pillar_tree(o, rs, p->pillar, depth + 1);
		rpt_put(o, "</li>");
	}
	if (open)
		rpt_put(o, depth == 1 ? "</ul>\n" : "</ul>");
}

/* A bar: its parts in solid colours; each part's outline also goes to
 * hatch[k], the path the criterion's pattern is drawn over once per
 * chart. (A pattern fill per part made a printed page of 175 parts 17 MB:
 * the PDF backend rasterises every pattern use.) */
static void bar(rpt_out_t *o, rpt_out_t *hatch, const rpt_scale_t *sc,
                const member_t *m, size_t nm,
                const Clusters__V1__Standing *s,
                const Clusters__V1__RoundStanding *st, const double *seg,
                int split, double y, double bh, double lw)
{
	rpt_put(o, "<g class=\"bar ");
	rpt_put(o, st->selected ? "sel" : "unsel");
	rpt_put(o, "\" data-cluster=\"");
	rpt_esc(o, s->cluster_id);
	rpt_printf(o, "\" data-rank=\"%d\" data-selected=\"%d\">", st->rank,
	           st->selected ? 1 : 0);
	rpt_row_label(o, y + bh - 3, st->rank, rpt_name(s), st->selected, lw);
	double pos = 0, neg = 0;
	size_t n = split ? nm : 1;
	for (size_t k = 0; k < n; k++) {
		double v = split ? seg[k] : st->score;
		if (v == 0)
			continue;
		double a = v > 0 ? pos : neg + v, b = v > 0 ? pos + v : neg;
		if (v > 0)
			pos += v;
		else
			neg += v;
		double x0 = rpt_at(sc, a), x1 = rpt_at(sc, b);
		rpt_out_t at = {0};
		rpt_put(&at, "class=\"seg\" data-criterion=\"");
		rpt_esc(&at, split ? m[k].id : "(total)");
		rpt_printf(&at, "\" fill=\"%s\"", rpt_colour(split ? k : 0));
		rpt_rect(o, x0, y, x1 - x0, bh, at.buf);
		o->failed |= at.failed;
		free(at.buf);
		rpt_out_t *h = &hatch[split ? k : 0];
		rpt_put(h, "M");
		rpt_coord(h, x0);
		rpt_put(h, ",");
		rpt_coord(h, y);
		rpt_put(h, "h");
		rpt_coord(h, x1 - x0);
		rpt_put(h, "v");
		rpt_coord(h, bh);
		rpt_put(h, "h");
		rpt_coord(h, x0 - x1);
		rpt_put(h, "z");
	}
	char num[32];
	rpt_numfmt(num, sizeof(num), st->score);
	rpt_text(o, rpt_at(sc, pos) + 4, y + bh - 3, "start", "small", num);
	rpt_put(o, "</g>\n");
}

static void table(rpt_out_t *o, const rpt_round_t *r, const member_t *m,
                  size_t nm)
{
	const Clusters__V1__RoundStats *rs = r->stats;
	rpt_put(o, "<table class=\"data\"><caption>Top of round ");
	rpt_esc(o, rs->round);
	rpt_put(o, ": weighted scores</caption><tr><th>rank</th>"
	        "<th class=\"l\">cluster</th><th class=\"l\">economy</th>"
	        "<th>score</th>");
	for (size_t k = 0; k < nm; k++) {
		rpt_put(o, "<th>");
		rpt_esc(o, m[k].id);
		rpt_put(o, "</th>");
	}
	rpt_put(o, "<th class=\"l\">selected</th></tr>\n");
	for (size_t i = 0; i < r->ntop; i++) {
		const Clusters__V1__Standing *s = r->top[i];
		const Clusters__V1__RoundStanding *st = rpt_round_of(s, rs->round);
		if (!st)
			continue;
		rpt_printf(o, "<tr><td>%d</td><td class=\"l\">", st->rank);
		rpt_esc(o, rpt_name(s));
		rpt_put(o, "</td><td class=\"l\">");
		rpt_esc(o, s->economy);
		rpt_put(o, "</td><td>");
		rpt_num(o, st->score);
		rpt_put(o, "</td>");
		for (size_t k = 0; k < nm; k++) {
			double v = member_value(rs, &m[k], st, 1);
			rpt_put(o, "<td>");
			rpt_num(o, v);
			rpt_put(o, "</td>");
		}
		rpt_put(o, st->selected ? "<td class=\"l\">yes</td></tr>\n"
		                        : "<td class=\"l\">no</td></tr>\n");
	}
	rpt_put(o, "</table>\n");
}

static void ranking(rpt_out_t *o, const rpt_data_t *d, const rpt_round_t *r,
                    size_t ri)
{
	const Clusters__V1__RoundStats *rs = r->stats;
	member_t *m = calloc(rs->n_criteria + rs->n_pillars + 1, sizeof(*m));
	size_t nm = m ? members(rs, m) : 0;
	size_t nc = nm ? nm : 1, n = 0;
	double *seg = calloc(r->ntop * nc + 1, sizeof(double));
	int *split = calloc(r->ntop + 1, sizeof(int));
	if (!m || !seg || !split) {
		free(m);
		free(seg);
		free(split);
		o->failed = 1;
		return;
	}
	double lo = 0, hi = 0;
	size_t last_sel = SIZE_MAX, nsel = 0;
	for (size_t i = 0; i < r->ntop; i++) {
		const Clusters__V1__RoundStanding *st =
			rpt_round_of(r->top[i], rs->round);
		if (!st || st->rank <= 0)
			continue;
		split[i] = nm && segments(rs, m, nm, st, seg + i * nc);
		double p = 0, q = 0;
		for (size_t k = 0; k < (split[i] ? nm : 1); k++) {
			double v = split[i] ? seg[i * nc + k] : st->score;
			if (!isfinite(v))
				continue;
			if (v > 0)
				p += v;
			else
				q += v;
		}
		lo = q < lo ? q : lo;
		hi = p > hi ? p : hi;
		if (st->selected) {
			last_sel = n;
			nsel++;
		}
		n++;
	}
	rpt_printf(o, "<h3>Round %zu, ", ri + 1);
	rpt_esc(o, rs->round);
	rpt_put(o, "</h3>");
	if (rs->n_pillars) {
		rpt_put(o, "<p>The round's pillars, each a mean of its criteria "
		        "and pillars with weights relative to its siblings; the "
		        "bars below split the score by the top-level ones.</p>");
		pillar_tree(o, rs, "", 1);
	}
	if (!n) {
		rpt_put(o, "<p>No cluster was ranked in this round.</p>");
		free(m);
		free(seg);
		free(split);
		return;
	}
	double step;
	rpt_nice(&lo, &hi, &step);
	const double W = 900, LW = 250, RH = 20, BH = 14, TOP = 8;
	double rows = TOP + (double)n * RH, lrows = (double)((nc + 1) / 2);
	double H = rows + 44 + lrows * 20 + 8;
	rpt_scale_t sc = {lo, hi, LW, W - 60};
	char id[16], title[300], desc[600];
	snprintf(title, sizeof(title), "Round %zu, %s: the top %zu by score, "
	         "%s", ri + 1, rs->round, n, whole_bars(rs)
	         ? "whole (the aggregation does not split into criteria)"
	         : rs->n_pillars
	         ? "split into the top-level pillars' and criteria's weighted "
	           "contributions"
	         : "split into the criteria's weighted contributions");
	snprintf(desc, sizeof(desc), "A horizontal bar per cluster, rank 1 at "
	         "the top; %zu of the %zu shown were selected%s. The table "
	         "after the chart holds the same numbers.", nsel, n,
	         last_sel != SIZE_MAX && last_sel + 1 < n
	         ? "; a dashed line marks the cut-off below the last selected"
	         : "");
	rpt_put(o, "<div class=\"pair\">");
	rpt_chart_open(o, "ranking", W, H, title, desc, id);
	rpt_put(o, "<defs>");
	for (size_t k = 0; k < nc; k++)
		rpt_pattern_def(o, id, k);
	rpt_put(o, "</defs>");
	rpt_axis_x(o, &sc, step, TOP - 4, rows + 2, score_axis(rs));
	if (lo < 0) {
		rpt_line(o, rpt_at(&sc, 0), TOP - 4, rpt_at(&sc, 0), rows + 2,
		         "class=\"zero\"");
	}
	size_t row = 0;
	rpt_out_t *hatch = calloc(nc, sizeof(*hatch));
	if (!hatch) {
		o->failed = 1;
		nc = 0;
	}
	for (size_t i = 0; hatch && i < r->ntop; i++) {
		const Clusters__V1__RoundStanding *st =
			rpt_round_of(r->top[i], rs->round);
		if (!st || st->rank <= 0)
			continue;
		bar(o, hatch, &sc, m, nm, r->top[i], st, seg + i * nc, split[i],
		    TOP + (double)row * RH, BH, LW);
		if (row == last_sel && row + 1 < n) {
			double y = TOP + (double)(row + 1) * RH - (RH - BH) / 2;
			rpt_line(o, 4, y, W - 4, y, "class=\"cutoff\"");
			char t[64];
			snprintf(t, sizeof(t), "cut-off: %zu selected above", nsel);
			rpt_text(o, W - 6, y - 3, "end", "small", t);
		}
		row++;
	}
	rpt_put(o, "<g class=\"hatches\">");
	for (size_t k = 0; k < nc; k++) {
		if (hatch[k].failed)
			o->failed = 1;
		if (hatch[k].len && rpt_pattern_marked(k)) {
			rpt_printf(o, "<path data-criterion-hatch=\"%zu\" d=\"", k);
			rpt_put(o, hatch[k].buf);
			rpt_put(o, "\" ");
			rpt_pattern_fill(o, id, k);
			rpt_put(o, "/>");
		}
		free(hatch[k].buf);
	}
	free(hatch);
	rpt_put(o, "</g>\n");
	legend(o, rs, m, nm, id, LW - 200, rows + 44, W - LW + 200);
	free(seg);
	free(split);
	char cap[600];
	snprintf(cap, sizeof(cap), "%s%s Selected clusters are marked \xe2\x9c\x93 "
	         "and drawn in full colour; the others are faded.",
	         whole_bars(rs)
	         ? (rs->aggregation == COPELAND
	            ? "Whole bars: a Copeland score counts the pairwise "
	              "contests a cluster wins minus those it loses, which "
	              "no criterion's part adds up to."
	            : rs->aggregation == MEDIAN
	            ? "Whole bars: a weighted median is one of the "
	              "criteria's values (or the mean of two), not a sum of "
	              "parts."
	            : "Whole bars: a harmonic mean (sum of weights over "
	              "sum of w/v) is not a sum of the criteria's parts.")
	         : rs->aggregation == GEOMETRIC
	         ? "Geometric mean: each part is the score's share due to a "
	           "criterion (w\xc2\xb7ln v / ln S), so the parts add up to "
	           "the score."
	         : rs->n_pillars
	         ? "Each part is a top-level criterion's weighted, normalised "
	           "score or a top-level pillar's share of the weight times its "
	           "score; the parts add up to the score."
	         : "Each part is a criterion's weighted, normalised score; "
	           "the parts add up to the score.",
	         r->truncated ? " Some of the round's best may be missing: "
	                        "the report read a bounded number of "
	                        "standings." : "");
	rpt_chart_close(o, cap);
	table(o, r, m, nm);
	free(m);
	rpt_put(o, "</div>\n");
	(void)d;
}

void rpt_sec_ranking(rpt_out_t *o, const rpt_data_t *d)
{
	rpt_printf(o, "<section id=\"ranking\"><h2>The ranking</h2><p "
	           "class=\"lead\">The top %d of each round by the round's "
	           "own score.</p>", d->top_n);
	for (size_t i = 0; i < d->nrounds; i++)
		ranking(o, d, &d->rounds[i], i);
	rpt_put(o, "</section>\n");
}
