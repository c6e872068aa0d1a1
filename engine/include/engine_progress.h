/*
 * engine_progress — progress reports and cancellation of long evaluations.
 *
 * The caller's callback hears (stage, done, total) when a stage starts, when
 * it ends and, within a stage, whenever ENGINE_PROGRESS_MS have passed since
 * the last report; loops call engine_progress_tick every few thousand items,
 * so reports come well inside 250 ms on long runs. A non-zero return from
 * the callback stops the evaluation: CD_EDEADLINE is passed through as is,
 * anything else becomes CD_ECANCELLED.
 *
 * Thread-safety: one ticker per evaluation, used by one thread.
 */
#ifndef ENGINE_PROGRESS_H
#define ENGINE_PROGRESS_H

#include <stdint.h>
#include <time.h>

#define ENGINE_PROGRESS_MS 100
/* Loops check the clock once per this many items. */
#define ENGINE_PROGRESS_EVERY 4096

typedef int (*engine_progress_fn)(void *arg, const char *stage,
                                  uint64_t done, uint64_t total);

typedef struct engine_progress {
	engine_progress_fn fn;   /* NULL: never reports, never cancels */
	void *arg;
	const char *stage;
	uint64_t total;
	int interval_ms;         /* < 0: report at every tick (for tests) */
	struct timespec last;
} engine_progress_t;

void engine_progress_init(engine_progress_t *p, engine_progress_fn fn,
                          void *arg);
/* Starts a stage and reports done = 0. Returns CD_OK or the cancel code. */
int engine_progress_stage(engine_progress_t *p, const char *stage,
                          uint64_t total);
/* Reports when enough time has passed. */
int engine_progress_tick(engine_progress_t *p, uint64_t done);
/* Reports done = total. */
int engine_progress_done(engine_progress_t *p);

#endif
