#include "rpc_status.h"

#include <string.h>

#include "cd_error.h"

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
	case CD_ENOMEM: return GRPC_STATUS_RESOURCE_EXHAUSTED;
	case CD_EIO: return GRPC_STATUS_INTERNAL;
	case CD_ECORRUPT: return GRPC_STATUS_DATA_LOSS;
	case CD_EINTERNAL: return GRPC_STATUS_INTERNAL;
	default: return GRPC_STATUS_UNKNOWN;
	}
}

static const char *const names[] = {
	[GRPC_STATUS_OK] = "OK",
	[GRPC_STATUS_CANCELLED] = "CANCELLED",
	[GRPC_STATUS_UNKNOWN] = "UNKNOWN",
	[GRPC_STATUS_INVALID_ARGUMENT] = "INVALID_ARGUMENT",
	[GRPC_STATUS_DEADLINE_EXCEEDED] = "DEADLINE_EXCEEDED",
	[GRPC_STATUS_NOT_FOUND] = "NOT_FOUND",
	[GRPC_STATUS_ALREADY_EXISTS] = "ALREADY_EXISTS",
	[GRPC_STATUS_PERMISSION_DENIED] = "PERMISSION_DENIED",
	[GRPC_STATUS_RESOURCE_EXHAUSTED] = "RESOURCE_EXHAUSTED",
	[GRPC_STATUS_FAILED_PRECONDITION] = "FAILED_PRECONDITION",
	[GRPC_STATUS_ABORTED] = "ABORTED",
	[GRPC_STATUS_OUT_OF_RANGE] = "OUT_OF_RANGE",
	[GRPC_STATUS_UNIMPLEMENTED] = "UNIMPLEMENTED",
	[GRPC_STATUS_INTERNAL] = "INTERNAL",
	[GRPC_STATUS_UNAVAILABLE] = "UNAVAILABLE",
	[GRPC_STATUS_DATA_LOSS] = "DATA_LOSS",
	[GRPC_STATUS_UNAUTHENTICATED] = "UNAUTHENTICATED",
};

const char *rpc_status_name(grpc_status_code code)
{
	if ((int)code < 0 || (size_t)code >= sizeof(names) / sizeof(names[0]) ||
	    !names[code])
		return "UNKNOWN";
	return names[code];
}

/* Length of the valid UTF-8 sequence at p (no overlongs, surrogates or
 * code points past U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *p)
{
	if (p[0] < 0x80)
		return 1;
	size_t n = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4
	         : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 && p[0] < 0xe0 ? 2 : 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((n == 3 && p[0] == 0xe0 && p[1] < 0xa0) ||
	    (n == 3 && p[0] == 0xed && p[1] >= 0xa0) ||
	    (n == 4 && p[0] == 0xf0 && p[1] < 0x90) ||
	    (n == 4 && p[0] == 0xf4 && p[1] >= 0x90))
		return 0;
	return n;
}

void rpc_status_clean(const char *s, char *out, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;
	while (*p) {
		size_t n = utf8_len(p);
		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f))) {
			if (o + 2 > cap)
				break;
			out[o++] = '?';
			p++;
			continue;
		}
		if (o + n + 1 > cap)
			break;
		memcpy(out + o, p, n);
		o += n;
		p += n;
	}
	out[o] = '\0';
}
