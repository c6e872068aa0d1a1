/*
 * th — test helpers for the engine tests: clusters packed as the store
 * keeps them, competition definitions built field by field, and a scorer
 * that returns fixed columns.
 *
 * Thread-safety: none; tests are single-threaded.
 */
#ifndef TH_H
#define TH_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "engine.h"
#include "plugin_cohort.h"

/* A cluster for a test. cities "a,b"; labels "k=v;k2=v2";
 * indicators "name:year=value;..." . NULL fields are empty. */
typedef struct th_cluster {
	const char *id, *economy, *region, *cities, *industry;
	const char *labels, *indicators;
} th_cluster_t;

/* Packs c into *len bytes (free()). */
uint8_t *th_pack(const th_cluster_t *c, size_t *len);
/* A cohort for def holding v[0..n): a plugin cohort filled from the
 * packed clusters, sealed, and the engine's cohort over it. Fails the test
 * on error. Free it with th_cohort_free. */
engine_cohort_t *th_cohort(const Clusters__V1__Competition *def,
                           const th_cluster_t *v, size_t n);
/* Adds one packed cluster to pc as the service does (assessments in round
 * 0). CD_ECORRUPT ("cluster #i: not a valid clusters.v1.Cluster", or
 * "... record without an id"), or the plugin cohort's codes. */
int th_add_packed(plugin_cohort_t *pc, const uint8_t *buf, size_t len,
                  char *err, size_t errlen);
/* Seals pc and returns the engine's cohort over it for def; pc then
 * belongs to the result (th_cohort_free frees both). */
engine_cohort_t *th_cohort_seal(plugin_cohort_t *pc,
                                const Clusters__V1__Competition *def);
/* Frees a cohort of th_cohort or th_cohort_seal and its plugin cohort. */
void th_cohort_free(engine_cohort_t *c);

/* Definitions: everything malloc'd; th_comp_free frees the lot. */
Clusters__V1__Competition *th_comp(const char *id);
Clusters__V1__Round *th_round(Clusters__V1__Competition *c, const char *name);
Clusters__V1__Criterion *th_crit(Clusters__V1__Round *r, const char *id,
                                 double weight, Clusters__V1__Normalization n);
void th_param(Clusters__V1__Criterion *c, const char *k, const char *v);
/* A pillar (name = id); parent NULL = the top level. */
Clusters__V1__Pillar *th_pillar(Clusters__V1__Round *r, const char *id,
                                double weight, const char *parent,
                                Clusters__V1__Aggregation agg);
/* Puts criterion c into pillar. */
void th_in(Clusters__V1__Criterion *c, const char *pillar);
/* any_of: comma-separated, NULL = none. */
Clusters__V1__Filter *th_filter(Clusters__V1__Round *r,
                                Clusters__V1__FilterField field,
                                const char *key, int32_t year,
                                Clusters__V1__Comparison op,
                                const char *any_of, double threshold);
Clusters__V1__Selection *th_sel(Clusters__V1__Round *r);
void th_min_score(Clusters__V1__Selection *s, double v);
void th_tie(Clusters__V1__Round *r, const char *crit);
void th_comp_free(Clusters__V1__Competition *c);

/* Fixed scores: spec[k] for criterion id crit[k], "a=10;b=-|why;c=3". A
 * "-" is no score; "|text" adds a note. Clusters not listed get none. */
typedef struct th_scores {
	const char *crit[16];
	const char *spec[16];
	const char *fail;         /* criterion id whose scorer fails */
	int calls;
	size_t last_n;            /* candidates of the last call */
} th_scores_t;

int th_scorer(void *arg, engine_score_req_t *req, char *err, size_t errlen);

/* Evaluates; fails the test unless rc is expected. */
engine_result_t *th_eval(const Clusters__V1__Competition *def,
                         const engine_cohort_t *c, th_scores_t *s,
                         int expect_rc);

/* Fails the test unless |a - b| <= eps (cmocka here only has floats). */
void th_near(double a, double b, double eps, const char *file, int line);
#define TH_NEAR(a, b, eps) th_near((a), (b), (eps), __FILE__, __LINE__)

/* Standing lookups for assertions. */
uint32_t th_rank(const engine_result_t *r, const char *id);
double th_score(const engine_result_t *r, const char *id);
int th_selected(const engine_result_t *r, const char *id);
const char *th_reason(const engine_result_t *r, const char *id);
double th_norm(const engine_result_t *r, const char *id, size_t k);
/* Ids of the standings in order, space-separated, e.g. "b a c". */
const char *th_order(const engine_result_t *r);

#endif
