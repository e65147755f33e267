"""Weight and speed of the built site's pages in headless Chromium, served locally.

For each page: the bytes it transfers (every response, gzipped at level 6 as
a web server would send text; fonts and images as they are), requests to
other hosts (must be zero) and first contentful paint.  Then the live SPICE
explorer (:mod:`ntlib.live_explorer`, on a page of its own beside the site, as
``tests/test_browser_spice.py`` builds it), each time in a fresh browser
context (empty cache): the page's weight once the engine and models have
loaded, and the wall-clock times of 1 ms transients:

* ``first_live_s``: the first live result, timed from the click on *Simulate*
  to the result on screen, the click coming 0.3 s after the page's ``load``
  event (and MathJax), as this benchmark always clicked.  The explorer now
  starts its engine when it comes into view, so this includes whatever of the
  engine start, the models and the compilation of ngspice those 0.3 s did not
  cover: a reader who presses at once waits this long;
* ``first_live_from_load_s``: the same run timed from the navigation start,
  page load included;
* ``repeated_live_s``: a second run on the same page;
* ``first_live_warm_s``: in another fresh context, the first result timed from
  a click that comes once the explorer reports its engine ready (started,
  models loaded, a short warm-up transient run: ``engine_ready_s`` after the
  navigation start), as for a reader who sets the sliders first.

Each ``*_ngspice_s`` is ngspice's own share (the worker's ``runSim``).
``--repeat N`` measures the live part N times and prints medians and ranges.

Targets: an explorer page <= 8 MB, any other page <= 1.5 MB, first paint
<= 1 s without an explorer, first live result (``first_live_s``) <= 6 s,
repeated <= 4 s.

    make book   # or a build with execute_notebooks: "off"
    .venv/bin/python benchmarks/bench_page_weight.py [--site _build/html]
    # the live explorer only, its assets from this tree (no site needed):
    .venv/bin/python benchmarks/bench_page_weight.py --live-only --repeat 5
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import os
import re
import shutil
import statistics
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
#: The live figures printed, in this order (see the module's docstring).
LIVE_FIGURES = ("first_live_s", "first_live_from_load_s", "repeated_live_s",
                "first_live_warm_s", "engine_ready_s")
EXPLORER = "document.querySelector('.nt-live-explorer')"
RUN_DONE = f"() => ['done', 'error'].includes({EXPLORER}.dataset.state)"
ENGINE_READY = f"() => ['ready', 'error'].includes({EXPLORER}.dataset.engine)"


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


def live_run(page, row: dict, name: str, since: float) -> None:
    """Press *Simulate*; ``row[name]``: seconds from ``since`` to the result."""
    page.evaluate(f"() => {{ {EXPLORER}.dataset.state = 'idle'; }}")
    page.click(".nt-live-run")
    page.wait_for_function(RUN_DONE, timeout=180_000, polling=50)
    row[name] = time.perf_counter() - since
    row[name.replace("_s", "_ngspice_s")] = page.evaluate(
        f"() => ({EXPLORER}.ntLiveResult || {{}}).run_seconds")


def engine_ready(page, since: float) -> float:
    """Seconds from ``since`` until the explorer reports its engine ready (NaN
    after 30 s: an explorer that starts its engine only on the first run)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(ENGINE_READY, timeout=30_000, polling=50)
    except PlaywrightTimeout:
        return float("nan")
    return time.perf_counter() - since


def measure(browser, origin: str, folder: Path, page_path: str, live: str = ""):
    """One page's transferred bytes, requests elsewhere, first paint (and runs).

    ``live``: ``"click"`` times the first live result from a click 0.3 s after
    load, then a repeated run; ``"warm"`` the first result from a click once
    the engine is ready (see the module's docstring).
    """
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
        navigation = time.perf_counter()
        page.goto(f"{origin}/{page_path}", wait_until="load")
        if live == "warm":
            row["engine_ready_s"] = engine_ready(page, navigation)
        page.evaluate("() => window.MathJax && MathJax.startup ? "
                      "MathJax.startup.promise : null")
        page.wait_for_timeout(300)
        row["first_paint_s"] = page.evaluate(
            "() => (performance.getEntriesByName('first-contentful-paint')[0]"
            " || {startTime: NaN}).startTime / 1000")
        row["explorers"] = page.evaluate(
            "() => document.querySelectorAll('.nt-explorer, .nt-live-explorer').length")
        if live == "click":
            live_run(page, row, "first_live_s", time.perf_counter())
            row["first_live_from_load_s"] = time.perf_counter() - navigation
            live_run(page, row, "repeated_live_s", time.perf_counter())
        elif live == "warm":
            live_run(page, row, "first_live_warm_s", time.perf_counter())
        if live:
            row["live_status"] = page.inner_text(".nt-live-status")
    finally:
        context.close()
    row["bytes"] = sum(sent_bytes(p) for p in fetched if p.is_file())
    row["requests"] = len(fetched)
    row["outside_requests"] = outside
    return row


def live_page(site: Path | None, folder: Path) -> str:
    """A page with the live explorer (1 ms transients) next to the site's assets
    (``site`` ``None``: the live assets and plotly of this tree, no site)."""
    from ntlib.live_explorer import live_explorer

    if site is None:
        sys.path.insert(0, str(ROOT / "_ext"))
        import ntsite

        (folder / "_static").mkdir()
        ntsite.copy_live_assets(folder / "_static", ROOT)
        shutil.copyfile(ntsite.plotly_js_source(), folder / "_static" / ntsite.PLOTLY_JS)
    else:
        shutil.copytree(site / "_static", folder / "_static")
    bundle = live_explorer(durations_s=(1e-3,))
    (folder / "live.html").write_text(
        '<!doctype html><html data-content_root="./"><head><meta charset="utf-8">'
        f"<title>live</title></head><body><main>{bundle['text/html']}</main>"
        "</body></html>")
    return "live.html"


def live_rows(browser, site: Path | None, repeat: int) -> list[dict]:
    """``repeat`` rows of the live explorer's figures, each from fresh contexts."""
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        name = live_page(site, folder)
        server, origin = serve(folder)
        try:
            for _ in range(repeat):
                row = measure(browser, origin, folder, name, live="click")
                warm = measure(browser, origin, folder, name, live="warm")
                rows.append({**row, **{k: v for k, v in warm.items()
                                       if k.startswith(("first_live_warm", "engine"))}})
        finally:
            server.shutdown()
    return rows


def summary(rows: list[dict]) -> dict:
    """The live figures' medians (the row the targets are checked on)."""
    return {key: statistics.median(row[key] for row in rows)
            for key in rows[0] if key.endswith("_s") and "paint" not in key}


def print_live(rows: list[dict]) -> None:
    """Each live figure: median, range, and ngspice's share where it has one."""
    print(f"live runs (1 ms transient), {len(rows)} x, load average "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())} on {os.cpu_count()} cores:")
    for key in LIVE_FIGURES:
        values = [row[key] for row in rows]
        line = (f"  {key:24} median {statistics.median(values):5.2f} s "
                f"({min(values):.2f}-{max(values):.2f})")
        share = key.replace("_s", "_ngspice_s")
        if share in rows[0]:
            line += f", ngspice {statistics.median(row[share] for row in rows):.2f} s"
        print(line)
    print(f"  last status: {rows[-1]['live_status']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--live-only", action="store_true",
                        help="only the live explorer, with this tree's assets (no site)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="measure the live explorer this many times")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    site = None if args.live_only else args.site.resolve()
    pages = [] if site is None else sorted(
        p.relative_to(site).as_posix() for p in site.rglob("*.html")
        if not p.relative_to(site).parts[0].startswith("_")
        and "Refresh" not in p.read_text()[:2000])
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--headless", "--no-sandbox"])
        try:
            if pages:
                server, origin = serve(site)
                try:
                    rows = [measure(browser, origin, site, page) for page in pages]
                finally:
                    server.shutdown()
            live = live_rows(browser, site, args.repeat)
        finally:
            browser.close()
    failed = []
    print(f"{'page':48} {'kB sent':>8} {'req':>4} {'paint s':>8}  other hosts")
    for row in rows + live:
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
    print_live(live)
    medians = summary(live)
    for key in ("first_live_s", "repeated_live_s"):
        if medians[key] > TARGETS[key]:
            failed.append(f"{key} {medians[key]:.1f} s > {TARGETS[key]} s (median)")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    (out / f"page_weight-{stamp}.json").write_text(
        json.dumps(rows + live + [{"live_medians": medians,
                                   "load_average": os.getloadavg()}], indent=1))
    print("over target:" if failed else "all targets met", *failed, sep="\n  ")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
