#include "pt_util.h"

#include <dirent.h>
#include <math.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cd_error.h"

static void capture(void *ctx, int level, const char *msg)
{
	pt_env_t *env = ctx;
	int n = snprintf(env->log + env->loglen, sizeof(env->log) - env->loglen,
	                 "[%d] %s\n", level, msg);
	if (n > 0 && env->loglen + (size_t)n < sizeof(env->log))
		env->loglen += (size_t)n;
}

static void env_open(pt_env_t *env, const char *dir, int insecure)
{
	memset(env, 0, sizeof(*env));
	plugin_registry_opts_t o = { .dir = dir, .log = capture, .log_ctx = env,
	                             .insecure_dir = insecure };
	int rc = plugin_registry_create(&env->reg, &o, env->err,
	                                sizeof(env->err));
	if (rc)
		fail_msg("registry on %s: %s", dir, env->err);
}

void pt_env_open(pt_env_t *env, const char *dir)
{
	env_open(env, dir, 0);
}

void pt_env_open_insecure(pt_env_t *env, const char *dir)
{
	env_open(env, dir, 1);
}

void pt_env_close(pt_env_t *env)
{
	plugin_instance_close(env->inst);
	plugin_registry_destroy(env->reg);
	env->inst = NULL;
	env->reg = NULL;
}

int pt_score(pt_env_t *env, const char *plugin, const char *const *params,
             const plugin_cohort_t *cohort, double *out,
             const char **reasons)
{
	plugin_kv_t kv[32];
	char buf[32][256];
	size_t n = 0;
	for (; params && params[n]; n++) {
		assert_true(n < 32);
		snprintf(buf[n], sizeof(buf[n]), "%s", params[n]);
		char *eq = strchr(buf[n], '=');
		assert_non_null(eq);
		*eq = '\0';
		kv[n].key = buf[n];
		kv[n].value = eq + 1;
	}
	plugin_instance_close(env->inst);
	env->inst = NULL;
	env->err[0] = '\0';
	plugin_generation_t *gen = plugin_registry_acquire(env->reg);
	int rc = plugin_instance_open(&env->inst, gen, plugin, kv, n, env->err,
	                              sizeof(env->err));
	plugin_generation_release(gen);
	if (rc)
		return rc;
	return plugin_instance_score(env->inst, cohort, out, reasons, env->err,
	                             sizeof(env->err));
}

#define CHECK(call)                                                       \
	do {                                                                  \
		char e_[256] = "";                                                \
		int rc_ = (call);                                                 \
		if (rc_)                                                          \
			fail_msg("%s: %s (%s)", #call, e_, cd_err_name(rc_));          \
	} while (0)

plugin_cohort_t *pt_cohort(void)
{
	plugin_cohort_t *c = NULL;
	CHECK(plugin_cohort_create(&c, 0, 0, e_, sizeof(e_)));
	return c;
}

void pt_cluster(plugin_cohort_t *c, const char *id)
{
	CHECK(plugin_cohort_add_cluster(c, id, NULL, NULL, NULL, NULL, e_,
	                                sizeof(e_)));
}

void pt_cluster_full(plugin_cohort_t *c, const char *id, const char *economy,
                     const char *region, const char *industry)
{
	CHECK(plugin_cohort_add_cluster(c, id, NULL, economy, region, industry,
	                                e_, sizeof(e_)));
}

void pt_ind(plugin_cohort_t *c, const char *name, int year, double value)
{
	CHECK(plugin_cohort_add_indicator(c, name, year, value, e_, sizeof(e_)));
}

void pt_asm(plugin_cohort_t *c, const char *judge, const char *criterion,
            double score, int round, int recused)
{
	CHECK(plugin_cohort_add_assessment(c, judge, criterion, score, round,
	                                   recused, e_, sizeof(e_)));
}

void pt_label(plugin_cohort_t *c, const char *key, const char *value)
{
	CHECK(plugin_cohort_add_label(c, key, value, e_, sizeof(e_)));
}

void pt_same_info(const plugin_info_t *a, const plugin_info_t *b)
{
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->version, b->version);
	assert_string_equal(a->description, b->description);
	assert_int_equal(a->kind, b->kind);
	assert_string_equal(a->kind_name, b->kind_name);
	assert_int_equal(a->abi_major, b->abi_major);
	assert_int_equal(a->abi_minor, b->abi_minor);
	assert_int_equal(a->nparams, b->nparams);
	for (size_t i = 0; i < a->nparams; i++) {
		const plugin_param_info_t *p = &a->params[i], *q = &b->params[i];
		assert_string_equal(p->name, q->name);
		assert_int_equal(p->type, q->type);
		assert_string_equal(p->type_name, q->type_name);
		if (p->default_value || q->default_value)
			assert_string_equal(p->default_value, q->default_value);
		assert_string_equal(p->description, q->description);
		assert_int_equal(p->required, q->required);
		assert_int_equal(p->names, q->names);
		assert_int_equal(p->nchoices, q->nchoices);
		for (size_t j = 0; j < p->nchoices; j++)
			assert_string_equal(p->choices[j], q->choices[j]);
	}
}

void pt_seal(plugin_cohort_t *c)
{
	CHECK(plugin_cohort_seal(c, e_, sizeof(e_)));
}

void pt_copy(const char *src, const char *dir, const char *name,
             unsigned mode)
{
	char dst[1024];
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	FILE *in = fopen(src, "rb");
	if (!in)
		fail_msg("open %s", src);
	/* Write to a new inode, as operators must: rewriting a mapped
	 * library in place would crash its users. */
	unlink(dst);
	FILE *out = fopen(dst, "wb");
	if (!out)
		fail_msg("create %s", dst);
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
	assert_int_equal(chmod(dst, mode), 0);
}

void pt_mkdtemp(char *out, size_t len)
{
	const char *t = getenv("TMPDIR");
	snprintf(out, len, "%s/cp-test-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(out))
		fail_msg("mkdtemp");
}

void pt_rmdir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char p[1024];
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

void pt_assert_near_(double a, double b, double eps, const char *expr,
                     const char *file, int line)
{
	if (fabs(a - b) <= eps)
		return;
	print_error("%s = %.17g, expected %.17g (within %g)\n", expr, a, b, eps);
	_fail(file, line);
}
