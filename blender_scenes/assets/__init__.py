"""User model catalogs (``assets=catalog|mixed``): food classes from your own model files.

    catalog     the catalog YAML: validation into `Catalog` / `CatalogEntry` with one line per
                problem (`validate_catalog`, `load_catalog`), measured sizes and their JSON
                sidecar, and `sample_catalog_params` for the scene sampler (pure: no Blender)
    importers   Blender side: import each model file once (OBJ, glTF/GLB, FBX, PLY, STL,
                .blend), turn it Z-up, cache normalised meshes per pose and scale, instance
                items (`build_catalog_object`), measure a catalog (`measure_catalog`,
                `measure_and_attach`, `measure_problems`) and fall back to plain materials when textures are unreadable

`config` loads the catalog and `cli` measures it before anything is rendered; `sampling` draws
catalog items next to the procedural ones; `scene` builds them with `importers`. A new model
format is its suffix in `catalog.FORMATS` (and its up axis in `catalog.DEFAULT_UP`) and its
Blender importer call in `importers._run_importer`.
"""
