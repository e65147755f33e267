"""What the book's vector figures cost against PNGs: build time and bytes sent.

    .venv/bin/python benchmarks/bench_figure_format.py [--chapter 09_energy] [--repeat 2]

Executes one chapter (default: chapter 9, seven figures) with its figures as
SVG (:data:`ntlib.plotting.FIGURE_FORMAT`, the book's), as PNG at the
figure's 100 dpi (the book's earlier format) and as PNG at twice that
(``retina``: what a high-density screen needs from a raster), alternating, ``--repeat`` times
each.  Prints the median execution time of each and the bytes of the
chapter's figures as a server sends them (SVG gzipped at level 6, as
``bench_page_weight`` counts; PNG as it is).

Targets (issue: a navigable book): figures sharp on any screen, the build
time unchanged within 5 %, and pages within their weight limits.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import statistics
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
FORMATS = {
    "svg": 'ntlib.plotting.FIGURE_FORMAT = "svg"',
    "png": 'ntlib.plotting.FIGURE_FORMAT = "png"',
    "png 2x": 'ntlib.plotting.FIGURE_FORMAT = "retina"',
}


def run(chapter: Path, setup: str) -> tuple[float, int, int]:
    """Seconds to execute ``chapter`` after ``setup``; its figures and their bytes."""
    nb = nbformat.read(chapter, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell("import ntlib.plotting\n" + setup))
    client = NotebookClient(nb, timeout=1200, kernel_name="python3",
                            resources={"metadata": {"path": str(chapter.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    figures, sent = 0, 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            for mime, value in data.items():
                if mime.endswith("image/svg+xml"):
                    text = value if isinstance(value, str) else "".join(value)
                    figures, sent = figures + 1, sent + len(gzip.compress(
                        text.encode(), compresslevel=6))
                elif mime.endswith("image/png"):
                    figures, sent = figures + 1, sent + len(base64.b64decode(value))
    return seconds, figures, sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapter", default="09_energy")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    chapter = ROOT / "book" / f"{args.chapter}.ipynb"
    times: dict[str, list[float]] = {name: [] for name in FORMATS}
    shape: dict[str, tuple[int, int]] = {}
    for _ in range(args.repeat):
        for name, setup in FORMATS.items():
            seconds, figures, sent = run(chapter, setup)
            times[name].append(seconds)
            shape[name] = (figures, sent)
    base = statistics.median(times["png"])
    print(f"{args.chapter}, {args.repeat} runs of each format (median seconds)")
    for name in FORMATS:
        figures, sent = shape[name]
        median = statistics.median(times[name])
        print(f"  {name:12s} {median:6.1f} s ({100 * (median / base - 1):+.1f} % "
              f"against png); {figures} figures, {sent / 1e3:,.0f} kB sent")


if __name__ == "__main__":
    main()
