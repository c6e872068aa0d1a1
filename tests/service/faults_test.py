"""The store's and the process's own faults, through the real clusterd: one
server per data directory, damaged data files, a full disk, running out of
file descriptors.

Run by ctest with CLUSTERD_BIN, CLUSTERD_PROTO_DIR and CLUSTERD_HEALTH_PROTO
set."""

import os
import subprocess
import sys
import unittest

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clusterd_harness import HEALTH, REG, Server, stubs  # noqa: E402

BIN = os.environ["CLUSTERD_BIN"]

pb = hpb = None


def setUpModule():
    global pb, hpb
    pb, hpb, _, _ = stubs()


def start_raw(*args):
    """clusterd with the given flags, its stderr captured; not waited
    for."""
    wrapper = os.environ.get("CLUSTERD_WRAPPER", "").split()
    return subprocess.Popen(wrapper + [BIN] + list(args),
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def finish(proc, timeout=60):
    """Exit status and stderr of a clusterd expected to exit by itself; one
    still running after `timeout` is killed and reported as such."""
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        return None, err
    return proc.returncode, err


def serving(srv):
    check = srv.unary(HEALTH + "Check", hpb.HealthCheckRequest,
                      hpb.HealthCheckResponse)
    return check(hpb.HealthCheckRequest(), timeout=30,
                 wait_for_ready=True).status


class OneServerPerDirectory(unittest.TestCase):
    def test_second_server_refused(self):
        first = Server()
        try:
            create = first.unary(REG + "CreateCluster",
                                 pb.CreateClusterRequest, pb.Cluster)
            create(pb.CreateClusterRequest(
                cluster=pb.Cluster(id="kept", name="Kept", economy="FR")),
                timeout=30)
            rc, err = finish(start_raw("--listen", "127.0.0.1:0",
                                       "--data-dir", first.data))
            self.assertIsNotNone(rc, "a second clusterd started on the "
                                 "same data directory")
            self.assertEqual(rc, 1, err)
            self.assertEqual(err.count("\n"), 1, err)
            self.assertTrue(err.startswith("clusterd: "), err)
            self.assertIn(first.data, err)
            self.assertIn("pid %d" % first.proc.pid, err)

            # The first one never noticed.
            self.assertEqual(serving(first),
                             hpb.HealthCheckResponse.SERVING)
            get = first.unary(REG + "GetCluster", pb.GetClusterRequest,
                              pb.Cluster)
            self.assertEqual(get(pb.GetClusterRequest(id="kept"),
                                 timeout=30).name, "Kept")
            create(pb.CreateClusterRequest(
                cluster=pb.Cluster(id="more", name="More", economy="FR")),
                timeout=30)
            self.assertEqual(first.stop(), 0)

            # Once it stopped, the directory is free again.
            first.start()
            get = first.unary(REG + "GetCluster", pb.GetClusterRequest,
                              pb.Cluster)
            self.assertEqual(get(pb.GetClusterRequest(id="more"),
                                 timeout=30).name, "More")
        finally:
            first.stop()
            first.cleanup()


if __name__ == "__main__":
    unittest.main()
