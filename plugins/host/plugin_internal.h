/*
 * plugin_internal — structures shared by the registry, loader, host
 * services and instances. Not for use outside plugins/host/.
 *
 * Thread-safety: as documented in plugin_registry.h and plugin_instance.h.
 */
#ifndef PLUGIN_INTERNAL_H
#define PLUGIN_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "clusterplugin.h"
#include "plugin_instance.h"
#include "plugin_registry.h"

/* Memory handed out by cp_score_string: freed in one go when the host has
 * read the results of a score() call. */
typedef struct plugin_scratch_block {
	struct plugin_scratch_block *next;
	size_t used, cap;
	char data[];
} plugin_scratch_block_t;

/* What host services need to know about their caller. */
typedef struct plugin_host_ctx {
	plugin_log_fn log;
	void *log_ctx;
	const char *plugin_name;
	plugin_scratch_block_t *scratch;
	int scoring;             /* in score(): run_note is allowed */
	plugin_note_t notes[CP_NOTES_MAX];   /* malloc'd strings */
	size_t nnotes;
} plugin_host_ctx_t;

typedef struct plugin_loaded {
	void *handle;
	const cp_plugin_t *desc;
	plugin_info_t info;
} plugin_loaded_t;

struct plugin_pool;

struct plugin_generation {
	atomic_size_t refs;
	/* Process isolation: the workers that run this generation's plugins
	 * (whose plugin_loaded_t then have no handle or descriptor); NULL
	 * when plugins run in the server. */
	struct plugin_pool *pool;
	uint64_t number;
	plugin_loaded_t *p;
	size_t n, cap;
	plugin_refusal_t *r;
	size_t nr, capr;
	plugin_log_fn log;
	void *log_ctx;
	plugin_observe_fn observe;   /* NULL = none */
	void *observe_ctx;
};

/* Fills h with every host service; h->host_private = ctx. */
void plugin_host_setup(cp_host_t *h, plugin_host_ctx_t *ctx);
/* Frees every cp_score_string of ctx. */
void plugin_host_scratch_reset(plugin_host_ctx_t *ctx);
/* Records a run note in ctx as the run_note service does, without the
 * check that a score() call is in progress (the server records with it
 * what a worker reports). CP_OK; CP_EPARAM: key not
 * [a-z0-9_][a-z0-9_.-]{0,63}, or value NULL, not UTF-8 or holding a
 * control character (in its first CP_NOTE_MAX - 1 bytes, which are all
 * that is kept); CP_EFAIL: CP_NOTES_MAX keys already; CP_ENOMEM. */
int plugin_host_note(plugin_host_ctx_t *ctx, const char *key,
                     const char *value);
/* Forgets every note of ctx. */
void plugin_host_notes_reset(plugin_host_ctx_t *ctx);
/* Logs through the generation's callback (stderr when none). */
void plugin_host_logf(plugin_log_fn log, void *log_ctx, int level,
                      const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Loads dir/fname into gen, or returns non-zero with the reason (which
 * names neither the file nor the plugin: the caller adds those). */
int plugin_load_file(plugin_generation_t *gen, const char *path,
                     char *reason, size_t rlen);
/* Opens a plugin file for plugin_load_fd without following a link. */
int plugin_open_file(const char *path, int *fd, char *reason, size_t rlen);
/* As plugin_load_file for a file already open as fd (which the caller
 * keeps): checks fd, then dlopens dl_path (path itself, or
 * /proc/self/fd/N in a worker that opened the file before dropping its
 * rights); path is what messages and ListPlugins show. */
int plugin_load_fd(plugin_generation_t *gen, int fd, const char *path,
                   const char *dl_path, char *reason, size_t rlen);
/* Unloads one loaded plugin (unload hook when last user, dlclose). */
void plugin_unload(plugin_generation_t *gen, plugin_loaded_t *pl);
void plugin_info_free(plugin_info_t *info);
/* [a-z0-9_][a-z0-9_.-]{0,63}: names end up in logs, runs and CLI output. */
int plugin_valid_name(const char *s);

/* A loaded plugin's info as a worker reports it (PW_W_DESC), and back.
 * Decoding checks everything a descriptor check would (the worker may be
 * hostile): names, kinds, types, sizes; CD_EPLUGIN with the reason. */
struct pw_buf;
struct pw_rd;
void plugin_info_encode(struct pw_buf *b, const plugin_info_t *info);
int plugin_info_decode(struct pw_rd *r, plugin_info_t *info, char *reason,
                       size_t rlen);

#endif
