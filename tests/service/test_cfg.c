/* cfg: defaults, environment, flags, and a one-line error for each bad
 * input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cd_error.h"
#include "cfg.h"

static const char *const envs[] = {
	"CLUSTERD_LISTEN", "CLUSTERD_PORT_FILE", "CLUSTERD_DATA_DIR",
	"CLUSTERD_PLUGIN_DIR", "CLUSTERD_THREADS", "CLUSTERD_MAX_MESSAGE_BYTES",
	"CLUSTERD_GRACE_MS", "CLUSTERD_LOG_LEVEL", "CLUSTERD_LOG_FORMAT",
	"CLUSTERD_MAX_CONNECTIONS",
};

static int clear_env(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(envs) / sizeof(envs[0]); i++)
		unsetenv(envs[i]);
	return 0;
}

static int load(cfg_t *cfg, cfg_action *act, char *err, size_t errlen,
                int argc, ...)
{
	char *argv[32] = {"clusterd"};
	va_list ap;
	va_start(ap, argc);
	for (int i = 0; i < argc; i++)
		argv[i + 1] = va_arg(ap, char *);
	va_end(ap);
	return cfg_load(cfg, argc + 1, argv, act, err, errlen);
}

static void test_defaults(void **state)
{
	(void)state;
	cfg_t c;
	cfg_action a;
	char err[256] = "";
	assert_int_equal(load(&c, &a, err, sizeof(err), 0), CD_OK);
	assert_int_equal(a, CFG_RUN);
	assert_string_equal(c.listen, "127.0.0.1:50051");
	assert_string_equal(c.data_dir, "./var/clusters");
	/* The install tree's plugin directory, compiled in. */
	const char *tail = "/clusterd/plugins";
	size_t n = strlen(c.plugin_dir);
	assert_true(n > strlen(tail) && c.plugin_dir[0] == '/');
	assert_string_equal(c.plugin_dir + n - strlen(tail), tail);
	assert_int_equal(c.plugin_dir_default, 1);
	assert_string_equal(c.port_file, "");
	assert_true(c.threads >= 1);
	assert_int_equal(c.max_message_bytes, 4u << 20);
	assert_int_equal(c.grace_ms, 5000);
	assert_int_equal(c.max_connections, 0);
	assert_int_equal(c.log_level, LOG_INFO);
	assert_int_equal(c.log_format, LOG_TEXT);
}

static void test_flags(void **state)
{
	(void)state;
	cfg_t c;
	cfg_action a;
	char err[256] = "";
	assert_int_equal(load(&c, &a, err, sizeof(err), 12,
	                      "--listen", "0.0.0.0:0", "--data-dir=/tmp/d",
	                      "--plugin-dir", "/p", "--threads=3",
	                      "--max-message-bytes", "64k", "--grace-ms=0",
	                      "--log-level=debug", "--log-format", "json"),
	                 CD_OK);
	assert_int_equal(a, CFG_RUN);
	assert_string_equal(c.listen, "0.0.0.0:0");
	assert_string_equal(c.data_dir, "/tmp/d");
	assert_string_equal(c.plugin_dir, "/p");
	assert_int_equal(c.plugin_dir_default, 0);
	assert_int_equal(c.threads, 3);
	assert_int_equal(c.max_message_bytes, 64 << 10);
	assert_int_equal(c.grace_ms, 0);
	assert_int_equal(c.log_level, LOG_DEBUG);
	assert_int_equal(c.log_format, LOG_JSON);

	assert_int_equal(load(&c, &a, err, sizeof(err), 2,
	                      "--max-message-bytes=2M", "--port-file=/x/p"),
	                 CD_OK);
	assert_int_equal(c.max_message_bytes, 2u << 20);
	assert_string_equal(c.port_file, "/x/p");

	assert_int_equal(load(&c, &a, err, sizeof(err), 1,
	                      "--max-connections=500"),
	                 CD_OK);
	assert_int_equal(c.max_connections, 500);
	setenv("CLUSTERD_MAX_CONNECTIONS", "64", 1);
	assert_int_equal(load(&c, &a, err, sizeof(err), 0), CD_OK);
	assert_int_equal(c.max_connections, 64);
	unsetenv("CLUSTERD_MAX_CONNECTIONS");
}

static void test_no_plugin_dir(void **state)
{
	(void)state;
	cfg_t c;
	cfg_action a;
	char err[256] = "";
	/* An explicit empty directory turns plugins off. */
	assert_int_equal(load(&c, &a, err, sizeof(err), 2, "--plugin-dir", ""),
	                 CD_OK);
	assert_string_equal(c.plugin_dir, "");
	assert_int_equal(c.plugin_dir_default, 0);
}

static void test_env_then_flags(void **state)
{
	(void)state;
	cfg_t c;
	cfg_action a;
	char err[256] = "";
	setenv("CLUSTERD_DATA_DIR", "/env/dir", 1);
	setenv("CLUSTERD_THREADS", "5", 1);
	setenv("CLUSTERD_LOG_FORMAT", "json", 1);
	assert_int_equal(load(&c, &a, err, sizeof(err), 2, "--threads", "7"),
	                 CD_OK);
	assert_string_equal(c.data_dir, "/env/dir");
	assert_int_equal(c.threads, 7); /* the flag wins */
	assert_int_equal(c.log_format, LOG_JSON);

	setenv("CLUSTERD_THREADS", "many", 1);
	assert_int_equal(load(&c, &a, err, sizeof(err), 0), CD_EINVAL);
	assert_non_null(strstr(err, "CLUSTERD_THREADS"));
	clear_env(NULL);
}

static void test_help_version(void **state)
{
	(void)state;
	cfg_t c;
	cfg_action a;
	char err[256] = "";
	assert_int_equal(load(&c, &a, err, sizeof(err), 1, "--version"), CD_OK);
	assert_int_equal(a, CFG_VERSION);
	assert_int_equal(load(&c, &a, err, sizeof(err), 2, "--version",
	                      "--help"), CD_OK);
	assert_int_equal(a, CFG_HELP);
	assert_int_equal(load(&c, &a, err, sizeof(err), 1, "--help=1"),
	                 CD_EINVAL);
	assert_non_null(strstr(err, "--help"));
}

static void expect_bad(const char *flag, const char *value,
                       const char *in_msg)
{
	cfg_t c;
	cfg_action a;
	char err[256] = "";
	int rc = value ? load(&c, &a, err, sizeof(err), 2, flag, value)
	               : load(&c, &a, err, sizeof(err), 1, flag);
	assert_int_equal(rc, CD_EINVAL);
	assert_non_null(strstr(err, in_msg));
	assert_null(strchr(err, '\n')); /* one line */
}

static void test_bad_flags(void **state)
{
	(void)state;
	expect_bad("--nope", NULL, "unknown flag '--nope'");
	expect_bad("listen", NULL, "unknown flag");
	expect_bad("--threads", NULL, "needs a value");
	expect_bad("--threads", "0", "--threads");
	expect_bad("--threads", "257", "--threads");
	expect_bad("--threads", "-1", "--threads");
	expect_bad("--threads", "2x", "--threads");
	expect_bad("--max-message-bytes", "10", "1k..1G");
	expect_bad("--max-message-bytes", "2T", "1k..1G");
	expect_bad("--max-message-bytes", "4G", "1k..1G");
	expect_bad("--max-message-bytes", "99999999999999999999", "1k..1G");
	expect_bad("--max-connections", "0", "1..1000000");
	expect_bad("--max-connections", "1000001", "1..1000000");
	expect_bad("--max-connections", "lots", "--max-connections");
	expect_bad("--grace-ms", "soon", "--grace-ms");
	expect_bad("--grace-ms", "3600001", "--grace-ms");
	expect_bad("--log-level", "loud", "debug, info, warn, error");
	expect_bad("--log-format", "xml", "text or json");
	expect_bad("--listen", "nohostport", "host:port");
	expect_bad("--listen", "", "host:port");
	expect_bad("--data-dir", "", "must not be empty");

	char longv[CFG_PATH_MAX + 2];
	memset(longv, 'a', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	expect_bad("--data-dir", longv, "too long");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_defaults, clear_env),
		cmocka_unit_test_setup(test_flags, clear_env),
		cmocka_unit_test_setup(test_no_plugin_dir, clear_env),
		cmocka_unit_test_setup(test_env_then_flags, clear_env),
		cmocka_unit_test_setup(test_help_version, clear_env),
		cmocka_unit_test_setup(test_bad_flags, clear_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
