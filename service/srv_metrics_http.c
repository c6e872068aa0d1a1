/* srv_metrics_http.c — the metrics' HTTP listener on libmicrohttpd
 * (srv_metrics_http.h). */
#include "srv_metrics_http.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "cd_error.h"
#include "cfg.h"
#include "log.h"

#define HTTP_CONNECTIONS_DEFAULT 16
#define HTTP_TIMEOUT_DEFAULT 10
#define HTTP_HEADER_BYTES (16u << 10)

struct srv_metrics_http {
	struct MHD_Daemon *d;
	int fd;              /* the listening socket until MHD owns it */
	int port;
	srv_metrics_http_render_fn render;
	void *arg;
};

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_msg(LOG_DEBUG, "metrics listener: %s", msg);
}

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned code,
                              const char *type, char *body, size_t len,
                              int owned, const char *allow)
{
	struct MHD_Response *r = owned
		? MHD_create_response_from_buffer_with_free_callback(len, body,
		                                                     free)
		: MHD_create_response_from_buffer(len, body,
		                                  MHD_RESPMEM_PERSISTENT);
	if (!r) {
		if (owned)
			free(body);
		return MHD_NO;   /* libmicrohttpd closes the connection */
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	enum MHD_Result rc = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
                              const char *url, const char *method,
                              const char *version, const char *upload,
                              size_t *upload_len, void **con_cls)
{
	srv_metrics_http_t *h = cls;
	static char not_found[] = "not found: the metrics are at /metrics\n";
	static char not_allowed[] = "method not allowed: GET /metrics\n";
	static char failed[] = "could not render the metrics (out of "
	                       "memory)\n";
	(void)version;
	(void)upload;
	(void)upload_len;
	(void)con_cls;
	const char *text = "text/plain; charset=utf-8";
	if (strcmp(url, "/metrics") != 0)
		return answer(conn, MHD_HTTP_NOT_FOUND, text, not_found,
		              sizeof(not_found) - 1, 0, NULL);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return answer(conn, MHD_HTTP_METHOD_NOT_ALLOWED, text,
		              not_allowed, sizeof(not_allowed) - 1, 0,
		              "GET, HEAD");
	srv_metrics_buf_t b = {0};
	if (h->render(h->arg, &b) != CD_OK || b.failed) {
		srv_metrics_buf_free(&b);
		return answer(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, text,
		              failed, sizeof(failed) - 1, 0, NULL);
	}
	return answer(conn, MHD_HTTP_OK, SRV_METRICS_CONTENT_TYPE, b.p, b.len,
	              1, NULL);
}

/* The first of host's addresses that binds, listening, into *out. */
static int bind_listen(const char *addr, int *out, int *port, char *err,
                       size_t errlen)
{
	char host[CFG_ADDR_MAX], serv[8];
	unsigned p;
	if (cfg_split_hostport(addr, host, sizeof(host), &p))
		return cd_fail(err, errlen, CD_EINVAL, "metrics: '%s' is not "
		               "host:port", addr);
	snprintf(serv, sizeof(serv), "%u", p);
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	int gai = getaddrinfo(host, serv, &hints, &res);
	if (gai)
		return cd_fail(err, errlen, CD_EIO, "metrics: cannot resolve "
		               "%s: %s", addr, gai_strerror(gai));
	int fd = -1, saved = 0;
	for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC |
		            SOCK_NONBLOCK, a->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		int one = 1, zero = 0;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		/* "[::]" serves IPv4 too, as gRPC's wildcard does. */
		if (a->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
			           sizeof(zero));
		if (bind(fd, a->ai_addr, a->ai_addrlen) != 0 ||
		    listen(fd, 64) != 0) {
			saved = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		return cd_fail(err, errlen, CD_EIO, "metrics: cannot listen on "
		               "%s: %s", addr, strerror(saved));
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
		saved = errno;
		close(fd);
		return cd_fail(err, errlen, CD_EIO, "metrics: %s: getsockname: "
		               "%s", addr, strerror(saved));
	}
	*port = ss.ss_family == AF_INET6
	      ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
	      : ntohs(((struct sockaddr_in *)&ss)->sin_port);
	*out = fd;
	return CD_OK;
}

int srv_metrics_http_start(srv_metrics_http_t **out,
                           const srv_metrics_http_opts_t *o, char *err,
                           size_t errlen)
{
	*out = NULL;
	srv_metrics_http_t *h = calloc(1, sizeof(*h));
	if (!h)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	h->render = o->render;
	h->arg = o->arg;
	int rc = bind_listen(o->listen, &h->fd, &h->port, err, errlen);
	if (rc != CD_OK) {
		free(h);
		return rc;
	}
	unsigned conns = o->max_connections ? o->max_connections
	                                    : HTTP_CONNECTIONS_DEFAULT;
	unsigned timeout = o->timeout_s ? o->timeout_s : HTTP_TIMEOUT_DEFAULT;
	h->d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
		MHD_USE_ERROR_LOG, 0, NULL, NULL, handle, h,
		/* First, or early messages go to stderr. */
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, (void *)NULL,
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)h->fd,
		MHD_OPTION_CONNECTION_LIMIT, conns,
		MHD_OPTION_CONNECTION_TIMEOUT, timeout,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_HEADER_BYTES,
		MHD_OPTION_END);
	if (!h->d) {
		/* Not closed here: whether libmicrohttpd closed the socket it
		 * was given on its way out is not documented, and a second
		 * close could hit a descriptor another thread just opened.
		 * The server does not start, so the process ends soon. */
		free(h);
		return cd_fail(err, errlen, CD_EIO, "metrics: cannot start the "
		               "HTTP listener on %s", o->listen);
	}
	*out = h;
	return CD_OK;
}

int srv_metrics_http_port(const srv_metrics_http_t *h)
{
	return h->port;
}

void srv_metrics_http_stop(srv_metrics_http_t *h)
{
	if (!h)
		return;
	/* Closes the listening socket too. */
	MHD_stop_daemon(h->d);
	free(h);
}
