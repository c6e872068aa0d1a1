#include "rpc_tls.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cd_error.h"
#include "cd_file.h"

/* The PEM text of one generation of files, as gRPC takes it. */
typedef struct tls_pem {
	char *cert;
	char *key;
	char *ca;     /* NULL without --tls-client-ca */
} tls_pem_t;

struct rpc_tls {
	char *cert_file, *key_file, *ca_file;
	pthread_mutex_t mu;      /* guards everything below */
	tls_pem_t cur;
	unsigned loaded;         /* successful loads so far */
	unsigned given;          /* the load the fetcher last handed gRPC */
	unsigned handed;         /* configs handed to gRPC */
};

static void pem_free(tls_pem_t *p)
{
	/* The key is wiped, not just freed: freed heap is reused. */
	if (p->key) {
		OPENSSL_cleanse(p->key, strlen(p->key));
		free(p->key);
	}
	free(p->cert);
	free(p->ca);
	memset(p, 0, sizeof(*p));
}

/* The first OpenSSL error of this thread's queue, as text; clears it. */
static const char *ssl_reason(char *buf, size_t cap)
{
	unsigned long e = ERR_get_error();
	if (!e)
		snprintf(buf, cap, "no PEM data");
	else
		ERR_error_string_n(e, buf, cap);
	ERR_clear_error();
	return buf;
}

static int fail_ssl(char *err, size_t errlen, const char *flag,
                    const char *path, const char *what)
{
	char r[256];
	ssl_reason(r, sizeof(r));
	return cd_fail(err, errlen, CD_EINVAL, "%s: %s: %s (%s)", flag, path,
	               what, r);
}

/* Reads a whole PEM file (cd_file_read: checked on the open descriptor).
 * secret: the file must not be readable or writable by group or others. */
static int read_pem(const char *flag, const char *path, int secret,
                    char **out, char *err, size_t errlen)
{
	size_t n;
	int rc = cd_file_read(flag, path, RPC_TLS_FILE_MAX,
	                      secret ? CD_FILE_PRIVATE : 0, out, &n, err,
	                      errlen);
	if (rc != CD_OK)
		return rc;
	/* gRPC takes C strings: a NUL inside would cut the text short. */
	if (n == 0 || memchr(*out, '\0', n)) {
		rc = cd_fail(err, errlen, CD_EINVAL, "%s: %s is %s", flag, path,
		             n ? "not a PEM file (binary data)" : "empty");
		OPENSSL_cleanse(*out, n);
		free(*out);
		*out = NULL;
	}
	return rc;
}

/* Never asks for a pass phrase: OpenSSL's default would read the
 * terminal. An encrypted key is refused instead. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* The certificates of a PEM text, in order; *first gets the first one
 * (owned by the caller) when first is not NULL. */
static int parse_certs(const char *flag, const char *path, const char *pem,
                       X509 **first, char *err, size_t errlen)
{
	if (first)
		*first = NULL;
	ERR_clear_error();
	BIO *bio = BIO_new_mem_buf(pem, -1);
	if (!bio)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	int n = 0;
	X509 *x;
	while ((x = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL))) {
		if (first && !*first)
			*first = x;
		else
			X509_free(x);
		n++;
	}
	BIO_free(bio);
	/* The loop ends at the end of the text (no further start line) or
	 * at a block that is not a certificate. */
	unsigned long e = ERR_peek_last_error();
	int at_end = ERR_GET_LIB(e) == ERR_LIB_PEM &&
	             ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
	if (n > 0 && at_end) {
		ERR_clear_error();
		return CD_OK;
	}
	if (first && *first) {
		X509_free(*first);
		*first = NULL;
	}
	if (n == 0 && at_end) {
		ERR_clear_error();
		return cd_fail(err, errlen, CD_EINVAL, "%s: %s holds no PEM "
		               "certificate", flag, path);
	}
	return fail_ssl(err, errlen, flag, path, n ? "a PEM block after "
	                "the first certificate does not parse"
	                : "not a PEM certificate");
}

/* Reads the three files and checks them; *out holds their text. */
static int load(const rpc_tls_opts_t *o, tls_pem_t *out, char *err,
                size_t errlen)
{
	memset(out, 0, sizeof(*out));
	X509 *cert = NULL;
	EVP_PKEY *pkey = NULL;
	int rc = read_pem("--tls-cert", o->cert_file, 0, &out->cert, err,
	                  errlen);
	if (rc == CD_OK)
		rc = parse_certs("--tls-cert", o->cert_file, out->cert, &cert,
		                 err, errlen);
	if (rc == CD_OK)
		rc = read_pem("--tls-key", o->key_file, 1, &out->key, err,
		              errlen);
	if (rc == CD_OK) {
		ERR_clear_error();
		BIO *bio = BIO_new_mem_buf(out->key, -1);
		pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase,
		                                     NULL) : NULL;
		BIO_free(bio);
		if (!pkey)
			rc = fail_ssl(err, errlen, "--tls-key", o->key_file,
			              "not a PEM private key (an encrypted key "
			              "is not supported)");
	}
	if (rc == CD_OK && X509_check_private_key(cert, pkey) != 1) {
		ERR_clear_error();
		rc = cd_fail(err, errlen, CD_EINVAL, "--tls-key: %s does not "
		             "match the certificate in %s", o->key_file,
		             o->cert_file);
	}
	if (rc == CD_OK && o->client_ca_file && *o->client_ca_file) {
		rc = read_pem("--tls-client-ca", o->client_ca_file, 0, &out->ca,
		              err, errlen);
		if (rc == CD_OK)
			rc = parse_certs("--tls-client-ca", o->client_ca_file,
			                 out->ca, NULL, err, errlen);
	}
	X509_free(cert);
	EVP_PKEY_free(pkey);
	if (rc != CD_OK)
		pem_free(out);
	return rc;
}

/* The flags' combination; *on = 1 when TLS is asked for. */
static int check_flags(const rpc_tls_opts_t *o, int *on, char *err,
                       size_t errlen)
{
	int has_cert = o->cert_file && *o->cert_file;
	int has_key = o->key_file && *o->key_file;
	int has_ca = o->client_ca_file && *o->client_ca_file;
	*on = has_cert && has_key;
	if (has_cert != has_key)
		return cd_fail(err, errlen, CD_EINVAL, "%s is given without %s",
		               has_cert ? "--tls-cert" : "--tls-key",
		               has_cert ? "--tls-key" : "--tls-cert");
	if (has_ca && !has_cert)
		return cd_fail(err, errlen, CD_EINVAL, "--tls-client-ca needs "
		               "--tls-cert and --tls-key (mutual TLS is TLS "
		               "first)");
	return CD_OK;
}

int rpc_tls_check(const rpc_tls_opts_t *o, char *err, size_t errlen)
{
	int on;
	int rc = check_flags(o, &on, err, errlen);
	if (rc != CD_OK || !on)
		return rc;
	tls_pem_t p;
	rc = load(o, &p, err, errlen);
	if (rc == CD_OK)
		pem_free(&p);
	return rc;
}

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

int rpc_tls_create(rpc_tls_t **out, const rpc_tls_opts_t *o, char *err,
                   size_t errlen)
{
	*out = NULL;
	int on;
	int rc = check_flags(o, &on, err, errlen);
	if (rc != CD_OK)
		return rc;
	if (!on)
		return cd_fail(err, errlen, CD_EINVAL, "no TLS certificate "
		               "given");
	rpc_tls_t *t = calloc(1, sizeof(*t));
	if (!t)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	pthread_mutex_init(&t->mu, NULL);
	t->cert_file = strdup(o->cert_file);
	t->key_file = strdup(o->key_file);
	t->ca_file = dup_or_null(o->client_ca_file);
	if (!t->cert_file || !t->key_file ||
	    (o->client_ca_file && *o->client_ca_file && !t->ca_file)) {
		rpc_tls_destroy(t);
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	}
	rc = load(o, &t->cur, err, errlen);
	if (rc != CD_OK) {
		rpc_tls_destroy(t);
		return rc;
	}
	t->loaded = 1;
	*out = t;
	return CD_OK;
}

void rpc_tls_destroy(rpc_tls_t *t)
{
	if (!t)
		return;
	pem_free(&t->cur);
	free(t->cert_file);
	free(t->key_file);
	free(t->ca_file);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

int rpc_tls_mutual(const rpc_tls_t *t)
{
	return t->ca_file != NULL;
}

int rpc_tls_reload(rpc_tls_t *t, char *err, size_t errlen)
{
	rpc_tls_opts_t o = {t->cert_file, t->key_file, t->ca_file};
	tls_pem_t p;
	int rc = load(&o, &p, err, errlen);
	if (rc != CD_OK)
		return rc;
	pthread_mutex_lock(&t->mu);
	tls_pem_t old = t->cur;
	t->cur = p;
	t->loaded++;
	pthread_mutex_unlock(&t->mu);
	pem_free(&old);
	return CD_OK;
}

unsigned rpc_tls_generation(rpc_tls_t *t)
{
	pthread_mutex_lock(&t->mu);
	unsigned n = t->handed;
	pthread_mutex_unlock(&t->mu);
	return n;
}

/* gRPC calls this when the credentials are made into a listener, and
 * then at every new connection's handshake: NEW once per load, else
 * UNCHANGED, so the handshaker is rebuilt once per rotation. gRPC takes
 * the config and destroys it. */
static grpc_ssl_certificate_config_reload_status
fetch_config(void *user_data, grpc_ssl_server_certificate_config **config)
{
	rpc_tls_t *t = user_data;
	grpc_ssl_certificate_config_reload_status st =
		GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_UNCHANGED;
	pthread_mutex_lock(&t->mu);
	if (t->given != t->loaded) {
		grpc_ssl_pem_key_cert_pair pair = {t->cur.key, t->cur.cert};
		/* gRPC 1.51 asserts that a fetched config has client roots
		 * even when no client certificate is asked for. Without
		 * --tls-client-ca the server's own chain stands in: the
		 * server then never requests a client certificate, so the
		 * roots are neither sent nor used. Copies the strings. */
		*config = grpc_ssl_server_certificate_config_create(
			t->cur.ca ? t->cur.ca : t->cur.cert, &pair, 1);
		if (*config) {
			t->given = t->loaded;
			t->handed++;
			st = GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_NEW;
		} else {
			st = GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_FAIL;
		}
	}
	pthread_mutex_unlock(&t->mu);
	return st;
}

grpc_server_credentials *rpc_tls_server_credentials(rpc_tls_t *t)
{
	grpc_ssl_server_credentials_options *opts =
		grpc_ssl_server_credentials_create_options_using_config_fetcher(
			t->ca_file
			? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
			: GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE,
			fetch_config, t);
	if (!opts)
		return NULL;
	return grpc_ssl_server_credentials_create_with_options(opts);
}
