/*
 * plugin_params — a plugin's parameters: specs, validation, typed access.
 *
 * Criterion params arrive as string pairs. They are checked against the
 * plugin's specs (unknown name, wrong type, enum choice, missing required
 * value; every message names the param), defaults are filled in, and the
 * result is the cp_params_t the plugin reads through the host table.
 *
 * Thread-safety: a built plugin_params_t is immutable; read it from any
 * thread. Building is single-threaded.
 */
#ifndef PLUGIN_PARAMS_H
#define PLUGIN_PARAMS_H

#include <stddef.h>

#include "clusterplugin.h"

/* One param as given in a criterion. Borrowed strings. */
typedef struct plugin_kv {
	const char *key;
	const char *value;
} plugin_kv_t;

/* A param spec, copied out of the plugin so it outlives nothing. */
typedef struct plugin_param_info {
	char *name;
	int type;               /* CP_PARAM_* */
	const char *type_name;  /* "string", "number", ... (static) */
	char *default_value;    /* NULL = none */
	char *description;      /* never NULL */
	int required;
	char **choices;         /* enum only */
	size_t nchoices;
	int names;              /* CP_NAMES_*; CP_NAMES_NOTHING for a value
	                           this server does not know */
} plugin_param_info_t;

typedef struct cp_params plugin_params_t;

/* "string", "number", ... or NULL for an unknown type. */
const char *plugin_param_type_name(int type);

/* Checks that value is valid for the spec; CD_EV_DEFINITION naming the
 * param (prefix is prepended to the message, e.g. "plugin 'x': "). */
int plugin_param_check(const plugin_param_info_t *spec, const char *value,
                       const char *prefix, char *err, size_t errlen);

/* Validates kv against specs and builds the params (defaults filled in).
 * kv may be NULL when n is 0. */
int plugin_params_build(plugin_params_t **out,
                        const plugin_param_info_t *specs, size_t nspecs,
                        const plugin_kv_t *kv, size_t n, const char *prefix,
                        char *err, size_t errlen);
void plugin_params_destroy(plugin_params_t *p);

/* Installs the param accessors into a host table. */
void plugin_params_bind_host(cp_host_t *host);

#endif
