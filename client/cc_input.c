/* Input files: whole-file reads, then JSON or CSV records one by one. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "cc_client.h"
#include "cc_csv.h"
#include "cc_input.h"
#include "cc_json.h"
#include "cd_error.h"

cc_format_t cc_input_format_of(const char *path)
{
	const char *dot = strrchr(path, '.');
	if (!dot || strchr(dot, '/'))
		return CC_FORMAT_AUTO;
	if (!strcasecmp(dot, ".csv"))
		return CC_FORMAT_CSV;
	if (!strcasecmp(dot, ".json") || !strcasecmp(dot, ".jsonl") ||
	    !strcasecmp(dot, ".ndjson"))
		return CC_FORMAT_JSON;
	return CC_FORMAT_AUTO;
}

static int cc_read_all(FILE *f, char **out, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (n < cap)
			break;
		char *nb = realloc(buf, cap *= 2);
		if (!nb)
			free(buf);
		buf = nb;
	}
	if (!buf)
		return CD_ENOMEM;
	if (ferror(f)) {
		free(buf);
		return CD_EIO;
	}
	*out = buf;
	*len = n;
	return CD_OK;
}

int cc_input_read(const char *path, cc_format_t fmt,
                  const ProtobufCMessageDescriptor *desc, cc_input_cb cb,
                  void *ud, char *err, size_t errlen)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!f)
		return cd_fail(err, errlen, CD_EIO, "%s: %s", path,
		               strerror(errno));
	char *buf = NULL;
	size_t len = 0;
	int rc = cc_read_all(f, &buf, &len);
	if (f != stdin)
		fclose(f);
	if (rc)
		return cd_fail(err, errlen, rc, "%s: cannot read", path);
	if (fmt == CC_FORMAT_AUTO)
		fmt = cc_input_format_of(path);
	size_t plen = strlen(path);
	if (err && errlen && plen + 3 < errlen) {
		/* Errors read "FILE: record 3: field: why". */
		rc = cc_input_parse(buf, len, fmt, desc, cb, ud, err + plen + 2,
		                    errlen - plen - 2);
		if (rc) {
			memcpy(err, path, plen);
			err[plen] = ':';
			err[plen + 1] = ' ';
		}
	} else {
		rc = cc_input_parse(buf, len, fmt, desc, cb, ud, err, errlen);
	}
	free(buf);
	return rc;
}

typedef struct cc_csv_adapter {
	cc_input_cb cb;
	void *ud;
	size_t total;
} cc_csv_adapter_t;

static int cc_from_csv(Clusters__V1__Cluster *c, size_t row, size_t done,
                       void *ud)
{
	cc_csv_adapter_t *a = ud;
	return a->cb((ProtobufCMessage *)c, row - 1, done, a->total, a->ud);
}

static int cc_json_record(const json_t *j,
                          const ProtobufCMessageDescriptor *desc,
                          size_t index, size_t done, size_t total,
                          cc_input_cb cb, void *ud, char *err, size_t errlen)
{
	char why[512];
	ProtobufCMessage *m;
	int rc = cc_json_to_msg_flags(j, desc, CC_JSON_PARAMS_TEXT, &m, why,
	                              sizeof(why));
	if (rc)
		return cd_fail(err, errlen, rc, "record %zu: %s", index + 1,
		               why);
	return cb(m, index, done, total, ud);
}

/* A top-level value may be an object, or an array of them, and several
 * may follow one another (JSON lines). */
static int cc_parse_json(const char *buf, size_t len,
                         const ProtobufCMessageDescriptor *desc,
                         cc_input_cb cb, void *ud, char *err, size_t errlen)
{
	size_t off = 0, index = 0;
	for (;;) {
		while (off < len && isspace((unsigned char)buf[off]))
			off++;
		if (off >= len)
			break;
		json_error_t je;
		json_t *j = json_loadb(buf + off, len - off,
		                       JSON_DISABLE_EOF_CHECK |
		                               JSON_REJECT_DUPLICATES |
		                               JSON_DECODE_ANY,
		                       &je);
		if (!j)
			return cd_fail(err, errlen, CD_EINVAL,
			               "JSON at record %zu, line %d: %s",
			               index + 1, je.line, je.text);
		off += je.position;
		int rc = CD_OK;
		if (json_is_array(j)) {
			size_t i;
			json_t *e;
			json_array_foreach(j, i, e) {
				rc = cc_json_record(e, desc, index++, off, len,
				                    cb, ud, err, errlen);
				if (rc)
					break;
			}
		} else {
			rc = cc_json_record(j, desc, index++, off, len, cb, ud,
			                    err, errlen);
		}
		json_decref(j);
		if (rc)
			return rc;
	}
	return CD_OK;
}

int cc_input_parse(const char *buf, size_t len, cc_format_t fmt,
                   const ProtobufCMessageDescriptor *desc, cc_input_cb cb,
                   void *ud, char *err, size_t errlen)
{
	if (fmt == CC_FORMAT_AUTO) {
		size_t i = 0;
		while (i < len && isspace((unsigned char)buf[i]))
			i++;
		fmt = i < len && (buf[i] == '{' || buf[i] == '[')
		              ? CC_FORMAT_JSON
		              : CC_FORMAT_CSV;
	}
	if (fmt == CC_FORMAT_JSON)
		return cc_parse_json(buf, len, desc, cb, ud, err, errlen);
	if (desc != &clusters__v1__cluster__descriptor)
		return cd_fail(err, errlen, CD_EINVAL,
		               "CSV holds clusters only; %s needs JSON",
		               desc->name);
	cc_csv_adapter_t a = { cb, ud, len };
	return cc_csv_read(buf, len, cc_from_csv, &a, err, errlen);
}
