"""Prometheus metrics of the real clusterd (docs/operations.md, "Observe"):
--metrics-listen on an ephemeral port; the exposition passes
`promtool check metrics`; Debian's real Prometheus scrapes it every
second (with deploy/prometheus/alerts.yml loaded) while the test drives
calls that succeed and fail, an import, runs that succeed and runs whose
plugins crash, time out, break the sandbox or fail; then what Prometheus
stored is read back through its HTTP query API. Also: 404 and 405, bad
--metrics-listen values refused at start (status 2, one line), a port in
use (status 1), and the alert rules' check. promtool and prometheus are
required: without them the test fails (deploy/install-deps.sh installs
them)."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clusterd_harness import Server, stubs, REG, make_plugin_dir  # noqa: E402

COMP = "/clusters.v1.CompetitionService/"
SRC = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
ALERTS = os.path.join(SRC, "deploy", "prometheus", "alerts.yml")
BUILD_DIR = os.environ["CLUSTERD_PLUGIN_BUILD_DIR"]
BROKEN_DIR = os.environ["CLUSTERD_BROKEN_PLUGINS"]
FIXTURES = os.environ["CLUSTERD_PLUGIN_FIXTURES"]
PROMTOOL = shutil.which("promtool")
PROMETHEUS = shutil.which("prometheus")
pb = cpb = None


def setUpModule():
    global pb, cpb
    pb, _, cpb, _ = stubs()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http_get(url, method="GET", data=None, timeout=10):
    """(status, headers, body) of one request."""
    req = urllib.request.Request(url, method=method, data=data)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def plugin_dir(tmp):
    return make_plugin_dir(os.path.join(tmp, "plugins"),
                           [(BUILD_DIR, "indicator.so"),
                            (FIXTURES, "fx_good.so"),
                            (BROKEN_DIR, "bk_segv.so"),
                            (BROKEN_DIR, "bk_loop.so"),
                            (BROKEN_DIR, "bk_socket.so")])


def competition(cid, plugin, timeout_ms=0, **params):
    comp = cpb.Competition(id=cid, title="metrics")
    r = comp.rounds.add(name="only")
    c = cpb.Criterion(id="c1", plugin=plugin, weight=1.0,
                      normalization=cpb.NORMALIZATION_NONE)
    for k, v in params.items():
        c.params[k] = str(v)
    r.criteria.append(c)
    if timeout_ms:
        comp.plugin_timeout.seconds = timeout_ms // 1000
        comp.plugin_timeout.nanos = (timeout_ms % 1000) * 1000000
    return comp


class Prometheus:
    """Debian's prometheus on a loopback port, scraping target every
    second, with the alert rules loaded."""

    def __init__(self, tmp, target):
        self.port = free_port()
        self.dir = os.path.join(tmp, "prometheus")
        os.mkdir(self.dir)
        cfg = os.path.join(self.dir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n"
                    "  scrape_interval: 1s\n"
                    "  evaluation_interval: 1s\n"
                    "rule_files:\n"
                    "  - %s\n"
                    "scrape_configs:\n"
                    "  - job_name: clusterd\n"
                    "    static_configs:\n"
                    "      - targets: ['%s']\n" % (ALERTS, target))
        # The port was free when picked; another test may take it before
        # Prometheus binds it: then a new port, up to three times.
        for _ in range(3):
            if self.start(cfg):
                return
            self.port = free_port()
        raise RuntimeError("prometheus: its port was taken three times")

    def start(self, cfg):
        """Starts Prometheus and waits until it is ready: True; False
        when its port was taken meanwhile."""
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.proc = subprocess.Popen(
            [PROMETHEUS, "--config.file", cfg,
             "--storage.tsdb.path", os.path.join(self.dir, "data"),
             "--web.listen-address", "127.0.0.1:%d" % self.port,
             "--log.level", "warn"],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.url = "http://127.0.0.1:%d" % self.port
        limit = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                log = self.read_log()
                if "address already in use" in log:
                    self.log.close()
                    return False
                raise RuntimeError("prometheus exited:\n" + log)
            try:
                if http_get(self.url + "/-/ready", timeout=2)[0] == 200:
                    return True
            except OSError:
                pass
            if time.monotonic() > limit:
                raise RuntimeError("prometheus not ready:\n" +
                                   self.read_log())
            time.sleep(0.1)

    def read_log(self):
        with open(os.path.join(self.dir, "log")) as f:
            return f.read()

    def api(self, path, **params):
        url = "%s/api/v1/%s?%s" % (self.url, path,
                                   urllib.parse.urlencode(params))
        status, _, body = http_get(url)
        if status != 200:
            raise AssertionError("%s: %d %s" % (url, status, body))
        doc = json.loads(body)
        if doc["status"] != "success":
            raise AssertionError("%s: %s" % (url, body))
        return doc["data"]

    def query(self, expr):
        """{labels-without-__name__ as a sorted tuple: value}."""
        out = {}
        for r in self.api("query", query=expr)["result"]:
            labels = tuple(sorted((k, v) for k, v in r["metric"].items()
                                  if k not in ("__name__", "instance",
                                               "job")))
            out[labels] = float(r["value"][1])
        return out

    def value(self, expr):
        """The single value of expr, or None while it has none."""
        got = self.query(expr)
        if len(got) > 1:
            raise AssertionError("%s: %d series" % (expr, len(got)))
        return next(iter(got.values())) if got else None

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class Tools(unittest.TestCase):
    def test_tools_present(self):
        """Not a skip: CI installs them (deploy/install-deps.sh)."""
        self.assertIsNotNone(PROMTOOL, "promtool is missing: run "
                             "deploy/install-deps.sh")
        self.assertIsNotNone(PROMETHEUS, "prometheus is missing: run "
                             "deploy/install-deps.sh")

    def test_alert_rules_check(self):
        self.assertIsNotNone(PROMTOOL)
        r = subprocess.run([PROMTOOL, "check", "rules", ALERTS],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("SUCCESS", r.stdout)


class Metrics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not PROMTOOL or not PROMETHEUS:
            raise AssertionError("promtool and prometheus are required "
                                 "(deploy/install-deps.sh)")
        cls.tmp = tempfile.mkdtemp(prefix="clusterd-metrics-")
        cls.mport_file = os.path.join(cls.tmp, "metrics-port")
        cls.srv = Server("--plugin-dir", plugin_dir(cls.tmp),
                         "--metrics-listen", "127.0.0.1:0",
                         "--metrics-port-file", cls.mport_file,
                         "--run-workers", "2")
        with open(cls.mport_file) as f:
            cls.mport = int(f.read())
        cls.murl = "http://127.0.0.1:%d" % cls.mport
        cls.prom = Prometheus(cls.tmp, "127.0.0.1:%d" % cls.mport)

    @classmethod
    def tearDownClass(cls):
        cls.prom.stop()
        rc = cls.srv.stop()
        cls.srv.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert rc == 0, rc

    # --- helpers -------------------------------------------------------------

    def scrape(self):
        status, headers, body = http_get(self.murl + "/metrics")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"],
                         "text/plain; version=0.0.4; charset=utf-8")
        return body

    def u(self, path, req_cls, resp_cls):
        return self.srv.unary(path, req_cls, resp_cls)

    def run_to_end(self, comp_id):
        start = self.u(COMP + "StartRun", cpb.StartRunRequest, cpb.Run)
        get = self.u(COMP + "GetRun", cpb.GetRunRequest, cpb.Run)
        r = start(cpb.StartRunRequest(competition_id=comp_id), timeout=30)
        limit = time.monotonic() + 30
        while time.monotonic() < limit:
            got = get(cpb.GetRunRequest(id=r.id), timeout=30)
            if got.state in (cpb.RUN_STATE_SUCCEEDED, cpb.RUN_STATE_FAILED,
                             cpb.RUN_STATE_CANCELLED):
                return got
            time.sleep(0.05)
        self.fail("run %s did not end" % r.id)

    def wait_for(self, expr, want, timeout=20):
        """Polls Prometheus until expr's single value is want."""
        limit = time.monotonic() + timeout
        got = None
        while time.monotonic() < limit:
            got = self.prom.value(expr)
            if got == want:
                return
            time.sleep(0.25)
        self.fail("%s: Prometheus has %r, want %r" % (expr, got, want))

    # --- tests ---------------------------------------------------------------

    def test_1_exposition_passes_promtool(self):
        # Some of everything first, so that the histograms have samples.
        get = self.u(REG + "GetCluster", pb.GetClusterRequest, pb.Cluster)
        with self.assertRaises(Exception):
            get(pb.GetClusterRequest(id="nobody"), timeout=10)
        # A call is counted once gRPC reports it finished, which can come
        # after the client has its answer: wait for the count (a loaded
        # machine once scraped in between, the call still in flight).
        limit = time.monotonic() + 20
        body = self.scrape()
        while ("\n# TYPE clusterd_grpc_requests_total " not in body and
               time.monotonic() < limit):
            time.sleep(0.05)
            body = self.scrape()
        r = subprocess.run([PROMTOOL, "check", "metrics"], input=body,
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout + r.stderr, "", "lint warnings")
        for family in ("clusterd_build_info", "clusterd_grpc_requests_total",
                       "clusterd_grpc_request_duration_seconds",
                       "clusterd_grpc_requests_in_flight",
                       "clusterd_commits_total", "clusterd_store_records",
                       "clusterd_store_readers_max", "clusterd_runs_queued",
                       "clusterd_connections_open",
                       "process_resident_memory_bytes",
                       "process_open_fds", "process_max_fds",
                       "process_cpu_seconds_total",
                       "process_start_time_seconds",
                       "process_virtual_memory_bytes"):
            self.assertIn("\n# TYPE %s " % family, body)
        # HEAD answers the headers alone.
        status, headers, text = http_get(self.murl + "/metrics", "HEAD")
        self.assertEqual((status, text), (200, ""))

    def test_2_paths_and_methods(self):
        status, _, text = http_get(self.murl + "/")
        self.assertEqual(status, 404)
        self.assertIn("/metrics", text)
        self.assertEqual(http_get(self.murl + "/metrics/x")[0], 404)
        status, headers, _ = http_get(self.murl + "/metrics", "POST",
                                      data=b"x=1")
        self.assertEqual(status, 405)
        self.assertEqual(headers["Allow"], "GET, HEAD")
        self.assertEqual(http_get(self.murl + "/metrics", "PUT",
                                  data=b"")[0], 405)
        # Idle and half-sent HTTP connections do not stop gRPC calls.
        socks = [socket.create_connection(("127.0.0.1", self.mport))
                 for _ in range(20)]
        try:
            socks[0].sendall(b"GET /metrics HTTP/1.1\r\nHost: x")
            check = self.u(REG + "ListClusters", pb.ListClustersRequest,
                           pb.ListClustersResponse)
            check(pb.ListClustersRequest(), timeout=5)
        finally:
            for s in socks:
                s.close()
        self.assertEqual(http_get(self.murl + "/metrics", timeout=20)[0],
                         200)

    def sample(self, name):
        """The value of an unlabelled series in a fresh scrape."""
        for line in self.scrape().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        self.fail("no %s in the exposition" % name)

    def test_2b_connections_counted_open_and_closed(self):
        base = self.sample("clusterd_connections_open")
        accepted = self.sample("clusterd_connections_accepted_total")
        chans = [self.srv.make_channel() for _ in range(5)]
        try:
            for ch in chans:
                ch.unary_unary(REG + "ListClusters",
                               request_serializer=pb.ListClustersRequest
                               .SerializeToString)(pb.ListClustersRequest(),
                                                   timeout=10)
            self.assertEqual(self.sample("clusterd_connections_open"),
                             base + 5)
            self.assertEqual(
                self.sample("clusterd_connections_accepted_total"),
                accepted + 5)
        finally:
            for ch in chans:
                ch.close()
        # gRPC closes their descriptors shortly after the clients go.
        limit = time.monotonic() + 10
        while self.sample("clusterd_connections_open") > base:
            self.assertLess(time.monotonic(), limit, "still counted open")
            time.sleep(0.1)
        self.assertIn('\nclusterd_connections_refused_total{reason="cap"} 0\n',
                      self.scrape())

    def test_3_prometheus_reads_what_was_driven(self):
        create = self.u(REG + "CreateCluster", pb.CreateClusterRequest,
                        pb.Cluster)
        get = self.u(REG + "GetCluster", pb.GetClusterRequest, pb.Cluster)
        for i in range(5):
            c = pb.Cluster(id="m%d" % i, name="M%d" % i, economy="FR")
            c.indicators.add(name="x", year=2020, value=10 + i)
            create(pb.CreateClusterRequest(cluster=c), timeout=30)
        with self.assertRaises(Exception):
            create(pb.CreateClusterRequest(cluster=pb.Cluster(
                id="m0", name="again", economy="FR")), timeout=30)
        for i in range(3):
            with self.assertRaises(Exception):
                get(pb.GetClusterRequest(id="absent%d" % i), timeout=10)
        get(pb.GetClusterRequest(id="m1"), timeout=10)
        get(pb.GetClusterRequest(id="m2"), timeout=10)
        imp = self.srv.client_stream(REG + "ImportClusters", pb.Cluster,
                                     pb.ImportClustersResponse)
        res = imp(iter([pb.Cluster(id="i%d" % i, name="I", economy="DE",
                                   indicators=[pb.Indicator(
                                       name="x", year=2020, value=i)])
                        for i in range(3)]), timeout=30)
        self.assertEqual(res.created, 3)
        unknown = self.srv.unary("/x.Nope/Nothing")
        with self.assertRaises(Exception):
            unknown(b"", timeout=10)

        cc = self.u(COMP + "CreateCompetition", cpb.CreateCompetitionRequest,
                    cpb.Competition)
        for comp in (competition("good", "indicator", indicator="x"),
                     competition("crash", "bk_segv"),
                     competition("hang", "bk_loop", timeout_ms=300),
                     competition("escape", "bk_socket"),
                     competition("fails", "fx_good", indicator="x",
                                 mode="fail")):
            cc(cpb.CreateCompetitionRequest(competition=comp), timeout=30)
        self.assertEqual(self.run_to_end("good").state,
                         cpb.RUN_STATE_SUCCEEDED)
        for cid in ("crash", "hang", "escape", "fails"):
            r = self.run_to_end(cid)
            self.assertEqual(r.state, cpb.RUN_STATE_FAILED,
                             "%s: %s" % (cid, r.error.message))

        p = self.prom
        self.wait_for('clusterd_grpc_requests_total{method="GetCluster",'
                      'code="NOT_FOUND"}', 3 + 1)   # + test_1's
        self.assertEqual(p.value('clusterd_grpc_requests_total{method='
                                 '"GetCluster",code="OK"}'), 2)
        self.assertEqual(p.value('clusterd_grpc_requests_total{method='
                                 '"CreateCluster",code="OK"}'), 5)
        self.assertEqual(p.value('clusterd_grpc_requests_total{method='
                                 '"CreateCluster",code="ALREADY_EXISTS"}'),
                         1)
        self.assertEqual(p.value('clusterd_grpc_requests_total{service='
                                 '"clusters.v1.ClusterRegistry",method='
                                 '"ImportClusters",code="OK"}'), 1)
        self.assertEqual(p.value('clusterd_grpc_messages_received_total{'
                                 'method="ImportClusters"}'), 3)
        self.assertEqual(p.value('clusterd_grpc_requests_total{service='
                                 '"unknown",method="unknown",'
                                 'code="UNIMPLEMENTED"}'), 1)
        self.assertEqual(p.value('clusterd_grpc_requests_total{method='
                                 '"StartRun",code="OK"}'), 5)
        # Latency: every GetCluster in the histogram, a quantile computes.
        self.assertEqual(p.value('clusterd_grpc_request_duration_seconds_'
                                 'count{method="GetCluster"}'), 6)
        q = p.value('histogram_quantile(0.5, sum by (le) ('
                    'clusterd_grpc_request_duration_seconds_bucket{method='
                    '"GetCluster"}))')
        self.assertGreater(q, 0)
        self.assertLess(q, 1)
        self.assertEqual(p.value('clusterd_grpc_requests_in_flight{method='
                                 '"GetCluster"}'), 0)
        # Runs.
        self.wait_for('clusterd_runs_finished_total{state="FAILED"}', 4)
        self.assertEqual(p.value('clusterd_runs_finished_total{state='
                                 '"SUCCEEDED"}'), 1)
        self.assertEqual(p.value('clusterd_runs_finished_total{state='
                                 '"CANCELLED"}'), 0)
        self.assertEqual(p.value('clusterd_run_duration_seconds_count'), 5)
        self.assertEqual(p.value('clusterd_runs_queued'), 0)
        self.assertEqual(p.value('clusterd_runs_running'), 0)
        self.assertEqual(p.value('clusterd_runs_queue_max'), 32)
        # Plugins: one failure of each kind, each its plugin's.
        fails = p.query('clusterd_plugin_failures_total > 0')
        self.assertEqual(fails, {
            (("kind", "crash"), ("plugin", "bk_segv")): 1,
            (("kind", "timeout"), ("plugin", "bk_loop")): 1,
            (("kind", "limit"), ("plugin", "bk_socket")): 1,
            (("kind", "error"), ("plugin", "fx_good")): 1,
        })
        self.assertEqual(p.value('clusterd_plugin_calls_total{plugin='
                                 '"indicator"}'), 1)
        self.assertEqual(p.value('clusterd_plugin_call_duration_seconds_'
                                 'count{plugin="bk_loop"}'), 1)
        self.assertGreaterEqual(p.value('clusterd_plugin_call_duration_'
                                        'seconds_sum{plugin="bk_loop"}'),
                                0.25)
        self.assertEqual(p.value('clusterd_plugins_loaded'), 5)
        # Group commit: every write went through it.
        self.assertGreater(p.value('clusterd_commits_total{result="ok"}'),
                           0)
        self.assertGreater(p.value('clusterd_commit_batch_size_count'), 0)
        self.assertGreaterEqual(p.value('clusterd_commit_batch_size_sum'),
                                5 + 3 + 5)
        self.assertEqual(p.value('clusterd_commits_total{result="error"}'),
                         0)
        # The store.
        self.assertEqual(p.value('clusterd_store_records{table='
                                 '"clusters"}'), 8)
        self.assertEqual(p.value('clusterd_store_records{table='
                                 '"competitions"}'), 5)
        self.assertEqual(p.value('clusterd_store_records{table="runs"}'), 5)
        self.assertGreater(p.value('clusterd_store_records{table='
                                   '"standings"}'), 0)
        self.assertGreaterEqual(p.value('clusterd_store_data_version'), 2)
        self.assertEqual(p.value('clusterd_store_readers_max'), 512)
        self.assertGreaterEqual(p.value('clusterd_store_readers'), 1)
        used = p.value('clusterd_store_map_used_bytes')
        self.assertGreater(used, 0)
        self.assertLessEqual(used, p.value('clusterd_store_map_size_bytes'))
        self.assertGreater(p.value('clusterd_store_file_size_bytes'), 0)
        # Connections, the process, the build.
        self.assertGreaterEqual(p.value('clusterd_connections_accepted_'
                                        'total'), 1)
        self.assertGreaterEqual(p.value('clusterd_connections_open'), 1)
        self.assertEqual(p.value('up{job="clusterd"}'), 1)
        self.assertGreater(p.value('process_resident_memory_bytes'), 1e6)
        fds = p.value('process_open_fds')
        self.assertGreater(fds, 3)
        self.assertLess(fds, p.value('process_max_fds'))
        start = p.value('process_start_time_seconds')
        self.assertLess(abs(start - time.time()), 600)
        self.assertIsNotNone(p.value('clusterd_build_info'))
        # Every alert rule evaluates against these series without error.
        groups = p.api("rules")["groups"]
        rules = [r for g in groups for r in g["rules"]]
        self.assertEqual(len(rules), 14)
        for r in rules:
            self.assertEqual(r["health"], "ok", r)


class StartUp(unittest.TestCase):
    """Refusals before serving: one line on stderr."""

    def run_clusterd(self, *args, env=None):
        tmp = tempfile.mkdtemp(prefix="clusterd-metrics-start-")
        try:
            e = dict(os.environ)
            e.update(env or {})
            return subprocess.run(
                [os.environ["CLUSTERD_BIN"], "--listen", "127.0.0.1:0",
                 "--data-dir", os.path.join(tmp, "d"), "--plugin-dir", "",
                 "--log-level", "error"] + list(args),
                capture_output=True, text=True, timeout=60, env=e)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_bad_values(self):
        for v in ("nocolon", ":9090", "127.0.0.1:", "127.0.0.1:65536",
                  "127.0.0.1:x", "::1:9090", ""):
            r = self.run_clusterd("--metrics-listen", v)
            self.assertEqual(r.returncode, 2, (v, r.stderr))
            self.assertEqual(r.stderr,
                             "clusterd: --metrics-listen: '%s' is not "
                             "host:port (port 0..65535; an IPv6 address "
                             "in brackets: [::1]:9090)\n" % v)
        r = self.run_clusterd(env={"CLUSTERD_METRICS_LISTEN": "x:y"})
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr.count("\n"), 1)
        self.assertIn("CLUSTERD_METRICS_LISTEN: 'x:y'", r.stderr)
        r = self.run_clusterd("--metrics-port-file", "/tmp/x")
        self.assertEqual((r.returncode, r.stderr),
                         (2, "clusterd: --metrics-port-file needs "
                             "--metrics-listen\n"))

    def test_port_in_use(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        try:
            addr = "127.0.0.1:%d" % s.getsockname()[1]
            r = self.run_clusterd("--metrics-listen", addr)
        finally:
            s.close()
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stderr, "clusterd: metrics: cannot listen on %s: "
                         "Address already in use\n" % addr)

    def test_unresolvable(self):
        r = self.run_clusterd("--metrics-listen", "no-such-host.invalid:0")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertTrue(r.stderr.startswith(
            "clusterd: metrics: cannot resolve no-such-host.invalid:0: "),
            r.stderr)
        self.assertEqual(r.stderr.count("\n"), 1)

    def test_off_by_default_and_wildcard_noted(self):
        tmp = tempfile.mkdtemp(prefix="clusterd-metrics-off-")
        try:
            srv = Server("--plugin-dir", "")
            try:
                self.assertNotIn("metrics", srv.read_log())
            finally:
                self.assertEqual(srv.stop(), 0)
                srv.cleanup()
            pf = os.path.join(tmp, "mp")
            srv = Server("--plugin-dir", "", "--metrics-listen", "0.0.0.0:0",
                         "--metrics-port-file", pf)
            try:
                with open(pf) as f:
                    port = int(f.read())
                self.assertIn("metrics on http://0.0.0.0:%d/metrics (not "
                              "loopback: anyone who reaches the port may "
                              "read them; they hold no user data)" % port,
                              srv.read_log())
                self.assertEqual(http_get("http://127.0.0.1:%d/metrics"
                                          % port)[0], 200)
            finally:
                self.assertEqual(srv.stop(), 0)
                srv.cleanup()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
