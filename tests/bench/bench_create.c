/*
 * bench_create — concurrent CreateCluster against a running clusterd, with
 * its baseline measured in the same run, and the durability check after a
 * restart.
 *
 *   bench_create ADDR one ID
 *       creates one cluster (used to preload a store) and prints its
 *       encoded size ("size N").
 *   bench_create ADDR run SECONDS ROUNDS INFLIGHT ACKFILE
 *       per round: one thread creating sequentially for SECONDS (one call
 *       in flight, so one durable commit per call: the baseline), then
 *       INFLIGHT calls kept in flight by one thread on one completion queue
 *       (bench_create_async.c) for SECONDS. Prints both rates per round
 *       and the medians; every acknowledged id is appended to ACKFILE.
 *   bench_create ADDR run-threads SECONDS ROUNDS THREADS ACKFILE
 *       the same, with THREADS threads sharing one client and making
 *       blocking calls in the concurrent phase.
 *   bench_create ADDR load SECONDS THREADS ACKFILE [PREFIX]
 *       only the concurrent phase, once: for measuring the server's CPU
 *       time per call over a known number of calls (ACKFILE's lines).
 *       Ids start with PREFIX (default "load"): a second load into the
 *       same store needs another.
 *   bench_create ADDR verify ACKFILE
 *       checks that every id in ACKFILE is stored (GetCluster of each) and
 *       counts the store's clusters by ListClusters paging.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_cluster.h"
#include "bench_create_async.h"
#include "cc_client.h"

typedef struct worker {
	cc_client_t *cl;
	char prefix[64];
	double until;
	size_t acked, failed;
	char **ids;
	size_t cap;
	pthread_t th;
} worker_t;

static void *create_loop(void *arg)
{
	worker_t *w = arg;
	bench_rec_t *rec = malloc(sizeof(*rec));
	for (size_t i = 0; bench_now() < w->until; i++) {
		bench_rec_fill(rec, w->prefix, i);
		Clusters__V1__CreateClusterRequest req =
			CLUSTERS__V1__CREATE_CLUSTER_REQUEST__INIT;
		req.cluster = &rec->c;
		Clusters__V1__Cluster *resp = NULL;
		cc_status_t st;
		if (cc_create_cluster(w->cl, NULL, &req, &resp, &st)) {
			if (w->failed++ == 0)
				fprintf(stderr, "bench_create: %s: %s %s\n",
				        rec->id, cc_status_name(st.code),
				        st.message);
			continue;
		}
		cc_msg_free(resp);
		if (w->acked == w->cap) {
			w->cap = w->cap ? w->cap * 2 : 1024;
			w->ids = realloc(w->ids, w->cap * sizeof(char *));
		}
		w->ids[w->acked++] = strdup(rec->id);
	}
	free(rec);
	return NULL;
}

/* Runs nth workers for secs; returns acknowledged calls per second. */
static double phase(cc_client_t *cl, const char *prefix, int nth,
                    double secs, FILE *ack, size_t *failed)
{
	worker_t *w = calloc((size_t)nth, sizeof(*w));
	double t0 = bench_now();
	for (int t = 0; t < nth; t++) {
		w[t].cl = cl;
		w[t].until = t0 + secs;
		snprintf(w[t].prefix, sizeof(w[t].prefix), "%.16s-t%02d", prefix,
		         t);
		pthread_create(&w[t].th, NULL, create_loop, &w[t]);
	}
	size_t acked = 0;
	for (int t = 0; t < nth; t++)
		pthread_join(w[t].th, NULL);
	double dt = bench_now() - t0;
	for (int t = 0; t < nth; t++) {
		acked += w[t].acked;
		*failed += w[t].failed;
		for (size_t i = 0; i < w[t].acked; i++) {
			fprintf(ack, "%s\n", w[t].ids[i]);
			free(w[t].ids[i]);
		}
		free(w[t].ids);
	}
	free(w);
	fflush(ack);
	return (double)acked / dt;
}

static int cmd_run(cc_client_t *cl, const char *addr, int async,
                   double secs, int rounds, int nth, const char *ackfile)
{
	FILE *ack = fopen(ackfile, "a");
	if (!ack) {
		perror(ackfile);
		return 1;
	}
	double *seq = calloc((size_t)rounds, sizeof(double));
	double *con = calloc((size_t)rounds, sizeof(double));
	size_t failed = 0;
	for (int r = 0; r < rounds; r++) {
		char p[32];
		snprintf(p, sizeof(p), "seq%d", r);
		seq[r] = phase(cl, p, 1, secs, ack, &failed);
		snprintf(p, sizeof(p), "con%d", r);
		con[r] = async ? bench_create_async(addr, p, nth, secs, ack,
		                                    &failed)
		               : phase(cl, p, nth, secs, ack, &failed);
		printf("create round %d: sequential %.0f /s, %d in flight "
		       "%.0f /s, ratio %.1f\n", r + 1, seq[r], nth, con[r],
		       con[r] / seq[r]);
	}
	double ms = bench_median(seq, rounds), mc = bench_median(con, rounds);
	printf("create median: sequential (one commit per call) %.0f /s, "
	       "%d in flight %.0f /s, ratio %.1f; failed calls %zu\n", ms,
	       nth, mc, mc / ms, failed);
	free(seq);
	free(con);
	return fclose(ack) || failed;
}

static int cmd_load(cc_client_t *cl, double secs, int nth,
                    const char *ackfile, const char *prefix)
{
	FILE *ack = fopen(ackfile, "a");
	if (!ack) {
		perror(ackfile);
		return 1;
	}
	size_t failed = 0;
	double rate = phase(cl, prefix, nth, secs, ack, &failed);
	printf("create load: %d in flight %.0f /s; failed calls %zu\n", nth,
	       rate, failed);
	return fclose(ack) || failed;
}

static int cmd_verify(cc_client_t *cl, const char *ackfile)
{
	FILE *f = fopen(ackfile, "r");
	if (!f) {
		perror(ackfile);
		return 1;
	}
	char line[256];
	size_t n = 0, missing = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!*line)
			continue;
		n++;
		Clusters__V1__GetClusterRequest req =
			CLUSTERS__V1__GET_CLUSTER_REQUEST__INIT;
		req.id = line;
		Clusters__V1__Cluster *resp = NULL;
		cc_status_t st;
		if (cc_get_cluster(cl, NULL, &req, &resp, &st)) {
			if (missing++ < 5)
				fprintf(stderr, "bench_create: %s: %s %s\n",
				        line, cc_status_name(st.code),
				        st.message);
		}
		cc_msg_free(resp);
	}
	fclose(f);
	size_t listed = 0;
	char *token = strdup("");
	for (;;) {
		Clusters__V1__ListClustersRequest req =
			CLUSTERS__V1__LIST_CLUSTERS_REQUEST__INIT;
		req.page_size = 1000;
		req.page_token = token;
		Clusters__V1__ListClustersResponse *resp = NULL;
		cc_status_t st;
		if (cc_list_clusters(cl, NULL, &req, &resp, &st)) {
			fprintf(stderr, "bench_create: list: %s %s\n",
			        cc_status_name(st.code), st.message);
			free(token);
			return 1;
		}
		listed += resp->n_clusters;
		free(token);
		token = strdup(resp->next_page_token ? resp->next_page_token
		                                     : "");
		cc_msg_free(resp);
		if (!*token)
			break;
	}
	free(token);
	printf("after restart: %zu acknowledged creates, %zu present, %zu "
	       "missing; ListClusters paging counts %zu clusters in the "
	       "store: %s\n", n, n - missing, missing, listed,
	       missing == 0 && listed >= n ? "PASS" : "FAIL");
	return missing != 0 || listed < n;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_create ADDR one ID | run SECONDS "
		        "ROUNDS INFLIGHT ACKFILE | run-threads SECONDS ROUNDS "
		        "THREADS ACKFILE | load SECONDS THREADS ACKFILE [PREFIX] | "
		        "verify ACKFILE\n");
		return 2;
	}
	char err[256];
	cc_client_t *cl;
	if (cc_client_open(&cl, argv[1], err, sizeof(err))) {
		fprintf(stderr, "bench_create: %s\n", err);
		return 1;
	}
	cc_client_set_timeout(cl, 60000);
	int rc = 2;
	if (!strcmp(argv[2], "one") && argc == 4) {
		bench_rec_t rec;
		bench_rec_fill(&rec, "x", 0);
		rec.c.id = argv[3];
		Clusters__V1__CreateClusterRequest req =
			CLUSTERS__V1__CREATE_CLUSTER_REQUEST__INIT;
		req.cluster = &rec.c;
		Clusters__V1__Cluster *resp = NULL;
		cc_status_t st;
		rc = cc_create_cluster(cl, NULL, &req, &resp, &st) != 0;
		if (rc)
			fprintf(stderr, "bench_create: %s %s\n",
			        cc_status_name(st.code), st.message);
		else /* what GetCluster of it answers with */
			printf("size %zu\n",
			       clusters__v1__cluster__get_packed_size(resp));
		cc_msg_free(resp);
	} else if ((!strcmp(argv[2], "run") ||
	            !strcmp(argv[2], "run-threads")) && argc == 7) {
		rc = cmd_run(cl, argv[1], !strcmp(argv[2], "run"),
		             atof(argv[3]), atoi(argv[4]), atoi(argv[5]),
		             argv[6]);
	} else if (!strcmp(argv[2], "load") && (argc == 6 || argc == 7)) {
		rc = cmd_load(cl, atof(argv[3]), atoi(argv[4]), argv[5],
		              argc == 7 ? argv[6] : "load");
	} else if (!strcmp(argv[2], "verify") && argc == 4) {
		rc = cmd_verify(cl, argv[3]);
	}
	cc_client_close(cl);
	return rc;
}
