/* Names of the gRPC status codes, as printed by clusterctl and in tests. */
#include "cc_client.h"

static const char *const cc_names[] = {
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
	"NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
	"RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
	"UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
	"UNAUTHENTICATED",
};

const char *cc_status_name(int code)
{
	if (code < 0 || code >= (int)(sizeof(cc_names) / sizeof(cc_names[0])))
		return "UNKNOWN_CODE";
	return cc_names[code];
}
