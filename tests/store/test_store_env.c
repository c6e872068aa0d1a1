/* The environment's own faults: one store per data directory (a lock
 * file), and a map grown by another process (MDB_MAP_RESIZED) adopted by
 * reads, writes and snapshots instead of failing them. */
#include "fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char err[512];

static void put(store_t *st, const char *id)
{
	fx_cluster_t f;
	fx_cluster_init(&f, id, "NL", "Noord-Brabant", "Eindhoven", "ICT");
	fx_add_indicator(&f, "employment", 2022, 1);
	assert_int_equal(store_cluster_create(st, &f.c, NULL, err,
	                                      sizeof(err)),
	                 CD_OK);
}

static void test_second_open_refused(void **state)
{
	(void)state;
	char *dir = fx_tmpdir();
	store_t *a = fx_open(dir, 1 << 20), *b = (store_t *)1;
	put(a, "one");

	assert_int_equal(store_open(&b, dir, NULL, err, sizeof(err)),
	                 CD_EPRECONDITION);
	assert_null(b);
	assert_non_null(strstr(err, dir));
	char pid[32];
	snprintf(pid, sizeof(pid), "pid %ld", (long)getpid());
	assert_non_null(strstr(err, pid));

	/* The refused open took nothing from the holder. */
	put(a, "two");
	store_cluster_t *c;
	assert_int_equal(store_cluster_get(a, "one", &c, err, sizeof(err)),
	                 CD_OK);
	store_cluster_free(c);

	char path[600];
	struct stat sb;
	snprintf(path, sizeof(path), "%s/%s", dir, STORE_LOCK_FILE);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	/* Closing releases it: the next open succeeds and sees the data. */
	store_close(a);
	b = fx_open(dir, 1 << 20);
	assert_int_equal(store_cluster_get(b, "two", &c, err, sizeof(err)),
	                 CD_OK);
	store_cluster_free(c);
	store_close(b);
	fx_rmdir(dir);
}

/* A lock file that cannot be opened (here a symlink, which is never
 * followed) fails the open with a message naming it. */
static void test_lock_file_unusable(void **state)
{
	(void)state;
	char *dir = fx_tmpdir();
	char path[600], target[600];
	store_t *st = (store_t *)1;
	snprintf(path, sizeof(path), "%s/%s", dir, STORE_LOCK_FILE);
	snprintf(target, sizeof(target), "%s/elsewhere", dir);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(store_open(&st, dir, NULL, err, sizeof(err)), CD_EIO);
	assert_null(st);
	assert_non_null(strstr(err, path));
	struct stat sb;
	assert_int_equal(lstat(target, &sb), -1);
	fx_rmdir(dir);
}

/* What a tool such as mdb_load would do to a served environment: open it
 * from another process with a larger map and write `bytes` into a
 * database of its own, past the end of our map. A child process, because
 * LMDB allows one environment handle per file per process. */
static void foreign_grow(const char *dir, size_t map, size_t bytes)
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		MDB_env *env;
		MDB_txn *txn;
		MDB_dbi dbi;
		char *buf = calloc(1, bytes);
		int rc = buf ? mdb_env_create(&env) : ENOMEM;
		if (!rc) {
			mdb_env_set_maxdbs(env, 16);
			mdb_env_set_mapsize(env, map);
			rc = mdb_env_open(env, dir, MDB_NOTLS, 0600);
			if (!rc && !(rc = mdb_txn_begin(env, NULL, 0, &txn))) {
				MDB_val k = {7, "foreign"}, v = {bytes, buf};
				rc = mdb_dbi_open(txn, "foreign", MDB_CREATE,
				                  &dbi);
				if (!rc)
					rc = mdb_put(txn, dbi, &k, &v, 0);
				rc = rc ? (mdb_txn_abort(txn), rc)
				        : mdb_txn_commit(txn);
			}
			mdb_env_close(env);
		}
		free(buf);
		if (rc)
			fprintf(stderr, "foreign writer: %s\n",
			        mdb_strerror(rc));
		_exit(rc ? 1 : 0);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

#define KiB ((size_t)1 << 10)

static void test_map_grown_elsewhere(void **state)
{
	(void)state;
	char *dir = fx_tmpdir();
	store_t *st = fx_open(dir, 256 * KiB);
	store_cluster_t *c;
	store_stats_t s;
	put(st, "a");
	/* A pooled read transaction, renewed by the next read. */
	assert_int_equal(store_cluster_get(st, "a", &c, err, sizeof(err)),
	                 CD_OK);
	store_cluster_free(c);

	/* Reads. */
	foreign_grow(dir, 1024 * KiB, 400 * KiB);
	assert_int_equal(store_cluster_get(st, "a", &c, err, sizeof(err)),
	                 CD_OK);
	store_cluster_free(c);
	assert_int_equal(store_stats(st, &s), CD_OK);
	assert_true(s.map_size >= 1024 * KiB);

	/* Writes. */
	foreign_grow(dir, 2048 * KiB, 1200 * KiB);
	put(st, "b");

	/* Snapshots. */
	foreign_grow(dir, 4096 * KiB, 2400 * KiB);
	store_snap_t *snap;
	assert_int_equal(store_snap_open(st, &snap), CD_OK);
	assert_int_equal(store_snap_cluster_get(snap, "b", &c, err,
	                                        sizeof(err)),
	                 CD_OK);
	store_cluster_free(c);

	/* A thread that holds a snapshot cannot remap under itself: its
	 * read is refused as retryable instead of waiting for itself
	 * forever, and succeeds once the snapshot is closed. */
	foreign_grow(dir, 16384 * KiB, 4800 * KiB);
	assert_int_equal(store_cluster_get(st, "a", &c, err, sizeof(err)),
	                 CD_EUNAVAIL);
	assert_null(c);
	store_snap_close(snap);
	assert_int_equal(store_cluster_get(st, "a", &c, err, sizeof(err)),
	                 CD_OK);
	store_cluster_free(c);

	/* Backups. */
	foreign_grow(dir, 32768 * KiB, 9600 * KiB);
	char *bdir = fx_tmpdir();
	char copy[600];
	snprintf(copy, sizeof(copy), "%s/copy", bdir);
	assert_int_equal(store_backup(st, copy, err, sizeof(err)), CD_OK);
	store_t *b = fx_open(copy, 256 * KiB);
	assert_int_equal(store_cluster_get(b, "b", &c, err, sizeof(err)),
	                 CD_OK);
	store_cluster_free(c);
	store_close(b);
	fx_rmdir(bdir);

	assert_int_equal(store_stats(st, &s), CD_OK);
	assert_int_equal(s.clusters, 2);
	store_close(st);
	fx_rmdir(dir);
}

/* What the metrics read: every table's entries, reader slots held and
 * with a snapshot, the file's size. */
static void test_stats_tables_and_readers(void **state)
{
	(void)state;
	char *dir = fx_tmpdir();
	store_t *st = fx_open(dir, 0);
	store_stats_t s;
	put(st, "a");
	put(st, "b");
	assert_int_equal(store_stats(st, &s), CD_OK);
	assert_string_equal(store_table_name(0), "clusters");
	assert_string_equal(store_table_name(STORE_TABLES - 1), "audit");
	assert_null(store_table_name(STORE_TABLES));
	assert_int_equal(s.table_entries[0], 2);
	assert_int_equal(s.table_entries[0], s.clusters);
	assert_int_equal(s.table_entries[STORE_TABLES - 1], s.audit_events);
	assert_int_equal(s.readers_max, 512);
	/* store_stats' own read transaction, active while it counts. */
	assert_true(s.readers_used >= 1);
	assert_int_equal(s.readers_active, 1);
	assert_true(s.file_bytes > 0);
	unsigned used = s.readers_used;
	/* A snapshot holds a slot of its own, with its transaction open. */
	store_snap_t *snap;
	assert_int_equal(store_snap_open(st, &snap), CD_OK);
	assert_int_equal(store_stats(st, &s), CD_OK);
	assert_int_equal(s.readers_active, 2);
	assert_true(s.readers_used >= used + 1);
	store_snap_close(snap);
	assert_int_equal(store_stats(st, &s), CD_OK);
	assert_int_equal(s.readers_active, 1);
	store_close(st);
	fx_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_second_open_refused),
		cmocka_unit_test(test_lock_file_unusable),
		cmocka_unit_test(test_map_grown_elsewhere),
		cmocka_unit_test(test_stats_tables_and_readers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
