#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 2048

static log_level min_level = LOG_INFO;
static log_format format = LOG_TEXT;
static int out_fd = 2;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_setup(log_level min, log_format fmt, int fd)
{
	min_level = min;
	format = fmt;
	out_fd = fd;
}

int log_level_parse(const char *s, log_level *out)
{
	for (int i = 0; i <= LOG_ERROR; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (log_level)i;
			return 0;
		}
	}
	if (strcmp(s, "warning") == 0) {
		*out = LOG_WARN;
		return 0;
	}
	return -1;
}

int log_format_parse(const char *s, log_format *out)
{
	if (strcmp(s, "text") == 0)
		*out = LOG_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = LOG_JSON;
	else
		return -1;
	return 0;
}

const char *log_level_name(log_level lvl)
{
	if ((int)lvl < 0 || lvl > LOG_ERROR)
		return "info";
	return level_names[lvl];
}

int log_enabled(log_level lvl)
{
	return lvl >= min_level;
}

/* A line under construction; overflowing text is cut, never the newline. */
typedef struct line {
	char buf[LOG_LINE_MAX];
	size_t len;
} line_t;

static void put(line_t *l, const char *s, size_t n)
{
	size_t room = sizeof(l->buf) - 1 - l->len; /* keep one for '\n' */
	if (n > room)
		n = room;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static void puts_(line_t *l, const char *s)
{
	put(l, s, strlen(s));
}

/* Quoted string: JSON escaping serves both formats, and keeps a hostile
 * peer or message from forging extra fields or lines. */
static void put_quoted(line_t *l, const char *s)
{
	put(l, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[8];
		/* Stop early rather than cut the closing quote off. */
		if (sizeof(l->buf) - l->len < 24)
			break;
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			put(l, esc, 2);
		} else if (*p == '\n') {
			put(l, "\\n", 2);
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			put(l, esc, 6);
		} else {
			put(l, (const char *)p, 1);
		}
	}
	put(l, "\"", 1);
}

static void put_field(line_t *l, const char *key, const char *val, int quote)
{
	if (format == LOG_JSON) {
		put(l, ",", 1);
		put_quoted(l, key);
		put(l, ":", 1);
	} else {
		put(l, " ", 1);
		puts_(l, key);
		put(l, "=", 1);
	}
	if (quote)
		put_quoted(l, val);
	else
		puts_(l, val);
}

static void begin(line_t *l, log_level lvl)
{
	struct timespec ts;
	struct tm tm;
	char tbuf[48];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(tbuf + n, sizeof(tbuf) - n, ".%06ldZ", ts.tv_nsec / 1000);

	l->len = 0;
	if (format == LOG_JSON) {
		puts_(l, "{\"time\":\"");
		puts_(l, tbuf);
		puts_(l, "\",\"level\":\"");
		puts_(l, log_level_name(lvl));
		puts_(l, "\"");
	} else {
		puts_(l, "time=");
		puts_(l, tbuf);
		puts_(l, " level=");
		puts_(l, log_level_name(lvl));
	}
}

static void end(line_t *l)
{
	if (format == LOG_JSON)
		puts_(l, "}");
	l->buf[l->len++] = '\n';
	ssize_t w = write(out_fd, l->buf, l->len);
	(void)w; /* nowhere to report a failing log */
}

void log_msg(log_level lvl, const char *fmt, ...)
{
	if (!log_enabled(lvl))
		return;
	char msg[LOG_LINE_MAX / 2];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	line_t l;
	begin(&l, lvl);
	put_field(&l, "msg", msg, 1);
	end(&l);
}

void log_call(log_level lvl, const char *method, const char *status,
              double duration_ms, const char *peer, const char *principal,
              const char *detail)
{
	if (!log_enabled(lvl))
		return;
	char dur[32];
	snprintf(dur, sizeof(dur), "%.3f", duration_ms);

	line_t l;
	begin(&l, lvl);
	put_field(&l, "method", method ? method : "", 1);
	put_field(&l, "status", status, format == LOG_JSON);
	put_field(&l, "duration_ms", dur, 0);
	put_field(&l, "peer", peer ? peer : "", 1);
	put_field(&l, "principal", principal ? principal : "", 1);
	if (detail && *detail)
		put_field(&l, "msg", detail, 1);
	end(&l);
}
