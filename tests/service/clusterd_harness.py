"""Starts the real clusterd on an ephemeral port with a temporary data
directory, and builds grpcio stubs for the API from the .proto files at test
time (protoc --python_out; grpcio-tools is not available), calling methods
by their paths."""

import os
import shutil
import signal as _signal
import subprocess
import sys
import tempfile
import time

import grpc

_STUBS = None


def stubs():
    """Compiles the protos once per process; returns (clusters_pb2,
    health_pb2, competitions_pb2, plugins_pb2)."""
    global _STUBS
    if _STUBS:
        return _STUBS
    proto_dir = os.environ["CLUSTERD_PROTO_DIR"]
    health = os.environ.get("CLUSTERD_HEALTH_PROTO",
                            "/usr/share/grpc-proto/grpc/health/v1/health.proto")
    out = tempfile.mkdtemp(prefix="clusterd-stubs-")
    # The health proto goes under another top-level name: a generated
    # package called "grpc" would shadow grpcio itself.
    hdir = os.path.join(out, "src", "health_v1")
    os.makedirs(hdir)
    shutil.copy(health, hdir)
    gen = os.path.join(out, "gen")
    os.makedirs(gen)
    subprocess.run(["protoc", "-I", proto_dir, "-I", os.path.join(out, "src"),
                    "--python_out", gen,
                    "clusters/v1/clusters.proto",
                    "clusters/v1/competitions.proto",
                    "clusters/v1/plugins.proto",
                    "clusters/v1/audit.proto",
                    "clusters/v1/admin.proto",
                    "google/rpc/status.proto",
                    "google/rpc/error_details.proto",
                    "health_v1/health.proto"], check=True)
    sys.path.insert(0, gen)
    from clusters.v1 import clusters_pb2, competitions_pb2, plugins_pb2
    from health_v1 import health_pb2
    _STUBS = (clusters_pb2, health_pb2, competitions_pb2, plugins_pb2)
    return _STUBS


def violations(e):
    """[(field, description)] of the google.rpc.BadRequest an
    INVALID_ARGUMENT carries in its grpc-status-details-bin trailer (after
    stubs()); [] when there is none."""
    from google.rpc import error_details_pb2, status_pb2
    out = []
    for k, v in e.trailing_metadata() or ():
        if k != "grpc-status-details-bin":
            continue
        st = status_pb2.Status()
        st.ParseFromString(v)
        for d in st.details:
            br = error_details_pb2.BadRequest()
            if d.Unpack(br):
                out += [(f.field, f.description)
                        for f in br.field_violations]
    return out


_REFL = None


def reflection_stubs():
    """grpc.reflection.v1 and v1alpha compiled once per process from
    Debian's grpc-proto (CLUSTERD_GRPC_PROTO_DIR); returns (v1_pb2,
    v1alpha_pb2). Under other top-level names, as health's: a generated
    package called "grpc" would shadow grpcio itself."""
    global _REFL
    if _REFL:
        return _REFL
    src = os.environ.get("CLUSTERD_GRPC_PROTO_DIR", "/usr/share/grpc-proto")
    out = tempfile.mkdtemp(prefix="clusterd-refl-stubs-")
    names = []
    for v in ("v1", "v1alpha"):
        d = os.path.join(out, "src", "reflection_" + v)
        os.makedirs(d)
        shutil.copy(os.path.join(src, "grpc", "reflection", v,
                                 "reflection.proto"), d)
        names.append("reflection_%s/reflection.proto" % v)
    gen = os.path.join(out, "gen")
    os.makedirs(gen)
    subprocess.run(["protoc", "-I", os.path.join(out, "src"), "--python_out",
                    gen] + names, check=True)
    sys.path.insert(0, gen)
    from reflection_v1 import reflection_pb2 as v1
    from reflection_v1alpha import reflection_pb2 as v1alpha
    _REFL = (v1, v1alpha)
    return _REFL


REG = "/clusters.v1.ClusterRegistry/"


def make_plugin_dir(path, files, mode=None):
    """Creates the plugin directory path (with mode, when given) holding
    a copy, mode 0644, of each (source directory, file name) in files;
    returns path."""
    os.mkdir(path) if mode is None else os.mkdir(path, mode)
    for src, f in files:
        shutil.copyfile(os.path.join(src, f), os.path.join(path, f))
        os.chmod(os.path.join(path, f), 0o644)
    return path


def auth(token):
    """Call metadata carrying a bearer token."""
    return (("authorization", "Bearer " + token),)

HEALTH = "/grpc.health.v1.Health/"


class Server:
    """One clusterd process. stop() sends a signal and returns the exit
    status."""

    def __init__(self, *flags, start_timeout=60.0, preexec_fn=None,
                 auth_tokens=None, channel_credentials=None,
                 channel_options=None):
        self.binary = os.environ["CLUSTERD_BIN"]
        # A TLS server (--tls-cert): the test's channel is made with
        # these (grpc.ssl_channel_credentials), else it is plaintext.
        self.channel_credentials = channel_credentials
        self.channel_options = list(channel_options or [])
        # Runs in the child before exec, e.g. to lower a resource limit.
        self.preexec_fn = preexec_fn
        self.dir = tempfile.mkdtemp(prefix="clusterd-test-")
        self.data = os.path.join(self.dir, "data")
        self.port_file = os.path.join(self.dir, "port")
        self.log_path = os.path.join(self.dir, "clusterd.log")
        # auth_tokens: the path of a tokens file (docs/security.md); calls
        # then need metadata=auth(token).
        self.flags = list(flags)
        if auth_tokens:
            self.flags += ["--auth-tokens", auth_tokens]
        self.proc = None
        self.channel = None
        self.start(start_timeout)

    def start(self, start_timeout=60.0):
        if os.path.exists(self.port_file):
            os.unlink(self.port_file)
        self.log = open(self.log_path, "a")
        # CLUSTERD_WRAPPER runs the server under a tool, e.g. valgrind.
        wrapper = os.environ.get("CLUSTERD_WRAPPER", "").split()
        self.proc = subprocess.Popen(
            wrapper + [self.binary, "--listen", "127.0.0.1:0", "--data-dir", self.data,
             "--port-file", self.port_file] + self.flags,
            stdout=subprocess.DEVNULL, stderr=self.log,
            preexec_fn=self.preexec_fn)
        limit = time.monotonic() + start_timeout
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None:
                raise RuntimeError("clusterd exited with %d:\n%s" %
                                   (self.proc.returncode, self.read_log()))
            if time.monotonic() > limit:
                self.proc.kill()
                raise RuntimeError("clusterd did not start:\n" +
                                   self.read_log())
            time.sleep(0.02)
        with open(self.port_file) as f:
            self.port = int(f.read().strip())
        self.address = "127.0.0.1:%d" % self.port
        if self.channel_credentials is None and not self.channel_options:
            self.channel = grpc.insecure_channel(self.address)
        else:
            self.channel = self.make_channel(self.channel_credentials,
                                             self.channel_options)

    def make_channel(self, credentials=None, options=()):
        """A new channel to the server with connections of its own (a
        local subchannel pool), so that a test of what a new connection
        sees never gets one opened before."""
        opts = list(options) + [("grpc.use_local_subchannel_pool", 1)]
        if credentials is None:
            return grpc.insecure_channel(self.address, options=opts)
        return grpc.secure_channel(self.address, credentials, options=opts)

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def signal(self, sig=_signal.SIGTERM):
        self.proc.send_signal(sig)

    def wait(self, timeout=120):
        rc = self.proc.wait(timeout)
        if self.channel:
            self.channel.close()
            self.channel = None
        self.log.close()
        if rc != 0:
            # A crash or abort: its last words are in the log, which the
            # test's own message would not show.
            sys.stderr.write("clusterd exited with %d; log tail:\n%s\n"
                             % (rc, self.read_log()[-4000:]))
        return rc

    def stop(self, sig=_signal.SIGTERM, timeout=120):
        if self.proc.poll() is None:
            self.signal(sig)
        return self.wait(timeout)

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- calls by path ------------------------------------------------------

    def unary(self, path, req_cls=None, resp_cls=None):
        return self.channel.unary_unary(
            path,
            request_serializer=req_cls.SerializeToString if req_cls else None,
            response_deserializer=resp_cls.FromString if resp_cls else None)

    def client_stream(self, path, req_cls=None, resp_cls=None):
        return self.channel.stream_unary(
            path,
            request_serializer=req_cls.SerializeToString if req_cls else None,
            response_deserializer=resp_cls.FromString if resp_cls else None)

    def server_stream(self, path, req_cls=None, resp_cls=None):
        return self.channel.unary_stream(
            path,
            request_serializer=req_cls.SerializeToString if req_cls else None,
            response_deserializer=resp_cls.FromString if resp_cls else None)
