/*
 * bench_pingpong — the floor of one plugin worker round trip on this
 * machine: a parent and a child process (fork) exchange a small message
 * over an AF_UNIX socketpair, one in flight, as clusterd and a
 * clusterd-plugin-host worker do per criterion.
 *
 *   bench_pingpong N [BYTES] [fd]
 *       N timed round trips (after N/10 untimed) of BYTES (default 64)
 *       each way; with "fd", every request also passes a memfd with
 *       SCM_RIGHTS, which the child maps, touches and unmaps, as a worker
 *       does with a new cohort segment.
 *
 * Prints p50/p90/p99/mean of the round trip in microseconds.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int send_msg(int s, const char *buf, size_t len, int fd)
{
	struct iovec iov = { (void *)buf, len };
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		m.msg_control = u.b;
		m.msg_controllen = sizeof(u.b);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(s, &m, 0) == (ssize_t)len ? 0 : -1;
}

/* Reads len bytes; the passed descriptor, if any, in *fd. */
static int recv_msg(int s, char *buf, size_t len, int *fd)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	size_t got = 0;
	if (fd)
		*fd = -1;
	while (got < len) {
		struct iovec iov = { buf + got, len - got };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
		                    .msg_control = u.b,
		                    .msg_controllen = sizeof(u.b) };
		ssize_t n = recvmsg(s, &m, MSG_CMSG_CLOEXEC);
		if (n <= 0)
			return -1;
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		if (fd && c && c->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(c), sizeof(int));
		got += (size_t)n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_pingpong N [BYTES] [fd]\n");
		return 2;
	}
	long n = atol(argv[1]);
	size_t bytes = argc > 2 ? strtoul(argv[2], NULL, 10) : 64;
	int pass_fd = argc > 3 && !strcmp(argv[3], "fd");
	if (n < 1 || bytes < 1)
		return 2;
	char *buf = calloc(1, bytes);
	double *lat = malloc((size_t)n * sizeof(*lat));
	int sv[2];
	if (!buf || !lat || socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 1;
	size_t seg = 1u << 16;
	int mfd = -1;
	if (pass_fd) {
		mfd = memfd_create("pingpong", MFD_CLOEXEC);
		if (mfd < 0 || ftruncate(mfd, (off_t)seg))
			return 1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		for (;;) {
			int fd;
			if (recv_msg(sv[1], buf, bytes, &fd))
				_exit(0);
			if (fd >= 0) {
				volatile char *p = mmap(NULL, seg, PROT_READ,
				                        MAP_SHARED, fd, 0);
				if (p != MAP_FAILED) {
					(void)p[0];
					munmap((void *)p, seg);
				}
				close(fd);
			}
			if (send_msg(sv[1], buf, bytes, -1))
				_exit(1);
		}
	}
	close(sv[1]);
	long warm = n / 10;
	for (long i = 0; i < warm + n; i++) {
		double t0 = now_us();
		if (send_msg(sv[0], buf, bytes, mfd) ||
		    recv_msg(sv[0], buf, bytes, NULL))
			return 1;
		if (i >= warm)
			lat[i - warm] = now_us() - t0;
	}
	close(sv[0]);
	waitpid(pid, NULL, 0);
	double sum = 0;
	for (long i = 0; i < n; i++)
		sum += lat[i];
	qsort(lat, (size_t)n, sizeof(*lat), cmp_dbl);
	printf("pingpong: %ld round trips of %zu bytes%s: p50 %.1f us, p90 "
	       "%.1f us, p99 %.1f us, mean %.1f us\n", n, bytes,
	       pass_fd ? " with a memfd passed and mapped" : "",
	       lat[n / 2], lat[n * 9 / 10], lat[n * 99 / 100], sum / (double)n);
	return 0;
}
