/* How clusterctl shows competitions and runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_json.h"
#include "ctl.h"
#include "ctl_table.h"

const char *ctl_enum_name(const ProtobufCEnumDescriptor *d, int v, char *buf,
                          size_t len)
{
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(d, v);
	if (ev)
		return ev->name;
	snprintf(buf, len, "%d", v);
	return buf;
}

const char *ctl_enum_short(const ProtobufCEnumDescriptor *d, int v,
                           char *buf, size_t len)
{
	const char *n = ctl_enum_name(d, v, buf, len);
	/* The prefix is the common start of the first two names. */
	if (d->n_values < 2 || n == buf)
		return n;
	const char *a = d->values[0].name, *b = d->values[1].name;
	size_t k = 0, cut = 0;
	while (a[k] && a[k] == b[k]) {
		if (a[k] == '_')
			cut = k + 1;
		k++;
	}
	return strncmp(n, a, cut) ? n : n + cut;
}

/* exact (CSV, data for other programs): the shortest form that reads back
 * to the same double. Else, for people, a short precision. */
void ctl_num(char *buf, size_t len, double v, int exact)
{
	if (!exact) {
		snprintf(buf, len, "%.4g", v);
		if (!strchr(buf, 'e') && strlen(buf) <= 10)
			return;
	}
	cc_fmt_double(buf, len, v);
}

/* A standing's criterion scores: Standing.scores in runs stored before
 * per-round standings, else those of the last round it took part in. */
static Clusters__V1__CriterionScore *const *
ctl_scores(const Clusters__V1__Standing *s, size_t *n)
{
	*n = s->n_scores;
	if (s->n_scores)
		return s->scores;
	for (size_t r = s->n_rounds; r-- > 0;)
		if (s->rounds[r]->n_scores) {
			*n = s->rounds[r]->n_scores;
			return s->rounds[r]->scores;
		}
	return NULL;
}

/* The pillar scores of the round ctl_scores reads. */
static Clusters__V1__PillarScore *const *
ctl_pillar_scores(const Clusters__V1__Standing *s, size_t *n)
{
	*n = 0;
	for (size_t r = s->n_rounds; r-- > 0;)
		if (s->rounds[r]->n_scores) {
			*n = s->rounds[r]->n_pillars;
			return s->rounds[r]->pillars;
		}
	return NULL;
}

/* Pillar ids in order of first appearance. */
static size_t ctl_pillars(const Clusters__V1__Run *run, const char ***out)
{
	size_t n = 0;
	const char **v = NULL;
	for (size_t i = 0; i < run->n_standings; i++) {
		size_t np;
		Clusters__V1__PillarScore *const *ps =
			ctl_pillar_scores(run->standings[i], &np);
		for (size_t k = 0; k < np; k++) {
			size_t j = 0;
			while (j < n && strcmp(v[j], ps[k]->pillar))
				j++;
			if (j < n)
				continue;
			const char **nv = realloc(v, (n + 1) * sizeof(*nv));
			if (!nv)
				break;
			v = nv;
			v[n++] = ps[k]->pillar;
		}
	}
	*out = v;
	return n;
}

/* Criterion ids in order of first appearance. */
static size_t ctl_criteria(const Clusters__V1__Run *run, const char ***out)
{
	size_t n = 0, cap = 0;
	const char **v = NULL;
	for (size_t i = 0; i < run->n_standings; i++) {
		size_t ns;
		Clusters__V1__CriterionScore *const *sc =
			ctl_scores(run->standings[i], &ns);
		for (size_t k = 0; k < ns; k++) {
			const char *id = sc[k]->criterion;
			size_t j = 0;
			while (j < n && strcmp(v[j], id))
				j++;
			if (j < n)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 8;
				const char **nv = realloc(v, cap * sizeof(*nv));
				if (!nv)
					break;
				v = nv;
			}
			v[n++] = id;
		}
	}
	*out = v;
	return n;
}

/* What to say of a standing: the decision of the last round it took part
 * in when it is more than "selected by score" (a quota passed it over, it
 * led its industry, ...), else the exclusion reason of runs stored before
 * decisions. */
static const char *ctl_note(const Clusters__V1__Standing *s)
{
	const Clusters__V1__Decision *d = NULL;
	for (size_t i = 0; i < s->n_rounds; i++)
		if (s->rounds[i]->decision && s->rounds[i]->decision->code !=
		    CLUSTERS__V1__DECISION_CODE__DECISION_CODE_EXCLUDED_EARLIER)
			d = s->rounds[i]->decision;
	if (!d)
		return s->excluded_reason;
	if (d->code ==
	    CLUSTERS__V1__DECISION_CODE__DECISION_CODE_SELECTED_BY_SCORE)
		return "";
	return d->text;
}

static ctl_table_t *ctl_standings(const Clusters__V1__Run *run, int exact)
{
	static const char *const hdr[] = { "RANK", "CLUSTER", "NAME",
	                                   "ECONOMY", "SCORE" };
	const char **crit = NULL;
	size_t ncrit = ctl_criteria(run, &crit);
	int sens = 0;
	for (size_t i = 0; i < run->n_standings; i++)
		sens |= run->standings[i]->sensitivity != NULL;
	const char **pil = NULL;
	size_t npil = ctl_pillars(run, &pil);
	ctl_table_t *t = ctl_table_create(5, hdr);
	for (size_t k = 0; t && k < ncrit; k++)
		ctl_table_add_col(t, crit[k]);
	for (size_t k = 0; t && k < npil; k++) {
		char h[300];
		snprintf(h, sizeof(h), "[%s]", pil[k]);
		ctl_table_add_col(t, h);
	}
	if (t) {
		ctl_table_add_col(t, "SELECTED");
		ctl_table_add_col(t, "CHANGE");
		if (sens) {
			ctl_table_add_col(t, "RANK P5-P95");
			/* The share of samples in which the final round
			 * selected it; per round: run standings --round. */
			ctl_table_add_col(t, exact ? "WON SHARE" : "WON %");
		}
		ctl_table_add_col(t, "NOTE");
	}
	for (size_t i = 0; t && i < run->n_standings; i++) {
		const Clusters__V1__Standing *s = run->standings[i];
		char num[40];
		if (s->rank)
			ctl_table_cell(t, "%d", s->rank);
		else
			ctl_table_cell(t, "-");
		ctl_table_cell(t, "%s", s->cluster_id);
		ctl_table_cell(t, "%s", s->name);
		ctl_table_cell(t, "%s", s->economy);
		ctl_num(num, sizeof(num), s->score, exact);
		ctl_table_cell(t, "%s", s->rank ? num : "");
		size_t ns;
		Clusters__V1__CriterionScore *const *sc = ctl_scores(s, &ns);
		for (size_t k = 0; k < ncrit; k++) {
			const Clusters__V1__CriterionScore *cs = NULL;
			for (size_t j = 0; j < ns && !cs; j++)
				if (!strcmp(sc[j]->criterion, crit[k]))
					cs = sc[j];
			/* An excluded cluster's scores are in its
			 * decision, not in numbers (often NaN). */
			if (cs && s->rank)
				ctl_num(num, sizeof(num), cs->normalized,
				        exact);
			ctl_table_cell(t, "%s", cs && s->rank ? num : "");
		}
		size_t np;
		Clusters__V1__PillarScore *const *ps = ctl_pillar_scores(s, &np);
		for (size_t k = 0; k < npil; k++) {
			const Clusters__V1__PillarScore *p = NULL;
			for (size_t j = 0; j < np && !p; j++)
				if (!strcmp(ps[j]->pillar, pil[k]))
					p = ps[j];
			if (p && s->rank)
				ctl_num(num, sizeof(num), p->score, exact);
			ctl_table_cell(t, "%s", p && s->rank ? num : "");
		}
		ctl_table_cell(t, "%s", s->selected ? "yes" : "");
		if (!s->rank_change)
			ctl_table_cell(t, "%s", run->baseline_run_id[0] ? "new"
			                                               : "");
		else
			ctl_table_cell(t, "%+d", s->rank_change->value);
		if (sens && s->sensitivity) {
			if (s->sensitivity->rank_p95)
				ctl_table_cell(t, "%d-%d",
				               s->sensitivity->rank_p5,
				               s->sensitivity->rank_p95);
			else /* not ranked, or not tracked */
				ctl_table_cell(t, "%s", "");
			ctl_num(num, sizeof(num),
			        s->sensitivity->selected_share, 1);
			if (exact)
				ctl_table_cell(t, "%s", num);
			else
				ctl_table_cell(t, "%.0f%%",
				               s->sensitivity->selected_share *
				                       100);
		} else if (sens) {
			ctl_table_cell(t, "%s", "");
			ctl_table_cell(t, "%s", "");
		}
		ctl_table_cell(t, "%s", ctl_note(s));
		ctl_table_end_row(t);
	}
	free(crit);
	free(pil);
	return t;
}

static void ctl_groups(const char *title, Clusters__V1__GroupCount **g,
                       size_t n)
{
	if (!n)
		return;
	const char *hdr[] = { title, "SELECTED" };
	ctl_table_t *t = ctl_table_create(2, hdr);
	for (size_t i = 0; t && i < n; i++) {
		ctl_table_cell(t, "%s", g[i]->key);
		ctl_table_cell(t, "%d", g[i]->count);
		ctl_table_end_row(t);
	}
	if (t) {
		fputc('\n', stdout);
		ctl_table_print(t, stdout);
	}
	ctl_table_destroy(t);
}

/* A decision code in words, for counts ("3 outside the top n"). */
static const char *ctl_decision_words(int code)
{
	switch (code) {
	case CLUSTERS__V1__DECISION_CODE__DECISION_CODE_SELECTED_BY_SCORE:
		return "selected by score";
	case CLUSTERS__V1__DECISION_CODE__DECISION_CODE_SELECTED_AS_INDUSTRY_LEADER:
		return "selected as industry leader";
	case CLUSTERS__V1__DECISION_CODE__DECISION_CODE_PASSED_OVER_BY_QUOTA:
		return "passed over by a quota";
	case CLUSTERS__V1__DECISION_CODE__DECISION_CODE_BELOW_MIN_SCORE:
		return "below the minimum score";
	case CLUSTERS__V1__DECISION_CODE__DECISION_CODE_OUTSIDE_TOP_N:
		return "outside the top n";
	case CLUSTERS__V1__DECISION_CODE__DECISION_CODE_NOT_ELIGIBLE:
		return "not eligible";
	case CLUSTERS__V1__DECISION_CODE__DECISION_CODE_MISSING_SCORE:
		return "missing a score";
	case CLUSTERS__V1__DECISION_CODE__DECISION_CODE_NOT_FINITE:
		return "without a finite score";
	case CLUSTERS__V1__DECISION_CODE__DECISION_CODE_EXCLUDED_EARLIER:
		return "out in an earlier round";
	default:
		return "undecided";
	}
}

/* State, error, times, live progress, the rounds' funnels and their
 * plugins' notes. */
/* The pillars under parent ("" = the top level), each followed by its
 * own, indented by depth, with their shares of the total and the spread
 * of their scores. */
static void ctl_pillar_tree(const Clusters__V1__RoundStats *r,
                            const char *parent, int depth)
{
	char b1[32], n1[40], n2[40], n3[40], n4[40];
	if (depth > 8)
		return;
	for (size_t k = 0; k < r->n_pillars; k++) {
		const Clusters__V1__PillarStats *p = r->pillars[k];
		if (strcmp(p->parent, parent))
			continue;
		int named = p->name[0] && strcmp(p->name, p->pillar);
		ctl_num(n1, sizeof(n1), p->min, 0);
		ctl_num(n2, sizeof(n2), p->max, 0);
		ctl_num(n3, sizeof(n3), p->mean, 0);
		ctl_num(n4, sizeof(n4), p->sd, 0);
		/* Unspecified is the arithmetic mean. */
		int agg = p->aggregation ? (int)p->aggregation
		          : CLUSTERS__V1__AGGREGATION__AGGREGATION_WEIGHTED_ARITHMETIC;
		printf("%*spillar %s%s%s%s: weight %g (%.4g%% of the total), "
		       "%s", 2 * depth, "", p->pillar, named ? " \"" : "",
		       named ? p->name : "", named ? "\"" : "", p->weight,
		       100 * p->weight_share,
		       ctl_enum_short(&clusters__v1__aggregation__descriptor,
		                      agg, b1, sizeof(b1)));
		if (p->normalization > CLUSTERS__V1__NORMALIZATION__NORMALIZATION_NONE)
			printf(", normalised %s", ctl_enum_short(
				&clusters__v1__normalization__descriptor,
				p->normalization, b1, sizeof(b1)));
		printf("; %d scored, %s..%s, mean %s, sd %s\n", p->scored, n1,
		       n2, n3, n4);
		ctl_pillar_tree(r, p->pillar, depth + 1);
	}
}

static void ctl_run_head(const Clusters__V1__Run *run)
{
	char b[16], t1[32], t2[32], d[32];
	if (run->state) {
		printf("state: %s", ctl_enum_short(
			&clusters__v1__run_state__descriptor, run->state, b,
			sizeof(b)));
		ctl_fmt_time(t1, sizeof(t1), run->start_time);
		ctl_fmt_time(t2, sizeof(t2), run->end_time);
		if (t1[0])
			printf(", started %s UTC", t1);
		if (t2[0])
			printf(", ended %s UTC", t2);
		if (run->start_time && run->end_time) {
			int64_t ms = (run->end_time->seconds -
			              run->start_time->seconds) * 1000 +
			             (run->end_time->nanos -
			              run->start_time->nanos) / 1000000;
			ctl_fmt_ms(d, sizeof(d), ms);
			printf(" (took %s)", d);
		}
		if (run->principal[0])
			printf(", by %s", run->principal);
		fputc('\n', stdout);
	}
	if (run->error && run->error->code)
		printf("error: %s: %s\n", cc_status_name(run->error->code),
		       run->error->message);
	const Clusters__V1__Progress *p = run->progress;
	if (p && (run->state == CLUSTERS__V1__RUN_STATE__RUN_STATE_QUEUED ||
	          run->state == CLUSTERS__V1__RUN_STATE__RUN_STATE_RUNNING)) {
		ctl_fmt_ms(d, sizeof(d), ctl_dur_ms(p->elapsed));
		printf("progress: %.0f%%, %s%s%s %lld/%lld, %s elapsed",
		       p->fraction * 100, p->stage,
		       p->round[0] ? " round " : "", p->round,
		       (long long)p->done, (long long)p->total, d);
		if (p->time_left) {
			ctl_fmt_ms(d, sizeof(d), ctl_dur_ms(p->time_left));
			printf(", about %s left", d);
		}
		fputc('\n', stdout);
	}
	for (size_t i = 0; i < run->n_rounds; i++) {
		const Clusters__V1__RoundStats *r = run->rounds[i];
		printf("round %s: %d candidates -> %d eligible -> %d ranked -> "
		       "%d selected", r->round, r->candidates, r->eligible,
		       r->ranked, r->selected);
		for (size_t k = 0; k < r->n_decisions; k++)
			printf("%s%d %s", k ? ", " : "; ",
			       r->decisions[k]->count,
			       ctl_decision_words(r->decisions[k]->code));
		fputc('\n', stdout);
		ctl_pillar_tree(r, "", 1);
		/* What the plugins noted of the round, e.g. the weights an
		 * objective method derived. */
		for (size_t k = 0; k < r->n_criteria; k++) {
			const Clusters__V1__CriterionStats *c = r->criteria[k];
			for (size_t j = 0; j < c->n_plugin_notes; j++)
				printf("  %s (%s) %s: %s\n", c->criterion,
				       c->plugin, c->plugin_notes[j]->key,
				       c->plugin_notes[j]->value);
		}
	}
}

int ctl_print_run(ctl_t *ctl, const Clusters__V1__Run *run)
{
	if (ctl->fmt == CTL_JSON)
		return ctl_print_json((const ProtobufCMessage *)run);
	ctl_table_t *t = ctl_standings(run, ctl->fmt == CTL_CSV);
	if (!t)
		return ctl_fail(CTL_FAIL, "out of memory");
	if (ctl->fmt == CTL_CSV) {
		/* The standings are the data; warnings go beside them. */
		for (size_t i = 0; i < run->n_warnings; i++)
			fprintf(stderr, "clusterctl: warning: %s\n",
			        run->warnings[i]);
		ctl_table_print_csv(t, stdout);
		ctl_table_destroy(t);
		return CTL_OK;
	}
	char when[32];
	ctl_fmt_time(when, sizeof(when), run->create_time);
	printf("run %s of competition %s", run->id, run->competition_id);
	if (when[0])
		printf(", %s UTC", when);
	printf(", data version %llu, %d candidates\n",
	       (unsigned long long)run->data_version, run->candidates);
	ctl_run_head(run);
	if (run->baseline_run_id[0])
		printf("rank change against run %s\n", run->baseline_run_id);
	for (size_t i = 0; i < run->n_plugins; i++)
		printf("%s %s %s\n", i ? "        " : "plugins:",
		       run->plugins[i]->name, run->plugins[i]->version);
	for (size_t i = 0; i < run->n_warnings; i++)
		printf("warning: %s\n", run->warnings[i]);
	fputc('\n', stdout);
	ctl_table_print(t, stdout);
	ctl_table_destroy(t);
	const Clusters__V1__Summary *s = run->summary;
	if (s) {
		printf("\nselected: %d (%d economies, %d regions, %d cities, "
		       "%d industries)\n", s->selected, s->distinct_economies,
		       s->distinct_regions, s->distinct_cities,
		       s->distinct_industries);
		ctl_groups("ECONOMY", s->by_economy, s->n_by_economy);
		ctl_groups("REGION", s->by_region, s->n_by_region);
		ctl_groups("CITY", s->by_city, s->n_by_city);
		ctl_groups("INDUSTRY", s->by_industry, s->n_by_industry);
	}
	ctl_print_coherence(run);
	return CTL_OK;
}

static void ctl_round(const Clusters__V1__Round *r, size_t idx)
{
	char b1[16], b2[16];
	printf("\nround %zu: %s (aggregation %s, missing %s)\n", idx + 1,
	       r->name,
	       ctl_enum_name(&clusters__v1__aggregation__descriptor,
	                     r->aggregation, b1, sizeof(b1)),
	       ctl_enum_name(&clusters__v1__missing_policy__descriptor,
	                     r->missing, b2, sizeof(b2)));
	const Clusters__V1__Selection *sel = r->selection;
	if (sel) {
		printf("  selection: top %d", sel->top_n);
		if (sel->min_score)
			printf(", score >= %g", sel->min_score->value);
		if (sel->max_per_economy)
			printf(", at most %d per economy", sel->max_per_economy);
		if (sel->max_per_region)
			printf(", at most %d per region", sel->max_per_region);
		if (sel->max_per_city)
			printf(", at most %d per city", sel->max_per_city);
		if (sel->industry_leaders)
			printf(", industry leaders first");
		fputc('\n', stdout);
	}
	if (r->n_eligibility)
		printf("  eligibility: %zu condition%s\n", r->n_eligibility,
		       r->n_eligibility == 1 ? "" : "s");
	static const char *const hdr[] = { "CRITERION", "PLUGIN", "WEIGHT",
	                                   "NORMALIZATION", "PARAMS" };
	ctl_table_t *t = ctl_table_create(5, hdr);
	if (t && r->n_pillars)
		ctl_table_add_col(t, "PILLAR");
	for (size_t i = 0; t && i < r->n_criteria; i++) {
		const Clusters__V1__Criterion *c = r->criteria[i];
		char params[512] = "";
		size_t n = 0;
		for (size_t k = 0; k < c->n_params && n < sizeof(params); k++)
			n += (size_t)snprintf(params + n, sizeof(params) - n,
			                      "%s%s=%s", k ? " " : "",
			                      c->params[k]->key,
			                      c->params[k]->value);
		ctl_table_cell(t, "%s", c->id);
		ctl_table_cell(t, "%s", c->plugin);
		ctl_table_cell(t, "%g", c->weight);
		ctl_table_cell(t, "%s",
		               ctl_enum_name(&clusters__v1__normalization__descriptor,
		                             c->normalization, b1, sizeof(b1)));
		ctl_table_cell(t, "%s", params);
		if (r->n_pillars)
			ctl_table_cell(t, "%s", c->pillar[0] ? c->pillar : "-");
		ctl_table_end_row(t);
	}
	if (t && ctl_table_rows(t))
		ctl_table_print(t, stdout);
	ctl_table_destroy(t);
	static const char *const phdr[] = { "PILLAR", "NAME", "PARENT",
	                                    "WEIGHT", "AGGREGATION",
	                                    "NORMALIZATION" };
	t = r->n_pillars ? ctl_table_create(6, phdr) : NULL;
	for (size_t i = 0; t && i < r->n_pillars; i++) {
		const Clusters__V1__Pillar *p = r->pillars[i];
		ctl_table_cell(t, "%s", p->id);
		ctl_table_cell(t, "%s", p->name);
		ctl_table_cell(t, "%s", p->parent[0] ? p->parent : "-");
		ctl_table_cell(t, "%g", p->weight);
		ctl_table_cell(t, "%s",
		               ctl_enum_name(&clusters__v1__aggregation__descriptor,
		                             p->aggregation, b1, sizeof(b1)));
		ctl_table_cell(t, "%s",
		               ctl_enum_name(&clusters__v1__normalization__descriptor,
		                             p->normalization, b2, sizeof(b2)));
		ctl_table_end_row(t);
	}
	if (t) {
		fputc('\n', stdout);
		ctl_table_print(t, stdout);
	}
	ctl_table_destroy(t);
}

int ctl_print_competition(ctl_t *ctl, const Clusters__V1__Competition *c)
{
	if (ctl->fmt == CTL_JSON)
		return ctl_print_json((const ProtobufCMessage *)c);
	char when[32];
	ctl_fmt_time(when, sizeof(when), c->create_time);
	if (ctl->fmt == CTL_CSV) {
		static const char *const hdr[] = { "id", "title", "edition",
		                                   "rounds", "created" };
		ctl_table_t *t = ctl_table_create(5, hdr);
		if (!t)
			return ctl_fail(CTL_FAIL, "out of memory");
		ctl_table_cell(t, "%s", c->id);
		ctl_table_cell(t, "%s", c->title);
		ctl_table_cell(t, "%s", c->edition);
		ctl_table_cell(t, "%zu", c->n_rounds);
		ctl_table_cell(t, "%s", when);
		ctl_table_print_csv(t, stdout);
		ctl_table_destroy(t);
		return CTL_OK;
	}
	printf("%-12s %s\n", "id:", c->id);
	printf("%-12s %s\n", "title:", c->title);
	if (c->edition[0])
		printf("%-12s %s\n", "edition:", c->edition);
	if (c->description[0])
		printf("%-12s %s\n", "description:", c->description);
	if (c->baseline_run_id[0])
		printf("%-12s %s\n", "baseline:", c->baseline_run_id);
	if (when[0])
		printf("%-12s %s\n", "created:", when);
	if (c->etag[0])
		printf("%-12s %s\n", "etag:", c->etag);
	for (size_t i = 0; i < c->n_rounds; i++)
		ctl_round(c->rounds[i], i);
	return CTL_OK;
}
