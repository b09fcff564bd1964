"""Augmentation on whole batches of 28x28 images, aimed at digits as other people draw and scan them.

Every image in a batch gets its own random change, and then the same normalisation that `preprocess_canvas`
gives every drawing at inference (ink box scaled to 20 px, centre of mass on the centre), so the network
trains on exactly the kind of input it will be shown:

1. an affine transform (slant, shear, a strong change of aspect: wide and narrow digits) with an elastic
   distortion (Simard et al. 2003), in one resampling;
2. thinner or thicker strokes (a blend towards an erosion or a dilation, never more than one 3x3 step:
   two, on top of a low-resolution scan, left blobs that were no digit any more);
3. for some images, the ink box stretched to a square, as scans normalised to fill their box do;
4. for some, a low-resolution scan: the digit shrunk to 6-16 px, sometimes binarised, then enlarged again.

Training leaves a share of the images as they are (`untouched`), so the network also sees digits in the form
MNIST's own preprocessing gives them, which is the form `preprocess_canvas` gives a drawing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F

from digitrec.domain.preprocessing import BOX, INK_THRESHOLD
from digitrec.domain.types.training import TrainConfig

SIDE = 28


@dataclass(frozen=True)
class Augmentation:
    """Ranges of the random changes; probabilities are per image."""

    rotation: float = math.radians(7)
    shear: float = 0.15
    aspect: tuple[float, float] = (0.9, 1.8)  # factor on width/height (log-uniform): mostly wider
    elastic: float = 0.6  # probability of an elastic distortion
    elastic_alpha: float = 0.08  # its strength, in units of half the image side
    thickness: tuple[float, float] = (-0.6, 1.0)  # < 0 erodes, > 0 dilates: at most one 3x3 step
    fill_box: float = 0.08  # probability of stretching the ink box to a square
    low_resolution: float = 0.15  # probability of a low-resolution scan
    resolution: tuple[int, int] = (8, 16)  # pixels across the digit's box in such a scan
    binarise: float = 0.5  # of the low-resolution scans, how many are binarised
    untouched: float = 0.0  # probability of leaving an image as it came (training: TRAINING.untouched)


def uniform(n: int, low: float, high: float, g: torch.Generator, device: torch.device) -> torch.Tensor:
    return torch.rand(n, generator=g, device=device) * (high - low) + low


def chance(n: int, p: float, g: torch.Generator, device: torch.device) -> torch.Tensor:
    return torch.rand(n, generator=g, device=device) < p


def interpolation_matrix(coarse: int, device: torch.device) -> torch.Tensor:
    """(SIDE, coarse) weights that enlarge `coarse` samples to SIDE by linear interpolation."""
    position = torch.linspace(0, coarse - 1, SIDE, device=device)
    return torch.clamp(1 - (position[:, None] - torch.arange(coarse, device=device)).abs(), min=0)


def elastic_field(n: int, alpha: float, g: torch.Generator, device: torch.device) -> torch.Tensor:
    """(n, 28, 28, 2) smooth random displacements: noise on a coarse 4x4 grid, enlarged (two small matrix
    products, much faster on a CPU than `interpolate`)."""
    coarse = torch.randn(n, 2, 4, 4, generator=g, device=device) * alpha
    k = interpolation_matrix(4, device)
    return (k @ coarse @ k.T).permute(0, 2, 3, 1)


def warp(x: torch.Tensor, aug: Augmentation, g: torch.Generator) -> torch.Tensor:
    n, dev = x.shape[0], x.device
    angle = uniform(n, -aug.rotation, aug.rotation, g, dev)
    shear = uniform(n, -aug.shear, aug.shear, g, dev)
    aspect = torch.exp(uniform(n, math.log(aug.aspect[0]), math.log(aug.aspect[1]), g, dev))
    cos, sin = torch.cos(angle), torch.sin(angle)
    sx, sy = 1.0 / aspect.sqrt(), aspect.sqrt()  # affine_grid maps output -> input
    zero = torch.zeros_like(angle)
    theta = torch.stack(
        [
            torch.stack([cos * sx, (shear * cos - sin) * sx, zero], 1),
            torch.stack([sin * sy, (shear * sin + cos) * sy, zero], 1),
        ],
        1,
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    bent = chance(n, aug.elastic, g, dev).view(n, 1, 1, 1)
    grid = grid + bent * elastic_field(n, aug.elastic_alpha, g, dev)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def dilate(x: torch.Tensor) -> torch.Tensor:
    """3x3 maximum filter, as two 3-tap passes over shifted views (a 1-channel max_pool2d is slow on CPUs)."""
    padded = F.pad(x, (1, 1, 1, 1), value=float(x.min()))
    rows = torch.maximum(torch.maximum(padded[..., :-2, :], padded[..., 1:-1, :]), padded[..., 2:, :])
    return torch.maximum(torch.maximum(rows[..., :-2], rows[..., 1:-1]), rows[..., 2:])


def change_thickness(x: torch.Tensor, aug: Augmentation, g: torch.Generator) -> torch.Tensor:
    n = x.shape[0]
    amount = uniform(n, *aug.thickness, g, x.device).view(n, 1, 1, 1)
    dilated, eroded = dilate(x), -dilate(-x)
    return torch.where(amount > 0, x + amount * (dilated - x), x + amount * (x - eroded))


def normalise(x: torch.Tensor, square: torch.Tensor | None = None) -> torch.Tensor:
    """What `preprocess_canvas` does, for a batch: drop faint ink, scale the ink box's longer side to BOX px
    (both sides, where `square` is set), put the centre of mass on the centre, scale the peak to 1."""
    n = x.shape[0]
    ink = torch.where(x > INK_THRESHOLD, x, torch.zeros_like(x))[:, 0]
    rows, cols = ink.amax(2) > 0, ink.amax(1) > 0  # (n, 28) each
    has_ink = rows.any(1)
    index = torch.arange(SIDE, device=x.device, dtype=x.dtype)
    top, left = first_true(rows), first_true(cols)
    height = SIDE - first_true(rows.flip(1)) - top
    width = SIDE - first_true(cols.flip(1)) - left
    mass = ink.sum((1, 2)).clamp_min(1e-6)
    cy = (ink.sum(2) * (index + 0.5)).sum(1) / mass
    cx = (ink.sum(1) * (index + 0.5)).sum(1) / mass
    longer = torch.maximum(height, width).clamp_min(1)
    scale_y, scale_x = BOX / longer, BOX / longer
    if square is not None:
        scale_y = torch.where(square, BOX / height.clamp_min(1), scale_y)
        scale_x = torch.where(square, BOX / width.clamp_min(1), scale_x)
    half, centre = SIDE / 2, SIDE / 2 + 0.5  # pixel coordinate p <-> grid coordinate p / half - 1
    zero = torch.zeros_like(cx)
    theta = torch.stack(
        [
            torch.stack([1 / scale_x, zero, (cx - centre / scale_x) / half - 1 + 1 / scale_x], 1),
            torch.stack([zero, 1 / scale_y, (cy - centre / scale_y) / half - 1 + 1 / scale_y], 1),
        ],
        1,
    )
    grid = F.affine_grid(theta, [n, 1, SIDE, SIDE], align_corners=False)
    out = F.grid_sample(ink[:, None], grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    out = out / out.amax((2, 3), keepdim=True).clamp_min(1e-6)
    return torch.where(has_ink.view(n, 1, 1, 1), out, x)


def first_true(flags: torch.Tensor) -> torch.Tensor:
    """Index of the first True in each row (0 for a row without any)."""
    return flags.to(torch.uint8).argmax(1).to(torch.float32)


def low_resolution(x: torch.Tensor, aug: Augmentation, g: torch.Generator) -> torch.Tensor:
    """The digit (normalised: BOX px across) as a coarse scan, enlarged back to 28x28 and normalised again;
    the images not picked for a scan come back as they were (they are normalised already)."""
    n, dev = x.shape[0], x.device
    out, scanned = x.clone(), torch.zeros(n, dtype=torch.bool, device=dev)
    sizes = range(aug.resolution[0], aug.resolution[1] + 1, 2)
    for pixels in sizes:  # a few sizes, a batch op each
        picked = chance(n, aug.low_resolution / len(sizes), g, dev) & ~scanned
        if not picked.any():
            continue
        side = max(2, round(pixels * SIDE / BOX))
        small = F.adaptive_avg_pool2d(x[picked], side)
        threshold = uniform(len(small), 0.25, 0.55, g, dev).view(-1, 1, 1, 1)
        binary = chance(len(small), aug.binarise, g, dev).view(-1, 1, 1, 1)
        small = torch.where(binary, (small > threshold * small.amax((2, 3), keepdim=True)).float(), small)
        mode = "nearest" if pixels % 4 == 0 else "bilinear"
        out[picked] = F.interpolate(small, size=(SIDE, SIDE), mode=mode)
        scanned |= picked
    if scanned.any():
        out[scanned] = normalise(out[scanned])
    return out


# What training batches get: every change, with `TrainConfig.untouched` (40%) of the images left as they
# are (fine-tuning: `FineTuneConfig.untouched`). Against changing every image, a quarter left as they are
# gave MNIST test 99.54% against 99.48% (mean of three default runs on a CPU without bf16) and more
# validation non-digits refused; 40% then gave a lower mean validation loss (three seeds), the development
# drawings read about as well, and cheaper epochs (docs/what-works.md).
TRAINING = Augmentation(untouched=TrainConfig.untouched)


def augment_batch(x: torch.Tensor, g: torch.Generator, aug: Augmentation = Augmentation()) -> torch.Tensor:
    """A different random change for every image of `x` (N, 1, 28, 28), then the app's normalisation; with
    `aug.untouched`, that share of the images (drawn at random) comes back as it went in, and only the rest
    is worked on."""
    if aug.untouched > 0:
        changed = ~chance(x.shape[0], aug.untouched, g, x.device)
        out = x.clone()
        if changed.any():
            out[changed] = augment_batch(x[changed], g, replace(aug, untouched=0.0))
        return out
    out = change_thickness(warp(x, aug, g), aug, g).clamp_(0.0, 1.0)
    out = normalise(out, square=chance(x.shape[0], aug.fill_box, g, x.device))
    return low_resolution(out, aug, g)
