"""`fridge-render`: the Hydra app that renders a labeled batch of fridge scenes."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from .config import ConfigError, validate

log = logging.getLogger("fridge-render")
CONFIG_DIR = str(Path(__file__).resolve().parent.parent / "configs")


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="render")
def main(cfg: DictConfig) -> None:
    """Validate the config, render this shard's pending images, rebuild annotations.json."""
    plain = OmegaConf.to_container(cfg, resolve=True)
    if plain.get("validate_only"):
        sys.exit(validate_assets(plain))
    try:
        rc = validate(plain)
        measure_catalog(rc.sampler.catalog)
    except ConfigError as err:
        print(f"fridge-render: error: {err}", file=sys.stderr)
        sys.exit(2)
    from .batch import run_batch

    summary = run_batch(rc)
    if cfg.get("preview", True) and summary.images_total:
        from .preview import contact_sheet

        contact_sheet(rc.out_dir, rc.out_dir / "preview.png")
        contact_sheet(rc.out_dir, rc.out_dir / "preview_labels.png", labels=True)
    log.info("%s: rendered %d, skipped %d (already done); annotations.json: %d images, %d objects",
             rc.out_dir, summary.rendered, summary.skipped, summary.images_total,
             summary.annotations)


def validate_assets(plain: dict) -> int:
    """`validate_only=true`: list every problem of the catalog; exit status 1 if any."""
    assets = plain.get("assets") or {}
    if assets.get("mode", "procedural") == "procedural" or not assets.get("catalog"):
        print("fridge-render: nothing to validate: set assets=catalog|mixed assets.catalog=PATH",
              file=sys.stderr)
        return 2
    from .catalog import validate_catalog
    from .importers import measure_problems

    problems = validate_catalog(assets["catalog"], measure=measure_problems)
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        print(f"fridge-render: {len(problems)} problem(s) in {assets['catalog']}", file=sys.stderr)
        return 1
    log.info("%s: catalog OK", assets["catalog"])
    return 0


def measure_catalog(catalog) -> None:
    """Measure catalog models in Blender once (cached next to the catalog) so sampling is pure."""
    if catalog is None or catalog.measured:
        return
    from .importers import measure_and_attach

    problems = measure_and_attach(catalog)
    if problems:
        raise ConfigError(f"assets.catalog: {problems[0]}"
                          + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))


if __name__ == "__main__":
    main()
