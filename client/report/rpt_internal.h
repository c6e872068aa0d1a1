/*
 * rpt_internal — what the report's sections share: the output buffer
 * (errors are sticky, so a section writes without checking each call),
 * HTML escaping, number formats, and the SVG vocabulary (scales, the
 * palette with a pattern per series for greyscale print, titled charts).
 *
 * Thread-safety: an rpt_out_t belongs to one render.
 */
#ifndef RPT_INTERNAL_H
#define RPT_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>

#include "rpt.h"

typedef struct rpt_out {
	char *buf;
	size_t len, cap;
	int failed;          /* out of memory: every later write is dropped */
	unsigned next_id;    /* chart ids c1, c2, ... unique in the page */
	char title[320];     /* of the open chart, repeated in its caption */
} rpt_out_t;

void rpt_put(rpt_out_t *o, const char *s);
void rpt_printf(rpt_out_t *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Text or an attribute value, escaped (& < > " '); NULL writes nothing. */
void rpt_esc(rpt_out_t *o, const char *s);
/* Escaped, cut to at most max characters (UTF-8 aware) with "…". */
void rpt_esc_cut(rpt_out_t *o, const char *s, size_t max);

/* Numbers for people: up to 4 significant digits ("12.35", "0.000123"),
 * grouped from 10,000, "480.7 bn" from a million; "–" for NaN. b holds
 * at least 32 bytes. */
void rpt_numfmt(char *b, size_t n, double v);
void rpt_num(rpt_out_t *o, double v);
/* A coordinate: one decimal, no trailing ".0". */
void rpt_coord(rpt_out_t *o, double v);
/* "12%" for 0.12. */
void rpt_pct(rpt_out_t *o, double share);

/* A linear scale from [d0, d1] onto [r0, r1], with round tick values. */
typedef struct rpt_scale {
	double d0, d1, r0, r1;
} rpt_scale_t;
/* Extends [lo, hi] to round numbers and gives the tick step (n ~ 5). */
void rpt_nice(double *lo, double *hi, double *step);
double rpt_at(const rpt_scale_t *s, double v);

/* The series styles: colours from the Okabe-Ito palette (told apart in
 * the common colour blindnesses), each with its own pattern so they stay
 * apart in greyscale. */
#define RPT_SERIES 8
const char *rpt_colour(size_t i);
/* Writes the <pattern> of series i (in a <defs>), id "PREFIX-pI": its
 * marks only, on no background, to be drawn over the series' colour;
 * nothing for the series without marks (rpt_pattern_marked 0). */
void rpt_pattern_def(rpt_out_t *o, const char *prefix, size_t i);
int rpt_pattern_marked(size_t i);
/* fill="url(#PREFIX-pI)" */
void rpt_pattern_fill(rpt_out_t *o, const char *prefix, size_t i);

/* <figure class="chart" data-chart=kind><svg ...><title/><desc/>: the
 * chart's id (c1, c2 ...) in id (8 bytes). rpt_chart_close writes </svg>,
 * the caption and </figure>. */
void rpt_chart_open(rpt_out_t *o, const char *kind, double w, double h,
                    const char *title, const char *desc, char id[16]);
void rpt_chart_close(rpt_out_t *o, const char *caption);

/* Shapes; attrs (may be NULL) is written as it is, after the geometry:
 * "class=\"cutoff\"", "fill=\"#0072B2\"". */
void rpt_line(rpt_out_t *o, double x1, double y1, double x2, double y2,
              const char *attrs);
void rpt_rect(rpt_out_t *o, double x, double y, double w, double h,
              const char *attrs);
void rpt_circle(rpt_out_t *o, double cx, double cy, double r,
                const char *attrs);

/* <text> at x, y; anchor "start", "middle" or "end"; cls may be NULL. */
void rpt_text(rpt_out_t *o, double x, double y, const char *anchor,
              const char *cls, const char *s);
/* A row's label left of x = lw, baseline y: a check mark when marked,
 * the rank (0: none) right-aligned, then the name cut to fit. */
void rpt_row_label(rpt_out_t *o, double y, int32_t rank, const char *name,
                   int marked, double lw);
/* A horizontal axis: ticks and grid lines from y0 to y1 at the scale's
 * round values, labels under y1. */
void rpt_axis_x(rpt_out_t *o, const rpt_scale_t *s, double step, double y0,
                double y1, const char *label);

/* The sections (rpt_doc.c calls them in order). */
void rpt_sec_header(rpt_out_t *o, const rpt_data_t *d);
void rpt_sec_funnel(rpt_out_t *o, const rpt_data_t *d);
void rpt_sec_ranking(rpt_out_t *o, const rpt_data_t *d);
void rpt_sec_uncertainty(rpt_out_t *o, const rpt_data_t *d);
void rpt_sec_change(rpt_out_t *o, const rpt_data_t *d);
void rpt_sec_summary(rpt_out_t *o, const rpt_data_t *d);
void rpt_sec_decisions(rpt_out_t *o, const rpt_data_t *d);
/* Each round's coherence (rpt_coherence.c); nothing for runs without. */
void rpt_sec_coherence(rpt_out_t *o, const rpt_data_t *d);
void rpt_sec_cluster(rpt_out_t *o, const rpt_data_t *d,
                     const rpt_cluster_t *c);

/* A decision code in words ("selected by score"). */
const char *rpt_code_words(int code);

#endif
