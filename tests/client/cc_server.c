/* Spawning clusterd and clusterctl for the integration tests. */
#define _XOPEN_SOURCE 700
#include "cc_server.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *cc_slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	size_t r;
	while (buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (n + 1 == cap) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb)
				free(buf);
			buf = nb;
		}
	}
	fclose(f);
	if (buf)
		buf[n] = '\0';
	return buf;
}

static void cc_nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

int cc_server_start(cc_server_t *s, const char *binary,
                    const char *const *extra, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "/tmp/clusterd-test-XXXXXX");
	if (!mkdtemp(s->dir)) {
		snprintf(err, errlen, "mkdtemp: %s", strerror(errno));
		return -1;
	}
	char data[128], log[128];
	snprintf(data, sizeof(data), "%s/data", s->dir);
	snprintf(log, sizeof(log), "%s/clusterd.log", s->dir);
	const char *argv[32] = { binary, "--listen", "127.0.0.1:0",
	                         "--data-dir", data };
	int argc = 5;
	for (int i = 0; extra && extra[i] && argc < 31; i++)
		argv[argc++] = extra[i];
	argv[argc] = NULL;
	/* A file, not a pipe: the server's log lines must never block it. */
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", log, strerror(errno));
		return -1;
	}
	s->pid = fork();
	if (s->pid == 0) {
		/* A test that aborts (a failed check, a sanitizer report) takes
		 * its server along: an orphan would hold ctest's output pipe
		 * open until the test's time-out. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(fd, STDERR_FILENO);
		close(fd);
		execv(binary, (char *const *)argv);
		_exit(127);
	}
	close(fd);
	if (s->pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	/* Wait for the line that names the bound port (or for an exit). */
	for (int tries = 0; tries < 3000; tries++) {
		char *text = cc_slurp(log);
		const char *p = text ? strstr(text, "clusterd: listening on ")
		                     : NULL;
		if (p) {
			p += strlen("clusterd: listening on ");
			size_t len = strcspn(p, "\r\n");
			if (p[len] == '\n' && len < sizeof(s->addr)) {
				memcpy(s->addr, p, len);
				s->addr[len] = '\0';
				free(text);
				return 0;
			}
		}
		free(text);
		int status;
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			snprintf(err, errlen, "clusterd exited before listening; "
			         "see %s", log);
			s->pid = 0;
			return -1;
		}
		cc_nap_ms(10);
	}
	snprintf(err, errlen, "clusterd did not report its port; see %s",
	         log);
	return -1;
}

static int cc_rm(const char *path, const struct stat *sb, int flag,
                 struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int cc_server_stop(cc_server_t *s)
{
	int rc = -1;
	if (s->pid > 0) {
		int status;
		kill(s->pid, SIGTERM);
		if (waitpid(s->pid, &status, 0) == s->pid && WIFEXITED(status))
			rc = WEXITSTATUS(status);
		s->pid = 0;
	}
	if (rc != 0 && s->dir[0]) {
		/* Show why, before the log goes away. */
		char log[128];
		snprintf(log, sizeof(log), "%s/clusterd.log", s->dir);
		char *text = cc_slurp(log);
		if (text)
			fprintf(stderr, "--- clusterd log ---\n%s\n", text);
		free(text);
	}
	if (s->dir[0])
		nftw(s->dir, cc_rm, 16, FTW_DEPTH | FTW_PHYS);
	s->dir[0] = '\0';
	return rc;
}

int cc_run(char *const *argv, char **out, char **errout)
{
	char dir[] = "/tmp/cc-run-XXXXXX";
	if (!mkdtemp(dir))
		return -1;
	char po[64], pe[64];
	snprintf(po, sizeof(po), "%s/out", dir);
	snprintf(pe, sizeof(pe), "%s/err", dir);
	pid_t pid = fork();
	if (pid == 0) {
		int fo = open(po, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int fe = open(pe, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int fi = open("/dev/null", O_RDONLY);
		if (fo < 0 || fe < 0 || fi < 0)
			_exit(126);
		dup2(fo, STDOUT_FILENO);
		dup2(fe, STDERR_FILENO);
		dup2(fi, STDIN_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	int status = 0, rc = -1;
	if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status))
		rc = WEXITSTATUS(status);
	*out = cc_slurp(po);
	*errout = cc_slurp(pe);
	unlink(po);
	unlink(pe);
	rmdir(dir);
	return rc;
}
