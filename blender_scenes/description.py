"""Plain, JSON-serializable scene description: what the sampler draws and the builder builds.

Coordinates: metres, right-handed, +Z up. The fridge interior spans x in [-width/2, width/2],
y in [0, depth] (y = 0 is the front opening, +y goes to the back wall) and z in [0, height].
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

SCHEMA_VERSION = 2


@dataclass
class SurfaceMaterial:
    """Look of a fridge part: white/grey plastic, steel, or glass."""

    kind: str  # "plastic" | "steel" | "glass"
    color: list[float]  # linear RGB
    roughness: float


@dataclass
class ShelfSpec:
    """One horizontal shelf; its top surface is at `z`."""

    z: float
    thickness: float
    depth: float  # from the back wall towards the front
    glass: bool
    trim_color: list[float]


@dataclass
class DrawerSpec:
    """An open-top crisper drawer standing on the fridge floor."""

    x0: float
    x1: float
    height: float
    depth: float
    tint: list[float]


@dataclass
class DoorSpec:
    """The open door, hinged at the right front edge, with bins on its inside."""

    angle_deg: float  # 0 = closed, 90 = perpendicular to the opening
    width: float
    thickness: float
    bin_z: list[float]  # bottom height of each bin
    bin_depth: float
    bin_height: float


@dataclass
class FridgeSpec:
    """Procedural fridge interior."""

    width: float
    depth: float
    height: float
    wall_thickness: float
    walls: SurfaceMaterial
    shelves: list[ShelfSpec]
    drawers: list[DrawerSpec]
    drawer_cover_z: float  # top of the crisper area (a shelf sits there); 0 when no drawers
    door: DoorSpec | None


@dataclass
class LightSpec:
    """An interior light: an area panel or a small point lamp."""

    kind: str  # "area" | "point"
    location: list[float]
    direction: list[float]  # where an area light points
    size: float  # width of the panel (or radius of a point lamp)
    size_y: float  # length of the panel
    power_w: float
    temperature_k: float
    color: list[float]  # linear RGB derived from temperature_k


@dataclass
class CameraSpec:
    """Pinhole camera looking from `location` at `target`."""

    mode: str  # "front" (door open, front view) | "builtin" (wide, mounted high)
    location: list[float]
    target: list[float]
    roll_deg: float
    fov_deg: float  # horizontal field of view
    pixel_aspect: float | None = None  # width / height of one pixel's view; None: square pixels


@dataclass
class WorldSpec:
    """Kitchen ambience seen around an open fridge."""

    color: list[float]
    strength: float
    exposure: float
    white_balance: list[float] | None = None  # RGB gains on the linear render; None: neutral
    view_transform: str | None = None  # display transform (tone curve); None: AgX
    # camera.auto_exposure: EV the metering added on top of `exposure`, measured on the render
    # (None: no metering)
    metered_ev: float | None = None


@dataclass
class ObjectSpec:
    """One food item: class, procedural parameters and its resting pose."""

    instance_id: int  # 1..N, the value in the instance mask
    cls: str
    params: dict[str, Any]
    location: list[float]  # world position of the item's origin (its bottom centre)
    yaw_deg: float
    support: str  # e.g. "shelf:1", "drawer:0", "door:2"
    rotation_deg: list[float] | None = (
        None  # XYZ Euler in degrees; None: upright, turned by yaw_deg
    )
    pose: str = "upright"  # upright | side (lying) | tilted | stacked (on another item) | pile


@dataclass
class PlacementInfo:
    """How the objects were placed: packed rows, or rows settled by a rigid-body simulation."""

    mode: str = "rows"  # rows | physics
    settled: bool = False  # physics only: poses are final (rebuilding never re-simulates)
    layout_try: int = 0  # which of the layout tries was kept (see placement.min_occlusion)
    occlusion_estimate: float = (
        0.0  # cheap layout occlusion estimate of the kept try (0: not computed)
    )
    removed: list[str] = field(
        default_factory=list
    )  # items the simulation dropped, with the reason


@dataclass
class SceneDescription:
    """Everything needed to rebuild one scene exactly."""

    seed: int
    index: int
    fridge: FridgeSpec
    lights: list[LightSpec]
    camera: CameraSpec
    world: WorldSpec
    objects: list[ObjectSpec] = field(default_factory=list)
    placement: PlacementInfo = field(default_factory=PlacementInfo)
    version: int = SCHEMA_VERSION

    @property
    def needs_settling(self) -> bool:
        """True when the objects still have to be dropped by the physics simulation."""
        return self.placement.mode == "physics" and not self.placement.settled

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (JSON-serializable); a neutral white balance, the default view
        transform and square pixels are left out (descriptions from before those keys stay
        byte-identical)."""
        d = asdict(self)
        for group, key in (("world", "white_balance"), ("world", "view_transform"),
                           ("world", "metered_ev"), ("camera", "pixel_aspect")):  # fmt: skip
            if d[group].get(key) is None:
                del d[group][key]
        return d

    def to_json(self) -> str:
        """Stable JSON text (sorted keys)."""
        return json.dumps(self.to_dict(), sort_keys=True, indent=1)

    @staticmethod
    def from_dict(d: dict[str, Any]) -> SceneDescription:
        """Inverse of `to_dict`."""
        f = dict(d["fridge"])
        f["walls"] = SurfaceMaterial(**f["walls"])
        f["shelves"] = [ShelfSpec(**s) for s in f["shelves"]]
        f["drawers"] = [DrawerSpec(**s) for s in f["drawers"]]
        f["door"] = DoorSpec(**f["door"]) if f.get("door") else None
        return SceneDescription(
            seed=d["seed"],
            index=d["index"],
            fridge=FridgeSpec(**f),
            lights=[LightSpec(**x) for x in d["lights"]],
            camera=CameraSpec(**d["camera"]),
            world=WorldSpec(**d["world"]),
            objects=[ObjectSpec(**o) for o in d["objects"]],
            placement=PlacementInfo(**d.get("placement", {})),
            version=d.get("version", SCHEMA_VERSION),
        )


@dataclass
class ObjectAnnotation:
    """Labels of one object in one rendered image."""

    instance_id: int
    cls: str
    bbox: list[int]  # COCO [x, y, w, h] of the visible pixels, in pixels
    visible_pixels: int
    unoccluded_pixels: int  # projected silhouette inside the frame, as if nothing hid it
    projected_pixels: int  # whole projected silhouette, also outside the frame
    occlusion: float  # 1 - visible / unoccluded
    truncation: float  # 1 - unoccluded / projected (share cut off by the image border)
    segmentation: dict[str, Any] | None  # COCO RLE of the visible pixels
