"""Authentication and authorisation against the real clusterd
(docs/security.md):

- the role table of docs/security.md lists every method of the protos
  (and health), and every method called with every role (reader, judge,
  editor, admin, no token) is PERMISSION_DENIED exactly where the table
  says; without a token UNAUTHENTICATED, except health;
- judges: never see another judge's assessments (Get, List, Export, the
  reply of UpdateCluster), cannot write them, and their own writes keep
  everyone else's;
- tokens: another case or one byte changed is UNAUTHENTICATED; SIGHUP
  adds and removes principals; a bad file on reload keeps the old table;
- start-up refusals: a non-loopback address without TLS or auth, a tokens
  file that is missing, malformed or readable by others: exit status 2 and
  one line; --insecure starts and warns;
- the call log line names the principal and never holds a token.

Run by ctest with CLUSTERD_BIN and CLUSTERD_PROTO_DIR set."""

import hashlib
import importlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import grpc
from google.protobuf import descriptor_pb2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clusterd_harness import (REG, Server, auth, reflection_stubs,  # noqa
                              stubs)

BIN = os.environ["CLUSTERD_BIN"]
DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                   "docs", "security.md")
PD = grpc.StatusCode.PERMISSION_DENIED
UNAUTH = grpc.StatusCode.UNAUTHENTICATED

# name -> roles; a token each.
PRINCIPALS = {"reader-1": "reader", "judge-a": "judge", "judge-b": "judge",
              "editor-1": "editor", "admin-1": "admin"}
ROLE_OF = {"reader": "reader-1", "judge": "judge-a", "editor": "editor-1",
           "admin": "admin-1"}

pb = TMP = SERVER = None
TOKENS = {}


def sha(token):
    return hashlib.sha256(token.encode()).hexdigest()


def write_tokens(path, entries, mode=0o600):
    """entries: (token or None, name, roles)."""
    text = "# test principals\n\n" + "".join(
        "%s %s %s\n" % (sha(t) if t else "-", n, r) for t, n, r in entries)
    tmp = path + ".new"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.rename(tmp, path)


def doc_table():
    """The Roles table of docs/security.md: {"svc/Method": (needs,
    judge)}."""
    rows = {}
    with open(DOC) as f:
        for line in f:
            m = re.match(r"^\| `([\w.]+/\w+)` \| (\w+) \| ([^|]+?) \|$",
                         line.strip())
            if m:
                assert m.group(1) not in rows, "two rows for " + m.group(1)
                rows[m.group(1)] = (m.group(2), m.group(3))
    return rows


def server_methods():
    """Every method of the protos, health and reflection: {"svc/Method":
    (client streaming, server streaming)}, from the generated
    descriptors."""
    health_pb2 = stubs()[1]
    refl_v1, refl_v1alpha = reflection_stubs()
    # Every .proto of the package, so that a new file's services count
    # too (its import fails here until the harness compiles it).
    vdir = os.path.join(os.environ["CLUSTERD_PROTO_DIR"], "clusters", "v1")
    mods = [(importlib.import_module("clusters.v1.%s_pb2" % f[:-6]),
             "clusters.v1")
            for f in sorted(os.listdir(vdir)) if f.endswith(".proto")]
    out = {}
    for mod, pkg in mods + [(health_pb2, "grpc.health.v1"),
                            (refl_v1, "grpc.reflection.v1"),
                            (refl_v1alpha, "grpc.reflection.v1alpha")]:
        for name, svc in mod.DESCRIPTOR.services_by_name.items():
            sp = descriptor_pb2.ServiceDescriptorProto()
            svc.CopyToProto(sp)
            for m in sp.method:
                out["%s.%s/%s" % (pkg, name, m.name)] = (
                    m.client_streaming, m.server_streaming)
    return out


def allowed(role, needs, judge):
    if needs == "open":
        return True
    if role is None:
        return False
    return {"reader": needs == "reader",
            "judge": needs == "reader" or (needs == "editor" and
                                           judge.startswith("own")),
            "editor": needs in ("reader", "editor"),
            "admin": True}[role]


def call(srv, method, shape, md, timeout=10):
    """Calls method with an empty request (or stream); the status."""
    path = "/" + method
    client_stream, server_stream = shape
    try:
        if client_stream and server_stream:
            # Bidirectional (reflection): one request that asks nothing,
            # answered with an error_response; then the half-close.
            for _ in srv.channel.stream_stream(path)(
                    iter([b""]), metadata=md, timeout=timeout):
                pass
        elif client_stream:
            srv.channel.stream_unary(path)(iter([]), metadata=md,
                                           timeout=timeout)
        elif server_stream:
            it = srv.channel.unary_stream(path)(b"", metadata=md,
                                                timeout=timeout)
            for _ in it:
                it.cancel()  # one message is enough (Watch never ends)
                break
        else:
            srv.channel.unary_unary(path)(b"", metadata=md,
                                          timeout=timeout)
        return grpc.StatusCode.OK, ""
    except grpc.RpcError as e:
        return e.code(), e.details() or ""


def setUpModule():
    global pb, TMP, SERVER
    pb = stubs()[0]
    TMP = tempfile.mkdtemp(prefix="clusterd-auth-")
    for name in PRINCIPALS:
        TOKENS[name] = secrets.token_hex(32)
    path = os.path.join(TMP, "tokens")
    write_tokens(path, [(TOKENS[n], n, r) for n, r in PRINCIPALS.items()] +
                 [(None, "cert-only", "admin")])
    SERVER = Server("--threads", "2", auth_tokens=path)


def tearDownModule():
    if SERVER:
        SERVER.stop()
        SERVER.cleanup()
    shutil.rmtree(TMP, ignore_errors=True)


def md_of(name):
    return auth(TOKENS[name])


class RoleTable(unittest.TestCase):
    def test_doc_lists_every_method(self):
        doc, srv = doc_table(), server_methods()
        self.assertEqual(len(srv), 31)
        self.assertEqual(sorted(set(srv) - set(doc)), [],
                         "methods without a row in docs/security.md")
        self.assertEqual(sorted(set(doc) - set(srv)), [],
                         "rows for methods the server does not have")
        for m, (needs, judge) in doc.items():
            self.assertIn(needs, ("open", "reader", "editor", "admin"), m)
            # The judge column agrees with the role.
            self.assertEqual(judge.startswith("yes"),
                             needs in ("open", "reader"), m)

    def test_every_method_every_role(self):
        doc, srv = doc_table(), server_methods()
        for method, shape in sorted(srv.items()):
            needs, judge = doc[method]
            for role in ["reader", "judge", "editor", "admin", None]:
                md = md_of(ROLE_OF[role]) if role else None
                with self.subTest(method=method, role=role):
                    code, msg = call(SERVER, method, shape, md)
                    if role is None and needs != "open":
                        self.assertEqual(code, UNAUTH, msg)
                        self.assertIn("missing credentials", msg)
                    elif allowed(role, needs, judge):
                        self.assertNotIn(code, (PD, UNAUTH), msg)
                    else:
                        self.assertEqual(code, PD, msg)
                        self.assertIn("%s needs role %s; %s has %s" % (
                            method.split("/")[1], needs, ROLE_OF[role],
                            role), msg)

    def test_unknown_method(self):
        code, msg = call(SERVER, "x.Y/Z", (False, False), None)
        self.assertEqual(code, UNAUTH)
        code, msg = call(SERVER, "x.Y/Z", (False, False),
                         md_of("reader-1"))
        self.assertEqual(code, grpc.StatusCode.UNIMPLEMENTED)


class Tokens(unittest.TestCase):
    def get(self, md):
        return call(SERVER, "clusters.v1.ClusterRegistry/ListClusters",
                    (False, False), md)

    def test_good_token(self):
        self.assertEqual(self.get(md_of("reader-1"))[0],
                         grpc.StatusCode.OK)

    def test_bad_tokens(self):
        t = TOKENS["admin-1"]
        flipped = t[:10] + ("0" if t[10] != "0" else "1") + t[11:]
        for bad in [t.upper(), flipped, t[:-1], t + "0", sha(t),
                    "x" * 5000]:
            with self.subTest(token=bad[:20]):
                code, msg = self.get(auth(bad))
                self.assertEqual(code, UNAUTH)
                self.assertEqual(msg, "unknown token")
        for header in ["Basic " + t, t, "Bearer", "Bearer "]:
            with self.subTest(header=header[:20]):
                code, msg = self.get((("authorization", header),))
                self.assertEqual(code, UNAUTH)
        # A certificate-only line has no token.
        self.assertEqual(self.get(auth("-"))[0], UNAUTH)
        # The scheme in any case.
        self.assertEqual(self.get((("authorization", "bearer " + t),))[0],
                         grpc.StatusCode.OK)

    def test_health_open(self):
        hpb = stubs()[1]
        check = SERVER.unary("/grpc.health.v1.Health/Check",
                             hpb.HealthCheckRequest,
                             hpb.HealthCheckResponse)
        for md in [None, auth("wrong"), md_of("judge-a")]:
            r = check(hpb.HealthCheckRequest(), metadata=md, timeout=10)
            self.assertEqual(r.status, hpb.HealthCheckResponse.SERVING)

    def test_hash_token_matches(self):
        r = subprocess.run([BIN, "--hash-token"], input="abc\n",
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, sha("abc") + "\n")
        r = subprocess.run([BIN, "--hash-token"], input="",
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2)

    def test_log_names_principal_never_token(self):
        self.get(md_of("judge-b"))
        self.get(auth(TOKENS["judge-b"].upper()))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            log = SERVER.read_log()
            if 'principal="judge-b"' in log:
                break
            time.sleep(0.05)
        lines = [l for l in log.splitlines()
                 if "ListClusters" in l and 'principal="judge-b"' in l]
        self.assertTrue(lines, log[-2000:])
        self.assertIn("status=OK", lines[0])
        for t in TOKENS.values():
            self.assertNotIn(t, log)
            self.assertNotIn(t.upper(), log)
        self.assertIn('status=UNAUTHENTICATED', log)


def assessment(judge, criterion, score):
    return pb.Assessment(judge=judge, criterion=criterion, score=score,
                         round="final")


class Judges(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.create = SERVER.unary(REG + "CreateCluster",
                                  pb.CreateClusterRequest, pb.Cluster)
        cls.get_ = SERVER.unary(REG + "GetCluster", pb.GetClusterRequest,
                                pb.Cluster)
        cls.list_ = SERVER.unary(REG + "ListClusters",
                                 pb.ListClustersRequest,
                                 pb.ListClustersResponse)
        cls.export = SERVER.server_stream(REG + "ExportClusters",
                                          pb.ExportClustersRequest,
                                          pb.Cluster)
        cls.update = SERVER.unary(REG + "UpdateCluster",
                                  pb.UpdateClusterRequest, pb.Cluster)
        c = pb.Cluster(id="judged", name="Judged", economy="DE")
        c.assessments.extend([assessment("judge-a", "governance", 7),
                              assessment("judge-b", "governance", 3),
                              assessment("judge-b", "market", 4),
                              assessment("outside", "market", 5)])
        cls.create(pb.CreateClusterRequest(cluster=c),
                   metadata=md_of("editor-1"), timeout=30)

    def judges_seen(self, c):
        return sorted((a.judge, a.criterion, a.score) for a in c.assessments)

    def test_reads_hide_other_judges(self):
        for who in ["judge-a", "judge-b"]:
            md = md_of(who)
            got = [self.get_(pb.GetClusterRequest(id="judged"), metadata=md,
                             timeout=30)]
            got += [c for c in self.list_(pb.ListClustersRequest(),
                                          metadata=md, timeout=30).clusters
                    if c.id == "judged"]
            got += [c for c in self.export(pb.ExportClustersRequest(),
                                           metadata=md, timeout=30)
                    if c.id == "judged"]
            self.assertEqual(len(got), 3)
            for c in got:
                self.assertTrue(c.assessments, who)
                self.assertEqual({a.judge for a in c.assessments}, {who})
                self.assertEqual(c.name, "Judged")
        # Readers, editors and admins see every judge's.
        for who in ["reader-1", "editor-1", "admin-1"]:
            c = self.get_(pb.GetClusterRequest(id="judged"),
                          metadata=md_of(who), timeout=30)
            self.assertGreaterEqual(len(c.assessments), 3)

    def test_judge_cannot_write_others(self):
        md = md_of("judge-a")
        mask = {"update_mask": {"paths": ["assessments"]}}
        cases = [
            (pb.UpdateClusterRequest(cluster=pb.Cluster(
                id="judged", assessments=[assessment("judge-b",
                                                     "governance", 0)]),
                **mask), "'judge-b' is not judge-a"),
            (pb.UpdateClusterRequest(cluster=pb.Cluster(
                id="judged", assessments=[
                    assessment("judge-a", "governance", 1),
                    assessment("", "market", 0)]), **mask),
             "cluster.assessments[1].judge"),
            (pb.UpdateClusterRequest(cluster=pb.Cluster(
                id="judged", name="Renamed"),
                update_mask={"paths": ["name"]}), "needs role editor"),
            (pb.UpdateClusterRequest(cluster=pb.Cluster(
                id="judged", assessments=[
                    assessment("judge-a", "governance", 1)])),
             "update_mask"),
            (pb.UpdateClusterRequest(cluster=pb.Cluster(
                id="new-one", assessments=[
                    assessment("judge-a", "governance", 1)]),
                allow_missing=True, **mask), "allow_missing"),
        ]
        for req, want in cases:
            with self.subTest(want=want):
                with self.assertRaises(grpc.RpcError) as cm:
                    self.update(req, metadata=md, timeout=30)
                self.assertEqual(cm.exception.code(), PD)
                self.assertIn(want, cm.exception.details())
        for req, want in [(pb.CreateClusterRequest(cluster=pb.Cluster(
                id="by-judge", name="X", economy="DE")),
                "CreateCluster needs role editor; judge-a has judge")]:
            with self.assertRaises(grpc.RpcError) as cm:
                self.create(req, metadata=md, timeout=30)
            self.assertEqual(cm.exception.code(), PD)
            self.assertEqual(cm.exception.details(), want)
        c = self.get_(pb.GetClusterRequest(id="judged"),
                      metadata=md_of("editor-1"), timeout=30)
        self.assertEqual(c.name, "Judged")
        self.assertIn(("judge-b", "governance", 3.0), self.judges_seen(c))

    def test_own_write_keeps_others(self):
        c = pb.Cluster(id="judged2", name="Judged 2", economy="FR")
        c.assessments.extend([assessment("judge-a", "governance", 7),
                              assessment("judge-b", "governance", 3)])
        self.create(pb.CreateClusterRequest(cluster=c),
                    metadata=md_of("editor-1"), timeout=30)
        md = md_of("judge-a")
        r = self.update(pb.UpdateClusterRequest(
            cluster=pb.Cluster(id="judged2", assessments=[
                assessment("judge-a", "governance", 9),
                assessment("judge-a", "market", 8)]),
            update_mask={"paths": ["assessments"]}), metadata=md,
            timeout=30)
        # The reply is the judge's view.
        self.assertEqual(self.judges_seen(r), [
            ("judge-a", "governance", 9.0), ("judge-a", "market", 8.0)])
        full = self.get_(pb.GetClusterRequest(id="judged2"),
                         metadata=md_of("reader-1"), timeout=30)
        self.assertEqual(self.judges_seen(full), [
            ("judge-a", "governance", 9.0), ("judge-a", "market", 8.0),
            ("judge-b", "governance", 3.0)])
        self.assertEqual(full.name, "Judged 2")
        # A stale etag is ABORTED; the current one works.
        with self.assertRaises(grpc.RpcError) as cm:
            self.update(pb.UpdateClusterRequest(
                cluster=pb.Cluster(id="judged2"), etag="stale",
                update_mask={"paths": ["assessments"]}), metadata=md,
                timeout=30)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.ABORTED)
        # No assessments: the judge's own are withdrawn, others stay.
        r = self.update(pb.UpdateClusterRequest(
            cluster=pb.Cluster(id="judged2"), etag=full.etag,
            update_mask={"paths": ["assessments"]}), metadata=md,
            timeout=30)
        self.assertEqual(list(r.assessments), [])
        full = self.get_(pb.GetClusterRequest(id="judged2"),
                         metadata=md_of("admin-1"), timeout=30)
        self.assertEqual(self.judges_seen(full),
                         [("judge-b", "governance", 3.0)])
        # A missing cluster is NOT_FOUND, not a creation.
        with self.assertRaises(grpc.RpcError) as cm:
            self.update(pb.UpdateClusterRequest(
                cluster=pb.Cluster(id="nope"),
                update_mask={"paths": ["assessments"]}), metadata=md,
                timeout=30)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.NOT_FOUND)


def run_bin(*args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([BIN] + list(args), capture_output=True,
                          text=True, env=e, timeout=60)


class StartUp(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="clusterd-auth-start-")
        self.data = os.path.join(self.dir, "data")
        self.tokens = os.path.join(self.dir, "tokens")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def refused(self, *args, want, env=None):
        r = run_bin("--data-dir", self.data, *args, env=env)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
        self.assertTrue(r.stderr.startswith("clusterd: "), r.stderr)
        self.assertIn(want, r.stderr)
        self.assertFalse(os.path.exists(self.data))
        return r.stderr

    def test_non_loopback_refused(self):
        self.refused("--listen", "0.0.0.0:0",
                     want="0.0.0.0:0 is not a loopback address and the "
                          "server has no TLS and authentication")
        self.refused("--listen", "[::]:0", want="--insecure")
        write_tokens(self.tokens, [("t" * 64, "a", "reader")])
        self.refused("--listen", "0.0.0.0:0", "--auth-tokens", self.tokens,
                     want="has no TLS:")
        self.refused(want="no TLS", env={"CLUSTERD_LISTEN": "0.0.0.0:0"})

    def test_insecure_starts_and_warns(self):
        srv = Server("--listen", "0.0.0.0:0", "--insecure")
        try:
            code, _ = call(srv, "clusters.v1.ClusterRegistry/ListClusters",
                           (False, False), None)
            self.assertEqual(code, grpc.StatusCode.OK)
            log = srv.read_log()
            self.assertRegex(log, r"level=warn msg=\"insecure: serving on "
                             r"0\.0\.0\.0:\d+ without TLS and "
                             r"authentication \(--insecure\)")
        finally:
            self.assertEqual(srv.stop(), 0)
            srv.cleanup()

    def test_insecure_with_tokens_warns_of_tls(self):
        write_tokens(self.tokens, [("t" * 64, "a", "reader")])
        srv = Server("--listen", "0.0.0.0:0", "--insecure",
                     auth_tokens=self.tokens)
        try:
            code, _ = call(srv, "clusters.v1.ClusterRegistry/ListClusters",
                           (False, False), auth("t" * 64))
            self.assertEqual(code, grpc.StatusCode.OK)
            self.assertRegex(srv.read_log(), r"level=warn msg=\"insecure: "
                             r"serving on 0\.0\.0\.0:\d+ without TLS "
                             r"\(--insecure\)")
        finally:
            self.assertEqual(srv.stop(), 0)
            srv.cleanup()

    def test_tokens_file_refused(self):
        ok = [("t" * 64, "alice", "reader")]
        self.refused("--auth-tokens", self.tokens,
                     want="tokens file: cannot open %s: No such file" % self.tokens)
        write_tokens(self.tokens, ok, mode=0o644)
        self.refused("--auth-tokens", self.tokens,
                     want="has mode 0644: group or others")
        write_tokens(self.tokens, ok, mode=0o640)
        self.refused("--auth-tokens", self.tokens, want="mode 0640")
        write_tokens(self.tokens, ok + [("u" * 64, "bob", "owner")])
        self.refused("--auth-tokens", self.tokens,
                     want="tokens file %s line 4: roles 'owner'" %
                     self.tokens)
        write_tokens(self.tokens, ok + [("t" * 64, "bob", "reader")])
        self.refused("--auth-tokens", self.tokens,
                     want="line 4: duplicate hash")
        with open(self.tokens, "w") as f:
            f.write("abc alice reader\n")
        os.chmod(self.tokens, 0o600)
        self.refused("--auth-tokens", self.tokens, want="line 1: the hash")
        self.refused(want="tokens file",
                     env={"CLUSTERD_AUTH_TOKENS":
                          os.path.join(self.dir, "none")})


class Reload(unittest.TestCase):
    def test_sighup_adds_and_removes(self):
        d = tempfile.mkdtemp(prefix="clusterd-auth-hup-")
        path = os.path.join(d, "tokens")
        t = {n: secrets.token_hex(32) for n in ["old-1", "stay-1", "new-1"]}
        write_tokens(path, [(t["old-1"], "old-1", "reader"),
                            (t["stay-1"], "stay-1", "reader")])
        srv = Server(auth_tokens=path)
        lc = "clusters.v1.ClusterRegistry/ListClusters"
        try:
            self.assertEqual(call(srv, lc, (False, False),
                                  auth(t["old-1"]))[0], grpc.StatusCode.OK)
            self.assertEqual(call(srv, lc, (False, False),
                                  auth(t["new-1"]))[0], UNAUTH)
            write_tokens(path, [(t["stay-1"], "stay-1", "reader"),
                                (t["new-1"], "new-1", "editor")])
            srv.signal(signal.SIGHUP)
            deadline = time.monotonic() + 20
            while call(srv, lc, (False, False), auth(t["new-1"]))[0] != \
                    grpc.StatusCode.OK:
                self.assertLess(time.monotonic(), deadline, srv.read_log())
                time.sleep(0.05)
            self.assertEqual(call(srv, lc, (False, False),
                                  auth(t["old-1"])), (UNAUTH,
                                                      "unknown token"))
            self.assertEqual(call(srv, lc, (False, False),
                                  auth(t["stay-1"]))[0], grpc.StatusCode.OK)
            # A bad file keeps the table in use, and says why.
            os.chmod(path, 0o644)
            srv.signal(signal.SIGHUP)
            deadline = time.monotonic() + 20
            while "kept the 2 principals in use" not in srv.read_log():
                self.assertLess(time.monotonic(), deadline, srv.read_log())
                time.sleep(0.05)
            self.assertIn("mode 0644", srv.read_log())
            self.assertEqual(call(srv, lc, (False, False),
                                  auth(t["new-1"]))[0], grpc.StatusCode.OK)
            self.assertEqual(srv.stop(), 0)
            for tok in t.values():
                self.assertNotIn(tok, srv.read_log())
        finally:
            srv.cleanup()
            shutil.rmtree(d, ignore_errors=True)


class JsonLog(unittest.TestCase):
    def test_principal_field(self):
        d = tempfile.mkdtemp(prefix="clusterd-auth-json-")
        path = os.path.join(d, "tokens")
        tok = secrets.token_hex(32)
        write_tokens(path, [(tok, "ed@example.org", "editor")])
        srv = Server("--log-format", "json", auth_tokens=path)
        try:
            call(srv, "clusters.v1.ClusterRegistry/ListClusters",
                 (False, False), auth(tok))
            self.assertEqual(srv.stop(), 0)
            lines = [json.loads(l) for l in srv.read_log().splitlines()
                     if l.startswith("{")]
            calls = [l for l in lines if l.get("method", "").endswith(
                "/ListClusters")]
            self.assertEqual(len(calls), 1)
            self.assertEqual(calls[0]["principal"], "ed@example.org")
            self.assertNotIn(tok, srv.read_log())
        finally:
            srv.cleanup()
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
