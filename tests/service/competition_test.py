"""CompetitionService against the real clusterd with the built-in plugins
(and the fx_good test plugin) in its plugin directory: the GII 2023 sample
reproduces the published ranks; a hand-computed two-round competition;
RunCompetition streams progress then one stored Run; rank change against a
baseline; sensitivity reproducible for a seed; bad definitions, unknown and
deleted competitions, failing plugins; byte-identical standings for two runs
on one data version; objective weights (topsis weights=entropy) recorded in
the run and shown by clusterctl run get, next to a plugin built for SDK
2.0; the same for mcda and promethee; the indicator plugin's COINr
fallback (log-transform) in the run's notes and the clusters' notes."""

import csv
import math
import os
import re
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
FIXTURES = os.environ["CLUSTERD_PLUGIN_FIXTURES"]
GII_CSV = os.environ["CLUSTERD_GII_CSV"]
CTL = os.environ["CLUSTERCTL_BIN"]
BUILTINS = ["indicator", "st_output", "growth", "specialization", "topsis",
            "panel", "rubric", "mcda", "promethee"]

pb = cpb = plb = None
SERVER = None
TMP = None


def setUpModule():
    global pb, cpb, plb, SERVER, TMP
    pb, _, cpb, plb = stubs()
    TMP = tempfile.mkdtemp(prefix="clusterd-comp-")
    pdir = os.path.join(TMP, "plugins")
    os.mkdir(pdir, 0o700)
    for name in BUILTINS:
        shutil.copyfile(os.path.join(BUILD_DIR, name + ".so"),
                        os.path.join(pdir, name + ".so"))
    for fx in ["fx_good", "fx_abi20"]:
        shutil.copyfile(os.path.join(FIXTURES, fx + ".so"),
                        os.path.join(pdir, fx + ".so"))
    for f in os.listdir(pdir):
        os.chmod(os.path.join(pdir, f), 0o644)
    # An explicit ceiling for Competition.plugin_timeout (Errors).
    SERVER = Server("--plugin-dir", pdir, "--threads", "2",
                    "--plugin-timeout-max", "5m")


def tearDownModule():
    rc = SERVER.stop()
    log = SERVER.read_log()
    SERVER.cleanup()
    shutil.rmtree(TMP, ignore_errors=True)
    if rc != 0:
        raise AssertionError("clusterd exited with %d:\n%s" % (rc, log[-4000:]))


# --- helpers ----------------------------------------------------------------

def unary(name, req_cls, resp_cls):
    return SERVER.unary(COMP + name, req_cls, resp_cls)


def create_cluster(c):
    return SERVER.unary(REG + "CreateCluster", pb.CreateClusterRequest,
                        pb.Cluster)(pb.CreateClusterRequest(cluster=c),
                                    timeout=30)


def create_competition(comp, timeout=30):
    return unary("CreateCompetition", cpb.CreateCompetitionRequest,
                 cpb.Competition)(
        cpb.CreateCompetitionRequest(competition=comp), timeout=timeout)


def run_events(cid, sensitivity=None, timeout=120):
    req = cpb.RunCompetitionRequest(competition_id=cid)
    if sensitivity is not None:
        req.sensitivity.CopyFrom(sensitivity)
    call = SERVER.server_stream(COMP + "RunCompetition",
                                cpb.RunCompetitionRequest, cpb.RunEvent)
    return list(call(req, timeout=timeout))


def run(cid, sensitivity=None):
    events = run_events(cid, sensitivity)
    runs = [e.run for e in events if e.WhichOneof("event") == "run"]
    if len(runs) != 1 or events[-1].WhichOneof("event") != "run":
        raise AssertionError("expected one Run as the last event")
    return runs[0]


def evaluate(comp, ids=(), sensitivity=None, timeout=120):
    req = cpb.EvaluateRequest(competition=comp, cluster_ids=list(ids))
    if sensitivity is not None:
        req.sensitivity.CopyFrom(sensitivity)
    return unary("Evaluate", cpb.EvaluateRequest, cpb.Run)(req,
                                                           timeout=timeout)


def error_of(fn, *args, **kw):
    kw.setdefault("timeout", 60)
    try:
        fn(*args, **kw)
    except grpc.RpcError as e:
        return e
    raise AssertionError("call succeeded where it should have failed")


def criterion(cid, plugin, weight=1.0, norm=None, **params):
    c = cpb.Criterion(id=cid, plugin=plugin, weight=weight,
                      normalization=norm or cpb.NORMALIZATION_NONE)
    for k, v in params.items():
        c.params[k] = str(v)
    return c


def slug(s):
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


def standings_by_id(r):
    return {s.cluster_id: s for s in r.standings}


def check_serving(test):
    r = unary("ListCompetitions", cpb.ListCompetitionsRequest,
              cpb.ListCompetitionsResponse)(
        cpb.ListCompetitionsRequest(), timeout=30)
    test.assertIsNotNone(r)


# --- GII 2023 ---------------------------------------------------------------

def gii_rows():
    with open(GII_CSV, newline="", encoding="utf-8") as f:
        lines = [l for l in f if not l.startswith("#")]
    return list(csv.DictReader(lines))


class Gii2023(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rows = gii_rows()
        for row in cls.rows:
            c = pb.Cluster(id="gii-" + slug(row["cluster"]),
                           name=row["cluster"], economy=row["economy"])
            c.indicators.add(name="pct_applications", year=2022,
                             value=float(row["pct_applications"]))
            c.indicators.add(name="scientific_publications", year=2022,
                             value=float(row["scientific_publications"]))
            c.labels["source"] = "gii2023"
            create_cluster(c)
        comp = cpb.Competition(id="gii-2023", title="GII 2023 S&T clusters")
        r = comp.rounds.add(name="ranking")
        r.eligibility.add(field=cpb.FILTER_FIELD_LABEL, key="source", any_of=["gii2023"])
        r.criteria.append(criterion("st", "st_output", 1.0,
                                    total_a=1262000, total_b=7500000))
        create_competition(comp)
        cls.result = run("gii-2023")

    def test_published_ranks(self):
        got = standings_by_id(self.result)
        self.assertEqual(len(self.rows), 17)
        for row in self.rows:
            s = got["gii-" + slug(row["cluster"])]
            self.assertEqual(s.rank, int(row["rank"]), row["cluster"])
            # The published total is the sum of two shares, each rounded
            # to one decimal.
            self.assertAlmostEqual(s.score, float(row["total_share"]),
                                   delta=0.15)
        self.assertEqual(self.result.summary.selected, 17)
        self.assertEqual([p.name for p in self.result.plugins], ["st_output"])
        self.assertTrue(self.result.plugins[0].version)
        self.assertEqual(self.result.plugins[0].kind, plb.PLUGIN_KIND_QUANTITATIVE)


    def test_reproducible(self):
        # Two runs on the same data version (storing a run does not change
        # the cluster data): same standings and summary, byte for byte.
        again = run("gii-2023")
        self.assertNotEqual(again.id, self.result.id)
        self.assertEqual(again.data_version, self.result.data_version)
        self.assertGreater(again.data_version, 0)
        self.assertEqual([s.SerializeToString() for s in again.standings],
                         [s.SerializeToString() for s in self.result.standings])
        self.assertEqual(again.summary.SerializeToString(),
                         self.result.summary.SerializeToString())
        self.assertEqual(again.plugins, self.result.plugins)
        # Two evaluations on one data version: the whole Run is identical
        # but for its create_time.
        comp = unary("GetCompetition", cpb.GetCompetitionRequest,
                     cpb.Competition)(cpb.GetCompetitionRequest(id="gii-2023"),
                                      timeout=30)
        e1, e2 = evaluate(comp), evaluate(comp)
        self.assertEqual(e1.data_version, e2.data_version)
        e1.ClearField("create_time")
        e2.ClearField("create_time")
        self.assertEqual(e1.SerializeToString(), e2.SerializeToString())
        self.assertEqual([s.SerializeToString() for s in e1.standings],
                         [s.SerializeToString() for s in self.result.standings])


# --- a two-round national-style competition, computed by hand ---------------

NATIONAL = [
    # id, region, industry, cities, revenue, (judge scores)
    ("n-a", "R1", "ind-x", ["Nanjing"], 100, (6, 8)),
    ("n-b", "R1", "ind-x", ["Suzhou"], 90, (9, 9)),
    ("n-c", "R1", "ind-y", ["Wuxi"], 80, (5, 5)),
    ("n-d", "R2", "ind-y", ["Wuxi"], 70, (6, 6)),
    ("n-e", "R2", "ind-z", ["Wuxi", "Changzhou"], 60, (8, 8)),
    ("n-f", "R3", "ind-z", ["Hefei"], 50, ()),
]


def national_def(cid):
    comp = cpb.Competition(id=cid, title="National clusters",
                           summary_group_min=2)
    r1 = comp.rounds.add(name="prelim")
    r1.eligibility.add(field=cpb.FILTER_FIELD_LABEL, key="track", any_of=["national"])
    r1.criteria.append(criterion("rev", "indicator", 1.0,
                                 indicator="revenue"))
    r1.selection.top_n = 4
    r1.selection.max_per_region = 2
    r2 = comp.rounds.add(name="final")
    r2.criteria.append(criterion("quality", "panel", 1.0,
                                 criteria="quality"))
    r2.selection.top_n = 3
    r2.selection.industry_leaders = True
    return comp


class National(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for cid, region, ind, cities, rev, scores in NATIONAL:
            c = pb.Cluster(id=cid, name="Cluster " + cid, economy="CN",
                           region=region, industry=ind, cities=cities)
            c.indicators.add(name="revenue", year=2021, value=rev)
            for j, sc in enumerate(scores):
                c.assessments.add(judge="j%d" % (j + 1), criterion="quality",
                                  score=sc, round="final")
            c.labels["track"] = "national"
            create_cluster(c)
        create_competition(national_def("national-2021"))
        events = run_events("national-2021")
        cls.events = events
        cls.result = events[-1].run

    def test_stream_shape(self):
        kinds = [e.WhichOneof("event") for e in self.events]
        self.assertGreaterEqual(kinds.count("progress"), 1)
        self.assertEqual(kinds.count("run"), 1)
        self.assertEqual(kinds[-1], "run")
        for e in self.events[:-1]:
            self.assertTrue(e.progress.stage)
            self.assertGreaterEqual(e.progress.done, 0)

    def test_rounds_and_selection(self):
        st = standings_by_id(self.result)
        # Round 1: revenue order a b c d e f; quota 2 per region keeps c
        # out (R1 full), top 4 = a b d e.
        self.assertEqual(st["n-c"].round, "prelim")
        self.assertEqual(st["n-f"].round, "prelim")
        for cid in ["n-a", "n-b", "n-d", "n-e"]:
            self.assertEqual(st[cid].round, "final", cid)
        # Final: panel means b 9, e 8, a 7, d 6; industry leaders first:
        # b (ind-x), e (ind-z), d (ind-y) -> a is not selected.
        self.assertEqual([(st[c].rank, st[c].score) for c in
                          ["n-b", "n-e", "n-a", "n-d"]],
                         [(1, 9.0), (2, 8.0), (3, 7.0), (4, 6.0)])
        sel = sorted(s.cluster_id for s in self.result.standings
                     if s.selected)
        self.assertEqual(sel, ["n-b", "n-d", "n-e"])
        # Those that stopped in round 1 stand below every finalist.
        self.assertGreater(st["n-c"].rank, 4)
        self.assertGreater(st["n-f"].rank, st["n-c"].rank)
        q = st["n-b"].rounds[-1].scores[0]
        self.assertEqual((q.criterion, q.raw, q.normalized, q.weighted),
                         ("quality", 9.0, 9.0, 9.0))
        # Clusters of other tests are excluded by the label filter.
        others = [s for s in self.result.standings
                  if not s.cluster_id.startswith("n-")]
        for s in others:
            self.assertEqual(s.rank, 0)
            self.assertIn("eligibility[0]", s.excluded_reason)

    def test_summary(self):
        sm = self.result.summary
        self.assertEqual(sm.selected, 3)
        pairs = lambda gs: [(g.key, g.count) for g in gs]  # noqa: E731
        self.assertEqual(pairs(sm.by_economy), [("CN", 3)])
        self.assertEqual(pairs(sm.by_region), [("R2", 2), ("R1", 1)])
        self.assertEqual(pairs(sm.by_city),
                         [("Wuxi", 2), ("Changzhou", 1), ("Suzhou", 1)])
        self.assertEqual(pairs(sm.by_industry),
                         [("ind-x", 1), ("ind-y", 1), ("ind-z", 1)])
        self.assertEqual((sm.distinct_regions, sm.distinct_cities,
                          sm.distinct_industries), (2, 3, 3))
        self.assertEqual(sm.group_min, 2)
        self.assertEqual(pairs(sm.regions_at_least), [("R2", 2)])
        self.assertEqual(pairs(sm.cities_at_least), [("Wuxi", 2)])

    def test_stored_run(self):
        got = unary("GetRun", cpb.GetRunRequest, cpb.Run)(
            cpb.GetRunRequest(id=self.result.id), timeout=30)
        self.assertEqual(got.SerializeToString(),
                         self.result.SerializeToString())
        lst = unary("ListRuns", cpb.ListRunsRequest, cpb.ListRunsResponse)
        basic = lst(cpb.ListRunsRequest(competition_id="national-2021"),
                    timeout=30)
        self.assertEqual([r.id for r in basic.runs], [self.result.id])
        self.assertEqual(len(basic.runs[0].standings), 0)
        self.assertEqual(basic.runs[0].summary, self.result.summary)
        full = lst(cpb.ListRunsRequest(competition_id="national-2021",
                                       view=cpb.RUN_VIEW_FULL), timeout=30)
        self.assertEqual(full.runs[0].SerializeToString(),
                         self.result.SerializeToString())
        other = lst(cpb.ListRunsRequest(competition_id="no-such"), timeout=30)
        self.assertEqual(len(other.runs), 0)
        e = error_of(unary("GetRun", cpb.GetRunRequest, cpb.Run),
                     cpb.GetRunRequest(id="no-such-run"))
        self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND)

    def test_evaluate_subset_not_stored(self):
        comp = national_def("national-adhoc")
        r = evaluate(comp, ["n-a", "n-c", "n-e"])
        self.assertEqual(sorted(s.cluster_id for s in r.standings),
                         ["n-a", "n-c", "n-e"])
        self.assertEqual(r.id, "")
        self.assertEqual(r.candidates, 3)
        e = error_of(unary("GetCompetition", cpb.GetCompetitionRequest,
                           cpb.Competition),
                     cpb.GetCompetitionRequest(id="national-adhoc"))
        self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND)
        e = error_of(evaluate, comp, ["n-a", "nope"])
        self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND)
        self.assertIn("cluster_ids[1]", e.details())

    def test_sensitivity_deterministic(self):
        comp = cpb.Competition(id="sens", title="Sensitivity")
        r = comp.rounds.add(name="only")
        r.criteria.append(criterion("rev", "indicator", 1.0, cpb.NORMALIZATION_MIN_MAX,
                                    indicator="revenue"))
        r.criteria.append(criterion("quality", "panel", 1.0, cpb.NORMALIZATION_MIN_MAX,
                                    criteria="quality"))
        r.selection.top_n = 2
        ids = ["n-a", "n-b", "n-c", "n-d", "n-e"]
        opts = cpb.SensitivityOptions(samples=200, weight_jitter_pct=50,
                                      seed=42)
        a = evaluate(comp, ids, opts)
        b = evaluate(comp, ids, opts)
        self.assertEqual([s.sensitivity.SerializeToString()
                          for s in a.standings],
                         [s.sensitivity.SerializeToString()
                          for s in b.standings])
        self.assertEqual(a.sensitivity.seed, 42)
        for s in a.standings:
            x = s.sensitivity
            self.assertLessEqual(x.rank_p5, s.rank, s.cluster_id)
            self.assertLessEqual(s.rank, x.rank_p95, s.cluster_id)
            self.assertGreaterEqual(x.selected_share, 0.0)
        # The same options through RunCompetition reach the engine.
        create_competition(comp)
        ran = run("sens", opts)
        self.assertEqual([s.sensitivity.SerializeToString()
                          for s in ran.standings if s.cluster_id in ids],
                         [s.sensitivity.SerializeToString()
                          for s in a.standings])


# --- rank change against a baseline with a new entrant ---------------------

class RankChange(unittest.TestCase):
    def test_rank_change(self):
        for cid, rev in [("r-a", 100), ("r-b", 90), ("r-c", 80)]:
            c = pb.Cluster(id=cid, name=cid, economy="DE")
            c.indicators.add(name="revenue", year=2021, value=rev)
            c.labels["track"] = "rc"
            create_cluster(c)

        def definition(cid, baseline=""):
            comp = cpb.Competition(id=cid, title="Rank change",
                                   baseline_run_id=baseline)
            r = comp.rounds.add(name="only")
            r.eligibility.add(field=cpb.FILTER_FIELD_LABEL, key="track", any_of=["rc"])
            r.criteria.append(criterion("rev", "indicator", 1.0,
                                        indicator="revenue"))
            return comp

        create_competition(definition("rc-2020"))
        base = run("rc-2020")
        new = pb.Cluster(id="r-n", name="r-n", economy="DE")
        new.indicators.add(name="revenue", year=2021, value=95)
        new.labels["track"] = "rc"
        create_cluster(new)
        up = pb.Cluster(id="r-c", name="r-c", economy="DE")
        up.indicators.add(name="revenue", year=2021, value=120)
        up.labels["track"] = "rc"
        SERVER.unary(REG + "UpdateCluster", pb.UpdateClusterRequest,
                     pb.Cluster)(pb.UpdateClusterRequest(cluster=up),
                                 timeout=30)
        create_competition(definition("rc-2021", base.id))
        cur = run("rc-2021")
        st = standings_by_id(cur)
        self.assertEqual([st[c].rank for c in ["r-c", "r-a", "r-n", "r-b"]],
                         [1, 2, 3, 4])
        self.assertEqual(st["r-c"].rank_change.value, 2)
        self.assertEqual(st["r-a"].rank_change.value, -1)
        self.assertEqual(st["r-b"].rank_change.value, -2)
        self.assertFalse(st["r-n"].HasField("rank_change"))
        self.assertEqual(list(cur.new_entrants), ["r-n"])
        self.assertEqual(cur.baseline_run_id, base.id)


# --- objective weights, recorded in the run ---------------------------------

# patents 0, 0, 0, 4; jobs 1, 1, 1, 3; firms 5 everywhere; ow-5 lacks firms.
# Entropy (p = x / sum x): patents p = 0, 0, 0, 1 -> e = 0, 1 - e = 1;
# jobs p = 1/6, 1/6, 1/6, 1/2 -> e = (1/2) ln 12 / ln 4 = ln 12 / ln 16,
# 1 - e = ln(4/3) / ln 16 = .103759; firms no spread -> 0.
# w = (1, .103759, 0) / 1.103759 = (.905995, .094005, 0).
OBJW = [("ow-1", 0, 1, 5), ("ow-2", 0, 1, 5), ("ow-3", 0, 1, 5),
        ("ow-4", 4, 3, 5), ("ow-5", 100, 100, None)]
D = math.log(4 / 3) / math.log(16)
ENTROPY_W = (1 / (1 + D), D / (1 + D), 0.0)


def objw_def(cid):
    comp = one_round(cid)
    r = comp.rounds[0]
    r.eligibility.add(field=cpb.FILTER_FIELD_LABEL, key="track",
                      any_of=["ow"])
    ind = "patents,jobs,firms"
    r.criteria.append(criterion("obj", "topsis", indicators=ind,
                                weights="entropy"))
    r.criteria.append(criterion(
        "fixed", "topsis", indicators=ind,
        weights=",".join("%.17g" % w for w in ENTROPY_W)))
    # Built for SDK 2.0: no run notes, and it runs as before.
    r.criteria.append(criterion("old", "fx_abi20", indicator="jobs"))
    r.missing = cpb.MISSING_POLICY_SCORE_ZERO
    return comp


class ObjectiveWeights(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for cid, pat, jobs, firms in OBJW:
            c = pb.Cluster(id=cid, name="Cluster " + cid, economy="FR")
            c.indicators.add(name="patents", year=2022, value=pat)
            c.indicators.add(name="jobs", year=2022, value=jobs)
            if firms is not None:
                c.indicators.add(name="firms", year=2022, value=firms)
            c.labels["track"] = "ow"
            create_cluster(c)
        create_competition(objw_def("objw"))
        cls.result = run("objw")

    def notes(self, r):
        return {c.criterion: dict(c.plugin_notes)
                for c in r.rounds[0].criteria}

    def test_weights_recorded(self):
        self.assertEqual(self.notes(self.result), {
            "obj": {"weights": "entropy: patents 0.9060, jobs 0.0940, "
                               "firms 0.0000"},
            "fixed": {}, "old": {}})
        # The weights recorded are those used: the same raw scores as
        # topsis with those weights as numbers.
        st = standings_by_id(self.result)
        for cid, *_ in OBJW:
            sc = {s.criterion: s for s in st[cid].rounds[0].scores}
            if cid == "ow-5":   # no firms: no topsis score
                self.assertTrue(math.isnan(sc["obj"].raw))
                continue
            self.assertAlmostEqual(sc["obj"].raw, sc["fixed"].raw,
                                   places=12)
            self.assertEqual(sc["old"].raw, dict(
                (c, j) for c, _, j, _ in OBJW)[cid])
        self.assertEqual(st["ow-4"].rounds[0].scores[0].raw, 1.0)

    def test_stored_and_evaluate(self):
        got = unary("GetRun", cpb.GetRunRequest, cpb.Run)(
            cpb.GetRunRequest(id=self.result.id), timeout=30)
        self.assertEqual(self.notes(got), self.notes(self.result))
        basic = unary("GetRun", cpb.GetRunRequest, cpb.Run)(
            cpb.GetRunRequest(id=self.result.id, view=cpb.RUN_VIEW_BASIC),
            timeout=30)
        self.assertEqual(self.notes(basic), self.notes(self.result))
        # Evaluate over fewer clusters: the weights of those clusters.
        # ow-2, ow-4: patents 0, 4 -> e = 0; jobs 1, 3 -> p = 1/4, 3/4,
        # e = -(1/4 ln 1/4 + 3/4 ln 3/4) / ln 2 = .811278, 1 - e =
        # .188722; w = (1, .188722, 0) / 1.188722 = (.841240, .158760, 0).
        r = evaluate(objw_def("objw-adhoc"), ["ow-2", "ow-4"])
        self.assertEqual(self.notes(r)["obj"], {
            "weights": "entropy: patents 0.8412, jobs 0.1588, firms 0.0000"})

    def test_clusterctl_run_get(self):
        out = subprocess.run([CTL, "--server", SERVER.address, "run", "get",
                              self.result.id], capture_output=True,
                             text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = out.stdout.splitlines()
        i = next(k for k, l in enumerate(lines)
                 if l.startswith("round only: "))
        self.assertEqual(lines[i + 1], "  obj (topsis) weights: entropy: "
                         "patents 0.9060, jobs 0.0940, firms 0.0000")
        self.assertFalse(lines[i + 2].startswith("  "), lines[i + 2])
        js = subprocess.run([CTL, "--server", SERVER.address, "run", "get",
                             self.result.id, "--json"], capture_output=True,
                            text=True, timeout=120)
        self.assertEqual(js.returncode, 0, js.stderr)
        self.assertIn('"pluginNotes"', js.stdout)
        self.assertIn('"weights": "entropy: patents 0.9060', js.stdout)

    def test_abi_minors_listed(self):
        lst = SERVER.unary("/clusters.v1.PluginService/ListPlugins",
                           plb.ListPluginsRequest, plb.ListPluginsResponse)(
            plb.ListPluginsRequest(), timeout=30)
        minor = {p.name: (p.abi_major, p.abi_minor) for p in lst.plugins}
        self.assertEqual(minor["fx_abi20"], (2, 0))
        self.assertEqual(minor["topsis"], (2, 1))

    def test_refusals(self):
        # A list param is only a list to the specs; the plugin's init
        # refuses the word, and the run fails as a definition that does
        # not fit the plugin.
        comp = objw_def("objw-typo")
        comp.rounds[0].criteria[0].params["weights"] = "entropi"
        create_competition(comp)
        e = error_of(run_events, "objw-typo")
        self.assertEqual(e.code(), grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("'entropi' is neither a number nor one of equal, "
                      "entropy, critic, stddev", e.details())
        # Entropy over a negative value: the run fails, naming it.
        c = pb.Cluster(id="ow-neg", name="ow-neg", economy="FR")
        for name, v in [("patents", -2), ("jobs", 1), ("firms", 1)]:
            c.indicators.add(name=name, year=2022, value=v)
        c.labels["track"] = "ow-neg"
        create_cluster(c)
        comp = objw_def("objw-neg")
        comp.rounds[0].eligibility[0].any_of[:] = ["ow", "ow-neg"]
        create_competition(comp)
        e = error_of(run_events, "objw-neg")
        self.assertEqual(e.code(), grpc.StatusCode.INTERNAL)
        self.assertIn("weights=entropy needs values >= 0: 'patents' is -2 "
                      "for cluster 'ow-neg'", e.details())
        check_serving(self)


# mcda and promethee take the same weights=entropy|critic|stddev|equal.
# a = 1, 2, 4, 7 (benefit), b = 3, 1, 1, 2 (cost); owm-5 lacks b (its a =
# 100 enters no weight). Entropy: p_a = (1, 2, 4, 7)/14, p_b = (3, 1, 1,
# 2)/7, 1 - e over ln 4: w = .6634, .3366. CRITIC on r_a = (a - 1)/6, r_b
# = (3 - b)/2: two criteria share 1 - rho, so w is in proportion to sd,
# sqrt(7/12) : sqrt(11/16) = .4795 : .5205.
OWM = [("owm-1", 1, 3), ("owm-2", 2, 1), ("owm-3", 4, 1), ("owm-4", 7, 2),
       ("owm-5", 100, None)]


def _entropy_w():
    d = []
    for col in ([1, 2, 4, 7], [3, 1, 1, 2]):
        t = sum(col)
        d.append(1 + sum(v / t * math.log(v / t) for v in col)
                 / math.log(4))
    return [x / sum(d) for x in d]


class ObjectiveWeightsMcdaPromethee(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for cid, a, b in OWM:
            c = pb.Cluster(id=cid, name="Cluster " + cid, economy="FR")
            c.indicators.add(name="owa", year=2022, value=a)
            if b is not None:
                c.indicators.add(name="owb", year=2022, value=b)
            c.labels["track"] = "owm"
            create_cluster(c)
        comp = one_round("owm")
        r = comp.rounds[0]
        r.eligibility.add(field=cpb.FILTER_FIELD_LABEL, key="track",
                          any_of=["owm"])
        ind = dict(indicators="owa,owb", directions="benefit,cost")
        fixed = ",".join("%.17g" % w for w in _entropy_w())
        r.criteria.append(criterion("edas_e", "mcda", method="edas",
                                    weights="entropy", **ind))
        r.criteria.append(criterion("edas_n", "mcda", method="edas",
                                    weights=fixed, **ind))
        r.criteria.append(criterion("vikor_c", "mcda", method="vikor",
                                    weights="critic", **ind))
        r.criteria.append(criterion("pm_e", "promethee", weights="entropy",
                                    preference="vshape,usual", p="4,-",
                                    **ind))
        r.criteria.append(criterion("pm_n", "promethee", weights=fixed,
                                    preference="vshape,usual", p="4,-",
                                    **ind))
        r.criteria.append(criterion("pm_c", "promethee", weights="critic",
                                    **ind))
        r.missing = cpb.MISSING_POLICY_SCORE_ZERO
        create_competition(comp)
        cls.result = run("owm")

    def test_weights_recorded(self):
        notes = {c.criterion: dict(c.plugin_notes)
                 for c in self.result.rounds[0].criteria}
        ent = {"weights": "entropy: owa 0.6634, owb 0.3366"}
        crit = {"weights": "critic: owa 0.4795, owb 0.5205"}
        self.assertEqual(notes, {"edas_e": ent, "edas_n": {},
                                 "vikor_c": crit, "pm_e": ent, "pm_n": {},
                                 "pm_c": crit})
        # The weights recorded are the weights used.
        st = standings_by_id(self.result)
        for cid, _, b in OWM:
            sc = {s.criterion: s.raw for s in st[cid].rounds[0].scores}
            if b is None:
                self.assertTrue(math.isnan(sc["edas_e"]))
                self.assertTrue(math.isnan(sc["pm_e"]))
                continue
            self.assertAlmostEqual(sc["edas_e"], sc["edas_n"], places=12)
            self.assertAlmostEqual(sc["pm_e"], sc["pm_n"], places=12)

    def test_refused(self):
        comp = one_round("owm-typo", criterion(
            "x", "promethee", indicators="owa,owb", weights="entropi"))
        create_competition(comp)
        e = error_of(run_events, "owm-typo")
        self.assertEqual(e.code(), grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("'entropi' is neither a number nor one of equal, "
                      "entropy, critic, stddev", e.details())
        comp = one_round("owm-typo2", criterion(
            "x", "mcda", method="wpm", indicators="owa,owb",
            weights="stdev"))
        create_competition(comp)
        e = error_of(run_events, "owm-typo2")
        self.assertEqual(e.code(), grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("'stdev' is neither a number nor one of equal, "
                      "entropy, critic, stddev", e.details())
        check_serving(self)


# indicator's COINr fallback: COINr's own case (tests/testthat/test-treat.R,
# "treat_num"): 1..20, 100, 200 with one value winsorised and the
# thresholds 2 and 3.5 still fails, so the original values are
# log-transformed, log(x - 1 + 1.99). ofb-23 has no value.
class OutlierFallback(unittest.TestCase):
    VALUES = list(range(1, 21)) + [100, 200]

    @classmethod
    def setUpClass(cls):
        for i, v in enumerate(cls.VALUES + [None]):
            c = pb.Cluster(id="ofb-%d" % (i + 1), name="ofb", economy="FR")
            if v is not None:
                c.indicators.add(name="ofb", year=2022, value=v)
            c.labels["track"] = "ofb"
            create_cluster(c)
        comp = one_round("ofb")
        r = comp.rounds[0]
        r.eligibility.add(field=cpb.FILTER_FIELD_LABEL, key="track",
                          any_of=["ofb"])
        common = dict(indicator="ofb", winsorise="true", skew_threshold=2,
                      max_winsorised=1)
        r.criteria.append(criterion("log", "indicator", fallback="log",
                                    **common))
        r.criteria.append(criterion("win", "indicator", **common))
        r.missing = cpb.MISSING_POLICY_SCORE_ZERO
        create_competition(comp)
        cls.result = run("ofb")

    def test_note_and_scores(self):
        notes = {c.criterion: dict(c.plugin_notes)
                 for c in self.result.rounds[0].criteria}
        self.assertEqual(notes["win"], {})
        self.assertEqual(notes["log"], {
            "outliers": "'ofb': winsorising 1 value left skew 2.817, "
                        "kurtosis 7.134 (thresholds 2, 3.5): the 22 values "
                        "log-transformed instead, log(x - 1 + 1.99) (COINr "
                        "log_CT); after: skew 0.9695, kurtosis 2.246"})
        st = standings_by_id(self.result)
        for i, v in enumerate(self.VALUES):
            sc = {s.criterion: s for s in st["ofb-%d" % (i + 1)]
                  .rounds[0].scores}
            self.assertAlmostEqual(sc["log"].raw, math.log(v + 0.99),
                                   places=12)
            self.assertEqual(sc["win"].raw, min(v, 100))
        sc = {s.criterion: s for s in st["ofb-22"].rounds[0].scores}
        self.assertIn("log-transformed to 5.30326", sc["log"].note)
        self.assertEqual(sc["win"].note,
                         "outlier: 'ofb' 200 winsorised to 100")
        sc = {s.criterion: s for s in st["ofb-23"].rounds[0].scores}
        self.assertTrue(math.isnan(sc["log"].raw))

    def test_refused(self):
        comp = one_round("ofb-bad", criterion(
            "x", "indicator", indicator="ofb", fallback="log"))
        create_competition(comp)
        e = error_of(run_events, "ofb-bad")
        self.assertEqual(e.code(), grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("param 'fallback' applies when winsorising",
                      e.details())


# --- errors -----------------------------------------------------------------

def one_round(cid, *crits):
    comp = cpb.Competition(id=cid, title="t")
    r = comp.rounds.add(name="only")
    for c in crits:
        r.criteria.append(c)
    return comp


class Errors(unittest.TestCase):
    def invalid(self, comp, field):
        e = error_of(create_competition, comp)
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT,
                         e.details())
        self.assertIn(field, e.details())
        return e

    def test_bad_definitions(self):
        e = self.invalid(one_round("bad-1", criterion("a", "nope")),
                         "rounds[0].criteria[0].plugin")
        self.assertIn("nope", e.details())
        e = self.invalid(one_round("bad-2", criterion("a", "indicator",
                                                       indicator="x"),
                                   criterion("b", "st_output",
                                             total_a="lots")),
                         "rounds[0].criteria[1].params")
        self.assertIn("total_a", e.details())
        self.invalid(one_round("bad-3", criterion("a", "indicator", -1,
                                                  indicator="x")),
                     "rounds[0].criteria[0].weight")
        self.invalid(one_round("bad-4", criterion("a", "indicator", 0,
                                                  indicator="x")),
                     "rounds[0].criteria")
        self.invalid(cpb.Competition(id="bad-5", title="t"), "rounds")
        comp = one_round("bad-6", criterion("a", "indicator",
                                            indicator="x"))
        comp.baseline_run_id = "no-such-run"
        self.invalid(comp, "baseline_run_id")
        e = error_of(evaluate, one_round("", criterion("a", "nope")))
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("competition.rounds[0].criteria[0].plugin", e.details())
        check_serving(self)

    def test_plugin_timeout(self):
        """Competition.plugin_timeout: a positive duration of at least 1 ms
        and at most the server's --plugin-timeout-max (5m here); stored and
        returned as given."""
        def comp(cid, seconds=None, nanos=None):
            c = one_round(cid, criterion("a", "indicator", indicator="x"))
            c.plugin_timeout.SetInParent()
            if seconds is not None:
                c.plugin_timeout.seconds = seconds
            if nanos is not None:
                c.plugin_timeout.nanos = nanos
            return c

        for cid, seconds, nanos in [("pt-above", 301, 0),
                                    ("pt-just-above", 300, 1000000),
                                    ("pt-a-year", 86400 * 400, 0)]:
            e = self.invalid(comp(cid, seconds, nanos), "plugin_timeout")
            if seconds <= 86400 * 365:
                self.assertIn("--plugin-timeout-max", e.details())
                self.assertIn("300000 ms", e.details())
        for cid, seconds, nanos in [("pt-zero", 0, 0),
                                    ("pt-negative", -1, 0),
                                    ("pt-negative-nanos", 0, -5000000),
                                    ("pt-below-1ms", 0, 999999),
                                    ("pt-bad-nanos", 1, 1000000000)]:
            e = self.invalid(comp(cid, seconds, nanos), "plugin_timeout")
            self.assertIn("positive", e.details())
        get = unary("GetCompetition", cpb.GetCompetitionRequest,
                    cpb.Competition)
        for cid in ("pt-above", "pt-zero", "pt-negative"):
            e = error_of(get, cpb.GetCompetitionRequest(id=cid))
            self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND)
        # Valid: stored and returned as given, at the ceiling too.
        for cid, seconds, nanos in [("pt-ok", 2, 500000000),
                                    ("pt-max", 300, 0),
                                    ("pt-1ms", 0, 1000000)]:
            create_competition(comp(cid, seconds, nanos))
            got = get(cpb.GetCompetitionRequest(id=cid), timeout=30)
            self.assertTrue(got.HasField("plugin_timeout"), cid)
            self.assertEqual(got.plugin_timeout.seconds, seconds, cid)
            self.assertEqual(got.plugin_timeout.nanos, nanos, cid)
        # Absent stays absent (the server's --plugin-timeout applies).
        c = one_round("pt-none", criterion("a", "indicator", indicator="x"))
        create_competition(c)
        got = get(cpb.GetCompetitionRequest(id="pt-none"), timeout=30)
        self.assertFalse(got.HasField("plugin_timeout"))
        # The same checks for an ad-hoc evaluation.
        e = error_of(evaluate, comp("", 301, 0))
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("plugin_timeout", e.details())
        check_serving(self)

    def test_exists_get_list_delete(self):
        comp = one_round("life", criterion("a", "indicator", indicator="x"))
        got = create_competition(comp)
        self.assertEqual(got.id, "life")
        self.assertTrue(got.etag)
        e = error_of(create_competition, comp)
        self.assertEqual(e.code(), grpc.StatusCode.ALREADY_EXISTS)
        get = unary("GetCompetition", cpb.GetCompetitionRequest,
                    cpb.Competition)
        self.assertEqual(get(cpb.GetCompetitionRequest(id="life"),
                             timeout=30).rounds, comp.rounds)
        lst = unary("ListCompetitions", cpb.ListCompetitionsRequest,
                    cpb.ListCompetitionsResponse)
        ids, token = [], ""
        while True:
            page = lst(cpb.ListCompetitionsRequest(page_size=1,
                                                   page_token=token),
                       timeout=30)
            self.assertLessEqual(len(page.competitions), 1)
            ids += [c.id for c in page.competitions]
            token = page.next_page_token
            if not token:
                break
        self.assertIn("life", ids)
        self.assertEqual(ids, sorted(ids))
        delete = unary("DeleteCompetition", cpb.DeleteCompetitionRequest,
                       cpb.DeleteCompetitionResponse)
        delete(cpb.DeleteCompetitionRequest(id="life"), timeout=30)
        for fn, req in [(get, cpb.GetCompetitionRequest(id="life")),
                        (delete, cpb.DeleteCompetitionRequest(id="life"))]:
            e = error_of(fn, req)
            self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND)
        e = error_of(run_events, "life")
        self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND)
        self.assertIn("life", e.details())
        e = error_of(run_events, "never-created")
        self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND)

    def test_bad_paging(self):
        lst = unary("ListCompetitions", cpb.ListCompetitionsRequest,
                    cpb.ListCompetitionsResponse)
        runs = unary("ListRuns", cpb.ListRunsRequest, cpb.ListRunsResponse)
        for fn, req in [(lst, cpb.ListCompetitionsRequest(page_size=-1)),
                        (runs, cpb.ListRunsRequest(page_size=-1))]:
            e = error_of(fn, req)
            self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)
            self.assertIn("page_size", e.details())
        for fn, req in [(lst, cpb.ListCompetitionsRequest(page_token="zz")),
                        (runs, cpb.ListRunsRequest(page_token="zz"))]:
            e = error_of(fn, req)
            self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)
            self.assertIn("page_token", e.details())
        e = error_of(runs, cpb.ListRunsRequest(competition_id="Not An Id"))
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("competition_id", e.details())
        check_serving(self)

    def test_plugin_failure_named(self):
        c = pb.Cluster(id="fx-1", name="fx-1", economy="FR")
        c.indicators.add(name="x", year=2020, value=3)
        c.labels["track"] = "fx"
        create_cluster(c)
        comp = one_round("fx-fail", criterion("a", "fx_good", mode="fail"))
        comp.rounds[0].eligibility.add(field=cpb.FILTER_FIELD_LABEL, key="track",
                                       any_of=["fx"])
        create_competition(comp)
        e = error_of(run_events, "fx-fail")
        self.assertEqual(e.code(), grpc.StatusCode.INTERNAL)
        self.assertIn("fx_good", e.details())
        self.assertIn("deliberate failure", e.details())
        check_serving(self)
        # An infinite score is no score, with the reason: the cluster is
        # excluded and the run says that nobody was selected.
        comp = one_round("fx-inf", criterion("a", "fx_good", mode="inf"))
        comp.rounds[0].eligibility.add(field=cpb.FILTER_FIELD_LABEL, key="track",
                                       any_of=["fx"])
        create_competition(comp)
        r = run("fx-inf")
        s = standings_by_id(r)["fx-1"]
        self.assertEqual(s.rank, 0)
        self.assertEqual(s.excluded_reason,
                         'criterion "a" (plugin "fx_good"): no score: '
                         '+Inf is not a finite number')
        self.assertEqual(len(r.warnings), 1)
        self.assertIn("selected no cluster", r.warnings[0])
        ok = one_round("fx-ok", criterion("a", "fx_good", factor=2))
        ok.rounds[0].eligibility.add(field=cpb.FILTER_FIELD_LABEL, key="track",
                                     any_of=["fx"])
        create_competition(ok)
        st = standings_by_id(run("fx-ok"))
        self.assertEqual(st["fx-1"].score, 6.0)


# --- mcda through a run -------------------------------------------------------

class Mcda(unittest.TestCase):
    """The mcda plugin in a run: VIKOR over tests/plugins/test_mcda.c's
    hand matrix (patents benefit, cost_index cost) gives 1 - Q = 0, 16/33,
    0, 1; the best carries the compromise note; the cluster without
    cost_index has no score and is excluded with the indicator named."""

    @classmethod
    def setUpClass(cls):
        for cid, x, y in (("m-a", 10, 5), ("m-b", 20, 10), ("m-c", 30, 20),
                          ("m-d", 25, 8), ("m-e", 40, None)):
            c = pb.Cluster(id=cid, name="Cluster " + cid, economy="CN")
            c.indicators.add(name="patents", year=2022, value=x)
            if y is not None:
                c.indicators.add(name="cost_index", year=2022, value=y)
            c.labels["track"] = "mcda"
            create_cluster(c)

    def test_vikor(self):
        comp = one_round("mcda-vikor", criterion(
            "v", "mcda", method="vikor", indicators="patents,cost_index",
            directions="benefit,cost"))
        comp.rounds[0].eligibility.add(field=cpb.FILTER_FIELD_LABEL,
                                       key="track", any_of=["mcda"])
        st = standings_by_id(evaluate(comp))
        raw = {cid: st[cid].rounds[0].scores[0].raw
               for cid in ("m-a", "m-b", "m-c", "m-d")}
        for cid, want in (("m-a", 0), ("m-b", 16 / 33), ("m-c", 0),
                          ("m-d", 1)):
            self.assertAlmostEqual(raw[cid], want, places=12)
        self.assertEqual(st["m-d"].rank, 1)
        self.assertEqual(st["m-b"].rank, 2)
        self.assertEqual(st["m-d"].rounds[0].scores[0].note,
                         "VIKOR compromise: acceptable advantage and "
                         "stability hold")
        self.assertEqual(st["m-b"].rounds[0].scores[0].note, "")
        self.assertEqual(st["m-e"].rank, 0)
        self.assertIn("no 'cost_index' in any year",
                      st["m-e"].excluded_reason)

    def test_refused(self):
        # The server checks params against the specs when a competition
        # is created; what only the plugin's init can check (a param of
        # another method) fails the evaluation.
        comp = one_round("mcda-bad", criterion(
            "v", "mcda", method="copras", indicators="patents", v="0.5"))
        e = error_of(evaluate, comp)
        self.assertEqual(e.code(), grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("param 'v' applies to method vikor only, not to "
                      "copras", e.details())


if __name__ == "__main__":
    unittest.main()
