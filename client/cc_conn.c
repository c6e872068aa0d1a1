/* What cc_client_open_opts needs before a channel exists: TLS channel
 * credentials from PEM files, and the bearer token's metadata value. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <grpc/grpc_security.h>

#include "cc_call_internal.h"

/* Larger than any sensible CA bundle. */
#define CC_PEM_MAX (4u << 20)

static int conn_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int conn_fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return CC_INVALID_ARGUMENT;
}

/* The whole file, NUL-terminated; NULL with err filled. */
static char *read_pem(const char *what, const char *path, char *err,
                      size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		conn_fail(err, errlen, "%s: cannot open %s: %s", what, path,
		          strerror(errno));
		return NULL;
	}
	struct stat sb;
	char *buf = NULL;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    (unsigned long long)sb.st_size > CC_PEM_MAX) {
		conn_fail(err, errlen, "%s: %s is not a regular file of at "
		          "most %u bytes", what, path, CC_PEM_MAX);
		close(fd);
		return NULL;
	}
	size_t cap = (size_t)sb.st_size + 1, n = 0;
	buf = malloc(cap);
	while (buf && n < cap - 1) {
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (!buf) {
		conn_fail(err, errlen, "out of memory");
		return NULL;
	}
	buf[n] = '\0';
	if (!n || strlen(buf) != n || !strstr(buf, "-----BEGIN ")) {
		conn_fail(err, errlen, "%s: %s is not a PEM file", what, path);
		memset(buf, 0, n);
		free(buf);
		return NULL;
	}
	return buf;
}

static void free_secret(char *s)
{
	if (s) {
		/* Key material: cleared before the heap reuses it. */
		volatile char *v = s;
		while (*v)
			*v++ = 0;
		free(s);
	}
}

/* A header value must be visible ASCII; a token with a line break or
 * a control character would be refused by gRPC at every call. */
static int token_ok(const char *t)
{
	if (!*t)
		return 0;
	for (; *t; t++)
		if ((unsigned char)*t < 0x21 || (unsigned char)*t > 0x7e)
			return 0;
	return 1;
}

int cc_conn_setup(const cc_conn_opts_t *o, grpc_channel_credentials **creds,
                  char **bearer, char *err, size_t errlen)
{
	*creds = NULL;
	*bearer = NULL;
	int has_cert = o && o->tls_cert && *o->tls_cert;
	int has_key = o && o->tls_key && *o->tls_key;
	int has_ca = o && o->tls_ca && *o->tls_ca;
	if (has_cert != has_key)
		return conn_fail(err, errlen, "a TLS client certificate needs "
		                 "its key and the key its certificate "
		                 "(--tls-cert with --tls-key)");
	if (o && o->token && !token_ok(o->token))
		return conn_fail(err, errlen, "the token is empty or holds "
		                 "spaces or control characters");
	if (o && o->token) {
		size_t n = strlen(o->token) + sizeof("Bearer ");
		if (!(*bearer = malloc(n)))
			return conn_fail(err, errlen, "out of memory");
		snprintf(*bearer, n, "Bearer %s", o->token);
	}
	if (!o || !(o->tls || has_ca || has_cert)) {
		*creds = grpc_insecure_credentials_create();
		return CC_OK;
	}
	char *ca = NULL, *cert = NULL, *key = NULL;
	int rc = CC_OK;
	if (has_ca && !(ca = read_pem("--tls-ca", o->tls_ca, err, errlen)))
		rc = CC_INVALID_ARGUMENT;
	if (rc == CC_OK && has_cert &&
	    (!(cert = read_pem("--tls-cert", o->tls_cert, err, errlen)) ||
	     !(key = read_pem("--tls-key", o->tls_key, err, errlen))))
		rc = CC_INVALID_ARGUMENT;
	if (rc == CC_OK) {
		grpc_ssl_pem_key_cert_pair pair = {key, cert};
		/* NULL roots: gRPC's default roots (the system's). */
		*creds = grpc_ssl_credentials_create_ex(ca, cert ? &pair : NULL,
		                                        NULL, NULL);
		if (!*creds)
			rc = conn_fail(err, errlen, "cannot create TLS "
			               "credentials");
	}
	free(ca);
	free(cert);
	free_secret(key);
	if (rc != CC_OK) {
		free_secret(*bearer);
		*bearer = NULL;
	}
	return rc;
}
