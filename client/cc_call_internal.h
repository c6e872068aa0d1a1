/*
 * cc_call_internal — internals shared by the files of the client library.
 *
 * Thread-safety: pure helpers, safe from any thread.
 */
#ifndef CC_CALL_INTERNAL_H
#define CC_CALL_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>

#include <grpc/grpc.h>

#include "cc_client.h"

/* Fills st (may be NULL) and returns code, so error paths are one line. */
int cc_st_set(cc_status_t *st, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Channel credentials for o (cc_conn.c): insecure without TLS. *token
 * gets the metadata value "Bearer TOKEN" (caller frees) or NULL. On a
 * bad option or file returns CC_INVALID_ARGUMENT with err filled. */
int cc_conn_setup(const cc_conn_opts_t *o, grpc_channel_credentials **creds,
                  char **bearer, char *err, size_t errlen);

/* cc_call_unary decoding the response with alloc (NULL = protobuf-c's
 * default); free it the way alloc wants. */
int cc_call_unary_alloc(cc_client_t *c, const cc_opts_t *o,
                        const char *method, const ProtobufCMessage *req,
                        const ProtobufCMessageDescriptor *resp_desc,
                        ProtobufCAllocator *alloc, ProtobufCMessage **resp,
                        cc_status_t *st);

#endif
