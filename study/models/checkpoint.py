"""Checkpoints that rebuild their model by themselves."""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

from study.errors import CheckpointError, ConfigError
from study.io import atomic_path
from study.models.registry import create_model

REQUIRED = ("architecture", "model_kwargs", "state_dict")


def save_checkpoint(path: str | Path, model: nn.Module, *, architecture: str,
                    model_kwargs: dict[str, Any], **metadata: Any) -> None:
    """Save weights with what rebuilds them: architecture, its arguments, config, code version."""
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    payload = {"architecture": architecture, "model_kwargs": model_kwargs,
               "state_dict": state, "torch": str(torch.__version__), **metadata}
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_checkpoint(path: str | Path, device: torch.device | str = "cpu"
                    ) -> tuple[nn.Module, dict[str, Any]]:
    """The model in evaluation mode on `device`, and the checkpoint's metadata.

    Anything that is not a study checkpoint (another file, a truncated one, a pickle that
    would run code: `weights_only` refuses it) raises CheckpointError naming the file.
    """
    path = Path(path)
    what_to_do = "pass a model.pt written by `python -m study train`"
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found; {what_to_do}.")
    if not zipfile.is_zipfile(path):  # torch.save writes a zip archive
        raise CheckpointError(f"{path}: not a study checkpoint (not a PyTorch archive: another "
                              f"kind of file, or a truncated one); {what_to_do}.")
    try:
        payload = torch.load(path, map_location=device, weights_only=True)
    except Exception as err:  # torch.load fails in many ways on foreign bytes; all mean this
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        if isinstance(err, pickle.UnpicklingError):
            reason = "it holds objects other than tensors and plain data, refused unloaded"
        raise CheckpointError(f"{path}: not a study checkpoint ({reason}); {what_to_do}."
                              ) from err
    if not isinstance(payload, dict) or any(key not in payload for key in REQUIRED):
        raise CheckpointError(f"{path}: not a study checkpoint (no architecture, arguments "
                              f"and weights in it); {what_to_do}.")
    try:
        model = create_model(payload["architecture"], **payload["model_kwargs"])
    except (ConfigError, TypeError) as err:
        raise CheckpointError(f"{path}: cannot rebuild its model ({err}); {what_to_do}."
                              ) from err
    state = payload.pop("state_dict")
    mismatch = _state_mismatch(model.state_dict(), state)
    if mismatch:
        raise CheckpointError(f"{path}: its weights do not fit a {payload['architecture']!r} "
                              f"model ({mismatch}); {what_to_do}.")
    model.load_state_dict(state)
    return model.to(device).eval(), payload


def _state_mismatch(expected: dict[str, Any], found: Any) -> str:
    """What differs between two state dicts, in a few words ('' if they fit)."""
    if not isinstance(found, dict):
        return "no weights"
    missing = sorted(expected.keys() - found.keys())
    unexpected = sorted(found.keys() - expected.keys())
    reshaped = sorted(k for k in expected.keys() & found.keys()
                      if getattr(found[k], "shape", None) != expected[k].shape)
    parts = [f"{len(keys)} {what}, e.g. {keys[0]}" for keys, what in
             [(missing, "missing"), (unexpected, "unexpected"), (reshaped, "of another shape")]
             if keys]
    return "; ".join(parts)
