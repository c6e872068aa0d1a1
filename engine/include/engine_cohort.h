/*
 * engine_cohort — the candidates of a competition run, held as columns.
 *
 * A cohort keeps only what the engine itself needs (id, name, economy and
 * its parts, region, cities, industry, and the labels and indicator values
 * the eligibility filters of one competition read), as arrays of small ints
 * and doubles, so a million clusters cost tens of megabytes rather than a
 * million decoded messages. Plugins read their own inputs through the
 * plugin host; the cohort index (the order clusters were added) is the key
 * both sides share.
 *
 * Fill it from packed clusters.v1.Cluster bytes (engine_cohort_add_packed,
 * or engine_cohort_scan_fn straight from store_snap_scan), or from records
 * the caller read with cd_rec_parse (engine_cohort_add_rec). Adding in id
 * order, as the store scans, saves a sort later.
 *
 * Thread-safety: a cohort belongs to one thread while it is filled; once
 * filled it is read-only and may be read from several threads.
 */
#ifndef ENGINE_COHORT_H
#define ENGINE_COHORT_H

#include <stddef.h>
#include <stdint.h>

#include "clusters/v1/competitions.pb-c.h"
#include "engine_progress.h"
#include "cd_rec.h"

typedef struct engine_cohort engine_cohort_t;

/* Creates an empty cohort with the columns def's eligibility filters need
 * (def may be NULL: no label or indicator columns). size_hint, when known
 * (e.g. store_snap_cluster_count), avoids regrowing the arrays. */
int engine_cohort_create(engine_cohort_t **out,
                         const Clusters__V1__Competition *def,
                         size_t size_hint, char *err, size_t errlen);
void engine_cohort_destroy(engine_cohort_t *c);

/* Adds one packed clusters.v1.Cluster. CD_ECORRUPT when the bytes do not
 * parse (the cohort is left as it was), CD_ENOMEM, CD_ELIMIT. */
int engine_cohort_add_packed(engine_cohort_t *c, const uint8_t *buf,
                             size_t len, char *err, size_t errlen);

/* Adds one record already read with cd_rec_parse (a caller that reads
 * each record once for several consumers); same codes as add_packed. */
int engine_cohort_add_rec(engine_cohort_t *c, const cd_rec_t *rec,
                          char *err, size_t errlen);

/* Argument of engine_cohort_scan_fn. progress may be NULL. */
typedef struct engine_cohort_fill {
	engine_cohort_t *cohort;
	engine_progress_t *progress;
	char err[256];
} engine_cohort_fill_t;

/* A store_scan_fn: adds each scanned record; returns the cd_err that
 * stopped the scan (message in fill->err). */
int engine_cohort_scan_fn(void *fill, const char *id, size_t id_len,
                          const uint8_t *val, size_t val_len);

/* Read access. i < engine_cohort_size(c). Strings live as long as c. */
size_t engine_cohort_size(const engine_cohort_t *c);
const char *engine_cohort_id(const engine_cohort_t *c, size_t i);
const char *engine_cohort_name(const engine_cohort_t *c, size_t i);
const char *engine_cohort_economy(const engine_cohort_t *c, size_t i);
const char *engine_cohort_region(const engine_cohort_t *c, size_t i);
const char *engine_cohort_industry(const engine_cohort_t *c, size_t i);
size_t engine_cohort_city_count(const engine_cohort_t *c, size_t i);
const char *engine_cohort_city(const engine_cohort_t *c, size_t i, size_t j);
/* Bytes held, for memory accounting. */
size_t engine_cohort_bytes(const engine_cohort_t *c);

#endif
