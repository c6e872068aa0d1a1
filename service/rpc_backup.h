/*
 * rpc_backup — Backup of clusters.v1.AdminService: a consistent,
 * compacted copy of the whole store streamed to an admin while writes go
 * on (docs/operations.md, "Back up and restore").
 *
 * Each backup runs on a thread of its own (never on a completion-queue
 * thread): it opens a store backup stream (store_backup_open: the copy's
 * snapshot, with its counts and data version), records the audit event,
 * then sends a BackupHeader, the copy in data chunks of at most
 * RPC_BACKUP_CHUNK bytes with one message in flight (a slow reader slows
 * the copy, which waits on its pipe), and a BackupTrailer with the bytes
 * and their SHA-256. The trailer goes only once the audit event is
 * durable, so no complete backup leaves without its event. A client that
 * cancels (or a send that fails), or that takes no message for stall_ms,
 * stops the copy: the stream is closed, the copy's thread joined, its
 * reader slot released.
 *
 * rpc_backups_t is one server's account of those threads: at most a
 * configured number at once (more are RESOURCE_EXHAUSTED), and a drain for
 * shutdown. srv creates it with srv_env_t.
 *
 * Thread-safety: the handler runs on a completion-queue thread, the
 * backup on its own thread; rpc_backups_drain from the controlling
 * thread, after the transport stopped taking calls and before it is
 * destroyed (send completions are delivered by its threads).
 */
#ifndef RPC_BACKUP_H
#define RPC_BACKUP_H

#include <stddef.h>

#include "rpc_method.h"

/* Data bytes per BackupChunk: well under gRPC's 4 MiB default receive
 * limit. */
#define RPC_BACKUP_CHUNK (1u << 20)

typedef struct rpc_backups rpc_backups_t;

/* Default of stall_ms: a client that takes no message for a minute. */
#define RPC_BACKUP_STALL_MS 60000u

/* max: backups at once (1..). stall_ms: a backup whose client has not
 * taken a message for this long is cancelled (DEADLINE_EXCEEDED): while
 * it waits it holds its snapshot and the map's shared lock, and with them
 * every write that needs the map to grow (0 = RPC_BACKUP_STALL_MS). */
int rpc_backups_create(rpc_backups_t **out, unsigned max, unsigned stall_ms,
                       char *err, size_t errlen);
/* Refuses new backups (UNAVAILABLE) and waits until every backup thread
 * has ended. NULL is a no-op. */
void rpc_backups_drain(rpc_backups_t *b);
/* Drains (if not done yet) and frees. NULL is a no-op. */
void rpc_backups_destroy(rpc_backups_t *b);

void rpc_backup(rpc_call_t *c);

#endif
