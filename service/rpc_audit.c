#include "rpc_audit.h"

#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "clusters/v1/audit.pb-c.h"
#include "rpc_call.h"
#include "srv_env.h"

/* 9999-12-31T23:59:59Z, the last second a Timestamp may hold. */
#define TS_SECONDS_MAX 253402300799LL
/* Past this many seconds, ns overflow int64 (year 2262). */
#define NS_SECONDS_MAX 9223372035LL

int rpc_audit_time_ns(int64_t seconds, int32_t nanos, const char *field,
                      int64_t *ns, char *err, size_t errlen)
{
	*ns = 0;
	if (nanos < 0 || nanos > 999999999)
		return cd_fail(err, errlen, CD_EINVAL, "%s.nanos: %d is outside "
		               "0..999999999", field, (int)nanos);
	if (seconds < 0)
		return cd_fail(err, errlen, CD_EINVAL, "%s: before 1970-01-01",
		               field);
	if (seconds > TS_SECONDS_MAX)
		return cd_fail(err, errlen, CD_EINVAL, "%s.seconds: after "
		               "9999-12-31", field);
	*ns = seconds >= NS_SECONDS_MAX ? INT64_MAX
	                                : seconds * 1000000000LL + nanos;
	return CD_OK;
}

void rpc_audit_list(rpc_call_t *c)
{
	char err[256] = "";
	srv_env_t *env = rpc_call_env(c);
	Clusters__V1__ListAuditEventsRequest *req =
		(Clusters__V1__ListAuditEventsRequest *)rpc_call_decode(
			c, &clusters__v1__list_audit_events_request__descriptor);
	if (!req)
		return;
	store_audit_filter_t f = {.resource = req->resource,
	                          .principal = req->principal};
	int rc = rpc_call_page_size(req->page_size, err, sizeof(err));
	if (rc == CD_OK && req->start_time)
		rc = rpc_audit_time_ns(req->start_time->seconds,
		                       req->start_time->nanos, "start_time",
		                       &f.start_ns, err, sizeof(err));
	if (rc == CD_OK && req->end_time) {
		rc = rpc_audit_time_ns(req->end_time->seconds,
		                       req->end_time->nanos, "end_time",
		                       &f.end_ns, err, sizeof(err));
		/* 0 means "no end" to the store; an end at the epoch itself
		 * still ends before every event. */
		if (rc == CD_OK && f.end_ns == 0)
			f.end_ns = 1;
	}
	if (rpc_call_refuse(c, rc, err, &req->base))
		return;
	store_audit_page_t page;
	memset(&page, 0, sizeof(page));
	rc = store_audit_list(env->store, &f, (size_t)req->page_size,
	                      req->page_token, &page, err, sizeof(err));
	if (rpc_call_refuse(c, rc, err, &req->base))
		return;
	Clusters__V1__ListAuditEventsResponse r =
		CLUSTERS__V1__LIST_AUDIT_EVENTS_RESPONSE__INIT;
	r.n_audit_events = page.n;
	r.audit_events = page.items;
	r.next_page_token = page.next_token;
	rpc_call_reply(c, &r.base);
	store_audit_page_free(&page);
	protobuf_c_message_free_unpacked(&req->base, NULL);
}
