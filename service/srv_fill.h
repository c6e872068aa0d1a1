/*
 * srv_fill — fills the two cohorts of an evaluation, the engine's columns
 * and the plugins' views, from one scan of a store snapshot.
 *
 * Each stored record is read once from its packed bytes (cd_rec: no
 * decode into a protobuf-c message, no allocation per record) and the
 * same reading feeds engine_cohort_add_rec and the plugin cohort, so cohort
 * index i is the same cluster on both sides. The plugin cohort gets what
 * plugins can see: id, name, economy, region, industry, cities, indicators
 * (name, year, value), assessments (judge, criterion, score, round,
 * recused) and labels; the plugin cohort copies ids and names and
 * interns the strings that repeat, straight from the record's bytes.
 *
 * A large fill (r->fill_threads) hands the plugin cohort to a helper
 * thread (srv_fill_pipe.h) while the calling thread scans, parses and
 * fills the engine cohort; the cohorts come out the same either way.
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

/* Creates and fills both cohorts for r (r->def, r->snap, r->cluster_ids,
 * r->progress: stage "reading"), and seals the plugin cohort. On failure
 * the caller still destroys whatever *ec and *pc hold. Codes: CD_ENOTFOUND
 * (a listed cluster id), CD_EV_DUPLICATE / CD_EV_ID (cluster_ids),
 * CD_ECORRUPT, CD_ECANCELLED / CD_EDEADLINE, CD_ENOMEM, CD_ELIMIT. */
int srv_fill_cohorts(const srv_eval_req_t *r, engine_cohort_t **ec,
                     plugin_cohort_t **pc, char *err, size_t errlen);

#endif
