/* log: text and JSON lines, level filter, escaping, and over-long input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "log.h"

static int fds[2];

static int open_pipe(void **state)
{
	(void)state;
	return pipe(fds);
}

static int close_pipe(void **state)
{
	(void)state;
	close(fds[0]);
	close(fds[1]);
	log_setup(LOG_INFO, LOG_TEXT, 2);
	return 0;
}

/* Everything written so far (each test writes less than a pipe holds). */
static char *drain(void)
{
	static char buf[65536];
	close(fds[1]);
	size_t n = 0;
	ssize_t r;
	while ((r = read(fds[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	close(fds[0]);
	assert_int_equal(pipe(fds), 0);
	return buf;
}

static void test_text(void **state)
{
	(void)state;
	log_setup(LOG_INFO, LOG_TEXT, fds[1]);
	log_msg(LOG_DEBUG, "hidden %d", 1);
	log_msg(LOG_WARN, "shown %d", 2);
	log_call(LOG_INFO, "/a.B/C", "NOT_FOUND", 1.5, "ipv4:1.2.3.4:5",
	         "alice@example.org", "cluster \"x\" not found");
	char *out = drain();
	assert_null(strstr(out, "hidden"));
	assert_non_null(strstr(out, "level=warn msg=\"shown 2\"\n"));
	assert_non_null(strstr(out, "level=info method=\"/a.B/C\" "
	                       "status=NOT_FOUND duration_ms=1.500 "
	                       "peer=\"ipv4:1.2.3.4:5\" "
	                       "principal=\"alice@example.org\" "
	                       "msg=\"cluster \\\"x\\\" not found\"\n"));
	assert_int_equal(strncmp(out, "time=", 5), 0);
}

static void test_json(void **state)
{
	(void)state;
	log_setup(LOG_DEBUG, LOG_JSON, fds[1]);
	log_call(LOG_ERROR, "/a.B/C", "INTERNAL", 0.25, "peer\n\"evil\"",
	         "judge-1", "line1\nline2\x01");
	char *out = drain();
	assert_non_null(strchr(out, '\n'));
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
	json_error_t e;
	json_t *j = json_loads(out, 0, &e);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "level")),
	                    "error");
	assert_string_equal(json_string_value(json_object_get(j, "method")),
	                    "/a.B/C");
	assert_string_equal(json_string_value(json_object_get(j, "status")),
	                    "INTERNAL");
	assert_string_equal(json_string_value(json_object_get(j, "peer")),
	                    "peer\n\"evil\"");
	assert_string_equal(json_string_value(json_object_get(j, "msg")),
	                    "line1\nline2\x01");
	assert_string_equal(json_string_value(json_object_get(j, "principal")),
	                    "judge-1");
	assert_true(json_number_value(json_object_get(j, "duration_ms")) ==
	            0.25);
	assert_non_null(json_object_get(j, "time"));
	json_decref(j);
}

static void test_long_line_stays_valid(void **state)
{
	(void)state;
	char big[5000];
	memset(big, '"', sizeof(big) - 1); /* worst case: all escaped */
	big[sizeof(big) - 1] = '\0';
	log_setup(LOG_INFO, LOG_JSON, fds[1]);
	log_call(LOG_INFO, "/m", "OK", 1, big, big, big);
	log_msg(LOG_INFO, "%s", big);
	char *out = drain();
	char *nl = strchr(out, '\n');
	assert_non_null(nl);
	*nl = '\0';
	json_error_t e;
	json_t *j = json_loads(out, 0, &e);
	assert_non_null(j);
	json_decref(j);
	j = json_loads(nl + 1, 0, &e);
	assert_non_null(j);
	json_decref(j);
}

static void test_parse(void **state)
{
	(void)state;
	log_level l;
	log_format f;
	assert_int_equal(log_level_parse("debug", &l), 0);
	assert_int_equal(l, LOG_DEBUG);
	assert_int_equal(log_level_parse("warning", &l), 0);
	assert_int_equal(l, LOG_WARN);
	assert_int_equal(log_level_parse("error", &l), 0);
	assert_int_equal(l, LOG_ERROR);
	assert_int_equal(log_level_parse("ERROR", &l), -1);
	assert_int_equal(log_level_parse("", &l), -1);
	assert_int_equal(log_format_parse("json", &f), 0);
	assert_int_equal(f, LOG_JSON);
	assert_int_equal(log_format_parse("text", &f), 0);
	assert_int_equal(f, LOG_TEXT);
	assert_int_equal(log_format_parse("yaml", &f), -1);
	assert_string_equal(log_level_name(LOG_WARN), "warn");
	assert_string_equal(log_level_name((log_level)42), "info");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_long_line_stays_valid),
		cmocka_unit_test(test_parse),
	};
	return cmocka_run_group_tests(tests, open_pipe, close_pipe);
}
