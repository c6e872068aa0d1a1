/*
 * bench_scan — the floor of a competition run: a raw LMDB cursor scan over
 * the "clusters" database of a clusterd data directory, opened read-only
 * (clusterd may keep running on it), reading every byte of every value.
 * No decoding, no scoring: nothing that reads every record can be faster.
 *
 * Each invocation scans once untimed (to map the pages into this process,
 * as a running server already has them) and then ROUNDS times timed.
 *
 * Usage: bench_scan DATA_DIR [rounds]
 * Prints: "scan round R: N records, B bytes in S s" per round, then
 *         "scan median: S s (N records, B bytes)".
 */
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_floor.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: bench_scan DATA_DIR [rounds]\n");
		return 2;
	}
	int rounds = argc > 2 ? atoi(argv[2]) : 1;
	if (rounds < 1 || rounds > 100)
		return 2;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	int rc = mdb_env_create(&env);
	if (!rc)
		rc = mdb_env_set_maxdbs(env, 16);
	if (!rc)
		rc = mdb_env_open(env, argv[1], MDB_RDONLY | MDB_NOTLS, 0600);
	if (!rc)
		rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
	if (!rc) {
		rc = mdb_dbi_open(txn, "clusters", 0, &dbi);
		if (rc)
			mdb_txn_abort(txn);
		else
			rc = mdb_txn_commit(txn);
	}
	if (rc) {
		fprintf(stderr, "bench_scan: %s: %s\n", argv[1], mdb_strerror(rc));
		return 1;
	}
	size_t n = 0, bytes = 0;
	uint64_t sum = 0, check = 0;
	double *t = calloc((size_t)rounds, sizeof(*t));
	if (!t)
		return 1;
	/* untimed: map the pages */
	rc = bench_floor_scan(env, dbi, &n, &bytes, &check);
	for (int r = 0; !rc && r < rounds; r++) {
		double t0 = now();
		rc = bench_floor_scan(env, dbi, &n, &bytes, &sum);
		t[r] = now() - t0;
		if (!rc && sum != check) {
			fprintf(stderr, "bench_scan: the data changed during the "
			        "scan\n");
			rc = 1;
		}
		if (!rc)
			printf("scan round %d: %zu records, %zu bytes in %.4f s\n",
			       r + 1, n, bytes, t[r]);
	}
	if (rc) {
		if (rc != 1)
			fprintf(stderr, "bench_scan: %s\n", mdb_strerror(rc));
		free(t);
		mdb_env_close(env);
		return 1;
	}
	qsort(t, (size_t)rounds, sizeof(*t), cmp_d);
	double med = rounds % 2 ? t[rounds / 2]
	                        : (t[rounds / 2 - 1] + t[rounds / 2]) / 2;
	printf("scan median: %.4f s (%zu records, %zu bytes, checksum %llu)\n",
	       med, n, bytes, (unsigned long long)sum);
	free(t);
	mdb_env_close(env);
	return 0;
}
