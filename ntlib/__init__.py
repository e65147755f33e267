"""ntlib: the library behind the book *Neuromodulatory Tuning*.

Neuromodulatory tuning (NT) keeps every weight of a pretrained network frozen
and learns a new, similar task only through a supplemental bias on each
neuron.  The modules follow the book's path, one topic each:

``data`` -> ``models`` -> ``tuning`` -> ``train`` -> ``snn`` -> ``circuits``,
with ``energy``, ``plotting`` and ``widgets`` reading from them.
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
