"""Sample a complete scene description from (seed, image index). Pure Python, no Blender.

Image i depends only on (seed, i): its random generator is seeded with both, so any split of a
batch into workers or shards gives byte-identical descriptions.

Placement: `rows` packs upright items in rows (final poses). `physics` starts from the same rows
but adds lived-in variation (bottles and cans lying on their side, tall items tilted, some items
dropped from a little height, small items stacked on others, produce piled in the drawers, full
door bins); blender_scenes/physics.py then lets the rigid-body simulation settle them.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace

import numpy as np

from .assets.catalog import Catalog, sample_catalog_params
from .description import (
    CameraSpec,
    DoorSpec,
    DrawerSpec,
    FridgeSpec,
    LightSpec,
    ObjectSpec,
    PlacementInfo,
    SceneDescription,
    ShelfSpec,
    SurfaceMaterial,
    WorldSpec,
)
from .food.classes import CLASS_TABLE, ClassTraits
from .food.params import r5, sample_food_params
from .geometry import WALL_THICKNESS, Surface, support_surfaces
from .placement import (
    MIN_GAP,
    Item,
    Placed,
    box_corners,
    euler_matrix,
    half_extents,
    layout_occlusion,
    matrix_euler,
    pack_rows,
    posed_item,
    to_world,
)

log = logging.getLogger(__name__)

PLACEMENT_MODES = ("physics", "rows")
# Per-class traits (drawer/door preference, lying, stacking) come from food.classes.CLASS_TABLE;
# catalog classes without a procedural namesake behave like this:
CATALOG_TRAITS = ClassTraits(params=lambda rng: {}, family="catalog")
# Lived-in variation of placement=physics (probabilities per item).
TILT_PROB = 0.2  # tall upright items start tilted by a few degrees (they lean or topple)
DROP_PROB = 0.3  # dropped from 1-5 cm instead of set down
STACK_PROB = 0.6  # a small stackable item goes on top of another one instead of into the rows
ORDER_NOISE = (
    0.4,
    1.6,
)  # physics: less tidy than rows (0.7, 1.3): small items also end up behind tall ones
SET_DOWN = 0.002  # gap under items that are set down (no contact at the first simulation step)
WALL_KINDS = {"white": 0.65, "grey": 0.25, "steel": 0.1}  # fridge wall materials and their weights
DEFAULT_VIEW = "AgX"  # the display transform a description without `world.view_transform` uses
VIEW_TRANSFORMS = ("AgX", "Standard", "Khronos PBR Neutral", "Filmic")  # camera.view_transform
NEUTRAL_KELVIN = 6500.0  # the white point of a neutral camera (white_balance_k)


@dataclass(frozen=True)
class SamplerConfig:
    """The knobs of scene randomization: a validated view of the render config, built by
    `config.sampler_from`. Types only: the values come from configs/render.yaml (the sampler of
    the packaged YAML, with changes: `config.default_sampler(**changes)`)."""

    classes: tuple[str, ...]
    class_weights: dict[str, float]
    # product name -> weight factor per class with products (food.classes.PRODUCT_CLASSES)
    products: dict[str, dict[str, float]]
    per_shelf: tuple[int, int]
    total: tuple[int, int]
    shelves: tuple[int, int]
    drawers: tuple[int, int]
    glass_shelf_prob: float
    door_prob: float
    camera_modes: dict[str, float]
    aspect: float  # image width / height (in pixels)
    procedural: bool  # procedural classes available
    # procedural classes in play: a catalog class of the same name merges with them (assets=mixed)
    procedural_classes: tuple[str, ...]
    catalog: Catalog | None  # user models (measured), if any
    placement: str  # rows | physics
    density: float  # 0 sparse .. 1 packed: scales item counts and the gaps between items
    min_occlusion: float  # re-sample layouts until their estimated mean occlusion reaches this
    max_tries: int  # layouts tried for min_occlusion
    # Look of the fridge, light and camera (render config `fridge.*`, `lights.*`, `camera.*`):
    # ranges are drawn uniformly per image, colours are RGB gains on the sampled colour.
    wall_kinds: dict[str, float]
    wall_color: tuple[float, float, float]  # walls and plastic shelves
    trim_color: tuple[float, float, float]  # shelf front trims
    drawer_color: tuple[float, float, float]  # crisper drawers
    light_kelvin: tuple[float, float]  # colour temperature of the lights
    light_power: float  # gain on the sampled light power
    front_fov: tuple[float, float]  # vertical field of view of the front view
    builtin_fov: tuple[float, float]  # horizontal field of view of the built-in one
    front_height: tuple[float, float]  # front view aim height / fridge height
    front_cover: tuple[float, float]  # front view: share of the opening in view
    pitch_deg: float  # extra downward tilt of both camera modes
    exposure: tuple[float, float]  # exposure error in EV
    white_balance_k: tuple[float, float] | None  # camera white point range; None: neutral
    view_transform: str  # the camera's tone curve: a Blender view (VIEW_TRANSFORMS)
    pixel_aspect: float  # width / height of one pixel's view (1: square pixels)
    # metering: the log-average luminance each render is exposed to (None: off, fixed exposure)
    auto_exposure: float | None

    @property
    def view_aspect(self) -> float:
        """Width / height of what the camera sees: the image's aspect times the pixel's (a
        2:3 portrait view in a square image has pixel_aspect 2/3)."""
        return self.aspect * self.pixel_aspect


def rng_for(seed: int, index: int, stream: int = 0) -> np.random.Generator:
    """The generator of image `index` in a batch with `seed` (stream > 0: a derived sub-stream)."""
    return np.random.default_rng(
        [int(seed), int(index), 0x46524447] + ([int(stream)] if stream else [])
    )


def density_scale(cfg: SamplerConfig) -> float:
    """Factor on item counts: 0.4 at density 0, 1 at 0.5 (the configured ranges), 1.6 at 1."""
    return 0.4 + 1.2 * cfg.density


def gap_scale(cfg: SamplerConfig) -> float:
    """Factor on the gaps between items and rows: 2 at density 0, 1 at 0.5, 0 (touching) at 1."""
    return 2.0 * (1.0 - cfg.density)


def vec(*xs: float) -> list[float]:
    """Rounded list of floats."""
    return [r5(x) for x in xs]


def kelvin_to_rgb(kelvin: float) -> list[float]:
    """Approximate linear RGB (max component 1) of a black body at `kelvin` degrees."""
    t = kelvin / 100.0
    r = 255.0 if t <= 66 else 329.698727446 * (t - 60) ** -0.1332047592
    if t <= 66:
        g = 99.4708025861 * math.log(t) - 161.1195681661
    else:
        g = 288.1221695283 * (t - 60) ** -0.0755148492
    b = (
        255.0
        if t >= 66
        else (0.0 if t <= 19 else 138.5177312231 * math.log(t - 10) - 305.0447927307)
    )
    srgb = [min(max(c / 255.0, 0.0), 1.0) for c in (r, g, b)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in srgb]
    m = max(lin)
    return vec(*(c / m for c in lin))


def tinted(rgb: tuple[float, ...], gain: tuple[float, float, float]) -> list[float]:
    """Rounded RGB times a per-channel gain (a gain of 1 leaves the value unchanged)."""
    return vec(*(c * g for c, g in zip(rgb, gain, strict=True)))


def sample_walls(rng: np.random.Generator, cfg: SamplerConfig) -> SurfaceMaterial:
    """White plastic (most fridges), light grey plastic, or brushed steel (`cfg.wall_kinds`)."""
    kinds = list(WALL_KINDS)
    weights = [float(cfg.wall_kinds.get(k, 0.0)) for k in kinds]
    kind = rng.choice(kinds, p=[w / sum(weights) for w in weights])
    if kind == "white":
        v = rng.uniform(0.62, 0.8)
        color = tinted((v, v, v * rng.uniform(0.97, 1.02)), cfg.wall_color)
        return SurfaceMaterial("plastic", color, r5(rng.uniform(0.25, 0.5)))
    if kind == "grey":
        v = rng.uniform(0.35, 0.6)
        return SurfaceMaterial(
            "plastic", tinted((v, v * 1.01, v * 1.03), cfg.wall_color), r5(rng.uniform(0.3, 0.55))
        )
    v = rng.uniform(0.55, 0.75)
    return SurfaceMaterial(
        "steel", tinted((v, v, v * 1.02), cfg.wall_color), r5(rng.uniform(0.35, 0.55))
    )


def sample_fridge(rng: np.random.Generator, cfg: SamplerConfig) -> FridgeSpec:
    """Fridge size, shelves at random heights, crisper drawers and an optional open door."""
    width, depth, height = rng.uniform(0.54, 0.70), rng.uniform(0.40, 0.50), rng.uniform(1.0, 1.3)
    n_drawers = int(rng.integers(cfg.drawers[0], cfg.drawers[1] + 1))
    drawers: list[DrawerSpec] = []
    cover_z = 0.0
    if n_drawers:
        dh = rng.uniform(0.17, 0.22)
        cover_z = dh + 0.012
        split = [0.0, 1.0] if n_drawers == 1 else [0.0, rng.uniform(0.4, 0.6), 1.0]
        inner = width - 0.02
        ddepth = depth - rng.uniform(0.03, 0.06)
        tint = tinted(tuple(rng.uniform(0.75, 0.95, 3)), cfg.drawer_color)
        for a, b in zip(split[:-1], split[1:], strict=True):
            x0 = -inner / 2 + a * inner + (0.004 if a > 0 else 0.0)
            x1 = -inner / 2 + b * inner - (0.004 if b < 1 else 0.0)
            drawers.append(DrawerSpec(r5(x0), r5(x1), r5(dh), r5(ddepth), tint))
    n_shelves = int(rng.integers(cfg.shelves[0], cfg.shelves[1] + 1))
    shelves = sample_shelves(rng, cfg, n_shelves, cover_z, height, depth, bool(n_drawers))
    door = None
    if rng.random() < cfg.door_prob:
        n_bins = int(rng.integers(2, 4))
        lo, hi = 0.12 * height, 0.88 * height
        bin_z = [
            r5(lo + (hi - lo) * k / max(1, n_bins - 1) * rng.uniform(0.9, 1.0))
            for k in range(n_bins)
        ]
        door = DoorSpec(
            angle_deg=r5(rng.uniform(95, 118)),
            width=r5(width + 0.08),
            thickness=0.06,
            bin_z=sorted(bin_z),
            bin_depth=r5(rng.uniform(0.09, 0.12)),
            bin_height=r5(rng.uniform(0.06, 0.085)),
        )
    return FridgeSpec(
        width=r5(width),
        depth=r5(depth),
        height=r5(height),
        wall_thickness=WALL_THICKNESS,
        walls=sample_walls(rng, cfg),
        shelves=shelves,
        drawers=drawers,
        drawer_cover_z=r5(cover_z),
        door=door,
    )


def sample_shelves(
    rng: np.random.Generator,
    cfg: SamplerConfig,
    n: int,
    cover_z: float,
    height: float,
    depth: float,
    has_drawers: bool,
) -> list[ShelfSpec]:
    """Shelf heights with at least 17 cm between them; the first covers the crisper drawers."""
    min_gap = 0.17
    levels = n if has_drawers else n + 1  # without drawers the floor is the lowest surface
    free = height - cover_z - levels * min_gap - 0.02
    weights = rng.dirichlet(np.full(levels, 3.0)) * max(free, 0.0)
    z = cover_z
    zs = [cover_z] if has_drawers else []
    for k in range(levels - 1):
        z += min_gap + weights[k]
        zs.append(z)
    glass_all = rng.random() < cfg.glass_shelf_prob
    trim = tinted(
        (rng.uniform(0.6, 0.9),) * 3 if rng.random() < 0.5 else (0.15, 0.15, 0.16), cfg.trim_color
    )
    shelves = []
    for k, zk in enumerate(zs[:n]):
        glass = glass_all if k > 0 or not has_drawers else rng.random() < 0.8
        shelves.append(
            ShelfSpec(
                z=r5(zk),
                thickness=0.006 if glass else 0.018,
                depth=r5(depth - rng.uniform(0.0, 0.04)),
                glass=bool(glass),
                trim_color=trim,
            )
        )
    return shelves


def sample_lights(
    rng: np.random.Generator, fridge: FridgeSpec, cfg: SamplerConfig
) -> list[LightSpec]:
    """A ceiling panel, sometimes side LED strips; one colour temperature per fridge."""
    kelvin = float(rng.uniform(*cfg.light_kelvin))
    color = kelvin_to_rgb(kelvin)
    w, d, h = fridge.width, fridge.depth, fridge.height
    lights = [
        LightSpec(
            kind="area",
            location=vec(rng.uniform(-0.15, 0.15) * w, rng.uniform(0.15, 0.45) * d, h - 0.012),
            direction=vec(0, 0, -1),
            size=r5(rng.uniform(0.08, 0.22)),
            size_y=r5(rng.uniform(0.03, 0.08)),
            power_w=r5(rng.uniform(3, 10) * cfg.light_power),
            temperature_k=r5(kelvin),
            color=color,
        )
    ]
    if rng.random() < 0.7:  # vertical LED strips on both side walls, near the front
        y = rng.uniform(0.06, 0.2) * d
        strip = rng.uniform(0.5, 0.85) * h
        power = rng.uniform(2, 7) * cfg.light_power
        for side in (-1, 1):
            lights.append(
                LightSpec(
                    kind="area",
                    location=vec(side * (w / 2 - 0.006), y, h * 0.5),
                    direction=vec(-side, 0, 0),
                    size=0.02,
                    size_y=r5(strip),
                    power_w=r5(power),
                    temperature_k=r5(kelvin),
                    color=color,
                )
            )
    return lights


def sample_camera(rng: np.random.Generator, cfg: SamplerConfig, fridge: FridgeSpec) -> CameraSpec:
    """Door-open front view or a wide built-in camera mounted high at the front."""
    modes = sorted(cfg.camera_modes)
    p = np.array([cfg.camera_modes[m] for m in modes], dtype=float)
    mode = str(rng.choice(modes, p=p / p.sum()))
    w, d, h = fridge.width, fridge.depth, fridge.height
    if mode == "front":
        # Frame the opening like a photo taken in front of the open door: most of the fridge
        # in view, sometimes cropped, slight pose jitter.
        opening_h = max(h, (w + 2 * fridge.wall_thickness) / cfg.view_aspect)
        cover_v = opening_h * rng.uniform(*cfg.front_cover)
        vfov = math.radians(rng.uniform(*cfg.front_fov))
        dist = cover_v / 2 / math.tan(vfov / 2)
        cz = h * rng.uniform(*cfg.front_height)
        loc = (rng.uniform(-0.06, 0.06), -dist, cz + rng.uniform(-0.04, 0.08))
        target = (rng.uniform(-0.03, 0.03), d * 0.5, cz + rng.uniform(-0.05, 0.02))
        hfov = 2 * math.atan(math.tan(vfov / 2) * cfg.view_aspect)
        fov = min(math.degrees(hfov), 100.0)
    else:
        loc = (rng.uniform(-0.2, 0.2) * w, rng.uniform(0.0, 0.05), h - rng.uniform(0.02, 0.06))
        top = fridge.shelves[-1].z if fridge.shelves else h * 0.3
        target = (loc[0] * 0.3, d * rng.uniform(0.9, 1.1), top + rng.uniform(-0.12, 0.06))
        fov = rng.uniform(*cfg.builtin_fov)
    if cfg.pitch_deg:  # tilt down (or up): lower the target by the tangent times the distance
        drop = math.tan(math.radians(cfg.pitch_deg)) * math.hypot(
            target[0] - loc[0], target[1] - loc[1]
        )
        target = (target[0], target[1], target[2] - drop)
    return CameraSpec(
        mode=mode,
        location=vec(*loc),
        target=vec(*target),
        roll_deg=r5(rng.uniform(-3, 3)),
        fov_deg=r5(fov),
        pixel_aspect=None if cfg.pixel_aspect == 1.0 else r5(cfg.pixel_aspect),  # no draw
    )


def class_traits(cls: str) -> ClassTraits:
    """The class table row of `cls`, or neutral traits for a catalog-only class."""
    return CLASS_TABLE.get(cls, CATALOG_TRAITS)


def class_weights_for(surface: Surface, cfg: SamplerConfig) -> dict[str, float]:
    """Class weights on a surface: produce goes in drawers, bottles and cartons in the door, raw
    meat on the lowest shelf ("shelf:0", the drawer cover or the cabinet floor)."""
    out = {}
    for c in cfg.classes:
        wgt = float(cfg.class_weights.get(c, 1.0))
        if surface.kind == "drawer":
            wgt *= class_traits(c).drawer
        elif surface.kind == "door":
            wgt *= 1.0 if class_traits(c).door else 0.0
        elif surface.kind == "shelf":
            low = class_traits(c).low_shelf
            wgt *= low if surface.name == "shelf:0" else 1.0 / low
        if wgt > 0:
            out[c] = wgt
    return out


def sample_counts(
    rng: np.random.Generator, cfg: SamplerConfig, surfaces: list[Surface]
) -> list[int]:
    """How many items to try on each surface, honouring per-shelf and total ranges.

    Trimming takes from the fullest surface and growing adds to the emptiest, so no shelf is
    left bare by chance; door bins get one to three items each (rows), or are filled (physics:
    five to nine items each, scaled by the density, on top of the total).
    """
    k = density_scale(cfg)
    lo, hi = (
        round(cfg.per_shelf[0] * k),
        max(round(cfg.per_shelf[0] * k), round(cfg.per_shelf[1] * k)),
    )
    door_lo, door_hi = (
        (1, 3) if cfg.placement == "rows" else (max(1, round(5 * k)), max(1, round(9 * k)))
    )
    counts = [
        int(rng.integers(lo, hi + 1))
        if s.kind != "door"
        else int(rng.integers(door_lo, door_hi + 1))
        for s in surfaces
    ]
    t_lo = max(1, round(cfg.total[0] * k))
    total = int(rng.integers(t_lo, max(t_lo, round(cfg.total[1] * k)) + 1))
    jitter = rng.uniform(0, 0.5, len(counts))  # random tie-breaking
    growable = [i for i, s in enumerate(surfaces) if s.kind != "door"]
    door_items = sum(c for i, c in enumerate(counts) if i not in growable)
    if cfg.placement == "physics":  # door bins are filled on top of the total
        total += door_items
    total = max(total, door_items + len(growable))
    trimmable = growable if cfg.placement == "physics" else list(range(len(counts)))
    while sum(counts) > total:
        k = max(trimmable, key=lambda i: counts[i] + jitter[i])
        counts[k] -= 1
    while sum(counts) < total and any(counts[i] < hi for i in growable):
        k = min((i for i in growable if counts[i] < hi), key=lambda i: counts[i] + jitter[i])
        counts[k] += 1
    return counts


def sample_yaw(rng: np.random.Generator, footprint: str) -> float:
    """Mostly label-to-the-front, sometimes any direction."""
    if rng.random() < 0.75:
        return float(rng.uniform(-25, 25) if footprint == "box" else rng.uniform(-70, 70))
    return float(rng.uniform(-180, 180))


def sample_params(cls: str, rng: np.random.Generator, cfg: SamplerConfig) -> dict:
    """Parameters of one item: procedural, from the catalog, or either when both have the class."""
    in_catalog = cfg.catalog is not None and cls in cfg.catalog.classes
    in_procedural = cfg.procedural and cls in cfg.procedural_classes
    use_catalog = in_catalog and (not in_procedural or rng.random() < 0.5)
    if use_catalog:
        return sample_catalog_params(cfg.catalog, cls, rng)
    return sample_food_params(cls, rng, cfg.products.get(cls))


def sample_items(
    rng: np.random.Generator,
    surface: Surface,
    n: int,
    weights: dict[str, float],
    cfg: SamplerConfig,
) -> list[tuple[str, dict, Item]]:
    """Draw n items that fit under the surface's clearance; taller ones first (back rows)."""
    if not weights or n <= 0:
        return []
    names = sorted(weights)
    p = np.array([weights[c] for c in names])
    p = p / p.sum()
    out = []
    for _ in range(n):
        for _try in range(8):
            cls = str(rng.choice(names, p=p))
            params = sample_params(cls, rng, cfg)
            if params["size"][2] <= surface.clearance:
                yaw = sample_yaw(rng, params["footprint"])
                out.append((cls, params, Item(tuple(params["size"]), params["footprint"], yaw)))
                break
    order = sorted(range(len(out)), key=lambda i: -out[i][2].size[2] * rng.uniform(0.7, 1.3))
    return [out[i] for i in order]


def sample_objects(
    rng: np.random.Generator, cfg: SamplerConfig, fridge: FridgeSpec
) -> list[ObjectSpec]:
    """Fill every support surface with packed rows of items (posed and stacked for physics)."""
    surfaces = support_surfaces(fridge)
    counts = sample_counts(rng, cfg, surfaces)
    objects: list[ObjectSpec] = []
    for surface, n in zip(surfaces, counts, strict=True):
        if cfg.placement == "physics":
            for spec in sample_surface_physics(rng, surface, n, cfg):
                spec.instance_id = len(objects) + 1
                objects.append(spec)
            continue
        items = sample_items(rng, surface, n, class_weights_for(surface, cfg), cfg)
        placed = pack_rows(surface, [it[2] for it in items], rng, gap_scale(cfg))
        if len(placed) < len(items):
            log.debug("%s: %d of %d items fitted", surface.name, len(placed), len(items))
        for p in placed:
            cls, params, item = items[p.item_index]
            objects.append(
                ObjectSpec(
                    instance_id=len(objects) + 1,
                    cls=cls,
                    params=params,
                    location=vec(*to_world(surface, p.x, p.y)),
                    yaw_deg=r5(item.yaw_deg + surface.yaw_deg),
                    support=surface.name,
                )
            )
    return objects


@dataclass
class Posed:
    """An item of placement=physics before packing: its pose in the surface frame."""

    cls: str
    params: dict
    pose: str  # upright | side | tilted
    rot: np.ndarray  # 3x3 rotation in the surface frame
    item: Item  # footprint for the packer
    offset: np.ndarray  # origin relative to the footprint's bottom centre
    drop: float  # start height above the support


def sample_pose(
    rng: np.random.Generator, cls: str, params: dict, surface: Surface
) -> tuple[str, np.ndarray]:
    """Upright (turned), lying on the side, or tilted by a few degrees."""
    yaw = sample_yaw(rng, params["footprint"])
    catalog = params.get("source") == "catalog"  # catalog models come posed (their `poses`)
    if surface.kind != "door" and not catalog and rng.random() < class_traits(cls).lie_prob:
        along = float(rng.choice([0.0, 90.0])) + float(rng.uniform(-20, 20))
        roll = float(rng.uniform(-180, 180))  # label anywhere around the lying item
        rot = euler_matrix((0, 0, along)) @ euler_matrix((0, 90, 0)) @ euler_matrix((0, 0, roll))
        return "side", rot
    sx, sy, sz = params["size"]
    if surface.kind != "door" and sz > 1.6 * max(sx, sy) and rng.random() < TILT_PROB:
        tilt = rng.uniform(4, 10, 2) * rng.choice([-1.0, 1.0], 2)
        return "tilted", euler_matrix((float(tilt[0]), float(tilt[1]), yaw))
    return "upright", euler_matrix((0, 0, yaw))


def sample_posed(rng: np.random.Generator, cls: str, params: dict, surface: Surface) -> Posed:
    """Pose, footprint and drop height of one item of placement=physics."""
    pose, rot = sample_pose(rng, cls, params, surface)
    drop = float(rng.uniform(0.01, 0.05)) if rng.random() < DROP_PROB else SET_DOWN
    if pose == "upright" and params["footprint"] == "circle":
        return Posed(
            cls, params, pose, rot, Item(tuple(params["size"]), "circle", 0.0), np.zeros(3), drop
        )
    item, offset = posed_item(params["size"], rot)
    return Posed(cls, params, pose, rot, item, offset, drop)


def sample_posed_items(
    rng: np.random.Generator, surface: Surface, n: int, cfg: SamplerConfig
) -> list[Posed]:
    """Draw n posed items that fit under the surface's clearance; taller ones first (back rows)."""
    weights = class_weights_for(surface, cfg)
    if not weights or n <= 0:
        return []
    names = sorted(weights)
    p = np.array([weights[c] for c in names])
    p = p / p.sum()
    out: list[Posed] = []
    for _ in range(n):
        for _try in range(8):
            cls = str(rng.choice(names, p=p))
            posed = sample_posed(rng, cls, sample_params(cls, rng, cfg), surface)
            if posed.item.size[2] + posed.drop <= surface.clearance:
                out.append(posed)
                break
    order = sorted(range(len(out)), key=lambda i: -out[i].item.size[2] * rng.uniform(*ORDER_NOISE))
    return [out[i] for i in order]


def posed_spec(
    surface: Surface, posed: Posed, x: float, y: float, z: float, pose: str
) -> ObjectSpec:
    """World pose of a packed item (instance id assigned by the caller)."""
    turn = euler_matrix((0, 0, surface.yaw_deg))
    wx, wy, wz = to_world(surface, x, y)
    origin = np.array([wx, wy, wz + z]) + turn @ posed.offset
    euler = matrix_euler(turn @ posed.rot)
    return ObjectSpec(
        instance_id=0,
        cls=posed.cls,
        params=posed.params,
        location=vec(*origin),
        yaw_deg=r5(euler[2]),
        support=surface.name,
        rotation_deg=vec(*euler),
        pose=pose,
    )


@dataclass
class Stack:
    """A packed item that others may stand on: footprint centre, half sizes, top height."""

    x: float
    y: float
    half: tuple[float, float]
    top: float  # height of its top above the surface, once settled
    start_top: float  # height of its top above the surface at the start (drops included)


def sample_surface_physics(
    rng: np.random.Generator, surface: Surface, n: int, cfg: SamplerConfig
) -> list[ObjectSpec]:
    """Posed rows on one surface, small items stacked on stackable ones, piles in drawers."""
    posed = sample_posed_items(rng, surface, n, cfg)
    tops, floor = [], []
    for it in posed:
        small = class_traits(it.cls).stack_top and it.pose == "upright" and surface.kind != "door"
        (tops if small and rng.random() < STACK_PROB else floor).append(it)
    placed = pack_rows(surface, [it.item for it in floor], rng, gap_scale(cfg))
    out: list[ObjectSpec] = []
    bases: list[Stack] = []
    occupied: list[Stack] = []
    for pl in placed:
        it = floor[pl.item_index]
        out.append(posed_spec(surface, it, pl.x, pl.y, it.drop, it.pose))
        occupied.append(
            Stack(pl.x, pl.y, pl.half_extent, it.item.size[2], it.item.size[2] + it.drop)
        )
        if it.params.get("stackable") and it.pose == "upright":
            bases.append(occupied[-1])
    for it in tops:
        spec = stack_on(rng, surface, it, bases, occupied)
        if spec is not None:
            out.append(spec)
    if surface.kind == "drawer":
        left = [floor[i] for i in sorted(set(range(len(floor))) - {pl.item_index for pl in placed})]
        out += pile(rng, surface, left, placed, floor, cfg)
    return out


def boxes_clear(
    x: float, y: float, half: tuple[float, float], others: list[Stack], z: float
) -> bool:
    """True when the footprint box at (x, y) misses every item that reaches above height z."""
    return all(
        abs(x - q.x) >= half[0] + q.half[0] or abs(y - q.y) >= half[1] + q.half[1]
        for q in others
        if q.start_top > z
    )


def stack_on(
    rng: np.random.Generator, surface: Surface, it: Posed, bases: list[Stack], occupied: list[Stack]
) -> ObjectSpec | None:
    """Put a small item on top of a random stackable item (it may overhang a little), or None."""
    hx, hy = half_extents(it.item)
    h = it.item.size[2]
    fits = [
        b
        for b in bases
        if hx <= b.half[0] + 0.015
        and hy <= b.half[1] + 0.015
        and b.start_top + h + SET_DOWN + 0.01 <= surface.clearance
    ]
    for k in rng.permutation(len(fits)):
        b = fits[int(k)]
        x = b.x + float(rng.uniform(-1, 1)) * max(0.0, b.half[0] - hx)
        y = b.y + float(rng.uniform(-1, 1)) * max(0.0, b.half[1] - hy)
        z = b.start_top + SET_DOWN + float(rng.uniform(0.0, 0.01))
        if not boxes_clear(
            x, y, (hx + MIN_GAP, hy + MIN_GAP), [q for q in occupied if q is not b], z
        ):
            continue
        spec = posed_spec(surface, it, x, y, z, "stacked")
        top = Stack(x, y, (hx, hy), b.top + h, z + h)
        occupied.append(top)
        if it.params.get("stackable"):  # a can on a can may carry a third one
            bases.append(top)
        bases.remove(b)
        return spec
    return None


def pile(
    rng: np.random.Generator,
    surface: Surface,
    left: list[Posed],
    placed: list[Placed],
    floor: list[Posed],
    cfg: SamplerConfig,
) -> list[ObjectSpec]:
    """Items that did not fit in a drawer's rows, dropped as a second layer on top of the first."""
    if not left or not placed:
        return []
    layer = max(floor[p.item_index].item.size[2] + floor[p.item_index].drop for p in placed) + 0.005
    room = surface.clearance - layer
    fit = [it for it in left if it.item.size[2] + it.drop <= room]
    upper = replace(surface, clearance=room)
    return [
        posed_spec(upper, fit[p.item_index], p.x, p.y, layer + fit[p.item_index].drop, "pile")
        for p in pack_rows(upper, [it.item for it in fit], rng, gap_scale(cfg))
    ]


def object_corners(spec: ObjectSpec) -> np.ndarray:
    """(8, 3) world corners of an object's posed box."""
    rot = euler_matrix(spec.rotation_deg if spec.rotation_deg is not None else (0, 0, spec.yaw_deg))
    return box_corners(spec.params["size"]) @ rot.T + np.asarray(spec.location)


def estimate_occlusion(objects: list[ObjectSpec], camera: CameraSpec, aspect: float) -> float:
    """Cheap mean occlusion of a layout from the camera (boxes, painter's order, 64 px wide)."""
    return layout_occlusion(
        [object_corners(o) for o in objects], camera.location, camera.target, camera.fov_deg, aspect
    )


def sample_world(rng: np.random.Generator, cfg: SamplerConfig) -> WorldSpec:
    """Dim kitchen ambience and a small exposure error."""
    base = rng.uniform(0.25, 0.6)
    warm = rng.uniform(0.9, 1.1)
    return WorldSpec(
        color=vec(base * warm, base, base / warm),
        strength=r5(rng.uniform(0.15, 0.7)),
        exposure=r5(rng.uniform(*cfg.exposure)),
    )


def white_balance_gains(kelvin: float) -> list[float]:
    """Linear RGB gains of a camera whose white point is `kelvin` (green 1; 6500 K: neutral).

    A white point below the light's temperature turns the image blue, above it orange.
    """
    neutral, point = kelvin_to_rgb(NEUTRAL_KELVIN), kelvin_to_rgb(kelvin)
    gains = [n / max(p, 1e-6) for n, p in zip(neutral, point, strict=True)]
    return vec(*(g / gains[1] for g in gains))


def sample_scene(seed: int, index: int, cfg: SamplerConfig) -> SceneDescription:
    """The whole description of image `index` of a batch with `seed`."""
    rng = rng_for(seed, index)
    fridge = sample_fridge(rng, cfg)
    lights = sample_lights(rng, fridge, cfg)
    camera = sample_camera(rng, cfg, fridge)
    world = sample_world(rng, cfg)
    objects = sample_objects(rng, cfg, fridge)
    if cfg.white_balance_k is not None:  # drawn last: the draws above stay as without it
        world.white_balance = white_balance_gains(float(rng.uniform(*cfg.white_balance_k)))
    if cfg.view_transform != DEFAULT_VIEW:  # no draw: other settings keep their scenes
        world.view_transform = cfg.view_transform
    info = PlacementInfo(mode=cfg.placement)
    if cfg.min_occlusion > 0:
        objects, info.layout_try, info.occlusion_estimate = most_occluded(
            seed, index, cfg, fridge, camera, objects
        )
    return SceneDescription(
        seed=int(seed),
        index=int(index),
        fridge=fridge,
        lights=lights,
        camera=camera,
        world=world,
        objects=objects,
        placement=info,
    )


def most_occluded(
    seed: int,
    index: int,
    cfg: SamplerConfig,
    fridge: FridgeSpec,
    camera: CameraSpec,
    first: list[ObjectSpec],
) -> tuple[list[ObjectSpec], int, float]:
    """The first layout try whose estimated occlusion reaches cfg.min_occlusion, else the most
    occluded of cfg.max_tries; try t > 0 draws from the derived stream rng_for(seed, index, t)."""
    best = (estimate_occlusion(first, camera, cfg.view_aspect), 0, first)
    for t in range(1, cfg.max_tries):
        if best[0] >= cfg.min_occlusion:
            break
        objects = sample_objects(rng_for(seed, index, t), cfg, fridge)
        est = estimate_occlusion(objects, camera, cfg.view_aspect)
        if est > best[0]:
            best = (est, t, objects)
    log.debug("image %d: layout try %d, estimated occlusion %.3f", index, best[1], best[0])
    return best[2], best[1], r5(best[0])
