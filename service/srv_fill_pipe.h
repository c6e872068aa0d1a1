/*
 * srv_fill_pipe — the second thread of a fill: the scanning thread copies
 * each record's bytes into a batch and parses them there (cd_rec); a
 * helper thread adds the parsed records to the plugin cohort, batch by
 * batch, in scan order. The cohort is the same as a one-thread fill
 * gives, cluster for cluster.
 *
 * A small ring of batches bounds the memory (SRV_FILL_PIPE_BATCHES batches
 * of at most SRV_FILL_PIPE_RECS records or SRV_FILL_PIPE_BYTES bytes). The
 * records are copied because the store sheds the map pages a scan has read
 * while the helper may still need them, and so that the store's snapshot
 * and its transaction stay on the scanning thread alone.
 *
 * Errors keep the order of a one-thread fill: the helper only ever sees
 * records the scanning thread has finished, so when both fail, the
 * helper's failure is the earlier record and wins.
 *
 * Thread-safety: one scanning thread calls every function; the plugin
 * cohort belongs to the helper from srv_fill_pipe_start until
 * srv_fill_pipe_finish returns.
 */
#ifndef SRV_FILL_PIPE_H
#define SRV_FILL_PIPE_H

#include <stddef.h>
#include <stdint.h>

#include "clusters/v1/competitions.pb-c.h"
#include "plugin_cohort.h"
#include "cd_rec.h"

#define SRV_FILL_PIPE_BATCHES 4
#define SRV_FILL_PIPE_RECS 512
#define SRV_FILL_PIPE_BYTES (512u * 1024u)

typedef struct srv_fill_pipe srv_fill_pipe_t;

/* Starts the helper filling pc (def as for srv_fill_plugin_rec). hint is
 * the expected number of clusters: once a sample is in, the plugin
 * cohort's arrays are sized for them. CD_ENOMEM, also when no thread can
 * be started (the caller may then fill on one thread). */
int srv_fill_pipe_start(srv_fill_pipe_t **out, plugin_cohort_t *pc,
                        const Clusters__V1__Competition *def, size_t hint,
                        char *err, size_t errlen);

/* Copies and parses one record into the current batch; *rec is the
 * reading, valid until the next call. Codes: CD_ECORRUPT (the record does
 * not parse), CD_ENOMEM, or the helper's code once it has failed (err
 * then holds its message). */
int srv_fill_pipe_add(srv_fill_pipe_t *p, const uint8_t *val, size_t len,
                      const cd_rec_t **rec, char *err, size_t errlen);
/* Hands the record of the last add to the helper (call it once the
 * scanning thread has accepted the record; one never committed is
 * dropped). */
void srv_fill_pipe_commit(srv_fill_pipe_t *p);

/* Hands over the last batch, waits for the helper and stops it. Returns
 * the helper's code (its message in err), CD_OK when every committed
 * record is in the plugin cohort. Call it once, also after a failure. */
int srv_fill_pipe_finish(srv_fill_pipe_t *p, char *err, size_t errlen);
/* Frees the pipe (finishing it first if need be). NULL is a no-op. */
void srv_fill_pipe_destroy(srv_fill_pipe_t *p);

#endif
