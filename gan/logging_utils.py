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

    def session_start(self, params: Mapping[str, Any], metric_tags: list[str], step: int) -> None:
        """HParams entry written when training starts: the run shows in the HParams tab while
        it is alive, its metric columns read the scalars `metric_tags` as they are logged."""
        if self.writer is None:
            return
        exp, ssi, _ = hparams(hparam_values(params), dict.fromkeys(metric_tags, 0.0))
        file_writer = self.writer._get_file_writer()
        for summary in (exp, ssi):
            file_writer.add_summary(summary, step)
        self.writer.flush()

    def session_end(self, status: str, step: int, metrics: Mapping[str, float] = ()) -> None:
        """Close the HParams session: status success | failure | stopped (a resumable stop);
        `metrics` are written as scalars first (e.g. the final `hparams/*` values)."""
        if self.writer is None:
            return
        from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
        from tensorboard.plugins.hparams import api_pb2, metadata
        from tensorboard.plugins.hparams import plugin_data_pb2 as pd

        for key, value in dict(metrics).items():
            self.writer.add_scalar(key, float(value), step)
        code = {"success": "STATUS_SUCCESS", "failure": "STATUS_FAILURE"}.get(
            status, "STATUS_UNKNOWN"
        )
        content = pd.HParamsPluginData(
            session_end_info=pd.SessionEndInfo(status=api_pb2.Status.Value(code)),
            version=metadata.PLUGIN_DATA_VERSION,
        )
        meta = SummaryMetadata(
            plugin_data=SummaryMetadata.PluginData(
                plugin_name=metadata.PLUGIN_NAME, content=content.SerializeToString()
            )
        )
        tag = metadata.SESSION_END_INFO_TAG
        summary = Summary(value=[Summary.Value(tag=tag, metadata=meta)])
        self.writer._get_file_writer().add_summary(summary, step)
        self.writer.flush()

    def flush(self) -> None:
        """Flush pending events to disk."""
        if self.writer is not None:
            self.writer.flush()

    def close(self) -> None:
        """Flush and close the event file."""
        if self.writer is not None:
            self.writer.close()
