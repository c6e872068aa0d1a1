/* rpc_status: each cd_err code gets its documented gRPC status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cd_error.h"
#include "rpc_status.h"

static void test_request_codes(void **state)
{
	(void)state;
	assert_int_equal(rpc_status_from_cd(CD_OK), GRPC_STATUS_OK);
	assert_int_equal(rpc_status_from_cd(CD_ENOTFOUND),
	                 GRPC_STATUS_NOT_FOUND);
	assert_int_equal(rpc_status_from_cd(CD_EEXISTS),
	                 GRPC_STATUS_ALREADY_EXISTS);
	assert_int_equal(rpc_status_from_cd(CD_ECONFLICT), GRPC_STATUS_ABORTED);
	assert_int_equal(rpc_status_from_cd(CD_EINVAL),
	                 GRPC_STATUS_INVALID_ARGUMENT);
	assert_int_equal(rpc_status_from_cd(CD_EPAGETOKEN),
	                 GRPC_STATUS_INVALID_ARGUMENT);
	assert_int_equal(rpc_status_from_cd(CD_ELIMIT),
	                 GRPC_STATUS_RESOURCE_EXHAUSTED);
	assert_int_equal(rpc_status_from_cd(CD_ECANCELLED),
	                 GRPC_STATUS_CANCELLED);
	assert_int_equal(rpc_status_from_cd(CD_EDEADLINE),
	                 GRPC_STATUS_DEADLINE_EXCEEDED);
	assert_int_equal(rpc_status_from_cd(CD_EUNAVAIL),
	                 GRPC_STATUS_UNAVAILABLE);
	assert_int_equal(rpc_status_from_cd(CD_EUNIMPL),
	                 GRPC_STATUS_UNIMPLEMENTED);
	assert_int_equal(rpc_status_from_cd(CD_EPRECONDITION),
	                 GRPC_STATUS_FAILED_PRECONDITION);
	assert_int_equal(rpc_status_from_cd(CD_EPLUGIN), GRPC_STATUS_INTERNAL);
	assert_int_equal(rpc_status_from_cd(CD_EUNAUTH),
	                 GRPC_STATUS_UNAUTHENTICATED);
	assert_int_equal(rpc_status_from_cd(CD_EPERM),
	                 GRPC_STATUS_PERMISSION_DENIED);
}

static void test_internal_codes(void **state)
{
	(void)state;
	assert_int_equal(rpc_status_from_cd(CD_ENOMEM),
	                 GRPC_STATUS_RESOURCE_EXHAUSTED);
	assert_int_equal(rpc_status_from_cd(CD_EIO), GRPC_STATUS_INTERNAL);
	assert_int_equal(rpc_status_from_cd(CD_ECORRUPT),
	                 GRPC_STATUS_DATA_LOSS);
	assert_int_equal(rpc_status_from_cd(CD_EINTERNAL),
	                 GRPC_STATUS_INTERNAL);
	assert_int_equal(rpc_status_from_cd(CD__COUNT), GRPC_STATUS_UNKNOWN);
	assert_int_equal(rpc_status_from_cd(-1), GRPC_STATUS_UNKNOWN);
}

static void test_every_validation_code(void **state)
{
	(void)state;
	int seen = 0;
	for (int c = 0; c < CD__COUNT; c++) {
		if (strncmp(cd_err_name(c), "CD_EV_", 6) != 0)
			continue;
		seen++;
		assert_int_equal(rpc_status_from_cd(c),
		                 GRPC_STATUS_INVALID_ARGUMENT);
	}
	assert_true(seen >= 10);
}

static void test_every_code_mapped(void **state)
{
	(void)state;
	/* A new code must be given a status on purpose, never UNKNOWN. */
	for (int c = 0; c < CD__COUNT; c++)
		assert_int_not_equal(rpc_status_from_cd(c),
		                     GRPC_STATUS_UNKNOWN);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(rpc_status_name(GRPC_STATUS_OK), "OK");
	assert_string_equal(rpc_status_name(GRPC_STATUS_ABORTED), "ABORTED");
	assert_string_equal(rpc_status_name(GRPC_STATUS_UNAUTHENTICATED),
	                    "UNAUTHENTICATED");
	assert_string_equal(rpc_status_name((grpc_status_code)99), "UNKNOWN");
	assert_string_equal(rpc_status_name((grpc_status_code)-3), "UNKNOWN");
}

static void test_clean(void **state)
{
	(void)state;
	char out[64];
	rpc_status_clean("plain ascii", out, sizeof(out));
	assert_string_equal(out, "plain ascii");
	rpc_status_clean("深圳–香港", out, sizeof(out));
	assert_string_equal(out, "深圳–香港");
	rpc_status_clean("a\nb\x01" "c\x7f", out, sizeof(out));
	assert_string_equal(out, "a?b?c?");
	rpc_status_clean("bad \xff\xfe end", out, sizeof(out));
	assert_string_equal(out, "bad ?? end");
	/* Overlong, surrogate, beyond U+10FFFF, truncated sequence. */
	rpc_status_clean("\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xe6\xb7",
	                 out, sizeof(out));
	assert_string_equal(out, "??|???|????|??");
	/* Cut on a character boundary, never inside one. */
	rpc_status_clean("ab深圳", out, 6);
	assert_string_equal(out, "ab深");
	rpc_status_clean("ab深圳", out, 5);
	assert_string_equal(out, "ab");
	rpc_status_clean("abc", out, 1);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_codes),
		cmocka_unit_test(test_internal_codes),
		cmocka_unit_test(test_every_validation_code),
		cmocka_unit_test(test_every_code_mapped),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_clean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
