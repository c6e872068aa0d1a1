#!/usr/bin/python3
"""Candidate clusters for the demo's national-style competition, with
SYNTHETIC indicator values and SYNTHETIC expert assessments.

Identities: the 25 clusters really selected in China's 2021 national
advanced manufacturing cluster competition (read from
miit2021_advanced_manufacturing_clusters.csv next to this file), plus 45
illustrative candidate clusters in other cities and provinces, listed
below. The 45 are plausible industrial clusters, NOT the competition's
real list of entrants.

Values: the competition's real indicator values and expert scores were never
published, so every number written here is generated from a fixed seed
(deterministic: the same output on every run and machine, Python 3 standard
library only). Every record carries the labels data=synthetic and
dataset=national-2021-demo (the competition admits only that dataset). The real
winners are drawn with a somewhat stronger profile than the other
candidates, so the outcome resembles the published one without being a
reconstruction of it. The seed is fixed (see SEED) and the output is
byte-for-byte the same on every run.

Per cluster, for 2019, 2020 and 2021: revenue_cny, rd_investment_cny,
employment, firms, innovation_centres (CNY values in yuan). Per cluster,
seven judges' round-2 assessments (0-100) of advanced_nature, market_impact
and governance; a judge from the cluster's own province is recused (the
score is kept for the record and never counted).

Usage: gen_national_candidates.py OUT.jsonl [--seed N]
Writes one clusters.v1.Cluster per line (proto3 JSON), for
`clusterctl cluster import OUT.jsonl`.
"""
import csv
import json
import math
import os
import random
import re
import sys

# The default seed. Any seed gives valid data; this one was picked among
# the first 150 because, in a field this small, it is one where the
# provincial quotas and the industry-leader rule both visibly change who
# is selected, which is what the demo sets out to show.
SEED = 132
YEARS = (2019, 2020, 2021)

# Industry of each 2021 winner. The published field (kept as the label
# "field") is broad; the demo classifies each cluster into one of fourteen
# narrower industries, so that "industry leaders" (the best cluster of each
# industry is selected first) has something to do. This classification is
# the demo's, not the competition's.
WINNER_INDUSTRY = {
    "Shenzhen next-generation ICT": "Electronics & ICT",
    "Wuxi IoT": "Electronics & ICT",
    "Shenzhen advanced battery materials": "Vehicles & batteries",
    "Shanghai integrated circuits": "Integrated circuits & displays",
    "Guangzhou-Foshan-Huizhou UHD video & smart home appliances": "Home appliances & consumer electronics",
    "Dongguan smart mobile terminals": "Electronics & ICT",
    "Changsha construction machinery": "Construction & mining machinery",
    "Nanjing software & IT services": "Software & IT services",
    "Shenzhen-Guangzhou high-end medical devices": "Biomedicine & medical devices",
    "Nanjing new power (smart grid) equipment": "Power & energy equipment",
    "Ningbo magnetic materials": "Advanced materials",
    "Suzhou nano new materials": "Advanced materials",
    "Shanghai Zhangjiang biomedicine": "Biomedicine & medical devices",
    "Hefei intelligent speech": "Software & IT services",
    "Xuzhou construction machinery": "Construction & mining machinery",
    "Chengdu software & IT services": "Software & IT services",
    "Qingdao smart home appliances": "Home appliances & consumer electronics",
    "Zhuzhou rail transit equipment": "Rail transit equipment",
    "Xi'an aviation": "Aviation & aerospace",
    "Hangzhou digital security": "Electronics & ICT",
    "Foshan-Dongguan pan-home furnishing": "Textiles, furnishing & light industry",
    "Changzhou new carbon materials": "Advanced materials",
    "Wenzhou (Yueqing) electrical equipment": "Power & energy equipment",
    "Qingdao rail transit equipment": "Rail transit equipment",
    "Chengdu-Deyang high-end energy equipment": "Power & energy equipment",
}

# Illustrative candidates: name, cities, province, industry.
CANDIDATES = [
    ("Guangzhou automotive", "Guangzhou", "Guangdong", "Vehicles & batteries"),
    ("Zhuhai integrated circuit design", "Zhuhai", "Guangdong", "Integrated circuits & displays"),
    ("Shantou toys and creative products", "Shantou", "Guangdong", "Textiles, furnishing & light industry"),
    ("Taizhou (Jiangsu) biomedicine", "Taizhou", "Jiangsu", "Biomedicine & medical devices"),
    ("Nantong shipbuilding and marine equipment", "Nantong", "Jiangsu", "Ships & marine equipment"),
    ("Yangzhou automotive parts", "Yangzhou", "Jiangsu", "Vehicles & batteries"),
    ("Shaoxing modern textiles", "Shaoxing", "Zhejiang", "Textiles, furnishing & light industry"),
    ("Ningbo automotive parts", "Ningbo", "Zhejiang", "Vehicles & batteries"),
    ("Jinhua (Yongkang) hardware", "Jinhua", "Zhejiang", "Textiles, furnishing & light industry"),
    ("Shanghai new energy vehicles", "Shanghai", "Shanghai", "Vehicles & batteries"),
    ("Shanghai civil aircraft", "Shanghai", "Shanghai", "Aviation & aerospace"),
    ("Jinan computing and IT services", "Jinan", "Shandong", "Software & IT services"),
    ("Yantai advanced chemical materials", "Yantai", "Shandong", "Advanced materials"),
    ("Weifang power equipment", "Weifang", "Shandong", "Power & energy equipment"),
    ("Changsha-Zhuzhou-Xiangtan energy storage materials", "Changsha;Zhuzhou;Xiangtan", "Hunan", "Vehicles & batteries"),
    ("Chengdu biomedicine", "Chengdu", "Sichuan", "Biomedicine & medical devices"),
    ("Mianyang electronics", "Mianyang", "Sichuan", "Electronics & ICT"),
    ("Hefei new display", "Hefei", "Anhui", "Integrated circuits & displays"),
    ("Wuhu robotics", "Wuhu", "Anhui", "Robotics & machine tools"),
    ("Xi'an semiconductors and photonics", "Xi'an", "Shaanxi", "Integrated circuits & displays"),
    ("Baoji titanium materials", "Baoji", "Shaanxi", "Advanced materials"),
    ("Wuhan optoelectronics", "Wuhan", "Hubei", "Electronics & ICT"),
    ("Wuhan-Xiangyang-Shiyan automotive", "Wuhan;Xiangyang;Shiyan", "Hubei", "Vehicles & batteries"),
    ("Yichang phosphorus chemical materials", "Yichang", "Hubei", "Advanced materials"),
    ("Zhengzhou smart terminals", "Zhengzhou", "Henan", "Electronics & ICT"),
    ("Luoyang bearings and mining equipment", "Luoyang", "Henan", "Construction & mining machinery"),
    ("Beijing artificial intelligence", "Beijing", "Beijing", "Software & IT services"),
    ("Beijing biomedicine", "Beijing", "Beijing", "Biomedicine & medical devices"),
    ("Tianjin information technology innovation", "Tianjin", "Tianjin", "Software & IT services"),
    ("Chongqing smart terminals", "Chongqing", "Chongqing", "Electronics & ICT"),
    ("Chongqing automotive", "Chongqing", "Chongqing", "Vehicles & batteries"),
    ("Ningde lithium-ion batteries", "Ningde", "Fujian", "Vehicles & batteries"),
    ("Xiamen flat-panel display", "Xiamen", "Fujian", "Integrated circuits & displays"),
    ("Quanzhou sportswear and footwear", "Quanzhou", "Fujian", "Textiles, furnishing & light industry"),
    ("Shenyang robotics and machine tools", "Shenyang", "Liaoning", "Robotics & machine tools"),
    ("Dalian shipbuilding", "Dalian", "Liaoning", "Ships & marine equipment"),
    ("Changchun automotive", "Changchun", "Jilin", "Vehicles & batteries"),
    ("Harbin power equipment", "Harbin", "Heilongjiang", "Power & energy equipment"),
    ("Ganzhou rare-earth permanent magnets", "Ganzhou", "Jiangxi", "Advanced materials"),
    ("Nanchang aviation", "Nanchang", "Jiangxi", "Aviation & aerospace"),
    ("Liuzhou automotive", "Liuzhou", "Guangxi", "Vehicles & batteries"),
    ("Guiyang big data", "Guiyang", "Guizhou", "Software & IT services"),
    ("Baotou rare-earth new materials", "Baotou", "Inner Mongolia", "Advanced materials"),
    ("Baoding power and new energy equipment", "Baoding", "Hebei", "Power & energy equipment"),
    ("Kunming biomedicine", "Kunming", "Yunnan", "Biomedicine & medical devices"),
]

# The expert panel: judge id, home province (recused for clusters of it),
# leniency (points added to every score the judge gives).
JUDGES = [
    ("judge-01", "Guangdong", 4.0),
    ("judge-02", "Jiangsu", -3.0),
    ("judge-03", "Beijing", 1.0),
    ("judge-04", "Hubei", -6.0),
    ("judge-05", "Sichuan", 2.5),
    ("judge-06", "Liaoning", 0.0),
    ("judge-07", "Zhejiang", -1.5),
]
CRITERIA = ("advanced_nature", "market_impact", "governance")


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class Rng:
    """random.Random restricted to random(), whose sequence for an integer
    seed is stable across Python 3 versions."""

    def __init__(self, seed):
        self.r = random.Random(seed)

    def uniform(self, a, b):
        return a + (b - a) * self.r.random()

    def normal(self, mu, sigma):
        # Box-Muller on random(), so the output never depends on how a
        # Python version implements gauss().
        u1 = 1.0 - self.r.random()
        u2 = self.r.random()
        return mu + sigma * math.sqrt(-2.0 * math.log(u1)) * math.cos(2 * math.pi * u2)


def clamp(v, lo, hi):
    return max(lo, min(hi, v))


def read_winners(path):
    rows = [l for l in open(path, encoding="utf-8") if not l.startswith("#")]
    out = []
    for r in csv.DictReader(rows):
        out.append({
            "id": "miit21-" + slug(r["name_en"]),
            "name": r["name_en"],
            "name_zh": r["name_zh"],
            "cities": r["cities"].split(";"),
            "province": r["province"],
            "industry": WINNER_INDUSTRY[r["name_en"]],
            "field": r["field"],
            "entry": "miit2021-winner",
        })
    return out


def indicators(rng, strength, missing):
    """Three years of five indicators, driven by a latent strength in 0..1."""
    rev21 = 6.0e10 * math.exp(2.6 * strength + rng.normal(0, 0.30))
    cagr = clamp(0.04 + 0.12 * strength + rng.normal(0, 0.04), -0.05, 0.35)
    rd_share = clamp(0.015 + 0.04 * strength + rng.normal(0, 0.006), 0.005, 0.09)
    productivity = clamp(rng.normal(1.9e6, 0.35e6), 0.9e6, 3.5e6)  # CNY/worker
    firm_size = clamp(rng.normal(3.0e8, 1.0e8), 0.8e8, 8.0e8)       # CNY/firm
    centres21 = max(1, int(round(2 + 22 * strength + rng.normal(0, 3))))
    out = []
    for y in YEARS:
        back = 2021 - y
        # 2020 bent growth down for everyone (a synthetic pandemic dip).
        dip = 0.97 if y == 2020 else 1.0
        rev = rev21 / (1 + cagr) ** back * dip * (1 + rng.normal(0, 0.01))
        vals = {
            "revenue_cny": (round(rev, -6), "CNY"),
            "rd_investment_cny": (round(rev * rd_share * (1 + rng.normal(0, 0.05)), -5), "CNY"),
            "employment": (round(rev / productivity), "persons"),
            "firms": (max(20, round(rev / firm_size)), "firms"),
            "innovation_centres": (max(0, centres21 - (back if strength > 0.3 else 0)), "centres"),
        }
        for name, (v, unit) in vals.items():
            if (name, y) in missing:
                continue
            out.append({"name": name, "year": y, "value": v, "unit": unit})
    return out


def assessments(rng, strength, province):
    """Round-2 scores of every judge; the home-province judge is recused."""
    quality = {c: clamp(strength + rng.normal(0, 0.12), 0, 1) for c in CRITERIA}
    out = []
    for judge, home, leniency in JUDGES:
        recused = home == province
        for c in CRITERIA:
            s = clamp(52 + 40 * quality[c] + leniency + rng.normal(0, 5), 0, 100)
            a = {"judge": judge, "criterion": c, "score": round(s, 1), "round": "2",
                 "comment": "synthetic score"}
            if recused:
                a["recused"] = True
                a["comment"] = "synthetic score; recused: judge from the same province"
            out.append(a)
    return out


def main(argv):
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--seed"):
        sys.exit("usage: gen_national_candidates.py OUT.jsonl [--seed N]")
    out_path = argv[1]
    seed = int(argv[3]) if len(argv) == 4 else SEED
    here = os.path.dirname(os.path.abspath(__file__))
    winners = read_winners(os.path.join(here, "miit2021_advanced_manufacturing_clusters.csv"))
    others = [{
        "id": "cand-" + slug(name), "name": name, "name_zh": "",
        "cities": cities.split(";"), "province": prov, "industry": ind,
        "field": "", "entry": "candidate",
    } for name, cities, prov, ind in CANDIDATES]
    clusters = winners + others
    ids = [c["id"] for c in clusters]
    assert len(set(ids)) == len(ids), "duplicate cluster id"

    rng = Rng(seed)
    # A few candidates with data the rules must deal with: one that did not
    # report its 2021 innovation centres (no score -> excluded with the
    # reason), and the latent strength of three forced low enough that their
    # 2021 revenue falls under the eligibility threshold.
    missing = {"cand-guiyang-big-data": {("innovation_centres", 2021)}}
    weak = {"cand-baoji-titanium-materials", "cand-shantou-toys-and-creative-products",
            "cand-kunming-biomedicine"}
    with open(out_path, "w", encoding="utf-8") as f:
        for c in clusters:
            if c["id"] in weak:
                strength = rng.uniform(0.0, 0.05)
            elif c["entry"] == "miit2021-winner":
                strength = clamp(rng.normal(0.66, 0.14), 0.2, 1.0)
            else:
                strength = clamp(rng.normal(0.46, 0.18), 0.1, 1.0)
            rec = {
                "id": c["id"], "name": c["name"], "economy": "CN",
                "region": c["province"], "cities": c["cities"],
                "industry": c["industry"],
                "indicators": indicators(rng, strength, missing.get(c["id"], set())),
                "assessments": assessments(rng, strength, c["province"]),
                "labels": {"data": "synthetic", "dataset": "national-2021-demo",
                           "entry": c["entry"]},
            }
            if c["name_zh"]:
                rec["labels"]["name_zh"] = c["name_zh"]
            if c["field"]:
                rec["labels"]["field"] = c["field"]
            f.write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")
    print("wrote %d clusters (%d real 2021 winners, %d illustrative candidates) "
          "with SYNTHETIC values, seed %d, to %s"
          % (len(clusters), len(winners), len(others), seed, out_path))


if __name__ == "__main__":
    main(sys.argv)
