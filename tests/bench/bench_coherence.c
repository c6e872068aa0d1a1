/* The coherence of a round on its own (engine_coherence): N synthetic
 * ranked clusters x K criteria, medians of ROUNDS calls, wall and CPU
 * time (the CPU time says more on a shared machine).
 * Usage: bench_coherence [N] [K] [ROUNDS] (defaults 1000000 5 5).
 * ./deploy/bench.sh coherence; docs/PERFORMANCE.md, "Coherence". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cd_error.h"
#include "engine_coherence.h"

static double clk(clockid_t id)
{
	struct timespec t;
	clock_gettime(id, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	size_t k = argc > 2 ? strtoull(argv[2], NULL, 10) : 5;
	int rounds = argc > 3 ? atoi(argv[3]) : 5;
	if (!n || !k || k > 64 || rounds < 1) {
		fprintf(stderr, "usage: bench_coherence [N] [K 1..64] [ROUNDS]\n");
		return 2;
	}
	double **cols = malloc(k * sizeof(*cols));
	const char **ids = malloc(k * sizeof(*ids));
	int *kind = malloc(k * sizeof(*kind)), *group = malloc(k * sizeof(*group));
	double *total = calloc(n, sizeof(*total));
	uint32_t *R = malloc(n * sizeof(*R));
	double *times = malloc((size_t)rounds * sizeof(*times));
	double *cpu = malloc((size_t)rounds * sizeof(*cpu));
	char (*names)[24] = malloc(k * sizeof(*names));
	if (!cols || !ids || !kind || !group || !total || !R || !times || !cpu ||
	    !names)
		return 1;
	/* Min-max-like values on 0..100 from a hash, with ties (integer
	 * indicators, as the competition benchmark's), and a weighted total. */
	for (size_t j = 0; j < k; j++) {
		cols[j] = malloc(n * sizeof(**cols));
		if (!cols[j])
			return 1;
		snprintf(names[j], sizeof(names[j]), "c%zu", j + 1);
		ids[j] = names[j];
		kind[j] = CLUSTERS__V1__COHERENCE_ITEM_KIND__COHERENCE_ITEM_KIND_CRITERION;
		group[j] = ENGINE_COH_ROUND;
		for (size_t i = 0; i < n; i++) {
			uint64_t h = (i + 1) * 0x9e3779b97f4a7c15ull ^ (j + 1) * 0xbf58476d1ce4e5b9ull;
			h ^= h >> 31;
			h *= 0x94d049bb133111ebull;
			h ^= h >> 29;
			cols[j][i] = 100.0 * (double)(h % 100000) / 99999.0;
			total[i] += cols[j][i] / (double)k;
		}
	}
	for (size_t i = 0; i < n; i++)
		R[i] = (uint32_t)i;
	engine_sorter_t s = { 0 };
	double alpha = 0;
	for (int r = 0; r < rounds; r++) {
		engine_arena_t a = { 0 };
		Clusters__V1__RoundCoherence out;
		char err[256];
		double t0 = clk(CLOCK_MONOTONIC), c0 = clk(CLOCK_PROCESS_CPUTIME_ID);
		int rc = engine_coherence(&a, (const double *const *)cols, ids, kind,
		                          group, k, total, R, n, &s, &out, err,
		                          sizeof(err));
		times[r] = clk(CLOCK_MONOTONIC) - t0;
		cpu[r] = clk(CLOCK_PROCESS_CPUTIME_ID) - c0;
		if (rc) {
			fprintf(stderr, "bench_coherence: %s\n", err);
			return 1;
		}
		alpha = out.groups[0]->cronbach_alpha;
		engine_arena_fini(&a);
	}
	qsort(times, (size_t)rounds, sizeof(*times), cmp);
	qsort(cpu, (size_t)rounds, sizeof(*cpu), cmp);
	printf("coherence %zu clusters x %zu criteria: median %.3f s wall "
	       "(min %.3f, max %.3f), %.3f s CPU (min %.3f) over %d; "
	       "alpha %.4f\n", n, k, times[rounds / 2], times[0],
	       times[rounds - 1], cpu[rounds / 2], cpu[0], rounds, alpha);
	engine_sorter_fini(&s);
	return 0;
}
