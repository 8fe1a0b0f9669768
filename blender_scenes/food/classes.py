"""The procedural food classes in one table: traits, parameter sampler, class sets (pure Python).

Each row of `CLASS_TABLE` says everything the samplers and the physics need to know about a
class; the mesh builder is listed in `build.BUILDERS` (Blender side) under the same name. Adding
a class is one row here, one parameter function (`params` / `grocery_params`) and one builder
(in `packaged`, `fresh`, `packs` or `grocery`, listed in `build.BUILDERS`);
`tests/blender_scenes/test_grocery.py` checks that the three agree.

Class sets (`classes=<set>` in the render config):

- ``default``: the original fifteen classes, `FOOD_CLASSES` (what ``classes: null`` renders; its
  draws are unchanged by the classes added later);
- ``aicook``: every class that maps to one of the 30 classes of the AICook fridge photos
  (`configs/class_maps/aicook.yaml`), with weights that give each real class about the same
  share when it has several render classes (e.g. ``egg`` loose and ``eggs`` groups/cartons);
- ``all``: every procedural class.

New classes are appended to `ALL_CLASSES` only: a class's position salts its parameter stream,
so existing classes keep their exact parameters for a seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from gan.cli import config_dir

from . import grocery_params as gp
from . import params as fp
from .params import FOOD_CLASSES

Sampler = Callable[[np.random.Generator], dict]


@dataclass(frozen=True)
class ClassTraits:
    """How a class behaves in a fridge.

    - ``family``: produce | drinks | dairy | meat | bakery | pantry (documentation and grouping);
    - ``drawer``: weight factor in crisper drawers (produce 6, everything else 0.15);
    - ``door``: may stand in the door bins;
    - ``low_shelf``: weight factor on the lowest shelf, its inverse on the shelves above (raw
      meat 3: it is kept at the bottom, where it cannot drip onto other food);
    - ``lie_prob``: chance to be laid on its side (placement=physics);
    - ``stack_top``: small enough to be stacked on other items (placement=physics);
    - ``friction``: rigid-body friction; ``rolls``: round, so spin is damped hard and the mesh
      is shaded smooth up to 75 degrees.
    """

    params: Sampler
    family: str
    drawer: float = 0.15
    door: bool = False
    low_shelf: float = 1.0
    lie_prob: float = 0.0
    stack_top: bool = False
    friction: float = 0.6
    rolls: bool = False


PRODUCE_DRAWER = 6.0
RAW_MEAT_LOW_SHELF = 3.0


def _produce(params: Sampler, friction: float = 0.8, rolls: bool = True, **kw) -> ClassTraits:
    """A produce row: drawer-loving, grippy and (by default) round."""
    return ClassTraits(
        params, "produce", drawer=PRODUCE_DRAWER, friction=friction, rolls=rolls, **kw
    )


CLASS_TABLE: dict[str, ClassTraits] = {
    # the original fifteen (FOOD_CLASSES), in their order
    "milk_carton": ClassTraits(gp.milk_carton, "dairy", door=True),
    "juice_carton": ClassTraits(fp.juice_carton, "drinks", door=True),
    "water_bottle": ClassTraits(fp.water_bottle, "drinks", door=True, lie_prob=0.35),
    "glass_bottle": ClassTraits(fp.glass_bottle, "drinks", door=True, lie_prob=0.35),
    "can": ClassTraits(fp.can, "drinks", lie_prob=0.3, stack_top=True),
    "jar": ClassTraits(fp.jar, "pantry", door=True, lie_prob=0.15),
    "egg": ClassTraits(fp.egg, "dairy", door=True, friction=0.7, rolls=True),
    "apple": _produce(fp.apple),
    "orange": _produce(fp.orange),
    "lemon": _produce(fp.lemon),
    "tomato": _produce(fp.tomato),
    "banana": _produce(fp.banana, friction=0.9),
    "cheese_block": ClassTraits(fp.cheese_block, "dairy", stack_top=True),
    "yogurt_cup": ClassTraits(fp.yogurt_cup, "dairy", stack_top=True),
    "butter_pack": ClassTraits(fp.butter_pack, "dairy", door=True, stack_top=True),
    # grocery classes (named after the real classes they stand for where possible)
    "apple_group": _produce(gp.apple_group),
    "banana_bunch": _produce(gp.banana_bunch, friction=0.9),
    "tomato_vine": _produce(gp.tomato_vine),
    "lime": _produce(gp.lime),
    "carrot": _produce(gp.carrot),
    "potato": _produce(gp.potato),
    "sweet_potato": _produce(gp.sweet_potato),
    "onion": _produce(gp.onion),
    "mushrooms": _produce(gp.mushrooms, rolls=False, stack_top=True),
    "corn": ClassTraits(gp.corn, "produce", drawer=1.0),  # tins more often than cobs
    "green_beans": _produce(gp.green_beans, rolls=False),
    "spinach": _produce(gp.spinach, rolls=False),
    "blueberries": _produce(gp.blueberries, rolls=False, stack_top=True),
    "strawberries": _produce(gp.strawberries, rolls=False, stack_top=True),
    "beef": ClassTraits(gp.beef, "meat", low_shelf=RAW_MEAT_LOW_SHELF),
    "ground_beef": ClassTraits(gp.ground_beef, "meat", low_shelf=RAW_MEAT_LOW_SHELF),
    "chicken": ClassTraits(gp.chicken, "meat", low_shelf=RAW_MEAT_LOW_SHELF),
    "chicken_breast": ClassTraits(gp.chicken_breast, "meat", low_shelf=RAW_MEAT_LOW_SHELF),
    "ham": ClassTraits(gp.ham, "meat", stack_top=True),
    "shrimp": ClassTraits(gp.shrimp, "meat", stack_top=True),
    "eggs": ClassTraits(gp.eggs, "dairy", door=True, friction=0.7),
    "milk_bottle": ClassTraits(gp.milk_bottle, "dairy", door=True),
    "heavy_cream": ClassTraits(gp.heavy_cream, "dairy", door=True),
    "cheese_pack": ClassTraits(gp.cheese_pack, "dairy", stack_top=True),
    "goat_cheese": ClassTraits(gp.goat_cheese, "dairy", stack_top=True),
    "butter_tub": ClassTraits(gp.butter_tub, "dairy", door=True, stack_top=True),
    "bread": ClassTraits(gp.bread, "bakery"),
    "flour": ClassTraits(gp.flour, "pantry"),
    "sugar": ClassTraits(gp.sugar, "pantry"),
    "chocolate": ClassTraits(gp.chocolate, "pantry", door=True, stack_top=True),
}

ALL_CLASSES: tuple[str, ...] = tuple(CLASS_TABLE)
GROCERY_CLASSES: tuple[str, ...] = ALL_CLASSES[len(FOOD_CLASSES) :]
assert ALL_CLASSES[: len(FOOD_CLASSES)] == FOOD_CLASSES, "new classes go after the original ones"

# Render classes of the AICook set with their default weights (render classes standing for the
# same real class share its weight; the real class is in configs/class_maps/aicook.yaml).
AICOOK_WEIGHTS: dict[str, float] = {
    **{c: 1.0 for c in GROCERY_CLASSES},
    "apple": 0.5, "apple_group": 0.5,
    "banana": 0.5, "banana_bunch": 0.5,
    "tomato": 0.5, "tomato_vine": 0.5,
    "egg": 0.5, "eggs": 0.5,
    "milk_carton": 0.5, "milk_bottle": 0.5,
    "cheese_block": 0.5, "cheese_pack": 0.5,
    "butter_pack": 0.5, "butter_tub": 0.5,
}  # fmt: skip

CLASS_SETS: dict[str, dict[str, float]] = {
    "default": {c: 1.0 for c in FOOD_CLASSES},
    "aicook": {c: AICOOK_WEIGHTS[c] for c in ALL_CLASSES if c in AICOOK_WEIGHTS},
    "all": {c: 1.0 for c in ALL_CLASSES},
}


def traits(cls: str) -> ClassTraits:
    """The table row of a procedural class (ValueError naming the known classes otherwise)."""
    row = CLASS_TABLE.get(cls)
    if row is None:
        raise ValueError(f"unknown food class {cls!r}; known classes: {', '.join(ALL_CLASSES)}")
    return row


def classes_where(test: Callable[[ClassTraits], bool]) -> frozenset[str]:
    """Names of the classes whose traits pass `test`."""
    return frozenset(c for c, t in CLASS_TABLE.items() if test(t))


# Classes whose packs carry one of several products (`grocery_params.PRODUCTS`): the render
# config's `products.<class>` weighs them (`sample_params(..., prefer=...)`).
PRODUCT_CLASSES: dict[str, tuple[str, ...]] = {
    c: tuple(name for name, _ in options) for c, options in gp.PRODUCTS.items()
}


def sample_params(
    cls: str, rng: np.random.Generator, prefer: dict[str, float] | None = None
) -> dict:
    """Sample the full, JSON-serialisable build parameters of one item of class `cls`.

    `prefer` (classes of `PRODUCT_CLASSES` only) multiplies the weights of named products.
    """
    sampler = traits(cls).params
    # One draw from the caller's stream, salted with the class: the caller's later draws do not
    # depend on how many numbers a class consumes, and classes never share brands or palettes.
    own = np.random.default_rng([int(rng.integers(0, 2**62)), ALL_CLASSES.index(cls)])
    if prefer and cls not in PRODUCT_CLASSES:
        raise ValueError(
            f"{cls}: has no products to prefer (those with: {', '.join(PRODUCT_CLASSES)})"
        )
    params = sampler(own, prefer=prefer) if prefer else sampler(own)
    params["class"] = cls
    return params


CLASS_MAP_DIR = config_dir() / "class_maps"


def load_class_map(path: str | Path) -> dict[str, str]:
    """A class map YAML (render class -> real class, e.g. configs/class_maps/aicook.yaml).

    `path` is a file or the name of a map in configs/class_maps/ (``aicook``). Raises ValueError
    with the file name when it is not a flat mapping of class names to class names.
    """
    p = Path(path)
    if not p.suffix and not p.exists():
        p = CLASS_MAP_DIR / f"{p}.yaml"
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise ValueError(f"{p}: cannot read the class map ({err})") from err
    if not isinstance(data, dict) or not data:
        raise ValueError(f"{p}: expected a mapping render class -> real class")
    bad = [
        f"{k!r}: {v!r}"
        for k, v in data.items()
        if not (isinstance(k, str) and isinstance(v, str) and k and v)
    ]
    if bad:
        raise ValueError(
            f"{p}: entries must map a class name to a class name, got {', '.join(bad)}"
        )
    return dict(data)
