/* Fuzz target for clusterctl's input readers: the bytes as a JSON (array,
 * object or JSON lines) or CSV file of clusters, and as JSON competitions.
 * Built twice, with FUZZ_FORMAT set to CC_FORMAT_JSON or CC_FORMAT_CSV.
 * Any input may be refused; none may crash, leak or read out of bounds. */
#include <stdint.h>
#include <stdlib.h>

#include "cc_client.h"
#include "cc_input.h"
#include "clusters/v1/clusters.pb-c.h"
#include "clusters/v1/competitions.pb-c.h"

static int take(ProtobufCMessage *m, size_t index, size_t done, size_t total,
                void *ud)
{
	(void)index;
	(void)done;
	(void)total;
	(void)ud;
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	(void)cc_input_parse((const char *)data, size, FUZZ_FORMAT,
	                     &clusters__v1__cluster__descriptor, take, NULL,
	                     err, sizeof(err));
	if (FUZZ_FORMAT == CC_FORMAT_JSON)
		(void)cc_input_parse((const char *)data, size, FUZZ_FORMAT,
		                     &clusters__v1__competition__descriptor, take,
		                     NULL, err, sizeof(err));
	return 0;
}
