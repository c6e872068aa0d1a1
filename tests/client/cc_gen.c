/* Random valid clusters; see cc_gen.h. */
#include "cc_gen.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_client.h"
#include "store.h"

void cc_gen_seed(cc_gen_t *g, uint64_t seed)
{
	g->state = seed ? seed : 0x9E3779B97F4A7C15ull;
}

/* xorshift64*: small, and the same on every platform. */
uint64_t cc_gen_next(cc_gen_t *g)
{
	uint64_t x = g->state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	g->state = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static size_t rnd(cc_gen_t *g, size_t n)
{
	return n ? (size_t)(cc_gen_next(g) % n) : 0;
}

static int chance(cc_gen_t *g, unsigned pct)
{
	return rnd(g, 100) < pct;
}

/* A length for a field of at most max bytes: mostly short, sometimes
 * anything, sometimes the limit itself. */
static size_t length(cc_gen_t *g, size_t min, size_t max)
{
	size_t n = chance(g, 10) ? max
	         : chance(g, 25) ? min + rnd(g, max - min + 1)
	                         : min + rnd(g, 16);
	return n > max ? max : n;
}

/* Exactly len bytes of valid UTF-8 text; line breaks and tabs only when
 * ml; blanks at the edges when edges. */
static char *text(cc_gen_t *g, size_t len, int ml, int edges)
{
	static const char odd[] = ",\";#'\\@:/ ";
	static const char *const wide[] = { "é", "ß", "Ж", "–", "€", "中",
	                                    "東", "한", "🚀", "𝄞", "😀",
	                                    "𠀋" };
	char *s = malloc(len + 1);
	size_t n = 0;
	while (n < len) {
		size_t k = rnd(g, 12), left = len - n;
		const char *c = wide[rnd(g, 12)];
		char one[2] = { 0, 0 };
		if (k < 4 && strlen(c) <= left) {
			memcpy(s + n, c, strlen(c));
			n += strlen(c);
			continue;
		}
		if (k == 4)
			one[0] = odd[rnd(g, sizeof(odd) - 1)];
		else if (k == 5 && ml)
			one[0] = "\n\r\t"[rnd(g, 3)];
		else
			one[0] = (char)('!' + rnd(g, 94));  /* '!'..'~' */
		s[n++] = one[0];
	}
	s[len] = '\0';
	if (edges && len && chance(g, 20) && !(s[0] & 0x80))
		s[0] = ' ';
	if (edges && len && chance(g, 20) && !(s[len - 1] & 0x80))
		s[len - 1] = ' ';
	return s;
}

/* [a-z] then up to max - 1 of extra's characters. */
static char *ident(cc_gen_t *g, size_t max, const char *extra, int at_max)
{
	size_t n = at_max ? max : 1 + rnd(g, chance(g, 10) ? max : 12);
	char *s = malloc(n + 1);
	s[0] = (char)('a' + rnd(g, 26));
	for (size_t i = 1; i < n; i++)
		s[i] = extra[rnd(g, strlen(extra))];
	s[n] = '\0';
	return s;
}

static double value(cc_gen_t *g)
{
	static const double special[] = {
		0.0, -0.0, 1e308, -1e308, DBL_MAX, -DBL_MAX, DBL_MIN, -DBL_MIN,
		4.9406564584124654e-324, -4.9406564584124654e-324,
		2.2250738585072009e-308, 0.1, 1.0 / 3, 123456789012345678.0,
		1e-300, 9007199254740993.0, 100, 0.5,
	};
	size_t ns = sizeof(special) / sizeof(special[0]);
	if (chance(g, 40))
		return special[rnd(g, ns)];
	uint64_t b = cc_gen_next(g);
	if (chance(g, 20))
		b &= 0x800FFFFFFFFFFFFFull;  /* a denormal */
	double d;
	memcpy(&d, &b, sizeof(d));
	return isfinite(d) ? d : (double)(int64_t)b;
}

static int ind_cmp(const void *a, const void *b)
{
	const Clusters__V1__Indicator *x = *(Clusters__V1__Indicator *const *)a;
	const Clusters__V1__Indicator *y = *(Clusters__V1__Indicator *const *)b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x->year > y->year) - (x->year < y->year);
}

static int label_cmp(const void *a, const void *b)
{
	return strcmp((*(Clusters__V1__Cluster__LabelsEntry *const *)a)->key,
	              (*(Clusters__V1__Cluster__LabelsEntry *const *)b)->key);
}

static size_t count(cc_gen_t *g, cc_gen_shape_t shape, size_t usual,
                    size_t max)
{
	if (shape == CC_GEN_MAX)
		return max;
	return chance(g, 3) ? rnd(g, max / 8 + 1) : rnd(g, usual + 1);
}

static void gen_cities(cc_gen_t *g, Clusters__V1__Cluster *c,
                       cc_gen_shape_t shape)
{
	size_t n = count(g, shape, 4, STORE_MAX_CITIES);
	c->cities = calloc(n ? n : 1, sizeof(char *));
	while (c->n_cities < n) {
		size_t len = c->n_cities ? length(g, 1, STORE_TEXT_MAX)
		                         : shape == CC_GEN_MAX
		                                   ? STORE_TEXT_MAX
		                                   : length(g, 1, STORE_TEXT_MAX);
		char *s = text(g, len, 0, shape != CC_GEN_WIDE);
		if (shape == CC_GEN_WIDE) {
			for (char *p = s; *p; p++)
				if (*p == ';' || *p == ' ')
					*p = '_';
		} else if (len > 2 && chance(g, 20) && !(s[len / 2] & 0x80)) {
			s[len / 2] = ';';  /* an ASCII byte: UTF-8 stays valid */
		}
		int dup = 0;
		for (size_t i = 0; i < c->n_cities; i++)
			dup |= !strcmp(c->cities[i], s);
		if (dup)
			free(s);
		else
			c->cities[c->n_cities++] = s;
	}
}

static void gen_indicators(cc_gen_t *g, Clusters__V1__Cluster *c,
                           cc_gen_shape_t shape)
{
	size_t n = count(g, shape, 10, STORE_MAX_INDICATORS);
	/* A few names, many years: the shape of real data. 16 names of 401
	 * years leave room for the largest count. */
	char *names[16];
	size_t nn = shape == CC_GEN_MAX ? 16 : 4;
	for (size_t i = 0; i < nn; i++)
		names[i] = ident(g, 64, "abcdefghijklmnopqrstuvwxyz0123456789_",
		                 i == 0 && shape == CC_GEN_MAX);
	c->indicators = calloc(n ? n : 1, sizeof(void *));
	while (c->n_indicators < n) {
		Clusters__V1__Indicator *x = malloc(sizeof(*x));
		clusters__v1__indicator__init(x);
		x->name = strdup(names[rnd(g, nn)]);
		x->year = STORE_YEAR_MIN +
		          (int)rnd(g, STORE_YEAR_MAX - STORE_YEAR_MIN + 1);
		x->value = value(g);
		if (shape != CC_GEN_WIDE && chance(g, 50))
			x->unit = text(g, c->n_indicators ? length(g, 1, 32) : 32,
			               0, 1);
		int dup = 0;
		for (size_t i = 0; i < c->n_indicators && !dup; i++)
			dup = !ind_cmp(&c->indicators[i], &x);
		if (dup)
			cc_msg_free(x);
		else
			c->indicators[c->n_indicators++] = x;
	}
	for (size_t i = 0; i < nn; i++)
		free(names[i]);
	if (shape == CC_GEN_WIDE)
		qsort(c->indicators, c->n_indicators, sizeof(void *), ind_cmp);
}

static void gen_assessments(cc_gen_t *g, Clusters__V1__Cluster *c,
                            cc_gen_shape_t shape)
{
	size_t n = shape == CC_GEN_WIDE ? 0
	                                : count(g, shape, 6,
	                                        STORE_MAX_ASSESSMENTS);
	c->assessments = calloc(n ? n : 1, sizeof(void *));
	for (size_t i = 0; i < n; i++) {
		int top = !i && shape == CC_GEN_MAX;  /* every length at max */
		Clusters__V1__Assessment *a = malloc(sizeof(*a));
		clusters__v1__assessment__init(a);
		c->assessments[c->n_assessments++] = a;
		if (i && chance(g, 10)) {  /* the same judgement twice */
			const Clusters__V1__Assessment *p = c->assessments[i - 1];
			a->judge = strdup(p->judge);
			a->criterion = strdup(p->criterion);
			a->score = p->score;
			continue;
		}
		a->judge = text(g, top ? STORE_TEXT_MAX
		                       : length(g, 1, STORE_TEXT_MAX), 0, 1);
		a->criterion = ident(g, 64,
		                     "abcdefghijklmnopqrstuvwxyz0123456789_", top);
		a->score = value(g);
		if (top || chance(g, 50))
			a->comment = text(g, top ? STORE_COMMENT_MAX
			                         : length(g, 1, 300), 1, 1);
		if (top || chance(g, 50))
			a->round = text(g, top ? STORE_TEXT_MAX
			                       : length(g, 1, 8), 0, 1);
		a->recused = chance(g, 30);
	}
}

static void gen_labels(cc_gen_t *g, Clusters__V1__Cluster *c,
                       cc_gen_shape_t shape)
{
	size_t n = count(g, shape, 5, STORE_MAX_LABELS);
	c->labels = calloc(n ? n : 1, sizeof(void *));
	while (c->n_labels < n) {
		int top = !c->n_labels && shape == CC_GEN_MAX;
		char *key = ident(g, 63,
		                  "abcdefghijklmnopqrstuvwxyz0123456789_.-", top);
		int dup = 0;
		for (size_t i = 0; i < c->n_labels; i++)
			dup |= !strcmp(c->labels[i]->key, key);
		if (dup) {
			free(key);
			continue;
		}
		Clusters__V1__Cluster__LabelsEntry *e = malloc(sizeof(*e));
		clusters__v1__cluster__labels_entry__init(e);
		e->key = key;
		size_t len = top ? STORE_LABEL_VALUE_MAX
		                 : length(g, 0, STORE_LABEL_VALUE_MAX);
		if (shape == CC_GEN_WIDE && !len)
			len = 1;
		e->value = text(g, len, 0, 1);
		c->labels[c->n_labels++] = e;
	}
	if (shape == CC_GEN_WIDE)
		qsort(c->labels, c->n_labels, sizeof(void *), label_cmp);
}

Clusters__V1__Cluster *cc_gen_cluster(cc_gen_t *g, const char *prefix,
                                      unsigned index, cc_gen_shape_t shape)
{
	static const char *const economies[] = {
		"DE", "CN", "JP", "US", "GB", "FR", "KR", "XK", "CN/HK",
		"US/CA/MX", "AT/BE/CH/DE/FR/IT/NL/LU",
	};
	static const char idc[] = "abcdefghijklmnopqrstuvwxyz0123456789._-";
	Clusters__V1__Cluster *c = malloc(sizeof(*c));
	clusters__v1__cluster__init(c);
	char id[STORE_ID_MAX + 1];
	int n = snprintf(id, sizeof(id), "%s%u", prefix, index);
	size_t want = shape == CC_GEN_MAX ? STORE_ID_MAX
	                                  : (size_t)n + rnd(g, 24);
	if (chance(g, 10))
		want = STORE_ID_MAX;
	for (size_t i = (size_t)n; i < want; i++)
		id[i] = idc[rnd(g, sizeof(idc) - 1)];
	id[want > (size_t)n ? want : (size_t)n] = '\0';
	c->id = strdup(id);
	int max = shape == CC_GEN_MAX;
	c->name = text(g, max ? STORE_NAME_MAX : length(g, 1, STORE_NAME_MAX),
	               0, 1);
	c->economy = strdup(economies[rnd(g, sizeof(economies) /
	                                        sizeof(economies[0]))]);
	if (max || chance(g, 70))
		c->region = text(g, max ? STORE_TEXT_MAX
		                        : length(g, 1, STORE_TEXT_MAX), 0, 1);
	if (max || chance(g, 70))
		c->industry = text(g, max ? STORE_TEXT_MAX
		                          : length(g, 1, STORE_TEXT_MAX), 0, 1);
	gen_cities(g, c, shape);
	gen_indicators(g, c, shape);
	gen_assessments(g, c, shape);
	gen_labels(g, c, shape);
	return c;
}
