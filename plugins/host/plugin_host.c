/* Host services given to plugins: logging, memory, score strings, run
 * notes. The param and cohort accessors live with their data
 * (plugin_params.c, plugin_cohort.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_utf8.h"
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

/* The length of value the host keeps: CP_NOTE_MAX - 1 bytes at most, cut
 * before a UTF-8 continuation byte (as log lines are). */
static size_t note_len(const char *value)
{
	size_t n = strnlen(value, CP_NOTE_MAX);
	if (n == CP_NOTE_MAX) {
		n = CP_NOTE_MAX - 1;
		while (n && ((unsigned char)value[n] & 0xC0) == 0x80)
			n--;
	}
	return n;
}

/* Notes end up in runs that clients decode and print on one line: UTF-8
 * (proto3 strings must be) and no control characters. */
static int note_text_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		if (p[i] < 0x20 || p[i] == 0x7F)
			return 0;
		size_t k = cd_utf8_len(p + i, n - i);
		if (!k)
			return 0;
		i += k;
	}
	return 1;
}

int plugin_host_note(plugin_host_ctx_t *ctx, const char *key,
                     const char *value)
{
	if (!key || !plugin_valid_name(key) || !value)
		return CP_EPARAM;
	size_t n = note_len(value);
	if (!note_text_ok(value, n))
		return CP_EPARAM;
	size_t i = 0;
	while (i < ctx->nnotes && strcmp(ctx->notes[i].key, key))
		i++;
	if (i == CP_NOTES_MAX)
		return CP_EFAIL;
	char *v = malloc(n + 1);
	char *k = i == ctx->nnotes ? strdup(key) : NULL;
	if (!v || (i == ctx->nnotes && !k)) {
		free(v);
		free(k);
		return CP_ENOMEM;
	}
	memcpy(v, value, n);
	v[n] = '\0';
	plugin_note_t *pn = &ctx->notes[i];
	if (i == ctx->nnotes) {
		pn->key = k;
		ctx->nnotes++;
	} else {
		free((char *)pn->value);
	}
	pn->value = v;
	return CP_OK;
}

void plugin_host_notes_reset(plugin_host_ctx_t *ctx)
{
	for (size_t i = 0; i < ctx->nnotes; i++) {
		free((char *)ctx->notes[i].key);
		free((char *)ctx->notes[i].value);
	}
	ctx->nnotes = 0;
}

static int h_run_note(const cp_host_t *h, const char *key,
                      const char *value)
{
	plugin_host_ctx_t *ctx = h->host_private;
	/* Notes describe one score() call; init and fini have none. */
	if (!ctx->scoring)
		return CP_EFAIL;
	return plugin_host_note(ctx, key, value);
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
	h->run_note = h_run_note;
	plugin_params_bind_host(h);
	plugin_cohort_bind_host(h);
}
