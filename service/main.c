/* clusterd: parse the configuration, run the server until SIGTERM/SIGINT,
 * shut down gracefully. Everything else lives in srv.c. */
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cd_error.h"
#include "cfg.h"
#include "log.h"
#include "rpc_tls.h"
#include "srv.h"

#ifndef CLUSTERD_VERSION
#define CLUSTERD_VERSION "0.0.0"
#endif

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
		printf("clusterd %s\n", CLUSTERD_VERSION);
		return 0;
	}
	/* Unusable TLS files are a configuration error like a bad flag:
	 * one line, status 2, before anything starts. */
	rpc_tls_opts_t to = {cfg.tls_cert, cfg.tls_key, cfg.tls_client_ca};
	if (rpc_tls_check(&to, err, sizeof(err)) != CD_OK) {
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
