"""Interop tests: the real clusterd called from Python's grpcio.

Run by ctest (see CMakeLists.txt) with CLUSTERD_BIN and CLUSTERD_PROTO_DIR
set; by hand:
  CLUSTERD_BIN=build/x/service/clusterd CLUSTERD_PROTO_DIR=proto \
      /usr/bin/python3 tests/service/interop_test.py -v
"""

import math
import os
import sys
import threading
import time
import unittest

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clusterd_harness import HEALTH, REG, Server, stubs  # noqa: E402

pb = hpb = None
SERVER = None
GARBAGE = b"\x0a\x05ab"  # field 1, 5 bytes announced, 2 present


def setUpModule():
    global pb, hpb, SERVER
    pb, hpb, _, _ = stubs()
    SERVER = Server("--max-message-bytes", "1M", "--threads", "2")


def tearDownModule():
    rc = SERVER.stop()
    log = SERVER.read_log()
    SERVER.cleanup()
    if rc != 0:
        raise AssertionError("clusterd exited with %d:\n%s" % (rc, log[-4000:]))


def cluster(cid, economy="DE", n_ind=2, **kw):
    c = pb.Cluster(id=cid, name=kw.pop("name", "Cluster " + cid),
                   economy=economy, **kw)
    for k in range(n_ind):
        c.indicators.add(name="ind_%d" % k, year=2020 + k, value=k + 0.5,
                         unit="count")
    return c


def call_error(fn, *args, **kw):
    """The RpcError fn raises; fails the test when it succeeds."""
    kw.setdefault("timeout", 30)
    try:
        fn(*args, **kw)
    except grpc.RpcError as e:
        return e
    raise AssertionError("call succeeded where it should have failed")


class Registry(unittest.TestCase):
    def setUp(self):
        s = SERVER
        self.create = s.unary(REG + "CreateCluster", pb.CreateClusterRequest,
                              pb.Cluster)
        self.get = s.unary(REG + "GetCluster", pb.GetClusterRequest,
                           pb.Cluster)
        self.update = s.unary(REG + "UpdateCluster", pb.UpdateClusterRequest,
                              pb.Cluster)
        self.delete = s.unary(REG + "DeleteCluster", pb.DeleteClusterRequest,
                              pb.DeleteClusterResponse)
        self.list = s.unary(REG + "ListClusters", pb.ListClustersRequest,
                            pb.ListClustersResponse)
        self.imp = s.client_stream(REG + "ImportClusters", pb.Cluster,
                                   pb.ImportClustersResponse)
        self.exp = s.server_stream(REG + "ExportClusters",
                                   pb.ExportClustersRequest, pb.Cluster)

    def list_all(self, **filters):
        ids, token = [], ""
        while True:
            r = self.list(pb.ListClustersRequest(page_size=1000,
                                                 page_token=token, **filters),
                          timeout=30)
            ids += [c.id for c in r.clusters]
            token = r.next_page_token
            if not token:
                return ids

    def export(self, **filters):
        req = pb.ExportClustersRequest(filters=pb.ClusterFilter(**filters))
        return list(self.exp(req, timeout=120))

    # --- create / get / update / delete -----------------------------------

    def test_create_get_update_delete(self):
        c = cluster("crud-1", economy="CN/HK", cities=["Shenzhen", "Hong Kong"],
                    industry="electronics")
        c.labels["source"] = "gii2023"
        c.assessments.add(judge="j1", criterion="governance", score=7.5,
                          round="final")
        made = self.create(pb.CreateClusterRequest(cluster=c), timeout=30)
        self.assertEqual(made.id, "crud-1")
        self.assertEqual(list(made.cities), ["Shenzhen", "Hong Kong"])
        self.assertTrue(made.etag)
        self.assertGreater(made.create_time.seconds, 0)

        got = self.get(pb.GetClusterRequest(id="crud-1"), timeout=30)
        self.assertEqual(got, made)

        e = call_error(self.create, pb.CreateClusterRequest(cluster=c))
        self.assertEqual(e.code(), grpc.StatusCode.ALREADY_EXISTS)

        # Masked update: only the name changes.
        patch = pb.Cluster(id="crud-1", name="Renamed")
        up = self.update(pb.UpdateClusterRequest(
            cluster=patch, update_mask={"paths": ["name"]},
            etag=made.etag), timeout=30)
        self.assertEqual(up.name, "Renamed")
        self.assertEqual(list(up.indicators), list(made.indicators))
        self.assertEqual(up.labels["source"], "gii2023")
        self.assertNotEqual(up.etag, made.etag)

        # Stale etag, in the request and in the cluster: ABORTED.
        e = call_error(self.update, pb.UpdateClusterRequest(
            cluster=patch, update_mask={"paths": ["name"]}, etag=made.etag))
        self.assertEqual(e.code(), grpc.StatusCode.ABORTED)
        stale = pb.Cluster(id="crud-1", name="X", etag=made.etag)
        e = call_error(self.update, pb.UpdateClusterRequest(
            cluster=stale, update_mask={"paths": ["name"]}))
        self.assertEqual(e.code(), grpc.StatusCode.ABORTED)
        self.assertEqual(self.get(pb.GetClusterRequest(id="crud-1"),
                                  timeout=30).name, "Renamed")

        e = call_error(self.update, pb.UpdateClusterRequest(
            cluster=patch, update_mask={"paths": ["no_such_field"]}))
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)

        e = call_error(self.update, pb.UpdateClusterRequest(
            cluster=cluster("crud-missing")))
        self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND)
        made2 = self.update(pb.UpdateClusterRequest(
            cluster=cluster("crud-missing"), allow_missing=True), timeout=30)
        self.assertEqual(made2.id, "crud-missing")

        e = call_error(self.delete, pb.DeleteClusterRequest(
            id="crud-1", etag=made.etag))
        self.assertEqual(e.code(), grpc.StatusCode.ABORTED)
        self.delete(pb.DeleteClusterRequest(id="crud-1"), timeout=30)
        e = call_error(self.get, pb.GetClusterRequest(id="crud-1"))
        self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND)
        e = call_error(self.delete, pb.DeleteClusterRequest(id="crud-1"))
        self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND)

    def test_invalid_ids(self):
        for bad in ["", "Upper", "-lead", "has space", "x" * 129, "é"]:
            e = call_error(self.get, pb.GetClusterRequest(id=bad))
            self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT, bad)
            self.assertIn("id", e.details())
            e = call_error(self.create,
                           pb.CreateClusterRequest(cluster=cluster(bad)))
            self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT, bad)
            self.assertIn("id", e.details())
            e = call_error(self.delete, pb.DeleteClusterRequest(id=bad))
            self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT, bad)
        e = call_error(self.create, pb.CreateClusterRequest())
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("cluster", e.details())

    def test_nonfinite_values(self):
        for v in [math.nan, math.inf, -math.inf]:
            c = cluster("nan-1")
            c.indicators[1].value = v
            e = call_error(self.create, pb.CreateClusterRequest(cluster=c))
            self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)
            self.assertIn("indicators[1]", e.details())
            c = cluster("nan-2")
            c.assessments.add(judge="j", criterion="impact", score=v)
            e = call_error(self.create, pb.CreateClusterRequest(cluster=c))
            self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)
            self.assertIn("assessments[0]", e.details())
        e = call_error(self.get, pb.GetClusterRequest(id="nan-1"))
        self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND)

    # --- list / paging ----------------------------------------------------

    def test_paging_and_filters(self):
        recs = [cluster("page-%03d" % i, economy="JP" if i % 2 else "KR",
                        region="r%d" % (i % 3), cities=["c%d" % (i % 5)],
                        industry="chem")
                for i in range(250)]
        r = self.imp(iter(recs), timeout=60)
        self.assertEqual(r.created + r.updated, 250)

        pages, token = [], ""
        while True:
            resp = self.list(pb.ListClustersRequest(
                page_size=40, page_token=token, economy="JP"), timeout=30)
            pages.append([c.id for c in resp.clusters])
            token = resp.next_page_token
            if not token:
                break
        self.assertEqual([len(p) for p in pages], [40, 40, 40, 5])
        ids = sum(pages, [])
        want = sorted(c.id for c in recs if c.economy == "JP")
        self.assertEqual(ids, want)

        self.assertEqual(
            self.list_all(economy="KR", region="r1", city="c2"),
            sorted(c.id for c in recs if c.economy == "KR" and
                   c.region == "r1" and "c2" in c.cities))

        e = call_error(self.list, pb.ListClustersRequest(page_token="bogus"))
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)
        e = call_error(self.list, pb.ListClustersRequest(page_size=-1))
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("page_size", e.details())

    # --- import / export --------------------------------------------------

    def test_import_10000_and_export(self):
        def gen():
            for i in range(10000):
                yield cluster("bulk-%05d" % i, economy="FR", n_ind=10,
                              region="idf")
        r = self.imp(gen(), timeout=300)
        self.assertEqual((r.created, r.updated, r.rejected), (10000, 0, 0))

        got = self.export(economy="FR", region="idf")
        self.assertEqual(len(got), 10000)
        self.assertEqual([c.id for c in got],
                         ["bulk-%05d" % i for i in range(10000)])
        self.assertEqual(len(got[1234].indicators), 10)
        self.assertEqual(got[1234].name, "Cluster bulk-01234")

        # Same ids again: all updates.
        r = self.imp(gen(), timeout=300)
        self.assertEqual((r.created, r.updated, r.rejected), (0, 10000, 0))

    def test_import_rejects_bad_records(self):
        good = cluster("rej-good")
        nan = cluster("rej-nan")
        nan.indicators[0].value = math.nan
        bad_id = cluster("Rej Bad")
        msgs = [good.SerializeToString(), GARBAGE, nan.SerializeToString(),
                bad_id.SerializeToString(),
                cluster("rej-good2").SerializeToString()]
        raw = SERVER.client_stream(REG + "ImportClusters", None,
                                   pb.ImportClustersResponse)
        r = raw(iter(msgs), timeout=60)
        self.assertEqual((r.created, r.rejected), (2, 3))
        by_index = {e.index: e for e in r.errors}
        self.assertEqual(sorted(by_index), [1, 2, 3])
        self.assertIn("not a valid", by_index[1].message)
        self.assertEqual(by_index[2].id, "rej-nan")
        self.assertTrue(by_index[2].field.startswith("indicators[0]"),
                        by_index[2].field)
        self.assertIn("id", by_index[3].field)
        self.assertEqual(self.get(pb.GetClusterRequest(id="rej-good2"),
                                  timeout=30).id, "rej-good2")

    def test_import_cut_off_midway(self):
        """The first batch (RPC_IMPORT_BATCH = 4096 records) commits; the
        stream is then cancelled with a partial second batch received. What
        was committed stays, whole; the rest is not stored at all."""
        batch = 4096
        sent = [cluster("cut-%05d" % i, economy="NZ", n_ind=5)
                for i in range(batch + 900)]
        release = threading.Event()

        def gen():
            for c in sent:
                yield c
            release.wait(120)  # hold the stream open, never half-close

        fut = self.imp.future(gen(), timeout=300)
        limit = time.monotonic() + 120
        while True:  # wait until the first batch is visible
            try:
                self.get(pb.GetClusterRequest(id="cut-00000"), timeout=30)
                break
            except grpc.RpcError as e:
                self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND)
            self.assertLess(time.monotonic(), limit, "first batch never "
                            "committed")
            time.sleep(0.05)
        fut.cancel()
        release.set()
        self.assertEqual(fut.code(), grpc.StatusCode.CANCELLED)

        stored = self.export(economy="NZ")
        self.assertEqual([c.id for c in stored],
                         ["cut-%05d" % i for i in range(batch)])
        for c in stored:
            want = sent[int(c.id[4:])]
            self.assertEqual((c.name, list(c.indicators)),
                             (want.name, list(want.indicators)))

    def test_export_deadline_and_cancel(self):
        recs = (cluster("dl-%05d" % i, economy="SE", n_ind=10)
                for i in range(3000))
        self.imp(recs, timeout=120)
        e = call_error(lambda **kw: list(self.exp(
            pb.ExportClustersRequest(filters={"economy": "SE"}), **kw)),
            timeout=0.001)
        self.assertEqual(e.code(), grpc.StatusCode.DEADLINE_EXCEEDED)

        stream = self.exp(pb.ExportClustersRequest(), timeout=60)
        next(stream)
        stream.cancel()
        with self.assertRaises(grpc.RpcError) as cm:
            list(stream)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.CANCELLED)
        check_serving(self)

    def test_concurrent_creates(self):
        errors = []

        def worker(t):
            try:
                for i in range(10):
                    self.create(pb.CreateClusterRequest(
                        cluster=cluster("cc-%02d-%02d" % (t, i),
                                        economy="IT")), timeout=60)
            except Exception as e:  # reported below
                errors.append(e)
        threads = [threading.Thread(target=worker, args=(t,))
                   for t in range(64)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(self.list_all(economy="IT")), 640)


def check_serving(tc, server=None):
    server = server or SERVER
    check = server.unary(HEALTH + "Check", hpb.HealthCheckRequest,
                         hpb.HealthCheckResponse)
    tc.assertEqual(check(hpb.HealthCheckRequest(), timeout=30).status,
                   hpb.HealthCheckResponse.SERVING)


class Transport(unittest.TestCase):
    # (path, shape, request class name or None for health)
    METHODS = [
        (REG + "CreateCluster", "unary"),
        (REG + "GetCluster", "unary"),
        (REG + "UpdateCluster", "unary"),
        (REG + "DeleteCluster", "unary"),
        (REG + "ListClusters", "unary"),
        (REG + "ImportClusters", "client"),
        (REG + "ExportClusters", "server"),
        ("/clusters.v1.CompetitionService/CreateCompetition", "unary"),
        ("/clusters.v1.CompetitionService/GetCompetition", "unary"),
        ("/clusters.v1.CompetitionService/ListCompetitions", "unary"),
        ("/clusters.v1.CompetitionService/DeleteCompetition", "unary"),
        ("/clusters.v1.CompetitionService/RunCompetition", "server"),
        ("/clusters.v1.CompetitionService/GetRun", "unary"),
        ("/clusters.v1.CompetitionService/ListRuns", "unary"),
        ("/clusters.v1.CompetitionService/Evaluate", "unary"),
        ("/clusters.v1.PluginService/ListPlugins", "unary"),
        ("/clusters.v1.PluginService/ReloadPlugins", "unary"),
        ("/clusters.v1.AdminService/GetServerInfo", "unary"),
        (HEALTH + "Check", "unary"),
        (HEALTH + "Watch", "server"),
    ]

    def raw(self, path, shape, payload, timeout=30):
        ch = SERVER.channel
        if shape == "unary":
            return ch.unary_unary(path)(payload, timeout=timeout)
        if shape == "server":
            return list(ch.unary_stream(path)(payload, timeout=timeout))
        return ch.stream_unary(path)(iter([payload]), timeout=timeout)

    def code_of(self, path, shape, payload):
        try:
            self.raw(path, shape, payload, timeout=5)
            return grpc.StatusCode.OK
        except grpc.RpcError as e:
            return e.code()

    def test_unknown_method_unimplemented_at_once(self):
        # A one-second deadline: a server that let the call hang would
        # answer DEADLINE_EXCEEDED instead.
        for path in ["/clusters.v1.ClusterRegistry/NoSuch", "/x.Y/Z"]:
            e = call_error(SERVER.channel.unary_unary(path), b"", timeout=1.0)
            self.assertEqual(e.code(), grpc.StatusCode.UNIMPLEMENTED)
            self.assertIn(path, e.details())
        e = call_error(lambda **kw: list(
            SERVER.channel.unary_stream("/x.Y/Stream")(b"", **kw)),
            timeout=1.0)
        self.assertEqual(e.code(), grpc.StatusCode.UNIMPLEMENTED)

    def test_undecodable_bytes_every_method(self):
        for path, shape in self.METHODS:
            if path.endswith("/Watch"):
                continue  # an empty request would watch forever
            # Every method has a handler: garbage gives INVALID_ARGUMENT.
            self.assertNotEqual(self.code_of(path, shape, b""),
                                grpc.StatusCode.UNIMPLEMENTED, path)
            with self.subTest(path=path):
                if shape == "client":
                    # A bad record in a stream is reported, not fatal.
                    r = pb.ImportClustersResponse.FromString(
                        self.raw(path, shape, GARBAGE))
                    self.assertEqual((r.rejected, r.created), (1, 0))
                    self.assertEqual(r.errors[0].index, 0)
                    continue
                code = self.code_of(path, shape, GARBAGE)
                self.assertEqual(code, grpc.StatusCode.INVALID_ARGUMENT)
        e = call_error(lambda **kw: next(iter(SERVER.channel.unary_stream(
            HEALTH + "Watch")(GARBAGE, **kw))))
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)
        check_serving(self)

    def test_oversized_message(self):
        big = cluster("big-1", name="n" * (2 << 20))
        e = call_error(SERVER.unary(REG + "CreateCluster",
                                    pb.CreateClusterRequest, pb.Cluster),
                       pb.CreateClusterRequest(cluster=big))
        self.assertEqual(e.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
        e = call_error(SERVER.client_stream(REG + "ImportClusters",
                                            pb.Cluster,
                                            pb.ImportClustersResponse),
                       iter([cluster("big-0"), big]))
        self.assertEqual(e.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
        check_serving(self)

    def test_health(self):
        check = SERVER.unary(HEALTH + "Check", hpb.HealthCheckRequest,
                             hpb.HealthCheckResponse)
        for name in ["", "clusters.v1.ClusterRegistry",
                     "clusters.v1.CompetitionService",
                     "clusters.v1.PluginService", "grpc.health.v1.Health"]:
            r = check(hpb.HealthCheckRequest(service=name), timeout=30)
            self.assertEqual(r.status, hpb.HealthCheckResponse.SERVING, name)
        e = call_error(check, hpb.HealthCheckRequest(service="no.Such"))
        self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND)

        watch = SERVER.server_stream(HEALTH + "Watch", hpb.HealthCheckRequest,
                                     hpb.HealthCheckResponse)
        w = watch(hpb.HealthCheckRequest(service=""), timeout=60)
        self.assertEqual(next(w).status, hpb.HealthCheckResponse.SERVING)
        w.cancel()
        w = watch(hpb.HealthCheckRequest(service="no.Such"), timeout=60)
        self.assertEqual(next(w).status,
                         hpb.HealthCheckResponse.SERVICE_UNKNOWN)
        w.cancel()


class Shutdown(unittest.TestCase):
    def setUp(self):
        self.srv = Server("--threads", "2")

    def tearDown(self):
        self.srv.cleanup()

    def open_import(self, n_first):
        """An import stream that sends n_first records, then waits for
        .go to be set, sends 10 more and half-closes."""
        go = threading.Event()

        def gen():
            for i in range(n_first):
                yield cluster("sd-%03d" % i)
            go.wait(120)
            for i in range(n_first, n_first + 10):
                yield cluster("sd-%03d" % i)
        imp = self.srv.client_stream(REG + "ImportClusters", pb.Cluster,
                                     pb.ImportClustersResponse)
        return imp.future(gen(), timeout=120), go

    def watch_until_not_serving(self, w):
        for r in w:
            if r.status == hpb.HealthCheckResponse.NOT_SERVING:
                return
        self.fail("watch ended before NOT_SERVING")

    def test_sigterm_lets_inflight_calls_finish(self):
        watch = self.srv.server_stream(HEALTH + "Watch",
                                       hpb.HealthCheckRequest,
                                       hpb.HealthCheckResponse)
        w = watch(hpb.HealthCheckRequest(), timeout=120)
        self.assertEqual(next(w).status, hpb.HealthCheckResponse.SERVING)
        fut, go = self.open_import(5)
        check_serving(self, self.srv)  # the import call is under way

        self.srv.signal()
        self.watch_until_not_serving(w)
        with self.assertRaises(grpc.RpcError) as cm:
            list(w)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.UNAVAILABLE)

        # In the grace period: the running call completes normally.
        go.set()
        r = fut.result()
        self.assertEqual((r.created, r.rejected), (15, 0))
        self.assertEqual(self.srv.wait(), 0)

        # Everything acknowledged survived the restart.
        self.srv.start()
        get = self.srv.unary(REG + "GetCluster", pb.GetClusterRequest,
                             pb.Cluster)
        for i in range(15):
            self.assertEqual(get(pb.GetClusterRequest(id="sd-%03d" % i),
                                 timeout=30).id, "sd-%03d" % i)
        self.assertEqual(self.srv.stop(), 0)

    def test_grace_period_over_cancels(self):
        self.srv.stop()
        self.srv.flags += ["--grace-ms", "200"]
        self.srv.start()
        fut, go = self.open_import(5)
        check_serving(self, self.srv)
        self.srv.signal()
        try:
            with self.assertRaises(grpc.RpcError) as cm:
                fut.result()
            self.assertIn(cm.exception.code(), (grpc.StatusCode.CANCELLED,
                                                grpc.StatusCode.UNAVAILABLE))
        finally:
            go.set()
        self.assertEqual(self.srv.wait(), 0)
        self.assertIn("grace period", self.srv.read_log())

    def test_sigint_idle(self):
        import signal as sig
        check_serving(self, self.srv)
        self.assertEqual(self.srv.stop(sig.SIGINT), 0)


if __name__ == "__main__":
    unittest.main()
