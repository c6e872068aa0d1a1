#!/usr/bin/python3
"""Helpers of the demo (deploy/demo.sh): turn the published sample tables
into clusterctl's CSV (the import-ready *.clusters.csv files next to them
are made so), and print the runs that clusterctl returns as JSON
(`clusterctl ... --json`) as reports a reader can check: computed against
published GII ranks, and the national-style competition's rounds with the
reason behind each selection decision. Python 3 standard library only.

Usage:
  demo_report.py gii-csv SAMPLE.csv OUT.csv
  demo_report.py miit-csv WINNERS.csv OUT.csv
  demo_report.py gii RUN.json SAMPLE.csv
  demo_report.py prelim-def COMPETITION.json OUT.json
  demo_report.py national PRELIM_RUN.json RUN.json CLUSTERS.jsonl COMPETITION.json WINNERS.csv

Exit status 1 when a check fails (a computed GII rank differs from the
published one, or the preliminary-only run selects other finalists than the
full run).
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


def plural(n, word):
    return "%d %s%s" % (n, word, "" if n == 1 else "s")


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

def cmd_prelim_def(comp_path, out_path):
    """The competition's first round alone, as its own competition, so the
    preliminary standings of every candidate can be shown."""
    with open(comp_path, encoding="utf-8") as f:
        c = json.load(f)
    c["id"] = c["id"] + "-prelim"
    c["title"] = c["title"] + " - preliminary round only"
    c["rounds"] = c["rounds"][:1]
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(c, f, ensure_ascii=False, indent=1)


def explain_selection(ranked, sel, clusters):
    """Replays the selection rules (docs/engine.md, "Selection") over the
    ranked candidates to say why each was or was not taken: a first pass
    for industry leaders when asked, then rank order, with the per-region
    quota. Returns ({id: note}, set of ids this replay selects)."""
    top_n = sel.get("topN", 0)
    quota = sel.get("maxPerRegion", 0)
    taken, per_region, note = [], Counter(), {}

    def fits(cid):
        region = clusters[cid]["region"]
        return not quota or not region or per_region[region] < quota

    def take(cid, why):
        taken.append(cid)
        per_region[clusters[cid]["region"]] += 1
        note[cid] = why

    if sel.get("industryLeaders"):
        led = set()
        for cid in ranked:
            if top_n and len(taken) >= top_n:
                break
            ind = clusters[cid]["industry"]
            if not ind or ind in led or not fits(cid):
                continue
            led.add(ind)
            take(cid, "leader of its industry")
    for cid in ranked:
        if top_n and len(taken) >= top_n:
            break
        if cid in note:
            continue
        if fits(cid):
            take(cid, "")
        else:
            note[cid] = "quota: %s already has %d" % (
                clusters[cid]["region"], quota)
    return note, set(taken)


def cmd_national(prelim_path, run_path, clusters_path, comp_path, winners_path):
    prelim, run = load_run(prelim_path), load_run(run_path)
    clusters = {}
    for line in open(clusters_path, encoding="utf-8"):
        c = json.loads(line)
        clusters[c["id"]] = c
    with open(comp_path, encoding="utf-8") as f:
        comp = json.load(f)
    rounds = comp["rounds"]
    winners = commented_csv(winners_path)
    real = lambda cid: clusters[cid]["labels"].get("entry") == "miit2021-winner"

    # Round 1, from the preliminary-only run: every candidate.
    # Other clusters of the registry (the GII sample) are not of this
    # dataset: the competition's label filter excludes them; leave them out.
    st1 = [s for s in prelim.get("standings", []) if s["clusterId"] in clusters]
    others = len(prelim.get("standings", [])) - len(st1)
    ranked1 = [s["clusterId"] for s in st1 if s.get("rank")]
    why1, replay1 = explain_selection(ranked1, rounds[0].get("selection", {}), clusters)
    sel1 = {s["clusterId"] for s in st1 if s.get("selected")}
    crit1 = [c["id"] for c in rounds[0]["criteria"]]
    print("== round 1, %s: %d candidates, %d ranked, %d selected for the final "
          "(SYNTHETIC data)" % (rounds[0]["name"], len(st1), len(ranked1), len(sel1)))
    if others:
        print("(the %d other clusters in the registry are not of this dataset; "
              "the label filter excludes them and they are not shown)" % others)
    rows = []
    for s in st1:
        cid = s["clusterId"]
        c = clusters[cid]
        norm = {x["criterion"]: num(x.get("normalized")) for x in s.get("scores", [])}
        rank = s.get("rank", 0)
        rows.append([rank or "-", "%.1f" % num(s.get("score")) if rank else "",
                     *[("%.0f" % norm[k]) if rank and k in norm else "" for k in crit1],
                     "yes" if s.get("selected") else "", c["name"], c["region"],
                     "*" if real(cid) else "",
                     s.get("excludedReason") or why1.get(cid, "")])
    table(["RANK", "SCORE", *crit1, "FINAL", "CLUSTER", "PROVINCE", "2021",
           "NOTE"], rows, right=("RANK", "SCORE", *crit1))
    print("(criteria columns: normalised 0-100; 2021 * = one of the 25 real "
          "2021 winners)")

    # Round 2 and the overall result, from the full run.
    st = [s for s in run.get("standings", []) if s["clusterId"] in clusters]
    final_name = rounds[-1]["name"]
    finalists = [s for s in st if s.get("round") == final_name]
    if {s["clusterId"] for s in finalists} != sel1:
        die("the preliminary-only run selected other finalists than the "
            "full run's round 1")
    if replay1 != sel1:
        print("note: the replay of the selection rules differs from the "
              "engine's round-1 selection; the notes may be wrong")
    ranked2 = [s["clusterId"] for s in finalists if s.get("rank")]
    why2, replay2 = explain_selection(ranked2, rounds[-1].get("selection", {}), clusters)
    order = {cid: i for i, cid in enumerate(ranked2)}
    plain = [order[cid] for cid in replay2 if not why2.get(cid)]
    leaders = [cid for cid in replay2 if why2.get(cid, "").startswith("leader")]
    below = [cid for cid in leaders if plain and order[cid] > max(plain)]
    for cid in below:
        why2[cid] += ", taken ahead of higher-ranked clusters"
    crit2 = [c["id"] for c in rounds[-1]["criteria"]]
    sens = any(s.get("sensitivity") for s in finalists)
    print("\n== round 2, %s: %d finalists judged by the expert panel "
          "(SYNTHETIC scores)" % (final_name, len(finalists)))
    rows = []
    for s in finalists:
        cid = s["clusterId"]
        c = clusters[cid]
        norm = {x["criterion"]: num(x.get("normalized")) for x in s.get("scores", [])}
        rank = s.get("rank", 0)
        row = [rank or "-", "%.2f" % num(s.get("score")) if rank else "",
               *[("%.1f" % norm[k]) if rank and k in norm else "" for k in crit2],
               "yes" if s.get("selected") else ""]
        if sens:
            se = s.get("sensitivity") or {}
            row += ["%s-%s" % (se.get("rankP5", 0), se.get("rankP95", 0)),
                    "%.0f%%" % (100 * num(se.get("selectedShare")))]
        row += [c["name"], c["region"], c["industry"], "*" if real(cid) else "",
                s.get("excludedReason") or why2.get(cid, "")]
        rows.append(row)
    hdr = ["RANK", "SCORE", *crit2, "SELECTED"]
    if sens:
        hdr += ["RANK P5-P95", "SELECTED %"]
    hdr += ["CLUSTER", "PROVINCE", "INDUSTRY", "2021", "NOTE"]
    table(hdr, rows, right=("RANK", "SCORE", *crit2, "RANK P5-P95", "SELECTED %"))
    if sens:
        o = run.get("sensitivity", {})
        print("(RANK P5-P95, SELECTED %%: %s samples with every weight "
              "perturbed by up to +/-%s%%, seed %s)"
              % (o.get("samples"), o.get("weightJitterPct"), o.get("seed")))
    if replay2 != {s["clusterId"] for s in finalists if s.get("selected")}:
        print("note: the replay of the selection rules differs from the "
              "engine's final selection; the notes may be wrong")

    # The summary the engine computed.
    sm = run.get("summary", {})
    n = sm.get("selected", 0)
    print("\n== result (SYNTHETIC data): %d clusters selected from %d cities in "
          "%d provinces, %d industries"
          % (n, sm.get("distinctCities", 0), sm.get("distinctRegions", 0),
             sm.get("distinctIndustries", 0)))
    real_by = Counter(w["province"] for w in winners)
    got = {g["key"]: g.get("count", 0) for g in sm.get("byRegion", [])}
    rows = [[k, got.get(k, 0), real_by.get(k, 0)]
            for k in sorted(set(got) | set(real_by),
                            key=lambda k: (-got.get(k, 0), -real_by.get(k, 0), k))]
    table(["PROVINCE", "SELECTED (SYNTHETIC RUN)", "REAL 2021 WINNERS"], rows,
          right=("SELECTED (SYNTHETIC RUN)", "REAL 2021 WINNERS"))
    real_cities = {c for w in winners for c in w["cities"].split(";")}
    print("real 2021 result, for comparison: %d clusters from %d cities in %d "
          "provinces" % (len(winners), len(real_cities), len(real_by)))
    print()
    table(["INDUSTRY", "SELECTED"],
          [[g["key"], g.get("count", 0)] for g in sm.get("byIndustry", [])],
          right=("SELECTED",))
    held = sum(1 for s in st if s.get("selected") and real(s["clusterId"]))
    print("\n%d of the 25 real 2021 winners are among the %d selected in this "
          "run on SYNTHETIC data (their synthetic profiles are drawn stronger; "
          "this is a demonstration, not a reconstruction)" % (held, n))
    quota2 = [cid for cid, w in why2.items() if w.startswith("quota")]
    quota1 = [cid for cid, w in why1.items() if w.startswith("quota")]
    print("rules at work: in the final, %s taken first as industry leaders, "
          "%d of them from below the last cluster taken on score alone, and "
          "%s passed over by the provincial quota; in the preliminary, %s "
          "passed over by the quota"
          % (plural(len(leaders), "cluster"), len(below),
             plural(len(quota2), "finalist"), plural(len(quota1), "candidate")))


def main(argv):
    cmds = {"gii-csv": (cmd_gii_csv, 2), "miit-csv": (cmd_miit_csv, 2),
            "gii": (cmd_gii, 2),
            "prelim-def": (cmd_prelim_def, 2), "national": (cmd_national, 5)}
    if len(argv) < 2 or argv[1] not in cmds or len(argv) - 2 != cmds[argv[1]][1]:
        sys.exit(__doc__)
    fn, _ = cmds[argv[1]]
    fn(*argv[2:])


if __name__ == "__main__":
    main(sys.argv)
