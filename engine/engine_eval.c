/* The evaluation driver: one round after another, each round's selected
 * clusters forming the next round's candidates. */
#include "engine_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_error.h"
#include "engine_def.h"

static int round_alloc(engine_result_t *res, size_t r, const uint32_t *member,
                       size_t n)
{
	engine_round_res_t *rr = &res->rounds[r];
	const Clusters__V1__Round *rd = res->def->rounds[r];
	size_t nc = rd->n_criteria, m = n ? n : 1;
	rr->def = rd;
	char tmp[32];
	snprintf(rr->name, sizeof(rr->name), "%s",
	         engine_def_round_name(rd, r, tmp, sizeof(tmp)));
	rr->n = n;
	rr->ncrit = nc;
	rr->member = malloc(m * sizeof(*rr->member));
	rr->wn = calloc(nc, sizeof(*rr->wn));
	rr->raw = malloc(nc * m * sizeof(*rr->raw));
	rr->norm = malloc(nc * m * sizeof(*rr->norm));
	rr->score = malloc(m * sizeof(*rr->score));
	rr->rank = calloc(m, sizeof(*rr->rank));
	rr->excl = calloc(m, sizeof(*rr->excl));
	rr->selected = calloc(m, 1);
	rr->order = malloc(m * sizeof(*rr->order));
	rr->notes = calloc(nc, sizeof(*rr->notes));
	rr->cstats = calloc(nc, sizeof(*rr->cstats));
	rr->cnotes = calloc(nc, sizeof(*rr->cnotes));
	const Clusters__V1__Selection *sel = rd->selection;
	if (sel && (sel->industry_leaders || sel->max_per_economy > 0 ||
	            sel->max_per_region > 0 || sel->max_per_city > 0))
		rr->selinfo = calloc(m, sizeof(*rr->selinfo));
	if (!rr->member || !rr->wn || !rr->raw || !rr->norm || !rr->score ||
	    !rr->rank || !rr->excl || !rr->selected || !rr->order ||
	    !rr->notes || !rr->cstats || !rr->cnotes ||
	    (!rr->selinfo && sel && (sel->industry_leaders ||
	                             sel->max_per_economy > 0 ||
	                             sel->max_per_region > 0 ||
	                             sel->max_per_city > 0)))
		return CD_ENOMEM;
	if (n)
		memcpy(rr->member, member, n * sizeof(*member));
	for (size_t i = 0; i < nc * n; i++)
		rr->raw[i] = rr->norm[i] = NAN;
	for (size_t i = 0; i < n; i++)
		rr->score[i] = NAN;
	double wsum = 0;
	for (size_t k = 0; k < nc; k++) {
		wsum += rd->criteria[k]->weight;
		rr->notes[k].text = &res->note_text;
	}
	for (size_t k = 0; k < nc; k++)
		rr->wn[k] = rd->criteria[k]->weight / wsum;
	/* With pillars, weights are shares among siblings. */
	return engine_tree_init(rr);
}

/* An infinite score counts as none; says so in the candidate's note,
 * ahead of whatever the scorer said. notes must be finished. */
static int note_infinities(engine_notes_t *notes, const uint32_t *E,
                           const double *buf, size_t nE)
{
	int rc = CD_OK, set = 0;
	size_t n0 = notes->n;
	for (size_t i = 0; i < nE && !rc; i++) {
		if (!isinf(buf[i]))
			continue;
		uint32_t sid = engine_notes_get_n(notes, n0, E[i]);
		const char *had = sid == ENGINE_SID_NONE
		                  ? NULL : engine_dict_str(notes->text, sid);
		char text[512];
		snprintf(text, sizeof(text), "%s is not a finite number%s%s",
		         buf[i] > 0 ? "+Inf" : "-Inf", had ? "; " : "",
		         had ? had : "");
		rc = engine_notes_set(notes, i, text);
		set = 1;
	}
	if (set)
		engine_notes_finish(notes);
	return rc;
}

/* Scores rr's eligible positions E for every criterion. rr is round r
 * or, for sensitivity, a round of other candidates; prog NULL = no
 * reports. */
int engine_score_round(engine_result_t *res, engine_round_res_t *rr,
                       size_t r, const uint32_t *E, size_t nE,
                       const engine_opts_t *o, engine_progress_t *prog,
                       char *err, size_t errlen)
{
	size_t m = nE ? nE : 1;
	double *buf = malloc(m * sizeof(*buf));
	uint32_t *ci = malloc(m * sizeof(*ci));
	if (!buf || !ci) {
		free(buf);
		free(ci);
		return cd_fail(err, errlen, CD_ENOMEM, "scoring: out of memory");
	}
	for (size_t i = 0; i < nE; i++)
		ci[i] = rr->member[E[i]];
	int rc = prog ? engine_progress_stage(prog, "scoring", rr->ncrit) : 0;
	if (rc)
		cd_fail(err, errlen, rc, "cancelled while scoring");
	for (size_t k = 0; k < rr->ncrit && !rc; k++) {
		const Clusters__V1__Criterion *cr = rr->def->criteria[k];
		for (size_t i = 0; i < nE; i++)
			buf[i] = NAN;
		rr->notes[k].map = E;
		rr->notes[k].nmap = nE;
		engine_score_req_t req = {
			.round = r, .criterion = k, .def = cr, .cohort = res->cohort,
			.members = ci, .n = nE, .raw = buf, .notes = &rr->notes[k],
			.crit_notes = rr->cnotes ? &rr->cnotes[k] : NULL,
		};
		char msg[512] = "";
		rc = o->scorer(o->scorer_arg, &req, msg, sizeof(msg));
		if (rc) {
			cd_fail(err, errlen, rc, "rounds[%zu].criteria[%zu] \"%s\" "
			        "(plugin \"%s\"): %s", r, k, cr->id, cr->plugin,
			        msg[0] ? msg : cd_err_name(rc));
			break;
		}
		double *raw = rr->raw + k * rr->n;
		for (size_t i = 0; i < nE; i++)
			raw[E[i]] = isfinite(buf[i]) ? buf[i] : NAN;
		engine_notes_finish(&rr->notes[k]);
		if ((rc = note_infinities(&rr->notes[k], E, buf, nE))) {
			cd_fail(err, errlen, rc, "scoring: out of memory");
			break;
		}
		rr->notes[k].map = NULL;
		rr->notes[k].nmap = 0;
		if (prog && (rc = engine_progress_tick(prog, k + 1)))
			cd_fail(err, errlen, rc, "cancelled while scoring");
	}
	free(buf);
	free(ci);
	return rc;
}

/* Candidates kept for ranking after the missing-score policy. */
size_t engine_apply_missing(engine_round_res_t *rr, const uint32_t *E,
                            size_t nE, uint32_t *R)
{
	int zero = rr->def->missing == CLUSTERS__V1__MISSING_POLICY__MISSING_POLICY_SCORE_ZERO;
	size_t nR = 0;
	for (size_t i = 0; i < nE; i++) {
		uint32_t p = E[i];
		size_t k = 0;
		if (!zero)
			while (k < rr->ncrit && !isnan(rr->raw[k * rr->n + p]))
				k++;
		if (!zero && k < rr->ncrit)
			rr->excl[p] = ENGINE_EXCL_MISSING | (uint32_t)k;
		else
			R[nR++] = p;
	}
	return nR;
}

/* Excludes the candidates with a normalised score that is not finite
 * (NORMALIZATION_SHARE of a total that nearly cancels): a NaN or infinity
 * never reaches the ranking. Returns the candidates kept in R. */
size_t engine_drop_nonfinite_norm(engine_round_res_t *rr, uint32_t *R,
                                  size_t nR)
{
	size_t w = 0;
	for (size_t i = 0; i < nR; i++) {
		uint32_t p = R[i];
		size_t k = 0;
		while (k < rr->ncrit && isfinite(rr->norm[k * rr->n + p]))
			k++;
		if (k < rr->ncrit)
			rr->excl[p] = ENGINE_EXCL_NORM | (uint32_t)k;
		else
			R[w++] = p;
	}
	return w;
}

static int eval_round(engine_result_t *res, size_t r, const engine_opts_t *o,
                      engine_progress_t *prog, engine_sorter_t *s,
                      engine_selector_t *sel, char *err, size_t errlen)
{
	engine_round_res_t *rr = &res->rounds[r];
	size_t n = rr->n;
	int rc = engine_progress_stage(prog, "eligibility", n);
	if (!rc)
		rc = engine_filter_round(rr, res->cohort, prog, err, errlen);
	else
		cd_fail(err, errlen, rc, "cancelled");
	if (rc)
		return rc;
	uint32_t *E = malloc((n ? n : 1) * sizeof(*E));
	if (!E)
		return cd_fail(err, errlen, CD_ENOMEM, "round: out of memory");
	size_t nE = 0;
	for (size_t p = 0; p < n; p++)
		if (!rr->excl[p])
			E[nE++] = (uint32_t)p;
	rr->neligible = nE;
	rc = engine_score_round(res, rr, r, E, nE, o, prog, err, errlen);
	uint32_t *R = rr->order;
	size_t nR = 0;
	if (!rc) {
		nR = engine_apply_missing(rr, E, nE, R);
		rc = engine_progress_stage(prog, "normalising", rr->ncrit);
		if (rc)
			cd_fail(err, errlen, rc, "cancelled");
	}
	free(E);
	int zero = rr->def->missing == CLUSTERS__V1__MISSING_POLICY__MISSING_POLICY_SCORE_ZERO;
	for (size_t k = 0; k < rr->ncrit && !rc; k++)
		if ((rc = engine_normalize(rr->def->criteria[k], rr->raw + k * n,
		                           rr->norm + k * n, R, nR, zero, s,
		                           &rr->cstats[k])))
			cd_fail(err, errlen, rc, "normalising: out of memory");
	if (rc)
		return rc;
	nR = engine_drop_nonfinite_norm(rr, R, nR);
	if ((rc = engine_progress_stage(prog, "ranking", nR)))
		return cd_fail(err, errlen, rc, "cancelled");
	rc = rr->npil ? engine_tree_aggregate(rr, res->cohort, rr->norm, rr->wn, rr->pwn, R,
	                                      nR, rr->pscore, rr->score, s,
	                                      err, errlen)
	              : engine_aggregate(rr, res->cohort, rr->wn, R, nR,
	                                 rr->score, err, errlen);
	if (rc)
		return rc;
	size_t w = 0;
	for (size_t i = 0; i < nR; i++) {
		if (isfinite(rr->score[R[i]])) {
			R[w++] = R[i];
		} else {
			rr->excl[R[i]] = ENGINE_EXCL_NONFINITE;
			rr->score[R[i]] = NAN;
		}
	}
	nR = w;
	if ((rc = engine_base_order(rr, res->cohort, R, nR, s)) ||
	    (rc = engine_sort_desc(s, R, nR, rr->score)))
		return cd_fail(err, errlen, rc, "ranking: out of memory");
	rr->nranked = nR;
	engine_assign_ranks(R, nR, rr->score, rr->def->shared_ranks, rr->rank);
	if (rr->npil && (rc = engine_tree_rank(rr, s)))
		return cd_fail(err, errlen, rc, "ranking pillars: out of memory");
	rr->nselected = engine_select(sel, rr->def->selection, res->cohort,
	                              rr->member, R, nR, rr->score,
	                              rr->selected, rr->selinfo);
	for (size_t i = 0; i < nR && rr->nunsel_head < ENGINE_PASSED_MAX; i++)
		if (!rr->selected[R[i]])
			rr->unsel_head[rr->nunsel_head++] = R[i];
	return engine_progress_done(prog);
}

static int check_opts(const engine_opts_t *o, char *err, size_t errlen)
{
	if (!o || !o->scorer)
		return cd_fail(err, errlen, CD_EINVAL, "evaluate: no scorer");
	if (o->samples > ENGINE_MAX_SAMPLES)
		return cd_fail(err, errlen, CD_ELIMIT,
		               "sensitivity.samples: at most %d", ENGINE_MAX_SAMPLES);
	if (o->samples && (!isfinite(o->jitter_pct) || o->jitter_pct < 0 ||
	                   o->jitter_pct > 100))
		return cd_fail(err, errlen, CD_EINVAL,
		               "sensitivity.weight_jitter_pct: must be within "
		               "0..100");
	return CD_OK;
}

int engine_evaluate(const Clusters__V1__Competition *def,
                    const engine_cohort_t *cohort, const engine_opts_t *o,
                    engine_result_t **out, char *err, size_t errlen)
{
	*out = NULL;
	int rc = engine_def_validate(def, NULL, NULL, err, errlen);
	if (rc || (rc = check_opts(o, err, errlen)))
		return rc;
	engine_result_t *res = calloc(1, sizeof(*res));
	engine_sorter_t s = { 0 };
	engine_selector_t sel = { 0 };
	uint32_t *member = NULL;
	size_t n = engine_cohort_size(cohort);
	engine_progress_t prog;
	engine_progress_init(&prog, o->progress, o->progress_arg);
	if (o->progress_ms)
		prog.interval_ms = o->progress_ms;
	if (!res || engine_dict_init(&res->note_text) ||
	    !(res->rounds = calloc(def->n_rounds, sizeof(*res->rounds))) ||
	    !(member = malloc((n ? n : 1) * sizeof(*member))) ||
	    engine_selector_init(&sel, cohort)) {
		rc = cd_fail(err, errlen, CD_ENOMEM, "evaluate: out of memory");
		goto out;
	}
	res->def = def;
	res->cohort = cohort;
	res->n = n;
	res->samples = o->samples;
	res->jitter_pct = o->jitter_pct;
	res->seed = o->seed;
	for (size_t i = 0; i < n; i++)
		member[i] = (uint32_t)i;
	size_t nm = n;
	for (size_t r = 0; r < def->n_rounds; r++) {
		res->nrounds = r + 1;
		if ((rc = round_alloc(res, r, member, nm))) {
			cd_fail(err, errlen, rc, "evaluate: out of memory");
			goto out;
		}
		if ((rc = eval_round(res, r, o, &prog, &s, &sel, err, errlen)))
			goto out;
		engine_round_res_t *rr = &res->rounds[r];
		nm = 0;
		for (size_t p = 0; p < rr->n; p++)
			if (rr->selected[p])
				member[nm++] = rr->member[p];
	}
	/* Samples chain the rounds, so they run once every round is done. */
	if (o->samples && (rc = engine_sens_run(res, o, &prog, err, errlen)))
		goto out;
	if ((rc = engine_progress_stage(&prog, "results", n))) {
		cd_fail(err, errlen, rc, "cancelled");
		goto out;
	}
	if ((rc = engine_standings_build(res, o->baseline, err, errlen)) ||
	    (rc = engine_summary_build(res, err, errlen)) ||
	    (rc = engine_warnings_build(res, err, errlen)))
		goto out;
	if ((rc = engine_progress_done(&prog)))
		cd_fail(err, errlen, rc, "cancelled");
out:
	free(member);
	engine_sorter_fini(&s);
	engine_selector_fini(&sel);
	if (rc) {
		engine_result_destroy(res);
		return rc;
	}
	*out = res;
	return CD_OK;
}

void engine_result_destroy(engine_result_t *res)
{
	if (!res)
		return;
	for (size_t r = 0; r < res->nrounds; r++) {
		engine_round_res_t *rr = &res->rounds[r];
		free(rr->member);
		free(rr->wn);
		free(rr->raw);
		free(rr->norm);
		free(rr->score);
		free(rr->rank);
		free(rr->excl);
		free(rr->selected);
		free(rr->order);
		for (size_t k = 0; rr->notes && k < rr->ncrit; k++)
			free(rr->notes[k].v);
		free(rr->notes);
		for (size_t k = 0; rr->cnotes && k < rr->ncrit; k++)
			engine_crit_notes_fini(&rr->cnotes[k]);
		free(rr->cnotes);
		free(rr->cstats);
		free(rr->selinfo);
		free(rr->su);
		free(rr->su_reach);
		free(rr->su_sel);
		free(rr->p5);
		free(rr->p50);
		free(rr->p95);
		free(rr->sel_share);
		engine_tree_fini(rr);
	}
	free(res->rounds);
	free(res->standings);
	free(res->new_entrants);
	free(res->summary.economy.v);
	free(res->summary.region.v);
	free(res->summary.city.v);
	free(res->summary.industry.v);
	engine_dict_fini(&res->note_text);
	for (size_t i = 0; i < res->nwarnings; i++)
		free(res->warnings[i]);
	free(res->warnings);
	free(res);
}
