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
GENERATOR_EXPORT = "generator.safetensors"  # beside last.pt: the translator alone


class CheckpointError(ValueError):
    """A checkpoint file is missing or not one of ours."""


def save_atomic(payload: dict[str, Any], path: str | Path) -> Path:
    """torch.save to a temp file in the same folder, fsync, then rename over `path`.

    The file gets the umask's usual permissions; a failed write (e.g. a full disk) removes the
    temp file, leaves any previous `path` intact and raises `gan.io.OutputError` (one line).
    """
    return io.write_atomic(path, lambda fh: torch.save(payload, fh))


def remove_stale_temps(ckpt_dir: str | Path) -> list[Path]:
    """Delete `.last.pt.*.tmp` / `.best.pt.*.tmp` / `.generator.safetensors.*.tmp` files that
    killed saves left in `ckpt_dir`."""
    return io.remove_stale_temps(ckpt_dir, (*CHECKPOINT_NAMES, GENERATOR_EXPORT))


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


def save_generator_safetensors(export: dict, path: str | Path, info: dict) -> Path:
    """Write a generator export (`{"spec", "state_dict"}`) as safetensors, atomically.

    The spec (JSON) and `info` (model name, step, ...) go into the file's metadata, so
    `load_generator_export` rebuilds the network from this one file. Loading it runs no code.
    """
    import json

    from safetensors.torch import save

    meta = {"format": "fridge-synth generator", "spec": json.dumps(export["spec"])}
    meta.update({k: json.dumps(v) for k, v in info.items()})
    data = save(export["state_dict"], metadata=meta)
    return io.write_atomic(path, lambda fh: fh.write(data))


def load_generator_export(path: str | Path) -> tuple[dict, dict]:
    """(export dict `{"spec", "state_dict"}`, info) from a `.safetensors` generator export or
    from a checkpoint's source-to-target generator; CheckpointError if unusable."""
    import json

    path = Path(path).expanduser()
    if path.suffix != ".safetensors":
        payload = load(path)
        info = {"model": payload.get("model_name"), "step": payload.get("step")}
        return payload["generator"], info
    if not path.is_file():
        raise CheckpointError(f"{path}: generator export does not exist")
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as fh:
            meta = fh.metadata() or {}
            weights = {k: fh.get_tensor(k) for k in fh.keys()}  # noqa: SIM118
        if meta.get("format") != "fridge-synth generator" or "spec" not in meta:
            raise CheckpointError(f"{path}: not a fridge-synth generator export (no spec)")
        spec = json.loads(meta["spec"])
        info = {k: json.loads(v) for k, v in meta.items() if k not in ("format", "spec")}
    except CheckpointError:
        raise
    except Exception as exc:  # noqa: BLE001 - safetensors/json raise many types on bad files
        raise CheckpointError(f"{path}: not a readable generator export ({exc})") from exc
    return {"spec": spec, "state_dict": weights}, info


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
