/*
 * cc_input — records from an input file: JSON (one object, an array of
 * objects, or one object per line) or CSV (clusters only; see cc_csv.h).
 *
 * The format comes from the extension (.json, .jsonl, .ndjson, .csv) or,
 * failing that, from the first character ('{' or '[' means JSON). "-" reads
 * standard input. JSON is read with CC_JSON_PARAMS_TEXT (cc_json.h):
 * competition params may be numbers, booleans and arrays.
 *
 * Thread-safety: no shared state; safe from any thread.
 */
#ifndef CC_INPUT_H
#define CC_INPUT_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

typedef enum cc_format {
	CC_FORMAT_AUTO = 0,
	CC_FORMAT_JSON,
	CC_FORMAT_CSV,
} cc_format_t;

/* Receives each record (the callee owns it: cc_msg_free), its 0-based
 * index, and bytes read so far out of total. Non-zero stops and is
 * returned by cc_input_read. */
typedef int (*cc_input_cb)(ProtobufCMessage *m, size_t index, size_t done,
                           size_t total, void *ud);

/* Reads whole-file input of messages of type desc. CSV is allowed only for
 * clusters.v1.Cluster. cd_err code; err names the record and field. */
int cc_input_read(const char *path, cc_format_t fmt,
                  const ProtobufCMessageDescriptor *desc, cc_input_cb cb,
                  void *ud, char *err, size_t errlen);

/* Same, from memory. */
int cc_input_parse(const char *buf, size_t len, cc_format_t fmt,
                   const ProtobufCMessageDescriptor *desc, cc_input_cb cb,
                   void *ud, char *err, size_t errlen);

/* The format a path names by its extension; CC_FORMAT_AUTO if none. */
cc_format_t cc_input_format_of(const char *path);

#endif
