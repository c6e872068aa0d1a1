/*
 * plugin_cohort_internal — the layout of a plugin cohort, shared by the files
 * of plugin_cohort (building in plugin_cohort_add.c; the rest, views and
 * the host accessors in plugin_cohort.c); not for other modules.
 *
 * Thread-safety: as plugin_cohort.h.
 */
#ifndef PLUGIN_COHORT_INTERNAL_H
#define PLUGIN_COHORT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "plugin_cohort.h"
#include "cd_intern.h"

/* Each cluster stores where its items start in the flat arrays; where they
 * end is where the next cluster's start (or the array's length). That is
 * why items may only be added to the newest cluster. */
typedef struct pc_cluster {
	uint32_t id, name;                 /* arena offsets */
	uint32_t economy, region, industry; /* intern ids */
	uint32_t city0, ind0, asm0, lab0;
} pc_cluster_t;

typedef struct pc_assessment {
	uint32_t judge, criterion;  /* intern ids */
	int32_t round;
	uint32_t recused;
	double score;
} pc_assessment_t;

typedef struct pc_label {
	uint32_t key, value;  /* intern ids */
} pc_label_t;

/* Indicator key: name id in the high 16 bits, year in the low 16, so one
 * cluster's sorted keys group a series by name in year order, and the key
 * plus value take 12 bytes. */
#define IND_KEY(name, year) (((uint32_t)(name) << 16) | (uint32_t)(year))
#define IND_NAME(key) ((key) >> 16)
#define IND_YEAR(key) ((int)((key) & 0xFFFFu))

#define PC_HINTS 16

struct cp_cohort {
	cd_arena_t arena;
	cd_intern_t strs;   /* economies, cities, judges, labels, ... */
	cd_intern_t inames; /* indicator names: dense ids < 2^16 */
	pc_cluster_t *cl;
	size_t ncl, capcl;
	uint32_t *city;
	size_t ncity, capcity;
	uint32_t *ikey;
	double *ival;
	size_t nind, capkey, capval;
	pc_assessment_t *as;
	size_t nas, capas;
	pc_label_t *lab;
	size_t nlab, caplab;
	int sealed;
	uint32_t empty;         /* intern id of "" */
	/* Ids of the strings the previous cluster had at each position, tried
	 * before hashing (cd_intern_add_n): clusters tend to repeat
	 * their neighbours' economy, indicator names, label keys. */
	uint32_t hint_field[3];
	uint32_t hint_city[PC_HINTS], hint_ind[PC_HINTS];
	uint32_t hint_label[PC_HINTS][2], hint_as[PC_HINTS][2];
	/* A view (plugin_cohort_view): cluster i is parent's map[i]; every
	 * other field is empty. */
	const struct cp_cohort *parent;
	uint32_t *map;
	/* Sealed cohorts live in one shared-memory segment (a sealed memfd,
	 * plugin_cohort_seg.c): every array above points into seg, which is
	 * mapped read-only, and the worker processes map the same pages.
	 * seg_fd is -1 while building and for views. */
	void *seg;
	size_t seg_len;
	int seg_fd;
	uint64_t serial;   /* unique per packed cohort in this process */
	int seg_heap;      /* seg is heap memory (small cohorts), no file */
};

/* Moves a cohort's arrays into a sealed memfd mapped read-only (at seal;
 * file = 0 lets a small one go to the heap instead).
 * CD_EIO when the segment cannot be made; the cohort is then unchanged. */
int pc_seg_pack(plugin_cohort_t *c, int file, char *err, size_t errlen);
/* Cohort segments up to this size live in the heap (seg_heap): an
 * inline evaluation's cohort crosses to a worker inside its request. */
#define PC_SEG_HEAP_MAX (1u << 20)

/* A number no other packed cohort of this process has had. */
uint64_t plugin_cohort_serial(const plugin_cohort_t *c);
/* Unmaps and closes the segment of a packed cohort. */
void pc_seg_release(plugin_cohort_t *c);

#endif
