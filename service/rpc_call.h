/*
 * rpc_call — one server call and its state machine on gRPC core: the
 * request it came with, at most one receive and one send in flight, the
 * final status, and the close notice that tells of cancellation. Handlers
 * use this API only; they never touch grpc_call.
 *
 * Ownership: the transport creates calls and holds a reference while a
 * handler runs; every started batch holds one more. Work that outlives the
 * handler (a queued commit, a health watch) takes its own reference with
 * rpc_call_ref and drops it with rpc_call_unref.
 *
 * Thread-safety: all events of one call are delivered on one completion-
 * queue thread, so a handler and its recv/sent/close callbacks never run at
 * the same time. rpc_call_finish, rpc_call_send, rpc_call_recv and the
 * accessors may be called from any thread, but the caller must keep the
 * contract: one receive and one send outstanding at most, nothing after the
 * finish, and no finish while a send is outstanding.
 */
#ifndef RPC_CALL_H
#define RPC_CALL_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "rpc_method.h"

typedef enum rpc_recv_result {
	RPC_RECV_MSG = 0,  /* a message: buf/len valid during the callback */
	RPC_RECV_END,      /* the client half-closed: no more messages */
	RPC_RECV_FAIL,     /* cancelled, cut off or the message was refused */
} rpc_recv_result;

typedef void (*rpc_recv_fn)(rpc_call_t *c, rpc_recv_result res,
                            const uint8_t *buf, size_t len);
/* ok = 0 when the message could not be sent (the call is gone). */
typedef void (*rpc_sent_fn)(rpc_call_t *c, int ok);
typedef void (*rpc_close_fn)(rpc_call_t *c);

const rpc_method_t *rpc_call_method(const rpc_call_t *c);

/* What the server was created with for handlers (see srv.h: srv_env_t). */
void *rpc_call_env(const rpc_call_t *c);

/* The request message of a unary or server-streaming call; valid until
 * the call is freed. */
const uint8_t *rpc_call_request(const rpc_call_t *c, size_t *len);

/* Decodes the request with desc; NULL when the bytes do not decode, in which
 * case the call has been failed with INVALID_ARGUMENT already. Free the
 * result with protobuf_c_message_free_unpacked(msg, NULL). */
ProtobufCMessage *rpc_call_decode(rpc_call_t *c,
                                  const ProtobufCMessageDescriptor *desc);

/* The principal the call was authenticated as (docs/security.md): the
 * name from the tokens file or the client certificate; "anonymous" when
 * the server runs without authentication. Valid until the call is freed;
 * never NULL. */
const char *rpc_call_principal(const rpc_call_t *c);

/* The principal's roles (RPC_ROLE_* bits, rpc_method.h), each with what
 * it includes (rpc_auth_effective): reader, editor and admin when the
 * server runs without authentication. */
unsigned rpc_call_roles(const rpc_call_t *c);

/* 1 when the caller may see and write only its own assessments (a judge;
 * rpc_auth_blinded). */
int rpc_call_blinded(const rpc_call_t *c);

/* 1 once the client cancelled, the connection broke or the deadline
 * passed: stop producing work for this call. */
int rpc_call_cancelled(const rpc_call_t *c);

/* Cancels the call now, from any thread: the client gets the status for
 * cd_code with msg, and batches under way (a send) complete failed. The
 * call must still be ended as usual (rpc_call_fail), which then reaches
 * nobody. For work that must not wait on a client any longer. */
void rpc_call_cancel(rpc_call_t *c, int cd_code, const char *msg);

/* Handler state, freed with free_fn when the call is freed. */
void rpc_call_set_ctx(rpc_call_t *c, void *ctx, void (*free_fn)(void *));
void *rpc_call_ctx(const rpc_call_t *c);

/* Called (on the call's thread) when the call is over for whatever reason:
 * finished, cancelled, or its deadline passed. */
void rpc_call_on_close(rpc_call_t *c, rpc_close_fn fn);

void rpc_call_ref(rpc_call_t *c);
void rpc_call_unref(rpc_call_t *c);

/* Asks for the next message of a client stream; fn runs once. */
int rpc_call_recv(rpc_call_t *c, rpc_recv_fn fn);

/* Sends one stream message; takes msg (malloc'd, freed by the transport).
 * fn (may be NULL) runs once the message left, or failed to. */
int rpc_call_send(rpc_call_t *c, uint8_t *msg, size_t len, rpc_sent_fn fn);
/* Packs m and sends it. */
int rpc_call_send_msg(rpc_call_t *c, const ProtobufCMessage *m,
                      rpc_sent_fn fn);

/* A bidirectional stream answered one request at a time
 * (RPC_BIDI_STREAM): the transport receives a request, hands it to fn,
 * sends the reply fn gives in *resp (malloc'd, taken; NULL with
 * *resp_len 0 sends an empty message), and asks for the next request only
 * once that reply has left: one message in flight either way, so a client
 * that stops reading stops the server reading (HTTP/2 flow control holds
 * it back) and memory stays bounded. When the client half-closes, the call
 * ends OK. When it cancels, the connection breaks, the deadline passes or
 * a request is over the receive limit (gRPC has then answered
 * RESOURCE_EXHAUSTED), the call ends CANCELLED or DEADLINE_EXCEEDED
 * without another message. At shutdown the call ends UNAVAILABLE
 * ("server is shutting down"): at once when it waits for a request, else
 * once its answer has left (rpc_call_end_answering). fn returning a cd_err
 * code other than CD_OK ends the call with that status and its message
 * from err (a failure of the server, not of the request: a request the
 * method cannot answer gets an answer that says so). fn runs on the
 * call's queue thread, never twice at once for a call. Call it once, from
 * the handler. */
typedef int (*rpc_answer_fn)(rpc_call_t *c, const uint8_t *req, size_t len,
                             uint8_t **resp, size_t *resp_len, char *err,
                             size_t errlen);
void rpc_call_answer_each(rpc_call_t *c, rpc_answer_fn fn);

/* Ends the call: the optional last message (has_resp; resp malloc'd or
 * NULL when len is 0, taken by the transport), then the status for the
 * cd_err code cd_code (rpc_status_from_cd: the one mapping, also for the
 * transport's own statuses). msg is sent as it is: use rpc_call_fail for
 * text that may quote client input. */
void rpc_call_end(rpc_call_t *c, int cd_code, const char *msg, int has_resp,
                  uint8_t *resp, size_t len);
/* OK with this response message (packed here). */
void rpc_call_reply(rpc_call_t *c, const ProtobufCMessage *m);
/* OK with already packed bytes (taken). */
void rpc_call_reply_packed(rpc_call_t *c, uint8_t *resp, size_t len);
/* A large reply built in place: rpc_call_buf_alloc gives room for len
 * bytes from a small pool of blocks the server keeps mapped from call to
 * call (NULL when out of memory); rpc_call_reply_buf sends the first len
 * bytes as the OK response without copying them, and the block goes back
 * to the pool once gRPC has written it. rpc_call_buf_free returns a block
 * that is not sent. Any thread. */
uint8_t *rpc_call_buf_alloc(size_t len);
void rpc_call_buf_free(uint8_t *buf);
void rpc_call_reply_buf(rpc_call_t *c, uint8_t *buf, size_t len);
/* The status for a cd_err code (rpc_status_from_cd), msg as the details,
 * cleaned to valid UTF-8 ("failed (CODE)" when msg is empty). */
void rpc_call_fail(rpc_call_t *c, int cd_code, const char *msg);

/* As rpc_call_fail, naming the offending field by its path in the request
 * (as cd_wire_check gives it: "cluster.indicators[2].name"); NULL or ""
 * = the field msg starts with. For INVALID_ARGUMENT (and rpc_call_fail
 * does the same) the trailer "grpc-status-details-bin" carries a packed
 * google.rpc.Status (code, msg, and a google.rpc.BadRequest with one field
 * violation: the field's path in the request, resolved with
 * rpc_call_field_resolve, and msg after the path), so that clients in any
 * language can point at the field; no violation when the field is not one
 * of the request's. */
void rpc_call_fail_field(rpc_call_t *c, int cd_code, const char *field,
                        const char *msg);

/* The field a message names ("indicators[3].year: 1700 is outside ..."
 * gives "indicators[3].year"): the text before the first ": " when it
 * holds no space; else "". */
void rpc_call_msg_field(const char *msg, char *field, size_t cap);

/* path (as a message names it) as a path in a request of type desc, into
 * out: unchanged when its first name is a field of the request; with the
 * name of the request's message field in front when it is a field of that
 * message instead ("indicators[2].name" in an UpdateClusterRequest gives
 * "cluster.indicators[2].name"). 0 (and "") when it is neither, or desc is
 * NULL. */
int rpc_call_field_resolve(const ProtobufCMessageDescriptor *desc,
                           const char *path, char *out, size_t cap);

/* The packed google.rpc.Status {code, msg, details: [Any(BadRequest {
 * field_violations: [{field, description}]})]} into *out (free());
 * without details when field is NULL or "". CD_OK or CD_ENOMEM. */
int rpc_call_status_details(int code, const char *msg, const char *field,
                            const char *description, uint8_t **out,
                            size_t *len);

/* When rc is not CD_OK: fails the call with err, frees req (may be NULL)
 * and returns 1; else returns 0. Keeps handlers' checks to one line. */
int rpc_call_refuse(rpc_call_t *c, int rc, const char *err,
                    ProtobufCMessage *req);

/* The List methods' page_size rule: not negative (0 means the default). */
int rpc_call_page_size(int32_t page_size, char *err, size_t errlen);

#endif
