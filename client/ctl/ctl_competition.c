/* clusterctl competition ...: the CompetitionService's competitions (the
 * run commands are in ctl_run.c). */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ctl_table.h"
#include "ctl_update.h"

static const char ctl_comp_help[] =
	"Usage: clusterctl competition SUBCOMMAND ...\n"
	"\n"
	"  create FILE          create the competitions in FILE (JSON)\n"
	"  get ID               show a definition\n"
	"  list [--page-size N] [--page-token T] [--all]\n"
	"  update FILE [--mask a,b] [--etag E]\n"
	"                       change the fields each record names (\"rounds\""
	"\n"
	"                       included: it is checked like a new one), or\n"
	"                       those in --mask ('*': replace the definition)\n"
	"  delete ID [--etag E]\n"
	"  validate FILE        check definitions, store nothing\n"
	"  evaluate FILE [--cluster ID]... [--samples N] [--jitter PCT]\n"
	"                       run a definition inline, store nothing\n"
	"  run ID [--samples N] [--jitter PCT] [--seed S] [--detach]\n"
	"                       run it and show the standings; --samples\n"
	"                       adds a Monte Carlo sensitivity analysis with\n"
	"                       weights jittered by up to PCT percent. The\n"
	"                       run is the server's: when --timeout ends the\n"
	"                       wait it goes on (clusterctl run watch ID).\n"
	"                       --detach: start it, print its id, return\n";

enum { OPT_PAGE_SIZE = 1, OPT_PAGE_TOKEN, OPT_ALL, OPT_SAMPLES, OPT_JITTER,
       OPT_SEED, OPT_COMPETITION, OPT_MASK, OPT_ETAG, OPT_STATE, OPT_DETACH };

int ctl_id_arg(ctl_t *ctl, const char *cmd, int argc, char **argv,
                      const char *help, const char **id)
{
	static const struct option o[] = { CTL_COMMON_OPTS, { 0 } };
	int c, rc = CTL_OK;
	while ((c = ctl_getopt(ctl, cmd, argc, argv, "h", o, &rc)) != -1) {
		if (c == 'h') {
			fputs(help, stdout);
			return -1;
		}
		if (c == '?')
			return rc;
	}
	if (optind + 1 != argc)
		return ctl_usage(cmd, "%s: expected one argument", cmd);
	*id = argv[optind];
	return CTL_OK;
}

static int ctl_comp_create(ctl_t *ctl, int argc, char **argv)
{
	const char *path = NULL;
	int rc = ctl_id_arg(ctl, "competition create", argc, argv,
	                    ctl_comp_help, &path);
	if (rc)
		return rc < 0 ? CTL_OK : rc;
	ProtobufCMessage **in;
	size_t n;
	if ((rc = ctl_read_msgs(path, &clusters__v1__competition__descriptor,
	                        &in, &n)))
		return rc;
	cc_client_t *cli = ctl_client(ctl);
	rc = cli ? CTL_OK : CTL_FAIL;
	for (size_t i = 0; !rc && i < n; i++) {
		Clusters__V1__CreateCompetitionRequest req =
			CLUSTERS__V1__CREATE_COMPETITION_REQUEST__INIT;
		Clusters__V1__Competition *c;
		cc_status_t st;
		req.competition = (Clusters__V1__Competition *)in[i];
		if (cc_create_competition(cli, ctl_opts(ctl), &req, &c, &st)) {
			rc = ctl_rpc_fail(&st);
			break;
		}
		if (ctl->fmt == CTL_TABLE)
			printf("created competition %s\n", c->id);
		else
			rc = ctl_print_competition(ctl, c);
		cc_msg_free(c);
	}
	ctl_msgs_free(in, n);
	return rc;
}

static int ctl_comp_get(ctl_t *ctl, int argc, char **argv)
{
	const char *id = NULL;
	int rc = ctl_id_arg(ctl, "competition get", argc, argv, ctl_comp_help,
	                    &id);
	if (rc)
		return rc < 0 ? CTL_OK : rc;
	cc_client_t *cli = ctl_client(ctl);
	if (!cli)
		return CTL_FAIL;
	Clusters__V1__GetCompetitionRequest req =
		CLUSTERS__V1__GET_COMPETITION_REQUEST__INIT;
	Clusters__V1__Competition *c;
	cc_status_t st;
	req.id = (char *)id;
	if (cc_get_competition(cli, ctl_opts(ctl), &req, &c, &st))
		return ctl_rpc_fail(&st);
	rc = ctl_print_competition(ctl, c);
	cc_msg_free(c);
	return rc;
}

static int ctl_comp_update(ctl_t *ctl, int argc, char **argv)
{
	static const struct option o[] = {
		{ "mask", required_argument, NULL, OPT_MASK },
		{ "etag", required_argument, NULL, OPT_ETAG },
		CTL_COMMON_OPTS, { 0 } };
	const char *cmd = "competition update", *mask = NULL;
	Clusters__V1__UpdateCompetitionRequest req =
		CLUSTERS__V1__UPDATE_COMPETITION_REQUEST__INIT;
	int c, rc = CTL_OK;
	while ((c = ctl_getopt(ctl, cmd, argc, argv, "h", o, &rc)) != -1) {
		switch (c) {
		case 'h': fputs(ctl_comp_help, stdout); return CTL_OK;
		case '?': return rc;
		case OPT_MASK: mask = optarg; break;
		case OPT_ETAG: req.etag = optarg; break;
		}
	}
	if (optind + 1 != argc)
		return ctl_usage(cmd, "%s: expected one argument", cmd);
	ctl_updates_t u;
	if ((rc = ctl_read_updates(cmd, argv[optind], mask,
	                           &clusters__v1__competition__descriptor,
	                           &u))) {
		ctl_updates_free(&u);
		return rc;
	}
	cc_client_t *cli = ctl_client(ctl);
	rc = cli ? CTL_OK : CTL_FAIL;
	for (size_t i = 0; !rc && i < u.n; i++) {
		Clusters__V1__Competition *res;
		cc_status_t st;
		req.competition = (Clusters__V1__Competition *)u.msgs[i];
		req.update_mask = ctl_update_mask(&u, i);
		if (cc_update_competition(cli, ctl_opts(ctl), &req, &res,
		                          &st)) {
			rc = ctl_rpc_fail(&st);
			break;
		}
		if (ctl->fmt == CTL_TABLE)
			printf("updated competition %s (etag %s)\n", res->id,
			       res->etag);
		else
			rc = ctl_print_competition(ctl, res);
		cc_msg_free(res);
	}
	ctl_updates_free(&u);
	return rc;
}

static int ctl_comp_delete(ctl_t *ctl, int argc, char **argv)
{
	static const struct option o[] = {
		{ "etag", required_argument, NULL, OPT_ETAG },
		CTL_COMMON_OPTS, { 0 } };
	const char *cmd = "competition delete";
	Clusters__V1__DeleteCompetitionRequest req =
		CLUSTERS__V1__DELETE_COMPETITION_REQUEST__INIT;
	int c, rc = CTL_OK;
	while ((c = ctl_getopt(ctl, cmd, argc, argv, "h", o, &rc)) != -1) {
		if (c == 'h') {
			fputs(ctl_comp_help, stdout);
			return CTL_OK;
		}
		if (c == '?')
			return rc;
		if (c == OPT_ETAG)
			req.etag = optarg;
	}
	if (optind + 1 != argc)
		return ctl_usage(cmd, "%s: expected one argument", cmd);
	const char *id = argv[optind];
	cc_client_t *cli = ctl_client(ctl);
	if (!cli)
		return CTL_FAIL;
	Clusters__V1__DeleteCompetitionResponse *resp;
	cc_status_t st;
	req.id = (char *)id;
	if (cc_delete_competition(cli, ctl_opts(ctl), &req, &resp, &st))
		return ctl_rpc_fail(&st);
	if (ctl->fmt == CTL_JSON)
		rc = ctl_print_json((const ProtobufCMessage *)resp);
	else if (ctl->fmt == CTL_TABLE)
		printf("deleted %s\n", id);
	cc_msg_free(resp);
	return rc;
}

int ctl_paging_opts(ctl_t *ctl, const char *cmd, int argc, char **argv,
                    const char *help, int with_comp, ctl_paging_t *p)
{
	static const struct option o[] = {
		{ "page-size", required_argument, NULL, OPT_PAGE_SIZE },
		{ "page-token", required_argument, NULL, OPT_PAGE_TOKEN },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "competition", required_argument, NULL, OPT_COMPETITION },
		{ "state", required_argument, NULL, OPT_STATE },
		CTL_COMMON_OPTS, { 0 } };
	int c, rc = CTL_OK;
	long v;
	memset(p, 0, sizeof(*p));
	while ((c = ctl_getopt(ctl, cmd, argc, argv, "h", o, &rc)) != -1) {
		switch (c) {
		case 'h': fputs(help, stdout); return -1;
		case '?': return rc;
		case OPT_PAGE_TOKEN: p->page_token = optarg; break;
		case OPT_ALL: p->all = 1; break;
		case OPT_COMPETITION:
			if (!with_comp)
				return ctl_usage(cmd, "unknown option "
				                 "'--competition'");
			p->competition = optarg;
			break;
		case OPT_STATE:
			if (!with_comp)
				return ctl_usage(cmd, "unknown option "
				                 "'--state'");
			p->state = optarg;
			break;
		case OPT_PAGE_SIZE:
			if ((rc = ctl_parse_int(cmd, "--page-size", optarg, 1,
			                        1000000, &v)))
				return rc;
			p->page_size = (int32_t)v;
			break;
		}
	}
	if (optind < argc)
		return ctl_usage(cmd, "%s: unexpected argument '%s'", cmd,
		                 argv[optind]);
	return CTL_OK;
}

static int ctl_comp_list(ctl_t *ctl, int argc, char **argv)
{
	ctl_paging_t p;
	int rc = ctl_paging_opts(ctl, "competition list", argc, argv,
	                         ctl_comp_help, 0, &p);
	if (rc)
		return rc < 0 ? CTL_OK : rc;
	cc_client_t *cli = ctl_client(ctl);
	if (!cli)
		return CTL_FAIL;
	static const char *const hdr[] = { "ID", "TITLE", "EDITION", "ROUNDS",
	                                   "CREATED" };
	ctl_table_t *t = ctl_table_create(5, hdr);
	Clusters__V1__ListCompetitionsRequest req =
		CLUSTERS__V1__LIST_COMPETITIONS_REQUEST__INIT;
	req.page_size = p.page_size;
	req.page_token = (char *)(p.page_token ? p.page_token : "");
	char *token = NULL;
	do {
		Clusters__V1__ListCompetitionsResponse *resp;
		cc_status_t st;
		if (cc_list_competitions(cli, ctl_opts(ctl), &req, &resp,
		                         &st)) {
			rc = ctl_rpc_fail(&st);
			break;
		}
		if (ctl->fmt == CTL_JSON)
			ctl_print_json((const ProtobufCMessage *)resp);
		for (size_t i = 0; t && i < resp->n_competitions; i++) {
			const Clusters__V1__Competition *c =
				resp->competitions[i];
			char when[32];
			ctl_fmt_time(when, sizeof(when), c->create_time);
			ctl_table_cell(t, "%s", c->id);
			ctl_table_cell(t, "%s", c->title);
			ctl_table_cell(t, "%s", c->edition);
			ctl_table_cell(t, "%zu", c->n_rounds);
			ctl_table_cell(t, "%s", when);
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

/* StartRun with --timeout's deadline (the client default without one),
 * then, unless detach, a watch with what is left of it. */
static int ctl_comp_start(ctl_t *ctl, Clusters__V1__StartRunRequest *req,
                          int detach)
{
	cc_client_t *cli = ctl_client(ctl);
	if (!cli)
		return CTL_FAIL;
	int64_t budget = !ctl->timeout_set ? CC_DEFAULT_TIMEOUT_MS
	                 : ctl->timeout_ms;
	int64_t t0 = ctl_now_ms();
	cc_opts_t o = { budget };
	Clusters__V1__Run *run;
	cc_status_t st;
	int rc = cc_start_run(cli, &o, req, &run, &st);
	if (rc == CC_DEADLINE_EXCEEDED) {
		ctl_rpc_fail(&st);
		return ctl_fail(CTL_FAIL, "the run may have started on the "
		                "server: look for it with 'clusterctl run list "
		                "--competition %s --state running', or give a "
		                "larger --timeout", req->competition_id);
	}
	if (rc)
		return ctl_rpc_fail(&st);
	if (detach) {
		if (ctl->fmt == CTL_JSON) {
			rc = ctl_print_json((const ProtobufCMessage *)run);
		} else {
			/* The id alone on stdout, for scripts. */
			printf("%s\n", run->id);
			fprintf(stderr, "started run %s; follow it with "
			        "'clusterctl run watch %s'\n", run->id,
			        run->id);
		}
		cc_msg_free(run);
		return rc;
	}
	char id[256];
	snprintf(id, sizeof(id), "%s", run->id);
	cc_msg_free(run);
	if (budget > 0) {
		budget -= ctl_now_ms() - t0;
		if (budget < 1)
			budget = 1;
	}
	rc = ctl_run_follow(ctl, id, budget, &run);
	if (!rc)
		rc = ctl_print_run(ctl, run);
	cc_msg_free(run);
	return rc;
}

static int ctl_comp_run(ctl_t *ctl, int argc, char **argv)
{
	static const struct option o[] = {
		{ "samples", required_argument, NULL, OPT_SAMPLES },
		{ "jitter", required_argument, NULL, OPT_JITTER },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "detach", no_argument, NULL, OPT_DETACH },
		CTL_COMMON_OPTS, { 0 } };
	const char *cmd = "competition run";
	Clusters__V1__SensitivityOptions so =
		CLUSTERS__V1__SENSITIVITY_OPTIONS__INIT;
	int c, rc = CTL_OK, sens = 0, detach = 0;
	while ((c = ctl_getopt(ctl, cmd, argc, argv, "h", o, &rc)) != -1) {
		switch (c) {
		case 'h': fputs(ctl_comp_help, stdout); return CTL_OK;
		case '?': return rc;
		case OPT_DETACH: detach = 1; break;
		case OPT_SAMPLES:
		case OPT_JITTER:
		case OPT_SEED:
			if ((rc = ctl_sens_opt(cmd, c == OPT_SAMPLES ? 0
			                       : c == OPT_JITTER ? 1 : 2,
			                       optarg, &so)))
				return rc;
			sens = 1;
			break;
		}
	}
	if (optind + 1 != argc)
		return ctl_usage(cmd, "%s: expected one competition id", cmd);
	Clusters__V1__StartRunRequest req = CLUSTERS__V1__START_RUN_REQUEST__INIT;
	req.competition_id = argv[optind];
	if (sens)
		req.sensitivity = &so;
	return ctl_comp_start(ctl, &req, detach);
}

int ctl_cmd_competition(ctl_t *ctl, int argc, char **argv)
{
	static const ctl_sub_t subs[] = {
		{ "create", ctl_comp_create }, { "get", ctl_comp_get },
		{ "list", ctl_comp_list },     { "delete", ctl_comp_delete },
		{ "run", ctl_comp_run },       { "update", ctl_comp_update },
		{ "validate", ctl_comp_validate },
		{ "evaluate", ctl_comp_evaluate },
	};
	return ctl_dispatch(ctl, "competition", ctl_comp_help, subs,
	                    sizeof(subs) / sizeof(subs[0]), argc, argv);
}
