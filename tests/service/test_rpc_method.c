/* The method table: well-formed paths, unique, shapes as in the protos,
 * and every service of the table known to health. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cd_error.h"
#include "rpc_health.h"
#include "rpc_method.h"

static const rpc_method_t *find(const char *path)
{
	size_t n;
	const rpc_method_t *t = rpc_method_table(&n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].path, path) == 0)
			return &t[i];
	return NULL;
}

static void test_paths(void **state)
{
	(void)state;
	size_t n, ns;
	const rpc_method_t *t = rpc_method_table(&n);
	const char *const *svc = rpc_service_names(&ns);
	assert_int_equal(n, 31);
	for (size_t i = 0; i < n; i++) {
		char prefix[128];
		snprintf(prefix, sizeof(prefix), "/%s/", t[i].service);
		assert_int_equal(strncmp(t[i].path, prefix, strlen(prefix)), 0);
		assert_true(strlen(t[i].path) > strlen(prefix));
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(t[i].path, t[j].path);
		int known = 0;
		for (size_t k = 0; k < ns; k++)
			known |= strcmp(svc[k], t[i].service) == 0;
		assert_true(known);
	}
	/* Each service once (health and list_services take the list). */
	for (size_t i = 0; i < ns; i++)
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(svc[i], svc[j]);
	assert_int_equal(ns, 8);
}

static void test_shapes(void **state)
{
	(void)state;
	const rpc_method_t *m = find("/clusters.v1.ClusterRegistry/ImportClusters");
	assert_non_null(m);
	assert_int_equal(m->shape, RPC_CLIENT_STREAM);
	m = find("/clusters.v1.ClusterRegistry/ExportClusters");
	assert_int_equal(m->shape, RPC_SERVER_STREAM);
	m = find("/clusters.v1.CompetitionService/RunCompetition");
	assert_int_equal(m->shape, RPC_SERVER_STREAM);
	m = find("/grpc.health.v1.Health/Watch");
	assert_int_equal(m->shape, RPC_SERVER_STREAM);
	m = find("/clusters.v1.ClusterRegistry/GetCluster");
	assert_int_equal(m->shape, RPC_UNARY);
	assert_non_null(m->handler);
	m = find("/clusters.v1.CompetitionService/UpdateCompetition");
	assert_non_null(m);
	assert_int_equal(m->shape, RPC_UNARY);
	assert_non_null(m->handler);
	m = find("/clusters.v1.CompetitionService/DeleteRun");
	assert_non_null(m);
	assert_int_equal(m->shape, RPC_UNARY);
	assert_non_null(m->handler);
	m = find("/clusters.v1.AuditService/ListAuditEvents");
	assert_non_null(m);
	assert_int_equal(m->shape, RPC_UNARY);
	assert_non_null(m->handler);
	m = find("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo");
	assert_non_null(m);
	assert_int_equal(m->shape, RPC_BIDI_STREAM);
	assert_non_null(m->handler);
	assert_int_equal(m->role, RPC_ROLE_READER);
	m = find("/grpc.reflection.v1alpha.ServerReflection/"
	         "ServerReflectionInfo");
	assert_non_null(m);
	assert_int_equal(m->shape, RPC_BIDI_STREAM);
	assert_non_null(m->handler);
	m = find("/clusters.v1.AdminService/GetServerInfo");
	assert_non_null(m);
	assert_int_equal(m->shape, RPC_UNARY);
	assert_non_null(m->handler);
	assert_int_equal(m->role, RPC_ROLE_READER);
	assert_false(m->writes);
	assert_true(RPC_SHAPE_READS(RPC_BIDI_STREAM));
	assert_true(RPC_SHAPE_READS(RPC_CLIENT_STREAM));
	assert_false(RPC_SHAPE_READS(RPC_SERVER_STREAM));
	assert_false(RPC_SHAPE_READS(RPC_UNARY));
	assert_null(find("/clusters.v1.ClusterRegistry/Nope"));
}

/* The methods a read-only replica refuses (docs/operations.md): exactly
 * these are marked `writes` (replica_test.py checks the same list against
 * the server), and each has a handler. Backup, Evaluate and ReloadPlugins
 * are not: a replica serves them (the last two record nothing in the
 * store there). */
static void test_writes(void **state)
{
	(void)state;
	static const char *const writes[] = {
		"/clusters.v1.ClusterRegistry/CreateCluster",
		"/clusters.v1.ClusterRegistry/UpdateCluster",
		"/clusters.v1.ClusterRegistry/DeleteCluster",
		"/clusters.v1.ClusterRegistry/ImportClusters",
		"/clusters.v1.CompetitionService/CreateCompetition",
		"/clusters.v1.CompetitionService/UpdateCompetition",
		"/clusters.v1.CompetitionService/DeleteCompetition",
		"/clusters.v1.CompetitionService/RunCompetition",
		"/clusters.v1.CompetitionService/StartRun",
		"/clusters.v1.CompetitionService/CancelRun",
		"/clusters.v1.CompetitionService/DeleteRun",
	};
	size_t n, marked = 0;
	const rpc_method_t *t = rpc_method_table(&n);
	for (size_t i = 0; i < n; i++)
		marked += t[i].writes != 0;
	assert_int_equal(marked, sizeof(writes) / sizeof(writes[0]));
	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		const rpc_method_t *m = find(writes[i]);
		assert_non_null(m);
		assert_int_equal(m->writes, 1);
		assert_non_null(m->handler);
	}
	const rpc_method_t *b = find("/clusters.v1.AdminService/Backup");
	assert_non_null(b);
	assert_non_null(b->handler);
	assert_int_equal(b->shape, RPC_SERVER_STREAM);
	assert_int_equal(b->writes, 0);
}

/* Every method has a role decided on purpose (docs/security.md, "Roles");
 * a new entry without one fails here (and is refused to every caller). */
static void test_roles(void **state)
{
	(void)state;
	size_t n;
	const rpc_method_t *t = rpc_method_table(&n);
	for (size_t i = 0; i < n; i++) {
		unsigned r = t[i].role;
		if (r != RPC_ROLE_OPEN && r != RPC_ROLE_READER &&
		    r != RPC_ROLE_EDITOR && r != RPC_ROLE_ADMIN)
			fail_msg("%s: role %#x is not one of reader, editor, "
			         "admin, open", t[i].path, r);
		/* Only health is open to callers without credentials. */
		assert_int_equal(r == RPC_ROLE_OPEN,
		                 strcmp(t[i].service, "grpc.health.v1.Health")
		                 == 0);
		/* Judges write through UpdateCluster only. */
		assert_int_equal(t[i].judge_own,
		                 strcmp(t[i].path, "/clusters.v1.ClusterRegistry/"
		                        "UpdateCluster") == 0);
	}
	assert_int_equal(find("/clusters.v1.PluginService/ReloadPlugins")->role,
	                 RPC_ROLE_ADMIN);
	assert_int_equal(find("/clusters.v1.CompetitionService/Evaluate")->role,
	                 RPC_ROLE_EDITOR);
}

static void test_health_knows_services(void **state)
{
	(void)state;
	size_t ns;
	const char *const *svc = rpc_service_names(&ns);
	rpc_health_t *h;
	char err[128];
	int st;
	assert_int_equal(rpc_health_create(&h, svc, ns, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(rpc_health_get(h, "", &st), CD_OK);
	assert_int_equal(st, RPC_HEALTH_NOT_SERVING);
	rpc_health_set_all(h, RPC_HEALTH_SERVING);
	for (size_t i = 0; i < ns; i++) {
		assert_int_equal(rpc_health_get(h, svc[i], &st), CD_OK);
		assert_int_equal(st, RPC_HEALTH_SERVING);
	}
	assert_int_equal(rpc_health_get(h, "clusters.v1.Nope", &st),
	                 CD_ENOTFOUND);
	assert_int_equal(st, RPC_HEALTH_SERVICE_UNKNOWN);
	rpc_health_shutdown(h);
	assert_int_equal(rpc_health_get(h, "", &st), CD_OK);
	assert_int_equal(st, RPC_HEALTH_NOT_SERVING);
	rpc_health_destroy(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_writes),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_health_knows_services),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
