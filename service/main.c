/* clusterd: parse the configuration, run the server until SIGTERM/SIGINT,
 * shut down gracefully. Everything else lives in srv.c. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cd_error.h"
#include "cfg.h"
#include "log.h"
#include "rpc_auth.h"
#include "rpc_info.h"
#include "rpc_tls.h"
#include "srv.h"
#include "srv_restore.h"

#ifndef CLUSTERD_VERSION
#define CLUSTERD_VERSION "0.0.0"
#endif

/* --hash-token: the token on stdin (one line; its newline is not part of
 * it) to the hash the tokens file wants. The token is never an argument,
 * which ps and shell histories would show. */
static int hash_token(void)
{
	char tok[RPC_AUTH_TOKEN_MAX + 2], hex[2 * RPC_AUTH_HASH_LEN + 1];
	size_t n = fread(tok, 1, sizeof(tok), stdin);
	if (n && tok[n - 1] == '\n')
		n--;
	if (n && tok[n - 1] == '\r')
		n--;
	if (n == 0 || n > RPC_AUTH_TOKEN_MAX) {
		fprintf(stderr, "clusterd: --hash-token: want one token of 1.."
		        "%d bytes on stdin\n", RPC_AUTH_TOKEN_MAX);
		return 2;
	}
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)tok[i] <= ' ' || tok[i] == 0x7f) {
			fprintf(stderr, "clusterd: --hash-token: the token "
			        "holds a space or control character\n");
			return 2;
		}
	}
	int rc = rpc_auth_hash_hex(tok, n, hex);
	memset(tok, 0, sizeof(tok));
	if (rc != CD_OK) {
		fprintf(stderr, "clusterd: --hash-token: SHA-256 failed\n");
		return 1;
	}
	printf("%s\n", hex);
	return 0;
}

int main(int argc, char **argv)
{
	cfg_t cfg;
	cfg_action action;
	char err[512];

	if (cfg_load(&cfg, argc, argv, &action, err, sizeof(err)) != CD_OK) {
		fprintf(stderr, "clusterd: %s\n", err);
		return 2;
	}
	if (action == CFG_HELP) {
		cfg_usage(stdout);
		return 0;
	}
	if (action == CFG_VERSION) {
		rpc_info_print(stdout);
		return 0;
	}
	if (action == CFG_HASH_TOKEN)
		return hash_token();
	if (action == CFG_RESTORE) {
		int st = srv_restore(cfg.restore, cfg.data_dir, stdout, err,
		                     sizeof(err));
		if (st)
			fprintf(stderr, "clusterd: %s\n", err);
		return st;
	}
	/* Unusable TLS files are a configuration error like a bad flag:
	 * one line, status 2, before anything starts; so are a tokens file
	 * that cannot be used and an exposed address (srv_check_config). */
	rpc_tls_opts_t to = {cfg.tls_cert, cfg.tls_key, cfg.tls_client_ca};
	if (rpc_tls_check(&to, err, sizeof(err)) != CD_OK ||
	    srv_check_config(&cfg, err, sizeof(err)) != CD_OK) {
		fprintf(stderr, "clusterd: %s\n", err);
		return 2;
	}
	log_setup(cfg.log_level, cfg.log_format, STDERR_FILENO);

	/* Blocked before any thread exists, so every thread inherits the mask
	 * and the signals are read from the signalfd only. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);   /* reload credentials (srv_reload) */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Under a file size limit (ulimit -f) a write past it then fails
	 * with EFBIG, which the store reports as a full disk, instead of
	 * killing the server. */
	signal(SIGXFSZ, SIG_IGN);
	int sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sigfd < 0) {
		perror("clusterd: signalfd");
		return 1;
	}

	srv_t *s;
	if (srv_create(&s, &cfg, err, sizeof(err)) != CD_OK) {
		fprintf(stderr, "clusterd: %s\n", err);
		close(sigfd);
		return 1;
	}
	fprintf(stderr, "clusterd: listening on %s\n", srv_address(s));

	int sig = srv_wait(s, sigfd);
	log_msg(LOG_INFO, "received %s", sig == SIGINT ? "SIGINT"
	                                : sig == SIGTERM ? "SIGTERM" : "stop");
	srv_shutdown(s);
	srv_destroy(s);
	close(sigfd);
	return 0;
}
