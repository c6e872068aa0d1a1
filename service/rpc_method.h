/*
 * rpc_method — the method table: every method clusterd serves, with its
 * full path, its service, its streaming shape and its handler. protoc-c's
 * descriptors carry no streaming flags, so the shape is declared here; the
 * transport registers each entry and dispatches by it. Adding a method is
 * adding an entry; an entry without a handler answers UNIMPLEMENTED, and
 * one without a role is refused to every caller (docs/security.md, "Roles":
 * the table there and this one are checked against each other by tests).
 *
 * Thread-safety: constant data.
 */
#ifndef RPC_METHOD_H
#define RPC_METHOD_H

#include <stddef.h>

typedef struct rpc_call rpc_call_t;

/* Roles (docs/security.md). A principal holds a set of them; each
 * includes what the ones below it may do: admin > editor > reader, and
 * judge > reader for reads (but judges see only their own assessments). */
#define RPC_ROLE_READER 0x1u
#define RPC_ROLE_EDITOR 0x2u
#define RPC_ROLE_JUDGE 0x4u
#define RPC_ROLE_ADMIN 0x8u
#define RPC_ROLE_ALL 0xfu
/* As a method's requirement only: callable without credentials. */
#define RPC_ROLE_OPEN 0x100u

typedef enum rpc_shape {
	RPC_UNARY = 0,
	RPC_CLIENT_STREAM,  /* request stream, one response */
	RPC_SERVER_STREAM,  /* one request, response stream */
	RPC_BIDI_STREAM,    /* request stream and response stream */
} rpc_shape;

/* 1 when the handler reads the requests itself (rpc_call_recv): client
 * streams and bidirectional streams; else the request arrives with the
 * call. */
#define RPC_SHAPE_READS(s) ((s) == RPC_CLIENT_STREAM || (s) == RPC_BIDI_STREAM)

/* Runs on a completion-queue thread once the call (and, unless the shape
 * is RPC_CLIENT_STREAM or RPC_BIDI_STREAM, its request message) has
 * arrived. It must end the
 * call sooner or later with rpc_call_finish or rpc_call_fail, possibly from
 * another thread. */
typedef void (*rpc_handler_fn)(rpc_call_t *call);

typedef struct rpc_method {
	const char *path;     /* "/clusters.v1.ClusterRegistry/GetCluster" */
	const char *service;  /* "clusters.v1.ClusterRegistry" */
	rpc_shape shape;
	rpc_handler_fn handler;  /* NULL: UNIMPLEMENTED, "not implemented yet" */
	/* Unary calls whose handler runs long enough to want to learn of a
	 * client's cancellation while it runs (streams always do). Others
	 * learn of it with their final batch, which saves a batch and a
	 * completion per call. */
	int watch_close;
	/* The role a caller needs: one RPC_ROLE_* bit, or RPC_ROLE_OPEN.
	 * 0 = not decided, which refuses every call (fail closed). */
	unsigned role;
	/* 1: a judge without the role may call it for its own assessments
	 * only (UpdateCluster; rpc_judge.h). */
	int judge_own;
	/* 1: the method changes the store; a read-only replica refuses it
	 * with FAILED_PRECONDITION naming the primary (docs/operations.md). */
	int writes;
} rpc_method_t;

/* The table, in a fixed order; *n gets its length. */
const rpc_method_t *rpc_method_table(size_t *n);

/* Fully-qualified names of the services in the table, each once (for
 * health, and reflection's list_services). */
const char *const *rpc_service_names(size_t *n);

#endif
