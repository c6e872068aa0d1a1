/*
 * rpc_health — grpc.health.v1.Health: the serving status of "" (the whole
 * server) and of each service, Check to ask, Watch to follow. At shutdown
 * every status turns NOT_SERVING, watchers are told, and their streams end.
 *
 * Thread-safety: every function may be called from any thread.
 */
#ifndef RPC_HEALTH_H
#define RPC_HEALTH_H

#include <stddef.h>

#include "rpc_method.h"

typedef struct rpc_health rpc_health_t;

/* Statuses, as in grpc.health.v1.HealthCheckResponse.ServingStatus. */
#define RPC_HEALTH_SERVING 1
#define RPC_HEALTH_NOT_SERVING 2
#define RPC_HEALTH_SERVICE_UNKNOWN 3

/* Knows "" and the given service names, all NOT_SERVING until set. */
int rpc_health_create(rpc_health_t **out, const char *const *services,
                      size_t n, char *err, size_t errlen);
/* No watch may be open (end them with rpc_health_shutdown). */
void rpc_health_destroy(rpc_health_t *h);

/* Sets every known name; watchers whose status changed are told. */
void rpc_health_set_all(rpc_health_t *h, int status);
/* CD_ENOTFOUND for an unknown name. */
int rpc_health_get(rpc_health_t *h, const char *service, int *status);

/* NOT_SERVING everywhere, then every watch stream ends (UNAVAILABLE) once
 * its last status went out. */
void rpc_health_shutdown(rpc_health_t *h);

/* Handlers: /grpc.health.v1.Health/Check and /Watch. */
void rpc_health_check(rpc_call_t *c);
void rpc_health_watch(rpc_call_t *c);

#endif
