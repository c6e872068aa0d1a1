/* clusterctl: global options and dispatch to the command files. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cc_json.h"
#include "ctl.h"
#include "ctl_table.h"
#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"

#define CTL_DEFAULT_SERVER "127.0.0.1:50051"

static const char ctl_help[] =
	"Usage: clusterctl [OPTIONS] COMMAND [ARGS...]\n"
	"\n"
	"Command-line client of clusterd.\n"
	"\n"
	"Options (also accepted after the command):\n"
	"  --server ADDR     server address (default " CTL_DEFAULT_SERVER
	", env CLUSTERD_SERVER)\n"
	"  --timeout SECONDS deadline of each call (default 30; 0 = none;\n"
	"                    units allowed: 500ms, 90s, 5m, 1h)\n"
	"  --tls             connect with TLS, verifying the server with the\n"
	"                    system's CAs (env CLUSTERCTL_TLS=1)\n"
	"  --tls-ca FILE     TLS, verifying the server with these PEM CAs\n"
	"                    (env CLUSTERCTL_TLS_CA)\n"
	"  --tls-cert FILE   client certificate for mutual TLS, PEM\n"
	"                    (env CLUSTERCTL_TLS_CERT)\n"
	"  --tls-key FILE    its private key, PEM (env CLUSTERCTL_TLS_KEY)\n"
	"  --tls-server-name NAME  the name to verify in the server's\n"
	"                    certificate, when ADDR's host is not it\n"
	"                    (env CLUSTERCTL_TLS_SERVER_NAME)\n"
	"  --token TOKEN     send \"authorization: Bearer TOKEN\" with every\n"
	"                    call (env CLUSTERCTL_TOKEN; shows in ps: prefer\n"
	"                    the variable or --token-file)\n"
	"  --token-file FILE the token is the first line of FILE\n"
	"                    (env CLUSTERCTL_TOKEN_FILE)\n"
	"  --json            print JSON\n"
	"  --csv             print CSV\n"
	"  --help            this text; COMMAND --help for a command\n"
	"  --version         clusterctl's version, and the server's when it\n"
	"                    answers (exit status 0 either way)\n"
	"\n"
	"Commands:\n"
	"  cluster create|get|list|update|delete|import|export\n"
	"  competition create|get|list|update|delete|run\n"
	"  run get|list|watch|cancel|explain|standings|delete\n"
	"  plugin list|reload\n"
	"  health [SERVICE]\n"
	"  audit list\n"
	"  server info\n"
	"  admin backup FILE\n"
	"\n"
	"Exit status: 0 success, 1 the call or the input failed, 2 usage.\n";

int ctl_fail(int code, const char *fmt, ...)
{
	va_list ap;
	fputs("clusterctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

int ctl_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fputs("clusterctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'clusterctl %s%s--help'.\n", cmd ? cmd : "",
	        cmd ? " " : "");
	return CTL_USAGE;
}

int ctl_rpc_fail(const cc_status_t *st)
{
	return ctl_fail(CTL_FAIL, "%s: %s", cc_status_name(st->code),
	                st->message[0] ? st->message : "(no message)");
}

int ctl_parse_int(const char *cmd, const char *opt, const char *s,
                  long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max)
		return ctl_usage(cmd, "%s: '%s' is not a whole number in "
		                 "%ld..%ld", opt, s, min, max);
	*out = v;
	return CTL_OK;
}

/* Unset and empty variables are both "not given". */
static const char *env_str(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

void ctl_env(ctl_t *ctl)
{
	const char *tls = env_str("CLUSTERCTL_TLS");
	ctl->tls = tls && strcmp(tls, "0") != 0;
	ctl->tls_ca = env_str("CLUSTERCTL_TLS_CA");
	ctl->tls_cert = env_str("CLUSTERCTL_TLS_CERT");
	ctl->tls_key = env_str("CLUSTERCTL_TLS_KEY");
	ctl->tls_server_name = env_str("CLUSTERCTL_TLS_SERVER_NAME");
	ctl->token = env_str("CLUSTERCTL_TOKEN");
	/* The variable with the token itself wins over the file's. */
	ctl->token_file = ctl->token ? NULL : env_str("CLUSTERCTL_TOKEN_FILE");
}

/* The first line of path, without its line end, into buf. */
static int read_token_file(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return ctl_fail(CTL_FAIL, "--token-file: cannot open %s: %s",
		                path, strerror(errno));
	int ok = fgets(buf, (int)cap, f) != NULL;
	fclose(f);
	size_t n = ok ? strlen(buf) : 0;
	if (ok && n == cap - 1 && buf[n - 1] != '\n')
		return ctl_fail(CTL_FAIL, "--token-file: %s: the first line "
		                "is longer than %zu bytes", path, cap - 2);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	             buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		buf[--n] = '\0';
	if (!n)
		return ctl_fail(CTL_FAIL, "--token-file: %s: the first line is "
		                "empty", path);
	return CTL_OK;
}

int ctl_common_opt(ctl_t *ctl, int code, const char *arg)
{
	switch (code) {
	case CTL_OPT_TLS:
		ctl->tls = 1;
		return CTL_OK;
	case CTL_OPT_TLS_CA:
	case CTL_OPT_TLS_CERT:
	case CTL_OPT_TLS_KEY:
	case CTL_OPT_TLS_SERVER_NAME:
	case CTL_OPT_TOKEN:
	case CTL_OPT_TOKEN_FILE:
		if (!*arg)
			return ctl_usage(NULL, "an empty value is not a %s",
			                 code == CTL_OPT_TOKEN ? "token"
			                 : code == CTL_OPT_TLS_SERVER_NAME
			                 ? "name" : "file");
		if (code == CTL_OPT_TLS_CA)
			ctl->tls_ca = arg;
		else if (code == CTL_OPT_TLS_CERT)
			ctl->tls_cert = arg;
		else if (code == CTL_OPT_TLS_KEY)
			ctl->tls_key = arg;
		else if (code == CTL_OPT_TLS_SERVER_NAME)
			ctl->tls_server_name = arg;
		else if (code == CTL_OPT_TOKEN) {
			ctl->token = arg;
			ctl->token_file = NULL;
		} else {
			ctl->token_file = arg;
			ctl->token = NULL;
		}
		return CTL_OK;
	case CTL_OPT_JSON:
		ctl->fmt = CTL_JSON;
		return CTL_OK;
	case CTL_OPT_CSV:
		ctl->fmt = CTL_CSV;
		return CTL_OK;
	case CTL_OPT_SERVER:
		if (!*arg)
			return ctl_usage(NULL, "--server: empty address");
		ctl->server = arg;
		return CTL_OK;
	case CTL_OPT_TIMEOUT: {
		char *end;
		errno = 0;
		double s = strtod(arg, &end);
		/* Seconds, or with a unit: 500ms, 90s, 5m, 1h. */
		if (!strcmp(end, "ms"))
			s /= 1000, end += 2;
		else if (!strcmp(end, "s"))
			end++;
		else if (!strcmp(end, "m"))
			s *= 60, end++;
		else if (!strcmp(end, "h"))
			s *= 3600, end++;
		if (!*arg || *end || errno || !(s >= 0) || s > 1e7)
			return ctl_usage(NULL, "--timeout: '%s' is not a number "
			                 "of seconds", arg);
		/* 0 means no deadline; a tiny positive one stays positive. */
		int64_t ms = (int64_t)(s * 1000);
		ctl->timeout_ms = s == 0 ? -1 : ms > 0 ? ms : 1;
		ctl->timeout_set = 1;
		return CTL_OK;
	}
	}
	return CTL_USAGE;
}

int ctl_getopt(ctl_t *ctl, const char *cmd, int argc, char **argv,
               const char *shortopts, const struct option *longopts,
               int *rc)
{
	char opts[64];
	/* Leading ':' so a missing argument is reported here, once. */
	snprintf(opts, sizeof(opts), ":%s", shortopts);
	for (;;) {
		int c = getopt_long(argc, argv, opts, longopts, NULL);
		if (c >= CTL_OPT_JSON && c < CTL_OPT_END) {
			if ((*rc = ctl_common_opt(ctl, c, optarg)))
				return '?';
			continue;
		}
		if (c == '?') {
			*rc = ctl_usage(cmd, "unknown option '%s'",
			                argv[optind - 1]);
			return '?';
		}
		if (c == ':') {
			*rc = ctl_usage(cmd, "option '%s' needs a value",
			                argv[optind - 1]);
			return '?';
		}
		return c;
	}
}

cc_client_t *ctl_client(ctl_t *ctl)
{
	if (ctl->cli)
		return ctl->cli;
	char err[512], token[4096];
	if (ctl->token_file &&
	    read_token_file(ctl->token_file, token, sizeof(token)) != CTL_OK)
		return NULL;
	cc_conn_opts_t o = {
		.tls = ctl->tls,
		.tls_ca = ctl->tls_ca,
		.tls_cert = ctl->tls_cert,
		.tls_key = ctl->tls_key,
		.tls_server_name = ctl->tls_server_name,
		.token = ctl->token_file ? token : ctl->token,
	};
	int rc = cc_client_open_opts(&ctl->cli, ctl->server, &o, err,
	                             sizeof(err));
	memset(token, 0, sizeof(token));
	if (rc) {
		ctl_fail(CTL_FAIL, "%s", err);
		return NULL;
	}
	return ctl->cli;
}

const cc_opts_t *ctl_opts(ctl_t *ctl)
{
	static cc_opts_t o;
	if (!ctl->timeout_set)
		return NULL;
	o.timeout_ms = ctl->timeout_ms;
	return &o;
}

int ctl_print_json(const ProtobufCMessage *m)
{
	char err[256];
	json_t *j = cc_json_from_msg(m, err, sizeof(err));
	if (!j)
		return ctl_fail(CTL_FAIL, "cannot print as JSON: %s", err);
	cc_json_write(stdout, j, 2);
	fputc('\n', stdout);
	json_decref(j);
	return CTL_OK;
}

void ctl_print_table(const ctl_t *ctl, const struct ctl_table *t)
{
	if (ctl->fmt == CTL_CSV)
		ctl_table_print_csv(t, stdout);
	else
		ctl_table_print(t, stdout);
}

void ctl_fmt_time(char *buf, size_t len, const void *timestamp)
{
	const Google__Protobuf__Timestamp *t = timestamp;
	char iso[64];
	buf[0] = '\0';
	if (!t || cc_fmt_timestamp(iso, sizeof(iso), t->seconds, 0))
		return;
	/* "2023-05-01T10:00:00Z" -> "2023-05-01 10:00:00" */
	iso[10] = ' ';
	iso[19] = '\0';
	snprintf(buf, len, "%s", iso);
}

void ctl_progress_line(ctl_t *ctl, const char *what, size_t done,
                       size_t total)
{
	if (!ctl->progress)
		return;
	/* Redraw about a hundred times over the whole job. */
	size_t step = total / 100 ? total / 100 : 1;
	if (done != total && done % step)
		return;
	fprintf(stderr, "\r%s %zu/%zu (%zu%%)\033[K", what, done, total,
	        total ? done * 100 / total : 100);
	fflush(stderr);
}

int64_t ctl_now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int64_t ctl_dur_ms(const void *duration)
{
	const Google__Protobuf__Duration *d = duration;
	return d ? d->seconds * 1000 + d->nanos / 1000000 : 0;
}

void ctl_fmt_ms(char *buf, size_t len, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	if (ms < 1000)
		snprintf(buf, len, "%lldms", (long long)ms);
	else if (ms < 60000)
		snprintf(buf, len, "%.1fs", (double)ms / 1000);
	else if (ms < 3600000)
		snprintf(buf, len, "%lldm%02llds", (long long)(ms / 60000),
		         (long long)(ms / 1000 % 60));
	else
		snprintf(buf, len, "%lldh%02lldm", (long long)(ms / 3600000),
		         (long long)(ms / 60000 % 60));
}

void ctl_progress_run(ctl_t *ctl, const Clusters__V1__Progress *p)
{
	char el[32], left[64] = "", what[160];
	const char *stage = p->stage && p->stage[0] ? p->stage : "running";
	ctl_fmt_ms(el, sizeof(el), ctl_dur_ms(p->elapsed));
	if (p->time_left) {
		char t[24];
		ctl_fmt_ms(t, sizeof(t), ctl_dur_ms(p->time_left));
		snprintf(left, sizeof(left), ", about %s left", t);
	}
	snprintf(what, sizeof(what), "%s%s%s", stage,
	         p->round && p->round[0] ? " " : "",
	         p->round && p->round[0] ? p->round : "");
	if (!ctl->progress) {
		/* A log, not a display: a line when the stage changes. */
		if (!strcmp(what, ctl->progress_last))
			return;
		snprintf(ctl->progress_last, sizeof(ctl->progress_last), "%s",
		         what);
		fprintf(stderr, "progress: %s %lld/%lld, %s elapsed%s\n", what,
		        (long long)p->done, (long long)p->total, el, left);
		fflush(stderr);
		return;
	}
	const int width = 30;
	double f = p->fraction > 0 ? p->fraction
	           : p->total > 0 ? (double)p->done / (double)p->total : 0;
	int fill = (int)(f * width);
	if (fill > width)
		fill = width;
	if (fill < 0)
		fill = 0;
	fputc('\r', stderr);
	fputc('[', stderr);
	for (int i = 0; i < width; i++)
		fputc(i < fill ? '#' : '.', stderr);
	fprintf(stderr, "] %s %lld/%lld, %s elapsed%s\033[K", what,
	        (long long)p->done, (long long)p->total, el, left);
	fflush(stderr);
}

void ctl_progress_end(ctl_t *ctl)
{
	if (!ctl->progress)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
}

static const struct {
	const char *name;
	int (*fn)(ctl_t *, int, char **);
} ctl_cmds[] = {
	{ "cluster", ctl_cmd_cluster },
	{ "clusters", ctl_cmd_cluster },
	{ "competition", ctl_cmd_competition },
	{ "competitions", ctl_cmd_competition },
	{ "run", ctl_cmd_run },
	{ "runs", ctl_cmd_run },
	{ "plugin", ctl_cmd_plugin },
	{ "plugins", ctl_cmd_plugin },
	{ "health", ctl_cmd_health },
	{ "audit", ctl_cmd_audit },
	{ "server", ctl_cmd_server },
	{ "admin", ctl_cmd_admin },
};

int main(int argc, char **argv)
{
	/* OpenSSL's exit handler deletes its thread-local key while gRPC's
	 * threads may still be running; a thread ending after that cannot
	 * free its error state (LeakSanitizer saw 904 bytes from
	 * CRYPTO_zalloc now and then). Without the handler each thread frees
	 * its own at its exit, and the process's exit frees the rest. */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
	ctl_t ctl;
	memset(&ctl, 0, sizeof(ctl));
	const char *env = getenv("CLUSTERD_SERVER");
	ctl.server = env && *env ? env : CTL_DEFAULT_SERVER;
	ctl.progress = isatty(STDERR_FILENO);
	ctl_env(&ctl);
	enum { OPT_VERSION = CTL_OPT_END + 1 };
	static const struct option opts[] = {
		{ "version", no_argument, NULL, OPT_VERSION },
		CTL_COMMON_OPTS, { 0 } };
	int rc = CTL_OK, c, version = 0;
	/* '+': stop at the command; its own options follow it. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(ctl_help, stdout);
			return CTL_OK;
		}
		if (c == '?')
			return ctl_usage(NULL, "unknown option '%s'",
			                 argv[optind - 1]);
		if (c == ':')
			return ctl_usage(NULL, "option '%s' needs a value",
			                 argv[optind - 1]);
		if (c == OPT_VERSION) {
			version = 1;
			continue;
		}
		if ((rc = ctl_common_opt(&ctl, c, optarg)))
			return rc;
	}
	if (version) {
		if (optind < argc)
			return ctl_usage(NULL, "--version takes no command "
			                 "('%s')", argv[optind]);
		rc = ctl_print_version(&ctl);
		fflush(stdout);
		cc_client_close(ctl.cli);
		return rc;
	}
	if (optind >= argc)
		return ctl_usage(NULL, "no command given");
	const char *cmd = argv[optind];
	rc = -1;
	for (size_t i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		if (!strcmp(cmd, ctl_cmds[i].name)) {
			int first = optind;
			rc = ctl_cmds[i].fn(&ctl, argc - first, argv + first);
			break;
		}
	if (rc < 0)
		rc = ctl_usage(NULL, "unknown command '%s'", cmd);
	fflush(stdout);
	cc_client_close(ctl.cli);
	return rc;
}
