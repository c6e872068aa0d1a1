/* Property test: random clusters (cc_gen, fixed seed, bounded count), put
 * in a server, exported by clusterctl in every format it offers, imported
 * by clusterctl into a fresh server and exported again, come back packing
 * to the same bytes once etag and times are cleared. The wide CSV layout,
 * which cannot hold them all, refuses and names the loss unless --lossy.
 * No grpc in this process: clusterd and clusterctl are spawned. */
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
#include "cc_gen.h"
#include "cc_input.h"
#include "cc_json.h"
#include "cc_server.h"
#include "cd_error.h"

#define SEED 0x5EEDC0DE2024ull
#define N_ANY 40   /* anything valid */
#define N_WIDE 12  /* what the wide layout holds; industry "wide-ok" */
#define N_MAX 1    /* every count and length at the store's limits */

typedef struct set {
	Clusters__V1__Cluster **v;
	size_t n, cap;
} set_t;

static cc_server_t src;       /* holds the generated clusters */
static set_t all, wide;       /* sorted by id, as export gives them */
static char *out, *err;

static int set_add(ProtobufCMessage *m, size_t index, size_t done,
                   size_t total, void *ud)
{
	set_t *s = ud;
	(void)index;
	(void)done;
	(void)total;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = (Clusters__V1__Cluster *)m;
	return 0;
}

static void set_free(set_t *s)
{
	for (size_t i = 0; i < s->n; i++)
		cc_msg_free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int by_id(const void *a, const void *b)
{
	return strcmp((*(Clusters__V1__Cluster *const *)a)->id,
	              (*(Clusters__V1__Cluster *const *)b)->id);
}

/* Runs clusterctl --server ADDR ARGS...; output in out/err. */
static int ctl_v(const char *addr, const char *const *args)
{
	char *argv[32] = { CLUSTERCTL_BIN, "--server", (char *)addr };
	int argc = 3;
	for (size_t i = 0; args[i] && argc < 31; i++)
		argv[argc++] = (char *)args[i];
	argv[argc] = NULL;
	free(out);
	free(err);
	return cc_run(argv, &out, &err);
}

static const char *path_in(const cc_server_t *s, const char *name)
{
	static char path[256];
	snprintf(path, sizeof(path), "%s/%s", s->dir, name);
	return path;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void start(cc_server_t *s)
{
	char e[256];
	const char *extra[] = { "--plugin-dir", CLUSTERD_PLUGIN_DIR, NULL };
	if (cc_server_start(s, CLUSTERD_BIN, extra, e, sizeof(e)))
		fail_msg("%s", e);
}

/* The clusters of JSON lines, without their output-only fields. */
static int parse_jsonl(const char *text, set_t *s)
{
	char e[1024];
	if (cc_input_parse(text, strlen(text), CC_FORMAT_JSON,
	                   &clusters__v1__cluster__descriptor, set_add, s, e,
	                   sizeof(e))) {
		fprintf(stderr, "export does not parse: %s\n", e);
		return 0;
	}
	for (size_t i = 0; i < s->n; i++) {
		Clusters__V1__Cluster *c = s->v[i];
		if (c->etag != protobuf_c_empty_string)
			free(c->etag);
		c->etag = (char *)protobuf_c_empty_string;
		cc_msg_free(c->create_time);
		cc_msg_free(c->update_time);
		c->create_time = c->update_time = NULL;
	}
	return 1;
}

static void print_json(const char *what, const Clusters__V1__Cluster *c)
{
	char e[256];
	json_t *j = cc_json_from_msg((const ProtobufCMessage *)c, e, sizeof(e));
	fprintf(stderr, "%s: ", what);
	if (j)
		cc_json_write(stderr, j, 0);
	fputc('\n', stderr);
	json_decref(j);
}

/* Byte for byte, cluster by cluster; 1 when equal, else says why. */
static int same(const set_t *want, const set_t *got, const char *how)
{
	if (want->n != got->n) {
		fprintf(stderr, "%s: %zu clusters back, %zu sent\n", how,
		        got->n, want->n);
		return 0;
	}
	for (size_t i = 0; i < want->n; i++) {
		const ProtobufCMessage *a = (const void *)want->v[i];
		const ProtobufCMessage *b = (const void *)got->v[i];
		size_t na = protobuf_c_message_get_packed_size(a);
		size_t nb = protobuf_c_message_get_packed_size(b);
		uint8_t *pa = malloc(na + 1), *pb = malloc(nb + 1);
		protobuf_c_message_pack(a, pa);
		protobuf_c_message_pack(b, pb);
		int eq = na == nb && !memcmp(pa, pb, na);
		free(pa);
		free(pb);
		if (!eq) {
			print_json("sent", want->v[i]);
			print_json("back", got->v[i]);
			fprintf(stderr, "%s: cluster \"%s\" differs\n", how,
			        want->v[i]->id);
			return 0;
		}
	}
	return 1;
}

/* Exports the server's clusters as JSON lines and compares them. */
static int stored(const cc_server_t *s, const set_t *want, const char *how)
{
	const char *args[] = { "cluster", "export", NULL };
	if (ctl_v(s->addr, args) != 0) {
		fprintf(stderr, "%s: export failed: %s\n", how, err);
		return 0;
	}
	set_t got = { 0 };
	int ok = parse_jsonl(out, &got) && same(want, &got, how);
	set_free(&got);
	return ok;
}

static int setup(void **state)
{
	(void)state;
	cc_gen_t g;
	cc_gen_seed(&g, SEED);
	for (unsigned i = 0; i < N_ANY; i++)
		set_add((void *)cc_gen_cluster(&g, "a", i, CC_GEN_ANY), 0, 0, 0,
		        &all);
	for (unsigned i = 0; i < N_MAX; i++)
		set_add((void *)cc_gen_cluster(&g, "m", i, CC_GEN_MAX), 0, 0, 0,
		        &all);
	for (unsigned i = 0; i < N_WIDE; i++) {
		Clusters__V1__Cluster *c = cc_gen_cluster(&g, "w", i,
		                                          CC_GEN_WIDE);
		if (c->industry != protobuf_c_empty_string)
			free(c->industry);
		c->industry = strdup("wide-ok");
		set_add((void *)c, 0, 0, 0, &all);
	}
	qsort(all.v, all.n, sizeof(*all.v), by_id);
	/* wide borrows from all. */
	for (size_t i = 0; i < all.n; i++)
		if (!strcmp(all.v[i]->industry, "wide-ok"))
			set_add((void *)all.v[i], 0, 0, 0, &wide);

	/* Into the source server, as JSON lines written by cc_json. */
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	for (size_t i = 0; f && i < all.n; i++) {
		char e[256];
		json_t *j = cc_json_from_msg((void *)all.v[i], e, sizeof(e));
		if (!j) {
			fprintf(stderr, "%s: %s\n", all.v[i]->id, e);
			fclose(f);
			free(text);
			return -1;
		}
		cc_json_write(f, j, 0);
		fputc('\n', f);
		json_decref(j);
	}
	if (!f || fclose(f))
		return -1;
	start(&src);
	const char *path = path_in(&src, "generated.jsonl");
	write_file(path, text);
	free(text);
	const char *args[] = { "cluster", "import", path, NULL };
	if (ctl_v(src.addr, args) != 0) {
		fprintf(stderr, "import of the generated clusters:\n%s%s", out,
		        err);
		cc_server_stop(&src);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(wide.v);  /* borrowed */
	set_free(&all);
	free(out);
	free(err);
	return cc_server_stop(&src) == 0 ? 0 : -1;
}

/* The source holds what was generated: JSON in, JSON out. */
static void test_source(void **state)
{
	(void)state;
	assert_true(stored(&src, &all, "generated -> import -> export"));
}

/* args on the source server, its output imported by a fresh one. The
 * fresh server is stopped before any check fails. */
static void round_trip(const char *const *args, const char *file,
                       const set_t *want)
{
	assert_int_equal(ctl_v(src.addr, args), 0);
	cc_server_t dst;
	start(&dst);
	const char *path = path_in(&dst, file);
	FILE *f = fopen(path, "w");
	int ok = f && fputs(out, f) >= 0;
	ok = f && !fclose(f) && ok;
	const char *imp[] = { "cluster", "import", path, NULL };
	if (ok && ctl_v(dst.addr, imp) != 0) {
		fprintf(stderr, "import of %s: %s%s", file, out, err);
		ok = 0;
	}
	char how[128];
	snprintf(how, sizeof(how), "%s %s -> import", args[0], args[1]);
	ok = ok && stored(&dst, want, how);
	int stop = cc_server_stop(&dst);
	assert_true(ok);
	assert_int_equal(stop, 0);
}

static void test_export_jsonl(void **state)
{
	(void)state;
	const char *args[] = { "cluster", "export", NULL };
	round_trip(args, "export.jsonl", &all);
}

static void test_export_json(void **state)
{
	(void)state;
	const char *args[] = { "cluster", "export", "--json", NULL };
	round_trip(args, "export.json", &all);
}

static void test_export_csv(void **state)
{
	(void)state;
	const char *args[] = { "cluster", "export", "--csv", NULL };
	round_trip(args, "export.csv", &all);
}

/* list pages, joined, as CSV. */
static void test_list_csv(void **state)
{
	(void)state;
	const char *args[] = { "cluster", "list", "--all", "--page-size", "7",
	                       "--csv", NULL };
	round_trip(args, "list.csv", &all);
}

static void test_export_wide(void **state)
{
	(void)state;
	const char *args[] = { "cluster", "export", "--industry", "wide-ok",
	                       "--csv", "--layout", "wide", NULL };
	round_trip(args, "wide.csv", &wide);
}

/* Where a format cannot hold the data it says so, and writes nothing. */
static void test_lossy_refused(void **state)
{
	(void)state;
	const char *wide_all[] = { "cluster", "export", "--csv", "--layout",
	                           "wide", NULL };
	assert_int_equal(ctl_v(src.addr, wide_all), 1);
	assert_string_equal(out, "");
	if (!strstr(err, "the wide CSV layout would lose assessments ("))
		fail_msg("%s", err);
	const char *lossy[] = { "cluster", "export", "--csv", "--layout",
	                        "wide", "--lossy", NULL };
	assert_int_equal(ctl_v(src.addr, lossy), 0);
	assert_non_null(strstr(err, "--lossy: dropped assessments ("));

	/* list --json prints the response, not clusters: import says so. */
	const char *list[] = { "cluster", "list", "--all", "--json", NULL };
	assert_int_equal(ctl_v(src.addr, list), 0);
	const char *path = path_in(&src, "list.json");
	write_file(path, out);
	const char *imp[] = { "cluster", "import", path, NULL };
	assert_int_equal(ctl_v(src.addr, imp), 1);
	assert_non_null(strstr(err, "record 1: unknown field \"clusters\""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_source),
		cmocka_unit_test(test_export_jsonl),
		cmocka_unit_test(test_export_json),
		cmocka_unit_test(test_export_csv),
		cmocka_unit_test(test_list_csv),
		cmocka_unit_test(test_export_wide),
		cmocka_unit_test(test_lossy_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
