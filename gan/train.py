"""`fridge-train`: the Hydra entry point (checks the command line first, then trains via
`gan.trainer.run_training`; torchrun/DDP aware)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import hydra
import torch
import torch.distributed as dist
from omegaconf import DictConfig, OmegaConf

from gan import checkpoint as ckpt
from gan import cli
from gan import io as gio
from gan.cli import CONFIG_DIR, compose_from_cli
from gan.config import ConfigError, TrainConfig, parse_train_config
from gan.content import content_unavailable
from gan.data import DataError, check_uniform_sizes, list_images
from gan.devices import select_device
from gan.distributed import DistInfo, broadcast_object, dist_from_env, init_distributed
from gan.models import create_model
from gan.trainer import (
    NonFiniteLoss,
    check_compatible,
    check_image_size,
    make_runtime,
    run_training,
)

log = logging.getLogger(__name__)

PROG = "fridge-train"
EXIT_CONFIG, EXIT_OUTPUT, EXIT_NONFINITE = cli.EXIT_CONFIG, cli.EXIT_OUTPUT, 3


def fail(message: str, code: int = EXIT_CONFIG) -> None:
    """Print a one-line error and exit non-zero."""
    cli.fail(PROG, message, code)


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="train")
def hydra_main(cfg: DictConfig) -> float | None:
    """Hydra task: one training run in Hydra's output folder."""
    from hydra.core.hydra_config import HydraConfig

    run_dir = Path(HydraConfig.get().runtime.output_dir)
    raw = OmegaConf.to_container(cfg, resolve=True)
    info = dist_from_env()
    try:
        if info.enabled:
            init_distributed(
                info, select_device(raw["trainer"]["device"], "trainer.device", info.local_rank)
            )
            run_dir = Path(broadcast_object(str(run_dir), info))
        result = run_training(raw, run_dir)
    except (ConfigError, DataError, ckpt.CheckpointError) as exc:
        fail(str(exc))
    except gio.OutputError as exc:
        fail(f"{exc}; checkpoints already saved are intact", EXIT_OUTPUT)
    except NonFiniteLoss as exc:
        last = run_dir / "checkpoints" / "last.pt"
        kept = (
            f"last good checkpoint kept: {last}" if last.is_file() else "no checkpoint written yet"
        )
        fail(f"{exc}; stopping ({kept})", EXIT_NONFINITE)
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    return result.best


def check_resume_path(cfg: TrainConfig, raw: dict) -> None:
    """An explicit `trainer.resume=PATH` must be a checkpoint whose networks fit this config
    (the model is built on the CPU to compare shapes); auto/none are checked when training."""
    if cfg.trainer.resume in ("auto", "none", "None", "", "null"):
        return
    path = ckpt.resolve_resume(cfg.trainer.resume, Path("."))
    assert path is not None
    payload = ckpt.load(path)
    rt = make_runtime(cfg, torch.device("cpu"), DistInfo())
    rt.compile = False
    check_compatible(payload, path, create_model(cfg.model, rt, cfg.seed), raw)


def prevalidate(args: list[str]) -> None:
    """Compose and validate the config from CLI overrides before Hydra creates a run folder:
    values and image size, the run folder's writability, the data folders (and image sizes
    with data.preprocess=none) and an explicit resume checkpoint."""
    dirs: dict = {}
    raw = compose_from_cli(PROG, "train", args, hydra_dirs=dirs)
    if raw is None:
        return
    try:
        cfg = parse_train_config(raw)
        check_image_size(cfg)
        key = "hydra.sweep.dir" if dirs.get("multirun") else "hydra.run.dir"
        gio.check_output_dir(key, dirs["sweep" if dirs.get("multirun") else "run"])
    except ConfigError as exc:
        fail(str(exc))
    files = []
    for key in ("source_dir", "target_dir"):
        try:
            files += list_images(getattr(cfg.data, key))
        except DataError as exc:
            fail(f"data.{key}: {exc}")
    try:
        if cfg.data.preprocess == "none":
            check_uniform_sizes(files, "data.preprocess")
        check_resume_path(cfg, raw)
    except (ConfigError, DataError, ckpt.CheckpointError) as exc:
        fail(str(exc))
    if cfg.metrics.content.enabled is True:
        reason = content_unavailable(cfg.data.source_dir)
        if reason:
            fail(f"metrics.content.enabled: true, but data.source_dir: {reason}")


def main() -> None:
    """Console script `fridge-train`."""
    prevalidate(sys.argv[1:])
    hydra_main()


if __name__ == "__main__":
    main()
