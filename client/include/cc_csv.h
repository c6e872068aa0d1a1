/*
 * cc_csv — clusters as CSV, for spreadsheets and published tables.
 *
 * Columns: id, name, economy, region, cities (';'-separated), industry;
 * one column per indicator and year, named "name@year"
 * (pct_applications@2022); one per label, named "label:key". Empty cells
 * are absent values. An unknown or repeated column is an error naming it.
 * Lines starting with '#' before the header are comments. Units and
 * assessments have no column: they are JSON-only.
 *
 * Thread-safety: no shared state; safe from any thread.
 */
#ifndef CC_CSV_H
#define CC_CSV_H

#include <stdio.h>

#include "clusters/v1/clusters.pb-c.h"

/* Receives each cluster (the callee owns it; free with cc_msg_free), its
 * 1-based row number and how many input bytes have been read. Non-zero
 * stops reading and is returned by cc_csv_read. */
typedef int (*cc_csv_cb)(Clusters__V1__Cluster *c, size_t row, size_t done,
                         void *ud);

/* Parses buf. cd_err code; err names the row and column at fault. */
int cc_csv_read(const char *buf, size_t len, cc_csv_cb cb, void *ud,
                char *err, size_t errlen);

/* Writes a header that covers every indicator and label present, then one
 * row per cluster. cd_err code. */
int cc_csv_write(FILE *f, Clusters__V1__Cluster *const *cs, size_t n,
                 char *err, size_t errlen);

/* Writes one cell, quoted when it must be. */
void cc_csv_cell(FILE *f, const char *s);

#endif
