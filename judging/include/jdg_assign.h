/*
 * jdg_assign — assignment of judges to clusters under conflict-of-interest
 * rules, with balanced loads, and the check of a hand-edited assignment.
 *
 * Every cluster gets exactly k distinct judges, no judge more than max_load
 * clusters, and no (judge, cluster) pair breaks an enabled rule:
 *   - declared (always on): the judge declared a conflict with the cluster's
 *     id or with one of the cluster's organisations;
 *   - JDG_RULE_SAME_REGION: judge and cluster have the same (non-empty)
 *     region;
 *   - JDG_RULE_SHARED_AFFIL: one of the judge's affiliations is one of the
 *     cluster's organisations.
 * Strings compare byte for byte (the caller normalises case and spelling).
 *
 * Balance: the load vector is decreasingly minimal (docs/judging.md,
 * "Assignment"): the largest load is as small as any valid assignment
 * allows, then as few judges as possible carry it, and so on down; the sum
 * of squared loads is minimal and the smallest load as large as possible.
 * The result depends only on the seed and on the input as sets (not on the
 * order of clusters, judges or list elements); another seed may choose
 * another assignment of the same balance.
 *
 * When no assignment exists the result says why: each cluster with fewer
 * than k eligible judges, with every excluded judge's reasons, and each set
 * of clusters whose eligible judges lack the capacity under max_load (a
 * violated Hall condition, read off a minimum cut).
 *
 * Thread-safety: no global state; calls on distinct results may run on
 * different threads, and inputs are only read.
 */
#ifndef JDG_ASSIGN_H
#define JDG_ASSIGN_H

#include <stddef.h>
#include <stdint.h>

/* Limits (CD_ELIMIT, CD_EV_LENGTH or CD_EV_COUNT past them). */
#define JDG_ASSIGN_MAX_CLUSTERS   10000
#define JDG_ASSIGN_MAX_JUDGES     2000
#define JDG_ASSIGN_MAX_K          20
/* clusters x judges: bounds the eligibility table and the work. */
#define JDG_ASSIGN_MAX_PAIRS      4000000
#define JDG_ASSIGN_MAX_ID_LEN     128   /* bytes: ids and regions */
#define JDG_ASSIGN_MAX_ORG_LEN    256   /* bytes: organisation names */
#define JDG_ASSIGN_MAX_ORGS       64    /* per cluster, per judge list */
#define JDG_ASSIGN_MAX_CONFLICTS  256   /* declared cluster ids per judge */
/* Edges looked at by the balancing searches before giving up. */
#define JDG_ASSIGN_MAX_WORK       2000000000ULL
/* Assignment lines a check accepts. */
#define JDG_ASSIGN_MAX_ENTRIES    (JDG_ASSIGN_MAX_CLUSTERS * JDG_ASSIGN_MAX_K * 2)

/* Rules that may be switched off; declared conflicts are always on. */
#define JDG_RULE_SAME_REGION   0x1u
#define JDG_RULE_SHARED_AFFIL  0x2u
#define JDG_RULE_ALL           (JDG_RULE_SAME_REGION | JDG_RULE_SHARED_AFFIL)

typedef struct jdg_assign_cluster {
	const char *id;                /* non-empty, unique */
	const char *region;            /* NULL or "" = none, matches nothing */
	const char *const *orgs;       /* organisations (unique in the list) */
	size_t n_orgs;
} jdg_assign_cluster_t;

typedef struct jdg_assign_judge {
	const char *id;                /* non-empty, unique */
	const char *region;            /* NULL or "" = none */
	const char *const *affils;     /* affiliations (unique in the list) */
	size_t n_affils;
	/* Declared conflicts: cluster ids (ids not in the input are ignored,
	 * so one list may serve several rounds) and organisation names. */
	const char *const *conflict_clusters;
	size_t n_conflict_clusters;
	const char *const *conflict_orgs;
	size_t n_conflict_orgs;
} jdg_assign_judge_t;

typedef struct jdg_assign_input {
	const jdg_assign_cluster_t *clusters;
	size_t n_clusters;
	const jdg_assign_judge_t *judges;
	size_t n_judges;
	size_t k;                      /* judges per cluster, 1..MAX_K, <= n_judges */
	size_t max_load;               /* clusters per judge, >= 1 */
	unsigned rules;                /* JDG_RULE_* */
	uint64_t seed;                 /* tie-breaking; same seed, same result */
} jdg_assign_input_t;

typedef enum jdg_assign_problem_kind {
	JDG_ASSIGN_TOO_FEW_ELIGIBLE = 1, /* one cluster, fewer than k eligible */
	JDG_ASSIGN_CAPACITY              /* clusters competing for full judges */
} jdg_assign_problem_kind;

typedef struct jdg_assign_problem {
	jdg_assign_problem_kind kind;
	char *text;                    /* one line in words */
	/* Indices into the input: the clusters concerned and the judges they
	 * compete for (CAPACITY) or the eligible judges (TOO_FEW_ELIGIBLE). */
	size_t *clusters;
	size_t n_clusters;
	size_t *judges;
	size_t n_judges;
	/* Judge places the clusters need and the most they can get. */
	size_t demand, supply;
} jdg_assign_problem_t;

typedef struct jdg_assign_result {
	int feasible;                  /* 1: judges/loads valid; 0: problems */
	size_t n_clusters, n_judges, k;
	/* feasible: judges[c * k + i], i < k, index into the input's judges of
	 * cluster c's i-th judge, each cluster's k in ascending judge-id order. */
	size_t *judges;
	size_t *loads;                 /* per input judge */
	size_t load_max, load_min;     /* over all judges */
	/* !feasible: every problem found (clusters short of eligible judges
	 * first, in cluster-id order, then capacity sets). */
	jdg_assign_problem_t *problems;
	size_t n_problems;
} jdg_assign_result_t;

/* Assigns judges. CD_OK: *out is set, feasible or not (free with
 * jdg_assign_result_destroy). Otherwise *out is NULL and err says why:
 * CD_EINVAL (NULL pointers, k, max_load), CD_EV_EMPTY, CD_EV_LENGTH,
 * CD_EV_ENCODING, CD_EV_DUPLICATE, CD_EV_COUNT, CD_ELIMIT, CD_ENOMEM. */
int jdg_assign_run(const jdg_assign_input_t *in, jdg_assign_result_t **out,
                   char *err, size_t errlen);
void jdg_assign_result_destroy(jdg_assign_result_t *r);

/* One line of an assignment to check: cluster and judge by id. */
typedef struct jdg_assign_pair {
	const char *cluster_id;
	const char *judge_id;
} jdg_assign_pair_t;

typedef enum jdg_assign_violation_kind {
	JDG_AV_UNKNOWN_CLUSTER = 1, /* pair names no input cluster */
	JDG_AV_UNKNOWN_JUDGE,       /* pair names no input judge */
	JDG_AV_DUPLICATE,           /* same pair twice */
	JDG_AV_TOO_FEW,             /* cluster has fewer than k judges */
	JDG_AV_TOO_MANY,            /* cluster has more than k judges */
	JDG_AV_OVERLOAD,            /* judge has more than max_load clusters */
	JDG_AV_SAME_REGION,
	JDG_AV_SHARED_AFFIL,
	JDG_AV_DECLARED_CLUSTER,    /* judge declared a conflict with the id */
	JDG_AV_DECLARED_ORG         /* ... with one of its organisations */
} jdg_assign_violation_kind;

typedef struct jdg_assign_violation {
	jdg_assign_violation_kind kind;
	size_t cluster;                /* input index, SIZE_MAX when none */
	size_t judge;                  /* input index, SIZE_MAX when none */
	size_t pair;                   /* index in pairs, SIZE_MAX when none */
	char *text;
} jdg_assign_violation_t;

typedef struct jdg_assign_report {
	jdg_assign_violation_t *v;
	size_t n;                      /* 0: the assignment is valid */
} jdg_assign_report_t;

/* Checks pairs against in (the seed is not used). CD_OK: *out lists every
 * violation in pair order, then per cluster (counts) and per judge (load),
 * in input order. Other codes as jdg_assign_run, CD_EV_COUNT past
 * JDG_ASSIGN_MAX_ENTRIES pairs, CD_EV_EMPTY for a NULL or empty id. */
int jdg_assign_check(const jdg_assign_input_t *in,
                     const jdg_assign_pair_t *pairs, size_t n_pairs,
                     jdg_assign_report_t **out, char *err, size_t errlen);
void jdg_assign_report_destroy(jdg_assign_report_t *r);

#endif
