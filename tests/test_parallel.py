"""Grids in worker processes give the numbers of a plain loop (chapters 2 and 6)."""

from __future__ import annotations

from functools import partial

import pytest
import torch

from ntlib.parallel import close_pools, run_calls, shared_pool
from ntlib.pretrain import cache_path, pretrained_sources
from ntlib.snn_train import compare_spiking
from ntlib.transfer import seeded_sources, tune


#: Every test here spawns worker processes, which import torch: seconds each.
pytestmark = pytest.mark.slow


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(),
                                                 b.state_dict().values(), strict=True))


@pytest.fixture(autouse=True, scope="module")
def _stop_workers():
    yield
    close_pools()  # the workers of these tests hold memory until pytest ends


def test_run_calls_keeps_the_order_in_processes():
    calls = [partial(pow, 2, n) for n in range(5)]
    assert run_calls(calls, 2) == run_calls(calls, 1) == [1, 2, 4, 8, 16]


def test_workers_are_kept_and_replaced_after_an_error():
    run_calls([partial(pow, 2, 1), partial(pow, 2, 2)], 2)
    pool = shared_pool(2)
    assert run_calls([partial(pow, 3, 1), partial(pow, 3, 2)], 2) == [3, 9]
    assert shared_pool(2) is pool  # no new workers for the next grid
    with pytest.raises(ZeroDivisionError):
        run_calls([partial(divmod, 1, 1), partial(divmod, 1, 0)], 2)
    assert shared_pool(2) is not pool
    assert run_calls([partial(pow, 2, 3), partial(pow, 2, 4)], 2) == [8, 16]
    fresh = shared_pool(2)
    close_pools()
    assert shared_pool(2) is not fresh


def test_tasks_on_the_same_source_share_one_pretraining(tmp_path, one_thread):
    data = seeded_sources("digits", ("noise", "rotate", "class-split"), (0, 1),
                          width=2, epochs=1, processes=2, cache_dir=tmp_path)
    assert list(data) == [(t, s) for t in ("noise", "rotate", "class-split")
                          for s in (0, 1)]
    # noise and rotate start from the clean digits: 2 sources per seed, not 3
    assert len(list(tmp_path.glob("*.pt"))) == 4
    for seed in (0, 1):
        noise, rotate = data["noise", seed][1], data["rotate", seed][1]
        assert same_weights(noise, rotate)
    # the network pretrained in a worker is the one pretrained here
    again = pretrained_sources([(data["noise", 1][0], 2, 1, 1)], 1, tmp_path / "here")
    assert same_weights(again[0], data["noise", 1][1])
    assert cache_path(data["noise", 1][0], 2, 1, 1, tmp_path).is_file()


def test_tuning_grid_in_processes_matches_the_loop(tmp_path, one_thread):
    data = seeded_sources("digits", ("noise",), (0, 1), width=2, epochs=1,
                          cache_dir=tmp_path)
    calls = [partial(tune, source, target, method, "unit", epochs=1, seed=seed)
             for (_, seed), (target, source) in data.items()
             for method in ("nt", "tft")]
    parallel, serial = run_calls(calls, 2), run_calls(calls, 1)
    keys = ("method", "seed", "target_test_acc")
    assert [{k: row[k] for k in keys} for _, row in parallel] == \
        [{k: row[k] for k in keys} for _, row in serial]
    assert [row["method"] for _, row in serial] == ["nt", "tft", "nt", "tft"]
    for (model_p, _), (model_s, _) in zip(parallel, serial):
        assert same_weights(model_p, model_s)


def test_spiking_grid_in_processes_matches_the_loop(tmp_path, one_thread):
    data = seeded_sources("digits", ("noise",), (0, 1), width=2, epochs=1,
                          cache_dir=tmp_path)
    calls = [partial(compare_spiking, source, target, runs=[("nt", "surrogate")],
                     seeds=[seed], timesteps=2, epochs=1)
             for (_, seed), (target, source) in data.items()]
    keys = ("task", "seed", "target_test_acc", "spikes_per_inference")
    parallel, serial = run_calls(calls, 2), run_calls(calls, 1)
    assert [[{k: r[k] for k in keys} for r in rows] for rows in parallel] == \
        [[{k: r[k] for k in keys} for r in rows] for rows in serial]


_DRIVER = """
import signal, sys, time
from functools import partial

# As in a terminal: a job started in the background (make test &) inherits
# SIGINT ignored, and Python then leaves it ignored.
signal.signal(signal.SIGINT, signal.default_int_handler)
import ntlib.cli.info as info
from ntlib.parallel import run_calls

def run(args):
    run_calls([partial(pow, 2, 1), partial(pow, 2, 2)], 2)  # workers up
    print("running", file=sys.stderr, flush=True)
    run_calls([partial(time.sleep, 60), partial(time.sleep, 60)], 2)
    return 0

info.run = run
from ntlib.cli import EXIT_INTERRUPTED, EXIT_TERMINATED, exit_at_once, main
if __name__ == "__main__":
    code = main(["info"])
    if code in (EXIT_INTERRUPTED, EXIT_TERMINATED):
        exit_at_once(code)
    sys.exit(code)
"""


def _group_alive(pgid: int) -> list[int]:
    import subprocess

    out = subprocess.run(["ps", "-eo", "pid=,pgid=,stat="], capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    return [int(p) for p, g, st in (ln.split()[:3] for ln in out.splitlines())
            if int(g) == pgid and not st.startswith("Z")]  # fmt: skip


#: The driver on a loaded machine: stopping the workers takes a second, so
#: a second Ctrl-C lands while they are being stopped.
_SLOW_STOP = """
import time
import ntlib.parallel as parallel
_stop = parallel.stop_workers
def slow_stop(pool):
    time.sleep(1.0)
    _stop(pool)
parallel.stop_workers = slow_stop
"""


@pytest.mark.parametrize(("signals", "slow"), [(("SIGINT", "SIGINT"), False),
                                               (("SIGTERM",), False),
                                               (("SIGINT", "SIGINT"), True)])
def test_a_signal_stops_the_workers_at_once(tmp_path, signals, slow):
    """Ctrl-C twice or SIGTERM: rc 130/143, one line, no process left 2 s later.

    ``slow``: the second Ctrl-C arrives while the workers are being stopped;
    it must not cut that short and leave them running.
    """
    import os
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "driver.py"
    script.write_text((_SLOW_STOP if slow else "") + _DRIVER)
    process = subprocess.Popen([sys.executable, str(script)], text=True,
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                               start_new_session=True)  # fmt: skip
    try:
        assert process.stderr is not None
        assert process.stderr.readline().strip() == "running"
        time.sleep(0.5)
        sent = time.monotonic()
        for name in signals:
            if name == "SIGINT":
                os.killpg(process.pid, signal.SIGINT)  # Ctrl-C: the whole group
            else:
                process.send_signal(signal.SIGTERM)  # the parent only
            time.sleep(0.2)
        # The time it takes is a benchmark's figure (probe_bad_input.py); here
        # only a hang fails, even on a loaded machine.
        process.wait(timeout=30)
        assert time.monotonic() - sent < 30
        err = process.stderr.read()
        assert process.returncode == (130 if signals[0] == "SIGINT" else 143)
        assert err.strip().count("\n") == 0 and err.startswith("interrupted:"), err
        time.sleep(2)
        assert _group_alive(process.pid) == []
    finally:
        for pid in _group_alive(process.pid):
            os.kill(pid, signal.SIGKILL)


_IMPORTING_WORKER = """
import builtins, os, signal, sys
from ntlib import cache, parallel

unfinished = sys.argv[1]
open(unfinished, "w").close()
cache._UNFINISHED.add(unfinished)
signal.signal(signal.SIGTERM, parallel._stop_worker)

def _in_an_import(*args, **kwargs):  # a SIGTERM while the worker imports torch
    os.kill(os.getpid(), signal.SIGTERM)  # a second one arrives meanwhile
    raise ImportError("the handler must not import")

builtins.__import__ = _in_an_import
os.kill(os.getpid(), signal.SIGTERM)
signal.pause()
"""


def test_a_worker_stopped_mid_import_exits_quietly(tmp_path):
    """SIGTERM, twice, while a worker imports: rc 143, no output, no temporary file."""
    import subprocess
    import sys

    unfinished = tmp_path / ".entry.tmp"
    done = subprocess.run([sys.executable, "-c", _IMPORTING_WORKER, str(unfinished)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert (done.returncode, done.stderr) == (143, "")
    assert not unfinished.exists()
