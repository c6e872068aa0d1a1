/*
 * cd_status — the canonical names of the gRPC status codes ("NOT_FOUND"),
 * one table for the server's logs and the client's messages alike.
 *
 * Codes are plain ints (the values of grpc_status_code), so modules that do
 * not link gRPC can name a status too.
 *
 * Thread-safety: pure functions, safe from any thread.
 */
#ifndef CD_STATUS_H
#define CD_STATUS_H

/* Upper-case name of a gRPC status code, or NULL for a code outside the
 * 17 that gRPC defines (callers pick their own fallback text). */
const char *cd_status_name(int code);

#endif
