#include "srv_restore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cd_backup.h"
#include "cd_error.h"
#include "cfg.h"
#include "store.h"

#define MAX_CREATED 64

typedef struct restore {
	const char *file, *dir;
	char created[MAX_CREATED][CFG_PATH_MAX];  /* directories we made */
	size_t ncreated;
	char partial[CFG_PATH_MAX + 32];
	char data[CFG_PATH_MAX + 32];
	int fd;
	int lockfd;           /* DIR/clusterd.lock, flock'ed while writing */
	int own_data;         /* DIR/data.mdb is the one this restore made */
	uint64_t written;
} restore_t;

/* 1 exists and is empty, 0 does not exist; 2 (and err) when unusable. */
static int check_dir(const char *dir, char *err, size_t errlen)
{
	struct stat sb;
	if (stat(dir, &sb) != 0) {
		if (errno == ENOENT)
			return 0;
		cd_fail(err, errlen, CD_EIO, "--restore: data directory %s: %s",
		        dir, strerror(errno));
		return 2;
	}
	if (!S_ISDIR(sb.st_mode)) {
		cd_fail(err, errlen, CD_EINVAL, "--restore: data directory %s "
		        "is not a directory", dir);
		return 2;
	}
	DIR *d = opendir(dir);
	if (!d) {
		cd_fail(err, errlen, CD_EIO, "--restore: data directory %s: %s",
		        dir, strerror(errno));
		return 2;
	}
	struct dirent *e;
	const char *first = NULL;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			first = e->d_name;
			break;
		}
	if (first)
		cd_fail(err, errlen, CD_EPRECONDITION, "--restore: data "
		        "directory %s is not empty (it holds %s): restore into "
		        "a new or empty directory", dir, first);
	closedir(d);
	return first ? 2 : 1;
}

/* mkdir -p, 0700, noting each directory made. */
static int make_dirs(restore_t *r, char *err, size_t errlen)
{
	char buf[CFG_PATH_MAX];
	size_t n = strlen(r->dir);
	if (n >= sizeof(buf))
		return cd_fail(err, errlen, CD_EINVAL, "path too long");
	memcpy(buf, r->dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char saved = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, 0700) == 0) {
			if (r->ncreated < MAX_CREATED)
				snprintf(r->created[r->ncreated++],
				         sizeof(r->created[0]), "%s", buf);
		} else if (errno != EEXIST) {
			return cd_fail(err, errlen, CD_EIO, "cannot create %s: "
			               "%s", buf, strerror(errno));
		}
		buf[i] = saved;
	}
	return CD_OK;
}

/* The lock every clusterd takes on its data directory (store.h,
 * STORE_LOCK_FILE), held while the data is written: a clusterd started on
 * DIR meanwhile is refused instead of making a store of its own there. */
static int lock_dir(restore_t *r, char *err, size_t errlen)
{
	char path[CFG_PATH_MAX + 32], pid[32];
	snprintf(path, sizeof(path), "%s/" STORE_LOCK_FILE, r->dir);
	r->lockfd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	                 0600);
	if (r->lockfd < 0)
		return cd_fail(err, errlen, CD_EIO, "%s: %s", path,
		               strerror(errno));
	if (flock(r->lockfd, LOCK_EX | LOCK_NB) != 0)
		return cd_fail(err, errlen, CD_EPRECONDITION, "data directory "
		               "%s is in use by a clusterd (holding %s)", r->dir,
		               path);
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (pwrite(r->lockfd, pid, (size_t)n, 0) != n)
		(void)ftruncate(r->lockfd, 0);
	return CD_OK;
}

static void unlock_dir(restore_t *r)
{
	if (r->lockfd >= 0)
		close(r->lockfd);
	r->lockfd = -1;
}

/* Everything this restore wrote, gone: the directory as it was. */
static void undo(restore_t *r)
{
	/* The data file and LMDB's lock only once they are this restore's:
	 * DIR was empty, and its lock keeps clusterd out. */
	static const char *const files[] = {"data.mdb.partial",
	                                    STORE_LOCK_FILE, "data.mdb",
	                                    "lock.mdb"};
	char path[CFG_PATH_MAX + 32];
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	unlock_dir(r);
	for (size_t i = 0; i < (r->own_data ? 4u : 2u); i++) {
		snprintf(path, sizeof(path), "%s/%s", r->dir, files[i]);
		unlink(path);
	}
	while (r->ncreated)
		rmdir(r->created[--r->ncreated]);
}

static int sink(void *arg, const uint8_t *p, size_t n, char *err,
                size_t errlen)
{
	restore_t *r = arg;
	while (n) {
		ssize_t w = write(r->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;
			return cd_fail(err, errlen, e == ENOSPC || e == EDQUOT ||
			               e == EFBIG ? CD_ELIMIT : CD_EIO,
			               "writing %s: %s", r->partial, strerror(e));
		}
		p += w;
		n -= (size_t)w;
		r->written += (uint64_t)w;
	}
	return CD_OK;
}

static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/* The counts the header announces against the restored store's. */
static int compare(const Clusters__V1__BackupHeader *h,
                   const store_counts_t *c, char *err, size_t errlen)
{
	if (h->data_version != c->data_version)
		return cd_fail(err, errlen, CD_ECORRUPT, "the restored store "
		               "has data version %llu, the backup says %llu",
		               (unsigned long long)c->data_version,
		               (unsigned long long)h->data_version);
	for (size_t i = 0; i < h->n_tables; i++) {
		const Clusters__V1__BackupTableCount *t = h->tables[i];
		size_t k;
		for (k = 0; k < STORE_TABLES; k++)
			if (!strcmp(c->table[k], t->table))
				break;
		if (k == STORE_TABLES)
			return cd_fail(err, errlen, CD_EINVAL, "the backup has "
			               "a table %.64s that this clusterd does not "
			               "know (a newer version's backup?)",
			               t->table);
		if (c->records[k] != t->records)
			return cd_fail(err, errlen, CD_ECORRUPT, "table %s of "
			               "the restored store has %llu records, the "
			               "backup says %llu", c->table[k],
			               (unsigned long long)c->records[k],
			               (unsigned long long)t->records);
	}
	for (size_t k = 0; k < STORE_TABLES; k++) {
		size_t i;
		for (i = 0; i < h->n_tables; i++)
			if (!strcmp(c->table[k], h->tables[i]->table))
				break;
		if (i == h->n_tables)
			return cd_fail(err, errlen, CD_ECORRUPT, "the backup "
			               "does not count table %s", c->table[k]);
	}
	return CD_OK;
}

static void fmt_time(const Google__Protobuf__Timestamp *t, char *buf,
                     size_t len)
{
	struct tm tm;
	time_t s = t ? (time_t)t->seconds : 0;
	if (!t || !gmtime_r(&s, &tm)) {
		snprintf(buf, len, "unknown time");
		return;
	}
	char day[32];
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09dZ", day, (int)t->nanos);
}

static void summary(FILE *out, const restore_t *r, const cd_backup_file_t *f,
                    const store_counts_t *c)
{
	char when[64];
	const Clusters__V1__BackupHeader *h = f->header;
	fmt_time(h->time, when, sizeof(when));
	fprintf(out, "restored %s into %s\n", r->file, r->dir);
	fprintf(out, "  taken:        %s by clusterd %s\n", when,
	        h->server_version);
	fprintf(out, "  data version: %llu\n",
	        (unsigned long long)c->data_version);
	fprintf(out, "  records:     ");
	for (size_t k = 0; k < STORE_TABLES; k++)
		fprintf(out, " %s %llu%s", c->table[k],
		        (unsigned long long)c->records[k],
		        k + 1 < STORE_TABLES ? "," : "\n");
	fprintf(out, "  data:         %llu bytes, sha256 %s (checked)\n",
	        (unsigned long long)f->data_len, f->trailer->sha256);
	fflush(out);
}

int srv_restore(const char *file, const char *dir, FILE *out, char *err,
                size_t errlen)
{
	restore_t *r = calloc(1, sizeof(*r));
	cd_backup_file_t f = {.fd = -1};
	char inner[400];
	int status = 1, rc;

	if (!r) {
		cd_fail(err, errlen, CD_ENOMEM, "--restore: out of memory");
		return 1;
	}
	r->file = file;
	r->dir = dir;
	r->fd = -1;
	r->lockfd = -1;
	if (strlen(dir) >= CFG_PATH_MAX) {
		cd_fail(err, errlen, CD_EINVAL, "--restore: path too long");
		free(r);
		return 2;
	}
	int exists = check_dir(dir, err, errlen);
	if (exists == 2) {
		free(r);
		return 2;
	}
	rc = cd_backup_file_open(&f, file, inner, sizeof(inner));
	if (rc != CD_OK) {
		cd_fail(err, errlen, rc, "--restore: %s", inner);
		free(r);
		return rc == CD_ENOTFOUND ? 2 : 1;
	}
	if ((rc = make_dirs(r, inner, sizeof(inner))) != CD_OK ||
	    (rc = lock_dir(r, inner, sizeof(inner))) != CD_OK) {
		cd_fail(err, errlen, rc, "--restore: %s", inner);
		goto fail;
	}
	snprintf(r->partial, sizeof(r->partial), "%s/data.mdb.partial", dir);
	snprintf(r->data, sizeof(r->data), "%s/data.mdb", dir);
	r->fd = open(r->partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	             O_NOFOLLOW, 0600);
	if (r->fd < 0) {
		cd_fail(err, errlen, CD_EIO, "--restore: cannot create %s: %s",
		        r->partial, strerror(errno));
		goto fail;
	}
	rc = cd_backup_file_verify(&f, sink, r, inner, sizeof(inner));
	if (rc != CD_OK) {
		cd_fail(err, errlen, rc, "--restore: %s: %s", file, inner);
		goto fail;
	}
	if (fsync(r->fd) != 0 || close(r->fd) != 0) {
		r->fd = -1;
		cd_fail(err, errlen, CD_EIO, "--restore: writing %s: %s",
		        r->partial, strerror(errno));
		goto fail;
	}
	r->fd = -1;
	/* link() never replaces a data.mdb, whoever made it. */
	if (link(r->partial, r->data) != 0) {
		cd_fail(err, errlen, CD_EIO, "--restore: naming %s: %s", r->data,
		        strerror(errno));
		goto fail;
	}
	r->own_data = 1;
	if (unlink(r->partial) != 0 || sync_dir(dir) != 0) {
		cd_fail(err, errlen, CD_EIO, "--restore: naming %s: %s", r->data,
		        strerror(errno));
		goto fail;
	}
	/* The store takes the directory's lock itself. */
	unlock_dir(r);

	/* What was written opens as a store and holds what the header
	 * says, record by record. Read-only: the file stays the bytes the
	 * checksums covered. */
	store_opts_t so = {.read_only = 1};
	store_t *st;
	store_counts_t counts;
	rc = store_open(&st, dir, &so, inner, sizeof(inner));
	if (rc != CD_OK) {
		cd_fail(err, errlen, rc, "--restore: %s: the restored data does "
		        "not open: %s", file, inner);
		goto fail;
	}
	rc = store_counts(st, 1, &counts, inner, sizeof(inner));
	store_close(st);
	if (rc == CD_OK)
		rc = compare(f.header, &counts, inner, sizeof(inner));
	if (rc != CD_OK) {
		cd_fail(err, errlen, rc, "--restore: %s: %s", file, inner);
		goto fail;
	}
	/* The directory holds the data file alone: LMDB makes its lock file
	 * again, the server its own. */
	char path[CFG_PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/lock.mdb", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/" STORE_LOCK_FILE, dir);
	unlink(path);
	if (exists)
		chmod(dir, 0700);
	summary(out, r, &f, &counts);
	status = 0;
	goto done;
fail:
	undo(r);
done:
	cd_backup_file_close(&f);
	free(r);
	return status;
}
