/* Typed calls: one per RPC of the contract, each a thin wrapper that names
 * the method and the response type of a generic call in cc_call.c. */
#include "cc_client.h"

#include "cc_call_internal.h"

#define CC_REGISTRY "/clusters.v1.ClusterRegistry/"
#define CC_COMPETITIONS "/clusters.v1.CompetitionService/"
#define CC_PLUGINS "/clusters.v1.PluginService/"
#define CC_HEALTH "/grpc.health.v1.Health/"
#define CC_AUDIT "/clusters.v1.AuditService/"
#define CC_ADMIN "/clusters.v1.AdminService/"

/* The casts are safe: every protobuf-c message starts with its base. */
#define CC_UNARY(fn, req_t, resp_t, resp_desc, method)                      \
	int fn(cc_client_t *c, const cc_opts_t *o, const req_t *req,         \
	       resp_t **resp, cc_status_t *st)                               \
	{                                                                    \
		return cc_call_unary(c, o, method,                           \
		                     (const ProtobufCMessage *)req,          \
		                     &resp_desc, (ProtobufCMessage **)resp,  \
		                     st);                                    \
	}

CC_UNARY(cc_create_cluster, Clusters__V1__CreateClusterRequest,
         Clusters__V1__Cluster, clusters__v1__cluster__descriptor,
         CC_REGISTRY "CreateCluster")
CC_UNARY(cc_get_cluster, Clusters__V1__GetClusterRequest,
         Clusters__V1__Cluster, clusters__v1__cluster__descriptor,
         CC_REGISTRY "GetCluster")
CC_UNARY(cc_update_cluster, Clusters__V1__UpdateClusterRequest,
         Clusters__V1__Cluster, clusters__v1__cluster__descriptor,
         CC_REGISTRY "UpdateCluster")
CC_UNARY(cc_delete_cluster, Clusters__V1__DeleteClusterRequest,
         Clusters__V1__DeleteClusterResponse,
         clusters__v1__delete_cluster_response__descriptor,
         CC_REGISTRY "DeleteCluster")
CC_UNARY(cc_list_clusters, Clusters__V1__ListClustersRequest,
         Clusters__V1__ListClustersResponse,
         clusters__v1__list_clusters_response__descriptor,
         CC_REGISTRY "ListClusters")

CC_UNARY(cc_create_competition, Clusters__V1__CreateCompetitionRequest,
         Clusters__V1__Competition, clusters__v1__competition__descriptor,
         CC_COMPETITIONS "CreateCompetition")
CC_UNARY(cc_get_competition, Clusters__V1__GetCompetitionRequest,
         Clusters__V1__Competition, clusters__v1__competition__descriptor,
         CC_COMPETITIONS "GetCompetition")
CC_UNARY(cc_list_competitions, Clusters__V1__ListCompetitionsRequest,
         Clusters__V1__ListCompetitionsResponse,
         clusters__v1__list_competitions_response__descriptor,
         CC_COMPETITIONS "ListCompetitions")
CC_UNARY(cc_delete_competition, Clusters__V1__DeleteCompetitionRequest,
         Clusters__V1__DeleteCompetitionResponse,
         clusters__v1__delete_competition_response__descriptor,
         CC_COMPETITIONS "DeleteCompetition")
CC_UNARY(cc_get_run, Clusters__V1__GetRunRequest, Clusters__V1__Run,
         clusters__v1__run__descriptor, CC_COMPETITIONS "GetRun")
CC_UNARY(cc_list_runs, Clusters__V1__ListRunsRequest,
         Clusters__V1__ListRunsResponse,
         clusters__v1__list_runs_response__descriptor,
         CC_COMPETITIONS "ListRuns")
CC_UNARY(cc_evaluate, Clusters__V1__EvaluateRequest, Clusters__V1__Run,
         clusters__v1__run__descriptor, CC_COMPETITIONS "Evaluate")
CC_UNARY(cc_update_competition, Clusters__V1__UpdateCompetitionRequest,
         Clusters__V1__Competition, clusters__v1__competition__descriptor,
         CC_COMPETITIONS "UpdateCompetition")
CC_UNARY(cc_delete_run, Clusters__V1__DeleteRunRequest,
         Clusters__V1__DeleteRunResponse,
         clusters__v1__delete_run_response__descriptor,
         CC_COMPETITIONS "DeleteRun")

CC_UNARY(cc_start_run, Clusters__V1__StartRunRequest, Clusters__V1__Run,
         clusters__v1__run__descriptor, CC_COMPETITIONS "StartRun")
CC_UNARY(cc_cancel_run, Clusters__V1__CancelRunRequest, Clusters__V1__Run,
         clusters__v1__run__descriptor, CC_COMPETITIONS "CancelRun")
CC_UNARY(cc_explain_standing, Clusters__V1__ExplainStandingRequest,
         Clusters__V1__Explanation, clusters__v1__explanation__descriptor,
         CC_COMPETITIONS "ExplainStanding")

CC_UNARY(cc_list_standings, Clusters__V1__ListStandingsRequest,
         Clusters__V1__ListStandingsResponse,
         clusters__v1__list_standings_response__descriptor,
         CC_COMPETITIONS "ListStandings")

CC_UNARY(cc_list_plugins, Clusters__V1__ListPluginsRequest,
         Clusters__V1__ListPluginsResponse,
         clusters__v1__list_plugins_response__descriptor,
         CC_PLUGINS "ListPlugins")
CC_UNARY(cc_reload_plugins, Clusters__V1__ReloadPluginsRequest,
         Clusters__V1__ListPluginsResponse,
         clusters__v1__list_plugins_response__descriptor,
         CC_PLUGINS "ReloadPlugins")

CC_UNARY(cc_list_audit_events, Clusters__V1__ListAuditEventsRequest,
         Clusters__V1__ListAuditEventsResponse,
         clusters__v1__list_audit_events_response__descriptor,
         CC_AUDIT "ListAuditEvents")

CC_UNARY(cc_get_server_info, Clusters__V1__GetServerInfoRequest,
         Clusters__V1__ServerInfo, clusters__v1__server_info__descriptor,
         CC_ADMIN "GetServerInfo")

CC_UNARY(cc_health_check, Grpc__Health__V1__HealthCheckRequest,
         Grpc__Health__V1__HealthCheckResponse,
         grpc__health__v1__health_check_response__descriptor,
         CC_HEALTH "Check")

/* ---- streams ---- */

int cc_import_clusters_open(cc_client_t *c, const cc_opts_t *o,
                            cc_writer_t **out, cc_status_t *st)
{
	return cc_writer_open(c, o, CC_REGISTRY "ImportClusters",
	                      &clusters__v1__import_clusters_response__descriptor,
	                      out, st);
}

int cc_import_clusters_finish(cc_writer_t *w,
                              Clusters__V1__ImportClustersResponse **resp,
                              cc_status_t *st)
{
	return cc_writer_finish(w, (ProtobufCMessage **)resp, st);
}

int cc_export_clusters_open(cc_client_t *c, const cc_opts_t *o,
                            const Clusters__V1__ExportClustersRequest *req,
                            cc_reader_t **out, cc_status_t *st)
{
	return cc_reader_open(c, o, CC_REGISTRY "ExportClusters",
	                      (const ProtobufCMessage *)req,
	                      &clusters__v1__cluster__descriptor, out, st);
}

/* Drains r into cb; a callback that asks to stop cancels the call. */
static int cc_reader_drain(cc_reader_t *r, cc_msg_cb cb, void *ud,
                           cc_status_t *st)
{
	ProtobufCMessage *m;
	while (cc_reader_next(r, &m)) {
		int stop = cb(m, ud);
		cc_msg_free(m);
		if (stop)
			break;
	}
	return cc_reader_close(r, st);
}

int cc_export_clusters(cc_client_t *c, const cc_opts_t *o,
                       const Clusters__V1__ExportClustersRequest *req,
                       cc_msg_cb cb, void *ud, cc_status_t *st)
{
	cc_reader_t *r;
	int rc = cc_export_clusters_open(c, o, req, &r, st);
	return rc ? rc : cc_reader_drain(r, cb, ud, st);
}

int cc_backup_open(cc_client_t *c, const cc_opts_t *o,
                   const Clusters__V1__BackupRequest *req,
                   cc_reader_t **out, cc_status_t *st)
{
	return cc_reader_open(c, o, CC_ADMIN "Backup",
	                      (const ProtobufCMessage *)req,
	                      &clusters__v1__backup_chunk__descriptor, out, st);
}

int cc_run_competition_open(cc_client_t *c, const cc_opts_t *o,
                            const Clusters__V1__RunCompetitionRequest *req,
                            cc_reader_t **out, cc_status_t *st)
{
	return cc_reader_open(c, o, CC_COMPETITIONS "RunCompetition",
	                      (const ProtobufCMessage *)req,
	                      &clusters__v1__run_event__descriptor, out, st);
}

/* Reads a stream of RunEvent: progress to cb (may be NULL), the one Run
 * into *run; frees r. A stream that ends OK without a Run is INTERNAL. */
static int cc_run_events(cc_reader_t *r, cc_progress_cb cb, void *ud,
                         Clusters__V1__Run **run, cc_status_t *st)
{
	ProtobufCMessage *m;
	while (cc_reader_next(r, &m)) {
		Clusters__V1__RunEvent *ev = (Clusters__V1__RunEvent *)m;
		if (ev->event_case == CLUSTERS__V1__RUN_EVENT__EVENT_PROGRESS) {
			if (cb)
				cb(ev->progress, ud);
		} else if (ev->event_case == CLUSTERS__V1__RUN_EVENT__EVENT_RUN &&
		           !*run) {
			/* Keep the run, free the envelope. */
			*run = ev->run;
			ev->event_case = CLUSTERS__V1__RUN_EVENT__EVENT__NOT_SET;
			ev->run = NULL;
		}
		cc_msg_free(m);
	}
	int rc = cc_reader_close(r, st);
	if (rc == CC_OK && !*run)
		rc = cc_st_set(st, CC_INTERNAL,
		               "the run stream ended without a run");
	if (rc != CC_OK) {
		cc_msg_free(*run);
		*run = NULL;
	}
	return rc;
}

int cc_run_competition(cc_client_t *c, const cc_opts_t *o,
                       const Clusters__V1__RunCompetitionRequest *req,
                       cc_progress_cb cb, void *ud,
                       Clusters__V1__Run **run, cc_status_t *st)
{
	*run = NULL;
	cc_reader_t *r;
	int rc = cc_run_competition_open(c, o, req, &r, st);
	return rc ? rc : cc_run_events(r, cb, ud, run, st);
}

int cc_watch_run_open(cc_client_t *c, const cc_opts_t *o,
                      const Clusters__V1__WatchRunRequest *req,
                      cc_reader_t **out, cc_status_t *st)
{
	return cc_reader_open(c, o, CC_COMPETITIONS "WatchRun",
	                      (const ProtobufCMessage *)req,
	                      &clusters__v1__run_event__descriptor, out, st);
}

int cc_watch_run(cc_client_t *c, const cc_opts_t *o,
                 const Clusters__V1__WatchRunRequest *req, cc_progress_cb cb,
                 void *ud, Clusters__V1__Run **run, cc_status_t *st)
{
	*run = NULL;
	cc_reader_t *r;
	int rc = cc_watch_run_open(c, o, req, &r, st);
	return rc ? rc : cc_run_events(r, cb, ud, run, st);
}

int cc_health_watch_open(cc_client_t *c, const cc_opts_t *o,
                         const Grpc__Health__V1__HealthCheckRequest *req,
                         cc_reader_t **out, cc_status_t *st)
{
	return cc_reader_open(c, o, CC_HEALTH "Watch",
	                      (const ProtobufCMessage *)req,
	                      &grpc__health__v1__health_check_response__descriptor,
	                      out, st);
}

int cc_health_watch(cc_client_t *c, const cc_opts_t *o,
                    const Grpc__Health__V1__HealthCheckRequest *req,
                    cc_msg_cb cb, void *ud, cc_status_t *st)
{
	cc_reader_t *r;
	int rc = cc_health_watch_open(c, o, req, &r, st);
	return rc ? rc : cc_reader_drain(r, cb, ud, st);
}
