/* rpc_judge: a judge's view of a cluster keeps its own assessments and
 * every other field; packed records with nothing to hide stay byte for
 * byte as stored. (UpdateCluster for judges: auth_test.py.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cd_error.h"
#include "rpc_judge.h"

static Clusters__V1__Cluster *make(void)
{
	static const char *const judges[] = {"a", "b", "a", "c"};
	Clusters__V1__Cluster *cl = calloc(1, sizeof(*cl));
	clusters__v1__cluster__init(cl);
	cl->id = strdup("x");
	cl->name = strdup("X");
	cl->n_assessments = 4;
	cl->assessments = calloc(4, sizeof(*cl->assessments));
	for (size_t i = 0; i < 4; i++) {
		Clusters__V1__Assessment *a = calloc(1, sizeof(*a));
		clusters__v1__assessment__init(a);
		a->judge = strdup(judges[i]);
		a->criterion = strdup("c");
		a->score = (double)i;
		cl->assessments[i] = a;
	}
	return cl;
}

static uint8_t *pack(const Clusters__V1__Cluster *cl, size_t *len)
{
	*len = clusters__v1__cluster__get_packed_size(cl);
	uint8_t *b = malloc(*len);
	clusters__v1__cluster__pack(cl, b);
	return b;
}

static void test_filter(void **state)
{
	(void)state;
	Clusters__V1__Cluster *cl = make();
	assert_int_equal(rpc_judge_filter(cl, "a"), 2);
	assert_int_equal(cl->n_assessments, 2);
	assert_string_equal(cl->assessments[0]->judge, "a");
	assert_true(cl->assessments[0]->score == 0.0);
	assert_true(cl->assessments[1]->score == 2.0);
	assert_string_equal(cl->name, "X");
	assert_int_equal(rpc_judge_filter(cl, "a"), 0);
	assert_int_equal(rpc_judge_filter(cl, "nobody"), 2);
	assert_int_equal(cl->n_assessments, 0);
	clusters__v1__cluster__free_unpacked(cl, NULL);
}

static void test_filter_packed(void **state)
{
	(void)state;
	Clusters__V1__Cluster *cl = make();
	size_t len;
	uint8_t *buf = pack(cl, &len);
	assert_int_equal(rpc_judge_filter_packed("b", &buf, &len), CD_OK);
	Clusters__V1__Cluster *got =
		clusters__v1__cluster__unpack(NULL, len, buf);
	assert_non_null(got);
	assert_int_equal(got->n_assessments, 1);
	assert_string_equal(got->assessments[0]->judge, "b");
	assert_string_equal(got->id, "x");
	/* Nothing more to hide: the same buffer, untouched. */
	uint8_t *before = buf;
	size_t before_len = len;
	assert_int_equal(rpc_judge_filter_packed("b", &buf, &len), CD_OK);
	assert_ptr_equal(buf, before);
	assert_int_equal(len, before_len);
	free(buf);
	clusters__v1__cluster__free_unpacked(got, NULL);
	clusters__v1__cluster__free_unpacked(cl, NULL);

	uint8_t *junk = malloc(2);
	junk[0] = 0xff;
	junk[1] = 0xff;
	len = 2;
	assert_int_equal(rpc_judge_filter_packed("a", &junk, &len),
	                 CD_ECORRUPT);
	free(junk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_filter_packed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
