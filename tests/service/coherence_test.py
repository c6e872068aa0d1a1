"""The coherence of each round (RoundStats.coherence) through the real
clusterd: a competition is run and every correlation and Cronbach's alpha
of the Run is compared with values computed here, independently, with
pandas (DataFrame.corr(method="pearson"/"spearman"), alpha by its formula
k/(k-1) (1 - sum of the item variances / the variance of their sum)) from
the standings' normalised scores of the round's ranked clusters. The data
have ties (a RANK criterion and a stepped indicator), a cost criterion
(direction=lower), a criterion that works against the others, and a
cluster missing one indicator (excluded, so not counted). The final round
has 2 clusters: nothing is defined there, and the Run says why. clusterctl
run get prints the coherence."""

import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clusterd_harness import REG, Server, stubs  # noqa: E402

COMP = "/clusters.v1.CompetitionService/"
BUILD_DIR = os.environ["CLUSTERD_PLUGIN_BUILD_DIR"]
CLUSTERCTL = os.environ["CLUSTERCTL_BIN"]
N = 40
TOL = 1e-9

pb = cpb = None
SERVER = None
TMP = None
RUN = None


def indicators(i):
    """Deterministic values: a rises, b follows a loosely, c is a cost
    that falls as a rises, d is a stepped copy of a (ties), e works
    against the total; cluster 7 has no b."""
    v = {"a": float(i), "b": float((i * 7) % 13 + i * 0.5),
         "c": float(100 - i + (i % 5)), "d": float(i // 4),
         "e": float((i * 11) % 17)}
    if i == 7:
        del v["b"]
    return v


def setUpModule():
    global pb, cpb, SERVER, TMP, RUN
    pb, _, cpb, _ = stubs()
    TMP = tempfile.mkdtemp(prefix="clusterd-coherence-")
    pdir = os.path.join(TMP, "plugins")
    os.mkdir(pdir, 0o700)
    dst = os.path.join(pdir, "indicator.so")
    shutil.copyfile(os.path.join(BUILD_DIR, "indicator.so"), dst)
    os.chmod(dst, 0o644)
    SERVER = Server("--plugin-dir", pdir, "--threads", "2")
    create = SERVER.unary(REG + "CreateCluster", pb.CreateClusterRequest,
                          pb.Cluster)
    for i in range(N):
        c = pb.Cluster(id="k-%02d" % i, name="k%d" % i, economy="CN")
        for name, value in indicators(i).items():
            c.indicators.add(name=name, year=2020, value=value)
        create(pb.CreateClusterRequest(cluster=c), timeout=30)
    comp = cpb.Competition(id="coh", title="coherence")
    r1 = comp.rounds.add(name="prelim")
    for cid, norm, w, extra in [
            ("a", cpb.NORMALIZATION_MIN_MAX, 3, {}),
            ("b", cpb.NORMALIZATION_Z_SCORE, 2, {}),
            ("c", cpb.NORMALIZATION_MIN_MAX, 2, {"direction": "lower"}),
            ("d", cpb.NORMALIZATION_RANK, 1, {}),
            ("e", cpb.NORMALIZATION_NONE, 1, {})]:
        params = {"indicator": cid}
        params.update(extra)
        r1.criteria.add(id=cid, plugin="indicator", weight=w,
                        normalization=norm, params=params)
    r1.selection.top_n = 2
    r2 = comp.rounds.add(name="final")
    for cid in ("a", "e"):
        r2.criteria.add(id=cid, plugin="indicator", weight=1,
                        normalization=cpb.NORMALIZATION_MIN_MAX,
                        params={"indicator": cid})
    SERVER.unary(COMP + "CreateCompetition", cpb.CreateCompetitionRequest,
                 cpb.Competition)(cpb.CreateCompetitionRequest(
                     competition=comp), timeout=30)
    events = list(SERVER.server_stream(COMP + "RunCompetition",
                                       cpb.RunCompetitionRequest,
                                       cpb.RunEvent)(
        cpb.RunCompetitionRequest(competition_id="coh"), timeout=300))
    RUN = events[-1].run


def tearDownModule():
    rc = SERVER.stop()
    log = SERVER.read_log()
    SERVER.cleanup()
    shutil.rmtree(TMP, ignore_errors=True)
    if rc != 0:
        raise AssertionError("clusterd exited with %d:\n%s" % (rc, log[-4000:]))


def frame(round_index):
    """The round's ranked clusters' normalised scores and totals."""
    rows = {}
    for s in RUN.standings:
        rs = s.rounds[round_index]
        if rs.rank == 0:
            continue
        row = {c.criterion: c.normalized for c in rs.scores}
        row["TOTAL"] = rs.score
        rows[s.cluster_id] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def alpha(df):
    k = df.shape[1]
    return k / (k - 1) * (1 - df.var().sum() / df.sum(axis=1).var())


class Coherence(unittest.TestCase):
    def test_every_statistic_against_pandas(self):
        self.assertEqual(len(RUN.standings), N)
        co = RUN.rounds[0].coherence
        df = frame(0)
        crit = ["a", "b", "c", "d", "e"]
        # Cluster 7 lacks b: excluded, not among the observations.
        self.assertNotIn("k-07", df.index)
        self.assertEqual(co.observations, N - 1)
        self.assertEqual(len(df), N - 1)
        # The data do have ties where the test wants them.
        self.assertLess(df["d"].nunique(), len(df))
        pear = df.corr(method="pearson")
        spear = df.corr(method="spearman")
        self.assertEqual([(p.item_a, p.item_b) for p in co.pairs],
                         [(x, y) for i, x in enumerate(crit)
                          for y in crit[i + 1:]])
        for p in co.pairs:
            self.assertAlmostEqual(p.pearson, pear.loc[p.item_a, p.item_b],
                                   delta=TOL, msg=(p.item_a, p.item_b))
            self.assertAlmostEqual(p.spearman,
                                   spear.loc[p.item_a, p.item_b],
                                   delta=TOL, msg=(p.item_a, p.item_b))
        self.assertEqual([i.id for i in co.items], crit)
        for it in co.items:
            self.assertEqual(it.kind, cpb.COHERENCE_ITEM_KIND_CRITERION)
            self.assertEqual(it.group, "")
            for got, want in [(it.pearson_total, pear.loc[it.id, "TOTAL"]),
                              (it.spearman_total,
                               spear.loc[it.id, "TOTAL"]),
                              (it.pearson_group, pear.loc[it.id, "TOTAL"]),
                              (it.spearman_group,
                               spear.loc[it.id, "TOTAL"])]:
                self.assertAlmostEqual(got, want, delta=TOL, msg=it.id)
        self.assertEqual(len(co.groups), 1)
        self.assertEqual(co.groups[0].group, "")
        self.assertEqual(co.groups[0].items, 5)
        self.assertAlmostEqual(co.groups[0].cronbach_alpha,
                               alpha(df[crit]), delta=TOL)
        self.assertEqual(list(co.notes), [])
        self.assertEqual(co.weak_threshold, 0.3)
        self.assertEqual(co.redundant_threshold, 0.9)

    def test_flags_follow_the_thresholds(self):
        co = RUN.rounds[0].coherence
        df = frame(0)
        pear = df.corr(method="pearson")
        want = set()
        for x in "abcde":
            r = pear.loc[x, "TOTAL"]
            if r < 0:
                want.add((cpb.COHERENCE_FLAG_CODE_NEGATIVE, x, ""))
            elif r <= 0.3:
                want.add((cpb.COHERENCE_FLAG_CODE_WEAK, x, ""))
        for p in co.pairs:
            if pear.loc[p.item_a, p.item_b] > 0.9:
                want.add((cpb.COHERENCE_FLAG_CODE_REDUNDANT, p.item_a,
                          p.item_b))
        got = {(f.code, f.item, f.other) for f in co.flags}
        self.assertEqual(got, want)
        # The data were made to raise each kind of flag: a, c and d rise
        # together (d is a stepped a), e does not follow.
        self.assertIn(cpb.COHERENCE_FLAG_CODE_REDUNDANT, {f[0] for f in got})
        self.assertTrue(any(f[0] in (cpb.COHERENCE_FLAG_CODE_WEAK,
                                     cpb.COHERENCE_FLAG_CODE_NEGATIVE)
                            and f[1] == "e" for f in got))
        for f in co.flags:
            self.assertIn("Pearson %.3f" % f.value, f.text)

    def test_too_few_clusters(self):
        co = RUN.rounds[1].coherence
        self.assertEqual(co.observations, 2)
        self.assertTrue(math.isnan(co.pairs[0].pearson))
        self.assertTrue(math.isnan(co.items[0].spearman_total))
        self.assertTrue(math.isnan(co.groups[0].cronbach_alpha))
        self.assertEqual(list(co.flags), [])
        self.assertEqual(list(co.notes), [
            "fewer than 3 ranked clusters (2): correlations and "
            "Cronbach's alpha are not defined"])

    def test_clusterctl_prints_it(self):
        out = subprocess.run([CLUSTERCTL, "--server", SERVER.address,
                              "run", "get", RUN.id],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        co = RUN.rounds[0].coherence
        self.assertIn("coherence of round prelim (39 ranked clusters, "
                      "normalised scores): Cronbach's alpha of the round "
                      "%.3f (5 items)\n" % co.groups[0].cronbach_alpha,
                      out.stdout)
        p = co.pairs[0]
        self.assertRegex(out.stdout, r"\n%s +%s +%.3f +%.3f\n" % (
            p.item_a, p.item_b, p.pearson, p.spearman))
        for f in co.flags:
            self.assertIn("flag: %s\n" % f.text, out.stdout)
        self.assertIn("coherence of round final (2 ranked clusters, "
                      "normalised scores): Cronbach's alpha of the round "
                      "- (2 items)\n", out.stdout)
        self.assertIn("note: fewer than 3 ranked clusters (2)", out.stdout)


if __name__ == "__main__":
    unittest.main()
