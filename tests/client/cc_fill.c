/* Every field set, by reflection; see cc_fill.h. */
#include "cc_fill.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/field_mask.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"

static void cc_fill_fields(ProtobufCMessage *m, unsigned pick, int depth,
                           unsigned salt);

static void cc_fill_value(const ProtobufCFieldDescriptor *f, void *p,
                          unsigned pick, int depth, unsigned salt)
{
	char buf[128];
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		*(int32_t *)p = 7 + (int32_t)f->id + (int32_t)salt;
		break;
	case PROTOBUF_C_TYPE_SINT32:
		*(int32_t *)p = -7 - (int32_t)salt;
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		*(uint32_t *)p = 4000000000u - salt;
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		/* Beyond 2^53: survives only as a JSON string. */
		*(int64_t *)p = -9007199254740993LL - salt;
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		*(uint64_t *)p = 18446744073709551615ULL - salt;
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		*(float *)p = 1.5f + (float)salt;
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		*(double *)p = 0.1 + f->id + salt / 3.0;
		break;
	case PROTOBUF_C_TYPE_BOOL:
		*(protobuf_c_boolean *)p = 1;
		break;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumDescriptor *ed = f->descriptor;
		*(int *)p = ed->values[ed->n_values - 1 - salt % ed->n_values]
		                    .value;
		if (!*(int *)p)
			*(int *)p = ed->values[ed->n_values - 1].value;
		break;
	}
	case PROTOBUF_C_TYPE_STRING:
		snprintf(buf, sizeof(buf), "%s-%u \"é中\"\n", f->name, salt);
		*(char **)p = strdup(buf);
		break;
	case PROTOBUF_C_TYPE_BYTES:
		break;
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessageDescriptor *d = f->descriptor;
		ProtobufCMessage *sub = malloc(d->sizeof_message);
		d->message_init(sub);
		if (depth < 4)
			cc_fill_fields(sub, pick, depth + 1, salt);
		*(ProtobufCMessage **)p = sub;
		break;
	}
	}
}

static size_t cc_elem(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64: case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_STRING: case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	default:
		return 4;
	}
}

static void cc_fill_fields(ProtobufCMessage *m, unsigned pick, int depth,
                           unsigned salt)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	char *base = (char *)m;
	if (!strcmp(d->name, "google.protobuf.Timestamp")) {
		Google__Protobuf__Timestamp *t = (void *)m;
		t->seconds = 1700000000 + salt;
		t->nanos = 123456789;
		return;
	}
	if (!strcmp(d->name, "google.protobuf.FieldMask")) {
		Google__Protobuf__FieldMask *fm = (void *)m;
		fm->paths = calloc(2, sizeof(char *));
		fm->paths[0] = strdup("update_time");
		fm->paths[1] = strdup("name");
		fm->n_paths = 2;
		return;
	}
	unsigned oneof_seen = 0;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			/* Members of one oneof share the case offset. */
			if (oneof_seen++ != pick)
				continue;
			*(uint32_t *)(base + f->quantifier_offset) = f->id;
		}
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = 2, sz = cc_elem(f->type);
			char *arr = calloc(n, sz);
			*(void **)(base + f->offset) = arr;
			*(size_t *)(base + f->quantifier_offset) = n;
			for (size_t k = 0; k < n; k++)
				cc_fill_value(f, arr + k * sz, pick, depth,
				              salt + (unsigned)k + 1);
			continue;
		}
		cc_fill_value(f, base + f->offset, pick, depth, salt);
	}
}

ProtobufCMessage *cc_fill(const ProtobufCMessageDescriptor *d,
                          unsigned oneof_pick)
{
	ProtobufCMessage *m = malloc(d->sizeof_message);
	d->message_init(m);
	cc_fill_fields(m, oneof_pick, 0, 0);
	return m;
}

int cc_same(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	size_t na = protobuf_c_message_get_packed_size(a);
	size_t nb = protobuf_c_message_get_packed_size(b);
	if (na != nb)
		return 0;
	uint8_t *ba = malloc(na + 1), *bb = malloc(nb + 1);
	protobuf_c_message_pack(a, ba);
	protobuf_c_message_pack(b, bb);
	int same = !memcmp(ba, bb, na);
	free(ba);
	free(bb);
	return same;
}
