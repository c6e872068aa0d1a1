/*
 * cc_gen — test helper: random clusters that the server accepts, for
 * property tests. Every field is used, with the awkward values: multi-byte
 * UTF-8 (2, 3 and 4 bytes), separators and quotes, blanks at the edges,
 * line breaks in comments, strings and counts at the store's limits
 * (store.h), ±1e308, DBL_MAX, denormals, -0.0, duplicate assessments,
 * unsorted indicators and labels, empty label values.
 *
 * Deterministic: the same seed gives the same clusters.
 *
 * Thread-safety: a cc_gen_t belongs to one thread.
 */
#ifndef CC_GEN_H
#define CC_GEN_H

#include <stdint.h>

#include "clusters/v1/clusters.pb-c.h"

typedef struct cc_gen {
	uint64_t state;
} cc_gen_t;

void cc_gen_seed(cc_gen_t *g, uint64_t seed);
uint64_t cc_gen_next(cc_gen_t *g);

typedef enum cc_gen_shape {
	CC_GEN_ANY = 0,  /* anything valid */
	CC_GEN_WIDE,     /* only what the wide CSV layout holds exactly */
	CC_GEN_MAX,      /* every count and length at its limit */
} cc_gen_shape_t;

/* A new valid cluster (free with cc_msg_free) with id "<prefix><index>"
 * followed by random id characters. CC_GEN_WIDE clusters have no
 * assessments or units, indicators sorted by (name, year), labels sorted
 * by key with non-empty values, cities without ';' or edge blanks. */
Clusters__V1__Cluster *cc_gen_cluster(cc_gen_t *g, const char *prefix,
                                      unsigned index, cc_gen_shape_t shape);

#endif
