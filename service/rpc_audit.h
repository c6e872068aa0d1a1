/*
 * rpc_audit — the handler of clusters.v1.AuditService: ListAuditEvents
 * reads the audit trail the store appends with every write
 * (docs/audit.md). Nothing here writes it: the trail is append-only
 * through the API. The method is for the admin role.
 *
 * Thread-safety: handlers run on completion-queue threads.
 */
#ifndef RPC_AUDIT_H
#define RPC_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "rpc_method.h"

void rpc_audit_list(rpc_call_t *c);

/* A google.protobuf.Timestamp's seconds and nanos as ns since 1970 into
 * *ns (saturating past 2262), checked as the request field `field`:
 * nanos outside 0..999999999, a time before 1970 or after 9999 are
 * CD_EINVAL naming it. */
int rpc_audit_time_ns(int64_t seconds, int32_t nanos, const char *field,
                      int64_t *ns, char *err, size_t errlen);

#endif
