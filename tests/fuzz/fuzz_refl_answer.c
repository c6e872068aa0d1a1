/* Fuzz target for server reflection (service/rpc_reflection.c): any bytes
 * as a ServerReflectionRequest must get a response that decodes as a
 * ServerReflectionResponse (an answer or an error_response), and any bytes
 * as a FileDescriptorSet must be indexed or refused cleanly; never crash,
 * leak or read out of bounds. The first byte picks which: even, a request
 * to the descriptor set built into clusterd; odd, a set. */
#include <stdint.h>
#include <stdlib.h>

#include "cd_error.h"
#include "grpc/reflection/v1/reflection.pb-c.h"
#include "rpc_reflection.h"

static rpc_refl_t *builtin;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char err[256];
	if (rpc_refl_create_builtin(&builtin, err, sizeof(err)) != CD_OK)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1) {
		static const char *const svc[] = { "x.Y" };
		rpc_refl_t *r;
		char err[256];
		if (rpc_refl_create(&r, data + 1, size - 1, svc, size & 2 ? 1 : 0,
		                    err, sizeof(err)) == CD_OK) {
			int32_t nums[4];
			size_t n;
			rpc_refl_file_of_symbol(r, "x.Y", NULL);
			rpc_refl_extension_numbers(r, "x.Y", nums, 4, &n);
			if (rpc_refl_file_count(r)) {
				size_t ids[8];
				rpc_refl_file_closure(r, 0, ids, 8);
			}
			rpc_refl_destroy(r);
		}
		return 0;
	}
	uint8_t *out;
	size_t len;
	if (rpc_refl_answer(builtin, data + 1, size - 1, &out, &len) != CD_OK)
		abort();
	Grpc__Reflection__V1__ServerReflectionResponse *m =
		grpc__reflection__v1__server_reflection_response__unpack(NULL,
		                                                         len, out);
	free(out);
	if (!m || m->message_response_case ==
	              GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE__NOT_SET)
		abort();
	grpc__reflection__v1__server_reflection_response__free_unpacked(m,
	                                                                NULL);
	return 0;
}
