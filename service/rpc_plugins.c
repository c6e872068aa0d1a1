#include "rpc_plugins.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "clusterplugin.h"
#include "log.h"
#include "clusters/v1/plugins.pb-c.h"
#include "plugin_registry.h"
#include "rpc_call.h"
#include "rpc_status.h"
#include "rpc_registry.h"
#include "rpc_write.h"
#include "srv_commit.h"
#include "srv_env.h"

/* Everything a ListPluginsResponse borrows or owns while it is packed. */
typedef struct plug_reply {
	Clusters__V1__ListPluginsResponse resp;
	Clusters__V1__Plugin *plugins;
	Clusters__V1__Plugin **plugin_ptrs;
	Clusters__V1__PluginParam *params;
	Clusters__V1__PluginParam **param_ptrs;
	char **refused;
} plug_reply_t;

static void reply_free(plug_reply_t *r)
{
	if (r->refused)
		for (size_t i = 0; i < r->resp.n_refused; i++)
			free(r->refused[i]);
	free(r->refused);
	free(r->param_ptrs);
	free(r->params);
	free(r->plugin_ptrs);
	free(r->plugins);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static Clusters__V1__PluginKind kind_of(int kind)
{
	switch (kind) {
	case CP_QUANTITATIVE:
		return CLUSTERS__V1__PLUGIN_KIND__PLUGIN_KIND_QUANTITATIVE;
	case CP_QUALITATIVE:
		return CLUSTERS__V1__PLUGIN_KIND__PLUGIN_KIND_QUALITATIVE;
	default:
		return CLUSTERS__V1__PLUGIN_KIND__PLUGIN_KIND_UNSPECIFIED;
	}
}

static void fill_param(Clusters__V1__PluginParam *p,
                       const plugin_param_info_t *in)
{
	clusters__v1__plugin_param__init(p);
	p->name = in->name;
	p->type = (char *)(in->type_name ? in->type_name : "");
	p->default_value = in->default_value ? in->default_value : "";
	p->description = in->description ? in->description : "";
	p->required = in->required ? 1 : 0;
	p->n_choices = in->nchoices;
	p->choices = in->choices;
}

/* "file: reason", cleaned to valid UTF-8 without control characters. */
static char *refusal_line(const plugin_refusal_t *r)
{
	size_t cap = strlen(r->path) + strlen(r->reason) + 3;
	char *raw = malloc(cap), *out = malloc(cap);
	if (!raw || !out) {
		free(raw);
		free(out);
		return NULL;
	}
	snprintf(raw, cap, "%s: %s", base_name(r->path), r->reason);
	rpc_status_clean(raw, out, cap);
	free(raw);
	return out;
}

/* Builds the response from gen; strings of plugins are borrowed from gen,
 * which must stay referenced until the reply is packed. */
static int reply_build(plug_reply_t *r, const plugin_generation_t *gen)
{
	memset(r, 0, sizeof(*r));
	clusters__v1__list_plugins_response__init(&r->resp);
	size_t n = gen ? plugin_generation_count(gen) : 0;
	size_t nr = gen ? plugin_generation_refused_count(gen) : 0;
	size_t np = 0;
	for (size_t i = 0; i < n; i++)
		np += plugin_generation_info(gen, i)->nparams;
	if ((n && (!(r->plugins = calloc(n, sizeof(*r->plugins))) ||
	           !(r->plugin_ptrs = calloc(n, sizeof(*r->plugin_ptrs))))) ||
	    (np && (!(r->params = calloc(np, sizeof(*r->params))) ||
	            !(r->param_ptrs = calloc(np, sizeof(*r->param_ptrs))))) ||
	    (nr && !(r->refused = calloc(nr, sizeof(*r->refused)))))
		return CD_ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const plugin_info_t *in = plugin_generation_info(gen, i);
		Clusters__V1__Plugin *p = &r->plugins[i];
		clusters__v1__plugin__init(p);
		p->name = in->name;
		p->version = in->version ? in->version : "";
		p->kind = kind_of(in->kind);
		p->description = in->description ? in->description : "";
		p->file = (char *)base_name(in->path);
		p->abi_major = in->abi_major;
		p->abi_minor = in->abi_minor;
		p->params = in->nparams ? &r->param_ptrs[k] : NULL;
		p->n_params = in->nparams;
		for (size_t j = 0; j < in->nparams; j++, k++) {
			fill_param(&r->params[k], &in->params[j]);
			r->param_ptrs[k] = &r->params[k];
		}
		r->plugin_ptrs[i] = p;
	}
	r->resp.plugins = r->plugin_ptrs;
	r->resp.n_plugins = n;
	r->resp.refused = r->refused;
	for (size_t i = 0; i < nr; i++) {
		r->refused[i] = refusal_line(plugin_generation_refused(gen, i));
		if (!r->refused[i])
			return CD_ENOMEM;
		r->resp.n_refused = i + 1;
	}
	return CD_OK;
}

/* Answers c with the registry's current generation (none without a plugin
 * directory). */
static void reply_current(rpc_call_t *c, plugin_registry_t *reg)
{
	plugin_generation_t *gen = reg ? plugin_registry_acquire(reg) : NULL;
	plug_reply_t r;
	if (reply_build(&r, gen) == CD_OK)
		rpc_call_reply(c, &r.resp.base);
	else
		rpc_call_fail(c, CD_ENOMEM, "out of memory listing plugins");
	reply_free(&r);
	plugin_generation_release(gen);
}

void rpc_plugins_list(rpc_call_t *c)
{
	ProtobufCMessage *req = rpc_call_decode(
		c, &clusters__v1__list_plugins_request__descriptor);
	if (!req)
		return;
	protobuf_c_message_free_unpacked(req, NULL);
	srv_env_t *env = rpc_call_env(c);
	reply_current(c, env->plugins);
}

/* ------------------------------------------------------- the audit event */

#define RELOAD_PATHS_MAX 128
#define RELOAD_DETAIL_MAX 1024

/* ReloadPlugins keeps nothing in the store, so its audit event is a write
 * of its own (STORE_AUDIT_NOTE), committed before the reply. */
typedef struct reload {
	srv_commit_job_t job;
	store_op_t op;
	rpc_call_t *call;
	char detail[RELOAD_DETAIL_MAX];
	const char *paths[RELOAD_PATHS_MAX];
	char *owned[RELOAD_PATHS_MAX];
} reload_t;

static void reload_free(reload_t *r)
{
	for (size_t i = 0; i < r->op.n_paths; i++)
		free(r->owned[i]);
	free(r);
}

static void add_path(reload_t *r, const char *name)
{
	size_t n = r->op.n_paths;
	if (n == RELOAD_PATHS_MAX)
		return;
	size_t len = strlen(name) + sizeof("plugins.");
	if (!(r->owned[n] = malloc(len)))
		return;
	snprintf(r->owned[n], len, "plugins.%s", name);
	r->paths[n] = r->owned[n];
	r->op.n_paths = n + 1;
}

static int same_plugin(const plugin_info_t *a, const plugin_info_t *b)
{
	return a && b && !strcmp(a->version ? a->version : "",
	                         b->version ? b->version : "") &&
	       !strcmp(base_name(a->path), base_name(b->path));
}

/* "name version, ..." of gen into buf at *off, cut short with "..." */
static void summarise(char *buf, size_t cap, size_t *off,
                      const plugin_generation_t *gen)
{
	size_t n = gen ? plugin_generation_count(gen) : 0;
	for (size_t i = 0; i < n && *off < cap; i++) {
		const plugin_info_t *in = plugin_generation_info(gen, i);
		int w = snprintf(buf + *off, cap - *off, "%s%s %s",
		                 i ? ", " : "", in->name,
		                 in->version ? in->version : "");
		*off += w > 0 ? (size_t)w : 0;
	}
	if (!n && *off < cap) {
		int w = snprintf(buf + *off, cap - *off, "none");
		*off += w > 0 ? (size_t)w : 0;
	}
}

/* The plugins added, removed or changed (version or file) between old and
 * now, in name order, and both lists in the detail. */
static void reload_describe(reload_t *r, const plugin_generation_t *old,
                            const plugin_generation_t *now)
{
	size_t no = old ? plugin_generation_count(old) : 0;
	size_t nn = now ? plugin_generation_count(now) : 0;
	size_t i = 0, j = 0, off = 0, cap = sizeof(r->detail);

	/* Both lists are sorted by name: merge them. */
	while (i < no || j < nn) {
		const plugin_info_t *a = i < no ? plugin_generation_info(old, i)
		                                : NULL;
		const plugin_info_t *b = j < nn ? plugin_generation_info(now, j)
		                                : NULL;
		int c = !a ? 1 : !b ? -1 : strcmp(a->name, b->name);
		if (c < 0) {
			add_path(r, a->name);
			i++;
		} else if (c > 0) {
			add_path(r, b->name);
			j++;
		} else {
			if (!same_plugin(a, b))
				add_path(r, a->name);
			i++;
			j++;
		}
	}
	if (!old && !now) {
		snprintf(r->detail, cap, "no plugin directory");
		return;
	}
	int w = snprintf(r->detail, cap, "generation %llu -> %llu; before: ",
	                 (unsigned long long)plugin_generation_number(old),
	                 (unsigned long long)plugin_generation_number(now));
	off = w > 0 ? (size_t)w : 0;
	summarise(r->detail, cap, &off, old);
	if (off < cap) {
		w = snprintf(r->detail + off, cap - off, "; after: ");
		off += w > 0 ? (size_t)w : 0;
	}
	summarise(r->detail, cap, &off, now);
	if (off >= cap)
		memcpy(r->detail + cap - 4, "...", 4);
}

static void reload_done(srv_commit_job_t *job, int txn_rc)
{
	reload_t *r = job->arg;
	rpc_call_t *c = r->call;
	(void)txn_rc; /* also in op.rc */
	if (r->op.rc != CD_OK) {
		char msg[384];
		snprintf(msg, sizeof(msg), "plugins were reloaded, but the "
		         "audit event was not recorded: %s", r->op.err);
		rpc_call_fail(c, r->op.rc, msg);
	} else {
		srv_env_t *env = rpc_call_env(c);
		reply_current(c, env->plugins);
	}
	reload_free(r);
	rpc_call_unref(c);
}

void rpc_plugins_reload(rpc_call_t *c)
{
	ProtobufCMessage *req = rpc_call_decode(
		c, &clusters__v1__reload_plugins_request__descriptor);
	if (!req)
		return;
	protobuf_c_message_free_unpacked(req, NULL);
	srv_env_t *env = rpc_call_env(c);
	reload_t *r = calloc(1, sizeof(*r));
	if (!r) {
		rpc_call_fail(c, CD_ENOMEM, "out of memory");
		return;
	}
	plugin_generation_t *old = NULL, *now = NULL;
	if (env->plugins) {
		char err[256] = "";
		old = plugin_registry_acquire(env->plugins);
		int rc = plugin_registry_reload(env->plugins, err, sizeof(err));
		if (rc != CD_OK) {
			/* Nothing changed: nothing to record. */
			plugin_generation_release(old);
			free(r);
			rpc_call_fail(c, rc, err);
			return;
		}
		now = plugin_registry_acquire(env->plugins);
	}
	reload_describe(r, old, now);
	plugin_generation_release(old);
	plugin_generation_release(now);
	if (env->read_only) {
		/* A replica's store takes no writes: the event is logged. */
		log_msg(LOG_INFO, "audit: ReloadPlugins of plugins by %s: %s "
		        "(read-only replica: logged, not stored)",
		        rpc_call_principal(c), r->detail);
		reply_current(c, env->plugins);
		reload_free(r);
		return;
	}
	r->op.kind = STORE_AUDIT_NOTE;
	r->op.id = "plugins";
	r->op.detail = r->detail;
	r->op.paths = r->paths;
	rpc_write_audit(c, &r->op);
	r->call = c;
	r->job.ops = &r->op;
	r->job.n = 1;
	r->job.done = reload_done;
	r->job.arg = r;
	rpc_call_ref(c);
	if (srv_commit_submit(env->commit, &r->job) != CD_OK) {
		rpc_call_fail(c, CD_EUNAVAIL, "server is shutting down");
		reload_free(r);
		rpc_call_unref(c);
	}
}
