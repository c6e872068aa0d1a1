/* cd_file_read: what it reads, and each refusal with its message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cd_error.h"
#include "cd_file.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/cd-file-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/f", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

static void put(const char *text, mode_t mode)
{
	unlink(path);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_reads(void **state)
{
	(void)state;
	char *buf, err[256] = "";
	size_t len;
	put("abc\ndef\n", 0600);
	assert_int_equal(cd_file_read("x", path, 100, CD_FILE_PRIVATE, &buf,
	                              &len, err, sizeof(err)), CD_OK);
	assert_int_equal(len, 8);
	assert_string_equal(buf, "abc\ndef\n");
	free(buf);
	/* Not private: any mode. */
	put("", 0644);
	assert_int_equal(cd_file_read("x", path, 100, 0, &buf, &len, err,
	                              sizeof(err)), CD_OK);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);
	/* Exactly max bytes is allowed. */
	put("12345", 0400);
	assert_int_equal(cd_file_read("x", path, 5, CD_FILE_PRIVATE, &buf,
	                              &len, err, sizeof(err)), CD_OK);
	free(buf);
}

static void refused(const char *p, size_t max, unsigned flags,
                    const char *want)
{
	char *buf = (char *)1, err[256] = "";
	size_t len = 7;
	assert_int_equal(cd_file_read("--what", p, max, flags, &buf, &len, err,
	                              sizeof(err)), CD_EINVAL);
	assert_null(buf);
	assert_int_equal(len, 0);
	if (strncmp(err, "--what: ", 8) != 0 || !strstr(err, want) ||
	    !strstr(err, p) || strchr(err, '\n'))
		fail_msg("message '%s', want '%s'", err, want);
}

static void test_refusals(void **state)
{
	(void)state;
	mode_t modes[] = {0644, 0640, 0604, 0620, 0602, 0610, 0601};
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		char want[32];
		put("secret", modes[i]);
		snprintf(want, sizeof(want), "has mode %04o", modes[i]);
		refused(path, 100, CD_FILE_PRIVATE, want);
	}
	put("123456", 0600);
	refused(path, 5, CD_FILE_PRIVATE, "larger than 5 bytes");
	refused(dir, 100, 0, "is not a regular file");
	unlink(path);
	refused(path, 100, 0, "cannot open");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
