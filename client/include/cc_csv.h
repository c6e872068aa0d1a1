/*
 * cc_csv — clusters as CSV, for spreadsheets and published tables.
 *
 * One grammar, two ways to lay a cluster out:
 *
 * - wide: one row per cluster. Columns id, name, economy, region, cities
 *   (';'-separated, blanks around a city trimmed), industry; one column
 *   per indicator and year, named "name@year" (pct_applications@2022); one
 *   per label, named "label:key". Empty cells are absent values.
 * - long: one item per row. Besides the scalar columns, "city";
 *   "indicator", "year", "value", "unit"; "label", "label_value"; "judge",
 *   "criterion", "score", "round", "recused", "comment". A row holds at
 *   most one city, one indicator, one label and one assessment.
 *
 * A file may mix both. Consecutive rows with the same id are one cluster:
 * each row adds its items in row order (wide cells first), and its name,
 * economy, region and industry cells must be empty or repeat the value
 * given first. An unknown or repeated column is an error naming it. Lines
 * starting with '#' before the header are comments.
 *
 * The long layout holds every field of a cluster, in order: written long
 * and read back, a cluster packs to the same bytes. The wide layout cannot
 * hold assessments, units, an indicator or label order other than its
 * sorted columns, empty label values, or cities with ';' or blanks at their
 * edges; cc_csv_wide_loss says which of these a set of clusters has, and
 * cc_csv_write refuses the wide layout for them unless told to drop them.
 *
 * Numbers are written in the shortest form that reads back to the same
 * double.
 *
 * Thread-safety: no shared state; safe from any thread.
 */
#ifndef CC_CSV_H
#define CC_CSV_H

#include <stdio.h>

#include "clusters/v1/clusters.pb-c.h"

typedef enum cc_csv_layout {
	CC_CSV_LONG = 0,  /* every field; the default */
	CC_CSV_WIDE,      /* one row per cluster; see cc_csv_wide_loss */
} cc_csv_layout_t;

/* Receives each cluster (the callee owns it; free with cc_msg_free), its
 * 1-based record number and how many input bytes have been read. Non-zero
 * stops reading and is returned by cc_csv_read. */
typedef int (*cc_csv_cb)(Clusters__V1__Cluster *c, size_t record,
                         size_t done, void *ud);

/* Parses buf. cd_err code; err names the row and column at fault. */
int cc_csv_read(const char *buf, size_t len, cc_csv_cb cb, void *ud,
                char *err, size_t errlen);

/* What the wide layout would lose of these clusters, as a phrase naming
 * each kind of loss with how many clusters have it and the first one
 * ("assessments (2 clusters, first \"x\"), indicator units (1 cluster,
 * first \"y\")"); "" when it loses nothing. Returns the number of kinds. */
size_t cc_csv_wide_loss(Clusters__V1__Cluster *const *cs, size_t n,
                        char *buf, size_t len);

/* Writes a header, then the clusters. CC_CSV_LONG has the columns of the
 * kinds of items present; CC_CSV_WIDE a column for every indicator and
 * label present, sorted. CD_EINVAL, before writing anything, when a cluster
 * follows another with the same id (they would read back as one), or when
 * the wide layout would lose something and lossy is 0; err says what. */
int cc_csv_write(FILE *f, Clusters__V1__Cluster *const *cs, size_t n,
                 cc_csv_layout_t layout, int lossy, char *err,
                 size_t errlen);

/* Writes one cell, quoted when it must be (separators, quotes, line
 * breaks, blanks at an edge, a leading '#'). */
void cc_csv_cell(FILE *f, const char *s);

#endif
