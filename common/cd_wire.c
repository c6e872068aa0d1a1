/* cd_wire.c — wire-level checks of a message against its descriptor (see
 * cd_wire.h). */
#include "cd_wire.h"

#include <stdio.h>
#include <string.h>

#include "cd_error.h"
#include "cd_utf8.h"

/* Repeated-field occurrence counters per message level: a message type
 * with more fields than this names its repeated elements without index. */
#define WIRE_FIELDS_MAX 64

/* The field path is kept as a stack of (name, index) and formatted only
 * when a check fails: formatting it per field cost more than the check. */
typedef struct wire_seg {
	const char *name;
	long idx;             /* -1: not a repeated element */
} wire_seg_t;

typedef struct wire_ctx {
	wire_seg_t seg[CD_WIRE_DEPTH_MAX + 2];
	size_t depth;
	char path[512];       /* formatted by fail() */
	char *err;
	size_t errlen;
} wire_ctx_t;

static int get_varint(const uint8_t *p, size_t len, size_t *pos,
                      uint64_t *out)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (*pos >= len)
			return -1;
		uint8_t b = p[(*pos)++];
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

static size_t path_push(wire_ctx_t *w, const char *name, long idx)
{
	size_t old = w->depth;
	if (w->depth < sizeof(w->seg) / sizeof(w->seg[0]))
		w->seg[w->depth++] = (wire_seg_t){name, idx};
	return old;
}

static void path_pop(wire_ctx_t *w, size_t old)
{
	w->depth = old;
}

/* "cluster.indicators[2].name" from the stack. */
static void path_format(wire_ctx_t *w)
{
	size_t o = 0;
	w->path[0] = '\0';
	for (size_t i = 0; i < w->depth && o < sizeof(w->path); i++) {
		const wire_seg_t *g = &w->seg[i];
		int n = g->idx < 0
			? snprintf(w->path + o, sizeof(w->path) - o, "%s%s",
			           i ? "." : "", g->name)
			: snprintf(w->path + o, sizeof(w->path) - o, "%s%s[%ld]",
			           i ? "." : "", g->name, g->idx);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

static int fail(wire_ctx_t *w, int code, const char *what)
{
	path_format(w);
	return cd_fail(w->err, w->errlen, code, "%s: %s",
	               w->depth ? w->path : "request", what);
}

static int check_string(wire_ctx_t *w, const uint8_t *s, size_t n)
{
	/* Most text is ASCII: bytes 0x01..0x7f pass inline, eight at a time
	 * where they can; only the rest is decoded. */
	for (size_t i = 0; i < n;) {
		if (i + 8 <= n) {
			uint64_t v;
			memcpy(&v, s + i, 8);
			/* No high bit set and no zero byte in the word. */
			if (!(v & 0x8080808080808080ull) &&
			    !((v - 0x0101010101010101ull) & ~v &
			      0x8080808080808080ull)) {
				i += 8;
				continue;
			}
		}
		if (s[i] == 0)
			return fail(w, CD_EV_ENCODING, "holds a NUL byte");
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		size_t k = cd_utf8_len(s + i, n - i);
		if (k == 0)
			return fail(w, CD_EV_ENCODING, "is not valid UTF-8");
		i += k;
	}
	return CD_OK;
}

/* The wire type a field of this type is sent with; length-delimited is
 * also accepted for packed repeated scalars. */
static unsigned wire_type_of(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_BOOL: case PROTOBUF_C_TYPE_ENUM:
		return 0;
	case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 1;
	case PROTOBUF_C_TYPE_FIXED32: case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
		return 5;
	default:
		return 2;
	}
}

static int check_msg(wire_ctx_t *w, const ProtobufCMessageDescriptor *desc,
                     const uint8_t *p, size_t len, int depth)
{
	unsigned counts[WIRE_FIELDS_MAX] = {0};
	size_t pos = 0;

	if (depth > CD_WIRE_DEPTH_MAX)
		return fail(w, CD_EINVAL, "messages nested too deeply");
	while (pos < len) {
		uint64_t tag, v;
		if (get_varint(p, len, &pos, &tag))
			return fail(w, CD_EINVAL, "truncated field tag");
		uint64_t num = tag >> 3;
		unsigned wt = (unsigned)(tag & 7);
		if (num == 0 || num > 0x1fffffff)
			return fail(w, CD_EINVAL, "invalid field number");
		const ProtobufCFieldDescriptor *f =
			protobuf_c_message_descriptor_get_field(desc,
			                                        (unsigned)num);
		if (!f) {
			char what[160];
			snprintf(what, sizeof(what), "unknown field number %llu "
			         "in %s; this server does not store fields it "
			         "does not know", (unsigned long long)num,
			         desc->name);
			return fail(w, CD_EV_UNKNOWN_FIELD, what);
		}
		unsigned want = wire_type_of(f->type);
		if (wt != want && !(wt == 2 && want != 2 &&
		                    f->label == PROTOBUF_C_LABEL_REPEATED)) {
			size_t old = path_push(w, f->name, -1);
			int rc = fail(w, CD_EINVAL, "sent with the wrong wire type "
			              "for its field type");
			path_pop(w, old);
			return rc;
		}
		size_t fi = (size_t)(f - desc->fields);
		long idx = -1;
		if (f->label == PROTOBUF_C_LABEL_REPEATED &&
		    fi < WIRE_FIELDS_MAX)
			idx = (long)counts[fi]++;
		switch (wt) {
		case 0:
			if (get_varint(p, len, &pos, &v))
				return fail(w, CD_EINVAL, "truncated varint");
			break;
		case 1:
			if (len - pos < 8)
				return fail(w, CD_EINVAL, "truncated fixed64");
			pos += 8;
			break;
		case 5:
			if (len - pos < 4)
				return fail(w, CD_EINVAL, "truncated fixed32");
			pos += 4;
			break;
		case 2: {
			if (get_varint(p, len, &pos, &v) || v > len - pos)
				return fail(w, CD_EINVAL, "truncated field");
			const uint8_t *s = p + pos;
			size_t n = (size_t)v;
			pos += n;
			int rc = CD_OK;
			size_t old = path_push(w, f->name, idx);
			if (f->type == PROTOBUF_C_TYPE_STRING)
				rc = check_string(w, s, n);
			else if (f->type == PROTOBUF_C_TYPE_MESSAGE)
				rc = check_msg(w, f->descriptor, s, n, depth + 1);
			if (rc != CD_OK)
				return rc;
			path_pop(w, old);
			break;
		}
		default:
			return fail(w, CD_EINVAL, "groups and unknown wire types "
			            "are not accepted");
		}
	}
	return CD_OK;
}

int cd_wire_check(const ProtobufCMessageDescriptor *desc, const uint8_t *buf,
                  size_t len, char *path, size_t pathlen, char *err,
                  size_t errlen)
{
	wire_ctx_t w = {.err = err, .errlen = errlen};
	w.path[0] = '\0';
	w.depth = 0;
	int rc = check_msg(&w, desc, buf ? buf : (const uint8_t *)"", len, 0);
	if (path && pathlen)
		snprintf(path, pathlen, "%s", rc == CD_OK ? "" : w.path);
	return rc;
}
