/* The audit trail: one event per successful write, in the write's own
 * transaction (a failed op or a failed transaction leaves none, a replayed
 * batch leaves exactly one per op); key order; paging; each filter; the
 * changed field paths of updates. */
#include "fixture.h"

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

/* Every event, oldest first (freed by the caller). */
static store_audit_page_t all(const store_audit_filter_t *f)
{
	store_audit_page_t p;
	int rc = store_audit_list(st, f, STORE_PAGE_MAX, NULL, &p, err,
	                          sizeof(err));
	if (rc != CD_OK)
		fail_msg("store_audit_list: %s", err);
	assert_string_equal(p.next_token, "");
	return p;
}

static uint64_t nevents(void)
{
	store_stats_t s;
	assert_int_equal(store_stats(st, &s), CD_OK);
	return s.audit_events;
}

static store_op_t op_of(store_op_kind k, const store_cluster_t *c)
{
	return (store_op_t){.kind = k, .cluster = c, .want_result = 1,
	                    .principal = "alice", .method = NULL};
}

static void expect_paths(const store_audit_t *ev, const char *const *want,
                         size_t n)
{
	if (ev->n_changed_paths != n) {
		for (size_t i = 0; i < ev->n_changed_paths; i++)
			print_message("path %s\n", ev->changed_paths[i]);
		fail_msg("%zu paths, want %zu", ev->n_changed_paths, n);
	}
	for (size_t i = 0; i < n; i++)
		assert_string_equal(ev->changed_paths[i], want[i]);
}

static void test_cluster_writes(void **state)
{
	(void)state;
	fx_cluster_t a, patch;
	store_op_t op;
	char e1[17], e2[17], e3[17];

	fx_cluster_init(&a, "munich", "DE", "Bavaria", "Munich", "Automotive");
	fx_add_label(&a, "tier", "1");
	fx_add_label(&a, "old", "x");
	op = op_of(STORE_CLUSTER_CREATE, &a.c);
	assert_int_equal(store_apply(st, &op, 1), CD_OK);
	assert_int_equal(op.rc, CD_OK);
	snprintf(e1, sizeof(e1), "%s", op.cluster_out->etag);
	store_cluster_free(op.cluster_out);

	/* Labels changed one key, dropped one, added one; name changed. */
	fx_cluster_init(&patch, "munich", "", "", NULL, "");
	snprintf(patch.name, sizeof(patch.name), "Munich metro");
	fx_add_label(&patch, "tier", "2");
	fx_add_label(&patch, "new", "y");
	const char *mask[] = {"name", "labels", "region"};
	op = op_of(STORE_CLUSTER_UPDATE, &patch.c);
	op.mask = mask;
	op.mask_len = 2;
	op.method = "UpdateCluster";
	assert_int_equal(store_apply(st, &op, 1), CD_OK);
	assert_int_equal(op.rc, CD_OK);
	snprintf(e2, sizeof(e2), "%s", op.cluster_out->etag);
	store_cluster_free(op.cluster_out);

	/* Assessments only. */
	fx_cluster_init(&patch, "munich", "", "", NULL, "");
	patch.c.name = "";
	fx_add_assessment(&patch, "judge-a", "governance", 7);
	op = op_of(STORE_CLUSTER_UPDATE, &patch.c);
	assert_int_equal(store_apply(st, &op, 1), CD_OK);
	assert_int_equal(op.rc, CD_OK);
	snprintf(e3, sizeof(e3), "%s", op.cluster_out->etag);
	store_cluster_free(op.cluster_out);

	op = (store_op_t){.kind = STORE_CLUSTER_DELETE, .id = "munich",
	                  .principal = "bob", .method = "DeleteCluster"};
	assert_int_equal(store_apply(st, &op, 1), CD_OK);
	assert_int_equal(op.rc, CD_OK);

	store_audit_page_t p = all(NULL);
	assert_int_equal(p.n, 4);
	assert_int_equal(nevents(), 4);
	const char *methods[] = {"CreateCluster", "UpdateCluster",
	                         "UpdateCluster", "DeleteCluster"};
	const char *before[] = {"", e1, e2, e3};
	const char *after[] = {e1, e2, e3, ""};
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(p.items[i]->method, methods[i]);
		assert_string_equal(p.items[i]->resource, "clusters/munich");
		assert_string_equal(p.items[i]->principal, i < 3 ? "alice"
		                                                 : "bob");
		assert_string_equal(p.items[i]->etag_before, before[i]);
		assert_string_equal(p.items[i]->etag_after, after[i]);
		assert_non_null(p.items[i]->time);
		if (i) {
			assert_true(p.items[i]->sequence ==
			            p.items[i - 1]->sequence + 1);
			assert_true(p.items[i]->time->seconds * 1000000000LL +
			                    p.items[i]->time->nanos >=
			            p.items[i - 1]->time->seconds * 1000000000LL +
			                    p.items[i - 1]->time->nanos);
		}
	}
	const char *upd[] = {"name", "labels.new", "labels.old", "labels.tier"};
	expect_paths(p.items[0], NULL, 0);
	expect_paths(p.items[1], upd, 4);
	const char *asm_[] = {"assessments"};
	expect_paths(p.items[2], asm_, 1);
	expect_paths(p.items[3], NULL, 0);
	store_audit_page_free(&p);
}

static void test_failed_ops_leave_no_event(void **state)
{
	(void)state;
	fx_cluster_t a, b, bad;
	fx_cluster_init(&a, "a", "DE", "", "Munich", "");
	fx_cluster_init(&b, "b", "DE", "", "Munich", "");
	fx_cluster_init(&bad, "a", "DE", "", "Munich", "");

	store_op_t ops[4] = {op_of(STORE_CLUSTER_CREATE, &a.c),
	                     op_of(STORE_CLUSTER_CREATE, &bad.c),  /* exists */
	                     op_of(STORE_CLUSTER_CREATE, &b.c),
	                     {.kind = STORE_CLUSTER_DELETE, .id = "zz"}};
	assert_int_equal(store_apply(st, ops, 4), CD_OK);
	assert_int_equal(ops[0].rc, CD_OK);
	assert_int_equal(ops[1].rc, CD_EEXISTS);
	assert_int_equal(ops[2].rc, CD_OK);
	assert_int_equal(ops[3].rc, CD_ENOTFOUND);
	for (int i = 0; i < 4; i++)
		store_cluster_free(ops[i].cluster_out);
	assert_int_equal(nevents(), 2);

	/* A stale etag and an invalid merge write nothing either. */
	store_op_t op = op_of(STORE_CLUSTER_UPDATE, &a.c);
	op.etag = "0000000000000bad";
	assert_int_equal(store_apply(st, &op, 1), CD_OK);
	assert_int_equal(op.rc, CD_ECONFLICT);
	const char *mask[] = {"name"};
	fx_cluster_init(&bad, "a", "", "", NULL, "");
	bad.c.name = "";
	op = op_of(STORE_CLUSTER_UPDATE, &bad.c);
	op.mask = mask;
	op.mask_len = 1;
	assert_int_equal(store_apply(st, &op, 1), CD_OK);
	assert_int_not_equal(op.rc, CD_OK);
	assert_int_equal(nevents(), 2);

	store_audit_page_t p = all(NULL);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.items[0]->resource, "clusters/a");
	assert_string_equal(p.items[1]->resource, "clusters/b");
	store_audit_page_free(&p);
}

/* A transaction that fails as a whole keeps no event; a batch replayed
 * after map growth keeps exactly one per op. */
static void test_same_transaction(void **state)
{
	(void)state;
	char *d = fx_tmpdir();
	store_opts_t o = {.map_size = 1 << 20, .map_size_max = 2 << 20};
	store_t *s2 = NULL;
	assert_int_equal(store_open(&s2, d, &o, err, sizeof(err)), CD_OK);

	enum { N = 5000 };
	fx_cluster_t *fs = calloc(N, sizeof(*fs));
	store_op_t *ops = calloc(N, sizeof(*ops));
	for (int i = 0; i < N; i++) {
		char id[32];
		snprintf(id, sizeof(id), "c-%05d", i);
		fx_cluster_init(&fs[i], id, "DE", "Bavaria", "Munich", "Auto");
		ops[i] = (store_op_t){.kind = STORE_CLUSTER_UPSERT,
		                      .cluster = &fs[i].c};
	}
	/* Small batches fit, growing the map on the way (replays). */
	for (int i = 0; i < 1000; i += 100)
		assert_int_equal(store_apply(s2, ops + i, 100), CD_OK);
	store_stats_t s;
	assert_int_equal(store_stats(s2, &s), CD_OK);
	assert_int_equal(s.clusters, 1000);
	assert_int_equal(s.audit_events, 1000);

	/* A batch too big for the ceiling fails whole: no record, no event. */
	for (int i = 1000; i < N; i++)
		for (int y = 0; y < 16; y++)
			fx_add_indicator(&fs[i], "employment", 2000 + y, i);
	int rc = store_apply(s2, ops + 1000, N - 1000);
	if (rc == CD_OK) {
		/* The ceiling was roomier than planned: nothing to show. */
		print_message("batch fit under the ceiling; skipped\n");
	} else {
		assert_int_equal(rc, CD_ELIMIT);
		assert_int_equal(store_stats(s2, &s), CD_OK);
		assert_int_equal(s.clusters, 1000);
		assert_int_equal(s.audit_events, 1000);
	}
	store_audit_page_t p;
	assert_int_equal(store_audit_list(s2, NULL, 1000, NULL, &p, err,
	                                  sizeof(err)), CD_OK);
	assert_int_equal(p.n, 1000);
	for (size_t i = 0; i < p.n; i++) {
		char want[40];
		snprintf(want, sizeof(want), "clusters/c-%05zu", i);
		assert_string_equal(p.items[i]->resource, want);
		assert_string_equal(p.items[i]->method, "ImportClusters");
		assert_true(p.items[i]->sequence == i + 1);
	}
	store_audit_page_free(&p);
	free(ops);
	free(fs);
	store_close(s2);
	fx_rmdir(d);
}

static void put_n(int n, const char *principal)
{
	for (int i = 0; i < n; i++) {
		fx_cluster_t f;
		char id[32];
		snprintf(id, sizeof(id), "k-%s-%03d", principal, i);
		fx_cluster_init(&f, id, "JP", "", "Tokyo", "");
		store_op_t op = {.kind = STORE_CLUSTER_CREATE, .cluster = &f.c,
		                 .principal = principal};
		assert_int_equal(store_apply(st, &op, 1), CD_OK);
		assert_int_equal(op.rc, CD_OK);
	}
}

static void test_paging_and_filters(void **state)
{
	(void)state;
	put_n(12, "alice");
	put_n(13, "bob");

	/* Pages of 10: 10, 10, 5, in sequence order. */
	store_audit_page_t p;
	char *tok = NULL;
	uint64_t seq = 0;
	size_t total = 0;
	do {
		assert_int_equal(store_audit_list(st, NULL, 10, tok, &p, err,
		                                  sizeof(err)), CD_OK);
		for (size_t i = 0; i < p.n; i++)
			assert_true(p.items[i]->sequence == ++seq);
		total += p.n;
		free(tok);
		tok = strdup(p.next_token);
		store_audit_page_free(&p);
	} while (*tok);
	free(tok);
	assert_int_equal(total, 25);

	/* principal, paged under the filter. */
	store_audit_filter_t f = {.principal = "bob"};
	assert_int_equal(store_audit_list(st, &f, 10, NULL, &p, err,
	                                  sizeof(err)), CD_OK);
	assert_int_equal(p.n, 10);
	for (size_t i = 0; i < p.n; i++)
		assert_string_equal(p.items[i]->principal, "bob");
	tok = strdup(p.next_token);
	store_audit_page_free(&p);
	assert_int_equal(store_audit_list(st, &f, 10, tok, &p, err,
	                                  sizeof(err)), CD_OK);
	assert_int_equal(p.n, 3);
	assert_string_equal(p.next_token, "");
	store_audit_page_free(&p);

	/* A token of one query is refused by another. */
	f.principal = "alice";
	assert_int_equal(store_audit_list(st, &f, 10, tok, &p, err,
	                                  sizeof(err)), CD_EPAGETOKEN);
	assert_non_null(strstr(err, "page_token"));
	free(tok);
	assert_int_equal(store_audit_list(st, NULL, 10, "garbage!", &p, err,
	                                  sizeof(err)), CD_EPAGETOKEN);

	/* resource: one record, or its collection. */
	store_audit_filter_t r = {.resource = "clusters/k-bob-004"};
	p = all(&r);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.items[0]->resource, "clusters/k-bob-004");
	store_audit_page_free(&p);
	r.resource = "clusters";
	p = all(&r);
	assert_int_equal(p.n, 25);
	store_audit_page_free(&p);
	r.resource = "competitions";
	p = all(&r);
	assert_int_equal(p.n, 0);
	store_audit_page_free(&p);

	/* Time range: [time of the 5th, time of the 8th) holds 5th..7th at
	 * least; every event returned lies inside it. */
	p = all(NULL);
	int64_t t5 = p.items[4]->time->seconds * 1000000000LL +
	             p.items[4]->time->nanos;
	int64_t t8 = p.items[7]->time->seconds * 1000000000LL +
	             p.items[7]->time->nanos;
	store_audit_page_free(&p);
	store_audit_filter_t t = {.start_ns = t5, .end_ns = t8};
	p = all(&t);
	for (size_t i = 0; i < p.n; i++) {
		int64_t ns = p.items[i]->time->seconds * 1000000000LL +
		             p.items[i]->time->nanos;
		assert_true(ns >= t5 && ns < t8);
	}
	if (t8 > t5)
		assert_true(p.n >= 3 && p.n <= 7 && p.items[0]->sequence <= 5);
	store_audit_page_free(&p);
	t.start_ns = t8;
	t.end_ns = 0;
	p = all(&t);
	assert_true(p.n >= 18 && p.items[p.n - 1]->sequence == 25);
	store_audit_page_free(&p);
}

static void test_filter_errors(void **state)
{
	(void)state;
	store_audit_page_t p;
	struct {
		store_audit_filter_t f;
		const char *field;
	} bad[] = {
		{{.start_ns = 10, .end_ns = 5}, "end_time: "},
		{{.start_ns = -1}, "start_time: "},
		{{.resource = "widgets"}, "resource: "},
		{{.resource = "clusters/Bad Id"}, "resource: "},
		{{.resource = "plugins/x"}, "resource: "},
		{{.principal = "a\nb"}, "principal: "},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = store_audit_list(st, &bad[i].f, 0, NULL, &p, err,
		                          sizeof(err));
		assert_true(cd_err_is_invalid(rc));
		if (strncmp(err, bad[i].field, strlen(bad[i].field)))
			fail_msg("case %zu: \"%s\" does not start with %s", i,
			         err, bad[i].field);
	}
}

typedef struct comp {
	Clusters__V1__Competition c;
	Clusters__V1__Round r;
	Clusters__V1__Round *rp[1];
	Clusters__V1__Criterion cr;
	Clusters__V1__Criterion *crp[1];
} comp_t;

static void comp_init(comp_t *c, const char *id)
{
	clusters__v1__competition__init(&c->c);
	clusters__v1__round__init(&c->r);
	clusters__v1__criterion__init(&c->cr);
	c->c.id = (char *)id;
	c->c.title = "Top S&T clusters";
	c->c.edition = "2023";
	c->rp[0] = &c->r;
	c->c.rounds = c->rp;
	c->c.n_rounds = 1;
	c->crp[0] = &c->cr;
	c->r.criteria = c->crp;
	c->r.n_criteria = 1;
	c->r.name = "ranking";
	c->cr.id = "st";
	c->cr.plugin = "st_output";
	c->cr.weight = 1;
}

static void test_competitions_runs_notes(void **state)
{
	(void)state;
	comp_t c, u;
	store_competition_t *out = NULL;
	comp_init(&c, "gii");
	assert_int_equal(store_competition_create(st, &c.c, &out, err,
	                                          sizeof(err)), CD_OK);
	char e1[17];
	snprintf(e1, sizeof(e1), "%s", out->etag);
	store_competition_free(out);

	/* The criterion's weight deep inside rounds, and the title. */
	comp_init(&u, "gii");
	u.c.title = "Renamed";
	u.cr.weight = 2;
	assert_int_equal(store_competition_update(st, &u.c, NULL, 0, NULL,
	                                          &out, err, sizeof(err)),
	                 CD_OK);
	char e2[17];
	snprintf(e2, sizeof(e2), "%s", out->etag);
	store_competition_free(out);

	Clusters__V1__Run run = CLUSTERS__V1__RUN__INIT;
	run.id = "gii-run-1";
	run.competition_id = "gii";
	assert_int_equal(store_run_put(st, &run, err, sizeof(err)), CD_OK);
	assert_int_equal(store_run_delete(st, "gii-run-1", err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(store_competition_delete(st, "gii", NULL, err,
	                                          sizeof(err)), CD_OK);

	const char *paths[] = {"plugins.topsis"};
	store_op_t note = {.kind = STORE_AUDIT_NOTE, .id = "plugins",
	                   .method = "ReloadPlugins", .principal = "root",
	                   .detail = "generation 1 -> 2", .paths = paths,
	                   .n_paths = 1};
	assert_int_equal(store_apply(st, &note, 1), CD_OK);
	assert_int_equal(note.rc, CD_OK);
	store_op_t empty = {.kind = STORE_AUDIT_NOTE};
	assert_int_equal(store_apply(st, &empty, 1), CD_OK);
	assert_int_equal(empty.rc, CD_EINVAL);

	store_audit_page_t p = all(NULL);
	assert_int_equal(p.n, 6);
	struct {
		const char *method, *resource, *before, *after, *detail;
	} want[] = {
		{"CreateCompetition", "competitions/gii", "", e1, ""},
		{"UpdateCompetition", "competitions/gii", e1, e2, ""},
		{"RunCompetition", "runs/gii-run-1", "", "", "competition gii"},
		{"DeleteRun", "runs/gii-run-1", "", "", "competition gii"},
		{"DeleteCompetition", "competitions/gii", e2, "", ""},
		{"ReloadPlugins", "plugins", "", "", "generation 1 -> 2"},
	};
	for (size_t i = 0; i < 6; i++) {
		assert_string_equal(p.items[i]->method, want[i].method);
		assert_string_equal(p.items[i]->resource, want[i].resource);
		assert_string_equal(p.items[i]->etag_before, want[i].before);
		assert_string_equal(p.items[i]->etag_after, want[i].after);
		assert_string_equal(p.items[i]->detail, want[i].detail);
	}
	const char *upd[] = {"title", "rounds"};
	expect_paths(p.items[1], upd, 2);
	expect_paths(p.items[5], paths, 1);
	assert_string_equal(p.items[5]->principal, "root");
	store_audit_page_free(&p);

	store_audit_filter_t f = {.resource = "plugins"};
	p = all(&f);
	assert_int_equal(p.n, 1);
	store_audit_page_free(&p);
	f.resource = "runs";
	p = all(&f);
	assert_int_equal(p.n, 2);
	store_audit_page_free(&p);
}

/* The trail survives reopening, and new events follow the old ones. */
static void test_reopen(void **state)
{
	(void)state;
	put_n(3, "alice");
	store_close(st);
	st = fx_open(dir, 0);
	put_n(1, "carol");
	store_audit_page_t p = all(NULL);
	assert_int_equal(p.n, 4);
	assert_true(p.items[3]->sequence == 4);
	assert_string_equal(p.items[3]->principal, "carol");
	store_audit_page_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cluster_writes, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_failed_ops_leave_no_event,
		                                setup, teardown),
		cmocka_unit_test(test_same_transaction),
		cmocka_unit_test_setup_teardown(test_paging_and_filters, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_filter_errors, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_competitions_runs_notes,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
