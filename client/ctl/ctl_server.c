/* clusterctl server info, and clusterctl --version: what the server is
 * (clusters.v1.AdminService/GetServerInfo). */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "cc_json.h"
#include "ctl.h"
#include "ctl_table.h"

#ifndef CLUSTERD_VERSION
#error "CLUSTERD_VERSION must be defined (client/CMakeLists.txt)"
#endif

/* --version asks the server with this deadline unless --timeout says
 * otherwise: an address that swallows packets should not hold a version
 * query for the 30 s of other calls. */
#define CTL_VERSION_TIMEOUT_MS 5000

static const char ctl_server_help[] =
	"Usage: clusterctl server info [--json|--csv]\n"
	"\n"
	"  info     the server's version, plugin ABI, gRPC core version,\n"
	"           whether it is a read-only replica (and its primary), its\n"
	"           data version and when it started (role reader)\n"
	"\n"
	"Exit status 0 when the server answered, 1 when it could not be\n"
	"reached or refused. clusterctl --version prints clusterctl's own\n"
	"version and, when the server answers, the server's.\n";

const char *ctl_version(void)
{
	return CLUSTERD_VERSION;
}

static int ctl_server_get(ctl_t *ctl, const cc_opts_t *o,
                          Clusters__V1__ServerInfo **info, cc_status_t *st)
{
	Clusters__V1__GetServerInfoRequest req =
		CLUSTERS__V1__GET_SERVER_INFO_REQUEST__INIT;
	cc_client_t *cli = ctl_client(ctl);
	if (!cli)
		return -1;
	return cc_get_server_info(cli, o, &req, info, st);
}

/* "2026-05-01 08:00:00 UTC (up 3h02m)" */
static void ctl_fmt_started(char *buf, size_t len,
                            const Google__Protobuf__Timestamp *t)
{
	char when[32], up[32];
	buf[0] = '\0';
	if (!t)
		return;
	ctl_fmt_time(when, sizeof(when), t);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t ms = ((int64_t)now.tv_sec - t->seconds) * 1000 +
	             ((int64_t)now.tv_nsec - t->nanos) / 1000000;
	ctl_fmt_ms(up, sizeof(up), ms);
	snprintf(buf, len, "%s UTC (up %s)", when, up);
}

static int ctl_server_print(ctl_t *ctl, const Clusters__V1__ServerInfo *r)
{
	if (ctl->fmt == CTL_JSON)
		return ctl_print_json((const ProtobufCMessage *)r);
	/* CSV keeps every value exact and machine-readable; the table is
	 * for people. */
	int csv = ctl->fmt == CTL_CSV;
	char abi[32], dv[32], started[96] = "";
	snprintf(abi, sizeof(abi), "%u.%u", r->plugin_abi_version,
	         r->plugin_abi_minor);
	snprintf(dv, sizeof(dv), "%" PRIu64, r->data_version);
	if (csv && r->start_time) {
		if (cc_fmt_timestamp(started, sizeof(started),
		                     r->start_time->seconds,
		                     r->start_time->nanos))
			started[0] = '\0';
	} else {
		ctl_fmt_started(started, sizeof(started), r->start_time);
	}
	const char *primary = r->primary && r->primary[0] ? r->primary
	                      : csv ? "" : "-";
	const char *const rows[][2] = {
		{ "address", ctl->server },
		{ "version", r->version },
		{ "plugin_abi", abi },
		{ "grpc_core", r->grpc_version },
		{ "read_only", r->read_only ? (csv ? "true" : "yes")
		                            : (csv ? "false" : "no") },
		{ "primary", primary },
		{ "data_version", dv },
		{ "started", started },
	};
	size_t n = sizeof(rows) / sizeof(rows[0]);
	if (!csv) {
		for (size_t i = 0; i < n; i++)
			printf("%-13s %s\n", rows[i][0], rows[i][1]);
		return CTL_OK;
	}
	static const char *const hdr[] = { "field", "value" };
	ctl_table_t *t = ctl_table_create(2, hdr);
	if (!t)
		return ctl_fail(CTL_FAIL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		ctl_table_cell(t, "%s", rows[i][0]);
		ctl_table_cell(t, "%s", rows[i][1]);
		ctl_table_end_row(t);
	}
	ctl_table_print_csv(t, stdout);
	ctl_table_destroy(t);
	return CTL_OK;
}

static int ctl_server_info(ctl_t *ctl, int argc, char **argv)
{
	static const struct option o[] = { CTL_COMMON_OPTS, { 0 } };
	int c, rc = CTL_OK;
	while ((c = ctl_getopt(ctl, "server info", argc, argv, "h", o,
	                       &rc)) != -1) {
		if (c == 'h') {
			fputs(ctl_server_help, stdout);
			return CTL_OK;
		}
		if (c == '?')
			return rc;
	}
	if (optind < argc)
		return ctl_usage("server info", "server info: unexpected "
		                 "argument '%s'", argv[optind]);
	Clusters__V1__ServerInfo *info;
	cc_status_t st;
	rc = ctl_server_get(ctl, ctl_opts(ctl), &info, &st);
	if (rc < 0)
		return CTL_FAIL;
	if (rc)
		return ctl_rpc_fail(&st);
	rc = ctl_server_print(ctl, info);
	cc_msg_free(info);
	return rc;
}

int ctl_cmd_server(ctl_t *ctl, int argc, char **argv)
{
	static const ctl_sub_t subs[] = {
		{ "info", ctl_server_info },
	};
	return ctl_dispatch(ctl, "server", ctl_server_help, subs,
	                    sizeof(subs) / sizeof(subs[0]), argc, argv);
}

/* clusterctl --version: the client's version always; the server's when it
 * answers GetServerInfo, else a line saying why not. Exit status 0 either
 * way: the question was the version of clusterctl, and a script that
 * needs the server's asks `clusterctl server info`, which fails. */
int ctl_print_version(ctl_t *ctl)
{
	cc_opts_t dflt = { CTL_VERSION_TIMEOUT_MS };
	const cc_opts_t *o = ctl->timeout_set ? ctl_opts(ctl) : &dflt;
	Clusters__V1__ServerInfo *info = NULL;
	cc_status_t st;
	memset(&st, 0, sizeof(st));
	int rc = ctl_server_get(ctl, o, &info, &st);
	if (rc < 0) {
		/* The connection could not even be set up (a TLS file or the
		 * token file): said on stderr already. */
		st.code = CC_INVALID_ARGUMENT;
		snprintf(st.message, sizeof(st.message), "the connection "
		         "options are not usable");
	}
	if (ctl->fmt == CTL_JSON) {
		json_t *j = json_object(), *srv = json_object();
		json_object_set_new(j, "client", json_pack("{s:s}", "version",
		                                           ctl_version()));
		json_object_set_new(srv, "address", json_string(ctl->server));
		if (rc == 0) {
			char err[256];
			json_t *ij = cc_json_from_msg((const ProtobufCMessage *)
			                              info, err, sizeof(err));
			json_object_set_new(srv, "info", ij ? ij : json_null());
		} else {
			json_object_set_new(srv, "error", json_pack(
				"{s:s,s:s}", "code", cc_status_name(st.code),
				"message", st.message));
		}
		json_object_set_new(j, "server", srv);
		cc_json_write(stdout, j, 2);
		fputc('\n', stdout);
		json_decref(j);
	} else {
		printf("clusterctl %s\n", ctl_version());
		if (rc == 0)
			printf("server %s: clusterd %s (plugin ABI %u.%u, gRPC "
			       "core %s)\n", ctl->server, info->version,
			       info->plugin_abi_version, info->plugin_abi_minor,
			       info->grpc_version);
		else
			printf("server %s: %s (%s: %s)\n", ctl->server,
			       st.code == CC_UNAVAILABLE ||
			       st.code == CC_DEADLINE_EXCEEDED
			       ? "unreachable" : "version unknown",
			       cc_status_name(st.code),
			       st.message[0] ? st.message : "no message");
	}
	cc_msg_free(info);
	return CTL_OK;
}
