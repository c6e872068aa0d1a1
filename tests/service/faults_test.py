"""The store's and the process's own faults, through the real clusterd: one
server per data directory, damaged data files, a full disk, running out of
file descriptors.

Run by ctest with CLUSTERD_BIN, CLUSTERD_PROTO_DIR and CLUSTERD_HEALTH_PROTO
set."""

import os
import random
import resource
import shutil
import socket
import subprocess
import tempfile
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


class DamagedDataFile(unittest.TestCase):
    """A data.mdb cut short or overwritten stops clusterd at start-up with
    a message naming the file and exit status 1; before, LMDB mapped it
    and clusterd died of SIGBUS in mdb_dbi_open."""

    @classmethod
    def setUpClass(cls):
        srv = Server()
        try:
            imp = srv.client_stream(REG + "ImportClusters", pb.Cluster,
                                    pb.ImportClustersResponse)

            def records():
                for i in range(400):
                    c = pb.Cluster(id="c%04d" % i, name="Cluster %d" % i,
                                   economy="KR", region="Gyeonggi",
                                   industry="Semiconductors")
                    for y in range(2000, 2020):
                        c.indicators.add(name="employment", year=y,
                                         value=i * y)
                    yield c
            cls._check_import(imp(records(), timeout=120))
            assert srv.stop() == 0
            with open(os.path.join(srv.data, "data.mdb"), "rb") as f:
                cls.original = f.read()
        finally:
            srv.cleanup()
        cls.psize = os.sysconf("SC_PAGESIZE")
        assert len(cls.original) >= 16 * cls.psize

    def start_with(self, data):
        tmp = tempfile.mkdtemp(prefix="clusterd-damaged-")
        try:
            ddir = os.path.join(tmp, "data")
            os.mkdir(ddir, 0o700)
            path = os.path.join(ddir, "data.mdb")
            with open(path, "wb") as f:
                f.write(data)
            rc, err = finish(start_raw("--listen", "127.0.0.1:0",
                                       "--data-dir", ddir))
            with open(path, "rb") as f:
                after = f.read()
            return rc, err, path, after
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def expect_refused(self, data, why):
        rc, err, path, after = self.start_with(data)
        self.assertIsNotNone(rc, "clusterd kept running on a damaged "
                             "data.mdb (%d bytes)" % len(data))
        self.assertEqual(rc, 1, "%d bytes: exit %d (a negative status is "
                         "a signal): %s" % (len(data), rc, err))
        self.assertEqual(err.count("\n"), 1, err)
        self.assertIn(path, err)
        self.assertIn(why, err)
        self.assertEqual(after, data, "the damaged file was changed")

    def test_truncated(self):
        n, p = len(self.original), self.psize
        for size in [1, 100, p + 100, 2 * p - 1, 2 * p, n // 2, n - p,
                     n - 1]:
            with self.subTest(size=size):
                self.expect_refused(self.original[:size], "truncated")

    def test_garbage(self):
        rnd = random.Random(13)
        data = bytes(rnd.getrandbits(8) for _ in range(len(self.original)))
        self.expect_refused(data, "not an LMDB data file")
        data = bytearray(self.original)
        data[self.psize:self.psize + 64] = bytes(64)
        self.expect_refused(bytes(data), "not an LMDB data file")
        # Intact metas over garbage pages: LMDB aborted or crashed on
        # some at start-up; the roots it reads there are checked.
        for seed in range(4):
            rnd = random.Random(seed)
            data = self.original[:2 * self.psize] + bytes(
                rnd.getrandbits(8)
                for _ in range(len(self.original) - 2 * self.psize))
            self.expect_refused(data, "is not a tree page")

    @staticmethod
    def _check_import(resp):
        assert resp.created == 400 and resp.rejected == 0, resp


class DiskFull(unittest.TestCase):
    """A write that finds no room is RESOURCE_EXHAUSTED "disk full" naming
    the data directory (it was INTERNAL "write transaction: Input/output
    error"), logged at error level; reads and health go on, and writes
    succeed again once there is room.

    The disk is "full" by RLIMIT_FSIZE on the server, which needs no
    privileges: past the limit a write fails with EFBIG or comes up short
    (LMDB then says EIO), as on a full disk. The test does not ignore
    SIGXFSZ for the server (subprocess restores its default): clusterd
    must, or the limit kills it."""

    LIMIT = 2 << 20

    def test_disk_full(self):
        def lower():
            resource.setrlimit(resource.RLIMIT_FSIZE,
                               (self.LIMIT, resource.RLIM_INFINITY))
        srv = Server(preexec_fn=lower)
        try:
            create = srv.unary(REG + "CreateCluster",
                               pb.CreateClusterRequest, pb.Cluster)
            get = srv.unary(REG + "GetCluster", pb.GetClusterRequest,
                            pb.Cluster)

            def big(i):
                c = pb.Cluster(id="big-%03d" % i, name="Big %d" % i,
                               economy="CN")
                for k in range(2000):
                    c.indicators.add(name="indicator_%04d" % k, year=2020,
                                     value=k)
                return pb.CreateClusterRequest(cluster=c)

            refused = None
            for i in range(200):  # ~50 KiB each: 2 MiB is reached first
                try:
                    create(big(i), timeout=60)
                except grpc.RpcError as e:
                    refused = (i, e)
                    break
            self.assertIsNotNone(refused, "no write was refused")
            i, e = refused
            self.assertGreater(i, 0)
            self.assertEqual(e.code(), grpc.StatusCode.RESOURCE_EXHAUSTED,
                             e.details())
            self.assertIn("disk full", e.details())
            self.assertIn(srv.data, e.details())

            # Reads and health go on.
            self.assertEqual(serving(srv), hpb.HealthCheckResponse.SERVING)
            self.assertEqual(get(pb.GetClusterRequest(id="big-000"),
                                 timeout=30).name, "Big 0")
            errors = [ln for ln in srv.read_log().splitlines()
                      if "level=error" in ln and "disk full" in ln
                      and srv.data in ln and "method=" not in ln]
            self.assertEqual(len(errors), 1, srv.read_log()[-3000:])

            # Room again.
            resource.prlimit(srv.proc.pid, resource.RLIMIT_FSIZE,
                             (resource.RLIM_INFINITY,
                              resource.RLIM_INFINITY))
            create(big(i), timeout=60)
            self.assertEqual(get(pb.GetClusterRequest(id="big-%03d" % i),
                                 timeout=30).name, "Big %d" % i)
            self.assertIn("writes succeed again", srv.read_log())
            self.assertEqual(srv.stop(), 0)
        finally:
            srv.stop()
            srv.cleanup()


# A client's HTTP/2 connection preface with an empty SETTINGS frame: a
# connection gRPC serves answers it with its own SETTINGS.
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00" + \
    b"\x00\x00\x00\x00"


def connect(port):
    """Opens a raw connection and says whether clusterd serves it: True
    when it answers the preface, False when it closed the connection.
    Fails (AssertionError) when it does neither: the connection sits in
    the backlog of a listener nobody accepts from any more."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        s.sendall(PREFACE)
        data = s.recv(9)
    except (ConnectionResetError, BrokenPipeError):
        data = b""
    except socket.timeout:
        s.close()
        raise AssertionError("connection neither served nor closed in 30 s:"
                             " is the listener still accepting?")
    if not data:
        s.close()
        return None
    return s


def hang_up(conns):
    """Closes each connection once clusterd has closed its end, so that
    what follows does not race clusterd's own close."""
    for s in conns:
        s.shutdown(socket.SHUT_WR)
        try:
            while s.recv(4096):
                pass
        except (ConnectionResetError, socket.timeout):
            pass
        s.close()


class Connections(unittest.TestCase):
    """Running out of descriptors used to stop gRPC 1.51's listener for
    good ("Failed accept4: Too many open files") while health said
    SERVING. clusterd accepts itself: it caps open connections, closes the
    ones over the cap at once, and keeps accepting once some close."""

    def burst(self, srv, n):
        held, refused = [], 0
        for _ in range(n):
            s = connect(srv.port)
            if s is None:
                refused += 1
            else:
                held.append(s)
        return held, refused

    def reconnect(self, srv, n):
        """n connections served, retrying refused ones: a connection the
        client closed counts until clusterd's gRPC has closed its
        descriptor, which it does a little after shutting it down. Bounded
        by attempts, as a gRPC client's own retries would be."""
        held = []
        for _ in range(1000):
            if len(held) == n:
                return held
            s = connect(srv.port)
            if s is None:
                time.sleep(0.01)
            else:
                held.append(s)
        self.fail("only %d of %d connections served" % (len(held), n))

    def still_serves(self, srv):
        self.assertEqual(serving(srv), hpb.HealthCheckResponse.SERVING)
        get = srv.unary(REG + "GetCluster", pb.GetClusterRequest,
                        pb.Cluster)
        with self.assertRaises(grpc.RpcError) as cm:
            get(pb.GetClusterRequest(id="absent"), timeout=30)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.NOT_FOUND)

    def test_max_connections(self):
        srv = Server("--max-connections", "20")
        try:
            # No call before the burst: the harness's channel holds no
            # connection yet, so the 20 are all the burst's.
            held, refused = self.burst(srv, 40)
            self.assertEqual(len(held), 20)
            self.assertEqual(refused, 20)
            hang_up(held)
            self.still_serves(srv)
            # And again: the cap is a cap, not a fuse.
            hang_up(self.reconnect(srv, 19))
            self.assertIn("the most allowed (--max-connections)",
                          srv.read_log())
            self.assertEqual(srv.stop(), 0)
            self.assertRegex(srv.read_log(),
                             r"connections: \d+ accepted, 20 closed at "
                             r"the cap of 20")
        finally:
            srv.stop()
            srv.cleanup()

    def test_descriptor_limit(self):
        """256 descriptors, more connections than that, then serving
        again once they closed."""
        def lower():
            resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
        srv = Server(preexec_fn=lower)
        try:
            held, refused = self.burst(srv, 300)
            self.assertGreater(refused, 0)
            self.assertGreater(len(held), 100)
            hang_up(held)
            self.still_serves(srv)
            hang_up(self.reconnect(srv, 50))
            self.still_serves(srv)
            log = srv.read_log()
            self.assertNotIn("Failed accept4", log)
            self.assertEqual(srv.stop(), 0)
        finally:
            srv.stop()
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
