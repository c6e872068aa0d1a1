/* plugin_wire: frames with payloads and descriptors over a socketpair, and
 * every way a receive can fail (deadline, stop, a peer that closes, a frame
 * beyond the limit) without leaking a descriptor; the bounded reader on
 * short and malformed input; the run notes of a result, both ways. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "cd_error.h"
#include "plugin_internal.h"
#include "plugin_wire_internal.h"

#define MAX (1u << 20)

static void pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
	                 0);
}

static void write_all(int fd, const void *p, size_t len)
{
	assert_int_equal(write(fd, p, len), (ssize_t)len);
}

static int is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

/* The descriptor numbers the kernel will hand out next (lowest free
 * first): where received descriptors land. */
static void next_free(int *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		out[i] = dup(0);
		assert_true(out[i] >= 0);
	}
	for (size_t i = 0; i < n; i++)
		close(out[i]);
}

/* A pipe whose write end travels; once every copy of the write end is
 * closed, the read end sees end of file. */
typedef struct probe_pipe {
	int r, w;
} probe_pipe_t;

static probe_pipe_t probe_pipe(void)
{
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	return (probe_pipe_t){ p[0], p[1] };
}

/* 1 when no copy of pp's write end is open any more. */
static int write_end_gone(probe_pipe_t pp)
{
	char c;
	ssize_t n = read(pp.r, &c, 1);
	if (n == 0)
		return 1;
	assert_true(n < 0 && errno == EAGAIN);
	return 0;
}

/* Sends a header (type, len) with descriptors attached, by hand. */
static void send_header(int sock, uint32_t type, uint32_t len,
                        const int *fds, size_t nfds)
{
	uint32_t hdr[2] = { type, len };
	struct iovec iov = { .iov_base = hdr, .iov_len = sizeof(hdr) };
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} ctl;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (nfds) {
		assert_true(nfds <= 8);
		memset(&ctl, 0, sizeof(ctl));
		m.msg_control = ctl.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	assert_int_equal(sendmsg(sock, &m, 0), (ssize_t)sizeof(hdr));
}

typedef struct rx {
	int rc, eof;
	uint32_t type;
	uint8_t *p;
	size_t len, nfds;
	int fds[PW_MAX_FDS];
} rx_t;

static int recv_frame(int sock, int64_t deadline, int stop, size_t max,
                      rx_t *x)
{
	memset(x, 0, sizeof(*x));
	for (size_t i = 0; i < PW_MAX_FDS; i++)
		x->fds[i] = -1;
	x->rc = pw_recv(sock, deadline, stop, max, &x->type, &x->p, &x->len,
	                x->fds, &x->nfds, &x->eof);
	return x->rc;
}

/* ------------------------------------------------------------ round trip */

static void test_round_trip(void **st)
{
	(void)st;
	int sv[2];
	pair(sv);
	pw_buf_t b = {0};
	pw_buf_u32(&b, 0xDEADBEEF);
	pw_buf_u64(&b, 0x0123456789ABCDEFull);
	pw_buf_f64(&b, -2.5);
	pw_buf_str(&b, "hello");
	pw_buf_str(&b, NULL);   /* written as "" */
	pw_buf_bytes(&b, "\x01\x02\x03", 3);
	assert_false(b.oom);
	assert_int_equal(pw_send(sv[0], 42, b.p, b.len, NULL, 0), CD_OK);
	/* A frame without payload right behind it. */
	assert_int_equal(pw_send(sv[0], 7, NULL, 0, NULL, 0), CD_OK);

	rx_t x;
	assert_int_equal(recv_frame(sv[1], 0, -1, MAX, &x), CD_OK);
	assert_int_equal(x.type, 42);
	assert_int_equal(x.len, b.len);
	assert_int_equal(x.nfds, 0);
	assert_memory_equal(x.p, b.p, b.len);
	pw_rd_t r = { .p = x.p, .len = x.len };
	assert_int_equal(pw_rd_u32(&r), 0xDEADBEEF);
	assert_true(pw_rd_u64(&r) == 0x0123456789ABCDEFull);
	assert_true(pw_rd_f64(&r) == -2.5);
	char *s = pw_rd_str(&r, 5);
	assert_string_equal(s, "hello");
	free(s);
	s = pw_rd_str(&r, 0);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
	const uint8_t *by = pw_rd_bytes(&r, 3);
	assert_non_null(by);
	assert_memory_equal(by, "\x01\x02\x03", 3);
	assert_false(r.bad);
	assert_int_equal(r.pos, r.len);
	free(x.p);

	assert_int_equal(recv_frame(sv[1], pw_now_ms() + 5000, -1, MAX, &x),
	                 CD_OK);
	assert_int_equal(x.type, 7);
	assert_null(x.p);
	assert_int_equal(x.len, 0);
	pw_buf_free(&b);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
	close(sv[0]);
	close(sv[1]);
}

/* One and two descriptors ride on a frame and arrive working and
 * close-on-exec; the payload is intact. */
/* reserve makes room once; writes after it do not move the buffer; a
 * reservation that cannot be had marks the buffer oom, and it stays so. */
static void test_buf_reserve(void **st)
{
	(void)st;
	pw_buf_t b = {0};
	pw_buf_u32(&b, 7);
	pw_buf_reserve(&b, 100000);
	assert_false(b.oom);
	assert_true(b.cap - b.len >= 100000);
	const uint8_t *p = b.p;
	for (int i = 0; i < 25000; i++)
		pw_buf_u32(&b, (uint32_t)i);
	assert_ptr_equal(b.p, p);
	assert_int_equal(b.len, 4 + 100000);
	pw_buf_reserve(&b, 0);   /* already there: nothing changes */
	assert_ptr_equal(b.p, p);
#if !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
	/* (A sanitizer's allocator aborts on such a size instead of
	 * failing; the plain and valgrind builds check this.) */
	pw_buf_reserve(&b, SIZE_MAX / 2);
	assert_true(b.oom);
	pw_buf_u32(&b, 1);
	assert_int_equal(b.len, 4 + 100000);
#endif
	pw_buf_free(&b);
}

static void test_fds(void **st)
{
	(void)st;
	int sv[2];
	pair(sv);
	for (size_t nfds = 1; nfds <= 2; nfds++) {
		probe_pipe_t pp[2] = { probe_pipe(), probe_pipe() };
		int send_fds[2] = { pp[0].w, pp[1].w };
		assert_int_equal(pw_send(sv[0], 5, "abc", 3, send_fds, nfds), CD_OK);
		for (size_t i = 0; i < nfds; i++)
			close(pp[i].w);
		rx_t x;
		assert_int_equal(recv_frame(sv[1], 0, -1, MAX, &x), CD_OK);
		assert_int_equal(x.type, 5);
		assert_int_equal(x.len, 3);
		assert_memory_equal(x.p, "abc", 3);
		assert_int_equal(x.nfds, nfds);
		for (size_t i = 0; i < nfds; i++) {
			int fl = fcntl(x.fds[i], F_GETFD);
			assert_true(fl >= 0 && (fl & FD_CLOEXEC));
			/* It is the pipe that was sent. */
			char c = (char)('0' + i);
			assert_int_equal(write(x.fds[i], &c, 1), 1);
			char got = 0;
			assert_int_equal(read(pp[i].r, &got, 1), 1);
			assert_int_equal(got, c);
			assert_false(write_end_gone(pp[i]));
			close(x.fds[i]);
			assert_true(write_end_gone(pp[i]));
		}
		free(x.p);
		for (size_t i = 0; i < 2; i++) {
			close(pp[i].r);
			if (i >= nfds)
				close(pp[i].w);
		}
	}
	/* Descriptors with an empty payload. */
	probe_pipe_t pp = probe_pipe();
	assert_int_equal(pw_send(sv[0], 9, NULL, 0, &pp.w, 1), CD_OK);
	close(pp.w);
	rx_t x;
	assert_int_equal(recv_frame(sv[1], 0, -1, MAX, &x), CD_OK);
	assert_int_equal(x.nfds, 1);
	assert_null(x.p);
	close(x.fds[0]);
	assert_true(write_end_gone(pp));
	close(pp.r);
	/* fds == NULL: the receiver wants none; they are closed. */
	pp = probe_pipe();
	assert_int_equal(pw_send(sv[0], 9, "z", 1, &pp.w, 1), CD_OK);
	close(pp.w);
	uint32_t type;
	uint8_t *p;
	size_t len;
	int eof;
	assert_int_equal(pw_recv(sv[1], 0, -1, MAX, &type, &p, &len, NULL,
	                         NULL, &eof), CD_OK);
	assert_int_equal(len, 1);
	free(p);
	assert_true(write_end_gone(pp));
	close(pp.r);
	close(sv[0]);
	close(sv[1]);
}

typedef struct big {
	int sock;
	uint8_t *p;
	size_t len;
	int rc;
} big_t;

static void *send_big(void *arg)
{
	big_t *b = arg;
	b->rc = pw_send(b->sock, 3, b->p, b->len, NULL, 0);
	return NULL;
}

/* Several MB: far beyond the socket buffer, so the sender blocks until
 * the receiver has read; partial sends and reads resume correctly. */
static void test_large_payload(void **st)
{
	(void)st;
	int sv[2];
	pair(sv);
	big_t b = { .sock = sv[0], .len = (6u << 20) + 13 };
	b.p = malloc(b.len);
	assert_non_null(b.p);
	for (size_t i = 0; i < b.len; i++)
		b.p[i] = (uint8_t)(i * 2654435761u >> 24);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, send_big, &b), 0);
	rx_t x;
	int rc = recv_frame(sv[1], pw_now_ms() + 60000, -1, 8u << 20, &x);
	pthread_join(t, NULL);
	assert_int_equal(rc, CD_OK);
	assert_int_equal(b.rc, CD_OK);
	assert_int_equal(x.type, 3);
	assert_int_equal(x.len, b.len);
	assert_memory_equal(x.p, b.p, b.len);
	free(x.p);
	free(b.p);
	close(sv[0]);
	close(sv[1]);
}

typedef struct later {
	int sock;
	const void *p;
	size_t len;
	unsigned delay_ms;
} later_t;

static void *write_later(void *arg)
{
	later_t *l = arg;
	struct timespec ts = { l->delay_ms / 1000,
	                       (long)(l->delay_ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
	if (write(l->sock, l->p, l->len) != (ssize_t)l->len)
		abort();
	return NULL;
}

/* A header that arrives in pieces (with the descriptor on the first). */
static void test_split_header(void **st)
{
	(void)st;
	int sv[2];
	pair(sv);
	uint8_t frame[8 + 4];
	uint32_t hdr[2] = { 11, 4 };
	memcpy(frame, hdr, 8);
	memcpy(frame + 8, "wxyz", 4);
	probe_pipe_t pp = probe_pipe();
	/* The first 3 bytes carry the descriptor. */
	struct iovec iov = { .iov_base = frame, .iov_len = 3 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
	                    .msg_control = ctl.buf,
	                    .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &pp.w, sizeof(int));
	assert_int_equal(sendmsg(sv[0], &m, 0), 3);
	close(pp.w);
	later_t l = { sv[0], frame + 3, sizeof(frame) - 3, 50 };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, write_later, &l), 0);
	rx_t x;
	int rc = recv_frame(sv[1], pw_now_ms() + 10000, -1, MAX, &x);
	pthread_join(t, NULL);
	assert_int_equal(rc, CD_OK);
	assert_int_equal(x.type, 11);
	assert_int_equal(x.len, 4);
	assert_memory_equal(x.p, "wxyz", 4);
	assert_int_equal(x.nfds, 1);
	close(x.fds[0]);
	assert_true(write_end_gone(pp));
	free(x.p);
	close(pp.r);
	close(sv[0]);
	close(sv[1]);
}

/* ------------------------------------------------------------- failures */

static void test_deadline(void **st)
{
	(void)st;
	int sv[2];
	pair(sv);
	/* Nothing comes. */
	int64_t t0 = pw_now_ms();
	rx_t x;
	assert_int_equal(recv_frame(sv[1], t0 + 150, -1, MAX, &x), CD_EDEADLINE);
	int64_t took = pw_now_ms() - t0;
	assert_true(took >= 140 && took < 5000);
	assert_null(x.p);
	assert_int_equal(x.nfds, 0);
	assert_int_equal(x.eof, 0);
	/* A deadline already past fails at once, even with data waiting. */
	assert_int_equal(pw_send(sv[0], 1, "a", 1, NULL, 0), CD_OK);
	assert_int_equal(recv_frame(sv[1], pw_now_ms() - 1, -1, MAX, &x),
	                 CD_EDEADLINE);
	close(sv[0]);
	close(sv[1]);

	/* The header came (with a descriptor), the payload does not: the
	 * deadline applies to the rest of the frame and the descriptor is
	 * closed. */
	pair(sv);
	probe_pipe_t pp = probe_pipe();
	send_header(sv[0], 2, 100, &pp.w, 1);
	close(pp.w);
	write_all(sv[0], "0123456789", 10);
	int nf[1];
	next_free(nf, 1);
	t0 = pw_now_ms();
	assert_int_equal(recv_frame(sv[1], t0 + 150, -1, MAX, &x), CD_EDEADLINE);
	assert_true(pw_now_ms() - t0 >= 140);
	assert_null(x.p);
	assert_int_equal(x.len, 0);
	assert_int_equal(x.nfds, 0);
	assert_false(is_open(nf[0]));
	assert_true(write_end_gone(pp));
	close(pp.r);
	close(sv[0]);
	close(sv[1]);
}

static void test_stop(void **st)
{
	(void)st;
	int sv[2];
	pair(sv);
	int stop = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(stop >= 0);
	rx_t x;
	/* Not readable yet: the deadline still rules. */
	assert_int_equal(recv_frame(sv[1], pw_now_ms() + 50, stop, MAX, &x),
	                 CD_EDEADLINE);
	assert_int_equal(eventfd_write(stop, 1), 0);
	/* Readable: at once, without a deadline. */
	int64_t t0 = pw_now_ms();
	assert_int_equal(recv_frame(sv[1], 0, stop, MAX, &x), CD_EUNAVAIL);
	assert_true(pw_now_ms() - t0 < 2000);
	assert_null(x.p);
	/* Stopping wins over a frame that is waiting. */
	assert_int_equal(pw_send(sv[0], 1, "a", 1, NULL, 0), CD_OK);
	assert_int_equal(recv_frame(sv[1], 0, stop, MAX, &x), CD_EUNAVAIL);
	close(sv[0]);
	close(sv[1]);

	/* Mid-frame: the descriptor that came with the header is closed. */
	pair(sv);
	int stop2 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	probe_pipe_t pp = probe_pipe();
	send_header(sv[0], 2, 64, &pp.w, 1);
	close(pp.w);
	write_all(sv[0], "partial", 7);
	pthread_t t;
	static const uint64_t one = 1;
	later_t l = { stop2, &one, sizeof(one), 100 };
	assert_int_equal(pthread_create(&t, NULL, write_later, &l), 0);
	int nf[1];
	next_free(nf, 1);
	int rc = recv_frame(sv[1], pw_now_ms() + 30000, stop2, MAX, &x);
	pthread_join(t, NULL);
	assert_int_equal(rc, CD_EUNAVAIL);
	assert_int_equal(x.nfds, 0);
	assert_null(x.p);
	assert_false(is_open(nf[0]));
	assert_true(write_end_gone(pp));
	close(pp.r);
	close(stop);
	close(stop2);
	close(sv[0]);
	close(sv[1]);
}

static void test_peer_closed(void **st)
{
	(void)st;
	int sv[2];
	rx_t x;
	/* At a frame boundary: a clean end. */
	pair(sv);
	assert_int_equal(pw_send(sv[0], 4, "last", 4, NULL, 0), CD_OK);
	close(sv[0]);
	assert_int_equal(recv_frame(sv[1], 0, -1, MAX, &x), CD_OK);
	assert_int_equal(x.type, 4);
	free(x.p);
	assert_int_equal(recv_frame(sv[1], 0, -1, MAX, &x), CD_EIO);
	assert_int_equal(x.eof, 1);
	assert_null(x.p);
	close(sv[1]);

	/* Mid-header. */
	pair(sv);
	write_all(sv[0], "\x04\x00\x00", 3);
	close(sv[0]);
	x.eof = 7;
	assert_int_equal(recv_frame(sv[1], 0, -1, MAX, &x), CD_EIO);
	assert_int_equal(x.eof, 0);
	close(sv[1]);

	/* Mid-payload, with a descriptor on the header: closed. */
	pair(sv);
	probe_pipe_t pp = probe_pipe();
	send_header(sv[0], 4, 100, &pp.w, 1);
	close(pp.w);
	write_all(sv[0], "only ten b", 10);
	close(sv[0]);
	int nf[1];
	next_free(nf, 1);
	assert_int_equal(recv_frame(sv[1], pw_now_ms() + 10000, -1, MAX, &x),
	                 CD_EIO);
	assert_int_equal(x.eof, 0);
	assert_null(x.p);
	assert_int_equal(x.len, 0);
	assert_int_equal(x.nfds, 0);
	assert_false(is_open(nf[0]));
	assert_true(write_end_gone(pp));
	close(pp.r);
	close(sv[1]);

	/* Sending to a closed peer fails, without SIGPIPE. */
	pair(sv);
	close(sv[1]);
	assert_int_equal(pw_send(sv[0], 1, "x", 1, NULL, 0), CD_EIO);
	close(sv[0]);

	/* Receiving on something that is not a socket. */
	int p[2];
	assert_int_equal(pipe(p), 0);
	write_all(p[1], "12345678", 8);
	assert_int_equal(recv_frame(p[0], pw_now_ms() + 1000, -1, MAX, &x),
	                 CD_EIO);
	close(p[0]);
	close(p[1]);
}

/* A frame longer than max: CD_ELIMIT, nothing allocated, descriptors
 * closed. Exactly max is fine. */
static void test_too_long(void **st)
{
	(void)st;
	int sv[2];
	pair(sv);
	rx_t x;
	assert_int_equal(pw_send(sv[0], 1, "12345678", 8, NULL, 0), CD_OK);
	assert_int_equal(recv_frame(sv[1], 0, -1, 8, &x), CD_OK);
	assert_int_equal(x.len, 8);
	free(x.p);

	probe_pipe_t pp[2] = { probe_pipe(), probe_pipe() };
	int fds[2] = { pp[0].w, pp[1].w };
	assert_int_equal(pw_send(sv[0], 1, "123456789", 9, fds, 2), CD_OK);
	close(pp[0].w);
	close(pp[1].w);
	int nf[2];
	next_free(nf, 2);
	assert_int_equal(recv_frame(sv[1], 0, -1, 8, &x), CD_ELIMIT);
	assert_null(x.p);
	assert_int_equal(x.len, 0);
	assert_int_equal(x.nfds, 0);
	for (int i = 0; i < 2; i++) {
		assert_false(is_open(nf[i]));
		assert_true(write_end_gone(pp[i]));
		close(pp[i].r);
	}
	close(sv[0]);
	close(sv[1]);
	/* A header claiming 4 GiB is refused before any allocation. */
	pair(sv);
	send_header(sv[0], 1, UINT32_MAX, NULL, 0);
	assert_int_equal(recv_frame(sv[1], 0, -1, MAX, &x), CD_ELIMIT);
	assert_null(x.p);
	close(sv[0]);
	close(sv[1]);
}

/* More descriptors than PW_MAX_FDS on one frame: the first PW_MAX_FDS
 * arrive, the others are closed (none left open in the receiver). */
static void test_too_many_fds(void **st)
{
	(void)st;
	int sv[2];
	pair(sv);
	enum { N = PW_MAX_FDS + 2 };
	probe_pipe_t pp[N];
	int fds[N];
	/* pw_send refuses them outright. */
	for (int i = 0; i < N; i++) {
		pp[i] = probe_pipe();
		fds[i] = pp[i].w;
	}
	assert_int_not_equal(pw_send(sv[0], 1, NULL, 0, fds, N), CD_OK);
	/* Sent by hand, a frame without payload. */
	send_header(sv[0], 1, 0, fds, N);
	for (int i = 0; i < N; i++)
		close(pp[i].w);
	rx_t x;
	assert_int_equal(recv_frame(sv[1], 0, -1, MAX, &x), CD_OK);
	assert_int_equal(x.nfds, PW_MAX_FDS);
	for (int i = 0; i < N; i++)
		assert_int_equal(write_end_gone(pp[i]), i >= PW_MAX_FDS);
	for (int i = 0; i < PW_MAX_FDS; i++) {
		assert_true(is_open(x.fds[i]));
		close(x.fds[i]);
		assert_true(write_end_gone(pp[i]));
	}
	for (int i = 0; i < N; i++)
		close(pp[i].r);

	/* And with a receiver that takes none. */
	for (int i = 0; i < N; i++) {
		pp[i] = probe_pipe();
		fds[i] = pp[i].w;
	}
	send_header(sv[0], 1, 0, fds, N);
	for (int i = 0; i < N; i++)
		close(pp[i].w);
	uint32_t type;
	uint8_t *p;
	size_t len;
	int eof;
	assert_int_equal(pw_recv(sv[1], 0, -1, MAX, &type, &p, &len, NULL,
	                         NULL, &eof), CD_OK);
	for (int i = 0; i < N; i++) {
		assert_true(write_end_gone(pp[i]));
		close(pp[i].r);
	}
	close(sv[0]);
	close(sv[1]);
}

/* ---------------------------------------------------------------- reader */

/* A page followed by an inaccessible one: bytes placed at the end of the
 * first page fault on any read past them. */
static uint8_t *guarded;
static long pagesz;

static int setup_guard(void **st)
{
	(void)st;
	pagesz = sysconf(_SC_PAGESIZE);
	guarded = mmap(NULL, (size_t)pagesz * 2, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(guarded != MAP_FAILED);
	assert_int_equal(mprotect(guarded + pagesz, (size_t)pagesz, PROT_NONE),
	                 0);
	return 0;
}

static int teardown_guard(void **st)
{
	(void)st;
	munmap(guarded, (size_t)pagesz * 2);
	return 0;
}

/* Copies len bytes to the end of the guarded page. */
static pw_rd_t at_edge(const void *p, size_t len)
{
	assert_true(len <= (size_t)pagesz);
	uint8_t *dst = guarded + pagesz - len;
	if (len)
		memcpy(dst, p, len);
	return (pw_rd_t){ .p = dst, .len = len };
}

/* Every prefix of a message: short ones are flagged bad, with zeros and
 * NULLs, and never read past the end. */
static void test_reader_truncated(void **st)
{
	(void)st;
	pw_buf_t b = {0};
	pw_buf_u32(&b, 77);
	pw_buf_u64(&b, 1ull << 40);
	pw_buf_f64(&b, 3.25);
	pw_buf_str(&b, "name");
	pw_buf_bytes(&b, "\xAA\xBB", 2);
	assert_false(b.oom);
	for (size_t cut = 0; cut <= b.len; cut++) {
		pw_rd_t r = at_edge(b.p, cut);
		uint32_t a = pw_rd_u32(&r);
		uint64_t c = pw_rd_u64(&r);
		double d = pw_rd_f64(&r);
		char *s = pw_rd_str(&r, 64);
		const uint8_t *e = pw_rd_bytes(&r, 2);
		assert_true(r.pos <= r.len);
		if (cut == b.len) {
			assert_false(r.bad);
			assert_int_equal(a, 77);
			assert_true(c == 1ull << 40);
			assert_true(d == 3.25);
			assert_string_equal(s, "name");
			assert_memory_equal(e, "\xAA\xBB", 2);
			assert_int_equal(r.pos, r.len);
		} else {
			assert_true(r.bad);
			assert_null(e);
			if (cut < 4)
				assert_int_equal(a, 0);
			if (cut < 12)
				assert_true(c == 0);
			if (cut < 20)
				assert_true(d == 0);
			if (cut < 28)
				assert_null(s);
		}
		free(s);
	}
	/* Once bad, stays bad: later reads give nothing even when bytes
	 * remain. */
	pw_rd_t r = at_edge(b.p, b.len);
	assert_null(pw_rd_bytes(&r, b.len + 1));
	assert_true(r.bad);
	assert_int_equal(r.pos, 0);
	assert_int_equal(pw_rd_u32(&r), 0);
	assert_null(pw_rd_str(&r, 64));
	assert_int_equal(r.pos, 0);
	/* A length that would wrap around. */
	r = at_edge(b.p, b.len);
	assert_int_equal(pw_rd_u32(&r), 77);
	assert_null(pw_rd_bytes(&r, SIZE_MAX));
	assert_true(r.bad);
	/* Nothing at all. */
	r = at_edge(NULL, 0);
	assert_int_equal(pw_rd_u32(&r), 0);
	assert_true(r.bad);
	r = at_edge(NULL, 0);
	assert_non_null(pw_rd_bytes(&r, 0));
	assert_false(r.bad);
	pw_buf_free(&b);
}

static void test_reader_str(void **st)
{
	(void)st;
	pw_buf_t b = {0};
	pw_rd_t r;
	char *s;
	/* Exactly max is accepted, one more is not. */
	pw_buf_str(&b, "abcdef");
	r = at_edge(b.p, b.len);
	s = pw_rd_str(&r, 6);
	assert_string_equal(s, "abcdef");
	free(s);
	assert_false(r.bad);
	r = at_edge(b.p, b.len);
	assert_null(pw_rd_str(&r, 5));
	assert_true(r.bad);
	pw_buf_free(&b);

	/* An embedded NUL, anywhere. */
	static const char *const nul[] = { "\0bc", "a\0c", "ab\0" };
	for (size_t i = 0; i < 3; i++) {
		pw_buf_u32(&b, 3);
		pw_buf_bytes(&b, nul[i], 3);
		r = at_edge(b.p, b.len);
		assert_null(pw_rd_str(&r, 64));
		assert_true(r.bad);
		pw_buf_free(&b);
	}

	/* A length beyond the payload (however large max is). */
	pw_buf_u32(&b, 5);
	pw_buf_bytes(&b, "abcd", 4);
	r = at_edge(b.p, b.len);
	assert_null(pw_rd_str(&r, 1u << 20));
	assert_true(r.bad);
	pw_buf_free(&b);
	pw_buf_u32(&b, UINT32_MAX);
	r = at_edge(b.p, b.len);
	assert_null(pw_rd_str(&r, SIZE_MAX));
	assert_true(r.bad);
	pw_buf_free(&b);

	/* A bare length prefix cut short. */
	r = at_edge("\x02\x00", 2);
	assert_null(pw_rd_str(&r, 64));
	assert_true(r.bad);
}

/* The writer: a buffer that failed stays failed; free resets it. */
static void test_writer(void **st)
{
	(void)st;
	pw_buf_t b = {0};
	pw_buf_str(&b, "x");
	b.oom = 1;
	size_t len = b.len;
	pw_buf_u32(&b, 1);
	pw_buf_str(&b, "more");
	pw_buf_bytes(&b, "zz", 2);
	assert_int_equal(b.len, len);
	pw_buf_free(&b);
	assert_int_equal(b.oom, 0);
	assert_null(b.p);
	/* Growth across many doublings keeps every byte. */
	for (uint32_t i = 0; i < 100000; i++)
		pw_buf_u32(&b, i);
	assert_false(b.oom);
	assert_int_equal(b.len, 400000);
	pw_rd_t r = { .p = b.p, .len = b.len };
	for (uint32_t i = 0; i < 100000; i++)
		if (pw_rd_u32(&r) != i)
			fail_msg("item %u", i);
	assert_false(r.bad);
	pw_buf_free(&b);
}

/* What pw_rd_notes handed over: copies, and the code to answer with. */
typedef struct kept {
	char key[8][80];
	char value[8][CP_NOTE_MAX];
	size_t n;
	int answer;
} kept_t;

static int keep(void *arg, const char *key, const char *value)
{
	kept_t *k = arg;
	if (k->answer)
		return k->answer;
	assert_true(k->n < 8);
	snprintf(k->key[k->n], sizeof(k->key[0]), "%s", key);
	snprintf(k->value[k->n], sizeof(k->value[0]), "%s", value);
	k->n++;
	return CP_OK;
}

/* As the server keeps them: plugin_host_note's checks. */
static int keep_host(void *arg, const char *key, const char *value)
{
	return plugin_host_note(arg, key, value);
}

/* A result's prefix (here one u32) and its notes section, as the worker
 * writes it. */
static void notes_frame(pw_buf_t *b, const plugin_note_t *v, size_t n)
{
	pw_buf_u32(b, 42);
	pw_buf_notes(b, v, n);
	assert_false(b->oom);
}

static int read_notes(const pw_buf_t *b, size_t cut, kept_t *k)
{
	pw_rd_t r = { .p = b->p, .len = cut };
	assert_int_equal(pw_rd_u32(&r), 42);
	int rc = pw_rd_notes(&r, keep, k);
	assert_true(rc == CD_EINVAL ? r.bad : !r.bad);
	if (!rc)
		assert_int_equal(r.pos, r.len);
	return rc;
}

static void test_notes(void **st)
{
	(void)st;
	static const plugin_note_t v[] = {
		{ "weights", "entropy: x 0.6000, y 0.4000" },
		{ "k.2-b", "caf\xC3\xA9" },
		{ "empty", "" },
	};
	pw_buf_t b = {0};
	kept_t k = {0};
	notes_frame(&b, v, 3);
	assert_int_equal(read_notes(&b, b.len, &k), CD_OK);
	assert_int_equal(k.n, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(k.key[i], v[i].key);
		assert_string_equal(k.value[i], v[i].value);
	}
	/* Every cut inside the section is malformed; a cut where it starts
	 * is a result without notes. */
	for (size_t cut = 4; cut < b.len; cut++) {
		memset(&k, 0, sizeof(k));
		assert_int_equal(read_notes(&b, cut, &k),
		                 cut == 4 ? CD_OK : CD_EINVAL);
		if (cut == 4)
			assert_int_equal(k.n, 0);
	}
	/* Read and dropped when nobody keeps them. */
	pw_rd_t r = { .p = b.p, .len = b.len };
	pw_rd_u32(&r);
	assert_int_equal(pw_rd_notes(&r, NULL, NULL), CD_OK);
	assert_int_equal(r.pos, r.len);
	/* The keeper's refusal is the worker's lie; its lack of memory is
	 * the server's. */
	k = (kept_t){ .answer = CP_EPARAM };
	assert_int_equal(read_notes(&b, b.len, &k), CD_EINVAL);
	k = (kept_t){ .answer = CP_EFAIL };
	assert_int_equal(read_notes(&b, b.len, &k), CD_EINVAL);
	k = (kept_t){ .answer = CP_ENOMEM };
	assert_int_equal(read_notes(&b, b.len, &k), CD_ENOMEM);
	pw_buf_free(&b);

	/* No notes, no section: the answer is as before SDK 2.1. */
	notes_frame(&b, v, 0);
	assert_int_equal(b.len, 4);
	memset(&k, 0, sizeof(k));
	assert_int_equal(read_notes(&b, b.len, &k), CD_OK);
	assert_int_equal(k.n, 0);
	pw_buf_free(&b);

	/* Counts out of range. */
	uint32_t counts[] = { 0, CP_NOTES_MAX + 1, UINT32_MAX };
	for (size_t i = 0; i < 3; i++) {
		pw_buf_u32(&b, 42);
		pw_buf_u32(&b, counts[i]);
		for (uint32_t j = 0; j < CP_NOTES_MAX + 1; j++) {
			char key[16];
			snprintf(key, sizeof(key), "k%u", j);
			pw_buf_str(&b, key);
			pw_buf_str(&b, "v");
		}
		memset(&k, 0, sizeof(k));
		assert_int_equal(read_notes(&b, b.len, &k), CD_EINVAL);
		pw_buf_free(&b);
	}

	/* A key of 64 bytes and a value of CP_NOTE_MAX - 1 pass; one byte
	 * more of either does not. */
	char key[PW_NOTE_KEY_MAX + 2], value[CP_NOTE_MAX + 1];
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	memset(value, 'v', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	for (int more = 0; more < 3; more++) {
		key[PW_NOTE_KEY_MAX] = more == 1 ? 'k' : '\0';
		value[CP_NOTE_MAX - 1] = more == 2 ? 'v' : '\0';
		plugin_note_t one = { key, value };
		notes_frame(&b, &one, 1);
		memset(&k, 0, sizeof(k));
		assert_int_equal(read_notes(&b, b.len, &k),
		                 more ? CD_EINVAL : CD_OK);
		pw_buf_free(&b);
	}

	/* Kept the server's way, a note run_note would refuse is refused. */
	plugin_host_ctx_t ctx = {0};
	const plugin_note_t lies[][1] = { { { "Bad Key", "v" } },
	                                  { { "k", "tab\there" } },
	                                  { { "k", "\xC3" } } };
	for (size_t i = 0; i < 3; i++) {
		notes_frame(&b, lies[i], 1);
		r = (pw_rd_t){ .p = b.p, .len = b.len };
		pw_rd_u32(&r);
		assert_int_equal(pw_rd_notes(&r, keep_host, &ctx), CD_EINVAL);
		assert_true(r.bad);
		pw_buf_free(&b);
	}
	notes_frame(&b, v, 3);
	r = (pw_rd_t){ .p = b.p, .len = b.len };
	pw_rd_u32(&r);
	assert_int_equal(pw_rd_notes(&r, keep_host, &ctx), CD_OK);
	assert_int_equal(ctx.nnotes, 3);
	assert_string_equal(ctx.notes[1].value, "caf\xC3\xA9");
	plugin_host_notes_reset(&ctx);
	pw_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_buf_reserve),
		cmocka_unit_test(test_fds),
		cmocka_unit_test(test_large_payload),
		cmocka_unit_test(test_split_header),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_peer_closed),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_too_many_fds),
		cmocka_unit_test(test_reader_truncated),
		cmocka_unit_test(test_reader_str),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_notes),
	};
	return cmocka_run_group_tests(tests, setup_guard, teardown_guard);
}
