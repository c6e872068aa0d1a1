/*
 * cc_json_internal — reflection helpers shared by cc_json_out.c and
 * cc_json_in.c.
 *
 * Thread-safety: pure functions, safe from any thread.
 */
#ifndef CC_JSON_INTERNAL_H
#define CC_JSON_INTERNAL_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

/* Well-known types that have their own JSON form. */
typedef enum cc_wkt {
	CC_WKT_NONE = 0,
	CC_WKT_TIMESTAMP,
	CC_WKT_FIELDMASK,
	CC_WKT_WRAPPER,  /* google.protobuf.*Value: the inner "value" */
} cc_wkt_t;

cc_wkt_t cc_json_wkt(const ProtobufCMessageDescriptor *d);

/* protoc-c turns map<K,V> into repeated K_V_Entry {key = 1; value = 2;}. */
int cc_json_is_map(const ProtobufCFieldDescriptor *f);

/* Formats into err, path first: "indicators[2].value: not a number". */
int cc_json_fail(char *err, size_t errlen, const char *path, int code,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#define CC_PATH_MAX 512

#endif
