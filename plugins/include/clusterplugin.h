/*
 * clusterplugin.h — the SDK for clusterd scoring plugins.
 *
 * A plugin is a shared object in the server's plugin directory that exports
 * exactly one function, cp_plugin_entry_v1(), returning a constant
 * descriptor (cp_plugin_t): name, version, kind, parameter specs and the
 * hooks init/score/fini. The server calls score() with a read-only view of
 * the whole cohort of candidate clusters of a round; the plugin writes one
 * raw score per cluster (NaN = no score) and, optionally, a reason per
 * cluster. The server owns normalisation and aggregation.
 *
 * Everything the plugin needs from the server comes through the host table
 * (cp_host_t): logging, memory, parameters and cluster views. Plugins are
 * linked with -Wl,--no-undefined and never call server symbols directly;
 * the static inline helpers below wrap the host table.
 *
 * ABI evolution (see docs/plugins.md):
 *  - The major version is part of the entry function's name; a new major
 *    is a new function, so an old server never runs a plugin it cannot
 *    understand.
 *  - Within a major, structs only grow at the end. Every struct that can
 *    grow carries its size (struct_size, param_spec_size), so either side
 *    can tell which fields the other knows. Use CP_HOST_HAS() before
 *    calling a host service added after 1.0.
 *
 * Thread-safety contract:
 *  - load/unload run once per loaded copy of the plugin, on one thread,
 *    before any init and after every fini.
 *  - init, score and fini of different instances may run concurrently on
 *    different threads; one instance (one state) is used by one thread at a
 *    time, and init/score/fini of an instance never overlap. Keep mutable
 *    data in the state, not in globals.
 *  - Every host service may be called from any thread. Cohort views are
 *    read-only and stay valid for the duration of the score() call.
 *
 * Errors: hooks return CP_OK or a CP_E* code and write a message into the
 * caller's buffer (err, errlen). The server never frees memory the plugin
 * owns; the plugin frees what it allocated through cp_alloc with cp_free.
 */
#ifndef CLUSTERPLUGIN_H
#define CLUSTERPLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CP_ABI_MAJOR 1
#define CP_ABI_MINOR 1

#if defined(__GNUC__)
#define CP_EXPORT __attribute__((visibility("default")))
#else
#define CP_EXPORT
#endif

/* Return codes of plugin hooks and host services. */
enum {
	CP_OK = 0,
	CP_EPARAM = 1,  /* a parameter is invalid; the message names it */
	CP_EDATA = 2,   /* the cohort's data cannot be scored (e.g. unknown level) */
	CP_ENOMEM = 3,
	CP_EFAIL = 4    /* anything else */
};

typedef enum cp_kind {
	CP_QUANTITATIVE = 1,  /* scores measured indicators */
	CP_QUALITATIVE = 2    /* scores expert judgement or categories */
} cp_kind_t;

typedef enum cp_param_type {
	CP_PARAM_STRING = 1,
	CP_PARAM_NUMBER = 2,   /* finite double */
	CP_PARAM_INTEGER = 3,  /* decimal, fits in long long */
	CP_PARAM_BOOLEAN = 4,  /* true/false, yes/no, 1/0, on/off */
	CP_PARAM_ENUM = 5,     /* one of choices */
	CP_PARAM_LIST = 6      /* comma-separated items, blanks trimmed */
} cp_param_type_t;

/* What a string or list param names in the cohort's data (ABI 1.1). The
 * server refuses a run whose criterion gives such a param a name that no
 * cluster of the cohort has (a typo), suggesting the closest existing
 * name; defaults are not checked. */
typedef enum cp_names {
	CP_NAMES_NOTHING = 0,    /* the param names nothing of the data */
	CP_NAMES_INDICATOR = 1,  /* an indicator name (each list item) */
	CP_NAMES_LABEL = 2,      /* a label key */
	CP_NAMES_CRITERION = 3   /* an assessment criterion */
} cp_names_t;

typedef enum cp_log_level {
	CP_LOG_ERROR = 0,
	CP_LOG_WARNING = 1,
	CP_LOG_INFO = 2,
	CP_LOG_DEBUG = 3
} cp_log_level_t;

/* Fields of a cluster addressed by cp_cluster_field(). */
typedef enum cp_field {
	CP_FIELD_ID = 0,
	CP_FIELD_NAME = 1,
	CP_FIELD_ECONOMY = 2,
	CP_FIELD_REGION = 3,
	CP_FIELD_INDUSTRY = 4
} cp_field_t;

/* Opaque: owned by the server. */
typedef struct cp_cohort cp_cohort_t;
typedef struct cp_params cp_params_t;

/* A view of one cluster: the cohort and the cluster's index in it, which is
 * also its slot in score()'s out[] and reasons[]. Passed by value; costs
 * nothing to make. */
typedef struct cp_cluster {
	const cp_cohort_t *cohort;
	size_t index;
} cp_cluster_t;

/* One expert's score of one criterion. Strings live as long as the cohort.
 * Grows at the end; the host fills only what the caller's size covers. */
typedef struct cp_assessment {
	const char *judge;
	const char *criterion;
	double score;
	int round;
	int recused;  /* conflict of interest: kept for the record, never count */
} cp_assessment_t;

/* A parameter the plugin accepts. Criterion params arrive as strings; the
 * server checks them against these specs (type, required, choices) before
 * init, and fills in defaults, so init only checks what specs cannot say. */
typedef struct cp_param_spec {
	const char *name;
	cp_param_type_t type;
	const char *default_value;   /* textual; NULL = no default */
	const char *description;
	int required;
	const char *const *choices;  /* CP_PARAM_ENUM: NULL-terminated */
	/* ABI 1.1; a 1.0 plugin's specs end before it and read as
	 * CP_NAMES_NOTHING. Values unknown to the server are ignored. */
	cp_names_t names;
} cp_param_spec_t;

typedef struct cp_host cp_host_t;

/* The host services table. Filled by the server; grows at the end only. */
struct cp_host {
	size_t struct_size;
	uint32_t abi_major, abi_minor;
	void *host_private;  /* the server's; plugins must not touch it */

	void (*log)(const cp_host_t *host, int level, const char *msg);
	void *(*alloc)(const cp_host_t *host, size_t size);
	void (*free)(const cp_host_t *host, void *ptr);
	/* Copies s into memory the server releases after it has read the
	 * results of the current score() call: use it for reasons[]. */
	const char *(*score_string)(const cp_host_t *host, const char *s);

	/* Parameters (already validated and defaulted). Getters return 1 when
	 * the value is set or defaulted, 0 when absent, -1 when it does not
	 * parse as the requested type. */
	const char *(*param_get)(const cp_params_t *params, const char *name);
	int (*param_number)(const cp_params_t *params, const char *name,
	                    double *out);
	int (*param_integer)(const cp_params_t *params, const char *name,
	                     long long *out);
	int (*param_boolean)(const cp_params_t *params, const char *name,
	                     int *out);
	size_t (*param_list_len)(const cp_params_t *params, const char *name);
	const char *(*param_list_at)(const cp_params_t *params,
	                             const char *name, size_t i);

	/* Cohort views. */
	size_t (*cohort_size)(const cp_cohort_t *cohort);
	const char *(*cluster_field)(cp_cluster_t c, int field);
	size_t (*cluster_city_count)(cp_cluster_t c);
	const char *(*cluster_city_at)(cp_cluster_t c, size_t i);
	/* 1 and *value when the cluster has that indicator in that year. */
	int (*indicator)(cp_cluster_t c, const char *name, int year,
	                 double *value);
	/* 1 with the value of the most recent year, 0 when none. */
	int (*indicator_latest)(cp_cluster_t c, const char *name, int *year,
	                        double *value);
	/* Writes up to max years (ascending) and returns how many there are. */
	size_t (*indicator_years)(cp_cluster_t c, const char *name, int *years,
	                          size_t max);
	size_t (*assessment_count)(cp_cluster_t c);
	int (*assessment_at)(cp_cluster_t c, size_t i, cp_assessment_t *out,
	                     size_t out_size);
	const char *(*label)(cp_cluster_t c, const char *key);
};

/* True when the host table has the service `field` (added in a later
 * minor version than the server's). */
#define CP_HOST_HAS(host, field)                                          \
	((host)->struct_size >= offsetof(cp_host_t, field) +                  \
	                            sizeof((host)->field))

/* The descriptor. Constant; lives as long as the plugin is loaded. */
typedef struct cp_plugin {
	uint32_t abi_major, abi_minor;
	size_t struct_size;      /* sizeof(cp_plugin_t) the plugin was built with */
	size_t param_spec_size;  /* sizeof(cp_param_spec_t), likewise */
	const char *name;        /* [a-z0-9_][a-z0-9_.-]{0,63}, unique */
	const char *version;
	cp_kind_t kind;
	const char *description;
	const cp_param_spec_t *params;  /* terminated by an entry with name NULL */

	/* Optional: once per load; a failure refuses the plugin. */
	int (*load)(const cp_host_t *host, char *err, size_t errlen);
	/* Optional: once before unload. */
	void (*unload)(void);
	/* Optional: builds the state of one instance from its params, which
	 * stay valid until fini returns (the state may point into them). On
	 * failure, free what was allocated; *state is ignored. */
	int (*init)(const cp_host_t *host, const cp_params_t *params,
	            void **state, char *err, size_t errlen);
	/* Required. out[i] for every cluster i of the cohort (pre-filled with
	 * NaN); reasons[i] optionally explains it (static strings or from
	 * cp_score_string; pre-filled with NULL). */
	int (*score)(const cp_host_t *host, void *state,
	             const cp_cohort_t *cohort, double *out,
	             const char **reasons, char *err, size_t errlen);
	/* Optional: frees the state made by init. */
	void (*fini)(const cp_host_t *host, void *state);

	void *spare[8];  /* for hooks added in later minor versions: keep NULL */
} cp_plugin_t;

/* The entry point. Name carries the ABI major version. */
typedef const cp_plugin_t *(*cp_plugin_entry_fn)(void);
#define CP_ENTRY_SYMBOL "cp_plugin_entry_v1"

/* Defines the entry function returning `desc` (a static cp_plugin_t whose
 * ABI and size fields CP_PLUGIN_INIT filled in). */
#define CP_PLUGIN_DEFINE(desc)                                             \
	CP_EXPORT const cp_plugin_t *cp_plugin_entry_v1(void);                 \
	CP_EXPORT const cp_plugin_t *cp_plugin_entry_v1(void)                  \
	{                                                                      \
		return &(desc);                                                    \
	}

/* Designated-initializer prefix for a descriptor:
 *   static const cp_plugin_t desc = { CP_PLUGIN_INIT, .name = "x", ... }; */
#define CP_PLUGIN_INIT                                                     \
	.abi_major = CP_ABI_MAJOR, .abi_minor = CP_ABI_MINOR,                  \
	.struct_size = sizeof(cp_plugin_t),                                    \
	.param_spec_size = sizeof(cp_param_spec_t)

/* ---- Helpers over the host table. ---- */

static inline void cp_log(const cp_host_t *h, int level, const char *msg)
{
	h->log(h, level, msg);
}

static inline void cp_logf(const cp_host_t *h, int level, const char *fmt,
                           ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;
static inline void cp_logf(const cp_host_t *h, int level, const char *fmt,
                           ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	h->log(h, level, buf);
}

static inline void *cp_alloc(const cp_host_t *h, size_t size)
{
	return h->alloc(h, size);
}

static inline void cp_free(const cp_host_t *h, void *ptr)
{
	h->free(h, ptr);
}

/* printf into memory owned by the server for the current score() call;
 * NULL when out of memory (a NULL reason is allowed). */
static inline const char *cp_score_string(const cp_host_t *h,
                                          const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
static inline const char *cp_score_string(const cp_host_t *h,
                                          const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return h->score_string(h, buf);
}

/* Writes a message to err and returns code: `return cp_fail(...)`. */
static inline int cp_fail(char *err, size_t errlen, int code,
                          const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 4, 5)))
#endif
	;
static inline int cp_fail(char *err, size_t errlen, int code,
                          const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

static inline const char *cp_param_get(const cp_host_t *h,
                                       const cp_params_t *p, const char *name)
{
	return h->param_get(p, name);
}

static inline int cp_param_number(const cp_host_t *h, const cp_params_t *p,
                                  const char *name, double *out)
{
	return h->param_number(p, name, out);
}

static inline int cp_param_int(const cp_host_t *h, const cp_params_t *p,
                               const char *name, long long *out)
{
	return h->param_integer(p, name, out);
}

static inline int cp_param_bool(const cp_host_t *h, const cp_params_t *p,
                                const char *name, int *out)
{
	return h->param_boolean(p, name, out);
}

static inline size_t cp_param_list_len(const cp_host_t *h,
                                       const cp_params_t *p, const char *name)
{
	return h->param_list_len(p, name);
}

static inline const char *cp_param_list_at(const cp_host_t *h,
                                           const cp_params_t *p,
                                           const char *name, size_t i)
{
	return h->param_list_at(p, name, i);
}

static inline size_t cp_cohort_size(const cp_host_t *h, const cp_cohort_t *c)
{
	return h->cohort_size(c);
}

static inline cp_cluster_t cp_cohort_at(const cp_host_t *h,
                                        const cp_cohort_t *c, size_t i)
{
	cp_cluster_t v;
	(void)h;
	v.cohort = c;
	v.index = i;
	return v;
}

static inline const char *cp_cluster_id(const cp_host_t *h, cp_cluster_t c)
{
	return h->cluster_field(c, CP_FIELD_ID);
}

static inline const char *cp_cluster_name(const cp_host_t *h, cp_cluster_t c)
{
	return h->cluster_field(c, CP_FIELD_NAME);
}

static inline const char *cp_cluster_economy(const cp_host_t *h,
                                             cp_cluster_t c)
{
	return h->cluster_field(c, CP_FIELD_ECONOMY);
}

static inline const char *cp_cluster_region(const cp_host_t *h,
                                            cp_cluster_t c)
{
	return h->cluster_field(c, CP_FIELD_REGION);
}

static inline const char *cp_cluster_industry(const cp_host_t *h,
                                              cp_cluster_t c)
{
	return h->cluster_field(c, CP_FIELD_INDUSTRY);
}

static inline size_t cp_cluster_city_count(const cp_host_t *h,
                                           cp_cluster_t c)
{
	return h->cluster_city_count(c);
}

static inline const char *cp_cluster_city(const cp_host_t *h, cp_cluster_t c,
                                          size_t i)
{
	return h->cluster_city_at(c, i);
}

static inline int cp_indicator(const cp_host_t *h, cp_cluster_t c,
                               const char *name, int year, double *value)
{
	return h->indicator(c, name, year, value);
}

static inline int cp_indicator_latest(const cp_host_t *h, cp_cluster_t c,
                                      const char *name, int *year,
                                      double *value)
{
	return h->indicator_latest(c, name, year, value);
}

static inline size_t cp_indicator_years(const cp_host_t *h, cp_cluster_t c,
                                        const char *name, int *years,
                                        size_t max)
{
	return h->indicator_years(c, name, years, max);
}

static inline size_t cp_assessment_count(const cp_host_t *h, cp_cluster_t c)
{
	return h->assessment_count(c);
}

static inline int cp_assessment_at(const cp_host_t *h, cp_cluster_t c,
                                   size_t i, cp_assessment_t *out)
{
	return h->assessment_at(c, i, out, sizeof(*out));
}

static inline const char *cp_label(const cp_host_t *h, cp_cluster_t c,
                                   const char *key)
{
	return h->label(c, key);
}

#ifdef __cplusplus
}
#endif

#endif
