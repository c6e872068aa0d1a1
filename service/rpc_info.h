/*
 * rpc_info — what this server is: clusterd's version (CMake's
 * CLUSTERD_VERSION), the plugin SDK's ABI (clusterplugin.h), the gRPC core
 * library it runs on, and clusters.v1.AdminService/GetServerInfo, which
 * also tells the store's data version and when the server started.
 * clusterd --version prints the same versions (rpc_info_print).
 *
 * Thread-safety: every function may be called from any thread.
 */
#ifndef RPC_INFO_H
#define RPC_INFO_H

#include <stdio.h>

#include "rpc_method.h"

/* "0.1.0". */
const char *rpc_info_version(void);
/* The plugin ABI the server loads plugins against (CP_ABI_MAJOR,
 * CP_ABI_MINOR of clusterplugin.h). */
unsigned rpc_info_plugin_abi_major(void);
unsigned rpc_info_plugin_abi_minor(void);
/* gRPC core's own version (grpc_version_string(): "29.0.0" for gRPC
 * 1.51). */
const char *rpc_info_grpc_version(void);

/* clusterd --version:
 *   clusterd 0.1.0
 *   plugin ABI 2.1
 *   gRPC core 29.0.0 */
void rpc_info_print(FILE *out);

/* Handler: /clusters.v1.AdminService/GetServerInfo. */
void rpc_info_get(rpc_call_t *c);

#endif
