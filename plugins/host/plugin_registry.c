#include "plugin_registry.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cd_error.h"
#include "cd_intern.h"
#include "plugin_internal.h"
#include "plugin_proc_internal.h"

#define PROBE_MS_DEFAULT 10000

struct plugin_registry {
	char *dir;
	plugin_log_fn log;
	void *log_ctx;
	plugin_observe_fn observe;
	void *observe_ctx;
	int isolation;
	int insecure;
	plugin_proc_cfg_t proc;      /* host_path NULL: no workers */
	pthread_mutex_t lock;        /* guards current */
	pthread_mutex_t reload_lock; /* one scan at a time */
	plugin_generation_t *current;
	uint64_t next_number;
};

static void generation_free(plugin_generation_t *g)
{
	plugin_pool_destroy(g->pool);
	for (size_t i = 0; i < g->n; i++)
		plugin_unload(g, &g->p[i]);
	for (size_t i = 0; i < g->nr; i++) {
		free(g->r[i].path);
		free(g->r[i].reason);
	}
	free(g->p);
	free(g->r);
	free(g);
}

static int has_so_suffix(const char *name)
{
	size_t n = strlen(name);
	return n > 3 && strcmp(name + n - 3, ".so") == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_loaded(const void *a, const void *b)
{
	return strcmp(((const plugin_loaded_t *)a)->info.name,
	              ((const plugin_loaded_t *)b)->info.name);
}

/* The *.so names in dir, sorted, so duplicate names resolve the same way
 * on every scan. */
static int list_dir(const char *dir, char ***names, size_t *n, char *err,
                    size_t errlen)
{
	*names = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return cd_fail(err, errlen, CD_EIO, "plugin directory %s: %s", dir,
		               strerror(errno));
	size_t cap = 0;
	struct dirent *e;
	int rc = CD_OK;
	while ((e = readdir(d))) {
		if (!has_so_suffix(e->d_name))
			continue;
		if (cd_grow((void **)names, &cap, *n + 1, sizeof(**names)) ||
		    !((*names)[*n] = strdup(e->d_name))) {
			rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
			break;
		}
		(*n)++;
	}
	closedir(d);
	if (rc) {
		for (size_t i = 0; i < *n; i++)
			free((*names)[i]);
		free(*names);
		*names = NULL;
		*n = 0;
		return rc;
	}
	if (*n)
		qsort(*names, *n, sizeof(**names), cmp_str);
	return CD_OK;
}

static int add_refusal(plugin_generation_t *g, const char *path,
                       const char *reason)
{
	if (cd_grow((void **)&g->r, &g->capr, g->nr + 1, sizeof(*g->r)))
		return CD_ENOMEM;
	plugin_refusal_t *r = &g->r[g->nr];
	r->path = strdup(path);
	r->reason = strdup(reason);
	if (!r->path || !r->reason) {
		free(r->path);
		free(r->reason);
		return CD_ENOMEM;
	}
	g->nr++;
	return CD_OK;
}

/* Owned by root or by this server's user, and writable by no one else:
 * whoever can write a plugin runs code with the server's data. */
static int check_owner(const struct stat *st, const char *what, char *reason,
                       size_t rlen)
{
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		snprintf(reason, rlen, "%s is owned by uid %u, neither root nor "
		         "the server's user (uid %u); use --plugin-dir-insecure "
		         "to accept it", what, (unsigned)st->st_uid,
		         (unsigned)geteuid());
		return CD_EPLUGIN;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(reason, rlen, "%s is %s (mode %04o); anyone%s could "
		         "replace plugin code; use --plugin-dir-insecure to "
		         "accept it", what, st->st_mode & S_IWOTH
		         ? "world-writable" : "writable by its group",
		         (unsigned)(st->st_mode & 07777), st->st_mode & S_IWOTH
		         ? "" : " in the group");
		return CD_EPLUGIN;
	}
	return CD_OK;
}

/* Loads one file into g (or says why not in reason). */
static int load_one(plugin_registry_t *reg, plugin_generation_t *g,
                    const char *path, const char *dir_refusal, char *reason,
                    size_t rlen)
{
	if (dir_refusal) {
		snprintf(reason, rlen, "%s", dir_refusal);
		return CD_EPLUGIN;
	}
	struct stat st;
	if (!reg->insecure && lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    check_owner(&st, "the file", reason, rlen))
		return CD_EPLUGIN;
	if (!reg->proc.host_path)
		return plugin_load_file(g, path, reason, rlen);
	plugin_info_t info;
	int rc = plugin_proc_probe(&reg->proc, path, &info, reason, rlen);
	if (rc)
		return rc;
	for (size_t i = 0; i < g->n; i++)
		if (strcmp(g->p[i].info.name, info.name) == 0) {
			snprintf(reason, rlen, "duplicate plugin name '%s' (already "
			         "loaded from %s)", info.name, g->p[i].info.path);
			plugin_info_free(&info);
			return CD_EPLUGIN;
		}
	if (reg->isolation == PLUGIN_ISOLATION_NONE) {
		/* The probe vouched for it; now the server's own copy. */
		plugin_info_free(&info);
		return plugin_load_file(g, path, reason, rlen);
	}
	if (cd_grow((void **)&g->p, &g->cap, g->n + 1, sizeof(*g->p))) {
		plugin_info_free(&info);
		snprintf(reason, rlen, "out of memory");
		return CD_ENOMEM;
	}
	memset(&g->p[g->n], 0, sizeof(g->p[g->n]));
	g->p[g->n++].info = info;
	return CD_OK;
}

static int scan(plugin_registry_t *reg, plugin_generation_t **out, char *err,
                size_t errlen)
{
	char **names;
	size_t n;
	int rc = list_dir(reg->dir, &names, &n, err, errlen);
	if (rc)
		return rc;
	char dir_reason[512];
	const char *dir_refusal = NULL;
	struct stat st;
	if (reg->insecure) {
		plugin_host_logf(reg->log, reg->log_ctx, CP_LOG_WARNING,
		                 "plugin loader: --plugin-dir-insecure: the owner "
		                 "and modes of %s and its plugins are not checked",
		                 reg->dir);
	} else if (stat(reg->dir, &st) == 0 &&
	           check_owner(&st, "the plugin directory", dir_reason,
	                       sizeof(dir_reason))) {
		dir_refusal = dir_reason;
		plugin_host_logf(reg->log, reg->log_ctx, CP_LOG_ERROR,
		                 "plugin loader: %s: %s; no plugin is loaded from "
		                 "it", reg->dir, dir_reason);
	}
	plugin_generation_t *g = calloc(1, sizeof(*g));
	if (!g) {
		rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
		goto done;
	}
	atomic_init(&g->refs, 1);
	g->log = reg->log;
	g->log_ctx = reg->log_ctx;
	g->observe = reg->observe;
	g->observe_ctx = reg->observe_ctx;
	for (size_t i = 0; i < n; i++) {
		char path[4096], reason[1024];
		snprintf(path, sizeof(path), "%s/%s", reg->dir, names[i]);
		int lrc = load_one(reg, g, path, dir_refusal, reason,
		                   sizeof(reason));
		if (lrc == CD_OK) {
			const plugin_info_t *info = &g->p[g->n - 1].info;
			plugin_host_logf(reg->log, reg->log_ctx, CP_LOG_INFO,
			                 "plugin loader: loaded %s: plugin '%s' "
			                 "version %s (ABI %u.%u)", path, info->name,
			                 info->version, (unsigned)info->abi_major,
			                 (unsigned)info->abi_minor);
			continue;
		}
		if (lrc == CD_EUNAVAIL)
			snprintf(reason, sizeof(reason), "not loaded: the server "
			         "is shutting down");
		plugin_host_logf(reg->log, reg->log_ctx, CP_LOG_WARNING,
		                 "plugin loader: refused %s: %s", path, reason);
		if (add_refusal(g, path, reason)) {
			generation_free(g);
			rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
			goto done;
		}
	}
	if (g->n)
		qsort(g->p, g->n, sizeof(*g->p), cmp_loaded);
	if (reg->isolation == PLUGIN_ISOLATION_PROCESS && g->n) {
		char **files = calloc(g->n, sizeof(*files));
		if (files)
			for (size_t i = 0; i < g->n; i++)
				files[i] = g->p[i].info.path;
		if (!files || plugin_pool_create(&g->pool, &reg->proc, files,
		                                 g->n)) {
			free(files);
			generation_free(g);
			rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
			goto done;
		}
		free(files);
	}
	*out = g;
done:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int plugin_registry_create(plugin_registry_t **out,
                           const plugin_registry_opts_t *opts, char *err,
                           size_t errlen)
{
	*out = NULL;
	if (!opts || !opts->dir || !*opts->dir)
		return cd_fail(err, errlen, CD_EINVAL,
		               "plugin registry: no plugin directory");
	plugin_registry_t *reg = calloc(1, sizeof(*reg));
	if (!reg || !(reg->dir = strdup(opts->dir))) {
		free(reg);
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	}
	/* A trailing slash would double up in every logged path. */
	size_t len = strlen(reg->dir);
	while (len > 1 && reg->dir[len - 1] == '/')
		reg->dir[--len] = '\0';
	reg->log = opts->log;
	reg->log_ctx = opts->log_ctx;
	reg->observe = opts->observe;
	reg->observe_ctx = opts->observe_ctx;
	reg->isolation = opts->isolation;
	reg->insecure = opts->insecure_dir;
	reg->proc.stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	reg->proc.memory_bytes = opts->memory_bytes;
	reg->proc.probe_ms = opts->probe_ms ? opts->probe_ms : PROBE_MS_DEFAULT;
	reg->proc.log = opts->log;
	reg->proc.log_ctx = opts->log_ctx;
	if (opts->host_path && !(reg->proc.host_path = strdup(opts->host_path)))
		reg->proc.stop_fd = -2;
	pthread_mutex_init(&reg->lock, NULL);
	pthread_mutex_init(&reg->reload_lock, NULL);
	if (reg->proc.stop_fd < 0 ||
	    (reg->isolation == PLUGIN_ISOLATION_PROCESS && !reg->proc.host_path)) {
		int bad = reg->proc.stop_fd == -1;
		plugin_registry_destroy(reg);
		if (bad)
			return cd_fail(err, errlen, CD_EIO, "plugin registry: "
			               "eventfd: %s", strerror(errno));
		return cd_fail(err, errlen, opts->host_path ? CD_ENOMEM
		               : CD_EINVAL, "plugin registry: %s", opts->host_path
		               ? "out of memory" : "no plugin worker executable "
		               "for process isolation");
	}
	int rc = plugin_registry_reload(reg, err, errlen);
	if (rc) {
		plugin_registry_destroy(reg);
		return rc;
	}
	*out = reg;
	return CD_OK;
}

void plugin_registry_destroy(plugin_registry_t *reg)
{
	if (!reg)
		return;
	plugin_generation_release(reg->current);
	pthread_mutex_destroy(&reg->lock);
	pthread_mutex_destroy(&reg->reload_lock);
	if (reg->proc.stop_fd >= 0)
		close(reg->proc.stop_fd);
	free(reg->proc.host_path);
	free(reg->dir);
	free(reg);
}

void plugin_registry_stop(plugin_registry_t *reg)
{
	if (reg && reg->proc.stop_fd >= 0 &&
	    eventfd_write(reg->proc.stop_fd, 1) != 0)
		plugin_host_logf(reg->log, reg->log_ctx, CP_LOG_ERROR,
		                 "plugin registry: cannot stop the workers: %s",
		                 strerror(errno));
}

int plugin_registry_reload(plugin_registry_t *reg, char *err, size_t errlen)
{
	pthread_mutex_lock(&reg->reload_lock);
	plugin_generation_t *g = NULL;
	int rc = scan(reg, &g, err, errlen);
	if (rc) {
		pthread_mutex_unlock(&reg->reload_lock);
		return rc;
	}
	pthread_mutex_lock(&reg->lock);
	g->number = ++reg->next_number;
	plugin_generation_t *old = reg->current;
	reg->current = g;
	pthread_mutex_unlock(&reg->lock);
	pthread_mutex_unlock(&reg->reload_lock);
	plugin_host_logf(reg->log, reg->log_ctx, CP_LOG_INFO,
	                 "plugin loader: generation %llu: %zu loaded, %zu "
	                 "refused from %s", (unsigned long long)g->number, g->n,
	                 g->nr, reg->dir);
	/* Runs still holding the old generation keep it loaded. */
	plugin_generation_release(old);
	return CD_OK;
}

plugin_generation_t *plugin_registry_acquire(plugin_registry_t *reg)
{
	pthread_mutex_lock(&reg->lock);
	plugin_generation_t *g = plugin_generation_ref(reg->current);
	pthread_mutex_unlock(&reg->lock);
	return g;
}

plugin_generation_t *plugin_generation_ref(plugin_generation_t *gen)
{
	atomic_fetch_add_explicit(&gen->refs, 1, memory_order_relaxed);
	return gen;
}

void plugin_generation_release(plugin_generation_t *gen)
{
	if (!gen)
		return;
	if (atomic_fetch_sub_explicit(&gen->refs, 1, memory_order_acq_rel) == 1)
		generation_free(gen);
}

uint64_t plugin_generation_number(const plugin_generation_t *gen)
{
	return gen->number;
}

size_t plugin_generation_count(const plugin_generation_t *gen)
{
	return gen->n;
}

const plugin_info_t *plugin_generation_info(const plugin_generation_t *gen,
                                            size_t i)
{
	return i < gen->n ? &gen->p[i].info : NULL;
}

const plugin_info_t *plugin_generation_find(const plugin_generation_t *gen,
                                            const char *name)
{
	for (size_t i = 0; name && i < gen->n; i++)
		if (strcmp(gen->p[i].info.name, name) == 0)
			return &gen->p[i].info;
	return NULL;
}

size_t plugin_generation_refused_count(const plugin_generation_t *gen)
{
	return gen->nr;
}

const plugin_refusal_t *
plugin_generation_refused(const plugin_generation_t *gen, size_t i)
{
	return i < gen->nr ? &gen->r[i] : NULL;
}
