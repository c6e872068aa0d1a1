/*
 * clusterplugin.h — the SDK for clusterd scoring plugins, ABI 2.1.
 *
 * A plugin is a shared object in the server's plugin directory that exports
 * exactly one function, cp_plugin_entry_v2(), returning a constant
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
 *    is a new function, so a server never runs a plugin built for another
 *    major (it refuses it and says which ABI the plugin was built for).
 *  - Within a major there is one extension mechanism: size fields. Each
 *    struct that can grow has its size said by its writer:
 *    cp_plugin_t.struct_size and .param_spec_size (the stride of params[])
 *    by the plugin, cp_host_t.struct_size by the server, and the out_size
 *    of assessment_at by the plugin. Fields are only appended, never
 *    removed, reordered or retyped; a reader uses a field only when the
 *    writer's size covers it (CP_HOST_HAS, CP_PLUGIN_HAS) and takes it as
 *    0/NULL otherwise. Why sizes and not reserved slots: one rule for every
 *    struct, "not known to the other side" is always distinguishable from
 *    "NULL", and there is no fixed budget of spare slots to run out of.
 *    A field added later starts at or after the previous minor's sizeof
 *    (pad explicitly if needed), so a size never covers a field its writer
 *    did not know.
 *  - ABI structs use fixed-width integers, size_t, double and pointers
 *    only; enums name values but are never field types, since the size of
 *    an enum is up to the compiler (-fshort-enums). Function parameters
 *    typed int (log level, field, year) are C ints, fixed by the platform's
 *    C ABI (32 bits on every platform clusterd supports).
 *  - 2.1 appended one host service, run_note (cp_run_note): a 2.0 plugin
 *    runs unchanged, and a 2.1 plugin on a 2.0 server finds
 *    CP_HOST_HAS(host, run_note) false.
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
 * Lifetimes: strings and views the host returns are the server's; never
 * free or modify them. Cohort strings live as long as the cohort, i.e.
 * until score() returns; param strings until fini returns; score strings
 * until the server has read the results of the current score() call.
 *
 * Errors: hooks return CP_OK or a CP_E* code (cp_code_name names it) and
 * write a message into the caller's buffer (err, errlen; errlen is at least
 * CP_ERRLEN_MIN and the message is cut to fit). The server never frees
 * memory the plugin owns; the plugin frees what it allocated through
 * cp_alloc with cp_free.
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

#define CP_ABI_MAJOR 2
#define CP_ABI_MINOR 1

#if defined(__GNUC__)
#define CP_EXPORT __attribute__((visibility("default")))
#else
#define CP_EXPORT
#endif

/* Truncation limits. cp_logf and cp_score_string format into a buffer of
 * CP_FORMAT_MAX bytes: longer output is cut to CP_FORMAT_MAX - 1 (511)
 * bytes. The host keeps at most CP_LOG_MAX - 1 (1023) bytes of a log
 * message, cut at a UTF-8 character boundary. The err buffer the host
 * passes to load, init and score has errlen >= CP_ERRLEN_MIN (255) bytes,
 * the terminating NUL included. */
#define CP_FORMAT_MAX 512
#define CP_LOG_MAX 1024
#define CP_ERRLEN_MIN 255

/* Run notes (2.1, cp_run_note): the host keeps at most CP_NOTE_MAX - 1
 * (1023) bytes of a note's value, cut at a UTF-8 character boundary, and
 * at most CP_NOTES_MAX notes of one score() call. */
#define CP_NOTE_MAX 1024
#define CP_NOTES_MAX 16

/* Return codes of plugin hooks and host services. */
enum cp_code {
	CP_OK = 0,
	CP_EPARAM = 1,  /* a parameter is invalid; the message names it */
	CP_EDATA = 2,   /* the cohort's data cannot be scored (e.g. unknown level) */
	CP_ENOMEM = 3,
	CP_EFAIL = 4    /* anything else */
};

/* Values of cp_plugin_t.kind. */
enum cp_kind {
	CP_QUANTITATIVE = 1,  /* scores measured indicators */
	CP_QUALITATIVE = 2    /* scores expert judgement or categories */
};

/* Values of cp_param_spec_t.type. */
enum cp_param_type {
	CP_PARAM_STRING = 1,
	CP_PARAM_NUMBER = 2,   /* finite double */
	CP_PARAM_INTEGER = 3,  /* decimal, fits in long long */
	CP_PARAM_BOOLEAN = 4,  /* true/false, yes/no, 1/0, on/off */
	CP_PARAM_ENUM = 5,     /* one of choices */
	CP_PARAM_LIST = 6      /* comma-separated items, blanks trimmed */
};

/* Values of cp_param_spec_t.names: what a string or list param names in
 * the cohort's data. The server refuses a run whose criterion gives such a
 * param a name that no cluster of the cohort has (a typo), suggesting the
 * closest existing name; defaults are not checked. */
enum cp_names {
	CP_NAMES_NOTHING = 0,    /* the param names nothing of the data */
	CP_NAMES_INDICATOR = 1,  /* an indicator name (each list item) */
	CP_NAMES_LABEL = 2,      /* a label key */
	CP_NAMES_CRITERION = 3   /* an assessment criterion */
};

/* The level argument of cp_log(); other values are clamped into range. */
enum cp_log_level {
	CP_LOG_ERROR = 0,
	CP_LOG_WARNING = 1,
	CP_LOG_INFO = 2,
	CP_LOG_DEBUG = 3
};

/* The field argument of cluster_field(). */
enum cp_field {
	CP_FIELD_ID = 0,
	CP_FIELD_NAME = 1,
	CP_FIELD_ECONOMY = 2,
	CP_FIELD_REGION = 3,
	CP_FIELD_INDUSTRY = 4
};

/* "CP_OK", "CP_EPARAM", ... for a return code; "CP_E?" for a code this
 * header does not know. A static string. */
static inline const char *cp_code_name(int code)
{
	switch (code) {
	case CP_OK: return "CP_OK";
	case CP_EPARAM: return "CP_EPARAM";
	case CP_EDATA: return "CP_EDATA";
	case CP_ENOMEM: return "CP_ENOMEM";
	case CP_EFAIL: return "CP_EFAIL";
	default: return "CP_E?";
	}
}

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
 * Grows at the end; the host fills only what the caller's out_size covers. */
typedef struct cp_assessment {
	const char *judge;
	const char *criterion;
	double score;
	int32_t round;
	uint32_t recused;  /* 1: conflict of interest; kept for the record,
	                      never counted */
} cp_assessment_t;

/* A parameter the plugin accepts. Criterion params arrive as strings; the
 * server checks them against these specs (type, required, choices) before
 * init, and fills in defaults, so init only checks what specs cannot say.
 * The server copies the specs at load; they need to live only as long as
 * the descriptor. */
typedef struct cp_param_spec {
	const char *name;
	uint32_t type;               /* CP_PARAM_* */
	const char *default_value;   /* textual; NULL = no default */
	const char *description;
	uint32_t required;           /* 0 or 1 */
	const char *const *choices;  /* CP_PARAM_ENUM: NULL-terminated */
	uint32_t names;  /* CP_NAMES_*; a value unknown to the server, or on a
	                    param that is not a string or list, names nothing */
} cp_param_spec_t;

typedef struct cp_host cp_host_t;

/* The host services table. Filled by the server; grows at the end only
 * (check CP_HOST_HAS before using a service added after 2.0: run_note).
 * The table itself is valid for the duration of the hook it is passed to.
 * Absent values: accessors returning a pointer return NULL when the thing
 * is absent unless said otherwise; none returns a pointer the plugin
 * owns. */
struct cp_host {
	size_t struct_size;  /* sizeof(cp_host_t) the server was built with */
	uint32_t abi_major, abi_minor;
	void *host_private;  /* the server's; plugins must not touch it */

	/* level: CP_LOG_*. msg may be NULL (logged as "(null)"); the host
	 * keeps at most CP_LOG_MAX - 1 bytes of it. */
	void (*log)(const cp_host_t *host, int level, const char *msg);
	/* malloc-like: NULL when out of memory; size 0 gives a unique
	 * pointer. Lives until free, across hooks and instances. */
	void *(*alloc)(const cp_host_t *host, size_t size);
	/* Frees what alloc returned; NULL is a no-op. */
	void (*free)(const cp_host_t *host, void *ptr);
	/* Copies s into memory the server releases after it has read the
	 * results of the current score() call: use it for reasons[]. NULL
	 * when s is NULL or memory is out. */
	const char *(*score_string)(const cp_host_t *host, const char *s);

	/* Parameters (already validated and defaulted). Strings live until
	 * fini returns. param_get: the textual value, NULL when the param is
	 * absent (not given, no default). The number getters return 1 when
	 * the value is set or defaulted, 0 when absent, -1 when it does not
	 * parse as the requested type; *out is written only on 1. */
	const char *(*param_get)(const cp_params_t *params, const char *name);
	int (*param_number)(const cp_params_t *params, const char *name,
	                    double *out);
	int (*param_integer)(const cp_params_t *params, const char *name,
	                     long long *out);
	int (*param_boolean)(const cp_params_t *params, const char *name,
	                     int *out);
	/* Items of a CP_PARAM_LIST param: 0 items and NULL for an absent
	 * param, a param of another type, or i out of range. */
	size_t (*param_list_len)(const cp_params_t *params, const char *name);
	const char *(*param_list_at)(const cp_params_t *params,
	                             const char *name, size_t i);

	/* Cohort views. Strings live as long as the cohort, i.e. until score()
	 * returns. A cluster index out of range reads as an absent cluster. */
	size_t (*cohort_size)(const cp_cohort_t *cohort);
	/* field: CP_FIELD_*. "" when the cluster has no such text (e.g. no
	 * region); NULL for an unknown field or index. */
	const char *(*cluster_field)(cp_cluster_t c, int field);
	size_t (*cluster_city_count)(cp_cluster_t c);
	/* NULL when i >= the city count. */
	const char *(*cluster_city_at)(cp_cluster_t c, size_t i);
	/* 1 and *value (when value is not NULL) when the cluster has that
	 * indicator in that year, 0 otherwise. */
	int (*indicator)(cp_cluster_t c, const char *name, int year,
	                 double *value);
	/* 1 with the value (and year) of the most recent year, 0 when none;
	 * year and value may be NULL. */
	int (*indicator_latest)(cp_cluster_t c, const char *name, int *year,
	                        double *value);
	/* Writes up to max years (ascending) and returns how many there are. */
	size_t (*indicator_years)(cp_cluster_t c, const char *name, int *years,
	                          size_t max);
	size_t (*assessment_count)(cp_cluster_t c);
	/* 1 and the first out_size bytes of the assessment in *out (bytes
	 * past the fields the server knows read as 0); 0 when i >= the
	 * count. */
	int (*assessment_at)(cp_cluster_t c, size_t i, cp_assessment_t *out,
	                     size_t out_size);
	/* The label's value; NULL when the cluster has no label key. */
	const char *(*label)(cp_cluster_t c, const char *key);

	/* ---- Added in 2.1: check CP_HOST_HAS(host, run_note). ---- */

	/* Records a note in the run about this score() call as a whole:
	 * what a reader of the run needs to know of how the scores came
	 * about that no single cluster's reason says, e.g. the weights a
	 * method derived from the cohort. The run keeps it with the
	 * criterion's statistics of the round (CriterionStats.plugin_notes).
	 * Only during score(); a note is kept only when score() returns
	 * CP_OK. key: [a-z0-9_][a-z0-9_.-]{0,63}; recording a key again
	 * replaces its value. value: UTF-8 text without control characters;
	 * the host keeps CP_NOTE_MAX - 1 bytes of it (cut at a character
	 * boundary). Both are copied. Returns CP_OK; CP_EPARAM for a bad
	 * key or value (nothing is recorded); CP_EFAIL outside score() or
	 * past CP_NOTES_MAX keys; CP_ENOMEM. */
	int (*run_note)(const cp_host_t *host, const char *key,
	                const char *value);
};

/* True when the host table has the service `field` (a server of an older
 * minor than the plugin's does not). */
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
	uint32_t kind;           /* CP_QUANTITATIVE or CP_QUALITATIVE */
	const char *description;
	const cp_param_spec_t *params;  /* terminated by an entry with name NULL */

	/* Optional: once per load; a failure refuses the plugin. */
	int (*load)(const cp_host_t *host, char *err, size_t errlen);
	/* Optional: once before the plugin is unloaded; host is valid for the
	 * call (log, free what load allocated). */
	void (*unload)(const cp_host_t *host);
	/* Optional: builds the state of one instance from its params, which
	 * stay valid until fini returns (the state may point into them). On
	 * failure, free what was allocated; *state is ignored. */
	int (*init)(const cp_host_t *host, const cp_params_t *params,
	            void **state, char *err, size_t errlen);
	/* Required. out[i] for every cluster i of the cohort (pre-filled with
	 * NaN); reasons[i] optionally explains it (static strings or from
	 * cp_score_string; pre-filled with NULL). n is the length of out[] and
	 * reasons[], the cohort's size; score is not called for an empty
	 * cohort. */
	int (*score)(const cp_host_t *host, void *state,
	             const cp_cohort_t *cohort, double *out,
	             const char **reasons, size_t n, char *err, size_t errlen);
	/* Optional: frees the state made by init. */
	void (*fini)(const cp_host_t *host, void *state);
	/* Hooks added in later minors go here, after fini. */
} cp_plugin_t;

/* True when the descriptor has the hook or field `field` (a plugin built
 * for an older minor than the server's does not). */
#define CP_PLUGIN_HAS(desc, field)                                        \
	((desc)->struct_size >= offsetof(cp_plugin_t, field) +                \
	                            sizeof((desc)->field))

/* The entry point. Name carries the ABI major version. */
typedef const cp_plugin_t *(*cp_plugin_entry_fn)(void);
#define CP_ENTRY_SYMBOL "cp_plugin_entry_v2"

/* Defines the entry function returning `desc` (a static cp_plugin_t whose
 * ABI and size fields CP_PLUGIN_INIT filled in). */
#define CP_PLUGIN_DEFINE(desc)                                             \
	CP_EXPORT const cp_plugin_t *cp_plugin_entry_v2(void);                 \
	CP_EXPORT const cp_plugin_t *cp_plugin_entry_v2(void)                  \
	{                                                                      \
		return &(desc);                                                    \
	}

/* Designated-initializer prefix for a descriptor:
 *   static const cp_plugin_t desc = { CP_PLUGIN_INIT, .name = "x", ... }; */
#define CP_PLUGIN_INIT                                                     \
	.abi_major = CP_ABI_MAJOR, .abi_minor = CP_ABI_MINOR,                  \
	.struct_size = sizeof(cp_plugin_t),                                    \
	.param_spec_size = sizeof(cp_param_spec_t)

/* ---- Helpers over the host table. Absent values and lifetimes are those
 * of the service each one wraps (see cp_host_t). ---- */

/* level: CP_LOG_*; see CP_LOG_MAX. */
static inline void cp_log(const cp_host_t *h, int level, const char *msg)
{
	h->log(h, level, msg);
}

/* printf to the log; output past CP_FORMAT_MAX - 1 bytes is cut. */
static inline void cp_logf(const cp_host_t *h, int level, const char *fmt,
                           ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;
static inline void cp_logf(const cp_host_t *h, int level, const char *fmt,
                           ...)
{
	char buf[CP_FORMAT_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	h->log(h, level, buf);
}

/* NULL when out of memory; free with cp_free. */
static inline void *cp_alloc(const cp_host_t *h, size_t size)
{
	return h->alloc(h, size);
}

/* Frees what cp_alloc returned; NULL is a no-op. */
static inline void cp_free(const cp_host_t *h, void *ptr)
{
	h->free(h, ptr);
}

/* printf into memory owned by the server until it has read the results of
 * the current score() call; output past CP_FORMAT_MAX - 1 bytes is cut.
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
	char buf[CP_FORMAT_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return h->score_string(h, buf);
}

/* printf a run note (see cp_host_t.run_note); output past CP_NOTE_MAX - 1
 * bytes is cut at a UTF-8 character boundary. CP_EFAIL when the server is
 * older than 2.1 (no run_note: nothing is recorded). */
static inline int cp_run_note(const cp_host_t *h, const char *key,
                              const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;
static inline int cp_run_note(const cp_host_t *h, const char *key,
                              const char *fmt, ...)
{
	/* One byte more than the host keeps: an overlong value reaches the
	 * host long enough for it to cut at a character boundary, instead of
	 * ending in a sequence vsnprintf split (which it would refuse). */
	char buf[CP_NOTE_MAX + 1];
	va_list ap;
	if (!CP_HOST_HAS(h, run_note) || !h->run_note)
		return CP_EFAIL;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return h->run_note(h, key, buf);
}

/* Writes a message to err (cut to errlen - 1 bytes) and returns code:
 * `return cp_fail(...)`. */
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

/* NULL when absent; lives until fini returns. */
static inline const char *cp_param_get(const cp_host_t *h,
                                       const cp_params_t *p, const char *name)
{
	return h->param_get(p, name);
}

/* 1 set, 0 absent, -1 not a number; *out written only on 1. */
static inline int cp_param_number(const cp_host_t *h, const cp_params_t *p,
                                  const char *name, double *out)
{
	return h->param_number(p, name, out);
}

/* 1 set, 0 absent, -1 not an integer; *out written only on 1. */
static inline int cp_param_int(const cp_host_t *h, const cp_params_t *p,
                               const char *name, long long *out)
{
	return h->param_integer(p, name, out);
}

/* 1 set, 0 absent, -1 not a boolean; *out written only on 1. */
static inline int cp_param_bool(const cp_host_t *h, const cp_params_t *p,
                                const char *name, int *out)
{
	return h->param_boolean(p, name, out);
}

/* 0 when absent or not a list. */
static inline size_t cp_param_list_len(const cp_host_t *h,
                                       const cp_params_t *p, const char *name)
{
	return h->param_list_len(p, name);
}

/* NULL when absent, not a list or i out of range; lives until fini
 * returns. */
static inline const char *cp_param_list_at(const cp_host_t *h,
                                           const cp_params_t *p,
                                           const char *name, size_t i)
{
	return h->param_list_at(p, name, i);
}

/* The n of score(); 0 for a NULL cohort. */
static inline size_t cp_cohort_size(const cp_host_t *h, const cp_cohort_t *c)
{
	return h->cohort_size(c);
}

/* Makes the view of cluster i; no host call, no check of i. */
static inline cp_cluster_t cp_cohort_at(const cp_host_t *h,
                                        const cp_cohort_t *c, size_t i)
{
	cp_cluster_t v;
	(void)h;
	v.cohort = c;
	v.index = i;
	return v;
}

/* The text fields: "" when the cluster has none (the id never is empty),
 * NULL only for an index out of range. They live until score() returns. */
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

/* 0 when the cluster has no cities. */
static inline size_t cp_cluster_city_count(const cp_host_t *h,
                                           cp_cluster_t c)
{
	return h->cluster_city_count(c);
}

/* NULL when i >= cp_cluster_city_count; lives until score() returns. */
static inline const char *cp_cluster_city(const cp_host_t *h, cp_cluster_t c,
                                          size_t i)
{
	return h->cluster_city_at(c, i);
}

/* 1 and *value (value may be NULL) when present, 0 when absent. */
static inline int cp_indicator(const cp_host_t *h, cp_cluster_t c,
                               const char *name, int year, double *value)
{
	return h->indicator(c, name, year, value);
}

/* 1 and the latest year's *year and *value (either may be NULL), 0 when
 * the cluster has no value of the indicator. */
static inline int cp_indicator_latest(const cp_host_t *h, cp_cluster_t c,
                                      const char *name, int *year,
                                      double *value)
{
	return h->indicator_latest(c, name, year, value);
}

/* How many years there are (0 when absent); writes up to max of them. */
static inline size_t cp_indicator_years(const cp_host_t *h, cp_cluster_t c,
                                        const char *name, int *years,
                                        size_t max)
{
	return h->indicator_years(c, name, years, max);
}

/* 0 when the cluster has no assessments. */
static inline size_t cp_assessment_count(const cp_host_t *h, cp_cluster_t c)
{
	return h->assessment_count(c);
}

/* 1 and *out when i < cp_assessment_count, 0 otherwise. out's strings live
 * until score() returns. */
static inline int cp_assessment_at(const cp_host_t *h, cp_cluster_t c,
                                   size_t i, cp_assessment_t *out)
{
	return h->assessment_at(c, i, out, sizeof(*out));
}

/* NULL when the cluster has no label `key`; lives until score() returns. */
static inline const char *cp_label(const cp_host_t *h, cp_cluster_t c,
                                   const char *key)
{
	return h->label(c, key);
}

#ifdef __cplusplus
}
#endif

#endif
