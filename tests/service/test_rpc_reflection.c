/* Server reflection's index and answers (rpc_reflection.c), without a
 * server: the descriptor set built into clusterd against the method table
 * (every service and method defined, streaming shapes as the table
 * declares them), lookups of every kind of symbol, extensions (on a
 * fixture with proto2 extensions, refl_fixture/), the files a file needs,
 * sets that must be refused, and one request to one response for every
 * kind of question and every bad request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cd_error.h"
#include "clusterd_descriptor_set.h"
#include "fx_full.h"
#include "fx_partial.h"
#include "google/protobuf/descriptor.pb-c.h"
#include "grpc/reflection/v1/reflection.pb-c.h"
#include "grpc/reflection/v1alpha/reflection.pb-c.h"
#include "rpc_method.h"
#include "rpc_reflection.h"

typedef Grpc__Reflection__V1__ServerReflectionRequest req_t;
typedef Grpc__Reflection__V1__ServerReflectionResponse resp_t;
#define REQ(x) GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__##x
#define RESP(x) GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__##x

static rpc_refl_t *builtin(void)
{
	rpc_refl_t *r;
	char err[256];
	int rc = rpc_refl_create_builtin(&r, err, sizeof(err));
	if (rc != CD_OK)
		fail_msg("builtin descriptor set: %s", err);
	return r;
}

static rpc_refl_t *fixture(void)
{
	static const char *const svc[] = { "refltest.ext.Echo" };
	rpc_refl_t *r;
	char err[256];
	int rc = rpc_refl_create(&r, refl_fx_full, refl_fx_full_len, svc, 1,
	                         err, sizeof(err));
	if (rc != CD_OK)
		fail_msg("fixture descriptor set: %s", err);
	return r;
}

/* "/pkg.Svc/M" -> "pkg.Svc.M" */
static void symbol_of_path(const char *path, char *out, size_t cap)
{
	snprintf(out, cap, "%s", path + 1);
	char *slash = strchr(out, '/');
	if (slash)
		*slash = '.';
}

static void test_builtin_services(void **state)
{
	(void)state;
	rpc_refl_t *r = builtin();
	size_t n, ns;
	const char *const *svc = rpc_service_names(&ns);
	const char *const *got = rpc_refl_services(r, &n);
	assert_int_equal(n, ns);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(got[i], svc[i]);
		rpc_refl_kind k;
		assert_true(rpc_refl_file_of_symbol(r, svc[i], &k) >= 0);
		assert_int_equal(k, RPC_REFL_SERVICE);
	}
	rpc_refl_destroy(r);
}

/* Every method of the table is defined by a served file, with the
 * streaming shape the table declares (protoc-c's descriptors carry no
 * streaming flags; the descriptor set does). */
static void test_table_matches_descriptors(void **state)
{
	(void)state;
	rpc_refl_t *r = builtin();
	size_t n;
	const rpc_method_t *t = rpc_method_table(&n);
	for (size_t i = 0; i < n; i++) {
		char sym[256];
		int cs, ss;
		symbol_of_path(t[i].path, sym, sizeof(sym));
		if (rpc_refl_method_shape(r, sym, &cs, &ss) != CD_OK)
			fail_msg("%s: not a method of the descriptor set", sym);
		int want_cs = t[i].shape == RPC_CLIENT_STREAM ||
		              t[i].shape == RPC_BIDI_STREAM;
		int want_ss = t[i].shape == RPC_SERVER_STREAM ||
		              t[i].shape == RPC_BIDI_STREAM;
		if (cs != want_cs || ss != want_ss)
			fail_msg("%s: the table says shape %d, the proto "
			         "client_streaming=%d server_streaming=%d", sym,
			         (int)t[i].shape, cs, ss);
	}
	int cs, ss;
	assert_int_equal(rpc_refl_method_shape(r, "clusters.v1.Cluster", &cs,
	                                       &ss), CD_ENOTFOUND);
	rpc_refl_destroy(r);
}

static void test_builtin_files(void **state)
{
	(void)state;
	rpc_refl_t *r = builtin();
	size_t nf = rpc_refl_file_count(r);
	assert_true(nf >= 14);
	static const char *const want[] = {
		"clusters/v1/clusters.proto", "clusters/v1/competitions.proto",
		"clusters/v1/plugins.proto", "clusters/v1/audit.proto",
		"clusters/v1/admin.proto", "google/rpc/status.proto",
		"google/rpc/error_details.proto",
		"google/protobuf/timestamp.proto", "google/protobuf/any.proto",
		"grpc/health/v1/health.proto",
		"grpc/reflection/v1/reflection.proto",
		"grpc/reflection/v1alpha/reflection.proto",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		long f = rpc_refl_file_by_name(r, want[i]);
		if (f < 0)
			fail_msg("%s is not in the set", want[i]);
		assert_string_equal(rpc_refl_file_name(r, (size_t)f), want[i]);
		size_t len;
		const uint8_t *b = rpc_refl_file_bytes(r, (size_t)f, &len);
		Google__Protobuf__FileDescriptorProto *fd =
			google__protobuf__file_descriptor_proto__unpack(NULL,
			                                                len, b);
		assert_non_null(fd);
		assert_string_equal(fd->name, want[i]);
		google__protobuf__file_descriptor_proto__free_unpacked(fd,
		                                                       NULL);
	}
	assert_int_equal(rpc_refl_file_by_name(r, "nope.proto"), -1);
	assert_int_equal(rpc_refl_file_by_name(r, ""), -1);
	assert_null(rpc_refl_file_name(r, nf));
	size_t len;
	assert_null(rpc_refl_file_bytes(r, nf, &len));
	assert_int_equal(len, 0);

	/* competitions.proto: itself first, its imports, and theirs
	 * (status.proto imports any.proto), each once. */
	size_t ids[64];
	long comp = rpc_refl_file_by_name(r, "clusters/v1/competitions.proto");
	size_t n = rpc_refl_file_closure(r, (size_t)comp, ids, 64);
	assert_int_equal(ids[0], (size_t)comp);
	int any = 0, plugins = 0, status = 0;
	for (size_t i = 0; i < n; i++) {
		const char *name = rpc_refl_file_name(r, ids[i]);
		any |= !strcmp(name, "google/protobuf/any.proto");
		plugins |= !strcmp(name, "clusters/v1/plugins.proto");
		status |= !strcmp(name, "google/rpc/status.proto");
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(ids[i], ids[j]);
	}
	assert_true(any && plugins && status);
	assert_int_equal(n, 8); /* itself, 5 imports, plugins' none,
	                          * status' any.proto, ... */
	/* A short buffer gets the first ones. */
	assert_int_equal(rpc_refl_file_closure(r, (size_t)comp, ids, 2), 2);
	assert_int_equal(ids[0], (size_t)comp);
	assert_int_equal(rpc_refl_file_closure(r, nf, ids, 64), 0);
	rpc_refl_destroy(r);
}

static void expect_sym(const rpc_refl_t *r, const char *sym,
                       const char *file, rpc_refl_kind kind)
{
	rpc_refl_kind k;
	long f = rpc_refl_file_of_symbol(r, sym, &k);
	if (f < 0)
		fail_msg("%s: not found", sym);
	if (strcmp(rpc_refl_file_name(r, (size_t)f), file) || k != kind)
		fail_msg("%s: in %s as kind %d, want %s kind %d", sym,
		         rpc_refl_file_name(r, (size_t)f), (int)k, file,
		         (int)kind);
}

static void test_builtin_symbols(void **state)
{
	(void)state;
	rpc_refl_t *r = builtin();
	const char *cl = "clusters/v1/clusters.proto";
	expect_sym(r, "clusters.v1.ClusterRegistry", cl, RPC_REFL_SERVICE);
	expect_sym(r, "clusters.v1.ClusterRegistry.GetCluster", cl,
	           RPC_REFL_METHOD);
	expect_sym(r, "clusters.v1.Cluster", cl, RPC_REFL_MESSAGE);
	expect_sym(r, "clusters.v1.Cluster.id", cl, RPC_REFL_FIELD);
	expect_sym(r, "clusters.v1.Cluster.LabelsEntry", cl, RPC_REFL_MESSAGE);
	expect_sym(r, "clusters.v1.Cluster.LabelsEntry.key", cl,
	           RPC_REFL_FIELD);
	expect_sym(r, "clusters.v1.BackupChunk.part", "clusters/v1/admin.proto",
	           RPC_REFL_ONEOF);
	expect_sym(r, "clusters.v1.ServerInfo.plugin_abi_minor",
	           "clusters/v1/admin.proto", RPC_REFL_FIELD);
	expect_sym(r, "google.protobuf.Timestamp",
	           "google/protobuf/timestamp.proto", RPC_REFL_MESSAGE);
	expect_sym(r, "google.rpc.BadRequest.FieldViolation",
	           "google/rpc/error_details.proto", RPC_REFL_MESSAGE);
	const char *h = "grpc/health/v1/health.proto";
	expect_sym(r, "grpc.health.v1.HealthCheckResponse.ServingStatus", h,
	           RPC_REFL_ENUM);
	expect_sym(r, "grpc.health.v1.HealthCheckResponse.SERVING", h,
	           RPC_REFL_ENUM_VALUE);
	expect_sym(r, "grpc.reflection.v1alpha.ServerReflection."
	           "ServerReflectionInfo",
	           "grpc/reflection/v1alpha/reflection.proto", RPC_REFL_METHOD);
	/* Not symbols: packages, a leading dot, a value under its enum,
	 * prefixes, and the empty name. */
	static const char *const none[] = {
		"clusters.v1", "clusters", ".clusters.v1.Cluster",
		"grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING",
		"clusters.v1.Clust", "clusters.v1.Cluster.", "", "Cluster",
	};
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		rpc_refl_kind k = RPC_REFL_MESSAGE;
		assert_int_equal(rpc_refl_file_of_symbol(r, none[i], &k), -1);
		assert_int_equal(k, 0);
	}
	assert_int_equal(rpc_refl_file_of_symbol(r, "clusters.v1.Nope", NULL),
	                 -1);
	rpc_refl_destroy(r);
}

static void test_fixture_symbols_and_extensions(void **state)
{
	(void)state;
	rpc_refl_t *r = fixture();
	const char *b = "refl_fixture/base.proto", *e = "refl_fixture/ext.proto";
	expect_sym(r, "refltest.Base", b, RPC_REFL_MESSAGE);
	expect_sym(r, "refltest.Base.Inner", b, RPC_REFL_MESSAGE);
	expect_sym(r, "refltest.Base.Inner.Color", b, RPC_REFL_ENUM);
	expect_sym(r, "refltest.Base.Inner.GREEN", b, RPC_REFL_ENUM_VALUE);
	expect_sym(r, "refltest.Base.Inner.pick", b, RPC_REFL_ONEOF);
	expect_sym(r, "refltest.Base.Inner.b", b, RPC_REFL_FIELD);
	expect_sym(r, "refltest.Base.Inner.Deep", b, RPC_REFL_MESSAGE);
	expect_sym(r, "refltest.Base.Inner.Deep.on", b, RPC_REFL_FIELD);
	expect_sym(r, "refltest.Top", b, RPC_REFL_ENUM);
	expect_sym(r, "refltest.TOP_ONE", b, RPC_REFL_ENUM_VALUE);
	expect_sym(r, "refltest.ext.weight", e, RPC_REFL_EXTENSION);
	expect_sym(r, "refltest.ext.note", e, RPC_REFL_EXTENSION);
	expect_sym(r, "refltest.ext.Holder.holder", e, RPC_REFL_EXTENSION);
	expect_sym(r, "refltest.ext.Echo", e, RPC_REFL_SERVICE);
	assert_int_equal(rpc_refl_file_of_symbol(r,
	                 "refltest.Base.Inner.Color.RED", NULL), -1);

	static const struct { const char *m; int cs, ss; } shapes[] = {
		{ "refltest.ext.Echo.Say", 0, 0 },
		{ "refltest.ext.Echo.Chat", 1, 1 },
		{ "refltest.ext.Echo.Tell", 1, 0 },
		{ "refltest.ext.Echo.Hear", 0, 1 },
	};
	for (size_t i = 0; i < 4; i++) {
		int cs = -1, ss = -1;
		assert_int_equal(rpc_refl_method_shape(r, shapes[i].m, &cs, &ss),
		                 CD_OK);
		assert_int_equal(cs, shapes[i].cs);
		assert_int_equal(ss, shapes[i].ss);
	}

	/* Extension numbers, ascending, whatever the declaration order. */
	int32_t nums[8];
	size_t n;
	assert_int_equal(rpc_refl_extension_numbers(r, "refltest.Base", nums,
	                                            8, &n), CD_OK);
	assert_int_equal(n, 3);
	assert_int_equal(nums[0], 101);
	assert_int_equal(nums[1], 120);
	assert_int_equal(nums[2], 150);
	/* A short buffer: the count, and the first ones. */
	assert_int_equal(rpc_refl_extension_numbers(r, "refltest.Base", nums,
	                                            1, &n), CD_OK);
	assert_int_equal(n, 3);
	assert_int_equal(nums[0], 101);
	assert_int_equal(rpc_refl_extension_numbers(r, "refltest.ext.Holder",
	                                            nums, 8, &n), CD_OK);
	assert_int_equal(n, 0);
	/* An enum, a field, nothing: not message types. */
	assert_int_equal(rpc_refl_extension_numbers(r, "refltest.Top", nums,
	                                            8, &n), CD_ENOTFOUND);
	assert_int_equal(rpc_refl_extension_numbers(r, "refltest.Base.id",
	                                            nums, 8, &n), CD_ENOTFOUND);
	assert_int_equal(rpc_refl_extension_numbers(r, "refltest.Nope", nums,
	                                            8, &n), CD_ENOTFOUND);

	int known;
	long ext = rpc_refl_file_by_name(r, e), base = rpc_refl_file_by_name(r,
	                                                                     b);
	assert_int_equal(rpc_refl_file_of_extension(r, "refltest.Base", 150,
	                                            &known), ext);
	assert_true(known);
	assert_int_equal(rpc_refl_file_of_extension(r, "refltest.Base", 120,
	                                            &known), ext);
	assert_int_equal(rpc_refl_file_of_extension(r, "refltest.Base", 102,
	                                            &known), -1);
	assert_true(known);
	assert_int_equal(rpc_refl_file_of_extension(r, "refltest.Nope", 150,
	                                            &known), -1);
	assert_false(known);

	size_t ids[4];
	assert_int_equal(rpc_refl_file_closure(r, (size_t)ext, ids, 4), 2);
	assert_int_equal(ids[0], (size_t)ext);
	assert_int_equal(ids[1], (size_t)base);
	assert_int_equal(rpc_refl_file_closure(r, (size_t)base, ids, 4), 1);
	rpc_refl_destroy(r);
}

static void expect_refused(const uint8_t *set, size_t len,
                           const char *const *svc, size_t nsvc,
                           const char *want)
{
	rpc_refl_t *r = (rpc_refl_t *)1;
	char err[256] = "";
	assert_int_equal(rpc_refl_create(&r, set, len, svc, nsvc, err,
	                                 sizeof(err)), CD_EINVAL);
	assert_null(r);
	if (!strstr(err, want))
		fail_msg("refusal '%s' does not say '%s'", err, want);
}

static void test_refused_sets(void **state)
{
	(void)state;
	static const char *const echo[] = { "refltest.ext.Echo" };
	/* Built without --include_imports: base.proto is missing. */
	expect_refused(refl_fx_partial, refl_fx_partial_len, NULL, 0,
	               "refl_fixture/ext.proto imports refl_fixture/base.proto"
	               ", which the set lacks");
	/* Cut short anywhere inside the last file. */
	expect_refused(refl_fx_full, refl_fx_full_len - 1, NULL, 0,
	               "truncated");
	/* Every file twice. */
	uint8_t *two = malloc(2 * refl_fx_full_len);
	assert_non_null(two);
	memcpy(two, refl_fx_full, refl_fx_full_len);
	memcpy(two + refl_fx_full_len, refl_fx_full, refl_fx_full_len);
	expect_refused(two, 2 * refl_fx_full_len, NULL, 0, "twice");
	free(two);
	/* A file that does not decode; a group; a bad varint. */
	static const uint8_t junk[] = { 0x0a, 0x03, 0xff, 0xff, 0xff };
	expect_refused(junk, sizeof(junk), NULL, 0, "does not decode");
	static const uint8_t group[] = { 0x0b, 0x0c };
	expect_refused(group, sizeof(group), NULL, 0, "wire type 3");
	static const uint8_t varint[] = { 0x0a, 0xff, 0xff, 0xff, 0xff, 0xff,
	                                  0xff, 0xff, 0xff, 0xff, 0xff };
	expect_refused(varint, sizeof(varint), NULL, 0, "truncated");
	/* A file with no name. */
	static const uint8_t noname[] = { 0x0a, 0x02, 0x12, 0x00 };
	expect_refused(noname, sizeof(noname), NULL, 0, "has no name");
	/* Services the set does not define, or that are not services. */
	static const char *const nope[] = { "refltest.ext.Echo",
	                                    "refltest.ext.Nope" };
	expect_refused(refl_fx_full, refl_fx_full_len, nope, 2,
	               "no file defines service refltest.ext.Nope");
	static const char *const msg[] = { "refltest.Base" };
	expect_refused(refl_fx_full, refl_fx_full_len, msg, 1,
	               "no file defines service refltest.Base");

	/* Fields of the set other than file are skipped; an empty set is
	 * an empty index. */
	rpc_refl_t *r;
	char err[128];
	static const uint8_t other[] = { 0x10, 0x05, 0x1a, 0x01, 0x00,
	                                 0x25, 1, 2, 3, 4,
	                                 0x29, 1, 2, 3, 4, 5, 6, 7, 8 };
	assert_int_equal(rpc_refl_create(&r, other, sizeof(other), NULL, 0,
	                                 err, sizeof(err)), CD_OK);
	assert_int_equal(rpc_refl_file_count(r), 0);
	assert_int_equal(rpc_refl_file_of_symbol(r, "x", NULL), -1);
	size_t n;
	assert_int_equal(rpc_refl_extension_numbers(r, "x", NULL, 0, &n),
	                 CD_ENOTFOUND);
	rpc_refl_destroy(r);
	assert_int_equal(rpc_refl_create(&r, refl_fx_full, refl_fx_full_len,
	                                 echo, 1, err, sizeof(err)), CD_OK);
	rpc_refl_destroy(r);
	rpc_refl_destroy(NULL);
}

/* ---------------------------------------------------------- answers */

static resp_t *answer_bytes(const rpc_refl_t *r, const uint8_t *b,
                            size_t len)
{
	uint8_t *out;
	size_t olen;
	assert_int_equal(rpc_refl_answer(r, b, len, &out, &olen), CD_OK);
	resp_t *m = grpc__reflection__v1__server_reflection_response__unpack(
		NULL, olen, out);
	free(out);
	assert_non_null(m);
	return m;
}

static resp_t *answer(const rpc_refl_t *r, const req_t *q)
{
	size_t len = grpc__reflection__v1__server_reflection_request__get_packed_size(q);
	uint8_t *b = malloc(len ? len : 1);
	assert_non_null(b);
	grpc__reflection__v1__server_reflection_request__pack(q, b);
	resp_t *m = answer_bytes(r, b, len);
	free(b);
	return m;
}

static void resp_free(resp_t *m)
{
	grpc__reflection__v1__server_reflection_response__free_unpacked(m,
	                                                                NULL);
}

static void expect_error(resp_t *m, int code, const char *want)
{
	if (m->message_response_case != RESP(MESSAGE_RESPONSE_ERROR_RESPONSE))
		fail_msg("want an error_response with '%s', got case %d", want,
		         (int)m->message_response_case);
	assert_int_equal(m->error_response->error_code, code);
	if (!strstr(m->error_response->error_message, want))
		fail_msg("'%s' does not say '%s'",
		         m->error_response->error_message, want);
	assert_true(strlen(m->error_response->error_message) < 512);
	resp_free(m);
}

static void test_answers(void **state)
{
	(void)state;
	rpc_refl_t *r = builtin();
	req_t q = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;

	q.host = "h:1";
	q.message_request_case = REQ(MESSAGE_REQUEST_LIST_SERVICES);
	q.list_services = "*";
	resp_t *m = answer(r, &q);
	assert_int_equal(m->message_response_case,
	                 RESP(MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE));
	size_t ns;
	const char *const *svc = rpc_service_names(&ns);
	assert_int_equal(m->list_services_response->n_service, ns);
	for (size_t i = 0; i < ns; i++)
		assert_string_equal(m->list_services_response->service[i]->name,
		                    svc[i]);
	assert_string_equal(m->valid_host, "h:1");
	assert_non_null(m->original_request);
	assert_string_equal(m->original_request->list_services, "*");
	resp_free(m);

	/* A symbol: its file first, as the set holds it, then imports. */
	q.host = "";
	q.message_request_case = REQ(MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL);
	q.file_containing_symbol = "clusters.v1.ClusterRegistry.GetCluster";
	m = answer(r, &q);
	assert_int_equal(m->message_response_case,
	                 RESP(MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE));
	const Grpc__Reflection__V1__FileDescriptorResponse *fr =
		m->file_descriptor_response;
	assert_int_equal(fr->n_file_descriptor_proto, 3);
	size_t len;
	const uint8_t *want = rpc_refl_file_bytes(
		r, (size_t)rpc_refl_file_by_name(r, "clusters/v1/clusters.proto"),
		&len);
	assert_int_equal(fr->file_descriptor_proto[0].len, len);
	assert_memory_equal(fr->file_descriptor_proto[0].data, want, len);
	assert_string_equal(m->original_request->file_containing_symbol,
	                    "clusters.v1.ClusterRegistry.GetCluster");
	resp_free(m);

	q.message_request_case = REQ(MESSAGE_REQUEST_FILE_BY_FILENAME);
	q.file_by_filename = "google/protobuf/timestamp.proto";
	m = answer(r, &q);
	assert_int_equal(m->file_descriptor_response->n_file_descriptor_proto,
	                 1);
	resp_free(m);
	q.file_by_filename = "nope.proto";
	expect_error(answer(r, &q), 5, "file \"nope.proto\" not found");

	q.message_request_case = REQ(MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL);
	q.file_containing_symbol = "clusters.v1.Nope";
	expect_error(answer(r, &q), 5, "symbol \"clusters.v1.Nope\" not found");
	/* A long name is quoted in part: the message stays short. */
	char *big = malloc(20001);
	assert_non_null(big);
	memset(big, 'x', 20000);
	big[20000] = '\0';
	q.file_containing_symbol = big;
	expect_error(answer(r, &q), 5, "not found");
	/* Quoting never cuts a character in half: all é. */
	for (size_t i = 0; i + 1 < 20000; i += 2) {
		big[i] = (char)0xc3;
		big[i + 1] = (char)0xa9;
	}
	q.file_containing_symbol = big;
	m = answer(r, &q);
	const char *em = m->error_response->error_message;
	const char *open = strchr(em, '"');
	assert_non_null(open);
	const char *close = strchr(open + 1, '"');
	assert_non_null(close);
	assert_int_equal((close - open - 1) % 2, 0);
	resp_free(m);
	free(big);

	q.message_request_case =
		REQ(MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE);
	q.all_extension_numbers_of_type = "clusters.v1.Cluster";
	m = answer(r, &q);
	assert_int_equal(m->message_response_case,
	                 RESP(MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE));
	assert_string_equal(m->all_extension_numbers_response->base_type_name,
	                    "clusters.v1.Cluster");
	assert_int_equal(m->all_extension_numbers_response->n_extension_number,
	                 0);
	resp_free(m);
	q.all_extension_numbers_of_type = "clusters.v1.ClusterRegistry";
	expect_error(answer(r, &q), 5,
	             "type \"clusters.v1.ClusterRegistry\" not found");

	Grpc__Reflection__V1__ExtensionRequest x =
		GRPC__REFLECTION__V1__EXTENSION_REQUEST__INIT;
	q.message_request_case = REQ(MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION);
	q.file_containing_extension = &x;
	x.containing_type = "clusters.v1.Cluster";
	x.extension_number = 7;
	expect_error(answer(r, &q), 5,
	             "extension 7 of clusters.v1.Cluster not found");
	x.containing_type = "clusters.v1.Nope";
	expect_error(answer(r, &q), 5, "type \"clusters.v1.Nope\" not found");

	q.message_request_case = REQ(MESSAGE_REQUEST__NOT_SET);
	expect_error(answer(r, &q), 3, "asks nothing");
	rpc_refl_destroy(r);
}

static void test_answers_fixture(void **state)
{
	(void)state;
	rpc_refl_t *r = fixture();
	req_t q = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
	Grpc__Reflection__V1__ExtensionRequest x =
		GRPC__REFLECTION__V1__EXTENSION_REQUEST__INIT;
	q.message_request_case = REQ(MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION);
	q.file_containing_extension = &x;
	x.containing_type = "refltest.Base";
	x.extension_number = 120;
	resp_t *m = answer(r, &q);
	assert_int_equal(m->message_response_case,
	                 RESP(MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE));
	assert_int_equal(m->file_descriptor_response->n_file_descriptor_proto,
	                 2);
	Google__Protobuf__FileDescriptorProto *fd =
		google__protobuf__file_descriptor_proto__unpack(
			NULL, m->file_descriptor_response->file_descriptor_proto[0].len,
			m->file_descriptor_response->file_descriptor_proto[0].data);
	assert_non_null(fd);
	assert_string_equal(fd->name, "refl_fixture/ext.proto");
	google__protobuf__file_descriptor_proto__free_unpacked(fd, NULL);
	assert_int_equal(m->original_request->file_containing_extension
	                 ->extension_number, 120);
	resp_free(m);
	x.extension_number = 199;
	expect_error(answer(r, &q), 5, "extension 199 of refltest.Base");

	q.message_request_case =
		REQ(MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE);
	q.all_extension_numbers_of_type = "refltest.Base";
	m = answer(r, &q);
	const Grpc__Reflection__V1__ExtensionNumberResponse *er =
		m->all_extension_numbers_response;
	assert_int_equal(er->n_extension_number, 3);
	assert_int_equal(er->extension_number[0], 101);
	assert_int_equal(er->extension_number[2], 150);
	resp_free(m);

	q.message_request_case = REQ(MESSAGE_REQUEST_LIST_SERVICES);
	q.list_services = "";
	m = answer(r, &q);
	assert_int_equal(m->list_services_response->n_service, 1);
	assert_string_equal(m->list_services_response->service[0]->name,
	                    "refltest.ext.Echo");
	resp_free(m);
	rpc_refl_destroy(r);
}

static void test_bad_requests(void **state)
{
	(void)state;
	rpc_refl_t *r = builtin();
	/* Not a message; a field this server does not know (105); a string
	 * that is not UTF-8 (file_by_filename); one with a NUL; nothing
	 * asked (no bytes, or only the host). */
	static const uint8_t junk[] = { 0xff, 0xff, 0xff };
	expect_error(answer_bytes(r, junk, sizeof(junk)), 3,
	             "not a valid grpc.reflection.v1.ServerReflectionRequest");
	static const uint8_t unknown[] = { 0xca, 0x06, 0x01, 'x' };
	expect_error(answer_bytes(r, unknown, sizeof(unknown)), 12,
	             "this server answers file_by_filename");
	static const uint8_t utf8[] = { 0x1a, 0x02, 0xc3, 0x28 };
	expect_error(answer_bytes(r, utf8, sizeof(utf8)), 3, "UTF-8");
	static const uint8_t nul[] = { 0x22, 0x03, 'a', 0, 'b' };
	expect_error(answer_bytes(r, nul, sizeof(nul)), 3, "file_containing");
	expect_error(answer_bytes(r, NULL, 0), 3, "asks nothing");
	static const uint8_t host[] = { 0x0a, 0x01, 'h' };
	resp_t *m = answer_bytes(r, host, sizeof(host));
	assert_string_equal(m->valid_host, "h");
	expect_error(m, 3, "asks nothing");
	/* Truncated. */
	static const uint8_t cut[] = { 0x22, 0x09, 'a' };
	expect_error(answer_bytes(r, cut, sizeof(cut)), 3, "not a valid");
	rpc_refl_destroy(r);
}

/* v1alpha's messages are v1's under another package: the same fields,
 * numbers, labels and types, all the way down, so one decoder and one
 * encoder serve both. */
static void same_message(const ProtobufCMessageDescriptor *a,
                         const ProtobufCMessageDescriptor *b,
                         unsigned depth)
{
	assert_true(depth < 8);
	assert_string_equal(a->short_name, b->short_name);
	assert_int_equal(a->n_fields, b->n_fields);
	for (unsigned i = 0; i < a->n_fields; i++) {
		const ProtobufCFieldDescriptor *x = &a->fields[i],
		                               *y = &b->fields[i];
		assert_string_equal(x->name, y->name);
		assert_int_equal(x->id, y->id);
		assert_int_equal(x->label, y->label);
		assert_int_equal(x->type, y->type);
		assert_int_equal(x->flags & PROTOBUF_C_FIELD_FLAG_ONEOF,
		                 y->flags & PROTOBUF_C_FIELD_FLAG_ONEOF);
		if (x->type == PROTOBUF_C_TYPE_MESSAGE && x->descriptor != a)
			same_message(x->descriptor, y->descriptor, depth + 1);
	}
}

static void test_v1alpha_is_v1(void **state)
{
	(void)state;
	same_message(&grpc__reflection__v1__server_reflection_request__descriptor,
	             &grpc__reflection__v1alpha__server_reflection_request__descriptor,
	             0);
	same_message(&grpc__reflection__v1__server_reflection_response__descriptor,
	             &grpc__reflection__v1alpha__server_reflection_response__descriptor,
	             0);
	/* A v1alpha request, answered, reads as a v1alpha response. */
	rpc_refl_t *r = builtin();
	Grpc__Reflection__V1alpha__ServerReflectionRequest q =
		GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__INIT;
	q.message_request_case =
		GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL;
	q.file_containing_symbol = "grpc.health.v1.Health";
	uint8_t b[256], *out;
	size_t len = grpc__reflection__v1alpha__server_reflection_request__pack(
		&q, b), olen;
	assert_int_equal(rpc_refl_answer(r, b, len, &out, &olen), CD_OK);
	Grpc__Reflection__V1alpha__ServerReflectionResponse *m =
		grpc__reflection__v1alpha__server_reflection_response__unpack(
			NULL, olen, out);
	free(out);
	assert_non_null(m);
	assert_int_equal(m->file_descriptor_response->n_file_descriptor_proto,
	                 1);
	assert_string_equal(m->original_request->file_containing_symbol,
	                    "grpc.health.v1.Health");
	grpc__reflection__v1alpha__server_reflection_response__free_unpacked(
		m, NULL);
	rpc_refl_destroy(r);
}

/* The embedded array is the set protoc wrote, with a NUL after it. */
static void test_embedded_set(void **state)
{
	(void)state;
	assert_true(clusterd_descriptor_set_len > 1000);
	assert_int_equal(clusterd_descriptor_set[clusterd_descriptor_set_len],
	                 0);
	Google__Protobuf__FileDescriptorSet *s =
		google__protobuf__file_descriptor_set__unpack(
			NULL, clusterd_descriptor_set_len, clusterd_descriptor_set);
	assert_non_null(s);
	rpc_refl_t *r = builtin();
	assert_int_equal(s->n_file, rpc_refl_file_count(r));
	for (size_t i = 0; i < s->n_file; i++)
		assert_string_equal(s->file[i]->name, rpc_refl_file_name(r, i));
	google__protobuf__file_descriptor_set__free_unpacked(s, NULL);
	rpc_refl_destroy(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_services),
		cmocka_unit_test(test_table_matches_descriptors),
		cmocka_unit_test(test_builtin_files),
		cmocka_unit_test(test_builtin_symbols),
		cmocka_unit_test(test_fixture_symbols_and_extensions),
		cmocka_unit_test(test_refused_sets),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_answers_fixture),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_v1alpha_is_v1),
		cmocka_unit_test(test_embedded_set),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
