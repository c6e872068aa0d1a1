/*
 * engine_cohort — the candidates of a competition run, as the engine reads
 * them: the sealed plugin cohort (plugin_cohort.h) plus the few columns
 * only the engine needs.
 *
 * The clusters are held once, in the sealed plugin cohort that plugin
 * workers also map. An engine cohort borrows it: ids, names and every
 * string are read there, and the cohort's string ids (sids) are the
 * engine's group ids for economy, region, industry and cities, so the
 * engine keeps no text and interns no cluster string. What it derives, at
 * creation, is: those sids as columns (economy, region, industry, and
 * where each cluster's cities start), the parts of each economy ("CN/HK"
 * is CN and HK, for economy quotas and filters), and one column per label
 * and per indicator (name, year) that the definition's eligibility filters
 * read. About 16 bytes per cluster, plus 4 per label filter and 8 per
 * indicator filter. The cohort index i is the plugin cohort's cluster i.
 *
 * Thread-safety: creating is single-threaded; a created cohort is
 * read-only and may be read from several threads, as may the sealed plugin
 * cohort it borrows.
 */
#ifndef ENGINE_COHORT_H
#define ENGINE_COHORT_H

#include <stddef.h>
#include <stdint.h>

#include "clusters/v1/competitions.pb-c.h"
#include "plugin_cohort.h"

typedef struct engine_cohort engine_cohort_t;

/* Creates the engine's cohort over pc, a sealed whole plugin cohort (not a
 * view), with the columns def's eligibility filters need (def may be NULL:
 * none). pc is borrowed and must outlive the engine cohort. Codes:
 * CD_EPRECONDITION (pc not sealed, or a view), CD_ENOMEM, CD_ELIMIT. */
int engine_cohort_create_from(engine_cohort_t **out,
                              const plugin_cohort_t *pc,
                              const Clusters__V1__Competition *def,
                              char *err, size_t errlen);
void engine_cohort_destroy(engine_cohort_t *c);

/* The plugin cohort c reads. */
const plugin_cohort_t *engine_cohort_plugin(const engine_cohort_t *c);

/* Read access. i < engine_cohort_size(c). Strings are the plugin
 * cohort's and live as long as it does. */
size_t engine_cohort_size(const engine_cohort_t *c);
const char *engine_cohort_id(const engine_cohort_t *c, size_t i);
const char *engine_cohort_name(const engine_cohort_t *c, size_t i);
const char *engine_cohort_economy(const engine_cohort_t *c, size_t i);
const char *engine_cohort_region(const engine_cohort_t *c, size_t i);
const char *engine_cohort_industry(const engine_cohort_t *c, size_t i);
size_t engine_cohort_city_count(const engine_cohort_t *c, size_t i);
const char *engine_cohort_city(const engine_cohort_t *c, size_t i, size_t j);
/* Bytes the engine cohort holds itself (not the plugin cohort's), for
 * memory accounting. */
size_t engine_cohort_bytes(const engine_cohort_t *c);

#endif
