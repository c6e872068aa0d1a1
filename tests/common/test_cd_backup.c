/* The backup file (cd_backup.h): written through the writer and read back
 * byte for byte; every refusal of the writer; a file with any one byte
 * changed, or cut short at any length, is refused by the reader; the final
 * path is never replaced and never holds an incomplete file. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cd_backup.h"
#include "cd_error.h"

static char dir[256];
static char err[512];

static void path_of(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", dir, name);
}

static size_t pack_header(uint8_t *buf, uint32_t format, uint64_t dver)
{
	Clusters__V1__BackupHeader h = CLUSTERS__V1__BACKUP_HEADER__INIT;
	Clusters__V1__BackupTableCount t[2] = {
		CLUSTERS__V1__BACKUP_TABLE_COUNT__INIT,
		CLUSTERS__V1__BACKUP_TABLE_COUNT__INIT};
	Clusters__V1__BackupTableCount *tp[2] = {&t[0], &t[1]};
	t[0].table = "clusters";
	t[0].records = 3;
	t[1].table = "audit";
	t[1].records = 7;
	h.format = format;
	h.server_version = "9.9.9";
	h.data_version = dver;
	h.n_tables = 2;
	h.tables = tp;
	return clusters__v1__backup_header__pack(&h, buf);
}

static size_t pack_trailer(uint8_t *buf, uint64_t bytes, const char *sha)
{
	Clusters__V1__BackupTrailer t = CLUSTERS__V1__BACKUP_TRAILER__INIT;
	t.bytes = bytes;
	t.sha256 = (char *)sha;
	return clusters__v1__backup_trailer__pack(&t, buf);
}

static uint8_t data[10000];

/* A complete backup of data[0..n) at path; CD_OK or the commit's code. */
static int write_backup(const char *path, size_t n, size_t chunk)
{
	cd_backup_writer_t *w;
	uint8_t hb[512], tb[256];
	char sha[65];
	int rc = cd_backup_writer_create(&w, path, err, sizeof(err));
	if (rc)
		return rc;
	assert_int_equal(cd_backup_writer_header(w, hb, pack_header(hb, 1, 42),
	                                         err, sizeof(err)), CD_OK);
	for (size_t off = 0; off < n; off += chunk)
		assert_int_equal(cd_backup_writer_data(w, data + off,
		                                       off + chunk > n ? n - off
		                                                       : chunk,
		                                       err, sizeof(err)), CD_OK);
	assert_int_equal(cd_backup_sha256_hex(data, n, sha), CD_OK);
	rc = cd_backup_writer_commit(w, tb, pack_trailer(tb, n, sha), err,
	                             sizeof(err));
	if (rc == CD_OK) {
		assert_int_equal(cd_backup_writer_bytes(w), n);
		assert_string_equal(cd_backup_writer_sha256(w), sha);
	}
	cd_backup_writer_close(w);
	return rc;
}

typedef struct sink {
	uint8_t buf[sizeof(data)];
	size_t n;
} sink_t;

static int collect(void *arg, const uint8_t *p, size_t n, char *e,
                   size_t el)
{
	sink_t *s = arg;
	(void)e;
	(void)el;
	assert_true(s->n + n <= sizeof(s->buf));
	memcpy(s->buf + s->n, p, n);
	s->n += n;
	return CD_OK;
}

/* Open and verify; the first failing code (CD_OK when both pass). */
static int read_backup(const char *path, sink_t *s)
{
	cd_backup_file_t f;
	int rc = cd_backup_file_open(&f, path, err, sizeof(err));
	if (rc)
		return rc;
	rc = cd_backup_file_verify(&f, s ? collect : NULL, s, err,
	                           sizeof(err));
	cd_backup_file_close(&f);
	return rc;
}

/* Files in the directory (leftovers of a failed backup would show). */
static int entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static int setup(void **state)
{
	(void)state;
	const char *base = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/cd-backup-XXXXXX",
	         base && *base ? base : "/tmp");
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 131 + (i >> 8));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void test_roundtrip(void **state)
{
	(void)state;
	char path[300];
	struct stat sb;
	path_of(path, sizeof(path), "a.cdbak");
	assert_int_equal(write_backup(path, sizeof(data), 777), CD_OK);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	sink_t *s = calloc(1, sizeof(*s));
	assert_int_equal(read_backup(path, s), CD_OK);
	assert_int_equal(s->n, sizeof(data));
	assert_memory_equal(s->buf, data, sizeof(data));

	cd_backup_file_t f;
	assert_int_equal(cd_backup_file_open(&f, path, err, sizeof(err)), CD_OK);
	assert_int_equal(f.format, CD_BACKUP_FORMAT);
	assert_int_equal(f.header->data_version, 42);
	assert_string_equal(f.header->server_version, "9.9.9");
	assert_int_equal(f.header->n_tables, 2);
	assert_int_equal(f.trailer->bytes, sizeof(data));
	assert_int_equal(f.data_len, sizeof(data));
	cd_backup_file_close(&f);
	free(s);

	/* A backup with no data at all is still a file that reads. */
	path_of(path, sizeof(path), "empty.cdbak");
	assert_int_equal(write_backup(path, 0, 1), CD_OK);
	assert_int_equal(read_backup(path, NULL), CD_OK);

	/* Nothing but the two backups in the directory. */
	assert_int_equal(entries(), 2);
	unlink(path);
	path_of(path, sizeof(path), "a.cdbak");
	unlink(path);
}

static void test_writer_refusals(void **state)
{
	(void)state;
	char path[300], sha[65];
	uint8_t hb[512], tb[256];
	cd_backup_writer_t *w;
	path_of(path, sizeof(path), "x.cdbak");

	/* An existing file is never replaced. */
	int fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep", 4), 4);
	close(fd);
	assert_int_equal(cd_backup_writer_create(&w, path, err, sizeof(err)),
	                 CD_EEXISTS);
	assert_non_null(strstr(err, path));
	unlink(path);
	assert_int_equal(cd_backup_writer_create(&w, "", err, sizeof(err)),
	                 CD_EINVAL);
	assert_int_equal(cd_backup_writer_create(&w, "/proc/nope/x.cdbak", err,
	                                         sizeof(err)), CD_EIO);

	/* Out of order, undecodable, another format. */
	assert_int_equal(cd_backup_writer_create(&w, path, err, sizeof(err)),
	                 CD_OK);
	assert_non_null(strstr(cd_backup_writer_temp(w), ".partial-"));
	assert_int_equal(cd_backup_writer_data(w, data, 4, err, sizeof(err)),
	                 CD_EINVAL);
	assert_int_equal(cd_backup_writer_commit(w, tb, 0, err, sizeof(err)),
	                 CD_EINVAL);
	assert_int_equal(cd_backup_writer_header(w, (const uint8_t *)"\xff",
	                                         1, err, sizeof(err)),
	                 CD_ECORRUPT);
	assert_int_equal(cd_backup_writer_header(w, hb, pack_header(hb, 2, 1),
	                                         err, sizeof(err)), CD_EINVAL);
	assert_int_equal(cd_backup_writer_header(w, hb, pack_header(hb, 1, 1),
	                                         err, sizeof(err)), CD_OK);
	assert_int_equal(cd_backup_writer_header(w, hb, pack_header(hb, 1, 1),
	                                         err, sizeof(err)), CD_EINVAL);
	assert_int_equal(cd_backup_writer_data(w, data, 100, err, sizeof(err)),
	                 CD_OK);
	/* A trailer that does not match what came: nothing at the path. */
	assert_int_equal(cd_backup_sha256_hex(data, 100, sha), CD_OK);
	assert_int_equal(cd_backup_writer_commit(w, tb,
	                                         pack_trailer(tb, 99, sha), err,
	                                         sizeof(err)), CD_ECORRUPT);
	assert_non_null(strstr(err, "100 bytes"));
	cd_backup_writer_close(w);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(entries(), 0);

	assert_int_equal(cd_backup_writer_create(&w, path, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(cd_backup_writer_header(w, hb, pack_header(hb, 1, 1),
	                                         err, sizeof(err)), CD_OK);
	assert_int_equal(cd_backup_writer_data(w, data, 100, err, sizeof(err)),
	                 CD_OK);
	sha[0] = sha[0] == '0' ? '1' : '0';
	assert_int_equal(cd_backup_writer_commit(w, tb,
	                                         pack_trailer(tb, 100, sha),
	                                         err, sizeof(err)),
	                 CD_ECORRUPT);
	assert_non_null(strstr(err, "SHA-256"));
	cd_backup_writer_close(w);
	assert_int_equal(entries(), 0);

	/* Given up half-way (a cancelled stream): no file left. */
	assert_int_equal(cd_backup_writer_create(&w, path, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(cd_backup_writer_header(w, hb, pack_header(hb, 1, 1),
	                                         err, sizeof(err)), CD_OK);
	cd_backup_writer_close(w);
	assert_int_equal(entries(), 0);

	/* A file that takes the path while the backup runs is kept, and so
	 * is the backup, under its temporary name. */
	assert_int_equal(cd_backup_writer_create(&w, path, err, sizeof(err)),
	                 CD_OK);
	char temp[300];
	snprintf(temp, sizeof(temp), "%s", cd_backup_writer_temp(w));
	assert_int_equal(cd_backup_writer_header(w, hb, pack_header(hb, 1, 1),
	                                         err, sizeof(err)), CD_OK);
	assert_int_equal(cd_backup_writer_data(w, data, 100, err, sizeof(err)),
	                 CD_OK);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	close(fd);
	assert_int_equal(cd_backup_sha256_hex(data, 100, sha), CD_OK);
	assert_int_equal(cd_backup_writer_commit(w, tb,
	                                         pack_trailer(tb, 100, sha),
	                                         err, sizeof(err)), CD_EEXISTS);
	assert_non_null(strstr(err, temp));
	cd_backup_writer_close(w);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 0);
	assert_int_equal(read_backup(temp, NULL), CD_OK);
	unlink(temp);
	unlink(path);
}

static void write_bytes(const char *path, const uint8_t *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	close(fd);
}

static uint8_t *slurp(const char *path, size_t *n)
{
	struct stat sb;
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &sb), 0);
	uint8_t *p = malloc((size_t)sb.st_size);
	assert_int_equal(read(fd, p, (size_t)sb.st_size), sb.st_size);
	close(fd);
	*n = (size_t)sb.st_size;
	return p;
}

/* Any one byte changed, anywhere: refused. */
static void test_every_byte_flipped(void **state)
{
	(void)state;
	char path[300], bad[300];
	size_t n;
	path_of(path, sizeof(path), "good.cdbak");
	path_of(bad, sizeof(bad), "bad.cdbak");
	assert_int_equal(write_backup(path, 300, 64), CD_OK);
	uint8_t *p = slurp(path, &n);
	for (size_t i = 0; i < n; i++) {
		p[i] ^= 0x01;
		write_bytes(bad, p, n);
		int rc = read_backup(bad, NULL);
		if (rc == CD_OK)
			fail_msg("byte %zu of %zu flipped: accepted", i, n);
		assert_true(rc == CD_ECORRUPT || rc == CD_EINVAL);
		p[i] ^= 0x01;
	}
	write_bytes(bad, p, n);
	assert_int_equal(read_backup(bad, NULL), CD_OK);
	free(p);
	unlink(bad);
	unlink(path);
}

/* Cut short at every length: refused, and said so. */
static void test_every_truncation(void **state)
{
	(void)state;
	char path[300], bad[300];
	size_t n;
	path_of(path, sizeof(path), "good.cdbak");
	path_of(bad, sizeof(bad), "cut.cdbak");
	assert_int_equal(write_backup(path, 300, 64), CD_OK);
	uint8_t *p = slurp(path, &n);
	for (size_t len = 0; len < n; len++) {
		write_bytes(bad, p, len);
		int rc = read_backup(bad, NULL);
		if (rc != CD_ECORRUPT)
			fail_msg("cut to %zu of %zu bytes: %d (%s)", len, n, rc,
			         err);
		assert_true(len < 8 || strstr(err, "truncated") ||
		            strstr(err, "damaged"));
	}
	free(p);
	unlink(bad);
	unlink(path);
}

static void test_reader_refusals(void **state)
{
	(void)state;
	char path[300];
	path_of(path, sizeof(path), "missing.cdbak");
	assert_int_equal(read_backup(path, NULL), CD_ENOTFOUND);
	assert_non_null(strstr(err, path));
	assert_int_equal(read_backup(dir, NULL), CD_EINVAL);
	path_of(path, sizeof(path), "text.cdbak");
	write_bytes(path, (const uint8_t *)"hello, this is not a backup\n", 28);
	assert_int_equal(read_backup(path, NULL), CD_ECORRUPT);
	assert_non_null(strstr(err, "not a clusterd backup"));
	unlink(path);

	/* A sink's failure is the verify's result. */
	path_of(path, sizeof(path), "s.cdbak");
	assert_int_equal(write_backup(path, 100, 100), CD_OK);
	cd_backup_file_t f;
	assert_int_equal(cd_backup_file_open(&f, path, err, sizeof(err)), CD_OK);
	assert_int_equal(cd_backup_file_verify(&f, NULL, NULL, err, sizeof(err)),
	                 CD_OK);
	cd_backup_file_close(&f);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_writer_refusals),
		cmocka_unit_test(test_every_byte_flipped),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_reader_refusals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
