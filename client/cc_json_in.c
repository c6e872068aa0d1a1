/* JSON -> protobuf-c message (proto3 JSON mapping), by reflection.
 *
 * A message under construction is always in a state that
 * protobuf_c_message_free_unpacked can free: repeated counts grow only as
 * elements are filled and pointers are stored only once their value is
 * complete. So every error path just frees the top message. */
#include <ctype.h>
#include <errno.h>
#include <float.h>
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

typedef struct cc_in {
	char path[CC_PATH_MAX];
	char *err;
	size_t errlen;
	unsigned flags;  /* CC_JSON_* */
} cc_in_t;

static int cc_in_msg(cc_in_t *in, const json_t *j,
                     const ProtobufCMessageDescriptor *d,
                     ProtobufCMessage **out);

static size_t cc_in_push(cc_in_t *in, const char *name, size_t idx)
{
	size_t n = strlen(in->path);
	if (name)
		snprintf(in->path + n, sizeof(in->path) - n, "%s%s",
		         n ? "." : "", name);
	else
		snprintf(in->path + n, sizeof(in->path) - n, "[%zu]", idx);
	return n;
}

#define FAIL(in, code, ...) \
	cc_json_fail((in)->err, (in)->errlen, (in)->path, code, __VA_ARGS__)

/* Integers: JSON numbers (integral reals too) or decimal strings. */
static int cc_in_int(cc_in_t *in, const json_t *v, int is_signed,
                     int64_t *s, uint64_t *u)
{
	if (json_is_integer(v)) {
		json_int_t x = json_integer_value(v);
		if (!is_signed && x < 0)
			return FAIL(in, CD_EINVAL, "must not be negative");
		*s = x;
		*u = (uint64_t)x;
		return CD_OK;
	}
	if (json_is_real(v)) {
		double x = json_real_value(v);
		if (x != floor(x) || x < -9.2233720368547758e18 ||
		    x >= 1.8446744073709552e19 || (is_signed && x >= 9.2233720368547758e18))
			return FAIL(in, CD_EINVAL, "not an integer");
		if (!is_signed && x < 0)
			return FAIL(in, CD_EINVAL, "must not be negative");
		if (is_signed)
			*s = (int64_t)x;
		else
			*u = (uint64_t)x;
		return CD_OK;
	}
	if (json_is_string(v)) {
		const char *str = json_string_value(v);
		char *end;
		errno = 0;
		if (is_signed)
			*s = strtoll(str, &end, 10);
		else if (*str == '-')
			return FAIL(in, CD_EINVAL, "must not be negative");
		else
			*u = strtoull(str, &end, 10);
		if (!*str || *end || errno)
			return FAIL(in, CD_EINVAL, "\"%s\" is not an integer",
			            str);
		return CD_OK;
	}
	return FAIL(in, CD_EINVAL, "expected an integer");
}

static int cc_in_double(cc_in_t *in, const json_t *v, double *out)
{
	if (json_is_number(v)) {
		*out = json_number_value(v);
		return CD_OK;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;
		if (!strcmp(s, "NaN")) {
			*out = NAN;
		} else if (!strcmp(s, "Infinity")) {
			*out = INFINITY;
		} else if (!strcmp(s, "-Infinity")) {
			*out = -INFINITY;
		} else {
			errno = 0;
			*out = strtod(s, &end);
			if (!*s || *end || errno || !isfinite(*out))
				return FAIL(in, CD_EINVAL,
				            "\"%s\" is not a number", s);
		}
		return CD_OK;
	}
	return FAIL(in, CD_EINVAL, "expected a number");
}

static int cc_in_string(cc_in_t *in, const json_t *v, char **out)
{
	if (!json_is_string(v))
		return FAIL(in, CD_EINVAL, "expected a string");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return FAIL(in, CD_EV_ENCODING, "string holds a NUL character");
	if (!(*out = strdup(json_string_value(v))))
		return FAIL(in, CD_ENOMEM, "out of memory");
	return CD_OK;
}

/* a and b equal when case, '_' and '-' are ignored. */
static int cc_loose_eq(const char *a, const char *b)
{
	for (;;) {
		while (*a == '_' || *a == '-')
			a++;
		while (*b == '_' || *b == '-')
			b++;
		if (!*a || !*b)
			return !*a && !*b;
		if (tolower((unsigned char)*a++) != tolower((unsigned char)*b++))
			return 0;
	}
}

/* "normalization: \"MINMAX\" is not one of NORMALIZATION_NONE, ...
 * (did you mean NORMALIZATION_MIN_MAX?)". The zero value *_UNSPECIFIED,
 * which one leaves out instead, is accepted but not offered. */
static int cc_in_bad_enum(cc_in_t *in, const ProtobufCEnumDescriptor *ed,
                          const char *given)
{
	/* The prefix every value name shares ("NORMALIZATION_"). */
	size_t pre = ed->n_values ? strlen(ed->values[0].name) : 0;
	for (unsigned i = 1; i < ed->n_values; i++) {
		size_t k = 0;
		while (k < pre && ed->values[i].name[k] == ed->values[0].name[k])
			k++;
		pre = k;
	}
	while (pre && ed->values[0].name[pre - 1] != '_')
		pre--;
	char list[400];
	size_t n = 0;
	const char *guess = NULL;
	list[0] = '\0';
	for (unsigned i = 0; i < ed->n_values; i++) {
		const char *name = ed->values[i].name;
		if (cc_loose_eq(given, name) || cc_loose_eq(given, name + pre))
			guess = name;
		if (ed->values[i].value == 0 &&
		    !strcmp(name + pre, "UNSPECIFIED"))
			continue;
		int w = snprintf(list + n, sizeof(list) - n, "%s%s",
		                 n ? ", " : "", name);
		if (w < 0 || (size_t)w >= sizeof(list) - n)
			break;
		n += (size_t)w;
	}
	if (guess)
		return FAIL(in, CD_EINVAL, "\"%s\" is not one of %s (did you "
		            "mean %s?)", given, list, guess);
	return FAIL(in, CD_EINVAL, "\"%s\" is not one of %s", given, list);
}

/* Reads v as the type of f into p (a field or an array element). */
static int cc_in_value(cc_in_t *in, const ProtobufCFieldDescriptor *f,
                       const json_t *v, void *p)
{
	int64_t s = 0;
	uint64_t u = 0;
	double d;
	int rc;
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		if ((rc = cc_in_int(in, v, 1, &s, &u)))
			return rc;
		if (s < INT32_MIN || s > INT32_MAX)
			return FAIL(in, CD_EINVAL, "out of range for int32");
		*(int32_t *)p = (int32_t)s;
		return CD_OK;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if ((rc = cc_in_int(in, v, 0, &s, &u)))
			return rc;
		if (u > UINT32_MAX)
			return FAIL(in, CD_EINVAL, "out of range for uint32");
		*(uint32_t *)p = (uint32_t)u;
		return CD_OK;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		if ((rc = cc_in_int(in, v, 1, &s, &u)))
			return rc;
		*(int64_t *)p = s;
		return CD_OK;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		if ((rc = cc_in_int(in, v, 0, &s, &u)))
			return rc;
		*(uint64_t *)p = u;
		return CD_OK;
	case PROTOBUF_C_TYPE_FLOAT:
		if ((rc = cc_in_double(in, v, &d)))
			return rc;
		if (isfinite(d) && fabs(d) > FLT_MAX)
			return FAIL(in, CD_EINVAL, "out of range for float");
		*(float *)p = (float)d;
		return CD_OK;
	case PROTOBUF_C_TYPE_DOUBLE:
		return cc_in_double(in, v, (double *)p);
	case PROTOBUF_C_TYPE_BOOL:
		if (!json_is_boolean(v))
			return FAIL(in, CD_EINVAL, "expected true or false");
		*(protobuf_c_boolean *)p = json_is_true(v);
		return CD_OK;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumDescriptor *ed = f->descriptor;
		if (json_is_string(v)) {
			const ProtobufCEnumValue *ev =
				protobuf_c_enum_descriptor_get_value_by_name(
					ed, json_string_value(v));
			if (!ev)
				return cc_in_bad_enum(in, ed, json_string_value(v));
			*(int *)p = ev->value;
			return CD_OK;
		}
		if ((rc = cc_in_int(in, v, 1, &s, &u)))
			return rc;
		if (s < INT32_MIN || s > INT32_MAX)
			return FAIL(in, CD_EINVAL, "out of range for an enum");
		*(int *)p = (int)s;
		return CD_OK;
	}
	case PROTOBUF_C_TYPE_STRING:
		return cc_in_string(in, v, (char **)p);
	case PROTOBUF_C_TYPE_BYTES:
		return FAIL(in, CD_EUNIMPL, "bytes fields are not supported");
	case PROTOBUF_C_TYPE_MESSAGE:
		return cc_in_msg(in, v, f->descriptor, (ProtobufCMessage **)p);
	}
	return FAIL(in, CD_EINTERNAL, "unknown field type");
}

/* A number or boolean as a plugin parameter's text; NULL for others. */
static const char *cc_param_scalar(const json_t *v, char *buf, size_t len)
{
	if (json_is_integer(v))
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		cc_fmt_double(buf, len, json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
	else
		return NULL;
	return buf;
}

/* CC_JSON_PARAMS_TEXT: a number, boolean or array as the text the plugins
 * parse (plugins/host/plugin_params.c): lists are ','-separated. */
static int cc_in_param_text(cc_in_t *in, const json_t *v, char **out)
{
	char num[40];
	const char *s = cc_param_scalar(v, num, sizeof(num));
	if (s)
		return (*out = strdup(s)) ? CD_OK
		                          : FAIL(in, CD_ENOMEM, "out of memory");
	if (!json_is_array(v))
		return FAIL(in, CD_EINVAL, "expected a string, number, boolean "
		            "or an array of them");
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return FAIL(in, CD_ENOMEM, "out of memory");
	int rc = CD_OK;
	for (size_t i = 0; !rc && i < json_array_size(v); i++) {
		const json_t *e = json_array_get(v, i);
		size_t old = cc_in_push(in, NULL, i);
		s = cc_param_scalar(e, num, sizeof(num));
		if (!s && json_is_string(e))
			s = json_string_value(e);
		if (!s)
			rc = FAIL(in, CD_EINVAL, "expected a string, number or "
			          "boolean");
		else if (json_is_string(e) &&
		         strlen(s) != json_string_length(e))
			rc = FAIL(in, CD_EV_ENCODING,
			          "string holds a NUL character");
		else if (!*s)
			rc = FAIL(in, CD_EINVAL, "an empty list item");
		else if (strchr(s, ','))
			rc = FAIL(in, CD_EINVAL, "\"%s\" holds ',', which "
			          "separates list items", s);
		else
			fprintf(f, "%s%s", i ? "," : "", s);
		if (!rc)
			in->path[old] = '\0';
	}
	if (fclose(f) && !rc)
		rc = FAIL(in, CD_ENOMEM, "out of memory");
	if (rc)
		free(text);
	else
		*out = text;
	return rc;
}

static int cc_in_map(cc_in_t *in, const ProtobufCFieldDescriptor *f,
                     const json_t *v, ProtobufCMessage *m)
{
	if (!json_is_object(v))
		return FAIL(in, CD_EINVAL, "expected an object (a map)");
	const ProtobufCMessageDescriptor *ed = f->descriptor;
	const ProtobufCFieldDescriptor *kf = &ed->fields[0], *vf = &ed->fields[1];
	char *base = (char *)m;
	size_t *count = (size_t *)(base + f->quantifier_offset);
	ProtobufCMessage ***arr = (ProtobufCMessage ***)(base + f->offset);
	int params = (in->flags & CC_JSON_PARAMS_TEXT) &&
	             !strcmp(f->name, "params") &&
	             kf->type == PROTOBUF_C_TYPE_STRING &&
	             vf->type == PROTOBUF_C_TYPE_STRING;
	if (!json_object_size(v))
		return CD_OK;
	if (!(*arr = calloc(json_object_size(v), sizeof(**arr))))
		return FAIL(in, CD_ENOMEM, "out of memory");
	const char *key;
	json_t *val;
	json_object_foreach((json_t *)v, key, val) {
		size_t old = cc_in_push(in, key, 0);
		ProtobufCMessage *e = malloc(ed->sizeof_message);
		if (!e)
			return FAIL(in, CD_ENOMEM, "out of memory");
		ed->message_init(e);
		(*arr)[(*count)++] = e;
		json_t *jk = kf->type == PROTOBUF_C_TYPE_BOOL
		                     ? json_boolean(!strcmp(key, "true"))
		                     : json_string(key);
		if (kf->type == PROTOBUF_C_TYPE_BOOL && strcmp(key, "true") &&
		    strcmp(key, "false")) {
			json_decref(jk);
			return FAIL(in, CD_EINVAL, "map key must be true or false");
		}
		int rc = cc_in_value(in, kf, jk, (char *)e + kf->offset);
		json_decref(jk);
		if (!rc && json_is_null(val))
			rc = FAIL(in, CD_EINVAL, "map value must not be null");
		if (!rc && params && !json_is_string(val))
			rc = cc_in_param_text(in, val,
			                      (char **)((char *)e + vf->offset));
		else if (!rc)
			rc = cc_in_value(in, vf, val, (char *)e + vf->offset);
		if (rc)
			return rc;
		in->path[old] = '\0';
	}
	return CD_OK;
}

static int cc_in_repeated(cc_in_t *in, const ProtobufCFieldDescriptor *f,
                          const json_t *v, ProtobufCMessage *m)
{
	if (!json_is_array(v))
		return FAIL(in, CD_EINVAL, "expected an array");
	char *base = (char *)m;
	size_t n = json_array_size(v), sz = cd_pb_elem_size(f->type);
	size_t *count = (size_t *)(base + f->quantifier_offset);
	char **arr = (char **)(base + f->offset);
	if (!n)
		return CD_OK;
	if (!(*arr = calloc(n, sz)))
		return FAIL(in, CD_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		size_t old = cc_in_push(in, NULL, i);
		const json_t *e = json_array_get(v, i);
		if (json_is_null(e))
			return FAIL(in, CD_EINVAL, "null in an array");
		int rc = cc_in_value(in, f, e, *arr + i * sz);
		/* The element counts once it may hold something to free. */
		*count = i + 1;
		if (rc)
			return rc;
		in->path[old] = '\0';
	}
	return CD_OK;
}

static const ProtobufCFieldDescriptor *
cc_in_field(const ProtobufCMessageDescriptor *d, const char *key)
{
	char camel[128];
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (!strcmp(f->name, key))
			return f;
		if (!cc_json_camel(f->name, camel, sizeof(camel)) &&
		    !strcmp(camel, key))
			return f;
	}
	return NULL;
}

static int cc_in_fields(cc_in_t *in, const json_t *j, ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	if (!json_is_object(j))
		return FAIL(in, CD_EINVAL, "expected an object (%s)", d->name);
	unsigned char seen[256] = { 0 };
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)j, key, v) {
		const ProtobufCFieldDescriptor *f = cc_in_field(d, key);
		if (!f)
			return FAIL(in, CD_EINVAL, "unknown field \"%s\" in %s",
			            key, d->name);
		unsigned idx = (unsigned)(f - d->fields);
		if (idx < sizeof(seen) && seen[idx]++)
			return FAIL(in, CD_EINVAL, "field \"%s\" given twice",
			            f->name);
		if (json_is_null(v))
			continue;
		size_t old = cc_in_push(in, key, 0);
		char *base = (char *)m;
		int rc;
		if (cc_json_is_map(f)) {
			rc = cc_in_map(in, f, v, m);
		} else if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			rc = cc_in_repeated(in, f, v, m);
		} else {
			if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
				uint32_t *c = (uint32_t *)(base +
				                           f->quantifier_offset);
				if (*c)
					return FAIL(in, CD_EINVAL,
					            "only one field of a oneof "
					            "may be set");
				*c = f->id;
			} else if (f->label == PROTOBUF_C_LABEL_OPTIONAL &&
			           f->quantifier_offset &&
			           f->type != PROTOBUF_C_TYPE_STRING &&
			           f->type != PROTOBUF_C_TYPE_MESSAGE) {
				*(protobuf_c_boolean *)(base +
				                        f->quantifier_offset) = 1;
			}
			rc = cc_in_value(in, f, v, base + f->offset);
		}
		if (rc)
			return rc;
		in->path[old] = '\0';
	}
	return CD_OK;
}

static int cc_in_wkt(cc_in_t *in, const json_t *j, ProtobufCMessage *m,
                     cc_wkt_t w)
{
	if (w == CC_WKT_TIMESTAMP) {
		Google__Protobuf__Timestamp *t = (void *)m;
		if (!json_is_string(j))
			return FAIL(in, CD_EINVAL, "expected an RFC 3339 time");
		if (cc_parse_timestamp(json_string_value(j), &t->seconds,
		                       &t->nanos))
			return FAIL(in, CD_EINVAL,
			            "\"%s\" is not an RFC 3339 time",
			            json_string_value(j));
		return CD_OK;
	}
	if (w == CC_WKT_FIELDMASK) {
		Google__Protobuf__FieldMask *fm = (void *)m;
		if (!json_is_string(j))
			return FAIL(in, CD_EINVAL, "expected \"path,path\"");
		const char *s = json_string_value(j);
		if (!*s)
			return CD_OK;
		size_t n = 1;
		for (const char *p = s; *p; p++)
			n += *p == ',';
		if (!(fm->paths = calloc(n, sizeof(char *))))
			return FAIL(in, CD_ENOMEM, "out of memory");
		while (*s) {
			size_t len = strcspn(s, ",");
			char part[256], snake[300];
			if (!len || len >= sizeof(part))
				return FAIL(in, CD_EINVAL,
				            "empty or overlong path in mask");
			memcpy(part, s, len);
			part[len] = '\0';
			if (cc_json_snake(part, snake, sizeof(snake)) ||
			    !(fm->paths[fm->n_paths] = strdup(snake)))
				return FAIL(in, CD_ENOMEM, "out of memory");
			fm->n_paths++;
			s += len;
			if (*s == ',' && !*++s)
				return FAIL(in, CD_EINVAL, "mask ends in ','");
		}
		return CD_OK;
	}
	const ProtobufCFieldDescriptor *f = &m->descriptor->fields[0];
	return cc_in_value(in, f, j, (char *)m + f->offset);
}

static int cc_in_msg(cc_in_t *in, const json_t *j,
                     const ProtobufCMessageDescriptor *d,
                     ProtobufCMessage **out)
{
	ProtobufCMessage *m = malloc(d->sizeof_message);
	if (!m)
		return FAIL(in, CD_ENOMEM, "out of memory");
	d->message_init(m);
	cc_wkt_t w = cc_json_wkt(d);
	int rc = w != CC_WKT_NONE ? cc_in_wkt(in, j, m, w)
	                          : cc_in_fields(in, j, m);
	if (rc) {
		protobuf_c_message_free_unpacked(m, NULL);
		return rc;
	}
	*out = m;
	return CD_OK;
}

int cc_json_to_msg_flags(const json_t *j,
                         const ProtobufCMessageDescriptor *desc,
                         unsigned flags, ProtobufCMessage **out, char *err,
                         size_t errlen)
{
	cc_in_t in;
	in.path[0] = '\0';
	in.err = err;
	in.errlen = errlen;
	in.flags = flags;
	*out = NULL;
	return cc_in_msg(&in, j, desc, out);
}

int cc_json_to_msg(const json_t *j, const ProtobufCMessageDescriptor *desc,
                   ProtobufCMessage **out, char *err, size_t errlen)
{
	return cc_json_to_msg_flags(j, desc, 0, out, err, errlen);
}
