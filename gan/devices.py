"""The one device choice: `auto | cpu | cuda` config values to a `torch.device`."""

from __future__ import annotations

import torch

from gan.config import ConfigError, require_choice

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def select_device(name: str, key: str = "device", local_rank: int = 0) -> torch.device:
    """`auto` picks CUDA when present, else the CPU; `cuda` without a GPU is a one-line
    ConfigError naming `key`. On CUDA the process's device becomes `cuda:local_rank`
    (its torchrun rank on this machine)."""
    require_choice(key, name, DEVICE_CHOICES)
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"{key}: cuda requested but no CUDA device is available")
    if name == "cuda" or (name == "auto" and torch.cuda.is_available()):
        torch.cuda.set_device(local_rank)
        return torch.device("cuda", local_rank)
    return torch.device("cpu")
