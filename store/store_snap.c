/*
 * store_snap.c — long-lived read snapshots for evaluations and exports.
 */
#include "store_internal.h"

#include <stdlib.h>

int store_snap_open(store_t *st, store_snap_t **out)
{
	store_snap_t *s = calloc(1, sizeof(*s));
	int rc;
	*out = NULL;
	if (!s)
		return CD_ENOMEM;
	/* Not from the pool: a snapshot may live long, and its reader slot
	 * is what keeps its pages from being reused. */
	for (int tries = 0;; tries++) {
		store_map_rdlock(st);
		rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &s->txn);
		if (rc == 0)
			break;
		store_map_unlock(st);
		if (rc != MDB_MAP_RESIZED || tries == 3 ||
		    store_map_adopt(st) != 0) {
			free(s);
			return store_mdb_err(rc, "snapshot", NULL, 0);
		}
	}
	s->st = st;
	*out = s;
	return CD_OK;
}

void store_snap_close(store_snap_t *snap)
{
	if (!snap)
		return;
	mdb_txn_abort(snap->txn);
	store_map_unlock(snap->st);
	free(snap);
}

uint64_t store_snap_version(const store_snap_t *snap)
{
	return store_data_version(snap->st, snap->txn);
}

int store_snap_cluster_get(store_snap_t *snap, const char *id,
                           store_cluster_t **out, char *err, size_t errlen)
{
	return store_cluster_read(snap->st, snap->txn, id, out, err, errlen);
}

int store_snap_competition_get(store_snap_t *snap, const char *id,
                               store_competition_t **out, char *err,
                               size_t errlen)
{
	return store_competition_read(snap->st, snap->txn, id, out, err, errlen);
}

int store_snap_run_get(store_snap_t *snap, const char *id, int with_standings,
                       store_run_t **out, char *err, size_t errlen)
{
	return store_run_read(snap->st, snap->txn, id, with_standings, out, err,
	                      errlen);
}

int store_snap_scan(store_snap_t *snap, const store_filter_t *f,
                    const char *after_id, store_scan_fn fn, void *arg)
{
	return store_scan_txn(snap->st, snap->txn, f, after_id, fn, arg);
}

uint64_t store_snap_cluster_count(store_snap_t *snap)
{
	MDB_stat ms;
	if (mdb_stat(snap->txn, snap->st->clusters, &ms))
		return 0;
	return ms.ms_entries;
}
