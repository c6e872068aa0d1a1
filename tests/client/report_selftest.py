#!/usr/bin/python3
"""The report's browser checks must fail when the report is wrong: each
bad variant of the fixture is written to a temporary directory and run
through one harness, which must exit 1 with the expected failure.

  report_selftest.py browser|chromium FIXTURE.html EXPECT.json
                     [--node NODE] [--python PYTHON]

Variants: an external image, stylesheet and CSS url() (requests), an image
next to the file (a file: load), a script writing to the console, a ranking
with a bar too few, a chart without its <title>, and a PDF page range the
fixture does not meet. Ends with 'N passed, N failed'.
"""
import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BAR10 = re.compile(r'\s*<g class="bar" data-cluster="liuzhou-auto".*?</g>', re.S)
RANK_TITLE = '<title id="ranking-t">Ranking of round final</title>'


def sub(html, old, new):
    """old replaced by new, once: the variant must differ from the fixture."""
    if html.count(old) != 1:
        raise SystemExit(f"report_selftest: the fixture changed: {old!r}")
    return html.replace(old, new)


def drop_bar(html):
    out, n = BAR10.subn("", html)
    if n != 1:
        raise SystemExit("report_selftest: the fixture changed: bar 10")
    return out


EXT = "https://example.invalid"
# name, how to make it, extra arguments, expected failure per harness
VARIANTS = [
    ("external image",
     lambda h: sub(h, "<dl class=\"facts\">",
                   f'<img src="{EXT}/logo.png" alt=""><dl class="facts">'),
     [], {"browser": f"request: image {EXT}/logo.png",
          "chromium": f"the page requested {EXT}/logo.png"}),
    ("external stylesheet",
     lambda h: sub(h, "<style>",
                   f'<link rel="stylesheet" href="{EXT}/report.css"><style>'),
     [], {"browser": f"request: stylesheet {EXT}/report.css",
          "chromium": f"the page requested {EXT}/report.css"}),
    ("CSS url() outside",
     lambda h: sub(h, "color: #1d232a; margin: 24px;",
                   f"color: #1d232a; margin: 24px; background: "
                   f"url({EXT}/paper.png);"),
     [], {"browser": f"request: image {EXT}/paper.png",
          "chromium": f"the page requested {EXT}/paper.png"}),
    ("image next to the file",
     lambda h: sub(h, "<dl class=\"facts\">",
                   '<img src="logo.png" alt=""><dl class="facts">'),
     [], {"browser": "request: image file://",
          "chromium": 'self-contained: src="logo.png" on <img>'}),
    ("console error",
     lambda h: sub(h, "</body>", "<script>console.error("
                   "'injected error')</script></body>"),
     [], {"browser": "console: error: injected error",
          "chromium": 'console: dump-dom: "injected error"'}),
    ("a bar too few", drop_bar, [],
     {"*": "count: figure.chart[data-chart=ranking] g.bar: 9, want 10"}),
    ("chart without <title>", lambda h: sub(h, RANK_TITLE, ""), [],
     {"*": 'svg-labelled: svg[role=img] #2: child 1 is <desc>, '
           'not <title id="ranking-t">'}),
    ("PDF pages out of range", lambda h: h, ["--pdf-pages", "40,50"],
     {"*": "pdf: "}),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("harness", choices=["browser", "chromium"])
    ap.add_argument("fixture")
    ap.add_argument("expect")
    ap.add_argument("--node", default="node")
    ap.add_argument("--python", default=sys.executable)
    a = ap.parse_args()
    cmd = ([a.node, str(HERE / "report_browser.mjs")]
           if a.harness == "browser"
           else [a.python, str(HERE / "report_chromium.py")])
    fixture = Path(a.fixture).read_text()
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="report-selftest-") as tmp:
        for i, (name, make, extra, want) in enumerate(VARIANTS):
            want = want.get(a.harness, want.get("*"))
            page = Path(tmp, f"variant-{i + 1}.html")
            page.write_text(make(fixture))
            t0 = time.monotonic()
            p = subprocess.run([*cmd, str(page), a.expect, *extra],
                               capture_output=True, text=True, timeout=300)
            took = time.monotonic() - t0
            try:
                fails = json.loads(p.stdout)["failures"]
            except (ValueError, KeyError):
                fails = [f"(no summary; stderr: {p.stderr.strip()[-300:]})"]
            hit = p.returncode == 1 and any(want in f for f in fails)
            passed, failed = passed + hit, failed + (not hit)
            print(f"{'ok  ' if hit else 'FAIL'} {name} ({took:.1f}s): "
                  f"exit {p.returncode}, want '{want}'")
            if not hit:
                print("     failures: " + json.dumps(fails, indent=1))
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
