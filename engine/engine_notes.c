/* Notes a scorer attaches to candidates: sparse, because most candidates
 * have none; interned, because plugins repeat the same few reasons. And
 * the few notes a scorer makes of a criterion's round as a whole. */
#include "engine_internal.h"

#include <stdlib.h>
#include <string.h>

#include "cd_error.h"

int engine_notes_set(engine_notes_t *nt, size_t i, const char *text)
{
	if (!nt || !text || i >= nt->nmap)
		return CD_EINVAL;
	uint32_t sid;
	int rc = engine_dict_intern(nt->text, text, strlen(text), &sid);
	if (!rc)
		rc = engine_grow((void **)&nt->v, &nt->cap, nt->n + 1,
		                 sizeof(*nt->v));
	if (rc)
		return rc;
	uint32_t pos = nt->map[i];
	if (nt->n && nt->v[nt->n - 1].pos >= pos)
		nt->unsorted = 1;
	nt->v[nt->n] = (engine_note_t){ pos, sid, (uint32_t)nt->n };
	nt->n++;
	return CD_OK;
}

static int cmp(const void *a, const void *b)
{
	const engine_note_t *x = a, *y = b;
	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void engine_notes_finish(engine_notes_t *nt)
{
	if (!nt->unsorted)
		return;
	qsort(nt->v, nt->n, sizeof(*nt->v), cmp);
	/* Keep the last note given for each position. */
	size_t w = 0;
	for (size_t i = 0; i < nt->n; i++) {
		if (w && nt->v[w - 1].pos == nt->v[i].pos)
			w--;
		nt->v[w++] = nt->v[i];
	}
	nt->n = w;
	nt->unsorted = 0;
}

uint32_t engine_notes_get_n(const engine_notes_t *nt, size_t count,
                            uint32_t pos)
{
	size_t lo = 0, hi = count < nt->n ? count : nt->n, n = hi;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (nt->v[mid].pos < pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && nt->v[lo].pos == pos ? nt->v[lo].sid
	                                      : ENGINE_SID_NONE;
}

uint32_t engine_notes_get(const engine_notes_t *nt, uint32_t pos)
{
	return engine_notes_get_n(nt, nt->n, pos);
}

int engine_crit_note(engine_crit_notes_t *nt, const char *key,
                     const char *value)
{
	if (!nt)
		return CD_OK;
	if (!key || !value)
		return CD_EINVAL;
	size_t i = 0;
	while (i < nt->n && strcmp(nt->v[i].key, key))
		i++;
	char *v = strdup(value);
	if (!v)
		return CD_ENOMEM;
	if (i < nt->n) {
		free(nt->v[i].value);
		nt->v[i].value = v;
		return CD_OK;
	}
	char *k = strdup(key);
	int rc = k ? engine_grow((void **)&nt->v, &nt->cap, nt->n + 1,
	                         sizeof(*nt->v))
	           : CD_ENOMEM;
	if (rc) {
		free(k);
		free(v);
		return rc;
	}
	nt->v[nt->n++] = (engine_kv_t){ k, v };
	return CD_OK;
}

void engine_crit_notes_fini(engine_crit_notes_t *nt)
{
	for (size_t i = 0; i < nt->n; i++) {
		free(nt->v[i].key);
		free(nt->v[i].value);
	}
	free(nt->v);
	*nt = (engine_crit_notes_t){ 0 };
}
