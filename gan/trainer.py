"""The training loop: `Trainer` (data, model, evaluation, TensorBoard, checkpoints, stop
signals, exact resumption) and `run_training`, the library entry point `fridge-train` calls."""

from __future__ import annotations

import logging
import math
import signal
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import DataLoader
from tqdm import tqdm

from gan import checkpoint as ckpt
from gan import cli
from gan.config import ConfigError, TrainConfig, parse_train_config
from gan.content import (
    ContentProbe,
    content_unavailable,
    load_or_train_segmenter,
    settings_from_config,
)
from gan.data import (
    EpochSampler,
    ImageFolder,
    RandomPairDataset,
    TransformConfig,
    UnpairedDataset,
    check_uniform_sizes,
    eval_batch,
    eval_frames,
    eval_mask_batch,
    frame_means,
)
from gan.devices import select_device
from gan.distributed import DistInfo, broadcast_object, dist_from_env, init_distributed
from gan.logging_utils import RunLogger
from gan.metrics import SWDSettings, fid_kid, load_inception, swd
from gan.models import Runtime, TranslationModel, create_model, model_class
from gan.networks import build_discriminator, build_generator, size_multiple

log = logging.getLogger(__name__)

EXIT_INTERRUPTED = 130  # SIGINT (Ctrl-C): the shell's usual status


class NonFiniteLoss(RuntimeError):
    """A loss became NaN or infinite."""


class NonFiniteState(NonFiniteLoss):
    """A parameter, buffer or optimizer state became NaN or infinite (checked before saving)."""


@dataclass
class Progress:
    """Position in training: completed steps, current epoch, batches done in that epoch."""

    step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0
    best: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass
class TrainResult:
    """What a finished (or stopped) run reports."""

    run_dir: Path
    step: int
    metrics: dict[str, float]
    best: float | None
    last_checkpoint: Path | None


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch."""
    import random

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def make_runtime(cfg: TrainConfig, device: torch.device, info: DistInfo) -> Runtime:
    """Runtime settings from the trainer config."""
    t = cfg.trainer
    cl = t.channels_last
    return Runtime(
        device=device,
        bf16=t.precision == "bf16",
        channels_last=cl if isinstance(cl, bool) else device.type == "cuda",
        compile=t.compile,
        distributed=info.enabled,
        lr=t.lr,
        betas=(t.beta1, t.beta2),
        max_steps=t.max_steps,
        lr_constant_fraction=t.lr_constant_fraction,
    )


def check_image_size(cfg: TrainConfig) -> None:
    """The training crop must suit the generator's down/upsampling and be large enough for
    every network: the generator and discriminator run once on shape-only ("meta") tensors
    of the configured size and batch, so any size their layers reject (a 1 px map under
    instance norm, a receptive field larger than the image) is one ConfigError."""
    mcfg = model_class(cfg.model.get("name")).parse_config(cfg.model)
    spec = mcfg.generator
    mult = size_multiple(spec)
    size = cfg.data.image_size
    if size % mult:
        raise ConfigError(
            f"data.image_size: {size} is not a multiple of {mult} "
            f"(required by {spec.arch} generator with num_downs={spec.num_downs})"
        )
    d = mcfg.discriminator
    channels_d = d.input_channels(6)  # the widest input: pix2pix's (source, image) pair
    batch = min(cfg.trainer.batch_size, 2)
    nets = (
        (f"the {spec.arch} generator", lambda: build_generator(spec), 3),
        (
            f"the {d.arch} discriminator (n_layers={d.n_layers})",
            lambda: build_discriminator(d, channels_d),
            channels_d,
        ),
    )
    for what, build, channels in nets:
        try:
            with torch.device("meta"):
                build().train()(torch.empty(batch, channels, size, size))
        except (RuntimeError, ValueError) as exc:
            raise ConfigError(
                f"data.image_size: {size} px is too small for {what} ({cli._first_line(exc)})"
            ) from exc


def config_differences(old: Any, new: Any, prefix: str) -> list[str]:
    """Dotted keys (under `prefix`) whose values differ between two nested config dicts."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new), key=str):
            out += config_differences(old.get(key), new.get(key), f"{prefix}.{key}")
        return out
    return [] if old == new else [f"{prefix} (checkpoint {old!r}, now {new!r})"]


def check_compatible(payload: dict, path: str | Path, model: TranslationModel, raw_cfg: dict):
    """ConfigError (one line) unless checkpoint `path` holds networks of `model`'s shapes.

    Names the first tensor whose shape differs and the model config keys that differ between
    the checkpoint's config and this run's (the likely cause).
    """
    if payload.get("model_name") != model.name:
        raise ConfigError(
            f"trainer.resume: {path} holds a {payload.get('model_name')} run, not {model.name}"
        )
    expected = model.state_dict()["nets"]
    found = (payload.get("model") or {}).get("nets") or {}
    mismatch = ckpt.shape_mismatch(expected, found)
    if mismatch is None:
        reverse = ckpt.shape_mismatch(found, expected)
        mismatch = reverse and (reverse[0], reverse[2], reverse[1])
    if not mismatch:
        return
    key, want, have = mismatch
    old_model = (payload.get("config") or {}).get("model") or {}
    diffs = config_differences(old_model, raw_cfg.get("model") or {}, "model")
    hint = f"; differing config: {', '.join(diffs)}" if diffs else ""
    have_text = "missing" if have is None else f"shape {list(have)}"
    want_text = "absent" if want is None else f"shape {list(want)}"
    raise ConfigError(
        f"trainer.resume: {path} does not fit this model: {key} is {have_text} in the "
        f"checkpoint but {want_text} here{hint}"
    )


# SIGUSR2: the batch system's "time is nearly up / preempted" warning (SLURM --signal, which
# submitit, and so hydra/launcher=train_slurm, asks for): save, then let the launcher requeue.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGUSR2)


def worker_init(_worker_id: int) -> None:
    """DataLoader workers ignore SIGTERM/SIGINT: a stop signal sent to the whole process group
    is handled by the main process alone, which saves and then shuts the workers down.

    Workers start with these signals blocked (`start_workers`), so one that arrives before this
    runs stays pending and is discarded here instead of killing the worker.
    """
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def start_workers(loader: DataLoader):
    """`iter(loader)` with stop signals blocked while the worker processes are forked."""
    if not loader.num_workers:
        return iter(loader)
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        return iter(loader)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def loss_values(losses: dict[str, torch.Tensor]) -> tuple[dict[str, float], str | None]:
    """Losses as floats (one device sync) and a description of the first non-finite one."""
    names = list(losses)
    values = torch.stack([losses[k].float() for k in names]).cpu().tolist()
    out = dict(zip(names, values, strict=True))
    bad = next((f"loss {k} is {v}" for k, v in out.items() if not math.isfinite(v)), None)
    return out, bad


@contextmanager
def stop_signals(flag: dict[str, int]):
    """On SIGTERM/SIGINT/SIGUSR2 record the signal instead of dying; restore handlers afterwards.

    The handlers that were installed before (e.g. submitit's requeue on SIGUSR2) are kept in
    `flag["previous"]`, so the trainer can save first and then hand the signal on.
    """

    def handler(signum: int, _frame: Any) -> None:
        flag["signal"] = signum

    previous = {}
    for sig in STOP_SIGNALS:
        with suppress(ValueError):  # not the main thread: no handler
            previous[sig] = signal.signal(sig, handler)
    flag["previous"] = previous
    try:
        yield flag
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


class Trainer:
    """Owns data, model, logger and checkpoints for one run folder."""

    def __init__(self, cfg: TrainConfig, raw_cfg: dict, run_dir: Path, info: DistInfo) -> None:
        self.cfg, self.raw_cfg, self.run_dir, self.info = cfg, raw_cfg, Path(run_dir), info
        self.device = select_device(cfg.trainer.device, "trainer.device", info.local_rank)
        init_distributed(info, self.device)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = not cfg.trainer.deterministic
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
        check_image_size(cfg)
        self.ckpt_dir = self.run_dir / "checkpoints"
        seed_everything(cfg.seed)
        self.rt = make_runtime(cfg, self.device, info)
        self.model: TranslationModel = create_model(cfg.model, self.rt, cfg.seed)
        if info.enabled:
            torch.manual_seed(cfg.seed + 7919 * info.rank)
        self._build_data()
        self._init_frame_field()
        log.info(
            "%s: rank %d of %d on %s, precision %s, %d source / %d target images",
            self.model.name,
            info.rank,
            info.world_size,
            self.device,
            cfg.trainer.precision,
            len(self.source),
            len(self.target),
        )
        self.progress = Progress()
        self.last_path: Path | None = None
        self.saved_step = -1
        self.inception = None
        self.content: ContentProbe | None = None
        self.untranslated: dict[str, float] = {}

    def _init_frame_field(self) -> None:
        """`model.generator.frame_field_init=statistics`: the field starts at the per-cell gains
        between the source's and the target's mean colours (a resumed run loads its own)."""
        spec = self.model.generator_spec()
        if not spec.frame_field or spec.frame_field_init != "statistics":
            return
        src = frame_means(self.source, spec.frame_field)
        tgt = frame_means(self.target, spec.frame_field)
        self.model.init_frame_field(src, tgt)
        log.info(
            "frame field initialised from the mean colours of %d source and %d target "
            "images (gain %.2f..%.2f)",
            len(self.source),
            len(self.target),
            float((tgt / src.clamp(min=1e-3)).min()),
            float((tgt / src.clamp(min=1e-3)).max()),
        )

    def _build_data(self) -> None:
        """Domains, training dataset/sampler and fixed evaluation batches."""
        d, name = self.cfg.data, self.cfg.model["name"]
        self.tf = TransformConfig(d.image_size, d.load_size, d.preprocess, d.flip)
        self.source = ImageFolder(d.source_dir, "source")
        self.target = ImageFolder(d.target_dir, "target")
        if d.preprocess == "none":
            check_uniform_sizes(self.source.files + self.target.files, "data.preprocess")
        pairing = model_class(name).pairing
        ds_cls = RandomPairDataset if pairing == "random" else UnpairedDataset
        self.dataset = ds_cls(self.source, self.target, self.tf, self.cfg.seed)
        self.sampler = EpochSampler(
            len(self.dataset), self.cfg.seed, self.info.rank, self.info.world_size
        )
        bs = self.cfg.trainer.batch_size
        self.drop_last = self.sampler.per_rank >= bs
        n_eval = self.cfg.metrics.eval_images
        self.eval_source = eval_batch(self.source, self.tf, n_eval)
        self.eval_source_frames = eval_frames(self.source, self.tf, n_eval)
        self.eval_source_masks = eval_mask_batch(self.source, self.tf, n_eval)
        self.eval_target = eval_batch(self.target, self.tf, n_eval)
        self.content_wanted = self._content_wanted()

    def _content_wanted(self) -> bool:
        """Whether to compute the content score (metrics.content.enabled and the source)."""
        enabled = self.cfg.metrics.content.enabled
        if enabled is False:
            return False
        reason = content_unavailable(self.cfg.data.source_dir)
        if reason is None and self.eval_source_masks is None:
            reason = "not every source image has a mask"
        if reason is None:
            return True
        if enabled is True:
            raise ConfigError(f"metrics.content.enabled: true, but data.source_dir: {reason}")
        if self.info.main:
            log.info("content score off: %s", reason)
        return False

    def setup_content(self) -> None:
        """Train (or load from cache) the content segmenter on the source renders (main rank)."""
        if not (self.content_wanted and self.info.main):
            return
        c, source_dir = self.cfg.metrics.content, self.cfg.data.source_dir
        segmenter, _ = load_or_train_segmenter(
            source_dir, settings_from_config(c), c.cache_dir, self.device
        )
        assert self.eval_source_masks is not None
        stems = [f.stem for f in self.source.files[: len(self.eval_source_masks)]]
        self.content = ContentProbe.from_masks(segmenter, source_dir, stems, self.eval_source_masks)

    def loader(self) -> DataLoader:
        """DataLoader for the current epoch, skipping batches already trained on."""
        p, t = self.progress, self.cfg.trainer
        self.dataset.set_epoch(p.epoch)
        self.sampler.set_epoch(p.epoch, skip=p.batch_in_epoch * t.batch_size)
        workers = self.cfg.data.num_workers
        return DataLoader(
            self.dataset,
            batch_size=t.batch_size,
            sampler=self.sampler,
            num_workers=workers,
            pin_memory=self.device.type == "cuda",
            drop_last=self.drop_last,
            generator=torch.Generator().manual_seed(self.cfg.seed + p.epoch),
            persistent_workers=False,
            prefetch_factor=4 if workers else None,
            worker_init_fn=worker_init if workers else None,
        )

    # ----------------------------------------------------------------- checkpoints
    def payload(self) -> dict:
        """Everything for exact resumption plus the standalone generator."""
        p = self.progress
        payload = {
            "format_version": ckpt.FORMAT_VERSION,
            "model_name": self.model.name,
            "step": p.step,
            "epoch": p.epoch,
            "batch_in_epoch": p.batch_in_epoch,
            "best": p.best,
            "metrics": p.metrics,
            "model": self.model.state_dict(),
            "rng": ckpt.rng_state(),
            "config": self.raw_cfg,
            "generator": self.model.export_generator(),
        }
        reverse = self.model.export_reverse_generator()
        if reverse is not None:
            payload["generator_BtoA"] = reverse
        return payload

    def save(self, name: str = "last.pt", payload: dict | None = None) -> Path | None:
        """Atomically write a checkpoint on the main rank; others wait.

        NonFiniteState when a parameter, buffer or optimizer state is NaN/inf: a good
        checkpoint is never replaced by a broken one.
        """
        path = None
        if self.info.main:
            payload = payload or self.payload()
            bad = ckpt.first_non_finite(payload["model"]) or ckpt.first_non_finite(
                payload["generator"]["state_dict"]
            )
            if bad is not None:
                raise NonFiniteState(f"{bad} is not finite at step {self.progress.step}")
            path = ckpt.save_atomic(payload, self.ckpt_dir / name)
            log.info("saved %s (step %d)", path, self.progress.step)
            if name == "last.pt":
                self.last_path = path
                info = {"model": self.model.name, "step": self.progress.step}
                ckpt.save_generator_safetensors(
                    payload["generator"], self.ckpt_dir / ckpt.GENERATOR_EXPORT, info
                )
        if name == "last.pt":
            self.saved_step = self.progress.step
        self.barrier()
        return path

    def resume(self) -> None:
        """Load state per trainer.resume (auto|none|PATH)."""
        path = (
            ckpt.resolve_resume(self.cfg.trainer.resume, self.run_dir) if self.info.main else None
        )
        path = self.broadcast(path)
        if path is None:
            return
        payload = ckpt.load(path)
        check_compatible(payload, path, self.model, self.raw_cfg)
        self.model.load_state_dict(payload["model"])
        for sched in self.model.schedulers.values():
            for fn in sched.lr_lambdas:
                fn.constant = int(self.rt.max_steps * self.rt.lr_constant_fraction)
                fn.total = self.rt.max_steps
        ckpt.set_rng_state(payload["rng"])
        if self.info.enabled:
            torch.manual_seed(self.cfg.seed + 7919 * self.info.rank + payload["step"])
        self.progress = Progress(
            payload["step"],
            payload["epoch"],
            payload["batch_in_epoch"],
            payload["best"],
            payload["metrics"],
        )
        self.last_path = Path(path)
        self.saved_step = payload["step"] if Path(path).parent == self.ckpt_dir else -1
        log.info("resumed from %s at step %d (epoch %d)", path, payload["step"], payload["epoch"])

    # ----------------------------------------------------------------- distributed helpers
    def barrier(self) -> None:
        """Synchronise ranks (no-op single process)."""
        if self.info.enabled:
            dist.barrier()

    def broadcast(self, obj: Any) -> Any:
        """Rank 0's value of `obj` on every rank."""
        return broadcast_object(obj, self.info)

    def any_rank(self, *flags: bool) -> list[bool]:
        """For each flag: True if it is set on any rank."""
        if not self.info.enabled:
            return list(flags)
        t = torch.tensor([int(f) for f in flags], device=self.device)
        dist.all_reduce(t)
        return [bool(v) for v in t.tolist()]

    # ----------------------------------------------------------------- evaluation
    def evaluate(self) -> dict[str, float]:
        """SWD (and FID/KID when Inception weights are set) of translated and raw renders;
        the content score (mIoU) of both when `metrics.content` is on."""
        m = self.cfg.metrics
        settings = SWDSettings(
            m.swd_patches_per_image,
            m.swd_patch_size,
            m.swd_projections,
            m.swd_repeats,
            m.swd_min_size,
        )
        fake = self.model.translate(
            self.eval_source,
            batch_size=max(1, self.cfg.trainer.batch_size),
            frame=self.eval_source_frames,
        )
        out = {"swd": swd(fake, self.eval_target, settings, self.cfg.seed).mean}
        if not self.untranslated:
            self.untranslated["swd_untranslated"] = swd(
                self.eval_source, self.eval_target, settings, self.cfg.seed
            ).mean
            if self.inception is not None:
                raw = fid_kid(
                    self.eval_source,
                    self.eval_target,
                    self.inception,
                    m.kid_subset_size,
                    self.cfg.seed,
                )
                self.untranslated.update({f"{k}_untranslated": v for k, v in raw.items()})
            if self.content is not None:
                miou = self.content.score(self.eval_source)["miou"]
                if miou is not None:
                    self.untranslated["content_miou_untranslated"] = miou
        if self.inception is not None:
            out.update(
                fid_kid(fake, self.eval_target, self.inception, m.kid_subset_size, self.cfg.seed)
            )
        if self.content is not None:
            miou = self.content.score(fake)["miou"]
            if miou is not None:
                out["content_miou"] = miou
        out.update(self.untranslated)
        return out

    def log_images(self, logger: RunLogger) -> None:
        """Source / translated / (reconstructed) / target grids."""
        n = self.cfg.trainer.grid_images
        src, frame = self.eval_source[:n], self.eval_source_frames[:n]
        grids = {"source": src, **self.model.visuals(src, frame), "target": self.eval_target[:n]}
        logger.images(grids, self.progress.step)

    # ----------------------------------------------------------------- main loop
    def fit(self) -> TrainResult:
        """Train until max_steps/max_epochs, a stop signal, or a non-finite loss."""
        t, p = self.cfg.trainer, self.progress
        if self.info.main:
            for tmp in ckpt.remove_stale_temps(self.ckpt_dir):
                log.info("removed %s, left by an interrupted save", tmp)
        self.resume()
        p = self.progress
        finished_before = p.step >= t.max_steps
        if self.info.main:
            self.inception = load_inception(self.cfg.metrics.inception_weights, self.device)
        self.setup_content()
        self.barrier()
        # events after the checkpoint's step (logged by a run that died later) are dropped;
        # the checkpoint's own step was logged before it was saved and is kept
        logger = RunLogger(self.run_dir, enabled=self.info.main, purge_step=p.step + 1)
        if not finished_before:  # the HParams tab lists the run from now on
            logger.session_start(self.raw_cfg, self.metric_tags(), p.step)
        flag: dict[str, int] = {}
        bar = tqdm(
            total=t.max_steps,
            initial=p.step,
            desc=f"{self.model.name}",
            disable=not self.info.main,
            dynamic_ncols=True,
            leave=False,
        )
        self.model.train_mode(True)
        batches = None
        try:
            with stop_signals(flag):
                while p.step < t.max_steps and (t.max_epochs is None or p.epoch < t.max_epochs):
                    batches = start_workers(self.loader())
                    for batch in batches:
                        losses = self.model.train_step(batch)
                        self.model.update_ema()
                        p.step += 1
                        p.batch_in_epoch += 1
                        values, bad = loss_values(losses)
                        any_bad, stop = self.any_rank(bad is not None, "signal" in flag)
                        if any_bad:
                            raise NonFiniteLoss(
                                f"{bad or 'a loss on another rank is non-finite'} at step {p.step}"
                            )
                        lrs = self.model.learning_rates()
                        self.model.step_schedulers()
                        self.after_step(logger, values, lrs)
                        bar.update(1)
                        if stop:
                            return self.interrupted(
                                flag.get("signal", signal.SIGTERM), logger, flag["previous"]
                            )
                        if p.step >= t.max_steps:
                            break
                    else:
                        p.epoch += 1
                        p.batch_in_epoch = 0
                if self.saved_step != p.step:
                    self.save()
                bar.close()
                # Still under the handlers: a stop signal now is noted, not fatal, so the final
                # summary and the event file are complete when the process exits.
                self.finish(logger, log_hparams=not finished_before)
                if "signal" in flag:
                    log.info("stop signal during the final summary: the run was already complete")
        except (NonFiniteLoss, NonFiniteState):
            logger.session_end("failure", p.step)
            logger.close()
            raise
        finally:
            # Stop the DataLoader workers now: they ignore SIGTERM (the main process handles the
            # stop), so left to interpreter exit they could outlive a join that never ends.
            shutdown = getattr(batches, "_shutdown_workers", None)
            if shutdown is not None:
                shutdown()
            bar.close()
            self.report_skipped()
        return TrainResult(self.run_dir, p.step, dict(p.metrics), p.best, self.last_path)

    def after_step(
        self, logger: RunLogger, values: dict[str, float], lrs: dict[str, float]
    ) -> None:
        """Per-step logging, periodic images, evaluation and checkpoints."""
        t, p = self.cfg.trainer, self.progress
        if p.step % t.log_every == 0:
            logger.scalars(values, p.step, "loss/")
            logger.scalars(lrs, p.step, "lr/")
        if self.info.main and (p.step % t.image_every == 0 or p.step == 1):
            self.log_images(logger)
        save_best = False
        if p.step % t.eval_every == 0 or p.step == t.max_steps:
            if self.info.main:
                p.metrics = self.evaluate()
                logger.scalars(p.metrics, p.step, "metrics/")
                score = p.metrics.get(t.monitor)
                if score is not None and (p.best is None or score < p.best):
                    p.best, save_best = score, True
                log.info(
                    "step %d: %s", p.step, ", ".join(f"{k}={v:.4g}" for k, v in p.metrics.items())
                )
            save_best = self.broadcast(save_best)
        if p.step % t.checkpoint_every == 0 or save_best:
            payload = self.payload() if self.info.main else None
            self.save("last.pt", payload)
            if save_best:
                self.save("best.pt", payload)

    def interrupted(
        self, signum: int, logger: RunLogger, previous: dict | None = None
    ) -> TrainResult:
        """Save last.pt and exit after a stop signal.

        SIGUSR2 with a handler installed before training (submitit's, under a SLURM launcher)
        is handed on after the save: the launcher requeues the job, which resumes from last.pt
        (`trainer.resume=auto`).
        """
        self.save()
        logger.session_end("stopped", self.progress.step)
        logger.close()
        name = signal.Signals(signum).name
        log.warning("stopped by %s at step %d; saved %s", name, self.progress.step, self.last_path)
        chained = (previous or {}).get(signum)
        if signum == signal.SIGUSR2 and callable(chained):
            chained(signum, None)  # e.g. requeue; it may exit itself
        raise SystemExit(128 + signum if signum != signal.SIGINT else EXIT_INTERRUPTED)

    def report_skipped(self) -> None:
        """Log how many corrupt files were skipped."""
        skipped = len(self.source.skipped) + len(self.target.skipped)
        if skipped and self.info.main:
            log.warning("skipped %d corrupt image file(s) in total", skipped)

    def metric_tags(self) -> list[str]:
        """Scalar tags the HParams tab shows as metric columns (all logged by `after_step`)."""
        names = ["swd", "swd_untranslated"]
        if self.content is not None:
            names += ["content_miou", "content_miou_untranslated"]
        if self.inception is not None:
            names += ["fid", "kid", "fid_untranslated", "kid_untranslated"]
        return [f"metrics/{n}" for n in names] + [f"hparams/best_{self.cfg.trainer.monitor}"]

    def finish(self, logger: RunLogger, log_hparams: bool = True) -> None:
        """HParams session end with the final metrics (unless the run had finished before this
        call) and close."""
        p = self.progress
        if self.info.enabled:
            total = sum(float(t.double().sum()) for t in self.model.parameters())
            log.info("rank %d parameter checksum %.10e", self.info.rank, total)
        if self.info.main and log_hparams:
            final = {f"hparams/{k}": v for k, v in p.metrics.items()}
            if p.best is not None:
                final[f"hparams/best_{self.cfg.trainer.monitor}"] = p.best
            logger.session_end("success", p.step, final)
        logger.close()


def run_training(raw_cfg: dict, run_dir: str | Path) -> TrainResult:
    """Validate a resolved config dict and train into `run_dir` (library entry point)."""
    cfg = parse_train_config(raw_cfg)
    info = dist_from_env()
    run_dir = Path(run_dir)
    trainer = Trainer(cfg, {k: v for k, v in raw_cfg.items() if k != "hydra"}, run_dir, info)
    return trainer.fit()
