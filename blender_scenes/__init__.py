"""Stage 1: render labelled fridge scenes with Blender (the only package that imports ``bpy``).

Map (modules marked *pure* never import Blender; the others import it through `blender`):

Command lines
    cli          ``fridge-render``: Hydra app, checks the whole command line, runs a batch
    export       ``fridge-export``: a batch as a YOLO / YOLO-seg / COCO dataset (pure)
    gallery      ``python -m blender_scenes.gallery``: contact sheets of classes lined up

One batch, in the order things happen
    config       the render config validated into typed records (types only: values live in
                 configs/render.yaml), one-line `ConfigError`; `default_sampler(**changes)`:
                 the YAML's scene sampler, for sampling without a whole render config (pure)
    batch        shard, skip finished images, fan out to worker processes, merge COCO
    worker       one image: sample, build, settle, render, label, write (`render_description`)
    sampling     scene description from (seed, image index): fridge, camera, lights, items (pure)
    placement    items in rows on shelves, drawers and door bins without overlaps (pure)
    geometry     the fridge from its spec: named boxes (seen and / or colliding), door hinge and
                 the support surfaces items stand on; fridge, physics and sampling all read it (pure)
    description  the JSON-serialisable scene description dataclasses (pure)
    scene        build a description in Blender (fridge, food, catalog models), clear it again
    fridge       meshes the fridge's `geometry` boxes; materials: its plastic, steel and glass
    food/        the procedural food classes: class table, parameters, mesh builders (see there)
    assets/      user model catalogs: YAML validation (pure) and Blender importers (see there)
    physics      ``placement=physics``: rigid-body settling of the sampled items (the fridge's
                 colliders are `geometry`'s colliding boxes)
    render       Cycles settings and the render call: RGB, instance ids, depth, normals passes
    silhouette   unoccluded projected area per object; raster: pixel-centre rasteriser (pure)
    annotate     dataset labels from the id mask: boxes, occlusion, COCO records (pure)
    ground_truth depth / normals encodings and camera matrices (pure)
    photo_style  ``style=photo``: a cheap fridge camera applied to the clean render (pure)
    writer       the batch's folders, crash-safe image writes, stale temps (names, stems, the
                 atomic write and the COCO rebuild / shard merge: `fridge_batch.layout`)
    card         dataset card: ``README.md`` and ``dataset.json`` of a batch (pure)
    preview      contact sheets of a batch; contours: mask polygons (pure); files: atomic writes
    blender      the one ``import bpy, bmesh``, with a one-line reason when the wheel is missing

Where to add things
    A fridge part: its boxes in `geometry` (a function per member, listed in `geometry.boxes`;
    a `Part` for each new object and its material key in `fridge.part_material`; a collider
    box covering what is seen); `fridge` and `physics` pick it up, `tests/blender_scenes/
    test_geometry.py` checks that they agree.
    A food class: one row in `food.classes.CLASS_TABLE`, one parameter function (in
    `food.grocery_params`), one builder (in `food.packaged`, `food.fresh`, `food.packs` or
    `food.grocery`) listed under the class's name in `food.build.BUILDERS` (details in
    `blender_scenes.food`).
    A placement mode: its name in `sampling.PLACEMENT_MODES`, a ``configs/placement/<mode>.yaml``
    (the keys of `config.PlacementSettings`, read by `config.placement_from`), its branch where
    `sampling` looks at ``cfg.placement``, and, if it moves items after they are built (as
    `physics.settle` does), its step in `worker.render_description`.
    An output / ground-truth pass: a key under ``outputs:`` in ``configs/render.yaml`` read by
    `config.outputs_from` into `config.OutputSettings`; the Cycles pass in
    `render.setup_view_layers` and `render.read_pass_file`; its encoding in `ground_truth`; its
    file name in `fridge_batch.layout` and `writer.ground_truth_files` (`writer.is_done` and `writer.prepare` follow it)
    and a ``writer.write_*``; the wiring in `worker.render_description`; `annotate.IMAGE_EXTRAS` (COCO image records), `card`
    (dataset card) and the README's "Output layout".
"""
