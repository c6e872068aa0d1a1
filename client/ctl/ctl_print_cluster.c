/* How clusterctl shows clusters: a table per list, a sheet per cluster. */
#include <string.h>

#include "cc_csv.h"
#include "cc_json.h"
#include "ctl.h"
#include "ctl_table.h"

static void ctl_cities(char *buf, size_t len, const Clusters__V1__Cluster *c)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < c->n_cities && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ";" : "",
		                      c->cities[i]);
}

int ctl_print_clusters(ctl_t *ctl, Clusters__V1__Cluster *const *cs,
                       size_t n)
{
	if (ctl->fmt == CTL_CSV) {
		char err[640], what[512];
		if (ctl->csv_wide && cc_csv_wide_loss(cs, n, what, sizeof(what))) {
			if (!ctl->csv_lossy)
				return ctl_fail(CTL_FAIL,
				                "the wide CSV layout would lose "
				                "%s; --layout long (the default) "
				                "keeps every field, --lossy drops "
				                "them", what);
			ctl_fail(CTL_OK, "--lossy: dropped %s", what);
		}
		if (cc_csv_write(stdout, cs, n,
		                 ctl->csv_wide ? CC_CSV_WIDE : CC_CSV_LONG,
		                 ctl->csv_lossy, err, sizeof(err)))
			return ctl_fail(CTL_FAIL, "%s", err);
		return CTL_OK;
	}
	if (ctl->fmt == CTL_JSON) {
		for (size_t i = 0; i < n; i++) {
			char err[256];
			json_t *j = cc_json_from_msg((const void *)cs[i], err,
			                             sizeof(err));
			if (!j)
				return ctl_fail(CTL_FAIL, "%s", err);
			cc_json_write(stdout, j, 0);
			fputc('\n', stdout);
			json_decref(j);
		}
		return CTL_OK;
	}
	static const char *const hdr[] = { "ID", "NAME", "ECONOMY", "REGION",
	                                   "CITIES", "INDUSTRY", "INDICATORS",
	                                   "UPDATED" };
	ctl_table_t *t = ctl_table_create(8, hdr);
	if (!t)
		return ctl_fail(CTL_FAIL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const Clusters__V1__Cluster *c = cs[i];
		char cities[512], upd[32];
		ctl_cities(cities, sizeof(cities), c);
		ctl_fmt_time(upd, sizeof(upd), c->update_time);
		ctl_table_cell(t, "%s", c->id);
		ctl_table_cell(t, "%s", c->name);
		ctl_table_cell(t, "%s", c->economy);
		ctl_table_cell(t, "%s", c->region);
		ctl_table_cell(t, "%s", cities);
		ctl_table_cell(t, "%s", c->industry);
		ctl_table_cell(t, "%zu", c->n_indicators);
		ctl_table_cell(t, "%s", upd);
		ctl_table_end_row(t);
	}
	ctl_table_print(t, stdout);
	ctl_table_destroy(t);
	return CTL_OK;
}

static void ctl_kv(const char *k, const char *v)
{
	if (v && *v)
		printf("%-12s %s\n", k, v);
}

int ctl_print_cluster(ctl_t *ctl, const Clusters__V1__Cluster *c)
{
	if (ctl->fmt == CTL_JSON)
		return ctl_print_json((const ProtobufCMessage *)c);
	if (ctl->fmt == CTL_CSV)
		return ctl_print_clusters(ctl, (Clusters__V1__Cluster *const *)&c,
		                          1);
	char buf[512];
	ctl_kv("id:", c->id);
	ctl_kv("name:", c->name);
	ctl_kv("economy:", c->economy);
	ctl_kv("region:", c->region);
	ctl_cities(buf, sizeof(buf), c);
	ctl_kv("cities:", buf);
	ctl_kv("industry:", c->industry);
	ctl_kv("etag:", c->etag);
	ctl_fmt_time(buf, sizeof(buf), c->create_time);
	ctl_kv("created:", buf);
	ctl_fmt_time(buf, sizeof(buf), c->update_time);
	ctl_kv("updated:", buf);
	for (size_t i = 0; i < c->n_labels; i++)
		printf("%-12s %s=%s\n", i ? "" : "labels:", c->labels[i]->key,
		       c->labels[i]->value);
	if (c->n_indicators) {
		static const char *const hdr[] = { "INDICATOR", "YEAR", "VALUE",
		                                   "UNIT" };
		ctl_table_t *t = ctl_table_create(4, hdr);
		for (size_t i = 0; t && i < c->n_indicators; i++) {
			const Clusters__V1__Indicator *x = c->indicators[i];
			cc_fmt_double(buf, sizeof(buf), x->value);
			ctl_table_cell(t, "%s", x->name);
			ctl_table_cell(t, "%d", x->year);
			ctl_table_cell(t, "%s", buf);
			ctl_table_cell(t, "%s", x->unit);
			ctl_table_end_row(t);
		}
		if (t) {
			fputc('\n', stdout);
			ctl_table_print(t, stdout);
		}
		ctl_table_destroy(t);
	}
	if (c->n_assessments) {
		static const char *const hdr[] = { "JUDGE", "CRITERION",
		                                   "SCORE", "ROUND", "RECUSED",
		                                   "COMMENT" };
		ctl_table_t *t = ctl_table_create(6, hdr);
		for (size_t i = 0; t && i < c->n_assessments; i++) {
			const Clusters__V1__Assessment *a = c->assessments[i];
			cc_fmt_double(buf, sizeof(buf), a->score);
			ctl_table_cell(t, "%s", a->judge);
			ctl_table_cell(t, "%s", a->criterion);
			ctl_table_cell(t, "%s", buf);
			ctl_table_cell(t, "%s", a->round);
			ctl_table_cell(t, "%s", a->recused ? "yes" : "");
			ctl_table_cell(t, "%s", a->comment);
			ctl_table_end_row(t);
		}
		if (t) {
			fputc('\n', stdout);
			ctl_table_print(t, stdout);
		}
		ctl_table_destroy(t);
	}
	return CTL_OK;
}
