/*
 * bench_standings — reading every standing of a 1,000,000-cluster run.
 *
 *   bench_standings load DIR N
 *       writes run "bench" with N synthetic standings through the store
 *       API (store_apply, STORE_RUN_PUT with a chunk source): each with
 *       name, economy, region, industry, rank, score, and one or two
 *       RoundStandings of 5 CriterionScores and a Decision with its text.
 *   bench_standings run CLUSTERD DIR N ROUNDS [PAGE_SIZE]
 *       starts CLUSTERD on DIR (ephemeral port, no plugins) and, ROUNDS
 *       times, alternating which goes first:
 *       - baseline: the same chunks read in this process with a raw LMDB
 *         read-only cursor and decoded with protobuf-c into the same kind
 *         of arena the client uses (no gRPC, no server);
 *       - client: every page through the C client library
 *         (cc_standings_pager, PAGE_SIZE per page, default 10000);
 *       then prints medians, min-max and the ratio client / baseline.
 *   bench_standings page ADDR N [PAGE_SIZE]
 *       one pass of the client against a clusterd already serving the
 *       data at ADDR (for instruction counts: valgrind --tool=callgrind on
 *       this, or on that clusterd, minus a run with N = 0 pages read).
 *   bench_standings scan DIR N
 *       one pass of the baseline (the same, for its instruction count).
 *
 * Both sides check they saw N standings and the same sum of ranks.
 * Thread-safety: single-threaded program (clusterd is a child process).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <lmdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cc_client.h"
#include "store.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ load */

static const char *const econ[] = {"CN", "US", "DE", "JP", "CN/HK", "FR",
                                   "KR", "GB"};
static const char *const industry[] = {"biotech", "semiconductors",
                                       "automotive", "software",
                                       "chemicals", "aerospace"};
static const char *const crit[] = {"revenue", "rd_spend", "patents",
                                   "growth", "specialization"};

typedef struct gen {
	unsigned n, i;
	uint8_t *buf;
	size_t cap;
} gen_t;

static size_t build(unsigned i, unsigned n, uint8_t *out)
{
	Clusters__V1__Standing s = CLUSTERS__V1__STANDING__INIT;
	Clusters__V1__RoundStanding r[2] = {CLUSTERS__V1__ROUND_STANDING__INIT,
	                                    CLUSTERS__V1__ROUND_STANDING__INIT};
	Clusters__V1__RoundStanding *rp[2] = {&r[0], &r[1]};
	Clusters__V1__Decision d[2] = {CLUSTERS__V1__DECISION__INIT,
	                               CLUSTERS__V1__DECISION__INIT};
	Clusters__V1__CriterionScore cs[2][5], *csp[2][5];
	char id[24], name[48], region[24], text[2][96];
	unsigned second = n / 10; /* the first tenth reach round 2 */
	int two = i < second;

	snprintf(id, sizeof(id), "cl-%07u", i);
	snprintf(name, sizeof(name), "Synthetic industrial cluster %u", i);
	snprintf(region, sizeof(region), "Region %u", i % 97);
	s.cluster_id = id;
	s.name = name;
	s.economy = (char *)econ[i % 8];
	s.region = region;
	s.industry = (char *)industry[i % 6];
	s.rank = (int)i + 1;
	s.score = 1000.0 / (i + 1);
	s.selected = i < n / 100;
	s.round = two ? "final" : "screening";
	for (int k = 0; k < 2; k++) {
		for (int j = 0; j < 5; j++) {
			clusters__v1__criterion_score__init(&cs[k][j]);
			cs[k][j].criterion = (char *)crit[j];
			cs[k][j].raw = i * 1.5 + j;
			cs[k][j].normalized = (i % 1000) / 1000.0;
			cs[k][j].weighted = cs[k][j].normalized * 0.2;
			csp[k][j] = &cs[k][j];
		}
		r[k].scores = csp[k];
		r[k].n_scores = 5;
		r[k].rank = (int)i + 1;
		r[k].score = s.score;
		r[k].decision = &d[k];
	}
	r[0].round = "screening";
	r[0].selected = two;
	d[0].code = two ? CLUSTERS__V1__DECISION_CODE__DECISION_CODE_SELECTED_BY_SCORE
	                : CLUSTERS__V1__DECISION_CODE__DECISION_CODE_OUTSIDE_TOP_N;
	d[0].top_n = (int)second;
	snprintf(text[0], sizeof(text[0]), two ? "selected: rank %u of %u"
	         : "outside top_n %u: rank %u", two ? i + 1 : second,
	         two ? n : i + 1);
	d[0].text = text[0];
	r[1].round = "final";
	r[1].selected = s.selected;
	d[1].code = s.selected
	            ? CLUSTERS__V1__DECISION_CODE__DECISION_CODE_SELECTED_BY_SCORE
	            : CLUSTERS__V1__DECISION_CODE__DECISION_CODE_OUTSIDE_TOP_N;
	snprintf(text[1], sizeof(text[1]), "final rank %u", i + 1);
	d[1].text = text[1];
	s.rounds = rp;
	s.n_rounds = two ? 2 : 1;
	return clusters__v1__standing__pack(&s, out);
}

static int gen_rewind(void *arg)
{
	((gen_t *)arg)->i = 0;
	return CD_OK;
}

static int gen_next(void *arg, const uint8_t **data, size_t *len,
                    size_t *count, char *err, size_t errlen)
{
	gen_t *g = arg;
	uint8_t tmp[4096];
	(void)err;
	(void)errlen;
	*len = *count = 0;
	while (g->i < g->n && *count < STORE_STANDINGS_CHUNK_COUNT &&
	       *len < STORE_STANDINGS_CHUNK_TARGET) {
		size_t sl = build(g->i, g->n, tmp);
		if (g->cap - *len < sl + 8) {
			g->cap = g->cap ? g->cap * 2 : 1 << 20;
			g->buf = realloc(g->buf, g->cap);
		}
		g->buf[(*len)++] = 0x0a;
		for (size_t v = sl;; v >>= 7) {
			g->buf[(*len)++] = (uint8_t)(v < 0x80 ? v : (v & 0x7f) | 0x80);
			if (v < 0x80)
				break;
		}
		memcpy(g->buf + *len, tmp, sl);
		*len += sl;
		(*count)++;
		g->i++;
	}
	*data = g->buf;
	return CD_OK;
}

static int load(const char *dir, unsigned n)
{
	store_opts_t o = {.map_size = (size_t)4 << 30, .nosync = 1};
	store_t *st;
	char err[256];
	if (store_open(&st, dir, &o, err, sizeof(err)) != CD_OK) {
		fprintf(stderr, "bench_standings: %s\n", err);
		return 1;
	}
	gen_t g = {.n = n};
	store_standings_src_t src = {n, gen_next, gen_rewind, &g};
	Clusters__V1__Run r = CLUSTERS__V1__RUN__INIT;
	r.id = "bench";
	r.competition_id = "bench";
	store_op_t op;
	memset(&op, 0, sizeof(op));
	op.kind = STORE_RUN_PUT;
	op.run = &r;
	op.standings = &src;
	double t0 = now_s();
	int rc = store_apply(st, &op, 1);
	double t = now_s() - t0;
	if (rc == CD_OK)
		rc = op.rc;
	if (rc != CD_OK)
		fprintf(stderr, "bench_standings: load: %s\n", op.err);
	else {
		size_t one = build(n / 20, n, (uint8_t[4096]){0});
		size_t last = build(n - 1, n, (uint8_t[4096]){0});
		printf("loaded %u standings in %.2f s (packed Standing %zu "
		       "bytes with 2 rounds, %zu with 1)\n", n, t, one, last);
	}
	free(g.buf);
	store_close(st);
	return rc != CD_OK;
}

/* ---------------------------------------------------------------- arena */

typedef struct arena {
	char *p;
	size_t cap, used;
	size_t overflow; /* bytes asked beyond cap: grow at the next reset */
} arena_t;

static void *a_alloc(void *ud, size_t n)
{
	arena_t *a = ud;
	n = (n + 15) & ~(size_t)15;
	if (a->cap - a->used < n) {
		a->overflow += n;
		return malloc(n); /* leaked until exit: only while warming up */
	}
	void *r = a->p + a->used;
	a->used += n;
	return r;
}

static void a_free(void *ud, void *p)
{
	(void)ud;
	(void)p;
}

static void a_reset(arena_t *a)
{
	if (a->overflow) {
		free(a->p);
		a->cap = (a->cap + a->overflow) * 2;
		a->p = malloc(a->cap);
		a->overflow = 0;
	}
	a->used = 0;
}

/* -------------------------------------------------------------- baseline */

static int baseline(const char *dir, uint64_t *count, uint64_t *ranks)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_cursor *cur;
	MDB_val k, v;
	static arena_t ar;
	ProtobufCAllocator alloc = {a_alloc, a_free, &ar};
	const char prefix[] = "bench"; /* + 0x00 */
	int rc;

	*count = *ranks = 0;
	if ((rc = mdb_env_create(&env)) ||
	    (rc = mdb_env_set_maxdbs(env, 16)) ||
	    (rc = mdb_env_set_mapsize(env, (size_t)8 << 30)) ||
	    (rc = mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS, 0600)) ||
	    (rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) ||
	    (rc = mdb_dbi_open(txn, "standings", 0, &dbi)) ||
	    (rc = mdb_cursor_open(txn, dbi, &cur))) {
		fprintf(stderr, "bench_standings: lmdb: %s\n", mdb_strerror(rc));
		return 1;
	}
	k.mv_data = (void *)prefix;
	k.mv_size = sizeof(prefix); /* with its 0 */
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != sizeof(prefix) + 4 ||
		    memcmp(k.mv_data, prefix, sizeof(prefix)))
			break;
		a_reset(&ar);
		Clusters__V1__ListStandingsResponse *r =
			clusters__v1__list_standings_response__unpack(
				&alloc, v.mv_size, v.mv_data);
		if (!r) {
			fprintf(stderr, "bench_standings: a chunk does not decode\n");
			return 1;
		}
		for (size_t i = 0; i < r->n_standings; i++)
			*ranks += (uint64_t)r->standings[i]->rank;
		*count += r->n_standings;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return 0;
}

/* ---------------------------------------------------------------- client */

static int client(cc_client_t *c, int page_size, uint64_t *count,
                  uint64_t *ranks, size_t *pages)
{
	Clusters__V1__ListStandingsRequest req =
		CLUSTERS__V1__LIST_STANDINGS_REQUEST__INIT;
	const Clusters__V1__ListStandingsResponse *pg;
	cc_status_t st;
	int rc;
	req.run_id = "bench";
	req.page_size = page_size;
	*count = *ranks = 0;
	*pages = 0;
	cc_standings_pager_t *p = cc_standings_pager_open(c, NULL, &req);
	while ((rc = cc_standings_pager_next(p, &pg, &st)) == CC_OK && pg) {
		for (size_t i = 0; i < pg->n_standings; i++)
			*ranks += (uint64_t)pg->standings[i]->rank;
		*count += pg->n_standings;
		(*pages)++;
	}
	cc_standings_pager_close(p);
	if (rc != CC_OK)
		fprintf(stderr, "bench_standings: ListStandings: %s: %s\n",
		        cc_status_name(rc), st.message);
	return rc;
}

/* --------------------------------------------------------------- server */

static pid_t start_server(const char *bin, const char *dir, char *addr,
                          size_t cap)
{
	char pf[4096];
	snprintf(pf, sizeof(pf), "%s.port", dir);
	unlink(pf);
	pid_t pid = fork();
	if (pid == 0) {
		execl(bin, bin, "--listen", "127.0.0.1:0", "--port-file", pf,
		      "--data-dir", dir, "--plugin-dir", "", "--log-level",
		      "warn", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 600; i++) {
		FILE *f = fopen(pf, "r");
		int port = 0;
		if (f) {
			if (fscanf(f, "%d", &port) != 1)
				port = 0;
			fclose(f);
		}
		if (port > 0) {
			snprintf(addr, cap, "127.0.0.1:%d", port);
			unlink(pf);
			return pid;
		}
		usleep(50000);
	}
	kill(pid, SIGTERM);
	return -1;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int run(const char *bin, const char *dir, unsigned n, int rounds,
               int page_size)
{
	char addr[64], err[256];
	double la[3] = {0};
	double *bl = calloc((size_t)rounds, sizeof(double));
	double *cl = calloc((size_t)rounds, sizeof(double));
	double *ra = calloc((size_t)rounds, sizeof(double));
	cc_client_t *c;

	if (getloadavg(la, 3) < 0)
		la[0] = la[1] = la[2] = -1;
	printf("load average before: %.2f %.2f %.2f\n", la[0], la[1], la[2]);
	pid_t pid = start_server(bin, dir, addr, sizeof(addr));
	if (pid < 0 || cc_client_open(&c, addr, err, sizeof(err)) != CC_OK) {
		fprintf(stderr, "bench_standings: no server\n");
		return 1;
	}
	cc_client_set_timeout(c, 600000);
	uint64_t bc, br, ccount, cr;
	size_t pages;
	/* Warm-up: page cache and both paths once. */
	if (baseline(dir, &bc, &br) ||
	    client(c, page_size, &ccount, &cr, &pages) != CC_OK)
		goto fail;
	for (int r = 0; r < rounds; r++) {
		for (int side = 0; side < 2; side++) {
			int which = (side + r) % 2; /* alternate the order */
			double t0 = now_s();
			if (which == 0) {
				if (baseline(dir, &bc, &br))
					goto fail;
				bl[r] = now_s() - t0;
			} else {
				if (client(c, page_size, &ccount, &cr, &pages))
					goto fail;
				cl[r] = now_s() - t0;
			}
		}
		if (bc != n || ccount != n || br != cr) {
			fprintf(stderr, "bench_standings: counts differ: baseline "
			        "%" PRIu64 " client %" PRIu64 "\n", bc, ccount);
			goto fail;
		}
		ra[r] = cl[r] / bl[r];
		printf("round %d: baseline %.3f s (%.0f/s), client %.3f s "
		       "(%.0f/s, %zu pages), ratio %.2f\n", r + 1, bl[r],
		       n / bl[r], cl[r], n / cl[r], pages, ra[r]);
	}
	double bmin = bl[0], bmax = bl[0], cmin = cl[0], cmax = cl[0];
	for (int r = 1; r < rounds; r++) {
		bmin = bl[r] < bmin ? bl[r] : bmin;
		bmax = bl[r] > bmax ? bl[r] : bmax;
		cmin = cl[r] < cmin ? cl[r] : cmin;
		cmax = cl[r] > cmax ? cl[r] : cmax;
	}
	double bm = median(bl, rounds), cm = median(cl, rounds);
	double rm = median(ra, rounds);
	printf("median of %d rounds, %u standings, page_size %d:\n", rounds, n,
	       page_size);
	printf("  baseline (LMDB scan + protobuf-c decode in process): %.3f s "
	       "(%.3f-%.3f), %.0f standings/s\n", bm, bmin, bmax, n / bm);
	printf("  client (ListStandings through clusterd, C client): %.3f s "
	       "(%.3f-%.3f), %.0f standings/s (%.0f-%.0f)\n", cm, cmin, cmax,
	       n / cm, n / cmax, n / cmin);
	printf("  time ratio client / baseline: %.2f (per-round median)\n", rm);
	cc_client_close(c);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return 0;
fail:
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "load"))
		return load(argv[2], (unsigned)strtoul(argv[3], NULL, 10));
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "page")) {
		cc_client_t *c;
		char err[256];
		uint64_t cnt = 0, rk = 0;
		size_t pages = 0;
		unsigned n = (unsigned)strtoul(argv[3], NULL, 10);
		if (cc_client_open(&c, argv[2], err, sizeof(err)) != CC_OK) {
			fprintf(stderr, "bench_standings: %s\n", err);
			return 1;
		}
		cc_client_set_timeout(c, 600000);
		int rc = n ? client(c, argc == 5 ? atoi(argv[4]) : 10000, &cnt,
		                    &rk, &pages) : CC_OK;
		cc_client_close(c);
		printf("%" PRIu64 " standings, %zu pages\n", cnt, pages);
		return rc != CC_OK || cnt != n;
	}
	if (argc == 4 && !strcmp(argv[1], "scan")) {
		uint64_t cnt, rk;
		if (baseline(argv[2], &cnt, &rk))
			return 1;
		printf("%" PRIu64 " standings\n", cnt);
		return cnt != strtoul(argv[3], NULL, 10);
	}
	if ((argc == 6 || argc == 7) && !strcmp(argv[1], "run"))
		return run(argv[2], argv[3], (unsigned)strtoul(argv[4], NULL, 10),
		           atoi(argv[5]), argc == 7 ? atoi(argv[6]) : 10000);
	fprintf(stderr, "usage: bench_standings load DIR N\n"
	                "       bench_standings run CLUSTERD DIR N ROUNDS "
	                "[PAGE_SIZE]\n"
	                "       bench_standings page ADDR N [PAGE_SIZE]\n"
	                "       bench_standings scan DIR N\n");
	return 2;
}
