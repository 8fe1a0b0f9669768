"""The demo's outputs: comparison table, findings in words, image panel and report.md."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from gan.data import list_images, load_rgb
from gan.io import write_png

#: (row key, column title, digits, True when higher is better); rows lacking a value show "-".
COLUMNS = (
    ("swd_native", "SWD to target, training scale (lower)", 1, False),
    ("swd", "SWD to target, whole image (lower)", 1, False),
    ("detail_ratio", "detail vs target (1 = same)", 2, None),
    ("content_miou", "content mIoU (higher)", 3, True),
    ("useful_acc", "crop accuracy on target (higher)", 3, True),
    ("useful_f1", "crop macro-F1 (higher)", 3, True),
    ("psnr", "PSNR to truth (higher)", 2, True),
    ("ssim", "SSIM to truth (higher)", 3, True),
    ("label_fidelity", "label fidelity (higher)", 3, True),
)

#: A translation whose detail falls below this share of the target's, or whose content mIoU
#: falls below this share of the untranslated renders', is a smear: it wins nothing.
SMEAR_DETAIL, SMEAR_CONTENT = 0.6, 0.8


@dataclass
class Method:
    """One column of the comparison: a folder of held-out images and how it was made."""

    key: str
    title: str
    images: Path


def fmt(value: float | None, digits: int = 2) -> str:
    """Table cell: fixed decimals, '-' for missing."""
    return "-" if value is None else f"{value:.{digits}f}"


def table(methods: list[Method], rows: dict[str, dict]) -> str:
    """Markdown table of the measurements, one line per method, only columns with values."""
    cols = [c for c in COLUMNS if any(rows[m.key].get(c[0]) is not None for m in methods)]
    lines = [
        "| images | " + " | ".join(c[1] for c in cols) + " |",
        "|---|" + "---:|" * len(cols),
    ]
    for m in methods:
        cells = [fmt(rows[m.key].get(key), digits) for key, _, digits, _ in cols]
        lines.append(f"| {m.title} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def smear_reason(row: dict, render: dict) -> str | None:
    """Why a translated row counts as a smear (too little detail or content lost), or None."""
    detail = row.get("detail_ratio")
    if detail is not None and detail < SMEAR_DETAIL:
        return f"detail {detail:.2f} of the target's"
    content, base = row.get("content_miou"), render.get("content_miou")
    if content is not None and base and content < SMEAR_CONTENT * base:
        return f"content mIoU {content:.3f} < {SMEAR_CONTENT:.0%} of the renders' {base:.3f}"
    return None


def _goodness(value: float, higher: bool | None) -> float:
    """Larger is better: the value, its negative, or (higher=None) closeness to 1."""
    if higher is None:
        return -abs(value - 1.0)
    return value if higher else -value


def winners(methods: list[Method], rows: dict[str, dict]) -> dict[str, str | None]:
    """Per measure, the key of the best translated method that is not a smear and does better
    than the untranslated renders (None when no method does: no win is claimed)."""
    render = rows["render"]
    candidates = [m for m in methods if m.key not in ("render", "truth")]
    fair = [m for m in candidates if smear_reason(rows[m.key], render) is None]
    out: dict[str, str | None] = {}
    for key, _, _, higher in COLUMNS:
        scored = [m for m in fair if rows[m.key].get(key) is not None]
        if not scored:
            continue
        best = max(scored, key=lambda m, k=key, h=higher: _goodness(rows[m.key][k], h))
        base = render.get(key)
        beats = base is None or _goodness(rows[best.key][key], higher) > _goodness(base, higher)
        out[key] = best.key if beats else None
    return out


def findings(methods: list[Method], rows: dict[str, dict]) -> list[str]:
    """Plain-language verdicts with numbers, for the report and the console."""
    render = rows["render"]
    titles = {m.key: m.title for m in methods}
    out = []
    for m in methods:
        if m.key in ("render", "truth"):
            continue
        r = rows[m.key]
        parts = []
        for key, label in (("swd_native", "SWD at training scale"), ("swd", "SWD")):
            if r.get(key) is not None and render.get(key):
                change = r[key] / render[key] - 1
                parts.append(f"{label} {fmt(r[key], 1)} vs {fmt(render[key], 1)} ({change:+.0%})")
        if r.get("content_miou") is not None and render.get("content_miou"):
            share = r["content_miou"] / render["content_miou"]
            parts.append(f"content kept {share:.0%} (mIoU {fmt(r['content_miou'], 3)})")
        if r.get("useful_acc") is not None and render.get("useful_acc") is not None:
            delta = (r["useful_acc"] - render["useful_acc"]) * 100
            parts.append(
                f"crop accuracy {fmt(r['useful_acc'], 3)} vs {fmt(render['useful_acc'], 3)} "
                f"untranslated ({delta:+.1f} points)"
            )
        text = f"{m.title}: " + "; ".join(parts)
        smear = smear_reason(r, render)
        if smear:
            text += f". A SMEAR ({smear}): its distribution scores are not a win"
        out.append(text + ".")
    names = {
        "swd_native": "realism at training scale",
        "content_miou": "content kept",
        "useful_acc": "usefulness (crop accuracy)",
        "detail_ratio": "detail closest to the target",
    }
    for key, winner in winners(methods, rows).items():
        if key in names and winner is not None:
            out.append(f"Best on {names[key]}: {titles[winner]}.")
        elif key in names:
            out.append(f"No translation beat the untranslated renders on {names[key]}.")
    if rows.get("render", {}).get("useful_chance") is not None:
        out.append(f"Crop accuracy chance level: {rows['render']['useful_chance']:.3f}.")
    return out


def fit_cell(img: Image.Image, cell: int) -> Image.Image:
    """Resize an image to `cell` pixels wide, keeping its aspect ratio."""
    w, h = img.size
    return img.resize((cell, max(1, round(h * cell / w))), Image.Resampling.LANCZOS)


def wrap_title(title: str, width: int, draw: ImageDraw.ImageDraw, font) -> list[str]:
    """`title` in lines no wider than `width` px (words kept whole; a word that is too long
    alone is cut with an ellipsis), so column titles never run into each other."""
    lines: list[str] = []
    for word in title.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
            continue
        while draw.textlength(word, font=font) > width and len(word) > 1:
            word = word[:-2] + "…"
        lines.append(word)
    return lines or [""]


def make_panel(methods: list[Method], names: list[str], out: Path, cell: int = 256) -> Path:
    """A grid: one row per held-out image, one column per method, titles on top (PNG)."""
    font = ImageFont.load_default(size=16)
    first = fit_cell(load_rgb(list_images(methods[0].images)[0]), cell)
    pad = 4
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    titles = [wrap_title(m.title, cell - 4, measure, font) for m in methods]
    head = 6 + 20 * max(len(t) for t in titles)
    width = len(methods) * (cell + pad) + pad
    height = head + len(names) * (first.height + pad) + pad
    panel = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(panel)
    for col, method in enumerate(methods):
        x = pad + col * (cell + pad)
        for i, line in enumerate(titles[col]):
            draw.text((x + 2, 4 + 20 * i), line, fill=(0, 0, 0), font=font)
        folder = list_images(method.images)[0].parent
        for row, name in enumerate(names):
            img = fit_cell(load_rgb(folder / name), cell)
            panel.paste(img, (x, head + pad + row * (first.height + pad)))
    write_png(panel, out)
    return out


def report_text(
    rows: dict,
    methods: list[Method],
    settings: list[str],
    timings: dict[str, float],
    paths: dict[str, str],
) -> str:
    """report.md: settings, table, how to read it, findings, panel, where everything is."""
    lines = [
        "# fridge-demo report",
        "",
        *settings,
        "",
        table(methods, rows),
        "",
        "How to read it. *SWD at training scale*: sliced Wasserstein distance of 7x7 "
        "Laplacian-pyramid patches between native-resolution crops (the size the models "
        "train on) of these images and of the target domain. *SWD whole image*: the same on "
        "whole images shrunk to one size. *Detail*: mean luminance-gradient energy relative "
        "to the target's (a blur falls well below 1). *Content mIoU*: a segmenter trained on "
        "clean renders (strong colour augmentation) segments the images; mIoU against the "
        "render labels: smeared, moved or erased items lower it. *Crop accuracy*: a small "
        "classifier trained only on object crops of these images, tested on labelled crops "
        "of the target domain. *PSNR/SSIM*: against the same scene in the target style "
        "(stand-in photos only). *Label fidelity*: edge agreement with the render inside "
        "the instance masks. A translation with less than "
        f"{SMEAR_DETAIL:.0%} of the target's detail or {SMEAR_CONTENT:.0%} of the renders' "
        "content mIoU is called a smear and wins nothing.",
        "",
        *[f"- {line}" for line in findings(methods, rows)],
        "",
        "![panel](panel.png)",
        "",
        "| stage | seconds |",
        "|---|---:|",
        *[f"| {k} | {v:.0f} |" for k, v in timings.items()],
        "",
        *[f"- {k}: `{v}`" for k, v in paths.items()],
        "",
        "TensorBoard: `tensorboard --logdir outputs`",
        "",
    ]
    return "\n".join(lines)
