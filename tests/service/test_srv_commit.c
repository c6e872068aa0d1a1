/* srv_commit: jobs queued while a commit runs are committed together, each
 * op keeps its own result, and destroy commits what is still queued.
 *
 * Done callbacks run on the writer thread. They only record what happened,
 * under mu, and the test thread asserts: a cmocka failure longjmps into the
 * test, which is only defined on the thread running it. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cd_error.h"
#include "srv_commit.h"
#include "store.h"

/* Generous: TSan and a loaded CI machine make commits slow, but a lost
 * callback must fail the test, not hang it. */
#define WAIT_SEC 30
#define MAX_MORE 10

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;       /* CLOCK_MONOTONIC; made in main */
static unsigned ndone;          /* callbacks run since setup; under mu */

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
	pthread_mutex_lock(&mu);
	ndone = 0;
	pthread_mutex_unlock(&mu);
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
	/* Written by the callback under mu; read by the test once
	 * wait_callbacks says the callback ran. */
	int done;
	int txn_rc;
	int submit_rc[MAX_MORE];  /* of more[i], submitted from the callback */
	/* For the grouping tests: the first job queues these from its
	 * callback, i.e. while the writer is busy. */
	struct job *more;
	size_t nmore;
	srv_commit_t *cm;
	/* test_submit_after_stop's, read once destroy joined the writer:
	 * its probes (the holding job's list head, then each probe's link)
	 * and whether one was refused (1) or the wait timed out (-1). */
	struct job *probes;
	int held;
} job_t;

/* Records a callback's results and wakes the test thread. */
static void record(job_t *x, int txn_rc, const int *submit_rc, size_t n)
{
	pthread_mutex_lock(&mu);
	x->done++;
	x->txn_rc = txn_rc;
	for (size_t i = 0; i < n; i++)
		x->submit_rc[i] = submit_rc[i];
	ndone++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static void on_done(srv_commit_job_t *j, int txn_rc)
{
	job_t *x = j->arg;
	int rc[MAX_MORE];
	for (size_t i = 0; i < x->nmore; i++)
		rc[i] = srv_commit_submit(x->cm, &x->more[i].job);
	record(x, txn_rc, rc, x->nmore);
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

static struct timespec deadline(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += WAIT_SEC;
	return t;
}

static int passed(const struct timespec *dl)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec > dl->tv_sec ||
	       (t.tv_sec == dl->tv_sec && t.tv_nsec >= dl->tv_nsec);
}

/* Waits until n callbacks ran since setup. Taking mu also orders what the
 * writer wrote before them (op results) before the test's reads. */
static void wait_callbacks(unsigned n)
{
	struct timespec dl = deadline();
	int rc = 0;
	pthread_mutex_lock(&mu);
	while (ndone < n && rc == 0)  /* ETIMEDOUT ends it */
		rc = pthread_cond_timedwait(&cv, &mu, &dl);
	unsigned got = ndone;
	pthread_mutex_unlock(&mu);
	if (got < n)
		fail_msg("%u of %u commit callbacks after %d s", got, n,
		         WAIT_SEC);
}

/* The writer counts a commit after its callbacks returned, and srv_commit
 * has no notice of that: poll, with the same bound. */
static void wait_commits(srv_commit_t *cm, uint64_t commits)
{
	struct timespec dl = deadline();
	srv_commit_stats_t s;
	for (;;) {
		srv_commit_stats(cm, &s);
		if (s.commits >= commits)
			return;
		if (passed(&dl))
			fail_msg("%llu of %llu commits after %d s",
			         (unsigned long long)s.commits,
			         (unsigned long long)commits, WAIT_SEC);
		usleep(1000);
	}
}

static void test_lone_job(void **state)
{
	fx_t *f = *state;
	job_t a;
	job_init(&a, "lone", STORE_CLUSTER_CREATE);
	assert_int_equal(srv_commit_submit(f->cm, &a.job), CD_OK);
	wait_callbacks(1);
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
	wait_callbacks(11);
	wait_commits(f->cm, 2);
	for (int i = 0; i < 10; i++)
		assert_int_equal(first.submit_rc[i], CD_OK);

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
	wait_callbacks(11);
	wait_commits(cm, 4);
	srv_commit_stats_t s;
	srv_commit_stats(cm, &s);
	srv_commit_destroy(cm);  /* before a failed check leaves it running */
	for (int i = 0; i < 10; i++)
		assert_int_equal(first.submit_rc[i], CD_OK);
	assert_int_equal(s.commits, 4);  /* 1, then 4 + 4 + 2 */
	assert_int_equal(s.ops, 11);
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
	f->cm = NULL;
	wait_callbacks(20);
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
	/* Destroy has begun: a new submission is refused, not lost. */
	int rc = srv_commit_submit(x->cm, &x->more[0].job);
	record(x, txn_rc, &rc, 1);
}

/* Keeps the writer in this callback until destroy has begun, so that the
 * job queued behind it is committed only after that. Destroy beginning
 * shows only as submissions being refused: probe with harmless deletes,
 * each its own job since an accepted one stays queued behind us. */
static void hold_until_stopping(srv_commit_job_t *j, int txn_rc)
{
	job_t *x = j->arg;
	struct timespec dl = deadline();
	x->held = -1;
	while (!passed(&dl)) {
		job_t *p = malloc(sizeof(*p));
		if (!p)
			break;
		job_init(p, "stop-probe", STORE_CLUSTER_DELETE);
		if (srv_commit_submit(x->cm, &p->job) != CD_OK) {
			free(p);
			x->held = 1;
			break;
		}
		p->probes = x->probes;
		x->probes = p;
		usleep(1000);
	}
	record(x, txn_rc, NULL, 0);
}

static void test_submit_after_stop(void **state)
{
	fx_t *f = *state;
	job_t hold, a, b;
	job_init(&hold, "stop-hold", STORE_CLUSTER_CREATE);
	job_init(&a, "stop-a", STORE_CLUSTER_CREATE);
	job_init(&b, "stop-b", STORE_CLUSTER_CREATE);
	hold.job.done = hold_until_stopping;
	hold.cm = f->cm;
	a.job.done = refuse_more;
	a.more = &b;
	a.cm = f->cm;
	assert_int_equal(srv_commit_submit(f->cm, &hold.job), CD_OK);
	assert_int_equal(srv_commit_submit(f->cm, &a.job), CD_OK);
	srv_commit_destroy(f->cm);
	f->cm = NULL;
	/* Destroy joined the writer: every callback has run. */
	for (job_t *p = hold.probes, *next; p; p = next) {
		next = p->probes;
		free(p);
	}
	assert_int_equal(hold.held, 1);
	assert_int_equal(a.done, 1);
	assert_int_equal(a.submit_rc[0], CD_EUNAVAIL);
	assert_int_equal(b.done, 0);
	char err[256];
	assert_int_equal(srv_commit_create(&f->cm, f->st, 0, err, sizeof(err)),
	                 CD_OK);
}

static void test_failed_ops_reported(void **state)
{
	fx_t *f = *state;
	job_t a;
	job_init(&a, "nobody-here", STORE_CLUSTER_DELETE);
	assert_int_equal(srv_commit_submit(f->cm, &a.job), CD_OK);
	wait_callbacks(1);
	assert_int_equal(a.done, 1);
	assert_int_equal(a.txn_rc, CD_OK);
	assert_int_equal(a.op.rc, CD_ENOTFOUND);
	assert_non_null(strstr(a.op.err, "nobody-here"));
}

int main(void)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cv, &ca);
	pthread_condattr_destroy(&ca);

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
