/*
 * engine_run_internal — the arena a Run message (or one packed standing)
 * is built in, and the standing builder shared by engine_run_build and
 * engine_standings_pack, so both give the same bytes.
 *
 * Thread-safety: an arena belongs to one thread.
 */
#ifndef ENGINE_RUN_INTERNAL_H
#define ENGINE_RUN_INTERNAL_H

#include <stddef.h>

#include "engine_run.h"

typedef struct engine_block {
	struct engine_block *next;
	size_t used, cap;
	max_align_t data[];
} engine_block_t;

typedef struct engine_arena {
	engine_block_t *blocks;
	/* The packer: its message is packed before the result changes, so
	 * strings that live as long as the result (engine_arena_ref) are
	 * pointed at, not copied. */
	int borrow;
} engine_arena_t;

void *engine_arena_alloc(engine_arena_t *a, size_t size);
/* "" for NULL or empty (protobuf-c's empty string, not copied). */
char *engine_arena_dup(engine_arena_t *a, const char *s);
/* A string that lives as long as the result (cohort strings, round and
 * criterion names): copied, or with a->borrow the string itself. */
char *engine_arena_ref(engine_arena_t *a, const char *s);
/* Forgets everything, keeping the newest block for reuse. */
void engine_arena_reset(engine_arena_t *a);
void engine_arena_fini(engine_arena_t *a);

/* Standing st of res into *s, every part from a. CD_ENOMEM. */
int engine_run_standing(engine_arena_t *a, const engine_result_t *res,
                        const engine_standing_t *st,
                        const engine_run_opts_t *o,
                        Clusters__V1__Standing *s);
/* Run.rounds; each round's coherence copied from from (a Run built
 * before from res) when it has one, else computed. CD_ENOMEM. */
int engine_run_round_stats(engine_arena_t *a, const engine_result_t *res,
                           const Clusters__V1__Run *from,
                           Clusters__V1__Run *run);

#endif
