/*
 * store.c — the store's base: environment life cycle, error mapping, the
 * read-transaction pool, etags, page shedding, statistics and backup. The
 * write path (store_apply.c) builds on it; nothing here calls into it.
 */
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MiB ((size_t)1 << 20)
#define DEFAULT_MAP (64 * MiB)
#define DEFAULT_MAP_MAX ((size_t)1 << 40)

int store_mdb_err(int mrc, const char *what, char *err, size_t errlen)
{
	int code;
	switch (mrc) {
	case MDB_NOTFOUND: code = CD_ENOTFOUND; break;
	case MDB_KEYEXIST: code = CD_EEXISTS; break;
	case MDB_MAP_FULL:
	case MDB_TXN_FULL:
	case MDB_BAD_VALSIZE:
	case MDB_READERS_FULL: code = CD_ELIMIT; break;
	case ENOMEM: code = CD_ENOMEM; break;
	/* Another process grew the map while this thread held a reader, so
	 * it could not be adopted yet; the call may be retried. */
	case MDB_MAP_RESIZED: code = CD_EUNAVAIL; break;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID: code = CD_ECORRUPT; break;
	default: code = CD_EIO; break;
	}
	return cd_fail(err, errlen, code, "%s: %s", what, mdb_strerror(mrc));
}

static int open_dir(const char *dir, int create, char *err, size_t errlen)
{
	struct stat sb;
	if (create && mkdir(dir, 0700) != 0 && errno != EEXIST)
		return cd_fail(err, errlen, CD_EIO, "data directory %s: %s", dir,
		               strerror(errno));
	if (!create && stat(dir, &sb) != 0 && errno == ENOENT)
		return cd_fail(err, errlen, CD_EPRECONDITION, "data directory %s "
		               "does not exist: a read-only store serves a store "
		               "restored there first (clusterd --restore)", dir);
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return cd_fail(err, errlen, CD_EIO,
		               "data directory %s: not a directory", dir);
	return CD_OK;
}

/* One server per data directory. LMDB itself lets several processes share
 * an environment, but two servers that each grow the map leave the other
 * failing every call with MDB_MAP_RESIZED, and their group commits
 * interleave. flock is released by the kernel when the holder dies, so a
 * crash never leaves a stale lock; the pid inside is only for the
 * message. */
static int lock_dir(store_t *st, const char *dir, char *err, size_t errlen)
{
	char path[4096], pid[32];
	if ((size_t)snprintf(path, sizeof(path), "%s/" STORE_LOCK_FILE, dir) >=
	    sizeof(path))
		return cd_fail(err, errlen, CD_EINVAL, "data directory path "
		               "too long");
	st->lockfd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	                  0600);
	int busy = st->lockfd >= 0 && flock(st->lockfd, LOCK_EX | LOCK_NB) != 0;
	if (st->lockfd < 0 || (busy && errno != EWOULDBLOCK))
		return cd_fail(err, errlen, CD_EIO, "%s: %s", path,
		               strerror(errno));
	if (busy) {
		ssize_t n = pread(st->lockfd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		return cd_fail(err, errlen, CD_EPRECONDITION, "data directory "
		               "%s is in use by another clusterd (pid %s, "
		               "holding %s)", dir, pid[0] ? pid : "unknown",
		               path);
	}
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	/* Only informative: a failure here does not stop the server. */
	if (ftruncate(st->lockfd, 0) == 0 &&
	    pwrite(st->lockfd, pid, (size_t)n, 0) != n)
		(void)ftruncate(st->lockfd, 0);
	return CD_OK;
}

const store_table_t store_tables[STORE_TABLES] = {
	{"clusters", offsetof(store_t, clusters)},
	{"cluster_idx", offsetof(store_t, cluster_idx)},
	{"competitions", offsetof(store_t, competitions)},
	{"runs", offsetof(store_t, runs)},
	{"run_heads", offsetof(store_t, run_heads)},
	{"run_idx", offsetof(store_t, run_idx)},
	{"standings", offsetof(store_t, standings)},
	{"meta", offsetof(store_t, meta)},
	{"audit", offsetof(store_t, audit)},
};

/* Every named database, created when missing. A read-only environment
 * cannot create one: a missing database is refused there, naming it (a
 * data file written by any clusterd that has them all opens). */
static int open_dbis(store_t *st, char *err, size_t errlen)
{
	MDB_txn *txn;
	int rc = mdb_txn_begin(st->env, NULL, st->read_only ? MDB_RDONLY : 0,
	                       &txn);
	if (rc)
		return store_mdb_err(rc, "begin", err, errlen);
	for (size_t i = 0; i < STORE_TABLES; i++) {
		MDB_dbi *dbi = store_table_dbi(st, i);
		rc = mdb_dbi_open(txn, store_tables[i].name,
		                  st->read_only ? 0 : MDB_CREATE, dbi);
		if (rc) {
			mdb_txn_abort(txn);
			if (rc == MDB_NOTFOUND && st->read_only)
				return cd_fail(err, errlen, CD_ECORRUPT,
				               "data directory %s: the data file "
				               "has no database '%s', and a "
				               "read-only store cannot create it",
				               st->dir, store_tables[i].name);
			return store_mdb_err(rc, store_tables[i].name, err,
			                     errlen);
		}
	}
	/* A read-only transaction's commit keeps the handles it opened. */
	rc = mdb_txn_commit(txn);
	if (rc)
		return store_mdb_err(rc, "commit", err, errlen);
	return CD_OK;
}

/* A read-only store opens an existing data file; LMDB would say only
 * "No such file or directory". */
static int need_data_file(const char *dir, char *err, size_t errlen)
{
	char path[4200];
	struct stat sb;
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0)
		return CD_OK;
	return cd_fail(err, errlen, CD_EPRECONDITION, "data directory %s has "
	               "no store to serve read-only (%s is missing or empty): "
	               "restore a backup into it first (clusterd --restore)",
	               dir, path);
}

int store_open(store_t **out, const char *dir, const store_opts_t *opts,
               char *err, size_t errlen)
{
	store_opts_t o = {0};
	MDB_envinfo info;
	char where[4200];
	int rc, dead = 0;

	*out = NULL;
	if (opts)
		o = *opts;
	if (!dir || !*dir)
		return cd_fail(err, errlen, CD_EINVAL, "data directory not given");
	if ((rc = open_dir(dir, !o.read_only, err, errlen)) != CD_OK)
		return rc;

	store_t *st = calloc(1, sizeof(*st));
	if (!st)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	st->lockfd = -1;
	st->map_size = o.map_size ? o.map_size : DEFAULT_MAP;
	st->map_max = o.map_size_max ? o.map_size_max : DEFAULT_MAP_MAX;
	st->shed_bytes = o.scan_shed_bytes ? o.scan_shed_bytes
	                                   : (size_t)64 << 20;
	if (st->map_max < st->map_size)
		st->map_max = st->map_size;
	st->log = o.log;
	st->log_ctx = o.log_ctx;
	st->read_only = o.read_only != 0;
	pthread_mutex_init(&st->wlock, NULL);
	pthread_mutex_init(&st->pool_lock, NULL);
	pthread_rwlock_init(&st->maplock, NULL);
	if (!(st->dir = strdup(dir))) {
		rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = lock_dir(st, dir, err, errlen)) != CD_OK)
		goto fail;
	/* Under the lock: no other server is writing the file we check. */
	if ((rc = store_check_file(dir, err, errlen)) != CD_OK)
		goto fail;
	if (st->read_only && (rc = need_data_file(dir, err, errlen)) != CD_OK)
		goto fail;

	unsigned readers = o.max_readers ? o.max_readers : 512;
	if ((rc = store_prealloc_lock(dir, readers, err, errlen)) != CD_OK)
		goto fail;

	if ((rc = mdb_env_create(&st->env)) != 0) {
		st->env = NULL;
		rc = store_mdb_err(rc, "mdb_env_create", err, errlen);
		goto fail;
	}
	mdb_env_set_maxdbs(st->env, 16);
	mdb_env_set_maxreaders(st->env, readers);
	/* NOTLS: read transactions are pooled and used by whichever gRPC
	 * worker thread needs one. NORDAHEAD: random gets dominate. */
	unsigned flags = MDB_NOTLS | MDB_NORDAHEAD | (o.nosync ? MDB_NOSYNC : 0);
	/* Read-only: data.mdb is opened O_RDONLY and mapped read-only, so
	 * nothing in this process can change it; lock.mdb (the reader
	 * table) is still written, so the directory must be writable. */
	if (st->read_only)
		flags |= MDB_RDONLY;
	if ((rc = mdb_env_open(st->env, dir, flags, 0600)) != 0) {
		/* A new environment writes its meta pages here. */
		int mrc = rc;
		snprintf(where, sizeof(where), "data directory %s", dir);
		if ((rc = store_space_fail(mrc, where, err, errlen)) == CD_OK)
			rc = store_mdb_err(mrc, dir, err, errlen);
		goto fail;
	}
	/* A previous process may have died holding reader slots. */
	mdb_reader_check(st->env, &dead);
	/* The map size is set only after open so that a map grown by an
	 * earlier run (recorded in the file) is kept, not shrunk back. */
	if ((rc = mdb_env_info(st->env, &info)) != 0) {
		rc = store_mdb_err(rc, dir, err, errlen);
		goto fail;
	}
	if (info.me_mapsize >= st->map_size || st->read_only)
		st->map_size = info.me_mapsize;
	else if ((rc = mdb_env_set_mapsize(st->env, st->map_size)) != 0) {
		rc = store_mdb_err(rc, "map size", err, errlen);
		goto fail;
	}
	if ((rc = open_dbis(st, err, errlen)) != CD_OK)
		goto fail;
	*out = st;
	return CD_OK;
fail:
	store_close(st);
	return rc;
}

void store_close(store_t *st)
{
	if (!st)
		return;
	for (unsigned i = 0; i < st->pool_n; i++)
		mdb_txn_abort(st->pool[i]);
	if (st->env)
		mdb_env_close(st->env);
	/* After the environment: the next server may open it once we let
	 * go. */
	if (st->lockfd >= 0)
		close(st->lockfd);
	free(st->dir);
	pthread_mutex_destroy(&st->wlock);
	pthread_mutex_destroy(&st->pool_lock);
	pthread_rwlock_destroy(&st->maplock);
	free(st);
}

/* Read locks on maplock held by this thread. pthread rwlocks cannot tell,
 * and a thread that waits for the write lock while it holds a read lock
 * (a snapshot kept across calls on one worker thread) never wakes. */
static _Thread_local unsigned map_readers;

void store_map_rdlock(store_t *st)
{
	pthread_rwlock_rdlock(&st->maplock);
	map_readers++;
}

void store_map_unlock(store_t *st)
{
	map_readers--;
	pthread_rwlock_unlock(&st->maplock);
}

int store_map_adopt_locked(store_t *st)
{
	MDB_envinfo info;
	if (map_readers)
		return MDB_MAP_RESIZED;
	/* Remapping needs no transaction active in this process: the write
	 * lock keeps new readers out and waits for the ones there are. */
	pthread_rwlock_wrlock(&st->maplock);
	int rc = mdb_env_set_mapsize(st->env, 0);
	if (rc == 0 && mdb_env_info(st->env, &info) == 0 &&
	    info.me_mapsize > st->map_size)
		st->map_size = info.me_mapsize;
	pthread_rwlock_unlock(&st->maplock);
	return rc;
}

int store_map_adopt(store_t *st)
{
	if (map_readers)
		return MDB_MAP_RESIZED;
	pthread_mutex_lock(&st->wlock);
	int rc = store_map_adopt_locked(st);
	pthread_mutex_unlock(&st->wlock);
	return rc;
}

static int rtxn_try(store_t *st, MDB_txn **txn)
{
	MDB_txn *t = NULL;
	int rc;

	store_map_rdlock(st);
	pthread_mutex_lock(&st->pool_lock);
	if (st->pool_n)
		t = st->pool[--st->pool_n];
	pthread_mutex_unlock(&st->pool_lock);
	if (t) {
		rc = mdb_txn_renew(t);
		if (rc)
			mdb_txn_abort(t);
	}
	if (!t || rc)
		rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &t);
	if (rc) {
		store_map_unlock(st);
		return rc;
	}
	*txn = t;
	return 0;
}

int store_rtxn_begin(store_t *st, MDB_txn **txn)
{
	/* Bounded: another process may grow the map again meanwhile. */
	for (int tries = 0;; tries++) {
		int rc = rtxn_try(st, txn);
		if (rc != MDB_MAP_RESIZED || tries == 3)
			return rc;
		if ((rc = store_map_adopt(st)) != 0)
			return rc;
	}
}

void store_rtxn_end(store_t *st, MDB_txn *txn)
{
	mdb_txn_reset(txn);
	pthread_mutex_lock(&st->pool_lock);
	if (st->pool_n < STORE_RTXN_POOL) {
		st->pool[st->pool_n++] = txn;
		txn = NULL;
	}
	pthread_mutex_unlock(&st->pool_lock);
	if (txn)
		mdb_txn_abort(txn);
	store_map_unlock(st);
}

uint64_t store_data_version(store_t *st, MDB_txn *txn)
{
	MDB_val k = {4, "dver"}, v;
	uint64_t ver = 0;
	if (mdb_get(txn, st->meta, &k, &v) == 0 && v.mv_size == sizeof(ver))
		memcpy(&ver, v.mv_data, sizeof(ver));
	return ver;
}

void store_map_shed(const void *lo, const void *hi)
{
	/* LMDB does not tell where its map starts (mdb_env_info's me_mapaddr
	 * is only set for MDB_FIXEDMAP), so the scan passes the span of
	 * record addresses it read, which lies inside the map. The map is
	 * read-only and shared (no MDB_WRITEMAP): dropping its pages loses
	 * nothing; they stay in the page cache and a later read faults them
	 * back in. */
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = (uintptr_t)lo & ~(page - 1);
	uintptr_t b = ((uintptr_t)hi + page - 1) & ~(page - 1);
	if (lo && b > a)
		madvise((void *)a, b - a, MADV_DONTNEED);
}

void store_next_etag(store_wctx_t *w, char buf[17])
{
	static const char hex[] = "0123456789abcdef";
	uint64_t s = ++w->seq;
	for (int i = 15; i >= 0; i--, s >>= 4)
		buf[i] = hex[s & 15];
	buf[16] = 0;
}

const char *store_table_name(size_t i)
{
	return i < STORE_TABLES ? store_tables[i].name : NULL;
}

/* mdb_reader_list's lines: a header, then one per slot held, "pid
 * thread txnid" with "-" for a slot whose transaction is reset (pooled),
 * or "(no active readers)". */
static int count_reader(const char *msg, void *arg)
{
	store_stats_t *out = arg;
	const char *p = msg;
	while (*p == ' ')
		p++;
	if (*p < '0' || *p > '9')
		return 0;
	out->readers_used++;
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	if (n && msg[n - 1] != '-')
		out->readers_active++;
	return 0;
}

int store_read_only(const store_t *st)
{
	return st->read_only;
}

int store_stats(store_t *st, store_stats_t *out)
{
	MDB_txn *txn;
	MDB_stat ms;
	MDB_envinfo info;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = store_rtxn_begin(st, &txn)) != 0)
		return store_mdb_err(rc, "read", NULL, 0);
	for (size_t i = 0; i < STORE_TABLES; i++) {
		MDB_dbi dbi = *(const MDB_dbi *)(const void *)
			((const char *)st + store_tables[i].off);
		if (mdb_stat(txn, dbi, &ms) == 0)
			out->table_entries[i] = ms.ms_entries;
	}
	/* While this read transaction holds its slot: it is counted. */
	mdb_reader_list(st->env, count_reader, out);
	if (mdb_env_info(st->env, &info) == 0)
		out->readers_max = info.me_maxreaders;
	char path[4200];
	struct stat sb;
	snprintf(path, sizeof(path), "%s/data.mdb", st->dir);
	if (stat(path, &sb) == 0)
		out->file_bytes = (uint64_t)sb.st_size;
	if (mdb_stat(txn, st->clusters, &ms) == 0)
		out->clusters = ms.ms_entries;
	if (mdb_stat(txn, st->competitions, &ms) == 0)
		out->competitions = ms.ms_entries;
	if (mdb_stat(txn, st->runs, &ms) == 0)
		out->runs = ms.ms_entries;
	if (mdb_stat(txn, st->audit, &ms) == 0)
		out->audit_events = ms.ms_entries;
	out->data_version = store_data_version(st, txn);
	if (mdb_env_info(st->env, &info) == 0 &&
	    mdb_env_stat(st->env, &ms) == 0)
		out->map_used = (info.me_last_pgno + 1) * (size_t)ms.ms_psize;
	store_rtxn_end(st, txn);
	pthread_mutex_lock(&st->wlock);
	out->map_size = st->map_size;
	out->grow_count = st->grow_count;
	out->disk_full = st->disk_full;
	out->space_failures = st->space_failures;
	pthread_mutex_unlock(&st->wlock);
	return CD_OK;
}

int store_backup(store_t *st, const char *dir, char *err, size_t errlen)
{
	char path[4096];
	int fd, rc;

	if (!dir || !*dir)
		return cd_fail(err, errlen, CD_EINVAL, "backup directory not given");
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return cd_fail(err, errlen, CD_EIO, "backup directory %s: %s",
		               dir, strerror(errno));
	if ((size_t)snprintf(path, sizeof(path), "%s/data.mdb", dir) >=
	    sizeof(path))
		return cd_fail(err, errlen, CD_EINVAL, "backup path too long");
	/* Our own fd so the copy is 0600 whatever the umask; O_EXCL so an
	 * existing backup is never overwritten. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return cd_fail(err, errlen, errno == EEXIST ? CD_EEXISTS : CD_EIO,
		               "%s: %s", path, strerror(errno));
	/* The copy runs a read transaction: keep the map from moving. It
	 * begins that transaction before writing a byte, so a map grown by
	 * another process is adopted and the copy started again. */
	for (int tries = 0;; tries++) {
		store_map_rdlock(st);
		rc = mdb_env_copyfd2(st->env, fd, MDB_CP_COMPACT);
		store_map_unlock(st);
		if (rc != MDB_MAP_RESIZED || tries == 3 ||
		    store_map_adopt(st) != 0 || ftruncate(fd, 0) != 0 ||
		    lseek(fd, 0, SEEK_SET) != 0)
			break;
	}
	if (rc == 0 && fsync(fd) != 0)
		rc = errno;
	if (rc)
		rc = store_space_errno(fd, rc);
	close(fd);
	if (rc) {
		unlink(path);
		snprintf(path, sizeof(path), "backup directory %s", dir);
		if (store_space_fail(rc, path, err, errlen) != CD_OK)
			return CD_ELIMIT;
		return store_mdb_err(rc, "backup", err, errlen);
	}
	return CD_OK;
}

void store_cluster_free(store_cluster_t *c)
{
	if (c)
		clusters__v1__cluster__free_unpacked(c, NULL);
}

void store_competition_free(store_competition_t *c)
{
	if (c)
		clusters__v1__competition__free_unpacked(c, NULL);
}

void store_run_free(store_run_t *r)
{
	if (r)
		clusters__v1__run__free_unpacked(r, NULL);
}
