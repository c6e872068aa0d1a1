/*
 * srv — clusterd as a library: opens the store, starts the group committer,
 * health and the gRPC transport from a cfg_t, waits for a stop request or a
 * signal, and shuts down in order (NOT_SERVING, stop accepting, grace
 * period, cancel, drain, close the store). main() is a thin wrapper around
 * it; tests and benchmarks embed it the same way.
 *
 * Thread-safety: srv_stop may be called from any thread and from a signal
 * handler; everything else from one controlling thread.
 */
#ifndef SRV_H
#define SRV_H

#include <stddef.h>

#include "cfg.h"
#include "srv_env.h"

typedef struct srv srv_t;

/* What start-up refuses before anything is opened: the tokens file
 * (missing, readable by others, malformed). Lets main tell a refused
 * configuration (exit status 2) from a failure to serve (1); srv_create
 * checks the same again. */
int srv_check_config(const cfg_t *cfg, char *err, size_t errlen);

/* Starts serving. Calls grpc_init (balanced in srv_destroy); do not fork
 * afterwards. */
int srv_create(srv_t **out, const cfg_t *cfg, char *err, size_t errlen);

/* The bound port, and "host:port" with it. */
int srv_port(const srv_t *s);
const char *srv_address(const srv_t *s);

/* Store, committer and health, e.g. for a benchmark that preloads data. */
srv_env_t *srv_env(srv_t *s);

/* Blocks until srv_stop was called or a signal arrived on sigfd (a
 * signalfd; -1 = none). SIGHUP is handled here (srv_reload) and waiting
 * goes on. Returns the signal number, or 0. */
int srv_wait(srv_t *s, int sigfd);

/* Rereads what SIGHUP reloads (docs/security.md): the TLS certificate and
 * key, the client CA, the tokens file. A part whose files are bad keeps
 * what it had and logs why. Called by srv_wait on SIGHUP; the server keeps
 * serving throughout. */
void srv_reload(srv_t *s);

/* Wakes srv_wait. Async-signal-safe. */
void srv_stop(srv_t *s);

/* Graceful shutdown with the configured grace period. */
void srv_shutdown(srv_t *s);

/* Shuts down (if not done yet) and frees everything. NULL is a no-op. */
void srv_destroy(srv_t *s);

#endif
