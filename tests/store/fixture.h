/*
 * fixture — helpers shared by the store tests: temporary data directories
 * and clusters built field by field.
 */
#ifndef TEST_STORE_FIXTURE_H
#define TEST_STORE_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "store.h"

/* mkdtemp under $TMPDIR; the caller removes it with fx_rmdir. */
char *fx_tmpdir(void);
void fx_rmdir(char *dir);

/* A cluster that lives in a fixed arena inside the returned struct. */
typedef struct fx_cluster {
	store_cluster_t c;
	Clusters__V1__Indicator ind[16];
	Clusters__V1__Indicator *indp[16];
	Clusters__V1__Assessment as[8];
	Clusters__V1__Assessment *asp[8];
	Clusters__V1__Cluster__LabelsEntry lab[8];
	Clusters__V1__Cluster__LabelsEntry *labp[8];
	char *cities[8];
	char id[160], name[64], economy[32], region[64], industry[64];
	char city_buf[8][64];
} fx_cluster_t;

void fx_cluster_init(fx_cluster_t *f, const char *id, const char *economy,
                     const char *region, const char *city,
                     const char *industry);
void fx_add_indicator(fx_cluster_t *f, const char *name, int year,
                      double value);
void fx_add_city(fx_cluster_t *f, const char *city);
void fx_add_label(fx_cluster_t *f, const char *key, const char *value);
void fx_add_assessment(fx_cluster_t *f, const char *judge,
                       const char *criterion, double score);

store_t *fx_open(const char *dir, size_t map_size);

#endif
