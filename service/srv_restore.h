/*
 * srv_restore — clusterd --restore FILE --data-dir DIR: a backup file
 * (cd_backup.h, written by clusterctl admin backup) into a new data
 * directory, checked at every step (docs/operations.md, "Back up and
 * restore"):
 *
 *   1. DIR must not exist or be an empty directory;
 *   2. FILE must be a whole backup file (its frame: cd_backup_file_open);
 *   3. under DIR's clusterd.lock (as a server takes it), the data is
 *      written to DIR/data.mdb.partial (0600; DIR created 0700) while
 *      both checksums are computed, and linked to DIR/data.mdb (never
 *      replacing a file) only when both match;
 *   4. the store is opened read-only and every table counted record by
 *      record; the counts and the data version must equal the header's.
 *
 * On any failure what it wrote is removed (DIR too, when it created it)
 * and the result names the problem. Nothing is written to FILE.
 *
 * Thread-safety: single-threaded, before any server starts.
 */
#ifndef SRV_RESTORE_H
#define SRV_RESTORE_H

#include <stddef.h>
#include <stdio.h>

/* Exit statuses: 0 restored (a summary went to out), 1 the restore failed
 * (err says why; nothing of it is left), 2 refused before anything was
 * written (err: a DIR that is not empty or not a directory, a FILE that
 * does not exist). */
int srv_restore(const char *file, const char *dir, FILE *out, char *err,
                size_t errlen);

#endif
