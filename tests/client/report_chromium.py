#!/usr/bin/python3
"""An HTML run report checked with the chromium command line alone (no
puppeteer): the DOM as the browser built it (--dump-dom) against an
expectations file and the contract's rules (report_dom.py,
report_rules.py), a screenshot (--screenshot), the printed page count
(--print-to-pdf, counted by pdfinfo), the console and the network.

  report_chromium.py REPORT.html EXPECT.json [--shots DIR]
                     [--pdf-pages MIN,MAX]

Prints a JSON summary; exit status 0 only when every check passed.

What it can and cannot prove about the network: each chromium run writes
a net log (--log-net-log), which records every request of the network
stack (http, https, ws) with the page's network isolation key, and every
name resolution and TCP connection. A page request there, or any
resolution (other than the fence's ~NOTFOUND) or connection at all,
fails. Loads of file: URLs do not go through that
stack and are not in the log; the self-contained rule catches references
to them in the DOM, and report_browser.mjs's request interception, which
sees every load, is the authority.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_dom  # noqa: E402
import report_rules  # noqa: E402

CHROMIUM = os.environ.get("CLUSTERD_CHROMIUM", "/usr/bin/chromium")
WIDTH, HEIGHT = 1100, 3000
FLAGS = [
    "--headless", "--disable-gpu", "--hide-scrollbars",
    "--force-color-profile=srgb", "--no-first-run", "--disable-sync",
    "--disable-extensions", "--disable-background-networking",
    "--disable-component-update", "--disable-default-apps",
    # a container's /dev/shm can be too small for the renderer; /tmp serves
    "--disable-dev-shm-usage",
    # Every host name and address resolves to nothing: the browser's own
    # background requests (which the flags above do not all stop) and any
    # fetch of the page never leave the machine; the net log still shows
    # that they were tried.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--enable-logging=stderr", "--v=0",
    f"--window-size={WIDTH},{HEIGHT}",
]
if os.geteuid() == 0:
    FLAGS.append("--no-sandbox")  # chromium's sandbox refuses to run as root
CONSOLE = re.compile(r":CONSOLE[:(]\d*\)?\]\s*(.*)")


def run_chromium(tmp, tag, mode, url, fails):
    """One chromium run; its console lines and network use become
    failures. Returns its standard output."""
    net = Path(tmp, f"net-{tag}.json")
    cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp}/profile-{tag}",
           f"--log-net-log={net}", *mode, url]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        fails.append(f"chromium: {tag} exited {p.returncode}: "
                     + p.stderr.strip()[-400:])
    for line in p.stderr.splitlines():
        m = CONSOLE.search(line)
        if m:  # the log has no levels: every console message fails
            fails.append(f"console: {tag}: {m.group(1)}")
    fails.extend(f"network: {tag}: {x}" for x in net_use(net))
    return p.stdout


def net_use(path):
    try:
        log = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        return [f"net log unreadable ({e})"]
    names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    out = []
    for ev in log.get("events", []):
        kind, p = names.get(ev["type"]), ev.get("params") or {}
        key = str(p.get("network_isolation_key", "")) + \
            str(p.get("site_for_cookies", ""))
        if kind == "URL_REQUEST_START_JOB" and "file://" in key:
            out.append(f"the page requested {p.get('url')}")
        elif kind == "DNS_TRANSACTION":
            out.append(f"DNS query for {p.get('hostname')}")
        elif kind == "HOST_RESOLVER_MANAGER_JOB" and \
                "~notfound" not in str(p.get("host")):
            out.append(f"name resolution of {p.get('host')}")
        elif kind == "TCP_CONNECT_ATTEMPT":
            out.append(f"TCP connection to {p.get('address')}")
    return sorted(set(out))


def check_png(path):
    """A real PNG of the window's size, not one colour."""
    data = path.read_bytes() if path.exists() else b""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return [f"screenshot: {path} is not a PNG"]
    w, h = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    out = [] if (w, h) == (WIDTH, HEIGHT) else \
        [f"screenshot: {w}x{h}, not {WIDTH}x{HEIGHT}"]
    idat, i = b"", 8
    while i < len(data):
        n = int.from_bytes(data[i:i + 4], "big")
        if data[i + 4:i + 8] == b"IDAT":
            idat += data[i + 8:i + 8 + n]
        i += 12 + n
    try:
        raw = zlib.decompress(idat)
    except zlib.error as e:
        return out + [f"screenshot: {path}: broken image data ({e})"]
    stride = len(raw) // h if h else 1
    rows = {raw[r * stride:(r + 1) * stride] for r in range(h)}
    if len(rows) < 20:
        out.append(f"screenshot: only {len(rows)} distinct rows: blank page?")
    return out


def pdf_pages(path):
    if not shutil.which("pdfinfo"):
        raise RuntimeError("pdfinfo not found (poppler-utils: "
                           "deploy/install-deps.sh installs it)")
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True,
                          text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("report")
    ap.add_argument("expect")
    ap.add_argument("--shots", help="directory for the screenshot and PDF")
    ap.add_argument("--pdf-pages", help="MIN,MAX printed A4 pages")
    a = ap.parse_args()
    t0 = time.monotonic()
    if not os.access(CHROMIUM, os.X_OK):
        print(f"report_chromium: {CHROMIUM} not found: deploy/install-deps.sh "
              "installs chromium", file=sys.stderr)
        return 1
    exp = json.loads(Path(a.expect).read_text())
    url = Path(a.report).resolve().as_uri()
    fails, summary = [], {"report": a.report, "harness": "chromium"}
    with tempfile.TemporaryDirectory(prefix="report-chromium-") as tmp:
        dom = run_chromium(tmp, "dump-dom", ["--dump-dom"], url, fails)
        root = report_dom.parse(dom)
        try:
            fails += report_dom.check_expectations(root, exp)
        except ValueError as e:
            fails.append(f"expectations: {e}")
        fails += report_rules.check_rules(root)
        out = Path(a.shots) if a.shots else Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        if a.shots:
            png = out / "report-window.png"
            run_chromium(tmp, "screenshot", [f"--screenshot={png}"], url, fails)
            fails += check_png(png)
            summary["shots"] = [str(png)]
        if a.pdf_pages:
            lo, hi = (int(x) for x in a.pdf_pages.split(","))
            pdf = out / "report.pdf"
            run_chromium(tmp, "pdf", [f"--print-to-pdf={pdf}",
                                      "--no-pdf-header-footer"], url, fails)
            try:
                n = pdf_pages(pdf)
                summary["pdf_pages"] = n
                if not lo <= n <= hi:
                    fails.append(f"pdf: {n} pages, want {lo}..{hi}")
            except (RuntimeError, subprocess.CalledProcessError) as e:
                fails.append(f"pdf: {e}")
    summary.update(ok=not fails, failures=fails,
                   seconds=round(time.monotonic() - t0, 1))
    print(json.dumps(summary, indent=1))
    return 0 if not fails else 1


if __name__ == "__main__":
    sys.exit(main())
