/*
 * engine_def — validation of a competition definition (clusters.v1.
 * Competition) before it is stored or run.
 *
 * This module is the one owner of what a definition may say: its limits
 * (ENGINE_MAX_*), weights, enums (a refused value lists the accepted
 * ones), filters, selection and tie-breaks. The store checks only what it
 * keeps (ids, text encoding and sizes); the service checks nothing of its
 * own, and plugin names and parameters are judged by the plugin registry
 * through the callback, which gets the criterion as it is.
 *
 * Every rule names the offending field in the message, e.g.
 * "rounds[1].criteria[0].weight: must be >= 0", and has its own code:
 * CD_EV_EMPTY, CD_EV_DUPLICATE, CD_EV_NONFINITE, CD_EV_YEAR, CD_EV_COUNT,
 * or CD_EV_DEFINITION for the rest.
 *
 * Thread-safety: reentrant; the callback is called on the caller's thread.
 */
#ifndef ENGINE_DEF_H
#define ENGINE_DEF_H

#include <stddef.h>

#include "clusters/v1/competitions.pb-c.h"

#define ENGINE_MAX_ROUNDS 16
#define ENGINE_MAX_CRITERIA 64
#define ENGINE_MAX_FILTERS 64
#define ENGINE_MAX_PARAMS 64
/* Pillars of a round, and how deep they nest (a top-level pillar is at
 * depth 1). */
#define ENGINE_MAX_PILLARS 256
#define ENGINE_MAX_PILLAR_DEPTH 8

/* Checks one criterion's plugin and parameters (c->params, keys already
 * checked non-empty and distinct). Returns CD_OK, or a code (usually
 * CD_EV_DEFINITION) with a message and, in *field, the criterion's field
 * at fault ("plugin", "params"; NULL for the criterion); the engine
 * prefixes the path: "rounds[0].criteria[2].params: <message>". */
typedef int (*engine_check_criterion_fn)(void *arg,
                                         const Clusters__V1__Criterion *c,
                                         const char **field, char *err,
                                         size_t errlen);

/* CD_OK when def can be run. check may be NULL (plugins not checked). */
int engine_def_validate(const Clusters__V1__Competition *def,
                        engine_check_criterion_fn check, void *arg,
                        char *err, size_t errlen);

/* The name a round shows in standings: its name, or "round N" (from 1). */
const char *engine_def_round_name(const Clusters__V1__Round *r, size_t i,
                                  char *buf, size_t len);

#endif
