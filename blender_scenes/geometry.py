"""The fridge's geometry from its `FridgeSpec`: every box that is seen or collides, and the
surfaces items stand on. Pure Python (no Blender): `fridge` meshes these boxes, `physics` turns
the colliding ones into rigid-body boxes, `sampling` places items on the surfaces.

Frames: ``"fridge"`` is the description's frame (x across, y from the opening to the back wall,
z up); ``"door"`` is door space: origin at the hinge, the closed door along -x, its inside facing
+y. `Hinge` maps door space into the fridge frame (turn by `angle_deg` about +z, then move to
`point`); door boxes and door-bin surfaces are expressed through it.

Seen and colliding: a cabinet wall is one box that is meshed and collides. Where the collider
must differ from what is seen (shelves at least 12 mm thick so nothing tunnels through glass,
drawer walls thickened outwards, one slab for the door panel and liner, taller door-bin walls),
the collider is a separate invisible box (`Box.part` None) that names the meshed boxes it
`covers` and contains them. The shelf rails are the only meshed boxes no collider covers (they
sit under the shelves, out of the items' way).
"""

from __future__ import annotations

from dataclasses import dataclass

from .description import DoorSpec, DrawerSpec, FridgeSpec, ShelfSpec

Vec3 = tuple[float, float, float]

FRIDGE, DOOR = "fridge", "door"  # the two frames a box can be given in
WALL_THICKNESS = 0.04  # every sampled fridge's walls (the spec records it)
MIN_BOX_SIZE = 1e-4  # a box is meshed / collides at least this thick along each axis


@dataclass(frozen=True)
class Box:
    """An axis-aligned box of the fridge, in the fridge frame or in door space."""

    name: str  # unique, e.g. "shelf.1.pane" or "shelf.1.pane.collider"
    lo: Vec3  # min corner
    hi: Vec3  # max corner
    part: str | None  # the Blender object it is meshed into; None: an invisible collider
    collides: bool  # a passive rigid-body box in placement=physics
    frame: str = FRIDGE  # FRIDGE or DOOR
    covers: tuple[str, ...] = ()  # an invisible collider: the meshed boxes it stands for

    @property
    def centre(self) -> Vec3:
        """Middle of the box."""
        return tuple((a + b) / 2 for a, b in zip(self.lo, self.hi, strict=True))

    @property
    def size(self) -> Vec3:
        """Edge lengths, at least `MIN_BOX_SIZE` each."""
        return tuple(max(b - a, MIN_BOX_SIZE) for a, b in zip(self.lo, self.hi, strict=True))


@dataclass(frozen=True)
class Part:
    """One fridge object as Blender builds it: its boxes (`Box.part` == name) share a material."""

    name: str  # object name, e.g. "fridge_cabinet", "shelf.0.glass", "drawer.1.clear"
    material: str  # material key, resolved by `fridge.part_material`
    index: int  # the shelf or drawer it belongs to (names its material); -1 for the others
    clear: bool  # see-through: kept out of the instance-id render layer
    frame: str = FRIDGE


@dataclass(frozen=True)
class Hinge:
    """Where door space sits in the fridge frame: turned by angle_deg about +z, moved to point."""

    point: Vec3
    angle_deg: float


@dataclass(frozen=True)
class Surface:
    """A rectangle items can stand on, in its own frame (local +y points to the back)."""

    name: str  # "shelf:K" | "drawer:K" | "door:K" (ObjectSpec.support)
    origin: tuple[float, float, float]  # world position of the local frame's origin
    yaw_deg: float  # rotation of the local frame about world +Z
    x_range: tuple[float, float]
    y_range: tuple[float, float]  # front edge, back edge
    clearance: float  # free height above the surface
    kind: str  # "shelf" | "drawer" | "door"
    rests_on: str = ""  # the box whose top the surface is (in the surface's frame)


# The kitchen floor the fridge stands on (its top meets the bottom of the cabinet base); not a
# collider: nothing falls out of the fridge far enough to reach it.
KITCHEN_FLOOR = Box("kitchen.floor", (-3.0, -3.0, -0.12), (3.0, 3.0, -0.1), "kitchen_floor", False)


def door_hinge(f: FridgeSpec) -> Hinge | None:
    """The door's hinge at the right front edge of the cabinet, or None without a door."""
    if f.door is None:
        return None
    return Hinge((f.width / 2 + f.wall_thickness, -0.005, 0.0), f.door.angle_deg)


def _seen(
    name: str, lo: Vec3, hi: Vec3, part: str, frame: str = FRIDGE, collides: bool = False
) -> Box:
    return Box(name, lo, hi, part, collides, frame)


def _collider(name: str, lo: Vec3, hi: Vec3, covers: tuple[str, ...], frame: str = FRIDGE) -> Box:
    return Box(name, lo, hi, None, True, frame, covers)


def cabinet_boxes(f: FridgeSpec) -> list[Box]:
    """Floor (and the base below it), ceiling, side walls and back wall: seen and colliding."""
    w, d, h, t = f.width, f.depth, f.height, f.wall_thickness
    x = w / 2
    part = "fridge_cabinet"
    return [
        _seen(
            "cabinet.floor", (-x - t, -0.02, -t - 0.06), (x + t, d + t, 0.0), part, collides=True
        ),
        _seen(
            "cabinet.ceiling", (-x - t, -0.02, h), (x + t, d + t, h + t + 0.02), part, collides=True
        ),
        _seen("cabinet.left", (-x - t, -0.02, 0.0), (-x, d, h), part, collides=True),
        _seen("cabinet.right", (x, -0.02, 0.0), (x + t, d, h), part, collides=True),
        _seen("cabinet.back", (-x, d, 0.0), (x, d + t, h), part, collides=True),
    ]


def rail_boxes(k: int, s: ShelfSpec, f: FridgeSpec) -> list[Box]:
    """The small ledges on the side walls that shelf k rests on (part of the cabinet mesh)."""
    x = f.width / 2
    z = s.z - s.thickness
    return [
        _seen(
            f"shelf.{k}.rail.left",
            (-x, f.depth - s.depth, z - 0.012),
            (-x + 0.008, f.depth - 0.01, z),
            "fridge_cabinet",
        ),
        _seen(
            f"shelf.{k}.rail.right",
            (x - 0.008, f.depth - s.depth, z - 0.012),
            (x, f.depth - 0.01, z),
            "fridge_cabinet",
        ),
    ]


def trim_height(s: ShelfSpec) -> float:
    """Height of a shelf's front trim strip (it stands 4 mm above the shelf top)."""
    return 0.022 if s.glass else 0.026


def shelf_boxes(k: int, s: ShelfSpec, f: FridgeSpec) -> list[Box]:
    """Shelf k: its pane (glass or plastic) and front trim, and their colliders (the pane's at
    least 12 mm thick, grown downwards; both reach the side walls)."""
    pane, trim = shelf_part_names(k, s)
    x = f.width / 2 - 0.002
    y0 = f.depth - s.depth
    trim_h = trim_height(s)
    cx, d = f.width / 2, f.depth
    return [
        _seen(f"shelf.{k}.pane", (-x, y0, s.z - s.thickness), (x, f.depth - 0.002, s.z), pane),
        _collider(
            f"shelf.{k}.pane.collider",
            (-cx, y0, s.z - max(s.thickness, 0.012)),
            (cx, d, s.z),
            (f"shelf.{k}.pane",),
        ),
        _seen(
            f"shelf.{k}.trim",
            (-x, y0 - 0.006, s.z - trim_h + 0.004),
            (x, y0 + 0.004, s.z + 0.004),
            trim,
        ),
        _collider(
            f"shelf.{k}.trim.collider",
            (-cx, y0 - 0.006, s.z - trim_h + 0.004),
            (cx, y0 + 0.004, s.z + 0.004),
            (f"shelf.{k}.trim",),
        ),
    ]


def shelf_part_names(k: int, s: ShelfSpec) -> tuple[str, str]:
    """Object names of shelf k's pane and trim."""
    return (f"shelf.{k}.glass" if s.glass else f"shelf.{k}"), f"shelf.{k}.trim"


DRAWER_WALL = 0.006  # crisper drawer walls (as seen)
DRAWER_FLOOR = 0.012  # top of a crisper drawer's floor


def drawer_boxes(k: int, dr: DrawerSpec, f: FridgeSpec) -> list[Box]:
    """Crisper drawer k: opaque floor and lip, clear sides, back and front; the colliders have
    the walls thickened outwards, the floor 2 cm thick and one slab for the front and lip."""
    t = DRAWER_WALL
    y0, y1 = f.depth - dr.depth, f.depth - 0.004
    h = dr.height
    solid, clear, n = f"drawer.{k}", f"drawer.{k}.clear", f"drawer.{k}"
    return [
        _seen(f"{n}.floor", (dr.x0, y0, 0.0), (dr.x1, y1, DRAWER_FLOOR), solid),
        _seen(
            f"{n}.lip",
            (dr.x0, y0 - 0.015, dr.height * 0.85),
            (dr.x1, y0 + t, dr.height * 0.92),
            solid,
        ),
        _seen(f"{n}.left", (dr.x0, y0, 0.0), (dr.x0 + t, y1, dr.height), clear),
        _seen(f"{n}.right", (dr.x1 - t, y0, 0.0), (dr.x1, y1, dr.height), clear),
        _seen(f"{n}.back", (dr.x0, y1 - t, 0.0), (dr.x1, y1, dr.height), clear),
        _seen(f"{n}.front", (dr.x0, y0, 0.0), (dr.x1, y0 + t, dr.height * 0.85), clear),
        _collider(
            f"{n}.floor.collider", (dr.x0, y0, -0.02), (dr.x1, y1, DRAWER_FLOOR), (f"{n}.floor",)
        ),
        _collider(
            f"{n}.left.collider", (dr.x0 - 0.004, y0, 0.0), (dr.x0 + 0.006, y1, h), (f"{n}.left",)
        ),
        _collider(
            f"{n}.right.collider", (dr.x1 - 0.006, y0, 0.0), (dr.x1 + 0.004, y1, h), (f"{n}.right",)
        ),
        _collider(
            f"{n}.back.collider", (dr.x0, y1 - 0.006, 0.0), (dr.x1, y1 + 0.01, h), (f"{n}.back",)
        ),
        _collider(
            f"{n}.front.collider",
            (dr.x0, y0 - 0.015, 0.0),
            (dr.x1, y0 + 0.006, h * 0.92),
            (f"{n}.front", f"{n}.lip"),
        ),
    ]


DOOR_LINER = 0.015  # the door liner stands this far into the fridge side of the door


def door_boxes(f: FridgeSpec) -> list[Box]:
    """The open door in door space: outer panel, liner, and per bin a bottom, two ends and a
    clear front; the colliders: one slab for panel and liner, bins with taller walls and a
    thicker bottom (grown downwards)."""
    if f.door is None:
        return []
    door: DoorSpec = f.door
    h = f.height
    out = [
        _seen(
            "door.panel",
            (-door.width, -door.thickness, -0.08),
            (0.0, 0.0, h + 0.06),
            "door.panel",
            DOOR,
        ),
        _seen(
            "door.liner",
            (-door.width + 0.01, 0.0, -0.05),
            (-0.01, DOOR_LINER, h + 0.03),
            "door.liner",
            DOOR,
        ),
    ]
    for k, z in enumerate(door.bin_z):
        n = f"door.bin.{k}"
        out.append(
            _seen(
                f"{n}.bottom",
                (-door.width + 0.03, 0.0, z),
                (-0.03, door.bin_depth, z + 0.006),
                "door.liner",
                DOOR,
            )
        )
        for side, x in (("left", -door.width + 0.03), ("right", -0.036)):
            out.append(
                _seen(
                    f"{n}.{side}",
                    (x, 0.0, z),
                    (x + 0.006, door.bin_depth, z + door.bin_height * 0.8),
                    "door.liner",
                    DOOR,
                )
            )
        out.append(
            _seen(
                f"{n}.front",
                (-door.width + 0.03, door.bin_depth - 0.004, z),
                (-0.03, door.bin_depth + 0.002, z + door.bin_height),
                "door.bins",
                DOOR,
            )
        )
    out.append(
        _collider(
            "door.collider",
            (-door.width, -door.thickness, -0.08),
            (0.0, DOOR_LINER, f.height + 0.06),
            ("door.panel", "door.liner"),
            DOOR,
        )
    )
    for k, z in enumerate(door.bin_z):
        n = f"door.bin.{k}"
        x0, x1 = -door.width + 0.03, -0.03
        out += [
            _collider(
                f"{n}.bottom.collider",
                (x0, 0.0, z - 0.012),
                (x1, door.bin_depth, z + 0.006),
                (f"{n}.bottom",),
                DOOR,
            ),
            _collider(
                f"{n}.left.collider",
                (x0 - 0.01, 0.0, z),
                (x0 + 0.006, door.bin_depth + 0.01, z + door.bin_height),
                (f"{n}.left",),
                DOOR,
            ),
            _collider(
                f"{n}.right.collider",
                (-0.036, 0.0, z),
                (-0.02, door.bin_depth + 0.01, z + door.bin_height),
                (f"{n}.right",),
                DOOR,
            ),
            _collider(
                f"{n}.front.collider",
                (x0, door.bin_depth - 0.004, z),
                (x1, door.bin_depth + 0.012, z + door.bin_height),
                (f"{n}.front",),
                DOOR,
            ),
        ]
    return out


def parts(f: FridgeSpec) -> list[Part]:
    """The fridge's Blender objects in the order they are built."""
    out = [Part("fridge_cabinet", "wall", -1, False)]
    for k, s in enumerate(f.shelves):
        pane, trim = shelf_part_names(k, s)
        out += [
            Part(pane, "shelf_glass" if s.glass else "shelf_plastic", k, s.glass),
            Part(trim, "shelf_trim", k, False),
        ]
    for k in range(len(f.drawers)):
        out += [
            Part(f"drawer.{k}", "drawer_solid", k, False),
            Part(f"drawer.{k}.clear", "drawer_clear", k, True),
        ]
    if f.door is not None:
        out += [
            Part("door.panel", "door_outer", -1, False, DOOR),
            Part("door.liner", "door_liner", -1, False, DOOR),
            Part("door.bins", "door_bin_clear", -1, True, DOOR),
        ]
    return out


def boxes(f: FridgeSpec) -> list[Box]:
    """Every box of the fridge. Their order is the build order: filtered by `Box.part` it is
    each object's mesh order, filtered by `Box.collides` the colliders' order."""
    out = cabinet_boxes(f)
    for k, s in enumerate(f.shelves):
        out += rail_boxes(k, s, f)
    for k, s in enumerate(f.shelves):
        out += shelf_boxes(k, s, f)
    for k, dr in enumerate(f.drawers):
        out += drawer_boxes(k, dr, f)
    return out + door_boxes(f)


def support_surfaces(f: FridgeSpec, all_boxes: list[Box] | None = None) -> list[Surface]:
    """Every surface items can stand on (drawer floors, the cabinet floor when there are no
    drawers, shelf tops, door-bin bottoms), each the top of a box, with the free height above it."""
    by_name = {b.name: b for b in (boxes(f) if all_boxes is None else all_boxes)}
    w, d, h = f.width, f.depth, f.height
    surfaces: list[Surface] = []
    for k, dr in enumerate(f.drawers):
        floor = by_name[f"drawer.{k}.floor"]
        surfaces.append(
            Surface(
                f"drawer:{k}",
                (0.0, 0.0, floor.hi[2]),
                0.0,
                (dr.x0 + 0.012, dr.x1 - 0.012),
                (d - dr.depth + 0.02, d - 0.02),
                f.drawer_cover_z - 0.03,
                "drawer",
                floor.name,
            )
        )
    # the levels, bottom up: the cabinet floor unless drawers fill it, then every shelf
    levels = [(by_name[f"shelf.{k}.pane"], s.depth) for k, s in enumerate(f.shelves)]
    if not f.drawers:
        levels.insert(0, (by_name["cabinet.floor"], d))
    # each level ends under the next shelf; the top one 3 cm under the ceiling
    ceilings = [pane.lo[2] for pane, _ in levels[1:]] + ([h - 0.03] if levels else [])
    for k, ((top, sd), ceiling) in enumerate(zip(levels, ceilings, strict=True)):
        z = top.hi[2]
        surfaces.append(
            Surface(
                f"shelf:{k}",
                (0.0, 0.0, z),
                0.0,
                (-w / 2 + 0.012, w / 2 - 0.012),
                (d - sd + 0.015, d - 0.015),
                ceiling - z - 0.01,
                "shelf",
                top.name,
            )
        )
    hinge = door_hinge(f)
    if hinge is not None:
        door = f.door
        zs = door.bin_z + [h]
        for k, (z, znext) in enumerate(zip(zs[:-1], zs[1:], strict=True)):
            bottom = by_name[f"door.bin.{k}.bottom"]
            surfaces.append(  # y from 0.017: clear of the door liner (15 mm thick)
                Surface(
                    f"door:{k}",
                    (hinge.point[0], hinge.point[1], bottom.hi[2]),
                    hinge.angle_deg,
                    (-door.width + 0.05, -0.05),
                    (0.017, door.bin_depth - 0.006),
                    znext - z - 0.02,
                    "door",
                    bottom.name,
                )
            )
    return surfaces


SLAB = 0.1  # m: depth of the solid slab under each shelf and door-bin bottom (`support_slabs`)


def support_slabs(f: FridgeSpec) -> list[tuple[str, Box]]:
    """A deep invisible slab under every shelf and door-bin bottom: (support name, box).

    Physics lets a slab collide only with the items standing on its support (their own
    collision collection), so it can reach far below the thin shelf into the level below
    without touching that level's items: an item pressed into its shelf by a falling neighbour
    is pushed back up out of 10 cm of solid instead of through 12 mm of it. The floor (no
    drawers) and the drawer floors lie on the cabinet floor and need none. Not in `boxes`:
    they are no part of the fridge, only of the settling.
    """
    x, d = f.width / 2, f.depth
    out = []
    first = 0 if f.drawers else 1  # without drawers shelf:0 is the floor
    for k, s in enumerate(f.shelves):
        name = f"shelf:{k + first}"
        out.append(
            (name, _collider(f"slab.{name}", (-x, d - s.depth, s.z - SLAB), (x, d, s.z), ()))
        )
    seen = {b.name: b for b in door_boxes(f)}
    for k in range(len(f.door.bin_z) if f.door is not None else 0):
        bottom = seen[f"door.bin.{k}.bottom"]  # the slab reaches SLAB below the bin's floor
        lo = (bottom.lo[0], bottom.lo[1], bottom.lo[2] - SLAB)
        out.append((f"door:{k}", _collider(f"slab.door:{k}", lo, bottom.hi, (), DOOR)))
    return out


def front_guard(f: FridgeSpec) -> Box:
    """The plane of the closed door just in front of the opening: in physics, the cabinet's
    items lean on it instead of falling out (the open door's bins are outside it)."""
    x = f.width / 2
    return _collider("front_guard", (-x, -0.06, 0.0), (x, -0.002, f.height), ())


@dataclass(frozen=True)
class FridgeGeometry:
    """Everything geometric about one fridge, derived once from its spec by `fridge_geometry`."""

    boxes: tuple[Box, ...]  # see `boxes`
    parts: tuple[Part, ...]  # see `parts`
    surfaces: tuple[Surface, ...]  # see `support_surfaces`
    hinge: Hinge | None  # see `door_hinge`
    interior: tuple[Vec3, Vec3]  # the space inside the cabinet walls (fridge frame)
    # where door-bin items may be (door space): the door's width, from the panel's inside to just
    # past the bin fronts, up to the fridge's height; None without a door
    door_space: tuple[Vec3, Vec3] | None

    @property
    def colliders(self) -> list[Box]:
        """The colliding boxes in build order (fridge frame first, then door space)."""
        return [b for b in self.boxes if b.collides]

    def part_boxes(self, part: str) -> list[Box]:
        """The boxes meshed into one object, in mesh order."""
        return [b for b in self.boxes if b.part == part]

    def box(self, name: str) -> Box:
        """The box called `name` (KeyError when there is none)."""
        for b in self.boxes:
            if b.name == name:
                return b
        raise KeyError(name)

    def surface(self, name: str) -> Surface:
        """The support surface called `name`, e.g. "shelf:1" (KeyError when there is none)."""
        for s in self.surfaces:
            if s.name == name:
                return s
        raise KeyError(name)


def fridge_geometry(f: FridgeSpec) -> FridgeGeometry:
    """The geometry of the fridge `f`: boxes, parts, support surfaces, hinge, free spaces."""
    all_boxes = boxes(f)
    door_space = None
    if f.door is not None:
        door_space = ((-f.door.width, 0.0, -0.08), (0.0, f.door.bin_depth + 0.015, f.height))
    return FridgeGeometry(
        boxes=tuple(all_boxes),
        parts=tuple(parts(f)),
        surfaces=tuple(support_surfaces(f, all_boxes)),
        hinge=door_hinge(f),
        interior=((-f.width / 2, 0.0, 0.0), (f.width / 2, f.depth, f.height)),
        door_space=door_space,
    )
