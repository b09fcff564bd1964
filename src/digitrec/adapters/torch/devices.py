"""Where training runs: the device (CUDA when torch sees one, else the CPU), whether it runs bf16, and
waiting for it."""

from __future__ import annotations

import functools

import torch

from digitrec.domain.types.errors import DeviceUnavailable


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise DeviceUnavailable("--device cuda was asked for, but torch sees no CUDA device here")
    if name not in ("cpu", "cuda"):
        raise DeviceUnavailable(f"device must be auto, cpu or cuda, got {name!r}")
    return torch.device(name)


@functools.cache
def use_bf16(device: torch.device) -> bool:
    """bf16 autocast where the hardware has it: GPUs of compute capability 8.0 on (Ampere, Hopper, ...) and
    ROCm's, and CPUs with AVX-512 BF16 or AMX (oneDNN then runs the convolutions about twice as fast as in
    float32). Older GPUs (Volta, Turing) have no bf16 arithmetic of their own (torch only emulates it): they
    train in float32."""
    if device.type == "cuda":
        return bool(torch.version.hip) or torch.cuda.get_device_capability(device)[0] >= 8
    return device.type == "cpu" and bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
