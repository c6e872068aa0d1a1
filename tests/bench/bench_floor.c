#include "bench_floor.h"

int bench_floor_scan(MDB_env *env, MDB_dbi dbi, size_t *n, size_t *bytes,
                     uint64_t *sum)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
	if (rc)
		return rc;
	if ((rc = mdb_cursor_open(txn, dbi, &cur))) {
		mdb_txn_abort(txn);
		return rc;
	}
	uint64_t s = 0;
	*n = *bytes = 0;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const unsigned char *p = v.mv_data;
		for (size_t i = 0; i < v.mv_size; i++)
			s += p[i];
		(*n)++;
		*bytes += v.mv_size;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	*sum = s;
	return rc == MDB_NOTFOUND ? 0 : rc;
}
