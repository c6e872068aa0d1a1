"""Integrity regressions against the real clusterd: what is stored is what
was validated, and one client's write never breaks reads or runs for the
others.

Run by ctest with CLUSTERD_BIN, CLUSTERD_PROTO_DIR and
CLUSTERD_PLUGIN_BUILD_DIR set."""

import json
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

pb = cpb = None
SERVER = None
TMP = None


def setUpModule():
    global pb, cpb, SERVER, TMP
    pb, _, cpb, _ = stubs()
    TMP = tempfile.mkdtemp(prefix="clusterd-integrity-")
    pdir = os.path.join(TMP, "plugins")
    os.mkdir(pdir, 0o700)
    for name in ("indicator", "st_output", "growth", "specialization",
                 "topsis", "panel", "rubric", "mcda"):
        shutil.copy(os.path.join(BUILD_DIR, name + ".so"), pdir)
    SERVER = Server("--plugin-dir", pdir, "--threads", "2")


def tearDownModule():
    rc = SERVER.stop()
    log = SERVER.read_log()
    SERVER.cleanup()
    shutil.rmtree(TMP, ignore_errors=True)
    if rc != 0:
        raise AssertionError("clusterd exited with %d:\n%s" % (rc, log[-4000:]))


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, wt, payload):
    """One wire field: payload is bytes for wire type 2, an int for 0."""
    tag = varint((num << 3) | wt)
    if wt == 2:
        return tag + varint(len(payload)) + payload
    return tag + varint(payload)


def error_of(fn, *args, **kw):
    kw.setdefault("timeout", 30)
    try:
        fn(*args, **kw)
    except grpc.RpcError as e:
        return e
    raise AssertionError("call succeeded where it should have failed")


def good_cluster(cid):
    c = pb.Cluster(id=cid, name="Cluster " + cid, economy="DE")
    c.indicators.add(name="patents", year=2022, value=10.0)
    return c


class WireIntegrity(unittest.TestCase):
    def setUp(self):
        self.raw_create = SERVER.unary(REG + "CreateCluster")
        self.get = SERVER.unary(REG + "GetCluster", pb.GetClusterRequest,
                                pb.Cluster)
        self.imp = SERVER.client_stream(REG + "ImportClusters")
        self.exp = SERVER.server_stream(REG + "ExportClusters",
                                        pb.ExportClustersRequest, pb.Cluster)

    def create_bytes(self, cluster_bytes, timeout=30):
        return self.raw_create(field(1, 2, cluster_bytes), timeout=timeout)

    def assert_refused(self, cluster_bytes, words):
        e = error_of(self.create_bytes, cluster_bytes)
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT,
                         e.details())
        for w in words:
            self.assertIn(w, e.details())

    def test_nul_in_id_refused(self):
        # "nul\0evil": the key would be "nul" and the record "nul\0evil".
        c = good_cluster("x").SerializeToString()
        bad = field(1, 2, b"nul\x00evil") + c
        self.assert_refused(bad, ["cluster.id", "NUL"])
        e = error_of(self.get, pb.GetClusterRequest(id="nul"))
        self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND)

    def test_nul_then_invalid_utf8_refused(self):
        # Validation of C strings stopped at the NUL and never saw \xff.
        bad = (good_cluster("nulname").SerializeToString() +
               field(2, 2, b"ok\x00\xff\x01"))
        self.assert_refused(bad, ["cluster.name"])
        bad = (good_cluster("badutf").SerializeToString() +
               field(2, 2, b"caf\xc3"))
        self.assert_refused(bad, ["cluster.name", "UTF-8"])

    def test_nested_nul_names_the_path(self):
        ind = field(1, 2, b"pat\x00ents") + field(2, 0, 2022)
        bad = (good_cluster("nested").SerializeToString() +
               field(7, 2, ind))
        self.assert_refused(bad, ["cluster.indicators[1].name"])

    def test_unknown_field_refused(self):
        for num in (99, (1 << 29) - 1):
            with self.subTest(field=num):
                bad = (good_cluster("unk%d" % num).SerializeToString() +
                       field(num, 0, 1))
                self.assert_refused(bad, ["unknown field number %d" % num])

    def test_wrong_wire_type_refused(self):
        # Assessment.recused (bool, field 6) length-delimited: the store's
        # record reader would call such a record corrupt.
        a = field(1, 2, b"j1") + field(2, 2, b"gov") + field(6, 2, b"\x01")
        bad = good_cluster("wiretype").SerializeToString() + field(8, 2, a)
        self.assert_refused(bad, ["cluster.assessments[0].recused",
                                  "wrong wire type"])

    def test_import_reports_bad_records_and_keeps_good(self):
        good = good_cluster("imp-good").SerializeToString()
        records = [
            good,
            good_cluster("imp-unk").SerializeToString() +
            field((1 << 29) - 1, 0, 7),
            field(1, 2, b"imp\x00nul") + field(2, 2, b"n") +
            field(3, 2, b"DE"),
        ]
        r = pb.ImportClustersResponse.FromString(
            self.imp(iter(records), timeout=30))
        self.assertEqual((r.created + r.updated, r.rejected), (1, 2))
        self.assertIn("unknown field", r.errors[0].message)
        self.assertIn("NUL", r.errors[1].message)

    def test_runs_and_exports_work_after_bad_writes(self):
        # Before the fix, one stored record with a field number >= 2^29
        # made every run answer DATA_LOSS and broke Python decoders.
        self.create_bytes(good_cluster("after-a").SerializeToString())
        self.create_bytes(good_cluster("after-b").SerializeToString())
        for bad in (good_cluster("after-unk").SerializeToString() +
                    field((1 << 29) - 1, 0, 1),
                    field(1, 2, b"after\x00x")):
            error_of(self.create_bytes, bad)
        ids = [c.id for c in self.exp(pb.ExportClustersRequest(),
                                      timeout=30)]
        self.assertIn("after-a", ids)
        self.assertNotIn("after-unk", ids)
        comp = cpb.Competition(id="after-bad-writes", title="t")
        rnd = comp.rounds.add(name="r1")
        crit = rnd.criteria.add(id="p", plugin="indicator", weight=1)
        crit.params["indicator"] = "patents"
        SERVER.unary(COMP + "CreateCompetition", cpb.CreateCompetitionRequest,
                     cpb.Competition)(
            cpb.CreateCompetitionRequest(competition=comp), timeout=30)
        events = list(SERVER.server_stream(
            COMP + "RunCompetition", cpb.RunCompetitionRequest,
            cpb.RunEvent)(cpb.RunCompetitionRequest(
                competition_id=comp.id), timeout=60))
        run = events[-1].run
        self.assertGreaterEqual(len(run.standings), 2)


class CompetitionExample(unittest.TestCase):
    """docs/competition-example.md: its JSON uses every field and enum
    value of a competition definition, and a real server accepts it."""

    DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                       "docs", "competition-example.md")

    def example(self):
        with open(self.DOC, encoding="utf-8") as f:
            m = re.search(r"```json\n(.*?)```", f.read(), re.S)
        self.assertIsNotNone(m, "no json block in " + self.DOC)
        return m.group(1)

    def test_every_enum_value_is_used(self):
        text = self.example()
        for enum in (cpb.Normalization, cpb.Aggregation, cpb.MissingPolicy,
                     cpb.FilterField, cpb.Comparison):
            for name in enum.keys():
                if name.endswith("_UNSPECIFIED") and enum not in (
                        cpb.Normalization,):
                    continue
                self.assertIn('"%s"' % name, text, name)

    def test_every_input_field_is_used(self):
        text = self.example()
        json.loads(text)  # plain JSON, no comments
        skip = {"clusters.v1.Competition.create_time",   # output only
                "clusters.v1.Competition.update_time",   # output only
                "clusters.v1.Competition.etag",          # output only
                "clusters.v1.Competition.baseline_run_id"}  # a stored run
        for m in (cpb.Competition, cpb.Round, cpb.Filter, cpb.Criterion,
                  cpb.Selection):
            for fd in m.DESCRIPTOR.fields:
                if fd.full_name not in skip:
                    self.assertIn('"%s"' % fd.json_name, text, fd.full_name)

    def test_created_by_the_server(self):
        from google.protobuf import json_format
        comp = json_format.Parse(self.example(), cpb.Competition())
        got = SERVER.unary(COMP + "CreateCompetition",
                           cpb.CreateCompetitionRequest, cpb.Competition)(
            cpb.CreateCompetitionRequest(competition=comp), timeout=30)
        self.assertEqual(got.id, "national-2021-example")
        # preliminary, benchmark (Copeland), balance (harmonic),
        # consensus (median), final.
        self.assertEqual(len(got.rounds), 5)
        self.assertEqual(len(got.rounds[0].eligibility), 12)
        self.assertEqual(got.rounds[1].criteria[0].target, 0.03)
        self.assertTrue(got.etag)


if __name__ == "__main__":
    unittest.main()
