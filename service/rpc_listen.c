/* accept4, pipe2 */
#define _GNU_SOURCE
#include "rpc_listen.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <grpc/grpc_posix.h>
#include <grpc/grpc_security.h>

#include "cd_error.h"
#include "log.h"

#define MAX_SOCKS 16          /* addresses one host name may bind */
#define ACCEPT_BURST 64       /* accepts per listener per wake-up */
#define BACKOFF_MS 100        /* after a failure that accepting again
                               * would only repeat */
#define SWEEP_MS 50           /* at the cap, recount at most this often */
#define PEER_MAX 64

typedef struct conn {
	ino_t ino;                /* 0 = no connection of ours on this fd */
	dev_t dev;
	char peer[PEER_MAX];
} conn_t;

struct rpc_listen {
	int socks[MAX_SOCKS];
	unsigned nsocks;
	int port;
	int wake[2];              /* stop request for the accept thread */
	int spare;                /* /dev/null, given up to shed on EMFILE */
	pthread_t thread;
	int started;
	grpc_server *server;
	grpc_server_credentials *creds;
	unsigned max_wanted;      /* as asked for; 0 = from the limit */

	pthread_mutex_t mu;       /* guards what follows */
	conn_t *conns;            /* indexed by descriptor */
	size_t nconns;
	unsigned max, open;
	uint64_t accepted, refused_cap, refused_fds;
	struct timespec last_sweep;
	int swept;
	int warned_cap, warned_fds;
};

static long ms_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 +
	       (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* gRPC's peer notation, so call logs read as before. */
static void format_peer(const struct sockaddr_storage *ss, char *out,
                        size_t cap)
{
	char a[INET6_ADDRSTRLEN];
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;
		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		snprintf(out, cap, "ipv4:%s:%u", a, ntohs(in->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], a,
			          sizeof(a));
			snprintf(out, cap, "ipv4:%s:%u", a,
			         ntohs(in6->sin6_port));
		} else {
			inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
			snprintf(out, cap, "ipv6:[%s]:%u", a,
			         ntohs(in6->sin6_port));
		}
	} else {
		snprintf(out, cap, "unknown");
	}
}

static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	return ss.ss_family == AF_INET
	       ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
	       : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* One listening socket; errno set on failure. */
static int listen_on(const struct sockaddr *sa, socklen_t len, int dual)
{
	int one = 1, zero = 0;
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	                SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* SO_REUSEADDR lets a restart bind while old connections linger in
	 * TIME_WAIT; SO_REUSEPORT stays off, so a second server on the
	 * port fails instead of sharing it. TCP_NODELAY is inherited by
	 * accepted sockets (and set on each again). */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, dual ? &zero : &one,
		           sizeof(int));
	if (bind(fd, sa, len) != 0 || listen(fd, SOMAXCONN) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void set_port(struct sockaddr *sa, int port)
{
	if (sa->sa_family == AF_INET)
		((struct sockaddr_in *)sa)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)sa)->sin6_port = htons((uint16_t)port);
}

static int add_sock(rpc_listen_t *l, int fd)
{
	if (l->nsocks == MAX_SOCKS) {
		close(fd);
		return -1;
	}
	l->socks[l->nsocks++] = fd;
	if (!l->port)
		l->port = bound_port(fd);
	return 0;
}

/* "::" and "0.0.0.0" (and an empty host) mean every address, as in gRPC:
 * one dual-stack IPv6 socket, or IPv4 alone where there is no IPv6. */
static int bind_wildcard(rpc_listen_t *l, int port)
{
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6,
	                           .sin6_addr = IN6ADDR_ANY_INIT,
	                           .sin6_port = htons((uint16_t)port)};
	int fd = listen_on((struct sockaddr *)&in6, sizeof(in6), 1);
	if (fd < 0 && (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL)) {
		struct sockaddr_in in = {.sin_family = AF_INET,
		                         .sin_addr.s_addr = htonl(INADDR_ANY),
		                         .sin_port = htons((uint16_t)port)};
		fd = listen_on((struct sockaddr *)&in, sizeof(in), 0);
	}
	return fd < 0 ? -1 : add_sock(l, fd);
}

static int bind_host(rpc_listen_t *l, const char *host, const char *port)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
	                         .ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res, *ai;
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		errno = rc == EAI_SYSTEM ? errno : EADDRNOTAVAIL;
		return -1;
	}
	int e = 0;
	for (ai = res; ai; ai = ai->ai_next) {
		/* Port 0: the port the first socket got, for all of them. */
		if (l->port)
			set_port(ai->ai_addr, l->port);
		int fd = listen_on(ai->ai_addr, ai->ai_addrlen, 0);
		if (fd < 0)
			e = errno;
		else
			add_sock(l, fd);
	}
	freeaddrinfo(res);
	/* As gRPC: bound if any address of the name is (localhost may give
	 * ::1 on a host without IPv6). */
	if (!l->nsocks)
		errno = e;
	return l->nsocks ? 0 : -1;
}

int rpc_listen_bind(rpc_listen_t **out, const char *address,
                    unsigned max_connections, char *err, size_t errlen)
{
	char host[256], port[16];
	*out = NULL;
	const char *colon = strrchr(address, ':');
	size_t hlen = colon ? (size_t)(colon - address) : 0;
	if (!colon || hlen >= sizeof(host) || strlen(colon + 1) >= sizeof(port))
		return cd_fail(err, errlen, CD_EINVAL, "cannot listen on %s: "
		               "not host:port", address);
	memcpy(host, address, hlen);
	host[hlen] = '\0';
	snprintf(port, sizeof(port), "%s", colon + 1);
	char *end;
	long pn = strtol(port, &end, 10);
	if (!*port || *end || pn < 0 || pn > 65535)
		return cd_fail(err, errlen, CD_EINVAL, "cannot listen on %s: "
		               "bad port", address);
	if (host[0] == '[' && hlen >= 2 && host[hlen - 1] == ']') {
		memmove(host, host + 1, hlen - 2);
		host[hlen - 2] = '\0';
	}

	rpc_listen_t *l = calloc(1, sizeof(*l));
	if (!l)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	l->wake[0] = l->wake[1] = l->spare = -1;
	l->max_wanted = max_connections;
	pthread_mutex_init(&l->mu, NULL);
	*out = l;

	int wild = !host[0] || !strcmp(host, "0.0.0.0") || !strcmp(host, "::");
	int rc = wild ? bind_wildcard(l, (int)pn) : bind_host(l, host, port);
	if (rc != 0) {
		int e = errno;
		rpc_listen_destroy(l);
		*out = NULL;
		return cd_fail(err, errlen, CD_EIO, "cannot listen on %s "
		               "(address in use or invalid?): %s", address,
		               strerror(e));
	}
	if (pipe2(l->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		int e = errno;
		rpc_listen_destroy(l);
		*out = NULL;
		return cd_fail(err, errlen, CD_EIO, "pipe: %s", strerror(e));
	}
	return CD_OK;
}

int rpc_listen_port(const rpc_listen_t *l)
{
	return l->port;
}

/* Descriptors open now, /proc/self/fd's own excepted. */
static long open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	long n = -1;
	if (!d)
		return 32; /* no /proc: a guess the reserve covers */
	for (struct dirent *e; (e = readdir(d));)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Forgets the connections gRPC has closed since they were counted: their
 * descriptor is gone, or now another file's. With mu held. */
static void sweep(rpc_listen_t *l)
{
	if (l->swept && ms_since(&l->last_sweep) < SWEEP_MS)
		return;
	for (size_t fd = 0; fd < l->nconns; fd++) {
		conn_t *c = &l->conns[fd];
		struct stat sb;
		if (!c->ino)
			continue;
		if (fstat((int)fd, &sb) != 0 || !S_ISSOCK(sb.st_mode) ||
		    sb.st_ino != c->ino || sb.st_dev != c->dev) {
			c->ino = 0;
			l->open--;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &l->last_sweep);
	l->swept = 1;
}

/* Counts fd in, or refuses it (returns -1; the caller closes it). */
static int admit(rpc_listen_t *l, int fd, const struct stat *sb,
                 const char *peer)
{
	int warn = 0, rc = 0;
	pthread_mutex_lock(&l->mu);
	if ((size_t)fd >= l->nconns) {
		size_t n = l->nconns ? l->nconns : 256;
		while (n <= (size_t)fd)
			n *= 2;
		conn_t *c = realloc(l->conns, n * sizeof(*c));
		if (!c) {
			l->refused_fds++;
			pthread_mutex_unlock(&l->mu);
			return -1;
		}
		memset(c + l->nconns, 0, (n - l->nconns) * sizeof(*c));
		l->conns = c;
		l->nconns = n;
	}
	conn_t *c = &l->conns[fd];
	/* The descriptor was one of ours: that connection is gone. */
	if (c->ino) {
		c->ino = 0;
		l->open--;
	}
	if (l->open >= l->max)
		sweep(l);
	if (l->open >= l->max) {
		l->refused_cap++;
		warn = !l->warned_cap;
		l->warned_cap = 1;
		rc = -1;
	} else {
		c->ino = sb->st_ino;
		c->dev = sb->st_dev;
		snprintf(c->peer, sizeof(c->peer), "%s", peer);
		l->open++;
		l->accepted++;
		l->warned_cap = l->warned_fds = 0;
	}
	unsigned max = l->max;
	pthread_mutex_unlock(&l->mu);
	if (warn)
		log_msg(LOG_WARN, "%u connections open, the most allowed "
		        "(--max-connections): closing new ones until some "
		        "close", max);
	return rc;
}

static void take(rpc_listen_t *l, int fd, const struct sockaddr_storage *ss)
{
	char peer[PEER_MAX];
	struct stat sb;
	int one = 1;
	format_peer(ss, peer, sizeof(peer));
	if (fstat(fd, &sb) != 0 || admit(l, fd, &sb, peer) != 0) {
		/* The client sees the connection closed and may retry. */
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* From here the descriptor is gRPC's. */
	grpc_server_add_channel_from_fd(l->server, fd, l->creds);
}

/* Out of descriptors: give up the spare one to accept the waiting
 * connection and close it, so its client hears at once rather than
 * waiting in the backlog, then take the spare back. Linux checks for a
 * free descriptor before it looks for a connection, so EMFILE comes with
 * or without one waiting. Returns 0 when one was shed, 1 when none was
 * waiting, -1 when even the spare's descriptor was taken meanwhile. */
static int shed(rpc_listen_t *l, int lfd)
{
	int warn = 0;
	if (l->spare >= 0) {
		close(l->spare);
		l->spare = -1;
	}
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	int e = errno;
	if (fd >= 0)
		close(fd);
	l->spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		pthread_mutex_lock(&l->mu);
		l->refused_fds++;
		warn = !l->warned_fds;
		l->warned_fds = 1;
		pthread_mutex_unlock(&l->mu);
	}
	if (warn)
		log_msg(LOG_WARN, "accept4: %s: closing new connections until "
		        "descriptors are free", strerror(EMFILE));
	if (fd >= 0)
		return 0;
	return e == EAGAIN || e == EWOULDBLOCK ? 1 : -1;
}

/* Accepts what is waiting on lfd. Returns 1 when the loop should back
 * off before polling the listeners again. */
static int accept_some(rpc_listen_t *l, int lfd)
{
	for (int i = 0; i < ACCEPT_BURST; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(lfd, (struct sockaddr *)&ss, &len,
		                 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			take(l, fd, &ss);
			continue;
		}
		switch (errno) {
		case EAGAIN:
#if EWOULDBLOCK != EAGAIN
		case EWOULDBLOCK:
#endif
			return 0;
		case EINTR:
		case ECONNABORTED:
		case EPROTO:
		case EPERM:
			continue;
		case EMFILE:
		case ENFILE:
			switch (shed(l, lfd)) {
			case 0:
				continue;
			case 1:
				return 0;
			default:
				return 1;
			}
		default:
			/* ENOBUFS, ENOMEM: the kernel is short; try later,
			 * never give up. */
			log_msg(LOG_WARN, "accept4: %s", strerror(errno));
			return 1;
		}
	}
	return 0;
}

static void *accept_loop(void *arg)
{
	rpc_listen_t *l = arg;
	struct pollfd p[MAX_SOCKS + 1];
	int backoff = 0;

	p[0] = (struct pollfd){.fd = l->wake[0], .events = POLLIN};
	for (unsigned i = 0; i < l->nsocks; i++)
		p[i + 1] = (struct pollfd){.fd = l->socks[i], .events = POLLIN};
	for (;;) {
		/* Backing off, the listeners (still readable) are left out
		 * so that the loop sleeps instead of spinning. */
		int n = poll(p, backoff ? 1 : l->nsocks + 1,
		             backoff ? BACKOFF_MS : -1);
		if (n == 0) {
			backoff = 0; /* rested: the listeners again */
			continue;
		}
		if (n < 0) {
			backoff = errno != EINTR;
			continue;
		}
		if (p[0].revents)
			break;
		backoff = 0;
		for (unsigned i = 0; i < l->nsocks; i++)
			if (p[i + 1].revents)
				backoff |= accept_some(l, l->socks[i]);
	}
	return NULL;
}

int rpc_listen_start(rpc_listen_t *l, grpc_server *server, char *err,
                     size_t errlen)
{
	struct rlimit rl;
	long limit = 1 << 20;

	l->server = server;
	l->creds = grpc_insecure_server_credentials_create();
	l->spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)limit)
		limit = (long)rl.rlim_cur;
	/* Measured after gRPC started, so its own descriptors count. */
	long budget = limit - open_fds() - RPC_LISTEN_FD_RESERVE;
	if (budget < 1)
		budget = 1;
	l->max = l->max_wanted && l->max_wanted < budget ? l->max_wanted
	                                                 : (unsigned)budget;
	if (l->max_wanted > l->max)
		log_msg(LOG_WARN, "--max-connections %u is more than %ld "
		        "descriptors allow; using %u", l->max_wanted, limit,
		        l->max);
	log_msg(LOG_INFO, "accepting at most %u connections (descriptor "
	        "limit %ld)", l->max, limit);
	if (pthread_create(&l->thread, NULL, accept_loop, l) != 0)
		return cd_fail(err, errlen, CD_EINTERNAL, "cannot start the "
		               "accept thread");
	l->started = 1;
	return CD_OK;
}

void rpc_listen_stop(rpc_listen_t *l)
{
	if (!l)
		return;
	if (l->started) {
		char b = 1;
		ssize_t w = write(l->wake[1], &b, 1);
		(void)w; /* a full pipe already holds a wake-up */
		pthread_join(l->thread, NULL);
		l->started = 0;
	}
	/* New connections are refused by the kernel from here. */
	for (unsigned i = 0; i < l->nsocks; i++)
		close(l->socks[i]);
	l->nsocks = 0;
}

void rpc_listen_destroy(rpc_listen_t *l)
{
	if (!l)
		return;
	rpc_listen_stop(l);
	if (l->wake[0] >= 0)
		close(l->wake[0]);
	if (l->wake[1] >= 0)
		close(l->wake[1]);
	if (l->spare >= 0)
		close(l->spare);
	if (l->creds)
		grpc_server_credentials_release(l->creds);
	free(l->conns);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

const char *rpc_listen_peer(rpc_listen_t *l, const char *grpc_peer,
                            char *buf, size_t cap)
{
	char *end;
	if (!l || !grpc_peer || strncmp(grpc_peer, "fd:", 3) != 0)
		return grpc_peer;
	long fd = strtol(grpc_peer + 3, &end, 10);
	if (*end || fd < 0)
		return grpc_peer;
	const char *out = grpc_peer;
	pthread_mutex_lock(&l->mu);
	if ((size_t)fd < l->nconns && l->conns[fd].ino) {
		snprintf(buf, cap, "%s", l->conns[fd].peer);
		out = buf;
	}
	pthread_mutex_unlock(&l->mu);
	return out;
}

void rpc_listen_stats_swept(rpc_listen_t *l, rpc_listen_stats_t *out)
{
	pthread_mutex_lock(&l->mu);
	sweep(l);
	pthread_mutex_unlock(&l->mu);
	rpc_listen_stats(l, out);
}

void rpc_listen_stats(rpc_listen_t *l, rpc_listen_stats_t *out)
{
	pthread_mutex_lock(&l->mu);
	out->max_connections = l->max;
	out->open = l->open;
	out->accepted = l->accepted;
	out->refused_cap = l->refused_cap;
	out->refused_fds = l->refused_fds;
	pthread_mutex_unlock(&l->mu);
}
