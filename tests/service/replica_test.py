"""Read-only replicas through the real clusterd (docs/operations.md,
"Read-only replicas"):

- a replica restored from a backup of a primary answers every read as
  the primary does (clusters, competitions, runs, standings,
  explanations, the audit trail, plugins, health) and runs Evaluate over
  the same data version;
- every method marked `writes` in the method table, and only those, is
  refused FAILED_PRECONDITION naming the primary (--primary), or saying
  "send writes to the primary" without it; nothing is written: the data
  file is byte for byte what was restored, the trail does not grow
  (ReloadPlugins and Backup on a replica are logged instead);
- a replica can be backed up itself;
- start-up refusals: no data directory, an empty one;
- deploy/replica-sync.sh end to end: a backup of the primary restored
  into a new directory, DATA_ROOT/current switched to it, the replica
  restarted sees a write made on the primary since; old snapshots
  pruned; a failed sync leaves the replica's directory as it was; runs
  never overlap.

Run by ctest with CLUSTERD_BIN, CLUSTERCTL_BIN, CLUSTERD_PROTO_DIR,
CLUSTERD_PLUGIN_BUILD_DIR and CLUSTERD_SOURCE_DIR set."""

import fcntl
import hashlib
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import grpc
from google.protobuf import descriptor_pb2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clusterd_harness import REG, Server, stubs, make_plugin_dir  # noqa: E402

BIN = os.environ["CLUSTERD_BIN"]
CTL = os.environ["CLUSTERCTL_BIN"]
BUILD_DIR = os.environ["CLUSTERD_PLUGIN_BUILD_DIR"]
SYNC = os.path.join(os.environ["CLUSTERD_SOURCE_DIR"], "deploy",
                    "replica-sync.sh")
COMP = "/clusters.v1.CompetitionService/"
PLUG = "/clusters.v1.PluginService/"
ADMIN = "/clusters.v1.AdminService/"
AUDIT = "/clusters.v1.AuditService/ListAuditEvents"
FP = grpc.StatusCode.FAILED_PRECONDITION

# The methods marked `writes` in service/rpc_method.c (test_rpc_method.c
# checks the table against this same list).
WRITES = {
    "clusters.v1.ClusterRegistry/CreateCluster",
    "clusters.v1.ClusterRegistry/UpdateCluster",
    "clusters.v1.ClusterRegistry/DeleteCluster",
    "clusters.v1.ClusterRegistry/ImportClusters",
    "clusters.v1.CompetitionService/CreateCompetition",
    "clusters.v1.CompetitionService/UpdateCompetition",
    "clusters.v1.CompetitionService/DeleteCompetition",
    "clusters.v1.CompetitionService/RunCompetition",
    "clusters.v1.CompetitionService/StartRun",
    "clusters.v1.CompetitionService/CancelRun",
    "clusters.v1.CompetitionService/DeleteRun",
}

pb = cpb = plb = apb = adm = health_pb2 = None
TMP = None


def setUpModule():
    global pb, cpb, plb, apb, adm, health_pb2, TMP
    pb, health_pb2, cpb, plb = stubs()
    from clusters.v1 import admin_pb2, audit_pb2
    adm, apb = admin_pb2, audit_pb2
    TMP = tempfile.mkdtemp(prefix="clusterd-replica-")


def tearDownModule():
    shutil.rmtree(TMP, ignore_errors=True)


def plugin_dir(name):
    return make_plugin_dir(os.path.join(TMP, name),
                           [(BUILD_DIR, "indicator.so")], 0o700)


def server_methods():
    """Every method of the protos and health: {"svc/Method": (client
    streaming, server streaming)}."""
    vdir = os.path.join(os.environ["CLUSTERD_PROTO_DIR"], "clusters", "v1")
    mods = [(importlib.import_module("clusters.v1.%s_pb2" % f[:-6]),
             "clusters.v1")
            for f in sorted(os.listdir(vdir)) if f.endswith(".proto")]
    out = {}
    for mod, pkg in mods + [(health_pb2, "grpc.health.v1")]:
        for name, svc in mod.DESCRIPTOR.services_by_name.items():
            sp = descriptor_pb2.ServiceDescriptorProto()
            svc.CopyToProto(sp)
            for m in sp.method:
                out["%s.%s/%s" % (pkg, name, m.name)] = (
                    m.client_streaming, m.server_streaming)
    return out


def call_empty(srv, method, shape, timeout=30):
    """Calls method with an empty request (or stream); (code, details)."""
    path = "/" + method
    client_stream, server_stream = shape
    try:
        if client_stream:
            srv.channel.stream_unary(path)(iter([]), timeout=timeout)
        elif server_stream:
            it = srv.channel.unary_stream(path)(b"", timeout=timeout)
            for _ in it:
                it.cancel()
                break
        else:
            srv.channel.unary_unary(path)(b"", timeout=timeout)
        return grpc.StatusCode.OK, ""
    except grpc.RpcError as e:
        return e.code(), e.details() or ""


def ctl(addr, *args):
    return subprocess.run([CTL, "--server", addr] + list(args),
                          capture_output=True, text=True, timeout=300)


def backup_restore(srv, name):
    """A backup of srv restored into TMP/name; the directory."""
    path = os.path.join(TMP, name + ".cdbak")
    r = ctl(srv.address, "admin", "backup", path)
    assert r.returncode == 0, r.stderr
    target = os.path.join(TMP, name)
    r = subprocess.run([BIN, "--restore", path, "--data-dir", target],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return target


def sha_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def cluster(cid, value, economy="DE"):
    c = pb.Cluster(id=cid, name="Cluster " + cid, economy=economy,
                   region="Bavaria", cities=["Munich"], industry="Auto")
    c.indicators.add(name="patents", year=2022, value=value)
    c.assessments.add(judge="j1", criterion="governance", score=value % 10)
    return c


def competition():
    comp = cpb.Competition(id="k", title="Patents", edition="2024")
    crit = comp.rounds.add(name="only").criteria.add(
        id="p", plugin="indicator", weight=1)
    crit.params["indicator"] = "patents"
    return comp


def audit_all(srv):
    call = srv.unary(AUDIT, apb.ListAuditEventsRequest,
                     apb.ListAuditEventsResponse)
    out, token = [], ""
    while True:
        r = call(apb.ListAuditEventsRequest(page_token=token, page_size=1000),
                 timeout=60)
        out += list(r.audit_events)
        token = r.next_page_token
        if not token:
            return out


class Replica(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.primary = Server("--plugin-dir", plugin_dir("primary"),
                             "--threads", "2")
        p = cls.primary
        imp = p.client_stream(REG + "ImportClusters", pb.Cluster,
                              pb.ImportClustersResponse)
        imp(iter([cluster("c%03d" % i, float(i), "DE" if i % 2 else "FR")
                  for i in range(40)]), timeout=60)
        p.unary(COMP + "CreateCompetition", cpb.CreateCompetitionRequest,
                cpb.Competition)(cpb.CreateCompetitionRequest(
                    competition=competition()), timeout=30)
        events = list(p.server_stream(
            COMP + "RunCompetition", cpb.RunCompetitionRequest,
            cpb.RunEvent)(cpb.RunCompetitionRequest(competition_id="k"),
                          timeout=120))
        cls.run_id = events[-1].run.id
        assert cls.run_id
        cls.dir = backup_restore(p, "replica-data")
        cls.data_sha = sha_file(os.path.join(cls.dir, "data.mdb"))
        cls.replica = Server("--data-dir", cls.dir, "--read-only",
                             "--primary", p.address, "--plugin-dir",
                             plugin_dir("replica"), "--threads", "2")

    @classmethod
    def tearDownClass(cls):
        for s in (cls.replica, cls.primary):
            rc = s.stop()
            s.cleanup()
            if rc != 0:
                raise AssertionError("clusterd exited with %d" % rc)
        # Nothing the replica was asked wrote to its data file.
        if sha_file(os.path.join(cls.dir, "data.mdb")) != cls.data_sha:
            raise AssertionError("the replica's data.mdb changed")

    def both(self, path, req_cls, resp_cls, req, stream=False):
        out = []
        for s in (self.primary, self.replica):
            if stream:
                out.append([m.SerializeToString() for m in s.server_stream(
                    path, req_cls, resp_cls)(req, timeout=60)])
            else:
                out.append(s.unary(path, req_cls, resp_cls)(
                    req, timeout=60).SerializeToString())
        return out

    def test_reads_as_the_primary(self):
        reads = [
            (REG + "GetCluster", pb.GetClusterRequest, pb.Cluster,
             pb.GetClusterRequest(id="c007"), False),
            (REG + "ListClusters", pb.ListClustersRequest,
             pb.ListClustersResponse,
             pb.ListClustersRequest(page_size=7, economy="DE"), False),
            (REG + "ExportClusters", pb.ExportClustersRequest, pb.Cluster,
             pb.ExportClustersRequest(), True),
            (COMP + "GetCompetition", cpb.GetCompetitionRequest,
             cpb.Competition, cpb.GetCompetitionRequest(id="k"), False),
            (COMP + "ListCompetitions", cpb.ListCompetitionsRequest,
             cpb.ListCompetitionsResponse, cpb.ListCompetitionsRequest(),
             False),
            (COMP + "GetRun", cpb.GetRunRequest, cpb.Run,
             cpb.GetRunRequest(id=self.run_id), False),
            (COMP + "ListRuns", cpb.ListRunsRequest, cpb.ListRunsResponse,
             cpb.ListRunsRequest(competition_id="k"), False),
            (COMP + "WatchRun", cpb.WatchRunRequest, cpb.RunEvent,
             cpb.WatchRunRequest(id=self.run_id), True),
            (COMP + "ListStandings", cpb.ListStandingsRequest,
             cpb.ListStandingsResponse,
             cpb.ListStandingsRequest(run_id=self.run_id, page_size=10),
             False),
            (COMP + "ExplainStanding", cpb.ExplainStandingRequest,
             cpb.Explanation,
             cpb.ExplainStandingRequest(run_id=self.run_id,
                                        cluster_id="c017"), False),
            (PLUG + "ListPlugins", plb.ListPluginsRequest,
             plb.ListPluginsResponse, plb.ListPluginsRequest(), False),
            ("/grpc.health.v1.Health/Check", health_pb2.HealthCheckRequest,
             health_pb2.HealthCheckResponse,
             health_pb2.HealthCheckRequest(), False),
        ]
        for path, qc, rc, req, stream in reads:
            with self.subTest(method=path):
                a, b = self.both(path, qc, rc, req, stream)
                self.assertEqual(a, b)
                self.assertTrue(b)
        # The trail: the primary's less what it recorded after the copy.
        prim = [e for e in audit_all(self.primary)
                if e.resource != "store"]
        self.assertEqual([e.SerializeToString() for e in prim],
                         [e.SerializeToString()
                          for e in audit_all(self.replica)])

    def test_evaluate(self):
        ev = [s.unary(COMP + "Evaluate", cpb.EvaluateRequest, cpb.Run)(
            cpb.EvaluateRequest(competition=competition()), timeout=120)
            for s in (self.primary, self.replica)]
        self.assertEqual(ev[0].data_version, ev[1].data_version)
        self.assertGreater(ev[1].data_version, 0)
        self.assertEqual([(s.cluster_id, s.rank, s.score)
                          for s in ev[0].standings],
                         [(s.cluster_id, s.rank, s.score)
                          for s in ev[1].standings])
        self.assertEqual(len(ev[1].standings), 40)

    def test_server_info_names_the_primary(self):
        # GetServerInfo tells a client where writes go, and that the data
        # is the primary's at the backup's version.
        info = [s.unary(ADMIN + "GetServerInfo", adm.GetServerInfoRequest,
                        adm.ServerInfo)(adm.GetServerInfoRequest(),
                                        timeout=30)
                for s in (self.primary, self.replica)]
        self.assertFalse(info[0].read_only)
        self.assertEqual(info[0].primary, "")
        self.assertTrue(info[1].read_only)
        self.assertEqual(info[1].primary, self.primary.address)
        self.assertLessEqual(info[1].data_version, info[0].data_version)
        self.assertGreater(info[1].data_version, 0)

    def test_every_write_refused_naming_the_primary(self):
        methods = server_methods()
        self.assertTrue(WRITES <= set(methods))
        refused = set()
        for method, shape in sorted(methods.items()):
            code, msg = call_empty(self.replica, method, shape)
            if "read-only replica" in msg:
                refused.add(method)
                self.assertEqual(code, FP, method)
                self.assertEqual(
                    msg, "%s: this server is a read-only replica; send "
                    "writes to the primary at %s" % (
                        method.split("/")[1], self.primary.address))
        self.assertEqual(refused, WRITES)
        # With real requests too: refused before anything is looked at.
        n = len(audit_all(self.replica))
        create = self.replica.unary(REG + "CreateCluster",
                                    pb.CreateClusterRequest, pb.Cluster)
        with self.assertRaises(grpc.RpcError) as cm:
            create(pb.CreateClusterRequest(cluster=cluster("new", 1.0)),
                   timeout=30)
        self.assertEqual(cm.exception.code(), FP)
        start = self.replica.unary(COMP + "StartRun", cpb.StartRunRequest,
                                   cpb.Run)
        with self.assertRaises(grpc.RpcError) as cm:
            start(cpb.StartRunRequest(competition_id="k"), timeout=30)
        self.assertEqual(cm.exception.code(), FP)
        r = ctl(self.replica.address, "cluster", "delete", "c001")
        self.assertEqual(r.returncode, 1)
        self.assertIn("FAILED_PRECONDITION: DeleteCluster: this server is "
                      "a read-only replica; send writes to the primary at "
                      + self.primary.address, r.stderr)
        get = self.replica.unary(REG + "GetCluster", pb.GetClusterRequest,
                                 pb.Cluster)
        with self.assertRaises(grpc.RpcError) as cm:
            get(pb.GetClusterRequest(id="new"), timeout=30)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.NOT_FOUND)
        self.assertEqual(len(audit_all(self.replica)), n)

    def test_reload_and_backup_write_nothing(self):
        n = len(audit_all(self.replica))
        self.replica.unary(PLUG + "ReloadPlugins", plb.ReloadPluginsRequest,
                           plb.ListPluginsResponse)(
                               plb.ReloadPluginsRequest(), timeout=30)
        again = backup_restore(self.replica, "replica-of-replica")
        self.assertEqual(len(audit_all(self.replica)), n)
        log = self.replica.read_log()
        self.assertIn("audit: ReloadPlugins of plugins by anonymous", log)
        self.assertIn("audit: Backup of store by anonymous: data version",
                      log)
        self.assertIn("(read-only replica: logged, not stored)", log)
        # The replica's backup holds what the replica serves.
        other = Server("--data-dir", again, "--read-only", "--plugin-dir",
                       "")
        try:
            call = REG + "ExportClusters"
            a = [c.SerializeToString() for c in other.server_stream(
                call, pb.ExportClustersRequest, pb.Cluster)(
                    pb.ExportClustersRequest(), timeout=60)]
            b = [c.SerializeToString() for c in self.replica.server_stream(
                call, pb.ExportClustersRequest, pb.Cluster)(
                    pb.ExportClustersRequest(), timeout=60)]
            self.assertEqual(a, b)
            # Without --primary the refusal still says where writes go.
            code, msg = call_empty(
                other, "clusters.v1.ClusterRegistry/CreateCluster",
                (False, False))
            self.assertEqual(code, FP)
            self.assertEqual(msg, "CreateCluster: this server is a "
                             "read-only replica; send writes to the primary")
        finally:
            other.stop()
            other.cleanup()

    def test_start_refusals(self):
        missing = os.path.join(TMP, "no-such-dir")
        r = subprocess.run([BIN, "--read-only", "--data-dir", missing,
                            "--listen", "127.0.0.1:0", "--plugin-dir", ""],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn("data directory %s does not exist" % missing,
                      r.stderr)
        self.assertFalse(os.path.exists(missing))
        empty = os.path.join(TMP, "empty-dir")
        os.mkdir(empty, 0o700)
        r = subprocess.run([BIN, "--read-only", "--data-dir", empty,
                            "--listen", "127.0.0.1:0", "--plugin-dir", ""],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no store to serve read-only", r.stderr)
        self.assertIn("clusterd --restore", r.stderr)
        r = subprocess.run([BIN, "--primary", "db1:50051"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--primary db1:50051 is for a read-only replica",
                      r.stderr)


class Sync(unittest.TestCase):
    """deploy/replica-sync.sh with a real primary and replica."""

    def sync(self, primary_addr, root, restart=None, keep=None):
        env = dict(os.environ, CLUSTERCTL=CTL, CLUSTERD=BIN)
        env.pop("REPLICA_RESTART", None)
        if restart:
            env["REPLICA_RESTART"] = restart
        if keep is not None:
            env["KEEP"] = str(keep)
        return subprocess.run(["bash", SYNC, primary_addr, root],
                              capture_output=True, text=True, env=env,
                              timeout=300)

    def test_sync_end_to_end(self):
        primary = Server("--plugin-dir", "", "--threads", "2")
        replica = None
        root = os.path.join(TMP, "root")
        try:
            create = primary.unary(REG + "CreateCluster",
                                   pb.CreateClusterRequest, pb.Cluster)
            create(pb.CreateClusterRequest(cluster=cluster("first", 1.0)),
                   timeout=30)
            r = self.sync(primary.address, root)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("REPLICA_RESTART not set", r.stdout)
            current = os.path.join(root, "current")
            self.assertTrue(os.path.islink(current))
            replica = Server("--data-dir", current, "--read-only",
                             "--primary", primary.address, "--plugin-dir",
                             "")
            get = lambda s, cid: s.unary(  # noqa: E731
                REG + "GetCluster", pb.GetClusterRequest, pb.Cluster)(
                    pb.GetClusterRequest(id=cid), timeout=30)
            self.assertEqual(get(replica, "first").id, "first")
            # A write on the primary, then a sync that restarts the
            # replica: it serves the write.
            create(pb.CreateClusterRequest(cluster=cluster("second", 2.0)),
                   timeout=30)
            with self.assertRaises(grpc.RpcError):
                get(replica, "second")
            r = self.sync(primary.address, root,
                          restart="kill -TERM %d" % replica.proc.pid)
            self.assertEqual(r.returncode, 0, r.stderr)
            for w in ("backup of %s: data version 2" % primary.address,
                      "restore into", "(checked)", "switch:", "restart:",
                      "lag: data version 2 serves"):
                self.assertIn(w, r.stdout)
            self.assertEqual(replica.wait(60), 0)
            replica.start()
            self.assertEqual(get(replica, "second").id, "second")
            self.assertEqual(get(replica, "first").id, "first")
            # A third: the oldest snapshot and backup go (KEEP=1).
            create(pb.CreateClusterRequest(cluster=cluster("third", 3.0)),
                   timeout=30)
            r = self.sync(primary.address, root,
                          restart="kill -TERM %d" % replica.proc.pid)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("removed", r.stdout)
            replica.wait(60)
            replica.start()
            self.assertEqual(get(replica, "third").id, "third")
            snaps = sorted(d for d in os.listdir(root)
                           if d.startswith("snap-"))
            self.assertEqual(len(snaps), 2)
            self.assertEqual(os.readlink(current), snaps[-1])
            self.assertEqual(len(os.listdir(os.path.join(root, "backups"))),
                             2)
            # A sync that fails (no primary there) switches nothing.
            r = self.sync("127.0.0.1:1", root)
            self.assertNotEqual(r.returncode, 0)
            self.assertEqual(os.readlink(current), snaps[-1])
            self.assertEqual(sorted(d for d in os.listdir(root)
                                    if d.startswith("snap-")), snaps)
            # Runs never overlap.
            with open(os.path.join(root, ".replica-sync.lock"), "w") as f:
                fcntl.flock(f, fcntl.LOCK_EX)
                r = self.sync(primary.address, root)
                self.assertEqual(r.returncode, 1)
                self.assertIn("another sync", r.stderr)
            self.assertEqual(os.readlink(current), snaps[-1])
            # The replica still refuses writes, naming the primary.
            with self.assertRaises(grpc.RpcError) as cm:
                replica.unary(REG + "CreateCluster", pb.CreateClusterRequest,
                              pb.Cluster)(pb.CreateClusterRequest(
                                  cluster=cluster("x", 1.0)), timeout=30)
            self.assertIn(primary.address, cm.exception.details())
        finally:
            if replica:
                replica.stop()
                replica.cleanup()
            primary.stop()
            primary.cleanup()


if __name__ == "__main__":
    unittest.main()
