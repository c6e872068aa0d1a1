/*
 * jdg_irr — judge quality and rater reliability of an expert round.
 *
 * Input: for each criterion, a matrix of n targets (clusters) by k raters
 * (judges), row-major, NaN where the judge did not rate the target.
 * Output, per criterion and for the overall matrix (below):
 *   - Kendall's W with the correction for ties, its chi-square and df;
 *   - ICC(2,1) and ICC(2,k) (Shrout & Fleiss 1979; McGraw & Wong's
 *     ICC(A,1), ICC(A,k)) with the two-way ANOVA mean squares;
 *   - per judge: count rated, leniency, spread, Pearson and Spearman
 *     correlation with the leave-one-out panel mean, and flags.
 * docs/judging.md, "Judge quality and rater reliability", gives the exact
 * definitions, the handling of missing cells, the limits and sources.
 *
 * Every statistic that is not defined is NaN with a static reason string
 * (never a division by zero); a defined statistic has a NULL reason.
 *
 * Thread-safety: reentrant; a result is immutable once created and may be
 * read from any number of threads.
 */
#ifndef JDG_IRR_H
#define JDG_IRR_H

#include <stddef.h>

/* Limits (CD_ELIMIT beyond them). The cells bound keeps the work and the
 * overall matrix's copy (8 bytes a cell) bounded. */
#define JDG_IRR_MAX_TARGETS 1000000u
#define JDG_IRR_MAX_RATERS 1000u
#define JDG_IRR_MAX_CRITERIA 100u
#define JDG_IRR_MAX_CELLS 10000000u /* n * k */
/* |score| above this is refused (CD_EINVAL): squares and sums of up to
 * JDG_IRR_MAX_CELLS of them stay far from overflow. */
#define JDG_IRR_MAX_ABS 1e9

/* Per-judge flags. */
#define JDG_IRR_FLAG_NEGATIVE 1u /* Pearson r with the panel < 0 */
#define JDG_IRR_FLAG_WEAK 2u     /* 0 <= r < JDG_IRR_WEAK */
/* "Very weak" agreement with the panel: the coherence check's threshold
 * (COINr's weak-correlation default, docs/engine.md). */
#define JDG_IRR_WEAK 0.3

typedef struct jdg_irr_judge {
	size_t n_rated;     /* targets this judge rated */
	size_t n_compared;  /* of those, targets another judge rated too */
	double leniency;    /* mean of (score - other judges' mean) */
	double spread;      /* sample SD of the judge's scores */
	double pearson;     /* with the other judges' mean, over n_compared */
	double spearman;    /* same, on average ranks */
	const char *leniency_reason, *spread_reason;
	const char *pearson_reason, *spearman_reason;
	unsigned flags;     /* JDG_IRR_FLAG_* (none when pearson is NaN) */
} jdg_irr_judge_t;

typedef struct jdg_irr_stats {
	size_t n_cells;     /* rated cells */
	size_t n_active;    /* judges with at least one rated cell */
	size_t n_complete;  /* targets rated by every active judge */
	/* Kendall's W over the n_complete targets and n_active judges. */
	double w;           /* corrected for ties */
	double w_uncorrected;
	double chi2;        /* Friedman's: n_active (n_complete - 1) w */
	double df;          /* n_complete - 1 */
	double p;           /* chi-square survival of chi2 at df */
	const char *w_reason; /* w, chi2, p (and w_uncorrected, df when
	                       * fewer than 2 judges or targets) */
	const char *p_reason; /* p alone (the series did not converge) */
	/* Two-way ANOVA over the same complete block. */
	double msr, msc, mse;
	double icc21, icc2k;
	const char *anova_reason; /* NaN mean squares */
	const char *icc21_reason, *icc2k_reason;
	jdg_irr_judge_t *judges; /* k entries, one per column */
} jdg_irr_stats_t;

typedef struct jdg_irr_result {
	size_t n_targets, n_raters, n_criteria;
	jdg_irr_stats_t *criteria; /* n_criteria entries */
	/* The overall matrix: cell (i, j) is the mean of judge j's scores on
	 * target i over the criteria, defined only where judge j rated target
	 * i on every criterion. */
	jdg_irr_stats_t overall;
} jdg_irr_result_t;

/* Computes the statistics of n_criteria matrices scores[c] (each n x k,
 * scores[c][i * k + j] = judge j's score of target i, NaN = not rated)
 * into a new *out, freed with jdg_irr_destroy.
 * Cost: O(c n k + k n log n) time, O(n k) memory beyond the result.
 * Returns CD_OK; CD_EINVAL (NULL pointers, no criteria/targets/raters, a
 * score beyond JDG_IRR_MAX_ABS), CD_EV_NONFINITE (an infinite score),
 * CD_ELIMIT (a JDG_IRR_MAX_* bound), CD_ENOMEM; a message in err. */
int jdg_irr_create(jdg_irr_result_t **out, const double *const *scores,
                   size_t n_criteria, size_t n, size_t k, char *err,
                   size_t errlen);

/* P(X > x) for X chi-square with df degrees of freedom: the regularised
 * upper incomplete gamma Q(df/2, x/2), by its power series below
 * x/2 < df/2 + 1 and its continued fraction above (relative accuracy
 * about 1e-13, at most 100000 terms). NaN for df <= 0, a NaN argument or
 * no convergence; 1 for x <= 0; 0 for x = +inf. */
double jdg_irr_chi2_sf(double x, double df);

/* Frees r and everything it holds; NULL is a no-op. */
void jdg_irr_destroy(jdg_irr_result_t *r);

#endif
