/* clusterctl cluster ...: the ClusterRegistry methods. */
#include <stdlib.h>
#include <string.h>

#include "cc_csv.h"
#include "cc_json.h"
#include "ctl.h"
#include "ctl_table.h"
#include "ctl_update.h"

static const char ctl_cluster_help[] =
	"Usage: clusterctl cluster SUBCOMMAND ...\n"
	"\n"
	"  create FILE                 create the clusters in FILE\n"
	"  get ID                      show one cluster\n"
	"  list [FILTERS] [--page-size N] [--page-token T] [--all]\n"
	"                              FILTERS: --economy X --region X --city X"
	" --industry X\n"
	"  update FILE [--mask a,b] [--etag E] [--allow-missing]\n"
	"                              change the fields each JSON record names"
	"\n"
	"                              (\"cities\": [] clears them), or those in"
	"\n"
	"                              --mask ('*': replace the whole record);"
	"\n"
	"                              CSV: the cells that have a value\n"
	"  delete ID [--etag E]        delete a cluster\n"
	"  import FILE                 upsert every cluster in FILE in one "
	"stream\n"
	"  export [FILTERS]            every cluster as JSON lines (--csv: "
	"CSV)\n"
	"\n"
	"With --csv, clusters are printed in the long layout (one item per\n"
	"row; every field, so the output imports back exactly). --layout wide\n"
	"prints one row per cluster, and refuses when that would lose\n"
	"something (assessments, units, ...) unless --lossy is given.\n"
	"\n"
	"FILE is JSON (an object, an array, or one object per line) or CSV\n"
	"in either layout (wide: columns id,name,economy,region,cities,\n"
	"industry, name@year per indicator, label:key per label); '-' reads\n"
	"standard input.\n";

/* "cluster get --help" and friends print the same page. */
static int ctl_help_page(void)
{
	fputs(ctl_cluster_help, stdout);
	return CTL_OK;
}

static int ctl_one_arg(const char *cmd, int argc, char **argv,
                       const char *what, const char **out)
{
	if (optind >= argc)
		return ctl_usage(cmd, "%s: missing %s", cmd, what);
	if (optind + 1 < argc)
		return ctl_usage(cmd, "%s: unexpected argument '%s'", cmd,
		                 argv[optind + 1]);
	*out = argv[optind];
	return CTL_OK;
}

enum { OPT_ECONOMY = 1, OPT_REGION, OPT_CITY, OPT_INDUSTRY, OPT_PAGE_SIZE,
       OPT_PAGE_TOKEN, OPT_ALL, OPT_MASK, OPT_ETAG, OPT_ALLOW_MISSING,
       OPT_LAYOUT, OPT_LOSSY };

/* The options of commands that print clusters. */
#define CTL_CSV_OPTS                                          \
	{ "layout", required_argument, NULL, OPT_LAYOUT },    \
	{ "lossy", no_argument, NULL, OPT_LOSSY }

static int ctl_csv_opt(ctl_t *ctl, const char *cmd, int c, const char *arg)
{
	ctl->csv_opt_set = 1;
	if (c == OPT_LOSSY)
		ctl->csv_lossy = 1;
	else if (!strcmp(arg, "wide") || !strcmp(arg, "long"))
		ctl->csv_wide = !strcmp(arg, "wide");
	else
		return ctl_usage(cmd, "--layout: '%s' is not long or wide", arg);
	return CTL_OK;
}

/* After the options: --layout and --lossy shape CSV only. */
static int ctl_csv_check(const ctl_t *ctl, const char *cmd)
{
	if (ctl->csv_opt_set && ctl->fmt != CTL_CSV)
		return ctl_usage(cmd, "--layout and --lossy need --csv");
	return CTL_OK;
}

/* A command with one argument and no options of its own beyond the CSV
 * ones (when csv is set). -1 for --help. */
static int ctl_no_opts(ctl_t *ctl, const char *cmd, int argc, char **argv,
                       int csv, const char *what, const char **arg)
{
	static const struct option plain[] = { CTL_COMMON_OPTS, { 0 } };
	static const struct option printing[] = { CTL_CSV_OPTS,
	                                          CTL_COMMON_OPTS, { 0 } };
	int c, rc = CTL_OK;
	while ((c = ctl_getopt(ctl, cmd, argc, argv, "h",
	                       csv ? printing : plain, &rc)) != -1) {
		if (c == 'h')
			return -1;
		if (c == '?')
			return rc;
		if ((c == OPT_LAYOUT || c == OPT_LOSSY) &&
		    (rc = ctl_csv_opt(ctl, cmd, c, optarg)))
			return rc;
	}
	if ((rc = ctl_csv_check(ctl, cmd)))
		return rc;
	return ctl_one_arg(cmd, argc, argv, what, arg);
}

static int ctl_create(ctl_t *ctl, int argc, char **argv)
{
	const char *path = NULL;
	int rc = ctl_no_opts(ctl, "cluster create", argc, argv, 1, "FILE",
	                     &path);
	if (rc)
		return rc < 0 ? ctl_help_page() : rc;
	ProtobufCMessage **in;
	size_t n;
	if ((rc = ctl_read_msgs(path, &clusters__v1__cluster__descriptor, &in,
	                        &n)))
		return rc;
	cc_client_t *cli = ctl_client(ctl);
	Clusters__V1__Cluster **out = calloc(n, sizeof(*out));
	size_t done = 0;
	rc = !cli || !out ? CTL_FAIL : CTL_OK;
	/* One call per cluster; stops at the first refusal. */
	for (; !rc && done < n; done++) {
		Clusters__V1__CreateClusterRequest req =
			CLUSTERS__V1__CREATE_CLUSTER_REQUEST__INIT;
		req.cluster = (Clusters__V1__Cluster *)in[done];
		cc_status_t st;
		if (cc_create_cluster(cli, ctl_opts(ctl), &req, &out[done], &st))
			rc = ctl_rpc_fail(&st);
		else
			ctl_progress_line(ctl, "creating", done + 1, n);
	}
	ctl_progress_end(ctl);
	if (out) {
		size_t ok = rc ? done - 1 : done;
		int prc = ok ? ctl_print_clusters(ctl, out, ok) : CTL_OK;
		rc = rc ? rc : prc;
		for (size_t i = 0; i < n; i++)
			cc_msg_free(out[i]);
	}
	free(out);
	ctl_msgs_free(in, n);
	return rc;
}

static int ctl_get(ctl_t *ctl, int argc, char **argv)
{
	const char *id = NULL;
	int rc = ctl_no_opts(ctl, "cluster get", argc, argv, 1, "ID", &id);
	if (rc)
		return rc < 0 ? ctl_help_page() : rc;
	cc_client_t *cli = ctl_client(ctl);
	if (!cli)
		return CTL_FAIL;
	Clusters__V1__GetClusterRequest req =
		CLUSTERS__V1__GET_CLUSTER_REQUEST__INIT;
	req.id = (char *)id;
	Clusters__V1__Cluster *c;
	cc_status_t st;
	if (cc_get_cluster(cli, ctl_opts(ctl), &req, &c, &st))
		return ctl_rpc_fail(&st);
	rc = ctl_print_cluster(ctl, c);
	cc_msg_free(c);
	return rc;
}

#define CTL_FILTER_OPTS                                             \
	{ "economy", required_argument, NULL, OPT_ECONOMY },        \
	{ "region", required_argument, NULL, OPT_REGION },          \
	{ "city", required_argument, NULL, OPT_CITY },              \
	{ "industry", required_argument, NULL, OPT_INDUSTRY }

static int ctl_list(ctl_t *ctl, int argc, char **argv)
{
	static const struct option o[] = {
		CTL_FILTER_OPTS,
		{ "page-size", required_argument, NULL, OPT_PAGE_SIZE },
		{ "page-token", required_argument, NULL, OPT_PAGE_TOKEN },
		{ "all", no_argument, NULL, OPT_ALL },
		CTL_CSV_OPTS, CTL_COMMON_OPTS, { 0 } };
	const char *cmd = "cluster list";
	Clusters__V1__ListClustersRequest req =
		CLUSTERS__V1__LIST_CLUSTERS_REQUEST__INIT;
	int c, rc = CTL_OK, all = 0;
	long v;
	while ((c = ctl_getopt(ctl, cmd, argc, argv, "h", o, &rc)) != -1) {
		switch (c) {
		case 'h': return ctl_help_page();
		case '?': return rc;
		case OPT_ECONOMY: req.economy = optarg; break;
		case OPT_REGION: req.region = optarg; break;
		case OPT_CITY: req.city = optarg; break;
		case OPT_INDUSTRY: req.industry = optarg; break;
		case OPT_PAGE_TOKEN: req.page_token = optarg; break;
		case OPT_ALL: all = 1; break;
		case OPT_PAGE_SIZE:
			if ((rc = ctl_parse_int(cmd, "--page-size", optarg, 1,
			                        1000000, &v)))
				return rc;
			req.page_size = (int32_t)v;
			break;
		case OPT_LAYOUT:
		case OPT_LOSSY:
			if ((rc = ctl_csv_opt(ctl, cmd, c, optarg)))
				return rc;
			break;
		}
	}
	if ((rc = ctl_csv_check(ctl, cmd)))
		return rc;
	if (optind < argc)
		return ctl_usage(cmd, "%s: unexpected argument '%s'", cmd,
		                 argv[optind]);
	cc_client_t *cli = ctl_client(ctl);
	if (!cli)
		return CTL_FAIL;
	Clusters__V1__ListClustersResponse **pages = NULL;
	size_t npages = 0, total = 0;
	char *token = NULL;
	do {
		Clusters__V1__ListClustersResponse *resp, **np;
		cc_status_t st;
		if (token)
			req.page_token = token;
		if (cc_list_clusters(cli, ctl_opts(ctl), &req, &resp, &st)) {
			rc = ctl_rpc_fail(&st);
			break;
		}
		if (!(np = realloc(pages, (npages + 1) * sizeof(*np)))) {
			cc_msg_free(resp);
			rc = ctl_fail(CTL_FAIL, "out of memory");
			break;
		}
		pages = np;
		pages[npages++] = resp;
		total += resp->n_clusters;
		token = resp->next_page_token;
	} while (all && token && *token);
	Clusters__V1__Cluster **cs = rc ? NULL : calloc(total + 1, sizeof(*cs));
	if (!rc && cs) {
		size_t k = 0;
		for (size_t p = 0; p < npages; p++)
			for (size_t i = 0; i < pages[p]->n_clusters; i++)
				cs[k++] = pages[p]->clusters[i];
		if (ctl->fmt == CTL_JSON) {
			/* The response as the API has it, pages joined. */
			Clusters__V1__ListClustersResponse joined =
				CLUSTERS__V1__LIST_CLUSTERS_RESPONSE__INIT;
			joined.n_clusters = total;
			joined.clusters = cs;
			joined.next_page_token = token && *token ? token : "";
			rc = ctl_print_json((const ProtobufCMessage *)&joined);
		} else {
			rc = ctl_print_clusters(ctl, cs, total);
			if (!all && token && *token)
				fprintf(stderr, "more: --page-token %s\n", token);
		}
	} else if (!rc) {
		rc = ctl_fail(CTL_FAIL, "out of memory");
	}
	free(cs);
	for (size_t p = 0; p < npages; p++)
		cc_msg_free(pages[p]);
	free(pages);
	return rc;
}

static int ctl_update(ctl_t *ctl, int argc, char **argv)
{
	static const struct option o[] = {
		{ "mask", required_argument, NULL, OPT_MASK },
		{ "etag", required_argument, NULL, OPT_ETAG },
		{ "allow-missing", no_argument, NULL, OPT_ALLOW_MISSING },
		CTL_CSV_OPTS, CTL_COMMON_OPTS, { 0 } };
	const char *cmd = "cluster update", *mask = NULL, *path = NULL;
	Clusters__V1__UpdateClusterRequest req =
		CLUSTERS__V1__UPDATE_CLUSTER_REQUEST__INIT;
	int c, rc = CTL_OK;
	while ((c = ctl_getopt(ctl, cmd, argc, argv, "h", o, &rc)) != -1) {
		switch (c) {
		case 'h': return ctl_help_page();
		case '?': return rc;
		case OPT_MASK: mask = optarg; break;
		case OPT_ETAG: req.etag = optarg; break;
		case OPT_ALLOW_MISSING: req.allow_missing = 1; break;
		case OPT_LAYOUT:
		case OPT_LOSSY:
			if ((rc = ctl_csv_opt(ctl, cmd, c, optarg)))
				return rc;
			break;
		}
	}
	if ((rc = ctl_csv_check(ctl, cmd)) ||
	    (rc = ctl_one_arg(cmd, argc, argv, "FILE", &path)))
		return rc;
	ctl_updates_t u;
	if ((rc = ctl_read_updates(cmd, path, mask,
	                           &clusters__v1__cluster__descriptor, &u))) {
		ctl_updates_free(&u);
		return rc;
	}
	cc_client_t *cli = ctl_client(ctl);
	Clusters__V1__Cluster **res = calloc(u.n ? u.n : 1, sizeof(*res));
	size_t done = 0;
	rc = !cli || !res ? CTL_FAIL : CTL_OK;
	/* One call per cluster, each with the mask its record names; stops
	 * at the first refusal. The updated clusters print together, as one
	 * table or CSV. */
	for (; !rc && done < u.n; done++) {
		cc_status_t st;
		req.cluster = (Clusters__V1__Cluster *)u.msgs[done];
		req.update_mask = ctl_update_mask(&u, done);
		if (cc_update_cluster(cli, ctl_opts(ctl), &req, &res[done], &st))
			rc = ctl_rpc_fail(&st);
	}
	if (res) {
		size_t ok = rc ? done - 1 : done;
		int prc = ok ? ctl_print_clusters(ctl, res, ok) : CTL_OK;
		rc = rc ? rc : prc;
		for (size_t i = 0; i < u.n; i++)
			cc_msg_free(res[i]);
	}
	free(res);
	ctl_updates_free(&u);
	return rc;
}

static int ctl_delete(ctl_t *ctl, int argc, char **argv)
{
	static const struct option o[] = {
		{ "etag", required_argument, NULL, OPT_ETAG },
		CTL_COMMON_OPTS, { 0 } };
	const char *cmd = "cluster delete", *id = NULL;
	Clusters__V1__DeleteClusterRequest req =
		CLUSTERS__V1__DELETE_CLUSTER_REQUEST__INIT;
	int c, rc = CTL_OK;
	while ((c = ctl_getopt(ctl, cmd, argc, argv, "h", o, &rc)) != -1) {
		if (c == 'h')
			return ctl_help_page();
		if (c == '?')
			return rc;
		if (c == OPT_ETAG)
			req.etag = optarg;
	}
	if ((rc = ctl_one_arg(cmd, argc, argv, "ID", &id)))
		return rc;
	req.id = (char *)id;
	cc_client_t *cli = ctl_client(ctl);
	if (!cli)
		return CTL_FAIL;
	Clusters__V1__DeleteClusterResponse *resp;
	cc_status_t st;
	if (cc_delete_cluster(cli, ctl_opts(ctl), &req, &resp, &st))
		return ctl_rpc_fail(&st);
	if (ctl->fmt == CTL_JSON)
		rc = ctl_print_json((const ProtobufCMessage *)resp);
	else if (ctl->fmt == CTL_TABLE)
		printf("deleted %s\n", id);
	cc_msg_free(resp);
	return rc;
}

static int ctl_import_report(ctl_t *ctl,
                             const Clusters__V1__ImportClustersResponse *r)
{
	if (ctl->fmt == CTL_JSON) {
		ctl_print_json((const ProtobufCMessage *)r);
	} else {
		if (ctl->fmt == CTL_TABLE)
			printf("created %lld, updated %lld, rejected %lld\n",
			       (long long)r->created, (long long)r->updated,
			       (long long)r->rejected);
		if (r->n_errors) {
			static const char *const hdr[] = { "RECORD", "ID",
			                                   "FIELD", "ERROR" };
			ctl_table_t *t = ctl_table_create(4, hdr);
			for (size_t i = 0; t && i < r->n_errors; i++) {
				ctl_table_cell(t, "%lld",
				               (long long)r->errors[i]->index);
				ctl_table_cell(t, "%s", r->errors[i]->id);
				ctl_table_cell(t, "%s", r->errors[i]->field);
				ctl_table_cell(t, "%s", r->errors[i]->message);
				ctl_table_end_row(t);
			}
			if (t)
				ctl_print_table(ctl, t);
			ctl_table_destroy(t);
		}
	}
	if (r->rejected)
		return ctl_fail(CTL_FAIL, "%lld record%s rejected",
		                (long long)r->rejected,
		                r->rejected == 1 ? "" : "s");
	return CTL_OK;
}

static int ctl_import(ctl_t *ctl, int argc, char **argv)
{
	const char *path = NULL;
	int rc = ctl_no_opts(ctl, "cluster import", argc, argv, 0, "FILE",
	                     &path);
	if (rc)
		return rc < 0 ? ctl_help_page() : rc;
	/* The whole file is read first, so a bad file sends nothing. */
	ProtobufCMessage **in;
	size_t n;
	if ((rc = ctl_read_msgs(path, &clusters__v1__cluster__descriptor, &in,
	                        &n)))
		return rc;
	cc_client_t *cli = ctl_client(ctl);
	cc_writer_t *w;
	cc_status_t st;
	if (!cli) {
		ctl_msgs_free(in, n);
		return CTL_FAIL;
	}
	if (cc_import_clusters_open(cli, ctl_opts(ctl), &w, &st)) {
		ctl_msgs_free(in, n);
		return ctl_rpc_fail(&st);
	}
	for (size_t i = 0; i < n; i++) {
		/* A refused write ends the call: finish tells why. */
		if (cc_writer_write(w, in[i], &st))
			break;
		ctl_progress_line(ctl, "importing", i + 1, n);
	}
	ctl_progress_end(ctl);
	ctl_msgs_free(in, n);
	Clusters__V1__ImportClustersResponse *resp;
	if (cc_import_clusters_finish(w, &resp, &st))
		return ctl_rpc_fail(&st);
	rc = ctl_import_report(ctl, resp);
	cc_msg_free(resp);
	return rc;
}

typedef struct ctl_export {
	ctl_t *ctl;
	Clusters__V1__Cluster **v;  /* kept for CSV, which needs them all */
	size_t n, cap;
	int rc;
} ctl_export_t;

static int ctl_export_one(const ProtobufCMessage *m, void *ud)
{
	ctl_export_t *e = ud;
	if (e->ctl->fmt != CTL_CSV) {
		char err[256];
		json_t *j = cc_json_from_msg(m, err, sizeof(err));
		if (!j) {
			e->rc = ctl_fail(CTL_FAIL, "%s", err);
			return 1;
		}
		cc_json_write(stdout, j, 0);
		fputc('\n', stdout);
		json_decref(j);
		return 0;
	}
	/* The callback's message is borrowed: keep a copy. */
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(len ? len : 1);
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 256;
		Clusters__V1__Cluster **v = realloc(e->v, cap * sizeof(*v));
		if (v) {
			e->v = v;
			e->cap = cap;
		}
	}
	if (!buf || e->n == e->cap) {
		free(buf);
		e->rc = ctl_fail(CTL_FAIL, "out of memory");
		return 1;
	}
	protobuf_c_message_pack(m, buf);
	e->v[e->n] = clusters__v1__cluster__unpack(NULL, len, buf);
	free(buf);
	if (!e->v[e->n]) {
		e->rc = ctl_fail(CTL_FAIL, "out of memory");
		return 1;
	}
	e->n++;
	return 0;
}

static int ctl_export(ctl_t *ctl, int argc, char **argv)
{
	static const struct option o[] = { CTL_FILTER_OPTS, CTL_CSV_OPTS,
	                                   CTL_COMMON_OPTS, { 0 } };
	const char *cmd = "cluster export";
	Clusters__V1__ClusterFilter f = CLUSTERS__V1__CLUSTER_FILTER__INIT;
	Clusters__V1__ExportClustersRequest req =
		CLUSTERS__V1__EXPORT_CLUSTERS_REQUEST__INIT;
	int c, rc = CTL_OK;
	while ((c = ctl_getopt(ctl, cmd, argc, argv, "h", o, &rc)) != -1) {
		switch (c) {
		case 'h': return ctl_help_page();
		case '?': return rc;
		case OPT_ECONOMY: f.economy = optarg; break;
		case OPT_REGION: f.region = optarg; break;
		case OPT_CITY: f.city = optarg; break;
		case OPT_INDUSTRY: f.industry = optarg; break;
		case OPT_LAYOUT:
		case OPT_LOSSY:
			if ((rc = ctl_csv_opt(ctl, cmd, c, optarg)))
				return rc;
			break;
		}
	}
	if ((rc = ctl_csv_check(ctl, cmd)))
		return rc;
	if (optind < argc)
		return ctl_usage(cmd, "%s: unexpected argument '%s'", cmd,
		                 argv[optind]);
	req.filters = &f;
	cc_client_t *cli = ctl_client(ctl);
	if (!cli)
		return CTL_FAIL;
	ctl_export_t e = { ctl, NULL, 0, 0, CTL_OK };
	cc_status_t st;
	if (cc_export_clusters(cli, ctl_opts(ctl), &req, ctl_export_one, &e,
	                       &st))
		rc = e.rc ? e.rc : ctl_rpc_fail(&st);
	else if (ctl->fmt == CTL_CSV)
		rc = ctl_print_clusters(ctl, e.v, e.n);
	for (size_t i = 0; i < e.n; i++)
		cc_msg_free(e.v[i]);
	free(e.v);
	return rc;
}

int ctl_cmd_cluster(ctl_t *ctl, int argc, char **argv)
{
	static const ctl_sub_t subs[] = {
		{ "create", ctl_create }, { "get", ctl_get },
		{ "list", ctl_list },     { "update", ctl_update },
		{ "delete", ctl_delete }, { "import", ctl_import },
		{ "export", ctl_export },
	};
	return ctl_dispatch(ctl, "cluster", ctl_cluster_help, subs,
	                    sizeof(subs) / sizeof(subs[0]), argc, argv);
}
