/*
 * cd_backup.c — writing and reading the backup file (cd_backup.h).
 */
#include "cd_backup.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cd_error.h"

#define READ_BUF (1u << 20)

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void hex(const uint8_t *d, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[2 * n] = '\0';
}

int cd_backup_sha256_hex(const uint8_t *p, size_t n, char out[65])
{
	uint8_t d[32];
	unsigned dl = 0;
	if (!EVP_Digest(p, n, d, &dl, EVP_sha256(), NULL) || dl != 32)
		return CD_EINTERNAL;
	hex(d, 32, out);
	return CD_OK;
}

/* Writes all of p; errno on failure. */
static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int sync_dir_of(const char *path)
{
	char *copy = strdup(path);
	if (!copy)
		return ENOMEM;
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return errno;
	int rc = fsync(fd) == 0 ? 0 : errno;
	close(fd);
	return rc;
}

/* ---------------------------------------------------------------- writer */

struct cd_backup_writer {
	char *path, *temp;
	int fd;
	int temp_made;         /* temp exists (ours) */
	EVP_MD_CTX *file_md;   /* every byte written */
	EVP_MD_CTX *data_md;   /* the data bytes */
	uint64_t data_bytes;
	int have_header;
	int committed;         /* linked to path: keep */
	int kept;              /* complete, left under the temporary name */
	char sha256[65];
};

const char *cd_backup_writer_temp(const cd_backup_writer_t *w)
{
	return w->temp;
}

uint64_t cd_backup_writer_bytes(const cd_backup_writer_t *w)
{
	return w->data_bytes;
}

const char *cd_backup_writer_sha256(const cd_backup_writer_t *w)
{
	return w->sha256;
}

void cd_backup_writer_close(cd_backup_writer_t *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->temp_made && !w->committed && !w->kept)
		unlink(w->temp);
	EVP_MD_CTX_free(w->file_md);
	EVP_MD_CTX_free(w->data_md);
	free(w->path);
	free(w->temp);
	free(w);
}

int cd_backup_writer_create(cd_backup_writer_t **out, const char *path,
                            char *err, size_t errlen)
{
	struct stat sb;
	*out = NULL;
	if (!path || !*path)
		return cd_fail(err, errlen, CD_EINVAL, "no backup file given");
	if (lstat(path, &sb) == 0)
		return cd_fail(err, errlen, CD_EEXISTS, "%s exists: a backup "
		               "never replaces a file (choose a new name)", path);
	if (errno != ENOENT)
		return cd_fail(err, errlen, CD_EIO, "%s: %s", path,
		               strerror(errno));
	cd_backup_writer_t *w = calloc(1, sizeof(*w));
	if (!w)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	w->fd = -1;
	size_t tl = strlen(path) + sizeof(".partial-XXXXXX");
	if (!(w->path = strdup(path)) || !(w->temp = malloc(tl)) ||
	    !(w->file_md = EVP_MD_CTX_new()) ||
	    !(w->data_md = EVP_MD_CTX_new())) {
		cd_backup_writer_close(w);
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	}
	snprintf(w->temp, tl, "%s.partial-XXXXXX", path);
	/* mkstemp: O_CREAT | O_EXCL, mode 0600, whatever the umask. */
	w->fd = mkstemp(w->temp);
	w->temp_made = w->fd >= 0;
	if (w->fd < 0) {
		int e = errno;
		cd_backup_writer_close(w);
		return cd_fail(err, errlen, CD_EIO, "cannot create a file "
		               "beside %s: %s", path, strerror(e));
	}
	fcntl(w->fd, F_SETFD, FD_CLOEXEC);
	if (!EVP_DigestInit_ex(w->file_md, EVP_sha256(), NULL) ||
	    !EVP_DigestInit_ex(w->data_md, EVP_sha256(), NULL)) {
		cd_backup_writer_close(w);
		return cd_fail(err, errlen, CD_EINTERNAL, "SHA-256 failed");
	}
	*out = w;
	return CD_OK;
}

static int put(cd_backup_writer_t *w, const uint8_t *p, size_t n, char *err,
               size_t errlen)
{
	int e = write_all(w->fd, p, n);
	if (e)
		return cd_fail(err, errlen, e == ENOSPC || e == EDQUOT ||
		               e == EFBIG ? CD_ELIMIT : CD_EIO,
		               "writing %s: %s", w->temp, strerror(e));
	if (!EVP_DigestUpdate(w->file_md, p, n))
		return cd_fail(err, errlen, CD_EINTERNAL, "SHA-256 failed");
	return CD_OK;
}

int cd_backup_writer_header(cd_backup_writer_t *w, const uint8_t *hdr,
                            size_t len, char *err, size_t errlen)
{
	if (w->have_header)
		return cd_fail(err, errlen, CD_EINVAL, "backup: a second "
		               "header");
	if (len > CD_BACKUP_META_MAX)
		return cd_fail(err, errlen, CD_ECORRUPT, "backup: the header "
		               "is %zu bytes", len);
	Clusters__V1__BackupHeader *h =
		clusters__v1__backup_header__unpack(NULL, len, hdr);
	if (!h)
		return cd_fail(err, errlen, CD_ECORRUPT, "backup: the header "
		               "does not decode");
	uint32_t fmt = h->format;
	clusters__v1__backup_header__free_unpacked(h, NULL);
	if (fmt != CD_BACKUP_HEADER_FORMAT)
		return cd_fail(err, errlen, CD_EINVAL, "backup: the server "
		               "sent format %u; this client knows format %u",
		               fmt, CD_BACKUP_HEADER_FORMAT);
	uint8_t pre[16];
	memcpy(pre, CD_BACKUP_MAGIC, 8);
	put32(pre + 8, CD_BACKUP_FORMAT);
	put32(pre + 12, (uint32_t)len);
	int rc = put(w, pre, sizeof(pre), err, errlen);
	if (rc == CD_OK)
		rc = put(w, hdr, len, err, errlen);
	if (rc == CD_OK)
		w->have_header = 1;
	return rc;
}

int cd_backup_writer_data(cd_backup_writer_t *w, const uint8_t *p,
                          size_t len, char *err, size_t errlen)
{
	if (!w->have_header)
		return cd_fail(err, errlen, CD_EINVAL, "backup: data before "
		               "the header");
	int rc = put(w, p, len, err, errlen);
	if (rc != CD_OK)
		return rc;
	if (!EVP_DigestUpdate(w->data_md, p, len))
		return cd_fail(err, errlen, CD_EINTERNAL, "SHA-256 failed");
	w->data_bytes += len;
	return CD_OK;
}

int cd_backup_writer_commit(cd_backup_writer_t *w, const uint8_t *trailer,
                            size_t len, char *err, size_t errlen)
{
	uint8_t d[32];
	unsigned dl = 0;
	if (!w->have_header)
		return cd_fail(err, errlen, CD_EINVAL, "backup: a trailer "
		               "before the header");
	if (len > CD_BACKUP_META_MAX)
		return cd_fail(err, errlen, CD_ECORRUPT, "backup: the trailer "
		               "is %zu bytes", len);
	Clusters__V1__BackupTrailer *t =
		clusters__v1__backup_trailer__unpack(NULL, len, trailer);
	if (!t)
		return cd_fail(err, errlen, CD_ECORRUPT, "backup: the trailer "
		               "does not decode");
	if (!EVP_DigestFinal_ex(w->data_md, d, &dl) || dl != 32) {
		clusters__v1__backup_trailer__free_unpacked(t, NULL);
		return cd_fail(err, errlen, CD_EINTERNAL, "SHA-256 failed");
	}
	hex(d, 32, w->sha256);
	int rc = CD_OK;
	if (t->bytes != w->data_bytes)
		rc = cd_fail(err, errlen, CD_ECORRUPT, "backup: the server "
		             "sent %llu bytes of data but its trailer says "
		             "%llu", (unsigned long long)w->data_bytes,
		             (unsigned long long)t->bytes);
	else if (strcmp(t->sha256, w->sha256))
		rc = cd_fail(err, errlen, CD_ECORRUPT, "backup: the data's "
		             "SHA-256 is %s but the server's trailer says %.64s",
		             w->sha256, t->sha256);
	clusters__v1__backup_trailer__free_unpacked(t, NULL);
	if (rc != CD_OK)
		return rc;

	uint8_t tl[4], sum[32];
	put32(tl, (uint32_t)len);
	if ((rc = put(w, trailer, len, err, errlen)) != CD_OK ||
	    (rc = put(w, tl, 4, err, errlen)) != CD_OK)
		return rc;
	if (!EVP_DigestFinal_ex(w->file_md, sum, &dl) || dl != 32)
		return cd_fail(err, errlen, CD_EINTERNAL, "SHA-256 failed");
	if ((rc = put(w, sum, 32, err, errlen)) != CD_OK ||
	    (rc = put(w, (const uint8_t *)CD_BACKUP_END, 8, err, errlen))
	    != CD_OK)
		return rc;
	if (fsync(w->fd) != 0)
		return cd_fail(err, errlen, CD_EIO, "writing %s: %s", w->temp,
		               strerror(errno));
	int cr = close(w->fd);
	w->fd = -1;
	if (cr != 0)
		return cd_fail(err, errlen, CD_EIO, "writing %s: %s", w->temp,
		               strerror(errno));
	/* link() never replaces the target: a file that appeared at the
	 * final path meanwhile is left alone. */
	if (link(w->temp, w->path) != 0) {
		int e = errno;
		if (e == EEXIST) {
			w->kept = 1;
			return cd_fail(err, errlen, CD_EEXISTS, "%s appeared "
			               "while the backup ran; the complete "
			               "backup is %s", w->path, w->temp);
		}
		/* A file system without hard links: rename, which would
		 * replace a file created since the check at the start. */
		struct stat sb;
		if (lstat(w->path, &sb) == 0) {
			w->kept = 1;
			return cd_fail(err, errlen, CD_EEXISTS, "%s appeared "
			               "while the backup ran; the complete "
			               "backup is %s", w->path, w->temp);
		}
		if (rename(w->temp, w->path) != 0)
			return cd_fail(err, errlen, CD_EIO, "cannot name the "
			               "backup %s: %s", w->path,
			               strerror(errno));
	} else {
		unlink(w->temp);
	}
	w->committed = 1;
	int e = sync_dir_of(w->path);
	if (e)
		return cd_fail(err, errlen, CD_EIO, "syncing the directory of "
		               "%s: %s", w->path, strerror(e));
	return CD_OK;
}

/* ---------------------------------------------------------------- reader */

static int pread_all(int fd, uint8_t *p, size_t n, uint64_t off)
{
	while (n) {
		ssize_t r = pread(fd, p, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno;
		if (r == 0)
			return EIO;   /* the file shrank under us */
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

void cd_backup_file_close(cd_backup_file_t *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	if (f->header)
		clusters__v1__backup_header__free_unpacked(f->header, NULL);
	if (f->trailer)
		clusters__v1__backup_trailer__free_unpacked(f->trailer, NULL);
	f->header = NULL;
	f->trailer = NULL;
}

int cd_backup_file_open(cd_backup_file_t *f, const char *path, char *err,
                        size_t errlen)
{
	struct stat sb;
	uint8_t pre[16], post[4 + 32 + 8];
	uint8_t *meta = NULL;
	int e, rc;

	memset(f, 0, sizeof(*f));
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0)
		return cd_fail(err, errlen, errno == ENOENT ? CD_ENOTFOUND
		               : CD_EIO, "%s: %s", path, strerror(errno));
	if (fstat(f->fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		rc = cd_fail(err, errlen, CD_EINVAL, "%s: not a regular file",
		             path);
		goto fail;
	}
	f->size = (uint64_t)sb.st_size;
	if (f->size < 8) {
		rc = cd_fail(err, errlen, CD_ECORRUPT, "%s: not a clusterd "
		             "backup file (%llu bytes)", path,
		             (unsigned long long)f->size);
		goto fail;
	}
	if ((e = pread_all(f->fd, pre, f->size < 16 ? 8 : 16, 0))) {
		rc = cd_fail(err, errlen, CD_EIO, "%s: %s", path, strerror(e));
		goto fail;
	}
	if (memcmp(pre, CD_BACKUP_MAGIC, 8)) {
		rc = cd_fail(err, errlen, CD_ECORRUPT, "%s: not a clusterd "
		             "backup file (it does not start with "
		             CD_BACKUP_MAGIC ")", path);
		goto fail;
	}
	if (f->size < CD_BACKUP_FRAME) {
		rc = cd_fail(err, errlen, CD_ECORRUPT, "%s: truncated: %llu "
		             "bytes, shorter than a backup's frame", path,
		             (unsigned long long)f->size);
		goto fail;
	}
	f->format = get32(pre + 8);
	if (f->format != CD_BACKUP_FORMAT) {
		rc = cd_fail(err, errlen, CD_EINVAL, "%s: backup file format "
		             "%u; this clusterd reads format %u", path,
		             f->format, CD_BACKUP_FORMAT);
		goto fail;
	}
	if ((e = pread_all(f->fd, post, sizeof(post), f->size - sizeof(post)))) {
		rc = cd_fail(err, errlen, CD_EIO, "%s: %s", path, strerror(e));
		goto fail;
	}
	if (memcmp(post + 36, CD_BACKUP_END, 8)) {
		rc = cd_fail(err, errlen, CD_ECORRUPT, "%s: truncated or "
		             "incomplete: the end marker is missing (a backup "
		             "cut short, or damaged at its end)", path);
		goto fail;
	}
	uint64_t hl = get32(pre + 12), tl = get32(post);
	if (hl > CD_BACKUP_META_MAX || tl > CD_BACKUP_META_MAX ||
	    CD_BACKUP_FRAME + hl + tl > f->size) {
		rc = cd_fail(err, errlen, CD_ECORRUPT, "%s: damaged: a header "
		             "of %llu and a trailer of %llu bytes do not fit in "
		             "%llu bytes", path, (unsigned long long)hl,
		             (unsigned long long)tl,
		             (unsigned long long)f->size);
		goto fail;
	}
	f->data_off = 16 + hl;
	f->data_len = f->size - CD_BACKUP_FRAME - hl - tl;
	if (!(meta = malloc(hl > tl ? hl + 1 : tl + 1))) {
		rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
		goto fail;
	}
	if ((e = pread_all(f->fd, meta, hl, 16))) {
		rc = cd_fail(err, errlen, CD_EIO, "%s: %s", path, strerror(e));
		goto fail;
	}
	f->header = clusters__v1__backup_header__unpack(NULL, hl, meta);
	if (!f->header) {
		rc = cd_fail(err, errlen, CD_ECORRUPT, "%s: damaged: the "
		             "header does not decode", path);
		goto fail;
	}
	if ((e = pread_all(f->fd, meta, tl, f->data_off + f->data_len))) {
		rc = cd_fail(err, errlen, CD_EIO, "%s: %s", path, strerror(e));
		goto fail;
	}
	f->trailer = clusters__v1__backup_trailer__unpack(NULL, tl, meta);
	if (!f->trailer) {
		rc = cd_fail(err, errlen, CD_ECORRUPT, "%s: damaged: the "
		             "trailer does not decode", path);
		goto fail;
	}
	if (f->trailer->bytes != f->data_len) {
		rc = cd_fail(err, errlen, CD_ECORRUPT, "%s: damaged: %llu bytes "
		             "of data where the trailer says %llu", path,
		             (unsigned long long)f->data_len,
		             (unsigned long long)f->trailer->bytes);
		goto fail;
	}
	if (f->header->format != CD_BACKUP_HEADER_FORMAT) {
		rc = cd_fail(err, errlen, CD_EINVAL, "%s: backup format %u; "
		             "this clusterd reads format %u", path,
		             f->header->format, CD_BACKUP_HEADER_FORMAT);
		goto fail;
	}
	free(meta);
	return CD_OK;
fail:
	free(meta);
	cd_backup_file_close(f);
	return rc;
}

int cd_backup_file_verify(cd_backup_file_t *f, cd_backup_sink_fn sink,
                          void *arg, char *err, size_t errlen)
{
	uint8_t *buf = malloc(READ_BUF);
	EVP_MD_CTX *fmd = EVP_MD_CTX_new(), *dmd = EVP_MD_CTX_new();
	uint8_t fsum[32], dsum[32], stored[32];
	char dhex[65];
	unsigned dl;
	int rc = CD_OK, e;

	if (!buf || !fmd || !dmd) {
		rc = cd_fail(err, errlen, CD_ENOMEM, "out of memory");
		goto out;
	}
	if (!EVP_DigestInit_ex(fmd, EVP_sha256(), NULL) ||
	    !EVP_DigestInit_ex(dmd, EVP_sha256(), NULL)) {
		rc = cd_fail(err, errlen, CD_EINTERNAL, "SHA-256 failed");
		goto out;
	}
	/* Everything up to the whole-file checksum, in one pass. */
	uint64_t end = f->size - 40, off = 0;
	uint64_t d0 = f->data_off, d1 = f->data_off + f->data_len;
	while (off < end) {
		size_t n = end - off > READ_BUF ? READ_BUF : (size_t)(end - off);
		if ((e = pread_all(f->fd, buf, n, off))) {
			rc = cd_fail(err, errlen, CD_EIO, "reading the backup: "
			             "%s", strerror(e));
			goto out;
		}
		EVP_DigestUpdate(fmd, buf, n);
		/* The data's part of this block. */
		uint64_t a = off > d0 ? off : d0, b = off + n < d1 ? off + n : d1;
		if (a < b) {
			const uint8_t *p = buf + (a - off);
			EVP_DigestUpdate(dmd, p, (size_t)(b - a));
			if (sink && (rc = sink(arg, p, (size_t)(b - a), err,
			                       errlen)) != CD_OK)
				goto out;
		}
		off += n;
	}
	if ((e = pread_all(f->fd, stored, 32, end))) {
		rc = cd_fail(err, errlen, CD_EIO, "reading the backup: %s",
		             strerror(e));
		goto out;
	}
	if (!EVP_DigestFinal_ex(fmd, fsum, &dl) ||
	    !EVP_DigestFinal_ex(dmd, dsum, &dl)) {
		rc = cd_fail(err, errlen, CD_EINTERNAL, "SHA-256 failed");
		goto out;
	}
	if (memcmp(fsum, stored, 32)) {
		rc = cd_fail(err, errlen, CD_ECORRUPT, "damaged: the file's "
		             "checksum does not match its contents (a changed "
		             "byte)");
		goto out;
	}
	hex(dsum, 32, dhex);
	if (strcmp(dhex, f->trailer->sha256))
		rc = cd_fail(err, errlen, CD_ECORRUPT, "damaged: the data's "
		             "SHA-256 is %s but the backup says %.64s", dhex,
		             f->trailer->sha256);
out:
	free(buf);
	EVP_MD_CTX_free(fmd);
	EVP_MD_CTX_free(dmd);
	return rc;
}
