"""clusterd under valgrind: every kind of call, then SIGTERM; valgrind must
report no error and no leak beyond tests/valgrind.supp (it exits with 99
otherwise). Registered only for builds without sanitizers."""

import hashlib
import os
import struct
import subprocess
import sys
import tempfile
import unittest

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clusterd_harness import HEALTH, REG, Server, stubs  # noqa: E402

SUPP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                    "valgrind.supp")
ADMIN = "/clusters.v1.AdminService/"


def backup_file(path, chunks):
    """The backup file (docs/operations.md) of a Backup stream."""
    h = chunks[0].header.SerializeToString()
    t = chunks[-1].trailer.SerializeToString()
    body = (b"CDBACKUP" + struct.pack(">II", 1, len(h)) + h +
            b"".join(c.data for c in chunks[1:-1]) + t +
            struct.pack(">I", len(t)))
    with open(path, "wb") as f:
        f.write(body + hashlib.sha256(body).digest() + b"CDBKEND\n")
    return body


class Valgrind(unittest.TestCase):
    def test_clean_exit(self):
        pb, hpb, _, _ = stubs()
        os.environ["CLUSTERD_WRAPPER"] = (
            "valgrind --leak-check=full "
            "--show-leak-kinds=definite,possible "
            "--errors-for-leak-kinds=definite,possible --error-exitcode=99 "
            "--suppressions=" + SUPP)
        srv = Server("--threads", "2", "--max-message-bytes", "64k",
                     start_timeout=120)
        try:
            create = srv.unary(REG + "CreateCluster", pb.CreateClusterRequest,
                               pb.Cluster)
            c = pb.Cluster(id="vg-1", name="V", economy="DE")
            c.indicators.add(name="x", year=2020, value=1)
            create(pb.CreateClusterRequest(cluster=c), timeout=60)
            with self.assertRaises(grpc.RpcError):
                create(pb.CreateClusterRequest(cluster=c), timeout=60)
            get = srv.unary(REG + "GetCluster", pb.GetClusterRequest,
                            pb.Cluster)
            self.assertEqual(get(pb.GetClusterRequest(id="vg-1"),
                                 timeout=60).name, "V")
            with self.assertRaises(grpc.RpcError):
                srv.channel.unary_unary(REG + "GetCluster")(b"\x0a\x05ab",
                                                           timeout=60)
            # INVALID_ARGUMENT naming a field: the error details trailer.
            with self.assertRaises(grpc.RpcError) as e:
                get(pb.GetClusterRequest(id="Bad Id"), timeout=60)
            self.assertIn("grpc-status-details-bin",
                          dict(e.exception.trailing_metadata()))
            with self.assertRaises(grpc.RpcError):
                srv.channel.unary_unary("/x.Y/Z")(b"", timeout=60)
            with self.assertRaises(grpc.RpcError):
                create(pb.CreateClusterRequest(
                    cluster=pb.Cluster(id="big", name="n" * 100000)),
                    timeout=60)
            imp = srv.client_stream(REG + "ImportClusters", pb.Cluster,
                                    pb.ImportClustersResponse)
            r = imp((pb.Cluster(id="vg-%04d" % i, name="n", economy="FR")
                     for i in range(500)), timeout=120)
            self.assertEqual(r.created, 500)
            exp = srv.server_stream(REG + "ExportClusters",
                                    pb.ExportClustersRequest, pb.Cluster)
            self.assertEqual(len(list(exp(pb.ExportClustersRequest(),
                                          timeout=120))), 501)
            # Backup: one whole stream, one cancelled after its header.
            from clusters.v1 import admin_pb2 as adm
            bk = srv.server_stream(ADMIN + "Backup", adm.BackupRequest,
                                   adm.BackupChunk)
            chunks = list(bk(adm.BackupRequest(), timeout=300))
            self.assertEqual(chunks[-1].WhichOneof("part"), "trailer")
            it = bk(adm.BackupRequest(), timeout=300)
            next(it)
            it.cancel()
            watch = srv.server_stream(HEALTH + "Watch",
                                      hpb.HealthCheckRequest,
                                      hpb.HealthCheckResponse)
            w = watch(hpb.HealthCheckRequest(), timeout=120)
            next(w)
            rc = srv.stop(timeout=300)
            log = srv.read_log()
            self.assertIn("Memcheck", log)  # valgrind really ran it
            self.assertEqual(rc, 0, log[-5000:])
            self.assertIn("ERROR SUMMARY: 0 errors", log)
            self.restore_and_replica(pb, chunks)
        finally:
            del os.environ["CLUSTERD_WRAPPER"]
            srv.cleanup()

    def restore_and_replica(self, pb, chunks):
        """clusterd --restore (a good file, a damaged one) and a read-only
        replica on the result, each under valgrind."""
        tmp = tempfile.mkdtemp(prefix="clusterd-vg-")
        wrap = os.environ["CLUSTERD_WRAPPER"].split()
        good = os.path.join(tmp, "good.cdbak")
        body = backup_file(good, chunks)
        bad = os.path.join(tmp, "bad.cdbak")
        with open(bad, "wb") as f:
            f.write(body[:-100] + b"x" + body[-99:] +
                    hashlib.sha256(body).digest() + b"CDBKEND\n")
        for path, target, status in ((bad, "bad", 1), (good, "data", 0)):
            r = subprocess.run(wrap + [os.environ["CLUSTERD_BIN"],
                                       "--restore", path, "--data-dir",
                                       os.path.join(tmp, target)],
                               capture_output=True, text=True, timeout=600)
            self.assertEqual(r.returncode, status, r.stderr[-3000:])
            self.assertIn("ERROR SUMMARY: 0 errors", r.stderr)
        rep = Server("--read-only", "--data-dir", os.path.join(tmp, "data"),
                     start_timeout=120)
        try:
            create = rep.unary(REG + "CreateCluster",
                               pb.CreateClusterRequest, pb.Cluster)
            with self.assertRaises(grpc.RpcError) as e:
                create(pb.CreateClusterRequest(
                    cluster=pb.Cluster(id="x", name="x")), timeout=60)
            self.assertEqual(e.exception.code(),
                             grpc.StatusCode.FAILED_PRECONDITION)
            exp = rep.server_stream(REG + "ExportClusters",
                                    pb.ExportClustersRequest, pb.Cluster)
            self.assertEqual(len(list(exp(pb.ExportClustersRequest(),
                                          timeout=120))), 501)
            rc = rep.stop(timeout=300)
            log = rep.read_log()
            self.assertEqual(rc, 0, log[-5000:])
            self.assertIn("ERROR SUMMARY: 0 errors", log)
        finally:
            rep.cleanup()
            subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    unittest.main()
