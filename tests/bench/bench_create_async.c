/*
 * bench_create_async — the concurrent phase of bench_create driven the way
 * a high-throughput caller uses gRPC core: one thread, one completion
 * queue, NCALLS CreateCluster calls kept in flight, each slot starting its
 * next call as soon as the previous one completes. Unlike 64 blocking
 * threads, it spends little client CPU on the two cores the client and the
 * server share, so the rate measures the server.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include "bench_cluster.h"
#include "bench_create_async.h"

typedef struct slot {
	grpc_call *call;
	grpc_byte_buffer *req, *resp;
	grpc_metadata_array md_in, md_trail;
	grpc_status_code status;
	grpc_slice details;
	char id[64];
	int busy;
} slot_t;

static const grpc_slice *method(void)
{
	static grpc_slice m;
	static int init;
	if (!init) {
		m = grpc_slice_from_static_string(
			"/clusters.v1.ClusterRegistry/CreateCluster");
		init = 1;
	}
	return &m;
}

static int start(grpc_channel *ch, grpc_completion_queue *cq, slot_t *s,
                 const char *prefix, size_t i, bench_rec_t *rec)
{
	bench_rec_fill(rec, prefix, i);
	snprintf(s->id, sizeof(s->id), "%s", rec->id);
	Clusters__V1__CreateClusterRequest r =
		CLUSTERS__V1__CREATE_CLUSTER_REQUEST__INIT;
	r.cluster = &rec->c;
	size_t len = clusters__v1__create_cluster_request__get_packed_size(&r);
	grpc_slice sl = grpc_slice_malloc(len);
	clusters__v1__create_cluster_request__pack(&r, GRPC_SLICE_START_PTR(sl));
	s->req = grpc_raw_byte_buffer_create(&sl, 1);
	grpc_slice_unref(sl);
	s->resp = NULL;
	grpc_metadata_array_init(&s->md_in);
	grpc_metadata_array_init(&s->md_trail);
	s->call = grpc_channel_create_call(
		ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq, *method(), NULL,
		gpr_time_add(gpr_now(GPR_CLOCK_REALTIME),
		             gpr_time_from_seconds(60, GPR_TIMESPAN)),
		NULL);
	grpc_op ops[6];
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = s->req;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[3].data.recv_initial_metadata.recv_initial_metadata = &s->md_in;
	ops[4].op = GRPC_OP_RECV_MESSAGE;
	ops[4].data.recv_message.recv_message = &s->resp;
	ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[5].data.recv_status_on_client.trailing_metadata = &s->md_trail;
	ops[5].data.recv_status_on_client.status = &s->status;
	ops[5].data.recv_status_on_client.status_details = &s->details;
	s->busy = 1;
	return grpc_call_start_batch(s->call, ops, 6, s, NULL) != GRPC_CALL_OK;
}

static void finish(slot_t *s)
{
	grpc_call_unref(s->call);
	grpc_byte_buffer_destroy(s->req);
	if (s->resp)
		grpc_byte_buffer_destroy(s->resp);
	grpc_metadata_array_destroy(&s->md_in);
	grpc_metadata_array_destroy(&s->md_trail);
	grpc_slice_unref(s->details);
	s->busy = 0;
}

double bench_create_async(const char *addr, const char *prefix, int ncalls,
                          double secs, FILE *ack, size_t *failed)
{
	grpc_channel_credentials *cr = grpc_insecure_credentials_create();
	grpc_channel *ch = grpc_channel_create(addr, cr, NULL);
	grpc_channel_credentials_release(cr);
	grpc_completion_queue *cq = grpc_completion_queue_create_for_next(NULL);
	slot_t *slots = calloc((size_t)ncalls, sizeof(*slots));
	bench_rec_t *rec = malloc(sizeof(*rec));
	size_t next = 0, acked = 0;
	int inflight = 0;
	double t0 = bench_now(), until = t0 + secs;

	for (int k = 0; k < ncalls; k++, next++)
		if (start(ch, cq, &slots[k], prefix, next, rec) == 0)
			inflight++;
	while (inflight > 0) {
		grpc_event ev = grpc_completion_queue_next(
			cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
		if (ev.type != GRPC_OP_COMPLETE)
			break;
		slot_t *s = ev.tag;
		inflight--;
		if (ev.success && s->status == GRPC_STATUS_OK) {
			fprintf(ack, "%s\n", s->id);
			acked++;
		} else if ((*failed)++ == 0) {
			char *d = grpc_slice_to_c_string(s->details);
			fprintf(stderr, "bench_create: %s: status %d %s\n", s->id,
			        (int)s->status, d);
			gpr_free(d);
		}
		finish(s);
		if (bench_now() < until &&
		    start(ch, cq, s, prefix, next++, rec) == 0)
			inflight++;
	}
	double dt = bench_now() - t0;
	grpc_completion_queue_shutdown(cq);
	while (grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME),
	                                  NULL)
	               .type != GRPC_QUEUE_SHUTDOWN)
		;
	grpc_completion_queue_destroy(cq);
	grpc_channel_destroy(ch);
	free(slots);
	free(rec);
	fflush(ack);
	return (double)acked / dt;
}
