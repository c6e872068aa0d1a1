/*
 * store_space.c — a write transaction that failed for want of room: a full
 * disk, a quota, the process's file size limit, or the map's ceiling.
 * They are the caller's resource exhaustion (CD_ELIMIT), not an internal
 * error, and the message says which and where. The store also remembers
 * that writes are failing (store_stats.disk_full) and tells its log hook
 * once when they start failing and once when they succeed again.
 */
#include "store_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* Free space under which a short write is taken for a full disk. */
#define SPACE_LOW ((unsigned long long)1 << 20)

void store_log(store_t *st, int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	if (!st->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	st->log(st->log_ctx, level, msg);
}

int store_space_errno(int fd, int mrc)
{
	struct stat sb;
	struct rlimit rl;
	struct statvfs vf;

	if (mrc != EIO || fd < 0)
		return mrc;
	/* LMDB reports a short write as EIO ("short write, filesystem
	 * full?"): the write that filled the disk, or reached the file size
	 * limit, part-way. Look before calling it an I/O error. */
	if (fstat(fd, &sb) == 0 && getrlimit(RLIMIT_FSIZE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && (rlim_t)sb.st_size >= rl.rlim_cur)
		return EFBIG;
	if (fstatvfs(fd, &vf) == 0) {
		/* root may write into the blocks reserved for it. */
		unsigned long long blocks = geteuid() == 0 ? vf.f_bfree
		                                           : vf.f_bavail;
		if (blocks * vf.f_frsize < SPACE_LOW)
			return ENOSPC;
	}
	return mrc;
}

int store_space_fail(int mrc, const char *where, char *err, size_t errlen)
{
	switch (mrc) {
	case ENOSPC:
	case EDQUOT:
		return cd_fail(err, errlen, CD_ELIMIT, "disk full: cannot "
		               "write to %s (%s)", where, strerror(mrc));
	case EFBIG:
		return cd_fail(err, errlen, CD_ELIMIT, "disk full: the file "
		               "size limit (ulimit -f) stops writes to %s (%s)",
		               where, strerror(mrc));
	}
	return CD_OK;
}

int store_write_failed(store_t *st, int mrc, char *err, size_t errlen)
{
	int fd = -1;
	char where[4200];

	mdb_env_get_fd(st->env, &fd);
	mrc = store_space_errno(fd, mrc);
	snprintf(where, sizeof(where), "data directory %s", st->dir);
	int rc = store_space_fail(mrc, where, err, errlen);
	if (rc != CD_OK) {
		st->space_failures++;
		/* Once per episode: every refused call is in the call log. */
		if (!st->disk_full)
			store_log(st, STORE_LOG_ERROR, "store: %s; writes are "
			          "refused until there is room", err);
		st->disk_full = 1;
		return rc;
	}
	if (mrc == MDB_MAP_FULL)
		return cd_fail(err, errlen, CD_ELIMIT, "store full: the write "
		               "does not fit under the map size limit of "
		               "%.1f MiB (data directory %s)",
		               (double)st->map_max / (1 << 20), st->dir);
	return store_mdb_err(mrc, "write transaction", err, errlen);
}

void store_write_ok(store_t *st)
{
	if (st->disk_full)
		store_log(st, STORE_LOG_INFO, "store: writes succeed again "
		          "in data directory %s (%llu refused for want of "
		          "room since open)", st->dir,
		          (unsigned long long)st->space_failures);
	st->disk_full = 0;
}
