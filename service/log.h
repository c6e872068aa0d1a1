/*
 * log — structured log lines on stderr, as text (key=value) or JSON, one
 * line per event: time, level, and for calls the method, status, duration,
 * peer and principal.
 *
 * Thread-safety: log_setup must run before other threads log. After that
 * every function may be called from any thread; each line goes out in one
 * write(2), so lines from different threads never interleave.
 */
#ifndef LOG_H
#define LOG_H

typedef enum log_level {
	LOG_DEBUG = 0,
	LOG_INFO,
	LOG_WARN,
	LOG_ERROR,
} log_level;

typedef enum log_format {
	LOG_TEXT = 0,
	LOG_JSON,
} log_format;

/* Lines below min are dropped; fd is where lines go (2 for stderr). */
void log_setup(log_level min, log_format fmt, int fd);

/* "debug", "info", "warn" (or "warning"), "error". Returns 0 or -1. */
int log_level_parse(const char *s, log_level *out);
/* "text" or "json". Returns 0 or -1. */
int log_format_parse(const char *s, log_format *out);
const char *log_level_name(log_level lvl);

/* Cheap test so callers can skip building a line nobody will see. */
int log_enabled(log_level lvl);

/* A free-form event: msg="..." */
void log_msg(log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One finished call. principal is who the call was made as (a name,
 * never a credential); detail may be NULL (it is the status message). */
void log_call(log_level lvl, const char *method, const char *status,
              double duration_ms, const char *peer, const char *principal,
              const char *detail);

#endif
