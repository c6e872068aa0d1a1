/* clusterctl plugin ... and health: the PluginService and grpc health. */
#include <string.h>

#include "ctl.h"
#include "ctl_table.h"

static const char ctl_plugin_help[] =
	"Usage: clusterctl plugin list|reload\n"
	"\n"
	"  list     the scoring plugins the server has loaded\n"
	"  reload   rescan the plugin directory, then list\n";

static const char ctl_health_help[] =
	"Usage: clusterctl health [SERVICE] [--watch]\n"
	"\n"
	"Prints the serving status of the server (\"\") or of one service,\n"
	"e.g. clusters.v1.ClusterRegistry. Exit status 0 only when SERVING.\n"
	"--watch prints every change until the deadline (none unless\n"
	"--timeout is given) or until interrupted.\n";

static int ctl_plugins_print(ctl_t *ctl,
                             const Clusters__V1__ListPluginsResponse *r)
{
	if (ctl->fmt == CTL_JSON)
		return ctl_print_json((const ProtobufCMessage *)r);
	static const char *const hdr[] = { "NAME", "VERSION", "KIND", "ABI",
	                                   "FILE", "DESCRIPTION" };
	ctl_table_t *t = ctl_table_create(6, hdr);
	if (!t)
		return ctl_fail(CTL_FAIL, "out of memory");
	for (size_t i = 0; i < r->n_plugins; i++) {
		const Clusters__V1__Plugin *p = r->plugins[i];
		char b[16];
		ctl_table_cell(t, "%s", p->name);
		ctl_table_cell(t, "%s", p->version);
		ctl_table_cell(t, "%s",
		               ctl_enum_name(&clusters__v1__plugin_kind__descriptor,
		                             p->kind, b, sizeof(b)));
		ctl_table_cell(t, "%u.%u", p->abi_major, p->abi_minor);
		ctl_table_cell(t, "%s", p->file);
		ctl_table_cell(t, "%s", p->description);
		ctl_table_end_row(t);
	}
	ctl_print_table(ctl, t);
	ctl_table_destroy(t);
	for (size_t i = 0; i < r->n_refused; i++)
		fprintf(stderr, "refused: %s\n", r->refused[i]);
	return CTL_OK;
}

static int ctl_plugin_call(ctl_t *ctl, int argc, char **argv, int reload)
{
	static const struct option o[] = { CTL_COMMON_OPTS, { 0 } };
	const char *cmd = reload ? "plugin reload" : "plugin list";
	int c, rc = CTL_OK;
	while ((c = ctl_getopt(ctl, cmd, argc, argv, "h", o, &rc)) != -1) {
		if (c == 'h') {
			fputs(ctl_plugin_help, stdout);
			return CTL_OK;
		}
		if (c == '?')
			return rc;
	}
	if (optind < argc)
		return ctl_usage(cmd, "%s: unexpected argument '%s'", cmd,
		                 argv[optind]);
	cc_client_t *cli = ctl_client(ctl);
	if (!cli)
		return CTL_FAIL;
	Clusters__V1__ListPluginsResponse *resp;
	cc_status_t st;
	if (reload) {
		Clusters__V1__ReloadPluginsRequest req =
			CLUSTERS__V1__RELOAD_PLUGINS_REQUEST__INIT;
		rc = cc_reload_plugins(cli, ctl_opts(ctl), &req, &resp, &st);
	} else {
		Clusters__V1__ListPluginsRequest req =
			CLUSTERS__V1__LIST_PLUGINS_REQUEST__INIT;
		rc = cc_list_plugins(cli, ctl_opts(ctl), &req, &resp, &st);
	}
	if (rc)
		return ctl_rpc_fail(&st);
	rc = ctl_plugins_print(ctl, resp);
	cc_msg_free(resp);
	return rc;
}

static int ctl_plugin_list(ctl_t *ctl, int argc, char **argv)
{
	return ctl_plugin_call(ctl, argc, argv, 0);
}

static int ctl_plugin_reload(ctl_t *ctl, int argc, char **argv)
{
	return ctl_plugin_call(ctl, argc, argv, 1);
}

int ctl_cmd_plugin(ctl_t *ctl, int argc, char **argv)
{
	static const ctl_sub_t subs[] = {
		{ "list", ctl_plugin_list },
		{ "reload", ctl_plugin_reload },
	};
	return ctl_dispatch(ctl, "plugin", ctl_plugin_help, subs,
	                    sizeof(subs) / sizeof(subs[0]), argc, argv);
}

typedef struct ctl_health {
	ctl_t *ctl;
	const char *service;
	int last;
} ctl_health_t;

static int ctl_health_print(ctl_t *ctl, const char *service, int status)
{
	char b[16];
	const char *name = ctl_enum_name(
		&grpc__health__v1__health_check_response__serving_status__descriptor,
		status, b, sizeof(b));
	if (ctl->fmt == CTL_JSON)
		printf("{\"service\": \"%s\", \"status\": \"%s\"}\n", service,
		       name);
	else if (ctl->fmt == CTL_CSV)
		printf("%s,%s\n", service, name);
	else
		printf("%s\n", name);
	fflush(stdout);
	return status ==
	               GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
	               ? CTL_OK
	               : CTL_FAIL;
}

static int ctl_on_health(const ProtobufCMessage *m, void *ud)
{
	ctl_health_t *h = ud;
	const Grpc__Health__V1__HealthCheckResponse *r = (const void *)m;
	h->last = r->status;
	ctl_health_print(h->ctl, h->service, r->status);
	return 0;
}

int ctl_cmd_health(ctl_t *ctl, int argc, char **argv)
{
	enum { OPT_WATCH = 1 };
	static const struct option o[] = {
		{ "watch", no_argument, NULL, OPT_WATCH },
		CTL_COMMON_OPTS, { 0 } };
	int c, rc = CTL_OK, watch = 0;
	optind = 0;
	while ((c = ctl_getopt(ctl, "health", argc, argv, "h", o, &rc)) != -1) {
		if (c == 'h') {
			fputs(ctl_health_help, stdout);
			return CTL_OK;
		}
		if (c == '?')
			return rc;
		if (c == OPT_WATCH)
			watch = 1;
	}
	if (optind + 1 < argc)
		return ctl_usage("health", "health: unexpected argument '%s'",
		                 argv[optind + 1]);
	Grpc__Health__V1__HealthCheckRequest req =
		GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	req.service = optind < argc ? argv[optind] : "";
	cc_client_t *cli = ctl_client(ctl);
	if (!cli)
		return CTL_FAIL;
	cc_status_t st;
	if (watch) {
		ctl_health_t h = { ctl, req.service, -1 };
		cc_opts_t none = { -1 };
		const cc_opts_t *o2 = ctl->timeout_set ? ctl_opts(ctl) : &none;
		rc = cc_health_watch(cli, o2, &req, ctl_on_health, &h, &st);
		/* The deadline is how a bounded watch ends: not an error. */
		if (rc && rc != CC_DEADLINE_EXCEEDED)
			return ctl_rpc_fail(&st);
		return h.last ==
		               GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
		               ? CTL_OK
		               : CTL_FAIL;
	}
	Grpc__Health__V1__HealthCheckResponse *resp;
	if (cc_health_check(cli, ctl_opts(ctl), &req, &resp, &st))
		return ctl_rpc_fail(&st);
	rc = ctl_health_print(ctl, req.service, resp->status);
	cc_msg_free(resp);
	return rc;
}
