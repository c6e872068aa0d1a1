/* Runs as jobs: state transitions (STORE_RUN_UPDATE), their refusals, the
 * start-up sweep of unfinished runs, the state filter of ListRuns, DeleteRun
 * of an unfinished run, and the audit events of each. */
#include "fixture.h"

#include <stdio.h>
#include <string.h>

#define ST(x) CLUSTERS__V1__RUN_STATE__RUN_STATE_##x

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

typedef struct run {
	Clusters__V1__Run r;
	Clusters__V1__Standing sd, *sp[1];
	Google__Rpc__Status status;
} run_t;

static void run_init(run_t *x, const char *id, const char *comp, int state)
{
	clusters__v1__run__init(&x->r);
	clusters__v1__standing__init(&x->sd);
	google__rpc__status__init(&x->status);
	x->r.id = (char *)id;
	x->r.competition_id = (char *)comp;
	x->r.state = state;
	x->r.principal = "alice";
	x->sp[0] = &x->sd;
	x->sd.cluster_id = "a";
	x->sd.rank = 1;
}

static void put(const char *id, const char *comp, int state)
{
	run_t x;
	run_init(&x, id, comp, state);
	assert_int_equal(store_run_put(st, &x.r, err, sizeof(err)), CD_OK);
}

static int state_of(const char *id)
{
	store_run_t *got;
	assert_int_equal(store_run_get(st, id, 0, &got, err, sizeof(err)),
	                 CD_OK);
	int s = got->state;
	store_run_free(got);
	return s;
}

/* The last audit event's method and detail. */
static void last_event(char *method, char *detail, size_t len)
{
	store_audit_page_t p;
	assert_int_equal(store_audit_list(st, NULL, STORE_PAGE_MAX, NULL, &p,
	                                  err, sizeof(err)), CD_OK);
	assert_true(p.n > 0);
	snprintf(method, len, "%s", p.items[p.n - 1]->method);
	snprintf(detail, len, "%s", p.items[p.n - 1]->detail);
	store_audit_page_free(&p);
}

static void test_transitions(void **state)
{
	(void)state;
	char m[256], d[256];
	put("c-1", "c", ST(QUEUED));
	assert_int_equal(state_of("c-1"), ST(QUEUED));

	run_t x;
	run_init(&x, "c-1", "c", ST(RUNNING));
	x.r.n_standings = 0;
	assert_int_equal(store_run_update(st, &x.r, "alice", "RunStarted",
	                                  err, sizeof(err)), CD_OK);
	assert_int_equal(state_of("c-1"), ST(RUNNING));
	last_event(m, d, sizeof(m));
	assert_string_equal(m, "RunStarted");
	assert_string_equal(d, "competition c; QUEUED -> RUNNING");

	/* Finished with standings: whole and head both replaced. */
	run_init(&x, "c-1", "c", ST(SUCCEEDED));
	x.r.standings = x.sp;
	x.r.n_standings = 1;
	assert_int_equal(store_run_update(st, &x.r, NULL, NULL, err,
	                                  sizeof(err)), CD_OK);
	store_run_t *got;
	assert_int_equal(store_run_get(st, "c-1", 1, &got, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(got->state, ST(SUCCEEDED));
	assert_int_equal(got->n_standings, 1);
	store_run_free(got);
	assert_int_equal(store_run_get(st, "c-1", 0, &got, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(got->n_standings, 0);
	store_run_free(got);
	last_event(m, d, sizeof(m));
	assert_string_equal(m, "RunFinished");
	assert_string_equal(d, "competition c; RUNNING -> SUCCEEDED");

	/* A finished run no longer changes. */
	run_init(&x, "c-1", "c", ST(CANCELLED));
	assert_int_equal(store_run_update(st, &x.r, "bob", "CancelRun", err,
	                                  sizeof(err)), CD_EPRECONDITION);
	assert_non_null(strstr(err, "has already ended (SUCCEEDED)"));
	assert_int_equal(state_of("c-1"), ST(SUCCEEDED));

	/* QUEUED -> CANCELLED, with the status in the detail. */
	put("c-2", "c", ST(QUEUED));
	run_init(&x, "c-2", "c", ST(CANCELLED));
	x.status.code = 1;
	x.status.message = "cancelled by bob";
	x.r.error = &x.status;
	assert_int_equal(store_run_update(st, &x.r, "bob", "CancelRun", err,
	                                  sizeof(err)), CD_OK);
	last_event(m, d, sizeof(m));
	assert_string_equal(m, "CancelRun");
	assert_string_equal(d, "competition c; QUEUED -> CANCELLED: "
	                       "cancelled by bob");
	assert_int_equal(store_run_get(st, "c-2", 1, &got, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(got->error->code, 1);
	store_run_free(got);

	/* RUNNING -> FAILED. */
	put("c-3", "c", ST(RUNNING));
	run_init(&x, "c-3", "c", ST(FAILED));
	x.status.code = 4;
	x.status.message = "over its time limit";
	x.r.error = &x.status;
	assert_int_equal(store_run_update(st, &x.r, NULL, NULL, err,
	                                  sizeof(err)), CD_OK);
	assert_int_equal(state_of("c-3"), ST(FAILED));
	assert_int_equal(store_run_update(st, &x.r, NULL, NULL, err,
	                                  sizeof(err)), CD_EPRECONDITION);
	assert_non_null(strstr(err, "(FAILED)"));

	/* Unknown run, another competition, a run stored before jobs. */
	run_init(&x, "nope", "c", ST(RUNNING));
	assert_int_equal(store_run_update(st, &x.r, NULL, NULL, err,
	                                  sizeof(err)), CD_ENOTFOUND);
	put("c-4", "c", ST(QUEUED));
	run_init(&x, "c-4", "d", ST(RUNNING));
	assert_int_equal(store_run_update(st, &x.r, NULL, NULL, err,
	                                  sizeof(err)), CD_EINVAL);
	assert_non_null(strstr(err, "run.competition_id"));
	put("c-old", "c", ST(UNSPECIFIED));
	run_init(&x, "c-old", "c", ST(RUNNING));
	assert_int_equal(store_run_update(st, &x.r, NULL, NULL, err,
	                                  sizeof(err)), CD_EPRECONDITION);
	assert_non_null(strstr(err, "(SUCCEEDED)"));
	run_init(&x, "Bad", "c", ST(RUNNING));
	assert_int_equal(store_run_update(st, &x.r, NULL, NULL, err,
	                                  sizeof(err)), CD_EV_ID);
}

static void test_delete_unfinished(void **state)
{
	(void)state;
	put("c-1", "c", ST(QUEUED));
	put("c-2", "c", ST(RUNNING));
	put("c-3", "c", ST(FAILED));
	assert_int_equal(store_run_delete(st, "c-1", err, sizeof(err)),
	                 CD_EPRECONDITION);
	assert_string_equal(err, "run \"c-1\" is QUEUED: cancel it first "
	                         "(CancelRun)");
	assert_int_equal(store_run_delete(st, "c-2", err, sizeof(err)),
	                 CD_EPRECONDITION);
	assert_non_null(strstr(err, "RUNNING"));
	assert_int_equal(store_run_delete(st, "c-3", err, sizeof(err)), CD_OK);
	assert_int_equal(state_of("c-1"), ST(QUEUED));
}

static void test_list_state(void **state)
{
	(void)state;
	put("a-1", "a", ST(UNSPECIFIED));
	put("a-2", "a", ST(RUNNING));
	put("a-3", "a", ST(SUCCEEDED));
	put("a-4", "a", ST(FAILED));
	put("b-1", "b", ST(RUNNING));
	put("b-2", "b", ST(SUCCEEDED));
	store_run_page_t pg;
	/* Old runs count as SUCCEEDED. */
	assert_int_equal(store_run_list_state(st, NULL, ST(SUCCEEDED), 100,
	                                      NULL, 0, &pg, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(pg.n, 3);
	assert_string_equal(pg.items[0]->id, "a-1");
	assert_string_equal(pg.items[1]->id, "a-3");
	assert_string_equal(pg.items[2]->id, "b-2");
	store_run_page_free(&pg);
	/* With a competition, standings, and pages. */
	assert_int_equal(store_run_list_state(st, "a", ST(SUCCEEDED), 1, NULL,
	                                      1, &pg, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(pg.n, 1);
	assert_string_equal(pg.items[0]->id, "a-1");
	char *tok = strdup(pg.next_token);
	store_run_page_free(&pg);
	assert_true(*tok);
	/* The token is bound to the filter. */
	assert_int_equal(store_run_list_state(st, "a", ST(RUNNING), 1, tok, 1,
	                                      &pg, err, sizeof(err)),
	                 CD_EPAGETOKEN);
	assert_int_equal(store_run_list_state(st, "a", ST(SUCCEEDED), 1, tok,
	                                      1, &pg, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(pg.n, 1);
	assert_string_equal(pg.items[0]->id, "a-3");
	store_run_page_free(&pg);
	free(tok);
	assert_int_equal(store_run_list_state(st, NULL, ST(RUNNING), 100, NULL,
	                                      0, &pg, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(pg.n, 2);
	store_run_page_free(&pg);
	assert_int_equal(store_run_list_state(st, NULL, 9, 100, NULL, 0, &pg,
	                                      err, sizeof(err)),
	                 CD_EINVAL);
	assert_non_null(strstr(err, "state: 9"));
	/* 0: every state. */
	assert_int_equal(store_run_list_state(st, NULL, 0, 100, NULL, 0, &pg,
	                                      err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(pg.n, 6);
	store_run_page_free(&pg);
}

static void test_fail_unfinished(void **state)
{
	(void)state;
	size_t n = 99;
	assert_int_equal(store_run_fail_unfinished(st, "clusterd", &n, err,
	                                           sizeof(err)), CD_OK);
	assert_int_equal(n, 0);
	put("c-1", "c", ST(QUEUED));
	put("c-2", "c", ST(RUNNING));
	put("c-3", "c", ST(SUCCEEDED));
	put("c-4", "c", ST(CANCELLED));
	assert_int_equal(store_run_fail_unfinished(st, "clusterd", &n, err,
	                                           sizeof(err)), CD_OK);
	assert_int_equal(n, 2);
	const char *failed[] = {"c-1", "c-2"};
	for (int i = 0; i < 2; i++) {
		store_run_t *got;
		assert_int_equal(store_run_get(st, failed[i], 1, &got, err,
		                               sizeof(err)), CD_OK);
		assert_int_equal(got->state, ST(FAILED));
		assert_non_null(got->error);
		assert_int_equal(got->error->code, 14);
		assert_string_equal(got->error->message,
		                    "server restarted before the run finished");
		assert_non_null(got->end_time);
		assert_string_equal(got->principal, "alice");
		store_run_free(got);
	}
	assert_int_equal(state_of("c-3"), ST(SUCCEEDED));
	assert_int_equal(state_of("c-4"), ST(CANCELLED));
	store_audit_page_t p;
	store_audit_filter_t f = {.principal = "clusterd"};
	assert_int_equal(store_audit_list(st, &f, 100, NULL, &p, err,
	                                  sizeof(err)), CD_OK);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.items[0]->method, "RunFinished");
	assert_string_equal(p.items[0]->resource, "runs/c-1");
	assert_non_null(strstr(p.items[0]->detail, "QUEUED -> FAILED: server "
	                                           "restarted"));
	store_audit_page_free(&p);
	/* Once is enough: nothing is left to sweep. */
	assert_int_equal(store_run_fail_unfinished(st, "clusterd", &n, err,
	                                           sizeof(err)), CD_OK);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_transitions, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_delete_unfinished, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_list_state, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_fail_unfinished, setup,
		                                teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
