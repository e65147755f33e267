// The live neuron explorer (ntlib.live_explorer): sliders, a Simulate button that
// runs ngspice (WebAssembly) in a module worker, and the figures of the run.
// A classic script, so that a page opened from file:// still shows the sliders
// and the precomputed points; the live run there says how to serve the site.
(function () {
  "use strict";
  const root = document.documentElement.dataset.content_root || "./";
  const base = new URL(root, document.baseURI);
  const DOMAINS = [["synapse", "v(vsyn)", "i(vsyn)"], ["bias", "v(vbias)", "i(vbias)"],
    ["bias_sink", "v(vbiasn)", "i(vbiasn)"], ["neuron", "v(vdd)", "i(vneuron)"]];
  const VECTORS = ["time", "v(mem)", "v(spk)", ...DOMAINS.flatMap((d) => [d[1], d[2]])];
  const LABELS = {
    supply_v: "synapse supply (V)", weight_code: "weight code",
    bias_supply_v: "sourcing bias supply (V, 0 = off)",
    bias_sink_supply_v: "sinking bias supply (V, 0 = off)",
    input_rate_hz: "input rate (kHz)", input_mode: "input train", input_seed: "seed",
    corner: "corner", duration_s: "simulated time (ms)",
  };
  const SLIDERS = ["supply_v", "weight_code", "bias_supply_v", "bias_sink_supply_v"];
  let worker = null;
  let nextId = 1;
  const pending = new Map();
  let plotlyLoading = null;

  function loadPlotly() {
    if (window.Plotly) return Promise.resolve(window.Plotly);
    if (!plotlyLoading) {
      plotlyLoading = new Promise((resolve, reject) => {
        const s = document.createElement("script");
        s.src = new URL("_static/plotly.min.js", base).href;
        s.onload = () => resolve(window.Plotly);
        s.onerror = () => reject(new Error("plotly.min.js did not load"));
        document.head.appendChild(s);
      });
    }
    return plotlyLoading;
  }

  // Plotly (4.6 MB of script) is read on the page's thread: while ngspice runs
  // in the worker, not when the reader may be pressing Simulate.
  function preloadPlotly() {
    loadPlotly().catch(() => {});  // show() reports a failure
  }

  function getWorker() {
    if (worker === null) {
      worker = new Worker(new URL("_static/live/spice-worker.js", base), { type: "module" });
      worker.onmessage = (event) => {
        const job = pending.get(event.data.id);
        if (!job) return;
        if (event.data.type === "progress") job.progress(event.data.stage);
        else { pending.delete(event.data.id); job.done(event.data); }
      };
    }
    return worker;
  }

  function simulate(kit, params, progress) {
    return new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { progress, done: (m) => (m.type === "result" ? resolve(m)
        : reject(new Error(m.message))) });
      getWorker().postMessage({ id, kit, params, vectors: VECTORS,
        modelsUrl: new URL(`_static/live/sky130-${params.corner}.json`, base).href });
    });
  }

  function spikeTimes(t, v, threshold) {
    const out = [];
    for (let i = 0; i + 1 < t.length; i += 1) {
      if (v[i] < threshold && v[i + 1] >= threshold) {
        out.push(t[i] + (threshold - v[i]) / (v[i + 1] - v[i]) * (t[i + 1] - t[i]));
      }
    }
    return out;
  }

  function figures(vectors, params, neuronSupply) {
    const t = vectors.time;
    const spikes = spikeTimes(t, vectors["v(spk)"], neuronSupply / 2);
    const n = spikes.length;
    const rate = n >= 2 ? (n - 1) / (spikes[n - 1] - spikes[0]) : n / params.duration_s;
    const span = t[t.length - 1] - t[0];
    const power = {};
    for (const [name, vName, iName] of DOMAINS) {
      const v = vectors[vName], i = vectors[iName];
      let sum = 0;
      for (let k = 0; k + 1 < t.length; k += 1) {
        sum += 0.5 * ((-v[k] * i[k]) + (-v[k + 1] * i[k + 1])) * (t[k + 1] - t[k]);
      }
      power[name] = sum / span;
    }
    return { spike_count: n, firing_rate_hz: rate, power_w_by_domain: power,
      spike_times_s: spikes, time_s: t, membrane_v: vectors["v(mem)"] };
  }

  // Min/max per pixel column: every excursion of the trace stays visible.
  function decimate(t, v, columns) {
    if (t.length <= 2 * columns) return { x: Array.from(t), y: Array.from(v) };
    const t0 = t[0], width = (t[t.length - 1] - t0) / columns;
    const x = [], y = [];
    let k = 0;
    for (let c = 0; c < columns; c += 1) {
      const end = t0 + (c + 1) * width;
      let lo = Infinity, hi = -Infinity, tlo = 0, thi = 0;
      for (; k < t.length && (t[k] <= end || c === columns - 1); k += 1) {
        if (v[k] < lo) { lo = v[k]; tlo = t[k]; }
        if (v[k] > hi) { hi = v[k]; thi = t[k]; }
      }
      if (lo === Infinity) continue;
      if (tlo <= thi) { x.push(tlo, thi); y.push(lo, hi); } else { x.push(thi, tlo); y.push(hi, lo); }
    }
    return { x, y };
  }

  function format(value, unit) {
    const abs = Math.abs(value);
    const prefixes = [[1e6, "M"], [1e3, "k"], [1, ""], [1e-3, "m"], [1e-6, "u"],
      [1e-9, "n"], [1e-12, "p"]];
    if (abs === 0) return `0 ${unit}`;
    for (const [scale, p] of prefixes) if (abs >= scale) return `${(value / scale).toPrecision(3)} ${p}${unit}`;
    return `${value.toExponential(2)} ${unit}`;
  }

  function keyOf(p) {
    const f = (v) => Number(v).toFixed(4);
    const g = (v) => String(Number(Number(v).toPrecision(6)));
    return [p.corner, f(p.supply_v), p.weight_code, f(p.bias_supply_v), f(p.bias_sink_supply_v),
      g(p.input_rate_hz), p.input_mode,
      p.input_mode === "poisson" ? p.input_seed : 0, p.duration_s].join("|");
  }

  function init(el) {
    if (el.dataset.ready) return;
    el.dataset.ready = "1";
    const config = JSON.parse(el.querySelector("script.nt-live-config").textContent);
    const controls = config.controls;
    const form = document.createElement("div");
    form.className = "nt-live-controls";
    form.style.cssText = "display:grid;grid-template-columns:repeat(auto-fill,minmax(15em,1fr));gap:.3em 1em;font-size:.9em";
    const inputs = {};
    for (const name of Object.keys(LABELS)) {
      const values = controls[name];
      const label = document.createElement("label");
      const shown = document.createElement("output");
      let input;
      if (SLIDERS.includes(name)) {
        input = document.createElement("input");
        input.type = "range"; input.min = 0; input.max = values.length - 1; input.step = 1;
        const startIndex = values.findIndex((v) => Math.abs(v - config.start[name]) < 1e-9);
        input.value = Math.max(startIndex, 0);
      } else {
        input = document.createElement("select");
        values.forEach((v, i) => {
          const option = document.createElement("option");
          option.value = i;
          option.textContent = name === "input_rate_hz" ? v / 1e3 : name === "duration_s" ? v * 1e3 : v;
          if (v === config.start[name]) option.selected = true;
          input.appendChild(option);
        });
      }
      input.name = name;
      input.style.width = "100%";
      label.append(`${LABELS[name]} `, shown, input);
      inputs[name] = { input, shown, values };
      form.appendChild(label);
    }
    const button = document.createElement("button");
    button.type = "button"; button.textContent = "Simulate in this browser";
    button.className = "nt-live-run";
    const status = document.createElement("div");
    status.className = "nt-live-status"; status.setAttribute("role", "status");
    const readout = document.createElement("div");
    readout.className = "nt-live-readout";
    const plot = document.createElement("div");
    plot.className = "nt-live-plot"; plot.style.minHeight = "320px";
    el.append(form, button, status, readout, plot);

    const params = () => {
      const p = {};
      for (const [name, c] of Object.entries(inputs)) p[name] = c.values[Number(c.input.value)];
      return p;
    };

    async function show(result, p, source) {
      const power = result.power_w_by_domain;
      const total = Object.values(power).reduce((a, b) => a + b, 0);
      readout.textContent = `${source}: ${result.spike_count} spikes, rate ${format(result.firing_rate_hz, "Hz")}; power ${format(total, "W")} (` +
        Object.entries(power).map(([d, w]) => `${d} ${format(w, "W")}`).join(", ") + ")";
      el.ntLiveResult = { params: p, source, spike_count: result.spike_count,
        firing_rate_hz: result.firing_rate_hz, power_w_by_domain: power };
      const Plotly = await loadPlotly();
      const columns = Math.max(200, Math.round(plot.clientWidth || 700));
      const trace = decimate(result.time_s, result.membrane_v, columns);
      const us = (a) => a.map((x) => x * 1e6);
      await Plotly.react(plot, [
        { x: us(trace.x), y: trace.y, mode: "lines", name: "membrane (V)", line: { width: 1 } },
        { x: us(result.spike_times_s), y: result.spike_times_s.map(() => config.neuron_supply_v / 2),
          mode: "markers", name: "output spikes", marker: { symbol: "line-ns-open", size: 12 } },
      ], { title: { text: `${source}: ${format(result.firing_rate_hz, "Hz")}` },
        xaxis: { title: { text: "time (us)" } }, yaxis: { title: { text: "V" } },
        margin: { t: 40, r: 10 }, height: 320, showlegend: false }, { responsive: true });
    }

    function refresh() {
      const p = params();
      for (const c of Object.values(inputs)) {
        if (c.input.type === "range") c.shown.textContent = ` ${c.values[Number(c.input.value)]} `;
      }
      const known = config.precomputed[keyOf(p)];
      if (known) show(known, p, "precomputed (native ngspice)");
      else { readout.textContent = "No precomputed run here: press Simulate."; el.ntLiveResult = null; }
    }

    async function run() {
      const p = params();
      if (location.protocol === "file:") {
        status.textContent = `The live SPICE run needs the site served over http: run \`${config.serve_command}\` and open the address it prints.`;
        return;
      }
      button.disabled = true; el.dataset.state = "running";
      const begin = performance.now();
      let stage = "starting";
      const tick = setInterval(() => {
        status.textContent = `${stage}... ${((performance.now() - begin) / 1000).toFixed(1)} s`;
      }, 200);
      try {
        const simulated = simulate(config.kit, p, (s) => { stage = s; });
        preloadPlotly();
        const message = await simulated;
        const result = figures(message.vectors, p, config.neuron_supply_v);
        await show(result, p, "ngspice in this browser");
        el.ntLiveResult.seconds = (performance.now() - begin) / 1000;
        el.ntLiveResult.run_seconds = message.runSeconds;
        status.textContent = `Simulated in ${el.ntLiveResult.seconds.toFixed(1)} s (ngspice ${message.runSeconds.toFixed(1)} s).`;
        el.dataset.state = "done";
      } catch (error) {
        status.textContent = `The simulation failed: ${error.message}`;
        el.dataset.state = "error";
      } finally {
        clearInterval(tick); button.disabled = false;
      }
    }

    // The engine (about 6 MB gzipped) starts, loads the models and runs a short
    // warm-up transient once this explorer comes into view (or the reader
    // touches it), so the first run pays for the simulation only; a page whose
    // explorer is never scrolled to never loads it.  el.dataset.engine says
    // where that stands: "starting", then "ready" (or "error").
    let warmed = false;
    const warm = () => {
      if (warmed || location.protocol === "file:") return;
      warmed = true;
      el.dataset.engine = "starting";
      const p = params();
      const id = nextId++;
      pending.set(id, { progress: () => {}, done: (m) => {
        el.dataset.engine = m.type === "warm" ? "ready" : "error";
        preloadPlotly();
      } });
      getWorker().postMessage({ id, warm: true, kit: config.kit, params: p, vectors: VECTORS,
        modelsUrl: new URL(`_static/live/sky130-${p.corner}.json`, base).href });
    };
    whenVisible(el, warm);
    el.addEventListener("pointerdown", warm);
    el.addEventListener("focusin", warm);
    for (const c of Object.values(inputs)) c.input.addEventListener("input", refresh);
    button.addEventListener("click", run);
    el.ntLiveRun = run;
    refresh();
  }

  // Calls ``action`` once ``el`` is on the screen (at once without IntersectionObserver).
  function whenVisible(el, action) {
    if (!("IntersectionObserver" in window)) { action(); return; }
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) { observer.disconnect(); action(); }
    }, { rootMargin: "200px" });
    observer.observe(el);
  }

  function initAll() { document.querySelectorAll(".nt-live-explorer").forEach(init); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", initAll);
  else initAll();
})();
