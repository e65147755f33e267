"""The live explorer's worker: what it asks ngspice (WebAssembly) to run.

``_ext/live/netlist.js`` gives the worker (``_ext/live/spice-worker.js``) its
commands (:js:`runCommands`: only the page's vectors saved and written) and a
short warm-up netlist (:js:`warmNetlist`); both are checked here in Node, and,
where ngspice's engine is installed, that saving only those vectors leaves
them bit for bit what the engine's own commands (every vector) give.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ntlib.live_spice import browser_models, netlist_kit

ROOT = Path(__file__).resolve().parents[1]
LIVE = ROOT / "_ext" / "live"
ENGINE_JS = ROOT / "node_modules" / "eecircuit-engine" / "dist" / "eecircuit-engine.mjs"
#: The vectors explorer.js asks for.
VECTORS = ["time", "v(mem)", "v(spk)", "v(vsyn)", "i(vsyn)", "v(vbias)", "i(vbias)",
           "v(vbiasn)", "i(vbiasn)", "v(vdd)", "i(vneuron)"]
PARAMS = {"corner": "tt", "supply_v": 1.2, "weight_code": 7, "bias_supply_v": 1.0,
          "bias_sink_supply_v": 0.5, "input_rate_hz": 100e3, "input_mode": "poisson",
          "input_seed": 0, "duration_s": 2e-4}


def _node(script: str, tmp_path: Path, timeout: float = 60) -> object:
    """Run an ES module in Node; its stdout, parsed as JSON."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is missing: `make test` installs it "
                    "(scripts/ensure-node.sh)", pytrace=False)
    runner = tmp_path / "run.mjs"
    runner.write_text(script)
    done = subprocess.run([node, str(runner)], check=False, capture_output=True,
                          text=True, timeout=timeout, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _kit(tmp_path: Path) -> Path:
    path = tmp_path / "kit.json"
    path.write_text(json.dumps(netlist_kit(input_rates_hz=(100e3,), input_seeds=(0,),
                                           durations_s=(2e-4,), corners=("tt",))))
    return path


def test_warm_netlist_is_the_netlist_with_a_short_transient(tmp_path):
    kit = _kit(tmp_path)
    out = _node(f"""
import {{ writeNetlist, warmNetlist, runCommands, WARM_STOP_S }} from {json.dumps(
        (LIVE / "netlist.js").as_uri())};
import fs from "fs";
const kit = JSON.parse(fs.readFileSync({json.dumps(str(kit))}, "utf8"));
const p = {json.dumps(PARAMS)};
console.log(JSON.stringify({{ netlist: writeNetlist(kit, p), warm: warmNetlist(kit, p),
  stop: WARM_STOP_S, commands: runCommands({json.dumps(VECTORS)}) }}));
""", tmp_path)
    netlist, warm = out["netlist"].split("\n"), out["warm"].split("\n")
    changed = [(a.split(), b.split()) for a, b in zip(netlist, warm, strict=True)
               if a != b]
    assert len(changed) == 1
    line, short = changed[0]
    assert line[0] == ".tran" and float(line[2]) == PARAMS["duration_s"]
    assert short[:2] + short[3:] == line[:2] + line[3:]
    assert float(short[2]) == out["stop"] < PARAMS["duration_s"]
    names = " ".join(VECTORS[1:])
    assert out["commands"] == [" ", "source test.cir", "destroy all", f"save {names}",
                               "run", f"write out.raw {names}"]


def test_engine_still_has_the_command_list_the_worker_replaces():
    if not ENGINE_JS.is_file():
        pytest.fail("node_modules is missing: run `make test` (it runs npm ci)",
                    pytrace=False)
    engine = ENGINE_JS.read_text()
    # runCommands extends this list; setNetList resets it, the worker replaces it after.
    assert re.search(r'commandList = \[\s*" ",\s*"source test.cir",\s*"destroy all",'
                     r'\s*"run",\s*"write out.raw"\s*\]', engine)
    assert "sim.commandList = runCommands(vectors)" in (
        LIVE / "spice-worker.js").read_text()


@pytest.mark.slow
@pytest.mark.spice
def test_saving_only_the_pages_vectors_keeps_them_bit_for_bit(tmp_path):
    if not ENGINE_JS.is_file():
        pytest.fail("node_modules is missing: run `make test` (it runs npm ci)",
                    pytrace=False)
    kit = _kit(tmp_path)
    models = tmp_path / "models.json"
    models.write_text(json.dumps(browser_models("tt")))
    out = _node(f"""
import {{ Simulation }} from {json.dumps(ENGINE_JS.as_uri())};
import {{ writeNetlist, warmNetlist, runCommands }} from {json.dumps(
        (LIVE / "netlist.js").as_uri())};
import fs from "fs";
const kit = JSON.parse(fs.readFileSync({json.dumps(str(kit))}, "utf8"));
const files = JSON.parse(fs.readFileSync({json.dumps(str(models))}, "utf8"));
const vectors = {json.dumps(VECTORS)};
const sim = new Simulation();
await sim.start();
const module = sim.__getSpiceModuleForTests();
for (const [path, text] of Object.entries(files)) {{
  module.FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
  module.FS.writeFile(path, text);
}}
const p = {json.dumps(PARAMS)};
async function run(netlist, commands) {{
  sim.setNetList(netlist);
  if (commands) sim.commandList = commands;
  const result = await sim.runSim();
  const out = {{}};
  for (const d of result.data) {{
    if (vectors.includes(d.name.toLowerCase())) out[d.name.toLowerCase()] = d.values;
  }}
  return [result.numVariables, out];
}}
const all = await run(writeNetlist(kit, p), null);
await run(warmNetlist(kit, {{ ...p, supply_v: 1.5 }}), runCommands(vectors));
const saved = await run(writeNetlist(kit, p), runCommands(vectors));
console.log(JSON.stringify({{ all, saved }}));
""", tmp_path, timeout=300)
    (all_count, every), (saved_count, saved) = out["all"], out["saved"]
    assert all_count > 100 and saved_count == len(VECTORS)
    assert sorted(saved) == sorted(VECTORS)
    for name in VECTORS:
        assert saved[name] == every[name], name
