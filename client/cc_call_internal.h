/*
 * cc_call_internal — internals shared by the files of the client library.
 *
 * Thread-safety: pure helpers, safe from any thread.
 */
#ifndef CC_CALL_INTERNAL_H
#define CC_CALL_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
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

/* A call another thread may cancel (cc_standings.c: the pager's fetch
 * thread, cancelled by close). Initialise mu; call and cancelled 0. */
typedef struct cc_inflight {
	pthread_mutex_t mu;
	grpc_call *call;     /* the call under way, or NULL */
	int cancelled;       /* cancels the current call and any later one */
} cc_inflight_t;
void cc_inflight_cancel(cc_inflight_t *fl);

/* The unary call, the response left undecoded: CC_OK and *resp (a byte
 * buffer to destroy) or the status. fl NULL = not cancellable. */
int cc_call_unary_raw(cc_client_t *c, const cc_opts_t *o, const char *method,
                      const ProtobufCMessage *req, cc_inflight_t *fl,
                      grpc_byte_buffer **resp, cc_status_t *st);

/* Copies bb's bytes into *buf (grown as needed, *cap its size, kept from
 * call to call); *len the bytes. 0, or -1 when out of memory. */
int cc_bb_copy(grpc_byte_buffer *bb, uint8_t **buf, size_t *cap,
               size_t *len);

#endif
