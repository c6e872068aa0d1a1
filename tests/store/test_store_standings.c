/* The standings table: chunked writes through a source, paging across
 * chunk boundaries, every filter (the cluster ids alone and with the
 * others, across the scan bound), page tokens, finds, deletes, runs stored
 * before the table (inline standings), and every error path. */
#include "fixture.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

static char err[256];
static char *dir;
static store_t *st;

static int setup(void **state)
{
	(void)state;
	dir = fx_tmpdir();
	st = fx_open(dir, 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	store_close(st);
	fx_rmdir(dir);
	return 0;
}

/* ------------------------------------------------------ synthetic standings
 *
 * Standing i (0-based) of a run of n: cluster "c%06u"; economies cycle
 * CN, CN/HK, JP; regions r0..r4; industries "bio" / "ict"; two rounds r1
 * and r2. The first half reach r2 (selected in r1); of them the first
 * quarter of all are selected in r2 (the final round). Ranks: 1..n/2 for
 * the first half (their r2 rank), 0 for the rest (excluded in r1 when
 * i % 3 == 0, ranked in r1 but not selected otherwise — then rank is 0
 * overall all the same: they did not reach the final round). */

static const char *econ_of(unsigned i)
{
	static const char *e[] = {"CN", "CN/HK", "JP"};
	return e[i % 3];
}

typedef struct gen {
	unsigned n, per, i;   /* standings, per chunk, next */
	int with_rounds;      /* RoundStandings (new) or `round` only (old) */
	size_t pad;           /* bytes of name */
	uint8_t *buf;
	size_t cap;
	unsigned rewinds, fail_at;  /* fail_at: chunk number that fails + 1 */
	int lie_count, lie_total;
	unsigned start, end;  /* a batch: standings [start, end); end 0 = n */
} gen_t;

static void standing_build(unsigned i, unsigned n, int with_rounds,
                           size_t pad, uint8_t *out, size_t *len)
{
	Clusters__V1__Standing s = CLUSTERS__V1__STANDING__INIT;
	Clusters__V1__RoundStanding r1 = CLUSTERS__V1__ROUND_STANDING__INIT;
	Clusters__V1__RoundStanding r2 = CLUSTERS__V1__ROUND_STANDING__INIT;
	Clusters__V1__RoundStanding *rp[2] = {&r1, &r2};
	Clusters__V1__Decision d1 = CLUSTERS__V1__DECISION__INIT;
	Clusters__V1__Decision d2 = CLUSTERS__V1__DECISION__INIT;
	Clusters__V1__CriterionScore cs[5], *csp[5];
	char id[16], region[8], name[4096];
	int reached = i < n / 2, sel = i < n / 4;

	snprintf(id, sizeof(id), "c%06u", i);
	snprintf(region, sizeof(region), "r%u", i % 5);
	memset(name, 'x', pad);
	name[pad] = 0;
	s.cluster_id = id;
	s.name = name;
	s.economy = (char *)econ_of(i);
	s.region = region;
	s.industry = i % 2 ? "ict" : "bio";
	s.rank = reached ? (int)i + 1 : 0;
	s.score = reached ? 100.0 - i * 0.001 : 0;
	s.selected = sel;
	s.round = reached ? "r2" : "r1";
	for (int k = 0; k < 5; k++) {
		clusters__v1__criterion_score__init(&cs[k]);
		cs[k].criterion = "crit";
		cs[k].raw = i + k;
		cs[k].normalized = 0.5;
		cs[k].weighted = 0.1;
		csp[k] = &cs[k];
	}
	r1.round = "r1";
	r1.rank = i % 3 == 0 && !reached ? 0 : (int)i + 1;
	r1.selected = reached;
	r1.scores = csp;
	r1.n_scores = 5;
	r1.decision = &d1;
	d1.code = reached ? CLUSTERS__V1__DECISION_CODE__DECISION_CODE_SELECTED_BY_SCORE
	                  : (i % 3 == 0
	                     ? CLUSTERS__V1__DECISION_CODE__DECISION_CODE_NOT_ELIGIBLE
	                     : CLUSTERS__V1__DECISION_CODE__DECISION_CODE_OUTSIDE_TOP_N);
	r2.round = "r2";
	r2.rank = reached ? (int)i + 1 : 0;
	r2.selected = sel;
	r2.decision = &d2;
	d2.code = !reached
	          ? CLUSTERS__V1__DECISION_CODE__DECISION_CODE_EXCLUDED_EARLIER
	          : sel ? CLUSTERS__V1__DECISION_CODE__DECISION_CODE_SELECTED_BY_SCORE
	                : CLUSTERS__V1__DECISION_CODE__DECISION_CODE_OUTSIDE_TOP_N;
	if (reached) {
		r2.scores = csp;
		r2.n_scores = 5;
	}
	if (with_rounds) {
		s.rounds = rp;
		s.n_rounds = 2;
	}
	*len = clusters__v1__standing__pack(&s, out);
}

static int gen_rewind(void *arg)
{
	gen_t *g = arg;
	g->i = g->start;
	g->rewinds++;
	return CD_OK;
}

static int gen_next(void *arg, const uint8_t **data, size_t *len,
                    size_t *count, char *e, size_t elen)
{
	gen_t *g = arg;
	unsigned chunk = g->i / g->per;
	if (g->fail_at && chunk + 1 == g->fail_at) {
		snprintf(e, elen, "the engine gave up at chunk %u", chunk);
		return CD_EINTERNAL;
	}
	*len = 0;
	*count = 0;
	while (g->i < (g->end ? g->end : g->n) && *count < g->per) {
		if (g->cap - *len < 8192) {
			g->cap = g->cap ? g->cap * 2 : 65536;
			g->buf = realloc(g->buf, g->cap);
		}
		uint8_t tmp[8192];
		size_t sl;
		standing_build(g->i, g->n, g->with_rounds, g->pad, tmp, &sl);
		g->buf[(*len)++] = 0x0a;
		size_t v = sl;
		while (v >= 0x80) {
			g->buf[(*len)++] = (uint8_t)(v | 0x80);
			v >>= 7;
		}
		g->buf[(*len)++] = (uint8_t)v;
		memcpy(g->buf + *len, tmp, sl);
		*len += sl;
		(*count)++;
		g->i++;
	}
	if (g->lie_count && *count)
		(*count)++;
	*data = g->buf;
	return CD_OK;
}

static void gen_src(gen_t *g, store_standings_src_t *src)
{
	src->total = g->n + (g->lie_total ? 1 : 0);
	src->next = gen_next;
	src->rewind = gen_rewind;
	src->arg = g;
}

static Clusters__V1__RoundStats rs1, rs2, *rsp[2] = {&rs1, &rs2};

/* A run of competition "comp"; inline the first n_inline standings. */
static int put_run(const char *id, gen_t *g, unsigned n_inline,
                   int with_round_stats, store_op_t *op_out)
{
	Clusters__V1__Run r = CLUSTERS__V1__RUN__INIT;
	Clusters__V1__Standing **in = calloc(n_inline + 1, sizeof(*in));
	uint8_t buf[8192];
	size_t len;
	store_standings_src_t src;
	store_op_t op;

	r.id = (char *)id;
	r.competition_id = "comp";
	for (unsigned i = 0; i < n_inline; i++) {
		standing_build(i, g->n, g->with_rounds, g->pad, buf, &len);
		in[i] = clusters__v1__standing__unpack(NULL, len, buf);
	}
	r.standings = in;
	r.n_standings = n_inline;
	clusters__v1__round_stats__init(&rs1);
	clusters__v1__round_stats__init(&rs2);
	rs1.round = "r1";
	rs2.round = "r2";
	if (with_round_stats) {
		r.rounds = rsp;
		r.n_rounds = 2;
	}
	memset(&op, 0, sizeof(op));
	op.kind = STORE_RUN_PUT;
	op.run = &r;
	if (g->per) {
		gen_src(g, &src);
		op.standings = &src;
	}
	int rc = store_apply(st, &op, 1);
	for (unsigned i = 0; i < n_inline; i++)
		clusters__v1__standing__free_unpacked(in[i], NULL);
	free(in);
	if (op_out)
		*op_out = op;
	return rc == CD_OK ? op.rc : rc;
}

/* Does standing i pass f (as the contract defines it)? */
static int expect_match(unsigned i, unsigned n,
                        const store_standings_filter_t *f)
{
	int reached = i < n / 2, sel = i < n / 4;
	int rank = reached ? (int)i + 1 : 0;
	char region[8], id[16];
	snprintf(region, sizeof(region), "r%u", i % 5);
	snprintf(id, sizeof(id), "c%06u", i);
	if (f->n_cluster_ids) {
		size_t k = 0;
		while (k < f->n_cluster_ids && strcmp(f->cluster_ids[k], id))
			k++;
		if (k == f->n_cluster_ids)
			return 0;
	}
	if (f->economy && *f->economy) {
		const char *e = econ_of(i);
		if (strcmp(e, f->economy) &&
		    !(!strcmp(e, "CN/HK") && (!strcmp(f->economy, "CN") ||
		                              !strcmp(f->economy, "HK"))))
			return 0;
	}
	if (f->region && *f->region && strcmp(region, f->region))
		return 0;
	if (f->industry && *f->industry &&
	    strcmp(i % 2 ? "ict" : "bio", f->industry))
		return 0;
	if (f->min_rank && rank < f->min_rank)
		return 0;
	if (f->max_rank && rank > f->max_rank)
		return 0;
	int s = sel;
	if (f->round && !strcmp(f->round, "r1"))
		s = reached;       /* everyone was a candidate of r1 */
	else if (f->round && !strcmp(f->round, "r2")) {
		if (!reached)
			return 0;
	} else if (f->round && *f->round)
		return 0;          /* no such round */
	return f->selected < 0 || s == f->selected;
}

/* Pages through run_id with f and page_size; checks the ids against
 * expect_match; returns how many came and how many pages. */
static size_t page_all(const char *run_id, unsigned n,
                       const store_standings_filter_t *f, size_t page_size,
                       size_t *pages)
{
	char *tok = strdup("");
	size_t got = 0;
	unsigned next = 0;
	*pages = 0;
	for (;;) {
		store_standings_page_t pg;
		assert_int_equal(store_standings_list(st, run_id, f, page_size,
		                                      tok, &pg, err,
		                                      sizeof(err)),
		                 CD_OK);
		(*pages)++;
		Clusters__V1__ListStandingsResponse *r =
			clusters__v1__list_standings_response__unpack(
				NULL, pg.len, pg.data);
		assert_non_null(r);
		assert_int_equal(r->n_standings, pg.n);
		for (size_t k = 0; k < r->n_standings; k++) {
			while (next < n && f && !expect_match(next, n, f))
				next++;
			char id[16];
			snprintf(id, sizeof(id), "c%06u", next++);
			assert_string_equal(r->standings[k]->cluster_id, id);
		}
		got += r->n_standings;
		clusters__v1__list_standings_response__free_unpacked(r, NULL);
		free(tok);
		tok = strdup(pg.next_token);
		store_standings_page_free(&pg);
		if (!*tok)
			break;
		assert_true(*pages < 100000);
	}
	while (next < n && f && !expect_match(next, n, f))
		next++;
	assert_int_equal(next, n);
	free(tok);
	return got;
}

/* The store's own token functions (store_internal.h), to forge tokens
 * of a real query that point where the store never would. */
uint32_t store_token_hash(const char *const *parts, size_t n);
int store_token_encode(char kind, uint32_t qhash, const char *last,
                       char **out);

static store_standings_filter_t nof = {.selected = -1};

static void test_write_and_page(void **state)
{
	(void)state;
	gen_t g = {.n = 2500, .per = 1000, .with_rounds = 1};
	store_run_t *run = NULL;
	size_t pages;

	assert_int_equal(put_run("run-a", &g, 10, 1, NULL), CD_OK);
	assert_true(g.rewinds >= 1);
	assert_int_equal(store_run_get(st, "run-a", 0, &run, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(run->standings_total, 2500);
	store_run_free(run);
	assert_int_equal(store_run_get(st, "run-a", 1, &run, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(run->standings_total, 2500);
	assert_int_equal(run->n_standings, 10);
	store_run_free(run);

	/* Pages that end inside chunks, on their ends, and span them. */
	assert_int_equal(page_all("run-a", 2500, NULL, 700, &pages), 2500);
	assert_int_equal(pages, 4);
	assert_int_equal(page_all("run-a", 2500, &nof, 1000, &pages), 2500);
	assert_int_equal(pages, 3);
	assert_int_equal(page_all("run-a", 2500, NULL, 0, &pages), 2500);
	assert_int_equal(page_all("run-a", 2500, NULL, 1, &pages), 2500);
	assert_int_equal(pages, 2500);
	assert_int_equal(page_all("run-a", 2500, NULL, 99999, &pages), 2500);
	assert_int_equal(pages, 1);
	free(g.buf);
}

static void check_filters(const char *run_id, unsigned n)
{
	const char *econ[] = {NULL, "CN", "HK", "CN/HK", "JP", "US"};
	const char *rounds[] = {NULL, "r1", "r2", "nope"};
	size_t pages;
	for (size_t e = 0; e < 6; e++)
		for (size_t r = 0; r < 4; r++)
			for (int sel = -1; sel <= 1; sel++) {
				store_standings_filter_t f = {
					.round = rounds[r], .selected = sel,
					.economy = econ[e]};
				size_t want = 0;
				for (unsigned i = 0; i < n; i++)
					want += expect_match(i, n, &f);
				assert_int_equal(page_all(run_id, n, &f, 333,
				                          &pages), want);
			}
	store_standings_filter_t f = {.selected = -1, .region = "r3",
	                              .industry = "ict"};
	size_t want = 0;
	for (unsigned i = 0; i < n; i++)
		want += expect_match(i, n, &f);
	assert_true(want > 0);
	assert_int_equal(page_all(run_id, n, &f, 100, &pages), want);
	store_standings_filter_t rk = {.selected = -1, .min_rank = 10,
	                               .max_rank = 20};
	assert_int_equal(page_all(run_id, n, &rk, 4, &pages), 11);
	store_standings_filter_t lo = {.selected = -1, .min_rank = n / 2 - 5};
	assert_int_equal(page_all(run_id, n, &lo, 4, &pages), 6);
	store_standings_filter_t hi = {.selected = 1, .max_rank = 7};
	assert_int_equal(page_all(run_id, n, &hi, 0, &pages), 7);
}

static void test_filters(void **state)
{
	(void)state;
	gen_t g = {.n = 2100, .per = 500, .with_rounds = 1};
	assert_int_equal(put_run("run-f", &g, 0, 1, NULL), CD_OK);
	check_filters("run-f", 2100);
	free(g.buf);
}

/* The cluster ids of a run of n: "c%06u" of each of idx (UINT_MAX: an id
 * no run here holds), in buf. */
typedef struct idlist {
	char buf[16][16];
	const char *p[16];
	size_t n;
} idlist_t;

static void ids_of(idlist_t *l, const unsigned *idx, size_t n)
{
	l->n = n;
	for (size_t k = 0; k < n; k++) {
		if (idx[k] == UINT_MAX)
			snprintf(l->buf[k], sizeof(l->buf[k]), "c999999x");
		else
			snprintf(l->buf[k], sizeof(l->buf[k]), "c%06u",
			         idx[k]);
		l->p[k] = l->buf[k];
	}
}

/* The cluster_ids filter on a run of n (> 100) standings: alone and with
 * every other filter, in any page size, repeated and unknown ids; a page
 * that holds every id asked for is the last. */
static void check_ids(const char *run_id, unsigned n)
{
	const char *econ[] = {NULL, "CN", "HK", "JP"};
	const char *rounds[] = {NULL, "r1", "r2", "nope"};
	/* Across the run and its chunks, out of order, the last standing,
	 * one id twice, one the run does not hold. */
	unsigned spread[] = {n - 1, 0, n / 2, n / 4 - 1, 1, n / 2 - 1, 7,
	                     n / 2, UINT_MAX, n / 4};
	idlist_t l;
	size_t pages;
	ids_of(&l, spread, 10);
	store_standings_filter_t f = {.selected = -1, .cluster_ids = l.p,
	                              .n_cluster_ids = l.n};
	size_t sizes[] = {0, 1, 2, 3, 1000};
	for (size_t k = 0; k < 5; k++)
		assert_int_equal(page_all(run_id, n, &f, sizes[k], &pages), 8);
	for (size_t e = 0; e < 4; e++)
		for (size_t r = 0; r < 4; r++)
			for (int sel = -1; sel <= 1; sel++) {
				store_standings_filter_t g = f;
				g.economy = econ[e];
				g.round = rounds[r];
				g.selected = sel;
				size_t want = 0;
				for (unsigned i = 0; i < n; i++)
					want += expect_match(i, n, &g);
				assert_int_equal(page_all(run_id, n, &g, 2,
				                          &pages), want);
			}
	store_standings_filter_t g = f;
	g.region = "r1";
	g.industry = "ict";
	g.min_rank = 2;
	g.max_rank = n / 2 - 1;
	size_t want = 0;
	for (unsigned i = 0; i < n; i++)
		want += expect_match(i, n, &g);
	assert_true(want > 0 && want < 8);
	assert_int_equal(page_all(run_id, n, &g, 1, &pages), want);

	/* Unknown ids alone: nothing, no error. */
	unsigned none[] = {UINT_MAX, UINT_MAX};
	ids_of(&l, none, 2);
	f.n_cluster_ids = l.n;
	assert_int_equal(page_all(run_id, n, &f, 0, &pages), 0);
	assert_int_equal(pages, 1);

	/* Three clusters (one asked for twice) before the end of the run:
	 * the page that holds the third is the last, even when it is full;
	 * counted without the repeat, or the page would wait for a fourth. */
	unsigned three[] = {n / 2, 1, 7, n / 2};
	ids_of(&l, three, 4);
	f.n_cluster_ids = l.n;
	assert_int_equal(page_all(run_id, n, &f, 1, &pages), 3);
	assert_int_equal(pages, 3);
	assert_int_equal(page_all(run_id, n, &f, 2, &pages), 3);
	assert_int_equal(pages, 2);
	assert_int_equal(page_all(run_id, n, &f, 3, &pages), 3);
	assert_int_equal(pages, 1);
	/* One of them filtered out: no early end, the run is read to its
	 * end (a full page ends with a token, the next one is empty). */
	f.min_rank = 2;
	assert_int_equal(page_all(run_id, n, &f, 2, &pages), 2);
	assert_int_equal(pages, 2);
	assert_int_equal(page_all(run_id, n, &f, 3, &pages), 2);
	assert_int_equal(pages, 1);
}

static void test_ids(void **state)
{
	(void)state;
	gen_t g = {.n = 2100, .per = 500, .with_rounds = 1};
	assert_int_equal(put_run("run-i", &g, 0, 1, NULL), CD_OK);
	check_ids("run-i", 2100);
	free(g.buf);
}

/* Standings without `rounds`: the round filter goes by `round` and the
 * order of the run's rounds (RoundStats). */
static void test_filters_without_rounds(void **state)
{
	(void)state;
	gen_t g = {.n = 1200, .per = 256, .with_rounds = 0};
	assert_int_equal(put_run("run-o", &g, 0, 1, NULL), CD_OK);
	check_filters("run-o", 1200);
	check_ids("run-o", 1200);
	free(g.buf);
}

/* A run stored before the table: its inline standings, paged and
 * filtered the same way; without RoundStats the order of the
 * competition's rounds. */
static void test_old_format(void **state)
{
	(void)state;
	gen_t g = {.n = 900, .per = 0, .with_rounds = 0};
	Clusters__V1__Competition c = CLUSTERS__V1__COMPETITION__INIT;
	Clusters__V1__Round r1 = CLUSTERS__V1__ROUND__INIT, r2 = r1;
	Clusters__V1__Round *rp[2] = {&r1, &r2};
	Clusters__V1__Standing *s = NULL;
	store_run_t *run = NULL;
	size_t pages;

	c.id = "comp";
	c.title = "t";
	r1.name = "r1";
	r2.name = "r2";
	c.rounds = rp;
	c.n_rounds = 2;
	assert_int_equal(store_competition_create(st, &c, NULL, err,
	                                          sizeof(err)), CD_OK);
	assert_int_equal(put_run("old", &g, 900, 0, NULL), CD_OK);
	assert_int_equal(store_run_get(st, "old", 0, &run, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(run->standings_total, 900);
	store_run_free(run);
	assert_int_equal(page_all("old", 900, NULL, 250, &pages), 900);
	assert_int_equal(pages, 4);
	check_filters("old", 900);
	check_ids("old", 900);
	assert_int_equal(store_standing_find(st, "old", "c000899", &s, err,
	                                     sizeof(err)), CD_OK);
	assert_string_equal(s->cluster_id, "c000899");
	clusters__v1__standing__free_unpacked(s, NULL);
	assert_int_equal(store_standing_find(st, "old", "c000900", &s, err,
	                                     sizeof(err)), CD_ENOTFOUND);
	assert_null(s);

	/* A run with no standings at all: one empty page. */
	gen_t none = {.n = 0};
	store_standings_page_t pg;
	assert_int_equal(put_run("empty", &none, 0, 0, NULL), CD_OK);
	assert_int_equal(store_standings_list(st, "empty", NULL, 0, "", &pg,
	                                      err, sizeof(err)), CD_OK);
	assert_int_equal(pg.n, 0);
	assert_string_equal(pg.next_token, "");
	store_standings_page_free(&pg);
}

static void test_tokens(void **state)
{
	(void)state;
	gen_t g = {.n = 300, .per = 100, .with_rounds = 1};
	gen_t h = {.n = 300, .per = 100, .with_rounds = 1};
	store_standings_page_t pg, p2;
	store_standings_filter_t f = {.selected = 1};

	assert_int_equal(put_run("run-t", &g, 0, 1, NULL), CD_OK);
	assert_int_equal(put_run("run-u", &h, 0, 1, NULL), CD_OK);
	assert_int_equal(store_standings_list(st, "run-t", NULL, 150, NULL,
	                                      &pg, err, sizeof(err)), CD_OK);
	assert_string_not_equal(pg.next_token, "");
	/* Another run, other filters. */
	assert_int_equal(store_standings_list(st, "run-u", NULL, 150,
	                                      pg.next_token, &p2, err,
	                                      sizeof(err)), CD_EPAGETOKEN);
	assert_non_null(strstr(err, "page_token"));
	assert_int_equal(store_standings_list(st, "run-t", &f, 150,
	                                      pg.next_token, &p2, err,
	                                      sizeof(err)), CD_EPAGETOKEN);
	/* Tampered: every single character changed. */
	char *t = strdup(pg.next_token);
	for (size_t i = 0; t[i]; i++) {
		char o = t[i];
		t[i] = o == 'A' ? 'B' : 'A';
		int rc = store_standings_list(st, "run-t", NULL, 150, t, &p2,
		                              err, sizeof(err));
		if (rc == CD_OK) /* another position of this query */
			store_standings_page_free(&p2);
		else
			assert_int_equal(rc, CD_EPAGETOKEN);
		t[i] = o;
	}
	free(t);
	assert_int_equal(store_standings_list(st, "run-t", NULL, 150, "!!",
	                                      &p2, err, sizeof(err)),
	                 CD_EPAGETOKEN);
	/* Forged positions of this very query: past the end of a chunk, a
	 * chunk that does not exist, not the encoder's spelling. */
	const char *forged[] = {"0.64", "0.65", "7.0", "00.1", "0.01", "0x1.2",
	                        "1", ".", "1.", "-1.0", "0.-1", "100000000.0"};
	for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
		char *tok = NULL;
		/* The parts the store hashes for this query. */
		const char *parts[8] = {"run-t", "", "-1", "", "", "", "0", "0"};
		assert_int_equal(store_token_encode('s',
		                                    store_token_hash(parts, 8),
		                                    forged[i], &tok), CD_OK);
		assert_int_equal(store_standings_list(st, "run-t", NULL, 150,
		                                      tok, &p2, err,
		                                      sizeof(err)),
		                 CD_EPAGETOKEN);
		free(tok);
	}
	store_standings_page_free(&pg);
	free(g.buf);
	free(h.buf);
}

/* A token of an id set serves that set in any order and with repeats,
 * and no other set, no set at all, nor the set with another filter. */
static void test_ids_tokens(void **state)
{
	(void)state;
	gen_t g = {.n = 300, .per = 100, .with_rounds = 1};
	store_standings_page_t pg, p2;
	const char *xy[] = {"c000010", "c000200"};
	const char *yxx[] = {"c000200", "c000010", "c000010"};
	const char *x[] = {"c000010"};
	const char *xyz[] = {"c000010", "c000200", "c000250"};
	store_standings_filter_t f = {.selected = -1, .cluster_ids = xy,
	                              .n_cluster_ids = 2};

	assert_int_equal(put_run("run-t", &g, 0, 1, NULL), CD_OK);
	assert_int_equal(store_standings_list(st, "run-t", &f, 1, NULL, &pg,
	                                      err, sizeof(err)), CD_OK);
	assert_int_equal(pg.n, 1);
	assert_string_not_equal(pg.next_token, "");
	f.cluster_ids = yxx;
	f.n_cluster_ids = 3;
	assert_int_equal(store_standings_list(st, "run-t", &f, 1,
	                                      pg.next_token, &p2, err,
	                                      sizeof(err)), CD_OK);
	Clusters__V1__ListStandingsResponse *r =
		clusters__v1__list_standings_response__unpack(NULL, p2.len,
		                                              p2.data);
	assert_non_null(r);
	assert_int_equal(r->n_standings, 1);
	assert_string_equal(r->standings[0]->cluster_id, "c000200");
	assert_string_equal(p2.next_token, "");
	clusters__v1__list_standings_response__free_unpacked(r, NULL);
	store_standings_page_free(&p2);

	store_standings_filter_t other[] = {
		{.selected = -1, .cluster_ids = x, .n_cluster_ids = 1},
		{.selected = -1, .cluster_ids = xyz, .n_cluster_ids = 3},
		{.selected = -1},
		{.selected = -1, .cluster_ids = xy, .n_cluster_ids = 2,
		 .region = "r0"},
	};
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		assert_int_equal(store_standings_list(st, "run-t", &other[i], 1,
		                                      pg.next_token, &p2, err,
		                                      sizeof(err)),
		                 CD_EPAGETOKEN);
		assert_non_null(strstr(err, "page_token"));
	}
	/* Forged positions of this very set: without the count of ids
	 * found, a count of all of them or more, not the encoder's spelling;
	 * a count of none is one the store could have given. */
	const char *parts[10] = {"run-t", "", "-1", "", "", "", "0", "0",
	                         "c000010", "c000200"};
	const char *forged[] = {"0.b", "0.b.2", "0.b.3", "0.b.01", "0.b.",
	                        "0.b.-1", "0.b. 1", "0.b.1.0", "0.b.0x1"};
	uint32_t qh = store_token_hash(parts, 10);
	for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
		char *tok = NULL;
		assert_int_equal(store_token_encode('s', qh, forged[i], &tok),
		                 CD_OK);
		assert_int_equal(store_standings_list(st, "run-t", &f, 1, tok,
		                                      &p2, err, sizeof(err)),
		                 CD_EPAGETOKEN);
		free(tok);
	}
	char *tok = NULL;
	assert_int_equal(store_token_encode('s', qh, "0.b.0", &tok), CD_OK);
	assert_int_equal(store_standings_list(st, "run-t", &f, 10, tok, &p2,
	                                      err, sizeof(err)), CD_OK);
	assert_int_equal(p2.n, 1);   /* c000010 (index 10) is before it */
	store_standings_page_free(&p2);
	free(tok);

	store_standings_page_free(&pg);
	/* Nor does a token of the query without ids serve one with them. */
	assert_int_equal(store_standings_list(st, "run-t", NULL, 1, NULL, &pg,
	                                      err, sizeof(err)), CD_OK);
	f.cluster_ids = xy;
	f.n_cluster_ids = 2;
	assert_int_equal(store_standings_list(st, "run-t", &f, 1,
	                                      pg.next_token, &p2, err,
	                                      sizeof(err)), CD_EPAGETOKEN);
	store_standings_page_free(&pg);
	free(g.buf);
}

static void test_errors(void **state)
{
	(void)state;
	store_standings_page_t pg;
	Clusters__V1__Standing *s = NULL;
	gen_t g = {.n = 10, .per = 4, .with_rounds = 1};
	assert_int_equal(put_run("run-e", &g, 0, 1, NULL), CD_OK);

	assert_int_equal(store_standings_list(st, "nope", NULL, 0, "", &pg,
	                                      err, sizeof(err)), CD_ENOTFOUND);
	assert_non_null(strstr(err, "nope"));
	assert_int_equal(store_standings_list(st, "Bad Id", NULL, 0, "", &pg,
	                                      err, sizeof(err)), CD_EV_ID);
	assert_non_null(strstr(err, "run_id"));
	store_standings_filter_t f = {.selected = -1, .min_rank = 5,
	                              .max_rank = 4};
	assert_int_equal(store_standings_list(st, "run-e", &f, 0, "", &pg,
	                                      err, sizeof(err)), CD_EINVAL);
	assert_non_null(strstr(err, "min_rank"));
	f.min_rank = -1;
	f.max_rank = 0;
	assert_int_equal(store_standings_filter_check(&f, err, sizeof(err)),
	                 CD_EINVAL);
	assert_non_null(strstr(err, "min_rank"));
	f.min_rank = 0;
	f.max_rank = -3;
	assert_int_equal(store_standings_filter_check(&f, err, sizeof(err)),
	                 CD_EINVAL);
	assert_non_null(strstr(err, "max_rank"));
	f.max_rank = 0;
	f.selected = 2;
	assert_int_equal(store_standings_filter_check(&f, err, sizeof(err)),
	                 CD_EINVAL);
	f.selected = -1;
	char big[200];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	f.region = big;
	assert_int_equal(store_standings_filter_check(&f, err, sizeof(err)),
	                 CD_EINVAL);
	assert_non_null(strstr(err, "region"));
	assert_int_equal(store_standings_filter_check(NULL, err, sizeof(err)),
	                 CD_OK);

	/* cluster_ids: at most 1000 (repeats count), each a valid id. */
	static char idbuf[STORE_STANDINGS_IDS_MAX + 1][16];
	static const char *ids[STORE_STANDINGS_IDS_MAX + 1];
	for (size_t i = 0; i <= STORE_STANDINGS_IDS_MAX; i++) {
		snprintf(idbuf[i], sizeof(idbuf[i]), "c%06zu", i % 7);
		ids[i] = idbuf[i];
	}
	store_standings_filter_t fi = {.selected = -1, .cluster_ids = ids,
	                               .n_cluster_ids =
	                                       STORE_STANDINGS_IDS_MAX + 1};
	assert_int_equal(store_standings_list(st, "run-e", &fi, 0, "", &pg,
	                                      err, sizeof(err)), CD_EINVAL);
	assert_string_equal(err, "cluster_ids: 1001 ids, at most 1000");
	fi.n_cluster_ids = STORE_STANDINGS_IDS_MAX;
	assert_int_equal(store_standings_list(st, "run-e", &fi, 0, "", &pg,
	                                      err, sizeof(err)), CD_OK);
	assert_int_equal(pg.n, 7);
	assert_string_equal(pg.next_token, "");
	store_standings_page_free(&pg);
	const char *bad[] = {"", "C1", "a b", "-x"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *two[] = {"c000001", bad[i]};
		fi.cluster_ids = two;
		fi.n_cluster_ids = 2;
		assert_int_equal(store_standings_list(st, "run-e", &fi, 0, "",
		                                      &pg, err, sizeof(err)),
		                 CD_EV_ID);
		assert_true(!strncmp(err, "cluster_ids[1]: ", 16));
		assert_int_equal(store_standings_filter_check(&fi, err,
		                                              sizeof(err)),
		                 CD_EV_ID);
	}
	char longid[STORE_ID_MAX + 2];
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = 0;
	ids[0] = longid;
	fi.cluster_ids = ids;
	fi.n_cluster_ids = 1;
	assert_int_equal(store_standings_filter_check(&fi, err, sizeof(err)),
	                 CD_EV_ID);
	assert_true(!strncmp(err, "cluster_ids[0]: ", 16));
	fi.cluster_ids = NULL;
	assert_int_equal(store_standings_filter_check(&fi, err, sizeof(err)),
	                 CD_EINVAL);
	assert_non_null(strstr(err, "cluster_ids"));

	assert_int_equal(store_standing_find(st, "nope", "c000001", &s, err,
	                                     sizeof(err)), CD_ENOTFOUND);
	assert_int_equal(store_standing_find(st, "run-e", "Bad Id", &s, err,
	                                     sizeof(err)), CD_EV_ID);
	free(g.buf);
}

static void test_find(void **state)
{
	(void)state;
	gen_t g = {.n = 3000, .per = 1000, .with_rounds = 1, .pad = 200};
	Clusters__V1__Standing *s = NULL;
	assert_int_equal(put_run("run-x", &g, 0, 1, NULL), CD_OK);
	const char *ids[] = {"c000000", "c000999", "c001000", "c002999",
	                     "c001500"};
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(store_standing_find(st, "run-x", ids[i], &s,
		                                     err, sizeof(err)), CD_OK);
		assert_string_equal(s->cluster_id, ids[i]);
		assert_int_equal(s->n_rounds, 2);
		assert_int_equal(s->rounds[0]->n_scores, 5);
		clusters__v1__standing__free_unpacked(s, NULL);
	}
	/* A prefix of an id, an id past the end. */
	assert_int_equal(store_standing_find(st, "run-x", "c00000", &s, err,
	                                     sizeof(err)), CD_ENOTFOUND);
	assert_non_null(strstr(err, "c00000"));
	assert_int_equal(store_standing_find(st, "run-x", "c003000", &s, err,
	                                     sizeof(err)), CD_ENOTFOUND);
	free(g.buf);
}

/* Deleting a run removes its chunks: a new run of the same id without
 * standings reads its own (inline) ones. Neighbours keep theirs. */
static void test_delete(void **state)
{
	(void)state;
	gen_t g = {.n = 2000, .per = 300, .with_rounds = 1};
	gen_t n2 = {.n = 2000, .per = 300, .with_rounds = 1};
	gen_t inl = {.n = 5, .per = 0, .with_rounds = 1};
	size_t pages;
	assert_int_equal(put_run("run-d", &g, 0, 1, NULL), CD_OK);
	assert_int_equal(put_run("run-d2", &n2, 0, 1, NULL), CD_OK);
	assert_int_equal(put_run("run-d", &g, 0, 1, NULL), CD_EEXISTS);
	assert_int_equal(store_run_delete(st, "run-d", err, sizeof(err)),
	                 CD_OK);
	store_standings_page_t pg;
	assert_int_equal(store_standings_list(st, "run-d", NULL, 0, "", &pg,
	                                      err, sizeof(err)), CD_ENOTFOUND);
	assert_int_equal(put_run("run-d", &inl, 5, 1, NULL), CD_OK);
	assert_int_equal(page_all("run-d", 5, NULL, 2, &pages), 5);
	assert_int_equal(page_all("run-d2", 2000, NULL, 1000, &pages), 2000);
	assert_int_equal(store_run_delete(st, "run-d2", err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(store_run_delete(st, "run-d", err, sizeof(err)),
	                 CD_OK);
	free(g.buf);
	free(n2.buf);
}

static int run_update_state(const char *id, int state, int64_t written)
{
	Clusters__V1__Run r = CLUSTERS__V1__RUN__INIT;
	r.id = (char *)id;
	r.competition_id = "comp";
	r.state = state;
	store_op_t op;
	memset(&op, 0, sizeof(op));
	op.kind = STORE_RUN_UPDATE;
	op.run = &r;
	op.standings_written = written;
	int rc = store_apply(st, &op, 1);
	return rc == CD_OK ? op.rc : rc;
}

/* One STORE_RUN_STANDINGS batch: standings [from, to) of g as chunks
 * first_chunk on. */
static int run_batch(const char *id, gen_t *g, unsigned from, unsigned to,
                     uint32_t first_chunk)
{
	store_standings_src_t src;
	g->start = g->i = from;
	g->end = to;
	gen_src(g, &src);
	src.total = to - from;
	store_op_t op;
	memset(&op, 0, sizeof(op));
	op.kind = STORE_RUN_STANDINGS;
	op.id = id;
	op.standings = &src;
	op.chunk_first = first_chunk;
	int rc = store_apply(st, &op, 1);
	return rc == CD_OK ? op.rc : rc;
}

/* A run job's standings in batches, one transaction each, while it runs;
 * its end makes them its own, or (cancelled, failed) removes them. */
static void test_batches(void **state)
{
	(void)state;
	gen_t g = {.n = 2500, .per = 300, .with_rounds = 1};
	size_t pages;
	store_standings_page_t pg;
	Clusters__V1__Run r = CLUSTERS__V1__RUN__INIT;
	r.id = "run-b";
	r.competition_id = "comp";
	r.state = CLUSTERS__V1__RUN_STATE__RUN_STATE_RUNNING;
	assert_int_equal(store_run_put(st, &r, err, sizeof(err)), CD_OK);
	/* 300 per chunk: 0..1199 are chunks 0-3, 1200..2399 4-7. */
	assert_int_equal(run_batch("run-b", &g, 0, 1200, 0), CD_OK);
	/* Half-written: no answer yet. */
	assert_int_equal(store_standings_list(st, "run-b", NULL, 0, "", &pg,
	                                      err, sizeof(err)),
	                 CD_EPRECONDITION);
	assert_non_null(strstr(err, "is RUNNING"));
	assert_int_equal(run_batch("run-b", &g, 1200, 2400, 4), CD_OK);
	assert_int_equal(run_batch("run-b", &g, 2400, 2500, 8), CD_OK);
	assert_int_equal(run_update_state("run-b",
	                 CLUSTERS__V1__RUN_STATE__RUN_STATE_SUCCEEDED, 2500),
	                 CD_OK);
	assert_int_equal(page_all("run-b", 2500, NULL, 700, &pages), 2500);
	assert_int_equal(pages, 4);
	store_run_t *got;
	assert_int_equal(store_run_get(st, "run-b", 0, &got, err,
	                               sizeof(err)), CD_OK);
	assert_int_equal(got->standings_total, 2500);
	store_run_free(got);
	/* Ended: no more batches. */
	assert_int_equal(run_batch("run-b", &g, 0, 300, 0), CD_EPRECONDITION);
	assert_int_equal(run_batch("nosuch", &g, 0, 300, 0), CD_ENOTFOUND);

	/* Cancelled after one batch: its standings go with the end; a
	 * first batch (chunk 0) replaces leftovers. */
	r.id = "run-c";
	assert_int_equal(store_run_put(st, &r, err, sizeof(err)), CD_OK);
	assert_int_equal(run_batch("run-c", &g, 0, 900, 0), CD_OK);
	assert_int_equal(run_batch("run-c", &g, 0, 600, 0), CD_OK);
	assert_int_equal(run_update_state("run-c",
	                 CLUSTERS__V1__RUN_STATE__RUN_STATE_CANCELLED, 0),
	                 CD_OK);
	assert_int_equal(page_all("run-c", 0, NULL, 700, &pages), 0);
	/* The batches of run-b are untouched. */
	assert_int_equal(page_all("run-b", 2500, NULL, 2500, &pages), 2500);
	/* A batch whose source fails leaves nothing of the run's. */
	r.id = "run-f";
	assert_int_equal(store_run_put(st, &r, err, sizeof(err)), CD_OK);
	assert_int_equal(run_batch("run-f", &g, 0, 600, 0), CD_OK);
	g.fail_at = 4;
	assert_int_equal(run_batch("run-f", &g, 600, 1200, 2), CD_EINTERNAL);
	g.fail_at = 0;
	assert_int_equal(run_update_state("run-f",
	                 CLUSTERS__V1__RUN_STATE__RUN_STATE_SUCCEEDED, 0),
	                 CD_OK);
	assert_int_equal(page_all("run-f", 0, NULL, 700, &pages), 0);
	free(g.buf);
}

/* A source that fails, lies about a chunk's count or the total, or
 * cannot rewind: the op fails, nothing of the run is written. */
static void test_source_errors(void **state)
{
	(void)state;
	store_op_t op;
	store_standings_page_t pg;
	gen_t a = {.n = 500, .per = 100, .with_rounds = 1, .fail_at = 3};
	assert_int_equal(put_run("bad", &a, 0, 1, &op), CD_EINTERNAL);
	assert_non_null(strstr(op.err, "gave up at chunk 2"));
	gen_t b = {.n = 500, .per = 100, .with_rounds = 1, .lie_count = 1};
	assert_int_equal(put_run("bad", &b, 0, 1, &op), CD_EINTERNAL);
	assert_non_null(strstr(op.err, "claims"));
	gen_t c = {.n = 500, .per = 100, .with_rounds = 1, .lie_total = 1};
	assert_int_equal(put_run("bad", &c, 0, 1, &op), CD_EINTERNAL);
	assert_non_null(strstr(op.err, "announced"));
	assert_int_equal(store_standings_list(st, "bad", NULL, 0, "", &pg,
	                                      err, sizeof(err)), CD_ENOTFOUND);

	/* No rewind. */
	Clusters__V1__Run r = CLUSTERS__V1__RUN__INIT;
	store_standings_src_t src = {.total = 0, .next = gen_next};
	r.id = "bad";
	r.competition_id = "comp";
	memset(&op, 0, sizeof(op));
	op.kind = STORE_RUN_PUT;
	op.run = &r;
	op.standings = &src;
	assert_int_equal(store_apply(st, &op, 1), CD_OK);
	assert_int_equal(op.rc, CD_EINVAL);

	free(a.buf);
	free(b.buf);
	free(c.buf);

	/* Then a good write of the same id works. */
	gen_t ok = {.n = 500, .per = 100, .with_rounds = 1};
	size_t pages;
	assert_int_equal(put_run("bad", &ok, 0, 1, NULL), CD_OK);
	assert_int_equal(page_all("bad", 500, NULL, 0, &pages), 500);
	free(ok.buf);
}

static int junk_next(void *arg, const uint8_t **data, size_t *len,
                     size_t *count, char *e, size_t elen)
{
	static const uint8_t junk[] = {0x0a, 0x05, 'x'};
	int *done = arg;
	(void)e;
	(void)elen;
	*data = junk;
	*len = (*done)++ ? 0 : sizeof(junk);
	*count = 1;
	return CD_OK;
}

static int junk_rewind(void *arg)
{
	*(int *)arg = 0;
	return CD_OK;
}

static void test_malformed_chunk(void **state)
{
	(void)state;
	int done = 0;
	store_standings_src_t src = {1, junk_next, junk_rewind, &done};
	Clusters__V1__Run r = CLUSTERS__V1__RUN__INIT;
	store_op_t op;
	r.id = "junk";
	r.competition_id = "comp";
	memset(&op, 0, sizeof(op));
	op.kind = STORE_RUN_PUT;
	op.run = &r;
	op.standings = &src;
	assert_int_equal(store_apply(st, &op, 1), CD_OK);
	assert_int_equal(op.rc, CD_EINTERNAL);
	assert_non_null(strstr(op.err, "chunk 0"));
}

/* A run over STORE_STANDINGS_SCAN_MAX standings (small ones): a page of
 * the ids filter stops at the bound with a token, even empty, and the
 * next goes on from there; ids all found before the bound end the first
 * page without one. */
static void test_ids_scan_bound(void **state)
{
	(void)state;
	const unsigned m = STORE_STANDINGS_SCAN_MAX, n = m + 1000;
	gen_t g = {.n = n, .per = STORE_STANDINGS_CHUNK_COUNT};
	store_standings_page_t pg;
	idlist_t l;
	size_t pages;
	assert_int_equal(put_run("run-big", &g, 0, 0, NULL), CD_OK);

	store_standings_filter_t f = {.selected = -1, .cluster_ids = l.p};
	unsigned past[] = {m + 500};
	ids_of(&l, past, 1);
	f.n_cluster_ids = l.n;
	assert_int_equal(store_standings_list(st, "run-big", &f, 0, "", &pg,
	                                      err, sizeof(err)), CD_OK);
	assert_int_equal(pg.n, 0);
	assert_string_not_equal(pg.next_token, "");
	store_standings_page_free(&pg);
	assert_int_equal(page_all("run-big", n, &f, 0, &pages), 1);
	assert_int_equal(pages, 2);

	unsigned both[] = {10, m + 500};
	ids_of(&l, both, 2);
	f.n_cluster_ids = l.n;
	assert_int_equal(page_all("run-big", n, &f, 0, &pages), 2);
	assert_int_equal(pages, 2);
	/* The last one the first page examines, the first it does not. */
	unsigned edge[] = {m, m - 1};
	ids_of(&l, edge, 2);
	f.n_cluster_ids = l.n;
	assert_int_equal(page_all("run-big", n, &f, 0, &pages), 2);
	assert_int_equal(pages, 2);
	unsigned across[] = {n - 1, m, 5, m - 1, n - 2};
	ids_of(&l, across, 5);
	f.n_cluster_ids = l.n;
	assert_int_equal(page_all("run-big", n, &f, 1, &pages), 5);
	assert_int_equal(page_all("run-big", n, &f, 2, &pages), 5);

	/* Ranks 1 to 5: the sixth ends the scan; one page, no token. */
	store_standings_filter_t top = {.selected = -1, .min_rank = 1,
	                                .max_rank = 5};
	assert_int_equal(store_standings_list(st, "run-big", &top, 0, "", &pg,
	                                      err, sizeof(err)), CD_OK);
	assert_int_equal(pg.n, 5);
	assert_string_equal(pg.next_token, "");
	store_standings_page_free(&pg);
	/* Without min_rank the unranked (rank 0, stored last) match too: the
	 * scan goes on past the bound to them. */
	store_standings_filter_t upto = {.selected = -1, .max_rank = 5};
	assert_int_equal(page_all("run-big", n, &upto, 0, &pages), 5 + (n - n / 2));
	assert_true(pages >= 2);

	/* All before the bound: one page, not a second one scanning on. */
	unsigned early[] = {20, 10, 20};
	ids_of(&l, early, 3);
	f.n_cluster_ids = l.n;
	assert_int_equal(page_all("run-big", n, &f, 0, &pages), 2);
	assert_int_equal(pages, 1);
	free(g.buf);
}

/* Big standings: a page stops at STORE_STANDINGS_PAGE_BYTES; the map
 * grows under the write (the batch is replayed: the source rewinds). */
static void test_page_bytes(void **state)
{
	(void)state;
	gen_t g = {.n = 6000, .per = 1024, .with_rounds = 1, .pad = 1000};
	store_standings_page_t pg;
	store_stats_t stats;
	size_t pages;
	store_close(st);
	fx_rmdir(dir);
	dir = fx_tmpdir();
	st = fx_open(dir, 1 << 20);
	assert_int_equal(put_run("run-b", &g, 0, 1, NULL), CD_OK);
	assert_true(g.rewinds > 1);
	assert_int_equal(store_stats(st, &stats), CD_OK);
	assert_true(stats.grow_count > 0);
	assert_int_equal(store_standings_list(st, "run-b", NULL, 10000, "",
	                                      &pg, err, sizeof(err)), CD_OK);
	assert_true(pg.len <= STORE_STANDINGS_PAGE_BYTES);
	assert_true(pg.n < 6000 && pg.n > 1000);
	assert_string_not_equal(pg.next_token, "");
	store_standings_page_free(&pg);
	assert_int_equal(page_all("run-b", 6000, NULL, 10000, &pages), 6000);
	assert_true(pages >= 2);
	free(g.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_and_page, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filters_without_rounds,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_old_format, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_errors, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_chunk, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_page_bytes, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ids_tokens, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_ids_scan_bound, setup,
		                                teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
