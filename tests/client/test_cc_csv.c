/* cc_csv and cc_input: clusters from CSV and JSON files, and back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cc_client.h"
#include "cc_csv.h"
#include "cc_fill.h"
#include "cc_input.h"
#include "cd_error.h"

typedef struct got {
	Clusters__V1__Cluster *v[16];
	size_t n;
	size_t last_done;
	int stop_at;  /* return non-zero on this record (1-based); 0 = never */
} got_t;

static int take(Clusters__V1__Cluster *c, size_t row, size_t done, void *ud)
{
	got_t *g = ud;
	assert_int_equal(row, g->n + 1);
	assert_true(done >= g->last_done);
	g->last_done = done;
	assert_true(g->n < 16);
	g->v[g->n++] = c;
	return g->stop_at && (int)g->n == g->stop_at ? 42 : 0;
}

static void got_free(got_t *g)
{
	for (size_t i = 0; i < g->n; i++)
		cc_msg_free(g->v[i]);
	g->n = 0;
	g->last_done = 0;
}

static const char sample[] =
	"\xEF\xBB\xBF# A published table.\n"
	"# Shares are of world totals.\n"
	"id,name,economy,region,cities,industry,pct_applications@2022,"
	"scientific_publications@2022,pct_applications@2021,label:source\n"
	"tokyo,Tokyo–Yokohama,JP,Kanto,Tokyo; Yokohama ;,,127418,115020,,gii\n"
	"\n"
	"sj,\"San Jose–San Francisco, CA\",US,,\"San Jose;San Francisco\","
	"tech,47269,5.8575e4,46000.5,\n";

static void test_read(void **state)
{
	(void)state;
	got_t g = { .n = 0 };
	char err[256];
	assert_int_equal(cc_csv_read(sample, strlen(sample), take, &g, err,
	                             sizeof(err)), CD_OK);
	assert_int_equal(g.n, 2);
	const Clusters__V1__Cluster *t = g.v[0], *s = g.v[1];
	assert_string_equal(t->id, "tokyo");
	assert_string_equal(t->name, "Tokyo–Yokohama");
	assert_string_equal(t->economy, "JP");
	assert_string_equal(t->region, "Kanto");
	assert_int_equal(t->n_cities, 2);
	assert_string_equal(t->cities[0], "Tokyo");
	assert_string_equal(t->cities[1], "Yokohama");
	assert_string_equal(t->industry, "");  /* empty cell = absent */
	assert_int_equal(t->n_indicators, 2);   /* the empty 2021 cell too */
	assert_string_equal(t->indicators[0]->name, "pct_applications");
	assert_int_equal(t->indicators[0]->year, 2022);
	assert_true(t->indicators[0]->value == 127418);
	assert_string_equal(t->indicators[1]->name, "scientific_publications");
	assert_int_equal(t->n_labels, 1);
	assert_string_equal(t->labels[0]->key, "source");
	assert_string_equal(t->labels[0]->value, "gii");
	assert_string_equal(s->name, "San Jose–San Francisco, CA");
	assert_string_equal(s->cities[1], "San Francisco");
	assert_int_equal(s->n_indicators, 3);
	assert_true(s->indicators[1]->value == 58575);
	assert_int_equal(s->indicators[2]->year, 2021);
	assert_true(s->indicators[2]->value == 46000.5);
	assert_int_equal(s->n_labels, 0);
	assert_int_equal(g.last_done, strlen(sample));
	got_free(&g);
}

static void expect_csv_error(const char *text, int code, const char *needle)
{
	got_t g = { .n = 0 };
	char err[512] = "";
	int rc = cc_csv_read(text, strlen(text), take, &g, err, sizeof(err));
	got_free(&g);
	if (rc != code)
		fail_msg("%s: code %d, expected %d (%s)", text, rc, code, err);
	if (!strstr(err, needle))
		fail_msg("error \"%s\" lacks \"%s\"", err, needle);
}

static void test_read_errors(void **state)
{
	(void)state;
	expect_csv_error("id,name,population\nx,y,3\n", CD_EINVAL,
	                 "unknown column \"population\"");
	expect_csv_error("id,label:\nx,y\n", CD_EINVAL,
	                 "unknown column \"label:\"");
	expect_csv_error("id,@2020\nx,1\n", CD_EINVAL,
	                 "unknown column \"@2020\"");
	expect_csv_error("id,pop@20x0\nx,3\n", CD_EINVAL,
	                 "column \"pop@20x0\": the year after '@'");
	expect_csv_error("id,pop@\nx,3\n", CD_EINVAL, "column \"pop@\"");
	expect_csv_error("id,name,name\nx,y,z\n", CD_EINVAL,
	                 "column \"name\" appears twice");
	expect_csv_error("id,pop@2020,pop@2020\nx,1,2\n", CD_EINVAL,
	                 "column \"pop@2020\" appears twice");
	expect_csv_error("name,economy\ny,CN\n", CD_EINVAL,
	                 "missing column \"id\"");
	expect_csv_error("id,pop@2020\na,1\nb,many\n", CD_EINVAL,
	                 "row 2, column \"pop@2020\": \"many\" is not a number");
	expect_csv_error("id,pop@2020\na,1 x\n", CD_EINVAL,
	                 "\"1 x\" is not a number");
	expect_csv_error("id,name\na,b\nc\n", CD_EINVAL,
	                 "row 2 has 1 cells, the header 2");
	expect_csv_error("id,name\na,b,c\n", CD_EINVAL,
	                 "row 1 has 3 cells, the header 2");
	expect_csv_error("# only a comment\n", CD_EINVAL, "no header row");
	expect_csv_error("", CD_EINVAL, "no header row");
	expect_csv_error("id,name\na,\"unterminated\n", CD_EINVAL, "CSV after row");
	expect_csv_error("id,name\na,b\"c\"\n", CD_EINVAL, "CSV after row 0");
}

static void test_callback_stops(void **state)
{
	(void)state;
	got_t g = { .n = 0, .stop_at = 1 };
	char err[64];
	assert_int_equal(cc_csv_read(sample, strlen(sample), take, &g, err,
	                             sizeof(err)), 42);
	assert_int_equal(g.n, 1);
	got_free(&g);
}

static char *write_csv(Clusters__V1__Cluster *const *cs, size_t n,
                       cc_csv_layout_t layout)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	char err[640];
	int rc = cc_csv_write(f, cs, n, layout, 1, err, sizeof(err));
	fclose(f);
	if (rc)
		fail_msg("cc_csv_write: %s", err);
	return buf;
}

static void test_write_and_back(void **state)
{
	(void)state;
	got_t g = { .n = 0 };
	char err[256];
	assert_int_equal(cc_csv_read(sample, strlen(sample), take, &g, err,
	                             sizeof(err)), CD_OK);
	/* The second cluster's indicators are not in column order. */
	char *out = NULL, err2[640];
	size_t olen = 0;
	FILE *f = open_memstream(&out, &olen);
	assert_int_equal(cc_csv_write(f, g.v, g.n, CC_CSV_WIDE, 0, err2,
	                              sizeof(err2)), CD_EINVAL);
	fclose(f);
	assert_string_equal(out, "");  /* nothing written */
	free(out);
	assert_string_equal(err2, "the wide CSV layout would lose indicator "
	                          "order (its columns are sorted by name and "
	                          "year) (1 cluster, first \"sj\")");
	out = write_csv(g.v, g.n, CC_CSV_WIDE);
	/* Columns sorted; cells quoted only when they must be. */
	assert_string_equal(
		out,
		"id,name,economy,region,cities,industry,pct_applications@2021,"
		"pct_applications@2022,scientific_publications@2022,"
		"label:source\n"
		"tokyo,Tokyo–Yokohama,JP,Kanto,Tokyo;Yokohama,,,127418,115020,"
		"gii\n"
		"sj,\"San Jose–San Francisco, CA\",US,,San Jose;San Francisco,"
		"tech,46000.5,47269,58575,\n");
	got_t back = { .n = 0 };
	assert_int_equal(cc_csv_read(out, strlen(out), take, &back, err,
	                             sizeof(err)), CD_OK);
	assert_int_equal(back.n, 2);
	/* Same clusters; indicators come back in column order. */
	assert_true(cc_same((void *)g.v[0], (void *)back.v[0]));
	assert_string_equal(back.v[1]->indicators[0]->name, "pct_applications");
	assert_int_equal(back.v[1]->indicators[0]->year, 2021);
	assert_true(back.v[1]->indicators[2]->value == 58575);
	free(out);
	got_free(&back);
	got_free(&g);

	/* Quotes, commas, line breaks and a leading '#' survive. */
	Clusters__V1__Cluster c = CLUSTERS__V1__CLUSTER__INIT;
	c.id = "q";
	c.name = "say \"hi\",\nthen go";
	c.region = "#1 region";
	Clusters__V1__Cluster *cp = &c;
	out = write_csv(&cp, 1, CC_CSV_WIDE);
	assert_string_equal(out, "id,name,economy,region,cities,industry\n"
	                         "q,\"say \"\"hi\"\",\nthen go\",,\"#1 region\",,\n");
	assert_int_equal(cc_csv_read(out, strlen(out), take, &back, err,
	                             sizeof(err)), CD_OK);
	assert_string_equal(back.v[0]->name, c.name);
	assert_string_equal(back.v[0]->region, c.region);
	got_free(&back);
	free(out);
}

/* Packs to the same bytes once the output-only fields are cleared. */
static void clear_output_only(Clusters__V1__Cluster *c)
{
	if (c->etag != protobuf_c_empty_string)
		free(c->etag);
	c->etag = (char *)protobuf_c_empty_string;
	cc_msg_free(c->create_time);
	cc_msg_free(c->update_time);
	c->create_time = c->update_time = NULL;
}

/* Everything the wide layout cannot hold, in one cluster. */
static Clusters__V1__Cluster *awkward(void)
{
	Clusters__V1__Cluster *c = calloc(1, sizeof(*c));
	clusters__v1__cluster__init(c);
	c->id = strdup("awk");
	c->name = strdup(" Ünïcode, \"quoted\" 東京 🚀 ");
	c->economy = strdup("CN/HK");
	c->region = strdup("#not a comment");
	c->n_cities = 3;
	c->cities = calloc(3, sizeof(char *));
	c->cities[0] = strdup("A;B");
	c->cities[1] = strdup(" padded\t");
	c->cities[2] = strdup("香港");
	static const double vals[] = { -0.0, 4.9406564584124654e-324, 1e308,
	                               -1.7976931348623157e308, 0.1,
	                               2.2250738585072014e-308 };
	c->n_indicators = 6;
	c->indicators = calloc(6, sizeof(void *));
	for (size_t i = 0; i < 6; i++) {
		Clusters__V1__Indicator *x = malloc(sizeof(*x));
		clusters__v1__indicator__init(x);
		x->name = strdup(i % 2 ? "zeta" : "alpha");
		x->year = 2100 - (int)i;  /* not in column order */
		x->value = vals[i];
		if (i == 2)
			x->unit = strdup(" CNY ");
		c->indicators[i] = x;
	}
	c->n_assessments = 2;
	c->assessments = calloc(2, sizeof(void *));
	for (size_t i = 0; i < 2; i++) {
		Clusters__V1__Assessment *a = malloc(sizeof(*a));
		clusters__v1__assessment__init(a);
		a->judge = strdup(i ? "J2" : "J1");
		a->criterion = strdup("governance");
		a->score = i ? 0.0 : 87.25;  /* a zero score still counts */
		a->comment = strdup(i ? "" : "line 1\r\nline 2\t\"end\"");
		a->round = strdup(i ? "" : "2");
		a->recused = i == 1;
		c->assessments[i] = a;
	}
	c->n_labels = 2;
	c->labels = calloc(2, sizeof(void *));
	for (size_t i = 0; i < 2; i++) {
		Clusters__V1__Cluster__LabelsEntry *e = malloc(sizeof(*e));
		clusters__v1__cluster__labels_entry__init(e);
		e->key = strdup(i ? "a" : "z");  /* not sorted */
		e->value = strdup(i ? "x,y" : "");
		c->labels[i] = e;
	}
	return c;
}

/* The long layout gives back every cluster exactly. */
static void test_long_exact(void **state)
{
	(void)state;
	Clusters__V1__Cluster *cs[4];
	cs[0] = (Clusters__V1__Cluster *)cc_fill(
		&clusters__v1__cluster__descriptor, 0);
	clear_output_only(cs[0]);
	cs[1] = awkward();
	cs[2] = calloc(1, sizeof(*cs[2]));
	clusters__v1__cluster__init(cs[2]);
	cs[2]->id = strdup("bare");  /* only an id: one row */
	cs[3] = awkward();
	free(cs[3]->id);
	cs[3]->id = strdup("awk2");
	char *out = write_csv(cs, 4, CC_CSV_LONG);
	got_t back = { .n = 0 };
	char err[512];
	if (cc_csv_read(out, strlen(out), take, &back, err, sizeof(err)))
		fail_msg("%s\n%s", err, out);
	assert_int_equal(back.n, 4);
	for (size_t i = 0; i < 4; i++)
		if (!cc_same((void *)cs[i], (void *)back.v[i]))
			fail_msg("cluster %zu differs after\n%s", i, out);
	free(out);
	got_free(&back);
	for (size_t i = 0; i < 4; i++)
		cc_msg_free(cs[i]);
}

/* The exact form: scalars once, one item of each kind per row, the
 * column groups of the items present. */
static void test_long_form(void **state)
{
	(void)state;
	const char *in =
		"id,name,cities,pop@2020,label:src\n"
		"a,A,X;Y,1.5,s\n"
		"b,B,,,\n";
	got_t g = { .n = 0 };
	char err[256];
	assert_int_equal(cc_csv_read(in, strlen(in), take, &g, err,
	                             sizeof(err)), CD_OK);
	char *out = write_csv(g.v, g.n, CC_CSV_LONG);
	assert_string_equal(out,
	                    "id,name,economy,region,industry,city,indicator,"
	                    "year,value,unit,label,label_value\n"
	                    "a,A,,,,X,pop,2020,1.5,,src,s\n"
	                    "a,,,,,Y,,,,,,\n"
	                    "b,B,,,,,,,,,,\n");
	free(out);
	got_free(&g);
}

/* Rows of one cluster may repeat its scalars; wide cells of later rows
 * add items too; recused takes the usual spellings. */
static void test_long_read(void **state)
{
	(void)state;
	const char *in =
		"id,name,economy,cities,n@2020,indicator,year,value,judge,"
		"criterion,score,recused,label,label_value\n"
		"a,A,DE,X,1,m,2021,2,j1,c,1,YES,k,\n"
		"a,A,,Y,,,,,j2,c,2,0,,\n"
		"a,,,,,,,,j3,c,3,true,,\n"
		"b,B,FR,,,,,,,,,,,\n"
		"a,A2,,,,,,,,,,,,\n";
	got_t g = { .n = 0 };
	char err[256];
	assert_int_equal(cc_csv_read(in, strlen(in), take, &g, err,
	                             sizeof(err)), CD_OK);
	assert_int_equal(g.n, 3);  /* a, b, then a again: not adjacent */
	const Clusters__V1__Cluster *a = g.v[0];
	assert_string_equal(a->name, "A");
	assert_string_equal(a->economy, "DE");
	assert_int_equal(a->n_cities, 2);
	assert_string_equal(a->cities[1], "Y");
	assert_int_equal(a->n_indicators, 2);  /* wide cells first */
	assert_string_equal(a->indicators[0]->name, "n");
	assert_string_equal(a->indicators[1]->name, "m");
	assert_int_equal(a->indicators[1]->year, 2021);
	assert_int_equal(a->n_assessments, 3);
	assert_true(a->assessments[0]->recused);
	assert_false(a->assessments[1]->recused);
	assert_true(a->assessments[2]->recused);
	assert_true(a->assessments[2]->score == 3);
	assert_int_equal(a->n_labels, 1);
	assert_string_equal(a->labels[0]->value, "");
	assert_string_equal(g.v[2]->name, "A2");
	got_free(&g);
}

static void test_long_errors(void **state)
{
	(void)state;
	expect_csv_error("id,city,city\nx,a,b\n", CD_EINVAL,
	                 "column \"city\" appears twice");
	expect_csv_error("id,indicator,year\nx,n,2020\n", CD_EINVAL,
	                 "row 1: an indicator needs \"indicator\", \"year\" "
	                 "and \"value\"");
	expect_csv_error("id,unit\nx,kg\n", CD_EINVAL,
	                 "row 1: an indicator needs");
	expect_csv_error("id,indicator,year,value\nx,n,20x0,1\n", CD_EINVAL,
	                 "row 1, column \"year\": \"20x0\" is not a whole "
	                 "number");
	expect_csv_error("id,indicator,year,value\nx,n,99999999999,1\n",
	                 CD_EINVAL, "\"99999999999\" is not a whole number");
	expect_csv_error("id,indicator,year,value\nx,n,2020,lots\n", CD_EINVAL,
	                 "row 1, column \"value\": \"lots\" is not a number");
	expect_csv_error("id,label,label_value\nx,,v\n", CD_EINVAL,
	                 "row 1: a label_value needs a \"label\"");
	expect_csv_error("id,judge,score\nx,j,\n", CD_EINVAL,
	                 "row 1: an assessment needs \"score\"");
	expect_csv_error("id,comment,score\nx,hm,\n", CD_EINVAL,
	                 "row 1: an assessment needs \"score\"");
	expect_csv_error("id,judge,score\nx,j,high\n", CD_EINVAL,
	                 "row 1, column \"score\": \"high\" is not a number");
	expect_csv_error("id,judge,score,recused\nx,j,1,maybe\n", CD_EINVAL,
	                 "row 1, column \"recused\": \"maybe\" is not true "
	                 "or false");
	expect_csv_error("id,name\nx,A\nx,B\n", CD_EINVAL,
	                 "row 2, column \"name\": \"B\" differs from \"A\" "
	                 "given before for cluster \"x\"");
	expect_csv_error("id,industry\nx,\nx,I\nx,J\n", CD_EINVAL,
	                 "row 3, column \"industry\": \"J\" differs");
	expect_csv_error("id,n@2020\nx,1\nx,y\n", CD_EINVAL,
	                 "row 2, column \"n@2020\": \"y\" is not a number");
}

/* Each kind of loss is found, counted and named with its first cluster. */
static void test_wide_loss(void **state)
{
	(void)state;
	Clusters__V1__Cluster *c = awkward();
	char what[1024];
	assert_int_equal(cc_csv_wide_loss(&c, 1, what, sizeof(what)), 6);
	static const char *const kinds[] = {
		"assessments (1 cluster, first \"awk\")",
		"indicator units (1 cluster",
		"indicator order (its columns are sorted by name and year) (1",
		"label order (its columns are sorted by key) (1",
		"empty label values (1",
		"cities holding ';' or blanks at an edge (1",
	};
	for (size_t i = 0; i < 6; i++)
		if (!strstr(what, kinds[i]))
			fail_msg("\"%s\" lacks \"%s\"", what, kinds[i]);
	/* Too small a buffer cuts the text, never overruns it. */
	char tiny[8];
	assert_int_equal(cc_csv_wide_loss(&c, 1, tiny, sizeof(tiny)), 6);
	assert_int_equal(strlen(tiny), 7);

	/* Cities alone, and two clusters counted. */
	Clusters__V1__Cluster *two[2] = { c, awkward() };
	assert_int_equal(cc_csv_wide_loss(two, 2, what, sizeof(what)), 6);
	assert_non_null(strstr(what, "assessments (2 clusters, first \"awk\")"));
	cc_msg_free(two[1]);
	cc_msg_free(c);

	/* What fits loses nothing, and reads back the same. */
	const char *in = "id,name,cities,a@2020,b@2019,label:k,label:l\n"
	                 "x,X,P;Q,1,2,v,w\n";
	got_t g = { .n = 0 };
	assert_int_equal(cc_csv_read(in, strlen(in), take, &g, what,
	                             sizeof(what)), CD_OK);
	assert_int_equal(cc_csv_wide_loss(g.v, g.n, what, sizeof(what)), 0);
	assert_string_equal(what, "");
	char *out = write_csv(g.v, g.n, CC_CSV_WIDE);
	got_t back = { .n = 0 };
	assert_int_equal(cc_csv_read(out, strlen(out), take, &back, what,
	                             sizeof(what)), CD_OK);
	assert_true(cc_same((void *)g.v[0], (void *)back.v[0]));
	free(out);
	got_free(&back);
	got_free(&g);
}

static void test_write_errors(void **state)
{
	(void)state;
	Clusters__V1__Cluster a = CLUSTERS__V1__CLUSTER__INIT;
	a.id = "same";
	Clusters__V1__Cluster *cs[2] = { &a, &a };
	char err[256];
	for (int layout = CC_CSV_LONG; layout <= CC_CSV_WIDE; layout++) {
		assert_int_equal(cc_csv_write(stdout, cs, 2, layout, 1, err,
		                              sizeof(err)), CD_EINVAL);
		assert_string_equal(err, "clusters 1 and 2 share the id "
		                         "\"same\": in CSV they would read back "
		                         "as one");
	}
	/* A stream that fails to write. */
	FILE *ro = fopen("/dev/null", "r");
	assert_non_null(ro);
	assert_int_equal(cc_csv_write(ro, cs, 1, CC_CSV_LONG, 0, err,
	                              sizeof(err)), CD_EIO);
	assert_string_equal(err, "write failed");
	fclose(ro);
}

typedef struct msgs {
	ProtobufCMessage *v[16];
	size_t n;
	size_t total;
} msgs_t;

static int keep(ProtobufCMessage *m, size_t index, size_t done, size_t total,
                void *ud)
{
	msgs_t *a = ud;
	assert_int_equal(index, a->n);
	assert_true(done <= total);
	a->total = total;
	assert_true(a->n < 16);
	a->v[a->n++] = m;
	return 0;
}

static void msgs_free(msgs_t *a)
{
	for (size_t i = 0; i < a->n; i++)
		cc_msg_free(a->v[i]);
	a->n = 0;
}

static void expect_records(const char *text, cc_format_t fmt, size_t n,
                           const char *last_id)
{
	msgs_t a = { .n = 0 };
	char err[256];
	int rc = cc_input_parse(text, strlen(text), fmt,
	                        &clusters__v1__cluster__descriptor, keep, &a,
	                        err, sizeof(err));
	if (rc)
		fail_msg("%s: %s", text, err);
	assert_int_equal(a.n, n);
	assert_string_equal(((Clusters__V1__Cluster *)a.v[n - 1])->id, last_id);
	assert_int_equal(a.total, strlen(text));
	msgs_free(&a);
}

static void test_input_shapes(void **state)
{
	(void)state;
	expect_records("{\"id\":\"a\"}", CC_FORMAT_AUTO, 1, "a");
	expect_records("  [{\"id\":\"a\"},{\"id\":\"b\"}]\n", CC_FORMAT_AUTO,
	               2, "b");
	expect_records("{\"id\":\"a\"}\n{\"id\":\"b\"}\n\n{\"id\":\"c\"}\n",
	               CC_FORMAT_AUTO, 3, "c");
	expect_records("{\"id\":\"a\"}\n[{\"id\":\"b\"},{\"id\":\"c\"}]",
	               CC_FORMAT_JSON, 3, "c");
	expect_records("id,name\nx,y\n", CC_FORMAT_AUTO, 1, "x");
	expect_records("id\nz\n", CC_FORMAT_CSV, 1, "z");
	assert_int_equal(cc_input_format_of("a/b.CSV"), CC_FORMAT_CSV);
	assert_int_equal(cc_input_format_of("x.jsonl"), CC_FORMAT_JSON);
	assert_int_equal(cc_input_format_of("x.ndjson"), CC_FORMAT_JSON);
	assert_int_equal(cc_input_format_of("x.json"), CC_FORMAT_JSON);
	assert_int_equal(cc_input_format_of("x.txt"), CC_FORMAT_AUTO);
	assert_int_equal(cc_input_format_of("dir.d/file"), CC_FORMAT_AUTO);
	assert_int_equal(cc_input_format_of("-"), CC_FORMAT_AUTO);
}

static void expect_input_error(const char *text, cc_format_t fmt,
                               const ProtobufCMessageDescriptor *d,
                               int code, const char *needle)
{
	msgs_t a = { .n = 0 };
	char err[512] = "";
	int rc = cc_input_parse(text, strlen(text), fmt, d, keep, &a, err,
	                        sizeof(err));
	msgs_free(&a);
	if (rc != code)
		fail_msg("%s: code %d, expected %d (%s)", text, rc, code, err);
	if (!strstr(err, needle))
		fail_msg("error \"%s\" lacks \"%s\"", err, needle);
}

static void test_input_errors(void **state)
{
	(void)state;
	const ProtobufCMessageDescriptor *cl = &clusters__v1__cluster__descriptor;
	expect_input_error("{\"id\":\"a\"}\n{\"id\":\"b\",\"x\":1}\n",
	                   CC_FORMAT_AUTO, cl, CD_EINVAL,
	                   "record 2: unknown field \"x\"");
	expect_input_error("[{\"id\":\"a\"},{\"id\":\"b\",\"cities\":[1]}]",
	                   CC_FORMAT_AUTO, cl, CD_EINVAL,
	                   "record 2: cities[0]: expected a string");
	expect_input_error("{\"id\":\"a\"}\n{\"id\":", CC_FORMAT_AUTO, cl,
	                   CD_EINVAL, "JSON at record 2");
	expect_input_error("{\"id\":\"a\",\"id\":\"b\"}", CC_FORMAT_JSON, cl,
	                   CD_EINVAL, "duplicate object key");
	expect_input_error("id,name\nx,y\n", CC_FORMAT_AUTO,
	                   &clusters__v1__competition__descriptor, CD_EINVAL,
	                   "CSV holds clusters only; "
	                   "clusters.v1.Competition needs JSON");
	expect_input_error("[1]", CC_FORMAT_AUTO, cl, CD_EINVAL,
	                   "record 1: expected an object");
}

static void test_input_files(void **state)
{
	(void)state;
	char dir[] = "/tmp/cc_input_XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/c.data", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("id,name\nfrom-file,y\n", f);
	fclose(f);
	msgs_t a = { .n = 0 };
	char err[512];
	assert_int_equal(cc_input_read(path, CC_FORMAT_AUTO,
	                               &clusters__v1__cluster__descriptor, keep,
	                               &a, err, sizeof(err)), CD_OK);
	assert_int_equal(a.n, 1);
	assert_string_equal(((Clusters__V1__Cluster *)a.v[0])->id, "from-file");
	msgs_free(&a);
	/* Errors name the file first. */
	f = fopen(path, "w");
	fputs("id,nope\nx,y\n", f);
	fclose(f);
	assert_int_equal(cc_input_read(path, CC_FORMAT_AUTO,
	                               &clusters__v1__cluster__descriptor, keep,
	                               &a, err, sizeof(err)), CD_EINVAL);
	char want[512];
	snprintf(want, sizeof(want), "%s: unknown column \"nope\"", path);
	assert_int_equal(strncmp(err, want, strlen(want)), 0);
	unlink(path);
	assert_int_equal(cc_input_read(path, CC_FORMAT_AUTO,
	                               &clusters__v1__cluster__descriptor, keep,
	                               &a, err, sizeof(err)), CD_EIO);
	assert_non_null(strstr(err, "No such file"));
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_read_errors),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_write_and_back),
		cmocka_unit_test(test_long_exact),
		cmocka_unit_test(test_long_form),
		cmocka_unit_test(test_long_read),
		cmocka_unit_test(test_long_errors),
		cmocka_unit_test(test_wide_loss),
		cmocka_unit_test(test_write_errors),
		cmocka_unit_test(test_input_shapes),
		cmocka_unit_test(test_input_errors),
		cmocka_unit_test(test_input_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
