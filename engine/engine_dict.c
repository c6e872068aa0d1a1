/* engine_dict.c — the engine's dictionaries over cd_intern (see
 * engine_dict.h). */
#include "engine_dict.h"

#include <string.h>

#include "cd_error.h"

int engine_dict_init(engine_dict_t *d)
{
	uint32_t sid;
	memset(d, 0, sizeof(*d));
	cd_intern_init(&d->t, UINT32_MAX - 1);
	return engine_dict_intern(d, "", 0, &sid);
}

void engine_dict_fini(engine_dict_t *d)
{
	if (!d)
		return;
	cd_intern_free(&d->t);
	cd_arena_free(&d->arena);
}

uint32_t engine_dict_find(const engine_dict_t *d, const char *s, size_t len)
{
	uint32_t sid = cd_intern_find_n(&d->t, &d->arena, s, len);
	return sid == CD_NOID ? ENGINE_SID_NONE : sid;
}

int engine_dict_intern(engine_dict_t *d, const char *s, size_t len,
                       uint32_t *sid)
{
	return cd_intern_add_n(&d->t, &d->arena, s, len, NULL, sid);
}

int engine_dict_intern_hinted(engine_dict_t *d, const char *s, size_t len,
                              uint32_t *hint, uint32_t *sid)
{
	return cd_intern_add_n(&d->t, &d->arena, s, len, hint, sid);
}

size_t engine_dict_bytes(const engine_dict_t *d)
{
	return d->arena.cap + cd_intern_memory(&d->t);
}
