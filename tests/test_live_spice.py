"""The live explorer's netlists and models: one source of truth with the native run.

``_ext/live/netlist.js`` (run in Node) must write, for a grid of slider
settings, exactly :func:`ntlib.live_spice.browser_netlist`'s text (that is,
``build_netlist``'s); the trimmed SKY130 models must give native ngspice the
same transient as the full files; the engine is pinned, with the file-system
accessor the worker uses.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from ntlib.circuits.neuron import NeuronParams, build_netlist
from ntlib.circuits.sky130 import pdk_root
from ntlib.live_explorer import LIVE_EXPLORER_CLASS, live_explorer, point_key
from ntlib.live_spice import (
    BROWSER_ROOT,
    browser_models,
    browser_netlist,
    device_sizes,
    netlist_kit,
    trim_bins,
)

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "node_modules" / "eecircuit-engine"
NETLIST_JS = ROOT / "_ext" / "live" / "netlist.js"
RUNNER = """
import { writeNetlist } from %s;
import fs from "fs";
const kit = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const cases = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
process.stdout.write(JSON.stringify(cases.map((p) => writeNetlist(kit, p))));
"""
FIELDS = ("corner", "supply_v", "weight_code", "bias_supply_v", "bias_sink_supply_v",
          "input_rate_hz", "input_mode", "input_seed", "duration_s")


def _grid() -> list[dict]:
    """Slider settings: every code and bias pair, corners, modes, seeds, rates."""
    cases = []
    settings = itertools.product(
        range(-7, 8), ((0.0, 0.0), (0.75, 0.0), (0.0, 1.2), (1.8, 0.35)))
    for i, (code, (bias, sink)) in enumerate(settings):
        cases.append({
            "corner": ("tt", "ff", "ss", "sf", "fs")[i % 5],
            "supply_v": (0.9, 1.0, 1.15, 1.2, 1.8)[i % 5 if i % 2 else (i // 2) % 5],
            "weight_code": code, "bias_supply_v": bias, "bias_sink_supply_v": sink,
            "input_rate_hz": (25e3, 50e3, 100e3, 200e3)[i % 4],
            "input_mode": ("poisson", "periodic")[(i // 3) % 2],
            "input_seed": i % 3, "duration_s": (1e-3, 2e-4)[(i // 7) % 2]})
    return cases


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is missing: `make test` installs it "
                    "(scripts/ensure-node.sh)", pytrace=False)
    return node


def test_js_netlist_writer_equals_build_netlist(tmp_path):
    cases = _grid()
    kit = netlist_kit(durations_s=(1e-3, 2e-4))
    (tmp_path / "kit.json").write_text(json.dumps(kit))
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    runner = tmp_path / "run.mjs"
    runner.write_text(RUNNER % json.dumps(NETLIST_JS.as_uri()))
    done = subprocess.run([_node(), str(runner), str(tmp_path / "kit.json"),
                           str(tmp_path / "cases.json")],
                          check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    written = json.loads(done.stdout)
    assert len(written) == len(cases) == 60
    for case, text in zip(cases, written, strict=True):
        expected = browser_netlist(NeuronParams(**case))
        assert text == expected, f"netlist.js differs from build_netlist for {case}"
        assert text.count(f'"{BROWSER_ROOT}/') >= 8


def test_browser_netlist_only_moves_the_model_paths():
    params = NeuronParams(weight_code=-3, input_mode="periodic")
    native, browser = build_netlist(params), browser_netlist(params)
    assert str(pdk_root()) in native and str(pdk_root()) not in browser
    assert browser.replace(f'"{BROWSER_ROOT}/', f'"{pdk_root()}/') == native


def test_trim_keeps_only_the_bins_that_cover_the_devices():
    models = browser_models("tt")
    full = browser_models("tt", trim=False)
    assert models.keys() == full.keys()
    pm3 = [k for k in models if k.endswith("__tt.pm3.spice") and "01v8" in k]
    assert len(pm3) == 3
    for name in pm3:
        assert len(models[name]) < len(full[name]) / 5, name
        kept = re.findall(r"(?m)^\.model\s+(\S+)", models[name])
        assert 1 <= len(kept) < 20, (name, kept)
    sizes = device_sizes(build_netlist(NeuronParams(bias_supply_v=1.0,
                                                    bias_sink_supply_v=0.5)))
    assert sizes["nfet_01v8"] >= {(0.42, 20.0), (1.0, 1.0), (0.42, 0.15)}
    text = models[next(k for k in pm3 if "nfet_01v8__tt" in k)]
    for w, length in sizes["nfet_01v8"]:
        bins = re.findall(r"lmin = (\S+) lmax = (\S+) wmin = (\S+) wmax = (\S+)", text)
        assert any(float(a) * 1e6 <= length <= float(b) * 1e6
                   and float(c) * 1e6 <= w <= float(d) * 1e6
                   for a, b, c, d in bins), (w, length)


def test_trim_bins_drops_a_bin_outside_the_sizes():
    text = (".subckt x d g s b\n.model dev__model.0 nmos\n"
            "+ lmin = 1e-06 lmax = 2e-06 wmin = 1e-06 wmax = 2e-06\n+ level = 54\n"
            ".model dev__model.1 nmos\n"
            "+ lmin = 2e-06 lmax = 4e-06 wmin = 1e-06 wmax = 2e-06\n+ level = 54\n"
            ".ends\n")
    trimmed = trim_bins(text, "dev", {(1.5, 3.0)})
    assert "dev__model.1" in trimmed and "dev__model.0" not in trimmed
    assert trimmed.startswith(".subckt x") and trimmed.endswith(".ends\n")


def _native_with_models(params, folder: Path, trim: bool):
    from ntlib.circuits.simulate import Transient, run_netlist

    for path, text in browser_models(params.corner, trim=trim).items():
        target = folder / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    netlist = browser_netlist(params).replace(f'"{BROWSER_ROOT}/',
                                              f'"{folder}{BROWSER_ROOT}/')
    return Transient(params, run_netlist(netlist, describe=params.describe()), 0.0)


@pytest.mark.spice
@pytest.mark.slow
@pytest.mark.parametrize("corner,code", [("tt", 7), ("ss", -5)])
def test_trimmed_models_give_the_full_models_result(tmp_path, corner, code):
    from ntlib.circuits.measure import spike_times_s

    params = NeuronParams(corner=corner, weight_code=code, duration_s=2e-4,
                          bias_supply_v=1.0, bias_sink_supply_v=0.5 if code < 0 else 0)
    full = _native_with_models(params, tmp_path / "full", trim=False)
    trimmed = _native_with_models(params, tmp_path / "trimmed", trim=True)
    np.testing.assert_array_equal(trimmed.time_s, full.time_s)
    np.testing.assert_array_equal(trimmed.membrane_v, full.membrane_v)
    np.testing.assert_array_equal(spike_times_s(trimmed), spike_times_s(full))


def test_engine_is_pinned_and_exposes_its_file_system():
    package = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert package["dependencies"] == {"eecircuit-engine": "1.8.0"}
    assert lock["packages"]["node_modules/eecircuit-engine"]["version"] == "1.8.0"
    if not ENGINE.is_dir():
        pytest.fail("node_modules is missing: run `make test` (it runs npm ci)",
                    pytrace=False)
    installed = json.loads((ENGINE / "package.json").read_text())
    assert installed["version"] == "1.8.0"
    engine = (ENGINE / "dist" / "eecircuit-engine.mjs").read_text()
    # The worker writes the model files through this non-public accessor.
    assert "__getSpiceModuleForTests()" in engine and "FS" in engine


def test_live_explorer_html_carries_its_config():
    bundle = live_explorer(durations_s=(2e-4,), input_rates_hz=(100e3,),
                           input_seeds=(0,), corners=("tt",))
    html = bundle["text/html"]
    assert f'class="{LIVE_EXPLORER_CLASS}"' in html
    data = re.search(r'<script type="application/json" class="nt-live-config">'
                     r"(.*?)</script>", html, re.DOTALL).group(1)
    config = json.loads(data)
    assert config["controls"]["weight_code"] == list(range(-7, 8))
    assert config["controls"]["bias_supply_v"][:2] == [0.0, 0.75]
    assert config["controls"]["supply_v"][0] == 0.9
    assert config["controls"]["supply_v"][-1] == 1.8
    assert list(config["kit"]["trains"]) == ["poisson|100000|0|0.0002"]
    assert config["serve_command"] == "make serve"
    assert "_static/live/explorer.js" in html and "http" not in html.split(
        "nt-live-config")[0]


def test_point_key_matches_the_pages_key():
    key = point_key(NeuronParams(supply_v=1.2, weight_code=-3, input_rate_hz=50e3,
                                 input_mode="periodic", input_seed=2))
    assert key == "tt|1.2000|-3|0.0000|0.0000|50000|periodic|0|0.001"


def _ntsite():
    import sys

    sys.path.insert(0, str(ROOT / "_ext"))
    import ntsite

    return ntsite


def test_plotly_loads_only_on_pages_with_a_precomputed_explorer():
    ntsite = _ntsite()
    pages = {"plain": "<p>text</p>", "live": '<div class="nt-live-explorer">',
             "grid": '<div class="nt-explorer">'}
    loaded = {}
    for name, body in pages.items():
        context = {"body": body, "script_files": ["_static/a.js"]}
        ntsite._plotly_where_needed(None, name, "page.html", context, None)
        loaded[name] = f"_static/{ntsite.PLOTLY_JS}" in context["script_files"]
    assert loaded == {"plain": False, "live": False, "grid": True}


def test_mathjax_keeps_its_component_fonts_and_autoloads(tmp_path):
    ntsite = _ntsite()
    mathjax = tmp_path / "_static" / "mathjax"
    files = ["tex-chtml.js", "tex-svg-full.js", "sre/mathmaps/en.json",
             "output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff",
             "output/chtml/fonts/tex.js", "input/tex/extensions/cancel.js",
             "input/mml.js"]
    for name in files:
        (mathjax / name).parent.mkdir(parents=True, exist_ok=True)
        (mathjax / name).write_text("x")

    class App:
        outdir = str(tmp_path)

    ntsite._trim_mathjax(App(), None)
    left = sorted(p.relative_to(mathjax).as_posix() for p in mathjax.rglob("*")
                  if p.is_file())
    assert left == ["input/tex/extensions/cancel.js",
                    "output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff",
                    "tex-chtml.js"]


def test_missing_engine_says_to_run_npm_ci(tmp_path, monkeypatch):
    ntsite = _ntsite()
    monkeypatch.delenv("NT_NODE_MODULES", raising=False)
    with pytest.raises(RuntimeError, match="npm ci"):
        ntsite.engine_source(tmp_path)
    assert ntsite.engine_source(ROOT).name == "eecircuit-engine.mjs"
