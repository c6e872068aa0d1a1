/* rpc_auth: the tokens file (every refusal names the file and the line),
 * the lookup by token and by certificate name, bearer headers, roles and
 * the permission check against the method table. */
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

#include "cd_error.h"
#include "rpc_auth.h"
#include "rpc_method.h"

/* SHA-256 of "alice-token", "bob-token" (printf %s | sha256sum). */
static char h_alice[65], h_bob[65];
static char dir[] = "/tmp/test_rpc_auth.XXXXXX";
static char path[256];

static int setup(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/tokens", dir);
	assert_int_equal(rpc_auth_hash_hex("alice-token", 11, h_alice), CD_OK);
	assert_int_equal(rpc_auth_hash_hex("bob-token", 9, h_bob), CD_OK);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

static void write_file(const char *text, mode_t mode)
{
	unlink(path);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

/* Loads text; returns the code, err the message. */
static int load(const char *text, mode_t mode, char *err, size_t errlen)
{
	rpc_auth_t *a;
	write_file(text, mode);
	int rc = rpc_auth_create(&a, path, err, errlen);
	if (rc == CD_OK)
		rpc_auth_destroy(a);
	else
		assert_null(strchr(err, '\n'));
	return rc;
}

static void test_hash(void **state)
{
	(void)state;
	char hex[65];
	/* The SHA-256 test vector of "abc". */
	assert_int_equal(rpc_auth_hash_hex("abc", 3, hex), CD_OK);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
	                         "b00361a396177a9cb410ff61f20015ad");
}

static void test_good_file(void **state)
{
	(void)state;
	char text[1024], err[512];
	rpc_auth_t *a;
	rpc_auth_who_t who;
	snprintf(text, sizeof(text),
	         "# principals\n"
	         "\n"
	         "%s alice@example.org reader,judge\r\n"
	         "   %s\tbob admin   \n"
	         "- svc.exporter-1 reader\n", h_alice, h_bob);
	write_file(text, 0600);
	assert_int_equal(rpc_auth_create(&a, path, err, sizeof(err)), CD_OK);
	assert_int_equal(rpc_auth_count(a), 3);

	assert_int_equal(rpc_auth_token(a, "alice-token", 11, &who), CD_OK);
	assert_string_equal(who.name, "alice@example.org");
	assert_int_equal(who.roles, RPC_ROLE_READER | RPC_ROLE_JUDGE);
	assert_int_equal(rpc_auth_token(a, "bob-token", 9, &who), CD_OK);
	assert_string_equal(who.name, "bob");
	assert_int_equal(who.roles, RPC_ROLE_ADMIN);
	/* Case, one byte, a prefix, the hash itself: all unknown. */
	assert_int_equal(rpc_auth_token(a, "ALICE-TOKEN", 11, &who),
	                 CD_EUNAUTH);
	assert_int_equal(rpc_auth_token(a, "alice-tokem", 11, &who),
	                 CD_EUNAUTH);
	assert_int_equal(rpc_auth_token(a, "alice-toke", 10, &who),
	                 CD_EUNAUTH);
	assert_int_equal(rpc_auth_token(a, h_alice, 64, &who), CD_EUNAUTH);
	assert_int_equal(rpc_auth_token(a, "", 0, &who), CD_EUNAUTH);
	/* A "-" line has no token: "-" and the empty hash match nothing. */
	assert_int_equal(rpc_auth_token(a, "-", 1, &who), CD_EUNAUTH);

	/* Certificate names: any line, by exact name. */
	assert_int_equal(rpc_auth_name(a, "svc.exporter-1", &who), CD_OK);
	assert_int_equal(who.roles, RPC_ROLE_READER);
	assert_int_equal(rpc_auth_name(a, "bob", &who), CD_OK);
	assert_int_equal(rpc_auth_name(a, "Bob", &who), CD_EUNAUTH);

	/* Reload: bob gone, carol in; a bad file keeps the table. */
	snprintf(text, sizeof(text), "%s carol editor\n", h_bob);
	write_file(text, 0600);
	assert_int_equal(rpc_auth_reload(a, err, sizeof(err)), CD_OK);
	assert_int_equal(rpc_auth_count(a), 1);
	assert_int_equal(rpc_auth_token(a, "bob-token", 9, &who), CD_OK);
	assert_string_equal(who.name, "carol");
	assert_int_equal(rpc_auth_token(a, "alice-token", 11, &who),
	                 CD_EUNAUTH);
	write_file("nonsense\n", 0600);
	assert_int_equal(rpc_auth_reload(a, err, sizeof(err)), CD_EINVAL);
	assert_non_null(strstr(err, "line 1"));
	assert_int_equal(rpc_auth_token(a, "bob-token", 9, &who), CD_OK);
	chmod(path, 0640);
	assert_int_not_equal(rpc_auth_reload(a, err, sizeof(err)), CD_OK);
	unlink(path);
	assert_int_equal(rpc_auth_reload(a, err, sizeof(err)), CD_EINVAL);
	assert_int_equal(rpc_auth_count(a), 1);
	rpc_auth_destroy(a);
}

static void test_refusals(void **state)
{
	(void)state;
	char text[1024], err[512];
	struct {
		const char *fmt;   /* %s: alice's hash, %s: bob's */
		const char *want;  /* in the message */
	} bad[] = {
		{"%.63s alice reader\n", "line 1: the hash is 63"},
		{"x%.63s alice reader\n", "not a hex digit"},
		{"%s alice\n", "three fields"},
		{"%s alice reader extra\n", "three fields"},
		{"%s al/ice reader\n", "name 'al/ice'"},
		{"%s alice reader,owner\n", "roles 'reader,owner'"},
		{"%s alice reader,\n", "roles"},
		{"%s alice Reader\n", "roles"},
		{"# c\n%s alice reader\n%s alice editor\n",
		 "line 3: duplicate name 'alice'"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), bad[i].fmt, h_alice, h_bob);
		err[0] = '\0';
		assert_int_equal(load(text, 0600, err, sizeof(err)), CD_EINVAL);
		if (!strstr(err, bad[i].want) || !strstr(err, path))
			fail_msg("case %zu: '%s' lacks '%s'", i, err,
			         bad[i].want);
	}
	/* The same hash twice: one token would be two principals. */
	snprintf(text, sizeof(text), "%s alice reader\n%s bob reader\n",
	         h_alice, h_alice);
	assert_int_equal(load(text, 0600, err, sizeof(err)), CD_EINVAL);
	assert_non_null(strstr(err, "line 2: duplicate hash"));
	/* Upper-case hex is the same hash. */
	char upper[65];
	for (int i = 0; i < 65; i++)
		upper[i] = (char)(h_alice[i] >= 'a' ? h_alice[i] - 32
		                                    : h_alice[i]);
	snprintf(text, sizeof(text), "%s alice reader\n%s bob reader\n",
	         h_alice, upper);
	assert_int_equal(load(text, 0600, err, sizeof(err)), CD_EINVAL);
	/* Two certificate-only lines are fine. */
	assert_int_equal(load("- a reader\n- b reader\n", 0600, err,
	                      sizeof(err)), CD_OK);
	/* A long name: 128 is the most. */
	char name[200];
	memset(name, 'n', 129);
	name[129] = '\0';
	snprintf(text, sizeof(text), "- %.128s reader\n", name);
	assert_int_equal(load(text, 0600, err, sizeof(err)), CD_OK);
	snprintf(text, sizeof(text), "- %s reader\n", name);
	assert_int_equal(load(text, 0600, err, sizeof(err)), CD_EINVAL);

	/* Modes: anything for group or others is refused. */
	snprintf(text, sizeof(text), "%s alice reader\n", h_alice);
	assert_int_equal(load(text, 0400, err, sizeof(err)), CD_OK);
	mode_t modes[] = {0644, 0640, 0604, 0620, 0602, 0610};
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		assert_int_equal(load(text, modes[i], err, sizeof(err)),
		                 CD_EINVAL);
		assert_non_null(strstr(err, "group or others"));
		assert_non_null(strstr(err, path));
	}
	/* Missing, and a directory. */
	rpc_auth_t *a;
	unlink(path);
	assert_int_equal(rpc_auth_create(&a, path, err, sizeof(err)), CD_EINVAL);
	assert_null(a);
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(rpc_auth_create(&a, dir, err, sizeof(err)) != CD_OK,
	                 1);
}

static void test_bearer(void **state)
{
	(void)state;
	const char *t;
	size_t n;
	assert_int_equal(rpc_auth_bearer("Bearer abc", 10, &t, &n), CD_OK);
	assert_int_equal(n, 3);
	assert_memory_equal(t, "abc", 3);
	assert_int_equal(rpc_auth_bearer("bearer   abc", 12, &t, &n), CD_OK);
	assert_int_equal(n, 3);
	assert_int_equal(rpc_auth_bearer("Bearer ", 7, &t, &n), CD_EUNAUTH);
	assert_int_equal(rpc_auth_bearer("Basic abc", 9, &t, &n), CD_EUNAUTH);
	assert_int_equal(rpc_auth_bearer("Bearerabc", 9, &t, &n), CD_EUNAUTH);
	assert_int_equal(rpc_auth_bearer("abc", 3, &t, &n), CD_EUNAUTH);
}

static void test_roles(void **state)
{
	(void)state;
	unsigned r;
	char buf[64];
	assert_int_equal(rpc_auth_roles_parse("admin,judge", 11, &r), 0);
	assert_int_equal(r, RPC_ROLE_ADMIN | RPC_ROLE_JUDGE);
	rpc_auth_roles_format(r, buf, sizeof(buf));
	assert_string_equal(buf, "judge,admin");
	rpc_auth_roles_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "none");
	assert_int_equal(rpc_auth_roles_parse("", 0, &r), -1);
	assert_int_equal(rpc_auth_effective(RPC_ROLE_ADMIN),
	                 RPC_ROLE_ADMIN | RPC_ROLE_EDITOR | RPC_ROLE_READER);
	assert_int_equal(rpc_auth_effective(RPC_ROLE_JUDGE),
	                 RPC_ROLE_JUDGE | RPC_ROLE_READER);
	assert_int_equal(rpc_auth_effective(RPC_ROLE_READER), RPC_ROLE_READER);
	assert_true(rpc_auth_blinded(RPC_ROLE_JUDGE));
	assert_true(rpc_auth_blinded(RPC_ROLE_JUDGE | RPC_ROLE_READER));
	assert_false(rpc_auth_blinded(RPC_ROLE_JUDGE | RPC_ROLE_EDITOR));
	assert_false(rpc_auth_blinded(RPC_ROLE_JUDGE | RPC_ROLE_ADMIN));
	assert_false(rpc_auth_blinded(RPC_ROLE_READER));
}

static const rpc_method_t *find(const char *name)
{
	size_t n;
	const rpc_method_t *t = rpc_method_table(&n);
	for (size_t i = 0; i < n; i++) {
		const char *s = strrchr(t[i].path, '/');
		if (!strcmp(s + 1, name))
			return &t[i];
	}
	fail_msg("no method %s", name);
	return NULL;
}

static void test_permit(void **state)
{
	(void)state;
	char err[256];
	const rpc_method_t *get = find("GetCluster");
	const rpc_method_t *upd = find("UpdateCluster");
	const rpc_method_t *del = find("DeleteRun");
	const rpc_method_t *chk = find("Check");
	assert_int_equal(rpc_auth_permit(get, "j", RPC_ROLE_JUDGE, err,
	                                 sizeof(err)), CD_OK);
	assert_int_equal(rpc_auth_permit(upd, "j", RPC_ROLE_JUDGE, err,
	                                 sizeof(err)), CD_OK);
	assert_int_equal(rpc_auth_permit(upd, "r", RPC_ROLE_READER, err,
	                                 sizeof(err)), CD_EPERM);
	assert_string_equal(err, "UpdateCluster needs role editor; r has "
	                         "reader");
	assert_int_equal(rpc_auth_permit(del, "e", RPC_ROLE_EDITOR |
	                                 RPC_ROLE_JUDGE, err, sizeof(err)),
	                 CD_EPERM);
	assert_string_equal(err, "DeleteRun needs role admin; e has "
	                         "editor,judge");
	assert_int_equal(rpc_auth_permit(del, "a", RPC_ROLE_ADMIN, err,
	                                 sizeof(err)), CD_OK);
	assert_int_equal(rpc_auth_permit(chk, "x", 0, err, sizeof(err)),
	                 CD_OK);
	/* No role decided: nobody, not even admin. */
	rpc_method_t undecided = *get;
	undecided.role = 0;
	assert_int_equal(rpc_auth_permit(&undecided, "a", RPC_ROLE_ALL, err,
	                                 sizeof(err)), CD_EPERM);
}

/* One header (key, value) in md, or none when key is NULL. */
static void set_md(grpc_metadata_array *md, grpc_metadata *one,
                   const char *key, const char *value)
{
	md->count = md->capacity = key ? 1 : 0;
	md->metadata = key ? one : NULL;
	if (key) {
		one->key = grpc_slice_from_static_string(key);
		one->value = grpc_slice_from_static_string(value);
	}
}

static void test_check(void **state)
{
	(void)state;
	char text[512], err[256], hdr[64];
	rpc_auth_t *a;
	rpc_auth_who_t who;
	grpc_metadata_array md;
	grpc_metadata one;
	const rpc_method_t *get = find("GetCluster");
	const rpc_method_t *chk = find("Check");
	snprintf(text, sizeof(text), "%s alice judge\n- cert.example reader\n",
	         h_alice);
	write_file(text, 0600);
	assert_int_equal(rpc_auth_create(&a, path, err, sizeof(err)), CD_OK);

	set_md(&md, &one, NULL, NULL);
	assert_int_equal(rpc_auth_check(a, &md, NULL, get, &who, err,
	                                sizeof(err)), CD_EUNAUTH);
	assert_string_equal(err, "missing credentials: send authorization: "
	                         "Bearer <token>");
	/* Health: open whatever the credentials. */
	assert_int_equal(rpc_auth_check(a, &md, NULL, chk, &who, err,
	                                sizeof(err)), CD_OK);
	assert_string_equal(who.name, "");
	/* Unknown methods need a principal. */
	assert_int_equal(rpc_auth_check(a, &md, NULL, NULL, &who, err,
	                                sizeof(err)), CD_EUNAUTH);

	snprintf(hdr, sizeof(hdr), "Bearer alice-token");
	set_md(&md, &one, "authorization", hdr);
	assert_int_equal(rpc_auth_check(a, &md, NULL, get, &who, err,
	                                sizeof(err)), CD_OK);
	assert_string_equal(who.name, "alice");
	assert_int_equal(rpc_auth_check(a, &md, NULL, find("DeleteRun"), &who,
	                                err, sizeof(err)), CD_EPERM);
	assert_string_equal(who.name, "alice");   /* for the log line */
	assert_string_equal(err, "DeleteRun needs role admin; alice has "
	                         "judge");
	/* A token decides over a certificate, good or bad. */
	set_md(&md, &one, "authorization", "Bearer nope");
	assert_int_equal(rpc_auth_check(a, &md, "cert.example", get, &who, err,
	                                sizeof(err)), CD_EUNAUTH);
	assert_string_equal(err, "unknown token");
	set_md(&md, &one, "authorization", "Token alice-token");
	assert_int_equal(rpc_auth_check(a, &md, NULL, get, &who, err,
	                                sizeof(err)), CD_EUNAUTH);
	assert_non_null(strstr(err, "Bearer <token>"));
	/* Other headers are not credentials. */
	set_md(&md, &one, "x-authorization", "Bearer alice-token");
	assert_int_equal(rpc_auth_check(a, &md, NULL, get, &who, err,
	                                sizeof(err)), CD_EUNAUTH);
	/* A certificate's name, looked up in the same file. */
	set_md(&md, &one, NULL, NULL);
	assert_int_equal(rpc_auth_check(a, &md, "cert.example", get, &who,
	                                err, sizeof(err)), CD_OK);
	assert_string_equal(who.name, "cert.example");
	assert_int_equal(rpc_auth_check(a, &md, "stranger", get, &who, err,
	                                sizeof(err)), CD_EUNAUTH);
	rpc_auth_destroy(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_bearer),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_permit),
		cmocka_unit_test(test_check),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
