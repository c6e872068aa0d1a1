/*
 * bench_import — ImportClusters throughput of a running clusterd: streams
 * N clusters with ten indicators each through one client stream per round
 * and reports clusters/s per round and the median. Each round uses its own
 * id prefix, so every round creates N new clusters.
 *
 * Usage: bench_import ADDR [clusters] [rounds]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_cluster.h"
#include "cc_client.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_import ADDR [clusters] [rounds]\n");
		return 2;
	}
	size_t n = argc > 2 ? strtoul(argv[2], NULL, 10) : 200000;
	int rounds = argc > 3 ? atoi(argv[3]) : 3;
	if (n == 0 || rounds < 1 || rounds > 99)
		return 2;
	char err[256];
	cc_client_t *cl;
	if (cc_client_open(&cl, argv[1], err, sizeof(err))) {
		fprintf(stderr, "bench_import: %s\n", err);
		return 1;
	}
	cc_client_set_timeout(cl, 600000);
	double *rate = calloc((size_t)rounds, sizeof(double));
	bench_rec_t rec;
	int rc = 0;
	for (int r = 0; r < rounds && !rc; r++) {
		char prefix[16];
		snprintf(prefix, sizeof(prefix), "imp%d", r);
		cc_status_t st;
		cc_writer_t *w;
		double t0 = bench_now();
		if (cc_import_clusters_open(cl, NULL, &w, &st)) {
			fprintf(stderr, "bench_import: open: %s %s\n",
			        cc_status_name(st.code), st.message);
			rc = 1;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			bench_rec_fill(&rec, prefix, i);
			if (cc_writer_write(w, &rec.c.base, &st))
				break;
		}
		Clusters__V1__ImportClustersResponse *resp = NULL;
		if (cc_import_clusters_finish(w, &resp, &st)) {
			fprintf(stderr, "bench_import: %s %s\n",
			        cc_status_name(st.code), st.message);
			rc = 1;
			break;
		}
		double dt = bench_now() - t0;
		rate[r] = (double)n / dt;
		printf("import round %d: %zu clusters in %.3f s = %.0f /s "
		       "(created %lld, updated %lld, rejected %lld)\n", r + 1,
		       n, dt, rate[r], (long long)resp->created,
		       (long long)resp->updated, (long long)resp->rejected);
		if ((size_t)resp->created != n)
			rc = 1;
		cc_msg_free(resp);
	}
	if (!rc)
		printf("import median: %.0f clusters/s (%d rounds of %zu)\n",
		       bench_median(rate, rounds), rounds, n);
	free(rate);
	cc_client_close(cl);
	return rc;
}
