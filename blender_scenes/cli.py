"""`fridge-render`: the Hydra app that renders a labeled batch of fridge scenes.

The console script checks the whole command line first (`prevalidate`: Hydra composition, every
config value, the asset catalog and its models), so that a bad input stops with one line
``fridge-render: error: KEY: ...`` and exit status 2 before Hydra creates its run folder or
anything else is written. `validate_only=true` runs there as well. Rendering failures that are
no bug (disk full, a truncated pass file, a worker killed for memory) stop with one line and
exit status 1; finished images stay and a re-run resumes.
"""

from __future__ import annotations

import errno
import logging
import sys

import hydra
from omegaconf import DictConfig

from fridge_batch import layout
from gan.cli import CONFIG_DIR, EXIT_CONFIG, compose_from_cli, fail, resolve_or_fail

from .blender import bpy_available, bpy_missing_message
from .config import ConfigError, RenderConfig, validate
from .files import OutputError, describe_os_error

log = logging.getLogger("fridge-render")
PROG = "fridge-render"
EXIT_FAILED = 1  # the render itself failed (disk full, truncated file, worker died)
# System errors of a batch that are the machine's, not a bug: one line instead of a traceback.
OUTPUT_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS, errno.EIO)
_checked: list[tuple[dict, RenderConfig]] = []  # (plain config, its checked form) of prevalidate


def main() -> None:
    """Console script `fridge-render`: check the command line, then run the Hydra app."""
    prevalidate(sys.argv[1:])
    hydra_main()


def prevalidate(args: list[str]) -> RenderConfig | None:
    """Compose and check the config of a command line before Hydra writes anything.

    Exits with status 2 and one line on any bad input; with `validate_only=true` (single run)
    checks the catalog and exits. Returns the checked config, or None when Hydra handles the
    command line itself (help and info flags).
    """
    raw = compose_from_cli(PROG, "render", args)
    if raw is None:
        return None
    if not bpy_available():
        fail(PROG, bpy_missing_message())
    if raw.get("validate_only"):
        if "-m" in args or "--multirun" in args:
            return None  # each job validates its own catalog
        raise SystemExit(validate_assets(raw))
    return check_config(raw)


def check_config(plain: dict) -> RenderConfig:
    """The validated config with its catalog measured; one-line error and exit 2 if bad.

    A config checked before in this process (by `prevalidate`, before Hydra ran the same
    command line) is not checked again.
    """
    for seen, rc in _checked:
        if seen == plain:
            return rc
    try:
        rc = validate(plain)
        measure_catalog(rc.sampler.catalog)
    except ConfigError as err:
        fail(PROG, str(err))
        raise  # unreachable: fail() exits
    _checked[:] = [(plain, rc)]
    return rc


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="render")
def hydra_main(cfg: DictConfig) -> None:
    """Validate the config, render this shard's pending images, rebuild annotations.json."""
    plain = resolve_or_fail(PROG, cfg)
    if plain.get("validate_only"):
        sys.exit(validate_assets(plain))
    render(check_config(plain), preview=bool(plain.get("preview", True)))


def render(rc: RenderConfig, preview: bool = True):
    """Render a checked batch (and its previews); failures of the machine are one line, exit 1."""
    from .batch import WorkerDied, run_batch

    try:
        summary = run_batch(rc)
        if preview and summary.images_total:
            from .preview import contact_sheet

            contact_sheet(rc.out_dir, rc.out_dir / layout.PREVIEW)
            contact_sheet(rc.out_dir, rc.out_dir / layout.PREVIEW_LABELS, labels=True)
    except (OutputError, WorkerDied) as err:
        fail(PROG, str(err), EXIT_FAILED)
    except OSError as err:
        if err.errno not in OUTPUT_ERRNOS:
            raise
        fail(PROG, describe_os_error(err, err.filename or rc.out_dir), EXIT_FAILED)
    if not summary.merged:
        log.info(
            "%s: rendered %d, skipped %d (already done); shard %d of %d: %d images, %d objects; "
            "annotations.json is merged when every shard has finished",
            rc.out_dir, summary.rendered, summary.skipped, rc.shard_index + 1, rc.shard_count,
            summary.images_total, summary.annotations,
        )  # fmt: skip
        return summary
    log.info(
        "%s: rendered %d, skipped %d (already done); annotations.json: %d images, %d objects",
        rc.out_dir,
        summary.rendered,
        summary.skipped,
        summary.images_total,
        summary.annotations,
    )
    return summary


def validate_assets(plain: dict) -> int:
    """`validate_only=true`: list every problem of the catalog; the exit status.

    0: the catalog is fine; 1: problems, one line each on stderr; 2: nothing to validate or a
    file that is no catalog at all (missing, a folder, binary, broken YAML), one line.
    """
    assets = plain.get("assets") or {}
    if not isinstance(assets, dict):
        assets = {}
    if assets.get("mode", "procedural") == "procedural" or not assets.get("catalog"):
        print(f"{PROG}: error: assets.catalog: nothing to validate: set "
              "assets=catalog|mixed assets.catalog=PATH", file=sys.stderr)  # fmt: skip
        return EXIT_CONFIG
    from .assets.catalog import catalog_file_problem, validate_catalog

    path = str(assets["catalog"])
    unusable = catalog_file_problem(path)
    if unusable:
        print(f"{PROG}: error: assets.catalog: {unusable}", file=sys.stderr)
        return EXIT_CONFIG
    from .assets.importers import measure_problems

    problems = validate_catalog(path, measure=measure_problems)
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        print(f"{PROG}: {len(problems)} problem(s) in {path}", file=sys.stderr)
        return 1
    print(f"{path}: catalog OK")
    return 0


def measure_catalog(catalog) -> None:
    """Measure catalog models in Blender once (cached next to the catalog) so sampling is pure."""
    if catalog is None or catalog.measured:
        return
    from .assets.importers import measure_and_attach

    problems = measure_and_attach(catalog)
    if problems:
        raise ConfigError(
            f"assets.catalog: {problems[0]}"
            + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
        )


if __name__ == "__main__":
    main()
