/* The summary of the selection (counts by group, groups holding at least
 * k, distinct counts) and the selection decisions in words. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpt_internal.h"

#define MAX_GROUPS 15  /* bars per chart; the rest make one "others" bar */

/* --------------------------------------------------------------- summary */

static void counts(rpt_out_t *o, const char *what, const char *plural,
                   const char *one,
                   Clusters__V1__GroupCount *const *g, size_t n)
{
	if (!n)
		return;
	size_t shown = n > MAX_GROUPS ? MAX_GROUPS : n;
	int32_t others = 0, max = 1;
	for (size_t i = 0; i < n; i++) {
		if (i >= shown)
			others += g[i]->count;
		else if (g[i]->count > max)
			max = g[i]->count;
	}
	if (others > max)
		max = others;
	size_t rows = shown + (others ? 1 : 0);
	const double W = 560, LW = 200, RH = 20, TOP = 6;
	double H = TOP + (double)rows * RH + 8;
	char id[16], title[200], desc[300];
	snprintf(title, sizeof(title), "Selected clusters by %s", what);
	snprintf(desc, sizeof(desc), "A bar per %s with its number of selected "
	         "clusters, most first%s. The table beside it holds the "
	         "numbers.", what, others ? "; the smallest groups are added "
	         "up in one bar" : "");
	rpt_put(o, "<div class=\"pair\">");
	rpt_chart_open(o, "counts", W, H, title, desc, id);
	rpt_scale_t sc = {0, max, LW, W - 50};
	for (size_t i = 0; i < rows; i++) {
		int other = i == shown;
		const char *key = other ? "others" : g[i]->key;
		int32_t c = other ? others : g[i]->count;
		double y = TOP + (double)i * RH;
		rpt_put(o, "<g class=\"count\" data-group=\"");
		rpt_esc(o, key);
		rpt_printf(o, "\" data-count=\"%d\"><text x=\"", c);
		rpt_coord(o, LW - 6);
		rpt_put(o, "\" y=\"");
		rpt_coord(o, y + 12);
		rpt_put(o, "\" text-anchor=\"end\">");
		rpt_esc_cut(o, key && *key ? key : "(none)", 26);
		rpt_put(o, "</text>");
		rpt_rect(o, LW, y + 2, rpt_at(&sc, c) - LW, 14,
		         "fill=\"#0072B2\"");
		char num[16];
		snprintf(num, sizeof(num), "%d", c);
		rpt_text(o, rpt_at(&sc, c) + 4, y + 12, "start", "small", num);
		rpt_put(o, "</g>\n");
	}
	char cap[200];
	snprintf(cap, sizeof(cap), "In all: %zu %s.", n, n == 1 ? one : plural);
	rpt_chart_close(o, cap);
	rpt_printf(o, "<table class=\"data\"><caption>By %s</caption><tr>"
	           "<th class=\"l\">%s</th><th>selected</th></tr>\n", what, what);
	for (size_t i = 0; i < n; i++) {
		rpt_put(o, "<tr><td class=\"l\">");
		rpt_esc(o, g[i]->key);
		rpt_printf(o, "</td><td>%d</td></tr>\n", g[i]->count);
	}
	rpt_put(o, "</table></div>\n");
}

static void at_least_row(rpt_out_t *o, const char *what,
                         Clusters__V1__GroupCount *const *g, size_t n)
{
	rpt_put(o, "<tr><td class=\"l\">");
	rpt_esc(o, what);
	rpt_printf(o, "</td><td>%zu</td><td class=\"l\">", n);
	for (size_t i = 0; i < n; i++) {
		if (i)
			rpt_put(o, ", ");
		rpt_esc(o, g[i]->key);
		rpt_printf(o, " (%d)", g[i]->count);
	}
	rpt_put(o, n ? "</td></tr>\n" : "none</td></tr>\n");
}

void rpt_sec_summary(rpt_out_t *o, const rpt_data_t *d)
{
	const Clusters__V1__Summary *s = d->run->summary;
	rpt_put(o, "<section id=\"summary\"><h2>Who was selected</h2>");
	if (!s || !s->selected) {
		rpt_put(o, "<p>No cluster was selected.</p></section>\n");
		return;
	}
	/* "25 clusters selected, from 24 cities in 10 regions of 1 economy,
	 * in 13 industries." without the parts the clusters do not record. */
	rpt_printf(o, "<p class=\"lead\">%d cluster%s selected", s->selected,
	           s->selected == 1 ? "" : "s");
	const char *join = " from";
	if (s->distinct_cities) {
		rpt_printf(o, "%s %d cit%s", join, s->distinct_cities,
		           s->distinct_cities == 1 ? "y" : "ies");
		join = " in";
	}
	if (s->distinct_regions) {
		rpt_printf(o, "%s %d region%s", join, s->distinct_regions,
		           s->distinct_regions == 1 ? "" : "s");
		join = " of";
	}
	if (s->distinct_economies)
		rpt_printf(o, "%s %d econom%s", join, s->distinct_economies,
		           s->distinct_economies == 1 ? "y" : "ies");
	if (s->distinct_industries)
		rpt_printf(o, ", in %d industr%s", s->distinct_industries,
		           s->distinct_industries == 1 ? "y" : "ies");
	rpt_put(o, ".</p>");
	int k = s->group_min > 0 ? s->group_min : 3;
	rpt_printf(o, "<table class=\"data\"><caption>Groups holding at "
	           "least %d selected clusters</caption><tr><th class=\"l\">"
	           "group</th><th>how many</th><th class=\"l\">which "
	           "(selected clusters)</th></tr>\n", k);
	at_least_row(o, "economies", s->economies_at_least,
	             s->n_economies_at_least);
	at_least_row(o, "regions", s->regions_at_least, s->n_regions_at_least);
	at_least_row(o, "cities", s->cities_at_least, s->n_cities_at_least);
	at_least_row(o, "industries", s->industries_at_least,
	             s->n_industries_at_least);
	rpt_put(o, "</table>\n");
	counts(o, "economy", "economies", "economy",
	       s->by_economy, s->n_by_economy);
	counts(o, "region", "regions", "region",
	       s->by_region, s->n_by_region);
	counts(o, "city", "cities", "city",
	       s->by_city, s->n_by_city);
	counts(o, "industry", "industries", "industry",
	       s->by_industry, s->n_by_industry);
	rpt_put(o, "</section>\n");
}

/* ------------------------------------------------------------- decisions */

static int32_t code_count(const Clusters__V1__RoundStats *rs, int code)
{
	for (size_t i = 0; i < rs->n_decisions; i++)
		if ((int)rs->decisions[i]->code == code)
			return rs->decisions[i]->count;
	return 0;
}

/* The name of a cluster the report read the standing of, else its id. */
static const char *name_of(const rpt_data_t *d, const char *id)
{
	for (size_t r = 0; r < d->nrounds; r++)
		for (size_t i = 0; i < d->rounds[r].nall; i++)
			if (!strcmp(d->rounds[r].top[i]->cluster_id, id))
				return rpt_name(d->rounds[r].top[i]);
	for (size_t i = 0; i < d->ntop; i++)
		if (!strcmp(d->top[i]->cluster_id, id))
			return rpt_name(d->top[i]);
	return id;
}

static void rules(rpt_out_t *o, const Clusters__V1__Round *def)
{
	const Clusters__V1__Selection *s = def ? def->selection : NULL;
	if (!s)
		return;
	rpt_put(o, "<p>The rules: ");
	int any = 0;
	if (s->top_n > 0)
		rpt_printf(o, "%sat most %d selected", any++ ? ", " : "", s->top_n);
	if (s->min_score)
		rpt_printf(o, "%sa score of at least %g", any++ ? ", " : "",
		           s->min_score->value);
	if (s->max_per_economy > 0)
		rpt_printf(o, "%sat most %d per economy", any++ ? ", " : "",
		           s->max_per_economy);
	if (s->max_per_region > 0)
		rpt_printf(o, "%sat most %d per region", any++ ? ", " : "",
		           s->max_per_region);
	if (s->max_per_city > 0)
		rpt_printf(o, "%sat most %d per city", any++ ? ", " : "",
		           s->max_per_city);
	if (s->industry_leaders)
		rpt_printf(o, "%sthe best of each industry first",
		           any++ ? ", " : "");
	rpt_put(o, any ? ".</p>" : "every ranked cluster.</p>");
}

static void round_decisions(rpt_out_t *o, const rpt_data_t *d, size_t ri)
{
	const rpt_round_t *r = &d->rounds[ri];
	const Clusters__V1__RoundStats *rs = r->stats;
	rpt_printf(o, "<h3>Round %zu, ", ri + 1);
	rpt_esc(o, rs->round);
	rpt_put(o, "</h3>");
	if (d->comp && ri < d->comp->n_rounds)
		rules(o, d->comp->rounds[ri]);
	rpt_printf(o, "<p>%d selected of %d candidates: %d by score", rs->selected,
	           rs->candidates, code_count(rs, 1));
	int32_t lead = code_count(rs, 2), quota = code_count(rs, 3);
	if (lead)
		rpt_printf(o, ", %d as the best of %s industry", lead,
		           lead == 1 ? "its" : "their");
	rpt_put(o, ".");
	struct { int code; const char *what; } out[] = {
		{3, "passed over because a quota was full"},
		{5, "ranked below the number to select"},
		{4, "below the minimum score"},
		{6, "not eligible"},
		{7, "without a score of some criterion"},
		{8, "with a score that is not a finite number"},
		{9, "not selected in an earlier round"},
	};
	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
		int32_t c = code_count(rs, out[i].code);
		if (c)
			rpt_printf(o, " %d %s.", c, out[i].what);
	}
	rpt_put(o, "</p>");
	if (rs->last_selected_cluster_id && *rs->last_selected_cluster_id) {
		rpt_put(o, "<p>The last selected: ");
		rpt_esc(o, name_of(d, rs->last_selected_cluster_id));
		rpt_put(o, " (score ");
		rpt_num(o, rs->last_selected_score);
		rpt_put(o, ")");
		if (rs->best_unselected_cluster_id &&
		    *rs->best_unselected_cluster_id) {
			rpt_put(o, "; the best not selected: ");
			rpt_esc(o, name_of(d, rs->best_unselected_cluster_id));
			rpt_put(o, " (score ");
			rpt_num(o, rs->best_unselected_score);
			rpt_put(o, ")");
		}
		rpt_put(o, ".</p>");
	}
	/* The decisions that are not the plain order of scores, in the
	 * run's own words. */
	size_t listed = 0;
	for (size_t i = 0; i < r->nall; i++) {
		const Clusters__V1__RoundStanding *st =
			rpt_round_of(r->top[i], rs->round);
		const Clusters__V1__Decision *dc = st ? st->decision : NULL;
		if (!dc || (dc->code != 2 && dc->code != 3))
			continue;
		if (!listed++)
			rpt_put(o, "<ul class=\"decisions\">");
		rpt_printf(o, "<li data-code=\"%d\"><strong>", dc->code);
		rpt_esc(o, rpt_name(r->top[i]));
		rpt_printf(o, "</strong> (rank %d): ", st->rank);
		rpt_esc(o, dc->text && *dc->text ? dc->text
		                                 : rpt_code_words(dc->code));
		rpt_put(o, "</li>");
	}
	if (listed)
		rpt_put(o, "</ul>");
	if (r->truncated && (lead || quota))
		rpt_put(o, "<p class=\"muted\">Some clusters these decisions "
		        "concern may be missing: the report read a bounded "
		        "number of standings.</p>");
}

void rpt_sec_decisions(rpt_out_t *o, const rpt_data_t *d)
{
	rpt_put(o, "<section id=\"decisions\"><h2>The decisions</h2><p "
	        "class=\"lead\">Each round's selection in words, from the "
	        "reason codes the run recorded; quota passes and industry "
	        "leaders by name.</p>");
	for (size_t i = 0; i < d->nrounds; i++)
		round_decisions(o, d, i);
	rpt_put(o, "</section>\n");
}
