/* Differential fuzz target: protobuf-c's decoder against the store's own
 * record reader (cd_rec) on the same bytes. Whatever the write path
 * accepts — the wire check (cd_wire) and protobuf-c both pass it — the
 * read path must read, to the same values. A record the store accepted
 * but cannot read back would fail every run and export that meets it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "cd_rec.h"
#include "cd_utf8.h"
#include "cd_wire.h"
#include "clusters/v1/clusters.pb-c.h"

/* What the wire check accepted is text: no NUL (the lengths agree with
 * strlen) and UTF-8 by the one-sequence-at-a-time reference, whatever
 * shortcut the check takes. */
static void is_text(cd_span_t sp)
{
	const unsigned char *p = (const unsigned char *)sp.s;
	for (size_t i = 0; i < sp.len;) {
		size_t k = cd_utf8_len(p + i, sp.len - i);
		if (k == 0 || p[i] == 0)
			abort();
		i += k;
	}
}

static void same_str(const char *s, cd_span_t sp)
{
	size_t n = s ? strlen(s) : 0;
	if (n != sp.len || (n && memcmp(s, sp.s, n) != 0))
		abort();
	is_text(sp);
}

static void same_double(double a, double b)
{
	/* Bit for bit: both read the same 8 bytes. */
	if (memcmp(&a, &b, sizeof(a)) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	if (cd_wire_check(&clusters__v1__cluster__descriptor, data, size, NULL,
	                  0, err, sizeof(err)) != CD_OK)
		return 0;
	Clusters__V1__Cluster *c = clusters__v1__cluster__unpack(NULL, size,
	                                                         data);
	if (!c)
		return 0;
	cd_rec_t r;
	memset(&r, 0, sizeof(r));
	if (cd_rec_parse(&r, data, size) != CD_OK)
		abort(); /* accepted on write, unreadable on read */
	same_str(c->id, r.id);
	same_str(c->name, r.name);
	same_str(c->economy, r.economy);
	same_str(c->region, r.region);
	same_str(c->industry, r.industry);
	same_str(c->etag, r.etag);
	if (c->n_cities != r.ncities || c->n_indicators != r.nindicators ||
	    c->n_assessments != r.nassessments || c->n_labels != r.nlabels)
		abort();
	for (size_t i = 0; i < c->n_cities; i++)
		same_str(c->cities[i], r.cities[i]);
	for (size_t i = 0; i < c->n_indicators; i++) {
		const Clusters__V1__Indicator *a = c->indicators[i];
		const cd_rec_indicator_t *b = &r.indicators[i];
		same_str(a->name, b->name);
		same_str(a->unit, b->unit);
		if (a->year != b->year)
			abort();
		same_double(a->value, b->value);
	}
	for (size_t i = 0; i < c->n_assessments; i++) {
		const Clusters__V1__Assessment *a = c->assessments[i];
		const cd_rec_assessment_t *b = &r.assessments[i];
		same_str(a->judge, b->judge);
		same_str(a->criterion, b->criterion);
		same_str(a->comment, b->comment);
		same_str(a->round, b->round);
		same_double(a->score, b->score);
		if (!!a->recused != !!b->recused)
			abort();
	}
	for (size_t i = 0; i < c->n_labels; i++) {
		same_str(c->labels[i]->key, r.labels[i].key);
		same_str(c->labels[i]->value, r.labels[i].value);
	}
	cd_rec_free(&r);
	clusters__v1__cluster__free_unpacked(c, NULL);
	return 0;
}
