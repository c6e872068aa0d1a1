/* rpc_tls: the checks of the TLS files (each refusal names the flag and
 * the file), reload keeping the old files when the new ones are bad, the
 * config fetcher handing gRPC one config per load, and
 * rpc_tls_peer_principal without a certificate. Keys and certificates
 * are made by openssl in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <grpc/grpc.h>
#include <grpc/support/time.h>

#include "cd_error.h"
#include "rpc_tls.h"
#include "rpc_tls_peer.h"

static char dir[256];

static const char *p(const char *name)
{
	static char buf[8][512];
	static int i;
	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

/* A self-signed pair NAME.pem/NAME.key (EC P-256, key 0600). */
static void make_pair(const char *name)
{
	sh("cd %s && openssl req -x509 -newkey ec -pkeyopt "
	   "ec_paramgen_curve:P-256 -nodes -keyout %s.key -out %s.pem "
	   "-days 2 -subj /CN=%s 2>/dev/null && chmod 600 %s.key", dir, name,
	   name, name, name);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s/test_rpc_tls.XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(dir));
	make_pair("a");
	make_pair("b");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sh("rm -rf %s", dir);
	return 0;
}

static int check(const char *cert, const char *key, const char *ca,
                 char *err, size_t errlen)
{
	rpc_tls_opts_t o = {cert, key, ca};
	err[0] = '\0';
	return rpc_tls_check(&o, err, errlen);
}

static void test_good_files(void **state)
{
	(void)state;
	char err[512];
	assert_int_equal(check(p("a.pem"), p("a.key"), NULL, err,
	                       sizeof(err)), CD_OK);
	assert_int_equal(check(p("a.pem"), p("a.key"), p("b.pem"), err,
	                       sizeof(err)), CD_OK);
	/* Nothing asked for is no TLS, and fine. */
	assert_int_equal(check(NULL, "", NULL, err, sizeof(err)), CD_OK);
}

static void test_refusals(void **state)
{
	(void)state;
	char err[512];
	sh("cp %s %s && chmod 644 %s", p("a.key"), p("open.key"),
	   p("open.key"));
	sh("cp %s %s && chmod 604 %s", p("a.key"), p("world.key"),
	   p("world.key"));
	write_file(p("junk.pem"), "-----BEGIN CERTIFICATE-----\n!!\n"
	           "-----END CERTIFICATE-----\n", 0644);
	write_file(p("text.pem"), "hello\n", 0644);
	write_file(p("empty.pem"), "", 0644);
	write_file(p("junk.key"), "-----BEGIN PRIVATE KEY-----\n!!\n"
	           "-----END PRIVATE KEY-----\n", 0600);
	sh("cat %s %s > %s", p("a.pem"), p("junk.pem"), p("tail.pem"));
	sh("printf 'x\\0y' > %s", p("nul.pem"));
	static const struct {
		const char *cert, *key, *ca, *want;
	} cases[] = {
		{"a.pem", NULL, NULL, "--tls-cert is given without --tls-key"},
		{NULL, "a.key", NULL, "--tls-key is given without --tls-cert"},
		{NULL, NULL, "b.pem", "--tls-client-ca needs --tls-cert"},
		{"a.pem", "open.key", NULL, "has mode 0644"},
		{"a.pem", "world.key", NULL, "has mode 0604"},
		{"none.pem", "a.key", NULL, "--tls-cert: cannot open"},
		{"a.pem", "none.key", NULL, "--tls-key: cannot open"},
		{"a.pem", "a.key", "none.pem", "--tls-client-ca: cannot open"},
		{"junk.pem", "a.key", NULL, "not a PEM certificate"},
		{"text.pem", "a.key", NULL, "holds no PEM certificate"},
		{"tail.pem", "a.key", NULL, "after the first certificate"},
		{"empty.pem", "a.key", NULL, "is empty"},
		{"nul.pem", "a.key", NULL, "binary data"},
		{"a.pem", "junk.key", NULL, "not a PEM private key"},
		{"a.pem", "b.key", NULL, "does not match"},
		{"a.pem", "a.key", "a.key", "--tls-client-ca"},
		{".", "a.key", NULL, "not a regular file"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char cert[512] = "", key[512] = "", ca[512] = "";
		if (cases[i].cert)
			snprintf(cert, sizeof(cert), "%s", p(cases[i].cert));
		if (cases[i].key)
			snprintf(key, sizeof(key), "%s", p(cases[i].key));
		if (cases[i].ca)
			snprintf(ca, sizeof(ca), "%s", p(cases[i].ca));
		int rc = check(cert, key, ca, err, sizeof(err));
		if (rc != CD_EINVAL || !strstr(err, cases[i].want) ||
		    strchr(err, '\n'))
			fail_msg("case %zu: rc %d, message '%s', want '%s'", i,
			         rc, err, cases[i].want);
		/* rpc_tls_create refuses the same. */
		rpc_tls_opts_t o = {cert, key, ca};
		rpc_tls_t *t = (rpc_tls_t *)1;
		assert_int_equal(rpc_tls_create(&t, &o, err, sizeof(err)),
		                 CD_EINVAL);
		assert_null(t);
	}
}

static void test_reload_and_fetch(void **state)
{
	(void)state;
	char err[512];
	sh("cp %s %s && cp %s %s && cp %s %s", p("a.pem"), p("cur.pem"),
	   p("a.key"), p("cur.key"), p("b.pem"), p("ca.pem"));
	rpc_tls_opts_t o = {p("cur.pem"), p("cur.key"), p("ca.pem")};
	rpc_tls_t *t;
	if (rpc_tls_create(&t, &o, err, sizeof(err)) != CD_OK)
		fail_msg("%s", err);
	assert_int_equal(rpc_tls_mutual(t), 1);
	assert_int_equal(rpc_tls_generation(t), 0);

	/* Making the credentials into a listener fetches the first config. */
	grpc_init();
	grpc_server *srv = grpc_server_create(NULL, NULL);
	grpc_completion_queue *cq = grpc_completion_queue_create_for_next(NULL);
	grpc_server_register_completion_queue(srv, cq, NULL);
	grpc_server_credentials *creds = rpc_tls_server_credentials(t);
	assert_non_null(creds);
	int port = grpc_server_add_http2_port(srv, "127.0.0.1:0", creds);
	grpc_server_credentials_release(creds);
	assert_true(port > 0);
	assert_int_equal(rpc_tls_generation(t), 1);

	/* Bad new files: refused, the loaded ones stay. */
	sh("chmod 640 %s", p("cur.key"));
	assert_int_equal(rpc_tls_reload(t, err, sizeof(err)), CD_EINVAL);
	assert_non_null(strstr(err, "mode 0640"));
	sh("chmod 600 %s && cp %s %s", p("cur.key"), p("b.pem"), p("cur.pem"));
	assert_int_equal(rpc_tls_reload(t, err, sizeof(err)), CD_EINVAL);
	assert_non_null(strstr(err, "does not match"));
	/* Good ones: taken; the fetcher hands them at the next handshake
	 * only, so the count stays until a client connects. */
	sh("cp %s %s", p("b.key"), p("cur.key"));
	assert_int_equal(rpc_tls_reload(t, err, sizeof(err)), CD_OK);
	assert_int_equal(rpc_tls_generation(t), 1);

	static char tag;
	grpc_server_start(srv);
	grpc_server_shutdown_and_notify(srv, cq, &tag);
	grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME),
	                           NULL);
	grpc_server_destroy(srv);
	grpc_completion_queue_shutdown(cq);
	while (grpc_completion_queue_next(cq, gpr_inf_future(
		       GPR_CLOCK_REALTIME), NULL).type != GRPC_QUEUE_SHUTDOWN)
		;
	grpc_completion_queue_destroy(cq);
	grpc_shutdown_blocking();
	rpc_tls_destroy(t);
	rpc_tls_destroy(NULL);
}

static void test_one_way_tls(void **state)
{
	(void)state;
	char err[512];
	rpc_tls_opts_t o = {p("a.pem"), p("a.key"), ""};
	rpc_tls_t *t;
	assert_int_equal(rpc_tls_create(&t, &o, err, sizeof(err)), CD_OK);
	assert_int_equal(rpc_tls_mutual(t), 0);
	rpc_tls_destroy(t);
	rpc_tls_opts_t none = {"", "", ""};
	assert_int_equal(rpc_tls_create(&t, &none, err, sizeof(err)),
	                 CD_EINVAL);
	assert_string_equal(err, "no TLS certificate given");
}

static void test_principal_without_certificate(void **state)
{
	(void)state;
	char out[8] = "junk";
	assert_int_equal(rpc_tls_peer_principal(NULL, out, sizeof(out)),
	                 CD_ENOTFOUND);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_files),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_reload_and_fetch),
		cmocka_unit_test(test_one_way_tls),
		cmocka_unit_test(test_principal_without_certificate),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
