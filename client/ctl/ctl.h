/*
 * ctl — the parts of clusterctl shared by its commands: global options,
 * the lazily opened client, exit codes, output helpers.
 *
 * Thread-safety: clusterctl is single-threaded; none of this is shared.
 */
#ifndef CTL_H
#define CTL_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "cc_client.h"

enum {
	CTL_OK = 0,
	CTL_FAIL = 1,   /* the server said no, or input could not be read */
	CTL_USAGE = 2,  /* bad command line */
};

typedef enum ctl_fmt {
	CTL_TABLE = 0,
	CTL_JSON,
	CTL_CSV,
} ctl_fmt_t;

typedef struct ctl {
	const char *server;
	int64_t timeout_ms;  /* 0 = the library default */
	int timeout_set;
	ctl_fmt_t fmt;
	int progress;        /* stderr is a terminal */
	/* Cluster CSV: --layout wide (else long) and --lossy. */
	int csv_wide;
	int csv_lossy;
	int csv_opt_set;     /* either was given */
	/* Connection security (docs/security.md): --tls, --tls-ca,
	 * --tls-cert, --tls-key, --tls-server-name; the bearer token from
	 * --token or the first line of --token-file. */
	int tls;
	const char *tls_ca, *tls_cert, *tls_key, *tls_server_name;
	const char *token, *token_file;
	cc_client_t *cli;    /* opened on first use */
	char progress_last[160]; /* the stage and round last shown as a
	                          * plain line (stderr not a terminal) */
} ctl_t;

/* Options every command accepts after its name, as well as before it. */
enum {
	CTL_OPT_JSON = 1000,
	CTL_OPT_CSV,
	CTL_OPT_SERVER,
	CTL_OPT_TIMEOUT,
	CTL_OPT_TLS,
	CTL_OPT_TLS_CA,
	CTL_OPT_TLS_CERT,
	CTL_OPT_TLS_KEY,
	CTL_OPT_TLS_SERVER_NAME,
	CTL_OPT_TOKEN,
	CTL_OPT_TOKEN_FILE,
	CTL_OPT_END,        /* one past the last common option */
};
#define CTL_COMMON_OPTS                                        \
	{ "json", no_argument, NULL, CTL_OPT_JSON },           \
	{ "csv", no_argument, NULL, CTL_OPT_CSV },             \
	{ "server", required_argument, NULL, CTL_OPT_SERVER }, \
	{ "timeout", required_argument, NULL, CTL_OPT_TIMEOUT }, \
	{ "tls", no_argument, NULL, CTL_OPT_TLS },             \
	{ "tls-ca", required_argument, NULL, CTL_OPT_TLS_CA }, \
	{ "tls-cert", required_argument, NULL, CTL_OPT_TLS_CERT }, \
	{ "tls-key", required_argument, NULL, CTL_OPT_TLS_KEY }, \
	{ "tls-server-name", required_argument, NULL,          \
	  CTL_OPT_TLS_SERVER_NAME },                           \
	{ "token", required_argument, NULL, CTL_OPT_TOKEN },   \
	{ "token-file", required_argument, NULL, CTL_OPT_TOKEN_FILE }, \
	{ "help", no_argument, NULL, 'h' }

/* The CLUSTERCTL_* environment (TLS files, token): before the flags,
 * which override it. */
void ctl_env(ctl_t *ctl);

/* Handles a CTL_OPT_* code; CTL_USAGE on a bad value. */
int ctl_common_opt(ctl_t *ctl, int code, const char *arg);

/* The client, opened on first use; NULL after printing why. */
cc_client_t *ctl_client(ctl_t *ctl);

/* Per-call options from --timeout (NULL when not given). */
const cc_opts_t *ctl_opts(ctl_t *ctl);

/* Prints "clusterctl: NOT_FOUND: message" and returns CTL_FAIL. */
int ctl_rpc_fail(const cc_status_t *st);
/* Prints "clusterctl: message" and returns code. */
int ctl_fail(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prints the message, a pointer to --help, returns CTL_USAGE. */
int ctl_usage(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* getopt_long over a command's arguments (argv[0] = its name; cmd is the
 * full name for messages, "cluster list"); set optind = 0 before the first
 * call. Handles the common options itself; on a bad option prints a usage
 * error, sets *rc and returns '?'. Else the option, or -1 at the end. */
int ctl_getopt(ctl_t *ctl, const char *cmd, int argc, char **argv,
               const char *shortopts, const struct option *longopts,
               int *rc);

/* Parses a whole-number option value. */
int ctl_parse_int(const char *cmd, const char *opt, const char *s,
                  long min, long max, long *out);

/* Prints a message as indented JSON on stdout. */
int ctl_print_json(const ProtobufCMessage *m);

/* Prints a table on stdout as CSV with --csv, else aligned. */
struct ctl_table;
void ctl_print_table(const ctl_t *ctl, const struct ctl_table *t);

/* Progress on stderr when it is a terminal: a line ("importing 10/100").
 * ctl_progress_end clears it. */
void ctl_progress_line(ctl_t *ctl, const char *what, size_t done,
                       size_t total);
/* A run's progress: on a terminal a bar redrawn in place (the stage,
 * done/total, elapsed, the time left); else one plain line on stderr each
 * time the stage or the round changes. */
void ctl_progress_run(ctl_t *ctl, const Clusters__V1__Progress *p);
void ctl_progress_end(ctl_t *ctl);
/* A duration for people: "850ms", "12.3s", "4m05s", "2h03m". */
void ctl_fmt_ms(char *buf, size_t len, int64_t ms);
/* A google.protobuf.Duration in milliseconds (0 for NULL). */
int64_t ctl_dur_ms(const void *duration);

/* "2023-05-01 10:00:00" (UTC) or "" for an absent time. */
void ctl_fmt_time(char *buf, size_t len, const void *timestamp);

/* Reads every record of a file (JSON, or CSV for clusters) into a new
 * array; free with ctl_msgs_free. Prints the error; CTL_OK or CTL_FAIL. */
int ctl_read_msgs(const char *path, const ProtobufCMessageDescriptor *desc,
                  ProtobufCMessage ***out, size_t *n);
void ctl_msgs_free(ProtobufCMessage **msgs, size_t n);

/* Runs the subcommand of a two-level command ("cluster list"). */
typedef struct ctl_sub {
	const char *name;
	int (*fn)(ctl_t *ctl, int argc, char **argv);
} ctl_sub_t;
int ctl_dispatch(ctl_t *ctl, const char *cmd, const char *help,
                 const ctl_sub_t *subs, size_t nsubs, int argc, char **argv);

/* Clusters in the chosen format (--json prints each as one line of JSON;
 * callers with a response message print that instead). With --csv, the
 * long layout, or the wide one with --layout wide: refused, naming what
 * it would lose, unless --lossy (which says on stderr what it dropped). */
int ctl_print_clusters(ctl_t *ctl, Clusters__V1__Cluster *const *cs,
                       size_t n);
/* One cluster with its indicators, assessments and labels. */
int ctl_print_cluster(ctl_t *ctl, const Clusters__V1__Cluster *c);

/* A run: standings (rank, cluster, score, per-criterion scores, selected,
 * rank change), then the summary tables. */
int ctl_print_run(ctl_t *ctl, const Clusters__V1__Run *run);
/* Each round's coherence (ctl_print_coherence.c), after the summary. */
void ctl_print_coherence(const Clusters__V1__Run *run);
/* A competition definition, round by round. */
int ctl_print_competition(ctl_t *ctl, const Clusters__V1__Competition *c);
/* Name of an enum value, or its number. buf holds 16 bytes. */
const char *ctl_enum_name(const ProtobufCEnumDescriptor *d, int v,
                          char *buf, size_t len);
/* The same without the enum's prefix: "SUCCEEDED" for RUN_STATE_SUCCEEDED,
 * "OUTSIDE_TOP_N" for DECISION_CODE_OUTSIDE_TOP_N. */
const char *ctl_enum_short(const ProtobufCEnumDescriptor *d, int v,
                           char *buf, size_t len);

/* A command's options when it has only the common ones and one positional
 * argument (into *id). CTL_OK, a usage error, or -1 after --help. */
int ctl_id_arg(ctl_t *ctl, const char *cmd, int argc, char **argv,
               const char *help, const char **id);

/* Paging options of "competition list" and "run list" (with_comp: also
 * --competition and --state). CTL_OK, a usage error, or -1 after --help. */
typedef struct ctl_paging {
	int32_t page_size;
	const char *page_token;
	int all;
	const char *competition;
	const char *state;
} ctl_paging_t;
int ctl_paging_opts(ctl_t *ctl, const char *cmd, int argc, char **argv,
                    const char *help, int with_comp, ctl_paging_t *p);

/* Commands. argv[0] is the command name ("cluster", ...). */
int ctl_cmd_cluster(ctl_t *ctl, int argc, char **argv);
int ctl_cmd_competition(ctl_t *ctl, int argc, char **argv);
int ctl_cmd_run(ctl_t *ctl, int argc, char **argv);
/* A number for a cell (ctl_print_run.c): exact (CSV) the shortest form
 * that reads back to the same double, else a short precision. */
void ctl_num(char *buf, size_t len, double v, int exact);
/* clusterctl run standings (ctl_standings.c). */
int ctl_run_standings(ctl_t *ctl, int argc, char **argv);
/* clusterctl run report (ctl_report.c). */
int ctl_run_report(ctl_t *ctl, int argc, char **argv);
/* Watches run id (ctl_run.c) with the deadline timeout_ms (< 0 = none):
 * the progress, then the run. Returns CTL_OK with *run for a run that
 * SUCCEEDED; CTL_FAIL otherwise, having printed why: the run's status for
 * a FAILED or CANCELLED run (*run set, so the caller may print it too),
 * the call's status, and when the deadline ended the watch, how to
 * follow the run, which goes on on the server. */
int ctl_run_follow(ctl_t *ctl, const char *id, int64_t timeout_ms,
                   Clusters__V1__Run **run);
/* Monotonic milliseconds. */
int64_t ctl_now_ms(void);
int ctl_cmd_plugin(ctl_t *ctl, int argc, char **argv);
int ctl_cmd_health(ctl_t *ctl, int argc, char **argv);
int ctl_cmd_audit(ctl_t *ctl, int argc, char **argv);
/* server info, and --version (ctl_server.c). */
int ctl_cmd_server(ctl_t *ctl, int argc, char **argv);
/* clusterctl's own version: CMake's CLUSTERD_VERSION, as clusterd's. */
const char *ctl_version(void);
/* clusterctl --version: the client's version, then the server's or why
 * it is not known; CTL_OK either way. */
int ctl_print_version(ctl_t *ctl);
int ctl_cmd_admin(ctl_t *ctl, int argc, char **argv);
/* competition validate|evaluate (ctl_iterate.c). */
int ctl_comp_validate(ctl_t *ctl, int argc, char **argv);
int ctl_comp_evaluate(ctl_t *ctl, int argc, char **argv);
/* --samples (which 0), --jitter (1), --seed (2) into so. */
int ctl_sens_opt(const char *cmd, int which, const char *arg,
                 Clusters__V1__SensitivityOptions *so);

#endif
