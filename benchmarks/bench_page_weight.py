"""Weight and speed of the built site's pages in headless Chromium, served locally.

For each page: the bytes it transfers (every response, gzipped at level 6 as
a web server would send text; fonts and images as they are), requests to
other hosts (must be zero) and first contentful paint.  Then the live SPICE
explorer (:mod:`ntlib.live_explorer`, on a page of its own beside the site, as
``tests/test_browser_spice.py`` builds it): the page's weight once the engine
and models have loaded, the first live result of a 1 ms transient (engine
start, models, run) and a repeated run.

Targets: an explorer page <= 8 MB, any other page <= 1.5 MB, first paint
<= 1 s without an explorer, first live result <= 6 s, repeated <= 4 s.

    make book   # or a build with execute_notebooks: "off"
    .venv/bin/python benchmarks/bench_page_weight.py [--site _build/html]
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import re
import shutil
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
BINARY = (".woff", ".woff2", ".png", ".jpg", ".jpeg", ".gif", ".ico", ".wasm")
TARGETS = {"explorer_page_bytes": 8e6, "other_page_bytes": 1.5e6,
           "first_paint_s": 1.0, "first_live_s": 6.0, "repeated_live_s": 4.0}


@functools.cache
def sent_bytes(path: Path) -> int:
    """Bytes a server sends for ``path``: gzipped text, other files as they are."""
    data = path.read_bytes()
    if path.suffix.lower() in BINARY:
        return len(data)
    return len(gzip.compress(data, compresslevel=6))


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def measure(browser, origin: str, folder: Path, page_path: str, live: bool = False):
    """One page's transferred bytes, requests elsewhere, first paint (and runs)."""
    context = browser.new_context()
    outside: list[str] = []
    local = re.escape(origin + "/")
    context.route(re.compile(rf"^(?!{local}|data:|blob:|about:)"),
                  lambda route: (outside.append(route.request.url), route.abort()))
    fetched: set[Path] = set()

    def note(response) -> None:
        parts = urlsplit(response.url)
        if response.url.startswith(origin) and response.status < 400:
            path = folder / unquote(parts.path).lstrip("/")
            fetched.add(path / "index.html" if path.is_dir() else path)

    context.on("response", note)
    page = context.new_page()
    row = {"page": page_path}
    try:
        page.goto(f"{origin}/{page_path}", wait_until="load")
        page.evaluate("() => window.MathJax && MathJax.startup ? "
                      "MathJax.startup.promise : null")
        page.wait_for_timeout(300)
        row["first_paint_s"] = page.evaluate(
            "() => (performance.getEntriesByName('first-contentful-paint')[0]"
            " || {startTime: NaN}).startTime / 1000")
        row["explorers"] = page.evaluate(
            "() => document.querySelectorAll('.nt-explorer, .nt-live-explorer').length")
        if live:
            for name in ("first_live_s", "repeated_live_s"):
                begin = time.perf_counter()
                page.evaluate("() => { document.querySelector('.nt-live-explorer')"
                              ".dataset.state = 'idle'; }")
                page.click(".nt-live-run")
                page.wait_for_function(
                    "() => ['done', 'error'].includes(document.querySelector("
                    "'.nt-live-explorer').dataset.state)", timeout=180_000)
                row[name] = time.perf_counter() - begin
                row[name.replace("_s", "_ngspice_s")] = page.evaluate(
                    "() => (document.querySelector('.nt-live-explorer').ntLiveResult"
                    " || {}).run_seconds")
            row["live_status"] = page.inner_text(".nt-live-status")
    finally:
        context.close()
    row["bytes"] = sum(sent_bytes(p) for p in fetched if p.is_file())
    row["requests"] = len(fetched)
    row["outside_requests"] = outside
    return row


def live_page(site: Path, folder: Path) -> str:
    """A page with the live explorer (1 ms transients) next to the site's assets."""
    from ntlib.live_explorer import live_explorer

    shutil.copytree(site / "_static", folder / "_static")
    bundle = live_explorer(durations_s=(1e-3,))
    (folder / "live.html").write_text(
        '<!doctype html><html data-content_root="./"><head><meta charset="utf-8">'
        f"<title>live</title></head><body><main>{bundle['text/html']}</main>"
        "</body></html>")
    return "live.html"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    site = args.site.resolve()
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                   if not p.relative_to(site).parts[0].startswith("_")
                   and "Refresh" not in p.read_text()[:2000])
    rows = []
    with sync_playwright() as p, tempfile.TemporaryDirectory() as scratch:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--headless", "--no-sandbox"])
        server, origin = serve(site)
        try:
            rows = [measure(browser, origin, site, page) for page in pages]
        finally:
            server.shutdown()
        folder = Path(scratch)
        name = live_page(site, folder)
        server, origin = serve(folder)
        try:
            rows.append(measure(browser, origin, folder, name, live=True))
        finally:
            server.shutdown()
            browser.close()
    failed = []
    print(f"{'page':48} {'kB sent':>8} {'req':>4} {'paint s':>8}  other hosts")
    for row in rows:
        print(f"{row['page']:48} {row['bytes'] / 1e3:8.0f} {row['requests']:4d} "
              f"{row['first_paint_s']:8.2f}  {len(row['outside_requests'])}")
        kind = "explorer_page_bytes" if row["explorers"] else "other_page_bytes"
        limit = TARGETS[kind]
        if row["bytes"] > limit:
            failed.append(
                f"{row['page']}: {row['bytes'] / 1e6:.2f} MB > {limit / 1e6} MB")
        if not row["explorers"] and row["first_paint_s"] > TARGETS["first_paint_s"]:
            failed.append(f"{row['page']}: first paint {row['first_paint_s']:.2f} s")
        if row["outside_requests"]:
            failed.append(f"{row['page']}: requests to {row['outside_requests'][:3]}")
    live = rows[-1]
    print(f"live run (1 ms transient): first {live['first_live_s']:.1f} s "
          f"(ngspice {live['first_live_ngspice_s']:.1f} s), repeated "
          f"{live['repeated_live_s']:.1f} s (ngspice "
          f"{live['repeated_live_ngspice_s']:.1f} s): {live['live_status']}")
    for key in ("first_live_s", "repeated_live_s"):
        if live[key] > TARGETS[key]:
            failed.append(f"{key} {live[key]:.1f} s > {TARGETS[key]} s")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    (out / f"page_weight-{stamp}.json").write_text(json.dumps(rows, indent=1))
    print("over target:" if failed else "all targets met", *failed, sep="\n  ")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
