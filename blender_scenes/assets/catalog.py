"""User asset catalogs: YAML files mapping food classes to model files (pure Python, no Blender).

A catalog looks like::

    classes:
      milk_bottle:
        - file: models/milk.glb   # relative to the catalog's folder
          height: 0.25            # metres; or `longest: 0.3` or `scale: 1.0`
          up: Y                   # the model's up axis in the file's own coordinates
          poses: [upright, side]  # upright | side | any
          weight: 1.0
          object: null            # .blend only: object or collection name to take
          hue_jitter: 0.0         # max hue shift (0..0.5) of the materials per instance
          texture: tex/milk.png   # optional: image box-projected onto the model (replaces its
                                  # materials; for UV-less files such as STL)

Optional extra fields: ``footprint`` (circle|box; default: circle when Blender measured the
upright model round in top view, else box; lying items are always boxes), ``stackable`` (default
false) and ``licence`` (or ``license``: the model's licence, e.g. "CC-BY-4.0 Jane Doe"; it goes
into the scene description and the batch's dataset card); unknown fields are kept in ``extra``.

``up`` defaults to Y for OBJ, glTF/GLB and FBX and to Z for PLY, STL and .blend. glTF and FBX
importers already turn Y-up files into Blender's Z-up; the others are imported without any axis
change, so ``up`` always names the axis in the file's coordinates.

Sizes need the model's proportions, which only Blender can read: ``importers.measure_catalog``
measures every entry once (its bounding box after the up-axis turn, in file units) and
``attach_measurements`` stores them in the Catalog, optionally via a JSON sidecar
(``save_measurements``/``load_measurements``) so that sampling stays pure and deterministic.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from .. import files

log = logging.getLogger(__name__)

FORMATS: dict[str, str] = {
    ".obj": "obj",
    ".gltf": "gltf",
    ".glb": "gltf",
    ".ply": "ply",
    ".stl": "stl",
    ".fbx": "fbx",
    ".blend": "blend",
}
DEFAULT_UP: dict[str, str] = {
    "obj": "Y", "gltf": "Y", "fbx": "Y", "ply": "Z", "stl": "Z", "blend": "Z",
}  # fmt: skip
SIZE_KEYS = ("height", "longest", "scale")
POSES = ("upright", "side")
POSE_WORDS = (*POSES, "any")
FOOTPRINTS = ("circle", "box")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tga", ".tif", ".tiff", ".exr", ".webp")
MAX_SIZE_M = 1.5
MIN_SIZE_M = 0.005
KNOWN_KEYS = frozenset(
    {
        "file",
        *SIZE_KEYS,
        "up",
        "poses",
        "weight",
        "object",
        "hue_jitter",
        "footprint",
        "stackable",
        "texture",
        "licence",
        "license",
    }
)
SIDE_ROTATION_DEG = [0.0, 90.0, 0.0]  # lying down: the model's up axis along X


class CatalogError(ValueError):
    """A catalog that cannot be used; the message names the file, class and entry."""


@dataclass(frozen=True)
class CatalogEntry:
    """One model file of one class, with how to size and pose it."""

    cls: str
    index: int
    file: str  # absolute path
    fmt: str
    size_key: str  # height | longest | scale
    size_value: float
    up: str = "Z"
    poses: tuple[str, ...] = ("upright",)
    weight: float = 1.0
    object: str | None = None
    hue_jitter: float = 0.0
    footprint: str | None = None
    stackable: bool = False
    texture: str | None = None  # absolute path of an image box-projected onto the model
    licence: str | None = None  # the model's licence (for the dataset card), if given
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Stable id of the entry within its catalog: ``class/index``."""
        return f"{self.cls}/{self.index}"


@dataclass
class Catalog:
    """Entries per class, plus the measured raw dimensions per entry key once measured."""

    path: str
    classes: dict[str, list[CatalogEntry]]
    dims: dict[str, list[float]] = field(default_factory=dict)
    round: dict[str, bool] = field(default_factory=dict)  # round in top view when upright

    @property
    def entries(self) -> list[CatalogEntry]:
        """All entries, class by class."""
        return [e for entries in self.classes.values() for e in entries]

    @property
    def measured(self) -> bool:
        """Whether every entry has its dimensions."""
        return all(e.key in self.dims for e in self.entries)


MeasureHook = Callable[[Catalog], list[str]]  # problems only Blender can see, one line each

# --------------------------------------------------------------------------------------------
# Loading and validation


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that reports duplicate mapping keys instead of silently keeping the last."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    """Build a mapping, recording duplicate keys on the loader."""
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            loader.duplicates.append((key, key_node.start_mark.line + 1))
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _read_yaml(path: Path) -> tuple[Any, list[tuple[Any, int]]]:
    """Parsed YAML document and the duplicate keys found in it."""
    with open(path, encoding="utf-8") as f:
        loader = _UniqueKeyLoader(f)
        loader.duplicates = []
        try:
            return loader.get_single_data(), loader.duplicates
        finally:
            loader.dispose()


def _number(value: Any) -> float | None:
    """A finite float, or None when `value` is not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _check_size(raw: dict, where: str, problems: list[str]) -> tuple[str, float]:
    """The size spec of an entry; appends problems for missing, multiple or absurd sizes."""
    given = [k for k in SIZE_KEYS if raw.get(k) is not None]
    if not given:
        problems.append(f"{where}: missing size spec (one of {', '.join(SIZE_KEYS)})")
        return "scale", 1.0
    if len(given) > 1:
        problems.append(f"{where}: give only one of {', '.join(SIZE_KEYS)}, got {', '.join(given)}")
    key = given[0]
    value = _number(raw[key])
    if value is None:
        problems.append(f"{where}: {key} must be a number, got {raw[key]!r}")
        return key, 1.0
    if key == "scale":
        if value <= 0:
            problems.append(f"{where}: absurd size: scale {value:g} must be > 0")
    elif not MIN_SIZE_M <= value <= MAX_SIZE_M:
        problems.append(
            f"{where}: absurd size: {key} {value:g} m outside {MIN_SIZE_M:g}..{MAX_SIZE_M:g} m"
        )
    return key, value


def _check_poses(raw: dict, where: str, problems: list[str]) -> tuple[str, ...]:
    """Allowed resting poses; `any` means upright and side."""
    poses = raw.get("poses", ["upright"])
    if isinstance(poses, str):
        poses = [poses]
    if not isinstance(poses, list) or not poses:
        problems.append(f"{where}: poses must be a non-empty list of {', '.join(POSE_WORDS)}")
        return ("upright",)
    out: list[str] = []
    for p in poses:
        if p not in POSE_WORDS:
            problems.append(f"{where}: unknown pose {p!r} (use {', '.join(POSE_WORDS)})")
        for q in POSES if p == "any" else (p,) if p in POSES else ():
            if q not in out:
                out.append(q)
    return tuple(out) or ("upright",)


def _check_file(raw: dict, base: Path, where: str, problems: list[str]) -> tuple[Path, str]:
    """Absolute model path and format; appends problems for missing or unsupported files."""
    name = raw.get("file")
    if not isinstance(name, str) or not name:
        problems.append(f"{where}: missing `file`")
        return base, "obj"
    path = (base / name).resolve()
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        problems.append(
            f"{where}: unsupported format {path.suffix or '(none)'!r} of {name} "
            f"(use {', '.join(sorted(FORMATS))})"
        )
        fmt = "obj"
    if not path.is_file():
        problems.append(f"{where}: missing file {path}")
    return path, fmt


def _check_options(raw: dict, fmt: str, where: str, problems: list[str]) -> dict[str, Any]:
    """The remaining entry fields (up, weight, object, hue_jitter, footprint, stackable)."""
    up = str(raw.get("up", DEFAULT_UP[fmt])).upper()
    if up not in ("Y", "Z"):
        problems.append(f"{where}: bad up axis {raw.get('up')!r} (use Y or Z)")
        up = DEFAULT_UP[fmt]
    weight = _number(raw.get("weight", 1.0))
    if weight is None or weight <= 0:
        problems.append(f"{where}: weight must be a positive number, got {raw.get('weight')!r}")
        weight = 1.0
    obj = raw.get("object")
    if obj is not None and not isinstance(obj, str):
        problems.append(f"{where}: object must be a name, got {obj!r}")
        obj = None
    if fmt == "blend" and not obj:
        problems.append(f"{where}: .blend file without `object` (object or collection name)")
    hue = _number(raw.get("hue_jitter", 0.0))
    if hue is None or not 0 <= hue <= 0.5:
        problems.append(f"{where}: hue_jitter must be in 0..0.5, got {raw.get('hue_jitter')!r}")
        hue = 0.0
    footprint = raw.get("footprint")
    if footprint is not None and footprint not in FOOTPRINTS:
        problems.append(f"{where}: footprint must be circle or box, got {footprint!r}")
        footprint = None
    stackable = raw.get("stackable", False)
    if not isinstance(stackable, bool):
        problems.append(f"{where}: stackable must be true or false, got {stackable!r}")
        stackable = False
    licence = raw.get("licence", raw.get("license"))
    if "licence" in raw and "license" in raw:
        problems.append(f"{where}: give licence or license, not both")
    if licence is not None and (not isinstance(licence, str) or not licence.strip()):
        problems.append(f"{where}: licence must be a non-empty text, got {licence!r}")
        licence = None
    return {"up": up, "weight": weight, "object": obj, "hue_jitter": hue,
            "footprint": footprint, "stackable": stackable,
            "licence": licence.strip() if licence else None}  # fmt: skip


def texture_problem(path: str | Path) -> str | None:
    """Why an existing texture file cannot be used (empty, unreadable, not an image), or None.

    Pure Python: the image is decoded with Pillow (OpenEXR files are only checked for their magic
    number). Blender shows textures it cannot read in magenta, so these are worth catching early.
    """
    from PIL import Image, features

    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as e:
        return f"texture {path} is unreadable ({e.strerror or e})"
    if size == 0:
        return f"texture {path} is empty (0 bytes)"
    suffix = path.suffix.lower()
    if suffix == ".exr":
        return None if head.startswith(b"v/1\x01") else f"texture {path} is not an OpenEXR image"
    if suffix == ".webp" and not features.check("webp"):
        return None  # this Pillow cannot decode WebP; Blender checks it at render time
    try:
        with Image.open(path) as im:
            if im.width * im.height <= 2**26:
                im.load()  # full decode: catches truncated files
            else:
                im.verify()
    except Image.DecompressionBombError:
        return None  # very large, but an image
    except Exception as e:  # noqa: BLE001 - any decoder failure means Blender cannot use it either
        reason = files.first_line(str(e)) or type(e).__name__
        return f"texture {path} is not a readable image ({reason})"
    return None


def _check_texture(
    raw: dict, base: Path, where: str, problems: list[str], soft: list[str]
) -> str | None:
    """Absolute path of the optional texture image; appends problems if missing or no image.

    A texture that exists but cannot be decoded goes to `soft`: validation reports it, rendering
    falls back to the default material with a warning.
    """
    name = raw.get("texture")
    if name is None:
        return None
    path = (base / str(name)).resolve()
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        problems.append(f"{where}: texture {name} is not an image ({', '.join(IMAGE_SUFFIXES)})")
    elif not path.is_file():
        problems.append(f"{where}: missing texture {path}")
    else:
        bad = texture_problem(path)
        if bad:
            soft.append(f"{where}: {bad}")
    return str(path)


def _parse_entry(
    cls: str, index: int, raw: Any, base: Path, where: str, problems: list[str], soft: list[str]
) -> CatalogEntry | None:
    """One entry, or None when it is not even a mapping."""
    if not isinstance(raw, dict):
        problems.append(f"{where}: entry must be a mapping with `file`, got {raw!r}")
        return None
    path, fmt = _check_file(raw, base, where, problems)
    size_key, size_value = _check_size(raw, where, problems)
    poses = _check_poses(raw, where, problems)
    opts = _check_options(raw, fmt, where, problems)
    texture = _check_texture(raw, base, where, problems, soft)
    extra = {k: v for k, v in raw.items() if k not in KNOWN_KEYS}
    return CatalogEntry(
        cls=cls, index=index, file=str(path), fmt=fmt, size_key=size_key,
        size_value=size_value, poses=poses, texture=texture, extra=extra, **opts,
    )  # fmt: skip


def _parse(path: Path) -> tuple[Catalog | None, list[str], list[str]]:
    """Catalog, every problem found in the file at `path`, and soft problems (bad textures).

    The catalog is None when the file cannot be read as a catalog at all; its problem is last.
    """
    name = str(path)
    try:
        doc, duplicates = _read_yaml(path)
    except UnicodeDecodeError:
        return None, [f"{name}: not a YAML text file (binary, or not UTF-8 text)"], []
    except OSError as e:
        return None, [f"{name}: unreadable catalog: {e.strerror or e}"], []
    except yaml.YAMLError as e:
        first = files.first_line(str(e)) or type(e).__name__
        return None, [f"{name}: unreadable YAML: {first}"], []
    problems = [f"{name}: duplicate class {k!r} (line {line})" for k, line in duplicates]
    classes = doc.get("classes") if isinstance(doc, dict) else None
    if not isinstance(classes, dict) or not classes:
        return None, [*problems, f"{name}: needs a non-empty `classes:` mapping"], []
    soft: list[str] = []
    base = path.resolve().parent
    out: dict[str, list[CatalogEntry]] = {}
    for cls, raw_entries in classes.items():
        where_cls = f"{name}: class {cls}"
        if not isinstance(cls, str) or not cls:
            problems.append(f"{where_cls}: class names must be non-empty strings")
            continue
        if isinstance(raw_entries, dict):
            raw_entries = [raw_entries]
        if not isinstance(raw_entries, list) or not raw_entries:
            problems.append(f"{where_cls}: needs a list of entries")
            continue
        entries = []
        for i, raw in enumerate(raw_entries):
            where = f"{where_cls} entry {i} ({raw.get('file') if isinstance(raw, dict) else '?'})"
            entry = _parse_entry(cls, i, raw, base, where, problems, soft)
            if entry is not None:
                entries.append(entry)
        out[cls] = entries
    return Catalog(path=str(path.resolve()), classes=out), problems, soft


def catalog_file_problem(path: str | Path) -> str | None:
    """One line when the file at `path` cannot be read as a catalog at all, else None.

    Covers a missing file, a folder, a binary or non-UTF-8 file, broken YAML and a document
    without a `classes:` mapping; problems of single entries are `validate_catalog`'s.
    """
    path = Path(path)
    if path.is_dir():
        return f"{path}: is a folder, not a catalog YAML file"
    catalog, problems, _ = _parse(path)
    return problems[-1] if catalog is None else None


def _importable(entry: CatalogEntry) -> bool:
    """Whether an entry's file exists with a known format (and a name for .blend)."""
    path = Path(entry.file)
    known = path.suffix.lower() in FORMATS
    return path.is_file() and known and (entry.fmt != "blend" or bool(entry.object))


def validate_catalog(path: str | Path, measure: MeasureHook | None = None) -> list[str]:
    """Every problem of the catalog at `path`, one line each naming file, class and entry.

    `measure` (e.g. ``importers.measure_problems``, which needs Blender) also checks what only an
    import can show, such as empty meshes, on every entry whose file can be imported.
    """
    path = Path(path)
    catalog, problems, soft = _parse(path)
    problems = problems + soft
    if measure is not None and catalog is not None:
        flagged = {p.split(" (", 1)[0] for p in problems}
        usable = {
            c: [
                e
                for e in es
                if _importable(e) and f"{path}: class {c} entry {e.index}" not in flagged
            ]
            for c, es in catalog.classes.items()
        }
        problems += measure(Catalog(path=catalog.path, classes=usable))
    return problems


def load_catalog(path: str | Path) -> Catalog:
    """The catalog at `path`, with its sidecar measurements when current; CatalogError if bad.

    Textures that exist but cannot be read are no error here: each gets a warning, and the
    importer renders its model with the default material instead (validation reports them).
    """
    catalog, problems, soft = _parse(Path(path))
    if problems or catalog is None:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise CatalogError(problems[0] + more)
    for line in soft:
        log.warning("%s: rendering it with the default material", line)
    dims, rounds = load_measurements(catalog)
    if dims:
        attach_measurements(catalog, dims, rounds)
    return catalog


# --------------------------------------------------------------------------------------------
# Measurements (raw dimensions per entry, from importers.measure_catalog)


def sidecar_path(catalog: Catalog) -> Path:
    """Where the measurements of a catalog are cached: ``<catalog>.measured.json``."""
    p = Path(catalog.path)
    return p.with_name(p.name + ".measured.json")


def fingerprint(entry: CatalogEntry) -> str:
    """What the measurement of an entry depends on: file, size, mtime, up axis, object."""
    try:
        st = Path(entry.file).stat()
        stamp = f"{st.st_size}:{st.st_mtime_ns}"
    except OSError:
        stamp = "missing"
    return f"{entry.file}|{stamp}|{entry.up}|{entry.object}|{entry.texture}"


def attach_measurements(
    catalog: Catalog, dims: dict[str, list[float]], rounds: dict[str, bool] | None = None
) -> Catalog:
    """Store raw dimensions (and roundness) per entry key in the catalog, in place; returns it."""
    for key, d in dims.items():
        if len(d) != 3 or min(d) < 0 or max(d) <= 0:
            raise CatalogError(f"{catalog.path}: entry {key}: bad measured dimensions {d}")
        catalog.dims[key] = [float(x) for x in d]
    catalog.round.update({k: bool(v) for k, v in (rounds or {}).items()})
    return catalog


def save_measurements(
    catalog: Catalog, dims: dict[str, list[float]], rounds: dict[str, bool] | None = None
) -> Path:
    """Write `dims` with per-entry fingerprints to the catalog's sidecar atomically; its path.

    Raises `files.OutputError` (an OSError) when the catalog's folder is not writable.
    """
    by_key = {e.key: e for e in catalog.entries}
    rounds = rounds or {}
    data = {k: {"dims": list(map(float, d)), "round": bool(rounds.get(k, False)),
                "fingerprint": fingerprint(by_key[k])}
            for k, d in dims.items() if k in by_key}  # fmt: skip
    return files.write_text(sidecar_path(catalog), json.dumps(data, indent=1, sort_keys=True))


def load_measurements(catalog: Catalog) -> tuple[dict[str, list[float]], dict[str, bool]]:
    """Sidecar dimensions and roundness whose fingerprints still match (stale ones dropped)."""
    path = sidecar_path(catalog)
    if not path.is_file():
        return {}, {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        log.warning("ignoring unreadable measurements %s: %s", path, e)
        return {}, {}
    dims, rounds = {}, {}
    for e in catalog.entries:
        item = data.get(e.key)
        if isinstance(item, dict) and item.get("fingerprint") == fingerprint(e):
            dims[e.key] = item["dims"]
            rounds[e.key] = bool(item.get("round", False))
    return dims, rounds


# --------------------------------------------------------------------------------------------
# Sizes and sampling


def entry_scale(entry: CatalogEntry, raw_dims: list[float]) -> float:
    """Uniform factor from file units to metres that meets the entry's size spec."""
    raw = np.asarray(raw_dims, float)
    if entry.size_key == "height":
        return entry.size_value / max(raw[2], 1e-12)
    if entry.size_key == "longest":
        return entry.size_value / max(raw.max(), 1e-12)
    return entry.size_value


def posed_size(upright: list[float], pose: str) -> list[float]:
    """Bounding box after the pose's rotation (side: 90 degrees about Y, so Z and X swap)."""
    sx, sy, sz = upright
    return [sz, sy, sx] if pose == "side" else [sx, sy, sz]


def entry_size(catalog: Catalog, entry: CatalogEntry, pose: str = "upright") -> list[float]:
    """Bounding box in metres of the normalised model of `entry` resting in `pose`."""
    raw = catalog.dims.get(entry.key)
    if raw is None:
        raise CatalogError(
            f"{catalog.path}: entry {entry.key} ({entry.file}) is not measured; "
            "run importers.measure_catalog first"
        )
    s = entry_scale(entry, raw)
    return [round(float(x) * s, 6) for x in posed_size(raw, pose)]


def sample_catalog_params(catalog: Catalog, cls: str, rng: np.random.Generator) -> dict:
    """JSON-serialisable params of one item of `cls`: entry by weight, pose, hue jitter."""
    entries = catalog.classes.get(cls)
    if not entries:
        raise CatalogError(f"{catalog.path}: no entries for class {cls!r}")
    w = np.array([e.weight for e in entries], float)
    entry = entries[int(rng.choice(len(entries), p=w / w.sum()))]
    pose = entry.poses[int(rng.integers(len(entry.poses)))]
    hue = float(rng.uniform(-1.0, 1.0)) * entry.hue_jitter
    size = entry_size(catalog, entry, pose)
    round_top = entry.footprint == "circle" or (
        entry.footprint is None and catalog.round.get(entry.key)
    )
    footprint = "circle" if pose == "upright" and round_top else "box"
    params = {
        "source": "catalog",
        "cls": cls,
        "file": entry.file,
        "format": entry.fmt,
        "object": entry.object,
        "texture": entry.texture,
        "entry": entry.index,
        "up": entry.up,
        "pose": pose,
        "rotation_deg": list(SIDE_ROTATION_DEG) if pose == "side" else [0.0, 0.0, 0.0],
        "scale": round(entry_scale(entry, catalog.dims[entry.key]), 9),
        "hue_jitter": round(hue, 5) + 0.0,  # no -0.0 in JSON
        "size": size,
        "footprint": footprint,
        "stackable": bool(entry.stackable and pose == "upright"),
    }
    if entry.licence:
        params["licence"] = entry.licence  # only when given: older descriptions stay the same
    return params
