#!/usr/bin/python3
"""Helpers of the demo (deploy/demo.sh): turn the published sample tables
into clusterctl's CSV (the import-ready *.clusters.csv files next to them
are made so), and set a run that clusterctl returns as JSON (`clusterctl
... --json`) beside published results: computed against published GII
ranks, and the national-style competition's selection by province against
the real 2021 list. Formatting and comparison only: every rank, decision
and reason comes from clusterd. Python 3 standard library only.

Usage:
  demo_report.py gii-csv SAMPLE.csv OUT.csv
  demo_report.py miit-csv WINNERS.csv OUT.csv
  demo_report.py gii RUN.json SAMPLE.csv
  demo_report.py compare RUN.json WINNERS.csv

Exit status 1 when a check fails (a computed GII rank differs from the
published one).
"""
import csv
import json
import os
import re
import sys
import unicodedata
from collections import Counter


def die(msg):
    print("demo_report: " + msg, file=sys.stderr)
    sys.exit(1)


def commented_csv(path):
    rows = [l for l in open(path, encoding="utf-8") if not l.startswith("#")]
    return list(csv.DictReader(rows))


def gii_id(name):
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "gii23-" + re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


def width(s):
    """Display width: East Asian wide characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def table(header, rows, right=()):
    """Prints an aligned table; columns named in `right` align right."""
    cols = [[str(h)] + [str(r[i]) for r in rows] for i, h in enumerate(header)]
    w = [max(width(x) for x in c) for c in cols]
    for line in [header] + rows:
        out = []
        for i, x in enumerate(line):
            x = str(x)
            pad = " " * (w[i] - width(x))
            out.append(pad + x if header[i] in right else x + pad)
        print("  ".join(out).rstrip())


def num(v):
    """A double from the proto3 JSON mapping (NaN/Infinity come as text)."""
    if v is None:
        return 0.0
    return float(v)


def load_run(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


# ------------------------------------------------------------------ GII 2023

def cmd_gii_csv(src, dst):
    """The published table as clusterctl's CSV: the raw counts become
    indicators (PCT filings and publications, 2018-2022 totals, filed under
    2022); the published rank and score become labels for comparison."""
    with open(dst, "w", newline="", encoding="utf-8") as out:
        out.write(made_from(src, "gii-csv"))
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["id", "name", "economy", "pct_applications@2022",
                    "scientific_publications@2022", "label:published_rank",
                    "label:published_score", "label:source"])
        for r in commented_csv(src):
            w.writerow([gii_id(r["cluster"]), r["cluster"], r["economy"],
                        r["pct_applications"], r["scientific_publications"],
                        r["rank"], r["total_share"], "wipo-gii-2023"])


def made_from(src, cmd):
    """The comment that opens an import-ready file."""
    name = os.path.basename(src)
    return ("# %s as clusterctl's CSV: clusterctl cluster import FILE. Made "
            "with\n# deploy/examples/demo_report.py %s %s OUT.csv; "
            "provenance in %s.\n" % (name, cmd, name, name))


def cmd_miit_csv(src, dst):
    """The 2021 winners (identities only) as clusterctl's CSV, with the ids
    gen_national_candidates.py gives them; the published field is the
    industry, the Chinese name and whether the name was verified are
    labels."""
    sys.dont_write_bytecode = True  # no __pycache__ among the samples
    from gen_national_candidates import slug
    with open(dst, "w", newline="", encoding="utf-8") as out:
        out.write(made_from(src, "miit-csv"))
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["id", "name", "economy", "region", "cities", "industry",
                    "label:name_verified", "label:name_zh", "label:source"])
        for r in commented_csv(src):
            w.writerow(["miit21-" + slug(r["name_en"]), r["name_en"], "CN",
                        r["province"], r["cities"], r["field"],
                        r["name_verified"], r["name_zh"], "miit-2021"])


def cmd_gii(run_path, src):
    run = load_run(run_path)
    published = {gii_id(r["cluster"]): r for r in commented_csv(src)}
    rows, bad = [], 0
    for s in run.get("standings", []):
        p = published.get(s["clusterId"])
        if p is None:
            continue
        rank = s.get("rank", 0)
        ok = rank == int(p["rank"])
        bad += not ok
        rows.append([p["rank"], rank or "-", "yes" if ok else "NO",
                     s.get("name", ""), s.get("economy", ""),
                     p["total_share"], "%.2f" % num(s.get("score"))])
    rows.sort(key=lambda r: int(r[0]))
    table(["PUBLISHED RANK", "COMPUTED RANK", "MATCH", "CLUSTER", "ECONOMY",
           "PUBLISHED SCORE", "COMPUTED SCORE"], rows,
          right=("PUBLISHED RANK", "COMPUTED RANK", "PUBLISHED SCORE",
                 "COMPUTED SCORE"))
    if len(rows) != len(published):
        die("the run ranked %d of the %d published clusters"
            % (len(rows), len(published)))
    if bad:
        die("%d computed ranks differ from the published ones" % bad)
    print("\nall %d computed ranks match the published GII 2023 ranks "
          "(published scores are rounded to 0.1)" % len(rows))


# -------------------------------------------------------- national (synthetic)

def cmd_compare(run_path, winners_path):
    """The run's selection by province (its summary) beside the real 2021
    winners, and how many of the real winners the run selected."""
    run = load_run(run_path)
    winners = commented_csv(winners_path)
    sm = run.get("summary", {})
    n = sm.get("selected", 0)
    real_by = Counter(w["province"] for w in winners)
    got = {g["key"]: g.get("count", 0) for g in sm.get("byRegion", [])}
    rows = [[k, got.get(k, 0), real_by.get(k, 0)]
            for k in sorted(set(got) | set(real_by),
                            key=lambda k: (-got.get(k, 0), -real_by.get(k, 0), k))]
    table(["PROVINCE", "SELECTED (SYNTHETIC RUN)", "REAL 2021 WINNERS"], rows,
          right=("SELECTED (SYNTHETIC RUN)", "REAL 2021 WINNERS"))
    real_cities = {c for w in winners for c in w["cities"].split(";")}
    print("run %s: %d clusters selected from %d cities in %d provinces; real "
          "2021 result: %d clusters from %d cities in %d provinces"
          % (run.get("id", ""), n, sm.get("distinctCities", 0),
             sm.get("distinctRegions", 0), len(winners), len(real_cities),
             len(real_by)))
    held = sum(1 for s in run.get("standings", [])
               if s.get("selected") and s["clusterId"].startswith("miit21-"))
    print("%d of the 25 real 2021 winners are among the %d selected in this "
          "run on SYNTHETIC data (their synthetic profiles are drawn stronger; "
          "this is a demonstration, not a reconstruction)" % (held, n))


def main(argv):
    cmds = {"gii-csv": (cmd_gii_csv, 2), "miit-csv": (cmd_miit_csv, 2),
            "gii": (cmd_gii, 2), "compare": (cmd_compare, 2)}
    if len(argv) < 2 or argv[1] not in cmds or len(argv) - 2 != cmds[argv[1]][1]:
        sys.exit(__doc__)
    fn, _ = cmds[argv[1]]
    fn(*argv[2:])


if __name__ == "__main__":
    main(sys.argv)
