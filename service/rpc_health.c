#include "rpc_health.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "grpc/health/v1/health.pb-c.h"
#include "rpc_call.h"
#include "srv_env.h"

typedef struct watch watch_t;
struct watch {
	watch_t *prev, *next;
	rpc_call_t *call;  /* referenced while on the list */
	char *service;
	int sent;          /* last status sent, 0 = none yet */
	int sending;
	int closing;       /* shutdown: end the stream after the last send */
};

struct rpc_health {
	pthread_mutex_t mu;
	char **names;
	int *status;
	size_t n;
	watch_t *watches;
	int shutting_down;
};

int rpc_health_create(rpc_health_t **out, const char *const *services,
                      size_t n, char *err, size_t errlen)
{
	*out = NULL;
	rpc_health_t *h = calloc(1, sizeof(*h));
	if (!h)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	h->n = n + 1;
	h->names = calloc(h->n, sizeof(*h->names));
	h->status = calloc(h->n, sizeof(*h->status));
	if (!h->names || !h->status) {
		free(h->names);
		free(h->status);
		free(h);
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&h->mu, NULL);
	for (size_t i = 0; i < h->n; i++) {
		h->names[i] = strdup(i == 0 ? "" : services[i - 1]);
		h->status[i] = RPC_HEALTH_NOT_SERVING;
		if (!h->names[i]) {
			rpc_health_destroy(h);
			return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
		}
	}
	*out = h;
	return CD_OK;
}

void rpc_health_destroy(rpc_health_t *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++)
		free(h->names[i]);
	free(h->names);
	free(h->status);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

/* Called with mu held. */
static int lookup(const rpc_health_t *h, const char *service)
{
	for (size_t i = 0; i < h->n; i++)
		if (strcmp(h->names[i], service) == 0)
			return h->status[i];
	return RPC_HEALTH_SERVICE_UNKNOWN;
}

int rpc_health_get(rpc_health_t *h, const char *service, int *status)
{
	pthread_mutex_lock(&h->mu);
	*status = lookup(h, service);
	pthread_mutex_unlock(&h->mu);
	return *status == RPC_HEALTH_SERVICE_UNKNOWN ? CD_ENOTFOUND : CD_OK;
}

static void pack_status(int status, uint8_t **buf, size_t *len)
{
	Grpc__Health__V1__HealthCheckResponse r =
		GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
	r.status = (Grpc__Health__V1__HealthCheckResponse__ServingStatus)status;
	*len = grpc__health__v1__health_check_response__get_packed_size(&r);
	*buf = malloc(*len ? *len : 1);
	if (*buf)
		grpc__health__v1__health_check_response__pack(&r, *buf);
	else
		*len = 0;
}

static void unlink_watch(rpc_health_t *h, watch_t *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		h->watches = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
}

static void on_sent(rpc_call_t *c, int ok);

/* Sends what the watcher has not seen yet, or ends the stream. Called with
 * mu held. w may be freed when it returns. */
static void pump(rpc_health_t *h, watch_t *w)
{
	if (w->sending)
		return;
	int cur = lookup(h, w->service);
	rpc_call_t *c = w->call;
	if (w->closing) {
		uint8_t *buf = NULL;
		size_t len = 0;
		int has = cur != w->sent;
		if (has)
			pack_status(cur, &buf, &len);
		unlink_watch(h, w);
		rpc_call_end(c, CD_EUNAVAIL, "server is shutting down", has,
		             buf, len);
		rpc_call_unref(c);
		return;
	}
	if (cur == w->sent)
		return;
	uint8_t *buf;
	size_t len;
	pack_status(cur, &buf, &len);
	w->sending = 1;
	w->sent = cur;
	if (rpc_call_send(c, buf, len, on_sent) != CD_OK)
		w->sending = 0;
}

static void on_sent(rpc_call_t *c, int ok)
{
	watch_t *w = rpc_call_ctx(c);
	rpc_health_t *h = ((srv_env_t *)rpc_call_env(c))->health;

	pthread_mutex_lock(&h->mu);
	w->sending = 0;
	if (!ok || rpc_call_cancelled(c))
		w->closing = 1;  /* the client is gone: just end it */
	pump(h, w);
	pthread_mutex_unlock(&h->mu);
}

static void on_close(rpc_call_t *c)
{
	watch_t *w = rpc_call_ctx(c);
	rpc_health_t *h = ((srv_env_t *)rpc_call_env(c))->health;

	pthread_mutex_lock(&h->mu);
	/* Still listed unless already ended; a send in flight will fail and
	 * end it from on_sent. */
	if (w->call && (w->prev || h->watches == w)) {
		w->closing = 1;
		pump(h, w);
	}
	pthread_mutex_unlock(&h->mu);
}

static void watch_free(void *p)
{
	watch_t *w = p;
	free(w->service);
	free(w);
}

void rpc_health_set_all(rpc_health_t *h, int status)
{
	pthread_mutex_lock(&h->mu);
	for (size_t i = 0; i < h->n; i++)
		h->status[i] = status;
	for (watch_t *w = h->watches, *next; w; w = next) {
		next = w->next;
		pump(h, w);
	}
	pthread_mutex_unlock(&h->mu);
}

void rpc_health_shutdown(rpc_health_t *h)
{
	pthread_mutex_lock(&h->mu);
	h->shutting_down = 1;
	for (size_t i = 0; i < h->n; i++)
		h->status[i] = RPC_HEALTH_NOT_SERVING;
	for (watch_t *w = h->watches, *next; w; w = next) {
		next = w->next;
		w->closing = 1;
		pump(h, w);
	}
	pthread_mutex_unlock(&h->mu);
}

static Grpc__Health__V1__HealthCheckRequest *decode(rpc_call_t *c)
{
	return (Grpc__Health__V1__HealthCheckRequest *)rpc_call_decode(
		c, &grpc__health__v1__health_check_request__descriptor);
}

void rpc_health_check(rpc_call_t *c)
{
	rpc_health_t *h = ((srv_env_t *)rpc_call_env(c))->health;
	Grpc__Health__V1__HealthCheckRequest *req = decode(c);
	if (!req)
		return;
	int status;
	if (rpc_health_get(h, req->service, &status) != CD_OK) {
		char msg[300];
		snprintf(msg, sizeof(msg), "unknown service '%.200s'",
		         req->service);
		rpc_call_fail(c, CD_ENOTFOUND, msg);
	} else {
		Grpc__Health__V1__HealthCheckResponse r =
			GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
		r.status = (Grpc__Health__V1__HealthCheckResponse__ServingStatus)
			status;
		rpc_call_reply(c, &r.base);
	}
	grpc__health__v1__health_check_request__free_unpacked(req, NULL);
}

void rpc_health_watch(rpc_call_t *c)
{
	rpc_health_t *h = ((srv_env_t *)rpc_call_env(c))->health;
	Grpc__Health__V1__HealthCheckRequest *req = decode(c);
	if (!req)
		return;
	watch_t *w = calloc(1, sizeof(*w));
	char *service = strdup(req->service);
	grpc__health__v1__health_check_request__free_unpacked(req, NULL);
	if (!w || !service) {
		free(w);
		free(service);
		rpc_call_fail(c, CD_ENOMEM, "out of memory");
		return;
	}
	w->service = service;
	w->call = c;
	rpc_call_set_ctx(c, w, watch_free);

	pthread_mutex_lock(&h->mu);
	if (h->shutting_down) {
		pthread_mutex_unlock(&h->mu);
		rpc_call_fail(c, CD_EUNAVAIL, "server is shutting down");
		return;
	}
	/* An unknown name is not an error for Watch: the client hears
	 * SERVICE_UNKNOWN and keeps listening (health.proto). */
	rpc_call_ref(c);
	w->next = h->watches;
	if (w->next)
		w->next->prev = w;
	h->watches = w;
	rpc_call_on_close(c, on_close);
	pump(h, w);
	pthread_mutex_unlock(&h->mu);
}
