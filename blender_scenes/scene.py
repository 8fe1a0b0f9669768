"""Build a whole scene in Blender from a SceneDescription, and clear it again."""

from __future__ import annotations

import math

from .assets.importers import build_catalog_object
from .blender import BVHTree, Euler, Quaternion, Vector, bpy
from .description import CameraSpec, LightSpec, ObjectSpec, SceneDescription, WorldSpec
from .food.build import build_food
from .fridge import Collections, build_fridge, build_kitchen_floor
from .render import IDS_LAYER, SEE_THROUGH

DATA_COLLECTIONS = (
    "objects",
    "meshes",
    "materials",
    "images",
    "lights",
    "cameras",
    "node_groups",
    "textures",
    "curves",
    "worlds",
)


def clear_scene() -> None:
    """Delete every data block a previous scene made, so memory stays flat over many scenes.

    Blocks with a fake user survive: the asset importer keeps imported models that way so each
    model file is read once per process. A rigid-body world left by the physics settling goes
    too, with its collection and cache.
    """
    scene = bpy.context.scene
    if scene.rigidbody_world is not None:
        with bpy.context.temp_override(scene=scene):
            bpy.ops.rigidbody.world_remove()
    for attr in DATA_COLLECTIONS:
        blocks = [b for b in getattr(bpy.data, attr) if not getattr(b, "use_fake_user", False)]
        if blocks:
            bpy.data.batch_remove(blocks)
    for child in list(scene.collection.children):
        bpy.data.collections.remove(child)
    orphans = [c for c in bpy.data.collections if c.users == 0 and not c.use_fake_user]
    if orphans:
        bpy.data.batch_remove(orphans)


def look_at_rotation(location: list[float], target: list[float], roll_deg: float) -> Euler:
    """Euler rotation pointing a camera's -Z at `target`, rolled about its view axis."""
    direction = Vector(target) - Vector(location)
    quat = direction.to_track_quat("-Z", "Y")
    quat = quat @ Quaternion((0.0, 0.0, -1.0), math.radians(roll_deg))
    return quat.to_euler()


def pixel_aspect_xy(pixel_aspect: float | None) -> tuple[float, float]:
    """Blender's (pixel_aspect_x, pixel_aspect_y) (each >= 1) for a pixel's width / height."""
    p = 1.0 if pixel_aspect is None else float(pixel_aspect)
    return (p, 1.0) if p >= 1.0 else (1.0, 1.0 / p)


def build_camera(spec: CameraSpec, scene: bpy.types.Scene) -> bpy.types.Object:
    """A pinhole camera with a horizontal field of view (and the scene's pixel aspect: the
    horizontal field stays, the vertical one follows the view's aspect)."""
    scene.render.pixel_aspect_x, scene.render.pixel_aspect_y = pixel_aspect_xy(spec.pixel_aspect)
    cam = bpy.data.cameras.new("camera")
    cam.sensor_fit = "HORIZONTAL"
    cam.angle = math.radians(spec.fov_deg)
    cam.clip_start = 0.01
    cam.clip_end = 20.0
    ob = bpy.data.objects.new("camera", cam)
    ob.location = spec.location
    ob.rotation_euler = look_at_rotation(spec.location, spec.target, spec.roll_deg)
    scene.collection.objects.link(ob)
    scene.camera = ob
    return ob


def build_light(k: int, spec: LightSpec, coll: bpy.types.Collection) -> bpy.types.Object:
    """An area panel facing `direction`, or a point lamp, at the given colour temperature."""
    light = bpy.data.lights.new(f"light.{k}", "AREA" if spec.kind == "area" else "POINT")
    light.energy = spec.power_w
    light.use_temperature = True
    light.temperature = spec.temperature_k
    if spec.kind == "area":
        light.shape = "RECTANGLE"
        light.size = spec.size
        light.size_y = spec.size_y
    else:
        light.shadow_soft_size = spec.size
    ob = bpy.data.objects.new(f"light.{k}", light)
    ob.location = spec.location
    ob.rotation_euler = Vector(spec.direction).to_track_quat("-Z", "Y").to_euler()
    coll.objects.link(ob)
    return ob


def build_world(spec: WorldSpec, scene: bpy.types.Scene) -> None:
    """Uniform kitchen ambience plus the exposure error of this shot."""
    world = bpy.data.worlds.new("kitchen")
    bg = world.node_tree.nodes["Background"]
    bg.inputs["Color"].default_value = (*spec.color, 1.0)
    bg.inputs["Strength"].default_value = spec.strength
    scene.world = world
    scene.view_settings.exposure = spec.exposure


def new_collection(scene: bpy.types.Scene, name: str) -> bpy.types.Collection:
    """A fresh collection linked under the scene."""
    coll = bpy.data.collections.new(name)
    scene.collection.children.link(coll)
    return coll


def exclude_see_through(scene: bpy.types.Scene) -> None:
    """Leave glass and clear plastic out of the instance-id layer (see render.py)."""
    layer = scene.view_layers.get(IDS_LAYER)
    if layer is not None:
        layer.layer_collection.children[SEE_THROUGH].exclude = True


def build_scene(desc: SceneDescription) -> dict[int, bpy.types.Object]:
    """Fridge, lights, camera, world and food; returns the food objects by instance id."""
    scene = bpy.context.scene
    coll = scene.collection
    colls = Collections(new_collection(scene, "fridge"), new_collection(scene, SEE_THROUGH))
    food = new_collection(scene, "food")
    build_fridge(desc.fridge, colls)
    build_kitchen_floor(colls.opaque)
    for k, light in enumerate(desc.lights):
        build_light(k, light, coll)
    build_camera(desc.camera, scene)
    build_world(desc.world, scene)
    objects: dict[int, bpy.types.Object] = {}
    for spec in desc.objects:
        name = f"{spec.cls}.{spec.instance_id:03d}"
        if spec.params.get("source") == "catalog":
            ob = build_catalog_object(spec.params, name, food)
        else:
            ob = build_food(spec.cls, spec.params, name, food)
        apply_pose(ob, spec)
        ob.pass_index = spec.instance_id
        objects[spec.instance_id] = ob
    exclude_see_through(scene)
    bpy.context.view_layer.update()
    return objects


def apply_pose(ob: bpy.types.Object, spec: ObjectSpec) -> None:
    """Put an item where its spec says: full rotation when given, else upright and turned."""
    ob.location = spec.location
    if spec.rotation_deg is not None:
        ob.rotation_euler = Euler([math.radians(a) for a in spec.rotation_deg], "XYZ")
    else:
        ob.rotation_euler = (0.0, 0.0, math.radians(spec.yaw_deg))


def world_bvh(ob: bpy.types.Object) -> BVHTree:
    """BVH tree of an object's mesh in world coordinates."""
    mw = ob.matrix_world
    me = ob.data
    verts = [mw @ v.co for v in me.vertices]
    polys = [tuple(p.vertices) for p in me.polygons]
    return BVHTree.FromPolygons(verts, polys)


def mesh_overlaps(objects: list[bpy.types.Object]) -> list[tuple[str, str]]:
    """Pairs of objects whose mesh surfaces intersect (real geometry, not bounding boxes)."""
    trees = [(ob, world_bvh(ob)) for ob in objects]
    pairs = []
    for i in range(len(trees)):
        for j in range(i + 1, len(trees)):
            if trees[i][1].overlap(trees[j][1]):
                pairs.append((trees[i][0].name, trees[j][0].name))
    return pairs
