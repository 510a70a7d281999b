"""Checkpoints that rebuild their model by themselves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from study.io import atomic_path
from study.models import create_model


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
    """The model in evaluation mode on `device`, and the checkpoint's metadata."""
    payload = torch.load(path, map_location=device, weights_only=True)
    model = create_model(payload["architecture"], **payload["model_kwargs"])
    model.load_state_dict(payload.pop("state_dict"))
    return model.to(device).eval(), payload
