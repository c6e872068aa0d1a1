"""clusterctl run report against the real clusterd (docs/report.md): what
the page shows checked against the run as the API gives it (ranks,
selections, the cut-off, the legend, rank changes against an explicit
baseline and against the competition's own), the per-cluster report, the
file's mode and atomic replacement, reproducible output, and every
refusal (usage, unknown runs and clusters, runs that have not ended or
failed, an unwritable output)."""
import glob
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest
from html.parser import HTMLParser

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clusterd_harness import Server, stubs, REG, make_plugin_dir  # noqa: E402

COMP = "/clusters.v1.CompetitionService/"
CTL = os.environ["CLUSTERCTL_BIN"]
BUILD_DIR = os.environ["CLUSTERD_PLUGIN_BUILD_DIR"]
BROKEN_DIR = os.environ["CLUSTERD_BROKEN_PLUGINS"]
pb = cpb = None
N = 40
REGIONS = ["North", "South", "East", "West", "Centre"]
INDUSTRIES = ["Chips", "Biotech", "Machinery"]


def setUpModule():
    global pb, cpb
    pb, _, cpb, _ = stubs()


class Page(HTMLParser):
    """The report's elements by what the browser tests look for."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.sections, self.figures, self.fig = [], [], None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if tag == "section":
            self.sections.append(a.get("id"))
        if tag == "figure" and "chart" in cls:
            self.fig = {"kind": a["data-chart"], "bars": [], "cutoff": 0,
                        "legend": 0, "moves": [], "section":
                        self.sections[-1]}
            self.figures.append(self.fig)
        if self.fig is None:
            return
        if tag == "g" and "bar" in cls:
            self.fig["bars"].append((a["data-cluster"], int(a["data-rank"]),
                                     a["data-selected"] == "1"))
        if tag == "g" and "move" in cls:
            self.fig["moves"].append((a["data-cluster"], int(a["data-rank"]),
                                      int(a["data-base-rank"])))
        if tag == "line" and "cutoff" in cls:
            self.fig["cutoff"] += 1
        if tag == "g" and "legend-item" in cls:
            self.fig["legend"] += 1

    def handle_endtag(self, tag):
        if tag == "figure":
            self.fig = None

    def charts(self, kind):
        return [f for f in self.figures if f["kind"] == kind]


def criterion(cid, plugin, weight=1.0, **params):
    c = cpb.Criterion(id=cid, plugin=plugin, weight=weight,
                      normalization=cpb.NORMALIZATION_MIN_MAX)
    for k, v in params.items():
        c.params[k] = str(v)
    return c


def two_rounds(cid, wx, wy, baseline=""):
    comp = cpb.Competition(id=cid, title="Report <test> " + cid,
                           edition="2026", baseline_run_id=baseline)
    r1 = comp.rounds.add(name="screen")
    r1.criteria.append(criterion("x", "indicator", wx, indicator="x"))
    r1.criteria.append(criterion("y", "indicator", wy, indicator="y"))
    r1.selection.top_n = 20
    r1.selection.max_per_region = 3
    r2 = comp.rounds.add(name="final")
    r2.criteria.append(criterion("y", "indicator", 2, indicator="y"))
    r2.criteria.append(criterion("z", "indicator", 1, indicator="z"))
    r2.selection.top_n = 8
    r2.selection.industry_leaders = True
    return comp


class Report(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="clusterd-report-")
        plugins = make_plugin_dir(os.path.join(cls.tmp, "plugins"),
                                  [(BUILD_DIR, "indicator.so"),
                                   (BROKEN_DIR, "bk_loop.so")])
        cls.srv = Server("--plugin-dir", plugins, "--run-workers", "2")
        create = cls.srv.unary(REG + "CreateCluster", pb.CreateClusterRequest,
                               pb.Cluster)
        for i in range(N):
            c = pb.Cluster(id="k%02d" % i, name="Cluster <%d> & co" % i,
                           economy="CN" if i % 4 else "JP",
                           region=REGIONS[i % 5],
                           industry=INDUSTRIES[i % 3])
            c.cities.append("City%d" % (i % 7))
            for y in (2019, 2020, 2021):
                c.indicators.add(name="x", year=y,
                                 value=100 + (i * 37 % 41) + y - 2019)
            c.indicators.add(name="y", year=2021, value=(i * 53) % 47)
            c.indicators.add(name="z", year=2021, value=(i * 29) % 31)
            c.assessments.add(judge="j1", criterion="y", score=70 + i % 9)
            c.assessments.add(judge="j2", criterion="y", score=60,
                              recused=True)
            create(pb.CreateClusterRequest(cluster=c), timeout=30)
        cc = cls.srv.unary(COMP + "CreateCompetition",
                           cpb.CreateCompetitionRequest, cpb.Competition)
        cc(cpb.CreateCompetitionRequest(competition=two_rounds("a", 3, 1)),
           timeout=30)
        cc(cpb.CreateCompetitionRequest(competition=two_rounds("b", 1, 3)),
           timeout=30)
        slow = cpb.Competition(id="slow", title="slow")
        slow.rounds.add(name="only").criteria.append(
            criterion("c", "bk_loop"))
        slow.plugin_timeout.seconds = 300
        cc(cpb.CreateCompetitionRequest(competition=slow), timeout=30)
        stopped = cpb.Competition(id="stopped", title="stopped")
        stopped.rounds.add(name="only").criteria.append(
            criterion("c", "bk_loop"))
        stopped.plugin_timeout.seconds = 1
        cc(cpb.CreateCompetitionRequest(competition=stopped), timeout=30)
        cls.run_a = cls.start_run("a", samples=20)
        cls.run_b = cls.start_run("b")
        # A competition naming run a as its baseline.
        cc(cpb.CreateCompetitionRequest(
            competition=two_rounds("c", 1, 1, baseline=cls.run_a)),
            timeout=30)
        cls.run_c = cls.start_run("c")

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def start_run(cls, comp, samples=0):
        req = cpb.StartRunRequest(competition_id=comp)
        if samples:
            req.sensitivity.samples = samples
            req.sensitivity.weight_jitter_pct = 20
            req.sensitivity.seed = 3
        r = cls.srv.unary(COMP + "StartRun", cpb.StartRunRequest, cpb.Run)(
            req, timeout=30)
        end = time.time() + 60
        while time.time() < end:
            g = cls.get(r.id)
            if g.state not in (cpb.RUN_STATE_QUEUED, cpb.RUN_STATE_RUNNING):
                return r.id
            time.sleep(0.05)
        raise AssertionError("run %s did not end" % r.id)

    @classmethod
    def get(cls, rid):
        return cls.srv.unary(COMP + "GetRun", cpb.GetRunRequest, cpb.Run)(
            cpb.GetRunRequest(id=rid), timeout=30)

    def standings(self, rid, **kw):
        ls = self.srv.unary(COMP + "ListStandings", cpb.ListStandingsRequest,
                            cpb.ListStandingsResponse)
        out, tok = [], ""
        while True:
            r = ls(cpb.ListStandingsRequest(run_id=rid, page_token=tok, **kw),
                   timeout=30)
            out.extend(r.standings)
            tok = r.next_page_token
            if not tok:
                return out

    def ctl(self, *args, env=None):
        return subprocess.run([CTL, "--server", self.srv.address] +
                              list(args), capture_output=True, text=True,
                              timeout=120, env=env)

    def report(self, *args, env=None):
        out = os.path.join(self.tmp, "r%d.html" % time.monotonic_ns())
        p = self.ctl("run", "report", *args, "-o", out, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(out, p.stdout)
        with open(out, encoding="utf-8") as f:
            return out, f.read()

    # --------------------------------------------------------------- pages

    def test_full_report_matches_the_run(self):
        path, html = self.report(self.run_a, "--top", "12")
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        page = Page(html)
        self.assertEqual(page.sections[:8], [
            "header", "funnel", "ranking", "uncertainty", "summary",
            "decisions", "coherence",
            "cluster-" + self.standings(self.run_a)[0].cluster_id])
        for rnd in ("screen", "final"):  # a correlation table per round
            self.assertIn("<caption>Correlations in round %s: Pearson's r"
                          % rnd, html)
        self.assertNotIn("change", page.sections)  # no baseline
        self.assertEqual(len([s for s in page.sections
                              if s.startswith("cluster-")]), 3)
        self.assertEqual(len(page.charts("funnel")), 2)
        rank = page.charts("ranking")
        self.assertEqual(len(rank), 2)
        for fig, rnd, ncrit in ((rank[0], "screen", 2), (rank[1], "final", 2)):
            want = sorted(
                [(s.cluster_id, r.rank, r.selected)
                 for s in self.standings(self.run_a, round=rnd)
                 for r in s.rounds if r.round == rnd and r.rank > 0],
                key=lambda t: t[1])[:12]
            self.assertEqual(fig["bars"], want, rnd)
            self.assertEqual(fig["legend"], ncrit)
            sel = [b[2] for b in want]
            # A cut-off when some shown are selected and some not.
            self.assertEqual(fig["cutoff"],
                             1 if any(sel) and not sel[-1] else 0, rnd)
        self.assertEqual(len(page.charts("uncertainty")), 1)
        self.assertGreaterEqual(len(page.charts("counts")), 4)
        # Names are escaped, never markup; nothing is fetched or run.
        self.assertIn("Cluster &lt;", html)
        self.assertIn("Report &lt;test&gt; a", html)
        for bad in ("<script", "http:", "https:", "<link", "<img", "<iframe",
                    "@import"):
            self.assertNotIn(bad, html)
        self.assertTrue("passed over" in html, "no quota pass in words")

    def test_top_and_details(self):
        _, html = self.report(self.run_a, "--top", "3", "--details", "0")
        page = Page(html)
        self.assertEqual([len(f["bars"]) for f in page.charts("ranking")],
                         [3, 3])
        self.assertFalse([s for s in page.sections if s.startswith("cluster")])

    def expected_moves(self, run, base, top):
        now = {s.cluster_id: s.rank for s in self.standings(run)}
        then = {s.cluster_id: s.rank for s in self.standings(base)}
        ids = {c for c, r in now.items() if 0 < r <= top} | \
              {c for c, r in then.items() if 0 < r <= top}
        return {c: (now.get(c, 0), then.get(c, 0)) for c in ids}

    def moves_in(self, html):
        table = re.search(r"<caption>Rank change</caption>(.*?)</table>",
                          html, re.S).group(1)
        return len(re.findall(r"<tr><td", table))

    def test_baseline_flag(self):
        _, html = self.report(self.run_b, "--top", "10", "--baseline",
                              self.run_a)
        page = Page(html)
        self.assertIn("change", page.sections)
        want = self.expected_moves(self.run_b, self.run_a, 10)
        self.assertEqual(self.moves_in(html), len(want))
        (fig,) = page.charts("change")
        self.assertTrue(fig["moves"])
        for cid, rank, base in fig["moves"]:
            self.assertEqual((rank, base), want[cid], cid)

    def test_competition_baseline_by_default(self):
        _, html = self.report(self.run_c, "--top", "10")
        page = Page(html)
        self.assertIn("change", page.sections)
        (fig,) = page.charts("change")
        # The arrows agree with the run's own rank_change.
        change = {s.cluster_id: s for s in self.standings(self.run_c)}
        for cid, rank, base in fig["moves"]:
            s = change[cid]
            if base:
                self.assertEqual(base - rank, s.rank_change.value, cid)
            else:
                self.assertFalse(s.HasField("rank_change"), cid)

    def test_cluster_report(self):
        first = self.standings(self.run_a)[0].cluster_id
        _, html = self.report(self.run_a, "--cluster", first,
                              "--cluster", "k39")
        page = Page(html)
        self.assertEqual(page.sections,
                         ["header", "cluster-" + first, "cluster-k39"])
        self.assertEqual(len(page.charts("indicators")), 2)
        self.assertGreaterEqual(len(page.charts("scores")), 2)
        self.assertEqual(len(page.charts("assessments")), 2)
        self.assertIn("(recused)", html)

    def test_stdout_and_reproducible(self):
        env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
        a = self.ctl("run", "report", self.run_a, "-o", "-", env=env)
        b = self.ctl("run", "report", self.run_a, "-o", "-", env=env)
        self.assertEqual(a.returncode, 0, a.stderr)
        self.assertTrue(a.stdout.startswith("<!DOCTYPE html>"))
        self.assertEqual(a.stdout, b.stdout)
        self.assertIn("2023-11-14 22:13 UTC", a.stdout)

    def test_replaces_a_file_whole(self):
        out = os.path.join(self.tmp, "replace.html")
        with open(out, "w") as f:
            f.write("old")
        os.chmod(out, 0o644)
        p = self.ctl("run", "report", self.run_a, "-o", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(out) as f:
            self.assertTrue(f.read().startswith("<!DOCTYPE html>"))
        self.assertEqual(stat.S_IMODE(os.stat(out).st_mode), 0o600)
        self.assertEqual(glob.glob(out + ".tmp.*"), [])

    def test_deleted_competition(self):
        cc = self.srv.unary(COMP + "CreateCompetition",
                            cpb.CreateCompetitionRequest, cpb.Competition)
        cc(cpb.CreateCompetitionRequest(competition=two_rounds("gone", 1, 1)),
           timeout=30)
        rid = self.start_run("gone")
        self.srv.unary(COMP + "DeleteCompetition",
                       cpb.DeleteCompetitionRequest,
                       cpb.DeleteCompetitionResponse)(
            cpb.DeleteCompetitionRequest(id="gone"), timeout=30)
        _, html = self.report(rid)
        self.assertIn("no longer stored", html)
        self.assertEqual(len(Page(html).charts("ranking")), 2)

    def test_get_run_basic_view(self):
        get = self.srv.unary(COMP + "GetRun", cpb.GetRunRequest, cpb.Run)
        full = get(cpb.GetRunRequest(id=self.run_a), timeout=30)
        basic = get(cpb.GetRunRequest(id=self.run_a,
                                      view=cpb.RUN_VIEW_BASIC), timeout=30)
        self.assertEqual(len(full.standings), N)
        self.assertEqual(len(basic.standings), 0)
        self.assertEqual(basic.standings_total, N)
        self.assertEqual(basic.rounds, full.rounds)
        self.assertEqual(basic.summary, full.summary)
        explicit = get(cpb.GetRunRequest(id=self.run_a,
                                         view=cpb.RUN_VIEW_FULL), timeout=30)
        self.assertEqual(explicit, full)

    # ------------------------------------------------------------ refusals

    def refused(self, code, *args, msg):
        p = self.ctl("run", "report", *args)
        self.assertEqual(p.returncode, code, p.stderr)
        self.assertRegex(p.stderr, msg)
        return p

    def test_usage(self):
        self.refused(2, self.run_a, msg="-o FILE is missing")
        self.refused(2, "-o", "x.html", msg="the run id is missing")
        self.refused(2, self.run_a, "-o", "x", "--top", "0", msg="--top")
        self.refused(2, self.run_a, "-o", "x", "--top", "1001", msg="--top")
        self.refused(2, self.run_a, "-o", "x", "--details", "-1",
                     msg="--details")
        many = []
        for i in range(101):
            many += ["--cluster", "k%d" % i]
        self.refused(2, self.run_a, "-o", "x", *many, msg="at most 100")
        self.refused(2, self.run_a, "extra", "-o", "x",
                     msg="unexpected argument 'extra'")

    def test_unknown(self):
        out = os.path.join(self.tmp, "never.html")
        self.refused(1, "no-such-run", "-o", out,
                     msg="the run 'no-such-run' not found")
        self.refused(1, self.run_a, "--baseline", "no-such", "-o", out,
                     msg="the baseline run 'no-such' not found")
        self.refused(1, self.run_a, "--cluster", "nobody", "-o", out,
                     msg="NOT_FOUND")
        self.refused(1, "bad id!", "-o", out, msg="INVALID_ARGUMENT")
        self.assertFalse(os.path.exists(out))

    def test_runs_without_standings(self):
        out = os.path.join(self.tmp, "never.html")
        stopped = self.start_run("stopped")
        self.refused(1, stopped, "-o", out,
                     msg="run '%s' failed: it has no standings" % stopped)
        slow = self.srv.unary(COMP + "StartRun", cpb.StartRunRequest,
                              cpb.Run)(cpb.StartRunRequest(
                                  competition_id="slow"), timeout=30)
        try:
            self.refused(1, slow.id, "-o", out, msg="has not ended")
            self.refused(1, self.run_a, "--baseline", slow.id, "-o", out,
                         msg="the baseline run '%s' has not ended" % slow.id)
        finally:
            self.srv.unary(COMP + "CancelRun", cpb.CancelRunRequest,
                           cpb.Run)(cpb.CancelRunRequest(id=slow.id),
                                    timeout=30)
        self.assertFalse(os.path.exists(out))

    def test_unwritable_output(self):
        d = os.path.join(self.tmp, "ro")
        os.mkdir(d)
        os.chmod(d, 0o500)
        try:
            target = os.path.join(d, "r.html")
            if os.access(d, os.W_OK):  # root ignores the mode
                target = os.path.join(self.tmp, "missing-dir", "r.html")
            self.refused(1, self.run_a, "-o", target,
                         msg="run report: .*r.html: ")
            self.assertEqual(os.listdir(os.path.dirname(target))
                             if os.path.isdir(os.path.dirname(target))
                             else [], [])
        finally:
            os.chmod(d, 0o700)


if __name__ == "__main__":
    unittest.main()
