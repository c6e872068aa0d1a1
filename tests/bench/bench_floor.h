/*
 * bench_floor — the floor the competition benchmarks compare against: one
 * raw LMDB cursor pass over a database, every key visited and every value
 * byte read. Shared by bench_scan and bench_eval_fill so both measure the
 * same floor.
 *
 * Thread-safety: opens and ends its own read transaction.
 */
#ifndef BENCH_FLOOR_H
#define BENCH_FLOOR_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

/* Scans dbi; *n records, *bytes of values, *sum of their bytes (returned
 * so the compiler cannot drop the reads). 0 or an LMDB error. */
int bench_floor_scan(MDB_env *env, MDB_dbi dbi, size_t *n, size_t *bytes,
                     uint64_t *sum);

#endif
