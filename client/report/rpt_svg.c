/* The report's SVG vocabulary: scales, series styles, titled charts,
 * text and axes. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rpt_internal.h"

void rpt_nice(double *lo, double *hi, double *step)
{
	double a = *lo, b = *hi;
	if (!isfinite(a) || !isfinite(b)) {
		a = 0;
		b = 1;
	}
	if (b < a) {
		double t = a;
		a = b;
		b = t;
	}
	if (b - a < 1e-12) {
		/* One value: a range around it that keeps 0 in view. */
		double m = fabs(a) > 0 ? fabs(a) : 1;
		a = a < 0 ? a - m / 2 : (a > 0 ? 0 : a);
		b = b > 0 ? b + m / 2 : (b < 0 ? 0 : b + 1);
		if (b - a < 1e-12)
			b = a + 1;
	}
	double raw = (b - a) / 5, mag = pow(10, floor(log10(raw)));
	double f = raw / mag, s;
	s = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
	s *= mag;
	*lo = floor(a / s + 1e-9) * s;
	*hi = ceil(b / s - 1e-9) * s;
	*step = s;
}

double rpt_at(const rpt_scale_t *s, double v)
{
	if (s->d1 == s->d0)
		return s->r0;
	return s->r0 + (v - s->d0) / (s->d1 - s->d0) * (s->r1 - s->r0);
}

/* Okabe & Ito (2008), ordered so neighbours differ in lightness too. */
static const char *const palette[RPT_SERIES] = {
	"#0072B2", "#E69F00", "#009E73", "#CC79A7",
	"#56B4E9", "#D55E00", "#F0E442", "#000000",
};

const char *rpt_colour(size_t i)
{
	return palette[i % RPT_SERIES];
}

void rpt_pattern_def(rpt_out_t *o, const char *prefix, size_t i)
{
	/* Solid, diagonal, dots, horizontal, cross-hatch, vertical, the
	 * other diagonal, sparse dots: told apart without colour. */
	static const char *const marks[RPT_SERIES] = {
		"",
		"<path d=\"M-1,1 l2,-2 M0,8 l8,-8 M7,9 l2,-2\" "
		"stroke=\"#fff\" stroke-width=\"1.6\"/>",
		"<circle cx=\"4\" cy=\"4\" r=\"1.6\" fill=\"#fff\"/>",
		"<path d=\"M0,4 h8\" stroke=\"#fff\" stroke-width=\"1.6\"/>",
		"<path d=\"M0,0 l8,8 M8,0 l-8,8\" stroke=\"#fff\" "
		"stroke-width=\"1.2\"/>",
		"<path d=\"M4,0 v8\" stroke=\"#fff\" stroke-width=\"1.6\"/>",
		"<path d=\"M-1,7 l2,2 M0,0 l8,8 M7,-1 l2,2\" "
		"stroke=\"#000\" stroke-width=\"1.2\"/>",
		"<circle cx=\"2\" cy=\"2\" r=\"1.1\" fill=\"#fff\"/>"
		"<circle cx=\"6\" cy=\"6\" r=\"1.1\" fill=\"#fff\"/>",
	};
	size_t k = i % RPT_SERIES;
	if (rpt_pattern_marked(i))
		rpt_printf(o, "<pattern id=\"%s-p%zu\" width=\"8\" "
		           "height=\"8\" patternUnits=\"userSpaceOnUse\">%s"
		           "</pattern>", prefix, i, marks[k]);
}

int rpt_pattern_marked(size_t i)
{
	return i % RPT_SERIES != 0;
}

void rpt_pattern_fill(rpt_out_t *o, const char *prefix, size_t i)
{
	rpt_printf(o, "fill=\"url(#%s-p%zu)\"", prefix, i);
}

void rpt_chart_open(rpt_out_t *o, const char *kind, double w, double h,
                    const char *title, const char *desc, char id[16])
{
	snprintf(id, 16, "c%u", ++o->next_id);
	snprintf(o->title, sizeof(o->title), "%s", title);
	rpt_printf(o, "<figure class=\"chart\" data-chart=\"%s\">"
	           "<svg role=\"img\" aria-labelledby=\"%s-t %s-d\" "
	           "viewBox=\"0 0 ", kind, id, id);
	rpt_coord(o, w);
	rpt_put(o, " ");
	rpt_coord(o, h);
	rpt_put(o, "\" width=\"");
	rpt_coord(o, w);
	rpt_put(o, "\" height=\"");
	rpt_coord(o, h);
	rpt_printf(o, "\"><title id=\"%s-t\">", id);
	rpt_esc(o, title);
	rpt_printf(o, "</title><desc id=\"%s-d\">", id);
	rpt_esc(o, desc);
	rpt_put(o, "</desc>\n");
}

void rpt_chart_close(rpt_out_t *o, const char *caption)
{
	/* The title is the svg's accessible name; it is shown too. */
	rpt_put(o, "</svg><figcaption><b>");
	rpt_esc(o, o->title);
	rpt_put(o, ".</b> ");
	rpt_esc(o, caption);
	rpt_put(o, "</figcaption></figure>\n");
}

/* Writes " NAME=\"v\"" for each coordinate. */
static void coords(rpt_out_t *o, const char *const *names, const double *v,
                   size_t n)
{
	for (size_t i = 0; i < n; i++) {
		rpt_printf(o, " %s=\"", names[i]);
		rpt_coord(o, v[i]);
		rpt_put(o, "\"");
	}
}

static void shape(rpt_out_t *o, const char *tag, const char *const *names,
                  const double *v, size_t n, const char *attrs)
{
	rpt_printf(o, "<%s", tag);
	coords(o, names, v, n);
	if (attrs && *attrs) {
		rpt_put(o, " ");
		rpt_put(o, attrs);
	}
	rpt_put(o, "/>");
}

void rpt_line(rpt_out_t *o, double x1, double y1, double x2, double y2,
              const char *attrs)
{
	static const char *const n[] = {"x1", "y1", "x2", "y2"};
	const double v[] = {x1, y1, x2, y2};
	shape(o, "line", n, v, 4, attrs);
}

void rpt_rect(rpt_out_t *o, double x, double y, double w, double h,
              const char *attrs)
{
	static const char *const n[] = {"x", "y", "width", "height"};
	const double v[] = {x, y, w < 0 ? 0 : w, h < 0 ? 0 : h};
	shape(o, "rect", n, v, 4, attrs);
}

void rpt_circle(rpt_out_t *o, double cx, double cy, double r,
                const char *attrs)
{
	static const char *const n[] = {"cx", "cy", "r"};
	const double v[] = {cx, cy, r};
	shape(o, "circle", n, v, 3, attrs);
}

void rpt_text(rpt_out_t *o, double x, double y, const char *anchor,
              const char *cls, const char *s)
{
	rpt_put(o, "<text x=\"");
	rpt_coord(o, x);
	rpt_put(o, "\" y=\"");
	rpt_coord(o, y);
	rpt_put(o, "\"");
	if (anchor && strcmp(anchor, "start"))
		rpt_printf(o, " text-anchor=\"%s\"", anchor);
	if (cls)
		rpt_printf(o, " class=\"%s\"", cls);
	rpt_put(o, ">");
	rpt_esc(o, s);
	rpt_put(o, "</text>");
}

void rpt_row_label(rpt_out_t *o, double y, int32_t rank, const char *name,
                   int marked, double lw)
{
	if (marked)
		rpt_text(o, 2, y, "start", "sel", "\xe2\x9c\x93");
	if (rank > 0) {
		char b[16];
		snprintf(b, sizeof(b), "%d", (int)rank);
		rpt_text(o, 46, y, "end", "tick", b);
	}
	/* About 7 px a character at 12 px. */
	size_t fit = lw > 70 ? (size_t)((lw - 58) / 7) : 4;
	rpt_put(o, "<text x=\"52\" y=\"");
	rpt_coord(o, y);
	rpt_put(o, "\">");
	rpt_esc_cut(o, name, fit);
	rpt_put(o, "</text>");
}

void rpt_axis_x(rpt_out_t *o, const rpt_scale_t *s, double step, double y0,
                double y1, const char *label)
{
	rpt_put(o, "<g class=\"axis\">");
	double lo = s->d0 < s->d1 ? s->d0 : s->d1;
	double hi = s->d0 < s->d1 ? s->d1 : s->d0;
	for (int i = 0; i <= 200; i++) {
		double v = lo + i * step;
		if (v > hi + step * 1e-6)
			break;
		if (fabs(v) < step * 1e-9)
			v = 0;
		double x = rpt_at(s, v);
		rpt_line(o, x, y0, x, y1, "class=\"grid\"");
		char b[32];
		rpt_numfmt(b, sizeof(b), v);
		rpt_text(o, x, y1 + 14, "middle", "tick", b);
	}
	if (label)
		rpt_text(o, (s->r0 + s->r1) / 2, y1 + 30, "middle", "axis-label",
		         label);
	rpt_put(o, "</g>\n");
}
