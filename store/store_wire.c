/*
 * store_wire.c — builds a stored cluster record from the bytes a client
 * sent, without decoding and re-encoding: the client's top-level fields are
 * copied as they are, except the output-only ones (etag 10, create_time 11,
 * update_time 12), and the store's own values for those are appended. For
 * input in canonical field order the result is byte for byte what encoding
 * the record with protobuf-c would give.
 */
#include "store_internal.h"

#include <string.h>

#define F_ETAG 10
#define F_CREATE 11
#define F_UPDATE 12

/* Reads a varint; 0 on malformed input. */
static size_t get_varint(const uint8_t *p, size_t len, uint64_t *v)
{
	uint64_t r = 0;
	for (size_t i = 0; i < len && i < 10; i++) {
		r |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*v = r;
			return i + 1;
		}
	}
	return 0;
}

static size_t put_varint(uint8_t *o, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		o[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	o[n++] = (uint8_t)v;
	return n;
}

static size_t put_timestamp(uint8_t *o, unsigned field,
                            const Google__Protobuf__Timestamp *t)
{
	uint8_t body[24];
	size_t bl = 0, n = 0;
	if (t->seconds) {
		body[bl++] = 0x08;
		bl += put_varint(body + bl, (uint64_t)t->seconds);
	}
	if (t->nanos) {
		body[bl++] = 0x10;
		bl += put_varint(body + bl, (uint64_t)(int64_t)t->nanos);
	}
	o[n++] = (uint8_t)(field << 3 | 2);
	n += put_varint(o + n, bl);
	memcpy(o + n, body, bl);
	return n + bl;
}

size_t store_wire_build(const uint8_t *in, size_t len, uint8_t *out,
                        const char *etag,
                        const Google__Protobuf__Timestamp *ct,
                        const Google__Protobuf__Timestamp *ut)
{
	size_t i = 0, o = 0, run = 0;
	while (i < len) {
		uint64_t tag, l = 0;
		size_t start = i, n = get_varint(in + i, len - i, &tag);
		if (!n)
			return 0;
		i += n;
		switch (tag & 7) {
		case 0:
			if (!(n = get_varint(in + i, len - i, &l)))
				return 0;
			i += n;
			break;
		case 1:
			i += 8;
			break;
		case 2:
			if (!(n = get_varint(in + i, len - i, &l)) ||
			    l > len - i - n)
				return 0;
			i += n + l;
			break;
		case 5:
			i += 4;
			break;
		default: /* groups: not produced for proto3 messages */
			return 0;
		}
		if (i > len)
			return 0;
		uint64_t field = tag >> 3;
		if (field == F_ETAG || field == F_CREATE || field == F_UPDATE) {
			/* Copy the run of kept fields before this one. */
			memcpy(out + o, in + run, start - run);
			o += start - run;
			run = i;
		}
	}
	memcpy(out + o, in + run, len - run);
	o += len - run;
	size_t el = strlen(etag);
	out[o++] = F_ETAG << 3 | 2;
	o += put_varint(out + o, el);
	memcpy(out + o, etag, el);
	o += el;
	o += put_timestamp(out + o, F_CREATE, ct);
	o += put_timestamp(out + o, F_UPDATE, ut);
	return o;
}
