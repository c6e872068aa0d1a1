/*
 * engine_run — turns an evaluation result into a clusters.v1.Run message
 * ready to store or send.
 *
 * The message and everything it points to live in one arena owned by the
 * message: free it with engine_run_free only (never with
 * protobuf_c_message_free_unpacked). It copies what it needs, so the
 * result and cohort may be destroyed once it is built.
 *
 * Thread-safety: reentrant; a built message is immutable.
 */
#ifndef ENGINE_RUN_H
#define ENGINE_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "clusters/v1/competitions.pb-c.h"
#include "engine_result.h"

typedef struct engine_plugin_use {
	const char *name, *version;
	Clusters__V1__PluginKind kind;
} engine_plugin_use_t;

typedef struct engine_run_opts {
	const char *run_id;             /* NULL = "" */
	uint64_t data_version;
	int64_t create_seconds;         /* 0 with nanos 0 = no create_time */
	int32_t create_nanos;
	const engine_plugin_use_t *plugins;
	size_t nplugins;
	/* Standings kept: the first max_standings in standings order plus every
	 * selected cluster; 0 = all. */
	size_t max_standings;
	int without_scores;             /* 1 = no per-criterion scores */
} engine_run_opts_t;

int engine_run_build(const engine_result_t *res, const engine_run_opts_t *o,
                     Clusters__V1__Run **out, char *err, size_t errlen);
void engine_run_free(Clusters__V1__Run *run);

#endif
