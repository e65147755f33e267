// The live explorer's netlist writer: joins the pieces of ntlib.live_spice.netlist_kit
// (build_netlist's own text, cut where a slider changes it) for one set of slider
// values.  tests/test_live_spice.py checks its output equals build_netlist's text;
// tests/test_live_worker.py checks the warm-up netlist and ngspice's commands.

/** A number as Python's str(float) writes it (the supplies' "DC 1.2", "DC 0.0"). */
export function pyFloat(value) {
  const text = String(value);
  return /[.e]/.test(text) ? text : `${text}.0`;
}

/** The kit's key of one input train (ntlib.live_spice.train_key). */
export function trainKey(mode, rateHz, seed, durationS) {
  return `${mode}|${pyG(rateHz)}|${mode === "poisson" ? seed : 0}|${pyG(durationS)}`;
}

/** Python's format(value, "g") for the kit's rates and durations. */
export function pyG(value) {
  let text = Number(value.toPrecision(6)).toString();
  const exponent = Math.floor(Math.log10(Math.abs(value)));
  if (value !== 0 && (exponent < -4 || exponent >= 6)) {
    const [mantissa, power] = Number(value).toExponential().split("e");
    const digits = Number(Number(mantissa).toPrecision(6)).toString();
    const sign = power.startsWith("-") ? "-" : "+";
    const magnitude = power.replace(/^[-+]/, "").padStart(2, "0");
    text = `${digits}e${sign}${magnitude}`;
  }
  return text;
}

function pulse(kit, p, line, idle, active) {
  if (p.input_mode === "periodic") {
    const timing = kit.periodic[`${pyG(p.input_rate_hz)}|${pyG(p.duration_s)}`];
    if (timing === undefined) throw new Error(`no periodic train at ${p.input_rate_hz} Hz`);
    return `V${line} ${line} 0 DC ${idle} PULSE(${idle} ${active} ${timing}`;
  }
  const key = trainKey("poisson", p.input_rate_hz, p.input_seed, p.duration_s);
  const corners = kit.trains[key];
  if (corners === undefined) throw new Error(`no input train ${key} in the page`);
  const g = (v) => (Number(v) === 0 ? "0" : kit.logic_v);
  const levels = [g(idle), g(active), g(active), g(idle)];
  const points = [`0 ${g(idle)}`, ...corners.map((t, i) => `${t} ${levels[i % 4]}`)];
  const rows = [];
  for (let i = 0; i < points.length; i += 8) rows.push(points.slice(i, i + 8).join(" "));
  return `V${line} ${line} 0 PWL(${rows.join("\n+ ")})`;
}

/** The input lines of ntlib.circuits.netlist_sky130.input_lines. */
function inputLines(kit, p) {
  const code = p.weight_code;
  const logic = pyFloat(Number(kit.logic_v));
  const lines = ["* input spikes: digital lines into the gate drivers"];
  for (let bit = 0; bit < 3; bit += 1) {
    const selected = ((Math.abs(code) >> bit) & 1) === 1;
    lines.push(selected && code > 0 ? pulse(kit, p, `inp${bit}`, "0.0", logic)
      : `Vinp${bit} inp${bit} 0 DC 0`);
    lines.push(selected && code < 0 ? pulse(kit, p, `inn${bit}`, logic, "0.0")
      : `Vinn${bit} inn${bit} 0 DC ${logic}`);
  }
  return lines.join("\n");
}

/**
 * The netlist of one transient.  p: {corner, supply_v, weight_code, bias_supply_v,
 * bias_sink_supply_v, input_rate_hz, input_mode, input_seed, duration_s}.
 */
export function writeNetlist(kit, p) {
  const head = kit.head[p.corner];
  const tail = kit.tail[pyG(p.duration_s)];
  if (head === undefined || tail === undefined) {
    throw new Error(`the page has no netlist for corner ${p.corner}, ${p.duration_s} s`);
  }
  const flags = `${p.bias_supply_v > 0 ? 1 : 0}${p.bias_sink_supply_v > 0 ? 1 : 0}`;
  const supplies = kit.supplies.replace(/\{(\w+)\}/g, (_, name) => pyFloat(p[name]));
  return [head, kit.subckt[flags], "* power domains", supplies, inputLines(kit, p),
    "* the neuron", kit.neuron, tail].join("\n");
}

/** The stop time of a warm-up transient (s): long enough to pass a few input pulses. */
export const WARM_STOP_S = 2e-5;

/**
 * The netlist of a short warm-up transient of the same circuit (its result is
 * never shown): ``writeNetlist``'s text with the ``.tran`` stop time cut to
 * ``stopS``, so that a run compiles ngspice's hot code before the reader's run.
 */
export function warmNetlist(kit, p, stopS = WARM_STOP_S) {
  const netlist = writeNetlist(kit, p);
  const warm = netlist.replace(/^(\.tran\s+\S+\s+)\S+/im, `$1${stopS}`);
  if (warm === netlist) throw new Error("the netlist has no .tran line to shorten");
  return warm;
}

/**
 * The commands ngspice runs for one transient: eecircuit-engine's own list
 * (source, destroy the last run's plots, run, write out.raw) with only
 * ``vectors`` saved and written, instead of every node voltage and branch
 * current (137 vectors of which the page reads 11).  Saving does not change
 * the time steps or the values of the saved vectors.
 */
export function runCommands(vectors) {
  const names = vectors.filter((name) => name.toLowerCase() !== "time").join(" ");
  return [" ", "source test.cir", "destroy all", `save ${names}`, "run",
    `write out.raw ${names}`];
}
