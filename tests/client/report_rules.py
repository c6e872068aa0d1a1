"""The rules of the report's HTML contract that counts cannot say, on the
tree of report_dom.py. report_rules.mjs is the same in the browser: the
same rules, in the same order, with the same messages.
"""
import re

from report_dom import select

SECTION_ORDER = ["header", "funnel", "ranking", "uncertainty", "change",
                 "summary", "decisions", "coherence"]
KINDS = {"funnel", "ranking", "uncertainty", "change", "counts",
         "indicators", "scores", "assessments"}
# Elements that load or run something: none belongs in the report.
LOADERS = {"script", "link", "iframe", "frame", "object", "embed", "base",
           "img", "audio", "video", "source", "track", "image"}
# An attribute value that names a place outside the file. xmlns and
# xmlns:* are namespace names, never fetched, so they are let through.
OUTSIDE = re.compile(r"^\s*(?:(?:https?|ftp|file|data|javascript|blob|wss?):"
                     r"|//)", re.I)
URL_ATTRS = {"src", "href", "xlink:href", "srcset", "poster", "action",
             "formaction", "data", "background", "ping", "manifest"}
CSS_URL = re.compile(r"url\(\s*(['\"]?)\s*([^'\")\s]*)", re.I)


def _css_fails(css, where):
    out = []
    if re.search(r"@import", css, re.I):
        out.append(f"self-contained: @import in {where}")
    for _q, target in CSS_URL.findall(css):
        if not target.startswith("#"):
            out.append(f"self-contained: url({target}) in {where}")
    return out


def self_contained(root):
    out = []
    for n in root.elements():
        if n.tag in LOADERS or (n.tag == "meta" and "http-equiv" in n.attrs):
            out.append(f"self-contained: <{n.tag}> element")
        for name, val in n.attrs.items():
            if name == "xmlns" or name.startswith("xmlns:"):
                continue
            if name.startswith("on"):
                out.append(f"self-contained: {name}= handler on <{n.tag}>")
            elif name in URL_ATTRS and val and not val.startswith("#"):
                out.append(f"self-contained: {name}=\"{val}\" on <{n.tag}>")
            elif OUTSIDE.match(val) and name not in URL_ATTRS:
                out.append(f"self-contained: {name}=\"{val}\" on <{n.tag}>")
            elif name == "style":
                out.extend(_css_fails(val, f"style of <{n.tag}>"))
        if n.tag == "style":
            out.extend(_css_fails(n.text_all(), "<style>"))
    return out


def sections(root):
    out, seen = [], []
    for i, s in enumerate(select(root, "section")):
        sid = s.attrs.get("id", "")
        name = f"section #{i + 1} ({sid or 'no id'})"
        if not s.children or s.children[0].tag != "h2":
            out.append(f"sections: {name} does not start with <h2>")
        if "cluster" in s.classes():
            if not sid.startswith("cluster-"):
                out.append(f"sections: {name}: a cluster section's id is "
                           "cluster-ID")
            seen.append(len(SECTION_ORDER))
        elif sid in SECTION_ORDER:
            seen.append(SECTION_ORDER.index(sid))
        else:
            out.append(f"sections: {name}: unknown section")
    if seen != sorted(seen):
        out.append("sections: not in the contract's order "
                   + " ".join(SECTION_ORDER) + " cluster-*")
    return out


def svg_labelled(root):
    out = []
    for i, svg in enumerate(select(root, "svg[role=img]")):
        name = f"svg[role=img] #{i + 1}"
        ids = svg.attrs.get("aria-labelledby", "").split()
        kids = svg.children
        if len(ids) != 2:
            out.append(f"svg-labelled: {name}: aria-labelledby names "
                       f"{len(ids)} ids, not 2 (title, desc)")
            continue
        for pos, (tag, want) in enumerate([("title", ids[0]),
                                           ("desc", ids[1])]):
            k = kids[pos] if len(kids) > pos else None
            if k is None or k.tag != tag or k.attrs.get("id") != want:
                got = f"<{k.tag}>" if k is not None else "nothing"
                out.append(f"svg-labelled: {name}: child {pos + 1} is {got}, "
                           f"not <{tag} id=\"{want}\">")
            elif not k.text_all().strip():
                out.append(f"svg-labelled: {name}: <{tag}> is empty")
    return out


def _next_element(n):
    sibs = n.parent.children
    i = sibs.index(n)
    return sibs[i + 1] if i + 1 < len(sibs) else None


def chart_table(root):
    out = []
    for i, f in enumerate(select(root, "figure.chart")):
        kind = f.attrs.get("data-chart", "")
        name = f"figure.chart #{i + 1} ({kind or 'no data-chart'})"
        if kind not in KINDS:
            out.append(f"chart-table: {name}: unknown data-chart")
        tags = [c.tag for c in f.children]
        svgs = [c for c in f.children
                if c.tag == "svg" and c.attrs.get("role") == "img"]
        if len(svgs) != 1 or "figcaption" not in tags or \
                tags.index("figcaption") < tags.index("svg"):
            out.append(f"chart-table: {name}: not one svg[role=img] "
                       "followed by a <figcaption>")
        nxt = _next_element(f)
        tables = select(root, "table.data", f)
        if nxt is not None and nxt.tag == "table" and "data" in nxt.classes():
            tables.append(nxt)
        if not any(select(root, "td", t) for t in tables):
            out.append(f"chart-table: {name}: no table.data with numbers "
                       "beside it")
    return out


def charts(root):
    out = []
    for i, f in enumerate(select(root, "figure.chart[data-chart=ranking]")):
        name = f"ranking chart #{i + 1}"
        bars = select(root, "g.bar", f)
        ranks = sorted(int(r) if r.isdigit() else 0
                       for r in (b.attrs.get("data-rank", "") for b in bars))
        if ranks != list(range(1, len(bars) + 1)):
            out.append(f"charts: {name}: data-rank is not 1..{len(bars)}")
        sel = [b.attrs.get("data-selected") for b in bars]
        if any(s not in ("0", "1") for s in sel):
            out.append(f"charts: {name}: data-selected not 0 or 1")
        crits = set()
        for b in bars:
            segs = select(root, "rect.seg[data-criterion]", b)
            if not segs:
                out.append(f"charts: {name}: bar "
                           f"{b.attrs.get('data-cluster', '?')} has no "
                           "rect.seg[data-criterion]")
            crits.update(s.attrs["data-criterion"] for s in segs)
        cut = len(select(root, "line.cutoff", f))
        # Under the last selected bar, when an unselected one follows it
        # (a chart whose last bar is selected has its cut-off below it).
        want = 1 if ("1" in sel and sel[-1] == "0") else 0
        if cut != want:
            out.append(f"charts: {name}: {cut} line.cutoff, want {want}")
        items = select(root, "g.legend g.legend-item", f)
        if len(select(root, "g.legend", f)) != 1 or len(items) != len(crits):
            out.append(f"charts: {name}: legend has {len(items)} items for "
                       f"{len(crits)} criteria")
    for i, f in enumerate(select(root, "figure.chart[data-chart=funnel]")):
        n = len(select(root, "g.stage", f))
        if n == 0 or n % 4:
            out.append(f"charts: funnel chart #{i + 1}: {n} g.stage, not 4 "
                       "per round")
    return out


def unique_ids(root):
    seen, out = set(), []
    for n in root.elements():
        i = n.attrs.get("id")
        if i is not None and i in seen:
            out.append(f"unique-ids: id \"{i}\" used twice")
        seen.add(i)
    return out


RULES = [self_contained, sections, svg_labelled, chart_table, charts,
         unique_ids]


def check_rules(root):
    out = []
    for rule in RULES:
        out.extend(rule(root))
    return out
