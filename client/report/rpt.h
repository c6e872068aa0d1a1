/*
 * rpt — a run's report as one self-contained HTML page: inline CSS and
 * inline SVG charts, no script, nothing fetched, printable to PDF.
 *
 * The renderer knows nothing of gRPC: the caller (clusterctl run report,
 * client/ctl/ctl_report.c) fetches the run, the standings each section
 * needs and the clusters, fills an rpt_data_t and calls rpt_render. The
 * same data always gives the same bytes (the generation time is part of
 * the data), which the golden-structure tests rely on.
 *
 * The page's structure is a contract the browser tests check
 * (docs/report.md): one <section> per part (ids header, funnel, ranking,
 * uncertainty, change, summary, decisions, coherence, cluster-ID), each
 * chart a <figure class="chart" data-chart=KIND> holding an <svg
 * role="img"> titled and described for screen readers, its numbers in a
 * <table class="data"> beside it.
 *
 * Thread-safety: rpt_render is reentrant; the data is only read.
 */
#ifndef RPT_H
#define RPT_H

#include <stddef.h>
#include <stdint.h>

#include "clusters/v1/clusters.pb-c.h"
#include "clusters/v1/competitions.pb-c.h"

/* One round: its stored statistics and standings of its candidates by
 * the round's own rank (rank 1 first, unranked last), each with a
 * RoundStanding for the round: the first ntop are its top (the ranking
 * chart), all nall of them are searched for the decisions to name
 * (quota passes, industry leaders) and for clusters' names. */
typedef struct rpt_round {
	const Clusters__V1__RoundStats *stats;  /* never NULL */
	Clusters__V1__Standing *const *top;
	size_t ntop, nall;
	int truncated;   /* the standings fetched may miss some of them */
} rpt_round_t;

/* A cluster's rank in the run and in the baseline. */
typedef struct rpt_move {
	const char *id, *name;
	int32_t rank;       /* 0: not ranked in this run */
	int32_t base_rank;  /* 0: not ranked in the baseline (a new entrant) */
} rpt_move_t;

/* A cluster of its own section: the record as stored now and its
 * standing in the run (NULL when it was not in the run). */
typedef struct rpt_cluster {
	const Clusters__V1__Cluster *cluster;
	const Clusters__V1__Standing *standing;
} rpt_cluster_t;

typedef enum rpt_mode {
	RPT_FULL = 0,     /* every section, then the cluster sections */
	RPT_CLUSTERS,     /* the header, then only the cluster sections */
} rpt_mode_t;

typedef struct rpt_data {
	rpt_mode_t mode;
	const Clusters__V1__Run *run;            /* never NULL */
	const Clusters__V1__Competition *comp;   /* NULL: no longer stored */
	const char *generated;                   /* "2026-12-07 10:00 UTC" */
	int32_t top_n;                           /* as asked (--top) */
	rpt_round_t *rounds;                     /* one per run->rounds[] */
	size_t nrounds;
	/* The overall ranking's best top_n (rank order). */
	Clusters__V1__Standing *const *top;
	size_t ntop;
	/* Against a baseline run (baseline_id NULL: none): every cluster of
	 * either top_n, new entrants and clusters that dropped out included. */
	const char *baseline_id;
	const rpt_move_t *moves;
	size_t nmoves;
	const rpt_cluster_t *clusters;
	size_t nclusters;
} rpt_data_t;

/* The RoundStanding of s for round (NULL when absent). */
const Clusters__V1__RoundStanding *
rpt_round_of(const Clusters__V1__Standing *s, const char *round);
/* A cluster's display name: its name, else its id. */
const char *rpt_name(const Clusters__V1__Standing *s);

/* The page in *out (malloc'd, *len bytes, NUL-terminated). CD_OK, or
 * CD_ENOMEM. */
int rpt_render(const rpt_data_t *d, char **out, size_t *len);

#endif
