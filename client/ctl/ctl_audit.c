/* clusterctl audit ...: the AuditService (reading the audit trail). */
#include <stdlib.h>
#include <string.h>

#include "cc_json.h"
#include "ctl.h"
#include "ctl_table.h"
#include "google/protobuf/timestamp.pb-c.h"

static const char ctl_audit_help[] =
	"Usage: clusterctl audit list [--resource R] [--principal P]\n"
	"                             [--since T] [--until T] [--page-size N]\n"
	"                             [--page-token T] [--all] [--json|--csv]\n"
	"\n"
	"  list   the audit trail, oldest first: one event per write (time,\n"
	"         principal, method, resource, etags before and after, the\n"
	"         fields an update changed)\n"
	"\n"
	"  --resource R   one resource (clusters/ID, competitions/ID, runs/ID)\n"
	"                 or a collection (clusters, competitions, runs,\n"
	"                 plugins)\n"
	"  --principal P  only the writes of P\n"
	"  --since T      events at or after T (RFC 3339: 2024-05-01T08:00:00Z)\n"
	"  --until T      events before T\n"
	"  --all          every page (else the first; the next page's token\n"
	"                 goes to stderr)\n";

enum { OPT_RESOURCE = 1, OPT_PRINCIPAL, OPT_SINCE, OPT_UNTIL, OPT_PAGE_SIZE,
       OPT_PAGE_TOKEN, OPT_ALL };

typedef struct audit_opts {
	Clusters__V1__ListAuditEventsRequest req;
	Google__Protobuf__Timestamp since, until;
	int all;
} audit_opts_t;

static int parse_time(const char *opt, const char *s,
                      Google__Protobuf__Timestamp *t)
{
	google__protobuf__timestamp__init(t);
	if (cc_parse_timestamp(s, &t->seconds, &t->nanos))
		return ctl_usage("audit list", "%s: '%s' is not an RFC 3339 "
		                 "time such as 2024-05-01T08:00:00Z", opt, s);
	return CTL_OK;
}

/* -1 after --help, else CTL_OK or the usage error. */
static int audit_parse(ctl_t *ctl, int argc, char **argv, audit_opts_t *a)
{
	static const struct option o[] = {
		{ "resource", required_argument, NULL, OPT_RESOURCE },
		{ "principal", required_argument, NULL, OPT_PRINCIPAL },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "until", required_argument, NULL, OPT_UNTIL },
		{ "page-size", required_argument, NULL, OPT_PAGE_SIZE },
		{ "page-token", required_argument, NULL, OPT_PAGE_TOKEN },
		{ "all", no_argument, NULL, OPT_ALL },
		CTL_COMMON_OPTS, { 0 } };
	const char *cmd = "audit list";
	int c, rc = CTL_OK;
	long v;
	while ((c = ctl_getopt(ctl, cmd, argc, argv, "h", o, &rc)) != -1) {
		switch (c) {
		case 'h': fputs(ctl_audit_help, stdout); return -1;
		case '?': return rc;
		case OPT_RESOURCE: a->req.resource = optarg; break;
		case OPT_PRINCIPAL: a->req.principal = optarg; break;
		case OPT_PAGE_TOKEN: a->req.page_token = optarg; break;
		case OPT_ALL: a->all = 1; break;
		case OPT_SINCE:
			if ((rc = parse_time("--since", optarg, &a->since)))
				return rc;
			a->req.start_time = &a->since;
			break;
		case OPT_UNTIL:
			if ((rc = parse_time("--until", optarg, &a->until)))
				return rc;
			a->req.end_time = &a->until;
			break;
		case OPT_PAGE_SIZE:
			if ((rc = ctl_parse_int(cmd, "--page-size", optarg, 1,
			                        1000000, &v)))
				return rc;
			a->req.page_size = (int32_t)v;
			break;
		}
	}
	if (optind < argc)
		return ctl_usage(cmd, "%s: unexpected argument '%s'", cmd,
		                 argv[optind]);
	return CTL_OK;
}

static void audit_row(ctl_table_t *t, const Clusters__V1__AuditEvent *e)
{
	char when[48] = "";
	if (e->time)
		cc_fmt_timestamp(when, sizeof(when), e->time->seconds,
		                 e->time->nanos);
	ctl_table_cell(t, "%s", when);
	ctl_table_cell(t, "%llu", (unsigned long long)e->sequence);
	ctl_table_cell(t, "%s", e->principal);
	ctl_table_cell(t, "%s", e->method);
	ctl_table_cell(t, "%s", e->resource);
	ctl_table_cell(t, "%s", e->etag_before);
	ctl_table_cell(t, "%s", e->etag_after);
	/* The paths joined, then the detail: one cell, so CSV stays flat. */
	char changed[512];
	size_t off = 0;
	changed[0] = '\0';
	for (size_t i = 0; i < e->n_changed_paths && off < sizeof(changed);
	     i++) {
		int w = snprintf(changed + off, sizeof(changed) - off, "%s%s",
		                 i ? "," : "", e->changed_paths[i]);
		off += w > 0 ? (size_t)w : 0;
	}
	ctl_table_cell(t, "%s", changed);
	ctl_table_cell(t, "%s", e->detail);
	ctl_table_end_row(t);
}

static int ctl_audit_list(ctl_t *ctl, int argc, char **argv)
{
	audit_opts_t a;
	memset(&a, 0, sizeof(a));
	clusters__v1__list_audit_events_request__init(&a.req);
	int rc = audit_parse(ctl, argc, argv, &a);
	if (rc)
		return rc < 0 ? CTL_OK : rc;
	cc_client_t *cli = ctl_client(ctl);
	if (!cli)
		return CTL_FAIL;
	static const char *const hdr[] = { "TIME", "SEQ", "PRINCIPAL",
	                                   "METHOD", "RESOURCE", "ETAG_BEFORE",
	                                   "ETAG_AFTER", "CHANGED", "DETAIL" };
	ctl_table_t *t = ctl_table_create(9, hdr);
	if (!t)
		return ctl_fail(CTL_FAIL, "out of memory");
	char *token = NULL;
	do {
		Clusters__V1__ListAuditEventsResponse *resp;
		cc_status_t st;
		if (cc_list_audit_events(cli, ctl_opts(ctl), &a.req, &resp,
		                         &st)) {
			rc = ctl_rpc_fail(&st);
			break;
		}
		if (ctl->fmt == CTL_JSON)
			ctl_print_json((const ProtobufCMessage *)resp);
		for (size_t i = 0; i < resp->n_audit_events; i++)
			audit_row(t, resp->audit_events[i]);
		free(token);
		token = resp->next_page_token[0]
		                ? strdup(resp->next_page_token) : NULL;
		cc_msg_free(resp);
		a.req.page_token = token ? token : "";
	} while (a.all && token);
	if (!rc && ctl->fmt != CTL_JSON) {
		ctl_print_table(ctl, t);
		if (token && !a.all)
			fprintf(stderr, "more: --page-token %s\n", token);
	}
	free(token);
	ctl_table_destroy(t);
	return rc;
}

int ctl_cmd_audit(ctl_t *ctl, int argc, char **argv)
{
	static const ctl_sub_t subs[] = {
		{ "list", ctl_audit_list },
	};
	return ctl_dispatch(ctl, "audit", ctl_audit_help, subs,
	                    sizeof(subs) / sizeof(subs[0]), argc, argv);
}
