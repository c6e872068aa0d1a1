/* CSV -> clusters, with libcsv doing the quoting rules. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "cc_client.h"
#include "cc_csv.h"
#include "cd_error.h"

enum { COL_ID, COL_NAME, COL_ECONOMY, COL_REGION, COL_CITIES, COL_INDUSTRY,
       COL_INDICATOR, COL_LABEL };

static const char *const cc_base_cols[] = {
	"id", "name", "economy", "region", "cities", "industry",
};

typedef struct cc_col {
	int kind;
	char *name;  /* indicator name or label key; the header text otherwise */
	int year;
} cc_col_t;

typedef struct cc_csv_state {
	cc_col_t *cols;
	size_t ncols;
	int have_header;
	char **cells;
	size_t ncells, cap;
	size_t row;
	size_t done;
	int rc;  /* first error; later callbacks are ignored */
	char *err;
	size_t errlen;
	cc_csv_cb cb;
	void *ud;
} cc_csv_state_t;

static void cc_cells_clear(cc_csv_state_t *s)
{
	for (size_t i = 0; i < s->ncells; i++)
		free(s->cells[i]);
	s->ncells = 0;
}

static void cc_on_field(void *data, size_t len, void *ud)
{
	cc_csv_state_t *s = ud;
	if (s->rc)
		return;
	if (s->ncells == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		char **nc = realloc(s->cells, cap * sizeof(*nc));
		if (!nc) {
			s->rc = cd_fail(s->err, s->errlen, CD_ENOMEM,
			                "out of memory");
			return;
		}
		s->cells = nc;
		s->cap = cap;
	}
	char *c = malloc(len + 1);
	if (!c) {
		s->rc = cd_fail(s->err, s->errlen, CD_ENOMEM, "out of memory");
		return;
	}
	if (len)
		memcpy(c, data, len);
	c[len] = '\0';
	s->cells[s->ncells++] = c;
}

static int cc_header(cc_csv_state_t *s)
{
	if (!(s->cols = calloc(s->ncells, sizeof(*s->cols))))
		return cd_fail(s->err, s->errlen, CD_ENOMEM, "out of memory");
	int have_id = 0;
	for (size_t i = 0; i < s->ncells; i++) {
		const char *h = s->cells[i];
		cc_col_t *c = &s->cols[i];
		const char *at = strchr(h, '@');
		c->kind = -1;
		for (int k = 0; k < COL_INDICATOR; k++)
			if (!strcmp(h, cc_base_cols[k]))
				c->kind = k;
		if (c->kind >= 0) {
			c->name = strdup(h);
		} else if (at && at != h) {
			char *end;
			errno = 0;
			long y = strtol(at + 1, &end, 10);
			if (!isdigit((unsigned char)at[1]) || *end || errno ||
			    y > 100000)
				return cd_fail(s->err, s->errlen, CD_EINVAL,
				               "column \"%s\": the year after "
				               "'@' is not a number", h);
			c->kind = COL_INDICATOR;
			c->year = (int)y;
			c->name = strndup(h, (size_t)(at - h));
		} else if (!strncmp(h, "label:", 6) && h[6]) {
			c->kind = COL_LABEL;
			c->name = strdup(h + 6);
		} else {
			return cd_fail(s->err, s->errlen, CD_EINVAL,
			               "unknown column \"%s\" (expected id, "
			               "name, economy, region, cities, industry, "
			               "name@year or label:key)", h);
		}
		s->ncols = i + 1;
		if (!c->name)
			return cd_fail(s->err, s->errlen, CD_ENOMEM,
			               "out of memory");
		have_id |= c->kind == COL_ID;
		for (size_t k = 0; k < i; k++)
			if (s->cols[k].kind == c->kind &&
			    s->cols[k].year == c->year &&
			    !strcmp(s->cols[k].name, c->name))
				return cd_fail(s->err, s->errlen, CD_EINVAL,
				               "column \"%s\" appears twice", h);
	}
	if (!have_id)
		return cd_fail(s->err, s->errlen, CD_EINVAL,
		               "missing column \"id\"");
	return CD_OK;
}

static int cc_split_cities(cc_csv_state_t *s, Clusters__V1__Cluster *c,
                           const char *cell)
{
	size_t n = 1;
	for (const char *p = cell; *p; p++)
		n += *p == ';';
	if (!(c->cities = calloc(n, sizeof(char *))))
		return cd_fail(s->err, s->errlen, CD_ENOMEM, "out of memory");
	for (const char *p = cell; *p;) {
		size_t len = strcspn(p, ";");
		const char *b = p, *e = p + len;
		while (b < e && isspace((unsigned char)*b))
			b++;
		while (e > b && isspace((unsigned char)e[-1]))
			e--;
		if (e > b && !(c->cities[c->n_cities++] =
		                       strndup(b, (size_t)(e - b))))
			return cd_fail(s->err, s->errlen, CD_ENOMEM,
			               "out of memory");
		p += len + (p[len] == ';');
	}
	return CD_OK;
}

static int cc_row_fill(cc_csv_state_t *s, Clusters__V1__Cluster *c)
{
	size_t nind = 0, nlab = 0;
	for (size_t i = 0; i < s->ncols; i++) {
		nind += s->cols[i].kind == COL_INDICATOR && *s->cells[i];
		nlab += s->cols[i].kind == COL_LABEL && *s->cells[i];
	}
	if ((nind && !(c->indicators = calloc(nind, sizeof(void *)))) ||
	    (nlab && !(c->labels = calloc(nlab, sizeof(void *)))))
		return cd_fail(s->err, s->errlen, CD_ENOMEM, "out of memory");
	for (size_t i = 0; i < s->ncols; i++) {
		const cc_col_t *col = &s->cols[i];
		const char *cell = s->cells[i];
		char **dst = NULL;
		if (!*cell)
			continue;
		switch (col->kind) {
		case COL_ID: dst = &c->id; break;
		case COL_NAME: dst = &c->name; break;
		case COL_ECONOMY: dst = &c->economy; break;
		case COL_REGION: dst = &c->region; break;
		case COL_INDUSTRY: dst = &c->industry; break;
		case COL_CITIES: {
			int rc = cc_split_cities(s, c, cell);
			if (rc)
				return rc;
			continue;
		}
		case COL_INDICATOR: {
			char *end;
			double v = strtod(cell, &end);
			while (isspace((unsigned char)*end))
				end++;
			if (end == cell || *end)
				return cd_fail(s->err, s->errlen, CD_EINVAL,
				               "row %zu, column \"%s@%d\": \"%s\" "
				               "is not a number", s->row,
				               col->name, col->year, cell);
			Clusters__V1__Indicator *ind = malloc(sizeof(*ind));
			if (!ind)
				return cd_fail(s->err, s->errlen, CD_ENOMEM,
				               "out of memory");
			clusters__v1__indicator__init(ind);
			c->indicators[c->n_indicators++] = ind;
			ind->year = col->year;
			ind->value = v;
			if (!(ind->name = strdup(col->name)))
				return cd_fail(s->err, s->errlen, CD_ENOMEM,
				               "out of memory");
			continue;
		}
		case COL_LABEL: {
			Clusters__V1__Cluster__LabelsEntry *e =
				malloc(sizeof(*e));
			if (!e)
				return cd_fail(s->err, s->errlen, CD_ENOMEM,
				               "out of memory");
			clusters__v1__cluster__labels_entry__init(e);
			c->labels[c->n_labels++] = e;
			if (!(e->key = strdup(col->name)) ||
			    !(e->value = strdup(cell)))
				return cd_fail(s->err, s->errlen, CD_ENOMEM,
				               "out of memory");
			continue;
		}
		}
		if (dst && !(*dst = strdup(cell)))
			return cd_fail(s->err, s->errlen, CD_ENOMEM,
			               "out of memory");
	}
	return CD_OK;
}

static void cc_on_row(int term, void *ud)
{
	cc_csv_state_t *s = ud;
	(void)term;
	if (s->rc)
		return;
	if (!s->have_header) {
		s->have_header = 1;
		s->rc = cc_header(s);
		cc_cells_clear(s);
		return;
	}
	s->row++;
	if (s->ncells != s->ncols) {
		s->rc = cd_fail(s->err, s->errlen, CD_EINVAL,
		                "row %zu has %zu cells, the header %zu", s->row,
		                s->ncells, s->ncols);
		return;
	}
	Clusters__V1__Cluster *c = malloc(sizeof(*c));
	if (!c) {
		s->rc = cd_fail(s->err, s->errlen, CD_ENOMEM, "out of memory");
		return;
	}
	clusters__v1__cluster__init(c);
	s->rc = cc_row_fill(s, c);
	cc_cells_clear(s);
	if (s->rc) {
		cc_msg_free(c);
		return;
	}
	s->rc = s->cb(c, s->row, s->done, s->ud);
}

int cc_csv_read(const char *buf, size_t len, cc_csv_cb cb, void *ud,
                char *err, size_t errlen)
{
	cc_csv_state_t s;
	memset(&s, 0, sizeof(s));
	s.err = err;
	s.errlen = errlen;
	s.cb = cb;
	s.ud = ud;
	size_t off = 0;
	if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3))
		off = 3;
	/* Leading comment lines, as in published tables. */
	while (off < len && buf[off] == '#') {
		const char *nl = memchr(buf + off, '\n', len - off);
		off = nl ? (size_t)(nl - buf) + 1 : len;
	}
	struct csv_parser p;
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	/* Chunks, so the callback can report progress as it goes. */
	const size_t chunk = 64 * 1024;
	while (off < len && !s.rc) {
		size_t n = len - off < chunk ? len - off : chunk;
		s.done = off + n;  /* rows of this chunk count it as read */
		if (csv_parse(&p, buf + off, n, cc_on_field, cc_on_row, &s) != n &&
		    !s.rc)
			s.rc = cd_fail(err, errlen, CD_EINVAL,
			               "CSV after row %zu: %s", s.row,
			               csv_strerror(csv_error(&p)));
		off += n;
	}
	s.done = len;
	if (!s.rc && csv_fini(&p, cc_on_field, cc_on_row, &s) != 0 && !s.rc)
		s.rc = cd_fail(err, errlen, CD_EINVAL, "CSV after row %zu: %s",
		               s.row, csv_strerror(csv_error(&p)));
	if (!s.rc && !s.have_header)
		s.rc = cd_fail(err, errlen, CD_EINVAL, "no header row");
	csv_free(&p);
	cc_cells_clear(&s);
	free(s.cells);
	for (size_t i = 0; i < s.ncols; i++)
		free(s.cols[i].name);
	free(s.cols);
	return s.rc;
}
