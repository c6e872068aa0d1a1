/* The page: its head and style, the header section, and the order of
 * the sections. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cd_error.h"
#include "rpt_internal.h"

/* One stylesheet, no web font: the fonts named are installed with the
 * project (fonts-dejavu-core) and common elsewhere. Print: A4, every main
 * section on a new page, no chart or table row split. */
static const char css[] =
	"body{font-family:\"DejaVu Sans\",Verdana,Arial,sans-serif;"
	"color:#1a1a1a;background:#fff;max-width:1100px;margin:24px auto;"
	"padding:0 16px;line-height:1.4;font-size:14px}\n"
	"h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;"
	"border-bottom:2px solid #1a1a1a}h3{font-size:15px;margin:18px 0 6px}\n"
	"p.lead{color:#444;margin:0 0 12px}\n"
	"dl.facts{display:grid;grid-template-columns:max-content auto;"
	"gap:2px 16px;margin:8px 0}dl.facts dt{font-weight:bold}"
	"dl.facts dd{margin:0}\n"
	".pair{display:flex;flex-wrap:wrap;gap:8px 24px;align-items:flex-start}\n"
	"figure.chart{margin:8px 0;break-inside:avoid}"
	"figcaption{font-size:12px;color:#444;max-width:900px}\n"
	"svg{display:block;max-width:100%;height:auto}"
	"svg text{font-family:inherit;font-size:12px;fill:#1a1a1a}"
	"svg text.tick{font-size:11px;fill:#444}"
	"svg text.small{font-size:10px}"
	"svg text.sel{font-weight:bold}"
	"svg line.grid{stroke:#ddd;stroke-width:1}"
	"svg line.zero{stroke:#1a1a1a;stroke-width:1}"
	"svg line.cutoff{stroke:#D55E00;stroke-width:2;stroke-dasharray:6 3}"
	"svg .band{stroke:#0072B2;stroke-width:3}"
	"svg .unsel rect.seg{opacity:.45}"
	"svg rect.frame{fill:none;stroke:#1a1a1a;stroke-width:1.5}\n"
	"table.data{border-collapse:collapse;font-size:12px;margin:6px 0 12px}"
	"table.data caption{text-align:left;font-weight:bold;padding:2px 0}"
	"table.data th,table.data td{padding:2px 8px;border-bottom:1px solid "
	"#ccc;text-align:right;vertical-align:top}"
	"table.data th{background:#f0f0f0}"
	"table.data .l{text-align:left}\n"
	"ul.decisions li{margin:2px 0}.muted{color:#555}\n"
	"@page{size:A4;margin:14mm}\n"
	"@media print{body{max-width:none;margin:0;padding:0;font-size:11px}"
	"section{break-before:page}section#header{break-before:auto}"
	"section.cluster{break-before:page}"
	"h2,h3{break-after:avoid}figure.chart,tr{break-inside:avoid}"
	".pair{display:block}}\n";

const Clusters__V1__RoundStanding *
rpt_round_of(const Clusters__V1__Standing *s, const char *round)
{
	for (size_t i = 0; s && i < s->n_rounds; i++)
		if (s->rounds[i]->round && !strcmp(s->rounds[i]->round, round))
			return s->rounds[i];
	return NULL;
}

const char *rpt_name(const Clusters__V1__Standing *s)
{
	return s->name && *s->name ? s->name : s->cluster_id;
}

const char *rpt_code_words(int code)
{
	switch (code) {
	case 1: return "selected by score";
	case 2: return "selected as the best of its industry";
	case 3: return "passed over: a quota was full";
	case 4: return "below the minimum score";
	case 5: return "outside the top N";
	case 6: return "not eligible";
	case 7: return "a criterion gave no score";
	case 8: return "a score that is not a finite number";
	case 9: return "not selected in an earlier round";
	default: return "no decision recorded";
	}
}

static void fact(rpt_out_t *o, const char *k, const char *v)
{
	if (!v || !*v)
		return;
	rpt_put(o, "<dt>");
	rpt_esc(o, k);
	rpt_put(o, "</dt><dd>");
	rpt_esc(o, v);
	rpt_put(o, "</dd>");
}

static const char *state_words(int s)
{
	switch (s) {
	case 0: return "succeeded (stored before runs had states)";
	case 1: return "queued";
	case 2: return "running";
	case 3: return "succeeded";
	case 4: return "failed";
	case 5: return "cancelled";
	default: return "unknown";
	}
}

static void fmt_ts(char *b, size_t n, const Google__Protobuf__Timestamp *t);

void rpt_sec_header(rpt_out_t *o, const rpt_data_t *d)
{
	const Clusters__V1__Run *r = d->run;
	const Clusters__V1__Competition *c = d->comp;
	char b[256];
	rpt_put(o, "<header><h1>");
	rpt_esc(o, c && c->title && *c->title ? c->title : r->competition_id);
	if (c && c->edition && *c->edition) {
		rpt_put(o, " \xe2\x80\x94 ");
		rpt_esc(o, c->edition);
	}
	rpt_put(o, "</h1><p class=\"lead\">");
	rpt_put(o, d->mode == RPT_CLUSTERS ? "Cluster report of run "
	                                   : "Report of run ");
	rpt_esc(o, r->id);
	rpt_put(o, "</p></header>\n<section id=\"header\"><h2>The run</h2>"
	        "<dl class=\"facts\">");
	fact(o, "Competition", r->competition_id);
	if (c && c->edition)
		fact(o, "Edition", c->edition);
	if (!c)
		fact(o, "Definition", "no longer stored: the run's own record "
		     "is shown");
	else if (r->competition_etag && *r->competition_etag && c->etag &&
	         strcmp(c->etag, r->competition_etag))
		fact(o, "Definition", "changed since the run: the run's own "
		     "record is shown");
	fact(o, "Run", r->id);
	fact(o, "State", state_words(r->state));
	fmt_ts(b, sizeof(b), r->create_time);
	fact(o, "Created", b);
	fmt_ts(b, sizeof(b), r->end_time);
	fact(o, "Ended", b);
	fact(o, "Started by", r->principal);
	snprintf(b, sizeof(b), "%llu (the store version the run read)",
	         (unsigned long long)r->data_version);
	fact(o, "Data version", b);
	snprintf(b, sizeof(b), "%d clusters", r->candidates);
	fact(o, "Cohort", b);
	rpt_put(o, "<dt>Rounds</dt><dd>");
	for (size_t i = 0; i < r->n_rounds; i++) {
		const Clusters__V1__RoundStats *rs = r->rounds[i];
		rpt_printf(o, "%s%zu. ", i ? "; " : "", i + 1);
		rpt_esc(o, rs->round);
		rpt_printf(o, " (%d candidates, %d selected)", rs->candidates,
		           rs->selected);
	}
	rpt_put(o, "</dd><dt>Plugins</dt><dd>");
	for (size_t i = 0; i < r->n_plugins; i++) {
		if (i)
			rpt_put(o, ", ");
		rpt_esc(o, r->plugins[i]->name);
		rpt_put(o, " ");
		rpt_esc(o, r->plugins[i]->version);
	}
	if (!r->n_plugins)
		rpt_put(o, "none recorded");
	rpt_put(o, "</dd>");
	const Clusters__V1__SensitivityOptions *so = r->sensitivity;
	if (so && so->samples > 0) {
		snprintf(b, sizeof(b), "%d samples, every weight within "
		         "\xc2\xb1%g%%, seed %llu", so->samples,
		         so->weight_jitter_pct, (unsigned long long)so->seed);
		fact(o, "Sensitivity", b);
	}
	if (d->baseline_id)
		fact(o, "Baseline run", d->baseline_id);
	snprintf(b, sizeof(b), "%lld", (long long)r->standings_total);
	fact(o, "Standings", b);
	fact(o, "Report made", d->generated);
	rpt_put(o, "</dl>");
	if (r->n_warnings) {
		rpt_put(o, "<h3>Warnings of the run</h3><ul>");
		for (size_t i = 0; i < r->n_warnings; i++) {
			rpt_put(o, "<li>");
			rpt_esc(o, r->warnings[i]);
			rpt_put(o, "</li>");
		}
		rpt_put(o, "</ul>");
	}
	rpt_put(o, "</section>\n");
}

static void fmt_ts(char *b, size_t n, const Google__Protobuf__Timestamp *t)
{
	b[0] = '\0';
	if (!t || (!t->seconds && !t->nanos))
		return;
	time_t s = (time_t)t->seconds;
	struct tm tm;
	if (gmtime_r(&s, &tm))
		strftime(b, n, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

int rpt_render(const rpt_data_t *d, char **out, size_t *len)
{
	rpt_out_t o = {0};
	const Clusters__V1__Run *r = d->run;
	const Clusters__V1__Competition *c = d->comp;
	*out = NULL;
	*len = 0;
	rpt_put(&o, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	        "<meta charset=\"utf-8\"><meta name=\"viewport\" "
	        "content=\"width=device-width, initial-scale=1\">"
	        "<meta name=\"generator\" content=\"clusterctl run report\">"
	        "<title>");
	rpt_esc(&o, c && c->title && *c->title ? c->title : r->competition_id);
	rpt_put(&o, " \xe2\x80\x94 run ");
	rpt_esc(&o, r->id);
	rpt_printf(&o, "</title><style>%s</style></head><body>\n", css);
	rpt_sec_header(&o, d);
	if (d->mode == RPT_FULL) {
		rpt_sec_funnel(&o, d);
		rpt_sec_ranking(&o, d);
		rpt_sec_uncertainty(&o, d);
		rpt_sec_change(&o, d);
		rpt_sec_summary(&o, d);
		rpt_sec_decisions(&o, d);
		rpt_sec_coherence(&o, d);
	}
	for (size_t i = 0; i < d->nclusters; i++)
		rpt_sec_cluster(&o, d, &d->clusters[i]);
	rpt_put(&o, "</body></html>\n");
	if (o.failed) {
		free(o.buf);
		return CD_ENOMEM;
	}
	*out = o.buf;
	*len = o.len;
	return CD_OK;
}
