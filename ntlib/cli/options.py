"""The options several commands share, as argparse types and ``add_*`` helpers.

Each option is spelled, typed and documented once, so that every command
refuses a bad value the same way, before any work, with one line and exit
code 2 (see :func:`ntlib.cli.main`):

- :func:`choice`: one name of a list, with the one "unknown name" message of
  :func:`ntlib.checks.check_choice`;
- :func:`finite_float`, :func:`positive_float`, :func:`learning_rate`: floats
  that are numbers (``inf`` and ``nan`` are refused);
- :func:`int_from`: integers within limits (seeds, draws, sizes).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Collection

from ntlib.checks import MAX_DRAWS, MAX_SEED, check_choice

#: How the seed limit reads in messages and help.
SEED_RANGE = f"0 to 2**32 - 1 = {MAX_SEED}"
#: The largest learning rate torch can hold: training runs in float32.
MAX_LR = 3.4e38


def choice(kind: str, valid: Collection[str]) -> Callable[[str], str]:
    """argparse type: one of ``valid``, else :func:`~ntlib.checks.check_choice`'s error.

    Example:
        >>> choice("task", ("noise", "invert"))("noise")
        'noise'
    """

    def parse(text: str) -> str:
        try:
            return check_choice(kind, text, valid)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse


def finite_float(text: str) -> float:
    """argparse type: a float that is a finite number (not ``inf`` or ``nan``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number; got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number; got {text!r}")
    return value


def learning_rate(text: str) -> float:
    """argparse type: a learning rate, a finite number > 0 that float32 can hold."""
    value = positive_float(text)
    if value > MAX_LR:
        raise argparse.ArgumentTypeError(
            f"must be at most {MAX_LR:g}, the largest float32 (torch trains in "
            f"float32); got {text!r}: use a learning rate such as 0.01"
        )
    return value


def int_from(low: int, high: int, high_text: str | None = None) -> Callable[[str], int]:
    """argparse type: an integer from ``low`` to ``high`` (shown as ``high_text``).

    Example:
        >>> int_from(0, 10)("3")
        3
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be an integer; got {text!r}"
            ) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"must be an integer from {low} to {high_text or f'{high:,}'}; "
                f"got {text!r}"
            )
        return value

    return parse


def positive_float(text: str) -> float:
    """argparse type: a finite float greater than zero."""
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than zero; got {text!r}")
    return value


def add_choice(
    parser: argparse.ArgumentParser,
    option: str,
    kind: str,
    valid: Collection[str],
    default: str,
    help: str = "",
) -> None:
    """An option that takes one name of ``valid``, with the list in its help."""
    parser.add_argument(
        option,
        type=choice(kind, valid),
        default=default,
        help=f"{help + '; ' if help else ''}one of {', '.join(valid)} "
        f"(default: {default})",
    )


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the result as one strict JSON object on the last line of stdout "
        "(a value that is not a finite number is written as null)",
    )


def add_seed_option(parser: argparse.ArgumentParser, what: str) -> None:
    """--seed, an integer from 0 to :data:`~ntlib.checks.MAX_SEED` (every command)."""
    parser.add_argument(
        "--seed",
        type=int_from(0, MAX_SEED, "2**32 - 1 = 4294967295"),
        default=0,
        help=f"seed of {what} ({SEED_RANGE})",
    )


def add_jobs_option(parser: argparse.ArgumentParser, capped_at: str) -> None:
    """--jobs: worker processes, capped at ``capped_at`` and the CPU count."""
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help=f"worker processes; capped at {capped_at} and the CPU count",
    )


def add_draws_option(
    parser: argparse.ArgumentParser, option: str, minimum: int, default: int, help: str
) -> None:
    """A count of Monte Carlo draws (--chips, --instances), at most MAX_DRAWS."""
    parser.add_argument(
        option,
        type=int_from(minimum, MAX_DRAWS),
        default=default,
        help=f"{help} ({minimum} to {MAX_DRAWS:,})",
    )


def add_circuit_options(
    parser: argparse.ArgumentParser, corners: Collection[str]
) -> None:
    """--corner and --temp-c of every command that simulates the circuit."""
    add_choice(parser, "--corner", "corner", corners, "tt", "process corner")
    parser.add_argument(
        "--temp-c",
        type=finite_float,
        default=27.0,
        help="temperature in degrees Celsius, within the models' range (default 27)",
    )


def add_data_options(
    parser: argparse.ArgumentParser,
    tasks: Collection[str] | None = None,
    download: bool = True,
) -> None:
    """--dataset, --data-dir, --download (if ``download``) and --task."""
    from ntlib.data import DATASETS, TASKS

    add_choice(parser, "--dataset", "data set", DATASETS, "digits",
               "data set (digits: embedded, no files needed)")  # fmt: skip
    parser.add_argument("--data-dir", default=None, help="torchvision data folder")
    if download:
        parser.add_argument("--download", action="store_true",
                            help="let torchvision download missing files")  # fmt: skip
    add_choice(parser, "--task", "task", tasks or TASKS, "noise", "transfer task")


#: argparse type: a positive integer (sizes, epochs).
positive_int = int_from(1, 2**31 - 1, "2**31 - 1")


def add_network_options(parser: argparse.ArgumentParser) -> None:
    """--width and --pretrain-epochs of the source CNN (positive integers)."""
    from ntlib.models import DEFAULT_WIDTH
    from ntlib.pretrain import DEFAULT_PRETRAIN_EPOCHS

    parser.add_argument("--width", type=positive_int, default=DEFAULT_WIDTH,
                        help=f"first layer's channels (default {DEFAULT_WIDTH})")
    parser.add_argument("--pretrain-epochs", type=positive_int,
                        default=DEFAULT_PRETRAIN_EPOCHS,
                        help="epochs of pretraining on the source task")  # fmt: skip


def add_torch_options(parser: argparse.ArgumentParser, device_help: str) -> None:
    """--device, --threads and --json of the commands that run torch."""
    parser.add_argument("--device", default="cpu", help=device_help)
    add_threads_option(parser)
    add_json_flag(parser)


def add_tuning_options(parser: argparse.ArgumentParser) -> None:
    """--lr, --seed and --cache-dir of the commands that tune a network."""
    parser.add_argument(
        "--lr",
        type=learning_rate,
        default=None,
        help="learning rate, a finite number > 0 (default: per method)",
    )
    add_seed_option(parser, "the tuning run")
    parser.add_argument("--cache-dir", default=None, help="pretrained model cache")


def add_threads_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="CPU threads for torch (default 1: small networks gain nothing from "
        "more, and lose much when the cores are shared)",
    )


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """--input, --input-seed and --max-step of the single neuron's transients."""
    from ntlib.circuits.inputs import INPUT_MODES, MAX_STEP_RANGE_S

    add_choice(parser, "--input", "input mode", INPUT_MODES, "poisson",
               "input spike train (poisson: seeded; periodic: locks the rate)")
    parser.add_argument(
        "--input-seed",
        type=int_from(0, MAX_SEED, "2**32 - 1 = 4294967295"),
        default=0,
        help=f"seed of the Poisson input train ({SEED_RANGE})",
    )
    low, high = MAX_STEP_RANGE_S
    parser.add_argument(
        "--max-step",
        type=float_in(low, high),
        default=None,
        help=f"maximum transient step (s), {low:g}-{high:g}; default: the "
        "library's, chosen by a convergence study",
    )


def float_in(low: float, high: float) -> Callable[[str], float]:
    """argparse type: a finite float from ``low`` to ``high``.

    Example:
        >>> float_in(0.0, 1.0)("0.5")
        0.5
    """

    def parse(text: str) -> float:
        value = positive_float(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"must lie in {low:g}-{high:g}; got {text!r}"
            )
        return value

    return parse
