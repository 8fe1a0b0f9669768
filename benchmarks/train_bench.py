"""Training-step throughput of Pix2Pix, CycleGAN, CUT and FastCUT: naive fp32 baseline vs. the
gan trainers.

Variants per (model, image size, batch, device):
  baseline  plain fp32 loop over the same networks: NCHW, every network call separate, and the
            fakes recomputed for the discriminator update (no reuse between G and D steps);
            CUT: the reference's step (PatchNCE keys encoded and projected with gradients).
  fp32      gan.models train_step: fakes reused, same-norm calls batched, channels_last option.
  bf16      the same under bf16 autocast (CPU and CUDA).
Reports iterations/s (median over interleaved rounds; `best`: the fastest round, closest to an
idle machine when other jobs share the CPU), speed-up vs baseline, CPU seconds per step (all
threads of this process; with --threads 1 it barely depends on other jobs) and peak memory
(CUDA: max allocated above the model's resident size; CPU: peak RSS of the whole process). Inputs are synthetic tensors: data loading excluded.
A short loss-curve run compares fp32 and bf16 from identical weights and data (printed, and
drawn to a PNG).

    python benchmarks/train_bench.py --quick          # 128 px, batch 1, CPU (+CUDA if present)
    python benchmarks/train_bench.py                  # 128/256 px, batch 1/4, all variants
    python benchmarks/train_bench.py --sizes 128 --batches 1 4 --curve-steps 0
    # CPU-user generator settings (dotted model keys, as in configs/model/<name>.yaml):
    python benchmarks/train_bench.py --quick --models cut fastcut --set generator.n_blocks=6
    # speed ratios under shared load: every model timed round-robin in one loop
    python benchmarks/train_bench.py --quick --models cyclegan cut --interleave-models
"""

from __future__ import annotations

import argparse
import copy
import math
import os
import platform
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from omegaconf import OmegaConf
from PIL import Image, ImageDraw

from gan.cli import config_dir
from gan.config import default_config
from gan.losses import patch_nce
from gan.models import Runtime, TranslationModel, create_model
from gan.models.base import set_requires_grad
from gan.networks import PatchSampleMLP

REPO = Path(__file__).resolve().parent.parent


def model_config(name: str, size: int, overrides: list[str] = ()) -> dict:
    """Reference config of `name` from configs/model, U-Net depth matched to the image size,
    then `overrides` ("generator.n_blocks=6", dotted model keys) applied."""
    cfg = OmegaConf.load(config_dir() / "model" / f"{name}.yaml")
    cfg.generator.num_downs = int(math.log2(size))  # unet_128 / unet_256 as in the reference
    cfg = OmegaConf.merge(cfg, OmegaConf.from_dotlist(list(overrides)))
    return OmegaConf.to_container(cfg)


def build(
    name: str,
    size: int,
    device: torch.device,
    bf16: bool,
    channels_last: bool,
    seed: int = 0,
    overrides: list[str] = (),
):
    """A TranslationModel with deterministic initial weights."""
    torch.manual_seed(seed)
    trainer = default_config("train", ["trainer.max_steps=1000000"])["trainer"]
    rt = Runtime(device=device, bf16=bf16, channels_last=channels_last, compile=False,
                 distributed=False, lr=trainer["lr"], betas=(trainer["beta1"], trainer["beta2"]),
                 max_steps=trainer["max_steps"],
                 lr_constant_fraction=trainer["lr_constant_fraction"])  # fmt: skip
    return create_model(model_config(name, size, overrides), rt, seed)


def batches(n: int, batch: int, size: int, seed: int = 0) -> list[dict[str, torch.Tensor]]:
    """Synthetic source/target batches in [-1, 1]."""
    gen = torch.Generator().manual_seed(seed)
    return [
        {
            "source": torch.rand(batch, 3, size, size, generator=gen) * 2 - 1,
            "target": torch.rand(batch, 3, size, size, generator=gen) * 2 - 1,
        }
        for _ in range(n)
    ]


def gan_loss(pred: torch.Tensor | list[torch.Tensor], real: bool, mode: str) -> torch.Tensor:
    """BCE (vanilla) or MSE (lsgan) against a constant label (mean over a multi-scale D's maps)."""
    if isinstance(pred, list):
        return torch.stack([gan_loss(p, real, mode) for p in pred]).mean()
    label = torch.full_like(pred, 1.0 if real else 0.0)
    if mode == "lsgan":
        return F.mse_loss(pred, label)
    return F.binary_cross_entropy_with_logits(pred, label)


def baseline_pix2pix(m: TranslationModel, batch: dict[str, torch.Tensor]) -> float:
    """Naive pix2pix step: G runs twice (once for D, once for G)."""
    G, D, dev = m.raw["G"], m.raw["D"], m.rt.device
    src, tgt = batch["source"].to(dev), batch["target"].to(dev)
    mode = m.cfg.gan_mode
    set_requires_grad([D], True)
    m.optimizers["D"].zero_grad()
    fake = G(src).detach()
    loss_d = 0.5 * (
        gan_loss(D(torch.cat([src, fake], 1)), False, mode)
        + gan_loss(D(torch.cat([src, tgt], 1)), True, mode)
    )
    loss_d.backward()
    m.optimizers["D"].step()
    set_requires_grad([D], False)
    m.optimizers["G"].zero_grad()
    fake = G(src)
    loss_g = (
        gan_loss(D(torch.cat([src, fake], 1)), True, mode) + F.l1_loss(fake, tgt) * m.cfg.lambda_L1
    )
    loss_g.backward()
    m.optimizers["G"].step()
    return loss_g.item()


def baseline_cyclegan(m: TranslationModel, batch: dict[str, torch.Tensor]) -> float:
    """Naive CycleGAN step: six separate G calls, separate D calls, fakes recomputed for D."""
    r, dev, c = m.raw, m.rt.device, m.cfg
    a, b = batch["source"].to(dev), batch["target"].to(dev)
    lam, idt = c.lambda_cycle, c.lambda_cycle * c.lambda_identity
    set_requires_grad([r["D_A"], r["D_B"]], False)
    m.optimizers["G"].zero_grad()
    fake_b, fake_a = r["G_A"](a), r["G_B"](b)
    rec_a, rec_b = r["G_B"](fake_b), r["G_A"](fake_a)
    idt_a, idt_b = r["G_A"](b), r["G_B"](a)
    loss_g = (
        gan_loss(r["D_A"](fake_b), True, c.gan_mode)
        + gan_loss(r["D_B"](fake_a), True, c.gan_mode)
        + F.l1_loss(rec_a, a) * lam
        + F.l1_loss(rec_b, b) * lam
        + F.l1_loss(idt_a, b) * idt
        + F.l1_loss(idt_b, a) * idt
    )
    loss_g.backward()
    m.optimizers["G"].step()
    set_requires_grad([r["D_A"], r["D_B"]], True)
    m.optimizers["D"].zero_grad()
    with torch.no_grad():
        fake_b, fake_a = r["G_A"](a), r["G_B"](b)
    loss_da = 0.5 * (
        gan_loss(r["D_A"](b), True, c.gan_mode) + gan_loss(r["D_A"](fake_b), False, c.gan_mode)
    )
    loss_db = 0.5 * (
        gan_loss(r["D_B"](a), True, c.gan_mode) + gan_loss(r["D_B"](fake_a), False, c.gan_mode)
    )
    (loss_da + loss_db).backward()
    m.optimizers["D"].step()
    return loss_g.item()


def baseline_cut(m: TranslationModel, batch: dict[str, torch.Tensor]) -> float:
    """The reference CUT step: keys encoded and projected with gradients (detached in the loss),
    separate D calls, each NCE term with its own patch draw."""
    r, dev, c = m.raw, m.rt.device, m.cfg
    a, b = batch["source"].to(dev), batch["target"].to(dev)
    idt = c.nce_idt and c.lambda_NCE > 0
    real = torch.cat([a, b]) if idt else a
    if c.flip_equivariance and bool(torch.rand((), generator=m.rng) < 0.5):
        real, flipped = real.flip(3), True
    else:
        flipped = False
    out = r["G"](real)
    fake, idt_b = (out[: a.shape[0]], out[a.shape[0] :]) if idt else (out, None)
    set_requires_grad([r["D"]], True)
    m.optimizers["D"].zero_grad()
    loss_d = 0.5 * (
        gan_loss(r["D"](fake.detach()), False, c.gan_mode) + gan_loss(r["D"](b), True, c.gan_mode)
    )
    loss_d.backward()
    m.optimizers["D"].step()
    set_requires_grad([r["D"]], False)
    m.optimizers["G"].zero_grad()
    m.optimizers["F"].zero_grad()

    def nce(src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
        feat_q = r["G"].encode(tgt, c.nce_layers)
        if flipped:
            feat_q = [f.flip(3) for f in feat_q]
        feat_k = r["G"].encode(src, c.nce_layers)
        ids = PatchSampleMLP.sample_ids(feat_k, c.num_patches, m.rng)
        keys, queries = r["F"](feat_k, ids), r["F"](feat_q, ids)
        terms = [patch_nce(q, k.detach(), c.nce_T) for q, k in zip(queries, keys, strict=True)]
        return sum(terms) / len(terms) * c.lambda_NCE

    loss_g = gan_loss(r["D"](fake), True, c.gan_mode) * c.lambda_GAN
    if idt:
        loss_g = loss_g + 0.5 * (nce(a, fake) + nce(b, idt_b))
    elif c.lambda_NCE > 0:
        loss_g = loss_g + nce(a, fake)
    loss_g.backward()
    m.optimizers["G"].step()
    m.optimizers["F"].step()
    return loss_g.item()


def optimized_step(m: TranslationModel, batch: dict[str, torch.Tensor]) -> float:
    """The trainer's own step; returns the total generator loss."""
    return m.train_step(batch)["G"].item()


def memory_now(device: torch.device) -> float:
    """Current memory in MB: CUDA allocated, else the process's resident set."""
    if device.type == "cuda":
        return torch.cuda.memory_allocated(device) / 2**20
    return _proc_status("VmRSS:")


def reset_peak(device: torch.device) -> None:
    """Reset the peak-memory counter of `device`."""
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    elif platform.system() == "Linux":
        Path("/proc/self/clear_refs").write_text("5")


def peak_mb(device: torch.device) -> float:
    """Peak memory since reset_peak: CUDA max allocated, else the process's peak RSS."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return _proc_status("VmHWM:")


def _proc_status(field: str) -> float:
    """A memory field of /proc/self/status in MB (nan elsewhere)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return float("nan")


def sync(device: torch.device) -> None:
    """Wait for queued device work."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def step_fn(name: str, variant: str):
    """Training-step function of a variant."""
    if variant == "baseline":
        return {
            "pix2pix": baseline_pix2pix,
            "cyclegan": baseline_cyclegan,
            "cut": baseline_cut,
            "fastcut": baseline_cut,
        }[name]
    return optimized_step


def measure(
    names: list[str], size: int, batch: int, device: torch.device, args
) -> dict[tuple[str, str], dict]:
    """Iterations/s (median of interleaved rounds) and step memory of every (model, variant).

    Entries run round-robin, one step each per round, so load from other processes on a
    shared machine hits all of them alike. Memory is taken during each entry's warm-up.
    """
    cl = args.channels_last == "on" or (args.channels_last == "auto" and device.type == "cuda")
    data = batches(2, batch, size)
    models, out = {}, {}
    for name in names:
        for variant in args.variants:
            model = build(
                name,
                size,
                device,
                bf16=variant == "bf16",
                channels_last=cl and variant != "baseline",
                overrides=args.set,
            )
            sync(device)
            before = memory_now(device)
            reset_peak(device)
            for i in range(args.warmup):
                step_fn(name, variant)(model, data[i % 2])
            sync(device)
            models[name, variant] = model
            # CUDA: peak allocated above what the model held before its steps. CPU: the
            # process's peak RSS while this entry warmed up (absolute; includes models built
            # before it).
            base_mb = before if device.type == "cuda" else 0.0
            out[name, variant] = {"peak_mb": peak_mb(device) - base_mb, "times": [], "cpu": []}
    start = time.perf_counter()
    rounds = 0
    while rounds < args.min_iters or (
        time.perf_counter() - start < args.min_time and rounds < args.max_iters
    ):
        for (name, variant), model in models.items():
            t0, c0 = time.perf_counter(), time.process_time()
            step_fn(name, variant)(model, data[rounds % 2])
            sync(device)
            out[name, variant]["times"].append(time.perf_counter() - t0)
            out[name, variant]["cpu"].append(time.process_time() - c0)
        rounds += 1
    for r in out.values():
        r["it_s"] = 1.0 / statistics.median(r["times"])
        r["best_it_s"] = 1.0 / min(r["times"])
        r["cpu_s"] = statistics.median(r["cpu"])
        r["iters"] = len(r["times"])
    return out


def load_average() -> str:
    """The 1/5/15-minute load averages (other jobs on a shared CPU slow every number)."""
    try:
        return "load average " + ", ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "load average n/a"


def loss_curves(
    name: str, size: int, steps: int, device: torch.device, overrides: list[str] = ()
) -> dict[str, list[float]]:
    """Generator loss per step for fp32 and bf16 from identical weights and data."""
    data = batches(steps, 1, size, seed=1)
    ref = build(name, size, device, bf16=False, channels_last=False, overrides=overrides)
    curves = {}
    for label, bf16 in (("fp32", False), ("bf16", True)):
        model = build(name, size, device, bf16=bf16, channels_last=False, overrides=overrides)
        for k, net in ref.raw.items():
            model.raw[k].load_state_dict(copy.deepcopy(net.state_dict()))
        curves[label] = [optimized_step(model, b) for b in data]
    return curves


def plot_curves(all_curves: dict[str, dict[str, list[float]]], path: Path) -> None:
    """Draw loss curves (one panel per model) to a PNG with Pillow."""
    w, h, pad = 520, 300, 40
    img = Image.new("RGB", (w * len(all_curves), h), "white")
    draw = ImageDraw.Draw(img)
    colours = {"fp32": (30, 90, 200), "bf16": (220, 80, 30)}
    for p, (title, curves) in enumerate(all_curves.items()):
        x0 = p * w
        values = [v for c in curves.values() for v in c]
        lo, hi = min(values), max(values)
        span = (hi - lo) or 1.0
        draw.rectangle([x0 + pad, pad, x0 + w - pad // 2, h - pad], outline="black")
        draw.text((x0 + pad, 10), f"{title}: generator loss (fp32 blue, bf16 orange)", fill="black")
        draw.text((x0 + 2, pad), f"{hi:.2f}", fill="black")
        draw.text((x0 + 2, h - pad - 10), f"{lo:.2f}", fill="black")
        for label, ys in curves.items():
            n = max(1, len(ys) - 1)
            pts = [
                (x0 + pad + i * (w - 1.5 * pad) / n, h - pad - (y - lo) / span * (h - 2 * pad))
                for i, y in enumerate(ys)
            ]
            draw.line(pts, fill=colours[label], width=2)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="128 px, batch 1, fewer iterations")
    ap.add_argument("--models", nargs="+", default=["pix2pix", "cyclegan", "cut", "fastcut"])
    ap.add_argument(
        "--set",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="model config overrides for every model, e.g. generator.n_blocks=6 generator.ngf=48",
    )
    ap.add_argument("--sizes", nargs="+", type=int, default=[128, 256])
    ap.add_argument("--batches", nargs="+", type=int, default=[1, 4])
    ap.add_argument(
        "--devices", nargs="+", default=None, help="cpu and/or cuda (default: all present)"
    )
    ap.add_argument("--variants", nargs="+", default=["baseline", "fp32", "bf16"])
    ap.add_argument(
        "--interleave-models",
        action="store_true",
        help="time all models round-robin in one loop (fair speed ratios under shared load; "
        "CPU peak memory then includes the models built earlier)",
    )
    ap.add_argument("--channels-last", choices=["auto", "on", "off"], default="auto")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--min-iters", type=int, default=3)
    ap.add_argument("--max-iters", type=int, default=50)
    ap.add_argument("--min-time", type=float, default=10.0, help="seconds of interleaved rounds")
    ap.add_argument("--curve-steps", type=int, default=20, help="loss-curve steps (0: skip)")
    ap.add_argument("--curve-size", type=int, default=64)
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    ap.add_argument("--plot", type=Path, default=REPO / "outputs" / "bench" / "loss_curves.png")
    args = ap.parse_args()
    if args.quick:
        args.sizes, args.batches, args.min_time = [128], [1], 5.0
    if args.devices is None:
        args.devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    return args


def main() -> None:
    """Run the grid and print a table."""
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, cuda={torch.cuda.is_available()}"
    )
    if args.set:
        print("model overrides: " + " ".join(args.set))
    print(load_average())
    header = f"{'device':6} {'model':9} {'px':>4} {'bs':>3} {'variant':8} {'it/s':>8} {'best':>7} {'x base':>7} {'cpu s':>6} {'peak MB':>9} {'n':>3}"
    print(header)
    print("-" * len(header))
    groups = [args.models] if args.interleave_models else [[name] for name in args.models]
    for dev_name in args.devices:
        device = torch.device(dev_name)
        for names in groups:
            for size in args.sizes:
                for bs in args.batches:
                    results = measure(names, size, bs, device, args)
                    for (name, variant), r in results.items():
                        base = results.get((name, "baseline"), {}).get("it_s")
                        ratio = f"{r['it_s'] / base:6.2f}x" if base else "    n/a"
                        print(
                            f"{dev_name:6} {name:9} {size:4d} {bs:3d} {variant:8} {r['it_s']:8.3f} {r['best_it_s']:7.3f} {ratio:>7} "
                            f"{r['cpu_s']:6.2f} {r['peak_mb']:9.0f} {r['iters']:3d}",
                            flush=True,
                        )
                    print(f"  ({load_average()})", flush=True)
    if args.curve_steps > 0:
        device = torch.device(args.devices[-1])
        all_curves = {}
        for name in args.models:
            curves = loss_curves(name, args.curve_size, args.curve_steps, device, args.set)
            all_curves[f"{name} {args.curve_size}px {device.type}"] = curves
            print(
                f"\nloss curve {name} ({args.curve_size} px, {device.type}), generator loss per step:"
            )
            for label, ys in curves.items():
                print(f"  {label}: " + " ".join(f"{y:.3f}" for y in ys))
            rel = max(
                abs(a - b) / max(abs(a), 1e-6)
                for a, b in zip(curves["fp32"], curves["bf16"], strict=True)
            )
            print(f"  max relative difference bf16 vs fp32: {rel:.3%}")
        plot_curves(all_curves, args.plot)
        print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
