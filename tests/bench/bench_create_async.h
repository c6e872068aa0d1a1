/*
 * bench_create_async — CreateCluster with NCALLS calls in flight from one
 * thread on one completion queue (see bench_create_async.c). The caller has
 * initialised gRPC (cc_client_open does).
 */
#ifndef BENCH_CREATE_ASYNC_H
#define BENCH_CREATE_ASYNC_H

#include <stddef.h>
#include <stdio.h>

/* Runs for secs; appends each acknowledged id to ack; returns
 * acknowledged calls per second. */
double bench_create_async(const char *addr, const char *prefix, int ncalls,
                          double secs, FILE *ack, size_t *failed);

#endif
