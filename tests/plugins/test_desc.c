/* plugin_desc: a plugin's info survives the trip through a worker frame
 * unchanged, and decoding refuses whatever a hostile worker might send
 * instead (every prefix, bad names, kinds, types, choices, defaults,
 * duplicates, trailing bytes, too many params), leaking nothing. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "cd_error.h"
#include "plugin_internal.h"
#include "plugin_wire_internal.h"
#include "pt_util.h"

#define FX(name) PT_FIXTURE_DIR "/" name ".so"

static const char *const builtins[] = {
	"indicator", "st_output", "growth", "specialization", "topsis",
	"promethee", "panel", "rubric", "mcda"
};

static char dir[512];
static pt_env_t env;

static int setup(void **st)
{
	(void)st;
	pt_mkdtemp(dir, sizeof(dir));
	pt_copy(FX("fx_good"), dir, "fx_good.so", 0644);
	pt_copy(FX("fx_later"), dir, "fx_later.so", 0644);
	for (size_t i = 0; i < sizeof(builtins) / sizeof(*builtins); i++) {
		char name[64], src[1024];
		snprintf(name, sizeof(name), "%s.so", builtins[i]);
		snprintf(src, sizeof(src), "%s/%s", PT_BUILTIN_DIR, name);
		pt_copy(src, dir, name, 0644);
	}
	/* In-process, without workers: the infos come from the loader. */
	pt_env_open(&env, dir);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	pt_env_close(&env);
	pt_rmdir(dir);
	return 0;
}

/* Bytes at the end of a mapping followed by an inaccessible page: a read
 * past them faults. */
typedef struct edge {
	uint8_t *map;
	size_t maplen;
	const uint8_t *p;
} edge_t;

static edge_t at_edge(const void *p, size_t len)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t data = ((len + (size_t)pg - 1) / (size_t)pg + 1) * (size_t)pg;
	edge_t e = { .maplen = data + (size_t)pg };
	e.map = mmap(NULL, e.maplen, PROT_READ | PROT_WRITE,
	             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(e.map != MAP_FAILED);
	assert_int_equal(mprotect(e.map + data, (size_t)pg, PROT_NONE), 0);
	uint8_t *dst = e.map + data - len;
	if (len)
		memcpy(dst, p, len);
	e.p = dst;
	return e;
}

static int decode(const void *p, size_t len, plugin_info_t *info,
                  char *reason, size_t rlen)
{
	edge_t e = at_edge(p, len);
	pw_rd_t r = { .p = e.p, .len = len };
	reason[0] = '\0';
	int rc = plugin_info_decode(&r, info, reason, rlen);
	munmap(e.map, e.maplen);
	return rc;
}

/* ------------------------------------------------------------- real ones */

static void test_round_trip(void **st)
{
	(void)st;
	plugin_generation_t *g = plugin_registry_acquire(env.reg);
	size_t n = plugin_generation_count(g);
	assert_int_equal(n, 2 + sizeof(builtins) / sizeof(*builtins));
	/* What the encoding has to carry, somewhere among them. */
	int seen_enum = 0, seen_default = 0, seen_nodefault = 0,
	    seen_required = 0, seen_names = 0, seen_minor = 0;
	for (size_t i = 0; i < n; i++) {
		const plugin_info_t *in = plugin_generation_info(g, i);
		pw_buf_t b = {0};
		plugin_info_encode(&b, in);
		assert_false(b.oom);
		plugin_info_t out;
		char reason[256];
		assert_int_equal(decode(b.p, b.len, &out, reason, sizeof(reason)),
		                 CD_OK);
		pt_same_info(in, &out);
		/* The probe adds the path; the worker does not send it. */
		assert_null(out.path);
		plugin_info_free(&out);
		pw_buf_free(&b);
		seen_minor |= in->abi_minor > 0;
		for (size_t k = 0; k < in->nparams; k++) {
			const plugin_param_info_t *p = &in->params[k];
			seen_enum |= p->type == CP_PARAM_ENUM && p->nchoices > 1;
			seen_default |= p->default_value != NULL;
			seen_nodefault |= p->default_value == NULL;
			seen_required |= p->required;
			seen_names |= p->names != CP_NAMES_NOTHING;
		}
	}
	assert_true(seen_enum && seen_default && seen_nodefault &&
	            seen_required && seen_names && seen_minor);
	plugin_generation_release(g);
}

/* Every proper prefix of every real encoding is refused, and freeing what
 * a failed decode left behind frees everything (the ASan build checks). */
static void test_truncated(void **st)
{
	(void)st;
	plugin_generation_t *g = plugin_registry_acquire(env.reg);
	for (size_t i = 0; i < plugin_generation_count(g); i++) {
		pw_buf_t b = {0};
		plugin_info_encode(&b, plugin_generation_info(g, i));
		for (size_t cut = 0; cut < b.len; cut++) {
			plugin_info_t out;
			char reason[256];
			int rc = decode(b.p, cut, &out, reason, sizeof(reason));
			if (rc != CD_EPLUGIN)
				fail_msg("%s cut at %zu of %zu: %d",
				         plugin_generation_info(g, i)->name, cut, b.len,
				         rc);
			assert_non_null(strstr(reason, "bad descriptor"));
			plugin_info_free(&out);
			assert_null(out.name);
			assert_null(out.params);
		}
		pw_buf_free(&b);
	}
	plugin_generation_release(g);
}

/* ------------------------------------------------------ hand-made ones */

typedef struct tparam {
	const char *name;
	uint32_t type;
	uint32_t has_default;
	const char *def;
	const char *desc;
	uint32_t required, names;
	uint32_t nchoices;      /* sent as the count */
	const char *choices[4]; /* sent: min(nchoices, 4) - less of them */
	uint32_t less;
} tparam_t;

typedef struct tdesc {
	const char *name, *version, *desc;
	uint32_t kind, major, minor;
	uint32_t nparams;       /* sent as the count */
	tparam_t p[4];          /* sent: min(nparams, 4) - less of them */
	uint32_t less;
} tdesc_t;

static tdesc_t good(void)
{
	return (tdesc_t){
		.name = "hand_made", .version = "1.2.3", .desc = "by hand",
		.kind = CP_QUANTITATIVE, .major = 2, .minor = 1, .nparams = 3,
		.p = {
			{ .name = "ind", .type = CP_PARAM_STRING, .has_default = 1,
			  .def = "x", .desc = "an indicator",
			  .names = CP_NAMES_INDICATOR },
			{ .name = "mode", .type = CP_PARAM_ENUM, .has_default = 1,
			  .def = "b", .desc = "", .nchoices = 2,
			  .choices = { "a", "b" } },
			{ .name = "n", .type = CP_PARAM_INTEGER, .required = 1,
			  .desc = "a count" },
		},
	};
}

static void put(pw_buf_t *b, const tdesc_t *d)
{
	pw_buf_str(b, d->name);
	pw_buf_str(b, d->version);
	pw_buf_str(b, d->desc);
	pw_buf_u32(b, d->kind);
	pw_buf_u32(b, d->major);
	pw_buf_u32(b, d->minor);
	pw_buf_u32(b, d->nparams);
	for (uint32_t i = 0; i + d->less < d->nparams && i < 4; i++) {
		const tparam_t *p = &d->p[i];
		pw_buf_str(b, p->name);
		pw_buf_u32(b, p->type);
		pw_buf_u32(b, p->has_default);
		pw_buf_str(b, p->def);
		pw_buf_str(b, p->desc);
		pw_buf_u32(b, p->required);
		pw_buf_u32(b, p->names);
		pw_buf_u32(b, p->nchoices);
		for (uint32_t j = 0; j + p->less < p->nchoices && j < 4; j++)
			pw_buf_str(b, p->choices[j]);
	}
}

/* Decodes d (plus extra bytes); frees the result either way. */
static int try_desc(const tdesc_t *d, const void *extra, size_t nextra,
                    char *reason, size_t rlen, plugin_info_t *keep)
{
	pw_buf_t b = {0};
	put(&b, d);
	pw_buf_bytes(&b, extra, nextra);
	assert_false(b.oom);
	plugin_info_t out;
	int rc = decode(b.p, b.len, &out, reason, rlen);
	pw_buf_free(&b);
	if (keep && rc == CD_OK)
		*keep = out;
	else
		plugin_info_free(&out);
	return rc;
}

static void expect_bad(const tdesc_t *d, const char *why)
{
	char reason[256];
	int rc = try_desc(d, NULL, 0, reason, sizeof(reason), NULL);
	if (rc != CD_EPLUGIN || !strstr(reason, why))
		fail_msg("rc %d, reason '%s', expected '%s'", rc, reason, why);
	assert_non_null(strstr(reason, "the plugin worker sent a bad "
	                               "descriptor"));
}

static void test_hand_made_good(void **st)
{
	(void)st;
	tdesc_t d = good();
	plugin_info_t in;
	char reason[256];
	assert_int_equal(try_desc(&d, NULL, 0, reason, sizeof(reason), &in),
	                 CD_OK);
	assert_string_equal(in.name, "hand_made");
	assert_string_equal(in.kind_name, "quantitative");
	assert_int_equal(in.abi_minor, 1);
	assert_int_equal(in.nparams, 3);
	assert_string_equal(in.params[0].default_value, "x");
	assert_int_equal(in.params[0].names, CP_NAMES_INDICATOR);
	assert_string_equal(in.params[1].type_name, "enum");
	assert_int_equal(in.params[1].nchoices, 2);
	assert_string_equal(in.params[1].choices[1], "b");
	assert_null(in.params[2].default_value);
	assert_int_equal(in.params[2].required, 1);
	assert_string_equal(in.params[2].description, "a count");
	plugin_info_free(&in);

	/* Qualitative, no params, empty description. */
	d = good();
	d.kind = CP_QUALITATIVE;
	d.nparams = 0;
	d.desc = "";
	assert_int_equal(try_desc(&d, NULL, 0, reason, sizeof(reason), &in),
	                 CD_OK);
	assert_string_equal(in.kind_name, "qualitative");
	assert_null(in.params);
	plugin_info_free(&in);

	/* A default sent with has_default 0 is no default. */
	d = good();
	d.p[2].def = "12";
	assert_int_equal(try_desc(&d, NULL, 0, reason, sizeof(reason), &in),
	                 CD_OK);
	assert_null(in.params[2].default_value);
	plugin_info_free(&in);

	/* names the server does not know, or on a param that is neither a
	 * string nor a list, name nothing: as the in-process loader reads
	 * them (fx_plugin.c declares both). */
	d = good();
	d.p[0].names = 9;
	d.p[2].names = CP_NAMES_INDICATOR;
	assert_int_equal(try_desc(&d, NULL, 0, reason, sizeof(reason), &in),
	                 CD_OK);
	assert_int_equal(in.params[0].names, CP_NAMES_NOTHING);
	assert_int_equal(in.params[2].names, CP_NAMES_NOTHING);
	plugin_info_free(&in);

	/* The longest valid name. */
	char longest[65];
	memset(longest, 'a', 64);
	longest[64] = '\0';
	d = good();
	d.name = longest;
	assert_int_equal(try_desc(&d, NULL, 0, reason, sizeof(reason), &in),
	                 CD_OK);
	plugin_info_free(&in);
}

static void test_bad_names(void **st)
{
	(void)st;
	static const char *const names[] = {
		"", "Upper", "with space", "-dash_first", ".dot_first", "semi;colon",
		"slash/name", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		tdesc_t d = good();
		d.name = names[i];
		expect_bad(&d, "name or version");
	}
	/* An embedded NUL. */
	pw_buf_t b = {0};
	pw_buf_u32(&b, 4);
	pw_buf_bytes(&b, "ab\0c", 4);
	tdesc_t d = good();
	d.name = NULL;   /* replaced by the bytes above */
	pw_buf_t rest = {0};
	put(&rest, &d);
	/* Skip the empty name put() wrote (a u32 length of 0). */
	pw_buf_bytes(&b, rest.p + 4, rest.len - 4);
	plugin_info_t out;
	char reason[256];
	assert_int_equal(decode(b.p, b.len, &out, reason, sizeof(reason)),
	                 CD_EPLUGIN);
	plugin_info_free(&out);
	pw_buf_free(&b);
	pw_buf_free(&rest);

	d = good();
	d.version = "";
	expect_bad(&d, "name or version");
	/* A version longer than 256 bytes. */
	char v[300];
	memset(v, '1', sizeof(v) - 1);
	v[sizeof(v) - 1] = '\0';
	d.version = v;
	expect_bad(&d, "name or version");
	/* A parameter without a name, or one beyond 64 bytes. */
	d = good();
	d.p[1].name = "";
	expect_bad(&d, "param");
	char pn[70];
	memset(pn, 'p', sizeof(pn) - 1);
	pn[sizeof(pn) - 1] = '\0';
	d.p[1].name = pn;
	expect_bad(&d, "param");
}

static void test_bad_kind_and_types(void **st)
{
	(void)st;
	static const uint32_t kinds[] = { 0, 3, 99, UINT32_MAX };
	for (size_t i = 0; i < 4; i++) {
		tdesc_t d = good();
		d.kind = kinds[i];
		expect_bad(&d, "kind");
	}
	static const uint32_t types[] = { 0, 7, 1000, UINT32_MAX };
	for (size_t i = 0; i < 4; i++) {
		tdesc_t d = good();
		d.p[2].type = types[i];
		expect_bad(&d, "param type");
	}
}

static void test_bad_choices(void **st)
{
	(void)st;
	/* An enum without choices. */
	tdesc_t d = good();
	d.p[1].nchoices = 0;
	d.p[1].has_default = 0;
	expect_bad(&d, "choices");
	/* Choices on a param that is not an enum. */
	d = good();
	d.p[0].nchoices = 1;
	d.p[0].choices[0] = "x";
	expect_bad(&d, "choices");
	/* More choices than allowed (refused before any is read). */
	d = good();
	d.p[1].nchoices = 1025;
	expect_bad(&d, "choices");
	d.p[1].nchoices = UINT32_MAX;
	expect_bad(&d, "choices");
	/* A count of 3 with 2 sent, at the end of the payload. */
	d = good();
	d.p[1].nchoices = 3;
	d.p[1].choices[2] = "c";
	d.p[1].less = 1;
	d.nparams = 2;
	expect_bad(&d, "choice");
	/* An empty choice is a choice (as in-process). */
	d = good();
	d.p[1].nchoices = 3;
	d.p[1].choices[2] = "";
	plugin_info_t in;
	char reason[256];
	assert_int_equal(try_desc(&d, NULL, 0, reason, sizeof(reason), &in),
	                 CD_OK);
	assert_string_equal(in.params[1].choices[2], "");
	plugin_info_free(&in);
}

static void test_bad_defaults(void **st)
{
	(void)st;
	tdesc_t d = good();
	d.p[1].def = "c";   /* not a choice */
	expect_bad(&d, "default");
	d = good();
	d.p[2].has_default = 1;
	d.p[2].def = "ten";  /* not an integer */
	expect_bad(&d, "default");
	d = good();
	d.p[2].type = CP_PARAM_NUMBER;
	d.p[2].has_default = 1;
	d.p[2].def = "inf";
	expect_bad(&d, "default");
	d = good();
	d.p[2].type = CP_PARAM_BOOLEAN;
	d.p[2].has_default = 1;
	d.p[2].def = "maybe";
	expect_bad(&d, "default");
}

static void test_duplicates_and_counts(void **st)
{
	(void)st;
	/* A param declared twice, next to each other or not. */
	tdesc_t d = good();
	d.p[1] = d.p[0];
	expect_bad(&d, "declared twice");
	d = good();
	d.p[2].name = "ind";
	expect_bad(&d, "declared twice");
	/* Trailing bytes, even one. */
	d = good();
	char reason[256];
	assert_int_equal(try_desc(&d, "x", 1, reason, sizeof(reason), NULL),
	                 CD_EPLUGIN);
	assert_non_null(strstr(reason, "trailing bytes"));
	assert_int_equal(try_desc(&d, "\0\0\0\0", 4, reason, sizeof(reason),
	                          NULL), CD_EPLUGIN);
	assert_non_null(strstr(reason, "trailing bytes"));
	/* More params than allowed, refused before anything is allocated
	 * for them. */
	d = good();
	d.nparams = 257;
	expect_bad(&d, "too many params");
	d.nparams = UINT32_MAX;
	expect_bad(&d, "too many params");
	/* A count above what was sent. */
	d = good();
	d.nparams = 4;
	d.less = 1;
	expect_bad(&d, "param");
	/* At the limit: 256 distinct params decode. */
	pw_buf_t b = {0};
	d = good();
	d.nparams = 0;
	put(&b, &d);
	/* Patch the count: the last u32 written. */
	uint32_t n = 256;
	memcpy(b.p + b.len - 4, &n, 4);
	for (uint32_t i = 0; i < n; i++) {
		char name[16];
		snprintf(name, sizeof(name), "p%u", i);
		pw_buf_str(&b, name);
		pw_buf_u32(&b, CP_PARAM_STRING);
		pw_buf_u32(&b, 0);
		pw_buf_str(&b, "");
		pw_buf_str(&b, "");
		pw_buf_u32(&b, 0);
		pw_buf_u32(&b, 0);
		pw_buf_u32(&b, 0);
	}
	plugin_info_t out;
	assert_int_equal(decode(b.p, b.len, &out, reason, sizeof(reason)),
	                 CD_OK);
	assert_int_equal(out.nparams, 256);
	assert_string_equal(out.params[255].name, "p255");
	plugin_info_free(&out);
	pw_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_hand_made_good),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_bad_kind_and_types),
		cmocka_unit_test(test_bad_choices),
		cmocka_unit_test(test_bad_defaults),
		cmocka_unit_test(test_duplicates_and_counts),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
