"""The audit trail through the real clusterd (docs/audit.md):

- a scripted sequence of writes (create, label and assessment updates,
  delete, an import of 3, a competition created, updated, run and deleted,
  the run deleted, a plugin reload) is listed by ListAuditEvents, oldest
  first, one event per write, with principal "anonymous" (no
  authentication yet), the method, the resource, the etags each call
  returned and the fields each update changed; a refused write leaves no
  event;
- filters (resource, collection, principal, time range) and paging, also
  through `clusterctl audit list`;
- refusals name the field: page_token, end_time, resource, start_time.nanos,
  page_size;
- kill -9 in the middle of concurrent writes: after a restart on the same
  data directory every acknowledged write has its event, and the events of
  each record chain etag to etag up to the stored record (the trail and the
  data were committed together).

Run by ctest with CLUSTERD_BIN, CLUSTERCTL_BIN, CLUSTERD_PROTO_DIR and
CLUSTERD_PLUGIN_BUILD_DIR set."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clusterd_harness import REG, Server, stubs, make_plugin_dir  # noqa: E402

COMP = "/clusters.v1.CompetitionService/"
PLUG = "/clusters.v1.PluginService/"
AUDIT = "/clusters.v1.AuditService/ListAuditEvents"
BUILD_DIR = os.environ["CLUSTERD_PLUGIN_BUILD_DIR"]

pb = cpb = plb = apb = None
TMP = None


def setUpModule():
    global pb, cpb, plb, apb, TMP
    pb, _, cpb, plb = stubs()
    from clusters.v1 import audit_pb2
    apb = audit_pb2
    TMP = tempfile.mkdtemp(prefix="clusterd-audit-")


def tearDownModule():
    shutil.rmtree(TMP, ignore_errors=True)


def plugin_dir(name):
    return make_plugin_dir(os.path.join(TMP, name),
                           [(BUILD_DIR, "indicator.so")], 0o700)


def list_all(srv, **kw):
    """Every event matching kw, following next_page_token."""
    call = srv.unary(AUDIT, apb.ListAuditEventsRequest,
                     apb.ListAuditEventsResponse)
    out, token = [], ""
    while True:
        r = call(apb.ListAuditEventsRequest(page_token=token, **kw),
                 timeout=30)
        out += list(r.audit_events)
        token = r.next_page_token
        if not token:
            return out


def ns_of(ts):
    return ts.seconds * 1000000000 + ts.nanos


def cluster(cid, value=1.0):
    c = pb.Cluster(id=cid, name="Cluster " + cid, economy="DE",
                   region="Bavaria", cities=["Munich"], industry="Auto")
    c.indicators.add(name="patents", year=2022, value=value)
    c.labels["tier"] = "1"
    c.labels["old"] = "x"
    return c


class Trail(unittest.TestCase):
    """One server, the scripted sequence, then reads of its trail."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server("--plugin-dir", plugin_dir("trail"), "--threads",
                         "2")
        cls.expected = cls.script(cls.srv)

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        cls.srv.cleanup()
        if rc != 0:
            raise AssertionError("clusterd exited with %d" % rc)

    @staticmethod
    def script(srv):
        """Runs the writes; returns what each event must say:
        (method, resource, etag_before, etag_after, changed_paths)."""
        u = srv.unary
        create = u(REG + "CreateCluster", pb.CreateClusterRequest, pb.Cluster)
        update = u(REG + "UpdateCluster", pb.UpdateClusterRequest, pb.Cluster)
        delete = u(REG + "DeleteCluster", pb.DeleteClusterRequest,
                   pb.DeleteClusterResponse)
        get = u(REG + "GetCluster", pb.GetClusterRequest, pb.Cluster)
        imp = srv.client_stream(REG + "ImportClusters", pb.Cluster,
                                pb.ImportClustersResponse)
        ccreate = u(COMP + "CreateCompetition", cpb.CreateCompetitionRequest,
                    cpb.Competition)
        cupdate = u(COMP + "UpdateCompetition", cpb.UpdateCompetitionRequest,
                    cpb.Competition)
        cdelete = u(COMP + "DeleteCompetition", cpb.DeleteCompetitionRequest,
                    cpb.DeleteCompetitionResponse)
        rdelete = u(COMP + "DeleteRun", cpb.DeleteRunRequest,
                    cpb.DeleteRunResponse)
        reload_ = u(PLUG + "ReloadPlugins", plb.ReloadPluginsRequest,
                    plb.ListPluginsResponse)
        t = 30
        exp = []

        a1 = create(pb.CreateClusterRequest(cluster=cluster("a")), timeout=t)
        exp.append(("CreateCluster", "clusters/a", "", a1.etag, []))
        # Refused writes leave no event.
        try:
            create(pb.CreateClusterRequest(cluster=cluster("a")), timeout=t)
            raise AssertionError("second create succeeded")
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.ALREADY_EXISTS, e
        patch = pb.Cluster(id="a")
        patch.labels["tier"] = "2"
        patch.labels["new"] = "y"
        a2 = update(pb.UpdateClusterRequest(
            cluster=patch, update_mask={"paths": ["labels"]}), timeout=t)
        exp.append(("UpdateCluster", "clusters/a", a1.etag, a2.etag,
                    ["labels.new", "labels.old", "labels.tier"]))
        patch = pb.Cluster(id="a")
        patch.assessments.add(judge="j1", criterion="governance", score=7)
        a3 = update(pb.UpdateClusterRequest(
            cluster=patch, update_mask={"paths": ["assessments"]},
            etag=a2.etag), timeout=t)
        exp.append(("UpdateCluster", "clusters/a", a2.etag, a3.etag,
                    ["assessments"]))
        delete(pb.DeleteClusterRequest(id="a", etag=a3.etag), timeout=t)
        exp.append(("DeleteCluster", "clusters/a", a3.etag, "", []))

        r = imp(iter([cluster(i, v) for i, v in
                      (("b", 3.0), ("c", 2.0), ("d", 1.0))]), timeout=t)
        assert r.created == 3, r
        for i in "bcd":
            got = get(pb.GetClusterRequest(id=i), timeout=t)
            exp.append(("ImportClusters", "clusters/" + i, "", got.etag, []))

        comp = cpb.Competition(id="k", title="Patents", edition="2024")
        crit = comp.rounds.add(name="only").criteria.add(
            id="p", plugin="indicator", weight=1)
        crit.params["indicator"] = "patents"
        k1 = ccreate(cpb.CreateCompetitionRequest(competition=comp),
                     timeout=t)
        exp.append(("CreateCompetition", "competitions/k", "", k1.etag, []))
        k2 = cupdate(cpb.UpdateCompetitionRequest(
            competition=cpb.Competition(id="k", title="Renamed")), timeout=t)
        exp.append(("UpdateCompetition", "competitions/k", k1.etag, k2.etag,
                    ["title"]))
        events = list(srv.server_stream(
            COMP + "RunCompetition", cpb.RunCompetitionRequest,
            cpb.RunEvent)(cpb.RunCompetitionRequest(competition_id="k"),
                          timeout=60))
        run = events[-1].run
        assert run.id, events[-1]
        # A run is a job: queued (the call's method), started, finished.
        exp.append(("RunCompetition", "runs/" + run.id, "", "", []))
        exp.append(("RunStarted", "runs/" + run.id, "", "", []))
        exp.append(("RunFinished", "runs/" + run.id, "", "", []))
        rdelete(cpb.DeleteRunRequest(id=run.id), timeout=t)
        exp.append(("DeleteRun", "runs/" + run.id, "", "", []))
        cdelete(cpb.DeleteCompetitionRequest(id="k"), timeout=t)
        exp.append(("DeleteCompetition", "competitions/k", k2.etag, "", []))
        reload_(plb.ReloadPluginsRequest(), timeout=t)
        exp.append(("ReloadPlugins", "plugins", "", "", []))
        return exp

    def test_each_write_in_order(self):
        evs = list_all(self.srv)
        got = [(e.method, e.resource, e.etag_before, e.etag_after,
                list(e.changed_paths)) for e in evs]
        self.assertEqual(got, self.expected)
        for i, e in enumerate(evs):
            self.assertEqual(e.principal, "anonymous")
            self.assertEqual(e.sequence, i + 1)
            if i:
                self.assertGreaterEqual(ns_of(e.time), ns_of(evs[i - 1].time))
        self.assertEqual(evs[9].detail, "competition k")
        self.assertEqual(evs[10].detail, "competition k; QUEUED -> RUNNING")
        self.assertEqual(evs[11].detail,
                         "competition k; RUNNING -> SUCCEEDED")
        self.assertEqual(evs[12].detail, "competition k")  # DeleteRun
        self.assertIn("generation 1 -> 2", evs[14].detail)
        self.assertIn("indicator", evs[14].detail)

    def test_filters(self):
        evs = list_all(self.srv)
        self.assertEqual([e.method for e in
                          list_all(self.srv, resource="clusters/a")],
                         ["CreateCluster", "UpdateCluster", "UpdateCluster",
                          "DeleteCluster"])
        self.assertEqual(len(list_all(self.srv, resource="clusters")), 7)
        self.assertEqual(len(list_all(self.srv, resource="competitions")), 3)
        self.assertEqual(len(list_all(self.srv, resource="runs")), 4)
        self.assertEqual(len(list_all(self.srv, resource="plugins")), 1)
        self.assertEqual(len(list_all(self.srv, principal="anonymous")),
                         len(evs))
        self.assertEqual(list_all(self.srv, principal="bob"), [])
        # [time of the 5th, time of the 9th): exactly the events inside.
        lo, hi = evs[4].time, evs[8].time
        want = [e.sequence for e in evs if ns_of(lo) <= ns_of(e.time) <
                ns_of(hi)]
        got = [e.sequence for e in list_all(self.srv, start_time=lo,
                                            end_time=hi)]
        self.assertEqual(got, want)
        self.assertIn(5, got)
        self.assertEqual([e.sequence for e in
                          list_all(self.srv, start_time=evs[-1].time)][-1],
                         evs[-1].sequence)

    def test_paging(self):
        evs = list_all(self.srv)
        call = self.srv.unary(AUDIT, apb.ListAuditEventsRequest,
                              apb.ListAuditEventsResponse)
        seen, token, pages = [], "", 0
        while True:
            r = call(apb.ListAuditEventsRequest(page_size=4,
                                                page_token=token), timeout=30)
            self.assertLessEqual(len(r.audit_events), 4)
            seen += [e.sequence for e in r.audit_events]
            pages += 1
            token = r.next_page_token
            if not token:
                break
        self.assertEqual(seen, [e.sequence for e in evs])
        self.assertEqual(pages, 4)  # 4 + 4 + 4 + 1
        # A token belongs to its query.
        r = call(apb.ListAuditEventsRequest(page_size=2), timeout=30)
        with self.assertRaises(grpc.RpcError) as cm:
            call(apb.ListAuditEventsRequest(page_size=2, principal="x",
                                            page_token=r.next_page_token),
                 timeout=30)
        self.assertEqual(cm.exception.code(),
                         grpc.StatusCode.INVALID_ARGUMENT)
        self.assertTrue(cm.exception.details().startswith("page_token: "))

    def test_refusals_name_the_field(self):
        call = self.srv.unary(AUDIT, apb.ListAuditEventsRequest,
                              apb.ListAuditEventsResponse)
        cases = [
            (dict(page_token="not-a-token"), "page_token: "),
            (dict(start_time={"seconds": 2000}, end_time={"seconds": 1000}),
             "end_time: "),
            (dict(resource="widgets/x"), "resource: "),
            (dict(resource="clusters/Not An Id"), "resource: "),
            (dict(start_time={"seconds": 1, "nanos": 1000000000}),
             "start_time.nanos: "),
            (dict(end_time={"seconds": -5}), "end_time: "),
            (dict(page_size=-1), "page_size: "),
            (dict(principal="a\nb"), "principal: "),
        ]
        for kw, field in cases:
            with self.subTest(kw=kw):
                with self.assertRaises(grpc.RpcError) as cm:
                    call(apb.ListAuditEventsRequest(**kw), timeout=30)
                self.assertEqual(cm.exception.code(),
                                 grpc.StatusCode.INVALID_ARGUMENT)
                self.assertTrue(cm.exception.details().startswith(field),
                                cm.exception.details())

    def test_append_only(self):
        # The service has one method, and it reads.
        import clusters.v1.audit_pb2 as m
        svc = m.DESCRIPTOR.services_by_name["AuditService"]
        self.assertEqual([x.name for x in svc.methods], ["ListAuditEvents"])

    def ctl(self, *args):
        return subprocess.run(
            [os.environ["CLUSTERCTL_BIN"], "--server", self.srv.address,
             "audit", "list"] + list(args),
            capture_output=True, text=True, timeout=60)

    def test_clusterctl(self):
        p = self.ctl("--resource", "clusters/a", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        got = json.loads(p.stdout)["auditEvents"]
        self.assertEqual([e["method"] for e in got],
                         ["CreateCluster", "UpdateCluster", "UpdateCluster",
                          "DeleteCluster"])
        self.assertEqual(got[1]["changedPaths"],
                         ["labels.new", "labels.old", "labels.tier"])
        self.assertEqual({e["principal"] for e in got}, {"anonymous"})
        p = self.ctl("--principal", "anonymous", "--all", "--page-size", "5")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertTrue(lines[0].startswith("TIME"))
        self.assertEqual(len(lines), 1 + len(self.expected))
        self.assertIn("ReloadPlugins", lines[-1])
        p = self.ctl("--csv", "--resource", "runs")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(p.stdout.splitlines()), 5)
        p = self.ctl("--since", "2030-01-01T00:00:00Z", "--until",
                     "2020-01-01T00:00:00Z")
        self.assertEqual(p.returncode, 1)
        self.assertIn("end_time", p.stderr)
        p = self.ctl("--since", "yesterday")
        self.assertEqual(p.returncode, 2)


class KillNine(unittest.TestCase):
    """The trail survives kill -9 exactly like the data."""

    def test_acknowledged_writes_keep_their_events(self):
        srv = Server("--plugin-dir", "", "--threads", "2")
        try:
            self.run_and_kill(srv)
        finally:
            srv.cleanup()

    def run_and_kill(self, srv):
        acked = {}  # (cluster id) -> [etags acknowledged, in order]
        deleted = set()
        stop = threading.Event()
        lock = threading.Lock()

        def writer(w):
            create = srv.unary(REG + "CreateCluster", pb.CreateClusterRequest,
                               pb.Cluster)
            update = srv.unary(REG + "UpdateCluster", pb.UpdateClusterRequest,
                               pb.Cluster)
            delete = srv.unary(REG + "DeleteCluster", pb.DeleteClusterRequest,
                               pb.DeleteClusterResponse)
            n = 0
            while not stop.is_set():
                cid = "w%d-%04d" % (w, n)
                n += 1
                try:
                    c = create(pb.CreateClusterRequest(
                        cluster=cluster(cid)), timeout=10)
                    with lock:
                        acked[cid] = [c.etag]
                    for v in range(3):
                        c = update(pb.UpdateClusterRequest(
                            cluster=pb.Cluster(id=cid, name="v%d" % v)),
                            timeout=10)
                        with lock:
                            acked[cid].append(c.etag)
                    if n % 3 == 0:
                        delete(pb.DeleteClusterRequest(id=cid), timeout=10)
                        with lock:
                            deleted.add(cid)
                except grpc.RpcError:
                    return  # the server is gone

        threads = [threading.Thread(target=writer, args=(w,))
                   for w in range(6)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait(30)
        stop.set()
        for t in threads:
            t.join(60)
        srv.channel.close()
        srv.log.close()
        with lock:
            acked = {k: list(v) for k, v in acked.items()}
            deleted = set(deleted)
        self.assertGreater(len(acked), 10)

        srv.start()
        evs = list_all(srv)
        get = srv.unary(REG + "GetCluster", pb.GetClusterRequest, pb.Cluster)
        lst = srv.unary(REG + "ListClusters", pb.ListClustersRequest,
                        pb.ListClustersResponse)
        stored, token = {}, ""
        while True:
            r = lst(pb.ListClustersRequest(page_size=1000, page_token=token),
                    timeout=30)
            stored.update({c.id: c.etag for c in r.clusters})
            token = r.next_page_token
            if not token:
                break
        by_res = {}
        for i, e in enumerate(evs):
            self.assertEqual(e.sequence, i + 1)
            self.assertEqual(e.principal, "anonymous")
            by_res.setdefault(e.resource, []).append(e)

        # Every acknowledged write has its event.
        for cid, etags in acked.items():
            trail = by_res.get("clusters/" + cid, [])
            after = [e.etag_after for e in trail]
            for et in etags:
                self.assertIn(et, after, cid)
            if cid in deleted:
                self.assertEqual(trail[-1].method, "DeleteCluster", cid)
        # And every event is a write the data holds: each record's events
        # chain etag to etag from its creation to what is stored now.
        for res, trail in by_res.items():
            cid = res.split("/", 1)[1]
            self.assertEqual(trail[0].method, "CreateCluster", res)
            self.assertEqual(trail[0].etag_before, "", res)
            for prev, cur in zip(trail, trail[1:]):
                self.assertEqual(cur.etag_before, prev.etag_after, res)
            last = trail[-1]
            if last.method == "DeleteCluster":
                self.assertNotIn(cid, stored, res)
            else:
                self.assertEqual(stored.get(cid), last.etag_after, res)
        for cid, etag in stored.items():
            self.assertIn("clusters/" + cid, by_res, cid)
        self.assertEqual(get(pb.GetClusterRequest(id=next(iter(stored))),
                             timeout=30).etag,
                         by_res["clusters/" + next(iter(stored))][-1]
                         .etag_after)
        self.assertEqual(srv.stop(), 0)


if __name__ == "__main__":
    unittest.main()
