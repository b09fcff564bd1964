"""Training on several processes with PyTorch's own engine: `torchrun --nproc-per-node N -m digitrec train`.

Every process loads the same data and draws the same seeded epoch order; each takes its shard of every
epoch (every N-th image) in batches of batch_size / N, so one step of all N processes together sees the
batch that one process would. DistributedDataParallel averages the gradients (gloo on CPU, NCCL on GPU) and
keeps the weights identical; every process measures the same epoch the same way, so they agree on the best
epoch and on stopping early, and only rank 0 writes the checkpoint, the plots and what is printed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Shard:
    """Which process this is, of how many (torchrun's RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    local_world_size: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    def take(self, order: torch.Tensor) -> torch.Tensor:
        """This process's share of an epoch's order."""
        return order[self.rank :: self.world_size]

    def device(self, device: torch.device) -> torch.device:
        """Each process on a machine gets its own GPU; CPU processes share the CPU."""
        return torch.device("cuda", self.local_rank) if device.type == "cuda" else device

    def threads(self, cores: int) -> int:
        """The cores of the machine, shared among the processes on it."""
        return max(1, cores // self.local_world_size)


ALONE = Shard()


@contextmanager
def process_group(shard: Shard, device: torch.device) -> Iterator[None]:
    """The process group of a distributed run (none for a single process), torn down at the end."""
    if shard.world_size == 1:
        yield
        return
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(backend=backend)  # torchrun's MASTER_ADDR/PORT, RANK and WORLD_SIZE
    log.info("process %d of %d (%s)", shard.rank, shard.world_size, backend)
    try:
        yield
    finally:
        dist.destroy_process_group()


def wrap(model: nn.Module, shard: Shard, device: torch.device) -> nn.Module:
    """The module that trains: the model itself, or DistributedDataParallel around it."""
    if shard.world_size == 1:
        return model
    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)


def mean_over_processes(value: float, shard: Shard, device: torch.device) -> float:
    """The mean of a number every process computed (the training loss of its shard)."""
    if shard.world_size == 1:
        return value
    total = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(total)
    return float(total.item()) / shard.world_size
