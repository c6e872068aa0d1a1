/*
 * ctl_table — rows of text printed as an aligned table (numbers to the
 * right) or as CSV, so every command has both forms from one code path.
 *
 * Thread-safety: a table belongs to one thread.
 */
#ifndef CTL_TABLE_H
#define CTL_TABLE_H

#include <stdio.h>

typedef struct ctl_table ctl_table_t;

/* A table with these column headers; NULL when out of memory. */
ctl_table_t *ctl_table_create(size_t ncols, const char *const *headers);
void ctl_table_destroy(ctl_table_t *t);
/* Adds a column after the fixed ones (e.g. one per criterion). Only
 * before the first row. */
int ctl_table_add_col(ctl_table_t *t, const char *header);
/* Appends a cell to the current row; ctl_table_end_row starts another.
 * Missing cells at the end of a row print empty. */
int ctl_table_cell(ctl_table_t *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ctl_table_end_row(ctl_table_t *t);
size_t ctl_table_rows(const ctl_table_t *t);
/* Aligned with two spaces between columns. */
void ctl_table_print(const ctl_table_t *t, FILE *f);
void ctl_table_print_csv(const ctl_table_t *t, FILE *f);

/* Display width of UTF-8 text: wide (CJK) characters count two. */
size_t ctl_text_width(const char *s);

#endif
