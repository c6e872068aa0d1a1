/* Cluster operations and each of their errors; index consistency after
 * update and delete; durability across close and reopen. */
#include "fixture.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

typedef struct env {
	char *dir;
	store_t *st;
} env_t;

static int setup(void **state)
{
	env_t *e = calloc(1, sizeof(*e));
	e->dir = fx_tmpdir();
	e->st = fx_open(e->dir, 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	env_t *e = *state;
	store_close(e->st);
	fx_rmdir(e->dir);
	free(e);
	return 0;
}

static char err[256];

static void create(store_t *st, const char *id, const char *eco,
                   const char *region, const char *city, const char *ind)
{
	fx_cluster_t f;
	fx_cluster_init(&f, id, eco, region, city, ind);
	int rc = store_cluster_create(st, &f.c, NULL, err, sizeof(err));
	if (rc != CD_OK)
		fail_msg("create %s: %s", id, err);
}

/* Ids returned by a filtered listing, joined by ','. */
static void list_ids(store_t *st, const store_filter_t *flt, char *out,
                     size_t cap)
{
	store_cluster_page_t pg;
	out[0] = 0;
	int rc = store_cluster_list(st, flt, 1000, NULL, &pg, err, sizeof(err));
	if (rc != CD_OK)
		fail_msg("list: %s", err);
	for (size_t i = 0; i < pg.n; i++) {
		if (i)
			strncat(out, ",", cap - strlen(out) - 1);
		strncat(out, pg.items[i]->id, cap - strlen(out) - 1);
	}
	assert_string_equal(pg.next_token, "");
	store_cluster_page_free(&pg);
}

static void test_create_get(void **state)
{
	env_t *e = *state;
	fx_cluster_t f;
	store_cluster_t *out = NULL, *got = NULL;

	fx_cluster_init(&f, "seoul", "KR", "Seoul Capital Area", "Seoul", "S&T");
	fx_add_indicator(&f, "pct_applications", 2022, 63447);
	fx_add_indicator(&f, "scientific_publications", 2022, 133604);
	fx_add_label(&f, "maturity", "leading");
	fx_add_assessment(&f, "j1", "governance", 8);
	f.c.etag = "client-sent-etag-is-ignored";
	assert_int_equal(store_cluster_create(e->st, &f.c, &out, err,
	                                      sizeof(err)),
	                 CD_OK);
	assert_non_null(out);
	assert_string_equal(out->id, "seoul");
	assert_int_equal(strlen(out->etag), 16);
	assert_string_not_equal(out->etag, "client-sent-etag-is-ignored");
	assert_non_null(out->create_time);
	assert_non_null(out->update_time);
	assert_true(out->create_time->seconds > 1700000000);

	assert_int_equal(store_cluster_get(e->st, "seoul", &got, err,
	                                   sizeof(err)),
	                 CD_OK);
	assert_string_equal(got->name, "Cluster seoul");
	assert_string_equal(got->etag, out->etag);
	assert_int_equal(got->n_indicators, 2);
	assert_string_equal(got->indicators[1]->name, "scientific_publications");
	assert_true(got->indicators[1]->value == 133604);
	assert_int_equal(got->n_labels, 1);
	assert_string_equal(got->labels[0]->value, "leading");
	assert_int_equal(got->n_assessments, 1);
	assert_int_equal(got->n_cities, 1);
	store_cluster_free(got);

	/* Packed bytes decode to the same record. */
	uint8_t *buf;
	size_t len;
	assert_int_equal(store_cluster_get_packed(e->st, "seoul", &buf, &len, err,
	                                          sizeof(err)),
	                 CD_OK);
	got = clusters__v1__cluster__unpack(NULL, len, buf);
	assert_non_null(got);
	assert_string_equal(got->etag, out->etag);
	store_cluster_free(got);
	free(buf);
	store_cluster_free(out);
}

static void test_errors(void **state)
{
	env_t *e = *state;
	fx_cluster_t f;
	store_cluster_t *out = (store_cluster_t *)1;
	uint8_t *buf;
	size_t len;

	create(e->st, "paris", "FR", "Ile-de-France", "Paris", "S&T");
	fx_cluster_init(&f, "paris", "FR", NULL, NULL, NULL);
	assert_int_equal(store_cluster_create(e->st, &f.c, &out, err,
	                                      sizeof(err)),
	                 CD_EEXISTS);
	assert_null(out);
	assert_non_null(strstr(err, "\"paris\" already exists"));

	assert_int_equal(store_cluster_get(e->st, "nowhere", &out, err,
	                                   sizeof(err)),
	                 CD_ENOTFOUND);
	assert_non_null(strstr(err, "\"nowhere\" not found"));
	assert_int_equal(store_cluster_get(e->st, "Bad Id", &out, err,
	                                   sizeof(err)),
	                 CD_EV_ID);
	assert_int_equal(store_cluster_get_packed(e->st, "nowhere", &buf, &len,
	                                          err, sizeof(err)),
	                 CD_ENOTFOUND);
	assert_int_equal(store_cluster_get_packed(e->st, "", &buf, &len, err,
	                                          sizeof(err)),
	                 CD_EV_ID);

	fx_cluster_init(&f, "nowhere", "FR", NULL, NULL, NULL);
	assert_int_equal(store_cluster_update(e->st, &f.c, NULL, 0, NULL, NULL,
	                                      err, sizeof(err)),
	                 CD_ENOTFOUND);
	assert_int_equal(store_cluster_delete(e->st, "nowhere", NULL, err,
	                                      sizeof(err)),
	                 CD_ENOTFOUND);
	assert_int_equal(store_cluster_delete(e->st, "UPPER", NULL, err,
	                                      sizeof(err)),
	                 CD_EV_ID);

	/* An invalid record is refused before anything is written. */
	fx_cluster_init(&f, "lyon", "ZZ", NULL, NULL, NULL);
	assert_int_equal(store_cluster_create(e->st, &f.c, NULL, err,
	                                      sizeof(err)),
	                 CD_EV_ECONOMY);
	assert_int_equal(store_cluster_get(e->st, "lyon", &out, err,
	                                   sizeof(err)),
	                 CD_ENOTFOUND);

	/* Missing inputs. */
	store_op_t op = {.kind = STORE_CLUSTER_CREATE};
	assert_int_equal(store_apply(e->st, &op, 1), CD_OK);
	assert_int_equal(op.rc, CD_EINVAL);
	op = (store_op_t){.kind = (store_op_kind)99, .id = "x"};
	assert_int_equal(store_apply(e->st, &op, 1), CD_OK);
	assert_int_equal(op.rc, CD_EINVAL);
	assert_non_null(strstr(op.err, "unknown operation"));
	assert_int_equal(store_apply(e->st, NULL, 0), CD_OK);
}

static void test_update_etag_mask(void **state)
{
	env_t *e = *state;
	fx_cluster_t f, p;
	store_cluster_t *v1 = NULL, *v2 = NULL, *v3 = NULL;

	fx_cluster_init(&f, "wuhan", "CN", "Hubei", "Wuhan", "S&T");
	fx_add_indicator(&f, "pct_applications", 2022, 6250);
	assert_int_equal(store_cluster_create(e->st, &f.c, &v1, err,
	                                      sizeof(err)),
	                 CD_OK);

	/* Mask "name": only the name changes. */
	fx_cluster_init(&p, "wuhan", "US", "Elsewhere", NULL, NULL);
	snprintf(p.name, sizeof(p.name), "Wuhan S&T");
	const char *mask[] = {"name"};
	assert_int_equal(store_cluster_update(e->st, &p.c, mask, 1, v1->etag,
	                                      &v2, err, sizeof(err)),
	                 CD_OK);
	assert_string_equal(v2->name, "Wuhan S&T");
	assert_string_equal(v2->economy, "CN");
	assert_string_equal(v2->region, "Hubei");
	assert_int_equal(v2->n_indicators, 1);
	assert_string_not_equal(v2->etag, v1->etag);
	assert_int_equal(v2->create_time->seconds, v1->create_time->seconds);
	assert_int_equal(v2->create_time->nanos, v1->create_time->nanos);

	/* The old etag is now stale: update and delete both refuse. */
	assert_int_equal(store_cluster_update(e->st, &p.c, mask, 1, v1->etag,
	                                      NULL, err, sizeof(err)),
	                 CD_ECONFLICT);
	assert_non_null(strstr(err, "stale"));
	assert_int_equal(store_cluster_delete(e->st, "wuhan", v1->etag, err,
	                                      sizeof(err)),
	                 CD_ECONFLICT);

	/* Unknown and read-only mask paths. */
	const char *bad1[] = {"nme"};
	const char *bad2[] = {"etag"};
	const char *bad3[] = {"id"};
	assert_int_equal(store_cluster_update(e->st, &p.c, bad1, 1, NULL, NULL,
	                                      err, sizeof(err)),
	                 CD_EV_FIELDMASK);
	assert_non_null(strstr(err, "nme"));
	assert_int_equal(store_cluster_update(e->st, &p.c, bad2, 1, NULL, NULL,
	                                      err, sizeof(err)),
	                 CD_EV_FIELDMASK);
	assert_int_equal(store_cluster_update(e->st, &p.c, bad3, 1, NULL, NULL,
	                                      err, sizeof(err)),
	                 CD_EV_FIELDMASK);

	/* A merged result that breaks a rule is refused. */
	const char *eco[] = {"economy"};
	snprintf(p.economy, sizeof(p.economy), "QQ");
	assert_int_equal(store_cluster_update(e->st, &p.c, eco, 1, NULL, NULL,
	                                      err, sizeof(err)),
	                 CD_EV_ECONOMY);

	/* Full replace ("*"): every writable field from the patch. */
	fx_cluster_init(&p, "wuhan", "CN", "Hubei", "Wuhan", "Optics");
	const char *star[] = {"*"};
	assert_int_equal(store_cluster_update(e->st, &p.c, star, 1, v2->etag,
	                                      &v3, err, sizeof(err)),
	                 CD_OK);
	assert_string_equal(v3->industry, "Optics");
	assert_int_equal(v3->n_indicators, 0);

	/* allow_missing creates; and the created record is validated. */
	store_op_t op = {.kind = STORE_CLUSTER_UPDATE, .allow_missing = 1};
	fx_cluster_init(&p, "hangzhou", "CN", "Zhejiang", "Hangzhou", "S&T");
	op.cluster = &p.c;
	assert_int_equal(store_apply(e->st, &op, 1), CD_OK);
	assert_int_equal(op.rc, CD_OK);
	assert_int_equal(op.created, 1);
	fx_cluster_init(&p, "nanjing", "C1", NULL, NULL, NULL);
	op.cluster = &p.c;
	assert_int_equal(store_apply(e->st, &op, 1), CD_OK);
	assert_int_equal(op.rc, CD_EV_ECONOMY);

	/* Delete with the current etag works. */
	assert_int_equal(store_cluster_delete(e->st, "wuhan", v3->etag, err,
	                                      sizeof(err)),
	                 CD_OK);
	store_cluster_free(v1);
	store_cluster_free(v2);
	store_cluster_free(v3);
}

/* AIP-134: no mask updates the fields the patch sets and keeps the rest
 * (the "integrity" issue, item 4: a rename wiped region, cities,
 * indicators, assessments and labels); "*" replaces; a mask naming a
 * field clears it when the patch leaves it empty. */
static void test_update_without_mask(void **state)
{
	env_t *e = *state;
	fx_cluster_t f, p;
	store_cluster_t *v = NULL;

	fx_cluster_init(&f, "paris", "FR", "Ile-de-France", "Paris", "S&T");
	fx_add_city(&f, "Saclay");
	fx_add_indicator(&f, "pct_applications", 2022, 13000);
	fx_add_assessment(&f, "j1", "governance", 7);
	fx_add_label(&f, "source", "gii2023");
	assert_int_equal(store_cluster_create(e->st, &f.c, NULL, err,
	                                      sizeof(err)),
	                 CD_OK);

	/* {"id":"paris","name":"Paris (renamed)","economy":"FR"} */
	fx_cluster_init(&p, "paris", "FR", NULL, NULL, NULL);
	snprintf(p.name, sizeof(p.name), "Paris (renamed)");
	assert_int_equal(store_cluster_update(e->st, &p.c, NULL, 0, NULL, &v,
	                                      err, sizeof(err)),
	                 CD_OK);
	assert_string_equal(v->name, "Paris (renamed)");
	assert_string_equal(v->region, "Ile-de-France");
	assert_string_equal(v->industry, "S&T");
	assert_int_equal(v->n_cities, 2);
	assert_int_equal(v->n_indicators, 1);
	assert_int_equal(v->n_assessments, 1);
	assert_int_equal(v->n_labels, 1);
	store_cluster_free(v);

	/* Every field set: every field replaced. */
	fx_cluster_init(&p, "paris", "DE", "Bavaria", "Munich", "Optics");
	fx_add_indicator(&p, "population", 2020, 1.5e6);
	fx_add_assessment(&p, "j2", "market", 5);
	fx_add_label(&p, "edition", "2024");
	assert_int_equal(store_cluster_update(e->st, &p.c, NULL, 0, NULL, &v,
	                                      err, sizeof(err)),
	                 CD_OK);
	assert_string_equal(v->economy, "DE");
	assert_string_equal(v->region, "Bavaria");
	assert_string_equal(v->industry, "Optics");
	assert_int_equal(v->n_cities, 1);
	assert_string_equal(v->cities[0], "Munich");
	assert_string_equal(v->indicators[0]->name, "population");
	assert_string_equal(v->assessments[0]->judge, "j2");
	assert_string_equal(v->labels[0]->key, "edition");
	store_cluster_free(v);

	/* Clearing needs the mask: the cities named, left empty. */
	fx_cluster_init(&p, "paris", "", NULL, NULL, NULL);
	const char *cities[] = {"cities"};
	assert_int_equal(store_cluster_update(e->st, &p.c, cities, 1, NULL, &v,
	                                      err, sizeof(err)),
	                 CD_OK);
	assert_int_equal(v->n_cities, 0);
	assert_string_equal(v->region, "Bavaria");
	assert_int_equal(v->n_indicators, 1);
	store_cluster_free(v);

	/* "*" among other paths is refused; alone it replaces everything. */
	fx_cluster_init(&p, "paris", "FR", NULL, NULL, NULL);
	const char *mixed[] = {"name", "*"};
	assert_int_equal(store_cluster_update(e->st, &p.c, mixed, 2, NULL, NULL,
	                                      err, sizeof(err)),
	                 CD_EV_FIELDMASK);
	assert_non_null(strstr(err, "update_mask.paths[1]: "));
	const char *star[] = {"*"};
	assert_int_equal(store_cluster_update(e->st, &p.c, star, 1, NULL, &v,
	                                      err, sizeof(err)),
	                 CD_OK);
	assert_string_equal(v->economy, "FR");
	assert_string_equal(v->region, "");
	assert_int_equal(v->n_indicators, 0);
	assert_int_equal(v->n_assessments, 0);
	assert_int_equal(v->n_labels, 0);
	store_cluster_free(v);
}

static void test_batch_mixed(void **state)
{
	env_t *e = *state;
	fx_cluster_t a, b, c;
	fx_cluster_init(&a, "a1", "US", NULL, NULL, NULL);
	fx_cluster_init(&b, "a1", "US", NULL, NULL, NULL); /* duplicate */
	fx_cluster_init(&c, "a2", "XX", NULL, NULL, NULL); /* invalid */
	store_op_t ops[4] = {
		{.kind = STORE_CLUSTER_CREATE, .cluster = &a.c, .want_result = 1},
		{.kind = STORE_CLUSTER_CREATE, .cluster = &b.c},
		{.kind = STORE_CLUSTER_CREATE, .cluster = &c.c},
		{.kind = STORE_CLUSTER_UPSERT, .cluster = &a.c, .want_result = 1},
	};
	assert_int_equal(store_apply(e->st, ops, 4), CD_OK);
	assert_int_equal(ops[0].rc, CD_OK);
	assert_int_equal(ops[0].created, 1);
	assert_int_equal(ops[1].rc, CD_EEXISTS);
	assert_int_equal(ops[2].rc, CD_EV_ECONOMY);
	assert_int_equal(ops[3].rc, CD_OK);
	assert_int_equal(ops[3].created, 0);
	/* Two writes in one transaction still get distinct etags. */
	assert_string_not_equal(ops[0].cluster_out->etag,
	                        ops[3].cluster_out->etag);
	store_cluster_free(ops[0].cluster_out);
	store_cluster_free(ops[3].cluster_out);
	store_stats_t s;
	assert_int_equal(store_stats(e->st, &s), CD_OK);
	assert_int_equal(s.clusters, 1);

	/* Index entries of one batch are applied in key order: a record
	 * written, moved and written again within a batch ends up under its
	 * last values only. */
	char ids[256];
	store_filter_t us = {.economy = "US"}, fr = {.economy = "FR"};
	list_ids(e->st, &us, ids, sizeof(ids));
	assert_string_equal(ids, "a1");
	fx_cluster_t m1, m2, m3;
	fx_cluster_init(&m1, "a1", "FR", NULL, "Lyon", NULL);
	fx_cluster_init(&m2, "a0", "FR", NULL, "Lyon", NULL);
	fx_cluster_init(&m3, "a1", "US", NULL, "Boston", NULL);
	store_op_t mv[4] = {
		{.kind = STORE_CLUSTER_UPSERT, .cluster = &m1.c},
		{.kind = STORE_CLUSTER_UPSERT, .cluster = &m2.c},
		{.kind = STORE_CLUSTER_UPSERT, .cluster = &m3.c},
		{.kind = STORE_CLUSTER_DELETE, .id = "a0"},
	};
	assert_int_equal(store_apply(e->st, mv, 4), CD_OK);
	for (int i = 0; i < 4; i++)
		assert_int_equal(mv[i].rc, CD_OK);
	list_ids(e->st, &fr, ids, sizeof(ids));
	assert_string_equal(ids, "");
	list_ids(e->st, &us, ids, sizeof(ids));
	assert_string_equal(ids, "a1");
	store_filter_t lyon = {.city = "Lyon"}, boston = {.city = "Boston"};
	list_ids(e->st, &lyon, ids, sizeof(ids));
	assert_string_equal(ids, "");
	list_ids(e->st, &boston, ids, sizeof(ids));
	assert_string_equal(ids, "a1");
}

/* want_packed hands back the record exactly as stored, for a create from
 * the client's bytes, a create the store encodes and a masked update; a
 * failing op gets none. */
static void test_packed_output(void **state)
{
	env_t *e = *state;
	char msg[256];
	fx_cluster_t a, b, patch;
	fx_cluster_init(&a, "po-a", "JP", "Kansai", "Osaka", "S&T");
	fx_add_indicator(&a, "pct_applications", 2022, 38413);
	fx_cluster_init(&b, "po-b", "DE", NULL, "Berlin", NULL);
	fx_cluster_init(&patch, "po-b", "FR", NULL, NULL, NULL);
	size_t len = clusters__v1__cluster__get_packed_size(&a.c);
	uint8_t *wire = malloc(len);
	clusters__v1__cluster__pack(&a.c, wire);
	const char *mask[] = {"economy"};
	store_op_t ops[4] = {
		{.kind = STORE_CLUSTER_CREATE, .cluster = &a.c, .packed = wire,
		 .packed_len = len, .want_packed = 1},
		{.kind = STORE_CLUSTER_CREATE, .cluster = &b.c, .want_packed = 1},
		{.kind = STORE_CLUSTER_UPDATE, .cluster = &patch.c, .mask = mask,
		 .mask_len = 1, .want_packed = 1},
		{.kind = STORE_CLUSTER_CREATE, .cluster = &b.c, .want_packed = 1},
	};
	assert_int_equal(store_apply(e->st, ops, 4), CD_OK);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ops[i].rc, CD_OK);
		assert_non_null(ops[i].packed_out);
		assert_null(ops[i].cluster_out); /* not asked for */
	}
	assert_int_equal(ops[3].rc, CD_EEXISTS);
	assert_null(ops[3].packed_out);
	/* ops[1] and ops[2] wrote the same record: the last is stored. */
	const int last[2] = {0, 2};
	for (int k = 0; k < 2; k++) {
		store_op_t *op = &ops[last[k]];
		uint8_t *stored;
		size_t slen;
		assert_int_equal(store_cluster_get_packed(e->st,
		                                          op->cluster->id,
		                                          &stored, &slen, msg,
		                                          sizeof(msg)),
		                 CD_OK);
		assert_int_equal(op->packed_out_len, slen);
		assert_memory_equal(op->packed_out, stored, slen);
		free(stored);
	}
	store_cluster_t *u = clusters__v1__cluster__unpack(
		NULL, ops[2].packed_out_len, ops[2].packed_out);
	assert_non_null(u);
	assert_string_equal(u->economy, "FR");
	assert_int_equal(u->n_cities, 1); /* kept: not in the mask */
	assert_non_null(u->etag);
	assert_true(strlen(u->etag) > 0);
	store_cluster_free(u);
	for (int i = 0; i < 4; i++)
		free(ops[i].packed_out);
	free(wire);
}

/* A record written from the client's packed bytes is stored exactly as
 * the store would encode it, with the client's etag and times replaced. */
static void test_packed_input(void **state)
{
	env_t *e = *state;
	fx_cluster_t f;
	Google__Protobuf__Timestamp bogus = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	store_cluster_t *first = NULL, *second = NULL;

	fx_cluster_init(&f, "osaka", "JP", "Kansai", "Osaka", "S&T");
	fx_add_city(&f, "Kobe");
	fx_add_indicator(&f, "pct_applications", 2022, 38413);
	fx_add_label(&f, "maturity", "leading");
	fx_add_assessment(&f, "j1", "governance", 7);
	assert_int_equal(store_cluster_create(e->st, &f.c, &first, err,
	                                      sizeof(err)),
	                 CD_OK);

	/* The client sends an etag and times of its own: all ignored. */
	bogus.seconds = 12345;
	bogus.nanos = 6789;
	f.c.etag = "ffffffffffffffff";
	f.c.create_time = &bogus;
	f.c.update_time = &bogus;
	size_t len = clusters__v1__cluster__get_packed_size(&f.c);
	uint8_t *wire = malloc(len);
	clusters__v1__cluster__pack(&f.c, wire);
	store_op_t op = {.kind = STORE_CLUSTER_UPSERT, .cluster = &f.c,
	                 .packed = wire, .packed_len = len, .want_result = 1};
	assert_int_equal(store_apply(e->st, &op, 1), CD_OK);
	assert_int_equal(op.rc, CD_OK);
	second = op.cluster_out;
	assert_string_not_equal(second->etag, "ffffffffffffffff");
	assert_string_not_equal(second->etag, first->etag);
	assert_int_equal(second->create_time->seconds,
	                 first->create_time->seconds);
	assert_int_equal(second->create_time->nanos, first->create_time->nanos);
	assert_true(second->update_time->seconds != 12345);

	/* Stored bytes are canonical: re-encoding the decoded record gives
	 * the same bytes. */
	uint8_t *stored;
	size_t slen;
	assert_int_equal(store_cluster_get_packed(e->st, "osaka", &stored, &slen,
	                                          err, sizeof(err)),
	                 CD_OK);
	store_cluster_t *dec = clusters__v1__cluster__unpack(NULL, slen, stored);
	assert_non_null(dec);
	size_t rlen = clusters__v1__cluster__get_packed_size(dec);
	uint8_t *re = malloc(rlen);
	clusters__v1__cluster__pack(dec, re);
	assert_int_equal(rlen, slen);
	assert_memory_equal(re, stored, slen);
	assert_int_equal(dec->n_cities, 2);
	assert_int_equal(dec->n_labels, 1);
	assert_int_equal(dec->n_assessments, 1);

	/* Bytes that are not protobuf: the store encodes the record itself. */
	uint8_t junk[] = {0xff, 0xff, 0xff};
	op = (store_op_t){.kind = STORE_CLUSTER_UPSERT, .cluster = &f.c,
	                  .packed = junk, .packed_len = sizeof(junk)};
	assert_int_equal(store_apply(e->st, &op, 1), CD_OK);
	assert_int_equal(op.rc, CD_OK);
	store_cluster_t *third;
	assert_int_equal(store_cluster_get(e->st, "osaka", &third, err,
	                                   sizeof(err)),
	                 CD_OK);
	assert_int_equal(third->n_indicators, 1);
	assert_string_not_equal(third->etag, "ffffffffffffffff");

	/* Unless the caller says it validated, the store checks. */
	fx_cluster_t bad;
	fx_cluster_init(&bad, "bad-economy", "QQ", NULL, NULL, NULL);
	op = (store_op_t){.kind = STORE_CLUSTER_CREATE, .cluster = &bad.c};
	assert_int_equal(store_apply(e->st, &op, 1), CD_OK);
	assert_int_equal(op.rc, CD_EV_ECONOMY);

	store_cluster_free(third);
	store_cluster_free(dec);
	free(re);
	free(stored);
	free(wire);
	store_cluster_free(first);
	store_cluster_free(second);
}

/* Packed bytes that hold more than the decoded message shows — a NUL in
 * a string, a field this schema does not know — are refused by the store
 * itself when the caller has not checked them (op.validated = 0). */
static void test_packed_input_checked(void **state)
{
	env_t *e = *state;
	fx_cluster_t f;
	fx_cluster_init(&f, "kyoto", "JP", "Kansai", "Kyoto", "S&T");
	size_t len = clusters__v1__cluster__get_packed_size(&f.c);
	uint8_t *wire = malloc(len + 16);
	clusters__v1__cluster__pack(&f.c, wire);

	/* An unknown field number 99 (varint 1) after the known ones. */
	uint8_t unk[] = {0x98, 0x06, 0x01};
	memcpy(wire + len, unk, sizeof(unk));
	store_op_t op = {.kind = STORE_CLUSTER_UPSERT, .cluster = &f.c,
	                 .packed = wire, .packed_len = len + sizeof(unk)};
	assert_int_equal(store_apply(e->st, &op, 1), CD_OK);
	assert_int_equal(op.rc, CD_EV_UNKNOWN_FIELD);
	assert_non_null(strstr(op.err, "unknown field number 99"));

	/* The name again, with a NUL inside: last value wins on decode. */
	uint8_t nul[] = {0x12, 0x03, 'a', 0, 'b'};
	memcpy(wire + len, nul, sizeof(nul));
	op = (store_op_t){.kind = STORE_CLUSTER_UPSERT, .cluster = &f.c,
	                  .packed = wire, .packed_len = len + sizeof(nul)};
	assert_int_equal(store_apply(e->st, &op, 1), CD_OK);
	assert_int_equal(op.rc, CD_EV_ENCODING);
	assert_non_null(strstr(op.err, "name: holds a NUL byte"));

	store_cluster_t *got = NULL;
	assert_int_equal(store_cluster_get(e->st, "kyoto", &got, err,
	                                   sizeof(err)),
	                 CD_ENOTFOUND);
	free(wire);
}

static void test_index_consistency(void **state)
{
	env_t *e = *state;
	char ids[1024];
	store_filter_t flt = {0};
	fx_cluster_t f;

	create(e->st, "bj", "CN", "Beijing", "Beijing", "S&T");
	create(e->st, "sz-hk", "CN/HK", "Guangdong", "Shenzhen", "S&T");
	fx_cluster_init(&f, "gz-fs", "CN", "Guangdong", "Guangzhou", "Home");
	fx_add_city(&f, "Foshan");
	assert_int_equal(store_cluster_create(e->st, &f.c, NULL, err,
	                                      sizeof(err)),
	                 CD_OK);
	create(e->st, "tokyo", "JP", "Kanto", "Tokyo", "S&T");

	flt.economy = "CN";
	list_ids(e->st, &flt, ids, sizeof(ids));
	assert_string_equal(ids, "bj,gz-fs,sz-hk");
	flt.economy = "HK";
	list_ids(e->st, &flt, ids, sizeof(ids));
	assert_string_equal(ids, "sz-hk");
	flt.economy = "CN/HK";
	list_ids(e->st, &flt, ids, sizeof(ids));
	assert_string_equal(ids, "sz-hk");
	flt = (store_filter_t){.city = "Foshan"};
	list_ids(e->st, &flt, ids, sizeof(ids));
	assert_string_equal(ids, "gz-fs");
	flt = (store_filter_t){.region = "Guangdong", .industry = "S&T"};
	list_ids(e->st, &flt, ids, sizeof(ids));
	assert_string_equal(ids, "sz-hk");
	flt = (store_filter_t){.industry = "S&T", .economy = "CN"};
	list_ids(e->st, &flt, ids, sizeof(ids));
	assert_string_equal(ids, "bj,sz-hk");
	flt = (store_filter_t){.economy = "FR"};
	list_ids(e->st, &flt, ids, sizeof(ids));
	assert_string_equal(ids, "");

	/* Move gz-fs to other cities, region, economy and industry: no
	 * filter may still find it under the old values. */
	fx_cluster_init(&f, "gz-fs", "JP", "Kansai", "Osaka", "Optics");
	assert_int_equal(store_cluster_update(e->st, &f.c, NULL, 0, NULL, NULL,
	                                      err, sizeof(err)),
	                 CD_OK);
	const char *olds[][2] = {{"city", "Foshan"}, {"city", "Guangzhou"},
	                         {"region", "Guangdong"}, {"industry", "Home"}};
	for (size_t i = 0; i < 4; i++) {
		flt = (store_filter_t){0};
		if (!strcmp(olds[i][0], "city"))
			flt.city = olds[i][1];
		else if (!strcmp(olds[i][0], "region"))
			flt.region = olds[i][1];
		else
			flt.industry = olds[i][1];
		list_ids(e->st, &flt, ids, sizeof(ids));
		assert_null(strstr(ids, "gz-fs"));
	}
	flt = (store_filter_t){.economy = "CN"};
	list_ids(e->st, &flt, ids, sizeof(ids));
	assert_string_equal(ids, "bj,sz-hk");
	flt = (store_filter_t){.economy = "JP"};
	list_ids(e->st, &flt, ids, sizeof(ids));
	assert_string_equal(ids, "gz-fs,tokyo");
	flt = (store_filter_t){.city = "Osaka"};
	list_ids(e->st, &flt, ids, sizeof(ids));
	assert_string_equal(ids, "gz-fs");

	/* Delete: gone from every index. */
	assert_int_equal(store_cluster_delete(e->st, "sz-hk", NULL, err,
	                                      sizeof(err)),
	                 CD_OK);
	flt = (store_filter_t){.economy = "HK"};
	list_ids(e->st, &flt, ids, sizeof(ids));
	assert_string_equal(ids, "");
	flt = (store_filter_t){.city = "Shenzhen"};
	list_ids(e->st, &flt, ids, sizeof(ids));
	assert_string_equal(ids, "");
	flt = (store_filter_t){.industry = "S&T"};
	list_ids(e->st, &flt, ids, sizeof(ids));
	assert_string_equal(ids, "bj,tokyo");
	list_ids(e->st, NULL, ids, sizeof(ids));
	assert_string_equal(ids, "bj,gz-fs,tokyo");
}

static void test_reopen(void **state)
{
	env_t *e = *state;
	fx_cluster_t f;
	store_cluster_t *got;
	struct stat sb;
	char path[600];

	fx_cluster_init(&f, "nagoya", "JP", "Chubu", "Nagoya", "S&T");
	fx_add_indicator(&f, "pct_applications", 2022, 17736);
	assert_int_equal(store_cluster_create(e->st, &f.c, NULL, err,
	                                      sizeof(err)),
	                 CD_OK);
	store_close(e->st);
	e->st = fx_open(e->dir, 0);
	assert_int_equal(store_cluster_get(e->st, "nagoya", &got, err,
	                                   sizeof(err)),
	                 CD_OK);
	assert_true(got->indicators[0]->value == 17736);
	store_cluster_free(got);

	/* The data directory and files are private. */
	assert_int_equal(stat(e->dir, &sb), 0);
	snprintf(path, sizeof(path), "%s/data.mdb", e->dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/lock.mdb", e->dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
}

static void test_open_errors(void **state)
{
	(void)state;
	store_t *st = (store_t *)1;
	assert_int_equal(store_open(&st, "", NULL, err, sizeof(err)), CD_EINVAL);
	assert_null(st);
	assert_int_equal(store_open(&st, "/proc/version/x", NULL, err,
	                            sizeof(err)),
	                 CD_EIO);
	assert_null(st);
	assert_non_null(strstr(err, "/proc/version/x"));
	store_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_etag_mask, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_update_without_mask, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_batch_mixed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_packed_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_packed_input_checked, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_packed_output, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_index_consistency, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
		cmocka_unit_test(test_open_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
