/* cd_intern.c — the string arena and intern table (see cd_intern.h). */
#include "cd_intern.h"

#include <stdlib.h>
#include <string.h>

#include "cd_error.h"

int cd_grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return CD_OK;
	size_t ncap = *cap ? *cap : 16;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return CD_ENOMEM;
		ncap *= 2;
	}
	if (ncap > SIZE_MAX / elem)
		return CD_ENOMEM;
	void *np = realloc(*p, ncap * elem);
	if (!np)
		return CD_ENOMEM;
	*p = np;
	*cap = ncap;
	return CD_OK;
}

int cd_arena_add_n(cd_arena_t *a, const char *s, size_t len,
                       uint32_t *off)
{
	if (len >= UINT32_MAX || a->len + len + 1 > UINT32_MAX)
		return CD_ELIMIT;
	if (a->len + len + 1 > a->cap) {
		int rc = cd_grow((void **)&a->buf, &a->cap, a->len + len + 1,
		                     1);
		if (rc)
			return rc;
	}
	memcpy(a->buf + a->len, s, len);
	a->buf[a->len + len] = '\0';
	*off = (uint32_t)a->len;
	a->len += len + 1;
	return CD_OK;
}

int cd_arena_add(cd_arena_t *a, const char *s, uint32_t *off)
{
	return cd_arena_add_n(a, s, strlen(s), off);
}

void cd_arena_free(cd_arena_t *a)
{
	free(a->buf);
	memset(a, 0, sizeof(*a));
}

void cd_intern_init(cd_intern_t *t, uint32_t max_ids)
{
	memset(t, 0, sizeof(*t));
	t->max_ids = max_ids;
}

void cd_intern_free(cd_intern_t *t)
{
	free(t->slots);
	free(t->off);
	memset(t, 0, sizeof(*t));
}

/* Eight bytes at a time, multiply and fold: short keys, no adversary
 * worth a keyed hash (strings come from the operator's own store). Only
 * slot placement depends on it. */
static uint32_t hash(const char *s, size_t len)
{
	const uint64_t m = 0x9e3779b97f4a7c15u;
	uint64_t h = len * m;
	for (; len >= 8; s += 8, len -= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ w) * m;
		h ^= h >> 29;
	}
	uint64_t w = 0;
	for (size_t i = 0; i < len; i++)
		w |= (uint64_t)(unsigned char)s[i] << (8 * i);
	h = (h ^ w) * m;
	h ^= h >> 32;
	return (uint32_t)h;
}

/* Whether id names exactly the len bytes at s (which hold no NUL). */
static int same(const cd_intern_t *t, const cd_arena_t *a,
                uint32_t id, const char *s, size_t len)
{
	size_t off = t->off[id];
	return off + len < a->len && a->buf[off + len] == '\0' &&
	       cd_bytes_eq(a->buf + off, s, len);
}

static int rehash(cd_intern_t *t, const cd_arena_t *a, size_t nslots)
{
	uint32_t *slots = calloc(nslots, sizeof(*slots));
	if (!slots)
		return CD_ENOMEM;
	for (size_t id = 0; id < t->n; id++) {
		const char *s = a->buf + t->off[id];
		size_t i = hash(s, strlen(s)) & (nslots - 1);
		while (slots[i])
			i = (i + 1) & (nslots - 1);
		slots[i] = (uint32_t)id + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = nslots;
	return CD_OK;
}

/* The id of s, or CD_NOID; *slot is where it would go. */
static uint32_t find_n(const cd_intern_t *t, const cd_arena_t *a,
                       const char *s, size_t len, size_t *slot)
{
	if (!t->nslots)
		return CD_NOID;
	size_t i = hash(s, len) & (t->nslots - 1);
	while (t->slots[i]) {
		uint32_t id = t->slots[i] - 1;
		if (same(t, a, id, s, len))
			return id;
		i = (i + 1) & (t->nslots - 1);
	}
	*slot = i;
	return CD_NOID;
}

uint32_t cd_intern_find(const cd_intern_t *t, const cd_arena_t *a,
                        const char *s)
{
	size_t slot;
	return find_n(t, a, s, strlen(s), &slot);
}

uint32_t cd_intern_find_n(const cd_intern_t *t, const cd_arena_t *a,
                          const char *s, size_t len)
{
	size_t slot;
	return find_n(t, a, s, len, &slot);
}

uint32_t cd_intern_find_guess(const cd_intern_t *t, const cd_arena_t *a,
                              const char *s, uint32_t guess)
{
	if (guess < t->n && strcmp(a->buf + t->off[guess], s) == 0)
		return guess;
	return cd_intern_find(t, a, s);
}

int cd_intern_add_n(cd_intern_t *t, cd_arena_t *a, const char *s,
                        size_t len, uint32_t *hint, uint32_t *id)
{
	if (hint && *hint < t->n && same(t, a, *hint, s, len)) {
		*id = *hint;
		return CD_OK;
	}
	size_t slot = 0;
	uint32_t found = find_n(t, a, s, len, &slot);
	if (found == CD_NOID) {
		if (t->n >= t->max_ids)
			return CD_ELIMIT;
		/* Keep the load at or below one half so probes stay short. */
		int rc = CD_OK;
		if ((t->n + 1) * 2 > t->nslots) {
			rc = rehash(t, a, t->nslots ? t->nslots * 2 : 64);
			if (!rc)
				(void)find_n(t, a, s, len, &slot);
		}
		if (!rc)
			rc = cd_grow((void **)&t->off, &t->cap, t->n + 1,
			                 sizeof(*t->off));
		uint32_t off;
		if (!rc)
			rc = cd_arena_add_n(a, s, len, &off);
		if (rc)
			return rc;
		t->off[t->n] = off;
		t->slots[slot] = (uint32_t)t->n + 1;
		found = (uint32_t)t->n++;
	}
	*id = found;
	if (hint)
		*hint = found;
	return CD_OK;
}

int cd_intern_add(cd_intern_t *t, cd_arena_t *a, const char *s,
                      uint32_t *id)
{
	return cd_intern_add_n(t, a, s, strlen(s), NULL, id);
}

int cd_intern_add_hinted(cd_intern_t *t, cd_arena_t *a,
                             const char *s, uint32_t *hint, uint32_t *id)
{
	return cd_intern_add_n(t, a, s, strlen(s), hint, id);
}

size_t cd_intern_memory(const cd_intern_t *t)
{
	return t->nslots * sizeof(*t->slots) + t->cap * sizeof(*t->off);
}
