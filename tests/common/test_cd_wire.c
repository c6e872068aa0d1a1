/* cd_wire: wire-level checks of messages against their descriptors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cd_error.h"
#include "cd_wire.h"
#include "clusters/v1/clusters.pb-c.h"

typedef struct buf {
	uint8_t b[4096];
	size_t n;
} buf_t;

static void put_varint(buf_t *b, uint64_t v)
{
	do {
		uint8_t c = v & 0x7f;
		v >>= 7;
		b->b[b->n++] = c | (v ? 0x80 : 0);
	} while (v);
}

static void put_bytes(buf_t *b, unsigned num, const void *p, size_t n)
{
	put_varint(b, (uint64_t)num << 3 | 2);
	put_varint(b, n);
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static int check(const ProtobufCMessageDescriptor *d, const buf_t *b,
                 char *path, char *err)
{
	return cd_wire_check(d, b->b, b->n, path, 128, err, 256);
}

static void test_good_cluster(void **state)
{
	(void)state;
	Clusters__V1__Cluster c = CLUSTERS__V1__CLUSTER__INIT;
	Clusters__V1__Indicator ind = CLUSTERS__V1__INDICATOR__INIT;
	Clusters__V1__Indicator *inds[] = {&ind};
	char *cities[] = {"Köln", "Bonn"};
	c.id = "koeln";
	c.name = "Köln – Bonn";
	c.economy = "DE";
	c.cities = cities;
	c.n_cities = 2;
	ind.name = "patents";
	ind.year = 2022;
	ind.value = 1.5;
	c.indicators = inds;
	c.n_indicators = 1;
	buf_t b = {.n = clusters__v1__cluster__get_packed_size(&c)};
	clusters__v1__cluster__pack(&c, b.b);
	char path[128], err[256];
	assert_int_equal(check(&clusters__v1__cluster__descriptor, &b, path,
	                       err), CD_OK);
	assert_string_equal(path, "");
	/* The empty message is a message. */
	buf_t e = {.n = 0};
	assert_int_equal(check(&clusters__v1__cluster__descriptor, &e, path,
	                       err), CD_OK);
}

static void test_nul_and_utf8(void **state)
{
	(void)state;
	char path[128], err[256];
	buf_t b = {.n = 0};
	put_bytes(&b, 1, "nul\0evil", 8);
	assert_int_equal(check(&clusters__v1__cluster__descriptor, &b, path,
	                       err), CD_EV_ENCODING);
	assert_string_equal(path, "id");
	assert_non_null(strstr(err, "id: holds a NUL byte"));

	buf_t u = {.n = 0};
	put_bytes(&u, 2, "caf\xc3", 4);
	assert_int_equal(check(&clusters__v1__cluster__descriptor, &u, path,
	                       err), CD_EV_ENCODING);
	assert_string_equal(path, "name");
	assert_non_null(strstr(err, "UTF-8"));

	/* Long strings go eight ASCII bytes at a time: a NUL or a bad byte
	 * inside a word, and good multi-byte text after one, are still
	 * seen. */
	buf_t l1 = {.n = 0}, l2 = {.n = 0}, l3 = {.n = 0};
	put_bytes(&l1, 2, "abcdefghijklm\0opqrstu", 21);
	assert_int_equal(check(&clusters__v1__cluster__descriptor, &l1, path,
	                       err), CD_EV_ENCODING);
	assert_non_null(strstr(err, "NUL"));
	put_bytes(&l2, 2, "abcdefghijk\xffmnop", 16);
	assert_int_equal(check(&clusters__v1__cluster__descriptor, &l2, path,
	                       err), CD_EV_ENCODING);
	assert_non_null(strstr(err, "UTF-8"));
	put_bytes(&l3, 2, "abcdefgh\xc3\xa9ijklmnopq\xe4\xb8\xad", 22);
	assert_int_equal(check(&clusters__v1__cluster__descriptor, &l3, path,
	                       err), CD_OK);

	/* A surrogate is not UTF-8 either. */
	buf_t s = {.n = 0};
	put_bytes(&s, 2, "\xed\xa0\x80", 3);
	assert_int_equal(check(&clusters__v1__cluster__descriptor, &s, path,
	                       err), CD_EV_ENCODING);
}

static void test_paths_in_nested_and_repeated(void **state)
{
	(void)state;
	char path[128], err[256];
	buf_t ind0 = {.n = 0}, ind1 = {.n = 0}, c = {.n = 0};
	put_bytes(&ind0, 1, "ok", 2);
	put_bytes(&ind1, 1, "b\0d", 3);
	put_bytes(&c, 1, "x", 1);
	/* Cluster.indicators is field 7. */
	put_bytes(&c, 7, ind0.b, ind0.n);
	put_bytes(&c, 7, ind1.b, ind1.n);
	assert_int_equal(check(&clusters__v1__cluster__descriptor, &c, path,
	                       err), CD_EV_ENCODING);
	assert_string_equal(path, "indicators[1].name");

	/* The request wrapping it names the request's field first. */
	buf_t r = {.n = 0};
	put_bytes(&r, 1, c.b, c.n);
	assert_int_equal(check(&clusters__v1__create_cluster_request__descriptor,
	                       &r, path, err), CD_EV_ENCODING);
	assert_string_equal(path, "cluster.indicators[1].name");
}

static void test_unknown_fields(void **state)
{
	(void)state;
	char path[128], err[256];
	uint64_t nums[] = {99, (1u << 29) - 1};
	for (size_t i = 0; i < 2; i++) {
		buf_t b = {.n = 0};
		put_bytes(&b, 1, "x", 1);
		put_varint(&b, nums[i] << 3);
		put_varint(&b, 1);
		assert_int_equal(check(&clusters__v1__cluster__descriptor, &b,
		                       path, err), CD_EV_UNKNOWN_FIELD);
		assert_non_null(strstr(err, "unknown field number"));
	}
}

static void test_malformed(void **state)
{
	(void)state;
	char path[128], err[256];
	const uint8_t cases[][4] = {
		{0x0a, 0x05, 'a', 'b'},   /* 5 bytes announced, 2 there */
		{0x00, 0x01, 0, 0},       /* field number 0 */
		{0x0b, 0x0c, 0, 0},       /* a group */
		{0x09, 0x01, 0x02, 0},    /* fixed64 cut short */
		{0x80, 0x80, 0x80, 0x80}, /* tag never ends */
	};
	const size_t lens[] = {4, 2, 2, 3, 4};
	/* Indicator.year (field 2, int32) sent length-delimited: protobuf-c
	 * may take it, the store's reader would not. */
	buf_t ind = {.n = 0}, c = {.n = 0};
	put_bytes(&ind, 2, "\x01", 1);
	put_bytes(&c, 7, ind.b, ind.n);
	assert_int_equal(check(&clusters__v1__cluster__descriptor, &c, path,
	                       err), CD_EINVAL);
	assert_non_null(strstr(err, "indicators[0].year: sent with the wrong "
	                            "wire type"));
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		assert_int_equal(cd_wire_check(&clusters__v1__cluster__descriptor,
		                               cases[i], lens[i], path, 128,
		                               err, 256),
		                 CD_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_cluster),
		cmocka_unit_test(test_nul_and_utf8),
		cmocka_unit_test(test_paths_in_nested_and_repeated),
		cmocka_unit_test(test_unknown_fields),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
