"""The procedural food classes: one class table, their parameters, their Blender mesh builders.

Pure modules (no Blender; the samplers, the config and the physics traits read them):

    classes         `CLASS_TABLE`: one row per class (traits, parameter sampler), the class
                    sets (``default``, ``aicook``, ``all``) and class maps (`load_class_map`)
    params          the original fifteen classes' parameter samplers (`FOOD_CLASSES`,
                    `sample_food_params`) and shared helpers (labels' text and colours, `r5`)
    grocery_params  the parameter samplers of the grocery classes (groups of pieces, trays, bags)
    label_art       packaging label textures drawn with Pillow from a params ``label`` dict

Blender side (import `build` to build items; it pulls in the rest):

    build           `BUILDERS` (class name -> builder) and `build_food`, the one entry point
    mesh            `MeshBuilder` and the geometry helpers (profiles, prisms, boxes, pieces
                    placed in their own box, cushions, pillows, tubes)
    shading         materials: node helpers, printed labels, film, plastics, organic surfaces
    packaged        builders of cartons, cans, bottles, jars, yogurt cups, butter packs
    fresh           builders of apples, oranges, lemons, eggs, tomatoes, bananas, cheese
    pieces          piece builders of the grocery groups (`PIECES`: potato, steak, berry...)
    packs           produce groups and meat trays: containers, film, bags, stickers around pieces
    grocery         the other grocery builders (egg cartons, milk bottles, bread, pantry bags...)

Every item is one mesh object, origin at the bottom centre, +Z up, front -Y, fitted exactly to
its params' ``size``; everything is built through ``bpy.data`` and ``bmesh`` (no operators).

Adding a class:

1. one row in `classes.CLASS_TABLE`, after the existing ones (a class's position salts its
   parameter stream, so appending keeps every other class's draws): its parameter function and
   traits (family, drawer, door, lying, stacking, friction, rolling);
2. one parameter function ``name(rng) -> dict`` in `grocery_params` with ``size``,
   ``footprint``, ``stackable`` and whatever the builder needs;
3. one builder ``name(b, p)`` (in `packaged`, `fresh`, `packs` or `grocery`, or a new piece in
   `pieces` for a group) listed under the class's name in `build.BUILDERS`.

Optionally map it to a real class in ``configs/class_maps/aicook.yaml`` and give it an
``aicook`` weight in `classes`. ``tests/blender_scenes/test_grocery.py`` checks that table, samplers and
builders agree and that every class builds a closed mesh of its size.
"""
