/*
 * store_internal — what the store's source files share: the handle, the
 * database handles, read-transaction helpers and the write context.
 * Not part of the store's API.
 */
#ifndef STORE_INTERNAL_H
#define STORE_INTERNAL_H

#include <lmdb.h>
#include <pthread.h>
#include <stddef.h>

#include "store.h"

/* Index key layout: field byte, value, 0x00, primary id. */
#define STORE_IDX_ECONOMY 'e'
#define STORE_IDX_REGION 'r'
#define STORE_IDX_CITY 'c'
#define STORE_IDX_INDUSTRY 'i'
#define STORE_KEY_MAX 511          /* LMDB's default maximum key size */
#define STORE_RTXN_POOL 64

struct store {
	MDB_env *env;
	char *dir;            /* the data directory, for messages */
	int read_only;        /* opened MDB_RDONLY (store_opts.read_only) */
	int lockfd;           /* clusterd.lock, flock'ed for our lifetime */
	MDB_dbi clusters;     /* id -> packed Cluster */
	MDB_dbi cluster_idx;  /* field|value|0|id -> "" */
	MDB_dbi competitions; /* id -> packed Competition */
	MDB_dbi runs;         /* id -> packed Run (with standings) */
	MDB_dbi run_heads;    /* id -> packed Run without standings */
	MDB_dbi run_idx;      /* competition_id|0|run_id -> "" */
	MDB_dbi standings;    /* run_id|0|be32 chunk -> standings, each as
	                       * ListStandingsResponse field 1
	                       * (store_standings.c) */
	MDB_dbi meta;         /* "seq": u64 etag sequence; "dver": u64 data
	                       * version, advanced by cluster writes */
	MDB_dbi audit;        /* be64 time ns|be64 sequence -> packed
	                       * AuditEvent (store_audit.c) */

	pthread_mutex_t wlock;     /* one store_apply at a time */
	/* Readers hold it shared for the life of their transaction; map
	 * growth holds it exclusively, since remapping under a live reader
	 * would leave that reader with dangling pointers. */
	pthread_rwlock_t maplock;

	size_t map_size, map_max;
	size_t shed_bytes;    /* see store_opts.scan_shed_bytes */
	unsigned grow_count;
	/* Under wlock: the last write transaction failed for want of room,
	 * and how many did since open. */
	int disk_full;
	uint64_t space_failures;
	void (*log)(void *ctx, int level, const char *msg);
	void *log_ctx;

	pthread_mutex_t pool_lock; /* guards the pool of reset read txns */
	MDB_txn *pool[STORE_RTXN_POOL];
	unsigned pool_n;
};

/* The named databases, in the order of STORE_TABLES (store.c): their
 * names and where the handle lives in store_t. */
typedef struct store_table {
	const char *name;
	size_t off;
} store_table_t;
extern const store_table_t store_tables[STORE_TABLES];

static inline MDB_dbi *store_table_dbi(store_t *st, size_t i)
{
	return (MDB_dbi *)((char *)st + store_tables[i].off);
}

struct store_snap {
	store_t *st;
	MDB_txn *txn;
};

/* Index entries of a write batch (store_index.c). */
struct store_idx_ent {
	size_t off;      /* key bytes in the arena */
	uint32_t len;
	uint32_t seq;    /* order of the operation within the batch */
	uint8_t del;     /* 1 = remove the entry, 0 = add it */
};

typedef struct store_idxbuf {
	char *arena;
	size_t arena_used, arena_cap;
	struct store_idx_ent *ents;
	size_t n, ents_cap;
} store_idxbuf_t;

/* State of one write transaction, shared by the op implementations. */
typedef struct store_wctx {
	store_t *st;
	MDB_txn *txn;
	uint64_t seq;       /* last etag sequence number used */
	int data_changed;   /* a cluster record was written or deleted */
	int64_t now_sec;    /* one clock reading for the whole batch */
	int32_t now_nsec;
	store_idxbuf_t idx; /* index entries, written at the end */
	MDB_cursor *ccur;   /* on clusters, for this txn (LMDB closes it) */
	/* The greatest cluster id in the database as this batch knows it: a
	 * record with a greater id is new and goes in with MDB_APPEND, with
	 * no search at all (bulk loads in id order). */
	char last[STORE_ID_MAX + 1];
	size_t last_len;
	int last_known;
	int append;         /* the op at hand writes past the last id */
	uint8_t *scratch;   /* record bytes built from a client's packed input */
	size_t scratch_cap;
	/* The audit trail's last key as this transaction knows it: events
	 * are appended after it (store_audit.c). */
	MDB_cursor *acur;
	int audit_known;
	uint64_t audit_ns, audit_seq;
} store_wctx_t;

/* Room store_wire_build needs beyond the input's length. */
#define STORE_WIRE_EXTRA 96
/* Writes into out (len + STORE_WIRE_EXTRA bytes) the record in `in` minus
 * its output-only fields, plus etag and times; returns its length, or 0
 * when `in` is not well-formed protobuf. */
size_t store_wire_build(const uint8_t *in, size_t len, uint8_t *out,
                        const char *etag,
                        const Google__Protobuf__Timestamp *ct,
                        const Google__Protobuf__Timestamp *ut);

/* Queues the index entries of c to be added (del = 0) or removed. */
int store_idx_add(store_idxbuf_t *b, const store_cluster_t *c, int del);
/* Writes the queued entries in key order. */
int store_idx_flush(store_wctx_t *w);
void store_idx_reset(store_idxbuf_t *b);
void store_idx_free(store_idxbuf_t *b);

/* maplock shared, counted per thread: a thread that holds it must never
 * wait for it exclusively (store_map_adopt checks). */
void store_map_rdlock(store_t *st);
void store_map_unlock(store_t *st);

/* Adopts the map size another process recorded when its writes outgrew
 * our map (a txn begin answered MDB_MAP_RESIZED): remaps with no
 * transaction active. Returns 0, or MDB_MAP_RESIZED when the calling
 * thread itself holds a reader (waiting would deadlock), or an LMDB
 * error. store_map_adopt takes wlock; the _locked variant is for the
 * writer, which holds it. */
int store_map_adopt(store_t *st);
int store_map_adopt_locked(store_t *st);

/* Short read transactions from a pool (renew/reset is cheaper than
 * begin/abort). Holds maplock shared until store_rtxn_end. A map grown by
 * another process is adopted and the begin retried. */
int store_rtxn_begin(store_t *st, MDB_txn **txn);
void store_rtxn_end(store_t *st, MDB_txn *txn);

/* Long scans call this every st->shed_bytes of records read, with the
 * span of map addresses they read, so that reading a database bigger than
 * the process's memory budget does not keep the whole file in its resident
 * set. */
void store_map_shed(const void *lo, const void *hi);

/* The span of map addresses a scan has read since it last shed. */
typedef struct store_span {
	const char *lo, *hi;
	size_t bytes;
} store_span_t;

static inline void store_span_add(store_t *st, store_span_t *s,
                                  const MDB_val *v)
{
	const char *p = v->mv_data;
	if (!s->lo || p < s->lo)
		s->lo = p;
	if (p + v->mv_size > s->hi)
		s->hi = p + v->mv_size;
	if ((s->bytes += v->mv_size) >= st->shed_bytes) {
		store_map_shed(s->lo, s->hi);
		s->lo = s->hi = NULL;
		s->bytes = 0;
	}
}

/* The data version as of txn (0 before any cluster write). */
uint64_t store_data_version(store_t *st, MDB_txn *txn);

/* Checks dir/data.mdb, when there is one, before LMDB maps it: both meta
 * pages present with LMDB's magic, and the file long enough for the pages
 * the newest one uses. CD_ECORRUPT with a message naming the file. */
int store_check_file(const char *dir, char *err, size_t errlen);
/* Allocates the blocks of dir/lock.mdb for max_readers before LMDB maps
 * it: CD_ELIMIT ("disk full") when there is no room. */
int store_prealloc_lock(const char *dir, unsigned max_readers, char *err,
                        size_t errlen);

/* Through store_opts.log, when given. */
void store_log(store_t *st, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Room (store_space.c). store_space_errno tells a short write (EIO from
 * LMDB) that filled the disk or reached RLIMIT_FSIZE from an I/O error by
 * looking at the file fd; store_space_fail gives CD_ELIMIT and a "disk
 * full" message naming `where` for ENOSPC, EDQUOT and EFBIG, else CD_OK.
 * store_write_failed and store_write_ok are called by store_apply with
 * wlock held: the first explains a failed write transaction (space, map
 * ceiling, other LMDB errors) and keeps disk_full, the second clears it. */
int store_space_errno(int fd, int mrc);
int store_space_fail(int mrc, const char *where, char *err, size_t errlen);
int store_write_failed(store_t *st, int mrc, char *err, size_t errlen);
void store_write_ok(store_t *st);

/* LMDB error (non-zero) -> cd_err with a message. */
int store_mdb_err(int mrc, const char *what, char *err, size_t errlen);

/* Next etag of this transaction, written as 16 hex digits into buf[17]. */
void store_next_etag(store_wctx_t *w, char buf[17]);

/* Op implementations: return 0 or an LMDB error that dooms the whole
 * transaction (MDB_MAP_FULL is retried by store_apply); per-op failures
 * are reported in op->rc with 0 returned. */
int store_cluster_op(store_wctx_t *w, store_op_t *op);
int store_competition_op(store_wctx_t *w, store_op_t *op);
int store_run_op(store_wctx_t *w, store_op_t *op);

/* The standings table (store_standings.c), called by the run ops. write
 * pulls every chunk of src and stores it under run_id, *total the number
 * of standings; a source that fails or lies about its chunks fails op
 * (op->rc, with what was written removed again). delete removes every
 * chunk of run_id (none is fine). Both return 0 or an LMDB error. */
int store_standings_write(store_wctx_t *w, store_op_t *op, const char *run_id,
                          const store_standings_src_t *src, int64_t *total);
int store_standings_delete(store_wctx_t *w, const char *run_id);
/* Writes src's chunks from chunk number chunk_first on (0: after removing
 * any under run_id); failures go to op->rc as in store_standings_write. */
int store_standings_append(store_wctx_t *w, store_op_t *op,
                           const char *run_id, uint32_t chunk_first,
                           const store_standings_src_t *src, int64_t *total);

/* Audit trail (store_audit.c). Appends the event of op, which has just
 * succeeded in this transaction: resource "<coll>/<id>" (or id alone when
 * coll is NULL), the etags before and after (NULL = ""), and, when both
 * old and rec are given (messages of one type), the fields that differ
 * (store_audit_diff). Returns 0 or an LMDB error (dooms the batch, so a
 * write is never kept without its event). */
int store_audit_write(store_wctx_t *w, const store_op_t *op,
                      const char *coll, const char *id,
                      const char *etag_before, const char *etag_after,
                      const ProtobufCMessage *old,
                      const ProtobufCMessage *rec, const char *detail);

/* The changed top-level fields of two messages of one type, in field
 * order, into paths (strings in arena): the output-only fields (id, etag,
 * create_time, update_time) are skipped, and a map field that differs
 * names each key added, removed or changed ("labels.tier"). Paths past
 * the room of store_paths_t are left out. */
typedef struct store_paths {
	const char *v[160];
	size_t n;
	char arena[12288];
	size_t used;
} store_paths_t;
void store_audit_diff(const ProtobufCMessage *old, const ProtobufCMessage *rec,
                      store_paths_t *out);

/* Update masks (AIP-134), shared by clusters and competitions. True for
 * the one path "*" (a full replacement). */
int store_mask_is_star(const char *const *mask, size_t mask_len);
/* The CD_EV_FIELDMASK refusal of mask path i, which names no writable
 * field: "*" among other paths, one of readonly (NULL-terminated), or
 * unknown. */
int store_mask_refuse(const char *path, size_t i,
                      const char *const *readonly, char *err, size_t errlen);

/* Reads within any transaction. */
int store_cluster_read(store_t *st, MDB_txn *txn, const char *id,
                       store_cluster_t **out, char *err, size_t errlen);
int store_competition_read(store_t *st, MDB_txn *txn, const char *id,
                           store_competition_t **out, char *err,
                           size_t errlen);
int store_run_read(store_t *st, MDB_txn *txn, const char *id,
                   int with_standings, store_run_t **out, char *err,
                   size_t errlen);
int store_scan_txn(store_t *st, MDB_txn *txn, const store_filter_t *f,
                   const char *after_id, store_scan_fn fn, void *arg);

/* Filter helpers. */
int store_filter_empty(const store_filter_t *f);

/* Page tokens: opaque, bound to the kind of list and its query. */
uint32_t store_token_hash(const char *const *parts, size_t n);
int store_token_encode(char kind, uint32_t qhash, const char *last,
                       char **out);
int store_token_decode(const char *tok, char kind, uint32_t qhash,
                       char *last, size_t cap, char *err, size_t errlen);

#endif
