/* Host services given to plugins: logging, memory, score strings. The param
 * and cohort accessors live with their data (plugin_params.c,
 * plugin_cohort.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_cohort.h"
#include "plugin_internal.h"
#include "plugin_params.h"

#define SCRATCH_BLOCK 65536
/* A log line: room for "plugin '<name>': " (names are at most 64 bytes)
 * ahead of a plugin's message of up to CP_LOG_MAX - 1 bytes. */
#define LOG_LINE_MAX (CP_LOG_MAX + 128)

static const char *const level_names[] = { "error", "warning", "info",
                                           "debug" };

void plugin_host_logf(plugin_log_fn log, void *log_ctx, int level,
                      const char *fmt, ...)
{
	char buf[LOG_LINE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (level < CP_LOG_ERROR)
		level = CP_LOG_ERROR;
	if (level > CP_LOG_DEBUG)
		level = CP_LOG_DEBUG;
	if (log)
		log(log_ctx, level, buf);
	else
		fprintf(stderr, "clusterd: %s: %s\n", level_names[level], buf);
}

static void h_log(const cp_host_t *h, int level, const char *msg)
{
	const plugin_host_ctx_t *ctx = h->host_private;
	if (!msg)
		msg = "(null)";
	/* The SDK promises CP_LOG_MAX - 1 bytes whatever the plugin's name;
	 * cut before a UTF-8 continuation byte so the line stays valid text. */
	size_t n = strnlen(msg, CP_LOG_MAX);
	if (n == CP_LOG_MAX) {
		n = CP_LOG_MAX - 1;
		while (n && ((unsigned char)msg[n] & 0xC0) == 0x80)
			n--;
	}
	plugin_host_logf(ctx->log, ctx->log_ctx, level, "plugin '%s': %.*s",
	                 ctx->plugin_name, (int)n, msg);
}

static void *h_alloc(const cp_host_t *h, size_t size)
{
	(void)h;
	return malloc(size ? size : 1);
}

static void h_free(const cp_host_t *h, void *ptr)
{
	(void)h;
	free(ptr);
}

static const char *h_score_string(const cp_host_t *h, const char *s)
{
	plugin_host_ctx_t *ctx = h->host_private;
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	plugin_scratch_block_t *b = ctx->scratch;
	/* Bump-allocate from 64 KiB blocks: a reason per cluster of a large
	 * cohort would otherwise be a million mallocs. */
	if (!b || b->cap - b->used < n) {
		size_t cap = n > SCRATCH_BLOCK ? n : SCRATCH_BLOCK;
		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->used = 0;
		b->cap = cap;
		b->next = ctx->scratch;
		ctx->scratch = b;
	}
	char *dst = b->data + b->used;
	memcpy(dst, s, n);
	b->used += n;
	return dst;
}

void plugin_host_scratch_reset(plugin_host_ctx_t *ctx)
{
	while (ctx->scratch) {
		plugin_scratch_block_t *b = ctx->scratch;
		ctx->scratch = b->next;
		free(b);
	}
}

void plugin_host_setup(cp_host_t *h, plugin_host_ctx_t *ctx)
{
	memset(h, 0, sizeof(*h));
	h->struct_size = sizeof(*h);
	h->abi_major = CP_ABI_MAJOR;
	h->abi_minor = CP_ABI_MINOR;
	h->host_private = ctx;
	h->log = h_log;
	h->alloc = h_alloc;
	h->free = h_free;
	h->score_string = h_score_string;
	plugin_params_bind_host(h);
	plugin_cohort_bind_host(h);
}
