#include "rpc_status.h"

#include <string.h>

#include "cd_error.h"
#include "cd_status.h"
#include "cd_utf8.h"

grpc_status_code rpc_status_from_cd(int code)
{
	/* Validation codes grow over time; asking cd_error keeps them all on
	 * INVALID_ARGUMENT without listing each here. */
	if (cd_err_is_invalid(code))
		return GRPC_STATUS_INVALID_ARGUMENT;
	switch (code) {
	case CD_OK: return GRPC_STATUS_OK;
	case CD_ENOTFOUND: return GRPC_STATUS_NOT_FOUND;
	case CD_EEXISTS: return GRPC_STATUS_ALREADY_EXISTS;
	case CD_ECONFLICT: return GRPC_STATUS_ABORTED;
	case CD_ELIMIT: return GRPC_STATUS_RESOURCE_EXHAUSTED;
	case CD_ECANCELLED: return GRPC_STATUS_CANCELLED;
	case CD_EDEADLINE: return GRPC_STATUS_DEADLINE_EXCEEDED;
	case CD_EUNAVAIL: return GRPC_STATUS_UNAVAILABLE;
	case CD_EUNIMPL: return GRPC_STATUS_UNIMPLEMENTED;
	case CD_EPRECONDITION: return GRPC_STATUS_FAILED_PRECONDITION;
	case CD_EPLUGIN: return GRPC_STATUS_INTERNAL;
	case CD_EUNAUTH: return GRPC_STATUS_UNAUTHENTICATED;
	case CD_EPERM: return GRPC_STATUS_PERMISSION_DENIED;
	case CD_ENOMEM: return GRPC_STATUS_RESOURCE_EXHAUSTED;
	case CD_EIO: return GRPC_STATUS_INTERNAL;
	case CD_ECORRUPT: return GRPC_STATUS_DATA_LOSS;
	case CD_EINTERNAL: return GRPC_STATUS_INTERNAL;
	default: return GRPC_STATUS_UNKNOWN;
	}
}

int rpc_status_to_cd(int code)
{
	switch (code) {
	case GRPC_STATUS_OK: return CD_OK;
	case GRPC_STATUS_CANCELLED: return CD_ECANCELLED;
	case GRPC_STATUS_INVALID_ARGUMENT: return CD_EINVAL;
	case GRPC_STATUS_DEADLINE_EXCEEDED: return CD_EDEADLINE;
	case GRPC_STATUS_NOT_FOUND: return CD_ENOTFOUND;
	case GRPC_STATUS_ALREADY_EXISTS: return CD_EEXISTS;
	case GRPC_STATUS_PERMISSION_DENIED: return CD_EPERM;
	case GRPC_STATUS_RESOURCE_EXHAUSTED: return CD_ELIMIT;
	case GRPC_STATUS_FAILED_PRECONDITION: return CD_EPRECONDITION;
	case GRPC_STATUS_ABORTED: return CD_ECONFLICT;
	case GRPC_STATUS_UNIMPLEMENTED: return CD_EUNIMPL;
	case GRPC_STATUS_UNAVAILABLE: return CD_EUNAVAIL;
	case GRPC_STATUS_DATA_LOSS: return CD_ECORRUPT;
	case GRPC_STATUS_UNAUTHENTICATED: return CD_EUNAUTH;
	default: return CD_EINTERNAL;
	}
}

const char *rpc_status_name(grpc_status_code code)
{
	const char *n = cd_status_name((int)code);
	return n ? n : "UNKNOWN";
}

void rpc_status_clean(const char *s, char *out, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;
	size_t left = strlen(s);
	while (*p) {
		size_t n = cd_utf8_len(p, left);
		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f))) {
			if (o + 2 > cap)
				break;
			out[o++] = '?';
			p++;
			left--;
			continue;
		}
		if (o + n + 1 > cap)
			break;
		memcpy(out + o, p, n);
		o += n;
		p += n;
		left -= n;
	}
	out[o] = '\0';
}
