"""Parameters of the grocery classes beyond the original fifteen (pure Python + numpy).

Same contract as `params`: every sampler takes its own generator and returns a
JSON-serialisable dict with ``size`` (bounding box in metres, origin bottom centre, front -Y),
``footprint`` and ``stackable``; `build.BUILDERS` names the builder that makes the mesh.

Many of these items are *groups* labelled as one object, the way real fridge photos are
annotated: a bunch of bananas, carrots lying together, potatoes in a tub, berries in a punnet,
steaks under film in a tray. Their parts are ``pieces``: dicts with

- ``kind``: which piece builder makes it (``potato``, ``egg``, ``steak``, ...);
- ``size``: the piece's own box ``[sx, sy, sz]`` before it is turned;
- ``at``: where the centre of that box goes, ``rot``: XYZ Euler degrees about that centre;
- ``shape``: ``ellipsoid`` | ``box`` | ``cone`` (for the bounding box of the group);
- ``mat``: which of the item's material variants it uses (pieces share a few materials).

The group's ``size`` is the bounding box of its pieces and container, so the built mesh fills
it without stretching.

A sampler reads as the list of what is special about its class; the common parts come from
helpers: `item_params` (the size/footprint/stackable head of every params dict), `part` and
`item_part` (unplaced pieces), `film_params` (clear film), the label helpers (`sticker`,
`header_label`, and `carton_label`, `lid_label`, `flat_pack_label` in `params`), `_tray` and
`_film_pack` (filmed trays), `_container` and `_punnet` (produce containers) and the
`PRODUCTS` table of product names and pack colours.
"""

from __future__ import annotations

import math

import numpy as np

from ..placement import euler_matrix
from .params import (
    APPLE_COLORS,
    MILK_PRODUCTS,
    Color,
    apple,
    banana,
    carton,
    carton_label,
    drawn,
    egg,
    flat_pack,
    flat_pack_label,
    item_params,
    jitter,
    lid_label,
    make_label,
    pick,
    r5,
    rgb,
    shades,
    tomato,
)
from .params import (
    milk_carton as milk_carton_plain,
)
from .profiles import pillow_profiles, pillow_top

CARROT_ORANGE = [0.95, 0.45, 0.06]  # the commonest carrot skin
EGG_BROWN = [0.78, 0.52, 0.32]

# (product name, main colour of its pack) per class, for the labels (milk bottles: the fat
# grade and the cap colour that goes with it; apple groups: the variety and its skin colour;
# carrots: how they lie, side by side or heaped end-on; eggs: loose, in an open or closed carton
# or standing in a holder; mushrooms: in a punnet or loose, or heaped in a clear tub; bread: a
# sliced loaf, a crusty loaf, rolls, or slices stacked under cling film)
PRODUCTS: dict[str, list[tuple[str, Color]]] = {
    "apple_group": [("mixed", [0.55, 0.3, 0.1]), *((v, c) for v, (c, _) in APPLE_COLORS.items())],
    "carrot": [("side", CARROT_ORANGE), ("heap", CARROT_ORANGE)],  # how they lie (carrot())
    "eggs": [(s, EGG_BROWN) for s in ("loose", "open", "closed", "holder")],  # how they are kept
    "mushrooms": [("punnet", [0.93, 0.9, 0.84]), ("tub", [0.93, 0.9, 0.84])],  # how they are kept
    "bread": [(s, [0.7, 0.45, 0.2]) for s in ("sliced", "crusty", "rolls", "stack")],  # kinds
    "heavy_cream": [
        ("CREAM", [0.2, 0.45, 0.25]), ("WHIPPING CREAM", [0.15, 0.3, 0.65]),
        ("DOUBLE CREAM", [0.75, 0.6, 0.2]), ("COOKING CREAM", [0.8, 0.25, 0.15]),
        ("HEAVY CREAM", [0.2, 0.5, 0.35]), ("CREME", [0.55, 0.3, 0.6]),
        ("CREME CUISINE", [0.16, 0.38, 0.1]),  # CREAM_BRICK
    ],
    "milk_carton": [
        *MILK_PRODUCTS,
        ("DEMI-ECREME", [0.06, 0.28, 0.7]),  # MILK_BRICK
        ("SOYA", [0.1, 0.33, 0.78]),  # SOY_BRICK
    ],
    "milk_bottle": [
        ("WHOLE", [0.1, 0.3, 0.8]), ("SEMI-SKIMMED", [0.15, 0.6, 0.25]),
        ("SKIMMED", [0.85, 0.15, 0.15]), ("1%", [0.95, 0.6, 0.1]), ("ORGANIC", [0.3, 0.55, 0.2]),
    ],
    "goat_cheese": [
        ("CHEVRE", [0.2, 0.55, 0.25]), ("GOAT CHEESE", [0.15, 0.35, 0.6]),
        ("CHEVRE FRAIS", [0.55, 0.7, 0.2]), ("GOAT LOG", [0.6, 0.2, 0.15]),
        ("CHEVRE DOUX", [0.05, 0.22, 0.1]),  # the dark green oval of the AICook tub
    ],
    "butter_tub": [
        ("SPREAD", [0.85, 0.1, 0.08]), ("BUTTERY", [0.95, 0.75, 0.15]),
        ("MARGARINE", [0.15, 0.45, 0.2]), ("LIGHT", [0.2, 0.45, 0.8]),
        ("SPREADABLE", [0.9, 0.85, 0.7]), ("OLIVE SPREAD", [0.4, 0.5, 0.15]),
    ],
    "corn": [
        ("SWEET CORN", [0.15, 0.45, 0.2]), ("CORN", [0.9, 0.7, 0.1]),
        ("GOLDEN CORN", [0.1, 0.25, 0.6]), ("MAIS", [0.75, 0.2, 0.1]),
        ("MAIS DOUX", [0.26, 0.14, 0.07]),  # CORN_TIN
    ],
    "flour": [
        ("PLAIN FLOUR", [0.2, 0.35, 0.7]), ("SELF RAISING", [0.8, 0.2, 0.15]),
        ("WHEAT FLOUR", [0.85, 0.65, 0.2]), ("BREAD FLOUR", [0.3, 0.5, 0.25]),
        ("FARINE", [0.6, 0.3, 0.5]),
        ("FARINE DE BLE", [0.92, 0.45, 0.12]),  # FLOUR_BAG
    ],
    "sugar": [
        ("WHITE SUGAR", [0.15, 0.3, 0.7]), ("GRANULATED", [0.85, 0.15, 0.2]),  # SUGAR_BAG
        ("CANE SUGAR", [0.6, 0.4, 0.2]), ("CASTER SUGAR", [0.3, 0.6, 0.8]),
        ("SUCRE", [0.9, 0.6, 0.1]),
    ],
    "chocolate": [
        ("MILK CHOCOLATE", [0.35, 0.55, 0.85]), ("DARK 70%", [0.15, 0.1, 0.08]),
        ("HAZELNUT", [0.5, 0.3, 0.15]), ("WHITE", [0.9, 0.88, 0.8]), ("ALMOND", [0.2, 0.45, 0.3]),
        ("CARAMEL", [0.85, 0.55, 0.15]), ("CHOCOLAT", [0.6, 0.1, 0.25]),
        ("ICE BLUE", [0.55, 0.75, 0.92]),  # CHOCOLATE_BAR
    ],
}  # fmt: skip

# The cream of the AICook photos: a tall green half-litre brick with a white cap, the store's
# white square logo and a big light oval badge with a thick orange rim on its front (food/aicook
# prefers it).
CREAM_BRICK = "CREME CUISINE"

# The milks of the AICook photos, litre bricks under a big white screw cap: the store brand's
# blue semi-skimmed one, a landscape of green fields printed across the foot of its front
# (label front "landscape"), and a soya drink's cream one with a big blue brand over a glass of
# it (label front "drink"). Both carry the store's white square logo (`logo`), as its cream.
MILK_BRICK = "DEMI-ECREME"
SOY_BRICK = "SOYA"

# The chocolate of the AICook photos: a thick bar in a light blue wrapper printed like crushed
# ice, a navy band across one end (food/aicook prefers it).
CHOCOLATE_BAR = "ICE BLUE"

# The sugar and the flour of the AICook photos: one store brand's white paper bags printed
# with orange small print (label front "text"), the sugar's folded top solid red, the flour's
# mostly rolled down and open (food/aicook prefers them).
SUGAR_BAG = "GRANULATED"
FLOUR_BAG = "FARINE DE BLE"
PANTRY_INK = [0.92, 0.45, 0.12]

# The sweet-corn tin of the AICook photos: squat, a dark brown wrap under a ruled yellow-orange
# top band, kernels pictured at the foot of the front (food/aicook prefers it).
CORN_TIN = "MAIS DOUX"

Prefer = dict[str, float] | None  # product name -> weight factor (render config `products.<class>`)


def pick_product(
    rng: np.random.Generator, cls: str, prefer: Prefer = None, weights: list[float] | None = None
) -> tuple[str, Color]:
    """One (name, colour) of `PRODUCTS[cls]`, by `weights` (default: equal) times the factors of
    `prefer`, so that a preset can follow a photo set's brands (the AICook butter is a red tub)."""
    options = PRODUCTS[cls]
    if prefer:
        base = weights or [1.0] * len(options)
        weights = [
            w * float(prefer.get(name, 1.0)) for w, (name, _) in zip(base, options, strict=True)
        ]
    return pick(rng, options, weights)


# --------------------------------------------------------------------------------------------
# Pieces and groups


def _fibonacci(n: int) -> np.ndarray:
    """n roughly even points on the unit sphere."""
    k = np.arange(n) + 0.5
    phi = np.arccos(1 - 2 * k / n)
    theta = math.pi * (1 + 5**0.5) * k
    return np.column_stack([np.cos(theta) * np.sin(phi), np.sin(theta) * np.sin(phi), np.cos(phi)])


_SPHERE = _fibonacci(96)
_CUBE = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], float)
_CONE = np.array(
    [
        [x, math.cos(a) * (1 - 0.85 * (x + 1) / 2), math.sin(a) * (1 - 0.85 * (x + 1) / 2)]
        for x in np.linspace(-1, 1, 7)
        for a in np.linspace(0, 2 * math.pi, 12)
    ]
)
UNIT_POINTS = {"ellipsoid": _SPHERE, "box": _CUBE, "cone": _CONE}


def piece(
    kind: str, at, size, rot=(0.0, 0.0, 0.0), shape: str = "ellipsoid", mat: int = 0, **extra
) -> dict:
    """One part of a group (see the module docstring)."""
    return {
        "kind": kind,
        "at": [r5(v) for v in at],
        "rot": [r5(v) for v in rot],
        "size": [r5(v) for v in size],
        "shape": shape,
        "mat": int(mat),
        **extra,
    }


def tilted(rng: np.random.Generator, tilt: float) -> tuple[float, float, float]:
    """A rotation: leaning by up to `tilt` degrees about X and Y, any turn about Z."""
    return (rng.uniform(-tilt, tilt), rng.uniform(-tilt, tilt), rng.uniform(-180, 180))


def rolled(rng: np.random.Generator) -> tuple[float, float, float]:
    """A rotation of a piece lying on its side (long axis X): any roll about X, any turn."""
    return (rng.uniform(-180, 180), 0, rng.uniform(-180, 180))


def part(
    kind: str, size, rot=(0.0, 0.0, 0.0), shape: str = "ellipsoid", mat: int = 0, **extra
) -> dict:
    """A piece not placed yet (centred on the origin): a layout (`_produce_group`, `_spread`)
    gives it its ``at``."""
    return piece(kind, (0, 0, 0), size, rot, shape, mat, **extra)


def piece_fields(params: dict) -> dict:
    """A whole item's params (an apple, an egg) less its box: the fields its piece carries."""
    return {k: v for k, v in params.items() if k not in ("size", "footprint", "stackable")}


def item_part(kind: str, item: dict, rot, mat: int, size=None) -> dict:
    """An unplaced piece made from a whole item's params (an apple, an egg): its own fields and
    its size (or `size`)."""
    return part(kind, item["size"] if size is None else size, rot, mat=mat, **piece_fields(item))


def piece_points(q: dict) -> np.ndarray:
    """Points on the surface (or corners) of a placed piece, for bounding boxes."""
    half = np.asarray(q["size"], float) / 2
    pts = UNIT_POINTS[q["shape"]] * half
    return pts @ euler_matrix(q["rot"]).T + np.asarray(q["at"], float)


def posed_extent(q: dict) -> tuple[float, float, float]:
    """Width, depth and height of a piece once turned by its `rot`."""
    pts = UNIT_POINTS[q["shape"]] * (np.asarray(q["size"], float) / 2) @ euler_matrix(q["rot"]).T
    w, d, h = pts.max(axis=0) - pts.min(axis=0)
    return float(w), float(d), float(h)


def group_extent(pieces: list[dict], boxes: list[tuple] = ()) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper corner of the pieces and of extra boxes ((lo, hi) pairs)."""
    pts = [piece_points(q) for q in pieces] + [np.array(b, float) for b in boxes]
    allp = np.vstack(pts)
    return allp.min(axis=0), allp.max(axis=0)


def settle_group(pieces: list[dict], boxes: list[tuple] = ()) -> list[float]:
    """Shift pieces so the group stands on z = 0 centred on the origin; returns its size."""
    lo, hi = group_extent(pieces, boxes)
    shift = np.array([-(lo[0] + hi[0]) / 2, -(lo[1] + hi[1]) / 2, -lo[2]])
    for q in pieces:
        q["at"] = [r5(v) for v in np.asarray(q["at"]) + shift]
    return [r5(v) for v in hi - lo]


def row_layout(
    rng: np.random.Generator,
    dims: list[tuple[float, float]],
    rows: int,
    squeeze: float = 0.95,
    wobble: float = 0.12,
) -> list[tuple[float, float]]:
    """Centres of items of footprint (w, d) laid side by side in `rows` loose rows."""
    rows = max(1, min(rows, len(dims)))
    members: list[list[int]] = [[] for _ in range(rows)]
    length = [0.0] * rows
    for i, (w, _) in enumerate(dims):
        r = int(np.argmin(length))
        members[r].append(i)
        length[r] += w * squeeze
    out = [(0.0, 0.0)] * len(dims)
    y = 0.0
    prev_d = 0.0
    for r in range(rows):
        if not members[r]:
            continue
        depth = max(dims[i][1] for i in members[r])
        y += (prev_d + depth) / 2 * squeeze if r else 0.0
        prev_d = depth
        x = -length[r] / 2 + rng.uniform(-0.2, 0.2) * dims[members[r][0]][0]
        for i in members[r]:
            w, d = dims[i]
            out[i] = (x + w * squeeze / 2, y + rng.uniform(-wobble, wobble) * d)
            x += w * squeeze
    return out


def grid_slots(
    rng: np.random.Generator, n: int, inner: tuple[float, float], cell: float, wobble: float = 0.15
) -> list[tuple[float, float, int]]:
    """Up to n (x, y, layer) spots on a hex-like grid filling an inner area, random order;
    spots beyond one layer go on a second layer over the gaps."""
    w, d = inner
    cols, rows = max(1, int(w / cell)), max(1, int(d / cell))
    cells = []
    for j in range(rows):
        off = 0.25 * cell if j % 2 else -0.25 * cell
        for i in range(cols):
            x = -w / 2 + (i + 0.5) * w / cols + (off if cols > 1 else 0.0) * 0.5
            y = -d / 2 + (j + 0.5) * d / rows
            cells.append((x, y, 0))
    order = [cells[int(k)] for k in rng.permutation(len(cells))]
    spots = order[:n]
    if n > len(order):  # the second layer nestles between neighbours, as a heap settles
        xy = np.array([c[:2] for c in cells])
        dist = np.linalg.norm(xy[:, None] - xy[None], axis=-1)
        near = dist[dist > 0].min() * 1.5 if len(cells) > 1 else 0.0
        gaps = [(*((xy[a] + xy[b]) / 2), 1) for a in range(len(cells))
                for b in range(a + 1, len(cells)) if dist[a, b] <= near]  # fmt: skip
        gaps = [gaps[int(k)] for k in rng.permutation(len(gaps))]
        over = [(x + cell * rng.uniform(-0.25, 0.25), y + cell * rng.uniform(-0.25, 0.25), 1)
                for x, y, _ in order]  # fmt: skip
        spots = (order + gaps + over)[:n]
    return [
        (x + rng.uniform(-wobble, wobble) * cell, y + rng.uniform(-wobble, wobble) * cell, layer)
        for x, y, layer in spots
    ]


def clamp_xy(x: float, y: float, half_w: float, half_d: float, inner: tuple[float, float]):
    """Keep a footprint of half sizes (half_w, half_d) inside an inner area centred on 0."""
    hx, hy = max(inner[0] / 2 - half_w, 0.0), max(inner[1] / 2 - half_d, 0.0)
    return min(max(x, -hx), hx), min(max(y, -hy), hy)


# --------------------------------------------------------------------------------------------
# Packaging parts many classes share (with `params`: item_params, carton_label, lid_label,
# flat_pack_label, flat_pack); trays and film packs are under "Meat"


def sticker(
    rng: np.random.Generator, product: str, main: Color | None = None, plain: bool = False
) -> dict:
    """A price/weight sticker (label kind ``sticker``); `plain`: white with grey print, no
    coloured header or price box (a butcher's or scale sticker; same draws)."""
    extra = {"plain": True} if plain else {}
    return make_label(
        rng,
        "sticker",
        product,
        main,
        price=r5(rng.uniform(1.5, 15.0)),
        weight_g=int(rng.integers(2, 12)) * 50,
        **extra,
    )


def header_label(rng: np.random.Generator, product: str, main: Color | None = None) -> dict:
    """The printed header of a clear bag (one panel)."""
    return make_label(rng, "carton_wrap", product, main, panels=[1, 0, 0, 0])


FILM_TINT = [0.96, 0.97, 0.98]  # clear wrapping film
BAG_TINT = [0.95, 0.97, 0.97]  # clear plastic bags


def film_params(
    rng: np.random.Generator,
    roughness: float | tuple[float, float],
    tint: Color = FILM_TINT,
    **shape: float,
) -> dict:
    """Clear film over an item: its `shape` fields (``top``, ``dome``; rounded), a jittered
    tint, then its roughness (fixed, or a (low, high) range to draw from)."""
    film = {key: r5(v) for key, v in shape.items()}
    film["tint"] = jitter(rng, tint, 0.02)
    film["roughness"] = drawn(rng, roughness)
    return film


# --------------------------------------------------------------------------------------------
# Produce (loose groups, tubs, nets and bags)

_LOOSE = {"kind": "loose"}
NET_COLORS = [
    [0.9, 0.3, 0.1],
    [0.95, 0.75, 0.1],
    [0.85, 0.1, 0.1],
    [0.2, 0.55, 0.2],
    [0.9, 0.9, 0.85],
]
TUB_TAPER = 0.06  # tubs and punnets: inward lean of the walls per unit of height


def _container(
    rng: np.random.Generator,
    weights: dict[str, float],
    inner: tuple[tuple[float, float], tuple[float, float]] | None = None,
    height: tuple[float, float] | None = None,
) -> dict:
    """A clear tub, a net bag or nothing around a group of produce: a kind picked by `weights`
    (``loose``, ``tub``, ``net``); a tub's inner width and depth and its height are drawn from
    the (low, high) ranges `inner` and `height` (a net hugs the group: no sizes needed)."""
    inner = (0, 0) if inner is None else (rng.uniform(*inner[0]), rng.uniform(*inner[1]))
    height = 0 if height is None else rng.uniform(*height)
    kind = pick(rng, list(weights), list(weights.values()))
    if kind == "loose":
        return dict(_LOOSE)
    if kind == "net":
        return {
            "kind": "net",
            "inner": [r5(inner[0]), r5(inner[1])],
            "height": r5(height),
            "color": jitter(rng, pick(rng, NET_COLORS), 0.05),
            "mesh": r5(rng.uniform(120, 220)),
        }
    return {
        "kind": kind,
        "inner": [r5(inner[0]), r5(inner[1])],
        "height": r5(height),
        "wall": 0.0025,
        "color": jitter(rng, pick(rng, [[0.97, 0.97, 0.96], [0.95, 0.96, 0.96]]), 0.015),
        "clear": True,
    }


def _produce_group(
    rng: np.random.Generator, n: int, make, rows: int, container: dict, along: str = "x"
) -> tuple[list[dict], list[tuple]]:
    """Pieces from `make(rng, k) -> piece` laid in rows, or in a grid inside a container.

    Loose rows run along X; with along="y" they run front to back (long pieces lying along X
    then lie side by side).
    """
    pieces = [make(rng, k) for k in range(n)]
    boxes: list[tuple] = []
    if container["kind"] in ("tub", "punnet"):
        iw, idp = container["inner"]
        slope = 2 * TUB_TAPER * container["height"]  # the walls lean in towards the floor
        iw, idp = iw - slope, idp - slope
        cell = max(max(posed_extent(q)[:2]) for q in pieces) * 0.9
        spots = grid_slots(rng, n, (iw, idp), cell)
        floor = 0.003
        for q, (x, y, layer) in zip(pieces, spots, strict=False):
            w, d, h = posed_extent(q)
            x, y = clamp_xy(x, y, w / 2, d / 2, (iw, idp))
            q["at"] = [r5(x), r5(y), r5(floor + h / 2 + layer * h * 0.6)]
        pieces = pieces[: len(spots)]
        wall = container["wall"]
        iw, idp = container["inner"]
        lo = (-iw / 2 - wall, -idp / 2 - wall, 0.0)
        boxes.append((lo, (iw / 2 + wall, idp / 2 + wall, container["height"])))
        return pieces, boxes
    ext = [posed_extent(q) for q in pieces]
    if along == "y":
        spots = [(y, x) for x, y in row_layout(rng, [(d, w) for w, d, _ in ext], rows)]
    else:
        spots = row_layout(rng, [(w, d) for w, d, _ in ext], max(rows, math.ceil(n / 4)))
    for q, (x, y), (_, _, h) in zip(pieces, spots, ext, strict=True):
        q["at"] = [r5(x), r5(y), r5(h / 2)]
    if container["kind"] == "net":  # the net hugs the group
        lo, hi = group_extent(pieces)
        container["inner"] = [r5(hi[0] - lo[0]), r5(hi[1] - lo[1])]
        container["height"] = r5(hi[2] - lo[2])
    return pieces, boxes


def _finish_produce(pieces: list[dict], boxes: list[tuple], container: dict, **extra) -> dict:
    """The params dict of a produce group."""
    size = settle_group(pieces, boxes)
    if container["kind"] == "net":
        pad = 0.004
        size = [r5(size[0] + 2 * pad), r5(size[1] + 2 * pad), r5(size[2] + pad)]
    return item_params(
        size,
        container=container,
        pieces=pieces,
        **extra,
    )


def carrot(rng: np.random.Generator, prefer: Prefer = None) -> dict:
    """Carrots lying side by side across the view (sometimes with green tops, sometimes in a
    clear bag), or heaped: a pile of six to twelve pointing at the viewer, thick ends with their
    dark crowns to the front, a second layer in the gaps of the first (`products.carrot.heap`:
    every carrot of the AICook photos lies so)."""
    style, _ = pick_product(rng, "carrot", prefer, [3, 1])
    colors = [
        jitter(rng, pick(rng, [CARROT_ORANGE, [0.92, 0.38, 0.05], [0.98, 0.52, 0.1]]), 0.05)
        for _ in range(2)
    ]
    if style == "heap":
        return _carrot_heap(rng, colors)
    n = int(rng.integers(2, 7))
    tops = bool(rng.random() < 0.25)

    def make(r: np.random.Generator, k: int) -> dict:
        length, d = r.uniform(0.13, 0.21), r.uniform(0.024, 0.038)
        flip = 180.0 if r.random() < 0.2 else 0.0
        return part(
            "carrot",
            (length, d, d),
            (r.uniform(-180, 180), 0, flip + r.uniform(-6, 6)),
            shape="cone",
            mat=k % 2,
            bend=r5(r.uniform(-0.15, 0.15)),
            top=tops,
        )

    bagged = rng.random() < 0.25
    pieces, boxes = _produce_group(rng, n, make, 1, _LOOSE, along="y")
    out = _finish_produce(
        pieces, boxes, dict(_LOOSE), colors=colors, ridges=r5(rng.uniform(0.3, 1.0))
    )
    if bagged:
        out["bag"] = _bag_film(rng, out, pick(rng, ["CARROTS", "FRESH CARROTS", "ORGANIC", "1 KG"]))
    return out


def _carrot_heap(rng: np.random.Generator, colors: list[Color]) -> dict:
    """Six to twelve carrots side by side along X, each pointing along Y with its thick end (and
    its crown) to the front (-Y); the rest of them in the gaps of that layer, a little higher."""
    n = int(rng.integers(6, 13))
    first = min(n, max(4, math.ceil(n * 0.6)))
    start = (first - 1 - (n - first)) // 2  # the upper layer over the middle gaps
    d_mean = rng.uniform(0.028, 0.038)
    pieces = []
    for k in range(n):
        length, d = rng.uniform(0.13, 0.2), d_mean * rng.uniform(0.85, 1.15)
        layer = 0 if k < first else 1
        slot = k if layer == 0 else start + (k - first) + 0.5
        x = (slot - (first - 1) / 2) * d_mean * 1.02 + rng.uniform(-0.15, 0.15) * d_mean
        y = rng.uniform(-0.025, 0.025) + length / 2  # thick ends roughly in a line at the front
        z = d / 2 + layer * d_mean * 0.75
        q = part(
            "carrot",
            (length, d, d),
            (rng.uniform(-180, 180), rng.uniform(-4, 4) * layer, 90 + rng.uniform(-12, 12)),
            shape="cone",
            mat=k % 2,
            bend=r5(rng.uniform(-0.12, 0.12)),
            top=False,
            crown=True,
        )
        q["at"] = [r5(x), r5(y), r5(z)]
        pieces.append(q)
    return _finish_produce(
        pieces, [], dict(_LOOSE), colors=colors, ridges=r5(rng.uniform(0.3, 1.0))
    )


def _bag_film(rng: np.random.Generator, params: dict, product: str) -> dict:
    """A clear plastic bag around a group (grows its size) with a printed header at one seal."""
    sx, sy, sz = params["size"]
    pad = rng.uniform(0.006, 0.012)
    seal = rng.uniform(0.01, 0.016)
    params["size"] = [r5(sx + 2 * pad + 2 * seal), r5(sy + 2 * pad), r5(sz + pad)]
    return {
        "pad": r5(pad),
        "seal": r5(seal),
        "tint": jitter(rng, BAG_TINT, 0.02),
        "header": r5(rng.uniform(0.15, 0.3)),
        "label": header_label(rng, product),
    }


def potato(rng: np.random.Generator) -> dict:
    """Potatoes loose, in a net bag or, mostly, a clear tub filled with a heap of them."""
    variety = pick(rng, ["yellow", "red", "russet"], [6, 1, 2])
    base = {"yellow": [0.78, 0.62, 0.38], "red": [0.6, 0.25, 0.2], "russet": [0.55, 0.4, 0.26]}[
        variety
    ]
    colors = shades(rng, base, 0.06, 3)
    container = _container(  # a tub holds a heap of small ones, as sold; nets and loose fewer
        rng, {"loose": 0.1, "tub": 0.8, "net": 0.1}, ((0.17, 0.22), (0.12, 0.16)), (0.045, 0.06)
    )
    tub = container["kind"] == "tub"
    big = rng.uniform(0.05, 0.068) if tub else rng.uniform(0.06, 0.09)

    def make(r: np.random.Generator, k: int) -> dict:
        length = big * r.uniform(0.75, 1.1)
        w = length * r.uniform(0.72, 0.9)
        h = w * r.uniform(0.7, 0.85)
        return part(
            "potato",
            (length, w, h),
            (0, 0, r.uniform(-180, 180)),
            mat=k % 3,
            seed=int(r.integers(0, 2**31 - 1)),
            bumps=r5(r.uniform(0.04, 0.1)),
        )

    n = int(rng.integers(8, 14)) if tub else int(rng.integers(2, 9))
    pieces, boxes = _produce_group(rng, n, make, int(rng.integers(1, 3)), container)
    return _finish_produce(
        pieces,
        boxes,
        container,
        variety=variety,
        colors=colors,
        eyes=r5(rng.uniform(0.2, 0.8)),
        dirt=r5(rng.uniform(0.0, 0.6)),
    )


def sweet_potato(rng: np.random.Generator) -> dict:
    """Sweet potatoes: long and tapered or short, fat and lumpy (as most of the AICook photos'),
    red-brown or orange-brown with dark soil; loose or in a tub."""
    base = pick(rng, [[0.62, 0.3, 0.2], [0.7, 0.4, 0.25], [0.5, 0.25, 0.22], [0.75, 0.5, 0.3],
                      [0.6, 0.34, 0.18], [0.52, 0.3, 0.18]], [1, 1, 1, 1, 2, 2])  # fmt: skip
    colors = shades(rng, base, 0.06, 2)
    chunky = rng.random() < 0.6

    def make(r: np.random.Generator, k: int) -> dict:
        length = r.uniform(0.12, 0.19) if chunky else r.uniform(0.12, 0.22)
        w = length * (r.uniform(0.45, 0.62) if chunky else r.uniform(0.32, 0.48))
        return part(
            "sweet_potato",
            (length, w, w * r.uniform(0.8, 0.95)),
            (0, 0, r.uniform(-20, 20) + (180 if r.random() < 0.5 else 0)),
            mat=k % 2,
            seed=int(r.integers(0, 2**31 - 1)),
            bend=r5(r.uniform(-0.12, 0.12)),
            taper=r5(r.uniform(0.0, 0.2) if chunky else r.uniform(0.1, 0.35)),
            lumps=r5(r.uniform(0.06, 0.12) if chunky else 0.06),
        )

    n = int(pick(rng, [1, 2, 3, 4], [2, 3, 2, 1]))
    container = _container(
        rng, {"loose": 0.8, "tub": 0.2}, ((0.2, 0.24), (0.13, 0.16)), (0.05, 0.07)
    )
    pieces, boxes = _produce_group(rng, n, make, 1, container, along="y")
    return _finish_produce(pieces, boxes, container, colors=colors, dirt=r5(rng.uniform(0.2, 0.7)))


def onion(rng: np.random.Generator) -> dict:
    """Onions (golden, red or white): mostly a clear tub heaped two high with nine to fourteen,
    else loose or in a net bag."""
    kind = pick(rng, ["golden", "red", "white"], [10, 2, 1])
    base = {"golden": [0.7, 0.33, 0.11], "red": [0.45, 0.12, 0.2], "white": [0.92, 0.88, 0.78]}[
        kind
    ]
    colors = shades(rng, base, 0.06, 3)
    container = _container(  # the photos' onions are heaped in a clear box, three across
        rng, {"loose": 0.07, "tub": 0.85, "net": 0.08}, ((0.17, 0.2), (0.125, 0.15)), (0.055, 0.075)
    )
    tub = container["kind"] == "tub"
    n = int(rng.integers(9, 15) if tub else rng.integers(2, 7))  # heaped two high in a box
    sizes = (0.05, 0.062) if tub else (0.055, 0.085)  # a box holds the smaller ones

    def make(r: np.random.Generator, k: int) -> dict:
        d = r.uniform(*sizes)
        h = d * r.uniform(0.8, 0.95)  # a round bulb, a little wider than tall
        return part(
            "onion",
            (d, d, h),
            tilted(r, 15),
            mat=k % 3,
            neck=r5(r.uniform(0.05, 0.12)),
            seed=int(r.integers(0, 2**31 - 1)),
        )

    pieces, boxes = _produce_group(rng, n, make, int(rng.integers(1, 3)), container)
    return _finish_produce(
        pieces, boxes, container, onion=kind, colors=colors, streaks=r5(rng.uniform(0.3, 1.0))
    )


def lime(rng: np.random.Generator) -> dict:
    """Limes: a few lying together, loose or in a net."""
    tone = pick(rng, [[0.2, 0.42, 0.05], [0.28, 0.5, 0.08], [0.35, 0.55, 0.1], [0.16, 0.34, 0.04]])
    colors = shades(rng, tone, 0.05, 3)

    def make(r: np.random.Generator, k: int) -> dict:
        length = r.uniform(0.052, 0.066)
        d = length * r.uniform(0.84, 0.94)
        return part(
            "lime",
            (length, d, d),
            rolled(r),
            mat=k % 3,
            tip=r5(r.uniform(0.02, 0.06)),
            asymmetry=r5(r.uniform(-0.05, 0.05)),
        )

    n = int(rng.integers(1, 7))
    container = _container(rng, {"loose": 0.8, "net": 0.2})
    pieces, boxes = _produce_group(rng, n, make, int(rng.integers(1, 3)), container)
    return _finish_produce(
        pieces,
        boxes,
        container,
        colors=colors,
        pore_scale=r5(rng.uniform(500, 800)),
        roughness=r5(rng.uniform(0.3, 0.45)),
    )


def _punnet(
    rng: np.random.Generator, inner: tuple[float, float], height: float, kinds=None
) -> dict:
    """A berry/mushroom punnet: clear or coloured plastic or cardboard, film or clip lid."""
    kind = pick(rng, kinds or ["clear", "clear", "green", "blue", "black"])
    color = {
        "clear": [0.93, 0.95, 0.95],
        "green": [0.25, 0.5, 0.25],
        "blue": [0.2, 0.35, 0.65],
        "black": [0.06, 0.06, 0.07],
        "card": [0.7, 0.6, 0.45],
    }[kind]
    return {
        "kind": "punnet",
        "inner": [r5(inner[0]), r5(inner[1])],
        "height": r5(height),
        "wall": 0.002,
        "material": kind,
        "clear": kind == "clear",
        "color": jitter(rng, color, 0.03),
        "lid": pick(rng, ["film", "clip", "none"], [4, 4, 2]),
    }


def _lidded(rng: np.random.Generator, out: dict, product: str) -> dict:
    """Height for a lid and a sticker on top of a punnet group."""
    c = out["container"]
    top = out["size"][2]
    if c.get("lid", "none") != "none":
        lid_z = max(top, c["height"]) + (0.004 if c["lid"] == "film" else 0.008)
        out["size"][2] = r5(lid_z)
        c["lid_z"] = r5(lid_z)
        out["stackable"] = c["lid"] == "clip"
        out["sticker"] = sticker(rng, product)
    return out


def mushrooms(rng: np.random.Generator, prefer: Prefer = None) -> dict:
    """White or chestnut mushrooms in a punnet (sometimes loose); or (`products.mushrooms.tub`,
    the AICook photos' way) fourteen to twenty-one white buttons heaped over the rim of a clear
    tub, the onions' kind. Without a preference the draws are those of the punnets alone."""
    if prefer and pick_product(rng, "mushrooms", prefer)[0] == "tub":
        return _mushroom_tub(rng)
    brown = rng.random() < 0.35
    cap = [0.55, 0.4, 0.28] if brown else [0.93, 0.9, 0.84]
    colors = shades(rng, cap, 0.04, 3)

    def make(r: np.random.Generator, k: int) -> dict:
        return _mushroom(r, k, (0.03, 0.055))

    loose = rng.random() < 0.15
    if loose:
        container = dict(_LOOSE)
        n = int(rng.integers(2, 6))
    else:
        inner = (rng.uniform(0.14, 0.17), rng.uniform(0.09, 0.11))
        kinds = ["clear", "clear", "clear", "blue", "black", "card"]
        container = _punnet(rng, inner, rng.uniform(0.04, 0.05), kinds)
        n = int(rng.integers(10, 18))
    pieces, boxes = _produce_group(rng, n, make, 2, container if not loose else _LOOSE)
    out = _finish_produce(
        pieces,
        boxes,
        container,
        colors=colors,
        gills=[0.45, 0.32, 0.24] if brown else [0.78, 0.66, 0.6],
    )
    return _lidded(rng, out, "MUSHROOMS") if not loose else out


def _mushroom(r: np.random.Generator, k: int, sizes: tuple[float, float]) -> dict:
    """One mushroom of a group (a cap over a short stem), `sizes` the range of its width."""
    d = r.uniform(*sizes)
    h = d * r.uniform(0.7, 0.95)
    return part(
        "mushroom",
        (d, d, h),
        tilted(r, 18),
        mat=k % 3,
        cap=r5(r.uniform(0.45, 0.6)),
        stem=r5(r.uniform(0.3, 0.45)),
    )


def _mushroom_tub(rng: np.random.Generator) -> dict:
    """White button mushrooms heaped two and three high in an open clear tub."""
    colors = shades(rng, [0.93, 0.9, 0.84], 0.04, 3)
    container = _container(rng, {"tub": 1.0}, ((0.16, 0.19), (0.12, 0.14)), (0.05, 0.065))
    n = int(rng.integers(14, 22))
    pieces, boxes = _produce_group(
        rng, n, lambda r, k: _mushroom(r, k, (0.038, 0.05)), 2, container
    )
    return _finish_produce(pieces, boxes, container, colors=colors, gills=[0.78, 0.66, 0.6])


def apple_group(rng: np.random.Generator, prefer: Prefer = None) -> dict:
    """Two to four apples lying together, sometimes in a clear tray: mostly of one variety, as
    apples are sold in bags and trays (green ones as often as red), sometimes mixed. The
    varieties are the class's products (`products.apple_group.green`: the AICook photos')."""
    variety, _ = pick_product(rng, "apple_group", prefer, [2, 3, 3, 0.7, 1.3])
    kinds = [apple(rng, None if variety == "mixed" else variety) for _ in range(3)]

    def make(r: np.random.Generator, k: int) -> dict:
        d, _, h = kinds[k % 3]["size"]
        return item_part("apple", kinds[k % 3], tilted(r, 10), k % 3, size=(d, d, h))

    n = int(rng.integers(2, 5))
    container = _container(
        rng, {"loose": 0.8, "tub": 0.2}, ((0.16, 0.2), (0.09, 0.11)), (0.03, 0.045)
    )
    pieces, boxes = _produce_group(rng, n, make, int(rng.integers(1, 3)), container)
    return _finish_produce(pieces, boxes, container)


def tomato_vine(rng: np.random.Generator) -> dict:
    """Vine tomatoes on their green stalk, loose tomatoes, or cherry tomatoes in a punnet."""
    style = pick(rng, ["vine", "loose", "cherry"], [6, 2, 2])
    kinds = [tomato(rng) for _ in range(3)]
    if style != "loose" or rng.random() < 0.7:
        for t in kinds:  # trusses are sold ripe
            t["ripeness"] = "ripe"
            t["color"] = jitter(rng, [0.72, 0.05, 0.02], 0.06)
            t["shoulder_color"] = t["color"]

    def make(r: np.random.Generator, k: int) -> dict:
        p = dict(kinds[k % 3])
        d, _, h = p.pop("size")
        s = {"cherry": r.uniform(0.028, 0.036) / d, "vine": r.uniform(0.045, 0.065) / d}.get(
            style, 1.0
        )
        p["body_height"] = r5(p["body_height"] * s)
        p["calyx_radius"] = r5(p["calyx_radius"] * s)
        return part(
            "tomato",
            (d * s, d * s, h * s),
            tilted(r, 8),
            mat=k % 3,
            **piece_fields(p),
        )

    if style == "cherry":
        container = _punnet(
            rng, (rng.uniform(0.11, 0.14), rng.uniform(0.08, 0.1)), rng.uniform(0.045, 0.055)
        )
        pieces, boxes = _produce_group(rng, int(rng.integers(8, 16)), make, 2, container)
        return _lidded(
            rng, _finish_produce(pieces, boxes, container, style=style), "CHERRY TOMATOES"
        )
    n = int(rng.integers(3, 7))
    pieces, boxes = _produce_group(
        rng, n, make, 1 if style == "vine" else int(rng.integers(1, 3)), _LOOSE
    )
    out = _finish_produce(pieces, boxes, _LOOSE, style=style)
    if style == "vine":  # the truss: a stalk above the fruit, one short stem down to each
        out["vine"] = {
            "color": jitter(rng, [0.2, 0.4, 0.08], 0.06),
            "radius": r5(rng.uniform(0.0015, 0.0025)),
            "lift": r5(rng.uniform(0.006, 0.014)),
        }
        out["size"][2] = r5(out["size"][2] + out["vine"]["lift"] + 0.004)
    return out


def banana_bunch(rng: np.random.Generator) -> dict:
    """A hand of two to six bananas fanning from one crown, lying palm down: side by side, each
    curving up from the shelf to its tip (the AICook photos' bunches), every other one a little
    higher on its neighbours."""
    first = banana(rng)
    n = int(rng.integers(2, 7))
    spread = rng.uniform(3, 8)
    pieces = []
    for k in range(n):
        p = banana(rng) if k else first
        for key in ("ripeness", "color", "spots", "roughness"):
            p[key] = first[key]
        sx, sy, sz = p.pop("size")
        yaw = (k - (n - 1) / 2) * spread + rng.uniform(-3, 3)
        a = math.radians(yaw)
        # banana boxes fan around the crown at x = 0; the curve (the box's +Y) turned up by the
        # roll of about 90 degrees about the banana's length
        cx, cy = math.cos(a) * sx / 2, math.sin(a) * sx / 2
        q = piece(
            "banana",
            (cx, cy + (k - (n - 1) / 2) * sz * 0.9, 0.0),
            (sx, sy, sz),
            (90 + rng.uniform(-12, 12), 0, yaw),
            "ellipsoid",
            0,
            **piece_fields(p),
        )
        q["at"][2] = r5(posed_extent(q)[2] / 2 + (k % 2) * sz * 0.4)
        pieces.append(q)
    r = first["thickness"] * 0.45
    # the crown joins the stalk ends: a tenth along each banana, on its concave side
    ends = []
    for q in pieces:
        sx, sy, sz = q["size"]
        local = np.array([-0.4 * sx, (sy - q["thickness"]) / 2, 0.0])
        ends.append(euler_matrix(q["rot"]) @ local + np.asarray(q["at"]))
    to = np.mean(ends, axis=0)
    start = to - [3.5 * r, 0.0, 0.0]
    crown = {"radius": r5(r), "color": jitter(rng, [0.3, 0.32, 0.12], 0.05),
             "from": [r5(v) for v in start], "to": [r5(v) for v in to]}  # fmt: skip
    stalk = (start - [0.0, 1.2 * r, 1.2 * r], to + [0.0, 1.2 * r, 1.2 * r])
    before = np.asarray(pieces[0]["at"])
    out = _finish_produce(pieces, [stalk], _LOOSE, crown=crown)
    shift = np.asarray(pieces[0]["at"]) - before  # the group was re-centred: the stalk moves too
    for key in ("from", "to"):
        crown[key] = [r5(v) for v in np.asarray(crown[key]) + shift]
    return out


# --------------------------------------------------------------------------------------------
# Berries


def _berries(
    rng: np.random.Generator,
    n: int,
    make,
    inner: tuple[float, float],
    height: float,
    product: str,
    kinds: list[str] | None = None,
    **extra,
) -> dict:
    """A punnet (of one of `kinds`, see `_punnet`) filled with berries: a dark filler layer and
    pieces on top."""
    container = _punnet(rng, inner, height, kinds)
    pieces, boxes = _produce_group(rng, n, make, 2, container)
    fill = rng.uniform(0.45, 0.8) * height
    for q in pieces:  # the visible top layer rests on the filler
        q["at"][2] = r5(q["at"][2] + fill - 0.003)
    out = _finish_produce(pieces, boxes, container, filler=r5(fill), **extra)
    return _lidded(rng, out, product)


def blueberries(rng: np.random.Generator) -> dict:
    """A punnet of blueberries (125-250 g)."""
    big = rng.random() < 0.35
    inner = (
        (rng.uniform(0.13, 0.16), rng.uniform(0.09, 0.11))
        if big
        else (rng.uniform(0.1, 0.115), rng.uniform(0.075, 0.085))
    )
    colors = [
        jitter(rng, c, 0.04) for c in ([0.16, 0.18, 0.35], [0.2, 0.22, 0.4], [0.12, 0.12, 0.25])
    ]

    def make(r: np.random.Generator, k: int) -> dict:
        d = r.uniform(0.011, 0.016)
        return part(
            "berry", (d, d, d * 0.85), (r.uniform(-30, 30), r.uniform(-30, 30), 0), mat=k % 3
        )

    n = int(rng.integers(40, 60))
    return _berries(
        rng,
        n,
        make,
        inner,
        rng.uniform(0.04, 0.055),
        "BLUEBERRIES",
        ["clear"] * 4 + ["green", "blue", "black"],  # mostly clear punnets
        colors=colors,
        bloom=r5(rng.uniform(0.3, 0.8)),
    )


def strawberries(rng: np.random.Generator) -> dict:
    """A punnet of strawberries, some lying, some standing."""
    colors = [
        jitter(rng, c, 0.05) for c in ([0.78, 0.06, 0.06], [0.7, 0.03, 0.05], [0.85, 0.12, 0.08])
    ]

    def make(r: np.random.Generator, k: int) -> dict:
        length = r.uniform(0.028, 0.045)
        d = length * r.uniform(0.75, 0.95)
        lying = r.random() < 0.6
        rot = (
            (r.uniform(70, 110), 0, r.uniform(-180, 180))
            if lying
            else (r.uniform(-20, 20), r.uniform(-20, 20), 0)
        )
        return part("strawberry", (d, d, length), rot, mat=k % 3, calyx=r5(r.uniform(0.6, 1.0)))

    inner = (rng.uniform(0.15, 0.18), rng.uniform(0.1, 0.12))
    n = int(rng.integers(8, 15))
    return _berries(rng, n, make, inner, rng.uniform(0.05, 0.065), "STRAWBERRIES", colors=colors)


# --------------------------------------------------------------------------------------------
# Meat, poultry and fish under film


def _tray(
    rng: np.random.Generator,
    sx: float,
    sy: float,
    depth: float,
    clear_p: float = 0.1,
    black: float = 5.0,
    kinds: dict[str, float] | None = None,
) -> dict:
    """A food tray: black (weight `black` against white 2, colour 1.5), white or coloured
    plastic, or clear (weight 10 x `clear_p`); `kinds` replaces these weights."""
    if kinds is None:
        kinds = {"black": black, "white": 2, "clear": 10 * clear_p, "colour": 1.5}
    kind = pick(rng, list(kinds), list(kinds.values()))
    color = {
        "black": [0.05, 0.05, 0.055],
        "white": [0.9, 0.9, 0.88],
        "clear": [0.92, 0.94, 0.95],
        "colour": pick(rng, [[0.15, 0.25, 0.5], [0.45, 0.12, 0.1], [0.2, 0.35, 0.2]]),
    }[kind]
    return {
        "size": [r5(sx), r5(sy), r5(depth)],
        "material": kind,
        "color": jitter(rng, color, 0.03),
        "wall": 0.003,
        "slope": r5(rng.uniform(0.04, 0.1)),
        "rim": r5(rng.uniform(0.006, 0.01)),
    }


def _film_pack(
    rng: np.random.Generator,
    tray: dict,
    pieces: list[dict],
    product: str | list[str],
    plain_sticker: bool = False,
    **extra,
) -> dict:
    """Params of a tray with contents sealed under a clear film and a sticker naming `product`
    (or one name picked from a list), a plain white one with `plain_sticker`."""
    if isinstance(product, list):
        product = pick(rng, product)
    sx, sy, depth = tray["size"]
    lo, hi = group_extent(pieces) if pieces else (np.zeros(3), np.zeros(3))
    top = max(depth, float(hi[2])) + 0.002
    film = film_params(rng, (0.03, 0.12), top=top, dome=max(0.0, top - depth))
    label = sticker(rng, product, plain=plain_sticker)
    at = [r5(rng.uniform(-0.3, 0.3) * sx), r5(rng.uniform(-0.3, 0.2) * sy)]
    return item_params(
        [sx, sy, top],
        stackable="meat" not in extra,  # nothing is put on fresh meat under its film
        tray=tray,
        film=film,
        pieces=pieces,
        sticker=label,
        sticker_box=[*at, r5(rng.uniform(0.3, 0.45) * sx), r5(rng.uniform(0.25, 0.4) * sy)],
        **extra,
    )


def _tray_floor(tray: dict, margin: float) -> tuple[float, float]:
    """Width and depth of a tray's floor (its walls lean in by its slope) less `margin` a side."""
    sx, sy, depth = tray["size"]
    return sx - 2 * margin - 2 * tray["slope"] * depth, sy - 2 * margin - 2 * tray["slope"] * depth


def _spread(
    rng: np.random.Generator, pieces: list[dict], tray: dict, margin: float = 0.012
) -> list[dict]:
    """Lay pieces side by side on the tray floor (kept inside its inner area)."""
    inner = _tray_floor(tray, margin)
    dims = [posed_extent(q)[:2] for q in pieces]
    rows = 1 if len(pieces) < 3 else 2
    pos = row_layout(rng, dims, rows, squeeze=1.0, wobble=0.05)
    ys = [p[1] for p in pos]
    ymid = (max(ys) + min(ys)) / 2
    for q, (x, y), (w, d) in zip(pieces, pos, dims, strict=True):
        x, y = clamp_xy(x, y - ymid, w / 2, d / 2, inner)
        q["at"] = [r5(x), r5(y), r5(0.004 + q["size"][2] / 2 + q["at"][2])]
    return pieces


def _slice_stack(
    rng: np.random.Generator,
    kind: str,
    n: int,
    size: tuple[float, float, float],
    shift: tuple[float, float],
    turn: float,
    **extra,
) -> list[dict]:
    """`n` slices of box `size` stacked on a 2 mm card, each shifted by up to `shift` (x, y) and
    turned by up to `turn` degrees."""
    th = size[2]
    return [
        piece(
            kind,
            (
                rng.uniform(-shift[0], shift[0]),
                rng.uniform(-shift[1], shift[1]),
                0.002 + (k + 0.5) * th,
            ),
            size,
            (0, 0, rng.uniform(-turn, turn)),
            "box",
            0,
            **extra,
        )
        for k in range(n)
    ]


# Fresh meat comes in deep black trays (about 80 % black, as on the aicook_fridge/train photos),
# heaped to the rim, so a level view sees the meat above a black band.
MEAT_TRAY_BLACK = 15.0


def _meat_color(rng: np.random.Generator, base: Color, fat: Color) -> dict:
    """Lean and fat colours of a cut."""
    return {"lean": jitter(rng, base, 0.06), "fat": jitter(rng, fat, 0.04)}


def _mince(
    rng: np.random.Generator,
    sx: float,
    sy: float,
    h: float,
    fill: float,
    strands_p: float,
    lumps: tuple[float, float],
) -> dict:
    """A slab of mince `h` high filling `fill` of an sx x sy tray, with pressed strands with
    probability `strands_p` and lumps drawn from the range `lumps`."""
    return piece(
        "mince",
        (0, 0, 0.004 + h / 2),
        (sx * fill - 0.01, sy * fill - 0.01, h),
        (0, 0, 0),
        "box",
        0,
        seed=int(rng.integers(0, 2**31 - 1)),
        strands=bool(strands_p > 0 and rng.random() < strands_p),  # no draw for 0
        lumps=r5(rng.uniform(*lumps)),
    )


def beef(rng: np.random.Generator) -> dict:
    """Half the time coarse beef mince pressed level with the rim of a black tray (the beef of
    the aicook_fridge photos: an orange-red rather than their pink, heaped ground beef, under a
    plain white sticker); else
    steaks, diced beef or a roasting joint in a filmed tray."""
    cut = pick(rng, ["steak", "diced", "joint", "mince"], [3, 5, 2, 10])
    reds = [[0.55, 0.08, 0.08], [0.48, 0.06, 0.07], [0.62, 0.12, 0.1]]
    if cut == "mince":  # the photos' mince is a bright orange-red
        reds = [[0.6, 0.12, 0.035], [0.5, 0.09, 0.028], [0.68, 0.17, 0.05]]
    colors = _meat_color(rng, pick(rng, reds), [0.93, 0.86, 0.75])
    sx, sy = rng.uniform(0.18, 0.24), rng.uniform(0.13, 0.17)
    depth = rng.uniform(0.025, 0.04)
    tray = _tray(rng, sx, sy, depth, black=MEAT_TRAY_BLACK)
    pieces = []
    if cut == "mince":  # level with the rim, filling the tray
        h = depth + rng.uniform(-0.004, 0.004)
        pieces = [_mince(rng, sx, sy, h, rng.uniform(0.9, 0.95), 0.0, (0.1, 0.25))]
        names = ["BEEF", "MINCED BEEF", "RINDERHACK", "BEEF MINCE"]
        return _film_pack(rng, tray, pieces, names, cut=cut, meat=colors, plain_sticker=True,
                          fat_specks=r5(rng.uniform(0.05, 0.25)))  # fmt: skip
    if cut == "steak":
        n = int(rng.integers(1, 4))
        for _ in range(n):
            w = (sx - 0.03) / n * rng.uniform(0.85, 1.0) if n > 1 else sx * rng.uniform(0.6, 0.8)
            pieces.append(
                part(
                    "steak",
                    (w if n > 1 else w, sy * rng.uniform(0.6, 0.78), rng.uniform(0.015, 0.028)),
                    (0, 0, rng.uniform(-10, 10) + (90 if n > 1 and w < 0.08 else 0)),
                    shape="box",
                    seed=int(rng.integers(0, 2**31 - 1)),
                    fat_rim=r5(rng.uniform(0.0, 0.6)),
                    marbling=r5(rng.uniform(0.2, 0.8)),
                )
            )
        pieces = _spread(rng, pieces, tray)
    elif cut == "diced":
        n = int(rng.integers(14, 26))  # two layers heaped to the rim or above it
        inner = (sx - 0.04, sy - 0.04)
        for x, y, layer in grid_slots(rng, n, inner, 0.035):
            s = rng.uniform(0.022, 0.034)
            pieces.append(
                piece(
                    "chunk",
                    (x, y, 0.004 + s * 0.4 + layer * s * 0.6),
                    (s, s * rng.uniform(0.8, 1.1), s * 0.8),
                    tuple(rng.uniform(-25, 25, 2)) + (rng.uniform(-180, 180),),
                    "box",
                    0,
                    seed=int(rng.integers(0, 2**31 - 1)),
                    marbling=r5(rng.uniform(0.2, 0.6)),
                )
            )
    else:
        length = sx * rng.uniform(0.6, 0.75)
        d = min(sy * 0.75, length * rng.uniform(0.55, 0.7))
        pieces = _spread(
            rng,
            [
                part(
                    "joint",
                    (length, d, d * rng.uniform(0.7, 0.85)),
                    (0, 0, rng.uniform(-10, 10)),
                    seed=int(rng.integers(0, 2**31 - 1)),
                    string=bool(rng.random() < 0.6),
                )
            ],
            tray,
        )
    names = ["BEEF STEAK", "SIRLOIN", "RUMP STEAK", "BEEF", "DICED BEEF"]
    return _film_pack(rng, tray, pieces, names, cut=cut, meat=colors)


def ground_beef(rng: np.random.Generator) -> dict:
    """Minced beef pressed into a filmed tray."""
    colors = _meat_color(
        rng, pick(rng, [[0.62, 0.14, 0.13], [0.55, 0.1, 0.1], [0.7, 0.25, 0.22]]), [0.92, 0.8, 0.72]
    )
    sx, sy = rng.uniform(0.16, 0.2), rng.uniform(0.11, 0.14)
    depth = rng.uniform(0.028, 0.045)
    tray = _tray(rng, sx, sy, depth, black=MEAT_TRAY_BLACK)
    h = depth + rng.uniform(-0.006, 0.016)  # heaped: the mince shows above the rim
    mound = _mince(rng, sx, sy, h, rng.uniform(0.8, 0.92), 0.5, (0.15, 0.4))
    names = ["MINCED BEEF", "BEEF MINCE", "GROUND BEEF", "LEAN MINCE"]
    return _film_pack(rng, tray, [mound], names, meat=colors, fat_specks=r5(rng.uniform(0.1, 0.5)))


def chicken(rng: np.random.Generator) -> dict:
    """A whole chicken in a filmed tray or a clear bag."""
    colors = {
        "skin": jitter(
            rng, pick(rng, [[0.93, 0.74, 0.64], [0.95, 0.8, 0.72], [0.9, 0.7, 0.56]]), 0.04
        )
    }
    length = rng.uniform(0.2, 0.26)
    width = length * rng.uniform(0.68, 0.78)
    height = length * rng.uniform(0.38, 0.48)
    in_bag = rng.random() < 0.3
    tray = _tray(
        rng,
        length + rng.uniform(0.02, 0.04),
        width + rng.uniform(0.02, 0.035),
        rng.uniform(0.03, 0.045),
        black=MEAT_TRAY_BLACK,
    )
    body = part(
        "chicken",
        (length, width, height),
        (0, 0, 180 if rng.random() < 0.5 else 0),
        shape="box",
        seed=int(rng.integers(0, 2**31 - 1)),
        legs=r5(rng.uniform(0.25, 0.4)),
    )
    pieces = _spread(rng, [body], tray, margin=0.0)
    names = ["WHOLE CHICKEN", "FREE RANGE", "CHICKEN", "CORN FED"]
    out = _film_pack(rng, tray, pieces, names, meat=colors, bag=in_bag)
    if in_bag:  # no tray: the film is a bag around the bird
        out["tray"] = None
        out["size"] = [r5(length + 0.012), r5(width + 0.012), r5(height + 0.006)]
        body["at"] = [0.0, 0.0, r5(height / 2 + 0.003)]
        out["film"]["top"] = r5(height + 0.006)
    return out


def chicken_breast(rng: np.random.Generator) -> dict:
    """Chicken breast fillets in a filmed black tray under a plain white sticker. Mostly (as on
    the AICook photos) two or three big fillets lying along the tray, side by side front to
    back, filling it to the rim or above; else five to eight mini fillets across it."""
    colors = _meat_color(
        rng,
        pick(rng, [[0.9, 0.6, 0.46], [0.93, 0.66, 0.52], [0.86, 0.55, 0.42]]),
        [0.97, 0.9, 0.86],
    )  # raw breast is a salmon pink, as the photos show it
    sx, sy = rng.uniform(0.19, 0.23), rng.uniform(0.13, 0.17)
    depth = rng.uniform(0.025, 0.038)
    tray = _tray(rng, sx, sy, depth, black=MEAT_TRAY_BLACK)
    mini = rng.random() < 0.25
    names = ["CHICKEN BREAST", "BREAST FILLETS", "MINI FILLETS", "CHICKEN"]
    margin = 0.01
    in_x, in_y = _tray_floor(tray, margin)
    pieces = []
    if mini:
        for _ in range(int(rng.integers(5, 9))):
            length = min(rng.uniform(0.09, 0.12), in_y)
            w = length * rng.uniform(0.25, 0.32)
            pieces.append(
                part(
                    "breast",
                    (length, w, w * rng.uniform(0.42, 0.6)),
                    (0, 0, 90 + rng.uniform(-12, 12) + (180 if rng.random() < 0.5 else 0)),
                    point=r5(rng.uniform(0.35, 0.6)),
                    seed=int(rng.integers(0, 2**31 - 1)),
                )
            )
        pieces = _spread(rng, pieces, tray, margin)
    else:
        n = int(pick(rng, [2, 3], [3, 2]))
        for k in range(n):
            length = in_x * rng.uniform(0.82, 0.95)
            w = in_y / n * rng.uniform(0.9, 1.0)
            h = max(w * rng.uniform(0.5, 0.65), depth * rng.uniform(0.8, 1.1))
            spin = rng.uniform(-5, 5) + (180 if rng.random() < 0.5 else 0)
            q = part("breast", (length, w, h), (0, 0, spin), point=r5(rng.uniform(0.35, 0.6)),
                     seed=int(rng.integers(0, 2**31 - 1)))  # fmt: skip
            x = rng.uniform(-0.5, 0.5) * (in_x - length)
            q["at"] = [r5(x), r5(-in_y / 2 + (k + 0.5) * in_y / n), r5(0.004 + h / 2)]
            pieces.append(q)
    return _film_pack(rng, tray, pieces, names, plain_sticker=True, meat=colors)


def ham(rng: np.random.Generator) -> dict:
    """Sliced ham: a flat sealed pack with a printed card, or folded slices in a tray."""
    style = pick(rng, ["pack", "tray"], [6, 4])
    colors = _meat_color(
        rng, pick(rng, [[0.93, 0.6, 0.58], [0.9, 0.55, 0.52], [0.85, 0.5, 0.45]]), [0.97, 0.9, 0.85]
    )
    product = pick(rng, ["COOKED HAM", "HONEY HAM", "SMOKED HAM", "HAM SLICES", "JAMBON"])
    round_slices = bool(rng.random() < 0.4)
    if style == "pack":
        sx, sy = rng.uniform(0.17, 0.22), rng.uniform(0.11, 0.15)
        n = int(rng.integers(4, 9))
        th = rng.uniform(0.0015, 0.0025)
        pieces = _slice_stack(
            rng, "slice", n, (sx * 0.8, sy * 0.85, th), (0.006, 0.004), 4, round=round_slices
        )
        h = 0.002 + n * th + 0.004
        card = rng.uniform(0.25, 0.4)
        return item_params(
            [sx, sy, h],
            stackable=True,
            style=style,
            tray=None,
            film=film_params(rng, (0.03, 0.1), top=h, dome=0.0),
            pieces=pieces,
            meat=colors,
            card=r5(card),
            label=flat_pack_label(rng, product, None, sx, sy, h, top_fraction=0.92),
            sticker=sticker(rng, product),
            sticker_box=[r5(sx * 0.25), r5(-sy * 0.2), r5(sx * 0.3), r5(sy * 0.3)],
        )
    sx, sy = rng.uniform(0.18, 0.22), rng.uniform(0.12, 0.15)
    tray = _tray(rng, sx, sy, rng.uniform(0.015, 0.025), clear_p=0.3)
    n = int(rng.integers(3, 7))
    pieces = [
        part(
            "fold",
            (sx * 0.22, sy * 0.75, rng.uniform(0.01, 0.018)),
            (0, rng.uniform(-15, -5), 0),
            shape="box",
            round=round_slices,
        )
        for _ in range(n)
    ]
    for k, q in enumerate(pieces):  # shingled like roof tiles
        q["at"] = [
            r5((k - (n - 1) / 2) * sx * 0.62 / max(n - 1, 1) * 0.9),
            r5(rng.uniform(-0.004, 0.004)),
            r5(0.004 + q["size"][2] / 2 + 0.002 * k),
        ]
    return _film_pack(rng, tray, pieces, product, style=style, meat=colors)


SHRIMP_COLORS = {  # (shell, band) of each kind
    "brown": ([0.62, 0.3, 0.14], [0.72, 0.42, 0.22]),  # small cooked brown shrimp
    "pink": ([0.95, 0.45, 0.3], [0.98, 0.75, 0.65]),  # cooked prawns
    "raw": ([0.6, 0.58, 0.55], [0.75, 0.72, 0.68]),
}


def shrimp(rng: np.random.Generator) -> dict:
    """Shrimp: mostly a deep clear tub filled to the lid with small ones, tumbled in layers (the
    aicook photos' shrimp are all in such tubs); otherwise larger prawns laid in a low tray, all
    under film."""
    tub = rng.random() < 0.65
    kind = pick(rng, list(SHRIMP_COLORS), [6, 3, 1] if tub else [1, 6, 3])
    shell, band = SHRIMP_COLORS[kind]
    colors = {"shell": jitter(rng, shell, 0.06), "band": jitter(rng, band, 0.05)}
    names = ["PRAWNS", "SHRIMP", "KING PRAWNS", "COOKED PRAWNS"]
    pieces: list[dict] = []

    def add(at: tuple, length: float, tilt: float, **extra) -> None:
        """One shrimp of `length` at `at`, leaning up to `tilt` degrees, any turn."""
        rot = (rng.uniform(-tilt, tilt), rng.uniform(-tilt, tilt), rng.uniform(-180, 180))
        pieces.append(piece("shrimp", at, (length, length * 0.7, length * 0.28), rot, "box",
                            len(pieces) % 2, curl=r5(rng.uniform(0.8, 1.3)), **extra))  # fmt: skip

    if not tub:
        sx, sy = rng.uniform(0.14, 0.19), rng.uniform(0.1, 0.13)
        tray = _tray(rng, sx, sy, rng.uniform(0.025, 0.04), clear_p=0.6)
        inner = (sx - 0.03, sy - 0.03)
        for x, y, layer in grid_slots(rng, int(rng.integers(12, 26)), inner, 0.032, wobble=0.3):
            add((x, y, 0.004 + 0.007 + layer * 0.009), rng.uniform(0.035, 0.05), 20)
        return _film_pack(rng, tray, pieces, names, cooked=kind != "raw", meat=colors)
    sx, sy, depth = rng.uniform(0.11, 0.16), rng.uniform(0.09, 0.12), rng.uniform(0.05, 0.08)
    tray = _tray(rng, sx, sy, depth, kinds={"clear": 1.0})
    tray["slope"] = r5(rng.uniform(0.03, 0.06))  # a tub's walls stand nearly upright
    length = rng.uniform(0.02, 0.028)
    margin = 0.008 + 2 * tray["slope"] * depth
    inner = (sx - 2 * margin, sy - 2 * margin)
    cell, step = length * 0.8, length * 0.32  # heaped: each layer over the gaps of the last
    per_layer = max(1, int(inner[0] / cell)) * max(1, int(inner[1] / cell))
    layers = max(1, int(depth * rng.uniform(0.85, 1.05) / step))
    for layer in range(layers):
        for x, y, _ in grid_slots(rng, per_layer, inner, cell, wobble=0.35):
            hidden = abs(x) < inner[0] / 2 - 1.2 * cell and abs(y) < inner[1] / 2 - 1.2 * cell
            if hidden and layer < layers - 1:  # buried in the heap: never seen, not built
                continue
            add(
                (x, y, 0.004 + (layer + 0.5) * step),
                length * rng.uniform(0.85, 1.15),
                40,
                lean=True,
            )
    core = layers * step - 1.5 * step  # under the top layer, inside the ring at the walls
    if core > 0.01:
        pieces.append(
            piece(
                "shrimp_heap",
                (0, 0, 0.004 + core / 2),
                (inner[0] - 1.2 * cell, inner[1] - 1.2 * cell, core),
                (0, 0, 0),
                "box",
                0,
                seed=int(rng.integers(0, 2**31 - 1)),
            )
        )
    return _film_pack(rng, tray, pieces, names, cooked=kind != "raw", meat=colors, style="tub")


# --------------------------------------------------------------------------------------------
# Eggs, dairy


def eggs(rng: np.random.Generator, prefer: Prefer = None) -> dict:
    """Eggs: a few loose ones, an open carton with eggs in it, a closed carton, or, half the
    time, eggs standing in a low white egg holder (no lid; how the aicook_fridge photos keep
    all of theirs: `products.eggs.holder`)."""
    style, _ = pick_product(rng, "eggs", prefer, [1.5, 3, 1.5, 6])
    shells = [egg(rng, (1, 4, 3, 2)) for _ in range(3)]  # mostly brown, as in the photos
    if style == "loose":

        def make(r: np.random.Generator, k: int) -> dict:
            return item_part("egg", shells[k % 3], rolled(r), k % 3)

        pieces, boxes = _produce_group(
            rng, int(rng.integers(2, 7)), make, int(rng.integers(1, 3)), _LOOSE
        )
        return _finish_produce(pieces, boxes, _LOOSE, style=style)
    holder = style == "holder"
    sizes = [(1, 3), (1, 4), (2, 2), (2, 3)] if holder else [(2, 3), (2, 5), (2, 6), (3, 4), (2, 3)]
    rows, cols = pick(rng, sizes)
    pitch = rng.uniform(0.048, 0.054)
    sx, sy = cols * pitch + 0.01, rows * pitch + 0.01
    base_h = rng.uniform(0.012, 0.02) if holder else rng.uniform(0.032, 0.042)
    kind = "holder" if holder else pick(rng, ["pulp", "pulp", "plastic", "foam"])
    pulp = pick(rng, [[0.72, 0.7, 0.66], [0.75, 0.66, 0.52], [0.62, 0.66, 0.72],
                      [0.78, 0.64, 0.62], [0.62, 0.7, 0.6]])  # fmt: skip
    color = {"pulp": pulp, "plastic": [0.93, 0.95, 0.95], "foam": [0.95, 0.93, 0.88],
             "holder": [0.94, 0.94, 0.92]}[kind]  # fmt: skip
    carton = {
        "rows": rows,
        "cols": cols,
        "pitch": r5(pitch),
        "base_height": r5(base_h),
        "material": kind,
        "color": jitter(rng, color, 0.04),
        "lid_height": r5(rng.uniform(0.028, 0.036)),
    }
    product = pick(
        rng, ["FREE RANGE EGGS", "ORGANIC EGGS", "FRESH EGGS", "BARN EGGS", "LARGE EGGS"]
    )
    label = flat_pack_label(rng, product, None, sx, sy, carton["lid_height"], top_fraction=0.85)
    if style == "closed":
        h = base_h + carton["lid_height"] + (0.001 if kind == "plastic" else 0.0)
        return item_params(
            [sx, sy, h],
            stackable=True,
            style=style,
            carton=carton,
            pieces=[],
            label=label,
        )
    pieces = []
    slots = [(i, j) for j in range(rows) for i in range(cols)]
    missing = int(rng.integers(0, 2 if holder else max(1, len(slots) // 2)))
    keep = sorted(int(k) for k in rng.permutation(len(slots))[: len(slots) - missing])
    for m, k in enumerate(keep):
        i, j = slots[k]
        p = shells[m % 3]
        length, w, _ = p["size"]
        x, y = -sx / 2 + 0.005 + (i + 0.5) * pitch, -sy / 2 + 0.005 + (j + 0.5) * pitch
        pieces.append(
            piece(
                "egg",
                (x, y, 0.006 + length / 2),
                (length, w, w),
                (rng.uniform(-180, 180), -90, rng.uniform(-180, 180)),
                "ellipsoid",
                m % 3,
                **piece_fields(p),
            )
        )
    if holder:
        lo, hi = group_extent(pieces, [((-sx / 2, -sy / 2, 0.0), (sx / 2, sy / 2, base_h))])
        return item_params(hi - lo, style=style, carton=carton, pieces=pieces, label=label)
    lid_open = rng.uniform(95, 125)
    carton["lid_open"] = r5(lid_open)
    lid_h = carton["lid_height"]
    # the lid (a box open below) turns about the base's back top edge: corners as the builder puts them
    corners = np.array(
        [[x, y, z] for x in (-sx / 2, sx / 2) for y in (-sy, 0.0) for z in (0.0, lid_h)]
    )
    lid = corners @ euler_matrix((-lid_open, 0, 0)).T + [0.0, sy / 2, base_h]
    boxes = [
        ((-sx / 2, -sy / 2, 0.0), (sx / 2, sy / 2, base_h)),
        (lid.min(axis=0), lid.max(axis=0)),
    ]
    lo, hi = group_extent(pieces, boxes)
    return item_params(
        hi - lo,
        style=style,
        carton=carton,
        pieces=pieces,
        label=label,
    )


def _brick(rng: np.random.Generator, volume_l: float, product: str, main: Color, cap: bool) -> dict:
    """A small carton brick in the `milk_carton` params layout (built by the carton builder)."""
    w = rng.uniform(0.048, 0.056) if volume_l <= 0.25 else rng.uniform(0.062, 0.068)
    d = w * rng.uniform(0.68, 0.78)
    body = volume_l / 1000 / (w * d) * rng.uniform(0.98, 1.04)
    if cap:
        cap_h = rng.uniform(0.01, 0.014)
        top = {
            "type": "flat",
            "body_height": r5(body),
            "cap_diameter": r5(rng.uniform(0.018, 0.024)),
            "cap_height": r5(cap_h),
            "cap_offset": r5(rng.uniform(-0.2, 0.2) * w),
            "cap_color": jitter(rng, pick(rng, [[0.95, 0.95, 0.95], main, [0.1, 0.3, 0.7]])),
        }
        sz = body + cap_h
    else:  # no cap: a small foil-covered straw hole
        top = {
            "type": "flat",
            "body_height": r5(body),
            "cap_diameter": 0.008,
            "cap_height": 0.0012,
            "cap_offset": r5(rng.uniform(-0.25, 0.25) * w),
            "cap_color": [0.85, 0.85, 0.87],
        }
        sz = body + 0.0012
    return item_params(
        [w, d, sz],
        stackable=not cap,
        volume_l=volume_l,
        top=top,
        carton_color=rgb(0.93, 0.92, 0.88),
        roughness=r5(rng.uniform(0.3, 0.5)),
        label=carton_label(rng, product, main, w, d, fill=(0.8, 0.95)),
    )


def heavy_cream(rng: np.random.Generator, prefer: Prefer = None) -> dict:
    """Cream in a small carton (brick, with or without a cap, or a small gable top) or a pot;
    the product `CREAM_BRICK` is always the AICook photos' tall green half-litre brick."""
    product, main = pick_product(rng, "heavy_cream", prefer)
    if product == CREAM_BRICK:
        out = _brick(rng, 0.5, product, main, True)
        out["top"]["cap_color"] = jitter(rng, [0.95, 0.95, 0.93], 0.02)
        out["label"].update(pattern="plain", oval="light", background=0, logo=True,
                            fill=r5(rng.uniform(0.92, 0.97)))  # fmt: skip
        out["label"]["palette"][1] = jitter(rng, [0.85, 0.42, 0.08], 0.04)  # the badge's rim
        out["style"] = "brick"
        return out
    style = pick(rng, ["brick", "gable", "pot"], [7, 2, 1.5])
    if style == "pot":
        d = rng.uniform(0.075, 0.095)
        return item_params(
            [d, d, rng.uniform(0.05, 0.07)],
            "circle",
            stackable=True,
            style=style,
            taper=r5(rng.uniform(0.78, 0.9)),
            rim=r5(rng.uniform(0.002, 0.004)),
            cup_color=jitter(rng, [0.95, 0.95, 0.93], 0.03),
            label=make_label(rng, "cup_wrap", product, jitter(rng, main, 0.06)),
            lid_label=lid_label(rng, product, main, foil_p=0.4),
        )
    if style == "gable":
        w = rng.uniform(0.054, 0.058)
        body = pick(rng, [0.25, 0.5]) / 1000 / (w * w) * rng.uniform(0.98, 1.04)
        gable_h, fin = w * rng.uniform(0.36, 0.44), rng.uniform(0.006, 0.009)
        return item_params(
            [w, w, body + gable_h + fin],
            style=style,
            top={
                "type": "gable",
                "body_height": r5(body),
                "gable_height": r5(gable_h),
                "fin": r5(fin),
            },
            carton_color=rgb(0.93, 0.92, 0.88),
            roughness=r5(rng.uniform(0.3, 0.5)),
            label=carton_label(rng, product, main, w, w, fill=(0.6, 0.8)),
        )
    out = _brick(rng, pick(rng, [0.2, 0.25, 0.25, 0.5]), product, main, bool(rng.random() < 0.6))
    out["style"] = style
    return out


def milk_carton(rng: np.random.Generator, prefer: Prefer = None) -> dict:
    """A milk carton (`params.milk_carton`, whose draws stay as they were without `prefer`); a
    preference may also pick the photos' litre bricks, `MILK_BRICK` and `SOY_BRICK`."""
    if not prefer:
        return milk_carton_plain(rng)
    product, main = pick_product(rng, "milk_carton", prefer)
    if product not in (MILK_BRICK, SOY_BRICK):
        return carton(rng, [(product, main)], "milk")
    w, d = rng.uniform(0.092, 0.096), rng.uniform(0.062, 0.065)
    body = 1.0 / 1000 / (w * d) * rng.uniform(0.98, 1.01)
    cap_h = rng.uniform(0.014, 0.018)
    soy = product == SOY_BRICK
    ground = jitter(rng, [0.95, 0.92, 0.82] if soy else main, 0.03)
    label = carton_label(rng, product, main, w, d, vary=0.04, fill=(0.95, 0.98))
    label["palette"][1:3] = [rgb(0.98, 0.98, 0.97), ground]  # white logo and cap, the ground
    label.update(pattern="bare", background=1, front="drink" if soy else "landscape", logo=True)
    return item_params(
        [w, d, body + cap_h],
        volume_l=1.0,
        top={"type": "flat", "body_height": r5(body), "cap_diameter": r5(rng.uniform(0.03, 0.034)),
             "cap_height": r5(cap_h), "cap_offset": r5(rng.uniform(0.15, 0.22) * w),
             "cap_color": jitter(rng, [0.96, 0.96, 0.95], 0.02)},
        carton_color=ground,
        roughness=r5(rng.uniform(0.3, 0.45)),
        label=label,
    )  # fmt: skip


def milk_bottle(rng: np.random.Generator, prefer: Prefer = None) -> dict:
    """Milk in an HDPE jug with a handle, an opaque PET bottle or a glass bottle."""
    style = pick(rng, ["jug", "pet", "glass"], [5, 3, 2])
    fat, cap_col = pick_product(rng, "milk_bottle", prefer)
    product = pick(rng, [f"{fat} MILK", "FRESH MILK", f"{fat}", "FARM MILK"])
    if style == "jug":
        volume = pick(rng, [1.0, 2.0, 2.0, 3.0])
        d = {1.0: 0.085, 2.0: 0.108, 3.0: 0.125}[volume] * rng.uniform(0.97, 1.03)
        h = {1.0: 0.2, 2.0: 0.24, 3.0: 0.27}[volume] * rng.uniform(0.97, 1.03)
        squareness = rng.uniform(2.8, 4.5)
    elif style == "pet":
        volume = pick(rng, [0.5, 1.0, 1.0])
        d = {0.5: 0.062, 1.0: 0.078}[volume] * rng.uniform(0.97, 1.03)
        h = {0.5: 0.18, 1.0: 0.23}[volume] * rng.uniform(0.97, 1.03)
        squareness = 2.0
    else:
        volume = pick(rng, [0.5, 1.0])
        d = {0.5: 0.068, 1.0: 0.085}[volume] * rng.uniform(0.97, 1.03)
        h = {0.5: 0.18, 1.0: 0.225}[volume] * rng.uniform(0.97, 1.03)
        squareness = 2.0
    band_lo = rng.uniform(0.2, 0.32)
    return item_params(
        [d, d, h],
        "box" if style == "jug" else "circle",
        style=style,
        volume_l=volume,
        squareness=r5(squareness),
        shoulder=r5(rng.uniform(0.58, 0.7)),
        neck_ratio=r5(rng.uniform(0.28, 0.36) if style == "jug" else rng.uniform(0.45, 0.6)),
        handle=bool(style == "jug" and volume >= 2.0 or (style == "jug" and rng.random() < 0.5)),
        body_color=jitter(rng, [0.95, 0.95, 0.93], 0.02),
        cap_color=jitter(rng, cap_col, 0.05),
        fill=r5(rng.uniform(0.5, 0.95)),
        band=[r5(band_lo), r5(band_lo + rng.uniform(0.25, 0.4))],
        label=make_label(rng, "bottle_band", product, jitter(rng, cap_col, 0.1)),
    )


# Rind colours of a bare segment of a waxed wheel: black wax (most of the photos' cheese),
# aubergine-brown wax, a brown natural crust, a yellow waxed rind.
WAX_RINDS: list[Color] = [
    [0.03, 0.03, 0.035],
    [0.12, 0.05, 0.05],
    [0.3, 0.2, 0.12],
    [0.85, 0.62, 0.2],
]


def cheese_pack(rng: np.random.Generator) -> dict:
    """Cheese as most photographed fridges keep it: half the time a bare segment cut from a waxed
    wheel (aged Gouda: a black rind, a yellow cut face); else in film (a wedge with its rind), in
    waxed paper, or a flat pack of slices."""
    style = pick(rng, ["film", "paper", "slices", "waxed"], [2, 1.2, 1.8, 5])
    kind, color = pick(
        rng,
        [
            ("gouda", [0.98, 0.8, 0.35]),
            ("cheddar", [0.96, 0.72, 0.25]),
            ("emmental", [0.97, 0.88, 0.55]),
            ("red_cheddar", [0.95, 0.55, 0.15]),
            ("mild", [0.98, 0.9, 0.6]),
        ],
    )
    product = pick(rng, ["GOUDA", "CHEDDAR", "EMMENTAL", "CHEESE", "MATURE", "FROMAGE"])
    if style == "waxed":
        return _waxed_segment(rng, product)
    if style == "slices":
        sx, sy = rng.uniform(0.12, 0.16), rng.uniform(0.1, 0.13)
        n, th = int(rng.integers(6, 12)), rng.uniform(0.0015, 0.0025)
        h = 0.002 + n * th + 0.004
        pieces = _slice_stack(rng, "cheese_slice", n, (sx * 0.82, sy * 0.82, th), (0.002, 0.002), 2)
        return item_params(
            [sx, sy, h],
            stackable=True,
            style=style,
            color=jitter(rng, color, 0.04),
            pieces=pieces,
            card=r5(rng.uniform(0.2, 0.35)),
            film=film_params(rng, 0.05, top=h, dome=0.0),
            label=flat_pack_label(rng, product, None, sx, sy, h, top_fraction=0.92),
        )
    shape = pick(rng, ["wedge", "block"], [6, 4])
    if shape == "wedge":
        sx, sy, sz = rng.uniform(0.1, 0.16), rng.uniform(0.06, 0.09), rng.uniform(0.045, 0.075)
    else:
        sx, sy, sz = rng.uniform(0.09, 0.14), rng.uniform(0.055, 0.08), rng.uniform(0.03, 0.05)
    rind = pick(
        rng, [None, [0.08, 0.08, 0.08], [0.8, 0.08, 0.06], [0.85, 0.6, 0.2]], [3, 4, 1.5, 1.5]
    )
    pad = 0.0015
    return item_params(
        [sx + 2 * pad, sy + 2 * pad, sz + pad],
        stackable=shape == "block",
        style=style,
        shape=shape,
        kind=kind,
        color=jitter(rng, color, 0.04),
        rind_color=None if rind is None else jitter(rng, rind, 0.04),
        holes=kind == "emmental",
        pad=pad,
        paper_color=jitter(
            rng, pick(rng, [[0.92, 0.88, 0.78], [0.85, 0.8, 0.7], [0.8, 0.15, 0.12]]), 0.04
        ),
        film=film_params(rng, (0.03, 0.12)),
        sticker=sticker(rng, product),
        sticker_box=[
            r5(rng.uniform(-0.15, 0.15) * sx),
            r5(-0.1 * sy),
            r5(sx * 0.45),
            r5(sy * 0.55),
        ],
    )


def _waxed_segment(rng: np.random.Generator, product: str) -> dict:
    """A segment of a waxed wheel (radius, angle in radians, wheel thickness), lying on its
    rind (``flat``) or standing on a cut face (``standing``: the rind's sector faces the side)."""
    radius, angle, thick = rng.uniform(0.09, 0.15), rng.uniform(0.45, 1.05), rng.uniform(0.05, 0.09)
    pose = pick(rng, ["flat", "standing"])
    if pose == "flat":
        size = [radius, 2 * radius * math.sin(angle / 2), thick]
    else:
        size = [radius, thick, radius * math.sin(angle)]
    paste = pick(rng, [[0.96, 0.88, 0.55], [0.98, 0.8, 0.35], [0.97, 0.72, 0.25]], [3, 3, 1])
    return item_params(
        size,
        style="waxed",
        pose=pose,
        radius=r5(radius),
        angle=r5(angle),
        thickness=r5(thick),
        color=jitter(rng, paste, 0.04),
        rind_color=jitter(rng, pick(rng, WAX_RINDS, [6, 2, 1, 1.5]), 0.03),
        rind_roughness=r5(rng.uniform(0.25, 0.45)),
        roughness=r5(rng.uniform(0.4, 0.6)),
        sticker=sticker(rng, product) if rng.random() < 0.4 else None,
    )


def goat_cheese(rng: np.random.Generator, prefer: Prefer = None) -> dict:
    """Goat cheese: a printed tub (mostly square and wide, as on the AICook photos, and on most
    of them an `oval` badge in the brand colour on a white sleeve), a log with a white rind,
    or a small round."""
    style = pick(rng, ["tub", "log", "round"], [7, 2, 1])
    product, main = pick_product(rng, "goat_cheese", prefer)
    if style == "tub":
        sx, sy = rng.uniform(0.09, 0.12), rng.uniform(0.07, 0.09)
        square = rng.random() < 0.85
        if not square:
            sy = sx
        h = rng.uniform(0.045, 0.065)
        label = carton_label(rng, product, main, sx, sy, vary=0.06)
        if rng.random() < 0.6:
            label.update(background=1, pattern="plain", oval=True)
        return item_params(
            [sx, sy, h],
            "box" if square else "circle",
            stackable=True,
            style=style,
            square=bool(square),
            taper=r5(rng.uniform(0.86, 0.94)),
            tub_color=jitter(rng, [0.95, 0.95, 0.93], 0.03),
            lid_height=r5(rng.uniform(0.008, 0.012)),
            label=label,
            lid_label=lid_label(rng, product, main),
        )
    if style == "log":
        length, d = rng.uniform(0.1, 0.16), rng.uniform(0.04, 0.055)
        size = [length, d, d]
    else:
        d = rng.uniform(0.05, 0.07)
        size = [d, d, d * rng.uniform(0.45, 0.65)]
    return item_params(
        size,
        "box" if style == "log" else "circle",
        style=style,
        rind=jitter(rng, [0.95, 0.94, 0.9], 0.03),
        ash=bool(rng.random() < 0.2),
        wrap=pick(rng, ["film", "bare", "band"], [4, 2, 3]),
        label=make_label(rng, "bottle_band", product, jitter(rng, main, 0.06)),
        band=[0.3, 0.7],
        film=film_params(rng, 0.06),
    )


def butter_tub(rng: np.random.Generator, prefer: Prefer = None) -> dict:
    """Spread or butter in a rectangular plastic tub with a printed lid."""
    product, main = pick_product(
        rng, "butter_tub", prefer, [3, 1, 1, 1, 1, 1]
    )  # red tubs are common
    big = rng.random() < 0.5
    sx, sy = (
        (rng.uniform(0.14, 0.16), rng.uniform(0.1, 0.115))
        if big
        else (rng.uniform(0.11, 0.125), rng.uniform(0.08, 0.09))
    )
    h = rng.uniform(0.055, 0.07) if big else rng.uniform(0.045, 0.055)
    tub = jitter(rng, main if rng.random() < 0.6 else [0.95, 0.95, 0.93], 0.05)
    return item_params(
        [sx, sy, h],
        stackable=True,
        square=True,
        taper=r5(rng.uniform(0.86, 0.93)),
        tub_color=tub,
        lid_height=r5(rng.uniform(0.01, 0.015)),
        label=carton_label(rng, product, main, sx, sy, vary=0.06),
        lid_label=lid_label(rng, product, main),
        printed_sides=bool(rng.random() < 0.6),
    )


# --------------------------------------------------------------------------------------------
# Vegetables in bags, corn


def _pillow_bag(
    rng: np.random.Generator, sx: float, sy: float, sz: float, product: str, main: Color | None
) -> dict:
    """A sealed clear bag lying flat, with a printed header at one seal."""
    return item_params(
        [sx, sy, sz],
        film=film_params(rng, (0.05, 0.15), BAG_TINT),
        seal=r5(rng.uniform(0.01, 0.018)),
        header=r5(rng.uniform(0.18, 0.32)),
        label=header_label(rng, product, main),
    )


def spinach(rng: np.random.Generator) -> dict:
    """A puffy clear bag of loose spinach leaves: a few dozen dark, cupped leaves with pale
    midribs heaped every which way against the film (as the AICook photos' spinach), around a
    core of pressed leaves that keeps the bag from looking empty between them."""
    sx, sy, sz = rng.uniform(0.2, 0.26), rng.uniform(0.15, 0.2), rng.uniform(0.08, 0.13)
    out = _pillow_bag(
        rng,
        sx,
        sy,
        sz,
        pick(rng, ["BABY SPINACH", "SPINACH", "LEAF SPINACH"]),
        pick(rng, [[0.2, 0.5, 0.2], [0.1, 0.35, 0.6], [0.85, 0.5, 0.1], None]),
    )
    out["header"] = r5(rng.uniform(0.06, 0.14))  # a strip at the seal: the leaves show
    leaf = jitter(rng, pick(rng, [[0.12, 0.3, 0.07], [0.16, 0.36, 0.1], [0.1, 0.25, 0.08]]), 0.05)
    fill = rng.uniform(0.75, 0.95)
    seal = out["seal"] / sx * 2  # as `grocery.spinach` builds the film (`mesh.pillow`)
    leaves = []
    for k in range(int(rng.integers(55, 80))):
        length = rng.uniform(0.05, 0.09)
        q = piece(
            "leaf",
            (0, 0, 0),
            (length, length * rng.uniform(0.55, 0.75), length * rng.uniform(0.12, 0.25)),
            (rng.uniform(-40, 40), rng.uniform(-40, 40), rng.uniform(-180, 180)),
            "box",
            k % 3,
            cup=r5(rng.uniform(0.05, 0.25)),
            wave=r5(rng.uniform(0.0, 0.08)),
            phase=r5(rng.uniform(0, math.tau)),
            curl=r5(rng.uniform(-0.4, 0.4)),
        )
        for tries in range(12):  # somewhere under the film with room for the leaf
            if tries >= 6:  # a big leaf in a low bag lies flatter
                q["rot"] = [r5(q["rot"][0] * 0.6), r5(q["rot"][1] * 0.6), q["rot"][2]]
            w, d, h = posed_extent(q)
            x = rng.uniform(-0.5, 0.5) * max(sx * 0.85 - w, 0.0) * (0.5 if tries >= 6 else 1)
            edge = rng.uniform(-1, 1)  # most leaves press against the film at front and back
            y = math.copysign(abs(edge) ** 0.5, edge) / 2 * max(sy * 0.85 - d, 0.0)
            y *= 0.5 if tries >= 6 else 1
            # the film's top over (x, y), with room for the leaf's tilted corners
            along = float(pillow_profiles(min(1.0, 2 * abs(x) / sx), sx, seal, 0.12)[0])
            top = 0.8 * float(pillow_top(x, y, sx, sy, sz, seal, 0.12)) - h / 2
            if top >= h / 2 + 0.003:
                break
        else:  # lying flat in the middle, where the bag is highest
            x, y, along, top = 0.0, 0.0, 1.0, sz * 0.8 - h / 2
        z = min(h / 2 + 0.003 + rng.uniform(0, 1) ** 0.6 * sz * fill * along, top)
        q["at"] = [r5(x), r5(y), r5(z)]
        leaves.append(q)
    out.update(
        leaf=leaf,  # the pressed core
        leaf_scale=r5(rng.uniform(25, 45)),
        fill=r5(fill),
        colors=[jitter(rng, leaf, 0.06) for _ in range(3)],
        pieces=leaves,
    )
    return out


def green_beans(rng: np.random.Generator) -> dict:
    """Green beans: mostly a full, puffy clear bag of 70-99 thin, dark olive ones heaped every
    which way, 6-8 cm high in the middle (the aicook photos' bean bags are about three times as
    long as they are high), under a narrow printed strip at one seal; or a tidier bundle lying
    loose."""
    bagged = rng.random() < 0.85
    color = jitter(rng, pick(rng, [[0.25, 0.5, 0.12], [0.2, 0.42, 0.1], [0.32, 0.55, 0.15],
                                   [0.14, 0.3, 0.08], [0.17, 0.36, 0.1], [0.11, 0.22, 0.05]],
                             [1, 1, 0.5, 2, 2, 2]), 0.05)  # fmt: skip
    n = int(rng.integers(80, 110)) if bagged else int(rng.integers(8, 18))
    width = rng.uniform(0.09, 0.12) if bagged else rng.uniform(0.08, 0.12)
    spread, turn, layers = (0.03, 22, 11) if bagged else (0.012, 12, 3)
    pieces = []
    for k in range(n):
        length = rng.uniform(0.1, 0.15)
        d = rng.uniform(0.005, 0.007) if bagged else rng.uniform(0.006, 0.009)
        layer = k % layers
        narrow = 1 - 0.35 * layer / layers  # a heap: upper layers lie nearer the middle
        pieces.append(
            piece(
                "bean",
                (
                    rng.uniform(-spread, spread) * narrow,
                    rng.uniform(-width / 2, width / 2) * narrow,
                    d / 2 + layer * d * 0.8,
                ),
                (length, d, d),
                (
                    rng.uniform(-180, 180),
                    rng.uniform(-8, 8) if bagged else 0,
                    rng.uniform(-turn, turn),
                ),
                "cone",
                k % 2,
                bend=r5(rng.uniform(-0.3, 0.3)),
            )
        )
    size = settle_group(pieces)
    out = item_params(
        size,
        pieces=pieces,
        colors=[color, jitter(rng, color, 0.06)],
        container=dict(_LOOSE),
    )
    if bagged:
        bag = _pillow_bag(
            rng,
            size[0] + 0.05,
            size[1] + 0.02,
            size[2] + 0.012,
            pick(rng, ["GREEN BEANS", "FINE BEANS", "BEANS"]),
            pick(rng, [[0.2, 0.5, 0.2], [0.85, 0.6, 0.1], None]),
        )
        bag.pop("footprint"), bag.pop("stackable")
        bag["header"] = r5(rng.uniform(0.06, 0.12))  # a strip at the seal, not a printed half
        out["size"] = bag.pop("size")
        out["bag"] = bag
    return out


def corn(rng: np.random.Generator, prefer: Prefer = None) -> dict:
    """Sweet corn: a tin (closed or opened), or cobs loose or in a filmed tray."""
    style = pick(rng, ["tin", "open_tin", "cobs", "tray"], [7, 1, 1.5, 1])  # tins above all
    kernel = jitter(rng, [0.98, 0.78, 0.2], 0.05)
    if style in ("tin", "open_tin"):
        product, main = pick_product(rng, "corn", prefer)
        sizes = [(0.074, 0.095), (0.083, 0.105), (0.065, 0.077), (0.099, 0.118)]
        if product == CORN_TIN:
            sizes = [(0.084, 0.066), (0.084, 0.072)]
        d, h = pick(rng, sizes)
        d, h = d * rng.uniform(0.99, 1.01), h * rng.uniform(0.99, 1.01)
        label = make_label(rng, "can_wrap", product, jitter(rng, main, 0.08))
        if product == CORN_TIN:
            label.update(palette=[label["palette"][0], rgb(*jitter(rng, [0.95, 0.55, 0.08], 0.05)),
                                  [0.96, 0.94, 0.88], [0.12, 0.06, 0.03], [0.98, 0.8, 0.2]],
                         pattern="plain", background=0, nutrition=False,
                         top_band=r5(rng.uniform(0.3, 0.42)), picture="kernels")  # fmt: skip
        return item_params(
            [d, d, h],
            "circle",
            stackable=style == "tin",
            style=style,
            metal_color=jitter(rng, [0.78, 0.78, 0.8], 0.03),
            ribs=int(rng.integers(2, 6)),
            kernel=kernel,
            label=label,
        )
    n = int(rng.integers(1, 4)) if style == "cobs" else 2
    pieces = []
    for _ in range(n):
        length, dd = rng.uniform(0.14, 0.2), rng.uniform(0.04, 0.05)
        pieces.append(
            part(
                "cob",
                (length, dd, dd),
                (rng.uniform(-180, 180), 0, rng.uniform(-10, 10)),
                husk=bool(style == "cobs" and rng.random() < 0.3),
            )
        )
    if style == "cobs":
        pieces, boxes = _produce_group(rng, n, lambda r, k: pieces[k], 1, _LOOSE, along="y")
        return _finish_produce(pieces, boxes, _LOOSE, style=style, kernel=kernel)
    tray = _tray(rng, max(q["size"][0] for q in pieces) + 0.03, 0.12, rng.uniform(0.015, 0.025))
    for q in pieces:
        q["rot"][2] = 0.0
    pieces = _spread(rng, pieces, tray, margin=0.004)
    return _film_pack(rng, tray, pieces, "SWEET CORN", style=style, kernel=kernel)


# --------------------------------------------------------------------------------------------
# Bakery and pantry


# (crumb, crust) of a loaf: white, brown, wholemeal, pale white; the photos' stacked slices are
# of the two white sandwich loaves
BREAD_COLORS = [
    ([0.93, 0.86, 0.7], [0.7, 0.45, 0.2]),
    ([0.72, 0.55, 0.38], [0.5, 0.32, 0.16]),
    ([0.6, 0.45, 0.32], [0.38, 0.24, 0.13]),
    ([0.95, 0.9, 0.78], [0.82, 0.6, 0.3]),
]
WHITE_BREADS = [BREAD_COLORS[0], BREAD_COLORS[3]]


def bread(rng: np.random.Generator, prefer: Prefer = None) -> dict:
    """A sliced loaf in a clear bag, an unwrapped crusty loaf, or bread rolls; or (only under a
    preference, `products.bread.stack`: the AICook photos' bread) five to nine thin square slices
    of a sandwich loaf lying in a loose stack under cling film."""
    if prefer:
        style = pick_product(rng, "bread", prefer, [6, 2.5, 1.5, 1])[0]
    else:
        style = pick(rng, ["sliced", "crusty", "rolls"], [6, 2.5, 1.5])
    crumb, crust = pick(rng, BREAD_COLORS)
    colors = {"crumb": jitter(rng, crumb, 0.04), "crust": jitter(rng, crust, 0.05)}
    if style == "stack":  # white sandwich bread, as the photos'
        crumb, crust = pick(rng, WHITE_BREADS)
        colors = {"crumb": jitter(rng, crumb, 0.04), "crust": jitter(rng, crust, 0.05)}
        # a big loaf's thin slices: the photos' stacks are about half again as wide as high
        sx, sy = rng.uniform(0.11, 0.13), rng.uniform(0.1, 0.12)
        t, n = rng.uniform(0.009, 0.012), int(rng.integers(5, 10))
        pad = 0.005  # the film round the stack
        return item_params(
            [sx + 2 * pad, sy + 2 * pad, n * t + pad],
            style=style,
            slice_size=[r5(sx), r5(sy)],
            slice=r5(t),
            # each slice's shift and turn (degrees): a stack laid by hand
            slices=[
                [
                    r5(rng.uniform(-0.002, 0.002)),
                    r5(rng.uniform(-0.002, 0.002)),
                    r5(rng.uniform(-2.5, 2.5)),
                ]
                for _ in range(n)
            ],  # fmt: skip
            colors=colors,
            wrap_tint=jitter(rng, [0.95, 0.97, 0.97], 0.02),
        )
    if style == "rolls":

        def make(r: np.random.Generator, k: int) -> dict:
            d = r.uniform(0.07, 0.095)
            return part(
                "roll",
                (d * r.uniform(1.0, 1.3), d, d * r.uniform(0.5, 0.65)),
                (0, 0, r.uniform(-180, 180)),
                score=bool(r.random() < 0.5),
            )

        pieces, boxes = _produce_group(rng, int(rng.integers(2, 7)), make, 2, _LOOSE)
        out = _finish_produce(pieces, boxes, _LOOSE, style=style, colors=colors)
        if rng.random() < 0.5:
            out["bag"] = _bag_film(rng, out, pick(rng, ["ROLLS", "BAGUETTINES", "BUNS"]))
        return out
    if style == "sliced":
        length, w, h = rng.uniform(0.2, 0.28), rng.uniform(0.1, 0.12), rng.uniform(0.1, 0.13)
        tail = rng.uniform(0.03, 0.06)
        product = pick(rng, ["WHITE BREAD", "WHOLEMEAL", "SANDWICH LOAF", "MULTIGRAIN", "TOAST"])
        return item_params(
            [length + tail + 0.01, w + 0.01, h + 0.006],
            style=style,
            loaf=[r5(length), r5(w), r5(h)],
            tail=r5(tail),
            dome=r5(rng.uniform(0.1, 0.3)),
            slice=r5(rng.uniform(0.011, 0.015)),
            colors=colors,
            seeds=bool(product == "MULTIGRAIN" or rng.random() < 0.2),
            bag_tint=jitter(rng, [0.95, 0.97, 0.97], 0.02),
            clip=jitter(
                rng,
                pick(rng, [[0.9, 0.2, 0.1], [0.1, 0.4, 0.8], [0.95, 0.8, 0.1], [0.2, 0.6, 0.2]]),
                0.05,
            ),
            label=make_label(rng, "bottle_band", product, None),
        )
    length = rng.uniform(0.2, 0.32)
    w = rng.uniform(0.1, 0.14)
    return item_params(
        [length, w, w * rng.uniform(0.55, 0.75)],
        style=style,
        colors=colors,
        scores=int(rng.integers(0, 5)),
        flour=r5(rng.uniform(0.0, 0.6)),
    )


def _storage_jar(
    rng: np.random.Generator,
    contents: str,
    color: Color,
    fill: tuple[float, float] = (0.3, 0.85),
    clip_p: float = 0.6,
) -> dict:
    """A big glass storage jar of a white powder: a clip-top jar with a glass lid and an orange
    rubber seal (with probability `clip_p`) or a screw-top jar, filled to a height fraction
    drawn from `fill`."""
    d = rng.uniform(0.09, 0.12)
    h = d * rng.uniform(1.1, 1.6)
    clip = bool(rng.random() < clip_p)
    return item_params(
        [d, d, h],
        "circle",
        stackable=True,
        style="jar",
        contents=contents,
        contents_color=jitter(rng, color, 0.02),
        fill=r5(rng.uniform(*fill)),
        lid="clip" if clip else "screw",
        lid_height=r5(rng.uniform(0.014, 0.02) if clip else rng.uniform(0.015, 0.022)),
        shoulder=r5(rng.uniform(0.04, 0.1)),
        lid_color=jitter(
            rng,
            pick(rng, [[0.85, 0.85, 0.87], [0.95, 0.95, 0.93], [0.2, 0.2, 0.22], [0.6, 0.35, 0.2]]),
            0.04,
        ),
        seal_color=jitter(rng, [0.95, 0.45, 0.12], 0.05),
        has_label=bool(rng.random() < 0.3),
        band=[0.3, 0.6],
        label=make_label(rng, "jar_band", contents),
    )


def _paper_bag(
    rng: np.random.Generator,
    dims,
    product: str,
    main: Color,
    paper: Color,
    plain: float = 0.0,
    top_p: float = 0.0,
    open_p: float = 0.3,
    store: bool = False,
) -> dict:
    """A printed paper bag of a powder, standing, its top folded over (rolled down and open,
    the powder showing, with probability `open_p`); with probability `plain` the print is on a
    white ground (the bag's own colour shows) instead of a coloured one; with probability `top_p`
    the folded top is printed solid in the main colour (``top_color``). A `store` bag is the
    AICook photos' store brand: white, its wide faces orange small print (label front "text")."""
    sx, sy, sz = (v * rng.uniform(0.96, 1.04) for v in dims)
    fold = rng.uniform(0.12, 0.22)
    bulge = rng.uniform(0.03, 0.08)
    is_open = bool(rng.random() < open_p)  # rolled down and open: the powder shows
    top = sz * (1 - fold) + 0.003 if is_open else sz
    label = carton_label(rng, product, main, sx, sy, fill=r5(1 - fold))
    if store:
        label["palette"][1:3] = [jitter(rng, PANTRY_INK, 0.04), [0.97, 0.97, 0.96]]
        label.update(background=1, pattern="plain", front="text")
    elif plain and rng.random() < plain:  # a light ground, the main colour only in a sparse print
        label.update(background=1, pattern=pick(rng, ["plain", "bands", "waves"]))
    top_color = None
    if top_p and rng.random() < top_p:
        top_color = jitter(rng, main, 0.05)
    return item_params(
        [sx * (1 + bulge), sy * (1 + bulge), top],
        style="bag",
        base=[r5(sx), r5(sy), r5(sz)],
        fold=r5(fold),
        bulge=r5(bulge),
        paper=jitter(rng, paper, 0.03),
        open=is_open,
        label=label,
        top_color=top_color,
    )


def flour(rng: np.random.Generator, prefer: Prefer = None) -> dict:
    """Flour in a paper bag, mostly white with a sparse print, or in a clip-top storage jar,
    often nearly used up (as in the AICook photos: a crumpled white bag, mostly empty jars)."""
    if rng.random() < 0.5:
        return _storage_jar(rng, "FLOUR", [0.96, 0.95, 0.92], fill=(0.05, 0.5), clip_p=0.85)
    product, main = pick_product(rng, "flour", prefer)
    store = product == FLOUR_BAG
    return _paper_bag(
        rng,
        pick(rng, [(0.11, 0.075, 0.18), (0.13, 0.08, 0.22)]),
        product,
        main,
        [0.96, 0.96, 0.95] if store else pick(rng, [[0.95, 0.94, 0.9], [0.85, 0.75, 0.58]], [3, 1]),
        plain=0.75,
        open_p=0.7 if store else 0.3,
        store=store,
    )


def sugar(rng: np.random.Generator, prefer: Prefer = None) -> dict:
    """Sugar in a paper bag, a storage jar or a box of cubes. As on the AICook photos, bags are
    mostly white with a sparse print under a folded top printed solid in the brand colour (their
    red), and jars mostly screw-topped and nearly full."""
    style = pick(rng, ["bag", "jar", "cubes"], [5, 4, 1])
    if style == "jar":
        white = pick(rng, [[0.97, 0.97, 0.96], [0.8, 0.6, 0.38]], [6, 1])
        return _storage_jar(rng, "SUGAR", white, fill=(0.65, 0.95), clip_p=0.25)
    product, main = pick_product(rng, "sugar", prefer)
    if style == "cubes":
        sx, sy, sz = rng.uniform(0.11, 0.14), rng.uniform(0.06, 0.075), rng.uniform(0.1, 0.13)
        return item_params(
            [sx, sy, sz],
            stackable=True,
            style=style,
            bevel=r5(rng.uniform(0.001, 0.002)),
            label=carton_label(rng, product, main, sx, sy),
        )
    store = product == SUGAR_BAG
    return _paper_bag(
        rng,
        pick(rng, [(0.1, 0.065, 0.16), (0.12, 0.07, 0.19)]),
        product,
        main,
        [0.96, 0.96, 0.95],
        plain=0.7,
        top_p=1.0 if store else 0.7,
        open_p=0.0 if store else 0.3,
        store=store,
    )


def chocolate(rng: np.random.Generator, prefer: Prefer = None) -> dict:
    """A chocolate bar in a printed paper or foil wrapper, lying flat (built like butter); the
    product `CHOCOLATE_BAR` is always the AICook photos' thick light blue bar."""
    product, main = pick_product(rng, "chocolate", prefer)
    if product == CHOCOLATE_BAR:
        dims = np.array([0.19, 0.1, 0.02]) * rng.uniform(0.95, 1.05, 3)
        out = flat_pack(rng, tuple(dims), product, main, foil_p=0.0, bevel=(0.002, 0.003))
        pal = out["label"]["palette"]
        pal[1], pal[4] = jitter(rng, [0.94, 0.96, 0.98], 0.02), jitter(rng, [0.36, 0.6, 0.86])
        out["label"].update(pattern="shards", background=0, end_band=jitter(rng, [0.05, 0.1, 0.3]))
        return out
    big = rng.random() < 0.3
    dims = np.array([0.2, 0.1, 0.014] if big else [0.16, 0.078, 0.011])
    sx, sy, sz = dims * rng.uniform(0.94, 1.06, 3)
    return flat_pack(rng, (sx, sy, sz), product, main, foil_p=0.2, bevel=(0.001, 0.002))
