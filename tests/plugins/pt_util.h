/*
 * pt_util — helpers for the plugin tests: a registry over a directory with
 * its log captured, running one plugin with "key=value" params over a
 * cohort, and building small cohorts tersely.
 *
 * Thread-safety: single-threaded test code.
 */
#ifndef PT_UTIL_H
#define PT_UTIL_H

#include <stddef.h>

#include "plugin_cohort.h"
#include "plugin_instance.h"
#include "plugin_registry.h"

typedef struct pt_env {
	plugin_registry_t *reg;
	plugin_instance_t *inst;  /* of the last pt_score; reasons live here */
	char log[16384];
	size_t loglen;
	char err[1024];
} pt_env_t;

/* Aborts the test (cmocka fail) when the registry cannot be created. */
void pt_env_open(pt_env_t *env, const char *dir);
/* As pt_env_open with --plugin-dir-insecure's override. */
void pt_env_open_insecure(pt_env_t *env, const char *dir);
void pt_env_close(pt_env_t *env);

/* Opens `plugin` with params ("k=v" strings, NULL-terminated; NULL = none)
 * and scores the cohort into out/reasons. Returns the code; env->err has
 * the message. */
int pt_score(pt_env_t *env, const char *plugin, const char *const *params,
             const plugin_cohort_t *cohort, double *out,
             const char **reasons);

/* Cohort building that fails the test on any error. */
plugin_cohort_t *pt_cohort(void);
void pt_cluster(plugin_cohort_t *c, const char *id);
void pt_cluster_full(plugin_cohort_t *c, const char *id, const char *economy,
                     const char *region, const char *industry);
void pt_ind(plugin_cohort_t *c, const char *name, int year, double value);
void pt_asm(plugin_cohort_t *c, const char *judge, const char *criterion,
            double score, int round, int recused);
void pt_label(plugin_cohort_t *c, const char *key, const char *value);
void pt_seal(plugin_cohort_t *c);
/* Asserts that two plugin infos say the same (all but the path). */
void pt_same_info(const plugin_info_t *a, const plugin_info_t *b);

/* Copies a file into dir with the given mode. */
void pt_copy(const char *src, const char *dir, const char *name,
             unsigned mode);
/* A fresh private directory under TMPDIR; pt_rmdir removes it and its
 * files (not recursive beyond one level). */
void pt_mkdtemp(char *out, size_t len);
void pt_rmdir(const char *dir);

#define PT_EPS 1e-9

/* cmocka compares floats only as float; scores need double. */
#define pt_assert_near(a, b, eps)                                         \
	pt_assert_near_((a), (b), (eps), #a, __FILE__, __LINE__)
void pt_assert_near_(double a, double b, double eps, const char *expr,
                     const char *file, int line);

#endif
