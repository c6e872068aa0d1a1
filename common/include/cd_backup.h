/*
 * cd_backup — the backup file: one self-describing file holding what the
 * Backup RPC streams (clusters.v1.AdminService/Backup): its header, the
 * compacted LMDB data file, its trailer, and a checksum of the whole
 * (docs/operations.md, "Back up and restore"). clusterctl admin backup
 * writes it; clusterd --restore reads it.
 *
 * Layout, format 1 (integers big-endian):
 *
 *   offset    bytes  what
 *   0         8      magic "CDBACKUP"
 *   8         4      file format (1)
 *   12        4      H, the header's length
 *   16        H      packed clusters.v1.BackupHeader, as the server sent it
 *   16+H      D      the data: a compacted LMDB data.mdb
 *   16+H+D    T      packed clusters.v1.BackupTrailer (bytes = D, sha256 =
 *                    the data's SHA-256 in lower-case hex)
 *   ...       4      T
 *   ...       32     SHA-256 of every byte of the file before this field
 *   size-8    8      end marker "CDBKEND\n"
 *
 * D is the file's size less everything else, and must equal the
 * trailer's bytes. A file cut short lacks the end marker; a byte changed
 * anywhere fails the whole-file checksum; the data's own checksum is the
 * server's, checked end to end.
 *
 * The writer never leaves a file at the final path that is not complete
 * and checked: it writes a temporary file beside it (created 0600 with
 * O_EXCL), and only once the trailer matched the data it received does it
 * link that file to the final path (never replacing an existing file)
 * and remove the temporary name.
 *
 * Thread-safety: a writer or an open file belongs to one thread.
 */
#ifndef CD_BACKUP_H
#define CD_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "clusters/v1/admin.pb-c.h"

#define CD_BACKUP_MAGIC "CDBACKUP"
#define CD_BACKUP_END "CDBKEND\n"
#define CD_BACKUP_FORMAT 1u
/* The BackupHeader.format this code understands. */
#define CD_BACKUP_HEADER_FORMAT 1u
/* Fixed bytes around the header, the data and the trailer. */
#define CD_BACKUP_FRAME (16u + 4u + 32u + 8u)
/* Largest header or trailer accepted (they are a few hundred bytes). */
#define CD_BACKUP_META_MAX (1u << 20)

/* ---------------------------------------------------------------- writer */

typedef struct cd_backup_writer cd_backup_writer_t;

/* Starts a backup file for path: refuses a path that exists (CD_EEXISTS:
 * a backup never replaces a file) and creates the temporary file
 * "path.partial-XXXXXX" beside it, 0600. CD_EIO naming the file when it
 * cannot be created. */
int cd_backup_writer_create(cd_backup_writer_t **out, const char *path,
                            char *err, size_t errlen);
/* The temporary file's name (for a signal handler that removes it). */
const char *cd_backup_writer_temp(const cd_backup_writer_t *w);
/* The header, once, first: must decode as a BackupHeader of format 1
 * (CD_ECORRUPT / CD_EINVAL otherwise). */
int cd_backup_writer_header(cd_backup_writer_t *w, const uint8_t *hdr,
                            size_t len, char *err, size_t errlen);
/* The next bytes of the data. */
int cd_backup_writer_data(cd_backup_writer_t *w, const uint8_t *p,
                          size_t len, char *err, size_t errlen);
/* The trailer: checked against the data received (its length and SHA-256;
 * CD_ECORRUPT naming what differs), then the file is completed, synced,
 * linked to the final path and synced in its directory. CD_EEXISTS when
 * a file took the final path meanwhile (the complete backup is then left
 * under the temporary name, which err gives). */
int cd_backup_writer_commit(cd_backup_writer_t *w, const uint8_t *trailer,
                            size_t len, char *err, size_t errlen);
/* Data bytes received so far, and (after a commit) their SHA-256 in hex. */
uint64_t cd_backup_writer_bytes(const cd_backup_writer_t *w);
const char *cd_backup_writer_sha256(const cd_backup_writer_t *w);
/* Frees w; unless committed (or kept, see commit), removes the temporary
 * file. NULL is a no-op. */
void cd_backup_writer_close(cd_backup_writer_t *w);

/* ---------------------------------------------------------------- reader */

typedef struct cd_backup_file {
	int fd;
	uint64_t size;
	uint32_t format;                      /* of the file */
	Clusters__V1__BackupHeader *header;   /* decoded */
	Clusters__V1__BackupTrailer *trailer; /* decoded */
	uint64_t data_off, data_len;
} cd_backup_file_t;

/* Opens path and checks its frame: the magic, the format, the lengths,
 * the end marker, the header and trailer decoding, the trailer's bytes
 * equal to the data's length. The checksums are cd_backup_file_verify's.
 * CD_ENOTFOUND for a missing file; CD_ECORRUPT for a file that is not a
 * backup, or is cut short or damaged (the message says which); CD_EINVAL
 * for a format this code does not know; CD_EIO for read errors. */
int cd_backup_file_open(cd_backup_file_t *f, const char *path, char *err,
                        size_t errlen);
/* Reads the file once: each run of data bytes goes to sink (NULL: none),
 * in order, and both checksums are checked at the end: the whole file's
 * and the data's. CD_ECORRUPT naming the one that failed; a sink's
 * non-zero return is returned as it is (err left to the sink). */
typedef int (*cd_backup_sink_fn)(void *arg, const uint8_t *p, size_t n,
                                 char *err, size_t errlen);
int cd_backup_file_verify(cd_backup_file_t *f, cd_backup_sink_fn sink,
                          void *arg, char *err, size_t errlen);
/* Closes the file and frees the decoded messages. */
void cd_backup_file_close(cd_backup_file_t *f);

/* The SHA-256 of n bytes, in lower-case hex (65 bytes with the NUL). */
int cd_backup_sha256_hex(const uint8_t *p, size_t n, char out[65]);

#endif
