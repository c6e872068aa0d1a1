/* Error details of INVALID_ARGUMENT: the field a message names, its path
 * in the request, and the packed google.rpc.Status that carries it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cd_error.h"
#include "clusters/v1/clusters.pb-c.h"
#include "clusters/v1/competitions.pb-c.h"
#include "google/rpc/error_details.pb-c.h"
#include "google/rpc/status.pb-c.h"
#include "rpc_call.h"

static void test_msg_field(void **state)
{
	(void)state;
	char f[32];
	rpc_call_msg_field("indicators[3].year: 1700 is outside 1800..2200", f,
	                   sizeof(f));
	assert_string_equal(f, "indicators[3].year");
	rpc_call_msg_field("labels[\"k\"]: 300 bytes, at most 256", f,
	                   sizeof(f));
	assert_string_equal(f, "labels[\"k\"]");
	rpc_call_msg_field("request is not a valid x message", f, sizeof(f));
	assert_string_equal(f, "");
	rpc_call_msg_field("two words: here", f, sizeof(f));
	assert_string_equal(f, "");
	rpc_call_msg_field("a_field_name_longer_than_the_buffer: x", f, 8);
	assert_string_equal(f, "");
}

static void resolves(const ProtobufCMessageDescriptor *d, const char *path,
                     const char *want)
{
	char out[128] = "junk";
	int ok = rpc_call_field_resolve(d, path, out, sizeof(out));
	if (!want) {
		assert_int_equal(ok, 0);
		assert_string_equal(out, "");
		return;
	}
	assert_int_equal(ok, 1);
	assert_string_equal(out, want);
}

static void test_resolve(void **state)
{
	(void)state;
	const ProtobufCMessageDescriptor *upd =
		&clusters__v1__update_cluster_request__descriptor;
	/* A field of the resource gets the request's field in front. */
	resolves(upd, "indicators[2].name", "cluster.indicators[2].name");
	resolves(upd, "labels[\"k\"]", "cluster.labels[\"k\"]");
	resolves(upd, "name", "cluster.name");
	/* A field of the request stays as it is. */
	resolves(upd, "cluster.id", "cluster.id");
	resolves(upd, "update_mask.paths[0]", "update_mask.paths[0]");
	resolves(upd, "etag", "etag");
	resolves(&clusters__v1__get_cluster_request__descriptor, "id", "id");
	resolves(&clusters__v1__update_competition_request__descriptor,
	         "rounds[0].criteria[1].plugin",
	         "competition.rounds[0].criteria[1].plugin");
	resolves(&clusters__v1__evaluate_request__descriptor,
	         "competition.rounds[0].criteria[0].weight",
	         "competition.rounds[0].criteria[0].weight");
	resolves(&clusters__v1__evaluate_request__descriptor,
	         "sensitivity.samples", "sensitivity.samples");
	/* Neither: no field. A repeated message field is no prefix (it
	 * would need an index). No request type, no field. */
	resolves(upd, "request", NULL);
	resolves(upd, "", NULL);
	resolves(&clusters__v1__list_clusters_response__descriptor, "name",
	         NULL);
	resolves(NULL, "id", NULL);
	char small[8];
	assert_int_equal(rpc_call_field_resolve(upd, "indicators[2].name",
	                                        small, sizeof(small)),
	                 0);
}

static void test_status_details(void **state)
{
	(void)state;
	uint8_t *buf;
	size_t len;
	assert_int_equal(rpc_call_status_details(3, "indicators[2].name: bad",
	                                         "cluster.indicators[2].name",
	                                         "bad", &buf, &len),
	                 CD_OK);
	Google__Rpc__Status *st = google__rpc__status__unpack(NULL, len, buf);
	free(buf);
	assert_non_null(st);
	assert_int_equal(st->code, 3);
	assert_string_equal(st->message, "indicators[2].name: bad");
	assert_int_equal(st->n_details, 1);
	assert_string_equal(st->details[0]->type_url,
	                    "type.googleapis.com/google.rpc.BadRequest");
	Google__Rpc__BadRequest *br = google__rpc__bad_request__unpack(
		NULL, st->details[0]->value.len, st->details[0]->value.data);
	assert_non_null(br);
	assert_int_equal(br->n_field_violations, 1);
	assert_string_equal(br->field_violations[0]->field,
	                    "cluster.indicators[2].name");
	assert_string_equal(br->field_violations[0]->description, "bad");
	google__rpc__bad_request__free_unpacked(br, NULL);
	google__rpc__status__free_unpacked(st, NULL);

	/* No field: the status alone. */
	assert_int_equal(rpc_call_status_details(3, "request message missing",
	                                         "", NULL, &buf, &len),
	                 CD_OK);
	st = google__rpc__status__unpack(NULL, len, buf);
	free(buf);
	assert_non_null(st);
	assert_int_equal(st->code, 3);
	assert_string_equal(st->message, "request message missing");
	assert_int_equal(st->n_details, 0);
	google__rpc__status__free_unpacked(st, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msg_field),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_status_details),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
