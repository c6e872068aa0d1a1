/*
 * jdg_assign_internal — what jdg_assign.c (the solver) and
 * jdg_assign_check.c (the checker) share: the validated, interned input
 * and the eligibility rules, so both judge a pair the same way.
 *
 * Thread-safety: a jdg_prep_t belongs to one call.
 */
#ifndef JDG_ASSIGN_INTERNAL_H
#define JDG_ASSIGN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "jdg_assign.h"

/* Reasons a pair is excluded (bit set). */
#define JDG_R_DECL_CLUSTER 0x1u
#define JDG_R_DECL_ORG     0x2u
#define JDG_R_SAME_REGION  0x4u
#define JDG_R_SHARED_AFFIL 0x8u

typedef struct jdg_prep {
	const jdg_assign_input_t *in;
	size_t nc, nj;
	const char **orgs;           /* sorted, unique organisation names */
	size_t n_orgs;
	size_t *c_by_id, *j_by_id;   /* input indices sorted by id */
	/* CSR lists of sorted ids: cluster orgs, judge affiliations, judge
	 * declared orgs, judge declared clusters (input indices). */
	size_t *c_org_off; uint32_t *c_org;
	size_t *j_aff_off; uint32_t *j_aff;
	size_t *j_dorg_off; uint32_t *j_dorg;
	size_t *j_dcl_off; uint32_t *j_dcl;
} jdg_prep_t;

/* Validates in (every rule of jdg_assign_run) and builds p. On failure p
 * holds nothing to free. */
int jdg_prep_init(jdg_prep_t *p, const jdg_assign_input_t *in,
                  char *err, size_t errlen);
void jdg_prep_free(jdg_prep_t *p);

/* Reasons (JDG_R_*) judge j may not judge cluster c under in->rules. */
unsigned jdg_prep_reasons(const jdg_prep_t *p, size_t c, size_t j);

/* Input index of the cluster / judge with that id, or SIZE_MAX. */
size_t jdg_prep_cluster(const jdg_prep_t *p, const char *id);
size_t jdg_prep_judge(const jdg_prep_t *p, const char *id);

/* A growing string; on allocation failure it sets oom and stops. */
typedef struct jdg_sb {
	char *s;
	size_t len, cap;
	int oom;
} jdg_sb_t;

void jdg_sb_printf(jdg_sb_t *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends the reasons of (c, j) in words: "same region 'X', shares
 * affiliation 'Y', declared conflict with cluster 'c'". */
void jdg_sb_reasons(jdg_sb_t *b, const jdg_prep_t *p, size_t c, size_t j,
                    unsigned reasons);
/* Hands the text over (never NULL unless oom; then frees and returns NULL). */
char *jdg_sb_take(jdg_sb_t *b);

#endif
