"""Command-line helpers: compose a Hydra config up front and turn errors into one line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

CONFIG_DIR = str(Path(__file__).resolve().parent.parent / "configs")
EXIT_CONFIG = 2


def fail(prog: str, message: str, code: int = EXIT_CONFIG) -> None:
    """Print `prog: error: message` on one line to stderr and exit non-zero."""
    sys.stderr.write(f"{prog}: error: {message}\n")
    sys.stderr.flush()
    raise SystemExit(code)


def resolve_or_fail(prog: str, cfg: Any) -> dict:
    """A Hydra config as a plain dict; a missing mandatory value is a one-line error."""
    from omegaconf import OmegaConf
    from omegaconf.errors import MissingMandatoryValue

    try:
        return OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    except MissingMandatoryValue as exc:
        fail(prog, f"{exc.full_key}: missing value (pass {exc.full_key}=...)")
        raise  # unreachable: fail() exits


def describe_compose_error(exc: Exception) -> str:
    """One line from Hydra's multi-line composition errors."""
    text = str(exc)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if text.startswith("Could not override '"):
        key = text.split("'")[1]
        return f"{key}: unknown config key (use +{key}=VALUE to add a new key)"
    if "Could not find" in text and "Available options" in text:
        start = next(i for i, ln in enumerate(lines) if "Available options" in ln) + 1
        end = next((i for i, ln in enumerate(lines) if "Config search path" in ln), len(lines))
        options = [ln.strip() for ln in lines[start:end]]
        return f"{lines[0]} (available: {', '.join(options)})"
    return lines[0] if lines else type(exc).__name__


def _first_sweep_value(override: Any) -> str:
    """A single representative value of a sweep override."""
    for value in override.sweep_string_iterator():
        return value
    return ""


def compose_from_cli(prog: str, config_name: str, args: list[str]) -> dict | None:
    """Resolved config (without `hydra`) for CLI overrides; sweeps use their first value.

    Returns None when the arguments hold Hydra flags (--help, --cfg, ...) that Hydra should
    handle itself. Exits with a one-line error on unknown keys, groups or bad syntax.
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException
    from omegaconf import OmegaConf
    from omegaconf.errors import MissingMandatoryValue, OmegaConfBaseException

    plain = [a for a in args if a not in ("-m", "--multirun")]
    if any(a.startswith("-") for a in plain):
        return None
    try:
        parsed = OverridesParser.create().parse_overrides(plain)
    except HydraException as exc:
        fail(prog, f"bad override syntax: {str(exc).splitlines()[0]}")
    overrides = []
    for o in parsed:
        key = o.get_key_element()
        if key.lstrip("+~").startswith("hydra"):
            continue
        overrides.append(
            f"{key}={_first_sweep_value(o)}" if o.is_sweep_override() else o.input_line
        )
    try:
        with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
            cfg = compose(config_name=config_name, overrides=overrides)
            return OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    except MissingMandatoryValue as exc:
        fail(prog, f"{exc.full_key}: missing value (pass {exc.full_key}=...)")
    except (HydraException, OmegaConfBaseException) as exc:
        fail(prog, describe_compose_error(exc))
    return None
