"""The live explorer in headless Chromium: ngspice in WebAssembly against native.

A page of its own (the explorer's HTML of :func:`ntlib.live_explorer.live_explorer`
and the site's ``_static/live`` assets, written by ``_ext/ntsite.py``) is served
over HTTP; the test moves the explorer's controls to a grid of synapse supplies
and weight codes, presses *Simulate* and compares each run's spike count and
firing rate with native ngspice on the same netlist.  Opened from ``file://``,
the page still shows its precomputed point, and the button names ``make serve``.

Needs Debian's chromium, Node's ``node_modules`` (``make test`` runs ``npm ci``)
and ngspice; where CI sets ``NT_REQUIRE_BROWSER=1`` a missing one fails.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import sys
import threading
from pathlib import Path

import pytest

from ntlib.circuits.neuron import NeuronParams

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update"]
#: The grid: synapse supplies x weight codes, 0.2 ms transients at 100 kHz.
SUPPLIES_V = (1.0, 1.2, 1.5)
CODES = (7, 4)
DURATION_S = 2e-4
RATE_TOLERANCE = 0.005


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("NT_REQUIRE_BROWSER") == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)


if not CHROMIUM.is_file():
    _skip_or_fail("Debian's chromium is not installed: apt-get install chromium")
if not (ROOT / "node_modules" / "eecircuit-engine").is_dir():
    _skip_or_fail("node_modules is missing: run `make test` (it runs npm ci)")
try:
    import playwright.sync_api as playwright_sync
except ImportError:
    _skip_or_fail("playwright is not installed: pip install -r requirements.txt")

pytestmark = [pytest.mark.spice, pytest.mark.slow]


def _params(supply_v: float, code: int) -> NeuronParams:
    return NeuronParams(supply_v=supply_v, weight_code=code, duration_s=DURATION_S)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A folder with one page holding the live explorer, and its ``_static``."""
    from ntlib.live_explorer import live_explorer

    sys.path.insert(0, str(ROOT / "_ext"))
    import ntsite

    folder = tmp_path_factory.mktemp("live-site")
    static = folder / "_static"
    static.mkdir()
    ntsite.copy_live_assets(static, ROOT)
    shutil.copyfile(ntsite.plotly_js_source(), static / ntsite.PLOTLY_JS)
    bundle = live_explorer(start=_params(1.2, 7), input_rates_hz=(100e3,),
                           input_seeds=(0,), durations_s=(DURATION_S,),
                           corners=("tt",), precomputed=[_params(1.2, 7)])
    (folder / "index.html").write_text(
        '<!doctype html><html data-content_root="./"><head><meta charset="utf-8">'
        f"<title>live explorer</title></head><body><main>{bundle['text/html']}"
        "</main></body></html>")
    return folder


@pytest.fixture(scope="module")
def origin(site):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


SET_CONTROLS_JS = """([name, value]) => {
  const el = document.querySelector('.nt-live-explorer');
  const config = JSON.parse(el.querySelector('script.nt-live-config').textContent);
  const index = config.controls[name].findIndex(v => Math.abs(v - value) < 1e-9);
  if (index < 0) throw new Error(`no ${name} ${value} on the page`);
  const input = el.querySelector(`[name="${name}"]`);
  input.value = String(index);
  input.dispatchEvent(new Event('input'));
}"""


def _live_run(page, supply_v: float, code: int) -> dict:
    page.evaluate(SET_CONTROLS_JS, ["supply_v", supply_v])
    page.evaluate(SET_CONTROLS_JS, ["weight_code", code])
    page.evaluate("() => { document.querySelector('.nt-live-explorer')"
                  ".dataset.state = 'idle'; }")
    page.click(".nt-live-run")
    page.wait_for_function(
        "() => ['done', 'error'].includes("
        "document.querySelector('.nt-live-explorer').dataset.state)", timeout=120_000)
    status = page.inner_text(".nt-live-status")
    result = page.evaluate("() => document.querySelector('.nt-live-explorer')"
                           ".ntLiveResult")
    assert result and result["source"] == "ngspice in this browser", status
    return result


def test_live_runs_match_native_ngspice(browser, origin):
    from ntlib.circuits.measure import summarize
    from ntlib.circuits.simulate import simulate_neuron

    problems: list[str] = []
    context = browser.new_context()
    local = re.escape(origin + "/")
    context.route(re.compile(rf"^(?!{local}|data:|blob:|about:)"),
                  lambda route: (problems.append(f"request to {route.request.url}"),
                                 route.abort()))
    page = context.new_page()
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("console", lambda m: m.type == "error"
            and problems.append(f"console error: {m.text}"))
    try:
        page.goto(f"{origin}/index.html", wait_until="load")
        page.wait_for_selector(".nt-live-run")
        # The precomputed point answers before any live run.
        page.wait_for_function("() => document.querySelector('.nt-live-readout')"
                               ".textContent.startsWith('precomputed')")
        rows = []
        for supply_v in SUPPLIES_V:
            for code in CODES:
                live = _live_run(page, supply_v, code)
                native = summarize(simulate_neuron(_params(supply_v, code)))
                rows.append((supply_v, code, live, native))
    finally:
        context.close()
    assert not problems, "\n".join(problems)
    for supply_v, code, live, native in rows:
        where = f"supply {supply_v} V, code {code}"
        assert native["spike_count"] >= 1, where
        assert live["spike_count"] == native["spike_count"], where
        assert live["firing_rate_hz"] == pytest.approx(
            native["firing_rate_hz"], rel=RATE_TOLERANCE), where
        for domain, watts in native["power_w_by_domain"].items():
            assert live["power_w_by_domain"][domain] == pytest.approx(
                watts, rel=0.02, abs=1e-12), f"{where}, {domain} power"


def test_file_page_shows_precomputed_and_names_make_serve(browser, site):
    page = browser.new_page()
    try:
        page.goto((site / "index.html").as_uri(), wait_until="load")
        page.wait_for_function("() => document.querySelector('.nt-live-readout')"
                               " && document.querySelector('.nt-live-readout')"
                               ".textContent.startsWith('precomputed')")
        page.wait_for_selector(".nt-live-plot.js-plotly-plot", timeout=10_000)
        page.click(".nt-live-run")
        status = page.inner_text(".nt-live-status")
    finally:
        page.close()
    assert "make serve" in status and "\n" not in status.strip()
