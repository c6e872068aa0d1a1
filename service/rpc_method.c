#include "rpc_method.h"

#include "rpc_audit.h"
#include "rpc_backup.h"
#include "rpc_competition.h"
#include "rpc_explain.h"
#include "rpc_export.h"
#include "rpc_health.h"
#include "rpc_import.h"
#include "rpc_info.h"
#include "rpc_plugins.h"
#include "rpc_reflection.h"
#include "rpc_registry.h"
#include "rpc_run.h"
#include "rpc_standings.h"

#define REG "/clusters.v1.ClusterRegistry/"
#define COMP "/clusters.v1.CompetitionService/"
#define PLUG "/clusters.v1.PluginService/"
#define HEALTH "/grpc.health.v1.Health/"
#define AUDIT "/clusters.v1.AuditService/"
#define ADMIN "/clusters.v1.AdminService/"
#define REFL "/grpc.reflection.v1.ServerReflection/"
#define REFL_ALPHA "/grpc.reflection.v1alpha.ServerReflection/"

#define REG_SVC "clusters.v1.ClusterRegistry"
#define COMP_SVC "clusters.v1.CompetitionService"
#define PLUG_SVC "clusters.v1.PluginService"
#define HEALTH_SVC "grpc.health.v1.Health"
#define AUDIT_SVC "clusters.v1.AuditService"
#define ADMIN_SVC "clusters.v1.AdminService"
#define REFL_SVC "grpc.reflection.v1.ServerReflection"
#define REFL_ALPHA_SVC "grpc.reflection.v1alpha.ServerReflection"

/* Roles: docs/security.md, "Roles", lists the same; auth_test.py checks
 * every method against that table. */
#define R RPC_ROLE_READER
#define E RPC_ROLE_EDITOR
#define A RPC_ROLE_ADMIN
#define OPEN RPC_ROLE_OPEN

static const rpc_method_t methods[] = {
	{REG "CreateCluster", REG_SVC, RPC_UNARY, rpc_registry_create, 0, E, 0, 1},
	{REG "GetCluster", REG_SVC, RPC_UNARY, rpc_registry_get, 0, R},
	{REG "UpdateCluster", REG_SVC, RPC_UNARY, rpc_registry_update, 0, E,
	 1, 1},
	{REG "DeleteCluster", REG_SVC, RPC_UNARY, rpc_registry_delete, 0, E, 0, 1},
	{REG "ListClusters", REG_SVC, RPC_UNARY, rpc_registry_list, 0, R},
	{REG "ImportClusters", REG_SVC, RPC_CLIENT_STREAM, rpc_import_clusters,
	 0, E, 0, 1},
	{REG "ExportClusters", REG_SVC, RPC_SERVER_STREAM, rpc_export_clusters,
	 0, R},

	{COMP "CreateCompetition", COMP_SVC, RPC_UNARY,
	 rpc_competition_create, 0, E, 0, 1},
	{COMP "GetCompetition", COMP_SVC, RPC_UNARY, rpc_competition_get, 0, R},
	{COMP "ListCompetitions", COMP_SVC, RPC_UNARY, rpc_competition_list, 0,
	 R},
	{COMP "DeleteCompetition", COMP_SVC, RPC_UNARY,
	 rpc_competition_delete, 0, A, 0, 1},
	{COMP "RunCompetition", COMP_SVC, RPC_SERVER_STREAM,
	 rpc_run_competition, 0, E, 0, 1},
	{COMP "GetRun", COMP_SVC, RPC_UNARY, rpc_run_get, 0, R},
	{COMP "ListRuns", COMP_SVC, RPC_UNARY, rpc_run_list, 0, R},
	/* Editor: it runs plugins, which costs the server work. */
	{COMP "Evaluate", COMP_SVC, RPC_UNARY, rpc_run_evaluate, 1, E},
	{COMP "UpdateCompetition", COMP_SVC, RPC_UNARY,
	 rpc_competition_update, 0, E, 0, 1},
	{COMP "DeleteRun", COMP_SVC, RPC_UNARY, rpc_run_delete, 0, A, 0, 1},
	{COMP "StartRun", COMP_SVC, RPC_UNARY, rpc_run_start, 0, E, 0, 1},
	{COMP "WatchRun", COMP_SVC, RPC_SERVER_STREAM, rpc_run_watch, 0, R},
	{COMP "CancelRun", COMP_SVC, RPC_UNARY, rpc_run_cancel, 0, E, 0, 1},
	{COMP "ListStandings", COMP_SVC, RPC_UNARY, rpc_standings_list, 0, R},
	/* Reader, judges included: runs are results (docs/security.md). */
	{COMP "ExplainStanding", COMP_SVC, RPC_UNARY, rpc_explain_standing, 0,
	 R},

	{PLUG "ListPlugins", PLUG_SVC, RPC_UNARY, rpc_plugins_list, 0, R},
	{PLUG "ReloadPlugins", PLUG_SVC, RPC_UNARY, rpc_plugins_reload, 0, A},

	/* Admin: the trail names every principal and what it wrote
	 * (docs/audit.md). */
	{AUDIT "ListAuditEvents", AUDIT_SVC, RPC_UNARY, rpc_audit_list, 0, A},

	/* Reader: clusterctl --version asks it. */
	{ADMIN "GetServerInfo", ADMIN_SVC, RPC_UNARY, rpc_info_get, 0, R},
	/* Admin: the copy holds every record and the audit trail. */
	{ADMIN "Backup", ADMIN_SVC, RPC_SERVER_STREAM, rpc_backup, 0, A},

	/* Reader: the schema is public, but a server with tokens tells
	 * nothing, not even what it serves, to callers without one
	 * (docs/security.md). v1alpha is the same service under the name
	 * older tools ask for. */
	{REFL "ServerReflectionInfo", REFL_SVC, RPC_BIDI_STREAM,
	 rpc_reflection_info, 0, R},
	{REFL_ALPHA "ServerReflectionInfo", REFL_ALPHA_SVC, RPC_BIDI_STREAM,
	 rpc_reflection_info, 0, R},

	/* Open: load balancers and orchestrators probe without tokens. */
	{HEALTH "Check", HEALTH_SVC, RPC_UNARY, rpc_health_check, 0, OPEN},
	{HEALTH "Watch", HEALTH_SVC, RPC_SERVER_STREAM, rpc_health_watch, 0,
	 OPEN},
};

#undef R
#undef E
#undef A
#undef OPEN

static const char *const services[] = {REG_SVC, COMP_SVC, PLUG_SVC,
                                       AUDIT_SVC, ADMIN_SVC, HEALTH_SVC,
                                       REFL_SVC, REFL_ALPHA_SVC};

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
