"""Atomic checkpoint files and RNG state capture for exact resumption.

Checkpoints hold only tensors and plain Python values (the NumPy RNG state is stored as a list),
so `load` reads them with `torch.load(weights_only=True)`: a checkpoint file cannot run code.
Format 1 files (NumPy arrays in the RNG state) still load: the few NumPy globals needed to
rebuild an array are allow-listed, nothing else.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gan import io

FORMAT_VERSION = 2
CHECKPOINT_NAMES = ("last.pt", "best.pt")


class CheckpointError(ValueError):
    """A checkpoint file is missing or not one of ours."""


def save_atomic(payload: dict[str, Any], path: str | Path) -> Path:
    """torch.save to a temp file in the same folder, fsync, then rename over `path`.

    The file gets the umask's usual permissions; a failed write (e.g. a full disk) removes the
    temp file, leaves any previous `path` intact and raises `gan.io.OutputError` (one line).
    """
    return io.write_atomic(path, lambda fh: torch.save(payload, fh))


def remove_stale_temps(ckpt_dir: str | Path) -> list[Path]:
    """Delete `.last.pt.*.tmp` / `.best.pt.*.tmp` files that killed saves left in `ckpt_dir`."""
    return io.remove_stale_temps(ckpt_dir, CHECKPOINT_NAMES)


def iter_tensors(obj: Any, prefix: str = "") -> Iterator[tuple[str, torch.Tensor]]:
    """(dotted key, tensor) for every tensor in nested dicts/lists of a state dict."""
    if isinstance(obj, torch.Tensor):
        yield prefix, obj
    elif isinstance(obj, Mapping):
        for key, value in obj.items():
            yield from iter_tensors(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(obj, list | tuple):
        for i, value in enumerate(obj):
            yield from iter_tensors(value, f"{prefix}.{i}" if prefix else str(i))


def first_non_finite(state: Any) -> str | None:
    """Key of the first floating-point tensor holding NaN or inf (parameters, buffers,
    optimizer moments), or None when every value is finite."""
    for key, tensor in iter_tensors(state):
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            return key
    return None


def shape_mismatch(expected: Any, found: Any) -> tuple[str, tuple, tuple | None] | None:
    """First tensor whose shape differs between two nested state dicts (or is missing from
    `found`): (key, expected shape, found shape or None); None when all shapes agree."""
    have = {k: tuple(t.shape) for k, t in iter_tensors(found)}
    for key, tensor in iter_tensors(expected):
        if key not in have or have[key] != tuple(tensor.shape):
            return key, tuple(tensor.shape), have.get(key)
    return None


# What unpickling a NumPy array needs (format 1 RNG states); nothing that can run code.
_NUMPY_ARRAY_GLOBALS = [
    np.core.multiarray._reconstruct,
    np.ndarray,
    np.dtype,
    type(np.dtype(np.uint32)),
]


def load(path: str | Path) -> dict[str, Any]:
    """Load a checkpoint onto the CPU; CheckpointError if absent or malformed."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint file does not exist")
    try:
        with torch.serialization.safe_globals(_NUMPY_ARRAY_GLOBALS):
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch.load raises many types on bad files
        raise CheckpointError(f"{path}: not a readable checkpoint ({exc})") from exc
    if not isinstance(payload, dict) or "generator" not in payload:
        raise CheckpointError(f"{path}: not a fridge-train checkpoint (no 'generator' entry)")
    return payload


def rng_state() -> dict[str, Any]:
    """Global RNG states of Python, NumPy, torch CPU and CUDA."""
    name, keys, pos, has_gauss, cached = np.random.get_state()
    state = {
        "python": random.getstate(),
        "numpy": [name, keys.tolist(), pos, has_gauss, cached],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what `rng_state` returned."""
    random.setstate(state["python"])
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def resolve_resume(resume: str, run_dir: Path) -> Path | None:
    """Checkpoint to resume from: auto -> run_dir/checkpoints/last.pt if present, none, or a path."""
    if resume in ("none", "None", "", "null"):
        return None
    if resume == "auto":
        last = run_dir / "checkpoints" / "last.pt"
        return last if last.is_file() else None
    path = Path(resume).expanduser()
    if path.is_dir():
        path = (
            path / "checkpoints" / "last.pt"
            if (path / "checkpoints").is_dir()
            else path / "last.pt"
        )
    if not path.is_file():
        raise CheckpointError(f"trainer.resume: checkpoint {path} does not exist")
    return path
