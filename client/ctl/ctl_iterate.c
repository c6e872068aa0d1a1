/* clusterctl competition validate|evaluate FILE: iterating on a definition
 * without storing anything. validate asks the server to check the
 * definition as a create (or, for an id already stored, as a replacing
 * update) would (AIP-163 validate_only); evaluate runs it inline
 * (Evaluate) and prints the result like a stored run. */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static const char ctl_iterate_help[] =
	"Usage: clusterctl competition validate FILE\n"
	"       clusterctl competition evaluate FILE [--cluster ID]...\n"
	"                  [--samples N] [--jitter PCT] [--seed S]\n"
	"\n"
	"  validate  the server checks each definition in FILE as creating it\n"
	"            would (or, when its id is stored, as replacing it with\n"
	"            'competition update FILE --mask \"*\"' would); nothing is\n"
	"            stored\n"
	"  evaluate  runs the definition in FILE over the stored clusters (or\n"
	"            the --cluster ones) and prints the result like 'run get';\n"
	"            nothing is stored\n"
	"\n"
	"A commented example of every field: docs/competition-example.md.\n";

enum { OPT_CLUSTER = CTL_OPT_END, OPT_SAMPLES, OPT_JITTER, OPT_SEED };

/* Reads FILE, which must hold exactly one definition for evaluate. */
static int ctl_read_defs(const char *path, ProtobufCMessage ***in, size_t *n)
{
	return ctl_read_msgs(path, &clusters__v1__competition__descriptor, in,
	                     n);
}

static int ctl_validate_one(ctl_t *ctl, cc_client_t *cli,
                            Clusters__V1__Competition *def)
{
	Clusters__V1__CreateCompetitionRequest req =
		CLUSTERS__V1__CREATE_COMPETITION_REQUEST__INIT;
	Clusters__V1__Competition *res = NULL;
	cc_status_t st;
	const char *as = "a new competition";
	req.competition = def;
	req.validate_only = 1;
	int rc = cc_create_competition(cli, ctl_opts(ctl), &req, &res, &st);
	if (rc && st.code == CC_ALREADY_EXISTS) {
		/* Stored already: check it as the replacing update. */
		static char *all[] = { "*" };
		Google__Protobuf__FieldMask m = GOOGLE__PROTOBUF__FIELD_MASK__INIT;
		Clusters__V1__UpdateCompetitionRequest u =
			CLUSTERS__V1__UPDATE_COMPETITION_REQUEST__INIT;
		m.n_paths = 1;
		m.paths = all;
		u.competition = def;
		u.update_mask = &m;
		u.validate_only = 1;
		as = "a replacement of the stored one";
		rc = cc_update_competition(cli, ctl_opts(ctl), &u, &res, &st);
	}
	if (rc)
		return ctl_rpc_fail(&st);
	if (ctl->fmt == CTL_TABLE) {
		size_t ncrit = 0;
		for (size_t r = 0; r < res->n_rounds; r++)
			ncrit += res->rounds[r]->n_criteria;
		printf("competition %s is valid as %s (%zu round%s, %zu "
		       "criteri%s); nothing stored\n", res->id, as,
		       res->n_rounds, res->n_rounds == 1 ? "" : "s", ncrit,
		       ncrit == 1 ? "on" : "a");
	} else {
		rc = ctl_print_competition(ctl, res);
	}
	cc_msg_free(res);
	return rc;
}

int ctl_comp_validate(ctl_t *ctl, int argc, char **argv)
{
	static const struct option o[] = { CTL_COMMON_OPTS, { 0 } };
	const char *cmd = "competition validate";
	int c, rc = CTL_OK;
	while ((c = ctl_getopt(ctl, cmd, argc, argv, "h", o, &rc)) != -1) {
		if (c == 'h') {
			fputs(ctl_iterate_help, stdout);
			return CTL_OK;
		}
		if (c == '?')
			return rc;
	}
	if (optind + 1 != argc)
		return ctl_usage(cmd, "%s: expected one file", cmd);
	ProtobufCMessage **in;
	size_t n;
	if ((rc = ctl_read_defs(argv[optind], &in, &n)))
		return rc;
	cc_client_t *cli = ctl_client(ctl);
	rc = cli ? CTL_OK : CTL_FAIL;
	for (size_t i = 0; !rc && i < n; i++)
		rc = ctl_validate_one(ctl, cli,
		                      (Clusters__V1__Competition *)in[i]);
	ctl_msgs_free(in, n);
	return rc;
}

int ctl_sens_opt(const char *cmd, int which, const char *arg,
                 Clusters__V1__SensitivityOptions *so)
{
	char *end;
	long v;
	int rc;
	switch (which) {
	case 0:
		if ((rc = ctl_parse_int(cmd, "--samples", arg, 0, 1000000, &v)))
			return rc;
		so->samples = (int32_t)v;
		return CTL_OK;
	case 1:
		so->weight_jitter_pct = strtod(arg, &end);
		if (!*arg || *end || !(so->weight_jitter_pct >= 0) ||
		    so->weight_jitter_pct > 100)
			return ctl_usage(cmd, "--jitter: '%s' is not a "
			                 "percentage in 0..100", arg);
		return CTL_OK;
	default:
		so->seed = strtoull(arg, &end, 10);
		if (!*arg || *end || *arg == '-')
			return ctl_usage(cmd, "--seed: '%s' is not a whole "
			                 "number", arg);
		return CTL_OK;
	}
}

int ctl_comp_evaluate(ctl_t *ctl, int argc, char **argv)
{
	static const struct option o[] = {
		{ "cluster", required_argument, NULL, OPT_CLUSTER },
		{ "samples", required_argument, NULL, OPT_SAMPLES },
		{ "jitter", required_argument, NULL, OPT_JITTER },
		{ "seed", required_argument, NULL, OPT_SEED },
		CTL_COMMON_OPTS, { 0 } };
	const char *cmd = "competition evaluate";
	Clusters__V1__SensitivityOptions so =
		CLUSTERS__V1__SENSITIVITY_OPTIONS__INIT;
	Clusters__V1__EvaluateRequest req = CLUSTERS__V1__EVALUATE_REQUEST__INIT;
	int c, rc = CTL_OK, sens = 0;
	char **ids = calloc((size_t)argc, sizeof(char *));
	if (!ids)
		return ctl_fail(CTL_FAIL, "out of memory");
	while ((c = ctl_getopt(ctl, cmd, argc, argv, "h", o, &rc)) != -1) {
		switch (c) {
		case 'h':
			fputs(ctl_iterate_help, stdout);
			free(ids);
			return CTL_OK;
		case '?':
			free(ids);
			return rc;
		case OPT_CLUSTER:
			ids[req.n_cluster_ids++] = optarg;
			break;
		case OPT_SAMPLES:
		case OPT_JITTER:
		case OPT_SEED:
			if ((rc = ctl_sens_opt(cmd, c - OPT_SAMPLES, optarg,
			                       &so))) {
				free(ids);
				return rc;
			}
			sens = 1;
			break;
		}
	}
	if (optind + 1 != argc) {
		free(ids);
		return ctl_usage(cmd, "%s: expected one file", cmd);
	}
	ProtobufCMessage **in;
	size_t n;
	if ((rc = ctl_read_defs(argv[optind], &in, &n))) {
		free(ids);
		return rc;
	}
	if (n != 1) {
		ctl_msgs_free(in, n);
		free(ids);
		return ctl_fail(CTL_FAIL, "%s: holds %zu definitions; evaluate "
		                "takes one", argv[optind], n);
	}
	cc_client_t *cli = ctl_client(ctl);
	rc = cli ? CTL_OK : CTL_FAIL;
	if (!rc) {
		Clusters__V1__Run *run = NULL;
		cc_status_t st;
		req.competition = (Clusters__V1__Competition *)in[0];
		req.cluster_ids = ids;
		if (sens)
			req.sensitivity = &so;
		if (cc_evaluate(cli, ctl_opts(ctl), &req, &run, &st)) {
			rc = ctl_rpc_fail(&st);
		} else {
			if (ctl->fmt == CTL_TABLE)
				printf("evaluated %s; nothing stored\n",
				       req.competition->id);
			rc = ctl_print_run(ctl, run);
			cc_msg_free(run);
		}
	}
	ctl_msgs_free(in, n);
	free(ids);
	return rc;
}
