/*
 * store — the LMDB store of clusters, competitions and runs.
 *
 * One environment per data directory (created 0700, files 0600), every named
 * database opened once in store_open, which also takes the directory's lock
 * (one store per directory, across processes) and refuses a damaged
 * data.mdb before LMDB maps it. Records are kept as packed protobuf
 * (the API's own messages), with secondary indexes on economy, region, city
 * and industry written in the same transaction as the record.
 *
 * Writes go through store_apply: a batch of operations committed in one
 * durable transaction (group commit), each operation with its own result. A
 * failing operation writes nothing and does not affect the others. When the
 * map is full the store grows it and replays the batch; callers never see
 * MDB_MAP_FULL. A map grown by another process is adopted. A write that
 * finds no room on disk fails with CD_ELIMIT ("disk full", naming the
 * directory).
 *
 * Reads open short read transactions internally, or use a snapshot
 * (store_snap_*) that keeps one consistent view, with its data version
 * (the LMDB transaction id), for as long as the caller holds it.
 *
 * Knows LMDB and protobuf-c types; knows nothing of gRPC.
 *
 * Thread-safety: a store_t may be used from any number of threads at once.
 * store_apply calls are serialised internally. A store_snap_t belongs to one
 * thread at a time. Map growth waits until no snapshot is open, so do not
 * call store_apply from a thread that holds a snapshot, and close snapshots
 * promptly.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>

#include "cd_error.h"
#include "clusters/v1/clusters.pb-c.h"
#include "clusters/v1/competitions.pb-c.h"
#include "clusters/v1/audit.pb-c.h"

typedef Clusters__V1__Cluster store_cluster_t;
typedef Clusters__V1__Competition store_competition_t;
typedef Clusters__V1__Run store_run_t;
typedef Clusters__V1__AuditEvent store_audit_t;

typedef struct store store_t;
typedef struct store_snap store_snap_t;

/* Limits enforced by validation. */
#define STORE_ID_MAX 128
#define STORE_NAME_MAX 256
#define STORE_TEXT_MAX 128        /* region, city, industry, judge, unit... */
#define STORE_COMMENT_MAX 4096
#define STORE_LABEL_VALUE_MAX 256
#define STORE_MAX_CITIES 64
#define STORE_MAX_INDICATORS 4096
#define STORE_MAX_ASSESSMENTS 4096
#define STORE_MAX_LABELS 64
#define STORE_YEAR_MIN 1800
#define STORE_YEAR_MAX 2200
#define STORE_PAGE_DEFAULT 100
#define STORE_PAGE_MAX 1000

/* Levels of store_opts.log. */
enum { STORE_LOG_ERROR = 0, STORE_LOG_WARN, STORE_LOG_INFO };

typedef struct store_opts {
	size_t map_size;      /* initial map size in bytes; 0 = 64 MiB */
	size_t map_size_max;  /* growth ceiling; 0 = 1 TiB */
	int nosync;           /* 1 = commits are not fsynced (benchmarks only) */
	unsigned max_readers; /* 0 = 512 */
	/* Long scans drop the pages they have read from the process's
	 * resident set after this many bytes of records; 0 = 64 MiB. */
	size_t scan_shed_bytes;
	/* Optional: told of the store's own trouble (writes failing for
	 * want of room, and their recovery). Called from the writing
	 * thread, with the writer's lock held: log, do not call back. */
	void (*log)(void *ctx, int level, const char *msg);
	void *log_ctx;
	/* 1 = open an existing store read-only (a replica restored from a
	 * backup): data.mdb is opened O_RDONLY and mapped read-only, so
	 * nothing can change it; a missing data.mdb is CD_EPRECONDITION;
	 * every store_apply fails with CD_EPRECONDITION. The directory must
	 * still be writable (clusterd.lock, LMDB's reader table lock.mdb). */
	int read_only;
} store_opts_t;

/* The named tables of data.mdb (store_table_name). */
#define STORE_TABLES 9

typedef struct store_stats {
	uint64_t clusters, competitions, runs;
	uint64_t audit_events;   /* records of the audit trail */
	uint64_t data_version;   /* as store_snap_version */
	size_t map_size;         /* current map size in bytes */
	size_t map_used;         /* bytes of the map in use */
	unsigned grow_count;     /* times the map grew since open */
	/* 1 while writes fail for want of room: the last write transaction
	 * failed with a full disk, a quota or the file size limit (cleared
	 * by the next one that commits). */
	int disk_full;
	uint64_t space_failures; /* such failed transactions since open */
	/* Entries of every table (LMDB's own count: no scan), in the order
	 * of store_table_name. The standings table counts chunks of up to
	 * STORE_STANDINGS_CHUNK_COUNT standings, not standings. */
	uint64_t table_entries[STORE_TABLES];
	/* LMDB reader slots: held (by this process's pooled and open read
	 * transactions, and any other process's), of them with a snapshot
	 * open, and how many there are. A full table refuses new readers. */
	unsigned readers_used, readers_active, readers_max;
	uint64_t file_bytes;     /* data.mdb's size on disk */
} store_stats_t;

/* The name of table i < STORE_TABLES ("clusters", "cluster_idx",
 * "competitions", "runs", "run_heads", "run_idx", "standings", "meta",
 * "audit"), as LMDB names it in data.mdb. */
const char *store_table_name(size_t i);

/* The lock file in the data directory: held (flock, exclusive) by the one
 * store_open that owns the directory, for as long as it is open. */
#define STORE_LOCK_FILE "clusterd.lock"

/* Opens (creating if needed) the store in dir. Clears stale reader slots
 * left by dead processes. A directory another store holds open (in this
 * process or another) is refused with CD_EPRECONDITION and a message
 * naming the directory and the holder's pid. On failure *out is NULL and
 * err says why. */
int store_open(store_t **out, const char *dir, const store_opts_t *opts,
               char *err, size_t errlen);
/* Closes the store. No snapshot may be open. NULL is a no-op. */
void store_close(store_t *st);

int store_stats(store_t *st, store_stats_t *out);

/* 1 when opened with store_opts.read_only. */
int store_read_only(const store_t *st);

/* Writes a compact copy of the store into dir (created 0700; must not exist
 * or be empty); the copy opens with store_open. Safe while serving. */
int store_backup(store_t *st, const char *dir, char *err, size_t errlen);

/* --------------------------------------------------------------- backups */

/* The store's named databases ("tables"), in a fixed order: clusters,
 * cluster_idx, competitions, runs, run_heads, run_idx, standings, meta,
 * audit. */
#define STORE_TABLES 9

/* Records per table and the data version, all of one read transaction. */
typedef struct store_counts {
	uint64_t data_version;    /* as store_snap_version */
	uint64_t txnid;           /* LMDB's id of the transaction read */
	const char *table[STORE_TABLES];   /* static names */
	uint64_t records[STORE_TABLES];
} store_counts_t;

/* From one read transaction. walk = 0: the counts LMDB keeps in each
 * database's record (instant); walk = 1: every record counted with a
 * cursor, reading every leaf page (a check of the file; a restore does
 * it), and CD_ECORRUPT when the two disagree. */
int store_counts(store_t *st, int walk, store_counts_t *out, char *err,
                 size_t errlen);

/* An online backup as a stream of bytes: the compacted copy of the whole
 * store (mdb_env_copyfd2 with MDB_CP_COMPACT, run by a thread of the
 * stream's own into a pipe) from one read transaction, while writes go
 * on. The bytes, once all read, are a data.mdb that store_open opens.
 *
 * store_backup_open starts the copy and fills *counts (and *time_ns, the
 * clock when the snapshot was taken) from the very snapshot the copy
 * reads: with the writer's lock held (no commit of this process), it
 * reads the counts in a read transaction (LMDB transaction T), starts the
 * copy and waits for its first bytes (the copy writes nothing before its
 * own read transaction has begun), then checks that the environment's
 * last committed transaction is still T (a writer in another process
 * would show here) before letting writers go on: no commit came between
 * the two transactions, so both read T. A mismatch is retried (three
 * times, then CD_EUNAVAIL). Writes wait for at most the time the copy
 * takes to fill its first 1 MiB buffer.
 *
 * Until closed the stream holds a read transaction (a reader slot, and
 * LMDB keeps every page of that snapshot) and the map's shared lock: map
 * growth waits for it, as for a snapshot. Read promptly; close early to
 * cancel (the copy then fails on the closed pipe and its thread ends). */
typedef struct store_backup_stream store_backup_stream_t;

int store_backup_open(store_t *st, store_backup_stream_t **out,
                      store_counts_t *counts, int64_t *time_ns, char *err,
                      size_t errlen);
/* Up to cap bytes of the copy into buf (as many as there are, unless the
 * copy ends first): *n bytes; *n = 0 and CD_OK at the end of a complete
 * copy; the copy's failure otherwise (a full disk elsewhere cannot
 * happen: it writes into a pipe). Blocks while the copy produces. */
int store_backup_read(store_backup_stream_t *b, uint8_t *buf, size_t cap,
                      size_t *n, char *err, size_t errlen);
/* Bytes read so far. */
uint64_t store_backup_bytes(const store_backup_stream_t *b);
/* Ends the stream, cancelling the copy if it is still running, and joins
 * its thread: the read transaction and its reader slot are released, the
 * pipe's descriptors closed. NULL is a no-op. */
void store_backup_close(store_backup_stream_t *b);

/* ------------------------------------------------------------- standings */

/* Every standing of a run lives in the `standings` table in chunks of
 * consecutive standings (docs/store.md): key run id, 0x00, big-endian
 * uint32 chunk number; value the chunk's standings, each encoded as
 * field 1 of clusters.v1.ListStandingsResponse (0x0a, varint length,
 * packed Standing), so that chunks laid end to end parse as a
 * ListStandingsResponse. */

/* Where a run write pulls its standings from, one chunk at a time, inside
 * the write transaction: a million standings never sit packed in memory
 * at once. next gives the following chunk (data, len bytes, count
 * standings; valid until the next call) and returns CD_OK, or CD_OK with
 * *len 0 after the last one, or a cd_err code with err filled, which
 * fails the op with that code and message. A batch the store replays
 * (after growing its map) pulls the chunks again: rewind starts over.
 * total: how many standings next will give in all (checked). */
typedef struct store_standings_src {
	size_t total;
	int (*next)(void *arg, const uint8_t **data, size_t *len,
	            size_t *count, char *err, size_t errlen);
	int (*rewind)(void *arg);   /* CD_OK, or a cd_err code */
	void *arg;
} store_standings_src_t;

/* Chunks the writer takes: 1 .. STORE_STANDINGS_CHUNK_BYTES bytes. */
#define STORE_STANDINGS_CHUNK_BYTES (16u << 20)
/* What producers should aim for (engine_standings_pack, the benchmark). */
#define STORE_STANDINGS_CHUNK_COUNT 1024
#define STORE_STANDINGS_CHUNK_TARGET (256u << 10)

/* ListStandings pages: page_size 0 = 1000, at most 10000, and at most
 * STORE_STANDINGS_PAGE_BYTES of standings (one standing always goes, so
 * a page holds at least one), which keeps a page under gRPC's default
 * 4 MiB receive limit with room for the token. A filtered page examines
 * at most STORE_STANDINGS_SCAN_MAX standings and may come back short (even
 * empty) with a token to go on from. */
#define STORE_STANDINGS_PAGE_DEFAULT 1000
#define STORE_STANDINGS_PAGE_MAX 10000
#define STORE_STANDINGS_PAGE_BYTES (3u << 20)
#define STORE_STANDINGS_SCAN_MAX 262144
#define STORE_STANDINGS_IDS_MAX 1000

typedef struct store_standings_filter {
	/* Candidates of that round: their RoundStanding for it is not
	 * EXCLUDED_EARLIER (standings without `rounds`: their `round` is this
	 * one or a later one). NULL or "" = any. */
	const char *round;
	/* -1 = any; 1 / 0 = selected / not selected by the final round, or
	 * by `round` when given. */
	int selected;
	const char *economy;   /* equal, or one of its '/' parts; NULL/"" any */
	const char *region;
	const char *industry;
	int32_t min_rank;      /* overall rank, inclusive; 0 = no bound */
	int32_t max_rank;      /* excluded clusters have rank 0 */
	/* Only these clusters (valid ids, at most STORE_STANDINGS_IDS_MAX;
	 * repeats count once); n_cluster_ids 0 = any. The page on which the
	 * last of them is found is the last (a run has one standing per
	 * cluster). */
	const char *const *cluster_ids;
	size_t n_cluster_ids;
} store_standings_filter_t;

typedef struct store_standings_page {
	/* The page's standings as they are stored: each 0x0a, varint length,
	 * packed Standing (ListStandingsResponse field 1); free() */
	uint8_t *data;
	size_t len;
	size_t n;              /* standings in data */
	char *next_token;      /* "" on the last page; never NULL after success */
} store_standings_page_t;

/* Checks f (NULL = no filter): negative ranks, min_rank above a max_rank,
 * text too long, more than STORE_STANDINGS_IDS_MAX cluster ids are
 * CD_EINVAL naming the field ("min_rank: ..."); an invalid id is
 * CD_EV_ID naming it ("cluster_ids[3]: ..."). */
int store_standings_filter_check(const store_standings_filter_t *f,
                                 char *err, size_t errlen);

/* One page of a run's standings in standings order, matching f (NULL =
 * all). A run stored before the standings table (no chunks) pages through
 * the standings inline in its record. CD_ENOTFOUND for an unknown run;
 * CD_EPAGETOKEN for a token of another run or query, or a tampered one. */
int store_standings_list(store_t *st, const char *run_id,
                         const store_standings_filter_t *f, size_t page_size,
                         const char *page_token,
                         store_standings_page_t *out, char *err,
                         size_t errlen);
/* As store_standings_list, the page's bytes going to memory the caller
 * gives instead of a malloc'd buffer: once the page is known, and before
 * the read transaction ends, alloc(arg, len, next_token) returns room for
 * the page's len bytes (len may be 0; NULL = out of memory, the call then
 * fails with CD_ENOMEM), and the store copies the standings there straight
 * from the map, once. The caller owns that memory whatever the outcome;
 * out->data stays NULL. The service builds its reply this way, reserving
 * room after the page for the token (rpc_standings.c). */
typedef uint8_t *(*store_page_alloc_fn)(void *arg, size_t len,
                                        const char *next_token);
int store_standings_list_to(store_t *st, const char *run_id,
                            const store_standings_filter_t *f,
                            size_t page_size, const char *page_token,
                            store_page_alloc_fn alloc, void *alloc_arg,
                            store_standings_page_t *out, char *err,
                            size_t errlen);
void store_standings_page_free(store_standings_page_t *page);

/* The standing of one cluster in a run (free with
 * clusters__v1__standing__free_unpacked(s, NULL)); only that standing is
 * decoded. CD_ENOTFOUND for an unknown run or a cluster not in it. */
int store_standing_find(store_t *st, const char *run_id,
                        const char *cluster_id,
                        Clusters__V1__Standing **out, char *err,
                        size_t errlen);

/* ---------------------------------------------------------------- writes */

typedef enum store_op_kind {
	STORE_CLUSTER_CREATE = 1,  /* CD_EEXISTS when the id is taken */
	STORE_CLUSTER_UPDATE,      /* CD_ENOTFOUND unless allow_missing;
	                            * mask as below */
	STORE_CLUSTER_UPSERT,      /* create or replace all writable fields */
	STORE_CLUSTER_DELETE,
	STORE_COMPETITION_CREATE,
	STORE_COMPETITION_DELETE,  /* etag: optional precondition */
	STORE_RUN_PUT,             /* CD_EEXISTS when the run id is taken */
	STORE_RUN_DELETE,
	STORE_COMPETITION_UPDATE,  /* CD_ENOTFOUND; merged as
	                            * store_competition_merge, then checked by
	                            * store_validate_competition */
	STORE_AUDIT_NOTE,          /* only an audit event: resource `id`,
	                            * `detail`, `paths` (a write that keeps
	                            * nothing in the store, e.g. ReloadPlugins) */
	STORE_RUN_UPDATE,          /* a state transition of a run job: `run`
	                            * replaces the stored run (whole and head)
	                            * when the stored one is not finished;
	                            * CD_ENOTFOUND, CD_EPRECONDITION when the
	                            * stored state is SUCCEEDED, FAILED or
	                            * CANCELLED (the message names it), CD_EINVAL
	                            * for another competition_id. Audit method
	                            * default "RunFinished". A run that does not
	                            * end SUCCEEDED loses any standings written
	                            * for it */
	STORE_RUN_STANDINGS,       /* a batch of an unfinished run's standings
	                            * (run `id`, `standings`, first chunk number
	                            * `chunk_first`; 0 removes leftovers first),
	                            * so that a million standings never sit in
	                            * one transaction's dirty pages. Not
	                            * audited: the run's end is. CD_ENOTFOUND,
	                            * CD_EPRECONDITION once the run ended */
} store_op_kind;

typedef struct store_op {
	store_op_kind kind;
	/* Inputs, borrowed until store_apply returns. */
	const store_cluster_t *cluster;         /* cluster create/update/upsert */
	const store_competition_t *competition; /* competition create/update */
	const store_run_t *run;                 /* run put / update */
	/* Run put and update: every standing of the run, written to the
	 * standings table; the run's standings_total is set to their number
	 * (without it, to run->n_standings). NULL = none but the inline
	 * ones. */
	const store_standings_src_t *standings;
	uint32_t chunk_first;      /* STORE_RUN_STANDINGS */
	/* STORE_RUN_UPDATE without `standings`: how many the run's
	 * STORE_RUN_STANDINGS batches wrote (0 = run->n_standings). */
	int64_t standings_written;
	const char *id;            /* the deletes, STORE_RUN_STANDINGS */
	const char *etag;          /* precondition; NULL or "" = none */
	/* Updates (AIP-134): the top-level field names to take from the
	 * patch, the rest staying as stored. mask_len 0 = the fields the
	 * patch sets (non-empty strings and lists, non-zero numbers), so an
	 * unset field is kept; clearing one needs a mask that names it. The
	 * one path "*" = every writable field (full replacement). A path
	 * naming an output-only or unknown field is CD_EV_FIELDMASK. */
	const char *const *mask;
	size_t mask_len;
	int allow_missing;         /* update: create when absent */
	int want_result;           /* decode the stored record into *_out */
	int want_packed;           /* cluster writes: copy the stored bytes
	                            * into packed_out (no decode) */
	/* Optional, cluster create/upsert: the cluster as it arrived, packed.
	 * The store then copies these bytes (minus any client-sent etag and
	 * times) instead of encoding the record again. Must encode the same
	 * message as `cluster`. */
	const uint8_t *packed;
	size_t packed_len;
	int validated;             /* caller already ran store_validate_cluster
	                            * on cluster and cd_wire_check on packed */
	/* The audit trail (docs/audit.md): every op that succeeds appends one
	 * AuditEvent in the same transaction, naming these. NULL principal =
	 * ""; NULL method = the op's own ("CreateCluster" for
	 * STORE_CLUSTER_CREATE, "ImportClusters" for an upsert ...). */
	const char *principal;
	const char *method;
	/* STORE_AUDIT_NOTE only: what happened, and the paths it changed. */
	const char *detail;
	const char *const *paths;
	size_t n_paths;
	/* Outputs. */
	int rc;                    /* CD_OK or why this operation failed */
	int created;               /* 1 when a record was created */
	char err[256];             /* what went wrong, naming the field */
	store_cluster_t *cluster_out;         /* free: store_cluster_free */
	store_competition_t *competition_out; /* free: store_competition_free */
	/* want_packed: the record as stored, a packed clusters.v1.Cluster
	 * (what store_cluster_get_packed would give); free with free(). */
	uint8_t *packed_out;
	size_t packed_out_len;
} store_op_t;

/* Applies ops in one durable transaction. Returns CD_OK when the transaction
 * committed (each op's rc then says whether that op took effect), or the
 * transaction's failure, which is also written to every op's rc. */
int store_apply(store_t *st, store_op_t *ops, size_t n);

/* One-operation conveniences over store_apply. *out may be NULL. */
int store_cluster_create(store_t *st, const store_cluster_t *c,
                         store_cluster_t **out, char *err, size_t errlen);
int store_cluster_update(store_t *st, const store_cluster_t *c,
                         const char *const *mask, size_t mask_len,
                         const char *etag, store_cluster_t **out,
                         char *err, size_t errlen);
int store_cluster_delete(store_t *st, const char *id, const char *etag,
                         char *err, size_t errlen);
int store_competition_create(store_t *st, const store_competition_t *c,
                             store_competition_t **out, char *err,
                             size_t errlen);
/* mask and etag as in store_op_t; *out may be NULL. */
int store_competition_update(store_t *st, const store_competition_t *c,
                             const char *const *mask, size_t mask_len,
                             const char *etag, store_competition_t **out,
                             char *err, size_t errlen);
/* etag: NULL or "" = no precondition. */
int store_competition_delete(store_t *st, const char *id, const char *etag,
                             char *err, size_t errlen);
int store_run_put(store_t *st, const store_run_t *run, char *err,
                  size_t errlen);
/* DeleteRun: CD_EPRECONDITION for a QUEUED or RUNNING run ("cancel it
 * first"). */
int store_run_delete(store_t *st, const char *id, char *err, size_t errlen);
/* STORE_RUN_UPDATE of one run. */
int store_run_update(store_t *st, const store_run_t *run,
                     const char *principal, const char *method, char *err,
                     size_t errlen);

/* Run states (Run.state): a run stored before runs were jobs has
 * RUN_STATE_UNSPECIFIED and counts as SUCCEEDED. */
int store_run_state_terminal(int state);
/* "QUEUED", "RUNNING", "SUCCEEDED" (also for UNSPECIFIED), "FAILED",
 * "CANCELLED". */
const char *store_run_state_name(int state);

/* The start-up sweep: every QUEUED or RUNNING run (left by a server that
 * stopped without finishing it) becomes FAILED with status UNAVAILABLE
 * "server restarted before the run finished" and end_time now, each with
 * an audit event (method "RunFinished", principal `principal`), in one
 * transaction. *count: how many. Call once, before serving. */
int store_run_fail_unfinished(store_t *st, const char *principal,
                              size_t *count, char *err, size_t errlen);

/* ----------------------------------------------------------------- reads */

typedef struct store_filter {
	const char *economy;   /* NULL or "" = any; matches each part of A/B */
	const char *region;
	const char *city;      /* matches any of the cluster's cities */
	const char *industry;
} store_filter_t;

/* True when c satisfies every filter given (NULL = no filter). */
int store_filter_match(const store_filter_t *f, const store_cluster_t *c);

int store_cluster_get(store_t *st, const char *id, store_cluster_t **out,
                      char *err, size_t errlen);
/* The stored bytes (a packed clusters.v1.Cluster), copied into *buf
 * (free with free()). Lets the service answer without re-encoding. */
int store_cluster_get_packed(store_t *st, const char *id, uint8_t **buf,
                             size_t *len, char *err, size_t errlen);

typedef struct store_cluster_page {
	store_cluster_t **items;
	size_t n;
	char *next_token;      /* "" on the last page; never NULL after success */
} store_cluster_page_t;

/* One page in id order. page_size 0 = STORE_PAGE_DEFAULT, capped at
 * STORE_PAGE_MAX. A token from a query with other filters is refused
 * (CD_EPAGETOKEN). */
int store_cluster_list(store_t *st, const store_filter_t *f,
                       size_t page_size, const char *page_token,
                       store_cluster_page_t *out, char *err, size_t errlen);
void store_cluster_page_free(store_cluster_page_t *page);

int store_competition_get(store_t *st, const char *id,
                          store_competition_t **out, char *err, size_t errlen);

typedef struct store_competition_page {
	store_competition_t **items;
	size_t n;
	char *next_token;
} store_competition_page_t;

int store_competition_list(store_t *st, size_t page_size,
                           const char *page_token,
                           store_competition_page_t *out, char *err,
                           size_t errlen);
void store_competition_page_free(store_competition_page_t *page);

/* Runs. with_standings = 0 returns runs without standings (cheap). */
int store_run_get(store_t *st, const char *id, int with_standings,
                  store_run_t **out, char *err, size_t errlen);

typedef struct store_run_page {
	store_run_t **items;
	size_t n;
	char *next_token;
} store_run_page_t;

/* Runs of one competition (or all when competition_id is NULL/""), in run
 * id order. */
int store_run_list(store_t *st, const char *competition_id, size_t page_size,
                   const char *page_token, int with_standings,
                   store_run_page_t *out, char *err, size_t errlen);
/* As store_run_list, only runs in `state` (a Clusters__V1__RunState; 0 =
 * every state). A run stored without a state counts as SUCCEEDED. A page
 * may hold fewer runs than asked while more follow. */
int store_run_list_state(store_t *st, const char *competition_id, int state,
                         size_t page_size, const char *page_token,
                         int with_standings, store_run_page_t *out,
                         char *err, size_t errlen);
void store_run_page_free(store_run_page_t *page);

void store_cluster_free(store_cluster_t *c);
void store_competition_free(store_competition_t *c);
void store_run_free(store_run_t *r);

/* ------------------------------------------------------------ audit trail */

/* Which events store_audit_list returns; all given ones must hold. */
typedef struct store_audit_filter {
	/* "clusters/foo", or a whole collection: "clusters",
	 * "competitions", "runs", "plugins". NULL or "" = any. */
	const char *resource;
	const char *principal;    /* NULL or "" = any */
	int64_t start_ns;         /* events at or after; 0 = from the first */
	int64_t end_ns;           /* events before; 0 = to the last */
} store_audit_filter_t;

typedef struct store_audit_page {
	store_audit_t **items;
	size_t n;
	char *next_token;      /* "" on the last page; never NULL after success */
} store_audit_page_t;

/* Checks f: a resource that names no collection, a bad id in it, a
 * principal that is too long or not text, or end before start are
 * CD_EINVAL naming the field ("resource: ..."). */
int store_audit_filter_check(const store_audit_filter_t *f, char *err,
                             size_t errlen);

/* One page of the trail, oldest first. page_size as for clusters. A page
 * may hold fewer events than asked while more follow: a filter that
 * matches rarely stops after STORE_AUDIT_SCAN_MAX events examined and
 * answers a token to go on from there. */
#define STORE_AUDIT_SCAN_MAX 65536
int store_audit_list(store_t *st, const store_audit_filter_t *f,
                     size_t page_size, const char *page_token,
                     store_audit_page_t *out, char *err, size_t errlen);
void store_audit_page_free(store_audit_page_t *page);

/* ------------------------------------------------------------- snapshots */

/* A consistent read view for a whole evaluation or export. */
int store_snap_open(store_t *st, store_snap_t **out);
void store_snap_close(store_snap_t *snap);
/* Data version: a counter advanced by every transaction that changes
 * cluster records (not by competitions or runs). Equal versions mean equal
 * cluster data, so a run records the version it read. */
uint64_t store_snap_version(const store_snap_t *snap);

int store_snap_cluster_get(store_snap_t *snap, const char *id,
                           store_cluster_t **out, char *err, size_t errlen);
int store_snap_competition_get(store_snap_t *snap, const char *id,
                               store_competition_t **out, char *err,
                               size_t errlen);
int store_snap_run_get(store_snap_t *snap, const char *id, int with_standings,
                       store_run_t **out, char *err, size_t errlen);

/* Called for each matching cluster in id order with its packed bytes, valid
 * only during the call. A non-zero return stops the scan and is returned by
 * store_snap_scan. */
typedef int (*store_scan_fn)(void *arg, const char *id, size_t id_len,
                             const uint8_t *val, size_t val_len);

/* Scans clusters matching f (NULL = all) with ids greater than after_id
 * (NULL or "" = from the first). */
int store_snap_scan(store_snap_t *snap, const store_filter_t *f,
                    const char *after_id, store_scan_fn fn, void *arg);

/* Number of clusters in the snapshot. */
uint64_t store_snap_cluster_count(store_snap_t *snap);

/* ------------------------------------------------------------ validation */

/* Each returns CD_OK or the CD_EV_* code of the first violation, with a
 * message naming the field (e.g. "indicators[3].year: 1700 is outside
 * 1800..2200"). */
int store_validate_id(const char *id, const char *field, char *err,
                      size_t errlen);
int store_validate_cluster(const store_cluster_t *c, char *err,
                           size_t errlen);
/* Structural checks of a competition (ids, names, counts, finite numbers);
 * the engine checks plugins and params. */
int store_validate_competition(const store_competition_t *c, char *err,
                               size_t errlen);
/* The update of competition old by patch under mask (the rules of
 * store_op_t.mask) into *out, which borrows from both (do not free it);
 * output-only fields (etag, create_time, update_time) and the id stay
 * old's. CD_EV_FIELDMASK for a path naming no writable field. Lets a
 * caller check the updated definition before it is written. */
int store_competition_merge(const store_competition_t *old,
                            const store_competition_t *patch,
                            const char *const *mask, size_t mask_len,
                            store_competition_t *out, char *err,
                            size_t errlen);

/* Economy: "JP", or up to 8 codes joined by '/' ("CN/HK"). */
int store_validate_economy(const char *economy, const char *field, char *err,
                           size_t errlen);

#endif
