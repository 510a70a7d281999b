"""Data augmentation on the device: one random affine transform per image, in one batch."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def random_affine(x: torch.Tensor, generator: torch.Generator, *, rotation: float,
                  translate: float, scale: float, background: float) -> torch.Tensor:
    """Rotate by up to `rotation` degrees, shift by up to `translate` of the image size and
    zoom by up to `scale`, with independent draws for every image of the batch.

    `background` is the value of an empty pixel after standardisation, used to fill the
    border that moves into view.
    """
    n = x.shape[0]

    def uniform(low: float, high: float) -> torch.Tensor:
        u = torch.rand(n, generator=generator, device=x.device, dtype=torch.float32)
        return low + (high - low) * u

    angle = uniform(-rotation, rotation) * (math.pi / 180.0)
    zoom = uniform(1.0 - scale, 1.0 + scale)
    # affine_grid maps output to input coordinates in [-1, 1]: the image spans 2 units.
    shift_x = uniform(-2 * translate, 2 * translate)
    shift_y = uniform(-2 * translate, 2 * translate)
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.stack(
        [torch.stack([cos, -sin, shift_x], dim=1), torch.stack([sin, cos, shift_y], dim=1)], dim=1
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    moved = F.grid_sample(x.float() - background, grid, mode="bilinear",
                          padding_mode="zeros", align_corners=False)
    return (moved + background).to(x.dtype)
