"""The pretrained-model cache: safe for two writers, never follows a planted link."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
import torch

from ntlib import pretrain
from ntlib.cli import main
from ntlib.pretrain import (
    CacheDirError,
    cache_path,
    check_cache_dir,
    pretrained_source_model,
)
from ntlib.train import FitResult

#: A tiny invert task: 40 random 4 x 4 images of 4 classes, 8 of them for testing.
TINY_TASK = {"task": "invert", "n": 40, "shape": (1, 4, 4), "classes": 4,
             "test": 8, "dataset": "tiny"}


def _instant_fit(barrier: threading.Barrier | None = None):
    """A stand-in for training: moves one weight, then waits for the other writer."""

    def fit(model, dataset, epochs, seed=0, progress=False, **_):
        with torch.no_grad():
            next(model.parameters()).add_(1.0)
        if barrier is not None:
            barrier.wait(timeout=30)
        return FitResult(losses=[0.0] * epochs, train_seconds=0.0)

    return fit


def test_two_writers_of_one_entry_both_succeed(
    random_task, tmp_path, monkeypatch
) -> None:
    task = random_task(**TINY_TASK)
    monkeypatch.setattr(pretrain, "fit", _instant_fit(threading.Barrier(2)))
    # Both writers finish writing before either moves its file into place.
    saved = threading.Barrier(2)
    real_save = torch.save

    def save_then_wait(*args, **kwargs):
        real_save(*args, **kwargs)
        saved.wait(timeout=30)

    monkeypatch.setattr(pretrain.torch, "save", save_then_wait)
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            pretrained_source_model(task, width=2, epochs=1, cache_dir=tmp_path)
        except BaseException as error:  # noqa: BLE001 - recorded for the assert
            errors.append(error)

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    path = cache_path(task, 2, 1, 0, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
    state = torch.load(path, weights_only=True)
    model = pretrained_source_model(task, width=2, epochs=1, cache_dir=tmp_path)
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())


def test_planted_symlink_is_not_followed(random_task, tmp_path, monkeypatch) -> None:
    task = random_task(**TINY_TASK)
    monkeypatch.setattr(pretrain, "fit", _instant_fit())
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    cache = tmp_path / "cache"
    cache.mkdir()
    path = cache_path(task, 2, 1, 0, cache)
    planted = path.with_suffix(".tmp")  # the name an older version wrote to
    planted.symlink_to(victim)
    pretrained_source_model(task, width=2, epochs=1, cache_dir=cache)
    assert victim.read_text() == "precious\n"
    assert planted.is_symlink() and os.readlink(planted) == str(victim)
    assert path.is_file() and not path.is_symlink()
    torch.load(path, weights_only=True)
    assert sorted(p.name for p in cache.iterdir()) == sorted([path.name, planted.name])


def test_interrupted_save_leaves_no_file(random_task, tmp_path, monkeypatch) -> None:
    task = random_task(**TINY_TASK)
    monkeypatch.setattr(pretrain, "fit", _instant_fit())

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pretrain.torch, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pretrained_source_model(task, width=2, epochs=1, cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_epochs_zero_never_caches_an_untrained_network(random_task, tmp_path) -> None:
    with pytest.raises(ValueError, match="epochs must be at least 1, got 0"):
        pretrained_source_model(
            random_task(**TINY_TASK), width=2, epochs=0, cache_dir=tmp_path
        )
    assert list(tmp_path.iterdir()) == []


def _unwritable_dirs(tmp_path: Path) -> dict[str, Path]:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    return {"/sys": Path("/sys/x"), "file": a_file, "under a file": a_file / "sub"}


def test_bad_cache_dir_fails_before_training(
    random_task, tmp_path, monkeypatch
) -> None:
    def no_training(*_args, **_kwargs):
        raise AssertionError("trained before checking the cache folder")

    monkeypatch.setattr(pretrain, "fit", no_training)
    for case, folder in _unwritable_dirs(tmp_path).items():
        with pytest.raises(CacheDirError, match="cache directory") as error:
            pretrained_source_model(
                random_task(**TINY_TASK), width=2, epochs=1, cache_dir=folder
            )
        assert str(folder) in str(error.value), case
        with pytest.raises(CacheDirError):
            check_cache_dir(folder)


def test_directory_at_the_model_path_fails_before_training(random_task, 
    tmp_path, monkeypatch
) -> None:
    task = random_task(**TINY_TASK)
    monkeypatch.setattr(pretrain, "fit", _instant_fit())
    cache_path(task, 2, 1, 0, tmp_path).mkdir()
    with pytest.raises(CacheDirError, match="is not a file"):
        pretrained_source_model(task, width=2, epochs=1, cache_dir=tmp_path)


@pytest.mark.parametrize("command", ["transfer", "convert", "snn-transfer"])
def test_commands_check_the_cache_dir_first(command, tmp_path, monkeypatch, capsys):
    def no_work(*_args, **_kwargs):
        raise AssertionError("loaded data before checking the cache folder")

    for module in ("ntlib.cli.transfer", "ntlib.cli.convert"):
        monkeypatch.setattr(f"{module}.load_task", no_work)
    monkeypatch.setenv("NTLIB_CACHE_DIR", "/sys/x")
    assert main([command]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("error: cache directory /sys/x cannot be written")


def test_an_empty_cache_variable_means_the_default_folder(monkeypatch):
    from pathlib import Path

    from ntlib.circuits.cache import circuit_cache_dir
    from ntlib.pretrain import default_cache_dir

    monkeypatch.setenv("NTLIB_CACHE_DIR", "")
    assert default_cache_dir() == Path("~/.cache/ntlib").expanduser()
    assert circuit_cache_dir() == Path("~/.cache/ntlib/circuits").expanduser()


# --- One cache layer for models and circuits -------------------------------


def test_circuit_cache_does_not_import_pretrain():
    import subprocess
    import sys

    code = ("import sys, ntlib.circuits.cache\n"
            "print('ntlib.pretrain' in sys.modules)")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, check=True)  # fmt: skip
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize("content", [b"\xe7" * 100, b'"hello"', b"null", b"{}"])
def test_corrupt_circuit_entry_is_named_and_rebuilt(tmp_path, content):
    from ntlib.circuits.cache import cached_json, circuit_cache_dir

    assert cached_json("k-1", lambda: {"rate": 1.0}, tmp_path) == {"rate": 1.0}
    entry = circuit_cache_dir(tmp_path) / "k-1.json"
    entry.write_bytes(content)
    with pytest.warns(RuntimeWarning, match="k-1.json"):
        assert cached_json("k-1", lambda: {"rate": 2.0}, tmp_path) == {"rate": 2.0}
    assert cached_json("k-1", lambda: {"rate": 3.0}, tmp_path) == {"rate": 2.0}


def test_folder_at_a_key_path_is_one_error_before_work(tmp_path):
    from ntlib.cache import CacheDirError
    from ntlib.circuits.cache import cached_json, circuit_cache_dir

    (circuit_cache_dir(tmp_path) / "k-2.json").mkdir(parents=True)
    ran = []
    with pytest.raises(CacheDirError, match="k-2.json"):
        cached_json("k-2", lambda: ran.append(1), tmp_path)
    assert ran == []
    assert not list(tmp_path.rglob("*.tmp"))


def test_full_disk_is_one_line_naming_the_entry_and_leaves_no_temp(
    tmp_path, monkeypatch
):
    import errno

    from ntlib import cache
    from ntlib.pretrain import save_atomically

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cache.os, "replace", full)
    target = tmp_path / "model.pt"
    with pytest.raises(cache.CacheDirError, match="model.pt.*no space left") as info:
        save_atomically({"w": torch.zeros(3)}, target)
    assert "\n" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("case", ["file", "circuits-file", "long-name", "long-path"])
def test_bad_cache_folder_is_refused_before_work(tmp_path, case):
    from ntlib.cache import CacheDirError, check_cache_dir

    folder = {
        "file": tmp_path / "a-file",
        "circuits-file": tmp_path / "root",
        "long-name": tmp_path / ("n" * 300),
        "long-path": tmp_path / "/".join(["d" * 200] * 25),
    }[case]
    if case == "file":
        folder.write_text("x")
    if case == "circuits-file":
        folder.mkdir()
        (folder / "circuits").write_text("x")
    with pytest.raises(CacheDirError) as info:
        check_cache_dir(folder)
    assert "\n" not in str(info.value) and "cache directory" in str(info.value)


def test_empty_home_does_not_put_the_cache_at_the_root(monkeypatch):
    from ntlib.cache import default_cache_dir

    monkeypatch.setenv("HOME", "")
    monkeypatch.delenv("NTLIB_CACHE_DIR", raising=False)
    assert default_cache_dir() != Path("/.cache/ntlib")
    assert default_cache_dir().is_absolute()


def test_folders_are_0755_under_umask_000(tmp_path):
    import os

    from ntlib.cache import check_cache_dir

    old = os.umask(0)
    try:
        root = check_cache_dir(tmp_path / "a" / "b", "circuits")
    finally:
        os.umask(old)
    for folder in (tmp_path / "a", root, root / "circuits"):
        assert folder.stat().st_mode & 0o777 == 0o755


def test_cache_dir_option_covers_circuits(tmp_path, monkeypatch, capsys):
    from ntlib.cli import main

    monkeypatch.setenv("NTLIB_CACHE_DIR", str(tmp_path / "env"))
    (tmp_path / "opt").mkdir()
    (tmp_path / "opt" / "circuits").write_text("x")
    assert main(["mismatch", "--instances", "1", "--cache-dir",
                 str(tmp_path / "opt")]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "opt/circuits is not a folder" in err
