/*
 * engine_dict — string interning for the engine's columns.
 *
 * Columns of a cohort hold small integer ids (sids) instead of strings, so
 * grouping, quotas and filters work on arrays indexed by sid. Every
 * dictionary interns "" first, so sid 0 is always the empty string.
 * Strings are copied into the dictionary's own buffer.
 *
 * Thread-safety: none; a dictionary belongs to one thread while it grows.
 * Lookups on a dictionary that no longer changes may run concurrently.
 */
#ifndef ENGINE_DICT_H
#define ENGINE_DICT_H

#include <stddef.h>
#include <stdint.h>

#define ENGINE_SID_NONE UINT32_MAX

typedef struct engine_dict {
	char *buf;          /* the strings, NUL-terminated, back to back */
	size_t buf_len, buf_cap;
	uint32_t *off;      /* off[sid]: offset of the string in buf */
	uint32_t n, off_cap;
	uint32_t *slots;    /* open addressing: sid + 1, 0 = empty slot */
	uint32_t nslots;    /* power of two */
} engine_dict_t;

/* Both return CD_OK or CD_ENOMEM / CD_ELIMIT (over 4 GiB of text). */
int engine_dict_init(engine_dict_t *d);
void engine_dict_fini(engine_dict_t *d);

/* Interns s[0..len) (no NUL needed) and stores its sid in *sid. */
int engine_dict_intern(engine_dict_t *d, const char *s, size_t len,
                       uint32_t *sid);
/* As engine_dict_intern, trying *hint first (a sid of d, or
 * ENGINE_SID_NONE); *hint becomes *sid. A filler that meets the same
 * strings in the same places record after record keeps a hint per place
 * and mostly skips the hash. */
int engine_dict_intern_hinted(engine_dict_t *d, const char *s, size_t len,
                              uint32_t *hint, uint32_t *sid);
/* The sid of s, or ENGINE_SID_NONE when it was never interned. */
uint32_t engine_dict_find(const engine_dict_t *d, const char *s, size_t len);

static inline const char *engine_dict_str(const engine_dict_t *d, uint32_t sid)
{
	return d->buf + d->off[sid];
}

static inline uint32_t engine_dict_size(const engine_dict_t *d)
{
	return d->n;
}

/* Bytes held, for memory accounting. */
size_t engine_dict_bytes(const engine_dict_t *d);

#endif
