"""Random but reproducible parameters of procedural food items (pure Python + numpy, no Blender).

`sample_food_params` returns a JSON-serialisable dict holding everything needed to build one item
deterministically. Keys every dict has, relied on by the placement code:

- ``size``: ``[sx, sy, sz]`` axis-aligned bounding box in metres of the built object in its resting
  pose (origin at the bottom centre, +Z up, label/front facing -Y);
- ``footprint``: ``"circle"`` (round in top view, diameter ``max(sx, sy)``) or ``"box"``;
- ``stackable``: whether another item may stand on top of it.

Eggs, bananas and lemons lie on their side (long axis along X); everything else stands upright.

`FOOD_CLASSES` are the original fifteen classes (the default class set); the grocery classes
added later live in `grocery_params` and every class's traits in `classes.CLASS_TABLE`.
"""

from __future__ import annotations

import numpy as np

FOOD_CLASSES: tuple[str, ...] = (
    "milk_carton",
    "juice_carton",
    "water_bottle",
    "glass_bottle",
    "can",
    "jar",
    "egg",
    "apple",
    "orange",
    "lemon",
    "tomato",
    "banana",
    "cheese_block",
    "yogurt_cup",
    "butter_pack",
)

Color = list[float]

_SYLLABLES = (
    "ka", "lo", "mi", "ra", "ven", "to", "sul", "da", "ber", "no", "fri", "el", "ma", "gro",
    "val", "zen", "ti", "ko", "lun", "pa", "ri", "sa", "vor", "ne", "al", "pi", "dor", "qu",
)  # fmt: skip
_PATTERNS = ("stripes", "bands", "circles", "waves", "dots", "diagonal", "plain", "checks")


def r5(x: float) -> float:
    """Round to 5 decimals so that JSON dumps are stable."""
    return round(float(x), 5)


def rgb(*c: float) -> Color:
    """A rounded RGB colour in 0..1."""
    return [r5(min(max(v, 0.0), 1.0)) for v in c[:3]]


def jitter(rng: np.random.Generator, color: Color, amount: float = 0.06) -> Color:
    """A colour varied per channel by up to `amount`, with a common brightness factor."""
    k = rng.uniform(1 - amount, 1 + amount)
    return rgb(*(np.asarray(color, float) * k + rng.uniform(-amount, amount, 3) * 0.5))


def pick(rng: np.random.Generator, options: list | tuple, p: list[float] | None = None):
    """One element of `options` (plain Python type), optionally weighted."""
    if p is not None:
        p = np.asarray(p, float) / np.sum(p)
    return options[int(rng.choice(len(options), p=p))]


def brand_name(rng: np.random.Generator) -> str:
    """A made-up brand name from 2-3 syllables."""
    n = int(rng.integers(2, 4))
    word = "".join(pick(rng, _SYLLABLES) for _ in range(n))
    return word.capitalize() if rng.random() < 0.6 else word.upper()


def random_palette(rng: np.random.Generator, main: Color | None = None) -> list[Color]:
    """A packaging palette: main, contrasting accent, light and dark neutrals, a variant of main."""
    if main is None:
        main = list(hsv_to_rgb(rng.uniform(0, 1), rng.uniform(0.45, 0.95), rng.uniform(0.4, 0.95)))
    h, s, v = rgb_to_hsv(main)
    accent = hsv_to_rgb((h + rng.uniform(0.3, 0.7)) % 1, rng.uniform(0.5, 1), rng.uniform(0.5, 1))
    light = hsv_to_rgb(h, rng.uniform(0, 0.12), rng.uniform(0.9, 1))
    dark = hsv_to_rgb(h, rng.uniform(0.2, 0.8), rng.uniform(0.05, 0.3))
    extra = hsv_to_rgb((h + rng.uniform(-0.1, 0.1)) % 1, s * 0.7, min(1, v * 1.2))
    return [rgb(*c) for c in (main, accent, light, dark, extra)]


def hsv_to_rgb(h: float, s: float, v: float) -> tuple[float, float, float]:
    """HSV (all 0..1) to RGB."""
    i = int(h * 6) % 6
    f = h * 6 - int(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    return [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]


def rgb_to_hsv(c: Color) -> tuple[float, float, float]:
    """RGB (0..1) to HSV."""
    r, g, b = (float(x) for x in c[:3])
    mx, mn = max(r, g, b), min(r, g, b)
    d = mx - mn
    if d == 0:
        h = 0.0
    elif mx == r:
        h = ((g - b) / d) % 6 / 6
    elif mx == g:
        h = ((b - r) / d + 2) / 6
    else:
        h = ((r - g) / d + 4) / 6
    return h, (0.0 if mx == 0 else d / mx), mx


def make_label(
    rng: np.random.Generator,
    kind: str,
    product: str,
    main: Color | None = None,
    panels: list[float] | None = None,
    **extra,
) -> dict:
    """The parameters of a packaging label texture (drawn by `label_art.draw_label`)."""
    label = {
        "kind": kind,
        "seed": int(rng.integers(0, 2**31 - 1)),
        "palette": random_palette(rng, main),
        "pattern": pick(rng, _PATTERNS),
        "brand": brand_name(rng),
        "product": product,
        "barcode": bool(rng.random() < 0.7),
        "nutrition": bool(rng.random() < 0.5),
        "background": int(rng.integers(0, 3)),
    }
    if panels is not None:
        total = sum(panels)
        label["panels"] = [r5(p / total) for p in panels]
    label.update(extra)
    return label


def drawn(rng: np.random.Generator, value: float | tuple[float, float]) -> float:
    """`value` itself, or a uniform draw from it (rounded) when it is a (low, high) range."""
    return r5(rng.uniform(*value)) if isinstance(value, tuple) else value


def carton_label(
    rng: np.random.Generator,
    product: str,
    main: Color,
    w: float,
    d: float,
    vary: float = 0.08,
    fill: float | tuple[float, float] | None = None,
) -> dict:
    """The label printed round a box of footprint w x d (a carton, a tub, a paper bag): its
    four sides are the panels; `fill` (fixed or a range to draw from) is the printed height
    fraction; the colour is a variant of `main` (by up to `vary`)."""
    main = jitter(rng, main, vary)
    extra = {} if fill is None else {"fill": drawn(rng, fill)}
    return make_label(rng, "carton_wrap", product, main, panels=[w, d, w, d], **extra)


def lid_label(rng: np.random.Generator, product: str, main: Color, foil_p: float = 0.0) -> dict:
    """The printed lid of a cup or a tub (foil with probability `foil_p`)."""
    main = jitter(rng, main, 0.06)
    return make_label(rng, "yogurt_lid", product, main, foil=bool(foil_p and rng.random() < foil_p))


def flat_pack_label(
    rng: np.random.Generator,
    product: str,
    main: Color | None,
    sx: float,
    sy: float,
    sz: float,
    top_fraction: float | None = None,
) -> dict:
    """The wrapper of a flat pack lying down (butter, chocolate, sliced ham or cheese, an egg
    box lid): the top, then the four sides sx, sz, sx, sz as panels; the top takes
    `top_fraction` of the texture (default: its share sy / (sy + sz))."""
    if main is not None:
        main = jitter(rng, main, 0.06)
    top = r5(sy / (sy + sz)) if top_fraction is None else top_fraction
    return make_label(rng, "butter_wrap", product, main, panels=[sx, sz, sx, sz], top_fraction=top)


def flat_pack(
    rng: np.random.Generator,
    size: tuple[float, float, float],
    product: str,
    main: Color,
    foil_p: float,
    bevel: tuple[float, float],
) -> dict:
    """A wrapped block lying flat (butter, a chocolate bar): paper or, with probability
    `foil_p`, foil, its edges rounded by a bevel drawn from the range `bevel`."""
    sx, sy, sz = size
    return item_params(
        size,
        stackable=True,
        foil=bool(rng.random() < foil_p),
        bevel=r5(rng.uniform(*bevel)),
        label=flat_pack_label(rng, product, main, sx, sy, sz),
    )


def item_params(size, footprint: str = "box", stackable: bool = False, **fields) -> dict:
    """The params dict of one item: its bounding box `size` (rounded), its footprint (``box`` or
    ``circle``), whether others may stand on it, then its own `fields` in the order given."""
    return {"size": [r5(v) for v in size], "footprint": footprint, "stackable": stackable, **fields}


def shades(rng: np.random.Generator, base: Color, amount: float, n: int) -> list[Color]:
    """`n` jittered variants of one colour (the material variants of a group's pieces)."""
    return [jitter(rng, base, amount) for _ in range(n)]


# --------------------------------------------------------------------------------------------
# Packaged items


def carton(rng: np.random.Generator, products: list[tuple[str, Color]], kind: str) -> dict:
    """Milk or juice carton: gable top (fin on top) or flat brick with a screw cap."""
    product, main = pick(rng, products)
    volume = pick(rng, [0.5, 1.0, 1.0, 1.0, 1.5], None)
    gable = bool(rng.random() < (0.65 if kind == "milk" else 0.4))
    if gable:
        w = rng.uniform(0.068, 0.072) if volume <= 1.0 else rng.uniform(0.088, 0.094)
        d = w
        body = volume / 1000 / (w * d) * rng.uniform(0.98, 1.05)
        gable_h = w * rng.uniform(0.36, 0.44)
        fin = rng.uniform(0.008, 0.012)
        sz = body + gable_h + fin
        top = {
            "type": "gable",
            "body_height": r5(body),
            "gable_height": r5(gable_h),
            "fin": r5(fin),
        }
    else:
        w = rng.uniform(0.058, 0.066) if volume < 1.0 else rng.uniform(0.088, 0.096)
        d = rng.uniform(0.04, 0.046) if volume < 1.0 else rng.uniform(0.058, 0.064)
        body = volume / 1000 / (w * d) * rng.uniform(0.97, 1.03)
        cap_d = rng.uniform(0.024, 0.03)
        cap_h = rng.uniform(0.012, 0.018)
        sz = body + cap_h
        top = {
            "type": "flat", "body_height": r5(body), "cap_diameter": r5(cap_d),
            "cap_height": r5(cap_h), "cap_offset": r5(rng.uniform(-0.2, 0.2) * w),
            "cap_color": jitter(rng, pick(rng, [[0.95, 0.95, 0.95], [0.1, 0.3, 0.8], [0.9, 0.2, 0.1],
                                                [0.95, 0.75, 0.1], [0.2, 0.6, 0.2], main])),
        }  # fmt: skip
    carton = rgb(0.93, 0.92, 0.88) if rng.random() < 0.7 else jitter(rng, main, 0.1)
    return item_params(
        [w, d, sz],
        volume_l=volume,
        top=top,
        carton_color=carton,
        roughness=r5(rng.uniform(0.3, 0.55)),
        label=carton_label(rng, product, main, w, d, fill=(0.55, 0.85)),
    )  # fmt: skip


MILK_PRODUCTS: list[tuple[str, Color]] = [
    ("WHOLE MILK", [0.1, 0.3, 0.8]), ("SEMI-SKIMMED", [0.15, 0.55, 0.25]),
    ("SKIMMED MILK", [0.85, 0.15, 0.15]), ("FRESH MILK", [0.2, 0.5, 0.9]),
    ("LACTOSE FREE", [0.55, 0.3, 0.7]), ("OAT DRINK", [0.75, 0.55, 0.25]),
    ("CHOCOLATE MILK", [0.4, 0.22, 0.1]),
]  # fmt: skip


def milk_carton(rng: np.random.Generator) -> dict:
    """A milk carton (`grocery_params.milk_carton` adds the photos' milks under a preference)."""
    return carton(rng, MILK_PRODUCTS, "milk")


def juice_carton(rng: np.random.Generator) -> dict:
    """A fruit juice carton."""
    products = [
        ("ORANGE JUICE", [0.98, 0.55, 0.05]), ("APPLE JUICE", [0.55, 0.8, 0.15]),
        ("MULTIVITAMIN", [0.95, 0.35, 0.2]), ("CRANBERRY", [0.7, 0.05, 0.2]),
        ("PINEAPPLE", [0.95, 0.85, 0.2]), ("GRAPEFRUIT", [0.95, 0.45, 0.45]),
        ("TOMATO JUICE", [0.8, 0.1, 0.05]),
    ]  # fmt: skip
    return carton(rng, products, "juice")


def water_bottle(rng: np.random.Generator) -> dict:
    """A clear PET water bottle with a coloured screw cap and a label band."""
    volume = pick(rng, [0.33, 0.5, 0.75, 1.0, 1.5], [1, 3, 1, 2, 2])
    d = {0.33: 0.058, 0.5: 0.065, 0.75: 0.072, 1.0: 0.08, 1.5: 0.088}[volume] * rng.uniform(
        0.96, 1.04
    )
    h = {0.33: 0.175, 0.5: 0.205, 0.75: 0.245, 1.0: 0.265, 1.5: 0.31}[volume] * rng.uniform(
        0.96, 1.04
    )
    band_lo = rng.uniform(0.28, 0.42)
    return item_params(
        [d, d, h],
        "circle",
        volume_l=volume,
        shoulder=r5(rng.uniform(0.62, 0.72)),  # where the shoulder starts, fraction of height
        neck_ratio=r5(rng.uniform(0.36, 0.44)),  # neck diameter / body diameter
        ribs=int(rng.integers(0, 4)),
        waist=r5(rng.uniform(0.0, 0.06)),
        cap_color=jitter(rng, pick(rng, [[0.1, 0.35, 0.85], [0.9, 0.9, 0.92], [0.1, 0.6, 0.3],
                                         [0.85, 0.15, 0.2], [0.2, 0.7, 0.9], [0.95, 0.6, 0.1]])),
        tint=jitter(rng, pick(rng, [[0.92, 0.97, 1.0], [0.85, 0.95, 1.0], [0.9, 1.0, 0.95]]), 0.02),
        fill=r5(rng.uniform(0.55, 0.92) if rng.random() < 0.9 else rng.uniform(0.1, 0.5)),
        band=[r5(band_lo), r5(band_lo + rng.uniform(0.14, 0.24))],
        label=make_label(rng, "bottle_band", pick(rng, ["NATURAL MINERAL WATER", "SPRING WATER",
                         "STILL WATER", "SPARKLING", "PURE WATER"]),
                         pick(rng, [[0.1, 0.4, 0.85], [0.2, 0.7, 0.9], [0.1, 0.55, 0.35], None])),
    )  # fmt: skip


def glass_bottle(rng: np.random.Generator) -> dict:
    """A wine, beer or soda glass bottle in green, brown or clear glass."""
    style = pick(rng, ["wine", "beer", "beer_long", "soda"], [3, 3, 2, 2])
    glass_colors = {
        "green": [0.25, 0.55, 0.25], "brown": [0.45, 0.25, 0.08],
        "clear": [0.95, 0.98, 0.97], "dark_green": [0.1, 0.3, 0.12],
    }  # fmt: skip
    if style == "wine":
        glass = pick(rng, ["green", "dark_green", "clear", "brown"], [3, 3, 2, 1])
        d, h = rng.uniform(0.072, 0.08), rng.uniform(0.29, 0.32)
        shoulder, neck, cap = rng.uniform(0.6, 0.68), rng.uniform(0.36, 0.4), "capsule"
        liquid = pick(rng, [[0.35, 0.02, 0.06], [0.95, 0.85, 0.45], [0.95, 0.6, 0.55]])
    elif style == "soda":
        glass = "clear"
        d, h = rng.uniform(0.058, 0.064), rng.uniform(0.2, 0.25)
        shoulder, neck, cap = rng.uniform(0.45, 0.55), rng.uniform(0.38, 0.44), "crown"
        liquid = pick(rng, [[0.18, 0.06, 0.02], [0.95, 0.55, 0.05], [0.85, 0.95, 0.7]])
    else:
        glass = pick(rng, ["brown", "green", "clear"], [5, 3, 1])
        d = rng.uniform(0.058, 0.066)
        h = rng.uniform(0.225, 0.25) if style == "beer" else rng.uniform(0.25, 0.28)
        shoulder = rng.uniform(0.55, 0.62) if style == "beer" else rng.uniform(0.5, 0.56)
        neck, cap = rng.uniform(0.4, 0.45), "crown"
        liquid = pick(rng, [[0.85, 0.55, 0.1], [0.45, 0.2, 0.05], [0.95, 0.8, 0.3]])
    band_lo = rng.uniform(0.12, 0.25)
    return item_params(
        [d, d, h],
        "circle",
        style=style,
        shoulder=r5(shoulder),
        neck_ratio=r5(neck),
        glass=glass,
        glass_color=jitter(rng, glass_colors[glass], 0.04),
        cap=cap,
        cap_color=jitter(rng, pick(rng, [[0.8, 0.7, 0.3], [0.7, 0.05, 0.1], [0.1, 0.1, 0.1],
                                         [0.75, 0.75, 0.78], [0.1, 0.3, 0.6]])),
        liquid_color=jitter(rng, liquid, 0.05),
        fill=r5(rng.uniform(0.6, 0.85) if rng.random() < 0.85 else rng.uniform(0.0, 0.4)),
        band=[r5(band_lo), r5(band_lo + rng.uniform(0.18, 0.3))],
        label=make_label(rng, "bottle_band", pick(rng, {
            "wine": ["RED WINE", "WHITE WINE", "ROSE", "RESERVA", "CUVEE"],
            "soda": ["COLA", "LEMONADE", "GINGER ALE", "TONIC"],
        }.get(style, ["LAGER", "PILSNER", "PALE ALE", "WHEAT BEER", "STOUT"]))),
    )  # fmt: skip


def can(rng: np.random.Generator) -> dict:
    """A drinks can: 330 ml standard, 250 ml slim or 500 ml tall."""
    kind = pick(rng, ["330", "slim", "500", "sleek"], [5, 2, 2, 1])
    d, h = {"330": (0.066, 0.115), "slim": (0.053, 0.134), "500": (0.066, 0.168),
            "sleek": (0.058, 0.146)}[kind]  # fmt: skip
    d *= rng.uniform(0.99, 1.01)
    h *= rng.uniform(0.99, 1.01)
    product, main = pick(rng, [
        ("COLA", [0.8, 0.05, 0.08]), ("ZERO", [0.08, 0.08, 0.08]), ("LEMON", [0.95, 0.85, 0.15]),
        ("ORANGE", [0.98, 0.5, 0.05]), ("ENERGY", [0.2, 0.3, 0.9]), ("LAGER", [0.15, 0.45, 0.2]),
        ("TONIC", [0.85, 0.88, 0.9]), ("ICED TEA", [0.6, 0.35, 0.1]), ("SODA", [0.1, 0.65, 0.8]),
    ])  # fmt: skip
    return item_params(
        [d, d, h],
        "circle",
        stackable=True,
        can_type=kind,
        metal_color=jitter(rng, pick(rng, [[0.8, 0.8, 0.82], [0.75, 0.75, 0.78],
                                           [0.8, 0.7, 0.45]], [5, 3, 1]), 0.03),
        metal_roughness=r5(rng.uniform(0.15, 0.35)),
        print_metallic=r5(rng.uniform(0.3, 0.8)),
        label=make_label(rng, "can_wrap", product, jitter(rng, main, 0.08)),
    )  # fmt: skip


def jar(rng: np.random.Generator) -> dict:
    """A glass jar with coloured contents, a metal screw lid and a paper band label."""
    contents, color = pick(rng, [
        ("STRAWBERRY JAM", [0.55, 0.03, 0.06]), ("APRICOT JAM", [0.95, 0.5, 0.08]),
        ("BLUEBERRY JAM", [0.2, 0.05, 0.25]), ("HONEY", [0.9, 0.55, 0.08]),
        ("PICKLES", [0.45, 0.55, 0.15]), ("PEANUT BUTTER", [0.6, 0.38, 0.18]),
        ("PESTO", [0.3, 0.45, 0.1]), ("TOMATO SAUCE", [0.7, 0.12, 0.05]),
        ("MAYONNAISE", [0.95, 0.92, 0.78]), ("MUSTARD", [0.85, 0.7, 0.1]),
    ])  # fmt: skip
    d = rng.uniform(0.06, 0.095)
    h = d * rng.uniform(0.95, 1.7)
    lid_h = rng.uniform(0.012, 0.02)
    return item_params(
        [d, d, h],
        "circle",
        stackable=True,
        contents=contents,
        contents_color=jitter(rng, color, 0.06),
        chunky=bool(contents == "PICKLES" or rng.random() < 0.2),
        fill=r5(rng.uniform(0.6, 0.92)),
        lid_height=r5(lid_h),
        lid_ratio=r5(rng.uniform(0.82, 0.92)),  # lid diameter / jar diameter
        shoulder=r5(rng.uniform(0.06, 0.14)),  # rounded shoulder height / total height
        lid_color=jitter(rng, pick(rng, [[0.8, 0.8, 0.82], [0.8, 0.65, 0.2], [0.7, 0.05, 0.05],
                                         [0.1, 0.3, 0.1], [0.05, 0.05, 0.05], [0.9, 0.9, 0.85],
                                         [0.1, 0.2, 0.6]]), 0.05),
        lid_pattern=pick(rng, ["plain", "plain", "gingham", "dots"]),
        has_label=bool(rng.random() < 0.85),
        band=[r5(rng.uniform(0.15, 0.3)), r5(rng.uniform(0.55, 0.75))],
        label=make_label(rng, "jar_band", contents),
    )  # fmt: skip


def yogurt_cup(rng: np.random.Generator) -> dict:
    """A tapered plastic yogurt cup with a foil lid."""
    flavour, color = pick(rng, [
        ("NATURAL", [0.25, 0.45, 0.8]), ("STRAWBERRY", [0.9, 0.25, 0.4]),
        ("VANILLA", [0.95, 0.85, 0.5]), ("BLUEBERRY", [0.35, 0.25, 0.65]),
        ("PEACH", [0.98, 0.6, 0.35]), ("GREEK STYLE", [0.1, 0.35, 0.7]),
        ("CHERRY", [0.6, 0.05, 0.15]), ("COCONUT", [0.9, 0.9, 0.88]),
    ])  # fmt: skip
    d_top = rng.uniform(0.06, 0.095)
    h = rng.uniform(0.055, 0.1) if d_top > 0.075 else rng.uniform(0.06, 0.085)
    return item_params(
        [d_top, d_top, h],
        "circle",
        stackable=True,
        taper=r5(rng.uniform(0.72, 0.9)),  # bottom diameter / top diameter
        rim=r5(rng.uniform(0.002, 0.004)),
        cup_color=jitter(rng, pick(rng, [[0.95, 0.95, 0.93], color, [0.95, 0.95, 0.93]]), 0.04),
        label=make_label(rng, "cup_wrap", flavour, jitter(rng, color, 0.06)),
        lid_label=lid_label(rng, flavour, color, foil_p=0.5),
    )  # fmt: skip


def butter_pack(rng: np.random.Generator) -> dict:
    """A 250 g (or 125 g) foil/paper-wrapped butter block lying flat."""
    small = rng.random() < 0.3
    dims = np.array([0.095, 0.06, 0.025] if small else [0.12, 0.065, 0.032])
    sx, sy, sz = dims * rng.uniform(0.96, 1.04, 3)
    product, main = pick(rng, [
        ("BUTTER", [0.95, 0.8, 0.2]), ("SALTED BUTTER", [0.1, 0.35, 0.75]),
        ("UNSALTED", [0.15, 0.55, 0.2]), ("IRISH BUTTER", [0.85, 0.7, 0.25]),
        ("MARGARINE", [0.9, 0.2, 0.15]), ("ORGANIC", [0.3, 0.6, 0.2]),
    ])  # fmt: skip
    return flat_pack(rng, (sx, sy, sz), product, main, foil_p=0.55, bevel=(0.002, 0.004))


# --------------------------------------------------------------------------------------------
# Fresh food


EGG_SHELLS = ([0.97, 0.96, 0.92], [0.78, 0.55, 0.36], [0.86, 0.7, 0.52], [0.66, 0.4, 0.25])
"""Shell colours: white, brown, light brown, dark red-brown."""


def egg(rng: np.random.Generator, shell_weights: tuple[float, ...] = (3, 4, 2, 0)) -> dict:
    """A hen's egg lying on its side (long axis along X); its shell colour one of `EGG_SHELLS`
    by `shell_weights`."""
    length = rng.uniform(0.054, 0.063)
    width = length * rng.uniform(0.74, 0.8)
    color = pick(rng, list(EGG_SHELLS), list(shell_weights))
    return item_params(
        [length, width, width],
        pointiness=r5(rng.uniform(0.12, 0.24)),
        shell_color=jitter(rng, color, 0.05),
        speckles=r5(rng.uniform(0.0, 0.6)),
    )


# apple variety -> (skin colour, blush colour)
APPLE_COLORS: dict[str, tuple[list[float], list[float]]] = {
    "red": ([0.55, 0.04, 0.04], [0.3, 0.02, 0.03]),
    "green": ([0.45, 0.7, 0.15], [0.6, 0.75, 0.2]),
    "yellow": ([0.9, 0.78, 0.25], [0.85, 0.55, 0.15]),
    "bicolor": ([0.85, 0.6, 0.15], [0.65, 0.06, 0.04]),
}
APPLE_VARIETIES = tuple(APPLE_COLORS)


def apple(rng: np.random.Generator, variety: str | None = None) -> dict:
    """An apple: red, green, yellow or bicoloured (drawn unless `variety` is given), slightly
    lopsided."""
    if variety is None:
        variety = pick(rng, list(APPLE_VARIETIES), [4, 2, 1, 3])
    base, blush = APPLE_COLORS[variety]
    d = rng.uniform(0.068, 0.09)
    h_body = d * rng.uniform(0.8, 0.95)
    stem = rng.uniform(0.006, 0.014) if rng.random() < 0.85 else 0.0
    return item_params(
        [d, d, h_body + stem * 0.6],
        "circle",
        variety=variety,
        body_height=r5(h_body),
        stem_length=r5(stem),
        stem_tilt=r5(rng.uniform(-0.5, 0.5)),
        lopsided=r5(rng.uniform(0.0, 0.08)),
        lopsided_angle=r5(rng.uniform(0, 2 * np.pi)),
        lobes=r5(rng.uniform(0.0, 0.035)),
        taper=r5(rng.uniform(0.0, 0.2)),
        dimple=r5(rng.uniform(0.1, 0.2)),
        color=jitter(rng, base, 0.08),
        blush_color=jitter(rng, blush, 0.08),
        blush=r5(rng.uniform(0.2, 0.8)),
        streaks=bool(rng.random() < 0.5),
        roughness=r5(rng.uniform(0.25, 0.45)),
    )


def orange(rng: np.random.Generator) -> dict:
    """An orange (or a mandarin), slightly oblate with a pitted peel."""
    mandarin = rng.random() < 0.3
    d = rng.uniform(0.055, 0.068) if mandarin else rng.uniform(0.07, 0.09)
    h = d * (rng.uniform(0.75, 0.85) if mandarin else rng.uniform(0.9, 0.98))
    return item_params(
        [d, d, h],
        "circle",
        mandarin=bool(mandarin),
        color=jitter(rng, pick(rng, [[0.95, 0.45, 0.03], [0.98, 0.55, 0.05],
                                     [0.95, 0.38, 0.02], [0.92, 0.55, 0.1]]), 0.05),
        green_patch=r5(rng.uniform(0.0, 0.3)),
        lumpy=r5(rng.uniform(0.005, 0.02)),
        pore_scale=r5(rng.uniform(500, 800)),
        roughness=r5(rng.uniform(0.35, 0.55)),
    )  # fmt: skip


def lemon(rng: np.random.Generator) -> dict:
    """A lemon (or lime) lying on its side with pointed ends along X."""
    lime = rng.random() < 0.25
    length = rng.uniform(0.055, 0.068) if lime else rng.uniform(0.07, 0.09)
    d = length * (rng.uniform(0.82, 0.92) if lime else rng.uniform(0.68, 0.78))
    return item_params(
        [length, d, d],
        lime=bool(lime),
        tip=r5(rng.uniform(0.08, 0.16) if not lime else rng.uniform(0.02, 0.05)),
        asymmetry=r5(rng.uniform(-0.06, 0.06)),
        color=jitter(rng, [0.25, 0.5, 0.06] if lime else pick(rng, [[0.98, 0.84, 0.04],
                     [1.0, 0.88, 0.12], [0.92, 0.8, 0.08]]), 0.04),
        pore_scale=r5(rng.uniform(500, 800)),
        roughness=r5(rng.uniform(0.35, 0.5)),
    )  # fmt: skip


def tomato(rng: np.random.Generator) -> dict:
    """A tomato, ripe (red), turning (orange) or unripe (green), with a green calyx."""
    ripeness = pick(rng, ["ripe", "turning", "unripe"], [6, 2, 1])
    color = {"ripe": [0.7, 0.04, 0.02], "turning": [0.9, 0.35, 0.05], "unripe": [0.45, 0.6, 0.15]}
    d = rng.uniform(0.05, 0.085)
    h = d * rng.uniform(0.72, 0.88)
    calyx = d * rng.uniform(0.12, 0.2)
    return item_params(
        [d, d, h + calyx * 0.15],
        "circle",
        ripeness=ripeness,
        body_height=r5(h),
        lobes=int(rng.integers(4, 7)),
        lobe_depth=r5(rng.uniform(0.01, 0.05)),
        calyx_radius=r5(calyx),
        color=jitter(rng, color[ripeness], 0.06),
        shoulder_color=jitter(rng, [0.45, 0.55, 0.1] if ripeness != "ripe" else color["ripe"]),
        roughness=r5(rng.uniform(0.12, 0.25)),
    )


def banana(rng: np.random.Generator) -> dict:
    """A single banana lying on its side, curved in the XY plane, tapered with dark tips."""
    ripeness = pick(rng, ["green", "yellow", "ripe", "spotty"], [1, 4, 3, 2])
    color = {
        "green": [0.45, 0.6, 0.12], "yellow": [0.95, 0.8, 0.15],
        "ripe": [0.95, 0.75, 0.12], "spotty": [0.9, 0.68, 0.15],
    }[ripeness]  # fmt: skip
    length = rng.uniform(0.16, 0.22)  # along the centreline
    bend = rng.uniform(0.5, 1.0)  # radians of arc
    thick = rng.uniform(0.032, 0.04)
    radius = length / bend
    chord = 2 * radius * np.sin(bend / 2)
    sagitta = radius * (1 - np.cos(bend / 2))
    return item_params(
        [chord + thick * 0.2, sagitta + thick, thick],
        ripeness=ripeness,
        length=r5(length),
        bend=r5(bend),
        thickness=r5(thick),
        color=jitter(rng, color, 0.05),
        spots=r5({"green": 0.0, "yellow": 0.05, "ripe": 0.25, "spotty": 0.6}[ripeness]),
        roughness=r5(rng.uniform(0.4, 0.6)),
    )


def cheese_block(rng: np.random.Generator) -> dict:
    """A block or wedge of cheese, yellow/orange/white, possibly with holes and a rind."""
    shape = pick(rng, ["block", "wedge"], [3, 2])
    kind, color = pick(rng, [
        ("cheddar", [0.95, 0.7, 0.2]), ("red_cheddar", [0.95, 0.5, 0.1]),
        ("swiss", [0.96, 0.85, 0.5]), ("gouda", [0.98, 0.78, 0.3]),
        ("white", [0.95, 0.93, 0.85]), ("parmesan", [0.92, 0.82, 0.55]),
    ])  # fmt: skip
    if shape == "block":
        sx, sy, sz = rng.uniform(0.08, 0.14), rng.uniform(0.05, 0.08), rng.uniform(0.025, 0.05)
    else:
        sx, sy, sz = rng.uniform(0.09, 0.14), rng.uniform(0.06, 0.09), rng.uniform(0.04, 0.07)
    rind = pick(rng, [None, [0.8, 0.05, 0.05], [0.85, 0.6, 0.2], [0.1, 0.1, 0.1]], [4, 1, 2, 1])
    return item_params(
        [sx, sy, sz],
        stackable=shape == "block",
        shape=shape,
        kind=kind,
        color=jitter(rng, color, 0.04),
        holes=bool(kind == "swiss" or (kind == "gouda" and rng.random() < 0.3)),
        rind_color=None if rind is None else jitter(rng, rind, 0.05),
        wrapped=bool(rng.random() < 0.35),
        bevel=r5(rng.uniform(0.001, 0.003)),
        roughness=r5(rng.uniform(0.35, 0.6)),
    )  # fmt: skip


def sample_food_params(
    cls: str, rng: np.random.Generator, prefer: dict[str, float] | None = None
) -> dict:
    """Sample the full, JSON-serialisable build parameters of one item of class `cls`.

    Any procedural class of `classes.CLASS_TABLE` (the table imports this module, hence
    the late import); `prefer` weighs its products (`classes.sample_params`).
    """
    from .classes import sample_params

    return sample_params(cls, rng, prefer)
