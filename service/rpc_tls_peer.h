/*
 * rpc_tls_peer — who a call's client certificate says the client is.
 *
 * With mutual TLS (--tls-client-ca) gRPC verifies the client's
 * certificate during the handshake and keeps what it found in the call's
 * auth context. The principal is the certificate's subject common name
 * (CN) when it has one, else its first subject alternative name (SAN, a
 * DNS name, URI, e-mail or IP address as gRPC lists them). The CN wins
 * because client certificates made for people and services name them
 * there, while SANs mostly carry host names.
 *
 * Thread-safety: any thread, on a call the caller holds.
 */
#ifndef RPC_TLS_PEER_H
#define RPC_TLS_PEER_H

#include <stddef.h>

#include <grpc/grpc.h>

/* The principal of call's verified client certificate into out (NUL-
 * terminated). CD_OK; CD_ENOTFOUND (out = "") when the call came without
 * a verified certificate (plaintext, TLS without mutual TLS); CD_ELIMIT
 * (out = "") when the name does not fit in cap or holds a NUL byte. */
int rpc_tls_peer_principal(grpc_call *call, char *out, size_t cap);

#endif
