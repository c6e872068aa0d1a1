/* clusters -> CSV, in the long layout (every field, one item per row) or
 * the wide one (one row per cluster; its header is the union of the
 * indicators and labels of every cluster, sorted, so a spreadsheet gets
 * stable columns). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cc_csv.h"
#include "cc_json.h"
#include "cd_error.h"

typedef struct cc_key {
	const char *name;  /* borrowed from the clusters */
	int year;          /* -1 for labels */
} cc_key_t;

static int cc_key_cmp(const void *a, const void *b)
{
	const cc_key_t *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x->year > y->year) - (x->year < y->year);
}

static int cc_blank(char c)
{
	return isspace((unsigned char)c);
}

void cc_csv_cell(FILE *f, const char *s)
{
	size_t n = strlen(s);
	/* libcsv trims blanks around unquoted cells. */
	int quote = strpbrk(s, ",\"\r\n") != NULL ||
	            (n && (cc_blank(s[0]) || cc_blank(s[n - 1]) ||
	                   s[0] == '#'));
	if (!quote) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void cc_num_cell(FILE *f, double v)
{
	char num[40];
	cc_fmt_double(num, sizeof(num), v);
	fputs(num, f);
}

/* ------------------------------------------------------------ wide loss */

enum { LOSS_ASSESSMENTS, LOSS_UNITS, LOSS_IND_ORDER, LOSS_LABEL_ORDER,
       LOSS_EMPTY_LABEL, LOSS_CITIES, LOSS_KINDS };

static const char *const cc_loss_names[LOSS_KINDS] = {
	"assessments",
	"indicator units",
	"indicator order (its columns are sorted by name and year)",
	"label order (its columns are sorted by key)",
	"empty label values",
	"cities holding ';' or blanks at an edge",
};

/* Bit i set: the wide layout loses kind i of c. */
static unsigned cc_wide_loss_of(const Clusters__V1__Cluster *c)
{
	unsigned m = c->n_assessments ? 1u << LOSS_ASSESSMENTS : 0;
	for (size_t i = 0; i < c->n_indicators; i++) {
		const Clusters__V1__Indicator *x = c->indicators[i];
		if (x->unit && *x->unit)
			m |= 1u << LOSS_UNITS;
		if (i) {
			const Clusters__V1__Indicator *p = c->indicators[i - 1];
			cc_key_t a = { p->name, p->year }, b = { x->name, x->year };
			if (cc_key_cmp(&a, &b) >= 0)
				m |= 1u << LOSS_IND_ORDER;
		}
	}
	for (size_t i = 0; i < c->n_labels; i++) {
		if (!c->labels[i]->value || !*c->labels[i]->value)
			m |= 1u << LOSS_EMPTY_LABEL;
		if (i && strcmp(c->labels[i - 1]->key, c->labels[i]->key) >= 0)
			m |= 1u << LOSS_LABEL_ORDER;
	}
	for (size_t i = 0; i < c->n_cities; i++) {
		const char *s = c->cities[i];
		size_t n = strlen(s);
		if (!n || strchr(s, ';') || cc_blank(s[0]) || cc_blank(s[n - 1]))
			m |= 1u << LOSS_CITIES;
	}
	return m;
}

size_t cc_csv_wide_loss(Clusters__V1__Cluster *const *cs, size_t n,
                        char *buf, size_t len)
{
	size_t count[LOSS_KINDS] = { 0 }, kinds = 0, used = 0;
	const char *first[LOSS_KINDS] = { NULL };
	for (size_t i = 0; i < n; i++) {
		unsigned m = cc_wide_loss_of(cs[i]);
		for (int k = 0; k < LOSS_KINDS; k++)
			if (m & (1u << k) && !count[k]++)
				first[k] = cs[i]->id;
	}
	if (len)
		buf[0] = '\0';
	for (int k = 0; k < LOSS_KINDS; k++) {
		if (!count[k])
			continue;
		int w = snprintf(buf + used, used < len ? len - used : 0,
		                 "%s%s (%zu cluster%s, first \"%s\")",
		                 kinds ? ", " : "", cc_loss_names[k], count[k],
		                 count[k] == 1 ? "" : "s", first[k]);
		kinds++;
		if (w > 0 && used + (size_t)w < len)
			used += (size_t)w;
		else
			used = len;
	}
	return kinds;
}

/* ----------------------------------------------------------------- wide */

/* Sorted, duplicate-free keys of all indicators (year >= 0) or labels. */
static int cc_keys(Clusters__V1__Cluster *const *cs, size_t n, int labels,
                   cc_key_t **out, size_t *nout)
{
	size_t total = 0, k = 0;
	for (size_t i = 0; i < n; i++)
		total += labels ? cs[i]->n_labels : cs[i]->n_indicators;
	cc_key_t *keys = calloc(total ? total : 1, sizeof(*keys));
	if (!keys)
		return CD_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const Clusters__V1__Cluster *c = cs[i];
		size_t m = labels ? c->n_labels : c->n_indicators;
		for (size_t j = 0; j < m; j++) {
			keys[k].name = labels ? c->labels[j]->key
			                      : c->indicators[j]->name;
			keys[k++].year = labels ? -1 : c->indicators[j]->year;
		}
	}
	qsort(keys, total, sizeof(*keys), cc_key_cmp);
	size_t u = 0;
	for (size_t i = 0; i < total; i++)
		if (!u || cc_key_cmp(&keys[u - 1], &keys[i]))
			keys[u++] = keys[i];
	*out = keys;
	*nout = u;
	return CD_OK;
}

static void cc_wide_row(FILE *f, const Clusters__V1__Cluster *c,
                        const cc_key_t *ind, size_t nind, const cc_key_t *lab,
                        size_t nlab)
{
	cc_csv_cell(f, c->id);
	fputc(',', f);
	cc_csv_cell(f, c->name);
	fputc(',', f);
	cc_csv_cell(f, c->economy);
	fputc(',', f);
	cc_csv_cell(f, c->region);
	fputc(',', f);
	size_t len = 1;
	for (size_t i = 0; i < c->n_cities; i++)
		len += strlen(c->cities[i]) + 1;
	char *cities = malloc(len);
	if (cities) {
		cities[0] = '\0';
		for (size_t i = 0; i < c->n_cities; i++) {
			if (i)
				strcat(cities, ";");
			strcat(cities, c->cities[i]);
		}
		cc_csv_cell(f, cities);
		free(cities);
	}
	fputc(',', f);
	cc_csv_cell(f, c->industry);
	for (size_t k = 0; k < nind; k++) {
		fputc(',', f);
		for (size_t j = 0; j < c->n_indicators; j++) {
			const Clusters__V1__Indicator *x = c->indicators[j];
			if (x->year == ind[k].year &&
			    !strcmp(x->name, ind[k].name)) {
				cc_num_cell(f, x->value);
				break;
			}
		}
	}
	for (size_t k = 0; k < nlab; k++) {
		fputc(',', f);
		for (size_t j = 0; j < c->n_labels; j++)
			if (!strcmp(c->labels[j]->key, lab[k].name)) {
				cc_csv_cell(f, c->labels[j]->value);
				break;
			}
	}
	fputc('\n', f);
}

static int cc_write_wide(FILE *f, Clusters__V1__Cluster *const *cs, size_t n)
{
	cc_key_t *ind = NULL, *lab = NULL;
	size_t nind = 0, nlab = 0;
	if (cc_keys(cs, n, 0, &ind, &nind) || cc_keys(cs, n, 1, &lab, &nlab)) {
		free(ind);
		return CD_ENOMEM;
	}
	fputs("id,name,economy,region,cities,industry", f);
	for (size_t k = 0; k < nind; k++) {
		char col[300];
		snprintf(col, sizeof(col), "%s@%d", ind[k].name, ind[k].year);
		fputc(',', f);
		cc_csv_cell(f, col);
	}
	for (size_t k = 0; k < nlab; k++) {
		char col[300];
		snprintf(col, sizeof(col), "label:%s", lab[k].name);
		fputc(',', f);
		cc_csv_cell(f, col);
	}
	fputc('\n', f);
	for (size_t i = 0; i < n; i++)
		cc_wide_row(f, cs[i], ind, nind, lab, nlab);
	free(ind);
	free(lab);
	return CD_OK;
}

/* ----------------------------------------------------------------- long */

enum { G_CITY = 1, G_IND = 2, G_LAB = 4, G_ASS = 8 };

static void cc_long_item(FILE *f, const Clusters__V1__Cluster *c, size_t r,
                         unsigned groups)
{
	if (groups & G_CITY) {
		fputc(',', f);
		if (r < c->n_cities)
			cc_csv_cell(f, c->cities[r]);
	}
	if ((groups & G_IND) && r < c->n_indicators) {
		const Clusters__V1__Indicator *x = c->indicators[r];
		fputc(',', f);
		cc_csv_cell(f, x->name);
		fprintf(f, ",%d,", (int)x->year);
		cc_num_cell(f, x->value);
		fputc(',', f);
		cc_csv_cell(f, x->unit);
	} else if (groups & G_IND) {
		fputs(",,,,", f);
	}
	if ((groups & G_LAB) && r < c->n_labels) {
		fputc(',', f);
		cc_csv_cell(f, c->labels[r]->key);
		fputc(',', f);
		cc_csv_cell(f, c->labels[r]->value);
	} else if (groups & G_LAB) {
		fputs(",,", f);
	}
	if ((groups & G_ASS) && r < c->n_assessments) {
		const Clusters__V1__Assessment *a = c->assessments[r];
		fputc(',', f);
		cc_csv_cell(f, a->judge);
		fputc(',', f);
		cc_csv_cell(f, a->criterion);
		fputc(',', f);
		cc_num_cell(f, a->score);  /* always: it marks the item */
		fputc(',', f);
		cc_csv_cell(f, a->round);
		fputs(a->recused ? ",true," : ",,", f);
		cc_csv_cell(f, a->comment);
	} else if (groups & G_ASS) {
		fputs(",,,,,,", f);
	}
}

static void cc_long_rows(FILE *f, const Clusters__V1__Cluster *c,
                         unsigned groups)
{
	size_t rows = 1;
	const size_t counts[] = { c->n_cities, c->n_indicators, c->n_labels,
	                          c->n_assessments };
	for (size_t i = 0; i < 4; i++)
		rows = counts[i] > rows ? counts[i] : rows;
	const char *sc[] = { c->name, c->economy, c->region, c->industry };
	for (size_t r = 0; r < rows; r++) {
		cc_csv_cell(f, c->id);
		/* The scalars once; later rows of the cluster leave them. */
		for (size_t i = 0; i < 4; i++) {
			fputc(',', f);
			if (!r)
				cc_csv_cell(f, sc[i]);
		}
		cc_long_item(f, c, r, groups);
		fputc('\n', f);
	}
}

static void cc_write_long(FILE *f, Clusters__V1__Cluster *const *cs, size_t n)
{
	unsigned groups = 0;
	for (size_t i = 0; i < n; i++)
		groups |= (cs[i]->n_cities ? G_CITY : 0) |
		          (cs[i]->n_indicators ? G_IND : 0) |
		          (cs[i]->n_labels ? G_LAB : 0) |
		          (cs[i]->n_assessments ? G_ASS : 0);
	fputs("id,name,economy,region,industry", f);
	if (groups & G_CITY)
		fputs(",city", f);
	if (groups & G_IND)
		fputs(",indicator,year,value,unit", f);
	if (groups & G_LAB)
		fputs(",label,label_value", f);
	if (groups & G_ASS)
		fputs(",judge,criterion,score,round,recused,comment", f);
	fputc('\n', f);
	for (size_t i = 0; i < n; i++)
		cc_long_rows(f, cs[i], groups);
}

int cc_csv_write(FILE *f, Clusters__V1__Cluster *const *cs, size_t n,
                 cc_csv_layout_t layout, int lossy, char *err,
                 size_t errlen)
{
	for (size_t i = 1; i < n; i++)
		if (!strcmp(cs[i - 1]->id, cs[i]->id))
			return cd_fail(err, errlen, CD_EINVAL,
			               "clusters %zu and %zu share the id \"%s\": "
			               "in CSV they would read back as one", i,
			               i + 1, cs[i]->id);
	if (layout == CC_CSV_WIDE) {
		char what[512];
		if (!lossy && cc_csv_wide_loss(cs, n, what, sizeof(what)))
			return cd_fail(err, errlen, CD_EINVAL,
			               "the wide CSV layout would lose %s", what);
		if (cc_write_wide(f, cs, n))
			return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
	} else {
		cc_write_long(f, cs, n);
	}
	if (ferror(f))
		return cd_fail(err, errlen, CD_EIO, "write failed");
	return CD_OK;
}
