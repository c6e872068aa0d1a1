/*
 * jdg_irr's allocation failures: the test is linked with
 * -Wl,--wrap=malloc,--wrap=calloc, so every malloc and calloc the library
 * makes goes through the wrappers below, which fail the n-th call. For
 * every n up to the number of allocations a successful run makes, the
 * call must return CD_ENOMEM with nothing allocated left behind (ASan's
 * leak check and valgrind see to that) and *out NULL.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cd_error.h"
#include "jdg_irr.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t nmemb, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t nmemb, size_t size);

static long fail_at = -1; /* fail the fail_at-th call (0-based); -1 never */
static long calls;

void *__wrap_malloc(size_t size)
{
	if (calls++ == fail_at)
		return NULL;
	return __real_malloc(size);
}

void *__wrap_calloc(size_t nmemb, size_t size)
{
	if (calls++ == fail_at)
		return NULL;
	return __real_calloc(nmemb, size);
}

static void test_every_allocation(void **state)
{
	(void)state;
	/* Two criteria so the overall matrix is allocated too. */
	static const double a[] = {1, 2, 1, 2, 4, 3, 3, 3, 5, 4, 5, 6};
	static const double b[] = {2, NAN, 1, 2, 4, 3, 3, 3, 5, 4, 5, 6};
	const double *ms[2] = {a, b};
	jdg_irr_result_t *r = NULL;
	char err[128];
	fail_at = -1;
	calls = 0;
	assert_int_equal(jdg_irr_create(&r, ms, 2, 4, 3, err, sizeof err),
	                 CD_OK);
	jdg_irr_destroy(r);
	long total = calls;
	/* work (12) + result, criteria, 3 judge arrays, the overall copy. */
	assert_true(total >= 17);
	for (long n = 0; n < total; n++) {
		fail_at = n;
		calls = 0;
		r = (jdg_irr_result_t *)&r;
		err[0] = '\0';
		assert_int_equal(jdg_irr_create(&r, ms, 2, 4, 3, err,
		                                sizeof err),
		                 CD_ENOMEM);
		assert_null(r);
		assert_string_equal(err, "out of memory");
	}
	fail_at = -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_allocation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
