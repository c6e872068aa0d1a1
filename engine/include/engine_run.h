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
	/* Standings inline in the Run: the first max_standings in standings
	 * order, then selected clusters up to max_standings more (a warning
	 * says how many); 0 = all. Every standing is in engine_standings_pack's
	 * output whatever this says. */
	size_t max_standings;
	int without_scores;             /* 1 = no per-criterion scores */
	/* A Run built before from the same result (say with more standings):
	 * its rounds' coherence is copied, not computed again; NULL =
	 * compute. It may be freed once this build returns. */
	const Clusters__V1__Run *coherence_from;
} engine_run_opts_t;

/* The Run: summary, Run.rounds (RoundStats), standings (each with one
 * RoundStanding per round; Standing.scores left empty, the field of runs
 * stored before), warnings. standings_total = every cluster's. */
int engine_run_build(const engine_result_t *res, const engine_run_opts_t *o,
                     Clusters__V1__Run **out, char *err, size_t errlen);
void engine_run_free(Clusters__V1__Run *run);

/* Appends standings [from, to) of res, in standings order, to *buf (*len
 * bytes used of *cap, grown with realloc; *buf may be NULL with *cap 0),
 * each as field 1 of clusters.v1.ListStandingsResponse (tag 0x0a, varint
 * length, the packed Standing): the concatenation of chunks parses as one
 * ListStandingsResponse. The standings are byte for byte those of
 * engine_run_build with the same o (NULL = defaults: with scores). One
 * arena block is reused for every standing. CD_EINVAL (range or buffer not
 * valid), CD_ENOMEM: *buf keeps the whole standings appended before. */
int engine_standings_pack(const engine_result_t *res,
                          const engine_run_opts_t *o, size_t from, size_t to,
                          uint8_t **buf, size_t *len, size_t *cap, char *err,
                          size_t errlen);

#endif
