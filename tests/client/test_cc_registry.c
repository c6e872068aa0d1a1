/* The C client against the real clusterd: every ClusterRegistry and Health
 * method, and every error status they give. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cc_client.h"
#include "cc_json.h"
#include "cc_server.h"

static cc_server_t server;
static cc_client_t *cli;

static int setup(void **state)
{
	(void)state;
	char err[256];
	/* Before the client: no fork once grpc is initialised. */
	const char *extra[] = { "--plugin-dir", CLUSTERD_PLUGIN_DIR, NULL };
	if (cc_server_start(&server, CLUSTERD_BIN, extra, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if (cc_client_open(&cli, server.addr, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	cc_client_set_timeout(cli, 20000);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cc_client_close(cli);
	/* A clean shutdown on SIGTERM exits 0. */
	return cc_server_stop(&server) == 0 ? 0 : -1;
}

static Clusters__V1__Cluster *cl(const char *json)
{
	char err[256];
	json_error_t je;
	json_t *j = json_loads(json, 0, &je);
	if (!j)
		fail_msg("bad test JSON %s: %s", json, je.text);
	ProtobufCMessage *m;
	if (cc_json_to_msg(j, &clusters__v1__cluster__descriptor, &m, err,
	                   sizeof(err)))
		fail_msg("%s", err);
	json_decref(j);
	return (Clusters__V1__Cluster *)m;
}

static int create(Clusters__V1__Cluster *c, Clusters__V1__Cluster **out,
                  cc_status_t *st)
{
	Clusters__V1__CreateClusterRequest req =
		CLUSTERS__V1__CREATE_CLUSTER_REQUEST__INIT;
	req.cluster = c;
	return cc_create_cluster(cli, NULL, &req, out, st);
}

static void expect_status(int rc, const cc_status_t *st, int code,
                          const char *needle)
{
	if (rc != code || st->code != code)
		fail_msg("got %s (%s), expected %s", cc_status_name(rc),
		         st->message, cc_status_name(code));
	if (needle && !strstr(st->message, needle))
		fail_msg("%s: \"%s\" lacks \"%s\"", cc_status_name(code),
		         st->message, needle);
}

static void test_health(void **state)
{
	(void)state;
	const char *names[] = { "", "clusters.v1.ClusterRegistry" };
	for (size_t i = 0; i < 2; i++) {
		Grpc__Health__V1__HealthCheckRequest req =
			GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
		req.service = (char *)names[i];
		Grpc__Health__V1__HealthCheckResponse *r;
		cc_status_t st;
		assert_int_equal(cc_health_check(cli, NULL, &req, &r, &st),
		                 CC_OK);
		assert_int_equal(
			r->status,
			GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
		cc_msg_free(r);
	}
	Grpc__Health__V1__HealthCheckRequest req =
		GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	req.service = "no.such.Service";
	Grpc__Health__V1__HealthCheckResponse *r;
	cc_status_t st;
	expect_status(cc_health_check(cli, NULL, &req, &r, &st), &st,
	              CC_NOT_FOUND, "no.such.Service");
	assert_null(r);
}

static void test_health_watch(void **state)
{
	(void)state;
	Grpc__Health__V1__HealthCheckRequest req =
		GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	req.service = "";
	cc_reader_t *rd;
	cc_status_t st;
	assert_int_equal(cc_health_watch_open(cli, NULL, &req, &rd, &st), CC_OK);
	ProtobufCMessage *m;
	assert_int_equal(cc_reader_next(rd, &m), 1);
	assert_int_equal(
		((Grpc__Health__V1__HealthCheckResponse *)m)->status,
		GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
	cc_msg_free(m);
	/* A watch never ends by itself: closing it cancels the call. */
	expect_status(cc_reader_close(rd, &st), &st, CC_CANCELLED, NULL);
}

static int count_msgs(const ProtobufCMessage *m, void *ud)
{
	(void)m;
	++*(int *)ud;
	return 0;
}

static void test_watch_deadline(void **state)
{
	(void)state;
	Grpc__Health__V1__HealthCheckRequest req =
		GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	req.service = "";
	cc_opts_t o = { 300 };
	int seen = 0;
	cc_status_t st;
	expect_status(cc_health_watch(cli, &o, &req, count_msgs, &seen, &st),
	              &st, CC_DEADLINE_EXCEEDED, NULL);
	assert_int_equal(seen, 1);
	/* Unknown service: Watch reports SERVICE_UNKNOWN, not an error. */
	req.service = "no.such.Service";
	seen = 0;
	cc_reader_t *rd;
	assert_int_equal(cc_health_watch_open(cli, &o, &req, &rd, &st), CC_OK);
	ProtobufCMessage *m;
	if (cc_reader_next(rd, &m)) {
		assert_int_equal(
			((Grpc__Health__V1__HealthCheckResponse *)m)->status,
			GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN);
		cc_msg_free(m);
		seen = 1;
	}
	int rc = cc_reader_close(rd, &st);
	/* Either form is what the health protocol allows. */
	assert_true(seen ? rc == CC_CANCELLED : rc == CC_NOT_FOUND);
}

static void test_create_get(void **state)
{
	(void)state;
	Clusters__V1__Cluster *in = cl(
		"{\"id\":\"tokyo-yokohama\",\"name\":\"Tokyo–Yokohama\","
		"\"economy\":\"JP\",\"region\":\"Kanto\",\"cities\":[\"Tokyo\","
		"\"Yokohama\"],\"industry\":\"S&T\",\"indicators\":[{\"name\":"
		"\"pct_applications\",\"year\":2022,\"value\":127418,\"unit\":"
		"\"applications\"}],\"assessments\":[{\"judge\":\"j1\","
		"\"criterion\":\"governance\",\"score\":7.5,\"recused\":true}],"
		"\"labels\":{\"source\":\"gii2023\"}}");
	Clusters__V1__Cluster *made, *got;
	cc_status_t st;
	assert_int_equal(create(in, &made, &st), CC_OK);
	assert_string_not_equal(made->etag, "");
	assert_non_null(made->create_time);
	assert_non_null(made->update_time);

	Clusters__V1__GetClusterRequest g = CLUSTERS__V1__GET_CLUSTER_REQUEST__INIT;
	g.id = "tokyo-yokohama";
	assert_int_equal(cc_get_cluster(cli, NULL, &g, &got, &st), CC_OK);
	assert_string_equal(got->name, "Tokyo–Yokohama");
	assert_int_equal(got->n_cities, 2);
	assert_string_equal(got->cities[1], "Yokohama");
	assert_int_equal(got->n_indicators, 1);
	assert_true(got->indicators[0]->value == 127418);
	assert_string_equal(got->indicators[0]->unit, "applications");
	assert_int_equal(got->n_assessments, 1);
	assert_true(got->assessments[0]->recused);
	assert_int_equal(got->n_labels, 1);
	assert_string_equal(got->labels[0]->value, "gii2023");
	assert_string_equal(got->etag, made->etag);
	cc_msg_free(got);
	cc_msg_free(made);

	expect_status(create(in, &made, &st), &st, CC_ALREADY_EXISTS,
	              "tokyo-yokohama");
	assert_null(made);
	cc_msg_free(in);

	g.id = "no-such-cluster";
	expect_status(cc_get_cluster(cli, NULL, &g, &got, &st), &st,
	              CC_NOT_FOUND, "no-such-cluster");
	assert_null(got);
}

static void test_invalid(void **state)
{
	(void)state;
	static const struct {
		const char *json;
		const char *field;
	} bad[] = {
		{ "{\"id\":\"Bad ID!\",\"name\":\"x\",\"economy\":\"CN\"}", "id" },
		{ "{\"id\":\"\",\"name\":\"x\",\"economy\":\"CN\"}", "id" },
		{ "{\"id\":\"ok\",\"name\":\"x\",\"economy\":\"CNN\"}",
		  "economy" },
		{ "{\"id\":\"ok\",\"name\":\"x\",\"economy\":\"UK\"}",
		  "economy: \"UK\" is not an ISO 3166-1 alpha-2 code; did you "
		  "mean \"GB\"?" },
		{ "{\"id\":\"ok\",\"name\":\"x\",\"economy\":\"EL\"}",
		  "did you mean \"GR\"?" },
		{ "{\"id\":\"ok\",\"name\":\"x\",\"economy\":\"uk\"}",
		  "\"uk\" is not an ISO 3166-1 alpha-2 code; did you mean "
		  "\"GB\"?" },
		{ "{\"id\":\"ok\",\"name\":\"x\",\"economy\":\"CN/de\"}",
		  "\"de\" is not an ISO 3166-1 alpha-2 code; did you mean "
		  "\"DE\"?" },
		{ "{\"id\":\"ok\",\"name\":\"\",\"economy\":\"CN\"}", "name" },
		{ "{\"id\":\"ok\",\"name\":\"x\",\"economy\":\"CN\","
		  "\"indicators\":[{\"name\":\"p\",\"year\":2020,"
		  "\"value\":\"NaN\"}]}", "indicators[0].value" },
		{ "{\"id\":\"ok\",\"name\":\"x\",\"economy\":\"CN\","
		  "\"indicators\":[{\"name\":\"p\",\"year\":2020,"
		  "\"value\":\"Infinity\"}]}", "indicators[0].value" },
		{ "{\"id\":\"ok\",\"name\":\"x\",\"economy\":\"CN\","
		  "\"indicators\":[{\"name\":\"p\",\"year\":1700,"
		  "\"value\":1}]}", "indicators[0].year" },
		{ "{\"id\":\"ok\",\"name\":\"x\",\"economy\":\"CN\","
		  "\"assessments\":[{\"judge\":\"j\",\"criterion\":\"c\","
		  "\"score\":\"NaN\"}]}", "assessments[0].score" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		Clusters__V1__Cluster *c = cl(bad[i].json), *out;
		cc_status_t st;
		expect_status(create(c, &out, &st), &st, CC_INVALID_ARGUMENT,
		              bad[i].field);
		cc_msg_free(c);
	}
	/* Nothing of them was stored. */
	Clusters__V1__GetClusterRequest g = CLUSTERS__V1__GET_CLUSTER_REQUEST__INIT;
	Clusters__V1__Cluster *got;
	cc_status_t st;
	g.id = "ok";
	expect_status(cc_get_cluster(cli, NULL, &g, &got, &st), &st,
	              CC_NOT_FOUND, NULL);
	g.id = "Bad ID!";
	expect_status(cc_get_cluster(cli, NULL, &g, &got, &st), &st,
	              CC_INVALID_ARGUMENT, "id");
}

static void test_update_delete(void **state)
{
	(void)state;
	Clusters__V1__Cluster *c = cl("{\"id\":\"paris\",\"name\":\"Paris\","
	                              "\"economy\":\"FR\",\"region\":\"IDF\"}");
	Clusters__V1__Cluster *v1, *v2, *out;
	cc_status_t st;
	assert_int_equal(create(c, &v1, &st), CC_OK);
	cc_msg_free(c);

	/* Only the masked field changes. */
	Clusters__V1__Cluster *patch = cl("{\"id\":\"paris\",\"name\":"
	                                  "\"Paris–Saclay\",\"region\":\"\"}");
	char *paths[] = { "name" };
	Google__Protobuf__FieldMask fm = GOOGLE__PROTOBUF__FIELD_MASK__INIT;
	fm.n_paths = 1;
	fm.paths = paths;
	Clusters__V1__UpdateClusterRequest u =
		CLUSTERS__V1__UPDATE_CLUSTER_REQUEST__INIT;
	u.cluster = patch;
	u.update_mask = &fm;
	u.etag = v1->etag;
	assert_int_equal(cc_update_cluster(cli, NULL, &u, &v2, &st), CC_OK);
	assert_string_equal(v2->name, "Paris–Saclay");
	assert_string_equal(v2->region, "IDF");
	assert_string_not_equal(v2->etag, v1->etag);

	/* The first etag is stale now. */
	expect_status(cc_update_cluster(cli, NULL, &u, &out, &st), &st,
	              CC_ABORTED, "etag");
	Clusters__V1__DeleteClusterRequest d =
		CLUSTERS__V1__DELETE_CLUSTER_REQUEST__INIT;
	Clusters__V1__DeleteClusterResponse *dr;
	d.id = "paris";
	d.etag = v1->etag;
	expect_status(cc_delete_cluster(cli, NULL, &d, &dr, &st), &st,
	              CC_ABORTED, "etag");

	/* A mask naming no field of Cluster. */
	char *badp[] = { "population" };
	fm.paths = badp;
	u.etag = "";
	expect_status(cc_update_cluster(cli, NULL, &u, &out, &st), &st,
	              CC_INVALID_ARGUMENT, "population");
	fm.paths = paths;

	d.etag = v2->etag;
	assert_int_equal(cc_delete_cluster(cli, NULL, &d, &dr, &st), CC_OK);
	cc_msg_free(dr);
	expect_status(cc_delete_cluster(cli, NULL, &d, &dr, &st), &st,
	              CC_NOT_FOUND, "paris");
	d.etag = "";
	expect_status(cc_delete_cluster(cli, NULL, &d, &dr, &st), &st,
	              CC_NOT_FOUND, "paris");

	/* Update of a missing cluster: NOT_FOUND, unless allow_missing. */
	u.etag = "";
	u.update_mask = NULL;
	patch->economy = strdup("FR");
	expect_status(cc_update_cluster(cli, NULL, &u, &out, &st), &st,
	              CC_NOT_FOUND, "paris");
	u.allow_missing = 1;
	assert_int_equal(cc_update_cluster(cli, NULL, &u, &out, &st), CC_OK);
	assert_string_equal(out->name, "Paris–Saclay");
	cc_msg_free(out);
	cc_msg_free(patch);
	cc_msg_free(v1);
	cc_msg_free(v2);
}

static void test_list_paging(void **state)
{
	(void)state;
	char json[256];
	cc_status_t st;
	for (int i = 0; i < 25; i++) {
		snprintf(json, sizeof(json),
		         "{\"id\":\"page-%02d\",\"name\":\"P %d\",\"economy\":"
		         "\"%s\",\"cities\":[\"%s\"],\"industry\":\"ict\"}",
		         i, i, i % 5 ? "DE" : "CN/HK", i % 2 ? "Odd" : "Even");
		Clusters__V1__Cluster *c = cl(json), *out;
		assert_int_equal(create(c, &out, &st), CC_OK);
		cc_msg_free(out);
		cc_msg_free(c);
	}
	Clusters__V1__ListClustersRequest req =
		CLUSTERS__V1__LIST_CLUSTERS_REQUEST__INIT;
	req.page_size = 10;
	req.economy = "DE";
	char *token = NULL;
	int pages = 0, total = 0;
	char last[64] = "";
	do {
		Clusters__V1__ListClustersResponse *r;
		req.page_token = token ? token : "";
		assert_int_equal(cc_list_clusters(cli, NULL, &req, &r, &st),
		                 CC_OK);
		assert_true(r->n_clusters <= 10);
		for (size_t i = 0; i < r->n_clusters; i++) {
			assert_string_equal(r->clusters[i]->economy, "DE");
			/* In id order, none repeated across pages. */
			assert_true(strcmp(r->clusters[i]->id, last) > 0);
			snprintf(last, sizeof(last), "%s", r->clusters[i]->id);
		}
		total += (int)r->n_clusters;
		pages++;
		free(token);
		token = r->next_page_token[0] ? strdup(r->next_page_token)
		                              : NULL;
		cc_msg_free(r);
	} while (token);
	assert_int_equal(total, 20);
	assert_int_equal(pages, 2);

	/* A cross-border economy matches each of its parts. */
	Clusters__V1__ListClustersRequest r2 =
		CLUSTERS__V1__LIST_CLUSTERS_REQUEST__INIT;
	Clusters__V1__ListClustersResponse *r;
	r2.economy = "HK";
	r2.city = "Even";
	assert_int_equal(cc_list_clusters(cli, NULL, &r2, &r, &st), CC_OK);
	assert_int_equal(r->n_clusters, 3);  /* page-00, -10, -20 */
	cc_msg_free(r);

	/* Economy codes are stored upper case: the filter is normalised. */
	r2.economy = "hk";
	assert_int_equal(cc_list_clusters(cli, NULL, &r2, &r, &st), CC_OK);
	assert_int_equal(r->n_clusters, 3);
	cc_msg_free(r);
	r2.economy = "cn/Hk";
	r2.city = "";
	assert_int_equal(cc_list_clusters(cli, NULL, &r2, &r, &st), CC_OK);
	assert_int_equal(r->n_clusters, 5);  /* page-00, -05, ... -20 */
	cc_msg_free(r);
	/* ... before the page token is bound to it. */
	r2.economy = "de";
	r2.page_size = 10;
	assert_int_equal(cc_list_clusters(cli, NULL, &r2, &r, &st), CC_OK);
	assert_int_equal(r->n_clusters, 10);
	char *next = strdup(r->next_page_token);
	cc_msg_free(r);
	r2.economy = "DE";
	r2.page_token = next;
	assert_int_equal(cc_list_clusters(cli, NULL, &r2, &r, &st), CC_OK);
	assert_int_equal(r->n_clusters, 10);
	assert_string_equal(r->clusters[0]->id, "page-13");
	cc_msg_free(r);
	free(next);
	r2.page_token = "";
	r2.page_size = 0;
	/* A code that is no ISO code is refused, naming the one meant. */
	r2.economy = "UK";
	expect_status(cc_list_clusters(cli, NULL, &r2, &r, &st), &st,
	              CC_INVALID_ARGUMENT,
	              "economy: \"UK\" is not an ISO 3166-1 alpha-2 code; "
	              "did you mean \"GB\"?");
	r2.economy = "cn/el";
	expect_status(cc_list_clusters(cli, NULL, &r2, &r, &st), &st,
	              CC_INVALID_ARGUMENT, "\"EL\" is not an ISO 3166-1 "
	                                   "alpha-2 code; did you mean \"GR\"?");
	r2.economy = "XX";
	expect_status(cc_list_clusters(cli, NULL, &r2, &r, &st), &st,
	              CC_INVALID_ARGUMENT, "\"XX\" is not an ISO 3166-1 "
	                                   "alpha-2 code");
	assert_null(strstr(st.message, "did you mean"));
	r2.economy = "DEU";
	expect_status(cc_list_clusters(cli, NULL, &r2, &r, &st), &st,
	              CC_INVALID_ARGUMENT, "economy: \"DEU\" is not one");

	r2.economy = "";
	r2.city = "";
	r2.page_token = "not-a-token";
	expect_status(cc_list_clusters(cli, NULL, &r2, &r, &st), &st,
	              CC_INVALID_ARGUMENT, NULL);
}

static void test_import_export(void **state)
{
	(void)state;
	cc_writer_t *w;
	cc_status_t st;
	assert_int_equal(cc_import_clusters_open(cli, NULL, &w, &st), CC_OK);
	char json[256];
	const int n = 1000;
	for (int i = 0; i < n; i++) {
		/* Record 500 is bad: reported, not fatal. */
		snprintf(json, sizeof(json),
		         "{\"id\":\"%s%04d\",\"name\":\"I %d\",\"economy\":"
		         "\"KR\",\"region\":\"imp\",\"indicators\":[{\"name\":"
		         "\"employment\",\"year\":2021,\"value\":%d}]}",
		         i == 500 ? "BAD-" : "imp-", i, i, i);
		Clusters__V1__Cluster *c = cl(json);
		assert_int_equal(cc_writer_write(w, (ProtobufCMessage *)c, &st),
		                 CC_OK);
		cc_msg_free(c);
	}
	Clusters__V1__ImportClustersResponse *r;
	assert_int_equal(cc_import_clusters_finish(w, &r, &st), CC_OK);
	assert_int_equal(r->created, n - 1);
	assert_int_equal(r->updated, 0);
	assert_int_equal(r->rejected, 1);
	assert_int_equal(r->n_errors, 1);
	assert_int_equal(r->errors[0]->index, 500);
	assert_string_equal(r->errors[0]->id, "BAD-0500");
	assert_non_null(strstr(r->errors[0]->field, "id"));
	cc_msg_free(r);

	/* Again: the same records are updates now. */
	assert_int_equal(cc_import_clusters_open(cli, NULL, &w, &st), CC_OK);
	Clusters__V1__Cluster *c = cl("{\"id\":\"imp-0001\",\"name\":\"I 1b\","
	                              "\"economy\":\"KR\",\"region\":\"imp\"}");
	assert_int_equal(cc_writer_write(w, (ProtobufCMessage *)c, &st), CC_OK);
	cc_msg_free(c);
	assert_int_equal(cc_import_clusters_finish(w, &r, &st), CC_OK);
	assert_int_equal(r->created, 0);
	assert_int_equal(r->updated, 1);
	cc_msg_free(r);

	/* An empty stream is a valid import of nothing. */
	assert_int_equal(cc_import_clusters_open(cli, NULL, &w, &st), CC_OK);
	assert_int_equal(cc_import_clusters_finish(w, &r, &st), CC_OK);
	assert_int_equal(r->created + r->updated + r->rejected, 0);
	cc_msg_free(r);

	Clusters__V1__ClusterFilter f = CLUSTERS__V1__CLUSTER_FILTER__INIT;
	f.region = "imp";
	Clusters__V1__ExportClustersRequest er =
		CLUSTERS__V1__EXPORT_CLUSTERS_REQUEST__INIT;
	er.filters = &f;
	int seen = 0;
	assert_int_equal(cc_export_clusters(cli, NULL, &er, count_msgs, &seen,
	                                    &st), CC_OK);
	assert_int_equal(seen, n - 1);
	/* The economy filter is normalised and checked as in ListClusters. */
	f.economy = "kr";
	seen = 0;
	assert_int_equal(cc_export_clusters(cli, NULL, &er, count_msgs, &seen,
	                                    &st), CC_OK);
	assert_int_equal(seen, n - 1);
	f.economy = "uk";
	seen = 0;
	expect_status(cc_export_clusters(cli, NULL, &er, count_msgs, &seen,
	                                 &st), &st, CC_INVALID_ARGUMENT,
	              "filters.economy: \"UK\" is not an ISO 3166-1 alpha-2 "
	              "code; did you mean \"GB\"?");
	assert_int_equal(seen, 0);
	f.economy = "";

	/* The iterator form, stopped early: the call is cancelled. */
	cc_reader_t *rd;
	assert_int_equal(cc_export_clusters_open(cli, NULL, &er, &rd, &st),
	                 CC_OK);
	ProtobufCMessage *m;
	assert_int_equal(cc_reader_next(rd, &m), 1);
	assert_string_equal(((Clusters__V1__Cluster *)m)->id, "imp-0000");
	cc_msg_free(m);
	expect_status(cc_reader_close(rd, &st), &st, CC_CANCELLED, NULL);
}

static void test_import_deadline(void **state)
{
	(void)state;
	/* The server answers an import only after the client half-closes;
	 * closing after the deadline makes DEADLINE_EXCEEDED certain. */
	cc_opts_t o = { 200 };
	cc_writer_t *w;
	cc_status_t st;
	assert_int_equal(cc_import_clusters_open(cli, &o, &w, &st), CC_OK);
	Clusters__V1__Cluster *c = cl("{\"id\":\"late\",\"name\":\"L\","
	                              "\"economy\":\"KR\"}");
	struct timespec ts = { 0, 400 * 1000000L };
	nanosleep(&ts, NULL);
	int rc = cc_writer_write(w, (ProtobufCMessage *)c, &st);
	cc_msg_free(c);
	Clusters__V1__ImportClustersResponse *r;
	if (rc == CC_OK)
		rc = cc_import_clusters_finish(w, &r, &st);
	else
		cc_writer_abort(w);
	expect_status(rc, &st, CC_DEADLINE_EXCEEDED, NULL);

	/* Aborting an open import writes nothing. */
	assert_int_equal(cc_import_clusters_open(cli, NULL, &w, &st), CC_OK);
	c = cl("{\"id\":\"aborted\",\"name\":\"A\",\"economy\":\"KR\"}");
	assert_int_equal(cc_writer_write(w, (ProtobufCMessage *)c, &st), CC_OK);
	cc_msg_free(c);
	cc_writer_abort(w);
	Clusters__V1__GetClusterRequest g = CLUSTERS__V1__GET_CLUSTER_REQUEST__INIT;
	Clusters__V1__Cluster *got;
	g.id = "aborted";
	expect_status(cc_get_cluster(cli, NULL, &g, &got, &st), &st,
	              CC_NOT_FOUND, NULL);
}

static void test_unknown_method(void **state)
{
	(void)state;
	Clusters__V1__GetClusterRequest g = CLUSTERS__V1__GET_CLUSTER_REQUEST__INIT;
	g.id = "x";
	ProtobufCMessage *out;
	cc_status_t st;
	cc_opts_t o = { 5000 };
	expect_status(cc_call_unary(cli, &o, "/clusters.v1.ClusterRegistry/Nope",
	                            (ProtobufCMessage *)&g,
	                            &clusters__v1__cluster__descriptor, &out,
	                            &st),
	              &st, CC_UNIMPLEMENTED, NULL);
	expect_status(cc_call_unary(cli, &o, "/no.Such/Method",
	                            (ProtobufCMessage *)&g,
	                            &clusters__v1__cluster__descriptor, &out,
	                            &st),
	              &st, CC_UNIMPLEMENTED, NULL);
}

static void test_oversized(void **state)
{
	(void)state;
	/* Beyond the server's default 4 MiB receive limit. */
	size_t len = 5 * 1024 * 1024;
	char *big = malloc(len + 1);
	memset(big, 'n', len);
	big[len] = '\0';
	Clusters__V1__Cluster c = CLUSTERS__V1__CLUSTER__INIT;
	c.id = "big";
	c.name = big;
	c.economy = "CN";
	Clusters__V1__Cluster *out;
	cc_status_t st;
	expect_status(create(&c, &out, &st), &st, CC_RESOURCE_EXHAUSTED, NULL);
	free(big);
	/* The server is still there. */
	Clusters__V1__GetClusterRequest g = CLUSTERS__V1__GET_CLUSTER_REQUEST__INIT;
	g.id = "big";
	expect_status(cc_get_cluster(cli, NULL, &g, &out, &st), &st,
	              CC_NOT_FOUND, NULL);
}

static void test_unreachable(void **state)
{
	(void)state;
	/* Port 1 on loopback refuses: UNAVAILABLE, not a hang. */
	cc_client_t *c2;
	char err[64];
	assert_int_equal(cc_client_open(&c2, "127.0.0.1:1", err, sizeof(err)),
	                 CC_OK);
	Clusters__V1__GetClusterRequest g = CLUSTERS__V1__GET_CLUSTER_REQUEST__INIT;
	g.id = "x";
	Clusters__V1__Cluster *out;
	cc_status_t st;
	expect_status(cc_get_cluster(c2, NULL, &g, &out, &st), &st,
	              CC_UNAVAILABLE, NULL);
	cc_client_close(c2);
	assert_int_equal(cc_client_open(&c2, "", err, sizeof(err)),
	                 CC_INVALID_ARGUMENT);
	assert_null(c2);
	assert_string_equal(cc_status_name(CC_ABORTED), "ABORTED");
	assert_string_equal(cc_status_name(99), "UNKNOWN_CODE");
}

/* The CompetitionService and PluginService calls reach the server and come
 * back with the answers for an empty store. */

/* The 9 built-in plugins with their kinds and params, nothing refused. */
static void expect_builtins(const Clusters__V1__ListPluginsResponse *r)
{
	static const struct { const char *name; int kind; } want[] = {
		{ "growth", CLUSTERS__V1__PLUGIN_KIND__PLUGIN_KIND_QUANTITATIVE },
		{ "indicator", CLUSTERS__V1__PLUGIN_KIND__PLUGIN_KIND_QUANTITATIVE },
		{ "mcda", CLUSTERS__V1__PLUGIN_KIND__PLUGIN_KIND_QUANTITATIVE },
		{ "panel", CLUSTERS__V1__PLUGIN_KIND__PLUGIN_KIND_QUALITATIVE },
		{ "promethee", CLUSTERS__V1__PLUGIN_KIND__PLUGIN_KIND_QUANTITATIVE },
		{ "rubric", CLUSTERS__V1__PLUGIN_KIND__PLUGIN_KIND_QUALITATIVE },
		{ "specialization", CLUSTERS__V1__PLUGIN_KIND__PLUGIN_KIND_QUANTITATIVE },
		{ "st_output", CLUSTERS__V1__PLUGIN_KIND__PLUGIN_KIND_QUANTITATIVE },
		{ "topsis", CLUSTERS__V1__PLUGIN_KIND__PLUGIN_KIND_QUANTITATIVE },
	};
	size_t n = sizeof(want) / sizeof(want[0]);
	assert_non_null(r);
	assert_int_equal(r->n_refused, 0);
	assert_int_equal(r->n_plugins, n);
	for (size_t i = 0; i < n; i++) { /* sorted by name */
		const Clusters__V1__Plugin *p = r->plugins[i];
		assert_string_equal(p->name, want[i].name);
		assert_int_equal(p->kind, want[i].kind);
		assert_int_equal(p->abi_major, 2);
		assert_true(p->n_params > 0);
		assert_true(p->params[0]->name[0] && p->params[0]->type[0]);
		char file[64];
		snprintf(file, sizeof(file), "%s.so", want[i].name);
		assert_string_equal(p->file, file);
	}
}

static void test_other_services(void **state)
{
	(void)state;
	cc_status_t st;
	Clusters__V1__GetCompetitionRequest gc =
		CLUSTERS__V1__GET_COMPETITION_REQUEST__INIT;
	Clusters__V1__Competition *comp;
	gc.id = "no-such-competition";
	expect_status(cc_get_competition(cli, NULL, &gc, &comp, &st), &st,
	              CC_NOT_FOUND, NULL);
	Clusters__V1__GetRunRequest gr = CLUSTERS__V1__GET_RUN_REQUEST__INIT;
	Clusters__V1__Run *run;
	gr.id = "no-such-run";
	expect_status(cc_get_run(cli, NULL, &gr, &run, &st), &st, CC_NOT_FOUND,
	              NULL);
	Clusters__V1__RunCompetitionRequest rr =
		CLUSTERS__V1__RUN_COMPETITION_REQUEST__INIT;
	rr.competition_id = "no-such-competition";
	expect_status(cc_run_competition(cli, NULL, &rr, NULL, NULL, &run, &st),
	              &st, CC_NOT_FOUND, "no-such-competition");
	assert_null(run);
	Clusters__V1__DeleteCompetitionRequest dc =
		CLUSTERS__V1__DELETE_COMPETITION_REQUEST__INIT;
	Clusters__V1__DeleteCompetitionResponse *dr;
	dc.id = "no-such-competition";
	expect_status(cc_delete_competition(cli, NULL, &dc, &dr, &st), &st,
	              CC_NOT_FOUND, NULL);

	Clusters__V1__ListCompetitionsRequest lc =
		CLUSTERS__V1__LIST_COMPETITIONS_REQUEST__INIT;
	Clusters__V1__ListCompetitionsResponse *lcr;
	int rc = cc_list_competitions(cli, NULL, &lc, &lcr, &st);
	expect_status(rc, &st, CC_OK, NULL);
	assert_int_equal(lcr->n_competitions, 0);
	cc_msg_free(lcr);
	Clusters__V1__ListRunsRequest lr = CLUSTERS__V1__LIST_RUNS_REQUEST__INIT;
	Clusters__V1__ListRunsResponse *lrr;
	rc = cc_list_runs(cli, NULL, &lr, &lrr, &st);
	expect_status(rc, &st, CC_OK, NULL);
	assert_int_equal(lrr->n_runs, 0);
	cc_msg_free(lrr);
	/* A competition without rounds cannot be evaluated. */
	Clusters__V1__Competition empty = CLUSTERS__V1__COMPETITION__INIT;
	Clusters__V1__EvaluateRequest er = CLUSTERS__V1__EVALUATE_REQUEST__INIT;
	er.competition = &empty;
	expect_status(cc_evaluate(cli, NULL, &er, &run, &st), &st,
	              CC_INVALID_ARGUMENT, "competition.rounds");
	Clusters__V1__CreateCompetitionRequest cc =
		CLUSTERS__V1__CREATE_COMPETITION_REQUEST__INIT;
	cc.competition = &empty;
	expect_status(cc_create_competition(cli, NULL, &cc, &comp, &st), &st,
	              CC_INVALID_ARGUMENT, NULL);

	/* The server runs with the built-in plugins. */
	Clusters__V1__ListPluginsRequest lp =
		CLUSTERS__V1__LIST_PLUGINS_REQUEST__INIT;
	Clusters__V1__ListPluginsResponse *lpr;
	rc = cc_list_plugins(cli, NULL, &lp, &lpr, &st);
	expect_status(rc, &st, CC_OK, NULL);
	expect_builtins(lpr);
	cc_msg_free(lpr);
	Clusters__V1__ReloadPluginsRequest rp =
		CLUSTERS__V1__RELOAD_PLUGINS_REQUEST__INIT;
	rc = cc_reload_plugins(cli, NULL, &rp, &lpr, &st);
	expect_status(rc, &st, CC_OK, NULL);
	expect_builtins(lpr);
	cc_msg_free(lpr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_health),
		cmocka_unit_test(test_health_watch),
		cmocka_unit_test(test_watch_deadline),
		cmocka_unit_test(test_create_get),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_update_delete),
		cmocka_unit_test(test_list_paging),
		cmocka_unit_test(test_import_export),
		cmocka_unit_test(test_import_deadline),
		cmocka_unit_test(test_unknown_method),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_other_services),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
