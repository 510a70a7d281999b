"""Outputs are written atomically: a crash or a full disk never leaves a file that looks
complete, and the command line says what happened in one line."""

from __future__ import annotations

import errno
from pathlib import Path

import numpy as np
import pytest

from study import io
from study.cli import main


def test_a_full_disk_leaves_no_file_that_looks_complete(tmp_path: Path, monkeypatch,
                                                        capsys) -> None:
    """The disk fills up in the middle of a write: the previous file is intact, no partial
    file is left, and the command line says so in one line."""
    target = tmp_path / "split.npz"
    io.save_npz(target, a=np.arange(3))
    before = target.read_bytes()

    def full_disk(handle, **arrays):
        handle.write(b"PK\x03\x04 half an archive")
        raise OSError(errno.ENOSPC, "No space left on device", str(handle.name))

    monkeypatch.setattr(np, "savez", full_disk)
    with pytest.raises(OSError):
        io.save_npz(target, a=np.arange(5))
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["split.npz"]

    images = tmp_path / "train.npz"
    monkeypatch.undo()
    io.save_npz(images, images=np.zeros((20, 28, 28), np.uint8),
                labels=np.arange(20, dtype=np.uint8) % 10)
    monkeypatch.setattr(np, "savez", full_disk)
    with pytest.raises(SystemExit) as exit_:
        main(["split", "--train", str(images), "--n-val", "10", "--out",
              str(tmp_path / "new_split.npz")])
    assert exit_.value.code == 1
    message = capsys.readouterr().err.strip()
    assert message.startswith("error: no space left on the device") and "\n" not in message
    assert not (tmp_path / "new_split.npz").exists()
    assert not list(tmp_path.glob("*.part"))
