/*
 * rpc_write — a unary call whose work is one store operation: the
 * operation goes to the group committer, and the reply goes out from the
 * committer's thread once the transaction holding it is durable. Shared by
 * the ClusterRegistry and CompetitionService write methods.
 *
 * Thread-safety: rpc_write_submit is called from the call's handler; the
 * reply is sent from the committer thread, which the call's reference
 * keeps alive until then.
 */
#ifndef RPC_WRITE_H
#define RPC_WRITE_H

#include <protobuf-c/protobuf-c.h>

#include "rpc_call.h"
#include "store.h"

/* Names c's principal (rpc_call_principal) and method ("CreateCluster",
 * the last part of its path) in op, for the audit event the store appends
 * with the write (docs/audit.md). Both live as long as c. */
void rpc_write_audit(rpc_call_t *c, store_op_t *op);

/* Commits a copy of op for c, audited as c's (rpc_write_audit) unless op
 * names a method already. req (freed once the reply is sent) owns
 * whatever op borrows. The reply: the stored record's bytes when op asked
 * for them (want_packed), else the decoded record (want_result), or an
 * empty message for a delete; the op's failure otherwise. */
void rpc_write_submit(rpc_call_t *c, ProtobufCMessage *req,
                      const store_op_t *op);

/* The Delete methods: checks id (INVALID_ARGUMENT naming "id"), then
 * commits a delete of that kind with etag as its precondition (NULL or ""
 * = none). req owns id and etag, as for rpc_write_submit. */
void rpc_write_delete(rpc_call_t *c, ProtobufCMessage *req,
                      store_op_kind kind, const char *id, const char *etag);

#endif
