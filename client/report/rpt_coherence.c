/* The coherence section: per round, the correlation matrix of its
 * criteria and the total (Pearson's r with Spearman's rho), Cronbach's
 * alpha, and the flags and notes in the run's own words. Read from
 * RoundStats.coherence as stored, never recomputed. */
#include <math.h>
#include <string.h>

#include "rpt_internal.h"

/* A correlation for a cell: three decimals, "–" where not defined. */
static void corr(rpt_out_t *o, double v)
{
	if (isnan(v))
		rpt_put(o, "\xe2\x80\x93");
	else
		rpt_printf(o, "%.3f", v);
}

static void cell(rpt_out_t *o, double r, double rho)
{
	rpt_put(o, "<td>");
	corr(o, r);
	rpt_put(o, " (");
	corr(o, rho);
	rpt_put(o, ")</td>");
}

static const Clusters__V1__CoherencePair *
find_pair(const Clusters__V1__RoundCoherence *co, const char *a,
          const char *b)
{
	for (size_t i = 0; i < co->n_pairs; i++) {
		const Clusters__V1__CoherencePair *p = co->pairs[i];
		if ((!strcmp(p->item_a, a) && !strcmp(p->item_b, b)) ||
		    (!strcmp(p->item_a, b) && !strcmp(p->item_b, a)))
			return p;
	}
	return NULL;
}

static void round_coherence(rpt_out_t *o, const Clusters__V1__RoundStats *rs)
{
	const Clusters__V1__RoundCoherence *co = rs->coherence;
	int grouped = 0;     /* an item whose group is not the round */
	for (size_t i = 0; i < co->n_items; i++)
		grouped |= co->items[i]->group[0] != '\0';
	rpt_put(o, "<h3>Round ");
	rpt_esc(o, rs->round);
	rpt_put(o, "</h3><p>");
	rpt_printf(o, "Over the %d ranked clusters' normalised scores. ",
	           co->observations);
	for (size_t i = 0; i < co->n_groups; i++) {
		const Clusters__V1__CoherenceGroup *g = co->groups[i];
		rpt_put(o, "Cronbach's alpha of ");
		if (g->group[0]) {
			rpt_put(o, "<q>");
			rpt_esc(o, g->group);
			rpt_put(o, "</q>");
		} else {
			rpt_put(o, "the round");
		}
		rpt_put(o, ": <b>");
		corr(o, g->cronbach_alpha);
		rpt_printf(o, "</b> (%d items). ", g->items);
	}
	rpt_put(o, "</p><table class=\"data coherence\"><caption>Correlations "
	        "in round ");
	rpt_esc(o, rs->round);
	rpt_put(o, ": Pearson's r (Spearman's \xcf\x81)</caption><tr>"
	        "<th class=\"l\" scope=\"col\">item</th>");
	for (size_t j = 0; j < co->n_items; j++) {
		rpt_put(o, "<th scope=\"col\">");
		rpt_esc(o, co->items[j]->id);
		rpt_put(o, "</th>");
	}
	rpt_put(o, "<th scope=\"col\">total</th>");
	if (grouped)
		rpt_put(o, "<th scope=\"col\">its group</th>");
	rpt_put(o, "</tr>");
	for (size_t i = 0; i < co->n_items; i++) {
		const Clusters__V1__CoherenceItem *it = co->items[i];
		rpt_put(o, "<tr><th class=\"l\" scope=\"row\">");
		rpt_esc(o, it->id);
		rpt_put(o, "</th>");
		for (size_t j = 0; j < co->n_items; j++) {
			const Clusters__V1__CoherencePair *p =
				i == j ? NULL
				       : find_pair(co, it->id, co->items[j]->id);
			if (i == j)
				rpt_put(o, "<td>1</td>");
			else if (p)
				cell(o, p->pearson, p->spearman);
			else
				rpt_put(o, "<td></td>");
		}
		cell(o, it->pearson_total, it->spearman_total);
		if (grouped)
			cell(o, it->pearson_group, it->spearman_group);
		rpt_put(o, "</tr>");
	}
	rpt_put(o, "</table>");
	if (co->n_flags) {
		rpt_put(o, "<ul class=\"flags\">");
		for (size_t i = 0; i < co->n_flags; i++) {
			rpt_put(o, "<li>");
			rpt_esc(o, co->flags[i]->text);
			rpt_put(o, "</li>");
		}
		rpt_put(o, "</ul>");
	} else {
		rpt_put(o, "<p class=\"muted\">Nothing flagged.</p>");
	}
	for (size_t i = 0; i < co->n_notes; i++) {
		rpt_put(o, "<p class=\"muted note\">");
		rpt_esc(o, co->notes[i]);
		rpt_put(o, "</p>");
	}
}

void rpt_sec_coherence(rpt_out_t *o, const rpt_data_t *d)
{
	size_t n = 0;
	for (size_t i = 0; i < d->nrounds; i++)
		n += d->rounds[i].stats->coherence != NULL;
	if (!n)                 /* runs stored before */
		return;
	const Clusters__V1__RoundCoherence *co = NULL;
	for (size_t i = 0; i < d->nrounds && !co; i++)
		co = d->rounds[i].stats->coherence;
	rpt_put(o, "<section id=\"coherence\"><h2>Statistical coherence</h2>"
	        "<p class=\"lead\">Per round, how its criteria's normalised "
	        "scores agree with each other and with the total score, over "
	        "the ranked clusters: Pearson's r, Spearman's \xcf\x81 (of the "
	        "ranks, ties averaged) in brackets, and Cronbach's alpha. ");
	rpt_printf(o, "Flagged: a criterion that correlates negatively with "
	           "its group's score, or weakly (r at most %g), and two "
	           "criteria of a group that correlate above %g.</p>",
	           co->weak_threshold, co->redundant_threshold);
	for (size_t i = 0; i < d->nrounds; i++)
		if (d->rounds[i].stats->coherence)
			round_coherence(o, d->rounds[i].stats);
	rpt_put(o, "</section>\n");
}
