/*
 * store_file.c — a look at data.mdb before LMDB maps it.
 *
 * LMDB maps the whole file and trusts it: a data file cut short (a full
 * disk during a copy, a truncated restore) is mapped past its end, and the
 * first read of a missing page kills the process with SIGBUS, in
 * mdb_dbi_open at start-up; garbage in the roots it reads there makes it
 * abort or crash. So the two meta pages and those roots are read here
 * with pread and checked against the file's size and each other; a file
 * that fails is refused with CD_ECORRUPT and a message naming it, and
 * LMDB never sees it.
 *
 * It also gives LMDB's lock file its blocks before LMDB maps it and writes
 * through the map: on a full disk such a write faults with SIGBUS instead
 * of failing, where posix_fallocate fails with ENOSPC.
 *
 * The meta page layout is LMDB 0.9's (lmdb.h does not export it) for
 * 64-bit builds, where pgno_t and size_t are 8 bytes; it has not changed
 * within 0.9.
 */
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define META_MAGIC 0xBEEFC0DEu
#define META_VERSION 1u       /* MDB_DATA_VERSION of LMDB 0.9 */
#define P_META 0x08
#define PAGE_HDR 16           /* pgno, pad, flags, lower, upper */
/* Offsets inside a meta page, from its start. */
#define OFF_FLAGS 10
#define OFF_MAGIC (PAGE_HDR + 0)
#define OFF_VERSION (PAGE_HDR + 4)
#define OFF_PSIZE (PAGE_HDR + 24)      /* mm_dbs[FREE_DBI].md_pad */
#define OFF_FREE_ROOT (PAGE_HDR + 64)  /* mm_dbs[FREE_DBI].md_root */
#define OFF_MAIN_ROOT (PAGE_HDR + 112) /* mm_dbs[MAIN_DBI].md_root */
#define OFF_LAST_PG (PAGE_HDR + 120)
#define OFF_TXNID (PAGE_HDR + 128)
#define META_BYTES (PAGE_HDR + 136)
#define NO_PAGE UINT64_MAX            /* P_INVALID: an empty tree */

#define P_BRANCH 0x01
#define P_LEAF 0x02
#define P_OVERFLOW 0x04
#define F_BIGDATA 0x01
#define F_SUBDATA 0x02
#define NODE_HDR 8            /* lo, hi, flags, ksize */
#define DB_BYTES 48           /* an MDB_db, the value of F_SUBDATA */
#define DB_ROOT 40            /* md_root inside it */

typedef struct meta {
	uint32_t psize;
	uint64_t last_pg, txnid, free_root, main_root;
} meta_t;

static uint16_t get16(const unsigned char *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* Reads and checks the meta page at off. */
static int read_meta(int fd, off_t off, int which, const char *path,
                     meta_t *m, char *err, size_t errlen)
{
	unsigned char b[META_BYTES];
	ssize_t n = pread(fd, b, sizeof(b), off);
	if (n < 0)
		return cd_fail(err, errlen, CD_EIO, "%s: %s", path,
		               strerror(errno));
	if ((size_t)n < sizeof(b))
		return cd_fail(err, errlen, CD_ECORRUPT, "%s: truncated: "
		               "meta page %d is cut short", path, which);
	if (!(get16(b + OFF_FLAGS) & P_META) ||
	    get32(b + OFF_MAGIC) != META_MAGIC)
		return cd_fail(err, errlen, CD_ECORRUPT, "%s: not an LMDB "
		               "data file (meta page %d has no LMDB magic)",
		               path, which);
	if (get32(b + OFF_VERSION) != META_VERSION)
		return cd_fail(err, errlen, CD_ECORRUPT, "%s: LMDB data "
		               "format %" PRIu32 ", this build reads %u", path,
		               get32(b + OFF_VERSION), META_VERSION);
	m->psize = get32(b + OFF_PSIZE);
	m->last_pg = get64(b + OFF_LAST_PG);
	m->txnid = get64(b + OFF_TXNID);
	m->free_root = get64(b + OFF_FREE_ROOT);
	m->main_root = get64(b + OFF_MAIN_ROOT);
	return CD_OK;
}

/* Reads page pgno into buf and checks that it is a tree page: it says it
 * is that page, a branch or a leaf, with its bounds inside the page. */
static int read_tree_page(int fd, uint64_t pgno, uint32_t psize,
                          unsigned char *buf, const char *path,
                          const char *db, char *err, size_t errlen)
{
	ssize_t n = pread(fd, buf, psize, (off_t)(pgno * psize));
	if (n != (ssize_t)psize)
		memset(buf, 0, psize); /* fails the checks below */
	uint16_t flags = get16(buf + OFF_FLAGS);
	uint16_t lower = get16(buf + 12), upper = get16(buf + 14);
	if (get64(buf) != pgno || (flags & (P_BRANCH | P_LEAF)) == 0 ||
	    (flags & (P_BRANCH | P_LEAF)) == (P_BRANCH | P_LEAF) ||
	    (flags & (P_OVERFLOW | P_META)) || lower < PAGE_HDR ||
	    lower > upper || upper > psize)
		return cd_fail(err, errlen, CD_ECORRUPT, "%s: page %" PRIu64
		               ", the root of database '%s', is not a tree "
		               "page", path, pgno, db);
	return CD_OK;
}

/* The roots mdb_dbi_open reads at start-up: the main database's (whose
 * leaf lists the named databases) and, from it, each named one's, whose
 * garbage would otherwise abort or crash LMDB when the store opens. Only
 * the roots: a damaged page further down is found when it is read. */
static int check_roots_in(int fd, const meta_t *m, unsigned char *page,
                          unsigned char *sub, const char *path, char *err,
                          size_t errlen)
{
	char name[64];
	int rc;

	if (m->free_root != NO_PAGE &&
	    (rc = read_tree_page(fd, m->free_root, m->psize, sub, path,
	                         "(free pages)", err, errlen)) != CD_OK)
		return rc;
	if (m->main_root == NO_PAGE)
		return CD_OK;
	if ((rc = read_tree_page(fd, m->main_root, m->psize, page, path,
	                         "(main)", err, errlen)) != CD_OK)
		return rc;
	if (!(get16(page + OFF_FLAGS) & P_LEAF))
		return CD_OK; /* many named databases: not ours */
	unsigned nkeys = (get16(page + 12) - PAGE_HDR) / 2;
	for (unsigned i = 0; i < nkeys; i++) {
		uint32_t off = get16(page + PAGE_HDR + 2 * i);
		if (off < get16(page + 14) || off + NODE_HDR > m->psize)
			return cd_fail(err, errlen, CD_ECORRUPT, "%s: page %"
			               PRIu64 ", the root of the main database, "
			               "is not a tree page", path, m->main_root);
		const unsigned char *node = page + off;
		uint32_t nflags = get16(node + 4), ksize = get16(node + 6);
		uint32_t dsize = get16(node) | (uint32_t)get16(node + 2) << 16;
		if (off + NODE_HDR + ksize > m->psize)
			return cd_fail(err, errlen, CD_ECORRUPT, "%s: page %"
			               PRIu64 ", the root of the main database, "
			               "is not a tree page", path, m->main_root);
		if (!(nflags & F_SUBDATA))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(ksize < 63 ? ksize : 63),
		         (const char *)node + NODE_HDR);
		if ((nflags & F_BIGDATA) || dsize != DB_BYTES ||
		    off + NODE_HDR + ksize + DB_BYTES > m->psize)
			return cd_fail(err, errlen, CD_ECORRUPT, "%s: the "
			               "record of database '%s' is damaged",
			               path, name);
		uint64_t root = get64(node + NODE_HDR + ksize + DB_ROOT);
		if (root == NO_PAGE)
			continue;
		if (root > m->last_pg)
			return cd_fail(err, errlen, CD_ECORRUPT, "%s: database "
			               "'%s' has its root page past the last page "
			               "%" PRIu64, path, name, m->last_pg);
		if ((rc = read_tree_page(fd, root, m->psize, sub, path, name,
		                         err, errlen)) != CD_OK)
			return rc;
	}
	return CD_OK;
}

static int check_roots(int fd, const meta_t *m, const char *path,
                       char *err, size_t errlen)
{
	unsigned char *buf = malloc(2 * (size_t)m->psize);
	if (!buf)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	int rc = check_roots_in(fd, m, buf, buf + m->psize, path, err, errlen);
	free(buf);
	return rc;
}

static int check_fd(int fd, const char *path, char *err, size_t errlen)
{
#if SIZE_MAX != UINT64_MAX
	/* Another meta layout (32-bit pgno_t): leave it to LMDB. */
	(void)fd;
	(void)path;
	(void)err;
	(void)errlen;
	return CD_OK;
#endif
	struct stat sb;
	meta_t m0, m1;
	int rc;

	if (fstat(fd, &sb) != 0)
		return cd_fail(err, errlen, CD_EIO, "%s: %s", path,
		               strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return cd_fail(err, errlen, CD_ECORRUPT, "%s: not a regular "
		               "file", path);
	/* Empty is how LMDB starts a new file: it writes the metas itself. */
	if (sb.st_size == 0)
		return CD_OK;
	if ((rc = read_meta(fd, 0, 0, path, &m0, err, errlen)) != CD_OK)
		return rc;
	if (m0.psize < 512 || m0.psize > 65536 || (m0.psize & (m0.psize - 1)))
		return cd_fail(err, errlen, CD_ECORRUPT, "%s: meta page 0 "
		               "gives a page size of %" PRIu32, path, m0.psize);
	if ((uint64_t)sb.st_size < 2 * (uint64_t)m0.psize)
		return cd_fail(err, errlen, CD_ECORRUPT, "%s: truncated: "
		               "%lld bytes, smaller than LMDB's two meta pages "
		               "of %" PRIu32 " bytes", path,
		               (long long)sb.st_size, m0.psize);
	if ((rc = read_meta(fd, m0.psize, 1, path, &m1, err, errlen)) != CD_OK)
		return rc;
	/* LMDB opens the meta with the greater transaction id. */
	const meta_t *m = m1.txnid > m0.txnid ? &m1 : &m0;
	if (m1.psize != m0.psize)
		return cd_fail(err, errlen, CD_ECORRUPT, "%s: the meta pages "
		               "disagree on the page size", path);
	uint64_t pages = (uint64_t)sb.st_size / m0.psize;
	if (m->last_pg < 1 || m->last_pg >= pages)
		return cd_fail(err, errlen, CD_ECORRUPT, "%s: truncated: "
		               "%lld bytes (%" PRIu64 " pages), but transaction "
		               "%" PRIu64 " uses pages up to %" PRIu64, path,
		               (long long)sb.st_size, pages, m->txnid,
		               m->last_pg);
	if ((m->free_root != NO_PAGE && m->free_root > m->last_pg) ||
	    (m->main_root != NO_PAGE && m->main_root > m->last_pg))
		return cd_fail(err, errlen, CD_ECORRUPT, "%s: transaction "
		               "%" PRIu64 " has a root page past its last page "
		               "%" PRIu64, path, m->txnid, m->last_pg);
	return check_roots(fd, m, path, err, errlen);
}

int store_check_file(const char *dir, char *err, size_t errlen)
{
	char path[4096];
	if ((size_t)snprintf(path, sizeof(path), "%s/data.mdb", dir) >=
	    sizeof(path))
		return cd_fail(err, errlen, CD_EINVAL, "data directory path "
		               "too long");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return CD_OK; /* a new store */
	if (fd < 0)
		return cd_fail(err, errlen, CD_EIO, "%s: %s", path,
		               strerror(errno));
	int rc = check_fd(fd, path, err, errlen);
	close(fd);
	return rc;
}

int store_prealloc_lock(const char *dir, unsigned max_readers, char *err,
                        size_t errlen)
{
	char path[4096];
	if ((size_t)snprintf(path, sizeof(path), "%s/lock.mdb", dir) >=
	    sizeof(path))
		return cd_fail(err, errlen, CD_EINVAL, "data directory path "
		               "too long");
	/* LMDB 0.9 sizes it (max_readers - 1) * 64 + 192 on x86-64 (reader
	 * slots of one cache line after a header of three) and keeps a
	 * file of exactly that size as it is. */
	off_t size = (off_t)max_readers * 64 + 128;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return cd_fail(err, errlen, CD_EIO, "%s: %s", path,
		               strerror(errno));
	struct stat sb;
	int rc = fstat(fd, &sb) != 0 ? errno : 0;
	if (rc == 0 && sb.st_size <= size)
		rc = posix_fallocate(fd, 0, size);
	close(fd);
	char where[4200];
	snprintf(where, sizeof(where), "data directory %s", dir);
	if (rc && store_space_fail(rc, where, err, errlen) != CD_OK)
		return CD_ELIMIT;
	/* Elsewhere (a file system without fallocate) LMDB does as it
	 * always did. */
	return CD_OK;
}
