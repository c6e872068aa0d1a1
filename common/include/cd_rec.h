/*
 * cd_rec — a zero-copy reader of packed clusters.v1.Cluster records, the
 * bytes the store keeps and store_snap_scan hands out.
 *
 * cd_rec_parse reads one record's protobuf wire format into spans that
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
 * Thread-safety: a cd_rec_t belongs to one thread at a time; parsing
 * touches nothing else.
 */
#ifndef CD_REC_H
#define CD_REC_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of a string field; s is never NULL (an absent field is ""). */
typedef struct cd_span {
	const char *s;
	size_t len;
} cd_span_t;

typedef struct cd_rec_indicator {
	cd_span_t name, unit;
	int32_t year;
	double value;
} cd_rec_indicator_t;

typedef struct cd_rec_assessment {
	cd_span_t judge, criterion, comment, round;
	double score;
	int recused;
} cd_rec_assessment_t;

typedef struct cd_rec_label {
	cd_span_t key, value;
} cd_rec_label_t;

typedef struct cd_rec {
	cd_span_t id, name, economy, region, industry, etag;
	cd_span_t *cities;
	size_t ncities;
	cd_rec_indicator_t *indicators;
	size_t nindicators;
	cd_rec_assessment_t *assessments;
	size_t nassessments;
	cd_rec_label_t *labels;
	size_t nlabels;
	/* Capacity of the arrays above, kept across records. */
	size_t capcities, capindicators, capassessments, caplabels;
} cd_rec_t;

/* Reads buf[0..len) into r, which is zero-initialised before its first
 * parse. CD_OK, CD_ECORRUPT (r then holds a partial record) or
 * CD_ENOMEM. */
int cd_rec_parse(cd_rec_t *r, const uint8_t *buf, size_t len);
/* Frees the arrays; r may be parsed into again after. */
void cd_rec_free(cd_rec_t *r);

#endif
