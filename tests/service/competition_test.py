"""CompetitionService against the real clusterd with the built-in plugins
(and the fx_good test plugin) in its plugin directory: the GII 2023 sample
reproduces the published ranks; a hand-computed two-round competition;
RunCompetition streams progress then one stored Run; rank change against a
baseline; sensitivity reproducible for a seed; bad definitions, unknown and
deleted competitions, failing plugins; byte-identical standings for two runs
on one data version."""

import csv
import os
import re
import shutil
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
BUILTINS = ["indicator", "st_output", "growth", "specialization", "topsis",
            "panel", "rubric"]

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
    shutil.copyfile(os.path.join(FIXTURES, "fx_good.so"),
                    os.path.join(pdir, "fx_good.so"))
    for f in os.listdir(pdir):
        os.chmod(os.path.join(pdir, f), 0o644)
    SERVER = Server("--plugin-dir", pdir, "--threads", "2")


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


def create_competition(comp):
    return unary("CreateCompetition", cpb.CreateCompetitionRequest,
                 cpb.Competition)(
        cpb.CreateCompetitionRequest(competition=comp), timeout=30)


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


def evaluate(comp, ids=(), sensitivity=None):
    req = cpb.EvaluateRequest(competition=comp, cluster_ids=list(ids))
    if sensitivity is not None:
        req.sensitivity.CopyFrom(sensitivity)
    return unary("Evaluate", cpb.EvaluateRequest, cpb.Run)(req, timeout=120)


def error_of(fn, *args, **kw):
    kw.setdefault("timeout", 60)
    try:
        fn(*args, **kw)
    except grpc.RpcError as e:
        return e
    raise AssertionError("call succeeded where it should have failed")


def criterion(cid, plugin, weight=1.0, norm=None, **params):
    c = cpb.Criterion(id=cid, plugin=plugin, weight=weight,
                      normalization=norm or cpb.NONE)
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
        r.eligibility.add(field=cpb.LABEL, key="source", any_of=["gii2023"])
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
        self.assertEqual(self.result.plugins[0].kind, plb.QUANTITATIVE)


if __name__ == "__main__":
    unittest.main()
