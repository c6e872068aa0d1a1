"""Runs that must not "succeed" silently, against the real clusterd with the
built-in plugins: indicator values across the whole double range rank
correctly (MIN_MAX over ±1e308 once ranked the minimum first and excluded
the rest); a criterion naming an indicator, label or assessment criterion
that no cluster of the cohort has fails with FAILED_PRECONDITION and a
suggestion; a round that selects nobody is a warning of the Run, printed
by clusterctl; and a cluster eliminated in a preliminary never ranks above
the finalists, even when every finalist is excluded from the final."""

import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clusterd_harness import REG, Server, stubs  # noqa: E402

COMP = "/clusters.v1.CompetitionService/"
BUILD_DIR = os.environ["CLUSTERD_PLUGIN_BUILD_DIR"]
CLUSTERCTL = os.environ["CLUSTERCTL_BIN"]
BUILTINS = ["indicator", "st_output", "growth", "specialization", "topsis",
            "panel", "rubric", "mcda"]
DBL_MAX = 1.7976931348623157e308

pb = cpb = None
SERVER = None
TMP = None


def setUpModule():
    global pb, cpb, SERVER, TMP
    pb, _, cpb, _ = stubs()
    TMP = tempfile.mkdtemp(prefix="clusterd-checks-")
    pdir = os.path.join(TMP, "plugins")
    os.mkdir(pdir, 0o700)
    for name in BUILTINS:
        dst = os.path.join(pdir, name + ".so")
        shutil.copyfile(os.path.join(BUILD_DIR, name + ".so"), dst)
        os.chmod(dst, 0o644)
    SERVER = Server("--plugin-dir", pdir, "--threads", "2")
    for cid, inds, labels, marks in CLUSTERS:
        c = pb.Cluster(id=cid, name=cid, economy="CN")
        for name, value in inds.items():
            c.indicators.add(name=name, year=2020, value=value)
        for k, v in labels.items():
            c.labels[k] = v
        for crit, score in marks.items():
            c.assessments.add(judge="j1", criterion=crit, score=score)
        SERVER.unary(REG + "CreateCluster", pb.CreateClusterRequest,
                     pb.Cluster)(pb.CreateClusterRequest(cluster=c),
                                 timeout=30)


def tearDownModule():
    rc = SERVER.stop()
    log = SERVER.read_log()
    SERVER.cleanup()
    shutil.rmtree(TMP, ignore_errors=True)
    if rc != 0:
        raise AssertionError("clusterd exited with %d:\n%s" % (rc, log[-4000:]))


CLUSTERS = [
    # id, indicators (2020), labels, assessment criteria -> score
    ("x-lo", {"v": -1e308, "w": 1, "big": DBL_MAX}, {}, {}),
    ("x-mid", {"v": 0.0, "w": 2, "big": DBL_MAX}, {}, {}),
    ("x-hi", {"v": 1e308, "w": 3, "big": DBL_MAX}, {}, {}),
    ("n-a", {"patents": 5, "gdp": 3}, {"maturity": "high"},
     {"governance": 7, "internationalisation": 6}),
    ("n-b", {"patents": 7, "gdp": 1}, {"maturity": "low"},
     {"governance": 5, "internationalisation": 8}),
    ("n-c", {"rare": 1}, {}, {}),
    ("w-a", {"score": 3}, {}, {}),
    ("w-b", {"score": 2}, {}, {}),
    ("w-c", {"score": 1, "final": 1}, {}, {}),
]
NAMES = ["n-a", "n-b"]


def unary(name, req_cls, resp_cls):
    return SERVER.unary(COMP + name, req_cls, resp_cls)


def evaluate(comp, ids):
    req = cpb.EvaluateRequest(competition=comp, cluster_ids=list(ids))
    return unary("Evaluate", cpb.EvaluateRequest, cpb.Run)(req, timeout=120)


def error_of(fn, *args):
    try:
        fn(*args)
    except grpc.RpcError as e:
        return e
    raise AssertionError("call succeeded where it should have failed")


def criterion(cid, plugin, norm=None, **params):
    c = cpb.Criterion(id=cid, plugin=plugin, weight=1.0,
                      normalization=norm or cpb.NORMALIZATION_NONE)
    for k, v in params.items():
        c.params[k] = str(v)
    return c


def one_round(cid, *crits, aggregation=None):
    comp = cpb.Competition(id=cid, title="t")
    r = comp.rounds.add(name="only")
    for c in crits:
        r.criteria.append(c)
    if aggregation:
        r.aggregation = aggregation
    return comp


def by_id(run):
    return {s.cluster_id: s for s in run.standings}


class Range(unittest.TestCase):
    """Indicator values at the ends of the double range, hand-computed."""

    def test_min_max(self):
        r = evaluate(one_round("mm", criterion(
            "v", "indicator", cpb.NORMALIZATION_MIN_MAX, indicator="v")),
            ["x-lo", "x-mid", "x-hi"])
        st = by_id(r)
        # max - min = 2e308 overflows a plain difference.
        self.assertEqual([s.cluster_id for s in r.standings],
                         ["x-hi", "x-mid", "x-lo"])
        self.assertEqual([st[c].rank for c in ["x-hi", "x-mid", "x-lo"]],
                         [1, 2, 3])
        self.assertEqual(st["x-hi"].score, 100.0)
        self.assertAlmostEqual(st["x-mid"].score, 50.0, places=9)
        self.assertEqual(st["x-lo"].score, 0.0)
        for s in r.standings:
            self.assertEqual(s.excluded_reason, "")
        self.assertEqual(list(r.warnings), [])

    def test_geometric(self):
        # MIN_MAX of v and of w (1, 2, 3) are 0, 50, 100 each; geometric
        # means 0 (a zero factor), 50, 100 -- never a NaN ranked as 0.
        r = evaluate(one_round(
            "geo",
            criterion("v", "indicator", cpb.NORMALIZATION_MIN_MAX,
                      indicator="v"),
            criterion("w", "indicator", cpb.NORMALIZATION_MIN_MAX,
                      indicator="w"),
            aggregation=cpb.AGGREGATION_WEIGHTED_GEOMETRIC),
            ["x-lo", "x-mid", "x-hi"])
        st = by_id(r)
        self.assertEqual([s.cluster_id for s in r.standings],
                         ["x-hi", "x-mid", "x-lo"])
        self.assertAlmostEqual(st["x-hi"].score, 100.0, places=12)
        self.assertAlmostEqual(st["x-mid"].score, 50.0, places=12)
        self.assertEqual(st["x-lo"].score, 0.0)
        self.assertEqual(st["x-lo"].rank, 3)

    def test_z_score(self):
        # mean 0, population sd 1e308 sqrt(2/3): z = ±sqrt(3/2), 0.
        r = evaluate(one_round("z", criterion(
            "v", "indicator", cpb.NORMALIZATION_Z_SCORE, indicator="v")),
            ["x-lo", "x-mid", "x-hi"])
        st = by_id(r)
        self.assertAlmostEqual(st["x-hi"].score, math.sqrt(1.5), places=12)
        self.assertAlmostEqual(st["x-mid"].score, 0.0, places=12)
        self.assertAlmostEqual(st["x-lo"].score, -math.sqrt(1.5), places=12)

    def test_share_and_arithmetic_of_dbl_max(self):
        # Σ = 3 DBL_MAX overflows a plain sum: shares of 100/3; the
        # arithmetic mean of (DBL_MAX, DBL_MAX) is DBL_MAX.
        r = evaluate(one_round(
            "share",
            criterion("s", "indicator", cpb.NORMALIZATION_SHARE,
                      indicator="big")),
            ["x-lo", "x-mid", "x-hi"])
        for s in r.standings:
            self.assertAlmostEqual(s.score, 100.0 / 3, places=12)
            self.assertEqual(s.rounds[-1].scores[0].raw, DBL_MAX)
        r = evaluate(one_round(
            "mean",
            criterion("a", "indicator", indicator="big"),
            criterion("b", "indicator", indicator="big")), ["x-hi"])
        self.assertEqual(r.standings[0].score, DBL_MAX)
        self.assertEqual(r.standings[0].rank, 1)

    def test_goalposts(self):
        c = criterion("v", "indicator", cpb.NORMALIZATION_GOALPOSTS,
                      indicator="v")
        c.goalpost_lower = -DBL_MAX
        c.goalpost_upper = DBL_MAX
        st = by_id(evaluate(one_round("gp", c), ["x-lo", "x-mid", "x-hi"]))
        # 100 (x + DBL_MAX) / (2 DBL_MAX)
        self.assertAlmostEqual(st["x-mid"].score, 50.0, places=12)
        self.assertAlmostEqual(st["x-hi"].score,
                               50 + 50 * (1e308 / DBL_MAX), places=9)
        self.assertAlmostEqual(st["x-lo"].score,
                               50 - 50 * (1e308 / DBL_MAX), places=9)


class UnknownNames(unittest.TestCase):
    """A name given in a criterion that no cluster of the cohort has."""

    def refused(self, comp, details, ids=NAMES):
        e = error_of(evaluate, comp, ids)
        self.assertEqual(e.code(), grpc.StatusCode.FAILED_PRECONDITION,
                         e.details())
        self.assertEqual(e.details(), details)

    def test_indicator_typo(self):
        self.refused(
            one_round("t", criterion("pat", "indicator", indicator="patentz")),
            'rounds[0].criteria[0] "pat" (plugin "indicator"): param '
            '\'indicator\': no cluster of the cohort has an indicator '
            '"patentz"; did you mean "patents"?')

    def test_no_close_name(self):
        self.refused(
            one_round("t", criterion("pat", "indicator", indicator="zzz")),
            'rounds[0].criteria[0] "pat" (plugin "indicator"): param '
            '\'indicator\': no cluster of the cohort has an indicator '
            '"zzz"')

    def test_list_item(self):
        self.refused(
            one_round("t", criterion("t", "topsis",
                                     indicators="patents, gdpp")),
            'rounds[0].criteria[0] "t" (plugin "topsis"): param '
            '\'indicators\': no cluster of the cohort has an indicator '
            '"gdpp" (item 2 of "patents, gdpp"); did you mean "gdp"?')

    def test_panel_criterion(self):
        self.refused(
            one_round("t", criterion(
                "q", "panel", criteria="governance, internationalisaton")),
            'rounds[0].criteria[0] "q" (plugin "panel"): param '
            '\'criteria\': no cluster of the cohort has an assessment '
            'criterion "internationalisaton" (item 2 of "governance, '
            'internationalisaton"); did you mean "internationalisation"?')

    def test_rubric_label(self):
        self.refused(
            one_round("t", criterion("m", "rubric", label="maturty",
                                     points="high:100,low:0")),
            'rounds[0].criteria[0] "m" (plugin "rubric"): param '
            '\'label\': no cluster of the cohort has a label "maturty"; '
            'did you mean "maturity"?')

    def test_later_round_and_second_criterion(self):
        comp = one_round("t", criterion("p", "indicator", indicator="patents"))
        r2 = comp.rounds.add(name="final")
        r2.criteria.append(criterion("p", "indicator", indicator="patents"))
        # "gpd" is one edit from "gdp" only as a swap of two letters (two
        # substitutions would be beyond the one edit a 3-letter name gets).
        r2.criteria.append(criterion("o", "st_output", indicator_a="patents",
                                     indicator_b="gpd"))
        self.refused(
            comp,
            'rounds[1].criteria[1] "o" (plugin "st_output"): param '
            '\'indicator_b\': no cluster of the cohort has an indicator '
            '"gpd"; did you mean "gdp"?')

    def test_cohort_is_the_subset(self):
        comp = one_round("t", criterion("r", "indicator", indicator="rare"))
        self.refused(comp, 'rounds[0].criteria[0] "r" (plugin "indicator"): '
                     'param \'indicator\': no cluster of the cohort has an '
                     'indicator "rare"')
        r = evaluate(comp, NAMES + ["n-c"])
        self.assertEqual(by_id(r)["n-c"].rank, 1)

    def test_known_names_run(self):
        r = evaluate(one_round(
            "ok",
            criterion("q", "panel", criteria="governance, internationalisation"),
            criterion("m", "rubric", label="maturity", points="high:100,low:0"),
            criterion("t", "topsis", indicators="patents,gdp")), NAMES)
        self.assertEqual(sorted(s.rank for s in r.standings), [1, 2])

    def test_run_competition(self):
        # Stored definitions are checked against the data when they run.
        comp = one_round("typo-run", criterion("pat", "indicator",
                                               indicator="patentz"))
        comp.rounds[0].eligibility.add(field=cpb.FILTER_FIELD_LABEL,
                                       key="maturity", any_of=["high"])
        unary("CreateCompetition", cpb.CreateCompetitionRequest,
              cpb.Competition)(cpb.CreateCompetitionRequest(competition=comp),
                               timeout=30)
        call = SERVER.server_stream(COMP + "RunCompetition",
                                    cpb.RunCompetitionRequest, cpb.RunEvent)
        e = error_of(lambda: list(call(cpb.RunCompetitionRequest(
            competition_id="typo-run"), timeout=60)))
        self.assertEqual(e.code(), grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn('indicator "patentz"; did you mean "patents"?',
                      e.details())


def finals_def(cid):
    """prelim: score, top 2 -> w-a, w-b; final: the indicator "final",
    which only w-c (eliminated) has, so both finalists are excluded."""
    comp = cpb.Competition(id=cid, title="t")
    r1 = comp.rounds.add(name="prelim")
    r1.criteria.append(criterion("s", "indicator", indicator="score"))
    r1.selection.top_n = 2
    r2 = comp.rounds.add(name="final")
    r2.criteria.append(criterion("fin", "indicator", indicator="final"))
    return comp


class EmptyFinal(unittest.TestCase):
    WARNING = ('round "final" selected no cluster: all 2 candidates were '
               'excluded (2 of them for no score for criterion "fin")')

    def test_standings_and_warning(self):
        r = evaluate(finals_def("empty-final"), ["w-a", "w-b", "w-c"])
        st = by_id(r)
        # w-c stopped in the preliminary below both finalists: rank 3,
        # not 1, though the final ranked nobody.
        self.assertEqual(st["w-c"].rank, 3)
        self.assertEqual(st["w-c"].round, "prelim")
        self.assertEqual((st["w-a"].rank, st["w-b"].rank), (0, 0))
        self.assertEqual(st["w-a"].excluded_reason,
                         'criterion "fin" (plugin "indicator"): no score: '
                         "no 'final' in any year")
        self.assertEqual(r.summary.selected, 0)
        self.assertEqual(list(r.warnings), [self.WARNING])

    def test_clusterctl_prints_warnings(self):
        comp = finals_def("empty-final-ctl")
        comp.rounds[0].eligibility.add(field=cpb.FILTER_FIELD_INDICATOR,
                                       key="score", op=cpb.COMPARISON_PRESENT)
        unary("CreateCompetition", cpb.CreateCompetitionRequest,
              cpb.Competition)(cpb.CreateCompetitionRequest(competition=comp),
                               timeout=30)
        out = subprocess.run([CLUSTERCTL, "--server", SERVER.address,
                              "competition", "run", "empty-final-ctl"],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("warning: " + self.WARNING + "\n", out.stdout)
        csv = subprocess.run([CLUSTERCTL, "--server", SERVER.address,
                              "competition", "run", "--csv",
                              "empty-final-ctl"],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(csv.returncode, 0, csv.stderr)
        self.assertNotIn("warning", csv.stdout)
        self.assertIn("clusterctl: warning: " + self.WARNING + "\n",
                      csv.stderr)


if __name__ == "__main__":
    unittest.main()
