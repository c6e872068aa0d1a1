/* plugin_wire.c — frames between clusterd and its plugin workers (see
 * plugin_wire_internal.h). */
#define _GNU_SOURCE
#include "plugin_wire_internal.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cd_error.h"
#include "plugin_instance.h"

#define PW_SPIN_NS 50000

static void put(pw_buf_t *b, const void *p, size_t len)
{
	if (b->oom)
		return;
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + len)
			cap *= 2;
		uint8_t *np = realloc(b->p, cap);
		if (!np) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	if (len)
		memcpy(b->p + b->len, p, len);
	b->len += len;
}

/* The machines clusterd runs on are little-endian; the frames never
 * leave the host, so the native order is the wire order. */
void pw_buf_u32(pw_buf_t *b, uint32_t v)
{
	put(b, &v, sizeof(v));
}

void pw_buf_u64(pw_buf_t *b, uint64_t v)
{
	put(b, &v, sizeof(v));
}

void pw_buf_f64(pw_buf_t *b, double v)
{
	put(b, &v, sizeof(v));
}

void pw_buf_str(pw_buf_t *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n > UINT32_MAX) {
		b->oom = 1;
		return;
	}
	pw_buf_u32(b, (uint32_t)n);
	put(b, s, n);
}

void pw_buf_bytes(pw_buf_t *b, const void *p, size_t len)
{
	put(b, p, len);
}

void pw_buf_reserve(pw_buf_t *b, size_t len)
{
	if (b->oom || b->cap - b->len >= len)
		return;
	uint8_t *np = realloc(b->p, b->len + len);
	if (!np) {
		b->oom = 1;
		return;
	}
	b->p = np;
	b->cap = b->len + len;
}

void pw_buf_free(pw_buf_t *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

const void *pw_rd_bytes(pw_rd_t *r, size_t len)
{
	if (r->bad || len > r->len - r->pos) {
		r->bad = 1;
		return NULL;
	}
	const void *p = r->p + r->pos;
	r->pos += len;
	return p;
}

/* A fixed-size value in place, or zeros past the end. */
static void rd_fixed(pw_rd_t *r, void *v, size_t size)
{
	const void *p = pw_rd_bytes(r, size);
	if (p)
		memcpy(v, p, size);
	else
		memset(v, 0, size);
}

uint32_t pw_rd_u32(pw_rd_t *r)
{
	uint32_t v;
	rd_fixed(r, &v, sizeof(v));
	return v;
}

uint64_t pw_rd_u64(pw_rd_t *r)
{
	uint64_t v;
	rd_fixed(r, &v, sizeof(v));
	return v;
}

double pw_rd_f64(pw_rd_t *r)
{
	double v;
	rd_fixed(r, &v, sizeof(v));
	return v;
}

char *pw_rd_str(pw_rd_t *r, size_t max)
{
	uint32_t n = pw_rd_u32(r);
	if (r->bad || n > max) {
		r->bad = 1;
		return NULL;
	}
	const char *p = pw_rd_bytes(r, n);
	if (!p || memchr(p, '\0', n)) {
		r->bad = 1;
		return NULL;
	}
	char *s = malloc((size_t)n + 1);
	if (!s) {
		r->bad = 1;
		return NULL;
	}
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

void pw_buf_notes(pw_buf_t *b, const plugin_note_t *notes, size_t n)
{
	if (!n)
		return;
	pw_buf_u32(b, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		pw_buf_str(b, notes[i].key);
		pw_buf_str(b, notes[i].value);
	}
}

int pw_rd_notes(pw_rd_t *r,
                int (*keep)(void *arg, const char *key, const char *value),
                void *arg)
{
	if (r->pos >= r->len)
		return CD_OK;
	uint32_t n = pw_rd_u32(r);
	if (r->bad || n < 1 || n > CP_NOTES_MAX) {
		r->bad = 1;
		return CD_EINVAL;
	}
	for (uint32_t i = 0; i < n; i++) {
		char *key = pw_rd_str(r, PW_NOTE_KEY_MAX);
		char *value = key ? pw_rd_str(r, CP_NOTE_MAX - 1) : NULL;
		int rc = value && keep ? keep(arg, key, value) : CP_OK;
		free(key);
		free(value);
		if (rc == CP_ENOMEM)
			return CD_ENOMEM;
		if (!value || rc) {
			r->bad = 1;
			return CD_EINVAL;
		}
	}
	return CD_OK;
}

int64_t pw_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int pw_send(int sock, uint32_t type, const void *payload, size_t len,
            const int *fds, size_t nfds)
{
	if (len > UINT32_MAX || nfds > PW_MAX_FDS)
		return CD_ENOMEM;
	uint32_t hdr[2] = { type, (uint32_t)len };
	struct iovec iov[2] = {
		{ .iov_base = hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = (void *)payload, .iov_len = len },
	};
	union {
		char buf[CMSG_SPACE(sizeof(int) * PW_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
	if (nfds) {
		memset(&ctl, 0, sizeof(ctl));
		m.msg_control = ctl.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	size_t total = sizeof(hdr) + len, sent = 0;
	while (sent < total) {
		ssize_t n = sendmsg(sock, &m, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return CD_EIO;
		}
		sent += (size_t)n;
		/* Descriptors went with the first bytes; skip what was sent. */
		m.msg_control = NULL;
		m.msg_controllen = 0;
		size_t skip = (size_t)n;
		while (skip && m.msg_iovlen) {
			if (skip >= m.msg_iov->iov_len) {
				skip -= m.msg_iov->iov_len;
				m.msg_iov++;
				m.msg_iovlen--;
			} else {
				m.msg_iov->iov_base = (char *)m.msg_iov->iov_base + skip;
				m.msg_iov->iov_len -= skip;
				skip = 0;
			}
		}
	}
	return CD_OK;
}

/* Waits until sock is readable; CD_OK, CD_EDEADLINE or CD_EUNAVAIL (the
 * stop descriptor wins over waiting data; a past deadline fails even with
 * data waiting). The answers to a round come a few microseconds apart, so
 * it looks again for a moment (PW_SPIN_NS) before sleeping: a sleep and a
 * wake-up cost more than the looks (on virtual machines many times
 * more). */
static int wait_readable(int sock, int64_t deadline_ms, int stop_fd,
                         int cancel_fd)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int spinning = 1;
	for (;;) {
		int timeout = -1;
		if (deadline_ms) {
			int64_t left = deadline_ms - pw_now_ms();
			if (left <= 0)
				return CD_EDEADLINE;
			timeout = left > 60000 ? 60000 : (int)left;
		}
		if (spinning) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			spinning = (t.tv_sec - t0.tv_sec) * 1000000000L +
			           t.tv_nsec - t0.tv_nsec < PW_SPIN_NS;
		}
		/* A negative fd is ignored by poll. */
		struct pollfd p[3] = {
			{ .fd = sock, .events = POLLIN },
			{ .fd = stop_fd, .events = POLLIN },
			{ .fd = cancel_fd, .events = POLLIN },
		};
		int n = poll(p, 3, spinning ? 0 : timeout);
		if (n < 0 && errno != EINTR)
			return CD_EIO;
		if (n > 0 && stop_fd >= 0 && p[1].revents)
			return CD_EUNAVAIL;
		if (n > 0 && cancel_fd >= 0 && p[2].revents)
			return CD_ECANCELLED;
		if (n > 0 && p[0].revents)
			return CD_OK;
	}
}

/* Reads exactly len bytes (the rest of a frame). */
static int read_full(int sock, void *dst, size_t len, int64_t deadline_ms,
                     int stop_fd, int cancel_fd)
{
	size_t got = 0;
	while (got < len) {
		int rc = wait_readable(sock, deadline_ms, stop_fd, cancel_fd);
		if (rc)
			return rc;
		ssize_t n = recv(sock, (char *)dst + got, len - got, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return CD_EIO;
		}
		if (n == 0)
			return CD_EIO;
		got += (size_t)n;
	}
	return CD_OK;
}

static void take_fds(struct msghdr *m, int *fds, size_t *nfds)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (fds && *nfds < PW_MAX_FDS)
				fds[(*nfds)++] = fd;
			else
				close(fd);
		}
	}
}

int pw_recv(int sock, int64_t deadline_ms, int stop_fd, size_t max,
            uint32_t *type, uint8_t **payload, size_t *len, int *fds,
            size_t *nfds, int *eof)
{
	return pw_recv_cancel(sock, deadline_ms, stop_fd, -1, max, type,
	                      payload, len, fds, nfds, eof);
}

int pw_recv_cancel(int sock, int64_t deadline_ms, int stop_fd, int cancel_fd,
                   size_t max, uint32_t *type, uint8_t **payload,
                   size_t *len, int *fds, size_t *nfds, int *eof)
{
	*payload = NULL;
	*len = 0;
	*eof = 0;
	if (nfds)
		*nfds = 0;
	size_t dummy = 0;
	size_t *nf = nfds ? nfds : &dummy;
	uint32_t hdr[2];
	size_t got = 0;
	union {
		char buf[CMSG_SPACE(sizeof(int) * PW_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	int rc = CD_OK;
	while (got < sizeof(hdr)) {
		if ((rc = wait_readable(sock, deadline_ms, stop_fd,
		                        cancel_fd)))
			goto fail;
		struct iovec iov = { .iov_base = (char *)hdr + got,
		                     .iov_len = sizeof(hdr) - got };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
		                    .msg_control = ctl.buf,
		                    .msg_controllen = sizeof(ctl.buf) };
		ssize_t n = recvmsg(sock, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			rc = CD_EIO;
			goto fail;
		}
		take_fds(&m, fds, nf);
		if (n == 0) {
			*eof = got == 0;
			rc = CD_EIO;
			goto fail;
		}
		got += (size_t)n;
	}
	*type = hdr[0];
	if (hdr[1] > max) {
		rc = CD_ELIMIT;
		goto fail;
	}
	if (hdr[1]) {
		uint8_t *p = malloc(hdr[1]);
		rc = p ? read_full(sock, p, hdr[1], deadline_ms, stop_fd,
		                   cancel_fd)
		       : CD_ENOMEM;
		if (rc) {
			free(p);
			goto fail;
		}
		*payload = p;
		*len = hdr[1];
	}
	return CD_OK;
fail:
	for (size_t i = 0; fds && i < *nf; i++)
		close(fds[i]);
	*nf = 0;
	return rc;
}
