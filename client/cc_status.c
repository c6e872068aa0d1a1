/* Names of the gRPC status codes, as printed by clusterctl and in tests:
 * the one table of common/ (cd_status.h). */
#include "cc_client.h"

#include "cd_status.h"

const char *cc_status_name(int code)
{
	const char *n = cd_status_name(code);
	return n ? n : "UNKNOWN_CODE";
}
