/*
 * engine_dict — a dictionary of strings the engine derives itself (the
 * parts of economies, scorers' notes, the ids of a baseline run), numbered
 * by small integer ids (sids) so that grouping, quotas and filters work on
 * arrays indexed by sid. Every dictionary interns "" first, so sid 0 is
 * always the empty string. Strings are copied into the dictionary's own
 * arena.
 *
 * A thin wrapper of cd_intern, the project's one interner. The strings of
 * the clusters themselves are not here: the engine reads them, and their
 * sids, from the sealed plugin cohort (engine_cohort.h).
 *
 * Thread-safety: none; a dictionary belongs to one thread while it grows.
 * Lookups on a dictionary that no longer changes may run concurrently.
 */
#ifndef ENGINE_DICT_H
#define ENGINE_DICT_H

#include <stddef.h>
#include <stdint.h>

#include "cd_intern.h"

#define ENGINE_SID_NONE UINT32_MAX

typedef struct engine_dict {
	cd_arena_t arena;
	cd_intern_t t;
} engine_dict_t;

/* Both return CD_OK or CD_ENOMEM / CD_ELIMIT (over 4 GiB of text). */
int engine_dict_init(engine_dict_t *d);
void engine_dict_fini(engine_dict_t *d);

/* Interns s[0..len) (no NUL among them) and stores its sid in *sid. */
int engine_dict_intern(engine_dict_t *d, const char *s, size_t len,
                       uint32_t *sid);
/* As engine_dict_intern, trying *hint first (a sid of d, or
 * ENGINE_SID_NONE); *hint becomes *sid. */
int engine_dict_intern_hinted(engine_dict_t *d, const char *s, size_t len,
                              uint32_t *hint, uint32_t *sid);
/* The sid of s, or ENGINE_SID_NONE when it was never interned. */
uint32_t engine_dict_find(const engine_dict_t *d, const char *s, size_t len);

static inline const char *engine_dict_str(const engine_dict_t *d, uint32_t sid)
{
	return cd_intern_str(&d->t, &d->arena, sid);
}

static inline uint32_t engine_dict_size(const engine_dict_t *d)
{
	return (uint32_t)d->t.n;
}

/* Bytes held, for memory accounting. */
size_t engine_dict_bytes(const engine_dict_t *d);

#endif
