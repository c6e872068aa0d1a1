"""What the server is (docs/operations.md, "Versions"): GetServerInfo,
clusterctl --version, clusterctl server info and clusterd --version,
against the real clusterd.

- the version is CMake's CLUSTERD_VERSION, the plugin ABI the SDK
  header's CP_ABI_MAJOR.CP_ABI_MINOR, the gRPC core version the one
  pkg-config reports for the grpc library built against (when pkg-config
  is there) and the one clusterd --version prints;
- the data version follows cluster writes (and only those), the start
  time is when the process started, read_only/primary are unset (a
  replica's are checked in replica_test.py);
- clusterctl --version prints its own version and the server's, or why
  the server's is not known (unreachable, no token): exit status 0 either
  way; server info fails with status 1 then; --json and --csv;
- GetServerInfo needs role reader: no token is UNAUTHENTICATED.

Run by ctest with CLUSTERD_BIN, CLUSTERCTL_BIN, CLUSTERD_VERSION and
CLUSTERD_PLUGIN_HEADER set."""

import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clusterd_harness import REG, Server, auth, stubs  # noqa: E402

BIN = os.environ["CLUSTERD_BIN"]
CTL = os.environ["CLUSTERCTL_BIN"]
VERSION = os.environ["CLUSTERD_VERSION"]
INFO = "/clusters.v1.AdminService/GetServerInfo"

pb = adm = SERVER = None
STARTED = None  # (before, after) the module's server started, wall clock


def abi():
    """CP_ABI_MAJOR, CP_ABI_MINOR of the plugin SDK header."""
    with open(os.environ["CLUSTERD_PLUGIN_HEADER"]) as f:
        text = f.read()
    return (int(re.search(r"#define CP_ABI_MAJOR (\d+)", text).group(1)),
            int(re.search(r"#define CP_ABI_MINOR (\d+)", text).group(1)))


def grpc_core_version():
    """What pkg-config says of the grpc library; None without it."""
    try:
        r = subprocess.run(["pkg-config", "--modversion", "grpc"],
                           capture_output=True, text=True, timeout=30)
    except OSError:
        return None
    return r.stdout.strip() if r.returncode == 0 else None


def admin_pb2():
    stubs()
    from clusters.v1 import admin_pb2 as m
    return m


def setUpModule():
    global pb, adm, SERVER, STARTED
    pb = stubs()[0]
    adm = admin_pb2()
    before = time.time()
    SERVER = Server("--threads", "2")
    STARTED = (before, time.time())


def tearDownModule():
    if SERVER:
        rc = SERVER.stop()
        SERVER.cleanup()
        assert rc == 0


def ctl(*args, server=None, env=None):
    e = {k: v for k, v in os.environ.items()
         if not k.startswith("CLUSTERCTL_") and k != "CLUSTERD_SERVER"}
    e.update(env or {})
    return subprocess.run([CTL, "--server", server or SERVER.address] +
                          list(args), capture_output=True, text=True,
                          env=e, timeout=60)


def free_port():
    """A port nothing listens on (bound, then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class ServerInfo(unittest.TestCase):
    def info(self, srv=None, md=None):
        srv = srv or SERVER
        return srv.unary(INFO, adm.GetServerInfoRequest, adm.ServerInfo)(
            adm.GetServerInfoRequest(), metadata=md, timeout=30)

    def test_versions(self):
        r = self.info()
        self.assertEqual(r.version, VERSION)
        self.assertEqual((r.plugin_abi_version, r.plugin_abi_minor), abi())
        self.assertRegex(r.grpc_version, r"^\d+\.\d+\.\d+")
        core = grpc_core_version()
        if core:
            self.assertEqual(r.grpc_version, core)
        self.assertFalse(r.read_only)
        self.assertEqual(r.primary, "")

    def test_start_time(self):
        r = self.info()
        t = r.start_time.seconds + r.start_time.nanos / 1e9
        self.assertGreaterEqual(t, STARTED[0] - 1)
        self.assertLessEqual(t, STARTED[1] + 1)
        # The same on every call: the process's start, not the call's.
        time.sleep(0.01)
        self.assertEqual(self.info().start_time, r.start_time)

    def test_data_version(self):
        v0 = self.info().data_version
        create = SERVER.unary(REG + "CreateCluster", pb.CreateClusterRequest,
                              pb.Cluster)
        create(pb.CreateClusterRequest(cluster=pb.Cluster(
            id="info-1", name="Info", economy="DE")), timeout=30)
        v1 = self.info().data_version
        self.assertGreater(v1, v0)
        # Not a cluster write: the version stays (docs/service.md).
        cpb = stubs()[2]
        with self.assertRaises(grpc.RpcError):
            SERVER.unary("/clusters.v1.CompetitionService/GetCompetition",
                         cpb.GetCompetitionRequest, cpb.Competition)(
                cpb.GetCompetitionRequest(id="none"), timeout=30)
        self.assertEqual(self.info().data_version, v1)
        delete = SERVER.unary(REG + "DeleteCluster", pb.DeleteClusterRequest,
                              pb.DeleteClusterResponse)
        delete(pb.DeleteClusterRequest(id="info-1"), timeout=30)
        self.assertGreater(self.info().data_version, v1)

    def test_unknown_field_refused(self):
        call = SERVER.channel.unary_unary(INFO)
        with self.assertRaises(grpc.RpcError) as cm:
            call(b"\x08\x01", timeout=30)  # field 1: not in the request
        self.assertEqual(cm.exception.code(),
                         grpc.StatusCode.INVALID_ARGUMENT)


class Clusterctl(unittest.TestCase):
    def test_version_with_server(self):
        r = ctl("--version")
        self.assertEqual(r.returncode, 0, r.stderr)
        major, minor = abi()
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0], "clusterctl " + VERSION)
        self.assertRegex(lines[1], r"^server %s: clusterd %s \(plugin ABI "
                         r"%d\.%d, gRPC core \d+\.\d+\.\d+\)$" % (
                             re.escape(SERVER.address), re.escape(VERSION),
                             major, minor))
        self.assertEqual(len(lines), 2)
        # Options before or after: the same.
        r2 = subprocess.run([CTL, "--version", "--server", SERVER.address],
                            capture_output=True, text=True, timeout=60)
        self.assertEqual(r2.stdout, r.stdout)

    def test_version_json(self):
        r = ctl("--version", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        j = json.loads(r.stdout)
        self.assertEqual(j["client"]["version"], VERSION)
        self.assertEqual(j["server"]["address"], SERVER.address)
        self.assertEqual(j["server"]["info"]["version"], VERSION)
        self.assertEqual(j["server"]["info"]["pluginAbiVersion"], abi()[0])

    def test_version_unreachable(self):
        addr = "127.0.0.1:%d" % free_port()
        r = ctl("--version", server=addr)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0], "clusterctl " + VERSION)
        self.assertTrue(lines[1].startswith(
            "server %s: unreachable (UNAVAILABLE: " % addr), lines[1])
        r = ctl("--version", "--json", server=addr)
        j = json.loads(r.stdout)
        self.assertEqual(j["server"]["error"]["code"], "UNAVAILABLE")
        self.assertNotIn("info", j["server"])
        # server info fails like any call.
        r = ctl("server", "info", server=addr)
        self.assertEqual(r.returncode, 1)
        self.assertIn("UNAVAILABLE", r.stderr)
        # A bounded --timeout is the probe's deadline; a silent address
        # would otherwise wait for the default 5 s.
        t0 = time.monotonic()
        r = ctl("--version", "--timeout", "300ms", server=addr)
        self.assertEqual(r.returncode, 0)
        self.assertLess(time.monotonic() - t0, 20)

    def test_version_usage(self):
        r = ctl("--version", "cluster", "list")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--version takes no command", r.stderr)
        r = ctl("server", "info", "extra")
        self.assertEqual(r.returncode, 2)
        r = ctl("server", "nope")
        self.assertEqual(r.returncode, 2)
        r = ctl("server", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("server info", r.stdout)
        r = ctl("--help")
        self.assertIn("--version", r.stdout)
        self.assertIn("server info", r.stdout)

    def test_server_info(self):
        r = ctl("server", "info")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = dict(re.split(r"\s+", l, 1) for l in r.stdout.splitlines())
        self.assertEqual(rows["address"], SERVER.address)
        self.assertEqual(rows["version"], VERSION)
        self.assertEqual(rows["plugin_abi"], "%d.%d" % abi())
        self.assertEqual(rows["read_only"], "no")
        self.assertEqual(rows["primary"], "-")
        self.assertRegex(rows["data_version"], r"^\d+$")
        self.assertRegex(rows["started"],
                         r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(up .+\)$")
        r = ctl("server", "info", "--csv")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0], "field,value")
        rows = dict(l.split(",", 1) for l in lines[1:])
        self.assertEqual(rows["version"], VERSION)
        self.assertEqual(rows["read_only"], "false")
        self.assertEqual(rows["primary"], "")
        self.assertRegex(rows["started"], r"^\d{4}-\d\d-\d\dT.*Z$")
        r = ctl("server", "info", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        j = json.loads(r.stdout)
        self.assertEqual(j["version"], VERSION)
        self.assertEqual(j["pluginAbiVersion"], abi()[0])
        self.assertIn("startTime", j)


class Tokens(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="clusterd-info-auth-")
        cls.token = secrets.token_hex(32)
        cls.path = os.path.join(cls.dir, "tokens")
        with open(os.open(cls.path, os.O_WRONLY | os.O_CREAT, 0o600),
                  "w") as f:
            f.write("%s judge-1 judge\n" % hashlib.sha256(
                cls.token.encode()).hexdigest())
        cls.srv = Server(auth_tokens=cls.path)

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        cls.srv.cleanup()
        shutil.rmtree(cls.dir, ignore_errors=True)
        assert rc == 0

    def test_reader_role(self):
        call = self.srv.unary(INFO, adm.GetServerInfoRequest, adm.ServerInfo)
        with self.assertRaises(grpc.RpcError) as cm:
            call(adm.GetServerInfoRequest(), timeout=30)
        self.assertEqual(cm.exception.code(),
                         grpc.StatusCode.UNAUTHENTICATED)
        # A judge reads what a reader does.
        r = call(adm.GetServerInfoRequest(), metadata=auth(self.token),
                 timeout=30)
        self.assertEqual(r.version, VERSION)

    def test_clusterctl_version_token(self):
        r = ctl("--version", server=self.srv.address)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("server %s: version unknown (UNAUTHENTICATED: "
                      "missing credentials" % self.srv.address, r.stdout)
        r = ctl("--version", server=self.srv.address,
                env={"CLUSTERCTL_TOKEN": self.token})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("clusterd " + VERSION, r.stdout)
        r = ctl("server", "info", server=self.srv.address)
        self.assertEqual(r.returncode, 1)
        self.assertIn("UNAUTHENTICATED", r.stderr)
        tf = os.path.join(self.dir, "tok")
        with open(tf, "w") as f:
            f.write(self.token + "\n")
        r = ctl("server", "info", "--token-file", tf,
                server=self.srv.address)
        self.assertEqual(r.returncode, 0, r.stderr)
        # A token file that cannot be read: said, and still exit 0.
        r = ctl("--version", "--token-file", tf + ".missing",
                server=self.srv.address)
        self.assertEqual(r.returncode, 0)
        self.assertIn("cannot open", r.stderr)
        self.assertIn("clusterctl " + VERSION, r.stdout)
        self.assertIn("version unknown (INVALID_ARGUMENT", r.stdout)


class ClusterdVersion(unittest.TestCase):
    def test_clusterd_version(self):
        r = subprocess.run([BIN, "--version"], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0)
        major, minor = abi()
        m = re.fullmatch(r"clusterd (\S+)\nplugin ABI (\d+)\.(\d+)\n"
                         r"gRPC core (\S+)\n", r.stdout)
        self.assertTrue(m, r.stdout)
        self.assertEqual(m.group(1), VERSION)
        self.assertEqual((int(m.group(2)), int(m.group(3))), (major, minor))
        # GetServerInfo says the same.
        info = SERVER.unary(INFO, adm.GetServerInfoRequest, adm.ServerInfo)(
            adm.GetServerInfoRequest(), timeout=30)
        self.assertEqual(info.grpc_version, m.group(4))


if __name__ == "__main__":
    unittest.main()
