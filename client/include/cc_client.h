/*
 * cc_client — blocking C client of clusterd.
 *
 * One function per RPC of the contract (proto/clusters/v1 and
 * grpc.health.v1). Requests and responses are the protobuf-c messages of
 * target clusterd_proto. Every call returns its gRPC status code (0 = OK) and
 * fills a cc_status_t with that code and the server's message; failures that
 * happen before the server is reached (encoding, decoding, a stream closed
 * early) get a gRPC code too, so callers handle one kind of result.
 *
 * Responses are allocated by the library with the default protobuf-c
 * allocator; free them with cc_msg_free(). Requests stay owned by the caller.
 *
 * Deadlines: every call has one. It is the client's default
 * (cc_client_set_timeout) unless the call passes a cc_opts_t with its own.
 * For streams the deadline covers the whole stream.
 *
 * Thread-safety: a cc_client_t may be shared by any number of threads; the
 * gRPC channel is thread-safe, a blocking call waits on a completion queue
 * of its thread's own (kept until the thread exits or closes a client) and
 * each stream owns one.
 * A stream (cc_reader_t, cc_writer_t) belongs to one thread at a time.
 * cc_client_set_timeout is not synchronised: call it before sharing.
 */
#ifndef CC_CLIENT_H
#define CC_CLIENT_H

#include <stdint.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "clusters/v1/clusters.pb-c.h"
#include "clusters/v1/competitions.pb-c.h"
#include "clusters/v1/plugins.pb-c.h"
#include "clusters/v1/audit.pb-c.h"
#include "clusters/v1/admin.pb-c.h"
#include "grpc/health/v1/health.pb-c.h"

/* gRPC status codes, with the values of the wire protocol. */
enum {
	CC_OK = 0,
	CC_CANCELLED = 1,
	CC_UNKNOWN = 2,
	CC_INVALID_ARGUMENT = 3,
	CC_DEADLINE_EXCEEDED = 4,
	CC_NOT_FOUND = 5,
	CC_ALREADY_EXISTS = 6,
	CC_PERMISSION_DENIED = 7,
	CC_RESOURCE_EXHAUSTED = 8,
	CC_FAILED_PRECONDITION = 9,
	CC_ABORTED = 10,
	CC_OUT_OF_RANGE = 11,
	CC_UNIMPLEMENTED = 12,
	CC_INTERNAL = 13,
	CC_UNAVAILABLE = 14,
	CC_DATA_LOSS = 15,
	CC_UNAUTHENTICATED = 16,
};

#define CC_DEFAULT_TIMEOUT_MS 30000
#define CC_MESSAGE_MAX 1024

typedef struct cc_status {
	int code;                      /* gRPC status code */
	char message[CC_MESSAGE_MAX];  /* the server's message, or ours */
} cc_status_t;

/* Per-call options; a NULL cc_opts_t * means the client's defaults. */
typedef struct cc_opts {
	int64_t timeout_ms;  /* 0 = client default; < 0 = no deadline */
} cc_opts_t;

typedef struct cc_client cc_client_t;

/* "NOT_FOUND" for 5 and so on; "UNKNOWN_CODE" outside the table. */
const char *cc_status_name(int code);

/* How to connect (cc_client_open_opts). Zeroed = plaintext, no token.
 * TLS is on when tls is set or any of tls_ca, tls_cert, tls_key is
 * given. Files are read when the client is opened; the strings need not
 * outlive the call. */
typedef struct cc_conn_opts {
	int tls;                      /* TLS, with the system's roots unless
	                               * tls_ca names others */
	const char *tls_ca;           /* PEM CAs that verify the server */
	const char *tls_cert;         /* PEM client chain (mutual TLS) ... */
	const char *tls_key;          /* ... and its key; both or neither */
	const char *tls_server_name;  /* name to verify in the server's
	                               * certificate instead of addr's host */
	const char *token;            /* sent with every call as
	                               * "authorization: Bearer TOKEN";
	                               * never logged */
} cc_conn_opts_t;

/* Connects lazily to addr ("host:port") with o (NULL = plaintext, no
 * token). Fails on bad arguments and unreadable or unusable files
 * (CC_INVALID_ARGUMENT, err says which); a server that refuses the
 * handshake shows as UNAVAILABLE on the first call. */
int cc_client_open_opts(cc_client_t **out, const char *addr,
                        const cc_conn_opts_t *o, char *err, size_t errlen);
/* Plaintext, no token: cc_client_open_opts with NULL. */
int cc_client_open(cc_client_t **out, const char *addr, char *err,
                   size_t errlen);
/* Closes the channel. Every call and stream must be finished. NULL is ok. */
void cc_client_close(cc_client_t *c);
/* The default deadline of calls, in milliseconds (< 0 = none). */
void cc_client_set_timeout(cc_client_t *c, int64_t timeout_ms);
const char *cc_client_target(const cc_client_t *c);

/* Frees a message returned by this library. NULL is ok. */
void cc_msg_free(void *msg);

/*
 * Generic calls by full method name ("/pkg.Service/Method"). The typed calls
 * below are thin wrappers; these remain public so a caller can reach methods
 * this header does not know (and so tests can call one that does not exist).
 */
int cc_call_unary(cc_client_t *c, const cc_opts_t *o, const char *method,
                  const ProtobufCMessage *req,
                  const ProtobufCMessageDescriptor *resp_desc,
                  ProtobufCMessage **resp, cc_status_t *st);

/* Server-streaming: open, read messages until cc_reader_next says 0, then
 * cc_reader_close gives the final status. Closing early cancels the call. */
typedef struct cc_reader cc_reader_t;
int cc_reader_open(cc_client_t *c, const cc_opts_t *o, const char *method,
                   const ProtobufCMessage *req,
                   const ProtobufCMessageDescriptor *msg_desc,
                   cc_reader_t **out, cc_status_t *st);
/* 1 and *msg (caller frees) for a message; 0 at the end or on error. */
int cc_reader_next(cc_reader_t *r, ProtobufCMessage **msg);
/* Final status of the stream; frees r. */
int cc_reader_close(cc_reader_t *r, cc_status_t *st);

/* Client-streaming: open, write messages, finish to get the response.
 * A write that fails means the call is over: call cc_writer_finish to learn
 * why. cc_writer_abort cancels the call and frees w. */
typedef struct cc_writer cc_writer_t;
int cc_writer_open(cc_client_t *c, const cc_opts_t *o, const char *method,
                   const ProtobufCMessageDescriptor *resp_desc,
                   cc_writer_t **out, cc_status_t *st);
int cc_writer_write(cc_writer_t *w, const ProtobufCMessage *msg,
                    cc_status_t *st);
/* Half-closes, waits for the response and status; frees w. */
int cc_writer_finish(cc_writer_t *w, ProtobufCMessage **resp,
                     cc_status_t *st);
void cc_writer_abort(cc_writer_t *w);

/* Callback of the callback forms of server streams: return non-zero to stop
 * (the call is cancelled and the result is CANCELLED). The message is
 * borrowed: it is freed when the callback returns. */
typedef int (*cc_msg_cb)(const ProtobufCMessage *msg, void *ud);

/* ---- clusters.v1.ClusterRegistry ---- */
int cc_create_cluster(cc_client_t *c, const cc_opts_t *o,
                      const Clusters__V1__CreateClusterRequest *req,
                      Clusters__V1__Cluster **resp, cc_status_t *st);
int cc_get_cluster(cc_client_t *c, const cc_opts_t *o,
                   const Clusters__V1__GetClusterRequest *req,
                   Clusters__V1__Cluster **resp, cc_status_t *st);
/* AIP-134: without update_mask the server changes the fields req->cluster
 * sets (non-empty strings and lists) and keeps the others; a field is
 * cleared only by naming it in the mask; "*" replaces the whole record. */
int cc_update_cluster(cc_client_t *c, const cc_opts_t *o,
                      const Clusters__V1__UpdateClusterRequest *req,
                      Clusters__V1__Cluster **resp, cc_status_t *st);
int cc_delete_cluster(cc_client_t *c, const cc_opts_t *o,
                      const Clusters__V1__DeleteClusterRequest *req,
                      Clusters__V1__DeleteClusterResponse **resp,
                      cc_status_t *st);
int cc_list_clusters(cc_client_t *c, const cc_opts_t *o,
                     const Clusters__V1__ListClustersRequest *req,
                     Clusters__V1__ListClustersResponse **resp,
                     cc_status_t *st);
/* ImportClusters: write Clusters__V1__Cluster messages with
 * cc_writer_write, then cc_import_clusters_finish. */
int cc_import_clusters_open(cc_client_t *c, const cc_opts_t *o,
                            cc_writer_t **out, cc_status_t *st);
int cc_import_clusters_finish(cc_writer_t *w,
                              Clusters__V1__ImportClustersResponse **resp,
                              cc_status_t *st);
/* ExportClusters: iterate with cc_reader_next (Clusters__V1__Cluster). */
int cc_export_clusters_open(cc_client_t *c, const cc_opts_t *o,
                            const Clusters__V1__ExportClustersRequest *req,
                            cc_reader_t **out, cc_status_t *st);
int cc_export_clusters(cc_client_t *c, const cc_opts_t *o,
                       const Clusters__V1__ExportClustersRequest *req,
                       cc_msg_cb cb, void *ud, cc_status_t *st);

/* ---- clusters.v1.CompetitionService ---- */
int cc_create_competition(cc_client_t *c, const cc_opts_t *o,
                          const Clusters__V1__CreateCompetitionRequest *req,
                          Clusters__V1__Competition **resp, cc_status_t *st);
int cc_get_competition(cc_client_t *c, const cc_opts_t *o,
                       const Clusters__V1__GetCompetitionRequest *req,
                       Clusters__V1__Competition **resp, cc_status_t *st);
int cc_list_competitions(cc_client_t *c, const cc_opts_t *o,
                         const Clusters__V1__ListCompetitionsRequest *req,
                         Clusters__V1__ListCompetitionsResponse **resp,
                         cc_status_t *st);
int cc_delete_competition(cc_client_t *c, const cc_opts_t *o,
                          const Clusters__V1__DeleteCompetitionRequest *req,
                          Clusters__V1__DeleteCompetitionResponse **resp,
                          cc_status_t *st);
/* RunCompetition: a stream of Clusters__V1__RunEvent. The callback form
 * hands progress events to cb (may be NULL) and returns the final Run.
 * The run is the server's job: it goes on when the call ends early (the
 * deadline, a cancelled call); cc_watch_run or cc_get_run find it. Progress
 * events do not carry the run's id: a caller that must be able to follow
 * the run after its own deadline starts it with cc_start_run and watches it
 * with cc_watch_run. A run that fails or is cancelled ends the call with
 * the run's status. */
int cc_run_competition_open(cc_client_t *c, const cc_opts_t *o,
                            const Clusters__V1__RunCompetitionRequest *req,
                            cc_reader_t **out, cc_status_t *st);
typedef void (*cc_progress_cb)(const Clusters__V1__Progress *p, void *ud);
int cc_run_competition(cc_client_t *c, const cc_opts_t *o,
                       const Clusters__V1__RunCompetitionRequest *req,
                       cc_progress_cb cb, void *ud,
                       Clusters__V1__Run **run, cc_status_t *st);
/* StartRun: queues a run and answers its head at once (state QUEUED or
 * RUNNING; id set). */
int cc_start_run(cc_client_t *c, const cc_opts_t *o,
                 const Clusters__V1__StartRunRequest *req,
                 Clusters__V1__Run **resp, cc_status_t *st);
/* WatchRun: a stream of Clusters__V1__RunEvent of any run, from any point.
 * The callback form hands progress events to cb (may be NULL) and returns
 * the Run in its final state: CC_OK whatever that state is (look at
 * run->state and run->error). An unknown id is CC_NOT_FOUND. Ending the
 * call early (the deadline) leaves the run running. */
int cc_watch_run_open(cc_client_t *c, const cc_opts_t *o,
                      const Clusters__V1__WatchRunRequest *req,
                      cc_reader_t **out, cc_status_t *st);
int cc_watch_run(cc_client_t *c, const cc_opts_t *o,
                 const Clusters__V1__WatchRunRequest *req, cc_progress_cb cb,
                 void *ud, Clusters__V1__Run **run, cc_status_t *st);
/* CancelRun: the Run as stored CANCELLED; CC_FAILED_PRECONDITION once it
 * ended, CC_NOT_FOUND for an unknown id. */
int cc_cancel_run(cc_client_t *c, const cc_opts_t *o,
                  const Clusters__V1__CancelRunRequest *req,
                  Clusters__V1__Run **resp, cc_status_t *st);
int cc_get_run(cc_client_t *c, const cc_opts_t *o,
               const Clusters__V1__GetRunRequest *req,
               Clusters__V1__Run **resp, cc_status_t *st);
/* req->state (RUN_STATE_UNSPECIFIED = every state) filters by state. */
int cc_list_runs(cc_client_t *c, const cc_opts_t *o,
                 const Clusters__V1__ListRunsRequest *req,
                 Clusters__V1__ListRunsResponse **resp, cc_status_t *st);
int cc_evaluate(cc_client_t *c, const cc_opts_t *o,
                const Clusters__V1__EvaluateRequest *req,
                Clusters__V1__Run **resp, cc_status_t *st);
/* AIP-134: without update_mask the server changes the fields req sets
 * (non-empty strings and lists, non-zero numbers); a field is cleared only
 * by naming it in the mask; "*" replaces the whole definition. */
int cc_update_competition(cc_client_t *c, const cc_opts_t *o,
                          const Clusters__V1__UpdateCompetitionRequest *req,
                          Clusters__V1__Competition **resp, cc_status_t *st);
int cc_delete_run(cc_client_t *c, const cc_opts_t *o,
                  const Clusters__V1__DeleteRunRequest *req,
                  Clusters__V1__DeleteRunResponse **resp, cc_status_t *st);
/* One page of a run's standings (free with cc_msg_free). A filtered page
 * may hold fewer standings than page_size, even none, while
 * next_page_token is set: page on until it is empty. */
int cc_list_standings(cc_client_t *c, const cc_opts_t *o,
                      const Clusters__V1__ListStandingsRequest *req,
                      Clusters__V1__ListStandingsResponse **resp,
                      cc_status_t *st);

/* ExplainStanding: one cluster's standing in a round of a SUCCEEDED run
 * (req->round "" = the last round it reached), criterion by criterion.
 * CC_NOT_FOUND for an unknown run or a cluster without a standing in it,
 * CC_FAILED_PRECONDITION for a run that did not succeed,
 * CC_INVALID_ARGUMENT for bad ids or a round the run does not have. */
int cc_explain_standing(cc_client_t *c, const cc_opts_t *o,
                        const Clusters__V1__ExplainStandingRequest *req,
                        Clusters__V1__Explanation **resp, cc_status_t *st);

/* Every page of ListStandings in turn, for reading a whole run: each page
 * is decoded into an arena the pager owns and reuses (no malloc per
 * field, nothing to free), so a page lives until the next call. From the
 * first next on, a thread of the pager's makes the calls, asking for the
 * following page as soon as a page's bytes are in (at most two pages
 * ahead of the caller), so the server works on the next page while the
 * caller decodes this one; close cancels a call under way and joins it.
 * One thread at a time per pager; close it before the client.
 *
 *   cc_standings_pager_t *p = cc_standings_pager_open(c, o, &req);
 *   const Clusters__V1__ListStandingsResponse *page;
 *   while ((rc = cc_standings_pager_next(p, &page, &st)) == CC_OK && page)
 *           ... page->standings[0 .. n_standings) ...
 *   cc_standings_pager_close(p);
 *
 * req is copied (its page_token is ignored: the pager starts at the first
 * page) and must outlive the pager. NULL when out of memory. */
typedef struct cc_standings_pager cc_standings_pager_t;
cc_standings_pager_t *cc_standings_pager_open(
	cc_client_t *c, const cc_opts_t *o,
	const Clusters__V1__ListStandingsRequest *req);
/* CC_OK and the next page in *page (borrowed), or CC_OK and NULL after
 * the last one, or the call's status (then *page is NULL). */
int cc_standings_pager_next(cc_standings_pager_t *p,
                            const Clusters__V1__ListStandingsResponse **page,
                            cc_status_t *st);
void cc_standings_pager_close(cc_standings_pager_t *p);

/* ---- clusters.v1.AuditService ---- */
/* The audit trail, oldest first, one page (docs/audit.md); for the admin
 * role. A page may hold fewer events than page_size while
 * next_page_token is set: page on until it is empty. */
int cc_list_audit_events(cc_client_t *c, const cc_opts_t *o,
                         const Clusters__V1__ListAuditEventsRequest *req,
                         Clusters__V1__ListAuditEventsResponse **resp,
                         cc_status_t *st);

/* ---- clusters.v1.AdminService ---- */
/* The server's version, plugin ABI, gRPC core version, data version and
 * start time (role reader). */
int cc_get_server_info(cc_client_t *c, const cc_opts_t *o,
                       const Clusters__V1__GetServerInfoRequest *req,
                       Clusters__V1__ServerInfo **resp, cc_status_t *st);
/* Backup (admin): a stream of Clusters__V1__BackupChunk, a header, then
 * data, then a trailer (docs/operations.md). The deadline covers the
 * whole stream: give a long one, or none (timeout_ms < 0). */
int cc_backup_open(cc_client_t *c, const cc_opts_t *o,
                   const Clusters__V1__BackupRequest *req,
                   cc_reader_t **out, cc_status_t *st);

/* ---- clusters.v1.PluginService ---- */
int cc_list_plugins(cc_client_t *c, const cc_opts_t *o,
                    const Clusters__V1__ListPluginsRequest *req,
                    Clusters__V1__ListPluginsResponse **resp,
                    cc_status_t *st);
int cc_reload_plugins(cc_client_t *c, const cc_opts_t *o,
                      const Clusters__V1__ReloadPluginsRequest *req,
                      Clusters__V1__ListPluginsResponse **resp,
                      cc_status_t *st);

/* ---- grpc.health.v1.Health ---- */
int cc_health_check(cc_client_t *c, const cc_opts_t *o,
                    const Grpc__Health__V1__HealthCheckRequest *req,
                    Grpc__Health__V1__HealthCheckResponse **resp,
                    cc_status_t *st);
/* Watch: a stream of Grpc__Health__V1__HealthCheckResponse. */
int cc_health_watch_open(cc_client_t *c, const cc_opts_t *o,
                         const Grpc__Health__V1__HealthCheckRequest *req,
                         cc_reader_t **out, cc_status_t *st);
int cc_health_watch(cc_client_t *c, const cc_opts_t *o,
                    const Grpc__Health__V1__HealthCheckRequest *req,
                    cc_msg_cb cb, void *ud, cc_status_t *st);

#endif
