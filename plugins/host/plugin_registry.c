#include "plugin_registry.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "plugin_intern_internal.h"
#include "plugin_internal.h"

struct plugin_registry {
	char *dir;
	plugin_log_fn log;
	void *log_ctx;
	pthread_mutex_t lock;        /* guards current */
	pthread_mutex_t reload_lock; /* one scan at a time */
	plugin_generation_t *current;
	uint64_t next_number;
};

static void generation_free(plugin_generation_t *g)
{
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
		if (plugin_grow((void **)names, &cap, *n + 1, sizeof(**names)) ||
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
	if (plugin_grow((void **)&g->r, &g->capr, g->nr + 1, sizeof(*g->r)))
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

static int scan(plugin_registry_t *reg, plugin_generation_t **out, char *err,
                size_t errlen)
{
	char **names;
	size_t n;
	int rc = list_dir(reg->dir, &names, &n, err, errlen);
	if (rc)
		return rc;
	plugin_generation_t *g = calloc(1, sizeof(*g));
	if (!g) {
		rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
		goto done;
	}
	atomic_init(&g->refs, 1);
	g->log = reg->log;
	g->log_ctx = reg->log_ctx;
	for (size_t i = 0; i < n; i++) {
		char path[4096], reason[512];
		snprintf(path, sizeof(path), "%s/%s", reg->dir, names[i]);
		if (plugin_load_file(g, path, reason, sizeof(reason)) == CD_OK) {
			const plugin_info_t *info = &g->p[g->n - 1].info;
			plugin_host_logf(reg->log, reg->log_ctx, CP_LOG_INFO,
			                 "plugin loader: loaded %s: plugin '%s' "
			                 "version %s (ABI %u.%u)", path, info->name,
			                 info->version, (unsigned)info->abi_major,
			                 (unsigned)info->abi_minor);
			continue;
		}
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
	pthread_mutex_init(&reg->lock, NULL);
	pthread_mutex_init(&reg->reload_lock, NULL);
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
	free(reg->dir);
	free(reg);
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
