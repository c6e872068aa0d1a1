/* Explanations from a stored run. The gap is target score - score; for
 * each criterion alone, the normalised value v' that would close it with
 * everything else fixed (arithmetic: v + gap / w; geometric:
 * v (T / S)^(1 / w); harmonic: w / (1/T - 1/S + w/v); none for the
 * median and Copeland, which are not sums of parts), then the raw value that normalisation maps to v'
 * with the round's statistics unchanged. */
#include "engine_explain.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "engine_internal.h"
#include "engine_run_internal.h"

#define NORM(x) CLUSTERS__V1__NORMALIZATION__NORMALIZATION_##x
#define DC(x) CLUSTERS__V1__DECISION_CODE__DECISION_CODE_##x
#define AGG(x) CLUSTERS__V1__AGGREGATION__AGGREGATION_##x

typedef struct expl_msg {
	Clusters__V1__Explanation x;    /* first: the public pointer */
	engine_arena_t arena;
} expl_msg_t;

static void *a_alloc(void *arg, size_t size)
{
	return engine_arena_alloc(arg, size);
}

static void a_free(void *arg, void *p)
{
	(void)arg;
	(void)p;
}

/* A text grown in the arena's scratch: up to 4 KiB. */
typedef struct text {
	char buf[4096];
	size_t used;
} text_t;

__attribute__((format(printf, 2, 3)))
static void put(text_t *t, const char *fmt, ...)
{
	if (t->used + 1 >= sizeof(t->buf))
		return;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(t->buf + t->used, sizeof(t->buf) - t->used, fmt, ap);
	va_end(ap);
	if (k > 0)
		t->used += (size_t)k < sizeof(t->buf) - t->used
		           ? (size_t)k : sizeof(t->buf) - t->used - 1;
}

/* The raw value normalisation cs maps to v' (x the current raw, v the
 * current normalised value); NAN with a note when there is none. */
static double raw_for(const Clusters__V1__CriterionStats *cs, double x,
                      double v, double v2, char *note, size_t len)
{
	double dv = v2 - v, range;
	int have_x = isfinite(x);
	switch (cs->normalization) {
	case NORM(DISTANCE_TO_TARGET):
		/* The stats' goalposts are the round's min and the target. */
		if (!(cs->goalpost_upper > cs->goalpost_lower)) {
			snprintf(note, len, "every scored value was at or past "
			         "the target %g: every cluster gets 100, whatever "
			         "its value", cs->goalpost_upper);
			return NAN;
		}
		/* fallthrough */
	case NORM(MIN_MAX):
	case NORM(DISTANCE_TO_MAX):
	case NORM(GOALPOSTS): {
		int mm = cs->normalization == NORM(MIN_MAX) ||
		         cs->normalization == NORM(DISTANCE_TO_MAX);
		double lo = mm ? cs->min : cs->goalpost_lower;
		range = mm ? cs->max - cs->min : cs->goalpost_upper - lo;
		if (mm && !(range > 0)) {
			snprintf(note, len, "every scored value was equal (min = max "
			         "= %g): every cluster gets 100, whatever its value",
			         cs->min);
			return NAN;
		}
		if (v2 > 100 || v2 < 0) {
			snprintf(note, len, "it would need a normalised score of %g, "
			         "outside 0..100 (%s clamps)", v2,
			         mm ? "the min-max scale"
			         : cs->normalization == NORM(GOALPOSTS)
			         ? "GOALPOSTS" : "the target's cap");
			return NAN;
		}
		/* From the scale's end: x may lie beyond a goalpost. */
		return have_x && v > 0 && v < 100 ? x + dv * range / 100
		                                  : lo + v2 * range / 100;
	}
	case NORM(Z_SCORE):
		if (!(cs->sd > 0)) {
			snprintf(note, len, "the round's standard deviation is 0: "
			         "every cluster gets z = 0, whatever its value");
			return NAN;
		}
		return have_x ? x + dv * cs->sd : cs->mean + v2 * cs->sd;
	case NORM(SHARE):
		if (cs->sum == 0) {
			snprintf(note, len, "the round's total is 0: every share is 0");
			return NAN;
		}
		return have_x ? x + dv * cs->sum / 100 : v2 * cs->sum / 100;
	case NORM(RANK):
	case NORM(PERCENTILE_RANK):
		snprintf(note, len, "%s depends on the other clusters' values: "
		         "a normalised score of %g is needed%s",
		         cs->normalization == NORM(RANK) ? "RANK"
		                                         : "PERCENTILE_RANK", v2,
		         v2 > 100 ? ", above 100, which no rank gives" : "");
		return NAN;
	default:
		return have_x ? x + dv : v2;
	}
}

static int fail_round(char *err, size_t errlen, const Clusters__V1__Run *run,
                      const char *round)
{
	char names[512] = "";
	size_t used = 0;
	for (size_t i = 0; i < run->n_rounds && used < sizeof(names); i++)
		used += (size_t)snprintf(names + used, sizeof(names) - used,
		                         "%s\"%s\"", i ? ", " : "",
		                         run->rounds[i]->round);
	return cd_fail(err, errlen, CD_EINVAL, "round \"%s\": the run has no "
	               "such round (rounds: %s)", round, names);
}

static const Clusters__V1__CriterionScore *
find_score(const Clusters__V1__RoundStanding *rs, const char *id)
{
	for (size_t i = 0; i < rs->n_scores; i++)
		if (!strcmp(rs->scores[i]->criterion, id))
			return rs->scores[i];
	return NULL;
}

static int arith_agg(Clusters__V1__Aggregation a)
{
	return a == CLUSTERS__V1__AGGREGATION__AGGREGATION_UNSPECIFIED ||
	       a == CLUSTERS__V1__AGGREGATION__AGGREGATION_WEIGHTED_ARITHMETIC;
}

static const Clusters__V1__PillarStats *
find_pillar(const Clusters__V1__RoundStats *rs, const char *id)
{
	for (size_t j = 0; id && *id && j < rs->n_pillars; j++)
		if (!strcmp(rs->pillars[j]->pillar, id))
			return rs->pillars[j];
	return NULL;
}

/* Whether the total is a sum of weight_share * value over what lies in
 * pillar id: every aggregation from it up is arithmetic and no pillar on
 * the way normalises (own_norm: the pillar's own normalisation counts
 * too, as for a criterion inside it). Otherwise why says what stops it. */
static int decomposes(const Clusters__V1__RoundStats *rs, const char *id,
                      int own_norm, char *why, size_t len)
{
	const Clusters__V1__PillarStats *p = find_pillar(rs, id);
	for (size_t d = 0; p && d <= rs->n_pillars; d++) {
		int norm = p->normalization != NORM(UNSPECIFIED) &&
		           p->normalization != NORM(NONE);
		if (!arith_agg(p->aggregation)) {
			snprintf(why, len, "pillar \"%s\" is not an arithmetic "
			         "mean", p->pillar);
			return 0;
		}
		if (norm && (own_norm || d > 0)) {
			snprintf(why, len, "pillar \"%s\" is normalised over the "
			         "round", p->pillar);
			return 0;
		}
		p = find_pillar(rs, p->parent);
	}
	if (!arith_agg(rs->aggregation)) {
		snprintf(why, len, "the round's total is not an arithmetic mean");
		return 0;
	}
	return 1;
}

static int pillars(expl_msg_t *m, const Clusters__V1__RoundStats *rs,
                   const Clusters__V1__RoundStanding *me, text_t *t)
{
	Clusters__V1__Explanation *x = &m->x;
	engine_arena_t *a = &m->arena;
	size_t np = rs->n_pillars;
	if (!np)
		return CD_OK;
	if (!(x->pillars = engine_arena_alloc(a, np * sizeof(*x->pillars))))
		return CD_ENOMEM;
	for (size_t j = 0; j < np; j++) {
		const Clusters__V1__PillarStats *ps = rs->pillars[j];
		const Clusters__V1__PillarScore *sc = NULL;
		for (size_t i = 0; i < me->n_pillars && !sc; i++)
			if (!strcmp(me->pillars[i]->pillar, ps->pillar))
				sc = me->pillars[i];
		Clusters__V1__PillarExplanation *pe = engine_arena_alloc(a, sizeof(*pe));
		if (!pe)
			return CD_ENOMEM;
		clusters__v1__pillar_explanation__init(pe);
		x->pillars[x->n_pillars++] = pe;
		pe->pillar = engine_arena_dup(a, ps->pillar);
		pe->name = engine_arena_dup(a, ps->name);
		pe->parent = engine_arena_dup(a, ps->parent);
		if (!pe->pillar || !pe->name || !pe->parent)
			return CD_ENOMEM;
		pe->score = sc ? sc->score : NAN;
		pe->rank = sc ? sc->rank : 0;
		pe->weight_share = ps->weight_share;
		char note[256] = "", why[160];
		if (!sc)
			snprintf(note, sizeof(note), "no pillar score in this round");
		else if (!decomposes(rs, ps->pillar, 0, why, sizeof(why)))
			snprintf(note, sizeof(note), "no share of the total: %s",
			         why);
		else {
			Google__Protobuf__DoubleValue *d = engine_arena_alloc(a, sizeof(*d));
			if (!d)
				return CD_ENOMEM;
			google__protobuf__double_value__init(d);
			d->value = pe->weight_share * pe->score;
			pe->contribution = d;
		}
		if (!(pe->note = engine_arena_dup(a, note)))
			return CD_ENOMEM;
		put(t, "\n  pillar %s%s%s%s (%g%% of the weight): score %g, rank "
		    "%d", ps->pillar, ps->name[0] ? " \"" : "", ps->name,
		    ps->name[0] ? "\"" : "", 100 * pe->weight_share, pe->score,
		    pe->rank);
		if (pe->contribution)
			put(t, ", %g of the total (%.0f%%)", pe->contribution->value,
			    me->score != 0 ? 100 * pe->contribution->value / me->score
			                   : 0.0);
		else
			put(t, "; %s", note);
	}
	return CD_OK;
}

static int criteria(expl_msg_t *m, const Clusters__V1__RoundStats *rs,
                    const Clusters__V1__RoundStanding *me, int has_gap,
                    const char *why_none, text_t *t)
{
	Clusters__V1__Explanation *x = &m->x;
	engine_arena_t *a = &m->arena;
	int agg = rs->aggregation;
	int geo = agg == AGG(WEIGHTED_GEOMETRIC), harm = agg == AGG(WEIGHTED_HARMONIC);
	/* Not sums of parts: no share, and no raw value of one criterion. */
	const char *whole = agg == AGG(MEDIAN)
		? "the weighted median is set by the middle values: one "
		  "criterion moves it only while its value is one of them, "
		  "and then only as far as the next value, so no single raw "
		  "value is quoted"
		: agg == AGG(COPELAND)
		? "the Copeland score counts pairwise contests against the "
		  "other clusters' values: it moves in whole steps that "
		  "depend on them, so no single raw value is quoted"
		: NULL;
	double S = me->score, T = x->target_score, gap = x->gap;
	size_t nc = rs->n_criteria;
	x->criteria = engine_arena_alloc(a, (nc ? nc : 1) * sizeof(*x->criteria));
	if (!x->criteria)
		return CD_ENOMEM;
	for (size_t k = 0; k < nc; k++) {
		const Clusters__V1__CriterionStats *cs = rs->criteria[k];
		const Clusters__V1__CriterionScore *sc = find_score(me, cs->criterion);
		Clusters__V1__CriterionExplanation *ce = engine_arena_alloc(a, sizeof(*ce));
		if (!ce)
			return CD_ENOMEM;
		clusters__v1__criterion_explanation__init(ce);
		x->criteria[x->n_criteria++] = ce;
		ce->criterion = engine_arena_dup(a, cs->criterion);
		ce->plugin = engine_arena_dup(a, cs->plugin);
		if (!ce->criterion || !ce->plugin)
			return CD_ENOMEM;
		double w = cs->weight_share;
		ce->weight_share = w;
		ce->raw = sc ? sc->raw : NAN;
		ce->normalized = sc ? sc->normalized : NAN;
		ce->weighted = sc ? sc->weighted : NAN;
		double v = ce->normalized;
		/* In a pillar: weight_share is the effective share, and the
		 * criterion alone moves the total only through a path of
		 * arithmetic means without normalisation. */
		const char *in = cs->pillar && *cs->pillar ? cs->pillar : NULL;
		char why[160] = "";
		int dec = !in || decomposes(rs, in, 1, why, sizeof(why));
		/* Share of the total: of the sum, (geometric) of ln S, or
		 * (harmonic) of 1 / S = Σ w / v. */
		if (in)
			ce->share = dec && S != 0 && sc ? w * v / S : 0;
		else if (whole)
			ce->share = 0;
		else if (harm)
			ce->share = S != 0 && sc && w != 0 && v != 0 ? w / v * S : 0;
		else if (!geo)
			ce->share = S != 0 && sc ? ce->weighted / S : 0;
		else
			ce->share = S > 0 && log(S) != 0 && v > 0 && sc
			            ? w * log(v) / log(S) : 0;
		char note[256] = "";
		double v2 = NAN;
		if (!has_gap)
			snprintf(note, sizeof(note), "%s", why_none);
		else if (!dec)
			snprintf(note, sizeof(note), "in pillar \"%s\", and %s: "
			         "no value is solved for", in, why);
		else if (!sc || !isfinite(v))
			snprintf(note, sizeof(note), "no normalised score in this "
			         "round");
		else if (w == 0)
			snprintf(note, sizeof(note), "weight 0: this criterion does "
			         "not count");
		else if (whole)
			snprintf(note, sizeof(note), "%s", whole);
		else if (harm && !(S > 0 && v > 0 && T > 0))
			snprintf(note, sizeof(note), "the harmonic mean's values "
			         "or target are not all positive: no change of "
			         "one criterion's value is quoted");
		else if (harm && !(1 / T - 1 / S + w / v > 0))
			snprintf(note, sizeof(note), "the other criteria alone "
			         "hold the harmonic mean below the target: no "
			         "value of this one reaches it");
		else if (harm)
			/* 1/T = 1/S - w/v + w/v'. */
			v2 = w / (1 / T - 1 / S + w / v);
		else if (!geo)
			v2 = v + gap / w;
		else if (!(S > 0) || !(v > 0))
			snprintf(note, sizeof(note), "the geometric mean is 0 (a "
			         "normalised score <= 0): no change of one "
			         "criterion's value moves it%s",
			         v > 0 ? "" : " unless it is this one's");
		else
			v2 = v * pow(T / S, 1.0 / w);
		double need = NAN;
		if (!note[0] && isfinite(v2))
			need = raw_for(cs, ce->raw, v, v2, note, sizeof(note));
		else if (!note[0])
			snprintf(note, sizeof(note), "no finite value closes the gap");
		if (isfinite(need)) {
			Google__Protobuf__DoubleValue *d = engine_arena_alloc(a, sizeof(*d));
			if (!d)
				return CD_ENOMEM;
			google__protobuf__double_value__init(d);
			d->value = need;
			ce->raw_to_close_gap = d;
		}
		if (!(ce->note = engine_arena_dup(a, note)))
			return CD_ENOMEM;
		if (whole)
			put(t, "\n  %s (%g%% of the weight): raw %g, normalised "
			    "%g; ", cs->criterion, 100 * w, ce->raw, v);
		else
			put(t, "\n  %s (%g%% of the weight): raw %g, normalised "
			    "%g, weighted %g (%.0f%% of %s); ", cs->criterion,
			    100 * w, ce->raw, v, ce->weighted, 100 * ce->share,
			    harm ? "1 / score" : "the score");
		if (ce->raw_to_close_gap)
			put(t, "a raw value of %g alone would close the gap", need);
		else
			put(t, "%s", note);
	}
	return CD_OK;
}

static int explain(expl_msg_t *m, const Clusters__V1__Run *run,
                   const Clusters__V1__Standing *st, const char *round,
                   char *err, size_t errlen)
{
	Clusters__V1__Explanation *x = &m->x;
	engine_arena_t *a = &m->arena;
	clusters__v1__explanation__init(x);
	if (!round || !*round)
		round = st->round;
	size_t ri = 0, si = 0;
	while (ri < run->n_rounds && strcmp(run->rounds[ri]->round, round))
		ri++;
	if (ri == run->n_rounds)
		return fail_round(err, errlen, run, round);
	while (si < st->n_rounds && strcmp(st->rounds[si]->round, round))
		si++;
	if (si == st->n_rounds)
		return cd_fail(err, errlen, CD_ENOTFOUND, "cluster \"%s\": the "
		               "standing has no entry for round \"%s\" (a run "
		               "stored before per-round standings)",
		               st->cluster_id, round);
	const Clusters__V1__RoundStats *rs = run->rounds[ri];
	const Clusters__V1__RoundStanding *me = st->rounds[si];
	const Clusters__V1__Decision *d = me->decision;
	if (d && d->code == DC(EXCLUDED_EARLIER))
		return cd_fail(err, errlen, CD_ENOTFOUND, "cluster \"%s\" was not "
		               "a candidate of round \"%s\": it stopped in round "
		               "\"%s\"", st->cluster_id, round, d->earlier_round);
	/* A copy of the round standing, unpacked into the arena. */
	ProtobufCAllocator al = { a_alloc, a_free, a };
	size_t len = clusters__v1__round_standing__get_packed_size(me);
	uint8_t *buf = engine_arena_alloc(a, len ? len : 1);
	if (!buf)
		return CD_ENOMEM;
	clusters__v1__round_standing__pack(me, buf);
	x->standing = clusters__v1__round_standing__unpack(&al, len, buf);
	x->run_id = engine_arena_dup(a, run->id);
	x->cluster_id = engine_arena_dup(a, st->cluster_id);
	x->round = engine_arena_dup(a, round);
	if (!x->standing || !x->run_id || !x->cluster_id || !x->round)
		return CD_ENOMEM;
	int sel = me->selected;
	const char *tid = sel ? rs->best_unselected_cluster_id
	                      : rs->last_selected_cluster_id;
	int has_gap = me->rank > 0 && tid && *tid;
	const char *why_none = me->rank == 0
	                       ? "not ranked in this round"
	                       : sel ? "no ranked cluster was left unselected"
	                             : "the round selected no cluster";
	text_t *t = engine_arena_alloc(a, sizeof(*t));
	if (!t)
		return CD_ENOMEM;
	t->used = 0;
	t->buf[0] = '\0';
	put(t, "%s in round \"%s\": ", st->cluster_id, round);
	if (me->rank)
		put(t, "rank %d, score %g, ", me->rank, me->score);
	put(t, "%s", d && d->text[0] ? d->text : sel ? "selected" : "not selected");
	if (has_gap) {
		x->target_cluster_id = engine_arena_dup(a, tid);
		x->target_score = sel ? rs->best_unselected_score
		                      : rs->last_selected_score;
		x->gap = x->target_score - me->score;
		if (!x->target_cluster_id)
			return CD_ENOMEM;
		put(t, ".\nTarget: %s, the %s, at %g; gap %g.", tid,
		    sel ? "best unselected cluster" : "last selected cluster",
		    x->target_score, x->gap);
		/* A score on the wrong side of the target: the selection
		 * rules, not the score, decided. */
		if (!sel && x->gap < 0)
			put(t, "\nIts score is above the last selected "
			    "cluster's: the decision above, not its score, "
			    "kept it out.");
		else if (sel && x->gap > 0)
			put(t, "\nIts score is below the best unselected "
			    "cluster's: the decision above, not its score, "
			    "took it in.");
	} else {
		put(t, ".\nNo gap to close: %s.", why_none);
	}
	int rc = pillars(m, rs, me, t);
	if (!rc)
		rc = criteria(m, rs, me, has_gap, why_none, t);
	if (rc)
		return rc;
	x->assumption = engine_arena_dup(a,
		"Each raw value changes that criterion alone: the other "
		"criteria's scores, the weights and the round's normalisation "
		"statistics (min, max, mean, sd, sum, goalposts, the others' "
		"ranks) are held fixed, as if the cohort did not move. Reaching "
		"the target score ties it; the tie-breaks, top_n, the quotas and "
		"industry_leaders may still pass it over.");
	x->text = engine_arena_dup(a, t->buf);
	return x->assumption && x->text ? CD_OK : CD_ENOMEM;
}

int engine_explain(const Clusters__V1__Run *run,
                   const Clusters__V1__Standing *st, const char *round,
                   Clusters__V1__Explanation **out, char *err, size_t errlen)
{
	if (out)
		*out = NULL;
	if (!run || !st || !out)
		return cd_fail(err, errlen, CD_EINVAL, "explain: a run, a standing "
		               "and an output are required");
	expl_msg_t *m = calloc(1, sizeof(*m));
	if (!m)
		return cd_fail(err, errlen, CD_ENOMEM, "explain: out of memory");
	int rc = explain(m, run, st, round, err, errlen);
	if (rc) {
		if (rc == CD_ENOMEM)
			cd_fail(err, errlen, rc, "explain: out of memory");
		engine_explain_free(&m->x);
		return rc;
	}
	*out = &m->x;
	return CD_OK;
}

void engine_explain_free(Clusters__V1__Explanation *x)
{
	if (!x)
		return;
	expl_msg_t *m = (expl_msg_t *)x;
	engine_arena_fini(&m->arena);
	free(m);
}
