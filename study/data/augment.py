"""Data augmentation on the device: one random distortion per image, in one batch.

Every image gets its own random affine transform (rotation, shift, zoom) and, as an option,
an elastic distortion (Simard et al., "Best practices for convolutional neural networks
applied to visual document analysis", ICDAR 2003): a random displacement field smoothed by a
Gaussian. Both become one sampling grid, so the image is resampled once.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def _gaussian_kernel(sigma: float, device: torch.device) -> torch.Tensor:
    radius = max(1, math.ceil(3 * sigma))
    t = torch.arange(-radius, radius + 1, device=device, dtype=torch.float32)
    kernel = torch.exp(-0.5 * (t / sigma) ** 2)
    return kernel / kernel.sum()


def elastic_field(n: int, height: int, width: int, generator: torch.Generator, *,
                  alpha: float, sigma: float, device: torch.device) -> torch.Tensor:
    """(n, height, width, 2) displacements in grid units ([-1, 1] spans the image): uniform
    noise in [-1, 1] per pixel, smoothed by a Gaussian of `sigma` pixels, scaled so that a
    displacement of `alpha` means `alpha` pixels before smoothing (Simard et al.)."""
    noise = torch.rand(n * 2, 1, height, width, generator=generator, device=device) * 2 - 1
    kernel = _gaussian_kernel(sigma, device)
    pad = len(kernel) // 2
    # Separable blur: rows, then columns.
    smooth = F.conv2d(F.pad(noise, (pad, pad, 0, 0), mode="reflect"), kernel.view(1, 1, 1, -1))
    smooth = F.conv2d(F.pad(smooth, (0, 0, pad, pad), mode="reflect"), kernel.view(1, 1, -1, 1))
    pixels = alpha * smooth.view(n, 2, height, width).permute(0, 2, 3, 1)
    return pixels * torch.tensor([2.0 / width, 2.0 / height], device=device)


def random_distortion(x: torch.Tensor, generator: torch.Generator, *, rotation: float,
                      translate: float, scale: float, background: float,
                      elastic_alpha: float = 0.0, elastic_sigma: float = 4.0) -> torch.Tensor:
    """Rotate by up to `rotation` degrees, shift by up to `translate` of the image size, zoom
    by up to `scale` and, if `elastic_alpha` > 0, distort elastically, with independent draws
    for every image of the batch.

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
    if elastic_alpha > 0:
        grid = grid + elastic_field(n, x.shape[2], x.shape[3], generator, alpha=elastic_alpha,
                                    sigma=elastic_sigma, device=x.device)
    moved = F.grid_sample(x.float() - background, grid, mode="bilinear",
                          padding_mode="zeros", align_corners=False)
    return (moved + background).to(x.dtype)
