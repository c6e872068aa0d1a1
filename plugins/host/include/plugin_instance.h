/*
 * plugin_instance — the one way to run a plugin.
 *
 * An instance is a plugin of one generation with one set of params (one
 * criterion of one run): open validates the params against the plugin's
 * specs and calls init; score runs it over a sealed cohort and validates
 * what comes back; close calls fini. This is the only module that knows
 * plugins run in a worker process or in the server: with process
 * isolation, open only checks the params, and each score runs init, score
 * and fini in a pooled worker (plugin_proc_internal.h,
 * docs/plugin-isolation.md).
 *
 * Errors: CD_ENOTFOUND (no such plugin in the generation),
 * CD_EV_DEFINITION (a param is unknown, mistyped, missing or rejected by the
 * plugin; the message names the plugin and the param), CD_EPLUGIN (the
 * plugin failed, crashed, broke the sandbox or the worker protocol; the
 * message names the plugin, its version and the reason), CD_EDEADLINE
 * (the time limit passed), CD_EUNAVAIL (the registry is stopping),
 * CD_ENOMEM.
 * An infinite score is no score (NaN) with the reason "+Inf is not a
 * finite number", ahead of the plugin's own reason.
 * What a plugin notes about a score call as a whole (cp_run_note) is kept
 * with the instance until its next score (plugin_instance_notes), as
 * reasons are, in a worker or in the server alike.
 *
 * Thread-safety: an instance is used by one thread at a time; different
 * instances (of the same or different plugins) may score concurrently, and
 * may share one cohort.
 */
#ifndef PLUGIN_INSTANCE_H
#define PLUGIN_INSTANCE_H

#include <stddef.h>

#include "plugin_cohort.h"
#include "plugin_params.h"
#include "plugin_registry.h"

typedef struct plugin_instance plugin_instance_t;

/* Checks params against the plugin's specs without running it (for
 * validating a competition definition before a run). */
int plugin_params_validate(const plugin_generation_t *gen, const char *name,
                           const plugin_kv_t *kv, size_t n, char *err,
                           size_t errlen);

/* Holds its own reference to gen: the caller may release its reference. */
int plugin_instance_open(plugin_instance_t **out, plugin_generation_t *gen,
                         const char *name, const plugin_kv_t *kv, size_t n,
                         char *err, size_t errlen);
/* The time limit of each score call, init and fini included (0 = none).
 * Enforced when plugins run in workers: the worker is killed and the call
 * fails with CD_EDEADLINE. In-process plugins cannot be stopped. */
void plugin_instance_set_timeout(plugin_instance_t *inst, unsigned ms);

/* A descriptor that becomes readable when the caller wants its calls
 * stopped (a cancelled run; -1, the default, = none). With process
 * isolation a score call waiting on its worker then ends at once with
 * CD_ECANCELLED and the worker is killed. Not owned; must stay open while
 * the instance scores. In-process plugins cannot be stopped. */
void plugin_instance_set_cancel_fd(plugin_instance_t *inst, int fd);

/* Calls fini and drops the generation reference. NULL is a no-op. */
void plugin_instance_close(plugin_instance_t *inst);

/* Scores every cluster of the sealed cohort: out[i] (NaN = no score) and,
 * when reasons is not NULL, reasons[i] (NULL or a string valid until the
 * next score or close of this instance). Both arrays hold
 * plugin_cohort_size(cohort) entries. On failure out[] is unspecified. */
int plugin_instance_score(plugin_instance_t *inst,
                          const plugin_cohort_t *cohort, double *out,
                          const char **reasons, char *err, size_t errlen);

/* Scores k instances over the same sealed cohort, in order: what
 * plugin_instance_score does for each, stopping at the first failure
 * (*done instances succeeded; the error is the next one's). Instances of
 * one isolated generation run in one worker with one request, which is
 * what makes a round of small criteria cheap; otherwise one by one.
 * reasons may be NULL, or hold NULL entries. */
int plugin_instance_score_many(plugin_instance_t *const *inst, size_t k,
                               const plugin_cohort_t *cohort,
                               double *const *out,
                               const char **const *reasons, size_t *done,
                               char *err, size_t errlen);

/* Borrowed while the instance is open. */
const plugin_info_t *plugin_instance_info(const plugin_instance_t *inst);

/* A note a plugin recorded about one score call as a whole (cp_run_note,
 * SDK 2.1): valid UTF-8 without control characters. */
typedef struct plugin_note {
	const char *key;
	const char *value;
} plugin_note_t;

/* The notes of inst's last score call (with score_many, its own item's),
 * in the order their keys were first recorded; *n of them, at most
 * CP_NOTES_MAX. None when that call failed, or was not made because an
 * earlier item of its batch failed. Valid until the next score or close
 * of inst. */
const plugin_note_t *plugin_instance_notes(const plugin_instance_t *inst,
                                           size_t *n);

#endif
