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
    try:
        rc = validate(OmegaConf.to_container(cfg, resolve=True))
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


if __name__ == "__main__":
    main()
