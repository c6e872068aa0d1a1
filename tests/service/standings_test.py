"""Every standing of a run through the real clusterd: a two-round
competition over more clusters than GetRun carries inline (and than one
stored chunk holds) is run as a job, then ListStandings pages through all
of them with each filter (cluster_ids among them, and its refusals), and
the per-round decisions are checked against what the definition implies
(a region quota, top_n, clusters stopped in the preliminary)."""

import os
import shutil
import sys
import tempfile
import unittest

import grpc
from google.protobuf import wrappers_pb2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clusterd_harness import REG, Server, stubs, violations  # noqa: E402

COMP = "/clusters.v1.CompetitionService/"
BUILD_DIR = os.environ["CLUSTERD_PLUGIN_BUILD_DIR"]

N = 6000         # more than the 5000 standings GetRun keeps inline
FINALISTS = 100  # round 1: top 100, at most 12 per region
QUOTA = 12
WINNERS = 10     # round 2: top 10

pb = cpb = None
SERVER = None
TMP = None
RUN = None


def setUpModule():
    global pb, cpb, SERVER, TMP, RUN
    pb, _, cpb, _ = stubs()
    TMP = tempfile.mkdtemp(prefix="clusterd-standings-")
    pdir = os.path.join(TMP, "plugins")
    os.mkdir(pdir, 0o700)
    dst = os.path.join(pdir, "indicator.so")
    shutil.copyfile(os.path.join(BUILD_DIR, "indicator.so"), dst)
    os.chmod(dst, 0o644)
    SERVER = Server("--plugin-dir", pdir, "--threads", "2")

    def clusters():
        for i in range(N):
            c = pb.Cluster(id="s%05d" % i, name="S %d" % i, economy="CN",
                           region=region(i),
                           industry="ind%d" % (i % 3))
            # v: higher for higher i; w: the final's criterion, reversed.
            c.indicators.add(name="v", year=2020, value=float(i))
            c.indicators.add(name="w", year=2020, value=float(N - i))
            yield c
    SERVER.client_stream(REG + "ImportClusters", pb.Cluster,
                         pb.ImportClustersResponse)(clusters(), timeout=300)
    comp = cpb.Competition(id="big", title="Big")
    r1 = comp.rounds.add(name="prelim")
    r1.criteria.add(id="v", plugin="indicator", weight=1,
                    params={"indicator": "v"})
    r1.selection.top_n = FINALISTS
    r1.selection.max_per_region = QUOTA
    r2 = comp.rounds.add(name="final")
    r2.criteria.add(id="w", plugin="indicator", weight=1,
                    params={"indicator": "w"})
    r2.selection.top_n = WINNERS
    unary("CreateCompetition", cpb.CreateCompetitionRequest,
          cpb.Competition)(cpb.CreateCompetitionRequest(competition=comp),
                           timeout=30)
    events = list(SERVER.server_stream(COMP + "RunCompetition",
                                       cpb.RunCompetitionRequest,
                                       cpb.RunEvent)(
        cpb.RunCompetitionRequest(competition_id="big"), timeout=300))
    RUN = events[-1].run


def tearDownModule():
    rc = SERVER.stop()
    log = SERVER.read_log()
    SERVER.cleanup()
    shutil.rmtree(TMP, ignore_errors=True)
    if rc != 0:
        raise AssertionError("clusterd exited with %d:\n%s" % (rc, log[-4000:]))


def unary(name, req_cls, resp_cls):
    return SERVER.unary(COMP + name, req_cls, resp_cls)


def list_page(**kw):
    return unary("ListStandings", cpb.ListStandingsRequest,
                 cpb.ListStandingsResponse)(
        cpb.ListStandingsRequest(run_id=RUN.id, **kw), timeout=60)


def list_all(**kw):
    out, token, pages = [], "", 0
    while True:
        r = list_page(page_token=token, **kw)
        out.extend(r.standings)
        pages += 1
        token = r.next_page_token
        if not token:
            return out, pages


def error_of(fn, *args, **kw):
    try:
        fn(*args, **kw)
    except grpc.RpcError as e:
        return e
    raise AssertionError("call succeeded where it should have failed")


def region(i):
    """Half the clusters (even i) share region "big"; the others spread
    over 50 regions."""
    return "big" if i % 2 == 0 else "o%d" % ((i // 2) % 50)


# Round 1 by hand: v = i, so the ranking is i descending; the quota takes
# the best 12 of region "big" and passes over every later even i until the
# top 100 are taken (the odd ones fill no other region past 2).
def prelim_by_hand():
    taken, per = [], {}
    passed = {}
    for i in range(N - 1, -1, -1):
        if len(taken) == FINALISTS:
            break
        r = region(i)
        if per.get(r, 0) >= QUOTA:
            passed[i] = per[r]
            continue
        per[r] = per.get(r, 0) + 1
        taken.append(i)
    return taken, passed


class Standings(unittest.TestCase):
    def test_run_stored_every_standing(self):
        self.assertEqual(RUN.state, cpb.RUN_STATE_SUCCEEDED)
        self.assertEqual(RUN.candidates, N)
        self.assertEqual(RUN.standings_total, N)
        got = unary("GetRun", cpb.GetRunRequest, cpb.Run)(
            cpb.GetRunRequest(id=RUN.id), timeout=60)
        self.assertLessEqual(len(got.standings), 5000 + WINNERS)
        self.assertTrue(any("ListStandings" in w for w in got.warnings),
                        got.warnings)

    def test_paging_reads_all_in_order(self):
        st, pages = list_all(page_size=700)
        self.assertEqual(len(st), N)
        self.assertEqual(pages, (N + 699) // 700)
        self.assertEqual(len({s.cluster_id for s in st}), N)
        ranks = [s.rank for s in st]
        self.assertEqual(ranks, sorted(ranks))
        self.assertEqual(ranks[0], 1)
        self.assertEqual(ranks[-1], N)
        # Every standing carries both rounds.
        for s in st[:50] + st[-50:]:
            self.assertEqual([r.round for r in s.rounds],
                             ["prelim", "final"])

    def test_default_page_size(self):
        r = list_page()
        self.assertEqual(len(r.standings), 1000)
        self.assertTrue(r.next_page_token)

    def test_prelim_decisions(self):
        taken, passed = prelim_by_hand()
        st, _ = list_all(page_size=10000)
        by = {int(s.cluster_id[1:]): s for s in st}
        for i in taken:
            d = by[i].rounds[0].decision
            self.assertEqual(d.code, cpb.DECISION_CODE_SELECTED_BY_SCORE)
            self.assertTrue(by[i].rounds[0].selected)
        self.assertTrue(passed)
        for i, count in passed.items():
            d = by[i].rounds[0].decision
            self.assertEqual(d.code, cpb.DECISION_CODE_PASSED_OVER_BY_QUOTA,
                             (i, d))
            self.assertEqual(d.quota, cpb.QUOTA_KIND_REGION)
            self.assertEqual(d.group, region(i))
            self.assertEqual(d.group_count, QUOTA)
            self.assertEqual(d.quota_limit, QUOTA)
            self.assertIn(region(i), d.text)
            # It stopped here, so the final says so.
            f = by[i].rounds[1].decision
            self.assertEqual(f.code, cpb.DECISION_CODE_EXCLUDED_EARLIER)
            self.assertEqual(f.earlier_round, "prelim")
        low = by[0].rounds[0]
        self.assertEqual(low.decision.code, cpb.DECISION_CODE_OUTSIDE_TOP_N)
        self.assertEqual(low.decision.top_n, FINALISTS)
        self.assertEqual(low.rank, N)

    def test_final_decisions_and_filters(self):
        taken, _ = prelim_by_hand()
        # The final reverses the order: the lowest i of the finalists win.
        winners = sorted(taken)[:WINNERS]
        sel, _ = list_all(selected=wrappers_pb2.BoolValue(value=True))
        self.assertEqual(sorted(int(s.cluster_id[1:]) for s in sel),
                         winners)
        fin, _ = list_all(round="final")
        self.assertEqual(len(fin), FINALISTS)
        notsel, _ = list_all(round="final",
                             selected=wrappers_pb2.BoolValue(value=False))
        self.assertEqual(len(notsel), FINALISTS - WINNERS)
        for s in notsel:
            self.assertEqual(s.rounds[1].decision.code,
                             cpb.DECISION_CODE_OUTSIDE_TOP_N)
        big, _ = list_all(region="big")
        self.assertEqual(len(big), N // 2)
        self.assertTrue(all(s.region == "big" for s in big))
        ind, _ = list_all(industry="ind1", round="final")
        self.assertEqual(len(ind), sum(1 for i in taken if i % 3 == 1))
        band, _ = list_all(min_rank=95, max_rank=105)
        self.assertEqual([s.rank for s in band], list(range(95, 106)))
        # Finalists stand above every cluster stopped in the prelim.
        self.assertEqual(max(s.rank for s in fin), FINALISTS)

    def test_errors(self):
        e = error_of(unary("ListStandings", cpb.ListStandingsRequest,
                           cpb.ListStandingsResponse),
                     cpb.ListStandingsRequest(run_id="nosuch"), timeout=30)
        self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND)
        e = error_of(list_page, min_rank=10, max_rank=5)
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("min_rank", e.details())
        e = error_of(list_page, page_size=-1)
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)
        token = list_page(page_size=10).next_page_token
        e = error_of(list_page, page_token=token, region="big")
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)
        e = error_of(list_page, page_token=token[:-2] + "zz")
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)

    def test_cluster_ids(self):
        taken, _ = prelim_by_hand()
        # Finalists and others, out of order, one twice, one unknown.
        want = [N - 1, 0, taken[3], 2, N // 2, taken[-1], 7]
        ids = ["s%05d" % i for i in want] + ["s%05d" % want[2], "nosuch"]
        st, pages = list_all(cluster_ids=ids)
        self.assertEqual(pages, 1)
        self.assertEqual(sorted(s.cluster_id for s in st),
                         sorted("s%05d" % i for i in want))
        ranks = [s.rank for s in st]
        self.assertEqual(ranks, sorted(ranks))  # standings order
        # Whole standings, as without the filter.
        self.assertEqual([r.round for r in st[0].rounds],
                         ["prelim", "final"])
        # One per page; the page with the last of them is the last.
        one, pages = list_all(cluster_ids=ids, page_size=1)
        self.assertEqual(one, st)
        self.assertEqual(pages, len(want))
        # With the other filters: all must hold.
        fin, _ = list_all(cluster_ids=ids, round="final")
        self.assertEqual(sorted(int(s.cluster_id[1:]) for s in fin),
                         sorted(i for i in want if i in taken))
        big, _ = list_all(cluster_ids=ids, region="big", min_rank=2)
        self.assertEqual(big, [s for s in st
                               if s.region == "big" and s.rank >= 2])
        self.assertTrue(big)
        none, pages = list_all(cluster_ids=["nosuch", "s99999"])
        self.assertEqual((none, pages), ([], 1))
        # A token serves its id set in any order, and no other set.
        r = list_page(cluster_ids=ids, page_size=2)
        again = list_page(cluster_ids=list(reversed(ids)), page_size=2,
                          page_token=r.next_page_token)
        self.assertEqual(list(r.standings) + list(again.standings), st[:4])
        e = error_of(list_page, cluster_ids=ids[:3], page_size=2,
                     page_token=r.next_page_token)
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(violations(e)[0][0], "page_token")

    def test_cluster_ids_refused(self):
        ids = ["s%05d" % i for i in range(1000)]
        st, _ = list_all(cluster_ids=ids, page_size=10000)
        self.assertEqual(len(st), 1000)
        e = error_of(list_page, cluster_ids=ids + ["s01000"])
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(e.details(), "cluster_ids: 1001 ids, at most 1000")
        self.assertEqual(violations(e),
                         [("cluster_ids", "1001 ids, at most 1000")])
        e = error_of(list_page, cluster_ids=["s00001", "s00002", "Bad Id"])
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertTrue(e.details().startswith("cluster_ids[2]: "),
                        e.details())
        (field, desc), = violations(e)
        self.assertEqual(field, "cluster_ids[2]")
        self.assertIn("must start with [a-z0-9]", desc)
        e = error_of(list_page, cluster_ids=[""])
        self.assertEqual(violations(e), [("cluster_ids[0]", "missing")])

    def test_delete_removes_standings(self):
        ev = list(SERVER.server_stream(COMP + "RunCompetition",
                                       cpb.RunCompetitionRequest,
                                       cpb.RunEvent)(
            cpb.RunCompetitionRequest(competition_id="big"), timeout=300))
        rid = ev[-1].run.id
        r = unary("ListStandings", cpb.ListStandingsRequest,
                  cpb.ListStandingsResponse)(
            cpb.ListStandingsRequest(run_id=rid, page_size=5), timeout=30)
        self.assertEqual(len(r.standings), 5)
        unary("DeleteRun", cpb.DeleteRunRequest, cpb.DeleteRunResponse)(
            cpb.DeleteRunRequest(id=rid), timeout=30)
        e = error_of(unary("ListStandings", cpb.ListStandingsRequest,
                           cpb.ListStandingsResponse),
                     cpb.ListStandingsRequest(run_id=rid), timeout=30)
        self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND)


if __name__ == "__main__":
    unittest.main()
