/*
 * store_audit_diff.c — which top-level fields an update changed, for the
 * audit trail: two decoded records of one message type compared through
 * protobuf-c's descriptors, so that Cluster and Competition (and fields
 * added to them later) need no code of their own.
 */
#include "store_internal.h"

#include "cd_pb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fields the store sets itself: they change on every write. */
static int output_only(const char *name)
{
	return !strcmp(name, "id") || !strcmp(name, "etag") ||
	       !strcmp(name, "create_time") || !strcmp(name, "update_time");
}

static int str_eq(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

static int msg_eq(const ProtobufCMessage *a, const ProtobufCMessage *b);

/* One value of field f at a and b. */
static int value_eq(const ProtobufCFieldDescriptor *f, const void *a,
                    const void *b)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		return str_eq(*(char *const *)a, *(char *const *)b);
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *x = a, *y = b;
		return x->len == y->len &&
		       (!x->len || !memcmp(x->data, y->data, x->len));
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		return msg_eq(*(ProtobufCMessage *const *)a,
		              *(ProtobufCMessage *const *)b);
	default:
		/* Bits, not ==: -0.0 and 0.0 are stored differently. */
		return !memcmp(a, b, cd_pb_elem_size(f->type));
	}
}

static size_t count_of(const ProtobufCFieldDescriptor *f,
                       const ProtobufCMessage *m)
{
	return *(const size_t *)((const char *)m + f->quantifier_offset);
}

static int field_eq(const ProtobufCFieldDescriptor *f,
                    const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	const char *pa = (const char *)a + f->offset;
	const char *pb = (const char *)b + f->offset;

	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		size_t n = count_of(f, a), sz = cd_pb_elem_size(f->type);
		if (n != count_of(f, b))
			return 0;
		const char *xa = *(char *const *)pa, *xb = *(char *const *)pb;
		for (size_t i = 0; i < n; i++)
			if (!value_eq(f, xa + i * sz, xb + i * sz))
				return 0;
		return 1;
	}
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		uint32_t ca = *(const uint32_t *)((const char *)a +
		                                  f->quantifier_offset);
		uint32_t cb = *(const uint32_t *)((const char *)b +
		                                  f->quantifier_offset);
		if ((ca == f->id) != (cb == f->id))
			return 0;
		if (ca != f->id)
			return 1;
	} else if (f->label == PROTOBUF_C_LABEL_OPTIONAL &&
	           f->type != PROTOBUF_C_TYPE_STRING &&
	           f->type != PROTOBUF_C_TYPE_MESSAGE) {
		protobuf_c_boolean ha = *(const protobuf_c_boolean *)(
		        (const char *)a + f->quantifier_offset);
		protobuf_c_boolean hb = *(const protobuf_c_boolean *)(
		        (const char *)b + f->quantifier_offset);
		if (ha != hb)
			return 0;
	}
	return value_eq(f, pa, pb);
}

static int msg_eq(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	if (!a || !b)
		return a == b;
	const ProtobufCMessageDescriptor *d = a->descriptor;
	if (d != b->descriptor)
		return 0;
	for (unsigned i = 0; i < d->n_fields; i++)
		if (!field_eq(&d->fields[i], a, b))
			return 0;
	return 1;
}

static void add_path(store_paths_t *out, const char *a, const char *b)
{
	size_t need = strlen(a) + (b ? strlen(b) + 1 : 0) + 1;
	if (out->n == sizeof(out->v) / sizeof(out->v[0]) ||
	    need > sizeof(out->arena) - out->used)
		return;
	char *p = out->arena + out->used;
	snprintf(p, need, b ? "%s.%s" : "%s", a, b ? b : "");
	out->v[out->n++] = p;
	out->used += need;
}

/* protoc's map entry: a message with exactly the fields key (1) and
 * value (2), the key a string. */
static int is_string_map(const ProtobufCFieldDescriptor *f)
{
	const ProtobufCMessageDescriptor *d = f->descriptor;
	return f->label == PROTOBUF_C_LABEL_REPEATED &&
	       f->type == PROTOBUF_C_TYPE_MESSAGE && d && d->n_fields == 2 &&
	       !strcmp(d->fields[0].name, "key") &&
	       d->fields[0].type == PROTOBUF_C_TYPE_STRING &&
	       !strcmp(d->fields[1].name, "value");
}

static const char *entry_key(const ProtobufCMessage *e)
{
	const ProtobufCFieldDescriptor *k = &e->descriptor->fields[0];
	const char *s = *(char *const *)((const char *)e + k->offset);
	return s ? s : "";
}

static const ProtobufCMessage *entry_find(ProtobufCMessage *const *v,
                                          size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(entry_key(v[i]), key))
			return v[i];
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "<field>.<key>" for every key whose entry differs, in key order. Maps
 * are small (64 labels at most): quadratic search is fine. */
static void diff_map(const ProtobufCFieldDescriptor *f,
                     const ProtobufCMessage *a, const ProtobufCMessage *b,
                     store_paths_t *out)
{
	size_t na = count_of(f, a), nb = count_of(f, b), first = out->n;
	ProtobufCMessage *const *va =
	        *(ProtobufCMessage *const *const *)((const char *)a + f->offset);
	ProtobufCMessage *const *vb =
	        *(ProtobufCMessage *const *const *)((const char *)b + f->offset);

	for (size_t i = 0; i < na; i++) {
		const ProtobufCMessage *o = entry_find(vb, nb, entry_key(va[i]));
		if (!o || !msg_eq(va[i], o))
			add_path(out, f->name, entry_key(va[i]));
	}
	for (size_t i = 0; i < nb; i++)
		if (!entry_find(va, na, entry_key(vb[i])))
			add_path(out, f->name, entry_key(vb[i]));
	qsort(out->v + first, out->n - first, sizeof(out->v[0]), cmp_str);
}

void store_audit_diff(const ProtobufCMessage *old, const ProtobufCMessage *rec,
                      store_paths_t *out)
{
	const ProtobufCMessageDescriptor *d = old->descriptor;
	out->n = 0;
	out->used = 0;
	if (d != rec->descriptor)
		return;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (output_only(f->name) || field_eq(f, old, rec))
			continue;
		if (is_string_map(f))
			diff_map(f, old, rec, out);
		else
			add_path(out, f->name, NULL);
	}
}
