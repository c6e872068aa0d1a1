/*
 * rpc_registry — handlers of clusters.v1.ClusterRegistry. Thin: decode,
 * validate, hand writes to the group committer (srv_commit) or read the
 * store, encode, and report failures through rpc_status. ImportClusters
 * and ExportClusters have modules of their own (rpc_import, rpc_export).
 *
 * Thread-safety: handlers run on completion-queue threads; write replies
 * are sent from the committer's thread.
 */
#ifndef RPC_REGISTRY_H
#define RPC_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "rpc_method.h"

void rpc_registry_create(rpc_call_t *c);
void rpc_registry_get(rpc_call_t *c);
void rpc_registry_update(rpc_call_t *c);
void rpc_registry_delete(rpc_call_t *c);
void rpc_registry_list(rpc_call_t *c);

/* The economy filter of ListClusters and ExportClusters, normalised in
 * place: stored economy codes are upper case, so "de" means "DE". Then
 * checked like a stored code (CD_EV_ECONOMY naming the ISO code meant for
 * an alias such as "UK"); err names field. NULL or "" is no filter. */
int rpc_registry_economy_filter(char *economy, const char *field, char *err,
                                size_t errlen);

/* The field a validation message names ("indicators[3].year: ..." gives
 * "indicators[3].year"), or "" when it names none. */
void rpc_registry_field(const char *msg, char *field, size_t cap);

/* The bytes of the length-delimited field `field` inside the packed message
 * buf (a sub-message as its sender encoded it), with its length in
 * *sub_len; NULL when the field is absent, appears more than once (a
 * decoder would merge the occurrences) or buf is malformed. */
const uint8_t *rpc_registry_sub_message(const uint8_t *buf, size_t len,
                                        unsigned field, size_t *sub_len);

#endif
