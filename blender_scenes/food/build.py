"""Build one procedural food item in Blender: the class -> builder table and `build_food`.

Every item is one mesh object with its origin at the bottom centre, +Z up, its front/label facing
-Y and its vertices normalised to exactly fill ``params["size"]``. Only ``bpy.data`` and ``bmesh``
are used (no operators), and every data block (mesh, materials, images) is created through
``bpy.data`` so callers can remove them between scenes.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

from ..blender import bpy
from .classes import ALL_CLASSES, CLASS_TABLE
from .fresh import apple, banana, cheese_block, egg, lemon, orange, tomato
from .grocery import (
    bread,
    cheese_pack,
    chocolate,
    corn,
    eggs,
    goat_cheese,
    green_beans,
    heavy_cream,
    milk_bottle,
    pantry,
    spinach,
    tub,
)
from .mesh import MeshBuilder
from .packaged import butter_pack, can, carton, glass_bottle, jar, water_bottle, yogurt_cup
from .packs import produce, tray_pack

log = logging.getLogger(__name__)

# One builder per class, under the class's name in `classes.CLASS_TABLE`.
BUILDERS: dict[str, Callable[[MeshBuilder, dict], None]] = {
    # the original fifteen (params.FOOD_CLASSES)
    "milk_carton": carton,
    "juice_carton": carton,
    "water_bottle": water_bottle,
    "glass_bottle": glass_bottle,
    "can": can,
    "jar": jar,
    "egg": egg,
    "apple": apple,
    "orange": orange,
    "lemon": lemon,
    "tomato": tomato,
    "banana": banana,
    "cheese_block": cheese_block,
    "yogurt_cup": yogurt_cup,
    "butter_pack": butter_pack,
    # the grocery classes (classes.GROCERY_CLASSES, params in grocery_params)
    "apple_group": produce, "banana_bunch": produce, "tomato_vine": produce, "lime": produce,
    "carrot": produce, "potato": produce, "sweet_potato": produce, "onion": produce,
    "mushrooms": produce, "corn": corn, "green_beans": green_beans, "spinach": spinach,
    "blueberries": produce, "strawberries": produce, "beef": tray_pack, "ground_beef": tray_pack,
    "chicken": tray_pack, "chicken_breast": tray_pack, "ham": tray_pack, "shrimp": tray_pack,
    "eggs": eggs, "milk_bottle": milk_bottle, "heavy_cream": heavy_cream, "cheese_pack": cheese_pack,
    "goat_cheese": goat_cheese, "butter_tub": tub, "bread": bread, "flour": pantry, "sugar": pantry,
    "chocolate": chocolate,
}  # fmt: skip

# Rolling fruit is shaded smooth up to 75 degrees.
ROUND_FRUIT = frozenset(c for c, t in CLASS_TABLE.items() if t.rolls)


def build_food(
    cls: str, params: dict, name: str, collection: bpy.types.Collection
) -> bpy.types.Object:
    """Build one food item as a single mesh object linked into `collection`."""
    builder = BUILDERS.get(cls)
    if builder is None:
        raise ValueError(f"unknown food class {cls!r}; known classes: {', '.join(ALL_CLASSES)}")
    b = MeshBuilder(name)
    if cls in ROUND_FRUIT:
        b.sharp_angle = math.radians(75)
    builder(b, params)
    ob = b.finish(params["size"], collection)
    ob["food_class"] = cls
    log.debug("built %s (%s): %d faces", name, cls, len(ob.data.polygons))
    return ob
