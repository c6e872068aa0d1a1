/*
 * rpc_tls — clusterd's TLS material: the server certificate chain and key
 * (--tls-cert, --tls-key) and, for mutual TLS, the CAs that client
 * certificates must chain to (--tls-client-ca); and the gRPC server
 * credentials built on them (docs/security.md).
 *
 * Every file is read and checked before it is used: it must exist and be a
 * regular file, the key file must not be readable or writable by group or
 * others (mode & 077 == 0), every PEM block must parse, the key must match
 * the certificate, and the client CA file must hold at least one
 * certificate. A refusal is one line naming the flag, the file and why.
 *
 * Rotation: rpc_tls_reload rereads the files and, when they pass the same
 * checks, makes them current; gRPC's certificate config fetcher (which
 * runs at each new connection's handshake) then hands the new config to
 * gRPC once. Connections already open keep the certificate they were
 * made with. Bad files leave the current ones in force.
 *
 * Thread-safety: create and destroy from one controlling thread;
 * rpc_tls_reload from any thread; the fetcher runs on gRPC's threads, and
 * all of them share one mutex around the current material. One
 * rpc_tls_t serves one server (one grpc_server_add_http2_port).
 */
#ifndef RPC_TLS_H
#define RPC_TLS_H

#include <stddef.h>

#include <grpc/grpc_security.h>

typedef struct rpc_tls rpc_tls_t;

typedef struct rpc_tls_opts {
	const char *cert_file;       /* PEM chain, server's first */
	const char *key_file;        /* PEM private key, mode 0600 or less */
	const char *client_ca_file;  /* NULL or "": no client certificates */
} rpc_tls_opts_t;

/* Largest PEM file read (a CA bundle of a few hundred certificates). */
#define RPC_TLS_FILE_MAX (4u << 20)

/* Checks the flags' combination and the files as rpc_tls_create would,
 * keeping nothing. CD_EINVAL with a one-line message on a refusal. */
int rpc_tls_check(const rpc_tls_opts_t *o, char *err, size_t errlen);

/* Reads and checks the files. The result owns copies of the paths. */
int rpc_tls_create(rpc_tls_t **out, const rpc_tls_opts_t *o, char *err,
                   size_t errlen);

/* NULL is a no-op. Call after the server using its credentials is
 * destroyed. */
void rpc_tls_destroy(rpc_tls_t *t);

/* 1 when client certificates are required and verified. */
int rpc_tls_mutual(const rpc_tls_t *t);

/* New server credentials (the caller releases them) whose certificate
 * config fetcher reads t; t must outlive the server they are given to. */
grpc_server_credentials *rpc_tls_server_credentials(rpc_tls_t *t);

/* Rereads the files. CD_OK: they are current from the next handshake on.
 * Else the current ones stay, and err says why. */
int rpc_tls_reload(rpc_tls_t *t, char *err, size_t errlen);

/* How many times the fetcher has handed gRPC a config (1 after start-up,
 * one more per reload taken up by a handshake); for tests and the log. */
unsigned rpc_tls_generation(rpc_tls_t *t);

#endif
