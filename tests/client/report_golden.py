#!/usr/bin/python3
"""Golden-structure test of a run report: the structure of the page and
of every SVG chart (sections, figures, element counts, classes and the key
data attributes of bars, rows and legend items), not its pixels, compared
with a file kept in the tree, so a layout change is a deliberate update.

Usage: report_golden.py REPORT.html GOLDEN.json [--update]
  --update   write the structure found into GOLDEN.json instead
"""
import difflib
import json
import sys
from html.parser import HTMLParser

# Groups whose data attributes identify what a chart draws.
KEYED = {"bar", "stage", "legend-item", "row", "move", "count", "spark",
         "criterion", "assessment"}
DATA = ("data-cluster", "data-rank", "data-selected", "data-round", "data-stage",
        "data-count", "data-criterion", "data-base-rank", "data-group",
        "data-indicator", "data-points", "data-judge")
# html.parser gives attribute names in lower case.
SVG_ATTRS = ("viewbox", "width", "height", "role")


class Structure(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sections = []
        self.figures = []
        self.fig = None
        self.section = None
        self.group = None     # the keyed <g> being read
        self.depth = 0        # of <g> inside the keyed one
        self.text_of = None   # "title" / "desc" being read
        self.tables = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if tag == "section":
            self.section = a.get("id")
            self.sections.append(self.section)
        elif tag == "table" and "data" in cls:
            self.tables[self.section] = self.tables.get(self.section, 0) + 1
        elif tag == "figure" and "chart" in cls:
            self.fig = {"chart": a.get("data-chart"),
                        "section": self.section, "svg": {},
                        "title": "", "desc": "", "elements": {},
                        "classes": {}, "keys": []}
        if self.fig is None:
            return
        if tag == "svg":
            self.fig["svg"] = {k: a.get(k) for k in SVG_ATTRS}
            self.fig["svg"]["labelled"] = bool(a.get("aria-labelledby"))
        if tag in ("title", "desc"):
            self.text_of = tag
        el = self.fig["elements"]
        el[tag] = el.get(tag, 0) + 1
        for c in cls:
            k = "%s.%s" % (tag, c)
            self.fig["classes"][k] = self.fig["classes"].get(k, 0) + 1
        if tag == "g":
            if self.group is not None:
                self.depth += 1
            elif set(cls) & KEYED:
                key = [" ".join(cls)] + ["%s=%s" % (d, a[d]) for d in DATA
                                         if d in a]
                self.group = {"key": " ".join(key), "parts": 0}
                self.depth = 0
        elif self.group is not None and tag in ("rect", "circle", "line",
                                                "polyline"):
            self.group["parts"] += 1

    def handle_endtag(self, tag):
        if tag in ("title", "desc"):
            self.text_of = None
        if tag == "g" and self.group is not None:
            if self.depth:
                self.depth -= 1
            else:
                self.fig["keys"].append("%s parts=%d" % (
                    self.group["key"], self.group["parts"]))
                self.group = None
        if tag == "figure" and self.fig is not None:
            # Only whether the accessible texts are there: their words
            # may change without a layout change.
            self.fig["title"] = bool(self.fig["title"].strip())
            self.fig["desc"] = bool(self.fig["desc"].strip())
            self.figures.append(self.fig)
            self.fig = None

    def handle_data(self, data):
        if self.fig is not None and self.text_of:
            self.fig[self.text_of] += data


def structure(path):
    p = Structure()
    p.feed(open(path, encoding="utf-8").read())
    p.close()
    return {"sections": p.sections, "tables": p.tables,
            "figures": p.figures}


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    got = structure(sys.argv[1])
    text = json.dumps(got, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if "--update" in sys.argv[3:]:
        open(sys.argv[2], "w", encoding="utf-8").write(text)
        print("report_golden: wrote %s (%d figures)" % (sys.argv[2],
                                                       len(got["figures"])))
        return 0
    want = open(sys.argv[2], encoding="utf-8").read()
    if want == text:
        print("report_golden: %s matches %s (%d sections, %d figures)" % (
            sys.argv[1], sys.argv[2], len(got["sections"]),
            len(got["figures"])))
        return 0
    diff = difflib.unified_diff(want.splitlines(), text.splitlines(),
                                "golden", "report", lineterm="", n=2)
    print("\n".join(list(diff)[:200]))
    print("report_golden: %s differs from %s; if the change is meant, "
          "update it with --update" % (sys.argv[1], sys.argv[2]),
          file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
