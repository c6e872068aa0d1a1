#include "engine_dict.h"

#include <stdlib.h>
#include <string.h>

#include "cd_error.h"

/* Eight bytes at a time, multiply and fold: short keys, no adversary
 * worth a keyed hash here. Only slot placement depends on it. */
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

static int eq(const engine_dict_t *d, uint32_t sid, const char *s, size_t len)
{
	const char *t = d->buf + d->off[sid];
	return strncmp(t, s, len) == 0 && t[len] == '\0';
}

static int rehash(engine_dict_t *d, uint32_t nslots)
{
	uint32_t *slots = calloc(nslots, sizeof(*slots));
	if (!slots)
		return CD_ENOMEM;
	for (uint32_t sid = 0; sid < d->n; sid++) {
		const char *s = d->buf + d->off[sid];
		uint32_t i = hash(s, strlen(s)) & (nslots - 1);
		while (slots[i])
			i = (i + 1) & (nslots - 1);
		slots[i] = sid + 1;
	}
	free(d->slots);
	d->slots = slots;
	d->nslots = nslots;
	return CD_OK;
}

int engine_dict_init(engine_dict_t *d)
{
	uint32_t sid;
	memset(d, 0, sizeof(*d));
	return engine_dict_intern(d, "", 0, &sid);
}

void engine_dict_fini(engine_dict_t *d)
{
	if (!d)
		return;
	free(d->buf);
	free(d->off);
	free(d->slots);
	memset(d, 0, sizeof(*d));
}

uint32_t engine_dict_find(const engine_dict_t *d, const char *s, size_t len)
{
	if (!d->nslots)
		return ENGINE_SID_NONE;
	uint32_t i = hash(s, len) & (d->nslots - 1);
	while (d->slots[i]) {
		uint32_t sid = d->slots[i] - 1;
		if (eq(d, sid, s, len))
			return sid;
		i = (i + 1) & (d->nslots - 1);
	}
	return ENGINE_SID_NONE;
}

int engine_dict_intern(engine_dict_t *d, const char *s, size_t len,
                       uint32_t *sid)
{
	uint32_t found = engine_dict_find(d, s, len);
	if (found != ENGINE_SID_NONE) {
		*sid = found;
		return CD_OK;
	}
	/* Keep the load factor under one half. */
	if ((uint64_t)(d->n + 1) * 2 > d->nslots) {
		int rc = rehash(d, d->nslots ? d->nslots * 2 : 16);
		if (rc)
			return rc;
	}
	if (d->buf_len + len + 1 > UINT32_MAX || d->n == UINT32_MAX - 1)
		return CD_ELIMIT;
	if (d->buf_len + len + 1 > d->buf_cap) {
		size_t cap = d->buf_cap ? d->buf_cap * 2 : 256;
		while (cap < d->buf_len + len + 1)
			cap *= 2;
		char *b = realloc(d->buf, cap);
		if (!b)
			return CD_ENOMEM;
		d->buf = b;
		d->buf_cap = cap;
	}
	if (d->n == d->off_cap) {
		uint32_t cap = d->off_cap ? d->off_cap * 2 : 16;
		uint32_t *o = realloc(d->off, cap * sizeof(*o));
		if (!o)
			return CD_ENOMEM;
		d->off = o;
		d->off_cap = cap;
	}
	memcpy(d->buf + d->buf_len, s, len);
	d->buf[d->buf_len + len] = '\0';
	d->off[d->n] = (uint32_t)d->buf_len;
	d->buf_len += len + 1;

	uint32_t i = hash(s, len) & (d->nslots - 1);
	while (d->slots[i])
		i = (i + 1) & (d->nslots - 1);
	d->slots[i] = d->n + 1;
	*sid = d->n++;
	return CD_OK;
}

int engine_dict_intern_hinted(engine_dict_t *d, const char *s, size_t len,
                              uint32_t *hint, uint32_t *sid)
{
	if (*hint < d->n && eq(d, *hint, s, len)) {
		*sid = *hint;
		return CD_OK;
	}
	int rc = engine_dict_intern(d, s, len, sid);
	if (!rc)
		*hint = *sid;
	return rc;
}

size_t engine_dict_bytes(const engine_dict_t *d)
{
	return d->buf_cap + (size_t)d->off_cap * sizeof(uint32_t) +
	       (size_t)d->nslots * sizeof(uint32_t);
}
