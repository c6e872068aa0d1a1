/*
 * plugin_cohort — the read-only cluster views a plugin scores.
 *
 * The service builds a cohort (service/srv_fill.c, from the store's packed
 * records; this module knows neither LMDB nor protobuf): add a cluster,
 * then its cities, indicators, assessments and labels, then the next
 * cluster; seal; hand it to plugin_instance_score. The sealed cohort is
 * the one copy of a run's clusters: the engine reads it too (by string id,
 * below; engine_cohort_create_from), and plugin workers map its segment. Strings that repeat across clusters (economies,
 * regions, cities, industries, indicator names, judges, criteria, labels)
 * are interned; everything else sits in a few flat arrays indexed by
 * offsets, so a million clusters with ten indicators each take about
 * 200 MB (see docs/plugins.md for the layout).
 *
 * Limits: indicator years 0..65535, at most 65535 distinct indicator names
 * and 2^32-1 items of any kind per cohort (CD_ELIMIT beyond). Cluster ids
 * are not checked for uniqueness; the service's ids come from the store.
 *
 * Thread-safety: building is single-threaded. A sealed cohort is immutable
 * and may be read (scored) by any number of threads at once.
 */
#ifndef PLUGIN_COHORT_H
#define PLUGIN_COHORT_H

#include <stddef.h>
#include <stdint.h>

#include "clusterplugin.h"

/* The cohort is the SDK's opaque cp_cohort_t. */
typedef struct cp_cohort plugin_cohort_t;

/* expect_clusters/expect_indicators size the first allocation (0 = small);
 * a good guess avoids regrowing large arrays. */
int plugin_cohort_create(plugin_cohort_t **out, size_t expect_clusters,
                         size_t expect_indicators, char *err, size_t errlen);
void plugin_cohort_destroy(plugin_cohort_t *c);
/* Grows the cluster and indicator arrays to hold at least this many in all
 * (exactly: no doubling), for a filler that learns the sizes while adding.
 * CD_ENOMEM leaves the cohort as it was; CD_EPRECONDITION once sealed. */
int plugin_cohort_reserve(plugin_cohort_t *c, size_t clusters,
                          size_t indicators, char *err, size_t errlen);

/* Starts a new cluster; the add_* calls below apply to it. id must be
 * non-empty; the other strings may be NULL (read back as ""). */
int plugin_cohort_add_cluster(plugin_cohort_t *c, const char *id,
                              const char *name, const char *economy,
                              const char *region, const char *industry,
                              char *err, size_t errlen);
int plugin_cohort_add_city(plugin_cohort_t *c, const char *city, char *err,
                           size_t errlen);
/* A (name, year) pair may appear once per cluster (CD_EV_DUPLICATE);
 * values must be finite (CD_EV_NONFINITE). */
int plugin_cohort_add_indicator(plugin_cohort_t *c, const char *name,
                                int year, double value, char *err,
                                size_t errlen);
int plugin_cohort_add_assessment(plugin_cohort_t *c, const char *judge,
                                 const char *criterion, double score,
                                 int round, int recused, char *err,
                                 size_t errlen);
/* A label key may appear once per cluster (CD_EV_DUPLICATE). */
int plugin_cohort_add_label(plugin_cohort_t *c, const char *key,
                            const char *value, char *err, size_t errlen);

/* The same calls for strings given by their bytes, as a reader of packed
 * records has them: len bytes at s (s may be NULL when len is 0), not
 * NUL-terminated; a string ends at its first NUL byte if it holds one, as
 * the C-string calls would see it. Results are those of the calls above
 * with the strings copied out and terminated, without the copy. */
typedef struct plugin_cohort_str {
	const char *s;
	size_t len;
} plugin_cohort_str_t;

typedef struct plugin_cohort_fields {
	plugin_cohort_str_t id, name, economy, region, industry;
} plugin_cohort_fields_t;

int plugin_cohort_add_cluster_n(plugin_cohort_t *c,
                                const plugin_cohort_fields_t *f, char *err,
                                size_t errlen);
int plugin_cohort_add_city_n(plugin_cohort_t *c, plugin_cohort_str_t city,
                             char *err, size_t errlen);
int plugin_cohort_add_indicator_n(plugin_cohort_t *c,
                                  plugin_cohort_str_t name, int year,
                                  double value, char *err, size_t errlen);
int plugin_cohort_add_assessment_n(plugin_cohort_t *c,
                                   plugin_cohort_str_t judge,
                                   plugin_cohort_str_t criterion,
                                   double score, int round, int recused,
                                   char *err, size_t errlen);
int plugin_cohort_add_label_n(plugin_cohort_t *c, plugin_cohort_str_t key,
                              plugin_cohort_str_t value, char *err,
                              size_t errlen);

/* Ends building and trims spare capacity. Adding afterwards is
 * CD_EPRECONDITION; scoring before it is too. */
int plugin_cohort_seal(plugin_cohort_t *c, char *err, size_t errlen);

/* The sealed memfd holding a sealed whole cohort (seal moves the cohort
 * into one shared-memory segment, which plugin workers map), or -1 for a
 * view, an unsealed cohort, or a small one (up to 1 MiB), which seal packs
 * in the same layout in the heap instead. Owned by the cohort. */
int plugin_cohort_fd(const plugin_cohort_t *c);
/* As plugin_cohort_seal, always into a memfd whatever the size. */
int plugin_cohort_seal_file(plugin_cohort_t *c, char *err, size_t errlen);
/* A small sealed cohort's packed bytes (*len of them; borrowed), which a
 * worker gets inside its request; NULL when the cohort has a file (or is
 * a view or unsealed). */
const void *plugin_cohort_bytes(const plugin_cohort_t *c, size_t *len);
/* As plugin_cohort_attach for packed bytes (copied: buf may go at once).
 * CD_EINVAL for bytes that are not a cohort segment, CD_ENOMEM. */
int plugin_cohort_attach_bytes(plugin_cohort_t **out, const void *buf,
                               size_t len, char *err, size_t errlen);
/* A sealed cohort read from such a segment (in a plugin worker): maps fd
 * read-only, checks its header, and needs fd no longer (close it when
 * convenient). CD_EINVAL for a file that is not a sealed cohort segment,
 * CD_EIO, CD_ENOMEM. Destroy with plugin_cohort_destroy. */
int plugin_cohort_attach(plugin_cohort_t **out, int fd, char *err,
                         size_t errlen);
int plugin_cohort_sealed(const plugin_cohort_t *c);

/* A sealed cohort of n clusters of parent (a sealed cohort, not itself a
 * view): cluster i of the view is cluster idx[i] of parent (idx is
 * copied). A round's candidates are scored through a view so plugins see
 * only them, without copying their data. The view borrows parent, which
 * must outlive it; destroy it with plugin_cohort_destroy. */
int plugin_cohort_view(plugin_cohort_t **out, const plugin_cohort_t *parent,
                       const uint32_t *idx, size_t n, char *err,
                       size_t errlen);

size_t plugin_cohort_size(const plugin_cohort_t *c);
/* Borrowed; valid while the cohort lives. NULL when i is out of range. */
const char *plugin_cohort_id(const plugin_cohort_t *c, size_t i);
/* The distinct names of one kind (CP_NAMES_INDICATOR: indicator names,
 * CP_NAMES_LABEL: label keys, CP_NAMES_CRITERION: assessment criteria)
 * that at least one cluster of c has, in the order first added: *out
 * (free() it) holds *n strings borrowed from c, valid until c is destroyed
 * or added to. For checking names that criteria give against the data.
 * CD_EINVAL for a view (ask its whole cohort) or an unknown kind;
 * CD_ENOMEM. */
int plugin_cohort_names(const plugin_cohort_t *c, int kind,
                        const char ***out, size_t *n, char *err,
                        size_t errlen);

/* ---- Reading by string id: the engine's access to a sealed cohort. ----
 *
 * Every string of a cohort except ids, names and indicator names
 * (economies, regions, industries, cities, label keys and values, judges,
 * criteria) has a dense id, its sid, in [0, plugin_cohort_nstrs): equal
 * strings have equal sids, and "" is PLUGIN_COHORT_SID_EMPTY. A reader
 * that groups clusters by such a field (the engine: eligibility, quotas,
 * summaries) uses the sids as its group ids instead of interning the
 * strings again. These calls take a sealed whole cohort (not a view) and
 * i < plugin_cohort_size; they return pointers into the cohort, valid
 * while it lives. */
#define PLUGIN_COHORT_SID_EMPTY 0u
#define PLUGIN_COHORT_NOSID UINT32_MAX

/* How many sids c has; 0 for a view or an unsealed cohort. */
size_t plugin_cohort_nstrs(const plugin_cohort_t *c);
/* The string of sid (< plugin_cohort_nstrs). */
const char *plugin_cohort_str(const plugin_cohort_t *c, uint32_t sid);
/* The sid of the len bytes at s, or PLUGIN_COHORT_NOSID when no cluster
 * has that string. */
uint32_t plugin_cohort_sid(const plugin_cohort_t *c, const char *s,
                           size_t len);
/* Cluster i's name ("" when it has none). */
const char *plugin_cohort_name(const plugin_cohort_t *c, size_t i);

typedef struct plugin_cohort_sids {
	uint32_t economy, region, industry;
} plugin_cohort_sids_t;

/* The sids of cluster i's economy, region and industry. */
void plugin_cohort_cluster_sids(const plugin_cohort_t *c, size_t i,
                                plugin_cohort_sids_t *out);
/* The city sids of the whole cohort, cluster after cluster (NULL when no
 * cluster has a city): cluster i's are [*first, *first + *count). */
const uint32_t *plugin_cohort_city_sids(const plugin_cohort_t *c, size_t i,
                                        size_t *first, size_t *count);
/* The sid of cluster i's value of the label whose key has sid key, or
 * PLUGIN_COHORT_NOSID when cluster i lacks that label. */
uint32_t plugin_cohort_label_sid(const plugin_cohort_t *c, size_t i,
                                 uint32_t key);
/* 1 and *value when cluster i has indicator name in year, else 0. */
int plugin_cohort_indicator(const plugin_cohort_t *c, size_t i,
                            const char *name, int year, double *value);
/* 1 and *value for cluster i's latest year of indicator name, else 0. */
int plugin_cohort_indicator_latest(const plugin_cohort_t *c, size_t i,
                                   const char *name, double *value);

/* Bytes held by the cohort's arrays and tables (capacity, not length). */
size_t plugin_cohort_memory(const plugin_cohort_t *c);

/* Installs the cohort view accessors into a host table. */
void plugin_cohort_bind_host(cp_host_t *host);

#endif
