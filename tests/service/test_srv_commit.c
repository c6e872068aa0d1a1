/* srv_commit: jobs queued while a commit runs are committed together, each
 * op keeps its own result, and destroy commits what is still queued. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cd_error.h"
#include "srv_commit.h"
#include "store.h"

typedef struct fx {
	char dir[64];
	store_t *st;
	srv_commit_t *cm;
} fx_t;

static int setup(void **state)
{
	fx_t *f = calloc(1, sizeof(*f));
	char err[256];
	strcpy(f->dir, "/tmp/test_srv_commit.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	store_opts_t o;
	memset(&o, 0, sizeof(o));
	o.nosync = 1;
	if (store_open(&f->st, f->dir, &o, err, sizeof(err)) != CD_OK)
		return -1;
	if (srv_commit_create(&f->cm, f->st, 0, err, sizeof(err)) != CD_OK)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx_t *f = *state;
	srv_commit_destroy(f->cm);
	store_close(f->st);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

typedef struct job {
	srv_commit_job_t job;
	store_op_t op;
	store_cluster_t c;
	char id[32];
	int done;
	int txn_rc;
	/* For the grouping test: the first job queues these from its
	 * callback, i.e. while the writer is busy. */
	struct job *more;
	size_t nmore;
	srv_commit_t *cm;
} job_t;

static void on_done(srv_commit_job_t *j, int txn_rc)
{
	job_t *x = j->arg;
	x->done++;
	x->txn_rc = txn_rc;
	for (size_t i = 0; i < x->nmore; i++)
		assert_int_equal(srv_commit_submit(x->cm, &x->more[i].job),
		                 CD_OK);
}

static void job_init(job_t *x, const char *id, store_op_kind kind)
{
	memset(x, 0, sizeof(*x));
	snprintf(x->id, sizeof(x->id), "%s", id);
	clusters__v1__cluster__init(&x->c);
	x->c.id = x->id;
	x->c.name = x->id;
	x->c.economy = "DE";
	x->op.kind = kind;
	x->op.cluster = &x->c;
	x->op.id = x->id;
	x->job.ops = &x->op;
	x->job.n = 1;
	x->job.done = on_done;
	x->job.arg = x;
}

static void wait_done(srv_commit_t *cm, uint64_t commits)
{
	srv_commit_stats_t s;
	for (;;) {
		srv_commit_stats(cm, &s);
		if (s.commits >= commits)
			return;
		usleep(1000);
	}
}

static void test_lone_job(void **state)
{
	fx_t *f = *state;
	job_t a;
	job_init(&a, "lone", STORE_CLUSTER_CREATE);
	assert_int_equal(srv_commit_submit(f->cm, &a.job), CD_OK);
	wait_done(f->cm, 1);
	assert_int_equal(a.done, 1);
	assert_int_equal(a.txn_rc, CD_OK);
	assert_int_equal(a.op.rc, CD_OK);
	assert_int_equal(a.op.created, 1);
	store_cluster_t *got = NULL;
	assert_int_equal(store_cluster_get(f->st, "lone", &got, NULL, 0), CD_OK);
	store_cluster_free(got);
}

static void test_grouping(void **state)
{
	fx_t *f = *state;
	job_t first, more[10];
	job_init(&first, "g-first", STORE_CLUSTER_CREATE);
	for (int i = 0; i < 10; i++) {
		char id[16];
		snprintf(id, sizeof(id), "g-%d", i);
		job_init(&more[i], id, STORE_CLUSTER_CREATE);
	}
	/* The same id twice in one batch: the second fails alone. */
	job_init(&more[9], "g-3", STORE_CLUSTER_CREATE);
	first.more = more;
	first.nmore = 10;
	first.cm = f->cm;
	assert_int_equal(srv_commit_submit(f->cm, &first.job), CD_OK);
	wait_done(f->cm, 2);

	srv_commit_stats_t s;
	srv_commit_stats(f->cm, &s);
	assert_int_equal(s.commits, 2);  /* not 11: one for the ten */
	assert_int_equal(s.jobs, 11);
	assert_int_equal(s.ops, 11);
	for (int i = 0; i < 9; i++) {
		assert_int_equal(more[i].done, 1);
		assert_int_equal(more[i].op.rc, CD_OK);
	}
	assert_int_equal(more[9].op.rc, CD_EEXISTS);
	assert_true(strlen(more[9].op.err) > 0);
}

static void test_cap_splits(void **state)
{
	fx_t *f = *state;
	srv_commit_t *cm;
	char err[256];
	assert_int_equal(srv_commit_create(&cm, f->st, 4, err, sizeof(err)),
	                 CD_OK);
	job_t first, more[10];
	job_init(&first, "cap-first", STORE_CLUSTER_CREATE);
	for (int i = 0; i < 10; i++) {
		char id[16];
		snprintf(id, sizeof(id), "cap-%d", i);
		job_init(&more[i], id, STORE_CLUSTER_CREATE);
	}
	first.more = more;
	first.nmore = 10;
	first.cm = cm;
	assert_int_equal(srv_commit_submit(cm, &first.job), CD_OK);
	wait_done(cm, 4);
	srv_commit_stats_t s;
	srv_commit_stats(cm, &s);
	assert_int_equal(s.commits, 4);  /* 1, then 4 + 4 + 2 */
	assert_int_equal(s.ops, 11);
	srv_commit_destroy(cm);
}

static void test_destroy_drains(void **state)
{
	fx_t *f = *state;
	job_t j[20];
	for (int i = 0; i < 20; i++) {
		char id[16];
		snprintf(id, sizeof(id), "d-%d", i);
		job_init(&j[i], id, STORE_CLUSTER_CREATE);
		assert_int_equal(srv_commit_submit(f->cm, &j[i].job), CD_OK);
	}
	srv_commit_destroy(f->cm);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(j[i].done, 1);
		assert_int_equal(j[i].op.rc, CD_OK);
	}
	char err[256];
	assert_int_equal(srv_commit_create(&f->cm, f->st, 0, err, sizeof(err)),
	                 CD_OK);
}

static void refuse_more(srv_commit_job_t *j, int txn_rc)
{
	job_t *x = j->arg;
	x->done++;
	x->txn_rc = txn_rc;
	/* Destroy has begun: a new submission is refused, not lost. */
	assert_int_equal(srv_commit_submit(x->cm, &x->more[0].job),
	                 CD_EUNAVAIL);
}

static void test_submit_after_stop(void **state)
{
	fx_t *f = *state;
	job_t a, b;
	job_init(&a, "stop-a", STORE_CLUSTER_CREATE);
	job_init(&b, "stop-b", STORE_CLUSTER_CREATE);
	a.job.done = refuse_more;
	a.more = &b;
	a.cm = f->cm;
	assert_int_equal(srv_commit_submit(f->cm, &a.job), CD_OK);
	srv_commit_destroy(f->cm);
	assert_int_equal(a.done, 1);
	assert_int_equal(b.done, 0);
	char err[256];
	assert_int_equal(srv_commit_create(&f->cm, f->st, 0, err, sizeof(err)),
	                 CD_OK);
}

static void test_failed_ops_reported(void **state)
{
	fx_t *f = *state;
	job_t a;
	srv_commit_stats_t s;
	job_init(&a, "nobody-here", STORE_CLUSTER_DELETE);
	srv_commit_stats(f->cm, &s);
	assert_int_equal(srv_commit_submit(f->cm, &a.job), CD_OK);
	wait_done(f->cm, s.commits + 1);
	assert_int_equal(a.done, 1);
	assert_int_equal(a.txn_rc, CD_OK);
	assert_int_equal(a.op.rc, CD_ENOTFOUND);
	assert_non_null(strstr(a.op.err, "nobody-here"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lone_job, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grouping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_splits, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_destroy_drains, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_submit_after_stop, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_failed_ops_reported, setup,
		                                teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
