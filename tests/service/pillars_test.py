"""A two-level pillar competition through the real clusterd, checked by
hand (docs/engine.md, "Pillars"): five clusters, indicators in two
sub-pillars (one arithmetic, one geometric) under one pillar, and a
top-level criterion beside it. Every pillar score, pillar rank and total
is computed below by hand; ExplainStanding's pillars and criteria too.
The definition is written as a JSON file and created by clusterctl, which
then shows the pillars (competition get, run get, run standings --round,
run explain). Refusals of bad trees name the field.

The tree (indicator plugin, NORMALIZATION_NONE everywhere):

    total (arithmetic) = .75 P + .25 i5          (weights 3 and 1)
    P   (arithmetic)   = 2/3 S1 + 1/3 S2         (weights 2 and 1)
    S1  (arithmetic)   = .5 i1 + .5 i2           (weights 1 and 1)
    S2  (geometric)    = i3^.25 * i4^.75         (weights 1 and 3)

Data and scores by hand:

    cluster  i1  i2  i3  i4  i5 |  S1  S2           P            total
    a        40  60  16  16  20 |  50  16      (100+16)/3=116/3  29+5     = 34
    b        90  70  81   1  10 |  80  3       (160+3)/3=163/3   40.75+2.5= 43.25
    c        20  30   1  16  90 |  25  16^.75=8 (50+8)/3=58/3    14.5+22.5= 37
    d        10  10  16  81  50 |  10  2*27=54 (20+54)/3=74/3    18.5+12.5= 31
    e        70  50   0 100  30 |  60  0 (i3=0) (120+0)/3=40     30+7.5   = 37.5

Ranks: total b 1, e 2, c 3, a 4, d 5 (top 2 selected: b, e).
S1: b 80, e 60, a 50, c 25, d 10 -> b1 e2 a3 c4 d5.
S2: d 54, a 16, c 8, b 3, e 0   -> d1 a2 c3 b4 e5.
P:  b 54.33, e 40, a 38.67, d 24.67, c 19.33 -> b1 e2 a3 d4 c5.
Effective shares: P .75, S1 .5, S2 .25; i1 .25, i2 .25, i3 .0625,
i4 .1875, i5 .25.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clusterd_harness import Server, stubs, REG, make_plugin_dir  # noqa: E402

COMP = "/clusters.v1.CompetitionService/"
CTL = os.environ["CLUSTERCTL_BIN"]
BUILD_DIR = os.environ["CLUSTERD_PLUGIN_BUILD_DIR"]
pb = cpb = None

DATA = {
    "a": (40, 60, 16, 16, 20),
    "b": (90, 70, 81, 1, 10),
    "c": (20, 30, 1, 16, 90),
    "d": (10, 10, 16, 81, 50),
    "e": (70, 50, 0, 100, 30),
}
TOTAL = {"a": 34.0, "b": 43.25, "c": 37.0, "d": 31.0, "e": 37.5}
RANK = {"b": 1, "e": 2, "c": 3, "a": 4, "d": 5}
PILLAR = {
    "S1": {"a": 50.0, "b": 80.0, "c": 25.0, "d": 10.0, "e": 60.0},
    "S2": {"a": 16.0, "b": 3.0, "c": 8.0, "d": 54.0, "e": 0.0},
    "P": {"a": 116 / 3, "b": 163 / 3, "c": 58 / 3, "d": 74 / 3, "e": 40.0},
}
PRANK = {
    "S1": {"b": 1, "e": 2, "a": 3, "c": 4, "d": 5},
    "S2": {"d": 1, "a": 2, "c": 3, "b": 4, "e": 5},
    "P": {"b": 1, "e": 2, "a": 3, "d": 4, "c": 5},
}
SHARE = {"P": 0.75, "S1": 0.5, "S2": 0.25}

DEFINITION = {
    "id": "pillars",
    "title": "two-level pillars, by hand",
    "rounds": [{
        "name": "index",
        "criteria": [
            {"id": "i%d" % k, "plugin": "indicator", "weight": w,
             "normalization": "NORMALIZATION_NONE",
             "params": {"indicator": "i%d" % k}, "pillar": p}
            for k, w, p in [(1, 1, "S1"), (2, 1, "S1"), (3, 1, "S2"),
                            (4, 3, "S2"), (5, 1, "")]
        ],
        "pillars": [
            {"id": "S1", "name": "Inputs", "weight": 2, "parent": "P"},
            {"id": "S2", "name": "Outputs", "weight": 1, "parent": "P",
             "aggregation": "AGGREGATION_WEIGHTED_GEOMETRIC"},
            {"id": "P", "name": "Innovation", "weight": 3,
             "aggregation": "AGGREGATION_WEIGHTED_ARITHMETIC"},
        ],
        "selection": {"topN": 2},
    }],
}


def setUpModule():
    global pb, cpb
    pb, _, cpb, _ = stubs()


class Pillars(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="clusterd-pillars-")
        plugins = make_plugin_dir(os.path.join(cls.tmp, "plugins"),
                                  [(BUILD_DIR, "indicator.so")])
        cls.srv = Server("--plugin-dir", plugins)
        create = cls.srv.unary(REG + "CreateCluster", pb.CreateClusterRequest,
                               pb.Cluster)
        for cid, vals in DATA.items():
            c = pb.Cluster(id=cid, name=cid.upper(), economy="FR")
            for k, v in enumerate(vals, 1):
                c.indicators.add(name="i%d" % k, year=2020, value=v)
            create(pb.CreateClusterRequest(cluster=c), timeout=30)
        path = os.path.join(cls.tmp, "pillars.json")
        with open(path, "w") as f:
            json.dump(DEFINITION, f)
        p = cls.ctl("competition", "create", path)
        assert p.returncode == 0, p.stderr
        p = cls.ctl("competition", "run", "pillars", "--json")
        assert p.returncode == 0, p.stderr
        cls.run_id = json.loads(p.stdout)["id"]

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def ctl(cls, *args):
        return subprocess.run([CTL, "--server", cls.srv.address] +
                              list(args), capture_output=True, text=True,
                              timeout=120)

    def u(self, name, req, resp):
        return self.srv.unary(COMP + name, req, resp)

    def standings(self):
        r = self.u("ListStandings", cpb.ListStandingsRequest,
                   cpb.ListStandingsResponse)(
            cpb.ListStandingsRequest(run_id=self.run_id), timeout=30)
        return {s.cluster_id: s for s in r.standings}

    def explain(self, cid):
        return self.u("ExplainStanding", cpb.ExplainStandingRequest,
                      cpb.Explanation)(cpb.ExplainStandingRequest(
                          run_id=self.run_id, cluster_id=cid), timeout=30)

    def test_totals_pillar_scores_and_ranks(self):
        st = self.standings()
        self.assertEqual(set(st), set(DATA))
        for cid, s in st.items():
            with self.subTest(cluster=cid):
                self.assertAlmostEqual(s.score, TOTAL[cid], places=9)
                self.assertEqual(s.rank, RANK[cid])
                self.assertEqual(s.selected, cid in ("b", "e"))
                rs = s.rounds[0]
                self.assertEqual([p.pillar for p in rs.pillars],
                                 ["S1", "S2", "P"])
                for p in rs.pillars:
                    self.assertAlmostEqual(p.score, PILLAR[p.pillar][cid],
                                           places=9)
                    self.assertEqual(p.rank, PRANK[p.pillar][cid])
                # A criterion's weighted score is its part of its own
                # pillar: .5 i1 in S1; i3^.25 in the geometric S2.
                sc = {c.criterion: c for c in rs.scores}
                self.assertAlmostEqual(sc["i1"].weighted,
                                       0.5 * DATA[cid][0])
                self.assertAlmostEqual(sc["i3"].weighted,
                                       DATA[cid][2] ** 0.25)
                self.assertAlmostEqual(sc["i5"].weighted,
                                       0.25 * DATA[cid][4])

    def test_round_stats(self):
        run = self.u("GetRun", cpb.GetRunRequest, cpb.Run)(
            cpb.GetRunRequest(id=self.run_id), timeout=30)
        rs = run.rounds[0]
        ps = {p.pillar: p for p in rs.pillars}
        self.assertEqual(list(ps), ["S1", "S2", "P"])
        for pid, share in SHARE.items():
            self.assertAlmostEqual(ps[pid].weight_share, share)
            self.assertEqual(ps[pid].scored, 5)
            vals = list(PILLAR[pid].values())
            self.assertAlmostEqual(ps[pid].min, min(vals))
            self.assertAlmostEqual(ps[pid].max, max(vals))
            self.assertAlmostEqual(ps[pid].mean, sum(vals) / 5)
        self.assertEqual(ps["S1"].parent, "P")
        self.assertEqual(ps["P"].name, "Innovation")
        self.assertEqual(ps["S2"].aggregation,
                         cpb.AGGREGATION_WEIGHTED_GEOMETRIC)
        cs = {c.criterion: c for c in rs.criteria}
        for cid, share in [("i1", .25), ("i2", .25), ("i3", .0625),
                           ("i4", .1875), ("i5", .25)]:
            self.assertAlmostEqual(cs[cid].weight_share, share)
        self.assertEqual(cs["i3"].pillar, "S2")
        self.assertEqual(cs["i5"].pillar, "")

    def test_coherence_over_the_tree(self):
        """Each criterion against its pillar, each pillar against its
        parent (P, or the total), Cronbach's alpha per group, computed
        here from the table above with the textbook formulas."""
        run = self.u("GetRun", cpb.GetRunRequest, cpb.Run)(
            cpb.GetRunRequest(id=self.run_id), timeout=30)
        co = run.rounds[0].coherence
        ids = sorted(DATA)
        col = {"i%d" % (k + 1): [float(DATA[c][k]) for c in ids]
               for k in range(5)}
        for pid in PILLAR:
            col[pid] = [PILLAR[pid][c] for c in ids]
        total = [TOTAL[c] for c in ids]

        def pearson(x, y):
            mx, my = sum(x) / len(x), sum(y) / len(y)
            sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
            sxx = sum((a - mx) ** 2 for a in x)
            syy = sum((b - my) ** 2 for b in y)
            return sxy / (sxx * syy) ** 0.5

        def alpha(items):
            var = lambda v: sum((a - sum(v) / len(v)) ** 2 for a in v)
            sums = [sum(col[i][r] for i in items) for r in range(5)]
            k = len(items)
            return k / (k - 1) * (1 - sum(var(col[i]) for i in items) /
                                  var(sums))

        group = {"i1": "S1", "i2": "S1", "i3": "S2", "i4": "S2", "i5": "",
                 "S1": "P", "S2": "P", "P": ""}
        items = {it.id: it for it in co.items}
        self.assertEqual(set(items), set(group))
        self.assertEqual(co.observations, 5)
        for iid, g in group.items():
            with self.subTest(item=iid):
                it = items[iid]
                self.assertEqual(it.group, g)
                self.assertEqual(it.kind,
                                 cpb.COHERENCE_ITEM_KIND_PILLAR
                                 if iid in PILLAR else
                                 cpb.COHERENCE_ITEM_KIND_CRITERION)
                self.assertAlmostEqual(it.pearson_total,
                                       pearson(col[iid], total), places=9)
                self.assertAlmostEqual(
                    it.pearson_group,
                    pearson(col[iid], col[g] if g else total), places=9)
        groups = {g.group: g for g in co.groups}
        for g, members in [("", ["i5", "P"]), ("S1", ["i1", "i2"]),
                           ("S2", ["i3", "i4"]), ("P", ["S1", "S2"])]:
            with self.subTest(group=g):
                self.assertEqual(groups[g].items, 2)
                self.assertAlmostEqual(groups[g].cronbach_alpha,
                                       alpha(members), places=9)

    def test_explain_pillars(self):
        # c: rank 3, 37; the last selected is e at 37.5: gap .5.
        x = self.explain("c")
        self.assertEqual(x.target_cluster_id, "e")
        self.assertAlmostEqual(x.gap, 0.5)
        px = {p.pillar: p for p in x.pillars}
        self.assertEqual(list(px), ["S1", "S2", "P"])
        self.assertAlmostEqual(px["P"].score, 58 / 3)
        self.assertEqual(px["P"].rank, 5)
        self.assertAlmostEqual(px["P"].weight_share, 0.75)
        # P: .75 * 58/3 = 14.5; S1: .5 * 25 = 12.5; S2 geometric: none.
        self.assertAlmostEqual(px["P"].contribution.value, 14.5)
        self.assertAlmostEqual(px["S1"].contribution.value, 12.5)
        self.assertFalse(px["S2"].HasField("contribution"))
        self.assertIn('"S2"', px["S2"].note)
        cr = {c.criterion: c for c in x.criteria}
        # i1 (effective .25): 20 + .5 / .25 = 22; share .25 * 20 / 37.
        self.assertAlmostEqual(cr["i1"].raw_to_close_gap.value, 22.0)
        self.assertAlmostEqual(cr["i1"].share, 5 / 37)
        # i5 at the top (.25): 90 + .5 / .25 = 92.
        self.assertAlmostEqual(cr["i5"].raw_to_close_gap.value, 92.0)
        # i3 sits in the geometric S2: no single value is solved for.
        self.assertFalse(cr["i3"].HasField("raw_to_close_gap"))
        self.assertIn('in pillar "S2"', cr["i3"].note)
        self.assertIn("pillar P", x.text)

    def test_clusterctl_shows_pillars(self):
        p = self.ctl("competition", "get", "pillars")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("PILLAR", p.stdout)
        self.assertIn("Innovation", p.stdout)
        self.assertIn("AGGREGATION_WEIGHTED_GEOMETRIC", p.stdout)
        p = self.ctl("run", "get", self.run_id)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('pillar P "Innovation": weight 3 (75% of the total)',
                      p.stdout)
        self.assertIn('    pillar S2 "Outputs": weight 1 (25% of the '
                      'total), WEIGHTED_GEOMETRIC; 5 scored, 0..54',
                      p.stdout)
        self.assertIn("[P]", p.stdout)
        p = self.ctl("run", "standings", self.run_id, "--round", "index",
                     "--csv")
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = p.stdout.splitlines()
        hdr = rows[0].split(",")
        self.assertIn("[S2]", hdr)
        self.assertIn("[S2] RANK", hdr)
        first = dict(zip(hdr, rows[1].split(",")))
        self.assertEqual(first["CLUSTER"], "b")
        self.assertAlmostEqual(float(first["[P]"]), 163 / 3)
        self.assertEqual(first["[S2] RANK"], "4")
        p = self.ctl("run", "explain", self.run_id, "c")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("CONTRIBUTION", p.stdout)
        self.assertRegex(p.stdout, r"\nP +- +0\.75 +19\.33 +5 +14\.5")

    def test_refusals_name_the_field(self):
        cc = self.u("CreateCompetition", cpb.CreateCompetitionRequest,
                    cpb.Competition)

        def bad(mutate):
            comp = cpb.Competition()
            comp.ParseFromString(self.definition().SerializeToString())
            mutate(comp.rounds[0])
            with self.assertRaises(grpc.RpcError) as cm:
                cc(cpb.CreateCompetitionRequest(competition=comp,
                                                validate_only=True),
                   timeout=30)
            self.assertEqual(cm.exception.code(),
                             grpc.StatusCode.INVALID_ARGUMENT)
            return cm.exception.details()

        def cycle(r):
            r.pillars[2].parent = "S1"
        self.assertIn("rounds[0].pillars[0].parent: \"S1\" is its own "
                      "ancestor", bad(cycle))

        def unknown(r):
            r.criteria[4].pillar = "S9"
        self.assertIn('rounds[0].criteria[4].pillar: unknown pillar "S9"',
                      bad(unknown))

        def clash(r):
            r.pillars[0].id = "i5"
        self.assertIn("rounds[0].pillars[0].id", bad(clash))

        def empty(r):
            r.criteria[2].pillar = "S1"
            r.criteria[3].pillar = "S1"
        self.assertIn('rounds[0].pillars[1]: no criterion or pillar belongs '
                      'to "S2"', bad(empty))
        def long_name(r):
            r.pillars[1].name = "n" * 5000
        self.assertIn("rounds[0].pillars[1].name: 5000 bytes",
                      bad(long_name))
        # The file as written is valid.
        cc(cpb.CreateCompetitionRequest(competition=self.definition(),
                                        validate_only=True), timeout=30)

    def definition(self):
        c = self.u("GetCompetition", cpb.GetCompetitionRequest,
                   cpb.Competition)(cpb.GetCompetitionRequest(
                       id="pillars"), timeout=30)
        c.id = "pillars-check"
        for f in ("create_time", "update_time", "etag"):
            c.ClearField(f)
        return c


if __name__ == "__main__":
    unittest.main()
