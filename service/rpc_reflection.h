/*
 * rpc_reflection — gRPC server reflection (grpc.reflection.v1 and its
 * older name grpc.reflection.v1alpha, the same messages on the wire):
 * which services the server has, and the FileDescriptorProtos that define
 * them, so that tools (grpcurl, Postman, grpc-js-reflection-client) can
 * build requests without .proto files.
 *
 * The answers come from a FileDescriptorSet embedded at build time
 * (proto/CMakeLists.txt: protoc --include_imports, then bin2c.cmake) and
 * indexed once at start-up (rpc_refl_t): every file by name, every symbol
 * by its fully-qualified name (messages and nested messages, enums and
 * their values, fields, oneofs, services, methods, extensions), every
 * extension by the type it extends and its number. A file is answered with
 * its serialized FileDescriptorProto as the set holds it (not re-encoded)
 * followed by every file it imports, transitively (as gRPC's C++ server
 * does), so that a client can build a request from one answer.
 *
 * The method (ServerReflectionInfo) is a bidirectional stream: each
 * request gets one response, in order (rpc_call_answer_each); a question
 * the server cannot answer gets a response with error_response set (code
 * and message), and the stream goes on.
 *
 * Thread-safety: an rpc_refl_t is immutable once created; every function
 * taking a const one may be called from any thread.
 */
#ifndef RPC_REFLECTION_H
#define RPC_REFLECTION_H

#include <stddef.h>
#include <stdint.h>

#include "rpc_method.h"

typedef struct rpc_refl rpc_refl_t;

/* What a symbol names. */
typedef enum rpc_refl_kind {
	RPC_REFL_MESSAGE = 1,
	RPC_REFL_ENUM,
	RPC_REFL_ENUM_VALUE,
	RPC_REFL_FIELD,
	RPC_REFL_ONEOF,
	RPC_REFL_SERVICE,
	RPC_REFL_METHOD,
	RPC_REFL_EXTENSION,
} rpc_refl_kind;

/* Indexes set[0..len) (a serialized google.protobuf.FileDescriptorSet,
 * which must outlive the index: answers point into it), listing services
 * (fully-qualified names; each must be defined by a file of the set) in
 * list_services answers, in the order given. CD_EINVAL when the set does
 * not parse, a file imports one the set lacks, a name is defined twice,
 * or a service is missing; CD_ENOMEM. */
int rpc_refl_create(rpc_refl_t **out, const uint8_t *set, size_t len,
                    const char *const *services, size_t nservices,
                    char *err, size_t errlen);
void rpc_refl_destroy(rpc_refl_t *r);

/* The index of the descriptor set built into clusterd, listing the
 * services of the method table (rpc_service_names). */
int rpc_refl_create_builtin(rpc_refl_t **out, char *err, size_t errlen);

size_t rpc_refl_file_count(const rpc_refl_t *r);
/* File i's name ("clusters/v1/clusters.proto") and serialized bytes. */
const char *rpc_refl_file_name(const rpc_refl_t *r, size_t i);
const uint8_t *rpc_refl_file_bytes(const rpc_refl_t *r, size_t i,
                                   size_t *len);

/* The file named name: its index, or -1. */
long rpc_refl_file_by_name(const rpc_refl_t *r, const char *name);

/* The file defining the fully-qualified symbol ("clusters.v1.Cluster",
 * "clusters.v1.ClusterRegistry.GetCluster", no leading dot): its index, or
 * -1; *kind (may be NULL) gets what the symbol is. */
long rpc_refl_file_of_symbol(const rpc_refl_t *r, const char *symbol,
                             rpc_refl_kind *kind);

/* A method's streaming shape as its file declares it ("pkg.Service.Method"):
 * CD_OK, or CD_ENOTFOUND when it is no method. */
int rpc_refl_method_shape(const rpc_refl_t *r, const char *method,
                          int *client_streaming, int *server_streaming);

/* The file declaring the extension of message type `type` with field
 * number `number`: its index, or -1 (*type_known says whether `type` is a
 * message of the set). */
long rpc_refl_file_of_extension(const rpc_refl_t *r, const char *type,
                                int32_t number, int *type_known);

/* The field numbers of every extension of message type `type`, ascending,
 * into out[0..cap) (*n gets how many there are). CD_ENOTFOUND when `type`
 * is not a message of the set. */
int rpc_refl_extension_numbers(const rpc_refl_t *r, const char *type,
                               int32_t *out, size_t cap, size_t *n);

/* File i followed by every file it imports, transitively, each once,
 * depth first in import order (gRPC's C++ server's order), into
 * out[0..cap); returns how many (at most rpc_refl_file_count). */
size_t rpc_refl_file_closure(const rpc_refl_t *r, size_t i, size_t *out,
                             size_t cap);

/* The services list_services answers with. */
const char *const *rpc_refl_services(const rpc_refl_t *r, size_t *n);

/* One request of the stream, req[0..len) (a ServerReflectionRequest,
 * v1 or v1alpha: the same bytes), to its packed response in *resp
 * (malloc'd, caller frees). Questions that cannot be answered (unknown
 * file or symbol, a request that does not decode, asks nothing, or asks
 * what this server does not know) give a response with error_response:
 * NOT_FOUND, INVALID_ARGUMENT or UNIMPLEMENTED and a message. CD_OK, or
 * CD_ENOMEM. */
int rpc_refl_answer(const rpc_refl_t *r, const uint8_t *req, size_t len,
                    uint8_t **resp, size_t *resp_len);

/* Handler: /grpc.reflection.v1.ServerReflection/ServerReflectionInfo and
 * /grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo. */
void rpc_reflection_info(rpc_call_t *c);

#endif
