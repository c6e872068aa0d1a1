/* Aligned tables and their CSV twin. */
#include "ctl_table.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cc_csv.h"

struct ctl_table {
	size_t ncols, cap_cols;
	char **headers;
	char ***rows;  /* rows[r][c], NULL for an empty cell */
	size_t nrows, cap_rows;
	size_t cur;    /* cells in the open row; 0 = no open row */
};

ctl_table_t *ctl_table_create(size_t ncols, const char *const *headers)
{
	ctl_table_t *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	for (size_t i = 0; i < ncols; i++)
		if (ctl_table_add_col(t, headers[i])) {
			ctl_table_destroy(t);
			return NULL;
		}
	return t;
}

void ctl_table_destroy(ctl_table_t *t)
{
	if (!t)
		return;
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++)
			free(t->rows[r][c]);
		free(t->rows[r]);
	}
	for (size_t c = 0; c < t->ncols; c++)
		free(t->headers[c]);
	free(t->headers);
	free(t->rows);
	free(t);
}

int ctl_table_add_col(ctl_table_t *t, const char *header)
{
	if (t->nrows)
		return -1;
	if (t->ncols == t->cap_cols) {
		size_t cap = t->cap_cols ? t->cap_cols * 2 : 8;
		char **h = realloc(t->headers, cap * sizeof(*h));
		if (!h)
			return -1;
		t->headers = h;
		t->cap_cols = cap;
	}
	if (!(t->headers[t->ncols] = strdup(header)))
		return -1;
	t->ncols++;
	return 0;
}

int ctl_table_cell(ctl_table_t *t, const char *fmt, ...)
{
	if (!t->cur) {
		if (t->nrows == t->cap_rows) {
			size_t cap = t->cap_rows ? t->cap_rows * 2 : 16;
			char ***rows = realloc(t->rows, cap * sizeof(*rows));
			if (!rows)
				return -1;
			t->rows = rows;
			t->cap_rows = cap;
		}
		if (!(t->rows[t->nrows] = calloc(t->ncols, sizeof(char *))))
			return -1;
		t->nrows++;
	}
	if (t->cur >= t->ncols)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n >= 0 && (s = malloc((size_t)n + 1))) {
		va_start(ap, fmt);
		vsnprintf(s, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	t->rows[t->nrows - 1][t->cur++] = s;
	return s ? 0 : -1;
}

void ctl_table_end_row(ctl_table_t *t)
{
	t->cur = 0;
}

size_t ctl_table_rows(const ctl_table_t *t)
{
	return t->nrows;
}

static int ctl_wide(uint32_t cp)
{
	return (cp >= 0x1100 && cp <= 0x115F) ||
	       (cp >= 0x2E80 && cp <= 0xA4CF && cp != 0x303F) ||
	       (cp >= 0xAC00 && cp <= 0xD7A3) ||
	       (cp >= 0xF900 && cp <= 0xFAFF) ||
	       (cp >= 0xFE30 && cp <= 0xFE4F) ||
	       (cp >= 0xFF00 && cp <= 0xFF60) ||
	       (cp >= 0xFFE0 && cp <= 0xFFE6) ||
	       (cp >= 0x20000 && cp <= 0x3FFFD);
}

size_t ctl_text_width(const char *s)
{
	size_t w = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		uint32_t cp;
		int n;
		if (*p < 0x80) {
			cp = *p;
			n = 1;
		} else if ((*p & 0xE0) == 0xC0) {
			cp = *p & 0x1F;
			n = 2;
		} else if ((*p & 0xF0) == 0xE0) {
			cp = *p & 0x0F;
			n = 3;
		} else {
			cp = *p & 0x07;
			n = 4;
		}
		int i = 1;
		for (; i < n && (p[i] & 0xC0) == 0x80; i++)
			cp = (cp << 6) | (p[i] & 0x3F);
		p += i;
		w += ctl_wide(cp) ? 2 : 1;
	}
	return w;
}

/* A column of numbers (and empties) is right-aligned. */
static int ctl_numeric(const ctl_table_t *t, size_t c)
{
	int any = 0;
	for (size_t r = 0; r < t->nrows; r++) {
		const char *s = t->rows[r][c];
		if (!s || !*s || !strcmp(s, "-"))
			continue;
		char *end;
		strtod(s, &end);
		if (end == s || (*end && strcmp(end, "%")))
			return 0;
		any = 1;
	}
	return any;
}

static void ctl_pad(FILE *f, size_t n)
{
	while (n--)
		fputc(' ', f);
}

void ctl_table_print(const ctl_table_t *t, FILE *f)
{
	size_t *w = calloc(t->ncols ? t->ncols : 1, sizeof(*w));
	int *num = calloc(t->ncols ? t->ncols : 1, sizeof(*num));
	if (!w || !num) {
		free(w);
		free(num);
		return;
	}
	for (size_t c = 0; c < t->ncols; c++) {
		w[c] = ctl_text_width(t->headers[c]);
		num[c] = ctl_numeric(t, c);
		for (size_t r = 0; r < t->nrows; r++) {
			const char *s = t->rows[r][c];
			size_t sw = s ? ctl_text_width(s) : 0;
			if (sw > w[c])
				w[c] = sw;
		}
	}
	for (size_t r = 0; r <= t->nrows; r++) {
		/* Spaces are owed, not written, until text follows: no
		 * trailing blanks after empty last cells. */
		size_t owed = 0;
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = r ? t->rows[r - 1][c] : t->headers[c];
			s = s ? s : "";
			size_t pad = w[c] - ctl_text_width(s);
			if (num[c])
				owed += pad;
			if (*s) {
				ctl_pad(f, owed);
				fputs(s, f);
				owed = 0;
			}
			owed += (num[c] ? 0 : pad) + 2;
		}
		fputc('\n', f);
	}
	free(w);
	free(num);
}

void ctl_table_print_csv(const ctl_table_t *t, FILE *f)
{
	for (size_t r = 0; r <= t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = r ? t->rows[r - 1][c] : t->headers[c];
			if (c)
				fputc(',', f);
			cc_csv_cell(f, s ? s : "");
		}
		fputc('\n', f);
	}
}
