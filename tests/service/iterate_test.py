"""Iterating on a competition definition without storing anything, through
the real clusterd: CreateCompetition and UpdateCompetition with
validate_only (AIP-163: every check the write makes, nothing written),
and clusterctl's `competition validate FILE` and `competition evaluate
FILE`, each with its errors."""

import json
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

pb = cpb = None
SERVER = None
TMP = None

# Three clusters with one indicator; the definition ranks them by it.
CLUSTERS = [("it-a", 30.0), ("it-b", 20.0), ("it-c", 10.0)]

DEF = {
    "id": "iter-demo",
    "title": "Iterating",
    "rounds": [{
        "name": "only",
        "criteria": [{"id": "v", "plugin": "indicator", "weight": 1,
                      "params": {"indicator": "v"}}],
        "selection": {"topN": 2},
    }],
}


def setUpModule():
    global pb, cpb, SERVER, TMP
    pb, _, cpb, _ = stubs()
    TMP = tempfile.mkdtemp(prefix="clusterd-iter-")
    pdir = os.path.join(TMP, "plugins")
    os.mkdir(pdir, 0o700)
    dst = os.path.join(pdir, "indicator.so")
    shutil.copyfile(os.path.join(BUILD_DIR, "indicator.so"), dst)
    os.chmod(dst, 0o644)
    SERVER = Server("--plugin-dir", pdir, "--threads", "2")
    for cid, v in CLUSTERS:
        c = pb.Cluster(id=cid, name=cid, economy="CN")
        c.indicators.add(name="v", year=2020, value=v)
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


def unary(name, req_cls, resp_cls):
    return SERVER.unary(COMP + name, req_cls, resp_cls)


def definition(**changes):
    d = json.loads(json.dumps(DEF))
    d.update(changes)
    return d


def to_msg(d):
    from google.protobuf import json_format
    return json_format.ParseDict(d, cpb.Competition())


def error_of(fn, *args, **kw):
    try:
        fn(*args, **kw)
    except grpc.RpcError as e:
        return e
    raise AssertionError("call succeeded where it should have failed")


def ctl(*args):
    return subprocess.run([CLUSTERCTL, "--server", SERVER.address] +
                          list(args), capture_output=True, text=True,
                          timeout=120)


def write(name, obj):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        json.dump(obj, f)
    return path


def get_competition(cid):
    return unary("GetCompetition", cpb.GetCompetitionRequest,
                 cpb.Competition)(cpb.GetCompetitionRequest(id=cid),
                                  timeout=30)


def list_runs():
    return unary("ListRuns", cpb.ListRunsRequest, cpb.ListRunsResponse)(
        cpb.ListRunsRequest(), timeout=30).runs


class ValidateOnly(unittest.TestCase):
    def create(self, d, validate_only=True):
        return unary("CreateCompetition", cpb.CreateCompetitionRequest,
                     cpb.Competition)(cpb.CreateCompetitionRequest(
                         competition=to_msg(d), validate_only=validate_only),
                         timeout=30)

    def update(self, d, validate_only=True, etag="", paths=("*",)):
        from google.protobuf import field_mask_pb2
        req = cpb.UpdateCompetitionRequest(
            competition=to_msg(d), validate_only=validate_only, etag=etag,
            update_mask=field_mask_pb2.FieldMask(paths=list(paths)))
        return unary("UpdateCompetition", cpb.UpdateCompetitionRequest,
                     cpb.Competition)(req, timeout=30)

    def test_create_stores_nothing(self):
        d = definition(id="vo-new")
        got = self.create(d)
        self.assertEqual(got.id, "vo-new")
        self.assertEqual(got.etag, "")
        e = error_of(get_competition, "vo-new")
        self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND)

    def test_create_checks_like_a_create(self):
        d = definition(id="vo-bad")
        d["rounds"][0]["criteria"][0]["weight"] = -1
        e = error_of(self.create, d)
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("rounds[0].criteria[0].weight", e.details())
        d = definition(id="vo-plugin")
        d["rounds"][0]["criteria"][0]["plugin"] = "nosuch"
        e = error_of(self.create, d)
        self.assertIn("nosuch", e.details())

    def test_create_of_a_stored_id_is_already_exists(self):
        self.create(definition(id="vo-taken"), validate_only=False)
        e = error_of(self.create, definition(id="vo-taken"))
        self.assertEqual(e.code(), grpc.StatusCode.ALREADY_EXISTS)
        self.assertIn('"vo-taken" already exists', e.details())

    def test_update_stores_nothing(self):
        stored = self.create(definition(id="vo-upd"), validate_only=False)
        d = definition(id="vo-upd", title="Renamed")
        got = self.update(d, etag=stored.etag)
        self.assertEqual(got.title, "Renamed")
        now = get_competition("vo-upd")
        self.assertEqual(now.title, "Iterating")
        self.assertEqual(now.etag, stored.etag)

    def test_update_checks_like_an_update(self):
        stored = self.create(definition(id="vo-upd2"), validate_only=False)
        e = error_of(self.update, definition(id="vo-upd2"), etag="stale")
        self.assertEqual(e.code(), grpc.StatusCode.ABORTED)
        d = definition(id="vo-upd2")
        d["rounds"][0]["selection"]["topN"] = -3
        e = error_of(self.update, d, etag=stored.etag)
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("top_n", e.details())
        e = error_of(self.update, definition(id="vo-none"))
        self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND)


class Clusterctl(unittest.TestCase):
    def test_validate_new_then_stored(self):
        path = write("cv.json", definition(id="cv-one"))
        out = ctl("competition", "validate", path)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("competition cv-one is valid as a new competition "
                      "(1 round, 1 criterion); nothing stored", out.stdout)
        self.assertEqual(error_of(get_competition, "cv-one").code(),
                         grpc.StatusCode.NOT_FOUND)
        out = ctl("competition", "create", path)
        self.assertEqual(out.returncode, 0, out.stderr)
        out = ctl("competition", "validate", path)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("valid as a replacement of the stored one",
                      out.stdout)

    def test_validate_reports_what_is_wrong(self):
        d = definition(id="cv-bad")
        d["rounds"][0]["criteria"][0]["params"] = {"indicator": "v",
                                                   "bogus": "1"}
        out = ctl("competition", "validate", write("cvb.json", d))
        self.assertEqual(out.returncode, 1)
        self.assertIn("INVALID_ARGUMENT", out.stderr)
        self.assertIn("bogus", out.stderr)

    def test_validate_usage(self):
        out = ctl("competition", "validate")
        self.assertEqual(out.returncode, 2)
        self.assertIn("expected one file", out.stderr)
        out = ctl("competition", "validate", os.path.join(TMP, "absent"))
        self.assertEqual(out.returncode, 1)

    def test_evaluate_prints_like_a_run_and_stores_nothing(self):
        before = len(list_runs())
        path = write("ce.json", definition(id="ce-one"))
        out = ctl("competition", "evaluate", path)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("evaluated ce-one; nothing stored", out.stdout)
        self.assertIn("it-a", out.stdout)
        self.assertEqual(len(list_runs()), before)
        out = ctl("competition", "evaluate", path, "--json")
        self.assertEqual(out.returncode, 0, out.stderr)
        run = json.loads(out.stdout)
        ranked = [s["clusterId"] for s in run["standings"]]
        self.assertEqual(ranked, ["it-a", "it-b", "it-c"])
        self.assertEqual([s.get("selected", False) for s in
                          run["standings"]], [True, True, False])

    def test_evaluate_options(self):
        path = write("ce2.json", definition(id="ce-two"))
        out = ctl("competition", "evaluate", path, "--cluster", "it-b",
                  "--cluster", "it-c", "--json")
        self.assertEqual(out.returncode, 0, out.stderr)
        run = json.loads(out.stdout)
        self.assertEqual([s["clusterId"] for s in run["standings"]],
                         ["it-b", "it-c"])
        out = ctl("competition", "evaluate", path, "--samples", "20",
                  "--jitter", "10", "--seed", "3", "--json")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(json.loads(out.stdout)["sensitivity"]["samples"],
                         20)

    def test_evaluate_errors(self):
        path = write("ce3.json", [definition(id="ce-x"),
                                  definition(id="ce-y")])
        out = ctl("competition", "evaluate", path)
        self.assertEqual(out.returncode, 1)
        self.assertIn("holds 2 definitions; evaluate takes one", out.stderr)
        out = ctl("competition", "evaluate", write("ce4.json",
                                                    definition(id="ce-z")),
                  "--jitter", "200")
        self.assertEqual(out.returncode, 2)
        self.assertIn("--jitter: '200' is not a percentage", out.stderr)
        d = definition(id="ce-w")
        d["rounds"][0]["criteria"][0]["params"] = {"indicator": "nosuch"}
        out = ctl("competition", "evaluate", write("ce5.json", d))
        self.assertEqual(out.returncode, 1)
        self.assertIn("FAILED_PRECONDITION", out.stderr)
        self.assertIn('no cluster of the cohort has an indicator "nosuch"',
                      out.stderr)


if __name__ == "__main__":
    unittest.main()
