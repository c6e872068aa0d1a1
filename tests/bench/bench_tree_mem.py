#!/usr/bin/env python3
"""bench_tree_mem.py PID OUT [INTERVAL_MS] — memory of a process and all its
descendants (clusterd and its clusterd-plugin-host workers), sampled every
INTERVAL_MS (default 50) until SIGTERM, then one line of key=value figures
(kB) written to OUT:

  hwm_sum      sum over every process seen of its last VmHWM (each process's
               own peak RSS; shared pages, such as a cohort segment mapped by
               the server and a worker, are counted in each)
  hwm_root     VmHWM of PID
  hwm_others   the sum of the others' (the workers')
  pss_peak     the largest sum of Pss (smaps_rollup) over the tree at one
               sample: shared pages split between the processes mapping them
  rss_peak     the largest sum of VmRSS over the tree at one sample
  anon_peak, shmem_peak, file_peak: the largest sums of RssAnon, RssShmem,
               RssFile at one sample
  procs        processes seen besides PID; procs_max: most at once
  samples      samples taken; cpu_ms: CPU time this sampler used
Used by tests/bench/bench_isolation.sh."""
import os
import signal
import sys
import time

root, out = int(sys.argv[1]), sys.argv[2]
interval = (int(sys.argv[3]) if len(sys.argv) > 3 else 50) / 1000.0


def children(pid):
    kids = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                kids.extend(int(x) for x in f.read().split())
    except OSError:
        pass
    return kids


def tree(pid):
    todo, seen = [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        todo.extend(children(p))
    return seen


def status(pid):
    v = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, rest = line.partition(":")
            if k in ("VmHWM", "VmRSS", "RssAnon", "RssShmem", "RssFile"):
                v[k] = int(rest.split()[0])
    return v


def pss(pid):
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


hwm = {}
peak = {"pss": 0, "rss": 0, "anon": 0, "shmem": 0, "file": 0}
procs_max = 0
samples = 0


def stop(*_):
    others = sum(v for p, v in hwm.items() if p != root)
    cpu = time.process_time() * 1000
    with open(out, "w") as f:
        f.write("hwm_sum=%d hwm_root=%d hwm_others=%d pss_peak=%d "
                "rss_peak=%d anon_peak=%d shmem_peak=%d file_peak=%d "
                "procs=%d procs_max=%d samples=%d cpu_ms=%.0f\n" % (
                    sum(hwm.values()), hwm.get(root, 0), others,
                    peak["pss"], peak["rss"], peak["anon"], peak["shmem"],
                    peak["file"], len(hwm) - (root in hwm), procs_max,
                    samples, cpu))
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
while True:
    pids = tree(root)
    if root not in pids or not os.path.exists("/proc/%d" % root):
        stop()
    tot = {"pss": 0, "rss": 0, "anon": 0, "shmem": 0, "file": 0}
    n = 0
    for p in pids:
        try:
            s = status(p)
            ps = pss(p)
        except (OSError, ValueError):
            continue   # gone between the listing and the read
        n += 1
        hwm[p] = max(hwm.get(p, 0), s.get("VmHWM", 0))
        tot["pss"] += ps
        tot["rss"] += s.get("VmRSS", 0)
        tot["anon"] += s.get("RssAnon", 0)
        tot["shmem"] += s.get("RssShmem", 0)
        tot["file"] += s.get("RssFile", 0)
    for k in tot:
        peak[k] = max(peak[k], tot[k])
    procs_max = max(procs_max, n - 1)
    samples += 1
    time.sleep(interval)
