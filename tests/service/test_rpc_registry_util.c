/* The registry's helpers: the field a validation message names, and
 * strings made safe for proto3 and log lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

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

static void test_clean(void **state)
{
	(void)state;
	char out[64];
	rpc_registry_clean("plain ascii", out, sizeof(out));
	assert_string_equal(out, "plain ascii");
	rpc_registry_clean("深圳–香港", out, sizeof(out));
	assert_string_equal(out, "深圳–香港");
	rpc_registry_clean("a\nb\x01" "c\x7f", out, sizeof(out));
	assert_string_equal(out, "a?b?c?");
	rpc_registry_clean("bad \xff\xfe end", out, sizeof(out));
	assert_string_equal(out, "bad ?? end");
	/* Overlong, surrogate, beyond U+10FFFF, truncated sequence. */
	rpc_registry_clean("\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xe6\xb7",
	                   out, sizeof(out));
	assert_string_equal(out, "??|???|????|??");
	/* Cut on a character boundary, never inside one. */
	rpc_registry_clean("ab深圳", out, 6);
	assert_string_equal(out, "ab深");
	rpc_registry_clean("ab深圳", out, 5);
	assert_string_equal(out, "ab");
	rpc_registry_clean("abc", out, 1);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_field),
		cmocka_unit_test(test_clean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
