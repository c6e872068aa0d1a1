/* Competitions and runs: create, get, list (paged), delete, and errors. */
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

typedef struct comp {
	Clusters__V1__Competition c;
	Clusters__V1__Round r;
	Clusters__V1__Round *rp[1];
	Clusters__V1__Criterion cr;
	Clusters__V1__Criterion *crp[1];
	char id[64];
} comp_t;

static void comp_init(comp_t *c, const char *id)
{
	clusters__v1__competition__init(&c->c);
	clusters__v1__round__init(&c->r);
	clusters__v1__criterion__init(&c->cr);
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->c.id = c->id;
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

static void test_competition_crud(void **state)
{
	(void)state;
	comp_t c;
	store_competition_t *out = NULL, *got = NULL;

	comp_init(&c, "gii-2023");
	assert_int_equal(store_competition_create(st, &c.c, &out, err,
	                                          sizeof(err)),
	                 CD_OK);
	assert_int_equal(strlen(out->etag), 16);
	assert_non_null(out->create_time);
	assert_int_equal(store_competition_get(st, "gii-2023", &got, err,
	                                       sizeof(err)),
	                 CD_OK);
	assert_string_equal(got->title, "Top S&T clusters");
	assert_int_equal(got->n_rounds, 1);
	assert_string_equal(got->rounds[0]->criteria[0]->plugin, "st_output");
	assert_string_equal(got->etag, out->etag);
	store_competition_free(got);
	store_competition_free(out);

	assert_int_equal(store_competition_create(st, &c.c, NULL, err,
	                                          sizeof(err)),
	                 CD_EEXISTS);
	assert_int_equal(store_competition_get(st, "nope", &got, err,
	                                       sizeof(err)),
	                 CD_ENOTFOUND);
	assert_int_equal(store_competition_get(st, "No Pe", &got, err,
	                                       sizeof(err)),
	                 CD_EV_ID);
	/* Text the store keeps is checked here; what a definition means is
	 * the engine's, checked by the service before it gets here. */
	snprintf(c.id, sizeof(c.id), "badtitle");
	c.c.title = "";
	assert_int_equal(store_competition_create(st, &c.c, NULL, err,
	                                          sizeof(err)),
	                 CD_EV_EMPTY);
	c.c.title = "Top S&T clusters";
	assert_int_equal(store_competition_delete(st, "gii-2023", NULL, err,
	                                          sizeof(err)),
	                 CD_OK);
	assert_int_equal(store_competition_delete(st, "gii-2023", NULL, err,
	                                          sizeof(err)),
	                 CD_ENOTFOUND);
	assert_int_equal(store_competition_get(st, "gii-2023", &got, err,
	                                       sizeof(err)),
	                 CD_ENOTFOUND);
}

/* AIP-134 updates: mask, no mask (the fields set), "*", etag; and every
 * refusal. */
static void test_competition_update(void **state)
{
	(void)state;
	comp_t c, p;
	store_competition_t *v1 = NULL, *v2 = NULL, *v3 = NULL, *got = NULL;

	comp_init(&c, "upd");
	c.c.description = "first";
	c.c.summary_group_min = 2;
	assert_int_equal(store_competition_create(st, &c.c, &v1, err,
	                                          sizeof(err)),
	                 CD_OK);
	assert_non_null(v1->update_time);

	/* No mask: only what the patch sets (the title) changes. */
	comp_init(&p, "upd");
	p.c.title = "Renamed";
	p.c.edition = "";
	p.c.n_rounds = 0;
	assert_int_equal(store_competition_update(st, &p.c, NULL, 0, v1->etag,
	                                          &v2, err, sizeof(err)),
	                 CD_OK);
	assert_string_equal(v2->title, "Renamed");
	assert_string_equal(v2->edition, "2023");
	assert_string_equal(v2->description, "first");
	assert_int_equal(v2->summary_group_min, 2);
	assert_int_equal(v2->n_rounds, 1);
	assert_string_not_equal(v2->etag, v1->etag);
	assert_int_equal(v2->create_time->seconds, v1->create_time->seconds);
	assert_int_equal(v2->create_time->nanos, v1->create_time->nanos);
	assert_non_null(v2->update_time);

	/* The old etag is stale now: update and delete refuse. */
	assert_int_equal(store_competition_update(st, &p.c, NULL, 0, v1->etag,
	                                          NULL, err, sizeof(err)),
	                 CD_ECONFLICT);
	assert_non_null(strstr(err, "stale"));
	assert_int_equal(store_competition_delete(st, "upd", v1->etag, err,
	                                          sizeof(err)),
	                 CD_ECONFLICT);

	/* A mask clears what it names and the patch leaves empty. */
	const char *desc[] = {"description", "summary_group_min"};
	assert_int_equal(store_competition_update(st, &p.c, desc, 2, NULL,
	                                          &v3, err, sizeof(err)),
	                 CD_OK);
	assert_string_equal(v3->description, "");
	assert_int_equal(v3->summary_group_min, 0);
	assert_string_equal(v3->title, "Renamed");

	/* "*": every writable field from the patch; the etag and times are
	 * the store's, whatever the patch says. */
	comp_init(&p, "upd");
	p.c.etag = "client-etag";
	const char *star[] = {"*"};
	assert_int_equal(store_competition_update(st, &p.c, star, 1, v3->etag,
	                                          &got, err, sizeof(err)),
	                 CD_OK);
	assert_string_equal(got->title, "Top S&T clusters");
	assert_string_not_equal(got->etag, "client-etag");
	assert_int_equal(got->create_time->seconds, v1->create_time->seconds);
	store_competition_free(got);

	/* Mask paths naming no writable field. */
	const char *bad[][2] = {{"titel", "unknown field"},
	                        {"etag", "cannot be changed"},
	                        {"id", "cannot be changed"},
	                        {"create_time", "cannot be changed"},
	                        {"update_time", "cannot be changed"}};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *m[] = {"title", bad[i][0]};
		assert_int_equal(store_competition_update(st, &p.c, m, 2, NULL,
		                                          NULL, err,
		                                          sizeof(err)),
		                 CD_EV_FIELDMASK);
		assert_non_null(strstr(err, "update_mask.paths[1]: "));
		assert_non_null(strstr(err, bad[i][1]));
	}
	const char *mixed[] = {"title", "*"};
	assert_int_equal(store_competition_update(st, &p.c, mixed, 2, NULL,
	                                          NULL, err, sizeof(err)),
	                 CD_EV_FIELDMASK);
	assert_non_null(strstr(err, "must be the only path"));

	/* The merged record is validated: a title emptied by the mask. */
	const char *title[] = {"title"};
	char *old_title = p.c.title;
	p.c.title = "";
	assert_int_equal(store_competition_update(st, &p.c, title, 1, NULL,
	                                          NULL, err, sizeof(err)),
	                 CD_EV_EMPTY);
	assert_non_null(strstr(err, "title: "));
	p.c.title = old_title;

	/* Unknown id, bad id, no competition at all. */
	comp_init(&p, "nowhere");
	assert_int_equal(store_competition_update(st, &p.c, NULL, 0, NULL,
	                                          NULL, err, sizeof(err)),
	                 CD_ENOTFOUND);
	comp_init(&p, "No Pe");
	assert_int_equal(store_competition_update(st, &p.c, NULL, 0, NULL,
	                                          NULL, err, sizeof(err)),
	                 CD_EV_ID);
	store_op_t op = {.kind = STORE_COMPETITION_UPDATE};
	assert_int_equal(store_apply(st, &op, 1), CD_OK);
	assert_int_equal(op.rc, CD_EINVAL);

	/* Nothing refused above was written. */
	assert_int_equal(store_competition_get(st, "upd", &got, err,
	                                       sizeof(err)),
	                 CD_OK);
	assert_int_equal(got->n_rounds, 1);
	assert_string_equal(got->title, "Top S&T clusters");

	/* Delete with the current etag. */
	assert_int_equal(store_competition_delete(st, "upd", got->etag, err,
	                                          sizeof(err)),
	                 CD_OK);
	store_competition_free(got);
	store_competition_free(v1);
	store_competition_free(v2);
	store_competition_free(v3);
}

static void test_competition_list(void **state)
{
	(void)state;
	comp_t c;
	for (int i = 0; i < 25; i++) {
		char id[32];
		snprintf(id, sizeof(id), "comp-%02d", i);
		comp_init(&c, id);
		assert_int_equal(store_competition_create(st, &c.c, NULL, err,
		                                          sizeof(err)),
		                 CD_OK);
	}
	char *tok = strdup("");
	int seen = 0, pages = 0;
	do {
		store_competition_page_t pg;
		assert_int_equal(store_competition_list(st, 10, tok, &pg, err,
		                                        sizeof(err)),
		                 CD_OK);
		for (size_t i = 0; i < pg.n; i++) {
			char id[32];
			snprintf(id, sizeof(id), "comp-%02d", seen++);
			assert_string_equal(pg.items[i]->id, id);
		}
		free(tok);
		tok = strdup(pg.next_token);
		store_competition_page_free(&pg);
		pages++;
	} while (*tok);
	free(tok);
	assert_int_equal(seen, 25);
	assert_int_equal(pages, 3);
}

static void make_run(Clusters__V1__Run *run, Clusters__V1__Standing *sd,
                     Clusters__V1__Standing **sp, const char *id,
                     const char *comp)
{
	clusters__v1__run__init(run);
	for (int i = 0; i < 3; i++) {
		clusters__v1__standing__init(&sd[i]);
		sd[i].cluster_id = (char *)(i == 0 ? "a" : i == 1 ? "b" : "c");
		sd[i].rank = i + 1;
		sp[i] = &sd[i];
	}
	run->id = (char *)id;
	run->competition_id = (char *)comp;
	run->data_version = 42;
	run->standings = sp;
	run->n_standings = 3;
}

static void test_runs(void **state)
{
	(void)state;
	Clusters__V1__Run run;
	Clusters__V1__Standing sd[3], *sp[3];
	store_run_t *got;

	const char *runs[][2] = {{"x-1", "x"}, {"x-2", "x"}, {"y-1", "y"},
	                         {"x-3", "x"}, {"xx-1", "xx"}};
	for (size_t i = 0; i < 5; i++) {
		make_run(&run, sd, sp, runs[i][0], runs[i][1]);
		assert_int_equal(store_run_put(st, &run, err, sizeof(err)), CD_OK);
	}
	assert_int_equal(store_run_put(st, &run, err, sizeof(err)), CD_EEXISTS);
	run.id = "Bad";
	assert_int_equal(store_run_put(st, &run, err, sizeof(err)), CD_EV_ID);
	run.id = "ok";
	run.competition_id = "";
	assert_int_equal(store_run_put(st, &run, err, sizeof(err)), CD_EV_ID);
	assert_non_null(strstr(err, "run.competition_id"));

	assert_int_equal(store_run_get(st, "x-2", 1, &got, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(got->n_standings, 3);
	assert_int_equal(got->data_version, 42);
	store_run_free(got);
	assert_int_equal(store_run_get(st, "x-2", 0, &got, err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(got->n_standings, 0);
	assert_string_equal(got->competition_id, "x");
	store_run_free(got);
	assert_int_equal(store_run_get(st, "zz", 0, &got, err, sizeof(err)),
	                 CD_ENOTFOUND);

	/* Runs of x only (not of xx, whose id shares the prefix). */
	store_run_page_t pg;
	assert_int_equal(store_run_list(st, "x", 2, NULL, 0, &pg, err,
	                                sizeof(err)),
	                 CD_OK);
	assert_int_equal(pg.n, 2);
	assert_string_equal(pg.items[0]->id, "x-1");
	assert_string_equal(pg.items[1]->id, "x-2");
	assert_int_equal(pg.items[0]->n_standings, 0);
	char *tok = strdup(pg.next_token);
	store_run_page_free(&pg);
	/* The token is bound to competition x. */
	assert_int_equal(store_run_list(st, "y", 2, tok, 0, &pg, err,
	                                sizeof(err)),
	                 CD_EPAGETOKEN);
	assert_int_equal(store_run_list(st, "x", 2, tok, 1, &pg, err,
	                                sizeof(err)),
	                 CD_OK);
	assert_int_equal(pg.n, 1);
	assert_string_equal(pg.items[0]->id, "x-3");
	assert_int_equal(pg.items[0]->n_standings, 3);
	assert_string_equal(pg.next_token, "");
	store_run_page_free(&pg);
	free(tok);

	/* All runs. */
	assert_int_equal(store_run_list(st, NULL, 100, NULL, 0, &pg, err,
	                                sizeof(err)),
	                 CD_OK);
	assert_int_equal(pg.n, 5);
	store_run_page_free(&pg);
	assert_int_equal(store_run_list(st, "Bad Comp", 100, NULL, 0, &pg, err,
	                                sizeof(err)),
	                 CD_EV_ID);

	/* Delete removes it from every list. */
	assert_int_equal(store_run_delete(st, "x-1", err, sizeof(err)), CD_OK);
	assert_int_equal(store_run_delete(st, "x-1", err, sizeof(err)),
	                 CD_ENOTFOUND);
	assert_int_equal(store_run_list(st, "x", 100, NULL, 0, &pg, err,
	                                sizeof(err)),
	                 CD_OK);
	assert_int_equal(pg.n, 2);
	store_run_page_free(&pg);
	assert_int_equal(store_run_get(st, "x-1", 1, &got, err, sizeof(err)),
	                 CD_ENOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_competition_crud, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_competition_update, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_competition_list, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_runs, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
