/* clusterctl's view of a run's coherence (RoundStats.coherence): per
 * round, Cronbach's alpha, each item against the total and its group,
 * every pair, then the flags and notes in words. */
#include <math.h>
#include <stdio.h>

#include "ctl.h"
#include "ctl_table.h"

/* A correlation or alpha for people; "-" where it is not defined. */
static void coh_num(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.3f", v);
}

static void coh_print(ctl_table_t *t)
{
	if (t && ctl_table_rows(t)) {
		fputc('\n', stdout);
		ctl_table_print(t, stdout);
	}
	ctl_table_destroy(t);
}

static void coh_round(const Clusters__V1__RoundStats *r)
{
	const Clusters__V1__RoundCoherence *co = r->coherence;
	char a[32], b[32], c[32], d[32];
	printf("\ncoherence of round %s (%d ranked clusters, normalised "
	       "scores):", r->round, co->observations);
	for (size_t i = 0; i < co->n_groups; i++) {
		const Clusters__V1__CoherenceGroup *g = co->groups[i];
		coh_num(a, sizeof(a), g->cronbach_alpha);
		printf("%s Cronbach's alpha %s%s%s %s (%d items)",
		       i ? "," : "", g->group[0] ? "of " : "",
		       g->group, g->group[0] ? "" : "of the round", a,
		       g->items);
	}
	fputc('\n', stdout);
	const char *ih[] = { "ITEM", "GROUP", "PEARSON_TOTAL",
	                     "SPEARMAN_TOTAL", "PEARSON_GROUP",
	                     "SPEARMAN_GROUP" };
	ctl_table_t *t = ctl_table_create(6, ih);
	for (size_t i = 0; t && i < co->n_items; i++) {
		const Clusters__V1__CoherenceItem *it = co->items[i];
		coh_num(a, sizeof(a), it->pearson_total);
		coh_num(b, sizeof(b), it->spearman_total);
		coh_num(c, sizeof(c), it->pearson_group);
		coh_num(d, sizeof(d), it->spearman_group);
		ctl_table_cell(t, "%s", it->id);
		ctl_table_cell(t, "%s", it->group[0] ? it->group : "(round)");
		ctl_table_cell(t, "%s", a);
		ctl_table_cell(t, "%s", b);
		ctl_table_cell(t, "%s", c);
		ctl_table_cell(t, "%s", d);
		ctl_table_end_row(t);
	}
	coh_print(t);
	const char *ph[] = { "ITEM_A", "ITEM_B", "PEARSON", "SPEARMAN" };
	t = ctl_table_create(4, ph);
	for (size_t i = 0; t && i < co->n_pairs; i++) {
		const Clusters__V1__CoherencePair *p = co->pairs[i];
		coh_num(a, sizeof(a), p->pearson);
		coh_num(b, sizeof(b), p->spearman);
		ctl_table_cell(t, "%s", p->item_a);
		ctl_table_cell(t, "%s", p->item_b);
		ctl_table_cell(t, "%s", a);
		ctl_table_cell(t, "%s", b);
		ctl_table_end_row(t);
	}
	coh_print(t);
	if (co->n_flags || co->n_notes)
		fputc('\n', stdout);
	for (size_t i = 0; i < co->n_flags; i++)
		printf("flag: %s\n", co->flags[i]->text);
	for (size_t i = 0; i < co->n_notes; i++)
		printf("note: %s\n", co->notes[i]);
}

void ctl_print_coherence(const Clusters__V1__Run *run)
{
	for (size_t i = 0; i < run->n_rounds; i++)
		if (run->rounds[i]->coherence)
			coh_round(run->rounds[i]);
}
