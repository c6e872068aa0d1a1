/*
 * cd_utf8 — strict UTF-8 decoding of one sequence, for the store's
 * validation and the status messages the service sends: both must agree on
 * what text is.
 *
 * Strict means RFC 3629: no overlong forms, no surrogates (U+D800..DFFF),
 * nothing past U+10FFFF.
 *
 * Thread-safety: pure functions, safe from any thread.
 */
#ifndef CD_UTF8_H
#define CD_UTF8_H

#include <stddef.h>

/* Length (1..4) of the well-formed UTF-8 sequence at p, reading at most
 * avail bytes, or 0 when the bytes there are not one (avail 0 gives 0). */
size_t cd_utf8_len(const unsigned char *p, size_t avail);

#endif
