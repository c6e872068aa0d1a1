/* clusterctl's tables: alignment, wide characters, CSV twin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_table.h"

static char *render(const ctl_table_t *t, int csv)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (csv)
		ctl_table_print_csv(t, f);
	else
		ctl_table_print(t, f);
	fclose(f);
	return buf;
}

static void test_aligned(void **state)
{
	(void)state;
	static const char *const hdr[] = { "ID", "NAME", "SCORE" };
	ctl_table_t *t = ctl_table_create(3, hdr);
	assert_non_null(t);
	assert_int_equal(ctl_table_add_col(t, "NOTE"), 0);
	ctl_table_cell(t, "%s", "a");
	ctl_table_cell(t, "%s", "上海");
	ctl_table_cell(t, "%.1f", 11.7);
	ctl_table_end_row(t);
	ctl_table_cell(t, "%s", "beijing");
	ctl_table_cell(t, "%s", "Bj, \"x\"");
	ctl_table_cell(t, "%d", 6);
	ctl_table_cell(t, "%s", "new");
	ctl_table_end_row(t);
	assert_int_equal(ctl_table_rows(t), 2);
	/* Columns fixed once rows exist; rows no wider than the header. */
	assert_int_equal(ctl_table_add_col(t, "LATE"), -1);
	ctl_table_cell(t, "%s", "c");
	for (int i = 0; i < 3; i++)
		ctl_table_cell(t, "%s", "");
	assert_int_equal(ctl_table_cell(t, "%s", "extra"), -1);
	ctl_table_end_row(t);
	char *s = render(t, 0);
	assert_string_equal(s, "ID       NAME     SCORE  NOTE\n"
	                       "a        上海      11.7\n"
	                       "beijing  Bj, \"x\"      6  new\n"
	                       "c\n");
	free(s);
	s = render(t, 1);
	assert_string_equal(s, "ID,NAME,SCORE,NOTE\n"
	                       "a,上海,11.7,\n"
	                       "beijing,\"Bj, \"\"x\"\"\",6,new\n"
	                       "c,,,\n");
	free(s);
	ctl_table_destroy(t);
	ctl_table_destroy(NULL);
}

static void test_width(void **state)
{
	(void)state;
	assert_int_equal(ctl_text_width(""), 0);
	assert_int_equal(ctl_text_width("abc"), 3);
	assert_int_equal(ctl_text_width("Tokyo–Yokohama"), 14);
	assert_int_equal(ctl_text_width("江苏省"), 6);
	assert_int_equal(ctl_text_width("한국"), 4);
	assert_int_equal(ctl_text_width("ｆ"), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aligned),
		cmocka_unit_test(test_width),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
