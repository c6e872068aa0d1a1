/* The text forms the JSON mapping needs beyond jansson: a JSON writer with
 * shortest round-trip reals, RFC 3339 timestamps, and field name cases. */
#include "cc_json.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"

void cc_fmt_double(char *buf, size_t len, double v)
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (prec == 17 || strtod(buf, NULL) == v)
			return;
	}
}

static void cc_write_string(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		case '\b': fputs("\\b", f); break;
		case '\f': fputs("\\f", f); break;
		default:
			if (c < 0x20)
				fprintf(f, "\\u%04x", c);
			else
				fputc(c, f);
		}
	}
	fputc('"', f);
}

static void cc_write_nl(FILE *f, int indent, int depth)
{
	if (indent <= 0)
		return;
	fputc('\n', f);
	for (int i = 0; i < indent * depth; i++)
		fputc(' ', f);
}

static void cc_write_value(FILE *f, const json_t *j, int indent, int depth)
{
	char num[40];
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *v;
		int first = 1;
		fputc('{', f);
		json_object_foreach((json_t *)j, key, v) {
			if (!first)
				fputc(',', f);
			first = 0;
			cc_write_nl(f, indent, depth + 1);
			cc_write_string(f, key, strlen(key));
			fputs(indent > 0 ? ": " : ":", f);
			cc_write_value(f, v, indent, depth + 1);
		}
		if (!first)
			cc_write_nl(f, indent, depth);
		fputc('}', f);
		break;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *v;
		fputc('[', f);
		json_array_foreach(j, i, v) {
			if (i)
				fputc(',', f);
			cc_write_nl(f, indent, depth + 1);
			cc_write_value(f, v, indent, depth + 1);
		}
		if (json_array_size(j))
			cc_write_nl(f, indent, depth);
		fputc(']', f);
		break;
	}
	case JSON_STRING:
		cc_write_string(f, json_string_value(j), json_string_length(j));
		break;
	case JSON_INTEGER:
		fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
		break;
	case JSON_REAL:
		cc_fmt_double(num, sizeof(num), json_real_value(j));
		/* Keep it a real for readers that care: 3 -> 3.0. */
		if (!strpbrk(num, ".eEn"))
			strcat(num, ".0");
		fputs(num, f);
		break;
	case JSON_TRUE: fputs("true", f); break;
	case JSON_FALSE: fputs("false", f); break;
	case JSON_NULL: fputs("null", f); break;
	}
}

int cc_json_write(FILE *f, const json_t *j, int indent)
{
	cc_write_value(f, j, indent, 0);
	return ferror(f) ? CD_EIO : CD_OK;
}

char *cc_json_dumps(const json_t *j, int indent)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	int rc = cc_json_write(f, j, indent);
	if (fclose(f) != 0 || rc != CD_OK) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- timestamps ---- */

#define CC_TS_MIN (-62135596800LL)  /* 0001-01-01T00:00:00Z */
#define CC_TS_MAX 253402300799LL    /* 9999-12-31T23:59:59Z */

/* Days since 1970-01-01 of a proleptic Gregorian date, and back; eras of
 * 400 years keep the arithmetic exact for negative years. */
static int64_t cc_days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void cc_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int cc_fmt_timestamp(char *buf, size_t len, int64_t seconds, int32_t nanos)
{
	if (seconds < CC_TS_MIN || seconds > CC_TS_MAX || nanos < 0 ||
	    nanos > 999999999)
		return CD_EINVAL;
	int64_t days = seconds / 86400, rem = seconds % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	int64_t y;
	int m, d;
	cc_civil_from_days(days, &y, &m, &d);
	int n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d", (int)y, m,
	                 d, (int)(rem / 3600), (int)(rem / 60 % 60),
	                 (int)(rem % 60));
	if (n < 0 || (size_t)n >= len)
		return CD_ELIMIT;
	if (nanos % 1000000 == 0 && nanos)
		snprintf(buf + n, len - n, ".%03dZ", nanos / 1000000);
	else if (nanos % 1000 == 0 && nanos)
		snprintf(buf + n, len - n, ".%06dZ", nanos / 1000);
	else if (nanos)
		snprintf(buf + n, len - n, ".%09dZ", nanos);
	else
		snprintf(buf + n, len - n, "Z");
	return CD_OK;
}

/* Reads exactly n digits. */
static int cc_digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return 0;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 1;
}

int cc_parse_timestamp(const char *s, int64_t *seconds, int32_t *nanos)
{
	const char *p = s;
	int y, mo, d, h, mi, sec, oh = 0, om = 0;
	if (!cc_digits(&p, 4, &y) || *p++ != '-' || !cc_digits(&p, 2, &mo) ||
	    *p++ != '-' || !cc_digits(&p, 2, &d) || (*p != 'T' && *p != 't'))
		return CD_EINVAL;
	p++;
	if (!cc_digits(&p, 2, &h) || *p++ != ':' || !cc_digits(&p, 2, &mi) ||
	    *p++ != ':' || !cc_digits(&p, 2, &sec))
		return CD_EINVAL;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30,
	                             31, 31, 30, 31, 30, 31 };
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h > 23 || mi > 59 || sec > 59)
		return CD_EINVAL;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return CD_EINVAL;
	int32_t ns = 0;
	if (*p == '.') {
		p++;
		int n = 0;
		while (isdigit((unsigned char)*p)) {
			if (n++ >= 9)
				return CD_EINVAL;
			ns = ns * 10 + (*p++ - '0');
		}
		if (!n)
			return CD_EINVAL;
		for (; n < 9; n++)
			ns *= 10;
	}
	int sign = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if (!cc_digits(&p, 2, &oh) || *p++ != ':' ||
		    !cc_digits(&p, 2, &om) || oh > 23 || om > 59)
			return CD_EINVAL;
	} else {
		return CD_EINVAL;
	}
	if (*p)
		return CD_EINVAL;
	int64_t t = cc_days_from_civil(y, mo, d) * 86400 + h * 3600 +
	            mi * 60 + sec - sign * (oh * 3600 + om * 60);
	if (t < CC_TS_MIN || t > CC_TS_MAX)
		return CD_EINVAL;
	*seconds = t;
	*nanos = ns;
	return CD_OK;
}

/* ---- names ---- */

int cc_json_camel(const char *snake, char *out, size_t len)
{
	size_t n = 0;
	int up = 0;
	for (const char *p = snake; *p; p++) {
		if (*p == '_') {
			up = 1;
			continue;
		}
		if (n + 1 >= len)
			return CD_ELIMIT;
		out[n++] = up ? (char)toupper((unsigned char)*p) : *p;
		up = 0;
	}
	if (n >= len)
		return CD_ELIMIT;
	out[n] = '\0';
	return CD_OK;
}

int cc_json_snake(const char *camel, char *out, size_t len)
{
	size_t n = 0;
	for (const char *p = camel; *p; p++) {
		int upper = isupper((unsigned char)*p);
		if (n + 1 + (upper ? 1 : 0) >= len)
			return CD_ELIMIT;
		if (upper)
			out[n++] = '_';
		out[n++] = upper ? (char)tolower((unsigned char)*p) : *p;
	}
	if (n >= len)
		return CD_ELIMIT;
	out[n] = '\0';
	return CD_OK;
}
