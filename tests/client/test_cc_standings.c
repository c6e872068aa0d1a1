/*
 * test_cc_standings — the C client's standings pager against the real
 * clusterd: a run of STANDINGS standings written through the store API,
 * read back page by page (the pager fetches ahead on a thread), in order
 * and whole; filters (cluster ids among them); an error; closing with
 * calls under way.
 */
#include <dirent.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cc_client.h"
#include "cc_server.h"
#include "store.h"

#define STANDINGS 12000u

static cc_server_t srv;
static char datadir[64];
static cc_client_t *cli;

static const char *const econ[] = {"CN", "US", "DE", "CN/HK"};

/* Standings big enough (~600 bytes) that pages stop at their byte bound. */
static size_t build(unsigned i, uint8_t *out)
{
	Clusters__V1__Standing s = CLUSTERS__V1__STANDING__INIT;
	char id[24], name[600];
	snprintf(id, sizeof(id), "cl-%06u", i);
	memset(name, 'a' + (char)(i % 26), sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	s.cluster_id = id;
	s.name = name;
	s.economy = (char *)econ[i % 4];
	s.rank = (int)i + 1;
	s.score = 1.0 / (i + 1);
	return clusters__v1__standing__pack(&s, out);
}

typedef struct gen {
	unsigned i;
	uint8_t buf[STORE_STANDINGS_CHUNK_TARGET + 4096];
} gen_t;

static int gen_rewind(void *arg)
{
	((gen_t *)arg)->i = 0;
	return CD_OK;
}

static int gen_next(void *arg, const uint8_t **data, size_t *len,
                    size_t *count, char *err, size_t errlen)
{
	gen_t *g = arg;
	uint8_t tmp[1024];
	(void)err;
	(void)errlen;
	*len = *count = 0;
	while (g->i < STANDINGS && *count < STORE_STANDINGS_CHUNK_COUNT &&
	       *len < STORE_STANDINGS_CHUNK_TARGET) {
		size_t sl = build(g->i++, tmp);
		g->buf[(*len)++] = 0x0a;
		for (size_t v = sl;; v >>= 7) {
			g->buf[(*len)++] = (uint8_t)(v < 0x80 ? v : (v & 0x7f) | 0x80);
			if (v < 0x80)
				break;
		}
		memcpy(g->buf + *len, tmp, sl);
		*len += sl;
		(*count)++;
	}
	*data = g->buf;
	return CD_OK;
}

static int setup(void **state)
{
	(void)state;
	char err[256];
	store_t *st;
	store_opts_t o = {.map_size = (size_t)64 << 20, .nosync = 1};
	snprintf(datadir, sizeof(datadir), "/tmp/cc-standings-XXXXXX");
	if (!mkdtemp(datadir) ||
	    store_open(&st, datadir, &o, err, sizeof(err)) != CD_OK)
		return -1;
	gen_t *g = calloc(1, sizeof(*g));
	store_standings_src_t src = {STANDINGS, gen_next, gen_rewind, g};
	Clusters__V1__Run r = CLUSTERS__V1__RUN__INIT;
	r.id = "r1";
	r.competition_id = "c1";
	store_op_t op;
	memset(&op, 0, sizeof(op));
	op.kind = STORE_RUN_PUT;
	op.run = &r;
	op.standings = &src;
	int rc = store_apply(st, &op, 1);
	free(g);
	store_close(st);
	if (rc != CD_OK || op.rc != CD_OK)
		return -1;
	const char *extra[] = {"--data-dir", datadir, "--plugin-dir", "",
	                       NULL};
	/* Before any grpc_init in this process (cc_server.h). */
	if (cc_server_start(&srv, CLUSTERD_BIN, extra, err, sizeof(err)))
		return -1;
	return cc_client_open(&cli, srv.addr, err, sizeof(err)) == CC_OK
	       ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	cc_client_close(cli);
	int rc = cc_server_stop(&srv);
	DIR *d = opendir(datadir);
	struct dirent *e;
	char path[512];
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", datadir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(datadir);
	return rc == 0 ? 0 : -1;
}

/* Pages through everything: every standing once, in order. */
static void read_all(int page_size, const char *economy, unsigned step,
                     unsigned first, unsigned want)
{
	Clusters__V1__ListStandingsRequest req =
		CLUSTERS__V1__LIST_STANDINGS_REQUEST__INIT;
	const Clusters__V1__ListStandingsResponse *pg;
	cc_status_t st;
	unsigned seen = 0, pages = 0;
	int rc;
	req.run_id = "r1";
	req.page_size = page_size;
	req.economy = (char *)economy;
	cc_standings_pager_t *p = cc_standings_pager_open(cli, NULL, &req);
	assert_non_null(p);
	while ((rc = cc_standings_pager_next(p, &pg, &st)) == CC_OK && pg) {
		pages++;
		for (size_t i = 0; i < pg->n_standings; i++) {
			char id[24];
			unsigned k = first + seen * step;
			snprintf(id, sizeof(id), "cl-%06u", k);
			assert_int_equal(pg->standings[i]->rank, (int)k + 1);
			assert_string_equal(pg->standings[i]->cluster_id, id);
			seen++;
		}
	}
	if (rc != CC_OK)
		fail_msg("page %u: %s: %s", pages, cc_status_name(rc),
		         st.message);
	assert_int_equal(seen, want);
	assert_true(pages > 1);
	/* After the last page: OK and no page, again and again. */
	assert_int_equal(cc_standings_pager_next(p, &pg, &st), CC_OK);
	assert_null(pg);
	cc_standings_pager_close(p);
}

static void test_all_pages(void **state)
{
	(void)state;
	read_all(0, NULL, 1, 0, STANDINGS);        /* 1000 a page */
	read_all(10000, NULL, 1, 0, STANDINGS);    /* pages at the byte bound */
	read_all(777, "US", 4, 1, STANDINGS / 4); /* filtered */
}

static void test_unknown_run(void **state)
{
	(void)state;
	Clusters__V1__ListStandingsRequest req =
		CLUSTERS__V1__LIST_STANDINGS_REQUEST__INIT;
	const Clusters__V1__ListStandingsResponse *pg;
	cc_status_t st;
	req.run_id = "nope";
	cc_standings_pager_t *p = cc_standings_pager_open(cli, NULL, &req);
	assert_int_equal(cc_standings_pager_next(p, &pg, &st), CC_NOT_FOUND);
	assert_null(pg);
	assert_non_null(strstr(st.message, "not found"));
	assert_int_equal(cc_standings_pager_next(p, &pg, &st), CC_OK);
	assert_null(pg);
	cc_standings_pager_close(p);
}

/* The request goes as it is: cluster_ids (out of order, one twice), one
 * standing a page, in standings order, and no page after the last id. */
static void test_cluster_ids(void **state)
{
	(void)state;
	Clusters__V1__ListStandingsRequest req =
		CLUSTERS__V1__LIST_STANDINGS_REQUEST__INIT;
	const Clusters__V1__ListStandingsResponse *pg;
	cc_status_t st;
	char *ids[] = {"cl-011998", "cl-000003", "cl-005000", "cl-000003"};
	const char *want[] = {"cl-000003", "cl-005000", "cl-011998"};
	size_t n = 0;
	int rc;
	req.run_id = "r1";
	req.page_size = 1;
	req.cluster_ids = ids;
	req.n_cluster_ids = 4;
	cc_standings_pager_t *p = cc_standings_pager_open(cli, NULL, &req);
	assert_non_null(p);
	while ((rc = cc_standings_pager_next(p, &pg, &st)) == CC_OK && pg) {
		assert_true(n < 3);
		assert_int_equal(pg->n_standings, 1);
		assert_string_equal(pg->standings[0]->cluster_id, want[n]);
		n++;
	}
	assert_int_equal(rc, CC_OK);
	assert_int_equal(n, 3);
	cc_standings_pager_close(p);
}

/* Closing early: the fetch thread may be in a call, or waiting. */
static void test_close_early(void **state)
{
	(void)state;
	Clusters__V1__ListStandingsRequest req =
		CLUSTERS__V1__LIST_STANDINGS_REQUEST__INIT;
	const Clusters__V1__ListStandingsResponse *pg;
	cc_status_t st;
	req.run_id = "r1";
	req.page_size = 100;
	for (int n = 0; n < 4; n++) {
		cc_standings_pager_t *p = cc_standings_pager_open(cli, NULL,
		                                                  &req);
		for (int i = 0; i < n; i++) {
			assert_int_equal(cc_standings_pager_next(p, &pg, &st),
			                 CC_OK);
			assert_non_null(pg);
			assert_int_equal(pg->n_standings, 100);
		}
		cc_standings_pager_close(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_pages),
		cmocka_unit_test(test_unknown_run),
		cmocka_unit_test(test_cluster_ids),
		cmocka_unit_test(test_close_early),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
