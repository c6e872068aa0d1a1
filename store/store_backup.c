/*
 * store_backup.c — online backups as a stream, and the counts of records
 * per table that go with them (docs/store.md, "Backup").
 *
 * The copy is LMDB's compacting copy (mdb_env_copyfd2, MDB_CP_COMPACT),
 * which takes a read transaction of its own and writes to a descriptor:
 * here a pipe, written by a thread of the stream's own and read by the
 * caller, so the bytes go wherever the caller sends them (a gRPC stream)
 * without a file on the server. The counts must be of the snapshot the
 * copy reads; store_backup_open proves that (see store.h) instead of
 * trusting timing.
 */
#define _GNU_SOURCE /* F_SETPIPE_SZ */
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The first read of the copy, taken while writers wait: what one read of
 * the pipe gives (the copy hands over 1 MiB at a time). */
#define HEAD_BYTES (64u << 10)
/* A pipe that holds what LMDB writes at once saves context switches;
 * the kernel may give less (pipe-max-size), which only costs speed. */
#define PIPE_BYTES (1 << 20)

struct store_backup_stream {
	store_t *st;
	int rfd;              /* the pipe's read end: ours */
	int wfd;              /* its write end: the copier's, closed by it */
	pthread_t thr;
	int started;          /* thr runs or ran */
	int joined;
	int copy_rc;          /* the copy's result (LMDB or errno), after
	                       * the join */
	uint8_t *head;        /* the first bytes, read in store_backup_open */
	size_t head_len, head_off;
	uint64_t bytes;       /* handed to the caller */
	int done;             /* the end was reported */
};

/* ------------------------------------------------------------- counts */

static int count_walk(MDB_txn *txn, MDB_dbi dbi, uint64_t *n)
{
	MDB_cursor *cur;
	MDB_val k, v;
	uint64_t c = 0;
	int rc = mdb_cursor_open(txn, dbi, &cur);
	if (rc)
		return rc;
	while ((rc = mdb_cursor_get(cur, &k, &v, c ? MDB_NEXT : MDB_FIRST))
	       == 0)
		c++;
	mdb_cursor_close(cur);
	*n = c;
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* The counts of txn into out; walk: by cursor as well, and checked. */
static int counts_txn(store_t *st, MDB_txn *txn, int walk,
                      store_counts_t *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->data_version = store_data_version(st, txn);
	out->txnid = mdb_txn_id(txn);
	for (size_t i = 0; i < STORE_TABLES; i++) {
		MDB_stat ms;
		MDB_dbi dbi = *store_table_dbi(st, i);
		int rc = mdb_stat(txn, dbi, &ms);
		out->table[i] = store_tables[i].name;
		if (rc)
			return store_mdb_err(rc, store_tables[i].name, err,
			                     errlen);
		out->records[i] = ms.ms_entries;
		if (!walk)
			continue;
		uint64_t n;
		if ((rc = count_walk(txn, dbi, &n)))
			return store_mdb_err(rc, store_tables[i].name, err,
			                     errlen);
		if (n != ms.ms_entries)
			return cd_fail(err, errlen, CD_ECORRUPT, "table %s of "
			               "data directory %s: %llu records found, "
			               "but its record says %llu",
			               store_tables[i].name, st->dir,
			               (unsigned long long)n,
			               (unsigned long long)ms.ms_entries);
	}
	return CD_OK;
}

int store_counts(store_t *st, int walk, store_counts_t *out, char *err,
                 size_t errlen)
{
	MDB_txn *txn;
	int rc = store_rtxn_begin(st, &txn);
	if (rc)
		return store_mdb_err(rc, "read", err, errlen);
	rc = counts_txn(st, txn, walk, out, err, errlen);
	store_rtxn_end(st, txn);
	return rc;
}

/* ------------------------------------------------------------- stream */

static void *copier(void *arg)
{
	store_backup_stream_t *b = arg;
	/* LMDB's own writer thread blocks SIGPIPE and collects it when the
	 * reader goes away; this thread writes nothing, but its mask is
	 * what that thread starts with. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* LMDB's thread inherits the name: a backup's threads are told
	 * apart from the server's others (tests/service/backup_test.py). */
	pthread_setname_np(pthread_self(), "cd-backup-copy");
	/* A read transaction lives here for the whole copy: keep the map
	 * from moving under it. */
	store_map_rdlock(b->st);
	b->copy_rc = mdb_env_copyfd2(b->st->env, b->wfd, MDB_CP_COMPACT);
	store_map_unlock(b->st);
	/* The reader sees the end of the pipe; copy_rc is read after the
	 * join. */
	close(b->wfd);
	b->wfd = -1;
	return NULL;
}

static void join(store_backup_stream_t *b)
{
	if (b->started && !b->joined) {
		pthread_join(b->thr, NULL);
		b->joined = 1;
	}
}

void store_backup_close(store_backup_stream_t *b)
{
	if (!b)
		return;
	/* First the read end: a copy still writing fails with EPIPE and
	 * ends, releasing its transaction. */
	if (b->rfd >= 0)
		close(b->rfd);
	b->rfd = -1;
	join(b);
	if (!b->started && b->wfd >= 0)
		close(b->wfd);
	free(b->head);
	free(b);
}

/* What the copy's failure means, into err. */
static int copy_failed(int rc, char *err, size_t errlen)
{
	if (rc == EPIPE)
		return cd_fail(err, errlen, CD_ECANCELLED, "backup cancelled");
	return store_mdb_err(rc, "backup copy", err, errlen);
}

/* read() until something comes, the end, or an error (-1, errno). */
static ssize_t read_some(int fd, uint8_t *buf, size_t cap)
{
	for (;;) {
		ssize_t n = read(fd, buf, cap);
		if (n >= 0 || errno != EINTR)
			return n;
	}
}

/* A read transaction for the counts; the caller holds wlock, so a map
 * another process grew is adopted here (store_rtxn_begin would take
 * wlock again). */
static int begin_locked(store_t *st, MDB_txn **txn)
{
	for (int tries = 0;; tries++) {
		store_map_rdlock(st);
		int rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, txn);
		if (rc == 0)
			return 0;
		store_map_unlock(st);
		if (rc != MDB_MAP_RESIZED || tries == 3)
			return rc;
		if ((rc = store_map_adopt_locked(st)) != 0)
			return rc;
	}
}

/* One attempt; *again = 1 when a commit slipped between the two
 * transactions (another process writing). */
static int try_open(store_t *st, store_backup_stream_t *b,
                    store_counts_t *counts, int64_t *time_ns, int *again,
                    char *err, size_t errlen)
{
	int fds[2];
	MDB_txn *txn;
	MDB_envinfo info;
	struct timespec ts;
	int rc;

	*again = 0;
	if (pipe(fds) != 0)
		return cd_fail(err, errlen, CD_EIO, "backup: pipe: %s",
		               strerror(errno));
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	(void)fcntl(fds[1], F_SETPIPE_SZ, PIPE_BYTES);
	b->rfd = fds[0];
	b->wfd = fds[1];

	/* No commit of this process from here until the copy's read
	 * transaction has begun. */
	pthread_mutex_lock(&st->wlock);
	rc = begin_locked(st, &txn);
	if (rc) {
		pthread_mutex_unlock(&st->wlock);
		return store_mdb_err(rc, "backup snapshot", err, errlen);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	rc = counts_txn(st, txn, 0, counts, err, errlen);
	mdb_txn_abort(txn);
	store_map_unlock(st);
	if (rc) {
		pthread_mutex_unlock(&st->wlock);
		return rc;
	}
	*time_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	if ((rc = pthread_create(&b->thr, NULL, copier, b)) != 0) {
		pthread_mutex_unlock(&st->wlock);
		return cd_fail(err, errlen, CD_ENOMEM, "backup: cannot start "
		               "the copy thread: %s", strerror(rc));
	}
	b->started = 1;
	/* The copy writes its first buffer only after its transaction
	 * began: the first bytes are the proof. */
	ssize_t n = read_some(b->rfd, b->head, HEAD_BYTES);
	int rerr = errno;
	int info_rc = mdb_env_info(st->env, &info);
	pthread_mutex_unlock(&st->wlock);
	if (n < 0)
		return cd_fail(err, errlen, CD_EIO, "backup: reading the copy: "
		               "%s", strerror(rerr));
	if (n == 0) {
		/* The copy ended without a byte: it failed to begin. */
		join(b);
		return copy_failed(b->copy_rc ? b->copy_rc : EIO, err,
		                   errlen);
	}
	b->head_len = (size_t)n;
	if (info_rc)
		return store_mdb_err(info_rc, "backup", err, errlen);
	if (info.me_last_txnid != counts->txnid) {
		*again = 1;
		return cd_fail(err, errlen, CD_EUNAVAIL, "backup: the store "
		               "changed while the backup began (transaction "
		               "%llu, then %llu): another process writes data "
		               "directory %s", (unsigned long long)counts->txnid,
		               (unsigned long long)info.me_last_txnid, st->dir);
	}
	return CD_OK;
}

int store_backup_open(store_t *st, store_backup_stream_t **out,
                      store_counts_t *counts, int64_t *time_ns, char *err,
                      size_t errlen)
{
	*out = NULL;
	for (int tries = 0;; tries++) {
		store_backup_stream_t *b = calloc(1, sizeof(*b));
		if (b)
			b->head = malloc(HEAD_BYTES);
		if (!b || !b->head) {
			if (b)
				free(b->head);
			free(b);
			return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
		}
		b->st = st;
		b->rfd = b->wfd = -1;
		int again;
		int rc = try_open(st, b, counts, time_ns, &again, err, errlen);
		if (rc == CD_OK) {
			*out = b;
			return CD_OK;
		}
		store_backup_close(b);
		if (!again || tries == 2)
			return rc;
	}
}

int store_backup_read(store_backup_stream_t *b, uint8_t *buf, size_t cap,
                      size_t *n, char *err, size_t errlen)
{
	size_t got = 0;
	*n = 0;
	if (b->done && b->copy_rc)
		return copy_failed(b->copy_rc, err, errlen);
	if (b->head_off < b->head_len) {
		size_t k = b->head_len - b->head_off;
		if (k > cap)
			k = cap;
		memcpy(buf, b->head + b->head_off, k);
		b->head_off += k;
		got = k;
	}
	while (got < cap && !b->done) {
		ssize_t r = read_some(b->rfd, buf + got, cap - got);
		if (r < 0)
			return cd_fail(err, errlen, CD_EIO, "backup: reading the "
			               "copy: %s", strerror(errno));
		if (r == 0) {
			/* The copier closed its end: it has returned. */
			join(b);
			b->done = 1;
			if (b->copy_rc)
				return copy_failed(b->copy_rc, err, errlen);
			break;
		}
		got += (size_t)r;
	}
	*n = got;
	b->bytes += got;
	return CD_OK;
}

uint64_t store_backup_bytes(const store_backup_stream_t *b)
{
	return b->bytes;
}
