"""The checks of an HTML run report on a DOM dumped by the browser, in the
standard library alone: a tree from html.parser, the small selector subset
that the expectations files may use, and the contract's rules.

report_rules.mjs holds the same rules for the DOM in the browser; keep the
two in step (report_selftest.py runs both on the same bad variants).
"""
import re
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "param", "source", "track", "wbr"}

# The selector subset both harnesses accept: type, #id, .class, [attr] and
# [attr=value] compounds joined by descendant or child combinators, and
# comma lists. report_browser.mjs refuses anything else, so that an
# expectations file means the same to querySelectorAll and to this file.
COMPOUND = re.compile(
    r"(?:[A-Za-z][\w-]*|\*)?(?:#[\w-]+|\.[\w-]+|"
    r"\[[A-Za-z][\w:-]*(?:=(?:\"[^\"]*\"|'[^']*'|[\w-]+))?\])*")
PART = re.compile(r"#([\w-]+)|\.([\w-]+)|\[([\w:-]+)(=(?:\"([^\"]*)\"|"
                  r"'([^']*)'|([\w-]+)))?\]")


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children, self.text = [], ""

    def elements(self):
        for c in self.children:
            yield c
            yield from c.elements()

    def classes(self):
        return self.attrs.get("class", "").split()

    def text_all(self):
        return self.text + "".join(c.text_all() for c in self.children)


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs}, self.cur)
        self.cur.children.append(node)
        if tag not in VOID:
            self.cur = node

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(
            Node(tag, {k: v or "" for k, v in attrs}, self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not self.root and n.tag != tag:
            n = n.parent
        if n is not self.root:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.text += data


def parse(html):
    b = _Builder()
    b.feed(html)
    b.close()
    return b.root


def _compile(selector):
    """A selector as a list of alternatives, each a list of (combinator,
    compound) from left to right; ValueError outside the subset."""
    alts = []
    for alt in selector.split(","):
        toks = re.findall(r">|[^\s>]+", alt)
        steps, comb = [], " "
        for t in toks:
            if t == ">":
                comb = ">"
                continue
            if not COMPOUND.fullmatch(t) or not t:
                raise ValueError(f"selector outside the subset: {selector!r}")
            tag = re.match(r"[A-Za-z][\w-]*|\*", t)
            parts = PART.findall(t[tag.end():] if tag else t)
            steps.append((comb, (tag.group(0).lower() if tag else "*", parts)))
            comb = " "
        if not steps or toks[0] == ">" or toks[-1] == ">":
            raise ValueError(f"selector outside the subset: {selector!r}")
        alts.append(steps)
    return alts


def _match1(node, compound):
    tag, parts = compound
    if tag != "*" and node.tag != tag:
        return False
    for pid, pcls, attr, eq, v1, v2, v3 in parts:
        if pid and node.attrs.get("id") != pid:
            return False
        if pcls and pcls not in node.classes():
            return False
        if attr:
            # html.parser lowercases attribute names (viewBox -> viewbox)
            val = node.attrs.get(attr.lower())
            if val is None or (eq and val != (v1 or v2 or v3)):
                return False
    return True


def _matches(node, steps):
    comb, compound = steps[-1]
    if not _match1(node, compound):
        return False
    if len(steps) == 1:
        return True
    up = node.parent
    while up is not None and up.tag != "#document":
        if _matches(up, steps[:-1]):
            return True
        if comb == ">":
            return False
        up = up.parent
    return False


def select(root, selector, scope=None):
    alts = _compile(selector)
    base = scope or root
    return [n for n in base.elements() if any(_matches(n, s) for s in alts)]


def check_expectations(root, exp):
    """Counts and required attributes: a list of failure strings."""
    fails = []
    for sel, want in exp.get("counts", {}).items():
        n = len(select(root, sel))
        lo, hi = (want, want) if isinstance(want, int) else want
        if n < lo or (hi is not None and n > hi):
            fails.append(f"count: {sel}: {n}, want "
                         f"{want if isinstance(want, int) else f'{lo}..{hi}'}")
    for sel, names in exp.get("attributes", {}).items():
        nodes = select(root, sel)
        if not nodes:
            fails.append(f"attributes: {sel}: matches nothing")
        for i, n in enumerate(nodes):
            miss = [a for a in names if a.lower() not in n.attrs]
            if miss:
                fails.append(f"attributes: {sel} #{i + 1}: missing "
                             + ", ".join(miss))
    return fails
