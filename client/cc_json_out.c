/* protobuf-c message -> JSON (proto3 JSON mapping), by reflection. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_json.h"
#include "cc_json_internal.h"
#include "cd_pb.h"
#include "cd_error.h"
#include "google/protobuf/field_mask.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"

typedef struct cc_out {
	char path[CC_PATH_MAX];
	char *err;
	size_t errlen;
} cc_out_t;

static json_t *cc_out_msg(cc_out_t *o, const ProtobufCMessage *m);

/* Appends to the path; returns the old length to restore it. */
static size_t cc_path_push(cc_out_t *o, const char *fmt, const char *name,
                           size_t idx)
{
	size_t n = strlen(o->path);
	if (name)
		snprintf(o->path + n, sizeof(o->path) - n, fmt,
		         n ? "." : "", name);
	else
		snprintf(o->path + n, sizeof(o->path) - n, "[%zu]", idx);
	return n;
}

static json_t *cc_out_double(double v)
{
	if (isnan(v))
		return json_string("NaN");
	if (isinf(v))
		return json_string(v > 0 ? "Infinity" : "-Infinity");
	return json_real(v);
}

static json_t *cc_out_scalar(cc_out_t *o, const ProtobufCFieldDescriptor *f,
                             const void *p)
{
	char buf[32];
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return json_integer(*(const int32_t *)p);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return json_integer(*(const uint32_t *)p);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		snprintf(buf, sizeof(buf), "%" PRId64, *(const int64_t *)p);
		return json_string(buf);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		snprintf(buf, sizeof(buf), "%" PRIu64, *(const uint64_t *)p);
		return json_string(buf);
	case PROTOBUF_C_TYPE_FLOAT:
		return cc_out_double(*(const float *)p);
	case PROTOBUF_C_TYPE_DOUBLE:
		return cc_out_double(*(const double *)p);
	case PROTOBUF_C_TYPE_BOOL:
		return json_boolean(*(const protobuf_c_boolean *)p);
	case PROTOBUF_C_TYPE_ENUM: {
		int v = *(const int *)p;
		const ProtobufCEnumValue *ev =
			protobuf_c_enum_descriptor_get_value(f->descriptor, v);
		return ev ? json_string(ev->name) : json_integer(v);
	}
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)p;
		json_t *j = json_string(s ? s : "");
		if (!j)
			cc_json_fail(o->err, o->errlen, o->path, CD_EV_ENCODING,
			             "string is not valid UTF-8");
		return j;
	}
	case PROTOBUF_C_TYPE_BYTES:
		cc_json_fail(o->err, o->errlen, o->path, CD_EUNIMPL,
		             "bytes fields are not supported");
		return NULL;
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *m = *(ProtobufCMessage *const *)p;
		if (!m)
			return json_object();
		return cc_out_msg(o, m);
	}
	}
	return NULL;
}

/* proto3: a field without presence is left out at its default. */
static int cc_out_present(const ProtobufCMessage *m,
                          const ProtobufCFieldDescriptor *f)
{
	const char *base = (const char *)m;
	const void *p = base + f->offset;
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return *(const size_t *)(base + f->quantifier_offset) > 0;
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)(base + f->quantifier_offset) ==
		       f->id;
	if (f->type == PROTOBUF_C_TYPE_MESSAGE)
		return *(ProtobufCMessage *const *)p != NULL;
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset &&
	    f->type != PROTOBUF_C_TYPE_STRING)
		return *(const protobuf_c_boolean *)(base + f->quantifier_offset);
	if (f->label == PROTOBUF_C_LABEL_REQUIRED)
		return 1;
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)p;
		return s && *s;
	}
	case PROTOBUF_C_TYPE_BYTES:
		return ((const ProtobufCBinaryData *)p)->len > 0;
	case PROTOBUF_C_TYPE_FLOAT:
		return *(const float *)p != 0 || signbit(*(const float *)p);
	case PROTOBUF_C_TYPE_DOUBLE:
		/* -0.0 is not the default either. */
		return *(const double *)p != 0 || signbit(*(const double *)p);
	default: {
		size_t sz = cd_pb_elem_size(f->type);
		static const char zero[16];
		return memcmp(p, zero, sz) != 0;
	}
	}
}

static json_t *cc_out_map(cc_out_t *o, const ProtobufCFieldDescriptor *f,
                          ProtobufCMessage *const *ents, size_t n)
{
	const ProtobufCMessageDescriptor *ed = f->descriptor;
	const ProtobufCFieldDescriptor *kf = &ed->fields[0], *vf = &ed->fields[1];
	json_t *obj = json_object();
	for (size_t i = 0; obj && i < n; i++) {
		const char *e = (const char *)ents[i];
		char kbuf[32];
		const char *key = kbuf;
		json_t *k = NULL;
		if (kf->type == PROTOBUF_C_TYPE_STRING) {
			key = *(char *const *)(e + kf->offset);
			key = key ? key : "";
		} else if (kf->type == PROTOBUF_C_TYPE_BOOL) {
			key = *(const protobuf_c_boolean *)(e + kf->offset)
			              ? "true" : "false";
		} else {
			k = cc_out_scalar(o, kf, e + kf->offset);
			if (json_is_integer(k))
				snprintf(kbuf, sizeof(kbuf),
				         "%" JSON_INTEGER_FORMAT,
				         json_integer_value(k));
			else if (json_is_string(k))
				snprintf(kbuf, sizeof(kbuf), "%s",
				         json_string_value(k));
			json_decref(k);
		}
		size_t old = cc_path_push(o, "%s%s", key, 0);
		json_t *v = cc_out_scalar(o, vf, e + vf->offset);
		o->path[old] = '\0';
		if (!v || json_object_set_new(obj, key, v) != 0) {
			if (v)
				cc_json_fail(o->err, o->errlen, o->path,
				             CD_EV_ENCODING,
				             "map key is not valid UTF-8");
			json_decref(obj);
			return NULL;
		}
	}
	return obj;
}

static json_t *cc_out_wkt(cc_out_t *o, const ProtobufCMessage *m,
                          cc_wkt_t w)
{
	char buf[64];
	if (w == CC_WKT_TIMESTAMP) {
		const Google__Protobuf__Timestamp *t = (const void *)m;
		if (cc_fmt_timestamp(buf, sizeof(buf), t->seconds, t->nanos)) {
			cc_json_fail(o->err, o->errlen, o->path, CD_EINVAL,
			             "timestamp out of range");
			return NULL;
		}
		return json_string(buf);
	}
	if (w == CC_WKT_FIELDMASK) {
		const Google__Protobuf__FieldMask *fm = (const void *)m;
		char *s = calloc(1, 1);
		size_t len = 0;
		for (size_t i = 0; s && i < fm->n_paths; i++) {
			char camel[256];
			if (cc_json_camel(fm->paths[i], camel, sizeof(camel))) {
				free(s);
				cc_json_fail(o->err, o->errlen, o->path,
				             CD_EV_LENGTH, "path too long");
				return NULL;
			}
			size_t add = strlen(camel) + 1;
			char *ns = realloc(s, len + add + 1);
			if (!ns) {
				free(s);
				return NULL;
			}
			s = ns;
			len += (size_t)snprintf(s + len, add + 1, "%s%s",
			                        i ? "," : "", camel);
		}
		json_t *j = s ? json_string(s) : NULL;
		free(s);
		return j;
	}
	const ProtobufCFieldDescriptor *f = &m->descriptor->fields[0];
	return cc_out_scalar(o, f, (const char *)m + f->offset);
}

static json_t *cc_out_msg(cc_out_t *o, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	cc_wkt_t w = cc_json_wkt(d);
	if (w != CC_WKT_NONE)
		return cc_out_wkt(o, m, w);
	json_t *obj = json_object();
	for (unsigned i = 0; obj && i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (!cc_out_present(m, f))
			continue;
		const char *base = (const char *)m;
		char name[128];
		if (cc_json_camel(f->name, name, sizeof(name)))
			snprintf(name, sizeof(name), "%s", f->name);
		size_t old = cc_path_push(o, "%s%s", name, 0);
		json_t *v;
		if (cc_json_is_map(f)) {
			v = cc_out_map(o, f,
			               *(ProtobufCMessage *const *const *)(base +
			                                                  f->offset),
			               *(const size_t *)(base + f->quantifier_offset));
		} else if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			const char *arr = *(char *const *)(base + f->offset);
			size_t sz = cd_pb_elem_size(f->type);
			v = json_array();
			for (size_t k = 0; v && k < n; k++) {
				size_t old2 = cc_path_push(o, NULL, NULL, k);
				json_t *e = cc_out_scalar(o, f, arr + k * sz);
				o->path[old2] = '\0';
				if (!e || json_array_append_new(v, e)) {
					json_decref(v);
					v = NULL;
				}
			}
		} else {
			v = cc_out_scalar(o, f, base + f->offset);
		}
		if (!v) {
			json_decref(obj);
			return NULL;
		}
		o->path[old] = '\0';
		json_object_set_new(obj, name, v);
	}
	return obj;
}

json_t *cc_json_from_msg(const ProtobufCMessage *m, char *err, size_t errlen)
{
	cc_out_t o;
	o.path[0] = '\0';
	o.err = err;
	o.errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
	json_t *j = cc_out_msg(&o, m);
	if (!j && err && errlen && !err[0])
		snprintf(err, errlen, "out of memory");
	return j;
}
