/* What the JSON mapping needs to know about a descriptor beyond what
 * protobuf-c records: well-known types, map entries, element sizes. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cc_json_internal.h"

cc_wkt_t cc_json_wkt(const ProtobufCMessageDescriptor *d)
{
	if (strncmp(d->name, "google.protobuf.", 16) != 0)
		return CC_WKT_NONE;
	const char *n = d->name + 16;
	if (!strcmp(n, "Timestamp"))
		return CC_WKT_TIMESTAMP;
	if (!strcmp(n, "FieldMask"))
		return CC_WKT_FIELDMASK;
	size_t len = strlen(n);
	if (len > 5 && !strcmp(n + len - 5, "Value") && d->n_fields == 1 &&
	    !strcmp(d->fields[0].name, "value") && strcmp(n, "Value") != 0)
		return CC_WKT_WRAPPER;
	return CC_WKT_NONE;
}

int cc_json_is_map(const ProtobufCFieldDescriptor *f)
{
	if (f->label != PROTOBUF_C_LABEL_REPEATED ||
	    f->type != PROTOBUF_C_TYPE_MESSAGE)
		return 0;
	const ProtobufCMessageDescriptor *d = f->descriptor;
	size_t len = strlen(d->short_name);
	return d->n_fields == 2 && len > 5 &&
	       !strcmp(d->short_name + len - 5, "Entry") &&
	       d->fields[0].id == 1 && !strcmp(d->fields[0].name, "key") &&
	       d->fields[1].id == 2 && !strcmp(d->fields[1].name, "value");
}

int cc_json_fail(char *err, size_t errlen, const char *path, int code,
                 const char *fmt, ...)
{
	if (!err || !errlen)
		return code;
	int n = 0;
	if (path && *path)
		n = snprintf(err, errlen, "%s: ", path);
	if (n < 0 || (size_t)n >= errlen)
		return code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - n, fmt, ap);
	va_end(ap);
	return code;
}
