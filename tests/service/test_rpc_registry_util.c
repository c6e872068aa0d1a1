/* The registry's helper: the field a validation message names. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_field),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
