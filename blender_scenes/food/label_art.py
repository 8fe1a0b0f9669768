"""Packaging label textures drawn with Pillow from a label dict (see `params.make_label`).

Image conventions (Pillow's y grows downwards; the builder flips rows so that image top = +Z):

- wraps around cylinders (``can_wrap``, ``bottle_band``, ``jar_band``, ``cup_wrap``): u = 0.5 is
  the front (-Y), the seam at u = 0/1 is at the back;
- ``carton_wrap``: the four sides left to right are front, right, back, left with widths from
  ``label["panels"]``;
- ``butter_wrap``: the top ``top_fraction`` of the image is the pack's top face (image top =
  back edge), the rest is the side strip laid out like ``carton_wrap``;
- ``yogurt_lid``: a square seen from above, image top = back (+Y);
- ``sticker``: a price/weight label seen from above (meat trays, punnets, cheese), image top =
  back (+Y).

Drawing is deterministic for a given dict: all randomness comes from ``random.Random(seed)``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

RGB = tuple[int, int, int]
Box = tuple[int, int, int, int]


@lru_cache(maxsize=64)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled font at `size` pixels."""
    return ImageFont.load_default(size=max(6, int(size)))


def to_rgb(c: Sequence[float]) -> RGB:
    """A 0..1 float colour as 8-bit RGB."""
    return tuple(int(round(min(max(float(v), 0.0), 1.0) * 255)) for v in c[:3])  # type: ignore[return-value]


def luminance(c: RGB) -> float:
    """Perceived brightness 0..255."""
    return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]


def contrast(bg: RGB, options: Sequence[RGB]) -> RGB:
    """The option that stands out most against `bg`."""
    return max(options, key=lambda c: abs(luminance(c) - luminance(bg)))


def palette(label: dict) -> list[RGB]:
    """The label's palette as 8-bit colours: main, accent, light, dark, extra."""
    return [to_rgb(c) for c in label["palette"]]


# --------------------------------------------------------------------------------------------
# Background patterns


def pattern(
    draw: ImageDraw.ImageDraw, box: Box, kind: str, cols: list[RGB], rnd: random.Random
) -> None:
    """Fill `box` with a background pattern in `cols` (first colour is the base)."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    draw.rectangle(box, fill=cols[0])
    second = cols[1 % len(cols)]
    if kind == "stripes":
        n = rnd.randint(3, 12)
        step = w / n
        width = step * rnd.uniform(0.2, 0.6)
        for i in range(n):
            draw.rectangle((x0 + i * step, y0, x0 + i * step + width, y1), fill=second)
    elif kind == "bands":
        for _ in range(rnd.randint(1, 3)):
            yc = y0 + h * rnd.uniform(0.05, 0.95)
            bh = h * rnd.uniform(0.04, 0.2)
            draw.rectangle((x0, yc - bh / 2, x1, yc + bh / 2), fill=rnd.choice(cols[1:]))
    elif kind == "circles":
        for _ in range(rnd.randint(3, 9)):
            r = min(w, h) * rnd.uniform(0.08, 0.45)
            cx, cy = x0 + w * rnd.random(), y0 + h * rnd.random()
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=rnd.choice(cols[1:]))
    elif kind == "waves":
        amp, freq = h * rnd.uniform(0.03, 0.12), rnd.randint(1, 4)
        for k in range(rnd.randint(1, 3)):
            base = y0 + h * rnd.uniform(0.3, 0.95)
            phase = rnd.uniform(0, 2 * math.pi)
            pts = [(x0 + t, base + amp * math.sin(2 * math.pi * freq * t / w + phase))
                   for t in range(0, w + 8, 8)]  # fmt: skip
            draw.polygon([*pts, (x1, y1), (x0, y1)], fill=cols[(k + 1) % len(cols)])
    elif kind == "dots":
        step = max(6, int(min(w, h) * rnd.uniform(0.08, 0.2)))
        r = step * rnd.uniform(0.15, 0.35)
        for j, y in enumerate(range(y0, y1 + step, step)):
            for x in range(x0 + (step // 2) * (j % 2), x1 + step, step):
                draw.ellipse((x - r, y - r, x + r, y + r), fill=second)
    elif kind == "diagonal":
        step = max(8, int(w / rnd.randint(4, 14)))
        width = step * rnd.uniform(0.2, 0.5)
        for x in range(x0 - h, x1 + step, step):
            draw.polygon([(x, y1), (x + width, y1), (x + width + h, y0), (x + h, y0)], fill=second)
    elif kind == "shards":  # crushed ice: overlapping light triangles over the ground
        for _ in range(rnd.randint(25, 45)):
            cx, cy = x0 + w * rnd.random(), y0 + h * rnd.random()
            r = min(w, h) * rnd.uniform(0.1, 0.4)
            pts = [(cx + r * math.cos(a), cy + r * math.sin(a))
                   for a in (rnd.uniform(0, 2 * math.pi) for _ in range(3))]  # fmt: skip
            draw.polygon(pts, fill=rnd.choice(cols[1:]))
    elif kind == "checks":
        step = max(6, int(min(w, h) * rnd.uniform(0.06, 0.15)))
        for j, y in enumerate(range(y0, y1, step)):
            for i, x in enumerate(range(x0, x1, step)):
                if (i + j) % 2:
                    draw.rectangle((x, y, x + step, y + step), fill=second)
    elif kind == "bare":  # the ground alone
        pass
    else:  # plain with a border line
        m = int(min(w, h) * 0.06)
        draw.rectangle((x0 + m, y0 + m, x1 - m, y1 - m), outline=second, width=max(1, m // 3))


# --------------------------------------------------------------------------------------------
# Text and blocks


def fitted_font(draw: ImageDraw.ImageDraw, text: str, max_w: float, max_h: float):
    """The largest bundled font size whose rendering of `text` fits in max_w x max_h."""
    size = max(6, int(max_h))
    while size > 6:
        f = font(size)
        left, top, right, bottom = draw.textbbox((0, 0), text, font=f)
        if right - left <= max_w and bottom - top <= max_h:
            return f
        size = int(size * 0.88)
    return font(6)


def centered_text(
    draw: ImageDraw.ImageDraw,
    text: str,
    center: tuple[float, float],
    max_w: float,
    max_h: float,
    fill: RGB,
    stroke: RGB | None = None,
    bold: bool = True,
) -> None:
    """Draw `text` as large as fits, centred at `center` (bold unless told otherwise)."""
    f = fitted_font(draw, text, max_w, max_h)
    size = getattr(f, "size", 10)
    if stroke is None:  # fake a bold face with a thin outline in the text colour
        sw = int(size / 28) if bold else 0
        stroke = fill
    else:
        sw = max(1, int(size / 14))
    draw.text(center, text, font=f, fill=fill, anchor="mm", stroke_width=sw, stroke_fill=stroke)


def banner(
    draw: ImageDraw.ImageDraw,
    text: str,
    center: tuple[float, float],
    w: float,
    h: float,
    fill: RGB,
    ink: RGB,
    rnd: random.Random,
) -> None:
    """A rounded (or plain) banner with `text` in it."""
    cx, cy = center
    box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
    if rnd.random() < 0.5:
        draw.rounded_rectangle(box, radius=h / 2, fill=fill)
    else:
        draw.rectangle(box, fill=fill)
    centered_text(draw, text, center, w * 0.88, h * 0.7, ink)


def emblem(
    draw: ImageDraw.ImageDraw,
    center: tuple[float, float],
    r: float,
    cols: list[RGB],
    rnd: random.Random,
) -> None:
    """A simple logo/illustration: a badge, a star burst or a fruit-like blob."""
    cx, cy = center
    kind = rnd.choice(["badge", "burst", "blob", "ring"])
    c1, c2 = rnd.sample(cols, 2)
    if kind == "badge":
        draw.ellipse(
            (cx - r, cy - r, cx + r, cy + r), fill=c1, outline=c2, width=max(1, int(r / 8))
        )
    elif kind == "burst":
        n = rnd.randint(8, 16)
        pts = [
            (
                cx + (r if i % 2 else r * 0.7) * math.cos(math.pi * i / n),
                cy + (r if i % 2 else r * 0.7) * math.sin(math.pi * i / n),
            )
            for i in range(2 * n)
        ]
        draw.polygon(pts, fill=c1)
    elif kind == "blob":
        draw.ellipse((cx - r, cy - r * 0.9, cx + r, cy + r * 0.9), fill=c1)
        draw.ellipse((cx - r * 0.2, cy - r * 1.25, cx + r * 0.35, cy - r * 0.8), fill=c2)
    else:
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=c1, width=max(2, int(r / 4)))
        draw.ellipse((cx - r / 3, cy - r / 3, cx + r / 3, cy + r / 3), fill=c2)


def barcode(draw: ImageDraw.ImageDraw, box: Box, rnd: random.Random) -> None:
    """A fake EAN-like barcode on white."""
    x0, y0, x1, y1 = box
    draw.rectangle(box, fill=(250, 250, 250))
    pad = max(1, (x1 - x0) // 12)
    x = x0 + pad
    while x < x1 - pad:
        bw = rnd.choice([1, 1, 2, 3])
        if rnd.random() < 0.55:
            draw.rectangle((x, y0 + pad, x + bw - 1, y1 - (y1 - y0) * 0.25), fill=(10, 10, 10))
        x += bw
    digits = "".join(str(rnd.randint(0, 9)) for _ in range(13))
    centered_text(
        draw,
        digits,
        ((x0 + x1) / 2, y1 - (y1 - y0) * 0.13),
        (x1 - x0) * 0.9,
        (y1 - y0) * 0.2,
        (10, 10, 10),
        bold=False,
    )


def nutrition(draw: ImageDraw.ImageDraw, box: Box, rnd: random.Random) -> None:
    """A fake nutrition table: white block with ruled rows."""
    x0, y0, x1, y1 = box
    draw.rectangle(box, fill=(248, 248, 245), outline=(20, 20, 20), width=1)
    rows = ["Energy", "Fat", "Saturates", "Carbohydrate", "Sugars", "Protein", "Salt"]
    rh = (y1 - y0) / (len(rows) + 1)
    f = font(max(6, int(rh * 0.7)))
    draw.text((x0 + 3, y0 + rh / 2), "NUTRITION", font=f, fill=(10, 10, 10), anchor="lm")
    for i, name in enumerate(rows, start=1):
        y = y0 + rh * i
        draw.line((x0, y, x1, y), fill=(20, 20, 20), width=1)
        draw.text((x0 + 3, y + rh / 2), name, font=f, fill=(20, 20, 20), anchor="lm")
        draw.text(
            (x1 - 3, y + rh / 2),
            f"{rnd.uniform(0.1, 60):.1f}g",
            font=f,
            fill=(20, 20, 20),
            anchor="rm",
        )


def text_lines(draw: ImageDraw.ImageDraw, box: Box, ink: RGB, rnd: random.Random) -> None:
    """Greeked small print: rows of short grey bars."""
    x0, y0, x1, y1 = box
    lh = max(3, int((y1 - y0) / rnd.randint(8, 16)))
    y = y0
    while y + lh <= y1:
        x = x0
        while x < x1:
            wl = rnd.randint(lh, lh * 4)
            draw.rectangle((x, y, min(x + wl, x1), y + lh * 0.5), fill=ink)
            x += wl + lh
        y += lh


# --------------------------------------------------------------------------------------------
# Panels


def oval_front(draw: ImageDraw.ImageDraw, box: Box, label: dict) -> None:
    """A front that is one wide oval in the main colour, light-rimmed, the brand large and the
    product small in light ink inside it (a fresh-cheese tub's badge); the rest stays ground.
    With ``oval: "light"`` the oval is light with a thick accent rim and main-coloured ink (a
    cream carton's badge on a printed ground)."""
    main, accent, light, _ = palette(label)[:4]
    badge = label.get("oval") == "light"
    fill, rim, ink = (light, accent, main) if badge else (main, light, light)
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    cx, cy = (x0 + x1) / 2, y0 + h * 0.55
    rx, ry = (w * 0.44, min(h * 0.3, w * 0.38)) if badge else (w * 0.42, min(h * 0.3, w * 0.3))
    draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=fill, outline=rim,
                 width=max(1, int(ry / (3.5 if badge else 10))))  # fmt: skip
    centered_text(draw, label["brand"], (cx, cy - ry * 0.15), rx * 1.5, ry * 0.7, ink)
    centered_text(draw, label["product"], (cx, cy + ry * 0.5), rx * 1.1, ry * 0.3, ink)


def store_logo(draw: ImageDraw.ImageDraw, box: Box, label: dict) -> None:
    """The store brand's logo high on a front (``logo``): a white rounded square with a letter
    in the main colour (the photos' cream and milks share it)."""
    main, white = palette(label)[0], (250, 250, 248)
    x0, y0, x1, _ = box
    a = (x1 - x0) * 0.2
    cx, cy = x0 + (x1 - x0) * 0.34, y0 + a * 0.9
    draw.rounded_rectangle((cx - a / 2, cy - a / 2, cx + a / 2, cy + a / 2), radius=a * 0.15,
                           fill=white)  # fmt: skip
    centered_text(draw, label["brand"][:1].upper(), (cx, cy), a * 0.7, a * 0.7, main)


def landscape_front(draw: ImageDraw.ImageDraw, box: Box, label: dict, rnd: random.Random) -> None:
    """A milk brick's front (``front: "landscape"``): the product in white on the main colour,
    a strip of pale sky and green fields with dark trees across the lower two fifths."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    white = (250, 250, 248)
    centered_text(draw, label["product"], ((x0 + x1) / 2, y0 + h * 0.36), w * 0.8, h * 0.07, white)
    text_lines(draw, (int(x0 + w * 0.15), int(y0 + h * 0.43), int(x1 - w * 0.15), int(y0 + h * 0.5)),
               white, rnd)  # fmt: skip
    sky = y0 + h * rnd.uniform(0.56, 0.6)
    draw.rectangle((x0, sky, x1, y1), fill=(175, 205, 230))
    greens = [(95, 150, 55), (70, 125, 40), (120, 165, 60), (55, 105, 35)]
    for k, g in enumerate(greens):  # rolling fields, nearer ones lower and darker
        top = sky + h * (0.04 + 0.07 * k)
        amp, phase, waves = h * 0.025, rnd.uniform(0, math.tau), rnd.uniform(1.0, 2.5)
        pts = [(x0 + w * i / 24, top + amp * math.sin(phase + waves * math.tau * i / 24))
               for i in range(25)]  # fmt: skip
        draw.polygon([*pts, (x1, y1), (x0, y1)], fill=g)
        for _ in range(rnd.randint(1, 3)):  # trees along the field's edge
            tx = x0 + w * rnd.uniform(0.05, 0.95)
            r = h * rnd.uniform(0.015, 0.03)
            ty = top + amp * math.sin(phase + waves * math.tau * (tx - x0) / w)
            draw.ellipse((tx - r, ty - 1.6 * r, tx + r, ty + 0.2 * r), fill=(35, 70, 25))
    draw.rectangle((x0 + w * 0.08, y1 - h * 0.06, x0 + w * 0.3, y1 - h * 0.02), fill=white)


def drink_front(draw: ImageDraw.ImageDraw, box: Box, label: dict, rnd: random.Random) -> None:
    """A plant drink's front (``front: "drink"``): the brand large in the main colour on a
    cream ground, the product small under it and a glass of the drink among a few beans."""
    main = palette(label)[0]
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    cx = (x0 + x1) / 2
    centered_text(draw, label["brand"].lower(), (cx, y0 + h * 0.3), w * 0.8, h * 0.1, main)
    centered_text(draw, label["product"], (cx, y0 + h * 0.4), w * 0.4, h * 0.04, main)
    gw, top, bot = w * 0.22, y0 + h * 0.5, y0 + h * 0.86
    draw.polygon([(cx - gw, top), (cx + gw, top), (cx + gw * 0.85, bot), (cx - gw * 0.85, bot)],
                 fill=(252, 251, 246), outline=(190, 185, 170), width=max(1, int(w / 100)))  # fmt: skip
    for _ in range(rnd.randint(4, 7)):
        bx, by = (
            cx + w * rnd.choice([-1, 1]) * rnd.uniform(0.27, 0.42),
            y0 + h * rnd.uniform(0.7, 0.88),
        )
        r = w * 0.035
        draw.ellipse((bx - r, by - r * 0.75, bx + r, by + r * 0.75), fill=(225, 200, 120))
    draw.ellipse(
        (cx + gw * 0.6, top - h * 0.06, cx + gw * 1.5, top + h * 0.01), fill=(110, 160, 60)
    )


def text_front(draw: ImageDraw.ImageDraw, box: Box, label: dict, rnd: random.Random) -> None:
    """A front of print on the plain ground (``front: "text"``, a store brand's paper bag): a
    small grey logo, the product in bold accent-coloured capitals, a block of small print in
    the same ink and a barcode low down."""
    accent = palette(label)[1]
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    centered_text(draw, label["brand"], (x0 + w * 0.32, y0 + h * 0.1), w * 0.45, h * 0.07,
                  (120, 120, 120), bold=False)  # fmt: skip
    centered_text(draw, label["product"], ((x0 + x1) / 2, y0 + h * 0.25), w * 0.8, h * 0.08, accent)
    text_lines(draw, (int(x0 + w * 0.1), int(y0 + h * 0.33), int(x1 - w * 0.1), int(y0 + h * 0.42)),
               accent, rnd)  # fmt: skip
    text_lines(draw, (int(x0 + w * 0.1), int(y0 + h * 0.48), int(x1 - w * 0.3), int(y0 + h * 0.66)),
               accent, rnd)  # fmt: skip
    barcode(
        draw, (int(x0 + w * 0.08), int(y0 + h * 0.78), int(x0 + w * 0.38), int(y0 + h * 0.92)), rnd
    )


# Printed fronts a label can ask for by name (``front``), drawn on both wide faces of a box:
# a store brand's paper bag, a milk brick's fields, a plant drink's glass
FRONTS = {"text": text_front, "landscape": landscape_front, "drink": drink_front}


def front_panel(draw: ImageDraw.ImageDraw, box: Box, label: dict, rnd: random.Random) -> None:
    """The front: brand, emblem and product name over the label's pattern."""
    cols = palette(label)
    main, accent, light, dark = cols[:4]
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    cx = (x0 + x1) / 2
    bg = main if label.get("background", 0) != 1 else light
    ink = contrast(bg, [light, dark, (255, 255, 255), (15, 15, 15)])
    top = rnd.uniform(0.12, 0.3)
    tall = h > w * 1.2
    centered_text(
        draw,
        label["brand"],
        (cx, y0 + h * top),
        w * 0.9,
        h * (0.12 if tall else 0.28),
        ink,
        stroke=accent if rnd.random() < 0.4 else None,
    )
    if rnd.random() < 0.8:
        r = min(w, h) * (0.22 if tall else 0.18)
        emblem(
            draw,
            (cx + rnd.uniform(-0.1, 0.1) * w, y0 + h * (0.5 if tall else 0.58)),
            r,
            [accent, light, dark, cols[-1]],
            rnd,
        )
    banner_fill = rnd.choice([accent, light, dark])
    banner(
        draw,
        label["product"],
        (cx, y0 + h * (0.78 if tall else 0.84)),
        w * 0.85,
        h * (0.1 if tall else 0.2),
        banner_fill,
        contrast(banner_fill, [light, dark, (255, 255, 255), (15, 15, 15)]),
        rnd,
    )


def side_panel(
    draw: ImageDraw.ImageDraw, box: Box, label: dict, rnd: random.Random, n: int
) -> None:
    """A side or back panel: nutrition table, barcode or small print."""
    cols = palette(label)
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    ink = contrast(cols[0], [cols[2], cols[3]])
    if n == 0 and label.get("nutrition"):
        nutrition(
            draw, (int(x0 + w * 0.1), int(y0 + h * 0.3), int(x1 - w * 0.1), int(y0 + h * 0.7)), rnd
        )
    elif n == 1 and label.get("barcode"):
        bw, bh = min(w * 0.8, h * 0.5), min(h * 0.25, w * 0.5)
        bx, by = x0 + (w - bw) / 2, y0 + h * 0.65
        barcode(draw, (int(bx), int(by), int(bx + bw), int(by + bh)), rnd)
        text_lines(
            draw,
            (int(x0 + w * 0.1), int(y0 + h * 0.2), int(x1 - w * 0.1), int(y0 + h * 0.55)),
            ink,
            rnd,
        )
    else:
        centered_text(draw, label["brand"], ((x0 + x1) / 2, y0 + h * 0.2), w * 0.85, h * 0.1, ink)
        text_lines(
            draw,
            (int(x0 + w * 0.12), int(y0 + h * 0.35), int(x1 - w * 0.12), int(y0 + h * 0.6)),
            ink,
            rnd,
        )


def panel_boxes(fracs: Sequence[float], x0: int, y0: int, x1: int, y1: int) -> list[Box]:
    """Boxes of consecutive panels with width fractions `fracs` across x0..x1."""
    edges = [x0]
    for f in fracs:
        edges.append(edges[-1] + f * (x1 - x0))
    edges[-1] = x1
    return [(int(a), y0, int(b), y1) for a, b in zip(edges[:-1], edges[1:], strict=True)]


# --------------------------------------------------------------------------------------------
# Label kinds


def draw_boxed(img: Image.Image, label: dict, rnd: random.Random, box: Box) -> None:
    """Carton-style wrap of four panels (front, right, back, left) inside `box`."""
    draw = ImageDraw.Draw(img)
    cols = palette(label)
    bg_cols = [cols[0], cols[4], cols[1]] if label.get("background", 0) != 1 else [cols[2], cols[0]]
    pattern(draw, box, label["pattern"], bg_cols, rnd)
    x0, y0, x1, y1 = box
    fracs = label.get("panels", [0.25, 0.25, 0.25, 0.25])
    fill = float(label.get("fill", 1.0))
    panels = panel_boxes(fracs, x0, y0, x1, y1)
    for i, pb in enumerate(panels):
        if fill < 1.0:  # carton print covers the lower part; the top stays carton-coloured
            pb = (pb[0], int(y1 - (y1 - y0) * fill), pb[2], pb[3])
        if label.get("oval") and i in (0, 2):  # the badge on both long sides of a tub
            oval_front(draw, pb, label)
        elif label.get("front") in FRONTS and i in (0, 2):  # both wide faces alike
            FRONTS[label["front"]](draw, pb, label, rnd)
        elif i == 0:
            front_panel(draw, pb, label, rnd)
        else:
            side_panel(draw, pb, label, rnd, i - 1)
        if label.get("logo") and i in (0, 2):
            store_logo(draw, pb, label)
    if fill < 1.0:
        roof(draw, (x0, y0, x1, int(y1 - (y1 - y0) * fill)), panels[0], label, rnd)


def roof(draw: ImageDraw.ImageDraw, box: Box, front: Box, label: dict, rnd: random.Random) -> None:
    """The gable roof / top band of a carton: a solid colour with a small brand above the front."""
    cols = palette(label)
    x0, y0, x1, y1 = box
    bg = rnd.choice([cols[0], cols[2], cols[3]])
    draw.rectangle(box, fill=bg)
    draw.rectangle((x0, y1 - max(2, (y1 - y0) // 12), x1, y1), fill=cols[1])
    fx0, _, fx1, _ = front
    ink = contrast(bg, [cols[2], cols[3], cols[1]])
    centered_text(
        draw,
        label["brand"],
        ((fx0 + fx1) / 2, (y0 + y1) / 2),
        (fx1 - fx0) * 0.7,
        (y1 - y0) * 0.35,
        ink,
    )


def top_band(draw: ImageDraw.ImageDraw, w: int, h: int, frac: float, cols: list[RGB]) -> None:
    """A band of the accent colour over the top `frac` of a wrap, ruled with thin lines of the
    extra colour (a sweet-corn tin's yellow-orange top)."""
    y1 = int(h * frac)
    draw.rectangle((0, 0, w, y1), fill=cols[1])
    for k in range(1, 6):
        y = int(y1 * k / 6)
        draw.rectangle((0, y, w, y + max(1, h // 90)), fill=cols[4])


def kernels(draw: ImageDraw.ImageDraw, box: Box, seed: int) -> None:
    """A heap of sweet-corn kernels (the serving picture of a tin), from its own random stream."""
    rnd = random.Random(seed)
    x0, y0, x1, y1 = box
    r = max(2.0, (y1 - y0) * 0.09)
    for _ in range(int((x1 - x0) * (y1 - y0) / (r * r * 2.2))):
        x, y = rnd.uniform(x0, x1), rnd.uniform(y0 + (y1 - y0) * 0.25 * rnd.random(), y1)
        c = (rnd.randint(225, 255), rnd.randint(170, 215), rnd.randint(20, 70))
        draw.ellipse((x - r, y - r * 0.8, x + r, y + r * 0.8), fill=c, outline=(170, 110, 20))


def draw_cylinder_wrap(img: Image.Image, label: dict, rnd: random.Random) -> None:
    """Wrap around a cylinder: front centred at u = 0.5, barcode/nutrition towards the back;
    optionally a ruled top band (``top_band``: its fraction of the height) and a picture of
    kernels at the foot of the front (``picture: kernels``)."""
    draw = ImageDraw.Draw(img)
    w, h = img.size
    cols = palette(label)
    bg_cols = [cols[0], cols[4], cols[1]] if label.get("background", 0) != 1 else [cols[2], cols[0]]
    pattern(draw, (0, 0, w, h), label["pattern"], bg_cols, rnd)
    if "top_band" in label:
        top_band(draw, w, h, label["top_band"], cols)
    if label.get("picture") == "kernels":
        kernels(draw, (int(w * 0.22), int(h * 0.62), int(w * 0.78), h), label["seed"] + 1)
    front_panel(draw, (int(w * 0.3), 0, int(w * 0.7), h), label, rnd)
    if label.get("nutrition"):
        nutrition(draw, (int(w * 0.76), int(h * 0.15), int(w * 0.94), int(h * 0.85)), rnd)
    if label.get("barcode"):
        bw = min(w * 0.14, h * 0.8)
        barcode(draw, (int(w * 0.06), int(h * 0.5), int(w * 0.06 + bw), int(h * 0.9)), rnd)
    if label["kind"] == "can_wrap":  # a second, rotated brand for the back of the can
        centered_text(
            draw,
            label["brand"],
            (w * 0.13, h * 0.28),
            w * 0.2,
            h * 0.2,
            contrast(bg_cols[0], [cols[2], cols[3]]),
        )


def draw_lid(img: Image.Image, label: dict, rnd: random.Random) -> None:
    """Round foil lid seen from above: metallic or printed, with brand and flavour."""
    draw = ImageDraw.Draw(img)
    w, h = img.size
    cols = palette(label)
    base = (200, 200, 205) if label.get("foil") else cols[0]
    draw.rectangle((0, 0, w, h), fill=base)
    pattern(draw, (0, 0, w, h), label["pattern"], [base, cols[1], cols[4]], rnd)
    r = w * rnd.uniform(0.28, 0.38)
    disc = rnd.choice([cols[0], cols[2], cols[3]])
    draw.ellipse((w / 2 - r, h / 2 - r, w / 2 + r, h / 2 + r), fill=disc)
    ink = contrast(disc, [cols[2], cols[3], (255, 255, 255), (15, 15, 15)])
    centered_text(draw, label["brand"], (w / 2, h * 0.45), r * 1.7, r * 0.5, ink)
    centered_text(draw, label["product"], (w / 2, h * 0.6), r * 1.6, r * 0.25, ink)


def draw_butter(img: Image.Image, label: dict, rnd: random.Random) -> None:
    """Butter wrap: top face above, side strip below."""
    draw = ImageDraw.Draw(img)
    w, h = img.size
    top_h = int(h * float(label.get("top_fraction", 0.65)))
    cols = palette(label)
    bg_cols = [cols[0], cols[4], cols[1]] if label.get("background", 0) != 1 else [cols[2], cols[0]]
    pattern(draw, (0, 0, w, h), label["pattern"], bg_cols, rnd)
    bg = bg_cols[0]
    m = int(min(w, top_h) * 0.08)
    if label.get("end_band"):  # a dark band across one end of the top, the brand in it
        band = to_rgb(label["end_band"])
        bw = int(w * 0.3)
        draw.rectangle((0, 0, bw, top_h), fill=band)
        centered_text(draw, label["brand"], (bw / 2, top_h / 2), bw * 0.85, top_h * 0.3,
                      contrast(band, [cols[2], (255, 255, 255)]))  # fmt: skip
        _butter_sides(draw, label, (w, h, top_h), bg_cols, cols)
        return
    fill = rnd.choice([cols[2], cols[0], cols[3]])
    if rnd.random() < 0.6:
        draw.rounded_rectangle(
            (m, m, w - m, top_h - m), radius=m * 2, fill=fill, outline=cols[1], width=max(1, m // 3)
        )
        bg = fill
    ink = contrast(bg, [cols[2], cols[3], (255, 255, 255), (15, 15, 15)])
    centered_text(
        draw,
        label["brand"],
        (w / 2, top_h * 0.4),
        w * 0.75,
        top_h * 0.35,
        ink,
        stroke=cols[1] if rnd.random() < 0.3 else None,
    )
    banner(
        draw,
        label["product"],
        (w / 2, top_h * 0.75),
        w * 0.6,
        top_h * 0.18,
        cols[1],
        contrast(cols[1], [cols[2], cols[3]]),
        rnd,
    )
    _butter_sides(draw, label, (w, h, top_h), bg_cols, cols)


def _butter_sides(
    draw: ImageDraw.ImageDraw,
    label: dict,
    dims: tuple[int, int, int],
    bg_cols: list[RGB],
    cols: list[RGB],
) -> None:
    """The side strip of a butter wrap (below the top face): brand and product on the long
    sides."""
    w, h, top_h = dims
    fracs = label.get("panels", [0.35, 0.15, 0.35, 0.15])
    for i, pb in enumerate(panel_boxes(fracs, 0, top_h, w, h)):
        if i % 2 == 0:
            centered_text(
                draw,
                f"{label['brand']}  {label['product']}",
                ((pb[0] + pb[2]) / 2, (pb[1] + pb[3]) / 2),
                (pb[2] - pb[0]) * 0.9,
                (pb[3] - pb[1]) * 0.5,
                contrast(bg_cols[0], [cols[2], cols[3]]),
            )


def draw_sticker(img: Image.Image, label: dict, rnd: random.Random) -> None:
    """Price sticker: coloured header with the brand, product line, weight and price, barcode.
    A `plain` sticker is white paper printed in grey, the price in black (no coloured header
    or price box)."""
    draw = ImageDraw.Draw(img)
    w, h = img.size
    cols = palette(label)
    paper = (248, 246, 238) if label.get("background", 0) != 1 else cols[2]
    ink = (25, 25, 25)
    if label.get("plain"):
        paper, ink = (246, 246, 242), (95, 95, 95)
        cols = [paper, paper, *cols[2:]]
    draw.rectangle((0, 0, w, h), fill=paper)
    head = int(h * rnd.uniform(0.22, 0.32))
    draw.rectangle((0, 0, w, head), fill=cols[0])
    centered_text(draw, label["brand"], (w / 2, head / 2), w * 0.85, head * 0.7,
                  ink if label.get("plain") else contrast(cols[0], [(255, 255, 255), (15, 15, 15)]))  # fmt: skip
    centered_text(
        draw, label["product"], (w / 2, head + (h - head) * 0.18), w * 0.9, (h - head) * 0.2, ink
    )
    weight = f"{label.get('weight_g', 500)} g"
    price = f"{label.get('price', 4.99):.2f}"
    f = fitted_font(draw, weight, w * 0.4, (h - head) * 0.16)
    draw.text((w * 0.05, head + (h - head) * 0.42), weight, font=f, fill=ink, anchor="lm")
    box = (
        int(w * 0.55),
        int(head + (h - head) * 0.3),
        int(w * 0.95),
        int(head + (h - head) * 0.58),
    )
    draw.rectangle(box, fill=cols[1])
    centered_text(draw, price, ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), (box[2] - box[0]) * 0.85,
                  (box[3] - box[1]) * 0.75, contrast(cols[1], [(255, 255, 255), (15, 15, 15)]))  # fmt: skip
    if label.get("barcode", True):
        barcode(
            draw, (int(w * 0.08), int(head + (h - head) * 0.66), int(w * 0.62), int(h * 0.96)), rnd
        )
    text_lines(
        draw, (int(w * 0.66), int(head + (h - head) * 0.68), int(w * 0.95), int(h * 0.95)), ink, rnd
    )


def draw_label(label: dict, width: int, height: int) -> Image.Image:
    """Draw the packaging texture described by `label` as a width x height RGB image."""
    rnd = random.Random(int(label["seed"]))
    img = Image.new("RGB", (int(width), int(height)), to_rgb(label["palette"][0]))
    kind = label.get("kind", "can_wrap")
    if kind == "carton_wrap":
        draw_boxed(img, label, rnd, (0, 0, int(width), int(height)))
    elif kind == "butter_wrap":
        draw_butter(img, label, rnd)
    elif kind == "yogurt_lid":
        draw_lid(img, label, rnd)
    elif kind == "sticker":
        draw_sticker(img, label, rnd)
    else:
        draw_cylinder_wrap(img, label, rnd)
    return img
