/*
 * rpc_auth — who a call is made as, and what it may do (docs/security.md).
 *
 * The tokens file names every principal: one line per principal with the
 * SHA-256 of its bearer token (or "-" for a client certificate only), its
 * name and its roles. Tokens are long random strings, so a plain hash is
 * enough; the server keeps only hashes, and compares a presented token's
 * hash with every entry in constant time. The same name, presented by a
 * client certificate, gets the same roles.
 *
 * The check runs in clusterd's own dispatch (rpc_call.c) and not in gRPC's
 * auth metadata processor: connections reach gRPC through
 * grpc_server_add_channel_from_fd, where gRPC's server auth filter does not
 * run, so one check there covers every transport.
 *
 * Ownership: rpc_auth_create / rpc_auth_destroy. Thread-safety: lookups
 * (rpc_auth_token, rpc_auth_name) may run on any thread at any time,
 * also while rpc_auth_reload swaps the table (a reader-writer lock:
 * lookups never see half a table). The pure helpers are safe anywhere.
 */
#ifndef RPC_AUTH_H
#define RPC_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include <grpc/grpc.h>

#include "rpc_method.h"

#define RPC_AUTH_NAME_MAX 128      /* [A-Za-z0-9._@-]{1,128} */
#define RPC_AUTH_HASH_LEN 32       /* SHA-256 */
#define RPC_AUTH_TOKEN_MAX 4096    /* longer bearer tokens are refused */

typedef struct rpc_auth rpc_auth_t;

/* Who a call is made as. */
typedef struct rpc_auth_who {
	char name[RPC_AUTH_NAME_MAX + 1];
	unsigned roles;                 /* RPC_ROLE_* bits, as declared */
} rpc_auth_who_t;

/* Loads the tokens file at path. Refused (CD_EINVAL, or CD_EIO when it
 * cannot be read, with one line naming the file and, for its content, the
 * line number): a missing file, one that is not a regular file, one that
 * group or others may read or write (mode & 077), a malformed line, an
 * unknown role, a duplicate name or a duplicate hash. */
int rpc_auth_create(rpc_auth_t **out, const char *path, char *err,
                    size_t errlen);
/* NULL is a no-op. No lookup may be running. */
void rpc_auth_destroy(rpc_auth_t *a);

/* Reads the file again and swaps the table in; on any refusal the table
 * in use stays and err says why. Lookups go on meanwhile. */
int rpc_auth_reload(rpc_auth_t *a, char *err, size_t errlen);

/* Principals in the table in use. */
size_t rpc_auth_count(rpc_auth_t *a);

/* The principal whose token this is: CD_OK and *who, or CD_EUNAUTH. Every
 * entry is compared (CRYPTO_memcmp, no early exit). */
int rpc_auth_token(rpc_auth_t *a, const char *token, size_t len,
                   rpc_auth_who_t *who);

/* The principal of that name (a client certificate's): CD_OK or
 * CD_EUNAUTH. */
int rpc_auth_name(rpc_auth_t *a, const char *name, rpc_auth_who_t *who);

/* Who a call with request headers md, and cert (the client certificate's
 * name; NULL when none), is made as, and whether it may call m (NULL: a
 * method not in the table, which needs a known principal only). A bearer
 * token, when the "authorization" header is there, decides; else the
 * certificate. CD_OK with *who; else CD_EUNAUTH ("missing credentials:
 * send authorization: Bearer <token>", "unknown token") or CD_EPERM
 * (rpc_auth_permit's message) in err, who then naming the principal when
 * one was known. An open method (health) is CD_OK whatever the
 * credentials: who is the principal when they were good, else name "" and
 * no roles. */
int rpc_auth_check(rpc_auth_t *a, const grpc_metadata_array *md,
                   const char *cert, const rpc_method_t *m,
                   rpc_auth_who_t *who, char *err, size_t errlen);

/* The token inside an authorization header value "Bearer <token>" (the
 * scheme in any case, one or more spaces): CD_OK with *tok pointing into
 * value, or CD_EUNAUTH. */
int rpc_auth_bearer(const char *value, size_t len, const char **tok,
                    size_t *toklen);

/* SHA-256 of the token as 64 lower-case hex digits (out: 65 bytes).
 * CD_OK, or CD_EINTERNAL when libcrypto fails. */
int rpc_auth_hash_hex(const void *token, size_t len, char *out);

/* Roles with what each includes: admin adds editor, editor and judge add
 * reader. */
unsigned rpc_auth_effective(unsigned roles);

/* "reader,judge" into RPC_ROLE_* bits: 0 or -1 (unknown or empty role). */
int rpc_auth_roles_parse(const char *s, size_t len, unsigned *out);
/* The bits as "reader,judge" ("none" for 0). */
void rpc_auth_roles_format(unsigned roles, char *out, size_t cap);
/* One role bit's name ("reader"); "open" for RPC_ROLE_OPEN. */
const char *rpc_auth_role_name(unsigned role);

/* Whether a principal with roles (as declared) may call m: CD_OK, or
 * CD_EPERM with "GetCluster needs role reader; alice has judge" in err.
 * A method whose role is 0 is refused to everyone. A judge may call a
 * judge_own method; the handler restricts what it does. */
int rpc_auth_permit(const rpc_method_t *m, const char *name, unsigned roles,
                    char *err, size_t errlen);

/* 1 when a principal with these roles sees only its own assessments: a
 * judge without editor or admin (who may write every assessment, so hiding
 * them would protect nothing). */
int rpc_auth_blinded(unsigned roles);

#endif
