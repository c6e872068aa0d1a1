"""Transport security end to end (docs/security.md): clusterd with TLS and
mutual TLS against Python grpcio, clusterctl (the C client library) and
plain TLS sockets, with certificates made at test time by openssl
(tls_pki.py): what is accepted, what is refused, the principal a client
certificate names, rotation on SIGHUP with a stream left open, revocation
by removing a CA, and the start-up refusals (one line, exit status 2)."""

import hashlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from concurrent import futures

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clusterd_harness import HEALTH, REG, Server, auth, stubs  # noqa: E402
from tls_pki import (Pki, fingerprint_file, fingerprint_served,  # noqa: E402
                     read)

BIN = os.environ["CLUSTERD_BIN"]
CTL = os.environ["CLUSTERCTL_BIN"]

PKI = None
TMP = None


def setUpModule():
    global PKI, TMP
    TMP = tempfile.mkdtemp(prefix="clusterd-tls-")
    PKI = Pki(os.path.join(TMP, "pki"))
    PKI.ca1 = PKI.ca("ca1", "Test CA one")
    PKI.ca2 = PKI.ca("ca2", "Test CA two")
    PKI.other = PKI.ca("other", "Unrelated CA")
    PKI.srv = PKI.server(PKI.ca1, "server")
    PKI.srv_new = PKI.server(PKI.ca1, "server-new")
    PKI.alice = PKI.client(PKI.ca1, "alice", "alice")
    PKI.bob = PKI.client(PKI.ca2, "bob", "bob")
    PKI.mallory = PKI.client(PKI.other, "mallory", "mallory")
    PKI.svc = PKI.client(PKI.ca1, "svc", None,
                         sans=["URI:spiffe://example.org/svc",
                               "DNS:svc.example.org"])
    PKI.expired = PKI.client(PKI.ca1, "expired", "carol",
                             start="20200101000000Z", end="20200201000000Z")


def tearDownModule():
    shutil.rmtree(TMP, ignore_errors=True)


def creds(ca=None, client=None):
    """grpc.ssl_channel_credentials from PEM files; client = (cert, key)."""
    return grpc.ssl_channel_credentials(
        root_certificates=read(ca or PKI.ca1[0]),
        private_key=read(client[1]) if client else None,
        certificate_chain=read(client[0]) if client else None)


def tls_flags(cert=None, client_ca=None):
    cert = cert or PKI.srv
    f = ["--tls-cert", cert[0], "--tls-key", cert[1]]
    if client_ca:
        f += ["--tls-client-ca", client_ca]
    return f


def health(channel, timeout=10):
    _, health_pb2, _, _ = stubs()
    call = channel.unary_unary(
        HEALTH + "Check",
        request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
        response_deserializer=health_pb2.HealthCheckResponse.FromString)
    return call(health_pb2.HealthCheckRequest(), timeout=timeout).status


def ctl(srv, *args, env=None):
    e = {k: v for k, v in os.environ.items()
         if not k.startswith("CLUSTERCTL_")}
    e.update(env or {})
    return subprocess.run([CTL, "--server", srv.address, "--timeout", "10"]
                          + list(args), capture_output=True, text=True,
                          env=e, timeout=60)


def wait_log(srv, text, timeout=10):
    limit = time.monotonic() + timeout
    while time.monotonic() < limit:
        if text in srv.read_log():
            return True
        time.sleep(0.05)
    return False


class Tls(unittest.TestCase):
    """One-way TLS: the server proves who it is; clients need no cert."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(*tls_flags(), channel_credentials=creds())
        pb, _, _, _ = stubs()
        create = cls.srv.unary(REG + "CreateCluster",
                               pb.CreateClusterRequest, pb.Cluster)
        create(pb.CreateClusterRequest(cluster=pb.Cluster(
            id="shenzhen-ict", name="Shenzhen ICT", economy="CN")),
            timeout=10)

    @classmethod
    def tearDownClass(cls):
        assert cls.srv.stop() == 0
        cls.srv.cleanup()

    def test_python_grpcio_get_cluster(self):
        pb, _, _, _ = stubs()
        get = self.srv.unary(REG + "GetCluster", pb.GetClusterRequest,
                             pb.Cluster)
        c = get(pb.GetClusterRequest(id="shenzhen-ict"), timeout=10)
        self.assertEqual(c.name, "Shenzhen ICT")
        self.assertIn("(TLS)", self.srv.read_log())

    def test_clusterctl_get_cluster(self):
        for args, env in [(["--tls-ca", PKI.ca1[0]], {}),
                          ([], {"CLUSTERCTL_TLS_CA": PKI.ca1[0]}),
                          (["--tls-ca", PKI.ca1[0], "--token", "t0ken"], {}),
                          (["--tls-ca", PKI.ca1[0], "--tls-server-name",
                            "localhost"], {})]:
            with self.subTest(args=args, env=env):
                r = ctl(self.srv, *args, "--json", "cluster", "get",
                        "shenzhen-ict", env=env)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("Shenzhen ICT", r.stdout)

    def test_clusterctl_options_after_the_command(self):
        r = ctl(self.srv, "health", "--tls-ca", PKI.ca1[0])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("SERVING", r.stdout)

    def test_plaintext_client_fails(self):
        ch = self.srv.make_channel()
        with self.assertRaises(grpc.RpcError) as e:
            health(ch, timeout=5)
        self.assertEqual(e.exception.code(), grpc.StatusCode.UNAVAILABLE)
        ch.close()
        r = ctl(self.srv, "health")
        self.assertEqual(r.returncode, 1)
        self.assertIn("UNAVAILABLE", r.stderr)

    def test_server_not_trusted_fails(self):
        ch = self.srv.make_channel(creds(ca=PKI.other[0]))
        with self.assertRaises(grpc.RpcError) as e:
            health(ch, timeout=5)
        self.assertEqual(e.exception.code(), grpc.StatusCode.UNAVAILABLE)
        ch.close()
        r = ctl(self.srv, "--tls-ca", PKI.other[0], "health")
        self.assertEqual(r.returncode, 1)

    def test_wrong_server_name_fails(self):
        r = ctl(self.srv, "--tls-ca", PKI.ca1[0], "--tls-server-name",
                "elsewhere.example", "health")
        self.assertEqual(r.returncode, 1)
        self.assertIn("UNAVAILABLE", r.stderr)

    def test_clusterctl_bad_client_options(self):
        cases = [(["--tls-cert", PKI.alice[0]], "key"),
                 (["--tls-ca", os.path.join(TMP, "nope.pem")], "nope.pem"),
                 (["--tls-ca", PKI.ca1[1] + ".missing"], "missing"),
                 (["--tls", "--token", "two words"], "token"),
                 (["--token-file", os.path.join(TMP, "none")], "none")]
        for args, needle in cases:
            with self.subTest(args=args):
                r = ctl(self.srv, *args, "health")
                self.assertEqual(r.returncode, 1)
                self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
                self.assertIn(needle, r.stderr)
        r = ctl(self.srv, "--tls-ca", "", "health")
        self.assertEqual(r.returncode, 2)

    def test_clusterctl_help_names_the_options(self):
        r = subprocess.run([CTL, "--help"], capture_output=True, text=True)
        for opt in ["--tls-ca", "--tls-cert", "--tls-key", "--token",
                    "--token-file", "CLUSTERCTL_TLS_CA", "CLUSTERCTL_TOKEN",
                    "CLUSTERCTL_TLS_CERT", "CLUSTERCTL_TLS_KEY"]:
            self.assertIn(opt, r.stdout)


class MutualTls(unittest.TestCase):
    """--tls-client-ca: only clients with a certificate from those CAs."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="clusterd-mtls-")
        self.bundle = os.path.join(self.dir, "client-cas.pem")
        with open(self.bundle, "wb") as f:
            f.write(read(PKI.ca1[0]) + read(PKI.ca2[0]))
        self.srv = Server(*tls_flags(client_ca=self.bundle),
                          "--log-level", "debug",
                          channel_credentials=creds(client=PKI.alice))

    def tearDown(self):
        self.assertEqual(self.srv.stop(), 0)
        self.srv.cleanup()
        shutil.rmtree(self.dir, ignore_errors=True)

    def refused(self, client):
        ch = self.srv.make_channel(creds(client=client))
        try:
            with self.assertRaises(grpc.RpcError) as e:
                health(ch, timeout=5)
            self.assertEqual(e.exception.code(),
                             grpc.StatusCode.UNAVAILABLE)
        finally:
            ch.close()

    def test_valid_certificate_accepted_and_named_by_its_cn(self):
        self.assertEqual(health(self.srv.channel), 1)  # SERVING
        self.assertTrue(wait_log(self.srv, 'client certificate principal '
                                 '\\"alice\\"'), self.srv.read_log())
        r = ctl(self.srv, "--tls-ca", PKI.ca1[0], "--tls-cert", PKI.bob[0],
                "--tls-key", PKI.bob[1], "health")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(wait_log(self.srv, 'principal \\"bob\\"'))

    def test_without_a_cn_the_first_san_is_the_principal(self):
        ch = self.srv.make_channel(creds(client=PKI.svc))
        self.assertEqual(health(ch), 1)
        ch.close()
        self.assertTrue(wait_log(self.srv, 'principal '
                                 '\\"spiffe://example.org/svc\\"'),
                        self.srv.read_log())

    def test_client_env_variables(self):
        r = ctl(self.srv, "health", env={
            "CLUSTERCTL_TLS_CA": PKI.ca1[0],
            "CLUSTERCTL_TLS_CERT": PKI.alice[0],
            "CLUSTERCTL_TLS_KEY": PKI.alice[1],
            "CLUSTERCTL_TOKEN": "abc"})
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_no_client_certificate_refused(self):
        self.refused(None)
        r = ctl(self.srv, "--tls-ca", PKI.ca1[0], "health")
        self.assertEqual(r.returncode, 1)
        self.assertIn("UNAVAILABLE", r.stderr)

    def test_wrong_ca_refused(self):
        self.refused(PKI.mallory)
        r = ctl(self.srv, "--tls-ca", PKI.ca1[0], "--tls-cert",
                PKI.mallory[0], "--tls-key", PKI.mallory[1], "health")
        self.assertEqual(r.returncode, 1)

    def test_expired_certificate_refused(self):
        self.refused(PKI.expired)
        self.assertNotIn('"carol"', self.srv.read_log())

    def test_revocation_by_removing_the_ca(self):
        bob = self.srv.make_channel(creds(client=PKI.bob))
        self.assertEqual(health(bob), 1)
        # The bundle without CA two; bob's open connection may stay, new
        # ones must fail.
        tmp = self.bundle + ".new"
        with open(tmp, "wb") as f:
            f.write(read(PKI.ca1[0]))
        os.rename(tmp, self.bundle)
        self.srv.signal(signal.SIGHUP)
        self.assertTrue(wait_log(self.srv, "TLS: reloaded"))
        self.refused(PKI.bob)
        r = ctl(self.srv, "--tls-ca", PKI.ca1[0], "--tls-cert", PKI.bob[0],
                "--tls-key", PKI.bob[1], "health")
        self.assertEqual(r.returncode, 1)
        # alice's CA is still there.
        alice = self.srv.make_channel(creds(client=PKI.alice))
        self.assertEqual(health(alice), 1)
        alice.close()
        bob.close()

    def test_bad_reload_keeps_the_loaded_files(self):
        with open(self.bundle, "w") as f:
            f.write("not a certificate\n")
        self.srv.signal(signal.SIGHUP)
        self.assertTrue(wait_log(self.srv, "TLS: reload refused"))
        self.assertIn("--tls-client-ca", self.srv.read_log())
        ch = self.srv.make_channel(creds(client=PKI.bob))
        self.assertEqual(health(ch), 1)
        ch.close()


class CertificateRoles(unittest.TestCase):
    """Mutual TLS with --auth-tokens: a certificate's name is looked up in
    the tokens file and gets that line's roles; a token decides over it."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="clusterd-mtls-roles-")
        bundle = os.path.join(self.dir, "client-cas.pem")
        with open(bundle, "wb") as f:
            f.write(read(PKI.ca1[0]) + read(PKI.ca2[0]))
        self.token = secrets.token_hex(32)
        tokens = os.path.join(self.dir, "tokens")
        with open(tokens, "w") as f:
            f.write("- alice reader\n%s ops admin\n"
                    % hashlib.sha256(self.token.encode()).hexdigest())
        os.chmod(tokens, 0o600)
        self.srv = Server(*tls_flags(client_ca=bundle),
                          auth_tokens=tokens,
                          channel_credentials=creds(client=PKI.alice))
        pb = stubs()[0]
        self.get = self.srv.unary(REG + "GetCluster", pb.GetClusterRequest,
                                  pb.Cluster)
        self.create = self.srv.unary(REG + "CreateCluster",
                                     pb.CreateClusterRequest, pb.Cluster)
        self.pb = pb

    def tearDown(self):
        self.assertEqual(self.srv.stop(), 0)
        self.srv.cleanup()
        shutil.rmtree(self.dir, ignore_errors=True)

    def code(self, fn, req, **kw):
        try:
            fn(req, timeout=10, **kw)
        except grpc.RpcError as e:
            return e.code(), e.details()
        return grpc.StatusCode.OK, ""

    def test_certificate_name_gets_its_roles(self):
        pb = self.pb
        # alice is a reader by her certificate alone.
        c, _ = self.code(self.get, pb.GetClusterRequest(id="nowhere"))
        self.assertEqual(c, grpc.StatusCode.NOT_FOUND)
        new = pb.CreateClusterRequest(cluster=pb.Cluster(
            id="x", name="X", economy="CN"))
        c, msg = self.code(self.create, new)
        self.assertEqual(c, grpc.StatusCode.PERMISSION_DENIED)
        self.assertIn("needs role editor", msg)
        self.assertIn("alice", msg)
        self.assertIn('principal="alice"', self.srv.read_log())
        # With the admin's token on the same connection the token decides.
        c, _ = self.code(self.create, new, metadata=auth(self.token))
        self.assertEqual(c, grpc.StatusCode.OK)

    def test_certificate_without_a_line_is_unauthenticated(self):
        ch = self.srv.make_channel(creds(client=PKI.bob))
        try:
            pb = self.pb
            get = ch.unary_unary(
                REG + "GetCluster",
                request_serializer=pb.GetClusterRequest.SerializeToString,
                response_deserializer=pb.Cluster.FromString)
            c, _ = self.code(get, pb.GetClusterRequest(id="nowhere"))
            self.assertEqual(c, grpc.StatusCode.UNAUTHENTICATED)
            self.assertEqual(health(ch), 1)  # health stays open
        finally:
            ch.close()


class Rotation(unittest.TestCase):
    def test_sighup_rotates_the_certificate_with_a_stream_open(self):
        d = tempfile.mkdtemp(prefix="clusterd-rot-")
        cert, key = os.path.join(d, "tls.pem"), os.path.join(d, "tls.key")
        shutil.copy(PKI.srv[0], cert)
        shutil.copy(PKI.srv[1], key)
        srv = Server("--tls-cert", cert, "--tls-key", key,
                     channel_credentials=creds())
        try:
            old = fingerprint_file(PKI.srv[0])
            new = fingerprint_file(PKI.srv_new[0])
            self.assertNotEqual(old, new)
            self.assertEqual(fingerprint_served(srv.port, PKI.ca1[0]), old)

            _, health_pb2, _, _ = stubs()
            watch = srv.server_stream(
                HEALTH + "Watch", health_pb2.HealthCheckRequest,
                health_pb2.HealthCheckResponse)(
                    health_pb2.HealthCheckRequest(), timeout=120)
            first = next(watch)
            self.assertEqual(first.status, 1)  # SERVING

            # A bad key mode is refused on reload: the old pair stays.
            shutil.copy(PKI.srv_new[1], key)
            os.chmod(key, 0o644)
            srv.signal(signal.SIGHUP)
            self.assertTrue(wait_log(srv, "TLS: reload refused"))
            self.assertIn("mode 0644", srv.read_log())
            self.assertEqual(fingerprint_served(srv.port, PKI.ca1[0]), old)

            # The new pair, written in place, then SIGHUP.
            os.chmod(key, 0o600)
            shutil.copy(PKI.srv_new[0], cert)
            srv.signal(signal.SIGHUP)
            self.assertTrue(wait_log(srv, "TLS: reloaded"))
            self.assertEqual(fingerprint_served(srv.port, PKI.ca1[0]), new)
            ch = srv.make_channel(creds())
            self.assertEqual(health(ch), 1)
            ch.close()

            # The stream opened before the rotation is still there: at
            # shutdown it is told NOT_SERVING over its old connection.
            self.assertTrue(watch.running() or watch.is_active())
            srv.signal(signal.SIGTERM)
            last = next(watch)
            self.assertEqual(last.status, 2)  # NOT_SERVING
            self.assertEqual(srv.wait(), 0)
        finally:
            srv.cleanup()
            shutil.rmtree(d, ignore_errors=True)


class StartupRefusals(unittest.TestCase):
    def run_bin(self, *args, env=None):
        d = tempfile.mkdtemp(prefix="clusterd-refuse-")
        try:
            e = {k: v for k, v in os.environ.items()
                 if not k.startswith("CLUSTERD_TLS")}
            e.update(env or {})
            return subprocess.run(
                [BIN, "--listen", "127.0.0.1:0", "--data-dir",
                 os.path.join(d, "data"), "--plugin-dir", ""] + list(args),
                capture_output=True, text=True, env=e, timeout=60)
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_each_refusal_is_one_line_and_status_2(self):
        d = tempfile.mkdtemp(prefix="clusterd-keys-")
        self.addCleanup(shutil.rmtree, d, True)
        open_key = os.path.join(d, "open.key")
        shutil.copy(PKI.srv[1], open_key)
        os.chmod(open_key, 0o644)
        group_key = os.path.join(d, "group.key")
        shutil.copy(PKI.srv[1], group_key)
        os.chmod(group_key, 0o640)
        junk = os.path.join(d, "junk.pem")
        with open(junk, "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nnot base64!\n"
                    "-----END CERTIFICATE-----\n")
        empty = os.path.join(d, "empty.pem")
        open(empty, "w").close()
        missing = os.path.join(d, "missing.pem")
        cert, key = PKI.srv
        cases = [
            (["--tls-cert", cert, "--tls-key", open_key], "mode 0644"),
            (["--tls-cert", cert, "--tls-key", group_key], "mode 0640"),
            (["--tls-cert", missing, "--tls-key", key], "missing.pem"),
            (["--tls-cert", cert, "--tls-key", missing], "missing.pem"),
            (["--tls-cert", cert, "--tls-key", key, "--tls-client-ca",
              missing], "--tls-client-ca"),
            (["--tls-cert", cert], "--tls-cert is given without --tls-key"),
            (["--tls-key", key], "--tls-key is given without --tls-cert"),
            (["--tls-client-ca", PKI.ca1[0]], "--tls-client-ca needs"),
            (["--tls-cert", cert, "--tls-key", PKI.alice[1]],
             "does not match"),
            (["--tls-cert", junk, "--tls-key", key], "junk.pem"),
            (["--tls-cert", empty, "--tls-key", key], "empty"),
            (["--tls-cert", cert, "--tls-key", cert], "--tls-key: "),
            (["--tls-cert", cert, "--tls-key", key, "--tls-client-ca",
              key], "no PEM certificate"),
            (["--tls-cert", d, "--tls-key", key], "not a regular file"),
        ]
        for args, needle in cases:
            with self.subTest(args=args):
                r = self.run_bin(*args)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
                self.assertTrue(r.stderr.startswith("clusterd: "), r.stderr)
                self.assertIn(needle, r.stderr)

    def test_busy_port_and_max_connections(self):
        # gRPC's listener serves TLS; SO_REUSEPORT stays off, so a second
        # server on a busy port fails (status 1, as without TLS), and
        # --max-connections, which it cannot honour, is said to be ignored.
        srv = Server(*tls_flags(), "--max-connections", "5",
                     channel_credentials=creds())
        try:
            self.assertIn("--max-connections 5 is ignored with TLS",
                          srv.read_log())
            self.assertIn("TLS on gRPC's listener", srv.read_log())
            self.assertEqual(health(srv.channel), 1)
            r = self.run_bin("--listen", srv.address, *tls_flags())
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("cannot listen on %s with TLS" % srv.address,
                          r.stderr)
        finally:
            self.assertEqual(srv.stop(), 0)
            srv.cleanup()

    def test_environment_twins(self):
        r = self.run_bin(env={"CLUSTERD_TLS_CERT": PKI.srv[0]})
        self.assertEqual(r.returncode, 2)
        self.assertIn("--tls-cert is given without --tls-key", r.stderr)
        flags = subprocess.run([BIN, "--help"], capture_output=True,
                               text=True).stdout
        for name in ["--tls-cert", "--tls-key", "--tls-client-ca",
                     "CLUSTERD_TLS_CERT", "CLUSTERD_TLS_KEY",
                     "CLUSTERD_TLS_CLIENT_CA"]:
            self.assertIn(name, flags)

    def test_env_configured_server_serves_tls(self):
        os.environ["CLUSTERD_TLS_CERT"] = PKI.srv[0]
        os.environ["CLUSTERD_TLS_KEY"] = PKI.srv[1]
        try:
            srv = Server(channel_credentials=creds())
        finally:
            del os.environ["CLUSTERD_TLS_CERT"]
            del os.environ["CLUSTERD_TLS_KEY"]
        try:
            self.assertEqual(health(srv.channel), 1)
            self.assertIn("(TLS)", srv.read_log())
        finally:
            self.assertEqual(srv.stop(), 0)
            srv.cleanup()


class TokenMetadata(unittest.TestCase):
    """The C client library sends its token as "authorization: Bearer
    TOKEN" on every call: checked against a Python server that records the
    metadata it receives."""

    def test_bearer_token_on_every_call(self):
        seen = []

        def handler(request, context):
            seen.append(dict(context.invocation_metadata()))
            context.abort(grpc.StatusCode.UNIMPLEMENTED, "recorded")

        class Generic(grpc.GenericRpcHandler):
            def service(self, details):
                return grpc.unary_unary_rpc_method_handler(handler)

        server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        server.add_generic_rpc_handlers((Generic(),))
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        try:
            class Addr:
                address = "127.0.0.1:%d" % port
            token_file = os.path.join(TMP, "token")
            with open(token_file, "w") as f:
                f.write("from-a-file\n")
            for args, env, want in [
                    (["--token", "s3cr3t"], {}, "Bearer s3cr3t"),
                    ([], {"CLUSTERCTL_TOKEN": "env-tok"}, "Bearer env-tok"),
                    (["--token-file", token_file], {},
                     "Bearer from-a-file"),
                    ([], {"CLUSTERCTL_TOKEN_FILE": token_file},
                     "Bearer from-a-file"),
                    ([], {}, None)]:
                with self.subTest(args=args, env=env):
                    seen.clear()
                    r = ctl(Addr, *args, "health", env=env)
                    self.assertEqual(r.returncode, 1)
                    self.assertNotIn("s3cr3t", r.stderr)
                    self.assertEqual(len(seen), 1)
                    self.assertEqual(seen[0].get("authorization"), want)
        finally:
            server.stop(None)


if __name__ == "__main__":
    unittest.main()
