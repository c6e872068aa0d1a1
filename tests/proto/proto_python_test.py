"""The API contract compiles for another language: protoc --python_out on
every .proto, then the generated modules import and carry the services,
methods and messages that clients rely on (DESIGN.md, API contract)."""

import importlib
import os
import subprocess
import sys
import tempfile
import unittest

PROTO_DIR = os.environ["CLUSTERD_PROTO_DIR"]
FILES = ["clusters/v1/clusters.proto", "clusters/v1/competitions.proto",
         "clusters/v1/plugins.proto", "clusters/v1/audit.proto",
         "clusters/v1/admin.proto",
         "google/rpc/status.proto"]


class ProtoPython(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = tempfile.TemporaryDirectory(prefix="clusterd-proto-")
        subprocess.run(["protoc", "-I", PROTO_DIR, "--python_out",
                        cls.out.name] + FILES, check=True)
        sys.path.insert(0, cls.out.name)
        cls.mods = {f: importlib.import_module(
            f[:-len(".proto")].replace("/", ".") + "_pb2") for f in FILES}

    @classmethod
    def tearDownClass(cls):
        sys.path.remove(cls.out.name)
        cls.out.cleanup()

    def service(self, name):
        for m in self.mods.values():
            if name in m.DESCRIPTOR.services_by_name:
                return m.DESCRIPTOR.services_by_name[name]
        self.fail("no service " + name)

    def methods(self, svc):
        return {m.name: (m.input_type.full_name, m.output_type.full_name)
                for m in svc.methods}

    def test_cluster_registry(self):
        m = self.methods(self.service("ClusterRegistry"))
        self.assertEqual(set(m), {"CreateCluster", "GetCluster",
                                  "UpdateCluster", "DeleteCluster",
                                  "ListClusters", "ImportClusters",
                                  "ExportClusters"})
        self.assertEqual(m["GetCluster"], ("clusters.v1.GetClusterRequest",
                                           "clusters.v1.Cluster"))
        self.assertEqual(m["ImportClusters"][0], "clusters.v1.Cluster")
        self.assertEqual(m["ExportClusters"][1], "clusters.v1.Cluster")

    def test_competition_and_plugin_services(self):
        self.assertEqual(set(self.methods(self.service("CompetitionService"))),
                         {"CreateCompetition", "GetCompetition",
                          "ListCompetitions", "DeleteCompetition",
                          "RunCompetition", "GetRun", "ListRuns",
                          "Evaluate", "UpdateCompetition", "DeleteRun",
                          "StartRun", "WatchRun", "CancelRun",
                          "ListStandings", "ExplainStanding"})
        self.assertEqual(set(self.methods(self.service("PluginService"))),
                         {"ListPlugins", "ReloadPlugins"})

    def test_audit_service(self):
        m = self.methods(self.service("AuditService"))
        self.assertEqual(m, {"ListAuditEvents": (
            "clusters.v1.ListAuditEventsRequest",
            "clusters.v1.ListAuditEventsResponse")})

    def test_cluster_fields_round_trip(self):
        pb = self.mods["clusters/v1/clusters.proto"]
        names = set(pb.Cluster.DESCRIPTOR.fields_by_name)
        self.assertTrue({"id", "name", "economy", "region", "cities",
                         "industry", "indicators", "assessments", "labels",
                         "etag", "create_time", "update_time"} <= names)
        c = pb.Cluster(id="tokyo-yokohama", name="Tokyo–Yokohama",
                       economy="JP", cities=["Tokyo", "Yokohama"])
        c.indicators.add(name="pct_applications", year=2022, value=1.5)
        c.labels["edition"] = "2023"
        self.assertEqual(pb.Cluster.FromString(c.SerializeToString()), c)

    def test_enum_values_carry_their_enum_prefix(self):
        # Python puts enum values at module level: unprefixed names such
        # as NONE or IN would collide and read as package constants.
        for m in self.mods.values():
            for e in m.DESCRIPTOR.enum_types_by_name.values():
                prefix = "".join("_" + c if c.isupper() else c
                                 for c in e.name).lstrip("_").upper() + "_"
                for v in e.values:
                    self.assertTrue(v.name.startswith(prefix),
                                    "%s.%s" % (e.name, v.name))
        cpb = self.mods["clusters/v1/competitions.proto"]
        self.assertFalse(hasattr(cpb, "NONE"))
        self.assertEqual(cpb.NORMALIZATION_MIN_MAX, 2)

    def test_streaming_shapes(self):
        # The server keeps its own table of shapes (protoc-c has none); the
        # descriptors here say the same.
        from google.protobuf import descriptor_pb2
        fd = descriptor_pb2.FileDescriptorProto()
        self.mods["clusters/v1/clusters.proto"].DESCRIPTOR.CopyToProto(fd)
        shapes = {m.name: (m.client_streaming, m.server_streaming)
                  for m in fd.service[0].method}
        self.assertEqual(shapes["ImportClusters"], (True, False))
        self.assertEqual(shapes["ExportClusters"], (False, True))
        self.assertEqual(shapes["GetCluster"], (False, False))
        fd = descriptor_pb2.FileDescriptorProto()
        self.mods["clusters/v1/competitions.proto"].DESCRIPTOR.CopyToProto(fd)
        shapes = {m.name: (m.client_streaming, m.server_streaming)
                  for m in fd.service[0].method}
        self.assertEqual(shapes["RunCompetition"], (False, True))
        self.assertEqual(shapes["WatchRun"], (False, True))
        self.assertEqual(shapes["StartRun"], (False, False))


class GoogleRpcPython(unittest.TestCase):
    """proto/google/rpc holds minimal copies of google.rpc.Status and
    google.rpc.BadRequest (the error details clusterd sends): they must
    keep the official package, names and field numbers, or clients that
    decode them with the official definitions read garbage."""

    def test_official_names_and_numbers(self):
        with tempfile.TemporaryDirectory(prefix="clusterd-rpc-") as out:
            subprocess.run(["protoc", "-I", PROTO_DIR, "--python_out", out,
                            "google/rpc/status.proto",
                            "google/rpc/error_details.proto"], check=True)
            sys.path.insert(0, out)
            try:
                st = importlib.import_module("google.rpc.status_pb2")
                ed = importlib.import_module("google.rpc.error_details_pb2")
            finally:
                sys.path.remove(out)

            def numbers(desc):
                return {f.name: (f.number, f.type, f.label)
                        for f in desc.fields}
            F = st.DESCRIPTOR.message_types_by_name["Status"].fields[0]
            self.assertEqual(st.Status.DESCRIPTOR.full_name,
                             "google.rpc.Status")
            self.assertEqual(numbers(st.Status.DESCRIPTOR), {
                "code": (1, F.TYPE_INT32, F.LABEL_OPTIONAL),
                "message": (2, F.TYPE_STRING, F.LABEL_OPTIONAL),
                "details": (3, F.TYPE_MESSAGE, F.LABEL_REPEATED)})
            self.assertEqual(
                st.Status.DESCRIPTOR.fields_by_name["details"]
                .message_type.full_name, "google.protobuf.Any")
            self.assertEqual(ed.BadRequest.DESCRIPTOR.full_name,
                             "google.rpc.BadRequest")
            self.assertEqual(numbers(ed.BadRequest.DESCRIPTOR), {
                "field_violations": (1, F.TYPE_MESSAGE, F.LABEL_REPEATED)})
            fv = ed.BadRequest.FieldViolation.DESCRIPTOR
            self.assertEqual(fv.full_name,
                             "google.rpc.BadRequest.FieldViolation")
            self.assertEqual(numbers(fv), {
                "field": (1, F.TYPE_STRING, F.LABEL_OPTIONAL),
                "description": (2, F.TYPE_STRING, F.LABEL_OPTIONAL)})


if __name__ == "__main__":
    unittest.main()
