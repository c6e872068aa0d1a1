"""The COINr normalisations and aggregations through the real clusterd:
NORMALIZATION_DISTANCE_TO_MAX, _DISTANCE_TO_TARGET, _PERCENTILE_RANK and
AGGREGATION_WEIGHTED_HARMONIC, _MEDIAN, _COPELAND, each on a cohort with
a cost indicator (the indicator plugin's direction=lower negates it), a
tie and a cluster missing one indicator, every score checked against an
independent Python computation of COINr's formulas
(github.com/bluefoxr/COINr, R/normalise.R n_dist2max, n_dist2targ, n_prank;
R/aggregate.R a_hmean, outrankMatrix, a_copeland; the weighted median as
matrixStats::weightedMedian(interpolate = FALSE, ties = "mean")), scaled
to the engine's 0..100; and the errors: a target that is not finite
(INVALID_ARGUMENT), a harmonic mean over a 0 (FAILED_PRECONDITION)."""

import math
import os
import shutil
import sys
import tempfile
import unittest

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clusterd_harness import REG, Server, stubs  # noqa: E402

COMP = "/clusters.v1.CompetitionService/"
BUILD_DIR = os.environ["CLUSTERD_PLUGIN_BUILD_DIR"]

pb = cpb = None
SERVER = None
TMP = None

# id -> patents, emissions (a cost: lower is better), growth; None = the
# cluster lacks the indicator. b and c tie on everything.
DATA = {
    "a": (10, 50, 3),
    "b": (20, 30, 5),
    "c": (20, 30, 5),
    "d": (40, 80, 1),
    "e": (35, 10, 4),
    "f": (15, None, 2),
    "g": (5, 20, 6),
}
IDS = sorted(DATA)
# criterion id, indicator, plugin params, weight, target (raw units)
CRITS = [
    ("pat", "patents", {}, 2.0, 30.0),
    ("emi", "emissions", {"direction": "lower"}, 1.0, 15.0),
    ("gro", "growth", {}, 1.0, 10.0),
]


def setUpModule():
    global pb, cpb, SERVER, TMP
    pb, _, cpb, _ = stubs()
    TMP = tempfile.mkdtemp(prefix="clusterd-coin-")
    pdir = os.path.join(TMP, "plugins")
    os.mkdir(pdir, 0o700)
    dst = os.path.join(pdir, "indicator.so")
    shutil.copyfile(os.path.join(BUILD_DIR, "indicator.so"), dst)
    os.chmod(dst, 0o644)
    SERVER = Server("--plugin-dir", pdir, "--threads", "2")
    create = SERVER.unary(REG + "CreateCluster", pb.CreateClusterRequest,
                          pb.Cluster)
    for cid in IDS:
        c = pb.Cluster(id=cid, name=cid, economy="CN")
        for name, value in zip(("patents", "emissions", "growth"),
                               DATA[cid]):
            if value is not None:
                c.indicators.add(name=name, year=2020, value=value)
        create(pb.CreateClusterRequest(cluster=c), timeout=30)


def tearDownModule():
    rc = SERVER.stop()
    log = SERVER.read_log()
    SERVER.cleanup()
    shutil.rmtree(TMP, ignore_errors=True)
    if rc != 0:
        raise AssertionError("clusterd exited with %d:\n%s" % (rc, log[-4000:]))


def evaluate(comp):
    req = cpb.EvaluateRequest(competition=comp, cluster_ids=IDS)
    return SERVER.unary(COMP + "Evaluate", cpb.EvaluateRequest, cpb.Run)(
        req, timeout=120)


def competition(cid, norm, aggregation=None, lower=None, upper=None):
    comp = cpb.Competition(id=cid, title="t")
    r = comp.rounds.add(name="only")
    for crit, ind, params, w, target in CRITS:
        c = r.criteria.add(id=crit, plugin="indicator", weight=w,
                           normalization=norm)
        c.params["indicator"] = ind
        for k, v in params.items():
            c.params[k] = v
        # The target in the raw score's sense: a cost is negated.
        c.target = -target if params.get("direction") == "lower" else target
        if lower is not None:
            c.goalpost_lower = lower
            c.goalpost_upper = upper
    if aggregation:
        r.aggregation = aggregation
    return comp


def raw_columns():
    """The raw scores the plugin gives (cost negated), over the clusters
    that have every indicator (MISSING_POLICY_EXCLUDE drops f)."""
    ranked = [c for c in IDS if None not in DATA[c]]
    cols = []
    for k, (_, _, params, _, _) in enumerate(CRITS):
        sign = -1 if params.get("direction") == "lower" else 1
        cols.append({c: sign * DATA[c][k] for c in ranked})
    return ranked, cols


# COINr's formulas, times 100.
def dist2max(col):
    lo, hi = min(col.values()), max(col.values())
    return {c: 100.0 if hi == lo else 100 * (1 - (hi - x) / (hi - lo))
            for c, x in col.items()}


def dist2targ(col, t):
    lo = min(col.values())
    return {c: 100.0 if x >= t else 100 * (x - lo) / (t - lo)
            for c, x in col.items()}


def prank(col):
    m = len(col)
    # rank(ties.method = "min") - 1 = the number of values below.
    return {c: 0.0 if m == 1 else
            100 * sum(1 for y in col.values() if y < x) / (m - 1)
            for c, x in col.items()}


def weights():
    w = [c[3] for c in CRITS]
    return [x / sum(w) for x in w]


def hmean(vs, ws):
    return sum(ws) / sum(w / v for v, w in zip(vs, ws))


def wmedian(vs, ws):
    tot = sum(ws)
    got = []
    for x in sorted(set(vs)):
        below = sum(w for v, w in zip(vs, ws) if v < x)
        above = sum(w for v, w in zip(vs, ws) if v > x)
        if below <= tot / 2 + 1e-12 and above <= tot / 2 + 1e-12:
            got.append(x)
    return sum(got) / len(got)


def copeland(rows, ws):
    ids = list(rows)
    out = {c: 0 for c in ids}
    for i in ids:
        for j in ids:
            if i == j:
                continue
            o = sum(w for a, b, w in zip(rows[i], rows[j], ws) if a > b) + \
                sum(w for a, b, w in zip(rows[i], rows[j], ws) if a == b) / 2
            if abs(o - 0.5) > 1e-12:
                out[i] += 1 if o > 0.5 else -1
    return out


class Normalisations(unittest.TestCase):
    """Each criterion's normalised score and the weighted arithmetic
    total against Python."""

    def check(self, run, expect):
        ranked, _ = raw_columns()
        st = {s.cluster_id: s for s in run.standings}
        ws = weights()
        for c in ranked:
            scores = {x.criterion: x.normalized
                      for x in st[c].rounds[-1].scores}
            for k, (crit, *_rest) in enumerate(CRITS):
                self.assertAlmostEqual(scores[crit], expect[k][c], places=9,
                                       msg="%s %s" % (c, crit))
            total = sum(w * expect[k][c] for k, w in enumerate(ws))
            self.assertAlmostEqual(st[c].score, total, places=9, msg=c)
            self.assertGreater(st[c].rank, 0)
        # f lacks emissions: excluded, naming the criterion.
        self.assertEqual(st["f"].rank, 0)
        self.assertIn('criterion "emi"', st["f"].excluded_reason)
        # b and c tie: the same score.
        self.assertEqual(st["b"].score, st["c"].score)
        return st

    def test_distance_to_max(self):
        _, cols = raw_columns()
        run = evaluate(competition("d2m", cpb.NORMALIZATION_DISTANCE_TO_MAX))
        st = self.check(run, [dist2max(col) for col in cols])
        # d has the most patents, e the least emissions (the cost).
        self.assertEqual(st["d"].rounds[-1].scores[0].normalized, 100.0)
        self.assertEqual(st["e"].rounds[-1].scores[1].normalized, 100.0)

    def test_distance_to_target(self):
        _, cols = raw_columns()
        targets = [(-t if p.get("direction") == "lower" else t)
                   for _, _, p, _, t in CRITS]
        run = evaluate(competition("d2t",
                                   cpb.NORMALIZATION_DISTANCE_TO_TARGET))
        st = self.check(run, [dist2targ(col, t)
                              for col, t in zip(cols, targets)])
        # Past the target: capped at 100 (d 40, e 35 >= 30 patents; e's
        # 10 emissions <= 15).
        self.assertEqual(st["d"].rounds[-1].scores[0].normalized, 100.0)
        self.assertEqual(st["e"].rounds[-1].scores[0].normalized, 100.0)
        self.assertEqual(st["e"].rounds[-1].scores[1].normalized, 100.0)
        # The run's statistics carry the min and the target.
        cs = run.rounds[0].criteria[1]
        self.assertEqual((cs.goalpost_lower, cs.goalpost_upper),
                         (-80.0, -15.0))

    def test_percentile_rank(self):
        _, cols = raw_columns()
        run = evaluate(competition("pr", cpb.NORMALIZATION_PERCENTILE_RANK))
        st = self.check(run, [prank(col) for col in cols])
        # b and c tie on patents (20) with a (10) and g (5) below them:
        # 2 of the 5 others, 40, for both (ties share the lower rank).
        self.assertAlmostEqual(st["b"].rounds[-1].scores[0].normalized,
                               40.0, places=12)
        self.assertAlmostEqual(st["c"].rounds[-1].scores[0].normalized,
                               40.0, places=12)


class Aggregations(unittest.TestCase):
    """GOALPOSTS -100..100 (so every value is positive), then each
    aggregation against Python."""

    def values(self):
        ranked, cols = raw_columns()
        return ranked, {c: [100 * (col[c] + 100) / 200 for col in cols]
                        for c in ranked}

    def run_agg(self, agg):
        run = evaluate(competition("agg%d" % agg, cpb.NORMALIZATION_GOALPOSTS,
                                   aggregation=agg, lower=-100, upper=100))
        st = {s.cluster_id: s for s in run.standings}
        self.assertEqual(st["f"].rank, 0)
        self.assertEqual(run.rounds[0].aggregation, agg)
        return run, st

    def check(self, st, expect, places=9):
        for c, want in expect.items():
            self.assertAlmostEqual(st[c].score, want, places=places, msg=c)
        self.assertEqual(st["b"].score, st["c"].score)

    def test_harmonic(self):
        ranked, v = self.values()
        run, st = self.run_agg(cpb.AGGREGATION_WEIGHTED_HARMONIC)
        self.check(st, {c: hmean(v[c], weights()) for c in ranked})
        # The weighted scores are the terms w / v of 1 / score.
        s = st["a"].rounds[-1].scores[0]
        self.assertAlmostEqual(s.weighted, weights()[0] / s.normalized,
                               places=12)

    def test_median(self):
        ranked, v = self.values()
        run, st = self.run_agg(cpb.AGGREGATION_MEDIAN)
        self.check(st, {c: wmedian(v[c], weights()) for c in ranked})
        # By hand: a's (pat 55, emi 25, gro 51.5) weigh 1/2, 1/4, 1/4;
        # 51.5 has 1/4 below and 1/2 above, 55 has 1/2 below and none
        # above: both qualify, (51.5 + 55) / 2.
        self.assertAlmostEqual(st["a"].score, 53.25, places=12)

    def test_copeland(self):
        ranked, v = self.values()
        run, st = self.run_agg(cpb.AGGREGATION_COPELAND)
        want = copeland({c: v[c] for c in ranked}, weights())
        self.check(st, want, places=12)
        # Scores are whole numbers; ranks follow them.
        order = [s.cluster_id for s in run.standings if s.rank > 0]
        self.assertEqual([want[c] for c in order],
                         sorted(want.values(), reverse=True))


class Errors(unittest.TestCase):

    def test_target_not_finite(self):
        comp = competition("bad", cpb.NORMALIZATION_DISTANCE_TO_TARGET)
        comp.rounds[0].criteria[2].target = float("inf")
        with self.assertRaises(grpc.RpcError) as cm:
            evaluate(comp)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(cm.exception.details(),
                         "competition.rounds[0].criteria[2].target: must "
                         "be finite")

    def test_harmonic_over_zero(self):
        # MIN_MAX gives the lowest value of each criterion 0 (the first
        # such cluster in cohort order is d, the most emissions): the
        # harmonic mean cannot divide by it, as COINr's a_hmean stops.
        comp = competition("hz", cpb.NORMALIZATION_MIN_MAX,
                           aggregation=cpb.AGGREGATION_WEIGHTED_HARMONIC)
        with self.assertRaises(grpc.RpcError) as cm:
            evaluate(comp)
        self.assertEqual(cm.exception.code(),
                         grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn('round "only": AGGREGATION_WEIGHTED_HARMONIC divides '
                      'by every normalised score, and cluster "d" has 0 for '
                      'criterion "emi"', cm.exception.details())


if __name__ == "__main__":
    unittest.main()
