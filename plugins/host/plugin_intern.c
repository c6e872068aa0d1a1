#include "plugin_intern.h"

#include <stdlib.h>
#include <string.h>

#include "cd_error.h"

int plugin_grow(void **p, size_t *cap, size_t need, size_t elem)
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

int plugin_arena_add(plugin_arena_t *a, const char *s, uint32_t *off)
{
	size_t n = strlen(s) + 1;
	if (a->len + n > UINT32_MAX)
		return CD_ELIMIT;
	int rc = plugin_grow((void **)&a->buf, &a->cap, a->len + n, 1);
	if (rc)
		return rc;
	memcpy(a->buf + a->len, s, n);
	*off = (uint32_t)a->len;
	a->len += n;
	return CD_OK;
}

void plugin_arena_free(plugin_arena_t *a)
{
	free(a->buf);
	memset(a, 0, sizeof(*a));
}

void plugin_intern_init(plugin_intern_t *t, uint32_t max_ids)
{
	memset(t, 0, sizeof(*t));
	t->max_ids = max_ids;
}

void plugin_intern_free(plugin_intern_t *t)
{
	free(t->slots);
	free(t->off);
	memset(t, 0, sizeof(*t));
}

/* FNV-1a: short keys, no adversary worth a keyed hash (strings come from
 * the operator's own store). */
static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

static int rehash(plugin_intern_t *t, const plugin_arena_t *a, size_t nslots)
{
	uint32_t *slots = calloc(nslots, sizeof(*slots));
	if (!slots)
		return CD_ENOMEM;
	for (size_t id = 0; id < t->n; id++) {
		size_t i = hash(a->buf + t->off[id]) & (nslots - 1);
		while (slots[i])
			i = (i + 1) & (nslots - 1);
		slots[i] = (uint32_t)id + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = nslots;
	return CD_OK;
}

uint32_t plugin_intern_find(const plugin_intern_t *t, const plugin_arena_t *a,
                            const char *s)
{
	if (!t->nslots)
		return PLUGIN_NOID;
	size_t i = hash(s) & (t->nslots - 1);
	while (t->slots[i]) {
		uint32_t id = t->slots[i] - 1;
		if (strcmp(a->buf + t->off[id], s) == 0)
			return id;
		i = (i + 1) & (t->nslots - 1);
	}
	return PLUGIN_NOID;
}

int plugin_intern_add(plugin_intern_t *t, plugin_arena_t *a, const char *s,
                      uint32_t *id)
{
	uint32_t found = plugin_intern_find(t, a, s);
	if (found != PLUGIN_NOID) {
		*id = found;
		return CD_OK;
	}
	if (t->n >= t->max_ids)
		return CD_ELIMIT;
	/* Keep the load at or below one half so probes stay short. */
	if ((t->n + 1) * 2 > t->nslots) {
		int rc = rehash(t, a, t->nslots ? t->nslots * 2 : 64);
		if (rc)
			return rc;
	}
	int rc = plugin_grow((void **)&t->off, &t->cap, t->n + 1,
	                     sizeof(*t->off));
	if (rc)
		return rc;
	uint32_t off;
	rc = plugin_arena_add(a, s, &off);
	if (rc)
		return rc;
	t->off[t->n] = off;
	size_t i = hash(s) & (t->nslots - 1);
	while (t->slots[i])
		i = (i + 1) & (t->nslots - 1);
	t->slots[i] = (uint32_t)t->n + 1;
	*id = (uint32_t)t->n++;
	return CD_OK;
}

int plugin_intern_add_hinted(plugin_intern_t *t, plugin_arena_t *a,
                             const char *s, uint32_t *hint, uint32_t *id)
{
	if (*hint < t->n && strcmp(a->buf + t->off[*hint], s) == 0) {
		*id = *hint;
		return CD_OK;
	}
	int rc = plugin_intern_add(t, a, s, id);
	if (!rc)
		*hint = *id;
	return rc;
}

size_t plugin_intern_memory(const plugin_intern_t *t)
{
	return t->nslots * sizeof(*t->slots) + t->cap * sizeof(*t->off);
}
