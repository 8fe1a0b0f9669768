"""The dataset card of a render batch: ``README.md`` and ``dataset.json`` (pure Python).

Rebuilt from ``meta/`` at the end of every run, like ``annotations.json``: what the batch holds
(images, styles, ground-truth outputs, class counts, an occlusion histogram), how it was made
(the resolved render config, fridge-synth, Blender and Python versions) and under which
licences (the batch's own, from the `dataset` config group, and those of catalog models used,
from their optional ``licence`` field). The same licences fill the COCO ``info`` and
``licenses`` of annotations.json.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from fridge_batch import layout

OCCLUSION_BINS = [round(0.1 * k, 1) for k in range(11)]  # [0, 0.1), ..., [0.9, 1.0]
CARD_FILES = layout.CARD_FILES  # README.md, dataset.json


def config_record(cfg: Any) -> Any:
    """A validated config (nested dataclasses) as plain JSON data; a catalog becomes its path."""
    if dataclasses.is_dataclass(cfg) and not isinstance(cfg, type):
        if type(cfg).__name__ == "Catalog":
            return cfg.path
        return {f.name: config_record(getattr(cfg, f.name)) for f in dataclasses.fields(cfg)}
    if isinstance(cfg, Path):
        return str(cfg)
    if isinstance(cfg, list | tuple):
        return [config_record(x) for x in cfg]
    if isinstance(cfg, dict):
        return {str(k): config_record(v) for k, v in cfg.items()}
    return cfg


def dataset_fields(dataset: Any) -> dict[str, str]:
    """The `dataset` group (a DatasetInfo or a mapping) as a plain dict with every field
    (the packaged render.yaml's text where it gives none)."""
    from gan.config import default_config

    base = default_config("render")["dataset"]
    given = (
        dataclasses.asdict(dataset) if dataclasses.is_dataclass(dataset) else dict(dataset or {})
    )
    return {k: str(given.get(k, v) if given.get(k) is not None else v) for k, v in base.items()}


def asset_licences(metas: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Catalog models used in the batch with their licence (None when the catalog gives none)."""
    seen: dict[str, dict[str, Any]] = {}
    for meta in metas:
        for obj in meta["scene"]["objects"]:
            p = obj.get("params") or {}
            if p.get("source") != "catalog":
                continue
            entry = seen.setdefault(
                p["file"],
                {
                    "file": p["file"],
                    "class": obj["cls"],
                    "licence": p.get("licence"),
                    "instances": 0,
                },
            )
            entry["instances"] += 1
    return sorted(seen.values(), key=lambda e: e["file"])


def coco_header(metas: list[dict[str, Any]], dataset: Any) -> tuple[dict, list[dict]]:
    """COCO `info` and `licenses`: id 1 is the batch's licence, then each catalog model licence."""
    d = dataset_fields(dataset)
    info = {
        "description": d["description"],
        "url": d["url"],
        "version": d["version"],
        "year": _dt.date.today().year,
        "contributor": d["contributor"],
        "date_created": _dt.date.today().isoformat(),
    }
    licenses = [{"id": 1, "name": d["licence"], "url": d["licence_url"]}]
    names = sorted({a["licence"] for a in asset_licences(metas) if a["licence"]})
    licenses += [{"id": k + 2, "name": n, "url": ""} for k, n in enumerate(names)]
    return info, licenses


def class_counts(metas: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per class: objects placed, objects labelled (visible), images with a labelled object."""
    placed, labelled, images = Counter(), Counter(), Counter()
    for meta in metas:
        placed.update(o["cls"] for o in meta["scene"]["objects"])
        visible = [a["cls"] for a in meta["annotations"] if a["visible_pixels"] > 0]
        labelled.update(visible)
        images.update(set(visible))
    return {
        c: {"placed": placed[c], "labelled": labelled[c], "images": images[c]}
        for c in sorted(placed)
    }


def occlusion_histogram(metas: list[dict[str, Any]]) -> dict[str, Any]:
    """Occlusion of the labelled (visible) objects in ten bins, plus hidden and out-of-frame ones.

    Bin k counts occlusion in [k/10, (k+1)/10); the last bin includes 1.0. Objects in the frame
    but fully hidden and objects outside the frame are not labelled and counted apart.
    """
    counts = [0] * (len(OCCLUSION_BINS) - 1)
    hidden = outside = 0
    for meta in metas:
        for a in meta["annotations"]:
            if a["visible_pixels"] > 0:
                counts[min(int(a["occlusion"] * 10), 9)] += 1
            elif a["unoccluded_pixels"] > 0:
                hidden += 1
            else:
                outside += 1
    return {
        "bins": OCCLUSION_BINS,
        "counts": counts,
        "fully_hidden": hidden,
        "outside_frame": outside,
    }


def _distinct(metas: list[dict[str, Any]], key: str) -> dict[str, list[str]]:
    """Distinct values per field of a per-image record (software versions)."""
    out: dict[str, set[str]] = {}
    for meta in metas:
        for k, v in (meta.get(key) or {}).items():
            out.setdefault(k, set()).add(str(v))
    return {k: sorted(v) for k, v in sorted(out.items())}


def build_card(metas: list[dict[str, Any]], dataset: Any, config: Any = None) -> dict[str, Any]:
    """The content of dataset.json for a batch's meta records."""
    d = dataset_fields(dataset)
    given = [m.get("outputs") or {} for m in metas]
    outputs = {
        "depth": sorted({str(o["depth"]) for o in given if o.get("depth")}),
        "normals": sorted({str(o["normals"]) for o in given if o.get("normals")}),
        "amodal_images": sum(bool(o.get("amodal")) for o in given),
    }
    sizes = Counter(f"{m['image']['width']}x{m['image']['height']}" for m in metas)
    styles = Counter(m.get("style", {}).get("name", "clean") for m in metas)
    _, licenses = coco_header(metas, dataset)
    return {
        **d,
        "images": len(metas),
        "objects_labelled": sum(a["visible_pixels"] > 0 for m in metas for a in m["annotations"]),
        "resolutions": dict(sorted(sizes.items())),
        "styles": dict(sorted(styles.items())),
        "outputs": outputs,
        "classes": class_counts(metas),
        "occlusion": occlusion_histogram(metas),
        "software": _distinct(metas, "software"),
        "licenses": licenses,
        "asset_licences": asset_licences(metas),
        "config": config_record(config) if config is not None else None,
    }


def card_markdown(card: dict[str, Any]) -> str:
    """README.md of a batch from its card."""
    lines = [f"# {card['name']}", "", card["description"], ""]
    lic = card["licence"] + (f" ({card['licence_url']})" if card["licence_url"] else "")
    lines += [f"- Licence of the rendered images and labels: {lic}"]
    for key, label in (("contributor", "Contributor"), ("url", "URL"), ("version", "Version")):
        if card[key]:
            lines.append(f"- {label}: {card[key]}")
    res = ", ".join(card["resolutions"]) or "-"
    styles = ", ".join(f"{k}: {v}" for k, v in card["styles"].items()) or "-"
    lines += [
        f"- Images: {card['images']} ({res}; style {styles}); labelled objects: "
        f"{card['objects_labelled']}"
    ]
    sw = card["software"]
    if sw:
        lines.append(
            "- Made with "
            + "; ".join(f"{k.replace('_', '-')} {', '.join(v)}" for k, v in sw.items())
        )
    out = card["outputs"]
    extra = [
        f"depth ({', '.join(out['depth'])})" if out["depth"] else None,
        f"normals ({', '.join(out['normals'])})" if out["normals"] else None,
        f"amodal masks ({out['amodal_images']} images)" if out["amodal_images"] else None,
    ]
    lines.append(
        "- Ground truth: RGB, instance masks, boxes, occlusion, camera K and pose"
        + "".join(f", {e}" for e in extra if e)
    )
    lines += [
        "",
        "## Classes",
        "",
        "| class | labelled | placed | images |",
        "|---|---:|---:|---:|",
    ]
    for c, n in card["classes"].items():
        lines.append(f"| {c} | {n['labelled']} | {n['placed']} | {n['images']} |")
    occ = card["occlusion"]
    total = max(sum(occ["counts"]), 1)
    lines += [
        "",
        "## Occlusion of labelled objects",
        "",
        "| occlusion | objects | |",
        "|---|---:|---|",
    ]
    for k, n in enumerate(occ["counts"]):
        lo, hi = occ["bins"][k], occ["bins"][k + 1]
        lines.append(f"| {lo:.1f}-{hi:.1f} | {n} | {'#' * round(40 * n / total)} |")
    lines += [
        "",
        f"Not labelled: {occ['fully_hidden']} fully hidden, {occ['outside_frame']} "
        "outside the frame.",
    ]
    lines += ["", "## Licences", "", f"- Renders and labels: {lic}"]
    assets = card["asset_licences"]
    if assets:
        lines.append("- Catalog models used:")
        for a in assets:
            lines.append(
                f"  - {Path(a['file']).name} ({a['class']}, {a['instances']} instances): "
                f"{a['licence'] or 'no licence given in the catalog'}"
            )
    else:
        lines.append("- No catalog models: every object is procedural (built by fridge-synth).")
    lines += [
        "",
        "## Files",
        "",
        "See the fridge-synth README (Output layout): `images/`, `masks/`, `meta/`, optional",
        "`depth/` and `normals/`, `annotations.json` (COCO). `dataset.json` holds this card",
        "as data, with the full render configuration.",
        "",
    ]
    if card["config"] is not None:
        lines += [
            "## Render configuration",
            "",
            "```yaml",
            yaml.safe_dump(card["config"], sort_keys=True).rstrip(),
            "```",
            "",
        ]
    return "\n".join(lines)


def previous_card(out_dir: Path) -> dict[str, Any]:
    """The dataset.json of an earlier run ({} when absent or unreadable)."""
    try:
        data = json.loads((Path(out_dir) / layout.CARD_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
