/*
 * bench_cluster.h — helpers shared by the service benchmarks: a monotonic
 * clock, a median, and a cluster record with ten indicators built in
 * caller-owned storage (no allocation per record).
 */
#ifndef BENCH_CLUSTER_H
#define BENCH_CLUSTER_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "clusters/v1/clusters.pb-c.h"

#define BENCH_NIND 10

static inline double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench_cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static inline double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bench_cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One record and the storage it points into. */
typedef struct bench_rec {
	Clusters__V1__Cluster c;
	Clusters__V1__Indicator ind[BENCH_NIND];
	Clusters__V1__Indicator *indp[BENCH_NIND];
	char id[64], name[64], city[32], region[32];
	char *cities[1];
} bench_rec_t;

static const char *const bench_ind_names[BENCH_NIND] = {
	"pct_applications", "scientific_publications", "population",
	"revenue_cny", "rd_investment_cny", "employment", "firms",
	"innovation_centres", "exports", "patents_granted"};
static const char *const bench_econ[] = {"CN", "US", "JP", "DE", "KR",
                                         "FR", "CN/HK"};

/* Fills r as cluster number i with the id prefix-i (7 digits). */
static inline void bench_rec_fill(bench_rec_t *r, const char *prefix,
                                  size_t i)
{
	clusters__v1__cluster__init(&r->c);
	snprintf(r->id, sizeof(r->id), "%.32s-%07zu", prefix, i);
	snprintf(r->name, sizeof(r->name), "Cluster number %zu", i);
	snprintf(r->city, sizeof(r->city), "City %zu", i % 997);
	snprintf(r->region, sizeof(r->region), "Region %zu", i % 31);
	r->cities[0] = r->city;
	r->c.id = r->id;
	r->c.name = r->name;
	r->c.economy = (char *)bench_econ[i % 7];
	r->c.region = r->region;
	r->c.industry = (char *)(i % 2 ? "ICT" : "Equipment");
	r->c.n_cities = 1;
	r->c.cities = r->cities;
	r->c.n_indicators = BENCH_NIND;
	r->c.indicators = r->indp;
	for (size_t k = 0; k < BENCH_NIND; k++) {
		clusters__v1__indicator__init(&r->ind[k]);
		r->ind[k].name = (char *)bench_ind_names[k];
		r->ind[k].year = 2022;
		r->ind[k].value = (double)(i * 31 + k * 7);
		r->indp[k] = &r->ind[k];
	}
}

#endif
