/*
 * rubric — maps a categorical label to points by a table in the params,
 * e.g. label=maturity, points="leading:100,advanced:70,developing:40".
 * A cluster without the label gets no score (NaN with the reason); a level
 * that is not in the table fails the run, naming the cluster and the
 * level, because silently scoring a typo would misrank a cluster.
 *
 * Thread-safety: no globals; the state is read-only after init.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clusterplugin.h"

#define MAX_LEVELS 256

static const cp_param_spec_t params[] = {
	{ .name = "label", .type = CP_PARAM_STRING, .required = 1,
	  .description = "label key, e.g. maturity",
	  .names = CP_NAMES_LABEL },
	{ .name = "points", .type = CP_PARAM_LIST, .required = 1,
	  .description = "level:points items, e.g. leading:100,advanced:70" },
	{ .name = NULL },
};

typedef struct rb_level {
	const char *name;  /* points into the params */
	size_t len;
	double points;
} rb_level_t;

typedef struct rb_state {
	const char *label;
	const char *table;  /* the points param, for messages */
	size_t n;
	rb_level_t level[MAX_LEVELS];
} rb_state_t;

static int rb_init(const cp_host_t *h, const cp_params_t *p, void **state,
                   char *err, size_t errlen)
{
	rb_state_t *s = cp_alloc(h, sizeof(*s));
	if (!s)
		return cp_fail(err, errlen, CP_ENOMEM, "out of memory");
	memset(s, 0, sizeof(*s));
	s->label = cp_param_get(h, p, "label");
	s->table = cp_param_get(h, p, "points");
	size_t n = cp_param_list_len(h, p, "points");
	int rc = CP_OK;
	if (!*s->label)
		rc = cp_fail(err, errlen, CP_EPARAM, "param 'label' is empty");
	else if (n < 1 || n > MAX_LEVELS)
		rc = cp_fail(err, errlen, CP_EPARAM, "param 'points' needs "
		             "1..%d level:points items", MAX_LEVELS);
	for (size_t i = 0; !rc && i < n; i++) {
		const char *item = cp_param_list_at(h, p, "points", i);
		const char *colon = strrchr(item, ':');
		char *end = NULL;
		double v = 0;
		if (colon) {
			errno = 0;
			v = strtod(colon + 1, &end);
		}
		if (!colon || colon == item || end == colon + 1 || *end ||
		    errno || !isfinite(v)) {
			rc = cp_fail(err, errlen, CP_EPARAM, "param 'points': item "
			             "'%s' is not level:points", item);
			break;
		}
		rb_level_t l = { item, (size_t)(colon - item), v };
		for (size_t j = 0; j < s->n; j++)
			if (s->level[j].len == l.len &&
			    strncmp(s->level[j].name, l.name, l.len) == 0)
				rc = cp_fail(err, errlen, CP_EPARAM, "param 'points': "
				             "level '%.*s' given twice", (int)l.len,
				             l.name);
		s->level[s->n++] = l;
	}
	if (rc) {
		cp_free(h, s);
		return rc;
	}
	*state = s;
	return CP_OK;
}

static void rb_fini(const cp_host_t *h, void *state)
{
	cp_free(h, state);
}

static int rb_score(const cp_host_t *h, void *state,
                    const cp_cohort_t *cohort, double *out,
                    const char **reasons, size_t n, char *err,
                    size_t errlen)
{
	const rb_state_t *s = state;
	for (size_t i = 0; i < n; i++) {
		cp_cluster_t c = cp_cohort_at(h, cohort, i);
		const char *v = cp_label(h, c, s->label);
		if (!v) {
			reasons[i] = cp_score_string(h, "no label '%s'", s->label);
			continue;
		}
		size_t j = 0, len = strlen(v);
		while (j < s->n && !(s->level[j].len == len &&
		                     strncmp(s->level[j].name, v, len) == 0))
			j++;
		if (j == s->n)
			return cp_fail(err, errlen, CP_EDATA, "cluster '%s': %s='%s' "
			               "is not a level of param 'points' (%s)",
			               cp_cluster_id(h, c), s->label, v, s->table);
		out[i] = s->level[j].points;
	}
	return CP_OK;
}

static const cp_plugin_t desc = {
	CP_PLUGIN_INIT,
	.name = "rubric",
	.version = CLUSTERD_VERSION,
	.kind = CP_QUALITATIVE,
	.description = "Points for a categorical label by a table of levels",
	.params = params,
	.init = rb_init,
	.score = rb_score,
	.fini = rb_fini,
};

CP_PLUGIN_DEFINE(desc)
