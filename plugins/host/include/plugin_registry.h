/*
 * plugin_registry — finds, checks and loads the scoring plugins.
 *
 * The registry scans one configured directory for files named *.so (never
 * anything else, never another directory). The directory and each file
 * must be owned by root or the server's user and writable by nobody else
 * (opts.insecure_dir overrides, with a warning). Each file is then loaded
 * in a sandboxed worker process first (a probe, plugin_proc_internal.h);
 * with PLUGIN_ISOLATION_NONE an accepted file is then dlopened
 * (RTLD_NOW | RTLD_LOCAL) in the server too. A file is refused, with a log
 * line naming it and the reason, when it is a symbolic link or not a
 * regular file, is not an ELF shared object, fails to load, crashes or
 * breaks the sandbox while loading, lacks the
 * entry function cp_plugin_entry_v2 (a plugin built for another ABI major
 * exports another name; the reason says which and to rebuild it), returns a bad descriptor (ABI major, sizes, name,
 * kind, score hook, param specs), repeats a name loaded from an earlier
 * file (files are taken in name order), or fails its load hook or an init
 * probe (init + fini with default params, when every required param has a
 * default).
 *
 * Every scan builds a new *generation*: an immutable set of loaded plugins
 * plus the refusals. Users take a counted reference to the current
 * generation (plugin_registry_acquire) and keep it for as long as they use
 * its plugins; a reload publishes a new generation and the old one is
 * unloaded when its last reference goes. So nothing is unloaded under a
 * running evaluation, and a run sees the same plugins from start to end.
 *
 * Thread-safety: every function may be called from any thread. Reloads are
 * serialised; acquiring never waits for a reload in progress. The log
 * callback may be called from any thread (including the one releasing the
 * last reference of a generation) and must outlive every generation.
 */
#ifndef PLUGIN_REGISTRY_H
#define PLUGIN_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "plugin_params.h"

/* level is a CP_LOG_* value. */
typedef void (*plugin_log_fn)(void *ctx, int level, const char *msg);

typedef struct plugin_registry plugin_registry_t;
typedef struct plugin_generation plugin_generation_t;

/* What ListPlugins shows. Owned by the generation. */
typedef struct plugin_info {
	char *name;
	char *version;
	char *description;
	char *path;
	int kind;               /* CP_QUANTITATIVE or CP_QUALITATIVE */
	const char *kind_name;  /* "quantitative" / "qualitative" */
	uint32_t abi_major, abi_minor;
	plugin_param_info_t *params;
	size_t nparams;
} plugin_info_t;

/* A file that was not loaded, and why. Owned by the generation. */
typedef struct plugin_refusal {
	char *path;
	char *reason;
} plugin_refusal_t;

/* How one scoring call (one instance's score, init and fini included in
 * a worker) ended, for plugin_registry_opts.observe. */
typedef enum plugin_call_outcome {
	PLUGIN_CALL_OK = 0,
	PLUGIN_CALL_ERROR,      /* the plugin reported a failure (or the call
	                         * could not be made) */
	PLUGIN_CALL_CRASH,      /* its worker died or broke the protocol */
	PLUGIN_CALL_TIMEOUT,    /* over its time limit: the worker was killed */
	PLUGIN_CALL_LIMIT,      /* stopped by the sandbox (a forbidden system
	                         * call) or a resource limit (killed by SIGKILL,
	                         * SIGXCPU, SIGXFSZ; an answer over the size
	                         * limit) */
	PLUGIN_CALL_CANCELLED,  /* its run was stopped, or the registry */
} plugin_call_outcome_t;

/* Told of every scoring call as it ends: the plugin's name (valid during
 * the call), a plugin_call_outcome_t, and how long it took. Called from
 * the scoring thread; must be quick and thread-safe. */
typedef void (*plugin_observe_fn)(void *ctx, const char *plugin,
                                  int outcome, double seconds);

/* Where plugin code runs (docs/plugin-isolation.md). */
typedef enum plugin_isolation {
	PLUGIN_ISOLATION_NONE = 0,     /* in the server (trusted plugins) */
	PLUGIN_ISOLATION_PROCESS = 1   /* in sandboxed worker processes (the
	                                  server's default, cfg.c) */
} plugin_isolation_t;

typedef struct plugin_registry_opts {
	const char *dir;     /* the plugin directory */
	plugin_log_fn log;   /* NULL = stderr */
	void *log_ctx;
	int isolation;       /* plugin_isolation_t */
	/* The worker executable (clusterd-plugin-host). Required for
	 * PLUGIN_ISOLATION_PROCESS; with NONE, when set, every file is still
	 * probed in a worker before the server dlopens it, so a refused file
	 * never runs code in the server. NULL with NONE: load directly (unit
	 * tests of the loader). */
	const char *host_path;
	uint64_t memory_bytes;   /* a worker's address space; 0 = no limit */
	unsigned probe_ms;       /* time limit of loading a file; 0 = 10 s */
	/* Accept a directory or files that others than their owner may
	 * write, or owned by someone other than root or this user. */
	int insecure_dir;
	plugin_observe_fn observe;   /* NULL = none */
	void *observe_ctx;
} plugin_registry_opts_t;

/* Creates the registry and loads the first generation. Fails only when the
 * directory cannot be read (CD_EIO) or memory runs out; refused plugins are
 * logged and listed, not fatal. */
int plugin_registry_create(plugin_registry_t **out,
                           const plugin_registry_opts_t *opts, char *err,
                           size_t errlen);
/* Drops the registry's reference to the current generation. Generations
 * still referenced stay loaded until released. NULL is a no-op. */
void plugin_registry_destroy(plugin_registry_t *reg);

/* Stops every plugin call in progress and refuses new ones (CD_EUNAVAIL):
 * workers are killed at once, so a shutdown need not wait for a hung
 * plugin. Irreversible; for the server's shutdown. */
void plugin_registry_stop(plugin_registry_t *reg);

/* Scans the directory again and publishes the result as the current
 * generation. On CD_EIO the current generation stays. */
int plugin_registry_reload(plugin_registry_t *reg, char *err, size_t errlen);

/* A counted reference to the current generation; never NULL. */
plugin_generation_t *plugin_registry_acquire(plugin_registry_t *reg);
/* Another reference to gen (e.g. for an instance). */
plugin_generation_t *plugin_generation_ref(plugin_generation_t *gen);
/* Drops a reference; the last one unloads the generation's plugins. NULL
 * is a no-op. */
void plugin_generation_release(plugin_generation_t *gen);

/* 1 for the first scan, then +1 per reload. */
uint64_t plugin_generation_number(const plugin_generation_t *gen);
/* Loaded plugins, sorted by name. Borrowed while the reference is held. */
size_t plugin_generation_count(const plugin_generation_t *gen);
const plugin_info_t *plugin_generation_info(const plugin_generation_t *gen,
                                            size_t i);
const plugin_info_t *plugin_generation_find(const plugin_generation_t *gen,
                                            const char *name);
/* Refused files, in the order they were scanned. */
size_t plugin_generation_refused_count(const plugin_generation_t *gen);
const plugin_refusal_t *
plugin_generation_refused(const plugin_generation_t *gen, size_t i);

#endif
