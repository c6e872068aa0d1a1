"""Server reflection against the real clusterd (docs/operations.md,
"Reflection"), over grpc.reflection.v1 and grpc.reflection.v1alpha:

- list_services names every service of the server, each known to health;
- file_by_filename answers every file of the descriptor set built with
  the server, byte for byte as protoc wrote it, followed by its imports,
  transitively, each once; file_containing_symbol answers every symbol of
  the set (services, methods, messages, nested messages, enums and their
  values, fields, oneofs) with the file defining it, checked against an
  index built here independently;
- unknown names, extension queries, requests that do not decode, ask
  nothing or ask what the server does not know: an error_response with a
  code and message, and the stream goes on;
- many requests on one stream are answered in order; the client's
  half-close ends the call OK; a request over --max-message-bytes is
  RESOURCE_EXHAUSTED; a client that cancels or whose deadline passes
  mid-stream leaves the server serving (and stopping cleanly);
- with a tokens file, reflection needs a token (role reader);
- GetCluster called through grpcio's generic API with request and reply
  types built only from descriptors fetched by reflection (v1 and
  v1alpha), in a descriptor pool of their own.

Run by ctest with CLUSTERD_BIN, CLUSTERD_PROTO_DIR, CLUSTERD_GRPC_PROTO_DIR
and CLUSTERD_DESCRIPTOR_SET (the set the build embedded) set."""

import hashlib
import os
import queue
import re
import secrets
import shutil
import sys
import tempfile
import threading
import time
import unittest

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clusterd_harness import (REG, Server, auth, reflection_stubs,  # noqa
                              stubs)

V1 = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
V1ALPHA = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
SERVICES = sorted([
    "clusters.v1.AdminService", "clusters.v1.AuditService",
    "clusters.v1.ClusterRegistry", "clusters.v1.CompetitionService",
    "clusters.v1.PluginService", "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection"])
OK, NOT_FOUND, INVALID, UNIMPL = 0, 5, 3, 12
LIMIT = 16 * 1024  # --max-message-bytes of the module's server

SERVER = r1 = r1a = pb = hpb = SET = None


def setUpModule():
    global SERVER, r1, r1a, pb, hpb, SET
    pb, hpb = stubs()[0], stubs()[1]
    r1, r1a = reflection_stubs()
    with open(os.environ["CLUSTERD_DESCRIPTOR_SET"], "rb") as f:
        SET = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    SERVER = Server("--threads", "2", "--max-message-bytes", str(LIMIT))


def tearDownModule():
    if SERVER:
        rc = SERVER.stop()
        log = SERVER.read_log()
        SERVER.cleanup()
        assert rc == 0, "clusterd exited with %d" % rc
        assert "calls still referenced" not in log, log[-3000:]


def mod(path):
    return r1 if path == V1 else r1a


def stream(srv, path, metadata=None, timeout=30):
    """A function of a request iterator, giving the responses."""
    m = mod(path)
    return lambda reqs, **kw: srv.channel.stream_stream(
        path, request_serializer=m.ServerReflectionRequest.SerializeToString,
        response_deserializer=m.ServerReflectionResponse.FromString)(
            reqs, metadata=metadata, timeout=timeout, **kw)


def ask(path, *reqs, srv=None, metadata=None):
    """Sends the requests on one stream, half-closes; the responses."""
    return list(stream(srv or SERVER, path, metadata)(iter(reqs)))


def req(path, **kw):
    return mod(path).ServerReflectionRequest(**kw)


def files_of(resp):
    return [descriptor_pb2.FileDescriptorProto.FromString(b)
            for b in resp.file_descriptor_response.file_descriptor_proto]


# --- an independent index of the set -------------------------------------

def set_index():
    """{symbol: file name} for everything protobuf names in SET, and
    {file name: FileDescriptorProto}."""
    syms, files = {}, {}

    def add(name, fname):
        assert name not in syms, name
        syms[name] = fname

    def enum(scope, e, fname):
        add(scope + e.name, fname)
        for v in e.value:
            add(scope + v.name, fname)  # values are the enum's siblings

    def message(scope, m, fname):
        full = scope + m.name
        add(full, fname)
        for f in list(m.field) + list(m.extension):
            add(full + "." + f.name, fname)
        for o in m.oneof_decl:
            add(full + "." + o.name, fname)
        for e in m.enum_type:
            enum(full + ".", e, fname)
        for n in m.nested_type:
            message(full + ".", n, fname)

    for fd in SET.file:
        files[fd.name] = fd
        scope = fd.package + "." if fd.package else ""
        for m in fd.message_type:
            message(scope, m, fd.name)
        for e in fd.enum_type:
            enum(scope, e, fd.name)
        for s in fd.service:
            add(scope + s.name, fd.name)
            for meth in s.method:
                add(scope + s.name + "." + meth.name, fd.name)
        for x in fd.extension:
            add(scope + x.name, fd.name)
    return syms, files


def closure(files, name):
    """name, then its imports depth first, each once (gRPC C++'s
    order)."""
    out, seen = [], set()

    def visit(n):
        if n in seen:
            return
        seen.add(n)
        out.append(n)
        for d in files[n].dependency:
            visit(d)
    visit(name)
    return out


def pool_from(fds):
    """A descriptor pool of its own holding the fetched files (imports
    first)."""
    pool = descriptor_pool.DescriptorPool()
    todo, added = {f.name: f for f in fds}, set()
    while todo:
        ready = [n for n, f in todo.items()
                 if all(d in added for d in f.dependency)]
        assert ready, "files whose imports were not sent: %s" % list(todo)
        for n in ready:
            pool.Add(todo.pop(n))
            added.add(n)
    return pool


def message_class(pool, name):
    d = pool.FindMessageTypeByName(name)
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(d)
    return message_factory.MessageFactory(pool).GetPrototype(d)


class Answers(unittest.TestCase):
    def test_list_services(self):
        for path in (V1, V1ALPHA):
            with self.subTest(path=path):
                (r,) = ask(path, req(path, list_services="*"))
                self.assertEqual(r.WhichOneof("message_response"),
                                 "list_services_response")
                got = [s.name for s in r.list_services_response.service]
                self.assertEqual(sorted(got), SERVICES)
        # Each is one health knows.
        check = SERVER.unary("/grpc.health.v1.Health/Check",
                             hpb.HealthCheckRequest, hpb.HealthCheckResponse)
        for s in SERVICES:
            self.assertEqual(check(hpb.HealthCheckRequest(service=s),
                                   timeout=10).status,
                             hpb.HealthCheckResponse.SERVING, s)

    def test_every_file_by_name(self):
        _, files = set_index()
        raw = {fd.name: fd.SerializeToString() for fd in SET.file}
        for path in (V1, V1ALPHA):
            rs = ask(path, *[req(path, file_by_filename=n) for n in files])
            self.assertEqual(len(rs), len(files))
            for name, r in zip(files, rs):
                with self.subTest(path=path, file=name):
                    got = files_of(r)
                    self.assertEqual([f.name for f in got],
                                     closure(files, name))
                    # The bytes of the set, not a re-encoding.
                    self.assertEqual(r.file_descriptor_response
                                     .file_descriptor_proto[0], raw[name])
        self.assertIn("clusters/v1/clusters.proto", files)
        self.assertIn("grpc/reflection/v1alpha/reflection.proto", files)
        self.assertIn("google/protobuf/timestamp.proto", files)
        self.assertIn("google/rpc/error_details.proto", files)

    def test_every_symbol(self):
        syms, files = set_index()
        names = sorted(syms)
        self.assertGreater(len(names), 500)
        rs = ask(V1, *[req(V1, file_containing_symbol=s) for s in names])
        for s, r in zip(names, rs):
            with self.subTest(symbol=s):
                self.assertEqual(r.WhichOneof("message_response"),
                                 "file_descriptor_response", r)
                self.assertEqual([f.name for f in files_of(r)],
                                 closure(files, syms[s]))
                self.assertEqual(r.original_request.file_containing_symbol,
                                 s)

    def test_symbols_of_each_kind(self):
        cases = {
            "clusters.v1.ClusterRegistry": "clusters/v1/clusters.proto",
            "clusters.v1.ClusterRegistry.GetCluster":
                "clusters/v1/clusters.proto",
            "clusters.v1.Cluster": "clusters/v1/clusters.proto",
            "clusters.v1.Cluster.labels": "clusters/v1/clusters.proto",
            "clusters.v1.Cluster.LabelsEntry": "clusters/v1/clusters.proto",
            "clusters.v1.BackupChunk.part": "clusters/v1/admin.proto",
            "clusters.v1.AdminService.GetServerInfo":
                "clusters/v1/admin.proto",
            "google.protobuf.Timestamp": "google/protobuf/timestamp.proto",
            "google.rpc.BadRequest.FieldViolation":
                "google/rpc/error_details.proto",
            "grpc.health.v1.HealthCheckResponse.ServingStatus":
                "grpc/health/v1/health.proto",
            "grpc.health.v1.HealthCheckResponse.SERVING":
                "grpc/health/v1/health.proto",
            "grpc.reflection.v1alpha.ServerReflection":
                "grpc/reflection/v1alpha/reflection.proto",
        }
        # A top-level enum and one of its values, found in the set.
        syms, _ = set_index()
        for fd in SET.file:
            if fd.package == "clusters.v1" and fd.enum_type:
                e = fd.enum_type[0]
                cases["clusters.v1." + e.name] = fd.name
                cases["clusters.v1." + e.value[-1].name] = fd.name
                break
        for path in (V1, V1ALPHA):
            rs = ask(path, *[req(path, file_containing_symbol=s)
                             for s in cases])
            for (s, want), r in zip(cases.items(), rs):
                with self.subTest(path=path, symbol=s):
                    self.assertEqual(files_of(r)[0].name, want)
        # The served descriptor keeps LabelsEntry a map entry.
        (r,) = ask(V1, req(V1, file_containing_symbol="clusters.v1.Cluster"))
        c = [m for m in files_of(r)[0].message_type if m.name == "Cluster"][0]
        e = [n for n in c.nested_type if n.name == "LabelsEntry"][0]
        self.assertTrue(e.options.map_entry)

    def test_not_found(self):
        cases = [
            (dict(file_containing_symbol="clusters.v1.Nope"),
             'symbol "clusters.v1.Nope" not found'),
            # Packages are not symbols; names have no leading dot.
            (dict(file_containing_symbol="clusters.v1"), "not found"),
            (dict(file_containing_symbol=".clusters.v1.Cluster"),
             "not found"),
            (dict(file_containing_symbol=""), 'symbol "" not found'),
            (dict(file_by_filename="nope.proto"),
             'file "nope.proto" not found'),
            (dict(file_by_filename="/clusters/v1/clusters.proto"),
             "not found"),
            (dict(file_by_filename="x" * 5000), "not found"),
        ]
        for path in (V1, V1ALPHA):
            rs = ask(path, *[req(path, **kw) for kw, _ in cases])
            for (kw, want), r in zip(cases, rs):
                with self.subTest(path=path, req=str(kw)[:60]):
                    self.assertEqual(r.WhichOneof("message_response"),
                                     "error_response")
                    self.assertEqual(r.error_response.error_code, NOT_FOUND)
                    self.assertIn(want, r.error_response.error_message)
                    self.assertLess(len(r.error_response.error_message), 512)
                    # The request comes back as asked.
                    self.assertEqual(r.original_request,
                                     req(path, **kw))

    def test_extensions(self):
        """Our protos declare no extensions: every known message has
        none, and no extension is found."""
        for path in (V1, V1ALPHA):
            m = mod(path)
            rs = ask(path,
                     req(path, all_extension_numbers_of_type=
                         "clusters.v1.Cluster"),
                     req(path, all_extension_numbers_of_type=
                         "clusters.v1.Nope"),
                     req(path, all_extension_numbers_of_type=
                         "clusters.v1.ClusterRegistry"),
                     req(path, file_containing_extension=m.ExtensionRequest(
                         containing_type="clusters.v1.Cluster",
                         extension_number=100)),
                     req(path, file_containing_extension=m.ExtensionRequest(
                         containing_type="clusters.v1.Nope",
                         extension_number=1)),
                     req(path, file_containing_extension=m.ExtensionRequest()))
            with self.subTest(path=path):
                r = rs[0].all_extension_numbers_response
                self.assertEqual(r.base_type_name, "clusters.v1.Cluster")
                self.assertEqual(list(r.extension_number), [])
                for r, want in zip(rs[1:], [
                        'type "clusters.v1.Nope" not found',
                        'type "clusters.v1.ClusterRegistry" not found',
                        "extension 100 of clusters.v1.Cluster not found",
                        'type "clusters.v1.Nope" not found',
                        'type "" not found']):
                    self.assertEqual(r.error_response.error_code, NOT_FOUND)
                    self.assertIn(want, r.error_response.error_message)

    def test_bad_requests_answered_and_stream_goes_on(self):
        """Raw bytes: a request that does not decode, one with a field the
        server does not know (a newer kind of question), invalid UTF-8,
        one that asks nothing; each gets an error_response, and the
        stream answers the next request."""
        ident = SERVER.channel.stream_stream(
            V1, request_serializer=None,
            response_deserializer=r1.ServerReflectionResponse.FromString)
        good = req(V1, list_services="").SerializeToString()
        bad = [(b"\xff\xff\xff", INVALID, "not a valid"),
               (b"\xca\x06\x01x", UNIMPL, "list_services"),  # field 105
               (b"\x1a\x02\xc3\x28", INVALID, "UTF-8"),     # field 3
               (b"", INVALID, "asks nothing"),
               (b"\x0a\x01h", INVALID, "asks nothing")]      # host only
        msgs = []
        for b, _, _ in bad:
            msgs += [b, good]
        rs = list(ident(iter(msgs), timeout=30))
        self.assertEqual(len(rs), 2 * len(bad))
        for i, (b, code, want) in enumerate(bad):
            with self.subTest(bytes=b):
                e = rs[2 * i].error_response
                self.assertEqual(e.error_code, code, e)
                self.assertIn(want, e.error_message)
                self.assertEqual(rs[2 * i + 1].WhichOneof(
                    "message_response"), "list_services_response")
        # The host is echoed.
        (r,) = ask(V1, req(V1, host="example:1", list_services=""))
        self.assertEqual(r.valid_host, "example:1")


class Stream(unittest.TestCase):
    def test_many_requests_in_order(self):
        syms, _ = set_index()
        names = sorted(syms)[:100]
        reqs = []
        for i, s in enumerate(names):
            reqs.append(req(V1, file_containing_symbol=s) if i % 3 else
                        req(V1, file_containing_symbol=s + ".missing"))
        reqs.append(req(V1, list_services=""))
        rs = ask(V1, *reqs)
        self.assertEqual(len(rs), len(reqs))
        for q, r in zip(reqs, rs):
            self.assertEqual(r.original_request, q)

    def test_interleaved_and_half_close(self):
        """One request at a time, each answered before the next is sent;
        then the client half-closes and the call ends OK. A stream closed
        before any request ends OK too."""
        q = queue.Queue()

        def gen():
            while True:
                item = q.get()
                if item is None:
                    return
                yield item
        call = stream(SERVER, V1)(gen())
        for s in ["clusters.v1.Cluster", "nope", "grpc.health.v1.Health"]:
            q.put(req(V1, file_containing_symbol=s))
            r = next(call)
            self.assertEqual(r.original_request.file_containing_symbol, s)
        q.put(None)
        self.assertEqual(list(call), [])
        self.assertEqual(call.code(), grpc.StatusCode.OK)
        call = stream(SERVER, V1ALPHA)(iter([]))
        self.assertEqual(list(call), [])
        self.assertEqual(call.code(), grpc.StatusCode.OK)

    def test_too_large_refused(self):
        big = "x" * (LIMIT + 100)
        with self.assertRaises(grpc.RpcError) as cm:
            ask(V1, req(V1, list_services=""),
                req(V1, file_containing_symbol=big))
        self.assertEqual(cm.exception.code(),
                         grpc.StatusCode.RESOURCE_EXHAUSTED)
        # Just under the limit is answered.
        (r,) = ask(V1, req(V1, file_containing_symbol="y" * (LIMIT - 100)))
        self.assertEqual(r.error_response.error_code, NOT_FOUND)
        self.assertLess(len(r.error_response.error_message), 512)

    def healthy(self):
        check = SERVER.unary("/grpc.health.v1.Health/Check",
                             hpb.HealthCheckRequest, hpb.HealthCheckResponse)
        self.assertEqual(check(hpb.HealthCheckRequest(), timeout=10).status,
                         hpb.HealthCheckResponse.SERVING)
        (r,) = ask(V1, req(V1, list_services=""))
        self.assertEqual(len(r.list_services_response.service),
                         len(SERVICES))

    def wait_log(self, pattern, count=1, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            n = len(re.findall(pattern, SERVER.read_log()))
            if n >= count:
                return n
            time.sleep(0.05)
        self.fail("%d x %r not in the log:\n%s" % (
            count, pattern, SERVER.read_log()[-3000:]))

    def test_cancel_mid_stream(self):
        """Clients that cancel before any request, after an answer, and
        with requests queued; the server answers everyone else, logs each
        call CANCELLED and stops cleanly (tearDownModule)."""
        pat = (r'method="/grpc\.reflection\.v1(alpha)?\.ServerReflection/'
               r'ServerReflectionInfo" status=CANCELLED')
        before = len(re.findall(pat, SERVER.read_log()))
        calls = []
        for i in range(12):
            path = V1 if i % 2 else V1ALPHA
            q = queue.Queue()

            def gen(q=q):
                while True:
                    item = q.get()
                    if item is None:
                        return
                    yield item
            call = stream(SERVER, path)(gen())
            kind = i % 3
            if kind == 1:       # after one answer
                q.put(req(path, list_services=""))
                next(call)
            elif kind == 2:     # with many queued, some perhaps answered
                for _ in range(50):
                    q.put(req(path, file_containing_symbol=
                              "clusters.v1.Competition"))
                next(call)
            calls.append((call, q))
        for call, q in calls:
            call.cancel()
            q.put(None)
            with self.assertRaises(grpc.RpcError) as cm:
                list(call)
            self.assertEqual(cm.exception.code(), grpc.StatusCode.CANCELLED)
        self.healthy()
        self.wait_log(pat, before + len(calls))

    def test_deadline_mid_stream(self):
        """The call is over when the server learns of it: its log line
        says CANCELLED, after about the deadline."""
        pat = (r'method="/grpc\.reflection\.v1\.ServerReflection/'
               r'ServerReflectionInfo" status=CANCELLED duration_ms='
               r'(1\d\d\d|9[5-9]\d)\.\d+ .*msg="stream cut off after 1 '
               r'requests answered: ')
        before = len(re.findall(pat, SERVER.read_log()))
        q = queue.Queue()

        def gen():
            while True:
                item = q.get()
                if item is None:
                    return
                yield item
        call = stream(SERVER, V1, timeout=1.0)(gen())
        q.put(req(V1, list_services=""))
        next(call)
        with self.assertRaises(grpc.RpcError) as cm:
            list(call)
        q.put(None)
        self.assertEqual(cm.exception.code(),
                         grpc.StatusCode.DEADLINE_EXCEEDED)
        self.healthy()
        self.wait_log(pat, before + 1)

    def test_client_gone(self):
        """A channel closed with a stream open (the client process going
        away): the server ends the call and goes on."""
        ch = SERVER.make_channel()
        q = queue.Queue()

        def gen():
            while True:
                item = q.get()
                if item is None:
                    return
                yield item
        call = ch.stream_stream(
            V1, request_serializer=r1.ServerReflectionRequest
            .SerializeToString,
            response_deserializer=r1.ServerReflectionResponse.FromString)(
                gen(), timeout=30)
        q.put(req(V1, list_services=""))
        next(call)
        ch.close()
        q.put(None)
        self.healthy()


class Shutdown(unittest.TestCase):
    def test_open_streams_end_at_shutdown(self):
        """Streams a client keeps open end with UNAVAILABLE as soon as
        the server shuts down, instead of holding it for the grace
        period (30 s here); the server exits 0 at once."""
        srv = Server("--grace-ms", "30000")
        try:
            calls = []
            for i, path in enumerate([V1, V1ALPHA, V1]):
                q = queue.Queue()

                def gen(q=q):
                    while True:
                        item = q.get()
                        if item is None:
                            return
                        yield item
                call = stream(srv, path)(gen())
                # An answer first: then the server is surely serving the
                # stream (one that never arrived is the listener's
                # business: its client sees the connection close).
                for _ in range(i + 1):
                    q.put(req(path, list_services=""))
                    next(call)
                calls.append((call, q))
            t0 = time.monotonic()
            srv.signal()
            for call, q in calls:
                with self.assertRaises(grpc.RpcError) as cm:
                    list(call)
                q.put(None)
                self.assertEqual(cm.exception.code(),
                                 grpc.StatusCode.UNAVAILABLE)
                self.assertIn("shutting down", cm.exception.details())
            self.assertEqual(srv.wait(60), 0)
            self.assertLess(time.monotonic() - t0, 15)
            log = srv.read_log()
            self.assertNotIn("grace period of 30000 ms over", log)
            self.assertNotIn("calls still referenced", log)
        finally:
            srv.cleanup()


class ReflectedCall(unittest.TestCase):
    """GetCluster with request and reply types made from nothing but the
    descriptors reflection sent."""

    @classmethod
    def setUpClass(cls):
        create = SERVER.unary(REG + "CreateCluster", pb.CreateClusterRequest,
                              pb.Cluster)
        c = pb.Cluster(id="reflected", name="Reflected Basin",
                       economy="FR", cities=["Lyon"], industry="chemicals")
        c.indicators.add(name="jobs", value=4200, year=2022)
        c.labels["source"] = "python"
        cls.created = create(pb.CreateClusterRequest(cluster=c), timeout=30)

    def test_get_cluster(self):
        for path in (V1, V1ALPHA):
            with self.subTest(path=path):
                (r,) = ask(path, req(path, file_containing_symbol=
                                     "clusters.v1.ClusterRegistry"))
                pool = pool_from(files_of(r))
                svc = pool.FindServiceByName("clusters.v1.ClusterRegistry")
                m = svc.methods_by_name["GetCluster"]
                Req = message_class(pool, m.input_type.full_name)
                Resp = message_class(pool, m.output_type.full_name)
                self.assertEqual(Req.DESCRIPTOR.full_name,
                                 "clusters.v1.GetClusterRequest")
                get = SERVER.channel.unary_unary(
                    "/%s/%s" % (svc.full_name, m.name),
                    request_serializer=Req.SerializeToString,
                    response_deserializer=Resp.FromString)
                c = get(Req(id="reflected"), timeout=30)
                self.assertEqual(c.name, "Reflected Basin")
                self.assertEqual(list(c.cities), ["Lyon"])
                self.assertEqual(c.indicators[0].name, "jobs")
                self.assertEqual(c.indicators[0].value, 4200)
                self.assertEqual(dict(c.labels), {"source": "python"})
                self.assertEqual(c.etag, self.created.etag)
                self.assertEqual(c.create_time.seconds,
                                 self.created.create_time.seconds)
                # The same bytes as the compiled stubs read.
                self.assertEqual(pb.Cluster.FromString(c.SerializeToString()),
                                 self.created)
                with self.assertRaises(grpc.RpcError) as cm:
                    get(Req(id="nope"), timeout=30)
                self.assertEqual(cm.exception.code(),
                                 grpc.StatusCode.NOT_FOUND)


class Tokens(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="clusterd-refl-auth-")
        cls.tok = {n: secrets.token_hex(32) for n in ("r", "j", "e")}
        path = os.path.join(cls.dir, "tokens")
        with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            for n, role in (("r", "reader"), ("j", "judge"), ("e", "editor")):
                f.write("%s %s %s\n" % (hashlib.sha256(
                    cls.tok[n].encode()).hexdigest(), "p-" + n, role))
        cls.srv = Server(auth_tokens=path)

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        cls.srv.cleanup()
        shutil.rmtree(cls.dir, ignore_errors=True)
        assert rc == 0

    def test_token_needed(self):
        for path in (V1, V1ALPHA):
            for md, code in [(None, grpc.StatusCode.UNAUTHENTICATED),
                             (auth("wrong"), grpc.StatusCode.UNAUTHENTICATED)]:
                with self.subTest(path=path, md=md):
                    with self.assertRaises(grpc.RpcError) as cm:
                        ask(path, req(path, list_services=""), srv=self.srv,
                            metadata=md)
                    self.assertEqual(cm.exception.code(), code)
            for n in ("r", "j", "e"):
                with self.subTest(path=path, who=n):
                    (r,) = ask(path, req(path, list_services=""),
                               srv=self.srv, metadata=auth(self.tok[n]))
                    self.assertEqual(len(r.list_services_response.service),
                                     len(SERVICES))


if __name__ == "__main__":
    unittest.main()
