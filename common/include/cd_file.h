/*
 * cd_file — reading a small configuration file that may hold secrets (a
 * TLS private key, the hashes of bearer tokens) whole. The checks are made
 * on the open descriptor (fstat), not on the path, so what is checked is
 * what is read; a file that changes size while being read is refused
 * rather than half read.
 *
 * Thread-safety: reentrant.
 */
#ifndef CD_FILE_H
#define CD_FILE_H

#include <stddef.h>

/* The file must not be readable or writable by group or others. */
#define CD_FILE_PRIVATE 1u

/* Reads path into a NUL-terminated malloc'd buffer: *out (free it; for a
 * private file wipe it first), *len without the NUL. Refuses, with
 * CD_EINVAL and one line in err that starts "what: " and names path: a
 * file that cannot be opened or read, is not a regular file, holds more
 * than max bytes, changed size while read, or (CD_FILE_PRIVATE in flags)
 * lets group or others read or write it. CD_ENOMEM when out of memory. */
int cd_file_read(const char *what, const char *path, size_t max,
                 unsigned flags, char **out, size_t *len, char *err,
                 size_t errlen);

#endif
