#!/usr/bin/python3
"""Writes the synthetic run the report's golden-structure test renders
(tests/client/rpt_sample.c): a two-round run with every case a report
must draw, all deterministic.

- round 1 "screen": arithmetic mean of three criteria, one z-scored so
  some weighted contributions are negative, two of them in a pillar
  ("scale", 75% of the total) beside the third; a quota pass; a cluster
  with no score; 14 candidates, 8 selected;
- round 2 "final": weighted geometric mean of two criteria; an industry
  leader taken ahead of higher ranks; 8 candidates, 4 selected;
- names with markup characters, a long one, and one in Chinese;
- sensitivity on every standing; a summary with more than 15 cities;
- rank moves against a baseline: climbers, fallers, a new entrant and one
  no longer ranked;
- each round's coherence, computed here as the engine does, with its
  flags, and a note with markup characters;
- one cluster record with indicators over three years (one indicator in
  a single year) and assessments, one recused.

Usage: report_sample.py OUT.json
"""
import json
import math
import sys

N = 14
NAMES = [
    "Alpha <b>&amp; \"Beta\"</b> 'works'",
    "Bravo optics",
    "Charlie a very long cluster name that cannot fit in the label column",
    "深圳–香港–广州 电子信息",
    "Delta robotics",
    "Echo biomedicine",
    "Foxtrot batteries",
    "Golf materials",
    "Hotel aviation",
    "India shipbuilding",
    "Juliet textiles",
    "Kilo software",
    "Lima rail",
    "Mike chips",
]
REGIONS = ["North", "South", "East", "West"]
INDUSTRIES = ["Electronics", "Materials", "Biomedicine", "Machinery"]


def crit_stats(rnd, crits, vals):
    out = []
    total_w = sum(w for _, _, w, _ in crits)
    for k, (cid, plugin, w, norm) in enumerate(crits):
        xs = [v[k] for v in vals if v[k] is not None]
        mean = sum(xs) / len(xs)
        sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / len(xs))
        out.append({"criterion": cid, "plugin": plugin, "weight": w,
                    "weightShare": w / total_w, "normalization": norm,
                    "scored": len(xs), "min": min(xs), "max": max(xs),
                    "mean": mean, "sd": sd, "sum": sum(xs)})
    return out


def pearson(x, y):
    mx, my = sum(x) / len(x), sum(y) / len(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    return sxy / math.sqrt(sxx * syy)


def avg_ranks(x):
    order = sorted(range(len(x)), key=lambda i: x[i])
    r = [0.0] * len(x)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and x[order[j + 1]] == x[order[i]]:
            j += 1
        for t in range(i, j + 1):
            r[order[t]] = (i + j) / 2 + 1
        i = j + 1
    return r


def coherence(cols, total):
    """RoundStats.coherence of columns {id: values} and the totals, as
    the engine computes it for criteria in the round's group
    (docs/engine.md, "Coherence"); the sample leaves its pillar out of
    the coherence, which the renderer draws the same either way."""
    ids = list(cols)
    sp = lambda x, y: pearson(avg_ranks(x), avg_ranks(y))
    items, pairs, flags = [], [], []
    for c in ids:
        r = pearson(cols[c], total)
        rho = sp(cols[c], total)
        items.append({"id": c, "kind": "COHERENCE_ITEM_KIND_CRITERION",
                      "pearsonTotal": r, "spearmanTotal": rho,
                      "pearsonGroup": r, "spearmanGroup": rho})
        if r < 0:
            flags.append({"code": "COHERENCE_FLAG_CODE_NEGATIVE", "item": c,
                          "value": r, "text": "criterion \"%s\" correlates "
                          "negatively with the round's total (Pearson "
                          "%.3f)" % (c, r)})
        elif r <= 0.3:
            flags.append({"code": "COHERENCE_FLAG_CODE_WEAK", "item": c,
                          "value": r, "text": "criterion \"%s\" correlates "
                          "weakly with the round's total (Pearson %.3f, "
                          "at most 0.3)" % (c, r)})
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            r = pearson(cols[a], cols[b])
            pairs.append({"itemA": a, "itemB": b, "pearson": r,
                          "spearman": sp(cols[a], cols[b])})
            if r > 0.9:
                flags.append({"code": "COHERENCE_FLAG_CODE_REDUNDANT",
                              "item": a, "other": b, "value": r,
                              "text": "criteria \"%s\" and \"%s\" are very "
                              "highly correlated (Pearson %.3f, above 0.9): "
                              "one may count what the other does"
                              % (a, b, r)})
    k = len(ids)
    n = len(total)
    var = lambda x: sum((v - sum(x) / n) ** 2 for v in x)
    sums = [sum(cols[c][i] for c in ids) for i in range(n)]
    alpha = k / (k - 1) * (1 - sum(var(cols[c]) for c in ids) / var(sums))
    return {"observations": n, "items": items, "pairs": pairs,
            "groups": [{"items": k, "cronbachAlpha": alpha}],
            "flags": flags, "weakThreshold": 0.3,
            "redundantThreshold": 0.9}


def main():
    ids = ["s%02d" % i for i in range(N)]
    # Round 1: raw values, normalised min-max except the z-scored third.
    c1 = [("size", "indicator", 40, "NORMALIZATION_MIN_MAX"),
          ("growth", "growth", 35, "NORMALIZATION_MIN_MAX"),
          ("quality", "indicator", 25, "NORMALIZATION_Z_SCORE")]
    raw1 = []
    for i in range(N):
        raw1.append([1000.0 + ((i * 7919) % 97) * 53.0,
                     0.02 + ((i * 104729) % 89) / 900.0,
                     None if i == 13 else 3.0 + ((i * 31) % 17) / 4.0])
    st1 = crit_stats("screen", c1, raw1)
    # Pillar "scale" (weight 75) holds size and growth; quality (25) is
    # at the top level: the total is the same weighted mean, and each
    # weighted score is the criterion's part of its pillar.
    st1[0]["pillar"] = st1[1]["pillar"] = "scale"
    total_w = sum(c[2] for c in c1)
    scored, total1, scale1 = {}, {}, {}
    for i in range(N):
        if raw1[i][2] is None:
            continue
        parts = []
        total1[i] = scale1[i] = 0.0
        for k, (cid, _, w, norm) in enumerate(c1):
            s = st1[k]
            x = raw1[i][k]
            if norm == "NORMALIZATION_Z_SCORE":
                n = (x - s["mean"]) / s["sd"] * 10
            else:
                n = (x - s["min"]) / (s["max"] - s["min"]) * 100
            sib = 75 if k < 2 else total_w
            if k < 2:
                scale1[i] += n * w / sib
            parts.append({"criterion": cid, "raw": x, "normalized": n,
                          "weighted": n * w / sib})
            total1[i] += n * w / total_w
        scored[i] = parts
    sc_vals = sorted(scale1.values(), reverse=True)
    scale_rank = {i: sc_vals.index(v) + 1 for i, v in scale1.items()}
    sc_mean = sum(sc_vals) / len(sc_vals)
    pillars1 = [{"pillar": "scale", "name": "Scale <&> size",
                 "weight": 75, "weightShare": 0.75,
                 "aggregation": "AGGREGATION_WEIGHTED_ARITHMETIC",
                 "scored": len(sc_vals), "min": min(sc_vals),
                 "max": max(sc_vals), "mean": sc_mean,
                 "sd": math.sqrt(sum((v - sc_mean) ** 2 for v in sc_vals)
                                 / len(sc_vals))}]
    order1 = sorted(scored, key=lambda i: (-total1[i], ids[i]))
    rank1 = {i: r + 1 for r, i in enumerate(order1)}
    # Quota: at most 2 per region; the first pass is recorded.
    sel1, per_region, passed = [], {}, None
    for i in order1:
        reg = REGIONS[i % 4]
        if len(sel1) == 8:
            break
        if per_region.get(reg, 0) == 2:
            passed = passed if passed is not None else i
            continue
        per_region[reg] = per_region.get(reg, 0) + 1
        sel1.append(i)
    # Round 2: geometric mean of two panel criteria over round 1's 8.
    c2 = [("panel", "panel", 60, "NORMALIZATION_NONE"),
          ("pitch", "panel", 40, "NORMALIZATION_NONE")]
    raw2 = {i: [50.0 + ((i * 13) % 11) * 4.5, 40.0 + ((i * 17) % 13) * 4.0]
            for i in sel1}
    st2 = crit_stats("final", c2, [raw2[i] for i in sel1])
    score2 = {}
    parts2 = {}
    for i in sel1:
        s = 1.0
        parts = []
        for k, (cid, _, w, _) in enumerate(c2):
            wn = w / 100.0
            v = raw2[i][k]
            s *= v ** wn
            parts.append({"criterion": cid, "raw": v, "normalized": v,
                          "weighted": v ** wn})
        score2[i] = s
        parts2[i] = parts
    order2 = sorted(sel1, key=lambda i: (-score2[i], ids[i]))
    rank2 = {i: r + 1 for r, i in enumerate(order2)}
    leader = order2[6]  # taken ahead of ranks 5 and 6
    sel2 = order2[:3] + [leader]

    def rs1(i):
        if i not in scored:
            return {"round": "screen", "decision": {
                "code": "DECISION_CODE_MISSING_SCORE", "criterion": "quality",
                "text": "no score for quality: the indicator is missing"}}
        sel = i in sel1
        if sel:
            dec = {"code": "DECISION_CODE_SELECTED_BY_SCORE",
                   "text": "selected by score (rank %d)" % rank1[i]}
        elif i == passed:
            dec = {"code": "DECISION_CODE_PASSED_OVER_BY_QUOTA",
                   "quota": "QUOTA_KIND_REGION", "group": REGIONS[i % 4],
                   "groupCount": 2, "quotaLimit": 2,
                   "text": 'passed over: max_per_region 2 reached, region "%s" already has 2 selected' % REGIONS[i % 4]}
        else:
            dec = {"code": "DECISION_CODE_OUTSIDE_TOP_N", "topN": 8,
                   "text": "outside top_n 8"}
        return {"round": "screen", "rank": rank1[i],
                "score": total1[i],
                "selected": sel, "scores": scored[i], "decision": dec,
                "pillars": [{"pillar": "scale", "score": scale1[i],
                             "rank": scale_rank[i]}],
                "sensitivity": {"rankP5": max(1, rank1[i] - 2),
                                "rankP50": rank1[i],
                                "rankP95": rank1[i] + 3,
                                "selectedShare": 1.0 if sel else 0.1,
                                "reachedShare": 1.0}}

    def rs2(i):
        if i not in rank2:
            return {"round": "final", "decision": {
                "code": "DECISION_CODE_EXCLUDED_EARLIER",
                "earlierRound": "screen",
                "text": "not selected in round screen"}}
        sel = i in sel2
        if i == leader:
            dec = {"code": "DECISION_CODE_SELECTED_AS_INDUSTRY_LEADER",
                   "industry": INDUSTRIES[i % 4], "passedOverRanks": [4, 5, 6],
                   "passedOverCount": 3,
                   "text": 'selected as the leader of industry "%s", ahead of ranks 4, 5, 6' % INDUSTRIES[i % 4]}
        elif sel:
            dec = {"code": "DECISION_CODE_SELECTED_BY_SCORE",
                   "text": "selected by score (rank %d)" % rank2[i]}
        else:
            dec = {"code": "DECISION_CODE_OUTSIDE_TOP_N", "topN": 4,
                   "text": "outside top_n 4"}
        return {"round": "final", "rank": rank2[i], "score": score2[i],
                "selected": sel, "scores": parts2[i], "decision": dec,
                "sensitivity": {"rankP5": max(1, rank2[i] - 1),
                                "rankP50": rank2[i],
                                "rankP95": min(8, rank2[i] + 2),
                                "selectedShare": 0.9 if sel else 0.25,
                                "reachedShare": 1.0}}

    # Overall: finalists by the final's rank, then the rest by round 1.
    overall = order2 + [i for i in order1 if i not in rank2]
    standings = []
    for r, i in enumerate(overall):
        s = {"clusterId": ids[i], "rank": r + 1, "selected": i in sel2,
             "name": NAMES[i], "economy": "CN" if i % 3 else "JP",
             "region": REGIONS[i % 4], "industry": INDUSTRIES[i % 4],
             "round": "final" if i in rank2 else "screen",
             "score": score2[i] if i in rank2 else rs1(i)["score"],
             "rounds": [rs1(i), rs2(i)],
             "sensitivity": {"rankP5": max(1, r - 1), "rankP50": r + 1,
                             "rankP95": r + 4,
                             "selectedShare": 0.85 if i in sel2 else 0.05}}
        standings.append(s)
    missing = [i for i in range(N) if i not in scored][0]
    standings.append({"clusterId": ids[missing], "rank": 0, "name": NAMES[missing],
                      "economy": "CN", "region": REGIONS[missing % 4],
                      "industry": INDUSTRIES[missing % 4], "round": "screen",
                      "excludedReason": "no score for quality",
                      "rounds": [rs1(missing), rs2(missing)]})

    def counts(keys):
        c = {}
        for k in keys:
            c[k] = c.get(k, 0) + 1
        return [{"key": k, "count": v} for k, v in
                sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))]
    cities = ["City%02d" % k for k in range(19)]
    summary = {"selected": 4, "byEconomy": counts(["CN", "CN", "JP", "CN"]),
               "byRegion": counts([REGIONS[i % 4] for i in sel2]),
               "byCity": [{"key": c, "count": 1} for c in cities],
               "byIndustry": counts([INDUSTRIES[i % 4] for i in sel2]),
               "distinctEconomies": 2, "distinctRegions": 3,
               "distinctCities": 19, "distinctIndustries": 3, "groupMin": 2,
               "economiesAtLeast": [{"key": "CN", "count": 3}]}
    def dcounts(codes):
        c = {}
        for k in codes:
            c[k] = c.get(k, 0) + 1
        return [{"code": k, "count": v} for k, v in sorted(c.items())]
    rounds = [
        {"round": "screen", "candidates": N, "eligible": N,
         "ranked": len(scored), "selected": 8,
         "decisions": dcounts([rs1(i)["decision"]["code"] for i in range(N)]),
         "criteria": st1, "aggregation": "AGGREGATION_WEIGHTED_ARITHMETIC",
         "pillars": pillars1,
         "lastSelectedClusterId": ids[sel1[-1]],
         "lastSelectedScore": total1[sel1[-1]],
         "bestUnselectedClusterId": ids[passed],
         "bestUnselectedScore": total1[passed]},
        {"round": "final", "candidates": 8, "eligible": 8, "ranked": 8,
         "selected": 4,
         "decisions": dcounts([rs2(i)["decision"]["code"] for i in range(N)]),
         "criteria": st2, "aggregation": "AGGREGATION_WEIGHTED_GEOMETRIC",
         "lastSelectedClusterId": ids[leader],
         "lastSelectedScore": score2[leader],
         "bestUnselectedClusterId": ids[order2[3]],
         "bestUnselectedScore": score2[order2[3]]},
    ]
    # Coherence over each round's ranked clusters' normalised scores.
    ranked1 = sorted(scored)
    rounds[0]["coherence"] = coherence(
        {cid: [scored[i][k]["normalized"] for i in ranked1]
         for k, (cid, _, _, _) in enumerate(c1)},
        [sum(p["weighted"] for p in scored[i]) for i in ranked1])
    rounds[1]["coherence"] = coherence(
        {cid: [parts2[i][k]["normalized"] for i in sel1]
         for k, (cid, _, _, _) in enumerate(c2)},
        [score2[i] for i in sel1])
    rounds[1]["coherence"]["notes"] = [
        "a note in the run's own words <kept> & escaped"]
    run = {"id": "sample-run-1", "competitionId": "sample",
           "competitionEtag": "e1", "dataVersion": 42,
           "createTime": "2026-01-02T03:04:05Z",
           "endTime": "2026-01-02T03:04:06Z", "state": "RUN_STATE_SUCCEEDED",
           "principal": "analyst", "candidates": N,
           "standingsTotal": len(standings), "standings": standings,
           "summary": summary, "rounds": rounds,
           "plugins": [{"name": "indicator", "version": "0.1.0"},
                       {"name": "growth", "version": "0.1.0"},
                       {"name": "panel", "version": "0.2.0"}],
           "sensitivity": {"samples": 100, "weightJitterPct": 20, "seed": "7"},
           "warnings": ["round final: a warning <with markup> & an ampersand"]}
    competition = {"id": "sample", "title": "Sample <competition>",
                   "edition": "2026", "etag": "e1",
                   "rounds": [{"name": "screen", "selection": {
                       "topN": 8, "maxPerRegion": 2}},
                       {"name": "final", "selection": {
                           "topN": 4, "industryLeaders": True}}]}
    # Baseline ranks: a climber, a faller, a new entrant, one gone.
    base = {}
    for r, i in enumerate(overall):
        base[ids[i]] = r + 1
    first, second = ids[overall[0]], ids[overall[5]]
    base[first], base[second] = base[second], base[first]
    base[ids[overall[2]]] = 0           # new in the top
    moves = [{"id": ids[i], "name": NAMES[i],
              "rank": r + 1, "baseRank": base[ids[i]]}
             for r, i in enumerate(overall)]
    moves.append({"id": "gone", "name": "Gone cluster", "rank": 0,
                  "baseRank": 3})
    cluster = {"id": ids[overall[0]], "name": NAMES[overall[0]],
               "economy": "CN", "region": "North",
               "cities": ["City01", "City02"], "industry": "Electronics",
               "indicators": [
                   {"name": "employment", "year": y, "value": 100000 + y * 10,
                    "unit": "persons"} for y in (2019, 2020, 2021)] + [
                   {"name": "firms", "year": y, "value": 300 + (y % 7) * 11}
                   for y in (2019, 2020, 2021)] + [
                   {"name": "patents", "year": 2021, "value": 12}],
               "assessments": [
                   {"judge": "judge-a", "criterion": "panel", "score": 81,
                    "round": "final", "comment": "strong <leadership>"},
                   {"judge": "judge-b", "criterion": "panel", "score": 74,
                    "round": "final"},
                   {"judge": "judge-c", "criterion": "panel", "score": 90,
                    "round": "final", "recused": True,
                    "comment": "same region"}]}
    json.dump({"run": run, "competition": competition,
               "baseline": {"id": "sample-base", "moves": moves},
               "clusters": [cluster], "topN": 10}, open(sys.argv[1], "w"),
              indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
