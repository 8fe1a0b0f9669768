"""Import catalog models into Blender once per process and instance them as linked duplicates.

Each model file is imported once: its objects are joined into one mesh, turned so that the
catalog's ``up`` axis becomes +Z, and kept as a *source mesh* in file units. For every
(model, pose, scale) a *normalised mesh* is derived from it: scaled to metres, posed, with its
origin at the bottom centre. Items are objects sharing that normalised mesh.

Cached meshes, their materials, images and node groups carry ``use_fake_user`` and the custom
property ``CACHE_TAG``, are linked to no scene, and survive as long as the caller's scene clearing
keeps data blocks with ``use_fake_user`` set. If they were removed anyway (or the file was reset),
the cache notices by name and tag and imports again.
"""

from __future__ import annotations

import colorsys
import hashlib
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..blender import Euler, Matrix, bpy, geometry
from .catalog import (
    MAX_SIZE_M,
    SIDE_ROTATION_DEG,
    Catalog,
    CatalogEntry,
    CatalogError,
    attach_measurements,
    entry_scale,
    save_measurements,
)

log = logging.getLogger(__name__)

CACHE_TAG = "catalog_cache"
DEFAULT_MATERIAL = "catalog.default"
ROUND_TOLERANCE = 0.1  # a top view is round when it fills pi/4 of its (nearly square) box
Y_UP_IMPORTERS = ("gltf", "fbx")  # importers that already turn the file's Y-up into +Z


class ModelImportError(CatalogError):
    """A model file that imports to nothing usable (no mesh, no vertices, missing object)."""


@dataclass(frozen=True)
class ModelRef:
    """What identifies one imported model: file, format, .blend name, up axis, texture."""

    file: str
    fmt: str
    object: str | None = None
    up: str = "Z"
    texture: str | None = None

    @classmethod
    def of_entry(cls, e: CatalogEntry) -> ModelRef:
        """The model of a catalog entry."""
        return cls(e.file, e.fmt, e.object, e.up, e.texture)

    @classmethod
    def of_params(cls, p: dict) -> ModelRef:
        """The model of sampled catalog params."""
        return cls(p["file"], p["format"], p.get("object"), p["up"], p.get("texture"))

    @property
    def key(self) -> str:
        """Cache key text."""
        return f"{self.file}|{self.object}|{self.up}|{self.texture}"


# --------------------------------------------------------------------------------------------
# Raw import


def _new_since(before: set[int]) -> list[bpy.types.Object]:
    """Objects created since the pointer set `before` was taken."""
    return [ob for ob in bpy.data.objects if ob.as_pointer() not in before]


def _run_importer(path: str, fmt: str) -> None:
    """Call the Blender 5.0 importer of `fmt` on `path` without axis conversion where possible."""
    axes = {"forward_axis": "Y", "up_axis": "Z"}
    if fmt == "obj":
        bpy.ops.wm.obj_import(filepath=path, **axes)
    elif fmt == "ply":
        bpy.ops.wm.ply_import(filepath=path, **axes)
    elif fmt == "stl":
        bpy.ops.wm.stl_import(filepath=path, **axes)
    elif fmt == "gltf":
        bpy.ops.import_scene.gltf(filepath=path)
    elif fmt == "fbx":
        if hasattr(bpy.ops.wm, "fbx_import"):
            bpy.ops.wm.fbx_import(filepath=path)
        else:
            bpy.ops.import_scene.fbx(filepath=path)
    else:
        raise ModelImportError(f"{path}: unsupported format {fmt}")


def _append_blend(path: str, name: str | None) -> list[bpy.types.Object]:
    """Append the object or collection `name` from a .blend file; returns its objects."""
    if not name:
        raise ModelImportError(f"{path}: .blend needs an object or collection name")
    with bpy.data.libraries.load(path, link=False) as (src, dst):
        if name in src.objects:
            dst.objects = [name]
        elif name in src.collections:
            dst.collections = [name]
        else:
            raise ModelImportError(f"{path}: no object or collection named {name!r}")
    if dst.objects:
        obs = [ob for ob in dst.objects if ob is not None]
    else:
        colls = [c for c in dst.collections if c is not None]
        obs = [ob for c in colls for ob in c.all_objects]
        for c in colls:
            bpy.data.collections.remove(c)
    for ob in obs:
        if not ob.users_collection:
            bpy.context.scene.collection.objects.link(ob)
    return obs


def _import_objects(path: str, fmt: str, name: str | None) -> list[bpy.types.Object]:
    """All objects a model file brings in (linked to the scene for joining)."""
    if not Path(path).is_file():
        raise ModelImportError(f"{path}: missing file")
    if fmt == "blend":
        return _append_blend(path, name)
    before = {ob.as_pointer() for ob in bpy.data.objects}
    _run_importer(path, fmt)
    return _new_since(before)


def _join(meshes: list[bpy.types.Object]) -> bpy.types.Object:
    """Join mesh objects into the first one (materials and UVs kept)."""
    if len(meshes) == 1:
        return meshes[0]
    active = meshes[0]
    with bpy.context.temp_override(
        active_object=active, object=active, selected_objects=meshes,
        selected_editable_objects=meshes,
    ):  # fmt: skip
        bpy.ops.object.join()
    return active


def _remove_objects(pointers: set[int], keep: bpy.types.Mesh | None = None) -> None:
    """Delete the imported objects in `pointers` and meshes left without users."""
    for ob in [ob for ob in bpy.data.objects if ob.as_pointer() in pointers]:
        bpy.data.objects.remove(ob)
    for mesh in [m for m in bpy.data.meshes if m.users == 0 and not m.use_fake_user]:
        if mesh != keep:
            bpy.data.meshes.remove(mesh)


def up_rotation(fmt: str, up: str) -> Matrix:
    """Rotation that turns the file's `up` axis (as imported) into +Z."""
    converted = fmt in Y_UP_IMPORTERS
    angle = {(True, "Y"): 0.0, (True, "Z"): -90.0, (False, "Y"): 90.0, (False, "Z"): 0.0}[
        (converted, up)
    ]
    return Matrix.Rotation(math.radians(angle), 4, "X")


def _import_source(path: str, fmt: str, name: str | None, up: str, mesh_name: str):
    """Import a file as one up-corrected mesh in file units; the objects are removed."""
    obs = _import_objects(path, fmt, name)
    pointers = {ob.as_pointer() for ob in obs}
    meshes = [ob for ob in obs if ob.type == "MESH" and len(ob.data.vertices) > 0]
    if not meshes:
        _remove_objects(pointers)
        raise ModelImportError(f"{path}: empty mesh (no mesh objects with vertices)")
    joined = _join(meshes)
    mw = joined.matrix_world.copy()
    mesh = joined.data if joined.data.users == 1 else joined.data.copy()
    joined.data = mesh
    mesh.transform(up_rotation(fmt, up) @ mw)
    mesh.name = mesh_name
    mesh.use_fake_user = True  # survives the clean-up below
    _remove_objects(pointers, keep=mesh)
    mesh.update()
    return mesh


# --------------------------------------------------------------------------------------------
# Cache


_sources: dict[str, str] = {}  # source key -> mesh name
_normalised: dict[str, str] = {}  # normalised key -> mesh name
_fallbacks: dict[str, list[str]] = {}  # source key -> materials replaced by the default one


def _digest(*parts: object) -> str:
    """Short stable hash of the parts."""
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:12]


def _cached(table: dict[str, str], key: str) -> bpy.types.Mesh | None:
    """The cached mesh of `key` if it still exists (not removed by a scene reset)."""
    name = table.get(key)
    mesh = bpy.data.meshes.get(name) if name else None
    if mesh is None or mesh.get(CACHE_TAG) != key:
        table.pop(key, None)
        return None
    if any(m is None for m in mesh.materials) and len(mesh.materials):
        table.pop(key, None)  # its materials were removed: rebuild
        return None
    return mesh


def _protect(mesh: bpy.types.Mesh, key: str) -> None:
    """Mark a mesh and everything its materials use as cache data that outlives scenes."""
    mesh[CACHE_TAG] = key
    mesh.use_fake_user = True
    for mat in mesh.materials:
        if mat is None:
            continue
        mat.use_fake_user = True
        mat[CACHE_TAG] = True
        for block in _tree_blocks(mat.node_tree):
            block.use_fake_user = True
            block[CACHE_TAG] = True


def _cached_material(name: str) -> tuple[bpy.types.Material, bool]:
    """The process-cached material `name`, or a new tagged one; True when it is new."""
    mat = bpy.data.materials.get(name)
    if mat is not None and mat.get(CACHE_TAG):
        return mat, False
    mat = bpy.data.materials.new(name)
    mat[CACHE_TAG] = True
    return mat, True


def image_readable(image: bpy.types.Image | None) -> bool:
    """Whether Blender could read an image's pixels (unreadable ones render magenta)."""
    if image is None or image.source not in ("FILE", "SEQUENCE", "MOVIE", "TILED"):
        return image is not None  # generated and viewer images have no file to fail on
    return image.size[0] > 0 and image.size[1] > 0


def load_image(path: str) -> bpy.types.Image | None:
    """The image file at `path` loaded into Blender, or None when Blender cannot read it."""
    try:
        image = bpy.data.images.load(path, check_existing=True)
    except RuntimeError:
        return None
    if not image_readable(image):
        if image.users == 0:
            bpy.data.images.remove(image)
        return None
    return image


def texture_material(path: str) -> bpy.types.Material | None:
    """Material painting an image onto a UV-less model by box projection in object space.

    None when Blender cannot read the image (empty, truncated, not an image).
    """
    name = f"{DEFAULT_MATERIAL}.tex.{_digest(path)}"
    cached = bpy.data.materials.get(name)
    if cached is not None and cached.get(CACHE_TAG):
        return cached
    image = load_image(path)
    if image is None:
        return None
    mat, _ = _cached_material(name)
    nt = mat.node_tree
    bsdf = next(n for n in nt.nodes if n.type == "BSDF_PRINCIPLED")
    coord = nt.nodes.new("ShaderNodeTexCoord")
    tex = nt.nodes.new("ShaderNodeTexImage")
    tex.image = image
    tex.projection = "BOX"
    tex.projection_blend = 0.2
    mapping = nt.nodes.new("ShaderNodeMapping")
    mapping.inputs["Scale"].default_value = (10.0, 10.0, 10.0)  # about 10 cm per tile
    nt.links.new(coord.outputs["Object"], mapping.inputs["Vector"])
    nt.links.new(mapping.outputs["Vector"], tex.inputs["Vector"])
    nt.links.new(tex.outputs["Color"], bsdf.inputs["Base Color"])
    return mat


def _unreadable_images(mat: bpy.types.Material | None) -> list[str]:
    """Files of the image textures of `mat` that Blender cannot read (missing, empty, broken)."""
    if mat is None or mat.node_tree is None:
        return []
    images = [b for b in _tree_blocks(mat.node_tree) if isinstance(b, bpy.types.Image)]
    return [bpy.path.abspath(im.filepath) or im.name for im in images if not image_readable(im)]


def _add_material(mesh: bpy.types.Mesh, ref: ModelRef) -> list[str]:
    """Give a mesh its catalog texture, or keep its materials; vertex colours or grey otherwise.

    An image that Blender cannot read would render magenta: the catalog texture is then skipped
    and a material of the model's own whose images cannot be read is replaced, both by the default
    material. Returns one line per fallback (naming the file) for warnings and validation.
    """
    notes = []

    def fallback() -> bpy.types.Material:
        return default_material(bool(mesh.color_attributes))

    if ref.texture:
        mat = texture_material(ref.texture)
        mesh.materials.clear()
        mesh.materials.append(mat or fallback())
        if mat is None:
            notes.append(f"texture {ref.texture} is empty or unreadable: "
                         "using the default material")  # fmt: skip
        return notes
    for i, mat in enumerate(mesh.materials):
        bad = _unreadable_images(mat)
        if bad:
            mesh.materials[i] = fallback()
            notes.append(f"image {bad[0]} of material {mat.name!r} is missing or unreadable: "
                         "using the default material")  # fmt: skip
    if not mesh.materials:
        mesh.materials.append(fallback())
    return notes


def default_material(vertex_colors: bool) -> bpy.types.Material:
    """Neutral material for models without any (PLY/STL): their vertex colours, or grey."""
    mat, new = _cached_material(f"{DEFAULT_MATERIAL}.{'vcol' if vertex_colors else 'grey'}")
    if not new:
        return mat
    nt = mat.node_tree
    bsdf = next(n for n in nt.nodes if n.type == "BSDF_PRINCIPLED")
    bsdf.inputs["Base Color"].default_value = (0.6, 0.6, 0.6, 1.0)
    bsdf.inputs["Roughness"].default_value = 0.5
    if vertex_colors:
        attr = nt.nodes.new("ShaderNodeVertexColor")  # no layer name: the active colour attribute
        nt.links.new(attr.outputs["Color"], bsdf.inputs["Base Color"])
    return mat


def _tree_blocks(tree: bpy.types.NodeTree | None) -> list[bpy.types.ID]:
    """Images and node groups used by a node tree, recursively."""
    out: list[bpy.types.ID] = []
    if tree is None:
        return out
    for node in tree.nodes:
        image = getattr(node, "image", None)
        if image is not None:
            out.append(image)
        group = getattr(node, "node_tree", None)
        if group is not None:
            out.append(group)
            out.extend(_tree_blocks(group))
    return out


def source_mesh(ref: ModelRef) -> bpy.types.Mesh:
    """The up-corrected mesh of a model file in file units, imported once per process."""
    key = f"src|{ref.key}"
    mesh = _cached(_sources, key)
    if mesh is None:
        mesh = _import_source(ref.file, ref.fmt, ref.object, ref.up, f"catalog.src.{_digest(key)}")
        _fallbacks[key] = _add_material(mesh, ref)
        for note in _fallbacks[key]:
            log.warning("%s: %s", ref.file, note)
        _protect(mesh, key)
        _sources[key] = mesh.name
        log.info("imported %s (%d vertices)", ref.file, len(mesh.vertices))
    return mesh


def material_fallbacks(ref: ModelRef) -> list[str]:
    """What the import of `ref` replaced by the default material (unreadable images)."""
    source_mesh(ref)
    return list(_fallbacks.get(f"src|{ref.key}", []))


def mesh_bounds(mesh: bpy.types.Mesh) -> tuple[np.ndarray, np.ndarray]:
    """Min and max corners of a mesh's vertices."""
    co = np.empty(len(mesh.vertices) * 3)
    mesh.vertices.foreach_get("co", co)
    co = co.reshape(-1, 3)
    return co.min(axis=0), co.max(axis=0)


def normalised_mesh(ref: ModelRef, pose: str, scale: float) -> bpy.types.Mesh:
    """Mesh in metres, posed, origin at the bottom centre; one per (model, pose, scale)."""
    key = f"norm|{ref.key}|{pose}|{scale:.9g}"
    mesh = _cached(_normalised, key)
    if mesh is not None:
        return mesh
    src = source_mesh(ref)
    mesh = src.copy()
    mesh.name = f"catalog.{Path(ref.file).stem}.{_digest(key)}"
    rot = SIDE_ROTATION_DEG if pose == "side" else [0.0, 0.0, 0.0]
    turn = Matrix.LocRotScale(None, _euler(rot), None)
    mesh.transform(turn @ Matrix.Scale(scale, 4))
    lo, hi = mesh_bounds(mesh)
    centre = (lo + hi) / 2
    mesh.transform(Matrix.Translation((-centre[0], -centre[1], -lo[2])))
    mesh.update()
    _protect(mesh, key)
    _normalised[key] = mesh.name
    return mesh


def _euler(deg: list[float]) -> Euler:
    """XYZ Euler from degrees."""
    return Euler([math.radians(d) for d in deg], "XYZ")


def clear_cache() -> None:
    """Forget and delete every cached catalog mesh (their materials stay until cleared)."""
    for table in (_normalised, _sources):
        for key in list(table):
            mesh = _cached(table, key)
            if mesh is not None:
                bpy.data.meshes.remove(mesh)
        table.clear()


# --------------------------------------------------------------------------------------------
# Public API


def is_round(mesh: bpy.types.Mesh) -> bool:
    """Whether a mesh looks like a circle from above (convex hull area close to pi/4 of its box)."""
    co = np.empty(len(mesh.vertices) * 3)
    mesh.vertices.foreach_get("co", co)
    xy = co.reshape(-1, 3)[:, :2]
    sx, sy = xy.max(axis=0) - xy.min(axis=0)
    if abs(sx - sy) > ROUND_TOLERANCE * max(sx, sy, 1e-12):
        return False
    hull = xy[geometry.convex_hull_2d(xy.tolist())]
    x, y = hull[:, 0], hull[:, 1]
    area = 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))
    return abs(area / (math.pi / 4 * sx * sy) - 1.0) < ROUND_TOLERANCE


def raw_dimensions(entry: CatalogEntry) -> list[float]:
    """Bounding box of the entry's model after the up-axis turn, in file units."""
    lo, hi = mesh_bounds(source_mesh(ModelRef.of_entry(entry)))
    return [float(x) for x in hi - lo]


def import_model(
    entry: CatalogEntry,
    pose: str = "upright",
    name: str | None = None,
    collection: bpy.types.Collection | None = None,
) -> bpy.types.Object:
    """A new object of the normalised model of `entry` (linked duplicate of the cached mesh)."""
    scale = entry_scale(entry, raw_dimensions(entry))
    mesh = normalised_mesh(ModelRef.of_entry(entry), pose, scale)
    ob = bpy.data.objects.new(name or f"{entry.cls}.{entry.index}", mesh)
    if collection is not None:
        collection.objects.link(ob)
    ob["food_class"] = entry.cls
    return ob


def measure_catalog(catalog: Catalog) -> dict:
    """Raw dimensions per entry key (``dims``) and one line per entry that failed (``problems``).

    ``warnings`` lists entries whose images Blender cannot read: they render with the default
    material, which validation reports but rendering accepts.
    """
    dims: dict[str, list[float]] = {}
    rounds: dict[str, bool] = {}
    problems: list[str] = []
    warnings: list[str] = []
    for e in catalog.entries:
        where = f"{catalog.path}: class {e.cls} entry {e.index} ({e.file})"
        try:
            raw = raw_dimensions(e)
        except (CatalogError, RuntimeError) as err:
            problems.append(f"{where}: {err}")
            continue
        if max(raw) <= 0:
            problems.append(f"{where}: empty mesh (zero size)")
            continue
        size = [x * entry_scale(e, raw) for x in raw]
        if max(size) > MAX_SIZE_M:
            problems.append(f"{where}: absurd size {[round(x, 3) for x in size]} m")
        dims[e.key] = raw
        rounds[e.key] = is_round(source_mesh(ModelRef.of_entry(e)))
        warnings += [f"{where}: {note}" for note in material_fallbacks(ModelRef.of_entry(e))]
    return {"dims": dims, "round": rounds, "problems": problems, "warnings": warnings}


def measure_problems(catalog: Catalog) -> list[str]:
    """Problems and warnings of `measure_catalog` (the hook for `catalog.validate_catalog`)."""
    result = measure_catalog(catalog)
    return result["problems"] + result["warnings"]


def measure_and_attach(catalog: Catalog, save: bool = True) -> list[str]:
    """Measure and store the dimensions in the catalog; returns the problems.

    With `save`, the measurements are cached in the catalog's sidecar, but only when there is no
    problem (a failed run writes nothing) and only where the catalog's folder is writable (a
    read-only catalog is measured again by each run, with a warning).
    """
    result = measure_catalog(catalog)
    attach_measurements(catalog, result["dims"], result["round"])
    if save and result["dims"] and not result["problems"]:
        try:
            save_measurements(catalog, result["dims"], result["round"])
        except OSError as err:
            log.warning("measurements not cached: %s", err)
    return result["problems"]


def _shift_color(rgba, hue: float) -> tuple[float, float, float, float]:
    """An RGBA colour with its hue turned by `hue` (0..1 is a full turn)."""
    h, s, v = colorsys.rgb_to_hsv(*rgba[:3])
    return (*colorsys.hsv_to_rgb((h + hue) % 1.0, s, v), rgba[3])


def jittered_material(mat: bpy.types.Material, hue: float, name: str) -> bpy.types.Material:
    """A copy of `mat` whose base colours are hue-shifted (texture inputs through a Hue node)."""
    new = mat.copy()
    new.name = name
    new.use_fake_user = False
    if CACHE_TAG in new:
        del new[CACHE_TAG]
    if new.node_tree is None:
        new.diffuse_color = _shift_color(new.diffuse_color, hue)
        return new
    nt = new.node_tree
    for node in list(nt.nodes):
        sock = node.inputs.get("Base Color") if node.type == "BSDF_PRINCIPLED" else None
        if sock is None:
            continue
        if not sock.is_linked:
            sock.default_value = _shift_color(sock.default_value, hue)
            continue
        link = sock.links[0]
        hsv = nt.nodes.new("ShaderNodeHueSaturation")
        hsv.inputs["Hue"].default_value = (0.5 + hue) % 1.0
        nt.links.new(link.from_socket, hsv.inputs["Color"])
        nt.links.new(hsv.outputs["Color"], sock)
    return new


def apply_hue_jitter(ob: bpy.types.Object, hue: float) -> None:
    """Give `ob` its own hue-shifted materials through object-linked slots (mesh untouched)."""
    if abs(hue) < 1e-6:
        return
    for i, slot in enumerate(ob.material_slots):
        mat = slot.material
        if mat is None:
            continue
        slot.link = "OBJECT"
        slot.material = jittered_material(mat, hue, f"{ob.name}.mat{i}")


def build_catalog_object(
    params: dict, name: str, collection: bpy.types.Collection
) -> bpy.types.Object:
    """Build one catalog item from sampled params; same contract as `food.build_food`."""
    if params.get("source") != "catalog":
        raise ValueError(
            f"{name}: params do not come from a catalog (source={params.get('source')})"
        )
    mesh = normalised_mesh(ModelRef.of_params(params), params["pose"], float(params["scale"]))
    ob = bpy.data.objects.new(name, mesh)
    collection.objects.link(ob)
    ob["food_class"] = params["cls"]
    ob["catalog_file"] = params["file"]
    apply_hue_jitter(ob, float(params.get("hue_jitter", 0.0)))
    lo, hi = mesh_bounds(mesh)
    if np.abs((hi - lo) - np.asarray(params["size"])).max() > 1e-3:
        log.warning("%s: model size %s differs from sampled size %s (stale measurements?)",
                    name, np.round(hi - lo, 4).tolist(), params["size"])  # fmt: skip
    return ob
