/* clusters -> CSV. The header is the union of the indicators and labels of
 * every cluster, sorted, so a spreadsheet gets stable columns. */
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

void cc_csv_cell(FILE *f, const char *s)
{
	size_t n = strlen(s);
	int quote = strpbrk(s, ",\"\r\n") != NULL ||
	            (n && (s[0] == ' ' || s[n - 1] == ' ' || s[0] == '#'));
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

static void cc_row(FILE *f, const Clusters__V1__Cluster *c,
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
				char num[40];
				cc_fmt_double(num, sizeof(num), x->value);
				fputs(num, f);
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

int cc_csv_write(FILE *f, Clusters__V1__Cluster *const *cs, size_t n,
                 char *err, size_t errlen)
{
	cc_key_t *ind = NULL, *lab = NULL;
	size_t nind = 0, nlab = 0;
	if (cc_keys(cs, n, 0, &ind, &nind) || cc_keys(cs, n, 1, &lab, &nlab)) {
		free(ind);
		return cd_fail(err, errlen, CD_ENOMEM, "out of memory");
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
		cc_row(f, cs[i], ind, nind, lab, nlab);
	free(ind);
	free(lab);
	if (ferror(f))
		return cd_fail(err, errlen, CD_EIO, "write failed");
	return CD_OK;
}
