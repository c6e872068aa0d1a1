/*
 * srv_fill — fills the cohort of an evaluation from one scan of a store
 * snapshot: the plugin cohort, which holds the clusters once, and then the
 * engine's columns over it.
 *
 * Each stored record is read once from its packed bytes (cd_rec: no
 * decode into a protobuf-c message, no allocation per record) and added to
 * the plugin cohort: id, name, economy, region, industry, cities,
 * indicators (name, year, value), assessments (judge, criterion, score,
 * round, recused) and labels; the plugin cohort copies ids and names and
 * interns the strings that repeat, straight from the record's bytes. Once
 * sealed (into the shared segment plugin workers map), the engine cohort
 * is derived from it (engine_cohort_create_from): cohort index i is the
 * same cluster on both sides because there is one cohort.
 *
 * A large fill (r->fill_threads) hands the plugin cohort to a helper
 * thread (srv_fill_pipe.h) while the calling thread scans and parses; the
 * cohort comes out the same either way.
 *
 * Thread-safety: reentrant; the snapshot is read on the calling thread
 * only, and the cohorts are the caller's again when the fill returns.
 */
#ifndef SRV_FILL_H
#define SRV_FILL_H

#include <stddef.h>

#include "clusters/v1/competitions.pb-c.h"
#include "engine.h"
#include "plugin_cohort.h"
#include "srv_eval.h"

/* Creates and fills the plugin cohort for r (r->def, r->snap,
 * r->cluster_ids, r->progress: stage "reading"), seals it, and creates the
 * engine cohort over it (*ec borrows *pc: destroy *ec first, or at least
 * use it no more once *pc is gone). On failure the caller still destroys
 * whatever *ec and *pc hold. Codes: CD_ENOTFOUND
 * (a listed cluster id), CD_EV_DUPLICATE / CD_EV_ID (cluster_ids),
 * CD_ECORRUPT, CD_ECANCELLED / CD_EDEADLINE, CD_ENOMEM, CD_ELIMIT. */
int srv_fill_cohorts(const srv_eval_req_t *r, engine_cohort_t **ec,
                     plugin_cohort_t **pc, char *err, size_t errlen);

#endif
