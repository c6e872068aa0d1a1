/* clusterctl run ...: stored runs of the CompetitionService (get, list,
 * watch, cancel, explain, delete; standings in ctl_standings.c) and the
 * watching that "competition run" shares. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl.h"
#include "ctl_table.h"

static const char ctl_run_help[] =
	"Usage: clusterctl run SUBCOMMAND ...\n"
	"\n"
	"  get ID                      show a run: its state, times, progress\n"
	"                              while it runs, each round's funnel,\n"
	"                              then the standings\n"
	"  list [--competition ID] [--state S] [--page-size N]\n"
	"       [--page-token T] [--all]\n"
	"                              S: queued, running, succeeded, failed\n"
	"                              or cancelled\n"
	"  watch ID                    follow a run's progress until it ends,\n"
	"                              then show it like get; exit status 1\n"
	"                              when it FAILED or was CANCELLED (no\n"
	"                              deadline unless --timeout is given)\n"
	"  cancel ID                   cancel a QUEUED or RUNNING run\n"
	"  explain RUN CLUSTER [--round R]\n"
	"                              why a cluster stands where it does in\n"
	"                              a round (default: the last it reached)\n"
	"                              and what would close the gap\n"
	"  delete ID                   delete a stored run\n"
	"  standings RUN [filters] [--all] [--json|--csv]\n"
	"                              every standing of a run, in pages\n"
	"                              (clusterctl run standings --help)\n"
	"  report RUN -o FILE [--top N] [--baseline RUN] [--cluster ID]...\n"
	"                              the run as one HTML page with charts\n"
	"                              (clusterctl run report --help)\n";

enum { OPT_ROUND = 1 };

/* ------------------------------------------------------------ following */

static void ctl_on_progress(const Clusters__V1__Progress *p, void *ud)
{
	ctl_progress_run(ud, p);
}

int ctl_run_follow(ctl_t *ctl, const char *id, int64_t timeout_ms,
                   Clusters__V1__Run **run)
{
	*run = NULL;
	cc_client_t *cli = ctl_client(ctl);
	if (!cli)
		return CTL_FAIL;
	Clusters__V1__WatchRunRequest req = CLUSTERS__V1__WATCH_RUN_REQUEST__INIT;
	req.id = (char *)id;
	cc_opts_t o = { timeout_ms };
	cc_status_t st;
	ctl->progress_last[0] = '\0';
	int64_t start = ctl_now_ms();
	int rc = cc_watch_run(cli, &o, &req, ctl_on_progress, ctl, run, &st);
	ctl_progress_end(ctl);
	/* The server sees the deadline too (it travels with the call) and
	 * may answer CANCELLED ("the watcher went away") before the client's
	 * own DEADLINE_EXCEEDED: past our deadline, that is the deadline. */
	if (rc == CC_CANCELLED && timeout_ms >= 0 &&
	    ctl_now_ms() - start >= timeout_ms) {
		rc = CC_DEADLINE_EXCEEDED;
		st.code = CC_DEADLINE_EXCEEDED;
		snprintf(st.message, sizeof(st.message), "the watch's deadline "
		         "(%lld ms) passed", (long long)timeout_ms);
	}
	if (rc == CC_DEADLINE_EXCEEDED) {
		/* WatchRun itself ends OK whatever the run did: this is our
		 * own deadline, and the run is still the server's. */
		ctl_rpc_fail(&st);
		return ctl_fail(CTL_FAIL, "the run goes on on the server: "
		                "follow it with 'clusterctl run watch %s', or "
		                "give a larger --timeout", id);
	}
	if (rc)
		return ctl_rpc_fail(&st);
	int state = (*run)->state;
	if (state == CLUSTERS__V1__RUN_STATE__RUN_STATE_FAILED ||
	    state == CLUSTERS__V1__RUN_STATE__RUN_STATE_CANCELLED) {
		const Google__Rpc__Status *e = (*run)->error;
		cc_status_t rs = { .code = e ? e->code : CC_UNKNOWN };
		snprintf(rs.message, sizeof(rs.message), "run %s %s: %s", id,
		         state == CLUSTERS__V1__RUN_STATE__RUN_STATE_FAILED
		                 ? "failed" : "was cancelled",
		         e && e->message && e->message[0] ? e->message
		                                          : "(no message)");
		return ctl_rpc_fail(&rs);
	}
	return CTL_OK;
}

/* ------------------------------------------------------------- commands */

static int ctl_run_get(ctl_t *ctl, int argc, char **argv)
{
	const char *id = NULL;
	int rc = ctl_id_arg(ctl, "run get", argc, argv, ctl_run_help, &id);
	if (rc)
		return rc < 0 ? CTL_OK : rc;
	cc_client_t *cli = ctl_client(ctl);
	if (!cli)
		return CTL_FAIL;
	Clusters__V1__GetRunRequest req = CLUSTERS__V1__GET_RUN_REQUEST__INIT;
	Clusters__V1__Run *run;
	cc_status_t st;
	req.id = (char *)id;
	if (cc_get_run(cli, ctl_opts(ctl), &req, &run, &st))
		return ctl_rpc_fail(&st);
	rc = ctl_print_run(ctl, run);
	cc_msg_free(run);
	return rc;
}

static int ctl_run_watch(ctl_t *ctl, int argc, char **argv)
{
	const char *id = NULL;
	int rc = ctl_id_arg(ctl, "run watch", argc, argv, ctl_run_help, &id);
	if (rc)
		return rc < 0 ? CTL_OK : rc;
	/* A watch lasts as long as the run (which has a time limit of its
	 * own on the server) unless --timeout bounds it. */
	Clusters__V1__Run *run;
	rc = ctl_run_follow(ctl, id, ctl->timeout_set ? ctl->timeout_ms : -1,
	                    &run);
	if (run) {
		int prc = ctl_print_run(ctl, run);
		cc_msg_free(run);
		if (!rc)
			rc = prc;
	}
	return rc;
}

static int ctl_run_cancel(ctl_t *ctl, int argc, char **argv)
{
	const char *id = NULL;
	int rc = ctl_id_arg(ctl, "run cancel", argc, argv, ctl_run_help, &id);
	if (rc)
		return rc < 0 ? CTL_OK : rc;
	cc_client_t *cli = ctl_client(ctl);
	if (!cli)
		return CTL_FAIL;
	Clusters__V1__CancelRunRequest req =
		CLUSTERS__V1__CANCEL_RUN_REQUEST__INIT;
	Clusters__V1__Run *run;
	cc_status_t st;
	req.id = (char *)id;
	if (cc_cancel_run(cli, ctl_opts(ctl), &req, &run, &st))
		return ctl_rpc_fail(&st);
	if (ctl->fmt == CTL_JSON) {
		rc = ctl_print_json((const ProtobufCMessage *)run);
	} else {
		char b[16];
		printf("cancelled run %s (%s)\n", run->id,
		       ctl_enum_short(&clusters__v1__run_state__descriptor,
		                      run->state, b, sizeof(b)));
	}
	cc_msg_free(run);
	return rc;
}

/* "queued" ... "cancelled" (any case; with or without RUN_STATE_). */
static int ctl_parse_state(const char *s, int *out)
{
	static const char *const names[] = { "queued", "running",
	                                     "succeeded", "failed",
	                                     "cancelled" };
	if (!strncasecmp(s, "RUN_STATE_", 10))
		s += 10;
	for (int i = 0; i < 5; i++)
		if (!strcasecmp(s, names[i])) {
			*out = i + 1;
			return 0;
		}
	return -1;
}

static int ctl_run_list(ctl_t *ctl, int argc, char **argv)
{
	const char *cmd = "run list";
	ctl_paging_t p;
	int rc = ctl_paging_opts(ctl, cmd, argc, argv, ctl_run_help, 1, &p);
	if (rc)
		return rc < 0 ? CTL_OK : rc;
	Clusters__V1__ListRunsRequest req = CLUSTERS__V1__LIST_RUNS_REQUEST__INIT;
	if (p.state) {
		int s;
		if (ctl_parse_state(p.state, &s))
			return ctl_usage(cmd, "--state: '%s' is not one of "
			                 "queued, running, succeeded, failed, "
			                 "cancelled", p.state);
		req.state = (Clusters__V1__RunState)s;
	}
	cc_client_t *cli = ctl_client(ctl);
	if (!cli)
		return CTL_FAIL;
	static const char *const hdr[] = { "ID", "COMPETITION", "STATE",
	                                   "CREATED", "CANDIDATES",
	                                   "SELECTED" };
	ctl_table_t *t = ctl_table_create(6, hdr);
	req.page_size = p.page_size;
	req.page_token = (char *)(p.page_token ? p.page_token : "");
	req.competition_id = (char *)(p.competition ? p.competition : "");
	char *token = NULL;
	do {
		Clusters__V1__ListRunsResponse *resp;
		cc_status_t st;
		if (cc_list_runs(cli, ctl_opts(ctl), &req, &resp, &st)) {
			rc = ctl_rpc_fail(&st);
			break;
		}
		if (ctl->fmt == CTL_JSON)
			ctl_print_json((const ProtobufCMessage *)resp);
		for (size_t i = 0; t && i < resp->n_runs; i++) {
			const Clusters__V1__Run *r = resp->runs[i];
			char when[32], b[16];
			ctl_fmt_time(when, sizeof(when), r->create_time);
			ctl_table_cell(t, "%s", r->id);
			ctl_table_cell(t, "%s", r->competition_id);
			/* Runs from before jobs all succeeded. */
			ctl_table_cell(t, "%s", r->state
			               ? ctl_enum_short(
			                   &clusters__v1__run_state__descriptor,
			                   r->state, b, sizeof(b))
			               : "SUCCEEDED");
			ctl_table_cell(t, "%s", when);
			ctl_table_cell(t, "%d", r->candidates);
			ctl_table_cell(t, "%d",
			               r->summary ? r->summary->selected : 0);
			ctl_table_end_row(t);
		}
		free(token);
		token = resp->next_page_token[0]
		                ? strdup(resp->next_page_token) : NULL;
		cc_msg_free(resp);
		req.page_token = token;
	} while (p.all && token);
	if (!rc && t && ctl->fmt != CTL_JSON) {
		ctl_print_table(ctl, t);
		if (token && !p.all)
			fprintf(stderr, "more: --page-token %s\n", token);
	}
	free(token);
	ctl_table_destroy(t);
	return rc;
}

static int ctl_run_delete(ctl_t *ctl, int argc, char **argv)
{
	const char *id = NULL;
	int rc = ctl_id_arg(ctl, "run delete", argc, argv, ctl_run_help, &id);
	if (rc)
		return rc < 0 ? CTL_OK : rc;
	cc_client_t *cli = ctl_client(ctl);
	if (!cli)
		return CTL_FAIL;
	Clusters__V1__DeleteRunRequest req =
		CLUSTERS__V1__DELETE_RUN_REQUEST__INIT;
	Clusters__V1__DeleteRunResponse *resp;
	cc_status_t st;
	req.id = (char *)id;
	if (cc_delete_run(cli, ctl_opts(ctl), &req, &resp, &st))
		return ctl_rpc_fail(&st);
	if (ctl->fmt == CTL_JSON)
		rc = ctl_print_json((const ProtobufCMessage *)resp);
	else if (ctl->fmt == CTL_TABLE)
		printf("deleted %s\n", id);
	cc_msg_free(resp);
	return rc;
}

/* ------------------------------------------------------------- explain */

/* The round's pillars: score, rank, share of the weight and, where the
 * total decomposes, the part of it. */
static void ctl_explain_pillars(const Clusters__V1__Explanation *x)
{
	static const char *const hdr[] = { "PILLAR", "PARENT", "WEIGHT SHARE",
	                                   "SCORE", "RANK", "CONTRIBUTION",
	                                   "NOTE" };
	if (!x->n_pillars)
		return;
	ctl_table_t *t = ctl_table_create(7, hdr);
	char n1[40];
	for (size_t i = 0; t && i < x->n_pillars; i++) {
		const Clusters__V1__PillarExplanation *p = x->pillars[i];
		ctl_table_cell(t, "%s", p->pillar);
		ctl_table_cell(t, "%s", p->parent[0] ? p->parent : "-");
		ctl_num(n1, sizeof(n1), p->weight_share, 0);
		ctl_table_cell(t, "%s", n1);
		ctl_num(n1, sizeof(n1), p->score, 0);
		ctl_table_cell(t, "%s", n1);
		ctl_table_cell(t, "%d", p->rank);
		if (p->contribution)
			ctl_num(n1, sizeof(n1), p->contribution->value, 0);
		ctl_table_cell(t, "%s", p->contribution ? n1 : "-");
		ctl_table_cell(t, "%s", p->note);
		ctl_table_end_row(t);
	}
	if (t) {
		fputc('\n', stdout);
		ctl_table_print(t, stdout);
	}
	ctl_table_destroy(t);
}

static void ctl_explain_print(ctl_t *ctl, const Clusters__V1__Explanation *x)
{
	const Clusters__V1__RoundStanding *rs = x->standing;
	const Clusters__V1__Decision *d = rs ? rs->decision : NULL;
	char n1[40], n2[40], b[48];
	int exact = ctl->fmt == CTL_CSV;
	static const char *const hdr[] = { "CRITERION", "PLUGIN",
	                                   "WEIGHT SHARE", "RAW",
	                                   "NORMALISED", "WEIGHTED", "SHARE",
	                                   "RAW TO CLOSE GAP", "NOTE" };
	ctl_table_t *t = ctl_table_create(9, hdr);
	for (size_t i = 0; t && i < x->n_criteria; i++) {
		const Clusters__V1__CriterionExplanation *c = x->criteria[i];
		ctl_table_cell(t, "%s", c->criterion);
		ctl_table_cell(t, "%s", c->plugin);
		ctl_num(n1, sizeof(n1), c->weight_share, exact);
		ctl_table_cell(t, "%s", n1);
		ctl_num(n1, sizeof(n1), c->raw, exact);
		ctl_table_cell(t, "%s", n1);
		ctl_num(n1, sizeof(n1), c->normalized, exact);
		ctl_table_cell(t, "%s", n1);
		ctl_num(n1, sizeof(n1), c->weighted, exact);
		ctl_table_cell(t, "%s", n1);
		ctl_num(n1, sizeof(n1), c->share, exact);
		ctl_table_cell(t, "%s", n1);
		if (c->raw_to_close_gap)
			ctl_num(n1, sizeof(n1), c->raw_to_close_gap->value,
			        exact);
		ctl_table_cell(t, "%s", c->raw_to_close_gap ? n1 : "-");
		ctl_table_cell(t, "%s", c->note);
		ctl_table_end_row(t);
	}
	if (exact) {
		/* The criteria are the data. */
		if (t)
			ctl_table_print_csv(t, stdout);
		ctl_table_destroy(t);
		return;
	}
	printf("run %s, cluster %s, round %s\n", x->run_id, x->cluster_id,
	       x->round);
	if (rs) {
		ctl_num(n1, sizeof(n1), rs->score, 0);
		if (rs->rank)
			printf("rank %d, score %s, %s\n", rs->rank, n1,
			       rs->selected ? "selected" : "not selected");
		else
			printf("not ranked, not selected\n");
	}
	if (d)
		printf("decision: %s: %s\n",
		       ctl_enum_short(&clusters__v1__decision_code__descriptor,
		                      d->code, b, sizeof(b)),
		       d->text);
	ctl_num(n1, sizeof(n1), x->target_score, 0);
	ctl_num(n2, sizeof(n2), x->gap, 0);
	if (x->target_cluster_id[0])
		printf("target: %s (cluster %s, %s); gap %s\n", n1,
		       x->target_cluster_id,
		       rs && rs->selected ? "the best not selected"
		                          : "the last selected", n2);
	else
		printf("target: none (no cluster on the other side of the "
		       "line)\n");
	/* When the rules, not the score, decided (a quota, a leader). */
	if (x->target_cluster_id[0] && rs &&
	    (rs->selected ? x->gap > 0 : x->gap < 0))
		printf("%s\n", rs->selected
		       ? "its score is below the best not selected: the "
		         "decision, not its score, took it in"
		       : "its score is above the last selected: the decision, "
		         "not its score, kept it out");
	if (t && ctl_table_rows(t)) {
		fputc('\n', stdout);
		ctl_table_print(t, stdout);
	}
	ctl_table_destroy(t);
	ctl_explain_pillars(x);
	if (x->assumption[0])
		printf("\nassumption: %s\n", x->assumption);
	const Clusters__V1__SensitivityStats *s = rs ? rs->sensitivity : NULL;
	if (s)
		printf("sensitivity: rank %d-%d (p5-p95, median %d), selected "
		       "in %.0f%% of samples, a candidate in %.0f%%\n",
		       s->rank_p5, s->rank_p95, s->rank_p50,
		       s->selected_share * 100, s->reached_share * 100);
	else
		printf("sensitivity: none (the run had no samples)\n");
}

static int ctl_run_explain(ctl_t *ctl, int argc, char **argv)
{
	static const struct option o[] = {
		{ "round", required_argument, NULL, OPT_ROUND },
		CTL_COMMON_OPTS, { 0 } };
	const char *cmd = "run explain";
	Clusters__V1__ExplainStandingRequest req =
		CLUSTERS__V1__EXPLAIN_STANDING_REQUEST__INIT;
	int c, rc = CTL_OK;
	while ((c = ctl_getopt(ctl, cmd, argc, argv, "h", o, &rc)) != -1) {
		switch (c) {
		case 'h': fputs(ctl_run_help, stdout); return CTL_OK;
		case '?': return rc;
		case OPT_ROUND: req.round = optarg; break;
		}
	}
	if (optind + 2 != argc)
		return ctl_usage(cmd, "%s: expected a run id and a cluster id",
		                 cmd);
	req.run_id = argv[optind];
	req.cluster_id = argv[optind + 1];
	cc_client_t *cli = ctl_client(ctl);
	if (!cli)
		return CTL_FAIL;
	Clusters__V1__Explanation *x;
	cc_status_t st;
	if (cc_explain_standing(cli, ctl_opts(ctl), &req, &x, &st))
		return ctl_rpc_fail(&st);
	if (ctl->fmt == CTL_JSON)
		rc = ctl_print_json((const ProtobufCMessage *)x);
	else
		ctl_explain_print(ctl, x);
	cc_msg_free(x);
	return rc;
}

int ctl_cmd_run(ctl_t *ctl, int argc, char **argv)
{
	static const ctl_sub_t subs[] = {
		{ "get", ctl_run_get },
		{ "list", ctl_run_list },
		{ "watch", ctl_run_watch },
		{ "cancel", ctl_run_cancel },
		{ "explain", ctl_run_explain },
		{ "delete", ctl_run_delete },
		{ "standings", ctl_run_standings },
		{ "report", ctl_run_report },
	};
	return ctl_dispatch(ctl, "run", ctl_run_help, subs,
	                    sizeof(subs) / sizeof(subs[0]), argc, argv);
}
