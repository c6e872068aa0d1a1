/* cc_json: proto3 JSON mapping of every message of the contract. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cc_client.h"
#include "cc_fill.h"
#include "cc_json.h"
#include "cd_error.h"
#include "google/protobuf/field_mask.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"

static const ProtobufCMessageDescriptor *const all_types[] = {
	&grpc__health__v1__health_check_request__descriptor,
	&grpc__health__v1__health_check_response__descriptor,
	&google__protobuf__double_value__descriptor,
	&google__protobuf__float_value__descriptor,
	&google__protobuf__int64_value__descriptor,
	&google__protobuf__uint64_value__descriptor,
	&google__protobuf__int32_value__descriptor,
	&google__protobuf__uint32_value__descriptor,
	&google__protobuf__bool_value__descriptor,
	&google__protobuf__string_value__descriptor,
	&google__protobuf__field_mask__descriptor,
	&google__protobuf__timestamp__descriptor,
	&clusters__v1__filter__descriptor,
	&clusters__v1__criterion__descriptor,
	&clusters__v1__criterion__params_entry__descriptor,
	&clusters__v1__selection__descriptor,
	&clusters__v1__round__descriptor,
	&clusters__v1__competition__descriptor,
	&clusters__v1__criterion_score__descriptor,
	&clusters__v1__sensitivity_stats__descriptor,
	&clusters__v1__standing__descriptor,
	&clusters__v1__group_count__descriptor,
	&clusters__v1__summary__descriptor,
	&clusters__v1__plugin_use__descriptor,
	&clusters__v1__sensitivity_options__descriptor,
	&clusters__v1__run__descriptor,
	&clusters__v1__progress__descriptor,
	&clusters__v1__run_event__descriptor,
	&clusters__v1__create_competition_request__descriptor,
	&clusters__v1__get_competition_request__descriptor,
	&clusters__v1__list_competitions_request__descriptor,
	&clusters__v1__list_competitions_response__descriptor,
	&clusters__v1__delete_competition_request__descriptor,
	&clusters__v1__delete_competition_response__descriptor,
	&clusters__v1__run_competition_request__descriptor,
	&clusters__v1__get_run_request__descriptor,
	&clusters__v1__list_runs_request__descriptor,
	&clusters__v1__list_runs_response__descriptor,
	&clusters__v1__evaluate_request__descriptor,
	&clusters__v1__update_competition_request__descriptor,
	&clusters__v1__delete_run_request__descriptor,
	&clusters__v1__delete_run_response__descriptor,
	&clusters__v1__plugin_param__descriptor,
	&clusters__v1__plugin__descriptor,
	&clusters__v1__list_plugins_request__descriptor,
	&clusters__v1__list_plugins_response__descriptor,
	&clusters__v1__reload_plugins_request__descriptor,
	&clusters__v1__indicator__descriptor,
	&clusters__v1__assessment__descriptor,
	&clusters__v1__cluster__descriptor,
	&clusters__v1__cluster__labels_entry__descriptor,
	&clusters__v1__create_cluster_request__descriptor,
	&clusters__v1__get_cluster_request__descriptor,
	&clusters__v1__update_cluster_request__descriptor,
	&clusters__v1__delete_cluster_request__descriptor,
	&clusters__v1__delete_cluster_response__descriptor,
	&clusters__v1__cluster_filter__descriptor,
	&clusters__v1__list_clusters_request__descriptor,
	&clusters__v1__list_clusters_response__descriptor,
	&clusters__v1__import_error__descriptor,
	&clusters__v1__import_clusters_response__descriptor,
	&clusters__v1__export_clusters_request__descriptor,
};

/* msg -> JSON text -> JSON -> msg must give the same bytes, and the text
 * must read back to the same JSON. */
static void round_trip(const ProtobufCMessage *m)
{
	char err[512];
	json_t *j = cc_json_from_msg(m, err, sizeof(err));
	assert_non_null(j);
	char *text = cc_json_dumps(j, 2);
	assert_non_null(text);
	json_error_t je;
	json_t *j2 = json_loads(text, JSON_DECODE_ANY, &je);
	assert_non_null(j2);
	assert_true(json_equal(j, j2));
	ProtobufCMessage *back = NULL;
	int rc = cc_json_to_msg(j2, m->descriptor, &back, err, sizeof(err));
	if (rc)
		fail_msg("%s: %s\n%s", m->descriptor->name, err, text);
	assert_true(cc_same(m, back));
	cc_msg_free(back);
	json_decref(j2);
	json_decref(j);
	free(text);
}

static void test_round_trip_every_type(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(all_types) / sizeof(all_types[0]); i++) {
		const ProtobufCMessageDescriptor *d = all_types[i];
		/* Every member of a oneof gets its turn. */
		for (unsigned pick = 0; pick < 2; pick++) {
			ProtobufCMessage *m = cc_fill(d, pick);
			/* A filled message is not empty unless the type is. */
			if (d->n_fields)
				assert_true(protobuf_c_message_get_packed_size(m) >
				            0);
			round_trip(m);
			cc_msg_free(m);
		}
		/* The empty message too: {} both ways. */
		ProtobufCMessage *e = malloc(d->sizeof_message);
		d->message_init(e);
		round_trip(e);
		cc_msg_free(e);
	}
}

static json_t *load(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (!j)
		fail_msg("bad test JSON: %s", je.text);
	return j;
}

static char *to_text(const ProtobufCMessage *m)
{
	char err[256];
	json_t *j = cc_json_from_msg(m, err, sizeof(err));
	assert_non_null(j);
	char *s = cc_json_dumps(j, 0);
	json_decref(j);
	return s;
}

static void test_output_form(void **state)
{
	(void)state;
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	ts.seconds = 1700000000;
	ts.nanos = 500000000;
	Clusters__V1__Indicator ind = CLUSTERS__V1__INDICATOR__INIT;
	ind.name = "pct_applications";
	ind.year = 2022;
	ind.value = 127418;
	Clusters__V1__Indicator *inds[] = { &ind };
	Clusters__V1__Cluster__LabelsEntry le =
		CLUSTERS__V1__CLUSTER__LABELS_ENTRY__INIT;
	le.key = "source";
	le.value = "gii";
	Clusters__V1__Cluster__LabelsEntry *les[] = { &le };
	Clusters__V1__Cluster c = CLUSTERS__V1__CLUSTER__INIT;
	c.id = "tokyo";
	c.economy = "JP";
	c.n_indicators = 1;
	c.indicators = inds;
	c.n_labels = 1;
	c.labels = les;
	c.update_time = &ts;
	char *s = to_text((ProtobufCMessage *)&c);
	assert_string_equal(
		s, "{\"id\":\"tokyo\",\"economy\":\"JP\",\"indicators\":"
		   "[{\"name\":\"pct_applications\",\"year\":2022,"
		   "\"value\":127418.0}],\"labels\":{\"source\":\"gii\"},"
		   "\"updateTime\":\"2023-11-14T22:13:20.500Z\"}");
	free(s);

	Clusters__V1__ImportClustersResponse r =
		CLUSTERS__V1__IMPORT_CLUSTERS_RESPONSE__INIT;
	r.created = 9007199254740993LL;
	s = to_text((ProtobufCMessage *)&r);
	assert_string_equal(s, "{\"created\":\"9007199254740993\"}");
	free(s);

	Clusters__V1__CriterionScore cs = CLUSTERS__V1__CRITERION_SCORE__INIT;
	cs.raw = NAN;
	cs.normalized = INFINITY;
	cs.weighted = -INFINITY;
	s = to_text((ProtobufCMessage *)&cs);
	assert_string_equal(s, "{\"raw\":\"NaN\",\"normalized\":\"Infinity\","
	                       "\"weighted\":\"-Infinity\"}");
	free(s);

	/* Wrappers are plain values, kept even at zero; enums by name. */
	Google__Protobuf__DoubleValue dv = GOOGLE__PROTOBUF__DOUBLE_VALUE__INIT;
	Clusters__V1__Selection sel = CLUSTERS__V1__SELECTION__INIT;
	sel.min_score = &dv;
	s = to_text((ProtobufCMessage *)&sel);
	assert_string_equal(s, "{\"minScore\":0.0}");
	free(s);
	Clusters__V1__Criterion cr = CLUSTERS__V1__CRITERION__INIT;
	cr.normalization = CLUSTERS__V1__NORMALIZATION__NORMALIZATION_MIN_MAX;
	cr.weight = 0.1;
	s = to_text((ProtobufCMessage *)&cr);
	assert_string_equal(s, "{\"weight\":0.1,\"normalization\":\"NORMALIZATION_MIN_MAX\"}");
	free(s);

	char *paths[] = { "update_time", "name" };
	Google__Protobuf__FieldMask fm = GOOGLE__PROTOBUF__FIELD_MASK__INIT;
	fm.n_paths = 2;
	fm.paths = paths;
	Clusters__V1__UpdateClusterRequest u =
		CLUSTERS__V1__UPDATE_CLUSTER_REQUEST__INIT;
	u.update_mask = &fm;
	u.allow_missing = 1;
	s = to_text((ProtobufCMessage *)&u);
	assert_string_equal(s, "{\"updateMask\":\"updateTime,name\","
	                       "\"allowMissing\":true}");
	free(s);
}

static ProtobufCMessage *parse_ok(const char *text,
                                  const ProtobufCMessageDescriptor *d)
{
	char err[256];
	json_t *j = load(text);
	ProtobufCMessage *m = NULL;
	int rc = cc_json_to_msg(j, d, &m, err, sizeof(err));
	json_decref(j);
	if (rc)
		fail_msg("%s: %s", text, err);
	return m;
}

static void test_input_forms(void **state)
{
	(void)state;
	/* snake_case and lowerCamelCase names; int64 as number or string. */
	Clusters__V1__Cluster *c = (void *)parse_ok(
		"{\"id\":\"x\",\"update_time\":\"2024-02-29T08:00:00+08:00\","
		"\"createTime\":\"1970-01-01T00:00:00.000000001Z\","
		"\"indicators\":[{\"name\":\"n\",\"year\":2020.0,"
		"\"value\":\"NaN\"},{\"value\":\"-Infinity\"},{\"value\":3}],"
		"\"labels\":{\"a\":\"1\",\"b\":\"2\"},\"cities\":null}",
		&clusters__v1__cluster__descriptor);
	assert_string_equal(c->id, "x");
	assert_int_equal(c->update_time->seconds, 1709164800);
	assert_int_equal(c->create_time->nanos, 1);
	assert_int_equal(c->n_indicators, 3);
	assert_int_equal(c->indicators[0]->year, 2020);
	assert_true(isnan(c->indicators[0]->value));
	assert_true(isinf(c->indicators[1]->value) &&
	            c->indicators[1]->value < 0);
	assert_true(c->indicators[2]->value == 3.0);
	assert_int_equal(c->n_labels, 2);
	assert_string_equal(c->labels[1]->key, "b");
	assert_string_equal(c->labels[1]->value, "2");
	assert_int_equal(c->n_cities, 0);
	cc_msg_free(c);

	Clusters__V1__ImportClustersResponse *r = (void *)parse_ok(
		"{\"created\":\"9007199254740993\",\"updated\":5,"
		"\"rejected\":\"-2\"}",
		&clusters__v1__import_clusters_response__descriptor);
	assert_int_equal(r->created, 9007199254740993LL);
	assert_int_equal(r->updated, 5);
	assert_int_equal(r->rejected, -2);
	cc_msg_free(r);

	Clusters__V1__Round *rd = (void *)parse_ok(
		"{\"aggregation\":\"AGGREGATION_WEIGHTED_GEOMETRIC\",\"missing\":2,"
		"\"selection\":{\"top_n\":25,\"minScore\":\"1.5\"},"
		"\"criteria\":[{\"id\":\"pct\",\"params\":{\"world_total\":"
		"\"1262000\"}}]}",
		&clusters__v1__round__descriptor);
	assert_int_equal(rd->aggregation,
	                 CLUSTERS__V1__AGGREGATION__AGGREGATION_WEIGHTED_GEOMETRIC);
	assert_int_equal(rd->missing, CLUSTERS__V1__MISSING_POLICY__MISSING_POLICY_SCORE_ZERO);
	assert_int_equal(rd->selection->top_n, 25);
	assert_true(rd->selection->min_score->value == 1.5);
	assert_string_equal(rd->criteria[0]->params[0]->key, "world_total");
	cc_msg_free(rd);
	/* The COINr methods and Criterion.target, by name. */
	rd = (void *)parse_ok(
		"{\"aggregation\":\"AGGREGATION_COPELAND\",\"criteria\":[{\"id\":"
		"\"t\",\"normalization\":\"NORMALIZATION_DISTANCE_TO_TARGET\","
		"\"target\":-12.5},{\"id\":\"p\",\"normalization\":"
		"\"NORMALIZATION_PERCENTILE_RANK\"}]}",
		&clusters__v1__round__descriptor);
	assert_int_equal(rd->aggregation,
	                 CLUSTERS__V1__AGGREGATION__AGGREGATION_COPELAND);
	assert_int_equal(rd->criteria[0]->normalization,
	                 CLUSTERS__V1__NORMALIZATION__NORMALIZATION_DISTANCE_TO_TARGET);
	assert_true(rd->criteria[0]->target == -12.5);
	assert_int_equal(rd->criteria[1]->normalization,
	                 CLUSTERS__V1__NORMALIZATION__NORMALIZATION_PERCENTILE_RANK);
	cc_msg_free(rd);

	Clusters__V1__UpdateClusterRequest *u = (void *)parse_ok(
		"{\"updateMask\":\"updateTime,name\"}",
		&clusters__v1__update_cluster_request__descriptor);
	assert_int_equal(u->update_mask->n_paths, 2);
	assert_string_equal(u->update_mask->paths[0], "update_time");
	assert_string_equal(u->update_mask->paths[1], "name");
	cc_msg_free(u);

	Clusters__V1__RunEvent *ev = (void *)parse_ok(
		"{\"progress\":{\"stage\":\"score\",\"done\":\"1\",\"total\":2}}",
		&clusters__v1__run_event__descriptor);
	assert_int_equal(ev->event_case, CLUSTERS__V1__RUN_EVENT__EVENT_PROGRESS);
	assert_int_equal(ev->progress->total, 2);
	cc_msg_free(ev);
}

/* Each bad input fails with the code and a message naming the place. */
static void expect_error(const char *text, const ProtobufCMessageDescriptor *d,
                         int code, const char *needle)
{
	char err[512] = "";
	json_t *j = load(text);
	ProtobufCMessage *m = (void *)0x1;
	int rc = cc_json_to_msg(j, d, &m, err, sizeof(err));
	json_decref(j);
	if (rc != code)
		fail_msg("%s: code %d, expected %d (%s)", text, rc, code, err);
	assert_null(m);
	if (!strstr(err, needle))
		fail_msg("%s: error \"%s\" lacks \"%s\"", text, err, needle);
}

/* The error text cc_json_to_msg gives for text (a static buffer). */
static const char *err_of(const char *text, const ProtobufCMessageDescriptor *d)
{
	static char err[512];
	json_t *j = load(text);
	ProtobufCMessage *m;
	assert_int_not_equal(cc_json_to_msg(j, d, &m, err, sizeof(err)), 0);
	json_decref(j);
	return err;
}

static void test_input_errors(void **state)
{
	(void)state;
	const ProtobufCMessageDescriptor *cl = &clusters__v1__cluster__descriptor;
	const ProtobufCMessageDescriptor *co =
		&clusters__v1__competition__descriptor;
	expect_error("{\"id\":\"x\",\"nmae\":\"y\"}", cl, CD_EINVAL,
	             "unknown field \"nmae\" in clusters.v1.Cluster");
	expect_error("{\"rounds\":[{},{\"criteria\":[{\"id\":\"a\"},"
	             "{\"wieght\":1}]}]}", co, CD_EINVAL,
	             "rounds[1].criteria[1]: unknown field \"wieght\"");
	expect_error("[]", cl, CD_EINVAL, "expected an object");
	expect_error("{\"id\":5}", cl, CD_EINVAL, "id: expected a string");
	expect_error("{\"cities\":\"Paris\"}", cl, CD_EINVAL,
	             "cities: expected an array");
	expect_error("{\"cities\":[\"a\",null]}", cl, CD_EINVAL,
	             "cities[1]: null in an array");
	expect_error("{\"labels\":[]}", cl, CD_EINVAL,
	             "labels: expected an object");
	expect_error("{\"labels\":{\"k\":1}}", cl, CD_EINVAL,
	             "labels.k: expected a string");
	expect_error("{\"labels\":{\"k\":null}}", cl, CD_EINVAL,
	             "labels.k: map value must not be null");
	expect_error("{\"indicators\":[{\"year\":2020.5}]}", cl, CD_EINVAL,
	             "indicators[0].year: not an integer");
	expect_error("{\"indicators\":[{\"year\":3000000000}]}", cl, CD_EINVAL,
	             "indicators[0].year: out of range for int32");
	expect_error("{\"indicators\":[{\"year\":\"20x\"}]}", cl, CD_EINVAL,
	             "\"20x\" is not an integer");
	expect_error("{\"indicators\":[{\"value\":\"lots\"}]}", cl, CD_EINVAL,
	             "indicators[0].value: \"lots\" is not a number");
	expect_error("{\"indicators\":[{\"value\":true}]}", cl, CD_EINVAL,
	             "expected a number");
	expect_error("{\"assessments\":[{\"recused\":1}]}", cl, CD_EINVAL,
	             "assessments[0].recused: expected true or false");
	expect_error("{\"updateTime\":\"2023-02-29T00:00:00Z\"}", cl, CD_EINVAL,
	             "updateTime: \"2023-02-29T00:00:00Z\" is not an RFC 3339");
	expect_error("{\"createTime\":17}", cl, CD_EINVAL,
	             "createTime: expected an RFC 3339 time");
	expect_error("{\"createTime\":\"2023-01-01T00:00:00Z\","
	             "\"create_time\":\"2023-01-01T00:00:00Z\"}",
	             cl, CD_EINVAL, "field \"create_time\" given twice");
	expect_error("{\"rounds\":[{\"aggregation\":\"MAJORITY\"}]}", co,
	             CD_EINVAL, "rounds[0].aggregation: \"MAJORITY\" is not "
	                        "one of AGGREGATION_WEIGHTED_ARITHMETIC, "
	                        "AGGREGATION_WEIGHTED_GEOMETRIC, "
	                        "AGGREGATION_WEIGHTED_HARMONIC, "
	                        "AGGREGATION_MEDIAN, AGGREGATION_COPELAND");
	assert_null(strstr(err_of("{\"rounds\":[{\"aggregation\":\"MAJORITY\"}]}",
	                          co), "did you mean"));
	expect_error("{\"rounds\":[{\"aggregation\":\"MEDIAN\"}]}", co,
	             CD_EINVAL, "(did you mean AGGREGATION_MEDIAN?)");
	expect_error("{\"rounds\":[{\"criteria\":[{\"normalization\":"
	             "\"MINMAX\"}]}]}", co, CD_EINVAL,
	             "rounds[0].criteria[0].normalization: \"MINMAX\" is not "
	             "one of NORMALIZATION_NONE, NORMALIZATION_MIN_MAX, "
	             "NORMALIZATION_Z_SCORE, NORMALIZATION_RANK, "
	             "NORMALIZATION_SHARE, NORMALIZATION_GOALPOSTS, "
	             "NORMALIZATION_DISTANCE_TO_MAX, "
	             "NORMALIZATION_DISTANCE_TO_TARGET, "
	             "NORMALIZATION_PERCENTILE_RANK (did you mean "
	             "NORMALIZATION_MIN_MAX?)");
	/* The names before the prefixes, and other cases, are guessed. */
	expect_error("{\"rounds\":[{\"eligibility\":[{\"op\":\"in\"}]}]}",
	             co, CD_EINVAL, "(did you mean COMPARISON_IN?)");
	expect_error("{\"rounds\":[{\"missing\":\"missing_policy_exclude\"}]}",
	             co, CD_EINVAL, "(did you mean MISSING_POLICY_EXCLUDE?)");
	/* Enums without a common prefix list every value. */
	expect_error("{\"status\":\"UP\"}",
	             &grpc__health__v1__health_check_response__descriptor,
	             CD_EINVAL, "status: \"UP\" is not one of UNKNOWN, "
	                        "SERVING, NOT_SERVING, SERVICE_UNKNOWN");
	expect_error("{\"progress\":{},\"run\":{}}",
	             &clusters__v1__run_event__descriptor, CD_EINVAL,
	             "only one field of a oneof");
	expect_error("{\"sensitivity\":{\"seed\":-1}}",
	             &clusters__v1__run_competition_request__descriptor,
	             CD_EINVAL, "sensitivity.seed: must not be negative");
	expect_error("{\"sensitivity\":{\"seed\":\"-1\"}}",
	             &clusters__v1__run_competition_request__descriptor,
	             CD_EINVAL, "must not be negative");
	expect_error("{\"abiMajor\":-1}", &clusters__v1__plugin__descriptor,
	             CD_EINVAL, "abiMajor: must not be negative");
	expect_error("{\"abiMajor\":4294967296}",
	             &clusters__v1__plugin__descriptor, CD_EINVAL,
	             "out of range for uint32");
	expect_error("{\"updateMask\":\"name,\"}",
	             &clusters__v1__update_cluster_request__descriptor,
	             CD_EINVAL, "updateMask: mask ends in ','");
	expect_error("{\"updateMask\":\"name,,id\"}",
	             &clusters__v1__update_cluster_request__descriptor,
	             CD_EINVAL, "empty or overlong path");
	expect_error("{\"updateMask\":[\"name\"]}",
	             &clusters__v1__update_cluster_request__descriptor,
	             CD_EINVAL, "expected \"path,path\"");
	expect_error("\"AA==\"",
	             &google__protobuf__bytes_value__descriptor, CD_EUNIMPL,
	             "bytes fields are not supported");
	expect_error("{\"id\":\"a\\u0000b\"}", cl, CD_EV_ENCODING,
	             "id: string holds a NUL character");
	expect_error("1e39",
	             &google__protobuf__float_value__descriptor, CD_EINVAL,
	             "out of range for float");
}

/* A competition from text with CC_JSON_PARAMS_TEXT; the params of its
 * first criterion. */
static Clusters__V1__Competition *params_of(const char *params, int *rc,
                                            char *err, size_t errlen)
{
	char text[1024];
	snprintf(text, sizeof(text),
	         "{\"id\":\"c\",\"rounds\":[{\"criteria\":[{\"params\":%s}]}]}",
	         params);
	json_t *j = load(text);
	ProtobufCMessage *m;
	*rc = cc_json_to_msg_flags(j, &clusters__v1__competition__descriptor,
	                           CC_JSON_PARAMS_TEXT, &m, err, errlen);
	json_decref(j);
	return (Clusters__V1__Competition *)m;
}

static const char *param(const Clusters__V1__Competition *c, const char *k)
{
	const Clusters__V1__Criterion *cr = c->rounds[0]->criteria[0];
	for (size_t i = 0; i < cr->n_params; i++)
		if (!strcmp(cr->params[i]->key, k))
			return cr->params[i]->value;
	fail_msg("no param %s", k);
	return NULL;
}

static void expect_param_error(const char *params, int code,
                               const char *needle)
{
	char err[512] = "";
	int rc;
	Clusters__V1__Competition *c = params_of(params, &rc, err, sizeof(err));
	assert_null(c);
	if (rc != code || !strstr(err, needle))
		fail_msg("%s: code %d (%s), expected %d and \"%s\"", params, rc,
		         err, code, needle);
}

/* Plugin params as numbers, booleans and lists, in the text the plugins
 * parse; only with the flag, and only for params. */
static void test_params_text(void **state)
{
	(void)state;
	char err[512];
	int rc;
	Clusters__V1__Competition *c = params_of(
		"{\"year\":2021,\"w\":0.6,\"sum\":0.30000000000000004,"
		"\"big\":1e21,\"neg\":-0.0,\"on\":true,\"off\":false,"
		"\"list\":[\"a\",1,2.5,true],\"none\":[],\"s\":\"text\"}",
		&rc, err, sizeof(err));
	if (rc)
		fail_msg("%s", err);
	assert_string_equal(param(c, "year"), "2021");
	assert_string_equal(param(c, "w"), "0.6");
	assert_string_equal(param(c, "sum"), "0.30000000000000004");
	assert_string_equal(param(c, "big"), "1e+21");
	assert_string_equal(param(c, "neg"), "-0");
	assert_string_equal(param(c, "on"), "true");
	assert_string_equal(param(c, "off"), "false");
	assert_string_equal(param(c, "list"), "a,1,2.5,true");
	assert_string_equal(param(c, "none"), "");
	assert_string_equal(param(c, "s"), "text");
	cc_msg_free(c);

	expect_param_error("{\"o\":{}}", CD_EINVAL,
	                   "rounds[0].criteria[0].params.o: expected a string, "
	                   "number, boolean or an array of them");
	expect_param_error("{\"l\":[\"a\",{}]}", CD_EINVAL,
	                   "params.l[1]: expected a string, number or boolean");
	expect_param_error("{\"l\":[[1]]}", CD_EINVAL,
	                   "params.l[0]: expected a string, number or boolean");
	expect_param_error("{\"l\":[null]}", CD_EINVAL,
	                   "params.l[0]: expected a string, number or boolean");
	expect_param_error("{\"l\":[\"a,b\"]}", CD_EINVAL,
	                   "params.l[0]: \"a,b\" holds ',', which separates "
	                   "list items");
	expect_param_error("{\"l\":[\"x\",\"\"]}", CD_EINVAL,
	                   "params.l[1]: an empty list item");
	expect_param_error("{\"l\":[\"a\\u0000b\"]}", CD_EV_ENCODING,
	                   "params.l[0]: string holds a NUL character");
	expect_param_error("{\"n\":null}", CD_EINVAL,
	                   "params.n: map value must not be null");

	/* Without the flag the proto3 mapping holds: strings only. */
	expect_error("{\"rounds\":[{\"criteria\":[{\"params\":{\"year\":2021}}]}]}",
	             &clusters__v1__competition__descriptor, CD_EINVAL,
	             "rounds[0].criteria[0].params.year: expected a string");
	/* Labels are data, not parameters: strings only with the flag too. */
	json_t *j = load("{\"labels\":{\"rank\":1}}");
	ProtobufCMessage *m;
	assert_int_equal(cc_json_to_msg_flags(j,
	                                      &clusters__v1__cluster__descriptor,
	                                      CC_JSON_PARAMS_TEXT, &m, err,
	                                      sizeof(err)), CD_EINVAL);
	json_decref(j);
	assert_non_null(strstr(err, "labels.rank: expected a string"));
}

static void test_output_errors(void **state)
{
	(void)state;
	char err[256];
	Clusters__V1__Indicator ind = CLUSTERS__V1__INDICATOR__INIT;
	ind.name = "bad\xff";
	Clusters__V1__Indicator *inds[] = { &ind };
	Clusters__V1__Cluster c = CLUSTERS__V1__CLUSTER__INIT;
	c.n_indicators = 1;
	c.indicators = inds;
	assert_null(cc_json_from_msg((ProtobufCMessage *)&c, err, sizeof(err)));
	assert_string_equal(err, "indicators[0].name: string is not valid UTF-8");

	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	ts.seconds = 253402300800LL;  /* year 10000 */
	c.n_indicators = 0;
	c.create_time = &ts;
	assert_null(cc_json_from_msg((ProtobufCMessage *)&c, err, sizeof(err)));
	assert_string_equal(err, "createTime: timestamp out of range");

	Google__Protobuf__BytesValue bv = GOOGLE__PROTOBUF__BYTES_VALUE__INIT;
	uint8_t byte = 1;
	bv.value.len = 1;
	bv.value.data = &byte;
	assert_null(cc_json_from_msg((ProtobufCMessage *)&bv, err, sizeof(err)));
	assert_string_equal(err, "bytes fields are not supported");

	Clusters__V1__Cluster__LabelsEntry le =
		CLUSTERS__V1__CLUSTER__LABELS_ENTRY__INIT;
	le.key = "k\xfe";
	le.value = "v";
	Clusters__V1__Cluster__LabelsEntry *les[] = { &le };
	Clusters__V1__Cluster c2 = CLUSTERS__V1__CLUSTER__INIT;
	c2.n_labels = 1;
	c2.labels = les;
	assert_null(cc_json_from_msg((ProtobufCMessage *)&c2, err, sizeof(err)));
	assert_non_null(strstr(err, "map key is not valid UTF-8"));
}

static void test_timestamps(void **state)
{
	(void)state;
	char buf[64];
	int64_t s;
	int32_t ns;
	static const struct {
		int64_t s;
		int32_t ns;
		const char *text;
	} cases[] = {
		{ 0, 0, "1970-01-01T00:00:00Z" },
		{ -1, 0, "1969-12-31T23:59:59Z" },
		{ 951782400, 0, "2000-02-29T00:00:00Z" },
		{ 1709164800, 120000000, "2024-02-29T00:00:00.120Z" },
		{ 1709164800, 120000, "2024-02-29T00:00:00.000120Z" },
		{ 1709164800, 7, "2024-02-29T00:00:00.000000007Z" },
		{ -62135596800LL, 0, "0001-01-01T00:00:00Z" },
		{ 253402300799LL, 999999999, "9999-12-31T23:59:59.999999999Z" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(cc_fmt_timestamp(buf, sizeof(buf), cases[i].s,
		                                  cases[i].ns), CD_OK);
		assert_string_equal(buf, cases[i].text);
		assert_int_equal(cc_parse_timestamp(cases[i].text, &s, &ns),
		                 CD_OK);
		assert_int_equal(s, cases[i].s);
		assert_int_equal(ns, cases[i].ns);
	}
	assert_int_equal(cc_parse_timestamp("2024-01-01T08:00:00+08:00", &s,
	                                    &ns), CD_OK);
	assert_int_equal(s, 1704067200);
	assert_int_equal(cc_parse_timestamp("2023-12-31t19:30:00-04:30", &s,
	                                    &ns), CD_OK);
	assert_int_equal(s, 1704067200);
	static const char *const bad[] = {
		"", "2023-01-01", "2023-01-01T00:00:00", "2023-13-01T00:00:00Z",
		"2023-00-10T00:00:00Z", "2023-04-31T00:00:00Z",
		"1900-02-29T00:00:00Z", "2023-01-01T24:00:00Z",
		"2023-01-01T00:60:00Z", "2023-01-01T00:00:60Z",
		"2023-01-01T00:00:00.Z", "2023-01-01T00:00:00.1234567890Z",
		"2023-01-01T00:00:00+0800", "2023-01-01T00:00:00Zjunk",
		"0000-12-31T00:00:00Z", "0001-01-01T00:00:00+00:01",
		"23-01-01T00:00:00Z",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cc_parse_timestamp(bad[i], &s, &ns) != CD_EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
	assert_int_equal(cc_fmt_timestamp(buf, sizeof(buf), -62135596801LL, 0),
	                 CD_EINVAL);
	assert_int_equal(cc_fmt_timestamp(buf, sizeof(buf), 0, -1), CD_EINVAL);
	assert_int_equal(cc_fmt_timestamp(buf, sizeof(buf), 0, 1000000000),
	                 CD_EINVAL);
	assert_int_equal(cc_fmt_timestamp(buf, 8, 0, 0), CD_ELIMIT);
}

static void test_numbers_and_names(void **state)
{
	(void)state;
	char buf[40];
	cc_fmt_double(buf, sizeof(buf), 0.1);
	assert_string_equal(buf, "0.1");
	cc_fmt_double(buf, sizeof(buf), 1.0 / 3);
	assert_string_equal(buf, "0.3333333333333333");
	assert_true(strtod(buf, NULL) == 1.0 / 3);
	cc_fmt_double(buf, sizeof(buf), 0.1 + 0.2);
	assert_string_equal(buf, "0.30000000000000004");
	cc_fmt_double(buf, sizeof(buf), 1e300);
	assert_string_equal(buf, "1e+300");
	cc_fmt_double(buf, sizeof(buf), 127418);
	assert_string_equal(buf, "127418");

	char out[16];
	assert_int_equal(cc_json_camel("max_per_economy", out, sizeof(out)),
	                 CD_OK);
	assert_string_equal(out, "maxPerEconomy");
	assert_int_equal(cc_json_snake("maxPerEconomy", out, sizeof(out)),
	                 CD_OK);
	assert_string_equal(out, "max_per_economy");
	assert_int_equal(cc_json_camel("a_very_long_field_name", out, 8),
	                 CD_ELIMIT);
	assert_int_equal(cc_json_snake("aVeryLongFieldName", out, 8),
	                 CD_ELIMIT);
}

static void test_writer(void **state)
{
	(void)state;
	json_t *j = load("{\"b\":[1,2.5,\"x\\n\\u0001\\\"\"],\"a\":{},"
	                 "\"c\":[],\"d\":null,\"e\":true,\"f\":false}");
	char *s = cc_json_dumps(j, 0);
	assert_string_equal(s, "{\"b\":[1,2.5,\"x\\n\\u0001\\\"\"],\"a\":{},"
	                       "\"c\":[],\"d\":null,\"e\":true,\"f\":false}");
	free(s);
	json_t *small = load("{\"a\":[1],\"b\":{\"c\":\"d\"}}");
	s = cc_json_dumps(small, 2);
	assert_string_equal(s, "{\n  \"a\": [\n    1\n  ],\n  \"b\": {\n"
	                       "    \"c\": \"d\"\n  }\n}");
	free(s);
	json_decref(small);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_every_type),
		cmocka_unit_test(test_output_form),
		cmocka_unit_test(test_input_forms),
		cmocka_unit_test(test_input_errors),
		cmocka_unit_test(test_params_text),
		cmocka_unit_test(test_output_errors),
		cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_numbers_and_names),
		cmocka_unit_test(test_writer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
