/* cfg: defaults, environment, flags, and a one-line error for each bad
 * input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cd_error.h"
#include "cfg.h"

static const char *const envs[] = {
	"CLUSTERD_LISTEN", "CLUSTERD_PORT_FILE", "CLUSTERD_DATA_DIR",
	"CLUSTERD_PLUGIN_DIR", "CLUSTERD_THREADS", "CLUSTERD_MAX_MESSAGE_BYTES",
	"CLUSTERD_GRACE_MS", "CLUSTERD_LOG_LEVEL", "CLUSTERD_LOG_FORMAT",
	"CLUSTERD_MAX_CONNECTIONS", "CLUSTERD_PLUGIN_ISOLATION",
	"CLUSTERD_PLUGIN_HOST", "CLUSTERD_PLUGIN_TIMEOUT",
	"CLUSTERD_PLUGIN_TIMEOUT_MAX", "CLUSTERD_PLUGIN_MEMORY",
	"CLUSTERD_PLUGIN_DIR_INSECURE", "CLUSTERD_AUTH_TOKENS",
	"CLUSTERD_INSECURE", "CLUSTERD_TLS_CERT", "CLUSTERD_TLS_KEY",
	"CLUSTERD_TLS_CLIENT_CA", "CLUSTERD_RUN_WORKERS", "CLUSTERD_RUN_QUEUE",
	"CLUSTERD_RUN_TIMEOUT", "CLUSTERD_RUN_TIMEOUT_MAX",
	"CLUSTERD_METRICS_LISTEN", "CLUSTERD_METRICS_PORT_FILE",
	"CLUSTERD_READ_ONLY", "CLUSTERD_PRIMARY", "CLUSTERD_MAX_BACKUPS",
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
	assert_int_equal(load(&c, &a, err, sizeof(err), 13, "--insecure",
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

static void test_plugin_defaults(void **state)
{
	(void)state;
	cfg_t c;
	cfg_action a;
	char err[256] = "";
	assert_int_equal(load(&c, &a, err, sizeof(err), 0), CD_OK);
	assert_int_equal(c.plugin_isolation, 1);
	assert_string_equal(c.plugin_host, "");
	assert_int_equal(c.plugin_timeout_ms, 30000);
	assert_int_equal(c.plugin_timeout_max_ms, 600000);
	assert_true(c.plugin_memory == 4ull << 30);
	assert_int_equal(c.plugin_dir_insecure, 0);
}

static void test_plugin_flags(void **state)
{
	(void)state;
	cfg_t c;
	cfg_action a;
	char err[256] = "";
	assert_int_equal(load(&c, &a, err, sizeof(err), 9,
	                      "--plugin-isolation", "none",
	                      "--plugin-host=/opt/ph", "--plugin-timeout", "500ms",
	                      "--plugin-timeout-max=2m", "--plugin-memory", "512M",
	                      "--plugin-dir-insecure"), CD_OK);
	assert_int_equal(c.plugin_isolation, 0);
	assert_string_equal(c.plugin_host, "/opt/ph");
	assert_int_equal(c.plugin_timeout_ms, 500);
	assert_int_equal(c.plugin_timeout_max_ms, 120000);
	assert_true(c.plugin_memory == 512ull << 20);
	assert_int_equal(c.plugin_dir_insecure, 1);
	assert_int_equal(load(&c, &a, err, sizeof(err), 1,
	                      "--plugin-isolation=process"), CD_OK);
	assert_int_equal(c.plugin_isolation, 1);
}

/* One duration flag's value in milliseconds; the other flag is set so
 * that the pair is consistent. */
static void expect_duration(const char *flag, const char *v, unsigned ms)
{
	cfg_t c;
	cfg_action a;
	char err[256] = "";
	int is_max = strcmp(flag, "--plugin-timeout") != 0;
	int rc = is_max ? load(&c, &a, err, sizeof(err), 4, flag, v,
	                       "--plugin-timeout", "1")
	                : load(&c, &a, err, sizeof(err), 4, flag, v,
	                       "--plugin-timeout-max", "86400000");
	if (rc)
		fail_msg("%s %s: %s", flag, v, err);
	assert_int_equal(is_max ? c.plugin_timeout_max_ms : c.plugin_timeout_ms,
	                 ms);
}

static void test_plugin_durations(void **state)
{
	(void)state;
	static const char *const flags[] = { "--plugin-timeout",
	                                     "--plugin-timeout-max" };
	for (size_t i = 0; i < 2; i++) {
		expect_duration(flags[i], "500ms", 500);
		expect_duration(flags[i], "30s", 30000);
		expect_duration(flags[i], "2m", 120000);
		expect_duration(flags[i], "1500", 1500);   /* bare: ms */
		expect_duration(flags[i], "1", 1);
		expect_duration(flags[i], "007s", 7000);
		expect_duration(flags[i], "86400000ms", 86400000);
		expect_duration(flags[i], "86400s", 86400000);
		expect_duration(flags[i], "1440m", 86400000);
	}
}

static void test_plugin_env(void **state)
{
	(void)state;
	cfg_t c;
	cfg_action a;
	char err[256] = "";
	setenv("CLUSTERD_PLUGIN_ISOLATION", "none", 1);
	setenv("CLUSTERD_PLUGIN_HOST", "/env/ph", 1);
	setenv("CLUSTERD_PLUGIN_TIMEOUT", "45s", 1);
	setenv("CLUSTERD_PLUGIN_TIMEOUT_MAX", "3m", 1);
	setenv("CLUSTERD_PLUGIN_MEMORY", "1G", 1);
	setenv("CLUSTERD_PLUGIN_DIR_INSECURE", "1", 1);
	assert_int_equal(load(&c, &a, err, sizeof(err), 0), CD_OK);
	assert_int_equal(c.plugin_isolation, 0);
	assert_string_equal(c.plugin_host, "/env/ph");
	assert_int_equal(c.plugin_timeout_ms, 45000);
	assert_int_equal(c.plugin_timeout_max_ms, 180000);
	assert_true(c.plugin_memory == 1ull << 30);
	assert_int_equal(c.plugin_dir_insecure, 1);
	/* Flags win over the environment. */
	assert_int_equal(load(&c, &a, err, sizeof(err), 4,
	                      "--plugin-isolation", "process",
	                      "--plugin-timeout", "10s"), CD_OK);
	assert_int_equal(c.plugin_isolation, 1);
	assert_int_equal(c.plugin_timeout_ms, 10000);
	assert_int_equal(c.plugin_timeout_max_ms, 180000);
	/* The switch's variable: 0 is off, and the flag still turns it on. */
	setenv("CLUSTERD_PLUGIN_DIR_INSECURE", "0", 1);
	assert_int_equal(load(&c, &a, err, sizeof(err), 0), CD_OK);
	assert_int_equal(c.plugin_dir_insecure, 0);
	assert_int_equal(load(&c, &a, err, sizeof(err), 1,
	                      "--plugin-dir-insecure"), CD_OK);
	assert_int_equal(c.plugin_dir_insecure, 1);
	/* Anything else is refused, naming the variable. */
	static const char *const bad_switch[] = { "yes", "true", "", "2", "01",
	                                          "1 " };
	for (size_t i = 0; i < sizeof(bad_switch) / sizeof(*bad_switch); i++) {
		setenv("CLUSTERD_PLUGIN_DIR_INSECURE", bad_switch[i], 1);
		assert_int_equal(load(&c, &a, err, sizeof(err), 0), CD_EINVAL);
		assert_non_null(strstr(err, "CLUSTERD_PLUGIN_DIR_INSECURE"));
		assert_non_null(strstr(err, "1 or 0"));
	}
	unsetenv("CLUSTERD_PLUGIN_DIR_INSECURE");
	/* Bad values in the other variables, named likewise. */
	static const struct { const char *env, *v; } bad[] = {
		{ "CLUSTERD_PLUGIN_ISOLATION", "sandbox" },
		{ "CLUSTERD_PLUGIN_TIMEOUT", "0" },
		{ "CLUSTERD_PLUGIN_TIMEOUT", "soon" },
		{ "CLUSTERD_PLUGIN_TIMEOUT_MAX", "25h" },
		{ "CLUSTERD_PLUGIN_TIMEOUT_MAX", "0ms" },
		{ "CLUSTERD_PLUGIN_MEMORY", "1M" },
		{ "CLUSTERD_PLUGIN_MEMORY", "2T" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		clear_env(NULL);
		setenv(bad[i].env, bad[i].v, 1);
		assert_int_equal(load(&c, &a, err, sizeof(err), 0), CD_EINVAL);
		if (!strstr(err, bad[i].env))
			fail_msg("%s=%s: '%s'", bad[i].env, bad[i].v, err);
		assert_null(strchr(err, '\n'));
	}
	/* The environment's timeout above the flag's maximum. */
	clear_env(NULL);
	setenv("CLUSTERD_PLUGIN_TIMEOUT", "5m", 1);
	assert_int_equal(load(&c, &a, err, sizeof(err), 2,
	                      "--plugin-timeout-max", "1m"), CD_EINVAL);
	assert_non_null(strstr(err, "above --plugin-timeout-max"));
	clear_env(NULL);
}

static void test_plugin_memory(void **state)
{
	(void)state;
	static const struct { const char *v; unsigned long long bytes; } good[] = {
		{ "64M", 64ull << 20 }, { "64m", 64ull << 20 },
		{ "65536k", 64ull << 20 }, { "65536K", 64ull << 20 },
		{ "67108864", 64ull << 20 }, { "4g", 4ull << 30 },
		{ "1024G", 1ull << 40 }, { "1099511627776", 1ull << 40 },
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		cfg_t c;
		cfg_action a;
		char err[256] = "";
		if (load(&c, &a, err, sizeof(err), 2, "--plugin-memory", good[i].v))
			fail_msg("%s: %s", good[i].v, err);
		assert_true(c.plugin_memory == good[i].bytes);
	}
}

static void test_plugin_timeout_above_max(void **state)
{
	(void)state;
	cfg_t c;
	cfg_action a;
	char err[256] = "";
	/* The default timeout (30s) above a lower maximum. */
	assert_int_equal(load(&c, &a, err, sizeof(err), 2,
	                      "--plugin-timeout-max", "10s"), CD_EINVAL);
	assert_non_null(strstr(err, "--plugin-timeout (30000 ms) is above "
	                            "--plugin-timeout-max (10000 ms)"));
	assert_null(strchr(err, '\n'));
	/* Equal is fine, in either order; one above is not. */
	assert_int_equal(load(&c, &a, err, sizeof(err), 4,
	                      "--plugin-timeout-max", "10s",
	                      "--plugin-timeout", "10000"), CD_OK);
	assert_int_equal(load(&c, &a, err, sizeof(err), 4,
	                      "--plugin-timeout", "10001",
	                      "--plugin-timeout-max", "10s"), CD_EINVAL);
	/* A timeout above the default maximum (10m) needs a larger one. */
	assert_int_equal(load(&c, &a, err, sizeof(err), 2,
	                      "--plugin-timeout", "11m"), CD_EINVAL);
	assert_int_equal(load(&c, &a, err, sizeof(err), 4,
	                      "--plugin-timeout", "11m",
	                      "--plugin-timeout-max", "1440m"), CD_OK);
	assert_int_equal(c.plugin_timeout_ms, 660000);
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

/* The run flags (docs/service.md, "Runs"): accepted values, each refusal
 * one line naming the flag, and --run-timeout above --run-timeout-max. */
static void test_run_flags(void **state)
{
	(void)state;
	cfg_t c;
	cfg_action a;
	char err[256] = "";
	assert_int_equal(load(&c, &a, err, sizeof(err), 8, "--run-workers",
	                      "64", "--run-queue", "100000", "--run-timeout",
	                      "90s", "--run-timeout-max", "168h"), CD_OK);
	assert_int_equal(c.run_workers, 64);
	assert_int_equal(c.run_queue, 100000);
	assert_int_equal(c.run_timeout_ms, 90000);
	assert_int_equal(c.run_timeout_max_ms, 604800000u);
	assert_int_equal(load(&c, &a, err, sizeof(err), 4, "--run-workers",
	                      "1", "--run-queue", "1"), CD_OK);
	assert_int_equal(c.run_workers, 1);
	assert_int_equal(c.run_queue, 1);
	static const char *const bad_workers[] = { "0", "65", "-1", "x", "",
	                                           "2x", "1.5" };
	for (size_t i = 0; i < sizeof(bad_workers) / sizeof(*bad_workers);
	     i++)
		expect_bad("--run-workers", bad_workers[i],
		           "is not a number of run workers in 1..64");
	static const char *const bad_queue[] = { "0", "100001", "-1", "lots",
	                                         "" };
	for (size_t i = 0; i < sizeof(bad_queue) / sizeof(*bad_queue); i++)
		expect_bad("--run-queue", bad_queue[i],
		           "is not a queue length in 1..100000");
	static const char *const bad_durations[] = { "0", "0s", "-1", "169h",
	                                             "5 s", "soon", "",
	                                             "1.5h", "10sec" };
	for (size_t i = 0; i < sizeof(bad_durations) / sizeof(*bad_durations);
	     i++) {
		expect_bad("--run-timeout", bad_durations[i],
		           "--run-timeout: ");
		expect_bad("--run-timeout-max", bad_durations[i],
		           "is not a duration in 1ms..168h");
	}
	expect_bad("--run-workers", NULL, "needs a value");
	/* The default limit (1h) above a lower maximum; equal is fine. */
	assert_int_equal(load(&c, &a, err, sizeof(err), 2,
	                      "--run-timeout-max", "30m"), CD_EINVAL);
	assert_non_null(strstr(err, "--run-timeout (3600000 ms) is above "
	                            "--run-timeout-max (1800000 ms)"));
	assert_null(strchr(err, '\n'));
	assert_int_equal(load(&c, &a, err, sizeof(err), 4,
	                      "--run-timeout-max", "30m", "--run-timeout",
	                      "30m"), CD_OK);
	/* The environment twins are refused the same way. */
	setenv("CLUSTERD_RUN_WORKERS", "0", 1);
	assert_int_equal(load(&c, &a, err, sizeof(err), 0), CD_EINVAL);
	assert_non_null(strstr(err, "CLUSTERD_RUN_WORKERS"));
	unsetenv("CLUSTERD_RUN_WORKERS");
}

/* Backups and replicas (docs/operations.md): --read-only, --primary,
 * --max-backups, --restore; their twins, and each refusal in one line. */
static void test_backup_replica_flags(void **state)
{
	(void)state;
	cfg_t c;
	cfg_action a;
	char err[256] = "";
	assert_int_equal(load(&c, &a, err, sizeof(err), 0), CD_OK);
	assert_int_equal(c.read_only, 0);
	assert_string_equal(c.primary, "");
	assert_int_equal(c.max_backups, 2);
	assert_string_equal(c.restore, "");
	assert_int_equal(c.data_dir_set, 0);

	assert_int_equal(load(&c, &a, err, sizeof(err), 5, "--read-only",
	                      "--primary", "db1:50051", "--max-backups", "16"),
	                 CD_OK);
	assert_int_equal(a, CFG_RUN);
	assert_int_equal(c.read_only, 1);
	assert_string_equal(c.primary, "db1:50051");
	assert_int_equal(c.max_backups, 16);
	/* A copy shares the address. */
	cfg_t copy = c;
	assert_string_equal(copy.primary, "db1:50051");
	assert_int_equal(load(&c, &a, err, sizeof(err), 1, "--read-only"),
	                 CD_OK);
	assert_int_equal(c.read_only, 1);
	assert_string_equal(c.primary, "");

	/* The twins; flags win. */
	setenv("CLUSTERD_READ_ONLY", "1", 1);
	setenv("CLUSTERD_PRIMARY", "[::1]:7000", 1);
	setenv("CLUSTERD_MAX_BACKUPS", "1", 1);
	assert_int_equal(load(&c, &a, err, sizeof(err), 0), CD_OK);
	assert_int_equal(c.read_only, 1);
	assert_string_equal(c.primary, "[::1]:7000");
	assert_int_equal(c.max_backups, 1);
	assert_int_equal(load(&c, &a, err, sizeof(err), 2, "--primary",
	                      "db2:1"), CD_OK);
	assert_string_equal(c.primary, "db2:1");
	setenv("CLUSTERD_READ_ONLY", "0", 1);
	unsetenv("CLUSTERD_PRIMARY");
	assert_int_equal(load(&c, &a, err, sizeof(err), 0), CD_OK);
	assert_int_equal(c.read_only, 0);
	setenv("CLUSTERD_READ_ONLY", "yes", 1);
	assert_int_equal(load(&c, &a, err, sizeof(err), 0), CD_EINVAL);
	assert_non_null(strstr(err, "CLUSTERD_READ_ONLY: 'yes' is not 1 or 0"));
	unsetenv("CLUSTERD_READ_ONLY");
	setenv("CLUSTERD_MAX_BACKUPS", "0", 1);
	assert_int_equal(load(&c, &a, err, sizeof(err), 0), CD_EINVAL);
	assert_non_null(strstr(err, "CLUSTERD_MAX_BACKUPS"));
	unsetenv("CLUSTERD_MAX_BACKUPS");

	/* --primary without --read-only means a mistake. */
	assert_int_equal(load(&c, &a, err, sizeof(err), 2, "--primary",
	                      "db1:50051"), CD_EINVAL);
	assert_non_null(strstr(err, "--primary db1:50051 is for a read-only "
	                            "replica"));
	assert_null(strchr(err, '\n'));
	static const char *const bad_primary[] = { "", "db1", "db 1:5",
	                                           "db1:5\n", "db1:\x01" };
	for (size_t i = 0; i < sizeof(bad_primary) / sizeof(*bad_primary); i++)
		expect_bad("--primary", bad_primary[i], "is not host:port");
	static const char *const bad_max[] = { "0", "17", "-1", "two", "" };
	for (size_t i = 0; i < sizeof(bad_max) / sizeof(*bad_max); i++)
		expect_bad("--max-backups", bad_max[i],
		           "is not a number of backups in 1..16");
	expect_bad("--read-only=1", NULL, "takes no value");

	/* --restore FILE --data-dir DIR: an action of its own. */
	assert_int_equal(load(&c, &a, err, sizeof(err), 4, "--restore",
	                      "/b/x.cdbak", "--data-dir", "/d/new"), CD_OK);
	assert_int_equal(a, CFG_RESTORE);
	assert_string_equal(c.restore, "/b/x.cdbak");
	assert_string_equal(c.data_dir, "/d/new");
	setenv("CLUSTERD_DATA_DIR", "/d/env", 1);
	assert_int_equal(load(&c, &a, err, sizeof(err), 2, "--restore",
	                      "x.cdbak"), CD_OK);
	assert_int_equal(a, CFG_RESTORE);
	assert_string_equal(c.data_dir, "/d/env");
	unsetenv("CLUSTERD_DATA_DIR");
	/* Not the default data directory by accident. */
	assert_int_equal(load(&c, &a, err, sizeof(err), 2, "--restore",
	                      "x.cdbak"), CD_EINVAL);
	assert_non_null(strstr(err, "--restore needs --data-dir"));
	expect_bad("--restore", "", "must not be empty");
	expect_bad("--restore", NULL, "needs a value");
	/* --help still wins. */
	assert_int_equal(load(&c, &a, err, sizeof(err), 3, "--restore", "x",
	                      "--help"), CD_OK);
	assert_int_equal(a, CFG_HELP);
	/* A restore is not a server: an exposed --listen does not matter. */
	assert_int_equal(load(&c, &a, err, sizeof(err), 6, "--restore", "x",
	                      "--data-dir", "d", "--listen", "0.0.0.0:1"),
	                 CD_OK);
	assert_int_equal(a, CFG_RESTORE);
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

	/* Plugin flags. */
	expect_bad("--plugin-isolation", "sandbox", "process or none");
	expect_bad("--plugin-isolation", "", "process or none");
	expect_bad("--plugin-isolation", "Process", "process or none");
	expect_bad("--plugin-isolation", NULL, "needs a value");
	static const char *const timeouts[] = { "--plugin-timeout",
	                                        "--plugin-timeout-max" };
	static const char *const bad_durations[] = {
		"0", "0ms", "0s", "0m", "-1", "1h", "1.5s", "5 s", "s", "ms", "",
		"10sec", "5S", " 5", "86400001", "86401s", "1441m",
		"99999999999999999999", "18446744073709551615",
		"4294967296", "71583m",   /* a 32-bit ms count would wrap */
	};
	for (size_t i = 0; i < 2; i++)
		for (size_t j = 0; j < sizeof(bad_durations) /
		                       sizeof(*bad_durations); j++)
			expect_bad(timeouts[i], bad_durations[j], "1ms..24h");
	expect_bad("--plugin-timeout", NULL, "needs a value");
	static const char *const bad_memory[] = {
		"0", "1", "64", "63M", "65535k", "67108863", "1025G", "2T", "1P",
		"1099511627777", "18446744073709551615", "99999999999999999999",
		"17179869184G", "4GB", "4 G", "G", "-1G", "", "lots",
	};
	for (size_t j = 0; j < sizeof(bad_memory) / sizeof(*bad_memory); j++)
		expect_bad("--plugin-memory", bad_memory[j], "64M..1024G");
	expect_bad("--plugin-dir-insecure=1", NULL, "takes no value");
	expect_bad("--plugin-dir-insecure=", NULL, "takes no value");
	expect_bad("--plugin-host", NULL, "needs a value");
	expect_bad("--plugin-host", longv, "too long");
}

static void test_loopback(void **state)
{
	(void)state;
	const char *yes[] = {"127.0.0.1:50051", "127.9.8.7:0", "[::1]:1",
	                     "localhost:80"};
	const char *no[] = {"0.0.0.0:1", "[::]:1", ":1", "10.0.0.1:1",
	                    "example.org:1", "128.0.0.1:1", "127.0.0:1",
	                    "[::2]:1", "localhost.example.org:1"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(cfg_listen_is_loopback(yes[i]));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(cfg_listen_is_loopback(no[i]));
}

static void test_exposure(void **state)
{
	(void)state;
	cfg_t c;
	cfg_action a;
	char err[512] = "";
	/* Refused: one line naming the address and what is missing. */
	assert_int_equal(load(&c, &a, err, sizeof(err), 2, "--listen",
	                      "0.0.0.0:50051"), CD_EINVAL);
	assert_non_null(strstr(err, "0.0.0.0:50051"));
	assert_non_null(strstr(err, "TLS and authentication"));
	assert_non_null(strstr(err, "--insecure"));
	assert_null(strchr(err, '\n'));
	assert_int_equal(load(&c, &a, err, sizeof(err), 4, "--listen",
	                      "[::]:1", "--auth-tokens", "/t"), CD_EINVAL);
	assert_non_null(strstr(err, "no TLS"));
	/* TLS and authentication together expose nothing. */
	cfg_defaults(&c);
	snprintf(c.listen, sizeof(c.listen), "10.1.2.3:1");
	assert_string_equal(cfg_exposed(&c), "TLS and authentication");
	snprintf(c.auth_tokens, sizeof(c.auth_tokens), "/t");
	assert_string_equal(cfg_exposed(&c), "TLS");
	snprintf(c.tls_cert, sizeof(c.tls_cert), "/c");
	snprintf(c.tls_key, sizeof(c.tls_key), "/k");
	assert_null(cfg_exposed(&c));
	c.auth_tokens[0] = '\0';
	assert_string_equal(cfg_exposed(&c), "authentication");
	snprintf(c.listen, sizeof(c.listen), "127.0.0.1:1");
	assert_null(cfg_exposed(&c));
	/* --insecure, or its variable, lets it start. */
	assert_int_equal(load(&c, &a, err, sizeof(err), 3, "--listen",
	                      "0.0.0.0:1", "--insecure"), CD_OK);
	assert_int_equal(c.insecure, 1);
	setenv("CLUSTERD_INSECURE", "1", 1);
	setenv("CLUSTERD_AUTH_TOKENS", "/etc/clusterd/tokens", 1);
	assert_int_equal(load(&c, &a, err, sizeof(err), 2, "--listen",
	                      "0.0.0.0:1"), CD_OK);
	assert_string_equal(c.auth_tokens, "/etc/clusterd/tokens");
	setenv("CLUSTERD_INSECURE", "yes", 1);
	assert_int_equal(load(&c, &a, err, sizeof(err), 0), CD_EINVAL);
	assert_non_null(strstr(err, "CLUSTERD_INSECURE"));
	clear_env(NULL);
	/* --help and --hash-token need no safe address. */
	assert_int_equal(load(&c, &a, err, sizeof(err), 3, "--listen",
	                      "0.0.0.0:1", "--hash-token"), CD_OK);
	assert_int_equal(a, CFG_HASH_TOKEN);
	assert_int_equal(load(&c, &a, err, sizeof(err), 2, "--hash-token",
	                      "--help"), CD_OK);
	assert_int_equal(a, CFG_HELP);
	assert_int_equal(load(&c, &a, err, sizeof(err), 2, "--auth-tokens",
	                      ""), CD_EINVAL);
}

/* The TLS flags and their twins are paths, checked later (rpc_tls). */
static void test_tls_flags(void **state)
{
	(void)state;
	cfg_t c;
	cfg_action a;
	char err[256] = "";
	assert_int_equal(load(&c, &a, err, sizeof(err), 0), CD_OK);
	assert_string_equal(c.tls_cert, "");
	assert_string_equal(c.tls_key, "");
	assert_string_equal(c.tls_client_ca, "");
	setenv("CLUSTERD_TLS_CERT", "/env/cert.pem", 1);
	setenv("CLUSTERD_TLS_KEY", "/env/key.pem", 1);
	setenv("CLUSTERD_TLS_CLIENT_CA", "/env/ca.pem", 1);
	assert_int_equal(load(&c, &a, err, sizeof(err), 3, "--tls-cert",
	                      "/f/cert.pem", "--tls-client-ca=/f/ca.pem"),
	                 CD_OK);
	assert_string_equal(c.tls_cert, "/f/cert.pem");
	assert_string_equal(c.tls_key, "/env/key.pem");
	assert_string_equal(c.tls_client_ca, "/f/ca.pem");
	assert_int_equal(load(&c, &a, err, sizeof(err), 1, "--tls-key"),
	                 CD_EINVAL);
	assert_string_equal(err, "--tls-key needs a value");
}

/* --metrics-listen: off by default; host:port with port 0..65535, IPv6 in
 * brackets; every refusal says what is wanted. */
static void test_metrics_flags(void **state)
{
	(void)state;
	cfg_t c;
	cfg_action a;
	char err[256] = "";
	assert_int_equal(load(&c, &a, err, sizeof(err), 0), CD_OK);
	assert_string_equal(c.metrics_listen, "");
	assert_string_equal(c.metrics_port_file, "");

	static const char *const good[] = {
		"127.0.0.1:0", "127.0.0.1:9090", "localhost:65535",
		"0.0.0.0:9100", "[::1]:9090", "[::]:0", "metrics.example:80",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(load(&c, &a, err, sizeof(err), 2,
		                      "--metrics-listen", good[i]), CD_OK);
		assert_string_equal(c.metrics_listen, good[i]);
	}
	assert_int_equal(load(&c, &a, err, sizeof(err), 3,
	                      "--metrics-listen=127.0.0.1:0",
	                      "--metrics-port-file", "/tmp/mp"), CD_OK);
	assert_string_equal(c.metrics_listen, "127.0.0.1:0");
	assert_string_equal(c.metrics_port_file, "/tmp/mp");

	static const char *const bad[] = {
		"", "9090", ":9090", "127.0.0.1:", "127.0.0.1:x",
		"127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:+1",
		"127.0.0.1:123456", "::1:9090", "[::1:9090", "[]:9090",
		"::1]:9090", "[::1]x:9090", "127.0.0.1:90 ",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(load(&c, &a, err, sizeof(err), 2,
		                      "--metrics-listen", bad[i]), CD_EINVAL);
		char want[256];
		snprintf(want, sizeof(want), "--metrics-listen: '%s' is not "
		         "host:port (port 0..65535; an IPv6 address in "
		         "brackets: [::1]:9090)", bad[i]);
		assert_string_equal(err, want);
	}
	/* The gRPC address itself. */
	assert_int_equal(load(&c, &a, err, sizeof(err), 4, "--listen",
	                      "127.0.0.1:7000", "--metrics-listen",
	                      "127.0.0.1:7000"), CD_EINVAL);
	assert_string_equal(err, "--metrics-listen 127.0.0.1:7000 is the "
	                    "gRPC address (--listen): give metrics a port of "
	                    "their own");
	/* Port 0 twice is two ports. */
	assert_int_equal(load(&c, &a, err, sizeof(err), 4, "--listen",
	                      "127.0.0.1:0", "--metrics-listen",
	                      "127.0.0.1:0"), CD_OK);
	assert_int_equal(load(&c, &a, err, sizeof(err), 2,
	                      "--metrics-port-file", "/tmp/mp"), CD_EINVAL);
	assert_string_equal(err, "--metrics-port-file needs --metrics-listen");
	assert_int_equal(load(&c, &a, err, sizeof(err), 4, "--metrics-listen",
	                      "127.0.0.1:0", "--metrics-port-file", ""),
	                 CD_EINVAL);
	assert_string_equal(err, "--metrics-port-file: must not be empty");
	assert_int_equal(load(&c, &a, err, sizeof(err), 1,
	                      "--metrics-listen"), CD_EINVAL);
	assert_string_equal(err, "--metrics-listen needs a value");
}

static void test_metrics_env(void **state)
{
	(void)state;
	cfg_t c;
	cfg_action a;
	char err[256] = "";
	setenv("CLUSTERD_METRICS_LISTEN", "127.0.0.1:9101", 1);
	setenv("CLUSTERD_METRICS_PORT_FILE", "/tmp/env-mp", 1);
	assert_int_equal(load(&c, &a, err, sizeof(err), 0), CD_OK);
	assert_string_equal(c.metrics_listen, "127.0.0.1:9101");
	assert_string_equal(c.metrics_port_file, "/tmp/env-mp");
	/* The flag wins. */
	assert_int_equal(load(&c, &a, err, sizeof(err), 2, "--metrics-listen",
	                      "[::1]:0"), CD_OK);
	assert_string_equal(c.metrics_listen, "[::1]:0");
	setenv("CLUSTERD_METRICS_LISTEN", "nope", 1);
	assert_int_equal(load(&c, &a, err, sizeof(err), 0), CD_EINVAL);
	assert_string_equal(err, "CLUSTERD_METRICS_LISTEN: 'nope' is not "
	                    "host:port (port 0..65535; an IPv6 address in "
	                    "brackets: [::1]:9090)");
	/* A long value: refused by length, not truncated. */
	char longv[CFG_ADDR_MAX + 16];
	memset(longv, 'a', sizeof(longv));
	strcpy(longv + sizeof(longv) - 6, ":9090");
	setenv("CLUSTERD_METRICS_LISTEN", longv, 1);
	assert_int_equal(load(&c, &a, err, sizeof(err), 0), CD_EINVAL);
	unsetenv("CLUSTERD_METRICS_LISTEN");
}

static void test_split_hostport(void **state)
{
	(void)state;
	char host[64];
	unsigned port = 1;
	assert_int_equal(cfg_split_hostport("[::1]:9090", host, sizeof(host),
	                                    &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 9090);
	assert_int_equal(cfg_split_hostport("h:0", host, sizeof(host), &port),
	                 0);
	assert_string_equal(host, "h");
	assert_int_equal(port, 0);
	/* A host longer than the room for it. */
	assert_int_equal(cfg_split_hostport("abcdefgh:1", host, 8, &port), -1);
	assert_int_equal(cfg_split_hostport("abcdefg:1", host, 8, &port), 0);
	assert_string_equal(host, "abcdefg");
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
		cmocka_unit_test_setup(test_plugin_defaults, clear_env),
		cmocka_unit_test_setup(test_plugin_flags, clear_env),
		cmocka_unit_test_setup(test_plugin_durations, clear_env),
		cmocka_unit_test_setup(test_plugin_env, clear_env),
		cmocka_unit_test_setup(test_plugin_memory, clear_env),
		cmocka_unit_test_setup(test_plugin_timeout_above_max, clear_env),
		cmocka_unit_test_setup(test_run_flags, clear_env),
		cmocka_unit_test_setup(test_loopback, clear_env),
		cmocka_unit_test_setup(test_exposure, clear_env),
		cmocka_unit_test_setup(test_tls_flags, clear_env),
		cmocka_unit_test_setup(test_metrics_flags, clear_env),
		cmocka_unit_test_setup(test_metrics_env, clear_env),
		cmocka_unit_test_setup(test_split_hostport, clear_env),
		cmocka_unit_test_setup(test_backup_replica_flags, clear_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
