/* cd_rec: the packed clusters.v1.Cluster reader against records
 * protobuf-c encodes — every field, merged messages (last scalar wins,
 * repeated fields append), unknown fields skipped, and corrupt input
 * (wrong wire type, truncation, groups) refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cd_error.h"
#include "clusters/v1/clusters.pb-c.h"
#include "cd_rec.h"

static int span_is(cd_span_t s, const char *want)
{
	return s.len == strlen(want) && memcmp(s.s, want, s.len) == 0;
}

static uint8_t *pack_full(size_t *len)
{
	static char *cities[] = {"Shenzhen", "Hong Kong"};
	Clusters__V1__Indicator i0, i1, *ip[2] = {&i0, &i1};
	Clusters__V1__Assessment a0, *ap[1] = {&a0};
	Clusters__V1__Cluster__LabelsEntry l0, *lp[1] = {&l0};
	Clusters__V1__Cluster c;
	clusters__v1__cluster__init(&c);
	clusters__v1__indicator__init(&i0);
	clusters__v1__indicator__init(&i1);
	clusters__v1__assessment__init(&a0);
	clusters__v1__cluster__labels_entry__init(&l0);
	i0.name = "firms";
	i0.year = 2022;
	i0.value = 12.5;
	i0.unit = "count";
	i1.name = "odd";
	i1.year = -5;
	i1.value = -0.0;
	a0.judge = "j";
	a0.criterion = "impact";
	a0.score = 7.25;
	a0.comment = "fine";
	a0.round = "final";
	a0.recused = 1;
	l0.key = "tier";
	l0.value = "gold";
	c.id = "sz-hk";
	c.name = "Shenzhen-Hong Kong";
	c.economy = "CN/HK";
	c.region = "Guangdong";
	c.industry = "ICT";
	c.n_cities = 2;
	c.cities = cities;
	c.n_indicators = 2;
	c.indicators = ip;
	c.n_assessments = 1;
	c.assessments = ap;
	c.n_labels = 1;
	c.labels = lp;
	c.etag = "00000000000000ff";
	*len = clusters__v1__cluster__get_packed_size(&c);
	uint8_t *b = malloc(*len + 64);
	clusters__v1__cluster__pack(&c, b);
	return b;
}

static void test_fields(void **st)
{
	(void)st;
	size_t len;
	uint8_t *b = pack_full(&len);
	cd_rec_t r = {0};
	assert_int_equal(cd_rec_parse(&r, b, len), CD_OK);
	assert_true(span_is(r.id, "sz-hk"));
	assert_true(span_is(r.name, "Shenzhen-Hong Kong"));
	assert_true(span_is(r.economy, "CN/HK"));
	assert_true(span_is(r.region, "Guangdong"));
	assert_true(span_is(r.industry, "ICT"));
	assert_true(span_is(r.etag, "00000000000000ff"));
	assert_int_equal(r.ncities, 2);
	assert_true(span_is(r.cities[1], "Hong Kong"));
	assert_int_equal(r.nindicators, 2);
	assert_true(span_is(r.indicators[0].name, "firms"));
	assert_true(span_is(r.indicators[0].unit, "count"));
	assert_int_equal(r.indicators[0].year, 2022);
	assert_true(r.indicators[0].value == 12.5);
	assert_int_equal(r.indicators[1].year, -5);
	assert_true(span_is(r.indicators[1].unit, ""));
	assert_int_equal(r.nassessments, 1);
	assert_true(span_is(r.assessments[0].judge, "j"));
	assert_true(span_is(r.assessments[0].criterion, "impact"));
	assert_true(span_is(r.assessments[0].comment, "fine"));
	assert_true(span_is(r.assessments[0].round, "final"));
	assert_true(r.assessments[0].score == 7.25);
	assert_int_equal(r.assessments[0].recused, 1);
	assert_int_equal(r.nlabels, 1);
	assert_true(span_is(r.labels[0].key, "tier"));
	assert_true(span_is(r.labels[0].value, "gold"));

	/* An empty record reads as empty fields, arrays reset. */
	assert_int_equal(cd_rec_parse(&r, b, 0), CD_OK);
	assert_int_equal(r.id.len, 0);
	assert_non_null(r.id.s);
	assert_int_equal(r.ncities + r.nindicators + r.nassessments +
	                 r.nlabels, 0);
	cd_rec_free(&r);
	free(b);
}

/* Two messages back to back are one merged message; unknown fields
 * (here number 99, varint) are skipped. */
static void test_merge_and_unknown(void **st)
{
	(void)st;
	size_t len;
	uint8_t *b = pack_full(&len);
	uint8_t *two = malloc(2 * len + 16);
	memcpy(two, b, len);
	size_t n = len;
	two[n++] = (uint8_t)(99 << 3 & 0x7f) | 0x80;   /* tag 99, varint */
	two[n++] = (uint8_t)(99 >> 4);
	two[n++] = 0x96;
	two[n++] = 0x01;
	memcpy(two + n, b, len);
	n += len;
	two[n++] = 0x0a;                       /* id = "x" (last wins) */
	two[n++] = 1;
	two[n++] = 'x';
	cd_rec_t r = {0};
	assert_int_equal(cd_rec_parse(&r, two, n), CD_OK);
	assert_true(span_is(r.id, "x"));
	assert_int_equal(r.ncities, 4);
	assert_int_equal(r.nindicators, 4);
	assert_int_equal(r.nassessments, 2);
	assert_int_equal(r.nlabels, 2);
	/* And protobuf-c agrees. */
	Clusters__V1__Cluster *c = clusters__v1__cluster__unpack(NULL, n, two);
	assert_non_null(c);
	assert_string_equal(c->id, "x");
	assert_int_equal(c->n_indicators, 4);
	clusters__v1__cluster__free_unpacked(c, NULL);
	cd_rec_free(&r);
	free(two);
	free(b);
}

static void test_corrupt(void **st)
{
	(void)st;
	size_t len;
	uint8_t *b = pack_full(&len);
	cd_rec_t r = {0};
	for (size_t cut = 1; cut < len; cut++) {
		/* Every proper prefix that ends inside a field is refused;
		 * prefixes ending between fields are valid records. */
		int rc = cd_rec_parse(&r, b, cut);
		assert_true(rc == CD_OK || rc == CD_ECORRUPT);
		Clusters__V1__Cluster *c =
			clusters__v1__cluster__unpack(NULL, cut, b);
		assert_int_equal(rc == CD_OK, c != NULL);
		clusters__v1__cluster__free_unpacked(c, NULL);
	}
	static const uint8_t wrong_type[] = {0x08, 0x01};     /* id varint */
	static const uint8_t group[] = {0x0b, 0x0c};          /* field 1 group */
	/* An indicator whose year (varint) comes as a fixed64. */
	static const uint8_t bad_year[] = {0x3a, 0x09, 0x11, 0, 0, 0, 0, 0,
	                                   0, 0, 0};
	static const uint8_t long_len[] = {0x0a, 0x05, 'a'};
	static const uint8_t field0[] = {0x00, 0x00};
	assert_int_equal(cd_rec_parse(&r, wrong_type, 2), CD_ECORRUPT);
	assert_int_equal(cd_rec_parse(&r, group, 2), CD_ECORRUPT);
	assert_int_equal(cd_rec_parse(&r, bad_year, sizeof(bad_year)), CD_ECORRUPT);
	assert_int_equal(cd_rec_parse(&r, long_len, 3), CD_ECORRUPT);
	assert_int_equal(cd_rec_parse(&r, field0, 2), CD_ECORRUPT);
	Clusters__V1__Cluster *c = clusters__v1__cluster__unpack(
		NULL, sizeof(bad_year), bad_year);
	assert_null(c);   /* protobuf-c refuses it too */
	cd_rec_free(&r);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_merge_and_unknown),
		cmocka_unit_test(test_corrupt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
