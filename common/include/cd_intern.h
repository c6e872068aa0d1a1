/*
 * cd_intern_internal — a string arena with an interning table, for cohorts.
 *
 * Strings are appended to one growable buffer and named by their byte
 * offset (uint32_t), so regrowing the buffer never invalidates a name and a
 * reference costs four bytes instead of eight. An intern table maps equal
 * strings to one dense id (0, 1, 2, ...), and an id to its offset.
 *
 * Thread-safety: none while writing; lookups on a table nobody writes are
 * safe from any number of threads.
 */
#ifndef CD_INTERN_H
#define CD_INTERN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct cd_arena {
	char *buf;
	size_t len, cap;
} cd_arena_t;

typedef struct cd_intern {
	uint32_t *slots;   /* open addressing; id + 1, 0 = empty */
	size_t nslots;     /* power of two */
	uint32_t *off;     /* id -> arena offset */
	size_t n, cap;
	uint32_t max_ids;  /* ids at or above this are refused */
} cd_intern_t;

#define CD_NOID UINT32_MAX

/* Copies s (with its NUL) into the arena; *off names it. CD_ENOMEM or
 * CD_ELIMIT (arena beyond 4 GiB). */
int cd_arena_add(cd_arena_t *a, const char *s, uint32_t *off);
/* As cd_arena_add for the len bytes at s (no NUL among them), which
 * the arena NUL-terminates. */
int cd_arena_add_n(cd_arena_t *a, const char *s, size_t len,
                       uint32_t *off);
static inline const char *cd_arena_str(const cd_arena_t *a,
                                           uint32_t off)
{
	return a->buf + off;
}
void cd_arena_free(cd_arena_t *a);

/* max_ids bounds how many distinct strings the table accepts. */
void cd_intern_init(cd_intern_t *t, uint32_t max_ids);
void cd_intern_free(cd_intern_t *t);
/* Finds or adds s; *id is its dense id. CD_ENOMEM or CD_ELIMIT. */
int cd_intern_add(cd_intern_t *t, cd_arena_t *a, const char *s,
                      uint32_t *id);
/* As cd_intern_add, trying *hint first (an id this table gave before,
 * or CD_NOID): a caller adding strings that repeat in the same order,
 * such as the indicator names of one cluster after another, keeps one hint
 * per position and mostly skips the hash. *hint becomes *id. */
int cd_intern_add_hinted(cd_intern_t *t, cd_arena_t *a,
                             const char *s, uint32_t *hint, uint32_t *id);
/* As cd_intern_add_hinted (hint may be NULL) for the len bytes at s,
 * which hold no NUL: the string need not be NUL-terminated. */
int cd_intern_add_n(cd_intern_t *t, cd_arena_t *a, const char *s,
                        size_t len, uint32_t *hint, uint32_t *id);

/* Whether the len bytes at p and q are equal; short strings are compared
 * eight bytes at a time without a call. */
static inline int cd_bytes_eq(const char *p, const char *q, size_t len)
{
	for (; len >= 8; p += 8, q += 8, len -= 8) {
		uint64_t x, y;
		memcpy(&x, p, 8);
		memcpy(&y, q, 8);
		if (x != y)
			return 0;
	}
	for (; len; p++, q++, len--)
		if (*p != *q)
			return 0;
	return 1;
}

/* cd_intern_add_n when the hint is right (the common case when the
 * same strings come in the same places), without a call. */
static inline int cd_intern_add_fast(cd_intern_t *t,
                                         cd_arena_t *a, const char *s,
                                         size_t len, uint32_t *hint,
                                         uint32_t *id)
{
	if (*hint < t->n) {
		size_t off = t->off[*hint];
		if (off + len < a->len && a->buf[off + len] == '\0' &&
		    cd_bytes_eq(a->buf + off, s, len)) {
			*id = *hint;
			return 0;
		}
	}
	return cd_intern_add_n(t, a, s, len, hint, id);
}
/* CD_NOID when s was never added. */
uint32_t cd_intern_find(const cd_intern_t *t, const cd_arena_t *a,
                        const char *s);
/* As cd_intern_find for the len bytes at s (no NUL among them). */
uint32_t cd_intern_find_n(const cd_intern_t *t, const cd_arena_t *a,
                          const char *s, size_t len);
/* As cd_intern_find, trying guess (any value) first: a reader that
 * looks the same string up again and again keeps the last id it got. */
uint32_t cd_intern_find_guess(const cd_intern_t *t,
                                  const cd_arena_t *a, const char *s,
                                  uint32_t guess);
static inline const char *cd_intern_str(const cd_intern_t *t,
                                            const cd_arena_t *a,
                                            uint32_t id)
{
	return a->buf + t->off[id];
}
size_t cd_intern_memory(const cd_intern_t *t);

/* Grows *p (of *cap elements of size elem) to hold at least need. */
int cd_grow(void **p, size_t *cap, size_t need, size_t elem);

#endif
