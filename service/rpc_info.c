#include "rpc_info.h"

#include <grpc/grpc.h>

#include "cd_error.h"
#include "clusterplugin.h"
#include "clusters/v1/admin.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "rpc_call.h"
#include "srv_env.h"
#include "store.h"

#ifndef CLUSTERD_VERSION
#error "CLUSTERD_VERSION must be defined (service/CMakeLists.txt)"
#endif

const char *rpc_info_version(void)
{
	return CLUSTERD_VERSION;
}

unsigned rpc_info_plugin_abi_major(void)
{
	return CP_ABI_MAJOR;
}

unsigned rpc_info_plugin_abi_minor(void)
{
	return CP_ABI_MINOR;
}

const char *rpc_info_grpc_version(void)
{
	/* A constant string of the library; no grpc_init needed. */
	return grpc_version_string();
}

void rpc_info_print(FILE *out)
{
	fprintf(out, "clusterd %s\nplugin ABI %u.%u\ngRPC core %s\n",
	        rpc_info_version(), rpc_info_plugin_abi_major(),
	        rpc_info_plugin_abi_minor(), rpc_info_grpc_version());
}

void rpc_info_get(rpc_call_t *c)
{
	const srv_env_t *env = rpc_call_env(c);
	ProtobufCMessage *req = rpc_call_decode(
		c, &clusters__v1__get_server_info_request__descriptor);
	if (!req)
		return;
	protobuf_c_message_free_unpacked(req, NULL);

	/* The data version of the latest committed write: a read
	 * transaction sees it. */
	store_snap_t *snap;
	int rc = store_snap_open(env->store, &snap);
	if (rc != CD_OK) {
		rpc_call_fail(c, rc, "cannot read the store's data version");
		return;
	}
	uint64_t data_version = store_snap_version(snap);
	store_snap_close(snap);

	Clusters__V1__ServerInfo r = CLUSTERS__V1__SERVER_INFO__INIT;
	Google__Protobuf__Timestamp started = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	r.version = (char *)rpc_info_version();
	r.plugin_abi_version = rpc_info_plugin_abi_major();
	r.plugin_abi_minor = rpc_info_plugin_abi_minor();
	r.grpc_version = (char *)rpc_info_grpc_version();
	/* A replica's role, so a client sent here with a write can learn
	 * where writes go. */
	r.read_only = env->read_only != 0;
	if (env->read_only && env->primary)
		r.primary = (char *)env->primary;
	r.data_version = data_version;
	started.seconds = (int64_t)env->start_time.tv_sec;
	started.nanos = (int32_t)env->start_time.tv_nsec;
	r.start_time = &started;
	rpc_call_reply(c, &r.base);
}
