/*
 * store_rec — a zero-copy reader of packed clusters.v1.Cluster records, the
 * bytes the store keeps and store_snap_scan hands out.
 *
 * store_rec_parse reads one record's protobuf wire format into spans that
 * point into the caller's bytes (valid only while those bytes are: for a
 * scan, during the callback), so a reader that needs a few fields of a
 * million records decodes each once, with no allocation per record: the
 * arrays of cities, indicators, assessments and labels are reused from one
 * record to the next and grow only when a record holds more than any before.
 *
 * Semantics follow the protobuf decoder: unknown fields are skipped; a
 * scalar or string field given twice keeps its last value; repeated fields
 * and map entries keep every occurrence in order; a known field with the
 * wrong wire type, a truncated field or a group makes the record corrupt.
 * int32 values are the low 32 bits of their varint, bools any non-zero
 * varint. Strings are not checked (the store validated them when written)
 * and are not NUL-terminated.
 *
 * Thread-safety: a store_rec_t belongs to one thread at a time; parsing
 * touches nothing else.
 */
#ifndef STORE_REC_H
#define STORE_REC_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of a string field; s is never NULL (an absent field is ""). */
typedef struct store_span {
	const char *s;
	size_t len;
} store_span_t;

typedef struct store_rec_indicator {
	store_span_t name, unit;
	int32_t year;
	double value;
} store_rec_indicator_t;

typedef struct store_rec_assessment {
	store_span_t judge, criterion, comment, round;
	double score;
	int recused;
} store_rec_assessment_t;

typedef struct store_rec_label {
	store_span_t key, value;
} store_rec_label_t;

typedef struct store_rec {
	store_span_t id, name, economy, region, industry, etag;
	store_span_t *cities;
	size_t ncities;
	store_rec_indicator_t *indicators;
	size_t nindicators;
	store_rec_assessment_t *assessments;
	size_t nassessments;
	store_rec_label_t *labels;
	size_t nlabels;
	/* Capacity of the arrays above, kept across records. */
	size_t capcities, capindicators, capassessments, caplabels;
} store_rec_t;

/* Reads buf[0..len) into r, which is zero-initialised before its first
 * parse. CD_OK, CD_ECORRUPT (r then holds a partial record) or
 * CD_ENOMEM. */
int store_rec_parse(store_rec_t *r, const uint8_t *buf, size_t len);
/* Frees the arrays; r may be parsed into again after. */
void store_rec_free(store_rec_t *r);

#endif
