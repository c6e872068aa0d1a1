/* cd_utf8: one strict UTF-8 sequence; cd_status: the status-name table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cd_status.h"
#include "cd_utf8.h"

static size_t len_of(const char *s)
{
	return cd_utf8_len((const unsigned char *)s, strlen(s));
}

static void test_valid(void **state)
{
	(void)state;
	assert_int_equal(len_of("a"), 1);
	assert_int_equal(len_of("\xc3\xa9"), 2);          /* é */
	assert_int_equal(len_of("\xe4\xb8\xad"), 3);      /* 中 */
	assert_int_equal(len_of("\xf0\x9f\x98\x80"), 4);  /* U+1F600 */
	assert_int_equal(len_of("\xf4\x8f\xbf\xbf"), 4);  /* U+10FFFF */
	assert_int_equal(len_of("\xed\x9f\xbf"), 3);      /* U+D7FF */
}

static void test_invalid(void **state)
{
	(void)state;
	assert_int_equal(len_of("\x80"), 0);              /* lone continuation */
	assert_int_equal(len_of("\xc0\xaf"), 0);          /* overlong '/' */
	assert_int_equal(len_of("\xc1\xbf"), 0);
	assert_int_equal(len_of("\xe0\x9f\xbf"), 0);      /* overlong 3 */
	assert_int_equal(len_of("\xf0\x8f\xbf\xbf"), 0);  /* overlong 4 */
	assert_int_equal(len_of("\xed\xa0\x80"), 0);      /* U+D800 */
	assert_int_equal(len_of("\xf4\x90\x80\x80"), 0);  /* past U+10FFFF */
	assert_int_equal(len_of("\xf5\x80\x80\x80"), 0);
	assert_int_equal(len_of("\xff"), 0);
	assert_int_equal(len_of("\xc3("), 0);             /* bad continuation */
}

static void test_bounded(void **state)
{
	(void)state;
	const unsigned char e9[] = {0xc3, 0xa9};
	/* A sequence cut by the end of the bytes is not one; nothing past
	 * avail is read. */
	assert_int_equal(cd_utf8_len(e9, 1), 0);
	assert_int_equal(cd_utf8_len(e9, 2), 2);
	assert_int_equal(cd_utf8_len(e9, 0), 0);
	const unsigned char nul[] = {0};
	assert_int_equal(cd_utf8_len(nul, 1), 1);
}

static void test_status_names(void **state)
{
	(void)state;
	assert_string_equal(cd_status_name(0), "OK");
	assert_string_equal(cd_status_name(5), "NOT_FOUND");
	assert_string_equal(cd_status_name(16), "UNAUTHENTICATED");
	assert_null(cd_status_name(17));
	assert_null(cd_status_name(-1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_status_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
