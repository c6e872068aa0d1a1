/*
 * rpc_status — the one translation of the project's cd_err codes into gRPC
 * status codes. Every handler reports failures through it, so a client sees
 * the same status for the same cause whichever method it called.
 *
 * Thread-safety: pure functions, safe from any thread.
 */
#ifndef RPC_STATUS_H
#define RPC_STATUS_H

#include <stddef.h>

#include <grpc/status.h>

/* The gRPC status for a cd_err code; unknown codes give GRPC_STATUS_UNKNOWN. */
grpc_status_code rpc_status_from_cd(int code);

/* The cd_err code that rpc_status_from_cd maps to the gRPC status `code`
 * (one of several where several map to it: INTERNAL gives CD_EINTERNAL,
 * INVALID_ARGUMENT CD_EINVAL), for a stored status (a run's error) that
 * ends a call. */
int rpc_status_to_cd(int code);

/* Copies s into out (cap bytes) as text a status message may carry: valid
 * UTF-8 without control characters, each bad byte replaced by '?'. */
void rpc_status_clean(const char *s, char *out, size_t cap);

/* Canonical upper-case name ("NOT_FOUND"); never NULL. */
const char *rpc_status_name(grpc_status_code code);

#endif
