"""TensorBoard logging for a run folder: scalars, image grids, HParams summary."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch.utils.tensorboard import SummaryWriter
from torch.utils.tensorboard.summary import hparams


def flatten(cfg: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mapping -> {'a.b.c': value}; lists become strings."""
    out: dict[str, Any] = {}
    for key, value in cfg.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def hparam_values(cfg: Mapping[str, Any]) -> dict[str, bool | int | float | str]:
    """Config flattened to TensorBoard-compatible hyperparameter values."""
    out: dict[str, bool | int | float | str] = {}
    for key, value in flatten(cfg).items():
        out[key] = value if isinstance(value, bool | int | float | str) else str(value)
    return out


def image_grid(batch: torch.Tensor, ncol: int = 4, pad: int = 2) -> torch.Tensor:
    """Tile (N, 3, H, W) images in [-1, 1] into one (3, H', W') image in [0, 1]."""
    batch = batch.detach().float().cpu().clamp(-1, 1).add(1).div(2)
    n, c, h, w = batch.shape
    ncol = max(1, min(ncol, n))
    nrow = -(-n // ncol)
    grid = torch.zeros(c, nrow * (h + pad) + pad, ncol * (w + pad) + pad)
    for i in range(n):
        r, col = divmod(i, ncol)
        top, left = pad + r * (h + pad), pad + col * (w + pad)
        grid[:, top : top + h, left : left + w] = batch[i]
    return grid


class RunLogger:
    """Writes one TensorBoard event file into the run folder; a no-op when disabled (rank > 0)."""

    def __init__(self, run_dir: Path, enabled: bool = True, purge_step: int | None = None) -> None:
        self.writer = (
            SummaryWriter(log_dir=str(run_dir), purge_step=purge_step) if enabled else None
        )

    def scalars(self, values: Mapping[str, float], step: int, prefix: str = "") -> None:
        """One scalar per key, tagged `prefix + key`."""
        if self.writer is None:
            return
        for key, value in values.items():
            self.writer.add_scalar(f"{prefix}{key}", float(value), step)

    def images(self, grids: Mapping[str, torch.Tensor], step: int, prefix: str = "images/") -> None:
        """Each (N, 3, H, W) batch in [-1, 1] as one grid image."""
        if self.writer is None:
            return
        for key, batch in grids.items():
            self.writer.add_image(f"{prefix}{key}", image_grid(batch), step)

    def hparams(self, params: Mapping[str, Any], metrics: Mapping[str, float], step: int) -> None:
        """HParams plugin entry in this run's event file (metrics also written as scalars)."""
        if self.writer is None:
            return
        exp, ssi, sei = hparams(hparam_values(params), dict(metrics))
        file_writer = self.writer._get_file_writer()
        for summary in (exp, ssi, sei):
            file_writer.add_summary(summary, step)
        for key, value in metrics.items():
            self.writer.add_scalar(key, float(value), step)

    def flush(self) -> None:
        """Flush pending events to disk."""
        if self.writer is not None:
            self.writer.flush()

    def close(self) -> None:
        """Flush and close the event file."""
        if self.writer is not None:
            self.writer.close()
