"""Grocery classes: the class table, parameters, class sets and map, meshes, a labelled render."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from blender_scenes.config import default_sampler
from blender_scenes.food.classes import (
    ALL_CLASSES,
    CLASS_SETS,
    CLASS_TABLE,
    GROCERY_CLASSES,
    load_class_map,
    sample_params,
)
from blender_scenes.food.params import FOOD_CLASSES, sample_food_params
from blender_scenes.sampling import class_traits, sample_scene
from gan.cli import config_dir

ROOT = Path(__file__).resolve().parents[2]
AICOOK = ("apple", "banana", "beef", "blueberries", "bread", "butter", "carrot", "cheese", "chicken",
          "chicken_breast", "chocolate", "corn", "eggs", "flour", "goat_cheese", "green_beans",
          "ground_beef", "ham", "heavy_cream", "lime", "milk", "mushrooms", "onion", "potato",
          "shrimp", "spinach", "strawberries", "sugar", "sweet_potato", "tomato")  # fmt: skip
AICOOK_YAML = ROOT.parent / "shared" / "data" / "aicook_fridge" / "data.yaml"


def _aicook_prefer(cls: str) -> dict:
    """What the food/aicook preset prefers among the products of `cls` (`products.<cls>`)."""
    preset = yaml.safe_load((config_dir() / "render_preset/food/aicook.yaml").read_text())
    return preset["products"][cls]


def test_table_keeps_the_original_fifteen_and_their_traits():
    """The first rows are the old classes in order, with the traits the samplers used before."""
    assert ALL_CLASSES[:15] == FOOD_CLASSES and len(GROCERY_CLASSES) == 30
    assert len(set(ALL_CLASSES)) == len(ALL_CLASSES)
    neutral = {
        "drawer": 0.15,
        "door": False,
        "lie_prob": 0.0,
        "stack_top": False,
        "friction": 0.6,
        "rolls": False,
    }
    old = {
        t: {c for c in FOOD_CLASSES if getattr(CLASS_TABLE[c], t) != v} for t, v in neutral.items()
    }
    assert old["drawer"] == {"apple", "orange", "lemon", "tomato", "banana"}
    assert old["door"] == {"milk_carton", "juice_carton", "water_bottle", "glass_bottle", "jar",
                           "butter_pack", "egg"}  # fmt: skip
    assert {c: CLASS_TABLE[c].lie_prob for c in old["lie_prob"]} == {
        "water_bottle": 0.35, "glass_bottle": 0.35, "can": 0.3, "jar": 0.15}  # fmt: skip
    assert old["stack_top"] == {"yogurt_cup", "can", "cheese_block", "butter_pack"}
    assert {c: CLASS_TABLE[c].friction for c in old["friction"]} == {
        "apple": 0.8, "orange": 0.8, "lemon": 0.8, "tomato": 0.8, "banana": 0.9, "egg": 0.7}  # fmt: skip
    assert old["rolls"] == old["friction"]
    assert class_traits("my_catalog_thing").drawer == 0.15 and not class_traits("x").door


def test_default_draw_is_unchanged():
    """Scenes of the default class list are byte-identical to those before the grocery classes."""
    h = hashlib.sha256()
    for placement in ("rows", "physics"):
        cfg = default_sampler(placement=placement, density=0.5)
        for i in range(4):
            h.update(sample_scene(11, i, cfg).to_json().encode())
    assert h.hexdigest() == "003e789577ea57049e06193523f370ba059be99abc7f3b41f12ec81ef3b2a2ac"


@pytest.mark.parametrize("cls", GROCERY_CLASSES)
def test_params_deterministic_varied_and_plausible(cls):
    """Same seed, same params; other seeds differ; JSON round trip; sizes in metres."""
    a = sample_params(cls, np.random.default_rng(7))
    assert a == sample_food_params(cls, np.random.default_rng(7)) and a["class"] == cls
    assert a != sample_params(cls, np.random.default_rng(8))
    for seed in range(15):
        p = sample_params(cls, np.random.default_rng(seed))
        assert json.loads(json.dumps(p)) == p
        sx, sy, sz = p["size"]
        assert all(0.008 < s < 0.45 for s in p["size"]), (cls, seed, p["size"])
        assert p["footprint"] in ("circle", "box") and isinstance(p["stackable"], bool)
        if p["footprint"] == "circle":
            assert sx == sy
        for q in p.get("pieces", []):  # pieces stay inside the item's box
            assert abs(q["at"][0]) <= sx / 2 + 1e-3 and abs(q["at"][1]) <= sy / 2 + 1e-3
            assert -1e-3 <= q["at"][2] <= sz + 1e-3


def test_class_sets_and_map_cover_the_aicook_classes():
    """The map sends render classes to exactly the 30 real classes; the aicook set is the
    mapped procedural classes (lime instead of the yellow lemons)."""
    if AICOOK_YAML.is_file():
        assert tuple(yaml.safe_load(AICOOK_YAML.read_text())["names"]) == AICOOK
    cmap = load_class_map("aicook")
    assert cmap == load_class_map(config_dir() / "class_maps" / "aicook.yaml")
    assert sorted(set(cmap.values())) == sorted(AICOOK)
    assert set(cmap) <= set(ALL_CLASSES)
    assert set(CLASS_SETS["aicook"]) == set(cmap) - {"lemon"}
    per_real = {}
    for c, w in CLASS_SETS["aicook"].items():
        per_real[cmap[c]] = per_real.get(cmap[c], 0.0) + w
    assert set(per_real.values()) == {1.0}  # every real class gets the same share
    assert tuple(CLASS_SETS["default"]) == FOOD_CLASSES and tuple(CLASS_SETS["all"]) == ALL_CLASSES


def test_bad_class_map_file(tmp_path):
    """A class map that is no flat name -> name mapping is one error naming the file."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("apple: [1, 2]\n")
    with pytest.raises(ValueError, match="bad.yaml"):
        load_class_map(bad)


def test_render_config_class_sets(tmp_path):
    """classes=aicook selects the set with its weights; null stays the default fifteen."""
    from testutils import render_config

    from blender_scenes.config import ConfigError

    default = render_config(tmp_path / "a").sampler
    assert default.classes == FOOD_CLASSES and default.procedural_classes == FOOD_CLASSES
    aicook = render_config(tmp_path / "a", "classes=aicook", "+class_weights.beef=3").sampler
    assert aicook.classes == tuple(CLASS_SETS["aicook"])
    assert aicook.class_weights["egg"] == 0.5 and aicook.class_weights["beef"] == 3.0
    assert set(aicook.procedural_classes) == set(FOOD_CLASSES) | set(CLASS_SETS["aicook"])
    assert render_config(tmp_path / "a", "classes=[beef,can]").sampler.classes == ("beef", "can")
    for override, needle in (
        ("classes=fridge", "unknown class set 'fridge'"),
        ("classes=[beef,unicorn]", "unicorn"),
    ):
        with pytest.raises(ConfigError, match=f"^classes: .*{needle}"):
            render_config(tmp_path / "a", override)


def test_products_weigh_the_brands_of_a_class(tmp_path):
    """`products.<class>` multiplies the weights of named products (the others keep theirs), down
    to the scene sampler; without it the draws are those of before; bad keys fail in one line."""
    from collections import Counter

    from testutils import render_config

    from blender_scenes.config import ConfigError
    from blender_scenes.food.classes import PRODUCT_CLASSES

    def product(cls, i, prefer=None):
        return sample_params(cls, np.random.default_rng(i), prefer).get("label", {}).get("product")

    only_spread = {n: 0 for n in PRODUCT_CLASSES["butter_tub"] if n != "SPREAD"}
    assert {product("butter_tub", i, only_spread) for i in range(40)} == {"SPREAD"}
    assert len({product("butter_tub", i) for i in range(40)}) >= 4
    assert sample_params("chocolate", np.random.default_rng(3), None) == sample_params(
        "chocolate", np.random.default_rng(3)
    )
    more = Counter(product("corn", i, {"MAIS DOUX": 10}) for i in range(200))
    plain = Counter(product("corn", i) for i in range(200))
    assert more["MAIS DOUX"] > 3 * plain["MAIS DOUX"] > 0, (more, plain)
    with pytest.raises(ValueError, match="apple: has no products"):
        sample_params("apple", np.random.default_rng(0), {"RED": 2.0})

    cfg = default_sampler(classes=("butter_tub", "corn"), class_weights={"butter_tub": 1.0, "corn": 1.0},
                          products={"butter_tub": only_spread}, procedural_classes=ALL_CLASSES)  # fmt: skip
    tubs = [o for i in range(4) for o in sample_scene(5, i, cfg).objects if o.cls == "butter_tub"]
    assert tubs and {o.params["label"]["product"] for o in tubs} == {"SPREAD"}

    sampler = render_config(
        tmp_path / "a", "classes=aicook", "products={butter_tub: {SPREAD: 6}}"
    ).sampler
    assert sampler.products == {"butter_tub": {"SPREAD": 6.0}}
    assert render_config(tmp_path / "a").sampler.products == {}
    for override, needle in (
        ("products={apple: {RED: 2}}", "products.apple: not a class with products"),
        ("products={corn: {POPCORN: 2}}", "products.corn.POPCORN: unknown product"),
        ("products={corn: {CORN: -1}}", "products.corn.CORN: expected a weight >= 0"),
        ("products={chocolate: {}}", "products.chocolate: expected a mapping"),
        ("products=[corn]", "products: expected a mapping"),
    ):
        with pytest.raises(ConfigError, match=f"^{needle}"):
            render_config(tmp_path / "a", override)


def test_apple_varieties_are_the_products_of_apple_groups():
    """An apple group's variety is a product of the class: by default red and green as often,
    some yellow, bicoloured and mixed; food/aicook prefers the photos' green apples."""
    import json
    import re
    from collections import Counter

    def variety(p):
        kinds = Counter(re.findall(r'"variety": "(\w+)"', json.dumps(p)))
        return "mixed" if len(kinds) > 1 else next(iter(kinds))

    plain = Counter(
        variety(sample_params("apple_group", np.random.default_rng(i))) for i in range(300)
    )
    assert set(plain) == {"red", "green", "yellow", "bicolor", "mixed"}
    assert 0.2 < plain["green"] / 300 < 0.45 and 0.2 < plain["red"] / 300 < 0.45, plain
    prefer = _aicook_prefer("apple_group")
    aicook = Counter(
        variety(sample_params("apple_group", np.random.default_rng(i), prefer)) for i in range(300)
    )
    assert aicook["green"] > 0.8 * 300, aicook


def test_aicook_scenes_sample_every_kind_of_item():
    """Fridges with the aicook set: reproducible, many classes, produce in the drawers."""
    cfg = default_sampler(classes=tuple(CLASS_SETS["aicook"]), class_weights=dict(CLASS_SETS["aicook"]),
                          placement="physics", density=0.5, procedural_classes=ALL_CLASSES)  # fmt: skip
    assert sample_scene(3, 1, cfg).to_json() == sample_scene(3, 1, cfg).to_json()
    objects = [o for i in range(12) for o in sample_scene(3, i, cfg).objects]
    seen = {o.cls for o in objects}
    assert seen <= set(CLASS_SETS["aicook"]) and len(seen) >= 30, sorted(
        set(CLASS_SETS["aicook"]) - seen
    )
    drawer = [o.cls for o in objects if o.support.startswith("drawer")]
    assert sum(CLASS_TABLE[c].family == "produce" for c in drawer) > 0.7 * len(drawer)
    assert all(
        o.cls not in ("beef", "bread", "flour") for o in objects if o.support.startswith("door")
    )


def test_produce_packs_look_like_the_ones_sold():
    """Apples in a group are mostly of one variety (green as often as red); blueberry punnets
    are mostly clear; every variety and punnet kind still occurs."""
    groups = [sample_params("apple_group", np.random.default_rng(s)) for s in range(200)]
    varieties = [{q["variety"] for q in g["pieces"]} for g in groups]
    one = [v.pop() for v in varieties if len(v) == 1]
    assert len(one) > 0.7 * len(groups)
    assert set(one) == {"red", "green", "yellow", "bicolor"}
    assert one.count("green") > 0.6 * one.count("red")
    punnets = [sample_params("blueberries", np.random.default_rng(s)) for s in range(200)]
    kinds = [p["container"]["material"] for p in punnets]
    assert kinds.count("clear") > 0.45 * len(kinds) and {"green", "blue", "black"} <= set(kinds)
    potatoes = [sample_params("potato", np.random.default_rng(s)) for s in range(200)]
    tubs = [p for p in potatoes if p["container"]["kind"] == "tub"]
    assert len(tubs) > 0.7 * len(potatoes)  # as sold: a clear tub heaped with them
    assert {p["container"]["kind"] for p in potatoes} == {"tub", "net", "loose"}
    assert np.median([len(p["pieces"]) for p in tubs]) >= 8
    heap = [max(q["at"][2] + q["size"][2] / 2 for q in p["pieces"]) / p["container"]["height"]
            for p in tubs]  # fmt: skip
    assert np.median(heap) > 1.0  # the heap's top stands above the rim


def test_flour_is_mostly_in_white_bags_or_part_used_jars():
    """Flour bags are mostly white with a sparse print (a light label ground); flour jars are
    mostly clip-top and often nearly used up."""
    flour = [sample_params("flour", np.random.default_rng(s)) for s in range(300)]
    bags = [p for p in flour if p["style"] == "bag"]
    jars = [p for p in flour if p["style"] == "jar"]
    plain = [p for p in bags if p["label"]["background"] == 1]
    assert 0.6 * len(bags) < len(plain) < 0.95 * len(bags), (len(plain), len(bags))
    sparse = [p for p in plain if p["label"]["pattern"] in ("plain", "bands", "waves")]
    assert len(sparse) > 0.75 * len(plain)
    assert 0.35 * len(flour) < len(jars) < 0.65 * len(flour)
    assert sum(p["lid"] == "clip" for p in jars) > 0.7 * len(jars)
    fills = [p["fill"] for p in jars]
    assert min(fills) >= 0.05 and max(fills) <= 0.5
    assert sum(f < 0.25 for f in fills) > 0.3 * len(jars)
    assert not any(p["top_color"] for p in bags)  # a white folded top: sugar's is coloured


def test_sugar_bags_have_a_coloured_top_and_sugar_jars_are_full(collection):
    """Sugar bags are mostly white-grounded under a folded top printed solid in the brand
    colour (red for the photos' bag, which food/aicook prefers), drawn in that colour by the
    bag builder; sugar jars are mostly screw-topped and nearly full (flour's nearly empty)."""
    prefer = _aicook_prefer("sugar")
    sugar = [sample_params("sugar", np.random.default_rng(s), prefer) for s in range(300)]
    bags = [p for p in sugar if p["style"] == "bag"]
    jars = [p for p in sugar if p["style"] == "jar"]
    assert 0.4 * len(sugar) < len(bags) < 0.6 * len(sugar) and len(jars) > 0.3 * len(sugar)
    topped = [p for p in bags if p["top_color"]]
    assert 0.7 * len(bags) < len(topped) < 0.95 * len(bags)
    assert 0.7 * len(bags) < sum(p["label"]["background"] == 1 for p in bags) < 0.95 * len(bags)
    red = [p for p in topped if p["top_color"][0] > 0.7 and max(p["top_color"][1:]) < 0.3]
    assert 0.35 * len(topped) < len(red) < 0.7 * len(topped)
    assert sum(p["lid"] == "screw" for p in jars) > 0.6 * len(jars)
    assert min(p["fill"] for p in jars) >= 0.65
    flour = [sample_params("flour", np.random.default_rng(s)) for s in range(100)]
    assert max(p["fill"] for p in flour if p["style"] == "jar") < 0.55
    from blender_scenes.food.build import build_food

    bag = next(p for p in topped if not p["open"])
    me = build_food("sugar", bag, "sugar.0", collection).data
    names = [m.name.rsplit(".", 1)[-1] for m in me.materials]
    top = names.index("top")
    assert np.allclose(me.materials[top].diffuse_color[:3], bag["top_color"], atol=1e-4)
    me.calc_loop_triangles()
    z = np.array([[me.vertices[v].co.z for v in t.vertices] for t in me.loop_triangles])
    topped_z = z[[t.material_index == top for t in me.loop_triangles]]
    assert topped_z.min() > 0.6 * bag["size"][2]  # only the folded top is the brand colour
    assert z.max() == pytest.approx(topped_z.max())


def _front_and_back_us(me, material: str) -> tuple[np.ndarray, np.ndarray]:
    """The UV u of every corner of the faces of `material` that face the front (-Y) and the
    back (+Y) of a built item."""
    names = [m.name.rsplit(".", 1)[-1] for m in me.materials]
    slot, uv = names.index(material), me.uv_layers.active.data
    us = {-1: [], 1: []}
    for f in me.polygons:
        if f.material_index == slot and abs(f.normal.y) > 0.95:
            us[int(np.sign(f.normal.y))] += [uv[k].uv[0] for k in f.loop_indices]
    return np.array(us[-1]), np.array(us[1])


def test_the_photos_sugar_and_flour_bags_are_white_with_orange_print_on_their_fronts(collection):
    """The photos' sugar (GRANULATED) and flour (FARINE DE BLE) are one store brand's white
    paper bags printed with orange small print on both wide faces (label front "text"), the
    sugar closed under a red folded top, the flour mostly rolled down and open; food/aicook
    prefers both. The print's front panel lands on the bag's front face: a wrap on a rounded
    outline starts at the left end of its front edge (it once started at the right side, so
    fronts, and tubs' oval badges, were printed round the corner)."""
    from blender_scenes.food.build import build_food
    from blender_scenes.food.grocery_params import FLOUR_BAG, PANTRY_INK, SUGAR_BAG
    from blender_scenes.food.label_art import draw_label

    sugar = [sample_params("sugar", np.random.default_rng(s), _aicook_prefer("sugar"))
             for s in range(200)]  # fmt: skip
    flour = [sample_params("flour", np.random.default_rng(s), _aicook_prefer("flour"))
             for s in range(200)]  # fmt: skip
    sugar_store = [p for p in sugar if p.get("label", {}).get("front") == "text"]
    flour_store = [p for p in flour if p.get("label", {}).get("front") == "text"]
    store = sugar_store + flour_store
    assert {p["label"]["product"] for p in sugar_store} == {SUGAR_BAG}
    assert {p["label"]["product"] for p in flour_store} == {FLOUR_BAG}
    assert len(sugar_store) > 0.4 * sum(p["style"] == "bag" for p in sugar)
    assert len(flour_store) > 0.4 * sum(p["style"] == "bag" for p in flour)
    for p in store:
        assert p["label"]["background"] == 1 and min(p["paper"]) > 0.9
        assert np.allclose(p["label"]["palette"][1], PANTRY_INK, atol=0.08)
    assert all(not p["open"] and p["top_color"][0] > 0.7 > max(p["top_color"][1:]) + 0.3
               for p in sugar_store)  # fmt: skip
    assert 0.55 * len(flour_store) < sum(p["open"] for p in flour_store) < 0.85 * len(flour_store)
    plain = [sample_params("flour", np.random.default_rng(s)) for s in range(200)]
    assert sum(p.get("label", {}).get("front") == "text" for p in plain) < 0.15 * len(plain)

    bag = sugar_store[0]
    img = np.asarray(draw_label(bag["label"], 1024, 512), float) / 255
    ink = np.array(PANTRY_INK)
    front_w = int(1024 * bag["label"]["panels"][0])
    front = img[int(512 * 0.2) :, :front_w].reshape(-1, 3)
    orange = np.linalg.norm(front - ink, axis=1) < 0.15
    assert 0.03 < orange.mean() < 0.4 and (front.min(axis=1) > 0.85).mean() > 0.4
    me = build_food("sugar", bag, "sugar.store", collection).data
    u_front, u_back = _front_and_back_us(me, "print")
    p0, p1, p2 = bag["label"]["panels"][:3]
    assert len(u_front) and u_front.min() >= -1e-4 and u_front.max() <= p0 + 0.02
    assert len(u_back) and u_back.min() >= p0 + p1 - 0.02 and u_back.max() <= p0 + p1 + p2 + 0.02
    tub = next(p for s in range(50)
               if (p := sample_params("butter_tub", np.random.default_rng(s)))["label"].get("panels"))  # fmt: skip
    u_front, _ = _front_and_back_us(
        build_food("butter_tub", tub, "tub.0", collection).data, "sleeve"
    )
    assert len(u_front) and u_front.max() <= tub["label"]["panels"][0] + 0.02


def test_goat_cheese_is_mostly_a_wide_tub_with_an_oval_badge():
    """Goat cheese is mostly a square tub wider than deep and than tall; on most tubs both long
    sides of the white sleeve carry an oval badge in the brand colour with light lettering (the
    photos' dark green one, which food/aicook prefers)."""
    from blender_scenes.food.label_art import draw_label

    prefer = _aicook_prefer("goat_cheese")
    packs = [sample_params("goat_cheese", np.random.default_rng(s), prefer) for s in range(300)]
    tubs = [p for p in packs if p["style"] == "tub"]
    assert len(tubs) > 0.6 * len(packs) and {p["style"] for p in packs} == {"tub", "log", "round"}
    square = [p for p in tubs if p["square"]]
    assert len(square) > 0.75 * len(tubs)
    assert all(p["size"][0] > p["size"][1] and p["size"][0] > p["size"][2] for p in square)
    ovals = [p for p in tubs if p["label"].get("oval")]
    assert 0.45 * len(tubs) < len(ovals) < 0.75 * len(tubs)
    dark = [p for p in ovals if p["label"]["product"] == "CHEVRE DOUX"]
    assert len(dark) > 0.35 * len(ovals)
    p = dark[0]
    img = np.asarray(draw_label(p["label"], 1000, 120), dtype=float)
    sx, sy = p["size"][:2]
    front = img[
        30:90, int(1000 * sx / (2 * (sx + sy)) / 2) - 5 : int(1000 * sx / (2 * (sx + sy)) / 2) + 5
    ]
    back_x = int(1000 * (sx + sy + sx / 2) / (2 * (sx + sy)))
    back = img[30:90, back_x - 5 : back_x + 5]
    for side in (front, back):  # the badge, dark green, where the middle of each long side is
        g = side.reshape(-1, 3)
        assert (g.max(axis=1) < 90).mean() > 0.3 and (g[:, 1] > g[:, 0]).mean() > 0.8
    ground = img[5:25, :].reshape(-1, 3)  # above the badge: the light sleeve
    assert np.median(ground.min(axis=1)) > 180


def test_meat_sits_in_deep_black_trays_and_eggs_stand_in_holders():
    """Meat trays are mostly black and deep, with mince heaped to the rim or above it, and meat
    is not stacked on other items; eggs also come standing in a lidless, low white holder."""
    meat = ("beef", "ground_beef", "chicken", "chicken_breast")
    trays = [sample_params(c, np.random.default_rng(s))["tray"] for c in meat for s in range(100)]
    trays = [t for t in trays if t is not None]  # a whole chicken may be bagged, no tray
    assert sum(t["material"] == "black" for t in trays) > 0.7 * len(trays)
    assert min(t["size"][2] for t in trays) >= 0.025
    mince = [sample_params("ground_beef", np.random.default_rng(s)) for s in range(100)]
    heaped = [p for p in mince if p["pieces"][0]["size"][2] + 0.004 >= p["tray"]["size"][2]]
    assert len(heaped) > 0.6 * len(mince)
    assert not any(class_traits(c).stack_top for c in meat)
    assert not any(sample_params(c, np.random.default_rng(0))["stackable"] for c in meat)
    eggs = [sample_params("eggs", np.random.default_rng(s)) for s in range(200)]
    holders = [p for p in eggs if p["style"] == "holder"]
    assert 0.4 * len(eggs) < len(holders) < 0.7 * len(eggs)  # as all the photos' eggs stand
    shells = [q["shell_color"] for p in eggs for q in p["pieces"]]
    brown = [c for c in shells if c[0] - c[2] > 0.2]
    assert 0.75 * len(shells) < len(brown) < len(shells)  # mostly brown, some white
    for p in holders:
        assert "lid_open" not in p["carton"] and p["carton"]["base_height"] <= 0.02
        assert len(p["pieces"]) >= p["carton"]["rows"] * p["carton"]["cols"] - 1
        assert p["size"][2] > 0.05  # eggs stand upright
    assert {p["style"] for p in eggs} == {"loose", "open", "closed", "holder"}
    prefer = _aicook_prefer("eggs")  # the photos keep all their eggs in the door's holder
    kept = [sample_params("eggs", np.random.default_rng(s), prefer)["style"] for s in range(200)]
    assert kept.count("holder") > 0.8 * len(kept)


def test_chicken_breasts_lie_along_the_tray_filling_it():
    """Chicken breast is mostly two or three big fillets lying along the tray side by side,
    filling it from wall to wall and up to its rim, inside its walls, under a plain sticker."""
    packs = [sample_params("chicken_breast", np.random.default_rng(s)) for s in range(200)]
    assert all(p["sticker"].get("plain") for p in packs)
    big = [p for p in packs if len(p["pieces"]) <= 3]
    assert 0.65 * len(packs) < len(big) < 0.85 * len(packs)
    for p in packs:
        sx, sy, depth = p["tray"]["size"]
        lo, hi = (
            np.min([piece_box(q)[0] for q in p["pieces"]], 0),
            np.max([piece_box(q)[1] for q in p["pieces"]], 0),
        )
        assert hi[0] < sx / 2 and lo[0] > -sx / 2 and hi[1] < sy / 2 and lo[1] > -sy / 2
        if p in big:
            assert hi[1] - lo[1] > 0.7 * sy and hi[0] - lo[0] > 0.7 * sx  # fills the tray
            assert hi[2] > 0.8 * depth
            assert all(q["size"][0] > 2 * q["size"][1] for q in p["pieces"])  # along the tray


def piece_box(q: dict) -> tuple[np.ndarray, np.ndarray]:
    """A placed piece's axis-aligned box (its turn about Z only)."""
    a = np.radians(q["rot"][2])
    c, s_ = abs(np.cos(a)), abs(np.sin(a))
    w, d, h = q["size"]
    half = np.array([w * c + d * s_, w * s_ + d * c, h]) / 2
    return np.asarray(q["at"]) - half, np.asarray(q["at"]) + half


def test_shrimp_mostly_fill_deep_clear_tubs():
    """Shrimp come mostly as a deep clear tub heaped to the lid with small brown ones (the
    photos' shrimp); prawns laid in a low tray remain."""
    packs = [sample_params("shrimp", np.random.default_rng(s)) for s in range(200)]
    tubs = [p for p in packs if p.get("style") == "tub"]
    assert 0.5 * len(packs) < len(tubs) < 0.8 * len(packs)
    assert all(p["tray"]["material"] == "clear" and p["tray"]["size"][2] >= 0.05 for p in tubs)
    shrimp = [[q for q in p["pieces"] if q["kind"] == "shrimp"] for p in tubs]
    assert np.median([len(s) for s in shrimp]) >= 60
    assert max(q["size"][0] for s in shrimp for q in s) < 0.033  # small ones
    heap = [max(q["at"][2] + q["size"][2] / 2 for q in s) / p["tray"]["size"][2]
            for s, p in zip(shrimp, tubs, strict=True)]  # fmt: skip
    assert np.median(heap) > 0.85  # filled to the lid
    assert sum(q["kind"] == "shrimp_heap" for p in tubs for q in p["pieces"]) > 0.9 * len(tubs)
    brown = [p for p in tubs if p["meat"]["shell"][0] - p["meat"]["shell"][2] > 0.35]
    assert len(brown) > 0.45 * len(tubs)
    trays = [p for p in packs if p.get("style") != "tub"]
    assert trays and min(q["size"][0] for p in trays for q in p["pieces"]) >= 0.035


def test_green_beans_mostly_fill_bags_with_thin_ones():
    """Green beans come mostly as a full clear bag of 80-109 thin ones heaped every which way,
    higher in the middle (the photos' bags are stuffed); loose bundles stay tidier and fewer."""
    packs = [sample_params("green_beans", np.random.default_rng(s)) for s in range(200)]
    bags = [p for p in packs if "bag" in p]
    assert 0.75 * len(packs) < len(bags) < len(packs)
    assert min(len(p["pieces"]) for p in bags) >= 80
    assert np.median([p["size"][2] / p["size"][0] for p in bags]) > 0.3
    low = [abs(q["at"][1]) for p in bags for q in p["pieces"] if q["at"][2] < 0.3 * p["size"][2]]
    high = [abs(q["at"][1]) for p in bags for q in p["pieces"] if q["at"][2] > 0.5 * p["size"][2]]
    assert np.mean(high) < 0.85 * np.mean(low)  # a heap, not a stack of even layers
    assert max(q["size"][1] for p in bags for q in p["pieces"]) <= 0.007
    turns = [abs(q["rot"][2]) for p in bags for q in p["pieces"]]
    assert np.percentile(turns, 90) > 15  # not all parallel
    assert all(p["bag"]["header"] <= 0.12 for p in bags)  # a printed strip at the seal, no more
    loose = [p for p in packs if "bag" not in p]
    assert loose and max(len(p["pieces"]) for p in loose) < 18


def test_the_photos_mushrooms_heap_in_a_clear_tub():
    """food/aicook prefers the photos' mushrooms: 14-21 white buttons heaped two high in an
    open clear tub, above its rim; without the preference the punnets are drawn as before."""
    prefer = _aicook_prefer("mushrooms")
    packs = [sample_params("mushrooms", np.random.default_rng(s), prefer) for s in range(200)]
    tubs = [p for p in packs if p["container"]["kind"] == "tub"]
    assert 0.75 * len(packs) < len(tubs) < 0.95 * len(packs)
    for p in tubs:
        assert 14 <= len(p["pieces"]) < 22 and p["container"]["clear"]
        assert p["size"][2] > p["container"]["height"]  # heaped over the rim
        assert min(min(c) for c in p["colors"]) > 0.75  # white buttons
    assert np.median([p["size"][2] - p["container"]["height"] for p in tubs]) > 0.01
    plain = [sample_params("mushrooms", np.random.default_rng(s)) for s in range(100)]
    assert not any(p["container"]["kind"] == "tub" for p in plain)


def test_the_photos_bread_is_slices_stacked_under_cling_film(collection):
    """food/aicook prefers the photos' bread: five to nine thin square slices of white
    sandwich bread in a loose stack, most about half again as wide as high, wrapped tight in
    clear film that holds every slice; without the preference no stacks are drawn."""
    from blender_scenes.food.build import build_food

    packs = [sample_params("bread", np.random.default_rng(s), _aicook_prefer("bread"))
             for s in range(200)]  # fmt: skip
    stacks = [p for p in packs if p["style"] == "stack"]
    assert 0.7 * len(packs) < len(stacks) < 0.9 * len(packs)
    for p in stacks:
        assert 5 <= len(p["slices"]) <= 9 and min(p["colors"]["crumb"]) > 0.6
    assert np.median([p["size"][0] / p["size"][2] for p in stacks]) > 1.4
    plain = [sample_params("bread", np.random.default_rng(s)) for s in range(100)]
    assert not any(p["style"] == "stack" for p in plain)
    p = stacks[0]
    me = build_food("bread", p, "bread.0", collection).data
    names = [m.name.split(".", 2)[-1] for m in me.materials]
    co = np.array([v.co[:] for v in me.vertices])
    film = names.index("film")
    on_film = sorted({v for f in me.polygons if f.material_index == film for v in f.vertices})
    lo, hi = co[on_film].min(axis=0), co[on_film].max(axis=0)
    assert np.allclose(hi - lo, p["size"], atol=1e-4)  # the film is the outside ...
    assert (co >= lo - 1e-6).all() and (co <= hi + 1e-6).all()  # ... and holds every slice


def test_sweet_potatoes_are_mostly_short_fat_and_lumpy():
    """Most sweet potatoes are short, fat and lumpy like the photos' (about twice as long as
    wide); the rest long and tapered; one to four together."""
    packs = [sample_params("sweet_potato", np.random.default_rng(s)) for s in range(200)]
    ratios = [q["size"][0] / q["size"][1] for p in packs for q in p["pieces"]]
    assert 0.45 < np.mean(np.array(ratios) < 2.3) < 0.75
    assert max(len(p["pieces"]) for p in packs) <= 4
    fat = [q for p in packs for q in p["pieces"] if q["size"][0] / q["size"][1] < 2.3]
    assert np.median([q["lumps"] for q in fat]) > 0.07


def test_spinach_is_a_clear_bag_of_loose_leaves_that_stay_inside_it(collection):
    """Spinach is a puffy clear bag of 55-79 loose leaves turned every which way (the photos'
    spinach shows its leaves through the film, where the bag once held one smooth green block),
    under a narrow printed strip; every leaf lies inside the bag, so the built film spans the
    item's whole box and the leaves make most of its faces."""
    from blender_scenes.food.build import build_food
    from blender_scenes.food.grocery_params import piece_points

    packs = [sample_params("spinach", np.random.default_rng(s)) for s in range(60)]
    for p in packs:
        sx, sy, sz = p["size"]
        assert 0.08 <= sz <= 0.13 and p["header"] <= 0.14
        assert 55 <= len(p["pieces"]) < 80 and {q["kind"] for q in p["pieces"]} == {"leaf"}
        pts = np.vstack([piece_points(q) for q in p["pieces"]])
        assert (np.abs(pts[:, 0]) <= sx / 2).all() and (np.abs(pts[:, 1]) <= sy / 2).all()
        assert pts[:, 2].min() >= 0 and pts[:, 2].max() <= sz
    tilts = [abs(q["rot"][0]) for p in packs for q in p["pieces"]]
    assert np.percentile(tilts, 75) > 15  # leaves lie every which way, not stacked flat
    p = packs[0]
    me = build_food("spinach", p, "spinach.0", collection).data
    names = [m.name.split(".", 2)[-1] for m in me.materials]
    assert {"m0.leaf", "m1.leaf", "m2.leaf", "film", "header", "leaves"} <= set(names)
    co = np.array([v.co[:] for v in me.vertices])
    film = {names.index("film"), names.index("header")}
    on_film = sorted({v for f in me.polygons if f.material_index in film for v in f.vertices})
    lo, hi = co[on_film].min(axis=0), co[on_film].max(axis=0)
    assert np.allclose(hi - lo, p["size"], atol=1e-4)  # the film is the outside: nothing pokes out
    leafy = [f for f in me.polygons if names[f.material_index].endswith("leaf")]
    assert len(leafy) > 0.5 * len(me.polygons)


def test_pillow_top_is_where_the_built_film_is():
    """`profiles.pillow_top`, which the spinach sampler asks for room under the film, gives the
    height of every vertex on the upper half of a built pillow bag."""
    from blender_scenes.food.mesh import MeshBuilder, pillow
    from blender_scenes.food.profiles import pillow_top

    length, width, height, seal = 0.24, 0.17, 0.1, 0.12
    b = MeshBuilder("pillow")
    pillow(b, length, width, height, 0, seal, 16, 18, flat_ends=0.12)
    pts = np.array([v.co[:] for v in b.bm.verts])
    b.bm.free()
    x, y, z = pts.T
    inside = (np.abs(x) < length / 2 - 1e-6) & (np.abs(y) < 0.9 * width / 2)
    upper = inside & (z > height * 0.06 + 1e-6) & (z >= np.median(z))
    assert upper.sum() > 50
    top = pillow_top(x[upper], y[upper], length, width, height, seal, 0.12)
    np.testing.assert_allclose(z[upper], top, atol=1e-5)


def test_banana_hands_lie_palm_down_curving_up(collection):
    """A hand of bananas lies palm down: every banana rolled about 90 degrees so that it curves
    up from the shelf to its tips (the photos' hands; they once lay curved flat on the shelf,
    a thin stripe from the front), side by side from one crown; food/aicook draws hands rather
    than single bananas."""
    from blender_scenes.food.mesh import MeshBuilder, place
    from blender_scenes.food.pieces import PIECES

    hands = [sample_params("banana_bunch", np.random.default_rng(s)) for s in range(100)]
    rolls = [q["rot"][0] for p in hands for q in p["pieces"]]
    assert {q["kind"] for p in hands for q in p["pieces"]} == {"banana"}
    assert min(rolls) >= 78 and max(rolls) <= 102
    for p in hands:
        w, d, h = p["size"]
        thick = max(q["thickness"] for q in p["pieces"])
        assert h > 1.4 * thick  # curved up, not lying flat
    p = hands[0]
    q = p["pieces"][0]
    b = MeshBuilder("banana")
    place(b, PIECES["banana"], q, p)
    pts = np.array([v.co[:] for v in b.bm.verts])
    b.bm.free()
    along = (pts[:, :2] - q["at"][:2]) @ np.array(
        [np.cos(np.radians(q["rot"][2])), np.sin(np.radians(q["rot"][2]))]
    )
    tips, middle = np.abs(along) > 0.4 * q["size"][0], np.abs(along) < 0.1 * q["size"][0]
    assert pts[tips, 2].mean() > pts[middle, 2].mean() + 0.5 * q["thickness"]
    weights = yaml.safe_load((config_dir() / "render_preset/food/aicook.yaml").read_text())
    assert weights["class_weights"]["banana_bunch"] > 3 * weights["class_weights"]["banana"]


def test_cheese_is_mostly_bare_segments_of_black_waxed_wheels():
    """Half the cheese packs are a bare segment of a waxed wheel (the photos' cheese), mostly
    black-rinded, lying on its rind or standing on a cut face, sized as a wheel's segment; the
    food/aicook preset makes cheese twice as common as a plain class."""
    packs = [sample_params("cheese_pack", np.random.default_rng(s)) for s in range(300)]
    waxed = [p for p in packs if p["style"] == "waxed"]
    assert 0.4 * len(packs) < len(waxed) < 0.65 * len(packs)
    assert {p["style"] for p in packs} == {"film", "paper", "slices", "waxed"}
    black = [p for p in waxed if max(p["rind_color"]) < 0.2]
    assert 0.6 * len(waxed) < len(black) < 0.9 * len(waxed)
    assert {p["pose"] for p in waxed} == {"flat", "standing"}
    for p in waxed:
        r, a, h = p["radius"], p["angle"], p["thickness"]
        chord = 2 * r * np.sin(a / 2) if p["pose"] == "flat" else r * np.sin(a)
        want = [r, chord, h] if p["pose"] == "flat" else [r, h, chord]
        assert np.allclose(p["size"], want, atol=1e-4) and 0.45 <= a <= 1.05
        assert p["color"][0] > 0.85 and p["color"][2] < 0.65  # yellow paste
    preset = yaml.safe_load((config_dir() / "render_preset/food/aicook.yaml").read_text())
    assert preset["class_weights"]["cheese_pack"] + preset["class_weights"]["cheese_block"] == 2.0


def test_beef_is_mostly_orange_red_mince_level_with_its_tray():
    """Half the beef packs are coarse mince pressed level with the rim of the tray, an orange-red
    rather than the pink of ground beef (heaped, as on the photos), under a plain white sticker."""
    from blender_scenes.food.label_art import draw_label

    packs = [sample_params("beef", np.random.default_rng(s)) for s in range(200)]
    mince = [p for p in packs if p["cut"] == "mince"]
    assert 0.4 * len(packs) < len(mince) < 0.65 * len(packs)
    assert {p["cut"] for p in packs} == {"steak", "diced", "joint", "mince"}
    for p in mince:
        (q,) = p["pieces"]
        assert q["kind"] == "mince" and not q["strands"]
        assert abs(q["size"][2] + 0.004 - p["tray"]["size"][2]) <= 0.0081  # level with the rim
        assert q["size"][0] > 0.85 * p["tray"]["size"][0] - 0.01  # fills the tray
    ground = [sample_params("ground_beef", np.random.default_rng(s)) for s in range(100)]
    lean = np.array([p["meat"]["lean"] for p in mince])
    pink = np.array([p["meat"]["lean"] for p in ground])
    assert lean[:, 0].mean() > 0.8 * pink[:, 0].mean()  # as bright a red
    assert (lean[:, 2] / lean[:, 0]).mean() < 0.4 * (pink[:, 2] / pink[:, 0]).mean()  # not pink
    assert all(p["sticker"].get("plain") for p in mince)
    assert not any(p["sticker"].get("plain") for p in packs if p["cut"] != "mince")
    for p in (mince[0], next(p for p in packs if p["cut"] != "mince")):
        img = np.asarray(draw_label(p["sticker"], 200, 150), dtype=float)
        chroma = img.max(axis=2) - img.min(axis=2)  # 0 for white and greys
        assert (
            (chroma < 12).mean() > 0.99 if p["sticker"].get("plain") else (chroma > 60).mean() > 0.1
        )


def test_the_photos_corn_tin_is_squat_brown_and_shows_kernels():
    """food/aicook prefers the photos' sweet-corn tin: squat, a dark brown wrap with a ruled
    yellow-orange top band and kernels pictured at the foot of its front."""
    from blender_scenes.food.grocery_params import CORN_TIN
    from blender_scenes.food.label_art import draw_label

    prefer = _aicook_prefer("corn")
    tins = [p for s in range(300)
            if (p := sample_params("corn", np.random.default_rng(s), prefer))["style"] == "tin"]  # fmt: skip
    ours = [p for p in tins if p["label"]["product"] == CORN_TIN]
    assert 0.35 * len(tins) < len(ours) < 0.65 * len(tins)
    for p in ours:
        assert p["size"][2] < p["size"][0] and p["label"]["picture"] == "kernels"
    assert all(p["size"][2] > p["size"][0] for p in tins if p not in ours)  # other tins stay tall
    img = np.asarray(draw_label(ours[0]["label"], 512, 160)).astype(int)
    band = img[: int(160 * ours[0]["label"]["top_band"]) - 4]
    assert np.mean(band[..., 0] - band[..., 2] > 120) > 0.7  # yellow-orange top
    foot = img[110:, 160:350]
    yellow = (foot[..., 0] > 200) & (foot[..., 1] > 150) & (foot[..., 2] < 90)
    assert yellow.mean() > 0.15  # kernels
    plain = dict(ours[0]["label"])
    del plain["picture"]
    foot = np.asarray(draw_label(plain, 512, 160)).astype(int)[110:, 160:350]
    assert (
        (foot[..., 0] > 200) & (foot[..., 1] > 150) & (foot[..., 2] < 90)
    ).mean() < yellow.mean() / 4


def test_onions_mostly_heap_in_clear_tubs_and_heaps_nestle():
    """Onions come mostly as a heap of nine to fourteen golden-brown bulbs in a clear,
    colourless tub, three across and two deep with a second layer over them that rises above the
    rim (as the photos' onions), round (a little wider than tall) with a thin neck; the second
    layer of any heap in a tub lies over the gaps between the first layer's pieces, not on top
    of one."""
    from blender_scenes.food.grocery_params import grid_slots
    from blender_scenes.food.mesh import MeshBuilder
    from blender_scenes.food.pieces import onion_piece

    packs = [sample_params("onion", np.random.default_rng(s)) for s in range(200)]
    tubs = [p for p in packs if p["container"]["kind"] == "tub"]
    assert 0.75 * len(packs) < len(tubs) < 0.95 * len(packs)
    assert all(9 <= len(p["pieces"]) <= 14 for p in tubs)
    firsts = [[q for q in p["pieces"] if q["at"][2] < q["size"][2]] for p in tubs]
    assert np.median([len(low) for low in firsts]) >= 6  # mostly three across, two deep
    for p, low in zip(tubs, firsts, strict=True):
        xs = [q["at"][0] for q in low]
        assert len(low) >= 4 and max(xs) - min(xs) > p["container"]["inner"][0] / 3
        assert len(p["pieces"]) - len(low) >= 3  # heaped two high
        top = max(q["at"][2] + q["size"][2] / 2 for q in p["pieces"])
        assert top > p["container"]["height"]  # over the rim
        col = p["container"]["color"]
        assert min(col) > 0.92 and max(col) - min(col) < 0.05  # clear, not a blue-grey
    golden = [p for p in packs if p["onion"] == "golden"]
    assert 0.7 * len(packs) < len(golden) < 0.85 * len(packs)
    skin = np.array([c for p in golden for c in p["colors"]])
    assert (skin[:, 2] < 0.25 * skin[:, 0]).all() and (skin[:, 1] < 0.6 * skin[:, 0]).all()
    bulbs = [q for p in packs for q in p["pieces"]]
    assert all(
        0.8 * q["size"][0] - 1e-4 <= q["size"][2] <= 0.95 * q["size"][0] + 1e-4 for q in bulbs
    )
    b = MeshBuilder("onion")
    onion_piece(b, tubs[0]["pieces"][0], tubs[0])
    pts = np.array([v.co[:] for v in b.bm.verts])
    b.bm.free()
    radius, z = np.hypot(pts[:, 0], pts[:, 1]), pts[:, 2] - pts[:, 2].min()
    assert radius.max() == pytest.approx(0.5, abs=0.01)
    assert radius[z > 0.85 * z.max()].max() < 0.08  # a thin neck, not a tapering teardrop
    spots = grid_slots(np.random.default_rng(0), 3, (0.2, 0.1), 0.1, wobble=0.0)
    (x0, y0, _), (x1, y1, _), (x, y, layer) = sorted(spots, key=lambda s: s[2])
    assert layer == 1 and np.isclose(x, (x0 + x1) / 2) and np.isclose(y, (y0 + y1) / 2)


def test_cheese_segment_mesh_has_rind_and_cut_faces(collection):
    """A waxed segment builds closed and fills its box, in both poses; paste covers exactly its
    two cut faces (2 x radius x thickness), the rind the rest (sectors and arc)."""
    from blender_scenes.food.build import build_food

    seen = set()
    for seed in range(60):
        p = sample_params("cheese_pack", np.random.default_rng(seed))
        if p["style"] != "waxed" or p["pose"] in seen:
            continue
        seen.add(p["pose"])
        ob = build_food("cheese_pack", p, f"cheese.{seed}", collection)
        assert_closed_and_fills(ob, p["size"])
        area: dict[str, float] = {}
        for f in ob.data.polygons:
            key = ob.data.materials[f.material_index].name.rsplit(".", 1)[-1]
            area[key] = area.get(key, 0.0) + f.area
        r, a, h = p["radius"], p["angle"], p["thickness"]
        assert area["cheese"] == pytest.approx(2 * r * h, rel=0.03)
        arc = 8 * 2 * r * np.sin(a / 16)  # the arc as built: 8 chords
        assert area["rind"] == pytest.approx(arc * h + 2 * 0.5 * r * arc * np.cos(a / 16), rel=0.03)
    assert seen == {"flat", "standing"}


def test_coco_categories_keep_ids():
    """Default batches list the fifteen classes; any grocery class brings all of them, fixed ids."""
    from blender_scenes.annotate import coco_categories

    assert [c["name"] for c in coco_categories({"can"})] == list(FOOD_CLASSES)
    cats = coco_categories({"beef", "ketchup"})
    assert [c["name"] for c in cats] == [*ALL_CLASSES, "ketchup"]
    assert [c["id"] for c in cats] == list(range(1, len(ALL_CLASSES) + 2))


# --------------------------------------------------------------------------------------------
# Blender


@pytest.fixture
def collection():
    """A fresh, empty Blender file with one collection to build into."""
    bpy = pytest.importorskip("bpy")
    bpy.ops.wm.read_factory_settings(use_empty=True)
    coll = bpy.data.collections.new("food")
    bpy.context.scene.collection.children.link(coll)
    return coll


def assert_closed_and_fills(ob, size: list[float]) -> None:
    """The object's mesh has no open edge and its bounding box is `size` (to 2 mm)."""
    import bmesh

    co = np.array([v.co[:] for v in ob.data.vertices])
    assert np.allclose(co.max(axis=0) - co.min(axis=0), size, atol=0.002)
    bm = bmesh.new()
    bm.from_mesh(ob.data)
    assert sum(1 for e in bm.edges if len(e.link_faces) < 2) == 0
    bm.free()


def test_every_class_has_a_builder():
    """Table, samplers and builders agree on the class names."""
    pytest.importorskip("bpy")
    from blender_scenes.food.build import BUILDERS

    assert list(BUILDERS) == list(ALL_CLASSES)  # the table's order: FOOD_CLASSES, then the rest
    assert set(ALL_CLASSES) == set(FOOD_CLASSES) | set(GROCERY_CLASSES)


@pytest.mark.parametrize("cls", GROCERY_CLASSES)
def test_grocery_meshes_are_closed_and_fill_their_box(collection, cls, monkeypatch):
    """Three seeds per class: one closed mesh object of the sampled size (built unstretched),
    bottom at z = 0, centred, every material slot filled."""
    import bmesh

    from blender_scenes.food.build import build_food
    from blender_scenes.food.mesh import MeshBuilder

    stretch = []
    finish = MeshBuilder.finish

    def measuring(self, size, coll):
        co = np.array([v.co[:] for v in self.bm.verts])
        stretch.append(np.asarray(size) / (co.max(axis=0) - co.min(axis=0)))
        return finish(self, size, coll)

    monkeypatch.setattr(MeshBuilder, "finish", measuring)
    for seed in range(3):
        p = sample_params(cls, np.random.default_rng(seed))
        ob = build_food(cls, p, f"{cls}.{seed}", collection)
        me = ob.data
        co = np.array([v.co[:] for v in me.vertices])
        lo, hi = co.min(axis=0), co.max(axis=0)
        assert np.allclose(hi - lo, p["size"], atol=0.002) and abs(lo[2]) < 1e-3
        assert np.allclose((lo[:2] + hi[:2]) / 2, 0, atol=1e-3)
        assert len(me.materials) >= 1 and all(me.materials)
        me.calc_loop_triangles()
        assert 8 <= len(me.loop_triangles) < 12000
        bm = bmesh.new()
        bm.from_mesh(me)
        open_edges = sum(1 for e in bm.edges if len(e.link_faces) < 2)
        bm.free()
        assert open_edges == 0, (cls, seed, open_edges)
        assert ob["food_class"] == cls
    assert np.all(np.abs(np.array(stretch) - 1) < 0.12), (cls, np.round(stretch, 2))


def test_egg_holder_mesh_is_closed_and_fills_its_box(collection):
    """The lidless egg holder builds like the cartons: one closed mesh of the sampled size."""
    from blender_scenes.food.build import build_food

    seed = next(s for s in range(100)
                if sample_params("eggs", np.random.default_rng(s))["style"] == "holder")  # fmt: skip
    p = sample_params("eggs", np.random.default_rng(seed))
    ob = build_food("eggs", p, "eggs.holder", collection)
    assert_closed_and_fills(ob, p["size"])


@pytest.mark.slow
def test_every_grocery_class_renders_with_its_label(tmp_path):
    """One item of each class on a grid, seen from above: each is visible in the mask and
    labelled with its class name in meta/ and the COCO file."""
    pytest.importorskip("bpy")
    from blender_scenes.gallery import grid_description, item_params, render_descriptions

    desc = grid_description([(c, item_params(c, 0, 0)) for c in GROCERY_CLASSES])
    render_descriptions([desc], tmp_path, (96, 96), samples=1)
    meta = json.loads((tmp_path / "meta" / "000000.json").read_text())
    visible = {a["cls"]: a["visible_pixels"] for a in meta["annotations"]}
    assert set(visible) == set(GROCERY_CLASSES)
    assert all(v > 0 for v in visible.values()), {c: v for c, v in visible.items() if v <= 0}
    coco = json.loads((tmp_path / "annotations.json").read_text())
    names = {c["id"]: c["name"] for c in coco["categories"]}
    assert {names[a["category_id"]] for a in coco["annotations"]} == set(GROCERY_CLASSES)


def test_carrot_heaps_point_at_the_viewer_with_dark_crowns():
    """Carrots lie across the view or, as a product style (`heap`, what food/aicook prefers),
    heaped six to twelve pointing at the viewer: thick end (and its crown) to the front (-Y),
    the rest of them in a second, higher layer; the crown is a dark disc on the thick end."""
    from blender_scenes.food.mesh import MeshBuilder
    from blender_scenes.food.pieces import carrot_piece
    from blender_scenes.placement import euler_matrix

    def styles(prefer):
        packs = [sample_params("carrot", np.random.default_rng(s), prefer) for s in range(200)]
        return packs, [p for p in packs if p["pieces"][0].get("crown")]

    plain, plain_heaps = styles(None)
    assert 0.15 * len(plain) < len(plain_heaps) < 0.35 * len(plain)
    packs, heaps = styles(_aicook_prefer("carrot"))
    assert len(heaps) > 0.85 * len(packs)
    for p in heaps:
        assert 6 <= len(p["pieces"]) <= 12 and "bag" not in p
        zs = sorted(q["at"][2] for q in p["pieces"])
        assert zs[-1] - zs[0] > 0.5 * min(q["size"][1] for q in p["pieces"])  # two layers
        for q in p["pieces"]:
            axis = euler_matrix(q["rot"]) @ np.array([-1.0, 0.0, 0.0])  # towards the thick end
            assert axis[1] < -0.95  # points at the viewer
    side = [p for p in plain if p not in plain_heaps]
    for q in (q for p in side for q in p["pieces"]):
        assert abs((euler_matrix(q["rot"]) @ np.array([1.0, 0.0, 0.0]))[0]) > 0.95  # across
    b = MeshBuilder("carrot")
    carrot_piece(b, heaps[0]["pieces"][0], heaps[0])
    crown = b.keys["crown"]
    faces = [f for f in b.bm.faces if f.material_index == crown]
    xs = np.array([v.co.x for f in faces for v in f.verts])
    every = np.array([v.co.x for v in b.bm.verts])
    b.bm.free()
    assert faces and xs.max() < every.min() + 0.03  # on the thick end only


def test_the_photos_cream_is_a_tall_green_brick_with_a_light_oval():
    """food/aicook prefers the photos' cream: a tall half-litre brick (white cap) printed green
    with a light oval badge in the middle of its front."""
    from blender_scenes.food.grocery_params import CREAM_BRICK
    from blender_scenes.food.label_art import draw_label

    packs = [sample_params("heavy_cream", np.random.default_rng(s), _aicook_prefer("heavy_cream"))
             for s in range(200)]  # fmt: skip
    ours = [p for p in packs if p["label"]["product"] == CREAM_BRICK]
    assert 0.6 * len(packs) < len(ours) < 0.85 * len(packs)
    for p in ours:
        w, _, h = p["size"]
        assert p["volume_l"] == 0.5 and w < 0.5 * h and min(p["top"]["cap_color"]) > 0.85
    label = ours[0]["label"]
    img = np.asarray(draw_label(label, 512, 256)).astype(int)
    front = img[:, : int(512 * label["panels"][0] / sum(label["panels"]))]
    fh, fw = front.shape[:2]
    centre = front[int(fh * 0.5) : int(fh * 0.6), int(fw * 0.3) : int(fw * 0.7)]
    corner = front[int(fh * 0.15) : int(fh * 0.25), : int(fw * 0.1)]
    assert centre.mean() > corner.mean() + 60  # the light oval on the green ground
    assert (corner[..., 1] > corner[..., 0] + 20).mean() > 0.8 and (
        corner[..., 1] > corner[..., 2]
    ).mean() > 0.8
    r, g, b = (front[int(fh * 0.3) : int(fh * 0.8), :, k] for k in range(3))
    assert ((r > 180) & (g > 80) & (g < 150) & (b < 60)).mean() > 0.08  # its thick orange rim
    logo = front[int(fh * 0.02) : int(fh * 0.2), int(fw * 0.26) : int(fw * 0.42)]
    assert (logo.min(axis=-1) > 230).mean() > 0.3  # the store's white logo up top


def test_the_photos_milks_are_a_blue_brick_with_fields_and_a_cream_soya_drink():
    """food/aicook prefers the photos' milks: litre bricks under a big white cap, the blue
    one printed with green fields across the foot of its front, the soya one cream with its
    brand in blue; without a preference a milk carton is drawn as it always was."""
    from blender_scenes.food import params as fp
    from blender_scenes.food.grocery_params import MILK_BRICK, SOY_BRICK, milk_carton
    from blender_scenes.food.label_art import draw_label

    for s in range(5):  # the class's sampler without a preference is the old one, draw for draw
        assert milk_carton(np.random.default_rng(s)) == fp.milk_carton(np.random.default_rng(s))
    packs = [sample_params("milk_carton", np.random.default_rng(s), _aicook_prefer("milk_carton"))
             for s in range(300)]  # fmt: skip
    names = [p["label"]["product"] for p in packs]
    assert 0.4 < names.count(MILK_BRICK) / 300 < 0.65 and 0.15 < names.count(SOY_BRICK) / 300 < 0.35
    for p in packs:
        if p["label"]["product"] in (MILK_BRICK, SOY_BRICK):
            w, d, h = p["size"]
            assert p["volume_l"] == 1.0 and 0.09 < w < 0.1 and 0.17 < h < 0.2
            assert min(p["top"]["cap_color"]) > 0.9 and p["top"]["cap_diameter"] > 0.028

    def front(product):
        label = next(p["label"] for p in packs if p["label"]["product"] == product)
        img = np.asarray(draw_label(label, 1024, 512).convert("RGB")).astype(int)
        return img[:, : int(1024 * label["panels"][0] / sum(label["panels"]))]

    blue = front(MILK_BRICK)
    fh = blue.shape[0]
    top, foot = blue[int(fh * 0.1) : int(fh * 0.3)], blue[int(fh * 0.75) : int(fh * 0.9)]
    assert (top[..., 2] > top[..., 0] + 80).mean() > 0.7  # blue above ...
    assert (foot[..., 1] > foot[..., 2] + 30).mean() > 0.7  # ... green fields below
    soy = front(SOY_BRICK)
    assert (soy.min(axis=-1) > 190).mean() > 0.6  # a cream ground
    brand = soy[int(fh * 0.25) : int(fh * 0.35)]
    assert (brand[..., 2] > brand[..., 0] + 80).mean() > 0.05  # the brand in blue


def test_the_photos_chocolate_is_a_light_blue_bar_with_a_navy_end():
    """food/aicook prefers the photos' chocolate: a thick bar (about 19 x 10 x 2 cm) whose top
    is printed light blue like crushed ice with a navy band across one end."""
    from blender_scenes.food.grocery_params import CHOCOLATE_BAR
    from blender_scenes.food.label_art import draw_label

    packs = [sample_params("chocolate", np.random.default_rng(s), _aicook_prefer("chocolate"))
             for s in range(200)]  # fmt: skip
    ours = [p for p in packs if p["label"]["product"] == CHOCOLATE_BAR]
    assert len(ours) > 0.65 * len(packs)
    assert all(0.018 < p["size"][2] < 0.022 and p["size"][0] > 0.17 for p in ours)
    others = [p for p in packs if p not in ours]
    assert others and all(p["size"][2] < 0.016 for p in others)
    label = ours[0]["label"]
    img = np.asarray(draw_label(label, 400, 300)).astype(int)
    top = img[: int(300 * label["top_fraction"]) - 2]
    band, rest = top[:, 10:100], top[:, 140:]
    assert (band[..., 2] > band[..., 0] + 30).mean() > 0.6 and band.mean() < 90  # navy
    blue = (rest[..., 2] > rest[..., 0] + 25) & (rest.mean(axis=2) > 150)
    white = rest.min(axis=2) > 215
    assert blue.mean() > 0.3 and white.mean() > 0.05  # light blue ground, white shards
