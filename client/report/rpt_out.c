/* The report's output buffer, escaping and number formats. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpt_internal.h"

static int reserve(rpt_out_t *o, size_t more)
{
	if (o->failed)
		return -1;
	if (o->len + more + 1 <= o->cap)
		return 0;
	size_t nc = o->cap ? o->cap : 256;
	while (nc < o->len + more + 1)
		nc *= 2;
	char *nb = realloc(o->buf, nc);
	if (!nb) {
		o->failed = 1;
		return -1;
	}
	o->buf = nb;
	o->cap = nc;
	return 0;
}

static void put_n(rpt_out_t *o, const char *s, size_t n)
{
	if (reserve(o, n))
		return;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

void rpt_put(rpt_out_t *o, const char *s)
{
	put_n(o, s, strlen(s));
}

void rpt_printf(rpt_out_t *o, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		o->failed = 1;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		put_n(o, small, (size_t)n);
		return;
	}
	if (reserve(o, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(o->buf + o->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	o->len += (size_t)n;
}

static void esc_n(rpt_out_t *o, const char *s, size_t n)
{
	size_t from = 0;
	for (size_t i = 0; i < n; i++) {
		const char *rep;
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		put_n(o, s + from, i - from);
		rpt_put(o, rep);
		from = i + 1;
	}
	put_n(o, s + from, n - from);
}

void rpt_esc(rpt_out_t *o, const char *s)
{
	if (s)
		esc_n(o, s, strlen(s));
}

void rpt_esc_cut(rpt_out_t *o, const char *s, size_t max)
{
	if (!s)
		return;
	size_t chars = 0, i = 0, cut = 0;
	for (; s[i]; i++) {
		if (((unsigned char)s[i] & 0xc0) == 0x80)
			continue;  /* a continuation byte */
		if (chars == max - 1)
			cut = i;
		chars++;
	}
	if (chars <= max || max < 2) {
		esc_n(o, s, i);
		return;
	}
	esc_n(o, s, cut);
	rpt_put(o, "\xe2\x80\xa6");
}

void rpt_numfmt(char *b, size_t n, double v)
{
	static const struct { double at; const char *unit; } big[] = {
		{1e12, "tn"}, {1e9, "bn"}, {1e6, "M"},
	};
	double a = fabs(v);
	if (isnan(v)) {
		snprintf(b, n, "\xe2\x80\x93");
		return;
	}
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++)
		if (a >= big[i].at && a < 1e15) {
			/* 480.7 bn, not 4.807e+11. */
			snprintf(b, n, "%.4g %s", v / big[i].at, big[i].unit);
			return;
		}
	if (a >= 1e4 && a < 1e6) {
		/* 243,300: grouped, to the unit. */
		long long k = llround(v);
		snprintf(b, n, "%s%lld,%03lld", k < 0 ? "-" : "",
		         llabs(k) / 1000, llabs(k) % 1000);
		return;
	}
	snprintf(b, n, "%.4g", v);
	if (!strcmp(b, "-0"))
		snprintf(b, n, "0");
}

void rpt_num(rpt_out_t *o, double v)
{
	char b[48];
	rpt_numfmt(b, sizeof(b), v);
	rpt_put(o, b);
}

void rpt_coord(rpt_out_t *o, double v)
{
	char b[32];
	if (!isfinite(v))
		v = 0;
	snprintf(b, sizeof(b), "%.1f", v);
	size_t n = strlen(b);
	if (n > 2 && !strcmp(b + n - 2, ".0"))
		b[n - 2] = '\0';
	if (!strcmp(b, "-0"))
		strcpy(b, "0");
	rpt_put(o, b);
}

void rpt_pct(rpt_out_t *o, double share)
{
	if (isnan(share)) {
		rpt_put(o, "\xe2\x80\x93");
		return;
	}
	rpt_printf(o, "%.0f%%", share * 100);
}
