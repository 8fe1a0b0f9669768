"""What goes around the grocery pieces: containers, film, bags, stickers, trays.

`produce` (produce groups: loose, in a tub, punnet, net or bag, tomatoes on the `vine`) and
`tray_pack` (meat and fish under film in a tray) are class builders themselves; `container`,
`bag_around` and `group_bounds` serve them and `grocery`.

Clear plastic (film, punnets, bags) uses a cheap transparent + glossy mix: no refraction noise
at low sample counts, and the instance-id pass sees through it to the food inside (Cycles
ignores surfaces below the pass alpha threshold), as a person labelling the photo would.
"""

from __future__ import annotations

import numpy as np

from .grocery_params import TUB_TAPER
from .mesh import (
    Array,
    MeshBuilder,
    box_shell,
    cushion,
    heightfield,
    moved,
    open_box,
    pillow,
    printed_slab,
    rounded_rect,
    tube,
)
from .pieces import pieces
from .shading import film, label_size, mottled, net_material, plastic, principled, printed, shade


def container(b: MeshBuilder, p: dict) -> None:
    """The tub, punnet or net around a produce group (nothing for loose groups), lids, sticker."""
    c = p["container"]
    kind = c["kind"]
    if kind == "loose":
        return
    if kind == "net":
        lo, hi = group_bounds(b)
        mat = b.slot("net", lambda n: net_material(n, c["color"], c["mesh"]))
        pad = 0.004
        ring = rounded_rect(
            hi[0] - lo[0] + 2 * pad,
            hi[1] - lo[1] + 2 * pad,
            0.25 * min(hi[0] - lo[0], hi[1] - lo[1]),
        )
        cx, cy = (lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2
        moved(b, lambda: cushion(b, ring, 0.0, hi[2] - lo[2] + pad, mat, dome=0.9), (cx, cy, lo[2]))
        return
    iw, idp = c["inner"]
    wall, h = c["wall"], c["height"]
    if c.get("clear", False):
        mat = b.slot("tub", lambda n: plastic(n, c["color"], True))
    elif c.get("material") == "card":
        mat = b.slot(
            "tub",
            lambda n: mottled(n, [(0.3, shade(c["color"], 0.9)), (0.7, c["color"])], 40.0, 0.85),
        )
    else:
        mat = b.slot("tub", lambda n: plastic(n, c["color"], False))
    open_box(
        b, iw + 2 * wall, idp + 2 * wall, h, wall, mat, radius=0.008, taper=TUB_TAPER, flange=0.003
    )
    if "filler" in p:  # the hidden bulk of the berries under the top layer
        cols = p["colors"]
        fill = b.slot(
            "filler", lambda n: mottled(n, [(0.3, shade(cols[0], 0.6)), (0.7, cols[0])], 120.0, 0.6)
        )
        slope = 2 * TUB_TAPER * h
        moved(b, lambda: heightfield(b, iw - slope - 0.004, idp - slope - 0.004, p["filler"],
                                     lambda u, v: 1 - 0.1 * (u * v) ** 2, fill, 6), (0, 0, 0.002))  # fmt: skip
    lid = c.get("lid", "none")
    if lid != "none" and "lid_z" in c:
        lid_mat = b.slot("lid", lambda n: film(n, [0.96, 0.97, 0.98], 0.06 if lid == "film" else 0.12,
                                               0.92 if lid == "film" else 0.85))  # fmt: skip
        ring = rounded_rect(
            iw + 2 * wall + (0.004 if lid == "clip" else 0.0),
            idp + 2 * wall + (0.004 if lid == "clip" else 0.0),
            0.01,
        )
        cushion(
            b,
            ring,
            h - (0.004 if lid == "clip" else 0.0005),
            c["lid_z"],
            lid_mat,
            dome=0.15 if lid == "clip" else 0.6,
        )
        if "sticker" in p:
            st = b.slot("sticker", lambda n: printed(n, p["sticker"], (256, 192), 0.45))
            w, d = iw * 0.5, idp * 0.45
            moved(b, lambda: printed_slab(b, w, d, 0.0008, st), (iw * 0.1, -idp * 0.15, c["lid_z"]))


def group_bounds(b: MeshBuilder) -> tuple[Array, Array]:
    """Bounding box of everything built so far."""
    co = np.array([v.co[:] for v in b.bm.verts])
    return co.min(axis=0), co.max(axis=0)


def bag_around(b: MeshBuilder, p: dict, bag: dict) -> None:
    """A clear bag around what is built so far, with a printed header at its right seal."""
    lo, hi = group_bounds(b)
    pad, seal = bag["pad"], bag["seal"]
    length = hi[0] - lo[0] + 2 * pad + 2 * seal
    width, height = hi[1] - lo[1] + 2 * pad, hi[2] - lo[2] + pad
    film_mat = b.slot("bag", lambda n: film(n, bag["tint"], 0.1, 0.9))
    head = bag.get("header", 0.2)
    paper = b.slot(
        "header", lambda n: printed(n, bag["label"], label_size(1.0, 0.6), 0.4, Coat_Weight=0.4)
    )
    centre = ((lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2])
    moved(b, lambda: pillow(b, length, width, height, [film_mat, paper], seal / length * 2, 14, 16,
                            (1 - head, 1.0), flat_ends=0.35), centre)  # fmt: skip


def produce(b: MeshBuilder, p: dict) -> None:
    """A produce group: pieces, then its container or bag and any extras."""
    pieces(b, p)
    if "vine" in p:
        vine(b, p)
    if "crown" in p:
        crown = p["crown"]
        stalk = b.slot("crown", lambda n: principled(n, crown["color"], 0.7))
        r = crown["radius"]
        tube(b, np.array([crown["from"], crown["to"]]), np.array([r, r * 1.2]), stalk, 8)
    container(b, p)
    if "bag" in p:
        bag_around(b, p, p["bag"])


def vine(b: MeshBuilder, p: dict) -> None:
    """The green truss of vine tomatoes: a stalk above the fruit and a short stem down to each."""
    v = p["vine"]
    mat = b.slot("vine", lambda n: principled(n, v["color"], 0.6))
    tops = sorted(
        ([q["at"][0], q["at"][1], q["at"][2] + q["size"][2] / 2] for q in p["pieces"]),
        key=lambda t: t[0],
    )
    lift, r = v["lift"], v["radius"]
    spine = np.array([[t[0], t[1] * 0.5, t[2] + lift] for t in tops])
    if len(spine) >= 2:
        tube(b, spine, np.full(len(spine), r), mat, 6)
    for t, s in zip(tops, spine, strict=True):
        tube(b, np.array([s, [t[0], t[1], t[2] - 0.002]]), np.array([r * 0.8, r * 0.7]), mat, 5)


def tray_pack(b: MeshBuilder, p: dict) -> None:
    """Meat, fish or cobs in a tray (or bag) under clear film, with a price sticker."""
    tray = p.get("tray")
    pieces(b, p)
    sx, sy, _ = p["size"]
    fl = p["film"]
    film_mat = b.slot("film", lambda n: film(n, fl["tint"], fl["roughness"], 0.92))
    if tray is not None:
        tx, ty, depth = tray["size"]
        clear = tray["material"] == "clear"
        mat = b.slot("tray", lambda n: plastic(n, tray["color"], clear, 0.35))
        open_box(
            b,
            tx,
            ty,
            depth,
            tray["wall"],
            mat,
            radius=0.012,
            taper=tray["slope"],
            flange=tray["rim"],
        )
        ring = rounded_rect(tx - 2 * tray["rim"], ty - 2 * tray["rim"], 0.012)
        cushion(b, ring, depth - 0.0005, fl["top"], film_mat, dome=0.8)
        top = fl["top"]
    elif p.get("style") in ("pack", "slices"):  # a flat sealed pack with a printed card at one end
        card = b.slot("card", lambda n: printed(n, p["label"], label_size(sx, sy * 1.2), 0.5))
        cw = sx * p["card"]
        moved(b, lambda: printed_slab(b, cw, sy, 0.0015, card), (-sx / 2 + cw / 2, 0, 0.0))
        moved(b, lambda: box_shell(b, sx, sy, fl["top"], min(0.003, fl["top"] * 0.3), film_mat, film_mat, film_mat),
              (0, 0, 0))  # fmt: skip
        top = fl["top"]
    else:  # a bag hugging the contents
        lo, hi = group_bounds(b)
        moved(b, lambda: pillow(b, hi[0] - lo[0] + 0.012, hi[1] - lo[1] + 0.012, hi[2] - lo[2] + 0.006, film_mat,
                                0.02, flat_ends=0.2), ((lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, 0.0))  # fmt: skip
        top = hi[2] + 0.003
    if "sticker" in p:
        st = b.slot("sticker", lambda n: printed(n, p["sticker"], (256, 192), 0.45))
        x, y, w, d = p["sticker_box"]
        moved(b, lambda: printed_slab(b, w, d, 0.0008, st), (x, y, top))
