/*
 * bench_isolation — the latency side of the plugin isolation benchmark
 * (tests/bench/bench_isolation.sh), one call in flight, blocking C client:
 *
 *   eval ADDR DEFINITION.json WARMUP N TOPFILE
 *       WARMUP untimed, then N timed Evaluate calls of the competition in
 *       DEFINITION.json (proto3 JSON, as clusterctl reads it) over every
 *       cluster of the server; writes the ranked standings of the last call
 *       to TOPFILE as "rank,cluster_id,score" (%.17g) so two servers'
 *       results can be compared.
 *   get ADDR CLUSTER_ID WARMUP N
 *       the same for GetCluster of one cluster.
 *
 * Prints one line: "<what>: N calls, p50 X us, p90 X us, p99 X us, mean X
 * us, min X us, max X us[, ...]". Exit status 1 on any failed call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cc_client.h"
#include "cc_json.h"

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[n]. */
static double pct(const double *v, size_t n, double p)
{
	size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

static void report(const char *what, double *lat, size_t n, const char *tail)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += lat[i];
	qsort(lat, n, sizeof(*lat), cmp_dbl);
	printf("%s: %zu calls, p50 %.0f us, p90 %.0f us, p99 %.0f us, mean "
	       "%.0f us, min %.0f us, max %.0f us%s\n", what, n,
	       pct(lat, n, 50), pct(lat, n, 90), pct(lat, n, 99), sum / (double)n,
	       lat[0], lat[n - 1], tail);
}

static int cmd_eval(cc_client_t *cl, int argc, char **argv)
{
	if (argc < 4)
		return 2;
	long warm = atol(argv[1]), n = atol(argv[2]);
	if (warm < 0 || n < 1)
		return 2;
	json_error_t je;
	json_t *j = json_load_file(argv[0], 0, &je);
	if (!j) {
		fprintf(stderr, "bench_isolation: %s: %s\n", argv[0], je.text);
		return 1;
	}
	char err[512];
	ProtobufCMessage *m = NULL;
	if (cc_json_to_msg_flags(j, &clusters__v1__competition__descriptor,
	                         CC_JSON_PARAMS_TEXT, &m, err, sizeof(err))) {
		fprintf(stderr, "bench_isolation: %s: %s\n", argv[0], err);
		json_decref(j);
		return 1;
	}
	json_decref(j);
	Clusters__V1__EvaluateRequest req = CLUSTERS__V1__EVALUATE_REQUEST__INIT;
	req.competition = (Clusters__V1__Competition *)m;
	double *lat = malloc((size_t)n * sizeof(*lat));
	if (!lat)
		return 1;
	Clusters__V1__Run *run = NULL;
	int rc = 0;
	for (long i = 0; i < warm + n; i++) {
		cc_status_t st;
		cc_msg_free(run);
		run = NULL;
		double t0 = now_us();
		if (cc_evaluate(cl, NULL, &req, &run, &st)) {
			fprintf(stderr, "bench_isolation: evaluate: %s %s\n",
			        cc_status_name(st.code), st.message);
			rc = 1;
			break;
		}
		double dt = now_us() - t0;
		if (i >= warm)
			lat[i - warm] = dt;
	}
	if (!rc) {
		FILE *f = fopen(argv[3], "w");
		int ranked = 0;
		for (size_t i = 0; f && i < run->n_standings; i++) {
			const Clusters__V1__Standing *s = run->standings[i];
			if (!s->rank)
				continue;
			fprintf(f, "%d,%s,%.17g\n", s->rank, s->cluster_id,
			        s->score);
			ranked++;
		}
		if (!f || fclose(f)) {
			perror(argv[3]);
			rc = 1;
		} else {
			char tail[160];
			snprintf(tail, sizeof(tail), "; %d candidates, %d ranked, "
			         "%zu standings", run->candidates, ranked,
			         run->n_standings);
			report("evaluate", lat, (size_t)n, tail);
		}
	}
	cc_msg_free(run);
	cc_msg_free(m);
	free(lat);
	return rc;
}

static int cmd_get(cc_client_t *cl, int argc, char **argv)
{
	if (argc < 3)
		return 2;
	long warm = atol(argv[1]), n = atol(argv[2]);
	if (warm < 0 || n < 1)
		return 2;
	Clusters__V1__GetClusterRequest req =
		CLUSTERS__V1__GET_CLUSTER_REQUEST__INIT;
	req.id = argv[0];
	double *lat = malloc((size_t)n * sizeof(*lat));
	if (!lat)
		return 1;
	for (long i = 0; i < warm + n; i++) {
		cc_status_t st;
		Clusters__V1__Cluster *c = NULL;
		double t0 = now_us();
		if (cc_get_cluster(cl, NULL, &req, &c, &st)) {
			fprintf(stderr, "bench_isolation: get: %s %s\n",
			        cc_status_name(st.code), st.message);
			free(lat);
			return 1;
		}
		double dt = now_us() - t0;
		cc_msg_free(c);
		if (i >= warm)
			lat[i - warm] = dt;
	}
	report("get", lat, (size_t)n, "");
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_isolation eval ADDR DEFINITION.json "
		        "WARMUP N TOPFILE\n"
		        "       bench_isolation get ADDR CLUSTER_ID WARMUP N\n");
		return 2;
	}
	char err[256];
	cc_client_t *cl;
	if (cc_client_open(&cl, argv[2], err, sizeof(err))) {
		fprintf(stderr, "bench_isolation: %s\n", err);
		return 1;
	}
	cc_client_set_timeout(cl, 600000);
	int rc = 2;
	if (!strcmp(argv[1], "eval"))
		rc = cmd_eval(cl, argc - 3, argv + 3);
	else if (!strcmp(argv[1], "get"))
		rc = cmd_get(cl, argc - 3, argv + 3);
	if (rc == 2)
		fprintf(stderr, "bench_isolation: bad arguments\n");
	cc_client_close(cl);
	return rc;
}
