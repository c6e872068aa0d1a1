#include "plugin_params.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cd_error.h"

typedef struct pp_entry {
	char *name;
	char *value;
	int type;
	double num;
	long long integer;
	int boolean;
	char **items;
	size_t nitems;
} pp_entry_t;

struct cp_params {
	pp_entry_t *e;
	size_t n;
};

static const char *const type_names[] = {
	[CP_PARAM_STRING] = "string",   [CP_PARAM_NUMBER] = "number",
	[CP_PARAM_INTEGER] = "integer", [CP_PARAM_BOOLEAN] = "boolean",
	[CP_PARAM_ENUM] = "enum",       [CP_PARAM_LIST] = "list",
};

const char *plugin_param_type_name(int type)
{
	if (type < CP_PARAM_STRING || type > CP_PARAM_LIST)
		return NULL;
	return type_names[type];
}

static int parse_number(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	while (*end == ' ' || *end == '\t')
		end++;
	if (end == s || *end || errno == ERANGE || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

static int parse_integer(const char *s, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	if (end == s || *end || errno == ERANGE)
		return -1;
	*out = v;
	return 0;
}

static int parse_boolean(const char *s, int *out)
{
	static const char *const yes[] = { "true", "yes", "1", "on" };
	static const char *const no[] = { "false", "no", "0", "off" };
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *out = 1, 0;
		if (strcasecmp(s, no[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

/* Splits a comma-separated list, trimming blanks around items. */
static int split_list(const char *s, char ***items, size_t *n)
{
	*items = NULL;
	*n = 0;
	const char *p = s;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return CD_OK;
	size_t cap = 1;
	for (const char *q = s; *q; q++)
		cap += *q == ',';
	char **v = calloc(cap, sizeof(*v));
	if (!v)
		return CD_ENOMEM;
	for (size_t i = 0; i < cap; i++) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		const char *b = p;
		while (len && (*b == ' ' || *b == '\t'))
			b++, len--;
		while (len && (b[len - 1] == ' ' || b[len - 1] == '\t'))
			len--;
		v[i] = strndup(b, len);
		if (!v[i]) {
			for (size_t j = 0; j < i; j++)
				free(v[j]);
			free(v);
			return CD_ENOMEM;
		}
		p = e ? e + 1 : p + strlen(p);
	}
	*items = v;
	*n = cap;
	return CD_OK;
}

int plugin_param_check(const plugin_param_info_t *spec, const char *value,
                       const char *prefix, char *err, size_t errlen)
{
	const char *pf = prefix ? prefix : "";
	double d;
	long long ll;
	int b;
	switch (spec->type) {
	case CP_PARAM_STRING:
		return CD_OK;
	case CP_PARAM_NUMBER:
		if (parse_number(value, &d))
			return cd_fail(err, errlen, CD_EV_DEFINITION,
			               "%sparam '%s': '%s' is not a finite number",
			               pf, spec->name, value);
		return CD_OK;
	case CP_PARAM_INTEGER:
		if (parse_integer(value, &ll))
			return cd_fail(err, errlen, CD_EV_DEFINITION,
			               "%sparam '%s': '%s' is not an integer", pf,
			               spec->name, value);
		return CD_OK;
	case CP_PARAM_BOOLEAN:
		if (parse_boolean(value, &b))
			return cd_fail(err, errlen, CD_EV_DEFINITION,
			               "%sparam '%s': '%s' is not a boolean "
			               "(true/false)", pf, spec->name, value);
		return CD_OK;
	case CP_PARAM_ENUM:
		for (size_t i = 0; i < spec->nchoices; i++)
			if (strcmp(spec->choices[i], value) == 0)
				return CD_OK;
		return cd_fail(err, errlen, CD_EV_DEFINITION,
		               "%sparam '%s': '%s' is not one of the choices", pf,
		               spec->name, value);
	case CP_PARAM_LIST: {
		char **items;
		size_t n;
		if (split_list(value, &items, &n))
			return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
		int empty = 0;
		for (size_t i = 0; i < n; i++) {
			empty |= !*items[i];
			free(items[i]);
		}
		free(items);
		if (empty)
			return cd_fail(err, errlen, CD_EV_DEFINITION,
			               "%sparam '%s': empty item in list '%s'", pf,
			               spec->name, value);
		return CD_OK;
	}
	default:
		return cd_fail(err, errlen, CD_EV_DEFINITION,
		               "%sparam '%s': unknown type %d", pf, spec->name,
		               spec->type);
	}
}

void plugin_params_destroy(plugin_params_t *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->e[i].name);
		free(p->e[i].value);
		for (size_t j = 0; j < p->e[i].nitems; j++)
			free(p->e[i].items[j]);
		free(p->e[i].items);
	}
	free(p->e);
	free(p);
}

static int set_entry(pp_entry_t *e, const plugin_param_info_t *spec,
                     const char *value)
{
	e->name = strdup(spec->name);
	e->value = strdup(value);
	e->type = spec->type;
	if (!e->name || !e->value)
		return CD_ENOMEM;
	/* Already checked, so parsing cannot fail here. */
	if (spec->type == CP_PARAM_NUMBER)
		parse_number(value, &e->num);
	else if (spec->type == CP_PARAM_INTEGER)
		parse_integer(value, &e->integer);
	else if (spec->type == CP_PARAM_BOOLEAN)
		parse_boolean(value, &e->boolean);
	else if (spec->type == CP_PARAM_LIST)
		return split_list(value, &e->items, &e->nitems);
	return CD_OK;
}

int plugin_params_build(plugin_params_t **out,
                        const plugin_param_info_t *specs, size_t nspecs,
                        const plugin_kv_t *kv, size_t n, const char *prefix,
                        char *err, size_t errlen)
{
	const char *pf = prefix ? prefix : "";
	*out = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!kv[i].key || !kv[i].value)
			return cd_fail(err, errlen, CD_EV_DEFINITION,
			               "%sparam #%zu has no name or value", pf, i);
		size_t s = 0;
		while (s < nspecs && strcmp(specs[s].name, kv[i].key) != 0)
			s++;
		if (s == nspecs)
			return cd_fail(err, errlen, CD_EV_DEFINITION,
			               "%sunknown param '%s'", pf, kv[i].key);
		for (size_t j = 0; j < i; j++)
			if (strcmp(kv[j].key, kv[i].key) == 0)
				return cd_fail(err, errlen, CD_EV_DEFINITION,
				               "%sparam '%s' given twice", pf,
				               kv[i].key);
		int rc = plugin_param_check(&specs[s], kv[i].value, prefix, err,
		                            errlen);
		if (rc)
			return rc;
	}
	plugin_params_t *p = calloc(1, sizeof(*p));
	if (!p || !(p->e = calloc(nspecs ? nspecs : 1, sizeof(*p->e)))) {
		free(p);
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	}
	for (size_t s = 0; s < nspecs; s++) {
		const char *value = specs[s].default_value;
		for (size_t i = 0; i < n; i++)
			if (strcmp(kv[i].key, specs[s].name) == 0)
				value = kv[i].value;
		if (!value) {
			if (!specs[s].required)
				continue;
			plugin_params_destroy(p);
			return cd_fail(err, errlen, CD_EV_DEFINITION,
			               "%smissing required param '%s'", pf,
			               specs[s].name);
		}
		if (set_entry(&p->e[p->n++], &specs[s], value)) {
			plugin_params_destroy(p);
			return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
		}
	}
	*out = p;
	return CD_OK;
}

/* ---- Accessors for the host table. ---- */

static const pp_entry_t *find(const cp_params_t *p, const char *name)
{
	if (!p || !name)
		return NULL;
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->e[i].name, name) == 0)
			return &p->e[i];
	return NULL;
}

static const char *a_get(const cp_params_t *p, const char *name)
{
	const pp_entry_t *e = find(p, name);
	return e ? e->value : NULL;
}

static int a_number(const cp_params_t *p, const char *name, double *out)
{
	const pp_entry_t *e = find(p, name);
	if (!e)
		return 0;
	if (e->type == CP_PARAM_NUMBER)
		*out = e->num;
	else if (e->type == CP_PARAM_INTEGER)
		*out = (double)e->integer;
	else if (parse_number(e->value, out))
		return -1;
	return 1;
}

static int a_integer(const cp_params_t *p, const char *name, long long *out)
{
	const pp_entry_t *e = find(p, name);
	if (!e)
		return 0;
	if (e->type == CP_PARAM_INTEGER)
		*out = e->integer;
	else if (parse_integer(e->value, out))
		return -1;
	return 1;
}

static int a_boolean(const cp_params_t *p, const char *name, int *out)
{
	const pp_entry_t *e = find(p, name);
	if (!e)
		return 0;
	if (e->type == CP_PARAM_BOOLEAN)
		*out = e->boolean;
	else if (parse_boolean(e->value, out))
		return -1;
	return 1;
}

static size_t a_list_len(const cp_params_t *p, const char *name)
{
	const pp_entry_t *e = find(p, name);
	return e && e->type == CP_PARAM_LIST ? e->nitems : 0;
}

static const char *a_list_at(const cp_params_t *p, const char *name,
                             size_t i)
{
	const pp_entry_t *e = find(p, name);
	if (!e || e->type != CP_PARAM_LIST || i >= e->nitems)
		return NULL;
	return e->items[i];
}

void plugin_params_bind_host(cp_host_t *h)
{
	h->param_get = a_get;
	h->param_number = a_number;
	h->param_integer = a_integer;
	h->param_boolean = a_boolean;
	h->param_list_len = a_list_len;
	h->param_list_at = a_list_at;
}
