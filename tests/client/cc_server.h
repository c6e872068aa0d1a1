/*
 * cc_server — test helper: runs the real clusterd on an ephemeral port with
 * a temporary data directory, and removes the directory afterwards.
 *
 * grpc core must not see a fork after grpc_init: call cc_server_start
 * before the test process opens any client.
 *
 * Thread-safety: one thread; a test starts and stops its own server.
 */
#ifndef CC_SERVER_H
#define CC_SERVER_H

#include <sys/types.h>

typedef struct cc_server {
	pid_t pid;
	char dir[64];    /* temporary directory: data/ and clusterd.log */
	char addr[64];   /* "127.0.0.1:PORT" */
} cc_server_t;

/* Starts binary with --listen 127.0.0.1:0 --data-dir DIR/data plus extra
 * (NULL-terminated, may be NULL) and waits for its "listening on" line.
 * Returns 0 or -1 with err set. */
int cc_server_start(cc_server_t *s, const char *binary,
                    const char *const *extra, char *err, size_t errlen);

/* SIGTERM, wait, remove the directory. Returns the exit status of the
 * server (0 for a clean shutdown) or -1 when it died of a signal. */
int cc_server_stop(cc_server_t *s);

/* Runs argv with stdout and stderr captured into new malloc'd strings;
 * returns the exit status (-1 if it did not exit normally). */
int cc_run(char *const *argv, char **out, char **errout);

#endif
