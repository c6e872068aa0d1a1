"""ExplainStanding and the run commands of clusterctl against the real
clusterd (docs/clusterctl.md, docs/service.md "Runs"): explanations of a
small hand-computed competition and every refusal; clusterctl run
explain, standings (--cluster), watch, cancel, list --state, get, and
competition run --detach and its hint when --timeout ends the wait;
WatchRun and CancelRun of an unknown run; a run whose RunCompetition
client is killed still succeeds."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clusterd_harness import Server, stubs, REG, make_plugin_dir  # noqa: E402

COMP = "/clusters.v1.CompetitionService/"
CTL = os.environ["CLUSTERCTL_BIN"]
BUILD_DIR = os.environ["CLUSTERD_PLUGIN_BUILD_DIR"]
BROKEN_DIR = os.environ["CLUSTERD_BROKEN_PLUGINS"]
pb = cpb = None

# Round "prelim": x weight 3, y weight 1 (shares .75 and .25), no
# normalisation, top 2. Scores: a 85, b 80, c 70, d 30; a and b go on.
# Round "final": x alone, top 1: a (100) wins, b (80) does not.
DATA = {"a": (100, 40), "b": (80, 80), "c": (60, 100), "d": (40, 0)}


def setUpModule():
    global pb, cpb
    pb, _, cpb, _ = stubs()


def plugin_dir(tmp):
    return make_plugin_dir(os.path.join(tmp, "plugins"),
                           [(BUILD_DIR, "indicator.so"),
                            (BROKEN_DIR, "bk_loop.so")])


def criterion(cid, plugin, weight=1.0, **params):
    c = cpb.Criterion(id=cid, plugin=plugin, weight=weight,
                      normalization=cpb.NORMALIZATION_NONE)
    for k, v in params.items():
        c.params[k] = str(v)
    return c


def explain_def():
    comp = cpb.Competition(id="hand", title="hand-computed")
    r1 = comp.rounds.add(name="prelim")
    r1.criteria.append(criterion("x", "indicator", 3.0, indicator="x"))
    r1.criteria.append(criterion("y", "indicator", 1.0, indicator="y"))
    r1.selection.top_n = 2
    r2 = comp.rounds.add(name="final")
    r2.criteria.append(criterion("x", "indicator", 1.0, indicator="x"))
    r2.selection.top_n = 1
    return comp


def one_round(cid, plugin, **params):
    comp = cpb.Competition(id=cid, title=cid)
    r = comp.rounds.add(name="only")
    r.criteria.append(criterion("c1", plugin, **params))
    if plugin == "bk_loop":
        comp.plugin_timeout.seconds = 300
    return comp


def setup_data(srv):
    create = srv.unary(REG + "CreateCluster", pb.CreateClusterRequest,
                       pb.Cluster)
    for cid, (x, y) in DATA.items():
        c = pb.Cluster(id=cid, name=cid.upper(), economy="FR")
        c.indicators.add(name="x", year=2020, value=x)
        c.indicators.add(name="y", year=2020, value=y)
        create(pb.CreateClusterRequest(cluster=c), timeout=30)
    cc = srv.unary(COMP + "CreateCompetition", cpb.CreateCompetitionRequest,
                   cpb.Competition)
    stopped = one_round("stopped", "bk_loop")
    stopped.plugin_timeout.seconds = 1  # the plugin is stopped: FAILED
    for comp in [explain_def(), one_round("fast", "indicator", indicator="x"),
                 one_round("slow", "bk_loop"), stopped,
                 one_round("survive", "indicator", indicator="y")]:
        cc(cpb.CreateCompetitionRequest(competition=comp), timeout=30)


class Base(unittest.TestCase):
    srv = None

    def u(self, name, req, resp):
        return self.srv.unary(COMP + name, req, resp)

    def start(self, comp, **kw):
        return self.u("StartRun", cpb.StartRunRequest, cpb.Run)(
            cpb.StartRunRequest(competition_id=comp, **kw), timeout=30)

    def get(self, rid):
        return self.u("GetRun", cpb.GetRunRequest, cpb.Run)(
            cpb.GetRunRequest(id=rid), timeout=30)

    def cancel(self, rid):
        return self.u("CancelRun", cpb.CancelRunRequest, cpb.Run)(
            cpb.CancelRunRequest(id=rid), timeout=30)

    def watch(self, rid, timeout=60):
        return list(self.srv.server_stream(
            COMP + "WatchRun", cpb.WatchRunRequest, cpb.RunEvent)(
                cpb.WatchRunRequest(id=rid), timeout=timeout))

    def wait_state(self, rid, states, timeout=60):
        end = time.time() + timeout
        while time.time() < end:
            r = self.get(rid)
            if r.state in states:
                return r
            time.sleep(0.05)
        self.fail("run %s never reached %s (%s)" % (rid, states, r.state))

    def ctl(self, *args, timeout=120):
        return subprocess.run([CTL, "--server", self.srv.address] +
                              list(args), capture_output=True, text=True,
                              timeout=timeout)

    def code(self, fn, *args, **kw):
        with self.assertRaises(grpc.RpcError) as cm:
            fn(*args, **kw)
        return cm.exception.code(), cm.exception.details()


class Runs(Base):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="clusterd-runcli-")
        cls.srv = Server("--plugin-dir", plugin_dir(cls.tmp),
                         "--run-workers", "2")
        setup_data(cls.srv)
        r = cls.srv.unary(COMP + "StartRun", cpb.StartRunRequest, cpb.Run)(
            cpb.StartRunRequest(competition_id="hand"), timeout=30)
        cls.hand = r.id

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def explain(self, run_id, cluster_id, round=""):
        self.wait_state(self.hand, (cpb.RUN_STATE_SUCCEEDED,))
        return self.u("ExplainStanding", cpb.ExplainStandingRequest,
                      cpb.Explanation)(cpb.ExplainStandingRequest(
                          run_id=run_id, cluster_id=cluster_id, round=round),
                          timeout=30)

    # ---------------------------------------------------- ExplainStanding

    def test_explain_unselected_by_hand(self):
        x = self.explain(self.hand, "c")
        self.assertEqual(x.round, "prelim")  # the last round it reached
        self.assertEqual(x.standing.rank, 3)
        self.assertAlmostEqual(x.standing.score, 70.0)
        self.assertFalse(x.standing.selected)
        self.assertEqual(x.standing.decision.code,
                         cpb.DECISION_CODE_OUTSIDE_TOP_N)
        self.assertEqual(x.target_cluster_id, "b")
        self.assertAlmostEqual(x.target_score, 80.0)
        self.assertAlmostEqual(x.gap, 10.0)
        crit = {c.criterion: c for c in x.criteria}
        self.assertAlmostEqual(crit["x"].weight_share, 0.75)
        self.assertAlmostEqual(crit["x"].raw, 60.0)
        self.assertAlmostEqual(crit["x"].weighted, 45.0)
        self.assertAlmostEqual(crit["x"].share, 45.0 / 70.0)
        # x alone: 60 + 10 / 0.75; y alone: 100 + 10 / 0.25.
        self.assertAlmostEqual(crit["x"].raw_to_close_gap.value,
                               60 + 10 / 0.75)
        self.assertAlmostEqual(crit["y"].raw_to_close_gap.value, 140.0)
        self.assertAlmostEqual(crit["y"].share, 25.0 / 70.0)
        self.assertTrue(x.assumption)

    def test_explain_selected_and_named_round(self):
        x = self.explain(self.hand, "b", "prelim")
        self.assertTrue(x.standing.selected)
        self.assertEqual(x.target_cluster_id, "c")  # best unselected
        self.assertAlmostEqual(x.gap, -10.0)
        crit = {c.criterion: c for c in x.criteria}
        self.assertAlmostEqual(crit["x"].raw_to_close_gap.value,
                               80 - 10 / 0.75)
        self.assertAlmostEqual(crit["y"].raw_to_close_gap.value, 40.0)
        # In the final, x alone: b (80) is 20 behind a (100).
        f = self.explain(self.hand, "b")
        self.assertEqual(f.round, "final")
        self.assertAlmostEqual(f.gap, 20.0)
        self.assertAlmostEqual(f.criteria[0].raw_to_close_gap.value, 100.0)

    def test_explain_refusals(self):
        self.wait_state(self.hand, (cpb.RUN_STATE_SUCCEEDED,))
        code, msg = self.code(self.explain, self.hand, "zz")
        self.assertEqual(code, grpc.StatusCode.NOT_FOUND)
        self.assertEqual(msg, 'run "%s" has no standing for cluster "zz"'
                         % self.hand)
        code, msg = self.code(self.explain, "hand-nope", "a")
        self.assertEqual(code, grpc.StatusCode.NOT_FOUND)
        self.assertIn("hand-nope", msg)
        code, msg = self.code(self.explain, self.hand, "a", "semis")
        self.assertEqual(code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertTrue(msg.startswith('round: "semis": '), msg)
        self.assertIn('"prelim", "final"', msg)
        # c stopped in the preliminary: not a candidate of the final.
        code, msg = self.code(self.explain, self.hand, "c", "final")
        self.assertEqual(code, grpc.StatusCode.NOT_FOUND)
        self.assertIn("was not a candidate", msg)
        for rid, cid, field in [("", "a", "run_id: missing"),
                                ("Bad!", "a", "run_id: "),
                                (self.hand, "", "cluster_id: missing"),
                                (self.hand, "A b", "cluster_id: "),
                                ("x" * 200, "a", "run_id: 200 characters")]:
            with self.subTest(run_id=rid, cluster_id=cid):
                code, msg = self.code(self.explain, rid, cid)
                self.assertEqual(code, grpc.StatusCode.INVALID_ARGUMENT)
                self.assertTrue(msg.startswith(field), msg)
        code, msg = self.code(self.explain, self.hand, "a", "r" * 600)
        self.assertEqual(code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertTrue(msg.startswith("round: 600 bytes"), msg)

    def test_explain_run_not_succeeded(self):
        r = self.start("slow")
        self.wait_state(r.id, (cpb.RUN_STATE_RUNNING,))
        code, msg = self.code(self.explain, r.id, "a")
        self.assertEqual(code, grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("is RUNNING", msg)
        self.cancel(r.id)
        code, msg = self.code(self.explain, r.id, "a")
        self.assertEqual(code, grpc.StatusCode.FAILED_PRECONDITION)
        self.assertEqual(msg, 'run "%s" is CANCELLED: only a run that '
                         "SUCCEEDED has standings to explain" % r.id)
        p = self.ctl("run", "explain", r.id, "a")
        self.assertEqual(p.returncode, 1)
        self.assertIn("clusterctl: FAILED_PRECONDITION: ", p.stderr)

    # ----------------------------------------------------- run explain

    def test_ctl_run_explain(self):
        self.wait_state(self.hand, (cpb.RUN_STATE_SUCCEEDED,))
        p = self.ctl("run", "explain", self.hand, "c")
        self.assertEqual(p.returncode, 0, p.stderr)
        out = p.stdout
        self.assertIn("run %s, cluster c, round prelim\n" % self.hand, out)
        self.assertIn("rank 3, score 70, not selected\n", out)
        self.assertIn("decision: OUTSIDE_TOP_N: ", out)
        self.assertIn("target: 80 (cluster b, the last selected); gap 10\n",
                      out)
        self.assertIn("RAW TO CLOSE GAP", out)
        rows = {l.split()[0]: l.split() for l in out.splitlines()
                if l.startswith(("x ", "y "))}
        # CRITERION PLUGIN WEIGHT-SHARE RAW NORMALISED WEIGHTED SHARE GAP
        self.assertEqual(rows["x"][1:8], ["indicator", "0.75", "60", "60",
                                          "45", "0.6429", "73.33"])
        self.assertEqual(rows["y"][2:8], ["0.25", "100", "100", "25",
                                          "0.3571", "140"])
        self.assertIn("\nassumption: ", out)
        self.assertIn("sensitivity: none", out)
        p = self.ctl("run", "explain", self.hand, "b", "--round", "prelim",
                     "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        x = json.loads(p.stdout)
        self.assertEqual(x["targetClusterId"], "c")
        self.assertAlmostEqual(x["gap"], -10.0)
        p = self.ctl("run", "explain", self.hand, "c", "--csv")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.startswith("CRITERION,PLUGIN,"), p.stdout)
        self.assertIn("\ny,indicator,0.25,100,100,25,", p.stdout)

    def test_ctl_run_explain_errors(self):
        self.wait_state(self.hand, (cpb.RUN_STATE_SUCCEEDED,))
        p = self.ctl("run", "explain", self.hand, "a", "--round", "semis")
        self.assertEqual(p.returncode, 1)
        self.assertIn('clusterctl: INVALID_ARGUMENT: round: "semis"',
                      p.stderr)
        p = self.ctl("run", "explain", self.hand, "zz")
        self.assertEqual(p.returncode, 1)
        self.assertIn("NOT_FOUND: run \"%s\" has no standing" % self.hand,
                      p.stderr)
        p = self.ctl("run", "explain", self.hand)
        self.assertEqual(p.returncode, 2)
        self.assertIn("expected a run id and a cluster id", p.stderr)
        p = self.ctl("run", "explain", self.hand, "a", "--round")
        self.assertEqual(p.returncode, 2)

    # --------------------------------------------------- run standings

    def standings(self, *args):
        """The CLUSTER column of run standings, and the process."""
        p = self.ctl("run", "standings", self.hand, *args)
        lines = p.stdout.splitlines()
        if p.returncode == 0:
            self.assertTrue(lines[0].startswith(("RANK", "ROUND RANK")),
                            p.stdout)
        return [l.split()[1] for l in lines[1:]], p

    def test_ctl_run_standings_cluster(self):
        self.wait_state(self.hand, (cpb.RUN_STATE_SUCCEEDED,))
        ids, p = self.standings()
        self.assertEqual(ids, ["a", "b", "c", "d"], p.stderr)
        # Repeatable, in standings order whatever the order given.
        ids, p = self.standings("--cluster", "d", "--cluster", "a",
                                "--cluster", "d")
        self.assertEqual((ids, p.returncode, p.stderr), (["a", "d"], 0, ""))
        # With the other filters: all must hold.
        ids, p = self.standings("--cluster", "c", "--cluster", "b",
                                "--round", "final")
        self.assertEqual(ids, ["b"], p.stderr)
        ids, p = self.standings("--cluster", "a", "--cluster", "c",
                                "--min-rank", "2")
        self.assertEqual(ids, ["c"], p.stderr)
        ids, p = self.standings("--cluster", "zz")
        self.assertEqual((ids, p.returncode), ([], 0))
        # One a page: the page with the last id is the last.
        ids, p = self.standings("--cluster", "a", "--cluster", "c",
                                "--page-size", "1")
        self.assertEqual(ids, ["a"])
        self.assertIn("more: --page-token ", p.stderr)
        ids, p = self.standings("--cluster", "a", "--cluster", "c",
                                "--page-size", "1", "--all")
        self.assertEqual((ids, p.stderr), (["a", "c"], ""))
        p = self.ctl("run", "standings", self.hand, "--cluster", "b",
                     "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual([s["clusterId"] for s in
                          json.loads(p.stdout)["standings"]], ["b"])
        p = self.ctl("run", "standings", self.hand, "--cluster", "b",
                     "--csv")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.splitlines()[1].split(",")[1], "b")

    def test_ctl_run_standings_cluster_refused(self):
        self.wait_state(self.hand, (cpb.RUN_STATE_SUCCEEDED,))
        _, p = self.standings("--cluster", "a", "--cluster", "Bad")
        self.assertEqual(p.returncode, 1)
        self.assertIn('clusterctl: INVALID_ARGUMENT: cluster_ids[1]: '
                      '"Bad" must start with [a-z0-9]', p.stderr)
        many = []
        for i in range(1001):
            many += ["--cluster", "x%d" % i]
        _, p = self.standings(*many)
        self.assertEqual(p.returncode, 1)
        self.assertIn("clusterctl: INVALID_ARGUMENT: cluster_ids: 1001 "
                      "ids, at most 1000", p.stderr)
        _, p = self.standings(*many[2:])
        self.assertEqual((p.returncode, p.stdout.count("\n")), (0, 1))
        _, p = self.standings("--cluster")
        self.assertEqual(p.returncode, 2)

    # --------------------------------------- watch, cancel, list, detach

    def test_unknown_run_not_found(self):
        code, msg = self.code(self.watch, "no-such-run")
        self.assertEqual(code, grpc.StatusCode.NOT_FOUND)
        code, msg = self.code(self.cancel, "no-such-run")
        self.assertEqual(code, grpc.StatusCode.NOT_FOUND)
        for sub in ["watch", "cancel", "get"]:
            with self.subTest(sub=sub):
                p = self.ctl("run", sub, "no-such-run")
                self.assertEqual(p.returncode, 1)
                self.assertIn("clusterctl: NOT_FOUND: ", p.stderr)
        p = self.ctl("run", "watch")
        self.assertEqual(p.returncode, 2)

    def test_detach_then_watch(self):
        p = self.ctl("competition", "run", "fast", "--detach")
        self.assertEqual(p.returncode, 0, p.stderr)
        rid = p.stdout.strip()
        self.assertTrue(rid.startswith("fast-"), p.stdout)
        self.assertEqual(p.stdout, rid + "\n")
        self.assertIn("clusterctl run watch %s" % rid, p.stderr)
        w = self.ctl("run", "watch", rid)
        self.assertEqual(w.returncode, 0, w.stderr)
        self.assertIn("run %s of competition fast" % rid, w.stdout)
        self.assertIn("state: SUCCEEDED, started ", w.stdout)
        self.assertIn("round only: 4 candidates -> 4 eligible -> 4 ranked "
                      "-> 4 selected; 4 selected by score\n", w.stdout)
        self.assertIn("RANK", w.stdout)
        g = self.ctl("run", "get", rid)
        self.assertEqual(g.returncode, 0, g.stderr)
        self.assertIn("state: SUCCEEDED", g.stdout)
        self.assertIn("(took ", g.stdout)
        self.assertNotIn("progress:", g.stdout)
        p = self.ctl("competition", "run", "fast", "--detach", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(json.loads(p.stdout)["state"],
                      ("RUN_STATE_QUEUED", "RUN_STATE_RUNNING"))
        # Progress as plain lines when stderr is not a terminal.
        p = self.ctl("competition", "run", "hand")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("progress: ", p.stderr)
        self.assertIn("round prelim: 4 candidates -> 4 eligible -> 4 "
                      "ranked -> 2 selected; 2 selected by score, 2 "
                      "outside the top n\n", p.stdout)
        self.assertIn("round final: 2 candidates", p.stdout)
        self.assertIn("2 out in an earlier round", p.stdout)

    def test_timeout_hint_cancel_and_watch_cancelled(self):
        t0 = time.time()
        p = self.ctl("--timeout", "1s", "competition", "run", "slow")
        self.assertLess(time.time() - t0, 20)
        self.assertEqual(p.returncode, 1)
        self.assertIn("clusterctl: DEADLINE_EXCEEDED", p.stderr)
        self.assertIn("the run goes on on the server: follow it with "
                      "'clusterctl run watch slow-", p.stderr)
        self.assertIn("or give a larger --timeout", p.stderr)
        rid = p.stderr.split("clusterctl run watch ")[1].split("'")[0]
        self.assertEqual(self.get(rid).state, cpb.RUN_STATE_RUNNING)
        # run get of a live run: its progress.
        g = self.ctl("run", "get", rid)
        self.assertEqual(g.returncode, 0, g.stderr)
        self.assertIn("state: RUNNING, started ", g.stdout)
        self.assertIn("progress: ", g.stdout)
        self.assertIn(" elapsed", g.stdout)
        # run watch with its own deadline: the same hint.
        w = self.ctl("run", "watch", rid, "--timeout", "0.5")
        self.assertEqual(w.returncode, 1)
        self.assertIn("'clusterctl run watch %s'" % rid, w.stderr)
        ls = self.ctl("run", "list", "--competition", "slow", "--state",
                      "running")
        self.assertEqual(ls.returncode, 0, ls.stderr)
        self.assertIn(rid, ls.stdout)
        self.assertIn("RUNNING", ls.stdout)
        c = self.ctl("run", "cancel", rid)
        self.assertEqual(c.returncode, 0, c.stderr)
        self.assertEqual(c.stdout, "cancelled run %s (CANCELLED)\n" % rid)
        c = self.ctl("run", "cancel", rid)
        self.assertEqual(c.returncode, 1)
        self.assertIn("clusterctl: FAILED_PRECONDITION: ", c.stderr)
        w = self.ctl("run", "watch", rid)
        self.assertEqual(w.returncode, 1)
        self.assertIn("state: CANCELLED", w.stdout)
        self.assertIn("error: CANCELLED: cancelled by anonymous", w.stdout)
        self.assertIn("clusterctl: CANCELLED: run %s was cancelled: "
                      "cancelled by anonymous" % rid, w.stderr)
        ls = self.ctl("run", "list", "--state", "cancelled")
        self.assertIn(rid, ls.stdout)
        ls = self.ctl("run", "list", "--state", "running", "--competition",
                      "slow")
        self.assertNotIn(rid, ls.stdout)
        ls = self.ctl("run", "list", "--state", "CANCELLED", "--json")
        self.assertEqual(ls.returncode, 0, ls.stderr)
        states = {r["state"] for r in json.loads(ls.stdout)["runs"]}
        self.assertEqual(states, {"RUN_STATE_CANCELLED"})

    def test_watch_failed_run(self):
        r = self.start("slow", time_limit={"nanos": 300000000})
        self.wait_state(r.id, (cpb.RUN_STATE_FAILED,))
        w = self.ctl("run", "watch", r.id)
        self.assertEqual(w.returncode, 1)
        self.assertIn("state: FAILED", w.stdout)
        self.assertIn("clusterctl: DEADLINE_EXCEEDED: run %s failed: the "
                      "run went over its time limit" % r.id, w.stderr)
        ls = self.ctl("run", "list", "--state", "failed")
        self.assertIn(r.id, ls.stdout)
        ok = self.ctl("run", "list", "--state", "succeeded")
        self.assertNotIn(r.id, ok.stdout)

    def test_competition_run_failures(self):
        p = self.ctl("competition", "run", "stopped")
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stderr, r"clusterctl: DEADLINE_EXCEEDED: run "
                         r"stopped-\S+ failed: ")
        self.assertEqual(p.stdout, "")
        p = self.ctl("competition", "run", "nope")
        self.assertEqual(p.returncode, 1)
        self.assertIn("clusterctl: NOT_FOUND: ", p.stderr)
        self.assertNotIn("run watch", p.stderr)
        # A deadline too short for StartRun itself: the run may exist.
        p = self.ctl("--timeout", "1ms", "competition", "run", "fast")
        self.assertEqual(p.returncode, 1)
        self.assertIn("clusterctl: DEADLINE_EXCEEDED", p.stderr)
        self.assertIn("the run may have started on the server: look for "
                      "it with 'clusterctl run list --competition fast "
                      "--state running'", p.stderr)

    def test_list_state_refused(self):
        p = self.ctl("run", "list", "--state", "done")
        self.assertEqual(p.returncode, 2)
        self.assertIn("--state: 'done' is not one of queued, running, "
                      "succeeded, failed, cancelled", p.stderr)
        p = self.ctl("competition", "list", "--state", "running")
        self.assertEqual(p.returncode, 2)
        p = self.ctl("--timeout", "1x", "run", "list")
        self.assertEqual(p.returncode, 2)


class KilledClient(Base):
    """One worker: a spinning run holds it, so the run whose client is
    killed is still queued when the client dies."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="clusterd-runcli-kill-")
        self.srv = Server("--plugin-dir", plugin_dir(self.tmp),
                          "--run-workers", "1")
        setup_data(self.srv)

    def tearDown(self):
        self.srv.stop()
        self.srv.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_run_survives_killed_client(self):
        hold = self.start("slow")
        self.wait_state(hold.id, (cpb.RUN_STATE_RUNNING,))
        code = (
            "import sys; sys.path.insert(0, %r)\n"
            "from clusterd_harness import stubs\n"
            "import grpc\n"
            "cpb = stubs()[2]\n"
            "ch = grpc.insecure_channel(%r)\n"
            "it = ch.unary_stream(%r, request_serializer=cpb."
            "RunCompetitionRequest.SerializeToString, response_deserializer"
            "=cpb.RunEvent.FromString)(cpb.RunCompetitionRequest("
            "competition_id='survive'), timeout=120)\n"
            "ev = next(it)\n"
            "print(ev.WhichOneof('event'), ev.progress.stage, flush=True)\n"
            "import time; time.sleep(120)\n") % (
                os.path.dirname(os.path.abspath(__file__)),
                self.srv.address, COMP + "RunCompetition")
        child = subprocess.Popen([sys.executable, "-c", code],
                                 stdout=subprocess.PIPE, text=True)
        try:
            line = child.stdout.readline()
            self.assertEqual(line, "progress queued\n")
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
            child.stdout.close()
        runs = self.u("ListRuns", cpb.ListRunsRequest,
                      cpb.ListRunsResponse)(cpb.ListRunsRequest(
                          competition_id="survive"), timeout=30).runs
        self.assertEqual(len(runs), 1)
        rid = runs[0].id
        self.assertEqual(runs[0].state, cpb.RUN_STATE_QUEUED)
        self.cancel(hold.id)
        # A new connection watches it to the end.
        ch = self.srv.make_channel()
        try:
            evs = list(ch.unary_stream(
                COMP + "WatchRun",
                request_serializer=cpb.WatchRunRequest.SerializeToString,
                response_deserializer=cpb.RunEvent.FromString)(
                    cpb.WatchRunRequest(id=rid), timeout=60))
        finally:
            ch.close()
        final = evs[-1].run
        self.assertEqual(final.state, cpb.RUN_STATE_SUCCEEDED)
        self.assertEqual(len(final.standings), 4)
        got = self.get(rid)
        self.assertEqual(got.state, cpb.RUN_STATE_SUCCEEDED)
        self.assertEqual([s.cluster_id for s in got.standings],
                         ["c", "b", "a", "d"])  # by y
        p = self.ctl("run", "get", rid)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("state: SUCCEEDED", p.stdout)


if __name__ == "__main__":
    unittest.main()
