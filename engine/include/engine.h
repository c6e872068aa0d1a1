/*
 * engine — the competition engine: validates competition definitions and
 * evaluates them over a columnar cohort of clusters with scores supplied
 * by the caller (plugins, in the service). One include for all of it.
 *
 * Thread-safety: see each header; in short, evaluations are reentrant and
 * share nothing but the read-only cohort and definition.
 */
#ifndef ENGINE_H
#define ENGINE_H

#include "engine_cohort.h"
#include "engine_def.h"
#include "engine_eval.h"
#include "engine_explain.h"
#include "engine_progress.h"
#include "engine_result.h"
#include "engine_run.h"

#endif
