// Module worker: ngspice (eecircuit-engine, WebAssembly) off the page's thread.
// Messages in:  {id, kit, params, modelsUrl, vectors: [names]} (netlist.js writes
//               the netlist from the kit of ntlib.live_spice.netlist_kit), or
//               {id, kit, params, modelsUrl, warm: true}: start ngspice, load the
//               models and run a short transient of the circuit (netlist.js's
//               warmNetlist), so that the reader's first run finds ngspice compiled
// Messages out: {id, type: "progress", stage, seconds}
//               {id, type: "result", vectors: {name: Float64Array}, seconds, runSeconds}
//               {id, type: "warm", seconds}
//               {id, type: "error", message}
// Requests run one after another: one ngspice instance serves every explorer.
import { Simulation } from "./eecircuit-engine.mjs";
import { runCommands, warmNetlist, writeNetlist } from "./netlist.js";

let enginePromise = null;
const models = new Map();  // corner -> promise of its files written
let queue = Promise.resolve();
let runsWaiting = 0;  // the reader's runs queued: a warm-up does not delay them
let warmedUp = false;  // one warm-up run per worker, whatever the explorers on the page
const started = performance.now();

function progress(id, stage) {
  postMessage({ id, type: "progress", stage, seconds: (performance.now() - started) / 1000 });
}

function engine(id) {
  if (enginePromise === null) {
    progress(id, "starting ngspice");
    enginePromise = (async () => {
      const sim = new Simulation();
      await sim.start();
      return sim;
    })();
  }
  return enginePromise;
}

// The engine has no public way to add include files: its Emscripten file system
// (a non-public accessor, pinned with eecircuit-engine 1.8.0 in package.json).
function loadModels(id, sim, corner, url) {
  if (!models.has(corner)) {
    progress(id, "loading the SKY130 models");
    models.set(corner, (async () => {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`model files: HTTP ${response.status} for ${url}`);
      const files = await response.json();
      const module = sim.__getSpiceModuleForTests();
      if (!module || !module.FS) throw new Error("this eecircuit-engine exposes no file system");
      for (const [path, text] of Object.entries(files)) {
        module.FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
        module.FS.writeFile(path, text);
      }
    })());
  }
  return models.get(corner);
}

// One transient.  The engine's command list is a field it resets in setNetList
// (non-public too, pinned with the file system above): replaced after it.
async function transient(sim, netlist, vectors) {
  sim.setNetList(netlist);
  if (!Array.isArray(sim.commandList)) throw new Error("this eecircuit-engine has no command list");
  sim.commandList = runCommands(vectors);
  return sim.runSim();
}

async function warmUp(id, sim, kit, params, vectors) {
  if (warmedUp || runsWaiting > 0 || !kit) return;  // a reader's run compiles it as well
  warmedUp = true;
  progress(id, "warming up ngspice");
  await transient(sim, warmNetlist(kit, params), vectors);
}

async function handle(message) {
  const { id, kit, params, modelsUrl, vectors, warm } = message;
  const begin = performance.now();
  try {
    const sim = await engine(id);
    await loadModels(id, sim, params.corner, modelsUrl);
    if (warm) {
      await warmUp(id, sim, kit, params, vectors);
      postMessage({ id, type: "warm", seconds: (performance.now() - begin) / 1000 });
      return;
    }
    const netlist = writeNetlist(kit, params);
    progress(id, "simulating");
    const runBegin = performance.now();
    const result = await transient(sim, netlist, vectors);
    const runSeconds = (performance.now() - runBegin) / 1000;
    warmedUp = true;
    const byName = new Map(result.data.map((d) => [d.name.toLowerCase(), d.values]));
    const out = {};
    for (const name of vectors) {
      const values = byName.get(name.toLowerCase());
      if (values === undefined) {
        const errors = sim.getError().slice(0, 3).join("; ");
        throw new Error(`ngspice returned no vector ${name}${errors ? `: ${errors}` : ""}`);
      }
      out[name] = Float64Array.from(values, (v) => (typeof v === "number" ? v : v.real));
    }
    postMessage({ id, type: "result", vectors: out, runSeconds,
      seconds: (performance.now() - begin) / 1000 }, Object.values(out).map((a) => a.buffer));
  } catch (error) {
    postMessage({ id, type: "error", message: String((error && error.message) || error) });
  } finally {
    if (!warm) runsWaiting -= 1;
  }
}

onmessage = (event) => {
  if (!event.data.warm) runsWaiting += 1;
  queue = queue.then(() => handle(event.data));
};
