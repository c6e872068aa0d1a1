/* clusterctl run standings RUN ...: ListStandings, every standing of a
 * run in pages, filtered by round, selection, economy, region, industry,
 * rank and cluster ids. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ctl_table.h"
#include "google/protobuf/wrappers.pb-c.h"

static const char ctl_standings_help[] =
	"Usage: clusterctl run standings RUN [--round R] [--selected|--not-selected]\n"
	"                                [--economy E] [--region R] [--industry I]\n"
	"                                [--min-rank N] [--max-rank N]\n"
	"                                [--cluster ID]...\n"
	"                                [--page-size N] [--page-token T] [--all]\n"
	"                                [--json|--csv]\n"
	"\n"
	"  every standing of a stored run, in standings order (a run keeps all\n"
	"  of them, not only the few thousand GetRun shows)\n"
	"\n"
	"  --round R       the candidates of round R (and --selected refers to R)\n"
	"  --selected      selected by the final round (or by --round)\n"
	"  --not-selected  not selected\n"
	"  --economy E     E or a cross-border economy with E in it (CN: CN/HK)\n"
	"  --min-rank N    overall rank N or below (excluded clusters: rank 0)\n"
	"  --max-rank N    overall rank N or above\n"
	"  --cluster ID    only cluster ID; repeat for more (at most 1000)\n"
	"  --page-size N   standings per page (server default 1000, at most 10000)\n"
	"  --all           every page (else the first; the next page's token\n"
	"                  goes to stderr)\n";

enum { OPT_ROUND = 1, OPT_SELECTED, OPT_NOT_SELECTED, OPT_ECONOMY,
       OPT_REGION, OPT_INDUSTRY, OPT_MIN_RANK, OPT_MAX_RANK, OPT_PAGE_SIZE,
       OPT_PAGE_TOKEN, OPT_ALL, OPT_CLUSTER };

typedef struct st_opts {
	Clusters__V1__ListStandingsRequest req;  /* cluster_ids: free() */
	Google__Protobuf__BoolValue sel;
	int all;
} st_opts_t;

/* -1 after --help, else CTL_OK or the usage error. */
static int st_parse(ctl_t *ctl, int argc, char **argv, st_opts_t *a)
{
	static const struct option o[] = {
		{ "round", required_argument, NULL, OPT_ROUND },
		{ "selected", no_argument, NULL, OPT_SELECTED },
		{ "not-selected", no_argument, NULL, OPT_NOT_SELECTED },
		{ "economy", required_argument, NULL, OPT_ECONOMY },
		{ "region", required_argument, NULL, OPT_REGION },
		{ "industry", required_argument, NULL, OPT_INDUSTRY },
		{ "min-rank", required_argument, NULL, OPT_MIN_RANK },
		{ "max-rank", required_argument, NULL, OPT_MAX_RANK },
		{ "page-size", required_argument, NULL, OPT_PAGE_SIZE },
		{ "page-token", required_argument, NULL, OPT_PAGE_TOKEN },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "cluster", required_argument, NULL, OPT_CLUSTER },
		CTL_COMMON_OPTS, { 0 } };
	const char *cmd = "run standings";
	int c, rc = CTL_OK;
	long v;
	while ((c = ctl_getopt(ctl, cmd, argc, argv, "h", o, &rc)) != -1) {
		switch (c) {
		case 'h': fputs(ctl_standings_help, stdout); return -1;
		case '?': return rc;
		case OPT_ROUND: a->req.round = optarg; break;
		case OPT_SELECTED:
		case OPT_NOT_SELECTED:
			if (a->req.selected)
				return ctl_usage(cmd, "%s: --selected and "
				                 "--not-selected: one at most",
				                 cmd);
			a->sel.value = c == OPT_SELECTED;
			a->req.selected = &a->sel;
			break;
		case OPT_ECONOMY: a->req.economy = optarg; break;
		case OPT_REGION: a->req.region = optarg; break;
		case OPT_INDUSTRY: a->req.industry = optarg; break;
		case OPT_PAGE_TOKEN: a->req.page_token = optarg; break;
		case OPT_ALL: a->all = 1; break;
		case OPT_CLUSTER: {
			/* The server checks the ids and their number. */
			char **ids = realloc(a->req.cluster_ids,
			                     (a->req.n_cluster_ids + 1) *
			                     sizeof(*ids));
			if (!ids)
				return ctl_fail(CTL_FAIL, "out of memory");
			a->req.cluster_ids = ids;
			ids[a->req.n_cluster_ids++] = optarg;
			break;
		}
		case OPT_MIN_RANK:
		case OPT_MAX_RANK:
			if ((rc = ctl_parse_int(cmd, c == OPT_MIN_RANK
			                        ? "--min-rank" : "--max-rank",
			                        optarg, 1, 2147483647, &v)))
				return rc;
			if (c == OPT_MIN_RANK)
				a->req.min_rank = (int32_t)v;
			else
				a->req.max_rank = (int32_t)v;
			break;
		case OPT_PAGE_SIZE:
			if ((rc = ctl_parse_int(cmd, "--page-size", optarg, 1,
			                        10000, &v)))
				return rc;
			a->req.page_size = (int32_t)v;
			break;
		}
	}
	if (optind >= argc)
		return ctl_usage(cmd, "%s: the run id is missing", cmd);
	a->req.run_id = argv[optind++];
	if (optind < argc)
		return ctl_usage(cmd, "%s: unexpected argument '%s'", cmd,
		                 argv[optind]);
	return CTL_OK;
}

/* The standing's entry for round name (NULL: its last entry that took
 * part), or NULL. */
static const Clusters__V1__RoundStanding *
st_round(const Clusters__V1__Standing *s, const char *name)
{
	const Clusters__V1__RoundStanding *last = NULL;
	for (size_t i = 0; i < s->n_rounds; i++) {
		const Clusters__V1__RoundStanding *r = s->rounds[i];
		if (name && !strcmp(r->round, name))
			return r;
		if (!name && (!r->decision || r->decision->code !=
		              CLUSTERS__V1__DECISION_CODE__DECISION_CODE_EXCLUDED_EARLIER))
			last = r;
	}
	return name ? NULL : last;
}

/* What the table shows: the overall standing, or with --round that
 * round's rank, score, normalised criterion scores, selection,
 * sensitivity and decision. */
typedef struct st_cols {
	const char *round;
	const char **crit;
	size_t ncrit;
	const char **pil;       /* pillar ids, in order of appearance */
	size_t npil;
	int sens;
} st_cols_t;

/* Adds id to v[0..*n) unless it is there. */
static int st_add(const char ***v, size_t *n, const char *id)
{
	for (size_t j = 0; j < *n; j++)
		if (!strcmp((*v)[j], id))
			return CTL_OK;
	const char **nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv)
		return CTL_FAIL;
	*v = nv;
	(*v)[(*n)++] = id;
	return CTL_OK;
}

static int st_columns(st_cols_t *c, Clusters__V1__ListStandingsResponse **pg,
                      size_t npg)
{
	for (size_t p = 0; p < npg; p++)
		for (size_t i = 0; i < pg[p]->n_standings; i++) {
			const Clusters__V1__RoundStanding *r =
				st_round(pg[p]->standings[i], c->round);
			if (!r)
				continue;
			c->sens |= r->sensitivity != NULL;
			for (size_t k = 0; k < r->n_scores; k++)
				if (st_add(&c->crit, &c->ncrit,
				           r->scores[k]->criterion))
					return CTL_FAIL;
			for (size_t k = 0; k < r->n_pillars; k++)
				if (st_add(&c->pil, &c->npil,
				           r->pillars[k]->pillar))
					return CTL_FAIL;
		}
	return CTL_OK;
}

static ctl_table_t *st_table(const st_cols_t *c, int exact)
{
	static const char *const all[] = { "RANK", "CLUSTER", "NAME", "ECONOMY",
	                                   "REGION", "INDUSTRY", "SCORE",
	                                   "SELECTED", "ROUND", "DECISION" };
	static const char *const one[] = { "ROUND RANK", "CLUSTER", "NAME",
	                                   "REGION", "INDUSTRY", "SCORE" };
	if (!c->round)
		return ctl_table_create(10, all);
	ctl_table_t *t = ctl_table_create(6, one);
	for (size_t k = 0; t && k < c->ncrit; k++)
		ctl_table_add_col(t, c->crit[k]);
	/* A pillar's score and its rank among the round's ranked. */
	for (size_t k = 0; t && k < c->npil; k++) {
		char h[300];
		snprintf(h, sizeof(h), "[%s]", c->pil[k]);
		ctl_table_add_col(t, h);
		snprintf(h, sizeof(h), "[%s] RANK", c->pil[k]);
		ctl_table_add_col(t, h);
	}
	if (t) {
		ctl_table_add_col(t, "SELECTED");
		if (c->sens) {
			ctl_table_add_col(t, "RANK P5-P95");
			ctl_table_add_col(t, exact ? "REACHED SHARE"
			                            : "REACHED %");
			ctl_table_add_col(t, exact ? "SELECTED SHARE"
			                            : "SELECTED %");
		}
		ctl_table_add_col(t, "DECISION");
	}
	return t;
}

static void st_share(ctl_table_t *t, double v, int exact)
{
	char num[40];
	if (exact) {
		ctl_num(num, sizeof(num), v, 1);
		ctl_table_cell(t, "%s", num);
	} else {
		ctl_table_cell(t, "%.0f%%", v * 100);
	}
}

static void st_row(ctl_table_t *t, const st_cols_t *c,
                   const Clusters__V1__Standing *s, int exact)
{
	char num[40];
	const Clusters__V1__RoundStanding *r = st_round(s, c->round);
	const Clusters__V1__Decision *d = r ? r->decision : NULL;
	int rank = c->round ? (r ? r->rank : 0) : s->rank;
	double score = c->round ? (r ? r->score : 0) : s->score;
	if (rank)
		ctl_table_cell(t, "%d", rank);
	else
		ctl_table_cell(t, "-");
	ctl_table_cell(t, "%s", s->cluster_id);
	ctl_table_cell(t, "%s", s->name);
	if (!c->round)
		ctl_table_cell(t, "%s", s->economy);
	ctl_table_cell(t, "%s", s->region);
	ctl_table_cell(t, "%s", s->industry);
	ctl_num(num, sizeof(num), score, exact);
	ctl_table_cell(t, "%s", rank ? num : "");
	if (!c->round) {
		ctl_table_cell(t, "%s", s->selected ? "yes" : "no");
		ctl_table_cell(t, "%s", s->round);
		ctl_table_cell(t, "%s", d && d->text[0] ? d->text
		                                         : s->excluded_reason);
		ctl_table_end_row(t);
		return;
	}
	for (size_t k = 0; k < c->ncrit; k++) {
		const Clusters__V1__CriterionScore *cs = NULL;
		for (size_t j = 0; r && j < r->n_scores && !cs; j++)
			if (!strcmp(r->scores[j]->criterion, c->crit[k]))
				cs = r->scores[j];
		if (cs && rank)
			ctl_num(num, sizeof(num), cs->normalized, exact);
		ctl_table_cell(t, "%s", cs && rank ? num : "");
	}
	for (size_t k = 0; k < c->npil; k++) {
		const Clusters__V1__PillarScore *ps = NULL;
		for (size_t j = 0; r && j < r->n_pillars && !ps; j++)
			if (!strcmp(r->pillars[j]->pillar, c->pil[k]))
				ps = r->pillars[j];
		if (ps && rank)
			ctl_num(num, sizeof(num), ps->score, exact);
		ctl_table_cell(t, "%s", ps && rank ? num : "");
		if (ps && rank)
			ctl_table_cell(t, "%d", ps->rank);
		else
			ctl_table_cell(t, "%s", "");
	}
	ctl_table_cell(t, "%s", r && r->selected ? "yes" : "");
	if (c->sens) {
		const Clusters__V1__SensitivityStats *x =
			r ? r->sensitivity : NULL;
		if (x && x->rank_p95)
			ctl_table_cell(t, "%d-%d", x->rank_p5, x->rank_p95);
		else
			ctl_table_cell(t, "%s", "");
		if (x) {
			st_share(t, x->reached_share, exact);
			st_share(t, x->selected_share, exact);
		} else {
			ctl_table_cell(t, "%s", "");
			ctl_table_cell(t, "%s", "");
		}
	}
	ctl_table_cell(t, "%s", d ? d->text : "");
	ctl_table_end_row(t);
}

/* qsort has no argument for the round: one command per process. */
static const char *st_sort_round;

typedef struct st_item {
	const Clusters__V1__Standing *s;
	size_t pos;        /* in standings order */
} st_item_t;

static int st_by_round_rank(const void *a, const void *b)
{
	const st_item_t *x = a, *y = b;
	const Clusters__V1__RoundStanding *rx = st_round(x->s, st_sort_round);
	const Clusters__V1__RoundStanding *ry = st_round(y->s, st_sort_round);
	uint32_t kx = rx && rx->rank ? (uint32_t)rx->rank : UINT32_MAX;
	uint32_t ky = ry && ry->rank ? (uint32_t)ry->rank : UINT32_MAX;
	if (kx != ky)
		return kx < ky ? -1 : 1;
	return (x->pos > y->pos) - (x->pos < y->pos);
}

int ctl_run_standings(ctl_t *ctl, int argc, char **argv)
{
	st_opts_t a;
	memset(&a, 0, sizeof(a));
	clusters__v1__list_standings_request__init(&a.req);
	google__protobuf__bool_value__init(&a.sel);
	int rc = st_parse(ctl, argc, argv, &a);
	if (rc) {
		free(a.req.cluster_ids);
		return rc < 0 ? CTL_OK : rc;
	}
	cc_client_t *cli = ctl_client(ctl);
	if (!cli) {
		free(a.req.cluster_ids);
		return CTL_FAIL;
	}
	Clusters__V1__ListStandingsResponse **pg = NULL;
	size_t npg = 0;
	char *token = NULL;
	do {
		Clusters__V1__ListStandingsResponse *resp;
		cc_status_t st;
		if (cc_list_standings(cli, ctl_opts(ctl), &a.req, &resp, &st)) {
			rc = ctl_rpc_fail(&st);
			break;
		}
		free(token);
		token = resp->next_page_token[0]
		                ? strdup(resp->next_page_token) : NULL;
		a.req.page_token = token ? token : "";
		if (ctl->fmt == CTL_JSON) {
			ctl_print_json((const ProtobufCMessage *)resp);
			cc_msg_free(resp);
			continue;
		}
		void *v = realloc(pg, (npg + 1) * sizeof(*pg));
		if (!v) {
			cc_msg_free(resp);
			rc = ctl_fail(CTL_FAIL, "out of memory");
			break;
		}
		pg = v;
		pg[npg++] = resp;
	} while (a.all && token);
	st_cols_t c = { a.req.round[0] ? a.req.round : NULL, NULL, 0, 0 };
	ctl_table_t *t = NULL;
	if (!rc && ctl->fmt != CTL_JSON &&
	    (st_columns(&c, pg, npg) ||
	     !(t = st_table(&c, ctl->fmt == CTL_CSV))))
		rc = ctl_fail(CTL_FAIL, "out of memory");
	st_item_t *rows = NULL;
	size_t nrows = 0;
	for (size_t p = 0; p < npg; p++)
		nrows += pg[p]->n_standings;
	if (t && nrows && !(rows = malloc(nrows * sizeof(*rows))))
		rc = ctl_fail(CTL_FAIL, "out of memory");
	for (size_t p = 0, k = 0; rows && p < npg; p++)
		for (size_t i = 0; i < pg[p]->n_standings; i++, k++)
			rows[k] = (st_item_t){ pg[p]->standings[i], k };
	/* One round's view reads in that round's order: its ranks, then
	 * the unranked in standings order. */
	if (rows && c.round) {
		st_sort_round = c.round;
		qsort(rows, nrows, sizeof(*rows), st_by_round_rank);
	}
	for (size_t i = 0; rows && i < nrows; i++)
		st_row(t, &c, rows[i].s, ctl->fmt == CTL_CSV);
	free(rows);
	if (!rc && t) {
		ctl_print_table(ctl, t);
		if (token && !a.all)
			fprintf(stderr, "more: --page-token %s\n", token);
	}
	free(token);
	free(c.crit);
	free(c.pil);
	free(a.req.cluster_ids);
	ctl_table_destroy(t);
	for (size_t p = 0; p < npg; p++)
		cc_msg_free(pg[p]);
	free(pg);
	return rc;
}
