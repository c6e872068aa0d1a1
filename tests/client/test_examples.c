/* The sample files of deploy/examples used the way docs/clusterctl.md
 * says, through clusterctl and the real clusterd: every import-ready
 * *.clusters.csv imported as it is (a published table X.csv is not an
 * import file; examples_twins.sh checks that each has its X.clusters.csv),
 * the national demo's generated candidates imported as JSON lines, every
 * *_competition.json created and run. No grpc in this process. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cc_server.h"

static cc_server_t server;
static char *out, *err;

static int setup(void **state)
{
	(void)state;
	char e[256];
	const char *extra[] = { "--plugin-dir", CLUSTERD_PLUGIN_DIR, NULL };
	if (cc_server_start(&server, CLUSTERD_BIN, extra, e, sizeof(e))) {
		fprintf(stderr, "%s\n", e);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(out);
	free(err);
	return cc_server_stop(&server) == 0 ? 0 : -1;
}

static int run(char *const *argv)
{
	free(out);
	free(err);
	return cc_run(argv, &out, &err);
}

/* clusterctl --server ADDR and up to four arguments (NULL ends them). */
static int ctl(const char *a, const char *b, const char *c, const char *d,
               const char *e)
{
	char *argv[] = { CLUSTERCTL_BIN, "--server", server.addr, (char *)a,
	                 (char *)b, (char *)c, (char *)d, (char *)e, NULL };
	return run(argv);
}

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);
	return n >= t && !strcmp(s + n - t, tail);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files of deploy/examples ending in tail, sorted; NULL-terminated. */
static char **examples(const char *tail)
{
	DIR *d = opendir(EXAMPLES_DIR);
	assert_non_null(d);
	char **v = calloc(64, sizeof(char *));
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 63)
		if (ends_with(e->d_name, tail)) {
			v[n] = malloc(strlen(EXAMPLES_DIR) + strlen(e->d_name) + 2);
			sprintf(v[n++], "%s/%s", EXAMPLES_DIR, e->d_name);
		}
	closedir(d);
	qsort(v, n, sizeof(char *), by_name);
	return v;
}

static void free_list(char **v)
{
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

static void import_ok(const char *path)
{
	if (ctl("cluster", "import", path, NULL, NULL) != 0 ||
	    !strstr(out, ", rejected 0"))
		fail_msg("clusterctl cluster import %s:\n%s%s", path, out, err);
}

static void test_import_samples(void **state)
{
	(void)state;
	char **csv = examples(".clusters.csv");
	size_t n = 0;
	for (; csv[n]; n++)
		import_ok(csv[n]);
	assert_int_equal(n, 2);  /* GII 2023, MIIT 2021 */
	free_list(csv);
	assert_int_equal(ctl("cluster", "get", "gii23-tokyoyokohama", NULL,
	                     NULL), 0);
	assert_non_null(strstr(out, "published_rank=1"));
	assert_int_equal(ctl("cluster", "get", "miit21-wuxi-iot", NULL, NULL),
	                 0);
	assert_non_null(strstr(out, "江苏省无锡市物联网集群"));

	/* The national demo's candidates, as gen_national_candidates.py's
	 * usage says; they replace the MIIT identities by id. */
	char path[256];
	snprintf(path, sizeof(path), "%s/national.jsonl", server.dir);
	char *gen[] = { PYTHON3, "-B",
	                EXAMPLES_DIR "/gen_national_candidates.py", path,
	                NULL };
	if (run(gen) != 0)
		fail_msg("gen_national_candidates.py: %s", err);
	import_ok(path);
	assert_non_null(strstr(out, "created 45, updated 25"));
}

static void test_competitions(void **state)
{
	(void)state;
	char **json = examples("_competition.json");
	size_t n = 0;
	for (; json[n]; n++)
		if (ctl("competition", "create", json[n], NULL, NULL) != 0)
			fail_msg("competition create %s: %s", json[n], err);
	assert_int_equal(n, 3);  /* GII 2023, national 2021, its what-if */
	free_list(json);
	/* The GII method gives the published first rank. */
	assert_int_equal(ctl("competition", "run", "gii-2023", "--csv", NULL),
	                 0);
	assert_non_null(strstr(out, "\n1,gii23-tokyoyokohama,"));
	assert_int_equal(ctl("competition", "run", "national-2021-demo", NULL,
	                     NULL), 0);
	assert_non_null(strstr(out, "selected: 25"));
	assert_int_equal(ctl("competition", "run", "national-2021-innovation",
	                     NULL, NULL), 0);
	assert_non_null(strstr(out, "selected: 25"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_import_samples),
		cmocka_unit_test(test_competitions),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
