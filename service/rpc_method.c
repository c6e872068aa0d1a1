#include "rpc_method.h"

#include "rpc_audit.h"
#include "rpc_competition.h"
#include "rpc_export.h"
#include "rpc_health.h"
#include "rpc_import.h"
#include "rpc_plugins.h"
#include "rpc_registry.h"
#include "rpc_run.h"

#define REG "/clusters.v1.ClusterRegistry/"
#define COMP "/clusters.v1.CompetitionService/"
#define PLUG "/clusters.v1.PluginService/"
#define HEALTH "/grpc.health.v1.Health/"
#define AUDIT "/clusters.v1.AuditService/"

#define REG_SVC "clusters.v1.ClusterRegistry"
#define COMP_SVC "clusters.v1.CompetitionService"
#define PLUG_SVC "clusters.v1.PluginService"
#define HEALTH_SVC "grpc.health.v1.Health"
#define AUDIT_SVC "clusters.v1.AuditService"

static const rpc_method_t methods[] = {
	{REG "CreateCluster", REG_SVC, RPC_UNARY, rpc_registry_create},
	{REG "GetCluster", REG_SVC, RPC_UNARY, rpc_registry_get},
	{REG "UpdateCluster", REG_SVC, RPC_UNARY, rpc_registry_update},
	{REG "DeleteCluster", REG_SVC, RPC_UNARY, rpc_registry_delete},
	{REG "ListClusters", REG_SVC, RPC_UNARY, rpc_registry_list},
	{REG "ImportClusters", REG_SVC, RPC_CLIENT_STREAM, rpc_import_clusters},
	{REG "ExportClusters", REG_SVC, RPC_SERVER_STREAM, rpc_export_clusters},

	{COMP "CreateCompetition", COMP_SVC, RPC_UNARY,
	 rpc_competition_create},
	{COMP "GetCompetition", COMP_SVC, RPC_UNARY, rpc_competition_get},
	{COMP "ListCompetitions", COMP_SVC, RPC_UNARY, rpc_competition_list},
	{COMP "DeleteCompetition", COMP_SVC, RPC_UNARY,
	 rpc_competition_delete},
	{COMP "RunCompetition", COMP_SVC, RPC_SERVER_STREAM,
	 rpc_run_competition},
	{COMP "GetRun", COMP_SVC, RPC_UNARY, rpc_run_get},
	{COMP "ListRuns", COMP_SVC, RPC_UNARY, rpc_run_list},
	{COMP "Evaluate", COMP_SVC, RPC_UNARY, rpc_run_evaluate, 1},
	{COMP "UpdateCompetition", COMP_SVC, RPC_UNARY,
	 rpc_competition_update},
	{COMP "DeleteRun", COMP_SVC, RPC_UNARY, rpc_run_delete},

	{PLUG "ListPlugins", PLUG_SVC, RPC_UNARY, rpc_plugins_list},
	{PLUG "ReloadPlugins", PLUG_SVC, RPC_UNARY, rpc_plugins_reload},

	/* For the admin role (docs/audit.md). */
	{AUDIT "ListAuditEvents", AUDIT_SVC, RPC_UNARY, rpc_audit_list},

	{HEALTH "Check", HEALTH_SVC, RPC_UNARY, rpc_health_check},
	{HEALTH "Watch", HEALTH_SVC, RPC_SERVER_STREAM, rpc_health_watch},
};

static const char *const services[] = {REG_SVC, COMP_SVC, PLUG_SVC,
                                       AUDIT_SVC, HEALTH_SVC};

const rpc_method_t *rpc_method_table(size_t *n)
{
	*n = sizeof(methods) / sizeof(methods[0]);
	return methods;
}

const char *const *rpc_service_names(size_t *n)
{
	*n = sizeof(services) / sizeof(services[0]);
	return services;
}
