/* A cluster's own section: its record, its indicators over the years as
 * small line charts, its criterion scores against the round's
 * distribution, and its assessments by judge. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpt_internal.h"

#define MAX_PANELS 24       /* indicator charts; the table has them all */
#define MAX_ASSESSMENTS 60  /* rows of the assessments chart */

typedef Clusters__V1__Indicator ind_t;

static int by_name_year(const void *a, const void *b)
{
	const ind_t *x = *(const ind_t *const *)a, *y = *(const ind_t *const *)b;
	int c = strcmp(x->name, y->name);
	return c ? c : x->year - y->year;
}

static void facts(rpt_out_t *o, const rpt_data_t *d, const rpt_cluster_t *c)
{
	const Clusters__V1__Cluster *cl = c->cluster;
	const Clusters__V1__Standing *s = c->standing;
	rpt_put(o, "<dl class=\"facts\"><dt>Id</dt><dd>");
	rpt_esc(o, cl->id);
	rpt_put(o, "</dd><dt>Economy</dt><dd>");
	rpt_esc(o, cl->economy);
	rpt_put(o, "</dd>");
	if (cl->region && *cl->region) {
		rpt_put(o, "<dt>Region</dt><dd>");
		rpt_esc(o, cl->region);
		rpt_put(o, "</dd>");
	}
	if (cl->n_cities) {
		rpt_put(o, "<dt>Cities</dt><dd>");
		for (size_t i = 0; i < cl->n_cities; i++) {
			rpt_put(o, i ? ", " : "");
			rpt_esc(o, cl->cities[i]);
		}
		rpt_put(o, "</dd>");
	}
	if (cl->industry && *cl->industry) {
		rpt_put(o, "<dt>Industry</dt><dd>");
		rpt_esc(o, cl->industry);
		rpt_put(o, "</dd>");
	}
	rpt_put(o, "<dt>In this run</dt><dd>");
	if (!s)
		rpt_put(o, "not a candidate");
	else if (s->rank > 0)
		rpt_printf(o, "rank %d of %lld, %s", s->rank,
		           (long long)d->run->standings_total,
		           s->selected ? "selected" : "not selected");
	else {
		rpt_put(o, "not ranked: ");
		rpt_esc(o, s->excluded_reason);
	}
	rpt_put(o, "</dd>");
	for (size_t i = 0; s && i < s->n_rounds; i++) {
		const Clusters__V1__RoundStanding *st = s->rounds[i];
		rpt_put(o, "<dt>Round ");
		rpt_esc(o, st->round);
		rpt_put(o, "</dt><dd>");
		if (st->rank > 0)
			rpt_printf(o, "rank %d, score ", st->rank);
		if (st->rank > 0)
			rpt_num(o, st->score);
		if (st->decision) {
			rpt_put(o, st->rank > 0 ? "; " : "");
			rpt_esc(o, st->decision->text && *st->decision->text
			        ? st->decision->text
			        : rpt_code_words(st->decision->code));
		}
		rpt_put(o, "</dd>");
	}
	rpt_put(o, "</dl><p class=\"muted\">The record as stored when the "
	        "report was made; the run read the store at data version ");
	rpt_printf(o, "%llu.</p>", (unsigned long long)d->run->data_version);
}

/* One small line chart at (x, y), w x h: values of one indicator. */
static void panel(rpt_out_t *o, ind_t *const *v, size_t n, double x,
                  double y, double w, double h, int32_t y0, int32_t y1)
{
	double lo = v[0]->value, hi = v[0]->value;
	for (size_t i = 1; i < n; i++) {
		lo = v[i]->value < lo ? v[i]->value : lo;
		hi = v[i]->value > hi ? v[i]->value : hi;
	}
	if (hi == lo) {
		hi += fabs(hi) > 0 ? fabs(hi) * .1 : 1;
		lo -= fabs(lo) > 0 ? fabs(lo) * .1 : 1;
	}
	rpt_scale_t sx = {y0, y1 > y0 ? y1 : y0 + 1, x + 12, x + w - 12};
	rpt_scale_t sy = {lo, hi, y + h - 22, y + 24};
	rpt_put(o, "<g class=\"spark\" data-indicator=\"");
	rpt_esc(o, v[0]->name);
	rpt_printf(o, "\" data-points=\"%zu\">", n);
	rpt_rect(o, x, y, w - 6, h - 6, "class=\"frame\" stroke=\"#bbb\"");
	rpt_text(o, x + 6, y + 14, "start", "small", v[0]->name);
	if (n > 1) {
		rpt_printf(o, "<polyline fill=\"none\" stroke=\"%s\" "
		           "stroke-width=\"2\" points=\"", rpt_colour(0));
		for (size_t i = 0; i < n; i++) {
			rpt_put(o, i ? " " : "");
			rpt_coord(o, rpt_at(&sx, v[i]->year));
			rpt_put(o, ",");
			rpt_coord(o, rpt_at(&sy, v[i]->value));
		}
		rpt_put(o, "\"/>");
	}
	for (size_t i = 0; i < n; i++) {
		rpt_circle(o, rpt_at(&sx, v[i]->year), rpt_at(&sy, v[i]->value),
		           2.5, "fill=\"#0072B2\"");
	}
	char b[48];
	rpt_numfmt(b, sizeof(b), v[n - 1]->value);
	rpt_text(o, x + w - 10, y + 14, "end", "small sel", b);
	snprintf(b, sizeof(b), "%d", v[0]->year);
	rpt_text(o, x + 6, y + h - 10, "start", "small", b);
	if (n > 1) {
		snprintf(b, sizeof(b), "%d", v[n - 1]->year);
		rpt_text(o, x + w - 10, y + h - 10, "end", "small", b);
	}
	rpt_put(o, "</g>\n");
}

static void indicators(rpt_out_t *o, const Clusters__V1__Cluster *cl)
{
	size_t n = cl->n_indicators;
	if (!n) {
		rpt_put(o, "<p>No indicators.</p>");
		return;
	}
	ind_t **v = malloc(n * sizeof(*v));
	if (!v) {
		o->failed = 1;
		return;
	}
	memcpy(v, cl->indicators, n * sizeof(*v));
	qsort(v, n, sizeof(*v), by_name_year);
	int32_t y0 = v[0]->year, y1 = v[0]->year;
	size_t names = 0;
	for (size_t i = 0; i < n; i++) {
		y0 = v[i]->year < y0 ? v[i]->year : y0;
		y1 = v[i]->year > y1 ? v[i]->year : y1;
		if (!i || strcmp(v[i]->name, v[i - 1]->name))
			names++;
	}
	size_t panels = names > MAX_PANELS ? MAX_PANELS : names;
	const double PW = 220, PH = 100;
	size_t cols = 4, rows = (panels + cols - 1) / cols;
	char id[16], title[300], desc[300];
	snprintf(title, sizeof(title), "Indicators of %s, %d to %d", cl->name,
	         y0, y1);
	snprintf(desc, sizeof(desc), "%zu small line charts, one per "
	         "indicator, value against year; the latest value is written "
	         "at the top right. The table after the charts holds every "
	         "value.", panels);
	rpt_chart_open(o, "indicators", PW * (double)cols, PH * (double)rows,
	               title, desc, id);
	size_t p = 0;
	for (size_t i = 0; i < n && p < panels;) {
		size_t j = i;
		while (j < n && !strcmp(v[j]->name, v[i]->name))
			j++;
		panel(o, v + i, j - i, PW * (double)(p % cols),
		      PH * (double)(p / cols), PW, PH, y0, y1);
		p++;
		i = j;
	}
	rpt_chart_close(o, names > panels ? "The first indicators by name; "
	                "the table holds all of them."
	                : "One chart per indicator; each has its own scale.");
	rpt_put(o, "<table class=\"data\"><caption>Indicator values"
	        "</caption><tr><th class=\"l\">indicator</th><th>year</th>"
	        "<th>value</th><th class=\"l\">unit</th></tr>\n");
	for (size_t i = 0; i < n; i++) {
		rpt_put(o, "<tr><td class=\"l\">");
		rpt_esc(o, v[i]->name);
		rpt_printf(o, "</td><td>%d</td><td>", v[i]->year);
		rpt_num(o, v[i]->value);
		rpt_put(o, "</td><td class=\"l\">");
		rpt_esc(o, v[i]->unit);
		rpt_put(o, "</td></tr>\n");
	}
	rpt_put(o, "</table>\n");
	free(v);
}

static const Clusters__V1__RoundStats *stats_of(const rpt_data_t *d,
                                                 const char *round)
{
	for (size_t i = 0; i < d->nrounds; i++)
		if (!strcmp(d->rounds[i].stats->round, round))
			return d->rounds[i].stats;
	return NULL;
}

static const Clusters__V1__CriterionScore *
score_of(const Clusters__V1__RoundStanding *st, const char *criterion)
{
	for (size_t j = 0; j < st->n_scores; j++)
		if (!strcmp(st->scores[j]->criterion, criterion))
			return st->scores[j];
	return NULL;
}

/* Per criterion: the round's min to max (a line), mean +/- sd (a box,
 * the mean marked) and the cluster's raw score (a dot), each criterion
 * on its own scale. */
static void scores(rpt_out_t *o, const rpt_data_t *d,
                   const Clusters__V1__Cluster *cl,
                   const Clusters__V1__RoundStanding *st)
{
	const Clusters__V1__RoundStats *rs = stats_of(d, st->round);
	if (!rs || !rs->n_criteria || !st->n_scores)
		return;
	const double W = 760, LW = 180, RH = 26, TOP = 6;
	double H = TOP + (double)rs->n_criteria * RH + 10;
	char id[16], title[300], desc[400];
	snprintf(title, sizeof(title), "%s in round %s: raw criterion scores "
	         "against the round's", cl->name, st->round);
	snprintf(desc, sizeof(desc), "Per criterion, on its own scale: a line "
	         "from the round's lowest to highest raw score, a box from "
	         "the mean minus to the mean plus one standard deviation, and "
	         "a dot for this cluster. The table after the chart holds the "
	         "numbers.");
	rpt_chart_open(o, "scores", W, H, title, desc, id);
	for (size_t k = 0; k < rs->n_criteria; k++) {
		const Clusters__V1__CriterionStats *c = rs->criteria[k];
		const Clusters__V1__CriterionScore *cs = score_of(st, c->criterion);
		double y = TOP + (double)k * RH, cy = y + 10;
		double raw = cs ? cs->raw : NAN;
		double lo = c->min, hi = c->max;
		if (isfinite(raw)) {
			lo = raw < lo ? raw : lo;
			hi = raw > hi ? raw : hi;
		}
		if (!(hi > lo))
			hi = lo + 1;
		rpt_scale_t sc = {lo, hi, LW, W - 90};
		rpt_put(o, "<g class=\"criterion\" data-criterion=\"");
		rpt_esc(o, c->criterion);
		rpt_put(o, "\">");
		rpt_text(o, LW - 8, cy + 4, "end", NULL, c->criterion);
		rpt_line(o, rpt_at(&sc, c->min), cy, rpt_at(&sc, c->max), cy,
		         "stroke=\"#888\" stroke-width=\"1.5\"");
		double b0 = fmax(c->mean - c->sd, c->min);
		double b1 = fmin(c->mean + c->sd, c->max);
		rpt_rect(o, rpt_at(&sc, b0), cy - 6,
		         rpt_at(&sc, b1) - rpt_at(&sc, b0), 12,
		         "class=\"spread\" fill=\"#56B4E9\" stroke=\"#0072B2\"");
		rpt_line(o, rpt_at(&sc, c->mean), cy - 6, rpt_at(&sc, c->mean),
		         cy + 6, "stroke=\"#1a1a1a\"");
		char b[48];
		if (isfinite(raw)) {
			rpt_circle(o, rpt_at(&sc, raw), cy, 5, "class=\"me\" "
			           "fill=\"#D55E00\" stroke=\"#fff\"");
			rpt_numfmt(b, sizeof(b), raw);
		} else {
			snprintf(b, sizeof(b), "no score");
		}
		rpt_text(o, W - 80, cy + 4, "start", "sel", b);
		rpt_put(o, "</g>\n");
	}
	rpt_chart_close(o, "Dot: this cluster; line: the round's range; box: "
	                "the mean \xc2\xb1 one standard deviation.");
	rpt_put(o, "<table class=\"data\"><caption>Criterion scores in round ");
	rpt_esc(o, st->round);
	rpt_put(o, "</caption><tr><th class=\"l\">criterion</th><th>raw</th>"
	        "<th>normalised</th><th>weighted</th><th>round min</th>"
	        "<th>mean</th><th>sd</th><th>max</th></tr>\n");
	for (size_t k = 0; k < rs->n_criteria; k++) {
		const Clusters__V1__CriterionStats *c = rs->criteria[k];
		const Clusters__V1__CriterionScore *cs = score_of(st, c->criterion);
		double vals[7] = {cs ? cs->raw : NAN, cs ? cs->normalized : NAN,
		                  cs ? cs->weighted : NAN, c->min, c->mean, c->sd,
		                  c->max};
		rpt_put(o, "<tr><td class=\"l\">");
		rpt_esc(o, c->criterion);
		rpt_put(o, "</td>");
		for (int i = 0; i < 7; i++) {
			rpt_put(o, "<td>");
			rpt_num(o, vals[i]);
			rpt_put(o, "</td>");
		}
		rpt_put(o, "</tr>\n");
	}
	rpt_put(o, "</table>\n");
}

/* The cluster's score and rank in each pillar of the round, beside the
 * round's spread of that pillar. */
static void pillar_scores(rpt_out_t *o, const rpt_data_t *d,
                          const Clusters__V1__RoundStanding *st)
{
	const Clusters__V1__RoundStats *rs = stats_of(d, st->round);
	if (!rs || !rs->n_pillars || !st->n_pillars)
		return;
	rpt_put(o, "<table class=\"data pillars\"><caption>Pillar scores in "
	        "round ");
	rpt_esc(o, st->round);
	rpt_printf(o, " (rank among the %d ranked)</caption><tr><th "
	           "class=\"l\">pillar</th><th class=\"l\">in</th><th>score"
	           "</th><th>rank</th><th>share of the weight</th><th>round "
	           "min</th><th>mean</th><th>max</th></tr>\n", rs->ranked);
	for (size_t k = 0; k < rs->n_pillars; k++) {
		const Clusters__V1__PillarStats *p = rs->pillars[k];
		const Clusters__V1__PillarScore *ps = NULL;
		for (size_t j = 0; j < st->n_pillars && !ps; j++)
			if (!strcmp(st->pillars[j]->pillar, p->pillar))
				ps = st->pillars[j];
		rpt_printf(o, "<tr data-pillar=\"");
		rpt_esc(o, p->pillar);
		rpt_put(o, "\"><td class=\"l\">");
		rpt_esc(o, p->name[0] ? p->name : p->pillar);
		rpt_put(o, "</td><td class=\"l\">");
		rpt_esc(o, p->parent[0] ? p->parent : "total");
		rpt_put(o, "</td><td>");
		rpt_num(o, ps ? ps->score : NAN);
		if (ps && ps->rank)
			rpt_printf(o, "</td><td>%d</td><td>", ps->rank);
		else
			rpt_put(o, "</td><td>\xe2\x80\x94</td><td>");
		rpt_printf(o, "%.1f%%</td><td>", 100 * p->weight_share);
		rpt_num(o, p->min);
		rpt_put(o, "</td><td>");
		rpt_num(o, p->mean);
		rpt_put(o, "</td><td>");
		rpt_num(o, p->max);
		rpt_put(o, "</td></tr>\n");
	}
	rpt_put(o, "</table>\n");
}

static void assessments(rpt_out_t *o, const Clusters__V1__Cluster *cl)
{
	size_t n = cl->n_assessments;
	if (!n)
		return;
	size_t rows = n > MAX_ASSESSMENTS ? MAX_ASSESSMENTS : n;
	double lo = 0, hi = 0, step;
	for (size_t i = 0; i < n; i++) {
		double s = cl->assessments[i]->score;
		lo = s < lo ? s : lo;
		hi = s > hi ? s : hi;
	}
	rpt_nice(&lo, &hi, &step);
	const double W = 760, LW = 260, RH = 18, TOP = 6;
	double rows_h = TOP + (double)rows * RH;
	rpt_scale_t sc = {lo, hi, LW, W - 30};
	char id[16], title[300], desc[400];
	size_t recused = 0;
	for (size_t i = 0; i < n; i++)
		recused += cl->assessments[i]->recused ? 1 : 0;
	snprintf(title, sizeof(title), "Assessments of %s by judge", cl->name);
	snprintf(desc, sizeof(desc), "A row per judge and criterion with the "
	         "score as a dot; %zu recused assessment%s (kept, never "
	         "counted) %s drawn hollow and marked. The table after the "
	         "chart holds the scores and comments.", recused,
	         recused == 1 ? "" : "s", recused == 1 ? "is" : "are");
	rpt_chart_open(o, "assessments", W, rows_h + 40, title, desc, id);
	rpt_axis_x(o, &sc, step, TOP - 4, rows_h + 2, "score");
	for (size_t i = 0; i < rows; i++) {
		const Clusters__V1__Assessment *a = cl->assessments[i];
		double y = TOP + (double)i * RH, cy = y + 8;
		char label[300];
		snprintf(label, sizeof(label), "%s \xe2\x80\x94 %s%s", a->judge,
		         a->criterion, a->recused ? " (recused)" : "");
		rpt_put(o, "<g class=\"assessment");
		rpt_put(o, a->recused ? " recused\"" : "\"");
		rpt_put(o, " data-judge=\"");
		rpt_esc(o, a->judge);
		rpt_put(o, "\">");
		rpt_text(o, LW - 8, cy + 4, "end", a->recused ? "small" : NULL,
		         label);
		rpt_circle(o, rpt_at(&sc, a->score), cy, 5, a->recused
		           ? "fill=\"#fff\" stroke=\"#555\" stroke-dasharray=\"2 2\""
		           : "fill=\"#0072B2\"");
		rpt_put(o, "</g>\n");
	}
	rpt_chart_close(o, n > rows ? "The first assessments; the table holds "
	                "all of them." : "Filled: counted; hollow: recused.");
	rpt_put(o, "<table class=\"data\"><caption>Assessments</caption><tr>"
	        "<th class=\"l\">judge</th><th class=\"l\">round</th>"
	        "<th class=\"l\">criterion</th><th>score</th>"
	        "<th class=\"l\">recused</th><th class=\"l\">comment</th></tr>\n");
	for (size_t i = 0; i < n; i++) {
		const Clusters__V1__Assessment *a = cl->assessments[i];
		rpt_put(o, "<tr><td class=\"l\">");
		rpt_esc(o, a->judge);
		rpt_put(o, "</td><td class=\"l\">");
		rpt_esc(o, a->round);
		rpt_put(o, "</td><td class=\"l\">");
		rpt_esc(o, a->criterion);
		rpt_put(o, "</td><td>");
		rpt_num(o, a->score);
		rpt_put(o, a->recused ? "</td><td class=\"l\">recused</td>"
		                      : "</td><td class=\"l\"></td>");
		rpt_put(o, "<td class=\"l\">");
		rpt_esc(o, a->comment);
		rpt_put(o, "</td></tr>\n");
	}
	rpt_put(o, "</table>\n");
}

void rpt_sec_cluster(rpt_out_t *o, const rpt_data_t *d,
                     const rpt_cluster_t *c)
{
	const Clusters__V1__Cluster *cl = c->cluster;
	rpt_put(o, "<section class=\"cluster\" id=\"cluster-");
	rpt_esc(o, cl->id);
	rpt_put(o, "\"><h2>");
	rpt_esc(o, cl->name);
	rpt_put(o, "</h2>");
	facts(o, d, c);
	rpt_put(o, "<h3>Indicators over the years</h3>");
	indicators(o, cl);
	const Clusters__V1__Standing *s = c->standing;
	for (size_t i = 0; s && i < s->n_rounds; i++) {
		if (!s->rounds[i]->n_scores)
			continue;
		rpt_put(o, "<h3>Scores in round ");
		rpt_esc(o, s->rounds[i]->round);
		rpt_put(o, "</h3>");
		scores(o, d, cl, s->rounds[i]);
		pillar_scores(o, d, s->rounds[i]);
	}
	if (cl->n_assessments) {
		rpt_put(o, "<h3>Assessments by judge</h3>");
		assessments(o, cl);
	}
	rpt_put(o, "</section>\n");
}
