/* clusterctl against the real clusterd: the main flows, output formats and
 * exit codes. No grpc in this process: both programs are spawned. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Runs clusterctl --server ADDR ARGS...; output in out/err. */
static int ctl(const char *first, ...)
{
	char *argv[32] = { CLUSTERCTL_BIN, "--server", server.addr };
	int argc = 3;
	va_list ap;
	va_start(ap, first);
	for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	free(out);
	free(err);
	return cc_run(argv, &out, &err);
}

static void has(const char *text, const char *needle)
{
	if (!text || !strstr(text, needle))
		fail_msg("\"%s\" lacks \"%s\"", text ? text : "(null)", needle);
}

/* A file in the server's temporary directory (removed with it). */
static const char *file(const char *name, const char *content)
{
	static char path[256];
	snprintf(path, sizeof(path), "%s/%s", server.dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	return path;
}

static void test_usage_errors(void **state)
{
	(void)state;
	assert_int_equal(ctl("--help", NULL), 0);
	has(out, "Usage: clusterctl");
	assert_int_equal(ctl("cluster", "--help", NULL), 0);
	has(out, "create FILE");
	assert_int_equal(ctl("cluster", "list", "--help", NULL), 0);
	assert_int_equal(ctl(NULL), 2);
	has(err, "no command given");
	assert_int_equal(ctl("frobnicate", NULL), 2);
	has(err, "unknown command 'frobnicate'");
	assert_int_equal(ctl("cluster", "frob", NULL), 2);
	has(err, "unknown subcommand 'frob'");
	assert_int_equal(ctl("cluster", "get", NULL), 2);
	has(err, "missing ID");
	assert_int_equal(ctl("cluster", "get", "a", "b", NULL), 2);
	assert_int_equal(ctl("cluster", "list", "--page-size", "x", NULL), 2);
	has(err, "--page-size");
	assert_int_equal(ctl("cluster", "list", "--bogus", NULL), 2);
	has(err, "unknown option '--bogus'");
	assert_int_equal(ctl("cluster", "list", "--economy", NULL), 2);
	has(err, "needs a value");
	assert_int_equal(ctl("--timeout", "soon", "health", NULL), 2);
	has(err, "--timeout");
}

static void test_create_get_list(void **state)
{
	(void)state;
	const char *csv = file(
		"gii.csv",
		"# top clusters\n"
		"id,name,economy,region,cities,industry,"
		"pct_applications@2022,scientific_publications@2022,label:src\n"
		"tokyo,Tokyo–Yokohama,JP,Kanto,Tokyo;Yokohama,S&T,127418,"
		"115020,gii\n"
		"shenzhen,Shenzhen–Hong Kong–Guangzhou,CN/HK,Guangdong,"
		"Shenzhen;Hong Kong,S&T,113482,153180,gii\n");
	assert_int_equal(ctl("cluster", "create", csv, NULL), 0);
	has(out, "ID ");
	has(out, "Tokyo–Yokohama");
	has(out, "shenzhen");

	assert_int_equal(ctl("cluster", "create", csv, NULL), 1);
	has(err, "clusterctl: ALREADY_EXISTS: ");
	has(err, "tokyo");

	assert_int_equal(ctl("cluster", "get", "tokyo", NULL), 0);
	has(out, "economy:     JP");
	has(out, "pct_applications");
	has(out, "127418");
	has(out, "src=gii");

	assert_int_equal(ctl("cluster", "get", "tokyo", "--json", NULL), 0);
	has(out, "\"economy\": \"JP\"");
	has(out, "\"labels\": {");

	/* CSV: the long layout by default, the wide one on request. */
	assert_int_equal(ctl("--csv", "cluster", "get", "shenzhen", NULL), 0);
	assert_string_equal(out,
	                    "id,name,economy,region,industry,city,indicator,"
	                    "year,value,unit,label,label_value\n"
	                    "shenzhen,Shenzhen–Hong Kong–Guangzhou,CN/HK,"
	                    "Guangdong,S&T,Shenzhen,pct_applications,2022,"
	                    "113482,,src,gii\n"
	                    "shenzhen,,,,,Hong Kong,scientific_publications,"
	                    "2022,153180,,,\n");
	assert_int_equal(ctl("cluster", "get", "shenzhen", "--csv", "--layout",
	                     "wide", NULL), 0);
	has(out, "id,name,economy,region,cities,industry,");
	has(out, "shenzhen,Shenzhen–Hong Kong–Guangzhou,CN/HK,Guangdong,"
	         "Shenzhen;Hong Kong,S&T,113482,153180,gii");
	assert_int_equal(ctl("cluster", "get", "shenzhen", "--layout", "wide",
	                     NULL), 2);
	has(err, "--layout and --lossy need --csv");
	assert_int_equal(ctl("cluster", "list", "--csv", "--layout", "tall",
	                     NULL), 2);
	has(err, "--layout: 'tall' is not long or wide");

	assert_int_equal(ctl("cluster", "get", "nope", NULL), 1);
	has(err, "clusterctl: NOT_FOUND: ");
	has(err, "nope");
	assert_int_equal(ctl("cluster", "get", "No Good", NULL), 1);
	has(err, "INVALID_ARGUMENT");

	assert_int_equal(ctl("cluster", "list", "--economy", "HK", NULL), 0);
	has(out, "shenzhen");
	assert_null(strstr(out, "tokyo"));

	assert_int_equal(ctl("cluster", "list", "--page-size", "1", NULL), 0);
	has(err, "more: --page-token ");
	assert_int_equal(ctl("cluster", "list", "--page-size", "1", "--all",
	                     "--json", NULL), 0);
	has(out, "\"id\": \"shenzhen\"");
	has(out, "\"id\": \"tokyo\"");
}

static void test_update_delete(void **state)
{
	(void)state;
	const char *u = file("u.json", "{\"id\":\"tokyo\",\"name\":\"Tokyo "
	                               "region\",\"economy\":\"XX1\"}");
	/* Only the masked field is applied, so the bad economy is unused. */
	assert_int_equal(ctl("cluster", "update", u, "--mask", "name", NULL), 0);
	has(out, "Tokyo region");
	assert_int_equal(ctl("cluster", "update", u, NULL), 1);
	has(err, "INVALID_ARGUMENT: ");
	has(err, "economy");
	assert_int_equal(ctl("cluster", "update", u, "--mask", "name",
	                     "--etag", "0", NULL), 1);
	has(err, "clusterctl: ABORTED: ");
	assert_int_equal(ctl("cluster", "delete", "tokyo", "--etag", "0", NULL),
	                 1);
	has(err, "ABORTED");
	assert_int_equal(ctl("cluster", "delete", "tokyo", NULL), 0);
	has(out, "deleted tokyo");
	assert_int_equal(ctl("cluster", "delete", "tokyo", NULL), 1);
	has(err, "NOT_FOUND");
	const char *bad = file("bad.json", "{\"id\":\"x\",\"nmae\":\"y\"}");
	assert_int_equal(ctl("cluster", "update", bad, NULL), 1);
	has(err, "unknown field \"nmae\"");
}

/* AIP-134 through clusterctl (integrity issue, item 4): a record names
 * the fields to change; what it leaves out is kept; an empty value it
 * gives clears; --mask '*' replaces. */
static void test_update_named_fields_only(void **state)
{
	(void)state;
	const char *full = file(
		"paris.json",
		"{\"id\":\"paris\",\"name\":\"Paris\",\"economy\":\"FR\","
		"\"region\":\"IDF\",\"cities\":[\"Paris\",\"Saclay\"],"
		"\"industry\":\"S&T\",\"indicators\":[{\"name\":"
		"\"pct_applications\",\"year\":2022,\"value\":13000}],"
		"\"assessments\":[{\"judge\":\"j1\",\"criterion\":"
		"\"governance\",\"score\":7}],\"labels\":{\"src\":\"gii\"}}");
	assert_int_equal(ctl("cluster", "create", full, NULL), 0);

	/* The file: a rename wiped the rest, exit 0. */
	const char *ren = file("rename.json",
	                       "{\"id\":\"paris\",\"name\":\"Paris (renamed)"
	                       "\",\"economy\":\"FR\"}");
	assert_int_equal(ctl("cluster", "update", ren, NULL), 0);
	assert_int_equal(ctl("cluster", "get", "paris", "--json", NULL), 0);
	has(out, "\"name\": \"Paris (renamed)\"");
	has(out, "\"region\": \"IDF\"");
	has(out, "\"Saclay\"");
	has(out, "\"industry\": \"S&T\"");
	has(out, "\"pct_applications\"");
	has(out, "\"judge\": \"j1\"");
	has(out, "\"src\": \"gii\"");

	/* CSV: the cells with a value; an empty one keeps the field. */
	const char *csv = file("paris.csv", "id,name,economy,region,industry\n"
	                                    "paris,Paris CSV,FR,,\n");
	assert_int_equal(ctl("cluster", "update", csv, NULL), 0);
	assert_int_equal(ctl("cluster", "get", "paris", "--json", NULL), 0);
	has(out, "\"name\": \"Paris CSV\"");
	has(out, "\"region\": \"IDF\"");

	/* Given empty: cleared; the rest stays. */
	const char *clr = file("clear.json", "{\"id\":\"paris\",\"cities\":[],"
	                                     "\"region\":\"\"}");
	assert_int_equal(ctl("cluster", "update", clr, NULL), 0);
	assert_int_equal(ctl("cluster", "get", "paris", "--json", NULL), 0);
	assert_null(strstr(out, "\"region\""));
	assert_null(strstr(out, "\"cities\""));
	has(out, "\"industry\": \"S&T\"");
	has(out, "\"src\": \"gii\"");

	/* --mask '*': the whole record is the file's. (file() reuses its
	 * buffer: write the file again.) */
	ren = file("rename.json", "{\"id\":\"paris\",\"name\":\"Paris "
	                          "(renamed)\",\"economy\":\"FR\"}");
	assert_int_equal(ctl("cluster", "update", ren, "--mask", "*", NULL), 0);
	assert_int_equal(ctl("cluster", "get", "paris", "--json", NULL), 0);
	assert_null(strstr(out, "\"industry\""));
	assert_null(strstr(out, "\"labels\""));
	assert_null(strstr(out, "\"indicators\""));

	/* A mask the server refuses, and one that is not a mask. */
	assert_int_equal(ctl("cluster", "update", ren, "--mask", "name,*",
	                     NULL), 1);
	has(err, "INVALID_ARGUMENT: update_mask.paths[1]: ");
	assert_int_equal(ctl("cluster", "update", ren, "--mask", "", NULL), 2);
	has(err, "--mask: no path given");
	assert_int_equal(ctl("cluster", "update", ren, "--mask", "a,,b", NULL),
	                 2);
	has(err, "--mask: empty or overlong path");
	/* 120 characters, but 180 once in snake_case. */
	char camel[121];
	for (int i = 0; i < 120; i++)
		camel[i] = i % 2 ? 'A' : 'a';
	camel[120] = '\0';
	assert_int_equal(ctl("cluster", "update", ren, "--mask", camel, NULL),
	                 2);
	has(err, "--mask: overlong path");
	assert_int_equal(ctl("cluster", "update", "/nonexistent.json", NULL), 1);
	has(err, "/nonexistent.json");
	const char *none = file("none.json", "[]");
	assert_int_equal(ctl("cluster", "update", none, NULL), 1);
	has(err, "no records");
}

/* competition update / delete --etag, run delete (item 6). */
static void test_competition_update_and_run_delete(void **state)
{
	(void)state;
	const char *def = file(
		"comp.json",
		"{\"id\":\"cc-upd\",\"title\":\"First\",\"edition\":\"2024\","
		"\"rounds\":[{\"name\":\"only\",\"criteria\":[{\"id\":\"p\","
		"\"plugin\":\"indicator\",\"weight\":1,\"params\":"
		"{\"indicator\":\"pct_applications\"}}]}]}");
	assert_int_equal(ctl("competition", "create", def, NULL), 0);
	assert_int_equal(ctl("competition", "get", "cc-upd", "--json", NULL), 0);
	const char *e = strstr(out, "\"etag\": \"");
	assert_non_null(e);
	char etag1[32];
	snprintf(etag1, sizeof(etag1), "%.16s", e + 9);

	const char *ren = file("comp-ren.json",
	                       "{\"id\":\"cc-upd\",\"title\":\"Second\"}");
	assert_int_equal(ctl("competition", "update", ren, "--etag", etag1,
	                     NULL), 0);
	has(out, "updated competition cc-upd");
	assert_int_equal(ctl("competition", "get", "cc-upd", "--json", NULL), 0);
	has(out, "\"title\": \"Second\"");
	has(out, "\"edition\": \"2024\"");
	has(out, "\"pct_applications\"");
	assert_int_equal(ctl("competition", "update", ren, "--etag", etag1,
	                     NULL), 1);
	has(err, "clusterctl: ABORTED: ");
	assert_int_equal(ctl("competition", "get", "cc-upd", "--json", NULL), 0);
	has(out, "\"title\": \"Second\"");

	const char *bad = file("comp-bad.json",
	                       "{\"id\":\"cc-upd\",\"rounds\":[{\"criteria\":"
	                       "[{\"id\":\"p\",\"plugin\":\"nope\","
	                       "\"weight\":1}]}]}");
	assert_int_equal(ctl("competition", "update", bad, NULL), 1);
	has(err, "INVALID_ARGUMENT: rounds[0].criteria[0].plugin: ");
	const char *gone = file("comp-gone.json", "{\"id\":\"cc-none\","
	                                          "\"title\":\"x\"}");
	assert_int_equal(ctl("competition", "update", gone, NULL), 1);
	has(err, "NOT_FOUND");
	assert_int_equal(ctl("competition", "update", NULL), 2);

	/* The run names the version it ran; then it is deleted. */
	assert_int_equal(ctl("competition", "run", "cc-upd", "--json", NULL), 0);
	has(out, "\"competitionEtag\": \"");
	const char *idp = strstr(out, "\"id\": \"cc-upd-");
	assert_non_null(idp);
	char run_id[128];
	snprintf(run_id, sizeof(run_id), "%.*s",
	         (int)strcspn(idp + 7, "\""), idp + 7);
	assert_int_equal(ctl("run", "delete", run_id, NULL), 0);
	has(out, "deleted cc-upd-");
	assert_int_equal(ctl("run", "get", run_id, NULL), 1);
	has(err, "NOT_FOUND");
	assert_int_equal(ctl("run", "delete", run_id, NULL), 1);
	has(err, "NOT_FOUND");
	assert_int_equal(ctl("run", "delete", NULL), 2);

	assert_int_equal(ctl("competition", "delete", "cc-upd", "--etag",
	                     etag1, NULL), 1);
	has(err, "ABORTED");
	assert_int_equal(ctl("competition", "delete", "cc-upd", NULL), 0);
	has(out, "deleted cc-upd");
	assert_int_equal(ctl("competition", "delete", "cc-upd", NULL), 1);
	has(err, "NOT_FOUND");
}

static void test_import_export(void **state)
{
	(void)state;
	/* JSON lines, with one record the server refuses. */
	char *buf = malloc(64 * 1024), *p = buf;
	for (int i = 0; i < 300; i++)
		p += sprintf(p, "{\"id\":\"%s-%03d\",\"name\":\"N%d\","
		                "\"economy\":\"DE\",\"region\":\"bulk\","
		                "\"indicators\":[{\"name\":\"employment\","
		                "\"year\":2021,\"value\":%d}]}\n",
		             i == 7 ? "Bad" : "bulk", i, i, i * 10);
	const char *jl = file("bulk.jsonl", buf);
	free(buf);
	assert_int_equal(ctl("cluster", "import", jl, NULL), 1);
	has(out, "created 299, updated 0, rejected 1");
	has(out, "Bad-007");
	has(err, "1 record rejected");

	const char *csv = file("more.csv", "id,name,economy,region\n"
	                                   "bulk-000,Renamed,DE,bulk\n"
	                                   "bulk-new,New,DE,bulk\n");
	assert_int_equal(ctl("cluster", "import", csv, "--json", NULL), 0);
	has(out, "\"created\": \"1\"");
	has(out, "\"updated\": \"1\"");

	/* Economy filters are normalised to the stored upper case, and a
	 * common alias is answered with the ISO code. */
	assert_int_equal(ctl("cluster", "list", "--economy", "de", "--region",
	                     "bulk", "--page-size", "2", NULL), 0);
	has(out, "bulk-000");
	has(out, "bulk-001");
	assert_int_equal(ctl("cluster", "export", "--economy", "uk", NULL), 1);
	has(err, "clusterctl: INVALID_ARGUMENT: filters.economy: \"UK\" is "
	         "not an ISO 3166-1 alpha-2 code; did you mean \"GB\"?");

	assert_int_equal(ctl("cluster", "export", "--region", "bulk", NULL), 0);
	size_t lines = 0;
	for (const char *q = out; (q = strchr(q, '\n')); q++)
		lines++;
	assert_int_equal(lines, 300);
	has(out, "{\"id\":\"bulk-000\",\"name\":\"Renamed\"");

	assert_int_equal(ctl("cluster", "export", "--region", "bulk", "--csv",
	                     NULL), 0);
	has(out, "id,name,economy,region,industry,indicator,year,value,unit\n");
	has(out, "bulk-001,N1,DE,bulk,,employment,2021,10,\n");
	assert_int_equal(ctl("cluster", "export", "--region", "bulk", "--csv",
	                     "--layout", "wide", NULL), 0);
	has(out, "id,name,economy,region,cities,industry,employment@2021\n");
	has(out, "bulk-001,N1,DE,bulk,,,10\n");

	/* What export wrote imports again, as updates. */
	const char *again = file("again.csv", out);
	assert_int_equal(ctl("cluster", "import", again, NULL), 0);
	has(out, "created 0, updated 300, rejected 0");

	/* A bad file sends nothing and names the problem. */
	const char *bad = file("bad.csv", "id,name,population\nz,Z,3\n");
	assert_int_equal(ctl("cluster", "import", bad, NULL), 1);
	has(err, "unknown column \"population\"");
	assert_int_equal(ctl("cluster", "import", "/nonexistent.csv", NULL), 1);
	has(err, "/nonexistent.csv");
}

/* JSON lines without the output-only fields, which end each object. */
static char *without_output_only(const char *jsonl)
{
	char *r = strdup(jsonl), *w = r;
	for (const char *p = jsonl; *p;) {
		const char *e = strstr(p, ",\"etag\":\"");
		const char *nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		if (!e || e > nl)
			e = nl - 1;  /* the closing brace */
		memcpy(w, p, (size_t)(e - p));
		w += e - p;
		*w++ = '}';
		*w++ = '\n';
		p = *nl ? nl + 1 : nl;
	}
	*w = '\0';
	return r;
}

/* export --csv, then import: every field back, units and assessments
 * too; the wide layout refuses what it would lose unless --lossy. */
static void test_csv_round_trip(void **state)
{
	(void)state;
	const char *j = file(
		"full.jsonl",
		"{\"id\":\"rt-a\",\"name\":\"Wuxi IoT\",\"economy\":\"CN\","
		"\"region\":\"rt\","
		"\"cities\":[\"Wuxi\",\"A;B\"],\"indicators\":[{\"name\":"
		"\"revenue_cny\",\"year\":2021,\"value\":1.2345678901234567e11,"
		"\"unit\":\"CNY\"},{\"name\":\"firms\",\"year\":2020,\"value\":"
		"-0.0}],\"assessments\":[{\"judge\":\"J1\",\"criterion\":"
		"\"governance\",\"score\":81.3,\"comment\":\"a,\\n\\\"b\\\"\","
		"\"round\":\"2\",\"recused\":true},{\"judge\":\"J2\","
		"\"criterion\":\"governance\",\"score\":0.1}],\"labels\":"
		"{\"z\":\"\",\"a\":\"1\"}}\n"
		"{\"id\":\"rt-b\",\"name\":\"Plain\",\"economy\":\"JP\","
		"\"region\":\"rt\"}\n");
	assert_int_equal(ctl("cluster", "import", j, NULL), 0);
	assert_int_equal(ctl("cluster", "export", "--region", "rt", NULL), 0);
	char *before = without_output_only(out);
	assert_non_null(strstr(before, "\"unit\":\"CNY\""));

	assert_int_equal(ctl("cluster", "export", "--region", "rt", "--csv",
	                     NULL), 0);
	const char *csv = file("all.csv", out);
	/* Gone, then back from the CSV alone. */
	assert_int_equal(ctl("cluster", "delete", "rt-a", NULL), 0);
	assert_int_equal(ctl("cluster", "delete", "rt-b", NULL), 0);
	assert_int_equal(ctl("cluster", "import", csv, NULL), 0);
	has(out, "created 2, updated 0, rejected 0");
	assert_int_equal(ctl("cluster", "export", "--region", "rt", NULL), 0);
	char *after = without_output_only(out);
	assert_string_equal(after, before);
	free(after);

	/* The same through --json output of one cluster. */
	assert_int_equal(ctl("cluster", "get", "rt-a", "--json", NULL), 0);
	const char *one = file("one.json", out);
	assert_int_equal(ctl("cluster", "delete", "rt-a", NULL), 0);
	assert_int_equal(ctl("cluster", "import", one, NULL), 0);
	assert_int_equal(ctl("cluster", "export", "--region", "rt", NULL), 0);
	after = without_output_only(out);
	assert_string_equal(after, before);
	free(after);
	free(before);

	assert_int_equal(ctl("cluster", "export", "--region", "rt", "--csv",
	                     "--layout", "wide", NULL), 1);
	assert_string_equal(out, "");
	has(err, "clusterctl: the wide CSV layout would lose assessments "
	         "(1 cluster, first \"rt-a\"), indicator units (1 cluster, "
	         "first \"rt-a\"), indicator order");
	has(err, "--layout long (the default) keeps every field, --lossy "
	         "drops them");
	assert_int_equal(ctl("cluster", "export", "--region", "rt", "--csv",
	                     "--layout", "wide", "--lossy", NULL), 0);
	has(err, "clusterctl: --lossy: dropped assessments (1 cluster");
	has(out, "id,name,economy,region,cities,industry,firms@2020,"
	         "revenue_cny@2021,label:a,label:z\n");
	/* What fits the wide layout goes through it unchanged. */
	assert_int_equal(ctl("cluster", "get", "rt-b", "--csv", "--layout",
	                     "wide", NULL), 0);
	assert_string_equal(out, "id,name,economy,region,cities,industry\n"
	                         "rt-b,Plain,JP,rt,,\n");
	/* A write succeeds, and printing it wide is refused all the same. */
	const char *u = file("wide-update.json",
	                     "{\"id\":\"rt-a\",\"name\":\"W\",\"economy\":"
	                     "\"CN\",\"assessments\":[{\"judge\":\"J\","
	                     "\"criterion\":\"c\",\"score\":1}]}");
	assert_int_equal(ctl("cluster", "update", u, "--csv", "--layout",
	                     "wide", NULL), 1);
	assert_string_equal(out, "");
	has(err, "the wide CSV layout would lose assessments (1 cluster, "
	         "first \"rt-a\")");
	assert_int_equal(ctl("cluster", "delete", "rt-a", NULL), 0);
	assert_int_equal(ctl("cluster", "delete", "rt-b", NULL), 0);
}

/* The value of the first "key": in JSON text, up to the next ',' or '}'. */
static char *json_value(const char *text, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	const char *p = strstr(text, pat);
	if (!p)
		fail_msg("no %s in %s", key, text);
	p += strlen(pat);
	size_t n = strcspn(p, ",}\n");
	if (*p == '"') {
		p++;
		n = strcspn(p, "\"");
	}
	return strndup(p, n);
}

/* Competition files: plugin params as numbers, booleans and lists; enum
 * names checked with the accepted ones listed. Run CSV numbers read back
 * to the same doubles. Uses the bulk clusters of test_import_export. */
static void test_competition_input(void **state)
{
	(void)state;
	const char *bad = file(
		"bad-comp.json",
		"{\"id\":\"emp\",\"title\":\"Jobs\",\"rounds\":[{\"criteria\":"
		"[{\"id\":\"jobs\",\"plugin\":\"indicator\",\"weight\":1,"
		"\"normalization\":\"MINMAX\"}]}]}");
	assert_int_equal(ctl("competition", "create", bad, NULL), 1);
	has(err, "bad-comp.json: record 1: rounds[0].criteria[0]."
	         "normalization: \"MINMAX\" is not one of NORMALIZATION_NONE, "
	         "NORMALIZATION_MIN_MAX, ");
	has(err, "(did you mean NORMALIZATION_MIN_MAX?)");

	const char *good = file(
		"comp.json",
		"{\"id\":\"emp\",\"title\":\"Jobs\",\"rounds\":[{\"criteria\":"
		"[{\"id\":\"jobs\",\"plugin\":\"indicator\",\"weight\":1,"
		"\"normalization\":\"NORMALIZATION_MIN_MAX\",\"params\":"
		"{\"indicator\":\"employment\",\"year\":2021,\"winsorise\":"
		"false,\"skew_threshold\":2.5,\"max_winsorised\":3}}],"
		"\"selection\":{\"topN\":3}}]}");
	assert_int_equal(ctl("competition", "create", good, NULL), 0);
	assert_int_equal(ctl("competition", "get", "emp", "--json", NULL), 0);
	has(out, "\"year\": \"2021\"");
	has(out, "\"winsorise\": \"false\"");
	has(out, "\"skew_threshold\": \"2.5\"");
	const char *list = file(
		"comp-list.json",
		"{\"id\":\"emp2\",\"title\":\"Jobs\",\"rounds\":[{\"criteria\":"
		"[{\"id\":\"t\",\"plugin\":\"topsis\",\"weight\":1,\"params\":"
		"{\"indicators\":[\"employment\",\"employment_x\"],\"weights\":"
		"[0.6,0.4],\"year\":2021}}]}]}");
	assert_int_equal(ctl("competition", "create", list, NULL), 0);
	assert_int_equal(ctl("competition", "get", "emp2", "--json", NULL), 0);
	has(out, "\"indicators\": \"employment,employment_x\"");
	has(out, "\"weights\": \"0.6,0.4\"");

	/* The plugin takes the converted params; the run's CSV carries the
	 * exact scores, the table rounds them. */
	assert_int_equal(ctl("competition", "run", "emp", "--json", NULL), 0);
	char *run = json_value(out, "id");
	assert_int_equal(ctl("run", "get", run, "--json", NULL), 0);
	/* The second standing: the first has the round score 100. */
	const char *st = strstr(out, "\"rank\": 2,");
	assert_non_null(st);
	char *score = json_value(st, "score");
	char *norm = json_value(st, "normalized");
	assert_int_equal(ctl("run", "get", run, "--csv", NULL), 0);
	has(out, "RANK,CLUSTER,NAME,ECONOMY,SCORE,jobs,SELECTED,CHANGE,NOTE\n");
	char cells[128];
	snprintf(cells, sizeof(cells), ",%s,%s,", score, norm);
	has(out, cells);
	/* The score has more digits than a table shows. */
	if (strlen(score) < 12)
		fail_msg("score %s: the test needs one with many digits", score);
	assert_int_equal(ctl("run", "get", run, NULL), 0);
	assert_null(strstr(out, score));
	/* With sensitivity: the share itself, not a rounded percentage. */
	assert_int_equal(ctl("competition", "run", "emp", "--samples", "20",
	                     "--jitter", "10", "--seed", "1", "--csv", NULL),
	                 0);
	has(out, ",RANK P5-P95,WON SHARE,NOTE\n");
	assert_null(strchr(out, '%'));
	assert_int_equal(ctl("competition", "run", "emp", "--samples", "20",
	                     "--jitter", "10", "--seed", "1", NULL), 0);
	has(out, "WON %");
	free(score);
	free(norm);
	free(run);
}

static void test_health_and_unreachable(void **state)
{
	(void)state;
	assert_int_equal(ctl("health", NULL), 0);
	has(out, "SERVING");
	assert_int_equal(ctl("health", "clusters.v1.ClusterRegistry", "--json",
	                     NULL), 0);
	has(out, "\"status\": \"SERVING\"");
	assert_int_equal(ctl("health", "no.Such", NULL), 1);
	has(err, "NOT_FOUND");
	char *argv[] = { CLUSTERCTL_BIN, "--server", "127.0.0.1:1", "health",
	                 NULL };
	free(out);
	free(err);
	assert_int_equal(cc_run(argv, &out, &err), 1);
	has(err, "clusterctl: UNAVAILABLE: ");
}

/* The server runs with the built-in plugins: `plugin list` and `plugin
 * reload` answer them, with kinds and params. */
static void test_plugins(void **state)
{
	(void)state;
	static const char *const names[] = { "indicator", "st_output", "growth",
	                                     "specialization", "topsis",
	                                     "promethee", "panel", "rubric",
	                                     "mcda" };
	assert_int_equal(ctl("plugin", "list", NULL), 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		has(out, names[i]);
	has(out, "QUANTITATIVE");
	has(out, "QUALITATIVE");
	has(out, "rubric.so");
	assert_int_equal(ctl("--json", "plugin", "list", NULL), 0);
	has(out, "\"PLUGIN_KIND_QUALITATIVE\"");
	has(out, "\"skew_threshold\"");
	has(out, "\"rubric.so\"");
	assert_int_equal(ctl("plugin", "reload", NULL), 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		has(out, names[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_create_get_list),
		cmocka_unit_test(test_update_delete),
		cmocka_unit_test(test_update_named_fields_only),
		cmocka_unit_test(test_competition_update_and_run_delete),
		cmocka_unit_test(test_import_export),
		cmocka_unit_test(test_csv_round_trip),
		cmocka_unit_test(test_competition_input),
		cmocka_unit_test(test_health_and_unreachable),
		cmocka_unit_test(test_plugins),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
