#!/usr/bin/python3
"""The pandas baseline of the competition benchmark: the same ranking as
the benchmark competition (tests/bench/bench_competition.sh), computed from
a CSV export of the registry (`clusterctl cluster export --csv`):
each criterion's indicator min-max normalised to 0-100 over all clusters,
a weighted sum with the weights scaled to sum 1, ordered by score
descending then cluster id ascending, top N.

Usage: bench_pandas_rank.py EXPORT.csv TOPFILE TOP indicator@year:weight...
Writes "rank,cluster_id,score" (%.17g) for the top N to TOPFILE and prints
the seconds spent importing pandas, reading the CSV and ranking.
"""
import sys
import time

t0 = time.monotonic()
import pandas as pd  # noqa: E402  (timed: part of the pandas pipeline)

t_import = time.monotonic() - t0


def main(argv):
    if len(argv) < 5:
        sys.exit(__doc__)
    path, topfile, top = argv[1], argv[2], int(argv[3])
    crit = []
    for a in argv[4:]:
        col, w = a.rsplit(":", 1)
        crit.append((col, float(w)))
    t1 = time.monotonic()
    df = pd.read_csv(path, comment="#", usecols=["id"] + [c for c, _ in crit])
    t_read = time.monotonic() - t1
    t2 = time.monotonic()
    total_w = sum(w for _, w in crit)
    score = None
    for col, w in crit:
        x = df[col]
        lo, hi = x.min(), x.max()
        v = 100 * (x - lo) / (hi - lo) if hi > lo else 100 + 0 * x
        term = (w / total_w) * v
        score = term if score is None else score + term
    ranked = pd.DataFrame({"id": df["id"], "score": score})
    # The top N without sorting everything: nlargest keeps every tie at the
    # boundary, then only those few are ordered by score and id.
    ranked = ranked.nlargest(top, "score", keep="all")
    ranked = ranked.sort_values(["score", "id"], ascending=[False, True],
                                kind="mergesort").head(top)
    t_rank = time.monotonic() - t2
    with open(topfile, "w") as f:
        for r, (cid, s) in enumerate(zip(ranked["id"], ranked["score"]), 1):
            f.write("%d,%s,%.17g\n" % (r, cid, s))
    print("pandas: import %.3f s, read_csv %.3f s (%d rows), rank %.3f s"
          % (t_import, t_read, len(df), t_rank))


if __name__ == "__main__":
    main(sys.argv)
