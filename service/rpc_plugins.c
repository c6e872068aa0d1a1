#include "rpc_plugins.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "clusterplugin.h"
#include "clusters/v1/plugins.pb-c.h"
#include "plugin_registry.h"
#include "rpc_call.h"
#include "rpc_status.h"
#include "rpc_registry.h"
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

void rpc_plugins_reload(rpc_call_t *c)
{
	ProtobufCMessage *req = rpc_call_decode(
		c, &clusters__v1__reload_plugins_request__descriptor);
	if (!req)
		return;
	protobuf_c_message_free_unpacked(req, NULL);
	srv_env_t *env = rpc_call_env(c);
	if (env->plugins) {
		char err[256] = "";
		int rc = plugin_registry_reload(env->plugins, err, sizeof(err));
		if (rc != CD_OK) {
			rpc_call_fail(c, rc, err);
			return;
		}
	}
	reply_current(c, env->plugins);
}
