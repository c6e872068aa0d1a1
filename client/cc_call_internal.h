/*
 * cc_call_internal — internals shared by the files of the client library.
 *
 * Thread-safety: pure helpers, safe from any thread.
 */
#ifndef CC_CALL_INTERNAL_H
#define CC_CALL_INTERNAL_H

#include <stdarg.h>

#include "cc_client.h"

/* Fills st (may be NULL) and returns code, so error paths are one line. */
int cc_st_set(cc_status_t *st, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
