"""Plugin isolation against the real clusterd: deliberately broken plugins
(tests/plugins/broken/bk_plugin.c) that crash, hang, overrun, allocate
64 GiB, fork-bomb, open sockets, write files or read /etc/shadow must fail
their own run, with an error naming the plugin, its version and the
criterion, while the server keeps answering and the next run with a good
plugin succeeds.

What the server is expected to do (plugins run in sandboxed worker
processes, --plugin-isolation process, the default):
 - load time: a plugin whose load hook crashes, or that has no entry
   function, is refused with a reason (ListPlugins.refused, "file: reason");
   constructors of plugin files run only inside the sandbox, so they cannot
   write files;
 - score time: a crash is INTERNAL (or RESOURCE_EXHAUSTED, PERMISSION_DENIED,
   ABORTED) with the signal's name; a system call the sandbox forbids
   (fork, socket, open for writing, reading /etc/shadow) ends the worker and
   the error says "sandbox" or "system call"; a criterion that runs longer
   than --plugin-timeout is DEADLINE_EXCEEDED; a hung worker frees its run
   slot when its time is up; SIGTERM ends hung workers with the server;
 - a plugin directory that others can write to is refused as a whole
   unless --plugin-dir-insecure is given.

Never point --plugin-isolation none at the broken plugins: bk_fork is a
fork bomb and bk_alloc tries to fill 64 GiB."""

import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import unittest

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clusterd_harness import HEALTH, REG, Server, stubs  # noqa: E402

COMP = "/clusters.v1.CompetitionService/"
PLUG = "/clusters.v1.PluginService/"
BUILD_DIR = os.environ["CLUSTERD_PLUGIN_BUILD_DIR"]
BROKEN_DIR = os.environ["CLUSTERD_BROKEN_PLUGINS"]
MARKER_DIR = os.environ["CLUSTERD_BROKEN_MARKERS"]
BUILTINS = ["indicator", "st_output", "growth", "specialization", "topsis",
            "promethee", "panel", "rubric", "mcda"]
# Misbehave in score(); load fine.
SCORE_TIME = ["segv", "abort", "overrun", "wildreason", "loop", "alloc",
              "fork", "socket", "write", "shadow"]
# Misbehave when the file is loaded.
LOAD_TIME = ["ctor", "loadcrash", "refused_ctor"]
MARKERS = ["bk_write", "bk_ctor", "bk_refused_ctor"]
VERSION = "1.0"
# A plugin that failed its run (not a timeout).
FAILED = {grpc.StatusCode.INTERNAL, grpc.StatusCode.RESOURCE_EXHAUSTED,
          grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.ABORTED}
SIGNAL_NAME = {"segv": "SIGSEGV", "abort": "SIGABRT"}
SANDBOXED = {"fork", "socket", "write", "shadow"}
SANDBOX_RE = re.compile(r"sandbox|system call", re.I)
# Generous: the machine may be busy with other tests.
SLOW = 30.0
CLUSTERS = ["iso-a", "iso-b", "iso-c"]

pb = hpb = cpb = plb = None


def setUpModule():
    global pb, hpb, cpb, plb
    pb, hpb, cpb, plb = stubs()
    missing = [w for w in SCORE_TIME + LOAD_TIME
               if not os.path.exists(os.path.join(BROKEN_DIR,
                                                  "bk_%s.so" % w))]
    if missing:
        raise RuntimeError("broken plugins not built (target bk_plugins): "
                           + ", ".join(missing))


# --- files ------------------------------------------------------------------

def clear_markers():
    """Removes stale markers; the marker directory is writable by anyone,
    so that a worker running as another user is stopped by its sandbox and
    not by the directory's permissions."""
    os.makedirs(MARKER_DIR, exist_ok=True)
    os.chmod(MARKER_DIR, 0o1777)
    for m in MARKERS:
        try:
            os.unlink(os.path.join(MARKER_DIR, m))
        except FileNotFoundError:
            pass


def marker_exists(m):
    return os.path.exists(os.path.join(MARKER_DIR, m))


def plugin_dir(tmp, broken=(), builtins=True, mode=0o755):
    """A plugin directory owned by this user: copies of the built-in
    plugins and of bk_<what>.so for each `what` in broken, mode 0644."""
    d = os.path.join(tmp, "plugins")
    os.mkdir(d)
    names = []
    if builtins:
        names += [(BUILD_DIR, n + ".so") for n in BUILTINS]
    names += [(BROKEN_DIR, "bk_%s.so" % w) for w in broken]
    for src, f in names:
        shutil.copyfile(os.path.join(src, f), os.path.join(d, f))
        os.chmod(os.path.join(d, f), 0o644)
    os.chmod(d, mode)
    return d


def read_shadow():
    """The start of /etc/shadow as bk_shadow would read it; None when this
    user cannot read it."""
    try:
        with open("/etc/shadow", "rb") as f:
            data = f.read(127)
    except OSError:
        return None
    line = data.split(b"\n")[0]
    return line.decode("utf-8", "replace") if len(line) >= 8 else None


# --- processes --------------------------------------------------------------

def proc_stat(pid):
    """(ppid, starttime) of a process, None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    fields = s[s.rindex(")") + 2:].split()
    return int(fields[1]), int(fields[19])


def descendants(root):
    """{pid: starttime} of every process below root."""
    children = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            st = proc_stat(int(p))
            if st:
                children.setdefault(st[0], []).append((int(p), st[1]))
    out, todo = {}, [root]
    while todo:
        for pid, start in children.get(todo.pop(), []):
            if pid not in out:
                out[pid] = start
                todo.append(pid)
    return out


def still_alive(procs):
    return [pid for pid, start in procs.items()
            if (proc_stat(pid) or (None, None))[1] == start]


def kill_strays(procs):
    for pid in still_alive(procs):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def cmdlines_with(text):
    """Processes whose command line contains text."""
    found = []
    for p in os.listdir("/proc"):
        if not p.isdigit() or int(p) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8",
                                                           "replace")
        except OSError:
            continue
        if text in cmd:
            found.append((int(p), cmd))
    return found


# --- calls ------------------------------------------------------------------

def criterion(cid, plugin, **params):
    c = cpb.Criterion(id=cid, plugin=plugin, weight=1.0,
                      normalization=cpb.NORMALIZATION_NONE)
    for k, v in params.items():
        c.params[k] = str(v)
    return c


def one_round(comp_id, crit):
    comp = cpb.Competition(id=comp_id, title="isolation")
    r = comp.rounds.add(name="only")
    r.eligibility.add(field=cpb.FILTER_FIELD_LABEL, key="track",
                      any_of=["iso"])
    r.criteria.append(crit)
    return comp


def bad_def(what, comp_id=""):
    return one_round(comp_id, criterion("c_bad", "bk_" + what))


def good_def(comp_id=""):
    return one_round(comp_id, criterion("c_good", "indicator",
                                        indicator="x"))


def create_clusters(srv):
    create = srv.unary(REG + "CreateCluster", pb.CreateClusterRequest,
                       pb.Cluster)
    for i, cid in enumerate(CLUSTERS):
        c = pb.Cluster(id=cid, name="Cluster " + cid, economy="FR")
        c.indicators.add(name="x", year=2020, value=10 + i)
        c.labels["track"] = "iso"
        create(pb.CreateClusterRequest(cluster=c), timeout=30)


def evaluate(srv, comp, timeout=120):
    return srv.unary(COMP + "Evaluate", cpb.EvaluateRequest, cpb.Run)(
        cpb.EvaluateRequest(competition=comp, cluster_ids=CLUSTERS),
        timeout=timeout)


def create_competition(srv, comp):
    return srv.unary(COMP + "CreateCompetition",
                     cpb.CreateCompetitionRequest, cpb.Competition)(
        cpb.CreateCompetitionRequest(competition=comp), timeout=30)


def run_competition(srv, comp_id, timeout=120):
    call = srv.server_stream(COMP + "RunCompetition",
                             cpb.RunCompetitionRequest, cpb.RunEvent)
    events = list(call(cpb.RunCompetitionRequest(competition_id=comp_id),
                       timeout=timeout))
    return events[-1].run


def list_plugins(srv):
    return srv.unary(PLUG + "ListPlugins", plb.ListPluginsRequest,
                     plb.ListPluginsResponse)(plb.ListPluginsRequest(),
                                              timeout=60)


def reload_plugins(srv):
    return srv.unary(PLUG + "ReloadPlugins", plb.ReloadPluginsRequest,
                     plb.ListPluginsResponse)(plb.ReloadPluginsRequest(),
                                              timeout=60)


def refusals(resp):
    """{file: reason} of ListPluginsResponse.refused ("file: reason")."""
    out = {}
    for line in resp.refused:
        f, _, reason = line.partition(": ")
        out[f] = reason
    return out


def health(srv):
    return srv.unary(HEALTH + "Check", hpb.HealthCheckRequest,
                     hpb.HealthCheckResponse)(hpb.HealthCheckRequest(),
                                              timeout=10).status


def get_cluster(srv, cid):
    return srv.unary(REG + "GetCluster", pb.GetClusterRequest, pb.Cluster)(
        pb.GetClusterRequest(id=cid), timeout=10)


class Outcome:
    """What one call in a thread returned or raised, and how long it
    took."""

    def __init__(self, fn, *args, **kw):
        self.value = self.error = None
        self.elapsed = None
        self.thread = threading.Thread(target=self._run, args=(fn, args, kw),
                                       daemon=True)
        self.thread.start()

    def _run(self, fn, args, kw):
        t0 = time.monotonic()
        try:
            self.value = fn(*args, **kw)
        except grpc.RpcError as e:
            self.error = e
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = e
        self.elapsed = time.monotonic() - t0

    def join(self, timeout):
        self.thread.join(timeout)
        return not self.thread.is_alive()


def server_up(tc, srv):
    tc.assertIsNone(srv.proc.poll(), "clusterd exited:\n" +
                    srv.read_log()[-4000:])
    tc.assertEqual(health(srv), hpb.HealthCheckResponse.SERVING)
    tc.assertEqual(get_cluster(srv, CLUSTERS[0]).id, CLUSTERS[0])


class Base(unittest.TestCase):
    """One server per test class, with its own plugin directory."""
    broken = ()
    flags = ()
    clusters = True

    @classmethod
    def setUpClass(cls):
        clear_markers()
        cls.tmp = tempfile.mkdtemp(prefix="clusterd-iso-")
        try:
            cls.pdir = plugin_dir(cls.tmp, cls.broken)
            cls.srv = Server("--plugin-dir", cls.pdir, *cls.flags)
        except BaseException:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise
        if cls.clusters:
            try:
                create_clusters(cls.srv)
            except BaseException:
                cls.tearDownClass()
                raise

    @classmethod
    def tearDownClass(cls):
        # Workers a broken server left behind would spin for ever: end
        # them (by pid and start time, so never a reused pid).
        workers = descendants(cls.srv.proc.pid)
        try:
            cls.srv.stop(timeout=30)
        except Exception:  # noqa: BLE001 - killed below
            pass
        cls.srv.cleanup()
        kill_strays(workers)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def check_plugin_error(self, e, what, codes):
        """e is the error of a run whose criterion c_bad used bk_<what>."""
        self.assertIsInstance(e, grpc.RpcError, "bk_%s: %r" % (what, e))
        d = e.details() or ""
        self.assertIn(e.code(), codes, "bk_%s: %s: %s" % (what, e.code(), d))
        self.assertIn("bk_" + what, d)
        self.assertIn(VERSION, d)
        self.assertIn("c_bad", d)
        return d


# --- a) load time -----------------------------------------------------------

class LoadTime(Base):
    broken = SCORE_TIME + LOAD_TIME

    def check(self, resp):
        ref = refusals(resp)
        names = {p.name for p in resp.plugins}
        for b in BUILTINS + ["bk_" + w for w in SCORE_TIME]:
            self.assertIn(b, names, "not loaded: %s (refused: %s)"
                          % (b, ref.get(b + ".so")))
        for w in ("loadcrash", "refused_ctor"):
            self.assertNotIn("bk_" + w, names)
            self.assertIn("bk_%s.so" % w, ref)
        self.assertRegex(ref["bk_loadcrash.so"], r"(?i)SIGSEGV|crash")
        # Its constructor runs at dlopen, before the entry check, and its
        # write is what the sandbox stops; without the write, the
        # missing entry would refuse it.
        self.assertRegex(ref["bk_refused_ctor.so"],
                         r"entry|sandbox: forbidden system call open")
        # bk_ctor may be refused (its constructor tripped the sandbox) or
        # loaded (the constructor's write failed quietly): either way, no
        # marker.
        self.assertTrue("bk_ctor" in names or "bk_ctor.so" in ref,
                        "bk_ctor neither loaded nor refused")
        for m in ("bk_ctor", "bk_refused_ctor"):
            self.assertFalse(marker_exists(m),
                             "%s's constructor wrote its marker" % m)
        return names

    def test_refusals_and_constructors(self):
        names = self.check(list_plugins(self.srv))
        server_up(self, self.srv)
        if "bk_ctor" in names:
            # Scoring loads it again (in a worker): still no marker. The
            # run's outcome does not matter here.
            try:
                evaluate(self.srv, one_round("", criterion("c_ctor",
                                                           "bk_ctor")))
            except grpc.RpcError:
                pass
            self.assertFalse(marker_exists("bk_ctor"))
        # A reload runs every file's constructor again.
        self.check(reload_plugins(self.srv))
        self.check(list_plugins(self.srv))
        server_up(self, self.srv)


# --- b) score time ----------------------------------------------------------

class ScoreTime(Base):
    broken = SCORE_TIME
    flags = ("--plugin-isolation", "process", "--plugin-timeout", "2s",
             "--plugin-memory", "512M")

    def evaluate_while_probing(self, comp):
        """Evaluates comp in a thread; meanwhile Health and GetCluster must
        keep answering. Returns the Outcome."""
        out = Outcome(evaluate, self.srv, comp, timeout=120)
        limit = time.monotonic() + 120
        while out.thread.is_alive() and time.monotonic() < limit:
            self.assertEqual(health(self.srv),
                             hpb.HealthCheckResponse.SERVING)
            self.assertEqual(get_cluster(self.srv, CLUSTERS[1]).id,
                             CLUSTERS[1])
            time.sleep(0.05)
        self.assertTrue(out.join(10), "Evaluate did not return")
        server_up(self, self.srv)
        return out

    def score_time(self, what):
        clear_markers()
        shadow = read_shadow() if what == "shadow" else None
        out = self.evaluate_while_probing(bad_def(what))
        if out.error is None:
            # (bk_shadow's reasons may hold the file: not in the message.)
            self.fail("bk_%s: the run succeeded" % what)
        if what == "loop":
            d = self.check_plugin_error(
                out.error, what, {grpc.StatusCode.DEADLINE_EXCEEDED})
            self.assertLess(out.elapsed, SLOW)
        else:
            d = self.check_plugin_error(out.error, what, FAILED)
        if what in SIGNAL_NAME:
            self.assertIn(SIGNAL_NAME[what], d)
        if what in SANDBOXED:
            self.assertRegex(d, SANDBOX_RE)
        if what == "write":
            self.assertFalse(marker_exists("bk_write"),
                             "bk_write wrote its marker")
        if shadow:
            leaked = [d, self.srv.read_log()]
            for k, v in out.error.trailing_metadata() or ():
                leaked.append(v.decode("utf-8", "replace")
                              if isinstance(v, bytes) else str(v))
            for i, text in enumerate(leaked):
                # Not assertNotIn: its message would print the secret.
                self.assertFalse(shadow in text,
                                 "/etc/shadow's content leaked (%d)" % i)
        # The same server still runs a good plugin.
        r = evaluate(self.srv, good_def())
        self.assertEqual(sorted(s.cluster_id for s in r.standings),
                         sorted(CLUSTERS))
        self.assertEqual(r.standings[0].cluster_id, CLUSTERS[-1])

    def test_stored_competition_fails_its_run(self):
        create_competition(self.srv, bad_def("segv", "iso-segv"))
        out = Outcome(run_competition, self.srv, "iso-segv")
        self.assertTrue(out.join(120), "RunCompetition did not return")
        d = self.check_plugin_error(out.error, "segv", FAILED)
        self.assertIn("SIGSEGV", d)
        server_up(self, self.srv)
        # A failed run is not stored today (Run has no state to record the
        # failure in), so there is nothing to check in ListRuns; only the
        # error above. Should failed runs be recorded, check here that the
        # run says it failed.
        create_competition(self.srv, good_def("iso-good"))
        r = run_competition(self.srv, "iso-good")
        self.assertTrue(r.id)
        self.assertEqual(r.standings[0].cluster_id, CLUSTERS[-1])


def _middle_of_a_round(self):
    """A round's criteria go to one worker in one request: a crash in the
    second of three fails the run naming the second, and the worker that
    replaces it scores the next run's round whole."""
    comp = one_round("", criterion("c_one", "indicator", indicator="x"))
    comp.rounds[0].criteria.append(criterion("c_bad", "bk_segv"))
    comp.rounds[0].criteria.append(criterion("c_three", "indicator",
                                             indicator="x"))
    with self.assertRaises(grpc.RpcError) as e:
        evaluate(self.srv, comp)
    d = e.exception.details()
    self.assertIn('rounds[0].criteria[1] "c_bad"', d)
    self.assertIn("SIGSEGV", d)
    good = one_round("", criterion("c_one", "indicator", indicator="x"))
    good.rounds[0].criteria.append(criterion("c_two", "indicator",
                                             indicator="x"))
    r = evaluate(self.srv, good)
    self.assertEqual([s.cluster_id for s in r.standings][0], CLUSTERS[-1])


ScoreTime.test_crash_in_the_middle_of_a_round = _middle_of_a_round


def _score_time_test(what):
    def test(self):
        self.score_time(what)
    test.__doc__ = "bk_%s fails its own run only" % what
    return test


for _w in SCORE_TIME:
    setattr(ScoreTime, "test_score_" + _w, _score_time_test(_w))


def start_hung_runs(tc, srv, count, timeout):
    """Stores a competition using bk_loop and starts count RunCompetition
    calls of it at once; returns their Outcomes."""
    create_competition(srv, bad_def("loop", "iso-loop"))
    return [Outcome(run_competition, srv, "iso-loop", timeout=timeout)
            for _ in range(count)]


# --- c) hung runs -----------------------------------------------------------

class HungRuns(Base):
    broken = ["loop"]
    flags = ("--plugin-timeout", "2s", "--plugin-timeout-max", "10s")

    def test_hung_runs_time_out_and_free_their_slots(self):
        # 16 is as many runs as the server runs at once.
        t0 = time.monotonic()
        runs = start_hung_runs(self, self.srv, 16, timeout=120)
        for o in runs:
            self.assertTrue(o.join(120), "a hung run did not return")
        self.assertLess(time.monotonic() - t0, SLOW)
        for o in runs:
            self.check_plugin_error(o.error, "loop",
                                    {grpc.StatusCode.DEADLINE_EXCEEDED})
            self.assertLess(o.elapsed, SLOW)
        server_up(self, self.srv)
        # Every slot is free again: not RESOURCE_EXHAUSTED.
        r = evaluate(self.srv, good_def())
        self.assertEqual(len(r.standings), len(CLUSTERS))
        create_competition(self.srv, good_def("iso-good"))
        self.assertTrue(run_competition(self.srv, "iso-good").id)


# --- d) SIGTERM with hung workers -------------------------------------------

class SigtermWithHungWorkers(Base):
    broken = ["loop"]
    flags = ("--plugin-timeout", "60s", "--grace-ms", "2000")
    GRACE = 2.0

    def test_sigterm_ends_workers(self):
        runs = start_hung_runs(self, self.srv, 16, timeout=120)
        time.sleep(1.0)
        workers = descendants(self.srv.proc.pid)
        self.assertTrue(workers, "no plugin worker processes under the "
                        "server with 16 runs in flight")
        t0 = time.monotonic()
        try:
            rc = self.srv.stop(signal.SIGTERM, timeout=self.GRACE + 10)
        except Exception:  # subprocess.TimeoutExpired
            self.fail("clusterd still running %.0f s after SIGTERM"
                      % (time.monotonic() - t0))
        self.assertLess(time.monotonic() - t0, self.GRACE + 10)
        self.assertEqual(rc, 0)
        for o in runs:
            self.assertTrue(o.join(30), "a run did not end with the server")
            self.assertIsNotNone(o.error)
        # No worker outlives the server (give the kernel a moment).
        limit = time.monotonic() + 5
        while time.monotonic() < limit:
            left = still_alive(workers)
            stray = cmdlines_with(self.pdir)
            if not left and not stray:
                break
            time.sleep(0.1)
        self.assertEqual(still_alive(workers), [])
        self.assertEqual(cmdlines_with(self.pdir), [])


class SigkillWithHungWorkers(Base):
    broken = ["loop"]
    flags = ("--plugin-timeout", "60s")

    def test_sigkill_of_the_server_ends_its_workers(self):
        """A server that cannot clean up (SIGKILL) leaves no worker
        spinning: each worker leaves when its socket's peer closes."""
        runs = start_hung_runs(self, self.srv, 4, timeout=120)
        time.sleep(1.0)
        workers = descendants(self.srv.proc.pid)
        self.assertTrue(workers, "no plugin worker processes under the "
                        "server with 4 runs in flight")
        self.srv.stop(signal.SIGKILL, timeout=30)
        for o in runs:
            self.assertTrue(o.join(30), "a run did not end with the server")
        limit = time.monotonic() + 10
        while time.monotonic() < limit and still_alive(workers):
            time.sleep(0.1)
        self.assertEqual(still_alive(workers), [])


# --- e) no isolation --------------------------------------------------------

class NoIsolation(Base):
    # Only the built-in plugins: never the broken ones without isolation.
    broken = ()
    flags = ("--plugin-isolation", "none")

    def test_builtins_still_work(self):
        r = evaluate(self.srv, good_def())
        self.assertEqual([s.cluster_id for s in r.standings][0],
                         CLUSTERS[-1])
        self.assertEqual([p.name for p in r.plugins], ["indicator"])
        server_up(self, self.srv)


# --- f) insecure plugin directory -------------------------------------------

class InsecureDirectory(unittest.TestCase):
    """Assumed behaviour: a plugin directory writable by others (here mode
    0777) is refused as a whole: ListPlugins lists no plugin, and every .so
    file in it among the refusals, with a reason that contains "writable"
    (e.g. "plugin directory ... is world-writable"). --plugin-dir-insecure
    (no value) loads them anyway."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="clusterd-iso-")
        self.pdir = plugin_dir(self.tmp, (), mode=0o777)
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def server(self, *flags):
        s = Server("--plugin-dir", self.pdir, *flags)
        self.servers.append(s)
        return s

    def test_refused_unless_allowed(self):
        r = list_plugins(self.server())
        self.assertEqual([p.name for p in r.plugins], [])
        ref = refusals(r)
        for b in BUILTINS:
            self.assertIn(b + ".so", ref)
            self.assertIn("writable", ref[b + ".so"])
        r = list_plugins(self.server("--plugin-dir-insecure"))
        self.assertEqual(sorted(p.name for p in r.plugins), sorted(BUILTINS))
        self.assertEqual(list(r.refused), [])


if __name__ == "__main__":
    unittest.main()
