/*
 * Deliberately broken plugins, one variant per -DBK_<WHAT> (see
 * CMakeLists.txt next to this file): each misbehaves in one way a plugin
 * running inside the server must not be able to hurt the server with, and
 * the isolation test (tests/service/isolation_test.py) checks that each
 * fails only its own run.
 *
 * Every variant is a quantitative plugin named "bk_<what>", version "1.0",
 * without params. The hooks that misbehave are all in bk_score() and
 * bk_load() below; the rest is a good plugin's descriptor.
 *
 * BK_MARKER_DIR (a path fixed at build time: the plugin runs with an empty
 * environment) is where the variants that write files leave their marker;
 * the test checks that no marker appears.
 *
 * DO NOT load these into a server that runs plugins in its own process:
 * bk_fork is a fork bomb and bk_alloc tries to fill 64 GiB.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clusterplugin.h"

#ifndef BK_NAME
#error "BK_NAME (the plugin name) must be defined"
#endif
#ifndef BK_MARKER_DIR
#define BK_MARKER_DIR "/nonexistent"
#endif

/* An unused port on loopback: bk_socket only needs the connect to be
 * attempted. */
#define BK_PORT 9

#if defined(BK_CTOR) || defined(BK_REFUSED_CTOR) || defined(BK_WRITE)
/* Leaves BK_MARKER_DIR/<file> behind; returns 0 when it could. */
static int bk_marker(const char *file)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", BK_MARKER_DIR, file);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "written by %s (pid %ld)\n", BK_NAME, (long)getpid());
	return fclose(f) == 0 ? 0 : -1;
}
#endif

#if defined(BK_CTOR) || defined(BK_REFUSED_CTOR)
/* Runs at dlopen, before the loader has even looked for the entry
 * function. */
__attribute__((constructor)) static void bk_ctor(void)
{
	(void)bk_marker(BK_NAME);
}
#endif

/* ---- The hooks: everything a variant does wrong is here. ---- */

#if defined(BK_LOADCRASH)
static int bk_load(const cp_host_t *h, char *err, size_t errlen)
{
	(void)h;
	(void)err;
	(void)errlen;
	volatile int *p = NULL;
	*p = 1;  /* SIGSEGV */
	return CP_OK;
}
#endif

static int bk_score(const cp_host_t *h, void *state,
                    const cp_cohort_t *cohort, double *out,
                    const char **reasons, size_t n, char *err,
                    size_t errlen)
{
	(void)h;
	(void)cohort;
	(void)state;
	(void)reasons;
	(void)err;
	(void)errlen;

#if defined(BK_SEGV)
	volatile int *p = NULL;
	*p = 1;
#elif defined(BK_ABORT)
	abort();
#elif defined(BK_OVERRUN)
	/* From a million slots past the end, upwards, for up to 2 GiB: it
	 * meets an unmapped or read-only page long before that. Should it
	 * not, the run succeeds and the test notices. */
	volatile double *o = out;
	for (size_t i = n + 1000000; i < n + 1000000 + ((size_t)1 << 28); i++)
		o[i] = 1.0;
#elif defined(BK_WILDREASON)
	if (n)
		reasons[0] = (const char *)0x10;
	for (size_t i = 0; i < n; i++)
		out[i] = 1.0;
	return CP_OK;
#elif defined(BK_LOOP)
	volatile int spin = 1;
	while (spin)
		;
#elif defined(BK_ALLOC)
	/* No NULL check, on purpose. */
	size_t size = (size_t)64 << 30;
	char *p = malloc(size);
	memset(p, 0x5a, size);
	__asm__ volatile("" : : "r"(p) : "memory");
	free(p);
#elif defined(BK_FORK)
	for (;;)
		fork();
#elif defined(BK_SOCKET)
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return cp_fail(err, errlen, CP_EFAIL, "socket: %s",
		               strerror(errno));
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(BK_PORT);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int rc = connect(fd, (const struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	close(fd);
	/* Reaching here at all is the escape: the run succeeds and says so. */
	for (size_t i = 0; i < n; i++)
		out[i] = 1.0;
	if (n)
		reasons[0] = cp_score_string(h, "opened a TCP socket; connect: %s",
		                             rc == 0 ? "connected" : strerror(e));
	return CP_OK;
#elif defined(BK_WRITE)
	if (bk_marker(BK_NAME) != 0)
		return cp_fail(err, errlen, CP_EFAIL, "cannot write %s/%s: %s",
		               BK_MARKER_DIR, BK_NAME, strerror(errno));
	for (size_t i = 0; i < n; i++)
		out[i] = 1.0;
	if (n)
		reasons[0] = "wrote a file";
	return CP_OK;
#elif defined(BK_SHADOW)
	FILE *f = fopen("/etc/shadow", "r");
	if (!f)
		return cp_fail(err, errlen, CP_EFAIL, "cannot open: %s",
		               strerror(errno));
	char buf[128];
	size_t got = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[got] = '\0';
	for (size_t i = 0; i < n; i++)
		out[i] = 1.0;
	if (n)
		reasons[0] = cp_score_string(h, "%s", buf);
	return CP_OK;
#endif
	/* A good plugin (bk_ctor) and the variants that fall through: one
	 * score per cluster. */
	for (size_t i = 0; i < n; i++)
		out[i] = 1.0;
	return CP_OK;
}

/* ---- The descriptor. ---- */

static const cp_param_spec_t bk_params[] = {
	{ .name = NULL },
};

static const cp_plugin_t bk_desc = {
	CP_PLUGIN_INIT,
	.name = BK_NAME,
	.version = "1.0",
	.kind = CP_QUANTITATIVE,
	.description = "deliberately broken test plugin",
	.params = bk_params,
#if defined(BK_LOADCRASH)
	.load = bk_load,
#endif
	.score = bk_score,
};

#if defined(BK_REFUSED_CTOR)
/* No entry function: the loader refuses the file, but only after dlopen
 * ran the constructor. */
CP_EXPORT const cp_plugin_t *bk_not_an_entry(void);
CP_EXPORT const cp_plugin_t *bk_not_an_entry(void)
{
	return &bk_desc;
}
#else
CP_PLUGIN_DEFINE(bk_desc)
#endif
