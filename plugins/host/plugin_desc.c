/* plugin_desc.c — a plugin's info across the worker socket: what a probe
 * worker found in the descriptor, encoded there and checked again here,
 * because the server builds ListPlugins and param validation from it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "plugin_internal.h"
#include "plugin_wire_internal.h"

#define DESC_TEXT_MAX 4096   /* description, version, defaults, choices */
#define DESC_PARAMS_MAX 256
#define DESC_CHOICES_MAX 1024

void plugin_info_encode(pw_buf_t *b, const plugin_info_t *info)
{
	pw_buf_str(b, info->name);
	pw_buf_str(b, info->version);
	pw_buf_str(b, info->description);
	pw_buf_u32(b, (uint32_t)info->kind);
	pw_buf_u32(b, info->abi_major);
	pw_buf_u32(b, info->abi_minor);
	pw_buf_u32(b, (uint32_t)info->nparams);
	for (size_t i = 0; i < info->nparams; i++) {
		const plugin_param_info_t *p = &info->params[i];
		pw_buf_str(b, p->name);
		pw_buf_u32(b, (uint32_t)p->type);
		pw_buf_u32(b, p->default_value != NULL);
		pw_buf_str(b, p->default_value);
		pw_buf_str(b, p->description);
		pw_buf_u32(b, (uint32_t)p->required);
		pw_buf_u32(b, (uint32_t)p->names);
		pw_buf_u32(b, (uint32_t)p->nchoices);
		for (size_t j = 0; j < p->nchoices; j++)
			pw_buf_str(b, p->choices[j]);
	}
}

static int bad(char *reason, size_t rlen, const char *what)
{
	snprintf(reason, rlen, "the plugin worker sent a bad descriptor (%s)",
	         what);
	return CD_EPLUGIN;
}

static int decode_param(pw_rd_t *r, plugin_param_info_t *p, char *reason,
                        size_t rlen)
{
	p->name = pw_rd_str(r, 64);
	p->type = (int)pw_rd_u32(r);
	uint32_t has_default = pw_rd_u32(r);
	char *def = pw_rd_str(r, DESC_TEXT_MAX);
	if (has_default)
		p->default_value = def;
	else
		free(def);
	p->description = pw_rd_str(r, DESC_TEXT_MAX);
	p->required = pw_rd_u32(r) != 0;
	p->names = (int)pw_rd_u32(r);
	uint32_t nch = pw_rd_u32(r);
	if (r->bad || !p->name || !*p->name)
		return bad(reason, rlen, "param");
	if (!(p->type_name = plugin_param_type_name(p->type)))
		return bad(reason, rlen, "param type");
	/* As the in-process loader reads a spec: only string and list
	 * params name things, and only kinds this server knows. */
	if (p->names < CP_NAMES_NOTHING || p->names > CP_NAMES_CRITERION ||
	    (p->type != CP_PARAM_STRING && p->type != CP_PARAM_LIST))
		p->names = CP_NAMES_NOTHING;
	if (nch > DESC_CHOICES_MAX || (p->type == CP_PARAM_ENUM) != (nch > 0))
		return bad(reason, rlen, "choices");
	if (nch && !(p->choices = calloc(nch, sizeof(*p->choices))))
		return CD_ENOMEM;
	for (; p->nchoices < nch; p->nchoices++)
		if (!(p->choices[p->nchoices] = pw_rd_str(r, DESC_TEXT_MAX)))
			return bad(reason, rlen, "choice");
	if (p->default_value) {
		char msg[256];
		if (plugin_param_check(p, p->default_value, "", msg, sizeof(msg)))
			return bad(reason, rlen, "default");
	}
	return CD_OK;
}

int plugin_info_decode(pw_rd_t *r, plugin_info_t *info, char *reason,
                       size_t rlen)
{
	memset(info, 0, sizeof(*info));
	info->name = pw_rd_str(r, 64);
	info->version = pw_rd_str(r, 256);
	info->description = pw_rd_str(r, DESC_TEXT_MAX);
	info->kind = (int)pw_rd_u32(r);
	info->abi_major = pw_rd_u32(r);
	info->abi_minor = pw_rd_u32(r);
	uint32_t n = pw_rd_u32(r);
	if (r->bad || !info->name || !plugin_valid_name(info->name) ||
	    !info->version || !*info->version || !info->description)
		return bad(reason, rlen, "name or version");
	if (info->kind != CP_QUANTITATIVE && info->kind != CP_QUALITATIVE)
		return bad(reason, rlen, "kind");
	info->kind_name = info->kind == CP_QUANTITATIVE ? "quantitative"
	                                                 : "qualitative";
	if (n > DESC_PARAMS_MAX)
		return bad(reason, rlen, "too many params");
	if (n && !(info->params = calloc(n, sizeof(*info->params))))
		return CD_ENOMEM;
	while (info->nparams < n) {
		/* Counted before decoding, so that plugin_info_free frees it
		 * whatever fails below. */
		plugin_param_info_t *p = &info->params[info->nparams++];
		int rc = decode_param(r, p, reason, rlen);
		if (rc)
			return rc;
		for (size_t j = 0; j + 1 < info->nparams; j++)
			if (!strcmp(info->params[j].name, p->name))
				return bad(reason, rlen, "param declared twice");
	}
	if (r->pos != r->len)
		return bad(reason, rlen, "trailing bytes");
	return CD_OK;
}
