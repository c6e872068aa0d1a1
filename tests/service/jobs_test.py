"""Runs as server-side jobs against the real clusterd (docs/service.md,
"Runs"): StartRun returns at once and the run goes on whatever the client
does; WatchRun from several clients; CancelRun within 1 s even while a
plugin is scoring (bk_loop spins until stopped); the time limit; the
bounded queue; DeleteRun and CancelRun refusals; ListRuns by state; the
audit events; kill -9 during a run and the restart sweep."""
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import unittest

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clusterd_harness import Server, stubs, REG, make_plugin_dir  # noqa: E402

COMP = "/clusters.v1.CompetitionService/"

BUILD_DIR = os.environ["CLUSTERD_PLUGIN_BUILD_DIR"]
BROKEN_DIR = os.environ["CLUSTERD_BROKEN_PLUGINS"]
# The 1 s bound of CancelRun is the requirement; a sanitized build gets a
# little room for its own slowness on a busy machine.
CANCEL_BOUND = float(os.environ.get("CLUSTERD_CANCEL_BOUND", "1.0"))
pb = cpb = None


def setUpModule():
    global pb, cpb
    pb, _, cpb, _ = stubs()


def plugin_dir(tmp):
    return make_plugin_dir(os.path.join(tmp, "plugins"),
                           [(BUILD_DIR, "indicator.so"),
                            (BROKEN_DIR, "bk_loop.so")])


def competition(cid, plugin, **params):
    comp = cpb.Competition(id=cid, title="jobs")
    r = comp.rounds.add(name="only")
    c = cpb.Criterion(id="c1", plugin=plugin, weight=1.0,
                      normalization=cpb.NORMALIZATION_NONE)
    for k, v in params.items():
        c.params[k] = str(v)
    r.criteria.append(c)
    if plugin == "bk_loop":
        comp.plugin_timeout.seconds = 300
    return comp


class Jobs(unittest.TestCase):
    flags = ()

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="clusterd-jobs-")
        cls.pdir = plugin_dir(cls.tmp)
        cls.srv = Server("--plugin-dir", cls.pdir, *cls.flags)
        cls.setup_data(cls.srv)

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def setup_data(cls, srv):
        create = srv.unary(REG + "CreateCluster", pb.CreateClusterRequest,
                           pb.Cluster)
        for i in range(40):
            c = pb.Cluster(id="c%02d" % i, name="C%d" % i, economy="FR")
            c.indicators.add(name="x", year=2020, value=10 + i)
            create(pb.CreateClusterRequest(cluster=c), timeout=30)
        cc = srv.unary(COMP + "CreateCompetition",
                       cpb.CreateCompetitionRequest, cpb.Competition)
        cc(cpb.CreateCompetitionRequest(
            competition=competition("fast", "indicator", indicator="x")),
            timeout=30)
        cc(cpb.CreateCompetitionRequest(
            competition=competition("slow", "bk_loop")), timeout=30)

    def u(self, name, req, resp, srv=None):
        return (srv or self.srv).unary(COMP + name, req, resp)

    def start(self, comp, srv=None, **kw):
        return self.u("StartRun", cpb.StartRunRequest, cpb.Run, srv)(
            cpb.StartRunRequest(competition_id=comp, **kw), timeout=30)

    def get(self, rid, srv=None):
        return self.u("GetRun", cpb.GetRunRequest, cpb.Run, srv)(
            cpb.GetRunRequest(id=rid), timeout=30)

    def cancel(self, rid, srv=None):
        return self.u("CancelRun", cpb.CancelRunRequest, cpb.Run, srv)(
            cpb.CancelRunRequest(id=rid), timeout=30)

    def wait_state(self, rid, states, timeout=60):
        end = time.time() + timeout
        while time.time() < end:
            r = self.get(rid)
            if r.state in states:
                return r
            time.sleep(0.05)
        self.fail("run %s never reached %s (%s)" % (rid, states, r.state))

    def test_start_returns_at_once_and_run_finishes(self):
        r = self.start("fast", sensitivity=cpb.SensitivityOptions(
            samples=2000, seed=1))
        self.assertIn(r.state, (cpb.RUN_STATE_QUEUED,))
        self.assertEqual(r.principal, "anonymous")
        self.assertEqual(r.time_limit.seconds, 3600)
        # A new connection finds it finished.
        srv2 = self.srv
        ch = srv2.make_channel()
        ch.close()
        done = self.wait_state(r.id, (cpb.RUN_STATE_SUCCEEDED,))
        self.assertTrue(done.standings)
        self.assertTrue(done.HasField("end_time"))
        self.assertTrue(done.HasField("start_time"))

    def test_client_gone_run_goes_on(self):
        """RunCompetition's client goes away: the run still finishes."""
        stream = self.srv.server_stream(
            COMP + "RunCompetition", cpb.RunCompetitionRequest,
            cpb.RunEvent)(cpb.RunCompetitionRequest(
                competition_id="slow",
                time_limit={"seconds": 2}), timeout=30)
        first = next(stream)
        self.assertEqual(first.WhichOneof("event"), "progress")
        stream.cancel()
        end = time.time() + 30
        runs = []
        while not runs and time.time() < end:
            runs = self.u("ListRuns", cpb.ListRunsRequest,
                          cpb.ListRunsResponse)(cpb.ListRunsRequest(
                              competition_id="slow",
                              state=cpb.RUN_STATE_RUNNING), timeout=30).runs
            time.sleep(0.05)
        self.assertEqual(len(runs), 1)
        # The run ends on its time limit, not with the client.
        r = self.wait_state(runs[-1].id, (cpb.RUN_STATE_FAILED,))
        self.assertEqual(r.error.code, grpc.StatusCode.DEADLINE_EXCEEDED
                         .value[0])
        self.assertIn("time limit of 2s", r.error.message)
        self.assertIn("--run-timeout-max", r.error.message)

    def test_cancel_running_within_bound(self):
        r = self.start("slow")
        self.wait_state(r.id, (cpb.RUN_STATE_RUNNING,))
        time.sleep(0.3)  # the plugin is scoring (spinning)
        t0 = time.monotonic()
        got = self.cancel(r.id)
        took = time.monotonic() - t0
        self.assertEqual(got.state, cpb.RUN_STATE_CANCELLED)
        self.assertLess(took, CANCEL_BOUND)
        self.assertIn("cancelled by anonymous", got.error.message)
        # Cancelled again, or deleted while running: refused.
        with self.assertRaises(grpc.RpcError) as e:
            self.cancel(r.id)
        self.assertEqual(e.exception.code(),
                         grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("CANCELLED", e.exception.details())

    def test_cancel_finished_and_delete_running(self):
        r = self.start("fast")
        self.wait_state(r.id, (cpb.RUN_STATE_SUCCEEDED,))
        with self.assertRaises(grpc.RpcError) as e:
            self.cancel(r.id)
        self.assertEqual(e.exception.code(),
                         grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("SUCCEEDED", e.exception.details())
        s = self.start("slow")
        self.wait_state(s.id, (cpb.RUN_STATE_RUNNING,))
        with self.assertRaises(grpc.RpcError) as e:
            self.u("DeleteRun", cpb.DeleteRunRequest, cpb.DeleteRunResponse)(
                cpb.DeleteRunRequest(id=s.id), timeout=30)
        self.assertEqual(e.exception.code(),
                         grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("cancel it first", e.exception.details())
        self.cancel(s.id)
        with self.assertRaises(grpc.RpcError) as e:
            self.cancel("nope-1")
        self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)

    def test_watch_from_two_clients(self):
        r = self.start("slow", time_limit={"seconds": 2})
        results = {}

        def watch(k):
            ch = self.srv.make_channel()
            call = ch.unary_stream(
                COMP + "WatchRun",
                request_serializer=cpb.WatchRunRequest.SerializeToString,
                response_deserializer=cpb.RunEvent.FromString)
            evs = list(call(cpb.WatchRunRequest(id=r.id), timeout=60))
            results[k] = evs
            ch.close()
        ts = [threading.Thread(target=watch, args=(k,)) for k in (1, 2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        for k in (1, 2):
            evs = results[k]
            self.assertGreaterEqual(len(evs), 2)
            self.assertEqual(evs[0].WhichOneof("event"), "progress")
            self.assertEqual(evs[-1].WhichOneof("event"), "run")
            self.assertEqual(evs[-1].run.state, cpb.RUN_STATE_FAILED)
        # Watching a finished run: the Run at once.
        evs = list(self.srv.server_stream(
            COMP + "WatchRun", cpb.WatchRunRequest, cpb.RunEvent)(
                cpb.WatchRunRequest(id=r.id), timeout=30))
        self.assertEqual(len(evs), 1)
        self.assertEqual(evs[0].run.id, r.id)

    def test_time_limit_refused_above_max(self):
        with self.assertRaises(grpc.RpcError) as e:
            self.start("fast", time_limit={"seconds": 90000})
        self.assertEqual(e.exception.code(),
                         grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("--run-timeout-max", e.exception.details())
        with self.assertRaises(grpc.RpcError) as e:
            self.start("nope")
        self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)

    def test_list_state_and_audit(self):
        r = self.start("fast")
        self.wait_state(r.id, (cpb.RUN_STATE_SUCCEEDED,))
        runs = self.u("ListRuns", cpb.ListRunsRequest, cpb.ListRunsResponse)(
            cpb.ListRunsRequest(state=cpb.RUN_STATE_SUCCEEDED),
            timeout=30).runs
        self.assertIn(r.id, [x.id for x in runs])
        self.assertTrue(all(x.state == cpb.RUN_STATE_SUCCEEDED
                            for x in runs))
        from clusters.v1 import audit_pb2
        evs = self.srv.unary("/clusters.v1.AuditService/ListAuditEvents",
                             audit_pb2.ListAuditEventsRequest,
                             audit_pb2.ListAuditEventsResponse)(
            audit_pb2.ListAuditEventsRequest(resource="runs/" + r.id),
            timeout=30).audit_events
        self.assertEqual([e.method for e in evs],
                         ["StartRun", "RunStarted", "RunFinished"])
        self.assertIn("RUNNING -> SUCCEEDED", evs[-1].detail)


class Queue(unittest.TestCase):
    def test_queue_full(self):
        tmp = tempfile.mkdtemp(prefix="clusterd-jobs-q-")
        srv = Server("--plugin-dir", plugin_dir(tmp), "--run-workers", "1",
                     "--run-queue", "1")
        try:
            Jobs.setup_data(srv)
            st = srv.unary(COMP + "StartRun", cpb.StartRunRequest, cpb.Run)
            a = st(cpb.StartRunRequest(competition_id="slow"), timeout=30)
            end = time.time() + 30
            while srv.unary(COMP + "GetRun", cpb.GetRunRequest, cpb.Run)(
                    cpb.GetRunRequest(id=a.id), timeout=30).state != \
                    cpb.RUN_STATE_RUNNING and time.time() < end:
                time.sleep(0.05)
            b = st(cpb.StartRunRequest(competition_id="slow"), timeout=30)
            self.assertEqual(b.state, cpb.RUN_STATE_QUEUED)
            with self.assertRaises(grpc.RpcError) as e:
                st(cpb.StartRunRequest(competition_id="slow"), timeout=30)
            self.assertEqual(e.exception.code(),
                             grpc.StatusCode.RESOURCE_EXHAUSTED)
            self.assertEqual(e.exception.details(), "run queue is full (1 "
                             "runs waiting); try again later")
            # A queued run is cancelled at once.
            c = srv.unary(COMP + "CancelRun", cpb.CancelRunRequest,
                          cpb.Run)(cpb.CancelRunRequest(id=b.id), timeout=30)
            self.assertEqual(c.state, cpb.RUN_STATE_CANCELLED)
            # SIGTERM: the running run is stored CANCELLED.
            self.assertEqual(srv.stop(), 0)
            srv.start()  # the same data directory
            r = srv.unary(COMP + "GetRun", cpb.GetRunRequest, cpb.Run)(
                cpb.GetRunRequest(id=a.id), timeout=30)
            self.assertEqual(r.state, cpb.RUN_STATE_CANCELLED)
            self.assertEqual(r.error.message, "server stopping")
            srv.stop()
        finally:
            srv.cleanup()
            shutil.rmtree(tmp, ignore_errors=True)

    def test_kill9_restart_sweep(self):
        tmp = tempfile.mkdtemp(prefix="clusterd-jobs-k-")
        srv = Server("--plugin-dir", plugin_dir(tmp))
        try:
            Jobs.setup_data(srv)
            a = srv.unary(COMP + "StartRun", cpb.StartRunRequest, cpb.Run)(
                cpb.StartRunRequest(competition_id="slow"), timeout=30)
            time.sleep(0.5)
            srv.signal(signal.SIGKILL)
            srv.proc.wait()
            srv.log.close()
            srv.start()  # the same data directory
            r = srv.unary(COMP + "GetRun", cpb.GetRunRequest, cpb.Run)(
                cpb.GetRunRequest(id=a.id), timeout=30)
            self.assertEqual(r.state, cpb.RUN_STATE_FAILED)
            self.assertEqual(r.error.code,
                             grpc.StatusCode.UNAVAILABLE.value[0])
            self.assertIn("server restarted", r.error.message)
            self.assertIn("marked FAILED (server restarted)",
                          srv.read_log())
            srv.stop()
        finally:
            srv.cleanup()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
