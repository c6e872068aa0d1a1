#include "cfg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cd_error.h"

#define CFG_THREADS_MAX 256
#define CFG_MSG_MIN 1024
#define CFG_MSG_MAX ((size_t)1 << 30)
#define CFG_GRACE_MAX 3600000u
#define CFG_CONN_MAX 1000000u
#define CFG_PLUGIN_TIMEOUT_MAX 86400000u   /* a day */
#define CFG_RUN_WORKERS_MAX 64
#define CFG_RUN_QUEUE_MAX 100000
#define CFG_RUN_TIMEOUT_MAX 604800000u     /* a week */
#define CFG_PLUGIN_MEMORY_MIN (64ull << 20)
#define CFG_PLUGIN_MEMORY_MAX (1ull << 40)
#define CFG_BACKUPS_MAX 16

typedef enum opt_id {
	OPT_LISTEN,
	OPT_PORT_FILE,
	OPT_DATA_DIR,
	OPT_PLUGIN_DIR,
	OPT_THREADS,
	OPT_MAX_MSG,
	OPT_GRACE,
	OPT_MAX_CONN,
	OPT_LOG_LEVEL,
	OPT_LOG_FORMAT,
	OPT_PLUGIN_ISOLATION,
	OPT_PLUGIN_HOST,
	OPT_PLUGIN_TIMEOUT,
	OPT_PLUGIN_TIMEOUT_MAX,
	OPT_PLUGIN_MEMORY,
	OPT_RUN_WORKERS,
	OPT_RUN_QUEUE,
	OPT_RUN_TIMEOUT,
	OPT_RUN_TIMEOUT_MAX,
	OPT_PLUGIN_DIR_INSECURE,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_TLS_CLIENT_CA,
	OPT_AUTH_TOKENS,
	OPT_INSECURE,
	OPT_METRICS_LISTEN,
	OPT_METRICS_PORT_FILE,
	OPT_READ_ONLY,
	OPT_PRIMARY,
	OPT_MAX_BACKUPS,
	OPT_RESTORE,
	OPT_HASH_TOKEN,
	OPT_HELP,
	OPT_VERSION,
} opt_id;

static int listen_is_port0(const char *listen);

typedef struct opt {
	const char *flag;
	const char *env;   /* NULL: flag only */
	opt_id id;
	int takes_value;
	const char *help;
} opt_t;

static const opt_t opts[] = {
	{"--listen", "CLUSTERD_LISTEN", OPT_LISTEN, 1,
	 "ADDR    host:port to serve on (default 127.0.0.1:50051; port 0 picks one)"},
	{"--port-file", "CLUSTERD_PORT_FILE", OPT_PORT_FILE, 1,
	 "PATH write the bound port number to PATH once listening"},
	{"--data-dir", "CLUSTERD_DATA_DIR", OPT_DATA_DIR, 1,
	 "DIR   where the LMDB store lives (default ./var/clusters)"},
	{"--plugin-dir", "CLUSTERD_PLUGIN_DIR", OPT_PLUGIN_DIR, 1,
	 "DIR scoring plugins are loaded from DIR only (default "
	 CLUSTERD_DEFAULT_PLUGIN_DIR "; \"\" for none)"},
	{"--threads", "CLUSTERD_THREADS", OPT_THREADS, 1,
	 "N      completion-queue worker threads (default: number of cores)"},
	{"--max-message-bytes", "CLUSTERD_MAX_MESSAGE_BYTES", OPT_MAX_MSG, 1,
	 "N  largest accepted request message; k/M/G suffixes (default 4M)"},
	{"--grace-ms", "CLUSTERD_GRACE_MS", OPT_GRACE, 1,
	 "MS    how long in-flight calls may finish at shutdown (default 5000)"},
	{"--max-connections", "CLUSTERD_MAX_CONNECTIONS", OPT_MAX_CONN, 1,
	 "N    open connections at most; more are closed at once (default: "
	 "as the descriptor limit allows, less 64 held back)"},
	{"--log-level", "CLUSTERD_LOG_LEVEL", OPT_LOG_LEVEL, 1,
	 "L    debug|info|warn|error (default info)"},
	{"--log-format", "CLUSTERD_LOG_FORMAT", OPT_LOG_FORMAT, 1,
	 "F   text|json (default text)"},
	{"--plugin-isolation", "CLUSTERD_PLUGIN_ISOLATION", OPT_PLUGIN_ISOLATION, 1,
	 "M process|none: run plugins in sandboxed worker processes "
	 "(default) or inside the server (trusted plugins only)"},
	{"--plugin-host", "CLUSTERD_PLUGIN_HOST", OPT_PLUGIN_HOST, 1,
	 "PATH  the plugin worker executable (default: clusterd-plugin-host "
	 "beside clusterd, else " CLUSTERD_DEFAULT_PLUGIN_HOST ")"},
	{"--plugin-timeout", "CLUSTERD_PLUGIN_TIMEOUT", OPT_PLUGIN_TIMEOUT, 1,
	 "T time limit of one criterion's scoring: 500ms, 30s, 2m; a bare "
	 "number is ms (default 30s)"},
	{"--plugin-timeout-max", "CLUSTERD_PLUGIN_TIMEOUT_MAX",
	 OPT_PLUGIN_TIMEOUT_MAX, 1,
	 "T  the most a competition's plugin_timeout may ask for "
	 "(default 10m)"},
	{"--run-workers", "CLUSTERD_RUN_WORKERS", OPT_RUN_WORKERS, 1,
	 "N  runs evaluated at once (1..64, default 2)"},
	{"--run-queue", "CLUSTERD_RUN_QUEUE", OPT_RUN_QUEUE, 1,
	 "N  runs that may wait for a worker (1..100000, default 32); more "
	 "are RESOURCE_EXHAUSTED"},
	{"--run-timeout", "CLUSTERD_RUN_TIMEOUT", OPT_RUN_TIMEOUT, 1,
	 "T  time limit of a run that asks for none: 90s, 30m, 2h (default "
	 "1h)"},
	{"--run-timeout-max", "CLUSTERD_RUN_TIMEOUT_MAX", OPT_RUN_TIMEOUT_MAX,
	 1, "T  the most a run's time_limit may ask for (default 24h)"},
	{"--plugin-memory", "CLUSTERD_PLUGIN_MEMORY", OPT_PLUGIN_MEMORY, 1,
	 "N  address space of a plugin worker; k/M/G suffixes (default 4G)"},
	{"--plugin-dir-insecure", "CLUSTERD_PLUGIN_DIR_INSECURE",
	 OPT_PLUGIN_DIR_INSECURE, 0,
	 "  load plugins even from a writable directory, group-writable "
	 "files or another user's (logged; a world-writable file never)"},
	{"--tls-cert", "CLUSTERD_TLS_CERT", OPT_TLS_CERT, 1,
	 "FILE   serve TLS with this PEM certificate chain (needs --tls-key; "
	 "reloaded on SIGHUP)"},
	{"--tls-key", "CLUSTERD_TLS_KEY", OPT_TLS_KEY, 1,
	 "FILE    the PEM private key of --tls-cert; mode 0600 or stricter"},
	{"--tls-client-ca", "CLUSTERD_TLS_CLIENT_CA", OPT_TLS_CLIENT_CA, 1,
	 "FILE require client certificates issued by these PEM CAs "
	 "(mutual TLS; reloaded on SIGHUP)"},
	{"--auth-tokens", "CLUSTERD_AUTH_TOKENS", OPT_AUTH_TOKENS, 1,
	 "FILE principals, their token hashes and roles (docs/security.md); "
	 "reread on SIGHUP. Without it every call is anonymous"},
	{"--insecure", "CLUSTERD_INSECURE", OPT_INSECURE, 0,
	 "         allow a non-loopback --listen without TLS or without "
	 "--auth-tokens (warned about every 10 minutes)"},
	{"--metrics-listen", "CLUSTERD_METRICS_LISTEN", OPT_METRICS_LISTEN, 1,
	 "ADDR serve Prometheus metrics at http://ADDR/metrics (host:port; "
	 "port 0 picks one; default off)"},
	{"--metrics-port-file", "CLUSTERD_METRICS_PORT_FILE",
	 OPT_METRICS_PORT_FILE, 1,
	 "PATH write the bound metrics port to PATH once listening"},
	{"--read-only", "CLUSTERD_READ_ONLY", OPT_READ_ONLY, 0,
	 "       serve as a read-only replica: the store opened read-only, "
	 "every method that writes refused (FAILED_PRECONDITION)"},
	{"--primary", "CLUSTERD_PRIMARY", OPT_PRIMARY, 1,
	 "ADDR   with --read-only: the primary's host:port, named when a "
	 "write is refused"},
	{"--max-backups", "CLUSTERD_MAX_BACKUPS", OPT_MAX_BACKUPS, 1,
	 "N  Backup streams at once (1..16, default 2); more are "
	 "RESOURCE_EXHAUSTED"},
	{"--restore", NULL, OPT_RESTORE, 1,
	 "FILE   restore the backup FILE into --data-dir DIR (new or empty), "
	 "print what it holds, exit"},
	{"--hash-token", NULL, OPT_HASH_TOKEN, 0,
	 "       read a token on stdin, print its SHA-256 for the tokens "
	 "file, exit"},
	{"--help", NULL, OPT_HELP, 0, "          this text"},
	{"--version", NULL, OPT_VERSION, 0, "       print the version"},
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

void cfg_defaults(cfg_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->listen, "127.0.0.1:50051");
	strcpy(cfg->data_dir, "./var/clusters");
	/* An installed clusterd with no flags loads the built-in plugins
	 * installed beside it. */
	snprintf(cfg->plugin_dir, sizeof(cfg->plugin_dir), "%s",
	         CLUSTERD_DEFAULT_PLUGIN_DIR);
	cfg->plugin_dir_default = 1;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cfg->threads = n > 0 && n <= CFG_THREADS_MAX ? (unsigned)n : 1;
	cfg->max_message_bytes = 4u << 20;
	cfg->grace_ms = 5000;
	cfg->log_level = LOG_INFO;
	cfg->log_format = LOG_TEXT;
	cfg->plugin_isolation = 1;   /* PLUGIN_ISOLATION_PROCESS */
	cfg->plugin_timeout_ms = 30000;
	cfg->plugin_timeout_max_ms = 600000;
	cfg->run_workers = 2;
	cfg->run_queue = 32;
	cfg->run_timeout_ms = 3600000u;
	cfg->run_timeout_max_ms = 86400000u;
	cfg->plugin_memory = 4ull << 30;
	cfg->insecure_warn_ms = 10 * 60 * 1000;
	cfg->max_backups = 2;
	cfg->primary = "";
}

/* 500ms, 30s, 2m, or a bare number of milliseconds. */
static int parse_duration_ms(const char *s, unsigned max, unsigned *out)
{
	char *end;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	unsigned long long mul = !*end || !strcmp(end, "ms") ? 1
	                       : !strcmp(end, "s") ? 1000
	                       : !strcmp(end, "m") ? 60000 : 0;
	if (!mul || v > max / mul)
		return -1;
	*out = (unsigned)(v * mul);
	return 0;
}

/* As parse_duration_ms, also taking hours ("2h"): run time limits. */
static int parse_long_duration_ms(const char *s, unsigned max, unsigned *out)
{
	size_t n = strlen(s);
	if (n >= 2 && s[n - 1] == 'h' && s[0] >= '0' && s[0] <= '9') {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(s, &end, 10);
		if (errno || end != s + n - 1 || v > max / 3600000u)
			return -1;
		*out = (unsigned)(v * 3600000u);
		return 0;
	}
	return parse_duration_ms(s, max, out);
}

void cfg_usage(FILE *out)
{
	fprintf(out, "usage: clusterd [flags]\n\n"
	             "Serves the cluster registry over gRPC.\n\n");
	for (size_t i = 0; i < NOPTS; i++) {
		fprintf(out, "  %s %s", opts[i].flag, opts[i].help);
		if (opts[i].env)
			fprintf(out, " [%s]", opts[i].env);
		fputc('\n', out);
	}
	fprintf(out, "\nSIGTERM or SIGINT stops the server gracefully; SIGHUP "
	             "reloads the TLS files.\n"
	             "clusterd --restore FILE --data-dir DIR restores a backup "
	             "(clusterctl admin backup) and exits.\n");
}

static int parse_uint(const char *s, unsigned long long max,
                      int allow_suffix, unsigned long long *out)
{
	char *end;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (allow_suffix && *end) {
		unsigned shift = *end == 'k' || *end == 'K' ? 10
		               : *end == 'm' || *end == 'M' ? 20
		               : *end == 'g' || *end == 'G' ? 30 : 0;
		if (!shift || end[1] || v > (ULLONG_MAX >> shift))
			return -1;
		v <<= shift;
		end++;
	}
	if (*end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int copy_str(char *dst, size_t cap, const char *v, const char *name,
                    char *err, size_t errlen)
{
	size_t n = strlen(v);
	if (n >= cap)
		return cd_fail(err, errlen, CD_EINVAL, "%s: value too long "
		               "(at most %zu bytes)", name, cap - 1);
	memcpy(dst, v, n + 1);
	return CD_OK;
}

/* name is the flag or the environment variable, for the message. */
static int apply(cfg_t *cfg, const opt_t *o, const char *v, const char *name,
                 char *err, size_t errlen)
{
	unsigned long long n;

	switch (o->id) {
	case OPT_LISTEN:
		if (!*v || !strrchr(v, ':'))
			return cd_fail(err, errlen, CD_EINVAL, "%s: '%s' is not "
			               "host:port", name, v);
		return copy_str(cfg->listen, sizeof(cfg->listen), v, name, err,
		                errlen);
	case OPT_PORT_FILE:
		return copy_str(cfg->port_file, sizeof(cfg->port_file), v, name,
		                err, errlen);
	case OPT_DATA_DIR:
		if (!*v)
			return cd_fail(err, errlen, CD_EINVAL, "%s: must not be "
			               "empty", name);
		cfg->data_dir_set = 1;
		return copy_str(cfg->data_dir, sizeof(cfg->data_dir), v, name,
		                err, errlen);
	case OPT_PLUGIN_DIR:
		cfg->plugin_dir_default = 0;
		return copy_str(cfg->plugin_dir, sizeof(cfg->plugin_dir), v,
		                name, err, errlen);
	case OPT_THREADS:
		if (parse_uint(v, CFG_THREADS_MAX, 0, &n) || n == 0)
			return cd_fail(err, errlen, CD_EINVAL, "%s: '%s' is not "
			               "a number of threads in 1..%d", name, v,
			               CFG_THREADS_MAX);
		cfg->threads = (unsigned)n;
		return CD_OK;
	case OPT_MAX_MSG:
		if (parse_uint(v, CFG_MSG_MAX, 1, &n) || n < CFG_MSG_MIN)
			return cd_fail(err, errlen, CD_EINVAL, "%s: '%s' is not "
			               "a size in 1k..1G", name, v);
		cfg->max_message_bytes = (size_t)n;
		return CD_OK;
	case OPT_GRACE:
		if (parse_uint(v, CFG_GRACE_MAX, 0, &n))
			return cd_fail(err, errlen, CD_EINVAL, "%s: '%s' is not "
			               "a duration in 0..%u ms", name, v,
			               CFG_GRACE_MAX);
		cfg->grace_ms = (unsigned)n;
		return CD_OK;
	case OPT_MAX_CONN:
		if (parse_uint(v, CFG_CONN_MAX, 0, &n) || n == 0)
			return cd_fail(err, errlen, CD_EINVAL, "%s: '%s' is not "
			               "a number of connections in 1..%u", name,
			               v, CFG_CONN_MAX);
		cfg->max_connections = (unsigned)n;
		return CD_OK;
	case OPT_LOG_LEVEL:
		if (log_level_parse(v, &cfg->log_level))
			return cd_fail(err, errlen, CD_EINVAL, "%s: '%s' is not "
			               "one of debug, info, warn, error", name, v);
		return CD_OK;
	case OPT_LOG_FORMAT:
		if (log_format_parse(v, &cfg->log_format))
			return cd_fail(err, errlen, CD_EINVAL, "%s: '%s' is not "
			               "text or json", name, v);
		return CD_OK;
	case OPT_PLUGIN_ISOLATION:
		if (!strcmp(v, "process"))
			cfg->plugin_isolation = 1;
		else if (!strcmp(v, "none"))
			cfg->plugin_isolation = 0;
		else
			return cd_fail(err, errlen, CD_EINVAL, "%s: '%s' is not "
			               "process or none", name, v);
		return CD_OK;
	case OPT_PLUGIN_HOST:
		return copy_str(cfg->plugin_host, sizeof(cfg->plugin_host), v,
		                name, err, errlen);
	case OPT_PLUGIN_TIMEOUT:
	case OPT_PLUGIN_TIMEOUT_MAX: {
		unsigned ms;
		if (parse_duration_ms(v, CFG_PLUGIN_TIMEOUT_MAX, &ms) || !ms)
			return cd_fail(err, errlen, CD_EINVAL, "%s: '%s' is not "
			               "a duration in 1ms..24h (500ms, 30s, 2m)",
			               name, v);
		if (o->id == OPT_PLUGIN_TIMEOUT)
			cfg->plugin_timeout_ms = ms;
		else
			cfg->plugin_timeout_max_ms = ms;
		return CD_OK;
	}
	case OPT_RUN_WORKERS:
		if (parse_uint(v, CFG_RUN_WORKERS_MAX, 0, &n) || n == 0)
			return cd_fail(err, errlen, CD_EINVAL, "%s: '%s' is not "
			               "a number of run workers in 1..%d", name, v,
			               CFG_RUN_WORKERS_MAX);
		cfg->run_workers = (unsigned)n;
		return CD_OK;
	case OPT_RUN_QUEUE:
		if (parse_uint(v, CFG_RUN_QUEUE_MAX, 0, &n) || n == 0)
			return cd_fail(err, errlen, CD_EINVAL, "%s: '%s' is not "
			               "a queue length in 1..%d", name, v,
			               CFG_RUN_QUEUE_MAX);
		cfg->run_queue = (unsigned)n;
		return CD_OK;
	case OPT_RUN_TIMEOUT:
	case OPT_RUN_TIMEOUT_MAX: {
		unsigned ms;
		if (parse_long_duration_ms(v, CFG_RUN_TIMEOUT_MAX, &ms) || !ms)
			return cd_fail(err, errlen, CD_EINVAL, "%s: '%s' is not "
			               "a duration in 1ms..168h (90s, 30m, 2h)",
			               name, v);
		if (o->id == OPT_RUN_TIMEOUT)
			cfg->run_timeout_ms = ms;
		else
			cfg->run_timeout_max_ms = ms;
		return CD_OK;
	}
	case OPT_PLUGIN_MEMORY:
		if (parse_uint(v, CFG_PLUGIN_MEMORY_MAX, 1, &n) ||
		    n < CFG_PLUGIN_MEMORY_MIN)
			return cd_fail(err, errlen, CD_EINVAL, "%s: '%s' is not "
			               "a size in 64M..1024G", name, v);
		cfg->plugin_memory = n;
		return CD_OK;
	case OPT_PLUGIN_DIR_INSECURE:
		cfg->plugin_dir_insecure = 1;
		return CD_OK;
	case OPT_TLS_CERT:
		return copy_str(cfg->tls_cert, sizeof(cfg->tls_cert), v, name,
		                err, errlen);
	case OPT_TLS_KEY:
		return copy_str(cfg->tls_key, sizeof(cfg->tls_key), v, name,
		                err, errlen);
	case OPT_TLS_CLIENT_CA:
		return copy_str(cfg->tls_client_ca, sizeof(cfg->tls_client_ca),
		                v, name, err, errlen);
	case OPT_AUTH_TOKENS:
		if (!*v)
			return cd_fail(err, errlen, CD_EINVAL, "%s: must not be "
			               "empty", name);
		return copy_str(cfg->auth_tokens, sizeof(cfg->auth_tokens), v,
		                name, err, errlen);
	case OPT_INSECURE:
		cfg->insecure = 1;
		return CD_OK;
	case OPT_METRICS_LISTEN: {
		char host[CFG_ADDR_MAX];
		unsigned port;
		if (cfg_split_hostport(v, host, sizeof(host), &port))
			return cd_fail(err, errlen, CD_EINVAL, "%s: '%s' is not "
			               "host:port (port 0..65535; an IPv6 address "
			               "in brackets: [::1]:9090)", name, v);
		return copy_str(cfg->metrics_listen,
		                sizeof(cfg->metrics_listen), v, name, err,
		                errlen);
	}
	case OPT_METRICS_PORT_FILE:
		if (!*v)
			return cd_fail(err, errlen, CD_EINVAL, "%s: must not be "
			               "empty", name);
		return copy_str(cfg->metrics_port_file,
		                sizeof(cfg->metrics_port_file), v, name, err,
		                errlen);
	case OPT_READ_ONLY:
		cfg->read_only = 1;
		return CD_OK;
	case OPT_PRIMARY: {
		/* Quoted to clients in every refusal: printable, no spaces. */
		size_t len = strlen(v);
		int printable = 1;
		for (size_t i = 0; printable && i < len; i++)
			printable = v[i] > ' ' && v[i] < 0x7f;
		if (!printable)
			return cd_fail(err, errlen, CD_EINVAL, "%s: the value is "
			               "not host:port (it holds a space or a "
			               "control character)", name);
		if (!len || len >= CFG_ADDR_MAX || !strrchr(v, ':'))
			return cd_fail(err, errlen, CD_EINVAL, "%s: '%.300s' is "
			               "not host:port", name, v);
		cfg->primary = v;
		return CD_OK;
	}
	case OPT_MAX_BACKUPS:
		if (parse_uint(v, CFG_BACKUPS_MAX, 0, &n) || n == 0)
			return cd_fail(err, errlen, CD_EINVAL, "%s: '%s' is not "
			               "a number of backups in 1..%d", name, v,
			               CFG_BACKUPS_MAX);
		cfg->max_backups = (unsigned)n;
		return CD_OK;
	case OPT_RESTORE:
		if (!*v)
			return cd_fail(err, errlen, CD_EINVAL, "%s: must not be "
			               "empty", name);
		return copy_str(cfg->restore, sizeof(cfg->restore), v, name,
		                err, errlen);
	case OPT_HASH_TOKEN:
	case OPT_HELP:
	case OPT_VERSION:
		break;
	}
	return CD_OK;
}

static const opt_t *find(const char *arg, size_t len)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (strlen(opts[i].flag) == len &&
		    strncmp(opts[i].flag, arg, len) == 0)
			return &opts[i];
	return NULL;
}

int cfg_load(cfg_t *cfg, int argc, char **argv, cfg_action *action,
             char *err, size_t errlen)
{
	cfg_defaults(cfg);
	*action = CFG_RUN;
	int rc;

	for (size_t i = 0; i < NOPTS; i++) {
		const char *v = opts[i].env ? getenv(opts[i].env) : NULL;
		if (!v)
			continue;
		if (!opts[i].takes_value) {
			/* A switch: its variable is 1 or 0. */
			if (strcmp(v, "1") && strcmp(v, "0"))
				return cd_fail(err, errlen, CD_EINVAL, "%s: '%s' is "
				               "not 1 or 0", opts[i].env, v);
			if (opts[i].id == OPT_INSECURE)
				cfg->insecure = v[0] == '1';
			else if (opts[i].id == OPT_READ_ONLY)
				cfg->read_only = v[0] == '1';
			else
				cfg->plugin_dir_insecure = v[0] == '1';
			continue;
		}
		rc = apply(cfg, &opts[i], v, opts[i].env, err, errlen);
		if (rc != CD_OK)
			return rc;
	}

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *eq = strchr(arg, '=');
		size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
		const opt_t *o = strncmp(arg, "--", 2) == 0 ? find(arg, len)
		                                             : NULL;
		if (!o)
			return cd_fail(err, errlen, CD_EINVAL, "unknown flag "
			               "'%s' (see --help)", arg);
		if (!o->takes_value) {
			if (eq)
				return cd_fail(err, errlen, CD_EINVAL, "%s takes "
				               "no value", o->flag);
			if (o->id == OPT_PLUGIN_DIR_INSECURE ||
			    o->id == OPT_INSECURE || o->id == OPT_READ_ONLY) {
				apply(cfg, o, "1", o->flag, err, errlen);
				continue;
			}
			/* --help wins over --version and --hash-token,
			 * whatever the order. */
			if (o->id == OPT_HELP)
				*action = CFG_HELP;
			else if (*action == CFG_RUN)
				*action = o->id == OPT_VERSION ? CFG_VERSION
				                               : CFG_HASH_TOKEN;
			continue;
		}
		const char *v = eq ? eq + 1 : NULL;
		if (!v) {
			if (i + 1 >= argc)
				return cd_fail(err, errlen, CD_EINVAL, "%s needs "
				               "a value", o->flag);
			v = argv[++i];
		}
		rc = apply(cfg, o, v, o->flag, err, errlen);
		if (rc != CD_OK)
			return rc;
	}
	if (cfg->restore[0] && *action == CFG_RUN) {
		if (!cfg->data_dir_set)
			return cd_fail(err, errlen, CD_EINVAL, "--restore needs "
			               "--data-dir DIR: the new data directory to "
			               "restore into");
		*action = CFG_RESTORE;
		return CD_OK;
	}
	if (cfg->primary[0] && !cfg->read_only)
		return cd_fail(err, errlen, CD_EINVAL, "--primary %s is for a "
		               "read-only replica: add --read-only, or drop "
		               "--primary", cfg->primary);
	if (cfg->plugin_timeout_ms > cfg->plugin_timeout_max_ms)
		return cd_fail(err, errlen, CD_EINVAL, "--plugin-timeout (%u ms) "
		               "is above --plugin-timeout-max (%u ms)",
		               cfg->plugin_timeout_ms, cfg->plugin_timeout_max_ms);
	if (cfg->run_timeout_ms > cfg->run_timeout_max_ms)
		return cd_fail(err, errlen, CD_EINVAL, "--run-timeout (%u ms) "
		               "is above --run-timeout-max (%u ms)",
		               cfg->run_timeout_ms, cfg->run_timeout_max_ms);
	if (cfg->metrics_listen[0] && !strcmp(cfg->metrics_listen, cfg->listen) &&
	    !listen_is_port0(cfg->listen))
		return cd_fail(err, errlen, CD_EINVAL, "--metrics-listen %s is "
		               "the gRPC address (--listen): give metrics a port "
		               "of their own", cfg->metrics_listen);
	if (cfg->metrics_port_file[0] && !cfg->metrics_listen[0])
		return cd_fail(err, errlen, CD_EINVAL, "--metrics-port-file "
		               "needs --metrics-listen");
	const char *lacks = cfg_exposed(cfg);
	if (*action == CFG_RUN && lacks && !cfg->insecure)
		return cd_fail(err, errlen, CD_EINVAL, "--listen %s is not a "
		               "loopback address and the server has no %s: "
		               "refusing to start (configure %s, or pass "
		               "--insecure)", cfg->listen, lacks, lacks);
	return CD_OK;
}

/* 1 when the port of host:port is 0 (each bind picks its own). */
static int listen_is_port0(const char *listen)
{
	const char *colon = strrchr(listen, ':');
	return colon && !strcmp(colon + 1, "0");
}

int cfg_split_hostport(const char *addr, char *host, size_t cap,
                       unsigned *port)
{
	const char *colon = strrchr(addr, ':');
	const char *h = addr;
	size_t n = colon ? (size_t)(colon - addr) : 0;
	if (!colon || !n)
		return -1;
	if (h[0] == '[') {
		/* [v6]:port */
		if (n < 3 || h[n - 1] != ']')
			return -1;
		h++;
		n -= 2;
	} else if (memchr(h, ':', n) || memchr(h, ']', n)) {
		return -1;
	}
	if (n >= cap || memchr(h, '[', n))
		return -1;
	const char *p = colon + 1;
	unsigned long v = 0;
	if (!*p || strlen(p) > 5)
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v > 65535)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	*port = (unsigned)v;
	return 0;
}

int cfg_listen_is_loopback(const char *listen)
{
	const char *colon = strrchr(listen, ':');
	size_t n = colon ? (size_t)(colon - listen) : strlen(listen);
	char host[CFG_ADDR_MAX];
	if (n >= sizeof(host))
		return 0;
	memcpy(host, listen, n);
	host[n] = '\0';
	if (!strcmp(host, "localhost") || !strcmp(host, "[::1]") ||
	    !strcmp(host, "::1"))
		return 1;
	/* 127.0.0.0/8 written as a dotted quad. */
	struct in_addr a;
	return inet_pton(AF_INET, host, &a) == 1 &&
	       (ntohl(a.s_addr) >> 24) == 127;
}

const char *cfg_exposed(const cfg_t *cfg)
{
	int tls = cfg->tls_cert[0] && cfg->tls_key[0];
	int auth = cfg->auth_tokens[0] != '\0';
	if (cfg_listen_is_loopback(cfg->listen) || (tls && auth))
		return NULL;
	return !tls && !auth ? "TLS and authentication"
	     : !tls ? "TLS" : "authentication";
}
