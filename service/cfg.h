/*
 * cfg — clusterd's configuration: defaults, then CLUSTERD_* environment
 * variables, then command-line flags (each flag has an environment twin:
 * --data-dir and CLUSTERD_DATA_DIR).
 *
 * Thread-safety: cfg_load reads the environment, so call it before starting
 * threads; a loaded cfg_t is plain data.
 */
#ifndef CFG_H
#define CFG_H

#include <stddef.h>
#include <stdio.h>

#include "log.h"

#define CFG_ADDR_MAX 256
#define CFG_PATH_MAX 4096

typedef struct cfg {
	char listen[CFG_ADDR_MAX];     /* host:port; port 0 = ephemeral */
	char port_file[CFG_PATH_MAX];  /* "" = none; gets the bound port */
	char data_dir[CFG_PATH_MAX];
	char plugin_dir[CFG_PATH_MAX]; /* "" = no plugins */
	/* plugin_dir is the compiled-in default (CLUSTERD_DEFAULT_PLUGIN_DIR,
	 * the install tree's), not a flag's: a missing directory then means
	 * no plugins rather than an error. */
	int plugin_dir_default;
	unsigned threads;              /* completion-queue workers */
	size_t max_message_bytes;      /* receive limit per message */
	unsigned grace_ms;             /* shutdown grace for in-flight calls */
	unsigned max_connections;      /* 0 = as the descriptor limit allows */
	/* Plugins (docs/plugin-isolation.md). */
	int plugin_isolation;          /* plugin_isolation_t: 1 process, 0 none */
	char plugin_host[CFG_PATH_MAX]; /* "" = next to clusterd, else the
	                                   installed one */
	unsigned plugin_timeout_ms;    /* per criterion, unless a competition
	                                  says otherwise */
	unsigned plugin_timeout_max_ms; /* what a competition may ask for */
	unsigned long long plugin_memory; /* a worker's address space */
	/* Runs as jobs (docs/service.md, "Runs"). */
	unsigned run_workers;          /* runs evaluated at once */
	unsigned run_queue;            /* runs that may wait */
	unsigned run_timeout_ms;       /* a run's limit unless it asks */
	unsigned run_timeout_max_ms;   /* the most a run may ask for */
	int plugin_dir_insecure;
	/* Authentication (docs/security.md). "" = none: every call is
	 * "anonymous", and the server must listen on loopback only. */
	char auth_tokens[CFG_PATH_MAX];
	/* Listen on a non-loopback address without TLS or without
	 * authentication (warned about at start and every 10 minutes). */
	int insecure;
	/* How often an exposed server (--insecure) says so in its log; not a
	 * flag: tests shorten it. */
	unsigned insecure_warn_ms;
	/* TLS (set by the TLS flags; read here to decide what is exposed):
	 * "" = none. */
	char tls_cert[CFG_PATH_MAX];
	char tls_key[CFG_PATH_MAX];
	char tls_client_ca[CFG_PATH_MAX];
	log_level log_level;
	log_format log_format;
	/* Prometheus metrics over HTTP (docs/operations.md, "Observe"):
	 * "" = off. */
	char metrics_listen[CFG_ADDR_MAX];
	char metrics_port_file[CFG_PATH_MAX]; /* gets the metrics port */
	/* Backups and replicas (docs/operations.md). */
	unsigned max_backups;          /* Backup streams at once */
	/* A backup whose client takes nothing for this long is cancelled;
	 * not a flag: tests shorten it (0 = RPC_BACKUP_STALL_MS). */
	unsigned backup_stall_ms;
	/* A read-only replica: the store opened read-only, every method
	 * that writes refused (FAILED_PRECONDITION naming the primary). */
	int read_only;
	/* The primary's address, named in those refusals; "" = not given.
	 * Points into argv or the environment, or at a literal: it lives as
	 * long as the process, and a copied cfg_t shares it. */
	const char *primary;
	/* --restore FILE: restore the backup into data_dir and exit
	 * (CFG_RESTORE). */
	char restore[CFG_PATH_MAX];
	int data_dir_set;              /* --data-dir or CLUSTERD_DATA_DIR */
} cfg_t;

/* What main should do after cfg_load. */
typedef enum cfg_action {
	CFG_RUN = 0,
	CFG_HELP,
	CFG_VERSION,
	CFG_HASH_TOKEN,   /* print the SHA-256 of the token on stdin */
	CFG_RESTORE,      /* restore cfg.restore into cfg.data_dir, exit */
} cfg_action;

/* Fills cfg from defaults, environment and argv (argv[0] is skipped). On a
 * bad flag or value returns CD_EINVAL with a one-line message in err.
 * Also refused: a listen address other than loopback while TLS or
 * authentication is not configured, unless insecure (cfg_exposed). */
int cfg_load(cfg_t *cfg, int argc, char **argv, cfg_action *action,
             char *err, size_t errlen);

/* 1 when host:port names a loopback host only: 127.0.0.0/8, ::1,
 * localhost. The wildcard, an empty host and any other name are not. */
int cfg_listen_is_loopback(const char *listen);

/* What an insecure exposure lacks, for the refusal and the warning:
 * "TLS and authentication", "TLS", "authentication", or NULL when the
 * listen address is loopback or both are configured. */
const char *cfg_exposed(const cfg_t *cfg);

/* Splits "host:port" ("[::1]:9090" for IPv6) into host (brackets off)
 * and port 0..65535. -1 when it is not that: no colon, an empty host, an
 * IPv6 address without brackets, a port that is not a number in range. */
int cfg_split_hostport(const char *addr, char *host, size_t cap,
                       unsigned *port);

/* The defaults alone; threads = online cores. */
void cfg_defaults(cfg_t *cfg);

void cfg_usage(FILE *out);

#endif
