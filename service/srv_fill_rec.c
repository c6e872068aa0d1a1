/* srv_fill_rec.c — one parsed record into the plugin cohort (see
 * srv_fill_rec.h). */
#include "srv_fill_rec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"

void srv_fill_buf_free(srv_fill_buf_t *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Makes room for need more bytes; later copies do not move the buffer. */
static int buf_room(srv_fill_buf_t *b, size_t need)
{
	b->len = 0;
	if (need <= b->cap)
		return CD_OK;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p)
		return CD_ENOMEM;
	b->p = p;
	b->cap = cap;
	return CD_OK;
}

/* A NUL-terminated copy of s in the room made by buf_room. */
static const char *cstr(srv_fill_buf_t *b, cd_span_t s)
{
	char *out = b->p + b->len;
	memcpy(out, s.s, s.len);
	out[s.len] = '\0';
	b->len += s.len + 1;
	return out;
}

/* Assessment rounds are text: a number ("2"), or a round's name of the
 * competition (its position from 1); anything else is round 0. */
static int round_of(const Clusters__V1__Competition *def, const char *s)
{
	if (!s || !*s)
		return 0;
	char *end;
	long v = strtol(s, &end, 10);
	if (!*end && v >= 0 && v <= 65535)
		return (int)v;
	for (size_t i = 0; def && i < def->n_rounds; i++)
		if (def->rounds[i]->name && !strcmp(def->rounds[i]->name, s))
			return (int)i + 1;
	return 0;
}

static plugin_cohort_str_t str(cd_span_t s)
{
	return (plugin_cohort_str_t){ s.s, s.len };
}

static int add_assessment(plugin_cohort_t *pc,
                          const cd_rec_assessment_t *a,
                          const Clusters__V1__Competition *def,
                          srv_fill_buf_t *b, char *err, size_t errlen)
{
	if (buf_room(b, a->round.len + 1))
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	const char *round = cstr(b, a->round);
	return plugin_cohort_add_assessment_n(pc, str(a->judge),
	                                      str(a->criterion), a->score,
	                                      round_of(def, round),
	                                      a->recused, err, errlen);
}

int srv_fill_plugin_rec(plugin_cohort_t *pc, const cd_rec_t *r,
                        const Clusters__V1__Competition *def,
                        srv_fill_buf_t *b, char *err, size_t errlen)
{
	plugin_cohort_fields_t f = { str(r->id), str(r->name),
	                             str(r->economy), str(r->region),
	                             str(r->industry) };
	int rc = plugin_cohort_add_cluster_n(pc, &f, err, errlen);
	for (size_t i = 0; !rc && i < r->ncities; i++)
		rc = plugin_cohort_add_city_n(pc, str(r->cities[i]), err,
		                              errlen);
	for (size_t i = 0; !rc && i < r->nindicators; i++) {
		const cd_rec_indicator_t *x = &r->indicators[i];
		rc = plugin_cohort_add_indicator_n(pc, str(x->name), x->year,
		                                   x->value, err, errlen);
	}
	for (size_t i = 0; !rc && i < r->nassessments; i++)
		rc = add_assessment(pc, &r->assessments[i], def, b, err,
		                    errlen);
	for (size_t i = 0; !rc && i < r->nlabels; i++) {
		const cd_rec_label_t *l = &r->labels[i];
		rc = plugin_cohort_add_label_n(pc, str(l->key), str(l->value),
		                               err, errlen);
	}
	return rc;
}

void srv_fill_presize(plugin_cohort_t *pc, size_t n, size_t nind,
                      size_t hint)
{
	if (n != SRV_FILL_SAMPLE || hint <= 2 * SRV_FILL_SAMPLE)
		return;
	double per = (double)nind / (double)n;
	size_t want = (size_t)(per * (double)hint);
	want += want / 16;
	char err[64];
	(void)plugin_cohort_reserve(pc, hint, want, err, sizeof(err));
}
