"""ntlib: the library behind the book *Neuromodulatory Tuning*.

Neuromodulatory tuning (NT) keeps every weight of a pretrained network frozen
and learns a new, similar task only through a supplemental bias on each
neuron.  The modules follow the book's path, one topic each; a module imports
only from its own row and the rows above it (``tests/test_architecture.py``
checks it), and names the chapter that explains it by its key in
:mod:`ntlib.chapters`:

- plumbing: ``checks`` (argument checks), ``seed``, ``machine`` (is ngspice
  there?), ``cache`` (the disk cache), ``parallel`` (worker processes),
  ``chapters`` (the chapters' keys), ``verdict`` (the paper's claims scored
  from the numbers that measure them);
- data: ``datasets`` (the digits, torchvision's sets), ``data_checks`` (their
  files), ``data`` (source and target tasks);
- networks: ``models`` (the CNNs), ``qcfs`` (a quantised-clip activation),
  ``lif`` (the ideal LIF neuron);
- ``modulation``: the modulatory bias and gain on each neuron, inserted and
  folded;
- ``tuning``: the table of transfer methods, ``prepare`` and parameter counts;
- training: ``train`` (the epoch loop), ``memory_lean`` (frozen layers that
  keep no activations), ``pretrain`` (source models, cached), ``transfer``
  (one experiment);
- spiking networks: ``conversion`` (ANN to SNN), ``snn`` (running one),
  ``snn_checks``, ``snn_train`` (NT inside an SNN), ``quantise`` (3-bit
  weights), ``activity`` (spikes and events per layer);
- ``circuits``: the analog neuron in SPICE (``process`` is the registry of
  transistor processes, ``inputs`` the input spike trains);
- ``energy``: energy per inference against digital hardware;
- ``chip``: a network on a chip of analog neurons (``design``, ``simulator``,
  ``cost``, ``calibrate``; ``ledger``, ``area`` and ``digital``: every cost of
  an inference, the chip's area, and the digital alternative as a range; ``circuit_model``, ``measurements``, ``summary``
  and ``twin``: the behavioural neuron, its SPICE measurements, its table and
  its event-driven single-neuron form; ``drivers``, ``slices``, ``spice_layer`` and
  ``spice_check``: every layer's slice in SPICE, its lines' drivers sized);
- readers of everything: ``plotting``, ``widgets``, ``static_explorer``,
  ``live_spice`` and ``live_explorer`` (the neuron's netlist and SKY130 models
  for ngspice in the reader's browser, and the explorer that runs it) and
  ``cli`` (``python -m ntlib``, through ``__main__``).
"""

from ntlib.machine import NgspiceNotFoundError, ngspice_status, require_ngspice
from ntlib.seed import set_seed

__version__ = "0.1.0"

__all__ = [
    "NgspiceNotFoundError",
    "__version__",
    "ngspice_status",
    "require_ngspice",
    "set_seed",
]
