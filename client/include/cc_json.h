/*
 * cc_json — protobuf-c messages to and from JSON, by descriptor reflection.
 *
 * Follows the proto3 JSON mapping, so files written for other gRPC tools
 * work here: lowerCamelCase names on output (the .proto snake_case names are
 * accepted on input too), enums by name, maps as objects, repeated fields as
 * arrays, 64-bit integers as strings (numbers accepted on input), NaN and
 * infinities as "NaN"/"Infinity"/"-Infinity", google.protobuf.Timestamp as
 * RFC 3339, wrapper types as plain values, FieldMask as "a,b". Fields at
 * their default value are left out. An unknown field is an error that names
 * it; errors give the path of the offending value (e.g.
 * "cluster.indicators[2].value").
 *
 * Messages built here use the default protobuf-c allocator: free them with
 * cc_msg_free() (protobuf_c_message_free_unpacked).
 *
 * Thread-safety: no shared state; safe from any thread.
 */
#ifndef CC_JSON_H
#define CC_JSON_H

#include <stdio.h>

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

/* A new JSON object for m; NULL with err set on failure (invalid UTF-8). */
json_t *cc_json_from_msg(const ProtobufCMessage *m, char *err, size_t errlen);

/* A new message of type desc from j (an object). cd_err code; *out NULL on
 * failure. An enum name that is not one of the enum's values gets a
 * message listing them, with a guess when the name differs from one only
 * in case, '_' or its prefix ("MINMAX": NORMALIZATION_MIN_MAX). */
int cc_json_to_msg(const json_t *j, const ProtobufCMessageDescriptor *desc,
                   ProtobufCMessage **out, char *err, size_t errlen);

/* Relaxations of the mapping for hand-written input. */
enum {
	/* A value of a map<string, string> field named "params" (the plugin
	 * parameters of a competition's criteria) may be a number (written
	 * in its shortest round-trip form: 2021, 0.6), a boolean ("true",
	 * "false") or an array of those and strings, joined with "," as the
	 * plugins read lists; an array item must not be empty or hold ','. */
	CC_JSON_PARAMS_TEXT = 1u << 0,
};

/* cc_json_to_msg with CC_JSON_* flags. */
int cc_json_to_msg_flags(const json_t *j,
                         const ProtobufCMessageDescriptor *desc,
                         unsigned flags, ProtobufCMessage **out, char *err,
                         size_t errlen);

/* Writes j to f: indented when indent > 0, else on one line. Reals come out
 * in their shortest form that reads back to the same double. Returns 0 or
 * CD_EIO. */
int cc_json_write(FILE *f, const json_t *j, int indent);

/* Same as cc_json_write, into a new malloc'd string (NULL on failure). */
char *cc_json_dumps(const json_t *j, int indent);

/* Shortest "%.*g" form of v that reads back as v: "0.1", not
 * "0.10000000000000001". buf should hold 32 bytes. */
void cc_fmt_double(char *buf, size_t len, double v);

/* RFC 3339 in UTC with 0, 3, 6 or 9 fraction digits. Returns 0 or
 * CD_EINVAL when seconds are outside years 0001..9999. buf >= 40 bytes. */
int cc_fmt_timestamp(char *buf, size_t len, int64_t seconds, int32_t nanos);
/* Parses RFC 3339 with any offset; cd_err code. */
int cc_parse_timestamp(const char *s, int64_t *seconds, int32_t *nanos);

/* "indicator_name" -> "indicatorName"; and back. Return 0 or CD_ELIMIT
 * when out is too small. */
int cc_json_camel(const char *snake, char *out, size_t len);
int cc_json_snake(const char *camel, char *out, size_t len);

#endif
