/*
 * engine_coherence — the statistical coherence of a round's scores: the
 * first checks of a composite indicator's audit (the JRC's; COINr's
 * get_corr, get_cronbach and get_corr_flags). docs/engine.md, "Coherence",
 * gives the definitions, thresholds and sources.
 *
 * Generic over columns: an item is any column of scores over the round's
 * positions (a criterion's normalised scores, a pillar's scores) and has a
 * group, which is either the round as a whole (ENGINE_COH_ROUND, the
 * group's score being the total) or another item: the column that is the
 * group's score. A round without pillars has every criterion in the
 * round's group. With pillars the run passes, after the criteria, one
 * column per pillar (its scores, kind COHERENCE_ITEM_KIND_PILLAR, group
 * its parent pillar's column or ENGINE_COH_ROUND), and gives each
 * criterion of a pillar the index of that pillar's column as its group:
 * each criterion is then correlated with its pillar, each pillar with the
 * total, Cronbach's alpha is given for the round's pillars and for each
 * pillar's criteria, and redundant pairs are looked for within a group.
 *
 * Thread-safety: reentrant (the sorter and the arena are the caller's).
 */
#ifndef ENGINE_COHERENCE_H
#define ENGINE_COHERENCE_H

#include <stddef.h>
#include <stdint.h>

#include "engine_internal.h"
#include "engine_run_internal.h"

/* A group: the round as a whole. */
#define ENGINE_COH_ROUND (-1)
/* Flag thresholds on Pearson's r with the item's group, and between two
 * items of a group (COINr's defaults: plot_corr's "weak" 0.3,
 * get_corr_flags' cor_thresh 0.9). */
#define ENGINE_COH_WEAK 0.3
#define ENGINE_COH_REDUNDANT 0.9

/* Fills *out (every part allocated from a) with the coherence of ncol
 * columns over the positions R[0..nR) (ascending positions read the
 * columns in memory order, which is fastest; any order gives the same
 * result):
 *   cols[j][p]  item j's score at position p (finite for p in R);
 *   ids[j]      its id; kind[j] a Clusters__V1__CoherenceItemKind;
 *   group[j]    ENGINE_COH_ROUND, or the index of the pillar item
 *               (kind COHERENCE_ITEM_KIND_PILLAR, not j) whose column is
 *               j's group score; groups nest (a sub-pillar's group is
 *               its pillar) and lead to the round without a cycle;
 *   total[p]    the round's score (finite for p in R).
 * Pairs: every two items of the same kind. Spearman's rho is Pearson's r
 * of the ranks, ties given their average rank. A statistic that is not
 * defined (nR < 3, a column with one value over R, a group of one item, a
 * group whose sum does not vary) is NaN, with a note. Costs O(nR (ncol +
 * 1)^2) plus one radix sort per column; holds 4 (ncol + 1) nR bytes of
 * ranks and one column's copy.
 * Returns CD_OK, CD_EINVAL (a group that is not ENGINE_COH_ROUND or the
 * index of a pillar item, or groups in a cycle; a message in err),
 * CD_ENOMEM. */
int engine_coherence(engine_arena_t *a, const double *const *cols,
                     const char *const *ids, const int *kind,
                     const int *group, size_t ncol, const double *total,
                     const uint32_t *R, size_t nR, engine_sorter_t *s,
                     Clusters__V1__RoundCoherence *out, char *err,
                     size_t errlen);

#endif
