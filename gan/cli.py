"""Command-line helpers: compose a Hydra config up front and turn errors into one line.

Every console script (`fridge-render`, `fridge-train`, `fridge-translate`, `fridge-eval`,
`fridge-demo`) calls `compose_from_cli` on its arguments before `@hydra.main` runs. Hydra's own
errors are several lines long, exit with status 1 and appear only after Hydra has created its run
folder; composing first turns every problem Hydra would find (bad syntax, unknown key, unknown
group option, including the `hydra/...` groups, a value of the wrong type) into one line
``prog: error: KEY: ...`` with exit status 2, before anything is written.

`config_dir()` / `CONFIG_DIR` is the one place that says where the configs are; everything that
reads them (the apps, the demo pipeline, class maps, tests, benchmarks) goes through it.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

CONFIG_PACKAGE = "fridge_configs"  # configs/ at the repository root, shipped under this name


def config_dir() -> Path:
    """The folder holding the Hydra configs (render.yaml, train.yaml, model/, ...).

    In a source checkout (editable install, or the repository on PYTHONPATH) this is the
    checkout's own `configs/`, so code and configs always come from the same tree. In an
    installed wheel it is the package data of `fridge_configs`, found with importlib.resources.
    Raises RuntimeError when neither exists (a broken install).
    """
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "configs" / "__init__.py").is_file():
        return checkout / "configs"
    try:
        found = resources.files(CONFIG_PACKAGE)
    except ModuleNotFoundError:
        found = None
    if not isinstance(found, Path) or not (found / "train.yaml").is_file():
        raise RuntimeError(
            f"fridge-synth configs not found: package {CONFIG_PACKAGE!r} is missing or not a "
            "folder on disk (reinstall fridge-synth)"
        )
    return found


CONFIG_DIR = str(config_dir())
EXIT_CONFIG = 2  # a bad command line, config value or input: nothing was done
EXIT_OUTPUT = 1  # an output could not be written (disk full, ...)
# Hydra flags after which Hydra only prints something (help, config, plugins) or composes a
# config elsewhere: such command lines are left to Hydra (compose_from_cli returns None).
_HANDS_OFF = ("help", "hydra_help", "info", "shell_completion", "experimental_rerun",
              "config_path", "config_dir")  # fmt: skip


def fail(prog: str, message: str, code: int = EXIT_CONFIG) -> None:
    """Print `prog: error: message` on one line to stderr and exit non-zero."""
    line = " ".join(str(message).split())  # never more than one line
    sys.stderr.write(f"{prog}: error: {line}\n")
    sys.stderr.flush()
    raise SystemExit(code)


@contextlib.contextmanager
def one_line_errors(
    prog: str, input_errors: tuple[type[Exception], ...], output_note: str = ""
) -> Iterator[None]:
    """Exit with one line for the errors a command expects: `input_errors` (a bad config
    value or input) with EXIT_CONFIG, `gan.io.OutputError` (a write failed) with EXIT_OUTPUT
    and `output_note` appended (e.g. "; nothing written to out_dir")."""
    from gan.io import OutputError

    try:
        yield
    except input_errors as exc:
        fail(prog, str(exc))
    except OutputError as exc:
        fail(prog, f"{exc}{output_note}", EXIT_OUTPUT)


def resolve_or_fail(prog: str, cfg: Any) -> dict:
    """A Hydra config as a plain dict; a missing mandatory value is a one-line error."""
    from omegaconf import OmegaConf
    from omegaconf.errors import MissingMandatoryValue

    try:
        return OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    except MissingMandatoryValue as exc:
        fail(prog, f"{exc.full_key}: missing value (pass {exc.full_key}=...)")
        raise  # unreachable: fail() exits


def _first_line(text: str) -> str:
    """The first non-empty line of `text`."""
    return next((ln.strip() for ln in str(text).splitlines() if ln.strip()), "")


def describe_compose_error(exc: Exception) -> str:
    """One line from Hydra's multi-line composition errors, naming the key where possible."""
    text = str(exc)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if text.startswith("Could not override '"):
        key = text.split("'")[1]
        return f"{key}: unknown config key (use +{key}=VALUE to add a new key)"
    missing = re.search(r"Could not find '([^']+)'", text)
    if missing and "Available options" in text:
        group, _, option = missing.group(1).rpartition("/")
        start = next(i for i, ln in enumerate(lines) if "Available options" in ln) + 1
        end = next((i for i, ln in enumerate(lines) if "Config search path" in ln), len(lines))
        options = ", ".join(ln.strip() for ln in lines[start:end])
        return f"{group}: unknown option '{option}' (no {group}/{option}; available: {options})"
    merging = re.match(r"Error merging override (\S+?)=", text)
    if merging:
        cause = _first_line(exc.__cause__) if exc.__cause__ else _first_line(text)
        return f"{merging.group(1)}: bad value ({cause})"
    line = _first_line(text) or type(exc).__name__
    key = getattr(exc, "full_key", None)  # OmegaConf errors know the key they failed on
    return f"{key}: {line}" if key and not line.startswith(f"{key}:") else line


def describe_override_error(arg: str, exc: Exception) -> str:
    """One line for a command-line override that Hydra's grammar rejects."""
    key, eq, value = arg.partition("=")
    if eq and any(ord(ch) > 127 for ch in value) and value[:1] not in ("'", '"'):
        return (f"{key}: Hydra cannot read unquoted non-ASCII characters in {value!r}; "
                f"quote the value: '{key}=\"{value}\"'")  # fmt: skip
    where = key if eq else arg
    return f"{where}: bad override syntax ({_first_line(exc)})"


def _first_sweep_value(override: Any) -> str:
    """A single representative value of a sweep override."""
    for value in override.sweep_string_iterator():
        return value
    return ""


def _parse_flags(prog: str, args: list[str]) -> Any | None:
    """Hydra's own command-line parse (flags and overrides); bad flags are a one-line error."""
    try:
        from hydra._internal.utils import get_args_parser
    except ImportError:  # pragma: no cover - a Hydra without the helper: plain overrides only
        return None
    parser = get_args_parser()
    parser.prog = prog
    parser.error = lambda message: fail(prog, message)  # argparse: usage + error otherwise
    return parser.parse_args(args)


def compose_from_cli(
    prog: str, config_name: str, args: list[str], hydra_dirs: dict | None = None
) -> dict | None:
    """Resolved config (without `hydra`) for CLI overrides; sweeps use their first value.

    Overrides of Hydra's own config (`hydra/launcher=...`, `hydra.run.dir=...`) are checked too.
    Returns None when Hydra should handle the command line itself: help and info flags, another
    config folder, or `--cfg` (its overrides are checked first). Exits with a one-line error
    (status 2) on unknown keys, groups or options, bad syntax, bad flags or missing values.
    When `hydra_dirs` is a dict it receives the resolved `hydra.run.dir` and
    `hydra.sweep.dir` (keys "run" and "sweep") and "multirun" (whether -m was given).
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException
    from omegaconf import OmegaConf, open_dict
    from omegaconf.errors import MissingMandatoryValue, OmegaConfBaseException

    if "--version" in args:
        return None
    flags = _parse_flags(prog, args)
    if flags is None:
        plain = [a for a in args if a not in ("-m", "--multirun")]
        if any(a.startswith("-") for a in plain):
            return None
    elif any(getattr(flags, name, None) for name in _HANDS_OFF):
        return None
    else:
        plain = list(flags.overrides or [])
        config_name = flags.config_name or config_name
    parser = OverridesParser.create()
    overrides = []
    for arg in plain:
        try:
            (o,) = parser.parse_overrides([arg])
        except HydraException as exc:
            fail(prog, describe_override_error(arg, exc))
        key = o.get_key_element()
        overrides.append(
            f"{key}={_first_sweep_value(o)}" if o.is_sweep_override() else o.input_line
        )
    try:
        with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
            cfg = compose(config_name=config_name, overrides=overrides, return_hydra_config=True)
        if hydra_dirs is not None:
            for name in ("run", "sweep"):
                hydra_dirs[name] = str(OmegaConf.select(cfg, f"hydra.{name}.dir", default=""))
            hydra_dirs["multirun"] = bool(getattr(flags, "multirun", False)) or any(
                a in ("-m", "--multirun") for a in args
            )
        with open_dict(cfg):
            cfg.pop("hydra", None)
        if flags is not None and flags.cfg:
            return None  # Hydra prints the config; missing values are fine there
        return OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    except MissingMandatoryValue as exc:
        fail(prog, f"{exc.full_key}: missing value (pass {exc.full_key}=...)")
    except (HydraException, OmegaConfBaseException) as exc:
        fail(prog, describe_compose_error(exc))
    return None


# --- run names -----------------------------------------------------------------------------
_GENERIC_DIRS = {"images", "image", "imgs", "photos", "img", ""}
_NAMED_ELSEWHERE = ("model=", "data.source_dir=", "data.target_dir=")


def run_label(model: str, target_dir: Any = None, overrides: Any = (), limit: int = 120) -> str:
    """A readable run-folder label: model, target folder and key overrides.

    `cut_aicook_fridge-train_lambda_content=0.5` for `model=cut` trained towards
    `.../aicook_fridge/train/images` with `model.lambda_content=0.5`. Overrides keep the last
    part of their key; generic folder names (images, photos) are skipped; characters that are
    unsafe in a folder name become `-`; a label over `limit` characters is cut and ends with a
    short hash of the whole, so labels stay unique.
    """
    import hashlib

    parts = [str(model)]
    if target_dir:
        names = [n for n in Path(str(target_dir)).parts if n.lower() not in _GENERIC_DIRS]
        names = [n for n in names if n not in (".", "..", "/")]
        if names:
            parts.append("-".join(names[-2:]))
    items = overrides.split(",") if isinstance(overrides, str) else list(overrides or ())
    kept = [str(o) for o in items if o and not str(o).startswith(_NAMED_ELSEWHERE)]
    kept = [f"{o.split('=', 1)[0].split('.')[-1]}={o.split('=', 1)[1]}" if "=" in o else o
            for o in kept]  # fmt: skip
    if kept:
        parts.append(",".join(kept))
    label = re.sub(r"[^A-Za-z0-9._=,+-]+", "-", "_".join(parts)).strip("-")
    if len(label) > limit:
        digest = hashlib.sha1(label.encode()).hexdigest()[:8]
        label = f"{label[: limit - 9]}~{digest}"
    return label


def _register_resolvers() -> None:
    from omegaconf import OmegaConf

    if not OmegaConf.has_resolver("run_label"):
        OmegaConf.register_new_resolver("run_label", run_label)


_register_resolvers()
