/* CSV -> clusters, with libcsv doing the quoting rules. The wide and the
 * long layout are one grammar (cc_csv.h): a row's cells fill the cluster of
 * its id, and a cluster is handed on when a row with another id begins or
 * the input ends. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <csv.h>

#include "cc_client.h"
#include "cc_csv.h"
#include "cd_error.h"

/* Columns with a fixed name, then the two families named by pattern. */
enum {
	COL_ID, COL_NAME, COL_ECONOMY, COL_REGION, COL_INDUSTRY, COL_CITIES,
	COL_CITY, COL_IND_NAME, COL_IND_YEAR, COL_IND_VALUE, COL_IND_UNIT,
	COL_LAB_KEY, COL_LAB_VALUE, COL_JUDGE, COL_CRITERION, COL_SCORE,
	COL_ROUND, COL_RECUSED, COL_COMMENT,
	COL_NAMED,                  /* count of the above */
	COL_WIDE_IND = COL_NAMED,   /* name@year */
	COL_WIDE_LABEL,             /* label:key */
};

static const char *const cc_col_names[COL_NAMED] = {
	"id", "name", "economy", "region", "industry", "cities", "city",
	"indicator", "year", "value", "unit", "label", "label_value", "judge",
	"criterion", "score", "round", "recused", "comment",
};

typedef struct cc_col {
	int kind;
	char *hdr;   /* the header text */
	char *key;   /* wide columns: indicator name or label key */
	int year;
} cc_col_t;

typedef struct cc_csv_state {
	cc_col_t *cols;
	size_t ncols;
	int at[COL_NAMED];  /* column of each named kind, or -1 */
	int have_header;
	char **cells;
	size_t ncells, cap;
	size_t row;         /* data rows read */
	size_t records;     /* clusters handed on */
	size_t done;
	/* The cluster being filled, and the capacity of its arrays. */
	Clusters__V1__Cluster *cur;
	size_t cap_cities, cap_ind, cap_lab, cap_ass;
	int rc;  /* first error; later callbacks are ignored */
	char *err;
	size_t errlen;
	cc_csv_cb cb;
	void *ud;
} cc_csv_state_t;

#define OOM(s) cd_fail((s)->err, (s)->errlen, CD_ENOMEM, "out of memory")

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
			s->rc = OOM(s);
			return;
		}
		s->cells = nc;
		s->cap = cap;
	}
	char *c = malloc(len + 1);
	if (!c) {
		s->rc = OOM(s);
		return;
	}
	if (len)
		memcpy(c, data, len);
	c[len] = '\0';
	s->cells[s->ncells++] = c;
}

static int cc_header_col(cc_csv_state_t *s, size_t i, const char *h)
{
	cc_col_t *c = &s->cols[i];
	const char *at = strchr(h, '@');
	c->kind = -1;
	for (int k = 0; k < COL_NAMED; k++)
		if (!strcmp(h, cc_col_names[k]))
			c->kind = k;
	if (c->kind >= 0) {
		if (s->at[c->kind] >= 0)
			return cd_fail(s->err, s->errlen, CD_EINVAL,
			               "column \"%s\" appears twice", h);
		s->at[c->kind] = (int)i;
	} else if (at && at != h) {
		char *end;
		errno = 0;
		long y = strtol(at + 1, &end, 10);
		if (!isdigit((unsigned char)at[1]) || *end || errno ||
		    y > 100000)
			return cd_fail(s->err, s->errlen, CD_EINVAL,
			               "column \"%s\": the year after '@' is "
			               "not a number", h);
		c->kind = COL_WIDE_IND;
		c->year = (int)y;
		if (!(c->key = strndup(h, (size_t)(at - h))))
			return OOM(s);
	} else if (!strncmp(h, "label:", 6) && h[6]) {
		c->kind = COL_WIDE_LABEL;
		if (!(c->key = strdup(h + 6)))
			return OOM(s);
	} else {
		return cd_fail(s->err, s->errlen, CD_EINVAL,
		               "unknown column \"%s\" (expected id, name, "
		               "economy, region, cities, industry, name@year, "
		               "label:key, or the long layout's city, indicator, "
		               "year, value, unit, label, label_value, judge, "
		               "criterion, score, round, recused, comment)", h);
	}
	for (size_t k = 0; k < i; k++)
		if (s->cols[k].kind == c->kind && c->key &&
		    s->cols[k].year == c->year && !strcmp(s->cols[k].key, c->key))
			return cd_fail(s->err, s->errlen, CD_EINVAL,
			               "column \"%s\" appears twice", h);
	return CD_OK;
}

static int cc_header(cc_csv_state_t *s)
{
	if (!(s->cols = calloc(s->ncells ? s->ncells : 1, sizeof(*s->cols))))
		return OOM(s);
	for (size_t i = 0; i < s->ncells; i++) {
		s->ncols = i + 1;
		if (!(s->cols[i].hdr = strdup(s->cells[i])))
			return OOM(s);
		int rc = cc_header_col(s, i, s->cells[i]);
		if (rc)
			return rc;
	}
	if (s->at[COL_ID] < 0)
		return cd_fail(s->err, s->errlen, CD_EINVAL,
		               "missing column \"id\"");
	return CD_OK;
}

/* Room for one more element of a repeated field: *arrp is the array (any
 * pointer type), n its count, *cap its capacity. */
static int cc_room(cc_csv_state_t *s, void *arrp, size_t n, size_t *cap)
{
	if (n < *cap)
		return CD_OK;
	void *old, *nw;
	size_t ncap = *cap ? *cap * 2 : 4;
	memcpy(&old, arrp, sizeof(old));
	if (!(nw = realloc(old, ncap * sizeof(void *))))
		return OOM(s);
	memcpy(arrp, &nw, sizeof(nw));
	*cap = ncap;
	return CD_OK;
}

static int cc_add_city(cc_csv_state_t *s, const char *b, size_t len)
{
	Clusters__V1__Cluster *c = s->cur;
	if (cc_room(s, &c->cities, c->n_cities, &s->cap_cities))
		return CD_ENOMEM;
	if (!(c->cities[c->n_cities] = strndup(b, len)))
		return OOM(s);
	c->n_cities++;
	return CD_OK;
}

/* The wide "cities" cell: ';'-separated, blanks around each trimmed. */
static int cc_split_cities(cc_csv_state_t *s, const char *cell)
{
	for (const char *p = cell; *p;) {
		size_t len = strcspn(p, ";");
		const char *b = p, *e = p + len;
		while (b < e && isspace((unsigned char)*b))
			b++;
		while (e > b && isspace((unsigned char)e[-1]))
			e--;
		int rc = e > b ? cc_add_city(s, b, (size_t)(e - b)) : CD_OK;
		if (rc)
			return rc;
		p += len + (p[len] == ';');
	}
	return CD_OK;
}

static int cc_number(cc_csv_state_t *s, size_t col, const char *cell,
                     double *out)
{
	char *end;
	*out = strtod(cell, &end);  /* denormals set ERANGE and are fine */
	while (isspace((unsigned char)*end))
		end++;
	if (end == cell || *end)
		return cd_fail(s->err, s->errlen, CD_EINVAL,
		               "row %zu, column \"%s\": \"%s\" is not a number",
		               s->row, s->cols[col].hdr, cell);
	return CD_OK;
}

static int cc_add_indicator(cc_csv_state_t *s, const char *name, int year,
                            size_t vcol, const char *vcell, const char *unit)
{
	Clusters__V1__Cluster *c = s->cur;
	double v;
	int rc = cc_number(s, vcol, vcell, &v);
	if (rc)
		return rc;
	if (cc_room(s, &c->indicators, c->n_indicators, &s->cap_ind))
		return CD_ENOMEM;
	Clusters__V1__Indicator *ind = malloc(sizeof(*ind));
	if (!ind)
		return OOM(s);
	clusters__v1__indicator__init(ind);
	c->indicators[c->n_indicators++] = ind;
	ind->year = year;
	ind->value = v;
	if (!(ind->name = strdup(name)) || (*unit && !(ind->unit = strdup(unit))))
		return OOM(s);
	return CD_OK;
}

static int cc_add_label(cc_csv_state_t *s, const char *key, const char *value)
{
	Clusters__V1__Cluster *c = s->cur;
	if (cc_room(s, &c->labels, c->n_labels, &s->cap_lab))
		return CD_ENOMEM;
	Clusters__V1__Cluster__LabelsEntry *e = malloc(sizeof(*e));
	if (!e)
		return OOM(s);
	clusters__v1__cluster__labels_entry__init(e);
	c->labels[c->n_labels++] = e;
	if (!(e->key = strdup(key)) || !(e->value = strdup(value)))
		return OOM(s);
	return CD_OK;
}

/* The cell of a named column in this row; "" when the column is absent. */
static const char *cc_cell(const cc_csv_state_t *s, int kind)
{
	return s->at[kind] >= 0 ? s->cells[s->at[kind]] : "";
}

static int cc_missing(cc_csv_state_t *s, const char *what, const char *need)
{
	return cd_fail(s->err, s->errlen, CD_EINVAL,
	               "row %zu: %s needs %s", s->row, what, need);
}

static int cc_long_indicator(cc_csv_state_t *s)
{
	const char *name = cc_cell(s, COL_IND_NAME);
	const char *year = cc_cell(s, COL_IND_YEAR);
	const char *value = cc_cell(s, COL_IND_VALUE);
	const char *unit = cc_cell(s, COL_IND_UNIT);
	if (!*name && !*year && !*value && !*unit)
		return CD_OK;
	if (!*name || !*year || !*value)
		return cc_missing(s, "an indicator",
		                  "\"indicator\", \"year\" and \"value\"");
	char *end;
	errno = 0;
	long y = strtol(year, &end, 10);
	if (end == year || *end || errno || y < INT_MIN || y > INT_MAX)
		return cd_fail(s->err, s->errlen, CD_EINVAL,
		               "row %zu, column \"year\": \"%s\" is not a whole "
		               "number", s->row, year);
	return cc_add_indicator(s, name, (int)y, (size_t)s->at[COL_IND_VALUE],
	                        value, unit);
}

static int cc_bool(cc_csv_state_t *s, const char *cell, protobuf_c_boolean *b)
{
	static const char *const yes[] = { "true", "yes", "1" };
	static const char *const no[] = { "false", "no", "0", "" };
	for (size_t i = 0; i < 4; i++) {
		if (i < 3 && !strcasecmp(cell, yes[i]))
			return *b = 1, CD_OK;
		if (!strcasecmp(cell, no[i]))
			return *b = 0, CD_OK;
	}
	return cd_fail(s->err, s->errlen, CD_EINVAL,
	               "row %zu, column \"recused\": \"%s\" is not true or "
	               "false", s->row, cell);
}

static int cc_long_assessment(cc_csv_state_t *s)
{
	static const int kinds[] = { COL_JUDGE, COL_CRITERION, COL_SCORE,
	                             COL_ROUND, COL_RECUSED, COL_COMMENT };
	int any = 0;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		any |= *cc_cell(s, kinds[i]) != '\0';
	if (!any)
		return CD_OK;
	if (!*cc_cell(s, COL_SCORE))
		return cc_missing(s, "an assessment", "\"score\"");
	Clusters__V1__Cluster *c = s->cur;
	Clusters__V1__Assessment a = CLUSTERS__V1__ASSESSMENT__INIT;
	int rc = cc_number(s, (size_t)s->at[COL_SCORE], cc_cell(s, COL_SCORE),
	                   &a.score);
	if (!rc)
		rc = cc_bool(s, cc_cell(s, COL_RECUSED), &a.recused);
	if (rc)
		return rc;
	if (cc_room(s, &c->assessments, c->n_assessments, &s->cap_ass))
		return CD_ENOMEM;
	Clusters__V1__Assessment *p = malloc(sizeof(*p));
	if (!p)
		return OOM(s);
	*p = a;
	c->assessments[c->n_assessments++] = p;
	char **dst[] = { &p->judge, &p->criterion, &p->round, &p->comment };
	const int src[] = { COL_JUDGE, COL_CRITERION, COL_ROUND, COL_COMMENT };
	for (size_t i = 0; i < 4; i++)
		if (*cc_cell(s, src[i]) && !(*dst[i] = strdup(cc_cell(s, src[i]))))
			return OOM(s);
	return CD_OK;
}

/* name, economy, region, industry: set once; a later row of the same
 * cluster may leave the cell empty or repeat the value. */
static int cc_scalar(cc_csv_state_t *s, int kind, char **dst)
{
	const char *cell = cc_cell(s, kind);
	if (!*cell)
		return CD_OK;
	if (*dst && **dst) {
		if (strcmp(*dst, cell))
			return cd_fail(s->err, s->errlen, CD_EINVAL,
			               "row %zu, column \"%s\": \"%s\" differs "
			               "from \"%s\" given before for cluster "
			               "\"%s\"", s->row, cc_col_names[kind], cell,
			               *dst, s->cur->id);
		return CD_OK;
	}
	if (!(*dst = strdup(cell)))
		return OOM(s);
	return CD_OK;
}

static int cc_row_fill(cc_csv_state_t *s)
{
	Clusters__V1__Cluster *c = s->cur;
	int rc;
	if ((rc = cc_scalar(s, COL_NAME, &c->name)) ||
	    (rc = cc_scalar(s, COL_ECONOMY, &c->economy)) ||
	    (rc = cc_scalar(s, COL_REGION, &c->region)) ||
	    (rc = cc_scalar(s, COL_INDUSTRY, &c->industry)) ||
	    (rc = cc_split_cities(s, cc_cell(s, COL_CITIES))))
		return rc;
	for (size_t i = 0; i < s->ncols; i++) {
		const cc_col_t *col = &s->cols[i];
		const char *cell = s->cells[i];
		if (!*cell)
			continue;
		if (col->kind == COL_WIDE_IND)
			rc = cc_add_indicator(s, col->key, col->year, i, cell, "");
		else if (col->kind == COL_WIDE_LABEL)
			rc = cc_add_label(s, col->key, cell);
		if (rc)
			return rc;
	}
	const char *city = cc_cell(s, COL_CITY);
	if (*city && (rc = cc_add_city(s, city, strlen(city))))
		return rc;
	if ((rc = cc_long_indicator(s)))
		return rc;
	const char *key = cc_cell(s, COL_LAB_KEY);
	if (!*key && *cc_cell(s, COL_LAB_VALUE))
		return cc_missing(s, "a label_value", "a \"label\"");
	if (*key && (rc = cc_add_label(s, key, cc_cell(s, COL_LAB_VALUE))))
		return rc;
	return cc_long_assessment(s);
}

/* Hands the finished cluster on. */
static void cc_flush(cc_csv_state_t *s)
{
	Clusters__V1__Cluster *c = s->cur;
	s->cur = NULL;
	if (!c)
		return;
	if (s->rc) {
		cc_msg_free(c);
		return;
	}
	s->rc = s->cb(c, ++s->records, s->done, s->ud);
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
	const char *id = s->cells[s->at[COL_ID]];
	if (!s->cur || strcmp(s->cur->id, id)) {
		cc_flush(s);
		if (s->rc)
			return;
		Clusters__V1__Cluster *c = malloc(sizeof(*c));
		if (!c) {
			s->rc = OOM(s);
			return;
		}
		clusters__v1__cluster__init(c);
		s->cur = c;
		s->cap_cities = s->cap_ind = s->cap_lab = s->cap_ass = 0;
		if (*id && !(c->id = strdup(id))) {
			s->rc = OOM(s);
			return;
		}
	}
	s->rc = cc_row_fill(s);
	cc_cells_clear(s);
}

int cc_csv_read(const char *buf, size_t len, cc_csv_cb cb, void *ud,
                char *err, size_t errlen)
{
	cc_csv_state_t s;
	memset(&s, 0, sizeof(s));
	for (int k = 0; k < COL_NAMED; k++)
		s.at[k] = -1;
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
	cc_flush(&s);  /* the last cluster, or frees it after an error */
	csv_free(&p);
	cc_cells_clear(&s);
	free(s.cells);
	for (size_t i = 0; i < s.ncols; i++) {
		free(s.cols[i].hdr);
		free(s.cols[i].key);
	}
	free(s.cols);
	return s.rc;
}
