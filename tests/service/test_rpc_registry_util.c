/* The registry's helpers: the field a validation message names, and the
 * span of a sub-message inside a packed request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "clusters/v1/clusters.pb-c.h"
#include "rpc_registry.h"

static void test_field(void **state)
{
	(void)state;
	char f[32];
	rpc_registry_field("indicators[3].year: 1700 is outside 1800..2200",
	                   f, sizeof(f));
	assert_string_equal(f, "indicators[3].year");
	rpc_registry_field("id: must match [a-z0-9]", f, sizeof(f));
	assert_string_equal(f, "id");
	rpc_registry_field("cluster \"x\" not found", f, sizeof(f));
	assert_string_equal(f, "");
	rpc_registry_field("no colon at all", f, sizeof(f));
	assert_string_equal(f, "");
	rpc_registry_field("two words: here", f, sizeof(f));
	assert_string_equal(f, "");
	rpc_registry_field("a_field_name_longer_than_the_buffer_is: x", f, 8);
	assert_string_equal(f, "");
}

/* A CreateClusterRequest packed by protobuf-c: the span found is exactly
 * the packed Cluster. */
static void test_sub_message_real(void **state)
{
	(void)state;
	Clusters__V1__Cluster c = CLUSTERS__V1__CLUSTER__INIT;
	c.id = "osaka";
	c.name = "Osaka";
	c.economy = "JP";
	Clusters__V1__CreateClusterRequest r =
		CLUSTERS__V1__CREATE_CLUSTER_REQUEST__INIT;
	r.cluster = &c;
	uint8_t req[256], want[256];
	size_t rlen = clusters__v1__create_cluster_request__pack(&r, req);
	size_t wlen = clusters__v1__cluster__pack(&c, want);
	size_t n = 0;
	const uint8_t *p = rpc_registry_sub_message(req, rlen, 1, &n);
	assert_non_null(p);
	assert_int_equal(n, wlen);
	assert_memory_equal(p, want, wlen);
}

static void test_sub_message_edges(void **state)
{
	(void)state;
	size_t n = 99;
	/* field 2 varint 5, field 1 "ab", field 3 fixed32, field 4 fixed64 */
	const uint8_t ok[] = {0x10, 0x05, 0x0a, 0x02, 'a', 'b',
	                      0x1d, 1, 2, 3, 4,
	                      0x21, 1, 2, 3, 4, 5, 6, 7, 8};
	const uint8_t *p = rpc_registry_sub_message(ok, sizeof(ok), 1, &n);
	assert_ptr_equal(p, ok + 4);
	assert_int_equal(n, 2);
	/* absent */
	assert_null(rpc_registry_sub_message(ok, sizeof(ok), 5, &n));
	assert_int_equal(n, 0);
	/* twice: a decoder merges them, so no single span */
	const uint8_t twice[] = {0x0a, 0x01, 'a', 0x0a, 0x01, 'b'};
	assert_null(rpc_registry_sub_message(twice, sizeof(twice), 1, &n));
	/* a length running past the end */
	const uint8_t cut[] = {0x0a, 0x05, 'a', 'b'};
	assert_null(rpc_registry_sub_message(cut, sizeof(cut), 1, &n));
	/* a fixed64 running past the end */
	const uint8_t cut64[] = {0x0a, 0x01, 'a', 0x21, 1, 2};
	assert_null(rpc_registry_sub_message(cut64, sizeof(cut64), 1, &n));
	/* a group wire type */
	const uint8_t grp[] = {0x0b, 0x0c};
	assert_null(rpc_registry_sub_message(grp, sizeof(grp), 1, &n));
	/* an unterminated varint */
	const uint8_t bad[] = {0x0a, 0x81};
	assert_null(rpc_registry_sub_message(bad, sizeof(bad), 1, &n));
	/* empty input */
	assert_null(rpc_registry_sub_message(ok, 0, 1, &n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_field),
		cmocka_unit_test(test_sub_message_real),
		cmocka_unit_test(test_sub_message_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
