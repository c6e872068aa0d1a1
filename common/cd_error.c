#include "cd_error.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const names[CD__COUNT] = {
	[CD_OK] = "CD_OK",
	[CD_ENOTFOUND] = "CD_ENOTFOUND",
	[CD_EEXISTS] = "CD_EEXISTS",
	[CD_ECONFLICT] = "CD_ECONFLICT",
	[CD_EINVAL] = "CD_EINVAL",
	[CD_EPAGETOKEN] = "CD_EPAGETOKEN",
	[CD_ELIMIT] = "CD_ELIMIT",
	[CD_ECANCELLED] = "CD_ECANCELLED",
	[CD_EDEADLINE] = "CD_EDEADLINE",
	[CD_EUNAVAIL] = "CD_EUNAVAIL",
	[CD_EUNIMPL] = "CD_EUNIMPL",
	[CD_EPRECONDITION] = "CD_EPRECONDITION",
	[CD_EPLUGIN] = "CD_EPLUGIN",
	[CD_EUNAUTH] = "CD_EUNAUTH",
	[CD_EPERM] = "CD_EPERM",
	[CD_EV_ID] = "CD_EV_ID",
	[CD_EV_NAME] = "CD_EV_NAME",
	[CD_EV_ECONOMY] = "CD_EV_ECONOMY",
	[CD_EV_INDICATOR_NAME] = "CD_EV_INDICATOR_NAME",
	[CD_EV_YEAR] = "CD_EV_YEAR",
	[CD_EV_NONFINITE] = "CD_EV_NONFINITE",
	[CD_EV_LENGTH] = "CD_EV_LENGTH",
	[CD_EV_COUNT] = "CD_EV_COUNT",
	[CD_EV_DUPLICATE] = "CD_EV_DUPLICATE",
	[CD_EV_EMPTY] = "CD_EV_EMPTY",
	[CD_EV_FIELDMASK] = "CD_EV_FIELDMASK",
	[CD_EV_CRITERION] = "CD_EV_CRITERION",
	[CD_EV_LABEL_KEY] = "CD_EV_LABEL_KEY",
	[CD_EV_DEFINITION] = "CD_EV_DEFINITION",
	[CD_EV_ENCODING] = "CD_EV_ENCODING",
	[CD_EV_UNKNOWN_FIELD] = "CD_EV_UNKNOWN_FIELD",
	[CD_ENOMEM] = "CD_ENOMEM",
	[CD_EIO] = "CD_EIO",
	[CD_ECORRUPT] = "CD_ECORRUPT",
	[CD_EINTERNAL] = "CD_EINTERNAL",
};

const char *cd_err_name(int code)
{
	if (code < 0 || code >= CD__COUNT || !names[code])
		return "CD_EUNKNOWN";
	return names[code];
}

int cd_err_is_invalid(int code)
{
	return code == CD_EINVAL || code == CD_EPAGETOKEN ||
	       (code >= CD_EV_ID && code <= CD_EV_UNKNOWN_FIELD);
}

int cd_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}
