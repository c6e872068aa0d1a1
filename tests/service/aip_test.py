"""API conventions against the real clusterd (the "integrity" issue, items
4, 6 and 17):

- AIP-134 updates: without a mask only the fields the request sets change
  (a rename no longer wipes the rest of the record); "*" replaces; a mask
  naming a field clears it. Clusters and competitions alike.
- UpdateCompetition (checked like a create), DeleteRun, DeleteCompetition
  with an etag, and runs that name the competition version they ran.
- INVALID_ARGUMENT carries a google.rpc.Status with a google.rpc.BadRequest
  in the "grpc-status-details-bin" trailer, naming the field by its path in
  the request; other codes carry none.

Run by ctest with CLUSTERD_BIN, CLUSTERD_PROTO_DIR and
CLUSTERD_PLUGIN_BUILD_DIR set."""

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
PROTO_DIR = os.environ["CLUSTERD_PROTO_DIR"]
DETAILS_KEY = "grpc-status-details-bin"

pb = cpb = status_pb2 = details_pb2 = None
SERVER = None
TMP = None


def rpc_stubs(out):
    """google.rpc.Status and BadRequest, compiled from the copies the server
    is built with."""
    os.makedirs(out)
    subprocess.run(["protoc", "-I", PROTO_DIR, "--python_out", out,
                    "google/rpc/status.proto",
                    "google/rpc/error_details.proto"], check=True)
    sys.path.insert(0, out)
    from google.rpc import error_details_pb2, status_pb2 as st
    return st, error_details_pb2


def setUpModule():
    global pb, cpb, SERVER, TMP, status_pb2, details_pb2
    pb, _, cpb, _ = stubs()
    TMP = tempfile.mkdtemp(prefix="clusterd-aip-")
    status_pb2, details_pb2 = rpc_stubs(os.path.join(TMP, "gen"))
    pdir = os.path.join(TMP, "plugins")
    os.mkdir(pdir, 0o700)
    shutil.copy(os.path.join(BUILD_DIR, "indicator.so"), pdir)
    SERVER = Server("--plugin-dir", pdir, "--threads", "2")


def tearDownModule():
    rc = SERVER.stop()
    log = SERVER.read_log()
    SERVER.cleanup()
    shutil.rmtree(TMP, ignore_errors=True)
    if rc != 0:
        raise AssertionError("clusterd exited with %d:\n%s" % (rc, log[-4000:]))


def error_of(fn, *args, **kw):
    kw.setdefault("timeout", 30)
    try:
        fn(*args, **kw)
    except grpc.RpcError as e:
        return e
    raise AssertionError("call succeeded where it should have failed")


def details_of(e):
    """The google.rpc.Status of the trailer, or None."""
    for k, v in e.trailing_metadata() or ():
        if k == DETAILS_KEY:
            st = status_pb2.Status()
            st.ParseFromString(v)
            return st
    return None


def violations_of(e):
    """[(field, description)] of the BadRequest in the trailer."""
    st = details_of(e)
    if st is None:
        raise AssertionError("no %s trailer on %s: %s" %
                             (DETAILS_KEY, e.code(), e.details()))
    out = []
    for any_msg in st.details:
        br = details_pb2.BadRequest()
        if any_msg.Unpack(br):
            out += [(v.field, v.description) for v in br.field_violations]
    return out


def unary(method, req_cls, resp_cls):
    return SERVER.unary(method, req_cls, resp_cls)


def cluster_calls():
    return (unary(REG + "CreateCluster", pb.CreateClusterRequest, pb.Cluster),
            unary(REG + "UpdateCluster", pb.UpdateClusterRequest, pb.Cluster),
            unary(REG + "GetCluster", pb.GetClusterRequest, pb.Cluster))


def paris(cid):
    c = pb.Cluster(id=cid, name="Paris", economy="FR", region="Ile-de-France",
                   cities=["Paris", "Saclay"], industry="S&T")
    c.indicators.add(name="pct_applications", year=2022, value=13000)
    c.assessments.add(judge="j1", criterion="governance", score=7)
    c.labels["source"] = "gii2023"
    return c


class ClusterUpdate(unittest.TestCase):
    """Item 4: UpdateCluster follows AIP-134."""

    def setUp(self):
        self.create, self.update, self.get = cluster_calls()

    def test_no_mask_updates_only_the_fields_set(self):
        made = self.create(pb.CreateClusterRequest(cluster=paris("u-paris")),
                           timeout=30)
        # The request: {"id":"paris","name":"Paris (renamed)",
        # "economy":"FR"} wiped region, cities, indicators, assessments and
        # labels.
        up = self.update(pb.UpdateClusterRequest(cluster=pb.Cluster(
            id="u-paris", name="Paris (renamed)", economy="FR")), timeout=30)
        self.assertEqual(up.name, "Paris (renamed)")
        got = self.get(pb.GetClusterRequest(id="u-paris"), timeout=30)
        self.assertEqual(got, up)
        for f in ("region", "cities", "industry", "indicators",
                  "assessments", "labels", "create_time"):
            self.assertEqual(getattr(got, f), getattr(made, f), f)
        self.assertNotEqual(got.etag, made.etag)

    def test_star_replaces_and_a_mask_clears(self):
        made = self.create(pb.CreateClusterRequest(cluster=paris("u-star")),
                           timeout=30)
        # A named field left empty is cleared; the others stay.
        up = self.update(pb.UpdateClusterRequest(
            cluster=pb.Cluster(id="u-star"),
            update_mask={"paths": ["cities", "region"]}), timeout=30)
        self.assertEqual(list(up.cities), [])
        self.assertEqual(up.region, "")
        self.assertEqual(up.labels, made.labels)
        # "*": everything the request leaves unset is cleared.
        up = self.update(pb.UpdateClusterRequest(
            cluster=pb.Cluster(id="u-star", name="Only", economy="FR"),
            update_mask={"paths": ["*"]}), timeout=30)
        self.assertEqual((up.name, up.industry, len(up.indicators),
                          len(up.assessments), len(up.labels)),
                         ("Only", "", 0, 0, 0))

    def test_bad_mask_paths_name_the_path(self):
        self.create(pb.CreateClusterRequest(cluster=paris("u-mask")),
                    timeout=30)
        for paths, field, words in (
                (["name", "*"], "update_mask.paths[1]", "only path"),
                (["etag"], "update_mask.paths[0]", "cannot be changed"),
                (["name", "nme"], "update_mask.paths[1]", "unknown field")):
            with self.subTest(paths=paths):
                e = error_of(self.update, pb.UpdateClusterRequest(
                    cluster=pb.Cluster(id="u-mask", name="X"),
                    update_mask={"paths": paths}))
                self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)
                [(f, d)] = violations_of(e)
                self.assertEqual(f, field)
                self.assertIn(words, d)
        self.assertEqual(self.get(pb.GetClusterRequest(id="u-mask"),
                                  timeout=30).name, "Paris")


def competition(cid, title="Indicator ranking", indicator="patents"):
    comp = cpb.Competition(id=cid, title=title, edition="2024",
                           description="first")
    rnd = comp.rounds.add(name="only")
    crit = rnd.criteria.add(id="p", plugin="indicator", weight=1)
    crit.params["indicator"] = indicator
    return comp


class CompetitionCalls:
    def setUp(self):
        self.create = unary(COMP + "CreateCompetition",
                            cpb.CreateCompetitionRequest, cpb.Competition)
        self.update = unary(COMP + "UpdateCompetition",
                            cpb.UpdateCompetitionRequest, cpb.Competition)
        self.get = unary(COMP + "GetCompetition", cpb.GetCompetitionRequest,
                         cpb.Competition)
        self.delete = unary(COMP + "DeleteCompetition",
                            cpb.DeleteCompetitionRequest,
                            cpb.DeleteCompetitionResponse)
        self.get_run = unary(COMP + "GetRun", cpb.GetRunRequest, cpb.Run)
        self.list_runs = unary(COMP + "ListRuns", cpb.ListRunsRequest,
                               cpb.ListRunsResponse)
        self.delete_run = unary(COMP + "DeleteRun", cpb.DeleteRunRequest,
                                cpb.DeleteRunResponse)

    def run_comp(self, cid):
        events = list(SERVER.server_stream(
            COMP + "RunCompetition", cpb.RunCompetitionRequest,
            cpb.RunEvent)(cpb.RunCompetitionRequest(competition_id=cid),
                          timeout=60))
        return events[-1].run


class CompetitionUpdate(CompetitionCalls, unittest.TestCase):
    """Item 6: UpdateCompetition, checked like a create."""

    def test_update_without_mask_and_with_etag(self):
        made = self.create(cpb.CreateCompetitionRequest(
            competition=competition("c-upd")), timeout=30)
        up = self.update(cpb.UpdateCompetitionRequest(
            competition=cpb.Competition(id="c-upd", title="Renamed"),
            etag=made.etag), timeout=30)
        self.assertEqual(up.title, "Renamed")
        self.assertEqual((up.edition, up.description, up.rounds),
                         (made.edition, made.description, made.rounds))
        self.assertNotEqual(up.etag, made.etag)
        self.assertEqual(up.create_time, made.create_time)
        self.assertTrue(up.HasField("update_time"))
        self.assertEqual(self.get(cpb.GetCompetitionRequest(id="c-upd"),
                                  timeout=30), up)

        # The first etag is stale, in the request or in the competition.
        for req in (cpb.UpdateCompetitionRequest(
                        competition=cpb.Competition(id="c-upd", title="X"),
                        etag=made.etag),
                    cpb.UpdateCompetitionRequest(
                        competition=cpb.Competition(id="c-upd", title="X",
                                                    etag=made.etag))):
            e = error_of(self.update, req)
            self.assertEqual(e.code(), grpc.StatusCode.ABORTED)
            self.assertIsNone(details_of(e))

        # A mask clears what it names; "*" replaces.
        up = self.update(cpb.UpdateCompetitionRequest(
            competition=cpb.Competition(id="c-upd"),
            update_mask={"paths": ["description"]}), timeout=30)
        self.assertEqual((up.title, up.description), ("Renamed", ""))
        new = competition("c-upd", title="Replaced")
        new.edition = ""
        up = self.update(cpb.UpdateCompetitionRequest(
            competition=new, update_mask={"paths": ["*"]}), timeout=30)
        self.assertEqual((up.title, up.edition), ("Replaced", ""))

    def test_update_refusals(self):
        self.create(cpb.CreateCompetitionRequest(
            competition=competition("c-bad")), timeout=30)
        e = error_of(self.update, cpb.UpdateCompetitionRequest(
            competition=cpb.Competition(id="c-none", title="t")))
        self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND)
        self.assertIn("c-none", e.details())

        bad_plugin = competition("c-bad")
        bad_plugin.rounds[0].criteria[0].plugin = "no_such_plugin"
        bad_param = competition("c-bad")
        bad_param.rounds[0].criteria[0].params["bogus"] = "1"
        no_rounds = cpb.Competition(id="c-bad")
        baseline = cpb.Competition(id="c-bad", baseline_run_id="no-such-run")
        for req, field, words in (
                (cpb.UpdateCompetitionRequest(competition=bad_plugin),
                 "competition.rounds[0].criteria[0].plugin",
                 "no plugin named 'no_such_plugin'"),
                (cpb.UpdateCompetitionRequest(competition=bad_param),
                 "competition.rounds[0].criteria[0].params", "bogus"),
                (cpb.UpdateCompetitionRequest(
                    competition=no_rounds, update_mask={"paths": ["rounds"]}),
                 "competition.rounds", "at least one round"),
                (cpb.UpdateCompetitionRequest(competition=baseline),
                 "competition.baseline_run_id", "not found"),
                (cpb.UpdateCompetitionRequest(
                    competition=no_rounds, update_mask={"paths": ["titel"]}),
                 "update_mask.paths[0]", "unknown field"),
                (cpb.UpdateCompetitionRequest(
                    competition=no_rounds,
                    update_mask={"paths": ["create_time"]}),
                 "update_mask.paths[0]", "cannot be changed"),
                (cpb.UpdateCompetitionRequest(
                    competition=cpb.Competition(id="Bad Id")),
                 "competition.id", "must start with"),
                (cpb.UpdateCompetitionRequest(), "competition", "required")):
            with self.subTest(field=field, words=words):
                e = error_of(self.update, req)
                self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT,
                                 e.details())
                [(f, d)] = violations_of(e)
                self.assertEqual(f, field)
                self.assertIn(words, d)
        # Nothing of it was written.
        got = self.get(cpb.GetCompetitionRequest(id="c-bad"), timeout=30)
        self.assertEqual(got.rounds, competition("c-bad").rounds)

    def test_delete_with_etag(self):
        made = self.create(cpb.CreateCompetitionRequest(
            competition=competition("c-del")), timeout=30)
        up = self.update(cpb.UpdateCompetitionRequest(
            competition=cpb.Competition(id="c-del", title="v2")), timeout=30)
        e = error_of(self.delete, cpb.DeleteCompetitionRequest(
            id="c-del", etag=made.etag))
        self.assertEqual(e.code(), grpc.StatusCode.ABORTED)
        self.get(cpb.GetCompetitionRequest(id="c-del"), timeout=30)
        self.delete(cpb.DeleteCompetitionRequest(id="c-del", etag=up.etag),
                    timeout=30)
        e = error_of(self.delete, cpb.DeleteCompetitionRequest(id="c-del"))
        self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND)


class Runs(CompetitionCalls, unittest.TestCase):
    """Item 6: a stored run names the competition version it ran;
    DeleteRun."""

    @classmethod
    def setUpClass(cls):
        create = unary(REG + "CreateCluster", pb.CreateClusterRequest,
                       pb.Cluster)
        for i, v in enumerate((5.0, 9.0)):
            c = pb.Cluster(id="run-c%d" % i, name="C%d" % i, economy="DE")
            c.indicators.add(name="patents", year=2022, value=v)
            create(pb.CreateClusterRequest(cluster=c), timeout=30)

    def test_run_names_competition_etag(self):
        made = self.create(cpb.CreateCompetitionRequest(
            competition=competition("c-run")), timeout=30)
        r1 = self.run_comp("c-run")
        self.assertEqual(r1.competition_etag, made.etag)
        self.assertEqual(self.get_run(cpb.GetRunRequest(id=r1.id),
                                      timeout=30).competition_etag, made.etag)
        up = self.update(cpb.UpdateCompetitionRequest(
            competition=cpb.Competition(id="c-run", title="v2")), timeout=30)
        r2 = self.run_comp("c-run")
        self.assertEqual(r2.competition_etag, up.etag)
        listed = self.list_runs(cpb.ListRunsRequest(competition_id="c-run"),
                                timeout=30)
        self.assertEqual({r.id: r.competition_etag for r in listed.runs},
                         {r1.id: made.etag, r2.id: up.etag})

    def test_delete_run(self):
        self.create(cpb.CreateCompetitionRequest(
            competition=competition("c-drun")), timeout=30)
        keep, gone = self.run_comp("c-drun"), self.run_comp("c-drun")
        self.delete_run(cpb.DeleteRunRequest(id=gone.id), timeout=30)
        e = error_of(self.get_run, cpb.GetRunRequest(id=gone.id))
        self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND)
        listed = self.list_runs(cpb.ListRunsRequest(competition_id="c-drun"),
                                timeout=30)
        self.assertEqual([r.id for r in listed.runs], [keep.id])
        e = error_of(self.delete_run, cpb.DeleteRunRequest(id=gone.id))
        self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND)
        self.assertIn(gone.id, e.details())
        e = error_of(self.delete_run, cpb.DeleteRunRequest(id="Bad Id"))
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual([f for f, _ in violations_of(e)], ["id"])


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out)


def wire(num, payload):
    return varint((num << 3) | 2) + varint(len(payload)) + payload


class ErrorDetails(unittest.TestCase):
    """Item 17: INVALID_ARGUMENT names the field in google.rpc.BadRequest."""

    def setUp(self):
        self.create, self.update, self.get = cluster_calls()

    def assert_violation(self, e, field, description):
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)
        st = details_of(e)
        self.assertIsNotNone(st, "no %s trailer" % DETAILS_KEY)
        # The status inside says what the call's status says.
        self.assertEqual(st.code, grpc.StatusCode.INVALID_ARGUMENT.value[0])
        self.assertEqual(st.message, e.details())
        self.assertEqual(len(st.details), 1)
        self.assertEqual(st.details[0].type_url,
                         "type.googleapis.com/google.rpc.BadRequest")
        [(f, d)] = violations_of(e)
        self.assertEqual(f, field)
        self.assertIn(description, d)
        # The description is the message after the path.
        self.assertTrue(e.details().endswith(d), (e.details(), d))

    def test_create_names_the_indicator(self):
        c = paris("d-ind")
        c.indicators.add(name="ok_one", year=2022, value=1)
        c.indicators.add(name="Bad Name", year=2022, value=1)
        e = error_of(self.create, pb.CreateClusterRequest(cluster=c))
        self.assert_violation(e, "cluster.indicators[2].name",
                              'must match [a-z][a-z0-9_]{0,63}')

    def test_update_names_the_merged_field(self):
        # Refused in the store, after the merge: the path is still the
        # request's.
        self.create(pb.CreateClusterRequest(cluster=paris("d-upd")),
                    timeout=30)
        e = error_of(self.update, pb.UpdateClusterRequest(
            cluster=pb.Cluster(id="d-upd", economy="QQ")))
        self.assert_violation(e, "cluster.economy", "QQ")

    def test_wire_check_names_the_nested_field(self):
        ind = wire(1, b"pat\x00ents")
        bad = paris("d-wire").SerializeToString() + wire(7, ind)
        raw = SERVER.unary(REG + "CreateCluster")
        e = error_of(raw, wire(1, bad))
        self.assert_violation(e, "cluster.indicators[1].name", "NUL")

    def test_request_fields(self):
        e = error_of(self.get, pb.GetClusterRequest(id="Not An Id"))
        self.assert_violation(e, "id", "must start with [a-z0-9]")
        lst = unary(REG + "ListClusters", pb.ListClustersRequest,
                    pb.ListClustersResponse)
        e = error_of(lst, pb.ListClustersRequest(page_size=-1))
        self.assert_violation(e, "page_size", "is negative")
        e = error_of(lst, pb.ListClustersRequest(page_token="garbage"))
        self.assert_violation(e, "page_token", "not a token")

    def test_evaluate_names_the_inline_definition(self):
        comp = competition("d-eval")
        comp.rounds[0].criteria[0].weight = -1
        ev = unary(COMP + "Evaluate", cpb.EvaluateRequest, cpb.Run)
        e = error_of(ev, cpb.EvaluateRequest(competition=comp))
        self.assert_violation(e, "competition.rounds[0].criteria[0].weight",
                              ">= 0")

    def test_no_field_no_violation(self):
        raw = SERVER.unary(REG + "GetCluster")
        e = error_of(raw, b"\xff\xff")
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)
        st = details_of(e)
        self.assertIsNotNone(st)
        self.assertEqual(st.message, e.details())
        self.assertEqual(list(st.details), [])

    def test_other_codes_carry_no_details(self):
        e = error_of(self.get, pb.GetClusterRequest(id="d-nowhere"))
        self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND)
        self.assertIsNone(details_of(e))


if __name__ == "__main__":
    unittest.main()
